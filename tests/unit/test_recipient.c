#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dn.h"
#include "recipient.h"

static void
split_is(const char *display, const char *sn, const char *given)
{
	char *s, *g;

	gw_name_split(display, &s, &g);
	cr_assert_str_eq(s, sn, "'%s': surname '%s', not '%s'", display, s,
	    sn);
	if (given == NULL)
		cr_assert_null(g, "'%s': given name '%s'", display, g);
	else
		cr_assert_str_eq(g != NULL ? g : "(none)", given, "'%s'",
		    display);
	free(s);
	free(g);
}

Test(recipient, one_name_split_for_every_connector)
{
	split_is("Smith, Jimmy", "Smith", "Jimmy");
	split_is("  Nu\xc3\xb1" "ez ,  Jos\xc3\xa9 ", "Nu\xc3\xb1" "ez",
	    "Jos\xc3\xa9");
	/* no surname can be derived: the whole display name, no first name */
	split_is("Help Desk", "Help Desk", NULL);
	split_is(", Jimmy", ", Jimmy", "Jimmy");
	split_is("Smith,", "Smith", NULL);
	split_is("Smith, Jimmy, Jr.", "Smith", "Jimmy, Jr.");
	split_is("", "", NULL);
}

static const char *
value(const struct gw_record *rec, const char *attr, size_t i)
{
	const struct gw_attr *a = gw_record_attr(rec, attr);

	return a != NULL && i < a->n ? a->val[i].ptr : NULL;
}

static size_t
values(const struct gw_record *rec, const char *attr)
{
	const struct gw_attr *a = gw_record_attr(rec, attr);

	return a != NULL ? a->n : 0;
}

Test(recipient, a_person_as_an_ldap_entry)
{
	struct gw_recipient r;
	struct gw_record rec;

	gw_recipient_init(&r);
	gw_recipient_set(&r, GW_F_DISPLAY, "Okafor, Chidi");
	gw_recipient_set(&r, GW_F_TITLE, "Engineer");
	gw_recipient_set(&r, GW_F_PHONE, "+234 1 555 0100");
	gw_recipient_set(&r, GW_F_COMPANY, "");	/* empty: none */
	gw_recipient_set(&r, GW_F_ALIAS, "COkafor");
	r.smtp = strdup("chidi.okafor@contoso.example");
	gw_strlist_add(&r.proxies, "MS:CONTOSO/LAGOSPO/COKAFOR");
	gw_strlist_add(&r.proxies, "ms:contoso/lagospo/cokafor");
	r.connector = strdup("pc");
	r.foreign_key = strdup("PCM:CONTOSO/LAGOSPO/COKAFOR");
	r.x500 = strdup("/o=Contoso/ou=Lagos/cn=Recipients/cn=COKAFOR");
	r.trust = 0;
	gw_recipient_to_record(&r, "cn=Okafor\\, Chidi,cn=pc,dc=x", &rec);
	cr_assert_str_eq(rec.dn, "cn=Okafor\\, Chidi,cn=pc,dc=x");
	cr_assert_str_eq(value(&rec, "objectClass", 1), "inetOrgPerson");
	cr_assert_str_eq(value(&rec, "objectClass", 2), "galgateRecipient");
	/* what a client shows: the display name, never a key or address */
	cr_assert_str_eq(value(&rec, "cn", 0), "Okafor, Chidi");
	cr_assert_str_eq(value(&rec, "displayName", 0), "Okafor, Chidi");
	/* Thunderbird finds him by "Chidi" in cn */
	cr_assert_eq(values(&rec, "cn"), 2);
	cr_assert_str_eq(value(&rec, "cn", 1), "Chidi Okafor");
	cr_assert_str_eq(value(&rec, "sn", 0), "Okafor");
	cr_assert_str_eq(value(&rec, "givenName", 0), "Chidi");
	cr_assert_str_eq(value(&rec, "title", 0), "Engineer");
	cr_assert_str_eq(value(&rec, "telephoneNumber", 0), "+234 1 555 0100");
	cr_assert_null(gw_record_attr(&rec, "o"));
	cr_assert_str_eq(value(&rec, "mail", 0), "chidi.okafor@contoso.example");
	/* the primary SMTP address first, proxies once each */
	cr_assert_eq(values(&rec, "galgateProxyAddress"), 2);
	cr_assert_str_eq(value(&rec, "galgateProxyAddress", 0),
	    "SMTP:chidi.okafor@contoso.example");
	cr_assert_str_eq(value(&rec, "galgateProxyAddress", 1),
	    "MS:CONTOSO/LAGOSPO/COKAFOR");
	cr_assert_str_eq(value(&rec, "mailNickname", 0), "COkafor");
	cr_assert_str_eq(value(&rec, "galgateRecipientType", 0), "mailbox");
	cr_assert_str_eq(value(&rec, "galgateTrustLevel", 0), "0");
	cr_assert_null(gw_record_attr(&rec, "galgateHidden"));
	cr_assert_str_eq(value(&rec, "galgateConnector", 0), "pc");
	cr_assert_str_eq(value(&rec, "legacyExchangeDN", 0),
	    "/o=Contoso/ou=Lagos/cn=Recipients/cn=COKAFOR");
	/* ownership: the connector that made it, by its foreign key */
	cr_assert(gw_recipient_owned(&rec, "pc", NULL));
	cr_assert(gw_recipient_owned(&rec, "pc", "pcm:contoso/lagospo/cokafor"));
	cr_assert_not(gw_recipient_owned(&rec, "pc", "PCM:CONTOSO/LAGOSPO/X"));
	cr_assert_not(gw_recipient_owned(&rec, "PC", NULL));
	gw_record_remove(&rec, "galgateForeignKey");
	cr_assert_not(gw_recipient_owned(&rec, "pc", NULL));
	gw_record_release(&rec);
	gw_recipient_release(&r);
}

