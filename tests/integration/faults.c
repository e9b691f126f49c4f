/* Shared pieces of the fault, security and ordering suites (faults.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "faults.h"

#define PAUSE_TIMEOUT	60000	/* ms a run may take to reach its point */

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void
paused_start(struct paused *p, const char *conf, const char *failpoint,
    const char *args)
{
	char cmd[2048];
	int fd, st, waited;
	char *text;

	memset(p, 0, sizeof(*p));
	snprintf(p->log, sizeof(p->log), "%s.paused.log", conf);
	snprintf(cmd, sizeof(cmd), "exec %s -c %s %s", GALGATE_BINARY, conf,
	    args);
	p->pid = fork();
	cr_assert(p->pid != -1, "fork: %s", strerror(errno));
	if (p->pid == 0) {
		if ((fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		setenv("GALGATE_FAILPOINT", failpoint, 1);
		/* "exec": the shell becomes galgate, its stop is ours to see */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waited < PAUSE_TIMEOUT; waited += 10) {
		if (waitpid(p->pid, &st, WUNTRACED | WNOHANG) == p->pid) {
			if (WIFSTOPPED(st))
				return;
			text = file_text(p->log, NULL);
			cr_assert_fail("galgate %s ended before failpoint %s "
			    "(status %d): %s", args, failpoint,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1,
			    text != NULL ? text : "");
		}
		sleep_ms(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	cr_assert_fail("galgate %s did not reach failpoint %s", args,
	    failpoint);
}

struct out
paused_finish(struct paused *p)
{
	struct out o = { NULL, -1 };
	int st;

	kill(p->pid, SIGCONT);
	while (waitpid(p->pid, &st, 0) == -1)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	o.text = file_text(p->log, NULL);
	if (o.text == NULL)
		o.text = strdup("");
	unlink(p->log);
	p->pid = 0;
	return o;
}

void
slapd_stop(const struct env *e)
{
	struct out o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop %s",
	    e->dir);

	cr_assert_eq(o.status, 0, "slapd stop: %s", o.text);
	out_free(&o);
}

void
slapd_start_again(const struct env *e)
{
	struct out o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd start %s "
	    "--conf %s --dbnosync", e->dir, e->conf);

	cr_assert_eq(o.status, 0, "slapd start: %s", o.text);
	out_free(&o);
}

void
env_start_org(struct env *e, const char *org, const char *site,
    const char *extra)
{
	size_t cap = strlen(extra) * 2 + 4096, len;
	char *conf = malloc(cap), *path;
	const char *p;
	struct out o;

	memset(e, 0, sizeof(*e));
	strcpy(e->dir, "/tmp/gg-XXXXXX");
	cr_assert_not_null(mkdtemp(e->dir));
	len = (size_t)snprintf(conf, cap, "[gal]\nsuffix = " SUFFIX "\n"
	    "organization = %s\nsite = %s\nstate_dir = %s\n\n", org, site,
	    e->dir);
	/* "@DIR@" in extra stands for the environment's directory */
	for (p = extra; *p != '\0'; p++) {
		cr_assert(len + 80 < cap);
		if (strncmp(p, "@DIR@", 5) == 0) {
			len += (size_t)snprintf(conf + len, cap - len, "%s",
			    e->dir);
			p += 4;
		} else
			conf[len++] = *p;
	}
	conf[len] = '\0';
	path = env_file(e, "galgate.conf", conf);
	snprintf(e->conf, sizeof(e->conf), "%s", path);
	free(path);
	free(conf);
	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd start %s --conf %s "
	    "--dbnosync", e->dir, e->conf);
	cr_assert_eq(o.status, 0, "slapd did not start: %s", o.text);
	len = strcspn(o.text, "\n");
	cr_assert(len < sizeof(e->uri));
	memcpy(e->uri, o.text, len);
	e->uri[len] = '\0';
	e->started = 1;
	out_free(&o);
}

size_t
events_count(const struct env *e, int id, const char *text)
{
	char path[200], needle[40], line[16384];
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/events.jsonl", e->dir);
	snprintf(needle, sizeof(needle), "\"event_id\":%d,", id);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, needle) != NULL && (text == NULL ||
		    strstr(line, text) != NULL))
			n++;
	fclose(fp);
	return n;
}

char *
watermarks(const struct env *e, const char *connector)
{
	struct out o = galgate(e, "status --json");
	char name[200], *p, *end, *w;

	cr_assert_eq(o.status, 0, "status: %s", o.text);
	snprintf(name, sizeof(name), "{\"name\":\"%s\"", connector);
	p = strstr(o.text, name);
	cr_assert_not_null(p, "no connector %s in %s", connector, o.text);
	p = strstr(p, "\"watermarks\":{");
	cr_assert_not_null(p, "%s", o.text);
	end = strchr(p, '}');
	cr_assert_not_null(end);
	w = strndup(p, (size_t)(end - p) + 1);
	out_free(&o);
	return w;
}

