/* CCDIR-1: the reader and writer of the cc:Mail connector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "address.h"
#include "ccdir.h"
#include "ccmail.h"

static struct gw_codepage cp;
static char dir[64];

static void
setup(void)
{
	struct gw_err err;

	gw_err_init(&err);
	cr_assert_eq(gw_cp_open(&cp, "CP850", &err), 0, "%s", err.msg);
	strcpy(dir, "/tmp/gg-ccdir-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	gw_cp_close(&cp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

static const char *
put(const char *name, const char *bytes, size_t len)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	fwrite(bytes, 1, len, fp);
	fclose(fp);
	return path;
}

struct expect {
	const char	*name, *locn, *po, *fan, *comments;
};

Test(ccdir, formats_example_parses, .init = setup, .fini = teardown)
{
	static const struct expect want[] = {
		{ "EXSITE1", "P", NULL, NULL, "galgate gateway post office" },
		{ "Smith, Jimmy", "L", NULL, NULL,
		    "jsmith;43/3019;(425) 936-1111" },
		{ "Grewal, Jeff", "l", "HUBPO2", NULL, NULL },
		{ "Brady, Sally", "l", "EXSITE1",
		    "EX:/o=CONTOSO/ou=SITE1/cn=Recipients/cn=SBrady", NULL },
	};
	struct ccdir_reader r;
	struct gw_record rec;
	struct gw_err err;
	char bad[256];
	long line;
	size_t i;
	int rc;

	gw_err_init(&err);
	cr_assert_eq(ccdir_open(&r, GALGATE_SOURCE_DIR
	    "/tests/data/ccmail/formats-example.exp", "directory", &cp, &err),
	    0, "%s", err.msg);
	cr_assert_str_eq(r.postoffice, "HQPO");
	for (i = 0; i < 4; i++) {
		gw_record_init(&rec);
		rc = ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err);
		cr_assert_eq(rc, 1, "record %zu: %s", i, err.msg);
		cr_assert_str_eq(bad, "");
		cr_assert_str_eq(gw_record_get(&rec, "Name"), want[i].name);
		cr_assert_str_eq(gw_record_get(&rec, "Locn"), want[i].locn);
		if (want[i].po != NULL)
			cr_assert_str_eq(gw_record_get(&rec, "PO"), want[i].po);
		else
			cr_assert_null(gw_record_get(&rec, "PO"));
		if (want[i].fan != NULL)
			cr_assert_str_eq(gw_record_get(&rec, "FAN"),
			    want[i].fan);
		if (want[i].comments != NULL)
			cr_assert_str_eq(gw_record_get(&rec, "Comments"),
			    want[i].comments);
		gw_record_release(&rec);
	}
	cr_assert_eq(line, 18);	/* where the last record starts */
	gw_record_init(&rec);
	cr_assert_eq(ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err), 0);
	gw_record_release(&rec);
	ccdir_close(&r);
}

Test(ccdir, lf_base64_cp850_comments_and_dos_eof, .init = setup,
    .fini = teardown)
{
	/* "M\x81ller" is Müller in CP850; IFNwYWNl = " Space" */
	static const char file[] = "CCDIR: 1\nkind: directory\n"
	    "PostOffice: HQPO\n\n; a comment\nname: M\x81ller, J\x81rgen   \n"
	    "LOCN: l\nPO: HUBPO2\nComments: line one\nComments: line two\n\n\n"
	    "Name:: IFNwYWNlLCBMZWFk\nLocn: L\n\x1a";
	struct ccdir_reader r;
	struct gw_record rec;
	struct gw_err err;
	char bad[256];
	long line;

	gw_err_init(&err);
	cr_assert_eq(ccdir_open(&r, put("a.exp", file, sizeof(file) - 1),
	    "directory", &cp, &err), 0, "%s", err.msg);
	gw_record_init(&rec);
	cr_assert_eq(ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err), 1);
	cr_assert_eq(line, 6);
	cr_assert_str_eq(gw_record_get(&rec, "Name"),
	    "M\xc3\xbcller, J\xc3\xbcrgen");
	cr_assert_str_eq(gw_record_get(&rec, "Comments"),
	    "line one\nline two");
	gw_record_release(&rec);
	gw_record_init(&rec);
	cr_assert_eq(ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err), 1);
	cr_assert_str_eq(gw_record_get(&rec, "Name"), " Space, Lead");
	gw_record_release(&rec);
	gw_record_init(&rec);
	cr_assert_eq(ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err), 0,
	    "%s", err.msg);
	gw_record_release(&rec);
	ccdir_close(&r);
}

static void
expect_open_error(const char *bytes, size_t len, const char *kind,
    const char *msg)
{
	struct ccdir_reader r;
	struct gw_err err;

	gw_err_init(&err);
	cr_assert_eq(ccdir_open(&r, put("bad.exp", bytes, len), kind, &cp,
	    &err), -1, "accepted: %s", msg);
	cr_assert_eq(err.exit, GW_EXIT_INPUT);
	cr_assert(strstr(err.msg, msg) != NULL, "'%s' lacks '%s'", err.msg,
	    msg);
}

