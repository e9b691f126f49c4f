/*
 * Dir-sync transaction lines: hand-written golden files parse to the
 * records written out here, malformed lines are named with their line
 * and reason, and the writer reproduces FORMATS.md's example byte for
 * byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "pcm_msg.h"
#include "pcm_trans.h"

static struct gw_codepage cp;

static void
setup(void)
{
	struct gw_err err;

	gw_err_init(&err);
	cr_assert_eq(gw_cp_open(&cp, "CP850", &err), 0, "%s", err.msg);
}

static void
teardown(void)
{
	gw_cp_close(&cp);
}

static char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), GALGATE_SOURCE_DIR "/tests/data/pcmail/%s",
	    name);
	fp = fopen(path, "rb");
	cr_assert_not_null(fp, "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* One expected transaction; tpl is "Prompt:=value|Prompt:=value". */
struct want {
	char		 code;
	int		 numbered;
	unsigned long long seq;
	const char	*name, *addr, *new_name, *new_addr, *tpl;
	long		 line;
};

static void
check(const struct pcm_batch *b, const struct want *w, size_t n)
{
	char tpl[512];
	size_t i, k;

	cr_assert_eq(b->n, n, "%zu transactions, expected %zu", b->n, n);
	for (i = 0; i < n; i++) {
		const struct pcm_txn *t = &b->txn[i];

		cr_assert_eq(t->code, w[i].code, "#%zu: code %c", i, t->code);
		cr_assert_eq(t->numbered, w[i].numbered, "#%zu numbered", i);
		cr_assert_eq(t->seq, w[i].seq, "#%zu seq %llu", i,
		    (unsigned long long)t->seq);
		cr_assert_eq(t->line, w[i].line, "#%zu: line %ld", i, t->line);
		if (w[i].name == NULL)
			cr_assert_null(t->name, "#%zu", i);
		else
			cr_assert_str_eq(t->name, w[i].name, "#%zu", i);
		cr_assert_str_eq(t->addr, w[i].addr, "#%zu", i);
		if (w[i].new_name == NULL)
			cr_assert_null(t->new_name, "#%zu: '%s'", i,
			    t->new_name);
		else
			cr_assert_str_eq(t->new_name, w[i].new_name, "#%zu", i);
		if (w[i].new_addr == NULL)
			cr_assert_null(t->new_addr, "#%zu", i);
		else
			cr_assert_str_eq(t->new_addr, w[i].new_addr, "#%zu", i);
		tpl[0] = '\0';
		for (k = 0; k < t->ntpl; k++)
			snprintf(tpl + strlen(tpl), sizeof(tpl) - strlen(tpl),
			    "%s%s=%s", k > 0 ? "|" : "", t->tpl[k].prompt,
			    t->tpl[k].value);
		cr_assert_str_eq(tpl, w[i].tpl != NULL ? w[i].tpl : "",
		    "#%zu", i);
	}
}

static const struct want formats_example[] = {
	{ 'A', 1, 1204, "Smith, Jimmy", "PCM:CONTOSO/SEAPO1/JSMITH", NULL, NULL,
	    "Department:=Sales|Phone:=(425) 936-1111", 12 },
	{ 'M', 1, 1205, "Jones, Ann", "PCM:CONTOSO/SEAPO1/AJONES",
	    "Jones-Baker, Ann", "PCM:CONTOSO/SEAPO1/AJONES", NULL, 15 },
	{ 'D', 1, 1206, "Old Account", "PCM:CONTOSO/SEAPO1/OLDACCT", NULL, NULL,
	    NULL, 17 },
	{ 'A', 1, 1207, "Help Desk", "SMTP:helpdesk@contoso.com", NULL, NULL,
	    NULL, 18 },
};

