#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dn.h"
#include "strmap.h"

void
gw_dn_init(struct gw_dn *dn)
{
	dn->rdn = NULL;
	dn->n = 0;
}

void
gw_dn_release(struct gw_dn *dn)
{
	size_t i;

	for (i = 0; i < dn->n; i++) {
		free(dn->rdn[i].type);
		free(dn->rdn[i].value);
	}
	free(dn->rdn);
	gw_dn_init(dn);
}

static void
dn_push_owned(struct gw_dn *dn, char *type, char *value)
{
	dn->rdn = gw_realloc(dn->rdn, (dn->n + 1) * sizeof(*dn->rdn));
	dn->rdn[dn->n].type = type;
	dn->rdn[dn->n].value = value;
	dn->n++;
}

void
gw_dn_push(struct gw_dn *dn, const char *type, const char *value)
{
	dn_push_owned(dn, gw_strdup(type), gw_strdup(value));
}

void
gw_dn_copy(struct gw_dn *dst, const struct gw_dn *src)
{
	size_t i;

	gw_dn_init(dst);
	for (i = 0; i < src->n; i++)
		gw_dn_push(dst, src->rdn[i].type, src->rdn[i].value);
}

static int
rdn_equal(const struct gw_rdn *a, const struct gw_rdn *b)
{
	return gw_strcaseeq(a->type, b->type) &&
	    gw_strcaseeq(a->value, b->value);
}

const char *
gw_dn_site(const struct gw_dn *dn)
{
	return dn->n >= 2 && gw_strcaseeq(dn->rdn[1].type, "ou") ?
	    dn->rdn[1].value : NULL;
}

int
gw_dn_within(const struct gw_dn *a, const struct gw_dn *b)
{
	size_t i;

	if (a->n < b->n)
		return 0;
	for (i = 0; i < b->n; i++)
		if (!rdn_equal(&a->rdn[i], &b->rdn[i]))
			return 0;
	return 1;
}

int
gw_dn_equal(const struct gw_dn *a, const struct gw_dn *b)
{
	return a->n == b->n && gw_dn_within(a, b);
}

enum gw_dn_form
gw_dn_detect(const char *s)
{
	const char *p;

	if (s[0] == '/')
		return GW_DN_X500;
	for (p = s; *p != '\0'; p++)
		if (p[0] == '@' && (p[1] == 'o' || p[1] == 'O') && p[2] == '@')
			return GW_DN_DAPI;
	return GW_DN_LDAP;
}

/*
 * An attribute type (RFC 4512): a keystring (descr), or a numericoid,
 * numbers without leading zeros joined by single dots.  slapd refuses
 * "2.5..4" or ".5", so they must not get into a DN galgate writes.
 */
static int
type_valid(const char *t, size_t len)
{
	size_t i, start;

	if (len == 0 || len > 64)
		return 0;
	if (isalpha((unsigned char)t[0])) {
		for (i = 1; i < len; i++)
			if (!isalnum((unsigned char)t[i]) && t[i] != '-')
				return 0;
		return 1;
	}
	for (start = i = 0; i <= len; i++) {
		if (i < len && isdigit((unsigned char)t[i]))
			continue;
		if (i < len && t[i] != '.')
			return 0;
		/* a number ends here: not empty, no leading zero */
		if (i == start || (t[start] == '0' && i - start > 1))
			return 0;
		start = i + 1;
	}
	return 1;
}

static int
check_value(struct gw_buf *v, const char *form, size_t idx, struct gw_err *err)
{
	if (v->len == 0)
		return gw_err_set(err, GW_EXIT_USAGE,
		    "%s DN: RDN %zu has an empty value", form, idx + 1);
	if (!gw_utf8_valid(v->buf, v->len))
		return gw_err_set(err, GW_EXIT_USAGE, "%s DN: RDN %zu: value "
		    "is not valid UTF-8 or holds a NUL", form, idx + 1);
	return 0;
}

