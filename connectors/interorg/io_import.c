/*
 * Records -> GAL.  A batch's entries become recipients (recipient.h) in
 * one import container: RDN cn=<key>, the display name the first cn
 * value, mail and the "SMTP:" proxy the key, the sender's X.500 DN kept
 * as an "X500:" proxy (so a changed key still finds its entry), the
 * General-page attributes as FORMATS.md's table says.  The whole batch
 * is planned against a view of the GAL first, the deletion threshold
 * checked, then written; only entries this connector made are ever
 * changed.  Seed 000: an entry without an SMTP address, or with one
 * another GAL entry holds, is not imported (event 4096) and the rest of
 * the batch goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "gal.h"
#include "io_view.h"
#include "recipient.h"
#include "threshold.h"
#include "tree.h"

/* more records than this: read the container at once */
#define IO_PRELOAD	100
#define IO_WINDOW	32

/* the attributes galgate manages on what it imports: IOSYNC-1's fields */
static const char *const *
managed(void)
{
	static const char **m;
	int filled[GW_F_COUNT], f;

	if (m == NULL) {
		for (f = 0; f < GW_F_COUNT; f++)
			filled[f] = f != GW_F_FAX && f != GW_F_DESCRIPTION;
		m = gw_recipient_managed(filled);
	}
	return m;
}

/* ---- building entries ---- */

/* The recipient type an IOSYNC-1 class names (FORMATS.md). */
static void
set_type(struct gw_recipient *rc, const char *cls)
{
	rc->type = GW_RCPT_MAILBOX;
	rc->foreign_list = 0;
	if (cls == NULL)
		return;
	if (gw_strcaseeq(cls, "custom"))
		rc->type = GW_RCPT_CUSTOM;
	else if (gw_strcaseeq(cls, "dl")) {
		/* its members are the sender's: mail goes by its address */
		rc->type = GW_RCPT_DL;
		rc->foreign_list = 1;
	}
}

/*
 * The fields our entry was made with, as the sender gave them: a
 * surname or given name that only repeats what the display name splits
 * into (or, as earlier versions wrote, the whole display name) was
 * derived here, not sent, and is derived again from a new display name.
 */
static void
fields_of(const struct gw_record *rec, struct gw_recipient *rc)
{
	struct gw_recipient have;
	const char *d;
	char *sn, *given;
	int f;

	gw_recipient_from_record(rec, &have);
	gw_recipient_init(rc);
	rc->type = have.type;
	rc->foreign_list = have.foreign_list;
	for (f = 0; f < GW_F_COUNT; f++) {
		rc->field[f] = have.field[f];
		have.field[f] = NULL;
	}
	if (gw_record_get(rec, gw_rcpt_field_attr(GW_F_DISPLAY)) == NULL)
		gw_recipient_set(rc, GW_F_DISPLAY, NULL);
	d = rc->field[GW_F_DISPLAY];
	if (d != NULL) {
		gw_name_split(d, &sn, &given);
		if (rc->field[GW_F_SURNAME] != NULL &&
		    (gw_strcaseeq(rc->field[GW_F_SURNAME], sn) ||
		    gw_strcaseeq(rc->field[GW_F_SURNAME], d)))
			gw_recipient_set(rc, GW_F_SURNAME, NULL);
		if (rc->field[GW_F_GIVEN] != NULL && given != NULL &&
		    gw_strcaseeq(rc->field[GW_F_GIVEN], given))
			gw_recipient_set(rc, GW_F_GIVEN, NULL);
		free(sn);
		free(given);
	}
	if (rc->field[GW_F_SURNAME] != NULL && have.smtp != NULL &&
	    gw_strcaseeq(rc->field[GW_F_SURNAME], have.smtp))
		gw_recipient_set(rc, GW_F_SURNAME, NULL);
	gw_recipient_release(&have);
}

/*
 * The sender's record over rc: each General-page attribute it carries
 * replaces the field (an empty value clears it); a value the attribute's
 * LDAP syntax refuses is left out with a warning.
 */
static void
apply_fields(struct view *v, const struct io_entry *r, const char *key,
    struct gw_recipient *rc)
{
	const struct gw_attr *a;
	const char *val;
	char *dn;
	size_t i;
	int f;

