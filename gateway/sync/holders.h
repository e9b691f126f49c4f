/*
 * holders.h: one SMTP address, one recipient.  Whether an address is
 * already held in the GAL, as a primary address (mail) or a secondary
 * one (an smtp: proxy), found by an indexed search rather than a set of
 * every address in memory, so that it costs the same in a GAL of any
 * size.
 */
#ifndef GW_HOLDERS_H
#define GW_HOLDERS_H

#include "gal.h"

/* The filter of the entries that hold addr (caller frees). */
char	*gw_smtp_filter(const char *addr);

/*
 * 1 if an entry below base holds addr, case-insensitively, other than
 * except_dn (compared as gw_dn_key does) and the entries of the
 * connector except_connector (either NULL: none excepted); *holder (if
 * not NULL) is then its DN, caller frees.  0 if none does, -1 on error.
 */
int	gw_smtp_held(struct gal *, const char *base, const char *addr,
	    const char *except_dn, const char *except_connector,
	    char **holder, struct gw_err *);

#endif
