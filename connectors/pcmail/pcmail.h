/*
 * pcmail.h: the Microsoft Mail (PC) dir-sync connector's private types.
 * galgate is the dir-sync server (seed 002, WA0725); every registered
 * requestor postoffice sends ReqTx and gets SrvTx.
 *
 * One cycle (pcmail.c), planned fully before anything is written:
 *   read    every message waiting for the gateway's $SYSTEM: status
 *           reports are recorded, updates checked (requestor, password,
 *           TASK) and their transactions parsed (pcm_msg.c, pcm_trans.c);
 *   plan    the LDAP changes of each requestor's transactions
 *           (pcm_import.c) and each reply from the journal (pcm_export.c);
 *           both deletion counts are checked against the threshold;
 *   write   apply the LDAP changes, poll the journal so the replies carry
 *           what other requestors just sent, send each reply, and only
 *           then move that requestor's numbers and shadow (pcm_state.c)
 *           and mark its messages done.
 *
 * State in LMDB (connector = the [connector] name):
 *   watermarks  "NET/PO reqsync|srvsync|impsync|last_cycle|last_update|
 *               exported|export_all|status_report|last_refused", "cycle"
 *   shadow      "s" NET/PO "\0" uuid: what that requestor holds of an
 *               entry (hash of the transaction, name, address);
 *               "g" uuid: the name and mailbox a GAL recipient has in the
 *               gateway's postoffice list; "n" name and "m" mailbox
 *               (folded): who holds them.
 */
#ifndef GW_PCMAIL_H
#define GW_PCMAIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codepage.h"
#include "conf.h"
#include "connector.h"
#include "container.h"
#include "dn.h"
#include "pcm_trans.h"
#include "record.h"
#include "strmap.h"

/* event IDs 3000-3999; 3xxx with xxx an MS Mail error number is that error */
enum {
	EV_PCM_ERR138 = 3138,		/* server sync no longer exists */
	EV_PCM_ERR155 = 3155,		/* invalid TASK or [DIRSYNC] section */
	EV_PCM_ERR156 = 3156,		/* wrong password */
	EV_PCM_ERR158 = 3158,		/* requestor not registered */
	EV_PCM_STATUS = 3301,		/* status report received */
	EV_PCM_NOT_DIRSYNC = 3302,	/* a message that is not dir-sync */
	EV_PCM_UNKNOWN_KEY = 3311,	/* [DIRSYNC] keys galgate ignores */
	EV_PCM_LINE_BAD = 3320,		/* malformed transaction line skipped */
	EV_PCM_COUNT = 3321,		/* "n sent" disagrees with the body */
	EV_PCM_REDELIVERED = 3322,	/* at or below ReqSync: skipped */
	EV_PCM_PROMPT = 3323,		/* template prompts not in the table */
	EV_PCM_FOREIGN_LIST = 3324,	/* another list's address: not taken */
	EV_PCM_CHAR = 3325,		/* characters the code page lacks */
	EV_PCM_MOD_UNKNOWN = 3326,	/* modify of an unknown entry: added */
	EV_PCM_ADDR_TAKEN = 3327,	/* modify to an address in use */
	EV_PCM_ADDR_FREE = 3328,	/* a parked user's address is free */
	EV_PCM_THRESHOLD = 3330,	/* deletion threshold */
	EV_PCM_LDAP_FAILED = 3331,	/* an LDAP write was refused */
	EV_PCM_NOT_OURS = 3332,		/* an entry in the way is not ours */
	EV_PCM_APPLIED = 3340,		/* what a requestor's update changed */
	EV_PCM_REPLY = 3341,		/* what a reply carries */
	EV_PCM_NAME = 3345,		/* a name made unique with 001 */
	EV_PCM_RECEIVED = 3355,		/* message received (MS Mail 4355) */
	EV_PCM_SENT = 3395		/* message sent (MS Mail 4395) */
};

/* One row of the prompt-to-attribute template table. */
struct pcm_prompt {
	char		*prompt;	/* as written: "Phone:" */
	char		*key;		/* folded, without the final ':' */
	const char	*attr;		/* LDAP attribute */
};

/* A registered requestor postoffice ([requestor NET/PO]). */
struct pcm_peer {
	const struct conf_section *sec;
	const char		*name;		/* section name as written */
	char			 id[40];	/* "CONTOSO/SEAPO1", upper case */
	char			 net[16], po[16];
	const char		*password_file;
	char			**types;	/* upper-cased */
	size_t			 ntypes;
	int			 templates;
	struct gw_container	 imp;		/* import_container */
	const char		*address;	/* where its $SYSTEM mail goes */
	const char		*smtp_template;	/* its own, or the connector's */
};

