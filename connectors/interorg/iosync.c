/*
 * IOSYNC-1 (see iosync.h): the General-page table, records, the small
 * bounded helpers, subjects and the MAC.  The body parser is in
 * iosync_parse.c, the writer in iosync_write.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "iosync.h"

const struct io_general io_general[] = {
	{ "givenName", "givenName" },
	{ "initials", "initials" },
	{ "sn", "sn" },
	{ "displayName", "displayName" },
	{ "mailNickname", "mailNickname" },
	{ "streetAddress", "street" },
	{ "l", "l" },
	{ "st", "st" },
	{ "postalCode", "postalCode" },
	{ "c", "c" },
	{ "title", "title" },
	{ "company", "o" },
	{ "department", "ou" },
	{ "physicalDeliveryOfficeName", "physicalDeliveryOfficeName" },
	{ "assistant", "galgateAssistant" },
	{ "telephoneNumber", "telephoneNumber" },
	{ NULL, NULL }
};

const char *
io_general_ldap(const char *io)
{
	size_t i;

	for (i = 0; io_general[i].io != NULL; i++)
		if (gw_strcaseeq(io_general[i].io, io))
			return io_general[i].ldap;
	return NULL;
}

/* The IOSYNC-1 spelling of a General-page name, whatever case it came in. */
const char *
io_general_canon(const char *io)
{
	size_t i;

	for (i = 0; io_general[i].io != NULL; i++)
		if (gw_strcaseeq(io_general[i].io, io))
			return io_general[i].io;
	return NULL;
}

void
io_entry_init(struct io_entry *e)
{
	memset(e, 0, sizeof(*e));
	gw_record_init(&e->attrs);
}

void
io_entries_free(struct io_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		io_entry_release(&v[i]);
	free(v);
}

void
io_entry_release(struct io_entry *e)
{
	free(e->key);
	free(e->newkey);
	free(e->cls);
	free(e->dn);
	gw_record_release(&e->attrs);
	io_entry_init(e);
}

void
io_header_release(struct io_header *h)
{
	free(h->org);
	free(h->batch);
	memset(h, 0, sizeof(*h));
}

void
io_msg_release(struct io_msg *m)
{
	io_header_release(&m->hdr);
	io_entries_free(m->ent, m->nent);
	memset(m, 0, sizeof(*m));
}

const char *
io_op_name(enum io_op op)
{
	switch (op) {
	case IO_OP_ADD:
		return "add";
	case IO_OP_MODIFY:
		return "modify";
	case IO_OP_DELETE:
		return "delete";
	case IO_OP_REKEY:
		return "rekey";
	}
	return "?";
}

/* ---- small helpers ---- */

int
io_valid_address(const char *s)
{
	const char *at = strchr(s, '@'), *p;
	size_t len = strlen(s);

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') ||
	    len > 320)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p > 0x7e ||
		    strchr("<>,;\"()[]\\", *p) != NULL)
			return 0;
	return 1;
}

int
io_base64_decode(const char *s, size_t len, struct gw_buf *out)
{
	return gw_unbase64(out, s, len);
}

