/*
 * The two cycles.  Both read the mailbox first and apply each complete
 * batch, moving that sender's watermark once the LDAP writes are
 * acknowledged and only then marking its messages done (the master only
 * once it has replied); then they bring the shadow of exported entries
 * up to the journal and send.
 *
 * Requestor: apply the master's replies to the import container, send
 * the changes above the acknowledged requestor USN.  Master: apply each
 * requestor's batches to its import container, poll the journal (so what
 * was applied has master USNs), reply to every requestor heard from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "failpoint.h"
#include "interorg.h"
#include "journal.h"
#include "state.h"

#define IO_PURGE_EVERY		86400

/* ---- shared ---- */

static int
wm_get(struct gw_txn *txn, const char *con, const char *key, uint64_t *out,
    struct gw_err *err)
{
	unsigned long long v;

	if (wmark_get_u64(txn, con, key, &v, err) == -1)
		return -1;
	*out = v;
	return 0;
}

/* Several watermarks in one write transaction. */
static int
wm_put(struct io_cycle *c, const char *const *names, const uint64_t *vals,
    size_t n, struct gw_err *err)
{
	struct gw_txn *txn;
	size_t i;

	if (state_begin(c->cy->state, 1, &txn, err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (wmark_put_u64(txn, c->io->name, names[i], vals[i],
		    err) == -1) {
			state_abort(txn);
			return -1;
		}
	return state_commit(txn, err);
}

static void
cycle_init(struct io_cycle *c, struct gw_connector *con, struct gw_cycle *cy)
{
	struct interorg *io = con->priv;

	memset(c, 0, sizeof(*c));
	c->io = io;
	c->cy = cy;
	strmap_init(&c->shadow_new);
	c->heard = gw_calloc(io->npeer + 1, sizeof(*c->heard));
	c->peer_musn = gw_calloc(io->npeer + 1, sizeof(*c->peer_musn));
	c->peer_reload = gw_calloc(io->npeer + 1, sizeof(*c->peer_reload));
}

static void
cycle_release(struct io_cycle *c)
{
	struct strmap_slot *s;
	size_t i = 0;

	io_inbox_release(c);
	while ((s = strmap_next(&c->shadow_new, &i)) != NULL)
		io_shadow_free(s->val);
	strmap_release(&c->shadow_new);
	free(c->heard);
	free(c->peer_musn);
	free(c->peer_reload);
	mailbox_close(c->mb);
}

static int
by_order(const void *a, const void *b)
{
	const struct io_batch *x = *(struct io_batch *const *)a;
	const struct io_batch *y = *(struct io_batch *const *)b;

	return (x->order > y->order) - (x->order < y->order);
}

static void
batches_in_order(struct io_cycle *c)
{
	if (c->nbatches > 1)
		qsort(c->batches, c->nbatches, sizeof(*c->batches), by_order);
}

/*
 * Applies one complete batch to ct (entries at or below floor skipped
 * unless it is full).  0 applied; 1 held back by the deletion threshold
 * (it stays in the mailbox, the cycle ends with exit 4); -1 error.
 */
static int
apply_batch(struct io_cycle *c, struct io_batch *b,
    const struct gw_container *ct, uint64_t floor, const char *peer,
    struct io_apply_result *res, struct gw_err *err)
{
	struct gw_err one;

	memset(res, 0, sizeof(*res));
	gw_err_init(&one);
	if (io_apply(c, ct, &b->all, b->all.hdr.full ? 0 : floor, peer, res,
	    &one) == 0)
		return 0;
	gw_err_set(err, one.exit, "%s", one.msg);
	if (one.exit != GW_EXIT_THRESHOLD)
		return -1;
	c->threshold_hit = 1;
	return 1;
}

/* Marks a batch's messages done and lets go of its entries (large). */
static int
batch_finish(struct io_cycle *c, struct io_batch *b, struct gw_err *err)
{
	if (io_batch_done(c, b, err) == -1)
		return -1;
	io_msg_release(&b->all);
	return 0;
}

/* Is the shadow to be rebuilt: first run, configuration, journal gap. */
static int
need_rebuild(struct io_cycle *c, struct gw_err *err)
{
	struct gw_txn *txn;
	struct gw_value v;
	uint64_t seen;
	int rc, rebuild;

	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		return -1;
	rc = wmark_get(txn, c->io->name, "conf_hash", &v, err);
	rebuild = rc == 0 || (rc == 1 && (v.len != 64 ||
	    memcmp(v.ptr, c->io->conf_hash, 64) != 0));
	if (rc >= 0 && (rc = wm_get(txn, c->io->name, "journal_usn", &seen,
	    err)) == 0 && (rc = journal_head(txn, &c->head, &c->floor,
	    err)) == 0 && seen < c->floor)
		rebuild = 1;
	state_abort(txn);
	return rc == -1 ? -1 : rebuild;
}

/* The shadow brought up to the journal and kept. */
static int
shadow_step(struct io_cycle *c, struct gw_err *err)
{
	int rebuild;

	if ((rebuild = need_rebuild(c, err)) == -1 ||
	    io_shadow_refresh(c, rebuild, err) == -1 ||
	    io_shadow_commit(c, err) == -1)
		return -1;
	return 0;
}

/* Kept copies older than keep_messages go, once a day. */
static void
purge_kept(struct io_cycle *c)
{
	static const char *const name[] = { "last_purge" };
	struct gw_txn *txn;
	struct gw_err err;
	uint64_t last = 0, now = (uint64_t)time(NULL);

	gw_err_init(&err);
	if (c->cy->dry_run || state_begin(c->cy->state, 0, &txn, &err) == -1)
		return;
	(void)wm_get(txn, c->io->name, name[0], &last, &err);
	state_abort(txn);
	if (now < last + IO_PURGE_EVERY)
		return;
	if (mailbox_purge(c->mb, &err) == -1) {
		fprintf(stderr, "galgate: %s: purging kept messages: %s\n",
		    c->io->name, err.msg);
		return;
	}
	(void)wm_put(c, name, &now, 1, &err);
}

/* ---- the requestor ---- */

enum {
	R_MUSN,		/* master_usn: highest master USN applied */
	R_ACKED,	/* acked_rusn: what the master acknowledged */
	R_FULL_RUSN,	/* full_rusn: REQUSN of the full export sent */
	R_EXPORT_FULL,	/* export_full: send everything until acked */
	R_IMPORT_ALL,	/* import_all: RELOAD=YES until a full reply */
	R_COUNT
};

static const char *const rname[R_COUNT] = {
	"master_usn", "acked_rusn", "full_rusn", "export_full", "import_all"
};

static int
requestor_marks(struct io_cycle *c, uint64_t wm[R_COUNT], struct gw_err *err)
{
	struct gw_txn *txn;
	size_t i;

	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		return -1;
	for (i = 0; i < R_COUNT; i++)
		if (wm_get(txn, c->io->name, rname[i], &wm[i], err) == -1) {
			state_abort(txn);
			return -1;
		}
	state_abort(txn);
	return 0;
}

static int
requestor_apply(struct io_cycle *c, struct gw_err *err)
{
	struct interorg *io = c->io;
	struct io_apply_result res;
	uint64_t wm[R_COUNT];
	size_t i;
	int rc;

	batches_in_order(c);
	for (i = 0; i < c->nbatches; i++) {
		struct io_batch *b = c->batches[i];
		const struct io_msg *m = &b->all;

		if (b->have != b->nparts)
			continue;
		if (requestor_marks(c, wm, err) == -1)
			return -1;
		if (m->hdr.full && m->hdr.musn < wm[R_MUSN]) {
			evlog_emit(c->cy->ev, EV_IO_STALE, GW_SEV_INFO,
			    io->name, NULL, "full batch %s (master USN %llu) "
			    "is older than what was applied (%llu): nothing "
			    "done", b->batch, (unsigned long long)m->hdr.musn,
			    (unsigned long long)wm[R_MUSN]);
		} else {
			if ((rc = apply_batch(c, b, &io->imp, wm[R_MUSN],
			    io->peer[0].address, &res, err)) == -1)
				return -1;
			if (rc == 1)
				continue;
			if (m->hdr.musn > wm[R_MUSN])
				wm[R_MUSN] = m->hdr.musn;
			if (m->hdr.full)
				wm[R_IMPORT_ALL] = 0;
			if (res.applied > 0)
				GW_FAILPOINT("interorg-after-apply");
		}
		if (m->has_ack && m->ack > wm[R_ACKED])
			wm[R_ACKED] = m->ack;
		/* a full export is over once its REQUSN is acknowledged */
		if (wm[R_EXPORT_FULL] && wm[R_FULL_RUSN] > 0 && m->has_ack &&
		    m->ack >= wm[R_FULL_RUSN])
			wm[R_EXPORT_FULL] = 0;
		/* the master asks for everything (its Import All) */
		if (m->hdr.reload) {
			wm[R_EXPORT_FULL] = 1;
			wm[R_FULL_RUSN] = 0;
		}
		if (c->cy->dry_run)
			continue;
		if (wm_put(c, rname, wm, R_COUNT, err) == -1 ||
		    batch_finish(c, b, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * What changed since USN since (everything when hdr->full), apart from
 * what lies in exclude, sent to p as one batch under hdr.
 */
static int
select_and_send(struct io_cycle *c, const struct io_peer *p,
    struct io_header *hdr, uint64_t since,
    const struct gw_container *exclude, uint64_t applied,
    struct gw_err *err)
{
	struct io_entry *ent = NULL;
	size_t n = 0;
	int rc;

	if (io_select(c, since, hdr->full, exclude, &ent, &n, err) == -1)
		return -1;
	rc = io_send(c, p, hdr, ent, n, hdr->role == IO_ROLE_MASTER, applied,
	    err);
	io_entries_free(ent, n);
	return rc;
}

static int
requestor_send(struct io_cycle *c, struct gw_err *err)
{
	static const char *const sent[] = { "sent_rusn", "export_full",
	    "full_rusn" };
	struct io_header hdr;
	uint64_t wm[R_COUNT], vals[3];

	if (requestor_marks(c, wm, err) == -1)
		return -1;
	memset(&hdr, 0, sizeof(hdr));
	hdr.role = IO_ROLE_REQUESTOR;
	hdr.org = (char *)c->io->org;
	hdr.musn = wm[R_MUSN];
	hdr.rusn = c->head;
	hdr.full = wm[R_EXPORT_FULL] || c->rebuilt || wm[R_ACKED] == 0 ||
	    wm[R_ACKED] < c->floor;
	hdr.reload = wm[R_IMPORT_ALL] != 0;
	if (select_and_send(c, &c->io->peer[0], &hdr, wm[R_ACKED], NULL, 0,
	    err) == -1)
		return -1;
	GW_FAILPOINT("interorg-after-send");
	/* nothing else moves: only the master's acknowledgement does */
	vals[0] = c->head;
	vals[1] = 1;
	vals[2] = c->head > 0 ? c->head : 1;
	return c->cy->dry_run ? 0 : wm_put(c, sent, vals, hdr.full ? 3 : 1,
	    err);
}

int
io_requestor_cycle(struct gw_connector *con, struct gw_cycle *cy,
    struct gw_err *err)
{
	struct io_cycle c;
	int rc = -1;

	cycle_init(&c, con, cy);
	if (mailbox_open(con->sec, &c.mb, err) == -1 ||
	    io_inbox_read(&c, err) == -1 ||
	    requestor_apply(&c, err) == -1 ||
	    io_inbox_sweep(&c, err) == -1 ||
	    shadow_step(&c, err) == -1 ||
	    requestor_send(&c, err) == -1)
		goto done;
	purge_kept(&c);
	/* a batch held by the threshold: exit 4, the rest was done */
	rc = c.threshold_hit ? -1 : 0;
done:
	cycle_release(&c);
	return rc;
}

/* ---- the master ---- */

static int
peer_mark(struct io_cycle *c, const struct io_peer *p, int which,
    uint64_t *out, struct gw_err *err)
{
	struct gw_txn *txn;
	int rc;

	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		return -1;
	rc = wm_get(txn, c->io->name, p->wm[which], out, err);
	state_abort(txn);
	return rc;
}

static int
master_apply(struct io_cycle *c, int *applied_any, struct gw_err *err)
{
	struct interorg *io = c->io;
	struct io_apply_result res;
	uint64_t applied, vals[2];
	const char *names[2];
	size_t i;
	int rc;

	*applied_any = 0;
	batches_in_order(c);
	for (i = 0; i < c->nbatches; i++) {
		struct io_batch *b = c->batches[i];
		const struct io_msg *m = &b->all;
		struct io_peer *p = &io->peer[b->peer];

		if (b->have != b->nparts)
			continue;
		c->heard[b->peer] = 1;
		c->peer_musn[b->peer] = m->hdr.musn;
		c->peer_reload[b->peer] = m->hdr.reload;
		if (peer_mark(c, p, WM_APPLIED, &applied, err) == -1)
			return -1;
		if (m->hdr.full && m->hdr.rusn < applied) {
			evlog_emit(c->cy->ev, EV_IO_STALE, GW_SEV_INFO,
			    io->name, p->imp.x500, "full batch %s from %s "
			    "(USN %llu) is older than what was applied (%llu): "
			    "nothing done", b->batch, p->address,
			    (unsigned long long)m->hdr.rusn,
			    (unsigned long long)applied);
		} else {
			if ((rc = apply_batch(c, b, &p->imp, applied,
			    p->address, &res, err)) == -1)
				return -1;
			if (rc == 1)
				continue;	/* the reply still goes */
			*applied_any = 1;
			if (m->hdr.rusn > applied)
				applied = m->hdr.rusn;
			if (res.applied > 0)
				GW_FAILPOINT("interorg-master-after-apply");
		}
		if (c->cy->dry_run)
			continue;
		names[0] = p->wm[WM_APPLIED];
		vals[0] = applied;
		/* a full export from it answers a request for one */
		names[1] = p->wm[WM_WANT_RELOAD];
		vals[1] = 0;
		if (wm_put(c, names, vals, m->hdr.full ? 2 : 1, err) == -1)
			return -1;
		/*
		 * Its messages stay in the mailbox until the reply is sent
		 * (master_done): a cycle cut short in between reads them
		 * again, applies nothing twice (the watermark), and still
		 * owes and sends the reply.  Marked done here, they would
		 * be answered only when the requestor writes again.
		 */
		b->answer_first = 1;
		io_msg_release(&b->all);
	}
	return 0;
}

/* The batches answered (or found stale) are done with. */
static int
master_done(struct io_cycle *c, struct gw_err *err)
{
	size_t i;

	for (i = 0; i < c->nbatches; i++)
		if (c->batches[i]->answer_first &&
		    io_batch_done(c, c->batches[i], err) == -1)
			return -1;
	return 0;
}

static int
master_reply(struct io_cycle *c, size_t pi, struct gw_err *err)
{
	struct io_peer *p = &c->io->peer[pi];
	struct io_header hdr;
	uint64_t applied, full_next, want_reload, M = c->peer_musn[pi];
	uint64_t vals[2];
	const char *names[2];

	if (peer_mark(c, p, WM_APPLIED, &applied, err) == -1 ||
	    peer_mark(c, p, WM_FULL_NEXT, &full_next, err) == -1 ||
	    peer_mark(c, p, WM_WANT_RELOAD, &want_reload, err) == -1)
		return -1;
	memset(&hdr, 0, sizeof(hdr));
	hdr.role = IO_ROLE_MASTER;
	hdr.org = (char *)c->io->org;
	hdr.musn = c->head;
	hdr.rusn = applied;
	/* everything if it asked, is new, or is older than the journal */
	hdr.full = c->peer_reload[pi] || M == 0 || M < c->floor ||
	    full_next || c->rebuilt;
	hdr.reload = want_reload != 0;
	if (select_and_send(c, p, &hdr, M, &p->imp, applied, err) == -1)
		return -1;
	GW_FAILPOINT("interorg-master-after-send");
	names[0] = p->wm[WM_FULL_NEXT];
	vals[0] = 0;
	names[1] = p->wm[WM_LAST_MUSN];
	vals[1] = c->head;
	return c->cy->dry_run ? 0 : wm_put(c, names, vals, 2, err);
}

int
io_master_cycle(struct gw_connector *con, struct gw_cycle *cy,
    struct gw_err *err)
{
	struct journal_stats js;
	struct io_cycle c;
	const char *name;
	uint64_t one = 1;
	size_t i;
	int applied_any = 0, rc = -1;

	cycle_init(&c, con, cy);
	if (mailbox_open(con->sec, &c.mb, err) == -1 ||
	    io_inbox_read(&c, err) == -1 ||
	    master_apply(&c, &applied_any, err) == -1 ||
	    io_inbox_sweep(&c, err) == -1)
		goto done;
	/* what was just applied gets its master USNs before the replies */
	if (applied_any && !cy->dry_run &&
	    journal_poll(cy->conf, cy->gal, cy->state, cy->ev, &js, err) == -1)
		goto done;
	if (shadow_step(&c, err) == -1)
		goto done;
	GW_FAILPOINT("interorg-master-replying");
	for (i = 0; i < c.io->npeer; i++)
		if (c.heard[i] && master_reply(&c, i, err) == -1)
			goto done;
	if (master_done(&c, err) == -1)
		goto done;
	/* after a rebuild the peers not heard from get a full reply later */
	for (i = 0; c.rebuilt && !cy->dry_run && i < c.io->npeer; i++) {
		name = c.io->peer[i].wm[WM_FULL_NEXT];
		if (!c.heard[i] && wm_put(&c, &name, &one, 1, err) == -1)
			goto done;
	}
	purge_kept(&c);
	rc = c.threshold_hit ? -1 : 0;
done:
	cycle_release(&c);
	return rc;
}