char *
watermarks_of(const struct env *e, const char *connector,
    const char *const *keys)
{
	char *all = watermarks(e, connector), *out = NULL, *p, *q, needle[256];
	size_t i, len;

	for (i = 0; keys[i] != NULL; i++) {
		snprintf(needle, sizeof(needle), "\"%s\":", keys[i]);
		p = strstr(all, needle);
		if (p != NULL) {
			p += strlen(needle);
			len = strcspn(p, ",}");
		} else {
			p = (char *)"-";
			len = 1;
		}
		cr_assert(asprintf(&q, "%s%s=%.*s;", out != NULL ? out : "",
		    keys[i], (int)len, p) != -1);
		free(out);
		out = q;
	}
	free(all);
	return out;
}

int
sync_status(const struct env *e, const char *args)
{
	struct out o = galgate(e, "sync %s", args);
	int st = o.status;

	if (st != 0)
		cr_log_info("sync %s: exit %d: %s", args, st, o.text);
	out_free(&o);
	return st;
}

size_t
ldap_count_in(const struct env *e, const char *base, const char *scope,
    const char *filter)
{
	struct out o = run("ldapsearch -Q -LLL -Y EXTERNAL -H '%s' -s %s "
	    "-b '%s' '%s' 1.1", e->uri, scope, base, filter);
	size_t n = count_of(o.text, "dn:");

	out_free(&o);
	return n;
}

/* argv run without a shell; its standard output (caller frees). */
static char *
run_argv(const char *const argv[], int *status)
{
	int fds[2], st, fd;
	size_t len = 0, cap = 4096;
	ssize_t n;
	char *buf = malloc(cap);
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert(pid != -1);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		/* "No such object" is an answer here, not news */
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 1024)
			buf = realloc(buf, cap *= 2);
	}
	close(fds[0]);
	buf[len] = '\0';
	waitpid(pid, &st, 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf;
}

char *
ldap_entry_at(const struct env *e, const char *dn)
{
	const char *argv[] = { "ldapsearch", "-Q", "-LLL", "-o",
	    "ldif-wrap=no", "-Y", "EXTERNAL", "-H", e->uri, "-s", "base",
	    "-b", dn, "(objectClass=*)", NULL };
	int st;
	char *text = run_argv(argv, &st);

	/* 32: noSuchObject */
	if (st == 32 || text[0] == '\0') {
		free(text);
		return NULL;
	}
	cr_assert_eq(st, 0, "ldapsearch -b '%s': exit %d", dn, st);
	return text;
}

char *
ldap_dump(const struct env *e, const char *base)
{
	struct out o = run("ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL "
	    "-H '%s' -b '%s' '(objectClass=*)' | sort", e->uri, base);

	return o.text;
}

int
disk_mount(struct disk *d, const char *dir, int kb)
{
	char opts[64];

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	cr_assert(mkdir(dir, 0750) == 0 || errno == EEXIST, "%s: %s", dir,
	    strerror(errno));
	snprintf(opts, sizeof(opts), "size=%dk,mode=0750", kb);
	/* GALGATE_TEST_NO_MOUNT=1 tries the fallback where mounting works */
	errno = EPERM;
	if (getenv("GALGATE_TEST_NO_MOUNT") == NULL &&
	    mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) == 0) {
		d->mounted = 1;
		fprintf(stderr, "disk full: a %d KB tmpfs at %s, filled\n", kb,
		    dir);
		return 1;
	}
	fprintf(stderr, "disk full: no tmpfs at %s (%s); ENOSPC injected "
	    "with GALGATE_FAILPOINT=file-write\n", dir,
	    getenv("GALGATE_TEST_NO_MOUNT") != NULL ? "GALGATE_TEST_NO_MOUNT "
	    "is set" : strerror(errno));
	return 0;
}

void
disk_fill(struct disk *d, int left_kb)
{
	struct out o;

	if (!d->mounted)
		return;
	/* reserve what is to stay free, fill the rest, give the reserve back */
	o = run("cd %s && { [ %d -eq 0 ] || dd if=/dev/zero of=.reserve bs=1k "
	    "count=%d; } && { dd if=/dev/zero of=.fill bs=4k || true; } && "
	    "rm -f .reserve", d->dir, left_kb, left_kb);
	cr_assert_eq(o.status, 0, "filling %s: %s", d->dir, o.text);
	out_free(&o);
}

void
disk_unfill(struct disk *d)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/.fill", d->dir);
	unlink(path);
}

void
disk_unmount(struct disk *d)
{
	if (d->mounted && umount2(d->dir, MNT_DETACH) == -1)
		fprintf(stderr, "umount %s: %s\n", d->dir, strerror(errno));
	d->mounted = 0;
}

size_t
files_named(const char *dir, const char *needle)
{
	char path[1024];
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	DIR *dd;

	if ((dd = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dd)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode))
			n += files_named(path, needle);
		else if (S_ISREG(st.st_mode) && strstr(de->d_name, needle) !=
		    NULL)
			n++;
	}
	closedir(dd);
	return n;
}

char *
file_text(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t n = 0, cap = 4096, r;
	char *buf;

	if (fp == NULL)
		return NULL;
	buf = malloc(cap);
	while ((r = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
		n += r;
		if (cap - n < 1024)
			buf = realloc(buf, cap *= 2);
	}
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}
