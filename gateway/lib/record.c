#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "record.h"

void
gw_record_init(struct gw_record *r)
{
	memset(r, 0, sizeof(*r));
}

void
gw_attr_release(struct gw_attr *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->val[i].ptr);
	free(a->val);
	free(a->name);
}

void
gw_record_release(struct gw_record *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		gw_attr_release(&r->attr[i]);
	free(r->attr);
	free(r->dn);
	free(r->key);
	gw_record_init(r);
}

void
gw_record_free(struct gw_record *r)
{
	if (r == NULL)
		return;
	gw_record_release(r);
	free(r);
}

void
gw_record_copy(struct gw_record *dst, const struct gw_record *src)
{
	size_t i, j;

	gw_record_init(dst);
	dst->dn = src->dn != NULL ? gw_strdup(src->dn) : NULL;
	dst->key = src->key != NULL ? gw_strdup(src->key) : NULL;
	for (i = 0; i < src->n; i++)
		for (j = 0; j < src->attr[i].n; j++)
			gw_record_add(dst, src->attr[i].name,
			    src->attr[i].val[j].ptr, src->attr[i].val[j].len);
}

struct gw_attr *
gw_record_attr(const struct gw_record *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (gw_strcaseeq(r->attr[i].name, name))
			return &r->attr[i];
	return NULL;
}

const char *
gw_record_get(const struct gw_record *r, const char *name)
{
	struct gw_attr *a = gw_record_attr(r, name);

	return a != NULL && a->n > 0 ? a->val[0].ptr : NULL;
}

void
gw_record_add(struct gw_record *r, const char *name, const char *val,
    size_t len)
{
	struct gw_attr *a = gw_record_attr(r, name);
	size_t i;

	if (a == NULL) {
		r->attr = gw_grow(r->attr, r->n, sizeof(*r->attr));
		a = &r->attr[r->n++];
		a->name = gw_strdup(name);
		a->val = NULL;
		a->n = 0;
	}
	for (i = 0; i < a->n; i++)
		if (a->val[i].len == len && memcmp(a->val[i].ptr, val, len) == 0)
			return;
	a->val = gw_grow(a->val, a->n, sizeof(*a->val));
	a->val[a->n].ptr = gw_strndup(val, len);
	a->val[a->n].len = len;
	a->n++;
}

void
gw_record_add_str(struct gw_record *r, const char *name, const char *val)
{
	gw_record_add(r, name, val, strlen(val));
}

void
gw_record_remove(struct gw_record *r, const char *name)
{
	struct gw_attr *a = gw_record_attr(r, name);
	size_t idx;

	if (a == NULL)
		return;
	idx = (size_t)(a - r->attr);
	gw_attr_release(a);
	memmove(&r->attr[idx], &r->attr[idx + 1],
	    (r->n - idx - 1) * sizeof(*r->attr));
	r->n--;
}

void
gw_record_set(struct gw_record *r, const char *name, const char *val)
{
	gw_record_remove(r, name);
	if (val != NULL && *val != '\0')
		gw_record_add_str(r, name, val);
}

static int
value_cmp(const void *a, const void *b)
{
	const struct gw_value *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->ptr, y->ptr, n);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

static int
attr_cmp(const void *a, const void *b)
{
	const struct gw_attr *x = a, *y = b;

	return strcmp(x->name, y->name);
}

