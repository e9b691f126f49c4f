/*
 * The InterOrg connector end to end: a master organization and requestor
 * organizations, each its own private slapd and galgate.conf, exchanging
 * IOSYNC-1 messages through a real Postfix (SMTP) delivering to a real
 * Dovecot (IMAP), both started on loopback by mailserver.c; and through
 * Maildirs on one host.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "harness.h"
#include "iosync.h"
#include "mailserver.h"

#define HQ_RCPT		"cn=Recipients,ou=NYC,o=HQ," SUFFIX
#define HQ_B1		"cn=Branch,ou=NYC,o=HQ," SUFFIX
#define HQ_B2		"cn=Branch2,ou=NYC,o=HQ," SUFFIX
#define B1_RCPT		"cn=Recipients,ou=SEATTLE,o=BRANCH," SUFFIX
#define B1_IMP		"cn=InterOrg,ou=SEATTLE,o=BRANCH," SUFFIX
#define B2_RCPT		"cn=Recipients,ou=PARIS,o=BRANCH2," SUFFIX
#define B2_IMP		"cn=InterOrg,ou=PARIS,o=BRANCH2," SUFFIX

#define MASTER		"master@hq.example.com"
#define REQ1		"requestor@branch.example.com"
#define REQ2		"requestor2@branch2.example.com"
#define SECRET1		"branch-shared-secret-0123456789"
#define SECRET2		"branch2-shared-secret-9876543210"

struct org {
	struct env	 env;
	const char	*con;		/* its connector */
};

static struct mailserver ms;
static struct org hq, b1, b2;
static char secrets[64];

static void
teardown(void)
{
	struct org *all[3] = { &hq, &b1, &b2 };
	char cmd[1024];
	struct out o;
	size_t i;

	/* a slapd takes a second to stop: all of them at once */
	snprintf(cmd, sizeof(cmd), "true");
	for (i = 0; i < 3; i++)
		if (all[i]->env.dir[0] != '\0' && all[i]->env.started) {
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
			    " & " GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop "
			    "%s", all[i]->env.dir);
			all[i]->env.started = 0;
		}
	o = run("%s; wait", cmd);
	out_free(&o);
	env_stop(&hq.env);
	env_stop(&b1.env);
	env_stop(&b2.env);
	mailserver_stop(&ms);
	if (secrets[0] != '\0') {
		o = run("rm -rf %s", secrets);
		out_free(&o);
		secrets[0] = '\0';
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

static void
write_secret(const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", secrets, name);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "%s\n", text);
	fclose(fp);
	chmod(path, 0600);
}

static void
make_secrets(void)
{
	strcpy(secrets, "/tmp/gg-sXXXXXX");
	cr_assert_not_null(mkdtemp(secrets));
	write_secret("b1.secret", SECRET1);
	write_secret("b2.secret", SECRET2);
	write_secret("wrong.secret", "not-the-shared-secret");
}

/* A private slapd and galgate.conf for one organization ("@DIR@" works). */
static void
org_start(struct org *o, const char *org, const char *site, const char *con,
    const char *extra)
{
	char *conf, *p;
	const char *s;
	struct out r;
	size_t len;

	memset(o, 0, sizeof(*o));
	o->con = con;
	strcpy(o->env.dir, "/tmp/gg-XXXXXX");
	cr_assert_not_null(mkdtemp(o->env.dir));
	conf = fmt("[gal]\nsuffix = " SUFFIX "\norganization = %s\nsite = %s\n"
	    "state_dir = %s\n\n", org, site, o->env.dir);
	for (s = extra; *s != '\0'; s++) {
		if (strncmp(s, "@DIR@", 5) == 0) {
			p = fmt("%s%s", conf, o->env.dir);
			s += 4;
		} else
			p = fmt("%s%c", conf, *s);
		free(conf);
		conf = p;
	}
	free(env_file(&o->env, "galgate.conf", conf));
	free(conf);
	snprintf(o->env.conf, sizeof(o->env.conf), "%s/galgate.conf",
	    o->env.dir);
	r = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd start %s --conf %s",
	    o->env.dir, o->env.conf);
	cr_assert_eq(r.status, 0, "slapd did not start: %s", r.text);
	len = strcspn(r.text, "\n");
	memcpy(o->env.uri, r.text, len);
	o->env.uri[len] = '\0';
	o->env.started = 1;
	out_free(&r);
	r = galgate(&o->env, "init");
	cr_assert_eq(r.status, 0, "init: %s", r.text);
	out_free(&r);
}

/* The transport keys of a user of the test mail servers. */
static char *
transport(const char *user)
{
	return fmt("transport = smtp+imap\nmail_tls = none\n"
	    "smtp_url = smtp://127.0.0.1:%d\nimap_url = imap://127.0.0.1:%d/INBOX\n"
	    "username = %s\nmail_password_file = %s\n", ms.smtp_port,
	    ms.imap_port, user, ms.password_file);
}

static void
start_hq(const char *more)
{
	char *t = transport("master"), *c;

	c = fmt("[connector io-master]\ntype = interorg\nrole = master\n"
	    "address = " MASTER "\nexport_container = /o=HQ/ou=NYC/cn=Recipients\n"
	    "%s%s\n"
	    "[requestor " REQ1 "]\nconnector = io-master\n"
	    "secret_file = %s/b1.secret\n"
	    "import_container = /o=HQ/ou=NYC/cn=Branch\n\n"
	    "[requestor " REQ2 "]\nconnector = io-master\n"
	    "secret_file = %s/b2.secret\n"
	    "import_container = /o=HQ/ou=NYC/cn=Branch2\n", t, more,
	    secrets, secrets);
	org_start(&hq, "HQ", "NYC", "io-master", c);
	free(c);
	free(t);
}

static void
start_b1(const char *more)
{
	char *t = transport("requestor"), *c;

	c = fmt("[connector io-branch]\ntype = interorg\nrole = requestor\n"
	    "address = " REQ1 "\nmaster_address = " MASTER "\n"
	    "secret_file = %s/b1.secret\n"
	    "export_container = /o=BRANCH/ou=SEATTLE/cn=Recipients\n"
	    "import_container = /o=BRANCH/ou=SEATTLE/cn=InterOrg\n%s%s",
	    secrets, t, more);
	org_start(&b1, "BRANCH", "SEATTLE", "io-branch", c);
	free(c);
	free(t);
}

