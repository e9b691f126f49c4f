/*
 * cc:Mail -> GAL: cc:Mail's users, mailing lists and bulletin boards as
 * entries of the import container.  The shadow remembers, per cc:Mail
 * name, a hash of the entry galgate made from it, its DN, alias and SMTP
 * address, so an unchanged export costs no LDAP operation and aliases and
 * addresses never move once given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccmail.h"
#include "gal.h"

void
cc_owned_free(struct cc_owned *o)
{
	if (o == NULL)
		return;
	free(o->dn);
	free(o->alias);
	free(o->smtp);
	free(o);
}

static char *
entry_dn(struct cc_cycle *c, const char *name)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	gw_buf_addstr(&b, "cn=");
	gw_ldap_escape_value(&b, name, strlen(name));
	gw_buf_printf(&b, ",%s", c->cc->import_ldap);
	return gw_buf_detach(&b);
}

static char *
entry_x500(struct cc_cycle *c, const char *name)
{
	struct gw_dn dn;
	char *s;

	gw_dn_copy(&dn, &c->cc->import_dn);
	gw_dn_push(&dn, "cn", name);
	s = gw_dn_x500_str(&dn);
	gw_dn_release(&dn);
	return s;
}

/* Resolved members of a list; unresolved names go to *missing. */
static void
list_members(struct cc_cycle *c, const struct cc_entry *e,
    struct gw_record *rec, struct gw_buf *missing)
{
	size_t i;
	char *name, *at, *key;
	const char *dn;

	for (i = 0; i < e->nmembers; i++) {
		name = gw_strdup(e->members[i]);
		/* "Name at PO": names are unique, the PO only routes */
		at = strstr(name, " at ");
		while (at != NULL && strstr(at + 4, " at ") != NULL)
			at = strstr(at + 4, " at ");
		if (at != NULL)
			*at = '\0';
		key = gw_fold(gw_trim(name));
		dn = strmap_get(&c->name_dn, key);
		if (dn != NULL)
			gw_record_add_str(rec, "member", dn);
		else
			gw_buf_printf(missing, "%s'%s'", missing->len ? ", " :
			    "", e->members[i]);
		free(key);
		free(name);
	}
}

/* The LDAP entry galgate makes from one cc:Mail entry. */
static void
build_record(struct cc_cycle *c, const struct cc_entry *e, const char *alias,
    const char *smtp, struct gw_record *rec, struct gw_buf *missing)
{
	char *sn, *given, *x500;
	struct gw_buf proxy;

	gw_record_init(rec);
	rec->dn = entry_dn(c, e->name);
	gw_record_add_str(rec, "objectClass", "top");
	gw_record_add_str(rec, "objectClass", e->kind == CC_LIST ?
	    "groupOfNames" : "inetOrgPerson");
	gw_record_add_str(rec, "objectClass", "galgateRecipient");
	gw_record_add_str(rec, "cn", e->name);
	gw_record_add_str(rec, "displayName", e->name);
	if (e->kind != CC_LIST) {
		cc_split_name(e->name, &sn, &given);
		/* person needs a surname: the whole name when none is found */
		gw_record_add_str(rec, "sn", *sn != '\0' ? sn : e->name);
		if (e->kind == CC_USER && *given != '\0')
			gw_record_add_str(rec, "givenName", given);
		free(sn);
		free(given);
	} else {
		list_members(c, e, rec, missing);
		if (gw_record_attr(rec, "member") == NULL)
			gw_record_add_str(rec, "member", rec->dn);
	}
	if (e->comments != NULL && *e->comments != '\0')
		gw_record_add_str(rec, "description", e->comments);
	gw_record_add_str(rec, "mailNickname", alias);
	if (smtp != NULL && *smtp != '\0') {
		gw_record_add_str(rec, "mail", smtp);
		gw_buf_init(&proxy, 0);
		gw_buf_printf(&proxy, "SMTP:%s", smtp);
		gw_record_add_str(rec, "galgateProxyAddress", proxy.buf);
		gw_buf_release(&proxy);
	}
	gw_buf_init(&proxy, 0);
	gw_buf_printf(&proxy, "CCMAIL:%s at %s", e->name, e->po);
	gw_record_add_str(rec, "galgateProxyAddress", proxy.buf);
	gw_buf_release(&proxy);
	gw_record_add_str(rec, "galgateRecipientType", e->kind == CC_LIST ?
	    "dl" : e->kind == CC_BBOARD ? "bulletinboard" : "mailbox");
	gw_record_add_str(rec, "galgateConnector", c->cc->name);
	gw_record_add_str(rec, "galgateForeignKey", e->name);
	x500 = entry_x500(c, e->name);
	gw_record_add_str(rec, "legacyExchangeDN", x500);
	free(x500);
}

