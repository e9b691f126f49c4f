#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "evlog.h"
#include "util.h"

#define EVLOG_MAX_LINE	8192

static const char *sev_names[] = { "info", "warning", "error" };

const char *
evlog_sev_name(enum gw_sev s)
{
	return sev_names[s];
}

int
gw_json_string(struct gw_buf *b, const char *s)
{
	const unsigned char *p;
	int rc = gw_buf_addch(b, '"');

	for (p = (const unsigned char *)s; *p != '\0' && rc == 0; p++) {
		switch (*p) {
		case '"':
			rc = gw_buf_addstr(b, "\\\"");
			break;
		case '\\':
			rc = gw_buf_addstr(b, "\\\\");
			break;
		case '\n':
			rc = gw_buf_addstr(b, "\\n");
			break;
		case '\r':
			rc = gw_buf_addstr(b, "\\r");
			break;
		case '\t':
			rc = gw_buf_addstr(b, "\\t");
			break;
		default:
			if (*p < 0x20)
				rc = gw_buf_printf(b, "\\u%04x", *p);
			else
				rc = gw_buf_addch(b, (char)*p);
		}
	}
	return rc == 0 ? gw_buf_addch(b, '"') : -1;
}

int
evlog_open(struct gw_evlog *ev, const char *state_dir, struct gw_err *err)
{
	char path[PATH_MAX];

	ev->fd = -1;
	ev->use_syslog = 1;
	ev->echo = stderr;
	if (state_dir == NULL)
		return 0;
	if (snprintf(path, sizeof(path), "%s/events.jsonl", state_dir) >=
	    (int)sizeof(path))
		return gw_err_set(err, GW_EXIT_USAGE, "%s: path too long",
		    state_dir);
	ev->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (ev->fd == -1)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	openlog("galgate", LOG_PID, LOG_DAEMON);
	return 0;
}

void
evlog_close(struct gw_evlog *ev)
{
	if (ev->fd != -1)
		close(ev->fd);
	ev->fd = -1;
}

void
evlog_emit(struct gw_evlog *ev, int id, enum gw_sev sev, const char *connector,
    const char *dn, const char *fmt, ...)
{
	static const int prio[] = { LOG_INFO, LOG_WARNING, LOG_ERR };
	char text[4096], now[32];
	struct gw_buf b;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	gw_time_format(time(NULL), now, sizeof(now));
	gw_buf_init(&b, EVLOG_MAX_LINE * 2);
	(void)gw_buf_printf(&b, "{\"event_id\":%d,\"severity\":\"%s\","
	    "\"connector\":", id, sev_names[sev]);
	(void)gw_json_string(&b, connector != NULL ? connector : "");
	(void)gw_buf_addstr(&b, ",\"dn\":");
	(void)gw_json_string(&b, dn != NULL ? dn : "");
	(void)gw_buf_addstr(&b, ",\"text\":");
	(void)gw_json_string(&b, text);
	(void)gw_buf_printf(&b, ",\"time\":\"%s\"}\n", now);
	/* one write per line: O_APPEND keeps concurrent writers whole */
	if (ev != NULL && ev->fd != -1 && b.buf != NULL)
		(void)!write(ev->fd, b.buf, b.len);
	gw_buf_release(&b);
	if (ev != NULL && ev->use_syslog)
		syslog(prio[sev], "%d %s%s%s%s%s", id,
		    connector != NULL ? connector : "",
		    connector != NULL ? ": " : "", dn != NULL ? dn : "",
		    dn != NULL ? ": " : "", text);
	if (ev != NULL && ev->echo != NULL && sev != GW_SEV_INFO)
		fprintf(ev->echo, "galgate: %s %d%s%s%s%s: %s\n",
		    sev_names[sev], id, connector != NULL ? " " : "",
		    connector != NULL ? connector : "",
		    dn != NULL && *dn != '\0' ? " " : "",
		    dn != NULL ? dn : "", text);
}

/* The fields of one event line, parsed from our own flat JSON. */
struct ev_fields {
	long long	 id;
	char		*severity, *connector, *dn, *text, *time;
};