static void
start_b2(void)
{
	char *t = transport("requestor2"), *c;

	c = fmt("[connector io-branch2]\ntype = interorg\nrole = requestor\n"
	    "address = " REQ2 "\nmaster_address = " MASTER "\n"
	    "secret_file = %s/b2.secret\n"
	    "export_container = /o=BRANCH2/ou=PARIS/cn=Recipients\n"
	    "import_container = /o=BRANCH2/ou=PARIS/cn=InterOrg\n%s",
	    secrets, t);
	org_start(&b2, "BRANCH2", "PARIS", "io-branch2", c);
	free(c);
	free(t);
}

/* One cycle of an organization's connector; its exit status. */
static int
sync_st(struct org *o, const char *opts)
{
	struct out r = galgate(&o->env, "sync %s %s", opts, o->con);
	int st = r.status;

	if (st != 0)
		cr_log_info("%s: exit %d: %s", o->con, st, r.text);
	out_free(&r);
	return st;
}

static void
sync_ok(struct org *o)
{
	struct out r = galgate(&o->env, "sync %s", o->con);

	/* the output in the message: a failure must say why */
	cr_assert_eq(r.status, 0, "%s failed, exit %d: %s", o->con, r.status,
	    r.text);
	out_free(&r);
}

static void
settle(void)
{
	if (ms.dir[0] != '\0')
		cr_assert_eq(mail_settle(&ms, 60000), 0, "Postfix did not "
		    "deliver in time");
}

/* Requestors send, the master answers, the requestors apply. */
static void
round_trip(struct org *r1, struct org *r2)
{
	sync_ok(r1);
	if (r2 != NULL)
		sync_ok(r2);
	settle();
	sync_ok(&hq);
	settle();
	sync_ok(r1);
	if (r2 != NULL)
		sync_ok(r2);
}

static size_t
ldap_count(struct org *o, const char *base, const char *filter)
{
	struct out r = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b '%s' "
	    "'%s' 1.1", o->env.uri, base, filter);
	size_t n = count_of(r.text, "dn:");

	out_free(&r);
	return n;
}

/* The entry's attributes as LDIF text (caller frees), "" if absent. */
static char *
ldap_entry(struct org *o, const char *dn)
{
	struct out r = run("ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL "
	    "-H '%s' -s base -b '%s'", o->env.uri, dn);

	return r.text;
}

static void
ldif(struct org *o, const char *fmt_, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
ldif(struct org *o, const char *fmt_, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt_);
	cr_assert(vasprintf(&s, fmt_, ap) != -1);
	va_end(ap);
	cr_assert_eq(ldap_apply(&o->env, s), 0, "%s", s);
	free(s);
}

static void
add_user(struct org *o, const char *container, const char *cn,
    const char *mail, const char *display, const char *more)
{
	ldif(o, "dn: cn=%s,%s\nchangetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: %s\nsn: %s\n"
	    "displayName: %s\n%s%s%s%s", cn, container, cn, cn, display,
	    mail != NULL ? "mail: " : "", mail != NULL ? mail : "",
	    mail != NULL ? "\n" : "", more != NULL ? more : "");
}

static size_t
journal_length(struct org *o)
{
	struct out r = galgate(&o->env, "journal --json");
	size_t n = count_of(r.text, "\"usn\"");

	out_free(&r);
	return n;
}

/* Events of an organization with that ID (and text, if not NULL). */
static size_t
events(struct org *o, int id, const char *text)
{
	char path[160], needle[32], line[8192];
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/events.jsonl", o->env.dir);
	snprintf(needle, sizeof(needle), "\"event_id\":%d,", id);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, needle) != NULL && (text == NULL ||
		    strstr(line, text) != NULL))
			n++;
	fclose(fp);
	return n;
}

static int
has(const char *text, const char *needle)
{
	return strstr(text, needle) != NULL;
}

/* ---- the tests ---- */

