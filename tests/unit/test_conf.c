/*
 * Config: every problem is reported as file:line: reason, all of them,
 * before anything runs.  A connector type is only a key table here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "conf.h"
#include "connector.h"

static const struct conf_key test_keys[] = {
	{ "import_container", CONF_X500, CONF_IMPORT, 0, 0, NULL, "" },
	{ "export_container", CONF_X500, CONF_EXPORT | CONF_MULTI, 0, 0, NULL, "" },
	{ "delete_threshold", CONF_THRESHOLD, 0, 0, 0, NULL, "" },
	{ "codepage", CONF_ENUM, 0, 0, 0, "CP850|CP437|CP932", "" },
	{ "max_message_size", CONF_SIZE, 0, 0, 0, NULL, "" },
	{ "retries", CONF_INT, 0, 1, 10, NULL, "" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const struct conf_key test_peer_keys[] = {
	{ "password_file", CONF_SECRET_FILE, CONF_REQUIRED, 0, 0, NULL, "" },
	{ "import_container", CONF_X500, CONF_IMPORT, 0, 0, NULL, "" },
	{ "types", CONF_TOKENS, 0, 0, 0, "PCM|SMTP|X400", "" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const struct gw_connector_ops test_ops = {
	.type = "testconn",
	.keys = test_keys,
	.peer_keys = test_peer_keys,
};

static char dir[64];

static void
setup(void)
{
	(void)connector_register(&test_ops);
	strcpy(dir, "/tmp/gg-conf-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

static char *
write_conf(const char *name, const char *text, int mode)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, (mode_t)mode);
	return path;
}

/* Loads text; returns the problems printed (caller frees) or NULL. */
static char *
load(const char *text, struct gw_conf **out)
{
	char *path = write_conf("galgate.conf", text, 0644), *buf = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&buf, &len);
	struct gw_err err;

	gw_err_init(&err);
	*out = conf_load(path, connector_conf_types(), errs, &err);
	fclose(errs);
	if (*out != NULL) {
		free(buf);
		return NULL;
	}
	cr_assert_eq(err.exit, GW_EXIT_USAGE);
	return buf;
}

#define GAL "[gal]\nsuffix = dc=example,dc=com\norganization = Contoso\n" \
	"site = HQ\nstate_dir = /tmp/x\n"

Test(conf, good_file_loads, .init = setup, .fini = teardown)
{
	struct gw_conf *c;
	char *secret = write_conf("s.secret", "pw\n", 0600), *text, *probs;

	cr_assert_gt(asprintf(&text, GAL "uri = ldap://a.example\n"
	    "uri = ldap://b.example\n; comment\n\n[connector one]\n"
	    "type = testconn\nschedule = every 15m, daily 02:00\n"
	    "import_container = /o=Contoso/ou=HQ/cn=In\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
	    "export_container = /o=Contoso/ou=NYC/cn=Recipients\n"
	    "delete_threshold = 10%%, 50\ncodepage = cp437\n"
	    "[requestor NET/PO]\nconnector = one\npassword_file = %s\n"
	    "types = PCM|SMTP\n", secret), 0);
	probs = load(text, &c);
	cr_assert_null(probs, "%s", probs);
	cr_assert_eq(c->nuris, 2);
	cr_assert_str_eq(c->uris[1], "ldap://b.example");
	cr_assert_str_eq(c->suffix, "dc=example,dc=com");
	cr_assert_not_null(conf_connector(c, "one"));
	cr_assert_not_null(conf_next_requestor(c, conf_connector(c, "one"),
	    NULL));
	conf_free(c);
	free(text);
}

