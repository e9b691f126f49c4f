/*
 * A requestor's transactions -> LDAP changes in its import container.
 *
 * Every transaction works on a model of the container: the entry of an
 * address is cn=<TYPE:address>,<import container>, read from LDAP when a
 * transaction first names it (or all at once for an R).  Transactions
 * change the model in order; only the net result becomes LDAP changes
 * (deletions, renames, adds, then modifies), so a batch is planned whole
 * before anything is written, and a batch applied twice changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "apply.h"
#include "gal.h"
#include "holders.h"
#include "pcmail.h"
#include "recipient.h"
#include "state.h"
#include "threshold.h"
#include "tree.h"

#define PCM_WINDOW	64	/* LDAP operations in flight */
#define PCM_TXN		500	/* operations per RFC 5805 transaction */
#define PCM_TXN_MIN	20	/* fewer changes go without transactions */
#define PCM_SNAPSHOT_MIN 64	/* more transactions read the container once */

struct pcm_ent {
	char		*key;		/* its address now */
	char		*origin_key;	/* address of the LDAP entry, or NULL */
	char		*origin_dn;
	struct gw_record orig;		/* that entry as read */
	struct gw_record want;		/* what it must become */
	int		 alive;
	int		 marked;	/* an R deletes it unless re-added */
	int		 notours;	/* the entry there is not galgate's */
	int		 unparked;	/* refused before, tried again */
};

enum phase {
	PH_DELETE,
	PH_RENAME,
	PH_ADD,
	PH_MODIFY,
	PH_COUNT
};

struct pcm_import {
	struct pcm_cycle	*c;
	struct pcm_peer		*peer;
	struct strmap		 live;		/* fold(key) -> ent */
	struct strmap		 claimed;	/* fold(origin_key) of ents */
	struct pcm_ent		**ent;
	size_t			 nent;
	int			 snapshot;	/* the container was read whole */
	size_t			 total;		/* our entries in it, if known */
	int			 total_known;
	struct gw_change	*ch[PH_COUNT];
	size_t			 nch[PH_COUNT];
	size_t			 done[PH_COUNT];
	struct strmap		 prompts_unknown;
	size_t			 tpl_ignored;
	struct strmap		 smtp_given;	/* fold(address) made here */
	struct strmap		 named;		/* fold(address) of every
						   transaction planned */
	char			**replaced;	/* the R transactions' ranges */
	size_t			 nreplaced;
	struct strmap		 park;		/* fold(key) -> pcm_parked to
						   keep, or NULL to drop */
};

struct pcm_import *
pcm_import_new(struct pcm_cycle *c, struct pcm_peer *peer)
{
	struct pcm_import *im = gw_calloc(1, sizeof(*im));

	im->c = c;
	im->peer = peer;
	strmap_init(&im->live);
	strmap_init(&im->claimed);
	strmap_init(&im->prompts_unknown);
	strmap_init(&im->smtp_given);
	strmap_init(&im->named);
	strmap_init(&im->park);
	return im;
}

static void
ent_free(struct pcm_ent *e)
{
	free(e->key);
	free(e->origin_key);
	free(e->origin_dn);
	gw_record_release(&e->orig);
	gw_record_release(&e->want);
	free(e);
}

void
pcm_import_free(struct pcm_import *im)
{
	struct strmap_slot *s;
	size_t i, k;

	if (im == NULL)
		return;
	for (i = 0; i < im->nent; i++)
		ent_free(im->ent[i]);
	free(im->ent);
	for (k = 0; k < PH_COUNT; k++)
		gw_changes_free(im->ch[k], im->nch[k]);
	strmap_release(&im->live);
	strmap_release(&im->claimed);
	strmap_release(&im->prompts_unknown);
	strmap_release(&im->smtp_given);
	strmap_release(&im->named);
	for (i = 0; i < im->nreplaced; i++)
		free(im->replaced[i]);
	free(im->replaced);
	i = 0;
	while ((s = strmap_next(&im->park, &i)) != NULL)
		if (s->val != NULL) {
			pcm_parked_release(s->val);
			free(s->val);
		}
	strmap_release(&im->park);
	free(im);
}

static char *
dn_for(struct pcm_import *im, const char *key)
{
	return gw_recipient_dn(key, im->peer->imp.ldap);
}

static char *
x500_for(struct pcm_import *im, const char *key)
{
	return gw_recipient_x500(key, &im->peer->imp.dn);
}

