#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "failpoint.h"
#include "state.h"

static const char *db_names[GW_DB_COUNT] = {
	"meta", "journal", "entries", "wmark", "shadow", "status"
};

struct gw_state {
	MDB_env	*env;
	MDB_dbi	 dbi[GW_DB_COUNT];
};

struct gw_txn {
	struct gw_state	*st;
	MDB_txn		*txn;
};

void
gw_be64_put(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

uint64_t
gw_be64_get(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static int
mdb_fail(struct gw_err *err, int rc, const char *what)
{
	return gw_err_set(err, GW_EXIT_RUNTIME, "state database: %s: %s", what,
	    mdb_strerror(rc));
}

int
state_open(const char *state_dir, struct gw_state **out, struct gw_err *err)
{
	struct gw_state *st;
	char path[PATH_MAX];
	MDB_txn *txn = NULL;
	MDB_val k, v;
	unsigned char fmt[8];
	int rc, i;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/galgate.mdb", state_dir) >=
	    (int)sizeof(path))
		return gw_err_set(err, GW_EXIT_USAGE, "%s: path too long",
		    state_dir);
	if (mkdir(state_dir, 0750) == -1 && errno != EEXIST)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", state_dir,
		    strerror(errno));
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	st = gw_calloc(1, sizeof(*st));
	if ((rc = mdb_env_create(&st->env)) != 0)
		goto mdb_error;
	mdb_env_set_maxdbs(st->env, GW_DB_COUNT + 2);
	/* sparse: only what is used takes disk */
	mdb_env_set_mapsize(st->env, (size_t)8 << 30);
	if ((rc = mdb_env_open(st->env, path, 0, 0600)) != 0)
		goto mdb_error;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto mdb_error;
	for (i = 0; i < GW_DB_COUNT; i++)
		if ((rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE,
		    &st->dbi[i])) != 0)
			goto mdb_error;
	k.mv_data = (void *)"format";
	k.mv_size = 6;
	rc = mdb_get(txn, st->dbi[GW_DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		gw_be64_put(fmt, GW_STATE_FORMAT);
		v.mv_data = fmt;
		v.mv_size = 8;
		if ((rc = mdb_put(txn, st->dbi[GW_DB_META], &k, &v, 0)) != 0)
			goto mdb_error;
	} else if (rc != 0) {
		goto mdb_error;
	} else if (v.mv_size != 8 ||
	    gw_be64_get(v.mv_data) != GW_STATE_FORMAT) {
		mdb_txn_abort(txn);
		mdb_env_close(st->env);
		free(st);
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: state format "
		    "%llu, this galgate reads format %d", path,
		    v.mv_size == 8 ? (unsigned long long)gw_be64_get(v.mv_data)
		    : 0ULL, GW_STATE_FORMAT);
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		goto mdb_error;
	}
	*out = st;
	return 0;
mdb_error:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st);
	return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
	    mdb_strerror(rc));
}

void
state_close(struct gw_state *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	free(st);
}

int
state_begin(struct gw_state *st, int write, struct gw_txn **out,
    struct gw_err *err)
{
	struct gw_txn *t = gw_calloc(1, sizeof(*t));
	int rc;

	t->st = st;
	if ((rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY,
	    &t->txn)) != 0) {
		free(t);
		*out = NULL;
		return mdb_fail(err, rc, "begin");
	}
	*out = t;
	return 0;
}

int
state_commit(struct gw_txn *t, struct gw_err *err)
{
	int rc;

	GW_FAILPOINT("state-before-commit");
	rc = mdb_txn_commit(t->txn);
	free(t);
	if (rc == 0)
		GW_FAILPOINT("state-committed");
	return rc == 0 ? 0 : mdb_fail(err, rc, "commit");
}

void
state_abort(struct gw_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

int
state_get(struct gw_txn *t, enum gw_db db, const void *key, size_t klen,
    struct gw_value *out, struct gw_err *err)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_get(t->txn, t->st->dbi[db], &k, &v);

	out->ptr = NULL;
	out->len = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return mdb_fail(err, rc, db_names[db]);
	out->ptr = v.mv_data;
	out->len = v.mv_size;
	return 1;
}

int
state_put(struct gw_txn *t, enum gw_db db, const void *key, size_t klen,
    const void *val, size_t vlen, struct gw_err *err)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc = mdb_put(t->txn, t->st->dbi[db], &k, &v, 0);

	return rc == 0 ? 0 : mdb_fail(err, rc, db_names[db]);
}

int
state_del(struct gw_txn *t, enum gw_db db, const void *key, size_t klen,
    struct gw_err *err)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_del(t->txn, t->st->dbi[db], &k, NULL);

	if (rc == 0 || rc == MDB_NOTFOUND)
		return 0;
	return mdb_fail(err, rc, db_names[db]);
}

static int
iter(struct gw_txn *t, enum gw_db db, const void *from, size_t flen,
    size_t plen, state_iter_cb cb, void *arg, struct gw_err *err)
{
	MDB_cursor *cur;
	MDB_val k = { flen, (void *)from }, v;
	struct gw_value kv, vv;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[db], &cur)) != 0)
		return mdb_fail(err, rc, db_names[db]);
	rc = mdb_cursor_get(cur, &k, &v, from == NULL ? MDB_FIRST :
	    MDB_SET_RANGE);
	while (rc == 0) {
		if (plen > 0 && (k.mv_size < plen ||
		    memcmp(k.mv_data, from, plen) != 0))
			break;
		kv.ptr = k.mv_data;
		kv.len = k.mv_size;
		vv.ptr = v.mv_data;
		vv.len = v.mv_size;
		if ((r = cb(arg, &kv, &vv)) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (r == -1)
		return -1;
	if (rc != 0 && rc != MDB_NOTFOUND && r == 0)
		return mdb_fail(err, rc, db_names[db]);
	return 0;
}

int
state_iter(struct gw_txn *t, enum gw_db db, const void *from, size_t flen,
    state_iter_cb cb, void *arg, struct gw_err *err)
{
	return iter(t, db, from, flen, 0, cb, arg, err);
}

int
state_iter_prefix(struct gw_txn *t, enum gw_db db, const void *prefix,
    size_t plen, state_iter_cb cb, void *arg, struct gw_err *err)
{
	return iter(t, db, prefix, plen, plen, cb, arg, err);
}

int
state_del_prefix(struct gw_txn *t, enum gw_db db, const void *prefix,
    size_t plen, struct gw_err *err)
{
	MDB_cursor *cur;
	MDB_val k = { plen, (void *)prefix }, v;
	int rc;

	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[db], &cur)) != 0)
		return mdb_fail(err, rc, db_names[db]);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= plen &&
	    memcmp(k.mv_data, prefix, plen) == 0) {
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
		if (rc == EINVAL || rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return mdb_fail(err, rc, db_names[db]);
	return 0;
}

int
state_get_u64(struct gw_txn *t, enum gw_db db, const char *key, uint64_t *out,
    struct gw_err *err)
{
	struct gw_value v;
	int rc = state_get(t, db, key, strlen(key), &v, err);

	*out = 0;
	if (rc == 1 && v.len == 8)
		*out = gw_be64_get((const unsigned char *)v.ptr);
	return rc;
}

int
state_put_u64(struct gw_txn *t, enum gw_db db, const char *key, uint64_t val,
    struct gw_err *err)
{
	unsigned char b[8];

	gw_be64_put(b, val);
	return state_put(t, db, key, strlen(key), b, 8, err);
}
