#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "failpoint.h"
#include "util.h"

#define GW_BUF_DEFAULT_MAX	((size_t)1 << 30)

void *
gw_malloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		abort();
	return p;
}

void *
gw_calloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (p == NULL)
		abort();
	return p;
}

void *
gw_realloc(void *old, size_t n)
{
	void *p = realloc(old, n == 0 ? 1 : n);

	if (p == NULL)
		abort();
	return p;
}

void *
gw_grow(void *arr, size_t n, size_t size)
{
	size_t cap;

	/* the capacity is implicit: 8, then the power of two above n */
	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return arr;
	cap = n < 8 ? 8 : n * 2;
	if (cap > SIZE_MAX / size)
		abort();
	return gw_realloc(arr, cap * size);
}

char *
gw_strdup(const char *s)
{
	return gw_strndup(s, strlen(s));
}

char *
gw_strndup(const char *s, size_t n)
{
	char *p = gw_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
gw_buf_init(struct gw_buf *b, size_t max)
{
	b->buf = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max == 0 ? GW_BUF_DEFAULT_MAX : max;
}

void
gw_buf_release(struct gw_buf *b)
{
	free(b->buf);
	gw_buf_init(b, b->max);
}

void
gw_buf_reset(struct gw_buf *b)
{
	b->len = 0;
	if (b->buf != NULL)
		b->buf[0] = '\0';
}

static int
buf_grow(struct gw_buf *b, size_t more)
{
	size_t want, cap;

	if (more > b->max || b->len > b->max - more)
		return -1;
	want = b->len + more + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap == 0 ? 64 : b->cap;
	while (cap < want)
		cap *= 2;
	b->buf = gw_realloc(b->buf, cap);
	b->cap = cap;
	return 0;
}

int
gw_buf_add(struct gw_buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

int
gw_buf_addstr(struct gw_buf *b, const char *s)
{
	return gw_buf_add(b, s, strlen(s));
}

int
gw_buf_addch(struct gw_buf *b, char c)
{
	return gw_buf_add(b, &c, 1);
}

int
gw_buf_printf(struct gw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
gw_buf_detach(struct gw_buf *b)
{
	char *s = b->buf;

	/* detached strings are often kept: give back the spare capacity */
	if (s == NULL)
		s = gw_strdup("");
	else
		s = gw_realloc(s, b->len + 1);
	gw_buf_init(b, b->max);
	return s;
}

long long
gw_strtonum(const char *s, long long min, long long max, const char **errstr)
{
	long long v;
	char *end;

	*errstr = NULL;
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		*errstr = "invalid";
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return 0;
	}
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		*errstr = "too small";
		return 0;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		*errstr = "too large";
		return 0;
	}
	return v;
}

static int
parse_scaled(const char *s, const char *units, const int64_t *scale,
    int64_t *out, const char **errstr)
{
	char num[32];
	size_t n = strlen(s);
	int64_t mul = 1, v;
	const char *u;

	*errstr = NULL;
	if (n == 0 || n >= sizeof(num)) {
		*errstr = "invalid";
		return -1;
	}
	memcpy(num, s, n + 1);
	if ((u = strchr(units, toupper((unsigned char)num[n - 1]))) != NULL &&
	    !isdigit((unsigned char)num[n - 1])) {
		mul = scale[u - units];
		num[n - 1] = '\0';
	}
	v = gw_strtonum(num, 0, INT64_MAX / mul, errstr);
	if (*errstr != NULL)
		return -1;
	*out = v * mul;
	return 0;
}

int
gw_parse_size(const char *s, uint64_t *out, const char **errstr)
{
	static const int64_t scale[] = { 1024, 1024 * 1024,
	    1024 * 1024 * 1024 };
	int64_t v;

	if (parse_scaled(s, "KMG", scale, &v, errstr) == -1)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int
gw_parse_duration(const char *s, int64_t *out, const char **errstr)
{
	static const int64_t scale[] = { 1, 60, 3600, 86400 };

	return parse_scaled(s, "SMHD", scale, out, errstr);
}

int
gw_parse_bool(const char *s, int *out, const char **errstr)
{
	static const char *yes[] = { "yes", "true", "on", "1", NULL };
	static const char *no[] = { "no", "false", "off", "0", NULL };
	int i;

	*errstr = NULL;
	for (i = 0; yes[i] != NULL; i++)
		if (gw_strcaseeq(s, yes[i])) {
			*out = 1;
			return 0;
		}
	for (i = 0; no[i] != NULL; i++)
		if (gw_strcaseeq(s, no[i])) {
			*out = 0;
			return 0;
		}
	*errstr = "not yes or no";
	return -1;
}

void
gw_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
gw_time_parse(const char *s, time_t now, time_t *out, const char **errstr)
{
	int Y, M, D, h, m, sec, oh, om, off = 0;
	struct tm tm;
	const char *p;
	int64_t d;

	*errstr = NULL;
	if (strlen(s) < 20 || s[4] != '-') {
		if (gw_parse_duration(s, &d, errstr) == -1) {
			*errstr = "not an RFC 3339 time or a duration";
			return -1;
		}
		*out = now - (time_t)d;
		return 0;
	}
	if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
	    s[7] != '-' || digits(s + 8, 2, &D) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) ||
	    s[16] != ':' || digits(s + 17, 2, &sec))
		goto bad;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om))
			goto bad;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else
		goto bad;
	if (*p != '\0' || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 ||
	    m > 59 || sec > 60)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm) - off;
	return 0;
