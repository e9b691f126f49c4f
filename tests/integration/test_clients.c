/*
 * Mail clients against a GAL synced by galgate: the exact filters
 * Thunderbird, Outlook, Evolution, Roundcube and Apple Contacts send, as
 * anonymous clients, with their size limits, on the slapd configuration
 * deploy/galgate-slapd generates.  The server refuses any search whose
 * candidate set exceeds 200 entries (--unchecked-limit, limits
 * size.unchecked) in a GAL of about 300: a filter that cannot use the
 * indexes fails with adminLimitExceeded instead of quietly scanning, so
 * these tests also show that every client filter is served by an index.
 *
 * Servers are started in the test body, not in .init: Criterion runs
 * .fini only after the body, so a failure there still stops them.
 *
 * And the example ACL set (deploy/acl/connectors.conf): a connector bound
 * as its own identity writes its import container (galgate sync works)
 * and nothing else (ldapmodify is refused).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "deploy_helpers.h"

#define CCBASE		"cn=ccMail," BASE
#define UNCHECKED	200

static struct env env;

static const char *ccmail_conf =
    "[connector ccmail]\n"
    "type = ccmail\n"
    "export_dir = " CCMAIL_SAMPLES "\n"
    "import_dir = @DIR@/import\n"
    "post_office = EXSITE1\n"
    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "smtp_template = %g.%s@ccmail.contoso.example\n";

/* Recipients an administrator made in cn=Recipients. */
static void
add_recipient(FILE *fp, const char *alias, const char *sn,
    const char *given, const char *mail, int hidden)
{
	fprintf(fp, "dn: cn=%s\\, %s," RCPT "\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: %s, %s\nsn: %s\n"
	    "givenName: %s\ndisplayName: %s, %s\nmailNickname: %s\n"
	    "galgateRecipientType: mailbox\n", sn, given, sn, given, sn,
	    given, sn, given, alias);
	if (mail != NULL)
		fprintf(fp, "mail: %s\ngalgateProxyAddress: SMTP:%s\n", mail,
		    mail);
	if (hidden)
		fprintf(fp, "galgateHidden: TRUE\n");
	fprintf(fp, "\n");
}

static void
make_gal(const char *slapd_opts)
{
	char path[256], mail[128], alias[32], sn[32];
	struct out o;
	FILE *fp;
	int i;

	env_start(&env, ccmail_conf, slapd_opts);
	snprintf(path, sizeof(path), "%s/import", env.dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);

	snprintf(path, sizeof(path), "%s/recipients.ldif", env.dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	add_recipient(fp, "AJones", "Jones", "Ann", "ann.jones@contoso.example",
	    0);
	add_recipient(fp, "WSmithers", "Smithers", "Waylon",
	    "waylon.smithers@contoso.example", 0);
	add_recipient(fp, "NSmitty", "Smitty", "Nomail", NULL, 0);
	add_recipient(fp, "SSmithson", "Smithson", "Sarah",
	    "sarah.smithson@contoso.example", 1);
	/* 120 temporary staff: more than Outlook's 100 for one term */
	for (i = 0; i < 120; i++) {
		snprintf(alias, sizeof(alias), "Temp%03d", i);
		snprintf(sn, sizeof(sn), "Tempworker%03d", i);
		snprintf(mail, sizeof(mail), "temp%03d@agency.example", i);
		add_recipient(fp, alias, sn, "Agency", mail, 0);
	}
	/* and enough others that a full scan exceeds the unchecked limit */
	for (i = 0; i < 160; i++) {
		snprintf(alias, sizeof(alias), "Zz%03d", i);
		snprintf(sn, sizeof(sn), "Zzyzx%03d", i);
		snprintf(mail, sizeof(mail), "zz%03d@contoso.example", i);
		add_recipient(fp, alias, sn, "Quentin", mail, 0);
	}
	fclose(fp);
	o = run("ldapadd -Q -Y EXTERNAL -H '%s' -f %s", env.uri, path);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

/* The cc:Mail samples, synced by galgate with the given config. */
static void
sync_samples(const char *conf)
{
	struct out o = run(GALGATE_BINARY " -c %s sync ccmail", conf);

	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "10 added") != NULL, "%s", o.text);
	out_free(&o);
}

