/*
 * The cc:Mail connector against a real slapd, with cc:Mail's side played
 * by ccmail_model.c: a model of cc:Mail's EXPORT and IMPORT that shares no
 * code with galgate's reader or writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "ccmail_model.h"
#include "harness.h"

#define CCBASE	"cn=ccMail," BASE
#define GW_PO	"EXSITE1"

static struct env env;
static struct ccm *m;
static char exp_dir[128], imp_dir[128];

static const char *conf_text =
    "[connector cc]\n"
    "type = ccmail\n"
    "export_dir = @DIR@/export\n"
    "import_dir = @DIR@/import\n"
    "post_office = " GW_PO "\n"
    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "export_container = /o=Contoso/ou=Site2/cn=Recipients\n"
    "export_container = /o=Contoso/ou=Site3/cn=Recipients\n"
    "smtp_template = %g.%s@cc.example\n"
    "delete_threshold = 30%, 3\n";

static void
setup(void)
{
	struct out o;

	env_start(&env, conf_text, NULL);
	snprintf(exp_dir, sizeof(exp_dir), "%s/export", env.dir);
	snprintf(imp_dir, sizeof(imp_dir), "%s/import", env.dir);
	mkdir(exp_dir, 0755);
	mkdir(imp_dir, 0755);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	m = ccm_new("HQPO");
	cr_assert_eq(ccm_add_entry(m, GW_PO, 'P', NULL, NULL, NULL,
	    "galgate gateway post office"), 0);
	cr_assert_eq(ccm_add_entry(m, "HUBPO2", 'P', NULL, NULL, NULL, NULL),
	    0);
}

static void
teardown(void)
{
	ccm_free(m);
	m = NULL;
	env_stop(&env);
}

/* cc:Mail exports, galgate runs one cycle, cc:Mail imports. */
static int
round_trip(struct ccm_import_result *res)
{
	struct out o;
	int st;

	cr_assert_eq(ccm_export(m, exp_dir), 0);
	o = galgate(&env, "sync cc");
	st = o.status;
	if (st != 0) {
		cr_log_info("sync: %s", o.text);
		out_free(&o);
		return st;
	}
	out_free(&o);
	memset(res, 0, sizeof(*res));
	cr_assert_eq(ccm_import(m, imp_dir, res), 0);
	return 0;
}

static size_t
records_in(const char *file)
{
	char path[256];
	struct out o;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", imp_dir, file);
	o = run("cat '%s'", path);
	n = count_of(o.text, "\r\nName: ") + count_of(o.text, "\r\nName:: ");
	out_free(&o);
	return n;
}

static size_t
ldap_count(const char *base, const char *filter)
{
	struct out o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b '%s' "
	    "'%s' 1.1", env.uri, base, filter);
	size_t n = count_of(o.text, "dn:");

	out_free(&o);
	return n;
}

static size_t
journal_length(void)
{
	struct out o = galgate(&env, "journal --json");
	size_t n = count_of(o.text, "\"usn\"");

	out_free(&o);
	return n;
}

static void
add_gal(const char *rdn, const char *site, const char *display)
{
	char ldif[2048];

	snprintf(ldif, sizeof(ldif), "dn: cn=%s,cn=Recipients,ou=%s,o=Contoso,"
	    SUFFIX "\nchangetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: %s\nsn: x\n"
	    "displayName: %s\nmailNickname: %s\n", rdn, site, rdn, display,
	    rdn);
	cr_assert_eq(ldap_apply(&env, ldif), 0);
}

/* Runs rounds until both import files are empty; returns how many. */
static int
converge(int max)
{
	struct ccm_import_result res;
	int i;

	for (i = 1; i <= max; i++) {
		cr_assert_eq(round_trip(&res), 0);
		if (records_in("Ccmdel.imp") == 0 &&
		    records_in("Ccmdir.imp") == 0)
			return i;
	}
	return -1;
}

