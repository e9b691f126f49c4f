/*
 * apply.c: writing planned changes to the GAL (apply.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "apply.h"
#include "evlog.h"
#include "gal.h"
#include "recipient.h"
#include "tree.h"

struct run {
	struct gw_cycle		*cy;
	const struct gw_apply	*a;
	const struct gw_change	*ch;
	int			*ok;
	size_t			*exists;	/* adds that met an entry */
	size_t			 nexists;
};

static void
result_cb(void *arg, size_t idx, int ok, int rc, const char *msg)
{
	struct run *r = arg;
	const struct gw_apply *a = r->a;

	switch (ok ? GAL_DONE : gal_outcome(ok, rc)) {
	case GAL_DONE:
		r->ok[idx] = 1;
		return;
	case GAL_EXISTS:
		if (r->ch[idx].op == GW_OP_ADD) {
			/* maybe ours, from a cycle cut short */
			r->exists[r->nexists++] = idx;
			return;
		}
		break;
	case GAL_GONE:
		/*
		 * Deleted by a cycle cut short before it recorded so, or by
		 * hand.  Refusing it would keep the connector's record of the
		 * entry, and every later cycle would fail the same delete.
		 */
		if (r->ch[idx].op == GW_OP_DELETE) {
			r->ok[idx] = 1;
			return;
		}
		break;
	default:
		break;
	}
	r->cy->counts.errors++;
	evlog_emit(r->cy->ev, a->ev_failed, GW_SEV_ERROR, a->connector,
	    r->ch[idx].dn, "%s%s%s", a->subject != NULL ? a->subject : "",
	    a->subject != NULL ? ": " : "", msg);
}

/* Drops the removals of a modify: what the server keeps itself stays. */
static void
replacements_only(struct gw_change *mod)
{
	size_t k, w;

	for (k = 0, w = 0; k < mod->nmods; k++) {
		if (mod->mods[k].op == GW_MOD_DELETE) {
			gw_attr_release(&mod->mods[k].attr);
			continue;
		}
		mod->mods[w++] = mod->mods[k];
	}
	mod->nmods = w;
}

/* An add that met an entry: if it is ours, bring it up to date. */
static int
adopt(struct run *r, size_t idx, struct gw_err *err)
{
	const struct gw_apply *a = r->a;
	const struct gw_change *add = &r->ch[idx];
	struct gw_change mod;
	struct gw_record old;
	size_t failed = 0;
	int found;

	if ((found = gal_read(r->cy->gal, add->dn, NULL, &old, err)) == -1)
		return -1;
	if (!found || !gw_recipient_owned(&old, a->connector,
	    gw_recipient_key(&add->rec))) {
		r->cy->counts.errors++;
		evlog_emit(r->cy->ev, a->ev_not_ours, GW_SEV_ERROR,
		    a->connector, add->dn, "%s%san entry this connector did "
		    "not make is in the way; left alone", a->subject != NULL ?
		    a->subject : "", a->subject != NULL ? ": " : "");
		gw_record_release(&old);
		return 0;
	}
	gw_change_init(&mod, GW_OP_MODIFY, add->dn);
	gw_change_diff(&mod, &old, &add->rec, a->managed);
	gw_record_release(&old);
	if (a->managed == NULL)
		replacements_only(&mod);
	if (mod.nmods > 0 && gal_apply(r->cy->gal, &mod, 1, 1, 0, NULL, NULL,
	    &failed, err) == -1) {
		gw_change_release(&mod);
		return -1;
	}
	r->ok[idx] = failed == 0;
	gw_change_release(&mod);
	return 0;
}

static void
count(struct gw_cycle *cy, const struct gw_change *ch, const int *ok,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		if (ch[i].op == GW_OP_ADD)
			cy->counts.adds++;
		else if (ch[i].op == GW_OP_MODIFY)
			cy->counts.modifies++;
		else if (ch[i].op == GW_OP_DELETE)
			cy->counts.deletes++;
	}
}

static void
print_ldif(struct gw_cycle *cy, const struct gw_change *ch, size_t n)
{
	struct gw_buf b;
	size_t i;

	gw_buf_init(&b, 0);
	for (i = 0; i < n; i++)
		gw_change_ldif(&ch[i], &b);
	if (b.buf != NULL)
		fputs(b.buf, cy->out);
	gw_buf_release(&b);
}

int
gw_apply(struct gw_cycle *cy, struct gw_apply *a,
    const struct gw_change *ch, size_t n, struct gw_err *err)
{
	struct run r = { cy, a, ch, a->ok, NULL, 0 };
	size_t i, failed;
	int rc = -1;

	for (i = 0; a->container != NULL && !a->container_ready && i < n;
	    i++)
		if (ch[i].op == GW_OP_ADD) {
			if (tree_ensure(cy, a->connector, &a->container->dn,
			    a->container->ldap, err) == -1)
				return -1;
			a->container_ready = 1;
			break;
		}
	if (cy->dry_run) {
		print_ldif(cy, ch, n);
		return 0;
	}
	if (n == 0)
		return 0;
	if (r.ok == NULL)
		r.ok = gw_calloc(n, sizeof(*r.ok));
	else
		for (i = 0; i < n; i++)
			r.ok[i] = 0;
	r.exists = gw_calloc(n, sizeof(*r.exists));
	if ((a->txn > 0 ? gal_apply_txn(cy->gal, ch, n, a->txn, a->window,
	    result_cb, &r, &failed, err) : gal_apply(cy->gal, ch, n,
	    a->window, 0, result_cb, &r, &failed, err)) == -1)
		goto done;
	for (i = 0; i < r.nexists; i++)
		if (adopt(&r, r.exists[i], err) == -1)
			goto done;
	count(cy, ch, r.ok, n);
	rc = 0;
done:
	free(r.exists);
	if (r.ok != a->ok)
		free(r.ok);
	return rc;
}