struct pcmail {
	const char		*name;		/* connector instance */
	const char		*conf_path;
	char			 net[16], po[16];	/* the gateway's */
	const char		*address;	/* the gateway's $SYSTEM mail */
	const char		*admin_copy;
	const char		*admin_forward;
	const char		*codepage;
	const char		*smtp_template;	/* NULL: no SMTP addresses made */
	struct gw_threshold	 threshold;
	struct gw_container	*exp;		/* export_container, each */
	size_t			 nexp;
	struct pcm_peer		*peer;
	size_t			 npeer;
	struct pcm_prompt	*prompt;
	size_t			 nprompt;
	const char		**managed;	/* attributes galgate sets */
};

/* SRVCONF's record of one requestor, in the watermarks. */
struct pcm_nums {
	uint64_t	 reqsync, srvsync, impsync, last_cycle, export_all;
	uint64_t	 exported;	/* entries it holds from us */
};

/* The gateway postoffice list: names and mailboxes of GAL recipients. */
struct pcm_gname {
	char	*base;		/* display name the name was made from */
	char	*abase;		/* alias the mailbox was made from */
	char	*name;		/* friendly name, unique, <= 30 bytes */
	char	*mbox;		/* mailbox, unique, <= 10 letters/digits */
	int	 dirty;		/* chosen this cycle: to be stored */
	int	 gone;		/* the recipient was deleted */
};

struct pcm_names {
	struct strmap	 by_uuid;	/* hex uuid -> pcm_gname */
	struct strmap	 name_owner;	/* fold(name) -> hex uuid, "" freed */
	struct strmap	 mbox_owner;	/* fold(mbox) -> hex uuid, "" freed */
};

/* What one cycle (or one CLI command) works with. */
struct pcm_cycle {
	struct pcmail		*pc;
	struct gw_cycle		*cy;
	struct gw_codepage	 cp;
	struct pcm_nums		*nums;		/* per peer */
	uint64_t		 cycleno;
	struct pcm_names	 names;
};

/* One transaction of a reply, and what it does to the requestor's shadow. */
struct pcm_out {
	struct pcm_txn	 t;
	time_t		 time;		/* of the journal record (listq) */
};

/* What a requestor holds of one entry (its "s" shadow record). */
struct pcm_sent {
	unsigned char	 hash[GW_HASH_LEN];
	char		*name;
	char		*addr;
};

struct pcm_reply {
	struct pcm_peer	*peer;
	size_t		 pi;		/* index of peer */
	int		 full;
	char		**types;	/* effective address types */
	size_t		 ntypes;
	int		 templates;	/* send template lines */
	uint64_t	 from_s;	/* the requestor's S */
	uint64_t	 new_s;
	struct pcm_out	*out;
	size_t		 nout;
	struct strmap	 sent;		/* hex uuid -> pcm_sent, NULL: gone */
	int		 cleared;	/* full: the stored shadow is replaced */
	size_t		 nadd, nmod, ndel;
	size_t		 implicit;	/* full: held entries not sent again */
	uint64_t	 exported;	/* entries it holds after this reply */
};

/* pcm_server.c: one cycle (the connector's import function) */
int	pcm_server_cycle(struct gw_connector *, struct gw_cycle *,
	    struct gw_err *);

/* pcmail.c */
extern const struct conf_key pcmail_keys[];
extern const struct conf_key pcmail_peer_keys[];
struct pcm_peer *pcm_peer_find(struct pcmail *, const char *net,
	    const char *po);
/* The cycle context of a configured connector (no I/O but LMDB reads). */
int	pcm_cycle_open(struct pcm_cycle *, struct gw_connector *,
	    struct gw_cycle *, struct gw_err *);
void	pcm_cycle_close(struct pcm_cycle *);

/* pcm_names.c */
int	pcm_prompts_configure(struct pcmail *, const struct conf_section *,
	    const char *conf_path, struct gw_err *);
void	pcm_prompts_free(struct pcmail *);
const struct pcm_prompt *pcm_prompt_find(const struct pcmail *,
	    const char *prompt);
void	pcm_names_init(struct pcm_names *);
void	pcm_names_release(struct pcm_names *);
/*
 * The friendly name and mailbox of GAL recipient uuid in the gateway's
 * list: kept while its display name and alias stay, else chosen unique
 * (names get 001, 002; mailboxes a number) and marked dirty.  Pointers
 * stay valid until pcm_names_release.  txn: a read transaction.
 */
int	pcm_names_get(struct pcm_cycle *, struct gw_txn *,
	    const unsigned char uuid[16], const char *display,
	    const char *alias, const char *who, const char **name,
	    const char **mbox, struct gw_err *);
/* The recipient is gone: its name and mailbox are free again. */
int	pcm_names_forget(struct pcm_cycle *, struct gw_txn *,
	    const unsigned char uuid[16], struct gw_err *);
/* Stores what was chosen or forgotten (write transaction). */
int	pcm_names_commit(struct pcm_cycle *, struct gw_txn *,
	    struct gw_err *);
/* s through the code page and back ('?' for what it lacks); caller frees. */
char	*pcm_roundtrip(struct gw_codepage *, const char *s, int *replaced);

