/*
 * The cc:Mail bad-input corpus, tests/data/ccmail/bad/ (see badinput.h).
 *
 * Each case starts from the exports in bad/baseline/, synced once, then
 * NAME.Ccmdir.exp, NAME.Ccmlist.exp and NAME.Ccmbb.exp, where they exist,
 * replace the export files of the same name, and "galgate sync cc" runs.
 * Keys of this suite:
 *
 *   remove:   an export file taken away before the cycle
 *   imports:  "unchanged" (Ccmdel.imp and Ccmdir.imp are the baseline's
 *             files, not rewritten) or "rewritten"
 *   Ccmdel.imp, Ccmdir.imp: the Name: values the file holds, "; " between
 *             them, in file order ("none" for none)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "badinput.h"

#define CC_IMPORT	"cn=ccMail," BASE
/* Import files are reproducible with the time pinned. */
#define CC_ENV		"SOURCE_DATE_EPOCH=1795000000"

static const char *const bases[] = { CC_IMPORT, NULL };
static const char *const files[] = { "Ccmdir.exp", "Ccmlist.exp",
    "Ccmbb.exp", NULL };

static const char section[] =
    "[connector cc]\n"
    "type = ccmail\n"
    "export_dir = @CASE@/export\n"
    "import_dir = @CASE@/import\n"
    "post_office = EXSITE1\n"
    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "smtp_template = %g.%s@cc.example\n"
    "delete_threshold = 30%, 2\n";

static char *
conf_for(struct bi_case *c)
{
	const char *p;
	char *s = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&s, &len);

	cr_assert_not_null(fp);
	for (p = section; *p != '\0'; p++) {
		if (strncmp(p, "@CASE@", 6) == 0) {
			fputs(c->dir, fp);
			p += 5;
		} else
			fputc(*p, fp);
	}
	fclose(fp);
	return s;
}

struct imp {
	char	*text;
	ino_t	 ino;
};

static void
read_import(const struct bi_case *c, const char *file, struct imp *im)
{
	char path[512];
	struct stat st;
	struct out o;

	snprintf(path, sizeof(path), "%s/import/%s", c->dir, file);
	im->ino = stat(path, &st) == 0 ? st.st_ino : 0;
	o = run("cat '%s' 2>/dev/null", path);
	im->text = o.text;
}

/* The Name: values of an import file, "; " between them. */
static char *
names_of(const char *text)
{
	char *s = strdup(""), *n;
	const char *p = text, *e;

	while ((p = strstr(p, "\nName: ")) != NULL) {
		p += 7;
		e = p + strcspn(p, "\r\n");
		cr_assert(asprintf(&n, "%s%s%.*s", s, *s != '\0' ? "; " : "",
		    (int)(e - p), p) != -1);
		free(s);
		s = n;
	}
	if (*s == '\0') {
		free(s);
		s = strdup("none");
	}
	return s;
}

static void
run_case(struct bi_suite *s, struct bi_case *c)
{
	static const char *const imps[] = { "Ccmdel.imp", "Ccmdir.imp" };
	struct imp before[2], after[2];
	char src[512], dst[512], *conf;
	const char *v;
	struct out o;
	size_t i, k, given = 0;

	bi_prepare(s, c);
	conf = conf_for(c);
	free(bi_write_conf(s, c, conf));
	free(conf);
	cr_assert_eq(bi_mkdirs(c, "export", "import", NULL), 0);
	for (i = 0; files[i] != NULL; i++) {
		snprintf(src, sizeof(src), "%s/baseline/%s", BI_DIR("ccmail"),
		    files[i]);
		snprintf(dst, sizeof(dst), "%s/export/%s", c->dir, files[i]);
		cr_assert_eq(bi_copy(src, dst), 0, "%s", src);
	}
	o = bi_galgate(c, CC_ENV, "sync cc");
	if (o.status != 0) {
		bi_fail(c, "the baseline cycle failed (%d):\n%s", o.status,
		    o.text);
		out_free(&o);
		return;
	}
	out_free(&o);
	bi_mark(s, c);
	for (i = 0; i < 2; i++)
		read_import(c, imps[i], &before[i]);
	/* the case's files in place of the baseline's */
	for (i = 0; files[i] != NULL; i++) {
		snprintf(src, sizeof(src), "%s/%s.%s", BI_DIR("ccmail"),
		    c->name, files[i]);
		snprintf(dst, sizeof(dst), "%s/export/%s", c->dir, files[i]);
		if (bi_copy(src, dst) == 0)
			given++;
	}
	k = 0;
	while ((v = bi_next(c, "remove", &k)) != NULL) {
		snprintf(dst, sizeof(dst), "%s/export/%s", c->dir, v);
		cr_assert_eq(unlink(dst), 0, "%s", dst);
		given++;
	}
	if (given == 0)
		bi_fail(c, "no data: no %s.Ccm*.exp and no remove:", c->name);
	c->out = bi_galgate(c, CC_ENV, (v = bi_get(c, "args")) != NULL ? v :
	    "sync cc");
	for (i = 0; i < 2; i++)
		read_import(c, imps[i], &after[i]);
	if ((v = bi_get(c, "imports")) != NULL) {
		int same = before[0].ino == after[0].ino &&
		    before[1].ino == after[1].ino &&
		    strcmp(before[0].text, after[0].text) == 0 &&
		    strcmp(before[1].text, after[1].text) == 0;

		if (strcmp(v, "unchanged") == 0 && !same)
			bi_fail(c, "imports: the import files were rewritten");
		else if (strcmp(v, "rewritten") == 0 &&
		    before[0].ino == after[0].ino)
			bi_fail(c, "imports: the import files were not "
			    "rewritten");
		else if (strcmp(v, "unchanged") != 0 &&
		    strcmp(v, "rewritten") != 0)
			bi_fail(c, "imports: is unchanged or rewritten");
	}
	for (i = 0; i < 2; i++) {
		char *got = names_of(after[i].text);

		if ((v = bi_get(c, imps[i])) != NULL && strcmp(v, got) != 0)
			bi_fail(c, "%s: expected '%s', got '%s'", imps[i], v,
			    got);
		free(got);
		free(before[i].text);
		free(after[i].text);
	}
	bi_check(s, c);
}

static struct bi_suite s;

static void
teardown(void)
{
	bi_stop(&s);
}

Test(badinput_ccmail, corpus, .fini = teardown, .timeout = 300)
{
	struct bi_case c;
	char **names, *conf;
	struct out o;
	size_t n, i;

	bi_start(&s, "ccmail", bases);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "init");
	snprintf(c.dir, sizeof(c.dir), "%s/init", s.env.dir);
	conf = conf_for(&c);
	free(bi_write_conf(&s, &c, conf));
	free(conf);
	o = bi_galgate(&c, "", "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	/* a GAL recipient cc:Mail is offered every cycle */
	cr_assert_eq(ldap_apply(&s.env, "dn: cn=SBrady," RCPT "\n"
	    "changetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: SBrady\nsn: Brady\n"
	    "givenName: Sally\ndisplayName: Brady, Sally\n"
	    "mailNickname: SBrady\n"), 0);
	bi_containers(&s);
	names = bi_list(&s, &n);
	for (i = 0; i < n; i++) {
		if (bi_load(&s, &c, names[i]) == 0)
			run_case(&s, &c);
		bi_done(&s, &c);
		bi_case_release(&c);
		free(names[i]);
	}
	free(names);
	bi_finish(&s);
}
