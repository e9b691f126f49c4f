/*
 * ccdir.h: the CCDIR-1 text files cc:Mail's EXPORT writes and IMPORT reads
 * (FORMATS.md section 1): Ccmdir.exp, Ccmlist.exp, Ccmbb.exp in;
 * Ccmdel.imp, Ccmdir.imp out.
 *
 * The reader streams one record at a time into a struct gw_record whose
 * attribute names are the CCDIR keywords in canonical spelling ("Name",
 * "Locn", "PO", "Addr", "FAN", "Comments", "Via", "List", "Member",
 * "BBoard"), values converted to UTF-8.  Everything is bounded: a line
 * over CCDIR_MAX_LINE bytes, binary data or a bad header is a structural
 * error (exit 3) naming file and line; a bad record is reported with its
 * line and skipped by the caller.
 */
#ifndef GW_CCDIR_H
#define GW_CCDIR_H

#include <stdio.h>
#include <time.h>

#include "codepage.h"
#include "err.h"
#include "record.h"

#define CCDIR_MAX_LINE		1024
#define CCDIR_MAX_FILE		((size_t)1 << 30)
#define CCDIR_MAX_FIELDS	256

struct ccdir_reader {
	const char		*path;
	FILE			*fp;
	struct gw_codepage	*cp;
	long			 line;		/* last line read */
	long			 header_end;	/* last line of the header */
	long			 bad_line;	/* of a malformed record's fault */
	size_t			 bytes;
	int			 eof;
	size_t			 replaced;	/* characters not representable */
	char			 kind[16];
	char			 postoffice[128];
	char			 codepage[16];
};

/*
 * Opens path and reads its header; kind must match ("directory", "lists",
 * "bboards", "delete", "add").  A missing file is a runtime error (exit
 * 1); a bad header a structural one (exit 3).
 */
int	ccdir_open(struct ccdir_reader *, const char *path, const char *kind,
	    struct gw_codepage *, struct gw_err *);
/*
 * Reads the next record into rec (initialized by the caller, released by
 * it).  Returns 1 with *line at the record's first line; bad[0] != '\0'
 * when the record is malformed (the caller skips it), with r->bad_line
 * the line at fault.  0 at the end, -1 on a structural error.
 */
int	ccdir_next(struct ccdir_reader *, struct gw_record *rec, long *line,
	    char *bad, size_t badlen, struct gw_err *);
void	ccdir_close(struct ccdir_reader *);

/* Writer: builds the file in memory, then writes it atomically. */
struct ccdir_writer {
	struct gw_buf		 out;
	struct gw_codepage	*cp;
	size_t			 records;
	size_t			 replaced;
};

void	ccdir_writer_init(struct ccdir_writer *, struct gw_codepage *);
void	ccdir_writer_release(struct ccdir_writer *);
/* generated 0 leaves the Generated: line out. */
int	ccdir_write_header(struct ccdir_writer *, const char *kind,
	    const char *postoffice, time_t generated);
/* Writes rec's attributes in the canonical keyword order. */
int	ccdir_write_record(struct ccdir_writer *, const struct gw_record *);
/*
 * Files that go together (Ccmdel.imp and Ccmdir.imp): all written in
 * full before any replaces its old version, renamed in the order given.
 */
int	ccdir_writers_commit(struct ccdir_writer *const *, const char *const *,
	    size_t n, struct gw_err *);

#endif
