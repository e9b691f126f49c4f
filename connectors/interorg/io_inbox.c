/*
 * The InterOrg mailbox: what arrives is checked (sender on the list, MAC
 * with that peer's secret, IOSYNC-1 that parses) and grouped into
 * batches; a batch is handed over only when every part is here.  Anything
 * refused is an event and moves to the processed folder unapplied, with
 * no reply.  What leaves is split into parts, each with its MAC.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "interorg.h"
#include "state.h"

static void
msg_name(const struct gw_mail *m, char *buf, size_t len)
{
	snprintf(buf, len, "message %s (id %s)", m->message_id != NULL ?
	    m->message_id : "<no Message-ID>", m->id != NULL ? m->id : "?");
}

static long
body_first_line(const struct gw_mail *m)
{
	long line = 1;
	size_t i;

	for (i = 0; i < m->body_off && i < m->rawlen; i++)
		if (m->raw[i] == '\n')
			line++;
	return line;
}

static int
mail_done(struct io_cycle *c, const struct gw_mail *m, struct gw_err *err)
{
	if (c->cy->dry_run)
		return 0;
	return mailbox_done(c->mb, m, err);
}

/* A refused message: its event, then out of the inbox. */
static int
refuse(struct io_cycle *c, const struct gw_mail *m, int id, const char *fmt,
    ...) __attribute__((__format__(printf, 4, 5)));