static struct pcm_ent *
ent_add(struct pcm_import *im, const char *key, const struct gw_record *rec)
{
	struct pcm_ent *e = gw_calloc(1, sizeof(*e));
	char *f = gw_fold(key);

	e->key = gw_strdup(key);
	gw_record_init(&e->orig);
	gw_record_init(&e->want);
	if (rec != NULL) {
		e->origin_key = gw_strdup(key);
		e->origin_dn = gw_strdup(rec->dn);
		gw_record_copy(&e->orig, rec);
		gw_record_copy(&e->want, rec);
		e->alive = 1;
		strmap_put(&im->claimed, f, (void *)1);
	}
	strmap_put(&im->live, f, e);
	free(f);
	im->ent = gw_grow(im->ent, im->nent, sizeof(*im->ent));
	im->ent[im->nent++] = e;
	return e;
}

static int
ours(struct pcm_import *im, const struct gw_record *rec)
{
	return gw_recipient_owned(rec, im->c->pc->name, NULL);
}

static int
snapshot_cb(void *arg, const struct gw_record *rec)
{
	struct pcm_import *im = arg;
	const char *fk = gw_recipient_key(rec);
	char *f;

	if (!ours(im, rec))
		return 0;
	im->total++;
	f = gw_fold(fk);
	/* already picked up, or moved away by a modify */
	if (!strmap_has(&im->live, f) && !strmap_has(&im->claimed, f))
		(void)ent_add(im, fk, rec);
	free(f);
	return 0;
}

/* Reads every entry of the container once (for R, and for counts). */
static int
load_snapshot(struct pcm_import *im, struct gw_err *err)
{
	int missing;

	if (im->snapshot)
		return 0;
	im->total = 0;
	/*
	 * A missing container is an empty one: pcm_import_apply creates it
	 * (and what is above it) before its first entry.
	 */
	if (gal_search(im->c->cy->gal, im->peer->imp.ldap, GAL_SCOPE_ONE,
	    GAL_FILTER_ALL, NULL, snapshot_cb, im, &missing, err) == -1)
		return -1;
	im->snapshot = 1;
	im->total_known = 1;
	return 0;
}

/* The model entry of key: 1 found, 0 none, -1 error. */
static int
lookup(struct pcm_import *im, const char *key, struct pcm_ent **out,
    struct gw_err *err)
{
	struct gw_record rec;
	char *f = gw_fold(key), *dn;
	int found;

	*out = strmap_get(&im->live, f);
	if (*out != NULL || im->snapshot || strmap_has(&im->claimed, f)) {
		free(f);
		return *out != NULL;
	}
	free(f);
	dn = dn_for(im, key);
	found = gal_read(im->c->cy->gal, dn, NULL, &rec, err);
	free(dn);
	if (found == -1)
		return -1;
	if (found == 0) {
		gw_record_release(&rec);
		return 0;
	}
	*out = ent_add(im, key, &rec);
	if (!ours(im, &rec)) {
		(*out)->notours = 1;
		(*out)->alive = 0;
	}
	gw_record_release(&rec);
	return 1;
}

/* A new display name: the surname and given name split from it again. */
static void
rcpt_name(struct gw_recipient *r, const char *name)
{
	gw_recipient_set(r, GW_F_DISPLAY, name);
	gw_recipient_set(r, GW_F_SURNAME, NULL);
	gw_recipient_set(r, GW_F_GIVEN, NULL);
}

