/*
 * The GAL -> a requestor: the transactions of one SrvTx.
 *
 * A delta reply walks the journal from the requestor's S (journal_iter,
 * so its cost follows the number of changes, never the size of the GAL),
 * keeps the latest record of each entry, reads those entries, and
 * compares what the requestor should hold with what it holds (its "s"
 * shadow): an add, a two-line modify from the old name and address to the
 * new, a delete, or nothing.  A full reply reads the export containers
 * and the other requestors' import containers and starts with R lines.
 * Nothing is stored here: the shadow moves only after the reply is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gal.h"
#include "journal.h"
#include "recipient.h"
#include "pcmail.h"
#include "state.h"
#include "threshold.h"

enum cls {
	CLS_NONE,	/* outside everything sent */
	CLS_OWN,	/* the requestor's own import container */
	CLS_GAL,	/* an export container: the gateway's list */
	CLS_PEER	/* another requestor's import container */
};

/* What the requestor should hold of one entry. */
struct want {
	char		*name;
	char		*addr;
	struct pcm_tpl	*tpl;
	size_t		 ntpl;
	unsigned char	 hash[GW_HASH_LEN];
};

/* The journal's latest record of one entry. */
struct jrec {
	uint64_t	 usn;
	enum gw_op	 op;
	time_t		 time;
	unsigned char	 uuid[16];
	char		*dn;
};

void
pcm_reply_init(struct pcm_reply *r, struct pcm_peer *peer, size_t pi)
{
	memset(r, 0, sizeof(*r));
	r->peer = peer;
	r->pi = pi;
	strmap_init(&r->sent);
}

void
pcm_reply_release(struct pcm_reply *r)
{
	struct strmap_slot *s;
	size_t i = 0;

	for (i = 0; i < r->nout; i++)
		pcm_txn_release(&r->out[i].t);
	free(r->out);
	i = 0;
	while ((s = strmap_next(&r->sent, &i)) != NULL)
		pcm_sent_free(s->val);
	strmap_release(&r->sent);
	for (i = 0; i < r->ntypes; i++)
		free(r->types[i]);
	free(r->types);
	memset(r, 0, sizeof(*r));
}

static void
want_release(struct want *w)
{
	size_t i;

	free(w->name);
	free(w->addr);
	for (i = 0; i < w->ntpl; i++) {
		free(w->tpl[i].prompt);
		free(w->tpl[i].value);
	}
	free(w->tpl);
	memset(w, 0, sizeof(*w));
}

/* Attributes a reply reads: what it sends and what decides it. */
static const char **
read_attrs(struct pcm_cycle *c)
{
	static const int fields[GW_F_COUNT] = { [GW_F_ALIAS] = 1 };
	const char **extra, **a;
	size_t i;

	extra = gw_calloc(c->pc->nprompt + 1, sizeof(*extra));
	for (i = 0; i < c->pc->nprompt; i++)
		extra[i] = c->pc->prompt[i].attr;
	a = gw_recipient_attrs(fields, 0, extra);
	free(extra);
	return a;
}

static int
type_wanted(const struct pcm_reply *r, const char *addr)
{
	size_t tl = strcspn(addr, ":"), i;

	for (i = 0; i < r->ntypes; i++)
		if (strlen(r->types[i]) == tl &&
		    gw_strncaseeq(r->types[i], addr, tl))
			return 1;
	return 0;
}

static enum cls
classify(struct pcm_cycle *c, const struct pcm_reply *r, const char *dnstr)
{
	struct gw_dn dn;
	struct gw_err err;
	enum cls k = CLS_NONE;
	size_t i;

	gw_err_init(&err);
	gw_dn_init(&dn);
	if (gw_dn_parse_ldap(dnstr, c->cy->conf->suffix, &dn, &err) == -1)
		return CLS_NONE;
	for (i = 0; k == CLS_NONE && i < c->pc->npeer; i++)
		if (dn.n > c->pc->peer[i].imp.dn.n &&
		    gw_dn_within(&dn, &c->pc->peer[i].imp.dn))
			k = &c->pc->peer[i] == r->peer ? CLS_OWN : CLS_PEER;
	for (i = 0; k == CLS_NONE && i < c->pc->nexp; i++)
		if (dn.n > c->pc->exp[i].dn.n &&
		    gw_dn_within(&dn, &c->pc->exp[i].dn))
			k = CLS_GAL;
	gw_dn_release(&dn);
	return k;
}

