/*
 * GAL -> peers.  Each exported entry (by entryUUID) has a shadow record:
 * its current exported state with the journal USN it belongs to, and the
 * state before that with its USN.  A peer known to hold everything up to
 * USN M needs nothing if cur.usn <= M, a modify (or rekey) with the
 * attributes that differ if it holds prev (prev.usn <= M), else the full
 * state; a gone entry is a delete of its last key.  The shadow moves with
 * the journal, so an incremental cycle reads only the entries that
 * changed; a full exchange (or a new configuration) scans the containers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gal.h"
#include "interorg.h"
#include "journal.h"
#include "recipient.h"
#include "state.h"

/* more changed entries than this are read with one scan, not one by one */
#define IO_BULK		2000

/* ---- bringing the shadow up to the journal ---- */

struct change {
	unsigned char	 uuid[16];
	uint64_t	 usn;
	enum gw_op	 op;
	char		*dn;
	struct io_state	 now;
	int		 have_now;
};

struct changes {
	struct strmap	 byuuid;	/* hex -> struct change */
};

static int
changed_cb(void *arg, const struct journal_rec *r)
{
	struct changes *ch = arg;
	struct change *x;
	char hex[33];

	gw_uuid_hex(r->uuid, hex);
	if ((x = strmap_get(&ch->byuuid, hex)) == NULL) {
		x = gw_calloc(1, sizeof(*x));
		memcpy(x->uuid, r->uuid, 16);
		io_state_init(&x->now);
		strmap_put(&ch->byuuid, hex, x);
	}
	x->usn = r->usn;
	x->op = r->op;
	free(x->dn);
	x->dn = gw_strndup(r->dn, r->dnlen);
	return 0;
}

static void
changes_release(struct changes *ch)
{
	struct strmap_slot *s;
	size_t i = 0;

	while ((s = strmap_next(&ch->byuuid, &i)) != NULL) {
		struct change *x = s->val;

		free(x->dn);
		io_state_release(&x->now);
		free(x);
	}
	strmap_release(&ch->byuuid);
}

/*
 * Puts the shadow's new value for uuid in c->shadow_new, if it changed.
 * A journal record newer than an unchanged state still moves its USN:
 * the state may have been read before that change was journaled, and a
 * peer below the new USN is then sent the (same) state again, which
 * changes nothing there.
 */
static void
shadow_update(struct io_cycle *c, const char *hex, struct io_shadow *old,
    struct io_state *now)
{
	struct io_shadow *s;

	if (old == NULL && !now->alive)
		return;
	if (old != NULL && io_state_equal(&old->cur, now)) {
		if (!now->alive || now->usn <= old->cur.usn)
			return;
		s = gw_calloc(1, sizeof(*s));
		io_state_copy(&s->cur, &old->cur);
		s->cur.usn = now->usn;
		io_state_copy(&s->prev, &old->prev);
		io_shadow_free(strmap_put(&c->shadow_new, hex, s));
		return;
	}
	s = gw_calloc(1, sizeof(*s));
	if (now->alive || old == NULL) {
		s->cur = *now;
		io_state_init(now);
	} else {
		/* gone: it keeps its last key and DN for the delete */
		io_state_copy(&s->cur, &old->cur);
		s->cur.alive = 0;
		s->cur.usn = now->usn;
		gw_record_release(&s->cur.e.attrs);
	}
	if (old != NULL)
		io_state_copy(&s->prev, &old->cur);
	io_shadow_free(strmap_put(&c->shadow_new, hex, s));
}

struct scan {
	struct io_cycle	*c;
	struct strmap	*found;		/* hex uuid -> io_state */
};

