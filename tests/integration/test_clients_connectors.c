/*
 * One recipient: a person brought by each connector looks the same to
 * every mail client.  One GAL filled by all three connectors, one person
 * each (three_gal.h), with MS Mail's smtp_template.  Each is then searched
 * anonymously with the exact filters of Thunderbird, Outlook, Evolution,
 * Roundcube and Apple Contacts, each by what its filter searches, and
 * with lbdb's mutt_ldap_query; each must show the display name (the
 * first cn value and displayName) and give the address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "deploy_helpers.h"
#include "three_gal.h"

static struct three_gal three;

struct person {
	const char	*connector;
	const char	*display;	/* what every client must show */
	const char	*mail;
	const char	*sn, *given;	/* the starts a user types */
	const char	*inner;		/* a piece inside the name */
	const char	*surname;	/* typed whole, for mutt_ldap_query */
	const char	*realname;	/* mutt_ldap_query's "givenName sn" */
};

static const struct person people[] = {
	{ "cc:Mail", "M\xc3\xbcller, J\xc3\xbcrgen",
	    "jurgen.muller@ccmail.contoso.example", "M\xc3\xbcl",
	    "J\xc3\xbcr", "\xc3\xbclle", "M\xc3\xbcller",
	    "J\xc3\xbcrgen M\xc3\xbcller" },
	{ "MS Mail", "Okafor, Chidi", "chidi.okafor@msmail.contoso.example",
	    "Oka", "Chi", "kafo", "Okafor", "Chidi Okafor" },
	{ "InterOrg", "Lindqvist, Maja", "maja.lindqvist@fabrikam.example",
	    "Lin", "Maj", "ndqvi", "Lindqvist", "Maja Lindqvist" },
};

static void
teardown(void)
{
	three_gal_stop(&three);
}

/* The GAL, filled by the three connectors. */
static void
fill_gal(void)
{
	char *conf = three_gal_conf(1);

	three_gal_start(&three, conf);
	free(conf);
	three_gal_fill(&three);
}

/*
 * An anonymous search, values decoded as a client shows them (ldapsearch
 * writes a value with non-ASCII bytes base64'd).  *status: ldapsearch's.
 */
static char *
search(const char *base, const char *filter, int sizelimit, int *status)
{
	char *qb = shq(base), *qf = shq(filter);
	struct out o = run("ldapsearch -x -LLL -o ldif-wrap=no -H '%s' -b %s "
	    "-s sub -z %d %s cn displayName mail >%s/found; st=$?; perl "
	    "-MMIME::Base64 -ne 'if (/^(\\w+):: (.*)/) { print \"$1: \", "
	    "decode_base64($2), \"\\n\" } else { print }' %s/found; exit $st",
	    three.gal.uri, qb, sizelimit, qf, three.gal.dir, three.gal.dir);
	char *text = o.text;

	*status = o.status;
	free(qb);
	free(qf);
	return text;
}

/* The entry of p in an LDIF text: its dn: line on, or NULL. */
static const char *
entry_of(const char *text, const struct person *p)
{
	char want[160];
	const char *e;

	snprintf(want, sizeof(want), "\nmail: %s\n", p->mail);
	if ((e = strstr(text, want)) == NULL)
		return NULL;
	while (e > text && strncmp(e, "dn:", 3) != 0)
		e--;
	return e;
}

/* Its first cn value and its displayName are p's display name. */
static void
shows_name(const char *client, const char *e, const struct person *p)
{
	const char *end = strstr(e, "\n\n"), *cn = strstr(e, "\ncn: ");
	char want[160];

	cr_assert(cn != NULL && (end == NULL || cn < end), "%s", e);
	snprintf(want, sizeof(want), "\ncn: %s\n", p->display);
	cr_assert(strncmp(cn, want, strlen(want)) == 0, "%s shows the %s user "
	    "%s as '%.*s'", client, p->connector, p->display,
	    (int)strcspn(cn + 5, "\n"), cn + 5);
	snprintf(want, sizeof(want), "\ndisplayName: %s\n", p->display);
	cr_assert(strstr(e, want) != NULL && (end == NULL ||
	    strstr(e, want) < end), "%s: no displayName %s:\n%s", client,
	    p->display, e);
}

/* The client's filter for what the user typed finds p, named as p. */
static void
finds(const char *client, const char *base, const char *tmpl,
    const char *typed, const struct person *p)
{
	char *f = client_filter(tmpl, typed), *text;
	const char *e;
	int st;

	text = search(base, f, 100, &st);
	cr_assert(st == 0 || st == 4, "%s: %s: exit %d: %s", client, f, st,
	    text);
	e = entry_of(text, p);
	cr_assert_not_null(e, "%s does not find the %s user %s when the user "
	    "types '%s' (filter %s):\n%s", client, p->connector, p->display,
	    typed, f, text);
	shows_name(client, e, p);
	cr_log_info("%s, '%s': %s found", client, typed, p->display);
	free(f);
	free(text);
}

#define THUNDERBIRD	"(|(cn=%v1*%v2-*)(mail=%v1*%v2-*)(sn=%v1*%v2-*))"
#define OUTLOOK		"(&(mail=*)(|(mail=%s*)(|(cn=%s*)(|(sn=%s*)(givenName=%s*)))))"
#define EVOLUTION	"(|(cn=%s*)(sn=%s*))"
#define ROUNDCUBE	"(|(mail=*%s*)(cn=*%s*))"
#define APPLE		"(|(givenName=%s*)(sn=%s*)(cn=%s*)(mail=%s*))"