/* What follows from the address: alias, addresses, key, X.500 DN. */
static void
rcpt_addr(struct pcm_import *im, struct gw_recipient *r, const char *key)
{
	const char *colon = strchr(key, ':'), *rest = colon + 1, *mb;
	size_t tlen = (size_t)(colon - key);
	struct gw_buf b;
	char *alias;

	free(r->smtp);
	r->smtp = NULL;
	gw_strlist_release(&r->proxies);
	gw_strlist_release(&r->names);
	gw_recipient_set(r, GW_F_ALIAS, NULL);
	gw_buf_init(&b, 0);
	if (pcm_mail_type(key, tlen)) {
		mb = strrchr(rest, '/');
		gw_recipient_set(r, GW_F_ALIAS, mb != NULL ? mb + 1 : rest);
		/* MS: is Exchange's name for PC Mail proxies */
		if (tlen == 3 && gw_strncaseeq(key, "PCM", 3))
			gw_buf_printf(&b, "MS:%s", rest);
		else
			gw_buf_printf(&b, "%.*s:%s", (int)tlen, key, rest);
		gw_strlist_add(&r->proxies, b.buf);
	} else if (tlen == 4 && gw_strncaseeq(key, "SMTP", 4)) {
		r->smtp = gw_strdup(rest);
		alias = gw_strndup(rest, strcspn(rest, "@"));
		gw_recipient_set(r, GW_F_ALIAS, alias);
		free(alias);
	} else
		gw_strlist_add(&r->proxies, key);
	gw_buf_release(&b);
	free(r->foreign_key);
	r->foreign_key = gw_strdup(key);
	free(r->x500);
	r->x500 = x500_for(im, key);
	/* the RDN's value: the entry's DN is made from the address */
	gw_strlist_add(&r->names, key);
}

/* Template lines through the prompt table. */
static void
rcpt_templates(struct pcm_import *im, struct gw_recipient *r,
    const struct pcm_txn *t)
{
	const struct pcm_prompt *pr;
	size_t i;
	int f;

	if (t->ntpl == 0)
		return;
	if (!im->peer->templates) {
		im->tpl_ignored += t->ntpl;
		return;
	}
	for (i = 0; i < t->ntpl; i++) {
		if ((pr = pcm_prompt_find(im->c->pc, t->tpl[i].prompt)) ==
		    NULL) {
			strmap_put(&im->prompts_unknown, t->tpl[i].prompt,
			    (void *)1);
			continue;
		}
		/* an empty value removes it; the surname is then derived */
		if ((f = gw_rcpt_field_named(pr->attr)) != -1)
			gw_recipient_set(r, (enum gw_rcpt_field)f,
			    t->tpl[i].value);
	}
}

/*
 * e->want made from r, at the DN of e's key: what galgate manages as the
 * recipient says, every other attribute of the entry as it is.
 */
static void
want_put(struct pcm_import *im, struct pcm_ent *e,
    const struct gw_recipient *r)
{
	const char *const *m = im->c->pc->managed;
	const struct gw_attr *a;
	struct gw_record rec;
	char *dn = dn_for(im, e->key);
	size_t i, j, k;

	gw_recipient_to_record(r, dn, &rec);
	free(dn);
	for (i = 0; i < e->want.n; i++) {
		a = &e->want.attr[i];
		for (k = 0; m[k] != NULL && !gw_strcaseeq(m[k], a->name); k++)
			;
		if (m[k] != NULL)
			continue;
		for (j = 0; j < a->n; j++)
			gw_record_add(&rec, a->name, a->val[j].ptr,
			    a->val[j].len);
	}
	gw_record_release(&e->want);
	e->want = rec;
}

static void
build_new(struct pcm_import *im, struct pcm_ent *e, const char *name,
    const struct pcm_txn *t)
{
	struct gw_recipient r;

	/* an A replaces what galgate wrote; the rest of the entry stays */
	gw_record_release(&e->want);
	if (e->origin_dn != NULL)
		gw_record_copy(&e->want, &e->orig);
	else
		gw_record_init(&e->want);
	gw_recipient_init(&r);
	r.type = GW_RCPT_CUSTOM;
	r.connector = gw_strdup(im->c->pc->name);
	rcpt_name(&r, name);
	rcpt_addr(im, &r, e->key);
	rcpt_templates(im, &r, t);
	want_put(im, e, &r);
	gw_recipient_release(&r);
	e->alive = 1;
	e->marked = 0;
}

static void
event(struct pcm_import *im, int id, enum gw_sev sev, const char *key,
    const char *src, long line, const char *fmt, ...)
    __attribute__((__format__(printf, 7, 8)));

static void
event(struct pcm_import *im, int id, enum gw_sev sev, const char *key,
    const char *src, long line, const char *fmt, ...)
{
	char msg[768], where[400];
	char *x500 = key != NULL ? x500_for(im, key) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), "%s line %ld", src, line);
	else
		snprintf(where, sizeof(where), "%s", src);
	if (!im->c->cy->dry_run)
		evlog_emit(im->c->cy->ev, id, sev, im->c->pc->name, x500,
		    "%s: %s", where, msg);
	else
		fprintf(im->c->cy->out, "# %s: %s\n", where, msg);
	free(x500);
}

