/*
 * One dir-sync server cycle (T2 of WA0725: SRVMAIN -R, then SRVMAIN -T).
 * See pcmail.h for the order of work.  Sync numbers (WA0725, KB Q96060):
 *   R  the requestor's last transaction number; transactions numbered at
 *      or below the stored ReqSync are skipped, and the reply echoes R;
 *   S  a position in galgate's journal (its USN): the reply carries every
 *      change after the requestor's S and names the new S;
 *   I  imports requested to date: a raised I asks for a full reply.
 * The stored numbers move only after the reply is in the outbox (or with
 * the SMTP server) and the LDAP writes were acknowledged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "failpoint.h"
#include "gal.h"
#include "journal.h"
#include "mailbox.h"
#include "pcm_msg.h"
#include "pcmail.h"
#include "state.h"

enum mkind {
	MK_OTHER,		/* not dir-sync: logged, moved away */
	MK_STATUS,		/* a status report */
	MK_UPDATE,		/* ReqTx to apply and answer */
	MK_REFUSED,		/* answered with SrvTx ERROR n */
	MK_UNREGISTERED		/* no reply, only an event */
};

struct msgw {
	struct gw_mail		*m;
	enum mkind		 kind;
	struct pcm_peer		*peer;
	size_t			 pi;
	char			 src[320];	/* "message <id>" */
	char			 where[340];	/* "message <id> body|attachment" */
	struct pcm_header	 h;
	struct pcm_subject	 subj;
	int			 has_subj;
	struct pcm_batch	 batch;
	int			 error;		/* MS Mail error number */
	char			 text[512];	/* its text, or the status */
};

/* A requestor that sent updates this cycle. */
struct rq {
	int			 active;
	struct pcm_import	*im;
	struct pcm_reply	 reply;
	int			 err138;
	uint64_t		 r, s, i;	/* as its last message says */
	uint64_t		 reqsync;	/* ReqSync after its updates */
	int			 full, attach;
	size_t			 ntxn, nskipped;
};

struct server {
	struct pcm_cycle	 c;
	struct gw_mailbox	*mb;
	struct gw_mail		*mail;
	size_t			 nmail;
	struct msgw		*w;
	struct rq		*rq;		/* per peer */
	char			**secret;	/* per peer, read once */
	char			 from[256];	/* our From: header */
};

static void
say(struct server *sv, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
say(struct server *sv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(sv->c.cy->out, "%s: ", sv->c.pc->name);
	vfprintf(sv->c.cy->out, fmt, ap);
	fputc('\n', sv->c.cy->out);
	va_end(ap);
}

/* Events are written only by real cycles; a dry run prints them. */
static void
event(struct server *sv, int id, enum gw_sev sev, const char *fmt, ...)
    __attribute__((__format__(printf, 4, 5)));

static void
event(struct server *sv, int id, enum gw_sev sev, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sv->c.cy->dry_run)
		fprintf(sv->c.cy->out, "# event %d: %s\n", id, msg);
	else
		evlog_emit(sv->c.cy->ev, id, sev, sv->c.pc->name, NULL, "%s",
		    msg);
}

static int
password_ok(const char *want, const char *got)
{
	size_t wl = strlen(want), gl = got != NULL ? strlen(got) : 0;

	if (got == NULL || wl != gl)
		return 0;
	return CRYPTO_memcmp(want, got, wl) == 0;
}

static const char *
hdr_or(struct gw_mail *m, const char *name, char **keep)
{
	*keep = gw_mail_header(m, name);
	return *keep != NULL ? *keep : "(none)";
}

/* ---- reading ---- */

static struct pcm_peer *
peer_by_from(struct server *sv, const struct gw_mail *m, size_t *pi)
{
	size_t i;

	for (i = 0; m->from != NULL && i < sv->c.pc->npeer; i++)
		if (gw_strcaseeq(sv->c.pc->peer[i].address, m->from)) {
			*pi = i;
			return &sv->c.pc->peer[i];
		}
	return NULL;
}

