/*
 * The three DN forms (README "DN forms", gateway/lib/dn.h) and the escaping
 * that keeps data out of DNs' and filters' structure.
 *
 * Properties:
 * - parse -> format -> parse agrees, for every form a name parses in and
 *   every form it is written in; the LDAP and X.500 spellings are read
 *   back the same by gw_dn_parse, which guesses the form (a DAPI name
 *   whose first value starts with '/' is read as X.500 by design, so the
 *   DAPI spelling is only read back by its own parser).
 * - OpenLDAP's own DN parser reads galgate's LDAP spelling as the same
 *   RDNs and values, and wherever both parse the input they agree: the
 *   entry galgate means is the entry the server finds.
 * - RFC 4514: an escaped value is one RDN holding exactly that value.
 * - RFC 4515: an escaped assertion value holds no filter syntax, so a
 *   value cannot change what a filter means, and unescapes to itself.
 */
#include <ctype.h>
#include <string.h>

#include <ldap.h>

#include "dn.h"
#include "fuzz.h"

static const char suffix[] = "dc=example,dc=com";

static void
same_dn(const struct gw_dn *a, const struct gw_dn *b, const char *how)
{
	size_t i;

	FUZZ_CHECK(a->n == b->n, "%s: %zu RDNs became %zu", how, a->n, b->n);
	for (i = 0; i < a->n; i++)
		FUZZ_CHECK(strcmp(a->rdn[i].type, b->rdn[i].type) == 0 &&
		    strcmp(a->rdn[i].value, b->rdn[i].value) == 0,
		    "%s: RDN %zu %s=%s became %s=%s", how, i, a->rdn[i].type,
		    a->rdn[i].value, b->rdn[i].type, b->rdn[i].value);
}

/* OpenLDAP's reading of an LDAP DN against ours (top first). */
static int
libldap_agrees(const char *s, const struct gw_dn *dn, int must_parse)
{
	LDAPDN ldn = NULL;
	size_t n, i;
	int rc;

	rc = ldap_str2dn(s, &ldn, LDAP_DN_FORMAT_LDAPV3);
	if (rc != LDAP_SUCCESS) {
		FUZZ_CHECK(!must_parse, "libldap refuses our '%s': %s", s,
		    ldap_err2string(rc));
		return 0;
	}
	for (n = 0; ldn != NULL && ldn[n] != NULL; n++)
		;
	FUZZ_CHECK(n == dn->n, "'%s': libldap reads %zu RDNs, we %zu", s, n,
	    dn->n);
	for (i = 0; i < n; i++) {
		LDAPRDN rdn = ldn[n - 1 - i];
		const struct gw_rdn *r = &dn->rdn[i];

		FUZZ_CHECK(rdn[0] != NULL && rdn[1] == NULL, "'%s': RDN %zu "
		    "is multi-valued for libldap", s, i);
		FUZZ_CHECK(rdn[0]->la_attr.bv_len == strlen(r->type) &&
		    gw_strncaseeq(rdn[0]->la_attr.bv_val, r->type,
		    strlen(r->type)), "'%s': RDN %zu type %.*s, ours %s", s, i,
		    (int)rdn[0]->la_attr.bv_len, rdn[0]->la_attr.bv_val,
		    r->type);
		FUZZ_CHECK(!(rdn[0]->la_flags & LDAP_AVA_BINARY), "'%s': RDN "
		    "%zu is BER for libldap", s, i);
		FUZZ_CHECK(rdn[0]->la_value.bv_len == strlen(r->value) &&
		    memcmp(rdn[0]->la_value.bv_val, r->value,
		    strlen(r->value)) == 0, "'%s': RDN %zu value '%.*s', ours "
		    "'%s'", s, i, (int)rdn[0]->la_value.bv_len,
		    rdn[0]->la_value.bv_val, r->value);
	}
	ldap_dnfree(ldn);
	return 1;
}

/*
 * OpenLDAP takes the second '\' of an escaped backslash for an escape of
 * the blank after it (the value of cn=a\\<blank> keeps its blank
 * there, not here);
 * galgate never writes that, so only typed-in DNs can differ.
 */
static int
openldap_quirk(const char *s)
{
	const char *p;

	for (p = s; (p = strstr(p, "\\\\")) != NULL; p += 2)
		if (p[2] == ' ' || p[2] == '\t' || p[2] == '\r' || p[2] == '\n')
			return 1;
	return 0;
}

