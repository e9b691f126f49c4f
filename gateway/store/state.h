/*
 * state.h: galgate's LMDB environment, state_dir/galgate.mdb/ (the only
 * user of <lmdb.h>).
 *
 * Named databases:
 *   meta     format version, USN counter, journal cookie and GAL identity
 *   journal  USN (8 bytes, big-endian) -> journal record
 *   entries  entryUUID (16 bytes) -> what the journal last saw of it
 *   wmark    "connector\0key" -> watermark bytes
 *   shadow   "connector\0foreign key" -> shadow record
 *   status   connector name -> last cycle summary
 * Every update happens inside one write transaction.
 */
#ifndef GW_STATE_H
#define GW_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

enum gw_db {
	GW_DB_META,
	GW_DB_JOURNAL,
	GW_DB_ENTRIES,
	GW_DB_WMARK,
	GW_DB_SHADOW,
	GW_DB_STATUS,
	GW_DB_COUNT
};

#define GW_STATE_FORMAT	1

struct gw_state;
struct gw_txn;

/* Opens (creating) state_dir/galgate.mdb.  Errors: I/O, format mismatch. */
int	state_open(const char *state_dir, struct gw_state **, struct gw_err *);
void	state_close(struct gw_state *);

/* One write transaction at a time per environment (LMDB's rule). */
int	state_begin(struct gw_state *, int write, struct gw_txn **,
	    struct gw_err *);
/* Commit frees the transaction whatever the result; abort too. */
int	state_commit(struct gw_txn *, struct gw_err *);
void	state_abort(struct gw_txn *);

/*
 * Lookup: 1 found (out points into the map, valid until the transaction
 * ends or the next write), 0 not found, -1 error.
 */
int	state_get(struct gw_txn *, enum gw_db, const void *key, size_t klen,
	    struct gw_value *out, struct gw_err *);
int	state_put(struct gw_txn *, enum gw_db, const void *key, size_t klen,
	    const void *val, size_t vlen, struct gw_err *);
/* Deleting a missing key is not an error. */
int	state_del(struct gw_txn *, enum gw_db, const void *key, size_t klen,
	    struct gw_err *);

/*
 * Calls cb for each key >= from (all if from is NULL) in key order while
 * cb returns 0; cb returning 1 stops (not an error), -1 aborts with -1.
 */
typedef int (*state_iter_cb)(void *arg, const struct gw_value *key,
	    const struct gw_value *val);
int	state_iter(struct gw_txn *, enum gw_db, const void *from, size_t flen,
	    state_iter_cb, void *arg, struct gw_err *);
/* Like state_iter restricted to keys that start with prefix. */
int	state_iter_prefix(struct gw_txn *, enum gw_db, const void *prefix,
	    size_t plen, state_iter_cb, void *arg, struct gw_err *);
/* Deletes every key starting with prefix. */
int	state_del_prefix(struct gw_txn *, enum gw_db, const void *prefix,
	    size_t plen, struct gw_err *);

/* Big-endian 64-bit helpers for keys that must sort numerically. */
void	 gw_be64_put(unsigned char *, uint64_t);
uint64_t gw_be64_get(const unsigned char *);

/* Meta helpers: 64-bit counters stored big-endian under a name. */
int	state_get_u64(struct gw_txn *, enum gw_db, const char *key,
	    uint64_t *out, struct gw_err *);
int	state_put_u64(struct gw_txn *, enum gw_db, const char *key, uint64_t,
	    struct gw_err *);

#endif