static int
scan_cb(void *arg, const struct gw_record *rec)
{
	struct scan *sc = arg;
	struct io_state *st;
	unsigned char u[16];
	struct gw_dn dn;
	struct gw_err err;
	const char *uuid = gw_record_get(rec, "entryUUID");
	char hex[33];

	if (uuid == NULL || gw_uuid_parse(uuid, u) == -1)
		return 0;
	gw_uuid_hex(u, hex);
	if (strmap_has(sc->found, hex))
		return 0;	/* two containers nest */
	gw_dn_init(&dn);
	gw_err_init(&err);
	if (gw_dn_parse_ldap(rec->dn, sc->c->io->suffix, &dn, &err) == -1)
		return 0;
	st = gw_malloc(sizeof(*st));
	io_state_of(sc->c, rec, &dn, 0, 1, st);
	gw_dn_release(&dn);
	strmap_put(sc->found, hex, st);
	return 0;
}

struct rebuild {
	struct io_cycle	*c;
	struct strmap	*found;
	struct gw_txn	*txn;
	struct gw_err	*err;
};

static int
rebuild_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct rebuild *rb = arg;
	struct io_shadow *old;
	struct io_state *now, dead;
	char hex[33];

	if (klen != 17 || ((const char *)key)[0] != 'u')
		return 0;
	gw_uuid_hex((const unsigned char *)key + 1, hex);
	if ((old = io_shadow_decode(val, vlen)) == NULL)
		return 0;
	now = strmap_get(rb->found, hex);
	if (now == NULL) {
		struct journal_entry je;

		io_state_init(&dead);
		dead.valid = 1;
		dead.usn = journal_entry_get(rb->txn,
		    (const unsigned char *)key + 1, &je, rb->err) == 1 ?
		    je.usn : rb->c->head;
		shadow_update(rb->c, hex, old, &dead);
		io_state_release(&dead);
	} else {
		struct journal_entry je;

		now->usn = journal_entry_get(rb->txn,
		    (const unsigned char *)key + 1, &je, rb->err) == 1 ?
		    je.usn : rb->c->head;
		shadow_update(rb->c, hex, old, now);
		io_state_release(now);
		free(now);
		strmap_put(rb->found, hex, NULL);
	}
	io_shadow_free(old);
	return 0;
}

/* Every exported entry read from its container: first run, new config. */
static int
rebuild(struct io_cycle *c, struct gw_err *err)
{
	struct strmap found;
	struct strmap_slot *s;
	struct scan sc = { c, &found };
	struct rebuild rb;
	struct gw_txn *txn = NULL;
	size_t i, k;
	int missing, rc = -1;
	const struct gw_container *ct;
	const char **attrs = io_read_attrs();

	strmap_init(&found);
	for (i = 0; i < c->io->nexp + (c->io->role == IO_ROLE_MASTER ?
	    c->io->npeer : 0); i++) {
		ct = i < c->io->nexp ? &c->io->exp[i] :
		    &c->io->peer[i - c->io->nexp].imp;
		if (gal_search(c->cy->gal, ct->ldap, GAL_SCOPE_SUB,
		    GW_RCPT_FILTER, attrs, scan_cb, &sc, &missing, err) == -1)
			goto done;
		if (missing && i < c->io->nexp) {
			gw_err_set(err, GW_EXIT_RUNTIME, "export container %s "
			    "does not exist (run galgate init?)", ct->x500);
			goto done;
		}
	}
	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		goto done;
	rb.c = c;
	rb.found = &found;
	rb.txn = txn;
	rb.err = err;
	if (shadow_iter(txn, c->io->name, rebuild_cb, &rb, err) == -1)
		goto done;
	/* entries the shadow did not know */
	k = 0;
	while ((s = strmap_next(&found, &k)) != NULL) {
		struct io_state *now = s->val;
		struct journal_entry je;
		unsigned char u[16];

		if (now == NULL)
			continue;
		if (now->alive && gw_uuid_parse(s->key, u) == 0 &&
		    journal_entry_get(txn, u, &je, err) == 1) {
			/* not journaled yet: the journal brings it next time */
			now->usn = je.usn;
			shadow_update(c, s->key, NULL, now);
		}
		io_state_release(now);
		free(now);
		s->val = NULL;
	}
	c->rebuilt = 1;
	rc = 0;
done:
	state_abort(txn);
	k = 0;
	while ((s = strmap_next(&found, &k)) != NULL)
		if (s->val != NULL) {
			io_state_release(s->val);
			free(s->val);
		}
	strmap_release(&found);
	free(attrs);
	return rc;
}

