/*
 * Server and disk faults under the InterOrg connector: a master and a
 * requestor organization (each its own slapd and galgate.conf) over the
 * real Postfix and Dovecot of mailserver.c; slapd stopped at the master
 * and at the requestor while they apply a batch; Postfix and Dovecot
 * stopped before and in the middle of cycles; and, on the maildir
 * transport, the disk holding the outbox full.  Each time: a clear error
 * and event naming the server or the file, exit 1, the watermarks of the
 * exchange unmoved, the message kept; then the rerun delivers everything
 * exactly once in effect.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "faults.h"
#include "mailserver.h"

#define HQ_RCPT		"cn=Recipients,ou=NYC,o=HQ," SUFFIX
#define HQ_B1		"cn=Branch,ou=NYC,o=HQ," SUFFIX
#define B1_RCPT		"cn=Recipients,ou=SEATTLE,o=BRANCH," SUFFIX
#define B1_IMP		"cn=InterOrg,ou=SEATTLE,o=BRANCH," SUFFIX
#define MASTER		"master@hq.example.com"
#define REQ1		"requestor@branch.example.com"

static struct env hq, b1;
static struct mailserver ms;
static struct disk disk;
static char secrets[64], boxdir[64];
static int hq_users, b1_users;

/* What must not move when a message could not be applied or sent. */
static const char *const master_marks[] = { "applied_rusn:" REQ1,
    "last_musn:" REQ1, "full_next:" REQ1, "want_reload:" REQ1, NULL };
static const char *const req_marks[] = { "master_usn", "acked_rusn",
    "sent_rusn", "full_rusn", "export_full", "import_all", NULL };

static void
teardown(void)
{
	struct out o;

	disk_unmount(&disk);
	env_stop(&hq);
	env_stop(&b1);
	mailserver_stop(&ms);
	if (secrets[0] != '\0') {
		o = run("rm -rf %s", secrets);
		out_free(&o);
		secrets[0] = '\0';
	}
	if (boxdir[0] != '\0') {
		o = run("rm -rf %s", boxdir);
		out_free(&o);
		boxdir[0] = '\0';
	}
}