/* 1 if the address belongs to a list that is not this requestor's. */
static int
foreign_list(struct pcm_import *im, const char *addr)
{
	const char *rest, *s1, *s2;
	struct pcm_peer *q;
	char net[16], po[16];

	if (strncmp(addr, "PCM:", 4) != 0)
		return 0;
	rest = addr + 4;
	if ((s1 = strchr(rest, '/')) == NULL || (size_t)(s1 - rest) >=
	    sizeof(net))
		return 0;
	s2 = strchr(s1 + 1, '/');
	if (s2 == NULL)
		s2 = s1 + 1 + strlen(s1 + 1);
	if ((size_t)(s2 - s1 - 1) >= sizeof(po))
		return 0;
	memcpy(net, rest, (size_t)(s1 - rest));
	net[s1 - rest] = '\0';
	memcpy(po, s1 + 1, (size_t)(s2 - s1 - 1));
	po[s2 - s1 - 1] = '\0';
	if (gw_strcaseeq(net, im->c->pc->net) && gw_strcaseeq(po,
	    im->c->pc->po))
		return 1;
	q = pcm_peer_find(im->c->pc, net, po);
	return q != NULL && q != im->peer;
}

/* An entry galgate did not make holds the address. */
static void
left_alone(struct pcm_import *im, const struct pcm_txn *t, const char *src)
{
	event(im, EV_PCM_NOT_OURS, GW_SEV_ERROR, t->addr, src, t->line,
	    "an entry galgate did not make holds %s; left alone", t->addr);
	im->c->cy->counts.skipped++;
}

static int
do_add(struct pcm_import *im, const struct pcm_txn *t, const char *src,
    struct gw_err *err)
{
	struct pcm_ent *e;
	int rc;

	if ((rc = lookup(im, t->addr, &e, err)) == -1)
		return -1;
	if (rc == 1 && e->notours) {
		left_alone(im, t, src);
		return 0;
	}
	if (rc == 0)
		e = ent_add(im, t->addr, NULL);
	build_new(im, e, t->name, t);
	return 0;
}

static int
do_delete(struct pcm_import *im, const struct pcm_txn *t, struct gw_err *err)
{
	struct pcm_ent *e;
	int rc;

	if ((rc = lookup(im, t->addr, &e, err)) == -1)
		return -1;
	if (rc == 1 && !e->notours) {
		e->alive = 0;
		e->marked = 0;
	}
	return 0;
}

static int
do_modify(struct pcm_import *im, const struct pcm_txn *t, const char *src,
    struct gw_err *err)
{
	const char *nname = t->new_name != NULL ? t->new_name : t->name;
	const char *naddr = t->new_addr != NULL ? t->new_addr : t->addr;
	struct pcm_ent *e, *other;
	struct pcm_txn as_add;
	struct gw_recipient r;
	char *f;
	int rc, moved = 0;

	if ((rc = lookup(im, t->addr, &e, err)) == -1)
		return -1;
	if (rc == 1 && e->notours) {
		left_alone(im, t, src);
		return 0;
	}
	if (rc == 0 || !e->alive) {
		/* as MS Mail's IMPORT does (KB Q117260): it becomes an add */
		event(im, EV_PCM_MOD_UNKNOWN, GW_SEV_WARNING, naddr, src,
		    t->line, "modify of %s, which is not in the GAL: added as "
		    "%s", t->addr, naddr);
		as_add = *t;
		as_add.name = (char *)nname;
		as_add.addr = (char *)naddr;
		return do_add(im, &as_add, src, err);
	}
	if (!gw_strcaseeq(naddr, e->key)) {
		if ((rc = lookup(im, naddr, &other, err)) == -1)
			return -1;
		if (rc == 1 && (other->alive || other->notours)) {
			event(im, EV_PCM_ADDR_TAKEN, GW_SEV_ERROR, t->addr, src,
			    t->line, "modify of %s to %s: that address is "
			    "already in use; skipped", t->addr, naddr);
			im->c->cy->counts.skipped++;
			return 0;
		}
		/* the entry takes the new address; what was there goes */
		f = gw_fold(e->key);
		strmap_put(&im->live, f, NULL);
		free(f);
		f = gw_fold(naddr);
		strmap_put(&im->live, f, e);
		free(f);
		free(e->key);
		e->key = gw_strdup(naddr);
		moved = 1;
	}
	gw_recipient_from_record(&e->want, &r);
	if (moved)
		rcpt_addr(im, &r, e->key);
	if (strcmp(nname, t->name) != 0 || t->new_name != NULL)
		rcpt_name(&r, nname);
	rcpt_templates(im, &r, t);
	want_put(im, e, &r);
	gw_recipient_release(&r);
	e->marked = 0;
	return 0;
}

