/*
 * Dir-sync transaction lines: the reader (fixed columns, tabs, or free
 * spacing as the KB articles print them) and the writer (fixed columns).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcm_trans.h"

void
pcm_batch_init(struct pcm_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void
pcm_txn_release(struct pcm_txn *t)
{
	size_t i;

	free(t->name);
	free(t->addr);
	free(t->new_name);
	free(t->new_addr);
	for (i = 0; i < t->ntpl; i++) {
		free(t->tpl[i].prompt);
		free(t->tpl[i].value);
	}
	free(t->tpl);
	memset(t, 0, sizeof(*t));
}

void
pcm_batch_release(struct pcm_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		pcm_txn_release(&b->txn[i]);
	free(b->txn);
	for (i = 0; i < b->nbad; i++)
		free(b->bad[i].why);
	free(b->bad);
	pcm_batch_init(b);
}

int
pcm_mail_type(const char *type, size_t len)
{
	/*
	 * MS and CSI are PCM under other names: an address is checked before
	 * its type is folded to PCM, so they must get the same NET/PO/MAILBOX
	 * rules, or "MS:" would carry any text into a PCM address.
	 */
	static const char *const mail[] = { "PCM", "MS", "CSI", "PROFS",
	    "SNADS", "OV", "FFAPI", NULL };
	size_t i;

	for (i = 0; mail[i] != NULL; i++)
		if (strlen(mail[i]) == len && gw_strncaseeq(mail[i], type, len))
			return 1;
	return 0;
}