static char *
fmt(const char *f, ...) __attribute__((__format__(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	cr_assert(vasprintf(&s, f, ap) != -1);
	va_end(ap);
	return s;
}

/* Both organizations; transport is the [connector] keys of either. */
static void
start_pair(const char *hq_transport, const char *b1_transport)
{
	struct out o;
	char *c;

	strcpy(secrets, "/tmp/gg-sXXXXXX");
	cr_assert_not_null(mkdtemp(secrets));
	o = run("printf 'branch-shared-secret\\n' > %s/b1.secret && "
	    "chmod 600 %s/b1.secret", secrets, secrets);
	out_free(&o);
	c = fmt("[connector io-master]\ntype = interorg\nrole = master\n"
	    "address = " MASTER "\nexport_container = /o=HQ/ou=NYC/cn=Recipients\n"
	    "%s\n[requestor " REQ1 "]\nconnector = io-master\n"
	    "secret_file = %s/b1.secret\n"
	    "import_container = /o=HQ/ou=NYC/cn=Branch\n", hq_transport,
	    secrets);
	env_start_org(&hq, "HQ", "NYC", c);
	free(c);
	c = fmt("[connector io-branch]\ntype = interorg\nrole = requestor\n"
	    "address = " REQ1 "\nmaster_address = " MASTER "\n"
	    "secret_file = %s/b1.secret\n"
	    "export_container = /o=BRANCH/ou=SEATTLE/cn=Recipients\n"
	    "import_container = /o=BRANCH/ou=SEATTLE/cn=InterOrg\n%s",
	    secrets, b1_transport);
	env_start_org(&b1, "BRANCH", "SEATTLE", c);
	free(c);
	o = galgate(&hq, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&b1, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	hq_users = b1_users = 0;
}

static char *
mail_transport(const char *user)
{
	return fmt("transport = smtp+imap\nmail_tls = none\n"
	    "smtp_url = smtp://127.0.0.1:%d\nimap_url = imap://127.0.0.1:%d/INBOX\n"
	    "username = %s\nmail_password_file = %s\n", ms.smtp_port,
	    ms.imap_port, user, ms.password_file);
}

static void
start_over_mail(void)
{
	char *t1, *t2;

	mailserver_start(&ms, "hq.example.com branch.example.com");
	t1 = mail_transport("master");
	t2 = mail_transport("requestor");
	start_pair(t1, t2);
	free(t1);
	free(t2);
}

static void
add_users(struct env *e, const char *container, const char *domain,
    int *count, int n)
{
	char ldif[512];
	int i;

	for (i = 0; i < n; i++, (*count)++) {
		snprintf(ldif, sizeof(ldif), "dn: cn=u%03d,%s\nchangetype: add\n"
		    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
		    "cn: u%03d\nsn: User\ndisplayName: User %03d\n"
		    "mail: u%03d@%s\n", *count, container, *count, *count,
		    *count, domain);
		cr_assert_eq(ldap_apply(e, ldif), 0);
	}
}

static void
settle(void)
{
	if (ms.dir[0] != '\0')
		cr_assert_eq(mail_settle(&ms, 20000), 0, "Postfix did not "
		    "deliver in time");
}

static void
sync_ok(struct env *e, const char *con)
{
	cr_assert_eq(sync_status(e, con), 0, "%s failed", con);
}

/* The requestor sends, the master applies and answers, the requestor applies. */
static void
round_trip(void)
{
	sync_ok(&b1, "io-branch");
	settle();
	sync_ok(&hq, "io-master");
	settle();
	sync_ok(&b1, "io-branch");
}

/* Each organization holds the other's users, once each. */
static void
both_hold_everything(const char *what)
{
	cr_assert_eq(ldap_count_in(&hq, HQ_B1, "one", "(mail=*)"),
	    (size_t)b1_users, "%s: the master lacks branch users", what);
	cr_assert_eq(ldap_count_in(&b1, B1_IMP, "one", "(mail=*)"),
	    (size_t)hq_users, "%s: the branch lacks master users", what);
}

/* A failed run: exit 1, the server named in the output and an event. */
static void
failed_naming(struct env *e, struct out *o, const char *server,
    const char *what)
{
	cr_assert_eq(o->status, 1, "%s: exit %d: %s", what, o->status,
	    o->text);
	cr_assert(strstr(o->text, server) != NULL, "%s: %s not named: %s",
	    what, server, o->text);
	cr_assert_geq(events_count(e, 1022, server), 1, "%s: no event", what);
	out_free(o);
}

/* The run paused at failpoint, with stop() done to a server meanwhile. */
static struct out
paused_with(struct env *e, const char *con, const char *failpoint,
    void (*stop)(void))
{
	struct paused p;
	char args[64];

	snprintf(args, sizeof(args), "sync %s", con);
	paused_start(&p, e->conf, failpoint, args);
	stop();
	return paused_finish(&p);
}

static void stop_hq_slapd(void) { slapd_stop(&hq); }
static void stop_b1_slapd(void) { slapd_stop(&b1); }
static void stop_postfix(void) { mailserver_stop_smtp(&ms); }
static void stop_dovecot(void) { mailserver_stop_imap(&ms); }

Test(faults_interorg, slapd_stopped_at_the_master_and_at_the_requestor,
    .fini = teardown, .timeout = 240)
{
	char *wm0, *wm1, *d0, *d1;
	struct out o;

	start_over_mail();
	add_users(&hq, HQ_RCPT, "hq.example.com", &hq_users, 5);
	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 5);
	round_trip();
	both_hold_everything("first round");

	/* the master's slapd stops while it applies the branch's batch */
	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 15);
	sync_ok(&b1, "io-branch");
	settle();
	wm0 = watermarks_of(&hq, "io-master", master_marks);
	o = paused_with(&hq, "io-master", "ldap-write:4:STOP", stop_hq_slapd);
	failed_naming(&hq, &o, hq.uri, "master's slapd stopped");
	wm1 = watermarks_of(&hq, "io-master", master_marks);
	cr_assert_str_eq(wm1, wm0, "the master's watermarks moved");
	free(wm0);
	free(wm1);
	/* (with the branch's last batch, applied but not yet answered) */
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 2, "batch not kept");
	settle();
	cr_assert_eq(mail_count(&ms, "requestor", "INBOX"), 0, "a reply went");
	slapd_start_again(&hq);
	sync_ok(&hq, "io-master");
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 0);
	settle();
	sync_ok(&b1, "io-branch");
	both_hold_everything("master's slapd back");

	/* the branch's slapd stops while it applies the master's reply */
	add_users(&hq, HQ_RCPT, "hq.example.com", &hq_users, 15);
	sync_ok(&b1, "io-branch");
	settle();
	sync_ok(&hq, "io-master");
	settle();
	wm0 = watermarks_of(&b1, "io-branch", req_marks);
	o = paused_with(&b1, "io-branch", "ldap-write:3:STOP", stop_b1_slapd);
	failed_naming(&b1, &o, b1.uri, "branch's slapd stopped");
	wm1 = watermarks_of(&b1, "io-branch", req_marks);
	cr_assert_str_eq(wm1, wm0, "the branch's watermarks moved");
	free(wm0);
	free(wm1);
	cr_assert_eq(mail_count(&ms, "requestor", "INBOX"), 1, "reply not "
	    "kept");
	slapd_start_again(&b1);
	sync_ok(&b1, "io-branch");
	both_hold_everything("branch's slapd back");
	cr_assert_eq(mail_count(&ms, "requestor", "INBOX"), 0);

	/* the master's slapd down before its cycle */
	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 2);
	sync_ok(&b1, "io-branch");
	settle();
	wm0 = watermarks_of(&hq, "io-master", master_marks);
	slapd_stop(&hq);
	o = galgate(&hq, "sync io-master");
	failed_naming(&hq, &o, hq.uri, "master's slapd down");
	wm1 = watermarks_of(&hq, "io-master", master_marks);
	cr_assert_str_eq(wm1, wm0, "the master's watermarks moved");
	free(wm0);
	free(wm1);
	slapd_start_again(&hq);
	sync_ok(&hq, "io-master");
	settle();
	sync_ok(&b1, "io-branch");
	both_hold_everything("master's slapd up again");
	/* and nothing more to say to each other */
	d0 = ldap_dump(&hq, HQ_B1);
	d1 = ldap_dump(&b1, B1_IMP);
	round_trip();
	{
		char *d2 = ldap_dump(&hq, HQ_B1), *d3 = ldap_dump(&b1, B1_IMP);

		cr_assert_str_eq(d2, d0);
		cr_assert_str_eq(d3, d1);
		free(d2);
		free(d3);
	}
	free(d0);
	free(d1);
}

