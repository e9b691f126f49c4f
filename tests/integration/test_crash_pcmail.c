/*
 * Crash consistency of the Microsoft Mail dir-sync connector (crash.h):
 * two requestor postoffices (pcmail_model.c) in sync with a GAL, then one
 * cycle with both requestors' updates (adds, two-line modifies with
 * templates, deletes), a status report and GAL-side changes, killed at
 * every failpoint it passes and rerun.  Each time:
 *
 *   - right after the kill, every reply in the outbox is complete (its
 *     "n sent" is the number of transactions its body holds);
 *   - the rerun succeeds with no errors and leaves no message unhandled;
 *   - the GAL equals the clean run's (normalized LDIF), the journal has
 *     no USN gap or repeat and ends in the clean run's state;
 *   - each requestor finds exactly one reply with transactions (a rerun
 *     after its numbers moved adds one with none), and applying the
 *     outbox to it (T3) gives its copy of the GAL, ReqSync and queue of
 *     the clean run: no change lost, none applied twice.
 *
 * GALGATE_CRASH_FULL=1: a larger GAL and update, every ldap-write pass
 * among the first 150.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "crash.h"
#include "pcmail_model.h"

static const char *conf_text =
    "[connector dirsync]\n"
    "type = pcmail\n"
    "network = CONTOSO\n"
    "postoffice = GALGATE\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "transport = maildir\n"
    "inbox = @DIR@/in\n"
    "outbox = @DIR@/out\n"
    "address = galgate-dirsync@contoso.example\n"
    "delete_threshold = 100%\n"
    "\n"
    "[requestor CONTOSO/SEAPO1]\n"
    "connector = dirsync\n"
    "password_file = @DIR@/seapo1.secret\n"
    "types = PCM|SMTP\n"
    "templates = yes\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
    "address = seapo1-dirsync@contoso.example\n"
    "\n"
    "[requestor CONTOSO/SEAPO2]\n"
    "connector = dirsync\n"
    "password_file = @DIR@/seapo2.secret\n"
    "types = PCM\n"
    "import_container = /o=Contoso/ou=HQ/cn=SEAPO2\n"
    "address = seapo2-dirsync@contoso.example\n";

static const char *const snap_paths[] = { "in", "out", NULL };

struct sizes {
	size_t	gal, u1, u2;			/* before the cycle */
	size_t	add1, mod1, del1, add2, mod2, del2;	/* requestors */
	size_t	gal_add, gal_mod, gal_del;		/* the GAL */
	unsigned long ldap_full;
};

static const struct sizes normal = {
	600, 500, 200, 150, 150, 150, 50, 50, 50, 100, 50, 50, 0
};
static const struct sizes full = {
	10000, 6000, 2000, 1000, 1000, 1000, 300, 300, 300, 1000, 500, 500,
	150
};

static struct env env;

static void
teardown(void)
{
	env_stop(&env);
}

static void
gal_add(struct gw_buf *b, size_t i)
{
	crash_ldif_add(b, "dn: cn=p%05zu," RCPT "\nchangetype: add\n"
	    "objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
	    "cn: p%05zu\nsn: Person%05zu\ndisplayName: Gal%05zu, Person\n"
	    "mailNickname: p%05zu\ntelephoneNumber: +1 425 555 %04zu\n"
	    "title: Title %zu\n\n", i, i, i, i, i, i % 10000, i % 7);
}

/* Requestor user i of a postoffice: name and mailbox. */
static void
user(char pfx, size_t i, char *name, size_t nlen, char *mbx, size_t mlen)
{
	snprintf(name, nlen, "Req%c User%05u", pfx, (unsigned)(i % 100000));
	snprintf(mbx, mlen, "%c%05u", pfx, (unsigned)(i % 100000));
}

static void
add_users(struct pcr *m, char pfx, size_t from, size_t n)
{
	char name[64], mbx[16], tpl[128];
	size_t i;

	for (i = from; i < from + n; i++) {
		user(pfx, i, name, sizeof(name), mbx, sizeof(mbx));
		snprintf(tpl, sizeof(tpl), "- Phone:/(425) 555-%04zu\r\n"
		    "- Department:/Dept %zu\r\n", i % 10000, i % 13);
		pcr_add(m, name, mbx, i % 3 == 0 ? tpl : NULL);
	}
}