Test(conf, a_requestor_before_its_connector_belongs_to_it, .init = setup,
    .fini = teardown)
{
	struct gw_conf *c;
	const struct conf_section *r;
	char *secret = strdup(write_conf("s.secret", "pw\n", 0600)), *text;
	char *probs;

	/* the requestor's keys are checked, and it is the connector's */
	cr_assert_gt(asprintf(&text, GAL "[requestor NET/PO]\nconnector = one\n"
	    "password_file = %s\nimport_container = /o=Contoso/ou=HQ/cn=PO\n"
	    "bogus = 1\n\n[connector one]\ntype = testconn\n", secret), 0);
	probs = load(text, &c);
	cr_assert_not_null(probs);
	cr_assert(strstr(probs, "galgate.conf:10: unknown key 'bogus'") !=
	    NULL, "%s", probs);
	free(probs);
	free(text);
	cr_assert_gt(asprintf(&text, GAL "[requestor NET/PO]\nconnector = one\n"
	    "password_file = %s\nimport_container = /o=Contoso/ou=HQ/cn=PO\n"
	    "\n[connector one]\ntype = testconn\n", secret), 0);
	probs = load(text, &c);
	cr_assert_null(probs, "%s", probs);
	r = conf_next_requestor(c, conf_connector(c, "one"), NULL);
	cr_assert_not_null(r, "the requestor was left out");
	cr_assert_str_eq(r->name, "NET/PO");
	cr_assert_not_null(r->type);
	conf_free(c);
	free(text);
	free(secret);
}

Test(conf, every_bad_line_is_reported, .init = setup, .fini = teardown)
{
	struct gw_conf *c;
	char *probs;

	probs = load(GAL "colour = blue\n"			/* 6 */
	    "uri = http://x\n"					/* 7 */
	    "[connector one]\n"					/* 8 */
	    "type = testconn\n"					/* 9 */
	    "codepage = EBCDIC\n"				/* 10 */
	    "delete_threshold = lots\n"				/* 11 */
	    "retries = 99\n"					/* 12 */
	    "schedule = sometimes\n"				/* 13 */
	    "import_container = o=NotX500\n"			/* 14 */
	    "max_message_size = big\n"				/* 15 */
	    "bogus_key = 1\n"					/* 16 */
	    "[connector two]\n"					/* 17 */
	    "type = nosuch\n"					/* 18 */
	    "this line has no equals sign\n", &c);		/* 19 */
	cr_assert_null(c);
	cr_assert_not_null(probs);
	cr_assert(strstr(probs, "galgate.conf:6: unknown key 'colour'") != NULL,
	    "%s", probs);
	cr_assert(strstr(probs, "galgate.conf:7: uri:") != NULL, "%s", probs);
	cr_assert(strstr(probs, "galgate.conf:10: codepage:") != NULL, "%s",
	    probs);
	cr_assert(strstr(probs, "galgate.conf:11: delete_threshold:") != NULL);
	cr_assert(strstr(probs, "galgate.conf:12: retries:") != NULL);
	cr_assert(strstr(probs, "galgate.conf:13: schedule:") != NULL);
	cr_assert(strstr(probs, "galgate.conf:14: import_container:") != NULL);
	cr_assert(strstr(probs, "galgate.conf:15: max_message_size:") != NULL);
	cr_assert(strstr(probs, "galgate.conf:16: unknown key 'bogus_key'")
	    != NULL);
	cr_assert(strstr(probs, "galgate.conf:18: unknown connector type "
	    "'nosuch'") != NULL, "%s", probs);
	cr_assert(strstr(probs, "galgate.conf:19: expected 'key = value'")
	    != NULL, "%s", probs);
	free(probs);
}

Test(conf, missing_keys_and_duplicates, .init = setup, .fini = teardown)
{
	struct gw_conf *c;
	char *probs;

	probs = load("[gal]\nsuffix = dc=example,dc=com\nsuffix = dc=x\n"
	    "[connector one]\nschedule = daily 25:00\n", &c);
	cr_assert_null(c);
	cr_assert(strstr(probs, "galgate.conf:1: [gal] lacks the required key "
	    "'organization'") != NULL, "%s", probs);
	cr_assert(strstr(probs, "galgate.conf:3: 'suffix' given twice (first "
	    "at line 2)") != NULL, "%s", probs);
	cr_assert(strstr(probs, "galgate.conf:4: [connector one] lacks the "
	    "required key 'type'") != NULL, "%s", probs);
	free(probs);
}

Test(conf, import_inside_export_is_refused, .init = setup, .fini = teardown)
{
	struct gw_conf *c;
	char *probs;

	probs = load(GAL "[connector one]\ntype = testconn\n"
	    "export_container = /o=Contoso/ou=HQ\n"
	    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
	    "[connector two]\ntype = testconn\n"
	    "import_container = /o=Contoso/ou=HQ/cn=ccMail/cn=Sub\n", &c);
	cr_assert_null(c);
	cr_assert(strstr(probs, "galgate.conf:9: import container "
	    "/o=Contoso/ou=HQ/cn=ccMail lies inside export container "
	    "/o=Contoso/ou=HQ (line 8)") != NULL, "%s", probs);
	cr_assert(strstr(probs, "galgate.conf:12: import container "
	    "/o=Contoso/ou=HQ/cn=ccMail/cn=Sub overlaps import container")
	    != NULL, "%s", probs);
	free(probs);
}

