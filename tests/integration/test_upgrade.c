/*
 * Upgrade in place.  tests/fixtures/upgrade holds a GAL (slapcat) and a
 * state_dir (mdb_copy) that the previous version wrote, taken together
 * as README's "Upgrading" says, after the three connectors each brought
 * their person into one GAL (three_gal.h).  Restored together, one cycle
 * of each connector of this version brings the GAL to the form a fresh
 * sync of this version gives: no entry lost or doubled, each change in
 * the journal, no DN changed.
 *
 * To record the fixtures again with a build of an earlier commit (the
 * variable's value says which, in tests/fixtures/upgrade/VERSION):
 *   GALGATE_UPGRADE_RECORD=<commit> GALGATE_TEST_BINARY=<its galgate> \
 *     build-release/integration_tests --filter 'upgrade/one*'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "deploy_helpers.h"
#include "three_gal.h"

#define FIXTURES	GALGATE_SOURCE_DIR "/tests/fixtures/upgrade"

static struct three_gal before, fresh;

static void
teardown(void)
{
	three_gal_stop(&before);
	three_gal_stop(&fresh);
}

static void
sh(const char *what, const char *cmd)
{
	struct out o = run("%s", cmd);

	cr_assert_eq(o.status, 0, "%s: %s", what, o.text);
	out_free(&o);
}

/* The previous version's GAL and state, as README says to take them. */
static void
record(void)
{
	char cmd[2048], *conf = three_gal_conf(0);

	three_gal_start(&before, conf);
	free(conf);
	three_gal_fill(&before);
	snprintf(cmd, sizeof(cmd), GALGATE_SOURCE_DIR "/deploy/galgate-slapd "
	    "stop %s && rm -rf " FIXTURES " && mkdir -p " FIXTURES "/state && "
	    "slapcat -f %s/slapd/slapd.conf -b " SUFFIX " -l " FIXTURES
	    "/gal.ldif && mdb_copy -c %s/galgate.mdb " FIXTURES "/state && "
	    "{ %s --version; echo 'built from %s'; } > " FIXTURES "/VERSION",
	    before.gal.dir, before.gal.dir, before.gal.dir, galgate_binary(),
	    getenv("GALGATE_UPGRADE_RECORD"));
	sh("recording", cmd);
	before.gal.started = 0;
}

