/*
 * iosync.h: IOSYNC-1, the InterOrg message format (FORMATS.md section 3).
 *
 * Parsing and writing of subjects and bodies, splitting a batch into
 * parts, and the message authentication code.  Nothing here does I/O, so
 * every function can be unit-tested and fuzzed on its own.
 *
 * A body is:
 *	[IOSYNC]		KEY=VALUE lines (struct io_header)
 *	[IOSYNC-ENTRIES]	records: blank-line separated "name: value"
 *				lines, "name:: base64" for values that are
 *				not plain printable ASCII, lines longer than
 *				76 columns continued on lines that begin with
 *				one space (LDIF style)
 *	[IOSYNC-ACK]		REQUSN=n (replies only)
 * Read CRLF or LF, write CRLF.  Physical lines over IO_LINE_MAX bytes and
 * logical (unfolded) lines over IO_LOGICAL_MAX are errors, as is anything
 * unknown: every error names the message and the line.
 */
#ifndef GW_IOSYNC_H
#define GW_IOSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"
#include "util.h"

#define IO_LINE_MAX	1024	/* physical line, bytes */
#define IO_LOGICAL_MAX	16384	/* one unfolded "name: value" */
#define IO_FOLD		76	/* columns before a continuation */
#define IO_BATCH_MAX	64	/* characters of a BATCH id */
#define IO_PARTS_MAX	9999
/* The keyword of an entry's display name. */
#define IO_KW_DISPLAY	"displayName"
#define IO_MAC_LEN	32	/* HMAC-SHA256 */

enum io_role {
	IO_ROLE_REQUESTOR = 1,
	IO_ROLE_MASTER
};

enum io_op {
	IO_OP_ADD = 1,
	IO_OP_MODIFY,
	IO_OP_DELETE,
	IO_OP_REKEY
};

/*
 * The Exchange General-page attributes: the IOSYNC-1 name and the LDAP
 * attribute it lives in (FORMATS.md's table).  NULL-terminated.
 */
struct io_general {
	const char	*io;
	const char	*ldap;
};
extern const struct io_general io_general[];

/* The LDAP name of an IOSYNC-1 General-page name, or NULL if it is none. */
const char	*io_general_ldap(const char *io);

/*
 * One record.  attrs holds General-page attributes under their IOSYNC-1
 * names, one value each; in a modify an empty value deletes the
 * attribute.  Strings are owned.
 */
struct io_entry {
	enum io_op	 op;
	uint64_t	 usn;
	char		*key;		/* the bare address, or NULL */
	char		*newkey;	/* rekey: the new address */
	char		*cls;		/* mailbox, dl, custom; NULL */
	char		*dn;		/* sender's X.500 DN, or NULL */
	struct gw_record attrs;
	long		 line;		/* its first line, or 0 */
};

struct io_header {
	enum io_role	 role;
	char		*org;
	uint64_t	 musn;		/* MASTERUSN */
	uint64_t	 rusn;		/* REQUSN */
	int		 full;
	int		 reload;
	char		*batch;
	unsigned	 part, nparts;
};

struct io_msg {
	struct io_header hdr;
	struct io_entry	*ent;
	size_t		 nent;
	int		 has_ack;
	uint64_t	 ack;		/* [IOSYNC-ACK] REQUSN */
};

void	io_entry_init(struct io_entry *);
void	io_entry_release(struct io_entry *);
/* Releases each of the n entries of v, then v itself. */
void	io_entries_free(struct io_entry *v, size_t n);
void	io_header_release(struct io_header *);
void	io_msg_release(struct io_msg *);
const char *io_op_name(enum io_op);

/* What the subject says: "IOSYNC-1 UPDATE|REPLY org=.. musn=.. ..." */
struct io_subject {
	enum io_role	 role;		/* UPDATE/REPLY */
	uint64_t	 musn, rusn;
	char		 batch[IO_BATCH_MAX + 1];
	unsigned	 part, nparts;
};

/* 1 if the subject names IOSYNC-1 at all (the rest may still be wrong). */
int	iosync_is_subject(const char *subject);
/* 0, or -1 with *why set to a static reason. */
int	iosync_parse_subject(const char *subject, struct io_subject *,
	    const char **why);
/* 0 if subject and body header agree, else -1 with *why. */
int	iosync_subject_matches(const struct io_subject *,
	    const struct io_header *, const char **why);

/*
 * Parses a body of len bytes.  name says which message it is in errors
 * ("message <id@host> (uid 12)"); first_line is the line number the body
 * starts at within the message.  On failure out is empty and err reads
 * "name:line: reason" (exit 3).
 */
int	iosync_parse(const char *body, size_t len, const char *name,
	    long first_line, struct io_msg *out, struct gw_err *err);

/* The subject for a header (caller frees). */
char	*iosync_subject(const struct io_header *);
/* Appends one record, CRLF line ends, no trailing blank line. */
int	iosync_write_entry(struct gw_buf *, const struct io_entry *);

/*
 * A batch as message bodies: the header with PART=k/n in each, the
 * entries in order, the [IOSYNC-ACK] section (if has_ack) in the last.
 * A part holds as many whole entries as fit in max_body bytes; an entry
 * that does not fit in an empty part travels alone in one (the only way a
 * part exceeds max_body).  hdr's part and nparts are ignored.  On success
 * bodies[i] (len lens[i]) are the parts (caller frees each and both
 * arrays).  Fails (-1) only if a body would exceed GW_MAIL_MAX.
 */
int	iosync_write_parts(const struct io_header *hdr,
	    const struct io_entry *ent, size_t n, int has_ack, uint64_t ack,
	    size_t max_body, char ***bodies, size_t **lens, size_t *nparts);

/*
 * The MAC: HMAC-SHA256 keyed with the peer's secret over the subject
 * (unfolded) + CRLF + the body with every line end made CRLF and
 * trailing spaces and tabs removed from each line.  The end of the body
 * ends its last line (a last line without a line end gets one), and a
 * trailing DOS end-of-file byte (0x1A) is not part of the body.
 */
void	iosync_mac(const void *key, size_t klen, const char *subject,
	    const char *body, size_t len, unsigned char out[IO_MAC_LEN]);
/* "hmac-sha256=<base64>" of mac (caller frees). */
char	*iosync_mac_header(const unsigned char mac[IO_MAC_LEN]);
/*
 * 1 if hdr ("IOSync-MAC" value, may be NULL) is a valid MAC of subject
 * and body under key, 0 if not (missing, malformed or wrong).
 */
int	iosync_mac_verify(const void *key, size_t klen, const char *hdr,
	    const char *subject, const char *body, size_t len);

/* Helpers shared by iosync.c and iosync_parse.c. */
/* The IOSYNC-1 spelling of a General-page name, or NULL. */
const char	*io_general_canon(const char *io);
/* A decimal USN (at most 19 digits): 0, or -1. */
int	io_parse_u64(const char *, uint64_t *);
/* 1 if s is a BATCH id: 1-64 of [A-Za-z0-9._-]. */
int	io_valid_batch(const char *);
/* "k/n" with 1 <= k <= n <= IO_PARTS_MAX: 0, or -1. */
int	io_parse_part(const char *, unsigned *k, unsigned *n);
/* A key as it travels ("SMTP:addr" or "addr") -> the address. */
const char	*io_strip_smtp(const char *);

/* Strict standard base64 decoding; -1 if s is not base64. */
int	io_base64_decode(const char *s, size_t len, struct gw_buf *out);
/* 1 if s looks like an SMTP address: local@domain, printable, no spaces. */
int	io_valid_address(const char *s);

#endif
