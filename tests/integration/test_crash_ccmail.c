/*
 * Crash consistency of the cc:Mail connector (crash.h): a 5,000-user
 * cc:Mail directory synced with the GAL, then one change-heavy cycle
 * (users added, changed, renamed and deleted in cc:Mail, lists changed,
 * thousands of GAL recipients added and others changed, renamed and
 * deleted) killed at every failpoint it passes and rerun.  Each time:
 *
 *   - right after the kill, Ccmdel.imp and Ccmdir.imp are each either
 *     the old file or the new one, byte for byte, and cc:Mail's IMPORT
 *     (ccmail_model.c) run at that moment ends with the directory of
 *     before the cycle or of after it, never a mix;
 *   - the rerun succeeds with no errors; the import files are those of
 *     the clean run, byte for byte, with nothing else left in import_dir;
 *   - the GAL equals the clean run's (normalized LDIF), the journal has
 *     no USN gap or repeat and ends in the clean run's state.
 *
 * GALGATE_CRASH_FULL=1: 100,000 users, larger changes, and every
 * ldap-write pass up to 70 (past the 64 writes in flight).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "ccmail_model.h"
#include "crash.h"

#define GW_PO	"EXSITE1"

static const char *conf_text =
    "[connector cc]\n"
    "type = ccmail\n"
    "export_dir = @DIR@/export\n"
    "import_dir = @DIR@/import\n"
    "post_office = " GW_PO "\n"
    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "export_container = /o=Contoso/ou=Site2/cn=Recipients\n"
    "smtp_template = %g.%s@cc.example\n"
    "delete_threshold = 100%\n";

static const char *const snap_paths[] = { "export", "import", NULL };

struct sizes {
	size_t	users;		/* cc:Mail users before the cycle */
	size_t	gal;		/* GAL recipients before the cycle */
	size_t	cc_add, cc_mod, cc_del, cc_ren;	/* cc:Mail side */
	size_t	gal_add, gal_mod, gal_ren, gal_del;	/* GAL side */
	unsigned long ldap_full;	/* ldap-write passes tried, full run */
};

static const struct sizes normal = {
	5000, 1000, 200, 200, 200, 30, 4200, 100, 30, 100, 0
};
static const struct sizes full = {
	100000, 5000, 2000, 2000, 2000, 200, 6000, 1000, 200, 1000, 70
};

static struct env env;

static void
teardown(void)
{
	env_stop(&env);
}

static char exp_dir[128], imp_dir[128], ref_dir[160];

static const char *given[] = { "Jimmy", "Ann", "J\xc3\xbcrgen",
    "Am\xc3\xa9lie", "Pat", "Sally", "Jeff", "Siobh\xc3\xa1n" };
static const char *surname[] = { "Smith", "Jones", "M\xc3\xbcller",
    "Lef\xc3\xa8vre", "Grewal", "Brady", "O'Brien" };

/* The name of cc:Mail user i (stable across the test). */
static void
user_name(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s%06zu, %s", surname[i % 7], i, given[i % 8]);
}

static void
add_user(struct ccm *m, size_t i)
{
	char name[96], cmt[96];
	static const char locn[] = "LlRl";
	char l = locn[i % 4];

	user_name(i, name, sizeof(name));
	snprintf(cmt, sizeof(cmt), "u%zu;43/%04zu;(425) 555-%04zu", i,
	    i % 9999, i % 9999);
	cr_assert_eq(ccm_add_entry(m, name, l, l == 'l' ? "HUBPO2" : NULL,
	    NULL, NULL, cmt), 0, "%s", name);
}

/*
 * A user whose SMTP address clashes with the one before it ("Clash12,
 * Pat" and "Clash12 , Pat" both want pat.clash12@): the second gets a
 * number, and must keep it whatever happens to the cycle.
 */
static void
add_clash(struct ccm *m, size_t k, int second)
{
	char name[96];

	snprintf(name, sizeof(name), "Clash%04zu%s, Pat", k, second ? " " : "");
	cr_assert_eq(ccm_add_entry(m, name, 'L', NULL, NULL, NULL, "clash"),
	    0);
}

static const char *
gal_site(size_t i)
{
	return i % 5 == 4 ? "Site2" : "HQ";
}

/* LDIF of GAL recipient i (site and office vary with i). */
static void
gal_entry(struct gw_buf *b, size_t i, const char *display)
{
	crash_ldif_add(b, "dn: cn=g%06zu,cn=Recipients,ou=%s,o=Contoso," SUFFIX "\n"
	    "changetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: g%06zu\nsn: Person%06zu\n"
	    "displayName: %s\nmailNickname: g%06zu\n"
	    "physicalDeliveryOfficeName: %zu/%zu\n"
	    "telephoneNumber: +1 425 555 %04zu\n\n", i, gal_site(i), i, i,
	    display, i, i % 50, i % 300, i % 10000);
}

