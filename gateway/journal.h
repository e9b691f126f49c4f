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
