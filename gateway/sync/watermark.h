/*
 * watermark.h: each connector's watermarks and shadow records in the
 * state (state.h), in its own key space: "connector\0key".
 */
#ifndef GW_WATERMARK_H
#define GW_WATERMARK_H

#include <stddef.h>

#include "err.h"
#include "record.h"
#include "util.h"

struct gw_txn;

/* Watermark helpers: keys are "connector\0name" in the wmark database. */
int	wmark_get(struct gw_txn *, const char *connector, const char *key,
	    struct gw_value *out, struct gw_err *);
int	wmark_put(struct gw_txn *, const char *connector, const char *key,
	    const void *val, size_t len, struct gw_err *);
int	wmark_get_u64(struct gw_txn *, const char *connector, const char *key,
	    unsigned long long *out, struct gw_err *);
int	wmark_put_u64(struct gw_txn *, const char *connector, const char *key,
	    unsigned long long, struct gw_err *);

/*
 * Shadow records ("connector space"): key -> bytes, per connector, in the
 * shadow database.  shadow_iter calls cb with the key minus the
 * connector prefix.
 */
int	shadow_put(struct gw_txn *, const char *connector, const void *key,
	    size_t klen, const void *val, size_t vlen, struct gw_err *);
/* 1 found (val borrowed until the transaction ends), 0 not, -1 error */
int	shadow_get(struct gw_txn *, const char *connector, const void *key,
	    size_t klen, struct gw_value *val, struct gw_err *);
int	shadow_del(struct gw_txn *, const char *connector, const void *key,
	    size_t klen, struct gw_err *);
typedef int (*shadow_cb)(void *arg, const void *key, size_t klen,
	    const void *val, size_t vlen);
int	shadow_iter(struct gw_txn *, const char *connector, shadow_cb,
	    void *arg, struct gw_err *);
/* Only the keys that start with prefix. */
int	shadow_iter_from(struct gw_txn *, const char *connector,
	    const void *prefix, size_t plen, shadow_cb, void *arg,
	    struct gw_err *);

/*
 * The one form of a shadow value that remembers an entry: the fingerprint
 * of what it was made from (GW_HASH_LEN bytes), then text fields, each
 * ended by a NUL (a last field without one is read as well).
 */
#define GW_SHADOW_FIELDS	4
struct gw_shadow_value {
	const unsigned char	*hash;
	struct gw_value		 field[GW_SHADOW_FIELDS]; /* in the value */
	size_t			 n;
};

/* Writes hash and fields (NULL as "") into b, emptied first. */
void	gw_shadow_value_put(struct gw_buf *b, const unsigned char *hash,
	    const char *const *field, size_t n);
/* 0, or -1 when v is too short to hold a fingerprint and one field. */
int	gw_shadow_value_read(const void *v, size_t len,
	    struct gw_shadow_value *out);
/* Field i as a new string ("" when the value has no such field). */
char	*gw_shadow_field(const struct gw_shadow_value *, size_t i);

#endif
