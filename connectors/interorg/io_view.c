/*
 * The GAL as one batch's plan sees it: the import container's entries
 * (read one by one, or all at once for a large or full batch) with the
 * changes already planned, found by DN, by the sender's X.500 DN (the
 * "X500:" proxy address) and by SMTP address (who holds it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gal.h"
#include "holders.h"
#include "io_view.h"
#include "recipient.h"

char *
io_dn_for(const struct view *v, const char *key)
{
	return gw_recipient_dn(key, v->ct->ldap);
}

char *
io_x500_for(const struct view *v, const char *key)
{
	return gw_recipient_x500(key, &v->ct->dn);
}

/* The LDAP DN, in this GAL, of a sender's X.500 DN (normalized), or NULL. */
char *
io_source_here(const struct view *v, const char *x500)
{
	struct gw_dn dn;
	struct gw_err err;
	char *l, *n;

	if (x500 == NULL)
		return NULL;
	gw_dn_init(&dn);
	gw_err_init(&err);
	if (gw_dn_parse_x500(x500, &dn, &err) == -1) {
		gw_dn_release(&dn);
		return NULL;
	}
	l = gw_dn_ldap_str(&dn, v->c->io->suffix);
	gw_dn_release(&dn);
	n = gw_dn_key(l);
	free(l);
	return n;
}

/* "X500:<dn>" proxy of the sender's DN (caller frees). */
char *
io_x500_proxy(const char *src)
{
	char *p = gw_malloc(strlen(src) + 6);

	sprintf(p, "X500:%s", src);
	return p;
}

/* ---- the view ---- */

void
io_ent_free(struct ent *e)
{
	if (e == NULL)
		return;
	free(e->dn);
	gw_record_release(&e->rec);
	free(e);
}

static struct ent *
ent_from(const struct view *v, const struct gw_record *rec)
{
	struct ent *e = gw_calloc(1, sizeof(*e));

	e->dn = gw_strdup(rec->dn);
	gw_record_copy(&e->rec, rec);
	e->ours = gw_recipient_owned(rec, v->c->io->name, NULL);
	return e;
}

static void
mail_note(struct view *v, const char *addr, const char *ndn, int add)
{
	char *k = gw_fold(addr), *list = strmap_get(&v->mail, k), *p;
	struct gw_buf b;
	size_t n = strlen(ndn);

	gw_buf_init(&b, 0);
	/* the list without ndn, then ndn again if it holds the address */
	for (p = list; p != NULL && *p != '\0'; ) {
		char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (len != n || memcmp(p, ndn, n) != 0) {
			gw_buf_add(&b, p, len);
			gw_buf_addch(&b, '\n');
		}
		p += len + (nl != NULL);
	}
	if (add) {
		gw_buf_addstr(&b, ndn);
		gw_buf_addch(&b, '\n');
	}
	free(strmap_put(&v->mail, k, b.buf != NULL ? gw_buf_detach(&b) :
	    gw_strdup("")));
	gw_buf_release(&b);
	free(k);
}

struct note {
	struct view	*v;
	const char	*ndn;
	int		 add;
};

static void
note_cb(void *arg, const char *addr)
{
	struct note *n = arg;

	mail_note(n->v, addr, n->ndn, n->add);
}

void
io_mail_note_record(struct view *v, const struct gw_record *r, const char *ndn,
    int add)
{
	struct note n = { v, ndn, add };

	gw_recipient_each_smtp(r, note_cb, &n);
}

void
io_x500_note(struct view *v, const struct ent *e, const char *ndn)
{
	const char *src = gw_recipient_proxy(&e->rec, "X500");
	char *k;

	if (src == NULL || !e->ours)
		return;
	k = gw_fold(src);
	free(strmap_put(&v->byx500, k, gw_strdup(ndn)));
	free(k);
}

static int
container_cb(void *arg, const struct gw_record *rec)
{
	struct view *v = arg;
	struct ent *e = ent_from(v, rec);
	char *k = gw_dn_key(rec->dn);

	io_x500_note(v, e, k);
	io_ent_free(strmap_put(&v->bydn, k, e));
	free(k);
	return 0;
}

/*
 * The container's entries, read at once.  Not the addresses of the GAL:
 * who holds an address is an indexed search (io_view_holder), so that a
 * batch costs the same memory in a GAL of any size.
 */
int
io_preload(struct view *v)
{
	int missing;

	/*
	 * A missing container is an empty one: write_plan creates it (and
	 * what is above it) before its first entry.
	 */
	if (gal_search(v->c->cy->gal, v->ct->ldap, GAL_SCOPE_ONE,
	    GAL_FILTER_ALL, NULL, container_cb, v, &missing, v->err) == -1)
		return -1;
	v->preloaded = 1;
	return 0;
}