int
io_shadow_refresh(struct io_cycle *c, int force, struct gw_err *err)
{
	struct changes ch;
	struct strmap_slot *s;
	struct gw_txn *txn = NULL;
	struct gw_dn dn;
	struct gw_err one;
	struct gw_value v;
	uint64_t shadow_usn;
	unsigned long long su;
	unsigned char key[17];
	size_t i;
	int rc = -1, found;
	const char **attrs = io_read_attrs();

	strmap_init(&ch.byuuid);
	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		goto done;
	if (journal_head(txn, &c->head, &c->floor, err) == -1 ||
	    wmark_get_u64(txn, c->io->name, "journal_usn", &su, err) == -1)
		goto done;
	shadow_usn = su;
	if (force || shadow_usn == 0 || shadow_usn < c->floor) {
		state_abort(txn);
		txn = NULL;
		rc = rebuild(c, err);
		goto done;
	}
	if (journal_iter(txn, shadow_usn, changed_cb, &ch, err) == -1)
		goto done;
	state_abort(txn);
	txn = NULL;
	if (ch.byuuid.n > IO_BULK) {
		/* a scan is cheaper than that many reads */
		rc = rebuild(c, err);
		c->rebuilt = 0;
		goto done;
	}
	/* the entries as they are now: one read each */
	i = 0;
	while ((s = strmap_next(&ch.byuuid, &i)) != NULL) {
		struct change *x = s->val;
		struct gw_record rec;

		io_state_init(&x->now);
		x->now.valid = 1;
		x->now.usn = x->usn;
		x->have_now = 1;
		if (x->op == GW_OP_DELETE)
			continue;
		gw_dn_init(&dn);
		gw_err_init(&one);
		if (gw_dn_parse_ldap(x->dn, c->io->suffix, &dn, &one) == -1 ||
		    io_scope_of(c->io, &dn) == NULL) {
			gw_dn_release(&dn);
			continue;
		}
		if ((found = gal_read(c->cy->gal, x->dn, attrs, &rec,
		    err)) == -1) {
			gw_dn_release(&dn);
			goto done;
		}
		if (found)
			io_state_of(c, &rec, &dn, x->usn, 1, &x->now);
		gw_record_release(&rec);
		gw_dn_release(&dn);
	}
	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		goto done;
	i = 0;
	while ((s = strmap_next(&ch.byuuid, &i)) != NULL) {
		struct change *x = s->val;
		struct io_shadow *old = NULL;
		unsigned char k2[17 + 512];
		size_t plen = strlen(c->io->name) + 1;
		int r;

		if (plen + 17 > sizeof(k2))
			continue;
		memcpy(k2, c->io->name, plen);
		io_shadow_key(x->uuid, key);
		memcpy(k2 + plen, key, 17);
		if ((r = state_get(txn, GW_DB_SHADOW, k2, plen + 17, &v,
		    err)) == -1)
			goto done;
		if (r == 1)
			old = io_shadow_decode(v.ptr, v.len);
		shadow_update(c, s->key, old, &x->now);
		io_shadow_free(old);
	}
	rc = 0;
done:
	state_abort(txn);
	changes_release(&ch);
	free(attrs);
	return rc;
}

