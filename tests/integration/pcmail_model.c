/*
 * A Microsoft Mail requestor postoffice for the tests (see pcmail_model.h).
 * Written from WA0725 and FORMATS.md section 2 alone; it reads galgate's
 * replies with strict fixed columns, so a layout error fails the test.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "pcmail_model.h"

struct qtx {
	unsigned long	 seq;
	char		*text;		/* lines without the number, CRLF */
};

struct aidx {
	size_t	*slot;
	size_t	 nslot, ngone;
};

struct pcr {
	char			 net[16], po[16], password[64], address[128];
	char			 inbox[256], outbox[256];
	unsigned long		 reqsync, srvsync, impsync, lastseq;
	struct qtx		*q;
	size_t			 nq;
	struct pcr_entry	*local;
	size_t			 nlocal;
	struct pcr_entry	*gal;
	size_t			 ngal;
	struct aidx		 gix;		/* gal by address */
	int			 attach;
	size_t			 echoes;
	char			 last_sent[768];
	char			*last_text;
};

/* Maildir names must sort in the order the tests send. */
static unsigned long counter;

static char *
fmt(const char *f, ...)
{
	va_list ap, aq;
	char *s;
	int n;

	va_start(ap, f);
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, f, aq);
	va_end(aq);
	s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

static char *
cat(char *a, const char *b)
{
	size_t la = a != NULL ? strlen(a) : 0;

	a = realloc(a, la + strlen(b) + 1);
	cr_assert_not_null(a);
	strcpy(a + la, b);
	return a;
}

struct pcr *
pcr_new(const char *net, const char *po, const char *password,
    const char *address, const char *gw_inbox, const char *gw_outbox)
{
	struct pcr *m = calloc(1, sizeof(*m));

	cr_assert_not_null(m);
	snprintf(m->net, sizeof(m->net), "%s", net);
	snprintf(m->po, sizeof(m->po), "%s", po);
	snprintf(m->password, sizeof(m->password), "%s", password);
	snprintf(m->address, sizeof(m->address), "%s", address);
	snprintf(m->inbox, sizeof(m->inbox), "%s", gw_inbox);
	snprintf(m->outbox, sizeof(m->outbox), "%s", gw_outbox);
	return m;
}

static void
entry_copy(struct pcr_entry *to, const struct pcr_entry *from)
{
	to->name = strdup(from->name);
	to->addr = strdup(from->addr);
	to->tpl = strdup(from->tpl);
	cr_assert(to->name != NULL && to->addr != NULL && to->tpl != NULL);
}

static void
entry_free(struct pcr_entry *e)
{
	free(e->name);
	free(e->addr);
	free(e->tpl);
}

void
pcr_free(struct pcr *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nq; i++)
		free(m->q[i].text);
	free(m->q);
	for (i = 0; i < m->nlocal; i++)
		entry_free(&m->local[i]);
	free(m->local);
	for (i = 0; i < m->ngal; i++)
		entry_free(&m->gal[i]);
	free(m->gal);
	free(m->gix.slot);
	free(m->last_text);
	free(m);
}

struct pcr *
pcr_clone(const struct pcr *m)
{
	struct pcr *c = malloc(sizeof(*c));
	size_t i;

	cr_assert_not_null(c);
	*c = *m;
	memset(&c->gix, 0, sizeof(c->gix));	/* made again on first use */
	c->q = calloc(m->nq + 1, sizeof(*c->q));
	c->local = calloc(m->nlocal + 1, sizeof(*c->local));
	c->gal = calloc(m->ngal + 1, sizeof(*c->gal));
	cr_assert(c->q != NULL && c->local != NULL && c->gal != NULL);
	for (i = 0; i < m->nq; i++) {
		c->q[i].seq = m->q[i].seq;
		c->q[i].text = strdup(m->q[i].text);
	}
	for (i = 0; i < m->nlocal; i++)
		entry_copy(&c->local[i], &m->local[i]);
	for (i = 0; i < m->ngal; i++)
		entry_copy(&c->gal[i], &m->gal[i]);
	c->last_text = m->last_text != NULL ? strdup(m->last_text) : NULL;
	return c;
}