static void
refuse(struct msgw *w, int error, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
refuse(struct msgw *w, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	w->kind = MK_REFUSED;
	w->error = error;
	if (w->peer == NULL) {
		/* nobody to answer: it stays an event */
		w->kind = MK_UNREGISTERED;
		w->error = 158;
		if (error != 158) {
			char why[sizeof(w->text)];

			snprintf(why, sizeof(why), "%s", w->text);
			snprintf(w->text, sizeof(w->text), "Requestor not "
			    "registered (and %.400s)", why);
		}
	}
}

/* The text of a part in the code page it is in (NULL: UTF-8). */
static struct gw_codepage *
part_cp(struct server *sv, const struct pcm_part *p)
{
	if (p->charset != NULL && (strcmp(p->charset, "utf-8") == 0 ||
	    strcmp(p->charset, "utf8") == 0))
		return NULL;
	return &sv->c.cp;
}

static void
read_update(struct server *sv, struct msgw *w, struct pcm_parts *ps,
    size_t hpart)
{
	const struct pcm_part *tp = NULL;
	struct gw_err perr;
	size_t i, off = 0;
	long line0 = 0;
	const char *where = "body";

	if (w->h.trans_line > 0) {
		tp = &ps->p[hpart];
		off = w->h.trans_off;
		line0 = w->h.trans_line + 1;
	} else
		for (i = 0; i < ps->n; i++) {
			if (i == hpart || !pcm_starts_with_tag(ps->p[i].data,
			    ps->p[i].len, "[DIRSYNC-TRANSACTIONS]", &off,
			    &line0))
				continue;
			tp = &ps->p[i];
			line0++;
			where = "attachment";
			break;
		}
	snprintf(w->where, sizeof(w->where), "%s %s", w->src, where);
	/*
	 * Transactions announced and not there (an attachment lost on the
	 * way): R must not acknowledge what never arrived.
	 */
	if (tp == NULL && w->h.attach) {
		refuse(w, 155, "Invalid DirSync profile: %s: "
		    "TRANSACTIONS=INATTACHMENT, but no MIME part starts with "
		    "[DIRSYNC-TRANSACTIONS]", w->src);
		return;
	}
	if (tp == NULL && (w->h.count > 0 || (w->h.count < 0 &&
	    w->has_subj && w->subj.has_n && w->subj.n > 0))) {
		refuse(w, 155, "Invalid DirSync profile: %s: it says %llu sent, "
		    "but holds no [DIRSYNC-TRANSACTIONS] section", w->src,
		    w->h.count > 0 ? (unsigned long long)w->h.count :
		    (unsigned long long)w->subj.n);
		return;
	}
	if (tp == NULL)
		return;
	gw_err_init(&perr);
	if (pcm_parse(tp->data + off, tp->len - off, part_cp(sv, tp), line0,
	    &w->batch, &perr) == -1)
		refuse(w, 155, "Invalid DirSync profile: %s %s", w->where,
		    perr.msg);
}

static void
classify(struct server *sv, struct msgw *w, struct gw_err *err)
{
	size_t seclen;
	struct gw_mail *m = w->m;
	struct pcm_parts ps;
	char why[600], net[16], po[16];
	size_t i, hpart = 0;
	int rc = 1, reqtx;

	memset(&ps, 0, sizeof(ps));
	w->kind = MK_OTHER;
	reqtx = m->subject != NULL && gw_strncaseeq(m->subject, "ReqTx", 5);
	if (m->subject != NULL && pcm_status_subject(m->subject, net,
	    sizeof(net), po, sizeof(po)) == 0) {
		w->kind = MK_STATUS;
		w->peer = pcm_peer_find(sv->c.pc, net, po);
		if (w->peer == NULL) {
			w->kind = MK_UNREGISTERED;
			snprintf(w->text, sizeof(w->text), "status report from "
			    "%s/%s, which is not a registered requestor", net,
			    po);
		} else
			w->pi = (size_t)(w->peer - sv->c.pc->peer);
		/* the report itself: DSSERVER.LOG's last line says most */
		if (pcm_mime_parts(m->raw, m->rawlen, m->body_off, &ps, why,
		    sizeof(why)) == 0 && ps.n > 0 && w->kind == MK_STATUS) {
			const struct pcm_part *p = &ps.p[ps.n - 1];
			size_t n = p->len;

			while (n > 0 && strchr("\r\n \t\x1a", p->data[n - 1]))
				n--;
			i = n;
			while (i > 0 && p->data[i - 1] != '\n')
				i--;
			snprintf(w->text, sizeof(w->text), "%.*s",
			    (int)(n - i), p->data + i);
		}
		goto done;
	}
	if (pcm_mime_parts(m->raw, m->rawlen, m->body_off, &ps, why,
	    sizeof(why)) == -1) {
		if (reqtx) {
			w->peer = peer_by_from(sv, m, &w->pi);
			refuse(w, 155, "Invalid DirSync profile: %s: %s",
			    w->src, why);
		}
		goto done;
	}
	for (hpart = 0; hpart < ps.n; hpart++)
		if (pcm_starts_with_tag(ps.p[hpart].data, ps.p[hpart].len,
		    "[DIRSYNC]", NULL, NULL))
			break;
	if (hpart == ps.n) {
		if (reqtx) {
			w->peer = peer_by_from(sv, m, &w->pi);
			refuse(w, 155, "Invalid DirSync profile: %s: the body "
			    "does not start with [DIRSYNC]", w->src);
		}
		goto done;
	}
	if (m->subject != NULL && pcm_subject_parse(m->subject, "ReqTx",
	    &w->subj) == 0)
		w->has_subj = 1;
	rc = pcm_header_parse(ps.p[hpart].data, ps.p[hpart].len,
	    part_cp(sv, &ps.p[hpart]), &w->h, why, sizeof(why));
	/* who sent it: REQNAME, else the registered address it came from */
	if (w->h.net[0] != '\0')
		w->peer = pcm_peer_find(sv->c.pc, w->h.net, w->h.po);
	if (w->peer == NULL && w->h.reqname == NULL)
		w->peer = peer_by_from(sv, m, &w->pi);
	if (w->peer != NULL)
		w->pi = (size_t)(w->peer - sv->c.pc->peer);
	if (rc == -1) {
		refuse(w, 155, "Invalid DirSync profile: %s body %s", w->src,
		    why);
		goto done;
	}
	if (w->peer == NULL) {
		refuse(w, 158, "Requestor not registered: REQNAME=%s",
		    w->h.reqname != NULL ? w->h.reqname : "(none)");
		goto done;
	}
	if (sv->secret[w->pi] == NULL && gw_read_secret(w->peer->password_file,
	    1024, &sv->secret[w->pi], &seclen, err) == -1) {
		w->kind = MK_OTHER;
		goto done;
	}
	if (!password_ok(sv->secret[w->pi], w->h.password)) {
		refuse(w, 156, "Invalid password for requestor %s",
		    w->peer->id);
		goto done;
	}
	switch (w->h.task) {
	case PCM_TASK_UPDATE:
	case PCM_TASK_EXPORT:
	case PCM_TASK_IMPORTREQ:
		w->kind = MK_UPDATE;
		read_update(sv, w, &ps, hpart);
		break;
	case PCM_TASK_STATUS:
		w->kind = MK_STATUS;
		snprintf(w->text, sizeof(w->text), "TASK=STATUS from %s",
		    w->peer->id);
		break;
	default:
		refuse(w, 155, "Invalid DirSync profile: TASK=%s",
		    w->h.task_raw != NULL ? w->h.task_raw : "(missing)");
		break;
	}
done:
	pcm_parts_release(&ps);
}

static void
report_message(struct server *sv, struct msgw *w)
{
	char *from, *to;
	size_t i;

	event(sv, EV_PCM_RECEIVED, GW_SEV_INFO, "received %s: FROM: %s TO: %s "
	    "SUBJECT: %s", w->src, hdr_or(w->m, "From", &from),
	    hdr_or(w->m, "To", &to), w->m->subject != NULL ? w->m->subject :
	    "(none)");
	free(from);
	free(to);
	switch (w->kind) {
	case MK_OTHER:
		if (w->m->subject == NULL || !gw_strncaseeq(w->m->subject,
		    "SrvTx", 5))
			event(sv, EV_PCM_NOT_DIRSYNC, GW_SEV_WARNING, "%s is not "
			    "a dir-sync message (no [DIRSYNC] body, no status "
			    "report subject): moved to the processed folder",
			    w->src);
		break;
	case MK_UNREGISTERED:
		event(sv, EV_PCM_ERR158, GW_SEV_ERROR, "%s: error 158 %s; no "
		    "reply", w->src, w->text);
		break;
	case MK_REFUSED:
		event(sv, w->error == 156 ? EV_PCM_ERR156 : w->error == 158 ?
		    EV_PCM_ERR158 : EV_PCM_ERR155, GW_SEV_ERROR, "%s from %s "
		    "refused: error %d %s", w->src, w->peer->id, w->error,
		    w->text);
		break;
	case MK_STATUS:
		event(sv, EV_PCM_STATUS, GW_SEV_INFO, "%s: status report from "
		    "%s: %s", w->src, w->peer->id, w->text);
		break;
	case MK_UPDATE:
		for (i = 0; i < w->batch.nbad; i++) {
			event(sv, EV_PCM_LINE_BAD, GW_SEV_WARNING, "%s line %ld: "
			    "%s; line skipped, the rest applied", w->where,
			    w->batch.bad[i].line, w->batch.bad[i].why);
			sv->c.cy->counts.skipped++;
		}
		if (w->batch.replaced > 0)
			event(sv, EV_PCM_CHAR, GW_SEV_WARNING, "%s: %zu "
			    "characters not in %s replaced by '?'", w->src,
			    w->batch.replaced, sv->c.cp.name);
		if (w->h.nunknown > 0)
			event(sv, EV_PCM_UNKNOWN_KEY, GW_SEV_WARNING, "%s: "
			    "[DIRSYNC] key %s%s ignored", w->src,
			    w->h.unknown[0], w->h.nunknown > 1 ? " (and others)"
			    : "");
		break;
	}
}

/* ---- planning ---- */

/* The types of a reply: the requestor's, narrowed by its TYPES=. */
static void
reply_types(struct pcm_reply *r, const struct pcm_header *h)
{
	size_t i, k;

	for (i = 0; i < r->peer->ntypes; i++) {
		for (k = 0; h->types != NULL && k < h->ntypes; k++)
			if (strcmp(h->types[k], r->peer->types[i]) == 0)
				break;
		if (h->types != NULL && k == h->ntypes)
			continue;
		r->types = gw_realloc(r->types, (r->ntypes + 1) *
		    sizeof(*r->types));
		r->types[r->ntypes++] = gw_strdup(r->peer->types[i]);
	}
}

static int
plan_update(struct server *sv, struct msgw *w, struct gw_err *err)
{
	struct rq *q = &sv->rq[w->pi];
	struct pcm_nums *n = &sv->c.nums[w->pi];
	uint64_t r, s, imp, maxseq = 0;
	size_t i, skipped, count;
	int have_r;

	if (!q->active) {
		q->active = 1;
		q->reqsync = n->reqsync;
		q->im = pcm_import_new(&sv->c, w->peer);
		pcm_reply_init(&q->reply, w->peer, w->pi);
	}
	for (i = 0; i < w->batch.n; i++)
		if (w->batch.txn[i].numbered && w->batch.txn[i].seq > maxseq)
			maxseq = w->batch.txn[i].seq;
	have_r = w->h.has_reqseq || (w->has_subj && w->subj.has_r);
	r = w->h.has_reqseq ? w->h.reqseq : w->has_subj && w->subj.has_r ?
	    w->subj.r : maxseq;
	s = w->h.has_srvseq ? w->h.srvseq : w->has_subj && w->subj.has_s ?
	    w->subj.s : 0;
	imp = w->h.has_impseq ? w->h.impseq : w->has_subj && w->subj.has_i ?
	    w->subj.i : n->impsync;
	count = w->h.count >= 0 ? (size_t)w->h.count : w->has_subj &&
	    w->subj.has_n ? (size_t)w->subj.n : w->batch.n + w->batch.ndefs;
	if (count != w->batch.n + w->batch.ndefs)
		event(sv, EV_PCM_COUNT, GW_SEV_WARNING, "%s says %zu sent, its "
		    "body holds %zu transactions: the body wins", w->src, count,
		    w->batch.n + w->batch.ndefs);
	/* R=0 and S=0: a requestor starting over, numbering from 1 again */
	if (have_r && r == 0 && s == 0)
		q->reqsync = q->r = 0;
	if (pcm_import_plan(q->im, &w->batch, q->reqsync,
	    have_r && r <= q->reqsync, w->where, &skipped, err) == -1)
		return -1;
	if (skipped > 0)
		event(sv, EV_PCM_REDELIVERED, GW_SEV_INFO, "%s: %zu transactions "
		    "at or below ReqSync %llu were applied before: skipped",
		    w->src, skipped, (unsigned long long)q->reqsync);
	q->ntxn += w->batch.n;
	q->nskipped += skipped;
	if (r > q->reqsync)
		q->reqsync = r;
	if (maxseq > q->reqsync)
		q->reqsync = maxseq;
	/* the acknowledgement: the highest R it sent, whatever the order */
	if (r > q->r)
		q->r = r;
	q->s = s;
	if (imp > q->i)
		q->i = imp;
	q->attach = w->h.attach;
	/* the latest message says what the requestor holds now */
	q->full = s == 0 || imp > n->impsync ||
	    w->h.task == PCM_TASK_IMPORTREQ || n->export_all != 0;
	q->reply.templates = w->peer->templates && w->h.templates != 0;
	for (i = 0; i < q->reply.ntypes; i++)
		free(q->reply.types[i]);
	free(q->reply.types);
	q->reply.types = NULL;
	q->reply.ntypes = 0;
	reply_types(&q->reply, &w->h);
	return 0;
}

static int
plan(struct server *sv, struct gw_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < sv->nmail; i++)
		if (sv->w[i].kind == MK_UPDATE &&
		    plan_update(sv, &sv->w[i], err) == -1)
			return -1;
	for (i = 0; i < sv->c.pc->npeer; i++) {
		struct rq *q = &sv->rq[i];

		if (!q->active)
			continue;
		if (pcm_import_unpark(q->im, err) == -1 ||
		    pcm_import_finish(q->im, err) == -1 ||
		    pcm_import_threshold(q->im, err) == -1)
			return -1;
		q->reply.full = q->full;
		q->reply.from_s = q->s;
		if ((rc = pcm_reply_plan(&sv->c, &q->reply, err)) == -1)
			return -1;
		if (rc == 1) {
			q->err138 = 1;
			continue;
		}
		if (pcm_reply_threshold(&sv->c, &q->reply, err) == -1)
			return -1;
	}
	return 0;
}

