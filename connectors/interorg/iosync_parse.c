/*
 * IOSYNC-1 bodies -> struct io_msg.  The parser works on {ptr, len}
 * cursors with a ceiling on every line; its state lives in a struct,
 * never in statics, and every error names the message and the line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iosync.h"
#include "strmap.h"

enum section {
	SEC_NONE,
	SEC_HEADER,
	SEC_ENTRIES,
	SEC_ACK
};

struct parser {
	const char	*p, *end;
	long		 line;		/* of the last line read */
	const char	*name;
	struct gw_err	*err;
	struct io_msg	*msg;
	enum section	 sec;
	unsigned	 seen;		/* sections seen, by bit */
	unsigned	 hdr_have;	/* header keys seen, by bit */
	/* the logical line being assembled (entries section) */
	struct gw_buf	 logical;
	long		 logical_line;
	int		 pending;
	/* the record being assembled */
	struct io_entry	 cur;
	int		 in_record;
	unsigned	 rec_have;	/* op, usn, key, newkey, class, dn */
	int		 ack_have;
};

static int
perr(struct parser *ps, long line, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static int
perr(struct parser *ps, long line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gw_err_set(ps->err, GW_EXIT_INPUT, "%s:%ld: %s", ps->name, line,
	    msg);
}

/*
 * Next physical line without its line end and trailing blanks: 1, 0 at
 * the end, -1 error.  The MAC does not cover trailing blanks (mail
 * systems strip them), so they must not count here either: otherwise a
 * relay could add some to a value, or make a blank line a continuation,
 * without breaking the MAC.  The writer never ends a line with a blank.
 */
static int
next_line(struct parser *ps, const char **s, size_t *n)
{
	const char *nl;
	size_t len;

	if (ps->p >= ps->end)
		return 0;
	nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	len = nl != NULL ? (size_t)(nl - ps->p) : (size_t)(ps->end - ps->p);
	ps->line++;
	*s = ps->p;
	ps->p += len + (nl != NULL);
	if (len > 0 && (*s)[len - 1] == '\r')
		len--;
	while (len > 0 && ((*s)[len - 1] == ' ' || (*s)[len - 1] == '\t'))
		len--;
	if (len > IO_LINE_MAX)
		return perr(ps, ps->line, "line longer than %d bytes",
		    IO_LINE_MAX);
	if (memchr(*s, '\0', len) != NULL)
		return perr(ps, ps->line, "NUL byte in line");
	*n = len;
	return 1;
}

enum {
	H_VERSION = 1 << 0,
	H_ROLE = 1 << 1,
	H_ORG = 1 << 2,
	H_MUSN = 1 << 3,
	H_RUSN = 1 << 4,
	H_FULL = 1 << 5,
	H_RELOAD = 1 << 6,
	H_BATCH = 1 << 7,
	H_PART = 1 << 8
};

static int
yesno(const char *v, int *out)
{
	if (gw_strcaseeq(v, "YES"))
		*out = 1;
	else if (gw_strcaseeq(v, "NO"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int
header_line(struct parser *ps, char *line)
{
	struct io_header *h = &ps->msg->hdr;
	char *eq = strchr(line, '='), *k, *v;
	unsigned bit;
	int bad = 0;

	if (eq == NULL)
		return perr(ps, ps->line, "expected KEY=VALUE in [IOSYNC]");
	*eq = '\0';
	k = gw_trim(line);
	v = gw_trim(eq + 1);
	if (gw_strcaseeq(k, "VERSION")) {
		bit = H_VERSION;
		if (strcmp(v, "1") != 0)
			return perr(ps, ps->line, "VERSION=%s: only version 1 "
			    "is known", v);
	} else if (gw_strcaseeq(k, "ROLE")) {
		bit = H_ROLE;
		if (gw_strcaseeq(v, "MASTER"))
			h->role = IO_ROLE_MASTER;
		else if (gw_strcaseeq(v, "REQUESTOR"))
			h->role = IO_ROLE_REQUESTOR;
		else
			bad = 1;
	} else if (gw_strcaseeq(k, "ORG")) {
		bit = H_ORG;
		if (!(ps->hdr_have & bit))
			h->org = gw_strdup(v);
	} else if (gw_strcaseeq(k, "MASTERUSN")) {
		bit = H_MUSN;
		bad = io_parse_u64(v, &h->musn) == -1;
	} else if (gw_strcaseeq(k, "REQUSN")) {
		bit = H_RUSN;
		bad = io_parse_u64(v, &h->rusn) == -1;
	} else if (gw_strcaseeq(k, "FULL")) {
		bit = H_FULL;
		bad = yesno(v, &h->full) == -1;
	} else if (gw_strcaseeq(k, "RELOAD")) {
		bit = H_RELOAD;
		bad = yesno(v, &h->reload) == -1;
	} else if (gw_strcaseeq(k, "BATCH")) {
		bit = H_BATCH;
		bad = !io_valid_batch(v);
		if (!bad && !(ps->hdr_have & bit))
			h->batch = gw_strdup(v);
	} else if (gw_strcaseeq(k, "PART")) {
		bit = H_PART;
		bad = io_parse_part(v, &h->part, &h->nparts) == -1;
	} else
		return perr(ps, ps->line, "unknown key '%s' in [IOSYNC]", k);
	if (ps->hdr_have & bit)
		return perr(ps, ps->line, "%s given twice", k);
	if (bad)
		return perr(ps, ps->line, "%s: bad value '%s'", k, v);
	ps->hdr_have |= bit;
	return 0;
}

static int
header_done(struct parser *ps)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} need[] = {
		{ H_VERSION, "VERSION" }, { H_ROLE, "ROLE" },
		{ H_MUSN, "MASTERUSN" }, { H_RUSN, "REQUSN" },
		{ H_BATCH, "BATCH" }, { H_PART, "PART" }
	};
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(ps->hdr_have & need[i].bit))
			return perr(ps, ps->line, "[IOSYNC] lacks %s",
			    need[i].name);
	if (ps->msg->hdr.org == NULL)
		ps->msg->hdr.org = gw_strdup("");
	return 0;
}

enum {
	R_OP = 1 << 0,
	R_USN = 1 << 1,
	R_KEY = 1 << 2,
	R_NEWKEY = 1 << 3,
	R_CLASS = 1 << 4,
	R_DN = 1 << 5
};

/* One "name: value" of a record, unfolded. */
static int
record_field(struct parser *ps, char *line, size_t len, long lineno)
{
	struct io_entry *e = &ps->cur;
	struct gw_buf dec;
	const char *canon;
	char *colon = memchr(line, ':', len), *v, *name;
	size_t vlen, nlen;
	unsigned bit = 0;
	int rc = -1;

	gw_buf_init(&dec, IO_LOGICAL_MAX);
	if (colon == NULL)
		return perr(ps, lineno, "expected 'name: value'");
	name = line;
	nlen = (size_t)(colon - line);
	*colon = '\0';
	if (nlen == 0 || nlen > 64 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-") != nlen)
		return perr(ps, lineno, "bad attribute name '%.64s'", name);
	v = colon + 1;
	if (*v == ':') {
		v++;
		while (*v == ' ')
			v++;
		if (io_base64_decode(v, strlen(v), &dec) == -1) {
			perr(ps, lineno, "%s: bad base64", name);
			goto done;
		}
		if (dec.buf == NULL)
			gw_buf_addstr(&dec, "");
		v = dec.buf;
		vlen = dec.len;
	} else {
		if (*v == ' ')
			v++;
		vlen = strlen(v);
	}
	if (!gw_utf8_valid(v, vlen)) {
		perr(ps, lineno, "%s: value is not UTF-8 text", name);
		goto done;
	}
	if (!ps->in_record) {
		io_entry_init(e);
		e->line = lineno;
		ps->in_record = 1;
		ps->rec_have = 0;
	}
	if (gw_strcaseeq(name, "op")) {
		bit = R_OP;
		if (gw_strcaseeq(v, "add"))
			e->op = IO_OP_ADD;
		else if (gw_strcaseeq(v, "modify"))
			e->op = IO_OP_MODIFY;
		else if (gw_strcaseeq(v, "delete"))
			e->op = IO_OP_DELETE;
		else if (gw_strcaseeq(v, "rekey"))
			e->op = IO_OP_REKEY;
		else {
			perr(ps, lineno, "op: '%.64s' is not add, modify, "
			    "delete or rekey", v);
			goto done;
		}
	} else if (gw_strcaseeq(name, "usn")) {
		bit = R_USN;
		if (io_parse_u64(v, &e->usn) == -1) {
			perr(ps, lineno, "usn: '%.64s' is not a number", v);
			goto done;
		}
	} else if (gw_strcaseeq(name, "key") || gw_strcaseeq(name, "newkey")) {
		bit = gw_strcaseeq(name, "key") ? R_KEY : R_NEWKEY;
		/* an empty key is no key: the importer reports it (4096) */
		if (vlen == 0 && bit == R_KEY) {
			;
		} else if (!io_valid_address(io_strip_smtp(v))) {
			perr(ps, lineno, "%s: '%.128s' is not an SMTP address",
			    name, v);
			goto done;
		}
		if (!(ps->rec_have & bit) && vlen > 0) {
			if (bit == R_KEY)
				e->key = gw_strdup(io_strip_smtp(v));
			else
				e->newkey = gw_strdup(io_strip_smtp(v));
		}
	} else if (gw_strcaseeq(name, "class")) {
		bit = R_CLASS;
		if (!gw_strcaseeq(v, "mailbox") && !gw_strcaseeq(v, "dl") &&
		    !gw_strcaseeq(v, "custom")) {
			perr(ps, lineno, "class: '%.64s' is not mailbox, dl or "
			    "custom", v);
			goto done;
		}
		if (!(ps->rec_have & bit))
			e->cls = gw_fold(v);
	} else if (gw_strcaseeq(name, "dn")) {
		bit = R_DN;
		if (!(ps->rec_have & bit))
			e->dn = gw_strndup(v, vlen);
	} else if ((canon = io_general_canon(name)) != NULL) {
		if (gw_record_attr(&e->attrs, canon) != NULL) {
			perr(ps, lineno, "%s given twice in one record", name);
			goto done;
		}
		gw_record_add(&e->attrs, canon, v, vlen);
	} else {
		perr(ps, lineno, "'%s' is not an IOSYNC-1 attribute (only the "
		    "General-page attributes travel)", name);
		goto done;
	}
	if (bit != 0 && (ps->rec_have & bit)) {
		perr(ps, lineno, "%s given twice in one record", name);
		goto done;
	}
	ps->rec_have |= bit;
	rc = 0;
done:
	gw_buf_release(&dec);
	return rc;
}

static int
record_done(struct parser *ps)
{
	struct io_entry *e = &ps->cur;
	struct io_msg *m = ps->msg;
	size_t i;

	if (!ps->in_record)
		return 0;
	ps->in_record = 0;
	if (!(ps->rec_have & R_OP) || !(ps->rec_have & R_USN)) {
		perr(ps, e->line, "record lacks %s",
		    !(ps->rec_have & R_OP) ? "op:" : "usn:");
		goto fail;
	}
	if ((e->op == IO_OP_DELETE || e->op == IO_OP_REKEY) && e->key == NULL) {
		perr(ps, e->line, "%s record lacks key:", io_op_name(e->op));
		goto fail;
	}
	if ((e->op == IO_OP_REKEY) != (e->newkey != NULL)) {
		perr(ps, e->line, e->newkey == NULL ? "rekey record lacks "
		    "newkey:" : "newkey: belongs to rekey records only");
		goto fail;
	}
	if (e->op == IO_OP_DELETE && e->attrs.n > 0) {
		perr(ps, e->line, "delete record carries attributes");
		goto fail;
	}
	/*
	 * A batch carries changes up to its sender's USN, never beyond: an
	 * entry above it would be applied while the watermark stays below
	 * it, and an older change sent later would then be applied over it.
	 */
	if (e->usn > (m->hdr.role == IO_ROLE_MASTER ? m->hdr.musn :
	    m->hdr.rusn)) {
		perr(ps, e->line, "usn %llu is above the batch's %s %llu",
		    (unsigned long long)e->usn, m->hdr.role == IO_ROLE_MASTER ?
		    "MASTERUSN" : "REQUSN", (unsigned long long)(m->hdr.role ==
		    IO_ROLE_MASTER ? m->hdr.musn : m->hdr.rusn));
		goto fail;
	}
	/* in a full record an empty value just means "none" */
	for (i = 0; e->op == IO_OP_ADD && i < e->attrs.n; ) {
		if (e->attrs.attr[i].val[0].len == 0)
			gw_record_remove(&e->attrs, e->attrs.attr[i].name);
		else
			i++;
	}
	m->ent = gw_grow(m->ent, m->nent, sizeof(*m->ent));
	m->ent[m->nent++] = *e;
	io_entry_init(e);
	return 0;
fail:
	io_entry_release(e);
	return -1;
}

/* The pending logical line of the entries section, if any. */
static int
flush_logical(struct parser *ps)
{
	int rc;

	if (!ps->pending)
		return 0;
	ps->pending = 0;
	rc = record_field(ps, ps->logical.buf, ps->logical.len,
	    ps->logical_line);
	gw_buf_reset(&ps->logical);
	return rc;
}

static int
section_start(struct parser *ps, const char *s, size_t n)
{
	static const struct {
		const char	*name;
		enum section	 sec;
	} secs[] = {
		{ "[IOSYNC]", SEC_HEADER },
		{ "[IOSYNC-ENTRIES]", SEC_ENTRIES },
		{ "[IOSYNC-ACK]", SEC_ACK }
	};
	size_t i;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (i = 0; i < 3; i++)
		if (n == strlen(secs[i].name) && gw_strncaseeq(s, secs[i].name,
		    n))
			break;
	if (i == 3)
		return perr(ps, ps->line, "unknown section %.*s",
		    (int)(n < 64 ? n : 64), s);
	if (ps->seen & (1u << secs[i].sec))
		return perr(ps, ps->line, "%s given twice", secs[i].name);
	if (secs[i].sec != SEC_HEADER && !(ps->seen & (1u << SEC_HEADER)))
		return perr(ps, ps->line, "%s before [IOSYNC]", secs[i].name);
	if (ps->sec == SEC_HEADER && header_done(ps) == -1)
		return -1;
	if (secs[i].sec == SEC_ACK && ps->msg->hdr.role != IO_ROLE_MASTER)
		return perr(ps, ps->line, "[IOSYNC-ACK] in a requestor's "
		    "message");
	ps->seen |= 1u << secs[i].sec;
	ps->sec = secs[i].sec;
	return 0;
}

static int
ack_line(struct parser *ps, char *line)
{
	char *eq = strchr(line, '=');

	if (eq == NULL)
		return perr(ps, ps->line, "expected REQUSN=n in [IOSYNC-ACK]");
	*eq = '\0';
	if (!gw_strcaseeq(gw_trim(line), "REQUSN"))
		return perr(ps, ps->line, "unknown key '%s' in [IOSYNC-ACK]",
		    gw_trim(line));
	if (ps->ack_have)
		return perr(ps, ps->line, "REQUSN given twice");
	if (io_parse_u64(gw_trim(eq + 1), &ps->msg->ack) == -1)
		return perr(ps, ps->line, "REQUSN: bad value '%s'",
		    gw_trim(eq + 1));
	ps->ack_have = 1;
	ps->msg->has_ack = 1;
	return 0;
}

static int
parse_lines(struct parser *ps)
{
	const char *s = NULL;
	size_t n = 0;
	char line[IO_LINE_MAX + 1];
	int r;

	while ((r = next_line(ps, &s, &n)) == 1) {
		if (ps->sec == SEC_ENTRIES && n > 0 && s[0] == ' ') {
			if (!ps->pending)
				return perr(ps, ps->line, "continuation line "
				    "without a line to continue");
			if (gw_buf_add(&ps->logical, s + 1, n - 1) == -1)
				return perr(ps, ps->logical_line, "value "
				    "longer than %d bytes", IO_LOGICAL_MAX);
			continue;
		}
		if (flush_logical(ps) == -1)
			return -1;
		if (n == 0 || strspn(s, " \t") == n) {
			if (ps->sec == SEC_ENTRIES && record_done(ps) == -1)
				return -1;
			continue;
		}
		if (s[0] == '[') {
			if (ps->sec == SEC_ENTRIES && record_done(ps) == -1)
				return -1;
			if (section_start(ps, s, n) == -1)
				return -1;
			continue;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		switch (ps->sec) {
		case SEC_NONE:
			return perr(ps, ps->line, "text before [IOSYNC]");
		case SEC_HEADER:
			if (header_line(ps, line) == -1)
				return -1;
			break;
		case SEC_ENTRIES:
			gw_buf_reset(&ps->logical);
			if (gw_buf_add(&ps->logical, s, n) == -1)
				return perr(ps, ps->line, "line too long");
			ps->logical_line = ps->line;
			ps->pending = 1;
			break;
		case SEC_ACK:
			if (ack_line(ps, line) == -1)
				return -1;
			break;
		}
	}
	if (r == -1)
		return -1;
	if (flush_logical(ps) == -1)
		return -1;
	if (ps->sec == SEC_ENTRIES && record_done(ps) == -1)
		return -1;
	if (ps->sec == SEC_HEADER && header_done(ps) == -1)
		return -1;
	if (!(ps->seen & (1u << SEC_HEADER)))
		return perr(ps, ps->line > 0 ? ps->line : 1, "no [IOSYNC] "
		    "section");
	if ((ps->seen & (1u << SEC_ACK)) && !ps->ack_have)
		return perr(ps, ps->line, "[IOSYNC-ACK] lacks REQUSN");
	return 0;
}

int
iosync_parse(const char *body, size_t len, const char *name, long first_line,
    struct io_msg *out, struct gw_err *err)
{
	struct parser ps;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	/* a DOS end-of-file byte is not part of the text */
	if (len > 0 && body[len - 1] == 0x1a)
		len--;
	ps.p = body;
	ps.end = body + len;
	ps.line = first_line - 1;
	ps.name = name;
	ps.err = err;
	ps.msg = out;
	gw_buf_init(&ps.logical, IO_LOGICAL_MAX);
	io_entry_init(&ps.cur);
	rc = parse_lines(&ps);
	gw_buf_release(&ps.logical);
	io_entry_release(&ps.cur);
	if (rc == -1)
		io_msg_release(out);
	return rc;
}
