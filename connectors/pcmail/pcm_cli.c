/*
 * galgate pcmail apply NAME --requestor NET/PO [--dry-run]
 *                          [--allow-deletes N] FILE
 *   applies a file of transaction lines (a SRVTRANS or RESYNC text, as
 *   MS Mail's IMPORT -q does) to that requestor's import container.
 * galgate pcmail listq NAME [--requestor NET/PO]
 *   prints what the next reply to each requestor would carry, in the
 *   layout of MS Mail's LISTQ utility.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "connector.h"
#include "journal.h"
#include "mailbox.h"
#include "pcmail.h"
#include "run.h"
#include "state.h"

static int
read_file(const char *path, char **out, size_t *len, struct gw_err *err)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return gw_err_set(err, GW_EXIT_USAGE, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return gw_err_set(err, GW_EXIT_USAGE, "%s: not a regular file",
		    path);
	}
	if ((size_t)st.st_size > GW_MAIL_MAX) {
		close(fd);
		return gw_err_set(err, GW_EXIT_INPUT, "%s: larger than %zu "
		    "bytes", path, GW_MAIL_MAX);
	}
	buf = gw_malloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return 0;
}

static struct pcm_peer *
peer_arg(struct pcmail *pc, const char *arg)
{
	const char *slash = arg != NULL ? strchr(arg, '/') : NULL;
	char net[16], po[16];

	if (slash == NULL || (size_t)(slash - arg) >= sizeof(net) ||
	    strlen(slash + 1) >= sizeof(po))
		return NULL;
	memcpy(net, arg, (size_t)(slash - arg));
	net[slash - arg] = '\0';
	snprintf(po, sizeof(po), "%s", slash + 1);
	return pcm_peer_find(pc, net, po);
}

static int
configure(struct run *r, struct gw_connector *con, const char *name,
    struct gw_err *err)
{
	if (connector_configure(con, r->conf, name, err) == -1)
		return -1;
	if (strcmp(con->ops->type, "pcmail") != 0) {
		connector_release(con);
		return gw_err_set(err, GW_EXIT_USAGE, "connector %s is of type "
		    "%s, not pcmail", name, con->ops->type);
	}
	return 0;
}

/* What "pcmail apply" hands its stages, and what they report back. */
struct apply {
	const char	*file;
	struct pcm_peer	*peer;
	size_t		 nbad;		/* lines skipped */
};

/* The stages of "pcmail apply", inside a cycle like any other. */
static int
apply_stages(struct gw_connector *con, struct gw_cycle *cy, void *arg,
    struct gw_err *err)
{
	struct apply *ap = arg;
	struct pcm_cycle c;
	struct pcm_batch b;
	struct pcm_import *im = NULL;
	struct gw_txn *txn;
	size_t len = 0, i, skipped, a, m, d;
	char *text = NULL;
	int rc = -1;

	pcm_batch_init(&b);
	if (pcm_cycle_open(&c, con, cy, err) == -1) {
		pcm_cycle_close(&c);
		return -1;
	}
	if (read_file(ap->file, &text, &len, err) == -1 ||
	    pcm_parse(text, len, &c.cp, 1, &b, err) == -1)
		goto done;
	ap->nbad = b.nbad;
	for (i = 0; i < b.nbad; i++) {
		fprintf(stderr, "%s:%ld: %s; line skipped\n", ap->file,
		    b.bad[i].line, b.bad[i].why);
		if (!cy->dry_run)
			evlog_emit(cy->ev, EV_PCM_LINE_BAD, GW_SEV_WARNING,
			    con->name, NULL, "%s line %ld: %s; line skipped, "
			    "the rest applied", ap->file, b.bad[i].line,
			    b.bad[i].why);
	}
	im = pcm_import_new(&c, ap->peer);
	if (pcm_import_plan(im, &b, 0, 0, ap->file, &skipped, err) == -1 ||
	    pcm_import_unpark(im, err) == -1 ||
	    pcm_import_finish(im, err) == -1 ||
	    pcm_import_threshold(im, err) == -1)
		goto done;
	if (cy->dry_run) {
		fprintf(cy->out, "# %s: dry run, nothing written\n",
		    con->name);
		rc = pcm_import_apply(im, err);	/* prints the LDIF */
		goto done;
	}
	if (pcm_import_apply(im, err) == -1 ||
	    state_begin(cy->state, 1, &txn, err) == -1)
		goto done;
	if (pcm_import_park_commit(im, txn, err) == -1) {
		state_abort(txn);
		goto done;
	}
	if (state_commit(txn, err) == -1)
		goto done;
	pcm_import_counts(im, &a, &m, &d);
	evlog_emit(cy->ev, EV_PCM_APPLIED, GW_SEV_INFO, con->name, NULL,
	    "%s applied to requestor %s: %zu transactions, %zu added, %zu "
	    "modified, %zu deleted, %zu lines skipped", ap->file, ap->peer->id,
	    b.n, a, m, d, b.nbad);
	printf("%s: %s: %zu transactions: %zu added, %zu modified, %zu "
	    "deleted, %zu lines skipped, %zu errors\n", con->name,
	    ap->peer->id, b.n, a, m, d, b.nbad, cy->counts.errors);
	rc = 0;
done:
	pcm_import_free(im);
	pcm_batch_release(&b);
	free(text);
	pcm_cycle_close(&c);
	return rc;
}