/* ---- writing ---- */

static void
subject_of(const struct rq *q, char *buf, size_t len)
{
	snprintf(buf, len, "SrvTx R=%llu S=%llu (was %llu), I=%llu %zu sent",
	    (unsigned long long)q->r, (unsigned long long)q->reply.new_s,
	    (unsigned long long)q->s, (unsigned long long)q->i, q->reply.nout);
}

static int
reply_body(struct server *sv, const struct rq *q, struct gw_buf *hdr,
    struct gw_buf *tx, struct gw_err *err)
{
	const struct pcm_reply *r = &q->reply;
	size_t i;

	gw_buf_printf(hdr, "[DIRSYNC]\r\nTASK=%s\r\nSRVNAME=PCM:%s/%s\r\n"
	    "REQNAME=PCM:%s\r\nTYPES=", r->full ? "EXPORT" : "UPDATE",
	    sv->c.pc->net, sv->c.pc->po, r->peer->id);
	for (i = 0; i < r->ntypes; i++)
		gw_buf_printf(hdr, "%s%s", i > 0 ? "|" : "", r->types[i]);
	gw_buf_printf(hdr, "\r\nTEMPLATE=%s\r\nREQSEQ=%010llu\r\n"
	    "SRVSEQ=%010llu\r\nIMPSEQ=%010llu\r\nTRANSACTIONS=%s\r\n"
	    "COUNT=%zu\r\n", r->templates ? "YES" : "NO",
	    (unsigned long long)q->r, (unsigned long long)r->new_s,
	    (unsigned long long)q->i, q->attach ? "INATTACHMENT" : "INBODY",
	    r->nout);
	gw_buf_addstr(q->attach ? tx : hdr, "[DIRSYNC-TRANSACTIONS]\r\n");
	return pcm_reply_text(&sv->c, r, q->attach ? tx : hdr, err);
}

