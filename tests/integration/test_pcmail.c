/*
 * The Microsoft Mail dir-sync connector against a real slapd, with two
 * registered requestor postoffices played by pcmail_model.c (WA0725's
 * requestor, sharing no code with galgate) exchanging messages through
 * the maildir transport.
 *
 * Every expected reply subject is written out.  The numbers follow
 * WA0725: R echoes the requestor's last transaction number; S is a
 * position in galgate's journal (one USN per entry changed between two
 * polls; galgate init makes 6 entries here: the suffix, o=Contoso,
 * ou=HQ, cn=Recipients, cn=SEAPO1, cn=SEAPO2); "(was s)" is the S the
 * requestor sent; I counts its import requests; "n sent" counts
 * transactions, a two-line M and an R counting one each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "pcmail_model.h"
#include "state.h"

#define S1BASE	"cn=SEAPO1," BASE
#define S2BASE	"cn=SEAPO2," BASE

static struct env env;
static struct pcr *m1, *m2;
static char inbox[128], outbox[128];

static const char *conf_text =
    "[connector dirsync]\n"
    "type = pcmail\n"
    "network = CONTOSO\n"
    "postoffice = GALGATE\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "transport = maildir\n"
    "inbox = @DIR@/in\n"
    "outbox = @DIR@/out\n"
    "address = galgate-dirsync@contoso.example\n"
    "admin_copy = postmaster@contoso.example\n"
    "admin_forward = dirsync-admin@contoso.example\n"
    "delete_threshold = 50%, 2\n"
    "template = Location: l\n"
    "template = FAX: none\n"
    "\n"
    "[requestor CONTOSO/SEAPO1]\n"
    "connector = dirsync\n"
    "password_file = @DIR@/seapo1.secret\n"
    "types = PCM|SMTP\n"
    "templates = yes\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
    "address = seapo1-dirsync@contoso.example\n"
    "\n"
    "[requestor CONTOSO/SEAPO2]\n"
    "connector = dirsync\n"
    "password_file = @DIR@/seapo2.secret\n"
    "types = PCM\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO2\n"
    "address = seapo2-dirsync@contoso.example\n";

static void
setup_with(const char *conf)
{
	struct out o;

	env_start(&env, conf, NULL);
	free(env_file(&env, "seapo1.secret", "s3cret-one\n"));
	free(env_file(&env, "seapo2.secret", "s3cret-two\n"));
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "init: 6 created") != NULL, "%s", o.text);
	out_free(&o);
	snprintf(inbox, sizeof(inbox), "%s/in", env.dir);
	snprintf(outbox, sizeof(outbox), "%s/out", env.dir);
	m1 = pcr_new("CONTOSO", "SEAPO1", "s3cret-one",
	    "seapo1-dirsync@contoso.example", inbox, outbox);
	m2 = pcr_new("CONTOSO", "SEAPO2", "s3cret-two",
	    "seapo2-dirsync@contoso.example", inbox, outbox);
}

static void
setup(void)
{
	setup_with(conf_text);
}

static void
teardown(void)
{
	pcr_free(m1);
	pcr_free(m2);
	m1 = m2 = NULL;
	env_stop(&env);
}

static int
sync_status(const char *args)
{
	struct out o = galgate(&env, "sync %s dirsync", args);
	int st = o.status;

	if (st != 0)
		cr_log_info("sync: %s", o.text);
	out_free(&o);
	return st;
}

static void
sync_ok(void)
{
	cr_assert_eq(sync_status(""), 0, "galgate sync failed");
}

static void
subject_is(struct pcr *m, const char *want)
{
	char *got = pcr_receive(m);

	cr_assert_not_null(got, "no reply, expected '%s'", want);
	cr_assert_str_eq(got, want);
	free(got);
}

static void
sent_is(char *subject, const char *want)
{
	cr_assert_str_eq(subject, want);
	free(subject);
}

static void
starts_with(const char *text, const char *prefix)
{
	cr_assert_eq(strncmp(text, prefix, strlen(prefix)), 0, "'%s' does not "
	    "start with '%s'", text, prefix);
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

static char *
ldap_get(const char *base, const char *filter, const char *attrs)
{
	struct out o = run("ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL "
	    "-H '%s' -b '%s' '%s' %s", env.uri, base, filter, attrs);

	return o.text;
}

static size_t
journal_length(void)
{
	struct out o = galgate(&env, "journal --json");
	size_t n = count_of(o.text, "\"usn\"");

	out_free(&o);
	return n;
}

static char *
events(void)
{
	struct out o = galgate(&env, "events --connector dirsync");

	return o.text;
}

static void
add_gal(const char *rdn, const char *display, const char *extra)
{
	char ldif[2048];

	snprintf(ldif, sizeof(ldif), "dn: cn=%s," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: %s\nsn: %.*s\ndisplayName: %s\nmailNickname: %s\n%s", rdn, rdn,
	    (int)strcspn(display, ","), display, display, rdn,
	    extra != NULL ? extra : "");
	cr_assert_eq(ldap_apply(&env, ldif), 0);
}

Test(pcmail, two_requestors_exchange_adds_modifies_deletes_and_templates,
    .init = setup, .fini = teardown, .timeout = 120)
{
	const struct pcr_entry *e;
	char *t, path[600], *ev;
	size_t before;
	struct out o;

	add_gal("SBrady", "Brady, Sally", "telephoneNumber: +1 425 555 0100\n"
	    "title: Manager\nl: Redmond\n");
	add_gal("JGrewal", "Grewal, Jeff", NULL);
	/* the seed's preparation: each requestor asks for an import (I=1) */
	pcr_import_request(m1);
	pcr_add(m1, "Smith, Jimmy", "JSMITH", "- Department:/Sales\r\n"
	    "- Phone:/(425) 936-1111\r\n- Location:/Seattle\r\n"
	    "- Shoe Size:/12\r\n");
	pcr_add(m1, "Jones, Ann", "AJONES", NULL);
	pcr_add_addr(m1, "Help Desk", "SMTP:helpdesk@contoso.example");
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=3 (was 0), S=0, I=1 3 sent");
	pcr_import_request(m2);
	pcr_add(m2, "Lee, Kim", "KLEE", NULL);
	pcr_add(m2, "Old Account", "OLDACCT", NULL);
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=2 (was 0), S=0, I=1 2 sent");
	sync_ok();
	/*
	 * S=0 asks for everything: R and an add per entry of each list.  The
	 * journal: 6 containers and 2 GAL recipients (USN 1-8), then the 5
	 * addresses the requestors sent (9-13), polled before the replies.
	 * SEAPO1 gets R GALGATE, Brady, Grewal, R SEAPO2, Lee, Old Account;
	 * SEAPO2 the same but SEAPO1's list without the SMTP Help Desk.
	 */
	subject_is(m1, "SrvTx R=3 S=13 (was 0), I=1 6 sent");
	subject_is(m2, "SrvTx R=2 S=13 (was 0), I=1 6 sent");
	cr_assert_eq(pcr_echoes(m1) + pcr_echoes(m2), 0, "own entries echoed");
	cr_assert_eq(pcr_queued(m1), 0, "R=3 not acknowledged");
	cr_assert_eq(pcr_srvsync(m1), 13);
	cr_assert_eq(pcr_count(m1), 4);
	cr_assert_eq(pcr_count(m2), 4);
	e = pcr_find(m1, "PCM:CONTOSO/GALGATE/SBRADY");
	cr_assert_not_null(e);
	cr_assert_str_eq(e->name, "Brady, Sally");
	/* SEAPO1 takes templates, through the table; SEAPO2 does not */
	cr_assert(strstr(e->tpl, "Phone:/+1 425 555 0100\n") != NULL, "%s",
	    e->tpl);
	cr_assert(strstr(e->tpl, "Title:/Manager\n") != NULL, "%s", e->tpl);
	cr_assert(strstr(e->tpl, "Location:/Redmond\n") != NULL, "%s", e->tpl);
	cr_assert_str_eq(pcr_find(m2, "PCM:CONTOSO/GALGATE/SBRADY")->tpl, "");
	cr_assert_str_eq(pcr_find(m2, "PCM:CONTOSO/SEAPO1/JSMITH")->name,
	    "Smith, Jimmy");
	cr_assert_null(pcr_find(m2, "SMTP:helpdesk@contoso.example"));
	cr_assert_not_null(pcr_find(m1, "PCM:CONTOSO/SEAPO2/KLEE"));
	/* template lines became attributes; an unknown prompt an event */
	t = ldap_get(S1BASE, "(displayName=Smith, Jimmy)", "ou telephoneNumber "
	    "l sn givenName galgateProxyAddress galgateForeignKey");
	cr_assert(strstr(t, "ou: Sales\n") != NULL, "%s", t);
	cr_assert(strstr(t, "telephoneNumber: (425) 936-1111\n") != NULL, "%s",
	    t);
	cr_assert(strstr(t, "l: Seattle\n") != NULL, "%s", t);
	cr_assert(strstr(t, "sn: Smith\n") != NULL, "%s", t);
	cr_assert(strstr(t, "givenName: Jimmy\n") != NULL, "%s", t);
	cr_assert(strstr(t, "galgateProxyAddress: MS:CONTOSO/SEAPO1/JSMITH\n")
	    != NULL, "%s", t);
	free(t);
	t = ldap_get(S1BASE, "(displayName=Help Desk)", "mail");
	cr_assert(strstr(t, "mail: helpdesk@contoso.example\n") != NULL, "%s",
	    t);
	free(t);
	ev = events();
	cr_assert(strstr(ev, "3323") != NULL && strstr(ev, "'Shoe Size:'") !=
	    NULL, "%s", ev);
	cr_assert(count_of(ev, " 3355 ") == 2 && count_of(ev, " 3395 ") >= 2,
	    "%s", ev);
	cr_assert(strstr(ev, "received message new/") != NULL && strstr(ev,
	    "FROM: CONTOSO/SEAPO1/$SYSTEM <seapo1-dirsync@contoso.example> "
	    "TO: CONTOSO/GALGATE/$SYSTEM <galgate-dirsync@contoso.example> "
	    "SUBJECT: ReqTx R=3 (was 0), S=0, I=1 3 sent") != NULL, "%s", ev);
	cr_assert(strstr(ev, "sent: FROM: CONTOSO/GALGATE/$SYSTEM "
	    "<galgate-dirsync@contoso.example> TO: CONTOSO/SEAPO2/$SYSTEM "
	    "<seapo2-dirsync@contoso.example> CC: postmaster@contoso.example "
	    "SUBJECT: SrvTx R=2 S=13 (was 0), I=1 6 sent") != NULL, "%s", ev);
	free(ev);

	/* a two-line modify from SEAPO1, a delete from SEAPO2 */
	pcr_modify(m1, "AJONES", "Jones-Baker, Ann", NULL);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=4 (was 3), S=13, I=1 1 sent");
	pcr_delete(m2, "OLDACCT");
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=3 (was 2), S=13, I=1 1 sent");
	sync_ok();
	/*
	 * One poll journals both: slapd reports the deletion first (USN 14),
	 * then the modified entry (15).  Each requestor gets the other's.
	 */
	subject_is(m1, "SrvTx R=4 S=15 (was 13), I=1 1 sent");
	subject_is(m2, "SrvTx R=3 S=15 (was 13), I=1 1 sent");
	cr_assert_null(pcr_find(m1, "PCM:CONTOSO/SEAPO2/OLDACCT"));
	cr_assert_str_eq(pcr_find(m2, "PCM:CONTOSO/SEAPO1/AJONES")->name,
	    "Jones-Baker, Ann");
	cr_assert(strstr(pcr_last_text(m2), "0000000015 M Jones, Ann          "
	    "           PCM:CONTOSO/SEAPO1/AJONES\r\n             Jones-Baker, "
	    "Ann               PCM:CONTOSO/SEAPO1/AJONES\r\n") != NULL, "%s",
	    pcr_last_text(m2));
	cr_assert_eq(ldap_count(S2BASE, "(displayName=Old Account)"), 0);
	cr_assert_eq(ldap_count(S1BASE, "(displayName=Jones-Baker, Ann)"), 1);

	/* an administrator's ldapmodify reaches both in the next SrvTx */
	cr_assert_eq(ldap_apply(&env, "dn: cn=SBrady," RCPT "\nchangetype: "
	    "modify\nreplace: displayName\ndisplayName: Brady-Jones, Sally\n-\n"
	    "replace: telephoneNumber\ntelephoneNumber: +1 425 555 0199\n"), 0);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=4 (was 4), S=15, I=1 0 sent");
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=3 (was 3), S=15, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=4 S=16 (was 15), I=1 1 sent");
	subject_is(m2, "SrvTx R=3 S=16 (was 15), I=1 1 sent");
	e = pcr_find(m1, "PCM:CONTOSO/GALGATE/SBRADY");
	cr_assert_str_eq(e->name, "Brady-Jones, Sally");
	cr_assert(strstr(e->tpl, "Phone:/+1 425 555 0199\n") != NULL, "%s",
	    e->tpl);
	cr_assert_str_eq(pcr_find(m2, "PCM:CONTOSO/GALGATE/SBRADY")->name,
	    "Brady-Jones, Sally");

	/*
	 * SEAPO1's first two messages delivered again: re-applied, the first
	 * one's "A Jones, Ann" would undo the rename.  ReqSync 4 skips both.
	 */
	before = journal_length();
	snprintf(path, sizeof(path), "%s/.processed/cur", inbox);
	o = run("f=$(grep -l 'ReqTx R=3 (was 0)' %s/*) && cp \"$f\" "
	    "%s/new/1799999998.M1P1Q1.again && f=$(grep -l 'ReqTx R=4 (was 3)' "
	    "%s/*) && cp \"$f\" %s/new/1799999999.M1P1Q1.again", path, inbox,
	    path, inbox);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	sync_ok();
	/* the later one's S=13 is answered: 15 is its own, 14 and 16 it has */
	subject_is(m1, "SrvTx R=4 S=16 (was 13), I=1 0 sent");
	cr_assert_eq(journal_length(), before, "the GAL changed");
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 3);
	cr_assert_eq(ldap_count(S1BASE, "(displayName=Jones-Baker, Ann)"), 1);
	ev = events();
	cr_assert(strstr(ev, "3 transactions at or below ReqSync 4 were "
	    "applied before: skipped") != NULL, "%s", ev);
	cr_assert(strstr(ev, "1 transactions at or below ReqSync 4 were "
	    "applied before: skipped") != NULL, "%s", ev);
	free(ev);
	o = galgate(&env, "status");
	cr_assert(strstr(o.text, "CONTOSO/SEAPO1 reqsync = 4\n") != NULL &&
	    strstr(o.text, "CONTOSO/SEAPO1 srvsync = 16\n") != NULL &&
	    strstr(o.text, "CONTOSO/SEAPO1 impsync = 1\n") != NULL &&
	    strstr(o.text, "CONTOSO/SEAPO2 srvsync = 16\n") != NULL &&
	    strstr(o.text, "CONTOSO/SEAPO1 last_cycle = 4\n") != NULL &&
	    strstr(o.text, "CONTOSO/SEAPO2 last_cycle = 3\n") != NULL, "%s",
	    o.text);
	out_free(&o);
}

