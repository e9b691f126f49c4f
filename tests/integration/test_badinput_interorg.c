/*
 * The InterOrg bad-input corpus, tests/data/interorg/bad/ (see
 * badinput.h).
 *
 * One GAL holds a master (io-master, whose requestor
 * requestor@branch.example.com lands in cn=Branch) and a requestor of
 * that address (io-branch, whose master's entries land in cn=InterOrg),
 * each with its own Maildirs.  Each case starts from a baseline: the
 * requestor's full update bad/baseline-update.eml (three entries, REQUSN
 * 3) synced by the master, and the master's full reply
 * bad/baseline-reply.eml (two entries, MASTERUSN 20) synced by the
 * requestor.  Then NAME.eml, or NAME.1.eml, NAME.2.eml..., go into the
 * inbox of the connector named by "to:" under those file names, and that
 * connector's cycle runs.
 *
 * Messages are written as they travel, except for two marks the suite
 * replaces: "IOSync-MAC: @MAC@" becomes the HMAC-SHA256 of the subject
 * and body with the shared secret, computed here from FORMATS.md (not
 * with galgate's code), and "@CUT@" in a body cuts the message there
 * after the MAC was computed over all of it (a message truncated on the
 * way).  Keys of this suite:
 *
 *   to:       master (the default) or branch
 *   sent:     the subject of a message the cycle sent, batch ids as
 *             "batch=*" (repeat, in order; every one must be listed), or
 *             "none"
 *   inbox:    messages left in that inbox afterwards
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "badinput.h"

#define SECRET	"branch-shared-secret-0123456789"

static const char *const bases[] = { "cn=Branch," BASE, "cn=InterOrg," BASE,
    NULL };

static const char section[] =
    "[connector io-master]\n"
    "type = interorg\n"
    "role = master\n"
    "address = master@hq.example.com\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "transport = maildir\n"
    "inbox = @CASE@/mail/master\n"
    "outbox = @CASE@/mail/toreq\n"
    "delete_threshold = 50%, 2\n"
    "\n"
    "[requestor requestor@branch.example.com]\n"
    "connector = io-master\n"
    "secret_file = @SUITE@/branch.secret\n"
    "import_container = /o=Contoso/ou=HQ/cn=Branch\n"
    "\n"
    "[connector io-branch]\n"
    "type = interorg\n"
    "role = requestor\n"
    "address = requestor@branch.example.com\n"
    "master_address = master@hq.example.com\n"
    "secret_file = @SUITE@/branch.secret\n"
    "export_container = /o=Contoso/ou=HQ/cn=BranchOut\n"
    "import_container = /o=Contoso/ou=HQ/cn=InterOrg\n"
    "transport = maildir\n"
    "inbox = @CASE@/mail/branch\n"
    "outbox = @CASE@/mail/tomaster\n"
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

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/*
 * FORMATS.md's MAC: HMAC-SHA256 over the subject, CRLF, and the body with
 * every line end CRLF and trailing blanks gone; the body's end ends its
 * last line and a trailing 0x1A is not part of it.
 */
static void
mac_of(const char *subject, const char *body, size_t len, char *out,
    size_t outlen)
{
	unsigned char mac[EVP_MAX_MD_SIZE], b64[64];
	unsigned int maclen = 0;
	char *text;
	size_t tl = 0, i = 0, n;

	text = malloc(strlen(subject) + 2 * len + 8);
	cr_assert_not_null(text);
	tl = (size_t)sprintf(text, "%s\r\n", subject);
	if (len > 0 && body[len - 1] == 0x1a)
		len--;
	while (i < len) {
		const char *nl = memchr(body + i, '\n', len - i);

		n = nl != NULL ? (size_t)(nl - body) - i : len - i;
		if (n > 0 && body[i + n - 1] == '\r')
			n--;
		while (n > 0 && (body[i + n - 1] == ' ' ||
		    body[i + n - 1] == '\t'))
			n--;
		memcpy(text + tl, body + i, n);
		tl += n;
		memcpy(text + tl, "\r\n", 2);
		tl += 2;
		i = nl != NULL ? (size_t)(nl - body) + 1 : len;
	}
	cr_assert_not_null(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    (unsigned char *)text, tl, mac, &maclen));
	EVP_EncodeBlock(b64, mac, (int)maclen);
	snprintf(out, outlen, "hmac-sha256=%s", b64);
	free(text);
}

