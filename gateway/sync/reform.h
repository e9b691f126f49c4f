/*
 * reform.h: entries an earlier version of galgate wrote, brought to the
 * form this version writes.
 *
 * What a connector writes into its entries (which cn value comes first,
 * the further names, the split of the display name) is decided by the
 * recipient module, and a version may decide it differently from the one
 * before.  The connectors themselves rewrite an entry only when its
 * foreign side changes it, so without this pass a GAL would keep the old
 * form for as long as its people stay the same.  The first cycle of each
 * connector after an upgrade reads every entry the connector owns back
 * into a recipient and writes the difference to the entry that recipient
 * makes now: the managed attributes only, the DN unchanged (the one DN
 * rule has not changed), each write journaled like any other.  The
 * connector's watermark "recipient_form" then records the form, so later
 * cycles skip the pass; a cycle stopped half-way does the rest next time.
 */
#ifndef GW_REFORM_H
#define GW_REFORM_H

#include "cycle.h"
#include "err.h"

/*
 * The form of the entries this version writes.  2: the display name is
 * the first cn value, then the further names and the given name first.
 */
#define GW_RECIPIENT_FORM	2

/*
 * Brings connector's entries to GW_RECIPIENT_FORM unless its watermark
 * says they are; a dry run prints the changes (LDIF) and writes nothing.
 * 0, or -1 with err set (nothing recorded).
 */
int	gw_reform(struct gw_cycle *, const char *connector, struct gw_err *);

#endif