Test(pcmail, r_replaces_the_list_within_the_deletion_threshold,
    .init = setup, .fini = teardown, .timeout = 120)
{
	struct out o;
	char *ev;

	pcr_import_request(m1);
	pcr_add(m1, "User One", "U1", NULL);
	pcr_add(m1, "User Two", "U2", NULL);
	pcr_add(m1, "User Three", "U3", NULL);
	pcr_add(m1, "User Four", "U4", NULL);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=4 (was 0), S=0, I=1 4 sent");
	sync_ok();
	/* 6 containers, then its 4 users; R GALGATE and R SEAPO2, empty */
	subject_is(m1, "SrvTx R=4 S=10 (was 0), I=1 2 sent");
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 4);
	/* an export after U4 vanished without a D: R and three adds */
	pcr_drop_local(m1, "U4");
	pcr_export(m1);
	sent_is(pcr_send(m1, "EXPORT"), "ReqTx R=8 (was 4), S=10, I=1 4 sent");
	sync_ok();
	/* the three re-added are unchanged; U4's deletion is USN 11 */
	subject_is(m1, "SrvTx R=8 S=11 (was 10), I=1 0 sent");
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 3);
	cr_assert_eq(ldap_count(S1BASE, "(displayName=User Four)"), 0);
	/* a truncated export would delete 3 of 3: more than 50%, 2 allows */
	pcr_drop_local(m1, "U1");
	pcr_drop_local(m1, "U2");
	pcr_drop_local(m1, "U3");
	pcr_export(m1);
	sent_is(pcr_send(m1, "EXPORT"), "ReqTx R=9 (was 8), S=11, I=1 1 sent");
	cr_assert_eq(sync_status(""), 4);
	cr_assert_null(pcr_receive(m1), "a reply went out");
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 3);
	o = run("ls %s/new %s/cur | grep -c model", inbox, inbox);
	cr_assert_str_eq(o.text, "1\n", "the message was not kept");
	out_free(&o);
	ev = events();
	cr_assert(strstr(ev, "3330") != NULL && strstr(ev, "requestor "
	    "CONTOSO/SEAPO1 would delete 3 of the 3 entries") != NULL, "%s",
	    ev);
	free(ev);
	/* the administrator accepts it */
	cr_assert_eq(sync_status("--allow-deletes 3"), 0);
	subject_is(m1, "SrvTx R=9 S=14 (was 11), I=1 0 sent");
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 0);
}