Test(ccdir, structural_errors_name_file_and_line, .init = setup,
    .fini = teardown)
{
	expect_open_error("", 0, "directory", "bad.exp: empty file");
	expect_open_error("; only a comment\r\n\r\n", 20, "directory",
	    "bad.exp:2: no CCDIR header");
	expect_open_error("CCDIR: 2\r\n", 10, "directory",
	    "bad.exp:1: not a CCDIR-1 file");
	expect_open_error("CCDIR: 1\r\nKind: lists\r\n", 23, "directory",
	    "bad.exp:2: header says Kind 'lists'");
	expect_open_error("CCDIR: 1\r\nPostOffice: X\r\n", 24, "directory",
	    "bad.exp:2: the header has no Kind");
	expect_open_error("CCDIR: 1\r\nKind: directory\r\nCodepage: CP437\r\n",
	    44, "directory", "bad.exp:3: header says Codepage 'CP437'");
	expect_open_error("\xef\xbb\xbf" "CCDIR: 1\r\n", 13, "directory",
	    "bad.exp:1: the file starts with a UTF-8 byte order mark");
	expect_open_error("CCDIR: 1\rKind: directory\r", 25, "directory",
	    "bad.exp:1: a carriage return inside the line (column 9)");
	expect_open_error("CCDIR: 1\r\nKi\0d: directory\r\n", 27, "directory",
	    "bad.exp:2: binary data");
}

Test(ccdir, bad_records_are_flagged_not_fatal, .init = setup,
    .fini = teardown)
{
	static const char file[] = "CCDIR: 1\r\nKind: directory\r\n\r\n"
	    "Name: A\r\nNoColonHere\r\n\r\nName: B\r\nName: C\r\n\r\n"
	    "Name:: !!!\r\n\r\nName: D\r\nLocn: L\r\n";
	struct ccdir_reader r;
	struct gw_record rec;
	struct gw_err err;
	char bad[256];
	long line;

	gw_err_init(&err);
	cr_assert_eq(ccdir_open(&r, put("b.exp", file, sizeof(file) - 1),
	    "directory", &cp, &err), 0, "%s", err.msg);
	gw_record_init(&rec);
	cr_assert_eq(ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err), 1);
	cr_assert_str_eq(bad, "expected 'Keyword: value'");
	cr_assert_eq(r.bad_line, 5);
	cr_assert_eq(line, 4);
	gw_record_release(&rec);
	gw_record_init(&rec);
	cr_assert_eq(ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err), 1);
	cr_assert_str_eq(bad, "'Name' given twice");
	cr_assert_eq(r.bad_line, 8);
	gw_record_release(&rec);
	gw_record_init(&rec);
	cr_assert_eq(ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err), 1);
	cr_assert_str_eq(bad, "Name: bad base64 value");
	cr_assert_eq(r.bad_line, 10);
	gw_record_release(&rec);
	gw_record_init(&rec);
	cr_assert_eq(ccdir_next(&r, &rec, &line, bad, sizeof(bad), &err), 1);
	cr_assert_str_eq(bad, "");
	cr_assert_str_eq(gw_record_get(&rec, "Name"), "D");
	gw_record_release(&rec);
	ccdir_close(&r);
}

Test(ccdir, writer_escapes_and_uses_crlf_and_cp850, .init = setup,
    .fini = teardown)
{
	struct ccdir_writer w;
	struct gw_record rec;

	ccdir_writer_init(&w, &cp);
	cr_assert_eq(ccdir_write_header(&w, "add", "EXSITE1", 0), 0);
	gw_record_init(&rec);
	gw_record_add_str(&rec, "Comments", "two\nlines");
	gw_record_add_str(&rec, "Name", " Lead, Space");
	gw_record_add_str(&rec, "Locn", "l");
	gw_record_add_str(&rec, "FAN", "EX:/o=A/cn=M\xc3\xbcller \xe2\x82\xac");
	cr_assert_eq(ccdir_write_record(&w, &rec), 0);
	gw_record_release(&rec);
	cr_assert_str_eq(w.out.buf, "CCDIR: 1\r\nKind: add\r\n"
	    "PostOffice: EXSITE1\r\nCodepage: CP850\r\n\r\n"
	    "Name:: IExlYWQsIFNwYWNl\r\nLocn: l\r\n"
	    "FAN: EX:/o=A/cn=M\x81ller ?\r\n"
	    "Comments: two\r\nComments: lines\r\n");
	/* the euro sign is not in CP850: replaced and counted */
	cr_assert_eq(w.replaced, 1);
	ccdir_writer_release(&w);
}

Test(names, alias_and_smtp)
{
	char *a, *s;

	a = gw_alias_base("M\xc3\xbcller, J\xc3\xbcrgen", "ccmail");
	cr_assert_str_eq(a, "MullerJurgen");
	free(a);
	s = gw_smtp_expand("%g.%s@ccmail.example.com", "J\xc3\xbcrgen",
	    "O'M\xc3\xbcller-Stra\xc3\x9f" "e", "", "x");
	cr_assert_str_eq(s, "jurgen.omuller-strasse@ccmail.example.com");
	free(s);
	s = gw_smtp_expand("%g.%s@x.example", "", "Desk", "", "x");
	cr_assert_str_eq(s, "desk@x.example");
	free(s);
	s = gw_smtp_expand("100%%.%a@x.example", "", "", "", "JS");
	cr_assert_str_eq(s, "100%.js@x.example");
	free(s);
	s = gw_smtp_number("jimmy.smith@x.example", 2);
	cr_assert_str_eq(s, "jimmy.smith2@x.example");
	free(s);
	cr_assert_null(gw_smtp_expand("%q@x", "", "", "", ""));
}