static void
setup(void)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "--unchecked-limit %d", UNCHECKED);
	make_gal(opts);
	sync_samples(env.conf);
}

static void
teardown(void)
{
	env_stop(&env);
}

struct hits {
	int	 status;	/* ldapsearch's: 0, 4 size limit exceeded... */
	size_t	 n;		/* entries returned */
	char	*aliases;	/* their mailNickname values, sorted */
};

/*
 * An anonymous search as a mail client makes it: base (may be ""),
 * filter, size limit (0: none).  Fails the test if the server refused
 * the search as unindexed.
 */
static struct hits
client_search(const char *base, const char *filter, int sizelimit)
{
	char *qb = shq(base), *qf = shq(filter);
	struct out o = run("ldapsearch -x -LLL -o ldif-wrap=no -H '%s' "
	    "-b %s -s sub -z %d %s cn mail displayName givenName sn "
	    "mailNickname", env.uri, qb, sizelimit, qf);
	struct hits h;

	h.status = o.status;
	h.n = count_of(o.text, "dn:");
	h.aliases = ldif_values(o.text, "mailNickname");
	cr_assert_neq(o.status, 11, "unindexed: %s refused by the unchecked "
	    "limit: %s", filter, o.text);
	cr_log_info("%s -> %s (%d)", filter, h.aliases, h.status);
	free(qb);
	free(qf);
	out_free(&o);
	return h;
}

/* The client's filter for what the user typed; checks who it finds. */
static void
expect(const char *base, const char *tmpl, const char *typed,
    int sizelimit, const char *aliases)
{
	char *f = client_filter(tmpl, typed);
	struct hits h = client_search(base, f, sizelimit);

	cr_expect_eq(h.status, 0, "%s: status %d", f, h.status);
	cr_expect_str_eq(h.aliases, aliases, "%s typed, filter %s", typed, f);
	free(h.aliases);
	free(f);
}

#define THUNDERBIRD	"(|(cn=%v1*%v2-*)(mail=%v1*%v2-*)(sn=%v1*%v2-*))"
#define OUTLOOK		"(&(mail=*)(|(mail=%s*)(|(cn=%s*)(|(sn=%s*)(givenName=%s*)))))"
#define EVOLUTION	"(|(cn=%s*)(sn=%s*))"
#define ROUNDCUBE	"(|(mail=*%s*)(cn=*%s*))"
/* Address Book (Leopard) sends equality; newer Contacts sends prefixes */
#define APPLE_EQ	"(|(givenName=%s)(sn=%s)(cn=%s)(mail=%s))"
#define APPLE		"(|(givenName=%s*)(sn=%s*)(cn=%s*)(mail=%s*))"

Test(clients, thunderbird_autocomplete, .fini = teardown)
{
	char *f;

	setup();
	/* one word: the hidden Smithson stays out */
	f = client_filter(THUNDERBIRD, "smi");
	cr_assert_str_eq(f, "(|(cn=smi*)(mail=smi*)(sn=smi*))");
	free(f);
	expect(BASE, THUNDERBIRD, "smi", 100, "NSmitty SmithJimmy WSmithers");
	/* two words: "Smith, Jimmy" is cn=smi*jim* */
	f = client_filter(THUNDERBIRD, "smi jim");
	cr_assert_str_eq(f, "(|(cn=smi*jim*)(mail=smi*jim*)(sn=smi*jim*))");
	free(f);
	expect(BASE, THUNDERBIRD, "smi jim", 100, "SmithJimmy");
	/* an address; UTF-8 and an apostrophe in names */
	expect(BASE, THUNDERBIRD, "ann.jo", 100, "AJones");
	expect(BASE, THUNDERBIRD, "M\xc3\xbcl", 100, "MullerJurgen");
	/* the given name of a "Last, First" name, which cn also holds
	 * first: Thunderbird's filter has no givenName, and the address
	 * holds it transliterated (jurgen.muller@) */
	expect(BASE, THUNDERBIRD, "J\xc3\xbcr", 100, "MullerJurgen");
	expect(BASE, THUNDERBIRD, "o'br", 100, "OBrienSiobhan");
	expect(BASE, THUNDERBIRD, "xyzzy", 100, "");
}

