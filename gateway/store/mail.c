/* RFC 5322 messages: parsing what arrives, building what leaves. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailbox.h"
#include "util.h"

void
gw_mails_free(struct gw_mail *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		gw_mail_release(&v[i]);
	free(v);
}

void
gw_mail_release(struct gw_mail *m)
{
	free(m->id);
	free(m->from);
	free(m->to);
	free(m->subject);
	free(m->message_id);
	free(m->raw);
	memset(m, 0, sizeof(*m));
}

/* The end of the header block: offset of the body, or 0 if none. */
static size_t
body_offset(const char *raw, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (raw[i] == '\n' && raw[i + 1] == '\n')
			return i + 2;
		if (i + 3 < len && raw[i] == '\r' && raw[i + 1] == '\n' &&
		    raw[i + 2] == '\r' && raw[i + 3] == '\n')
			return i + 4;
	}
	return 0;
}

char *
gw_mail_header(const struct gw_mail *m, const char *name)
{
	size_t nlen = strlen(name), i = 0, end = m->body_off;
	struct gw_buf v;
	const char *p;

	gw_buf_init(&v, 65536);
	while (i < end) {
		p = m->raw + i;
		if (i + nlen < end && gw_strncaseeq(p, name, nlen) &&
		    p[nlen] == ':') {
			i += nlen + 1;
			/* the value and its continuation lines, unfolded */
			for (;;) {
				while (i < end && m->raw[i] != '\n') {
					if (m->raw[i] != '\r')
						gw_buf_addch(&v, m->raw[i]);
					i++;
				}
				i++;
				if (i < end && (m->raw[i] == ' ' ||
				    m->raw[i] == '\t'))
					continue;
				break;
			}
			{
				char *r = gw_strdup(v.buf != NULL ?
				    gw_trim(v.buf) : "");

				gw_buf_release(&v);
				return r;
			}
		}
		while (i < end && m->raw[i] != '\n')
			i++;
		i++;
	}
	gw_buf_release(&v);
	return NULL;
}

/* "Name <a@b>" or "a@b" -> "a@b" (caller frees). */
static char *
address_of(const char *v)
{
	const char *lt = strchr(v, '<'), *gt;
	char *s, *comma, *r;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return gw_strndup(lt + 1, (size_t)(gt - lt - 1));
	s = gw_strdup(v);
	if ((comma = strchr(s, ',')) != NULL)
		*comma = '\0';
	r = gw_strdup(gw_trim(s));
	free(s);
	return r;
}

int
gw_mail_parse(struct gw_mail *m, char *raw, size_t len)
{
	char *v;

	memset(m, 0, sizeof(*m));
	m->raw = raw;
	m->rawlen = len;
	if ((m->body_off = body_offset(raw, len)) == 0) {
		/* a message without a body is still a message */
		m->body_off = len;
	}
	if ((v = gw_mail_header(m, "From")) != NULL) {
		m->from = address_of(v);
		free(v);
	}
	if ((v = gw_mail_header(m, "To")) != NULL) {
		m->to = address_of(v);
		free(v);
	}
	m->subject = gw_mail_header(m, "Subject");
	m->message_id = gw_mail_header(m, "Message-ID");
	if (m->from == NULL && m->subject == NULL)
		return -1;
	return 0;
}

int
gw_mail_build(const char *from, const char *to, const char *subject,
    const char *extra_headers, const char *charset, const char *body,
    size_t bodylen, char **out, size_t *outlen)
{
	static unsigned long counter;
	struct gw_buf b;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	gw_buf_init(&b, GW_MAIL_MAX);
	if (gw_buf_printf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <%lld.%ld.%lu@galgate>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=%s\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n%s\r\n", from, to, subject,
	    date, (long long)now, (long)getpid(), ++counter,
	    charset != NULL ? charset : "us-ascii",
	    extra_headers != NULL ? extra_headers : "") == -1)
		goto toobig;
	for (i = 0; i < bodylen; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) {
			if (gw_buf_addstr(&b, "\r\n") == -1)
				goto toobig;
		} else if (gw_buf_addch(&b, body[i]) == -1)
			goto toobig;
	}
	*outlen = b.len;
	*out = gw_buf_detach(&b);
	return 0;
toobig:
	gw_buf_release(&b);
	return -1;
}
