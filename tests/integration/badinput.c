/* The bad-input corpus runner shared by the three suites (badinput.h). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "badinput.h"
#include "util.h"

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	cr_assert_not_null(d);
	return d;
}

static char *
xfmt(const char *fmt, ...) __attribute__((__format__(printf, 1, 2)));

static char *
xfmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	cr_assert(vasprintf(&s, fmt, ap) != -1);
	va_end(ap);
	return s;
}

/* Appends to a growing string. */
static void
cat(char **s, const char *fmt, ...) __attribute__((__format__(printf, 2, 3)));

static void
cat(char **s, const char *fmt, ...)
{
	va_list ap;
	char *add, *n;

	va_start(ap, fmt);
	cr_assert(vasprintf(&add, fmt, ap) != -1);
	va_end(ap);
	n = xfmt("%s%s", *s != NULL ? *s : "", add);
	free(add);
	free(*s);
	*s = n;
}

static char *
slurp(const char *path, long off, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	size_t len = 0, cap = 4096, n;
	char *buf;

	if (fp == NULL)
		return NULL;
	if (off > 0)
		fseek(fp, off, SEEK_SET);
	buf = malloc(cap);
	cr_assert_not_null(buf);
	while ((n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
		len += n;
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	buf[len] = '\0';
	fclose(fp);
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/* ---- LDIF, normalized ---- */

struct ldif {
	char	**dn;		/* "dn: ..." line, as printed */
	char	**ent;		/* the entry: dn line, then sorted lines */
	size_t	 n;
};

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
b64v(int c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/", *p;

	return c != '\0' && (p = strchr(a, c)) != NULL ? (int)(p - a) : -1;
}

/*
 * "name:: base64" as "name: text" when the text reads as one line (UTF-8
 * with no control characters and no blank at either end), so that
 * expectations can be written as text; NULL otherwise.
 */
static char *
unbase64_line(const char *line)
{
	const char *sep = strstr(line, ":: "), *p;
	size_t nlen, vlen;
	unsigned acc = 0;
	int bits = 0, v;
	char *out, *val;

	if (sep == NULL || strchr(line, ':') != sep)
		return NULL;
	nlen = (size_t)(sep - line);
	out = malloc(strlen(line) + 3);
	cr_assert_not_null(out);
	memcpy(out, line, nlen);
	memcpy(out + nlen, ": ", 2);
	val = out + nlen + 2;
	vlen = 0;
	for (p = sep + 3; *p != '\0' && *p != '='; p++) {
		if ((v = b64v(*p)) < 0)
			goto no;
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			val[vlen++] = (char)((acc >> bits) & 0xff);
		}
	}
	val[vlen] = '\0';
	if (vlen == 0 || val[0] == ' ' || val[vlen - 1] == ' ' ||
	    strlen(val) != vlen || !gw_utf8_valid(val, vlen))
		goto no;
	for (p = val; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			goto no;
	return out;
no:
	free(out);
	return NULL;
}

static void
ldif_push(struct ldif *l, char **lines, size_t nl)
{
	size_t i, d = nl;
	char *e = NULL, **dec;

	/* base64 values that are plain text are compared as text */
	dec = calloc(nl + 1, sizeof(*dec));
	cr_assert_not_null(dec);
	for (i = 0; i < nl; i++)
		if ((dec[i] = unbase64_line(lines[i])) != NULL)
			lines[i] = dec[i];
	for (i = 0; i < nl; i++)
		if (strncmp(lines[i], "dn:", 3) == 0)
			d = i;
	cr_assert(d < nl, "LDIF entry without dn: %s", nl > 0 ? lines[0] : "");
	l->dn = realloc(l->dn, (l->n + 1) * sizeof(*l->dn));
	l->ent = realloc(l->ent, (l->n + 1) * sizeof(*l->ent));
	cr_assert(l->dn != NULL && l->ent != NULL);
	l->dn[l->n] = xstrdup(lines[d]);
	cat(&e, "%s\n", lines[d]);
	lines[d] = lines[--nl];
	qsort(lines, nl, sizeof(*lines), str_cmp);
	for (i = 0; i < nl; i++)
		cat(&e, "%s\n", lines[i]);
	l->ent[l->n++] = e;
	for (i = 0; i < nl + 1; i++)
		free(dec[i]);
	free(dec);
}

/* Entries of LDIF text (blank-line separated; '#' lines skipped). */
static void
ldif_parse(const char *text, struct ldif *l)
{
	char *copy = xstrdup(text != NULL ? text : ""), *p, *nl;
	char **lines = NULL;
	size_t n = 0;

	memset(l, 0, sizeof(*l));
	for (p = copy; p != NULL; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (*p == '#')
			continue;
		if (*p == '\0') {
			if (n > 0)
				ldif_push(l, lines, n);
			n = 0;
			continue;
		}
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		cr_assert_not_null(lines);
		lines[n++] = p;
	}
	if (n > 0)
		ldif_push(l, lines, n);
	free(lines);
	free(copy);
}

static void
ldif_release(struct ldif *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->dn[i]);
		free(l->ent[i]);
	}
	free(l->dn);
	free(l->ent);
	memset(l, 0, sizeof(*l));
}

static long
ldif_find(const struct ldif *l, const char *dnline)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->dn[i], dnline) == 0)
			return (long)i;
	return -1;
}

