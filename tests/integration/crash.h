/*
 * crash.h: the machinery of the crash-consistency tests (suites
 * crash_ccmail, crash_pcmail, crash_interorg).
 *
 * A test builds the state before a cycle once and snapshots it.  A clean
 * run of the cycle from that snapshot, traced (GALGATE_FAILPOINT_TRACE),
 * gives the reference outcome and tells where the cycle passes each
 * failpoint.  Then, for every point chosen: restore the snapshot, run the
 * cycle with GALGATE_FAILPOINT=name:count and check that galgate wrote
 * "galgate: failpoint NAME fired" and died of SIGKILL, check what it left
 * behind, rerun the cycle to completion and compare: the GAL (normalized
 * LDIF), the journal (no USN gap or repeat, the same final state) and
 * what went to the other side.
 *
 * Slapd runs with --dbnosync: killing galgate needs no slapd fsync, and a
 * snapshot is restored by killing slapd and copying its database back.
 */
#ifndef GW_CRASH_H
#define GW_CRASH_H

#include <stddef.h>

#include "harness.h"
#include "hold.h"
#include "util.h"

#define CRASH_SLAPD_OPTS	"--dbnosync"

/* GALGATE_CRASH_FULL=1: the long version (more points, larger input). */
int	crash_full(void);
/*
 * GALGATE_CRASH_ENDS=1 (the sanitize stage of tests/run.sh): each
 * failpoint is taken at its first and its last pass only, where
 * crash_points_every and crash_points_spread would take more, and the
 * passes a test picks by hand (crash_points_pick) are left out; the
 * release stage runs them all.
 */
int	crash_ends(void);

/* One galgate run; out and err are its standard output and error. */
struct crash_result {
	char	*out;
	char	*err;
	int	 status;	/* exit status, -1 if a signal ended it */
	int	 signal;	/* that signal, else 0 */
};

/*
 * galgate -c e->conf ARGS (split at spaces) with GALGATE_FAILPOINT=fp
 * (NULL: none) and, when trace is set, GALGATE_FAILPOINT_TRACE=1.
 */
void	crash_galgate(const struct env *, const char *fp, int trace,
	    const char *args, struct crash_result *);
void	crash_result_free(struct crash_result *);

/*
 * The rerun with the server holding a failed add (hold.h, slapd started
 * by hold_slapd): arms the hold, runs galgate ARGS traced, and releases
 * the held add once galgate has passed failpoint `after` (all its writes
 * answered), so that every write after the failed one commits while its
 * CSN is still pending.  Asserts that an add was held until then.
 */
void	crash_galgate_held(const struct env *, const char *args,
	    const char *after, struct crash_result *);

/* Where a clean run passed each failpoint, and how often. */
struct crash_trace {
	struct crash_traced {
		char		 name[64];
		unsigned long	 passes;
	}		*v;
	size_t		 n;
};
/* Reads the "galgate: failpoint NAME pass N" lines of a traced run. */
void	crash_trace_read(const char *err, struct crash_trace *);
unsigned long crash_trace_passes(const struct crash_trace *, const char *name);
void	crash_trace_free(struct crash_trace *);

/* name:count as GALGATE_FAILPOINT takes it. */
struct crash_point {
	char		 name[64];
	unsigned long	 count;
};

struct crash_points {
	struct crash_point	*v;
	size_t			 n;
};

/* Adds name:count unless it is there; asserts the trace passes it. */
void	crash_points_add(struct crash_points *, const struct crash_trace *,
	    const char *name, unsigned long count);
/*
 * Adds name at its first, middle and last pass in the trace, and at each
 * pass in between when GALGATE_CRASH_FULL is set (at most full_max); the
 * first and the last only with GALGATE_CRASH_ENDS.
 */
void	crash_points_spread(struct crash_points *, const struct crash_trace *,
	    const char *name, unsigned long full_max);
/* crash_points_add of a pass chosen for a reason, unless crash_ends. */
void	crash_points_pick(struct crash_points *, const struct crash_trace *,
	    const char *name, unsigned long count);
/* Adds name at every pass in the trace (at most max; see crash_ends). */
void	crash_points_every(struct crash_points *, const struct crash_trace *,
	    const char *name, unsigned long max);
/*
 * GALGATE_CRASH_POINTS="name:count ..." runs those points alone, in that
 * order, instead of the test's own set: count is a pass number, "first"
 * or "last" (of the clean run, whose pass numbers move as write counts
 * change).  A name this clean run never passes is left out; a count past
 * its passes fails the test.  Unset: ps stays as it is.
 */
void	crash_points_select(struct crash_points *, const struct crash_trace *);
/* "name:count name:count ..." (caller frees). */
char	*crash_points_str(const struct crash_points *);
/* Distinct point names among the points. */
size_t	crash_points_names(const struct crash_points *);
void	crash_points_free(struct crash_points *);

/*
 * Runs galgate ARGS with the point armed and asserts that the point fired
 * ("galgate: failpoint NAME fired" on standard error) and that galgate
 * died of SIGKILL; then waits until slapd is idle, having finished the
 * writes the dead process had sent (as it would have long before a real
 * rerun).
 */
void	crash_kill_at(const struct env *, const struct crash_point *,
	    const char *args);

/*
 * Stops slapd, copies its database, galgate's state (galgate.mdb,
 * events.jsonl) and the paths named (relative to e->dir, NULL-terminated)
 * into e->dir/snap-NAME, starts slapd again.
 */
void	crash_snapshot(const struct env *, const char *name,
	    const char *const *paths);
/* Kills slapd, puts snapshot NAME back in place, starts slapd. */
void	crash_restore(const struct env *, const char *name,
	    const char *const *paths);

/*
 * The GAL as normalized LDIF: every entry's user and operational
 * attributes except those that differ between two runs of the same
 * changes (entryUUID, entryCSN, createTimestamp, modifyTimestamp,
 * creatorsName, modifiersName, contextCSN), lines sorted within each
 * entry, entries sorted by DN.  Caller frees.
 */
char	*crash_gal_dump(const struct env *);
/* Asserts want == got, naming the first entries that differ. */
void	crash_gal_assert_eq(const char *want, const char *got,
	    const char *what);

/*
 * Reads `galgate journal --json` and asserts that its USNs follow each
 * other without a gap or a repeat and that no record repeats the state
 * its entry already had (an add of a live entry, a modify to the same
 * state, a delete of a deleted one).  Returns the journal's final state,
 * "DN<TAB>hash" of every live entry, sorted (caller frees); *head gets
 * the last USN.
 */
char	*crash_journal_state(const struct env *, const char *what,
	    unsigned long long *head);
/* Asserts two journal states equal, naming the first difference. */
void	crash_journal_assert_eq(const char *want, const char *got,
	    const char *what);

/* Reads a whole file (NULL if it does not exist); *len its size. */
char	*crash_slurp(const char *path, size_t *len);
/* 1 if the two files have the same bytes (or both do not exist). */
int	crash_same_file(const char *a, const char *b);
/* Names in a directory, sorted, NULL-terminated (caller frees all). */
char	**crash_listdir(const char *dir);
void	crash_strv_free(char **);

/* Appends to an LDIF text being built; aborts the test on failure. */
void	crash_ldif_add(struct gw_buf *, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* Applies the text with ldapmodify to e's server, then empties it. */
void	crash_ldif_apply(const struct env *, struct gw_buf *);

/* Seconds since an arbitrary start, for the timing lines of the log. */
double	crash_now(void);

#endif