/*
 * Sends raw to to (and admin_copy), one 3395 event; name (NULL: a new
 * one) is the file name of a delivery into a Maildir outbox.
 */
static int
send_raw(struct server *sv, const char *to_hdr, const char *to,
    const char *subject, const char *raw, size_t len, int copy,
    const char *name, struct gw_err *err)
{
	const char *rcpt[2];
	size_t n = 0;

	rcpt[n++] = to;
	if (copy && sv->c.pc->admin_copy != NULL)
		rcpt[n++] = sv->c.pc->admin_copy;
	if (mailbox_send_named(sv->mb, sv->c.pc->address, rcpt, n, raw, len,
	    name, err) == -1)
		return -1;
	event(sv, EV_PCM_SENT, GW_SEV_INFO, "sent: FROM: %s TO: %s%s%s "
	    "SUBJECT: %s", sv->from, to_hdr, n > 1 ? " CC: " : "",
	    n > 1 ? rcpt[1] : "", subject);
	return 0;
}

static int
send_message(struct server *sv, const struct pcm_peer *p,
    const char *subject, const char *body, size_t blen, const char *att,
    size_t alen, const char *name, struct gw_err *err)
{
	char to[256], extra[300] = "", *raw = NULL;
	const char *cs = pcm_charset(sv->c.pc->codepage);
	size_t len;
	int rc;

	snprintf(to, sizeof(to), "%s/$SYSTEM <%s>", p->id, p->address);
	if (sv->c.pc->admin_copy != NULL)
		snprintf(extra, sizeof(extra), "Cc: %s\r\n",
		    sv->c.pc->admin_copy);
	rc = att != NULL ? pcm_mail_multipart(sv->from, to, subject, extra, cs,
	    body, blen, "text/plain", "SRVTRANS.TXT", att, alen, &raw, &len) :
	    gw_mail_build(sv->from, to, subject, extra, cs, body, blen, &raw,
	    &len);
	if (rc == -1)
		return gw_err_set(err, GW_EXIT_RUNTIME, "the message to %s is "
		    "larger than %zu bytes", p->id, GW_MAIL_MAX);
	rc = send_raw(sv, to, p->address, subject, raw, len, 1, name, err);
	free(raw);
	return rc;
}

