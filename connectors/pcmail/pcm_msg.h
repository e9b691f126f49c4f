/*
 * pcm_msg.h: dir-sync messages (FORMATS.md section 2, "Messages"): the
 * MIME structure that carries them, the [DIRSYNC] header section, the
 * ReqTx/SrvTx subjects, and the messages galgate builds.  No I/O.
 */
#ifndef GW_PCM_MSG_H
#define GW_PCM_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "codepage.h"

#define PCM_MAX_PARTS	64
#define PCM_MAX_DEPTH	4

/* One leaf MIME part, its transfer encoding undone. */
struct pcm_part {
	char	*type;		/* "text/plain", lower-cased */
	char	*charset;	/* lower-cased, or NULL */
	char	*filename;	/* or NULL */
	char	*data;		/* decoded bytes, NUL after len */
	size_t	 len;
};

struct pcm_parts {
	struct pcm_part	*p;
	size_t		 n;
};

/*
 * The leaf parts of a message (raw, with the body at body_off), in order;
 * a message that is not multipart is one part.  -1 with why (one line)
 * when the MIME structure or a transfer encoding is broken.
 */
int	pcm_mime_parts(const char *raw, size_t rawlen, size_t body_off,
	    struct pcm_parts *, char *why, size_t whylen);
void	pcm_parts_release(struct pcm_parts *);
/* Value of header name in a header block (unfolded; caller frees), or NULL. */
char	*pcm_header_value(const char *block, size_t len, const char *name);

enum pcm_task {
	PCM_TASK_NONE = 0,	/* no TASK= line */
	PCM_TASK_UPDATE,
	PCM_TASK_EXPORT,
	PCM_TASK_IMPORTREQ,
	PCM_TASK_STATUS,
	PCM_TASK_BAD		/* a value MS Mail does not know: error 155 */
};

/* The [DIRSYNC] section of a requestor's message. */
struct pcm_header {
	enum pcm_task	 task;
	char		*task_raw;
	char		*reqname;	/* as written, UTF-8 */
	char		 net[16], po[16];	/* of REQNAME; "" if it has none */
	char		*password;	/* UTF-8; NULL when absent */
	char		**types;	/* upper-cased; NULL when absent */
	size_t		 ntypes;
	int		 templates;	/* -1 absent, 0 NO, 1 YES */
	int		 has_reqseq, has_srvseq, has_impseq;
	uint64_t	 reqseq, srvseq, impseq;
	int		 attach;	/* TRANSACTIONS=INATTACHMENT */
	long		 count;		/* COUNT=, or -1 */
	char		**unknown;	/* keys galgate does not know */
	size_t		 nunknown;
	long		 trans_line;	/* line of [DIRSYNC-TRANSACTIONS], or 0 */
	size_t		 trans_off;	/* where the transactions start */
};

/*
 * Parses the [DIRSYNC] section that starts text (leading blank lines
 * allowed).  Values are read in the code page (cp NULL: UTF-8).  Returns
 * 0, 1 if text does not start with [DIRSYNC] (not a dir-sync body), or -1
 * with why = "line N: reason" for a malformed section.
 */
int	pcm_header_parse(const char *text, size_t len, struct gw_codepage *cp,
	    struct pcm_header *, char *why, size_t whylen);
void	pcm_header_release(struct pcm_header *);
/* 1 if text (after blank lines) starts with the line tag, e.g. "[DIRSYNC]". */
int	pcm_starts_with_tag(const char *text, size_t len, const char *tag,
	    size_t *after, long *line);

/* "ReqTx R=1207 (was 1203), S=87302, I=2 4 sent" and the SrvTx form. */
struct pcm_subject {
	int		 has_r, has_was, has_s, has_i, has_n;
	uint64_t	 r, was, s, i, n;
};
/*
 * Parses subject when it starts with verb ("ReqTx"); spaces around '='
 * and commas are optional.  0, or -1 when it is not that kind of subject.
 */
int	pcm_subject_parse(const char *subject, const char *verb,
	    struct pcm_subject *);
/* "Status report from NET/PO": 0 with net and po filled, else -1. */
int	pcm_status_subject(const char *subject, char *net, size_t netlen,
	    char *po, size_t polen);

/* MIME charset name of a code page ("IBM850" for CP850). */
const char *pcm_charset(const char *codepage);

/*
 * A multipart/mixed message: a text body and one attachment (att_type
 * "text/plain" goes base64 with att_name, "message/rfc822" as it is).
 * Headers as gw_mail_build makes them; extra is "Name: value\r\n"... or
 * NULL.  Caller frees *out.  -1 if larger than GW_MAIL_MAX.
 */
int	pcm_mail_multipart(const char *from, const char *to,
	    const char *subject, const char *extra, const char *charset,
	    const char *body, size_t bodylen, const char *att_type,
	    const char *att_name, const char *att, size_t attlen, char **out,
	    size_t *outlen);

#endif