/* 1 if an R of range ("TYPE:" or "TYPE:NET/PO") covers the address. */
static int
in_range(const char *key, const char *range)
{
	size_t plen = strlen(range);

	if (!gw_strncaseeq(key, range, plen))
		return 0;
	return range[plen - 1] == ':' || key[plen] == '/';
}

/* R TYPE:[NET/PO]: what is not re-added before the batch ends goes. */
static int
do_replace(struct pcm_import *im, const struct pcm_txn *t, struct gw_err *err)
{
	size_t i;

	if (load_snapshot(im, err) == -1)
		return -1;
	for (i = 0; i < im->nent; i++) {
		struct pcm_ent *e = im->ent[i];

		if (e->alive && !e->notours && in_range(e->key, t->addr))
			e->marked = 1;
	}
	im->replaced = gw_grow(im->replaced, im->nreplaced,
	    sizeof(*im->replaced));
	im->replaced[im->nreplaced++] = gw_strdup(t->addr);
	return 0;
}

static void
note_named(struct pcm_import *im, const char *addr)
{
	char *f;

	if (addr == NULL)
		return;
	f = gw_fold(addr);
	strmap_put(&im->named, f, (void *)1);
	free(f);
}

/* One event for the template lines a batch could not take. */
static void
report_templates(struct pcm_import *im, const char *src)
{
	struct strmap_slot *s;
	struct gw_buf list;
	size_t k = 0;

	if (im->prompts_unknown.n > 0) {
		gw_buf_init(&list, 4096);
		while ((s = strmap_next(&im->prompts_unknown, &k)) != NULL)
			gw_buf_printf(&list, "%s'%s'", list.len > 0 ? ", " : "",
			    s->key);
		event(im, EV_PCM_PROMPT, GW_SEV_WARNING, NULL, src, 0,
		    "template prompts not in the template table, ignored: %s",
		    list.buf != NULL ? list.buf : "");
		gw_buf_release(&list);
		strmap_release(&im->prompts_unknown);
		strmap_init(&im->prompts_unknown);
	}
	if (im->tpl_ignored > 0) {
		event(im, EV_PCM_PROMPT, GW_SEV_INFO, NULL, src, 0, "%zu "
		    "template lines ignored: requestor %s has templates = no",
		    im->tpl_ignored, im->peer->id);
		im->tpl_ignored = 0;
	}
}

int
pcm_import_plan(struct pcm_import *im, const struct pcm_batch *b,
    uint64_t skip_upto, int skip_unnumbered, const char *src,
    size_t *skipped, struct gw_err *err)
{
	const struct pcm_txn *t;
	size_t i;
	int rc = 0;

	*skipped = 0;
	/* an export of a whole postoffice: one search, not a read per line */
	if (b->n > PCM_SNAPSHOT_MIN && load_snapshot(im, err) == -1)
		return -1;
	for (i = 0; rc == 0 && i < b->n; i++) {
		t = &b->txn[i];
		/* already applied: a message delivered twice changes nothing */
		if ((t->numbered && t->seq <= skip_upto) ||
		    (!t->numbered && skip_unnumbered)) {
			(*skipped)++;
			continue;
		}
		if (foreign_list(im, t->addr) || (t->new_addr != NULL &&
		    foreign_list(im, t->new_addr))) {
			event(im, EV_PCM_FOREIGN_LIST, GW_SEV_WARNING, NULL, src,
			    t->line, "%s belongs to the gateway's or another "
			    "requestor's list, not to %s: not taken", t->addr,
			    im->peer->id);
			im->c->cy->counts.skipped++;
			continue;
		}
		if (t->code != 'R') {
			note_named(im, t->addr);
			note_named(im, t->new_addr);
		}
		switch (t->code) {
		case 'A':
			rc = do_add(im, t, src, err);
			break;
		case 'D':
			rc = do_delete(im, t, err);
			break;
		case 'M':
			rc = do_modify(im, t, src, err);
			break;
		case 'R':
			rc = do_replace(im, t, err);
			break;
		default:
			break;
		}
	}
	if (rc == -1)
		return -1;
	/* the end of the batch: an R's list holds only what was re-added */
	for (i = 0; i < im->nent; i++)
		if (im->ent[i]->marked) {
			im->ent[i]->marked = 0;
			im->ent[i]->alive = 0;
		}
	report_templates(im, src);
	return 0;
}

