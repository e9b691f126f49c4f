/* The mail transports: a Maildir on one host, or SMTP + IMAP (libcurl). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "failpoint.h"
#include "mailbox.h"
#include "util.h"

#define CURL_TIMEOUT	60L

const struct conf_key gw_mailbox_keys[] = {
	{ "transport", CONF_ENUM, CONF_REQUIRED, 0, 0, "maildir|smtp+imap",
	    "how messages travel: maildir (one host) or smtp+imap" },
	{ "inbox", CONF_PATH, 0, 0, 0, NULL,
	    "maildir: the Maildir this connector reads" },
	{ "outbox", CONF_PATH, 0, 0, 0, NULL,
	    "maildir: the Maildir messages are delivered into" },
	{ "smtp_url", CONF_STRING, 0, 0, 0, NULL,
	    "smtp+imap: smtp://host:port or smtps://host:port" },
	{ "imap_url", CONF_STRING, 0, 0, 0, NULL,
	    "smtp+imap: imap://host:port/INBOX (or imaps://)" },
	{ "mail_tls", CONF_ENUM, 0, 0, 0, "starttls|implicit|none",
	    "smtp+imap: TLS (default starttls)" },
	{ "username", CONF_STRING, 0, 0, 0, NULL,
	    "smtp+imap: login for SMTP AUTH and IMAP" },
	{ "mail_password_file", CONF_SECRET_FILE, 0, 0, 0, NULL,
	    "smtp+imap: file holding the mail password (owner-only)" },
	{ "keep_messages", CONF_DURATION, 0, 0, 0, NULL,
	    "how long handled and sent messages are kept (default 30d)" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

enum transport {
	T_MAILDIR,
	T_SMTPIMAP
};

enum tls {
	TLS_STARTTLS,
	TLS_IMPLICIT,
	TLS_NONE
};

struct gw_mailbox {
	enum transport	 kind;
	char		*inbox, *outbox;
	char		*smtp_url, *imap_url, *imap_base;
	char		*username, *password;
	enum tls	 tls;
	int64_t		 keep;
	unsigned long	 seq;
};

static int curl_ready;

static int
mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) == -1 && errno != EEXIST ? -1 : 0;
}

static int
maildir_make(const char *dir, struct gw_err *err)
{
	static const char *sub[] = { "tmp", "new", "cur" };
	char p[PATH_MAX];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		if (mkdirs(p) == -1)
			return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", p,
			    strerror(errno));
	}
	return 0;
}

int
mailbox_open(const struct conf_section *sec, struct gw_mailbox **out,
    struct gw_err *err)
{
	struct gw_mailbox *mb = gw_calloc(1, sizeof(*mb));
	const char *t = conf_get(sec, "transport", "maildir"), *errstr, *v;
	char sub[PATH_MAX];
	const char *slash;
	size_t plen;

	*out = NULL;
	mb->keep = 30 * 86400;
	if ((v = conf_get(sec, "keep_messages", NULL)) != NULL)
		(void)gw_parse_duration(v, &mb->keep, &errstr);
	if (strcmp(t, "maildir") == 0) {
		mb->kind = T_MAILDIR;
		if (conf_get(sec, "inbox", NULL) == NULL ||
		    conf_get(sec, "outbox", NULL) == NULL) {
			gw_err_set(err, GW_EXIT_USAGE, "transport maildir needs "
			    "inbox and outbox");
			goto fail;
		}
		mb->inbox = gw_strdup(conf_get(sec, "inbox", NULL));
		mb->outbox = gw_strdup(conf_get(sec, "outbox", NULL));
		if (maildir_make(mb->inbox, err) == -1 ||
		    maildir_make(mb->outbox, err) == -1)
			goto fail;
		snprintf(sub, sizeof(sub), "%s/.processed", mb->inbox);
		if (maildir_make(sub, err) == -1)
			goto fail;
		snprintf(sub, sizeof(sub), "%s/.sent", mb->inbox);
		if (maildir_make(sub, err) == -1)
			goto fail;
	} else {
		mb->kind = T_SMTPIMAP;
		if (conf_get(sec, "smtp_url", NULL) == NULL ||
		    conf_get(sec, "imap_url", NULL) == NULL) {
			gw_err_set(err, GW_EXIT_USAGE, "transport smtp+imap needs "
			    "smtp_url and imap_url");
			goto fail;
		}
		mb->smtp_url = gw_strdup(conf_get(sec, "smtp_url", NULL));
		mb->imap_url = gw_strdup(conf_get(sec, "imap_url", NULL));
		/* the server part of imap_url, for other folders */
		slash = strstr(mb->imap_url, "://");
		slash = slash != NULL ? strchr(slash + 3, '/') : NULL;
		mb->imap_base = slash != NULL ? gw_strndup(mb->imap_url,
		    (size_t)(slash - mb->imap_url) + 1) :
		    gw_strdup(mb->imap_url);
		if (slash == NULL || slash[1] == '\0') {
			gw_err_set(err, GW_EXIT_USAGE, "imap_url %s names no "
			    "mailbox (imap://host:port/INBOX)", mb->imap_url);
			goto fail;
		}
		v = conf_get(sec, "mail_tls", "starttls");
		mb->tls = strcmp(v, "none") == 0 ? TLS_NONE :
		    strcmp(v, "implicit") == 0 ? TLS_IMPLICIT : TLS_STARTTLS;
		if (conf_get(sec, "username", NULL) != NULL)
			mb->username = gw_strdup(conf_get(sec, "username",
			    NULL));
		if ((v = conf_get(sec, "mail_password_file", NULL)) != NULL &&
		    gw_read_secret(v, 1024, &mb->password, &plen, err) == -1)
			goto fail;
		if (!curl_ready) {
			if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
				gw_err_set(err, GW_EXIT_RUNTIME, "libcurl "
				    "initialization failed");
				goto fail;
			}
			curl_ready = 1;
		}
	}
	*out = mb;
	return 0;