static char *
x500_of(struct pcm_cycle *c, const char *dnstr)
{
	struct gw_dn dn;
	struct gw_err err;
	char *s;

	gw_err_init(&err);
	gw_dn_init(&dn);
	if (gw_dn_parse_ldap(dnstr, c->cy->conf->suffix, &dn, &err) == -1)
		return gw_strdup(dnstr);
	s = gw_dn_x500_str(&dn);
	gw_dn_release(&dn);
	return s;
}

static void
want_templates(struct pcm_cycle *c, const struct pcm_reply *r,
    const struct gw_record *rec, struct want *w)
{
	const char *v;
	size_t i, k, room;
	char *cut;

	if (!r->templates || !pcm_mail_type(w->addr, strcspn(w->addr, ":")))
		return;
	for (i = 0; i < c->pc->nprompt; i++) {
		const struct pcm_prompt *p = &c->pc->prompt[i];

		for (k = 0; k < i; k++)
			if (gw_strcaseeq(c->pc->prompt[k].attr, p->attr))
				break;
		if (k < i || (v = gw_record_get(rec, p->attr)) == NULL ||
		    *v == '\0')
			continue;
		/* "- " prompt "/" value within one line */
		room = PCM_MAX_LINE - 4 - 2 * pcm_cp_len(&c->cp, p->prompt);
		cut = pcm_cp_cut(&c->cp, v, room);
		w->tpl = gw_grow(w->tpl, w->ntpl, sizeof(*w->tpl));
		w->tpl[w->ntpl].prompt = gw_strdup(p->prompt);
		w->tpl[w->ntpl].value = cut;
		w->ntpl++;
	}
}

static void
want_hash(struct want *w)
{
	struct gw_record h;
	struct gw_buf b;
	size_t i;

	gw_record_init(&h);
	gw_buf_init(&b, 0);
	gw_record_add_str(&h, "name", w->name);
	gw_record_add_str(&h, "addr", w->addr);
	for (i = 0; i < w->ntpl; i++) {
		gw_buf_reset(&b);
		gw_buf_add(&b, w->tpl[i].prompt, strlen(w->tpl[i].prompt) + 1);
		gw_buf_addstr(&b, w->tpl[i].value);
		gw_record_add(&h, "tpl", b.buf, b.len);
	}
	gw_record_hash(&h, w->hash);
	gw_record_release(&h);
	gw_buf_release(&b);
}

/*
 * What the requestor should hold of rec: 1 with w filled, 0 if nothing
 * (not a recipient, hidden, a type it did not ask for), -1 on error.
 */
static int
want_of(struct pcm_cycle *c, const struct pcm_reply *r, struct gw_txn *txn,
    enum cls k, const struct gw_record *rec, const unsigned char uuid[16],
    struct want *w, struct gw_err *err)
{
	const char *display, *alias, *name, *mbox, *fk;
	struct gw_recipient rc;
	struct gw_buf b;
	char *who, *rt;
	int rep, ret = 0;

	memset(w, 0, sizeof(*w));
	if (!gw_recipient_visible(rec))
		return 0;
	gw_recipient_from_record(rec, &rc);
	if ((display = rc.field[GW_F_DISPLAY]) == NULL)
		goto done;
	if (k == CLS_GAL) {
		if (!type_wanted(r, "PCM:"))
			goto done;
		/* without an alias, the first cn (that is, the display name) */
		if ((alias = rc.field[GW_F_ALIAS]) == NULL)
			alias = display;
		who = x500_of(c, rec->dn);
		if (pcm_names_get(c, txn, uuid, display, alias, who, &name,
		    &mbox, err) == -1) {
			free(who);
			ret = -1;
			goto done;
		}
		free(who);
		w->name = gw_strdup(name);
		gw_buf_init(&b, 0);
		gw_buf_printf(&b, "PCM:%s/%s/%s", c->pc->net, c->pc->po, mbox);
		w->addr = gw_buf_detach(&b);
	} else {
		fk = rc.foreign_key;
		if (rc.connector == NULL || strcmp(rc.connector, c->pc->name) !=
		    0 || fk == NULL || pcm_check_addr(fk) != NULL ||
		    !type_wanted(r, fk))
			goto done;
		rt = pcm_roundtrip(&c->cp, display, &rep);
		w->name = pcm_cp_cut(&c->cp, rt, PCM_NAME_MAX);
		free(rt);
		w->addr = gw_strdup(fk);
	}
	want_templates(c, r, rec, w);
	want_hash(w);
	ret = 1;
done:
	gw_recipient_release(&rc);
	return ret;
}