Test(ccmail, case_variant_names_converge_without_update_cycles,
    .init = setup, .fini = teardown)
{
	struct ccm_import_result res;
	const char *exact, *po, *fan, *cmt;
	char locn;
	size_t before;
	int rounds;

	add_gal("jsmith1", "HQ", "Smith, Jimmy");
	add_gal("jsmith2", "Site2", "SMITH, Jimmy");
	add_gal("jsmith3", "Site3", "Smith, jimmy");
	cr_assert_eq(ccm_add_entry(m, "Grewal, Jeff", 'l', "HUBPO2", NULL,
	    NULL, NULL), 0);
	cr_assert_eq(ccm_add_entry(m, "Road Warrior, Pat", 'R', NULL, NULL,
	    NULL, "mobile"), 0);

	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(res.added, 3, "cc:Mail added %d", res.added);
	cr_assert_eq(res.refused, 0);
	/* three distinct, stable names; the first comer keeps the plain one */
	cr_assert_eq(ccm_get_entry(m, "Smith, Jimmy", &exact, &locn, &po, &fan,
	    &cmt), 1);
	cr_assert_str_eq(exact, "Smith, Jimmy");
	cr_assert_str_eq(fan, "EX:/o=Contoso/ou=HQ/cn=Recipients/cn=jsmith1");
	cr_assert_eq(ccm_get_entry(m, "SMITH, Jimmy (Site2)", &exact, &locn,
	    &po, &fan, &cmt), 1);
	cr_assert_str_eq(fan, "EX:/o=Contoso/ou=Site2/cn=Recipients/cn=jsmith2");
	cr_assert_eq(ccm_get_entry(m, "Smith, jimmy (Site3)", &exact, &locn,
	    &po, &fan, &cmt), 1);
	cr_assert_str_eq(exact, "Smith, jimmy (Site3)");
	cr_assert_eq(ccm_count_on_po(m, GW_PO), 3);
	/* cc:Mail's users are in the GAL; the GAL's never came back */
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 2);
	cr_assert_eq(ldap_count(CCBASE, "(cn=Grewal, Jeff)"), 1);

	rounds = converge(2);
	cr_assert(rounds >= 1 && rounds <= 2, "no convergence");
	before = journal_length();
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(records_in("Ccmdel.imp"), 0);
	cr_assert_eq(records_in("Ccmdir.imp"), 0);
	cr_assert_eq(res.added + res.updated + res.deleted, 0);
	cr_assert_eq(journal_length(), before, "the GAL changed");
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 2);
}

Test(ccmail, gal_rename_is_delete_plus_add, .init = setup, .fini = teardown)
{
	struct ccm_import_result res;
	const char *exact, *po, *fan, *cmt;
	char locn;

	add_gal("sbrady", "HQ", "Brady, Sally");
	cr_assert_eq(converge(3) > 0, 1);
	cr_assert_eq(ccm_get_entry(m, "Brady, Sally", &exact, &locn, &po, &fan,
	    &cmt), 1);
	cr_assert_eq(ldap_apply(&env, "dn: cn=sbrady," RCPT "\nchangetype: "
	    "modify\nreplace: displayName\ndisplayName: Brady-Jones, Sally\n"),
	    0);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(records_in("Ccmdel.imp"), 1);
	cr_assert_eq(records_in("Ccmdir.imp"), 1);
	cr_assert_eq(res.deleted, 1);
	cr_assert_eq(res.added, 1);
	cr_assert_eq(ccm_get_entry(m, "Brady, Sally", &exact, &locn, &po, &fan,
	    &cmt), 0);
	cr_assert_eq(ccm_get_entry(m, "Brady-Jones, Sally", &exact, &locn, &po,
	    &fan, &cmt), 1);
	cr_assert_eq(converge(2), 1);
}

Test(ccmail, deletion_in_ccmail_removes_the_gal_entry, .init = setup,
    .fini = teardown)
{
	struct ccm_import_result res;
	struct out o;
	const char *names[] = { "Grewal, Jeff", "Alpha, Ann", "Beta, Bob",
	    "Gamma, Gus", "Delta, Dee", NULL };
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		cr_assert_eq(ccm_add_entry(m, names[i], 'l', "HUBPO2", NULL,
		    NULL, NULL), 0);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 5);
	cr_assert_eq(ccm_delete_entry(m, "Grewal, Jeff"), 0);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(ldap_count(CCBASE, "(cn=Grewal, Jeff)"), 0);
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 4);
	o = galgate(&env, "journal --json");
	/* slapd writes the comma of the RDN as \2C */
	cr_assert(strstr(o.text, "\"op\":\"delete\",\"dn\":\"cn=Grewal\\\\2C "
	    "Jeff," CCBASE "\"") != NULL, "%s", o.text);
	out_free(&o);
}

