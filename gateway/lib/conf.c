#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "dn.h"
#include "schedule.h"
#include "util.h"

#define CONF_MAX_LINE	4096
#define CONF_MAX_SIZE	(1024 * 1024)

static const struct conf_key gal_keys[] = {
	{ "uri", CONF_URI, CONF_MULTI, 0, 0, NULL,
	    "LDAP server URI; repeat for failover (default: the embedded slapd)" },
	{ "bind_dn", CONF_LDAPDN, 0, 0, 0, NULL,
	    "simple bind DN (absent: SASL EXTERNAL over ldapi)" },
	{ "bind_password_file", CONF_SECRET_FILE, 0, 0, 0, NULL,
	    "file holding the bind password (owner-only)" },
	{ "suffix", CONF_LDAPDN, CONF_REQUIRED, 0, 0, NULL,
	    "LDAP suffix the Exchange DNs are mapped below" },
	{ "organization", CONF_STRING, CONF_REQUIRED, 0, 0, NULL,
	    "Exchange organization (o=)" },
	{ "site", CONF_STRING, CONF_REQUIRED, 0, 0, NULL,
	    "Exchange site (ou=)" },
	{ "state_dir", CONF_PATH, 0, 0, 0, NULL,
	    "directory for LMDB state, events, locks (default /var/lib/galgate)" },
	{ "tombstone_lifetime", CONF_DURATION, 0, 0, 0, NULL,
	    "how long journal records and deletion tombstones are kept (default 60d)" },
	{ "starttls", CONF_BOOL, 0, 0, 0, NULL,
	    "StartTLS on ldap:// URIs (default yes, no for a loopback host)" },
	{ "tls_ca_file", CONF_PATH, 0, 0, 0, NULL,
	    "CA certificates the server's certificate must chain to" },
	{ "transactions", CONF_BOOL, 0, 0, 0, NULL,
	    "group bulk adds in RFC 5805 transactions (default no)" },
	{ "audit_keep", CONF_DURATION, 0, 0, 0, NULL,
	    "how long the per-cycle audit LDIF files are kept (default 30d)" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* keys every connector section has, whatever its type */
static const struct conf_key common_keys[] = {
	{ "type", CONF_STRING, CONF_REQUIRED, 0, 0, NULL,
	    "connector type" },
	{ "schedule", CONF_SCHEDULE, CONF_MULTI, 0, 0, NULL,
	    "when the daemon runs a cycle" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const struct conf_key requestor_common_keys[] = {
	{ "connector", CONF_STRING, CONF_REQUIRED, 0, 0, NULL,
	    "the connector section this peer belongs to" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

struct problem {
	int	 line;
	int	 seq;		/* report order, for ties */
	char	*msg;
};

/* Problems are kept and printed in line order once all are known. */
struct loader {
	const char		*path;
	FILE			*errs;
	int			 errors;
	struct problem		*list;
	const struct conf_connector_types	*types;
};

static void
problem(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
problem(struct loader *ld, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->list = gw_realloc(ld->list, ((size_t)ld->errors + 1) *
	    sizeof(*ld->list));
	ld->list[ld->errors].line = line;
	ld->list[ld->errors].seq = ld->errors;
	ld->list[ld->errors].msg = gw_strdup(msg);
	ld->errors++;
}

static int
problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->line != y->line)
		return (x->line > y->line) - (x->line < y->line);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void
problems_flush(struct loader *ld)
{
	int i;

	qsort(ld->list, (size_t)ld->errors, sizeof(*ld->list), problem_cmp);
	for (i = 0; i < ld->errors; i++) {
		if (ld->errs != NULL)
			fprintf(ld->errs, "%s:%d: %s\n", ld->path,
			    ld->list[i].line, ld->list[i].msg);
		free(ld->list[i].msg);
	}
	free(ld->list);
	ld->list = NULL;
}

const char *
conf_default_path(void)
{
	const char *p = getenv("GALGATE_CONF");

	return p != NULL && *p != '\0' ? p : "/etc/galgate/galgate.conf";
}

static void
section_free(struct conf_section *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->ent[i].key);
		free(s->ent[i].value);
	}
	free(s->ent);
	free(s->name);
}

void
conf_free(struct gw_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsec; i++)
		section_free(&c->sec[i]);
	free(c->sec);
	free(c->uris);
	free(c->path);
	free(c);
}

const struct conf_entry *
conf_next(const struct conf_section *s, const char *key, size_t *i)
{
	for (; *i < s->n; (*i)++)
		if (gw_strcaseeq(s->ent[*i].key, key))
			return &s->ent[(*i)++];
	return NULL;
}

const struct conf_entry *
conf_entry(const struct conf_section *s, const char *key)
{
	size_t i = 0;

	return s == NULL ? NULL : conf_next(s, key, &i);
}

const char *
conf_get(const struct conf_section *s, const char *key, const char *def)
{
	const struct conf_entry *e = conf_entry(s, key);

	return e != NULL ? e->value : def;
}

const struct conf_section *
conf_gal(const struct gw_conf *c)
{
	size_t i;

	for (i = 0; i < c->nsec; i++)
		if (c->sec[i].kind == CONF_SEC_GAL)
			return &c->sec[i];
	return NULL;
}

const struct conf_section *
conf_connector(const struct gw_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsec; i++)
		if (c->sec[i].kind == CONF_SEC_CONNECTOR &&
		    strcmp(c->sec[i].name, name) == 0)
			return &c->sec[i];
	return NULL;
}

const struct conf_section *
conf_next_requestor(const struct gw_conf *c, const struct conf_section *con,
    const struct conf_section *prev)
{
	size_t i = prev == NULL ? 0 : (size_t)(prev - c->sec) + 1;

	for (; i < c->nsec; i++)
		if (c->sec[i].kind == CONF_SEC_REQUESTOR &&
		    c->sec[i].parent == con)
			return &c->sec[i];
	return NULL;
}

char **
conf_tokens(const char *s, size_t *n)
{
	char **v = NULL;
	const char *p = s, *start;

	*n = 0;
	for (;;) {
		while (*p != '\0' && strchr(" \t,|", *p) != NULL)
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && strchr(" \t,|", *p) == NULL)
			p++;
		v = gw_realloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = gw_strndup(start, (size_t)(p - start));
	}
	return v;
}

void
conf_tokens_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
conf_split_types(const char *s, char **dn, char **types)
{
	const char *p = s + strlen(s);

	/* the last " types=": an X.500 value holding it would be odd */
	*types = NULL;
	while (p > s) {
		p--;
		if ((*p == ' ' || *p == '\t') && gw_strncaseeq(p + 1, "types=", 6)) {
			*types = gw_strdup(p + 7);
			break;
		}
	}
	if (*types != NULL) {
		char *d = gw_strndup(s, (size_t)(p - s));

		*dn = gw_strdup(gw_trim(d));
		free(d);
	} else
		*dn = gw_strdup(s);
}

int
conf_parse_threshold(const char *s, struct gw_threshold *t,
    const char **errstr)
{
	size_t n, i;
	char **tok = conf_tokens(s, &n);
	int rc = 0;

	t->pct = 0;
	t->count = 0;
	*errstr = NULL;
	if (n == 0 || n > 2)
		goto bad;
	for (i = 0; i < n; i++) {
		size_t len = strlen(tok[i]);

		if (tok[i][len - 1] == '%') {
			tok[i][len - 1] = '\0';
			t->pct = (int)gw_strtonum(tok[i], 0, 100, errstr);
		} else
			t->count = (long)gw_strtonum(tok[i], 0, 100000000,
			    errstr);
		if (*errstr != NULL)
			goto bad;
	}
	goto done;
bad:
	*errstr = "expected 'P%', 'N' or 'P%, N' (100% switches the limit off)";
	rc = -1;
done:
	conf_tokens_free(tok, n);
	return rc;
}

int
gw_threshold_exceeded(const struct gw_threshold *t, size_t ndel,
    size_t ntotal, long allow_deletes)
{
	double limit;

	if (t->pct >= 100)
		return 0;
	limit = (double)ntotal * t->pct / 100.0;
	if ((double)t->count > limit)
		limit = (double)t->count;
	if (allow_deletes > 0 && (double)allow_deletes > limit)
		limit = (double)allow_deletes;
	return (double)ndel > limit;
}

static int
check_secret_file(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, len, "%s: readable by other users (mode %03o); "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

static int
enum_has(const char *set, const char *v)
{
	const char *p = set, *bar;
	size_t len;

	for (;;) {
		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (strlen(v) == len && gw_strncaseeq(p, v, len))
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

static void
check_value(struct loader *ld, const struct conf_key *k,
    const struct conf_entry *e)
{
	const char *v = e->value, *errstr = NULL;
	struct gw_err err;
	struct gw_dn dn;
	struct gw_threshold th;
	struct gw_schedule sched;
	char why[512];
	uint64_t sz;
	int64_t dur;
	int b;
	size_t n, i;
	char **tok, *dnpart, *types;

	gw_err_init(&err);
	gw_dn_init(&dn);
	if (*v == '\0' && k->type != CONF_LDAPDN && k->type != CONF_STRING) {
		problem(ld, e->line, "%s: empty value", e->key);
		return;
	}
	switch (k->type) {
	case CONF_STRING:
	case CONF_PATH:
		if (!gw_utf8_valid(v, strlen(v)))
			problem(ld, e->line, "%s: not valid UTF-8", e->key);
		break;
	case CONF_INT:
		(void)gw_strtonum(v, k->min, k->max, &errstr);
		if (errstr != NULL)
			problem(ld, e->line, "%s: '%s' is %s (expected an "
			    "integer from %lld to %lld)", e->key, v, errstr,
			    k->min, k->max);
		break;
	case CONF_BOOL:
		if (gw_parse_bool(v, &b, &errstr) == -1)
			problem(ld, e->line, "%s: '%s' is not yes or no",
			    e->key, v);
		break;
	case CONF_SIZE:
		if (gw_parse_size(v, &sz, &errstr) == -1)
			problem(ld, e->line, "%s: '%s' is not a size (N, NK, "
			    "NM)", e->key, v);
		break;
	case CONF_DURATION:
		if (gw_parse_duration(v, &dur, &errstr) == -1)
			problem(ld, e->line, "%s: '%s' is not a duration (Ns, "
			    "Nm, Nh, Nd)", e->key, v);
		break;
	case CONF_ENUM:
		if (!enum_has(k->enums, v))
			problem(ld, e->line, "%s: '%s' is not one of %s",
			    e->key, v, k->enums);
		break;
	case CONF_TOKENS:
		tok = conf_tokens(v, &n);
		for (i = 0; k->enums != NULL && i < n; i++)
			if (!enum_has(k->enums, tok[i]))
				problem(ld, e->line, "%s: '%s' is not one of %s",
				    e->key, tok[i], k->enums);
		conf_tokens_free(tok, n);
		break;
	case CONF_X500:
		if (gw_dn_parse_x500(v, &dn, &err) == -1)
			problem(ld, e->line, "%s: %s", e->key, err.msg);
		break;
	case CONF_X500_TYPES:
		conf_split_types(v, &dnpart, &types);
		if (gw_dn_parse_x500(dnpart, &dn, &err) == -1)
			problem(ld, e->line, "%s: %s", e->key, err.msg);
		if (types != NULL) {
			tok = conf_tokens(types, &n);
			if (n == 0)
				problem(ld, e->line, "%s: empty types=", e->key);
			for (i = 0; i < n; i++)
				if (k->enums != NULL &&
				    !enum_has(k->enums, tok[i]))
					problem(ld, e->line, "%s: type '%s' is "
					    "not one of %s", e->key, tok[i],
					    k->enums);
			conf_tokens_free(tok, n);
		}
		free(dnpart);
		free(types);
		break;
	case CONF_LDAPDN:
		if (gw_dn_parse_ldap(v, NULL, &dn, &err) == -1)
			problem(ld, e->line, "%s: %s", e->key, err.msg);
		break;
	case CONF_URI:
		if (strncmp(v, "ldap://", 7) != 0 &&
		    strncmp(v, "ldaps://", 8) != 0 &&
		    strncmp(v, "ldapi://", 8) != 0)
			problem(ld, e->line, "%s: '%s' is not an ldap://, "
			    "ldaps:// or ldapi:// URI", e->key, v);
		break;
	case CONF_SECRET_FILE:
		if (check_secret_file(v, why, sizeof(why)) == -1)
			problem(ld, e->line, "%s: %s", e->key, why);
		break;
	case CONF_ADDRESS:
		if (strchr(v, '@') == NULL || strchr(v, ' ') != NULL ||
		    v[0] == '@' || v[strlen(v) - 1] == '@')
			problem(ld, e->line, "%s: '%s' is not an e-mail "
			    "address", e->key, v);
		break;
	case CONF_THRESHOLD:
		if (conf_parse_threshold(v, &th, &errstr) == -1)
			problem(ld, e->line, "%s: '%s': %s", e->key, v, errstr);
		break;
	case CONF_SCHEDULE:
		memset(&sched, 0, sizeof(sched));
		if (gw_schedule_parse(v, &sched, &errstr) == -1)
			problem(ld, e->line, "%s: '%s': %s", e->key, v, errstr);
		break;
	}
	gw_dn_release(&dn);
}

static const struct conf_key *
key_find(const struct conf_key *tab, const char *name)
{
	for (; tab != NULL && tab->name != NULL; tab++)
		if (gw_strcaseeq(tab->name, name))
			return tab;
	return NULL;
}

/* Checks every entry of s against the tables (NULL-terminated list). */
static void
check_section(struct loader *ld, const struct conf_section *s,
    const struct conf_key *const *tabs, const char *what)
{
	const struct conf_key *k;
	size_t i, j, t;

	for (i = 0; i < s->n; i++) {
		const struct conf_entry *e = &s->ent[i];

		k = NULL;
		for (t = 0; tabs[t] != NULL && k == NULL; t++)
			k = key_find(tabs[t], e->key);
		if (k == NULL) {
			problem(ld, e->line, "unknown key '%s' in %s", e->key,
			    what);
			continue;
		}
		if (!(k->flags & CONF_MULTI)) {
			for (j = 0; j < i; j++)
				if (gw_strcaseeq(s->ent[j].key, e->key))
					break;
			if (j < i) {
				problem(ld, e->line, "'%s' given twice (first "
				    "at line %d)", e->key, s->ent[j].line);
				continue;
			}
		}
		check_value(ld, k, e);
	}
	for (t = 0; tabs[t] != NULL; t++)
		for (k = tabs[t]; k->name != NULL; k++)
			if ((k->flags & CONF_REQUIRED) &&
			    conf_entry(s, k->name) == NULL)
				problem(ld, s->line, "%s lacks the required "
				    "key '%s'", what, k->name);
}

static struct conf_section *
add_section(struct gw_conf *c, enum conf_kind kind, const char *name, int line)
{
	struct conf_section *s;

	c->sec = gw_realloc(c->sec, (c->nsec + 1) * sizeof(*c->sec));
	s = &c->sec[c->nsec++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->name = name != NULL ? gw_strdup(name) : NULL;
	s->line = line;
	return s;
}

static void
add_entry(struct conf_section *s, const char *key, const char *value, int line)
{
	s->ent = gw_realloc(s->ent, (s->n + 1) * sizeof(*s->ent));
	s->ent[s->n].key = gw_strdup(key);
	s->ent[s->n].value = gw_strdup(value);
	s->ent[s->n].line = line;
	s->n++;
}

/*
 * Reads one line into line (CONF_MAX_LINE bytes and a NUL) without its
 * LF.  Returns its length, which may exceed what was kept, or -1 at the
 * end of the file; *nul says whether it held a NUL byte, which fgets
 * would have hidden by cutting the value short there.
 */
static long
read_line(FILE *fp, char *line, size_t *total, int *nul)
{
	size_t n = 0;
	int c;

	*nul = 0;
	while ((c = getc_unlocked(fp)) != EOF && c != '\n') {
		if (++*total > CONF_MAX_SIZE)
			return (long)n;
		if (c == '\0')
			*nul = 1;
		if (n < CONF_MAX_LINE)
			line[n] = (char)c;
		n++;
	}
	if (c == EOF && n == 0)
		return -1;
	if (c == '\n')
		++*total;
	line[n < CONF_MAX_LINE ? n : CONF_MAX_LINE] = '\0';
	return (long)n;
}

/* Reads the file into sections; syntax problems are reported. */
static int
parse_file(struct loader *ld, struct gw_conf *c, FILE *fp)
{
	char line[CONF_MAX_LINE + 1], *p, *eq, *end;
	struct conf_section *cur = NULL;
	int lineno = 0, nul;
	size_t total = 0;
	long len;

	while ((len = read_line(fp, line, &total, &nul)) != -1) {
		if (total > CONF_MAX_SIZE) {
			problem(ld, lineno + 1, "file larger than %d bytes",
			    CONF_MAX_SIZE);
			return -1;
		}
		lineno++;
		if (len > CONF_MAX_LINE) {
			problem(ld, lineno, "line longer than %d bytes",
			    CONF_MAX_LINE);
			continue;
		}
		if (nul) {
			problem(ld, lineno, "NUL byte in line");
			continue;
		}
		p = gw_trim(line);
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		/*
		 * A CR left inside a value (the one before LF is trimmed)
		 * would end up in file headers and messages galgate writes.
		 */
		for (end = p; *end != '\0'; end++)
			if (((unsigned char)*end < 0x20 && *end != '\t') ||
			    *end == 0x7f)
				break;
		if (*end != '\0') {
			problem(ld, lineno, "control character (byte 0x%02x) "
			    "in line", (unsigned char)*end);
			continue;
		}
		if (!gw_utf8_valid(p, strlen(p))) {
			problem(ld, lineno, "not valid UTF-8");
			continue;
		}
		if (*p == '[') {
			end = strchr(p, ']');
			if (end == NULL || *gw_trim(end + 1) != '\0') {
				problem(ld, lineno, "bad section header");
				cur = NULL;
				continue;
			}
			*end = '\0';
			p = gw_trim(p + 1);
			if (gw_strcaseeq(p, "gal")) {
				if (conf_gal(c) != NULL) {
					problem(ld, lineno, "[gal] given twice");
					cur = NULL;
					continue;
				}
				cur = add_section(c, CONF_SEC_GAL, NULL, lineno);
				continue;
			}
			eq = p;
			while (*eq != '\0' && *eq != ' ' && *eq != '\t')
				eq++;
			if (*eq == '\0') {
				problem(ld, lineno, "section [%s] needs a name "
				    "([connector NAME] or [requestor NAME])", p);
				cur = NULL;
				continue;
			}
			*eq++ = '\0';
			eq = gw_trim(eq);
			if (gw_strcaseeq(p, "connector")) {
				if (conf_connector(c, eq) != NULL) {
					problem(ld, lineno, "connector '%s' "
					    "defined twice", eq);
					cur = NULL;
					continue;
				}
				if (strchr(eq, '/') != NULL ||
				    strchr(eq, ' ') != NULL) {
					problem(ld, lineno, "connector name "
					    "'%s' may not hold '/' or spaces", eq);
					cur = NULL;
					continue;
				}
				cur = add_section(c, CONF_SEC_CONNECTOR, eq,
				    lineno);
			} else if (gw_strcaseeq(p, "requestor")) {
				cur = add_section(c, CONF_SEC_REQUESTOR, eq,
				    lineno);
			} else {
				problem(ld, lineno, "unknown section [%s %s]", p,
				    eq);
				cur = NULL;
			}
			continue;
		}
		eq = strchr(p, '=');
		if (eq == NULL) {
			problem(ld, lineno, "expected 'key = value'");
			continue;
		}
		*eq = '\0';
		if (cur == NULL) {
			/* outside any section, or in a rejected one */
			if (c->nsec == 0)
				problem(ld, lineno, "key '%s' outside any "
				    "section", gw_trim(p));
			continue;
		}
		add_entry(cur, gw_trim(p), gw_trim(eq + 1), lineno);
	}
	if (ferror(fp)) {
		problem(ld, lineno, "read error: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct container_ref {
	const struct conf_section	*sec;
	const struct conf_entry		*ent;
	struct gw_dn			 dn;
	int				 import;
};

static void
check_overlap(struct loader *ld, struct gw_conf *c)
{
	struct container_ref *ref = NULL;
	size_t nref = 0, i, j, k;
	struct gw_err err;

	for (i = 0; i < c->nsec; i++) {
		const struct conf_section *s = &c->sec[i];
		const struct conf_key *tabs[2];

		if (s->type == NULL)
			continue;
		tabs[0] = s->kind == CONF_SEC_CONNECTOR ? s->type->keys :
		    s->type->peer_keys;
		tabs[1] = NULL;
		for (j = 0; j < s->n; j++) {
			const struct conf_key *key = key_find(tabs[0],
			    s->ent[j].key);
			char *dnpart, *types;

			if (key == NULL || !(key->flags & (CONF_IMPORT |
			    CONF_EXPORT)))
				continue;
			gw_err_init(&err);
			conf_split_types(s->ent[j].value, &dnpart, &types);
			ref = gw_realloc(ref, (nref + 1) * sizeof(*ref));
			ref[nref].sec = s;
			ref[nref].ent = &s->ent[j];
			ref[nref].import = (key->flags & CONF_IMPORT) != 0;
			gw_dn_init(&ref[nref].dn);
			if (gw_dn_parse_x500(dnpart, &ref[nref].dn, &err) == 0)
				nref++;
			free(dnpart);
			free(types);
		}
	}
	for (i = 0; i < nref; i++) {
		const struct conf_section *ci, *cj;

		if (!ref[i].import)
			continue;
		ci = ref[i].sec->kind == CONF_SEC_REQUESTOR ?
		    ref[i].sec->parent : ref[i].sec;
		for (j = 0; j < nref; j++) {
			if (i == j)
				continue;
			cj = ref[j].sec->kind == CONF_SEC_REQUESTOR ?
			    ref[j].sec->parent : ref[j].sec;
			if (!ref[j].import && ci == cj &&
			    gw_dn_within(&ref[i].dn, &ref[j].dn))
				problem(ld, ref[i].ent->line, "import container "
				    "%s lies inside export container %s (line "
				    "%d): it would loop", ref[i].ent->value,
				    ref[j].ent->value, ref[j].ent->line);
			else if (ref[j].import && j > i &&
			    (gw_dn_within(&ref[i].dn, &ref[j].dn) ||
			    gw_dn_within(&ref[j].dn, &ref[i].dn)))
				problem(ld, ref[j].ent->line, "import container "
				    "%s overlaps import container %s (line %d)",
				    ref[j].ent->value, ref[i].ent->value,
				    ref[i].ent->line);
		}
	}
	for (k = 0; k < nref; k++)
		gw_dn_release(&ref[k].dn);
	free(ref);
}

static const struct conf_connector_type *
type_find(const struct conf_connector_types *types, const char *name)
{
	size_t i;

	for (i = 0; types != NULL && i < types->n; i++)
		if (strcmp(types->v[i].name, name) == 0)
			return &types->v[i];
	return NULL;
}

static void
unknown_type(struct loader *ld, const struct conf_section *s)
{
	char known[256] = "";
	size_t i;

	for (i = 0; ld->types != NULL && i < ld->types->n; i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known),
		    "%s%s", known[0] != '\0' ? ", " : "", ld->types->v[i].name);
	problem(ld, conf_entry(s, "type")->line, "unknown connector type '%s' "
	    "(known: %s)", conf_get(s, "type", NULL), known[0] != '\0' ? known :
	    "none");
}

/* A [connector NAME] section: its type, then its keys. */
static void
validate_connector(struct loader *ld, struct conf_section *s)
{
	const struct conf_key *tabs[4];
	const struct conf_connector_type *type = NULL;
	char what[300];

	snprintf(what, sizeof(what), "[connector %s]", s->name);
	if (conf_get(s, "type", NULL) != NULL &&
	    (type = type_find(ld->types, conf_get(s, "type", NULL))) == NULL)
		unknown_type(ld, s);
	s->type = type;
	tabs[0] = common_keys;
	tabs[1] = NULL;
	if (type == NULL) {
		/* only the common keys can be checked */
		if (conf_get(s, "type", NULL) == NULL)
			problem(ld, s->line, "%s lacks the required key 'type'",
			    what);
		return;
	}
	tabs[1] = type->keys;
	tabs[2] = type->extra_keys;
	tabs[3] = NULL;
	check_section(ld, s, tabs, what);
}

/* A [requestor NAME] section: its connector, then its keys. */
static void
validate_requestor(struct loader *ld, const struct gw_conf *c,
    struct conf_section *s)
{
	const struct conf_key *tabs[3];
	const struct conf_section *parent;
	const char *name = conf_get(s, "connector", NULL);
	char what[300];

	snprintf(what, sizeof(what), "[requestor %s]", s->name);
	if (name == NULL) {
		problem(ld, s->line, "%s lacks the required key 'connector'",
		    what);
		return;
	}
	if ((parent = conf_connector(c, name)) == NULL) {
		problem(ld, conf_entry(s, "connector")->line, "no "
		    "[connector %s] for this requestor", name);
		return;
	}
	if (parent->type == NULL)
		return;	/* its type was already reported */
	if (parent->type->peer_keys == NULL) {
		problem(ld, s->line, "connector type '%s' has no requestors",
		    parent->type->name);
		return;
	}
	s->parent = parent;
	s->type = parent->type;
	tabs[0] = requestor_common_keys;
	tabs[1] = parent->type->peer_keys;
	tabs[2] = NULL;
	check_section(ld, s, tabs, what);
}

static void
validate(struct loader *ld, struct gw_conf *c)
{
	const struct conf_key *tabs[2] = { gal_keys, NULL };
	struct conf_section *s;
	size_t i;

	if (conf_gal(c) == NULL)
		problem(ld, 1, "no [gal] section");
	/*
	 * Two passes: a requestor needs its connector's type, and may come
	 * before the [connector] section in the file.
	 */
	for (i = 0; i < 2 * c->nsec; i++) {
		s = &c->sec[i % c->nsec];
		if ((i < c->nsec) == (s->kind == CONF_SEC_REQUESTOR))
			continue;
		if (s->kind == CONF_SEC_GAL)
			check_section(ld, s, tabs, "[gal]");
		else if (s->kind == CONF_SEC_CONNECTOR)
			validate_connector(ld, s);
		else
			validate_requestor(ld, c, s);
	}
	check_overlap(ld, c);
}

static void
fill_gal(struct gw_conf *c)
{
	const struct conf_section *g = conf_gal(c);
	const struct conf_entry *e;
	const char *errstr;
	size_t i = 0;

	c->state_dir = (char *)conf_get(g, "state_dir", "/var/lib/galgate");
	c->suffix = (char *)conf_get(g, "suffix", "");
	c->organization = (char *)conf_get(g, "organization", "");
	c->site = (char *)conf_get(g, "site", "");
	c->bind_dn = (char *)conf_get(g, "bind_dn", NULL);
	c->bind_password_file = (char *)conf_get(g, "bind_password_file", NULL);
	c->tombstone_lifetime = 60 * 86400;
	c->audit_keep = 30 * 86400;
	if (conf_get(g, "audit_keep", NULL) != NULL)
		(void)gw_parse_duration(conf_get(g, "audit_keep", NULL),
		    &c->audit_keep, &errstr);
	c->tls_ca_file = (char *)conf_get(g, "tls_ca_file", NULL);
	c->transactions = 0;
	if (conf_get(g, "transactions", NULL) != NULL)
		(void)gw_parse_bool(conf_get(g, "transactions", NULL),
		    &c->transactions, &errstr);
	c->starttls = -1;	/* by host */
	if (conf_get(g, "starttls", NULL) != NULL)
		(void)gw_parse_bool(conf_get(g, "starttls", NULL), &c->starttls,
		    &errstr);
	if (conf_get(g, "tombstone_lifetime", NULL) != NULL)
		(void)gw_parse_duration(conf_get(g, "tombstone_lifetime", NULL),
		    &c->tombstone_lifetime, &errstr);
	while ((e = conf_next(g, "uri", &i)) != NULL) {
		c->uris = gw_realloc(c->uris, (c->nuris + 1) * sizeof(char *));
		c->uris[c->nuris++] = e->value;
	}
}

struct gw_conf *
conf_load(const char *path, const struct conf_connector_types *types, FILE *errs,
    struct gw_err *err)
{
	struct loader ld = { path, errs, 0, NULL, types };
	struct gw_conf *c;
	const struct conf_section *g;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		gw_err_set(err, GW_EXIT_USAGE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	c = gw_calloc(1, sizeof(*c));
	c->path = gw_strdup(path);
	if (parse_file(&ld, c, fp) == 0)
		validate(&ld, c);
	fclose(fp);
	g = conf_gal(c);
	if (ld.errors == 0 && g != NULL &&
	    (conf_get(g, "bind_dn", NULL) == NULL) !=
	    (conf_get(g, "bind_password_file", NULL) == NULL))
		problem(&ld, g->line, "[gal] bind_dn and bind_password_file "
		    "go together");
	if (ld.errors > 0) {
		problems_flush(&ld);
		gw_err_set(err, GW_EXIT_USAGE, "%s: %d configuration error%s",
		    path, ld.errors, ld.errors == 1 ? "" : "s");
		conf_free(c);
		return NULL;
	}
	fill_gal(c);
	return c;
}
