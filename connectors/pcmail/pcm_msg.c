/*
 * Dir-sync messages: MIME leaf parts (base64, quoted-printable), the
 * [DIRSYNC] section, subjects, and building multipart replies.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailbox.h"
#include "pcm_msg.h"
#include "pcm_trans.h"
#include "record.h"
#include "util.h"

/* ---- headers ---- */

char *
pcm_header_value(const char *block, size_t len, const char *name)
{
	size_t nlen = strlen(name), i = 0;
	struct gw_buf v;
	char *r;

	while (i < len) {
		if (i + nlen < len && gw_strncaseeq(block + i, name, nlen) &&
		    block[i + nlen] == ':') {
			gw_buf_init(&v, 65536);
			i += nlen + 1;
			for (;;) {
				while (i < len && block[i] != '\n') {
					if (block[i] != '\r')
						gw_buf_addch(&v, block[i]);
					i++;
				}
				i++;
				if (i < len && (block[i] == ' ' ||
				    block[i] == '\t'))
					continue;
				break;
			}
			r = gw_strdup(v.buf != NULL ? gw_trim(v.buf) : "");
			gw_buf_release(&v);
			return r;
		}
		while (i < len && block[i] != '\n')
			i++;
		i++;
	}
	return NULL;
}

/* Parameter of a structured header value ("a/b; charset=x"), or NULL. */
static char *
header_param(const char *v, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = strchr(v, ';'), *e;

	while (p != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (gw_strncaseeq(p, name, nlen) && p[nlen] == '=') {
			p += nlen + 1;
			if (*p == '"') {
				e = strchr(p + 1, '"');
				return e != NULL ? gw_strndup(p + 1,
				    (size_t)(e - p - 1)) : NULL;
			}
			e = p + strcspn(p, "; \t");
			return gw_strndup(p, (size_t)(e - p));
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static char *
lower_token(const char *v)
{
	size_t n = strcspn(v, "; \t");
	char *s = gw_strndup(v, n), *q;

	for (q = s; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	return s;
}

/* ---- transfer encodings ---- */

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

static int
unbase64(const char *s, size_t len, struct gw_buf *out)
{
	unsigned int acc = 0;
	int bits = 0, v, pad = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64val(c)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (gw_buf_addch(out, (char)((acc >> bits) & 0xff)) == -1)
				return -1;
		}
	}
	return 0;
}

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = toupper(c);
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
unqp(const char *s, size_t len, struct gw_buf *out)
{
	size_t i;
	int h, l;

	for (i = 0; i < len; i++) {
		if (s[i] != '=') {
			if (gw_buf_addch(out, s[i]) == -1)
				return -1;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		/* RFC 2045 6.7: a robust decoder keeps a stray '=' as it is */
		if (i + 2 >= len || (h = hexv((unsigned char)s[i + 1])) < 0 ||
		    (l = hexv((unsigned char)s[i + 2])) < 0) {
			if (gw_buf_addch(out, '=') == -1)
				return -1;
			continue;
		}
		if (gw_buf_addch(out, (char)(h * 16 + l)) == -1)
			return -1;
		i += 2;
	}
	return 0;
}

/* ---- MIME ---- */

struct mime {
	struct pcm_parts	*out;
	char			*why;
	size_t			 whylen;
};

static int
mime_fail(struct mime *m, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static int
mime_fail(struct mime *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->why, m->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Header block length: up to and including the blank line. */
static size_t
header_end(const char *s, size_t len, size_t *body)
{
	size_t i;

	if (len > 0 && s[0] == '\n') {
		*body = 1;
		return 0;
	}
	if (len > 1 && s[0] == '\r' && s[1] == '\n') {
		*body = 2;
		return 0;
	}
	for (i = 0; i + 1 < len; i++) {
		if (s[i] == '\n' && s[i + 1] == '\n') {
			*body = i + 2;
			return i + 1;
		}
		if (i + 3 < len && s[i] == '\r' && s[i + 1] == '\n' &&
		    s[i + 2] == '\r' && s[i + 3] == '\n') {
			*body = i + 4;
			return i + 2;
		}
	}
	*body = len;
	return len;
}

static int mime_entity(struct mime *, const char *hdr, size_t hlen,
    const char *body, size_t blen, int depth);

static int
mime_multipart(struct mime *m, const char *boundary, const char *body,
    size_t blen, int depth)
{
	size_t blen_b = strlen(boundary), i = 0, start = 0, end, hb, hl;
	int in_part = 0, closed = 0;
	const char *line;

	if (blen_b == 0 || blen_b > 70)
		return mime_fail(m, "bad MIME boundary");
	while (i <= blen) {
		line = body + i;
		end = i;
		while (end < blen && body[end] != '\n')
			end++;
		if (end - i >= blen_b + 2 && line[0] == '-' && line[1] == '-' &&
		    memcmp(line + 2, boundary, blen_b) == 0) {
			if (in_part) {
				/* the line end before the delimiter is its */
				size_t pe = i;

				if (pe > start && body[pe - 1] == '\n')
					pe--;
				if (pe > start && body[pe - 1] == '\r')
					pe--;
				hl = header_end(body + start, pe - start, &hb);
				if (mime_entity(m, body + start, hl,
				    body + start + hb, pe - start - hb,
				    depth + 1) == -1)
					return -1;
			}
			if (end - i >= blen_b + 4 && line[blen_b + 2] == '-' &&
			    line[blen_b + 3] == '-') {
				closed = 1;
				break;
			}
			in_part = 1;
			start = end + 1;
		}
		if (end >= blen)
			break;
		i = end + 1;
	}
	if (!closed)
		return mime_fail(m, "MIME multipart without its closing "
		    "boundary");
	return 0;
}

static int
mime_entity(struct mime *m, const char *hdr, size_t hlen, const char *body,
    size_t blen, int depth)
{
	char *ct, *cte, *cd, *boundary;
	struct pcm_part *p;
	struct gw_buf data;
	int rc = -1;

	if (depth > PCM_MAX_DEPTH)
		return mime_fail(m, "MIME parts nested deeper than %d",
		    PCM_MAX_DEPTH);
	ct = pcm_header_value(hdr, hlen, "Content-Type");
	cte = pcm_header_value(hdr, hlen, "Content-Transfer-Encoding");
	cd = pcm_header_value(hdr, hlen, "Content-Disposition");
	gw_buf_init(&data, GW_MAIL_MAX);
	if (ct != NULL && gw_strncaseeq(ct, "multipart/", 10)) {
		if ((boundary = header_param(ct, "boundary")) == NULL) {
			mime_fail(m, "multipart without a boundary");
			goto done;
		}
		rc = mime_multipart(m, boundary, body, blen, depth);
		free(boundary);
		goto done;
	}
	if (m->out->n == PCM_MAX_PARTS) {
		mime_fail(m, "more than %d MIME parts", PCM_MAX_PARTS);
		goto done;
	}
	if (cte != NULL && gw_strncaseeq(cte, "base64", 6)) {
		if (unbase64(body, blen, &data) == -1) {
			mime_fail(m, "bad base64 in a MIME part");
			goto done;
		}
	} else if (cte != NULL && gw_strncaseeq(cte, "quoted-printable", 16)) {
		if (unqp(body, blen, &data) == -1) {
			mime_fail(m, "bad quoted-printable in a MIME part");
			goto done;
		}
	} else if (gw_buf_add(&data, body, blen) == -1) {
		mime_fail(m, "MIME part too large");
		goto done;
	}
	m->out->p = gw_grow(m->out->p, m->out->n, sizeof(*p));
	p = &m->out->p[m->out->n++];
	memset(p, 0, sizeof(*p));
	p->type = lower_token(ct != NULL ? ct : "text/plain");
	if (ct != NULL && (p->charset = header_param(ct, "charset")) != NULL) {
		char *lc = lower_token(p->charset);

		free(p->charset);
		p->charset = lc;
	}
	if (cd != NULL)
		p->filename = header_param(cd, "filename");
	if (p->filename == NULL && ct != NULL)
		p->filename = header_param(ct, "name");
	if (data.buf == NULL)
		gw_buf_add(&data, "", 0);
	p->len = data.len;
	p->data = gw_buf_detach(&data);
	rc = 0;
done:
	gw_buf_release(&data);
	free(ct);
	free(cte);
	free(cd);
	return rc;
}

int
pcm_mime_parts(const char *raw, size_t rawlen, size_t body_off,
    struct pcm_parts *out, char *why, size_t whylen)
{
	struct mime m = { out, why, whylen };

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	if (body_off > rawlen)
		body_off = rawlen;
	if (mime_entity(&m, raw, body_off, raw + body_off, rawlen - body_off,
	    0) == -1) {
		pcm_parts_release(out);
		return -1;
	}
	return 0;
}

void
pcm_parts_release(struct pcm_parts *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->p[i].type);
		free(ps->p[i].charset);
		free(ps->p[i].filename);
		free(ps->p[i].data);
	}
	free(ps->p);
	memset(ps, 0, sizeof(*ps));
}

/* ---- the [DIRSYNC] section ---- */

/* Next line [*off, end of line) without CR; -1 at the end. */
static int
next_line(const char *text, size_t len, size_t *off, const char **s,
    size_t *l)
{
	const char *nl;

	if (*off >= len)
		return -1;
	*s = text + *off;
	nl = memchr(*s, '\n', len - *off);
	*l = nl != NULL ? (size_t)(nl - *s) : len - *off;
	*off += *l + (nl != NULL ? 1 : 0);
	while (*l > 0 && ((*s)[*l - 1] == '\r' || (*s)[*l - 1] == 0x1a))
		(*l)--;
	return 0;
}

static int
is_blank(const char *s, size_t l)
{
	size_t i;

	for (i = 0; i < l; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static int
tag_is(const char *s, size_t l, const char *tag)
{
	size_t tl = strlen(tag);

	while (l > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		l--;
	}
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		l--;
	return l == tl && gw_strncaseeq(s, tag, tl);
}

int
pcm_starts_with_tag(const char *text, size_t len, const char *tag,
    size_t *after, long *line)
{
	size_t off = 0;
	const char *s;
	size_t l;
	long n = 0;

	/* a UTF-8 byte order mark some mailers put first */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		off = 3;
	while (next_line(text, len, &off, &s, &l) == 0) {
		n++;
		if (is_blank(s, l))
			continue;
		if (!tag_is(s, l, tag))
			return 0;
		if (after != NULL)
			*after = off;
		if (line != NULL)
			*line = n;
		return 1;
	}
	return 0;
}

static int
hdr_fail(char *why, size_t whylen, long line, const char *fmt, ...)
    __attribute__((__format__(printf, 4, 5)));

static int
hdr_fail(char *why, size_t whylen, long line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(why, whylen, "line %ld: %s", line, msg);
	return -1;
}

static int
parse_seq(const char *v, uint64_t *out)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > 10)
		return -1;
	*out = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		*out = *out * 10 + (uint64_t)(v[i] - '0');
	}
	return 0;
}

static char *
cp_value(struct gw_codepage *cp, const char *s, size_t len)
{
	struct gw_buf b;

	gw_buf_init(&b, PCM_MAX_LINE * 4);
	if (cp == NULL || gw_cp_decode(cp, s, len, &b) < 0) {
		gw_buf_reset(&b);
		gw_buf_add(&b, s, len);
	}
	if (b.buf == NULL)
		gw_buf_add(&b, "", 0);
	return gw_buf_detach(&b);
}

/* "PCM:NET/PO" -> net, po ("" when the value has no such form). */
static void
split_reqname(const char *v, struct pcm_header *h)
{
	const char *colon = strchr(v, ':'), *slash;
	size_t tl;

	h->net[0] = h->po[0] = '\0';
	if (colon == NULL)
		return;
	tl = (size_t)(colon - v);
	if (!((tl == 3 && (gw_strncaseeq(v, "PCM", 3) ||
	    gw_strncaseeq(v, "CSI", 3))) || (tl == 2 &&
	    gw_strncaseeq(v, "MS", 2))))
		return;
	slash = strchr(colon + 1, '/');
	if (slash == NULL || slash == colon + 1 || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL ||
	    (size_t)(slash - colon - 1) >= sizeof(h->net) ||
	    strlen(slash + 1) >= sizeof(h->po))
		return;
	memcpy(h->net, colon + 1, (size_t)(slash - colon - 1));
	h->net[slash - colon - 1] = '\0';
	snprintf(h->po, sizeof(h->po), "%s", slash + 1);
}

/* TYPES=: the address types asked for (MS and CSI are PCM). */
static int
set_types(struct pcm_header *h, char *val, long line, char *why,
    size_t whylen)
{
	char **tok, *q;
	size_t n, i;
	int rc = 0;

	tok = conf_tokens(val, &n);
	h->types = gw_calloc(n + 1, sizeof(*h->types));
	for (i = 0; i < n && rc == 0; i++) {
		if (strlen(tok[i]) > PCM_TYPE_MAX) {
			rc = hdr_fail(why, whylen, line, "TYPES: '%s' is not "
			    "an address type", tok[i]);
			break;
		}
		for (q = tok[i]; *q != '\0'; q++) {
			if (!isalnum((unsigned char)*q)) {
				rc = hdr_fail(why, whylen, line, "TYPES: '%s' "
				    "is not an address type", tok[i]);
				break;
			}
			*q = (char)toupper((unsigned char)*q);
		}
		if (rc == 0)
			h->types[h->ntypes++] = gw_strdup(
			    gw_strcaseeq(tok[i], "MS") ||
			    gw_strcaseeq(tok[i], "CSI") ? "PCM" : tok[i]);
	}
	conf_tokens_free(tok, n);
	return rc;
}

static int
set_key(struct pcm_header *h, const char *key, const char *v, size_t vlen,
    struct gw_codepage *cp, long line, char *why, size_t whylen)
{
	char *val = gw_strndup(v, vlen);
	int rc = 0;

	if (gw_strcaseeq(key, "TASK")) {
		h->task_raw = val;
		h->task = gw_strcaseeq(val, "UPDATE") ? PCM_TASK_UPDATE :
		    gw_strcaseeq(val, "EXPORT") ? PCM_TASK_EXPORT :
		    gw_strcaseeq(val, "IMPORTREQ") ? PCM_TASK_IMPORTREQ :
		    gw_strcaseeq(val, "STATUS") ? PCM_TASK_STATUS :
		    PCM_TASK_BAD;
		return 0;
	}
	if (gw_strcaseeq(key, "REQNAME") || gw_strcaseeq(key, "NAME")) {
		h->reqname = cp_value(cp, v, vlen);
		split_reqname(h->reqname, h);
	} else if (gw_strcaseeq(key, "PASSWORD")) {
		h->password = cp_value(cp, v, vlen);
	} else if (gw_strcaseeq(key, "TYPES")) {
		rc = set_types(h, val, line, why, whylen);
	} else if (gw_strcaseeq(key, "TEMPLATE")) {
		if (gw_strcaseeq(val, "YES"))
			h->templates = 1;
		else if (gw_strcaseeq(val, "NO"))
			h->templates = 0;
		else
			rc = hdr_fail(why, whylen, line, "TEMPLATE must be YES "
			    "or NO");
	} else if (gw_strcaseeq(key, "REQSEQ") || gw_strcaseeq(key, "SRVSEQ") ||
	    gw_strcaseeq(key, "IMPSEQ")) {
		uint64_t *dst = gw_strcaseeq(key, "REQSEQ") ? &h->reqseq :
		    gw_strcaseeq(key, "SRVSEQ") ? &h->srvseq : &h->impseq;

		if (parse_seq(val, dst) == -1)
			rc = hdr_fail(why, whylen, line, "%s: '%s' is not a "
			    "number of 1 to 10 digits", key, val);
		else if (dst == &h->reqseq)
			h->has_reqseq = 1;
		else if (dst == &h->srvseq)
			h->has_srvseq = 1;
		else
			h->has_impseq = 1;
	} else if (gw_strcaseeq(key, "TRANSACTIONS")) {
		if (gw_strcaseeq(val, "INBODY"))
			h->attach = 0;
		else if (gw_strcaseeq(val, "INATTACHMENT"))
			h->attach = 1;
		else if (gw_strcaseeq(val, "INTERNAL"))
			rc = hdr_fail(why, whylen, line, "TRANSACTIONS=INTERNAL "
			    "(MS Mail's binary GLB form) is not supported: use "
			    "INBODY or INATTACHMENT");
		else
			rc = hdr_fail(why, whylen, line, "TRANSACTIONS must be "
			    "INBODY or INATTACHMENT");
	} else if (gw_strcaseeq(key, "COUNT")) {
		uint64_t c;

		if (parse_seq(val, &c) == -1)
			rc = hdr_fail(why, whylen, line, "COUNT: '%s' is not a "
			    "number", val);
		else
			h->count = (long)c;
	} else {
		h->unknown = gw_grow(h->unknown, h->nunknown,
		    sizeof(*h->unknown));
		h->unknown[h->nunknown++] = gw_strdup(key);
	}
	free(val);
	return rc;
}

int
pcm_header_parse(const char *text, size_t len, struct gw_codepage *cp,
    struct pcm_header *h, char *why, size_t whylen)
{
	static const char *const keys[] = { "TASK", "REQNAME", "NAME",
	    "PASSWORD", "TYPES", "TEMPLATE", "REQSEQ", "SRVSEQ", "IMPSEQ",
	    "TRANSACTIONS", "COUNT", NULL };
	unsigned int seen = 0;
	size_t off = 0, l, kl, i;
	const char *s, *eq, *k, *v;
	char key[64];
	long line;

	memset(h, 0, sizeof(*h));
	h->templates = -1;
	h->count = -1;
	why[0] = '\0';
	if (!pcm_starts_with_tag(text, len, "[DIRSYNC]", &off, &line))
		return 1;
	while (next_line(text, len, &off, &s, &l) == 0) {
		line++;
		if (l > PCM_MAX_LINE)
			return hdr_fail(why, whylen, line, "line longer than %d "
			    "bytes", PCM_MAX_LINE);
		for (i = 0; i < l; i++)
			if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
			    s[i] == 0x7f)
				return hdr_fail(why, whylen, line, "binary data "
				    "(byte 0x%02x at column %zu)",
				    (unsigned char)s[i], i + 1);
		if (is_blank(s, l) || s[0] == ';' || s[0] == '#')
			continue;
		if (tag_is(s, l, "[DIRSYNC-TRANSACTIONS]")) {
			h->trans_line = line;
			h->trans_off = off;
			break;
		}
		if ((eq = memchr(s, '=', l)) == NULL)
			return hdr_fail(why, whylen, line, "expected KEY=VALUE "
			    "in the [DIRSYNC] section");
		k = s;
		kl = (size_t)(eq - s);
		while (kl > 0 && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
			kl--;
		while (kl > 0 && (*k == ' ' || *k == '\t')) {
			k++;
			kl--;
		}
		if (kl == 0 || kl >= sizeof(key))
			return hdr_fail(why, whylen, line, "bad key before '='");
		memcpy(key, k, kl);
		key[kl] = '\0';
		for (i = 0; keys[i] != NULL; i++)
			if (gw_strcaseeq(keys[i], key))
				break;
		if (keys[i] != NULL) {
			/* NAME is the Mac form of REQNAME: one of the two */
			size_t bit = i == 2 ? 1 : i;

			if (seen & (1u << bit))
				return hdr_fail(why, whylen, line, "%s given "
				    "twice", key);
			seen |= 1u << bit;
		}
		v = eq + 1;
		l -= (size_t)(v - s);
		while (l > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			l--;
		}
		while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t'))
			l--;
		if (set_key(h, key, v, l, cp, line, why, whylen) == -1)
			return -1;
	}
	return 0;
}

void
pcm_header_release(struct pcm_header *h)
{
	size_t i;

	free(h->task_raw);
	free(h->reqname);
	free(h->password != NULL ? memset(h->password, 0,
	    strlen(h->password)) : NULL);
	for (i = 0; i < h->ntypes; i++)
		free(h->types[i]);
	free(h->types);
	for (i = 0; i < h->nunknown; i++)
		free(h->unknown[i]);
	free(h->unknown);
	memset(h, 0, sizeof(*h));
}

/* ---- subjects ---- */

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

static const char *
read_num(const char *p, uint64_t *v)
{
	int n = 0;

	*v = 0;
	while (isdigit((unsigned char)*p)) {
		if (++n > 19)
			return NULL;
		*v = *v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	return n > 0 ? p : NULL;
}

int
pcm_subject_parse(const char *subject, const char *verb,
    struct pcm_subject *o)
{
	size_t vl = strlen(verb);
	const char *p;
	uint64_t v;
	char key;

	memset(o, 0, sizeof(*o));
	p = subject;
	while (*p == ' ')
		p++;
	if (!gw_strncaseeq(p, verb, vl) || (p[vl] != ' ' && p[vl] != '\t'))
		return -1;
	p += vl;
	for (;;) {
		p = skip_ws(p);
		if (*p == '\0' || *p == '.')
			break;
		if (*p == '(') {
			p = skip_ws(p + 1);
			if (!gw_strncaseeq(p, "was", 3))
				return -1;
			if ((p = read_num(skip_ws(p + 3), &v)) == NULL)
				return -1;
			p = skip_ws(p);
			if (*p != ')')
				return -1;
			p++;
			o->was = v;
			o->has_was = 1;
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			if ((p = read_num(p, &v)) == NULL)
				return -1;
			p = skip_ws(p);
			if (!gw_strncaseeq(p, "sent", 4))
				return -1;
			p += 4;
			o->n = v;
			o->has_n = 1;
			continue;
		}
		key = (char)toupper((unsigned char)*p);
		if (key != 'R' && key != 'S' && key != 'I')
			return -1;
		p = skip_ws(p + 1);
		if (*p != '=')
			return -1;
		if ((p = read_num(skip_ws(p + 1), &v)) == NULL)
			return -1;
		if (key == 'R') {
			o->r = v;
			o->has_r = 1;
		} else if (key == 'S') {
			o->s = v;
			o->has_s = 1;
		} else {
			o->i = v;
			o->has_i = 1;
		}
	}
	return o->has_r || o->has_s ? 0 : -1;
}

int
pcm_status_subject(const char *subject, char *net, size_t netlen, char *po,
    size_t polen)
{
	static const char pre[] = "Status report from ";
	const char *p = subject, *slash;
	size_t n;

	while (*p == ' ')
		p++;
	if (!gw_strncaseeq(p, pre, sizeof(pre) - 1))
		return -1;
	p += sizeof(pre) - 1;
	n = strcspn(p, " .\t");
	slash = memchr(p, '/', n);
	if (slash == NULL || slash == p || (size_t)(slash - p) >= netlen ||
	    n - (size_t)(slash - p) - 1 >= polen || slash + 1 == p + n)
		return -1;
	memcpy(net, p, (size_t)(slash - p));
	net[slash - p] = '\0';
	memcpy(po, slash + 1, n - (size_t)(slash - p) - 1);
	po[n - (size_t)(slash - p) - 1] = '\0';
	return 0;
}

const char *
pcm_charset(const char *codepage)
{
	if (gw_strcaseeq(codepage, "CP437"))
		return "IBM437";
	if (gw_strcaseeq(codepage, "CP932"))
		return "Windows-31J";
	return "IBM850";
}

/* ---- building ---- */

int
pcm_mail_multipart(const char *from, const char *to, const char *subject,
    const char *extra, const char *charset, const char *body, size_t bodylen,
    const char *att_type, const char *att_name, const char *att,
    size_t attlen, char **out, size_t *outlen)
{
	static unsigned long counter;
	struct gw_buf b, enc;
	char date[64], boundary[80];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	int rfc822 = strcmp(att_type, "message/rfc822") == 0;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	counter++;
	snprintf(boundary, sizeof(boundary), "=_galgate_%lld_%ld_%lu",
	    (long long)now, (long)getpid(), counter);
	gw_buf_init(&b, GW_MAIL_MAX);
	gw_buf_init(&enc, GW_MAIL_MAX);
	if (gw_buf_printf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <%lld.%ld.m%lu@galgate>\r\n"
	    "MIME-Version: 1.0\r\n%s"
	    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
	    "--%s\r\nContent-Type: text/plain; charset=%s\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n", from, to, subject, date,
	    (long long)now, (long)getpid(), counter,
	    extra != NULL ? extra : "", boundary, boundary, charset) == -1)
		goto toobig;
	for (i = 0; i < bodylen; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r') &&
		    gw_buf_addch(&b, '\r') == -1)
			goto toobig;
		if (gw_buf_addch(&b, body[i]) == -1)
			goto toobig;
	}
	if (bodylen > 0 && body[bodylen - 1] != '\n' &&
	    gw_buf_addstr(&b, "\r\n") == -1)
		goto toobig;
	/* the line end before a boundary belongs to the boundary */
	if (rfc822) {
		if (gw_buf_printf(&b, "\r\n--%s\r\nContent-Type: "
		    "message/rfc822\r\n"
		    "Content-Disposition: attachment\r\n\r\n", boundary) == -1 ||
		    gw_buf_add(&b, att, attlen) == -1)
			goto toobig;
		if (attlen > 0 && att[attlen - 1] != '\n' &&
		    gw_buf_addstr(&b, "\r\n") == -1)
			goto toobig;
	} else {
		if (gw_buf_printf(&b, "\r\n--%s\r\nContent-Type: %s; charset=%s; "
		    "name=\"%s\"\r\nContent-Disposition: attachment; "
		    "filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n"
		    "\r\n", boundary, att_type, charset, att_name, att_name) ==
		    -1 || gw_base64(&enc, att, attlen) == -1)
			goto toobig;
		for (i = 0; i < enc.len; i += 76)
			if (gw_buf_add(&b, enc.buf + i, enc.len - i < 76 ?
			    enc.len - i : 76) == -1 ||
			    gw_buf_addstr(&b, "\r\n") == -1)
				goto toobig;
	}
	if (gw_buf_printf(&b, "\r\n--%s--\r\n", boundary) == -1)
		goto toobig;
	gw_buf_release(&enc);
	*outlen = b.len;
	*out = gw_buf_detach(&b);
	return 0;
toobig:
	gw_buf_release(&enc);
	gw_buf_release(&b);
	return -1;
}
