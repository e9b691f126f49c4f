/* Reading Ccmdir.exp, Ccmlist.exp and Ccmbb.exp into the cycle. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccdir.h"
#include "ccmail.h"

void
cc_entry_free(struct cc_entry *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nmembers; i++)
		free(e->members[i]);
	free(e->members);
	free(e);
}

/*
 * The entry and its strings in one allocation (a cycle holds every entry
 * of a 100,000-user export): NULL strings stay NULL.
 */
static struct cc_entry *
entry_new(enum cc_kind kind, char locn, const char *name, const char *po,
    const struct gw_record *rec, const char *file, long line)
{
	const char *src[5];
	char **dst[5], *p;
	size_t len[5], total = sizeof(struct cc_entry), i;
	struct cc_entry *e;

	src[0] = name;
	src[1] = po;
	src[2] = kind == CC_USER ? gw_record_get(rec, "Addr") : NULL;
	src[3] = kind == CC_USER ? gw_record_get(rec, "FAN") : NULL;
	src[4] = gw_record_get(rec, "Comments");
	for (i = 0; i < 5; i++) {
		len[i] = src[i] != NULL ? strlen(src[i]) + 1 : 0;
		total += len[i];
	}
	e = gw_calloc(1, total);
	dst[0] = &e->name;
	dst[1] = &e->po;
	dst[2] = &e->addr;
	dst[3] = &e->fan;
	dst[4] = &e->comments;
	p = (char *)(e + 1);
	for (i = 0; i < 5; i++) {
		if (src[i] == NULL)
			continue;
		memcpy(p, src[i], len[i]);
		*dst[i] = p;
		p += len[i];
	}
	e->kind = kind;
	e->locn = locn;
	e->file = file;
	e->line = line;
	return e;
}

static void
push(struct cc_entry ***list, size_t *n, struct cc_entry *e)
{
	*list = gw_grow(*list, *n, sizeof(**list));
	(*list)[(*n)++] = e;
}

/*
 * A record skipped: its event names the line at fault (and where the
 * record starts when that is another line).
 */
static void
skipped(struct cc_cycle *c, const char *file, long line, long bad_line,
    const char *why)
{
	c->cy->counts.skipped++;
	if (bad_line > 0 && bad_line != line)
		evlog_emit(c->cy->ev, EV_CC_RECORD_SKIPPED, GW_SEV_WARNING,
		    c->cc->name, NULL, "%s:%ld: record skipped: %s (the record "
		    "starts at line %ld)", file, bad_line, why, line);
	else
		evlog_emit(c->cy->ev, EV_CC_RECORD_SKIPPED, GW_SEV_WARNING,
		    c->cc->name, NULL, "%s:%ld: record skipped: %s", file, line,
		    why);
}

static int
fail_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static int
fail_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* One Ccmdir.exp record.  Returns 0, or -1 with why set (skipped). */
static int
take_directory(struct cc_cycle *c, const struct gw_record *rec,
    const char *file, long line, char *why, size_t whylen)
{
	const char *name = gw_record_get(rec, "Name");
	const char *locn = gw_record_get(rec, "Locn");
	const char *po = gw_record_get(rec, "PO");
	struct cc_entry *e, *first;
	char *key;

	if (name == NULL || *name == '\0')
		return fail_why(why, whylen, "no Name:");
	if (locn == NULL || strlen(locn) != 1 ||
	    strchr("PpLlRrAa", locn[0]) == NULL)
		return fail_why(why, whylen, "Locn: must be one of P p L l R r "
		    "A a");
	if (strchr("lra", locn[0]) != NULL && (po == NULL || *po == '\0'))
		return fail_why(why, whylen, "Locn l, r and a need a PO:");
	if (gw_record_attr(rec, "List") != NULL ||
	    gw_record_attr(rec, "Member") != NULL ||
	    gw_record_attr(rec, "BBoard") != NULL)
		return fail_why(why, whylen, "list or bulletin board keywords "
		    "in a directory record");
	key = gw_fold(name);
	if ((first = strmap_get(&c->exports.taken, key)) != NULL) {
		free(key);
		return fail_why(why, whylen, "the name '%s' is already in this "
		    "export at line %ld (names are unique, case-insensitively)",
		    name, first->line);
	}
	e = entry_new(CC_USER, locn[0], name, po != NULL && *po != '\0' ? po :
	    c->exports.exporting_po, rec, file, line);
	strmap_put(&c->exports.taken, key, e);
	if (gw_strcaseeq(e->po, c->cc->post_office) && strchr("lLrR",
	    e->locn) != NULL) {
		/* one of ours coming back: a GAL entry, never imported */
		strmap_put(&c->exports.gal_side, key, e);
		c->exports.ngal_side++;
	} else if (e->locn == 'P' || e->locn == 'p') {
		c->exports.nposts++;
		push(&c->exports.native, &c->exports.nnative, e);
	} else if (e->locn == 'A' || e->locn == 'a') {
		c->exports.naliases++;
		push(&c->exports.native, &c->exports.nnative, e);
	} else
		push(&c->exports.native, &c->exports.nnative, e);
	free(key);
	return 0;
}

/* The line of the entry called name among v, or 0: names fold case. */
static long
seen_at(struct cc_entry *const *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (gw_strcaseeq(v[i]->name, name))
			return v[i]->line;
	return 0;
}