	for (i = 0; i < r->attrs.n; i++) {
		a = &r->attrs.attr[i];
		if (io_general_ldap(a->name) == NULL ||
		    (f = gw_rcpt_field_named(a->name)) < 0)
			continue;
		val = a->n > 0 && a->val[0].len > 0 ? a->val[0].ptr : NULL;
		if (val != NULL && !gw_rcpt_value_ok(f, val)) {
			dn = io_dn_for(v, key);
			evlog_emit(v->c->cy->ev, EV_IO_VALUE_DROPPED,
			    GW_SEV_WARNING, v->c->io->name, dn, "%s: '%s' "
			    "is not a valid %s; left out", key, val,
			    gw_rcpt_field_attr(f));
			free(dn);
			val = NULL;
		}
		gw_recipient_set(rc, f, val);
	}
}

/*
 * The entry of key for recipient rc (its fields set): named by its
 * display name, found by its address (the RDN's value, a further cn),
 * mail and "SMTP:" proxy the key, the sender's X.500 DN an "X500:"
 * proxy.
 */
static void
build(struct view *v, const char *key, const char *cls, const char *src,
    const struct gw_record *had, struct gw_recipient *rc,
    struct gw_record *out)
{
	char *dn = io_dn_for(v, key), *p;

	if (cls != NULL)
		set_type(rc, cls);
	gw_strlist_release(&rc->names);
	gw_strlist_add(&rc->names, key);
	free(rc->smtp);
	rc->smtp = gw_strdup(key);
	gw_strlist_release(&rc->proxies);
	if (src != NULL) {
		p = io_x500_proxy(src);
		gw_strlist_add(&rc->proxies, p);
		free(p);
	}
	rc->trust = -1;
	rc->hidden = 0;
	free(rc->connector);
	rc->connector = gw_strdup(v->c->io->name);
	free(rc->foreign_key);
	rc->foreign_key = gw_strdup(key);
	free(rc->x500);
	rc->x500 = io_x500_for(v, key);
	/* after the sender's DN: the proxy that finds its entry comes first */
	if (had != NULL)
		gw_recipient_keep_x500(rc, had, v->c->cy->conf->organization);
	gw_recipient_to_record(rc, dn, out);
	free(dn);
}

static void
plan(struct view *v, struct gw_change *ch)
{
	v->ch = gw_grow(v->ch, v->nch, sizeof(*v->ch));
	v->ch[v->nch++] = *ch;
}

static void
plan_add(struct view *v, struct gw_record *target)
{
	struct gw_change ch;
	struct ent *e = gw_calloc(1, sizeof(*e));
	char *k = gw_dn_key(target->dn);

	gw_change_init(&ch, GW_OP_ADD, target->dn);
	gw_record_copy(&ch.rec, target);
	plan(v, &ch);
	e->dn = gw_strdup(target->dn);
	gw_record_copy(&e->rec, target);
	e->ours = 1;
	e->seen = 1;
	io_mail_note_record(v, target, k, 1);
	io_x500_note(v, e, k);
	io_ent_free(strmap_put(&v->bydn, k, e));
	free(k);
	v->res->applied++;
}

/* Brings e (ours) to target: the managed attributes that differ. */
static void
plan_update(struct view *v, struct ent *e, struct gw_record *target)
{
	struct gw_change ch;
	char *k = gw_dn_key(e->dn);
	size_t i;

	gw_change_init(&ch, GW_OP_MODIFY, e->dn);
	if (gw_change_diff(&ch, &e->rec, target, managed()) > 0) {
		plan(v, &ch);
		v->res->applied++;
	} else
		gw_change_release(&ch);
	io_mail_note_record(v, &e->rec, k, 0);
	for (i = 0; managed()[i] != NULL; i++)
		gw_record_remove(&e->rec, managed()[i]);
	for (i = 0; i < target->n; i++) {
		size_t j;

		for (j = 0; j < target->attr[i].n; j++)
			gw_record_add(&e->rec, target->attr[i].name,
			    target->attr[i].val[j].ptr,
			    target->attr[i].val[j].len);
	}
	io_mail_note_record(v, &e->rec, k, 1);
	io_x500_note(v, e, k);
	e->seen = 1;
	free(k);
}