int
gw_dn_parse_x500(const char *s, struct gw_dn *out, struct gw_err *err)
{
	struct gw_buf type, val;
	const char *p = s;
	int in_value;

	gw_buf_init(&type, 128);
	gw_buf_init(&val, GW_DN_MAX_LEN);
	if (strlen(s) > GW_DN_MAX_LEN) {
		gw_err_set(err, GW_EXIT_USAGE, "X.500 DN longer than %d bytes",
		    GW_DN_MAX_LEN);
		goto fail;
	}
	if (*p != '/') {
		gw_err_set(err, GW_EXIT_USAGE, "X.500 DN must start with '/'");
		goto fail;
	}
	if (p[1] == '\0') {
		gw_err_set(err, GW_EXIT_USAGE, "X.500 DN has no RDN");
		goto fail;
	}
	while (*p == '/') {
		p++;
		gw_buf_reset(&type);
		gw_buf_reset(&val);
		in_value = 0;
		for (; *p != '\0' && !(*p == '/'); p++) {
			if (!in_value) {
				if (*p == '=') {
					in_value = 1;
					continue;
				}
				if (gw_buf_addch(&type, *p) == -1)
					goto toolong;
				continue;
			}
			if (*p == '\\') {
				if (p[1] != '/' && p[1] != '\\') {
					gw_err_set(err, GW_EXIT_USAGE,
					    "X.500 DN: RDN %zu: '\\' must be "
					    "followed by '/' or '\\'", out->n + 1);
					goto fail;
				}
				p++;
			}
			if (gw_buf_addch(&val, *p) == -1)
				goto toolong;
		}
		if (!in_value || !type_valid(type.buf, type.len)) {
			gw_err_set(err, GW_EXIT_USAGE, "X.500 DN: RDN %zu is "
			    "not type=value", out->n + 1);
			goto fail;
		}
		if (check_value(&val, "X.500", out->n, err) == -1)
			goto fail;
		dn_push_owned(out, gw_buf_detach(&type), gw_buf_detach(&val));
	}
	gw_buf_release(&type);
	gw_buf_release(&val);
	return 0;
toolong:
	gw_err_set(err, GW_EXIT_USAGE, "X.500 DN: RDN %zu too long", out->n + 1);
fail:
	gw_buf_release(&type);
	gw_buf_release(&val);
	gw_dn_release(out);
	return -1;
}

