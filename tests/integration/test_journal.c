/*
 * The change journal against a real slapd with syncprov: every change made
 * with OpenLDAP's own tools gets a USN, in order, exactly once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "hold.h"

static struct env env;

static void
setup(void)
{
	struct out o;

	env_start(&env, NULL, NULL);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

static void
setup_small_sessionlog(void)
{
	struct out o;

	env_start(&env, NULL, "--sessionlog 2");
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

static void
teardown(void)
{
	env_stop(&env);
}

/* The "usn" of every JSON line whose dn is dn, in order. */
static size_t
usns_of(const char *json, const char *dn, unsigned long long *usn,
    char (*op)[8], size_t max)
{
	char needle[512];
	const char *line = json, *nl, *p;
	size_t n = 0;

	snprintf(needle, sizeof(needle), "\"dn\":\"%s\"", dn);
	for (; *line != '\0' && n < max; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		if ((p = strstr(line, needle)) == NULL || p > nl) {
			if (*nl == '\0')
				break;
			continue;
		}
		cr_assert_eq(sscanf(line, "{\"usn\":%llu,\"op\":\"%7[a-z]\"",
		    &usn[n], op[n]), 2, "bad line %.*s", (int)(nl - line), line);
		n++;
		if (*nl == '\0')
			break;
	}
	return n;
}

#define JSMITH	"cn=jsmith," RCPT

Test(journal, add_modify_delete_get_increasing_usns, .init = setup,
    .fini = teardown)
{
	unsigned long long usn[8], head;
	char op[8][8], *all;
	struct out o;
	size_t n;

	cr_assert_eq(ldap_apply(&env, "dn: " JSMITH "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: jsmith\nsn: Smith\ntitle: Clerk\n"), 0);
	o = galgate(&env, "journal --json");
	cr_assert_eq(o.status, 0, "%s", o.text);
	n = usns_of(o.text, JSMITH, usn, op, 8);
	cr_assert_eq(n, 1, "%s", o.text);
	cr_assert_str_eq(op[0], "add");
	out_free(&o);

	cr_assert_eq(ldap_apply(&env, "dn: " JSMITH "\nchangetype: modify\n"
	    "replace: title\ntitle: Manager\n"), 0);
	o = galgate(&env, "journal --json");
	n = usns_of(o.text, JSMITH, usn, op, 8);
	cr_assert_eq(n, 2, "%s", o.text);
	cr_assert_str_eq(op[1], "modify");
	out_free(&o);

	o = run("ldapdelete -Q -Y EXTERNAL -H '%s' '" JSMITH "'", env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "journal --json");
	n = usns_of(o.text, JSMITH, usn, op, 8);
	cr_assert_eq(n, 3, "%s", o.text);
	cr_assert_str_eq(op[0], "add");
	cr_assert_str_eq(op[1], "modify");
	cr_assert_str_eq(op[2], "delete");
	cr_assert(usn[0] < usn[1] && usn[1] < usn[2]);
	all = strdup(o.text);
	out_free(&o);

	/* no change, no new record */
	o = galgate(&env, "journal --json");
	cr_assert_str_eq(o.text, all);
	out_free(&o);
	head = usn[2];
	o = galgate(&env, "journal --json --since %llu", head);
	cr_assert_str_eq(o.text, "");
	out_free(&o);
	free(all);
}

Test(journal, merges_changes_between_polls, .init = setup,
    .fini = teardown)
{
	unsigned long long usn[8];
	char op[8][8];
	struct out o;

	o = galgate(&env, "journal --json");
	out_free(&o);
	cr_assert_eq(ldap_apply(&env, "dn: " JSMITH "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\ncn: jsmith\nsn: Smith\n\n"
	    "dn: " JSMITH "\nchangetype: modify\nreplace: sn\nsn: Smyth\n"), 0);
	o = galgate(&env, "journal --json");
	cr_assert_eq(usns_of(o.text, JSMITH, usn, op, 8), 1, "%s", o.text);
	cr_assert_str_eq(op[0], "add");
	out_free(&o);
}