fail:
	mailbox_close(mb);
	return -1;
}

void
mailbox_close(struct gw_mailbox *mb)
{
	if (mb == NULL)
		return;
	free(mb->inbox);
	free(mb->outbox);
	free(mb->smtp_url);
	free(mb->imap_url);
	free(mb->imap_base);
	free(mb->username);
	if (mb->password != NULL)
		memset(mb->password, 0, strlen(mb->password));
	free(mb->password);
	free(mb);
}

/* ---- maildir ---- */

static int
read_file(const char *path, char **out, size_t *len, struct gw_err *err)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;
	char *buf;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || (size_t)st.st_size > GW_MAIL_MAX) {
		close(fd);
		return gw_err_set(err, GW_EXIT_INPUT, "%s: larger than %zu "
		    "bytes", path, GW_MAIL_MAX);
	}
	buf = gw_malloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return 0;
}

/* By file name, whatever the subdirectory: names start with the time. */
static int
name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return strcmp(strchr(x, '/') + 1, strchr(y, '/') + 1);
}

static int
maildir_fetch(struct gw_mailbox *mb, struct gw_mail **msgs, size_t *n,
    struct gw_err *err)
{
	static const char *sub[] = { "cur", "new" };
	char **names = NULL, path[PATH_MAX], *raw;
	size_t nn = 0, i, len;
	struct dirent *d;
	DIR *dir;
	int s;

	for (s = 0; s < 2; s++) {
		snprintf(path, sizeof(path), "%s/%s", mb->inbox, sub[s]);
		if ((dir = opendir(path)) == NULL)
			return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
			    strerror(errno));
		while ((d = readdir(dir)) != NULL) {
			if (d->d_name[0] == '.')
				continue;
			names = gw_realloc(names, (nn + 1) * sizeof(*names));
			snprintf(path, sizeof(path), "%s/%s", sub[s],
			    d->d_name);
			names[nn++] = gw_strdup(path);
		}
		closedir(dir);
	}
	/* Maildir names start with the delivery time: oldest first */
	if (nn > 1)
		qsort(names, nn, sizeof(*names), name_cmp);
	*msgs = gw_calloc(nn + 1, sizeof(**msgs));
	*n = 0;
	for (i = 0; i < nn; i++) {
		struct gw_err one;
		struct gw_mail *m = &(*msgs)[*n];

		gw_err_init(&one);
		snprintf(path, sizeof(path), "%s/%s", mb->inbox, names[i]);
		if (read_file(path, &raw, &len, &one) == -1) {
			fprintf(stderr, "galgate: %s\n", one.msg);
			continue;
		}
		/* junk is handed over too: the connector reports it */
		(void)gw_mail_parse(m, raw, len);
		m->id = gw_strdup(names[i]);
		(*n)++;
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	return 0;
}