static int
line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
pcr_dump(const struct pcr *m)
{
	char **line = calloc(m->ngal + 1, sizeof(*line)), *head, *out, *w;
	size_t i, len;

	cr_assert_not_null(line);
	head = fmt("ReqSync %lu, ImpSync %lu, %zu queued, %zu echoes\n",
	    m->reqsync, m->impsync, m->nq, m->echoes);
	len = strlen(head);
	for (i = 0; i < m->ngal; i++) {
		line[i] = fmt("%s\t%s\t%s\n", m->gal[i].addr, m->gal[i].name,
		    m->gal[i].tpl);
		len += strlen(line[i]);
	}
	if (m->ngal > 1)
		qsort(line, m->ngal, sizeof(*line), line_cmp);
	/* one buffer: appending line by line costs n^2 under ASan */
	out = malloc(len + 1);
	cr_assert_not_null(out);
	w = out + sprintf(out, "%s", head);
	for (i = 0; i < m->ngal; i++) {
		w += sprintf(w, "%s", line[i]);
		free(line[i]);
	}
	free(line);
	free(head);
	return out;
}

/* T0: REQTRANS numbers every transaction, starting at 1. */
static void
queue(struct pcr *m, char *text)
{
	m->q = realloc(m->q, (m->nq + 1) * sizeof(*m->q));
	cr_assert_not_null(m->q);
	m->q[m->nq].seq = ++m->lastseq;
	m->q[m->nq].text = text;
	m->nq++;
}

/*
 * The requestor's copy of the GAL is indexed by address (open
 * addressing, slot = index + 1, AIDX_GONE a freed slot): replies of a
 * few hundred transactions to a copy of thousands of entries, a few
 * dozen times per crash test, under AddressSanitizer too.
 */
#define AIDX_GONE	((size_t)-1)

static size_t
addr_hash(const char *a)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)tolower((unsigned char)*a)) *
		    1099511628211ULL;
	return (size_t)h;
}

static void
aidx_put(struct aidx *ix, const struct pcr_entry *v, size_t i)
{
	size_t k = addr_hash(v[i].addr) & (ix->nslot - 1);

	while (ix->slot[k] != 0 && ix->slot[k] != AIDX_GONE)
		k = (k + 1) & (ix->nslot - 1);
	if (ix->slot[k] == AIDX_GONE)
		ix->ngone--;
	ix->slot[k] = i + 1;
}

/* Made on first use (a clone has none) and grown before it fills up. */
static void
aidx_ready(struct aidx *ix, const struct pcr_entry *v, size_t n)
{
	size_t i, cap = 64;

	if (ix->slot != NULL && (n + 1 + ix->ngone) * 2 <= ix->nslot)
		return;
	while (cap < (n + 1) * 4)
		cap *= 2;
	free(ix->slot);
	ix->slot = calloc(cap, sizeof(*ix->slot));
	cr_assert_not_null(ix->slot);
	ix->nslot = cap;
	ix->ngone = 0;
	for (i = 0; i < n; i++)
		aidx_put(ix, v, i);
}

/* The slot holding index i. */
static size_t *
aidx_slot(struct aidx *ix, const struct pcr_entry *v, size_t i)
{
	size_t k = addr_hash(v[i].addr) & (ix->nslot - 1);

	while (ix->slot[k] != i + 1)
		k = (k + 1) & (ix->nslot - 1);
	return &ix->slot[k];
}

static struct pcr_entry *
find_in(struct pcr_entry *v, size_t n, struct aidx *ix, const char *addr)
{
	size_t i, k;

	if (ix == NULL) {
		for (i = 0; i < n; i++)
			if (strcasecmp(v[i].addr, addr) == 0)
				return &v[i];
		return NULL;
	}
	aidx_ready(ix, v, n);
	for (k = addr_hash(addr) & (ix->nslot - 1); ix->slot[k] != 0;
	    k = (k + 1) & (ix->nslot - 1))
		if (ix->slot[k] != AIDX_GONE &&
		    strcasecmp(v[ix->slot[k] - 1].addr, addr) == 0)
			return &v[ix->slot[k] - 1];
	return NULL;
}