/* pcm_state.c */
int	pcm_nums_load(struct pcm_cycle *, struct gw_err *);
int	pcm_nums_put(struct gw_txn *, const char *connector,
	    const struct pcm_peer *, const struct pcm_nums *, struct gw_err *);
int	pcm_wmark_str(struct gw_txn *, const char *connector,
	    const struct pcm_peer *, const char *key, const char *text,
	    struct gw_err *);
/* 1 found, 0 not, -1 error; out->name/addr allocated. */
int	pcm_sent_get(struct gw_txn *, const char *connector,
	    const struct pcm_peer *, const unsigned char uuid[16],
	    struct pcm_sent *out, struct gw_err *);
void	pcm_sent_free(struct pcm_sent *);
int	pcm_sent_commit(struct gw_txn *, const char *connector,
	    const struct pcm_reply *, struct gw_err *);
/* Every uuid the requestor holds (hex), for a full reply. */
int	pcm_sent_keys(struct gw_txn *, const char *connector,
	    const struct pcm_peer *, struct strmap *hex, struct gw_err *);

/* pcm_park.c: users refused for a held address, kept until it is free */
struct pcm_parked {
	char		*key;		/* its MS Mail address */
	struct gw_record rec;		/* the entry it would have been */
};
void	pcm_parked_release(struct pcm_parked *);
/* The requestor's parked users (*v malloc'd, each to be released). */
int	pcm_park_load(struct gw_txn *, const char *connector,
	    const struct pcm_peer *, struct pcm_parked **v, size_t *n,
	    struct gw_err *);
/* Parks key's entry (rec), or drops it (rec NULL). */
int	pcm_park_put(struct gw_txn *, const char *connector,
	    const struct pcm_peer *, const char *key,
	    const struct gw_record *rec, struct gw_err *);

/* pcm_cli.c: "galgate pcmail apply|listq" */
extern const struct gw_command pcmail_command;

/* pcm_import.c */
struct pcm_import;
struct pcm_import *pcm_import_new(struct pcm_cycle *, struct pcm_peer *);
void	pcm_import_free(struct pcm_import *);
/*
 * Plans a batch's transactions on top of what earlier batches planned.
 * Numbered transactions at or below skip_upto are skipped, unnumbered
 * ones when skip_unnumbered; *skipped counts them.  src names the message
 * or file in events.  -1 only on an LDAP read failure.
 */
int	pcm_import_plan(struct pcm_import *, const struct pcm_batch *,
	    uint64_t skip_upto, int skip_unnumbered, const char *src,
	    size_t *skipped, struct gw_err *);
/*
 * Takes the requestor's parked users that this plan does not name back
 * in (pcm_park.c): those whose entry now exists are dropped, the others
 * tried again by pcm_import_finish.  Call after the last plan.
 */
int	pcm_import_unpark(struct pcm_import *, struct gw_err *);
/* Turns the plan into LDAP changes; counts what would be deleted. */
int	pcm_import_finish(struct pcm_import *, struct gw_err *);
/* What the plan parks and unparks, into the transaction of the commit. */
int	pcm_import_park_commit(struct pcm_import *, struct gw_txn *,
	    struct gw_err *);
/* Deletion threshold on the requestor's imported entries (exit 4). */
int	pcm_import_threshold(struct pcm_import *, struct gw_err *);
/* The planned changes to the GAL (sync/apply.h); a dry run prints them. */
int	pcm_import_apply(struct pcm_import *, struct gw_err *);
void	pcm_import_counts(const struct pcm_import *, size_t *adds,
	    size_t *mods, size_t *dels);

/* pcm_export.c */
void	pcm_reply_init(struct pcm_reply *, struct pcm_peer *, size_t pi);
void	pcm_reply_release(struct pcm_reply *);
/*
 * Plans the reply: a full one (the gateway's list and every other
 * requestor's, from LDAP) or the journal records after from_s, up to the
 * journal head, which becomes new_s.  Returns 1 instead when from_s is no
 * longer in the journal (error 138).
 */
int	pcm_reply_plan(struct pcm_cycle *, struct pcm_reply *,
	    struct gw_err *);
/* A full reply planned again from LDAP as it is now. */
int	pcm_reply_replan(struct pcm_cycle *, struct pcm_reply *,
	    struct gw_err *);
/* Adds the journal records after new_s (this cycle's writes). */
int	pcm_reply_extend(struct pcm_cycle *, struct pcm_reply *,
	    struct gw_err *);
/* Deletion threshold on what the requestor holds from us (exit 4). */
int	pcm_reply_threshold(struct pcm_cycle *, struct pcm_reply *,
	    struct gw_err *);
/* The transaction lines, in the code page. */
int	pcm_reply_text(struct pcm_cycle *, const struct pcm_reply *,
	    struct gw_buf *, struct gw_err *);

#endif
