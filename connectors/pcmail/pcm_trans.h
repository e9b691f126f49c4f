/*
 * pcm_trans.h: Microsoft Mail dir-sync transaction lines (FORMATS.md
 * section 2, "Transaction lines"), the import text format that travels in
 * ReqTx/SrvTx messages and in SRVTRANS/RESYNC texts.
 *
 *   [seq ]A Name (30 bytes, padded)        TYPE:NET/PO/MAILBOX
 *   [seq ]M Old name                       TYPE:old address
 *         New name                         TYPE:new address
 *   - Prompt:/value                        (after A and M; '/' doubled)
 *   [seq ]D Name                           TYPE:address
 *   [seq ]R TYPE:[NET/PO]
 *   [seq ]T TYPE:NET/PO + definition lines (skipped)
 *
 * The reader works on a buffer (no I/O), one line at a time, every line
 * at most PCM_MAX_LINE bytes.  A malformed line is reported with its
 * number and reason and skipped together with the lines that belong to it
 * (its template lines, the second line of a modify); the rest is parsed.
 * Values are converted from the code page to UTF-8 (or checked as UTF-8
 * when no code page is given).  Nothing here knows LDAP.
 */
#ifndef GW_PCM_TRANS_H
#define GW_PCM_TRANS_H

#include <stddef.h>
#include <stdint.h>

#include "codepage.h"
#include "err.h"
#include "util.h"

#define PCM_MAX_LINE	1024
#define PCM_NAME_MAX	30	/* friendly name, bytes in the code page */
#define PCM_ELEM_MAX	10	/* NET, PO and MAILBOX of mail types */
#define PCM_TYPE_MAX	10
#define PCM_SEQ_DIGITS	10
#define PCM_MAX_TXN	((size_t)4 << 20)	/* transactions in one text */

struct pcm_tpl {
	char	*prompt;	/* "Phone:" (UTF-8, '/' not doubled) */
	char	*value;		/* UTF-8; "" clears the attribute */
};

/*
 * One transaction.  Addresses are "TYPE:rest" with TYPE upper-cased and
 * the synonyms MS and CSI read as PCM.  R carries only addr ("PCM:NET/PO"
 * or "SMTP:"); T is kept only for counting.
 */
struct pcm_txn {
	char		 code;		/* 'A', 'D', 'M', 'R' or 'T' */
	int		 numbered;
	uint64_t	 seq;		/* when numbered */
	char		*name;		/* A, D, M (current name) */
	char		*addr;		/* A, D, M (current address), R */
	char		*new_name;	/* M: the second line (NULL: none) */
	char		*new_addr;
	struct pcm_tpl	*tpl;
	size_t		 ntpl;
	long		 line;		/* its first line in the text */
};

struct pcm_bad {
	long	 line;
	char	*why;
};

struct pcm_batch {
	struct pcm_txn	*txn;
	size_t		 n;
	struct pcm_bad	*bad;		/* lines skipped, with the reason */
	size_t		 nbad;
	size_t		 ndefs;		/* T definitions skipped */
	size_t		 replaced;	/* characters the code page lacked */
};

void	pcm_batch_init(struct pcm_batch *);
void	pcm_batch_release(struct pcm_batch *);
void	pcm_txn_release(struct pcm_txn *);

/*
 * Parses len bytes of transaction lines into b (initialized by the
 * caller).  cp NULL means the text is UTF-8.  line0 is the number of the
 * text's first line in its container (1 for a file), so reported lines
 * are those a reader sees.  A first line "[DIRSYNC-TRANSACTIONS]" is
 * accepted; CR LF or LF line ends, extra CRs and a trailing 0x1A are
 * ignored.  Returns 0 (malformed lines are in b->bad), or -1 only when the
 * text holds more than PCM_MAX_TXN transactions (err: exit 3).
 */
int	pcm_parse(const char *text, size_t len, struct gw_codepage *cp,
	    long line0, struct pcm_batch *b, struct gw_err *err);

/*
 * 1 if the type keeps NET/PO/MAILBOX lists: PCM (and its synonyms MS and
 * CSI), PROFS, SNADS, OV, FFAPI.
 */
int	pcm_mail_type(const char *type, size_t len);
/*
 * Checks an address "TYPE:rest" (UTF-8): no control characters (a tab
 * included); type 1-10 letters or digits; rest not starting with a blank;
 * mail types NET/PO/MAILBOX with 1-10 letters or digits each; SMTP an
 * addr-spec without spaces.  Returns NULL or why it is wrong (static).
 */
const char *pcm_check_addr(const char *addr);

/*
 * Writes one transaction in the documented layout, CRLF line ends, in the
 * code page (cp NULL: UTF-8).  A numbered transaction gets 10 digits and
 * a space; the second line of a modify is indented to the name column.
 * Names longer than PCM_NAME_MAX bytes are the caller's error (-1), as is
 * a line over PCM_MAX_LINE bytes or out hitting its ceiling.  *replaced
 * (may be NULL) counts characters the code page lacked.
 */
int	pcm_write_txn(struct gw_buf *out, const struct pcm_txn *,
	    struct gw_codepage *cp, size_t *replaced);

/* Bytes s takes in the code page (cp NULL: UTF-8 bytes). */
size_t	pcm_cp_len(struct gw_codepage *cp, const char *s);
/*
 * The longest prefix of s (whole characters) that takes at most max bytes
 * in the code page; caller frees.
 */
char	*pcm_cp_cut(struct gw_codepage *cp, const char *s, size_t max);

#endif
