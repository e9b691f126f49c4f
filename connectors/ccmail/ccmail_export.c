/*
 * GAL -> cc:Mail: which GAL recipients cc:Mail lacks or holds wrongly, as
 * Ccmdel.imp and Ccmdir.imp records.  cc:Mail's own export is the truth
 * of what it has, compared case-insensitively by name as cc:Mail does, so
 * once it has imported what galgate wrote the next cycle writes nothing
 * (no update cycle, KB Q237588).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccmail.h"
#include "gal.h"
#include "journal.h"
#include "recipient.h"
#include "state.h"

void
cc_rcpt_free(struct gal_rcpt *r)
{
	free(r->dn);
	free(r->x500);
	free(r->site);
	free(r->base);
	free(r->alias);
	free(r->office);
	free(r->phone);
	free(r->chosen);
	free(r);
}

struct collect {
	struct cc_cycle	*c;
	const char	*container;
	int		 nested;	/* two export containers nest */
	struct strmap	 seen;		/* then: folded DNs collected */
};

/* Takes field f of rc (the struct no longer holds it). */
static char *
take(struct gw_recipient *rc, enum gw_rcpt_field f)
{
	char *v = rc->field[f];

	rc->field[f] = NULL;
	return v;
}

static int
collect_cb(void *arg, const struct gw_record *rec)
{
	struct collect *co = arg;
	struct cc_cycle *c = co->c;
	const char *uuid = gw_record_get(rec, "entryUUID");
	struct gw_recipient rc;
	struct gal_rcpt *r = NULL;
	struct gw_dn dn;
	struct gw_err err;
	char *key;

	gw_recipient_from_record(rec, &rc);
	gw_err_init(&err);
	gw_dn_init(&dn);
	/* what this connector imported is cc:Mail's own: never sent back */
	if (rc.connector != NULL && strcmp(rc.connector, c->cc->name) == 0)
		goto done;
	if (uuid == NULL || rc.field[GW_F_DISPLAY] == NULL)
		goto done;
	if (co->nested) {
		/* found in both containers: once (a lookup, not a scan) */
		key = gw_fold(rec->dn);
		if (strmap_has(&co->seen, key)) {
			free(key);
			goto done;
		}
		strmap_put(&co->seen, key, (void *)1);
		free(key);
	}
	if (gw_dn_parse_ldap(rec->dn, c->cy->conf->suffix, &dn, &err) == -1)
		goto done;
	r = gw_calloc(1, sizeof(*r));
	if (gw_uuid_parse(uuid, r->uuid) == -1) {
		free(r);
		goto done;
	}
	r->dn = gw_strdup(rec->dn);
	r->x500 = gw_dn_x500_str(&dn);
	r->site = gw_strdup(gw_dn_site(&dn) != NULL ? gw_dn_site(&dn) :
	    c->cy->conf->site);
	r->base = take(&rc, GW_F_DISPLAY);
	r->alias = take(&rc, GW_F_ALIAS);
	r->office = take(&rc, GW_F_OFFICE);
	r->phone = take(&rc, GW_F_PHONE);
	c->to_cc.rcpt = gw_grow(c->to_cc.rcpt, c->to_cc.nrcpt,
	    sizeof(*c->to_cc.rcpt));
	c->to_cc.rcpt[c->to_cc.nrcpt++] = r;
done:
	gw_dn_release(&dn);
	gw_recipient_release(&rc);
	return 0;
}

static int
read_gal(struct cc_cycle *c, struct gw_err *err)
{
	static const int fields[GW_F_COUNT] = { [GW_F_ALIAS] = 1,
	    [GW_F_OFFICE] = 1, [GW_F_PHONE] = 1 };
	const char **attrs = gw_recipient_attrs(fields, 0, NULL);
	struct collect co;
	size_t i, k;
	int missing, rc = -1;

	memset(&co, 0, sizeof(co));
	co.c = c;
	strmap_init(&co.seen);
	for (i = 0; i < c->cc->nexp; i++)
		for (k = 0; k < c->cc->nexp; k++)
			if (i != k && gw_dn_within(&c->cc->exp[k].dn,
			    &c->cc->exp[i].dn))
				co.nested = 1;
	for (i = 0; i < c->cc->nexp; i++) {
		co.container = c->cc->exp[i].ldap;
		if (gal_search(c->cy->gal, c->cc->exp[i].ldap, GAL_SCOPE_SUB,
		    GW_RCPT_FILTER_VISIBLE, attrs, collect_cb, &co, &missing,
		    err) == -1)
			goto done;
		/* a wrong suffix must not look like an empty GAL */
		if (missing) {
			gw_err_set(err, GW_EXIT_RUNTIME, "export container %s "
			    "does not exist (run galgate init?)",
			    c->cc->exp[i].ldap);
			goto done;
		}
	}
	rc = 0;
done:
	strmap_release(&co.seen);
	free(attrs);
	return rc;
}