static int
take_list(struct cc_cycle *c, const struct gw_record *rec, const char *file,
    long line, char *why, size_t whylen)
{
	const char *name = gw_record_get(rec, "List");
	const struct gw_attr *m = gw_record_attr(rec, "Member");
	struct cc_entry *e;
	size_t i;
	long seen;

	if (name == NULL || *name == '\0')
		return fail_why(why, whylen, "no List:");
	if (gw_record_attr(rec, "Name") != NULL ||
	    gw_record_attr(rec, "BBoard") != NULL)
		return fail_why(why, whylen, "directory or bulletin board "
		    "keywords in a list");
	if ((seen = seen_at(c->exports.lists, c->exports.nlists, name)) > 0)
		return fail_why(why, whylen, "the list '%s' is already in "
		    "this export at line %ld", name, seen);
	e = entry_new(CC_LIST, '\0', name, c->exports.exporting_po, rec, file,
	    line);
	for (i = 0; m != NULL && i < m->n; i++) {
		e->members = gw_grow(e->members, e->nmembers, sizeof(char *));
		e->members[e->nmembers++] = gw_strdup(m->val[i].ptr);
	}
	push(&c->exports.lists, &c->exports.nlists, e);
	return 0;
}

static int
take_bboard(struct cc_cycle *c, const struct gw_record *rec, const char *file,
    long line, char *why, size_t whylen)
{
	const char *title = gw_record_get(rec, "BBoard");
	struct cc_entry *e;
	long seen;

	if (title == NULL || *title == '\0')
		return fail_why(why, whylen, "no BBoard:");
	if (gw_record_attr(rec, "Name") != NULL ||
	    gw_record_attr(rec, "Member") != NULL)
		return fail_why(why, whylen, "directory or list keywords in a "
		    "bulletin board");
	if ((seen = seen_at(c->exports.bboards, c->exports.nbboards,
	    title)) > 0)
		return fail_why(why, whylen, "the bulletin board '%s' is "
		    "already in this export at line %ld", title, seen);
	e = entry_new(CC_BBOARD, '\0', title, c->exports.exporting_po, rec,
	    file, line);
	push(&c->exports.bboards, &c->exports.nbboards, e);
	return 0;
}

typedef int (*take_fn)(struct cc_cycle *, const struct gw_record *,
	    const char *, long, char *, size_t);

/*
 * A skipped record tells nothing about what cc:Mail holds under its name:
 * the entry made from it before stays as it is.
 */
static void
hold(const struct gw_record *rec, const char *kw, struct strmap *held)
{
	const char *name = gw_record_get(rec, kw);
	char *key;

	if (name == NULL || *name == '\0')
		return;
	key = gw_fold(name);
	strmap_put(held, key, (void *)1);
	free(key);
}

static int
read_one(struct cc_cycle *c, const char *base, const char *kind, take_fn take,
    const char *kw, struct strmap *held, char **pathp, struct gw_err *err)
{
	struct ccdir_reader r;
	struct gw_record rec;
	char path[PATH_MAX], bad[256], why[512];
	long line;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", c->cc->export_dir, base);
	*pathp = gw_strdup(path);
	if (ccdir_open(&r, *pathp, kind, &c->cp, err) == -1)
		return -1;
	if (strcmp(kind, "directory") == 0) {
		if (r.postoffice[0] == '\0') {
			gw_err_set(err, GW_EXIT_INPUT, "%s:%ld: the header names "
			    "no PostOffice", *pathp, r.header_end);
			ccdir_close(&r);
			return -1;
		}
		snprintf(c->exports.exporting_po,
		    sizeof(c->exports.exporting_po), "%s",
		    r.postoffice);
	}
	for (;;) {
		gw_record_init(&rec);
		rc = ccdir_next(&r, &rec, &line, bad, sizeof(bad), err);
		if (rc <= 0) {
			gw_record_release(&rec);
			break;
		}
		if (bad[0] != '\0') {
			skipped(c, *pathp, line, r.bad_line, bad);
			hold(&rec, kw, held);
		} else if (take(c, &rec, *pathp, line, why, sizeof(why)) == -1) {
			skipped(c, *pathp, line, 0, why);
			hold(&rec, kw, held);
		}
		gw_record_release(&rec);
	}
	if (rc == 0 && r.replaced > 0)
		evlog_emit(c->cy->ev, EV_CC_CHAR_REPLACED, GW_SEV_WARNING,
		    c->cc->name, NULL, "%s: %zu characters not in %s were "
		    "replaced by '?'", *pathp, r.replaced, c->cp.name);
	ccdir_close(&r);
	return rc;
}

int
cc_read_exports(struct cc_cycle *c, struct gw_err *err)
{
	char **paths = c->exports.paths;
	int rc = -1;

	if (read_one(c, "Ccmdir.exp", "directory", take_directory, "Name",
	    &c->exports.held_users, &paths[0], err) == -1 ||
	    read_one(c, "Ccmlist.exp", "lists", take_list, "List",
	    &c->exports.held_lists, &paths[1], err) == -1 ||
	    read_one(c, "Ccmbb.exp", "bboards", take_bboard, "BBoard",
	    &c->exports.held_bboards, &paths[2], err) == -1)
		goto done;
	rc = 0;
done:
	if (rc == -1 && err->exit == GW_EXIT_INPUT)
		evlog_emit(c->cy->ev, EV_CC_FILE_REFUSED, GW_SEV_ERROR,
		    c->cc->name, NULL, "%s", err->msg);
	return rc;
}
