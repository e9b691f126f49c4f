#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connector.h"
#include "gal.h"
#include "reform.h"
#include "state.h"

extern const struct gw_connector_ops connector_ccmail;
extern const struct gw_connector_ops connector_pcmail;
extern const struct gw_connector_ops connector_interorg;

/* The registry: one line per connector type. */
static const struct gw_connector_ops *builtin[] = {
	&connector_ccmail,
	&connector_pcmail,
	&connector_interorg,
	NULL
};

#define EXTRA_MAX	8
static const struct gw_connector_ops *extra[EXTRA_MAX];
static size_t nextra;

const struct gw_connector_ops *
connector_lookup(const char *type)
{
	size_t i;

	for (i = 0; builtin[i] != NULL; i++)
		if (strcmp(builtin[i]->type, type) == 0)
			return builtin[i];
	for (i = 0; i < nextra; i++)
		if (strcmp(extra[i]->type, type) == 0)
			return extra[i];
	return NULL;
}

const struct gw_command *
connector_command_next(size_t *i)
{
	size_t nbuiltin = sizeof(builtin) / sizeof(*builtin) - 1;
	const struct gw_connector_ops *ops;

	while (*i < nbuiltin + nextra) {
		ops = *i < nbuiltin ? builtin[*i] : extra[*i - nbuiltin];
		(*i)++;
		if (ops->command != NULL)
			return ops->command;
	}
	return NULL;
}