Test(interorg, users_changes_and_deletions_reach_every_organization,
    .fini = teardown)
{
	char *e;
	size_t j1, j2, j3;

	make_secrets();
	mailserver_start(&ms, "hq.example.com branch.example.com "
	    "branch2.example.com");
	start_hq("");
	start_b1("");
	start_b2();
	add_user(&hq, HQ_RCPT, "asmith", "alice.smith@hq.example.com",
	    "Smith, Alice", "title: Director\ntelephoneNumber: +1 212 555 0100\n");
	add_user(&b1, B1_RCPT, "JSmith", "jimmy.smith@branch.example.com",
	    "Smith, Jimmy", "title: Account Manager\nou: Sales\no: Branch Corp\n"
	    "galgateAssistant: Jones, Ann\nstreet: 1 Main St\nc: US\n");
	add_user(&b2, B2_RCPT, "PDupont", "pierre.dupont@branch2.example.com",
	    "Dupont, Pierre", "l: Paris\n");

	round_trip(&b1, &b2);
	/* each organization's user is in the others' import containers */
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=jimmy.smith@branch.example.com)"),
	    1);
	cr_assert_eq(ldap_count(&hq, HQ_B2,
	    "(mail=pierre.dupont@branch2.example.com)"), 1);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=alice.smith@hq.example.com)"),
	    1);
	cr_assert_eq(ldap_count(&b1, B1_IMP,
	    "(mail=pierre.dupont@branch2.example.com)"), 1);
	cr_assert_eq(ldap_count(&b2, B2_IMP, "(mail=alice.smith@hq.example.com)"),
	    1);
	cr_assert_eq(ldap_count(&b2, B2_IMP,
	    "(mail=jimmy.smith@branch.example.com)"), 1);
	/* nothing came back to where it came from */
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=*@branch.example.com)"), 0);
	cr_assert_eq(ldap_count(&b2, B2_IMP, "(mail=*@branch2.example.com)"), 0);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*@hq.example.com)"), 0);
	/* the General-page attributes travelled, mapped as the table says */
	e = ldap_entry(&b2, "cn=jimmy.smith@branch.example.com," B2_IMP);
	cr_assert(has(e, "title: Account Manager") && has(e, "ou: Sales") &&
	    has(e, "o: Branch Corp") && has(e, "galgateAssistant: Jones, Ann") &&
	    has(e, "street: 1 Main St") && has(e, "c: US") &&
	    has(e, "displayName: Smith, Jimmy") &&
	    has(e, "galgateProxyAddress: SMTP:jimmy.smith@branch.example.com") &&
	    has(e, "galgateRecipientType: mailbox") &&
	    has(e, "galgateConnector: io-branch2"), "%s", e);
	/*
	 * what a mail client shows first is the name, not the address; the
	 * given name first too, for Thunderbird, which searches cn, not
	 * givenName
	 */
	cr_assert_not_null(strstr(e, "\ncn: "), "%s", e);
	cr_assert(strncmp(strstr(e, "\ncn: "), "\ncn: Smith, Jimmy\n", 18) ==
	    0, "the first cn is not the display name: %s", e);
	cr_assert(has(e, "\ncn: Jimmy ") && has(e, "givenName: Jimmy") &&
	    has(e, "cn: jimmy.smith@branch.example.com"), "%s", e);
	free(e);

	/* a modify and a delete go round too */
	ldif(&b1, "dn: cn=JSmith," B1_RCPT "\nchangetype: modify\n"
	    "replace: title\ntitle: Sales Director\n-\ndelete: street\n");
	ldif(&hq, "dn: cn=asmith," HQ_RCPT "\nchangetype: modify\n"
	    "replace: telephoneNumber\ntelephoneNumber: +1 212 555 0199\n");
	ldif(&b2, "dn: cn=PDupont," B2_RCPT "\nchangetype: delete\n");
	round_trip(&b1, &b2);
	e = ldap_entry(&b2, "cn=jimmy.smith@branch.example.com," B2_IMP);
	cr_assert(has(e, "title: Sales Director") && !has(e, "street:"), "%s",
	    e);
	free(e);
	e = ldap_entry(&hq, "cn=jimmy.smith@branch.example.com," HQ_B1);
	cr_assert(has(e, "title: Sales Director") && !has(e, "street:"), "%s",
	    e);
	free(e);
	e = ldap_entry(&b1, "cn=alice.smith@hq.example.com," B1_IMP);
	cr_assert(has(e, "telephoneNumber: +1 212 555 0199"), "%s", e);
	free(e);
	cr_assert_eq(ldap_count(&hq, HQ_B2, "(mail=*)"), 0);
	cr_assert_eq(ldap_count(&b1, B1_IMP,
	    "(mail=pierre.dupont@branch2.example.com)"), 0);

	/* a new primary address renames the entry everywhere */
	ldif(&b1, "dn: cn=JSmith," B1_RCPT "\nchangetype: modify\n"
	    "replace: mail\nmail: jim.smith@branch.example.com\n");
	round_trip(&b1, &b2);
	cr_assert_eq(ldap_count(&b2, B2_IMP, "(mail=*@branch.example.com)"), 1);
	cr_assert_eq(ldap_count(&b2, B2_IMP, "(mail=jim.smith@branch.example.com)"),
	    1);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(cn=jim.smith@branch.example.com)"),
	    1);
	/* renamed, not replaced: mail to its former X.500 DN still gets there */
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(&(cn=jim.smith@branch.example.com)"
	    "(galgateProxyAddress=X500:/o=HQ/ou=NYC/cn=Branch/"
	    "cn=jimmy.smith@branch.example.com))"), 1);
	cr_assert_eq(ldap_count(&b2, B2_IMP, "(galgateProxyAddress=X500:"
	    "/o=BRANCH2/ou=PARIS/cn=InterOrg/cn=jimmy.smith@branch.example.com)"),
	    1);

	/* converged: another round writes nothing anywhere, echoes nothing */
	round_trip(&b1, &b2);
	j1 = journal_length(&hq);
	j2 = journal_length(&b1);
	j3 = journal_length(&b2);
	round_trip(&b1, &b2);
	cr_assert_eq(journal_length(&hq), j1, "the master's GAL changed");
	cr_assert_eq(journal_length(&b1), j2, "a requestor's GAL changed");
	cr_assert_eq(journal_length(&b2), j3, "a requestor's GAL changed");
	/* handled mail is kept, not destroyed, and so are sent copies */
	settle();
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 2);
	cr_assert_geq(mail_count(&ms, "master", "processed"), 10);
	cr_assert_geq(mail_count(&ms, "master", "sent"), 10);
	cr_assert_geq(mail_count(&ms, "requestor", "sent"), 5);
	cr_assert_eq(events(&hq, 4003, NULL) + events(&hq, 4004, NULL) +
	    events(&hq, 4005, NULL), 0);
}

Test(interorg, trust_append_rewrite_types_and_domains_shape_what_arrives,
    .fini = teardown)
{
	char *e;

	make_secrets();
	mailserver_start(&ms, "hq.example.com branch.example.com "
	    "branch2.example.com");
	start_hq("");
	start_b1("trust_level = 3\nappend_display_name = (Branch)\n"
	    "smtp_domain_rewrite = branch.example.com\n"
	    "import_domains = hq.example.com\n"
	    "export_container = /o=BRANCH/ou=SEATTLE/cn=Lists types=dl\n");
	add_user(&b1, B1_RCPT, "t0", "t0@corp.branch.example.com", "Zero, T",
	    NULL);
	add_user(&b1, B1_RCPT, "t3", "t3@corp.branch.example.com", "Three, T",
	    "galgateTrustLevel: 3\n");
	add_user(&b1, B1_RCPT, "t5", "t5@corp.branch.example.com", "Five, T",
	    "galgateTrustLevel: 5\n");
	add_user(&b1, B1_RCPT, "hid", "hid@corp.branch.example.com", "Hidden, H",
	    "galgateHidden: TRUE\n");
	add_user(&b1, "cn=Lists,ou=SEATTLE,o=BRANCH," SUFFIX, "mbx",
	    "mbx@corp.branch.example.com", "Mailbox In Lists", NULL);
	ldif(&b1, "dn: cn=sales,cn=Lists,ou=SEATTLE,o=BRANCH," SUFFIX "\n"
	    "changetype: add\nobjectClass: groupOfNames\n"
	    "objectClass: galgateRecipient\ncn: sales\ndisplayName: Sales\n"
	    "member: cn=t0," B1_RCPT "\nmail: sales@corp.branch.example.com\n");
	add_user(&hq, HQ_RCPT, "asmith", "alice.smith@hq.example.com",
	    "Smith, Alice", NULL);
	add_user(&hq, HQ_RCPT, "zed", "zed@other.example.org", "Zed, Z", NULL);

	round_trip(&b1, NULL);
	/* trust level at or below 3, not hidden, the types asked for */
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*)"), 3);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=t0@branch.example.com)"), 1);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=t3@branch.example.com)"), 1);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=sales@branch.example.com)"),
	    1);
	/* the domain rewritten, the display name appended to */
	e = ldap_entry(&hq, "cn=t0@branch.example.com," HQ_B1);
	cr_assert(has(e, "displayName: Zero, T (Branch)"), "%s", e);
	free(e);
	e = ldap_entry(&hq, "cn=sales@branch.example.com," HQ_B1);
	cr_assert(has(e, "galgateRecipientType: dl"), "%s", e);
	free(e);
	/* only the domains it imports */
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=*)"), 1);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=alice.smith@hq.example.com)"),
	    1);
	cr_assert_eq(events(&b1, 4013, "1 entries outside import_domains"), 1);

	/* above the trust level now: it leaves the master */
	ldif(&b1, "dn: cn=t3," B1_RCPT "\nchangetype: modify\n"
	    "replace: galgateTrustLevel\ngalgateTrustLevel: 9\n");
	ldif(&b1, "dn: cn=hid," B1_RCPT "\nchangetype: modify\n"
	    "delete: galgateHidden\n");
	round_trip(&b1, NULL);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=t3@branch.example.com)"), 0);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=hid@branch.example.com)"), 1);
}

