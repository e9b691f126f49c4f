/*
 * cc:Mail -> GAL: cc:Mail's users, mailing lists and bulletin boards as
 * entries of the import container.  The shadow remembers, per cc:Mail
 * name, a fingerprint of the source record the entry was made from, its
 * DN, alias and SMTP address: an unchanged export costs one LMDB lookup
 * per entry and no LDAP operation, and aliases and addresses never move
 * once given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "ccmail.h"
#include "gal.h"
#include "holders.h"
#include "recipient.h"
#include "state.h"

/* Bump when the entries made from the same source change shape. */
#define CC_MAPPING_VERSION	"ccmail-mapping-1"

void
cc_owned_free(struct cc_owned *o)
{
	if (o == NULL)
		return;
	free(o->alias);
	free(o->smtp);
	free(o);
}

char *
cc_entry_dn(struct cc_cycle *c, const char *name)
{
	return gw_recipient_dn(name, c->cc->imp.ldap);
}

static char *
entry_x500(struct cc_cycle *c, const char *name)
{
	return gw_recipient_x500(name, &c->cc->imp.dn);
}

/*
 * The DNs a list's members resolve to, one per line, in file order
 * (duplicates kept out); unresolved names go to missing when not NULL.
 */
static void
list_members(struct cc_cycle *c, const struct cc_entry *e, struct gw_buf *dns,
    struct gw_buf *missing)
{
	const struct cc_entry *native;
	struct strmap seen;
	size_t i;
	char *name, *at, *key, *own;
	const char *dn;

	strmap_init(&seen);
	for (i = 0; i < e->nmembers; i++) {
		name = gw_strdup(e->members[i]);
		/* "Name at PO": names are unique, the PO only routes */
		at = strstr(name, " at ");
		while (at != NULL && strstr(at + 4, " at ") != NULL)
			at = strstr(at + 4, " at ");
		if (at != NULL)
			*at = '\0';
		key = gw_fold(gw_trim(name));
		native = strmap_get(&c->exports.taken, key);
		own = NULL;
		if (native != NULL && strchr("LlRr", native->locn) != NULL &&
		    !strmap_has(&c->exports.gal_side, key))
			dn = own = cc_entry_dn(c, native->name);
		else if (native == NULL && strmap_has(&c->to_gal.held_dn, key))
			/* kept as was */
			dn = strmap_get(&c->to_gal.held_dn, key);
		else
			/* the GAL's */
			dn = strmap_get(&c->to_cc.name_dn, key);
		if (dn != NULL && !strmap_has(&seen, key)) {
			strmap_put(&seen, key, (void *)1);
			gw_buf_addstr(dns, dn);
			gw_buf_addch(dns, '\n');
		} else if (dn == NULL && missing != NULL)
			gw_buf_printf(missing, "%s'%s'", missing->len ? ", " :
			    "", e->members[i]);
		free(own);
		free(key);
		free(name);
	}
	strmap_release(&seen);
}

/* Everything the entry is made from, so equal fingerprints = equal entries. */
static void
fingerprint(struct cc_cycle *c, const struct cc_entry *e, const char *alias,
    const char *smtp, unsigned char out[GW_HASH_LEN])
{
	struct gw_buf members;
	char kind[2] = { (char)e->kind, '\0' }, locn[2] = { e->locn, '\0' };
	const char *f[11];

	gw_buf_init(&members, 0);
	if (e->kind == CC_LIST)
		list_members(c, e, &members, NULL);
	f[0] = CC_MAPPING_VERSION;
	f[1] = c->cc->imp.ldap;
	f[2] = c->cc->name;
	f[3] = kind;
	f[4] = e->name;
	f[5] = locn;
	f[6] = e->po;
	f[7] = e->comments;
	f[8] = alias;
	f[9] = smtp;
	f[10] = members.buf;
	gw_hash_fields(f, 11, out);
	gw_buf_release(&members);
}