static int
maildir_done(struct gw_mailbox *mb, const struct gw_mail *m,
    struct gw_err *err)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *base = strchr(m->id, '/');

	snprintf(from, sizeof(from), "%s/%s", mb->inbox, m->id);
	snprintf(to, sizeof(to), "%s/.processed/cur/%s", mb->inbox,
	    base != NULL ? base + 1 : m->id);
	/* gone already (done by an earlier pass): done is done */
	if (rename(from, to) == -1 && errno != ENOENT)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", from,
		    strerror(errno));
	return 0;
}

/* A new unique Maildir file name: time, pid, sequence, host. */
static void
new_name(struct gw_mailbox *mb, char *name, size_t len)
{
	char host[64];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(name, len, "%lld.M%06ldP%ldQ%lu.%s", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, (long)getpid(), ++mb->seq, host);
}

/*
 * Writes into dir/tmp, then renames into dir/sub (Maildir delivery),
 * under name (NULL: a new one).  The same name delivered again replaces
 * the message if it is still in dir/sub.
 */
static int
maildir_deliver(struct gw_mailbox *mb, const char *dir, const char *sub,
    const char *raw, size_t len, const char *name, struct gw_err *err)
{
	char fresh[256], tmp[PATH_MAX], dst[PATH_MAX], why[1024];

	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL) {
		new_name(mb, fresh, sizeof(fresh));
		name = fresh;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s/%s", dir, sub, name);
	if (gw_write_file_atomic(tmp, raw, len, 0640, why, sizeof(why)) == -1)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s", why);
	if (rename(tmp, dst) == -1) {
		unlink(tmp);
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", dst,
		    strerror(errno));
	}
	return 0;
}

static int
maildir_purge_dir(const char *dir, time_t cutoff)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dd;

	if ((dd = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dd)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >=
		    (int)sizeof(path))
			continue;
		if (stat(path, &st) == 0 && st.st_mtime < cutoff)
			unlink(path);
	}
	closedir(dd);
	return 0;
}

/* ---- SMTP and IMAP through libcurl ---- */

struct sink {
	struct gw_buf	buf;
};

static size_t
sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (gw_buf_add(&s->buf, p, size * n) == -1)
		return 0;	/* too big: curl stops with an error */
	return size * n;
}

struct source {
	const char	*p;
	size_t		 left;
};

static size_t
source_read(char *out, size_t size, size_t n, void *arg)
{
	struct source *s = arg;
	size_t k = size * n < s->left ? size * n : s->left;

	memcpy(out, s->p, k);
	s->p += k;
	s->left -= k;
	return k;
}

static CURL *
curl_new(struct gw_mailbox *mb, const char *url, char *errbuf)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, CURL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* certificates are always verified when TLS is used */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (mb->tls == TLS_STARTTLS)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (mb->username != NULL)
		curl_easy_setopt(c, CURLOPT_USERNAME, mb->username);
	if (mb->password != NULL)
		curl_easy_setopt(c, CURLOPT_PASSWORD, mb->password);
	return c;
}

/*
 * One IMAP request on url: the command cmd (a custom request), or with
 * cmd NULL a fetch of what url names (";UID=n").  The reply goes to out
 * when not NULL.
 */
static int
imap_command(struct gw_mailbox *mb, const char *url, const char *cmd,
    struct gw_buf *out, struct gw_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink s;
	CURL *c;
	CURLcode rc;

	gw_buf_init(&s.buf, GW_MAIL_MAX);
	if ((c = curl_new(mb, url, errbuf)) == NULL)
		return gw_err_set(err, GW_EXIT_RUNTIME, "curl: out of memory");
	if (cmd != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, cmd);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		gw_buf_release(&s.buf);
		return gw_err_set(err, GW_EXIT_RUNTIME, "IMAP %s on %s: %s",
		    cmd != NULL ? cmd : "fetch", url, errbuf[0] != '\0' ?
		    errbuf : curl_easy_strerror(rc));
	}
	if (out != NULL)
		*out = s.buf;
	else
		gw_buf_release(&s.buf);
	return 0;
}