static struct pcm_out *
new_out(struct pcm_reply *r, char code, uint64_t seq, time_t when)
{
	struct pcm_out *o;

	r->out = gw_grow(r->out, r->nout, sizeof(*r->out));
	o = &r->out[r->nout++];
	memset(o, 0, sizeof(*o));
	o->t.code = code;
	o->t.numbered = 1;
	o->t.seq = seq;
	o->time = when;
	return o;
}

static void
out_templates(struct pcm_out *o, struct want *w)
{
	/* the transaction takes the template lines over */
	o->t.tpl = w->tpl;
	o->t.ntpl = w->ntpl;
	w->tpl = NULL;
	w->ntpl = 0;
}

static void
sent_set(struct pcm_reply *r, const char *hex, const struct want *w)
{
	struct pcm_sent *st = NULL;

	if (w != NULL) {
		st = gw_calloc(1, sizeof(*st));
		memcpy(st->hash, w->hash, GW_HASH_LEN);
		st->name = gw_strdup(w->name);
		st->addr = gw_strdup(w->addr);
	}
	pcm_sent_free(strmap_put(&r->sent, hex, st));
}

/* What the requestor holds of uuid: 1 (st filled, caller frees), 0, -1. */
static int
sent_lookup(struct pcm_cycle *c, struct pcm_reply *r, struct gw_txn *txn,
    const unsigned char uuid[16], const char *hex, struct pcm_sent **st,
    struct gw_err *err)
{
	struct pcm_sent *o, tmp;
	int rc;

	*st = NULL;
	if (strmap_has(&r->sent, hex)) {
		if ((o = strmap_get(&r->sent, hex)) == NULL)
			return 0;
		*st = gw_calloc(1, sizeof(**st));
		memcpy((*st)->hash, o->hash, GW_HASH_LEN);
		(*st)->name = gw_strdup(o->name);
		(*st)->addr = gw_strdup(o->addr);
		return 1;
	}
	if (r->cleared)
		return 0;
	if ((rc = pcm_sent_get(txn, c->pc->name, r->peer, uuid, &tmp,
	    err)) != 1)
		return rc;
	*st = gw_calloc(1, sizeof(**st));
	**st = tmp;
	return 1;
}

/* ---- delta: the journal after S ---- */

struct collect {
	struct strmap	 idx;		/* hex -> index + 1 */
	struct jrec	*rec;
	size_t		 n;
};

static int
collect_cb(void *arg, const struct journal_rec *jr)
{
	struct collect *co = arg;
	char hex[33];
	size_t i;

	gw_uuid_hex(jr->uuid, hex);
	i = (size_t)(uintptr_t)strmap_get(&co->idx, hex);
	if (i == 0) {
		co->rec = gw_grow(co->rec, co->n, sizeof(*co->rec));
		memset(&co->rec[co->n], 0, sizeof(*co->rec));
		memcpy(co->rec[co->n].uuid, jr->uuid, 16);
		i = ++co->n;
		strmap_put(&co->idx, hex, (void *)(uintptr_t)i);
	}
	/* records come in USN order: the last one is the entry's state */
	i--;
	co->rec[i].usn = jr->usn;
	co->rec[i].op = jr->op;
	co->rec[i].time = jr->time;
	free(co->rec[i].dn);
	co->rec[i].dn = gw_strndup(jr->dn, jr->dnlen);
	return 0;
}

static int
by_usn(const void *a, const void *b)
{
	const struct jrec *x = a, *y = b;

	return (x->usn > y->usn) - (x->usn < y->usn);
}