static void
plan_delete(struct view *v, struct ent *e)
{
	struct gw_change ch;
	char *k = gw_dn_key(e->dn);

	gw_change_init(&ch, GW_OP_DELETE, e->dn);
	plan(v, &ch);
	io_mail_note_record(v, &e->rec, k, 0);
	e->gone = 1;
	v->ndel++;
	v->res->deleted++;
	free(k);
}

/* The key our entry was made under (caller frees); NULL if none. */
static char *
key_of(const struct gw_record *rec)
{
	struct gw_recipient rc;
	char *k;

	gw_recipient_from_record(rec, &rc);
	k = rc.foreign_key;
	rc.foreign_key = NULL;
	gw_recipient_release(&rc);
	return k;
}

/* Renames e (ours) to the entry of newkey; returns the entry there now. */
static struct ent *
plan_rename(struct view *v, struct ent *e, const char *oldkey,
    const char *newkey)
{
	struct gw_change ch;
	struct ent *n = gw_calloc(1, sizeof(*n));
	char *ok = gw_dn_key(e->dn), *nk;

	gw_change_init(&ch, GW_OP_RENAME, e->dn);
	ch.newrdn = gw_recipient_rdn(newkey);
	plan(v, &ch);
	v->renames = 1;
	n->dn = io_dn_for(v, newkey);
	nk = gw_dn_key(n->dn);
	gw_record_copy(&n->rec, &e->rec);
	gw_recipient_renamed(&n->rec, oldkey, newkey);
	n->ours = 1;
	io_mail_note_record(v, &e->rec, ok, 0);
	io_mail_note_record(v, &n->rec, nk, 1);
	e->gone = 1;
	io_ent_free(strmap_put(&v->bydn, nk, n));
	free(ok);
	free(nk);
	return n;
}

/* ---- one record ---- */

static int
domain_ok(const struct interorg *io, const char *key)
{
	const char *at = strrchr(key, '@');
	size_t i;

	if (io->role == IO_ROLE_MASTER || io->domains == NULL)
		return 1;
	for (i = 0; at != NULL && i < io->ndomains; i++)
		if (gw_strcaseeq(at + 1, io->domains[i]))
			return 1;
	return 0;
}

/* Whether e was made from the sender's entry src (no src: assume so). */
static int
same_source(const struct ent *e, const char *src)
{
	const char *have = gw_recipient_proxy(&e->rec, "X500");

	return src == NULL || have == NULL || gw_strcaseeq(have, src);
}

/* Our entry for key (or made from src under another key): 1, 0, -1. */
static int
find_ours(struct view *v, const char *key, const char *src, struct ent **out)
{
	char *dn = io_dn_for(v, key);
	int rc = io_view_get(v, dn, out);

	free(dn);
	if (rc == -1)
		return -1;
	if (rc == 1 && (*out)->ours)
		return 1;
	return io_view_source(v, src, out);
}

static int
remove_key(struct view *v, const char *key, const char *src)
{
	struct ent *e;
	char *dn = io_dn_for(v, key);
	int rc = io_view_get(v, dn, &e);

	free(dn);
	if (rc == -1)
		return -1;
	/* under its key, unless another entry of the sender took the key */
	if (rc == 1 && e->ours && same_source(e, src)) {
		plan_delete(v, e);
		return 0;
	}
	if ((rc = io_view_source(v, src, &e)) != 1) {
		if (rc == 0)
			v->res->skipped++;
		return rc;
	}
	plan_delete(v, e);
	return 0;
}

static const char *
display_of(const struct io_entry *r)
{
	const char *d = gw_record_get(&r->attrs, IO_KW_DISPLAY);

	return d != NULL ? d : r->key;
}

/*
 * Seed 000, Q250578: the address is another entry's (holder says which):
 * not imported (4096, error); the holder keeps its own data.
 */
static void
report_dup(struct view *v, const struct io_entry *r, const char *key,
    const char *holder)
{
	struct gw_buf why;

	v->refused = 1;
	if (v->retrying)
		return;		/* said when it was refused */
	gw_buf_init(&why, 0);
	(void)gw_buf_printf(&why, "DAPIWrite: the SMTP e-mail address is held "
	    "by another entry (%s); not imported", holder != NULL ? holder :
	    "in this GAL");
	io_event_4096(v->c, GW_SEV_ERROR, r->dn, display_of(r), key, why.buf);
	gw_buf_release(&why);
	v->res->rejected++;
}

