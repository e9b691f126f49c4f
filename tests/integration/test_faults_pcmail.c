/*
 * Server and disk faults under the Microsoft Mail dir-sync connector:
 * slapd stopped before and in the middle of a cycle; Postfix and Dovecot
 * (tests/integration/mailserver.c) stopped before and in the middle of a
 * cycle on the smtp+imap transport; the disk holding the maildir outbox
 * full.  Each time: a clear error and event naming the server or the
 * file, exit 1, the requestor's numbers unmoved and its ReqTx still
 * waiting, no half-written reply; then the rerun answers, and the
 * requestor's GAL ends as if nothing had happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "faults.h"
#include "mailserver.h"
#include "pcmail_model.h"

#define S1BASE	"cn=SEAPO1," BASE

static struct env env;
static struct pcr *m1;
static struct mailserver ms;
static struct disk disk;
static char inbox[128], outbox[128];
static int nusers;

static const char *maildir_conf =
    "[connector dirsync]\ntype = pcmail\nnetwork = CONTOSO\n"
    "postoffice = GALGATE\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "transport = maildir\ninbox = @DIR@/in\noutbox = @DIR@/out\n"
    "address = galgate-dirsync@contoso.example\n"
    "delete_threshold = 100%\n\n"
    "[requestor CONTOSO/SEAPO1]\nconnector = dirsync\n"
    "password_file = @DIR@/seapo1.secret\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
    "address = seapo1-dirsync@contoso.example\n";

static void
setup_maildir(void)
{
	struct out o;

	env_start(&env, maildir_conf, "--dbnosync");
	free(env_file(&env, "seapo1.secret", "s3cret-one\n"));
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	snprintf(inbox, sizeof(inbox), "%s/in", env.dir);
	snprintf(outbox, sizeof(outbox), "%s/out", env.dir);
	m1 = pcr_new("CONTOSO", "SEAPO1", "s3cret-one",
	    "seapo1-dirsync@contoso.example", inbox, outbox);
	nusers = 0;
}

static void
teardown(void)
{
	disk_unmount(&disk);
	pcr_free(m1);
	m1 = NULL;
	env_stop(&env);
	mailserver_stop(&ms);
}

static size_t
waiting_in(const char *maildir)
{
	char path[200];
	size_t n;

	snprintf(path, sizeof(path), "%s/new", maildir);
	n = files_named(path, "");
	snprintf(path, sizeof(path), "%s/cur", maildir);
	return n + files_named(path, "");
}

/* Messages delivered to a Maildir and not read yet (or half-delivered). */
static size_t
unread_in(const char *maildir)
{
	char path[200];
	size_t n;

	snprintf(path, sizeof(path), "%s/new", maildir);
	n = files_named(path, "");
	snprintf(path, sizeof(path), "%s/tmp", maildir);
	return n + files_named(path, "");
}

/* The requestor's next update: n new users, and one deleted. */
static void
update(int n)
{
	char name[40], mbx[16];
	int i;

	if (nusers > 0) {
		snprintf(mbx, sizeof(mbx), "U%03d", nusers - 1);
		pcr_delete(m1, mbx);
	}
	for (i = 0; i < n; i++, nusers++) {
		snprintf(name, sizeof(name), "User%03d, Fault", nusers);
		snprintf(mbx, sizeof(mbx), "U%03d", nusers);
		pcr_add(m1, name, mbx, NULL);
	}
	free(pcr_send(m1, "UPDATE"));
}

/* Exactly one reply came, acknowledging everything the requestor sent. */
static void
one_reply(const char *what)
{
	char *got = pcr_receive(m1), want[64];

	cr_assert_not_null(got, "%s: no reply", what);
	cr_assert_null(strchr(got, '\n'), "%s: more than one reply: %s", what,
	    got);
	snprintf(want, sizeof(want), "SrvTx R=%lu ", pcr_reqsync(m1));
	cr_assert_eq(strncmp(got, want, strlen(want)), 0, "%s: '%s', not "
	    "'%s...'", what, got, want);
	cr_assert_eq(pcr_queued(m1), 0, "%s: not acknowledged", what);
	free(got);
}

