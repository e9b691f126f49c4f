/*
 * tree.h: the entries above what galgate writes.  `galgate init`, and
 * every cycle about to write into an import container, make sure the
 * container and each entry above it exist, creating what is missing top
 * first: the suffix entry, then o=, ou=, cn= (galgateContainer) and dc=
 * entries.  An import_container added to the configuration after
 * `galgate init` so works at once, its entries made in the same cycle.
 */
#ifndef GW_TREE_H
#define GW_TREE_H

#include <stddef.h>

#include "connector.h"
#include "dn.h"
#include "err.h"
#include "record.h"

struct gal;

/* Adds to make, parents before children. */
struct tree_plan {
	struct gw_change	*ch;
	size_t			 n;
};

void	tree_plan_init(struct tree_plan *);
void	tree_plan_release(struct tree_plan *);
/* The suffix entry itself (its parents are outside the database). */
int	tree_plan_suffix(struct tree_plan *, const char *suffix,
	    struct gw_err *);
/* Every entry from the top of dn down to dn itself, dn below suffix. */
int	tree_plan_dn(struct tree_plan *, const struct gw_dn *,
	    const char *suffix, struct gw_err *);
/* Drops the planned entries the server already has. */
int	tree_plan_missing(struct tree_plan *, struct gal *, struct gw_err *);

/*
 * Inside a cycle: creates the container dn (its LDAP form ldap) and what
 * is missing above it, each as event 1010 of the connector; a dry run
 * prints their LDIF instead.  One read when the container exists.
 */
int	tree_ensure(struct gw_cycle *, const char *connector,
	    const struct gw_dn *dn, const char *ldap, struct gw_err *);

#endif