Test(recipient, explicit_names_win_over_the_split)
{
	struct gw_recipient r;
	struct gw_record rec;

	gw_recipient_init(&r);
	r.type = GW_RCPT_CUSTOM;
	gw_recipient_set(&r, GW_F_DISPLAY, "A Okafor, Chidi");
	gw_recipient_set(&r, GW_F_SURNAME, "Okafor");
	gw_recipient_set(&r, GW_F_GIVEN, "Chidi");
	gw_recipient_to_record(&r, "cn=x,dc=x", &rec);
	cr_assert_str_eq(value(&rec, "sn", 0), "Okafor");
	cr_assert_str_eq(value(&rec, "givenName", 0), "Chidi");
	cr_assert_str_eq(value(&rec, "cn", 0), "A Okafor, Chidi");
	cr_assert_str_eq(value(&rec, "cn", 1), "Chidi Okafor");
	cr_assert_str_eq(value(&rec, "galgateRecipientType", 0), "custom");
	cr_assert_null(gw_record_attr(&rec, "mail"));
	cr_assert_null(gw_record_attr(&rec, "galgateTrustLevel"));
	gw_record_release(&rec);
	gw_recipient_release(&r);
}

Test(recipient, lists_and_bulletin_boards)
{
	struct gw_recipient r;
	struct gw_record rec;

	gw_recipient_init(&r);
	r.type = GW_RCPT_DL;
	gw_recipient_set(&r, GW_F_DISPLAY, "Sales, All");
	gw_recipient_to_record(&r, "cn=Sales\\, All,dc=x", &rec);
	cr_assert_str_eq(value(&rec, "objectClass", 1), "groupOfNames");
	/* groupOfNames needs a member: the list itself when none */
	cr_assert_eq(values(&rec, "member"), 1);
	cr_assert_str_eq(value(&rec, "member", 0), "cn=Sales\\, All,dc=x");
	cr_assert_null(gw_record_attr(&rec, "sn"));
	cr_assert_null(gw_record_attr(&rec, "givenName"));
	gw_record_release(&rec);
	gw_strlist_add(&r.members, "cn=a,dc=x");
	gw_strlist_add(&r.members, "CN=A,dc=x");
	gw_strlist_add(&r.members, "cn=b,dc=x");
	gw_recipient_to_record(&r, "cn=Sales\\, All,dc=x", &rec);
	cr_assert_eq(values(&rec, "member"), 2);
	gw_record_release(&rec);

	r.type = GW_RCPT_BBOARD;
	gw_recipient_set(&r, GW_F_DISPLAY, "News, Local");
	r.hidden = 1;
	gw_recipient_to_record(&r, "cn=News\\, Local,dc=x", &rec);
	cr_assert_str_eq(value(&rec, "objectClass", 1), "inetOrgPerson");
	cr_assert_str_eq(value(&rec, "sn", 0), "News");
	cr_assert_null(gw_record_attr(&rec, "givenName"));
	cr_assert_eq(values(&rec, "cn"), 1, "a board has no first name");
	cr_assert_null(gw_record_attr(&rec, "member"));
	cr_assert_str_eq(value(&rec, "galgateRecipientType", 0),
	    "bulletinboard");
	cr_assert_str_eq(value(&rec, "galgateHidden", 0), "TRUE");
	gw_record_release(&rec);
	gw_recipient_release(&r);
}