/* The requestor's users are in the GAL, once each, and nothing else. */
static void
gal_holds_the_requestor(const char *what, int deleted)
{
	cr_assert_eq(ldap_count_in(&env, S1BASE, "one",
	    "(galgateConnector=dirsync)"), (size_t)(nusers - deleted),
	    "%s", what);
}

Test(faults_pcmail, slapd_stopped_before_and_during_a_cycle,
    .init = setup_maildir, .fini = teardown, .timeout = 180)
{
	static const char *points[] = {
		NULL,			/* slapd down before the cycle */
		"ldap-write:1:STOP",
		"ldap-write:7:STOP",
	};
	char *wm0, *wm1;
	size_t k, fails;
	struct paused p;
	struct out o;

	pcr_import_request(m1);
	update(10);
	cr_assert_eq(sync_status(&env, "dirsync"), 0);
	one_reply("first");
	for (k = 0; k < sizeof(points) / sizeof(points[0]); k++) {
		const char *pt = points[k] != NULL ? points[k] : "down before";

		/* more than 20 changes: what once went in a transaction */
		update(22);
		wm0 = watermarks(&env, "dirsync");
		fails = events_count(&env, 1022, env.uri);
		if (points[k] == NULL) {
			slapd_stop(&env);
			o = galgate(&env, "sync dirsync");
		} else {
			paused_start(&p, env.conf, points[k], "sync dirsync");
			slapd_stop(&env);
			o = paused_finish(&p);
		}
		cr_assert_eq(o.status, 1, "%s: exit %d: %s", pt, o.status,
		    o.text);
		cr_assert(strstr(o.text, "Can't contact LDAP server") != NULL &&
		    strstr(o.text, env.uri) != NULL, "%s: %s", pt, o.text);
		out_free(&o);
		cr_assert_eq(events_count(&env, 1022, env.uri), fails + 1, "%s",
		    pt);
		wm1 = watermarks(&env, "dirsync");
		cr_assert_str_eq(wm1, wm0, "%s: watermarks moved", pt);
		free(wm0);
		free(wm1);
		/* the ReqTx waits, nothing was answered */
		cr_assert_eq(waiting_in(inbox), 1, "%s", pt);
		cr_assert_eq(unread_in(outbox), 0, "%s: a reply went out", pt);

		slapd_start_again(&env);
		cr_assert_eq(sync_status(&env, "dirsync"), 0, "%s: rerun", pt);
		one_reply(pt);
		cr_assert_eq(waiting_in(inbox), 0, "%s", pt);
		gal_holds_the_requestor(pt, (int)k + 1);
		/* and a cycle with nothing new sends nothing */
		cr_assert_eq(sync_status(&env, "dirsync"), 0);
		cr_assert_null(pcr_receive(m1), "%s: a reply to nothing", pt);
	}
}