static int
do_apply(struct cli *cli, const char *name, const char *req, const char *file,
    int dry, long allow)
{
	struct gw_connector con;
	struct apply ap;
	struct gw_cycle cy;
	struct gw_err err;
	struct run r;
	int rc = GW_EXIT_OK, configured = 0;

	gw_err_init(&err);
	memset(&ap, 0, sizeof(ap));
	ap.file = file;
	if (run_open(cli, &r, RUN_GAL, &err) == -1)
		return run_fail(&err);
	if (configure(&r, &con, name, &err) == -1)
		goto fail;
	configured = 1;
	if ((ap.peer = peer_arg(con.priv, req)) == NULL) {
		gw_err_set(&err, GW_EXIT_USAGE, "connector %s has no requestor "
		    "'%s'", name, req);
		goto fail;
	}
	run_cycle_init(&cy, &r);
	cy.dry_run = dry;
	cy.allow_deletes = allow;
	if (connector_cycle_with(&con, &cy, apply_stages, &ap, &err) == -1)
		goto fail;
	/* the rest went in; the exit status still says the file was bad */
	rc = ap.nbad > 0 ? GW_EXIT_INPUT : cy.counts.errors > 0 ?
	    GW_EXIT_RUNTIME : GW_EXIT_OK;
	goto out;
fail:
	rc = -1;
out:
	if (configured)
		connector_release(&con);
	run_close(&r);
	return rc == -1 ? run_fail(&err) : rc;
}

/* CRC-16/ARC of the transaction text: galgate's own, as LISTQ shows one. */
static unsigned
crc16(const char *s, size_t len)
{
	unsigned crc = 0;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= (unsigned char)s[i];
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
	}
	return crc & 0xffff;
}

static void
listq_out(const struct pcm_out *o)
{
	struct pcm_txn t = o->t;
	struct gw_buf b;
	char date[64];
	struct tm tm;
	const char *p, *nl;
	int first = 1;

	gw_buf_init(&b, 0);
	t.numbered = 0;
	if (pcm_write_txn(&b, &t, NULL, NULL) == -1 || b.buf == NULL) {
		gw_buf_release(&b);
		return;
	}
	gmtime_r(&o->time, &tm);
	strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Y", &tm);
	for (p = b.buf; *p != '\0'; p = nl + 1) {
		nl = strstr(p, "\r\n");
		if (nl == NULL)
			break;
		if (first)
			printf("%04X %s %06llu %.*s\n", crc16(b.buf, b.len),
			    date, (unsigned long long)o->t.seq, (int)(nl - p),
			    p);
		else
			printf("%37s%.*s\n", "", (int)(nl - p), p);
		first = 0;
		nl++;
	}
	gw_buf_release(&b);
}

/* What the next reply to requestor p (the i-th) would carry, as LISTQ. */
static int
listq_one(struct pcm_cycle *c, struct pcm_peer *p, size_t i,
    struct gw_err *err)
{
	const struct pcm_nums *n = &c->nums[i];
	struct pcm_reply rp;
	size_t k;
	int p138;

