/*
 * cycle.h: what a synchronization cycle carries through its stages, the
 * same for every connector (connector.h runs it).
 */
#ifndef GW_CYCLE_H
#define GW_CYCLE_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "evlog.h"

struct gal;
struct gw_state;

/* What one cycle did, for status and metrics. */
struct gw_counts {
	size_t	 adds, modifies, deletes, skipped, errors;
};

struct gw_cycle {
	const struct gw_conf	*conf;
	const char		*audit_path;	/* LDIF of the changes, or NULL */
	struct gal		*gal;
	struct gw_state		*state;
	struct gw_evlog		*ev;
	int			 dry_run;	/* print, write nothing */
	long			 allow_deletes;	/* --allow-deletes N, or 0 */
	FILE			*out;		/* dry-run and report output */
	struct gw_counts	 counts;
};

#endif