Test(faults_pcmail, maildir_outbox_on_a_full_disk, .init = setup_maildir,
    .fini = teardown, .timeout = 120)
{
	char *wm0, *wm1, path[200], *j0, *j1;
	struct out o;

	/* the replies go to a 256 KB filesystem, its Maildir made first */
	disk_mount(&disk, outbox, 256);
	o = run("mkdir -p %s/tmp %s/new %s/cur", outbox, outbox, outbox);
	out_free(&o);
	pcr_import_request(m1);
	update(10);
	cr_assert_eq(sync_status(&env, "dirsync"), 0);
	one_reply("first");
	update(20);
	wm0 = watermarks(&env, "dirsync");
	disk_fill(&disk, 0);
	if (disk.mounted)
		o = galgate(&env, "sync dirsync");
	else
		o = run("GALGATE_FAILPOINT=file-write:1:ENOSPC %s -c %s sync "
		    "dirsync", GALGATE_BINARY, env.conf);
	cr_assert_eq(o.status, 1, "exit %d: %s", o.status, o.text);
	snprintf(path, sizeof(path), "%s/tmp/", outbox);
	cr_assert(strstr(o.text, path) != NULL && strstr(o.text,
	    ": No space left on device") != NULL, "%s", o.text);
	out_free(&o);
	cr_assert_eq(events_count(&env, 1022, "No space left on device"), 1);
	/* no message, whole or in part, and no temp file */
	cr_assert_eq(unread_in(outbox), 0,
	    "a reply or a piece of one was left in the outbox");
	wm1 = watermarks(&env, "dirsync");
	cr_assert_str_eq(wm1, wm0, "watermarks moved");
	free(wm0);
	free(wm1);
	cr_assert_eq(waiting_in(inbox), 1, "the ReqTx was not kept");

	/* space again: the same transactions are not applied twice */
	disk_unfill(&disk);
	j0 = ldap_dump(&env, S1BASE);
	cr_assert_eq(sync_status(&env, "dirsync"), 0);
	j1 = ldap_dump(&env, S1BASE);
	cr_assert_str_eq(j1, j0, "the rerun changed the GAL");
	free(j0);
	free(j1);
	one_reply("after the disk had space");
	gal_holds_the_requestor("after the disk had space", 1);
	cr_assert_eq(waiting_in(inbox), 0);
}

/* ---- smtp+imap: Postfix and Dovecot ---- */

#define GW_USER		"galgate-dirsync"
#define RQ_USER		"seapo1-dirsync"

static unsigned long reqseq, srvseq;

static void
setup_smtp(void)
{
	char conf[4096];
	struct out o;

	mailserver_start(&ms, "contoso.example");
	snprintf(conf, sizeof(conf),
	    "[connector dirsync]\ntype = pcmail\nnetwork = CONTOSO\n"
	    "postoffice = GALGATE\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
	    "transport = smtp+imap\nsmtp_url = smtp://127.0.0.1:%d\n"
	    "imap_url = imap://127.0.0.1:%d/INBOX\nmail_tls = none\n"
	    "username = " GW_USER "\nmail_password_file = %s\n"
	    "address = " GW_USER "@contoso.example\n"
	    "delete_threshold = 100%%\n\n"
	    "[requestor CONTOSO/SEAPO1]\nconnector = dirsync\n"
	    "password_file = @DIR@/seapo1.secret\ntypes = PCM\n"
	    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
	    "address = " RQ_USER "@contoso.example\n", ms.smtp_port,
	    ms.imap_port, ms.password_file);
	env_start(&env, conf, "--dbnosync");
	free(env_file(&env, "seapo1.secret", "s3cret-one\n"));
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert_eq(ldap_apply(&env, "dn: cn=SBrady," RCPT "\nchangetype: "
	    "add\nobjectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: SBrady\nsn: Brady\ndisplayName: Brady, Sally\n"
	    "mailNickname: SBrady\n"), 0);
	reqseq = srvseq = 0;
	nusers = 0;
}

/* A ReqTx of n new users through Postfix into the gateway's mailbox. */
static void
reqtx(int n)
{
	char raw[8192], name[40];
	size_t len;
	int i;

	len = (size_t)snprintf(raw, sizeof(raw), "From: CONTOSO/SEAPO1/$SYSTEM "
	    "<" RQ_USER "@contoso.example>\r\nTo: CONTOSO/GALGATE/$SYSTEM "
	    "<" GW_USER "@contoso.example>\r\nSubject: ReqTx R=%lu (was %lu), "
	    "S=%lu, I=1 %d sent\r\n\r\n[DIRSYNC]\r\nTASK=UPDATE\r\n"
	    "REQNAME=PCM:CONTOSO/SEAPO1\r\nPASSWORD=s3cret-one\r\n"
	    "REQSEQ=%lu\r\nSRVSEQ=%lu\r\nIMPSEQ=1\r\n"
	    "[DIRSYNC-TRANSACTIONS]\r\n", reqseq + (unsigned long)n, reqseq,
	    srvseq, n, reqseq + (unsigned long)n, srvseq);
	for (i = 0; i < n; i++, nusers++) {
		snprintf(name, sizeof(name), "User%03d, Fault", nusers);
		len += (size_t)snprintf(raw + len, sizeof(raw) - len,
		    "%010lu A %-30s PCM:CONTOSO/SEAPO1/U%03d\r\n",
		    ++reqseq, name, nusers);
	}
	cr_assert_eq(mail_smtp_send(&ms, RQ_USER "@contoso.example",
	    GW_USER "@contoso.example", raw), 0);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
}

