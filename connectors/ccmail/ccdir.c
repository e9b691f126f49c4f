#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccdir.h"

/* Keywords in the order the writer puts them. */
static const char *const keywords[] = {
	"Name", "List", "BBoard", "Locn", "PO", "Addr", "FAN", "Via",
	"Comments", "Member", NULL
};

/* Keywords that may repeat within a record. */
static int
repeatable(const char *kw)
{
	return strcmp(kw, "Comments") == 0 || strcmp(kw, "Member") == 0;
}

static const char *
canonical(const char *kw, size_t len)
{
	size_t i;

	for (i = 0; keywords[i] != NULL; i++)
		if (strlen(keywords[i]) == len &&
		    gw_strncaseeq(keywords[i], kw, len))
			return keywords[i];
	return NULL;
}

/*
 * Reads one line without its end of line.  Returns 1, 0 at the end, -1 on
 * a structural error.
 */
static int
read_line(struct ccdir_reader *r, char *buf, size_t *len, struct gw_err *err)
{
	size_t n = 0, i;
	int c;

	if (r->eof)
		return 0;
	/* byte by byte: a NUL inside a line must be seen, not cut off */
	while ((c = getc_unlocked(r->fp)) != EOF && c != '\n') {
		if (n == CCDIR_MAX_LINE + 1)
			return gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: line "
			    "longer than %d bytes", r->path, r->line + 1,
			    CCDIR_MAX_LINE);
		buf[n++] = (char)c;
	}
	if (c == EOF) {
		if (ferror(r->fp))
			return gw_err_set(err, GW_EXIT_RUNTIME, "%s:%ld: read "
			    "error: %s", r->path, r->line + 1, strerror(errno));
		r->eof = 1;
		if (n == 0)
			return 0;
	}
	r->line++;
	r->bytes += n + 1;
	if (r->bytes > CCDIR_MAX_FILE)
		return gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: file larger than "
		    "%zu bytes", r->path, r->line, CCDIR_MAX_FILE);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	/* a DOS end-of-file mark ends the file */
	if (n > 0 && buf[n - 1] == 0x1a) {
		while ((c = getc_unlocked(r->fp)) == '\r' || c == '\n')
			;
		if (c != EOF)
			return gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: data "
			    "after the end-of-file mark (0x1A)", r->path,
			    r->line);
		n--;
		r->eof = 1;
	}
	if (n > CCDIR_MAX_LINE)
		return gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: line longer "
		    "than %d bytes", r->path, r->line, CCDIR_MAX_LINE);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\r')
			return gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: a carriage "
			    "return inside the line (column %zu): line ends must "
			    "be CRLF or LF", r->path, r->line, i + 1);
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: binary "
			    "data (byte 0x%02x at column %zu)", r->path, r->line,
			    ch, i + 1);
	}
	buf[n] = '\0';
	*len = n;
	return 1;
}

/*
 * Splits "Keyword: value" or "Keyword:: base64" into the canonical
 * keyword and the UTF-8 value.  Returns 0, or -1 with why set.
 */
static int
parse_field(struct ccdir_reader *r, char *line, size_t len, const char **kw,
    struct gw_buf *val, char *why, size_t whylen)
{
	struct gw_buf raw;
	char *colon = memchr(line, ':', len), *v, *end;
	int rc = -1, b64 = 0, repl;

	gw_buf_init(&raw, CCDIR_MAX_LINE * 2);
	gw_buf_reset(val);
	if (colon == NULL || colon == line) {
		snprintf(why, whylen, "expected 'Keyword: value'");
		goto done;
	}
	if ((*kw = canonical(line, (size_t)(colon - line))) == NULL) {
		snprintf(why, whylen, "unknown keyword '%.*s'",
		    (int)(colon - line < 64 ? colon - line : 64), line);
		goto done;
	}
	v = colon + 1;
	if (*v == ':') {
		b64 = 1;
		v++;
	}
	if (*v == ' ')
		v++;
	end = line + len;
	if (b64) {
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (gw_unbase64(&raw, v, (size_t)(end - v)) == -1) {
			snprintf(why, whylen, "%s: bad base64 value", *kw);
			goto done;
		}
	} else {
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		gw_buf_add(&raw, v, (size_t)(end - v));
	}
	if (memchr(raw.buf != NULL ? raw.buf : "", '\0', raw.len) != NULL) {
		snprintf(why, whylen, "%s: the value holds a NUL byte", *kw);
		goto done;
	}
	repl = gw_cp_decode(r->cp, raw.buf != NULL ? raw.buf : "", raw.len,
	    val);
	if (repl < 0) {
		snprintf(why, whylen, "%s: value too long", *kw);
		goto done;
	}
	r->replaced += (size_t)repl;
	if (val->buf == NULL)
		gw_buf_add(val, "", 0);
	rc = 0;
done:
	gw_buf_release(&raw);
	return rc;
}

