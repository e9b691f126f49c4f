/* galgate journal: poll, then list */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dn.h"
#include "gal.h"
#include "journal.h"
#include "run.h"
#include "state.h"

struct list_ctx {
	int		 json;
	const char	*suffix;
	struct gw_buf	 line;
};

static int
list_cb(void *arg, const struct journal_rec *rec)
{
	struct list_ctx *c = arg;
	char uuid[40], when[32], *dn, *x500 = NULL;
	struct gw_dn parsed;
	struct gw_err err;
	int i;

	dn = gw_strndup(rec->dn, rec->dnlen);
	gw_err_init(&err);
	gw_dn_init(&parsed);
	if (gw_dn_parse_ldap(dn, c->suffix, &parsed, &err) == 0 &&
	    parsed.n > 0)
		x500 = gw_dn_x500_str(&parsed);
	gw_dn_release(&parsed);
	journal_uuid_str(rec->uuid, uuid);
	gw_time_format(rec->time, when, sizeof(when));
	gw_buf_reset(&c->line);
	if (c->json) {
		gw_buf_printf(&c->line, "{\"usn\":%" PRIu64 ",\"op\":\"%s\","
		    "\"dn\":", rec->usn, journal_op_name(rec->op));
		gw_json_string(&c->line, dn);
		gw_buf_addstr(&c->line, ",\"x500\":");
		if (x500 != NULL)
			gw_json_string(&c->line, x500);
		else
			gw_buf_addstr(&c->line, "null");
		gw_buf_printf(&c->line, ",\"entryUUID\":\"%s\",\"hash\":\"",
		    uuid);
		for (i = 0; i < 8; i++)
			gw_buf_printf(&c->line, "%02x", rec->hash[i]);
		gw_buf_printf(&c->line, "\",\"time\":\"%s\"}\n", when);
	} else
		gw_buf_printf(&c->line, "%10" PRIu64 " %s %-6s %s\n", rec->usn,
		    when, journal_op_name(rec->op), dn);
	fputs(c->line.buf, stdout);
	free(dn);
	free(x500);
	return 0;
}

int
cmd_journal(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct list_ctx lc;
	struct journal_stats js;
	struct gw_txn *txn = NULL;
	const char *errstr;
	struct gw_err err;
	struct run r;
	uint64_t since = 0;
	int ch, json = 0, rc = GW_EXIT_RUNTIME;

	while ((ch = getopt_long(argc, argv, "s:j", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			since = (uint64_t)gw_strtonum(optarg, 0, INT64_MAX,
			    &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "galgate: --since %s: %s\n",
				    optarg, errstr);
				return GW_EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		default:
			fprintf(stderr, "usage: galgate journal [--since USN] "
			    "[--json]\n");
			return GW_EXIT_USAGE;
		}
	}
	gw_err_init(&err);
	if (run_open(cli, &r, RUN_GAL, &err) == -1)
		return run_fail(&err);
	if (journal_poll(r.conf, r.gal, r.state, &r.ev, &js, &err) == -1)
		goto done;
	if (state_begin(r.state, 0, &txn, &err) == -1)
		goto done;
	lc.json = json;
	lc.suffix = r.conf->suffix;
	gw_buf_init(&lc.line, 0);
	if (journal_iter(txn, since, list_cb, &lc, &err) == 0)
		rc = GW_EXIT_OK;
	gw_buf_release(&lc.line);
	state_abort(txn);
done:
	run_close(&r);
	return rc == GW_EXIT_OK ? rc : run_fail(&err);
}
