/*
 * Server and disk faults under the cc:Mail connector: slapd stopped
 * before and in the middle of a cycle (galgate paused at a failpoint
 * while the test stops it), and the disk holding import_dir full.  Each
 * time: a clear error and event naming the server or the file, exit 1,
 * the watermarks unmoved, nothing half-written; then, the server back or
 * the space freed, the rerun completes to the state the cc:Mail model
 * (ccmail_model.c) and the GAL should be in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "ccmail_model.h"
#include "faults.h"

#define CCBASE	"cn=ccMail," BASE
#define GW_PO	"EXSITE1"

static struct env env;
static struct ccm *m;
static struct disk disk;
static char exp_dir[128], imp_dir[128];
static int nusers, ngal;	/* cc:Mail users and GAL recipients made */

static const char *conf_text =
    "[connector cc]\n"
    "type = ccmail\n"
    "export_dir = @DIR@/export\n"
    "import_dir = @DIR@/import\n"
    "post_office = " GW_PO "\n"
    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "delete_threshold = 100%\n";

static void
setup(void)
{
	struct out o;

	env_start(&env, conf_text, "--dbnosync");
	snprintf(exp_dir, sizeof(exp_dir), "%s/export", env.dir);
	snprintf(imp_dir, sizeof(imp_dir), "%s/import", env.dir);
	mkdir(exp_dir, 0755);
	mkdir(imp_dir, 0755);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	m = ccm_new("HQPO");
	cr_assert_eq(ccm_add_entry(m, GW_PO, 'P', NULL, NULL, NULL, NULL), 0);
	cr_assert_eq(ccm_add_entry(m, "HUBPO2", 'P', NULL, NULL, NULL, NULL),
	    0);
	nusers = ngal = 0;
}

static void
teardown(void)
{
	disk_unmount(&disk);
	ccm_free(m);
	m = NULL;
	env_stop(&env);
}

static void
add_users(int n)
{
	char name[64];
	int i;

	for (i = 0; i < n; i++, nusers++) {
		snprintf(name, sizeof(name), "User%03d, Fault", nusers);
		cr_assert_eq(ccm_add_entry(m, name, 'l', "HUBPO2", NULL, NULL,
		    "a cc:Mail user"), 0);
	}
}

static void
add_gal(int n)
{
	char ldif[1024];
	int i;

	for (i = 0; i < n; i++, ngal++) {
		snprintf(ldif, sizeof(ldif), "dn: cn=g%03d," RCPT "\n"
		    "changetype: add\nobjectClass: inetOrgPerson\n"
		    "objectClass: galgateRecipient\ncn: g%03d\nsn: Gal\n"
		    "displayName: Gal%03d, Recipient\nmailNickname: g%03d\n",
		    ngal, ngal, ngal, ngal);
		cr_assert_eq(ldap_apply(&env, ldif), 0);
	}
}

/* cc:Mail's IMPORT of what galgate wrote. */
static void
ccmail_imports(void)
{
	struct ccm_import_result res;

	memset(&res, 0, sizeof(res));
	cr_assert_eq(ccm_import(m, imp_dir, &res), 0);
}

/*
 * The GAL holds each cc:Mail user once, cc:Mail each GAL recipient once,
 * and one more round changes nothing on either side.
 */
static void
assert_converged(void)
{
	struct out o;
	char filter[64];
	int i, users = 0;

	for (i = 0; i < nusers; i++) {
		snprintf(filter, sizeof(filter), "User%03d, Fault", i);
		if (ccm_get_entry(m, filter, NULL, NULL, NULL, NULL, NULL) != 1)
			continue;
		users++;
		snprintf(filter, sizeof(filter), "(cn=User%03d, Fault)", i);
		cr_assert_eq(ldap_count_in(&env, CCBASE, "one", filter), 1,
		    "%s not in the GAL once", filter);
	}
	cr_assert_eq(ldap_count_in(&env, SUFFIX, "sub", "(galgateConnector=cc)"),
	    (size_t)users, "the GAL holds other entries from cc:Mail");
	cr_assert_eq(ccm_count_on_po(m, GW_PO), (size_t)ngal,
	    "cc:Mail holds %zu GAL recipients, not %d",
	    ccm_count_on_po(m, GW_PO), ngal);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
	o = galgate(&env, "sync cc");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "cc: 0 added, 0 modified, 0 deleted") !=
	    NULL, "not converged: %s", o.text);
	cr_assert(strstr(o.text, "Ccmdel.imp 0 records, Ccmdir.imp 0 records")
	    != NULL, "not converged: %s", o.text);
	out_free(&o);
}