Test(pcm_trans, formats_example_body, .init = setup, .fini = teardown)
{
	struct pcm_header h;
	struct pcm_batch b;
	struct gw_err err;
	char why[256];
	size_t len;
	char *text = slurp("formats-example.body", &len);

	cr_assert_eq(pcm_header_parse(text, len, &cp, &h, why, sizeof(why)), 0,
	    "%s", why);
	cr_assert_eq(h.task, PCM_TASK_UPDATE);
	cr_assert_str_eq(h.reqname, "PCM:CONTOSO/SEAPO1");
	cr_assert_str_eq(h.net, "CONTOSO");
	cr_assert_str_eq(h.po, "SEAPO1");
	cr_assert_str_eq(h.password, "secret");
	cr_assert_eq(h.ntypes, 2);
	cr_assert_str_eq(h.types[0], "PCM");
	cr_assert_str_eq(h.types[1], "SMTP");
	cr_assert_eq(h.templates, 1);
	cr_assert(h.has_reqseq && h.reqseq == 1207);
	cr_assert(h.has_srvseq && h.srvseq == 87302);
	cr_assert(h.has_impseq && h.impseq == 2);
	cr_assert_eq(h.attach, 0);
	cr_assert_eq(h.trans_line, 11);
	pcm_batch_init(&b);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(text + h.trans_off, len - h.trans_off, &cp,
	    h.trans_line + 1, &b, &err), 0);
	cr_assert_eq(b.nbad, 0, "line %ld: %s", b.nbad ? b.bad[0].line : 0,
	    b.nbad ? b.bad[0].why : "");
	check(&b, formats_example, 4);
	pcm_batch_release(&b);
	pcm_header_release(&h);
	free(text);
}

/* legacy-formats.md's proposal: the name field one column short. */
Test(pcm_trans, proposal_with_shifted_columns_and_eof_mark, .init = setup,
    .fini = teardown)
{
	static const struct want want[] = {
		{ 'A', 1, 1204, "Smith, Jimmy", "PCM:CONTOSO/SEAPO1/JSMITH",
		    NULL, NULL, "Department:=Sales|Phone:=(425) 936-1111", 11 },
		{ 'M', 1, 1205, "Jones, Ann", "PCM:CONTOSO/SEAPO1/AJONES",
		    "Jones-Baker, Ann", "PCM:CONTOSO/SEAPO1/AJONES", NULL, 14 },
		{ 'D', 1, 1206, "Old Account", "PCM:CONTOSO/SEAPO1/OLDACCT",
		    NULL, NULL, NULL, 16 },
		{ 'A', 1, 1207, "Help Desk", "SMTP:helpdesk@contoso.com", NULL,
		    NULL, NULL, 17 },
	};
	struct pcm_header h;
	struct pcm_batch b;
	struct gw_err err;
	char why[256];
	size_t len;
	char *text = slurp("legacy-proposal.body", &len);

	cr_assert_eq(pcm_header_parse(text, len, &cp, &h, why, sizeof(why)), 0,
	    "%s", why);
	cr_assert_null(h.password);
	pcm_batch_init(&b);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(text + h.trans_off, len - h.trans_off, &cp,
	    h.trans_line + 1, &b, &err), 0);
	cr_assert_eq(b.nbad, 0, "line %ld: %s", b.nbad ? b.bad[0].line : 0,
	    b.nbad ? b.bad[0].why : "");
	check(&b, want, 4);
	pcm_batch_release(&b);
	pcm_header_release(&h);
	free(text);
}