static void
put_entry(struct pcr_entry **v, size_t *n, struct aidx *ix, const char *name,
    const char *addr, const char *tpl)
{
	struct pcr_entry *e = find_in(*v, *n, ix, addr);

	if (e == NULL) {
		*v = realloc(*v, (*n + 1) * sizeof(**v));
		cr_assert_not_null(*v);
		e = &(*v)[(*n)++];
		e->addr = strdup(addr);
		e->tpl = strdup("");
		e->name = NULL;
		if (ix != NULL)
			aidx_put(ix, *v, *n - 1);
	}
	free(e->name);
	e->name = strdup(name);
	if (tpl != NULL) {
		free(e->tpl);
		e->tpl = strdup(tpl);
	}
}

/* The last entry takes the place of the one dropped. */
static void
drop_entry(struct pcr_entry *v, size_t *n, struct aidx *ix, const char *addr)
{
	struct pcr_entry *e = find_in(v, *n, ix, addr);
	size_t i, last;

	if (e == NULL)
		return;
	i = (size_t)(e - v);
	last = *n - 1;
	if (ix != NULL) {
		*aidx_slot(ix, v, i) = AIDX_GONE;
		ix->ngone++;
		if (i != last)
			*aidx_slot(ix, v, last) = i + 1;
	}
	entry_free(e);
	*e = v[last];
	(*n)--;
}

/* "- Prompt:/value\r\n" lines -> "Prompt:/value\n" lines. */
static char *
tpl_plain(const char *tpl)
{
	char *out = strdup(""), *line;
	const char *p = tpl, *e;

	while (p != NULL && *p != '\0') {
		e = strstr(p, "\r\n");
		cr_assert_not_null(e, "template lines end with CRLF");
		cr_assert(strncmp(p, "- ", 2) == 0);
		line = fmt("%.*s\n", (int)(e - p - 2), p + 2);
		out = cat(out, line);
		free(line);
		p = e + 2;
	}
	return out;
}

void
pcr_add(struct pcr *m, const char *name, const char *mbx, const char *tpl)
{
	char *addr = fmt("PCM:%s/%s/%s", m->net, m->po, mbx), *plain;

	plain = tpl_plain(tpl);
	put_entry(&m->local, &m->nlocal, NULL, name, addr, plain);
	queue(m, fmt("A %-30s %s\r\n%s", name, addr, tpl != NULL ? tpl : ""));
	free(plain);
	free(addr);
}

void
pcr_add_addr(struct pcr *m, const char *name, const char *addr)
{
	put_entry(&m->local, &m->nlocal, NULL, name, addr, "");
	queue(m, fmt("A %-30s %s\r\n", name, addr));
}

void
pcr_modify(struct pcr *m, const char *mbx, const char *newname,
    const char *tpl)
{
	char *addr = fmt("PCM:%s/%s/%s", m->net, m->po, mbx), *plain;
	struct pcr_entry *e = find_in(m->local, m->nlocal, NULL, addr);

	cr_assert_not_null(e, "no local user %s", addr);
	/* numbered: the second line is indented to the name column */
	queue(m, fmt("M %-30s %s\r\n             %-30s %s\r\n%s", e->name, addr,
	    newname, addr, tpl != NULL ? tpl : ""));
	plain = tpl_plain(tpl);
	put_entry(&m->local, &m->nlocal, NULL, newname, addr, tpl != NULL ? plain :
	    NULL);
	free(plain);
	free(addr);
}