void
cc_build_record(struct cc_cycle *c, const struct cc_entry *e,
    const char *alias, const char *smtp, struct gw_record *rec)
{
	struct gw_recipient r;
	struct gw_buf proxy, dns;
	char *dn, *p, *nl;

	gw_recipient_init(&r);
	r.type = e->kind == CC_LIST ? GW_RCPT_DL : e->kind == CC_BBOARD ?
	    GW_RCPT_BBOARD : GW_RCPT_MAILBOX;
	gw_recipient_set(&r, GW_F_DISPLAY, e->name);
	dn = cc_entry_dn(c, e->name);
	if (e->kind == CC_LIST) {
		gw_buf_init(&dns, 0);
		list_members(c, e, &dns, NULL);
		for (p = dns.buf; p != NULL && *p != '\0'; p = nl + 1) {
			nl = strchr(p, '\n');
			*nl = '\0';
			gw_strlist_add(&r.members, p);
		}
		gw_buf_release(&dns);
	}
	gw_recipient_set(&r, GW_F_DESCRIPTION, e->comments);
	gw_recipient_set(&r, GW_F_ALIAS, alias);
	if (smtp != NULL && *smtp != '\0')
		r.smtp = gw_strdup(smtp);
	gw_buf_init(&proxy, 0);
	gw_buf_printf(&proxy, "CCMAIL:%s at %s", e->name, e->po);
	gw_strlist_add(&r.proxies, proxy.buf);
	gw_buf_release(&proxy);
	r.connector = gw_strdup(c->cc->name);
	r.foreign_key = gw_strdup(e->name);
	r.x500 = entry_x500(c, e->name);
	gw_recipient_to_record(&r, dn, rec);
	gw_recipient_release(&r);
	free(dn);
}

/*
 * The attributes galgate manages on cc:Mail's entries (others are left
 * alone): what every recipient has, and Comments as description.
 */
static const char *const *
managed(void)
{
	static const char **m;
	int filled[GW_F_COUNT] = { [GW_F_DESCRIPTION] = 1 };

	if (m == NULL)
		m = gw_recipient_managed(filled);
	return m;
}

int
cc_build_change(struct cc_cycle *c, const struct cc_plan *p,
    struct gw_change *ch, struct gw_err *err)
{
	struct gw_record rec, old;
	int found;

	if (p->op == GW_OP_DELETE) {
		gw_change_init(ch, GW_OP_DELETE, p->old_dn);
		return 0;
	}
	cc_build_record(c, p->e, p->now->alias, p->now->smtp, &rec);
	found = 0;
	gw_record_init(&old);
	if (p->op == GW_OP_MODIFY &&
	    (found = gal_read(c->cy->gal, p->old_dn, NULL, &old, err)) == -1) {
		gw_record_release(&rec);
		return -1;
	}
	if (found) {
		/* only the attributes that changed */
		gw_change_init(ch, GW_OP_MODIFY, rec.dn);
		gw_change_diff(ch, &old, &rec, managed());
		if (ch->nmods == 0)
			ch->op = GW_OP_NONE;	/* the GAL already holds it */
		gw_record_release(&rec);
	} else {
		/* new, or gone from the GAL behind galgate's back */
		gw_change_init(ch, GW_OP_ADD, rec.dn);
		ch->rec = rec;		/* moved */
		free(ch->rec.dn);
		ch->rec.dn = NULL;
	}
	gw_record_release(&old);
	return 0;
}

static int
fold_used(struct strset *set, const char *s)
{
	char *k = gw_fold(s);
	int r = strset_has(set, k);

	free(k);
	return r;
}

static void
fold_use(struct strset *set, const char *s)
{
	char *k = gw_fold(s);

	strset_add(set, k);
	free(k);
}

struct naming {
	struct strset	 aliases;	/* folded, in use */
	struct strset	 smtp;
	int		 loaded;	/* aliases and addresses in use */
	struct gw_txn	*txn;
	const char	*self;		/* the connector's name */
};

static int
owned_names_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct naming *nm = arg;
	struct gw_shadow_value sv;
	char *f;

	if (klen < 2 || ((const char *)key)[0] != 'i' ||
	    gw_shadow_value_read(val, vlen, &sv) == -1 || sv.n < 2)
		return 0;
	f = gw_shadow_field(&sv, CC_SV_ALIAS);
	fold_use(&nm->aliases, f);
	free(f);
	if (sv.n > CC_SV_SMTP && sv.field[CC_SV_SMTP].len > 0) {
		f = gw_shadow_field(&sv, CC_SV_SMTP);
		fold_use(&nm->smtp, f);
		free(f);
	}
	return 0;
}

