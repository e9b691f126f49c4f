/*
 * recipient.h: one GAL recipient, whatever system brought it, and the one
 * mapping between it and an LDAP entry (FORMATS.md, the General-page
 * table).  Connectors translate their foreign records to a struct
 * gw_recipient and back; the rules that decide what a mail client sees
 * (which attributes, which name goes where, how a display name splits,
 * which entries a connector owns) live here once.
 *
 * Ownership: every string field is owned by the struct (malloc'd, freed
 * by gw_recipient_release); NULL means "none".  The list fields are
 * arrays of owned strings.
 */
#ifndef GW_RECIPIENT_H
#define GW_RECIPIENT_H

#include <stddef.h>

#include "record.h"

enum gw_rcpt_type {
	GW_RCPT_MAILBOX = 0,	/* a person with a mailbox */
	GW_RCPT_CUSTOM,		/* a person reached at a foreign address */
	GW_RCPT_DL,		/* a distribution list: groupOfNames */
	GW_RCPT_BBOARD		/* a bulletin board (a public folder) */
};

/* The Exchange General page, in FORMATS.md's order. */
enum gw_rcpt_field {
	GW_F_GIVEN = 0,		/* First */
	GW_F_INITIALS,
	GW_F_SURNAME,		/* Last */
	GW_F_DISPLAY,
	GW_F_ALIAS,
	GW_F_STREET,
	GW_F_CITY,
	GW_F_STATE,
	GW_F_ZIP,
	GW_F_COUNTRY,
	GW_F_TITLE,
	GW_F_COMPANY,
	GW_F_DEPARTMENT,
	GW_F_OFFICE,
	GW_F_ASSISTANT,
	GW_F_PHONE,
	GW_F_FAX,
	GW_F_DESCRIPTION,
	GW_F_COUNT
};

struct gw_strlist {
	char	**v;
	size_t	  n;
};

struct gw_recipient {
	enum gw_rcpt_type type;
	char		*field[GW_F_COUNT];	/* indexed by gw_rcpt_field */
	struct gw_strlist names;	/* further cn values, after the
					   display name */
	char		*smtp;		/* primary SMTP address */
	struct gw_strlist proxies;	/* TYPE:address, besides SMTP:smtp */
	struct gw_strlist members;	/* a list's members, as DNs */
	int		 foreign_list;	/* a list only its own system can
					   expand (InterOrg): a person-like
					   entry mail reaches by address */
	int		 trust;		/* galgateTrustLevel; -1: none */
	int		 hidden;	/* galgateHidden: TRUE */
	char		*connector;	/* the connector that owns it */
	char		*foreign_key;	/* its key in that connector's system */
	char		*x500;		/* legacyExchangeDN */
};

void	gw_recipient_init(struct gw_recipient *);
void	gw_recipient_release(struct gw_recipient *);

/* Sets field f to a copy of v (NULL or "" clears it). */
void	gw_recipient_set(struct gw_recipient *, enum gw_rcpt_field,
	    const char *v);
const char *gw_recipient_get(const struct gw_recipient *, enum gw_rcpt_field);
/* Appends a copy of v, unless the list holds it (case-insensitively). */
void	gw_strlist_add(struct gw_strlist *, const char *v);
void	gw_strlist_release(struct gw_strlist *);

/* The LDAP attribute of a General-page field. */
const char *gw_rcpt_field_attr(enum gw_rcpt_field);
/*
 * The field a name stands for: its LDAP attribute or its IOSYNC-1 name
 * (FORMATS.md's table: streetAddress, company, department, assistant),
 * case-insensitively; -1 if none.
 */
int	gw_rcpt_field_named(const char *name);

/*
 * 0 if v cannot be field f's value because the LDAP attribute's syntax
 * refuses it: a country is two printable characters, a telephone number
 * a printable string (X.520).  1 otherwise.
 */
int	gw_rcpt_value_ok(enum gw_rcpt_field f, const char *v);

/*
 * The attributes a connector manages on the entries it owns (a cycle
 * sets them as the recipient says, and removes what the recipient lacks;
 * every other attribute, galgateHidden and galgateTrustLevel among them,
 * is the administrator's): the names, addresses, members, type, owner,
 * key and X.500 DN every recipient has, and the attribute of each field
 * the connector fills (filled[f] nonzero).  NULL-terminated; the caller
 * frees the array, not the names.
 */
const char **gw_recipient_managed(const int filled[GW_F_COUNT]);

/* A search filter for the entries that are recipients: people and lists. */
#define GW_RCPT_FILTER \
	"(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))"
/* ... and of those, the ones the administrator did not hide. */
#define GW_RCPT_FILTER_VISIBLE \
	"(&" GW_RCPT_FILTER "(!(galgateHidden=TRUE)))"

/* What gw_recipient_attrs reads beside the identity and the fields. */
#define GW_READ_ADDRESSES	0x1	/* mail and the proxy addresses */
#define GW_READ_MEMBERS		0x2	/* a list's members */
#define GW_READ_NAMES		0x4	/* sn, givenName, every cn value */