static void
valid(const struct gw_dn *dn)
{
	size_t i;

	for (i = 0; i < dn->n; i++) {
		const char *v = dn->rdn[i].value;

		FUZZ_CHECK(v[0] != '\0' && gw_utf8_valid(v, strlen(v)),
		    "RDN %zu value not UTF-8 text", i);
		FUZZ_CHECK(dn->rdn[i].type[0] != '\0', "RDN %zu: no type", i);
	}
}

/*
 * Every spelling of dn is read back as dn.  Escaping can make a spelling
 * longer than GW_DN_MAX_LEN, which every reader refuses by design: such
 * a spelling is only checked against libldap.
 */
static void
round_trips(const struct gw_dn *dn)
{
	struct gw_dn back;
	struct gw_err err;
	char *s;

	gw_dn_init(&back);
	valid(dn);
	s = gw_dn_x500_str(dn);
	if (dn->n > 0 && strlen(s) <= GW_DN_MAX_LEN) {
		gw_dn_init(&back);
		gw_err_init(&err);
		FUZZ_CHECK(gw_dn_parse_x500(s, &back, &err) == 0, "X.500 '%s' "
		    "refused: %s", s, err.msg);
		same_dn(dn, &back, "X.500");
		gw_dn_release(&back);
		gw_err_init(&err);
		FUZZ_CHECK(gw_dn_parse(s, NULL, &back, &err) == 0, "X.500 '%s' "
		    "refused when guessed: %s", s, err.msg);
		same_dn(dn, &back, "X.500 guessed");
		gw_dn_release(&back);
	}
	free(s);

	s = gw_dn_ldap_str(dn, NULL);
	if (strlen(s) <= GW_DN_MAX_LEN) {
		gw_dn_init(&back);
		gw_err_init(&err);
		FUZZ_CHECK(gw_dn_parse_ldap(s, NULL, &back, &err) == 0,
		    "LDAP '%s' refused: %s", s, err.msg);
		same_dn(dn, &back, "LDAP");
		gw_dn_release(&back);
		if (dn->n > 0) {
			gw_err_init(&err);
			FUZZ_CHECK(gw_dn_parse(s, NULL, &back, &err) == 0,
			    "LDAP '%s' refused when guessed: %s", s, err.msg);
			same_dn(dn, &back, "LDAP guessed");
			gw_dn_release(&back);
		}
	}
	(void)libldap_agrees(s, dn, 1);
	free(s);

	s = gw_dn_ldap_str(dn, suffix);
	if (strlen(s) <= GW_DN_MAX_LEN) {
		gw_err_init(&err);
		FUZZ_CHECK(gw_dn_parse_ldap(s, suffix, &back, &err) == 0,
		    "LDAP '%s' refused below the suffix: %s", s, err.msg);
		same_dn(dn, &back, "LDAP with suffix");
		gw_dn_release(&back);
	}
	free(s);

	s = dn->n > 0 ? gw_dn_dapi_str(dn) : NULL;
	if (s != NULL && strlen(s) <= GW_DN_MAX_LEN) {
		gw_err_init(&err);
		FUZZ_CHECK(gw_dn_parse_dapi(s, &back, &err) == 0, "DAPI '%s' "
		    "refused: %s", s, err.msg);
		same_dn(dn, &back, "DAPI");
		gw_dn_release(&back);
	}
	free(s);
}

