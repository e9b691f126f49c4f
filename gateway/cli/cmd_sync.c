/* galgate sync, status, reset */
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "connector.h"
#include "gal.h"
#include "journal.h"
#include "metrics.h"
#include "control.h"
#include "run.h"
#include "state.h"

/*
 * When the daemon runs, it runs the cycles instead of racing them: each
 * asked for on its control socket.  The exit status, or -1 when no daemon
 * runs (the caller runs the cycles itself).
 */
static int
sync_by_daemon(struct cli *cli, int n, char **names, long allow)
{
	struct gw_err err;
	struct gw_conf *c;
	int i, st, rc = GW_EXIT_OK;

	gw_err_init(&err);
	if ((c = conf_load(cli->conf_path, connector_conf_types(), stderr,
	    &err)) == NULL)
		return run_fail(&err);
	if (!control_alive(c->state_dir)) {
		conf_free(c);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((st = control_sync(c->state_dir, names[i], allow, &err)) ==
		    -1)
			st = run_fail(&err);
		if (rc == GW_EXIT_OK)
			rc = st;
	}
	conf_free(c);
	return rc;
}

/*
 * One cycle of connector name, then the journal poll that takes in what
 * it wrote.  The first failure sets *rc; -1 when the poll failed (no
 * later cycle may run on a journal behind the GAL).
 */
static int
sync_one(struct run *r, const char *name, int dry, long allow, int *rc)
{
	struct journal_stats js;
	struct gw_connector con;
	struct gw_cycle cy;
	struct gw_err one;

	gw_err_init(&one);
	run_cycle_init(&cy, r);
	cy.dry_run = dry;
	cy.allow_deletes = allow;
	if (connector_configure(&con, r->conf, name, &one) == -1 ||
	    connector_cycle(&con, &cy, &one) == -1) {
		fprintf(stderr, "galgate: %s\n", one.msg);
		/* the first failure decides the exit status */
		if (*rc == GW_EXIT_OK)
			*rc = one.exit != 0 ? one.exit : GW_EXIT_RUNTIME;
	} else if (!dry)
		printf("%s: %zu added, %zu modified, %zu deleted, %zu skipped, "
		    "%zu errors\n", name, cy.counts.adds, cy.counts.modifies,
		    cy.counts.deletes, cy.counts.skipped, cy.counts.errors);
	connector_release(&con);
	/* a cycle's memory goes back before the journal reads */
	malloc_trim(0);
	/* what this cycle wrote is journaled before anything else */
	gw_err_init(&one);
	if (!dry && journal_poll(r->conf, r->gal, r->state, &r->ev, &js,
	    &one) == -1) {
		fprintf(stderr, "galgate: journal poll after %s: %s\n", name,
		    one.msg);
		if (*rc == GW_EXIT_OK)
			*rc = GW_EXIT_RUNTIME;
		return -1;
	}
	return 0;
}

