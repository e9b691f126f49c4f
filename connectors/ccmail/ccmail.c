/*
 * The cc:Mail connector (type = ccmail): seed 004's cycle with the rules
 * of seed 003.  See ccmail.h for the order of work.
 */
#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "apply.h"
#include "ccdir.h"
#include "ccmail.h"
#include "failpoint.h"
#include "gal.h"
#include "journal.h"
#include "recipient.h"
#include "state.h"
#include "threshold.h"
#include "tree.h"

#define CC_WINDOW	64	/* LDAP operations in flight */
#define CC_TXN		500	/* operations per RFC 5805 transaction */
#define CC_TXN_MIN	20	/* fewer changes go without transactions */

static const struct conf_key ccmail_keys[] = {
	{ "export_dir", CONF_PATH, CONF_REQUIRED, 0, 0, NULL,
	    "where cc:Mail's EXPORT leaves Ccmdir.exp, Ccmlist.exp, Ccmbb.exp" },
	{ "import_dir", CONF_PATH, CONF_REQUIRED, 0, 0, NULL,
	    "where galgate writes Ccmdel.imp and Ccmdir.imp" },
	{ "post_office", CONF_STRING, CONF_REQUIRED, 0, 0, NULL,
	    "the gateway's own post office name as cc:Mail sees it" },
	{ "import_container", CONF_X500, CONF_REQUIRED | CONF_IMPORT, 0, 0,
	    NULL, "Exchange-form DN where cc:Mail users are created" },
	GW_KEY_EXPORT_CONTAINER("Exchange-form DN whose recipients go to "
	    "cc:Mail (repeat)"),
	GW_KEY_SMTP_TEMPLATE,
	GW_KEY_CODEPAGE("code page of the cc:Mail files (default CP850)"),
	GW_KEY_DELETE_THRESHOLD("most deletions one cycle may make on either "
	    "side (default 10%, 50)"),
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static void
ccmail_release(struct gw_connector *con)
{
	struct ccmail *cc = con->priv;

	if (cc == NULL)
		return;
	gw_container_release(&cc->imp);
	gw_containers_free(cc->exp, cc->nexp);
	free(cc);
	con->priv = NULL;
}

static int
ccmail_configure(struct gw_connector *con, const struct gw_conf *conf,
    struct gw_err *err)
{
	struct ccmail *cc = gw_calloc(1, sizeof(*cc));

	con->priv = cc;
	cc->name = con->name;
	cc->export_dir = conf_get(con->sec, "export_dir", NULL);
	cc->import_dir = conf_get(con->sec, "import_dir", NULL);
	cc->post_office = conf_get(con->sec, "post_office", NULL);
	cc->smtp_template = conf_get(con->sec, "smtp_template", NULL);
	cc->codepage = conf_get(con->sec, "codepage", GW_CODEPAGE_DEFAULT);
	gw_threshold_conf(con->sec, &cc->threshold);
	if (gw_container_parse(&cc->imp, conf_get(con->sec, "import_container",
	    ""), conf->suffix, err) == -1 ||
	    gw_containers_read(con->sec, "export_container", conf->suffix,
	    &cc->exp, &cc->nexp, err) == -1)
		goto fail;
	return 0;
fail:
	ccmail_release(con);
	return -1;
}

/* ---- the shadow ---- */

static int
load_shadow(struct cc_cycle *c, int *export_all, int *import_all,
    struct gw_err *err)
{
	struct gw_txn *txn;
	unsigned long long flag;
	int rc;

	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		return -1;
	rc = cc_read_chosen(c, txn, err);
	if (rc == 0)
		rc = wmark_get_u64(txn, c->cc->name, "export_all", &flag, err);
	*export_all = rc >= 0 && flag != 0;
	if (rc >= 0)
		rc = wmark_get_u64(txn, c->cc->name, "import_all", &flag, err);
	*import_all = rc >= 0 && flag != 0;
	state_abort(txn);
	return rc < 0 ? -1 : 0;
}

static void
owned_value(struct cc_cycle *c, const struct cc_plan *p, struct gw_buf *b)
{
	const struct cc_owned *o = p->now;
	/* the DN follows from the name: made here, not kept for the cycle */
	char *dn = cc_entry_dn(c, p->e->name);
	const char *f[] = { dn, o->alias, o->smtp };

	gw_shadow_value_put(b, o->hash, f, 3);
	free(dn);
}

/* ---- writing ---- */

/*
 * A cycle killed while writing an import file leaves its temporary file
 * (gw_write_file_atomic's NAME.tmp.PID) behind; the next cycle removes
 * it.  Cycles of one connector never overlap (its lock), so no such file
 * can belong to a write in progress.
 */
static void
remove_stale_temps(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dd;

	if ((dd = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dd)) != NULL) {
		if (strncmp(d->d_name, "Ccmdel.imp.tmp.", 15) != 0 &&
		    strncmp(d->d_name, "Ccmdir.imp.tmp.", 15) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) <
		    (int)sizeof(path))
			(void)unlink(path);
	}
	closedir(dd);
}

