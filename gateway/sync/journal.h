/*
 * journal.h: the change journal (DESIGN.md "Change journal").
 *
 * journal_poll runs one RFC 4533 refreshOnly search from the saved cookie
 * and gives every entry added, modified or deleted since the last poll the
 * next gateway USN, in the order the server reports them.  Changes to one
 * entry between two polls merge into one record with the latest state.
 * The cookie is kept with the identity of the GAL (the suffix entry's
 * entryUUID and contextCSN): a replaced or restored GAL is noticed and
 * resynchronized fully.  All of one poll is one LMDB transaction.
 *
 * What a poll guarantees: every change the server committed before the
 * poll began, by galgate or by anyone, is journaled by it.  A refresh
 * sees only what the suffix's contextCSN covers, and contextCSN can stay
 * behind a committed change while an older failed write is pending on
 * the server.  So, after checking the GAL's identity (a write made first
 * would hide a restored GAL) and only when the suffix entry exists, the
 * poll rewrites its identity's journal marker (same values, a new
 * entryCSN; below the bind_dn entry when that is in the GAL, else below
 * the suffix) until contextCSN for the marker's server ID is at or past
 * the marker's entryCSN: then everything older is inside the refresh.
 * Usually one write and two reads; if contextCSN still lags after 10
 * seconds, event 1005 (error) and the poll fails, journaling nothing.
 * Markers (objectClass galgateJournalMarker) are never journaled.
 */
#ifndef GW_JOURNAL_H
#define GW_JOURNAL_H

#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "err.h"
#include "evlog.h"
#include "record.h"

struct gal;
struct gw_state;
struct gw_txn;

struct journal_rec {
	uint64_t	 usn;
	enum gw_op	 op;		/* ADD, MODIFY or DELETE */
	time_t		 time;
	unsigned char	 uuid[16];
	unsigned char	 hash[GW_HASH_LEN];	/* zero for DELETE */
	const char	*dn;		/* borrowed from the map */
	size_t		 dnlen;
};

struct journal_stats {
	uint64_t	 head;		/* highest USN after the poll */
	size_t		 added, modified, deleted;
	int		 full;		/* resynchronized without a cookie */
	int		 present;	/* the server used a present phase */
};

int	journal_poll(const struct gw_conf *, struct gal *, struct gw_state *,
	    struct gw_evlog *, struct journal_stats *, struct gw_err *);

/* Calls cb for each record with usn > since, in USN order. */
typedef int (*journal_cb)(void *arg, const struct journal_rec *);
int	journal_iter(struct gw_txn *, uint64_t since, journal_cb, void *arg,
	    struct gw_err *);
/* Highest USN given, and the highest USN purged (0: nothing purged). */
int	journal_head(struct gw_txn *, uint64_t *head, uint64_t *floor,
	    struct gw_err *);

/* What the journal knows of an entry now. */
struct journal_entry {
	int		 alive;
	uint64_t	 usn;		/* its latest record */
	uint64_t	 first_usn;	/* its first record: order of arrival */
	time_t		 time;
	unsigned char	 hash[GW_HASH_LEN];
	const char	*dn;		/* borrowed */
	size_t		 dnlen;
};
int	journal_entry_get(struct gw_txn *, const unsigned char uuid[16],
	    struct journal_entry *, struct gw_err *);

const char *journal_op_name(enum gw_op);
/* 36-character RFC 4122 text form; buf at least 37 bytes. */
void	journal_uuid_str(const unsigned char uuid[16], char *buf);

#endif