Test(recipient, every_general_page_field_has_its_attribute)
{
	static const char *const want[GW_F_COUNT] = { "givenName",
	    "initials", "sn", "displayName", "mailNickname", "street", "l",
	    "st", "postalCode", "c", "title", "o", "ou",
	    "physicalDeliveryOfficeName", "galgateAssistant",
	    "telephoneNumber", "facsimileTelephoneNumber", "description" };
	int f;

	for (f = 0; f < GW_F_COUNT; f++)
		cr_assert_str_eq(gw_rcpt_field_attr((enum gw_rcpt_field)f),
		    want[f]);
}

/* Two records with the same attributes and values, in any order. */
static void
same_record(struct gw_record *a, struct gw_record *b)
{
	unsigned char ha[GW_HASH_LEN], hb[GW_HASH_LEN];

	gw_record_hash(a, ha);
	gw_record_hash(b, hb);
	cr_assert(memcmp(ha, hb, GW_HASH_LEN) == 0, "the records differ");
}

Test(recipient, an_entry_reads_back_into_the_same_recipient)
{
	struct gw_recipient r, back;
	struct gw_record rec, again;

	gw_recipient_init(&r);
	r.type = GW_RCPT_CUSTOM;
	gw_recipient_set(&r, GW_F_DISPLAY, "Lindqvist, Maja");
	gw_recipient_set(&r, GW_F_GIVEN, "Maja");
	gw_recipient_set(&r, GW_F_CITY, "Stockholm");
	gw_recipient_set(&r, GW_F_FAX, "+46 8 555 0101");
	r.smtp = strdup("maja.lindqvist@fabrikam.example");
	gw_strlist_add(&r.proxies, "X500:/o=Fabrikam/ou=STO/cn=Recipients/cn=ML");
	r.trust = 3;
	r.hidden = 1;
	r.connector = strdup("io");
	r.foreign_key = strdup("maja.lindqvist@fabrikam.example");
	gw_recipient_to_record(&r, "cn=ML,dc=x", &rec);
	gw_recipient_from_record(&rec, &back);
	cr_assert_eq(back.type, GW_RCPT_CUSTOM);
	cr_assert_str_eq(gw_recipient_get(&back, GW_F_SURNAME), "Lindqvist");
	cr_assert_str_eq(back.smtp, "maja.lindqvist@fabrikam.example");
	cr_assert_eq(back.proxies.n, 1, "the primary SMTP: proxy is the "
	    "address, not one more proxy");
	cr_assert_eq(back.trust, 3);
	cr_assert_eq(back.hidden, 1);
	cr_assert_eq(back.names.n, 0, "the given-name-first cn is made, not "
	    "kept: a new name must not keep the old one");
	gw_recipient_to_record(&back, "cn=ML,dc=x", &again);
	same_record(&rec, &again);
	gw_record_release(&again);
	gw_recipient_release(&back);
	gw_record_release(&rec);

	/* a list without members keeps none: its own DN is a placeholder */
	gw_recipient_release(&r);
	r.type = GW_RCPT_DL;
	gw_recipient_set(&r, GW_F_DISPLAY, "Empty");
	gw_recipient_to_record(&r, "cn=Empty,dc=x", &rec);
	gw_record_remove(&rec, "galgateRecipientType");
	gw_recipient_from_record(&rec, &back);
	cr_assert_eq(back.type, GW_RCPT_DL, "groupOfNames is a list");
	cr_assert_eq(back.members.n, 0);
	gw_recipient_release(&back);
	gw_record_release(&rec);
	gw_recipient_release(&r);
}

