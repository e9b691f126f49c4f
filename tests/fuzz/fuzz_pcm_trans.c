/*
 * MS Mail dir-sync transaction lines (FORMATS.md section 2, "Transaction
 * lines"), read as UTF-8, CP850 and CP932 in turn.
 *
 * Properties: every transaction the reader keeps has a valid address and
 * a line within the text; written back by pcm_write_txn (in the same code
 * page) and read again it is the same transaction.  The writer makes
 * control characters blanks, so a tab read inside a template line comes
 * back as a space; a modify without its second line comes back with the
 * second line spelled out.
 */
#include <string.h>

#include "fuzz.h"
#include "pcm_trans.h"

static struct gw_codepage cp850, cp932;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct gw_err err;

	(void)argc;
	(void)argv;
	gw_err_init(&err);
	if (gw_cp_open(&cp850, "CP850", &err) == -1 ||
	    gw_cp_open(&cp932, "CP932", &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	return 0;
}

/* a and b equal once tabs are read as the blanks the writer makes them */
static int
same_blanks(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (*a != *b && !(*a == '\t' && *b == ' '))
			return 0;
	return *a == *b;
}

static void
same_txn(const struct pcm_txn *a, const struct pcm_txn *b)
{
	size_t i;

	FUZZ_CHECK(a->code == b->code && a->numbered == b->numbered &&
	    a->seq == b->seq, "%c %d %llu became %c %d %llu", a->code,
	    a->numbered, (unsigned long long)a->seq, b->code, b->numbered,
	    (unsigned long long)b->seq);
	FUZZ_CHECK(fuzz_same(a->name, b->name), "name '%s' became '%s'",
	    a->name, b->name);
	FUZZ_CHECK(fuzz_same(a->addr, b->addr), "address '%s' became '%s'",
	    a->addr, b->addr);
	FUZZ_CHECK(fuzz_same(a->new_name != NULL ? a->new_name : a->name,
	    b->new_name != NULL ? b->new_name : b->name), "new name '%s' "
	    "became '%s'", a->new_name, b->new_name);
	FUZZ_CHECK(fuzz_same(a->new_addr != NULL ? a->new_addr : a->addr,
	    b->new_addr != NULL ? b->new_addr : b->addr), "new address '%s' "
	    "became '%s'", a->new_addr, b->new_addr);
	FUZZ_CHECK(a->ntpl == b->ntpl, "%zu template lines became %zu",
	    a->ntpl, b->ntpl);
	for (i = 0; i < a->ntpl; i++)
		FUZZ_CHECK(same_blanks(a->tpl[i].prompt, b->tpl[i].prompt) &&
		    same_blanks(a->tpl[i].value, b->tpl[i].value),
		    "'%s/%s' became '%s/%s'", a->tpl[i].prompt,
		    a->tpl[i].value, b->tpl[i].prompt, b->tpl[i].value);
}

static void
round_trip(const struct pcm_txn *t, struct gw_codepage *cp)
{
	struct gw_buf out;
	struct pcm_batch b;
	struct gw_err err;
	size_t replaced = 0, i;

	gw_buf_init(&out, 0);
	if (pcm_write_txn(&out, t, cp, &replaced) == -1 || replaced > 0)
		goto done;
	pcm_batch_init(&b);
	gw_err_init(&err);
	FUZZ_CHECK(pcm_parse(out.buf, out.len, cp, 1, &b, &err) == 0, "%s",
	    err.msg);
	for (i = 0; i < b.nbad; i++)
		fprintf(stderr, "line %ld: %s\n", b.bad[i].line, b.bad[i].why);
	FUZZ_CHECK(b.nbad == 0 && b.n == 1, "written transaction read back "
	    "as %zu, %zu bad:\n%s", b.n, b.nbad, out.buf);
	same_txn(t, &b.txn[0]);
	pcm_batch_release(&b);
done:
	gw_buf_release(&out);
}

static void
parse(const uint8_t *data, size_t size, struct gw_codepage *cp,
    long nlines)
{
	struct pcm_batch b;
	struct gw_err err;
	const char *why;
	size_t i;

	pcm_batch_init(&b);
	gw_err_init(&err);
	if (pcm_parse((const char *)data, size, cp, 1, &b, &err) == -1) {
		pcm_batch_release(&b);
		return;
	}
	for (i = 0; i < b.nbad; i++)
		FUZZ_CHECK(b.bad[i].line >= 1 && b.bad[i].line <= nlines &&
		    b.bad[i].why != NULL, "bad line %ld of %ld",
		    b.bad[i].line, nlines);
	for (i = 0; i < b.n; i++) {
		const struct pcm_txn *t = &b.txn[i];

		FUZZ_CHECK(strchr("ADMR", t->code) != NULL && t->code != '\0',
		    "code %c", t->code);
		FUZZ_CHECK(t->line >= 1 && t->line <= nlines, "line %ld of %ld",
		    t->line, nlines);
		FUZZ_CHECK(t->addr != NULL, "no address");
		if (t->code != 'R') {
			FUZZ_CHECK(t->name != NULL && t->name[0] != '\0',
			    "no name");
			FUZZ_CHECK((why = pcm_check_addr(t->addr)) == NULL,
			    "address '%s' kept: %s", t->addr, why);
		}
		if (t->new_addr != NULL)
			FUZZ_CHECK((why = pcm_check_addr(t->new_addr)) == NULL,
			    "new address '%s' kept: %s", t->new_addr, why);
		round_trip(t, cp);
	}
	pcm_batch_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long nlines = 1;
	size_t i;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			nlines++;
	parse(data, size, NULL, nlines);
	parse(data, size, &cp850, nlines);
	parse(data, size, &cp932, nlines);
	return 0;
}