Test(ccmail, deletion_in_the_gal_reaches_ccmail, .init = setup,
    .fini = teardown)
{
	struct ccm_import_result res;
	const char *exact, *po, *fan, *cmt;
	char locn;
	struct out o;

	add_gal("a1", "HQ", "One, A");
	add_gal("a2", "HQ", "Two, A");
	add_gal("a3", "HQ", "Three, A");
	add_gal("a4", "HQ", "Four, A");
	cr_assert(converge(3) > 0);
	cr_assert_eq(ccm_count_on_po(m, GW_PO), 4);
	o = run("ldapdelete -Q -Y EXTERNAL -H '%s' cn=a2," RCPT, env.uri);
	out_free(&o);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(records_in("Ccmdel.imp"), 1);
	cr_assert_eq(res.deleted, 1);
	cr_assert_eq(ccm_get_entry(m, "Two, A", &exact, &locn, &po, &fan, &cmt),
	    0);
	cr_assert_eq(ccm_count_on_po(m, GW_PO), 3);
	cr_assert_eq(converge(2), 1);
}

/*
 * "Export on Next Cycle" (reset --export-all) with a GAL recipient
 * deleted meanwhile: cc:Mail is offered every recipient again and told
 * of the deletion with a well-formed record (Locn l, as it holds it),
 * and the cycle ends cleanly.
 */
Test(ccmail, export_all_with_a_deletion_writes_well_formed_records,
    .init = setup, .fini = teardown)
{
	struct ccm_import_result res;
	char path[300];
	struct out o;

	add_gal("a1", "HQ", "One, A");
	add_gal("a2", "HQ", "Two, A");
	add_gal("a3", "HQ", "Three, A");
	cr_assert(converge(3) > 0);
	o = galgate(&env, "reset cc --export-all");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = run("ldapdelete -Q -Y EXTERNAL -H '%s' cn=a2," RCPT, env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert_eq(round_trip(&res), 0);
	snprintf(path, sizeof(path), "%s/Ccmdel.imp", imp_dir);
	o = run("cat '%s'", path);
	cr_assert_eq(records_in("Ccmdel.imp"), 1, "%s", o.text);
	cr_assert(strstr(o.text, "Name: Two, A\r\nLocn: l\r\n") != NULL,
	    "%s", o.text);
	cr_assert_null(strstr(o.text, "Locn: ?"), "%s", o.text);
	out_free(&o);
	cr_assert_eq(records_in("Ccmdir.imp"), 2);
	cr_assert_eq(res.deleted, 1);
	cr_assert_eq(ccm_count_on_po(m, GW_PO), 2);
	cr_assert_eq(converge(2), 1);
}

/* An export container inside another: its recipients go once. */
Test(ccmail, nested_export_containers_send_each_recipient_once,
    .fini = teardown)
{
	static const char *nested =
	    "[connector cc]\ntype = ccmail\nexport_dir = @DIR@/export\n"
	    "import_dir = @DIR@/import\npost_office = " GW_PO "\n"
	    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients/cn=Sales\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n";
	struct ccm_import_result res;
	struct out o;

	env_start(&env, nested, NULL);
	snprintf(exp_dir, sizeof(exp_dir), "%s/export", env.dir);
	snprintf(imp_dir, sizeof(imp_dir), "%s/import", env.dir);
	mkdir(exp_dir, 0755);
	mkdir(imp_dir, 0755);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	m = ccm_new("HQPO");
	cr_assert_eq(ccm_add_entry(m, GW_PO, 'P', NULL, NULL, NULL, NULL), 0);
	add_gal("n1", "HQ", "Nested, One");
	cr_assert_eq(ldap_apply(&env, "dn: cn=n2,cn=Sales," RCPT "\n"
	    "changetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: n2\nsn: x\n"
	    "displayName: Nested, Two\nmailNickname: n2\n"), 0);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(records_in("Ccmdir.imp"), 2);
	cr_assert_eq(res.added, 2);
	cr_assert_eq(res.refused, 0);
	cr_assert_eq(ccm_count_on_po(m, GW_PO), 2);
	cr_assert_eq(converge(2), 1);
}

Test(ccmail, list_with_an_unknown_member, .init = setup, .fini = teardown)
{
	static const char *members[] = { "Grewal, Jeff at HUBPO2",
	    "smith, jimmy", "Nobody, Known", NULL };
	static const char *ghosts[] = { "Ghost, Gary", NULL };
	struct ccm_import_result res;
	struct out o;

	add_gal("jsmith", "HQ", "Smith, Jimmy");
	cr_assert_eq(ccm_add_entry(m, "Grewal, Jeff", 'l', "HUBPO2", NULL, NULL,
	    NULL), 0);
	cr_assert_eq(ccm_add_list(m, "Sales Team", members, "All sales"), 0);
	cr_assert_eq(ccm_add_list(m, "Empty Crew", ghosts, NULL), 0);
	cr_assert_eq(ccm_add_bboard(m, "Company News", "From HR"), 0);
	cr_assert_eq(round_trip(&res), 0);
	o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b '" CCBASE "' "
	    "'(cn=Sales Team)' member galgateRecipientType", env.uri);
	cr_assert(strstr(o.text, "member: cn=Grewal\\2C Jeff," CCBASE) != NULL,
	    "%s", o.text);
	/* members resolve case-insensitively, GAL recipients too */
	cr_assert(strstr(o.text, "member: cn=jsmith," RCPT) != NULL, "%s",
	    o.text);
	cr_assert_eq(count_of(o.text, "member:"), 2, "%s", o.text);
	cr_assert(strstr(o.text, "galgateRecipientType: dl") != NULL);
	out_free(&o);
	/* a list none of whose members resolves holds itself */
	o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b '" CCBASE "' "
	    "'(cn=Empty Crew)' member", env.uri);
	cr_assert(strstr(o.text, "member: cn=Empty Crew," CCBASE) != NULL,
	    "%s", o.text);
	out_free(&o);
	cr_assert_eq(ldap_count(CCBASE,
	    "(galgateRecipientType=bulletinboard)"), 1);
	o = galgate(&env, "events --connector cc --json");
	cr_assert(strstr(o.text, "\"event_id\":2004") != NULL &&
	    strstr(o.text, "Nobody, Known") != NULL, "%s", o.text);
	out_free(&o);
	/* unchanged: nothing written the next time */
	cr_assert_eq(converge(2) > 0, 1);
	o = galgate(&env, "sync cc");
	cr_assert(strstr(o.text, "0 added, 0 modified, 0 deleted") != NULL,
	    "%s", o.text);
	out_free(&o);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
}

