/*
 * galgate run: schedules, Execute Now through the control socket, cycles
 * that never overlap, retries while the LDAP server is down, SIGHUP and
 * SIGTERM, metrics and the audit LDIF.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define CC1	"cn=cc1," BASE
#define CC2	"cn=cc2," BASE

static struct env env;
static pid_t daemon_pid;

/*
 * How long a test waits for a condition before it fails: the daemon runs
 * every 2 s, but a loaded machine (tests/run.sh --repeat) may take many
 * periods.  Every wait ends as soon as its condition holds.
 */
#define PATIENCE	60.0

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *conf_text =
    "[connector cc1]\ntype = ccmail\nexport_dir = @DIR@/e1\n"
    "import_dir = @DIR@/i1\npost_office = GW1\n"
    "import_container = /o=Contoso/ou=HQ/cn=cc1\nschedule = every 2s\n"
    "\n[connector cc2]\ntype = ccmail\nexport_dir = @DIR@/e2\n"
    "import_dir = @DIR@/i2\npost_office = GW2\n"
    "import_container = /o=Contoso/ou=HQ/cn=cc2\nschedule = every 2s\n";

static void
write_export(const char *sub, const char *users)
{
	char path[256];
	FILE *fp;
	const char *kinds[] = { "Ccmdir.exp", "directory", "Ccmlist.exp",
	    "lists", "Ccmbb.exp", "bboards" };
	int i;

	for (i = 0; i < 6; i += 2) {
		/* write, then rename: the daemon may read at any moment */
		snprintf(path, sizeof(path), "%s/%s/%s.tmp", env.dir, sub,
		    kinds[i]);
		fp = fopen(path, "wb");
		cr_assert_not_null(fp);
		fprintf(fp, "CCDIR: 1\r\nKind: %s\r\nPostOffice: HQPO\r\n"
		    "Codepage: CP850\r\n", kinds[i + 1]);
		if (i == 0)
			fputs(users, fp);
		fclose(fp);
		{
			char dst[256];

			snprintf(dst, sizeof(dst), "%s/%s/%s", env.dir, sub,
			    kinds[i]);
			cr_assert_eq(rename(path, dst), 0);
		}
	}
}

static void
setup(void)
{
	struct out o;
	char d[256];
	const char *sub[] = { "e1", "e2", "i1", "i2" };
	double t0;
	int i;

	env_start(&env, conf_text, NULL);
	for (i = 0; i < 4; i++) {
		snprintf(d, sizeof(d), "%s/%s", env.dir, sub[i]);
		mkdir(d, 0755);
	}
	write_export("e1", "");
	write_export("e2", "");
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	daemon_pid = fork();
	cr_assert_neq(daemon_pid, -1);
	if (daemon_pid == 0) {
		char log[256];

		snprintf(log, sizeof(log), "%s/daemon.log", env.dir);
		freopen(log, "w", stdout);
		freopen(log, "a", stderr);
		execl(GALGATE_BINARY, "galgate", "-c", env.conf, "run",
		    (char *)NULL);
		_exit(127);
	}
	/* the daemon answers once its socket is there */
	for (t0 = now(); now() - t0 < PATIENCE;) {
		o = galgate(&env, "status");
		if (strstr(o.text, "daemon: running") != NULL) {
			out_free(&o);
			return;
		}
		out_free(&o);
		usleep(20000);
	}
	cr_assert_fail("the daemon did not come up");
}

static void
teardown(void)
{
	int st;

	if (daemon_pid > 0 && waitpid(daemon_pid, &st, WNOHANG) == 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, &st, 0);
	}
	daemon_pid = 0;
	env_stop(&env);
}

static size_t
ldap_count(const char *base, const char *filter)
{
	struct out o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b '%s' "
	    "'%s' 1.1", env.uri, base, filter);
	size_t n = count_of(o.text, "dn:");

	out_free(&o);
	return n;
}

/* Waits (PATIENCE at most) until filter finds want entries below base. */
static int
wait_count(const char *base, const char *filter, size_t want)
{
	double t0 = now();

	while (now() - t0 < PATIENCE) {
		if (ldap_count(base, filter) == want)
			return 1;
		usleep(20000);
	}
	return 0;
}