/* The attributes galgate manages on its entries (others are left alone). */
static const char *const managed[] = {
	"cn", "displayName", "sn", "givenName", "member", "description",
	"mailNickname", "mail", "galgateProxyAddress", "galgateRecipientType",
	"galgateConnector", "galgateForeignKey", "legacyExchangeDN", NULL
};

struct mailset {
	struct cc_cycle	*c;
	struct strmap	*set;
};

static int
mail_cb(void *arg, const struct gw_record *rec)
{
	struct mailset *m = arg;
	struct gw_attr *a = gw_record_attr(rec, "mail");
	size_t i;
	char *k;

	for (i = 0; a != NULL && i < a->n; i++) {
		k = gw_fold(a->val[i].ptr);
		strmap_put(m->set, k, (void *)1);
		free(k);
	}
	return 0;
}

/* Every SMTP address in use in the GAL, read once when new ones are made. */
static int
load_gal_mail(struct cc_cycle *c, struct strmap *set, struct gw_err *err)
{
	static const char *attrs[] = { "mail", NULL };
	struct mailset m = { c, set };
	int missing;

	return gal_search(c->cy->gal, c->cy->conf->suffix, GAL_SCOPE_SUB,
	    "(mail=*)", attrs, mail_cb, &m, &missing, err);
}

static int
fold_used(struct strmap *set, const char *s)
{
	char *k = gw_fold(s);
	int r = strmap_has(set, k);

	free(k);
	return r;
}

static void
fold_use(struct strmap *set, const char *s)
{
	char *k = gw_fold(s);

	strmap_put(set, k, (void *)1);
	free(k);
}

static void
add_change(struct cc_cycle *c, struct gw_change *ch, const char *key,
    struct cc_owned *now)
{
	c->changes = gw_realloc(c->changes, (c->nchanges + 1) *
	    sizeof(*c->changes));
	c->change_keys = gw_realloc(c->change_keys, (c->nchanges + 1) *
	    sizeof(*c->change_keys));
	c->change_owned = gw_realloc(c->change_owned, (c->nchanges + 1) *
	    sizeof(*c->change_owned));
	c->changes[c->nchanges] = *ch;
	c->change_keys[c->nchanges] = gw_strdup(key);
	c->change_owned[c->nchanges] = now;
	c->nchanges++;
}

struct naming {
	struct strmap	 aliases;
	struct strmap	 smtp;
	int		 gal_loaded;
};

static int
new_identity(struct cc_cycle *c, struct naming *nm, const struct cc_entry *e,
    char **alias, char **smtp, struct gw_err *err)
{
	char *base, *sn, *given, *cand;
	unsigned n;

	base = cc_alias_base(e->name);
	*alias = gw_strdup(base);
	for (n = 2; fold_used(&nm->aliases, *alias); n++) {
		free(*alias);
		*alias = gw_malloc(strlen(base) + 16);
		sprintf(*alias, "%s%u", base, n);
	}
	fold_use(&nm->aliases, *alias);
	free(base);
	*smtp = NULL;
	if (c->cc->smtp_template == NULL || e->kind == CC_LIST)
		return 0;
	if (!nm->gal_loaded) {
		if (load_gal_mail(c, &nm->smtp, err) == -1)
			return -1;
		nm->gal_loaded = 1;
	}
	cc_split_name(e->name, &sn, &given);
	cand = cc_smtp_expand(c->cc->smtp_template, given,
	    *sn != '\0' ? sn : e->name, "", *alias);
	free(sn);
	free(given);
	if (cand == NULL)
		return 0;
	*smtp = gw_strdup(cand);
	for (n = 2; fold_used(&nm->smtp, *smtp); n++) {
		free(*smtp);
		*smtp = cc_smtp_number(cand, n);
	}
	fold_use(&nm->smtp, *smtp);
	free(cand);
	return 0;
}

static int
plan_entry(struct cc_cycle *c, struct naming *nm, const struct cc_entry *e,
    struct gw_err *err)
{
	struct gw_record rec, copy, old;
	struct gw_change ch;
	struct gw_buf key, missing;
	struct cc_owned *own, *now;
	int found, rc = -1;
	char *fk;