Test(ccmail, truncated_export_is_refused, .init = setup, .fini = teardown)
{
	struct ccm_import_result res;
	char path[256], names[32];
	struct out o, before;
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(names, sizeof(names), "User%02d, Test", i);
		cr_assert_eq(ccm_add_entry(m, names, 'l', "HUBPO2", NULL, NULL,
		    NULL), 0);
	}
	add_gal("sbrady", "HQ", "Brady, Sally");
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 10);
	before = run("cat %s/Ccmdir.imp %s/Ccmdel.imp", imp_dir, imp_dir);
	/* a Ccmdir.exp cut after its header and one entry */
	snprintf(path, sizeof(path), "%s/Ccmdir.exp", exp_dir);
	write_file(path, "CCDIR: 1\r\nKind: directory\r\nPostOffice: HQPO\r\n"
	    "Codepage: CP850\r\n\r\nName: User00, Test\r\nLocn: l\r\n"
	    "PO: HUBPO2\r\n");
	o = galgate(&env, "sync cc");
	cr_assert_eq(o.status, 4, "%s", o.text);
	out_free(&o);
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 10);
	o = run("cat %s/Ccmdir.imp %s/Ccmdel.imp", imp_dir, imp_dir);
	cr_assert_str_eq(o.text, before.text, "import files were rewritten");
	out_free(&o);
	o = galgate(&env, "events --json");
	cr_assert(strstr(o.text, "\"event_id\":2006") != NULL, "%s", o.text);
	out_free(&o);
	/* --allow-deletes raises the limit for one run */
	o = galgate(&env, "sync --allow-deletes 5 cc");
	cr_assert_eq(o.status, 4, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "sync --allow-deletes 9 cc");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 1);
	/* an empty Ccmdir.exp is refused before anything is written */
	write_file(path, "");
	o = galgate(&env, "sync cc");
	cr_assert_eq(o.status, 3, "%s", o.text);
	cr_assert(strstr(o.text, "Ccmdir.exp:") != NULL, "%s", o.text);
	out_free(&o);
	out_free(&before);
}

