/*
 * err.h: one error context passed down every call chain.
 *
 * Functions return 0 on success and -1 on failure; the details go into a
 * caller-provided struct gw_err.  The first error set wins, so the root
 * cause survives the unwinding.  Messages are one line, no trailing LF.
 */
#ifndef GW_ERR_H
#define GW_ERR_H

#include <stddef.h>

/* Exit statuses of every command (DESIGN.md "Contracts"). */
enum gw_exit {
	GW_EXIT_OK = 0,
	GW_EXIT_RUNTIME = 1,	/* server down, write refused */
	GW_EXIT_USAGE = 2,	/* usage or config error */
	GW_EXIT_INPUT = 3,	/* malformed input refused */
	GW_EXIT_THRESHOLD = 4,	/* stopped by the deletion threshold */
	GW_EXIT_BUSY = 5	/* another cycle of that connector runs */
};

struct gw_err {
	int	 set;
	int	 exit;		/* enum gw_exit the failure maps to */
	char	 msg[1024];
};

void	gw_err_init(struct gw_err *);
/* Sets the error unless one is already set.  Always returns -1. */
int	gw_err_set(struct gw_err *, int exit, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));
/* Prefixes an already set message ("where: msg"). */
void	gw_err_prefix(struct gw_err *, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));

#endif
