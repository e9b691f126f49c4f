#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "deploy_helpers.h"

char *
shq(const char *s)
{
	size_t n = 3;
	const char *p;
	char *out, *o;

	for (p = s; *p != '\0'; p++)
		n += *p == '\'' ? 4 : 1;
	out = o = malloc(n);
	cr_assert_not_null(out);
	*o++ = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

void
write_file(const char *path, const char *text, int mode)
{
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp, "%s", path);
	cr_assert(fputs(text, fp) >= 0 && fclose(fp) == 0, "%s", path);
	cr_assert_eq(chmod(path, (mode_t)mode), 0, "chmod %s", path);
}

char *
read_text(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t len = 0, cap = 8192, n;
	char *s;

	if (fp == NULL)
		return NULL;
	s = malloc(cap);
	cr_assert_not_null(s);
	while ((n = fread(s + len, 1, cap - len - 1, fp)) > 0) {
		len += n;
		if (cap - len < 1024) {
			cap *= 2;
			s = realloc(s, cap);
			cr_assert_not_null(s);
		}
	}
	fclose(fp);
	s[len] = '\0';
	return s;
}

/* a growable string */
struct sb {
	char	*s;
	size_t	 len, cap;
};

static void
sb_addn(struct sb *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		cr_assert_not_null(b->s);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_add(struct sb *b, const char *p)
{
	sb_addn(b, p, strlen(p));
}

/* RFC 4515: the characters a filter value may not hold literally */
static void
sb_add_value(struct sb *b, const char *v, size_t n)
{
	char hex[4];
	size_t i;

	for (i = 0; i < n; i++) {
		if (strchr("*()\\", v[i]) != NULL) {
			snprintf(hex, sizeof(hex), "\\%02x",
			    (unsigned char)v[i]);
			sb_add(b, hex);
		} else
			sb_addn(b, v + i, 1);
	}
}

char *
client_filter(const char *tmpl, const char *typed)
{
	const char *word[16], *p, *q;
	size_t wlen[16], nw = 0, from, to, i;
	struct sb b = { NULL, 0, 0 };
	char *out, *o;

	/* the words of what was typed, split at spaces */
	for (p = typed; *p != '\0' && nw < 16;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ' '; q++)
			;
		word[nw] = p;
		wlen[nw++] = (size_t)(q - p);
		p = q;
	}
	sb_add(&b, "");
	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 's') {
			sb_add_value(&b, typed, strlen(typed));
			p++;
		} else if (p[0] == '%' && p[1] == 'v' && p[2] == '$') {
			if (nw > 0)
				sb_add_value(&b, word[nw - 1], wlen[nw - 1]);
			p += 2;
		} else if (p[0] == '%' && p[1] == 'v' && p[2] >= '1' &&
		    p[2] <= '9') {
			from = (size_t)(p[2] - '1');
			to = from;
			p += 2;
			if (p[1] == '-') {
				p++;
				if (p[1] >= '1' && p[1] <= '9') {
					to = (size_t)(p[1] - '1');
					p++;
				} else
					to = nw == 0 ? 0 : nw - 1;
			}
			for (i = from; i <= to && i < nw; i++) {
				if (i > from)
					sb_add(&b, " ");
				sb_add_value(&b, word[i], wlen[i]);
			}
		} else
			sb_addn(&b, p, 1);
	}
	/* "**": an empty substring component, which the client's encoder
	 * leaves out of the request */
	for (p = o = out = b.s; *p != '\0'; p++)
		if (!(p[0] == '*' && p[1] == '*'))
			*o++ = *p;
	*o = '\0';
	return out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of an LDIF text with continuations joined; NULL-terminated,
 * an empty string marks the end of each entry. */
static char **
ldif_lines(const char *ldif, size_t *np)
{
	struct sb cur = { NULL, 0, 0 };
	char **v = NULL;
	size_t n = 0, cap = 0;
	const char *p = ldif, *nl;

	for (;;) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (*p == ' ' && cur.s != NULL && cur.len > 0) {
			sb_addn(&cur, p + 1, (size_t)(nl - p - 1));
		} else if (*p != '#') {
			if (cur.s != NULL) {
				if (n + 2 > cap) {
					cap = cap ? cap * 2 : 256;
					v = realloc(v, cap * sizeof(*v));
					cr_assert_not_null(v);
				}
				v[n++] = cur.s;
			}
			cur.s = NULL;
			cur.len = cur.cap = 0;
			sb_addn(&cur, p, (size_t)(nl - p));
		}
		if (*nl == '\0')
			break;
		p = nl + 1;
	}
	if (cur.s != NULL) {
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof(*v));
			cr_assert_not_null(v);
		}
		v[n++] = cur.s;
	}
	if (v == NULL) {
		v = malloc(sizeof(*v));
		cr_assert_not_null(v);
	}
	v[n] = NULL;
	*np = n;
	return v;
}

char *
ldif_normalize(const char *ldif)
{
	size_t n, i, start, ne = 0;
	char **line = ldif_lines(ldif, &n), **entry = NULL;
	struct sb e, all = { NULL, 0, 0 };

	entry = malloc((n + 1) * sizeof(*entry));
	cr_assert_not_null(entry);
	for (start = 0; start < n; start = i + 1) {
		for (i = start; i < n && line[i][0] != '\0'; i++)
			;
		if (i == start)
			continue;
		qsort(line + start, i - start, sizeof(*line), cmp_str);
		memset(&e, 0, sizeof(e));
		sb_add(&e, "");
		for (size_t j = start; j < i; j++) {
			sb_add(&e, line[j]);
			sb_add(&e, "\n");
		}
		entry[ne++] = e.s;
	}
	qsort(entry, ne, sizeof(*entry), cmp_str);
	sb_add(&all, "");
	for (i = 0; i < ne; i++) {
		sb_add(&all, entry[i]);
		sb_add(&all, "\n");
		free(entry[i]);
	}
	for (i = 0; i < n; i++)
		free(line[i]);
	free(line);
	free(entry);
	return all.s;
}

char *
ldif_values(const char *ldif, const char *attr)
{
	size_t n, i, nv = 0, alen = strlen(attr);
	char **line = ldif_lines(ldif, &n), **val;
	struct sb all = { NULL, 0, 0 };
	int in_entry = 0, found = 0;

	val = malloc((n + 1) * sizeof(*val));
	cr_assert_not_null(val);
	for (i = 0; i <= n; i++) {
		if (i == n || line[i][0] == '\0') {
			if (in_entry && !found)
				val[nv++] = strdup("?");
			in_entry = found = 0;
			continue;
		}
		if (strncmp(line[i], "dn:", 3) == 0)
			in_entry = 1;
		else if (strncasecmp(line[i], attr, alen) == 0 &&
		    strncmp(line[i] + alen, ": ", 2) == 0 && !found) {
			val[nv++] = strdup(line[i] + alen + 2);
			found = 1;
		}
	}
	qsort(val, nv, sizeof(*val), cmp_str);
	sb_add(&all, "");
	for (i = 0; i < nv; i++) {
		if (i > 0)
			sb_add(&all, " ");
		sb_add(&all, val[i]);
		free(val[i]);
	}
	for (i = 0; i < n; i++)
		free(line[i]);
	free(line);
	free(val);
	return all.s;
}
