/*
 * IOSYNC-1 (FORMATS.md section 3) as it arrives: a whole RFC 5322
 * message, its subject and its body, read the way io_inbox.c reads them.
 *
 * Properties:
 * - Nothing forged: the MAC covers the body with line ends made CRLF and
 *   trailing blanks removed, so every body with the same MAC text must
 *   parse to the same message (or fail with the same error); otherwise a
 *   relay could change what is applied without breaking the MAC.  The MAC
 *   of a body verifies, and the MAC text is a fixed point.
 * - Nothing lost: a parsed message written back by the IOSYNC-1 writer
 *   (one part) and parsed again is the same message, and the subject
 *   galgate writes for its header parses and matches it.
 */
#include <string.h>

#include "fuzz.h"
#include "iosync.h"
#include "mailbox.h"

static const char name[] = "message <fuzz@galgate> (uid 1)";

/* The text the MAC covers, without the subject (caller frees). */
static char *
mac_text(const char *body, size_t len, size_t *outlen)
{
	struct gw_buf c;
	const char *nl;
	size_t i = 0, n;

	gw_buf_init(&c, 0);
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
	gw_buf_addstr(&c, "");
	*outlen = c.len;
	return gw_buf_detach(&c);
}

static void
same_entry(const struct io_entry *a, const struct io_entry *b)
{
	size_t i;

	FUZZ_CHECK(a->op == b->op && a->usn == b->usn, "op %d usn %llu "
	    "became op %d usn %llu", a->op, (unsigned long long)a->usn, b->op,
	    (unsigned long long)b->usn);
	FUZZ_CHECK(fuzz_same(a->key, b->key) && fuzz_same(a->newkey,
	    b->newkey), "key '%s' -> '%s' became '%s' -> '%s'", a->key,
	    a->newkey, b->key, b->newkey);
	FUZZ_CHECK(fuzz_same(a->cls, b->cls) && fuzz_same(a->dn, b->dn),
	    "class '%s' dn '%s' became '%s' '%s'", a->cls, a->dn, b->cls,
	    b->dn);
	FUZZ_CHECK(a->attrs.n == b->attrs.n, "%zu attributes became %zu",
	    a->attrs.n, b->attrs.n);
	for (i = 0; i < a->attrs.n; i++) {
		const struct gw_attr *x = &a->attrs.attr[i];
		const struct gw_attr *y = gw_record_attr(&b->attrs, x->name);

		FUZZ_CHECK(y != NULL && y->n == 1 && x->n == 1,
		    "%s lost or doubled", x->name);
		FUZZ_CHECK(x->val[0].len == y->val[0].len &&
		    memcmp(x->val[0].ptr, y->val[0].ptr, x->val[0].len) == 0,
		    "%s: '%s' became '%s'", x->name, x->val[0].ptr,
		    y->val[0].ptr);
	}
}

static void
same_msg(const struct io_msg *a, const struct io_msg *b, int written)
{
	const struct io_header *x = &a->hdr, *y = &b->hdr;
	size_t i;

	FUZZ_CHECK(x->role == y->role && x->musn == y->musn &&
	    x->rusn == y->rusn && x->full == y->full &&
	    x->reload == y->reload, "header numbers differ");
	FUZZ_CHECK(fuzz_same(x->batch, y->batch), "batch '%s' became '%s'",
	    x->batch, y->batch);
	if (!written) {
		FUZZ_CHECK(fuzz_same(x->org, y->org) && x->part == y->part &&
		    x->nparts == y->nparts, "org or part differ");
	} else {
		/* ORG goes out as 7-bit text, '?' for anything else */
		const char *p = x->org, *q = y->org;

		for (; *p != '\0' && *q != '\0'; p++, q++)
			FUZZ_CHECK(*p == *q || (*q == '?' &&
			    ((unsigned char)*p < 0x20 ||
			    (unsigned char)*p > 0x7e)), "org '%s' became '%s'",
			    x->org, y->org);
		FUZZ_CHECK(*p == *q, "org '%s' became '%s'", x->org, y->org);
	}
	FUZZ_CHECK(a->has_ack == b->has_ack && (!a->has_ack ||
	    a->ack == b->ack), "ack differs");
	FUZZ_CHECK(a->nent == b->nent, "%zu entries became %zu", a->nent,
	    b->nent);
	for (i = 0; i < a->nent; i++)
		same_entry(&a->ent[i], &b->ent[i]);
}