/* A folder next to the inbox; creating an existing one is harmless. */
static void
imap_ensure_folder(struct gw_mailbox *mb, const char *folder)
{
	char cmd[128];
	struct gw_err ignored;

	gw_err_init(&ignored);
	snprintf(cmd, sizeof(cmd), "CREATE %s", folder);
	(void)imap_command(mb, mb->imap_base, cmd, NULL, &ignored);
}

static int
imap_fetch(struct gw_mailbox *mb, struct gw_mail **msgs, size_t *n,
    struct gw_err *err)
{
	struct gw_buf reply, body;
	char url[PATH_MAX], *p, *end;
	unsigned long uid;
	size_t cap = 0;

	*msgs = NULL;
	*n = 0;
	if (imap_command(mb, mb->imap_url, "UID SEARCH ALL", &reply, err) == -1)
		return -1;
	p = reply.buf != NULL ? strstr(reply.buf, "SEARCH") : NULL;
	if (p != NULL)
		p += 6;
	while (p != NULL && *p != '\0') {
		uid = strtoul(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		p = end;
		if (uid == 0)
			continue;
		snprintf(url, sizeof(url), "%s;UID=%lu", mb->imap_url, uid);
		if (imap_command(mb, url, NULL, &body, err) == -1) {
			gw_buf_release(&reply);
			return -1;
		}
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*msgs = gw_realloc(*msgs, cap * sizeof(**msgs));
		}
		memset(&(*msgs)[*n], 0, sizeof(**msgs));
		(void)gw_mail_parse(&(*msgs)[*n], body.buf != NULL ? body.buf :
		    gw_strdup(""), body.len);
		snprintf(url, sizeof(url), "%lu", uid);
		(*msgs)[*n].id = gw_strdup(url);
		(*n)++;
	}
	gw_buf_release(&reply);
	if (*msgs == NULL)
		*msgs = gw_calloc(1, sizeof(**msgs));
	return 0;
}

static int
imap_done(struct gw_mailbox *mb, const struct gw_mail *m, struct gw_err *err)
{
	char cmd[128];

	imap_ensure_folder(mb, "processed");
	snprintf(cmd, sizeof(cmd), "UID MOVE %s processed", m->id);
	return imap_command(mb, mb->imap_url, cmd, NULL, err);
}