static void
gal_display(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "Gal%06zu, Person", i);
}

static void
sync_ok(const char *what, struct crash_result *r)
{
	crash_galgate(&env, NULL, 0, "sync cc", r);
	cr_assert_eq(r->status, 0, "%s: sync: %s%s", what, r->out, r->err);
}

/* The model's directory as one text: its three export files. */
static char *
model_text(const struct ccm *m)
{
	char dir[192], path[256], *out = NULL, *f;
	static const char *const files[] = { "Ccmdir.exp", "Ccmlist.exp",
	    "Ccmbb.exp", NULL };
	size_t len = 0, n, i;
	struct out o;

	snprintf(dir, sizeof(dir), "%s/model-out", env.dir);
	mkdir(dir, 0755);
	cr_assert_eq(ccm_export(m, dir), 0);
	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = crash_slurp(path, &n);
		cr_assert_not_null(f);
		out = realloc(out, len + n + 1);
		cr_assert_not_null(out);
		memcpy(out + len, f, n);
		len += n;
		out[len] = '\0';
		free(f);
	}
	o = run("rm -rf '%s'", dir);
	out_free(&o);
	return out;
}

static void
records_check(const char *file, size_t want_min)
{
	char path[256];
	char *t, *p;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", imp_dir, file);
	t = crash_slurp(path, NULL);
	cr_assert_not_null(t, "%s missing", path);
	/* line by line: a strstr per record is quadratic under ASan */
	for (p = t; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		n += strncmp(p, "Name:", 5) == 0;
	}
	cr_assert(n >= want_min, "%s holds %zu records, fewer than %zu", file,
	    n, want_min);
	free(t);
}

