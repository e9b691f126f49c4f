/*
 * pcmail-srvtx: times SrvTx generation alone, in one process: planning
 * the reply to a requestor from its S (the journal after S, the entries
 * read, what it holds compared) and writing the transaction lines.  Run
 * against a galgate state and GAL that bench/pcmail-bench.sh prepared.
 *
 *   pcmail-srvtx CONF CONNECTOR NET/PO S ROUNDS
 *
 * Prints "<transactions> <median us> <fastest us>".  Nothing is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pcmail.h"
#include "run.h"

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct cli cli = { NULL, 1 };
	struct gw_connector con;
	struct pcm_cycle c;
	struct pcm_reply r;
	struct gw_cycle cy;
	struct gw_err err;
	struct gw_buf text;
	struct run run;
	struct pcm_peer *p = NULL;
	long long *t;
	size_t i, k, n = 0;
	int rounds;

	if (argc != 6) {
		fprintf(stderr, "usage: pcmail-srvtx CONF CONNECTOR NET/PO S "
		    "ROUNDS\n");
		return 2;
	}
	cli.conf_path = argv[1];
	rounds = atoi(argv[5]);
	gw_err_init(&err);
	if (run_open(&cli, &run, RUN_GAL, &err) == -1 ||
	    connector_configure(&con, run.conf, argv[2], &err) == -1)
		goto fail;
	memset(&cy, 0, sizeof(cy));
	cy.conf = run.conf;
	cy.gal = run.gal;
	cy.state = run.state;
	cy.ev = &run.ev;
	cy.dry_run = 1;
	cy.out = stdout;
	if (pcm_cycle_open(&c, &con, &cy, &err) == -1)
		goto fail;
	for (i = 0; i < c.pc->npeer; i++)
		if (strcmp(c.pc->peer[i].id, argv[3]) == 0)
			p = &c.pc->peer[i];
	if (p == NULL || rounds < 1) {
		fprintf(stderr, "no requestor %s\n", argv[3]);
		return 2;
	}
	t = calloc((size_t)rounds, sizeof(*t));
	for (k = 0; k < (size_t)rounds; k++) {
		long long t0 = now_us();

		pcm_reply_init(&r, p, (size_t)(p - c.pc->peer));
		r.types = calloc(p->ntypes, sizeof(*r.types));
		for (i = 0; i < p->ntypes; i++)
			r.types[r.ntypes++] = strdup(p->types[i]);
		r.templates = p->templates;
		r.from_s = strtoull(argv[4], NULL, 10);
		gw_buf_init(&text, 0);
		if (pcm_reply_plan(&c, &r, &err) != 0 ||
		    pcm_reply_text(&c, &r, &text, &err) == -1)
			goto fail;
		t[k] = now_us() - t0;
		n = r.nout;
		gw_buf_release(&text);
		pcm_reply_release(&r);
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp);
	printf("%zu %lld %lld\n", n, t[rounds / 2], t[0]);
	free(t);
	pcm_cycle_close(&c);
	connector_release(&con);
	run_close(&run);
	return 0;
fail:
	fprintf(stderr, "pcmail-srvtx: %s\n", err.msg);
	return 1;
}