static int
write_imports(struct cc_cycle *c, struct gw_err *err)
{
	struct ccdir_writer dw, aw, *w[2] = { &dw, &aw };
	char dpath[PATH_MAX], apath[PATH_MAX];
	const char *paths[2] = { dpath, apath };
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	const char *errstr;
	time_t when = time(NULL);
	size_t i;
	int rc = -1;

	/* reproducible files when the caller pins the time */
	if (sde != NULL && *sde != '\0') {
		when = (time_t)gw_strtonum(sde, 0, INT64_MAX, &errstr);
		if (errstr != NULL)
			when = time(NULL);
	}
	snprintf(dpath, sizeof(dpath), "%s/Ccmdel.imp", c->cc->import_dir);
	snprintf(apath, sizeof(apath), "%s/Ccmdir.imp", c->cc->import_dir);
	remove_stale_temps(c->cc->import_dir);
	ccdir_writer_init(&dw, &c->cp);
	ccdir_writer_init(&aw, &c->cp);
	if (ccdir_write_header(&dw, "delete", c->cc->post_office, when) == -1 ||
	    ccdir_write_header(&aw, "add", c->cc->post_office, when) == -1)
		goto toobig;
	for (i = 0; i < c->to_cc.ndels; i++)
		if (ccdir_write_record(&dw, &c->to_cc.dels[i]) == -1)
			goto toobig;
	for (i = 0; i < c->to_cc.nadds; i++)
		if (ccdir_write_record(&aw, &c->to_cc.adds[i]) == -1)
			goto toobig;
	/*
	 * Both files change together: a new Ccmdel.imp beside last cycle's
	 * Ccmdir.imp (the disk full in between, or the cycle killed between
	 * the two renames) would have cc:Mail delete a recipient and add it
	 * back from the old file.  Deletions first: cc:Mail's IMPORT applies
	 * them first too.
	 */
	if (ccdir_writers_commit(w, paths, 2, err) == -1)
		goto done;
	evlog_emit(c->cy->ev, EV_CC_FILES_WRITTEN, GW_SEV_INFO, c->cc->name,
	    NULL, "wrote %s (%zu deletions) and %s (%zu additions)", dpath,
	    c->to_cc.ndels, apath, c->to_cc.nadds);
	rc = 0;
	goto done;
toobig:
	gw_err_set(err, GW_EXIT_RUNTIME, "import files larger than %zu bytes",
	    CCDIR_MAX_FILE);
done:
	ccdir_writer_release(&dw);
	ccdir_writer_release(&aw);
	return rc;
}

static void
print_records(FILE *out, const char *file, const struct gw_record *r,
    size_t n)
{
	size_t i, k, j;

	fprintf(out, "# %s: %zu record%s\n", file, n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		for (k = 0; k < r[i].n; k++)
			for (j = 0; j < r[i].attr[k].n; j++)
				fprintf(out, "%s: %s\n", r[i].attr[k].name,
				    r[i].attr[k].val[j].ptr);
		fputc('\n', out);
	}
}


/* ---- applying ---- */

#define CC_BATCH	512	/* plan items turned into records at once */

/*
 * Builds the records of plan items idx[0..n) a batch at a time and
 * applies (or, in a dry run, prints) them.
 */