Test(pcm_trans, kb_examples, .init = setup, .fini = teardown)
{
	static const struct want want[] = {
		{ 'M', 0, 0, "George Jones", "PCM:ABC/TESTING/GJONES",
		    "George Jones", "PCM:ABC/TESTING/GJONES",
		    "Title:=Sales Rep|Local:=3423|Department:=Sales", 1 },
		{ 'M', 0, 0, "one2", "PCM:NET1/PO1/one2", "PO1 User 2",
		    "PCM:NET1/PO1/one2", NULL, 6 },
		{ 'D', 0, 0, "User1 alias", "PCM:NET1/PO1/USER1", NULL, NULL,
		    NULL, 8 },
		{ 'A', 0, 0, "Mike Sterns", "PROFS:PSSGATE/MSVM6/MSTERNS", NULL,
		    NULL, "Full Name:=Mike A. Sterns|Location:=New York, NY", 9 },
		{ 'R', 0, 0, NULL, "PCM:POLYNOMIAL/MONTGOMERY", NULL, NULL,
		    NULL, 16 },
		{ 'A', 0, 0, "able is he who knows his limit",
		    "PCM:POLYNOMIAL/MONTGOMERY/able", NULL, NULL, NULL, 17 },
		{ 'A', 0, 0, "apple", "PCM:POLYNOMIAL/MONTGOMERY/apple", NULL,
		    NULL, NULL, 18 },
		{ 'A', 1, 1200, "Martin, Robert", "PCM:net/po/rmartin", NULL,
		    NULL, NULL, 19 },
		{ 'R', 0, 0, NULL, "PCM:Exchnet/Exchpo", NULL, NULL, NULL, 20 },
		{ 'A', 0, 0, "Doe, John", "SNADS:NETWORK/POSTOFFICE/JOHND", NULL,
		    NULL, NULL, 22 },
		{ 'M', 0, 0, "Doe, John", "SNADS:NETWORK/POSTOFFICE/JOHND", NULL,
		    NULL, "ATTRIBUTE 1:=ATTRIBUTE DATA|"
		    "City/ST/Zip:=City, State, 12345", 23 },
		{ 'A', 0, 0, "Help Desk", "PCM:CONTOSO/SEAPO1/HELP", NULL, NULL,
		    NULL, 27 },
	};
	struct pcm_batch b;
	struct gw_err err;
	size_t len;
	char *text = slurp("kb-lines.txt", &len);

	pcm_batch_init(&b);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(text, len, &cp, 1, &b, &err), 0);
	cr_assert_eq(b.nbad, 0, "line %ld: %s", b.nbad ? b.bad[0].line : 0,
	    b.nbad ? b.bad[0].why : "");
	cr_assert_eq(b.ndefs, 1);
	check(&b, want, sizeof(want) / sizeof(want[0]));
	pcm_batch_release(&b);
	free(text);
}

Test(pcm_trans, malformed_lines_are_named_and_the_rest_parses,
    .init = setup, .fini = teardown)
{
	static const struct {
		long		 line;
		const char	*why;
	} bad[] = {
		{ 1, "unknown transaction code 'X'" },
		{ 2, "no address" },
		{ 3, "friendly name longer than 30 characters" },
		{ 6, "address element longer than 10 characters" },
		{ 7, "must be letters and digits" },
		{ 8, "not an SMTP address" },
		{ 9, "sequence number longer than 10 digits" },
		{ 11, "not allowed for SMTP addresses (MS Mail error 24)" },
		{ 13, "template line needs '- Prompt:/value'" },
		{ 14, "neither a template line nor the second line" },
		{ 15, "line longer than 1024 bytes" },
		{ 16, "binary data (byte 0x01 at column 6)" },
		{ 17, "R needs TYPE: or TYPE:NET/PO" },
		{ 19, "no address" },
	};
	static const struct want want[] = {
		{ 'A', 0, 0, "Good One", "PCM:NET/PO/GOOD", NULL, NULL, NULL, 5 },
		{ 'A', 0, 0, "Smtp Tpl", "SMTP:x@y.example", NULL, NULL, NULL,
		    10 },
		{ 'A', 0, 0, "Good Two", "PCM:NET/PO/GOOD2", NULL, NULL, NULL,
		    12 },
		{ 'D', 0, 0, "Good Three", "PCM:NET/PO/GOOD3", NULL, NULL, NULL,
		    20 },
	};
	struct pcm_batch b;
	struct gw_err err;
	size_t len, i;
	char *text = slurp("malformed.txt", &len);

	pcm_batch_init(&b);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(text, len, &cp, 1, &b, &err), 0);
	for (i = 0; i < b.nbad && i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(b.bad[i].line, bad[i].line, "bad #%zu at line "
		    "%ld (%s), expected line %ld", i, b.bad[i].line,
		    b.bad[i].why, bad[i].line);
		cr_assert(strstr(b.bad[i].why, bad[i].why) != NULL,
		    "line %ld: '%s' lacks '%s'", b.bad[i].line, b.bad[i].why,
		    bad[i].why);
	}
	cr_assert_eq(b.nbad, sizeof(bad) / sizeof(bad[0]), "%zu bad lines",
	    b.nbad);
	check(&b, want, sizeof(want) / sizeof(want[0]));
	pcm_batch_release(&b);
	free(text);
}