	gw_buf_init(&key, 0);
	gw_buf_init(&missing, 0);
	gw_record_init(&rec);
	gw_record_init(&old);
	fk = gw_fold(e->name);
	gw_buf_printf(&key, "i%c%s", (char)e->kind, fk);
	free(fk);
	own = strmap_get(&c->owned, key.buf);
	now = gw_calloc(1, sizeof(*now));
	if (own != NULL) {
		own->seen = 1;
		now->alias = gw_strdup(own->alias);
		now->smtp = own->smtp != NULL ? gw_strdup(own->smtp) : NULL;
	} else if (new_identity(c, nm, e, &now->alias, &now->smtp, err) == -1)
		goto done;
	build_record(c, e, now->alias, now->smtp, &rec, &missing);
	now->dn = gw_strdup(rec.dn);
	gw_record_copy(&copy, &rec);
	gw_record_hash(&copy, now->hash);
	gw_record_release(&copy);
	if (own != NULL && memcmp(own->hash, now->hash, GW_HASH_LEN) == 0) {
		cc_owned_free(now);
		rc = 0;
		goto done;
	}
	if (missing.len > 0) {
		char *x500 = entry_x500(c, e->name);

		evlog_emit(c->cy->ev, EV_CC_MEMBER_UNKNOWN, GW_SEV_WARNING,
		    c->cc->name, x500, "%s:%ld: list '%s': members not found: "
		    "%s", e->file, e->line, e->name, missing.buf);
		free(x500);
	}
	found = 0;
	if (own != NULL) {
		/* only the attributes that changed */
		if ((found = gal_read(c->cy->gal, own->dn, NULL, &old,
		    err)) == -1) {
			cc_owned_free(now);
			goto done;
		}
		if (found && !gw_strcaseeq(own->dn, rec.dn)) {
			/* a new DN: the old entry goes, the new one comes */
			gw_change_init(&ch, GW_OP_DELETE, own->dn);
			add_change(c, &ch, key.buf, NULL);
			found = 0;
		}
	}
	if (found) {
		gw_change_init(&ch, GW_OP_MODIFY, rec.dn);
		gw_change_diff(&ch, &old, &rec, managed);
		gw_record_release(&old);
		if (ch.nmods == 0) {
			/* the GAL already holds it: only the shadow moves */
			gw_change_release(&ch);
			ch.op = GW_OP_NONE;
		}
	} else {
		gw_record_release(&old);
		gw_change_init(&ch, GW_OP_ADD, rec.dn);
		gw_record_copy(&ch.rec, &rec);
	}
	add_change(c, &ch, key.buf, now);
	rc = 0;
done:
	gw_record_release(&rec);
	gw_buf_release(&key);
	gw_buf_release(&missing);
	return rc;
}

int
cc_plan_import(struct cc_cycle *c, struct gw_err *err)
{
	struct naming nm;
	struct strmap_slot *s;
	struct gw_change ch;
	size_t i = 0, k;
	char *key;
	int rc = -1;

	strmap_init(&nm.aliases);
	strmap_init(&nm.smtp);
	nm.gal_loaded = 0;
	while ((s = strmap_next(&c->owned, &i)) != NULL) {
		struct cc_owned *o = s->val;

		fold_use(&nm.aliases, o->alias);
		if (o->smtp != NULL)
			fold_use(&nm.smtp, o->smtp);
	}
	/* names list members can point at: cc:Mail's own entries */
	for (k = 0; k < c->nnative; k++) {
		if (strchr("LlRr", c->native[k]->locn) == NULL)
			continue;
		key = gw_fold(c->native[k]->name);
		if (!strmap_has(&c->name_dn, key))
			strmap_put(&c->name_dn, key, entry_dn(c,
			    c->native[k]->name));
		free(key);
	}
	for (k = 0; k < c->nnative; k++)
		if (strchr("LlRr", c->native[k]->locn) != NULL &&
		    plan_entry(c, &nm, c->native[k], err) == -1)
			goto done;
	for (k = 0; k < c->nbboards; k++)
		if (plan_entry(c, &nm, c->bboards[k], err) == -1)
			goto done;
	for (k = 0; k < c->nlists; k++)
		if (plan_entry(c, &nm, c->lists[k], err) == -1)
			goto done;
	/* what cc:Mail no longer has: only entries this connector made */
	i = 0;
	while ((s = strmap_next(&c->owned, &i)) != NULL) {
		struct cc_owned *o = s->val;

		if (o->seen)
			continue;
		gw_change_init(&ch, GW_OP_DELETE, o->dn);
		add_change(c, &ch, s->key, NULL);
	}
	rc = 0;
done:
	strmap_release(&nm.aliases);
	strmap_release(&nm.smtp);
	return rc;
}