static int
read_header(struct ccdir_reader *r, const char *kind, struct gw_err *err)
{
	char line[CCDIR_MAX_LINE + 3];
	size_t len;
	int rc, seen_magic = 0;
	long kind_line = 0, cp_line = 0;
	char key[32];

	for (;;) {
		if ((rc = read_line(r, line, &len, err)) == -1)
			goto fail;
		if (rc == 0) {
			if (!seen_magic) {
				if (r->line == 0)
					gw_err_set(err, GW_EXIT_INPUT, "%s: empty "
					    "file, no CCDIR header", r->path);
				else
					gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: no "
					    "CCDIR header, only blank lines and "
					    "comments", r->path, r->line);
				goto fail;
			}
			break;
		}
		if (len > 0 && line[0] == ';')
			continue;
		if (len == 0) {
			if (seen_magic)
				break;
			continue;
		}
		if (!seen_magic && len >= 3 && memcmp(line, "\xef\xbb\xbf",
		    3) == 0) {
			gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: the file starts "
			    "with a UTF-8 byte order mark; CCDIR-1 files are "
			    "written in the code page (%s), without one",
			    r->path, r->line, r->cp->name);
			goto fail;
		}
		/* header keywords are not record keywords */
		{
			char *colon = memchr(line, ':', len);
			size_t klen;
			char *v;

			if (colon == NULL || (klen = (size_t)(colon - line)) >=
			    sizeof(key)) {
				gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: bad "
				    "header line", r->path, r->line);
				goto fail;
			}
			memcpy(key, line, klen);
			key[klen] = '\0';
			v = gw_trim(colon + 1);
			if (!seen_magic) {
				if (!gw_strcaseeq(key, "CCDIR") ||
				    strcmp(v, "1") != 0) {
					gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: "
					    "not a CCDIR-1 file (expected "
					    "'CCDIR: 1')", r->path, r->line);
					goto fail;
				}
				seen_magic = 1;
			} else if (gw_strcaseeq(key, "Kind")) {
				snprintf(r->kind, sizeof(r->kind), "%s", v);
				kind_line = r->line;
			} else if (gw_strcaseeq(key, "PostOffice"))
				snprintf(r->postoffice, sizeof(r->postoffice),
				    "%s", v);
			else if (gw_strcaseeq(key, "Codepage")) {
				snprintf(r->codepage, sizeof(r->codepage), "%s",
				    v);
				cp_line = r->line;
			} else if (!gw_strcaseeq(key, "Generated")) {
				gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: unknown "
				    "header keyword '%s'", r->path, r->line,
				    key);
				goto fail;
			}
		}
	}
	r->header_end = r->line;
	if (kind_line == 0) {
		gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: the header has no Kind "
		    "(expected 'Kind: %s')", r->path, r->header_end, kind);
		goto fail;
	}
	if (!gw_strcaseeq(r->kind, kind)) {
		gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: header says Kind '%s', "
		    "expected '%s'", r->path, kind_line, r->kind, kind);
		goto fail;
	}
	if (r->codepage[0] != '\0' && !gw_strcaseeq(r->codepage, r->cp->name)) {
		gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: header says Codepage "
		    "'%s', the connector is configured for '%s'", r->path,
		    cp_line, r->codepage, r->cp->name);
		goto fail;
	}
	return 0;
fail:
	return -1;
}

int
ccdir_open(struct ccdir_reader *r, const char *path, const char *kind,
    struct gw_codepage *cp, struct gw_err *err)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->cp = cp;
	if ((r->fp = fopen(path, "rb")) == NULL)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	if (read_header(r, kind, err) == -1) {
		ccdir_close(r);
		return -1;
	}
	return 0;
}

void
ccdir_close(struct ccdir_reader *r)
{
	if (r->fp != NULL)
		fclose(r->fp);
	r->fp = NULL;
}

int
ccdir_next(struct ccdir_reader *r, struct gw_record *rec, long *first,
    char *bad, size_t badlen, struct gw_err *err)
{
	char line[CCDIR_MAX_LINE + 3], why[160];
	struct gw_buf val;
	const char *kw;
	size_t len;
	int rc, fields = 0;

	bad[0] = '\0';
	r->bad_line = 0;
	*first = 0;
	gw_buf_init(&val, CCDIR_MAX_LINE * 4);
	for (;;) {
		if ((rc = read_line(r, line, &len, err)) == -1)
			goto fail;
		if (rc == 0)
			break;
		if (len > 0 && line[0] == ';')
			continue;
		if (len == 0) {
			if (fields > 0)
				break;
			continue;
		}
		if (fields == 0)
			*first = r->line;
		fields++;
		if (bad[0] != '\0')
			continue;	/* the record is already bad */
		if (fields > CCDIR_MAX_FIELDS) {
			snprintf(bad, badlen, "more than %d fields",
			    CCDIR_MAX_FIELDS);
			r->bad_line = r->line;
			continue;
		}
		if (parse_field(r, line, len, &kw, &val, why,
		    sizeof(why)) == -1) {
			snprintf(bad, badlen, "%s", why);
			r->bad_line = r->line;
			continue;
		}
		if (!repeatable(kw) && gw_record_attr(rec, kw) != NULL) {
			snprintf(bad, badlen, "'%s' given twice", kw);
			r->bad_line = r->line;
			continue;
		}
		if (repeatable(kw) && strcmp(kw, "Comments") == 0 &&
		    gw_record_attr(rec, kw) != NULL) {
			/* repeated Comments are one value, joined by LF */
			struct gw_attr *a = gw_record_attr(rec, kw);
			struct gw_buf joined;

			gw_buf_init(&joined, 0);
			gw_buf_add(&joined, a->val[0].ptr, a->val[0].len);
			gw_buf_addch(&joined, '\n');
			gw_buf_add(&joined, val.buf, val.len);
			gw_record_set(rec, kw, joined.buf);
			gw_buf_release(&joined);
			continue;
		}
		if (strcmp(kw, "Member") == 0) {
			/* members are a list: keep duplicates out, order kept */
			gw_record_add(rec, kw, val.buf, val.len);
			continue;
		}
		gw_record_add(rec, kw, val.buf, val.len);
	}
	gw_buf_release(&val);
	return fields > 0 ? 1 : 0;
fail:
	gw_buf_release(&val);
	return -1;
}

