/*
 * crash.c: running galgate to its death at a failpoint, snapshots of a
 * test's servers and files, and the normalized views (GAL, journal) that
 * a crashed-and-rerun cycle is compared by.  See crash.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "crash.h"

int
crash_full(void)
{
	const char *v = getenv("GALGATE_CRASH_FULL");

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

int
crash_ends(void)
{
	const char *v = getenv("GALGATE_CRASH_ENDS");

	return !crash_full() && v != NULL && *v != '\0' &&
	    strcmp(v, "0") != 0;
}

double
crash_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *
crash_slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t off = 0, cap;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cr_assert_eq(errno, ENOENT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	cr_assert_eq(fstat(fd, &st), 0);
	/* (files in /proc say they are empty: read to the end) */
	cap = (size_t)st.st_size + 4096;
	buf = malloc(cap);
	cr_assert_not_null(buf);
	while ((n = read(fd, buf + off, cap - off - 1)) > 0) {
		off += (size_t)n;
		if (cap - off < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	close(fd);
	buf[off] = '\0';
	if (len != NULL)
		*len = off;
	return buf;
}

int
crash_same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = crash_slurp(a, &la), *y = crash_slurp(b, &lb);
	int same;

	same = (x == NULL && y == NULL) || (x != NULL && y != NULL &&
	    la == lb && memcmp(x, y, la) == 0);
	free(x);
	free(y);
	return same;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
crash_listdir(const char *dir)
{
	char **v = calloc(1, sizeof(*v));
	struct dirent *d;
	size_t n = 0;
	DIR *dd;

	cr_assert_not_null(v);
	if ((dd = opendir(dir)) == NULL)
		return v;
	while ((d = readdir(dd)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		v = realloc(v, (n + 2) * sizeof(*v));
		cr_assert_not_null(v);
		v[n++] = strdup(d->d_name);
		v[n] = NULL;
	}
	closedir(dd);
	qsort(v, n, sizeof(*v), strp_cmp);
	return v;
}

void
crash_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* ---- running galgate ---- */

extern char **environ;

/*
 * The environment of a galgate run: this process's, with the failpoint
 * variables set or removed (caller frees the array, not the strings).
 */
static char **
run_environ(const char *fp, int trace, char *fpbuf, size_t fplen)
{
	char **env;
	size_t n = 0, i, k = 0;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 3, sizeof(*env));
	cr_assert_not_null(env);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "GALGATE_FAILPOINT=", 18) != 0 &&
		    strncmp(environ[i], "GALGATE_FAILPOINT_TRACE=", 24) != 0)
			env[k++] = environ[i];
	if (fp != NULL) {
		snprintf(fpbuf, fplen, "GALGATE_FAILPOINT=%s", fp);
		env[k++] = fpbuf;
	}
	if (trace)
		env[k++] = (char *)"GALGATE_FAILPOINT_TRACE=1";
	env[k] = NULL;
	return env;
}

/* A galgate run under way: its pid and where its output goes. */
struct crash_run {
	pid_t	 pid;
	char	 outp[128];
	char	 errp[128];
};

static void
crash_spawn(const struct env *e, const char *fp, int trace, const char *args,
    struct crash_run *cr)
{
	char fpbuf[160], *copy, *argv[32], *tok;
	char *save = NULL, **env;
	static unsigned long seq;
	posix_spawn_file_actions_t fa;
	size_t argc = 0;
	int rc;