Test(clients, outlook_with_its_size_limit, .fini = teardown)
{
	struct hits h;
	char *f;

	setup();
	/* (mail=*): Smitty without an address and the lists stay out */
	expect(SUFFIX, OUTLOOK, "smi", 100, "SmithJimmy WSmithers");
	expect(SUFFIX, OUTLOOK, "jef", 100, "GrewalJeff");
	expect(SUFFIX, OUTLOOK, "sal", 100, "");
	/* 120 match: Outlook gets its 100 and "size limit exceeded" */
	f = client_filter(OUTLOOK, "tempw");
	h = client_search(SUFFIX, f, 100);
	cr_assert_eq(h.status, 4, "%s: status %d", f, h.status);
	cr_assert_eq(h.n, 100, "%s: %zu entries", f, h.n);
	free(h.aliases);
	free(f);
	/* a term that narrows it down */
	expect(SUFFIX, OUTLOOK, "tempworker07", 100,
	    "Temp070 Temp071 Temp072 Temp073 Temp074 Temp075 Temp076 "
	    "Temp077 Temp078 Temp079");
}

Test(clients, evolution, .fini = teardown)
{
	setup();
	/* lists have no address but are found by name */
	expect(BASE, EVOLUTION, "sal", 100, "SalesTeam");
	expect(BASE, EVOLUTION, "gre", 100, "GrewalJeff");
	expect(BASE, EVOLUTION, "smithe", 100, "WSmithers");
	expect(BASE, EVOLUTION, "smiths", 100, "");
	expect(BASE, EVOLUTION, "Lef\xc3\xa8v", 100, "LefevreAmelie");
}

Test(clients, roundcube_searches_inside_values, .fini = teardown)
{
	setup();
	/* "mit" at odd and even offsets of cn and mail */
	expect(BASE, ROUNDCUBE, "mit", 100, "NSmitty SmithJimmy WSmithers");
	expect(BASE, ROUNDCUBE, "ewa", 100, "GrewalJeff");
	expect(BASE, ROUNDCUBE, "ones", 100, "AJones");
	expect(BASE, ROUNDCUBE, "warrior", 100, "RoadWarriorPat");
	expect(BASE, ROUNDCUBE, "amelie.l", 100, "LefevreAmelie");
}

Test(clients, apple_contacts_with_an_empty_search_base, .fini = teardown)
{
	struct out o;

	setup();
	/* the default search base answers for "" */
	expect("", APPLE_EQ, "Jones", 0, "AJones");
	expect("", APPLE_EQ, "jimmy.smith@ccmail.contoso.example", 0,
	    "SmithJimmy");
	expect("", APPLE, "gre", 0, "GrewalJeff");
	expect("", APPLE, "smiths", 0, "");
	/* while a base search of "" still reads the root DSE */
	o = run("ldapsearch -x -LLL -H '%s' -s base -b '' namingContexts",
	    env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "namingContexts: " SUFFIX) != NULL, "%s",
	    o.text);
	out_free(&o);
}

Test(clients, unindexed_searches_are_refused, .fini = teardown)
{
	struct out o;

	setup();
	/* the guard the other tests rely on: these scan the whole GAL */
	o = run("ldapsearch -x -LLL -H '%s' -b " SUFFIX " -z 100 "
	    "'(description=*cc:Mail*)' 1.1", env.uri);
	cr_assert_eq(o.status, 11, "not refused: %s", o.text);
	out_free(&o);
	/* two characters inside a value are below the index's length */
	o = run("ldapsearch -x -LLL -H '%s' -b " SUFFIX " -z 100 "
	    "'(|(mail=*mi*)(cn=*mi*))' 1.1", env.uri);
	cr_assert_eq(o.status, 11, "not refused: %s", o.text);
	out_free(&o);
	/* galgate's own identity (the rootdn) has no such limit */
	o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b " SUFFIX " "
	    "'(description=*cc:Mail*)' 1.1", env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(count_of(o.text, "dn:"), 1, "%s", o.text);
	out_free(&o);
}

#define HIDDEN	"cn=Smithson\\, Sarah," RCPT