Test(pcm_trans, cp850_is_read_as_utf8, .init = setup, .fini = teardown)
{
	static const struct want want[] = {
		{ 'A', 1, 1, "M\xc3\xbcller, J\xc3\xbcrgen", "PCM:NET/PO/JMUELLER",
		    NULL, NULL, "Title:=Ing\xc3\xa9nieur \xc2\xa7 3", 1 },
	};
	struct pcm_batch b;
	struct gw_err err;
	size_t len;
	char *text = slurp("cp850.txt", &len);

	pcm_batch_init(&b);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(text, len, &cp, 1, &b, &err), 0);
	cr_assert_eq(b.nbad, 0, "%s", b.nbad ? b.bad[0].why : "");
	check(&b, want, 1);
	pcm_batch_release(&b);
	free(text);
}

/* The writer reproduces srvtx-golden.txt, whose first lines are FORMATS.md's. */
Test(pcm_trans, writer_matches_the_golden_file, .init = setup,
    .fini = teardown)
{
	struct pcm_tpl dept[] = { { (char *)"Department:", (char *)"Sales" },
	    { (char *)"Phone:", (char *)"(425) 936-1111" } };
	struct pcm_tpl city[] = { { (char *)"City/ST/Zip:",
	    (char *)"Seattle, WA 98052" } };
	struct pcm_txn t[] = {
		{ 'A', 1, 1204, (char *)"Smith, Jimmy",
		    (char *)"PCM:CONTOSO/SEAPO1/JSMITH", NULL, NULL, dept, 2, 0 },
		{ 'M', 1, 1205, (char *)"Jones, Ann",
		    (char *)"PCM:CONTOSO/SEAPO1/AJONES",
		    (char *)"Jones-Baker, Ann",
		    (char *)"PCM:CONTOSO/SEAPO1/AJONES", NULL, 0, 0 },
		{ 'D', 1, 1206, (char *)"Old Account",
		    (char *)"PCM:CONTOSO/SEAPO1/OLDACCT", NULL, NULL, NULL, 0, 0 },
		{ 'A', 1, 1207, (char *)"Help Desk",
		    (char *)"SMTP:helpdesk@contoso.com", NULL, NULL, NULL, 0, 0 },
		{ 'R', 1, 1208, NULL, (char *)"PCM:CONTOSO/GALGATE", NULL, NULL,
		    NULL, 0, 0 },
		{ 'A', 1, 1209, (char *)"M\xc3\xbcller, J\xc3\xbcrgen",
		    (char *)"PCM:CONTOSO/GALGATE/JMUELLER", NULL, NULL, city, 1,
		    0 },
		{ 'A', 0, 0, (char *)"Smith, Jimmy",
		    (char *)"PCM:CONTOSO/GALGATE/JSMITH", NULL, NULL, NULL, 0, 0 },
		{ 'M', 0, 0, (char *)"Smith, Jimmy",
		    (char *)"PCM:CONTOSO/GALGATE/JSMITH", (char *)"Smith, James",
		    (char *)"PCM:CONTOSO/GALGATE/JSMITH", NULL, 0, 0 },
		{ 'A', 0, 0, (char *)"able is he who knows his limit",
		    (char *)"PCM:POLYNOMIAL/MONTGOMERY/able", NULL, NULL, NULL, 0,
		    0 },
	};
	struct pcm_txn too_long = { 'A', 0, 0,
	    (char *)"A name of thirty-one characters",
	    (char *)"PCM:A/B/C", NULL, NULL, NULL, 0, 0 };
	struct gw_buf out;
	size_t i, len, rep = 0;
	char *want = slurp("srvtx-golden.txt", &len);
	struct pcm_batch back;
	struct gw_err err;

	gw_buf_init(&out, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_assert_eq(pcm_write_txn(&out, &t[i], &cp, &rep), 0, "#%zu", i);
	cr_assert_eq(rep, 0);
	cr_assert_eq(out.len, len, "%zu bytes, expected %zu:\n%s", out.len, len,
	    out.buf);
	cr_assert_eq(memcmp(out.buf, want, len), 0, "differs:\n%s", out.buf);
	/* and what it writes reads back the same */
	pcm_batch_init(&back);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(out.buf, out.len, &cp, 1, &back, &err), 0);
	cr_assert_eq(back.nbad, 0, "%s", back.nbad ? back.bad[0].why : "");
	cr_assert_eq(back.n, sizeof(t) / sizeof(t[0]));
	cr_assert_str_eq(back.txn[5].name, "M\xc3\xbcller, J\xc3\xbcrgen");
	cr_assert_str_eq(back.txn[5].tpl[0].prompt, "City/ST/Zip:");
	cr_assert_str_eq(back.txn[7].new_name, "Smith, James");
	pcm_batch_release(&back);
	/* a name the layout cannot hold is the caller's error */
	cr_assert_eq(pcm_write_txn(&out, &too_long, &cp, &rep), -1);
	gw_buf_release(&out);
	free(want);
}

