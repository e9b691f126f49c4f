/*
 * A dir-sync message body (FORMATS.md section 2, "Messages"): the
 * [DIRSYNC] section, then the transactions that follow
 * [DIRSYNC-TRANSACTIONS], read as UTF-8 and as CP850, the way
 * pcm_server.c reads a requestor's part.
 *
 * Properties: the transactions start inside the body, after the line the
 * header parser names; no value the header keeps (some go back into the
 * subject and body of an error reply) holds a control character other
 * than a tab, so a body cannot add a header line to the reply.
 */
#include <string.h>

#include "fuzz.h"
#include "pcm_msg.h"
#include "pcm_trans.h"

static struct gw_codepage cp850;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct gw_err err;

	(void)argc;
	(void)argv;
	gw_err_init(&err);
	if (gw_cp_open(&cp850, "CP850", &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	return 0;
}

static void
no_controls(const char *what, const char *v)
{
	const unsigned char *p;

	if (v == NULL)
		return;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		FUZZ_CHECK((*p >= 0x20 || *p == '\t') && *p != 0x7f,
		    "%s holds byte 0x%02x", what, *p);
}

static void
body(const uint8_t *data, size_t size, struct gw_codepage *cp, long nlines)
{
	struct pcm_header h;
	struct pcm_batch b;
	struct gw_err err;
	char why[600];
	size_t i, off = 0;
	long line = 0;
	int rc;

	rc = pcm_header_parse((const char *)data, size, cp, &h, why,
	    sizeof(why));
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -1, "rc %d", rc);
	if (rc == -1)
		FUZZ_CHECK(strncmp(why, "line ", 5) == 0, "reason without a "
		    "line: %s", why);
	if (rc == 1)
		FUZZ_CHECK(!pcm_starts_with_tag((const char *)data, size,
		    "[DIRSYNC]", NULL, NULL), "[DIRSYNC] not seen");
	if (rc != 0)
		goto done;
	no_controls("TASK", h.task_raw);
	no_controls("REQNAME", h.reqname);
	no_controls("PASSWORD", h.password);
	for (i = 0; i < h.ntypes; i++)
		no_controls("TYPES", h.types[i]);
	FUZZ_CHECK(strlen(h.net) < sizeof(h.net) && strlen(h.po) <
	    sizeof(h.po), "NET/PO");
	if (h.trans_line > 0) {
		FUZZ_CHECK(h.trans_off <= size && h.trans_line <= nlines,
		    "transactions at byte %zu line %ld of %zu bytes %ld lines",
		    h.trans_off, h.trans_line, size, nlines);
		off = h.trans_off;
		line = h.trans_line + 1;
	} else if (pcm_starts_with_tag((const char *)data, size,
	    "[DIRSYNC-TRANSACTIONS]", &off, &line))
		line++;
	else
		goto done;
	pcm_batch_init(&b);
	gw_err_init(&err);
	if (pcm_parse((const char *)data + off, size - off, cp, line, &b,
	    &err) == 0) {
		for (i = 0; i < b.n; i++)
			FUZZ_CHECK(b.txn[i].line >= line && b.txn[i].line <=
			    nlines, "transaction at line %ld, outside %ld-%ld",
			    b.txn[i].line, line, nlines);
	}
	pcm_batch_release(&b);
done:
	pcm_header_release(&h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long nlines = 1;
	size_t i;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			nlines++;
	body(data, size, NULL, nlines);
	body(data, size, &cp850, nlines);
	return 0;
}