/* The holder of a dup made by an earlier record of this batch. */
static void
report_dup_in_batch(struct view *v, const struct io_entry *r,
    const char *key, const struct ent *holder)
{
	struct gw_recipient h;
	struct gw_buf b;
	const char *src = gw_recipient_proxy(&holder->rec, "X500");

	gw_recipient_from_record(&holder->rec, &h);
	gw_buf_init(&b, 0);
	(void)gw_buf_printf(&b, "%s, ObjDistName=%s, earlier in this batch",
	    h.field[GW_F_DISPLAY] != NULL ? h.field[GW_F_DISPLAY] : key,
	    src != NULL ? src : holder->dn);
	report_dup(v, r, key, b.buf);
	gw_buf_release(&b);
	gw_recipient_release(&h);
}

/* add, modify, rekey: the entry of key ends as the record says. */
static int
put_entry(struct view *v, const struct io_entry *r, const char *oldkey,
    const char *key)
{
	struct gw_recipient rc;
	struct gw_record target;
	struct ent *e = NULL, *here;
	char *dn, *self, *who = NULL, *ndn = NULL, *edn = NULL;
	int found, held;

	/* the entry now: under the old key, under the new, by its source */
	if (oldkey != NULL && (found = find_ours(v, oldkey, r->dn, &e)) == -1)
		return -1;
	dn = io_dn_for(v, key);
	if ((found = io_view_get(v, dn, &here)) == -1) {
		free(dn);
		return -1;
	}
	if (found == 1 && !here->ours) {
		free(dn);
		self = io_source_here(v, r->dn);
		ndn = gw_dn_key(here->dn);
		if (self != NULL && strcmp(self, ndn) == 0) {
			/* the sender's entry is in this very GAL */
			v->res->skipped++;
		} else {
			report_dup(v, r, key, here->dn);
		}
		free(self);
		free(ndn);
		return 0;
	}
	if (found == 1 && (here->seen || v->retrying) && !here->gone &&
	    !same_source(here, r->dn)) {
		/*
		 * Q250578: two entries of the batch with one address (or
		 * a parked claimant whose address its holder still has)
		 */
		free(dn);
		report_dup_in_batch(v, r, key, here);
		return 0;
	}
	if (found == 1 && e != NULL && e != here) {
		/* both keys exist: the old one is left over */
		plan_delete(v, e);
		e = here;
	} else if (found == 1)
		e = here;
	else if (e == NULL && (found = io_view_source(v, r->dn, &e)) == -1) {
		free(dn);
		return -1;
	}
	free(dn);
	self = io_source_here(v, r->dn);
	if (e != NULL)
		edn = gw_dn_key(e->dn);
	ndn = io_dn_for(v, key);
	dn = gw_dn_key(ndn);
	free(ndn);
	held = io_view_holder(v, key, dn, edn, self, &who);
	free(edn);
	free(dn);
	if (held == -1) {
		free(self);
		return -1;
	}
	if (held != 0) {
		if (held == 2 && e == NULL)
			v->res->skipped++;
		else
			report_dup(v, r, key, who);
		free(self);
		free(who);
		return 0;
	}
	free(self);
	/* the General-page attributes it ends with */
	if (e != NULL && r->op != IO_OP_ADD)
		fields_of(&e->rec, &rc);
	else
		gw_recipient_init(&rc);
	apply_fields(v, r, key, &rc);
	build(v, key, r->cls, r->dn != NULL ? r->dn : e != NULL ?
	    gw_recipient_proxy(&e->rec, "X500") : NULL, e != NULL ? &e->rec :
	    NULL, &rc, &target);
	gw_recipient_release(&rc);
	if (e == NULL)
		plan_add(v, &target);
	else {
		char *a1 = gw_dn_key(e->dn), *a2 = gw_dn_key(target.dn);
		/* a new key: the entry is renamed, its identity kept */
		if (strcmp(a1, a2) != 0) {
			char *had = key_of(&e->rec);

			e = plan_rename(v, e, had != NULL ? had : oldkey, key);
			free(had);
		}
		free(a1);
		free(a2);
		plan_update(v, e, &target);
	}
	gw_record_release(&target);
	return 0;
}

