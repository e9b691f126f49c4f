/*
 * interorg.h: the InterOrg connector's private types (seed 001, events of
 * seed 000, message format IOSYNC-1 of FORMATS.md section 3).
 *
 * Two roles.  A requestor sends the changes of its export containers
 * since the last USN the master acknowledged, with the highest master USN
 * it applied, and applies the master's replies to its import container.
 * The master applies each requestor's changes to that requestor's import
 * container in its own GAL (so master USNs are galgate's journal USNs) and
 * replies with every exported entry above the requestor's master USN
 * except the requestor's own, plus the acknowledgement.
 *
 * A cycle (io_cycle.c) reads the mailbox (io_inbox.c), applies complete
 * batches (io_import.c, io_view.c), brings the shadow of exported entries
 * up to the journal (io_export.c, io_state.c) and sends (io_inbox.c);
 * interorg.c holds the keys, the configuration and the resets, iosync*.c
 * the message format.
 */
#ifndef GW_INTERORG_H
#define GW_INTERORG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "connector.h"
#include "container.h"
#include "dn.h"
#include "iosync.h"
#include "mailbox.h"
#include "record.h"
#include "strmap.h"

/* Event IDs 4000-4999; 4096 keeps the seed's meaning. */
enum {
	EV_IO_RECEIVED = 4001,		/* a message read */
	EV_IO_SENT = 4002,		/* a batch sent */
	EV_IO_UNLISTED = 4003,		/* unlisted sender: ignored */
	EV_IO_BAD_MAC = 4004,		/* MAC missing or wrong: ignored */
	EV_IO_MALFORMED = 4005,		/* not IOSYNC-1, or malformed */
	EV_IO_APPLIED = 4006,		/* a batch applied (counts) */
	EV_IO_THRESHOLD = 4007,		/* deletion threshold: held */
	EV_IO_LDAP_FAILED = 4008,	/* one LDAP write refused */
	EV_IO_WAITING = 4009,		/* a batch still lacks parts */
	EV_IO_STALE = 4010,		/* replayed or superseded */
	EV_IO_FULL = 4011,		/* a full exchange sent or applied */
	EV_IO_VALUE_DROPPED = 4012,	/* a value LDAP cannot hold */
	EV_IO_NOT_IMPORTED = 4013,	/* outside import_domains (counts) */
	EV_IO_ADDRESS_FREE = 4014,	/* a refused claimant imported now */
	EV_IO_NO_SMTP = 4096		/* no SMTP address, or taken */
};

/* The other side: the master (of a requestor) or a requestor (of a master). */
struct io_peer {
	char		*address;
	unsigned char	*secret;
	size_t		 secretlen;
	struct gw_container imp;	/* master: where its entries live */
	char		 wm[4][300];	/* master: watermark names */
};

/* names of a master's per-requestor watermarks, in io_peer.wm */
enum {
	WM_APPLIED,		/* highest requestor USN applied */
	WM_FULL_NEXT,		/* next reply is a full one */
	WM_WANT_RELOAD,		/* ask the requestor for a full export */
	WM_LAST_MUSN		/* master USN of the last reply */
};

struct interorg {
	const char		*name;
	enum io_role		 role;
	const char		*address;	/* our own */
	const char		*org;
	const char		*suffix;
	struct gw_container	*exp;
	size_t			 nexp;
	struct gw_container	 imp;		/* a requestor's */
	struct io_peer		*peer;		/* [0]: the master */
	size_t			 npeer;
	char			**domains;	/* NULL: every domain */
	size_t			 ndomains;
	const char		*append;	/* append_display_name */
	const char		*rewrite;	/* smtp_domain_rewrite */
	size_t			 max_size;
	long			 trust;
	struct gw_threshold	 threshold;
	char			 conf_hash[65];	/* export's shape */
};

/*
 * One GAL entry as the peers see it: the shadow keeps the state of the
 * last change and the one before, each with the journal USN it belongs
 * to, so a peer known to hold everything up to USN M gets only what
 * changed since M (a diff when it holds the previous state).
 */
struct io_state {
	int		 valid;		/* prev may be absent */
	int		 alive;		/* else gone: last key */
	uint64_t	 usn;
	struct io_entry	 e;		/* key, cls, dn, attrs */
};

struct io_shadow {
	struct io_state	 cur, prev;
};

/* A received message, verified and parsed. */
struct io_part {
	struct gw_mail	*mail;		/* borrowed: c->mails */
	size_t		 order;		/* in the mailbox */
	struct io_msg	 msg;
};

/* The parts of one batch; applied only when every part is here. */
struct io_batch {
	size_t		 peer;
	char		*batch;
	unsigned	 nparts, have;
	struct io_part	**part;		/* [nparts] */
	size_t		 order;		/* of its latest part */
	struct io_msg	 all;		/* the parts as one message */
	int		 answer_first;	/* master: done once its reply went */
};

/* Everything one cycle holds. */
struct io_cycle {
	struct interorg		*io;
	struct gw_cycle		*cy;
	struct gw_mailbox	*mb;
	struct gw_mail		*mails;
	size_t			 nmails;
	struct io_part		**parts;
	size_t			 nparts;
	struct io_batch		**batches;
	size_t			 nbatches;
	int			 threshold_hit;
	/* per peer: did it write this cycle, and what it asked for */
	int			*heard;
	uint64_t		*peer_musn;	/* MASTERUSN it sent last */
	int			*peer_reload;	/* RELOAD=YES in it */
	/* shadow changes computed this cycle (hex uuid -> io_shadow) */
	struct strmap		 shadow_new;
	uint64_t		 head, floor;
	int			 rebuilt;	/* shadow rebuilt: FULL */
};

