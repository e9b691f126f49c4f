/*
 * The dir-sync connector over the smtp+imap transport: a requestor's
 * ReqTx goes through a real Postfix to the gateway's Dovecot mailbox,
 * galgate reads it over IMAP and answers over SMTP (libcurl); the
 * administrator gets the copy and the forward (mailserver.c runs both).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "mailserver.h"

#define S1BASE	"cn=SEAPO1," BASE

static struct env env;
static struct mailserver ms;

static void
teardown(void)
{
	env_stop(&env);
	mailserver_stop(&ms);
}

static void
start(void)
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
	    "username = galgate-dirsync\nmail_password_file = %s\n"
	    "address = galgate-dirsync@contoso.example\n"
	    "admin_copy = postmaster@contoso.example\n"
	    "admin_forward = dirsync-admin@contoso.example\n\n"
	    "[requestor CONTOSO/SEAPO1]\nconnector = dirsync\n"
	    "password_file = @DIR@/seapo1.secret\ntypes = PCM\n"
	    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
	    "address = seapo1-dirsync@contoso.example\n", ms.smtp_port,
	    ms.imap_port, ms.password_file);
	env_start(&env, conf, NULL);
	free(env_file(&env, "seapo1.secret", "s3cret-one\n"));
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
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

static void
reqtx(const char *subject, const char *body)
{
	char raw[4096];

	snprintf(raw, sizeof(raw), "From: CONTOSO/SEAPO1/$SYSTEM "
	    "<seapo1-dirsync@contoso.example>\r\nTo: CONTOSO/GALGATE/$SYSTEM "
	    "<galgate-dirsync@contoso.example>\r\nSubject: %s\r\n\r\n"
	    "[DIRSYNC]\r\nTASK=UPDATE\r\nREQNAME=PCM:CONTOSO/SEAPO1\r\n"
	    "PASSWORD=s3cret-one\r\n%s", subject, body);
	cr_assert_eq(mail_smtp_send(&ms, "seapo1-dirsync@contoso.example",
	    "galgate-dirsync@contoso.example", raw), 0);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
}

/* The one reply in the requestor's inbox: its subject; it is filed away. */
static char *
reply_subject(char **whole)
{
	unsigned long *uid;
	size_t n;
	char *msg, *s, *e;

	uid = mail_uids(&ms, "seapo1-dirsync", "INBOX", &n);
	cr_assert_eq(n, 1, "%zu messages for SEAPO1", n);
	msg = mail_fetch(&ms, "seapo1-dirsync", "INBOX", uid[0]);
	cr_assert_not_null(msg);
	cr_assert_eq(mail_move(&ms, "seapo1-dirsync", "INBOX", uid[0], "read"),
	    0);
	free(uid);
	s = strstr(msg, "\nSubject: ");
	cr_assert_not_null(s);
	s += 10;
	e = strpbrk(s, "\r\n");
	s = strndup(s, (size_t)(e - s));
	if (whole != NULL)
		*whole = msg;
	else
		free(msg);
	return s;
}

Test(pcmail_smtp, reqtx_and_srvtx_travel_by_smtp_and_imap, .fini = teardown,
    .timeout = 180)
{
	struct out o;
	char *subj, *msg;

	start();
	cr_assert_eq(ldap_apply(&env, "dn: cn=SBrady," RCPT "\nchangetype: "
	    "add\nobjectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: SBrady\nsn: Brady\ndisplayName: Brady, Sally\n"
	    "mailNickname: SBrady\n"), 0);
	reqtx("ReqTx R=2 (was 0), S=0, I=1 2 sent", "REQSEQ=2\r\nSRVSEQ=0\r\n"
	    "IMPSEQ=1\r\n[DIRSYNC-TRANSACTIONS]\r\n"
	    "0000000001 A Smith, Jimmy                   "
	    "PCM:CONTOSO/SEAPO1/JSMITH\r\n"
	    "0000000002 A Jones, Ann                     "
	    "PCM:CONTOSO/SEAPO1/AJONES\r\n");
	o = galgate(&env, "sync dirsync");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
	/* 5 containers, Brady (6), its 2 adds (7, 8): R GALGATE and Brady */
	subj = reply_subject(&msg);
	cr_assert_str_eq(subj, "SrvTx R=2 S=8 (was 0), I=1 2 sent");
	cr_assert(strstr(msg, "\r\n0000000008 R PCM:CONTOSO/GALGATE\r\n"
	    "0000000006 A Brady, Sally                   "
	    "PCM:CONTOSO/GALGATE/SBRADY\r\n") != NULL, "%s", msg);
	free(msg);
	free(subj);
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 2);
	/* read over IMAP, filed in "processed"; copies kept in "sent" */
	cr_assert_eq(mail_count(&ms, "galgate-dirsync", "INBOX"), 0);
	cr_assert_eq(mail_count(&ms, "galgate-dirsync", "processed"), 1);
	cr_assert_geq(mail_count(&ms, "galgate-dirsync", "sent"), 2);
	/* the administrator's copy of the reply and the forwarded ReqTx */
	cr_assert_eq(mail_count(&ms, "postmaster", "INBOX"), 1);
	cr_assert_eq(mail_count(&ms, "dirsync-admin", "INBOX"), 1);

	/* the next T1: a delete, and the reply acknowledges R=3 */
	reqtx("ReqTx R=3 (was 2), S=8, I=1 1 sent", "REQSEQ=3\r\nSRVSEQ=8\r\n"
	    "IMPSEQ=1\r\n[DIRSYNC-TRANSACTIONS]\r\n"
	    "0000000003 D Jones, Ann                     "
	    "PCM:CONTOSO/SEAPO1/AJONES\r\n");
	o = galgate(&env, "sync dirsync");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
	subj = reply_subject(NULL);
	/* its own delete (9) is not sent back */
	cr_assert_str_eq(subj, "SrvTx R=3 S=9 (was 8), I=1 0 sent");
	free(subj);
	cr_assert_eq(ldap_count(S1BASE, "(objectClass=inetOrgPerson)"), 1);
	cr_assert_eq(mail_count(&ms, "galgate-dirsync", "processed"), 2);
}