Test(crash_ccmail, killed_anywhere_the_cycle_reruns_to_the_clean_result,
    .fini = teardown, .timeout = 3600)
{
	const struct sizes *sz = crash_full() ? &full : &normal;
	struct crash_result r;
	struct crash_trace trace;
	struct crash_points pts;
	struct crash_point last = { "ldap-write", 0 };
	struct gw_buf ldif;
	struct ccm *m, *pre, *cl;
	struct ccm_import_result res;
	char name[96], path[256], path2[256], what[160];
	char *gal_ref, *jrn_ref, *pre_text, *clean_text, *t, **left;
	unsigned long long head;
	size_t i, k, next;
	double t0 = crash_now(), t1, tp, ts, tm[6] = { 0, 0, 0, 0, 0, 0 };
	struct out o;

	gw_buf_init(&ldif, 0);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	env_start(&env, conf_text, CRASH_SLAPD_OPTS);
	snprintf(exp_dir, sizeof(exp_dir), "%s/export", env.dir);
	snprintf(imp_dir, sizeof(imp_dir), "%s/import", env.dir);
	snprintf(ref_dir, sizeof(ref_dir), "%s/ref", env.dir);
	mkdir(exp_dir, 0755);
	mkdir(imp_dir, 0755);
	mkdir(ref_dir, 0755);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);

	/* the base: cc:Mail's users and the GAL's recipients, in sync */
	m = ccm_new("HQPO");
	cr_assert_eq(ccm_add_entry(m, GW_PO, 'P', NULL, NULL, NULL, NULL), 0);
	cr_assert_eq(ccm_add_entry(m, "HUBPO2", 'P', NULL, NULL, NULL, NULL),
	    0);
	for (i = 0; i < sz->users; i++)
		add_user(m, i);
	for (k = 0; k < 10; k++) {
		add_clash(m, k, 0);
		add_clash(m, k, 1);
	}
	for (k = 0; k < 20; k++) {
		const char *mem[6];
		char mn[5][96], ln[32];

		for (i = 0; i < 5; i++) {
			user_name(k * 50 + i * 7, mn[i], sizeof(mn[i]));
			mem[i] = mn[i];
		}
		mem[5] = NULL;
		snprintf(ln, sizeof(ln), "List %02zu", k);
		cr_assert_eq(ccm_add_list(m, ln, mem, "a list"), 0);
	}
	for (k = 0; k < 10; k++) {
		snprintf(name, sizeof(name), "Board %02zu", k);
		cr_assert_eq(ccm_add_bboard(m, name, "a board"), 0);
	}
	for (i = 0; i < sz->gal; i++) {
		gal_display(i, name, sizeof(name));
		gal_entry(&ldif, i, name);
	}
	crash_ldif_apply(&env, &ldif);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
	sync_ok("base", &r);
	crash_result_free(&r);
	cr_assert_eq(ccm_import(m, imp_dir, &res), 0);
	cr_assert_eq(res.added, (int)sz->gal);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
	sync_ok("base, second round", &r);
	cr_assert_not_null(strstr(r.out, "cc: 0 added, 0 modified, 0 deleted"),
	    "the base did not converge: %s", r.out);
	crash_result_free(&r);
	cr_assert_eq(ccm_import(m, imp_dir, &res), 0);
	t1 = crash_now();
	cr_log_info("crash_ccmail: base of %zu cc:Mail users and %zu GAL "
	    "recipients in %.1f s", sz->users, sz->gal, t1 - t0);

	/* the cycle's input: changes on both sides */
	next = sz->users;
	for (i = 0; i < sz->cc_del; i++) {
		user_name(sz->users - 1 - i * 3, name, sizeof(name));
		cr_assert_eq(ccm_delete_entry(m, name), 0, "%s", name);
	}
	for (i = 0; i < sz->cc_mod; i++) {
		const char *exact;
		char locn, cmt[96];
		const char *po;

		user_name(i * 3 + 1, name, sizeof(name));
		cr_assert_eq(ccm_get_entry(m, name, &exact, &locn, &po, NULL,
		    NULL), 1);
		snprintf(cmt, sizeof(cmt), "changed %zu;44/%04zu", i, i);
		t = strdup(po != NULL ? po : "");
		cr_assert_eq(ccm_delete_entry(m, name), 0);
		cr_assert_eq(ccm_add_entry(m, name, locn, *t ? t : NULL, NULL,
		    NULL, cmt), 0);
		free(t);
	}
	for (i = 0; i < sz->cc_ren; i++) {
		char nn[96];

		user_name(i * 3 + 2, name, sizeof(name));
		snprintf(nn, sizeof(nn), "Renamed%06zu, %s", i, given[i % 8]);
		cr_assert_eq(ccm_delete_entry(m, name), 0);
		cr_assert_eq(ccm_add_entry(m, nn, 'L', NULL, NULL, NULL,
		    "renamed"), 0);
	}
	for (i = 0; i < sz->cc_add; i++)
		add_user(m, next++);
	for (k = 10; k < 30; k++) {
		add_clash(m, k, 0);
		add_clash(m, k, 1);
	}
	{
		const char *mem[] = { "Clash0011, Pat", "Clash0011 , Pat",
		    NULL };

		cr_assert_eq(ccm_add_list(m, "List new", mem, NULL), 0);
	}
	pre = ccm_clone(m);
	cr_assert_not_null(pre);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
	ccm_free(m);
	for (i = 0; i < sz->gal_add; i++) {
		k = sz->gal + i;
		gal_display(k, name, sizeof(name));
		/* some take a cc:Mail user's name in another case */
		if (i % 100 == 7) {
			user_name(i * 3 + 1, name, sizeof(name));
			name[0] = (char)(name[0] ^ 0x20);
		}
		gal_entry(&ldif, k, name);
	}
	for (i = 0; i < sz->gal_mod; i++)
		crash_ldif_add(&ldif, "dn: cn=g%06zu,cn=Recipients,ou=%s,o=Contoso,"
		    SUFFIX "\nchangetype: modify\nreplace: "
		    "physicalDeliveryOfficeName\nphysicalDeliveryOfficeName: "
		    "moved %zu\n\n", i * 3, gal_site(i * 3), i);
	for (i = 0; i < sz->gal_ren; i++)
		crash_ldif_add(&ldif, "dn: cn=g%06zu,cn=Recipients,ou=%s,o=Contoso,"
		    SUFFIX "\nchangetype: modify\nreplace: displayName\n"
		    "displayName: Married%06zu, Person\n\n", i * 3 + 1,
		    gal_site(i * 3 + 1), i);
	for (i = 0; i < sz->gal_del; i++)
		crash_ldif_add(&ldif, "dn: cn=g%06zu,cn=Recipients,ou=%s,o=Contoso,"
		    SUFFIX "\nchangetype: delete\n\n", i * 3 + 2,
		    gal_site(i * 3 + 2));
	crash_ldif_apply(&env, &ldif);
	gw_buf_release(&ldif);
	crash_snapshot(&env, "pre", snap_paths);
	pre_text = model_text(pre);

	/* the clean run: the reference, and where it passes each point */
	tp = crash_now();
	crash_galgate(&env, NULL, 1, "sync cc", &r);
	cr_assert_eq(r.status, 0, "clean run: %s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, ", 0 errors"), "%s", r.out);
	crash_trace_read(r.err, &trace);
	cr_log_info("crash_ccmail: clean cycle %.1f s: %s", crash_now() - tp,
	    r.out);
	crash_result_free(&r);
	records_check("Ccmdel.imp", sz->gal_del + sz->gal_ren);
	records_check("Ccmdir.imp", sz->gal_add);
	o = run("cp '%s/Ccmdel.imp' '%s/Ccmdir.imp' '%s/'", imp_dir, imp_dir,
	    ref_dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	gal_ref = crash_gal_dump(&env);
	jrn_ref = crash_journal_state(&env, "clean run", &head);
	cl = ccm_clone(pre);
	cr_assert_eq(ccm_import(cl, imp_dir, &res), 0);
	cr_assert_eq(res.refused + res.malformed, 0, "cc:Mail refused %d and "
	    "found %d malformed", res.refused, res.malformed);
	clean_text = model_text(cl);
	/* and the clean result is the converged one */
	cr_assert_eq(ccm_export(cl, exp_dir), 0);
	ccm_free(cl);
	sync_ok("after the clean run", &r);
	cr_assert_not_null(strstr(r.out, "cc: 0 added, 0 modified, 0 deleted"),
	    "no convergence after the clean run: %s", r.out);
	crash_result_free(&r);
	records_check("Ccmdel.imp", 0);

	/* the points: every commit and file step, LDAP writes spread */
	memset(&pts, 0, sizeof(pts));
	crash_points_every(&pts, &trace, "journal-chunk", 10);
	crash_points_every(&pts, &trace, "state-before-commit", 100);
	crash_points_every(&pts, &trace, "state-committed", 100);
	crash_points_add(&pts, &trace, "ccmail-planned", 1);
	crash_points_every(&pts, &trace, "file-written", 10);
	crash_points_every(&pts, &trace, "file-before-rename", 10);
	crash_points_every(&pts, &trace, "file-renamed", 10);
	crash_points_add(&pts, &trace, "ccmail-imports-written", 1);
	crash_points_spread(&pts, &trace, "ldap-write", sz->ldap_full);
	/* a few more writes, in the release stage */
	crash_points_pick(&pts, &trace, "ldap-write", 2);
	crash_points_pick(&pts, &trace, "ldap-write", 65);
	crash_points_pick(&pts, &trace, "ldap-write", sz->cc_del + 1);
	crash_points_add(&pts, &trace, "ccmail-ldap-applied", 1);
	cr_assert(pts.n >= (crash_ends() ? 16 : 20), "only %zu crash points",
	    pts.n);
	crash_points_select(&pts, &trace);
	cr_assert(pts.n > 0, "GALGATE_CRASH_POINTS: no point the clean run "
	    "passes");
	t = crash_points_str(&pts);
	cr_log_info("crash_ccmail: points %s", t);
	free(t);

	/*
	 * Last, the last write once more, its rerun with the first failed
	 * add held on the server until every write was answered (hold.h):
	 * the writes after it commit while its CSN is pending, and the
	 * journal must still record them all.
	 */
	last.count = crash_trace_passes(&trace, "ldap-write");
	for (i = 0; i <= pts.n; i++) {
		const struct crash_point *p = i < pts.n ? &pts.v[i] : &last;
		int same_del, same_add, new_del, new_add, held = i == pts.n;
		char *got;

		snprintf(what, sizeof(what), "killed at %s:%lu%s", p->name,
		    p->count, held ? ", rerun with a failed add held" : "");
		cr_log_info("%s: %s", "crash_ccmail", what);
		if (held)
			hold_prepare(&env);
		ts = crash_now();
		crash_restore(&env, "pre", snap_paths);
		tm[0] += crash_now() - ts;
		ts = crash_now();
		crash_kill_at(&env, p, "sync cc");
		tm[1] += crash_now() - ts;
		ts = crash_now();

		/* what cc:Mail could import right now: old or new, no mix */
		snprintf(path, sizeof(path), "%s/Ccmdel.imp", imp_dir);
		snprintf(path2, sizeof(path2), "%s/snap-pre/import/Ccmdel.imp",
		    env.dir);
		same_del = crash_same_file(path, path2);
		snprintf(path2, sizeof(path2), "%s/Ccmdel.imp", ref_dir);
		new_del = crash_same_file(path, path2);
		snprintf(path, sizeof(path), "%s/Ccmdir.imp", imp_dir);
		snprintf(path2, sizeof(path2), "%s/snap-pre/import/Ccmdir.imp",
		    env.dir);
		same_add = crash_same_file(path, path2);
		snprintf(path2, sizeof(path2), "%s/Ccmdir.imp", ref_dir);
		new_add = crash_same_file(path, path2);
		snprintf(path, sizeof(path), "%s/Ccmdel.imp", imp_dir);
		cr_assert(same_del || new_del || access(path, F_OK) != 0,
		    "%s: Ccmdel.imp is neither the old nor the new file", what);
		snprintf(path, sizeof(path), "%s/Ccmdir.imp", imp_dir);
		cr_assert(same_add || new_add || access(path, F_OK) != 0,
		    "%s: Ccmdir.imp is neither the old nor the new file", what);
		cl = ccm_clone(pre);
		cr_assert_not_null(cl);
		/* (IMPORT refuses a pair with a file missing) */
		if (access(path, F_OK) == 0 && ccm_import(cl, imp_dir,
		    &res) == 0) {
			got = model_text(cl);
			cr_assert(strcmp(got, pre_text) == 0 ||
			    strcmp(got, clean_text) == 0, "%s: cc:Mail's "
			    "IMPORT now would leave a directory that is "
			    "neither the one before the cycle nor the one "
			    "after it (Ccmdel.imp %s, Ccmdir.imp %s)", what,
			    new_del ? "new" : same_del ? "old" : "absent",
			    new_add ? "new" : same_add ? "old" : "absent");
			free(got);
		}
		ccm_free(cl);

		tm[2] += crash_now() - ts;

		/* the rerun */
		ts = crash_now();
		if (held) {
			crash_galgate_held(&env, "sync cc",
			    "ccmail-ldap-applied", &r);
			cr_assert_eq(r.status, 0, "%s: sync: %s%s", what,
			    r.out, r.err);
		} else
			sync_ok(what, &r);
		tm[3] += crash_now() - ts;
		ts = crash_now();
		cr_assert_not_null(strstr(r.out, ", 0 errors"), "%s: the rerun "
		    "had errors: %s", what, r.out);
		crash_result_free(&r);
		left = crash_listdir(imp_dir);
		cr_assert(left[0] != NULL && left[1] != NULL && left[2] ==
		    NULL && strcmp(left[0], "Ccmdel.imp") == 0 &&
		    strcmp(left[1], "Ccmdir.imp") == 0, "%s: import_dir holds "
		    "more than the two import files (%s, %s, %s)", what,
		    left[0] ? left[0] : "-", left[0] && left[1] ? left[1] : "-",
		    left[0] && left[1] && left[2] ? left[2] : "-");
		crash_strv_free(left);
		snprintf(path, sizeof(path), "%s/Ccmdel.imp", imp_dir);
		snprintf(path2, sizeof(path2), "%s/Ccmdel.imp", ref_dir);
		cr_assert(crash_same_file(path, path2), "%s: after the rerun "
		    "Ccmdel.imp differs from the clean run's", what);
		snprintf(path, sizeof(path), "%s/Ccmdir.imp", imp_dir);
		snprintf(path2, sizeof(path2), "%s/Ccmdir.imp", ref_dir);
		cr_assert(crash_same_file(path, path2), "%s: after the rerun "
		    "Ccmdir.imp differs from the clean run's", what);
		got = crash_gal_dump(&env);
		crash_gal_assert_eq(gal_ref, got, what);
		free(got);
		tm[4] += crash_now() - ts;
		ts = crash_now();
		got = crash_journal_state(&env, what, NULL);
		crash_journal_assert_eq(jrn_ref, got, what);
		free(got);
		tm[5] += crash_now() - ts;
	}
	cr_log_info("crash_ccmail: seconds in restore %.1f, killed runs %.1f, "
	    "checks after the kill %.1f, reruns %.1f, GAL dumps %.1f, "
	    "journal %.1f", tm[0], tm[1], tm[2], tm[3], tm[4], tm[5]);
	cr_log_info("crash_ccmail: %zu crash points (%zu failpoints), "
	    "%zu cc:Mail users, %zu GAL recipients, %.1f s in all", pts.n,
	    crash_points_names(&pts), sz->users, sz->gal + sz->gal_add,
	    crash_now() - t0);
	crash_points_free(&pts);
	crash_trace_free(&trace);
	free(gal_ref);
	free(jrn_ref);
	free(pre_text);
	free(clean_text);
	ccm_free(pre);
}