static int
json_str(const char **pp, struct gw_buf *out)
{
	const char *p = *pp;
	unsigned int u;
	int i, h;

	if (*p++ != '"')
		return -1;
	while (*p != '"') {
		if (*p == '\0')
			return -1;
		if (*p != '\\') {
			gw_buf_addch(out, *p++);
			continue;
		}
		p++;
		switch (*p) {
		case 'n': gw_buf_addch(out, '\n'); break;
		case 'r': gw_buf_addch(out, '\r'); break;
		case 't': gw_buf_addch(out, '\t'); break;
		case 'u':
			u = 0;
			for (i = 1; i <= 4; i++) {
				h = p[i];
				if (h >= '0' && h <= '9') h -= '0';
				else if (h >= 'a' && h <= 'f') h -= 'a' - 10;
				else if (h >= 'A' && h <= 'F') h -= 'A' - 10;
				else return -1;
				u = u * 16 + (unsigned)h;
			}
			p += 4;
			gw_buf_addch(out, u < 0x80 ? (char)u : '?');
			break;
		case '\0':
			return -1;
		default:
			gw_buf_addch(out, *p);
		}
		p++;
	}
	*pp = p + 1;
	return 0;
}

static int
parse_event(const char *line, struct ev_fields *f)
{
	const char *p = line, *errstr;
	struct gw_buf key, val;
	char num[32];
	size_t n;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	gw_buf_init(&key, 64);
	gw_buf_init(&val, EVLOG_MAX_LINE);
	if (*p++ != '{')
		goto done;
	for (;;) {
		gw_buf_reset(&key);
		gw_buf_reset(&val);
		if (json_str(&p, &key) == -1 || *p++ != ':')
			goto done;
		if (*p == '"') {
			char **slot = NULL;

			if (json_str(&p, &val) == -1)
				goto done;
			if (strcmp(key.buf, "severity") == 0)
				slot = &f->severity;
			else if (strcmp(key.buf, "connector") == 0)
				slot = &f->connector;
			else if (strcmp(key.buf, "dn") == 0)
				slot = &f->dn;
			else if (strcmp(key.buf, "text") == 0)
				slot = &f->text;
			else if (strcmp(key.buf, "time") == 0)
				slot = &f->time;
			if (slot != NULL) {
				free(*slot);
				*slot = gw_strdup(val.buf != NULL ? val.buf : "");
			}
		} else {
			for (n = 0; n < sizeof(num) - 1 &&
			    (p[n] == '-' || (p[n] >= '0' && p[n] <= '9')); n++)
				num[n] = p[n];
			num[n] = '\0';
			p += n;
			if (strcmp(key.buf, "event_id") == 0) {
				f->id = gw_strtonum(num, 0, 99999, &errstr);
				if (errstr != NULL)
					goto done;
			}
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '}')
			break;
		goto done;
	}
	rc = f->severity != NULL && f->time != NULL ? 0 : -1;
done:
	gw_buf_release(&key);
	gw_buf_release(&val);
	return rc;
}

static void
fields_free(struct ev_fields *f)
{
	free(f->severity);
	free(f->connector);
	free(f->dn);
	free(f->text);
	free(f->time);
}

int
evlog_print(const char *state_dir, const char *connector, time_t since,
    int json, FILE *out, struct gw_err *err)
{
	char path[PATH_MAX], line[EVLOG_MAX_LINE];
	struct ev_fields f;
	const char *errstr;
	time_t t;
	FILE *fp;
	size_t len;
	long lineno = 0;

	snprintf(path, sizeof(path), "%s/events.jsonl", state_dir);
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (parse_event(line, &f) == -1) {
			fprintf(stderr, "galgate: %s:%ld: not an event line, "
			    "skipped\n", path, lineno);
			fields_free(&f);
			continue;
		}
		if ((connector != NULL && (f.connector == NULL ||
		    strcmp(f.connector, connector) != 0)) ||
		    (since != 0 && (gw_time_parse(f.time, 0, &t, &errstr) ==
		    -1 || t < since))) {
			fields_free(&f);
			continue;
		}
		if (json)
			fprintf(out, "%s\n", line);
		else
			fprintf(out, "%s %s %d %s%s%s: %s\n", f.time, f.severity,
			    (int)f.id, f.connector != NULL && *f.connector ?
			    f.connector : "-", f.dn != NULL && *f.dn ? " " : "",
			    f.dn != NULL ? f.dn : "",
			    f.text != NULL ? f.text : "");
		fields_free(&f);
	}
	fclose(fp);
	return 0;
}