static struct gw_change *
new_change(struct pcm_import *im, enum phase ph, enum gw_op op,
    const char *dn)
{
	struct gw_change *ch;

	im->ch[ph] = gw_grow(im->ch[ph], im->nch[ph], sizeof(*im->ch[ph]));
	ch = &im->ch[ph][im->nch[ph]++];
	gw_change_init(ch, op, dn);
	return ch;
}

/* The first free address of cand, cand2, cand3...: NULL on error. */
static char *
free_address(struct pcm_import *im, const struct pcm_ent *e,
    const char *cand, struct gw_err *err)
{
	char *addr, *f;
	unsigned n;
	int held;

	for (n = 1;; n++) {
		addr = n == 1 ? gw_strdup(cand) : gw_smtp_number(cand, n);
		f = gw_fold(addr);
		held = strmap_has(&im->smtp_given, f);
		/* its own entry holds the address it had: free for it */
		if (!held)
			held = gw_smtp_held(im->c->cy->gal,
			    im->c->cy->conf->suffix, addr, e->origin_dn, NULL,
			    NULL, err);
		if (held == 0) {
			strmap_put(&im->smtp_given, f, (void *)1);
			free(f);
			return addr;
		}
		free(f);
		free(addr);
		if (held == -1)
			return NULL;
	}
}

/*
 * An MS Mail user's SMTP address, from the requestor's smtp_template:
 * made once, when the entry has none, and kept (a new name or MS Mail
 * address does not move it); an address another recipient holds, or one
 * made earlier in this batch, gets a number before the '@'.
 */
static int
assign_smtp(struct pcm_import *im, struct pcm_ent *e, struct gw_err *err)
{
	const char *tmpl = im->peer->smtp_template;
	struct gw_recipient r, had;
	char *sn, *given, *cand;
	int rc = 0;

	if (tmpl == NULL)
		return 0;
	gw_recipient_from_record(&e->want, &r);
	if (r.smtp != NULL || (r.type != GW_RCPT_CUSTOM &&
	    r.type != GW_RCPT_MAILBOX))
		goto done;
	if (e->origin_dn != NULL) {
		gw_recipient_from_record(&e->orig, &had);
		r.smtp = had.smtp;
		had.smtp = NULL;
		gw_recipient_release(&had);
	}
	if (r.smtp == NULL) {
		gw_name_split(r.field[GW_F_DISPLAY] != NULL ?
		    r.field[GW_F_DISPLAY] : "", &sn, &given);
		cand = gw_smtp_expand(tmpl, r.field[GW_F_GIVEN] != NULL ?
		    r.field[GW_F_GIVEN] : given, r.field[GW_F_SURNAME] != NULL ?
		    r.field[GW_F_SURNAME] : sn, r.field[GW_F_INITIALS] != NULL ?
		    r.field[GW_F_INITIALS] : "", r.field[GW_F_ALIAS] != NULL ?
		    r.field[GW_F_ALIAS] : "");
		free(sn);
		free(given);
		if (cand == NULL)
			goto done;
		r.smtp = free_address(im, e, cand, err);
		free(cand);
		if (r.smtp == NULL) {
			rc = -1;
			goto done;
		}
	}
	want_put(im, e, &r);
done:
	gw_recipient_release(&r);
	return rc;
}

/* Sets what the commit does with key's parked entry: rec (a copy), or drop. */
static void
park_set(struct pcm_import *im, const char *key, const struct gw_record *rec)
{
	struct pcm_parked *p = NULL, *old;
	char *f = gw_fold(key);

	if (rec != NULL) {
		p = gw_calloc(1, sizeof(*p));
		p->key = gw_strdup(key);
		gw_record_copy(&p->rec, rec);
	}
	if ((old = strmap_put(&im->park, f, p)) != NULL) {
		pcm_parked_release(old);
		free(old);
	}
	free(f);
}