Test(pcmail, import_request_and_export_on_next_cycle_give_full_replies,
    .init = setup, .fini = teardown, .timeout = 120)
{
	struct out o;

	add_gal("SBrady", "Brady, Sally", NULL);
	pcr_import_request(m1);
	pcr_import_request(m2);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=0 (was 0), S=0, I=1 0 sent");
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=0 (was 0), S=0, I=1 0 sent");
	sync_ok();
	/* zero R and S: R GALGATE, Brady, R of the other requestor */
	subject_is(m1, "SrvTx R=0 S=7 (was 0), I=1 3 sent");
	subject_is(m2, "SrvTx R=0 S=7 (was 0), I=1 3 sent");
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=0 (was 0), S=7, I=1 0 sent");
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=0 (was 0), S=7, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=0 S=7 (was 7), I=1 0 sent");
	subject_is(m2, "SrvTx R=0 S=7 (was 7), I=1 0 sent");
	/* "Export on Next Cycle" for SEAPO2 alone */
	o = galgate(&env, "reset dirsync --export-all --requestor "
	    "CONTOSO/SEAPO2");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "reset dirsync --export-all --requestor CONTOSO/NOPE");
	cr_assert_eq(o.status, 2, "%s", o.text);
	out_free(&o);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=0 (was 0), S=7, I=1 0 sent");
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=0 (was 0), S=7, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=0 S=7 (was 7), I=1 0 sent");
	subject_is(m2, "SrvTx R=0 S=7 (was 7), I=1 3 sent");
	starts_with(pcr_last_text(m2), "0000000007 R PCM:CONTOSO/GALGATE\r\n"
	    "0000000007 A Brady, Sally                   "
	    "PCM:CONTOSO/GALGATE/SBRADY\r\n");
	/* an import request: I goes to 2 and S to 0 */
	pcr_import_request(m1);
	sent_is(pcr_send(m1, "IMPORTREQ"), "ReqTx R=0 (was 0), S=0, I=2 0 sent");
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=0 (was 0), S=7, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=0 S=7 (was 0), I=2 3 sent");
	subject_is(m2, "SrvTx R=0 S=7 (was 7), I=1 0 sent");
	starts_with(pcr_last_text(m1), "0000000007 R PCM:CONTOSO/GALGATE\r\n");
	/* without --requestor: every requestor */
	o = galgate(&env, "reset dirsync --export-all");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=0 (was 0), S=7, I=2 0 sent");
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=0 (was 0), S=7, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=0 S=7 (was 7), I=2 3 sent");
	subject_is(m2, "SrvTx R=0 S=7 (was 7), I=1 3 sent");
}