Test(faults_interorg, postfix_and_dovecot_stopped_before_and_during_a_cycle,
    .fini = teardown, .timeout = 240)
{
	char smtp[64], imap[64], *wm0, *wm1, *d0, *d1;
	struct out o;

	start_over_mail();
	snprintf(smtp, sizeof(smtp), "smtp://127.0.0.1:%d", ms.smtp_port);
	snprintf(imap, sizeof(imap), "imap://127.0.0.1:%d", ms.imap_port);
	add_users(&hq, HQ_RCPT, "hq.example.com", &hq_users, 4);
	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 4);
	round_trip();
	both_hold_everything("first round");

	/* Postfix down before the requestor sends: nothing moves */
	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 3);
	sync_ok(&hq, "io-master");
	settle();
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 0);
	wm0 = watermarks_of(&b1, "io-branch", req_marks);
	mailserver_stop_smtp(&ms);
	o = galgate(&b1, "sync io-branch");
	failed_naming(&b1, &o, smtp, "Postfix down before the requestor");
	wm1 = watermarks_of(&b1, "io-branch", req_marks);
	cr_assert_str_eq(wm1, wm0, "the branch's watermarks moved");
	free(wm0);
	free(wm1);
	mailserver_start_smtp(&ms);
	sync_ok(&b1, "io-branch");
	settle();
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 1, "not one batch");
	sync_ok(&hq, "io-master");
	settle();
	sync_ok(&b1, "io-branch");
	both_hold_everything("Postfix back for the requestor");

	/*
	 * Postfix stopped while the master is about to reply: what it
	 * applied stays applied, the reply waits for the requestor's next
	 * message (its export was not acknowledged), which changes nothing
	 * twice.
	 */
	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 2);
	add_users(&hq, HQ_RCPT, "hq.example.com", &hq_users, 2);
	sync_ok(&b1, "io-branch");
	settle();
	o = paused_with(&hq, "io-master", "mail-before-send:1:STOP",
	    stop_postfix);
	failed_naming(&hq, &o, smtp, "Postfix stopped before the reply");
	mailserver_start_smtp(&ms);
	cr_assert_eq(ldap_count_in(&hq, HQ_B1, "one", "(mail=*)"),
	    (size_t)b1_users);
	d0 = ldap_dump(&hq, HQ_B1);
	sync_ok(&hq, "io-master");
	round_trip();
	d1 = ldap_dump(&hq, HQ_B1);
	cr_assert_str_eq(d1, d0, "the resent batch was applied twice");
	free(d0);
	free(d1);
	both_hold_everything("Postfix back for the master");

	/* Dovecot down before the master's cycle: its mailbox unread */
	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 2);
	sync_ok(&b1, "io-branch");
	settle();
	wm0 = watermarks_of(&hq, "io-master", master_marks);
	d0 = ldap_dump(&hq, HQ_B1);
	mailserver_stop_imap(&ms);
	o = galgate(&hq, "sync io-master");
	failed_naming(&hq, &o, imap, "Dovecot down before the master");
	wm1 = watermarks_of(&hq, "io-master", master_marks);
	cr_assert_str_eq(wm1, wm0, "the master's watermarks moved");
	d1 = ldap_dump(&hq, HQ_B1);
	cr_assert_str_eq(d1, d0, "applied without its message read");
	free(wm0);
	free(wm1);
	free(d0);
	free(d1);
	mailserver_start_imap(&ms);
	sync_ok(&hq, "io-master");
	settle();
	sync_ok(&b1, "io-branch");
	both_hold_everything("Dovecot back for the master");

	/*
	 * Dovecot stopped after the requestor applied the master's reply,
	 * before the reply is filed: read again, it is a replay.
	 */
	add_users(&hq, HQ_RCPT, "hq.example.com", &hq_users, 3);
	sync_ok(&b1, "io-branch");
	settle();
	sync_ok(&hq, "io-master");
	settle();
	o = paused_with(&b1, "io-branch", "mail-before-done:1:STOP",
	    stop_dovecot);
	failed_naming(&b1, &o, imap, "Dovecot stopped before filing");
	mailserver_start_imap(&ms);
	mail_flush(&ms);
	settle();
	cr_assert_eq(mail_count(&ms, "requestor", "INBOX"), 1);
	d0 = ldap_dump(&b1, B1_IMP);
	sync_ok(&b1, "io-branch");
	d1 = ldap_dump(&b1, B1_IMP);
	cr_assert_str_eq(d1, d0, "the reply was applied twice");
	free(d0);
	free(d1);
	cr_assert_eq(mail_count(&ms, "requestor", "INBOX"), 0);
	settle();
	sync_ok(&hq, "io-master");
	settle();
	sync_ok(&b1, "io-branch");
	both_hold_everything("Dovecot back for the requestor");
}