/* Its entry by address: one, named by its display name. */
static void
shows(const struct person *p)
{
	char filter[160], *text;
	const char *e;
	int st;

	snprintf(filter, sizeof(filter), "(mail=%s)", p->mail);
	text = search(SUFFIX, filter, 0, &st);
	cr_assert_eq(st, 0, "%s", text);
	cr_assert_eq(count_of(text, "dn:"), 1, "%s: %s", p->mail, text);
	e = entry_of(text, p);
	cr_assert_not_null(e, "%s", text);
	shows_name("the GAL", e, p);
	free(text);
}

/*
 * lbdb's LDAP query, as mutt runs it ("query_command"), anonymously,
 * configured as its manual page shows (Debian's /etc/lbdb_ldap.rc would
 * make the address ${uid}@debian.org).
 */
static void
mutt_finds(const struct person *p)
{
	char want[256], *q = shq(p->surname);
	struct out o = run("HOME=%s mutt_ldap_query --lbdb_output "
	    "--server='%s' --search_base='%s' --search_fields='givenname sn "
	    "cn mail' --expected_answers='givenname sn mail' "
	    "--format_email='${mail}' --format_realname='${givenname} ${sn}' "
	    "%s", three.gal.dir, three.gal.uri, SUFFIX, q);

	snprintf(want, sizeof(want), "%s\t%s\t", p->mail, p->realname);
	cr_assert(strstr(o.text, want) != NULL, "mutt_ldap_query %s: the %s "
	    "user (%s) not found (exit %d):\n%s", p->surname, p->connector,
	    want, o.status, o.text);
	free(q);
	out_free(&o);
}

Test(one_recipient, each_connectors_person_looks_the_same_to_every_client,
    .fini = teardown, .timeout = 180)
{
	size_t i;

	fill_gal();
	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		const struct person *p = &people[i];
		char addr[64];

		shows(p);
		snprintf(addr, sizeof(addr), "%.9s", p->mail);
		/* Thunderbird: cn, mail, sn; the given name via cn */
		finds("Thunderbird", BASE, THUNDERBIRD, p->sn, p);
		finds("Thunderbird", BASE, THUNDERBIRD, p->given, p);
		finds("Thunderbird", BASE, THUNDERBIRD, addr, p);
		/* Outlook: only those with an address */
		finds("Outlook", SUFFIX, OUTLOOK, p->sn, p);
		finds("Outlook", SUFFIX, OUTLOOK, p->given, p);
		finds("Outlook", SUFFIX, OUTLOOK, addr, p);
		/* Evolution: the start of the surname */
		finds("Evolution", SUFFIX, EVOLUTION, p->sn, p);
		/* Roundcube: any piece of the name, or of the address */
		finds("Roundcube", SUFFIX, ROUNDCUBE, p->inner, p);
		finds("Roundcube", SUFFIX, ROUNDCUBE, addr + 2, p);
		/* Apple Contacts: with an empty search base */
		finds("Apple Contacts", "", APPLE, p->sn, p);
		finds("Apple Contacts", "", APPLE, p->given, p);
		finds("Apple Contacts", "", APPLE, addr, p);
		mutt_finds(p);
	}
}

/*
 * FORMATS.md's one split: a display name without a comma is all surname,
 * with no given name, whichever connector brings it.  (An InterOrg
 * sender always sends its entry's own sn, as inetOrgPerson has one.)
 */
Test(one_recipient, a_name_without_a_comma_splits_alike_in_every_connector,
    .fini = teardown, .timeout = 180)
{
	char *conf = three_gal_conf(1), *local, *p, *text;
	const char *e;
	struct out o;
	int st, n = 0;

	/* cc:Mail reads a copy of the sample export with one user more */
	cr_assert_not_null(p = strstr(conf, CCMAIL_SAMPLES));
	cr_assert(asprintf(&local, "%.*s@DIR@/export%s", (int)(p - conf), conf,
	    p + strlen(CCMAIL_SAMPLES)) > 0);
	three_gal_start(&three, local);
	free(local);
	free(conf);
	o = run("mkdir %s/export && cp " CCMAIL_SAMPLES "/* %s/export/ && "
	    "printf '\\r\\n\\r\\nName: Zhang Wei\\r\\nLocn: L\\r\\n' "
	    ">> %s/export/Ccmdir.exp", three.gal.dir, three.gal.dir,
	    three.gal.dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	three_gal_fill(&three);
	/* and LAGOSPO sends one without template lines */
	pcr_add(three.lagos, "Zhang Wei", "ZWEI", NULL);
	free(pcr_send(three.lagos, "UPDATE"));
	three_gal_ok(&three.gal, "sync dirsync");

	text = search(SUFFIX, "(displayName=Zhang Wei)", 0, &st);
	cr_assert_eq(st, 0, "%s", text);
	for (e = strstr(text, "dn:"); e != NULL; e = strstr(e + 3, "\ndn:")) {
		const char *end = strstr(e + 1, "\n\n");
		size_t len = end != NULL ? (size_t)(end - e) : strlen(e);
		char *one = strndup(e, len);

		cr_assert(strstr(one, "\ncn: ") == strstr(one,
		    "\ncn: Zhang Wei\n"), "not the first cn: %s", one);
		n++;
		free(one);
	}
	cr_assert_eq(n, 2, "a cc:Mail and an MS Mail Zhang Wei: %s", text);
	free(text);
	o = run("ldapsearch -x -LLL -o ldif-wrap=no -H '%s' -b " SUFFIX " "
	    "'(displayName=Zhang Wei)' sn givenName", three.gal.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(count_of(o.text, "\nsn: Zhang Wei\n"), 2, "%s", o.text);
	cr_assert_eq(count_of(o.text, "givenName"), 0, "%s", o.text);
	out_free(&o);
}