/* The parts of the master's INBOX, by part number: uids[k-1]. */
static size_t
parts_in_inbox(unsigned long *uids, size_t max)
{
	unsigned long *all;
	size_t n, i, got = 0;
	char *m, *p;
	unsigned k, of;

	all = mail_uids(&ms, "master", "INBOX", &n);
	for (i = 0; i < n; i++) {
		m = mail_fetch(&ms, "master", "INBOX", all[i]);
		cr_assert_not_null(m);
		p = strstr(m, " part=");
		cr_assert_not_null(p, "%s", m);
		cr_assert_eq(sscanf(p, " part=%u/%u", &k, &of), 2);
		if (k >= 1 && k <= max) {
			uids[k - 1] = all[i];
			got++;
		}
		free(m);
	}
	free(all);
	return got;
}

Test(interorg, a_batch_in_parts_is_applied_only_when_every_part_is_here,
    .fini = teardown)
{
	unsigned long uid[16], held1, held2;
	size_t nparts, i, n;
	char cn[32], mail[64], more[256];

	make_secrets();
	mailserver_start(&ms, "hq.example.com branch.example.com "
	    "branch2.example.com");
	start_hq("");
	start_b1("max_message_size = 2K\n");
	for (i = 0; i < 14; i++) {
		snprintf(cn, sizeof(cn), "user%02zu", i);
		snprintf(mail, sizeof(mail), "user%02zu@branch.example.com", i);
		snprintf(more, sizeof(more), "title: Senior Account Manager "
		    "for the Pacific Northwest Region %zu\nstreet: %zu Long "
		    "Street Name Boulevard\n", i, i);
		add_user(&b1, B1_RCPT, cn, mail, cn, more);
	}
	sync_ok(&b1);
	settle();
	n = (size_t)mail_count(&ms, "master", "INBOX");
	cr_assert_geq(n, 3, "only %zu parts", n);
	memset(uid, 0, sizeof(uid));
	nparts = parts_in_inbox(uid, 16);
	cr_assert_eq(nparts, n);
	/* parts 1 and 2 are held back; the rest is there */
	held1 = uid[0];
	held2 = uid[1];
	cr_assert_eq(mail_move(&ms, "master", "INBOX", held1, "hold"), 0);
	cr_assert_eq(mail_move(&ms, "master", "INBOX", held2, "hold"), 0);
	sync_ok(&hq);
	settle();
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*)"), 0);
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), (int)n - 2);
	cr_assert_eq(mail_count(&ms, "requestor", "INBOX"), 0, "a reply went");
	cr_assert_geq(events(&hq, 4009, NULL), 1);
	/* part 2 arrives: still one missing */
	{
		unsigned long *h;
		size_t hn;

		h = mail_uids(&ms, "master", "hold", &hn);
		cr_assert_eq(hn, 2);
		/* in the hold folder part 1 came first */
		cr_assert_eq(mail_move(&ms, "master", "hold", h[1], "INBOX"), 0);
		sync_ok(&hq);
		cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*)"), 0);
		cr_assert_eq(mail_count(&ms, "master", "INBOX"), (int)n - 1);
		/* part 1 arrives last of all */
		cr_assert_eq(mail_move(&ms, "master", "hold", h[0], "INBOX"), 0);
		free(h);
	}
	sync_ok(&hq);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*)"), 14);
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 0);
	cr_assert_eq(mail_count(&ms, "master", "processed"), (int)n);
	settle();
	/* the reply acknowledges the whole batch */
	sync_ok(&b1);
	settle();
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 1);
	{
		unsigned long *u;
		size_t un;
		char *m;

		u = mail_uids(&ms, "master", "INBOX", &un);
		cr_assert_eq(un, 1);
		m = mail_fetch(&ms, "master", "INBOX", u[0]);
		cr_assert(has(m, "FULL=NO") && !has(m, "op: "), "%s", m);
		free(m);
		free(u);
	}
}

