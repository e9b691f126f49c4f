/* The entries above what galgate writes (tree.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gal.h"
#include "tree.h"

void
tree_plan_init(struct tree_plan *p)
{
	p->ch = NULL;
	p->n = 0;
}

void
tree_plan_release(struct tree_plan *p)
{
	gw_changes_free(p->ch, p->n);
	tree_plan_init(p);
}

static int
plan_has(const struct tree_plan *p, const char *dn)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (gw_strcaseeq(p->ch[i].dn, dn))
			return 1;
	return 0;
}

/* The entry for one RDN: the object class follows the naming attribute. */
static int
plan_entry(struct tree_plan *p, const char *dn, const char *type,
    const char *value, struct gw_err *err)
{
	struct gw_change *c;

	if (plan_has(p, dn))
		return 0;
	p->ch = gw_grow(p->ch, p->n, sizeof(*p->ch));
	c = &p->ch[p->n];
	gw_change_init(c, GW_OP_ADD, dn);
	gw_record_add_str(&c->rec, "objectClass", "top");
	if (gw_strcaseeq(type, "o")) {
		gw_record_add_str(&c->rec, "objectClass", "organization");
		gw_record_add_str(&c->rec, "o", value);
	} else if (gw_strcaseeq(type, "ou")) {
		gw_record_add_str(&c->rec, "objectClass", "organizationalUnit");
		gw_record_add_str(&c->rec, "ou", value);
	} else if (gw_strcaseeq(type, "cn")) {
		gw_record_add_str(&c->rec, "objectClass", "galgateContainer");
		gw_record_add_str(&c->rec, "cn", value);
	} else if (gw_strcaseeq(type, "dc")) {
		gw_record_add_str(&c->rec, "objectClass", "domain");
		gw_record_add_str(&c->rec, "dc", value);
	} else {
		gw_change_release(c);
		return gw_err_set(err, GW_EXIT_USAGE, "%s: galgate creates only "
		    "o=, ou=, cn= and dc= entries; create this one first", dn);
	}
	p->n++;
	return 0;
}

int
tree_plan_suffix(struct tree_plan *p, const char *suffix, struct gw_err *err)
{
	struct gw_dn suf;
	int rc;

	if (suffix == NULL || *suffix == '\0')
		return 0;
	gw_dn_init(&suf);
	rc = gw_dn_parse_ldap(suffix, NULL, &suf, err);
	if (rc == 0)
		rc = plan_entry(p, suffix, suf.rdn[suf.n - 1].type,
		    suf.rdn[suf.n - 1].value, err);
	gw_dn_release(&suf);
	return rc;
}

int
tree_plan_dn(struct tree_plan *p, const struct gw_dn *dn, const char *suffix,
    struct gw_err *err)
{
	struct gw_dn part;
	size_t i;
	char *s;
	int rc = 0;

	gw_dn_init(&part);
	for (i = 0; i < dn->n && rc == 0; i++) {
		gw_dn_push(&part, dn->rdn[i].type, dn->rdn[i].value);
		s = gw_dn_ldap_str(&part, suffix);
		rc = plan_entry(p, s, dn->rdn[i].type, dn->rdn[i].value, err);
		free(s);
	}
	gw_dn_release(&part);
	return rc;
}

int
tree_plan_missing(struct tree_plan *p, struct gal *g, struct gw_err *err)
{
	static const char *const attrs[] = { "1.1", NULL };
	struct gw_record probe;
	size_t i, w = 0;
	int exists;

	for (i = 0; i < p->n; i++) {
		if ((exists = gal_read(g, p->ch[i].dn, attrs, &probe,
		    err)) == -1)
			return -1;
		gw_record_release(&probe);
		if (exists)
			gw_change_release(&p->ch[i]);
		else
			p->ch[w++] = p->ch[i];
	}
	p->n = w;
	return 0;
}

struct ensure_result {
	const struct tree_plan	*p;
	struct gw_cycle		*cy;
	const char		*connector;
	char			 first[1024];
	size_t			 failed;
};

static void
ensure_cb(void *arg, size_t idx, int ok, int rc, const char *msg)
{
	struct ensure_result *r = arg;

	(void)rc;
	if (ok) {
		evlog_emit(r->cy->ev, EV_INIT_CREATED, GW_SEV_INFO, r->connector,
		    r->p->ch[idx].dn, "created, to hold what the connector "
		    "writes");
		return;
	}
	if (r->failed++ == 0)
		snprintf(r->first, sizeof(r->first), "%s", msg);
}

int
tree_ensure(struct gw_cycle *cy, const char *connector, const struct gw_dn *dn,
    const char *ldap, struct gw_err *err)
{
	static const char *const attrs[] = { "1.1", NULL };
	struct ensure_result res;
	struct tree_plan p;
	struct gw_record probe;
	struct gw_buf ldif;
	size_t i, failed;
	int rc = -1, exists;

	if ((exists = gal_read(cy->gal, ldap, attrs, &probe, err)) == -1)
		return -1;
	gw_record_release(&probe);
	if (exists)
		return 0;
	tree_plan_init(&p);
	if (tree_plan_suffix(&p, cy->conf->suffix, err) == -1 ||
	    tree_plan_dn(&p, dn, cy->conf->suffix, err) == -1 ||
	    tree_plan_missing(&p, cy->gal, err) == -1)
		goto done;
	if (cy->dry_run) {
		gw_buf_init(&ldif, 0);
		for (i = 0; i < p.n; i++)
			gw_change_ldif(&p.ch[i], &ldif);
		if (ldif.buf != NULL)
			fputs(ldif.buf, cy->out);
		gw_buf_release(&ldif);
		rc = 0;
		goto done;
	}
	memset(&res, 0, sizeof(res));
	res.p = &p;
	res.cy = cy;
	res.connector = connector;
	/* all in one pipeline: gal_apply keeps each parent before its child */
	if (gal_apply(cy->gal, p.ch, p.n, p.n, 1, ensure_cb, &res, &failed,
	    err) == -1)
		goto done;
	if (failed > 0) {
		gw_err_set(err, GW_EXIT_RUNTIME, "connector %s: creating the "
		    "container %s: %s", connector, ldap, res.first);
		goto done;
	}
	rc = 0;
done:
	tree_plan_release(&p);
	return rc;
}