static int
refuse(struct io_cycle *c, const struct gw_mail *m, int id, const char *fmt,
    ...)
{
	struct gw_err err;
	char why[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	evlog_emit(c->cy->ev, id, GW_SEV_ERROR, c->io->name, NULL, "%s",
	    why);
	fprintf(c->cy->out, "%s: %s\n", c->io->name, why);
	c->cy->counts.errors++;
	gw_err_init(&err);
	if (mail_done(c, m, &err) == -1) {
		fprintf(stderr, "galgate: %s: %s\n", c->io->name, err.msg);
		return -1;
	}
	return 0;
}

static int
find_peer(const struct interorg *io, const char *from)
{
	size_t i;

	if (from == NULL)
		return -1;
	for (i = 0; i < io->npeer; i++)
		if (gw_strcaseeq(io->peer[i].address, from))
			return (int)i;
	return -1;
}

static struct io_batch *
batch_find(struct io_cycle *c, size_t peer, const char *id)
{
	size_t i;

	for (i = 0; i < c->nbatches; i++)
		if (c->batches[i]->peer == peer &&
		    strcmp(c->batches[i]->batch, id) == 0)
			return c->batches[i];
	return NULL;
}

static int
same_batch(const struct io_header *a, const struct io_header *b)
{
	return a->role == b->role && a->musn == b->musn &&
	    a->rusn == b->rusn && a->full == b->full &&
	    a->reload == b->reload && a->nparts == b->nparts;
}

/* Every part here: one message of all their entries, in part order. */
static void
batch_assemble(struct io_batch *b)
{
	struct io_msg *all = &b->all;
	size_t total = 0, k, i;

	for (k = 0; k < b->nparts; k++)
		total += b->part[k]->msg.nent;
	all->hdr = b->part[0]->msg.hdr;
	all->hdr.org = gw_strdup(b->part[0]->msg.hdr.org);
	all->hdr.batch = gw_strdup(b->part[0]->msg.hdr.batch);
	all->hdr.part = 1;
	all->ent = gw_calloc(total + 1, sizeof(*all->ent));
	for (k = 0; k < b->nparts; k++) {
		struct io_msg *m = &b->part[k]->msg;

		for (i = 0; i < m->nent; i++)
			all->ent[all->nent++] = m->ent[i];
		m->nent = 0;
		if (m->has_ack) {
			all->has_ack = 1;
			all->ack = m->ack;
		}
	}
}

static int
add_part(struct io_cycle *c, size_t peer, struct io_part *p,
    struct gw_err *err)
{
	const struct io_header *h = &p->msg.hdr;
	struct io_batch *b = batch_find(c, peer, h->batch);
	char name[600];

	msg_name(p->mail, name, sizeof(name));
	if (b == NULL) {
		b = gw_calloc(1, sizeof(*b));
		b->peer = peer;
		b->batch = gw_strdup(h->batch);
		b->nparts = h->nparts;
		b->part = gw_calloc(h->nparts, sizeof(*b->part));
		c->batches = gw_grow(c->batches, c->nbatches,
		    sizeof(*c->batches));
		c->batches[c->nbatches++] = b;
	} else {
		const struct gw_mail *m = p->mail;
		size_t k;

		/* compare with a part already here */
		for (k = 0; k < b->nparts && b->part[k] == NULL; k++)
			;
		if (k < b->nparts && !same_batch(&b->part[k]->msg.hdr, h)) {
			char why[800];

			snprintf(why, sizeof(why), "%s: part %u/%u of batch %s "
			    "disagrees with the batch's other parts; refused",
			    name, h->part, h->nparts, h->batch);
			io_msg_release(&p->msg);
			free(p);
			return refuse(c, m, EV_IO_MALFORMED, "%s", why);
		}
	}
	if (b->part[h->part - 1] != NULL) {
		int rc;

		/* a redelivered part: the first copy stands */
		evlog_emit(c->cy->ev, EV_IO_STALE, GW_SEV_INFO, c->io->name,
		    NULL, "%s: part %u/%u of batch %s arrived twice; the copy "
		    "is set aside", name, h->part, h->nparts, h->batch);
		rc = mail_done(c, p->mail, err);
		io_msg_release(&p->msg);
		free(p);
		return rc;
	}
	b->part[h->part - 1] = p;
	b->have++;
	if (p->order > b->order)
		b->order = p->order;
	if (b->have == b->nparts)
		batch_assemble(b);
	c->parts = gw_grow(c->parts, c->nparts, sizeof(*c->parts));
	c->parts[c->nparts++] = p;
	return 0;
}

/* One message: checked, parsed and filed, or refused. */
static int
take_message(struct io_cycle *c, struct gw_mail *m, size_t order,
    struct gw_err *err)
{
	struct interorg *io = c->io;
	struct io_subject subj;
	struct io_part *p;
	struct gw_err perr;
	const char *why, *body = m->raw + m->body_off;
	size_t blen = m->rawlen - m->body_off;
	char name[600], *mac;
	int peer, ok;

	msg_name(m, name, sizeof(name));
	if ((peer = find_peer(io, m->from)) == -1)
		return refuse(c, m, EV_IO_UNLISTED, "%s from %s: not a "
		    "configured %s; not applied, no reply", name,
		    m->from != NULL ? m->from : "(no From)",
		    io->role == IO_ROLE_MASTER ? "requestor" : "master");
	if (m->subject == NULL || !iosync_is_subject(m->subject))
		return refuse(c, m, EV_IO_MALFORMED, "%s from %s: not an "
		    "IOSYNC-1 message (subject '%.100s'); not applied", name,
		    m->from, m->subject != NULL ? m->subject : "");
	mac = gw_mail_header(m, "IOSync-MAC");
	ok = iosync_mac_verify(io->peer[peer].secret, io->peer[peer].secretlen,
	    mac, m->subject, body, blen);
	if (!ok) {
		int rc = refuse(c, m, EV_IO_BAD_MAC, "%s from %s: %s "
		    "IOSync-MAC; not applied, no reply", name, m->from,
		    mac == NULL ? "no" : "a wrong");

		free(mac);
		return rc;
	}
	free(mac);
	if (iosync_parse_subject(m->subject, &subj, &why) == -1)
		return refuse(c, m, EV_IO_MALFORMED, "%s: %s", name, why);
	p = gw_calloc(1, sizeof(*p));
	p->mail = m;
	p->order = order;
	gw_err_init(&perr);
	if (iosync_parse(body, blen, name, body_first_line(m), &p->msg,
	    &perr) == -1) {
		free(p);
		return refuse(c, m, EV_IO_MALFORMED, "%s; not applied",
		    perr.msg);
	}
	why = NULL;
	if (iosync_subject_matches(&subj, &p->msg.hdr, &why) == -1 ||
	    p->msg.hdr.role == io->role) {
		io_msg_release(&p->msg);
		free(p);
		return refuse(c, m, EV_IO_MALFORMED, "%s: %s; not applied",
		    name, why != NULL ? why : io->role == IO_ROLE_MASTER ?
		    "ROLE=MASTER sent to a master" : "ROLE=REQUESTOR sent to "
		    "a requestor");
	}
	evlog_emit(c->cy->ev, EV_IO_RECEIVED, GW_SEV_INFO, io->name, NULL,
	    "received %s from %s: %s (%zu entries)", name, m->from,
	    m->subject, p->msg.nent);
	return add_part(c, (size_t)peer, p, err);
}

int
io_inbox_read(struct io_cycle *c, struct gw_err *err)
{
	size_t i;

	if (mailbox_fetch(c->mb, &c->mails, &c->nmails, err) == -1)
		return -1;
	for (i = 0; i < c->nmails; i++)
		if (take_message(c, &c->mails[i], i + 1, err) == -1)
			return -1;
	for (i = 0; i < c->nbatches; i++) {
		struct io_batch *b = c->batches[i];

		if (b->have < b->nparts)
			evlog_emit(c->cy->ev, EV_IO_WAITING, GW_SEV_INFO,
			    c->io->name, NULL, "batch %s from %s: %u of %u "
			    "parts here; waiting for the rest", b->batch,
			    c->io->peer[b->peer].address, b->have, b->nparts);
	}
	return 0;
}

int
io_batch_done(struct io_cycle *c, struct io_batch *b, struct gw_err *err)
{
	unsigned k;

	for (k = 0; k < b->nparts; k++)
		if (b->part[k] != NULL && mail_done(c, b->part[k]->mail,
		    err) == -1)
			return -1;
	return 0;
}

int
io_inbox_sweep(struct io_cycle *c, struct gw_err *err)
{
	struct interorg *io = c->io;
	struct gw_txn *txn;
	unsigned long long mark;
	size_t i;
	int rc;

	for (i = 0; i < c->nbatches; i++) {
		struct io_batch *b = c->batches[i];
		const struct io_header *h = NULL;
		unsigned k;

		if (b->have == b->nparts)
			continue;
		for (k = 0; k < b->nparts && h == NULL; k++)
			if (b->part[k] != NULL)
				h = &b->part[k]->msg.hdr;
		if (state_begin(c->cy->state, 0, &txn, err) == -1)
			return -1;
		rc = wmark_get_u64(txn, io->name, io->role == IO_ROLE_MASTER ?
		    io->peer[b->peer].wm[WM_APPLIED] : "master_usn", &mark,
		    err);
		state_abort(txn);
		if (rc == -1)
			return -1;
		/* what it carries was applied from a later batch */
		if ((io->role == IO_ROLE_MASTER ? h->rusn : h->musn) > mark ||
		    mark == 0)
			continue;
		evlog_emit(c->cy->ev, EV_IO_STALE, GW_SEV_INFO, io->name, NULL,
		    "batch %s from %s (%u of %u parts) is covered by a later "
		    "one; set aside", b->batch, io->peer[b->peer].address,
		    b->have, b->nparts);
		if (io_batch_done(c, b, err) == -1)
			return -1;
	}
	return 0;
}

void
io_inbox_release(struct io_cycle *c)
{
	size_t i;

	for (i = 0; i < c->nbatches; i++) {
		free(c->batches[i]->batch);
		free(c->batches[i]->part);
		io_msg_release(&c->batches[i]->all);
		free(c->batches[i]);
	}
	free(c->batches);
	for (i = 0; i < c->nparts; i++) {
		io_msg_release(&c->parts[i]->msg);
		free(c->parts[i]);
	}
	free(c->parts);
	gw_mails_free(c->mails, c->nmails);
	c->batches = NULL;
	c->parts = NULL;
	c->mails = NULL;
	c->nbatches = c->nparts = c->nmails = 0;
}

/* ---- sending ---- */

static void
new_batch_id(char out[17])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8];
	int i;

	if (RAND_bytes(r, sizeof(r)) != 1) {
		struct timespec ts;

		/* no entropy: time and pid still tell batches apart */
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(r, &ts.tv_nsec, 4);
		i = (int)getpid();
		memcpy(r + 4, &i, 4);
	}
	for (i = 0; i < 8; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[16] = '\0';
}