/* Delivers a corpus message into inbox/new, MAC and cut applied. */
static int
deliver(struct bi_case *c, const char *inbox, const char *file)
{
	char path[1024], *raw, *body, *hdr, *subj, *mark, *sv, mac[128];
	char *signd;
	size_t len, boff, blen, slen, arrived;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", BI_DIR("interorg"), file);
	if ((raw = slurp(path, &len)) == NULL)
		return -1;
	if ((body = strstr(raw, "\r\n\r\n")) != NULL)
		body += 4;
	else if ((body = strstr(raw, "\n\n")) != NULL)
		body += 2;
	else
		body = raw + len;
	boff = (size_t)(body - raw);
	blen = len - boff;
	/* signed: the whole body; arrived: the body up to the cut */
	signd = malloc(blen + 1);
	cr_assert_not_null(signd);
	memcpy(signd, body, blen);
	arrived = blen;
	if ((mark = memmem(signd, blen, "@CUT@", 5)) != NULL) {
		arrived = (size_t)(mark - signd);
		memmove(mark, mark + 5, blen - arrived - 5);
		blen -= 5;
	}
	hdr = malloc(boff + 128);
	cr_assert_not_null(hdr);
	memcpy(hdr, raw, boff);
	hdr[boff] = '\0';
	if ((mark = strstr(hdr, "@MAC@")) != NULL) {
		subj = strstr(hdr, "Subject: ");
		cr_assert_not_null(subj, "%s: @MAC@ without a Subject:", file);
		subj += 9;
		slen = strcspn(subj, "\r\n");
		sv = strndup(subj, slen);
		mac_of(sv, signd, blen, mac, sizeof(mac));
		free(sv);
		memmove(mark + strlen(mac), mark + 5, strlen(mark + 5) + 1);
		memcpy(mark, mac, strlen(mac));
	}
	snprintf(path, sizeof(path), "%s/mail/%s/new/%s", c->dir, inbox, file);
	fp = fopen(path, "wb");
	cr_assert_not_null(fp, "%s", path);
	cr_assert_eq(fwrite(hdr, 1, strlen(hdr), fp), strlen(hdr));
	cr_assert_eq(fwrite(body, 1, arrived, fp), arrived);
	fclose(fp);
	free(hdr);
	free(signd);
	free(raw);
	return 0;
}

/* The Subject: of a message file, its batch id as "batch=*". */
static char *
subject_of(const char *path)
{
	char line[2048], *r = NULL, *b;
	FILE *fp = fopen(path, "rb");

	cr_assert_not_null(fp, "%s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '\r' || line[0] == '\n')
			break;
		if (strncmp(line, "Subject: ", 9) == 0) {
			line[strcspn(line, "\r\n")] = '\0';
			if ((b = strstr(line, "batch=")) != NULL)
				memmove(b + 7, b + 6 + strcspn(b + 6, " "),
				    strlen(b + 6 + strcspn(b + 6, " ")) + 1),
				    b[6] = '*';
			r = strdup(line + 9);
			break;
		}
	}
	fclose(fp);
	return r != NULL ? r : strdup("(no subject)");
}

static void
check_sent(struct bi_case *c, const char *outbox, char **before,
    size_t nbefore)
{
	char dir[512], path[1024], **after, *subj;
	const char *want;
	size_t nafter, i, k, w = 0, sent = 0;

	snprintf(dir, sizeof(dir), "%s/mail/%s/new", c->dir, outbox);
	after = bi_files(dir, &nafter);
	for (i = 0; i < nafter; i++) {
		for (k = 0; k < nbefore; k++)
			if (strcmp(before[k], after[i]) == 0)
				break;
		if (k < nbefore)
			continue;
		sent++;
		snprintf(path, sizeof(path), "%s/%s", dir, after[i]);
		subj = subject_of(path);
		want = bi_next(c, "sent", &w);
		if (want != NULL && strcmp(want, "none") == 0)
			bi_fail(c, "sent: none expected, '%s' was sent", subj);
		else if (want == NULL)
			bi_fail(c, "an unexpected message was sent: '%s'", subj);
		else if (strcmp(want, subj) != 0)
			bi_fail(c, "sent: expected '%s', got '%s'", want, subj);
		free(subj);
	}
	while ((want = bi_next(c, "sent", &w)) != NULL)
		if (strcmp(want, "none") != 0 || sent != 0)
			bi_fail(c, "sent: '%s' was not sent", want);
	bi_files_free(after, nafter);
}

