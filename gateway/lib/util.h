/*
 * util.h: bounded helpers shared by every module: growable buffers with a
 * ceiling, number/size/duration parsing with an error string, RFC 3339
 * times, UTF-8 validation.
 */
#ifndef GW_UTIL_H
#define GW_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Bytes with a length; never NUL-dependent.  ptr may be NULL when len 0. */
struct gw_value {
	char	*ptr;
	size_t	 len;
};

/*
 * Growable buffer.  Invariants: buf[len] == '\0' whenever buf != NULL;
 * len < cap; len never exceeds max (0 means 1 GiB).  Growing past max fails
 * instead of truncating.
 */
struct gw_buf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

void	 gw_buf_init(struct gw_buf *, size_t max);
void	 gw_buf_release(struct gw_buf *);
void	 gw_buf_reset(struct gw_buf *);
int	 gw_buf_add(struct gw_buf *, const void *, size_t);
int	 gw_buf_addstr(struct gw_buf *, const char *);
int	 gw_buf_addch(struct gw_buf *, char);
int	 gw_buf_printf(struct gw_buf *, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* Gives the caller the string (caller frees); the buffer is reset. */
char	*gw_buf_detach(struct gw_buf *);

/* Allocation that never returns NULL: out of memory aborts the process. */
void	*gw_malloc(size_t);
void	*gw_calloc(size_t, size_t);
void	*gw_realloc(void *, size_t);
/*
 * Room for element n of an array of n elements of size bytes each,
 * growing it to the next power of two (at least 8): appending stays
 * amortized constant where realloc cannot grow in place (a sanitizer's
 * allocator never does).  Every allocation of the array must come from
 * it, starting from NULL at n 0; n may go down and up again.
 */
void	*gw_grow(void *arr, size_t n, size_t size);
char	*gw_strdup(const char *);
char	*gw_strndup(const char *, size_t);

/*
 * Parse a decimal integer in [min, max]; the whole string must be used.
 * On failure returns 0 and sets *errstr ("invalid", "too small", "too large").
 */
long long gw_strtonum(const char *, long long min, long long max,
	    const char **errstr);
/* "N", "NK", "NM", "NG" in bytes. */
int	 gw_parse_size(const char *, uint64_t *, const char **errstr);
/* "Ns", "Nm", "Nh", "Nd" in seconds (a bare number is seconds). */
int	 gw_parse_duration(const char *, int64_t *, const char **errstr);
/* "yes"/"no" (also true/false, on/off, 1/0). */
int	 gw_parse_bool(const char *, int *, const char **errstr);

/* RFC 3339 UTC "2026-11-21T10:00:00Z"; buf at least 21 bytes. */
void	 gw_time_format(time_t, char *buf, size_t len);
/* RFC 3339 (Z or offset, optional fraction) or a duration back from now. */
int	 gw_time_parse(const char *, time_t now, time_t *, const char **errstr);

/* 1 if s[0..len) is well-formed UTF-8 without NUL, else 0. */
int	 gw_utf8_valid(const char *, size_t);

/* 16 bytes as 32 lower-case hex digits; out at least 33 bytes. */
void	 gw_uuid_hex(const unsigned char u[16], char *out);
/* entryUUID text (with or without dashes) or 32 hex digits to bytes. */
int	 gw_uuid_parse(const char *, unsigned char out[16]);

/* ASCII case-insensitive comparisons, locale independent. */
int	 gw_strcaseeq(const char *, const char *);
int	 gw_strncaseeq(const char *, const char *, size_t);
char	*gw_trim(char *);

/*
 * Reads a secret (password, MAC key) from a file only its owner may read:
 * the file without its trailing line end, NUL-terminated, in *out (caller
 * wipes and frees).  Errors (exit 2): unreadable, readable by others,
 * empty, longer than max bytes.
 */
struct gw_err;
int	 gw_read_secret(const char *path, size_t max, char **out, size_t *len,
	    struct gw_err *);

/* Write a whole file atomically: temp file, fsync, rename, fsync dir. */
int	 gw_write_file_atomic(const char *path, const void *, size_t,
	    int mode, char *errbuf, size_t errlen);

/* One file of a set written together (gw_write_files_atomic). */
struct gw_file_out {
	const char	*path;
	const void	*data;
	size_t		 len;
	int		 mode;
};

/*
 * Writes files that belong together (cc:Mail's Ccmdel.imp and
 * Ccmdir.imp): each goes to a temp file and is synced, and only when
 * every one is complete are they renamed into place, in order.  A failure
 * before the renames (a full disk) leaves every old file as it was and no
 * temp file behind; errbuf names the file and the cause.  Just before the
 * renames the old files but the first are removed, so that a process
 * killed between two renames leaves no set mixing old and new files.
 */
int	 gw_write_files_atomic(const struct gw_file_out *, size_t n,
	    char *errbuf, size_t errlen);

#endif