static int
apply_items(struct cc_cycle *c, const size_t *idx, size_t n, size_t txn,
    struct gw_err *err)
{
	struct gw_apply a = {
		.connector = c->cc->name, .container = &c->cc->imp,
		.ev_failed = EV_CC_LDAP_FAILED, .ev_not_ours = EV_CC_NOT_OURS,
		.window = CC_WINDOW, .txn = txn,
	};
	struct gw_change *batch;
	size_t *map, off, len, i, k, nb = 0;
	int rc = -1;

	map = gw_calloc(CC_BATCH, sizeof(*map));
	batch = gw_calloc(CC_BATCH, sizeof(*batch));
	a.ok = gw_calloc(CC_BATCH, sizeof(*a.ok));
	for (off = 0; off < n; off += len) {
		len = n - off < CC_BATCH ? n - off : CC_BATCH;
		for (i = 0, nb = 0; i < len; i++) {
			struct cc_plan *p = &c->to_gal.plan[idx[off + i]];

			if (cc_build_change(c, p, &batch[nb], err) == -1)
				goto done;
			if (batch[nb].op == GW_OP_NONE) {
				/* the GAL already holds it: shadow only */
				gw_change_release(&batch[nb]);
				p->ok = 1;
				continue;
			}
			map[nb++] = idx[off + i];
		}
		if (gw_apply(c->cy, &a, batch, nb, err) == -1)
			goto done;
		for (k = 0; k < nb; k++) {
			c->to_gal.plan[map[k]].ok = a.ok[k];
			gw_change_release(&batch[k]);
		}
		nb = 0;
	}
	rc = 0;
done:
	for (k = 0; k < nb; k++)
		gw_change_release(&batch[k]);
	free(map);
	free(batch);
	free(a.ok);
	return rc;
}

static int
existing_cb(void *arg, const struct gw_record *rec)
{
	char *k = gw_dn_key(rec->dn);

	strmap_put(arg, k, (void *)1);
	free(k);
	return 0;
}

static int
apply_ldap(struct cc_cycle *c, struct gw_err *err)
{
	static const char *attrs[] = { "1.1", NULL };
	struct strmap existing;
	size_t *dels, *fresh, *rest, nd = 0, nf = 0, nr = 0, i, nadds = 0;
	int missing, rc = -1, txn;
	char *k, *dk;

	strmap_init(&existing);
	dels = gw_calloc(c->to_gal.nplan + 1, sizeof(*dels));
	fresh = gw_calloc(c->to_gal.nplan + 1, sizeof(*fresh));
	rest = gw_calloc(c->to_gal.nplan + 1, sizeof(*rest));
	for (i = 0; i < c->to_gal.nplan; i++)
		nadds += c->to_gal.plan[i].op == GW_OP_ADD;
	/*
	 * Many adds go in transactions, but only those whose DN is seen
	 * to be free: a transaction that fails at commit is what slapd
	 * 2.5 handles badly.
	 */
	txn = c->cy->conf->transactions && nadds >= CC_TXN_MIN &&
	    !c->cy->dry_run;
	if (txn && gal_search(c->cy->gal, c->cc->imp.ldap, GAL_SCOPE_ONE,
	    GAL_FILTER_ALL, attrs, existing_cb, &existing, &missing,
	    err) == -1)
		goto done;
	for (i = 0; i < c->to_gal.nplan; i++) {
		switch (c->to_gal.plan[i].op) {
		case GW_OP_DELETE:
			dels[nd++] = i;
			break;
		case GW_OP_ADD:
			/* cc:Mail names are unique: two adds never share a DN */
			k = txn ? cc_entry_dn(c, c->to_gal.plan[i].e->name) :
			    NULL;
			dk = txn ? gw_dn_key(k) : NULL;
			if (txn && !strmap_has(&existing, dk))
				fresh[nf++] = i;
			else
				rest[nr++] = i;
			free(dk);
			free(k);
			break;
		default:
			rest[nr++] = i;
		}
	}
	/* deletions first, so a renamed entry frees its old name */
	if (apply_items(c, dels, nd, 0, err) == -1 ||
	    apply_items(c, fresh, nf, CC_TXN, err) == -1 ||
	    apply_items(c, rest, nr, 0, err) == -1)
		goto done;
	rc = 0;
done:
	strmap_release(&existing);
	free(dels);
	free(fresh);
	free(rest);
	return rc;
}