Test(recipient, fields_by_name_and_the_managed_set)
{
	int filled[GW_F_COUNT] = { 0 };
	const char **m;
	size_t n, i;
	int phone = 0, hidden = 0;

	cr_assert_eq(gw_rcpt_field_named("telephoneNumber"), GW_F_PHONE);
	cr_assert_eq(gw_rcpt_field_named("COMPANY"), GW_F_COMPANY);
	cr_assert_eq(gw_rcpt_field_named("o"), GW_F_COMPANY);
	cr_assert_eq(gw_rcpt_field_named("streetAddress"), GW_F_STREET);
	cr_assert_eq(gw_rcpt_field_named("mail"), -1);
	m = gw_recipient_managed(filled);
	for (n = 0; m[n] != NULL; n++)
		phone |= strcmp(m[n], "telephoneNumber") == 0;
	cr_assert_not(phone, "a field nobody fills is the administrator's");
	free(m);
	filled[GW_F_PHONE] = filled[GW_F_SURNAME] = 1;
	m = gw_recipient_managed(filled);
	for (i = 0; m[i] != NULL; i++) {
		phone |= strcmp(m[i], "telephoneNumber") == 0;
		hidden |= strcmp(m[i], "galgateHidden") == 0 ||
		    strcmp(m[i], "galgateTrustLevel") == 0;
	}
	cr_assert(phone);
	cr_assert_not(hidden, "hiding and trust are the administrator's");
	cr_assert_eq(i, n + 1, "sn is managed once");
	free(m);
}

Test(recipient, a_foreign_list_is_a_person_like_entry)
{
	struct gw_recipient r, back;
	struct gw_record rec;

	gw_recipient_init(&r);
	r.type = GW_RCPT_DL;
	r.foreign_list = 1;
	gw_recipient_set(&r, GW_F_DISPLAY, "Sales");
	r.smtp = strdup("sales@branch.example");
	gw_recipient_to_record(&r, "cn=sales@branch.example,dc=x", &rec);
	/* its members are the foreign system's: mail goes by address */
	cr_assert_str_eq(value(&rec, "objectClass", 1), "inetOrgPerson");
	cr_assert_null(gw_record_attr(&rec, "member"));
	cr_assert_str_eq(value(&rec, "sn", 0), "Sales");
	cr_assert_str_eq(value(&rec, "galgateRecipientType", 0), "dl");
	gw_recipient_from_record(&rec, &back);
	cr_assert_eq(back.type, GW_RCPT_DL);
	cr_assert(back.foreign_list);
	gw_recipient_release(&back);
	gw_record_release(&rec);
	gw_recipient_release(&r);
}

Test(recipient, without_a_display_name_the_names_it_has_are_shown)
{
	struct gw_recipient r;
	struct gw_record rec;

	gw_recipient_init(&r);
	r.smtp = strdup("maja.lindqvist@fabrikam.example");
	gw_strlist_add(&r.names, "maja.lindqvist@fabrikam.example");
	gw_recipient_set(&r, GW_F_SURNAME, "Lindqvist");
	gw_recipient_set(&r, GW_F_GIVEN, "Maja");
	gw_recipient_to_record(&r, "cn=x,dc=x", &rec);
	cr_assert_str_eq(value(&rec, "cn", 0), "Lindqvist, Maja");
	cr_assert_str_eq(value(&rec, "displayName", 0), "Lindqvist, Maja");
	cr_assert_str_eq(value(&rec, "cn", 1), "maja.lindqvist@fabrikam.example");
	cr_assert_str_eq(value(&rec, "cn", 2), "Maja Lindqvist");
	gw_record_release(&rec);
	/* the alias before the address */
	gw_recipient_set(&r, GW_F_SURNAME, NULL);
	gw_recipient_set(&r, GW_F_GIVEN, NULL);
	gw_recipient_set(&r, GW_F_ALIAS, "MLindqvist");
	gw_recipient_to_record(&r, "cn=x,dc=x", &rec);
	cr_assert_str_eq(value(&rec, "cn", 0), "MLindqvist");
	gw_record_release(&rec);
	gw_recipient_release(&r);
}

