/* reform.c: see reform.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gal.h"
#include "recipient.h"
#include "reform.h"
#include "state.h"
#include "watermark.h"

#define REFORM_WINDOW	64	/* LDAP writes in flight */

struct plan {
	const char *const	*managed;
	struct gw_change	*ch;
	size_t			 n;
};

static int
plan_cb(void *arg, const struct gw_record *rec)
{
	struct plan *p = arg;
	struct gw_recipient r;
	struct gw_record want;
	struct gw_change ch;

	gw_recipient_from_record(rec, &r);
	/*
	 * An entry without displayName showed its first cn, which earlier
	 * versions made the key: the name is derived again instead.
	 */
	if (gw_record_get(rec, gw_rcpt_field_attr(GW_F_DISPLAY)) == NULL)
		gw_recipient_set(&r, GW_F_DISPLAY, NULL);
	gw_recipient_to_record(&r, rec->dn, &want);
	gw_change_init(&ch, GW_OP_MODIFY, rec->dn);
	if (gw_change_diff(&ch, rec, &want, p->managed) > 0) {
		p->ch = gw_grow(p->ch, p->n, sizeof(*p->ch));
		p->ch[p->n++] = ch;
	} else
		gw_change_release(&ch);
	gw_record_release(&want);
	gw_recipient_release(&r);
	return 0;
}

struct result {
	struct gw_cycle		*cy;
	const char		*connector;
	const struct gw_change	*ch;
};

static void
result_cb(void *arg, size_t idx, int ok, int rc, const char *msg)
{
	struct result *res = arg;

	if (ok)
		return;
	evlog_emit(res->cy->ev, EV_LDAP_WRITE_FAILED, GW_SEV_ERROR,
	    res->connector, res->ch[idx].dn, "bringing the entry to this "
	    "version's form: LDAP error %d (%s)", rc, msg);
}

static int
form_get(struct gw_cycle *cy, const char *connector, unsigned long long *form,
    struct gw_err *err)
{
	struct gw_txn *txn;
	int rc;

	if (state_begin(cy->state, 0, &txn, err) == -1)
		return -1;
	rc = wmark_get_u64(txn, connector, "recipient_form", form, err);
	state_abort(txn);
	return rc == -1 ? -1 : 0;
}

static int
form_put(struct gw_cycle *cy, const char *connector, struct gw_err *err)
{
	struct gw_txn *txn;

	if (state_begin(cy->state, 1, &txn, err) == -1)
		return -1;
	if (wmark_put_u64(txn, connector, "recipient_form", GW_RECIPIENT_FORM,
	    err) == -1) {
		state_abort(txn);
		return -1;
	}
	return state_commit(txn, err);
}

int
gw_reform(struct gw_cycle *cy, const char *connector, struct gw_err *err)
{
	int every[GW_F_COUNT];
	struct plan p = { NULL, NULL, 0 };
	struct result res = { cy, connector, NULL };
	unsigned long long form = 0;
	struct gw_buf ldif;
	char *filter = NULL;
	size_t i, failed = 0;
	int rc = -1, missing;

	if (form_get(cy, connector, &form, err) == -1)
		return -1;
	if (form >= GW_RECIPIENT_FORM)
		return 0;
	for (i = 0; i < GW_F_COUNT; i++)
		every[i] = 1;
	/* every attribute a recipient has: the pass changes only their form */
	p.managed = gw_recipient_managed(every);
	filter = gw_recipient_owner_filter(connector);
	if (gal_search(cy->gal, cy->conf->suffix, GAL_SCOPE_SUB, filter, NULL,
	    plan_cb, &p, &missing, err) == -1)
		goto done;
	if (cy->dry_run) {
		gw_buf_init(&ldif, 0);
		for (i = 0; i < p.n; i++)
			gw_change_ldif(&p.ch[i], &ldif);
		if (p.n > 0)
			fprintf(cy->out, "# %s: %zu entries brought to this "
			    "version's form\n%.*s", connector, p.n,
			    (int)ldif.len, ldif.buf != NULL ? ldif.buf : "");
		gw_buf_release(&ldif);
		rc = 0;
		goto done;
	}
	res.ch = p.ch;
	if (p.n > 0 && gal_apply(cy->gal, p.ch, p.n, REFORM_WINDOW, 0,
	    result_cb, &res, &failed, err) == -1)
		goto done;
	cy->counts.modifies += p.n - failed;
	cy->counts.errors += failed;
	if (failed > 0) {
		/* the form is recorded only once every entry has it */
		rc = 0;
		goto done;
	}
	if (p.n > 0)
		evlog_emit(cy->ev, EV_REFORMED, GW_SEV_INFO, connector, NULL,
		    "%zu entries written by an earlier version brought to "
		    "this version's form", p.n);
	rc = form_put(cy, connector, err);
done:
	gw_changes_free(p.ch, p.n);
	free((void *)p.managed);
	free(filter);
	return rc;
}