#define CC_SHADOW_CHUNK	4096	/* shadow records per transaction */

static int
plan_key_cmp(const void *a, const void *b)
{
	const struct cc_plan *const *pa = a, *const *pb = b;

	return strcmp((*pa)->key, (*pb)->key);
}

/*
 * The shadow records of what was applied, in key order and a chunk per
 * transaction.  In key order, a first sync of 100,000 entries fills the
 * shadow's pages one after the other (full pages, and none read back),
 * and no transaction holds more than a chunk of dirty pages.  Each record
 * only says what the GAL now holds, so a cycle cut short between chunks
 * leaves a shadow that is true, only incomplete: the next cycle finds the
 * rest in the GAL and adopts it.
 */
static int
commit_applied(struct cc_cycle *c, struct gw_err *err)
{
	const struct cc_plan **done;
	struct gw_txn *txn;
	struct gw_buf v;
	size_t i, n = 0, off, end;
	int rc = -1;

	done = gw_calloc(c->to_gal.nplan + 1, sizeof(*done));
	for (i = 0; i < c->to_gal.nplan; i++)
		if (c->to_gal.plan[i].ok)
			done[n++] = &c->to_gal.plan[i];
	qsort(done, n, sizeof(*done), plan_key_cmp);
	gw_buf_init(&v, 0);
	for (off = 0; off < n; off = end) {
		end = n - off > CC_SHADOW_CHUNK ? off + CC_SHADOW_CHUNK : n;
		if (state_begin(c->cy->state, 1, &txn, err) == -1)
			goto done;
		for (i = off; i < end; i++) {
			const char *sk = done[i]->key;

			if (done[i]->now == NULL) {
				if (shadow_del(txn, c->cc->name, sk, strlen(sk),
				    err) == -1)
					goto abort;
				continue;
			}
			owned_value(c, done[i], &v);
			if (shadow_put(txn, c->cc->name, sk, strlen(sk), v.buf,
			    v.len, err) == -1)
				goto abort;
		}
		if (state_commit(txn, err) == -1)
			goto done;
	}
	rc = 0;
	goto done;
abort:
	state_abort(txn);
done:
	gw_buf_release(&v);
	free(done);
	return rc;
}

/*
 * Then the names chosen for GAL recipients and the watermarks, in one
 * transaction: the cycle counts as done only when this commits.
 */
static int
commit_shadow(struct cc_cycle *c, struct gw_err *err)
{
	struct gw_txn *txn;
	struct gw_buf v;
	struct strmap live;
	struct strmap_slot *s;
	unsigned char key[17];
	uint64_t head, floor;
	char hex[33];
	size_t i, k = 0;

	if (commit_applied(c, err) == -1)
		return -1;
	gw_buf_init(&v, 0);
	strmap_init(&live);
	if (state_begin(c->cy->state, 1, &txn, err) == -1)
		return -1;
	for (i = 0; i < c->to_cc.nrcpt; i++) {
		struct gal_rcpt *r = c->to_cc.rcpt[i];

		gw_uuid_hex(r->uuid, hex);
		strmap_put(&live, hex, (void *)1);
		if (!r->name_new)
			continue;
		key[0] = 'e';
		memcpy(key + 1, r->uuid, 16);
		gw_buf_reset(&v);
		gw_buf_add(&v, r->base, strlen(r->base) + 1);
		gw_buf_add(&v, r->chosen, strlen(r->chosen));
		if (shadow_put(txn, c->cc->name, key, 17, v.buf, v.len,
		    err) == -1)
			goto fail;
	}
	/* recipients that left the export scope give their name back */
	k = 0;
	while ((s = strmap_next(&c->to_cc.chosen_by_uuid, &k)) != NULL) {
		if (strmap_has(&live, s->key))
			continue;
		key[0] = 'e';
		(void)gw_uuid_parse(s->key, key + 1);
		if (shadow_del(txn, c->cc->name, key, 17, err) == -1)
			goto fail;
	}
	if (journal_head(txn, &head, &floor, err) == -1 ||
	    wmark_put_u64(txn, c->cc->name, "journal_usn", head, err) == -1 ||
	    wmark_put_u64(txn, c->cc->name, "last_cycle",
	    (unsigned long long)time(NULL), err) == -1 ||
	    wmark_put_u64(txn, c->cc->name, "exported", c->to_cc.nrcpt,
	    err) == -1 ||
	    wmark_put_u64(txn, c->cc->name, "export_all", 0, err) == -1 ||
	    wmark_put_u64(txn, c->cc->name, "import_all", 0, err) == -1)
		goto fail;
	strmap_release(&live);
	gw_buf_release(&v);
	return state_commit(txn, err);
fail:
	state_abort(txn);
	strmap_release(&live);
	gw_buf_release(&v);
	return -1;
}