static int
delta_one(struct pcm_cycle *c, struct pcm_reply *r, struct gw_txn *txn,
    const struct jrec *j, const char **attrs, struct gw_err *err)
{
	struct pcm_sent *st = NULL;
	struct gw_record rec;
	struct want w;
	struct pcm_out *o;
	enum cls k = classify(c, r, j->dn);
	char hex[33];
	int rc, found = 0, have;

	if (k == CLS_OWN)
		return 0;	/* its own changes never go back to it */
	gw_uuid_hex(j->uuid, hex);
	memset(&w, 0, sizeof(w));
	gw_record_init(&rec);
	if ((rc = sent_lookup(c, r, txn, j->uuid, hex, &st, err)) == -1)
		return -1;
	if (j->op == GW_OP_DELETE && k == CLS_GAL &&
	    pcm_names_forget(c, txn, j->uuid, err) == -1)
		goto fail;
	have = 0;
	if (j->op != GW_OP_DELETE && k != CLS_NONE) {
		if ((found = gal_read(c->cy->gal, j->dn, attrs, &rec, err)) ==
		    -1)
			goto fail;
		if (found && (have = want_of(c, r, txn, k, &rec, j->uuid, &w,
		    err)) == -1)
			goto fail;
	}
	if (!have) {
		/* deleted, moved out of scope, hidden: the requestor drops it */
		if (st != NULL) {
			o = new_out(r, 'D', j->usn, j->time);
			o->t.name = gw_strdup(st->name);
			o->t.addr = gw_strdup(st->addr);
			sent_set(r, hex, NULL);
			r->ndel++;
		}
		goto done;
	}
	if (st != NULL && memcmp(st->hash, w.hash, GW_HASH_LEN) == 0)
		goto done;	/* it already holds exactly this */
	if (st != NULL) {
		o = new_out(r, 'M', j->usn, j->time);
		o->t.name = gw_strdup(st->name);
		o->t.addr = gw_strdup(st->addr);
		o->t.new_name = gw_strdup(w.name);
		o->t.new_addr = gw_strdup(w.addr);
		r->nmod++;
	} else {
		o = new_out(r, 'A', j->usn, j->time);
		o->t.name = gw_strdup(w.name);
		o->t.addr = gw_strdup(w.addr);
		r->nadd++;
	}
	sent_set(r, hex, &w);
	out_templates(o, &w);
done:
	pcm_sent_free(st);
	want_release(&w);
	gw_record_release(&rec);
	return 0;
fail:
	pcm_sent_free(st);
	want_release(&w);
	gw_record_release(&rec);
	return -1;
}

/* The journal records after since, up to the head (kept in *head). */
static int
delta(struct pcm_cycle *c, struct pcm_reply *r, uint64_t since,
    uint64_t *head, struct gw_err *err)
{
	struct collect co;
	struct gw_txn *txn;
	const char **attrs = read_attrs(c);
	uint64_t floor;
	size_t i;
	int rc = -1;

	memset(&co, 0, sizeof(co));
	strmap_init(&co.idx);
	if (state_begin(c->cy->state, 0, &txn, err) == -1) {
		free(attrs);
		return -1;
	}
	if (journal_head(txn, head, &floor, err) == -1 ||
	    journal_iter(txn, since, collect_cb, &co, err) == -1)
		goto done;
	if (co.n > 1)
		qsort(co.rec, co.n, sizeof(*co.rec), by_usn);
	for (i = 0; i < co.n; i++)
		if (delta_one(c, r, txn, &co.rec[i], attrs, err) == -1)
			goto done;
	rc = 0;
done:
	state_abort(txn);
	for (i = 0; i < co.n; i++)
		free(co.rec[i].dn);
	free(co.rec);
	strmap_release(&co.idx);
	free(attrs);
	return rc;
}

/* ---- full: everything exported, from LDAP ---- */

struct fentry {
	struct gw_record rec;
	unsigned char	 uuid[16];
	uint64_t	 first_usn, usn;
	time_t		 time;
	enum cls	 k;
	struct want	 w;
	int		 have;
};

struct fctx {
	struct pcm_cycle	*c;
	struct fentry		*e;
	size_t			 n;
	struct strmap		 seen;		/* hex uuid */
	enum cls		 k;
};

static int
full_cb(void *arg, const struct gw_record *rec)
{
	struct fctx *f = arg;
	const char *u = gw_record_get(rec, "entryUUID");
	unsigned char uuid[16];
	char hex[33];

	if (u == NULL || gw_uuid_parse(u, uuid) == -1 ||
	    !gw_recipient_visible(rec))
		return 0;
	gw_uuid_hex(uuid, hex);
	if (strmap_has(&f->seen, hex))
		return 0;	/* two export containers nest */
	strmap_put(&f->seen, hex, (void *)1);
	f->e = gw_grow(f->e, f->n, sizeof(*f->e));
	memset(&f->e[f->n], 0, sizeof(*f->e));
	gw_record_copy(&f->e[f->n].rec, rec);
	memcpy(f->e[f->n].uuid, uuid, 16);
	f->e[f->n].k = f->k;
	f->n++;
	return 0;
}