Test(interorg, import_all_and_export_all_resend_everything, .fini = teardown)
{
	struct out r;

	make_secrets();
	mailserver_start(&ms, "hq.example.com branch.example.com "
	    "branch2.example.com");
	start_hq("");
	start_b1("");
	add_user(&hq, HQ_RCPT, "asmith", "alice.smith@hq.example.com",
	    "Smith, Alice", NULL);
	add_user(&hq, HQ_RCPT, "bwong", "bob.wong@hq.example.com", "Wong, Bob",
	    NULL);
	add_user(&b1, B1_RCPT, "JSmith", "jimmy.smith@branch.example.com",
	    "Smith, Jimmy", NULL);
	add_user(&b1, B1_RCPT, "AJones", "ann.jones@branch.example.com",
	    "Jones, Ann", NULL);
	round_trip(&b1, NULL);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=*)"), 2);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*)"), 2);

	/* entries lost on either side, and a stray one at the master */
	ldif(&b1, "dn: cn=alice.smith@hq.example.com," B1_IMP "\n"
	    "changetype: delete\n");
	ldif(&hq, "dn: cn=ann.jones@branch.example.com," HQ_B1 "\n"
	    "changetype: delete\n");
	ldif(&hq, "dn: cn=stray@branch.example.com," HQ_B1 "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: stray@branch.example.com\nsn: Stray\n"
	    "mail: stray@branch.example.com\ngalgateConnector: io-master\n"
	    "galgateForeignKey: stray@branch.example.com\n");
	round_trip(&b1, NULL);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=*)"), 1);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*)"), 2);

	r = galgate(&b1.env, "reset io-branch --import-all");
	cr_assert_eq(r.status, 0, "%s", r.text);
	out_free(&r);
	round_trip(&b1, NULL);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=alice.smith@hq.example.com)"),
	    1);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=*)"), 2);
	cr_assert_geq(events(&b1, 4011, "applied full batch"), 2);

	r = galgate(&b1.env, "reset io-branch --export-all");
	cr_assert_eq(r.status, 0, "%s", r.text);
	out_free(&r);
	round_trip(&b1, NULL);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=ann.jones@branch.example.com)"),
	    1);
	/* a full export replaces: what the requestor lacks goes */
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=stray@branch.example.com)"), 0);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*)"), 2);
	/* and the full export is over once acknowledged */
	round_trip(&b1, NULL);
	r = galgate(&b1.env, "status");
	cr_assert(has(r.text, "export_full = 0"), "%s", r.text);
	out_free(&r);

	/* the master's buttons: everything to the requestor again */
	ldif(&b1, "dn: cn=bob.wong@hq.example.com," B1_IMP "\n"
	    "changetype: delete\n");
	r = galgate(&hq.env, "reset io-master --export-all --requestor " REQ1);
	cr_assert_eq(r.status, 0, "%s", r.text);
	out_free(&r);
	round_trip(&b1, NULL);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=bob.wong@hq.example.com)"),
	    1);
	/* and everything from it: the reply asks for a full export */
	ldif(&hq, "dn: cn=jimmy.smith@branch.example.com," HQ_B1 "\n"
	    "changetype: delete\n");
	r = galgate(&hq.env, "reset io-master --import-all --requestor " REQ1);
	cr_assert_eq(r.status, 0, "%s", r.text);
	out_free(&r);
	round_trip(&b1, NULL);
	settle();
	sync_ok(&hq);
	cr_assert_eq(ldap_count(&hq, HQ_B1,
	    "(mail=jimmy.smith@branch.example.com)"), 1);
	r = galgate(&hq.env, "status");
	cr_assert(has(r.text, "want_reload:" REQ1 " = 0"), "%s", r.text);
	out_free(&r);
	r = galgate(&hq.env, "reset io-master --import-all --requestor "
	    "nobody@example.com");
	cr_assert_eq(r.status, 2, "%s", r.text);
	out_free(&r);
}

/* An IOSYNC-1 message as a requestor would write it, MAC under secret. */
static char *
crafted(const char *from, const char *secret, int with_mac,
    const struct io_entry *ent, size_t n)
{
	struct io_header h;
	unsigned char mac[IO_MAC_LEN];
	char **bodies, *subject, *machdr, *msg;
	size_t *lens, np;

	memset(&h, 0, sizeof(h));
	h.role = IO_ROLE_REQUESTOR;
	h.org = (char *)"BRANCH";
	h.musn = 0;
	h.rusn = 1000;
	h.batch = (char *)"c0ffee01";
	cr_assert_eq(iosync_write_parts(&h, ent, n, 0, 0, 1 << 20, &bodies,
	    &lens, &np), 0);
	cr_assert_eq(np, 1);
	h.part = h.nparts = 1;
	subject = iosync_subject(&h);
	iosync_mac(secret, strlen(secret), subject, bodies[0], lens[0], mac);
	machdr = iosync_mac_header(mac);
	msg = fmt("From: %s\r\nTo: " MASTER "\r\nSubject: %s\r\n"
	    "Message-ID: <%s.%d@test>\r\n%s%s%s\r\n%s", from, subject,
	    with_mac ? "mac" : "nomac", (int)getpid(), with_mac ?
	    "IOSync-MAC: " : "", with_mac ? machdr : "", with_mac ? "\r\n" : "",
	    bodies[0]);
	free(bodies[0]);
	free(bodies);
	free(lens);
	free(subject);
	free(machdr);
	return msg;
}

static void
entry(struct io_entry *e, uint64_t usn, const char *key, const char *display)
{
	io_entry_init(e);
	e->op = IO_OP_ADD;
	e->usn = usn;
	e->key = key != NULL ? strdup(key) : NULL;
	e->cls = strdup("mailbox");
	e->dn = fmt("/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=%s", display);
	gw_record_add_str(&e->attrs, "displayName", display);
}