/*
 * What this connector's own entries use: read once, and only when
 * something new is named.  What the rest of the GAL holds is asked
 * address by address (smtp_free).
 */
static int
naming_load(struct cc_cycle *c, struct naming *nm, struct gw_err *err)
{
	if (nm->loaded)
		return 0;
	nm->loaded = 1;
	return shadow_iter(nm->txn, c->cc->name, owned_names_cb, nm, err);
}

/*
 * 1 if addr is free: not given in this cycle or to an entry the shadow
 * knows, and held by no other recipient, as mail or an smtp: proxy (an
 * indexed search).  This connector's own entries in the GAL are left
 * out: one the shadow does not know was added by a cycle cut short
 * before its shadow commit, its add is planned again and must get the
 * same address, not a number because its first add already holds it.
 * 0 if taken, -1 on error.
 */
static int
smtp_free(struct cc_cycle *c, struct naming *nm, const char *addr,
    struct gw_err *err)
{
	int held;

	if (fold_used(&nm->smtp, addr))
		return 0;
	held = gw_smtp_held(c->cy->gal, c->cy->conf->suffix, addr, NULL,
	    c->cc->name, NULL, err);
	return held == -1 ? -1 : !held;
}

static int
new_identity(struct cc_cycle *c, struct naming *nm, const struct cc_entry *e,
    struct cc_owned *now, struct gw_err *err)
{
	char *base, *sn, *given, *cand;
	unsigned n;
	int free_;

	if (naming_load(c, nm, err) == -1)
		return -1;
	base = gw_alias_base(e->name, "ccmail");
	now->alias = gw_strdup(base);
	for (n = 2; fold_used(&nm->aliases, now->alias); n++) {
		free(now->alias);
		now->alias = gw_malloc(strlen(base) + 16);
		sprintf(now->alias, "%s%u", base, n);
	}
	fold_use(&nm->aliases, now->alias);
	free(base);
	now->smtp = NULL;
	if (c->cc->smtp_template == NULL || e->kind == CC_LIST)
		return 0;
	gw_name_split(e->name, &sn, &given);
	cand = gw_smtp_expand(c->cc->smtp_template, given, sn, "",
	    now->alias);
	free(sn);
	free(given);
	if (cand == NULL)
		return 0;
	now->smtp = gw_strdup(cand);
	for (n = 2; (free_ = smtp_free(c, nm, now->smtp, err)) == 0; n++) {
		free(now->smtp);
		now->smtp = gw_smtp_number(cand, n);
	}
	free(cand);
	if (free_ == -1)
		return -1;
	fold_use(&nm->smtp, now->smtp);
	return 0;
}

/*
 * The shadow-to-be of a plan item and its key in one allocation (a first
 * sync plans 100,000 of them); the loose one is released.  Freed with
 * free(): see cc_plan_release.
 */
static struct cc_owned *
owned_pack(struct cc_owned *loose, const char *key, char **keyp)
{
	size_t la = strlen(loose->alias) + 1, lk = strlen(key) + 1;
	size_t ls = loose->smtp != NULL ? strlen(loose->smtp) + 1 : 0;
	struct cc_owned *o = gw_malloc(sizeof(*o) + la + ls + lk);
	char *p = (char *)(o + 1);

	memcpy(o->hash, loose->hash, GW_HASH_LEN);
	o->alias = memcpy(p, loose->alias, la);
	p += la;
	o->smtp = ls > 0 ? memcpy(p, loose->smtp, ls) : NULL;
	p += ls;
	*keyp = memcpy(p, key, lk);
	cc_owned_free(loose);
	return o;
}

void
cc_plan_release(struct cc_plan *p)
{
	if (p->now == NULL)
		free(p->key);	/* else it lives in the same block */
	free(p->now);
	free(p->old_dn);
}

