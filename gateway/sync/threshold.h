/*
 * threshold.h: the deletion threshold, one stage for every connector and
 * both directions.  A cycle that would delete more than delete_threshold
 * allows of what one side holds (the entries a connector owns in the GAL,
 * or the GAL entries a foreign system holds) stops before it writes
 * anything: an error event of the connector, exit 4, and a hint naming
 * the --allow-deletes that would accept it.
 *
 * On the GAL side the entries a connector owns are counted from LDAP,
 * never from its shadow: the GAL decides.  The count is a search of one
 * container, made only when the deletions could exceed the threshold.
 */
#ifndef GW_THRESHOLD_H
#define GW_THRESHOLD_H

#include <stddef.h>

#include "conf.h"
#include "cycle.h"
#include "err.h"

/* The delete_threshold key of a connector section, and its value. */
#define GW_KEY_DELETE_THRESHOLD(help) \
	{ "delete_threshold", CONF_THRESHOLD, 0, 0, 0, NULL, help }
#define GW_DELETE_THRESHOLD_DEFAULT	"10%, 50"
void	gw_threshold_conf(const struct conf_section *, struct gw_threshold *);

/*
 * What a cycle is about to delete on one side.  The event reads
 * "<who> would delete N of the M <what>: more than delete_threshold
 * allows; nothing written<then> (<hint>--allow-deletes N to accept)",
 * the error "<connector>: <scope>: N deletions in <in> exceed
 * delete_threshold; nothing written" (scope and in left out when NULL).
 */
struct gw_deletions {
	size_t		 ndel;		/* deletions the cycle plans */
	size_t		 total;		/* the side holds, unless owned_in */
	const char	*owned_in;	/* GAL side: count the connector's
					   entries one level below this DN */
	int		 event;		/* the connector's event number */
	const char	*x500;		/* the event's DN, or NULL */
	const char	*who;		/* "the cycle", "requestor X" */
	const char	*what;		/* "entries imported from cc:Mail" */
	const char	*then;		/* ", the batch waits", or NULL */
	const char	*hint;		/* a likely cause, or NULL */
	const char	*scope;		/* the error's subject, or NULL */
	const char	*in;		/* where the deletions are, or NULL */
};

/*
 * 0 when the deletions are within the threshold (or --allow-deletes
 * covers them); -1 with GW_EXIT_THRESHOLD (and the event, unless a dry
 * run) when they are not, or -1 when the count could not be read.
 */
int	gw_check_deletions(struct gw_cycle *, const char *connector,
	    const struct gw_threshold *, const struct gw_deletions *,
	    struct gw_err *);

#endif