void
pcr_delete(struct pcr *m, const char *mbx)
{
	char *addr = fmt("PCM:%s/%s/%s", m->net, m->po, mbx);
	struct pcr_entry *e = find_in(m->local, m->nlocal, NULL, addr);

	cr_assert_not_null(e, "no local user %s", addr);
	queue(m, fmt("D %-30s %s\r\n", e->name, addr));
	drop_entry(m->local, &m->nlocal, NULL, addr);
	free(addr);
}

void
pcr_drop_local(struct pcr *m, const char *mbx)
{
	char *addr = fmt("PCM:%s/%s/%s", m->net, m->po, mbx);

	drop_entry(m->local, &m->nlocal, NULL, addr);
	free(addr);
}

void
pcr_export(struct pcr *m)
{
	size_t i;

	queue(m, fmt("R PCM:%s/%s\r\n", m->net, m->po));
	for (i = 0; i < m->nlocal; i++)
		queue(m, fmt("A %-30s %s\r\n", m->local[i].name,
		    m->local[i].addr));
}

void
pcr_queue_raw(struct pcr *m, const char *lines)
{
	queue(m, strdup(lines));
}

void
pcr_import_request(struct pcr *m)
{
	m->impsync++;
	m->srvsync = 0;
}

void
pcr_set_attach(struct pcr *m, int on)
{
	m->attach = on;
}

void
pcr_set_password(struct pcr *m, const char *pw)
{
	snprintf(m->password, sizeof(m->password), "%s", pw);
}

static char *
b64(const char *s, size_t len)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = malloc(len * 2 + 8), *p = o;
	const unsigned char *u = (const unsigned char *)s;
	size_t i, col = 0;

	cr_assert_not_null(o);
	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)u[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)u[i + 1] << 8;
		if (i + 2 < len)
			v |= u[i + 2];
		*p++ = t[(v >> 18) & 63];
		*p++ = t[(v >> 12) & 63];
		*p++ = i + 1 < len ? t[(v >> 6) & 63] : '=';
		*p++ = i + 2 < len ? t[v & 63] : '=';
		if ((col += 4) == 72) {
			*p++ = '\r';
			*p++ = '\n';
			col = 0;
		}
	}
	*p = '\0';
	return o;
}

static void
deliver(struct pcr *m, const char *raw)
{
	char tmp[600], dst[600];
	FILE *fp;

	counter++;
	snprintf(tmp, sizeof(tmp), "%s/tmp/%lu.M%luP1Q1.model", m->inbox,
	    1700000000UL + counter, counter);
	snprintf(dst, sizeof(dst), "%s/new/%lu.M%luP1Q1.model", m->inbox,
	    1700000000UL + counter, counter);
	mkdir(m->inbox, 0755);
	snprintf(m->last_sent, sizeof(m->last_sent), "%s/tmp", m->inbox);
	mkdir(m->last_sent, 0755);
	snprintf(m->last_sent, sizeof(m->last_sent), "%s/new", m->inbox);
	mkdir(m->last_sent, 0755);
	fp = fopen(tmp, "wb");
	cr_assert_not_null(fp, "%s", tmp);
	fputs(raw, fp);
	fclose(fp);
	cr_assert_eq(rename(tmp, dst), 0);
	snprintf(m->last_sent, sizeof(m->last_sent), "%s", dst);
}

void
pcr_send_raw(struct pcr *m, const char *subject, const char *body)
{
	char *raw = fmt("From: %s/%s/$SYSTEM <%s>\r\nTo: CONTOSO/GALGATE/$SYSTEM "
	    "<galgate-dirsync@contoso.example>\r\nSubject: %s\r\n"
	    "Message-ID: <%lu@%s.model>\r\n\r\n%s", m->net, m->po, m->address,
	    subject, counter + 1, m->po, body);

	deliver(m, raw);
	free(raw);
}