static int
by_arrival(const void *a, const void *b)
{
	const struct gal_rcpt *x = *(struct gal_rcpt *const *)a;
	const struct gal_rcpt *y = *(struct gal_rcpt *const *)b;

	if (x->first_usn != y->first_usn)
		return x->first_usn < y->first_usn ? -1 : 1;
	return strcmp(x->dn, y->dn);
}

static void
use_name(struct strmap *used, const char *name)
{
	char *k = gw_fold(name);

	strmap_put(used, k, (void *)1);
	free(k);
}

static int
name_used(const struct strmap *used, const char *name)
{
	char *k = gw_fold(name);
	int r = strmap_has(used, k);

	free(k);
	return r;
}

/*
 * Every recipient gets its cc:Mail name: the one it had while its display
 * name stays the same, else (in order of arrival in the journal) the
 * display name, the display name with its site, then with a number.
 */
/*
 * A cc:Mail name for a recipient that has none yet: its display name
 * in the code page, else with its site, then a number, that no other
 * cc:Mail name takes (used).
 */
static int
new_name(struct cc_cycle *c, struct strmap *used, struct gal_rcpt *r,
    struct gw_err *err)
{
	struct gw_buf cand;
	char *base;
	unsigned n;
	int rep, rc = -1;

	base = cc_roundtrip(&c->cp, r->base, &rep);
	if (rep > 0)
		evlog_emit(c->cy->ev, EV_CC_CHAR_REPLACED, GW_SEV_WARNING,
		    c->cc->name, r->x500, "%d characters of '%s' are not in "
		    "%s: replaced by '?'", rep, r->base, c->cp.name);
	gw_buf_init(&cand, 0);
	gw_buf_addstr(&cand, base);
	for (n = 1; name_used(used, cand.buf); n++) {
		gw_buf_reset(&cand);
		gw_buf_printf(&cand, "%s (%s)", base, r->site);
		if (n > 1)
			gw_buf_printf(&cand, " %u", n);
		if (n > 1000) {
			gw_err_set(err, GW_EXIT_RUNTIME, "no free cc:Mail name "
			    "for %s", r->x500);
			goto done;
		}
	}
	if (strcmp(cand.buf, base) != 0)
		evlog_emit(c->cy->ev, EV_CC_NAME_CHOSEN, GW_SEV_INFO,
		    c->cc->name, r->x500, "'%s' is taken in cc:Mail (names are "
		    "unique, case-insensitively): this recipient is '%s' "
		    "there", base, cand.buf);
	r->chosen = gw_strdup(cand.buf);
	use_name(used, r->chosen);
	rc = 0;
done:
	free(base);
	gw_buf_release(&cand);
	return rc;
}

static int
choose_names(struct cc_cycle *c, struct gw_err *err)
{
	struct strmap used;
	struct gw_txn *txn = NULL;
	struct journal_entry je;
	const char *kept;
	char hex[33];
	size_t i, nnew = 0;
	int rc = -1;

	strmap_init(&used);
	for (i = 0; i < c->exports.nnative; i++)
		use_name(&used, c->exports.native[i]->name);
	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		goto done;
	for (i = 0; i < c->to_cc.nrcpt; i++) {
		struct gal_rcpt *r = c->to_cc.rcpt[i];

		gw_uuid_hex(r->uuid, hex);
		kept = strmap_get(&c->to_cc.chosen_by_uuid, hex);
		if (kept != NULL && strcmp(kept, r->base) == 0) {
			r->chosen = gw_strdup(kept + strlen(kept) + 1);
			use_name(&used, r->chosen);
			continue;
		}
		if (journal_entry_get(txn, r->uuid, &je, err) == -1)
			goto done;
		r->first_usn = je.first_usn != 0 ? je.first_usn : UINT64_MAX;
		r->name_new = 1;
		nnew++;
	}
	state_abort(txn);
	txn = NULL;
	/* new names in order of arrival: the first comer keeps the plain one */
	if (c->to_cc.nrcpt > 1)
		qsort(c->to_cc.rcpt, c->to_cc.nrcpt, sizeof(*c->to_cc.rcpt),
		    by_arrival);
	for (i = 0; i < c->to_cc.nrcpt && nnew > 0; i++) {
		struct gal_rcpt *r = c->to_cc.rcpt[i];

		if (r->name_new && new_name(c, &used, r, err) == -1)
			goto done;
	}
	for (i = 0; i < c->to_cc.nrcpt; i++) {
		char *key = gw_fold(c->to_cc.rcpt[i]->chosen);

		strmap_put(&c->to_cc.name_dn, key,
		    gw_strdup(c->to_cc.rcpt[i]->dn));
		free(key);
	}
	rc = 0;
done:
	state_abort(txn);
	strmap_release(&used);
	return rc;
}

static int
streq_null(const char *a, const char *b)
{
	if (a == NULL || *a == '\0')
		return b == NULL || *b == '\0';
	return b != NULL && strcmp(a, b) == 0;
}