static int
alnum_run(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

const char *
pcm_check_addr(const char *addr)
{
	const char *colon = strchr(addr, ':'), *rest, *s1, *s2, *p;
	size_t tlen;

	/*
	 * A tab read inside an address would go out as a blank (the writer
	 * makes control characters blanks): another address, and churn.
	 */
	for (p = addr; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "the address holds a control character";
	if (colon == NULL)
		return "no address type (TYPE:address)";
	tlen = (size_t)(colon - addr);
	if (tlen == 0 || tlen > PCM_TYPE_MAX || !alnum_run(addr, tlen))
		return "the address type must be 1 to 10 letters or digits";
	rest = colon + 1;
	if (*rest == '\0')
		return "empty address";
	/* the columns reader finds an address by "TYPE:" and no blank */
	if (*rest == ' ')
		return "a blank after the address type";
	if (pcm_mail_type(addr, tlen)) {
		/* error 20 and 69-71 of MS Mail: 10/10/10, alphanumeric */
		if ((s1 = strchr(rest, '/')) == NULL ||
		    (s2 = strchr(s1 + 1, '/')) == NULL ||
		    strchr(s2 + 1, '/') != NULL)
			return "a mail address must be NET/PO/MAILBOX";
		if ((size_t)(s1 - rest) > PCM_ELEM_MAX ||
		    (size_t)(s2 - s1 - 1) > PCM_ELEM_MAX ||
		    strlen(s2 + 1) > PCM_ELEM_MAX)
			return "address element longer than 10 characters "
			    "(MS Mail error 20)";
		if (!alnum_run(rest, (size_t)(s1 - rest)) ||
		    !alnum_run(s1 + 1, (size_t)(s2 - s1 - 1)) ||
		    !alnum_run(s2 + 1, strlen(s2 + 1)))
			return "network, postoffice and mailbox names must be "
			    "letters and digits (MS Mail errors 69-71)";
		return NULL;
	}
	if (tlen == 4 && gw_strncaseeq(addr, "SMTP", 4)) {
		const char *at = strchr(rest, '@');

		if (at == NULL || at == rest || at[1] == '\0' ||
		    strchr(rest, ' ') != NULL || strchr(at + 1, '@') != NULL)
			return "not an SMTP address";
	}
	return NULL;
}

/* ---- the reader ---- */

struct parser {
	struct gw_codepage	*cp;
	struct pcm_batch	*b;
	long			 line;
	long			 cur;		/* index of the open transaction */
	size_t			 numwidth;	/* digits of its number, +1 */
	int			 want_second;	/* an M without its 2nd line */
	int			 in_tdef;	/* after a T line */
	int			 skipping;	/* its transaction was refused */
};

static void
bad(struct parser *p, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
bad(struct parser *p, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	p->b->bad = gw_grow(p->b->bad, p->b->nbad, sizeof(*p->b->bad));
	p->b->bad[p->b->nbad].line = p->line;
	p->b->bad[p->b->nbad].why = gw_strdup(why);
	p->b->nbad++;
}

/* A refused transaction: its continuation lines go with it, unreported. */
static void
refuse(struct parser *p)
{
	p->cur = -1;
	p->want_second = 0;
	p->in_tdef = 0;
	p->skipping = 1;
}

/* Code page bytes to UTF-8 (caller frees); NULL with why when invalid. */
static char *
decode(struct parser *p, const char *s, size_t len, const char **why)
{
	struct gw_buf b;
	int rep;

	gw_buf_init(&b, PCM_MAX_LINE * 4);
	if (p->cp == NULL) {
		if (!gw_utf8_valid(s, len)) {
			*why = "not valid UTF-8";
			gw_buf_release(&b);
			return NULL;
		}
		gw_buf_add(&b, s, len);
	} else {
		if ((rep = gw_cp_decode(p->cp, s, len, &b)) < 0) {
			*why = "value too long";
			gw_buf_release(&b);
			return NULL;
		}
		p->b->replaced += (size_t)rep;
	}
	if (b.buf == NULL)
		gw_buf_add(&b, "", 0);
	return gw_buf_detach(&b);
}

/* "TYPE:" followed by something other than a blank at s? */
static int
type_prefix(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i <= PCM_TYPE_MAX; i++) {
		if (s[i] == ':')
			return i > 0 && i + 1 < len && s[i + 1] != ' ' &&
			    s[i + 1] != '\t';
		if (!isalnum((unsigned char)s[i]))
			return 0;
	}
	return 0;
}

static void
span_trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/*
 * Splits "name<pad>TYPE:address": the tab form, then the fixed columns
 * (address in the 32nd byte of rest), then free spacing (the last blank
 * followed by TYPE:).  Returns 0 with the two spans, or -1.
 */
static int
split_name_addr(const char *rest, size_t len, const char **name,
    size_t *nlen, const char **addr, size_t *alen)
{
	const char *tab = memchr(rest, '\t', len);
	size_t i;

	if (tab != NULL) {
		*name = rest;
		*nlen = (size_t)(tab - rest);
		*addr = tab;
		*alen = len - *nlen;
	} else if (len > PCM_NAME_MAX + 1 && rest[PCM_NAME_MAX] == ' ' &&
	    rest[PCM_NAME_MAX + 1] != ' ' &&
	    type_prefix(rest + PCM_NAME_MAX + 1, len - PCM_NAME_MAX - 1)) {
		*name = rest;
		*nlen = PCM_NAME_MAX;
		*addr = rest + PCM_NAME_MAX + 1;
		*alen = len - PCM_NAME_MAX - 1;
	} else {
		for (i = len; i > 1; i--)
			if ((rest[i - 2] == ' ') &&
			    type_prefix(rest + i - 1, len - i + 1))
				break;
		if (i <= 1)
			return -1;
		*name = rest;
		*nlen = i - 2;
		*addr = rest + i - 1;
		*alen = len - i + 1;
	}
	span_trim(name, nlen);
	span_trim(addr, alen);
	return 0;
}

/* "ms:a/b/c" -> "PCM:a/b/c": the type upper-cased, synonyms folded. */
static char *
norm_addr(const char *a)
{
	const char *colon = strchr(a, ':');
	struct gw_buf b;
	size_t i, tlen = (size_t)(colon - a);

	gw_buf_init(&b, 0);
	if ((tlen == 2 && gw_strncaseeq(a, "MS", 2)) ||
	    (tlen == 3 && gw_strncaseeq(a, "CSI", 3)))
		gw_buf_addstr(&b, "PCM");
	else
		for (i = 0; i < tlen; i++)
			gw_buf_addch(&b, (char)toupper((unsigned char)a[i]));
	gw_buf_addstr(&b, colon);
	return gw_buf_detach(&b);
}

/* Name and address of an A, D or M line, or of a modify's second line. */
static int
read_name_addr(struct parser *p, const char *rest, size_t len, char **name,
    char **addr)
{
	const char *n, *a, *why;
	size_t nl, al;
	char *dn, *da;

	*name = *addr = NULL;
	if (split_name_addr(rest, len, &n, &nl, &a, &al) == -1 || al == 0) {
		bad(p, "no address (expected the friendly name, then "
		    "TYPE:address)");
		return -1;
	}
	if (nl == 0) {
		bad(p, "no friendly name before the address");
		return -1;
	}
	if (nl > PCM_NAME_MAX) {
		bad(p, "friendly name longer than %d characters (MS Mail "
		    "error 72)", PCM_NAME_MAX);
		return -1;
	}
	if ((dn = decode(p, n, nl, &why)) == NULL) {
		bad(p, "friendly name: %s", why);
		return -1;
	}
	if ((da = decode(p, a, al, &why)) == NULL) {
		free(dn);
		bad(p, "address: %s", why);
		return -1;
	}
	if ((why = pcm_check_addr(da)) != NULL) {
		bad(p, "address '%s': %s", da, why);
		free(dn);
		free(da);
		return -1;
	}
	*name = dn;
	*addr = norm_addr(da);
	free(da);
	return 0;
}

static struct pcm_txn *
new_txn(struct parser *p, char code, int numbered, uint64_t seq)
{
	struct pcm_txn *t;

	p->b->txn = gw_grow(p->b->txn, p->b->n, sizeof(*p->b->txn));
	t = &p->b->txn[p->b->n];
	memset(t, 0, sizeof(*t));
	t->code = code;
	t->numbered = numbered;
	t->seq = seq;
	t->line = p->line;
	return t;
}

static void
read_replace(struct parser *p, const char *s, size_t len, int numbered,
    uint64_t seq)
{
	const char *colon, *why, *slash;
	char *a;
	size_t tlen;

	span_trim(&s, &len);
	colon = memchr(s, ':', len);
	tlen = colon != NULL ? (size_t)(colon - s) : 0;
	if (colon == NULL || tlen == 0 || tlen > PCM_TYPE_MAX ||
	    !alnum_run(s, tlen)) {
		bad(p, "R needs TYPE: or TYPE:NET/PO");
		refuse(p);
		return;
	}
	if ((a = decode(p, s, len, &why)) == NULL) {
		bad(p, "R: %s", why);
		refuse(p);
		return;
	}
	colon = strchr(a, ':');
	if (colon[1] != '\0') {
		slash = strchr(colon + 1, '/');
		if (!pcm_mail_type(a, tlen) || slash == NULL ||
		    strchr(slash + 1, '/') != NULL ||
		    (size_t)(slash - colon - 1) > PCM_ELEM_MAX ||
		    strlen(slash + 1) > PCM_ELEM_MAX ||
		    !alnum_run(colon + 1, (size_t)(slash - colon - 1)) ||
		    !alnum_run(slash + 1, strlen(slash + 1))) {
			bad(p, "R needs TYPE: or TYPE:NET/PO (got '%s')", a);
			free(a);
			refuse(p);
			return;
		}
	}
	new_txn(p, 'R', numbered, seq)->addr = norm_addr(a);
	free(a);
	p->cur = (long)p->b->n++;
}

static void
read_transaction(struct parser *p, const char *s, size_t len, int numbered,
    uint64_t seq)
{
	char code = (char)toupper((unsigned char)s[0]), *name, *addr;
	struct pcm_txn *t;

	p->skipping = 0;
	p->cur = -1;
	p->want_second = 0;
	p->in_tdef = 0;
	if (strchr("ADMRT", code) == NULL || code == '\0') {
		bad(p, "unknown transaction code '%c' (valid: A, D, M, R, T)",
		    s[0]);
		refuse(p);
		return;
	}
	if (code == 'R') {
		read_replace(p, s + 1, len - 1, numbered, seq);
		return;
	}
	if (code == 'T') {
		/* a template definition: its prompt lines follow */
		p->b->ndefs++;
		p->in_tdef = 1;
		return;
	}
	if (len < 2 || (s[1] != ' ' && s[1] != '\t')) {
		bad(p, "column 2 must be a space or a tab");
		refuse(p);
		return;
	}
	if (read_name_addr(p, s + 2, len - 2, &name, &addr) == -1) {
		refuse(p);
		return;
	}
	t = new_txn(p, code, numbered, seq);
	t->name = name;
	t->addr = addr;
	p->cur = (long)p->b->n++;
	p->want_second = code == 'M';
}

static void
read_second(struct parser *p, const char *s, size_t len)
{
	struct pcm_txn *t = &p->b->txn[p->cur];
	size_t k = 0, want = p->numwidth + 2;
	char *name, *addr;

	p->want_second = 0;
	while (k < len && s[k] == ' ')
		k++;
	/* indented to the name column: the fixed columns apply from there */
	k = k >= want ? want : k;
	if (read_name_addr(p, s + k, len - k, &name, &addr) == -1) {
		/* the whole modify goes: half of it would be wrong */
		pcm_txn_release(t);
		p->b->n--;
		refuse(p);
		return;
	}
	t->new_name = name;
	t->new_addr = addr;
}

static void
read_template(struct parser *p, const char *s, size_t len)
{
	struct pcm_txn *t;
	struct gw_buf prompt;
	const char *why, *a;
	size_t i;
	char *value;
	int sep = -1;

	if (p->skipping)
		return;
	if (p->cur < 0) {
		bad(p, "template line without an A or M transaction before it");
		return;
	}
	t = &p->b->txn[p->cur];
	p->want_second = 0;
	if (t->code == 'D')
		return;		/* allowed after D, and meaningless there */
	if (t->code != 'A' && t->code != 'M') {
		bad(p, "template line after an %c transaction", t->code);
		return;
	}
	a = t->new_addr != NULL ? t->new_addr : t->addr;
	if (!pcm_mail_type(a, strcspn(a, ":"))) {
		bad(p, "template information is not allowed for %.*s "
		    "addresses (MS Mail error 24)", (int)strcspn(a, ":"), a);
		return;
	}
	/* "- Prompt:/value": '/' inside the prompt is doubled */
	i = 1;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	gw_buf_init(&prompt, PCM_MAX_LINE);
	for (; i < len; i++) {
		if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
			gw_buf_addch(&prompt, '/');
			i++;
		} else if (s[i] == '/') {
			sep = (int)i;
			break;
		} else
			gw_buf_addch(&prompt, s[i]);
	}
	if (sep < 0 || prompt.len == 0) {
		bad(p, "template line needs '- Prompt:/value'");
		gw_buf_release(&prompt);
		return;
	}
	t->tpl = gw_grow(t->tpl, t->ntpl, sizeof(*t->tpl));
	if ((t->tpl[t->ntpl].prompt = decode(p, prompt.buf, prompt.len,
	    &why)) == NULL || (value = decode(p, s + sep + 1,
	    len - (size_t)sep - 1, &why)) == NULL) {
		free(t->tpl[t->ntpl].prompt);
		bad(p, "template line: %s", why);
		gw_buf_release(&prompt);
		return;
	}
	t->tpl[t->ntpl].value = gw_strdup(gw_trim(value));
	free(value);
	t->ntpl++;
	gw_buf_release(&prompt);
}

static int
read_numbered(struct parser *p, const char *s, size_t len)
{
	size_t i = 0;
	uint64_t seq = 0;

	while (i < len && isdigit((unsigned char)s[i])) {
		if (i == PCM_SEQ_DIGITS) {
			bad(p, "sequence number longer than %d digits",
			    PCM_SEQ_DIGITS);
			refuse(p);
			return 0;
		}
		seq = seq * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (i == len || (s[i] != ' ' && s[i] != '\t')) {
		bad(p, "a sequence number must be followed by a space and the "
		    "transaction code");
		refuse(p);
		return 0;
	}
	p->numwidth = i + 1;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len) {
		bad(p, "sequence number without a transaction");
		refuse(p);
		return 0;
	}
	read_transaction(p, s + i, len - i, 1, seq);
	return 0;
}

/* "Prompt:~start~length~chars~default~" after a T line */
static int
tdef_line(const char *t, size_t tl)
{
	const char *c = memchr(t, ':', tl);

	return c != NULL && (size_t)(c - t) + 1 < tl && c[1] == '~';
}

/*
 * After an M, an indented line starting with '-' is its second line when
 * an address stands in the fixed column (a name may start with '-', and
 * the writer always uses the columns), a template line otherwise.
 */
static int
dash_second_line(const struct parser *p, const char *s, size_t len)
{
	size_t k = 0, want = p->numwidth + 2;
	const char *rest;

	if (!p->want_second || p->skipping || len == 0 || s[0] != ' ')
		return 0;
	while (k < len && s[k] == ' ')
		k++;
	k = k >= want ? want : k;
	rest = s + k;
	len -= k;
	return len > PCM_NAME_MAX + 1 && rest[PCM_NAME_MAX] == ' ' &&
	    rest[PCM_NAME_MAX + 1] != ' ' &&
	    type_prefix(rest + PCM_NAME_MAX + 1, len - PCM_NAME_MAX - 1);
}

static void
read_line(struct parser *p, const char *s, size_t len)
{
	const char *t = s;
	size_t tl = len, i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			bad(p, "binary data (byte 0x%02x at column %zu)", c,
			    i + 1);
			if (s[0] != ' ' && s[0] != '\t' && s[0] != '-')
				refuse(p);
			return;
		}
	}
	span_trim(&t, &tl);
	if (tl == 0)
		return;
	if (tl == 22 && gw_strncaseeq(t, "[DIRSYNC-TRANSACTIONS]", 22))
		return;
	if (s[0] == '#') {
		/* comments and PODIAG's dummy record */
		return;
	}
	if (p->in_tdef && tdef_line(t, tl))
		return;
	if (t[0] == '-' && !dash_second_line(p, s, len)) {
		read_template(p, t, tl);
		return;
	}
	if (s[0] == ' ' || s[0] == '\t') {
		if (p->skipping)
			return;
		if (p->want_second) {
			read_second(p, s, len);
			return;
		}
		bad(p, "indented line that is neither a template line nor the "
		    "second line of a modify");
		return;
	}
	p->numwidth = 0;
	if (isdigit((unsigned char)s[0]))
		(void)read_numbered(p, s, len);
	else
		read_transaction(p, s, len, 0, 0);
}