int
cmd_sync(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "allow-deletes", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct journal_stats js;
	struct gw_cycle cy;
	struct gw_err err, merr;
	const char *errstr;
	struct run r;
	long allow = 0;
	int ch, i, dry = 0, rc = GW_EXIT_OK;

	while ((ch = getopt_long(argc, argv, "na:", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			dry = 1;
			break;
		case 'a':
			allow = (long)gw_strtonum(optarg, 1, 100000000, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "galgate: --allow-deletes %s: "
				    "%s\n", optarg, errstr);
				return GW_EXIT_USAGE;
			}
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	gw_err_init(&err);
	if (!dry && getenv("GALGATE_IN_DAEMON") == NULL &&
	    (rc = sync_by_daemon(cli, argc - optind, argv + optind, allow)) !=
	    -1)
		return rc;
	rc = GW_EXIT_OK;
	if (run_open(cli, &r, RUN_STATE, &err) == -1)
		return run_fail(&err);
	if (gal_open(r.conf, &r.gal, &err) == -1) {
		/* the server is down: each cycle failed, visibly */
		for (i = optind; i < argc && !dry; i++) {
			run_cycle_init(&cy, &r);
			if (conf_connector(r.conf, argv[i]) != NULL)
				connector_record_failure(&cy, argv[i], &err);
		}
		gw_err_init(&merr);
		if (!dry)
			(void)metrics_write(r.conf, r.state, &merr);
		run_close(&r);
		return run_fail(&err);
	}
	for (i = optind; i < argc; i++)
		if (conf_connector(r.conf, argv[i]) == NULL) {
			fprintf(stderr, "galgate: no [connector %s] in %s\n",
			    argv[i], r.conf->path);
			run_close(&r);
			return GW_EXIT_USAGE;
		}
	if (journal_poll(r.conf, r.gal, r.state, &r.ev, &js, &err) == -1) {
		run_close(&r);
		return run_fail(&err);
	}
	for (i = optind; i < argc; i++)
		if (sync_one(&r, argv[i], dry, allow, &rc) == -1)
			break;
	gw_err_init(&merr);
	if (!dry && metrics_write(r.conf, r.state, &merr) == -1)
		fprintf(stderr, "galgate: metrics: %s\n", merr.msg);
	run_close(&r);
	return rc;
usage:
	fprintf(stderr, "usage: galgate sync [--dry-run] [--allow-deletes N] "
	    "NAME...\n");
	return GW_EXIT_USAGE;
}

struct wm_ctx {
	struct gw_buf	*out;
	int		 json;
	int		 first;
};

static int
wm_cb(void *arg, const struct gw_value *k, const struct gw_value *v)
{
	struct wm_ctx *c = arg;
	const char *name = memchr(k->ptr, '\0', k->len);
	char *key;
	size_t i;
	int printable = 1;

	if (name == NULL)
		return 0;
	name++;
	key = gw_strndup(name, k->len - (size_t)(name - k->ptr));
	for (i = 0; i < v->len; i++)
		if ((unsigned char)v->ptr[i] < 0x20 ||
		    (unsigned char)v->ptr[i] > 0x7e)
			printable = 0;
	if (c->json) {
		gw_buf_printf(c->out, "%s", c->first ? "" : ",");
		gw_json_string(c->out, key);
		gw_buf_addch(c->out, ':');
	} else
		gw_buf_printf(c->out, "    %s = ", key);
	if (v->len == 8 && !printable)
		gw_buf_printf(c->out, "%" PRIu64,
		    gw_be64_get((const unsigned char *)v->ptr));
	else if (printable) {
		char *s = gw_strndup(v->ptr, v->len);

		if (c->json)
			gw_json_string(c->out, s);
		else
			gw_buf_addstr(c->out, s);
		free(s);
	} else
		gw_buf_printf(c->out, c->json ? "\"(%zu bytes)\"" :
		    "(%zu bytes)", v->len);
	if (!c->json)
		gw_buf_addch(c->out, '\n');
	c->first = 0;
	free(key);
	return 0;
}

/* One connector's status as a JSON object, its watermarks left open. */
static void
status_json(struct gw_buf *out, const char *name,
    const struct connector_view *v, int n)
{
	char t1[32], t2[32], t3[32];

	gw_time_format((time_t)v->last.end, t1, sizeof(t1));
	gw_time_format(v->next_run, t2, sizeof(t2));
	gw_time_format((time_t)v->last.last_ok, t3, sizeof(t3));
	gw_buf_printf(out, "%s{\"name\":", n ? "," : "");
	gw_json_string(out, name);
	gw_buf_printf(out, ",\"type\":\"%s\",\"state\":\"%s\",\"last_run\":",
	    v->type, v->state);
	if (v->has_run)
		gw_buf_printf(out, "\"%s\"", t1);
	else
		gw_buf_addstr(out, "null");
	gw_buf_printf(out, ",\"result\":");
	gw_json_string(out, v->has_run ? v->last.msg : "never run");
	gw_buf_printf(out, ",\"exit\":%d,\"duration\":%lld,\"adds\":%zu,"
	    "\"modifies\":%zu,\"deletes\":%zu,\"skipped\":%zu,\"errors\":%zu,"
	    "\"failures\":%ld,\"journal_lag\":%" PRIu64 ",\"seconds_since_"
	    "success\":%lld,\"last_success\":", v->last.exit, v->last.end -
	    v->last.start, v->last.counts.adds, v->last.counts.modifies,
	    v->last.counts.deletes, v->last.counts.skipped,
	    v->last.counts.errors,
	    v->last.failures, v->journal_lag, v->since_success);
	if (v->last.last_ok > 0)
		gw_buf_printf(out, "\"%s\"", t3);
	else
		gw_buf_addstr(out, "null");
	gw_buf_addstr(out, ",\"next_run\":");
	if (v->next_run != 0)
		gw_buf_printf(out, "\"%s\"", t2);
	else
		gw_buf_addstr(out, "null");
	gw_buf_addstr(out, ",\"watermarks\":{");
}

/* One connector's status as text, up to its watermarks' heading. */
static void
status_text(struct gw_buf *out, const char *name,
    const struct connector_view *v)
{
	char t1[32], t2[32], t3[32];

	gw_time_format((time_t)v->last.end, t1, sizeof(t1));
	gw_time_format(v->next_run, t2, sizeof(t2));
	gw_time_format((time_t)v->last.last_ok, t3, sizeof(t3));
	gw_buf_printf(out, "connector %s (%s): %s\n", name, v->type, v->state);
	if (v->has_run)
		gw_buf_printf(out, "  last run %s, %s (exit %d, %lld s)\n  %zu "
		    "added, %zu modified, %zu deleted, %zu skipped, %zu "
		    "errors\n", t1, v->last.msg, v->last.exit, v->last.end -
		    v->last.start, v->last.counts.adds, v->last.counts.modifies,
		    v->last.counts.deletes, v->last.counts.skipped,
		    v->last.counts.errors);
	if (v->last.failures > 0)
		gw_buf_printf(out, "  %ld failed cycles since the last "
		    "success\n", v->last.failures);
	if (v->last.last_ok > 0)
		gw_buf_printf(out, "  last success %s, journal lag %" PRIu64
		    "\n", t3, v->journal_lag);
	if (v->next_run != 0)
		gw_buf_printf(out, "  next run %s\n", t2);
	gw_buf_addstr(out, "  watermarks:\n");
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct connector_view v;
	struct gw_txn *txn = NULL;
	struct gw_buf out;
	struct gw_err err;
	struct run r;
	struct wm_ctx wc;
	uint64_t head, floor;
	size_t i;
	int ch, json = 0, rc = GW_EXIT_RUNTIME, n = 0, daemon;
	time_t now = time(NULL);

	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (ch != 'j') {
			fprintf(stderr, "usage: galgate status [--json]\n");
			return GW_EXIT_USAGE;
		}
		json = 1;
	}
	gw_err_init(&err);
	gw_buf_init(&out, 0);
	if (run_open(cli, &r, RUN_STATE, &err) == -1)
		return run_fail(&err);
	daemon = control_alive(r.conf->state_dir);
	if (state_begin(r.state, 0, &txn, &err) == -1 ||
	    journal_head(txn, &head, &floor, &err) == -1)
		goto done;
	if (json)
		gw_buf_printf(&out, "{\"daemon\":%s,\"journal\":{\"head\":%"
		    PRIu64 ",\"floor\":%" PRIu64 "},\"connectors\":[",
		    daemon ? "true" : "false", head, floor);
	else
		gw_buf_printf(&out, "daemon: %s\njournal: head USN %" PRIu64
		    ", oldest kept after %" PRIu64 "\n", daemon ? "running" :
		    "not running", head, floor);
	for (i = 0; i < r.conf->nsec; i++) {
		const struct conf_section *s = &r.conf->sec[i];
		char prefix[300];
		size_t plen;

		if (s->kind != CONF_SEC_CONNECTOR)
			continue;
		if (connector_view(r.conf, txn, s, now, &v, &err) == -1)
			goto done;
		if (json)
			status_json(&out, s->name, &v, n++);
		else
			status_text(&out, s->name, &v);
		plen = (size_t)snprintf(prefix, sizeof(prefix), "%s", s->name) + 1;
		wc.out = &out;
		wc.json = json;
		wc.first = 1;
		if (state_iter_prefix(txn, GW_DB_WMARK, prefix, plen, wm_cb,
		    &wc, &err) == -1)
			goto done;
		if (json)
			gw_buf_addstr(&out, "}}");
	}
	if (json)
		gw_buf_addstr(&out, "]}\n");
	fputs(out.buf, stdout);
	rc = GW_EXIT_OK;
done:
	state_abort(txn);
	gw_buf_release(&out);
	run_close(&r);
	return rc == GW_EXIT_OK ? rc : run_fail(&err);
}

int
cmd_reset(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "import-all", no_argument, NULL, 'i' },
		{ "export-all", no_argument, NULL, 'e' },
		{ "requestor", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct gw_reset rs = { 0, 0, NULL };
	struct gw_connector con;
	struct gw_cycle cy;
	struct gw_err err;
	struct run r;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "ier:", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			rs.import_all = 1;
			break;
		case 'e':
			rs.export_all = 1;
			break;
		case 'r':
			rs.requestor = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || (!rs.import_all && !rs.export_all))
		goto usage;
	gw_err_init(&err);
	if (run_open(cli, &r, RUN_STATE, &err) == -1)
		return run_fail(&err);
	run_cycle_init(&cy, &r);
	rc = connector_configure(&con, r.conf, argv[optind], &err);
	if (rc == 0) {
		rc = connector_reset(&con, &cy, &rs, &err);
		connector_release(&con);
	}
	run_close(&r);
	if (rc == -1)
		return run_fail(&err);
	printf("%s: reset done; the next cycle resends\n", argv[optind]);
	return GW_EXIT_OK;
usage:
	fprintf(stderr, "usage: galgate reset NAME --import-all|--export-all "
	    "[--requestor PEER]\n");
	return GW_EXIT_USAGE;
}
