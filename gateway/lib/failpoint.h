/*
 * failpoint.h: named points where the tests make galgate die (as a crash or
 * kill -9 would) or see an injected error, to prove that a cycle killed
 * anywhere leaves nothing lost, duplicated or half-written.
 *
 *   GALGATE_FAILPOINT=name:count[:ERRNO][,name:count[:ERRNO]...]
 *
 * name:count kills the process with SIGKILL the count-th time it passes
 * the point `name`; name:count:ENOSPC (or EIO, EDQUOT) instead makes that
 * pass and every later one fail with that error, where the point can fail
 * (a disk that stays full); name:count:STOP stops the process with
 * SIGSTOP on that pass, so a test can act (stop a server) and then
 * continue it with SIGCONT.  Before dying galgate writes
 * "galgate: failpoint NAME fired" to standard error, so a test can tell
 * the failpoint from any other death.  Always compiled in: when the
 * variable is unset a point costs one predictable branch.
 *
 * GALGATE_FAILPOINT_TRACE=1 writes "galgate: failpoint NAME pass N" to
 * standard error on every pass of every point, so a test can learn from
 * a clean run where (and how often) a cycle passes each point, and then
 * kill it at each of them.
 */
#ifndef GW_FAILPOINT_H
#define GW_FAILPOINT_H

extern int gw_failpoints_armed;

/* Reads GALGATE_FAILPOINT; -1 (with a message on stderr) when malformed. */
int	gw_failpoint_init(void);
/* Slow path of the macros below; returns an errno value or 0. */
int	gw_failpoint_pass(const char *name);

#define GW_FAILPOINT(name) do {						\
	if (gw_failpoints_armed)					\
		(void)gw_failpoint_pass(name);				\
} while (0)

/* An error to simulate here (0: none); sets errno when non-zero. */
#define GW_FAILPOINT_ERRNO(name)					\
	(gw_failpoints_armed ? gw_failpoint_pass(name) : 0)

#endif
