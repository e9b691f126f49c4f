/* The galgate command line, the schema and galgate init. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct env env;

static void
teardown(void)
{
	env_stop(&env);
}

Test(cli, bad_config_reports_every_line_and_contacts_nothing,
    .fini = teardown)
{
	struct out o;
	char state[128];

	env_prepare(&env, "[gal]\nsuffix = dc=example,dc=com\n"
	    "organization = Contoso\nsite = HQ\n"
	    "state_dir = /tmp/gg-never-created-by-galgate\n"
	    "uri = ldap://127.0.0.1:1\n"
	    "tombstone_lifetime = forever\n"
	    "bind_dn = not a dn\n"
	    "[connector x]\ntype = nosuch\n"
	    "[mystery]\n");
	o = galgate(&env, "journal");
	cr_assert_eq(o.status, 2, "%s", o.text);
	cr_assert(strstr(o.text, "galgate.conf:7: tombstone_lifetime:") != NULL,
	    "%s", o.text);
	cr_assert(strstr(o.text, "galgate.conf:8: bind_dn:") != NULL, "%s",
	    o.text);
	cr_assert(strstr(o.text, "galgate.conf:10: unknown connector type") !=
	    NULL, "%s", o.text);
	cr_assert(strstr(o.text, "galgate.conf:11: section [mystery] needs a "
	    "name") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "contact") == NULL &&
	    strstr(o.text, "answered") == NULL, "a server was contacted: %s",
	    o.text);
	out_free(&o);
	snprintf(state, sizeof(state), "/tmp/gg-never-created-by-galgate");
	cr_assert_neq(access(state, F_OK), 0, "state_dir was created");
	o = galgate(&env, "check");
	cr_assert_eq(o.status, 2);
	out_free(&o);
}

/* The rest of the line after label (values may start with a space). */
static void
field(const char *text, const char *label, char *out, size_t len)
{
	const char *p = strstr(text, label), *nl;

	cr_assert_not_null(p, "no %s in %s", label, text);
	p += strlen(label);
	nl = strchr(p, '\n');
	cr_assert_not_null(nl);
	cr_assert((size_t)(nl - p) < len);
	memcpy(out, p, (size_t)(nl - p));
	out[nl - p] = '\0';
}

Test(cli, dn_round_trips_hostile_values, .fini = teardown)
{
	static const char *hostile[] = {
		"Smith\\, Jimmy", "a\\+b", "say \\\"hi\\\"", "back\\\\slash",
		"\\<angle\\>", "semi\\;colon", "x=y", "at@sign", "slash/name",
		"\\#hash", "\\ leading", "trailing\\ ", "M\xc3\xbcller",
		NULL
	};
	struct out o, back;
	char x500[512], ldap[512], dapi[512];
	size_t i;

	env_prepare(&env, "[gal]\nsuffix = dc=example,dc=com\n"
	    "organization = Contoso\nsite = HQ\nstate_dir = /tmp/x\n");
	for (i = 0; hostile[i] != NULL; i++) {
		o = galgate(&env, "dn 'cn=%s,cn=Recipients,ou=%s,o=Org,"
		    "dc=example,dc=com'", hostile[i], hostile[i]);
		cr_assert_eq(o.status, 0, "%s: %s", hostile[i], o.text);
		field(o.text, "x500: ", x500, sizeof(x500));
		field(o.text, "ldap: ", ldap, sizeof(ldap));
		field(o.text, "dapi: ", dapi, sizeof(dapi));
		/* each printed form converts back to the same three */
		back = galgate(&env, "dn '%s'", x500);
		cr_assert_str_eq(back.text, o.text, "via x500 %s", x500);
		out_free(&back);
		back = galgate(&env, "dn '%s'", dapi);
		cr_assert_str_eq(back.text, o.text, "via dapi %s", dapi);
		out_free(&back);
		back = galgate(&env, "dn '%s'", ldap);
		cr_assert_str_eq(back.text, o.text, "via ldap %s", ldap);
		out_free(&back);
		out_free(&o);
	}
	o = galgate(&env, "dn '/o=Org/cn=a\\b'");
	cr_assert_eq(o.status, 2, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "dn 'cn=a\\00b,dc=example,dc=com'");
	cr_assert_eq(o.status, 2, "%s", o.text);
	cr_assert(strstr(o.text, "NUL") != NULL, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "dn --suffix '' /o=Org/ou=Site/cn=Recipients/cn=x");
	cr_assert_str_eq(o.text, "x500: /o=Org/ou=Site/cn=Recipients/cn=x\n"
	    "ldap: cn=x,cn=Recipients,ou=Site,o=Org\n"
	    "dapi: x@o@Org@ou@Site@cn@Recipients@cn@x\n");
	out_free(&o);
}

