/*
 * pcmail_model.h: a Microsoft Mail requestor postoffice, as WA0725 (KB
 * Q96060) describes it, for the dir-sync integration tests.  It shares no
 * code with galgate: its own transaction writer (T1), its own strict
 * fixed-column reader of SrvTx (T3), its own Maildir and base64 code.
 *
 *   T0  pcr_add/pcr_modify/pcr_delete/pcr_export queue transactions in
 *       REQTRANS, numbered from 1.
 *   T1  pcr_send writes "ReqTx R=x (was y), S=s, I=i n sent" with every
 *       queued transaction above ReqSync into the gateway's inbox.
 *   T3  pcr_receive reads the SrvTx addressed to it from the gateway's
 *       outbox, applies it to its copy of the GAL, stores S, and when the
 *       echoed R is its R, clears the acknowledged transactions.
 */
#ifndef GW_PCMAIL_MODEL_H
#define GW_PCMAIL_MODEL_H

#include <stddef.h>

struct pcr_entry {
	char	*name;
	char	*addr;		/* "PCM:NET/PO/MBX", "SMTP:x@y" */
	char	*tpl;		/* "Prompt:/value\n" lines, or "" */
};

struct pcr;

struct pcr *pcr_new(const char *net, const char *po, const char *password,
	    const char *address, const char *gw_inbox, const char *gw_outbox);
void	pcr_free(struct pcr *);
/* A copy of the postoffice as it is (the crash tests restore it). */
struct pcr *pcr_clone(const struct pcr *);
/*
 * Its copy of the GAL, "address<TAB>name<TAB>template lines" sorted,
 * after a line with ReqSync, ImpSync and the transactions still queued
 * (everything but S, a journal position that may differ between two
 * servers doing the same); caller frees.
 */
char	*pcr_dump(const struct pcr *);

/* T0: a local user (tpl: template lines "- Prompt:/value\r\n", or NULL). */
void	pcr_add(struct pcr *, const char *name, const char *mbx,
	    const char *tpl);
void	pcr_add_addr(struct pcr *, const char *name, const char *addr);
void	pcr_modify(struct pcr *, const char *mbx, const char *newname,
	    const char *tpl);
void	pcr_delete(struct pcr *, const char *mbx);
/* A user gone from the postoffice without a D (a lost REQTRANS). */
void	pcr_drop_local(struct pcr *, const char *mbx);
/* Config, Dir-Sync, Requestor, Export: R PCM:NET/PO and every local user. */
void	pcr_export(struct pcr *);
/* A transaction written by hand (the number is put in front). */
void	pcr_queue_raw(struct pcr *, const char *lines);
/* Asks for an import: I goes up, SrvSync back to 0. */
void	pcr_import_request(struct pcr *);
void	pcr_set_attach(struct pcr *, int);
void	pcr_set_password(struct pcr *, const char *);

/* T1: the ReqTx goes into the gateway's inbox; returns its subject. */
char	*pcr_send(struct pcr *, const char *task);
/* Any message, as written (subject and body), from its address. */
void	pcr_send_raw(struct pcr *, const char *subject, const char *body);
/* Path of the last message pcr_send wrote (for redelivery tests). */
const char *pcr_last_sent(struct pcr *);

/*
 * T3: every message the gateway left for it, oldest first; returns their
 * subjects joined by "\n" (caller frees) or NULL when there are none.
 */
char	*pcr_receive(struct pcr *);
/* The last transaction text received ("[DIRSYNC-TRANSACTIONS]" on). */
const char *pcr_last_text(struct pcr *);

const struct pcr_entry *pcr_find(struct pcr *, const char *addr);
size_t	pcr_count(struct pcr *);
/* Transactions that named its own postoffice list (echoes). */
size_t	pcr_echoes(struct pcr *);
unsigned long pcr_reqsync(struct pcr *);
unsigned long pcr_srvsync(struct pcr *);
/* Transactions still queued (not acknowledged). */
size_t	pcr_queued(struct pcr *);

#endif