Test(pcmail, errors_155_156_158, .init = setup, .fini = teardown,
    .timeout = 120)
{
	struct pcr *m3;
	struct out o;
	char *ev, *got;

	/* 155: a TASK MS Mail does not know */
	pcr_import_request(m1);
	pcr_add(m1, "Smith, Jimmy", "JSMITH", NULL);
	sent_is(pcr_send(m1, "DANCE"), "ReqTx R=1 (was 0), S=0, I=1 1 sent");
	sync_ok();
	subject_is(m1, "SrvTx ERROR 155 Invalid DirSync profile: TASK=DANCE");
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 0);
	/* 156: the wrong password; nothing is applied */
	pcr_set_password(m1, "guessed");
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=1 (was 0), S=0, I=1 1 sent");
	sync_ok();
	subject_is(m1, "SrvTx ERROR 156 Invalid password for requestor "
	    "CONTOSO/SEAPO1");
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 0);
	/* 158: not registered: no reply at all, only the event */
	m3 = pcr_new("CONTOSO", "NOSUCH", "x", "nosuch@contoso.example", inbox,
	    outbox);
	pcr_add(m3, "Ghost, Gus", "GGHOST", NULL);
	sent_is(pcr_send(m3, "UPDATE"), "ReqTx R=1 (was 0), S=0, I=0 1 sent");
	sync_ok();
	cr_assert_null(pcr_receive(m3));
	o = run("grep -l nosuch@contoso.example %s/new/* %s/cur/* 2>/dev/null "
	    "| xargs grep -l '^To: .*nosuch' | wc -l", outbox, outbox);
	cr_assert_str_eq(o.text, "0\n", "a reply to the unregistered: %s",
	    o.text);
	out_free(&o);
	pcr_free(m3);
	/* a malformed [DIRSYNC] section: refused whole, the reply says why */
	pcr_set_password(m1, "s3cret-one");
	pcr_send_raw(m1, "ReqTx R=1 (was 0), S=0, I=1 1 sent",
	    "[DIRSYNC]\r\nTASK=UPDATE\r\nREQNAME=PCM:CONTOSO/SEAPO1\r\n"
	    "PASSWORD=s3cret-one\r\nREQSEQ=abc\r\n[DIRSYNC-TRANSACTIONS]\r\n"
	    "0000000001 A Smith, Jimmy                   "
	    "PCM:CONTOSO/SEAPO1/JSMITH\r\n");
	sync_ok();
	got = pcr_receive(m1);
	cr_assert_not_null(got);
	cr_assert(strncmp(got, "SrvTx ERROR 155 Invalid DirSync profile: "
	    "message new/", 53) == 0, "%s", got);
	cr_assert(strstr(got, " body line 5: REQSEQ: 'abc' is not a number of "
	    "1 to 10 digits") != NULL, "%s", got);
	free(got);
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 0);
	ev = events();
	cr_assert(strstr(ev, " 3155 ") != NULL && strstr(ev, " 3156 ") != NULL,
	    "%s", ev);
	cr_assert(strstr(ev, "error 158 Requestor not registered: "
	    "REQNAME=PCM:CONTOSO/NOSUCH; no reply") != NULL, "%s", ev);
	free(ev);
	/* every refused message left the inbox */
	o = run("ls %s/new %s/cur | grep -c model", inbox, inbox);
	cr_assert_str_eq(o.text, "0\n", "%s", o.text);
	out_free(&o);
	o = galgate(&env, "status");
	cr_assert(strstr(o.text, "CONTOSO/SEAPO1 last_refused = ") != NULL,
	    "%s", o.text);
	out_free(&o);
}

