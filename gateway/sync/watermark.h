/*
 * watermark.h: each connector's watermarks and shadow records in the
 * state (state.h), in its own key space: "connector\0key".
 */
#ifndef GW_WATERMARK_H
#define GW_WATERMARK_H

#include <stddef.h>

#include "err.h"
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

#endif
