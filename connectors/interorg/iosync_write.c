/*
 * struct io_entry -> IOSYNC-1 bodies: 7-bit text, LDIF-style base64 and
 * folding, a batch split into parts of a bounded size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iosync.h"
#include "mailbox.h"

static int
needs_base64(const char *v, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	if (v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len - 1] == ' ')
		return 1;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 1;
	return 0;
}

/*
 * Appends line folded to IO_FOLD columns.  No physical line may end in a
 * blank (mail systems strip those, and the MAC ignores them), so each cut
 * moves left past blanks; -2 if a run of blanks is too long for that.
 */
static int
fold(struct gw_buf *b, const char *line, size_t len)
{
	size_t pos = 0, width = IO_FOLD, cut;

	while (len - pos > width) {
		cut = width;
		while (cut > 0 && (line[pos + cut - 1] == ' ' ||
		    line[pos + cut - 1] == '\t'))
			cut--;
		if (cut == 0)
			return -2;
		if ((pos > 0 && gw_buf_addch(b, ' ') == -1) ||
		    gw_buf_add(b, line + pos, cut) == -1 ||
		    gw_buf_addstr(b, "\r\n") == -1)
			return -1;
		pos += cut;
		width = IO_FOLD - 1;
	}
	if ((pos > 0 && gw_buf_addch(b, ' ') == -1) ||
	    gw_buf_add(b, line + pos, len - pos) == -1 ||
	    gw_buf_addstr(b, "\r\n") == -1)
		return -1;
	return 0;
}

static int
write_field(struct gw_buf *b, const char *name, const char *v, size_t len)
{
	struct gw_buf line;
	size_t mark = b->len;
	int rc, b64 = needs_base64(v, len);

	gw_buf_init(&line, 0);
	for (;;) {
		gw_buf_reset(&line);
		if (b64) {
			gw_buf_printf(&line, "%s:: ", name);
			gw_base64(&line, v, len);
		} else
			gw_buf_printf(&line, len > 0 ? "%s: " : "%s:", name);
		if (!b64)
			gw_buf_add(&line, v, len);
		rc = fold(b, line.buf, line.len);
		if (rc != -2 || b64)
			break;
		/* a long run of blanks: base64 has none */
		b->len = mark;
		if (b->buf != NULL)
			b->buf[mark] = '\0';
		b64 = 1;
	}
	gw_buf_release(&line);
	return rc == 0 ? 0 : -1;
}

int
iosync_write_entry(struct gw_buf *b, const struct io_entry *e)
{
	char num[32];
	size_t i;

	snprintf(num, sizeof(num), "%llu", (unsigned long long)e->usn);
	if (write_field(b, "op", io_op_name(e->op), strlen(io_op_name(e->op)))
	    == -1 || write_field(b, "usn", num, strlen(num)) == -1)
		return -1;
	if (e->key != NULL) {
		char *k = gw_malloc(strlen(e->key) + 6);
		int rc;

		sprintf(k, "SMTP:%s", e->key);
		rc = write_field(b, "key", k, strlen(k));
		free(k);
		if (rc == -1)
			return -1;
	}
	if (e->newkey != NULL) {
		char *k = gw_malloc(strlen(e->newkey) + 6);
		int rc;

		sprintf(k, "SMTP:%s", e->newkey);
		rc = write_field(b, "newkey", k, strlen(k));
		free(k);
		if (rc == -1)
			return -1;
	}
	if (e->cls != NULL && write_field(b, "class", e->cls,
	    strlen(e->cls)) == -1)
		return -1;
	if (e->dn != NULL && write_field(b, "dn", e->dn, strlen(e->dn)) == -1)
		return -1;
	/* the General-page attributes in the table's order */
	for (i = 0; io_general[i].io != NULL; i++) {
		struct gw_attr *a = gw_record_attr(&e->attrs, io_general[i].io);

		if (a != NULL && a->n > 0 && write_field(b, io_general[i].io,
		    a->val[0].ptr, a->val[0].len) == -1)
			return -1;
	}
	return 0;
}