Test(interorg, unlisted_senders_and_wrong_macs_are_refused, .fini = teardown)
{
	struct io_entry ent[2];
	char *m;

	make_secrets();
	mailserver_start(&ms, "hq.example.com branch.example.com "
	    "branch2.example.com");
	start_hq("");
	entry(&ent[0], 900, "forged@branch.example.com", "Forged");
	/* a country LDAP cannot hold (c is two letters) */
	gw_record_add_str(&ent[0].attrs, "c", "USA");
	gw_record_add_str(&ent[0].attrs, "l", "Zürich");
	entry(&ent[1], 901, NULL, "NOSMTP");
	/* the right MAC, but a sender the master does not know */
	m = crafted("evil@branch.example.com", SECRET1, 1, ent, 1);
	cr_assert_eq(mail_smtp_send(&ms, "evil@branch.example.com", MASTER, m),
	    0);
	free(m);
	/* a listed sender with a MAC under the wrong secret, or none */
	m = crafted(REQ1, "not-the-shared-secret", 1, ent, 1);
	cr_assert_eq(mail_smtp_send(&ms, REQ1, MASTER, m), 0);
	free(m);
	m = crafted(REQ1, SECRET1, 0, ent, 1);
	cr_assert_eq(mail_smtp_send(&ms, REQ1, MASTER, m), 0);
	free(m);
	settle();
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 3);
	sync_ok(&hq);
	settle();
	cr_assert_eq(events(&hq, 4003, "evil@branch.example.com"), 1);
	cr_assert_eq(events(&hq, 4004, NULL), 2);
	/* nothing applied, no reply, the messages kept aside */
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(objectClass=inetOrgPerson)"), 0);
	cr_assert_eq(mail_count(&ms, "requestor", "INBOX"), 0);
	cr_assert_eq(mail_count(&ms, "evil", "INBOX"), 0);
	cr_assert_eq(mail_count(&ms, "master", "sent"), 0);
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 0);
	cr_assert_eq(mail_count(&ms, "master", "processed"), 3);

	/* the same entries from the requestor with its MAC are applied */
	m = crafted(REQ1, SECRET1, 1, ent, 2);
	cr_assert_eq(mail_smtp_send(&ms, REQ1, MASTER, m), 0);
	free(m);
	settle();
	sync_ok(&hq);
	settle();
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=forged@branch.example.com)"),
	    1);
	m = ldap_entry(&hq, "cn=forged@branch.example.com," HQ_B1);
	cr_assert(has(m, "l:: WsO8cmljaA==") && !has(m, "\nc: "), "%s", m);
	free(m);
	cr_assert_eq(events(&hq, 4012, "'USA' is not a valid c"), 1);
	/* seed 000: the entry without an SMTP address is reported */
	cr_assert_eq(events(&hq, 4096, "Failed to find SMTP e-mail address"), 1);
	cr_assert_eq(events(&hq, 4096, "DisplayName=NOSMTP DirectoryName="
	    "NOSMTP@o@BRANCH@ou@SEATTLE@cn@Recipients@cn@NOSMTP ObjDistName="
	    "/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=NOSMTP"), 1);
	cr_assert_eq(mail_count(&ms, "requestor", "INBOX"), 1, "no reply");
	io_entry_release(&ent[0]);
	io_entry_release(&ent[1]);
}

Test(interorg, missing_and_duplicate_smtp_addresses_are_reported,
    .fini = teardown)
{
	make_secrets();
	mailserver_start(&ms, "hq.example.com branch.example.com "
	    "branch2.example.com");
	start_hq("");
	start_b1("");
	add_user(&hq, HQ_RCPT, "Custom", "custom@hq.example.com", "Custom", NULL);
	add_user(&b1, B1_RCPT, "NOSMTP", NULL, "NOSMTP", NULL);
	add_user(&b1, B1_RCPT, "Dup", "custom@hq.example.com", "Dup, Licate",
	    NULL);
	add_user(&b1, B1_RCPT, "ok1", "ok1@branch.example.com", "One, OK", NULL);
	add_user(&b1, B1_RCPT, "ok2", "ok2@branch.example.com", "Two, OK", NULL);
	/* Q250578: two entries of the requestor with one address */
	add_user(&b1, B1_RCPT, "dupone", "dup@branch.example.com", "Dup, One",
	    "title: First\ntelephoneNumber: +1 206 555 0101\n");
	add_user(&b1, B1_RCPT, "duptwo", "dup@branch.example.com", "Dup, Two",
	    "title: Second\n");
	round_trip(&b1, NULL);
	/* the rest of the batch arrived */
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=*)"), 3);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=ok1@branch.example.com)"), 1);
	cr_assert_eq(ldap_count(&hq, SUFFIX, "(mail=custom@hq.example.com)"), 1);
	/* no SMTP address: a warning where it was found, with its names */
	cr_assert_eq(events(&b1, 4096, "\"severity\":\"warning\""), 1);
	cr_assert_eq(events(&b1, 4096, "Failed to find SMTP e-mail address"), 1);
	cr_assert_eq(events(&b1, 4096, "DisplayName=NOSMTP DirectoryName="
	    "NOSMTP@o@BRANCH@ou@SEATTLE@cn@Recipients@cn@NOSMTP ObjDistName="
	    "/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=NOSMTP"), 1);
	/*
	 * the first holds the address and keeps its own data; the second is
	 * an error naming both entries and the address
	 */
	{
		char *e = ldap_entry(&hq, "cn=dup@branch.example.com," HQ_B1);

		cr_assert(has(e, "displayName: Dup, One\n") &&
		    has(e, "title: First\n") &&
		    has(e, "telephoneNumber: +1 206 555 0101\n") &&
		    has(e, "X500:/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=dupone\n")
		    && !has(e, "Second") && !has(e, "duptwo"), "%s", e);
		free(e);
	}
	cr_assert_eq(events(&hq, 4096, "held by another entry (Dup, One, "
	    "ObjDistName=/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=dupone, earlier "
	    "in this batch); not imported DisplayName=Dup, Two DirectoryName="
	    "duptwo@o@BRANCH@ou@SEATTLE@cn@Recipients@cn@duptwo ObjDistName="
	    "/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=duptwo "
	    "SMTP:dup@branch.example.com"), 1);
	/* a duplicate: an error naming the entry and the address */
	cr_assert_eq(events(&hq, 4096, "\"severity\":\"error\""), 2);
	cr_assert_eq(events(&hq, 4096, "DirectoryName=Dup@o@BRANCH@ou@SEATTLE@"
	    "cn@Recipients@cn@Dup ObjDistName=/o=BRANCH/ou=SEATTLE/cn=Recipients"
	    "/cn=Dup SMTP:custom@hq.example.com"), 1);
	/* the branch's GAL holds the address too: HQ's entry is refused there */
	cr_assert_eq(ldap_count(&hq, HQ_RCPT, "(mail=custom@hq.example.com)"), 1);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=custom@hq.example.com)"), 0);
	cr_assert_eq(events(&b1, 4096, "ObjDistName=/o=HQ/ou=NYC/cn=Recipients/"
	    "cn=Custom SMTP:custom@hq.example.com"), 1);

	/*
	 * the holder deleted at the requestor: the refused claimant, which
	 * its sender does not send again, comes in with its own data
	 */
	ldif(&b1, "dn: cn=dupone," B1_RCPT "\nchangetype: delete\n");
	round_trip(&b1, NULL);
	{
		char *e = ldap_entry(&hq, "cn=dup@branch.example.com," HQ_B1);

		cr_assert(has(e, "displayName: Dup, Two\n") &&
		    has(e, "title: Second\n") && !has(e, "telephoneNumber") &&
		    has(e, "X500:/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=duptwo\n"),
		    "%s", e);
		free(e);
	}
	cr_assert_eq(events(&hq, 4014, "Dup, Two (/o=BRANCH/ou=SEATTLE/"
	    "cn=Recipients/cn=duptwo) from requestor@branch.example.com: "
	    "SMTP:dup@branch.example.com, refused earlier because another "
	    "entry held it, is free now: imported"), 1);
	/* said once, when it was refused */
	cr_assert_eq(events(&hq, 4096, "DisplayName=Dup, Two"), 1);
}