static int
send_error(struct server *sv, const struct pcm_peer *p, int error,
    const char *text, const char *name, struct gw_err *err)
{
	char subject[700];
	struct gw_buf body;
	int rc;

	snprintf(subject, sizeof(subject), "SrvTx ERROR %d %s", error, text);
	gw_buf_init(&body, 0);
	gw_buf_printf(&body, "[DIRSYNC]\r\nERROR=%d\r\nTEXT=%s\r\n", error,
	    text);
	rc = send_message(sv, p, subject, body.buf, body.len, NULL, 0, name,
	    err);
	gw_buf_release(&body);
	return rc;
}

/* The message is handled: forwarded to the administrator, moved away. */
static int
done(struct server *sv, struct msgw *w, struct gw_err *err)
{
	char subject[600], *raw = NULL;
	struct gw_buf body;
	const char *rcpt[1];
	size_t len;
	int rc;

	if (sv->c.pc->admin_forward != NULL) {
		snprintf(subject, sizeof(subject), "FW: %s", w->m->subject !=
		    NULL ? w->m->subject : "(no subject)");
		gw_buf_init(&body, 0);
		gw_buf_printf(&body, "Dir-sync message received by %s from %s "
		    "(%s), forwarded.\r\n", sv->c.pc->name, w->m->from != NULL ?
		    w->m->from : "(unknown)", w->src);
		rc = pcm_mail_multipart(sv->from, sv->c.pc->admin_forward,
		    subject, NULL, "us-ascii", body.buf, body.len,
		    "message/rfc822", NULL, w->m->raw, w->m->rawlen, &raw,
		    &len);
		gw_buf_release(&body);
		if (rc == -1)
			return gw_err_set(err, GW_EXIT_RUNTIME, "%s: too large "
			    "to forward", w->src);
		rcpt[0] = sv->c.pc->admin_forward;
		rc = mailbox_send(sv->mb, sv->c.pc->address, rcpt, 1, raw, len,
		    err);
		free(raw);
		if (rc == -1)
			return -1;
		event(sv, EV_PCM_SENT, GW_SEV_INFO, "sent: FROM: %s TO: %s "
		    "SUBJECT: %s", sv->from, sv->c.pc->admin_forward, subject);
	}
	return mailbox_done(sv->mb, w->m, err);
}

static uint64_t
held_after(struct server *sv, const struct rq *q)
{
	const struct pcm_reply *r = &q->reply;
	struct strmap_slot *s;
	uint64_t n = sv->c.nums[r->pi].exported;
	size_t i = 0;

	if (r->cleared) {
		n = 0;
		while ((s = strmap_next(&r->sent, &i)) != NULL)
			if (s->val != NULL)
				n++;
		return n;
	}
	n += r->nadd;
	return n > r->ndel ? n - r->ndel : 0;
}

