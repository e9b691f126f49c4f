/*
 * The MS Mail dir-sync bad-input corpus, tests/data/pcmail/bad/ (see
 * badinput.h).
 *
 * Each case starts from bad/baseline.eml, a ReqTx from CONTOSO/SEAPO1
 * (R=3: three adds, I=1: a full reply) synced once; then NAME.eml, or
 * NAME.1.eml, NAME.2.eml... in that order, go into the gateway's Maildir
 * inbox under those file names (so the events name them "message
 * new/NAME.eml"), and "galgate sync dirsync" runs.  Keys of this suite:
 *
 *   reply:    the subject of a message the cycle sent, in the order sent
 *             (repeat for several; every message sent must be listed)
 *   replies:  "none" when the cycle must send nothing
 *   inbox:    how many messages are left in the inbox afterwards
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "badinput.h"

static const char *const bases[] = { "cn=SEAPO1," BASE, "cn=SEAPO2," BASE,
    NULL };

static const char section[] =
    "[requestor CONTOSO/SEAPO1]\n"
    "connector = dirsync\n"
    "password_file = @SUITE@/seapo1.secret\n"
    "types = PCM|SMTP\n"
    "templates = yes\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
    "address = seapo1-dirsync@contoso.example\n"
    "\n"
    "[requestor CONTOSO/SEAPO2]\n"
    "connector = dirsync\n"
    "password_file = @SUITE@/seapo2.secret\n"
    "types = PCM\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO2\n"
    "address = seapo2-dirsync@contoso.example\n"
    "\n"
    "[connector dirsync]\n"
    "type = pcmail\n"
    "network = CONTOSO\n"
    "postoffice = GALGATE\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "transport = maildir\n"
    "inbox = @CASE@/in\n"
    "outbox = @CASE@/out\n"
    "address = galgate-dirsync@contoso.example\n"
    "delete_threshold = 50%, 2\n";

static struct bi_suite s;

static char *
conf_for(struct bi_case *c)
{
	const char *p;
	char *t = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&t, &len);

	cr_assert_not_null(fp);
	for (p = section; *p != '\0'; p++) {
		if (strncmp(p, "@CASE@", 6) == 0) {
			fputs(c->dir, fp);
			p += 5;
		} else if (strncmp(p, "@SUITE@", 7) == 0) {
			fputs(s.env.dir, fp);
			p += 6;
		} else
			fputc(*p, fp);
	}
	fclose(fp);
	return t;
}

/* The Subject: of a message file. */
static char *
subject_of(const char *path)
{
	char line[2048], *r = NULL;
	FILE *fp = fopen(path, "rb");

	cr_assert_not_null(fp, "%s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '\r' || line[0] == '\n')
			break;
		if (strncmp(line, "Subject: ", 9) == 0) {
			line[strcspn(line, "\r\n")] = '\0';
			r = strdup(line + 9);
			break;
		}
	}
	fclose(fp);
	return r != NULL ? r : strdup("(no subject)");
}

/* Delivers a corpus file into the inbox under its own name. */
static int
deliver(struct bi_case *c, const char *file)
{
	char src[1024], dst[1024];

	snprintf(src, sizeof(src), "%s/%s", BI_DIR("pcmail"), file);
	snprintf(dst, sizeof(dst), "%s/in/new/%s", c->dir, file);
	return bi_copy(src, dst);
}

static void
check_replies(struct bi_case *c, char **before, size_t nbefore)
{
	char dir[512], path[1024], **after, *subj;
	const char *want;
	size_t nafter, i, k, w = 0, sent = 0;

	snprintf(dir, sizeof(dir), "%s/out/new", c->dir);
	after = bi_files(dir, &nafter);
	for (i = 0; i < nafter; i++) {
		for (k = 0; k < nbefore; k++)
			if (strcmp(before[k], after[i]) == 0)
				break;
		if (k < nbefore)
			continue;	/* the baseline's */
		sent++;
		snprintf(path, sizeof(path), "%s/%s", dir, after[i]);
		subj = subject_of(path);
		if ((want = bi_next(c, "reply", &w)) == NULL)
			bi_fail(c, "an unexpected message was sent: '%s'", subj);
		else if (strcmp(want, subj) != 0)
			bi_fail(c, "reply: expected '%s', got '%s'", want, subj);
		free(subj);
	}
	while ((want = bi_next(c, "reply", &w)) != NULL)
		bi_fail(c, "reply: '%s' was not sent", want);
	if ((want = bi_get(c, "replies")) != NULL && (strcmp(want, "none") != 0
	    || sent != 0))
		bi_fail(c, "replies: none expected (and 'none' is all it "
		    "takes), %zu sent", sent);
	bi_files_free(after, nafter);
}