static int
one_record(struct view *v, const struct io_entry *r)
{
	const struct interorg *io = v->c->io;

	switch (r->op) {
	case IO_OP_DELETE:
		return remove_key(v, r->key, r->dn);
	case IO_OP_REKEY:
		if (!domain_ok(io, r->newkey)) {
			v->outside++;
			return remove_key(v, r->key, r->dn);
		}
		return put_entry(v, r, r->key, r->newkey);
	default:
		if (r->key == NULL) {
			io_event_4096(v->c, GW_SEV_WARNING, r->dn,
			    display_of(r), NULL, "CImportData::PerformImport "
			    "Warning: Failed to find SMTP e-mail address; not "
			    "imported");
			v->res->rejected++;
			return 0;
		}
		if (!domain_ok(io, r->key)) {
			v->outside++;
			return remove_key(v, r->key, r->dn);
		}
		return put_entry(v, r, NULL, r->key);
	}
}

/* ---- refused claimants (io_park.c) ---- */

/* A parked entry with a later record of its sender entry over it. */
static void
merged(const struct io_entry *parked, const struct io_entry *r,
    struct io_entry *out)
{
	const struct gw_attr *a;
	size_t i;

	io_entry_init(out);
	out->op = IO_OP_ADD;
	out->usn = r->usn;
	out->key = gw_strdup(r->op == IO_OP_REKEY && r->newkey != NULL ?
	    r->newkey : r->key != NULL ? r->key : parked->key);
	out->cls = gw_strdup(r->cls != NULL ? r->cls : parked->cls != NULL ?
	    parked->cls : "mailbox");
	out->dn = r->dn != NULL ? gw_strdup(r->dn) : NULL;
	gw_record_copy(&out->attrs, &parked->attrs);
	for (i = 0; i < r->attrs.n; i++) {
		a = &r->attrs.attr[i];
		gw_record_remove(&out->attrs, a->name);
		if (a->n > 0 && a->val[0].len > 0)
			gw_record_add(&out->attrs, a->name, a->val[0].ptr,
			    a->val[0].len);
	}
}

/*
 * One record, with what was parked of its sender entry: a delete drops
 * it; anything else is applied over it, as an add.  A record refused
 * for its address is parked; one that went in is no longer.
 */
static int
record_parking(struct view *v, const struct io_entry *r)
{
	struct io_parked *p = io_park_find(v->park, r->dn);
	struct io_entry m;
	int rc;

	if (p != NULL)
		p->touched = 1;
	if (p != NULL && r->op == IO_OP_DELETE) {
		io_park_drop(p);
		p = NULL;
	}
	v->refused = 0;
	if (p == NULL) {
		if ((rc = one_record(v, r)) == 0 && v->refused &&
		    r->op != IO_OP_DELETE)
			io_park_set(v->park, r);
		return rc;
	}
	merged(&p->e, r, &m);
	if ((rc = one_record(v, &m)) == 0) {
		if (v->refused)
			io_park_set(v->park, &m);
		else
			io_park_drop(p);
	}
	io_entry_release(&m);
	return rc;
}

/* Event 4014: a claimant refused earlier went in, its address free. */
static void
report_free(struct view *v, const struct io_parked *p)
{
	char *dn = io_dn_for(v, p->e.key);

	evlog_emit(v->c->cy->ev, EV_IO_ADDRESS_FREE, GW_SEV_INFO,
	    v->c->io->name, dn, "%s (%s) from %s: SMTP:%s, refused earlier "
	    "because another entry held it, is free now: imported",
	    display_of(&p->e), p->e.dn != NULL ? p->e.dn : "", v->peer,
	    p->e.key);
	free(dn);
}

/*
 * The parked entries no record of this batch concerned: a full batch
 * holds every entry of its sender, so what it lacks is gone there; else
 * each goes in if its address is free now (event 4014), and stays parked
 * without a second event if not.
 */
static int
retry_parked(struct view *v, int full)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < v->park->n; i++) {
		struct io_parked *p = &v->park->v[i];

		if (p->touched || p->dropped)
			continue;
		if (full) {
			io_park_drop(p);
			continue;
		}
		v->refused = 0;
		v->retrying = 1;
		rc = one_record(v, &p->e);
		v->retrying = 0;
		if (rc == 0 && !v->refused) {
			io_park_drop(p);
			if (!v->c->cy->dry_run)
				report_free(v, p);
		}
	}
	return rc;
}

/* ---- applying ---- */

