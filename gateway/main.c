#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "connector.h"
#include "failpoint.h"
#include "err.h"

#ifndef GALGATE_VERSION
#define GALGATE_VERSION "0.1.0"
#endif

static const struct command {
	const char	*name;
	int		(*run)(struct cli *, int, char **);
	const char	*usage;
} commands[] = {
	{ "check", cmd_check, "check                      validate the configuration" },
	{ "dn", cmd_dn, "dn [--suffix DN] NAME      print the X.500, LDAP and DAPI forms of NAME" },
	{ "init", cmd_init, "init                       create the suffix, organization, site and containers" },
	{ "journal", cmd_journal, "journal [--since USN] [--json]  poll the GAL, then list the change journal" },
	{ "events", cmd_events, "events [--connector NAME] [--since TIME] [--json]  read the event log" },
	{ "sync", cmd_sync, "sync [--dry-run] [--allow-deletes N] NAME...  run one cycle of each connector" },
	{ "status", cmd_status, "status [--json]            last cycle, counts and watermarks of each connector" },
	{ "reset", cmd_reset, "reset NAME --import-all|--export-all [--requestor PEER]" },
	{ "run", cmd_run, "run                        the daemon: each connector on its schedule" },
	{ NULL, NULL, NULL }
};

static void
usage(FILE *fp)
{
	const struct command *c;
	const struct gw_command *k;
	size_t i = 0;

	fprintf(fp, "usage: galgate [-c FILE] COMMAND [ARGS]\n\n"
	    "galgate synchronizes an OpenLDAP Global Address List with cc:Mail,\n"
	    "Microsoft Mail dir-sync and InterOrg peers.\n\n"
	    "options:\n"
	    "  -c, --config FILE   configuration (default $GALGATE_CONF or\n"
	    "                      /etc/galgate/galgate.conf)\n"
	    "  -h, --help          this help\n"
	    "  -V, --version       print the version\n\n"
	    "commands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(fp, "  %s\n", c->usage);
	while ((k = connector_command_next(&i)) != NULL)
		fprintf(fp, "  %s\n", k->usage);
	fprintf(fp, "\nexit status: 0 ok, 1 runtime failure, 2 usage or config "
	    "error,\n3 malformed input, 4 deletion threshold, 5 connector busy\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *c;
	const struct gw_command *k;
	struct cli cli = { NULL, 0 };
	int ch;

	/* '+': stop at the command, its options are its own */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.conf_path = optarg;
			cli.conf_given = 1;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		case 'V':
			printf("galgate %s\n", GALGATE_VERSION);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (gw_failpoint_init() == -1)
		return GW_EXIT_USAGE;
	/*
	 * A server that goes away while a request is written to it must be
	 * an error the cycle reports (event, exit 1, watermarks unmoved),
	 * not a silent death by SIGPIPE.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (cli.conf_path == NULL) {
		extern const char *conf_default_path(void);

		cli.conf_path = conf_default_path();
	}
	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, argv[optind]) == 0) {
			argc -= optind;
			argv += optind;
			optind = 0;	/* getopt restarts for the command */
			return c->run(&cli, argc, argv);
		}
	if ((k = connector_command(argv[optind])) != NULL) {
		argc -= optind;
		argv += optind;
		optind = 0;
		return k->run(&cli, argc, argv);
	}
	fprintf(stderr, "galgate: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return GW_EXIT_USAGE;
}
