/*
 * Crash consistency of the InterOrg connector (crash.h): a master
 * organization and a requestor organization, each with its own slapd,
 * exchanging IOSYNC-1 batches (split into parts) through Maildirs.
 * Before the round: a master reply with changes waits in the requestor's
 * mailbox, and both GALs have changes of their own.  One round is the
 * requestor's cycle, the master's, the requestor's again.  The first
 * requestor cycle, and then the master's cycle, are killed at every
 * failpoint they pass and rerun, and the round is finished.  Each time:
 *
 *   - right after the kill, every message in a mailbox is whole (the
 *     rerun's cycles refuse none: no event 4004 or 4005);
 *   - the reruns succeed;
 *   - both GALs equal those of the clean round (normalized LDIF), both
 *     journals have no USN gap or repeat and end in the clean round's
 *     state: no change lost, none applied twice in effect.
 *
 * GALGATE_CRASH_FULL=1: larger GALs and batches, every ldap-write pass
 * among the first 80.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "crash.h"

#define HQ_RCPT		"cn=Recipients,ou=NYC,o=HQ," SUFFIX
#define B1_RCPT		"cn=Recipients,ou=SEATTLE,o=BRANCH," SUFFIX
#define MASTER		"master@hq.example.com"
#define REQ1		"requestor@branch.example.com"

struct sizes {
	size_t	hq, b1;				/* recipients before */
	size_t	hq_add, hq_mod, hq_del;		/* each master change set */
	size_t	b1_add, b1_mod, b1_del;
	unsigned long ldap_full;
};

static const struct sizes normal = { 400, 300, 80, 40, 40, 120, 60, 60, 0 };
static const struct sizes full = { 8000, 5000, 800, 400, 400, 1000, 500, 500,
    80 };

static struct env hq, b1;
static const char *const hq_paths[] = { "mail", NULL };
static const char *const b1_paths[] = { NULL };

static void
teardown(void)
{
	env_stop(&hq);
	env_stop(&b1);
}

/* A private slapd (--dbnosync) and galgate.conf for one organization. */
static void
org_start(struct env *e, const char *dir, const char *org, const char *site,
    const char *conf_tail)
{
	char conf[4096];
	struct out r;
	size_t len;

	memset(e, 0, sizeof(*e));
	if (dir != NULL)
		snprintf(e->dir, sizeof(e->dir), "%s", dir);
	else {
		strcpy(e->dir, "/tmp/gg-XXXXXX");
		cr_assert_not_null(mkdtemp(e->dir));
	}
	snprintf(conf, sizeof(conf), "[gal]\nsuffix = " SUFFIX "\norganization "
	    "= %s\nsite = %s\nstate_dir = %s\n\n%s", org, site, e->dir,
	    conf_tail);
	free(env_file(e, "galgate.conf", conf));
	snprintf(e->conf, sizeof(e->conf), "%s/galgate.conf", e->dir);
	r = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd start %s --conf %s "
	    CRASH_SLAPD_OPTS, e->dir, e->conf);
	cr_assert_eq(r.status, 0, "slapd did not start: %s", r.text);
	len = strcspn(r.text, "\n");
	memcpy(e->uri, r.text, len);
	e->uri[len] = '\0';
	e->started = 1;
	out_free(&r);
	r = galgate(e, "init");
	cr_assert_eq(r.status, 0, "init: %s", r.text);
	out_free(&r);
}

static void
person(struct gw_buf *b, const char *container, const char *pfx, size_t i,
    const char *domain)
{
	crash_ldif_add(b, "dn: cn=%s%05zu,%s\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: %s%05zu\nsn: Person%05zu\ngivenName: %s\n"
	    "displayName: Person%05zu, %s\nmail: %s%05zu@%s\n"
	    "telephoneNumber: +1 212 555 %04zu\ntitle: Title %zu\n\n", pfx, i,
	    container, pfx, i, i, pfx, i, pfx, pfx, i, domain, i % 10000,
	    i % 9);
}