static int
by_arrival(const void *a, const void *b)
{
	const struct fentry *x = a, *y = b;

	if (x->first_usn != y->first_usn)
		return x->first_usn < y->first_usn ? -1 : 1;
	return strcmp(x->rec.dn, y->rec.dn);
}

static int
by_name(const void *a, const void *b)
{
	const struct fentry *x = a, *y = b;
	int d;

	if (x->have != y->have)
		return y->have - x->have;
	if (!x->have)
		return 0;
	if ((d = strcasecmp(x->w.name, y->w.name)) != 0)
		return d;
	return strcasecmp(x->w.addr, y->w.addr);
}

static void
full_emit(struct pcm_reply *r, struct fentry *e, uint64_t new_s)
{
	struct pcm_out *o;
	char hex[33];

	o = new_out(r, 'A', e->usn != 0 ? e->usn : new_s, e->time);
	o->t.name = gw_strdup(e->w.name);
	o->t.addr = gw_strdup(e->w.addr);
	gw_uuid_hex(e->uuid, hex);
	sent_set(r, hex, &e->w);
	out_templates(o, &e->w);
	r->nadd++;
}

static void
full_replace(struct pcm_reply *r, const char *net, const char *po,
    uint64_t new_s)
{
	struct pcm_out *o = new_out(r, 'R', new_s, time(NULL));
	struct gw_buf b;

	gw_buf_init(&b, 0);
	gw_buf_printf(&b, "PCM:%s/%s", net, po);
	o->t.addr = gw_buf_detach(&b);
}

/* Reads the containers, numbers the entries from the journal. */
static int
full_read(struct pcm_cycle *c, struct gw_txn *txn, struct fctx *f,
    const char *base, enum gal_scope scope, enum cls k, struct gw_err *err)
{
	const char **attrs = read_attrs(c);
	struct journal_entry je;
	size_t from = f->n, i;
	int missing, rc;

	f->k = k;
	rc = gal_search(c->cy->gal, base, scope, GW_RCPT_FILTER, attrs, full_cb,
	    f, &missing, err);
	free(attrs);
	if (rc == -1)
		return -1;
	/* a wrong container must not look like an empty GAL */
	if (missing)
		return gw_err_set(err, GW_EXIT_RUNTIME, "container %s does not "
		    "exist (run galgate init?)", base);
	for (i = from; i < f->n; i++) {
		if (journal_entry_get(txn, f->e[i].uuid, &je, err) == -1)
			return -1;
		f->e[i].first_usn = je.first_usn != 0 ? je.first_usn :
		    UINT64_MAX;
		f->e[i].usn = je.usn;
		f->e[i].time = je.time;
	}
	return 0;
}

