/*
 * Hierarchy-safe ordering of LDAP writes: a parent is added before its
 * children and a child deleted before its parent, also when gal_apply
 * keeps many operations in flight at once (slapd runs the operations of
 * one connection on several threads, so "sent in order" is not "applied
 * in order").  First gal_apply itself against a real slapd, then every
 * connector writing into an import container that does not exist yet,
 * below containers that do not exist either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "ccmail_model.h"
#include "conf.h"
#include "connector.h"
#include "faults.h"
#include "gal.h"
#include "pcmail_model.h"

static struct env env, branch;
static char maildirs[64];

static void
teardown(void)
{
	env_stop(&env);
}

/* ---- gal_apply itself ---- */

#define TREE		"cn=Tree," BASE
#define LEVELS		6
#define LEAVES		20

struct failures {
	size_t		 n;
	char		 first[1024];
};

static void
on_result(void *arg, size_t idx, int ok, int rc, const char *msg)
{
	struct failures *f = arg;

	(void)idx;
	(void)rc;
	if (ok)
		return;
	if (f->n++ == 0)
		snprintf(f->first, sizeof(f->first), "%s", msg);
}

/* The DN of level l's container below top (l = 0 is top itself). */
static char *
level_dn(const char *top, int l)
{
	char *dn = strdup(top), *p;
	int i;

	for (i = 1; i <= l; i++) {
		cr_assert(asprintf(&p, "cn=L%d,%s", i, dn) != -1);
		free(dn);
		dn = p;
	}
	return dn;
}

static void
container(struct gw_change *c, const char *dn, const char *cn)
{
	gw_change_init(c, GW_OP_ADD, dn);
	gw_record_add_str(&c->rec, "objectClass", "galgateContainer");
	gw_record_add_str(&c->rec, "cn", cn);
}

static void
leaf(struct gw_change *c, const char *parent, int l, int k)
{
	char cn[32], *dn;

	snprintf(cn, sizeof(cn), "leaf %d.%d", l, k);
	cr_assert(asprintf(&dn, "cn=%s,%s", cn, parent) != -1);
	gw_change_init(c, GW_OP_ADD, dn);
	gw_record_add_str(&c->rec, "objectClass", "inetOrgPerson");
	gw_record_add_str(&c->rec, "cn", cn);
	gw_record_add_str(&c->rec, "sn", "Leaf");
	free(dn);
}

/*
 * The tree below top as one list, top first: each container, then its
 * leaves, then the next container down (a parent always before its
 * children, but only one position before them).
 */
static size_t
tree_adds(struct gw_change *ch, const char *top)
{
	size_t n = 0;
	char *dn, cn[16];
	int l, k;

	for (l = 0; l < LEVELS; l++) {
		dn = level_dn(top, l);
		snprintf(cn, sizeof(cn), "L%d", l);
		container(&ch[n++], dn, l == 0 ? "Tree" : cn);
		for (k = 0; k < LEAVES; k++)
			leaf(&ch[n++], dn, l, k);
		free(dn);
	}
	return n;
}

/* The same entries, deepest first, each child before its parent. */
static size_t
tree_deletes(struct gw_change *ch, const char *top)
{
	char *dn, cn[32], *leafdn;
	size_t n = 0;
	int l, k;

	for (l = LEVELS - 1; l >= 0; l--) {
		dn = level_dn(top, l);
		for (k = 0; k < LEAVES; k++) {
			snprintf(cn, sizeof(cn), "leaf %d.%d", l, k);
			cr_assert(asprintf(&leafdn, "cn=%s,%s", cn, dn) != -1);
			gw_change_init(&ch[n++], GW_OP_DELETE, leafdn);
			free(leafdn);
		}
		gw_change_init(&ch[n++], GW_OP_DELETE, dn);
		free(dn);
	}
	return n;
}

static void
apply_all(struct gal *g, struct gw_change *ch, size_t n, const char *what)
{
	struct failures f;
	struct gw_err err;
	size_t failed, i;

	memset(&f, 0, sizeof(f));
	gw_err_init(&err);
	cr_assert_eq(gal_apply(g, ch, n, 64, 0, on_result, &f, &failed, &err),
	    0, "%s: %s", what, err.msg);
	cr_assert_eq(failed, 0, "%s: %zu of %zu changes refused, the first: "
	    "%s", what, failed, n, f.first);
	for (i = 0; i < n; i++)
		gw_change_release(&ch[i]);
}