static int
hex(int c)
{
	return isdigit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* RFC 4515: the escaped value is inert and unescapes to v. */
static void
filter_escaping(const char *v, size_t len, const char *str)
{
	struct gw_buf b, un;
	size_t i;
	char *f;
	int depth = 0;

	gw_buf_init(&b, 0);
	gw_buf_init(&un, 0);
	FUZZ_CHECK(gw_filter_escape(&b, v, len) == 0, "escape failed");
	for (i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.buf[i];

		FUZZ_CHECK(c != '(' && c != ')' && c != '*' && c != '\0',
		    "filter syntax 0x%02x left in an escaped value", c);
		if (c == '\\') {
			FUZZ_CHECK(i + 2 < b.len &&
			    hex((unsigned char)b.buf[i + 1]) >= 0 &&
			    hex((unsigned char)b.buf[i + 2]) >= 0,
			    "'\\' without two hex digits");
			gw_buf_addch(&un, (char)(hex((unsigned char)
			    b.buf[i + 1]) * 16 + hex((unsigned char)
			    b.buf[i + 2])));
			i += 2;
		} else
			gw_buf_addch(&un, (char)c);
	}
	FUZZ_CHECK(un.len == len && (len == 0 || memcmp(un.buf, v, len) == 0),
	    "escaped value does not unescape to itself");
	gw_buf_release(&b);
	gw_buf_release(&un);

	/* the string form: one item, its parentheses the only ones */
	f = gw_filter_eq("cn", str);
	FUZZ_CHECK(strncmp(f, "(cn=", 4) == 0, "'%s'", f);
	for (i = 0; f[i] != '\0'; i++) {
		if (f[i] == '\\')
			i += 2;
		else if (f[i] == '(')
			FUZZ_CHECK(depth++ == 0 && i == 0, "'(' inside '%s'",
			    f);
		else if (f[i] == ')')
			FUZZ_CHECK(--depth == 0 && f[i + 1] == '\0',
			    "')' inside '%s'", f);
		else
			FUZZ_CHECK(f[i] != '*', "'*' in '%s'", f);
	}
	FUZZ_CHECK(depth == 0, "unbalanced '%s'", f);
	free(f);
}

/* RFC 4514: "cn=<escaped v>" is one RDN whose value is v. */
static void
rdn_escaping(const char *v, size_t len)
{
	struct gw_buf b;
	struct gw_dn dn;
	struct gw_err err;
	int ok = len > 0 && gw_utf8_valid(v, len);

	gw_buf_init(&b, 0);
	gw_buf_addstr(&b, "cn=");
	FUZZ_CHECK(gw_ldap_escape_value(&b, v, len) == 0, "escape failed");
	/* a DN longer than GW_DN_MAX_LEN is refused whatever it holds */
	ok = ok && b.len <= GW_DN_MAX_LEN;
	gw_dn_init(&dn);
	gw_err_init(&err);
	if (gw_dn_parse_ldap(b.buf, NULL, &dn, &err) == 0) {
		FUZZ_CHECK(ok, "'%s' accepted a value that is not UTF-8 text",
		    b.buf);
		FUZZ_CHECK(dn.n == 1 && strcmp(dn.rdn[0].type, "cn") == 0 &&
		    strlen(dn.rdn[0].value) == len &&
		    memcmp(dn.rdn[0].value, v, len) == 0,
		    "escaped value read back as %zu RDNs", dn.n);
		(void)libldap_agrees(b.buf, &dn, 1);
		gw_dn_release(&dn);
	} else
		FUZZ_CHECK(!ok, "escaped value '%s' refused: %s", b.buf,
		    err.msg);
	gw_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct gw_dn dn;
	struct gw_err err;
	char *k;

	gw_dn_init(&dn);
	gw_err_init(&err);
	if (gw_dn_parse_x500(s, &dn, &err) == 0) {
		FUZZ_CHECK(dn.n > 0, "X.500 without RDNs");
		round_trips(&dn);
	}
	gw_dn_release(&dn);
	gw_err_init(&err);
	if (gw_dn_parse_dapi(s, &dn, &err) == 0) {
		FUZZ_CHECK(dn.n > 0, "DAPI without RDNs");
		round_trips(&dn);
	}
	gw_dn_release(&dn);
	gw_err_init(&err);
	if (gw_dn_parse_ldap(s, NULL, &dn, &err) == 0) {
		round_trips(&dn);
		if (!openldap_quirk(s))
			(void)libldap_agrees(s, &dn, 0);
	}
	gw_dn_release(&dn);
	gw_err_init(&err);
	if (gw_dn_parse_ldap(s, suffix, &dn, &err) == 0)
		round_trips(&dn);
	gw_dn_release(&dn);
	gw_err_init(&err);
	if (gw_dn_parse(s, NULL, &dn, &err) == 0)
		round_trips(&dn);
	gw_dn_release(&dn);
	k = gw_dn_key(s);
	free(k);
	(void)gw_dn_detect(s);

	filter_escaping((const char *)data, size, s);
	rdn_escaping((const char *)data, size);
	free(s);
	return 0;
}
