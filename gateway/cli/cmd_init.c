/* galgate init: the entries the configuration implies */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "connector.h"
#include "dn.h"
#include "gal.h"
#include "run.h"
#include "tree.h"

static int
plan_x500(struct tree_plan *p, const char *value, const char *suffix,
    struct gw_err *err)
{
	struct gw_dn dn;
	char *dnpart, *types;
	int rc;

	conf_split_types(value, &dnpart, &types);
	gw_dn_init(&dn);
	rc = gw_dn_parse_x500(dnpart, &dn, err);
	if (rc == 0)
		rc = tree_plan_dn(p, &dn, suffix, err);
	gw_dn_release(&dn);
	free(dnpart);
	free(types);
	return rc;
}

static int
plan_section(struct tree_plan *p, const struct conf_section *s,
    const char *suffix, struct gw_err *err)
{
	const struct conf_key *k;
	size_t i;

	if (s->type == NULL)
		return 0;
	k = s->kind == CONF_SEC_CONNECTOR ? s->type->keys : s->type->peer_keys;
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
	const struct tree_plan	*p;
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
	struct tree_plan p;
	struct gw_err err;
	struct run r;
	struct gw_dn base;
	struct init_report rep;
	size_t i, failed, planned;
	int rc = GW_EXIT_RUNTIME;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: galgate init\n");
		return GW_EXIT_USAGE;
	}
	gw_err_init(&err);
	if (run_open(cli, &r, RUN_GAL, &err) == -1)
		return run_fail(&err);
	tree_plan_init(&p);
	gw_dn_init(&base);
	if (tree_plan_suffix(&p, r.conf->suffix, &err) == -1)
		goto done;
	gw_dn_push(&base, "o", r.conf->organization);
	gw_dn_push(&base, "ou", r.conf->site);
	gw_dn_push(&base, "cn", "Recipients");
	if (tree_plan_dn(&p, &base, r.conf->suffix, &err) == -1)
		goto done;
	for (i = 0; i < r.conf->nsec; i++)
		if (plan_section(&p, &r.conf->sec[i], r.conf->suffix,
		    &err) == -1)
			goto done;
	/* only what is missing: an existing entry is left as it is */
	planned = p.n;
	if (tree_plan_missing(&p, r.gal, &err) == -1)
		goto done;
	for (i = 0; i < p.n; i++) {
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
	}
	printf("init: %zu created, %zu already present\n", p.n,
	    planned - p.n);
	rc = GW_EXIT_OK;
done:
	tree_plan_release(&p);
	gw_dn_release(&base);
	run_close(&r);
	return rc == GW_EXIT_OK ? rc : run_fail(&err);
}
