/* recipient.c: see recipient.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dn.h"
#include "recipient.h"

/* FORMATS.md's General-page table: the one place a field meets LDAP */
static const char *const field_attr[GW_F_COUNT] = {
	[GW_F_GIVEN] = "givenName",
	[GW_F_INITIALS] = "initials",
	[GW_F_SURNAME] = "sn",
	[GW_F_DISPLAY] = "displayName",
	[GW_F_ALIAS] = "mailNickname",
	[GW_F_STREET] = "street",
	[GW_F_CITY] = "l",
	[GW_F_STATE] = "st",
	[GW_F_ZIP] = "postalCode",
	[GW_F_COUNTRY] = "c",
	[GW_F_TITLE] = "title",
	[GW_F_COMPANY] = "o",
	[GW_F_DEPARTMENT] = "ou",
	[GW_F_OFFICE] = "physicalDeliveryOfficeName",
	[GW_F_ASSISTANT] = "galgateAssistant",
	[GW_F_PHONE] = "telephoneNumber",
	[GW_F_FAX] = "facsimileTelephoneNumber",
	[GW_F_DESCRIPTION] = "description",
};

/* The IOSYNC-1 names where they differ from the LDAP attribute's */
static const char *const field_io_name[GW_F_COUNT] = {
	[GW_F_STREET] = "streetAddress",
	[GW_F_COMPANY] = "company",
	[GW_F_DEPARTMENT] = "department",
	[GW_F_ASSISTANT] = "assistant",
};

/* What every recipient's entry has, whatever fields its connector fills */
static const char *const managed_base[] = {
	"cn", "displayName", "sn", "givenName", "member", "mailNickname",
	"mail", "galgateProxyAddress", "galgateRecipientType",
	"galgateConnector", "galgateForeignKey", "legacyExchangeDN", NULL
};

static const char *const type_name[] = {
	[GW_RCPT_MAILBOX] = "mailbox",
	[GW_RCPT_CUSTOM] = "custom",
	[GW_RCPT_DL] = "dl",
	[GW_RCPT_BBOARD] = "bulletinboard",
};

void
gw_recipient_init(struct gw_recipient *r)
{
	memset(r, 0, sizeof(*r));
	r->trust = -1;
}

void
gw_strlist_release(struct gw_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
gw_strlist_add(struct gw_strlist *l, const char *v)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (gw_strcaseeq(l->v[i], v))
			return;
	l->v = gw_grow(l->v, l->n, sizeof(*l->v));
	l->v[l->n++] = gw_strdup(v);
}

void
gw_recipient_release(struct gw_recipient *r)
{
	size_t i;

	for (i = 0; i < GW_F_COUNT; i++)
		free(r->field[i]);
	free(r->smtp);
	gw_strlist_release(&r->names);
	gw_strlist_release(&r->proxies);
	gw_strlist_release(&r->members);
	free(r->connector);
	free(r->foreign_key);
	free(r->x500);
	gw_recipient_init(r);
}

void
gw_recipient_set(struct gw_recipient *r, enum gw_rcpt_field f, const char *v)
{
	free(r->field[f]);
	r->field[f] = v != NULL && *v != '\0' ? gw_strdup(v) : NULL;
}

const char *
gw_recipient_get(const struct gw_recipient *r, enum gw_rcpt_field f)
{
	return r->field[f];
}

const char *
gw_rcpt_field_attr(enum gw_rcpt_field f)
{
	return field_attr[f];
}

int
gw_rcpt_field_named(const char *name)
{
	int f;

	for (f = 0; f < GW_F_COUNT; f++)
		if (gw_strcaseeq(name, field_attr[f]) ||
		    (field_io_name[f] != NULL &&
		    gw_strcaseeq(name, field_io_name[f])))
			return f;
	return -1;
}

/* X.520's PrintableString: the syntax of c and telephoneNumber */
static int
printable_string(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:?=", *s) ==
		    NULL)
			return 0;
	return 1;
}

int
gw_rcpt_value_ok(enum gw_rcpt_field f, const char *v)
{
	if (f == GW_F_COUNTRY)
		return strlen(v) == 2 && printable_string(v);
	if (f == GW_F_PHONE || f == GW_F_FAX)
		return printable_string(v);
	return 1;
}