static int
write_plan(struct view *v)
{
	struct gw_apply a = {
		.connector = v->c->io->name, .container = v->ct,
		.managed = managed(),
		.ev_failed = EV_IO_LDAP_FAILED,
		.ev_not_ours = EV_IO_LDAP_FAILED,
		/* a rename and what follows it must keep their order */
		.window = v->renames ? 1 : IO_WINDOW,
	};

	return gw_apply(v->c->cy, &a, v->ch, v->nch, v->err);
}

/* The deletion threshold on a batch's deletions: 0, or -1 (exit 4). */
static int
check_threshold(struct view *v, const struct io_msg *m, struct gw_err *err)
{
	const struct interorg *io = v->c->io;
	struct gw_deletions d = {
		.ndel = v->ndel, .owned_in = v->ct->ldap,
		.event = EV_IO_THRESHOLD, .x500 = v->ct->x500,
		.then = ", the batch waits", .in = v->ct->x500,
	};
	char who[600], what[600];

	snprintf(who, sizeof(who), "batch %s from %s", m->hdr.batch, v->peer);
	snprintf(what, sizeof(what), "entries this connector made in %s",
	    v->ct->x500);
	d.who = who;
	d.what = what;
	return gw_check_deletions(v->c->cy, io->name, &io->threshold, &d, err);
}

int
io_apply(struct io_cycle *c, const struct gw_container *ct,
    const struct io_msg *m, uint64_t floor, const char *peer,
    struct io_apply_result *res, struct gw_err *err)
{
	struct strmap_slot *s;
	struct io_park park;
	struct view v;
	size_t i, ntodo = 0;
	int rc = -1;

	memset(&park, 0, sizeof(park));
	memset(&v, 0, sizeof(v));
	v.c = c;
	v.ct = ct;
	v.peer = peer;
	v.res = res;
	v.err = err;
	strmap_init(&v.bydn);
	strmap_init(&v.byx500);
	strmap_init(&v.mail);
	for (i = 0; i < m->nent; i++)
		if (m->hdr.full || m->ent[i].usn > floor)
			ntodo++;
	if ((m->hdr.full || ntodo > IO_PRELOAD) && io_preload(&v) == -1)
		goto done;
	if (io_park_load(c, peer, &park, err) == -1)
		goto done;
	v.park = &park;
	for (i = 0; i < m->nent; i++) {
		if (!m->hdr.full && m->ent[i].usn <= floor) {
			res->skipped++;	/* applied before: a replay */
			continue;
		}
		if (record_parking(&v, &m->ent[i]) == -1)
			goto done;
	}
	/* the sender's entries still refused: in now if their address is free */
	if (retry_parked(&v, m->hdr.full) == -1)
		goto done;
	if (m->hdr.full) {
		/* what this connector made here and the batch lacks */
		i = 0;
		while ((s = strmap_next(&v.bydn, &i)) != NULL) {
			struct ent *e = s->val;

			if (e != NULL && e->ours && !e->gone && !e->seen)
				plan_delete(&v, e);
		}
	}
	if (v.ndel > 0 && check_threshold(&v, m, err) == -1)
		goto done;
	if (write_plan(&v) == -1)
		goto done;
	if (!c->cy->dry_run && io_park_save(c, peer, &park, err) == -1)
		goto done;
	if (!c->cy->dry_run)
		evlog_emit(c->cy->ev, m->hdr.full ? EV_IO_FULL : EV_IO_APPLIED,
		    GW_SEV_INFO, c->io->name, ct->x500, "applied %sbatch %s "
		    "from %s: %zu entries, %zu changes written, %zu deleted, "
		    "%zu already applied or here, %zu not imported",
		    m->hdr.full ? "full " : "", m->hdr.batch, peer, m->nent,
		    res->applied, res->deleted, res->skipped, res->rejected);
	if (v.outside > 0 && !c->cy->dry_run)
		evlog_emit(c->cy->ev, EV_IO_NOT_IMPORTED, GW_SEV_INFO,
		    c->io->name, ct->x500, "batch %s from %s: %zu entries "
		    "outside import_domains not imported", m->hdr.batch, peer,
		    v.outside);
	c->cy->counts.skipped += res->skipped + res->rejected + v.outside;
	rc = 0;
done:
	io_park_release(&park);
	io_view_release(&v);
	return rc;
}