Test(ordering, gal_apply_in_flight_keeps_parents_before_children,
    .fini = teardown, .timeout = 120)
{
	struct gw_change ch[(LEVELS + 1) * (LEAVES + 1)];
	struct gw_conf *conf;
	struct gw_err err;
	struct gal *g;
	struct out o;
	size_t n;
	char *dn;
	int round;

	env_start(&env, NULL, "--dbnosync");
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	gw_err_init(&err);
	conf = conf_load(env.conf, connector_conf_types(), stderr, &err);
	cr_assert_not_null(conf, "%s", err.msg);
	cr_assert_eq(gal_open(conf, &g, &err), 0, "%s", err.msg);
	/* several rounds: a wrong order shows up as a race, not every time */
	for (round = 0; round < 3; round++) {
		n = tree_adds(ch, TREE);
		apply_all(g, ch, n, "adds");
		cr_assert_eq(ldap_count_in(&env, TREE, "sub", "(objectClass=*)"),
		    n);
		/* a renamed subtree: what goes below the new name waits */
		gw_change_init(&ch[0], GW_OP_RENAME, TREE);
		ch[0].newrdn = strdup("cn=Tree2");
		dn = level_dn("cn=Tree2," BASE, 1);
		for (n = 1; n <= LEAVES; n++)
			leaf(&ch[n], dn, 9, (int)n);
		apply_all(g, ch, n, "rename");
		cr_assert_eq(ldap_count_in(&env, "cn=Tree2," BASE, "sub",
		    "(objectClass=*)"), LEVELS * (LEAVES + 1) + LEAVES);
		/* everything deleted, deepest first, in one pipeline */
		for (n = 0; n < LEAVES; n++) {
			char *leafdn;

			cr_assert(asprintf(&leafdn, "cn=leaf 9.%zu,%s", n + 1,
			    dn) != -1);
			gw_change_init(&ch[n], GW_OP_DELETE, leafdn);
			free(leafdn);
		}
		free(dn);
		n += tree_deletes(ch + n, "cn=Tree2," BASE);
		apply_all(g, ch, n, "deletes");
		cr_assert_eq(ldap_count_in(&env, BASE, "sub", "(cn=Tree2)"), 0);
	}
	gal_close(g);
	conf_free(conf);
}

/* ---- every connector, into a container that is not there yet ---- */

#define LEGACY		"ou=Legacy,o=Contoso," SUFFIX

/* galgate init made them: gone again, children first (ldapdelete -r). */
static void
remove_tree(const struct env *e, const char *dn)
{
	struct out o = run("ldapdelete -Q -r -Y EXTERNAL -H '%s' '%s'",
	    e->uri, dn);

	cr_assert_eq(o.status, 0, "ldapdelete -r %s: %s", dn, o.text);
	out_free(&o);
	cr_assert_eq(ldap_count_in(e, SUFFIX, "sub", "(ou=Legacy)"), 0);
}

/*
 * What a cycle that had to create its containers leaves: every entry,
 * no refused write, and event 1010 for each container it made.
 */
static void
assert_made(const struct env *e, const char *con, const char *base,
    size_t containers, size_t entries, const char *out)
{
	cr_assert(strstr(out, "No such object") == NULL &&
	    strstr(out, "non-leaf") == NULL && strstr(out, " 0 errors") !=
	    NULL, "%s: %s", con, out);
	cr_assert_eq(ldap_count_in(e, base, "sub", "(objectClass=*)"),
	    containers + entries, "%s", con);
	cr_assert_eq(ldap_count_in(e, base, "sub", "(galgateConnector=*)"),
	    entries, "%s", con);
	cr_assert_eq(events_count(e, 1010, "created, to hold what the "
	    "connector writes"), containers, "%s", con);
}

Test(ordering, ccmail_creates_its_import_container_before_its_entries,
    .fini = teardown, .timeout = 120)
{
	char dir[160], name[64];
	struct ccm_import_result res;
	struct ccm *m;
	struct out o;
	int i;

	env_start(&env, "[connector cc]\ntype = ccmail\n"
	    "export_dir = @DIR@/export\nimport_dir = @DIR@/import\n"
	    "post_office = EXSITE1\n"
	    "import_container = /o=Contoso/ou=Legacy/cn=Imports/cn=ccMail\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n",
	    "--dbnosync");
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	remove_tree(&env, LEGACY);
	m = ccm_new("HQPO");
	cr_assert_eq(ccm_add_entry(m, "HUBPO2", 'P', NULL, NULL, NULL, NULL),
	    0);
	for (i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "Nested%03d, User", i);
		cr_assert_eq(ccm_add_entry(m, name, 'l', "HUBPO2", NULL, NULL,
		    NULL), 0);
	}
	snprintf(dir, sizeof(dir), "%s/export", env.dir);
	mkdir(dir, 0755);
	cr_assert_eq(ccm_export(m, dir), 0);
	snprintf(dir, sizeof(dir), "%s/import", env.dir);
	mkdir(dir, 0755);
	o = galgate(&env, "sync cc");
	cr_assert_eq(o.status, 0, "%s", o.text);
	assert_made(&env, "cc", LEGACY, 3, 150, o.text);
	out_free(&o);
	cr_assert_eq(ccm_import(m, dir, &res), 0);
	ccm_free(m);
}