/*
 * The replies waiting for the requestor, filed away: their number; the
 * transaction text of the last one in *text (caller frees), and its S
 * kept for the next ReqTx.
 */
static size_t
replies(char **text)
{
	unsigned long *uid;
	size_t n, i;
	char *msg, *s;

	uid = mail_uids(&ms, RQ_USER, "INBOX", &n);
	for (i = 0; i < n; i++) {
		msg = mail_fetch(&ms, RQ_USER, "INBOX", uid[i]);
		cr_assert_not_null(msg);
		cr_assert_eq(mail_move(&ms, RQ_USER, "INBOX", uid[i], "read"),
		    0);
		s = strstr(msg, "\nSubject: SrvTx R=");
		cr_assert_not_null(s, "not a SrvTx: %s", msg);
		cr_assert_eq(strtoul(s + 18, &s, 10), reqseq, "%s", msg);
		cr_assert(strncmp(s, " S=", 3) == 0, "%s", msg);
		srvseq = strtoul(s + 3, NULL, 10);
		if (text != NULL && i == n - 1) {
			s = strstr(msg, "[DIRSYNC-TRANSACTIONS]");
			*text = strdup(s != NULL ? s : "");
		}
		free(msg);
	}
	free(uid);
	return n;
}

/* One failed cycle: exit 1, the server named, an event. */
static void
failed_naming(struct out *o, const char *server, const char *what)
{
	cr_assert_eq(o->status, 1, "%s: exit %d: %s", what, o->status,
	    o->text);
	cr_assert(strstr(o->text, server) != NULL, "%s: %s not named: %s",
	    what, server, o->text);
	cr_assert_geq(events_count(&env, 1022, server), 1, "%s: no event",
	    what);
	out_free(o);
}