/* The entry at dn: 1 found, 0 not, -1 error. */
int
io_view_get(struct view *v, const char *dn, struct ent **out)
{
	struct gw_record rec;
	char *k = gw_dn_key(dn);
	int rc;

	*out = NULL;
	if (strmap_has(&v->bydn, k) || v->preloaded) {
		*out = strmap_get(&v->bydn, k);
		free(k);
		return *out != NULL && !(*out)->gone;
	}
	if ((rc = gal_read(v->c->cy->gal, dn, NULL, &rec, v->err)) == -1) {
		free(k);
		return -1;
	}
	if (rc == 1) {
		*out = ent_from(v, &rec);
		io_x500_note(v, *out, k);
	}
	strmap_put(&v->bydn, k, *out);
	gw_record_release(&rec);
	free(k);
	return rc;
}

struct first_ours {
	struct view	*v;
	char		*dn;
};

static int
first_ours_cb(void *arg, const struct gw_record *rec)
{
	struct first_ours *f = arg;
	const char *owner = gw_recipient_owner(rec);

	if (f->dn == NULL && owner != NULL && strcmp(owner, f->v->c->io->name)
	    == 0)
		f->dn = gw_strdup(rec->dn);
	return 0;
}

/* Our entry made from the sender's entry src (X.500): 1, 0, -1. */
int
io_view_source(struct view *v, const char *src, struct ent **out)
{
	struct first_ours f = { v, NULL };
	char *k, *p, *filter;
	const char *ndn;
	int missing, rc;

	*out = NULL;
	if (src == NULL)
		return 0;
	k = gw_fold(src);
	ndn = strmap_get(&v->byx500, k);
	free(k);
	if (ndn != NULL) {
		*out = strmap_get(&v->bydn, ndn);
		if (*out != NULL && !(*out)->gone && (p = (char *)
		    gw_recipient_proxy(&(*out)->rec, "X500")) != NULL &&
		    gw_strcaseeq(p, src))
			return 1;
		*out = NULL;
	}
	if (v->preloaded)
		return 0;
	p = io_x500_proxy(src);
	filter = gw_recipient_proxy_filter(p);
	free(p);
	rc = gal_search(v->c->cy->gal, v->ct->ldap, GAL_SCOPE_ONE, filter,
	    gw_recipient_owner_attrs, first_ours_cb, &f, &missing, v->err);
	free(filter);
	if (rc == -1)
		return -1;
	if (f.dn == NULL)
		return 0;
	rc = io_view_get(v, f.dn, out);
	free(f.dn);
	return rc;
}

struct holders {
	struct gw_buf	 list;
};

/* "key\tDN\n": the holder's DN as the server gives it, for events. */
static int
holder_dn_cb(void *arg, const struct gw_record *rec)
{
	struct holders *h = arg;
	char *k = gw_dn_key(rec->dn);

	gw_buf_addstr(&h->list, k);
	gw_buf_addch(&h->list, '\t');
	gw_buf_addstr(&h->list, rec->dn);
	gw_buf_addch(&h->list, '\n');
	free(k);
	return 0;
}

/*
 * Who holds addr besides the entries at skip1 and skip2 (norm DNs, may be
 * NULL): 0 nobody, 1 another entry (its DN in *who), 2 only the sender's
 * own entry (self, same GAL), -1 error.
 */
int
io_view_holder(struct view *v, const char *addr, const char *skip1,
    const char *skip2, const char *self, char **who)
{
	static const char *attrs[] = { "1.1", NULL };
	struct holders h;
	struct ent *e;
	char *filter, *esc, *k, *p;
	int missing, rc = 0;

	*who = NULL;
	gw_buf_init(&h.list, 0);
	k = gw_fold(addr);
	if ((p = strmap_get(&v->mail, k)) != NULL)
		gw_buf_addstr(&h.list, p);
	free(k);
	filter = gw_smtp_filter(addr);
	rc = gal_search(v->c->cy->gal, v->c->io->suffix, GAL_SCOPE_SUB,
	    filter, attrs, holder_dn_cb, &h, &missing, v->err);
	free(filter);
	if (rc == -1) {
		gw_buf_release(&h.list);
		return -1;
	}
	for (p = h.list.buf; p != NULL && *p != '\0'; ) {
		char *nl = strchr(p, '\n'), *tab;

		*nl = '\0';
		esc = p;
		p = nl + 1;
		if ((tab = strchr(esc, '\t')) != NULL)
			*tab++ = '\0';
		if ((skip1 != NULL && strcmp(esc, skip1) == 0) ||
		    (skip2 != NULL && strcmp(esc, skip2) == 0))
			continue;
		/* gone in this batch, or no longer holding it */
		if ((e = strmap_get(&v->bydn, esc)) != NULL && (e->gone ||
		    !gw_recipient_holds(&e->rec, addr)))
			continue;
		if (self != NULL && strcmp(esc, self) == 0) {
			rc = 2;
			continue;
		}
		free(*who);
		*who = gw_strdup(tab != NULL ? tab : e != NULL ? e->dn : esc);
		rc = 1;
		break;
	}
	gw_buf_release(&h.list);
	return rc;
}

void
io_view_release(struct view *v)
{
	struct strmap_slot *s;
	size_t i = 0;

	while ((s = strmap_next(&v->bydn, &i)) != NULL)
		io_ent_free(s->val);
	strmap_release(&v->bydn);
	strmap_free_values(&v->byx500);
	strmap_free_values(&v->mail);
	gw_changes_free(v->ch, v->nch);
}