Test(pcmail, error_138_when_its_server_sync_left_the_journal,
    .init = setup, .fini = teardown, .timeout = 120)
{
	struct gw_state *st;
	struct gw_txn *txn;
	struct gw_err err;
	struct out o;

	pcr_import_request(m1);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=0 (was 0), S=0, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=0 S=6 (was 0), I=1 2 sent");
	add_gal("SBrady", "Brady, Sally", NULL);
	add_gal("JGrewal", "Grewal, Jeff", NULL);
	o = galgate(&env, "journal");
	out_free(&o);
	/*
	 * The journal drops records older than tombstone_lifetime, at most
	 * once an hour; here the purge of everything up to USN 8 is done
	 * directly, as journal.c records it (the highest USN purged).
	 */
	gw_err_init(&err);
	cr_assert_eq(state_open(env.dir, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(state_begin(st, 1, &txn, &err), 0);
	cr_assert_eq(state_put_u64(txn, GW_DB_META, "usn.floor", 8, &err), 0);
	cr_assert_eq(state_commit(txn, &err), 0);
	state_close(st);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=0 (was 0), S=6, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx ERROR 138 Server sync does not exist anymore: "
	    "S=6, the journal holds only the changes after 8; import required");
	/* the requestor must import: that works whatever the journal keeps */
	pcr_import_request(m1);
	sent_is(pcr_send(m1, "IMPORTREQ"), "ReqTx R=0 (was 0), S=0, I=2 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=0 S=8 (was 0), I=2 4 sent");
	cr_assert_eq(pcr_count(m1), 2);
	o = galgate(&env, "events --connector dirsync");
	cr_assert(strstr(o.text, " 3138 ") != NULL, "%s", o.text);
	out_free(&o);
}

Test(pcmail, malformed_line_is_an_event_and_the_rest_is_applied,
    .init = setup, .fini = teardown, .timeout = 120)
{
	char *ev;

	pcr_import_request(m1);
	pcr_add(m1, "Good One", "GOOD1", NULL);
	pcr_queue_raw(m1, "A Bad Element                    "
	    "PCM:CONTOSO/SEAPO1/WAYTOOLONGMBX\r\n");
	pcr_add(m1, "Good Two", "GOOD2", NULL);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=3 (was 0), S=0, I=1 3 sent");
	sync_ok();
	/* R is acknowledged whole: a bad line is not sent again */
	subject_is(m1, "SrvTx R=3 S=8 (was 0), I=1 2 sent");
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 2);
	ev = events();
	cr_assert(strstr(ev, " body line 11: address "
	    "'PCM:CONTOSO/SEAPO1/WAYTOOLONGMBX': address element longer than "
	    "10 characters (MS Mail error 20); line skipped, the rest "
	    "applied") != NULL, "%s", ev);
	free(ev);
}

Test(pcmail, attachments_admin_copy_and_forward, .init = setup,
    .fini = teardown, .timeout = 120)
{
	struct out o;

	pcr_set_attach(m2, 1);
	pcr_import_request(m2);
	pcr_add(m2, "Lee, Kim", "KLEE", NULL);
	sent_is(pcr_send(m2, "UPDATE"), "ReqTx R=1 (was 0), S=0, I=1 1 sent");
	sync_ok();
	/* R GALGATE and R SEAPO1 (both empty); the model read the base64 */
	subject_is(m2, "SrvTx R=1 S=7 (was 0), I=1 2 sent");
	cr_assert_str_eq(pcr_last_text(m2), "0000000007 R PCM:CONTOSO/GALGATE"
	    "\r\n0000000007 R PCM:CONTOSO/SEAPO1\r\n");
	cr_assert_eq(ldap_count(S2BASE, "(displayName=Lee, Kim)"), 1);
	/* the administrator got a copy and the forwarded original */
	o = run("cd %s/cur && grep -l '^Subject: SrvTx R=1 S=7' * | xargs grep "
	    "-c -e '^Cc: postmaster@contoso.example' -e "
	    "'^Content-Disposition: attachment; filename=\"SRVTRANS.TXT\"'",
	    outbox);
	cr_assert_str_eq(o.text, "2\n", "%s", o.text);
	out_free(&o);
	o = run("cd %s/new && grep -l '^To: dirsync-admin@contoso.example' * "
	    "| xargs grep -c -e '^Subject: FW: ReqTx R=1 (was 0), S=0, I=1 1 "
	    "sent' -e '^Content-Type: message/rfc822' -e '^REQNAME=PCM:CONTOSO/"
	    "SEAPO2'", outbox);
	cr_assert_str_eq(o.text, "3\n", "%s", o.text);
	out_free(&o);
}

Test(pcmail, status_reports_are_recorded, .init = setup, .fini = teardown,
    .timeout = 120)
{
	struct pcr *m3;
	struct out o;
	char *ev;

	pcr_send_raw(m1, "Status report from CONTOSO/SEAPO1",
	    "03/13/96 15:26:49 | 1  -1 Microsoft (R) Mail DirSync Requestor "
	    "V3.5.12\r\n03/13/96 15:27:04 | 1 167 PCM,SNADS,X400,SMTP\r\n"
	    "03/13/96 15:32:50 | 1 105 0\r\n");
	m3 = pcr_new("CONTOSO", "NOSUCH", "x", "nosuch@contoso.example", inbox,
	    outbox);
	pcr_send_raw(m3, "Status report from CONTOSO/NOSUCH", "hello\r\n");
	pcr_free(m3);
	sync_ok();
	cr_assert_null(pcr_receive(m1), "a status report was answered");
	ev = events();
	cr_assert(strstr(ev, "3301") != NULL && strstr(ev, "status report "
	    "from CONTOSO/SEAPO1: 03/13/96 15:32:50 | 1 105 0") != NULL, "%s",
	    ev);
	cr_assert(strstr(ev, "error 158 status report from CONTOSO/NOSUCH, "
	    "which is not a registered requestor") != NULL, "%s", ev);
	free(ev);
	o = galgate(&env, "status");
	cr_assert(strstr(o.text, "CONTOSO/SEAPO1 status_report = ") != NULL &&
	    strstr(o.text, "Z 03/13/96 15:32:50 | 1 105 0\n") != NULL, "%s",
	    o.text);
	out_free(&o);
}