Test(ccmail, broken_files_fail_before_any_write, .init = setup,
    .fini = teardown)
{
	char path[256], longline[1200];
	struct out o;

	cr_assert_eq(ccm_add_entry(m, "Grewal, Jeff", 'l', "HUBPO2", NULL, NULL,
	    NULL), 0);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
	snprintf(path, sizeof(path), "%s/Ccmlist.exp", exp_dir);
	/* binary data in the lists file */
	write_file(path, "CCDIR: 1\r\nKind: lists\r\nPostOffice: HQPO\r\n\r\n"
	    "List: X\r\nMember: a\x01\x02\r\n");
	o = galgate(&env, "sync cc");
	cr_assert_eq(o.status, 3, "%s", o.text);
	cr_assert(strstr(o.text, "Ccmlist.exp:6: binary data") != NULL, "%s",
	    o.text);
	out_free(&o);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/Ccmbb.exp", exp_dir);
	{
		FILE *fp = fopen(path, "wb");

		fprintf(fp, "CCDIR: 1\r\nKind: bboards\r\nPostOffice: HQPO\r\n"
		    "\r\nBBoard: %s\r\n", longline);
		fclose(fp);
	}
	cr_assert_eq(ccm_export(m, exp_dir), 0);	/* lists fixed again */
	{
		FILE *fp = fopen(path, "wb");

		fprintf(fp, "CCDIR: 1\r\nKind: bboards\r\nPostOffice: HQPO\r\n"
		    "\r\nBBoard: %s\r\n", longline);
		fclose(fp);
	}
	o = galgate(&env, "sync cc");
	cr_assert_eq(o.status, 3, "%s", o.text);
	cr_assert(strstr(o.text, "Ccmbb.exp:5: line longer than 1024") != NULL,
	    "%s", o.text);
	out_free(&o);
	snprintf(path, sizeof(path), "%s/Ccmbb.exp", exp_dir);
	write_file(path, "CCDIR: 2\r\nKind: bboards\r\n");
	o = galgate(&env, "sync cc");
	cr_assert_eq(o.status, 3, "%s", o.text);
	cr_assert(strstr(o.text, "Ccmbb.exp:1: not a CCDIR-1 file") != NULL,
	    "%s", o.text);
	out_free(&o);
	/* nothing was written anywhere */
	o = run("ls %s", imp_dir);
	cr_assert_str_eq(o.text, "");
	out_free(&o);
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 0);
}

Test(ccmail, malformed_record_is_skipped_and_the_rest_goes_on,
    .init = setup, .fini = teardown)
{
	char path[256];
	struct out o;

	cr_assert_eq(ccm_export(m, exp_dir), 0);
	snprintf(path, sizeof(path), "%s/Ccmdir.exp", exp_dir);
	write_file(path, "CCDIR: 1\r\nKind: directory\r\nPostOffice: HQPO\r\n"
	    "Codepage: CP850\r\n\r\nName: Good, One\r\nLocn: L\r\n\r\n"
	    "Name: Bad, Locn\r\nLocn: Q\r\n\r\nName: No, PO\r\nLocn: l\r\n\r\n"
	    "Name: Good, Two\r\nLocn: l\r\nPO: HUBPO2\r\nBogus: 1\r\n\r\n"
	    "Name: Good, Three\r\nLocn: R\r\n");
	o = galgate(&env, "sync cc");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "3 skipped") != NULL, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "events --json");
	cr_assert(strstr(o.text, "Ccmdir.exp:9: record skipped: Locn") != NULL,
	    "%s", o.text);
	cr_assert(strstr(o.text, "Ccmdir.exp:12: record skipped") != NULL,
	    "%s", o.text);
	cr_assert(strstr(o.text, "Ccmdir.exp:18: record skipped: unknown "
	    "keyword 'Bogus' (the record starts at line 15)") != NULL, "%s",
	    o.text);
	out_free(&o);
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 2);
}