/* Room left for the mail headers around a body. */
#define IO_HEADER_ROOM	1024

int
io_send(struct io_cycle *c, const struct io_peer *p, struct io_header *hdr,
    const struct io_entry *ent, size_t n, int has_ack, uint64_t ack,
    struct gw_err *err)
{
	struct interorg *io = c->io;
	unsigned char mac[IO_MAC_LEN];
	const char *to[1] = { p->address };
	char batch[17], **bodies = NULL, *subject = NULL, *machdr = NULL;
	char *extra = NULL, *raw = NULL;
	size_t *lens = NULL, np = 0, k, rawlen;
	int rc = -1;

	new_batch_id(batch);
	hdr->batch = batch;
	if (iosync_write_parts(hdr, ent, n, has_ack, ack, io->max_size -
	    IO_HEADER_ROOM, &bodies, &lens, &np) == -1) {
		gw_err_set(err, GW_EXIT_RUNTIME, "%s: the batch for %s is too "
		    "large to write", io->name, p->address);
		goto done;
	}
	for (k = 0; k < np; k++) {
		hdr->part = (unsigned)k + 1;
		hdr->nparts = (unsigned)np;
		subject = iosync_subject(hdr);
		iosync_mac(p->secret, p->secretlen, subject, bodies[k], lens[k],
		    mac);
		machdr = iosync_mac_header(mac);
		extra = gw_malloc(strlen(machdr) + 32);
		sprintf(extra, "IOSync-MAC: %s\r\n", machdr);
		if (c->cy->dry_run) {
			fprintf(c->cy->out, "# %s: would send to %s\nSubject: "
			    "%s\n\n%s\n", io->name, p->address, subject,
			    bodies[k]);
		} else {
			if (gw_mail_build(io->address, p->address, subject,
			    extra, "utf-8", bodies[k], lens[k], &raw,
			    &rawlen) == -1) {
				gw_err_set(err, GW_EXIT_RUNTIME, "%s: message "
				    "for %s too large", io->name, p->address);
				goto done;
			}
			if (mailbox_send(c->mb, io->address, to, 1, raw, rawlen,
			    err) == -1) {
				gw_err_prefix(err, "%s: sending to %s",
				    io->name, p->address);
				goto done;
			}
			free(raw);
			raw = NULL;
		}
		free(subject);
		free(machdr);
		free(extra);
		subject = machdr = extra = NULL;
	}
	if (!c->cy->dry_run) {
		evlog_emit(c->cy->ev, hdr->full ? EV_IO_FULL : EV_IO_SENT,
		    GW_SEV_INFO, io->name, NULL, "sent %sbatch %s to %s: %zu "
		    "entries in %zu part%s, master USN %llu, requestor USN "
		    "%llu%s", hdr->full ? "full " : "", batch, p->address, n,
		    np, np == 1 ? "" : "s", (unsigned long long)hdr->musn,
		    (unsigned long long)hdr->rusn, has_ack ? " (with "
		    "acknowledgement)" : "");
		fprintf(c->cy->out, "%s: sent %zu entries to %s in %zu "
		    "part%s%s\n", io->name, n, p->address, np, np == 1 ? "" :
		    "s", hdr->full ? " (full)" : "");
	}
	rc = 0;
done:
	hdr->batch = NULL;
	free(raw);
	free(subject);
	free(machdr);
	free(extra);
	for (k = 0; k < np; k++)
		free(bodies[k]);
	free(bodies);
	free(lens);
	return rc;
}
