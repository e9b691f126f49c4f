#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static char *
vformat(const char *fmt, va_list ap)
{
	va_list aq;
	char *s;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static struct out
run_string(const char *cmd)
{
	struct out o = { NULL, -1 };
	size_t len = 0, cap = 4096, n;
	char *full;
	FILE *fp;
	int st;

	full = malloc(strlen(cmd) + 16);
	cr_assert_not_null(full);
	sprintf(full, "(%s) 2>&1", cmd);
	fp = popen(full, "r");
	free(full);
	cr_assert_not_null(fp, "popen %s", cmd);
	o.text = malloc(cap);
	while ((n = fread(o.text + len, 1, cap - len - 1, fp)) > 0) {
		len += n;
		if (cap - len < 1024) {
			cap *= 2;
			o.text = realloc(o.text, cap);
		}
	}
	o.text[len] = '\0';
	st = pclose(fp);
	o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return o;
}

struct out
run(const char *fmt, ...)
{
	struct out o;
	va_list ap;
	char *cmd;

	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	o = run_string(cmd);
	free(cmd);
	return o;
}

const char *
galgate_binary(void)
{
	const char *b = getenv("GALGATE_TEST_BINARY");

	return b != NULL && *b != '\0' ? b : GALGATE_BINARY;
}

struct out
galgate(const struct env *e, const char *fmt, ...)
{
	struct out o;
	va_list ap;
	char *args, *cmd;

	va_start(ap, fmt);
	args = vformat(fmt, ap);
	va_end(ap);
	cmd = malloc(strlen(args) + 512 + strlen(galgate_binary()));
	sprintf(cmd, "%s -c %s %s", galgate_binary(), e->conf, args);
	o = run_string(cmd);
	free(cmd);
	free(args);
	return o;
}

void
out_free(struct out *o)
{
	free(o->text);
	o->text = NULL;
}

size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

char *
env_file(const struct env *e, const char *name, const char *text)
{
	char *path = malloc(strlen(e->dir) + strlen(name) + 2);
	FILE *fp;

	sprintf(path, "%s/%s", e->dir, name);
	fp = fopen(path, "w");
	cr_assert_not_null(fp, "%s", path);
	fputs(text, fp);
	fclose(fp);
	chmod(path, 0600);
	return path;
}

void
env_prepare(struct env *e, const char *conf_text)
{
	char *p;

	memset(e, 0, sizeof(*e));
	strcpy(e->dir, "/tmp/gg-XXXXXX");
	cr_assert_not_null(mkdtemp(e->dir));
	p = env_file(e, "galgate.conf", conf_text);
	snprintf(e->conf, sizeof(e->conf), "%s", p);
	free(p);
}

void
env_start(struct env *e, const char *extra, const char *slapd_opts)
{
	char conf[8192];
	const char *p;
	struct out o;
	size_t len;

	memset(e, 0, sizeof(*e));
	strcpy(e->dir, "/tmp/gg-XXXXXX");
	cr_assert_not_null(mkdtemp(e->dir));
	snprintf(conf, sizeof(conf),
	    "[gal]\nsuffix = " SUFFIX "\norganization = Contoso\n"
	    "site = HQ\nstate_dir = %s\n\n", e->dir);
	/* @DIR@ in extra stands for the test's directory */
	for (p = extra; p != NULL && *p != '\0'; p++) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			strncat(conf, e->dir, sizeof(conf) - strlen(conf) - 1);
			p += 4;
		} else if (strlen(conf) < sizeof(conf) - 1)
			strncat(conf, p, 1);
	}
	free(env_file(e, "galgate.conf", conf));
	snprintf(e->conf, sizeof(e->conf), "%s/galgate.conf", e->dir);
	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd start %s --conf %s "
	    "%s", e->dir, e->conf, slapd_opts != NULL ? slapd_opts : "");
	cr_assert_eq(o.status, 0, "slapd did not start: %s", o.text);
	len = strcspn(o.text, "\n");
	cr_assert(len < sizeof(e->uri));
	memcpy(e->uri, o.text, len);
	e->uri[len] = '\0';
	e->started = 1;
	out_free(&o);
}

void
env_stop(struct env *e)
{
	struct out o;

	if (e->dir[0] == '\0')
		return;
	if (e->started) {
		o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop %s",
		    e->dir);
		out_free(&o);
	}
	if (getenv("GALGATE_KEEP_TEST_DIRS") == NULL) {
		o = run("rm -rf %s", e->dir);
		out_free(&o);
	}
	e->dir[0] = '\0';
}

void
env_slapd_run(const struct env *e)
{
	struct sockaddr_un sa;
	struct out o;
	int fd, i, ok = 0;

	o = run("rm -f '%s/slapd/ldapi' && env %s slapd -f "
	    "'%s/slapd/slapd.conf' -h '%s' -s 0 -l LOCAL4 "
	    "2>'%s/slapd/slapd.log'", e->dir, e->slapd_env, e->dir, e->uri,
	    e->dir);
	cr_assert_eq(o.status, 0, "slapd did not start: %s", o.text);
	out_free(&o);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/slapd/ldapi", e->dir);
	for (i = 0; i < 2000 && !ok; i++) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			break;
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (!ok)
			usleep(5000);
	}
	cr_assert(ok, "slapd did not answer on %s", sa.sun_path);
}

int
ldap_apply(const struct env *e, const char *ldif)
{
	char *path = env_file(e, "apply.ldif", ldif);
	struct out o = run("ldapmodify -Q -Y EXTERNAL -H '%s' -f %s",
	    e->uri, path);
	int st = o.status;

	if (st != 0)
		cr_log_warn("ldapmodify: %s", o.text);
	out_free(&o);
	free(path);
	return st;
}
