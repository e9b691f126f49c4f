/*
 * gal.h: the GAL client over libldap (gal.c is the only file that sees
 * <ldap.h>).  Synchronous reads, asynchronous pipelined writes, and the
 * RFC 4533 refreshOnly search the journal is built on.
 *
 * Errors name the DN and carry the server's text; a connection-level
 * failure maps to exit status 1.
 */
#ifndef GW_GAL_H
#define GW_GAL_H

#include <stddef.h>

#include "conf.h"
#include "err.h"
#include "record.h"

struct gal;

/* The filter every entry matches. */
#define GAL_FILTER_ALL	"(objectClass=*)"

enum gal_scope {
	GAL_SCOPE_BASE,
	GAL_SCOPE_ONE,
	GAL_SCOPE_SUB
};

/*
 * Connects to the first configured URI that answers (failover in order)
 * and binds: simple bind with bind_dn and the password read from
 * bind_password_file, else SASL EXTERNAL.  With no uri configured, the
 * embedded default's socket under state_dir is used.
 */
int	gal_open(const struct gw_conf *, struct gal **, struct gw_err *);
void	gal_close(struct gal *);
const char *gal_uri(const struct gal *);
/* The ldapi URI of the embedded slapd under state_dir (caller frees). */
char	*gal_default_uri(const char *state_dir);

/*
 * The audit LDIF: between open and close, every change the server
 * acknowledged is appended to state_dir/audit/NAME-<time>.ldif.  Files
 * older than the [gal] audit_keep are removed when one is opened.
 */
int	gal_audit_open(struct gal *, const char *state_dir, const char *name,
	    struct gw_err *);
void	gal_audit_close(struct gal *);

/* Called per entry; rec is borrowed.  Return 0 to go on, -1 to abort. */
typedef int (*gal_entry_cb)(void *arg, const struct gw_record *rec);

/*
 * Paged search; attrs NULL-terminated (NULL: all user attributes).
 * A missing base is not an error: *missing (if not NULL) is set to 1.
 */
int	gal_search(struct gal *, const char *base, enum gal_scope,
	    const char *filter, const char *const *attrs, gal_entry_cb,
	    void *arg, int *missing, struct gw_err *);
/* 1 found (out filled), 0 no such entry, -1 error. */
int	gal_read(struct gal *, const char *dn, const char *const *attrs,
	    struct gw_record *out, struct gw_err *);

/*
 * The journal marker (journal.h): rewrites the entry at dn with the values
 * it always has (cn, objectClass galgateJournalMarker, galgateHidden TRUE,
 * description), adding it if it is missing, and gives the entryCSN the
 * server stamped on it (*csn, caller frees).  Returns 1 when written, 0
 * when the parent of dn does not exist (nothing written), -1 on any other
 * failure, whose message names the DN and the server's reason.  Not in
 * the audit LDIF: it is no change of the GAL.
 */
int	gal_touch_marker(struct gal *, const char *dn, char **csn,
	    struct gw_err *);

/*
 * Result of one change in gal_apply: ok, else the server's result code
 * rc and its text msg (for messages; gal_outcome says what it means).
 */
typedef void (*gal_result_cb)(void *arg, size_t idx, int ok, int rc,
	    const char *msg);

/* What became of a change, in galgate's terms rather than LDAP's. */
enum gal_outcome {
	GAL_DONE,		/* applied */
	GAL_EXISTS,		/* an add: the entry is there already */
	GAL_GONE,		/* the entry changed or deleted is not there */
	GAL_REFUSED		/* anything else the server refused */
};
enum gal_outcome gal_outcome(int ok, int rc);

/*
 * Applies changes with up to `window` operations in flight (1 = in order,
 * one at a time).  Two changes to the same entry, or to entries one of
 * which is above the other (a renamed entry counting at its old and its
 * new DN), never overlap: each waits for the earlier one's result.  So a
 * list with parents added before their children and children deleted
 * before their parents is applied in that order.  Per-change
 * failures go to cb and are counted in *failed; the return value is -1
 * only for a connection failure (the rest was not attempted).
 * ignore_exists: an add whose entry exists counts as success.
 */
int	gal_apply(struct gal *, const struct gw_change *, size_t n,
	    size_t window, int ignore_exists, gal_result_cb cb, void *arg,
	    size_t *failed, struct gw_err *);

/*
 * Like gal_apply, but groups the changes into RFC 5805 transactions of
 * up to batch operations each, so the server commits each group once.  A
 * group the server refuses (one change failed, or no transactions on this
 * server) is applied again without a transaction, which reports each
 * failure on its own.
 *
 * Only hand it changes known to apply (adds whose DN was seen to be free):
 * slapd 2.5.13 has crashed, and corrupted its database, on a transaction
 * that failed at commit.
 */
int	gal_apply_txn(struct gal *, const struct gw_change *, size_t n,
	    size_t batch, size_t window, gal_result_cb cb, void *arg,
	    size_t *failed, struct gw_err *);

/* RFC 4533 states */
enum gal_sync_state {
	GAL_SYNC_PRESENT = 0,
	GAL_SYNC_ADD = 1,
	GAL_SYNC_MODIFY = 2,
	GAL_SYNC_DELETE = 3
};

struct gal_sync_ops {
	/* an entry; rec NULL when the server sent no attributes */
	int	(*entry)(void *arg, enum gal_sync_state,
		    const unsigned char uuid[16], const struct gw_record *rec);
	/* a syncIdSet: deletes when refresh_deletes, else present */
	int	(*idset)(void *arg, int refresh_deletes,
		    const unsigned char (*uuids)[16], size_t n);
};

#define GAL_SYNC_REFRESH_REQUIRED	1

/*
 * One refreshOnly search of base (subtree).  On success *cookie_out holds
 * the new cookie (malloc'd, may be empty) and *refresh_deletes tells
 * whether the refresh ended in the delete phase (1) or the present phase
 * (0: every entry not reported is gone).  Returns
 * GAL_SYNC_REFRESH_REQUIRED if the server asks for a full refresh.
 */
int	gal_sync_refresh(struct gal *, const char *base,
	    const struct gw_value *cookie, const struct gal_sync_ops *,
	    void *arg, struct gw_value *cookie_out, int *refresh_deletes,
	    struct gw_err *);

#endif