Test(recipient, values_the_ldap_syntax_refuses)
{
	cr_assert(gw_rcpt_value_ok(GW_F_COUNTRY, "US"));
	cr_assert_not(gw_rcpt_value_ok(GW_F_COUNTRY, "USA"));
	cr_assert_not(gw_rcpt_value_ok(GW_F_COUNTRY, "\xc3\x9c" "S"));
	cr_assert(gw_rcpt_value_ok(GW_F_PHONE, "+1 425 936 1111"));
	cr_assert_not(gw_rcpt_value_ok(GW_F_PHONE, "+1 425 936 1111 #2"));
	cr_assert_not(gw_rcpt_value_ok(GW_F_FAX, "fax: 1111 \xe2\x80\x93"));
	cr_assert(gw_rcpt_value_ok(GW_F_CITY, "M\xc3\xbcnchen"));
}

Test(recipient, a_rename_moves_the_naming_value)
{
	struct gw_record rec;
	char *rdn;

	gw_record_init(&rec);
	gw_record_add_str(&rec, "cn", "Smith, Jimmy");
	gw_record_add_str(&rec, "cn", "Jimmy Smith");
	gw_record_add_str(&rec, "cn", "jimmy@old.example");
	gw_recipient_renamed(&rec, "JIMMY@old.example", "jimmy@new.example");
	cr_assert_eq(values(&rec, "cn"), 3);
	cr_assert_str_eq(value(&rec, "cn", 0), "Smith, Jimmy");
	cr_assert_str_eq(value(&rec, "cn", 2), "jimmy@new.example");
	gw_record_release(&rec);
	rdn = gw_recipient_rdn("Smith, Jimmy+1");
	cr_assert_str_eq(rdn, "cn=Smith\\, Jimmy\\+1");
	free(rdn);
}

Test(recipient, one_dn_rule_names_an_entry_by_its_key)
{
	struct gw_dn container;
	struct gw_err err;
	char *dn, *x500;

	gw_err_init(&err);
	gw_dn_init(&container);
	cr_assert_eq(gw_dn_parse_x500("/o=Contoso/ou=HQ/cn=MSMail", &container,
	    &err), 0);
	dn = gw_recipient_dn("PCM:CONTOSO/LAGOSPO/COKAFOR",
	    "cn=MSMail,ou=HQ,o=Contoso,dc=example,dc=com");
	cr_assert_str_eq(dn, "cn=PCM:CONTOSO/LAGOSPO/COKAFOR,cn=MSMail,ou=HQ,"
	    "o=Contoso,dc=example,dc=com");
	x500 = gw_recipient_x500("PCM:CONTOSO/LAGOSPO/COKAFOR", &container);
	cr_assert_str_eq(x500,
	    "/o=Contoso/ou=HQ/cn=MSMail/cn=PCM:CONTOSO\\/LAGOSPO\\/COKAFOR");
	free(dn);
	free(x500);
	dn = gw_recipient_dn("Müller, Ann", "cn=ccMail,o=Contoso");
	cr_assert_str_eq(dn, "cn=Müller\\, Ann,cn=ccMail,o=Contoso");
	free(dn);
	gw_dn_release(&container);
}

static void
collect_cb(void *arg, const char *addr)
{
	struct gw_strlist *l = arg;

	gw_strlist_add(l, addr);
}