static void
ldif_remove(struct ldif *l, size_t i)
{
	free(l->dn[i]);
	free(l->ent[i]);
	l->dn[i] = l->dn[l->n - 1];
	l->ent[i] = l->ent[l->n - 1];
	l->n--;
}

static int
ent_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* The entries as one text, sorted by DN. */
static char *
ldif_text(struct ldif *l)
{
	char **v = calloc(l->n + 1, sizeof(*v)), *s = xstrdup("");
	size_t i;

	cr_assert_not_null(v);
	for (i = 0; i < l->n; i++)
		v[i] = l->ent[i];
	qsort(v, l->n, sizeof(*v), ent_cmp);
	for (i = 0; i < l->n; i++)
		cat(&s, "%s%s", i > 0 ? "\n" : "", v[i]);
	free(v);
	return s;
}

/* ---- the suite ---- */

void
bi_start(struct bi_suite *s, const char *connector, const char *const *bases)
{
	memset(s, 0, sizeof(*s));
	s->connector = connector;
	s->bases = bases;
	env_start(&s->env, NULL, "--dbnosync");
}

void
bi_stop(struct bi_suite *s)
{
	env_stop(&s->env);
	free(s->containers);
	free(s->report);
	s->containers = s->report = NULL;
}

static char *
gal_dump(const struct bi_suite *s, const char *scope)
{
	char *cmd = xstrdup("true"), *all;
	struct out o;
	size_t i;

	/* one shell for every base; an empty line between their entries */
	for (i = 0; s->bases[i] != NULL; i++)
		cat(&cmd, " && ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL "
		    "-H '%s' -s %s -b '%s' '(objectClass=*)' && echo", s->env.uri,
		    scope, s->bases[i]);
	o = run("%s", cmd);
	cr_assert_eq(o.status, 0, "ldapsearch: %s", o.text);
	all = xstrdup(o.text);
	out_free(&o);
	free(cmd);
	return all;
}

void
bi_containers(struct bi_suite *s)
{
	free(s->containers);
	s->containers = gal_dump(s, "base");
	free(env_file(&s->env, "containers.ldif", s->containers));
}

char **
bi_list(const struct bi_suite *s, size_t *n)
{
	const char *only = getenv("GALGATE_BADINPUT_CASE");
	char dir[512], **v = NULL;
	struct dirent *d;
	size_t len;
	DIR *dp;

	snprintf(dir, sizeof(dir), GALGATE_SOURCE_DIR "/tests/data/%s/bad",
	    s->connector);
	dp = opendir(dir);
	cr_assert_not_null(dp, "%s: %s", dir, strerror(errno));
	*n = 0;
	while ((d = readdir(dp)) != NULL) {
		len = strlen(d->d_name);
		if (len <= 7 || strcmp(d->d_name + len - 7, ".expect") != 0)
			continue;
		if (only != NULL && *only != '\0' &&
		    (strncmp(d->d_name, only, len - 7) != 0 ||
		    strlen(only) != len - 7))
			continue;
		v = realloc(v, (*n + 1) * sizeof(*v));
		cr_assert_not_null(v);
		v[(*n)++] = strndup(d->d_name, len - 7);
	}
	closedir(dp);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), str_cmp);
	return v;
}