/*
 * After the reply went out: the numbers, the shadow and the parked users,
 * in one commit.
 */
static int
commit(struct server *sv, struct rq *q, struct gw_err *err)
{
	struct pcm_nums n = sv->c.nums[q->reply.pi];
	struct gw_txn *txn;
	char when[32];

	n.reqsync = q->reqsync;
	n.last_cycle = sv->c.cycleno + 1;
	if (!q->err138) {
		n.srvsync = q->reply.new_s;
		if (q->i > n.impsync)
			n.impsync = q->i;
		if (q->reply.full)
			n.export_all = 0;
		n.exported = held_after(sv, q);
	}
	gw_time_format(time(NULL), when, sizeof(when));
	if (state_begin(sv->c.cy->state, 1, &txn, err) == -1)
		return -1;
	if (pcm_nums_put(txn, sv->c.pc->name, q->reply.peer, &n, err) == -1 ||
	    pcm_wmark_str(txn, sv->c.pc->name, q->reply.peer, "last_update",
	    when, err) == -1 ||
	    pcm_import_park_commit(q->im, txn, err) == -1 ||
	    (!q->err138 && (pcm_sent_commit(txn, sv->c.pc->name, &q->reply,
	    err) == -1 || pcm_names_commit(&sv->c, txn, err) == -1))) {
		state_abort(txn);
		return -1;
	}
	if (state_commit(txn, err) == -1)
		return -1;
	sv->c.nums[q->reply.pi] = n;
	return 0;
}

/*
 * The Maildir file name of the reply to requestor pi: the same for every
 * cycle that starts from the same stored numbers.  A cycle killed after
 * sending a reply and before moving the numbers answers again from the
 * same numbers and shadow, and that reply, the same changes or more,
 * replaces the first in the requestor's Maildir if it has not read it:
 * the requestor gets one, not two that repeat each other's modifies and
 * deletes.  Once the numbers have moved, a reply has another name.
 */
static void
reply_name(struct server *sv, size_t pi, char *name, size_t len)
{
	const struct pcm_nums *n = &sv->c.nums[pi];
	unsigned char h[GW_HASH_LEN];
	char num[6][24], hex[33];
	const char *f[8];
	const char *first = NULL;
	size_t i;

	snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)n->reqsync);
	snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)n->srvsync);
	snprintf(num[2], sizeof(num[2]), "%llu", (unsigned long long)n->impsync);
	snprintf(num[3], sizeof(num[3]), "%llu",
	    (unsigned long long)n->last_cycle);
	snprintf(num[4], sizeof(num[4]), "%llu",
	    (unsigned long long)n->export_all);
	snprintf(num[5], sizeof(num[5]), "%llu",
	    (unsigned long long)sv->c.cycleno);
	f[0] = sv->c.pc->name;
	f[1] = sv->c.pc->peer[pi].id;
	for (i = 0; i < 6; i++)
		f[2 + i] = num[i];
	gw_hash_fields(f, 8, h);
	gw_uuid_hex(h, hex);
	/* Maildir names start with a time: that of the update answered */
	for (i = 0; i < sv->nmail && first == NULL; i++)
		if (sv->w[i].kind == MK_UPDATE && sv->w[i].pi == pi &&
		    (first = strchr(sv->w[i].m->id, '/')) != NULL &&
		    strspn(++first, "0123456789") == 0)
			first = NULL;
	if (first == NULL)
		first = "0";
	snprintf(name, len, "%.*s.R%s.galgate",
	    (int)strspn(first, "0123456789"), first, hex);
}