const char **
gw_recipient_managed(const int filled[GW_F_COUNT])
{
	const char **v = gw_calloc(sizeof(managed_base) / sizeof(*managed_base)
	    + GW_F_COUNT, sizeof(*v));
	size_t n = 0, k;
	int f;

	for (k = 0; managed_base[k] != NULL; k++)
		v[n++] = managed_base[k];
	for (f = 0; f < GW_F_COUNT; f++) {
		if (!filled[f])
			continue;
		for (k = 0; k < n; k++)
			if (gw_strcaseeq(v[k], field_attr[f]))
				break;
		if (k == n)
			v[n++] = field_attr[f];
	}
	v[n] = NULL;
	return v;
}

static void
attrs_add(const char **v, size_t *n, const char *name)
{
	size_t k;

	for (k = 0; k < *n; k++)
		if (gw_strcaseeq(v[k], name))
			return;
	v[(*n)++] = name;
}

const char **
gw_recipient_attrs(const int *fields, int what, const char *const *extra)
{
	static const char *const identity[] = { "entryUUID", "objectClass",
	    "displayName", "cn", "galgateRecipientType", "galgateHidden",
	    "galgateTrustLevel", "galgateConnector", "galgateForeignKey",
	    "legacyExchangeDN", NULL };
	size_t n = 0, cap = sizeof(identity) / sizeof(*identity) + GW_F_COUNT +
	    5, k;
	const char **v;
	int f;

	for (k = 0; extra != NULL && extra[k] != NULL; k++)
		cap++;
	v = gw_calloc(cap, sizeof(*v));
	for (k = 0; identity[k] != NULL; k++)
		attrs_add(v, &n, identity[k]);
	for (f = 0; f < GW_F_COUNT; f++)
		if (fields == NULL || fields[f])
			attrs_add(v, &n, field_attr[f]);
	if (what & GW_READ_ADDRESSES) {
		attrs_add(v, &n, "mail");
		attrs_add(v, &n, "galgateProxyAddress");
	}
	if (what & GW_READ_MEMBERS)
		attrs_add(v, &n, "member");
	if (what & GW_READ_NAMES) {
		attrs_add(v, &n, "sn");
		attrs_add(v, &n, "givenName");
	}
	for (k = 0; extra != NULL && extra[k] != NULL; k++)
		attrs_add(v, &n, extra[k]);
	v[n] = NULL;
	return v;
}

static int
has_class(const struct gw_record *rec, const char *cls)
{
	const struct gw_attr *a = gw_record_attr(rec, "objectClass");
	size_t i;

	for (i = 0; a != NULL && i < a->n; i++)
		if (gw_strcaseeq(a->val[i].ptr, cls))
			return 1;
	return 0;
}

int
gw_recipient_visible(const struct gw_record *rec)
{
	const char *hidden = gw_record_get(rec, "galgateHidden");

	if (hidden != NULL && gw_strcaseeq(hidden, "TRUE"))
		return 0;
	return has_class(rec, "inetOrgPerson") ||
	    has_class(rec, "groupOfNames");
}

void
gw_name_split(const char *display, char **surname, char **given)
{
	const char *comma = strchr(display, ',');
	char *a, *b;

	*given = NULL;
	if (comma == NULL) {
		*surname = gw_strdup(display);
		return;
	}
	a = gw_strndup(display, (size_t)(comma - display));
	b = gw_strdup(comma + 1);
	*surname = gw_strdup(gw_trim(a));
	if (*gw_trim(b) != '\0')
		*given = gw_strdup(gw_trim(b));
	free(a);
	free(b);
	if (**surname == '\0') {
		free(*surname);
		*surname = gw_strdup(display);
	}
}

/* "Given Surname" (caller frees); NULL without both, or if it is display */
static char *
given_first(const char *given, const char *sn, const char *display)
{
	struct gw_buf b;

	if (given == NULL || sn == NULL || *given == '\0' || *sn == '\0')
		return NULL;
	gw_buf_init(&b, 0);
	(void)gw_buf_printf(&b, "%s %s", given, sn);
	if (display != NULL && gw_strcaseeq(b.buf, display)) {
		gw_buf_release(&b);
		return NULL;
	}
	return gw_buf_detach(&b);
}

/* A person's names: the explicit fields win over the split. */
static void
add_names(const struct gw_recipient *r, const char *display,
    struct gw_record *out)
{
	const char *s, *g = NULL;
	char *sn, *given, *first;