/*
 * The attributes a search reads to give gw_recipient_from_record what a
 * caller needs: always the entry's identity (entryUUID, objectClass, the
 * display name and first cn, type, hidden, trust level, owner, key and
 * X.500 DN), the attribute of each field with fields[f] nonzero (every
 * field where fields is NULL), what the GW_READ_* bits in what name, and
 * the NULL-terminated extra names.  What is not read is absent from the
 * recipient.  NULL-terminated; the caller frees the array, not the names.
 */
const char **gw_recipient_attrs(const int *fields, int what,
	    const char *const *extra);

/* 1 if the entry is a recipient the administrator did not hide. */
int	gw_recipient_visible(const struct gw_record *);

/*
 * A display name split into surname and given name, the one rule of
 * every connector (FORMATS.md): "Last, First" gives both, trimmed.
 * Where no surname can be derived (no comma, or nothing before it), the
 * surname is the whole display name, as inetOrgPerson needs one; where
 * nothing follows the comma, there is no given name (*given NULL).
 * Caller frees both.
 */
void	gw_name_split(const char *display, char **surname, char **given);

/*
 * The LDAP entry of a recipient, at dn: object classes, cn and
 * displayName from the display name (cn's first value; the further
 * names after it; without one, "Surname, Given" from the fields, else
 * the alias, else the SMTP address), sn and givenName (people: the
 * explicit fields, else split from the display name; a bulletin board
 * has a surname but no given name), members (a list with none holds its
 * own DN, as groupOfNames needs one; a foreign list is an inetOrgPerson
 * with a surname and no members), the rest of the General page,
 * mailNickname, mail and the SMTP: proxy first, the other proxies, type,
 * trust level, hidden, owner, foreign key and legacyExchangeDN.  out is
 * initialized here; the caller releases it.
 */
void	gw_recipient_to_record(const struct gw_recipient *, const char *dn,
	    struct gw_record *out);

/*
 * The recipient an LDAP entry holds, read back with the same mapping:
 * the type from galgateRecipientType (else groupOfNames makes a list; a
 * list that is no groupOfNames is a foreign list),
 * the display name from displayName (else the first cn), the other cn
 * values as further names, each field from
 * its attribute's first value, the primary SMTP address from mail, the
 * proxies but that address's SMTP: one, the members (a list's own DN,
 * the placeholder member, left out).  out is initialized here.
 * gw_recipient_to_record of the result gives the entry's managed
 * attributes back.
 */
void	gw_recipient_from_record(const struct gw_record *,
	    struct gw_recipient *out);

/*
 * A recipient keeps the X.500 DNs its entry had here, so that mail sent
 * to an earlier one (a reply to an old message) still reaches it: the
 * entry's legacyExchangeDN where r's differs (a renamed entry), and each
 * X500: proxy of had inside the organization org (the earlier ones
 * kept before), become X500: proxies of r.  Proxies naming another
 * organization's DN (an InterOrg sender's) are the connector's to keep.
 */
void	gw_recipient_keep_x500(struct gw_recipient *r,
	    const struct gw_record *had, const char *org);

/* The RDN of an entry named by v: "cn=v", escaped (caller frees). */
char	*gw_recipient_rdn(const char *v);

/*
 * The one DN rule of every connector: the entry of a foreign recipient is
 * named by its foreign key (unique in its system, and unchanged when its
 * display name changes), gw_recipient_rdn(key) in the connector's import
 * container (container: its LDAP form).  Caller frees.
 */
char	*gw_recipient_dn(const char *key, const char *container);

/*
 * That entry's X.500 DN (legacyExchangeDN), the import container given
 * parsed.  Caller frees.
 */
struct gw_dn;
char	*gw_recipient_x500(const char *key, const struct gw_dn *container);

/*
 * What a rename to gw_recipient_rdn(newv), the old RDN deleted, does to
 * the entry's record: the naming value oldv gives way to newv (after the
 * other names, where slapd puts it).
 */
void	gw_recipient_renamed(struct gw_record *, const char *oldv,
	    const char *newv);

/* The attributes gw_recipient_owner and gw_recipient_key read. */
extern const char *const gw_recipient_owner_attrs[];
/* The connector that owns the entry, and its key there; NULL if none. */
const char *gw_recipient_owner(const struct gw_record *);
const char *gw_recipient_key(const struct gw_record *);
/* The filter of the entries connector owns (caller frees). */
char	*gw_recipient_owner_filter(const char *connector);

/*
 * The address part of the entry's first proxy address of the given type
 * ("X500" finds "X500:/o=..."), case-insensitively; NULL if none.
 */
const char *gw_recipient_proxy(const struct gw_record *, const char *type);
/* The filter of the entries that hold proxy, "TYPE:address" (caller frees). */
char	*gw_recipient_proxy_filter(const char *proxy);

/*
 * Calls fn for each SMTP address the entry holds: mail's values, then
 * the address of each smtp: proxy (the primary's SMTP: one among them).
 */
void	gw_recipient_each_smtp(const struct gw_record *,
	    void (*fn)(void *arg, const char *addr), void *arg);
/* 1 if the entry holds addr as one of those, case-insensitively. */
int	gw_recipient_holds(const struct gw_record *, const char *addr);

/*
 * 1 if the entry is one that connector made from a foreign entry: its
 * galgateConnector is the connector's name (exactly) and it has a
 * foreign key (equal to key, case-insensitively, unless key is NULL).
 */
int	gw_recipient_owned(const struct gw_record *, const char *connector,
	    const char *key);

#endif