static int
answer(struct server *sv, size_t pi, struct gw_err *err)
{
	struct rq *q = &sv->rq[pi];
	struct pcm_peer *p = &sv->c.pc->peer[pi];
	struct gw_buf hdr, tx;
	char subject[200], text[300], name[128];
	size_t a, m, d, i;
	uint64_t head, floor;
	struct gw_txn *txn;
	struct gw_err scratch;
	int rc = -1;

	reply_name(sv, pi, name, sizeof(name));
	gw_buf_init(&hdr, GW_MAIL_MAX);
	gw_buf_init(&tx, GW_MAIL_MAX);
	pcm_import_counts(q->im, &a, &m, &d);
	if (q->err138) {
		head = floor = 0;
		if (state_begin(sv->c.cy->state, 0, &txn, err) == -1)
			goto out;
		/* only for the text: a failure leaves the numbers at 0 */
		gw_err_init(&scratch);
		(void)journal_head(txn, &head, &floor, &scratch);
		state_abort(txn);
		if (q->s > head)
			snprintf(text, sizeof(text), "Server sync does not "
			    "exist anymore: S=%llu is ahead of the journal "
			    "(head %llu); import required",
			    (unsigned long long)q->s, (unsigned long long)head);
		else
			snprintf(text, sizeof(text), "Server sync does not "
			    "exist anymore: S=%llu, the journal holds only the "
			    "changes after %llu; import required",
			    (unsigned long long)q->s, (unsigned long long)floor);
		event(sv, EV_PCM_ERR138, GW_SEV_ERROR, "requestor %s: error 138 "
		    "%s", p->id, text);
		if (send_error(sv, p, 138, text, name, err) == -1)
			goto out;
		snprintf(subject, sizeof(subject), "SrvTx ERROR 138");
	} else {
		if (reply_body(sv, q, &hdr, &tx, err) == -1)
			goto out;
		subject_of(q, subject, sizeof(subject));
		event(sv, EV_PCM_REPLY, GW_SEV_INFO, "reply to %s: %s reply, "
		    "%zu added, %zu modified, %zu deleted, %zu transactions",
		    p->id, q->reply.full ? "full" : "delta", q->reply.nadd,
		    q->reply.nmod, q->reply.ndel, q->reply.nout);
		if (send_message(sv, p, subject, hdr.buf, hdr.len,
		    q->attach ? tx.buf : NULL, tx.len, name, err) == -1)
			goto out;
	}
	GW_FAILPOINT("pcmail-after-send");
	if (commit(sv, q, err) == -1)
		goto out;
	GW_FAILPOINT("pcmail-committed");
	say(sv, "%s: %zu transactions (%zu already applied): %zu added, %zu "
	    "modified, %zu deleted; sent %s", p->id, q->ntxn, q->nskipped, a,
	    m, d, subject);
	for (i = 0; i < sv->nmail; i++)
		if (sv->w[i].kind == MK_UPDATE && sv->w[i].pi == pi &&
		    done(sv, &sv->w[i], err) == -1)
			goto out;
	rc = 0;
out:
	gw_buf_release(&hdr);
	gw_buf_release(&tx);
	return rc;
}

static int
record_status(struct server *sv, struct msgw *w, const char *key,
    const char *text, struct gw_err *err)
{
	struct gw_txn *txn;
	char when[32], v[300];

	gw_time_format(time(NULL), when, sizeof(when));
	snprintf(v, sizeof(v), "%s %s", when, text);
	if (state_begin(sv->c.cy->state, 1, &txn, err) == -1)
		return -1;
	if (pcm_wmark_str(txn, sv->c.pc->name, w->peer, key, v, err) == -1) {
		state_abort(txn);
		return -1;
	}
	return state_commit(txn, err);
}

static void
print_dry_run(struct server *sv)
{
	struct gw_buf hdr, tx;
	struct gw_err err;
	char subject[200];
	size_t i;

	for (i = 0; i < sv->c.pc->npeer; i++) {
		struct rq *q = &sv->rq[i];

		if (!q->active)
			continue;
		fprintf(sv->c.cy->out, "# %s: LDAP changes for requestor %s\n",
		    sv->c.pc->name, sv->c.pc->peer[i].id);
		/* a dry run: the LDIF, nothing written */
		gw_err_init(&err);
		if (pcm_import_apply(q->im, &err) == -1)
			fprintf(sv->c.cy->out, "# %s\n", err.msg);
		if (q->err138) {
			fprintf(sv->c.cy->out, "# reply to %s: SrvTx ERROR 138 "
			    "(S=%llu is no longer in the journal)\n",
			    sv->c.pc->peer[i].id, (unsigned long long)q->s);
			continue;
		}
		gw_buf_init(&hdr, GW_MAIL_MAX);
		gw_buf_init(&tx, GW_MAIL_MAX);
		gw_err_init(&err);
		subject_of(q, subject, sizeof(subject));
		fprintf(sv->c.cy->out, "# reply to %s (before this cycle's "
		    "writes): %s\n", sv->c.pc->peer[i].id, subject);
		if (reply_body(sv, q, &hdr, &tx, &err) == 0) {
			fwrite(hdr.buf, 1, hdr.len, sv->c.cy->out);
			if (tx.len > 0)
				fwrite(tx.buf, 1, tx.len, sv->c.cy->out);
		}
		gw_buf_release(&hdr);
		gw_buf_release(&tx);
	}
	for (i = 0; i < sv->nmail; i++)
		if (sv->w[i].kind == MK_REFUSED)
			fprintf(sv->c.cy->out, "# reply to %s: SrvTx ERROR %d "
			    "%s\n", sv->w[i].peer->id, sv->w[i].error,
			    sv->w[i].text);
}

/* The replies again after this cycle's writes, which the journal has now. */
static int
replan_replies(struct server *sv, struct gw_err *err)
{
	struct journal_stats js;
	size_t i;

	if (journal_poll(sv->c.cy->conf, sv->c.cy->gal, sv->c.cy->state,
	    sv->c.cy->ev, &js, err) == -1)
		return -1;
	for (i = 0; i < sv->c.pc->npeer; i++) {
		struct rq *q = &sv->rq[i];

		if (!q->active || q->err138)
			continue;
		if (q->reply.full) {
			/* a full list says only how things are now */
			if (pcm_reply_replan(&sv->c, &q->reply, err) == -1)
				return -1;
		} else if (pcm_reply_extend(&sv->c, &q->reply, err) == -1)
			return -1;
	}
	return 0;
}