Test(ccmail, dry_run_writes_nothing, .init = setup, .fini = teardown)
{
	struct out o;
	size_t before;

	add_gal("sbrady", "HQ", "Brady, Sally");
	cr_assert_eq(ccm_add_entry(m, "Grewal, Jeff", 'l', "HUBPO2", NULL, NULL,
	    NULL), 0);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
	before = journal_length();
	o = galgate(&env, "sync --dry-run cc");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "dn: cn=Grewal\\, Jeff," CCBASE
	    "\nchangetype: add\n") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "# Ccmdir.imp: 1 record\nName: Brady, Sally\n")
	    != NULL, "%s", o.text);
	out_free(&o);
	o = run("ls %s", imp_dir);
	cr_assert_str_eq(o.text, "", "files written: %s", o.text);
	out_free(&o);
	cr_assert_eq(journal_length(), before);
	o = galgate(&env, "status --json");
	cr_assert(strstr(o.text, "\"result\":\"never run\"") != NULL, "%s",
	    o.text);
	out_free(&o);
	/* and the real run still does it all */
	o = galgate(&env, "sync cc");
	cr_assert(strstr(o.text, "1 added") != NULL, "%s", o.text);
	out_free(&o);
}

Test(ccmail, hostile_names_survive_both_ways, .init = setup,
    .fini = teardown)
{
	static const char *hostile[] = {
		"Doe, John+Jane", "Quote \"Q\", Mr", "Back\\slash, B",
		"#Hash, H", "Equal=Sign, E", "Slash/Path, S", "M\xc3\xbcller, "
		"J\xc3\xbcrgen", " Leading, L", "Trailing, T ", NULL
	};
	struct ccm_import_result res;
	const char *exact, *po, *fan, *cmt;
	char locn, filter[256], ldif[1024];
	struct out o;
	size_t i;

	for (i = 0; hostile[i] != NULL; i++)
		cr_assert_eq(ccm_add_entry(m, hostile[i], 'l', "HUBPO2", NULL,
		    NULL, NULL), 0, "%s", hostile[i]);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(ldap_count(CCBASE, "(objectClass=inetOrgPerson)"), 9);
	/* LDAP holds each name exactly (leading/trailing spaces included) */
	o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b '" CCBASE "' "
	    "'(objectClass=inetOrgPerson)' displayName | grep '^displayName' | "
	    "sort", env.uri);
	cr_assert(strstr(o.text, "displayName: Doe, John+Jane") != NULL,
	    "%s", o.text);
	cr_assert(strstr(o.text, "displayName:: IExlYWRpbmcsIEw=") != NULL,
	    "%s", o.text);
	cr_assert(strstr(o.text, "displayName:: VHJhaWxpbmcsIFQg") != NULL,
	    "%s", o.text);
	out_free(&o);
	/* and the same names as GAL recipients reach cc:Mail unchanged */
	for (i = 0; hostile[i] != NULL; i++)
		cr_assert_eq(ccm_delete_entry(m, hostile[i]), 0);
	cr_assert_eq(ccm_export(m, exp_dir), 0);
	o = galgate(&env, "sync --allow-deletes 9 cc");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	for (i = 0; hostile[i] != NULL; i++) {
		snprintf(ldif, sizeof(ldif), "dn: cn=h%zu," RCPT "\n"
		    "changetype: add\nobjectClass: inetOrgPerson\ncn: h%zu\n"
		    "sn: x\ndisplayName:: ", i, i);
		{
			/* base64 so spaces at either end survive LDIF */
			static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789+/";
			const unsigned char *s =
			    (const unsigned char *)hostile[i];
			size_t len = strlen(hostile[i]), k, o2 = strlen(ldif);

			for (k = 0; k < len; k += 3) {
				unsigned v = (unsigned)s[k] << 16;

				if (k + 1 < len)
					v |= (unsigned)s[k + 1] << 8;
				if (k + 2 < len)
					v |= s[k + 2];
				ldif[o2++] = b64[(v >> 18) & 63];
				ldif[o2++] = b64[(v >> 12) & 63];
				ldif[o2++] = k + 1 < len ? b64[(v >> 6) & 63] :
				    '=';
				ldif[o2++] = k + 2 < len ? b64[v & 63] : '=';
			}
			ldif[o2++] = '\n';
			ldif[o2] = '\0';
		}
		cr_assert_eq(ldap_apply(&env, ldif), 0, "%s", ldif);
	}
	cr_assert(converge(3) > 0);
	for (i = 0; hostile[i] != NULL; i++) {
		cr_assert_eq(ccm_get_entry(m, hostile[i], &exact, &locn, &po,
		    &fan, &cmt), 1, "'%s' missing in cc:Mail", hostile[i]);
		cr_assert_str_eq(exact, hostile[i]);
		snprintf(filter, sizeof(filter), "EX:/o=Contoso/ou=HQ/"
		    "cn=Recipients/cn=h%zu", i);
		cr_assert_str_eq(fan, filter);
	}
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(fp, "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
assert_same_file(const char *got_path, const char *want_path)
{
	size_t glen, wlen;
	char *got = slurp(got_path, &glen), *want = slurp(want_path, &wlen);

	cr_assert_eq(glen, wlen, "%s: %zu bytes, expected %zu:\n%s", got_path,
	    glen, wlen, got);
	cr_assert_eq(memcmp(got, want, glen), 0, "%s differs from %s:\n%s",
	    got_path, want_path, got);
	free(got);
	free(want);
}

Test(ccmail, import_files_match_the_golden_files_byte_for_byte,
    .init = setup, .fini = teardown)
{
	struct out o;
	char want[512], got[512];

	cr_assert_eq(ldap_apply(&env,
	    "dn: cn=SBrady," RCPT "\nchangetype: add\nobjectClass: "
	    "inetOrgPerson\nobjectClass: galgateRecipient\ncn: SBrady\nsn: Brady\ndisplayName: Brady, Sally\n"
	    "mailNickname: SBrady\nphysicalDeliveryOfficeName: 43/1234\n"
	    "telephoneNumber: +1 425 555 0100\n\n"
	    "dn: cn=ALefevre," RCPT "\nchangetype: add\nobjectClass: "
	    "inetOrgPerson\nobjectClass: galgateRecipient\ncn: ALefevre\nsn: Lefevre\n"
	    "displayName: Lef\xc3\xa8vre, Am\xc3\xa9lie\n"
	    "mailNickname: ALefevre\n\n"
	    "dn: cn=JSmith," RCPT "\nchangetype: add\nobjectClass: "
	    "inetOrgPerson\ncn: JSmith\nsn: Smith\ndisplayName: Smith, Jimmy\n\n"
	    "dn: cn=Hidden," RCPT "\nchangetype: add\nobjectClass: "
	    "inetOrgPerson\nobjectClass: galgateRecipient\ncn: Hidden\n"
	    "sn: Hidden\ngalgateHidden: TRUE\n"), 0);
	/* a later arrival with the same name, another site */
	cr_assert_eq(ldap_apply(&env,
	    "dn: cn=JSmith2,cn=Recipients,ou=Site2,o=Contoso," SUFFIX "\n"
	    "changetype: add\nobjectClass: inetOrgPerson\ncn: JSmith2\n"
	    "sn: Smith\ndisplayName: SMITH, Jimmy\n"), 0);
	o = galgate(&env, "journal");
	out_free(&o);
	o = run("cp " GALGATE_SOURCE_DIR "/tests/data/ccmail/golden-Ccmdir.exp "
	    "%s/Ccmdir.exp && cp " GALGATE_SOURCE_DIR "/tests/data/ccmail/"
	    "golden-Ccmlist.exp %s/Ccmlist.exp && cp " GALGATE_SOURCE_DIR
	    "/tests/data/ccmail/golden-Ccmbb.exp %s/Ccmbb.exp", exp_dir,
	    exp_dir, exp_dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = run("SOURCE_DATE_EPOCH=928312740 %s -c %s sync cc", GALGATE_BINARY,
	    env.conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	snprintf(got, sizeof(got), "%s/Ccmdir.imp", imp_dir);
	snprintf(want, sizeof(want), GALGATE_SOURCE_DIR
	    "/tests/data/ccmail/golden-Ccmdir.imp");
	assert_same_file(got, want);
	snprintf(got, sizeof(got), "%s/Ccmdel.imp", imp_dir);
	snprintf(want, sizeof(want), GALGATE_SOURCE_DIR
	    "/tests/data/ccmail/golden-Ccmdel.imp");
	assert_same_file(got, want);
}

static void
setup_txn(void)
{
	struct out o;

	setup();
	/* the same GAL, with transactions switched on */
	o = run("sed -i 's/^site = HQ$/site = HQ\\ntransactions = yes/' %s",
	    env.conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "check");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

Test(ccmail, a_refused_transaction_falls_back_to_single_writes,
    .init = setup_txn, .fini = teardown)
{
	struct ccm_import_result res;
	char name[64];
	struct out o;
	int i;

	/* 40 users: written in a transaction; one DN is taken by a stranger */
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "Bulk%02d, User", i);
		cr_assert_eq(ccm_add_entry(m, name, 'l', "HUBPO2", NULL, NULL,
		    NULL), 0);
	}
	cr_assert_eq(ldap_apply(&env, "dn: cn=Bulk17\\, User," CCBASE "\n"
	    "changetype: add\nobjectClass: inetOrgPerson\ncn: Bulk17, User\n"
	    "sn: Stranger\n"), 0);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(ldap_count(CCBASE, "(galgateConnector=cc)"), 39);
	cr_assert_eq(ldap_count(CCBASE, "(sn=Stranger)"), 1,
	    "the stranger's entry was changed");
	o = galgate(&env, "events --json");
	cr_assert(strstr(o.text, "\"event_id\":2010") != NULL, "%s", o.text);
	out_free(&o);
	/* the stranger stays in the way each cycle; the rest is stable */
	o = galgate(&env, "sync cc");
	cr_assert(strstr(o.text, "0 added, 0 modified, 0 deleted") != NULL,
	    "%s", o.text);
	out_free(&o);
}

Test(ccmail, an_address_another_recipient_holds_gets_a_number,
    .init = setup, .fini = teardown)
{
	struct ccm_import_result res;

	/* one holds the address as mail, one as a secondary smtp: proxy */
	cr_assert_eq(ldap_apply(&env, "dn: cn=AJonesHQ," RCPT "\nchangetype: "
	    "add\nobjectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: AJonesHQ\nsn: Jones\nmail: ann.jones@cc.example\n"), 0);
	cr_assert_eq(ldap_apply(&env, "dn: cn=JSmithHQ," RCPT "\nchangetype: "
	    "add\nobjectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: JSmithHQ\nsn: Smith\nmail: js@contoso.example\n"
	    "galgateProxyAddress: SMTP:js@contoso.example\n"
	    "galgateProxyAddress: smtp:jimmy.smith@cc.example\n"), 0);
	cr_assert_eq(ccm_add_entry(m, "Jones, Ann", 'L', NULL, NULL, NULL,
	    NULL), 0);
	cr_assert_eq(ccm_add_entry(m, "Smith, Jimmy", 'L', NULL, NULL, NULL,
	    NULL), 0);
	cr_assert_eq(ccm_add_entry(m, "Lee, Kim", 'L', NULL, NULL, NULL, NULL),
	    0);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(ldap_count(SUFFIX, "(&(galgateConnector=cc)"
	    "(mail=ann.jones2@cc.example))"), 1);
	cr_assert_eq(ldap_count(SUFFIX, "(&(galgateConnector=cc)"
	    "(mail=jimmy.smith2@cc.example))"), 1);
	cr_assert_eq(ldap_count(SUFFIX, "(&(galgateConnector=cc)"
	    "(mail=kim.lee@cc.example))"), 1);
	/* one address, one recipient: each held once */
	cr_assert_eq(ldap_count(SUFFIX, "(|(mail=ann.jones@cc.example)"
	    "(galgateProxyAddress=smtp:ann.jones@cc.example))"), 1);
	cr_assert_eq(ldap_count(SUFFIX, "(|(mail=jimmy.smith@cc.example)"
	    "(galgateProxyAddress=smtp:jimmy.smith@cc.example))"), 1);
	/* the holder gone, the address given stays where it is */
	cr_assert_eq(ldap_apply(&env, "dn: cn=AJonesHQ," RCPT "\nchangetype: "
	    "delete\n"), 0);
	cr_assert_eq(round_trip(&res), 0);
	cr_assert_eq(ldap_count(SUFFIX, "(&(galgateConnector=cc)"
	    "(mail=ann.jones2@cc.example))"), 1);
}