/* A GAL started, then replaced by the recorded one with its state. */
static void
restore(struct three_gal *t)
{
	char cmd[2048], *conf = three_gal_conf(0);
	struct out o;

	three_gal_start(t, conf);
	free(conf);
	snprintf(cmd, sizeof(cmd), GALGATE_SOURCE_DIR "/deploy/galgate-slapd "
	    "stop %s && db=$(sed -n 's/^directory[[:space:]]*//p' "
	    "%s/slapd/slapd.conf | tail -1) && rm -f \"$db\"/*.mdb && "
	    "slapadd -q -f %s/slapd/slapd.conf -l " FIXTURES "/gal.ldif && "
	    "rm -rf %s/galgate.mdb && mkdir %s/galgate.mdb && "
	    "cp " FIXTURES "/state/data.mdb %s/galgate.mdb/", t->gal.dir,
	    t->gal.dir, t->gal.dir, t->gal.dir, t->gal.dir, t->gal.dir);
	sh("restoring", cmd);
	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd start %s --conf %s "
	    "--unchecked-limit 200", t->gal.dir, t->gal.conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

/*
 * What a client and the connectors see of a container's entries: the
 * entries sorted, each entry's attributes sorted by name, the values of
 * one attribute in the server's order (cn's first is the name shown).
 */
static char *
entries(const struct env *e, const char *base)
{
	struct out o = run("ldapsearch -Q -Y EXTERNAL -LLL -o ldif-wrap=no "
	    "-H '%s' -b '%s' -s one '(objectClass=*)' objectClass cn "
	    "displayName sn givenName initials mail mailNickname "
	    "galgateProxyAddress galgateRecipientType galgateConnector "
	    "galgateForeignKey legacyExchangeDN title telephoneNumber "
	    "physicalDeliveryOfficeName member | perl -00 -e 'use sort "
	    "\"stable\"; for (sort <>) { my @l = split /^/; print shift @l, "
	    "sort { ($a =~ /^([^:]+)/)[0] cmp ($b =~ /^([^:]+)/)[0] } @l }'",
	    e->uri, base);

	cr_assert_eq(o.status, 0, "%s: %s", base, o.text);
	return o.text;
}

/* The journal's newest USN. */
static unsigned long long
journal_head(const struct env *e)
{
	struct out o = galgate(e, "journal");
	const char *last = o.text, *p;
	unsigned long long usn;

	cr_assert_eq(o.status, 0, "%s", o.text);
	for (p = o.text; (p = strchr(p, '\n')) != NULL && p[1] != '\0'; p++)
		last = p + 1;
	usn = strtoull(last, NULL, 10);
	out_free(&o);
	return usn;
}

/* How many records after usn are op on an entry right below base. */
static size_t
journaled(const struct env *e, unsigned long long usn, const char *op,
    const char *base)
{
	struct out o = galgate(e, "journal --since %llu", usn);
	char pat[256], *line, *save = NULL;
	size_t n = 0;

	cr_assert_eq(o.status, 0, "%s", o.text);
	snprintf(pat, sizeof(pat), " %-6s ", op);
	for (line = strtok_r(o.text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, pat) != NULL && strstr(line, base) != NULL)
			n++;
	out_free(&o);
	return n;
}

/* The entries (paragraphs) of text a that b lacks. */
static size_t
changed(const char *a, const char *b)
{
	char *copy = strdup(a), *p = copy, *end, *para;
	size_t n = 0;

	while (*p != '\0') {
		end = strstr(p, "\n\n");
		if (end != NULL)
			end[1] = '\0';
		cr_assert(asprintf(&para, "%s\n", p) > 0);
		if (strstr(b, para) == NULL)
			n++;
		free(para);
		if (end == NULL)
			break;
		p = end + 2;
	}
	free(copy);
	return n;
}

static const char *const containers[] = { THREE_CCMAIL, THREE_LAGOS,
    THREE_FABRIKAM };
#define NCONTAINERS	(sizeof(containers) / sizeof(containers[0]))

static void
one_cycle_each(const struct env *e)
{
	three_gal_ok(e, "sync ccmail");
	three_gal_ok(e, "sync dirsync");
	three_gal_ok(e, "sync io-master");
}

Test(upgrade, one_cycle_of_each_connector_brings_an_earlier_gal_to_this_form,
    .fini = teardown, .timeout = 240)
{
	char *was[NCONTAINERS], *want, *got, *conf;
	unsigned long long head;
	size_t i, n;

	if (getenv("GALGATE_UPGRADE_RECORD") != NULL) {
		record();
		return;
	}
	restore(&before);
	head = journal_head(&before.gal);
	for (i = 0; i < NCONTAINERS; i++)
		was[i] = entries(&before.gal, containers[i]);
	one_cycle_each(&before.gal);

	conf = three_gal_conf(0);
	three_gal_start(&fresh, conf);
	free(conf);
	three_gal_fill(&fresh);
	for (i = 0; i < NCONTAINERS; i++) {
		want = entries(&fresh.gal, containers[i]);
		got = entries(&before.gal, containers[i]);
		if (strcmp(got, want) != 0) {
			char *w = env_file(&fresh.gal, "want", want);
			char *g = env_file(&before.gal, "got", got);
			struct out d = run("diff -u %s %s", w, g);

			cr_expect_fail("%s: the upgraded GAL (+) differs from a "
			    "fresh sync (-):\n%s", containers[i], d.text);
			out_free(&d);
			free(w);
			free(g);
		}
		/* rewritten in place: each change a modify in the journal */
		n = changed(got, was[i]);
		cr_log_info("%s: %zu entries rewritten", containers[i], n);
		cr_expect_gt(n, 0, "%s: the earlier version's entries are "
		    "already in this form: the fixture shows nothing",
		    containers[i]);
		cr_expect_geq(journaled(&before.gal, head, "modify",
		    containers[i]), n, "%s: %zu entries changed, not all "
		    "journaled", containers[i], n);
		cr_expect_eq(journaled(&before.gal, head, "add", containers[i]) +
		    journaled(&before.gal, head, "delete", containers[i]), 0,
		    "%s: entries added or deleted, not rewritten in place",
		    containers[i]);
		free(want);
		free(got);
		free(was[i]);
	}

	/* the form is recorded: the next cycles have nothing to change */
	head = journal_head(&before.gal);
	one_cycle_each(&before.gal);
	for (i = 0; i < NCONTAINERS; i++)
		cr_expect_eq(journaled(&before.gal, head, "modify",
		    containers[i]), 0, "%s: changed again", containers[i]);
}