/* ---- the cycle ---- */

static void
cycle_release(struct cc_cycle *c)
{
	struct strmap_slot *s;
	size_t i;

	for (i = 0; i < c->exports.nnative; i++)
		cc_entry_free(c->exports.native[i]);
	free(c->exports.native);
	for (i = 0; i < c->exports.nlists; i++)
		cc_entry_free(c->exports.lists[i]);
	free(c->exports.lists);
	for (i = 0; i < c->exports.nbboards; i++)
		cc_entry_free(c->exports.bboards[i]);
	free(c->exports.bboards);
	i = 0;
	while ((s = strmap_next(&c->exports.gal_side, &i)) != NULL)
		if (strchr("lLrR", ((struct cc_entry *)s->val)->locn) != NULL)
			cc_entry_free(s->val);
	strmap_release(&c->exports.gal_side);
	strmap_release(&c->exports.taken);
	strmap_release(&c->exports.held_users);
	strmap_release(&c->exports.held_lists);
	strmap_release(&c->exports.held_bboards);
	strmap_free_values(&c->to_gal.held_dn);
	for (i = 0; i < c->to_cc.nrcpt; i++)
		cc_rcpt_free(c->to_cc.rcpt[i]);
	free(c->to_cc.rcpt);
	strmap_free_values(&c->to_cc.chosen_by_uuid);
	strmap_free_values(&c->to_cc.name_dn);
	gw_records_free(c->to_cc.dels, c->to_cc.ndels);
	gw_records_free(c->to_cc.adds, c->to_cc.nadds);
	for (i = 0; i < c->to_gal.nplan; i++)
		cc_plan_release(&c->to_gal.plan[i]);
	free(c->to_gal.plan);
	for (i = 0; i < 3; i++)
		free(c->exports.paths[i]);
	gw_cp_close(&c->cp);
}

/* Both directions: what cc:Mail holds of the GAL, what it owns there. */
static int
check_thresholds(struct cc_cycle *c, struct gw_err *err)
{
	struct gw_deletions d = {
		.event = EV_CC_THRESHOLD, .who = "the cycle",
	};
	size_t i;

	d.ndel = c->to_cc.ndels;
	d.total = c->exports.ngal_side;
	d.what = "GAL entries cc:Mail holds";
	d.hint = "check the export containers, or ";
	d.in = "cc:Mail";
	if (gw_check_deletions(c->cy, c->cc->name, &c->cc->threshold, &d,
	    err) == -1)
		return -1;
	d.ndel = 0;
	for (i = 0; i < c->to_gal.nplan; i++)
		if (c->to_gal.plan[i].op == GW_OP_DELETE)
			d.ndel++;
	d.owned_in = c->cc->imp.ldap;
	d.x500 = c->cc->imp.x500;
	d.what = "entries imported from cc:Mail";
	d.hint = "a truncated Ccmdir.exp?  ";
	d.in = "the GAL";
	return gw_check_deletions(c->cy, c->cc->name, &c->cc->threshold, &d,
	    err);
}