int
io_parse_u64(const char *s, uint64_t *out)
{
	const char *errstr;
	long long v;

	if (*s == '\0' || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 19)
		return -1;
	v = gw_strtonum(s, 0, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int
io_valid_batch(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= IO_BATCH_MAX && strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
	    == n;
}

/* "k/n" with 1 <= k <= n <= IO_PARTS_MAX */
int
io_parse_part(const char *s, unsigned *k, unsigned *n)
{
	const char *slash = strchr(s, '/');
	char num[16];
	uint64_t a, b;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(num))
		return -1;
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (io_parse_u64(num, &a) == -1 || io_parse_u64(slash + 1, &b) == -1 ||
	    a < 1 || a > b || b > IO_PARTS_MAX)
		return -1;
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

/* A key as it travels: "SMTP:addr" or a bare address -> the address. */
const char *
io_strip_smtp(const char *v)
{
	return gw_strncaseeq(v, "SMTP:", 5) ? v + 5 : v;
}

/* ---- subject ---- */

int
iosync_is_subject(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return gw_strncaseeq(s, "IOSYNC-1", 8) && (s[8] == ' ' || s[8] == '\t');
}

/*
 * One name=value word of a subject into out: the bit of the key (musn 1,
 * rusn 2, batch 4, part 8; 0 for a key not known), or -1 with *why set.
 */
static int
subject_key(const char *name, const char *v, struct io_subject *out,
    const char **why)
{
	if (gw_strcaseeq(name, "musn")) {
		if (io_parse_u64(v, &out->musn) == 0)
			return 1;
		*why = "subject: musn= is not a number of at most 19 digits";
	} else if (gw_strcaseeq(name, "rusn")) {
		if (io_parse_u64(v, &out->rusn) == 0)
			return 2;
		*why = "subject: rusn= is not a number of at most 19 digits";
	} else if (gw_strcaseeq(name, "batch")) {
		if (io_valid_batch(v)) {
			memcpy(out->batch, v, strlen(v) + 1);
			return 4;
		}
		*why = "subject: batch= is not 1 to 64 letters, digits, '.', "
		    "'_' or '-'";
	} else if (gw_strcaseeq(name, "part")) {
		if (io_parse_part(v, &out->part, &out->nparts) == 0)
			return 8;
		*why = "subject: part= is not k/n with 1 <= k <= n <= 9999";
	} else
		return 0;
	return -1;
}

int
iosync_parse_subject(const char *subject, struct io_subject *out,
    const char **why)
{
	char *copy = gw_strdup(subject), *p = copy, *tok, *eq;
	int n = 0, have = 0, bit, rc = -1;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		n++;
		if (n == 1) {
			if (!gw_strcaseeq(tok, "IOSYNC-1")) {
				*why = "subject does not start with IOSYNC-1";
				goto done;
			}
			continue;
		}
		if (n == 2) {
			if (gw_strcaseeq(tok, "UPDATE"))
				out->role = IO_ROLE_REQUESTOR;
			else if (gw_strcaseeq(tok, "REPLY"))
				out->role = IO_ROLE_MASTER;
			else {
				*why = "subject: expected UPDATE or REPLY "
				    "after IOSYNC-1";
				goto done;
			}
			continue;
		}
		if ((eq = strchr(tok, '=')) == NULL)
			continue;	/* words for people are allowed */
		*eq++ = '\0';
		if ((bit = subject_key(tok, eq, out, why)) == -1)
			goto done;
		have |= bit;
	}
	if (n < 2)
		*why = "subject does not start with IOSYNC-1 UPDATE|REPLY";
	else if (!(have & 1))
		*why = "subject lacks musn=";
	else if (!(have & 2))
		*why = "subject lacks rusn=";
	else if (!(have & 4))
		*why = "subject lacks batch=";
	else if (!(have & 8))
		*why = "subject lacks part=";
	else
		rc = 0;
done:
	free(copy);
	return rc;
}

int
iosync_subject_matches(const struct io_subject *s, const struct io_header *h,
    const char **why)
{
	*why = NULL;
	if (s->role != h->role)
		*why = "subject (UPDATE/REPLY) and ROLE disagree";
	else if (s->musn != h->musn || s->rusn != h->rusn)
		*why = "subject and body disagree on the USNs";
	else if (strcmp(s->batch, h->batch) != 0)
		*why = "subject and body disagree on the batch";
	else if (s->part != h->part || s->nparts != h->nparts)
		*why = "subject and body disagree on the part";
	return *why == NULL ? 0 : -1;
}

static void
token_of(struct gw_buf *b, const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0') {
		gw_buf_addch(b, '-');
		return;
	}
	for (p = s; *p != '\0'; p++)
		gw_buf_addch(b, strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
		    "nopqrstuvwxyz0123456789._-", *p) != NULL ? *p : '_');
}

char *
iosync_subject(const struct io_header *h)
{
	struct gw_buf b;

	gw_buf_init(&b, 4096);
	gw_buf_printf(&b, "IOSYNC-1 %s org=", h->role == IO_ROLE_MASTER ?
	    "REPLY" : "UPDATE");
	token_of(&b, h->org);
	gw_buf_printf(&b, " musn=%llu rusn=%llu batch=%s part=%u/%u",
	    (unsigned long long)h->musn, (unsigned long long)h->rusn,
	    h->batch, h->part, h->nparts);
	return gw_buf_detach(&b);
}

/* ---- the MAC ---- */

void
iosync_mac(const void *key, size_t klen, const char *subject,
    const char *body, size_t len, unsigned char out[IO_MAC_LEN])
{
	struct gw_buf c;
	const char *nl;
	size_t i = 0, n;
	unsigned int olen = IO_MAC_LEN;

	gw_buf_init(&c, 0);
	gw_buf_addstr(&c, subject);
	gw_buf_addstr(&c, "\r\n");
	if (len > 0 && body[len - 1] == 0x1a)
		len--;
	while (i < len) {
		nl = memchr(body + i, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - (body + i)) : len - i;
		if (n > 0 && body[i + n - 1] == '\r')
			n--;
		while (n > 0 && (body[i + n - 1] == ' ' ||
		    body[i + n - 1] == '\t'))
			n--;
		gw_buf_add(&c, body + i, n);
		gw_buf_addstr(&c, "\r\n");
		i = nl != NULL ? (size_t)(nl - body) + 1 : len;
	}
	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)c.buf,
	    c.len, out, &olen) == NULL)
		memset(out, 0, IO_MAC_LEN);
	gw_buf_release(&c);
}

char *
iosync_mac_header(const unsigned char mac[IO_MAC_LEN])
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	gw_buf_addstr(&b, "hmac-sha256=");
	gw_base64(&b, mac, IO_MAC_LEN);
	return gw_buf_detach(&b);
}

int
iosync_mac_verify(const void *key, size_t klen, const char *hdr,
    const char *subject, const char *body, size_t len)
{
	unsigned char want[IO_MAC_LEN];
	struct gw_buf got;
	const char *v;
	size_t n;
	int ok;

	if (hdr == NULL || subject == NULL)
		return 0;
	v = hdr;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!gw_strncaseeq(v, "hmac-sha256=", 12))
		return 0;
	v += 12;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	gw_buf_init(&got, 256);
	if (io_base64_decode(v, n, &got) == -1 || got.len != IO_MAC_LEN) {
		gw_buf_release(&got);
		return 0;
	}
	iosync_mac(key, klen, subject, body, len, want);
	ok = CRYPTO_memcmp(want, got.buf, IO_MAC_LEN) == 0;
	gw_buf_release(&got);
	return ok;
}