char *
pcr_send(struct pcr *m, const char *task)
{
	char *subject, *hdr, *tx = strdup("[DIRSYNC-TRANSACTIONS]\r\n"), *raw;
	char *line, *enc;
	size_t i, n = 0;

	/* WA0725 T1: what is above ReqSync goes, R is the last number */
	for (i = 0; i < m->nq; i++) {
		if (m->q[i].seq <= m->reqsync)
			continue;
		line = fmt("%010lu %s", m->q[i].seq, m->q[i].text);
		tx = cat(tx, line);
		free(line);
		n++;
	}
	subject = fmt("ReqTx R=%lu (was %lu), S=%lu, I=%lu %zu sent",
	    m->lastseq, m->reqsync, m->srvsync, m->impsync, n);
	hdr = fmt("[DIRSYNC]\r\nTASK=%s\r\nREQNAME=PCM:%s/%s\r\nPASSWORD=%s\r\n"
	    "REQSEQ=%010lu\r\nSRVSEQ=%010lu\r\nIMPSEQ=%010lu\r\n"
	    "TRANSACTIONS=%s\r\n", task, m->net, m->po, m->password,
	    m->lastseq, m->srvsync, m->impsync,
	    m->attach ? "INATTACHMENT" : "INBODY");
	if (!m->attach) {
		hdr = cat(hdr, tx);
		pcr_send_raw(m, subject, hdr);
	} else {
		enc = b64(tx, strlen(tx));
		raw = fmt("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
		    "boundary=\"mdl\"\r\n\r\n--mdl\r\nContent-Type: text/plain; "
		    "charset=IBM850\r\n\r\n%s\r\n--mdl\r\nContent-Type: "
		    "application/octet-stream; name=REQTRANS.TXT\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--mdl--\r\n",
		    hdr, enc);
		/* the MIME headers go with the message headers */
		{
			char *full = fmt("From: %s/%s/$SYSTEM <%s>\r\nTo: "
			    "CONTOSO/GALGATE/$SYSTEM <galgate-dirsync@contoso."
			    "example>\r\nSubject: %s\r\n%s", m->net, m->po,
			    m->address, subject, raw);

			deliver(m, full);
			free(full);
		}
		free(enc);
		free(raw);
	}
	free(hdr);
	free(tx);
	return subject;
}

const char *
pcr_last_sent(struct pcr *m)
{
	return m->last_sent;
}

/* ---- T3 ---- */

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(fp, "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Header value (first line only is enough for what the model reads). */
static char *
header(const char *raw, const char *name)
{
	const char *end = strstr(raw, "\r\n\r\n"), *p = raw, *e;
	size_t nl = strlen(name);

	cr_assert_not_null(end, "a message without a body");
	while (p < end) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			e = strstr(p, "\r\n");
			return fmt("%.*s", (int)(e - p), p);
		}
		p = strstr(p, "\r\n") + 2;
	}
	return NULL;
}

static int
unb64(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static char *
b64_decode(const char *s, const char *end)
{
	char *o = malloc((size_t)(end - s) + 1), *p = o;
	unsigned acc = 0;
	int bits = 0, v;

	cr_assert_not_null(o);
	for (; s < end; s++) {
		if ((v = unb64((unsigned char)*s)) < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			*p++ = (char)((acc >> bits) & 0xff);
		}
	}
	*p = '\0';
	return o;
}

/* The [DIRSYNC-TRANSACTIONS] text of a reply, body or attachment. */
static char *
transactions(const char *raw)
{
	const char *body = strstr(raw, "\r\n\r\n") + 4, *p, *end;
	char *ct = header(raw, "Content-Type"), *text;

	if (ct != NULL && strncasecmp(ct, "multipart/", 10) == 0) {
		p = strstr(body, "Content-Transfer-Encoding: base64\r\n");
		cr_assert_not_null(p, "an attachment reply without base64");
		p = strstr(p, "\r\n\r\n") + 4;
		end = strstr(p, "\r\n--");
		cr_assert_not_null(end);
		text = b64_decode(p, end);
	} else
		text = strdup(body);
	free(ct);
	p = strstr(text, "[DIRSYNC-TRANSACTIONS]\r\n");
	cr_assert_not_null(p, "no [DIRSYNC-TRANSACTIONS] in:\n%s", text);
	p = strdup(p + 24);
	free(text);
	return (char *)p;
}

static char *
trim(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == ' ')
		n--;
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	return fmt("%.*s", (int)n, s);
}