static int
full(struct pcm_cycle *c, struct pcm_reply *r, struct gw_err *err)
{
	struct fctx f;
	struct strmap held;
	struct gw_txn *txn;
	struct strmap_slot *s;
	uint64_t head, floor;
	size_t i, p, from;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	f.c = c;
	strmap_init(&f.seen);
	strmap_init(&held);
	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		return -1;
	if (journal_head(txn, &head, &floor, err) == -1 ||
	    pcm_sent_keys(txn, c->pc->name, r->peer, &held, err) == -1)
		goto done;
	r->new_s = head;
	r->cleared = 1;
	/* the gateway's list: names go to the first comer first */
	for (i = 0; i < c->pc->nexp; i++)
		if (full_read(c, txn, &f, c->pc->exp[i].ldap, GAL_SCOPE_SUB,
		    CLS_GAL, err) == -1)
			goto done;
	if (f.n > 1)
		qsort(f.e, f.n, sizeof(*f.e), by_arrival);
	for (i = 0; i < f.n; i++)
		if ((f.e[i].have = want_of(c, r, txn, CLS_GAL, &f.e[i].rec,
		    f.e[i].uuid, &f.e[i].w, err)) == -1)
			goto done;
	if (f.n > 1)
		qsort(f.e, f.n, sizeof(*f.e), by_name);
	if (type_wanted(r, "PCM:"))
		full_replace(r, c->pc->net, c->pc->po, r->new_s);
	for (i = 0; i < f.n && f.e[i].have; i++)
		full_emit(r, &f.e[i], r->new_s);
	/* every other requestor's list, each replaced as a whole */
	for (p = 0; p < c->pc->npeer; p++) {
		struct pcm_peer *q = &c->pc->peer[p];

		if (q == r->peer)
			continue;
		from = f.n;
		if (full_read(c, txn, &f, q->imp.ldap, GAL_SCOPE_ONE,
		    CLS_PEER, err) == -1)
			goto done;
		for (i = from; i < f.n; i++)
			if ((f.e[i].have = want_of(c, r, txn, CLS_PEER,
			    &f.e[i].rec, f.e[i].uuid, &f.e[i].w, err)) == -1)
				goto done;
		if (f.n - from > 1)
			qsort(f.e + from, f.n - from, sizeof(*f.e), by_name);
		if (type_wanted(r, "PCM:"))
			full_replace(r, q->net, q->po, r->new_s);
		for (i = from; i < f.n && f.e[i].have; i++)
			full_emit(r, &f.e[i], r->new_s);
	}
	/* what it holds and gets no more: the R lines take it away */
	i = 0;
	while ((s = strmap_next(&held, &i)) != NULL)
		if (!strmap_has(&r->sent, s->key))
			r->implicit++;
	rc = 0;
done:
	state_abort(txn);
	for (i = 0; i < f.n; i++) {
		gw_record_release(&f.e[i].rec);
		want_release(&f.e[i].w);
	}
	free(f.e);
	strmap_release(&f.seen);
	strmap_release(&held);
	return rc;
}

int
pcm_reply_plan(struct pcm_cycle *c, struct pcm_reply *r, struct gw_err *err)
{
	struct gw_txn *txn;
	uint64_t head, floor;

	if (r->full)
		return full(c, r, err);
	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		return -1;
	if (journal_head(txn, &head, &floor, err) == -1) {
		state_abort(txn);
		return -1;
	}
	state_abort(txn);
	/* records after S were purged, or S is from another journal */
	if (r->from_s < floor || r->from_s > head)
		return 1;
	return delta(c, r, r->from_s, &r->new_s, err);
}

int
pcm_reply_replan(struct pcm_cycle *c, struct pcm_reply *r, struct gw_err *err)
{
	struct strmap_slot *s;
	size_t i;

	for (i = 0; i < r->nout; i++)
		pcm_txn_release(&r->out[i].t);
	free(r->out);
	r->out = NULL;
	r->nout = 0;
	i = 0;
	while ((s = strmap_next(&r->sent, &i)) != NULL)
		pcm_sent_free(s->val);
	strmap_release(&r->sent);
	strmap_init(&r->sent);
	r->nadd = r->nmod = r->ndel = r->implicit = 0;
	return full(c, r, err);
}

int
pcm_reply_extend(struct pcm_cycle *c, struct pcm_reply *r, struct gw_err *err)
{
	uint64_t head;

	if (delta(c, r, r->new_s, &head, err) == -1)
		return -1;
	r->new_s = head;
	return 0;
}

int
pcm_reply_threshold(struct pcm_cycle *c, struct pcm_reply *r,
    struct gw_err *err)
{
	struct gw_deletions d = {
		.ndel = r->ndel + r->implicit,
		.total = (size_t)c->nums[r->pi].exported,
		.event = EV_PCM_THRESHOLD, .what = "entries it holds",
		.hint = "check the export containers, or ",
	};
	char who[300];

	snprintf(who, sizeof(who), "the reply to %s", r->peer->id);
	d.who = who;
	d.scope = who;
	return gw_check_deletions(c->cy, c->pc->name, &c->pc->threshold, &d,
	    err);
}

int
pcm_reply_text(struct pcm_cycle *c, const struct pcm_reply *r,
    struct gw_buf *out, struct gw_err *err)
{
	size_t i, rep = 0;

	for (i = 0; i < r->nout; i++)
		if (pcm_write_txn(out, &r->out[i].t, &c->cp, &rep) == -1)
			return gw_err_set(err, GW_EXIT_RUNTIME, "the reply to %s "
			    "is larger than %zu bytes, or a line of it longer "
			    "than %d", r->peer->id, out->max, PCM_MAX_LINE);
	return 0;
}