Test(journal, present_phase_when_session_log_is_too_small,
    .init = setup_small_sessionlog, .fini = teardown)
{
	unsigned long long usn[8];
	char op[8][8], ldif[4096];
	struct out o;
	size_t off = 0;
	int i;

	for (i = 1; i <= 6; i++)
		off += (size_t)snprintf(ldif + off, sizeof(ldif) - off,
		    "dn: cn=u%d," RCPT "\nchangetype: add\nobjectClass: "
		    "inetOrgPerson\ncn: u%d\nsn: User\n\n", i, i);
	cr_assert_eq(ldap_apply(&env, ldif), 0);
	o = galgate(&env, "journal --json");
	cr_assert_eq(count_of(o.text, "\"op\":\"add\""), 4 + 6, "%s", o.text);
	out_free(&o);

	/* five changes against a session log of two */
	o = run("ldapdelete -Q -Y EXTERNAL -H '%s' cn=u1," RCPT " cn=u2," RCPT
	    " cn=u3," RCPT, env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert_eq(ldap_apply(&env, "dn: cn=u4," RCPT "\nchangetype: modify\n"
	    "replace: sn\nsn: Changed\n\ndn: cn=u7," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\ncn: u7\nsn: New\n"), 0);
	o = galgate(&env, "journal --json --since 10");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(usns_of(o.text, "cn=u1," RCPT, usn, op, 8), 1, "%s",
	    o.text);
	cr_assert_str_eq(op[0], "delete");
	cr_assert_eq(usns_of(o.text, "cn=u3," RCPT, usn, op, 8), 1);
	cr_assert_str_eq(op[0], "delete");
	cr_assert_eq(usns_of(o.text, "cn=u4," RCPT, usn, op, 8), 1);
	cr_assert_str_eq(op[0], "modify");
	cr_assert_eq(usns_of(o.text, "cn=u7," RCPT, usn, op, 8), 1);
	cr_assert_str_eq(op[0], "add");
	cr_assert_eq(usns_of(o.text, "cn=u5," RCPT, usn, op, 8), 0,
	    "an unchanged entry was journaled: %s", o.text);
	cr_assert_eq(count_of(o.text, "\"usn\""), 5, "%s", o.text);
	out_free(&o);
	/* the refresh really went through a present phase */
	o = galgate(&env, "events --json");
	cr_assert_eq(count_of(o.text, "\"event_id\":1004"), 1, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "journal --json --since 15");
	cr_assert_str_eq(o.text, "");
	out_free(&o);
}

Test(journal, restore_of_an_older_backup_resynchronizes, .init = setup,
    .fini = teardown)
{
	unsigned long long usn[8];
	char op[8][8];
	struct out o;

	cr_assert_eq(ldap_apply(&env, "dn: cn=a," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\ncn: a\nsn: A\n\ndn: cn=b," RCPT
	    "\nchangetype: add\nobjectClass: inetOrgPerson\ncn: b\nsn: B\n"),
	    0);
	o = galgate(&env, "journal");
	out_free(&o);
	o = run("slapcat -f %s/slapd/slapd.conf -l %s/backup.ldif", env.dir,
	    env.dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);

	/* life goes on after the backup */
	o = run("ldapdelete -Q -Y EXTERNAL -H '%s' cn=a," RCPT, env.uri);
	out_free(&o);
	cr_assert_eq(ldap_apply(&env, "dn: cn=b," RCPT "\nchangetype: modify\n"
	    "replace: sn\nsn: Bee\n\ndn: cn=c," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\ncn: c\nsn: C\n"), 0);
	o = galgate(&env, "journal --json --since 6");
	cr_assert_eq(count_of(o.text, "\"usn\""), 3, "%s", o.text);
	out_free(&o);

	/* the GAL is restored from the older backup */
	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop %s && "
	    "rm -f %s/slapd/db/*.mdb && slapadd -q -w -f %s/slapd/slapd.conf "
	    "-l %s/backup.ldif && " GALGATE_SOURCE_DIR "/deploy/galgate-slapd "
	    "start %s --conf %s", env.dir, env.dir, env.dir, env.dir, env.dir,
	    env.conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "journal --json --since 9");
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(usns_of(o.text, "cn=c," RCPT, usn, op, 8), 1, "%s",
	    o.text);
	cr_assert_str_eq(op[0], "delete");
	cr_assert_eq(usns_of(o.text, "cn=a," RCPT, usn, op, 8), 1);
	cr_assert_str_eq(op[0], "add");
	cr_assert_eq(usns_of(o.text, "cn=b," RCPT, usn, op, 8), 1);
	cr_assert_str_eq(op[0], "modify");
	cr_assert_eq(count_of(o.text, "\"usn\""), 3, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "events --json");
	cr_assert_geq(count_of(o.text, "\"event_id\":1001"), 1, "%s", o.text);
	out_free(&o);
	/* and it settles */
	o = galgate(&env, "journal --json --since 12");
	cr_assert_str_eq(o.text, "");
	out_free(&o);
}

Test(journal, replaced_gal_is_noticed, .init = setup, .fini = teardown)
{
	struct out o;

	cr_assert_eq(ldap_apply(&env, "dn: cn=a," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\ncn: a\nsn: A\n"), 0);
	o = galgate(&env, "journal");
	out_free(&o);
	/* a new, empty database under the same suffix */
	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop %s && "
	    "rm -f %s/slapd/db/*.mdb && " GALGATE_SOURCE_DIR
	    "/deploy/galgate-slapd start %s --conf %s", env.dir, env.dir,
	    env.dir, env.conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "init");
	out_free(&o);
	o = galgate(&env, "journal --json --since 5");
	cr_assert_eq(o.status, 0, "%s", o.text);
	/* the old five entries are gone and four new ones came */
	cr_assert_eq(count_of(o.text, "\"op\":\"delete\""), 5, "%s", o.text);
	cr_assert_eq(count_of(o.text, "\"op\":\"add\""), 4, "%s", o.text);
	out_free(&o);
}

/* The highest USN in "journal --json" output, 0 if none. */
static unsigned long long
last_usn(const char *json)
{
	const char *p = json, *q;
	unsigned long long usn = 0;

	while ((q = strstr(p, "{\"usn\":")) != NULL) {
		usn = strtoull(q + 7, NULL, 10);
		p = q + 7;
	}
	return usn;
}

/*
 * galgate writes pipelined: every change of a batch is journaled by the
 * poll that follows it, the last one too, however the server finished
 * them (syncprov's contextCSN must cover the whole batch).
 */
Test(journal, every_pipelined_write_is_journaled_at_once, .fini = teardown,
    .timeout = 120)
{
	char path[256], line[128];
	unsigned long long head;
	struct out o;
	FILE *fp;
	int r, i;

	env_start(&env, "[connector cc]\ntype = ccmail\n"
	    "export_dir = @DIR@/export\nimport_dir = @DIR@/import\n"
	    "post_office = EXSITE1\n"
	    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
	    "delete_threshold = 100%\n", "--dbnosync");
	o = run("mkdir -p %s/export %s/import && cd %s/export && printf "
	    "'CCDIR: 1\\r\\nKind: lists\\r\\nPostOffice: HQPO\\r\\n' > "
	    "Ccmlist.exp && printf 'CCDIR: 1\\r\\nKind: bboards\\r\\n"
	    "PostOffice: HQPO\\r\\n' > Ccmbb.exp", env.dir, env.dir, env.dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	for (r = 0; r < 8; r++) {
		o = galgate(&env, "journal --json");
		head = last_usn(o.text);
		out_free(&o);
		/* 60 new users, and last round's 60 gone */
		snprintf(path, sizeof(path), "%s/export/Ccmdir.exp", env.dir);
		fp = fopen(path, "w");
		cr_assert_not_null(fp);
		fputs("CCDIR: 1\r\nKind: directory\r\nPostOffice: HQPO\r\n", fp);
		for (i = 0; i < 60; i++) {
			snprintf(line, sizeof(line), "\r\nName: Round%d, User%02d"
			    "\r\nLocn: L\r\n", r, i);
			fputs(line, fp);
		}
		fclose(fp);
		o = galgate(&env, "sync cc");
		cr_assert_eq(o.status, 0, "%s", o.text);
		out_free(&o);
		o = galgate(&env, "journal --json --since %llu", head);
		cr_assert_eq(count_of(o.text, "\"op\":\"add\""), 60,
		    "round %d: %zu adds journaled, not 60:\n%s", r,
		    count_of(o.text, "\"op\":\"add\""), o.text);
		cr_assert_eq(count_of(o.text, "\"op\":\"delete\""),
		    r == 0 ? 0 : 60, "round %d: deletes:\n%s", r, o.text);
		out_free(&o);
	}
}

/*
 * An administrator's add fails (68) and, while the server still holds its
 * CSN pending (held there by the abort-hold double, hold.h), a lone add
 * commits: contextCSN cannot move past it.  The next poll must still
 * journal that add.  hold_wait_held: the failed add is in the moment.
 */
static void
lone_add_beside_a_failed_one(const char *cn)
{
	struct out o;

	hold_arm(&env);
	o = run("printf 'dn: " RCPT "\\nobjectClass: galgateContainer\\n"
	    "cn: Recipients\\n' | ldapadd -Q -Y EXTERNAL -H '%s'", env.uri);
	cr_assert_eq(o.status, 68, "the add of an existing entry: %s", o.text);
	out_free(&o);
	hold_wait_held(&env);
	o = run("printf 'dn: cn=%s," RCPT "\\nobjectClass: inetOrgPerson\\n"
	    "cn: %s\\nsn: Lone\\n' | ldapadd -Q -Y EXTERNAL -H '%s'", cn, cn,
	    env.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert(hold_is_held(&env), "the failed add ended before the lone "
	    "one committed");
}

Test(journal, a_write_committed_beside_a_failed_one_is_journaled,
    .init = setup, .fini = teardown)
{
	unsigned long long usn[4], head;
	char op[4][8];
	struct out o;

	hold_slapd(&env);
	o = galgate(&env, "journal --json");
	head = last_usn(o.text);
	out_free(&o);
	lone_add_beside_a_failed_one("lone");
	hold_release(&env);
	o = galgate(&env, "journal --json --since %llu", head);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(usns_of(o.text, "cn=lone," RCPT, usn, op, 4), 1,
	    "the add committed beside a failed one has no USN:\n%s", o.text);
	cr_assert_str_eq(op[0], "add");
	cr_assert_eq(usn[0], head + 1, "%s", o.text);
	out_free(&o);
	/* the marker is no change: nothing new at the next poll */
	o = galgate(&env, "journal --json --since %llu", head + 1);
	cr_assert_str_eq(o.text, "");
	out_free(&o);
}

/* While the failed write stays pending, the poll says so and fails. */
Test(journal, a_poll_that_cannot_catch_up_fails_loudly, .init = setup,
    .fini = teardown, .timeout = 120)
{
	unsigned long long usn[4], head;
	char op[4][8];
	struct out o;

	hold_slapd(&env);
	o = galgate(&env, "journal --json");
	head = last_usn(o.text);
	out_free(&o);
	lone_add_beside_a_failed_one("lone");
	o = galgate(&env, "journal --json --since %llu", head);
	cr_assert_eq(o.status, 1, "a poll behind contextCSN succeeded:\n%s",
	    o.text);
	cr_assert(strstr(o.text, "contextCSN stays behind the journal marker "
	    "cn=galgate journal marker," SUFFIX) != NULL, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "events --json");
	cr_assert_eq(count_of(o.text, "\"event_id\":1005"), 1, "%s", o.text);
	cr_assert(strstr(o.text, "\"severity\":\"error\"") != NULL, "%s",
	    o.text);
	out_free(&o);
	/* once the server is done with it, the next poll has the add */
	hold_release(&env);
	o = galgate(&env, "journal --json --since %llu", head);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_eq(usns_of(o.text, "cn=lone," RCPT, usn, op, 4), 1, "%s",
	    o.text);
	out_free(&o);
}