int
pcm_import_unpark(struct pcm_import *im, struct gw_err *err)
{
	struct pcm_parked *v = NULL;
	struct pcm_ent *e;
	struct gw_txn *txn;
	size_t n = 0, i, k;
	char *f;
	int rc = -1, found, replaced;

	if (state_begin(im->c->cy->state, 0, &txn, err) == -1)
		return -1;
	if (pcm_park_load(txn, im->c->pc->name, im->peer, &v, &n, err) == -1) {
		state_abort(txn);
		goto done;
	}
	state_abort(txn);
	for (i = 0; i < n; i++) {
		f = gw_fold(v[i].key);
		found = strmap_has(&im->named, f);
		free(f);
		for (k = 0, replaced = 0; k < im->nreplaced; k++)
			replaced |= in_range(v[i].key, im->replaced[k]);
		/* the requestor spoke of it again: what it said now decides */
		if (found || replaced) {
			park_set(im, v[i].key, NULL);
			continue;
		}
		if ((found = lookup(im, v[i].key, &e, err)) == -1)
			goto done;
		if (found) {
			/* in the GAL now (a rerun after a crash): done with */
			if (!e->notours)
				park_set(im, v[i].key, NULL);
			continue;
		}
		e = ent_add(im, v[i].key, NULL);
		gw_record_release(&e->want);
		e->want = v[i].rec;
		gw_record_init(&v[i].rec);
		e->alive = 1;
		e->unparked = 1;
	}
	rc = 0;
done:
	for (i = 0; i < n; i++)
		pcm_parked_release(&v[i]);
	free(v);
	return rc;
}

int
pcm_import_park_commit(struct pcm_import *im, struct gw_txn *txn,
    struct gw_err *err)
{
	struct strmap_slot *s;
	struct pcm_parked *p;
	size_t i = 0;