static void
run_case(struct bi_case *c)
{
	char dir[512], *conf, **before, name[300];
	const char *v;
	size_t nbefore, n = 0, i;
	struct out o;

	bi_prepare(&s, c);
	conf = conf_for(c);
	free(bi_write_conf(&s, c, conf));
	free(conf);
	cr_assert_eq(bi_mkdirs(c, "in/new", "in/cur", "in/tmp", NULL), 0);
	cr_assert_eq(deliver(c, "baseline.eml"), 0);
	o = bi_galgate(c, "", "sync dirsync");
	if (o.status != 0) {
		bi_fail(c, "the baseline cycle failed (%d):\n%s", o.status,
		    o.text);
		out_free(&o);
		return;
	}
	out_free(&o);
	bi_mark(&s, c);
	snprintf(dir, sizeof(dir), "%s/out/new", c->dir);
	before = bi_files(dir, &nbefore);
	snprintf(name, sizeof(name), "%s.eml", c->name);
	if (deliver(c, name) == 0)
		n++;
	for (i = 1; i < 10; i++) {
		snprintf(name, sizeof(name), "%s.%zu.eml", c->name, i);
		if (deliver(c, name) == 0)
			n++;
	}
	if (n == 0)
		bi_fail(c, "no data: no %s.eml and no %s.1.eml", c->name,
		    c->name);
	c->out = bi_galgate(c, "", "sync dirsync");
	if (bi_get(c, "reply") == NULL && bi_get(c, "replies") == NULL)
		bi_fail(c, "neither reply: nor replies: none");
	check_replies(c, before, nbefore);
	bi_files_free(before, nbefore);
	if ((v = bi_get(c, "inbox")) != NULL && (size_t)atoi(v) !=
	    bi_count_files(c, "in/new") + bi_count_files(c, "in/cur"))
		bi_fail(c, "inbox: expected %s messages left, %zu are", v,
		    bi_count_files(c, "in/new") + bi_count_files(c, "in/cur"));
	bi_check(&s, c);
}

static void
teardown(void)
{
	bi_stop(&s);
}

Test(badinput_pcmail, corpus, .fini = teardown, .timeout = 300)
{
	struct bi_case c;
	char **names, *conf;
	struct out o;
	size_t n, i;

	bi_start(&s, "pcmail", bases);
	free(env_file(&s.env, "seapo1.secret", "s3cret-one\n"));
	free(env_file(&s.env, "seapo2.secret", "s3cret-two\n"));
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "init");
	snprintf(c.dir, sizeof(c.dir), "%s/init", s.env.dir);
	conf = conf_for(&c);
	free(bi_write_conf(&s, &c, conf));
	free(conf);
	o = bi_galgate(&c, "", "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	/* a GAL recipient every reply carries */
	cr_assert_eq(ldap_apply(&s.env, "dn: cn=SBrady," RCPT "\n"
	    "changetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: SBrady\nsn: Brady\n"
	    "givenName: Sally\ndisplayName: Brady, Sally\n"
	    "mailNickname: SBrady\n"), 0);
	bi_containers(&s);
	names = bi_list(&s, &n);
	for (i = 0; i < n; i++) {
		if (bi_load(&s, &c, names[i]) == 0)
			run_case(&c);
		bi_done(&s, &c);
		bi_case_release(&c);
		free(names[i]);
	}
	free(names);
	bi_finish(&s);
}