Test(conf, secret_file_readable_by_others_is_refused, .init = setup,
    .fini = teardown)
{
	struct gw_conf *c;
	char *secret = write_conf("open.secret", "pw\n", 0644), *text, *probs;

	cr_assert_gt(asprintf(&text, GAL "[connector one]\ntype = testconn\n"
	    "[requestor A/B]\nconnector = one\npassword_file = %s\n"
	    "[requestor C/D]\nconnector = nobody\n", secret), 0);
	probs = load(text, &c);
	cr_assert_null(c);
	cr_assert(strstr(probs, "galgate.conf:10: password_file:") != NULL &&
	    strstr(probs, "readable by other users") != NULL, "%s", probs);
	cr_assert(strstr(probs, "galgate.conf:12: no [connector nobody]") !=
	    NULL, "%s", probs);
	free(probs);
	free(text);
}

/*
 * A NUL byte is reported, never a value cut short where it stands, and so
 * is a CR inside a line (both found by fuzz_conf); CR LF line ends are
 * fine; an overlong line is one problem.
 */
Test(conf, control_characters_and_long_lines_are_reported, .init = setup,
    .fini = teardown)
{
	static const char text[] = GAL "site = HQ\0-and-more\n"	/* 6 */
	    "[connector one]\ntype = testconn\r\n"
	    "codepage = CP850\rCP437\n";				/* 9 */
	char *path = write_conf("galgate.conf", "", 0644), *buf = NULL, *big;
	size_t len = 0;
	struct gw_conf *c;
	struct gw_err err;
	FILE *fp, *errs;

	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fwrite(text, 1, sizeof(text) - 1, fp);
	big = malloc(5000);
	memset(big, 'x', 5000);
	fputs("retries = ", fp);
	fwrite(big, 1, 5000, fp);				/* 10 */
	fputs("\nbogus = 1\n", fp);				/* 11 */
	fclose(fp);
	free(big);
	errs = open_memstream(&buf, &len);
	gw_err_init(&err);
	c = conf_load(path, connector_conf_types(), errs, &err);
	fclose(errs);
	cr_assert_null(c);
	cr_assert(strstr(buf, "galgate.conf:6: NUL byte in line") != NULL,
	    "%s", buf);
	cr_assert(strstr(buf, "galgate.conf:9: control character (byte 0x0d)")
	    != NULL, "%s", buf);
	cr_assert(strstr(buf, "galgate.conf:10: line longer than 4096 bytes")
	    != NULL, "%s", buf);
	cr_assert(strstr(buf, "galgate.conf:11: unknown key 'bogus'") != NULL,
	    "%s", buf);
	cr_assert(strstr(err.msg, ": 4 configuration errors") != NULL, "%s",
	    err.msg);
	free(buf);
}

Test(conf, threshold_values)
{
	struct gw_threshold t;
	const char *errstr;

	cr_assert_eq(conf_parse_threshold("10%, 50", &t, &errstr), 0);
	cr_assert_eq(t.pct, 10);
	cr_assert_eq(t.count, 50);
	/* the larger of 10% and 50 */
	cr_assert_not(gw_threshold_exceeded(&t, 50, 100, 0));
	cr_assert(gw_threshold_exceeded(&t, 51, 100, 0));
	cr_assert_not(gw_threshold_exceeded(&t, 100, 1000, 0));
	cr_assert(gw_threshold_exceeded(&t, 101, 1000, 0));
	/* --allow-deletes raises the limit once */
	cr_assert_not(gw_threshold_exceeded(&t, 200, 1000, 200));
	cr_assert(gw_threshold_exceeded(&t, 201, 1000, 200));
	cr_assert_eq(conf_parse_threshold("100%", &t, &errstr), 0);
	cr_assert_not(gw_threshold_exceeded(&t, 1000, 1000, 0));
	cr_assert_eq(conf_parse_threshold("ten", &t, &errstr), -1);
	cr_assert_eq(conf_parse_threshold("150%", &t, &errstr), -1);
}