/* interorg.c */

/* io_cycle.c: one cycle of each role (the connector's import) */
int	io_requestor_cycle(struct gw_connector *, struct gw_cycle *,
	    struct gw_err *);
int	io_master_cycle(struct gw_connector *, struct gw_cycle *,
	    struct gw_err *);

/* io_inbox.c: reading, verifying, grouping into batches; sending */
int	io_inbox_read(struct io_cycle *, struct gw_err *);
/* Marks every part of a batch done (moved to processed). */
int	io_batch_done(struct io_cycle *, struct io_batch *, struct gw_err *);
/* Batches still lacking parts whose content is covered: done, event. */
int	io_inbox_sweep(struct io_cycle *, struct gw_err *);
void	io_inbox_release(struct io_cycle *);
/*
 * Sends a batch to peer p: split into parts no larger than max_size,
 * each with its MAC.  hdr's batch, part and nparts are filled in here.
 */
int	io_send(struct io_cycle *, const struct io_peer *p,
	    struct io_header *hdr, const struct io_entry *ent, size_t n,
	    int has_ack, uint64_t ack, struct gw_err *);

/* io_import.c: records -> GAL */
struct io_apply_result {
	size_t		 applied, skipped, rejected, deleted;
};
/*
 * Applies a batch's entries to container c: entries with usn <= floor are
 * skipped unless full; full also deletes what this connector made in c
 * and the batch lacks.  Domains are filtered on a requestor.  Returns -1
 * with exit 4 if the deletions exceed the threshold (nothing written).
 */
/*
 * Refused claimants of a peer (io_park.c): entries not imported because
 * another recipient held their SMTP address, kept until it is free.
 */
struct io_parked {
	struct io_entry	 e;		/* as an add, whole */
	int		 touched;	/* a record of this batch concerned it */
	int		 dirty;		/* to be written (or deleted) */
	int		 dropped;
};
struct io_park {
	struct io_parked *v;
	size_t		  n;
};
int	io_park_load(struct io_cycle *, const char *peer, struct io_park *,
	    struct gw_err *);
/* The parked entry made from the sender's entry src (its DN), or NULL. */
struct io_parked *io_park_find(struct io_park *, const char *src);
/* Parks a copy of e (replacing what its sender entry had parked). */
void	io_park_set(struct io_park *, const struct io_entry *e);
void	io_park_drop(struct io_parked *);
/* Writes what changed, in one transaction. */
int	io_park_save(struct io_cycle *, const char *peer, struct io_park *,
	    struct gw_err *);
void	io_park_release(struct io_park *);

int	io_apply(struct io_cycle *, const struct gw_container *c,
	    const struct io_msg *m, uint64_t floor, const char *peer,
	    struct io_apply_result *, struct gw_err *);

/* io_state.c: exported states and shadow records */
/* The attributes an exported state is made of (for gal_search; the
 * caller frees the array). */
const char **io_read_attrs(void);
void	io_state_init(struct io_state *);
void	io_state_release(struct io_state *);
void	io_state_copy(struct io_state *dst, const struct io_state *src);
/* 1 if a peer would see no difference between the two states. */
int	io_state_equal(const struct io_state *, const struct io_state *);
/* strcmp equality where NULL equals only NULL */
int	io_str_eq(const char *, const char *);
/* The container an entry (dn below the suffix) is exported from, or NULL. */
const struct gw_container *io_scope_of(const struct interorg *,
	    const struct gw_dn *);
/*
 * The exported state of rec (read with io_read_attrs) at journal USN
 * usn: dead when out of scope.  emit: report an entry without an SMTP
 * address (4096, warning).  st is initialized here.
 */
void	io_state_of(struct io_cycle *, const struct gw_record *rec,
	    const struct gw_dn *dn, uint64_t usn, int emit,
	    struct io_state *st);
/* Shadow record bytes ("S1", cur, prev); decode gives NULL on junk. */
void	io_shadow_encode(struct gw_buf *, const struct io_shadow *);
struct io_shadow *io_shadow_decode(const void *, size_t);
/* The shadow key of an entry: 'u' + its 16-byte entryUUID. */
int	io_shadow_key(const unsigned char uuid[16], unsigned char key[17]);

void	io_shadow_free(struct io_shadow *);
/*
 * Event 4096 (seed 000) for an entry: why, its display name, DAPI name,
 * X.500 DN and (a duplicate) the SMTP address; smtp may be NULL.
 */
void	io_event_4096(struct io_cycle *, enum gw_sev, const char *x500,
	    const char *display, const char *smtp, const char *why);

/* io_export.c: the shadow follows the journal; what a peer gets */
/* Brings the shadow up to the journal head (no write in dry runs). */
int	io_shadow_refresh(struct io_cycle *, int force_rebuild,
	    struct gw_err *);
int	io_shadow_commit(struct io_cycle *, struct gw_err *);
/*
 * The records a peer holding everything up to M needs (all alive
 * entries when full), leaving out entries inside exclude (may be NULL).
 * Caller releases each entry and frees the array.
 */
int	io_select(struct io_cycle *, uint64_t M, int full,
	    const struct gw_container *exclude, struct io_entry **out,
	    size_t *n, struct gw_err *);

#endif
