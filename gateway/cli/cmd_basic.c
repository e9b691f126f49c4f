/* check, dn, events */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "connector.h"
#include "dn.h"
#include "evlog.h"
#include "run.h"

int
cmd_check(struct cli *cli, int argc, char **argv)
{
	struct gw_err err;
	struct gw_conf *c;
	size_t i;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: galgate check\n");
		return GW_EXIT_USAGE;
	}
	gw_err_init(&err);
	if ((c = conf_load(cli->conf_path, connector_conf_types(), stderr,
	    &err)) == NULL)
		return run_fail(&err);
	/* a connector's own checks (no I/O) count as configuration too */
	for (i = 0; i < c->nsec; i++) {
		struct gw_connector con;

		if (c->sec[i].kind != CONF_SEC_CONNECTOR)
			continue;
		if (connector_configure(&con, c, c->sec[i].name, &err) == -1) {
			conf_free(c);
			return run_fail(&err);
		}
		connector_release(&con);
	}
	printf("%s: configuration OK\n", cli->conf_path);
	conf_free(c);
	return GW_EXIT_OK;
}

int
cmd_dn(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "suffix", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct gw_conf *conf = NULL;
	const char *suffix = NULL;
	struct gw_err err;
	struct gw_dn dn;
	char *x, *l, *d;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		if (ch != 's') {
			fprintf(stderr, "usage: galgate dn [--suffix DN] NAME\n");
			return GW_EXIT_USAGE;
		}
		suffix = optarg;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: galgate dn [--suffix DN] NAME\n");
		return GW_EXIT_USAGE;
	}
	gw_err_init(&err);
	if (suffix == NULL && (cli->conf_given ||
	    access(cli->conf_path, R_OK) == 0)) {
		if ((conf = conf_load(cli->conf_path, connector_conf_types(),
		    stderr, &err)) == NULL)
			return run_fail(&err);
		suffix = conf->suffix;
	}
	gw_dn_init(&dn);
	if (gw_dn_parse(argv[optind], suffix != NULL ? suffix : "", &dn,
	    &err) == -1) {
		conf_free(conf);
		return run_fail(&err);
	}
	x = gw_dn_x500_str(&dn);
	l = gw_dn_ldap_str(&dn, suffix);
	d = gw_dn_dapi_str(&dn);
	printf("x500: %s\nldap: %s\ndapi: %s\n", x, l, d);
	rc = dn.n == 0 ? GW_EXIT_USAGE : GW_EXIT_OK;
	free(x);
	free(l);
	free(d);
	gw_dn_release(&dn);
	conf_free(conf);
	return rc;
}

int
cmd_events(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connector", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *connector = NULL, *errstr;
	struct gw_conf *conf;
	struct gw_err err;
	time_t since = 0;
	int ch, json = 0;

	gw_err_init(&err);
	while ((ch = getopt_long(argc, argv, "n:s:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			connector = optarg;
			break;
		case 's':
			if (gw_time_parse(optarg, time(NULL), &since,
			    &errstr) == -1) {
				fprintf(stderr, "galgate: --since %s: %s\n",
				    optarg, errstr);
				return GW_EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		default:
			fprintf(stderr, "usage: galgate events [--connector "
			    "NAME] [--since TIME] [--json]\n");
			return GW_EXIT_USAGE;
		}
	}
	if ((conf = conf_load(cli->conf_path, connector_conf_types(), stderr,
	    &err)) == NULL)
		return run_fail(&err);
	if (evlog_print(conf->state_dir, connector, since, json, stdout,
	    &err) == -1) {
		conf_free(conf);
		return run_fail(&err);
	}
	conf_free(conf);
	return GW_EXIT_OK;
}