static int
write_all(struct server *sv, struct gw_err *err)
{
	struct gw_txn *txn;
	size_t i, a, m, d;
	uint64_t low;
	int any = 0;

	for (i = 0; i < sv->c.pc->npeer; i++) {
		struct rq *q = &sv->rq[i];

		if (!q->active)
			continue;
		if (pcm_import_apply(q->im, err) == -1)
			return -1;
		pcm_import_counts(q->im, &a, &m, &d);
		if (a + m + d > 0)
			any = 1;
		event(sv, EV_PCM_APPLIED, GW_SEV_INFO, "requestor %s: %zu "
		    "transactions, %zu already applied: %zu added, %zu "
		    "modified, %zu deleted", sv->c.pc->peer[i].id, q->ntxn,
		    q->nskipped, a, m, d);
	}
	GW_FAILPOINT("pcmail-applied");
	/*
	 * The replies carry what the requestors just sent; when nothing was
	 * written the replies planned stand (the journal head is theirs).
	 */
	if (any && replan_replies(sv, err) == -1)
		return -1;
	for (i = 0; i < sv->c.pc->npeer; i++)
		if (sv->rq[i].active && answer(sv, i, err) == -1)
			return -1;
	for (i = 0; i < sv->nmail; i++) {
		struct msgw *w = &sv->w[i];

		if (w->kind == MK_REFUSED) {
			if (send_error(sv, w->peer, w->error, w->text, NULL,
			    err) == -1 || record_status(sv, w, "last_refused",
			    w->text, err) == -1)
				return -1;
		} else if (w->kind == MK_STATUS) {
			if (record_status(sv, w, "status_report", w->text,
			    err) == -1)
				return -1;
		} else if (w->kind == MK_UPDATE)
			continue;	/* done with its reply */
		if (done(sv, w, err) == -1)
			return -1;
	}
	if (pcm_nums_load(&sv->c, err) == -1 ||
	    state_begin(sv->c.cy->state, 1, &txn, err) == -1)
		return -1;
	/* the journal position every requestor has been sent: status's lag */
	for (i = 0, low = UINT64_MAX; i < sv->c.pc->npeer; i++)
		if (sv->c.nums[i].srvsync < low)
			low = sv->c.nums[i].srvsync;
	if (wmark_put_u64(txn, sv->c.pc->name, "cycle", sv->c.cycleno + 1,
	    err) == -1 || wmark_put_u64(txn, sv->c.pc->name, "journal_usn",
	    low == UINT64_MAX ? 0 : low, err) == -1) {
		state_abort(txn);
		return -1;
	}
	if (state_commit(txn, err) == -1)
		return -1;
	return mailbox_purge(sv->mb, err);
}

static void
server_release(struct server *sv)
{
	size_t i;

	for (i = 0; sv->w != NULL && i < sv->nmail; i++) {
		pcm_header_release(&sv->w[i].h);
		pcm_batch_release(&sv->w[i].batch);
	}
	free(sv->w);
	for (i = 0; sv->rq != NULL && i < sv->c.pc->npeer; i++) {
		if (!sv->rq[i].active)
			continue;
		pcm_import_free(sv->rq[i].im);
		pcm_reply_release(&sv->rq[i].reply);
	}
	free(sv->rq);
	for (i = 0; sv->secret != NULL && i < sv->c.pc->npeer; i++) {
		if (sv->secret[i] != NULL)
			memset(sv->secret[i], 0, strlen(sv->secret[i]));
		free(sv->secret[i]);
	}
	free(sv->secret);
	gw_mails_free(sv->mail, sv->nmail);
	mailbox_close(sv->mb);
	pcm_cycle_close(&sv->c);
}

int
pcm_server_cycle(struct gw_connector *con, struct gw_cycle *cy,
    struct gw_err *err)
{
	struct server sv;
	size_t i;
	int rc = -1;

	memset(&sv, 0, sizeof(sv));
	if (pcm_cycle_open(&sv.c, con, cy, err) == -1)
		goto out;
	snprintf(sv.from, sizeof(sv.from), "%s/%s/$SYSTEM <%s>", sv.c.pc->net,
	    sv.c.pc->po, sv.c.pc->address);
	sv.rq = gw_calloc(sv.c.pc->npeer + 1, sizeof(*sv.rq));
	sv.secret = gw_calloc(sv.c.pc->npeer + 1, sizeof(*sv.secret));
	if (mailbox_open(con->sec, &sv.mb, err) == -1 ||
	    mailbox_fetch(sv.mb, &sv.mail, &sv.nmail, err) == -1)
		goto out;
	sv.w = gw_calloc(sv.nmail + 1, sizeof(*sv.w));
	for (i = 0; i < sv.nmail; i++) {
		struct msgw *w = &sv.w[i];

		w->m = &sv.mail[i];
		pcm_batch_init(&w->batch);
		snprintf(w->src, sizeof(w->src), "message %s", w->m->id);
		classify(&sv, w, err);
		if (err->set)
			goto out;
		report_message(&sv, w);
	}
	if (plan(&sv, err) == -1)
		goto out;
	if (cy->dry_run) {
		print_dry_run(&sv);
		rc = 0;
		goto out;
	}
	GW_FAILPOINT("pcmail-planned");
	rc = write_all(&sv, err);
out:
	server_release(&sv);
	return rc;
}