int
pcm_parse(const char *text, size_t len, struct gw_codepage *cp, long line0,
    struct pcm_batch *b, struct gw_err *err)
{
	struct parser p;
	const char *s = text, *end = text + len, *nl;
	size_t l, k;

	memset(&p, 0, sizeof(p));
	p.cp = cp;
	p.b = b;
	p.cur = -1;
	p.line = line0 - 1;
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		l = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		p.line++;
		/* CR LF, and the extra CR Exchange 4.0 put at the end */
		while (l > 0 && s[l - 1] == '\r')
			l--;
		/* a DOS end-of-file mark with nothing but blanks after it */
		if (l > 0 && s[l - 1] == 0x1a) {
			for (k = (size_t)(s + l - text); k < len; k++)
				if (strchr("\r\n\x1a \t", text[k]) == NULL)
					break;
			if (k == len) {
				l--;
				end = s + l;
			}
		}
		if (l > PCM_MAX_LINE) {
			bad(&p, "line longer than %d bytes", PCM_MAX_LINE);
			if (s[0] != ' ' && s[0] != '\t' && s[0] != '-')
				refuse(&p);
		} else
			read_line(&p, s, l);
		if (b->n > PCM_MAX_TXN)
			return gw_err_set(err, GW_EXIT_INPUT, "line %ld: more "
			    "than %zu transactions", p.line, PCM_MAX_TXN);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return 0;
}