static void
sync_ok(const char *what, struct crash_result *r)
{
	crash_galgate(&env, NULL, 0, "sync dirsync", r);
	cr_assert_eq(r->status, 0, "%s: sync: %s%s", what, r->out, r->err);
}

/*
 * Every message in the outbox is whole: a SrvTx's "n sent" is the number
 * of transactions its body (or attachment) holds.
 */
static void
outbox_whole(const char *what)
{
	char dir[192], path[512], *raw, *subj, *p;
	char **names;
	unsigned long n, r, s, was, i;
	size_t k, lines;

	snprintf(dir, sizeof(dir), "%s/out/new", env.dir);
	names = crash_listdir(dir);
	for (k = 0; names[k] != NULL; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
		raw = crash_slurp(path, NULL);
		cr_assert_not_null(raw);
		subj = strstr(raw, "\r\nSubject: ");
		cr_assert_not_null(subj, "%s: %s has no subject", what,
		    names[k]);
		if (strncmp(subj + 11, "SrvTx ERROR", 11) != 0) {
			cr_assert_eq(sscanf(subj + 11, "SrvTx R=%lu S=%lu (was "
			    "%lu), I=%lu %lu sent", &r, &s, &was, &i, &n), 5,
			    "%s: %s: subject %.80s", what, names[k], subj + 11);
			p = strstr(raw, "[DIRSYNC-TRANSACTIONS]\r\n");
			cr_assert_not_null(p, "%s: %s is cut short", what,
			    names[k]);
			/* numbered transaction lines: 10 digits, a space */
			for (lines = 0; (p = strchr(p, '\n')) != NULL; ) {
				p++;
				if (strspn(p, "0123456789") == 10 && p[10] == ' ')
					lines++;
			}
			cr_assert_eq(lines, n, "%s: %s says %lu sent and holds "
			    "%zu transactions", what, names[k], n, lines);
		}
		free(raw);
	}
	crash_strv_free(names);
}

/*
 * The requestor's T3 on a copy: its state, and how many of the replies
 * that came carry transactions ("n sent" not 0).
 */