Test(clients, hidden_recipients_are_invisible_to_clients, .fini = teardown)
{
	struct out o;
	char *f;

	setup();
	/* not found by name, address or anything else */
	f = client_filter(ROUNDCUBE, "smithson");
	o = run("ldapsearch -x -LLL -H '%s' -b " SUFFIX " '%s' 1.1", env.uri,
	    f);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(count_of(o.text, "dn:"), 0, "%s", o.text);
	out_free(&o);
	free(f);
	o = run("ldapsearch -x -LLL -H '%s' -b " SUFFIX " '(galgateHidden="
	    "TRUE)' 1.1", env.uri);
	cr_assert_eq(count_of(o.text, "dn:"), 0, "%s", o.text);
	out_free(&o);
	/* nor read by its DN: it does not exist for the client */
	o = run("ldapsearch -x -LLL -H '%s' -s base -b '" HIDDEN "' 1.1",
	    env.uri);
	cr_assert_eq(o.status, 32, "%s", o.text);
	out_free(&o);
	/* the rootdn, which galgate binds as, sees it ... */
	o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -s base -b '" HIDDEN
	    "' galgateHidden", env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "galgateHidden: TRUE") != NULL, "%s", o.text);
	out_free(&o);
	/* ... and so galgate's journal has it */
	o = galgate(&env, "journal");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "cn=Smithson\\2C Sarah") != NULL ||
	    strstr(o.text, "cn=Smithson\\, Sarah") != NULL, "%s", o.text);
	out_free(&o);
}

/* ---- the example ACL set: connectors bound as their own identity ---- */

#define CONNECTORS	"ou=Connectors," SUFFIX
#define CCMAIL_ID	"cn=ccmail," CONNECTORS
#define JONES		"cn=Jones\\, Ann," RCPT

static char ccmail_pw[128];

static void
setup_acl(void)
{
	char conf[2048], path[512], *p;
	struct out o;

	make_gal("--acl " GALGATE_SOURCE_DIR "/deploy/acl/connectors.conf");
	/* the identities as deploy/acl/identities.ldif says: the LDIF, then
	 * ldappasswd with the connector's password file */
	snprintf(ccmail_pw, sizeof(ccmail_pw), "%s/ccmail.secret", env.dir);
	write_file(ccmail_pw, "cc-connector-secret", 0600);
	o = run("sed -e 's/dc=contoso,dc=example/" SUFFIX "/' "
	    GALGATE_SOURCE_DIR "/deploy/acl/identities.ldif | "
	    "ldapadd -Q -Y EXTERNAL -H '%s' && "
	    "ldappasswd -Q -Y EXTERNAL -H '%s' -T %s '" CCMAIL_ID "'",
	    env.uri, env.uri, ccmail_pw);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	/* a second galgate config: the ccmail connector's own identity */
	snprintf(conf, sizeof(conf), "[gal]\nsuffix = " SUFFIX "\n"
	    "organization = Contoso\nsite = HQ\nstate_dir = %s\n"
	    "uri = %s\nbind_dn = " CCMAIL_ID "\nbind_password_file = %s\n\n"
	    "%s", env.dir, env.uri, ccmail_pw, ccmail_conf);
	p = strstr(conf, "@DIR@");
	cr_assert_not_null(p);
	snprintf(path, sizeof(path), "%s", p + 5);
	snprintf(p, sizeof(conf) - (size_t)(p - conf), "%s%s", env.dir, path);
	snprintf(path, sizeof(path), "%s/ccmail.conf", env.dir);
	write_file(path, conf, 0600);
}

/* ldapmodify as the ccmail connector's identity */
static struct out
as_ccmail(const char *ldif)
{
	char *path = env_file(&env, "ccmail.ldif", ldif);
	struct out o = run("ldapmodify -x -D '" CCMAIL_ID "' -y %s -H '%s' "
	    "-f %s", ccmail_pw, env.uri, path);

	free(path);
	return o;
}