Test(faults_interorg, maildir_outbox_on_a_full_disk, .fini = teardown,
    .timeout = 120)
{
	char *c1, *c2, *wm0, *wm1, box[160];
	size_t n;
	struct out o;

	/* the requestor's outbox is the master's inbox, on a small disk */
	strcpy(boxdir, "/tmp/gg-mXXXXXX");
	cr_assert_not_null(mkdtemp(boxdir));
	strcpy(box, boxdir);
	c1 = fmt("transport = maildir\ninbox = %s/master\n"
	    "outbox = %s/requestor\n", box, box);
	c2 = fmt("transport = maildir\ninbox = %s/requestor\n"
	    "outbox = %s/master\n", box, box);
	start_pair(c1, c2);
	free(c1);
	free(c2);
	snprintf(box + strlen(box), sizeof(box) - strlen(box), "/master");
	disk_mount(&disk, box, 256);
	o = run("mkdir -p %s/tmp %s/new %s/cur", box, box, box);
	out_free(&o);
	add_users(&hq, HQ_RCPT, "hq.example.com", &hq_users, 3);
	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 3);
	round_trip();
	both_hold_everything("first round");

	add_users(&b1, B1_RCPT, "branch.example.com", &b1_users, 30);
	sync_ok(&hq, "io-master");
	wm0 = watermarks_of(&b1, "io-branch", req_marks);
	disk_fill(&disk, 0);
	if (disk.mounted)
		o = galgate(&b1, "sync io-branch");
	else
		o = run("GALGATE_FAILPOINT=file-write:1:ENOSPC %s -c %s sync "
		    "io-branch", GALGATE_BINARY, b1.conf);
	cr_assert_eq(o.status, 1, "exit %d: %s", o.status, o.text);
	cr_assert(strstr(o.text, box) != NULL && strstr(o.text,
	    ": No space left on device") != NULL, "%s", o.text);
	out_free(&o);
	cr_assert_eq(events_count(&b1, 1022, "No space left on device"), 1);
	wm1 = watermarks_of(&b1, "io-branch", req_marks);
	cr_assert_str_eq(wm1, wm0, "the branch's watermarks moved");
	free(wm0);
	free(wm1);
	/* nothing, whole or in part, reached the master's inbox */
	snprintf(box + strlen(box), sizeof(box) - strlen(box), "/new");
	n = files_named(box, "");
	strcpy(strrchr(box, '/'), "/tmp");
	n += files_named(box, "");
	*strrchr(box, '/') = '\0';
	cr_assert_eq(n, 0, "%zu messages or pieces left", n);

	disk_unfill(&disk);
	round_trip();
	both_hold_everything("the disk had space again");
}