	gw_name_split(display, &sn, &given);
	s = r->field[GW_F_SURNAME] != NULL ? r->field[GW_F_SURNAME] : sn;
	gw_record_add_str(out, "sn", s);
	/* a bulletin board has a surname (person needs it), not a first name */
	if (r->type == GW_RCPT_MAILBOX || r->type == GW_RCPT_CUSTOM) {
		g = r->field[GW_F_GIVEN] != NULL ? r->field[GW_F_GIVEN] :
		    given;
		if (g != NULL)
			gw_record_add_str(out, "givenName", g);
	}
	/*
	 * Thunderbird searches cn, mail and sn, not givenName: a further cn
	 * value with the given name first ("José Nuñez" beside
	 * "Nuñez, José") finds a person by the first name too.
	 */
	if ((first = given_first(g, s, display)) != NULL)
		gw_record_add_str(out, "cn", first);
	free(first);
	free(sn);
	free(given);
}

/*
 * The name a mail client shows (caller frees): the display name, else
 * what the recipient has of a name, else its address; NULL if nothing.
 */
static char *
display_of(const struct gw_recipient *r)
{
	const char *sn = r->field[GW_F_SURNAME], *g = r->field[GW_F_GIVEN];
	struct gw_buf b;

	if (r->field[GW_F_DISPLAY] != NULL)
		return gw_strdup(r->field[GW_F_DISPLAY]);
	if (sn != NULL && g != NULL) {
		gw_buf_init(&b, 0);
		(void)gw_buf_printf(&b, "%s, %s", sn, g);
		return gw_buf_detach(&b);
	}
	if (sn != NULL || g != NULL)
		return gw_strdup(sn != NULL ? sn : g);
	if (r->field[GW_F_ALIAS] != NULL)
		return gw_strdup(r->field[GW_F_ALIAS]);
	return r->smtp != NULL ? gw_strdup(r->smtp) : NULL;
}

void
gw_recipient_to_record(const struct gw_recipient *r, const char *dn,
    struct gw_record *out)
{
	static const enum gw_rcpt_field rest[] = { GW_F_INITIALS, GW_F_STREET,
	    GW_F_CITY, GW_F_STATE, GW_F_ZIP, GW_F_COUNTRY, GW_F_TITLE,
	    GW_F_COMPANY, GW_F_DEPARTMENT, GW_F_OFFICE, GW_F_ASSISTANT,
	    GW_F_PHONE, GW_F_FAX, GW_F_DESCRIPTION, GW_F_ALIAS };
	struct gw_buf b;
	size_t i;

	char *display = display_of(r);
	int group = r->type == GW_RCPT_DL && !r->foreign_list;

