/*
 * Security: hostile names cannot change what a DN or a search filter
 * means; messages from strangers, under a wrong MAC, replayed or
 * reordered, and requestors writing outside their import container
 * change nothing; secrets never appear in what galgate writes.
 *
 * Already covered elsewhere, and not repeated here: cc:Mail names with
 * '+', '"', '\', '#', '=', '/', non-ASCII and spaces at either end
 * surviving both ways as values (ccmail/hostile_names_survive_both_ways);
 * the DN forms of hostile values (cli/dn_round_trips_hostile_values); an
 * InterOrg master refusing an unknown sender and a wrong or missing MAC
 * (interorg/unlisted_senders_and_wrong_macs_are_refused) and a redelivered
 * update (interorg/replays_and_killed_cycles_apply_nothing_twice); MS
 * Mail's wrong password, unknown requestor and bad TASK
 * (pcmail/errors_155_156_158); a connector identity's writes outside its
 * container refused by slapd's ACL
 * (acl/connector_identity_writes_only_its_import_container).
 *
 * Expected DNs are written out by hand (RFC 4514), and looked up with
 * ldapsearch -s base: the server, not galgate, says what they mean.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "ccmail_model.h"
#include "faults.h"
#include "iosync.h"
#include "mailserver.h"
#include "pcmail_model.h"

static struct env env, b1;
static struct mailserver ms;
static char scratch[64];

static void
teardown(void)
{
	struct out o;

	env_stop(&env);
	env_stop(&b1);
	mailserver_stop(&ms);
	if (scratch[0] != '\0') {
		o = run("rm -rf %s", scratch);
		out_free(&o);
		scratch[0] = '\0';
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
make_scratch(void)
{
	strcpy(scratch, "/tmp/gg-xXXXXXX");
	cr_assert_not_null(mkdtemp(scratch));
}

/* An owner-only file in the scratch directory; its path (caller frees). */
static char *
scratch_file(const char *name, const char *text)
{
	char *path = fmt("%s/%s", scratch, name);
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp, "%s", path);
	fputs(text, fp);
	fclose(fp);
	chmod(path, 0600);
	return path;
}

/* The entry must be at exactly dn, and hold want (LDIF text). */
static void
entry_at(const struct env *e, const char *dn, const char *want)
{
	char *got = ldap_entry_at(e, dn);

	cr_assert_not_null(got, "nothing at %s", dn);
	if (want != NULL)
		cr_assert(strstr(got, want) != NULL, "%s lacks '%s':\n%s", dn,
		    want, got);
	free(got);
}

static void
sync_ok(const struct env *e, const char *con)
{
	cr_assert_eq(sync_status(e, con), 0, "%s failed", con);
}

/* ---- cc:Mail names ---- */

#define CCBASE	"cn=ccMail," BASE

