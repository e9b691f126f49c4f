/*
 * Refused claimants (Q250578).  An entry of a batch whose SMTP address
 * another recipient holds is not imported, and its sender has no reason
 * to send it again until it changes.  The receiving side keeps it, in
 * the connector's shadow database under "p<peer>\0<sender's DN>" (the
 * DN folded; the address where the entry has none), and imports it once
 * the address is free: the holder deleted, or given another address.
 * A later record of the same sender entry replaces or drops it.
 */
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "interorg.h"
#include "state.h"

static void
park_key(struct gw_buf *b, const char *peer, const char *src)
{
	char *f = gw_fold(src);

	gw_buf_reset(b);
	gw_buf_addch(b, 'p');
	gw_buf_add(b, peer, strlen(peer) + 1);
	gw_buf_addstr(b, f);
	free(f);
}

static const char *
src_of(const struct io_entry *e)
{
	return e->dn != NULL ? e->dn : e->key;
}

static void
copy_entry(struct io_entry *dst, const struct io_entry *src)
{
	io_entry_init(dst);
	dst->op = IO_OP_ADD;
	dst->usn = src->usn;
	dst->key = src->key != NULL ? gw_strdup(src->key) : NULL;
	dst->cls = src->cls != NULL ? gw_strdup(src->cls) : NULL;
	dst->dn = src->dn != NULL ? gw_strdup(src->dn) : NULL;
	gw_record_copy(&dst->attrs, &src->attrs);
}

static int
load_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct io_park *pk = arg;
	struct io_shadow *s = io_shadow_decode(val, vlen);
	struct io_parked *p;

	(void)key;
	(void)klen;
	if (s == NULL)
		return 0;	/* not ours to judge: left as it is */
	pk->v = gw_grow(pk->v, pk->n, sizeof(*pk->v));
	p = &pk->v[pk->n++];
	memset(p, 0, sizeof(*p));
	copy_entry(&p->e, &s->cur.e);
	io_shadow_free(s);
	return 0;
}

int
io_park_load(struct io_cycle *c, const char *peer, struct io_park *pk,
    struct gw_err *err)
{
	struct gw_txn *txn;
	struct gw_buf prefix;
	int rc;

	memset(pk, 0, sizeof(*pk));
	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		return -1;
	gw_buf_init(&prefix, 0);
	gw_buf_addch(&prefix, 'p');
	gw_buf_add(&prefix, peer, strlen(peer) + 1);
	rc = shadow_iter_from(txn, c->io->name, prefix.buf, prefix.len,
	    load_cb, pk, err);
	gw_buf_release(&prefix);
	state_abort(txn);
	return rc;
}

struct io_parked *
io_park_find(struct io_park *pk, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && i < pk->n; i++)
		if (!pk->v[i].dropped && gw_strcaseeq(src_of(&pk->v[i].e), src))
			return &pk->v[i];
	return NULL;
}

void
io_park_set(struct io_park *pk, const struct io_entry *e)
{
	struct io_parked *p = io_park_find(pk, src_of(e));

	if (p == NULL) {
		pk->v = gw_grow(pk->v, pk->n, sizeof(*pk->v));
		p = &pk->v[pk->n++];
		memset(p, 0, sizeof(*p));
	} else
		io_entry_release(&p->e);
	copy_entry(&p->e, e);
	p->dirty = 1;
	p->touched = 1;
}

void
io_park_drop(struct io_parked *p)
{
	p->dropped = 1;
	p->dirty = 1;
}

int
io_park_save(struct io_cycle *c, const char *peer, struct io_park *pk,
    struct gw_err *err)
{
	struct io_shadow s;
	struct gw_txn *txn;
	struct gw_buf k, v;
	size_t i, dirty = 0;
	int rc = 0;

	for (i = 0; i < pk->n; i++)
		dirty += pk->v[i].dirty;
	if (dirty == 0)
		return 0;
	if (state_begin(c->cy->state, 1, &txn, err) == -1)
		return -1;
	gw_buf_init(&k, 0);
	gw_buf_init(&v, 0);
	for (i = 0; rc == 0 && i < pk->n; i++) {
		struct io_parked *p = &pk->v[i];

		if (!p->dirty)
			continue;
		park_key(&k, peer, src_of(&p->e));
		if (p->dropped) {
			rc = shadow_del(txn, c->io->name, k.buf, k.len, err);
			continue;
		}
		memset(&s, 0, sizeof(s));
		io_state_init(&s.cur);
		io_state_init(&s.prev);
		s.cur.valid = s.cur.alive = 1;
		s.cur.usn = p->e.usn;
		s.cur.e = p->e;		/* borrowed for the encoding */
		io_shadow_encode(&v, &s);
		rc = shadow_put(txn, c->io->name, k.buf, k.len, v.buf, v.len,
		    err);
	}
	gw_buf_release(&k);
	gw_buf_release(&v);
	if (rc == -1) {
		state_abort(txn);
		return -1;
	}
	return state_commit(txn, err);
}

void
io_park_release(struct io_park *pk)
{
	size_t i;

	for (i = 0; i < pk->n; i++)
		io_entry_release(&pk->v[i].e);
	free(pk->v);
	memset(pk, 0, sizeof(*pk));
}
