/*
 * RFC 5322 messages and their MIME structure: gw_mail_parse and
 * gw_mail_header (every connector that talks by mail), pcm_mime_parts
 * with its base64 and quoted-printable decoding, pcm_header_value, and
 * the subject parsers of both mail connectors.
 *
 * Properties: header values come out unfolded, without CR or LF; every
 * MIME part is NUL-terminated after its length; a message forwarded to
 * the administrator (pcm_server.c's done()) keeps its subject and travels
 * intact as the message/rfc822 part, and a subject taken from a message
 * adds no header line to the message built with it.
 */
#include <string.h>

#include "fuzz.h"
#include "iosync.h"
#include "mailbox.h"
#include "pcm_msg.h"

static void
one_line(const char *what, const char *v)
{
	if (v != NULL)
		FUZZ_CHECK(strpbrk(v, "\r\n") == NULL, "%s holds a line end",
		    what);
}

static void
subjects(const char *s)
{
	struct pcm_subject ps;
	struct io_subject is;
	const char *why;
	char net[16], po[16];

	(void)pcm_subject_parse(s, "ReqTx", &ps);
	(void)pcm_subject_parse(s, "SrvTx", &ps);
	if (pcm_status_subject(s, net, sizeof(net), po, sizeof(po)) == 0)
		FUZZ_CHECK(net[0] != '\0' && po[0] != '\0' &&
		    strchr(net, '/') == NULL, "status from '%s/%s'", net, po);
	if (iosync_is_subject(s) && iosync_parse_subject(s, &is, &why) == 0)
		FUZZ_CHECK(is.part >= 1 && is.part <= is.nparts &&
		    is.nparts <= IO_PARTS_MAX && io_valid_batch(is.batch),
		    "subject part %u/%u batch '%s'", is.part, is.nparts,
		    is.batch);
}

/* done() of pcm_server.c: the message goes on as message/rfc822. */
static void
forward(const struct gw_mail *m)
{
	struct gw_mail f;
	struct pcm_parts ps;
	char subject[600], why[600], *raw, *want;
	size_t len;

	snprintf(subject, sizeof(subject), "FW: %s", m->subject != NULL ?
	    m->subject : "(no subject)");
	if (pcm_mail_multipart("galgate@example.com", "admin@example.com",
	    subject, NULL, "us-ascii", "forwarded\r\n", 11,
	    "message/rfc822", NULL, m->raw, m->rawlen, &raw, &len) == -1)
		return;
	FUZZ_CHECK(gw_mail_parse(&f, raw, len) == 0, "forward unreadable");
	want = gw_strdup(gw_trim(subject));
	FUZZ_CHECK(fuzz_same(f.subject, want), "subject '%s' forwarded as "
	    "'%s'", want, f.subject);
	free(want);
	FUZZ_CHECK(fuzz_same(f.from, "galgate@example.com") &&
	    fuzz_same(f.to, "admin@example.com"), "From or To changed");
	FUZZ_CHECK(pcm_mime_parts(f.raw, f.rawlen, f.body_off, &ps, why,
	    sizeof(why)) == 0, "forward's MIME broken: %s", why);
	FUZZ_CHECK(ps.n == 2, "forward has %zu parts", ps.n);
	FUZZ_CHECK(strcmp(ps.p[1].type, "message/rfc822") == 0 &&
	    (ps.p[1].len == m->rawlen || (ps.p[1].len == m->rawlen + 2 &&
	    memcmp(ps.p[1].data + m->rawlen, "\r\n", 2) == 0)) &&
	    memcmp(ps.p[1].data, m->raw, m->rawlen) == 0,
	    "the forwarded message changed");
	pcm_parts_release(&ps);
	gw_mail_release(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "From", "To", "Subject",
	    "Message-ID", "Content-Type", "IOSync-MAC", "Date", NULL };
	struct gw_mail m;
	struct pcm_parts ps;
	char why[600], *v;
	size_t i;
	int rc;

	rc = gw_mail_parse(&m, fuzz_str(data, size), size);
	FUZZ_CHECK(m.body_off <= m.rawlen, "body at %zu of %zu", m.body_off,
	    m.rawlen);
	FUZZ_CHECK(rc == 0 || (m.from == NULL && m.subject == NULL),
	    "refused a message with From or Subject");
	one_line("From", m.from);
	one_line("To", m.to);
	one_line("Subject", m.subject);
	one_line("Message-ID", m.message_id);
	for (i = 0; names[i] != NULL; i++) {
		v = gw_mail_header(&m, names[i]);
		one_line(names[i], v);
		free(v);
		v = pcm_header_value(m.raw, m.body_off, names[i]);
		one_line(names[i], v);
		free(v);
	}
	if (m.subject != NULL)
		subjects(m.subject);
	if (pcm_mime_parts(m.raw, m.rawlen, m.body_off, &ps, why,
	    sizeof(why)) == 0) {
		FUZZ_CHECK(ps.n <= PCM_MAX_PARTS, "%zu parts", ps.n);
		for (i = 0; i < ps.n; i++) {
			FUZZ_CHECK(ps.p[i].type != NULL &&
			    ps.p[i].data != NULL &&
			    ps.p[i].data[ps.p[i].len] == '\0', "part %zu", i);
			if (ps.p[i].len <= m.rawlen)
				continue;
			/* decoding never makes a part longer than the text */
			FUZZ_CHECK(0, "part %zu: %zu bytes from %zu", i,
			    ps.p[i].len, m.rawlen);
		}
		pcm_parts_release(&ps);
	} else
		FUZZ_CHECK(why[0] != '\0' && strchr(why, '\n') == NULL,
		    "MIME refused without a one-line reason: '%s'", why);
	if (rc == 0)
		forward(&m);
	gw_mail_release(&m);
	return 0;
}