static void
round_trip(const struct io_msg *m)
{
	struct io_subject subj;
	struct io_header h = m->hdr;
	struct io_msg back;
	struct gw_err err;
	const char *why;
	char **bodies, *subject;
	size_t *lens, np, i;
	int rc;

	subject = iosync_subject(&m->hdr);
	FUZZ_CHECK(iosync_parse_subject(subject, &subj, &why) == 0,
	    "written subject '%s' refused: %s", subject, why);
	FUZZ_CHECK(iosync_subject_matches(&subj, &m->hdr, &why) == 0,
	    "written subject '%s' does not match: %s", subject, why);
	free(subject);
	if (iosync_write_parts(&h, m->ent, m->nent, m->has_ack, m->ack,
	    GW_MAIL_MAX, &bodies, &lens, &np) == -1)
		return;
	FUZZ_CHECK(np == 1, "%zu parts", np);
	gw_err_init(&err);
	rc = iosync_parse(bodies[0], lens[0], name, 1, &back, &err);
	FUZZ_CHECK(rc == 0, "written message refused: %s\n%s", err.msg,
	    bodies[0]);
	same_msg(m, &back, 1);
	io_msg_release(&back);
	for (i = 0; i < np; i++)
		free(bodies[i]);
	free(bodies);
	free(lens);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char key[] = "a shared secret";
	struct gw_mail m;
	struct io_subject subj;
	struct io_msg msg, canon;
	struct gw_err err, cerr;
	unsigned char mac[IO_MAC_LEN], mac2[IO_MAC_LEN];
	const char *body, *why, *subject;
	char *text, *hdr;
	size_t blen, tlen, i;
	long first = 1;
	int rc, crc;

	(void)gw_mail_parse(&m, fuzz_str(data, size), size);
	body = m.raw + m.body_off;
	blen = m.rawlen - m.body_off;
	for (i = 0; i < m.body_off; i++)
		if (m.raw[i] == '\n')
			first++;
	subject = m.subject != NULL ? m.subject : "";
	if (iosync_is_subject(subject))
		(void)iosync_parse_subject(subject, &subj, &why);

	/* the MAC */
	iosync_mac(key, sizeof(key) - 1, subject, body, blen, mac);
	hdr = iosync_mac_header(mac);
	FUZZ_CHECK(iosync_mac_verify(key, sizeof(key) - 1, hdr, subject, body,
	    blen) == 1, "own MAC refused");
	FUZZ_CHECK(iosync_mac_verify("other", 5, hdr, subject, body,
	    blen) == 0, "MAC accepted under another key");
	free(hdr);
	text = mac_text(body, blen, &tlen);
	iosync_mac(key, sizeof(key) - 1, subject, text, tlen, mac2);
	FUZZ_CHECK(memcmp(mac, mac2, IO_MAC_LEN) == 0, "MAC text is not a "
	    "fixed point");

	/* what the MAC covers is what is applied */
	gw_err_init(&err);
	gw_err_init(&cerr);
	rc = iosync_parse(body, blen, name, first, &msg, &err);
	crc = iosync_parse(text, tlen, name, first, &canon, &cerr);
	FUZZ_CHECK(rc == crc, "the MAC text %s but the body %s: %s%s",
	    crc == 0 ? "parses" : "fails", rc == 0 ? "parses" : "fails",
	    err.msg, cerr.msg);
	if (rc == -1) {
		FUZZ_CHECK(strcmp(err.msg, cerr.msg) == 0, "'%s' vs '%s'",
		    err.msg, cerr.msg);
		FUZZ_CHECK(strncmp(err.msg, name, sizeof(name) - 1) == 0 &&
		    err.msg[sizeof(name) - 1] == ':', "error without the "
		    "message: %s", err.msg);
	} else {
		same_msg(&msg, &canon, 0);
		round_trip(&msg);
		if (iosync_is_subject(subject) &&
		    iosync_parse_subject(subject, &subj, &why) == 0)
			(void)iosync_subject_matches(&subj, &msg.hdr, &why);
		io_msg_release(&msg);
		io_msg_release(&canon);
	}
	free(text);
	gw_mail_release(&m);
	return 0;
}