Test(pcmail, names_are_unique_in_the_gateway_list, .init = setup,
    .fini = teardown, .timeout = 120)
{
	add_gal("JSmith", "Smith, Jimmy", NULL);
	add_gal("J.Smith", "Smith, Jimmy", NULL);
	add_gal("Long", "Featherstonehaugh-Cholmondeley, Pat", NULL);
	pcr_import_request(m1);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=0 (was 0), S=0, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=0 S=9 (was 0), I=1 5 sent");
	/* the first comer keeps the name, the next gets 001 (KB Q146676) */
	cr_assert_str_eq(pcr_find(m1, "PCM:CONTOSO/GALGATE/JSMITH")->name,
	    "Smith, Jimmy");
	cr_assert_str_eq(pcr_find(m1, "PCM:CONTOSO/GALGATE/JSMITH2")->name,
	    "Smith, Jimmy001");
	/* 30 bytes at most; a mailbox of 10 letters or digits */
	cr_assert_str_eq(pcr_find(m1, "PCM:CONTOSO/GALGATE/LONG")->name,
	    "Featherstonehaugh-Cholmondeley");
	/* and they stay: the next reply has nothing to change */
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=0 (was 0), S=9, I=1 0 sent");
	sync_ok();
	subject_is(m1, "SrvTx R=0 S=9 (was 9), I=1 0 sent");
}

Test(pcmail, cli_apply_and_listq, .init = setup, .fini = teardown,
    .timeout = 120)
{
	struct out o;
	char *file;

	file = env_file(&env, "resync.txt", "[DIRSYNC-TRANSACTIONS]\r\n"
	    "0000000001 R PCM:CONTOSO/SEAPO1\r\n"
	    "0000000002 A Smith, Jimmy                   "
	    "PCM:CONTOSO/SEAPO1/JSMITH\r\n"
	    "- Phone:/555 0100\r\n"
	    "0000000003 A Bad Element                    "
	    "PCM:CONTOSO/SEAPO1/TOOLONGMBOX\r\n"
	    "0000000004 A Jones, Ann                     "
	    "PCM:CONTOSO/SEAPO1/AJONES\r\n");
	o = galgate(&env, "pcmail apply dirsync --requestor CONTOSO/SEAPO1 "
	    "--dry-run %s", file);
	cr_assert_eq(o.status, 3, "%s", o.text);
	cr_assert(strstr(o.text, "changetype: add") != NULL, "%s", o.text);
	out_free(&o);
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 0);
	o = galgate(&env, "pcmail apply dirsync --requestor CONTOSO/SEAPO1 %s",
	    file);
	cr_assert_eq(o.status, 3, "%s", o.text);
	cr_assert(strstr(o.text, "resync.txt:5: address "
	    "'PCM:CONTOSO/SEAPO1/TOOLONGMBOX': address element longer than 10 "
	    "characters") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "CONTOSO/SEAPO1: 3 transactions: 2 added, 0 "
	    "modified, 0 deleted, 1 lines skipped, 0 errors") != NULL, "%s",
	    o.text);
	out_free(&o);
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 2);
	cr_assert_eq(ldap_count(S1BASE, "(telephoneNumber=555 0100)"), 1);
	o = galgate(&env, "pcmail apply dirsync --requestor CONTOSO/NOPE %s",
	    file);
	cr_assert_eq(o.status, 2, "%s", o.text);
	out_free(&o);
	free(file);
	/* what SEAPO2, which never synchronized, would get: everything */
	o = galgate(&env, "pcmail listq dirsync --requestor CONTOSO/SEAPO2");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "Requestor PCM:CONTOSO/SEAPO2: ReqSync = 0, "
	    "SrvSync = 0, ImpSync = 0, Last Cycle = 0\nFull reply pending: 4 "
	    "transactions\nCRC  Date stamp               Sync#  Transaction\n")
	    != NULL, "%s", o.text);
	cr_assert_eq(count_of(o.text, " 000008 R PCM:CONTOSO/GALGATE\n"), 1,
	    "%s", o.text);
	cr_assert_eq(count_of(o.text, " A Smith, Jimmy                   "
	    "PCM:CONTOSO/SEAPO1/JSMITH\n"), 1, "%s", o.text);
	cr_assert(strstr(o.text, "Requestor PCM:CONTOSO/SEAPO1") == NULL);
	out_free(&o);
}

Test(pcmail, dry_run_writes_and_sends_nothing, .init = setup,
    .fini = teardown, .timeout = 120)
{
	struct out o;
	size_t before;

	pcr_import_request(m1);
	pcr_add(m1, "Smith, Jimmy", "JSMITH", NULL);
	sent_is(pcr_send(m1, "UPDATE"), "ReqTx R=1 (was 0), S=0, I=1 1 sent");
	before = journal_length();
	o = galgate(&env, "sync --dry-run dirsync");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "changetype: add") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "# reply to CONTOSO/SEAPO1 (before this "
	    "cycle's writes): SrvTx R=1 S=6 (was 0), I=1 2 sent") != NULL, "%s",
	    o.text);
	out_free(&o);
	cr_assert_eq(journal_length(), before);
	cr_assert_null(pcr_receive(m1));
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 0);
	/* the message waits for the real cycle */
	sync_ok();
	subject_is(m1, "SrvTx R=1 S=7 (was 0), I=1 2 sent");
}