static void
add_plan(struct cc_cycle *c, enum gw_op op, const struct cc_entry *e,
    const char *key, const char *old_dn, struct cc_owned *now)
{
	struct cc_plan *p;

	if (c->to_gal.nplan == c->to_gal.plan_cap) {
		c->to_gal.plan_cap = c->to_gal.plan_cap == 0 ? 64 :
		    c->to_gal.plan_cap * 2;
		c->to_gal.plan = gw_realloc(c->to_gal.plan,
		    c->to_gal.plan_cap * sizeof(*c->to_gal.plan));
	}
	p = &c->to_gal.plan[c->to_gal.nplan++];
	p->op = op;
	p->e = e;
	if (now != NULL)
		now = owned_pack(now, key, &p->key);
	else
		p->key = gw_strdup(key);
	p->old_dn = old_dn != NULL ? gw_strdup(old_dn) : NULL;
	p->now = now;
	p->ok = 0;
}

static int
plan_entry(struct cc_cycle *c, struct naming *nm, const struct cc_entry *e,
    struct gw_err *err)
{
	struct gw_shadow_value sv;
	struct gw_value v;
	struct gw_buf key, missing;
	struct cc_owned *now;
	char *fk;
	int rc;

	/* every cycle, as skipped records are: not only when it changes */
	if (e->kind == CC_LIST) {
		struct gw_buf dns;

		gw_buf_init(&dns, 0);
		gw_buf_init(&missing, 0);
		list_members(c, e, &dns, &missing);
		if (missing.len > 0) {
			char *x500 = entry_x500(c, e->name);

			evlog_emit(c->cy->ev, EV_CC_MEMBER_UNKNOWN,
			    GW_SEV_WARNING, c->cc->name, x500, "%s:%ld: list "
			    "'%s': members not found: %s", e->file, e->line,
			    e->name, missing.buf);
			free(x500);
		}
		gw_buf_release(&dns);
		gw_buf_release(&missing);
	}
	gw_buf_init(&key, 0);
	fk = gw_fold(e->name);
	gw_buf_printf(&key, "i%c%s", (char)e->kind, fk);
	free(fk);
	if ((rc = shadow_get(nm->txn, c->cc->name, key.buf, key.len, &v,
	    err)) == -1)
		goto fail;
	now = gw_calloc(1, sizeof(*now));
	if (rc == 1 && gw_shadow_value_read(v.ptr, v.len, &sv) == 0) {
		now->alias = gw_shadow_field(&sv, CC_SV_ALIAS);
		now->smtp = sv.n > CC_SV_SMTP && sv.field[CC_SV_SMTP].len > 0 ?
		    gw_shadow_field(&sv, CC_SV_SMTP) : NULL;
		fingerprint(c, e, now->alias, now->smtp, now->hash);
		if (!c->import_all && memcmp(sv.hash, now->hash,
		    GW_HASH_LEN) == 0) {
			cc_owned_free(now);	/* unchanged */
			gw_buf_release(&key);
			return 0;
		}
		fk = gw_shadow_field(&sv, CC_SV_DN);
		add_plan(c, GW_OP_MODIFY, e, key.buf, fk, now);
		free(fk);
	} else {
		if (new_identity(c, nm, e, now, err) == -1) {
			cc_owned_free(now);
			goto fail;
		}
		fingerprint(c, e, now->alias, now->smtp, now->hash);
		add_plan(c, GW_OP_ADD, e, key.buf, NULL, now);
	}
	gw_buf_release(&key);
	return 0;
fail:
	gw_buf_release(&key);
	return -1;
}

struct gone {
	struct cc_cycle	*c;
	struct strmap	 lists;		/* fold(name) of cc:Mail's lists */
	struct strmap	 bboards;	/* and bulletin boards */
};

/* 1 if cc:Mail still has what the shadow key "i<kind><fold(name)>" names. */
static int
still_there(const struct gone *g, const char *key)
{
	const struct cc_entry *e;

	switch (key[1]) {
	case CC_USER:
		if (strmap_has(&g->c->exports.held_users, key + 2))
			return 1;
		e = strmap_get(&g->c->exports.taken, key + 2);
		return e != NULL && strchr("LlRr", e->locn) != NULL &&
		    !strmap_has(&g->c->exports.gal_side, key + 2);
	case CC_LIST:
		return strmap_has(&g->lists, key + 2) ||
		    strmap_has(&g->c->exports.held_lists, key + 2);
	default:
		return strmap_has(&g->bboards, key + 2) ||
		    strmap_has(&g->c->exports.held_bboards, key + 2);
	}
}