/*
 * Waits (PATIENCE at most) until every "event_id":N given (0-terminated)
 * is in events.jsonl.
 */
static int
wait_events(const int *ids)
{
	char needle[32];
	double t0 = now();
	struct out o;
	size_t i;
	int all;

	for (;;) {
		o = run("cat %s/events.jsonl 2>/dev/null", env.dir);
		for (i = 0, all = 1; ids[i] != 0 && all; i++) {
			snprintf(needle, sizeof(needle), "\"event_id\":%d", ids[i]);
			all = strstr(o.text, needle) != NULL;
		}
		out_free(&o);
		if (all)
			return 1;
		if (now() - t0 >= PATIENCE)
			return 0;
		usleep(20000);
	}
}

Test(daemon, runs_connectors_on_schedule_and_hands_over_execute_now,
    .init = setup, .fini = teardown, .timeout = 240)
{
	struct stat st;
	struct out o;
	char path[256];
	double t0;

	/* new input for cc1 is applied by the schedule alone */
	write_export("e1", "\r\nName: Late, Arrival\r\nLocn: L\r\n");
	cr_assert(wait_count(CC1, "(cn=Late, Arrival)", 1),
	    "not applied by a scheduled cycle");
	cr_assert_eq(ldap_count(CC2, "(objectClass=inetOrgPerson)"), 0);
	/*
	 * Execute Now goes to the daemon, which runs the cycle and reports
	 * it; a try that meets the scheduled cycle running is refused (5).
	 */
	for (t0 = now();; usleep(20000)) {
		o = galgate(&env, "sync cc2");
		if (o.status != 5 || now() - t0 > PATIENCE)
			break;
		out_free(&o);
	}
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "cc2: 0 added") != NULL, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "events --json --connector cc2");
	cr_assert(strstr(o.text, "\"event_id\":1055") != NULL, "the cycle "
	    "was not handed to the daemon: %s", o.text);
	out_free(&o);
	/* the control socket is the owner's only */
	snprintf(path, sizeof(path), "%s/galgate.sock", env.dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	/* monitoring: the metrics file and status --json carry the figures */
	o = run("cat %s/metrics.prom", env.dir);
	cr_assert(strstr(o.text, "galgate_cycle_adds{connector=\"cc1\","
	    "type=\"ccmail\"}") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "galgate_journal_lag{connector=\"cc1\"") !=
	    NULL, "%s", o.text);
	cr_assert(strstr(o.text, "galgate_seconds_since_success{connector="
	    "\"cc2\"") != NULL, "%s", o.text);
	out_free(&o);
	o = galgate(&env, "status --json");
	cr_assert(strstr(o.text, "\"daemon\":true") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "\"next_run\":\"") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "\"journal_lag\":") != NULL, "%s", o.text);
	out_free(&o);
	/* the audit LDIF holds the change the cycle made */
	o = run("cat %s/audit/cc1-*.ldif", env.dir);
	cr_assert(strstr(o.text, "dn: cn=Late\\, Arrival," CC1
	    "\nchangetype: add\n") != NULL, "%s", o.text);
	out_free(&o);
}

/* Start and end events of one connector must alternate. */
static void
assert_no_overlap(const char *events, const char *name)
{
	char needle[64];
	const char *p = events, *line;
	int open = 0, starts = 0;

	snprintf(needle, sizeof(needle), "\"connector\":\"%s\"", name);
	while ((line = strstr(p, "{\"event_id\":")) != NULL) {
		const char *nl = strchr(line, '\n');
		int id = atoi(line + 12);

		p = nl != NULL ? nl : line + 1;
		if (strstr(line, needle) == NULL ||
		    (nl != NULL && strstr(line, needle) > nl))
			continue;
		if (id == 1020) {
			cr_assert_eq(open, 0, "two %s cycles overlapped",
			    name);
			open = 1;
			starts++;
		} else if (id == 1021 || id == 1022 || id == 1023) {
			open = 0;
		}
	}
	cr_assert_gt(starts, 1);
}