/* What only the connector can check is reported as file:line too. */
Test(pcmail, config_errors_name_file_and_line, .fini = teardown)
{
	static const struct {
		const char	*from, *to, *want;
	} bad[] = {
		{ "network = CONTOSO\n", "network = CONTOSO-HQ\n",
		    "galgate.conf:9: network: 'CONTOSO-HQ' must be 1 to 10 "
		    "letters or digits" },
		{ "template = Location: l\n", "template = Location: shoeSize\n",
		    "galgate.conf:19: template: 'shoeSize' is not an attribute a "
		    "template can fill" },
		{ "[requestor CONTOSO/SEAPO2]", "[requestor CONTOSO/SEA.PO2]",
		    "galgate.conf:30: [requestor CONTOSO/SEA.PO2]: the name must "
		    "be NET/PO, each 1 to 10 letters or digits" },
	};
	char text[8192], *q;
	const char *s, *hit;
	struct out o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env_prepare(&env, "");
		/* lines 1-6 are [gal]; conf_text starts at line 7 */
		q = text + sprintf(text, "[gal]\nsuffix = " SUFFIX "\n"
		    "organization = Contoso\nsite = HQ\nstate_dir = %s\n\n",
		    env.dir);
		hit = strstr(conf_text, bad[i].from);
		cr_assert_not_null(hit);
		for (s = conf_text; *s != '\0'; s++) {
			if (s == hit) {
				q += sprintf(q, "%s", bad[i].to);
				s += strlen(bad[i].from) - 1;
			} else if (strncmp(s, "@DIR@", 5) == 0) {
				q += sprintf(q, "%s", env.dir);
				s += 4;
			} else
				*q++ = *s;
		}
		*q = '\0';
		free(env_file(&env, "galgate.conf", text));
		free(env_file(&env, "seapo1.secret", "x\n"));
		free(env_file(&env, "seapo2.secret", "x\n"));
		o = galgate(&env, "reset dirsync --export-all");
		cr_assert_eq(o.status, 2, "#%zu: %s", i, o.text);
		cr_assert(strstr(o.text, bad[i].want) != NULL, "#%zu: %s", i,
		    o.text);
		out_free(&o);
		env_stop(&env);
	}
}

/* The first value of attr in an ldapsearch -LLL text, or "". */
static char *
first_value(const char *text, const char *attr)
{
	char pre[64];
	const char *p;

	snprintf(pre, sizeof(pre), "\n%s: ", attr);
	if ((p = strstr(text, pre)) == NULL)
		return strdup("");
	p += strlen(pre);
	return strndup(p, strcspn(p, "\n"));
}

static void
mail_is(const char *base, const char *display, const char *want)
{
	char filter[128], *t, *v;

	snprintf(filter, sizeof(filter), "(displayName=%s)", display);
	t = ldap_get(base, filter, "cn mail");
	v = first_value(t, "mail");
	cr_assert_str_eq(v, want, "%s: %s", display, t);
	free(v);
	/* what a mail client shows: the name, not the MS Mail address */
	v = first_value(t, "cn");
	cr_assert_str_eq(v, display, "%s: the first cn is not the name: %s",
	    display, t);
	free(v);
	free(t);
}

Test(pcmail, smtp_template_gives_ms_mail_users_an_address_kept_for_life,
    .fini = teardown, .timeout = 120)
{
	char *conf = malloc(strlen(conf_text) + 256), *t;

	/* the connector's template, and SEAPO2's own */
	cr_assert_not_null(conf);
	sprintf(conf, "%.*ssmtp_template = %%g.%%s@ms.contoso.example\n\n%s"
	    "smtp_template = %%a@seapo2.contoso.example\n",
	    (int)(strstr(conf_text, "\n\n[requestor") - conf_text + 1),
	    conf_text, strstr(conf_text, "[requestor CONTOSO/SEAPO1]"));
	setup_with(conf);
	free(conf);
	/* addresses an administrator's recipients hold: primary, secondary */
	add_gal("JSmithHQ", "Smith, James", "mail: jimmy.smith@ms.contoso."
	    "example\n");
	add_gal("AJonesHQ", "Jones, Annie", "mail: annie@contoso.example\n"
	    "galgateProxyAddress: SMTP:annie@contoso.example\n"
	    "galgateProxyAddress: smtp:ann.jones@ms.contoso.example\n");
	pcr_add(m1, "Smith, Jimmy", "JSMITH", NULL);
	pcr_add(m1, "Jones, Ann", "AJONES", NULL);
	pcr_add(m1, "Smith, Jimmy", "JSMITH2", NULL);
	pcr_add(m1, "Okafor, Chidi", "COKAFOR", "- Surname:/Okafor\r\n"
	    "- Given Name:/Chidi\r\n");
	/* users whose own address another recipient holds: not imported */
	pcr_add_addr(m1, "Annie Desk", "SMTP:annie@contoso.example");
	pcr_add_addr(m1, "Ann Alias", "SMTP:Ann.Jones@ms.contoso.example");
	free(pcr_send(m1, "UPDATE"));
	pcr_add(m2, "Lee, Kim", "KLEE", NULL);
	free(pcr_send(m2, "UPDATE"));
	sync_ok();
	/* a clash gets a number, in the order the transactions came */
	t = ldap_get(S1BASE, "(galgateForeignKey=PCM:CONTOSO/SEAPO1/JSMITH)",
	    "mail");
	cr_assert(strstr(t, "mail: jimmy.smith2@ms.contoso.example\n") != NULL,
	    "%s", t);
	free(t);
	t = ldap_get(S1BASE, "(galgateForeignKey=PCM:CONTOSO/SEAPO1/JSMITH2)",
	    "mail");
	cr_assert(strstr(t, "mail: jimmy.smith3@ms.contoso.example\n") != NULL,
	    "%s", t);
	free(t);
	mail_is(S1BASE, "Jones, Ann", "ann.jones2@ms.contoso.example");
	mail_is(S1BASE, "Okafor, Chidi", "chidi.okafor@ms.contoso.example");
	mail_is(S2BASE, "Lee, Kim", "klee@seapo2.contoso.example");
	cr_assert_eq(ldap_count(S1BASE, "(|(displayName=Annie Desk)"
	    "(displayName=Ann Alias))"), 0);
	t = events();
	cr_assert(strstr(t, "Annie Desk (SMTP:annie@contoso.example): its SMTP "
	    "address annie@contoso.example is held by cn=AJonesHQ,"
	    "cn=Recipients,ou=HQ,o=Contoso,dc=example,dc=com: not imported")
	    != NULL, "%s", t);
	cr_assert(strstr(t, "Ann Alias (SMTP:Ann.Jones@ms.contoso.example): its "
	    "SMTP address Ann.Jones@ms.contoso.example is held by "
	    "cn=AJonesHQ,") != NULL, "%s", t);
	free(t);
	/* Outlook's filter finds them now: it asks for (mail=*) */
	cr_assert_eq(ldap_count(SUFFIX, "(&(mail=*)(|(mail=oka*)(|(cn=oka*)"
	    "(|(sn=oka*)(givenName=oka*)))))"), 1);
	cr_assert_eq(ldap_count(SUFFIX, "(&(mail=*)(|(mail=chi*)(|(cn=chi*)"
	    "(|(sn=chi*)(givenName=chi*)))))"), 1);

	/* a new name does not move the address */
	pcr_modify(m1, "AJONES", "Jones-Baker, Ann", NULL);
	free(pcr_send(m1, "UPDATE"));
	sync_ok();
	mail_is(S1BASE, "Jones-Baker, Ann", "ann.jones2@ms.contoso.example");
	/* and once the holder is gone, a new user gets the plain address */
	cr_assert_eq(ldap_apply(&env, "dn: cn=JSmithHQ," RCPT "\nchangetype: "
	    "delete\n"), 0);
	pcr_add(m1, "Smith, Jimmy", "JSMITH3", NULL);
	free(pcr_send(m1, "UPDATE"));
	sync_ok();
	t = ldap_get(S1BASE, "(galgateForeignKey=PCM:CONTOSO/SEAPO1/JSMITH3)",
	    "mail");
	cr_assert(strstr(t, "mail: jimmy.smith@ms.contoso.example\n") != NULL,
	    "%s", t);
	free(t);

	/*
	 * The refused users were kept: each update since tried them again,
	 * quietly, and once the holder is gone the next update from their
	 * postoffice brings them in, though it says nothing of them.
	 */
	t = events();
	cr_assert_eq(count_of(t, "Annie Desk (SMTP:annie@contoso.example): "
	    "its SMTP"), 1, "refused more than once: %s", t);
	free(t);
	cr_assert_eq(ldap_apply(&env, "dn: cn=AJonesHQ," RCPT "\nchangetype: "
	    "delete\n"), 0);
	free(pcr_send(m1, "UPDATE"));
	sync_ok();
	mail_is(S1BASE, "Annie Desk", "annie@contoso.example");
	mail_is(S1BASE, "Ann Alias", "Ann.Jones@ms.contoso.example");
	t = events();
	cr_assert(strstr(t, "SMTP:annie@contoso.example, refused earlier "
	    "because another recipient held its SMTP address, is imported: "
	    "the address is free now") != NULL, "%s", t);
	free(t);
	/* taken in: not tried again */
	free(pcr_send(m1, "UPDATE"));
	sync_ok();
	t = events();
	cr_assert_eq(count_of(t, "SMTP:annie@contoso.example, refused "
	    "earlier"), 1, "%s", t);
	free(t);
}