/* Entries this connector made whose cc:Mail source is gone. */
static int
gone_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct gone *g = arg;
	struct gw_shadow_value sv;
	char *k, *dn;

	if (klen < 2 || ((const char *)key)[0] != 'i' ||
	    gw_shadow_value_read(val, vlen, &sv) == -1)
		return 0;
	k = gw_strndup(key, klen);
	if (!still_there(g, k)) {
		dn = gw_shadow_field(&sv, CC_SV_DN);
		add_plan(g->c, GW_OP_DELETE, NULL, k, dn, NULL);
		free(dn);
	}
	free(k);
	return 0;
}

/* The DNs of the held users this connector made, for the lists. */
static int
held_dns(struct cc_cycle *c, struct gw_txn *txn, struct gw_err *err)
{
	struct gw_shadow_value sv;
	struct strmap_slot *s;
	struct gw_value v;
	struct gw_buf key;
	size_t i = 0;
	int rc = 0;

	gw_buf_init(&key, 0);
	while (rc == 0 && (s = strmap_next(&c->exports.held_users,
	    &i)) != NULL) {
		gw_buf_reset(&key);
		gw_buf_printf(&key, "i%c%s", (char)CC_USER, s->key);
		if ((rc = shadow_get(txn, c->cc->name, key.buf, key.len, &v,
		    err)) == -1)
			break;
		if (rc == 1 && gw_shadow_value_read(v.ptr, v.len, &sv) == 0)
			strmap_put(&c->to_gal.held_dn, s->key,
			    gw_shadow_field(&sv, CC_SV_DN));
		rc = 0;
	}
	gw_buf_release(&key);
	return rc;
}

int
cc_plan_import(struct cc_cycle *c, struct gw_err *err)
{
	struct naming nm;
	struct gone g;
	size_t k, room;
	char *key;
	int rc = -1;

	memset(&nm, 0, sizeof(nm));
	nm.self = c->cc->name;
	strset_init(&nm.aliases);
	strset_init(&nm.smtp);
	g.c = c;
	strmap_init(&g.lists);
	strmap_init(&g.bboards);
	if (state_begin(c->cy->state, 0, &nm.txn, err) == -1)
		return -1;
	if (held_dns(c, nm.txn, err) == -1)
		goto done;
	/*
	 * Room for a change to every entry read (a first sync): pages never
	 * written are never resident, and 100,000 items are not copied
	 * while the array doubles.
	 */
	room = c->exports.nnative + c->exports.nlists + c->exports.nbboards;
	if (c->to_gal.plan_cap < room) {
		c->to_gal.plan_cap = room;
		c->to_gal.plan = gw_realloc(c->to_gal.plan,
		    c->to_gal.plan_cap * sizeof(*c->to_gal.plan));
	}
	for (k = 0; k < c->exports.nnative; k++)
		if (strchr("LlRr", c->exports.native[k]->locn) != NULL &&
		    plan_entry(c, &nm, c->exports.native[k], err) == -1)
			goto done;
	for (k = 0; k < c->exports.nbboards; k++) {
		key = gw_fold(c->exports.bboards[k]->name);
		strmap_put(&g.bboards, key, (void *)1);
		free(key);
		if (plan_entry(c, &nm, c->exports.bboards[k], err) == -1)
			goto done;
	}
	for (k = 0; k < c->exports.nlists; k++) {
		key = gw_fold(c->exports.lists[k]->name);
		strmap_put(&g.lists, key, (void *)1);
		free(key);
		if (plan_entry(c, &nm, c->exports.lists[k], err) == -1)
			goto done;
	}
	if (shadow_iter(nm.txn, c->cc->name, gone_cb, &g, err) == -1)
		goto done;
	rc = 0;
done:
	state_abort(nm.txn);
	strmap_release(&g.lists);
	strmap_release(&g.bboards);
	strset_release(&nm.aliases);
	strset_release(&nm.smtp);
	return rc;
}