static void
add_del(struct cc_cycle *c, const struct cc_entry *have)
{
	struct gw_record *r;
	char locn[2] = { have->locn, '\0' };

	c->to_cc.dels = gw_grow(c->to_cc.dels, c->to_cc.ndels,
	    sizeof(*c->to_cc.dels));
	r = &c->to_cc.dels[c->to_cc.ndels++];
	gw_record_init(r);
	gw_record_add_str(r, "Name", have->name);
	gw_record_add_str(r, "Locn", locn);
	gw_record_add_str(r, "PO", have->po);
}

static int
by_name(const void *a, const void *b)
{
	const struct gw_record *x = a, *y = b;

	return strcasecmp(gw_record_get(x, "Name"), gw_record_get(y, "Name"));
}

int
cc_plan_export(struct cc_cycle *c, struct gw_err *err)
{
	/* GAL recipients are users on another post office: Locn l */
	static const char remote[2] = { 'l', '\0' };
	struct strmap matched;
	struct strmap_slot *s;
	struct gw_buf comments;
	char *fan, *cmt, *key;
	struct cc_entry *have;
	size_t i = 0, k;
	int rep;

	if (read_gal(c, err) == -1 || choose_names(c, err) == -1)
		return -1;
	strmap_init(&matched);
	gw_buf_init(&comments, 0);
	for (k = 0; k < c->to_cc.nrcpt; k++) {
		struct gal_rcpt *r = c->to_cc.rcpt[k];
		struct gw_record *w;
		char *f = gw_strdup("EX:");

		gw_buf_reset(&comments);
		if (r->alias != NULL || r->office != NULL || r->phone != NULL)
			gw_buf_printf(&comments, "%s;%s;%s",
			    r->alias != NULL ? r->alias : "",
			    r->office != NULL ? r->office : "",
			    r->phone != NULL ? r->phone : "");
		f = gw_realloc(f, strlen(r->x500) + 4);
		strcat(f, r->x500);
		fan = cc_roundtrip(&c->cp, f, &rep);
		free(f);
		cmt = cc_roundtrip(&c->cp, comments.buf != NULL ? comments.buf :
		    "", &rep);
		key = gw_fold(r->chosen);
		have = strmap_get(&c->exports.gal_side, key);
		if (have != NULL)
			strmap_put(&matched, key, have);
		free(key);
		/* what cc:Mail holds as we would write it: nothing to do,
		 * unless it is to be offered everything again */
		if (!c->export_all && have != NULL &&
		    strcmp(have->name, r->chosen) == 0 &&
		    (have->locn == 'l' || have->locn == 'L') &&
		    streq_null(have->fan, fan) &&
		    streq_null(have->comments, cmt)) {
			free(fan);
			free(cmt);
			continue;
		}
		/* a name whose case changed must be re-added to change */
		if (have != NULL && strcmp(have->name, r->chosen) != 0)
			add_del(c, have);
		c->to_cc.adds = gw_grow(c->to_cc.adds, c->to_cc.nadds,
		    sizeof(*c->to_cc.adds));
		w = &c->to_cc.adds[c->to_cc.nadds++];
		gw_record_init(w);
		gw_record_add_str(w, "Name", r->chosen);
		gw_record_add_str(w, "Locn", remote);
		gw_record_add_str(w, "PO", c->cc->post_office);
		gw_record_add_str(w, "FAN", fan);
		if (*cmt != '\0')
			gw_record_add_str(w, "Comments", cmt);
		free(fan);
		free(cmt);
	}
	/* what cc:Mail holds for the GAL that the GAL no longer has */
	while ((s = strmap_next(&c->exports.gal_side, &i)) != NULL)
		if (!strmap_has(&matched, s->key))
			add_del(c, s->val);
	strmap_release(&matched);
	gw_buf_release(&comments);
	if (c->to_cc.ndels > 1)
		qsort(c->to_cc.dels, c->to_cc.ndels, sizeof(*c->to_cc.dels),
		    by_name);
	if (c->to_cc.nadds > 1)
		qsort(c->to_cc.adds, c->to_cc.nadds, sizeof(*c->to_cc.adds),
		    by_name);
	return 0;
}

static int
chosen_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct cc_cycle *c = arg;
	const char *k = key, *v = val;
	char hex[33];

	/* the names chosen for GAL recipients; imports are read as needed */
	if (klen == 17 && k[0] == 'e') {
		gw_uuid_hex((const unsigned char *)k + 1, hex);
		free(strmap_put(&c->to_cc.chosen_by_uuid, hex,
		    gw_strndup(v, vlen)));
	}
	return 0;
}

int
cc_read_chosen(struct cc_cycle *c, struct gw_txn *txn, struct gw_err *err)
{
	/* 'e' records only: they sort before the 'i' ones, stop there */
	return shadow_iter_from(txn, c->cc->name, "e", 1, chosen_cb, c,
	    err);
}