/*
 * A user given another mailbox (a two-line M) keeps his entry: it is
 * renamed to the new address, and mail to his former X.500 DN (a reply
 * to an old message) still reaches him through an X500: proxy address.
 */
Test(pcmail, a_new_address_renames_the_entry_and_keeps_the_former_x500,
    .init = setup, .fini = teardown, .timeout = 120)
{
	char *before, *after;

	pcr_add(m1, "Lee, Kim", "KLEE", NULL);
	free(pcr_send(m1, "UPDATE"));
	sync_ok();
	before = ldap_get(S1BASE, "(galgateForeignKey=PCM:CONTOSO/SEAPO1/KLEE)",
	    "entryUUID");
	cr_assert(strstr(before, "entryUUID: ") != NULL, "%s", before);
	pcr_queue_raw(m1, "M Lee, Kim                       "
	    "PCM:CONTOSO/SEAPO1/KLEE\r\n             Lee, Kim          "
	    "             PCM:CONTOSO/SEAPO1/KIMLEE\r\n");
	free(pcr_send(m1, "UPDATE"));
	sync_ok();
	cr_assert_eq(ldap_count(S1BASE, "(galgateForeignKey=PCM:CONTOSO/"
	    "SEAPO1/KLEE)"), 0);
	after = ldap_get(S1BASE, "(galgateForeignKey=PCM:CONTOSO/SEAPO1/"
	    "KIMLEE)", "entryUUID");
	/* the same entry, under its new name */
	cr_assert_str_eq(strstr(after, "entryUUID: "), strstr(before,
	    "entryUUID: "), "not renamed: %s / %s", before, after);
	cr_assert(strncmp(after, "dn: cn=PCM:CONTOSO/SEAPO1/KIMLEE,", 33) == 0,
	    "%s", after);
	cr_assert_eq(ldap_count(S1BASE, "(galgateProxyAddress=X500:/o=Contoso/"
	    "ou=HQ/cn=SEAPO1/cn=PCM:CONTOSO\\5c/SEAPO1\\5c/KLEE)"), 1);
	free(before);
	free(after);
}

/*
 * "pcmail apply" is a cycle like any other: its LDAP writes are in an
 * audit LDIF and "galgate status" shows it as the connector's last cycle.
 */
Test(pcmail, apply_leaves_an_audit_ldif_and_a_status_line, .init = setup,
    .fini = teardown, .timeout = 120)
{
	struct out o;
	char *file;

	file = env_file(&env, "add.txt", "[DIRSYNC-TRANSACTIONS]\r\n"
	    "0000000001 A Smith, Jimmy                   "
	    "PCM:CONTOSO/SEAPO1/JSMITH\r\n");
	o = galgate(&env, "pcmail apply dirsync --requestor CONTOSO/SEAPO1 %s",
	    file);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	free(file);
	o = run("cat %s/audit/dirsync-*.ldif", env.dir);
	cr_assert_eq(o.status, 0, "no audit LDIF: %s", o.text);
	cr_assert(strstr(o.text, "dn: cn=PCM:CONTOSO/SEAPO1/JSMITH,"
	    S1BASE "\nchangetype: add\n") != NULL, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "status --json");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "\"adds\":1") != NULL, "%s", o.text);
	out_free(&o);
}