char **
bi_files(const char *dir, size_t *n)
{
	struct dirent *d;
	char **v = NULL;
	DIR *dp;

	*n = 0;
	if ((dp = opendir(dir)) == NULL)
		return NULL;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		v = realloc(v, (*n + 1) * sizeof(*v));
		cr_assert_not_null(v);
		v[(*n)++] = strdup(d->d_name);
	}
	closedir(dp);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), str_cmp);
	return v;
}

void
bi_files_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
bi_fail(struct bi_case *c, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	cr_assert(vasprintf(&m, fmt, ap) != -1);
	va_end(ap);
	cat(&c->fail, "  %s\n", m);
	free(m);
}

int
bi_load(struct bi_suite *s, struct bi_case *c, const char *name)
{
	char path[512], *text, *p, *nl, *colon, *v, *e;
	int in_gal = 0;

	memset(c, 0, sizeof(*c));
	c->out.status = -1;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->dir, sizeof(c->dir), "%s/%s", s->env.dir, name);
	snprintf(path, sizeof(path), GALGATE_SOURCE_DIR
	    "/tests/data/%s/bad/%s.expect", s->connector, name);
	if ((text = slurp(path, 0, NULL)) == NULL) {
		bi_fail(c, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (p = text; p != NULL; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (in_gal) {
			if (strncmp(p, "gone:", 5) == 0) {
				c->gone = realloc(c->gone, (c->ngone + 1) *
				    sizeof(*c->gone));
				cr_assert_not_null(c->gone);
				v = p + 5;
				while (*v == ' ')
					v++;
				c->gone[c->ngone++] = xfmt("dn: %s", v);
			} else
				cat(&c->gal_ldif, "%s\n", p);
			continue;
		}
		if (*p == '#' || *p == '\0')
			continue;
		if (strcmp(p, "gal:") == 0) {
			in_gal = c->gal_given = 1;
			continue;
		}
		if ((colon = strchr(p, ':')) == NULL) {
			bi_fail(c, "%s: '%s' is not 'key: value'", path, p);
			continue;
		}
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		for (e = v + strlen(v); e > v && (e[-1] == ' ' ||
		    e[-1] == '\t' || e[-1] == '\r'); e--)
			;
		*e = '\0';
		if (strcmp(p, "gal") == 0) {
			if (strcmp(v, "unchanged") != 0)
				bi_fail(c, "%s: gal: is 'unchanged' or an LDIF "
				    "block", path);
			c->gal_given = c->gal_unchanged = 1;
			continue;
		}
		c->kv = realloc(c->kv, (c->nkv + 1) * sizeof(*c->kv));
		cr_assert_not_null(c->kv);
		c->kv[c->nkv].key = xstrdup(p);
		c->kv[c->nkv].val = xstrdup(v);
		c->kv[c->nkv].used = 0;
		c->nkv++;
	}
	free(text);
	if (bi_get(c, "what") == NULL)
		bi_fail(c, "%s: no 'what:'", path);
	if (bi_get(c, "exit") == NULL)
		bi_fail(c, "%s: no 'exit:'", path);
	if (bi_get(c, "events") == NULL)
		bi_fail(c, "%s: no 'events:'", path);
	if (!c->gal_given)
		bi_fail(c, "%s: no 'gal:'", path);
	return c->fail != NULL ? -1 : 0;
}

void
bi_case_release(struct bi_case *c)
{
	size_t i;

	for (i = 0; i < c->nkv; i++) {
		free(c->kv[i].key);
		free(c->kv[i].val);
	}
	free(c->kv);
	for (i = 0; i < c->ngone; i++)
		free(c->gone[i]);
	free(c->gone);
	free(c->gal_ldif);
	free(c->gal_before);
	free(c->fail);
	out_free(&c->out);
	memset(c, 0, sizeof(*c));
}

const char *
bi_next(struct bi_case *c, const char *key, size_t *i)
{
	for (; *i < c->nkv; (*i)++)
		if (strcmp(c->kv[*i].key, key) == 0) {
			c->kv[*i].used = 1;
			return c->kv[(*i)++].val;
		}
	return NULL;
}

const char *
bi_get(struct bi_case *c, const char *key)
{
	size_t i = 0;

	return bi_next(c, key, &i);
}

int
bi_mkdirs(const struct bi_case *c, ...)
{
	char path[1024], *p;
	const char *d;
	va_list ap;
	int rc = 0;

	va_start(ap, c);
	while (rc == 0 && (d = va_arg(ap, const char *)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", c->dir, d);
		for (p = path + strlen(c->dir) + 1;; p++) {
			char ch = *p;

			if (ch != '/' && ch != '\0')
				continue;
			*p = '\0';
			if (mkdir(path, 0755) == -1 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*p = ch;
			if (ch == '\0')
				break;
		}
	}
	va_end(ap);
	return rc;
}

size_t
bi_count_files(const struct bi_case *c, const char *dir)
{
	char path[1024];
	struct dirent *d;
	size_t n = 0;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/%s", c->dir, dir);
	if ((dp = opendir(path)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

void
bi_prepare(struct bi_suite *s, struct bi_case *c)
{
	char *path, *dels = xstrdup("");
	struct out o;
	size_t i;

	/* a fresh directory per case: the names in a suite are unique */
	cr_assert(mkdir(c->dir, 0755) == 0 || errno == EEXIST, "%s: %s",
	    c->dir, strerror(errno));
	cr_assert_eq(bi_mkdirs(c, "state", NULL), 0);
	for (i = 0; s->bases[i] != NULL; i++)
		cat(&dels, " '%s'", s->bases[i]);
	path = xfmt("%s/containers.ldif", s->env.dir);
	/* the containers go with everything in them and come back empty */
	o = run("ldapdelete -Q -r -Y EXTERNAL -H '%s'%s && ldapadd -Q -Y "
	    "EXTERNAL -H '%s' -f '%s' >/dev/null", s->env.uri, dels,
	    s->env.uri, path);
	cr_assert_eq(o.status, 0, "resetting the containers: %s", o.text);
	out_free(&o);
	free(path);
	free(dels);
}

char *
bi_write_conf(struct bi_suite *s, struct bi_case *c, const char *section)
{
	const char *v;
	char *text, *name;
	size_t i = 0;

	text = xfmt("[gal]\nsuffix = " SUFFIX "\norganization = Contoso\n"
	    "site = HQ\nuri = %s\nstate_dir = %s/state\n\n%s", s->env.uri,
	    c->dir, section);
	while ((v = bi_next(c, "conf", &i)) != NULL)
		cat(&text, "%s\n", v);
	(void)mkdir(c->dir, 0755);
	name = xfmt("%s/galgate.conf", c->name);
	free(env_file(&s->env, name, text));
	free(name);
	free(text);
	return xfmt("%s/galgate.conf", c->dir);
}

struct out
bi_galgate(struct bi_case *c, const char *env, const char *args)
{
	return run("%s %s -c %s/galgate.conf %s", env, GALGATE_BINARY, c->dir,
	    args);
}

void
bi_mark(struct bi_suite *s, struct bi_case *c)
{
	struct stat st;
	struct ldif l;
	char path[512], *dump;

	dump = gal_dump(s, "sub");
	ldif_parse(dump, &l);
	free(dump);
	free(c->gal_before);
	c->gal_before = ldif_text(&l);
	ldif_release(&l);
	snprintf(path, sizeof(path), "%s/state/events.jsonl", c->dir);
	c->events_off = stat(path, &st) == 0 ? (long)st.st_size : 0;
}

int
bi_copy(const char *src, const char *dst)
{
	size_t len;
	char *data = slurp(src, 0, &len);
	FILE *fp;

	if (data == NULL)
		return -1;
	fp = fopen(dst, "wb");
	cr_assert_not_null(fp, "%s: %s", dst, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, fp), len);
	fclose(fp);
	free(data);
	return 0;
}

/* ---- checks ---- */

static char *
replace_all(const char *text, const char *what, const char *with)
{
	size_t wl = strlen(what);
	const char *p = text, *q;
	char *out = xstrdup("");

	while ((q = strstr(p, what)) != NULL) {
		cat(&out, "%.*s%s", (int)(q - p), p, with);
		p = q + wl;
	}
	cat(&out, "%s", p);
	return out;
}

char *
bi_strip(const struct bi_case *c, const char *text)
{
	static const char *const sub[] = { "export/", "import/", "" };
	char *t = xstrdup(text), *n, *what;
	size_t i;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		what = xfmt("%s/%s", c->dir, sub[i]);
		n = replace_all(t, what, "");
		free(what);
		free(t);
		t = n;
	}
	return t;
}

/* Does text hold line as one of its lines? */
static int
has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' ||
		    p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/* A JSON string value at p (after the opening quote), unescaped. */
static char *
json_string(const char *p)
{
	char *s = xstrdup("");
	unsigned cp;

	for (; *p != '\0' && *p != '"'; p++) {
		if (*p != '\\') {
			cat(&s, "%c", *p);
			continue;
		}
		switch (*++p) {
		case 'n':
			cat(&s, "\n");
			break;
		case 't':
			cat(&s, "\t");
			break;
		case 'r':
			cat(&s, "\r");
			break;
		case 'u':
			if (sscanf(p + 1, "%4x", &cp) != 1)
				return s;
			p += 4;
			if (cp < 0x80)
				cat(&s, "%c", cp);
			else if (cp < 0x800)
				cat(&s, "%c%c", 0xc0 | (cp >> 6),
				    0x80 | (cp & 0x3f));
			else
				cat(&s, "%c%c%c", 0xe0 | (cp >> 12),
				    0x80 | ((cp >> 6) & 0x3f),
				    0x80 | (cp & 0x3f));
			break;
		case '\0':
			return s;
		default:
			cat(&s, "%c", *p);
		}
	}
	return s;
}

struct event {
	int	 id;
	char	*text;
};

static struct event *
read_events(const struct bi_case *c, size_t *n)
{
	struct event *ev = NULL;
	char path[512], *all, *p, *nl, *q, *t;

	*n = 0;
	snprintf(path, sizeof(path), "%s/state/events.jsonl", c->dir);
	if ((all = slurp(path, c->events_off, NULL)) == NULL)
		return NULL;
	for (p = all; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		else
			*nl = '\0';
		ev = realloc(ev, (*n + 1) * sizeof(*ev));
		cr_assert_not_null(ev);
		q = strstr(p, "\"event_id\":");
		ev[*n].id = q != NULL ? atoi(q + 11) : -1;
		q = strstr(p, "\"text\":\"");
		t = json_string(q != NULL ? q + 8 : "");
		ev[*n].text = bi_strip(c, t);
		free(t);
		(*n)++;
	}
	free(all);
	return ev;
}

static void
check_events(struct bi_case *c)
{
	struct event *ev;
	const char *want, *sp;
	char *ids = xstrdup(""), *all = xstrdup("");
	size_t n, i, k = 0;
	int id;

	ev = read_events(c, &n);
	for (i = 0; i < n; i++) {
		cat(&ids, "%s%d", i > 0 ? " " : "", ev[i].id);
		cat(&all, "    event: %d %s\n", ev[i].id, ev[i].text);
	}
	want = bi_get(c, "events");
	if (want != NULL && strcmp(want, ids) != 0)
		bi_fail(c, "events: expected '%s', got '%s'", want, ids);
	while ((want = bi_next(c, "event", &k)) != NULL) {
		id = atoi(want);
		sp = strchr(want, ' ');
		for (i = 0; i < n; i++)
			if (ev[i].id == id && sp != NULL &&
			    strcmp(ev[i].text, sp + 1) == 0)
				break;
		if (i == n)
			bi_fail(c, "no event '%s'; the cycle logged:\n%s", want,
			    all);
	}
	for (i = 0; i < n; i++)
		free(ev[i].text);
	free(ev);
	free(ids);
	free(all);
}

static void
check_gal(struct bi_suite *s, struct bi_case *c)
{
	struct ldif want, got, add;
	char *dump, *wt, *gt;
	size_t i;
	long k;

	dump = gal_dump(s, "sub");
	ldif_parse(dump, &got);
	free(dump);
	ldif_parse(c->gal_before, &want);
	ldif_parse(c->gal_unchanged ? "" : c->gal_ldif, &add);
	for (i = 0; i < c->ngone; i++) {
		if ((k = ldif_find(&want, c->gone[i])) == -1)
			bi_fail(c, "gone: %s was not there after the baseline",
			    c->gone[i] + 4);
		else
			ldif_remove(&want, (size_t)k);
	}
	for (i = 0; i < add.n; i++) {
		if ((k = ldif_find(&want, add.dn[i])) != -1)
			ldif_remove(&want, (size_t)k);
		want.dn = realloc(want.dn, (want.n + 1) * sizeof(*want.dn));
		want.ent = realloc(want.ent, (want.n + 1) * sizeof(*want.ent));
		cr_assert(want.dn != NULL && want.ent != NULL);
		want.dn[want.n] = xstrdup(add.dn[i]);
		want.ent[want.n++] = xstrdup(add.ent[i]);
	}
	wt = ldif_text(&want);
	gt = ldif_text(&got);
	if (strcmp(wt, gt) != 0) {
		char *diff = xstrdup("");

		/* what differs, in the expectation's own form */
		for (i = 0; i < got.n; i++) {
			k = ldif_find(&want, got.dn[i]);
			if (k == -1 || strcmp(want.ent[k], got.ent[i]) != 0)
				cat(&diff, "%s\n", got.ent[i]);
		}
		for (i = 0; i < want.n; i++)
			if (ldif_find(&got, want.dn[i]) == -1)
				cat(&diff, "gone: %s\n", want.dn[i] + 4);
		bi_fail(c, "the GAL differs from the expectation; what differs "
		    "from it (entries as they are, and entries missing):\n"
		    "gal:\n%s", diff);
		free(diff);
	}
	free(wt);
	free(gt);
	ldif_release(&want);
	ldif_release(&got);
	ldif_release(&add);
}

void
bi_check(struct bi_suite *s, struct bi_case *c)
{
	const char *v;
	char *text;
	size_t i = 0;
	struct out st;

	v = bi_get(c, "exit");
	if (v != NULL && atoi(v) != c->out.status)
		bi_fail(c, "exit: expected %s, got %d", v, c->out.status);
	text = bi_strip(c, c->out.text != NULL ? c->out.text : "");
	while ((v = bi_next(c, "output", &i)) != NULL)
		if (!has_line(text, v))
			bi_fail(c, "no output line '%s'", v);
	if (c->fail != NULL)
		cat(&c->fail, "  the output was:\n%s", text);
	free(text);
	check_events(c);
	i = 0;
	if ((v = bi_next(c, "status", &i)) != NULL) {
		char *flat = xstrdup(""), *p, *nl;

		/* its lines without their indentation */
		st = bi_galgate(c, "", "status");
		for (p = st.text; p != NULL && *p != '\0'; p = nl) {
			p += strspn(p, " ");
			if ((nl = strchr(p, '\n')) != NULL) {
				cat(&flat, "%.*s\n", (int)(nl - p), p);
				nl++;
			} else
				cat(&flat, "%s\n", p);
		}
		do {
			if (!has_line(flat, v))
				bi_fail(c, "status lacks '%s':\n%s", v, flat);
		} while ((v = bi_next(c, "status", &i)) != NULL);
		free(flat);
		out_free(&st);
	}
	if (c->gal_given)
		check_gal(s, c);
	for (i = 0; i < c->nkv; i++)
		if (!c->kv[i].used)
			bi_fail(c, "unknown key '%s'", c->kv[i].key);
}

void
bi_done(struct bi_suite *s, struct bi_case *c)
{
	s->ncases++;
	if (c->fail == NULL)
		return;
	s->nfailed++;
	cat(&s->report, "%s/bad/%s:\n%s", s->connector, c->name, c->fail);
}

void
bi_finish(struct bi_suite *s)
{
	cr_log_info("badinput_%s: %zu cases, %zu failed", s->connector,
	    s->ncases, s->nfailed);
	cr_assert(s->ncases > 0, "no cases in tests/data/%s/bad",
	    s->connector);
	cr_assert_eq(s->nfailed, 0, "%zu of %zu cases failed:\n%s",
	    s->nfailed, s->ncases, s->report != NULL ? s->report : "");
}