static char *
receive(const struct pcr *pre, size_t *nreplies)
{
	struct pcr *c = pcr_clone(pre);
	char *subjects = pcr_receive(c), *dump, *line;
	unsigned long r, s, was, i, n;

	*nreplies = 0;
	for (line = subjects; line != NULL && *line != '\0';
	    line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0'))
		if (sscanf(line, "SrvTx R=%lu S=%lu (was %lu), I=%lu %lu sent",
		    &r, &s, &was, &i, &n) == 5 && n > 0)
			(*nreplies)++;
	dump = pcr_dump(c);
	free(subjects);
	pcr_free(c);
	return dump;
}

static size_t
messages_in(const char *sub)
{
	char dir[192];
	char **names;
	size_t n;

	snprintf(dir, sizeof(dir), "%s/in/%s", env.dir, sub);
	names = crash_listdir(dir);
	for (n = 0; names[n] != NULL; n++)
		;
	crash_strv_free(names);
	return n;
}

Test(crash_pcmail, killed_anywhere_the_cycle_reruns_to_the_clean_result,
    .fini = teardown, .timeout = 3600)
{
	const struct sizes *sz = crash_full() ? &full : &normal;
	struct crash_result r;
	struct crash_trace trace;
	struct crash_points pts;
	struct gw_buf ldif;
	struct pcr *m1, *m2;
	char in[128], out[128], what[160], name[64], mbx[16];
	char *gal_ref, *jrn_ref, *ref1, *ref2, *got, *t;
	size_t i, n1, n2;
	double t0 = crash_now(), tp, ts, tm[6] = { 0, 0, 0, 0, 0, 0 };
	struct out o;

	gw_buf_init(&ldif, 0);
	env_start(&env, conf_text, CRASH_SLAPD_OPTS);
	free(env_file(&env, "seapo1.secret", "s3cret-one\n"));
	free(env_file(&env, "seapo2.secret", "s3cret-two\n"));
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	snprintf(in, sizeof(in), "%s/in", env.dir);
	snprintf(out, sizeof(out), "%s/out", env.dir);
	m1 = pcr_new("CONTOSO", "SEAPO1", "s3cret-one",
	    "seapo1-dirsync@contoso.example", in, out);
	m2 = pcr_new("CONTOSO", "SEAPO2", "s3cret-two",
	    "seapo2-dirsync@contoso.example", in, out);

	/* the base: both requestors and the GAL in sync */
	for (i = 0; i < sz->gal; i++)
		gal_add(&ldif, i);
	crash_ldif_apply(&env, &ldif);
	pcr_import_request(m1);
	add_users(m1, '1', 0, sz->u1);
	free(pcr_send(m1, "UPDATE"));
	pcr_import_request(m2);
	add_users(m2, '2', 0, sz->u2);
	free(pcr_send(m2, "UPDATE"));
	sync_ok("base", &r);
	crash_result_free(&r);
	free(pcr_receive(m1));
	free(pcr_receive(m2));
	cr_assert_eq(pcr_count(m1), sz->gal + sz->u2);
	cr_assert_eq(pcr_count(m2), sz->gal + sz->u1);
	cr_log_info("crash_pcmail: base of %zu GAL recipients and %zu + %zu "
	    "requestor users in %.1f s", sz->gal, sz->u1, sz->u2,
	    crash_now() - t0);

	/* the cycle's input */
	for (i = 0; i < sz->mod1; i++) {
		user('1', i * 3, name, sizeof(name), mbx, sizeof(mbx));
		snprintf(name, sizeof(name), "Req1 Renamed%05zu", i);
		pcr_modify(m1, mbx, name, i % 2 ? "- Phone:/(206) 555-0100\r\n"
		    : NULL);
	}
	for (i = 0; i < sz->del1; i++) {
		user('1', i * 3 + 1, name, sizeof(name), mbx, sizeof(mbx));
		pcr_delete(m1, mbx);
	}
	add_users(m1, '1', sz->u1, sz->add1);
	free(pcr_send(m1, "UPDATE"));
	for (i = 0; i < sz->mod2; i++) {
		user('2', i * 3, name, sizeof(name), mbx, sizeof(mbx));
		snprintf(name, sizeof(name), "Req2 Renamed%05zu", i);
		pcr_modify(m2, mbx, name, NULL);
	}
	for (i = 0; i < sz->del2; i++) {
		user('2', i * 3 + 1, name, sizeof(name), mbx, sizeof(mbx));
		pcr_delete(m2, mbx);
	}
	add_users(m2, '2', sz->u2, sz->add2);
	free(pcr_send(m2, "UPDATE"));
	pcr_send_raw(m2, "Status report from CONTOSO/SEAPO2",
	    "DSSERVER.LOG\r\nDir-sync cycle complete.\r\n");
	for (i = 0; i < sz->gal_add; i++)
		gal_add(&ldif, sz->gal + i);
	for (i = 0; i < sz->gal_mod; i++)
		crash_ldif_add(&ldif, "dn: cn=p%05zu," RCPT "\nchangetype: modify\n"
		    "replace: displayName\ndisplayName: Gal%05zu, Married\n-\n"
		    "replace: telephoneNumber\ntelephoneNumber: +1 206 555 "
		    "%04zu\n\n", i * 3, i * 3, i);
	for (i = 0; i < sz->gal_del; i++)
		crash_ldif_add(&ldif, "dn: cn=p%05zu," RCPT "\nchangetype: delete\n\n",
		    i * 3 + 1);
	crash_ldif_apply(&env, &ldif);
	gw_buf_release(&ldif);
	crash_snapshot(&env, "pre", snap_paths);

	/* the clean run */
	tp = crash_now();
	crash_galgate(&env, NULL, 1, "sync dirsync", &r);
	cr_assert_eq(r.status, 0, "clean run: %s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, ", 0 errors"), "%s", r.out);
	crash_trace_read(r.err, &trace);
	cr_log_info("crash_pcmail: clean cycle %.1f s: %s", crash_now() - tp,
	    r.out);
	crash_result_free(&r);
	outbox_whole("clean run");
	gal_ref = crash_gal_dump(&env);
	jrn_ref = crash_journal_state(&env, "clean run", NULL);
	ref1 = receive(m1, &n1);
	ref2 = receive(m2, &n2);
	cr_assert(n1 == 1 && n2 == 1, "clean run: %zu and %zu replies", n1,
	    n2);
	cr_assert_eq(messages_in("new") + messages_in("cur"), 0);

	memset(&pts, 0, sizeof(pts));
	crash_points_every(&pts, &trace, "state-before-commit", 100);
	crash_points_every(&pts, &trace, "state-committed", 100);
	crash_points_add(&pts, &trace, "pcmail-planned", 1);
	crash_points_spread(&pts, &trace, "ldap-write", sz->ldap_full);
	crash_points_add(&pts, &trace, "pcmail-applied", 1);
	crash_points_every(&pts, &trace, "mail-before-send", 10);
	crash_points_every(&pts, &trace, "file-written", 2);
	crash_points_every(&pts, &trace, "file-renamed", 2);
	crash_points_every(&pts, &trace, "mail-sent", 10);
	crash_points_every(&pts, &trace, "pcmail-after-send", 10);
	crash_points_every(&pts, &trace, "pcmail-committed", 10);
	crash_points_every(&pts, &trace, "mail-before-done", 10);
	cr_assert(pts.n >= 8, "only %zu crash points", pts.n);
	crash_points_select(&pts, &trace);
	cr_assert(pts.n > 0, "GALGATE_CRASH_POINTS: no point the clean run "
	    "passes");
	t = crash_points_str(&pts);
	cr_log_info("crash_pcmail: points %s", t);
	free(t);

	for (i = 0; i < pts.n; i++) {
		const struct crash_point *p = &pts.v[i];
		size_t k1, k2;

		snprintf(what, sizeof(what), "killed at %s:%lu", p->name,
		    p->count);
		cr_log_info("%s: %s", "crash_pcmail", what);
		ts = crash_now();
		crash_restore(&env, "pre", snap_paths);
		tm[0] += crash_now() - ts;
		ts = crash_now();
		crash_kill_at(&env, p, "sync dirsync");
		outbox_whole(what);
		tm[1] += crash_now() - ts;

		ts = crash_now();
		sync_ok(what, &r);
		cr_assert_not_null(strstr(r.out, ", 0 errors"), "%s: the rerun "
		    "had errors: %s", what, r.out);
		crash_result_free(&r);
		tm[2] += crash_now() - ts;
		ts = crash_now();
		cr_assert_eq(messages_in("new") + messages_in("cur"), 0,
		    "%s: messages left unhandled in the inbox", what);
		outbox_whole(what);
		got = crash_gal_dump(&env);
		crash_gal_assert_eq(gal_ref, got, what);
		free(got);
		tm[3] += crash_now() - ts;
		ts = crash_now();
		got = crash_journal_state(&env, what, NULL);
		crash_journal_assert_eq(jrn_ref, got, what);
		free(got);
		tm[5] += crash_now() - ts;
		ts = crash_now();
		got = receive(m1, &k1);
		cr_assert_eq(k1, 1, "%s: SEAPO1 got %zu replies with "
		    "transactions", what, k1);
		cr_assert_str_eq(got, ref1, "%s: SEAPO1 differs from the clean "
		    "run", what);
		free(got);
		got = receive(m2, &k2);
		cr_assert_eq(k2, 1, "%s: SEAPO2 got %zu replies with "
		    "transactions", what, k2);
		cr_assert_str_eq(got, ref2, "%s: SEAPO2 differs from the clean "
		    "run", what);
		free(got);
		tm[4] += crash_now() - ts;
	}
	cr_log_info("crash_pcmail: seconds in restore %.1f, killed runs %.1f, "
	    "reruns %.1f, GAL dumps %.1f, journal %.1f, requestors %.1f",
	    tm[0], tm[1], tm[2], tm[3], tm[5], tm[4]);
	cr_log_info("crash_pcmail: %zu crash points (%zu failpoints), %zu GAL "
	    "recipients, %zu + %zu requestor users, %.1f s in all", pts.n,
	    crash_points_names(&pts), sz->gal + sz->gal_add, sz->u1 + sz->add1,
	    sz->u2 + sz->add2, crash_now() - t0);
	crash_points_free(&pts);
	crash_trace_free(&trace);
	free(gal_ref);
	free(jrn_ref);
	free(ref1);
	free(ref2);
	pcr_free(m1);
	pcr_free(m2);
}