int
io_shadow_commit(struct io_cycle *c, struct gw_err *err)
{
	struct strmap_slot *s;
	struct gw_txn *txn;
	struct gw_buf b;
	unsigned char key[17], u[16];
	size_t i = 0;

	if (c->cy->dry_run)
		return 0;
	gw_buf_init(&b, 0);
	if (state_begin(c->cy->state, 1, &txn, err) == -1)
		return -1;
	while ((s = strmap_next(&c->shadow_new, &i)) != NULL) {
		if (gw_uuid_parse(s->key, u) == -1)
			continue;
		io_shadow_key(u, key);
		io_shadow_encode(&b, s->val);
		if (shadow_put(txn, c->io->name, key, 17, b.buf, b.len,
		    err) == -1)
			goto fail;
	}
	if (wmark_put_u64(txn, c->io->name, "journal_usn", c->head,
	    err) == -1 || wmark_put(txn, c->io->name, "conf_hash",
	    c->io->conf_hash, 64, err) == -1)
		goto fail;
	gw_buf_release(&b);
	if (state_commit(txn, err) == -1)
		return -1;
	/* the database has it all now: a full selection reads it from there */
	i = 0;
	while ((s = strmap_next(&c->shadow_new, &i)) != NULL)
		io_shadow_free(s->val);
	strmap_release(&c->shadow_new);
	strmap_init(&c->shadow_new);
	return 0;
fail:
	state_abort(txn);
	gw_buf_release(&b);
	return -1;
}

/* ---- what a peer gets ---- */

struct pick {
	struct io_entry	*ent;
	size_t		 n;
};

static void
pick_add(struct pick *pk, struct io_entry *e)
{
	pk->ent = gw_grow(pk->ent, pk->n, sizeof(*pk->ent));
	pk->ent[pk->n++] = *e;
}

static int
excluded(const struct io_state *st, const struct gw_container *ex)
{
	struct gw_dn dn;
	struct gw_err err;
	int r;

	if (ex == NULL || st->e.dn == NULL)
		return 0;
	gw_dn_init(&dn);
	gw_err_init(&err);
	r = gw_dn_parse_x500(st->e.dn, &dn, &err) == 0 &&
	    gw_dn_within(&dn, &ex->dn);
	gw_dn_release(&dn);
	return r;
}

static void
entry_full(struct io_entry *out, const struct io_state *st)
{
	io_entry_init(out);
	out->op = IO_OP_ADD;
	out->usn = st->usn;
	out->key = gw_strdup(st->e.key);
	out->cls = st->e.cls != NULL ? gw_strdup(st->e.cls) : NULL;
	out->dn = st->e.dn != NULL ? gw_strdup(st->e.dn) : NULL;
	gw_record_copy(&out->attrs, &st->e.attrs);
}

/* The record a peer holding everything up to M needs, if any. */
static int
entry_for(const struct io_shadow *s, uint64_t M, struct io_entry *out)
{
	const struct io_state *cur = &s->cur, *prev = &s->prev;
	const char *a, *b;
	size_t i;

	if (cur->usn <= M)
		return 0;
	io_entry_init(out);
	if (!cur->alive) {
		if (cur->e.key == NULL)
			return 0;
		out->op = IO_OP_DELETE;
		out->usn = cur->usn;
		out->key = gw_strdup(cur->e.key);
		out->dn = cur->e.dn != NULL ? gw_strdup(cur->e.dn) : NULL;
		return 1;
	}
	if (!prev->valid || !prev->alive || prev->usn > M) {
		entry_full(out, cur);
		return 1;
	}
	/* the peer holds prev: only what differs */
	out->op = io_str_eq(prev->e.key, cur->e.key) ? IO_OP_MODIFY :
	    IO_OP_REKEY;
	out->usn = cur->usn;
	out->key = gw_strdup(prev->e.key);
	if (out->op == IO_OP_REKEY)
		out->newkey = gw_strdup(cur->e.key);
	out->cls = cur->e.cls != NULL ? gw_strdup(cur->e.cls) : NULL;
	out->dn = cur->e.dn != NULL ? gw_strdup(cur->e.dn) : NULL;
	for (i = 0; io_general[i].io != NULL; i++) {
		a = gw_record_get(&prev->e.attrs, io_general[i].io);
		b = gw_record_get(&cur->e.attrs, io_general[i].io);
		if (!io_str_eq(a, b))
			gw_record_add_str(&out->attrs, io_general[i].io,
			    b != NULL ? b : "");
	}
	return 1;
}

struct select {
	struct io_cycle			*c;
	const struct gw_container	*exclude;
	struct pick			*pk;
	struct strmap			 seen;
	struct gw_txn			*txn;
	struct gw_err			*err;
	uint64_t			 M;
};

