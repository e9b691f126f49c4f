/* hold.c: see hold.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "hold.h"

static void
hold_path(const struct env *e, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/hold/%s", e->dir, name);
}

void
hold_prepare(struct env *e)
{
	char path[256];

	hold_path(e, "", path, sizeof(path));
	cr_assert(mkdir(path, 0700) == 0 || errno == EEXIST, "%s: %s", path,
	    strerror(errno));
	snprintf(e->slapd_env, sizeof(e->slapd_env), "LD_PRELOAD="
	    ABORT_HOLD_LIB " GALGATE_ABORT_HOLD=%s/hold", e->dir);
}

void
hold_slapd(struct env *e)
{
	struct out o;

	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop %s", e->dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	hold_prepare(e);
	env_slapd_run(e);
}

void
hold_disarm(const struct env *e)
{
	char path[256];

	hold_path(e, "arm", path, sizeof(path));
	cr_assert(unlink(path) == 0 || errno == ENOENT, "%s: %s", path,
	    strerror(errno));
}

void
hold_arm(const struct env *e)
{
	char path[256];
	FILE *fp;

	hold_path(e, "arm", path, sizeof(path));
	cr_assert_not_null(fp = fopen(path, "w"), "%s", path);
	fclose(fp);
}

int
hold_is_held(const struct env *e)
{
	char path[256];

	hold_path(e, "held", path, sizeof(path));
	return access(path, F_OK) == 0;
}

void
hold_wait_held(const struct env *e)
{
	int i;

	/* the double renames arm to held once the add's result went out */
	for (i = 0; i < 60000 && !hold_is_held(e); i++)
		usleep(1000);
	cr_assert(hold_is_held(e), "no failed add was held on the server");
}

void
hold_release(const struct env *e)
{
	char path[256];

	hold_path(e, "held", path, sizeof(path));
	cr_assert_eq(unlink(path), 0, "nothing held to release (%s)", path);
}