static void
first_round(void)
{
	add_users(20);
	add_gal(5);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
	cr_assert_eq(sync_status(&env, "cc"), 0);
	ccmail_imports();
}

/* Some of everything for the next cycle: adds, deletions, GAL recipients. */
static void
changes(int round)
{
	char name[64];

	add_users(12);
	snprintf(name, sizeof(name), "User%03d, Fault", round * 2);
	cr_assert_eq(ccm_delete_entry(m, name), 0);
	snprintf(name, sizeof(name), "User%03d, Fault", round * 2 + 1);
	cr_assert_eq(ccm_delete_entry(m, name), 0);
	add_gal(3);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
}

Test(faults_ccmail, slapd_stopped_before_and_during_a_cycle, .init = setup,
    .fini = teardown, .timeout = 240)
{
	/* NULL: slapd is down before the cycle starts */
	static const char *points[] = {
		NULL,
		"state-before-commit:1:STOP", /* the poll before the cycle */
		"ldap-write:1:STOP",	/* before the first write */
		"ldap-write:9:STOP",	/* among the writes */
		"file-renamed:2:STOP",	/* import files written, no LDAP yet */
	};
	char *wm0, *wm1, *before_imp, *after_imp, path[200];
	size_t fails, k;
	struct paused p;
	struct out o;

	snprintf(path, sizeof(path), "%s/Ccmdir.imp", imp_dir);
	first_round();
	for (k = 0; k < sizeof(points) / sizeof(points[0]); k++) {
		const char *pt = points[k] != NULL ? points[k] : "down before";

		changes((int)k);
		wm0 = watermarks(&env, "cc");
		before_imp = file_text(path, NULL);
		fails = events_count(&env, 1022, env.uri);
		if (points[k] == NULL) {
			slapd_stop(&env);
			o = galgate(&env, "sync cc");
		} else {
			paused_start(&p, env.conf, points[k], "sync cc");
			slapd_stop(&env);
			o = paused_finish(&p);
		}
		/* a clear failure that names the server */
		cr_assert_eq(o.status, 1, "%s: exit %d: %s", pt, o.status,
		    o.text);
		cr_assert(strstr(o.text, "Can't contact LDAP server") != NULL &&
		    strstr(o.text, env.uri) != NULL, "%s: %s", pt, o.text);
		out_free(&o);
		cr_assert_eq(events_count(&env, 1022, env.uri), fails + 1,
		    "%s: no event 1022 naming %s", pt, env.uri);
		wm1 = watermarks(&env, "cc");
		cr_assert_str_eq(wm1, wm0, "%s: watermarks moved", pt);
		free(wm1);
		free(wm0);
		o = galgate(&env, "status");
		cr_assert(strstr(o.text, "connector cc (ccmail): failing") !=
		    NULL, "%s: %s", pt, o.text);
		out_free(&o);
		/* import files: the old ones or whole new ones, nothing else */
		cr_assert_eq(files_named(imp_dir, ".tmp"), 0, "%s", pt);
		after_imp = file_text(path, NULL);
		cr_assert_not_null(after_imp);
		if (points[k] == NULL)
			cr_assert_str_eq(after_imp, before_imp, "%s: import "
			    "files written without a server", pt);
		free(before_imp);
		free(after_imp);

		/* the server back: the rerun does the whole cycle */
		slapd_start_again(&env);
		cr_assert_eq(sync_status(&env, "cc"), 0, "%s: rerun", pt);
		ccmail_imports();
		assert_converged();
		o = galgate(&env, "status");
		cr_assert(strstr(o.text, "connector cc (ccmail): ok") != NULL,
		    "%s: %s", pt, o.text);
		out_free(&o);
	}
}

