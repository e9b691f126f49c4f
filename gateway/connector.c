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

const char *
connector_type_list(void)
{
	static char list[256];
	size_t i;

	list[0] = '\0';
	for (i = 0; builtin[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", list[0] ? ", " : "", builtin[i]->type);
	for (i = 0; i < nextra; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", list[0] ? ", " : "", extra[i]->type);
	if (list[0] == '\0')
		snprintf(list, sizeof(list), "none");
	return list;
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
	if (sec == NULL || sec->ops == NULL)
		return gw_err_set(err, GW_EXIT_USAGE, "no connector '%s' in %s",
		    name, conf->path);
	c->ops = sec->ops;
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

int
connector_cycle(struct gw_connector *c, struct gw_cycle *cy,
    struct gw_err *err)
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
	if (c->ops->import != NULL && c->ops->import(c, cy, err) == -1)
		goto done;
	if (c->ops->export != NULL && c->ops->export(c, cy, err) == -1)
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
	int fd = -1, rc;

	if (c->ops->reset == NULL)
		return gw_err_set(err, GW_EXIT_USAGE, "connector %s (type %s) "
		    "has nothing to reset", c->name, c->ops->type);
	if (connector_lock(cy->conf->state_dir, c->name, &fd, err) == -1)
		return -1;
	rc = c->ops->reset(c, cy, r, err);
	if (rc == 0)
		evlog_emit(cy->ev, EV_RESET, GW_SEV_INFO, c->name, NULL,
		    "reset%s%s%s%s", r->import_all ? " --import-all" : "",
		    r->export_all ? " --export-all" : "",
		    r->requestor != NULL ? " --requestor " : "",
		    r->requestor != NULL ? r->requestor : "");
	close(fd);
	return rc;
}

static size_t
wmark_key(char *buf, size_t len, const char *connector, const char *key)
{
	size_t a = strlen(connector), b = strlen(key);

	if (a + b + 1 > len)
		return 0;
	memcpy(buf, connector, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, key, b);
	return a + b + 1;
}

int
wmark_get(struct gw_txn *txn, const char *connector, const char *key,
    struct gw_value *out, struct gw_err *err)
{
	char k[512];
	size_t n = wmark_key(k, sizeof(k), connector, key);

	if (n == 0)
		return gw_err_set(err, GW_EXIT_RUNTIME, "watermark key too long");
	return state_get(txn, GW_DB_WMARK, k, n, out, err);
}

int
wmark_put(struct gw_txn *txn, const char *connector, const char *key,
    const void *val, size_t len, struct gw_err *err)
{
	char k[512];
	size_t n = wmark_key(k, sizeof(k), connector, key);

	if (n == 0)
		return gw_err_set(err, GW_EXIT_RUNTIME, "watermark key too long");
	return state_put(txn, GW_DB_WMARK, k, n, val, len, err);
}

int
wmark_get_u64(struct gw_txn *txn, const char *connector, const char *key,
    unsigned long long *out, struct gw_err *err)
{
	struct gw_value v;
	int rc = wmark_get(txn, connector, key, &v, err);

	*out = 0;
	if (rc == 1 && v.len == 8)
		*out = gw_be64_get((const unsigned char *)v.ptr);
	return rc;
}

int
wmark_put_u64(struct gw_txn *txn, const char *connector, const char *key,
    unsigned long long val, struct gw_err *err)
{
	unsigned char b[8];

	gw_be64_put(b, val);
	return wmark_put(txn, connector, key, b, 8, err);
}

static size_t
shadow_key(struct gw_buf *b, const char *connector, const void *key,
    size_t klen)
{
	gw_buf_reset(b);
	gw_buf_add(b, connector, strlen(connector) + 1);
	gw_buf_add(b, key, klen);
	return b->len;
}

int
shadow_put(struct gw_txn *txn, const char *connector, const void *key,
    size_t klen, const void *val, size_t vlen, struct gw_err *err)
{
	struct gw_buf k;
	int rc;

	gw_buf_init(&k, 0);
	shadow_key(&k, connector, key, klen);
	rc = state_put(txn, GW_DB_SHADOW, k.buf, k.len, val, vlen, err);
	gw_buf_release(&k);
	return rc;
}

int
shadow_get(struct gw_txn *txn, const char *connector, const void *key,
    size_t klen, struct gw_value *val, struct gw_err *err)
{
	struct gw_buf k;
	int rc;

	gw_buf_init(&k, 0);
	shadow_key(&k, connector, key, klen);
	rc = state_get(txn, GW_DB_SHADOW, k.buf, k.len, val, err);
	gw_buf_release(&k);
	return rc;
}

int
shadow_del(struct gw_txn *txn, const char *connector, const void *key,
    size_t klen, struct gw_err *err)
{
	struct gw_buf k;
	int rc;

	gw_buf_init(&k, 0);
	shadow_key(&k, connector, key, klen);
	rc = state_del(txn, GW_DB_SHADOW, k.buf, k.len, err);
	gw_buf_release(&k);
	return rc;
}

struct shadow_iter_ctx {
	size_t		 plen;
	shadow_cb	 cb;
	void		*arg;
};

static int
shadow_iter_cb(void *arg, const struct gw_value *k, const struct gw_value *v)
{
	struct shadow_iter_ctx *c = arg;

	return c->cb(c->arg, k->ptr + c->plen, k->len - c->plen, v->ptr,
	    v->len);
}

int
shadow_iter(struct gw_txn *txn, const char *connector, shadow_cb cb,
    void *arg, struct gw_err *err)
{
	struct shadow_iter_ctx c = { strlen(connector) + 1, cb, arg };

	return state_iter_prefix(txn, GW_DB_SHADOW, connector,
	    strlen(connector) + 1, shadow_iter_cb, &c, err);
}

int
shadow_iter_from(struct gw_txn *txn, const char *connector, const void *prefix,
    size_t plen, shadow_cb cb, void *arg, struct gw_err *err)
{
	struct shadow_iter_ctx c = { strlen(connector) + 1, cb, arg };
	struct gw_buf k;
	int rc;

	gw_buf_init(&k, 0);
	shadow_key(&k, connector, prefix, plen);
	rc = state_iter_prefix(txn, GW_DB_SHADOW, k.buf, k.len, shadow_iter_cb,
	    &c, err);
	gw_buf_release(&k);
	return rc;
}