	seq++;
	snprintf(cr->outp, sizeof(cr->outp), "%s/crash-out.%lu", e->dir, seq);
	snprintf(cr->errp, sizeof(cr->errp), "%s/crash-err.%lu", e->dir, seq);
	copy = strdup(args);
	cr_assert_not_null(copy);
	argv[argc++] = (char *)GALGATE_BINARY;
	argv[argc++] = (char *)"-c";
	argv[argc++] = (char *)e->conf;
	for (tok = strtok_r(copy, " ", &save); tok != NULL && argc < 31;
	    tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	env = run_environ(fp, trace, fpbuf, sizeof(fpbuf));
	/*
	 * posix_spawn, not fork: a test process under AddressSanitizer is
	 * large, and copying its page tables for every run of galgate cost
	 * more than the runs themselves.
	 */
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	cr_assert_eq(posix_spawn_file_actions_addopen(&fa, 1, cr->outp,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	cr_assert_eq(posix_spawn_file_actions_addopen(&fa, 2, cr->errp,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	fflush(NULL);
	rc = posix_spawn(&cr->pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	free(copy);
	cr_assert_eq(rc, 0, "posix_spawn %s: %s", argv[0], strerror(rc));
}

/* 1 when the run ended (*r filled), 0 while it runs (wait: 0). */
static int
crash_reap(struct crash_run *cr, int wait, struct crash_result *r)
{
	pid_t got;
	int st;

	while ((got = waitpid(cr->pid, &st, wait ? 0 : WNOHANG)) == -1)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	if (got == 0)
		return 0;
	memset(r, 0, sizeof(*r));
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	r->out = crash_slurp(cr->outp, NULL);
	r->err = crash_slurp(cr->errp, NULL);
	if (r->out == NULL)
		r->out = strdup("");
	if (r->err == NULL)
		r->err = strdup("");
	unlink(cr->outp);
	unlink(cr->errp);
	return 1;
}

void
crash_galgate(const struct env *e, const char *fp, int trace,
    const char *args, struct crash_result *r)
{
	struct crash_run cr;

	crash_spawn(e, fp, trace, args, &cr);
	(void)crash_reap(&cr, 1, r);
}

/* 1 once the traced run's standard error says it passed failpoint name */
static int
crash_passed(const struct crash_run *cr, const char *name)
{
	char needle[96], *err;
	int passed;

	snprintf(needle, sizeof(needle), "galgate: failpoint %s pass ", name);
	if ((err = crash_slurp(cr->errp, NULL)) == NULL)
		return 0;
	passed = strstr(err, needle) != NULL;
	free(err);
	return passed;
}

void
crash_galgate_held(const struct env *e, const char *args, const char *after,
    struct crash_result *r)
{
	struct crash_run cr;
	int released = 0;

	hold_arm(e);
	crash_spawn(e, NULL, 1, args, &cr);
	while (!crash_reap(&cr, 0, r)) {
		if (!released && hold_is_held(e) && crash_passed(&cr, after)) {
			hold_release(e);
			released = 1;
		}
		usleep(1000);
	}
	if (!released && hold_is_held(e))
		hold_release(e);
	hold_disarm(e);
	cr_assert(released, "%s: no failed add was held until galgate "
	    "passed %s (exit %d, signal %d):\n%s%s", args, after, r->status,
	    r->signal, r->out, r->err);
}

void
crash_result_free(struct crash_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* The number after "name: " in text, -1 if absent. */
static long long
monitor_value(const char *text, const char *dn, const char *name)
{
	char needle[96];
	const char *p = strstr(text, dn), *v;

	if (p == NULL)
		return -1;
	snprintf(needle, sizeof(needle), "\n%s: ", name);
	if ((v = strstr(p, needle)) == NULL)
		return -1;
	return strtoll(v + strlen(needle), NULL, 10);
}

/*
 * Waits until slapd has finished what the killed galgate had sent: the
 * server completes the operations of a dead connection that it already
 * took, and a rerun started at once would plan against entries that are
 * still changing under it (a rerun by an administrator or the daemon's
 * retry comes seconds later).  Finished means, in the test-only
 * cn=Monitor (slapd_start): no connection but this search's (slapd
 * frees a connection only once every operation on it has ended), and no
 * operation under way but this search.
 */
static void
slapd_settle(const struct env *e)
{
	long long conns = -1, init = -1, done = -1;
	struct out o;
	int i;

	for (i = 0; i < 20000; i++) {
		o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -b cn=Monitor "
		    "'(|(cn=Current)(cn=Operations))' monitorCounter "
		    "monitorOpInitiated monitorOpCompleted", e->uri);
		cr_assert_eq(o.status, 0, "cn=Monitor: %s", o.text);
		conns = monitor_value(o.text, "dn: cn=Current,cn=Connections,"
		    "cn=Monitor", "monitorCounter");
		init = monitor_value(o.text, "dn: cn=Operations,cn=Monitor",
		    "monitorOpInitiated");
		done = monitor_value(o.text, "dn: cn=Operations,cn=Monitor",
		    "monitorOpCompleted");
		out_free(&o);
		cr_assert(conns >= 1 && init >= 1 && done >= 0, "cn=Monitor "
		    "lacks the connection or operation counters");
		if (conns == 1 && init - done == 1)
			return;
		usleep(1000);
	}
	cr_assert_fail("slapd still has %lld connections and %lld operations "
	    "under way", conns, init - done);
}

void
crash_kill_at(const struct env *e, const struct crash_point *p,
    const char *args)
{
	struct crash_result r;
	char fp[96], fired[128];

	snprintf(fp, sizeof(fp), "%s:%lu", p->name, p->count);
	snprintf(fired, sizeof(fired), "galgate: failpoint %s fired\n",
	    p->name);
	crash_galgate(e, fp, 0, args, &r);
	cr_assert_not_null(strstr(r.err, fired), "%s: the failpoint did not "
	    "fire (exit %d, signal %d):\n%s%s", fp, r.status, r.signal, r.out,
	    r.err);
	cr_assert_eq(r.signal, SIGKILL, "%s: galgate was not killed by "
	    "SIGKILL (exit %d, signal %d)", fp, r.status, r.signal);
	crash_result_free(&r);
	slapd_settle(e);
}

/* ---- the trace and the points ---- */

void
crash_trace_read(const char *err, struct crash_trace *t)
{
	static const char pre[] = "galgate: failpoint ";
	const char *p = err, *nl, *sp;
	unsigned long n;
	size_t i, len;

	memset(t, 0, sizeof(*t));
	for (; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strncmp(p, pre, sizeof(pre) - 1) != 0)
			continue;
		p += sizeof(pre) - 1;
		sp = strchr(p, ' ');
		if (sp == NULL || (nl != NULL && sp > nl) ||
		    strncmp(sp, " pass ", 6) != 0)
			continue;
		len = (size_t)(sp - p);
		n = strtoul(sp + 6, NULL, 10);
		for (i = 0; i < t->n; i++)
			if (strlen(t->v[i].name) == len &&
			    strncmp(t->v[i].name, p, len) == 0)
				break;
		if (i == t->n) {
			cr_assert(len < sizeof(t->v[0].name));
			t->v = realloc(t->v, (t->n + 1) * sizeof(*t->v));
			cr_assert_not_null(t->v);
			memcpy(t->v[i].name, p, len);
			t->v[i].name[len] = '\0';
			t->v[i].passes = 0;
			t->n++;
		}
		if (n > t->v[i].passes)
			t->v[i].passes = n;
	}
}

unsigned long
crash_trace_passes(const struct crash_trace *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return t->v[i].passes;
	return 0;
}

void
crash_trace_free(struct crash_trace *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void
crash_points_add(struct crash_points *ps, const struct crash_trace *t,
    const char *name, unsigned long count)
{
	size_t i;

	cr_assert(count >= 1 && count <= crash_trace_passes(t, name),
	    "the clean run passes %s %lu times, not %lu", name,
	    crash_trace_passes(t, name), count);
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].name, name) == 0 && ps->v[i].count == count)
			return;
	ps->v = realloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
	cr_assert_not_null(ps->v);
	snprintf(ps->v[ps->n].name, sizeof(ps->v[0].name), "%s", name);
	ps->v[ps->n].count = count;
	ps->n++;
}

void
crash_points_spread(struct crash_points *ps, const struct crash_trace *t,
    const char *name, unsigned long full_max)
{
	unsigned long n = crash_trace_passes(t, name), k;

	cr_assert(n > 0, "the clean run never passes failpoint %s", name);
	crash_points_add(ps, t, name, 1);
	if (!crash_ends())
		crash_points_add(ps, t, name, (n + 1) / 2);
	crash_points_add(ps, t, name, n);
	if (!crash_full())
		return;
	for (k = 2; k < n && k <= full_max; k++)
		crash_points_add(ps, t, name, k);
}

void
crash_points_pick(struct crash_points *ps, const struct crash_trace *t,
    const char *name, unsigned long count)
{
	if (!crash_ends())
		crash_points_add(ps, t, name, count);
}

void
crash_points_every(struct crash_points *ps, const struct crash_trace *t,
    const char *name, unsigned long max)
{
	unsigned long n = crash_trace_passes(t, name), k;

	cr_assert(n > 0, "the clean run never passes failpoint %s", name);
	if (crash_ends()) {
		crash_points_add(ps, t, name, 1);
		crash_points_add(ps, t, name, n < max ? n : max);
		return;
	}
	for (k = 1; k <= n && k <= max; k++)
		crash_points_add(ps, t, name, k);
}

void
crash_points_select(struct crash_points *ps, const struct crash_trace *t)
{
	const char *sel = getenv("GALGATE_CRASH_POINTS");
	char *copy, *tok, *save = NULL, *colon, *end;
	unsigned long count, passes;

	if (sel == NULL || *sel == '\0')
		return;
	crash_points_free(ps);
	copy = strdup(sel);
	cr_assert_not_null(copy);
	for (tok = strtok_r(copy, " ,", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,", &save)) {
		colon = strrchr(tok, ':');
		cr_assert_not_null(colon, "GALGATE_CRASH_POINTS: '%s' is not "
		    "name:count", tok);
		*colon = '\0';
		if ((passes = crash_trace_passes(t, tok)) == 0)
			continue;
		if (strcmp(colon + 1, "first") == 0)
			count = 1;
		else if (strcmp(colon + 1, "last") == 0)
			count = passes;
		else {
			count = strtoul(colon + 1, &end, 10);
			cr_assert(*end == '\0' && end != colon + 1,
			    "GALGATE_CRASH_POINTS: '%s' is not a pass number, "
			    "first or last", colon + 1);
		}
		crash_points_add(ps, t, tok, count);
	}
	free(copy);
}

char *
crash_points_str(const struct crash_points *ps)
{
	char *s = malloc(ps->n * 80 + 1), *p;
	size_t i;

	cr_assert_not_null(s);
	for (i = 0, p = s, *s = '\0'; i < ps->n; i++)
		p += sprintf(p, "%s%s:%lu", i > 0 ? " " : "", ps->v[i].name,
		    ps->v[i].count);
	return s;
}

size_t
crash_points_names(const struct crash_points *ps)
{
	size_t i, k, n = 0;

	for (i = 0; i < ps->n; i++) {
		for (k = 0; k < i; k++)
			if (strcmp(ps->v[k].name, ps->v[i].name) == 0)
				break;
		n += k == i;
	}
	return n;
}

void
crash_points_free(struct crash_points *ps)
{
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* ---- snapshots ---- */

/*
 * Starts slapd on the configuration galgate-slapd wrote, with a test-only
 * cn=Monitor appended (readable by the rootdn alone), where slapd_settle
 * reads its connections and operations.  Not in galgate-slapd's own
 * configuration: there it would be one more thing to keep from clients.
 */
static void
slapd_start(const struct env *e)
{
	struct out o = run("grep -q '^database monitor' '%s/slapd/slapd.conf' "
	    "|| printf '\\n# crash tests only\\ndatabase monitor\\n"
	    "access to *\\n\\tby dn.exact=cn=admin," SUFFIX " read\\n"
	    "\\tby * none\\n' >> '%s/slapd/slapd.conf'", e->dir, e->dir);

	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	env_slapd_run(e);
}

/*
 * 1 while pid runs.  A zombie counts as gone: slapd is not our child, and
 * where init reaps slowly a dead slapd stays a zombie for a second or so.
 */
static int
running(pid_t pid)
{
	char path[64], *stat, *paren;
	int alive;

	if (kill(pid, 0) != 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((stat = crash_slurp(path, NULL)) == NULL)
		return 1;
	paren = strrchr(stat, ')');
	alive = paren == NULL || paren[1] != ' ' || paren[2] != 'Z';
	free(stat);
	return alive;
}

/* Kills the test's own slapd (its database is about to be replaced). */
static void
slapd_kill(const struct env *e)
{
	char path[256], *pidtxt;
	size_t len;
	pid_t pid;
	int i;

	snprintf(path, sizeof(path), "%s/slapd/slapd.pid", e->dir);
	pidtxt = crash_slurp(path, NULL);
	cr_assert_not_null(pidtxt, "%s: slapd is not running", path);
	pid = (pid_t)strtol(pidtxt, NULL, 10);
	free(pidtxt);
	cr_assert(pid > 1);
	/* only our own slapd: a pid can be reused by any process */
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((pidtxt = crash_slurp(path, &len)) != NULL) {
		for (i = 0; (size_t)i < len; i++)
			if (pidtxt[i] == '\0')
				pidtxt[i] = ' ';
		cr_assert_not_null(strstr(pidtxt, e->dir), "pid %ld is not "
		    "the slapd of %s: %s", (long)pid, e->dir, pidtxt);
		free(pidtxt);
	}
	cr_assert_eq(kill(pid, SIGKILL), 0, "kill %ld: %s", (long)pid,
	    strerror(errno));
	for (i = 0; i < 500 && running(pid); i++)
		usleep(5000);
	cr_assert(!running(pid), "slapd %ld did not die", (long)pid);
	unlink(path);
}

static const char *const state_paths[] = {
	"slapd/db", "galgate.mdb", "events.jsonl", NULL
};

void
crash_snapshot(const struct env *e, const char *name,
    const char *const *paths)
{
	const char *const *set[2] = { state_paths, paths };
	struct out o;
	size_t s, i;

	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop %s", e->dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = run("rm -rf '%s/snap-%s'", e->dir, name);
	out_free(&o);
	for (s = 0; s < 2; s++)
		for (i = 0; set[s] != NULL && set[s][i] != NULL; i++) {
			o = run("cd '%s' && if [ -e '%s' ]; then mkdir -p "
			    "\"snap-%s/$(dirname '%s')\" && cp -a '%s' "
			    "'snap-%s/%s'; fi", e->dir, set[s][i], name,
			    set[s][i], set[s][i], name, set[s][i]);
			cr_assert_eq(o.status, 0, "%s", o.text);
			out_free(&o);
		}
	slapd_start(e);
}

void
crash_restore(const struct env *e, const char *name,
    const char *const *paths)
{
	const char *const *set[2] = { state_paths, paths };
	char *cmd, *p;
	struct out o;
	size_t s, i, len = 64;

	for (s = 0; s < 2; s++)
		for (i = 0; set[s] != NULL && set[s][i] != NULL; i++)
			len += 3 * strlen(set[s][i]) + strlen(name) + 64;
	cmd = malloc(len);
	cr_assert_not_null(cmd);
	p = cmd + sprintf(cmd, "cd '%s'", e->dir);
	for (s = 0; s < 2; s++)
		for (i = 0; set[s] != NULL && set[s][i] != NULL; i++)
			p += sprintf(p, " && rm -rf '%s' && { [ ! -e "
			    "'snap-%s/%s' ] || cp -a 'snap-%s/%s' '%s'; }",
			    set[s][i], name, set[s][i], name, set[s][i],
			    set[s][i]);
	slapd_kill(e);
	o = run("%s", cmd);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	free(cmd);
	env_slapd_run(e);
}

/* ---- the GAL, normalized ---- */

/* Attributes that differ between two runs making the same changes. */
static int
volatile_attr(const char *line)
{
	static const char *const skip[] = { "entryUUID", "entryCSN",
	    "createTimestamp", "modifyTimestamp", "creatorsName",
	    "modifiersName", "contextCSN", NULL };
	size_t i, n;

	for (i = 0; skip[i] != NULL; i++) {
		n = strlen(skip[i]);
		if (strncasecmp(line, skip[i], n) == 0 && line[n] == ':')
			return 1;
	}
	return 0;
}

struct blocks {
	char	**v;
	size_t	  n;
};

/* Splits text at blank lines into blocks (pointers into text). */
static void
blocks_split(char *text, struct blocks *b)
{
	char *p = text, *end;

	memset(b, 0, sizeof(*b));
	while (*p != '\0') {
		while (*p == '\n')
			p++;
		if (*p == '\0')
			break;
		end = strstr(p, "\n\n");
		b->v = realloc(b->v, (b->n + 1) * sizeof(*b->v));
		cr_assert_not_null(b->v);
		b->v[b->n++] = p;
		if (end == NULL)
			break;
		*end = '\0';
		p = end + 2;
	}
}

/*
 * The normalization works in a few large buffers, not a string per
 * entry: under AddressSanitizer every allocation is dear, and a GAL has
 * tens of thousands of entries.
 */
struct ptrs {
	char	**v;
	size_t	  n, cap;
};

static void
ptrs_add(struct ptrs *p, char *s)
{
	if (p->n == p->cap) {
		p->cap = p->cap == 0 ? 256 : p->cap * 2;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		cr_assert_not_null(p->v);
	}
	p->v[p->n++] = s;
}

char *
crash_gal_dump(const struct env *e)
{
	struct out o = run("ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL "
	    "-H '%s' -b '" SUFFIX "' '(objectClass=*)' '*' '+'", e->uri);
	struct ptrs lines = { NULL, 0, 0 }, ents = { NULL, 0, 0 };
	char *p, *nl, *end, *norm, *w, *out;
	size_t i, len, size;

	cr_assert_eq(o.status, 0, "ldapsearch: %.2000s", o.text);
	size = strlen(o.text);
	norm = malloc(size + 2);
	out = malloc(size + 2);
	cr_assert(norm != NULL && out != NULL);
	w = norm;
	for (p = o.text; *p != '\0'; p = end) {
		while (*p == '\n')
			p++;
		if (*p == '\0')
			break;
		/*
		 * (not strstr: AddressSanitizer's measures the whole rest
		 * of the text on every call)
		 */
		for (end = p; *end != '\0' && (end[0] != '\n' ||
		    end[1] != '\n'); end++)
			;
		if (*end != '\0')
			*end++ = '\0';
		/* one entry: its lines, the volatile ones left out */
		lines.n = 0;
		for (; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 :
		    NULL) {
			if ((nl = strchr(p, '\n')) != NULL)
				*nl = '\0';
			if (!volatile_attr(p))
				ptrs_add(&lines, p);
		}
		/* the dn: line stays first */
		if (lines.n > 1)
			qsort(lines.v + 1, lines.n - 1, sizeof(*lines.v),
			    strp_cmp);
		ptrs_add(&ents, w);
		for (i = 0; i < lines.n; i++) {
			len = strlen(lines.v[i]);
			memcpy(w, lines.v[i], len);
			w[len] = '\n';
			w += len + 1;
		}
		*w++ = '\0';
	}
	if (ents.n > 1)
		qsort(ents.v, ents.n, sizeof(*ents.v), strp_cmp);
	for (i = 0, w = out; i < ents.n; i++) {
		len = strlen(ents.v[i]);
		memcpy(w, ents.v[i], len);
		w[len] = '\n';
		w += len + 1;
	}
	*w = '\0';
	free(lines.v);
	free(ents.v);
	free(norm);
	out_free(&o);
	return out;
}

/* First line of a block (its DN). */
static char *
first_line(const char *s)
{
	size_t n = strcspn(s, "\n");
	char *r = malloc(n + 1);

	cr_assert_not_null(r);
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

void
crash_gal_assert_eq(const char *want, const char *got, const char *what)
{
	struct blocks a, b;
	char *x, *y, *dx, *dy, diff[8192];
	size_t i = 0, k = 0, shown = 0, len = 0;
	int c;

	if (strcmp(want, got) == 0)
		return;
	x = strdup(want);
	y = strdup(got);
	cr_assert(x != NULL && y != NULL);
	blocks_split(x, &a);
	blocks_split(y, &b);
	diff[0] = '\0';
	while ((i < a.n || k < b.n) && shown < 5) {
		dx = i < a.n ? first_line(a.v[i]) : NULL;
		dy = k < b.n ? first_line(b.v[k]) : NULL;
		c = dx == NULL ? 1 : dy == NULL ? -1 : strcmp(dx, dy);
		if (c < 0) {
			len += (size_t)snprintf(diff + len, sizeof(diff) - len,
			    "missing: %s\n", dx);
			shown++;
			i++;
		} else if (c > 0) {
			len += (size_t)snprintf(diff + len, sizeof(diff) - len,
			    "extra: %s\n", dy);
			shown++;
			k++;
		} else {
			if (strcmp(a.v[i], b.v[k]) != 0) {
				len += (size_t)snprintf(diff + len,
				    sizeof(diff) - len, "differs:\n--- clean "
				    "run\n%.1500s\n+++ after the crash\n"
				    "%.1500s\n", a.v[i], b.v[k]);
				shown++;
			}
			i++;
			k++;
		}
		free(dx);
		free(dy);
		if (len >= sizeof(diff))
			break;
	}
	free(a.v);
	free(b.v);
	free(x);
	free(y);
	cr_assert_fail("%s: the GAL differs from the clean run's:\n%s", what,
	    diff);
}

/* ---- the journal ---- */

struct jent {
	char		 uuid[40];
	char		*dn;		/* into the journal's text */
	char		 hash[24];
	int		 alive;
};

/* The journal's entries by entryUUID (open addressing: index + 1). */
struct jmap {
	struct jent	*v;
	size_t		 n, cap;
	size_t		*slot;
	size_t		 nslot;
};

static size_t
str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

static void
jmap_rehash(struct jmap *m)
{
	size_t i, k;

	free(m->slot);
	m->nslot = m->nslot == 0 ? 1024 : m->nslot * 2;
	m->slot = calloc(m->nslot, sizeof(*m->slot));
	cr_assert_not_null(m->slot);
	for (i = 0; i < m->n; i++) {
		k = str_hash(m->v[i].uuid) & (m->nslot - 1);
		while (m->slot[k] != 0)
			k = (k + 1) & (m->nslot - 1);
		m->slot[k] = i + 1;
	}
}

/* The entry of uuid; *isnew set when it was just made. */
static struct jent *
jmap_get(struct jmap *m, const char *uuid, int *isnew)
{
	size_t k;

	*isnew = 0;
	if ((m->n + 1) * 2 > m->nslot)
		jmap_rehash(m);
	k = str_hash(uuid) & (m->nslot - 1);
	while (m->slot[k] != 0) {
		if (strcmp(m->v[m->slot[k] - 1].uuid, uuid) == 0)
			return &m->v[m->slot[k] - 1];
		k = (k + 1) & (m->nslot - 1);
	}
	if (m->n == m->cap) {
		m->cap = m->cap == 0 ? 1024 : m->cap * 2;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		cr_assert_not_null(m->v);
	}
	memset(&m->v[m->n], 0, sizeof(*m->v));
	snprintf(m->v[m->n].uuid, sizeof(m->v[0].uuid), "%s", uuid);
	m->slot[k] = ++m->n;
	*isnew = 1;
	return &m->v[m->n - 1];
}

/*
 * The value of "key": in one JSON line, NUL-terminated in place (a
 * string unescaped, a number as it is); NULL if absent.  Values are read
 * from the end of the line backwards, so that each one's terminator does
 * not cut the ones before it.
 */
static char *
json_field(char *line, const char *key)
{
	char pat[64], *p, *q, *w;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(line, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if (*p != '"') {
		p[strcspn(p, ",}")] = '\0';
		return p;
	}
	for (q = w = ++p; *q != '\0' && *q != '"'; q++) {
		if (*q == '\\' && q[1] != '\0') {
			q++;
			*w++ = *q == 'n' ? '\n' : *q == 't' ? '\t' : *q == 'r' ?
			    '\r' : *q;
		} else
			*w++ = *q;
	}
	*w = '\0';
	return p;
}

char *
crash_journal_state(const struct env *e, const char *what,
    unsigned long long *head)
{
	struct crash_result r;
	struct jmap map;
	struct jent *je;
	struct ptrs lines = { NULL, 0, 0 };
	size_t i, len = 0;
	unsigned long long usn, prev = 0;
	char *p, *eol, *f_usn, *f_op, *f_dn, *f_uuid, *f_hash, *buf, *w;
	char *out;
	int isnew;

	memset(&map, 0, sizeof(map));
	crash_galgate(e, NULL, 0, "journal --json", &r);
	cr_assert_eq(r.status, 0, "%s: galgate journal: %s", what, r.err);
	for (p = r.out; *p != '\0'; p = eol + 1) {
		if ((eol = strchr(p, '\n')) == NULL)
			break;
		*eol = '\0';
		/* (the fields in the order they come, last first) */
		f_hash = json_field(p, "hash");
		f_uuid = json_field(p, "entryUUID");
		f_dn = json_field(p, "dn");
		f_op = json_field(p, "op");
		f_usn = json_field(p, "usn");
		cr_assert(f_usn && f_op && f_dn && f_uuid && f_hash,
		    "%s: journal line '%s'", what, p);
		usn = strtoull(f_usn, NULL, 10);
		cr_assert(prev == 0 || usn == prev + 1, "%s: journal USN %llu "
		    "follows %llu (a gap or a repeat)", what, usn, prev);
		prev = usn;
		je = jmap_get(&map, f_uuid, &isnew);
		if (isnew) {
			cr_assert_str_eq(f_op, "add", "%s: USN %llu: %s of an "
			    "entry the journal never had: %s", what, usn, f_op,
			    f_dn);
		} else if (strcmp(f_op, "delete") == 0) {
			cr_assert(je->alive, "%s: USN %llu deletes %s twice",
			    what, usn, f_dn);
		} else if (strcmp(f_op, "add") == 0) {
			cr_assert(!je->alive, "%s: USN %llu adds %s, which is "
			    "there", what, usn, f_dn);
		} else {
			cr_assert(je->alive, "%s: USN %llu modifies %s, which "
			    "is gone", what, usn, f_dn);
			cr_assert(strcmp(je->hash, f_hash) != 0 ||
			    strcmp(je->dn, f_dn) != 0, "%s: USN %llu records "
			    "%s in the state it already had", what, usn, f_dn);
		}
		je->dn = f_dn;
		snprintf(je->hash, sizeof(je->hash), "%s", f_hash);
		je->alive = strcmp(f_op, "delete") != 0;
	}
	for (i = 0; i < map.n; i++)
		if (map.v[i].alive)
			len += strlen(map.v[i].dn) + strlen(map.v[i].hash) + 2;
	buf = malloc(len + 1);
	out = malloc(len + 1);
	cr_assert(buf != NULL && out != NULL);
	for (i = 0, w = buf; i < map.n; i++) {
		je = &map.v[i];
		if (!je->alive)
			continue;
		ptrs_add(&lines, w);
		w += sprintf(w, "%s\t%s", je->dn, je->hash) + 1;
	}
	if (lines.n > 1)
		qsort(lines.v, lines.n, sizeof(*lines.v), strp_cmp);
	for (i = 0, w = out; i < lines.n; i++)
		w += sprintf(w, "%s\n", lines.v[i]);
	*w = '\0';
	free(lines.v);
	free(buf);
	free(map.v);
	free(map.slot);
	crash_result_free(&r);
	if (head != NULL)
		*head = prev;
	return out;
}

void
crash_journal_assert_eq(const char *want, const char *got, const char *what)
{
	const char *a = want, *b = got;
	size_t la, lb;

	while (*a != '\0' && *b != '\0') {
		la = strcspn(a, "\n");
		lb = strcspn(b, "\n");
		if (la != lb || memcmp(a, b, la) != 0)
			break;
		a += la + (a[la] != '\0');
		b += lb + (b[lb] != '\0');
	}
	cr_assert(*a == '\0' && *b == '\0', "%s: the journal's final state "
	    "differs from the clean run's: clean '%.*s', after the crash "
	    "'%.*s'", what, (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"),
	    b);
}

void
crash_ldif_add(struct gw_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0, "out of memory");
	cr_assert_eq(gw_buf_add(b, s, (size_t)n), 0, "LDIF text too long");
	free(s);
}

void
crash_ldif_apply(const struct env *e, struct gw_buf *b)
{
	cr_assert_eq(ldap_apply(e, b->buf != NULL ? b->buf : ""), 0);
	gw_buf_reset(b);
}