Test(faults_pcmail, postfix_and_dovecot_stopped_before_and_during_a_cycle,
    .init = setup_smtp, .fini = teardown, .timeout = 240)
{
	char smtp[64], imap[64], *wm0, *wm1, *j0, *j1, *t1, *t2;
	struct paused p;
	struct out o;
	int k;

	snprintf(smtp, sizeof(smtp), "smtp://127.0.0.1:%d", ms.smtp_port);
	snprintf(imap, sizeof(imap), "imap://127.0.0.1:%d", ms.imap_port);
	reqtx(5);
	cr_assert_eq(sync_status(&env, "dirsync"), 0);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
	cr_assert_eq(replies(NULL), 1);

	/*
	 * Postfix down before the cycle, then stopped while galgate is about
	 * to send: the writes are made, the reply cannot go, nothing moves.
	 */
	for (k = 0; k < 2; k++) {
		const char *what = k == 0 ? "Postfix down before" :
		    "Postfix stopped mid-cycle";

		reqtx(6);
		wm0 = watermarks(&env, "dirsync");
		if (k == 0) {
			mailserver_stop_smtp(&ms);
			o = galgate(&env, "sync dirsync");
		} else {
			paused_start(&p, env.conf, "mail-before-send:1:STOP",
			    "sync dirsync");
			mailserver_stop_smtp(&ms);
			o = paused_finish(&p);
		}
		failed_naming(&o, smtp, what);
		wm1 = watermarks(&env, "dirsync");
		cr_assert_str_eq(wm1, wm0, "%s: watermarks moved", what);
		free(wm0);
		free(wm1);
		cr_assert_eq(mail_count(&ms, GW_USER, "INBOX"), 1, "%s", what);
		mailserver_start_smtp(&ms);
		j0 = ldap_dump(&env, S1BASE);
		cr_assert_eq(sync_status(&env, "dirsync"), 0, "%s", what);
		j1 = ldap_dump(&env, S1BASE);
		cr_assert_str_eq(j1, j0, "%s: the rerun wrote twice", what);
		free(j0);
		free(j1);
		cr_assert_eq(mail_settle(&ms, 20000), 0);
		cr_assert_eq(replies(NULL), 1, "%s", what);
		cr_assert_eq(mail_count(&ms, GW_USER, "INBOX"), 0, "%s", what);
		gal_holds_the_requestor(what, 0);
	}

	/* Dovecot down before the cycle: the mailbox cannot be read */
	reqtx(4);
	wm0 = watermarks(&env, "dirsync");
	j0 = ldap_dump(&env, S1BASE);
	mailserver_stop_imap(&ms);
	o = galgate(&env, "sync dirsync");
	failed_naming(&o, imap, "Dovecot down before");
	wm1 = watermarks(&env, "dirsync");
	cr_assert_str_eq(wm1, wm0, "watermarks moved");
	j1 = ldap_dump(&env, S1BASE);
	cr_assert_str_eq(j1, j0, "written without its message read");
	free(wm0);
	free(wm1);
	free(j0);
	free(j1);
	mailserver_start_imap(&ms);
	cr_assert_eq(sync_status(&env, "dirsync"), 0);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
	cr_assert_eq(replies(NULL), 1);
	gal_holds_the_requestor("Dovecot down before", 0);

	/*
	 * Dovecot stopped after the reply went, before the ReqTx is filed:
	 * the ReqTx is read again, its transactions are skipped, and the
	 * second reply says the same as the first, so the requestor's GAL
	 * gets everything once in effect.
	 */
	reqtx(3);
	paused_start(&p, env.conf, "mail-before-done:1:STOP", "sync dirsync");
	mailserver_stop_imap(&ms);
	o = paused_finish(&p);
	failed_naming(&o, imap, "Dovecot stopped mid-cycle");
	mailserver_start_imap(&ms);
	mail_flush(&ms);
	cr_assert_eq(mail_settle(&ms, 30000), 0);
	cr_assert_eq(mail_count(&ms, GW_USER, "INBOX"), 1);
	j0 = ldap_dump(&env, S1BASE);
	o = galgate(&env, "sync dirsync");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	j1 = ldap_dump(&env, S1BASE);
	cr_assert_str_eq(j1, j0, "the rerun applied the ReqTx twice");
	free(j0);
	free(j1);
	cr_assert_geq(events_count(&env, 3322, NULL), 1);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
	cr_assert_eq(mail_count(&ms, RQ_USER, "INBOX"), 2);
	t1 = NULL;
	{
		unsigned long *uid;
		size_t n;

		uid = mail_uids(&ms, RQ_USER, "INBOX", &n);
		cr_assert_eq(n, 2);
		t1 = mail_fetch(&ms, RQ_USER, "INBOX", uid[0]);
		free(uid);
		cr_assert_not_null(t1);
		j0 = strdup(strstr(t1, "[DIRSYNC-TRANSACTIONS]") != NULL ?
		    strstr(t1, "[DIRSYNC-TRANSACTIONS]") : "");
		free(t1);
	}
	t2 = NULL;
	cr_assert_eq(replies(&t2), 2);
	cr_assert_str_eq(t2, j0, "the second reply differs from the first");
	free(t2);
	free(j0);
	cr_assert_eq(mail_count(&ms, GW_USER, "INBOX"), 0);
	gal_holds_the_requestor("Dovecot stopped mid-cycle", 0);
}