bad:
	*errstr = "not an RFC 3339 time (2026-11-21T10:00:00Z) or a duration";
	return -1;
}

int
gw_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (p[i] == 0)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

void
gw_uuid_hex(const unsigned char u[16], char *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[u[i] >> 4];
		out[2 * i + 1] = hex[u[i] & 15];
	}
	out[32] = '\0';
}

static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
gw_uuid_parse(const char *s, unsigned char out[16])
{
	int i = 0, h, l;

	for (; *s != '\0' && i < 16; s++) {
		if (*s == '-')
			continue;
		if ((h = hexdigit(s[0])) < 0 || (l = hexdigit(s[1])) < 0)
			return -1;
		out[i++] = (unsigned char)(h * 16 + l);
		s++;
	}
	return i == 16 && *s == '\0' ? 0 : -1;
}

int
gw_strcaseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

int
gw_strncaseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
		if (a[i] == '\0')
			return 1;
	}
	return 1;
}

char *
gw_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int
gw_read_secret(const char *path, size_t max, char **out, size_t *len,
    struct gw_err *err)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return gw_err_set(err, GW_EXIT_USAGE, "%s: %s", path,
		    strerror(errno));
	/* a secret others can read is no secret: refuse it */
	if (fstat(fd, &st) == -1 || (st.st_mode & 077) != 0) {
		close(fd);
		return gw_err_set(err, GW_EXIT_USAGE, "%s: readable by other "
		    "users; refusing it (chmod 600)", path);
	}
	buf = gw_malloc(max + 2);
	n = read(fd, buf, max + 1);
	close(fd);
	if (n < 0 || (size_t)n > max) {
		free(buf);
		return gw_err_set(err, GW_EXIT_USAGE, n < 0 ? "%s: read error" :
		    "%s: longer than the %zu bytes a secret may have", path,
		    max);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0) {
		free(buf);
		return gw_err_set(err, GW_EXIT_USAGE, "%s: empty", path);
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* The temp file path beside path; -1 if it does not fit. */
static int
temp_path(char *tmp, size_t len, const char *path)
{
	return snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)len ? -1 : 0;
}

/* Writes and syncs one temp file; -1 with errno set. */
static int
write_temp(const char *tmp, const void *data, size_t len, int mode)
{
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		return -1;
	while (off < len) {
		if (GW_FAILPOINT_ERRNO("file-write") != 0)
			goto fail;
		n = write(fd, p + off, len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	GW_FAILPOINT("file-written");
	if (fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static void
sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dfd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s",
		    (int)(slash - path + (slash == path)), path);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
}

int
gw_write_files_atomic(const struct gw_file_out *f, size_t n, char *errbuf,
    size_t errlen)
{
	char tmp[PATH_MAX];
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (temp_path(tmp, sizeof(tmp), f[i].path) == -1) {
			snprintf(errbuf, errlen, "%s: path too long", f[i].path);
			goto fail;
		}
		if (write_temp(tmp, f[i].data, f[i].len, f[i].mode) == -1) {
			snprintf(errbuf, errlen, "%s: %s", f[i].path,
			    strerror(errno));
			unlink(tmp);
			goto fail;
		}
	}
	/*
	 * Every file is complete: now they change, in order.  Killed
	 * between two renames, the process would leave a set mixing new and
	 * old files, so the old ones but the first go before the first
	 * rename: a set cut short holds the old files, or the first file
	 * (old or new) alone, which a reader of the set refuses, or the new
	 * set.
	 */
	for (i = 1; i < n; i++)
		if (unlink(f[i].path) == -1 && errno != ENOENT) {
			snprintf(errbuf, errlen, "%s: %s", f[i].path,
			    strerror(errno));
			i = n;
			goto fail;
		}
	for (i = 0; i < n; i++) {
		(void)temp_path(tmp, sizeof(tmp), f[i].path);
		GW_FAILPOINT("file-before-rename");
		if (rename(tmp, f[i].path) == -1) {
			snprintf(errbuf, errlen, "%s: %s", f[i].path,
			    strerror(errno));
			for (k = i; k < n; k++) {
				(void)temp_path(tmp, sizeof(tmp), f[k].path);
				unlink(tmp);
			}
			return -1;
		}
		GW_FAILPOINT("file-renamed");
	}
	for (i = 0; i < n; i++)
		sync_dir_of(f[i].path);
	return 0;
fail:
	for (k = 0; k < i; k++) {
		(void)temp_path(tmp, sizeof(tmp), f[k].path);
		unlink(tmp);
	}
	return -1;
}

int
gw_write_file_atomic(const char *path, const void *data, size_t len,
    int mode, char *errbuf, size_t errlen)
{
	struct gw_file_out f = { path, data, len, mode };

	return gw_write_files_atomic(&f, 1, errbuf, errlen);
}
