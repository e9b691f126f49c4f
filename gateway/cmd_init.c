/* galgate init: the entries the configuration implies */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "connector.h"
#include "dn.h"
#include "gal.h"
#include "run.h"

struct plan {
	struct gw_change	*ch;
	size_t			 n;
};

static int
plan_has(const struct plan *p, const char *dn)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (gw_strcaseeq(p->ch[i].dn, dn))
			return 1;
	return 0;
}

/* The entry for one RDN: the object class follows the naming attribute. */
static int
plan_entry(struct plan *p, const char *dn, const char *type,
    const char *value, struct gw_err *err)
{
	struct gw_change *c;

	if (plan_has(p, dn))
		return 0;
	p->ch = gw_realloc(p->ch, (p->n + 1) * sizeof(*p->ch));
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

/* Every entry from the top of dn down to dn itself. */
static int
plan_dn(struct plan *p, const struct gw_dn *dn, const char *suffix,
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

static int
plan_x500(struct plan *p, const char *value, const char *suffix,
    struct gw_err *err)
{
	struct gw_dn dn;
	char *dnpart, *types;
	int rc;

	conf_split_types(value, &dnpart, &types);
	gw_dn_init(&dn);
	rc = gw_dn_parse_x500(dnpart, &dn, err);
	if (rc == 0)
		rc = plan_dn(p, &dn, suffix, err);
	gw_dn_release(&dn);
	free(dnpart);
	free(types);
	return rc;
}

static int
plan_section(struct plan *p, const struct conf_section *s, const char *suffix,
    struct gw_err *err)
{
	const struct conf_key *k;
	size_t i;

	if (s->ops == NULL)
		return 0;
	k = s->kind == CONF_SEC_CONNECTOR ? s->ops->keys : s->ops->peer_keys;
	for (; k != NULL && k->name != NULL; k++) {
		const struct conf_entry *e;

		if (!(k->flags & (CONF_IMPORT | CONF_EXPORT)))
			continue;
		i = 0;
		while ((e = conf_next(s, k->name, &i)) != NULL)
			if (plan_x500(p, e->value, suffix, err) == -1) {
				gw_err_prefix(err, "%s:%d", "config", e->line);
				return -1;
			}
	}
	return 0;
}

struct init_report {
	struct run		*r;
	const struct plan	*p;
	int			 failed;
};

static void
init_result(void *arg, size_t idx, int ok, int rc, const char *msg)
{
	struct init_report *rep = arg;

	(void)rc;
	if (!ok) {
		fprintf(stderr, "galgate: %s\n", msg);
		rep->failed = 1;
	}
	(void)idx;
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	struct plan p = { NULL, 0 };
	struct gw_err err;
	struct run r;
	struct gw_dn suf, base;
	struct gw_record probe;
	struct init_report rep;
	size_t i, failed, created = 0;
	int rc = GW_EXIT_RUNTIME, exists;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: galgate init\n");
		return GW_EXIT_USAGE;
	}
	gw_err_init(&err);
	if (run_open(cli, &r, RUN_GAL, &err) == -1)
		return run_fail(&err);
	gw_dn_init(&suf);
	gw_dn_init(&base);
	/* the suffix entry itself (its parents are outside the database) */
	if (*r.conf->suffix != '\0') {
		if (gw_dn_parse_ldap(r.conf->suffix, NULL, &suf, &err) == -1)
			goto done;
		if (plan_entry(&p, r.conf->suffix, suf.rdn[suf.n - 1].type,
		    suf.rdn[suf.n - 1].value, &err) == -1)
			goto done;
	}
	gw_dn_push(&base, "o", r.conf->organization);
	gw_dn_push(&base, "ou", r.conf->site);
	gw_dn_push(&base, "cn", "Recipients");
	if (plan_dn(&p, &base, r.conf->suffix, &err) == -1)
		goto done;
	for (i = 0; i < r.conf->nsec; i++)
		if (plan_section(&p, &r.conf->sec[i], r.conf->suffix,
		    &err) == -1)
			goto done;
	/* only what is missing: an existing entry is left as it is */
	for (i = 0; i < p.n; i++) {
		if ((exists = gal_read(r.gal, p.ch[i].dn, NULL, &probe,
		    &err)) == -1)
			goto done;
		gw_record_release(&probe);
		if (exists) {
			gw_change_release(&p.ch[i]);
			p.ch[i].op = GW_OP_NONE;
		}
	}
	for (i = 0; i < p.n; i++) {
		if (p.ch[i].op == GW_OP_NONE)
			continue;
		rep.r = &r;
		rep.p = &p;
		rep.failed = 0;
		/* parents first, one at a time */
		if (gal_apply(r.gal, &p.ch[i], 1, 1, 1, init_result, &rep,
		    &failed, &err) == -1)
			goto done;
		if (rep.failed) {
			gw_err_set(&err, GW_EXIT_RUNTIME, "init stopped at %s",
			    p.ch[i].dn);
			goto done;
		}
		evlog_emit(&r.ev, EV_INIT_CREATED, GW_SEV_INFO, NULL,
		    p.ch[i].dn, "created");
		printf("created %s\n", p.ch[i].dn);
		created++;
	}
	printf("init: %zu created, %zu already present\n", created,
	    p.n - created);
	rc = GW_EXIT_OK;
done:
	for (i = 0; i < p.n; i++)
		gw_change_release(&p.ch[i]);
	free(p.ch);
	gw_dn_release(&suf);
	gw_dn_release(&base);
	run_close(&r);
	return rc == GW_EXIT_OK ? rc : run_fail(&err);
}