static int
smtp_send(struct gw_mailbox *mb, const char *from, const char *const *to,
    size_t nto, const char *raw, size_t len, struct gw_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", *addr;
	struct curl_slist *rcpt = NULL;
	struct source src = { raw, len };
	CURLcode rc;
	CURL *c;
	size_t i;

	if ((c = curl_new(mb, mb->smtp_url, errbuf)) == NULL)
		return gw_err_set(err, GW_EXIT_RUNTIME, "curl: out of memory");
	addr = gw_malloc(strlen(from) + 3);
	sprintf(addr, "<%s>", from);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
	for (i = 0; i < nto; i++)
		rcpt = curl_slist_append(rcpt, to[i]);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, source_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(c);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(addr);
	if (rc != CURLE_OK)
		return gw_err_set(err, GW_EXIT_RUNTIME, "SMTP %s: %s",
		    mb->smtp_url, errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
	return 0;
}

/* IMAP APPEND of a copy into folder. */
static int
imap_append(struct gw_mailbox *mb, const char *folder, const char *raw,
    size_t len, struct gw_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", url[PATH_MAX];
	struct source src = { raw, len };
	CURLcode rc;
	CURL *c;

	imap_ensure_folder(mb, folder);
	snprintf(url, sizeof(url), "%s%s", mb->imap_base, folder);
	if ((c = curl_new(mb, url, errbuf)) == NULL)
		return gw_err_set(err, GW_EXIT_RUNTIME, "curl: out of memory");
	curl_easy_setopt(c, CURLOPT_READFUNCTION, source_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return gw_err_set(err, GW_EXIT_RUNTIME, "IMAP APPEND to %s: %s",
		    url, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	return 0;
}

static int
imap_purge_folder(struct gw_mailbox *mb, const char *folder, time_t cutoff,
    struct gw_err *err)
{
	static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char url[PATH_MAX], cmd[128];
	struct gw_buf reply;
	struct tm tm;
	char *p, *end;
	unsigned long uid;

	imap_ensure_folder(mb, folder);
	snprintf(url, sizeof(url), "%s%s", mb->imap_base, folder);
	gmtime_r(&cutoff, &tm);
	snprintf(cmd, sizeof(cmd), "UID SEARCH BEFORE %d-%s-%d", tm.tm_mday,
	    mon[tm.tm_mon], tm.tm_year + 1900);
	if (imap_command(mb, url, cmd, &reply, err) == -1)
		return -1;
	p = reply.buf != NULL ? strstr(reply.buf, "SEARCH") : NULL;
	if (p != NULL)
		p += 6;
	while (p != NULL && *p != '\0') {
		uid = strtoul(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		p = end;
		snprintf(cmd, sizeof(cmd), "UID STORE %lu +FLAGS (\\Deleted)",
		    uid);
		if (imap_command(mb, url, cmd, NULL, err) == -1)
			break;
	}
	gw_buf_release(&reply);
	return imap_command(mb, url, "EXPUNGE", NULL, err);
}

/* ---- the interface ---- */

int
mailbox_fetch(struct gw_mailbox *mb, struct gw_mail **msgs, size_t *n,
    struct gw_err *err)
{
	return mb->kind == T_MAILDIR ? maildir_fetch(mb, msgs, n, err) :
	    imap_fetch(mb, msgs, n, err);
}

int
mailbox_done(struct gw_mailbox *mb, const struct gw_mail *m,
    struct gw_err *err)
{
	GW_FAILPOINT("mail-before-done");
	return mb->kind == T_MAILDIR ? maildir_done(mb, m, err) :
	    imap_done(mb, m, err);
}

int
mailbox_send(struct gw_mailbox *mb, const char *from, const char *const *to,
    size_t nto, const char *raw, size_t len, struct gw_err *err)
{
	return mailbox_send_named(mb, from, to, nto, raw, len, NULL, err);
}

int
mailbox_send_named(struct gw_mailbox *mb, const char *from,
    const char *const *to, size_t nto, const char *raw, size_t len,
    const char *name, struct gw_err *err)
{
	char sent[PATH_MAX];
	struct gw_err copy;

	GW_FAILPOINT("mail-before-send");
	if (mb->kind == T_MAILDIR) {
		if (maildir_deliver(mb, mb->outbox, "new", raw, len, name,
		    err) == -1)
			return -1;
		GW_FAILPOINT("mail-sent");
		snprintf(sent, sizeof(sent), "%s/.sent", mb->inbox);
		gw_err_init(&copy);
		/* the copy is for troubleshooting: its loss is not fatal */
		if (maildir_deliver(mb, sent, "cur", raw, len, name,
		    &copy) == -1)
			fprintf(stderr, "galgate: keeping a sent copy: %s\n",
			    copy.msg);
		return 0;
	}
	if (smtp_send(mb, from, to, nto, raw, len, err) == -1)
		return -1;
	GW_FAILPOINT("mail-sent");
	gw_err_init(&copy);
	if (imap_append(mb, "sent", raw, len, &copy) == -1)
		fprintf(stderr, "galgate: keeping a sent copy: %s\n", copy.msg);
	return 0;
}

int
mailbox_purge(struct gw_mailbox *mb, struct gw_err *err)
{
	time_t cutoff = time(NULL) - (time_t)mb->keep;
	char dir[PATH_MAX];

	if (mb->kind == T_MAILDIR) {
		snprintf(dir, sizeof(dir), "%s/.processed/cur", mb->inbox);
		maildir_purge_dir(dir, cutoff);
		snprintf(dir, sizeof(dir), "%s/.sent/cur", mb->inbox);
		maildir_purge_dir(dir, cutoff);
		return 0;
	}
	if (imap_purge_folder(mb, "processed", cutoff, err) == -1)
		return -1;
	return imap_purge_folder(mb, "sent", cutoff, err);
}