Test(pcm_trans, names_are_cut_in_code_page_bytes, .init = setup,
    .fini = teardown)
{
	char *s;

	/* 31 characters, 32 UTF-8 bytes, 31 CP850 bytes */
	s = pcm_cp_cut(&cp, "\xc3\xa9" "123456789012345678901234567890", 30);
	cr_assert_str_eq(s, "\xc3\xa9" "12345678901234567890123456789");
	cr_assert_eq(pcm_cp_len(&cp, s), 30);
	free(s);
	s = pcm_cp_cut(NULL, "\xc3\xa9" "12345678901234567890123456789", 30);
	cr_assert_str_eq(s, "\xc3\xa9" "1234567890123456789012345678");
	free(s);
}

Test(pcm_trans, address_rules)
{
	cr_assert_null(pcm_check_addr("PCM:CONTOSO/SEAPO1/JSMITH"));
	cr_assert_null(pcm_check_addr("SMTP:a@b.example"));
	cr_assert_null(pcm_check_addr("X400:/c=US/admd=ATTMAIL/pn=Guy.Good"));
	cr_assert_null(pcm_check_addr("FAX:John~Seattle~Contoso~5551234"));
	cr_assert_not_null(pcm_check_addr("PCM:CONTOSO/SEAPO1"));
	cr_assert_not_null(pcm_check_addr("PCM:CONTOSO/SEAPO1/ELEVENCHARS"));
	cr_assert_not_null(pcm_check_addr("PCM:CON.TOSO/SEAPO1/X"));
	cr_assert_not_null(pcm_check_addr("ELEVENCHARS:x"));
	cr_assert_not_null(pcm_check_addr("SMTP:a b@c"));
	cr_assert_not_null(pcm_check_addr("nocolon"));
	/* found by fuzz_pcm_trans: the writer would send a blank instead */
	cr_assert_not_null(pcm_check_addr("X400:c=US;pn=John\tSmith"));
	cr_assert_not_null(pcm_check_addr("FAX:555\x7f"));
	/* the tab form took it, the columns could not have */
	cr_assert_not_null(pcm_check_addr("CM:     STERNS"));
}

/* The tab form splits at the first tab: a second one is in the address. */
Test(pcm_trans, a_tab_inside_an_address_is_refused, .init = setup,
    .fini = teardown)
{
	static const char text[] = "A Wong, Lee\tTMS:contoso\tTms:x\n"
	    "A Wong, Lee\tTMS:contoso Tms:x\n";
	struct pcm_batch b;
	struct gw_err err;

	pcm_batch_init(&b);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(text, sizeof(text) - 1, NULL, 1, &b, &err), 0);
	cr_assert_eq(b.nbad, 1);
	cr_assert_eq(b.bad[0].line, 1);
	cr_assert(strstr(b.bad[0].why, "control character") != NULL, "%s",
	    b.bad[0].why);
	cr_assert_eq(b.n, 1);
	cr_assert_str_eq(b.txn[0].addr, "TMS:contoso Tms:x");
	pcm_batch_release(&b);
}

/*
 * MS: and CSI: are PCM: under other names (found by fuzz_pcm_trans): they
 * obey the NET/PO/MAILBOX rules before they are folded to PCM, and an
 * R line may name a postoffice with them.
 */