/* "Name (30 columns) ADDRESS": strictly the documented columns. */
static void
name_addr(const char *s, size_t len, char **name, char **addr)
{
	cr_assert(len > 31, "short transaction line '%.*s'", (int)len, s);
	cr_assert_eq(s[30], ' ', "column 33 is not a space: '%.*s'", (int)len,
	    s);
	cr_assert_neq(s[31], ' ', "no address in column 34: '%.*s'",
	    (int)len, s);
	*name = trim(s, 30);
	*addr = trim(s + 31, len - 31);
}

static void
own_check(struct pcr *m, const char *addr)
{
	char *own = fmt("PCM:%s/%s/", m->net, m->po);

	if (strncasecmp(addr, own, strlen(own)) == 0)
		m->echoes++;
	free(own);
}

/*
 * The next CRLF (strstr would do, but AddressSanitizer's measures the
 * whole rest of the text on every call).
 */
static const char *
crlf(const char *p)
{
	while ((p = strchr(p, '\r')) != NULL && p[1] != '\n')
		p++;
	return p;
}

static void
apply(struct pcr *m, const char *text)
{
	const char *p = text, *e, *s;
	char *name, *addr, *nname, *naddr, *last = NULL;
	size_t len;

	while (*p != '\0') {
		e = crlf(p);
		cr_assert_not_null(e, "a line without CRLF");
		len = (size_t)(e - p);
		if (len > 1 && p[0] == '-' && p[1] == ' ') {
			struct pcr_entry *en;

			cr_assert_not_null(last, "template line first");
			en = find_in(m->gal, m->ngal, &m->gix, last);
			cr_assert_not_null(en);
			s = fmt("%.*s\n", (int)(len - 2), p + 2);
			en->tpl = cat(en->tpl, s);
			free((char *)s);
			p = e + 2;
			continue;
		}
		/* galgate numbers every transaction: 10 digits and a space */
		for (s = p; s < p + 10; s++)
			cr_assert(isdigit((unsigned char)*s), "no number: "
			    "'%.*s'", (int)len, p);
		cr_assert_eq(p[10], ' ');
		cr_assert_eq(p[12], ' ', "column 2 is not a space");
		s = p + 13;
		free(last);
		last = NULL;
		switch (p[11]) {
		case 'R':
			addr = trim(s, len - 13);
			own_check(m, addr);
			{
				char *pre = fmt("%s/", addr);
				size_t i = 0;

				while (i < m->ngal)
					if (strncasecmp(m->gal[i].addr, pre,
					    strlen(pre)) == 0)
						drop_entry(m->gal, &m->ngal,
						    &m->gix, m->gal[i].addr);
					else
						i++;
				free(pre);
			}
			free(addr);
			break;
		case 'A':
			name_addr(s, len - 13, &name, &addr);
			own_check(m, addr);
			put_entry(&m->gal, &m->ngal, &m->gix, name, addr, "");
			last = addr;
			free(name);
			break;
		case 'D':
			name_addr(s, len - 13, &name, &addr);
			own_check(m, addr);
			cr_assert_not_null(find_in(m->gal, m->ngal, &m->gix, addr),
			    "D of %s, which it does not hold", addr);
			drop_entry(m->gal, &m->ngal, &m->gix, addr);
			free(name);
			free(addr);
			break;
		case 'M':
			name_addr(s, len - 13, &name, &addr);
			own_check(m, addr);
			p = e + 2;
			e = crlf(p);
			cr_assert_not_null(e);
			len = (size_t)(e - p);
			cr_assert(len > 13 && strncmp(p, "             ", 13) ==
			    0, "second line of M not indented to column 14: "
			    "'%.*s'", (int)len, p);
			name_addr(p + 13, len - 13, &nname, &naddr);
			cr_assert_not_null(find_in(m->gal, m->ngal, &m->gix, addr),
			    "M of %s (%s), which it does not hold", addr, name);
			cr_assert_str_eq(find_in(m->gal, m->ngal, &m->gix, addr)->name,
			    name, "M names the old name wrongly");
			drop_entry(m->gal, &m->ngal, &m->gix, addr);
			put_entry(&m->gal, &m->ngal, &m->gix, nname, naddr, "");
			last = naddr;
			free(name);
			free(addr);
			free(nname);
			break;
		default:
			cr_assert_fail("transaction code '%c'", p[11]);
		}
		p = e + 2;
	}
	free(last);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
pcr_receive(struct pcr *m)
{
	char dir[600], path[900], dst[900], **names = NULL, *raw, *to, *subj;
	char *out = NULL;
	unsigned long r, s, was, i_, n;
	size_t nn = 0, k, i;
	struct dirent *d;
	DIR *dd;

	snprintf(dir, sizeof(dir), "%s/new", m->outbox);
	dd = opendir(dir);
	if (dd == NULL)
		return NULL;
	while ((d = readdir(dd)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		names = realloc(names, (nn + 1) * sizeof(*names));
		names[nn++] = strdup(d->d_name);
	}
	closedir(dd);
	if (nn > 1)
		qsort(names, nn, sizeof(*names), name_cmp);
	for (k = 0; k < nn; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
		raw = slurp(path);
		to = header(raw, "To");
		if (to == NULL || strstr(to, m->address) == NULL) {
			free(to);
			free(raw);
			continue;
		}
		free(to);
		snprintf(dst, sizeof(dst), "%s/cur", m->outbox);
		mkdir(dst, 0755);
		snprintf(dst, sizeof(dst), "%s/cur/%s", m->outbox, names[k]);
		cr_assert_eq(rename(path, dst), 0);
		subj = header(raw, "Subject");
		cr_assert_not_null(subj);
		if (out != NULL)
			out = cat(out, "\n");
		out = cat(out, subj);
		if (strncmp(subj, "SrvTx ERROR ", 12) == 0) {
			free(subj);
			free(raw);
			continue;
		}
		cr_assert_eq(sscanf(subj, "SrvTx R=%lu S=%lu (was %lu), I=%lu "
		    "%lu sent", &r, &s, &was, &i_, &n), 5, "subject '%s'", subj);
		free(subj);
		/* old dir-sync mail from before an import is ignored */
		if (i_ < m->impsync) {
			free(raw);
			continue;
		}
		free(m->last_text);
		m->last_text = transactions(raw);
		apply(m, m->last_text);
		m->srvsync = s;
		/* acknowledged: the queue keeps only what is above R */
		if (r <= m->lastseq && r > m->reqsync) {
			m->reqsync = r;
			i = 0;
			while (i < m->nq)
				if (m->q[i].seq <= r) {
					free(m->q[i].text);
					memmove(&m->q[i], &m->q[i + 1],
					    (m->nq - i - 1) * sizeof(*m->q));
					m->nq--;
				} else
					i++;
		}
		free(raw);
	}
	for (k = 0; k < nn; k++)
		free(names[k]);
	free(names);
	return out;
}

const char *
pcr_last_text(struct pcr *m)
{
	return m->last_text != NULL ? m->last_text : "";
}

const struct pcr_entry *
pcr_find(struct pcr *m, const char *addr)
{
	return find_in(m->gal, m->ngal, &m->gix, addr);
}

size_t
pcr_count(struct pcr *m)
{
	return m->ngal;
}

size_t
pcr_echoes(struct pcr *m)
{
	return m->echoes;
}

unsigned long
pcr_reqsync(struct pcr *m)
{
	return m->reqsync;
}

unsigned long
pcr_srvsync(struct pcr *m)
{
	return m->srvsync;
}

size_t
pcr_queued(struct pcr *m)
{
	return m->nq;
}