Test(daemon, cycles_of_one_connector_never_overlap, .init = setup,
    .fini = teardown, .timeout = 240)
{
	struct out o;
	pid_t kids[4];
	double t0;
	int i, st, busy = 0, ok = 0;

	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			o = galgate(&env, "sync cc1");
			_exit(o.status);
		}
	}
	for (i = 0; i < 4; i++) {
		waitpid(kids[i], &st, 0);
		if (WEXITSTATUS(st) == 5)
			busy++;
		else if (WEXITSTATUS(st) == 0)
			ok++;
	}
	cr_assert_eq(busy + ok, 4, "unexpected exit statuses");
	/* without the daemon the lock itself refuses a second cycle */
	/* (locks/ appears with the first cycle, which may still be ahead) */
	/* (held: flock holds the lock until the file is gone) */
	o = run("cd %s && mkdir -p locks && (flock locks/cc1.lock sh -c "
	    "'touch held; while [ -e held ]; do sleep 0.01; done' &) && "
	    "until [ -e held ]; do sleep 0.01; done; "
	    "GALGATE_IN_DAEMON=1 %s -c %s sync cc1; echo status=$?; "
	    "rm held", env.dir, GALGATE_BINARY, env.conf);
	cr_assert(strstr(o.text, "another cycle is running") != NULL &&
	    strstr(o.text, "status=5") != NULL, "%s", o.text);
	out_free(&o);
	/* the daemon's own cycles go on meanwhile: wait for a few of them */
	for (t0 = now();; usleep(20000)) {
		o = galgate(&env, "events --json --connector cc1");
		if (count_of(o.text, "\"event_id\":1021") >= 3)
			break;
		cr_assert_lt(now() - t0, PATIENCE, "the daemon ran too few "
		    "cycles: %s", o.text);
		out_free(&o);
	}
	assert_no_overlap(o.text, "cc1");
	out_free(&o);
}

Test(daemon, retries_while_ldap_is_down_then_succeeds, .init = setup,
    .fini = teardown, .timeout = 240)
{
	struct out o;
	int st;

	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop %s", env.dir);
	out_free(&o);
	write_export("e1", "\r\nName: During, Outage\r\nLocn: L\r\n");
	/* failures and a scheduled retry, the daemon still up */
	if (!wait_events((const int[]){ 1022, 1052, 0 })) {
		o = galgate(&env, "events --json");
		cr_assert_fail("no failure and retry events: %s", o.text);
	}
	cr_assert_eq(waitpid(daemon_pid, &st, WNOHANG), 0, "the daemon died");
	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd start %s --conf %s",
	    env.dir, env.conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert(wait_count(CC1, "(cn=During, Outage)", 1),
	    "no success after the server came back");
	o = galgate(&env, "status --json");
	cr_assert(strstr(o.text, "\"failures\":0") != NULL, "%s", o.text);
	out_free(&o);
}

Test(daemon, sighup_reloads_or_keeps_and_sigterm_exits_zero, .init = setup,
    .fini = teardown, .timeout = 240)
{
	struct out o;
	char good[8192], *bad;
	FILE *fp;
	int st;

	fp = fopen(env.conf, "r");
	good[fread(good, 1, sizeof(good) - 1, fp)] = '\0';
	fclose(fp);
	/* a broken file is refused and the old configuration stays */
	bad = env_file(&env, "galgate.conf", "[gal]\nsuffix = dc=x\nbogus = 1\n");
	free(bad);
	kill(daemon_pid, SIGHUP);
	cr_assert(wait_events((const int[]){ 1054, 0 }),
	    "the bad configuration was not refused (event 1054)");
	o = galgate(&env, "status");	/* status reads the bad file: fails */
	out_free(&o);
	free(env_file(&env, "galgate.conf", good));
	cr_assert_eq(waitpid(daemon_pid, &st, WNOHANG), 0, "the daemon died");
	kill(daemon_pid, SIGHUP);
	cr_assert(wait_events((const int[]){ 1053, 0 }),
	    "the good configuration was not reloaded (event 1053)");
	/* still working after the reload */
	write_export("e2", "\r\nName: After, Reload\r\nLocn: L\r\n");
	cr_assert(wait_count(CC2, "(cn=After, Reload)", 1));
	kill(daemon_pid, SIGTERM);
	cr_assert_eq(waitpid(daemon_pid, &st, 0), daemon_pid);
	daemon_pid = 0;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	o = galgate(&env, "status");
	cr_assert(strstr(o.text, "daemon: not running") != NULL, "%s", o.text);
	out_free(&o);
}
