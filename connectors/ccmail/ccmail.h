/*
 * ccmail.h: the cc:Mail connector's private types (seed 004's cycle).
 *
 * One cycle: read the three exports (ccmail_read.c), work out what
 * cc:Mail lacks from the GAL's export containers (ccmail_export.c) and
 * what the GAL lacks from cc:Mail (ccmail_import.c), check both deletion
 * counts against the threshold, then write Ccmdel.imp and Ccmdir.imp, apply
 * the LDAP changes, and record the shadow.  Nothing is written before both
 * sides are planned.
 */
#ifndef GW_CCMAIL_H
#define GW_CCMAIL_H

#include <stddef.h>
#include <stdint.h>

#include "codepage.h"
#include "conf.h"
#include "connector.h"
#include "container.h"
#include "dn.h"
#include "record.h"
#include "strmap.h"

/* event IDs 2000-2999 */
enum {
	EV_CC_READ = 2001,		/* counts of what the exports held */
	EV_CC_RECORD_SKIPPED = 2002,	/* malformed record, skipped */
	EV_CC_FILE_REFUSED = 2003,	/* structurally broken file */
	EV_CC_MEMBER_UNKNOWN = 2004,	/* list member not resolved */
	EV_CC_CHAR_REPLACED = 2005,	/* character not in the code page */
	EV_CC_THRESHOLD = 2006,		/* deletion threshold hit */
	EV_CC_FILES_WRITTEN = 2007,	/* Ccmdel.imp and Ccmdir.imp */
	EV_CC_LDAP_FAILED = 2008,	/* an LDAP write was refused */
	EV_CC_NAME_CHOSEN = 2009,	/* a GAL name clashed: another chosen */
	EV_CC_NOT_OURS = 2010		/* an entry in the way is not ours */
};

struct ccmail {
	const char		*name;		/* connector instance */
	const char		*export_dir;
	const char		*import_dir;
	const char		*post_office;	/* the gateway's PO */
	struct gw_container	 imp;		/* import_container */
	struct gw_container	*exp;		/* export_container, each */
	size_t			 nexp;
	const char		*smtp_template;	/* NULL: no SMTP address */
	const char		*codepage;
	struct gw_threshold	 threshold;
};

/* One cc:Mail directory entry, list or bulletin board, as exported. */
enum cc_kind {
	CC_USER = 'u',
	CC_LIST = 'l',
	CC_BBOARD = 'b'
};

struct cc_entry {
	enum cc_kind	 kind;
	char		 locn;
	char		*name;
	char		*po;		/* home PO (header PO for L, R) */
	char		*addr;
	char		*fan;
	char		*comments;
	char		**members;	/* lists */
	size_t		 nmembers;
	const char	*file;
	long		 line;
};

/* A GAL recipient in an export container. */
struct gal_rcpt {
	unsigned char	 uuid[16];
	char		*dn;
	char		*x500;
	char		*site;
	char		*base;		/* display name: what cc:Mail is offered */
	char		*alias;
	char		*office;
	char		*phone;
	uint64_t	 first_usn;	/* order of arrival in the journal */
	char		*chosen;	/* its cc:Mail name */
	int		 name_new;	/* chosen this cycle */
};

/*
 * What the shadow remembers of an entry this connector made, under
 * "i<kind><folded name>": a gw_shadow_value of these fields after the
 * fingerprint.
 */
enum { CC_SV_DN, CC_SV_ALIAS, CC_SV_SMTP };
struct cc_owned {
	unsigned char	 hash[GW_HASH_LEN];	/* fingerprint of its source */
	char		*alias;
	char		*smtp;
};

/*
 * One planned LDAP change.  The LDAP record itself is built only when the
 * change is applied (or printed), a batch at a time, so a cycle that adds
 * 100,000 entries holds 100,000 of these, not 100,000 records.
 */
