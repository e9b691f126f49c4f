/*
 * Scale-out on OpenLDAP's own replication, as deploy/galgate-slapd
 * configures it: two multi-provider servers (serverID 1 and 2, each a
 * syncrepl consumer of the other) and a read-only consumer of both for
 * mail clients, on loopback.  galgate lists both providers as "uri" lines
 * and binds with a password file.  It writes through provider 1; provider
 * 1 stops; galgate writes through provider 2; the consumer, and provider 1
 * once it is back, end up with the same GAL (normalized LDIF dumps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "deploy_helpers.h"

#define NSRV	3
enum { P1, P2, CONSUMER };
static const char *const role[NSRV] = { "provider 1", "provider 2",
    "consumer" };

static struct env env;
static struct server {
	char	 dir[128];	/* env.dir/p1 ... */
	char	 uri[256];	/* ldapi, SASL EXTERNAL maps to the rootdn */
	int	 port;
	char	 opts[512];	/* galgate-slapd options */
	int	 up;
} srv[NSRV];
static char secret[128], export_dir[128];

static void
server_start(struct server *s)
{
	struct out o = run(SLAPD_LAUNCHER " start %s --suffix " SUFFIX
	    " --port %d %s", s->dir, s->port, s->opts);
	size_t len;

	cr_assert_eq(o.status, 0, "slapd %s did not start: %s", s->dir,
	    o.text);
	len = strcspn(o.text, "\n");
	cr_assert(len < sizeof(s->uri));
	memcpy(s->uri, o.text, len);
	s->uri[len] = '\0';
	s->up = 1;
	out_free(&o);
}

static void
server_stop(struct server *s)
{
	struct out o = run(SLAPD_LAUNCHER " stop %s", s->dir);

	cr_assert_eq(o.status, 0, "%s", o.text);
	s->up = 0;
	out_free(&o);
}

static void
teardown(void)
{
	struct out o;
	int i;

	/* every server, whatever happened */
	for (i = 0; i < NSRV; i++) {
		if (srv[i].dir[0] != '\0') {
			o = run(SLAPD_LAUNCHER " stop %s", srv[i].dir);
			out_free(&o);
		}
	}
	memset(srv, 0, sizeof(srv));
	env_stop(&env);
}

static void
setup(void)
{
	char conf[2048];
	struct out o;
	int i;

	/* the directory and secrets first, the config once ports are known */
	env_prepare(&env, "");
	for (i = 0; i < NSRV; i++) {
		snprintf(srv[i].dir, sizeof(srv[i].dir), "%s/%s", env.dir,
		    i == P1 ? "p1" : i == P2 ? "p2" : "c");
		srv[i].port = test_port();
	}
	/* the replicas' shared rootdn password, galgate's bind password */
	snprintf(secret, sizeof(secret), "%s/repl.secret", env.dir);
	write_file(secret, "repl-T3st-secret", 0600);
	snprintf(srv[P1].opts, sizeof(srv[P1].opts), "--serverid 1 --peer "
	    "ldap://127.0.0.1:%d --rootpw-file %s", srv[P2].port, secret);
	snprintf(srv[P2].opts, sizeof(srv[P2].opts), "--serverid 2 --peer "
	    "ldap://127.0.0.1:%d --rootpw-file %s", srv[P1].port, secret);
	snprintf(srv[CONSUMER].opts, sizeof(srv[CONSUMER].opts),
	    "--consumer-of ldap://127.0.0.1:%d --consumer-of "
	    "ldap://127.0.0.1:%d --rootpw-file %s", srv[P1].port,
	    srv[P2].port, secret);
	for (i = 0; i < NSRV; i++)
		server_start(&srv[i]);

	/* a cc:Mail export galgate syncs, which the test changes later */
	snprintf(export_dir, sizeof(export_dir), "%s/export", env.dir);
	o = run("mkdir %s %s/import && cp " CCMAIL_SAMPLES "/*.exp %s",
	    export_dir, env.dir, export_dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	snprintf(conf, sizeof(conf),
	    "[gal]\n"
	    "uri = ldap://127.0.0.1:%d\n"
	    "uri = ldap://127.0.0.1:%d\n"
	    "bind_dn = cn=admin," SUFFIX "\n"
	    "bind_password_file = %s\n"
	    "suffix = " SUFFIX "\norganization = Contoso\nsite = HQ\n"
	    "state_dir = %s\n\n"
	    "[connector ccmail]\ntype = ccmail\n"
	    "export_dir = %s\nimport_dir = %s/import\n"
	    "post_office = EXSITE1\n"
	    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
	    "smtp_template = %%g.%%s@ccmail.contoso.example\n",
	    srv[P1].port, srv[P2].port, secret, env.dir, export_dir, env.dir);
	write_file(env.conf, conf, 0600);
}

/* The whole GAL of a server as its rootdn reads it, normalized.  The
 * entryUUID and entryCSN of every entry are part of it: replicas hold
 * the same entries, not look-alikes. */
static char *
dump(const struct server *s)
{
	struct out o = run("ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL "
	    "-H '%s' -b " SUFFIX " '(objectClass=*)' '*' entryUUID entryCSN",
	    s->uri);
	char *n;

	cr_assert(o.status == 0 || o.status == 32, "%s: %s", s->dir, o.text);
	n = ldif_normalize(o.text);
	out_free(&o);
	return n;
}

/* Waits until every running server's dump equals the reference's. */
static char *
converge(const struct server *ref, const char *what)
{
	char *want = NULL, *got;
	int tries, i, same = 0;

	for (tries = 0; tries < 150 && !same; tries++) {
		if (tries > 0)
			usleep(200 * 1000);
		free(want);
		want = dump(ref);
		same = 1;
		for (i = 0; i < NSRV && same; i++) {
			if (!srv[i].up || &srv[i] == ref)
				continue;
			got = dump(&srv[i]);
			same = strcmp(got, want) == 0;
			if (!same && tries == 149)
				cr_log_error("%s: %s differs from the "
				    "reference:\n%s\n---\n%s", what, role[i],
				    got, want);
			free(got);
		}
	}
	cr_assert(same, "%s: the servers did not converge in 30 s", what);
	return want;
}

/* The serverID in an entry's entryCSN: which provider took the write. */
static int
written_by(const struct server *s, const char *dn)
{
	struct out o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -s base "
	    "-b '%s' entryCSN", s->uri, dn);
	const char *p = strstr(o.text, "entryCSN: ");
	unsigned sid = 0;
	char csn[64];

	cr_assert_not_null(p, "%s: %s", dn, o.text);
	cr_assert_eq(sscanf(p, "entryCSN: %63[^#]#%*[^#]#%x#", csn, &sid), 2,
	    "%s", o.text);
	out_free(&o);
	return (int)sid;
}