	gw_record_init(out);
	out->dn = gw_strdup(dn);
	gw_record_add_str(out, "objectClass", "top");
	gw_record_add_str(out, "objectClass", group ? "groupOfNames" :
	    "inetOrgPerson");
	gw_record_add_str(out, "objectClass", "galgateRecipient");
	if (display != NULL) {
		gw_record_add_str(out, "cn", display);
		gw_record_add_str(out, "displayName", display);
	}
	for (i = 0; i < r->names.n; i++)
		if (display == NULL || !gw_strcaseeq(r->names.v[i], display))
			gw_record_add_str(out, "cn", r->names.v[i]);
	if (!group)
		add_names(r, display != NULL ? display : "", out);
	else {
		for (i = 0; i < r->members.n; i++)
			gw_record_add_str(out, "member", r->members.v[i]);
		if (r->members.n == 0)
			gw_record_add_str(out, "member", dn);
	}
	for (i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		if (r->field[rest[i]] != NULL)
			gw_record_add_str(out, field_attr[rest[i]],
			    r->field[rest[i]]);
	gw_buf_init(&b, 0);
	if (r->smtp != NULL) {
		gw_record_add_str(out, "mail", r->smtp);
		(void)gw_buf_printf(&b, "SMTP:%s", r->smtp);
		gw_record_add_str(out, "galgateProxyAddress", b.buf);
	}
	gw_buf_release(&b);
	for (i = 0; i < r->proxies.n; i++)
		gw_record_add_str(out, "galgateProxyAddress", r->proxies.v[i]);
	gw_record_add_str(out, "galgateRecipientType", type_name[r->type]);
	if (r->trust >= 0) {
		char t[24];

		snprintf(t, sizeof(t), "%d", r->trust);
		gw_record_add_str(out, "galgateTrustLevel", t);
	}
	if (r->hidden)
		gw_record_add_str(out, "galgateHidden", "TRUE");
	if (r->connector != NULL)
		gw_record_add_str(out, "galgateConnector", r->connector);
	if (r->foreign_key != NULL)
		gw_record_add_str(out, "galgateForeignKey", r->foreign_key);
	if (r->x500 != NULL)
		gw_record_add_str(out, "legacyExchangeDN", r->x500);
	free(display);
}

static char *
dup_first(const struct gw_record *rec, const char *attr)
{
	const char *v = gw_record_get(rec, attr);

	return v != NULL && *v != '\0' ? gw_strdup(v) : NULL;
}

void
gw_recipient_from_record(const struct gw_record *rec, struct gw_recipient *r)
{
	const struct gw_attr *a;
	const char *v;
	char *first;
	size_t i, n;
	int f, group;

	gw_recipient_init(r);
	v = gw_record_get(rec, "galgateRecipientType");
	r->type = GW_RCPT_MAILBOX;
	for (i = 0; v != NULL && i < sizeof(type_name) / sizeof(*type_name);
	    i++)
		if (gw_strcaseeq(v, type_name[i]))
			r->type = (enum gw_rcpt_type)i;
	group = 0;
	if ((a = gw_record_attr(rec, "objectClass")) != NULL)
		for (i = 0; i < a->n; i++)
			if (gw_strcaseeq(a->val[i].ptr, "groupOfNames"))
				group = 1;
	if (v == NULL && group)
		r->type = GW_RCPT_DL;
	r->foreign_list = r->type == GW_RCPT_DL && !group;
	for (f = 0; f < GW_F_COUNT; f++)
		r->field[f] = dup_first(rec, field_attr[f]);
	if (r->field[GW_F_DISPLAY] == NULL)
		r->field[GW_F_DISPLAY] = dup_first(rec, "cn");
	/* further names, but the given-name-first one add_names makes */
	first = given_first(gw_record_get(rec, "givenName"),
	    gw_record_get(rec, "sn"), r->field[GW_F_DISPLAY]);
	if ((a = gw_record_attr(rec, "cn")) != NULL)
		for (i = 0; i < a->n; i++)
			if ((r->field[GW_F_DISPLAY] == NULL ||
			    !gw_strcaseeq(a->val[i].ptr,
			    r->field[GW_F_DISPLAY])) && (first == NULL ||
			    !gw_strcaseeq(a->val[i].ptr, first)))
				gw_strlist_add(&r->names, a->val[i].ptr);
	free(first);
	r->smtp = dup_first(rec, "mail");
	if ((a = gw_record_attr(rec, "galgateProxyAddress")) != NULL)
		for (i = 0; i < a->n; i++) {
			v = a->val[i].ptr;
			if (r->smtp != NULL && gw_strncaseeq(v, "SMTP:", 5) &&
			    gw_strcaseeq(v + 5, r->smtp))
				continue;
			gw_strlist_add(&r->proxies, v);
		}
	if ((a = gw_record_attr(rec, "member")) != NULL) {
		n = a->n;
		for (i = 0; i < n; i++)
			if (n > 1 || rec->dn == NULL ||
			    !gw_strcaseeq(a->val[i].ptr, rec->dn))
				gw_strlist_add(&r->members, a->val[i].ptr);
	}
	if ((v = gw_record_get(rec, "galgateTrustLevel")) != NULL) {
		char *end;
		long t = strtol(v, &end, 10);

		/* the schema's integer syntax: anything else is no level */
		if (*end == '\0' && end != v && t >= 0 && t <= INT_MAX)
			r->trust = (int)t;
	}
	v = gw_record_get(rec, "galgateHidden");
	r->hidden = v != NULL && gw_strcaseeq(v, "TRUE");
	r->connector = dup_first(rec, "galgateConnector");
	r->foreign_key = dup_first(rec, "galgateForeignKey");
	r->x500 = dup_first(rec, "legacyExchangeDN");
}

const char *const gw_recipient_owner_attrs[] = { "galgateConnector",
	"galgateForeignKey", NULL };

const char *
gw_recipient_owner(const struct gw_record *rec)
{
	return gw_record_get(rec, "galgateConnector");
}

const char *
gw_recipient_key(const struct gw_record *rec)
{
	return gw_record_get(rec, "galgateForeignKey");
}

char *
gw_recipient_owner_filter(const char *connector)
{
	return gw_filter_eq("galgateConnector", connector);
}

const char *
gw_recipient_proxy(const struct gw_record *rec, const char *type)
{
	const struct gw_attr *a = gw_record_attr(rec, "galgateProxyAddress");
	size_t i, n = strlen(type);

	for (i = 0; a != NULL && i < a->n; i++)
		if (a->val[i].len > n && a->val[i].ptr[n] == ':' &&
		    gw_strncaseeq(a->val[i].ptr, type, n))
			return a->val[i].ptr + n + 1;
	return NULL;
}

char *
gw_recipient_proxy_filter(const char *proxy)
{
	return gw_filter_eq("galgateProxyAddress", proxy);
}

void
gw_recipient_each_smtp(const struct gw_record *rec,
    void (*fn)(void *, const char *), void *arg)
{
	const struct gw_attr *a;
	size_t i;

	if ((a = gw_record_attr(rec, "mail")) != NULL)
		for (i = 0; i < a->n; i++)
			fn(arg, a->val[i].ptr);
	if ((a = gw_record_attr(rec, "galgateProxyAddress")) != NULL)
		for (i = 0; i < a->n; i++)
			if (gw_strncaseeq(a->val[i].ptr, "smtp:", 5))
				fn(arg, a->val[i].ptr + 5);
}

struct holds {
	const char	*addr;
	int		 found;
};

static void
holds_cb(void *arg, const char *addr)
{
	struct holds *h = arg;

	if (gw_strcaseeq(addr, h->addr))
		h->found = 1;
}

int
gw_recipient_holds(const struct gw_record *rec, const char *addr)
{
	struct holds h = { addr, 0 };

	gw_recipient_each_smtp(rec, holds_cb, &h);
	return h.found;
}

int
gw_recipient_owned(const struct gw_record *rec, const char *connector,
    const char *key)
{
	const char *owner = gw_recipient_owner(rec);
	const char *fk = gw_recipient_key(rec);

	return owner != NULL && strcmp(owner, connector) == 0 && fk != NULL &&
	    (key == NULL || gw_strcaseeq(fk, key));
}

/* 1 if x500 is a DN inside the organization org: "/o=org/..." */
static int
in_org(const char *x500, const char *org)
{
	size_t n = strlen(org);

	return gw_strncaseeq(x500, "/o=", 3) && gw_strncaseeq(x500 + 3, org,
	    n) && x500[3 + n] == '/';
}

static void
add_x500(struct gw_recipient *r, const char *x500)
{
	struct gw_buf b;

	if (r->x500 != NULL && gw_strcaseeq(r->x500, x500))
		return;
	gw_buf_init(&b, 0);
	gw_buf_printf(&b, "X500:%s", x500);
	gw_strlist_add(&r->proxies, b.buf);
	gw_buf_release(&b);
}

void
gw_recipient_keep_x500(struct gw_recipient *r, const struct gw_record *had,
    const char *org)
{
	const struct gw_attr *a = gw_record_attr(had, "galgateProxyAddress");
	const char *v = gw_record_get(had, "legacyExchangeDN");
	size_t i;

	if (v != NULL && *v != '\0')
		add_x500(r, v);
	for (i = 0; a != NULL && i < a->n; i++)
		if (gw_strncaseeq(a->val[i].ptr, "X500:", 5) &&
		    in_org(a->val[i].ptr + 5, org))
			add_x500(r, a->val[i].ptr + 5);
}

char *
gw_recipient_rdn(const char *v)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	gw_buf_addstr(&b, "cn=");
	gw_ldap_escape_value(&b, v, strlen(v));
	return gw_buf_detach(&b);
}