struct cc_plan {
	enum gw_op		 op;	/* GW_OP_ADD, GW_OP_MODIFY, GW_OP_DELETE */
	const struct cc_entry	*e;	/* add, modify: its source */
	char			*key;	/* shadow key */
	char			*old_dn; /* modify, delete: the entry now */
	struct cc_owned		*now;	/* the shadow afterwards; NULL: gone */
	int			 ok;	/* applied (or nothing to apply) */
};

/* Everything one cycle reads and plans. */
/* What cc:Mail's exports hold: written by ccmail_read.c alone. */
struct cc_exports {
	char			 exporting_po[128];
	char			*paths[3];	/* the exports; entries point here */
	struct cc_entry		**native;	/* users not on the gateway PO */
	size_t			 nnative;
	struct cc_entry		**lists;
	size_t			 nlists;
	struct cc_entry		**bboards;
	size_t			 nbboards;
	struct strmap		 gal_side;	/* fold(name) -> cc_entry on our PO */
	struct strmap		 taken;		/* fold(name) of every cc:Mail entry */
	/* fold(name) of records skipped as malformed: their entries stay */
	struct strmap		 held_users, held_lists, held_bboards;
	size_t			 ngal_side, nposts, naliases;
};

/* The GAL to cc:Mail: planned by ccmail_export.c alone. */
struct cc_to_cc {
	struct gal_rcpt		**rcpt;		/* the GAL's recipients */
	size_t			 nrcpt;
	/* from the shadow: hex uuid -> "base\0chosen" */
	struct strmap		 chosen_by_uuid;
	struct gw_record	*dels;		/* Ccmdel.imp records */
	size_t			 ndels;
	struct gw_record	*adds;		/* Ccmdir.imp records */
	size_t			 nadds;
	struct strmap		 name_dn;	/* fold(cc:Mail name) -> DN */
};

/* cc:Mail to the GAL: planned by ccmail_import.c alone. */
struct cc_to_gal {
	struct cc_plan		*plan;		/* LDAP changes to make */
	size_t			 nplan, plan_cap;
	struct strmap		 held_dn;	/* fold(name) -> DN, held */
};

/*
 * One cycle: each stage writes its own part and reads the earlier ones
 * (read -> exports, plan_export -> to_cc, plan_import -> to_gal).
 */
struct cc_cycle {
	struct ccmail		*cc;
	struct gw_cycle		*cy;
	struct gw_codepage	 cp;
	int			 import_all;	/* re-check every one of them */
	int			 export_all;	/* offer cc:Mail every GAL
						   recipient again */
	struct cc_exports	 exports;
	struct cc_to_cc		 to_cc;
	struct cc_to_gal	 to_gal;
};

/* ccmail_read.c */
int	cc_read_exports(struct cc_cycle *, struct gw_err *);
void	cc_entry_free(struct cc_entry *);

/* ccmail_export.c */
void	cc_rcpt_free(struct gal_rcpt *);
/* The cc:Mail names the shadow keeps for GAL recipients (to_cc). */
int	cc_read_chosen(struct cc_cycle *, struct gw_txn *, struct gw_err *);
int	cc_plan_export(struct cc_cycle *, struct gw_err *);

/* ccmail_import.c */
int	cc_plan_import(struct cc_cycle *, struct gw_err *);
void	cc_owned_free(struct cc_owned *);
/* Frees what a plan item owns (its key, old DN and shadow-to-be). */
void	cc_plan_release(struct cc_plan *);
/*
 * The change for one plan item: an add, or a modify of only the changed
 * attributes (read from the GAL); ch->op GW_OP_NONE when the GAL already
 * holds it.  Caller releases ch.
 */
int	cc_build_change(struct cc_cycle *, const struct cc_plan *,
	    struct gw_change *ch, struct gw_err *);
/* The LDAP record made from e (caller releases rec). */
void	cc_build_record(struct cc_cycle *, const struct cc_entry *,
	    const char *alias, const char *smtp, struct gw_record *rec);
char	*cc_entry_dn(struct cc_cycle *, const char *name);

/* ccmail_names.c */
/* The string after a round trip through the code page. */
char	*cc_roundtrip(struct gw_codepage *, const char *, int *replaced);

#endif
