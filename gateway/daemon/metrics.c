#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "journal.h"
#include "metrics.h"
#include "schedule.h"
#include "state.h"

/* 1 if another process holds the connector's cycle lock. */
static int
lock_held(const char *state_dir, const char *name)
{
	char path[PATH_MAX];
	int fd, held = 0;

	if (snprintf(path, sizeof(path), "%s/locks/%s.lock", state_dir,
	    name) >= (int)sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK)
		held = 1;
	close(fd);	/* releases the probe's lock, if it got one */
	return held;
}

int
connector_view(const struct gw_conf *conf, struct gw_txn *txn,
    const struct conf_section *s, time_t now, struct connector_view *v,
    struct gw_err *err)
{
	struct gw_schedule sched;
	const struct conf_entry *e;
	unsigned long long wm;
	uint64_t head, floor;
	struct gw_value dv;
	const char *errstr;
	char key[300];
	size_t k = 0;
	long long next;
	int rc;

	memset(v, 0, sizeof(*v));
	v->name = s->name;
	v->type = conf_get(s, "type", "?");
	if ((rc = connector_status_get(txn, s->name, &v->last, err)) == -1)
		return -1;
	v->has_run = rc == 1;
	if (journal_head(txn, &head, &floor, err) == -1 ||
	    wmark_get_u64(txn, s->name, "journal_usn", &wm, err) == -1)
		return -1;
	v->journal_lag = v->has_run && head > wm ? head - wm : 0;
	v->since_success = v->last.last_ok > 0 ? (long long)now -
	    v->last.last_ok : -1;
	v->running = lock_held(conf->state_dir, s->name);
	memset(&sched, 0, sizeof(sched));
	while ((e = conf_next(s, "schedule", &k)) != NULL)
		(void)gw_schedule_parse(e->value, &sched, &errstr);
	if (sched.n > 0)
		v->next_run = gw_schedule_next(&sched, v->has_run ?
		    (time_t)v->last.start : 0, now);
	/* the daemon's own plan (backoff included) wins when it runs */
	snprintf(key, sizeof(key), "next:%s", s->name);
	if (state_get(txn, GW_DB_STATUS, key, strlen(key), &dv, err) == 1 &&
	    dv.len < 32) {
		char num[32];

		memcpy(num, dv.ptr, dv.len);
		num[dv.len] = '\0';
		next = gw_strtonum(num, 0, INT64_MAX, &errstr);
		if (errstr == NULL && next > 0)
			v->next_run = (time_t)next;
	}
	if (v->running)
		v->state = "running";
	else if (!v->has_run)
		v->state = "never run";
	else if (v->last.exit != 0)
		v->state = "failing";
	else if (sched.n > 0 && gw_schedule_next(&sched,
	    (time_t)v->last.start, (time_t)v->last.start) + 60 < now)
		v->state = "lagging";
	else
		v->state = "ok";
	return 0;
}

static void
metric(struct gw_buf *b, const char *name, const char *help,
    const struct connector_view *v, size_t n, int which)
{
	size_t i;
	long long val;

	gw_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (i = 0; i < n; i++) {
		const struct gw_cycle_status *l = &v[i].last;

		switch (which) {
		case 0: val = (long long)l->counts.adds; break;
		case 1: val = (long long)l->counts.modifies; break;
		case 2: val = (long long)l->counts.deletes; break;
		case 3: val = (long long)l->counts.skipped; break;
		case 4: val = (long long)l->counts.errors; break;
		case 5: val = l->end - l->start; break;
		case 6: val = (long long)v[i].journal_lag; break;
		case 7: val = v[i].since_success; break;
		case 8: val = l->failures; break;
		case 9: val = l->exit; break;
		default: val = v[i].running; break;
		}
		gw_buf_printf(b, "%s{connector=\"%s\",type=\"%s\"} %lld\n",
		    name, v[i].name, v[i].type, val);
	}
}

int
metrics_write(const struct gw_conf *conf, struct gw_state *st,
    struct gw_err *err)
{
	struct connector_view *v = NULL;
	struct gw_txn *txn;
	struct gw_buf b;
	char path[PATH_MAX], why[1024];
	uint64_t head, floor;
	size_t i, n = 0;
	time_t now = time(NULL);
	int rc = -1;

	if (state_begin(st, 0, &txn, err) == -1)
		return -1;
	gw_buf_init(&b, 0);
	if (journal_head(txn, &head, &floor, err) == -1)
		goto done;
	for (i = 0; i < conf->nsec; i++) {
		if (conf->sec[i].kind != CONF_SEC_CONNECTOR)
			continue;
		v = gw_realloc(v, (n + 1) * sizeof(*v));
		if (connector_view(conf, txn, &conf->sec[i], now, &v[n],
		    err) == -1)
			goto done;
		n++;
	}
	gw_buf_printf(&b, "# HELP galgate_journal_head_usn Highest USN in the "
	    "change journal\n# TYPE galgate_journal_head_usn counter\n"
	    "galgate_journal_head_usn %" PRIu64 "\n", head);
	metric(&b, "galgate_cycle_adds", "Entries added by the last cycle",
	    v, n, 0);
	metric(&b, "galgate_cycle_modifies", "Entries modified by the last "
	    "cycle", v, n, 1);
	metric(&b, "galgate_cycle_deletes", "Entries deleted by the last "
	    "cycle", v, n, 2);
	metric(&b, "galgate_cycle_skipped", "Records skipped by the last "
	    "cycle", v, n, 3);
	metric(&b, "galgate_cycle_errors", "Errors in the last cycle", v, n, 4);
	metric(&b, "galgate_cycle_duration_seconds", "Duration of the last "
	    "cycle", v, n, 5);
	metric(&b, "galgate_journal_lag", "Journal head USN minus the "
	    "connector's watermark", v, n, 6);
	metric(&b, "galgate_seconds_since_success", "Seconds since the last "
	    "successful cycle (-1: never)", v, n, 7);
	metric(&b, "galgate_cycle_failures", "Failed cycles since the last "
	    "success", v, n, 8);
	metric(&b, "galgate_last_cycle_exit", "Exit status of the last cycle",
	    v, n, 9);
	metric(&b, "galgate_cycle_running", "1 while a cycle runs", v, n, 10);
	snprintf(path, sizeof(path), "%s/metrics.prom", conf->state_dir);
	if (gw_write_file_atomic(path, b.buf, b.len, 0644, why,
	    sizeof(why)) == -1) {
		gw_err_set(err, GW_EXIT_RUNTIME, "%s", why);
		goto done;
	}
	rc = 0;
done:
	state_abort(txn);
	gw_buf_release(&b);
	free(v);
	return rc;
}
