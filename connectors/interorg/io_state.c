/*
 * What a GAL entry looks like to the peers (its exported state), and the
 * shadow record that keeps the last two states of each entry, in bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interorg.h"
#include "recipient.h"
#include "state.h"

const char **
io_read_attrs(void)
{
	return gw_recipient_attrs(NULL, GW_READ_ADDRESSES, NULL);
}

/* ---- states and their bytes ---- */

void
io_state_init(struct io_state *s)
{
	memset(s, 0, sizeof(*s));
	io_entry_init(&s->e);
}

void
io_state_release(struct io_state *s)
{
	io_entry_release(&s->e);
	io_state_init(s);
}

void
io_state_copy(struct io_state *dst, const struct io_state *src)
{
	io_state_init(dst);
	dst->valid = src->valid;
	dst->alive = src->alive;
	dst->usn = src->usn;
	dst->e.key = src->e.key != NULL ? gw_strdup(src->e.key) : NULL;
	dst->e.cls = src->e.cls != NULL ? gw_strdup(src->e.cls) : NULL;
	dst->e.dn = src->e.dn != NULL ? gw_strdup(src->e.dn) : NULL;
	gw_record_copy(&dst->e.attrs, &src->e.attrs);
}

void
io_shadow_free(struct io_shadow *s)
{
	if (s == NULL)
		return;
	io_state_release(&s->cur);
	io_state_release(&s->prev);
	free(s);
}

int
io_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* 1 if a peer would see no difference between the two states. */
int
io_state_equal(const struct io_state *a, const struct io_state *b)
{
	size_t i;

	if (a->alive != b->alive)
		return 0;
	if (!a->alive)
		return 1;
	if (!io_str_eq(a->e.key, b->e.key) || !io_str_eq(a->e.cls, b->e.cls) ||
	    !io_str_eq(a->e.dn, b->e.dn) || a->e.attrs.n != b->e.attrs.n)
		return 0;
	for (i = 0; io_general[i].io != NULL; i++)
		if (!io_str_eq(gw_record_get(&a->e.attrs, io_general[i].io),
		    gw_record_get(&b->e.attrs, io_general[i].io)))
			return 0;
	return 1;
}

static void
put_str(struct gw_buf *b, const char *s, size_t len)
{
	unsigned char l[4];

	if (s == NULL) {
		memset(l, 0xff, 4);
		gw_buf_add(b, l, 4);
		return;
	}
	l[0] = (unsigned char)(len >> 24);
	l[1] = (unsigned char)(len >> 16);
	l[2] = (unsigned char)(len >> 8);
	l[3] = (unsigned char)len;
	gw_buf_add(b, l, 4);
	gw_buf_add(b, s, len);
}

static void
put_state(struct gw_buf *b, const struct io_state *s)
{
	unsigned char h[10], n[2];
	size_t i;

	h[0] = (unsigned char)s->valid;
	h[1] = (unsigned char)s->alive;
	gw_be64_put(h + 2, s->usn);
	gw_buf_add(b, h, sizeof(h));
	put_str(b, s->e.key, s->e.key != NULL ? strlen(s->e.key) : 0);
	put_str(b, s->e.cls, s->e.cls != NULL ? strlen(s->e.cls) : 0);
	put_str(b, s->e.dn, s->e.dn != NULL ? strlen(s->e.dn) : 0);
	n[0] = (unsigned char)(s->e.attrs.n >> 8);
	n[1] = (unsigned char)s->e.attrs.n;
	gw_buf_add(b, n, 2);
	for (i = 0; i < s->e.attrs.n; i++) {
		put_str(b, s->e.attrs.attr[i].name,
		    strlen(s->e.attrs.attr[i].name));
		put_str(b, s->e.attrs.attr[i].val[0].ptr,
		    s->e.attrs.attr[i].val[0].len);
	}
}

void
io_shadow_encode(struct gw_buf *b, const struct io_shadow *s)
{
	gw_buf_reset(b);
	gw_buf_add(b, "S1", 2);
	put_state(b, &s->cur);
	put_state(b, &s->prev);
}

struct cursor {
	const unsigned char	*p, *end;
	int			 bad;
};