Test(pcm_trans, pcm_synonyms_follow_the_pcm_rules, .init = setup,
    .fini = teardown)
{
	static const char text[] =
	    "A Wong, Lee\tms:contoso/seapo2/lw\xffng\n"
	    "A Lee, Ann\tCSI:CONTOSO/SEAPO2/A.LEE\n"
	    "A Good, Guy\tMS:CONTOSO/SEAPO2/GGOOD\n"
	    "R MS:CONTOSO/SEAPO2\n"
	    "R CSI:CONTOSO\n";
	static const struct want want[] = {
		{ 'A', 0, 0, "Good, Guy", "PCM:CONTOSO/SEAPO2/GGOOD", NULL, NULL,
		    NULL, 3 },
		{ 'R', 0, 0, NULL, "PCM:CONTOSO/SEAPO2", NULL, NULL, NULL, 4 },
	};
	struct pcm_batch b;
	struct gw_err err;

	cr_assert_not_null(pcm_check_addr("MS:CONTOSO/SEAPO1/J.SMITH"));
	cr_assert_not_null(pcm_check_addr("csi:CONTOSO/SEAPO1"));
	cr_assert_null(pcm_check_addr("MS:CONTOSO/SEAPO1/JSMITH"));
	pcm_batch_init(&b);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(text, sizeof(text) - 1, &cp, 1, &b, &err), 0);
	cr_assert_eq(b.nbad, 3, "%zu bad lines", b.nbad);
	cr_assert_eq(b.bad[0].line, 1);
	cr_assert(strstr(b.bad[0].why, "letters and digits") != NULL, "%s",
	    b.bad[0].why);
	cr_assert_eq(b.bad[1].line, 2);
	cr_assert_eq(b.bad[2].line, 5);
	check(&b, want, sizeof(want) / sizeof(want[0]));
	pcm_batch_release(&b);
}

/*
 * A modify's second line may carry a name that starts with '-', a
 * template value may start with '/', a tab may pad a prompt (all found by
 * fuzz_pcm_trans): what the writer wrote reads back the same.
 */
Test(pcm_trans, dashes_and_slashes_survive_the_writer, .init = setup,
    .fini = teardown)
{
	static const struct want want[] = {
		{ 'M', 1, 7, "Help Desk", "PCM:NET/PO/HELP", "- Help Desk -",
		    "PCM:NET/PO/HELP", "Title:=Team|City/ST:=/Zip:/98052", 1 },
		{ 'M', 0, 0, "Doe, John", "PCM:NET/PO/JOHND", NULL, NULL,
		    "Phone:=555 PCM:X/Y/Z|Title:=Boss", 5 },
	};
	struct pcm_txn t;
	struct pcm_tpl tpl[2] = { { (char *)"Title:", (char *)"Team" },
	    { (char *)"City/ST:", (char *)"/Zip:/98052" } };
	struct pcm_batch b;
	struct gw_buf out;
	struct gw_err err;
	static const char more[] = "M Doe, John\tPCM:NET/PO/JOHND\n"
	    "  - Phone:/555 PCM:X/Y/Z\n"
	    "-\t Title:/Boss\n";

	memset(&t, 0, sizeof(t));
	t.code = 'M';
	t.numbered = 1;
	t.seq = 7;
	t.name = (char *)"Help Desk";
	t.addr = (char *)"PCM:NET/PO/HELP";
	t.new_name = (char *)"- Help Desk -";
	t.new_addr = (char *)"PCM:NET/PO/HELP";
	t.tpl = tpl;
	t.ntpl = 2;
	gw_buf_init(&out, 0);
	cr_assert_eq(pcm_write_txn(&out, &t, &cp, NULL), 0);
	gw_buf_add(&out, more, sizeof(more) - 1);
	pcm_batch_init(&b);
	gw_err_init(&err);
	cr_assert_eq(pcm_parse(out.buf, out.len, &cp, 1, &b, &err), 0);
	cr_assert_eq(b.nbad, 0, "%s", b.nbad ? b.bad[0].why : "");
	check(&b, want, sizeof(want) / sizeof(want[0]));
	pcm_batch_release(&b);
	gw_buf_release(&out);
}