static int
write_header(struct gw_buf *b, const struct io_header *h, unsigned k,
    unsigned n)
{
	const char *p;

	gw_buf_printf(b, "[IOSYNC]\r\nVERSION=1\r\nROLE=%s\r\nORG=",
	    h->role == IO_ROLE_MASTER ? "MASTER" : "REQUESTOR");
	/* ORG is for people: 7-bit text */
	for (p = h->org != NULL ? h->org : ""; *p != '\0'; p++)
		gw_buf_addch(b, (unsigned char)*p >= 0x20 &&
		    (unsigned char)*p <= 0x7e ? *p : '?');
	return gw_buf_printf(b, "\r\nMASTERUSN=%llu\r\nREQUSN=%llu\r\n"
	    "FULL=%s\r\nRELOAD=%s\r\nBATCH=%s\r\nPART=%u/%u\r\n\r\n"
	    "[IOSYNC-ENTRIES]\r\n", (unsigned long long)h->musn,
	    (unsigned long long)h->rusn, h->full ? "YES" : "NO",
	    h->reload ? "YES" : "NO", h->batch, k, n);
}

int
iosync_write_parts(const struct io_header *hdr, const struct io_entry *ent,
    size_t n, int has_ack, uint64_t ack, size_t max_body, char ***bodies,
    size_t **lens, size_t *nparts)
{
	struct gw_buf text, b;
	size_t *off, *start = NULL, np = 0, i, k, fixed, cur, budget, sz;
	char ackbuf[64];
	int rc = -1;

	*bodies = NULL;
	*lens = NULL;
	*nparts = 0;
	gw_buf_init(&text, GW_MAIL_MAX);
	gw_buf_init(&b, GW_MAIL_MAX);
	off = gw_calloc(n + 1, sizeof(*off));
	/* every entry's text, one after the other */
	for (i = 0; i < n; i++) {
		off[i] = text.len;
		if (iosync_write_entry(&text, &ent[i]) == -1)
			goto done;
	}
	off[n] = text.len;
	snprintf(ackbuf, sizeof(ackbuf), "\r\n[IOSYNC-ACK]\r\nREQUSN=%llu\r\n",
	    (unsigned long long)ack);
	/* the largest header a part can have, and room for the ack */
	write_header(&b, hdr, IO_PARTS_MAX, IO_PARTS_MAX);
	fixed = b.len + (has_ack ? strlen(ackbuf) : 0);
	gw_buf_reset(&b);
	budget = max_body > fixed ? max_body - fixed : 0;
	start = gw_calloc(n + 2, sizeof(*start));
	start[np++] = 0;
	cur = 0;
	for (i = 0; i < n; i++) {
		sz = off[i + 1] - off[i] + 2;	/* and the blank line */
		if (cur > 0 && cur + sz > budget) {
			start[np++] = i;
			cur = 0;
		}
		cur += sz;
	}
	start[np] = n;
	if (np > IO_PARTS_MAX) {
		np = 0;
		goto done;
	}
	*bodies = gw_calloc(np, sizeof(**bodies));
	*lens = gw_calloc(np, sizeof(**lens));
	for (k = 0; k < np; k++) {
		gw_buf_reset(&b);
		if (write_header(&b, hdr, (unsigned)k + 1, (unsigned)np) == -1)
			goto done;
		for (i = start[k]; i < start[k + 1]; i++)
			if ((i > start[k] && gw_buf_addstr(&b, "\r\n") == -1) ||
			    gw_buf_add(&b, text.buf + off[i], off[i + 1] -
			    off[i]) == -1)
				goto done;
		if (has_ack && k + 1 == np && gw_buf_addstr(&b, ackbuf) == -1)
			goto done;
		if (b.buf == NULL)
			gw_buf_addstr(&b, "");
		(*lens)[k] = b.len;
		(*bodies)[k] = gw_buf_detach(&b);
	}
	*nparts = np;
	rc = 0;
done:
	if (rc == -1 && *bodies != NULL) {
		for (k = 0; k < np; k++)
			free((*bodies)[k]);
		free(*bodies);
		free(*lens);
		*bodies = NULL;
		*lens = NULL;
	}
	free(off);
	free(start);
	gw_buf_release(&text);
	gw_buf_release(&b);
	return rc;
}
