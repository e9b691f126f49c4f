/*
 * failpoint.c: the named kill and error-injection points (failpoint.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failpoint.h"

#define FP_MAX		8
#define FP_NAMELEN	64
#define FP_STOP		(-1)

struct failpoint {
	char		 name[FP_NAMELEN];
	unsigned long	 count;		/* fires on this pass (1 = first) */
	unsigned long	 passes;
	int		 error;		/* 0: kill, FP_STOP, or an errno */
};

int gw_failpoints_armed;
static struct failpoint points[FP_MAX];
static size_t npoints;

/* GALGATE_FAILPOINT_TRACE: passes of every point seen, by name */
#define FP_TRACE_MAX	64
static struct {
	char		 name[FP_NAMELEN];
	unsigned long	 passes;
} traced[FP_TRACE_MAX];
static size_t ntraced;
static int tracing;

static const struct {
	const char	*name;
	int		 value;
} errnames[] = {
	{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EDQUOT", EDQUOT },
	{ "EROFS", EROFS }, { NULL, 0 }
};

static int
parse_one(const char *spec, size_t len, struct failpoint *fp)
{
	char buf[FP_NAMELEN + 64], *count, *errname, *end;
	size_t i;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, spec, len);
	buf[len] = '\0';
	if ((count = strchr(buf, ':')) == NULL)
		return -1;
	*count++ = '\0';
	if ((errname = strchr(count, ':')) != NULL)
		*errname++ = '\0';
	if (buf[0] == '\0' || strlen(buf) >= FP_NAMELEN)
		return -1;
	errno = 0;
	fp->count = strtoul(count, &end, 10);
	if (errno != 0 || end == count || *end != '\0' || fp->count == 0)
		return -1;
	strcpy(fp->name, buf);
	fp->passes = 0;
	fp->error = 0;
	if (errname != NULL && strcmp(errname, "STOP") == 0)
		fp->error = FP_STOP;
	else if (errname != NULL) {
		for (i = 0; errnames[i].name != NULL; i++)
			if (strcmp(errnames[i].name, errname) == 0)
				fp->error = errnames[i].value;
		if (fp->error == 0)
			return -1;
	}
	return 0;
}

int
gw_failpoint_init(void)
{
	const char *spec = getenv("GALGATE_FAILPOINT"), *p, *comma;
	size_t len;

	npoints = 0;
	ntraced = 0;
	tracing = (p = getenv("GALGATE_FAILPOINT_TRACE")) != NULL &&
	    *p != '\0' && strcmp(p, "0") != 0;
	gw_failpoints_armed = tracing;
	if (spec == NULL || *spec == '\0')
		return 0;
	for (p = spec; *p != '\0'; p = *comma != '\0' ? comma + 1 : comma) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		len = (size_t)(comma - p);
		if (npoints == FP_MAX ||
		    parse_one(p, len, &points[npoints]) == -1) {
			fprintf(stderr, "galgate: GALGATE_FAILPOINT: bad entry "
			    "\"%.*s\" (want name:count[:STOP|ENOSPC|EIO|"
			    "EDQUOT|EROFS], at most %d)\n", (int)len, p, FP_MAX);
			gw_failpoints_armed = 0;
			return -1;
		}
		npoints++;
	}
	gw_failpoints_armed = 1;
	return 0;
}

static void
trace_pass(const char *name)
{
	char msg[128];
	size_t i;
	int n;

	for (i = 0; i < ntraced; i++)
		if (strcmp(traced[i].name, name) == 0)
			break;
	if (i == ntraced) {
		if (ntraced == FP_TRACE_MAX || strlen(name) >= FP_NAMELEN)
			return;
		snprintf(traced[i].name, FP_NAMELEN, "%s", name);
		traced[i].passes = 0;
		ntraced++;
	}
	n = snprintf(msg, sizeof(msg), "galgate: failpoint %s pass %lu\n", name,
	    ++traced[i].passes);
	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n);
}

int
gw_failpoint_pass(const char *name)
{
	char msg[128];
	size_t i;
	int n;

	if (tracing)
		trace_pass(name);
	for (i = 0; i < npoints; i++) {
		struct failpoint *fp = &points[i];

		if (strcmp(fp->name, name) != 0)
			continue;
		fp->passes++;
		if (fp->error == FP_STOP) {
			if (fp->passes == fp->count) {
				n = snprintf(msg, sizeof(msg), "galgate: "
				    "failpoint %s stopped pid %ld\n", name,
				    (long)getpid());
				if (n > 0)
					(void)!write(STDERR_FILENO, msg,
					    (size_t)n);
				raise(SIGSTOP);
			}
			continue;
		}
		if (fp->error != 0) {
			if (fp->passes < fp->count)
				continue;
			errno = fp->error;
			return fp->error;
		}
		if (fp->passes != fp->count)
			continue;
		/* write(2) only: stdio buffers may hold half a line */
		n = snprintf(msg, sizeof(msg), "galgate: failpoint %s fired\n",
		    name);
		if (n > 0)
			(void)!write(STDERR_FILENO, msg, (size_t)n);
		kill(getpid(), SIGKILL);
		_exit(137);
	}
	return 0;
}
