/*
 * Connectors translate foreign records to recipients and back; the
 * recipient module (gateway/sync/recipient.c) alone maps them to LDAP.  This
 * counts where connector code still names an LDAP attribute: a string
 * literal that is an attribute type name of the schemas galgate loads
 * (core, cosine, inetorgperson, galgate; exact spelling), or a filter
 * "(name=" on one.  The IOSYNC-1 reader and writer are exempt: their
 * keywords are those names.  None is left: ATTR_NAMES_LEFT stays 0.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#define ATTR_NAMES_LEFT	0

static const char *const exempt[] = {
	"interorg/iosync.c", "interorg/iosync.h", "interorg/iosync_parse.c",
	"interorg/iosync_write.c", NULL
};

struct names {
	char	**v;
	size_t	  n;
};

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *s;
	long len;

	cr_assert_not_null(fp, "%s", path);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	s = malloc((size_t)len + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)len, fp), (size_t)len);
	s[len] = '\0';
	fclose(fp);
	return s;
}

static void
names_add(struct names *ns, const char *p, size_t len)
{
	/* "name" is the abstract supertype: no entry holds it */
	if (len == 4 && strncmp(p, "name", 4) == 0)
		return;
	ns->v = realloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	cr_assert_not_null(ns->v);
	ns->v[ns->n] = strndup(p, len);
	ns->n++;
}

/* Every NAME of every attributetype in a slapd.conf schema file. */
static void
schema_names(const char *path, struct names *ns)
{
	char *text = slurp(path), *p = text, *q, *end;

	while ((p = strstr(p, "attributetype")) != NULL) {
		p += 13;
		if ((q = strstr(p, "NAME")) == NULL)
			break;
		q += 4;
		while (isspace((unsigned char)*q))
			q++;
		end = *q == '(' ? strchr(q, ')') : strchr(q + 1, '\'');
		cr_assert_not_null(end, "%s: unterminated NAME", path);
		if (*q != '(')
			end++;
		for (; q < end; q++) {
			char *close;

			if (*q != '\'')
				continue;
			close = strchr(q + 1, '\'');
			cr_assert_not_null(close);
			names_add(ns, q + 1, (size_t)(close - q - 1));
			q = close;
		}
		p = end;
	}
	free(text);
}

static int
is_name(const struct names *ns, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (strlen(ns->v[i]) == len && memcmp(ns->v[i], p, len) == 0)
			return 1;
	return 0;
}

/* 1 if the literal names an attribute: all of it, or "(name=" in it. */
static int
literal_names(const struct names *ns, const char *p, size_t len)
{
	const char *end = p + len, *s, *t;

	if (is_name(ns, p, len))
		return 1;
	for (s = p; s < end; s++) {
		if (*s != '(')
			continue;
		for (t = s + 1; t < end && (isalnum((unsigned char)*t) ||
		    *t == '-'); t++)
			;
		if (t < end && *t == '=' && is_name(ns, s + 1,
		    (size_t)(t - s - 1)))
			return 1;
	}
	return 0;
}

/* Counts the literals of a C file that name attributes (comments out). */
static size_t
count_file(const char *path, const struct names *ns)
{
	char *text = slurp(path), *p = text, *start;
	size_t n = 0;

	while (*p != '\0') {
		if (p[0] == '/' && p[1] == '*') {
			p = strstr(p + 2, "*/");
			cr_assert_not_null(p, "%s: unterminated comment", path);
			p += 2;
		} else if (p[0] == '/' && p[1] == '/') {
			p += strcspn(p, "\n");
		} else if (*p == '\'') {
			for (p++; *p != '\0' && *p != '\''; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p != '\0')
				p++;
		} else if (*p == '"') {
			for (start = ++p; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			n += literal_names(ns, start, (size_t)(p - start));
			if (*p != '\0')
				p++;
		} else
			p++;
	}
	free(text);
	return n;
}

Test(layering, connectors_name_no_ldap_attribute)
{
	static const char *const schemas[] = {
	    "/etc/ldap/schema/core.schema", "/etc/ldap/schema/cosine.schema",
	    "/etc/ldap/schema/inetorgperson.schema",
	    GALGATE_SOURCE_DIR "/schema/galgate.schema", NULL };
	static const char *const dirs[] = { "ccmail", "pcmail", "interorg",
	    NULL };
	struct names ns = { NULL, 0 };
	char path[1024], rel[320], report[4096] = "";
	struct dirent *d;
	size_t i, k, n, total = 0;
	DIR *dd;

	for (i = 0; schemas[i] != NULL; i++)
		schema_names(schemas[i], &ns);
	cr_assert(is_name(&ns, "cn", 2) && is_name(&ns, "mail", 4) &&
	    is_name(&ns, "galgateProxyAddress", 19), "schemas not read");
	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(path, sizeof(path), GALGATE_SOURCE_DIR "/connectors/%s",
		    dirs[i]);
		cr_assert_not_null(dd = opendir(path), "%s", path);
		while ((d = readdir(dd)) != NULL) {
			size_t len = strlen(d->d_name);

			if (len < 3 || d->d_name[len - 2] != '.' ||
			    (d->d_name[len - 1] != 'c' &&
			    d->d_name[len - 1] != 'h'))
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", dirs[i], d->d_name);
			for (k = 0; exempt[k] != NULL; k++)
				if (strcmp(exempt[k], rel) == 0)
					break;
			if (exempt[k] != NULL)
				continue;
			snprintf(path, sizeof(path), GALGATE_SOURCE_DIR
			    "/connectors/%s", rel);
			if ((n = count_file(path, &ns)) == 0)
				continue;
			total += n;
			snprintf(report + strlen(report), sizeof(report) -
			    strlen(report), " %s %zu", rel, n);
		}
		closedir(dd);
	}
	for (i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	cr_log_info("connectors name LDAP attributes %zu times:%s", total,
	    report);
	cr_assert_leq(total, ATTR_NAMES_LEFT, "connectors name LDAP attributes "
	    "%zu times, more than the %d left:%s (map them in "
	    "gateway/sync/recipient.c instead)", total, ATTR_NAMES_LEFT, report);
	cr_assert_geq(total, ATTR_NAMES_LEFT, "connectors name LDAP attributes "
	    "%zu times now: lower ATTR_NAMES_LEFT to that", total);
}