/* ---- the writer ---- */

size_t
pcm_cp_len(struct gw_codepage *cp, const char *s)
{
	struct gw_buf b;
	size_t n;

	if (cp == NULL)
		return strlen(s);
	gw_buf_init(&b, 0);
	(void)gw_cp_encode(cp, s, strlen(s), &b);
	n = b.len;
	gw_buf_release(&b);
	return n;
}

static size_t
utf8_charlen(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

char *
pcm_cp_cut(struct gw_codepage *cp, const char *s, size_t max)
{
	struct gw_buf b;
	size_t i = 0, used = 0, cl, bytes;

	gw_buf_init(&b, 0);
	while (s[i] != '\0') {
		cl = utf8_charlen((unsigned char)s[i]);
		if (strnlen(s + i, cl) < cl)
			break;
		if (cp == NULL)
			bytes = cl;
		else {
			gw_buf_reset(&b);
			(void)gw_cp_encode(cp, s + i, cl, &b);
			bytes = b.len;
		}
		if (used + bytes > max)
			break;
		used += bytes;
		i += cl;
	}
	gw_buf_release(&b);
	return gw_strndup(s, i);
}

/* Appends s converted (control characters made blanks); -1 if too big. */
static int
put_text(struct gw_buf *out, struct gw_codepage *cp, const char *s,
    size_t *replaced)
{
	char *clean = gw_strdup(s), *q;
	int rep = 0;

	for (q = clean; *q != '\0'; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = ' ';
	if (cp == NULL)
		rep = gw_buf_addstr(out, clean) == -1 ? -1 : 0;
	else
		rep = gw_cp_encode(cp, clean, strlen(clean), out);
	free(clean);
	if (rep < 0)
		return -1;
	if (replaced != NULL)
		*replaced += (size_t)rep;
	return 0;
}

/* "name<pad to 30> address" */
static int
put_name_addr(struct gw_buf *out, struct gw_codepage *cp, const char *name,
    const char *addr, size_t *replaced)
{
	size_t start = out->len;

	if (put_text(out, cp, name, replaced) == -1)
		return -1;
	if (out->len - start > PCM_NAME_MAX)
		return -1;
	while (out->len - start < PCM_NAME_MAX + 1)
		if (gw_buf_addch(out, ' ') == -1)
			return -1;
	return put_text(out, cp, addr, replaced);
}

static int
line_end(struct gw_buf *out, size_t start)
{
	if (out->len - start > PCM_MAX_LINE)
		return -1;
	return gw_buf_addstr(out, "\r\n");
}

int
pcm_write_txn(struct gw_buf *out, const struct pcm_txn *t,
    struct gw_codepage *cp, size_t *replaced)
{
	size_t start = out->len, i;
	struct gw_buf esc;
	const char *p;
	int rc = 0;

	gw_buf_init(&esc, PCM_MAX_LINE);
	if (t->numbered)
		rc |= gw_buf_printf(out, "%010llu ",
		    (unsigned long long)t->seq);
	rc |= gw_buf_addch(out, t->code);
	rc |= gw_buf_addch(out, ' ');
	if (rc != 0)
		return -1;
	if (t->code == 'R') {
		if (put_text(out, cp, t->addr, replaced) == -1)
			return -1;
		return line_end(out, start);
	}
	if (put_name_addr(out, cp, t->name, t->addr, replaced) == -1 ||
	    line_end(out, start) == -1)
		return -1;
	if (t->code == 'M') {
		start = out->len;
		if (t->numbered)
			rc |= gw_buf_addstr(out, "           ");
		rc |= gw_buf_addstr(out, "  ");
		if (rc != 0 || put_name_addr(out, cp, t->new_name != NULL ?
		    t->new_name : t->name, t->new_addr != NULL ? t->new_addr :
		    t->addr, replaced) == -1 || line_end(out, start) == -1)
			return -1;
	}
	for (i = 0; i < t->ntpl; i++) {
		start = out->len;
		if (gw_buf_addstr(out, "- ") == -1)
			goto toobig;
		gw_buf_reset(&esc);
		for (p = t->tpl[i].prompt; *p != '\0'; p++)
			if ((*p == '/' && gw_buf_addch(&esc, '/') == -1) ||
			    gw_buf_addch(&esc, *p) == -1)
				goto toobig;
		/*
		 * A value starting with '/' would make the separator read
		 * as a doubled '/' of the prompt; a blank keeps them apart
		 * (readers trim values).
		 */
		if (put_text(out, cp, esc.buf != NULL ? esc.buf : "",
		    replaced) == -1 || gw_buf_addstr(out,
		    t->tpl[i].value[0] == '/' ? "/ " : "/") == -1 ||
		    put_text(out, cp, t->tpl[i].value, replaced) == -1 ||
		    line_end(out, start) == -1)
			goto toobig;
	}
	gw_buf_release(&esc);
	return 0;
toobig:
	gw_buf_release(&esc);
	return -1;
}