void
gw_record_sort(struct gw_record *r)
{
	size_t i;
	char *p;

	for (i = 0; i < r->n; i++) {
		for (p = r->attr[i].name; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (r->attr[i].n > 1)
			qsort(r->attr[i].val, r->attr[i].n,
			    sizeof(struct gw_value), value_cmp);
	}
	if (r->n > 1)
		qsort(r->attr, r->n, sizeof(*r->attr), attr_cmp);
}

static void
hash_bytes(EVP_MD_CTX *ctx, const void *p, size_t len)
{
	unsigned char l[8];
	size_t i, v = len;

	/* length-prefixed, so field boundaries cannot be forged */
	for (i = 0; i < 8; i++) {
		l[7 - i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	EVP_DigestUpdate(ctx, l, 8);
	EVP_DigestUpdate(ctx, p, len);
}

void
gw_record_hash(struct gw_record *r, unsigned char out[GW_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = GW_HASH_LEN;
	size_t i, j;

	if (ctx == NULL)
		abort();
	gw_record_sort(r);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	hash_bytes(ctx, r->dn != NULL ? r->dn : "", r->dn != NULL ?
	    strlen(r->dn) : 0);
	for (i = 0; i < r->n; i++) {
		hash_bytes(ctx, r->attr[i].name, strlen(r->attr[i].name));
		for (j = 0; j < r->attr[i].n; j++)
			hash_bytes(ctx, r->attr[i].val[j].ptr,
			    r->attr[i].val[j].len);
		EVP_DigestUpdate(ctx, "", 1);
	}
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

void
gw_hash_fields(const char *const *fields, size_t n,
    unsigned char out[GW_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = GW_HASH_LEN;
	size_t i;

	if (ctx == NULL)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		hash_bytes(ctx, fields[i] != NULL ? fields[i] : "",
		    fields[i] != NULL ? strlen(fields[i]) : 0);
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

void
gw_change_init(struct gw_change *ch, enum gw_op op, const char *dn)
{
	memset(ch, 0, sizeof(*ch));
	ch->op = op;
	ch->dn = dn != NULL ? gw_strdup(dn) : NULL;
	gw_record_init(&ch->rec);
}

void
gw_change_release(struct gw_change *ch)
{
	size_t i;

	for (i = 0; i < ch->nmods; i++)
		gw_attr_release(&ch->mods[i].attr);
	free(ch->mods);
	free(ch->dn);
	free(ch->newrdn);
	free(ch->newsuperior);
	gw_record_release(&ch->rec);
	memset(ch, 0, sizeof(*ch));
}

void
gw_change_mod(struct gw_change *ch, enum gw_modop op, const char *name,
    const struct gw_value *vals, size_t n)
{
	struct gw_mod *m;
	size_t i;

	ch->mods = gw_grow(ch->mods, ch->nmods, sizeof(*ch->mods));
	m = &ch->mods[ch->nmods++];
	m->op = op;
	m->attr.name = gw_strdup(name);
	m->attr.n = n;
	m->attr.val = n > 0 ? gw_calloc(n, sizeof(struct gw_value)) : NULL;
	for (i = 0; i < n; i++) {
		m->attr.val[i].ptr = gw_strndup(vals[i].ptr, vals[i].len);
		m->attr.val[i].len = vals[i].len;
	}
}

static int
same_values(const struct gw_attr *a, const struct gw_attr *b)
{
	size_t i, j;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++)
			if (a->val[i].len == b->val[j].len &&
			    memcmp(a->val[i].ptr, b->val[j].ptr,
			    a->val[i].len) == 0)
				break;
		if (j == b->n)
			return 0;
	}
	return 1;
}

/*
 * The first cn value is the name a mail client shows: an entry whose
 * names are right but in another order (as earlier versions wrote them,
 * an address first) is rewritten.
 */
static int
same_first(const struct gw_attr *a, const struct gw_attr *b)
{
	return a->n > 0 && b->n > 0 && a->val[0].len == b->val[0].len &&
	    memcmp(a->val[0].ptr, b->val[0].ptr, a->val[0].len) == 0;
}

static int
is_managed(const char *const *managed, const char *name)
{
	if (managed == NULL)
		return 1;
	for (; *managed != NULL; managed++)
		if (gw_strcaseeq(*managed, name))
			return 1;
	return 0;
}

size_t
gw_change_diff(struct gw_change *ch, const struct gw_record *old,
    const struct gw_record *new, const char *const *managed)
{
	size_t i, before = ch->nmods;
	struct gw_attr *o;

	for (i = 0; i < new->n; i++) {
		o = gw_record_attr(old, new->attr[i].name);
		if (o == NULL || !same_values(o, &new->attr[i]) ||
		    (gw_strcaseeq(o->name, "cn") && !same_first(o,
		    &new->attr[i])))
			gw_change_mod(ch, GW_MOD_REPLACE, new->attr[i].name,
			    new->attr[i].val, new->attr[i].n);
	}
	for (i = 0; i < old->n; i++)
		if (gw_record_attr(new, old->attr[i].name) == NULL &&
		    is_managed(managed, old->attr[i].name))
			gw_change_mod(ch, GW_MOD_DELETE, old->attr[i].name,
			    NULL, 0);
	return ch->nmods - before;
}

int
gw_base64(struct gw_buf *b, const void *data, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char q[4];
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		q[0] = tab[p[i] >> 2];
		q[1] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = tab[p[i + 2] & 63];
		if (gw_buf_add(b, q, 4) == -1)
			return -1;
	}
	if (i < len) {
		q[0] = tab[p[i] >> 2];
		if (i + 1 < len) {
			q[1] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			q[2] = tab[(p[i + 1] & 15) << 2];
		} else {
			q[1] = tab[(p[i] & 3) << 4];
			q[2] = '=';
		}
		q[3] = '=';
		if (gw_buf_add(b, q, 4) == -1)
			return -1;
	}
	return 0;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
gw_unbase64(struct gw_buf *out, const char *s, size_t len)
{
	size_t i;
	int v[4], k;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			/* padding only in the last quantum's last two places */
			v[k] = s[i + k] == '=' && i + 4 == len && k >= 2 ? -2 :
			    b64val((unsigned char)s[i + k]);
			if (v[k] == -1)
				return -1;
		}
		if (v[2] == -2 && v[3] != -2)
			return -1;
		if (gw_buf_addch(out, (char)((v[0] << 2) | (v[1] >> 4))) == -1 ||
		    (v[2] != -2 && gw_buf_addch(out,
		    (char)(((v[1] & 15) << 4) | (v[2] >> 2))) == -1) ||
		    (v[3] != -2 && gw_buf_addch(out,
		    (char)(((v[2] & 3) << 6) | v[3])) == -1))
			return -1;
	}
	return 0;
}

/* RFC 2849 SAFE-STRING: no NUL/LF/CR, ASCII, no leading ' ' ':' '<'. */
static int
ldif_safe(const char *v, size_t len)
{
	size_t i;

	if (len == 0)
		return 1;
	if (v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == 0 || c == '\n' || c == '\r' || c > 126)
			return 0;
	}
	return 1;
}

int
gw_ldif_line(struct gw_buf *b, const char *name, const char *val, size_t len)
{
	if (ldif_safe(val, len)) {
		if (gw_buf_printf(b, "%s: ", name) == -1 ||
		    gw_buf_add(b, val, len) == -1)
			return -1;
	} else if (gw_buf_printf(b, "%s:: ", name) == -1 ||
	    gw_base64(b, val, len) == -1)
		return -1;
	return gw_buf_addch(b, '\n');
}

int
gw_change_ldif(const struct gw_change *ch, struct gw_buf *b)
{
	static const char *modop[] = { "add", "delete", "replace" };
	size_t i, j;
	int rc = 0;

	rc |= gw_ldif_line(b, "dn", ch->dn, strlen(ch->dn));
	switch (ch->op) {
	case GW_OP_ADD:
		rc |= gw_buf_addstr(b, "changetype: add\n");
		for (i = 0; i < ch->rec.n; i++)
			for (j = 0; j < ch->rec.attr[i].n; j++)
				rc |= gw_ldif_line(b, ch->rec.attr[i].name,
				    ch->rec.attr[i].val[j].ptr,
				    ch->rec.attr[i].val[j].len);
		break;
	case GW_OP_MODIFY:
		rc |= gw_buf_addstr(b, "changetype: modify\n");
		for (i = 0; i < ch->nmods; i++) {
			const struct gw_mod *m = &ch->mods[i];

			rc |= gw_buf_printf(b, "%s: %s\n", modop[m->op],
			    m->attr.name);
			for (j = 0; j < m->attr.n; j++)
				rc |= gw_ldif_line(b, m->attr.name,
				    m->attr.val[j].ptr, m->attr.val[j].len);
			rc |= gw_buf_addstr(b, "-\n");
		}
		break;
	case GW_OP_DELETE:
		rc |= gw_buf_addstr(b, "changetype: delete\n");
		break;
	case GW_OP_RENAME:
		rc |= gw_buf_addstr(b, "changetype: modrdn\n");
		rc |= gw_ldif_line(b, "newrdn", ch->newrdn, strlen(ch->newrdn));
		rc |= gw_buf_addstr(b, "deleteoldrdn: 1\n");
		if (ch->newsuperior != NULL)
			rc |= gw_ldif_line(b, "newsuperior", ch->newsuperior,
			    strlen(ch->newsuperior));
		break;
	default:
		break;
	}
	rc |= gw_buf_addch(b, '\n');
	return rc == 0 ? 0 : -1;
}

void
gw_records_free(struct gw_record *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		gw_record_release(&v[i]);
	free(v);
}

void
gw_changes_free(struct gw_change *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		gw_change_release(&v[i]);
	free(v);
}