static int
sync_ok(struct bi_case *c, const char *con)
{
	char args[64];
	struct out o;
	int st;

	snprintf(args, sizeof(args), "sync %s", con);
	o = bi_galgate(c, "", args);
	st = o.status;
	if (st != 0)
		bi_fail(c, "the baseline cycle of %s failed (%d):\n%s", con, st,
		    o.text);
	out_free(&o);
	return st;
}

static void
run_case(struct bi_case *c)
{
	const char *to, *v, *inbox, *outbox;
	char dir[512], *conf, **before, name[300];
	size_t nbefore, n = 0, i;

	bi_prepare(&s, c);
	conf = conf_for(c);
	free(bi_write_conf(&s, c, conf));
	free(conf);
	cr_assert_eq(bi_mkdirs(c, "mail/master/new", "mail/master/cur",
	    "mail/master/tmp", "mail/branch/new", "mail/branch/cur",
	    "mail/branch/tmp", NULL), 0);
	cr_assert_eq(deliver(c, "master", "baseline-update.eml"), 0);
	cr_assert_eq(deliver(c, "branch", "baseline-reply.eml"), 0);
	if (sync_ok(c, "io-master") != 0 || sync_ok(c, "io-branch") != 0)
		return;
	bi_mark(&s, c);
	to = (v = bi_get(c, "to")) != NULL ? v : "master";
	if (strcmp(to, "master") != 0 && strcmp(to, "branch") != 0) {
		bi_fail(c, "to: is master or branch");
		return;
	}
	inbox = to;
	outbox = strcmp(to, "master") == 0 ? "toreq" : "tomaster";
	snprintf(dir, sizeof(dir), "%s/mail/%s/new", c->dir, outbox);
	before = bi_files(dir, &nbefore);
	snprintf(name, sizeof(name), "%s.eml", c->name);
	if (deliver(c, inbox, name) == 0)
		n++;
	for (i = 1; i < 10; i++) {
		snprintf(name, sizeof(name), "%s.%zu.eml", c->name, i);
		if (deliver(c, inbox, name) == 0)
			n++;
	}
	if (n == 0)
		bi_fail(c, "no data: no %s.eml and no %s.1.eml", c->name,
		    c->name);
	c->out = bi_galgate(c, "", strcmp(to, "master") == 0 ?
	    "sync io-master" : "sync io-branch");
	if (bi_get(c, "sent") == NULL)
		bi_fail(c, "no sent: (a subject, or none)");
	check_sent(c, outbox, before, nbefore);
	bi_files_free(before, nbefore);
	if ((v = bi_get(c, "inbox")) != NULL) {
		size_t left;

		snprintf(dir, sizeof(dir), "mail/%s/new", inbox);
		left = bi_count_files(c, dir);
		snprintf(dir, sizeof(dir), "mail/%s/cur", inbox);
		left += bi_count_files(c, dir);
		if ((size_t)atoi(v) != left)
			bi_fail(c, "inbox: expected %s messages left, %zu are",
			    v, left);
	}
	bi_check(&s, c);
}

static void
teardown(void)
{
	bi_stop(&s);
}

Test(badinput_interorg, corpus, .fini = teardown, .timeout = 300)
{
	struct bi_case c;
	char **names, *conf;
	struct out o;
	size_t n, i;

	bi_start(&s, "interorg", bases);
	free(env_file(&s.env, "branch.secret", SECRET "\n"));
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "init");
	snprintf(c.dir, sizeof(c.dir), "%s/init", s.env.dir);
	conf = conf_for(&c);
	free(bi_write_conf(&s, &c, conf));
	free(conf);
	o = bi_galgate(&c, "", "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	/* a master recipient whose address a requestor entry may claim */
	cr_assert_eq(ldap_apply(&s.env, "dn: cn=SBrady," RCPT "\n"
	    "changetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: galgateRecipient\ncn: SBrady\nsn: Brady\n"
	    "givenName: Sally\ndisplayName: Brady, Sally\n"
	    "mailNickname: SBrady\nmail: sally.brady@hq.example.com\n"), 0);
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
