/*
 * faults.h: what the fault, security and ordering suites share: a
 * galgate run paused at a failpoint while the test stops a server, the
 * servers stopped and started again, a small filesystem to fill, and
 * reads of the event log, of `galgate status --json` and of the GAL.
 */
#ifndef GW_FAULTS_H
#define GW_FAULTS_H

#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

/* A galgate run stopped at a failpoint (GALGATE_FAILPOINT=name:N:STOP). */
struct paused {
	pid_t	 pid;
	char	 log[160];	/* its standard output and error */
};

/*
 * Starts `galgate -c conf ARGS` with GALGATE_FAILPOINT=failpoint and
 * waits until it stopped itself there (asserts that it did).
 */
void	paused_start(struct paused *, const char *conf, const char *failpoint,
	    const char *args);
/* Continues it (SIGCONT) and waits for its end: exit status and output. */
struct out paused_finish(struct paused *);

/* The private slapd of an environment, stopped and started again. */
void	slapd_stop(const struct env *);
void	slapd_start_again(const struct env *);

/*
 * An environment like env_start's whose [gal] names organization org and
 * site site; slapd runs with --dbnosync.
 */
void	env_start_org(struct env *, const char *org, const char *site,
	    const char *extra);

/* Lines of state_dir/events.jsonl with that event ID holding text. */
size_t	events_count(const struct env *, int id, const char *text);
/* The "watermarks" object of a connector in `galgate status --json`. */
char	*watermarks(const struct env *, const char *connector);
/*
 * "key=value;" for each of keys (NULL-terminated) among a connector's
 * watermarks, "key=-;" when absent (caller frees): the ones a test says
 * must not move.
 */
char	*watermarks_of(const struct env *, const char *connector,
	    const char *const *keys);
/* The exit status of a `galgate sync ARGS`; the output is logged. */
int	sync_status(const struct env *, const char *args);

/* Entries below base (scope "base", "one" or "sub") matching filter. */
size_t	ldap_count_in(const struct env *, const char *base, const char *scope,
	    const char *filter);
/*
 * The entry at exactly dn (asked for with the DN as given, no shell in
 * between), its LDIF (caller frees), or NULL when the server has none.
 */
char	*ldap_entry_at(const struct env *, const char *dn);
/* The whole tree below base as LDIF, operational attributes left out. */
char	*ldap_dump(const struct env *, const char *base);

/*
 * A small filesystem for the disk-full cases: a tmpfs of kb KB mounted at
 * dir, or, where mounting is not permitted, dir alone (the caller then
 * injects ENOSPC with the file-write failpoint).  disk_mount says which
 * on standard error and returns 1 for a tmpfs.
 */
struct disk {
	char	 dir[160];
	int	 mounted;
};

int	disk_mount(struct disk *, const char *dir, int kb);
/* Fills it up to left_kb KB of free space. */
void	disk_fill(struct disk *, int left_kb);
void	disk_unfill(struct disk *);
/* Always safe to call (fixture fini): unmounts if mounted. */
void	disk_unmount(struct disk *);

/* Regular files below dir (recursively) whose name contains needle. */
size_t	files_named(const char *dir, const char *needle);
/* A whole file (caller frees), or NULL if it does not exist. */
char	*file_text(const char *path, size_t *len);

#endif