const struct gw_command *
connector_command(const char *name)
{
	const struct gw_command *c;
	size_t i = 0;

	while ((c = connector_command_next(&i)) != NULL)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void
conf_type_of(struct conf_connector_type *t, const struct gw_connector_ops *ops)
{
	t->name = ops->type;
	t->keys = ops->keys;
	t->extra_keys = ops->extra_keys;
	t->peer_keys = ops->peer_keys;
	t->impl = ops;
}

const struct conf_connector_types *
connector_conf_types(void)
{
	static struct conf_connector_type v[sizeof(builtin) / sizeof(*builtin) +
	    EXTRA_MAX];
	static struct conf_connector_types t;
	size_t i, n = 0;

	for (i = 0; builtin[i] != NULL; i++)
		conf_type_of(&v[n++], builtin[i]);
	for (i = 0; i < nextra; i++)
		conf_type_of(&v[n++], extra[i]);
	t.v = v;
	t.n = n;
	return &t;
}

int
connector_register(const struct gw_connector_ops *ops)
{
	if (connector_lookup(ops->type) != NULL || nextra == EXTRA_MAX)
		return -1;
	extra[nextra++] = ops;
	return 0;
}

int
connector_configure(struct gw_connector *c, const struct gw_conf *conf,
    const char *name, struct gw_err *err)
{
	const struct conf_section *sec = conf_connector(conf, name);

	memset(c, 0, sizeof(*c));
	if (sec == NULL || sec->type == NULL)
		return gw_err_set(err, GW_EXIT_USAGE, "no connector '%s' in %s",
		    name, conf->path);
	c->ops = sec->type->impl;
	c->sec = sec;
	c->name = sec->name;
	if (c->ops->configure != NULL && c->ops->configure(c, conf, err) == -1) {
		gw_err_prefix(err, "connector %s", name);
		c->ops = NULL;
		return -1;
	}
	return 0;
}

void
connector_release(struct gw_connector *c)
{
	if (c->ops != NULL && c->ops->release != NULL)
		c->ops->release(c);
	memset(c, 0, sizeof(*c));
}

int
connector_lock(const char *state_dir, const char *name, int *fd,
    struct gw_err *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/locks", state_dir);
	if (mkdir(path, 0750) == -1 && errno != EEXIST)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	snprintf(path, sizeof(path), "%s/locks/%s.lock", state_dir, name);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	/* flock dies with its holder, so a crash leaves no stale lock */
	if (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		close(*fd);
		*fd = -1;
		if (errno == EWOULDBLOCK)
			return gw_err_set(err, GW_EXIT_BUSY, "connector %s: "
			    "another cycle is running", name);
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	}
	return 0;
}

static void
status_put(struct gw_cycle *cy, const char *name,
    const struct gw_cycle_status *s)
{
	struct gw_txn *txn;
	struct gw_err err;
	char buf[800];
	int n;

	gw_err_init(&err);
	n = snprintf(buf, sizeof(buf), "%lld %lld %d %zu %zu %zu %zu %zu %lld "
	    "%ld %s", s->start, s->end, s->exit, s->counts.adds,
	    s->counts.modifies, s->counts.deletes, s->counts.skipped,
	    s->counts.errors, s->last_ok, s->failures, s->msg);
	if (state_begin(cy->state, 1, &txn, &err) == -1)
		return;
	if (state_put(txn, GW_DB_STATUS, name, strlen(name), buf,
	    (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, &err) == -1) {
		state_abort(txn);
		return;
	}
	(void)state_commit(txn, &err);
}

int
connector_status_get(struct gw_txn *txn, const char *name,
    struct gw_cycle_status *s, struct gw_err *err)
{
	struct gw_value v;
	char buf[800];
	int rc, off = 0;

	memset(s, 0, sizeof(*s));
	if ((rc = state_get(txn, GW_DB_STATUS, name, strlen(name), &v,
	    err)) != 1)
		return rc;
	if (v.len >= sizeof(buf))
		v.len = sizeof(buf) - 1;
	memcpy(buf, v.ptr, v.len);
	buf[v.len] = '\0';
	if (sscanf(buf, "%lld %lld %d %zu %zu %zu %zu %zu %lld %ld %n",
	    &s->start, &s->end, &s->exit, &s->counts.adds, &s->counts.modifies,
	    &s->counts.deletes, &s->counts.skipped, &s->counts.errors,
	    &s->last_ok, &s->failures, &off) < 10)
		return 0;
	snprintf(s->msg, sizeof(s->msg), "%s", buf + off);
	return 1;
}

/* A connector's own stages: its cycle slot. */
static int
own_stages(struct gw_connector *c, struct gw_cycle *cy, void *arg,
    struct gw_err *err)
{
	(void)arg;
	return c->ops->cycle(c, cy, err);
}

int
connector_cycle(struct gw_connector *c, struct gw_cycle *cy,
    struct gw_err *err)
{
	return connector_cycle_with(c, cy, own_stages, NULL, err);
}

int
connector_cycle_with(struct gw_connector *c, struct gw_cycle *cy,
    connector_stages stages, void *arg, struct gw_err *err)
{
	struct gw_cycle_status st;
	int fd = -1, rc = -1;

	struct gw_cycle_status prev;
	struct gw_txn *txn;
	struct gw_err ignored;

	if (connector_lock(cy->conf->state_dir, c->name, &fd, err) == -1)
		return -1;
	memset(&st, 0, sizeof(st));
	memset(&prev, 0, sizeof(prev));
	gw_err_init(&ignored);
	if (state_begin(cy->state, 0, &txn, &ignored) == 0) {
		(void)connector_status_get(txn, c->name, &prev, &ignored);
		state_abort(txn);
	}
	memset(&cy->counts, 0, sizeof(cy->counts));
	st.start = (long long)time(NULL);
	if (!cy->dry_run && cy->gal != NULL &&
	    gal_audit_open(cy->gal, cy->conf->state_dir, c->name, &ignored) == -1)
		evlog_emit(cy->ev, EV_CYCLE_FAILED, GW_SEV_WARNING, c->name,
		    NULL, "no audit LDIF for this cycle: %s", ignored.msg);
	if (!cy->dry_run)
		evlog_emit(cy->ev, EV_CYCLE_START, GW_SEV_INFO, c->name, NULL,
		    "cycle started");
	if (cy->gal != NULL && gw_reform(cy, c->name, err) == -1)
		goto done;
	if (stages(c, cy, arg, err) == -1)
		goto done;
	rc = 0;
done:
	if (cy->gal != NULL)
		gal_audit_close(cy->gal);
	st.end = (long long)time(NULL);
	st.counts = cy->counts;
	st.exit = rc == 0 ? GW_EXIT_OK : err->exit;
	st.last_ok = rc == 0 ? st.end : prev.last_ok;
	st.failures = rc == 0 ? 0 : prev.failures + 1;
	snprintf(st.msg, sizeof(st.msg), "%.500s", rc == 0 ? "ok" : err->msg);
	if (!cy->dry_run) {
		if (rc == 0)
			evlog_emit(cy->ev, EV_CYCLE_OK, GW_SEV_INFO, c->name,
			    NULL, "cycle finished: %zu added, %zu modified, "
			    "%zu deleted, %zu skipped, %zu errors",
			    st.counts.adds, st.counts.modifies,
			    st.counts.deletes, st.counts.skipped,
			    st.counts.errors);
		else
			evlog_emit(cy->ev, err->exit == GW_EXIT_THRESHOLD ?
			    EV_CYCLE_THRESHOLD : EV_CYCLE_FAILED, GW_SEV_ERROR,
			    c->name, NULL, "cycle failed: %s", err->msg);
		status_put(cy, c->name, &st);
	}
	close(fd);
	return rc;
}

void
connector_record_failure(struct gw_cycle *cy, const char *name,
    const struct gw_err *err)
{
	struct gw_cycle_status st, prev;
	struct gw_txn *txn;
	struct gw_err ignored;

	memset(&st, 0, sizeof(st));
	memset(&prev, 0, sizeof(prev));
	gw_err_init(&ignored);
	if (state_begin(cy->state, 0, &txn, &ignored) == 0) {
		(void)connector_status_get(txn, name, &prev, &ignored);
		state_abort(txn);
	}
	st.start = st.end = (long long)time(NULL);
	st.exit = err->exit != 0 ? err->exit : GW_EXIT_RUNTIME;
	st.last_ok = prev.last_ok;
	st.failures = prev.failures + 1;
	snprintf(st.msg, sizeof(st.msg), "%.500s", err->msg);
	evlog_emit(cy->ev, EV_CYCLE_FAILED, GW_SEV_ERROR, name, NULL,
	    "cycle failed: %s", err->msg);
	status_put(cy, name, &st);
}

int
connector_reset(struct gw_connector *c, struct gw_cycle *cy,
    const struct gw_reset *r, struct gw_err *err)
{
	struct gw_txn *txn;
	int fd = -1, rc = -1;

	if (c->ops->reset == NULL)
		return gw_err_set(err, GW_EXIT_USAGE, "connector %s (type %s) "
		    "has nothing to reset", c->name, c->ops->type);
	if (connector_lock(cy->conf->state_dir, c->name, &fd, err) == -1)
		return -1;
	if (state_begin(cy->state, 1, &txn, err) == 0) {
		if (c->ops->reset(c, txn, r, err) == 0)
			rc = state_commit(txn, err);
		else
			state_abort(txn);
	}
	if (rc == 0)
		evlog_emit(cy->ev, EV_RESET, GW_SEV_INFO, c->name, NULL,
		    "reset%s%s%s%s", r->import_all ? " --import-all" : "",
		    r->export_all ? " --export-all" : "",
		    r->requestor != NULL ? " --requestor " : "",
		    r->requestor != NULL ? r->requestor : "");
	close(fd);
	return rc;
}