Test(acl, connector_identity_writes_only_its_import_container,
    .fini = teardown)
{
	char conf[128];
	struct out o;

	setup_acl();
	/* galgate, bound as the connector, syncs into its own container */
	snprintf(conf, sizeof(conf), "%s/ccmail.conf", env.dir);
	sync_samples(conf);
	o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b '" CCBASE "' "
	    "'(galgateConnector=ccmail)' creatorsName", env.uri);
	cr_assert_eq(count_of(o.text, "creatorsName: " CCMAIL_ID), 10, "%s",
	    o.text);
	out_free(&o);
	/* its journal polls wrote its own marker, which no client sees */
	o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b '" SUFFIX "' "
	    "'(objectClass=galgateJournalMarker)' creatorsName", env.uri);
	cr_assert(strstr(o.text, "dn: cn=galgate journal marker," CCMAIL_ID)
	    != NULL, "%s", o.text);
	cr_assert_eq(count_of(o.text, "creatorsName: " CCMAIL_ID), 1, "%s",
	    o.text);
	out_free(&o);
	o = run("ldapsearch -x -LLL -H '%s' -b '" SUFFIX "' '(|(objectClass="
	    "galgateJournalMarker)(cn=galgate*))' 1.1", env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(count_of(o.text, "dn:"), 0, "%s", o.text);
	out_free(&o);
	o = as_ccmail("dn: cn=Smith\\, Jimmy," CCBASE "\nchangetype: modify\n"
	    "replace: description\ndescription: changed by the connector\n");
	cr_assert_eq(o.status, 0, "own container: %s", o.text);
	out_free(&o);

	/* outside it: modify, add and delete are all refused */
	o = as_ccmail("dn: " JONES "\nchangetype: modify\nreplace: mail\n"
	    "mail: stolen@evil.example\n");
	cr_assert_eq(o.status, 50, "modify outside: %s", o.text);
	cr_assert(strstr(o.text, "Insufficient access") != NULL, "%s", o.text);
	out_free(&o);
	o = as_ccmail("dn: cn=Intruder," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\ncn: Intruder\nsn: Intruder\n");
	cr_assert_eq(o.status, 50, "add outside: %s", o.text);
	out_free(&o);
	o = as_ccmail("dn: " JONES "\nchangetype: delete\n");
	cr_assert_eq(o.status, 50, "delete outside: %s", o.text);
	out_free(&o);
	o = as_ccmail("dn: " CONNECTORS "\nchangetype: modify\n"
	    "replace: description\ndescription: x\n");
	cr_assert_eq(o.status, 50, "identities: %s", o.text);
	out_free(&o);

	/* and the entry is as the administrator made it */
	o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -s base -b '" JONES
	    "' mail", env.uri);
	cr_assert(strstr(o.text, "mail: ann.jones@contoso.example") != NULL,
	    "%s", o.text);
	out_free(&o);
}

Test(acl, identities_and_hidden_recipients_stay_out_of_the_address_book,
    .fini = teardown)
{
	struct out o;

	setup_acl();
	/* the connector sees hidden recipients (it must not export them by
	 * mistake, nor re-create them) */
	o = run("ldapsearch -x -LLL -D '" CCMAIL_ID "' -y %s -H '%s' -b "
	    SUFFIX " '(galgateHidden=TRUE)' 1.1", ccmail_pw, env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(count_of(o.text, "dn:"), 1, "%s", o.text);
	out_free(&o);
	/* an anonymous client sees neither them nor the identities */
	o = run("ldapsearch -x -LLL -H '%s' -b " SUFFIX " '(|(galgateHidden="
	    "TRUE)(objectClass=simpleSecurityObject)(ou=Connectors))' 1.1",
	    env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(count_of(o.text, "dn:"), 0, "%s", o.text);
	out_free(&o);
	/* nor anyone's password, the connector's own included */
	o = run("ldapsearch -x -LLL -D '" CCMAIL_ID "' -y %s -H '%s' -s base "
	    "-b '" CCMAIL_ID "' userPassword cn", ccmail_pw, env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "cn: ccmail") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "userPassword") == NULL, "%s", o.text);
	out_free(&o);
	/* a wrong password does not bind */
	o = run("echo wrong > %s/wrong && chmod 600 %s/wrong && ldapwhoami -x "
	    "-D '" CCMAIL_ID "' -y %s/wrong -H '%s'", env.dir, env.dir, env.dir,
	    env.uri);
	cr_assert_eq(o.status, 49, "%s", o.text);
	out_free(&o);
	/* mail clients still find the rest */
	o = run("ldapsearch -x -LLL -H '%s' -b " SUFFIX " '(sn=Jones)' 1.1",
	    env.uri);
	cr_assert_eq(count_of(o.text, "dn:"), 1, "%s", o.text);
	out_free(&o);
}