static void
offer(struct select *sel, const struct io_shadow *s, int full)
{
	struct io_entry e;

	if (excluded(&s->cur, sel->exclude))
		return;
	if (full) {
		if (!s->cur.alive)
			return;
		entry_full(&e, &s->cur);
		pick_add(sel->pk, &e);
	} else if (entry_for(s, sel->M, &e))
		pick_add(sel->pk, &e);
}

static int
full_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct select *sel = arg;
	struct io_shadow *s, *fresh;
	char hex[33];

	if (klen != 17 || ((const char *)key)[0] != 'u')
		return 0;
	gw_uuid_hex((const unsigned char *)key + 1, hex);
	strmap_put(&sel->seen, hex, (void *)1);
	if ((fresh = strmap_get(&sel->c->shadow_new, hex)) != NULL) {
		offer(sel, fresh, 1);
		return 0;
	}
	if ((s = io_shadow_decode(val, vlen)) == NULL)
		return 0;
	offer(sel, s, 1);
	io_shadow_free(s);
	return 0;
}

static int
incr_cb(void *arg, const struct journal_rec *r)
{
	struct select *sel = arg;
	struct io_shadow *s;
	struct gw_value v;
	unsigned char k[17 + 512];
	size_t plen = strlen(sel->c->io->name) + 1;
	char hex[33];
	int rc;

	gw_uuid_hex(r->uuid, hex);
	if (strmap_has(&sel->seen, hex))
		return 0;
	strmap_put(&sel->seen, hex, (void *)1);
	if ((s = strmap_get(&sel->c->shadow_new, hex)) != NULL) {
		offer(sel, s, 0);
		return 0;
	}
	if (plen + 17 > sizeof(k))
		return 0;
	memcpy(k, sel->c->io->name, plen);
	io_shadow_key(r->uuid, k + plen);
	if ((rc = state_get(sel->txn, GW_DB_SHADOW, k, plen + 17, &v,
	    sel->err)) == -1)
		return -1;
	if (rc == 0 || (s = io_shadow_decode(v.ptr, v.len)) == NULL)
		return 0;
	offer(sel, s, 0);
	io_shadow_free(s);
	return 0;
}

static int
by_usn(const void *a, const void *b)
{
	const struct io_entry *x = a, *y = b;

	if (x->usn != y->usn)
		return (x->usn > y->usn) - (x->usn < y->usn);
	/* a delete before the add that may take its key */
	return (x->op != IO_OP_DELETE) - (y->op != IO_OP_DELETE);
}

int
io_select(struct io_cycle *c, uint64_t M, int full,
    const struct gw_container *exclude, struct io_entry **out, size_t *n,
    struct gw_err *err)
{
	struct pick pk = { NULL, 0 };
	struct select sel;
	struct strmap_slot *s;
	size_t i = 0;
	int rc = -1;

	memset(&sel, 0, sizeof(sel));
	sel.c = c;
	sel.exclude = exclude;
	sel.pk = &pk;
	sel.err = err;
	sel.M = M;
	strmap_init(&sel.seen);
	if (state_begin(c->cy->state, 0, &sel.txn, err) == -1)
		goto done;
	if (full) {
		if (shadow_iter(sel.txn, c->io->name, full_cb, &sel, err) == -1)
			goto done;
		/* new this cycle, not yet in the database */
		while ((s = strmap_next(&c->shadow_new, &i)) != NULL)
			if (!strmap_has(&sel.seen, s->key))
				offer(&sel, s->val, 1);
	} else {
		if (journal_iter(sel.txn, M, incr_cb, &sel, err) == -1)
			goto done;
	}
	if (pk.n > 1)
		qsort(pk.ent, pk.n, sizeof(*pk.ent), by_usn);
	rc = 0;
done:
	state_abort(sel.txn);
	strmap_release(&sel.seen);
	if (rc == -1) {
		io_entries_free(pk.ent, pk.n);
		pk.ent = NULL;
		pk.n = 0;
	}
	*out = pk.ent;
	*n = pk.n;
	return rc;
}