	while ((s = strmap_next(&im->park, &i)) != NULL) {
		p = s->val;
		if (pcm_park_put(txn, im->c->pc->name, im->peer, p != NULL ?
		    p->key : s->key, p != NULL ? &p->rec : NULL, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * One SMTP address, one recipient: a new user whose own address
 * (SMTP:x) another recipient holds, as mail or an smtp: proxy, or one
 * of this batch took first, is not imported (event 3327).  1 refused, 0
 * not, -1 error.
 */
static int
refuse_held(struct pcm_import *im, struct pcm_ent *e, struct gw_err *err)
{
	struct gw_recipient r;
	char *holder = NULL, *f = NULL;
	int held = 0;

	gw_recipient_from_record(&e->want, &r);
	if (r.smtp == NULL)
		goto done;
	f = gw_fold(r.smtp);
	if (strmap_has(&im->smtp_given, f))
		holder = gw_strdup("an entry earlier in this batch");
	else if ((held = gw_smtp_held(im->c->cy->gal, im->c->cy->conf->suffix,
	    r.smtp, NULL, NULL, &holder, err)) == -1)
		goto done;
	if (holder == NULL) {
		strmap_put(&im->smtp_given, f, (void *)1);
		goto done;
	}
	held = 1;
	e->alive = 0;
	/* one event when refused; a parked user still refused stays quiet */
	if (e->unparked)
		goto done;
	event(im, EV_PCM_ADDR_TAKEN, GW_SEV_ERROR, e->key, im->peer->id, 0,
	    "%s (%s): its SMTP address %s is held by %s: not imported; kept, "
	    "and imported once the address is free",
	    r.field[GW_F_DISPLAY] != NULL ? r.field[GW_F_DISPLAY] : "", e->key,
	    r.smtp, holder);
	im->c->cy->counts.skipped++;
	park_set(im, e->key, &e->want);
done:
	free(f);
	free(holder);
	gw_recipient_release(&r);
	return held;
}

int
pcm_import_finish(struct pcm_import *im, struct gw_err *err)
{
	struct gw_change *ch, tmp;
	struct gw_recipient r;
	struct gw_record old;
	size_t i, n;
	char *dn;

	for (i = 0; i < im->nent; i++) {
		struct pcm_ent *e = im->ent[i];

		if (e->notours)
			continue;
		if (!e->alive) {
			if (e->origin_dn != NULL)
				(void)new_change(im, PH_DELETE, GW_OP_DELETE,
				    e->origin_dn);
			continue;
		}
		if (e->origin_dn == NULL) {
			int refused = refuse_held(im, e, err);

			if (refused == -1)
				return -1;
			if (refused)
				continue;
			if (e->unparked) {
				event(im, EV_PCM_ADDR_FREE, GW_SEV_INFO, e->key,
				    im->peer->id, 0, "%s, refused earlier "
				    "because another recipient held its SMTP "
				    "address, is imported: the address is free "
				    "now", e->key);
				park_set(im, e->key, NULL);
			}
		}
		if (assign_smtp(im, e, err) == -1)
			return -1;
		dn = dn_for(im, e->key);
		if (e->origin_dn == NULL) {
			ch = new_change(im, PH_ADD, GW_OP_ADD, dn);
			gw_record_copy(&ch->rec, &e->want);
			free(ch->rec.dn);
			ch->rec.dn = gw_strdup(dn);
			free(dn);
			continue;
		}
		gw_recipient_from_record(&e->want, &r);
		gw_recipient_keep_x500(&r, &e->orig,
		    im->c->cy->conf->organization);
		want_put(im, e, &r);
		gw_recipient_release(&r);
		gw_record_copy(&old, &e->orig);
		if (!gw_strcaseeq(e->origin_key, e->key)) {
			ch = new_change(im, PH_RENAME, GW_OP_RENAME,
			    e->origin_dn);
			ch->newrdn = gw_recipient_rdn(e->key);
			/* deleteoldrdn: the old address leaves cn */
			gw_recipient_renamed(&old, e->origin_key, e->key);
		}
		gw_change_init(&tmp, GW_OP_MODIFY, dn);
		n = gw_change_diff(&tmp, &old, &e->want,
		    (const char *const *)im->c->pc->managed);
		gw_record_release(&old);
		if (n > 0) {
			im->ch[PH_MODIFY] = gw_grow(im->ch[PH_MODIFY],
			    im->nch[PH_MODIFY], sizeof(tmp));
			im->ch[PH_MODIFY][im->nch[PH_MODIFY]++] = tmp;
		} else
			gw_change_release(&tmp);
		free(dn);
	}
	return 0;
}

int
pcm_import_threshold(struct pcm_import *im, struct gw_err *err)
{
	struct pcm_cycle *c = im->c;
	struct gw_deletions d = {
		.ndel = im->nch[PH_DELETE], .total = im->total,
		.event = EV_PCM_THRESHOLD, .x500 = im->peer->imp.x500,
		.what = "entries it has in the GAL",
	};
	char who[300];

	snprintf(who, sizeof(who), "requestor %s", im->peer->id);
	d.who = who;
	d.scope = who;
	if (!im->total_known)
		d.owned_in = im->peer->imp.ldap;
	return gw_check_deletions(c->cy, c->pc->name, &c->pc->threshold, &d,
	    err);
}

void
pcm_import_counts(const struct pcm_import *im, size_t *adds, size_t *mods,
    size_t *dels)
{
	*adds = im->done[PH_ADD];
	/* a rename always comes with its modify: counted once */
	*mods = im->done[PH_MODIFY];
	*dels = im->done[PH_DELETE];
}

int
pcm_import_apply(struct pcm_import *im, struct gw_err *err)
{
	char subject[300];
	struct gw_apply a = {
		.connector = im->c->pc->name, .container = &im->peer->imp,
		.managed = (const char *const *)im->c->pc->managed,
		.ev_failed = EV_PCM_LDAP_FAILED, .ev_not_ours = EV_PCM_NOT_OURS,
		.subject = subject, .window = PCM_WINDOW,
	};
	size_t k, i, n;
	int rc = 0;

	snprintf(subject, sizeof(subject), "requestor %s", im->peer->id);
	/* the phases in order: an address freed before it is reused */
	for (k = 0; rc == 0 && k < PH_COUNT; k++) {
		if ((n = im->nch[k]) == 0)
			continue;
		/*
		 * RFC 5805 transactions only where [gal] transactions = yes
		 * allows them, and only for adds (their addresses were looked
		 * up and found free): slapd 2.5.13 crashes under other ones.
		 */
		a.txn = im->c->cy->conf->transactions && k == PH_ADD &&
		    n >= PCM_TXN_MIN ? PCM_TXN : 0;
		a.ok = gw_calloc(n, sizeof(*a.ok));
		rc = gw_apply(im->c->cy, &a, im->ch[k], n, err);
		for (i = 0; i < n; i++)
			im->done[k] += a.ok[i] != 0;
		free(a.ok);
	}
	return rc;
}