static void
changes(struct gw_buf *b, const char *container, const char *pfx,
    const char *domain, size_t *next, size_t add, size_t mod, size_t del,
    size_t round)
{
	size_t i;

	for (i = 0; i < mod; i++)
		crash_ldif_add(b, "dn: cn=%s%05zu,%s\nchangetype: modify\nreplace: "
		    "title\ntitle: Round %zu\n-\nreplace: telephoneNumber\n"
		    "telephoneNumber: +1 646 555 %04zu\n\n", pfx, i * 4 + round,
		    container, round, i);
	for (i = 0; i < del; i++)
		crash_ldif_add(b, "dn: cn=%s%05zu,%s\nchangetype: delete\n\n", pfx,
		    i * 4 + 2 + round, container);
	for (i = 0; i < add; i++)
		person(b, container, pfx, (*next)++, domain);
}

static void
cycle(struct env *e, const char *con, const char *what)
{
	struct crash_result r;

	crash_galgate(e, NULL, 0, con, &r);
	cr_assert_eq(r.status, 0, "%s: %s: %s%s", what, con, r.out, r.err);
	crash_result_free(&r);
}

/* No message was refused as forged or broken in either organization. */
static void
none_refused(const char *what)
{
	struct env *all[2] = { &hq, &b1 };
	char path[192], *ev;
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events.jsonl", all[i]->dir);
		ev = crash_slurp(path, NULL);
		cr_assert(ev == NULL || (strstr(ev, "\"event_id\":4004,") ==
		    NULL && strstr(ev, "\"event_id\":4005,") == NULL &&
		    strstr(ev, "\"event_id\":4008,") == NULL), "%s: a message "
		    "was refused, or a write: %s", what, ev);
		free(ev);
	}
}

struct outcome {
	char	*gal[2];
	char	*jrn[2];
};

static void
outcome_read(struct outcome *o, const char *what)
{
	o->gal[0] = crash_gal_dump(&hq);
	o->gal[1] = crash_gal_dump(&b1);
	o->jrn[0] = crash_journal_state(&hq, what, NULL);
	o->jrn[1] = crash_journal_state(&b1, what, NULL);
}

static void
outcome_check(const struct outcome *want, const char *what)
{
	struct outcome got;
	char w[240];
	int i;

	outcome_read(&got, what);
	for (i = 0; i < 2; i++) {
		snprintf(w, sizeof(w), "%.200s (%s)", what, i == 0 ? "master" :
		    "requestor");
		crash_gal_assert_eq(want->gal[i], got.gal[i], w);
		crash_journal_assert_eq(want->jrn[i], got.jrn[i], w);
		free(got.gal[i]);
		free(got.jrn[i]);
	}
}

/* Kills the cycle at every point, reruns it, finishes the round. */
static size_t
crash_points_run(struct env *e, const char *con, const char *snap,
    const struct crash_points *pts,
    const char *const *after, const struct outcome *want, double *secs)
{
	size_t i, k;
	char what[200];
	double ts;

	for (i = 0; i < pts->n; i++) {
		snprintf(what, sizeof(what), "%s killed at %s:%lu", con,
		    pts->v[i].name, pts->v[i].count);
		cr_log_info("crash_interorg: %s", what);
		ts = crash_now();
		crash_restore(&hq, snap, hq_paths);
		crash_restore(&b1, snap, b1_paths);
		crash_kill_at(e, &pts->v[i], con);
		none_refused(what);
		cycle(e, con, what);
		for (k = 0; after[k] != NULL; k += 2)
			cycle(after[k][0] == 'm' ? &hq : &b1, after[k + 1],
			    what);
		none_refused(what);
		outcome_check(want, what);
		*secs += crash_now() - ts;
	}
	return pts->n;
}