static int
ccmail_cycle(struct gw_connector *con, struct gw_cycle *cy, struct gw_err *err)
{
	struct cc_cycle c;
	int export_all, import_all, rc = -1;
	size_t i, nusers = 0;

	memset(&c, 0, sizeof(c));
	c.cc = con->priv;
	c.cy = cy;
	strmap_init(&c.exports.gal_side);
	strmap_init(&c.exports.taken);
	strmap_init(&c.exports.held_users);
	strmap_init(&c.exports.held_lists);
	strmap_init(&c.exports.held_bboards);
	strmap_init(&c.to_gal.held_dn);
	strmap_init(&c.to_cc.chosen_by_uuid);
	strmap_init(&c.to_cc.name_dn);
	if (gw_cp_open(&c.cp, c.cc->codepage, err) == -1)
		return -1;
	if (load_shadow(&c, &export_all, &import_all, err) == -1 ||
	    cc_read_exports(&c, err) == -1)
		goto done;
	for (i = 0; i < c.exports.nnative; i++)
		if (strchr("LlRr", c.exports.native[i]->locn) != NULL)
			nusers++;
	evlog_emit(cy->ev, EV_CC_READ, GW_SEV_INFO, c.cc->name, NULL,
	    "read %zu GAL-originated entries, %zu cc:Mail entries (%zu users, "
	    "%zu post offices, %zu aliases), %zu lists, %zu bulletin boards",
	    c.exports.ngal_side, c.exports.nnative, nusers, c.exports.nposts,
	    c.exports.naliases, c.exports.nlists,
	    c.exports.nbboards);
	fprintf(cy->out, "%s: read %zu GAL-originated entries, %zu cc:Mail "
	    "entries, %zu lists, %zu bulletin boards\n", c.cc->name,
	    c.exports.ngal_side, c.exports.nnative, c.exports.nlists,
	    c.exports.nbboards);
	c.import_all = import_all;
	c.export_all = export_all;
	if (cc_plan_export(&c, err) == -1 || cc_plan_import(&c, err) == -1)
		goto done;
	/* planning's scratch sets are gone: their pages go back to the
	 * system before the long apply, not after it */
	malloc_trim(0);
	if (check_thresholds(&c, err) == -1)
		goto done;
	if (cy->dry_run) {
		/* the LDIF of every change, then what each file would get */
		fprintf(cy->out, "# %s: dry run, nothing written\n"
		    "# LDAP changes\n", c.cc->name);
		if (apply_ldap(&c, err) == -1)
			goto done;
		print_records(cy->out, "Ccmdel.imp", c.to_cc.dels,
		    c.to_cc.ndels);
		print_records(cy->out, "Ccmdir.imp", c.to_cc.adds,
		    c.to_cc.nadds);
		rc = 0;
		goto done;
	}
	GW_FAILPOINT("ccmail-planned");
	if (write_imports(&c, err) == -1)
		goto done;
	GW_FAILPOINT("ccmail-imports-written");
	if (apply_ldap(&c, err) == -1)
		goto done;
	GW_FAILPOINT("ccmail-ldap-applied");
	if (commit_shadow(&c, err) == -1)
		goto done;
	fprintf(cy->out, "%s: Ccmdel.imp %zu records, Ccmdir.imp %zu records\n",
	    c.cc->name, c.to_cc.ndels, c.to_cc.nadds);
	rc = 0;
done:
	cycle_release(&c);
	return rc;
}

static int
ccmail_reset(struct gw_connector *con, struct gw_txn *txn,
    const struct gw_reset *r, struct gw_err *err)
{
	if (r->requestor != NULL)
		return gw_err_set(err, GW_EXIT_USAGE, "connector %s: cc:Mail "
		    "has no requestors", con->name);
	if ((r->export_all && wmark_put_u64(txn, con->name, "export_all", 1,
	    err) == -1) || (r->import_all && wmark_put_u64(txn, con->name,
	    "import_all", 1, err) == -1))
		return -1;
	return 0;
}

const struct gw_connector_ops connector_ccmail = {
	.type = "ccmail",
	.keys = ccmail_keys,
	.peer_keys = NULL,
	.configure = ccmail_configure,
	.cycle = ccmail_cycle,
	.reset = ccmail_reset,
	.release = ccmail_release,
};