Test(security, ccmail_hostile_names_are_exactly_their_escaped_dn,
    .fini = teardown, .timeout = 120)
{
	/* name, its RDN value as RFC 4514 writes it */
	static const char *const hostile[][2] = {
		{ "*", "*" },
		{ "Star*, Wild", "Star*\\, Wild" },
		{ "Paren(, Open)", "Paren(\\, Open)" },
		{ "Evil,cn=Recipients,ou=HQ", "Evil\\,cn\\=Recipients\\,ou\\=HQ" },
		{ "Nul\\00Byte, N", "Nul\\\\00Byte\\, N" },
		{ "Hex\\2a, H", "Hex\\\\2a\\, H" },
		{ "Plus+Sign, P", "Plus\\+Sign\\, P" },
		{ "#Hash, H", "\\#Hash\\, H" },
		{ " Leading, L", "\\ Leading\\, L" },
		{ "Trailing, T ", "Trailing\\, T\\ " },
		{ "Semi;Colon, S", "Semi\\;Colon\\, S" },
		{ "Angle<Br>, A", "Angle\\<Br\\>\\, A" },
		{ "Quote\"Q\", Q", "Quote\\\"Q\\\"\\, Q" },
		{ "Equals=, E", "Equals\\=\\, E" },
		{ "(|(cn=*)), F", "(|(cn\\=*))\\, F" },
	};
	static const char *const star_members[] = { "*", NULL };
	static const char *const paren_members[] = { "Paren(, Open)", NULL };
	static const char *const nobody_members[] = { "Nobody*", NULL };
	size_t n = sizeof(hostile) / sizeof(hostile[0]), i;
	char dir[160], *dn;
	struct ccm_import_result res;
	struct ccm *m;
	struct out o;

	env_start(&env, "[connector cc]\ntype = ccmail\n"
	    "export_dir = @DIR@/export\nimport_dir = @DIR@/import\n"
	    "post_office = EXSITE1\n"
	    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n",
	    "--dbnosync");
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	/* a GAL recipient a widened filter or DN would reach */
	cr_assert_eq(ldap_apply(&env, "dn: cn=Victim," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: Victim\nsn: Victim\ndisplayName: Victim, Vera\n"), 0);
	m = ccm_new("HQPO");
	cr_assert_eq(ccm_add_entry(m, "HUBPO2", 'P', NULL, NULL, NULL, NULL),
	    0);
	for (i = 0; i < n; i++)
		cr_assert_eq(ccm_add_entry(m, hostile[i][0], 'l', "HUBPO2",
		    NULL, NULL, NULL), 0, "%s", hostile[i][0]);
	/* a member named "*" is the user "*", not everyone */
	cr_assert_eq(ccm_add_list(m, "Star List", star_members, NULL), 0);
	cr_assert_eq(ccm_add_list(m, "Paren List", paren_members, NULL), 0);
	cr_assert_eq(ccm_add_list(m, "Nobody List", nobody_members, NULL), 0);
	snprintf(dir, sizeof(dir), "%s/export", env.dir);
	mkdir(dir, 0755);
	cr_assert_eq(ccm_export(m, dir), 0);
	snprintf(dir, sizeof(dir), "%s/import", env.dir);
	mkdir(dir, 0755);
	sync_ok(&env, "cc");
	for (i = 0; i < n; i++) {
		dn = fmt("cn=%s," CCBASE, hostile[i][1]);
		entry_at(&env, dn, "galgateConnector: cc");
		free(dn);
	}
	/* nothing anywhere else, the recipient untouched */
	cr_assert_eq(ldap_count_in(&env, SUFFIX, "sub", "(galgateConnector=cc)"),
	    n + 3);
	cr_assert_eq(ldap_count_in(&env, CCBASE, "one", "(galgateConnector=cc)"),
	    n + 3);
	entry_at(&env, "cn=Victim," RCPT, "displayName: Victim, Vera\n");
	entry_at(&env, "cn=Star List," CCBASE, "member: cn=*," CCBASE "\n");
	o = run("ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H '%s' -s base "
	    "-b 'cn=Star List," CCBASE "' member | grep -c '^member:'", env.uri);
	cr_assert_str_eq(o.text, "1\n", "\"*\" became several members");
	out_free(&o);
	/* the server writes the comma as "\2C": compare what it means */
	o = run("ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H '%s' -s one "
	    "-b '" CCBASE "' '(member=cn=Paren\\28\\5c, Open\\29," CCBASE ")' 1.1",
	    env.uri);
	cr_assert_eq(count_of(o.text, "dn: cn=Paren List,"), 1, "%s", o.text);
	cr_assert_eq(count_of(o.text, "dn:"), 1, "%s", o.text);
	out_free(&o);
	/* "Nobody*" matches no one: the list holds itself, an event says so */
	entry_at(&env, "cn=Nobody List," CCBASE, "member: cn=Nobody List,"
	    CCBASE "\n");
	cr_assert_eq(events_count(&env, 2004, "Nobody*"), 1);
	/* and the next cycle finds everything in place */
	cr_assert_eq(ccm_import(m, dir, &res), 0);
	snprintf(dir, sizeof(dir), "%s/export", env.dir);
	cr_assert_eq(ccm_export(m, dir), 0);
	o = galgate(&env, "sync cc");
	cr_assert(strstr(o.text, "cc: 0 added, 0 modified, 0 deleted") != NULL,
	    "%s", o.text);
	out_free(&o);
	ccm_free(m);
}

/* ---- MS Mail addresses and names ---- */

#define S1BASE	"cn=SEAPO1," BASE
#define S2BASE	"cn=SEAPO2," BASE

static const char *pcmail_conf =
    "[connector dirsync]\ntype = pcmail\nnetwork = CONTOSO\n"
    "postoffice = GALGATE\nexport_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "transport = maildir\ninbox = @DIR@/in\noutbox = @DIR@/out\n"
    "delete_threshold = 100%\n\n"
    "[requestor CONTOSO/SEAPO1]\nconnector = dirsync\n"
    "password_file = @DIR@/seapo1.secret\ntypes = PCM|SMTP\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
    "address = seapo1@contoso.example\n\n"
    "[requestor CONTOSO/SEAPO2]\nconnector = dirsync\n"
    "password_file = @DIR@/seapo2.secret\ntypes = PCM|SMTP\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO2\n"
    "address = seapo2@contoso.example\n";

/* A transaction line: name padded to its 30 columns, then the address. */
static char *
txn(char code, const char *name, const char *addr)
{
	return fmt("%c %-30s %s\r\n", code, name, addr);
}

static void
queue(struct pcr *m, char code, const char *name, const char *addr)
{
	char *t = txn(code, name, addr);

	pcr_queue_raw(m, t);
	free(t);
}

Test(security, pcmail_hostile_addresses_stay_in_their_requestor_container,
    .fini = teardown, .timeout = 120)
{
	/* SMTP address, its RDN value as RFC 4514 writes it */
	static const char *const hostile[][2] = {
		{ "SMTP:*@x.example", "SMTP:*@x.example" },
		{ "SMTP:a*b(c)\\,d+e=f#g;h<i>@x.example",
		    "SMTP:a*b(c)\\\\\\,d\\+e\\=f#g\\;h\\<i\\>@x.example" },
		{ "SMTP:x,cn=SEAPO2,ou=HQ,o=Contoso,dc=example,dc=com@x.example",
		    "SMTP:x\\,cn\\=SEAPO2\\,ou\\=HQ\\,o\\=Contoso\\,dc\\=example"
		    "\\,dc\\=com@x.example" },
		{ "SMTP:#lead@x.example", "SMTP:#lead@x.example" },
		{ "SMTP:plain@x.example", "SMTP:plain@x.example" },
	};
	size_t n = sizeof(hostile) / sizeof(hostile[0]), i;
	char inbox[160], outbox[160], *dn, *s2, *gal, *s2b, *galb, *t;
	struct pcr *m1, *m2;
	struct out o;

	env_start(&env, pcmail_conf, "--dbnosync");
	free(env_file(&env, "seapo1.secret", "pw-one\n"));
	free(env_file(&env, "seapo2.secret", "pw-two\n"));
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert_eq(ldap_apply(&env, "dn: cn=SBrady," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: SBrady\nsn: Brady\ndisplayName: Brady, Sally\n"
	    "mailNickname: SBrady\n"), 0);
	snprintf(inbox, sizeof(inbox), "%s/in", env.dir);
	snprintf(outbox, sizeof(outbox), "%s/out", env.dir);
	m1 = pcr_new("CONTOSO", "SEAPO1", "pw-one", "seapo1@contoso.example",
	    inbox, outbox);
	m2 = pcr_new("CONTOSO", "SEAPO2", "pw-two", "seapo2@contoso.example",
	    inbox, outbox);
	pcr_import_request(m2);
	pcr_add(m2, "Lee, Kim", "KLEE", NULL);
	pcr_add_addr(m2, "Shared", "SMTP:shared@contoso.example");
	free(pcr_send(m2, "UPDATE"));
	sync_ok(&env, "dirsync");
	free(pcr_receive(m2));
	s2 = ldap_dump(&env, S2BASE);
	gal = ldap_dump(&env, RCPT);

	/* hostile addresses and names, and reaches into other lists */
	pcr_import_request(m1);
	for (i = 0; i < n; i++)
		queue(m1, 'A', i == 1 ? "(|(cn=*)(mail=*))\\,+=#;<>" : "Evil",
		    hostile[i][0]);
	queue(m1, 'A', "Hijack", "PCM:CONTOSO/SEAPO2/KLEE2");
	queue(m1, 'A', "Hijack GAL", "PCM:CONTOSO/GALGATE/SBRADY2");
	queue(m1, 'D', "Lee, Kim", "PCM:CONTOSO/SEAPO2/KLEE");
	queue(m1, 'D', "Brady, Sally", "PCM:CONTOSO/GALGATE/SBRADY");
	t = fmt("M %-30s %s\r\n  %-30s %s\r\n", "Lee, Kim",
	    "PCM:CONTOSO/SEAPO2/KLEE", "Hacked", "PCM:CONTOSO/SEAPO2/KLEE");
	pcr_queue_raw(m1, t);
	free(t);
	pcr_queue_raw(m1, "R PCM:CONTOSO/SEAPO2\r\n");
	pcr_queue_raw(m1, "R PCM:CONTOSO/GALGATE\r\n");
	free(pcr_send(m1, "UPDATE"));
	sync_ok(&env, "dirsync");
	free(pcr_receive(m1));
	for (i = 0; i < n; i++) {
		dn = fmt("cn=%s," S1BASE, hostile[i][1]);
		entry_at(&env, dn, "galgateConnector: dirsync");
		free(dn);
	}
	cr_assert_eq(ldap_count_in(&env, S1BASE, "one", "(objectClass=*)"), n);
	/* the other requestor's list and the GAL's are as they were */
	s2b = ldap_dump(&env, S2BASE);
	galb = ldap_dump(&env, RCPT);
	cr_assert_str_eq(s2b, s2, "SEAPO2's list changed");
	cr_assert_str_eq(galb, gal, "the GAL's own recipients changed");
	free(s2b);
	free(galb);
	/* each of the seven reaches is reported, with its line */
	cr_assert_eq(events_count(&env, 3324, "not to CONTOSO/SEAPO1: not "
	    "taken"), 7, "reaches into other lists not reported");

	/* a deletion of "SMTP:*@x.example" deletes that one address only */
	pcr_queue_raw(m1, "D Evil                           SMTP:*@x.example\r\n");
	free(pcr_send(m1, "UPDATE"));
	sync_ok(&env, "dirsync");
	free(pcr_receive(m1));
	cr_assert_null(ldap_entry_at(&env, "cn=SMTP:*@x.example," S1BASE));
	cr_assert_eq(ldap_count_in(&env, S1BASE, "one", "(objectClass=*)"),
	    n - 1);
	s2b = ldap_dump(&env, S2BASE);
	cr_assert_str_eq(s2b, s2);
	free(s2b);
	free(s2);
	free(gal);
	pcr_free(m1);
	pcr_free(m2);
}

/* ---- InterOrg: names, keys, strangers, replays, reordering ---- */

#define HQ_RCPT		"cn=Recipients,ou=NYC,o=HQ," SUFFIX
#define HQ_B1		"cn=Branch,ou=NYC,o=HQ," SUFFIX
#define B1_IMP		"cn=InterOrg,ou=SEATTLE,o=BRANCH," SUFFIX
#define MASTER		"master@hq.example.com"
#define REQ1		"requestor@branch.example.com"
#define IO_SECRET	"branch-shared-secret"

/* A master and a requestor organization on one host (maildir). */
static void
start_interorg(void)
{
	char *c;
	struct out o;
	int i;

	make_scratch();
	free(scratch_file("b1.secret", IO_SECRET "\n"));
	c = fmt("[connector io-master]\ntype = interorg\nrole = master\n"
	    "address = " MASTER "\nexport_container = /o=HQ/ou=NYC/cn=Recipients\n"
	    "transport = maildir\ninbox = %s/master\noutbox = %s/requestor\n"
	    "delete_threshold = 100%%\n\n"
	    "[requestor " REQ1 "]\nconnector = io-master\n"
	    "secret_file = %s/b1.secret\n"
	    "import_container = /o=HQ/ou=NYC/cn=Branch\n", scratch, scratch,
	    scratch);
	env_start_org(&env, "HQ", "NYC", c);
	free(c);
	c = fmt("[connector io-branch]\ntype = interorg\nrole = requestor\n"
	    "address = " REQ1 "\nmaster_address = " MASTER "\n"
	    "secret_file = %s/b1.secret\n"
	    "export_container = /o=BRANCH/ou=SEATTLE/cn=Recipients\n"
	    "import_container = /o=BRANCH/ou=SEATTLE/cn=InterOrg\n"
	    "transport = maildir\ninbox = %s/requestor\noutbox = %s/master\n"
	    "delete_threshold = 100%%\n", scratch, scratch, scratch);
	env_start_org(&b1, "BRANCH", "SEATTLE", c);
	free(c);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&b1, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	for (i = 0; i < 3; i++) {
		c = fmt("dn: cn=u%d," HQ_RCPT "\nchangetype: add\n"
		    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
		    "cn: u%d\nsn: User\ndisplayName: User %d\n"
		    "mail: u%d@hq.example.com\n", i, i, i, i);
		cr_assert_eq(ldap_apply(&env, c), 0);
		free(c);
	}
}

static void
io_entry_set(struct io_entry *e, enum io_op op, uint64_t usn, const char *key,
    const char *cn, const char *display)
{
	io_entry_init(e);
	e->op = op;
	e->usn = usn;
	e->key = key != NULL ? strdup(key) : NULL;
	e->cls = strdup("mailbox");
	e->dn = cn != NULL ? (cn[0] == '/' ? strdup(cn) :
	    fmt("/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=%s", cn)) : NULL;
	if (display != NULL)
		gw_record_add_str(&e->attrs, "displayName", display);
}

struct batch {
	const char	*from, *to, *secret;	/* secret NULL: no MAC */
	enum io_role	 role;
	uint64_t	 musn, rusn;
	int		 full;
	const char	*id;
};

/* One IOSYNC-1 message as its sender writes it, into a Maildir's new/. */
static void
deliver(const struct batch *b, const struct io_entry *ent, size_t n,
    const char *maildir)
{
	static unsigned seq;
	struct io_header h;
	unsigned char mac[IO_MAC_LEN];
	char **bodies, *subject, *machdr = NULL, *msg, *path;
	size_t *lens, np;
	FILE *fp;

	memset(&h, 0, sizeof(h));
	h.role = b->role;
	h.org = (char *)(b->role == IO_ROLE_MASTER ? "HQ" : "BRANCH");
	h.musn = b->musn;
	h.rusn = b->rusn;
	h.full = b->full;
	h.batch = (char *)b->id;
	cr_assert_eq(iosync_write_parts(&h, ent, n, b->role == IO_ROLE_MASTER,
	    b->rusn, 1 << 20, &bodies, &lens, &np), 0);
	cr_assert_eq(np, 1);
	h.part = h.nparts = 1;
	subject = iosync_subject(&h);
	if (b->secret != NULL) {
		iosync_mac(b->secret, strlen(b->secret), subject, bodies[0],
		    lens[0], mac);
		machdr = iosync_mac_header(mac);
	}
	msg = fmt("From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Message-ID: <%s.%u.%d@test>\r\n%s%s%s\r\n%s", b->from, b->to,
	    subject, b->id, ++seq, (int)getpid(), machdr != NULL ?
	    "IOSync-MAC: " : "", machdr != NULL ? machdr : "", machdr != NULL ?
	    "\r\n" : "", bodies[0]);
	path = fmt("%s/new/%ld.%u.%s.test", maildir, (long)time(NULL), seq,
	    b->id);
	fp = fopen(path, "w");
	cr_assert_not_null(fp, "%s", path);
	fputs(msg, fp);
	fclose(fp);
	free(path);
	free(msg);
	free(bodies[0]);
	free(bodies);
	free(lens);
	free(subject);
	free(machdr);
}

static void
release_all(struct io_entry *ent, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		io_entry_release(&ent[i]);
}

static char *
master_inbox(void)
{
	return fmt("%s/master", scratch);
}

static void
to_master(uint64_t rusn, int full, const char *id, struct io_entry *ent,
    size_t n)
{
	struct batch b = { REQ1, MASTER, IO_SECRET, IO_ROLE_REQUESTOR, 0, rusn,
	    full, id };
	char *box = master_inbox();

	deliver(&b, ent, n, box);
	free(box);
	release_all(ent, n);
}

Test(security, interorg_hostile_keys_and_names_reach_only_their_entry,
    .fini = teardown, .timeout = 120)
{
	struct io_entry ent[6];
	char *hq0, *hq1;

	start_interorg();
	/* the maildirs, made by a first cycle of each side */
	sync_ok(&b1, "io-branch");
	sync_ok(&env, "io-master");
	io_entry_set(&ent[0], IO_OP_ADD, 10, "alice@branch.example.com",
	    "alice", "Alice");
	to_master(10, 0, "b0000001", ent, 1);
	sync_ok(&env, "io-master");
	hq0 = ldap_dump(&env, HQ_RCPT);

	/*
	 * "*@hq.example.com" must not find HQ's users as holders of its
	 * address; an X.500 DN ".../cn=*" must not find alice's; an X.500
	 * DN of an HQ recipient must not reach it; keys and names with
	 * characters special in DNs and filters land at their escaped DN.
	 */
	io_entry_set(&ent[0], IO_OP_ADD, 20, "*@hq.example.com", "star",
	    "Star *");
	io_entry_set(&ent[1], IO_OP_ADD, 21, "bob@branch.example.com", "*",
	    "Bob");
	io_entry_set(&ent[2], IO_OP_ADD, 22, "a*b=c+d#e@branch.example.com",
	    "odd", "(|(cn=*)(mail=*)) \\, + = # ; < > \"");
	io_entry_set(&ent[3], IO_OP_ADD, 23, "x=y@branch.example.com",
	    "/o=HQ/ou=NYC/cn=Recipients/cn=u0", "Not U0");
	io_entry_set(&ent[4], IO_OP_ADD, 24, "u*@hq.example.com",
	    "/o=BRANCH/ou=SEATTLE/cn=Recipients/cn=a*", "U Star");
	to_master(24, 0, "b0000002", ent, 5);
	sync_ok(&env, "io-master");
	entry_at(&env, "cn=*@hq.example.com," HQ_B1, "displayName: Star *\n");
	entry_at(&env, "cn=bob@branch.example.com," HQ_B1, "displayName: Bob\n");
	entry_at(&env, "cn=alice@branch.example.com," HQ_B1,
	    "displayName: Alice\n");
	entry_at(&env, "cn=a*b\\=c\\+d#e@branch.example.com," HQ_B1,
	    "mail: a*b=c+d#e@branch.example.com\n");
	entry_at(&env, "cn=x\\=y@branch.example.com," HQ_B1,
	    "displayName: Not U0\n");
	entry_at(&env, "cn=u*@hq.example.com," HQ_B1, "displayName: U Star\n");
	cr_assert_eq(ldap_count_in(&env, HQ_B1, "one", "(objectClass=*)"), 6);
	cr_assert_eq(events_count(&env, 4096, NULL), 0,
	    "an address was taken for another entry's");
	hq1 = ldap_dump(&env, HQ_RCPT);
	cr_assert_str_eq(hq1, hq0, "HQ's own recipients changed");
	free(hq0);
	free(hq1);
}

Test(security, interorg_requestor_cannot_write_outside_its_container,
    .fini = teardown, .timeout = 120)
{
	struct io_entry ent[6];
	char *hq0, *hq1;

	start_interorg();
	sync_ok(&b1, "io-branch");
	sync_ok(&env, "io-master");
	io_entry_set(&ent[0], IO_OP_ADD, 10, "alice@branch.example.com",
	    "alice", "Alice");
	io_entry_set(&ent[1], IO_OP_ADD, 11, "carol@branch.example.com",
	    "carol", "Carol");
	to_master(11, 0, "b0000001", ent, 2);
	sync_ok(&env, "io-master");
	hq0 = ldap_dump(&env, HQ_RCPT);

	/* HQ's own recipients, by their addresses and by their X.500 DNs */
	io_entry_set(&ent[0], IO_OP_DELETE, 20, "u0@hq.example.com", NULL,
	    NULL);
	io_entry_set(&ent[1], IO_OP_MODIFY, 21, "u1@hq.example.com", "u1",
	    "Hacked");
	io_entry_set(&ent[2], IO_OP_ADD, 22, "u2@hq.example.com",
	    "/o=HQ/ou=NYC/cn=Recipients/cn=u2", "Hacked");
	io_entry_set(&ent[3], IO_OP_REKEY, 23, "alice@branch.example.com",
	    "alice", NULL);
	ent[3].newkey = strdup("u0@hq.example.com");
	io_entry_set(&ent[4], IO_OP_DELETE, 24, "nobody@branch.example.com",
	    "/o=HQ/ou=NYC/cn=Recipients/cn=u1", NULL);
	to_master(24, 0, "b0000002", ent, 5);
	sync_ok(&env, "io-master");
	hq1 = ldap_dump(&env, HQ_RCPT);
	cr_assert_str_eq(hq1, hq0, "a requestor changed HQ's recipients");
	free(hq1);
	entry_at(&env, "cn=alice@branch.example.com," HQ_B1,
	    "mail: alice@branch.example.com\n");
	/* an address HQ holds is refused, as a modify and as a rekey */
	cr_assert_eq(events_count(&env, 4096, "SMTP:u1@hq.example.com"), 1);
	cr_assert_eq(events_count(&env, 4096, "SMTP:u0@hq.example.com"), 1);

	/* a full export replaces what it made there, nothing else */
	io_entry_set(&ent[0], IO_OP_ADD, 30, "carol@branch.example.com",
	    "carol", "Carol");
	to_master(30, 1, "b0000003", ent, 1);
	sync_ok(&env, "io-master");
	cr_assert_eq(ldap_count_in(&env, HQ_B1, "one", "(objectClass=*)"), 1);
	entry_at(&env, "cn=carol@branch.example.com," HQ_B1, NULL);
	hq1 = ldap_dump(&env, HQ_RCPT);
	cr_assert_str_eq(hq1, hq0, "a full export reached HQ's recipients");
	free(hq1);
	free(hq0);
}

Test(security, interorg_strangers_replays_and_reordered_usns_change_nothing,
    .fini = teardown, .timeout = 120)
{
	struct io_entry ent[2];
	struct batch b;
	char *box, *d0, *d1;

	start_interorg();
	sync_ok(&b1, "io-branch");
	sync_ok(&env, "io-master");

	/* the master: a newer batch, then an older one arriving late */
	io_entry_set(&ent[0], IO_OP_ADD, 30, "carol@branch.example.com",
	    "carol", "Carol New");
	to_master(30, 0, "b0000030", ent, 1);
	sync_ok(&env, "io-master");
	io_entry_set(&ent[0], IO_OP_ADD, 25, "carol@branch.example.com",
	    "carol", "Carol Old");
	io_entry_set(&ent[1], IO_OP_ADD, 26, "dave@branch.example.com",
	    "dave", "Dave");
	to_master(26, 0, "b0000025", ent, 2);
	/* and an older full batch, which would delete carol */
	io_entry_set(&ent[0], IO_OP_ADD, 20, "erin@branch.example.com",
	    "erin", "Erin");
	to_master(20, 1, "b0000020", ent, 1);
	d0 = ldap_dump(&env, HQ_B1);
	sync_ok(&env, "io-master");
	d1 = ldap_dump(&env, HQ_B1);
	cr_assert_str_eq(d1, d0, "an older batch was applied");
	free(d0);
	free(d1);
	entry_at(&env, "cn=carol@branch.example.com," HQ_B1,
	    "displayName: Carol New\n");
	cr_assert_geq(events_count(&env, 4010, NULL), 1);

	/* the requestor: the master's replies, forged, replayed, reordered */
	box = fmt("%s/requestor", scratch);
	memset(&b, 0, sizeof(b));
	b.from = MASTER;
	b.to = REQ1;
	b.secret = IO_SECRET;
	b.role = IO_ROLE_MASTER;
	b.musn = 500;
	b.id = "m0000500";
	io_entry_set(&ent[0], IO_OP_ADD, 500, "frank@hq.example.com",
	    "/o=HQ/ou=NYC/cn=Recipients/cn=frank", "Frank New");
	deliver(&b, ent, 1, box);
	release_all(ent, 1);
	sync_ok(&b1, "io-branch");
	entry_at(&b1, "cn=frank@hq.example.com," B1_IMP,
	    "displayName: Frank New\n");
	d0 = ldap_dump(&b1, B1_IMP);
	/* the same reply again, and an older one with another value */
	io_entry_set(&ent[0], IO_OP_ADD, 500, "frank@hq.example.com",
	    "/o=HQ/ou=NYC/cn=Recipients/cn=frank", "Frank New");
	deliver(&b, ent, 1, box);
	release_all(ent, 1);
	b.musn = 400;
	b.id = "m0000400";
	io_entry_set(&ent[0], IO_OP_ADD, 400, "frank@hq.example.com",
	    "/o=HQ/ou=NYC/cn=Recipients/cn=frank", "Frank Old");
	deliver(&b, ent, 1, box);
	release_all(ent, 1);
	/* a stranger with the right MAC, the master with a wrong one, none */
	b.musn = 600;
	b.id = "m0000600";
	b.from = "evil@hq.example.com";
	io_entry_set(&ent[0], IO_OP_ADD, 600, "mallory@hq.example.com",
	    "/o=HQ/ou=NYC/cn=Recipients/cn=mallory", "Mallory");
	deliver(&b, ent, 1, box);
	b.from = MASTER;
	b.secret = "not-the-shared-secret";
	b.id = "m0000601";
	deliver(&b, ent, 1, box);
	b.secret = NULL;
	b.id = "m0000602";
	deliver(&b, ent, 1, box);
	release_all(ent, 1);
	sync_ok(&b1, "io-branch");
	d1 = ldap_dump(&b1, B1_IMP);
	cr_assert_str_eq(d1, d0, "a replay, an older or a forged reply was "
	    "applied");
	free(d0);
	free(d1);
	cr_assert_eq(events_count(&b1, 4003, "evil@hq.example.com"), 1);
	cr_assert_eq(events_count(&b1, 4004, NULL), 2);
	cr_assert_null(ldap_entry_at(&b1, "cn=mallory@hq.example.com,"
	    B1_IMP));
	free(box);
}

/* ---- secrets ---- */

#define GW_USER		"galgate-dirsync"
#define RQ_USER		"seapo1-dirsync"

static struct gw_buf said;	/* everything galgate printed */

static void
keep(struct out *o)
{
	gw_buf_printf(&said, "%s\n", o->text);
	out_free(o);
}

static void
reqtx(const char *password, unsigned long r, unsigned long s)
{
	char raw[2048];

	snprintf(raw, sizeof(raw), "From: CONTOSO/SEAPO1/$SYSTEM <" RQ_USER
	    "@contoso.example>\r\nTo: CONTOSO/GALGATE/$SYSTEM <" GW_USER
	    "@contoso.example>\r\nSubject: ReqTx R=%lu (was %lu), S=%lu, I=1 "
	    "1 sent\r\n\r\n[DIRSYNC]\r\nTASK=UPDATE\r\nREQNAME=PCM:CONTOSO/"
	    "SEAPO1\r\nPASSWORD=%s\r\nREQSEQ=%lu\r\nSRVSEQ=%lu\r\nIMPSEQ=1\r\n"
	    "[DIRSYNC-TRANSACTIONS]\r\n%010lu A %-30s PCM:CONTOSO/SEAPO1/U%lu"
	    "\r\n", r, r - 1, s, password, r, s, r, "User, Secret", r);
	cr_assert_eq(mail_smtp_send(&ms, RQ_USER "@contoso.example",
	    GW_USER "@contoso.example", raw), 0);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
}

/* A copy of the configuration with one path replaced by another. */
static char *
conf_with(const char *from, const char *to, const char *name)
{
	char *path = fmt("%s/%s", env.dir, name);
	struct out o = run("sed 's|%s|%s|' %s > %s", from, to, env.conf, path);

	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	return path;
}

Test(security, secrets_never_appear_in_output_events_state_or_mail,
    .fini = teardown, .timeout = 240)
{
	char bind[64], pcm[64], io[64], wbind[64], wmail[64], wio[64];
	char *bind_file, *pcm_file, *io_file, *wbind_file, *wmail_file;
	char *wio_file, *conf, *c_bind, *c_mail, *c_io, *pat;
	const char *secret[7];
	struct out o;
	size_t i;

	make_scratch();
	mailserver_start(&ms, "contoso.example hq.example.com");
	snprintf(bind, sizeof(bind), "bind-SECRET-%ld", (long)getpid());
	snprintf(pcm, sizeof(pcm), "pcm-SECRET-%ld", (long)getpid());
	snprintf(io, sizeof(io), "io-SECRET-%ld", (long)getpid());
	snprintf(wbind, sizeof(wbind), "wrongbind-SECRET-%ld", (long)getpid());
	snprintf(wmail, sizeof(wmail), "wrongmail-SECRET-%ld", (long)getpid());
	snprintf(wio, sizeof(wio), "wrongio-SECRET-%ld", (long)getpid());
	bind_file = scratch_file("bind.secret", bind);
	pcm_file = scratch_file("pcm.secret", pcm);
	io_file = scratch_file("io.secret", io);
	wbind_file = scratch_file("wbind.secret", wbind);
	wmail_file = scratch_file("wmail.secret", wmail);
	wio_file = scratch_file("wio.secret", wio);
	conf = fmt("bind_dn = cn=admin," SUFFIX "\nbind_password_file = %s\n\n"
	    "[connector dirsync]\ntype = pcmail\nnetwork = CONTOSO\n"
	    "postoffice = GALGATE\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
	    "transport = smtp+imap\nsmtp_url = smtp://127.0.0.1:%d\n"
	    "imap_url = imap://127.0.0.1:%d/INBOX\nmail_tls = none\n"
	    "username = " GW_USER "\nmail_password_file = %s\n"
	    "address = " GW_USER "@contoso.example\n"
	    "admin_copy = postmaster@contoso.example\n\n"
	    "[requestor CONTOSO/SEAPO1]\nconnector = dirsync\n"
	    "password_file = %s\n"
	    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
	    "address = " RQ_USER "@contoso.example\n\n"
	    "[connector io-master]\ntype = interorg\nrole = master\n"
	    "address = master@hq.example.com\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
	    "transport = smtp+imap\nsmtp_url = smtp://127.0.0.1:%d\n"
	    "imap_url = imap://127.0.0.1:%d/INBOX\nmail_tls = none\n"
	    "username = master\nmail_password_file = %s\n\n"
	    "[requestor local@hq.example.com]\nconnector = io-master\n"
	    "secret_file = %s\nimport_container = /o=Contoso/ou=HQ/cn=London\n\n"
	    "[connector io-local]\ntype = interorg\nrole = requestor\n"
	    "address = local@hq.example.com\n"
	    "master_address = master@hq.example.com\nsecret_file = %s\n"
	    "export_container = /o=Contoso/ou=LONDON/cn=Recipients\n"
	    "import_container = /o=Contoso/ou=LONDON/cn=InterOrg\n"
	    "transport = smtp+imap\nsmtp_url = smtp://127.0.0.1:%d\n"
	    "imap_url = imap://127.0.0.1:%d/INBOX\nmail_tls = none\n"
	    "username = local\nmail_password_file = %s\n", bind_file,
	    ms.smtp_port, ms.imap_port, ms.password_file, pcm_file,
	    ms.smtp_port, ms.imap_port, ms.password_file, io_file, io_file,
	    ms.smtp_port, ms.imap_port, ms.password_file);
	pat = fmt("--dbnosync --rootpw-file %s", bind_file);
	env_start(&env, conf, pat);
	free(pat);
	free(conf);
	gw_buf_init(&said, 0);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	keep(&o);
	cr_assert_eq(ldap_apply(&env, "dn: cn=SBrady," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: SBrady\nsn: Brady\ndisplayName: Brady, Sally\n"
	    "mailNickname: SBrady\nmail: sbrady@hq.example.com\n"), 0);
	cr_assert_eq(ldap_apply(&env, "dn: cn=lucy,cn=Recipients,ou=LONDON,"
	    "o=Contoso," SUFFIX "\nchangetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: lucy\nsn: Lucy\n"
	    "mail: lucy@hq.example.com\n"), 0);

	/* cycles that work */
	reqtx(pcm, 1, 0);
	o = galgate(&env, "sync dirsync");
	cr_assert_eq(o.status, 0, "%s", o.text);
	keep(&o);
	o = galgate(&env, "sync io-local");
	cr_assert_eq(o.status, 0, "%s", o.text);
	keep(&o);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
	o = galgate(&env, "sync io-master");
	cr_assert_eq(o.status, 0, "%s", o.text);
	keep(&o);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
	o = galgate(&env, "sync io-local");
	cr_assert_eq(o.status, 0, "%s", o.text);
	keep(&o);
	/* (one GAL: what each side sends the other is already here) */
	cr_assert_geq(events_count(&env, 4001, "from local@hq.example.com"), 1);
	cr_assert_geq(events_count(&env, 4001, "from master@hq.example.com"), 1);

	/* cycles that fail: wrong passwords and secrets, servers down */
	reqtx("guessed-password", 2, 0);
	o = galgate(&env, "sync dirsync");
	keep(&o);
	cr_assert_eq(events_count(&env, 3156, NULL), 1);
	c_bind = conf_with(bind_file, wbind_file, "wrong-bind.conf");
	o = run("%s -c %s sync dirsync io-master", GALGATE_BINARY, c_bind);
	cr_assert_eq(o.status, 1, "%s", o.text);
	cr_assert(strstr(o.text, "Invalid credentials") != NULL, "%s", o.text);
	keep(&o);
	c_io = conf_with(io_file, wio_file, "wrong-io.conf");
	o = run("%s -c %s sync io-local", GALGATE_BINARY, c_io);
	keep(&o);
	cr_assert_eq(mail_settle(&ms, 20000), 0);
	o = galgate(&env, "sync io-master");
	keep(&o);
	cr_assert_geq(events_count(&env, 4004, NULL), 1);
	reqtx(pcm, 2, 0);
	mailserver_stop_smtp(&ms);
	o = galgate(&env, "sync dirsync io-local");
	cr_assert_eq(o.status, 1, "%s", o.text);
	keep(&o);
	mailserver_start_smtp(&ms);
	slapd_stop(&env);
	o = galgate(&env, "sync dirsync io-master io-local");
	cr_assert_eq(o.status, 1, "%s", o.text);
	keep(&o);
	o = galgate(&env, "status");
	keep(&o);
	slapd_start_again(&env);

	/* everything galgate shows */
	o = galgate(&env, "sync --dry-run dirsync io-master io-local");
	keep(&o);
	o = galgate(&env, "status --json");
	keep(&o);
	o = galgate(&env, "events --json");
	keep(&o);
	o = galgate(&env, "events");
	keep(&o);
	o = galgate(&env, "journal --json");
	keep(&o);
	o = galgate(&env, "pcmail listq dirsync");
	keep(&o);
	o = galgate(&env, "check");
	keep(&o);
	/*
	 * Last, as Dovecot then slows every login from this host down for a
	 * while: a wrong mail password.
	 */
	c_mail = conf_with(ms.password_file, wmail_file, "wrong-mail.conf");
	o = run("%s -c %s sync dirsync", GALGATE_BINARY, c_mail);
	cr_assert_eq(o.status, 1, "%s", o.text);
	cr_assert(strstr(o.text, "imap://") != NULL, "%s", o.text);
	keep(&o);
	cr_assert_eq(mail_settle(&ms, 20000), 0);

	secret[0] = bind;
	secret[1] = ms.password;
	secret[2] = pcm;
	secret[3] = io;
	secret[4] = wbind;
	secret[5] = wmail;
	secret[6] = wio;
	for (i = 0; i < 7; i++)
		cr_assert_null(strstr(said.buf, secret[i]), "secret %s in the "
		    "output:\n%s", secret[i], said.buf);
	/*
	 * The state directory (events.jsonl, audit/, metrics.prom, the LMDB
	 * files, locks/) but not slapd's own (its rootpw is the bind
	 * secret), and every message galgate sent or filed: what the
	 * requestor sent to $SYSTEM holds its password, and is left out.
	 */
	pat = fmt("%s/patterns", scratch);
	o = run("printf '%%s\\n' %s %s %s %s %s %s %s > %s", secret[0],
	    secret[1], secret[2], secret[3], secret[4], secret[5], secret[6],
	    pat);
	out_free(&o);
	c_bind[0] = '\0';
	free(c_bind);
	c_bind = fmt("%s/audit", env.dir);
	cr_assert_geq(files_named(c_bind, ".ldif"), 3, "no audit LDIF to look "
	    "into");
	o = run("ls %s/events.jsonl %s/metrics.prom %s/galgate.mdb", env.dir,
	    env.dir, env.dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = run("grep -r -a -l -F -f %s %s --exclude-dir=slapd; "
	    "grep -r -a -l -F -f %s %s/mail | grep -v '/mail/" GW_USER
	    "/\\(cur\\|new\\|tmp\\|\\.processed/.*\\)/'", pat, env.dir, pat,
	    ms.dir);
	cr_assert_str_eq(o.text, "", "secrets found in:\n%s", o.text);
	out_free(&o);
	/* where a secret is, the same search finds it */
	o = run("grep -r -a -l -F -f %s %s/slapd %s/mail/" GW_USER
	    "/.processed | wc -l", pat, env.dir, ms.dir);
	cr_assert_geq(atoi(o.text), 2, "the search finds nothing: %s", o.text);
	out_free(&o);
	/* the search did look at the mail: replies and copies are there */
	cr_assert_geq(mail_count(&ms, RQ_USER, "INBOX"), 2);
	cr_assert_geq(mail_count(&ms, "postmaster", "INBOX"), 1);
	cr_assert_geq(mail_count(&ms, GW_USER, "sent"), 2);
	free(pat);
	free(c_bind);
	free(c_mail);
	free(c_io);
	free(bind_file);
	free(pcm_file);
	free(io_file);
	free(wbind_file);
	free(wmail_file);
	free(wio_file);
	gw_buf_release(&said);
}