char *
gw_recipient_dn(const char *key, const char *container)
{
	struct gw_buf b;
	char *rdn = gw_recipient_rdn(key);

	gw_buf_init(&b, 0);
	gw_buf_printf(&b, "%s,%s", rdn, container);
	free(rdn);
	return gw_buf_detach(&b);
}

char *
gw_recipient_x500(const char *key, const struct gw_dn *container)
{
	struct gw_dn dn;
	char *s;

	gw_dn_copy(&dn, container);
	gw_dn_push(&dn, "cn", key);
	s = gw_dn_x500_str(&dn);
	gw_dn_release(&dn);
	return s;
}

void
gw_recipient_renamed(struct gw_record *rec, const char *oldv,
    const char *newv)
{
	struct gw_strlist keep = { NULL, 0 };
	const struct gw_attr *a = gw_record_attr(rec, "cn");
	size_t i;

	for (i = 0; a != NULL && i < a->n; i++)
		if (!gw_strcaseeq(a->val[i].ptr, oldv))
			gw_strlist_add(&keep, a->val[i].ptr);
	gw_record_remove(rec, "cn");
	for (i = 0; i < keep.n; i++)
		gw_record_add_str(rec, "cn", keep.v[i]);
	gw_record_add_str(rec, "cn", newv);
	gw_strlist_release(&keep);
}