/* Splits a DAPI name on unescaped '@' into unescaped tokens. */
int
gw_dn_parse_dapi(const char *s, struct gw_dn *out, struct gw_err *err)
{
	struct gw_buf tok;
	char **toks = NULL;
	size_t ntok = 0, i;
	const char *p;
	int rc = -1;

	gw_buf_init(&tok, GW_DN_MAX_LEN);
	if (strlen(s) > GW_DN_MAX_LEN) {
		gw_err_set(err, GW_EXIT_USAGE, "DAPI name longer than %d bytes",
		    GW_DN_MAX_LEN);
		goto done;
	}
	for (p = s;; p++) {
		if (*p == '\0' || *p == '@') {
			toks = gw_realloc(toks, (ntok + 1) * sizeof(*toks));
			toks[ntok++] = gw_buf_detach(&tok);
			if (*p == '\0')
				break;
			continue;
		}
		if (*p == '\\') {
			if (p[1] != '@' && p[1] != '\\') {
				gw_err_set(err, GW_EXIT_USAGE, "DAPI name: '\\' "
				    "must be followed by '@' or '\\' (token %zu)",
				    ntok + 1);
				goto done;
			}
			p++;
		}
		if (gw_buf_addch(&tok, *p) == -1) {
			gw_err_set(err, GW_EXIT_USAGE, "DAPI name too long");
			goto done;
		}
	}
	if (ntok < 3 || ntok % 2 == 0) {
		gw_err_set(err, GW_EXIT_USAGE, "DAPI name must be "
		    "name@type@value[@type@value...]");
		goto done;
	}
	for (i = 1; i < ntok; i += 2) {
		struct gw_buf v = { toks[i + 1], strlen(toks[i + 1]), 0, 0 };

		if (!type_valid(toks[i], strlen(toks[i]))) {
			gw_err_set(err, GW_EXIT_USAGE, "DAPI name: RDN %zu has "
			    "a bad type '%s'", i / 2 + 1, toks[i]);
			goto done;
		}
		if (check_value(&v, "DAPI", i / 2, err) == -1)
			goto done;
		dn_push_owned(out, toks[i], toks[i + 1]);
		toks[i] = toks[i + 1] = NULL;
	}
	if (strcmp(toks[0], out->rdn[out->n - 1].value) != 0) {
		gw_err_set(err, GW_EXIT_USAGE, "DAPI name: leading name '%s' "
		    "is not the last RDN value", toks[0]);
		goto done;
	}
	rc = 0;
done:
	for (i = 0; i < ntok; i++)
		free(toks[i]);
	free(toks);
	gw_buf_release(&tok);
	if (rc == -1)
		gw_dn_release(out);
	return rc;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Blanks OpenLDAP ignores around separators and at the end of a value
 * (its LDAP_DN_ASCII_SPACE): a DN must mean here what it means to slapd.
 */
static int
dn_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * RFC 4514 string to RDNs, leaf first as written; blanks around ',' '='
 * and around values are tolerated (RFC 2253 habit), escaped ones kept.
 */
static int
ldap_split(const char *s, struct gw_dn *leaf_first, struct gw_err *err)
{
	struct gw_buf type, val;
	const char *p = s;
	size_t keep;
	int h1, h2;

	gw_buf_init(&type, 128);
	gw_buf_init(&val, GW_DN_MAX_LEN);
	if (strlen(s) > GW_DN_MAX_LEN) {
		gw_err_set(err, GW_EXIT_USAGE, "LDAP DN longer than %d bytes",
		    GW_DN_MAX_LEN);
		goto fail;
	}
	while (dn_space(*p))
		p++;
	if (*p == '\0')
		goto done;
	for (;;) {
		size_t idx = leaf_first->n + 1;

		gw_buf_reset(&type);
		gw_buf_reset(&val);
		while (dn_space(*p))
			p++;
		while (*p != '\0' && *p != '=' && !dn_space(*p) && *p != ',') {
			if (gw_buf_addch(&type, *p++) == -1)
				goto bad;
		}
		while (dn_space(*p))
			p++;
		if (*p != '=' || !type_valid(type.buf, type.len)) {
			gw_err_set(err, GW_EXIT_USAGE, "LDAP DN: RDN %zu is "
			    "not type=value", idx);
			goto fail;
		}
		p++;
		while (dn_space(*p))
			p++;
		if (*p == '#') {
			gw_err_set(err, GW_EXIT_USAGE, "LDAP DN: RDN %zu: "
			    "BER-encoded (#hex) values are not supported", idx);
			goto fail;
		}
		keep = 0;
		while (*p != '\0' && *p != ',' && *p != '+') {
			if (*p == '\\') {
				p++;
				if ((h1 = hexval(p[0])) >= 0 &&
				    (h2 = hexval(p[1])) >= 0) {
					if (h1 == 0 && h2 == 0) {
						gw_err_set(err, GW_EXIT_USAGE,
						    "LDAP DN: RDN %zu: value "
						    "holds a NUL", idx);
						goto fail;
					}
					if (gw_buf_addch(&val,
					    (char)(h1 * 16 + h2)) == -1)
						goto bad;
					p += 2;
				} else if (*p != '\0' &&
				    strchr(" \"#+,;<=>\\", *p) != NULL) {
					if (gw_buf_addch(&val, *p++) == -1)
						goto bad;
				} else {
					gw_err_set(err, GW_EXIT_USAGE, "LDAP DN:"
					    " RDN %zu: bad escape", idx);
					goto fail;
				}
				keep = val.len;
				continue;
			}
			if (*p == '"' || *p == ';' || *p == '<' || *p == '>') {
				gw_err_set(err, GW_EXIT_USAGE, "LDAP DN: RDN "
				    "%zu: unescaped '%c'", idx, *p);
				goto fail;
			}
			if (gw_buf_addch(&val, *p++) == -1)
				goto bad;
			if (!dn_space(val.buf[val.len - 1]))
				keep = val.len;
		}
		/* unescaped trailing blanks are not part of the value */
		val.len = keep;
		if (val.buf != NULL)
			val.buf[keep] = '\0';
		if (*p == '+') {
			gw_err_set(err, GW_EXIT_USAGE, "LDAP DN: RDN %zu is "
			    "multi-valued ('+'); not supported", idx);
			goto fail;
		}
		if (check_value(&val, "LDAP", idx - 1, err) == -1)
			goto fail;
		dn_push_owned(leaf_first, gw_buf_detach(&type),
		    gw_buf_detach(&val));
		if (*p == '\0')
			break;
		p++;		/* ',' */
		while (dn_space(*p))
			p++;
		if (*p == '\0') {
			gw_err_set(err, GW_EXIT_USAGE, "LDAP DN ends with ','");
			goto fail;
		}
	}
done:
	gw_buf_release(&type);
	gw_buf_release(&val);
	return 0;
bad:
	gw_err_set(err, GW_EXIT_USAGE, "LDAP DN: RDN too long");
fail:
	gw_buf_release(&type);
	gw_buf_release(&val);
	gw_dn_release(leaf_first);
	return -1;
}

int
gw_dn_parse_ldap(const char *s, const char *suffix, struct gw_dn *out,
    struct gw_err *err)
{
	struct gw_dn all, suf;
	size_t i, below;

	gw_dn_init(&all);
	gw_dn_init(&suf);
	if (ldap_split(s, &all, err) == -1)
		return -1;
	if (suffix != NULL && ldap_split(suffix, &suf, err) == -1) {
		gw_err_prefix(err, "suffix");
		gw_dn_release(&all);
		return -1;
	}
	if (all.n < suf.n)
		goto outside;
	below = all.n - suf.n;
	for (i = 0; i < suf.n; i++)
		if (!rdn_equal(&all.rdn[below + i], &suf.rdn[i]))
			goto outside;
	for (i = below; i > 0; i--) {
		dn_push_owned(out, all.rdn[i - 1].type, all.rdn[i - 1].value);
		all.rdn[i - 1].type = all.rdn[i - 1].value = NULL;
	}
	for (i = below; i < all.n; i++) {
		free(all.rdn[i].type);
		free(all.rdn[i].value);
	}
	free(all.rdn);
	gw_dn_release(&suf);
	return 0;
outside:
	gw_dn_release(&all);
	gw_dn_release(&suf);
	return gw_err_set(err, GW_EXIT_USAGE, "LDAP DN '%s' is not under the "
	    "suffix '%s'", s, suffix);
}

/*
 * The detected form is tried first; a value of another form can look like
 * it (an LDAP value holding "@o@", a DAPI name starting with '/'), so the
 * other forms are tried before the detected form's error is reported.
 */
int
gw_dn_parse(const char *s, const char *suffix, struct gw_dn *out,
    struct gw_err *err)
{
	enum gw_dn_form order[3], first = gw_dn_detect(s);
	struct gw_err first_err, other;
	int i, rc;

	order[0] = first;
	order[1] = first == GW_DN_LDAP ? GW_DN_DAPI : GW_DN_LDAP;
	order[2] = first == GW_DN_X500 ? GW_DN_DAPI : GW_DN_X500;
	gw_err_init(&first_err);
	for (i = 0; i < 3; i++) {
		gw_err_init(&other);
		switch (order[i]) {
		case GW_DN_X500:
			rc = gw_dn_parse_x500(s, out, i == 0 ? &first_err :
			    &other);
			break;
		case GW_DN_DAPI:
			rc = strstr(s, "@") == NULL ? -1 : gw_dn_parse_dapi(s,
			    out, i == 0 ? &first_err : &other);
			break;
		default:
			rc = gw_dn_parse_ldap(s, suffix, out, i == 0 ?
			    &first_err : &other);
			break;
		}
		if (rc == 0)
			return 0;
	}
	return gw_err_set(err, first_err.exit ? first_err.exit : GW_EXIT_USAGE,
	    "%s", first_err.set ? first_err.msg : "not a DN");
}

static int
add_escaped(struct gw_buf *b, const char *v, const char *special)
{
	for (; *v != '\0'; v++) {
		if (strchr(special, *v) != NULL && gw_buf_addch(b, '\\') == -1)
			return -1;
		if (gw_buf_addch(b, *v) == -1)
			return -1;
	}
	return 0;
}

int
gw_dn_to_x500(const struct gw_dn *dn, struct gw_buf *b)
{
	size_t i;

	for (i = 0; i < dn->n; i++) {
		if (gw_buf_printf(b, "/%s=", dn->rdn[i].type) == -1 ||
		    add_escaped(b, dn->rdn[i].value, "/\\") == -1)
			return -1;
	}
	return 0;
}

int
gw_dn_to_dapi(const struct gw_dn *dn, struct gw_buf *b)
{
	size_t i;

	if (dn->n == 0)
		return 0;
	if (add_escaped(b, dn->rdn[dn->n - 1].value, "@\\") == -1)
		return -1;
	for (i = 0; i < dn->n; i++) {
		if (gw_buf_printf(b, "@%s@", dn->rdn[i].type) == -1 ||
		    add_escaped(b, dn->rdn[i].value, "@\\") == -1)
			return -1;
	}
	return 0;
}

char *
gw_dn_key(const char *dn)
{
	struct gw_dn parsed;
	struct gw_err err;
	struct gw_buf b;
	char *k;

	gw_err_init(&err);
	gw_dn_init(&parsed);
	gw_buf_init(&b, 0);
	if (gw_dn_parse_ldap(dn, NULL, &parsed, &err) == -1)
		gw_buf_addstr(&b, dn);
	else
		(void)gw_dn_to_x500(&parsed, &b);
	gw_dn_release(&parsed);
	k = gw_fold(b.buf != NULL ? b.buf : "");
	gw_buf_release(&b);
	return k;
}

int
gw_ldap_escape_value(struct gw_buf *b, const char *v, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)v[i];
		/*
		 * Control characters in hex: OpenLDAP drops an unescaped tab,
		 * CR or LF at the end of a value, which would make the DN
		 * name another entry.
		 */
		if (c < 0x20 || c == 0x7f) {
			if (gw_buf_printf(b, "\\%02X", c) == -1)
				return -1;
			continue;
		}
		if (strchr("\"+,;<>\\=", c) != NULL ||
		    (i == 0 && (c == '#' || c == ' ')) ||
		    (i == len - 1 && c == ' ')) {
			if (gw_buf_addch(b, '\\') == -1)
				return -1;
		}
		if (gw_buf_addch(b, (char)c) == -1)
			return -1;
	}
	return 0;
}