static void
append_export(const char *record)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/Ccmdir.exp", export_dir);
	fp = fopen(path, "a");
	cr_assert_not_null(fp);
	fputs(record, fp);
	fclose(fp);
}

#define SMITH	"cn=Smith\\2C Jimmy,cn=ccMail," BASE
#define NORA	"cn=Newcomer\\2C Nora,cn=ccMail," BASE

Test(replication, galgate_fails_over_and_every_server_holds_the_same_gal,
    .fini = teardown, .timeout = 240)
{
	char *before, *after, *p1, *c, *path;
	struct out o;

	setup();
	/* galgate's writes go to the first provider */
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "sync ccmail");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "10 added") != NULL, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "journal --json");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(count_of(o.text, "\"usn\"") >= 15, "%s", o.text);
	out_free(&o);
	cr_assert_eq(written_by(&srv[P1], SMITH), 1);
	before = converge(&srv[P1], "after the sync through provider 1");
	cr_assert(strstr(before, "dn: " SMITH "\n") != NULL, "%s", before);

	/* provider 1 goes down; galgate carries on with provider 2 */
	server_stop(&srv[P1]);
	append_export("\r\nName: Newcomer, Nora\r\nLocn: L\r\n"
	    "Comments: joined while ldap1 was down\r\n");
	o = galgate(&env, "sync ccmail");
	cr_assert_eq(o.status, 0, "galgate did not fail over: %s", o.text);
	cr_assert(strstr(o.text, "1 added") != NULL, "%s", o.text);
	out_free(&o);
	cr_assert_eq(written_by(&srv[P2], NORA), 2,
	    "the new entry was not written by provider 2");
	o = galgate(&env, "journal --json");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "Newcomer") != NULL, "%s", o.text);
	out_free(&o);
	/* an administrator hides a recipient, through provider 2 */
	path = env_file(&env, "hide.ldif", "dn: " NORA "\nchangetype: modify\n"
	    "replace: galgateHidden\ngalgateHidden: TRUE\n\n"
	    "dn: cn=Hidden\\, Harry," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: Hidden, Harry\nsn: Hidden\nmail: harry@contoso.example\n"
	    "galgateHidden: TRUE\n");
	o = run("ldapmodify -x -H ldap://127.0.0.1:%d -D cn=admin," SUFFIX
	    " -y %s -f %s", srv[P2].port, secret, path);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	free(path);

	/* the consumer follows provider 2 alone, and refuses writes */
	after = converge(&srv[P2], "after the writes through provider 2");
	cr_assert(strstr(after, "dn: " NORA "\n") != NULL, "%s", after);
	cr_assert(strstr(after, "dn: cn=Hidden\\2C Harry,") != NULL, "%s",
	    after);
	cr_assert(strcmp(after, before) != 0);
	o = run("printf 'dn: cn=x," SUFFIX "\\nobjectClass: organizationalRole"
	    "\\ncn: x\\n' | ldapadd -Q -Y EXTERNAL -H '%s'",
	    srv[CONSUMER].uri);
	cr_assert_eq(o.status, 10, "the consumer took a write: %s", o.text);
	out_free(&o);
	/* mail clients on the consumer find the replicated recipients but
	 * not the hidden ones */
	o = run("ldapsearch -x -LLL -H ldap://127.0.0.1:%d -b '' -z 100 "
	    "'(|(cn=smi*)(mail=smi*)(sn=smi*))' mail", srv[CONSUMER].port);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "mail: jimmy.smith@ccmail.contoso.example")
	    != NULL, "%s", o.text);
	out_free(&o);
	o = run("ldapsearch -x -LLL -H ldap://127.0.0.1:%d -b '' -z 100 "
	    "'(|(cn=h*)(cn=newc*)(mail=newc*)(sn=newc*)(galgateHidden=TRUE))' "
	    "1.1", srv[CONSUMER].port);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(count_of(o.text, "dn:"), 0, "%s", o.text);
	out_free(&o);

	/* provider 1 comes back and catches up: all three are the same */
	server_start(&srv[P1]);
	p1 = converge(&srv[P2], "after provider 1 came back");
	c = dump(&srv[CONSUMER]);
	cr_assert_str_eq(c, p1);
	free(c);
	c = dump(&srv[P1]);
	cr_assert_str_eq(c, p1);
	free(c);
	/* and galgate, back on provider 1, sees no change it missed */
	o = galgate(&env, "sync ccmail");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, " 0 added, 0 modified, 0 deleted") != NULL,
	    "%s", o.text);
	out_free(&o);
	free(before);
	free(after);
	free(p1);
}