/*
 * One disk-full case: the import files, the GAL and the watermarks as
 * they were; the error names the file and the cause.
 */
static void
refused_for_space(const char *failpoint, const char *what)
{
	char dir_path[200], del_path[200], *d0, *e0, *d1, *e1, *wm0, *wm1;
	char *j0, *j1;
	struct out o;

	snprintf(dir_path, sizeof(dir_path), "%s/Ccmdir.imp", imp_dir);
	snprintf(del_path, sizeof(del_path), "%s/Ccmdel.imp", imp_dir);
	d0 = file_text(dir_path, NULL);
	e0 = file_text(del_path, NULL);
	wm0 = watermarks(&env, "cc");
	j0 = ldap_dump(&env, CCBASE);
	if (disk.mounted)
		o = galgate(&env, "sync cc");
	else
		o = run("GALGATE_FAILPOINT=%s %s -c %s sync cc", failpoint,
		    GALGATE_BINARY, env.conf);
	cr_assert_eq(o.status, 1, "%s: exit %d: %s", what, o.status, o.text);
	cr_assert(strstr(o.text, ".imp: No space left on device") != NULL &&
	    strstr(o.text, imp_dir) != NULL, "%s: %s", what, o.text);
	out_free(&o);
	cr_assert_geq(events_count(&env, 1022, ".imp: No space left on device"),
	    1, "%s: no event", what);
	/* no half-written or half-renamed pair of files, no temp file */
	cr_assert_eq(files_named(imp_dir, ".tmp"), 0, "%s: temp files left",
	    what);
	d1 = file_text(dir_path, NULL);
	e1 = file_text(del_path, NULL);
	cr_assert_not_null(d1);
	cr_assert_not_null(e1);
	cr_assert_str_eq(d1, d0, "%s: Ccmdir.imp changed", what);
	cr_assert_str_eq(e1, e0, "%s: Ccmdel.imp changed without Ccmdir.imp",
	    what);
	wm1 = watermarks(&env, "cc");
	cr_assert_str_eq(wm1, wm0, "%s: watermarks moved", what);
	/* the files come first: the GAL was not touched either */
	j1 = ldap_dump(&env, CCBASE);
	cr_assert_str_eq(j1, j0, "%s: the GAL changed", what);
	free(d0);
	free(e0);
	free(d1);
	free(e1);
	free(wm0);
	free(wm1);
	free(j0);
	free(j1);
}

Test(faults_ccmail, import_dir_on_a_full_disk, .init = setup, .fini = teardown,
    .timeout = 120)
{
	char ldif[256];

	/* the import files are written to a 512 KB filesystem */
	disk_mount(&disk, imp_dir, 512);
	first_round();
	/* two deletions (a small Ccmdel.imp), 120 additions (a large Ccmdir.imp) */
	snprintf(ldif, sizeof(ldif), "dn: cn=g000," RCPT "\nchangetype: "
	    "delete\n\ndn: cn=g001," RCPT "\nchangetype: delete\n");
	cr_assert_eq(ldap_apply(&env, ldif), 0);
	add_gal(120);
	add_users(10);
	cr_assert_eq(ccm_export(m, exp_dir), 0);

	/* not a byte free */
	disk_fill(&disk, 0);
	refused_for_space("file-write:1:ENOSPC", "disk full");
	/* room for Ccmdel.imp, not for Ccmdir.imp */
	disk_unfill(&disk);
	disk_fill(&disk, 8);
	refused_for_space("file-write:2:ENOSPC", "8 KB free");

	/* space again: the rerun writes both files and the GAL */
	disk_unfill(&disk);
	cr_assert_eq(sync_status(&env, "cc"), 0);
	ccmail_imports();
	cr_assert_eq(ccm_get_entry(m, "Gal000, Recipient", NULL, NULL, NULL,
	    NULL, NULL), 0, "a GAL deletion did not reach cc:Mail");
	ngal -= 2;
	assert_converged();
}