int
gw_dn_to_ldap(const struct gw_dn *dn, const char *suffix, struct gw_buf *b)
{
	size_t i;

	for (i = dn->n; i > 0; i--) {
		const struct gw_rdn *r = &dn->rdn[i - 1];

		if (gw_buf_printf(b, "%s%s=", i == dn->n ? "" : ",",
		    r->type) == -1 ||
		    gw_ldap_escape_value(b, r->value, strlen(r->value)) == -1)
			return -1;
	}
	if (suffix != NULL && *suffix != '\0')
		return gw_buf_printf(b, "%s%s", dn->n > 0 ? "," : "", suffix);
	return 0;
}

char *
gw_dn_ldap_str(const struct gw_dn *dn, const char *suffix)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	(void)gw_dn_to_ldap(dn, suffix, &b);
	return gw_buf_detach(&b);
}

char *
gw_dn_x500_str(const struct gw_dn *dn)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	(void)gw_dn_to_x500(dn, &b);
	return gw_buf_detach(&b);
}

char *
gw_dn_dapi_str(const struct gw_dn *dn)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	(void)gw_dn_to_dapi(dn, &b);
	return gw_buf_detach(&b);
}

int
gw_filter_escape(struct gw_buf *b, const char *v, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)v[i];
		if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0) {
			if (gw_buf_printf(b, "\\%02x", c) == -1)
				return -1;
		} else if (gw_buf_addch(b, (char)c) == -1)
			return -1;
	}
	return 0;
}

char *
gw_filter_eq(const char *attr, const char *value)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	(void)gw_buf_printf(&b, "(%s=", attr);
	(void)gw_filter_escape(&b, value, strlen(value));
	(void)gw_buf_addch(&b, ')');
	return gw_buf_detach(&b);
}