void
ccdir_writer_init(struct ccdir_writer *w, struct gw_codepage *cp)
{
	gw_buf_init(&w->out, CCDIR_MAX_FILE);
	w->cp = cp;
	w->records = 0;
	w->replaced = 0;
}

void
ccdir_writer_release(struct ccdir_writer *w)
{
	gw_buf_release(&w->out);
}

int
ccdir_write_header(struct ccdir_writer *w, const char *kind,
    const char *postoffice, time_t generated)
{
	char when[32];
	struct tm tm;

	if (gw_buf_printf(&w->out, "CCDIR: 1\r\nKind: %s\r\nPostOffice: %s\r\n"
	    "Codepage: %s\r\n", kind, postoffice, w->cp->name) == -1)
		return -1;
	if (generated != 0) {
		gmtime_r(&generated, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		if (gw_buf_printf(&w->out, "Generated: %s\r\n", when) == -1)
			return -1;
	}
	return 0;
}

/* One line; base64 of the code-page bytes when LDIF-style safety asks. */
static int
write_field(struct ccdir_writer *w, const char *kw, const char *val,
    size_t len)
{
	struct gw_buf cpv;
	size_t i;
	int rc = -1, repl, b64 = 0;

	gw_buf_init(&cpv, CCDIR_MAX_LINE * 4);
	if ((repl = gw_cp_encode(w->cp, val, len, &cpv)) < 0)
		goto done;
	w->replaced += (size_t)repl;
	if (cpv.len > 0 && (cpv.buf[0] == ' ' || cpv.buf[cpv.len - 1] == ' ' ||
	    cpv.buf[0] == ':' || cpv.buf[cpv.len - 1] == '\t'))
		b64 = 1;
	for (i = 0; i < cpv.len; i++)
		if ((unsigned char)cpv.buf[i] < 0x20 || cpv.buf[i] == 0x7f)
			b64 = 1;
	if (b64) {
		if (gw_buf_printf(&w->out, "%s:: ", kw) == -1 ||
		    gw_base64(&w->out, cpv.buf, cpv.len) == -1)
			goto done;
	} else if (gw_buf_printf(&w->out, "%s: ", kw) == -1 ||
	    gw_buf_add(&w->out, cpv.buf != NULL ? cpv.buf : "", cpv.len) == -1)
		goto done;
	rc = gw_buf_addstr(&w->out, "\r\n");
done:
	gw_buf_release(&cpv);
	return rc;
}

int
ccdir_write_record(struct ccdir_writer *w, const struct gw_record *rec)
{
	const struct gw_attr *a;
	const char *p, *nl;
	size_t i, k;

	if (gw_buf_addstr(&w->out, "\r\n") == -1)
		return -1;
	for (k = 0; keywords[k] != NULL; k++) {
		if ((a = gw_record_attr(rec, keywords[k])) == NULL)
			continue;
		for (i = 0; i < a->n; i++) {
			if (strcmp(keywords[k], "Comments") != 0) {
				if (write_field(w, keywords[k], a->val[i].ptr,
				    a->val[i].len) == -1)
					return -1;
				continue;
			}
			/* one Comments: line per line of text */
			for (p = a->val[i].ptr;; p = nl + 1) {
				nl = strchr(p, '\n');
				if (write_field(w, "Comments", p, nl != NULL ?
				    (size_t)(nl - p) : strlen(p)) == -1)
					return -1;
				if (nl == NULL)
					break;
			}
		}
	}
	w->records++;
	return 0;
}

int
ccdir_writers_commit(struct ccdir_writer *const *w, const char *const *paths,
    size_t n, struct gw_err *err)
{
	struct gw_file_out f[4];
	char why[1024];
	size_t i;

	if (n > sizeof(f) / sizeof(f[0]))
		return gw_err_set(err, GW_EXIT_RUNTIME, "too many files");
	for (i = 0; i < n; i++) {
		f[i].path = paths[i];
		f[i].data = w[i]->out.buf != NULL ? w[i]->out.buf : "";
		f[i].len = w[i]->out.len;
		f[i].mode = 0644;
	}
	if (gw_write_files_atomic(f, n, why, sizeof(why)) == -1)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s", why);
	return 0;
}
