/*
 * CCDIR-1 reader (FORMATS.md section 1): the header, every record, the
 * code-page conversion.  The kind and code page the reader is opened with
 * come from the input's own Kind: and Codepage: lines (CP850 and
 * "directory" when there are none), so the seeds stay real files.
 *
 * Property: a record read without complaint, written back by the CCDIR
 * writer and read again, is the same record, unless a value needed a
 * replacement character or the written lines outgrew what the reader
 * accepts (both reported by galgate, never silent).
 */
#include <string.h>

#include "ccdir.h"
#include "fuzz.h"

static const char *const cps[] = { "CP850", "CP437", "CP932" };
static struct gw_codepage cp[3];
static struct fuzz_file in, again;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct gw_err err;
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < 3; i++) {
		gw_err_init(&err);
		if (gw_cp_open(&cp[i], cps[i], &err) == -1) {
			fprintf(stderr, "%s\n", err.msg);
			abort();
		}
	}
	return 0;
}

/* The value of header keyword key in the first lines of data, or "". */
static void
header_value(const uint8_t *data, size_t size, const char *key, char *out,
    size_t outlen)
{
	size_t klen = strlen(key), i = 0, e, n;

	out[0] = '\0';
	if (size > 4096)
		size = 4096;
	while (i < size) {
		for (e = i; e < size && data[e] != '\n'; e++)
			;
		if (e - i > klen && gw_strncaseeq((const char *)data + i, key,
		    klen) && data[i + klen] == ':') {
			i += klen + 1;
			while (i < e && data[i] == ' ')
				i++;
			n = e - i;
			while (n > 0 && (data[i + n - 1] == '\r' ||
			    data[i + n - 1] == ' '))
				n--;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, data + i, n);
			out[n] = '\0';
			return;
		}
		i = e + 1;
	}
}

static void
same_record(const struct gw_record *a, const struct gw_record *b)
{
	size_t i, j;

	FUZZ_CHECK(a->n == b->n, "%zu attributes, %zu after a round trip",
	    a->n, b->n);
	for (i = 0; i < a->n; i++) {
		const struct gw_attr *x = &a->attr[i];
		const struct gw_attr *y = gw_record_attr(b, x->name);

		FUZZ_CHECK(y != NULL, "%s lost in a round trip", x->name);
		FUZZ_CHECK(x->n == y->n, "%s: %zu values, %zu after a round "
		    "trip", x->name, x->n, y->n);
		for (j = 0; j < x->n; j++)
			FUZZ_CHECK(x->val[j].len == y->val[j].len &&
			    memcmp(x->val[j].ptr, y->val[j].ptr,
			    x->val[j].len) == 0, "%s: '%s' became '%s'",
			    x->name, x->val[j].ptr, y->val[j].ptr);
	}
}

/* Writes rec with the CCDIR writer and reads it back. */
static void
round_trip(const struct gw_record *rec, const char *kind,
    struct gw_codepage *c)
{
	struct ccdir_writer w;
	struct ccdir_reader r;
	struct gw_record back;
	struct gw_err err;
	char bad[256];
	long line;
	int rc;

	ccdir_writer_init(&w, c);
	FUZZ_CHECK(ccdir_write_header(&w, kind, "FUZZPO", 0) == 0, "header");
	if (ccdir_write_record(&w, rec) == -1 || w.replaced > 0)
		goto done;
	gw_err_init(&err);
	rc = ccdir_open(&r, fuzz_file_put(&again, w.out.buf, w.out.len), kind,
	    c, &err);
	FUZZ_CHECK(rc == 0, "written header refused: %s", err.msg);
	gw_record_init(&back);
	rc = ccdir_next(&r, &back, &line, bad, sizeof(bad), &err);
	if (rc == -1)
		FUZZ_CHECK(strstr(err.msg, "longer than") != NULL,
		    "written record refused: %s", err.msg);
	else if (rc == 0)
		FUZZ_CHECK(rec->n == 0, "written record not read back");
	else {
		if (bad[0] == '\0')
			same_record(rec, &back);
		else
			FUZZ_CHECK(strncmp(bad, "more than", 9) == 0,
			    "written record is bad: %s", bad);
	}
	gw_record_release(&back);
	ccdir_close(&r);
done:
	ccdir_writer_release(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "directory", "lists", "bboards",
	    "delete", "add", NULL };
	struct ccdir_reader r;
	struct gw_record rec;
	struct gw_codepage *c = &cp[0];
	struct gw_err err;
	char kind[16], cpname[16], bad[256];
	const char *k = kinds[0];
	long line;
	size_t i;
	int rc;

	header_value(data, size, "Kind", kind, sizeof(kind));
	header_value(data, size, "Codepage", cpname, sizeof(cpname));
	for (i = 0; kinds[i] != NULL; i++)
		if (gw_strcaseeq(kind, kinds[i]))
			k = kinds[i];
	for (i = 0; i < 3; i++)
		if (gw_strcaseeq(cpname, cps[i]))
			c = &cp[i];
	gw_err_init(&err);
	if (ccdir_open(&r, fuzz_file_put(&in, data, size), k, c, &err) == -1) {
		FUZZ_CHECK(err.set && strstr(err.msg, in.path) == err.msg,
		    "error without the file name: %s", err.msg);
		return 0;
	}
	for (;;) {
		gw_record_init(&rec);
		rc = ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err);
		if (rc == 1) {
			FUZZ_CHECK(line > 0 && line <= r.line, "record line %ld "
			    "of %ld", line, r.line);
			if (bad[0] == '\0')
				round_trip(&rec, k, c);
		}
		gw_record_release(&rec);
		if (rc != 1)
			break;
	}
	if (rc == -1)
		FUZZ_CHECK(err.set && strstr(err.msg, in.path) == err.msg,
		    "error without the file name: %s", err.msg);
	ccdir_close(&r);
	return 0;
}
