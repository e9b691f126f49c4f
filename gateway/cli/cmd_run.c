/*
 * galgate run: the daemon (daemon/daemon.c).
 */
#include <stdio.h>

#include "cli.h"
#include "daemon.h"
#include "err.h"

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: galgate run\n");
		return GW_EXIT_USAGE;
	}
	return daemon_run(cli->conf_path);
}