/* The first message of a user's INBOX that holds needle (caller frees). */
static char *
inbox_with(const char *user, const char *needle)
{
	unsigned long *u;
	size_t n, i;
	char *m = NULL;

	u = mail_uids(&ms, user, "INBOX", &n);
	for (i = 0; i < n && m == NULL; i++) {
		m = mail_fetch(&ms, user, "INBOX", u[i]);
		if (m != NULL && !has(m, needle)) {
			free(m);
			m = NULL;
		}
	}
	free(u);
	cr_assert_not_null(m, "no message with %s", needle);
	return m;
}

Test(interorg, replays_and_killed_cycles_apply_nothing_twice,
    .fini = teardown)
{
	unsigned long *u;
	size_t n;
	struct out r;
	char *m;
	size_t j;

	make_secrets();
	mailserver_start(&ms, "hq.example.com branch.example.com "
	    "branch2.example.com");
	start_hq("");
	start_b1("");
	add_user(&b1, B1_RCPT, "u0", "u0@branch.example.com", "Zero, U", NULL);
	round_trip(&b1, NULL);

	/* a redelivered update changes nothing */
	add_user(&b1, B1_RCPT, "u1", "u1@branch.example.com", "One, U", NULL);
	sync_ok(&b1);
	settle();
	m = inbox_with("master", "u1@branch.example.com");
	sync_ok(&hq);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=u1@branch.example.com)"), 1);
	j = journal_length(&hq);
	cr_assert_eq(mail_append(&ms, "master", "INBOX", m), 0);
	free(m);
	sync_ok(&hq);
	cr_assert_eq(journal_length(&hq), j, "the replay wrote to the GAL");
	settle();
	sync_ok(&b1);

	/* the requestor killed after sending: the next cycle resends */
	add_user(&b1, B1_RCPT, "u2", "u2@branch.example.com", "Two, U", NULL);
	/* (the braces keep the shell's "Killed" out of the test output) */
	r = run("{ GALGATE_FAILPOINT=interorg-after-send:1 %s -c %s sync io-branch; } "
	    "2>/dev/null", GALGATE_BINARY, b1.env.conf);
	cr_assert_neq(r.status, 0, "the fault did not fire: %s", r.text);
	out_free(&r);
	settle();
	sync_ok(&b1);
	settle();
	u = mail_uids(&ms, "master", "INBOX", &n);
	free(u);
	cr_assert_eq(n, 3, "%zu messages", n);	/* the reply, then two */
	j = journal_length(&hq);
	sync_ok(&hq);
	r = galgate(&hq.env, "journal");
	cr_assert_eq(count_of(r.text, "cn=u2@branch.example.com,"), 1, "%s",
	    r.text);
	out_free(&r);
	cr_assert_eq(journal_length(&hq), j + 1);
	settle();
	sync_ok(&b1);

	/* the master killed after writing, before its watermark moved */
	add_user(&b1, B1_RCPT, "u3", "u3@branch.example.com", "Three, U", NULL);
	ldif(&b1, "dn: cn=u0," B1_RCPT "\nchangetype: modify\n"
	    "replace: title\ntitle: Changed Once\n");
	sync_ok(&b1);
	settle();
	r = run("{ GALGATE_FAILPOINT=interorg-master-after-apply:1 %s -c %s sync "
	    "io-master; } 2>/dev/null", GALGATE_BINARY, hq.env.conf);
	cr_assert_neq(r.status, 0, "the fault did not fire: %s", r.text);
	out_free(&r);
	cr_assert_eq(ldap_count(&hq, HQ_B1, "(mail=u3@branch.example.com)"), 1);
	/*
	 * Both messages wait: the requestor's last (empty) batch, applied
	 * before the kill, is done only once the master has answered it
	 */
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 2);
	sync_ok(&hq);
	cr_assert_eq(mail_count(&ms, "master", "INBOX"), 0);
	r = galgate(&hq.env, "journal");
	cr_assert_eq(count_of(r.text, "cn=u3@branch.example.com,"), 1, "%s",
	    r.text);
	cr_assert_eq(count_of(r.text, "cn=u0@branch.example.com,"), 2, "%s",
	    r.text);
	out_free(&r);
}

/* ---- one host, Maildirs ---- */

Test(interorg_local, a_requestor_in_the_master_organization_works,
    .fini = teardown)
{
	struct out r;
	size_t j;
	char *c;
	int i;

	make_secrets();
	c = fmt("[connector io-master]\ntype = interorg\nrole = master\n"
	    "address = " MASTER "\nexport_container = /o=HQ/ou=NYC/cn=Recipients\n"
	    "transport = maildir\ninbox = @DIR@/mail/master\n"
	    "outbox = @DIR@/mail/local\n\n"
	    "[requestor local@hq.example.com]\nconnector = io-master\n"
	    "secret_file = %s/b1.secret\n"
	    "import_container = /o=HQ/ou=NYC/cn=London\n\n"
	    "[connector io-local]\ntype = interorg\nrole = requestor\n"
	    "address = local@hq.example.com\nmaster_address = " MASTER "\n"
	    "secret_file = %s/b1.secret\n"
	    "export_container = /o=HQ/ou=LONDON/cn=Recipients\n"
	    "import_container = /o=HQ/ou=LONDON/cn=InterOrg\n"
	    "transport = maildir\ninbox = @DIR@/mail/local\n"
	    "outbox = @DIR@/mail/master\n", secrets, secrets);
	org_start(&hq, "HQ", "NYC", "io-master", c);
	free(c);
	add_user(&hq, HQ_RCPT, "asmith", "alice.smith@hq.example.com",
	    "Smith, Alice", NULL);
	add_user(&hq, "cn=Recipients,ou=LONDON,o=HQ," SUFFIX, "lucy",
	    "lucy@hq.example.com", "Lucy", NULL);
	for (i = 0; i < 3; i++) {
		if (i == 2)
			j = journal_length(&hq);
		hq.con = "io-local";
		sync_ok(&hq);
		hq.con = "io-master";
		sync_ok(&hq);
		hq.con = "io-local";
		sync_ok(&hq);
	}
	/* one GAL: every address is already here, nothing is doubled */
	cr_assert_eq(ldap_count(&hq, SUFFIX, "(mail=lucy@hq.example.com)"), 1);
	cr_assert_eq(ldap_count(&hq, SUFFIX,
	    "(mail=alice.smith@hq.example.com)"), 1);
	cr_assert_eq(events(&hq, 4096, NULL), 0);
	cr_assert_eq(events(&hq, 1022, NULL), 0);
	/* and no loop: the last round wrote nothing */
	cr_assert_eq(journal_length(&hq), j);
	r = run("ls %s/mail/master/.processed/cur | wc -l", hq.env.dir);
	cr_assert_geq(atoi(r.text), 3, "%s", r.text);
	out_free(&r);
	r = run("ls %s/mail/local/.processed/cur | wc -l", hq.env.dir);
	cr_assert_geq(atoi(r.text), 3, "%s", r.text);
	out_free(&r);
}

