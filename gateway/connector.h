/*
 * connector.h: the contract between the gateway and a connector module.
 *
 * A connector is one folder under connectors/ exporting one const
 * struct gw_connector_ops, plus one line in connector.c's registry.
 *
 * Lifecycle (called through connector.c only):
 *   configure  once per instance after the config validated; reads its
 *              section (and requestor sections), builds priv; no I/O.
 *   import     foreign side -> GAL, inside a cycle.
 *   export     GAL -> foreign side, inside a cycle, after import.
 *              Either may be NULL; a connector whose protocol needs one
 *              ordering of both may do all its work in one of them.
 *   status     appends its watermarks and protocol numbers to out (text,
 *              or JSON members when json); may be NULL.
 *   reset      "galgate reset NAME --import-all|--export-all"; may be NULL.
 *   release    frees priv; always called after a successful configure.
 * Every function returns 0 or -1 with err set.  A cycle's LDAP writes go
 * through cycle->gal; its watermarks move only after what they cover is
 * durable.
 */
#ifndef GW_CONNECTOR_H
#define GW_CONNECTOR_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "err.h"
#include "evlog.h"
#include "util.h"

struct gal;
struct gw_state;
struct gw_txn;

/* What one cycle did, for status and metrics. */
struct gw_counts {
	size_t	 adds, modifies, deletes, skipped, errors;
};

struct gw_cycle {
	const struct gw_conf	*conf;
	const char		*audit_path;	/* LDIF of the changes, or NULL */
	struct gal		*gal;
	struct gw_state		*state;
	struct gw_evlog		*ev;
	int			 dry_run;	/* print, write nothing */
	long			 allow_deletes;	/* --allow-deletes N, or 0 */
	FILE			*out;		/* dry-run and report output */
	struct gw_counts	 counts;
};

struct gw_reset {
	int		 import_all;
	int		 export_all;
	const char	*requestor;	/* NULL: every peer */
};

struct gw_connector;

struct gw_connector_ops {
	const char		*type;
	const struct conf_key	*keys;		/* its [connector] keys */
	const struct conf_key	*extra_keys;	/* shared ones (a transport) */
	const struct conf_key	*peer_keys;	/* [requestor] keys, or NULL */
	int	(*configure)(struct gw_connector *, const struct gw_conf *,
		    struct gw_err *);
	int	(*import)(struct gw_connector *, struct gw_cycle *,
		    struct gw_err *);
	int	(*export)(struct gw_connector *, struct gw_cycle *,
		    struct gw_err *);
	int	(*status)(struct gw_connector *, struct gw_txn *,
		    struct gw_buf *out, int json, struct gw_err *);
	int	(*reset)(struct gw_connector *, struct gw_cycle *,
		    const struct gw_reset *, struct gw_err *);
	void	(*release)(struct gw_connector *);
};

struct gw_connector {
	const struct gw_connector_ops	*ops;
	const struct conf_section	*sec;
	const char			*name;
	void				*priv;
};

/* Registry */
const struct gw_connector_ops *connector_lookup(const char *type);
/* "a, b, c" of every registered type (static storage). */
const char	*connector_type_list(void);
/* Adds a type at run time (tests); fails on a duplicate name. */
int		 connector_register(const struct gw_connector_ops *);

/* Instance set up from a [connector NAME] section. */
int	connector_configure(struct gw_connector *, const struct gw_conf *,
	    const char *name, struct gw_err *);
void	connector_release(struct gw_connector *);

/*
 * One cycle: takes state_dir/locks/NAME.lock (exit 5 if another cycle
 * holds it), runs import then export, records the result for status and
 * logs start and end events.
 */
int	connector_cycle(struct gw_connector *, struct gw_cycle *,
	    struct gw_err *);
/*
 * Takes state_dir/locks/NAME.lock for one cycle (or anything that must
 * not run beside one); *fd holds it until closed.  GW_EXIT_BUSY when
 * another process holds it.
 */
int	connector_lock(const char *state_dir, const char *name, int *fd,
	    struct gw_err *);
/* Records a cycle that could not start (server down) for status. */
void	connector_record_failure(struct gw_cycle *, const char *name,
	    const struct gw_err *);
int	connector_reset(struct gw_connector *, struct gw_cycle *,
	    const struct gw_reset *, struct gw_err *);

/* Last-cycle record kept in the status database. */
struct gw_cycle_status {
	long long	 start, end;
	int		 exit;		/* enum gw_exit of the cycle */
	struct gw_counts counts;
	long long	 last_ok;	/* end of the last successful cycle */
	long		 failures;	/* failed cycles since that one */
	char		 msg[512];
};
int	connector_status_get(struct gw_txn *, const char *name,
	    struct gw_cycle_status *, struct gw_err *);

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