Test(cli, schema_passes_slaptest_in_both_forms, .fini = teardown)
{
	struct out o;

	env_prepare(&env, "");
	free(env_file(&env, "test.conf",
	    "include /etc/ldap/schema/core.schema\n"
	    "include /etc/ldap/schema/cosine.schema\n"
	    "include /etc/ldap/schema/inetorgperson.schema\n"
	    "include " GALGATE_SOURCE_DIR "/schema/galgate.schema\n"
	    "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
	    "database mdb\nsuffix dc=example,dc=com\n"
	    "directory /tmp\n"));
	o = run("slaptest -u -f %s/test.conf", env.dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	/* the cn=config form loads into a fresh configuration directory */
	free(env_file(&env, "base.ldif",
	    "dn: cn=config\nobjectClass: olcGlobal\ncn: config\n\n"
	    "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\n"
	    "cn: schema\n\n"));
	o = run("mkdir %s/d && for f in %s/base.ldif /etc/ldap/schema/core.ldif "
	    "/etc/ldap/schema/cosine.ldif /etc/ldap/schema/inetorgperson.ldif "
	    GALGATE_SOURCE_DIR "/schema/galgate.ldif; do cat $f; echo; done "
	    "> %s/all.ldif && slapadd -n0 -F %s/d -l %s/all.ldif && "
	    "slaptest -u -F %s/d", env.dir, env.dir, env.dir, env.dir, env.dir,
	    env.dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = run("grep -l galgateRecipient %s/d/cn=config/cn=schema/*", env.dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

Test(cli, init_is_idempotent_and_recipient_entries_fit_the_schema,
    .fini = teardown)
{
	struct out o;

	env_start(&env, NULL, NULL);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "4 created") != NULL, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "0 created, 4 already present") != NULL,
	    "%s", o.text);
	out_free(&o);
	/* every General-page attribute and the galgate ones on a recipient */
	cr_assert_eq(ldap_apply(&env, "dn: cn=jsmith," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: jsmith\nsn: Smith\ngivenName: Jimmy\ninitials: R\n"
	    "displayName: Smith, Jimmy\nmailNickname: JSmith\n"
	    "legacyExchangeDN: /o=Contoso/ou=HQ/cn=Recipients/cn=JSmith\n"
	    "galgateProxyAddress: SMTP:jimmy.smith@contoso.example\n"
	    "galgateProxyAddress: CCMAIL:Smith, Jimmy at HQPO\n"
	    "galgateRecipientType: mailbox\ngalgateTrustLevel: 3\n"
	    "galgateHidden: FALSE\ngalgateConnector: cc\n"
	    "galgateForeignKey: smith, jimmy\ngalgateAssistant: Jones, Ann\n"
	    "c: US\nstreet: 1 Main St\nl: Seattle\nst: WA\npostalCode: 98052\n"
	    "title: Manager\no: Contoso\nou: Sales\n"
	    "physicalDeliveryOfficeName: 43/3019\ntelephoneNumber: +1 425\n"
	    "mail: jimmy.smith@contoso.example\n\n"
	    "dn: cn=All Staff," RCPT "\nchangetype: add\n"
	    "objectClass: groupOfNames\nobjectClass: galgateRecipient\n"
	    "cn: All Staff\nmember: cn=jsmith," RCPT "\n"
	    "displayName: All Staff\nmail: all@contoso.example\n"
	    "galgateRecipientType: dl\n"), 0);
	/* an administrator's own containers work as well */
	cr_assert_eq(ldap_apply(&env, "dn: ou=Extra," BASE "\nchangetype: add\n"
	    "objectClass: organizationalUnit\nou: Extra\n\n"
	    "dn: cn=Role," BASE "\nchangetype: add\n"
	    "objectClass: organizationalRole\ncn: Role\n"), 0);
}