static void
start_local_pair(const char *b1_more)
{
	char *c;

	c = fmt("[connector io-master]\ntype = interorg\nrole = master\n"
	    "address = " MASTER "\nexport_container = /o=HQ/ou=NYC/cn=Recipients\n"
	    "transport = maildir\ninbox = %s/master\noutbox = %s/requestor\n\n"
	    "[requestor " REQ1 "]\nconnector = io-master\n"
	    "secret_file = %s/b1.secret\n"
	    "import_container = /o=HQ/ou=NYC/cn=Branch\n", secrets, secrets,
	    secrets);
	org_start(&hq, "HQ", "NYC", "io-master", c);
	free(c);
	c = fmt("[connector io-branch]\ntype = interorg\nrole = requestor\n"
	    "address = " REQ1 "\nmaster_address = " MASTER "\n"
	    "secret_file = %s/b1.secret\n"
	    "export_container = /o=BRANCH/ou=SEATTLE/cn=Recipients\n"
	    "import_container = /o=BRANCH/ou=SEATTLE/cn=InterOrg\n"
	    "transport = maildir\ninbox = %s/requestor\noutbox = %s/master\n%s",
	    secrets, secrets, secrets, b1_more);
	org_start(&b1, "BRANCH", "SEATTLE", "io-branch", c);
	free(c);
}

Test(interorg_local, the_deletion_threshold_holds_a_batch_back,
    .fini = teardown)
{
	char cn[16], mail[64];
	int i;

	make_secrets();
	start_local_pair("delete_threshold = 10%, 2\n");
	for (i = 0; i < 6; i++) {
		snprintf(cn, sizeof(cn), "h%d", i);
		snprintf(mail, sizeof(mail), "h%d@hq.example.com", i);
		add_user(&hq, HQ_RCPT, cn, mail, cn, NULL);
	}
	round_trip(&b1, NULL);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=*)"), 6);
	for (i = 0; i < 4; i++)
		ldif(&hq, "dn: cn=h%d," HQ_RCPT "\nchangetype: delete\n", i);
	sync_ok(&b1);
	sync_ok(&hq);
	/* four deletions of six: more than 10%% or 2; nothing written */
	cr_assert_eq(sync_st(&b1, ""), 4);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=*)"), 6);
	cr_assert_eq(events(&b1, 4007, NULL), 1);
	cr_assert_eq(sync_st(&b1, ""), 4);
	cr_assert_eq(sync_st(&b1, "--allow-deletes 4"), 0);
	cr_assert_eq(ldap_count(&b1, B1_IMP, "(mail=*)"), 2);
}

Test(interorg_local, configuration_mistakes_are_refused_with_their_line,
    .fini = teardown)
{
	struct out r;
	char *c, *p;
	FILE *fp;

	make_secrets();
	/* an import container inside an export container would loop */
	c = fmt("[gal]\nsuffix = " SUFFIX "\norganization = B\nsite = S\n"
	    "state_dir = %s\n\n[connector io]\ntype = interorg\n"
	    "role = requestor\naddress = " REQ1 "\n"
	    "master_address = " MASTER "\nsecret_file = %s/b1.secret\n"
	    "export_container = /o=B/ou=S/cn=Recipients\n"
	    "import_container = /o=B/ou=S/cn=Recipients/cn=Sub\n"
	    "transport = maildir\ninbox = %s/i\noutbox = %s/o\n",
	    secrets, secrets, secrets, secrets);
	p = fmt("%s/bad1.conf", secrets);
	fp = fopen(p, "w");
	cr_assert_not_null(fp);
	fputs(c, fp);
	fclose(fp);
	r = run("%s -c %s check", GALGATE_BINARY, p);
	cr_assert_eq(r.status, 2, "%s", r.text);
	cr_assert(has(r.text, "bad1.conf:14: import container"), "%s", r.text);
	out_free(&r);
	free(p);
	free(c);

	/* requestor keys on a master; a message size too small */
	org_start(&hq, "HQ", "NYC", "io", "[connector io]\ntype = interorg\n"
	    "role = master\naddress = " MASTER "\n"
	    "import_domains = all\n"
	    "transport = maildir\ninbox = @DIR@/i\noutbox = @DIR@/o\n");
	r = galgate(&hq.env, "sync io");
	cr_assert_eq(r.status, 2, "%s", r.text);
	cr_assert(has(r.text, "galgate.conf:11: import_domains is for role = "
	    "requestor"), "%s", r.text);
	out_free(&r);
	org_start(&b1, "B", "S", "io", "[connector io]\ntype = interorg\n"
	    "role = requestor\naddress = " REQ1 "\n"
	    "secret_file = @DIR@/galgate.conf\n"
	    "export_container = /o=B/ou=S/cn=Recipients\n"
	    "import_container = /o=B/ou=S/cn=InterOrg\n"
	    "max_message_size = 1K\n"
	    "transport = maildir\ninbox = @DIR@/i\noutbox = @DIR@/o\n");
	r = galgate(&b1.env, "sync io");
	cr_assert_eq(r.status, 2, "%s", r.text);
	cr_assert(has(r.text, "galgate.conf:14: max_message_size"), "%s",
	    r.text);
	out_free(&r);
	r = galgate(&b1.env, "reset io --import-all --requestor x@y.z");
	cr_assert_eq(r.status, 2, "%s", r.text);
	out_free(&r);
}