	pcm_reply_init(&rp, p, i);
	for (k = 0; k < p->ntypes; k++) {
		rp.types = gw_realloc(rp.types, (k + 1) * sizeof(*rp.types));
		rp.types[rp.ntypes++] = gw_strdup(p->types[k]);
	}
	rp.templates = p->templates;
	rp.from_s = n->srvsync;
	rp.full = n->srvsync == 0 || n->export_all != 0;
	printf("Requestor PCM:%s: ReqSync = %llu, SrvSync = %llu, ImpSync = "
	    "%llu, Last Cycle = %llu\n", p->id,
	    (unsigned long long)n->reqsync, (unsigned long long)n->srvsync,
	    (unsigned long long)n->impsync, (unsigned long long)n->last_cycle);
	if ((p138 = pcm_reply_plan(c, &rp, err)) == -1) {
		pcm_reply_release(&rp);
		return -1;
	}
	if (p138 == 1)
		printf("SrvSync %llu is no longer in the journal: its next "
		    "update gets error 138 and must import\n",
		    (unsigned long long)n->srvsync);
	else {
		printf("%s reply pending: %zu transactions\nCRC  Date "
		    "stamp               Sync#  Transaction\n", rp.full ?
		    "Full" : "Update", rp.nout);
		for (k = 0; k < rp.nout; k++)
			listq_out(&rp.out[k]);
	}
	printf("\n");
	pcm_reply_release(&rp);
	return 0;
}

static int
do_listq(struct cli *cli, const char *name, const char *req)
{
	struct journal_stats js;
	struct gw_connector con;
	struct pcm_cycle c;
	struct pcm_peer *only = NULL;
	struct gw_cycle cy;
	struct gw_err err;
	struct run r;
	size_t i;
	int rc = GW_EXIT_OK, configured = 0, opened = 0;

	gw_err_init(&err);
	if (run_open(cli, &r, RUN_GAL, &err) == -1)
		return run_fail(&err);
	if (journal_poll(r.conf, r.gal, r.state, &r.ev, &js, &err) == -1 ||
	    configure(&r, &con, name, &err) == -1)
		goto fail;
	configured = 1;
	if (req != NULL && (only = peer_arg(con.priv, req)) == NULL) {
		gw_err_set(&err, GW_EXIT_USAGE, "connector %s has no requestor "
		    "'%s'", name, req);
		goto fail;
	}
	run_cycle_init(&cy, &r);
	cy.dry_run = 1;		/* look, never write */
	if (pcm_cycle_open(&c, &con, &cy, &err) == -1)
		goto fail;
	opened = 1;
	for (i = 0; i < c.pc->npeer; i++) {
		struct pcm_peer *p = &c.pc->peer[i];

		if (only != NULL && only != p)
			continue;
		if (listq_one(&c, p, i, &err) == -1)
			goto fail;
	}
	goto out;
fail:
	rc = -1;
out:
	if (opened)
		pcm_cycle_close(&c);
	if (configured)
		connector_release(&con);
	run_close(&r);
	return rc == -1 ? run_fail(&err) : rc;
}

static int
cmd_pcmail(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "requestor", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "allow-deletes", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	const char *req = NULL, *errstr, *sub;
	long allow = 0;
	int ch, dry = 0;

	if (argc < 2)
		goto usage;
	sub = argv[1];
	argc--;
	argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "r:na:", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			req = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'a':
			allow = (long)gw_strtonum(optarg, 1, 100000000, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "galgate: --allow-deletes %s: "
				    "%s\n", optarg, errstr);
				return GW_EXIT_USAGE;
			}
			break;
		default:
			goto usage;
		}
	}
	if (strcmp(sub, "apply") == 0 && optind == argc - 2 && req != NULL)
		return do_apply(cli, argv[optind], req, argv[optind + 1], dry,
		    allow);
	if (strcmp(sub, "listq") == 0 && optind == argc - 1 && !dry &&
	    allow == 0)
		return do_listq(cli, argv[optind], req);
usage:
	fprintf(stderr, "usage: galgate pcmail apply NAME --requestor NET/PO "
	    "[--dry-run] [--allow-deletes N] FILE\n"
	    "       galgate pcmail listq NAME [--requestor NET/PO]\n");
	return GW_EXIT_USAGE;
}

const struct gw_command pcmail_command = {
	.name = "pcmail",
	.run = cmd_pcmail,
	.usage = "pcmail apply NAME --requestor NET/PO FILE | pcmail listq "
	    "NAME  MS Mail dir-sync tools",
};