static void
points_for(struct crash_points *pts, const struct crash_trace *t,
    const char *const *named, unsigned long ldap_full)
{
	size_t i;

	memset(pts, 0, sizeof(*pts));
	crash_points_every(pts, t, "state-before-commit", 100);
	crash_points_every(pts, t, "state-committed", 100);
	if (crash_trace_passes(t, "ldap-write") > 0)
		crash_points_spread(pts, t, "ldap-write", ldap_full);
	crash_points_every(pts, t, "mail-before-send", 3);
	crash_points_every(pts, t, "mail-sent", 3);
	crash_points_every(pts, t, "mail-before-done", 3);
	crash_points_add(pts, t, "file-renamed", 1);
	for (i = 0; named[i] != NULL; i++)
		crash_points_every(pts, t, named[i], 2);
}

Test(crash_interorg, killed_anywhere_the_round_ends_as_the_clean_one,
    .fini = teardown, .timeout = 3600)
{
	const struct sizes *sz = crash_full() ? &full : &normal;
	static const char *const r_named[] = { "interorg-after-apply",
	    "interorg-after-send", NULL };
	static const char *const m_named[] = { "interorg-master-after-apply",
	    "interorg-master-replying", "interorg-master-after-send", NULL };
	static const char *const after_r1[] = { "m", "sync io-master", "r",
	    "sync io-branch", NULL };
	static const char *const after_m[] = { "r", "sync io-branch", NULL };
	struct gw_buf b;
	struct crash_result r;
	struct crash_trace tr_r, tr_m;
	struct crash_points pr, pm;
	struct outcome want;
	char conf[2048], *s;
	size_t hq_next, b1_next, n = 0;
	double t0 = crash_now(), secs_r = 0, secs_m = 0;
	int i;

	gw_buf_init(&b, 0);
	/* the master organization holds the mail folders and secrets */
	strcpy(hq.dir, "/tmp/gg-XXXXXX");
	cr_assert_not_null(mkdtemp(hq.dir));
	free(env_file(&hq, "b1.secret", "branch-shared-secret-0123456789\n"));
	snprintf(conf, sizeof(conf), "[connector io-master]\ntype = interorg\n"
	    "role = master\naddress = " MASTER "\n"
	    "export_container = /o=HQ/ou=NYC/cn=Recipients\n"
	    "max_message_size = 16K\ndelete_threshold = 100%%\n"
	    "transport = maildir\ninbox = %s/mail/master\n"
	    "outbox = %s/mail/requestor\n\n"
	    "[requestor " REQ1 "]\nconnector = io-master\n"
	    "secret_file = %s/b1.secret\n"
	    "import_container = /o=HQ/ou=NYC/cn=Branch\n", hq.dir, hq.dir,
	    hq.dir);
	s = strdup(hq.dir);
	org_start(&hq, s, "HQ", "NYC", conf);
	snprintf(conf, sizeof(conf), "[connector io-branch]\ntype = interorg\n"
	    "role = requestor\naddress = " REQ1 "\nmaster_address = " MASTER
	    "\nsecret_file = %s/b1.secret\n"
	    "export_container = /o=BRANCH/ou=SEATTLE/cn=Recipients\n"
	    "import_container = /o=BRANCH/ou=SEATTLE/cn=InterOrg\n"
	    "max_message_size = 16K\ndelete_threshold = 100%%\n"
	    "transport = maildir\ninbox = %s/mail/requestor\n"
	    "outbox = %s/mail/master\n", s, s, s);
	org_start(&b1, NULL, "BRANCH", "SEATTLE", conf);
	free(s);

	/* the base: both organizations in sync */
	for (hq_next = 0; hq_next < sz->hq; hq_next++)
		person(&b, HQ_RCPT, "h", hq_next, "hq.example.com");
	crash_ldif_apply(&hq, &b);
	for (b1_next = 0; b1_next < sz->b1; b1_next++)
		person(&b, B1_RCPT, "b", b1_next, "branch.example.com");
	crash_ldif_apply(&b1, &b);
	for (i = 0; i < 2; i++) {
		cycle(&b1, "sync io-branch", "base");
		cycle(&hq, "sync io-master", "base");
	}
	cycle(&b1, "sync io-branch", "base");
	/* a master reply with changes waits; both sides change again */
	changes(&b, HQ_RCPT, "h", "hq.example.com", &hq_next, sz->hq_add,
	    sz->hq_mod, sz->hq_del, 0);
	crash_ldif_apply(&hq, &b);
	cycle(&b1, "sync io-branch", "base");
	cycle(&hq, "sync io-master", "base");
	changes(&b, HQ_RCPT, "h", "hq.example.com", &hq_next, sz->hq_add,
	    sz->hq_mod, sz->hq_del, 1);
	crash_ldif_apply(&hq, &b);
	changes(&b, B1_RCPT, "b", "branch.example.com", &b1_next, sz->b1_add,
	    sz->b1_mod, sz->b1_del, 0);
	crash_ldif_apply(&b1, &b);
	gw_buf_release(&b);
	crash_snapshot(&hq, "r1", hq_paths);
	crash_snapshot(&b1, "r1", b1_paths);
	cr_log_info("crash_interorg: base of %zu + %zu recipients in %.1f s",
	    sz->hq, sz->b1, crash_now() - t0);

	/* the clean round, traced */
	crash_galgate(&b1, NULL, 1, "sync io-branch", &r);
	cr_assert_eq(r.status, 0, "clean round: %s%s", r.out, r.err);
	crash_trace_read(r.err, &tr_r);
	crash_result_free(&r);
	crash_snapshot(&hq, "m", hq_paths);
	crash_snapshot(&b1, "m", b1_paths);
	crash_galgate(&hq, NULL, 1, "sync io-master", &r);
	cr_assert_eq(r.status, 0, "clean round: %s%s", r.out, r.err);
	crash_trace_read(r.err, &tr_m);
	crash_result_free(&r);
	cycle(&b1, "sync io-branch", "clean round");
	none_refused("clean round");
	outcome_read(&want, "clean round");
	/* the round moved both ways */
	cr_assert(strstr(want.gal[1], "dn: cn=h" ) != NULL);

	points_for(&pr, &tr_r, r_named, sz->ldap_full);
	points_for(&pm, &tr_m, m_named, sz->ldap_full);
	cr_assert(pr.n >= 8 && pm.n >= 8, "%zu and %zu crash points", pr.n,
	    pm.n);
	crash_points_select(&pr, &tr_r);
	crash_points_select(&pm, &tr_m);
	cr_assert(pr.n + pm.n > 0, "GALGATE_CRASH_POINTS: no point either "
	    "clean run passes");
	s = crash_points_str(&pr);
	cr_log_info("crash_interorg: requestor points %s", s);
	free(s);
	s = crash_points_str(&pm);
	cr_log_info("crash_interorg: master points %s", s);
	free(s);
	n += crash_points_run(&b1, "sync io-branch", "r1", &pr, after_r1,
	    &want, &secs_r);
	n += crash_points_run(&hq, "sync io-master", "m", &pm, after_m, &want,
	    &secs_m);
	cr_log_info("crash_interorg: %zu crash points (requestor %zu, %zu "
	    "failpoints, %.1f s; master %zu, %zu failpoints, %.1f s), %zu + "
	    "%zu recipients, %.1f s in all", n, pr.n, crash_points_names(&pr),
	    secs_r, pm.n, crash_points_names(&pm), secs_m, hq_next, b1_next,
	    crash_now() - t0);
	for (i = 0; i < 2; i++) {
		free(want.gal[i]);
		free(want.jrn[i]);
	}
	crash_points_free(&pr);
	crash_points_free(&pm);
	crash_trace_free(&tr_r);
	crash_trace_free(&tr_m);
}
