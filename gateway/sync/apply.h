/*
 * apply.h: the stage that writes a cycle's planned changes to the GAL,
 * the same for every connector.  Before the first add it makes the
 * import container and what is above it (tree.h).  An add that meets an
 * entry this connector made (with the same foreign key: a cycle cut
 * short made it) adopts it: the entry is brought to what the add
 * carries.  A delete that finds its entry gone counts as done: gone is
 * what it wants.  Any other refusal is an error event of the connector,
 * counted, and the rest goes on.  Each change that took effect is
 * counted in the cycle's adds, modifies and deletes (an adoption as an
 * add).  A dry run prints the changes as LDIF and writes nothing.
 */
#ifndef GW_APPLY_H
#define GW_APPLY_H

#include <stddef.h>

#include "container.h"
#include "cycle.h"
#include "err.h"
#include "record.h"

struct gw_apply {
	const char		 *connector;
	/* made before the first add, or NULL */
	const struct gw_container *container;
	/*
	 * What adopting an entry may rewrite; NULL: the attributes the
	 * add carries, nothing removed.
	 */
	const char *const	 *managed;
	int			  ev_failed;	/* a change refused */
	int			  ev_not_ours;	/* others' entry in the way */
	const char		 *subject;	/* "subject: ", or NULL */
	size_t			  window;	/* writes in flight */
	/*
	 * RFC 5805 transactions of this many changes, 0 for none: only
	 * for adds whose DNs were seen to be free (gal.h).
	 */
	size_t			  txn;
	/* out, or NULL: 1 where a change took effect */
	int			 *ok;
	/*
	 * Set here once the container is there (or, in a dry run, was
	 * printed): later calls with the same struct do not ask again.
	 */
	int			  container_ready;
};

/* 0, or -1 when the GAL could not be reached (the rest not tried). */
int	gw_apply(struct gw_cycle *, struct gw_apply *,
	    const struct gw_change *, size_t n, struct gw_err *);

#endif