Test(ordering, pcmail_creates_a_requestor_container_before_its_entries,
    .fini = teardown, .timeout = 120)
{
	char inbox[160], outbox[160], mbx[16], name[32];
	struct pcr *m;
	struct out o;
	char *subj;
	int i;

	env_start(&env, "[connector dirsync]\ntype = pcmail\n"
	    "network = CONTOSO\npostoffice = GALGATE\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
	    "transport = maildir\ninbox = @DIR@/in\noutbox = @DIR@/out\n"
	    "delete_threshold = 100%\n\n"
	    "[requestor CONTOSO/SEAPO1]\nconnector = dirsync\n"
	    "password_file = @DIR@/seapo1.secret\n"
	    "import_container = /o=Contoso/ou=Legacy/cn=MSMail/cn=SEAPO1\n"
	    "address = seapo1@contoso.example\n", "--dbnosync");
	free(env_file(&env, "seapo1.secret", "pw-one\n"));
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	remove_tree(&env, LEGACY);
	snprintf(inbox, sizeof(inbox), "%s/in", env.dir);
	snprintf(outbox, sizeof(outbox), "%s/out", env.dir);
	m = pcr_new("CONTOSO", "SEAPO1", "pw-one", "seapo1@contoso.example",
	    inbox, outbox);
	pcr_import_request(m);
	for (i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "Nested%03d, User", i);
		snprintf(mbx, sizeof(mbx), "NEST%03d", i);
		pcr_add(m, name, mbx, NULL);
	}
	free(pcr_send(m, "UPDATE"));
	o = galgate(&env, "sync dirsync");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "status");
	cr_assert(strstr(o.text, "150 added, 0 modified, 0 deleted, 0 skipped, "
	    "0 errors") != NULL, "%s", o.text);
	assert_made(&env, "dirsync", LEGACY, 3, 150, o.text);
	out_free(&o);
	subj = pcr_receive(m);
	cr_assert_not_null(subj);
	free(subj);
	pcr_free(m);
}

static void
teardown_pair(void)
{
	struct out o;

	env_stop(&branch);
	env_stop(&env);
	if (maildirs[0] != '\0') {
		o = run("rm -rf %s", maildirs);
		out_free(&o);
		maildirs[0] = '\0';
	}
}

static void
add_users(const struct env *e, const char *container, const char *domain,
    int n)
{
	char ldif[512];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(ldif, sizeof(ldif), "dn: cn=u%03d,%s\nchangetype: add\n"
		    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
		    "cn: u%03d\nsn: User\ndisplayName: User %03d\n"
		    "mail: u%03d@%s\n", i, container, i, i, i, domain);
		cr_assert_eq(ldap_apply(e, ldif), 0);
	}
}

Test(ordering, interorg_creates_import_containers_before_their_entries,
    .fini = teardown_pair, .timeout = 120)
{
	char *conf;
	struct out o;

	strcpy(maildirs, "/tmp/gg-oXXXXXX");
	cr_assert_not_null(mkdtemp(maildirs));
	cr_assert(asprintf(&conf, "[connector io-master]\ntype = interorg\n"
	    "role = master\naddress = master@hq.example.com\n"
	    "export_container = /o=HQ/ou=NYC/cn=Recipients\n"
	    "transport = maildir\ninbox = %s/master\noutbox = %s/req\n\n"
	    "[requestor req@branch.example.com]\nconnector = io-master\n"
	    "secret_file = %s/io.secret\n"
	    "import_container = /o=HQ/ou=Legacy/cn=Branches/cn=Branch1\n",
	    maildirs, maildirs, maildirs) != -1);
	o = run("printf 'io-shared-secret\\n' > %s/io.secret && chmod 600 "
	    "%s/io.secret", maildirs, maildirs);
	out_free(&o);
	env_start_org(&env, "HQ", "NYC", conf);
	free(conf);
	cr_assert(asprintf(&conf, "[connector io-branch]\ntype = interorg\n"
	    "role = requestor\naddress = req@branch.example.com\n"
	    "master_address = master@hq.example.com\n"
	    "secret_file = %s/io.secret\n"
	    "export_container = /o=BRANCH/ou=SEATTLE/cn=Recipients\n"
	    "import_container = /o=BRANCH/ou=Legacy/cn=Imports/cn=InterOrg\n"
	    "transport = maildir\ninbox = %s/req\noutbox = %s/master\n",
	    maildirs, maildirs, maildirs) != -1);
	env_start_org(&branch, "BRANCH", "SEATTLE", conf);
	free(conf);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&branch, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	remove_tree(&env, "ou=Legacy,o=HQ," SUFFIX);
	remove_tree(&branch, "ou=Legacy,o=BRANCH," SUFFIX);
	add_users(&env, "cn=Recipients,ou=NYC,o=HQ," SUFFIX, "hq.example.com",
	    150);
	add_users(&branch, "cn=Recipients,ou=SEATTLE,o=BRANCH," SUFFIX,
	    "branch.example.com", 150);
	/* the branch sends, the master applies and replies, the branch applies */
	o = galgate(&branch, "sync io-branch");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "sync io-master");
	cr_assert_eq(o.status, 0, "%s", o.text);
	assert_made(&env, "io-master", "ou=Legacy,o=HQ," SUFFIX, 3, 150,
	    o.text);
	out_free(&o);
	o = galgate(&branch, "sync io-branch");
	cr_assert_eq(o.status, 0, "%s", o.text);
	assert_made(&branch, "io-branch", "ou=Legacy,o=BRANCH," SUFFIX, 3, 150,
	    o.text);
	out_free(&o);
}