Test(recipient, what_connectors_ask_of_an_entry_without_naming_attributes)
{
	static const int fields[GW_F_COUNT] = { [GW_F_PHONE] = 1 };
	struct gw_strlist got = { NULL, 0 };
	struct gw_record rec;
	const char **a;
	char *f;
	size_t i;
	int phone = 0, mail = 0, member = 0, extra = 0;

	gw_record_init(&rec);
	rec.dn = strdup("cn=x,o=Contoso");
	gw_record_add_str(&rec, "objectClass", "inetOrgPerson");
	gw_record_add_str(&rec, "mail", "ann@contoso.example");
	gw_record_add_str(&rec, "galgateProxyAddress",
	    "SMTP:ann@contoso.example");
	gw_record_add_str(&rec, "galgateProxyAddress", "smtp:a.m@contoso.example");
	gw_record_add_str(&rec, "galgateProxyAddress", "X500:/o=Old/cn=ann");
	gw_record_add_str(&rec, "galgateConnector", "cc1");
	gw_record_add_str(&rec, "galgateForeignKey", "MULLER, Ann");
	cr_assert(gw_recipient_visible(&rec));
	cr_assert_str_eq(gw_recipient_owner(&rec), "cc1");
	cr_assert_str_eq(gw_recipient_key(&rec), "MULLER, Ann");
	cr_assert_str_eq(gw_recipient_proxy(&rec, "x500"), "/o=Old/cn=ann");
	cr_assert_null(gw_recipient_proxy(&rec, "X400"));
	gw_recipient_each_smtp(&rec, collect_cb, &got);
	cr_assert_eq(got.n, 2, "mail and the smtp: proxy: %zu", got.n);
	cr_assert_str_eq(got.v[1], "a.m@contoso.example");
	cr_assert(gw_recipient_holds(&rec, "A.M@contoso.example"));
	cr_assert_not(gw_recipient_holds(&rec, "/o=Old/cn=ann"));
	gw_strlist_release(&got);
	gw_record_add_str(&rec, "galgateHidden", "TRUE");
	cr_assert_not(gw_recipient_visible(&rec));
	gw_record_release(&rec);

	a = gw_recipient_attrs(fields, GW_READ_ADDRESSES,
	    (const char *const[]){ "galgateMS", "mail", NULL });
	for (i = 0; a[i] != NULL; i++) {
		phone += strcmp(a[i], "telephoneNumber") == 0;
		mail += strcmp(a[i], "mail") == 0;
		member += strcmp(a[i], "member") == 0;
		extra += strcmp(a[i], "galgateMS") == 0;
		cr_assert_neq(strcmp(a[i], "title"), 0, "an unasked field");
	}
	cr_assert(phone == 1 && mail == 1 && member == 0 && extra == 1);
	free(a);
	f = gw_recipient_owner_filter("cc*1");
	cr_assert_str_eq(f, "(galgateConnector=cc\\2a1)");
	free(f);
	f = gw_recipient_proxy_filter("X500:/o=A(B)");
	cr_assert_str_eq(f, "(galgateProxyAddress=X500:/o=A\\28B\\29)");
	free(f);
}

Test(recipient, a_renamed_entry_keeps_its_former_x500_dns)
{
	struct gw_recipient r;
	struct gw_record had;

	gw_record_init(&had);
	gw_record_add_str(&had, "legacyExchangeDN", "/o=Contoso/cn=B/cn=old2");
	gw_record_add_str(&had, "galgateProxyAddress",
	    "X500:/o=Contoso/cn=B/cn=old1");
	gw_record_add_str(&had, "galgateProxyAddress",
	    "X500:/o=Fabrikam/cn=Recipients/cn=sender");
	gw_record_add_str(&had, "galgateProxyAddress", "SMTP:x@contoso.example");
	gw_recipient_init(&r);
	r.x500 = strdup("/o=Contoso/cn=B/cn=new");
	gw_recipient_keep_x500(&r, &had, "CONTOSO");
	cr_assert_eq(r.proxies.n, 2, "%zu", r.proxies.n);
	cr_assert_str_eq(r.proxies.v[0], "X500:/o=Contoso/cn=B/cn=old2");
	cr_assert_str_eq(r.proxies.v[1], "X500:/o=Contoso/cn=B/cn=old1");
	/* not renamed: nothing to keep but what it kept before */
	gw_recipient_release(&r);
	gw_recipient_init(&r);
	r.x500 = strdup("/o=Contoso/cn=B/cn=old2");
	gw_recipient_keep_x500(&r, &had, "Contoso");
	cr_assert_eq(r.proxies.n, 1);
	gw_recipient_release(&r);
	gw_record_release(&had);
}