static char *
get_str(struct cursor *c, size_t *lenp)
{
	size_t len;
	char *s;

	if (c->end - c->p < 4) {
		c->bad = 1;
		return NULL;
	}
	if (c->p[0] == 0xff && c->p[1] == 0xff && c->p[2] == 0xff &&
	    c->p[3] == 0xff) {
		c->p += 4;
		return NULL;
	}
	len = (size_t)c->p[0] << 24 | (size_t)c->p[1] << 16 |
	    (size_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	if ((size_t)(c->end - c->p) < len) {
		c->bad = 1;
		return NULL;
	}
	s = gw_strndup((const char *)c->p, len);
	c->p += len;
	if (lenp != NULL)
		*lenp = len;
	return s;
}

static void
get_state(struct cursor *c, struct io_state *s)
{
	size_t n, i, vlen;
	char *name, *val;

	io_state_init(s);
	if (c->end - c->p < 12) {
		c->bad = 1;
		return;
	}
	s->valid = c->p[0];
	s->alive = c->p[1];
	s->usn = gw_be64_get(c->p + 2);
	c->p += 10;
	s->e.key = get_str(c, NULL);
	s->e.cls = get_str(c, NULL);
	s->e.dn = get_str(c, NULL);
	if (c->bad || c->end - c->p < 2) {
		c->bad = 1;
		return;
	}
	n = (size_t)c->p[0] << 8 | c->p[1];
	c->p += 2;
	for (i = 0; i < n && !c->bad; i++) {
		vlen = 0;
		name = get_str(c, NULL);
		val = get_str(c, &vlen);
		if (name != NULL && val != NULL)
			gw_record_add(&s->e.attrs, name, val, vlen);
		else
			c->bad = 1;
		free(name);
		free(val);
	}
}

/* The shadow record in bytes, or NULL if they are not one. */
struct io_shadow *
io_shadow_decode(const void *v, size_t len)
{
	struct cursor c = { v, (const unsigned char *)v + len, 0 };
	struct io_shadow *s;

	if (len < 2 || memcmp(v, "S1", 2) != 0)
		return NULL;
	c.p += 2;
	s = gw_calloc(1, sizeof(*s));
	get_state(&c, &s->cur);
	get_state(&c, &s->prev);
	if (c.bad) {
		io_shadow_free(s);
		return NULL;
	}
	return s;
}

int
io_shadow_key(const unsigned char uuid[16], unsigned char key[17])
{
	key[0] = 'u';
	memcpy(key + 1, uuid, 16);
	return 17;
}

/* ---- what a GAL entry looks like to the peers ---- */

void
io_event_4096(struct io_cycle *c, enum gw_sev sev, const char *x500,
    const char *display, const char *smtp, const char *why)
{
	struct gw_dn dn;
	struct gw_err err;
	char *dapi = NULL;

	gw_dn_init(&dn);
	gw_err_init(&err);
	if (x500 != NULL && gw_dn_parse_x500(x500, &dn, &err) == 0)
		dapi = gw_dn_dapi_str(&dn);
	evlog_emit(c->cy->ev, EV_IO_NO_SMTP, sev, c->io->name, x500,
	    "InterOrg: %s DisplayName=%s DirectoryName=%s ObjDistName=%s%s%s",
	    why, display != NULL ? display : "", dapi != NULL ? dapi : "",
	    x500 != NULL ? x500 : "", smtp != NULL ? " SMTP:" : "",
	    smtp != NULL ? smtp : "");
	free(dapi);
	gw_dn_release(&dn);
}

/* The container an entry is exported from, or NULL. */
const struct gw_container *
io_scope_of(const struct interorg *io, const struct gw_dn *dn)
{
	size_t i;

	if (io->role == IO_ROLE_REQUESTOR && gw_dn_within(dn, &io->imp.dn))
		return NULL;	/* the master's entries never go back */
	for (i = 0; i < io->nexp; i++)
		if (gw_dn_within(dn, &io->exp[i].dn))
			return &io->exp[i];
	/* the master passes each requestor's entries on to the others */
	for (i = 0; io->role == IO_ROLE_MASTER && i < io->npeer; i++)
		if (gw_dn_within(dn, &io->peer[i].imp.dn))
			return &io->peer[i].imp;
	return NULL;
}

/*
 * The exported state of rec (read with io_read_attrs), dead when out of
 * scope.  emit: report an entry without an SMTP address (4096).
 */
void
io_state_of(struct io_cycle *c, const struct gw_record *rec,
    const struct gw_dn *dn, uint64_t usn, int emit, struct io_state *st)
{
	const struct interorg *io = c->io;
	const struct gw_container *ct = io_scope_of(io, dn);
	struct gw_recipient rc;
	const char *v, *mail;
	size_t i;
	char *x500, *at;
	int f;

	io_state_init(st);
	st->valid = 1;
	st->usn = usn;
	if (ct == NULL || !gw_recipient_visible(rec))
		return;
	gw_recipient_from_record(rec, &rc);
	/* a bulletin board goes as what it is to a peer: a custom address */
	if (!gw_container_takes(ct, rc.type) ||
	    (rc.trust >= 0 && rc.trust > io->trust))
		goto done;
	x500 = gw_dn_x500_str(dn);
	mail = rc.smtp;
	if (mail == NULL || !io_valid_address(mail)) {
		if (emit) {
			io_event_4096(c, GW_SEV_WARNING, x500,
			    rc.field[GW_F_DISPLAY], NULL, mail == NULL ?
			    "Failed to find SMTP e-mail address; "
			    "not exported" : "the SMTP e-mail address is not "
			    "valid; not exported");
			c->cy->counts.skipped++;
		}
		free(x500);
		goto done;
	}
	st->alive = 1;
	st->e.dn = x500;
	st->e.cls = gw_strdup(rc.type == GW_RCPT_DL ? "dl" :
	    rc.type == GW_RCPT_MAILBOX ? "mailbox" : "custom");
	if (io->rewrite != NULL) {
		at = strchr(mail, '@');
		st->e.key = gw_malloc((size_t)(at - mail) +
		    strlen(io->rewrite) + 2);
		sprintf(st->e.key, "%.*s@%s", (int)(at - mail), mail,
		    io->rewrite);
	} else
		st->e.key = gw_strdup(mail);
	for (i = 0; io_general[i].io != NULL; i++) {
		if ((f = gw_rcpt_field_named(io_general[i].io)) == -1 ||
		    (v = rc.field[f]) == NULL)
			continue;
		if (f == GW_F_DISPLAY && io->append != NULL) {
			char *d = gw_malloc(strlen(v) + strlen(io->append) + 2);

			sprintf(d, "%s %s", v, io->append);
			gw_record_add_str(&st->e.attrs, io_general[i].io, d);
			free(d);
			continue;
		}
		gw_record_add_str(&st->e.attrs, io_general[i].io, v);
	}
done:
	gw_recipient_release(&rc);
}
