/*
 * dn.h: the three names of a GAL object and the escaping rules.
 *
 *   X.500 (Exchange)  /o=Org/ou=Site/cn=Recipients/cn=alias
 *   LDAP (RFC 4514)   cn=alias,cn=Recipients,ou=Site,o=Org,<suffix>
 *   DAPI              alias@o@Org@ou@Site@cn@Recipients@cn@alias
 *
 * A struct gw_dn holds the RDNs below the suffix, top first (the X.500
 * order), with unescaped values.  Every value is valid UTF-8 without NUL;
 * every parser rejects anything else with a reason in err.
 */
#ifndef GW_DN_H
#define GW_DN_H

#include <stddef.h>

#include "err.h"
#include "util.h"

struct gw_rdn {
	char	*type;
	char	*value;
};

struct gw_dn {
	struct gw_rdn	*rdn;	/* rdn[0] is the top (o=Org) */
	size_t		 n;
};

enum gw_dn_form {
	GW_DN_X500,
	GW_DN_LDAP,
	GW_DN_DAPI
};

#define GW_DN_MAX_LEN	4096	/* longest DN string accepted */

void	gw_dn_init(struct gw_dn *);
void	gw_dn_release(struct gw_dn *);
/* Appends a copy of type/value below the current last RDN. */
void	gw_dn_push(struct gw_dn *, const char *type, const char *value);
void	gw_dn_copy(struct gw_dn *dst, const struct gw_dn *src);
/* 1 if a is b or below b; types and values compared case-insensitively. */
int	gw_dn_within(const struct gw_dn *a, const struct gw_dn *b);
int	gw_dn_equal(const struct gw_dn *, const struct gw_dn *);
/* The Exchange site of an entry: its second RDN's value when that is an
 * ou (/o=Org/ou=Site/...); NULL otherwise. */
const char *gw_dn_site(const struct gw_dn *);

/* Form of a string: '/' first is X.500, "@o@" inside is DAPI, else LDAP. */
enum gw_dn_form gw_dn_detect(const char *);

/*
 * Parsers: out must be initialized; on failure it is left empty and err
 * says why.  gw_dn_parse_ldap strips suffix (an LDAP DN, may be "" or
 * NULL) and fails if the DN is not at or below it.
 */
int	gw_dn_parse_x500(const char *, struct gw_dn *out, struct gw_err *);
int	gw_dn_parse_dapi(const char *, struct gw_dn *out, struct gw_err *);
int	gw_dn_parse_ldap(const char *, const char *suffix, struct gw_dn *out,
	    struct gw_err *);
/* Any of the three forms, detected with gw_dn_detect. */
int	gw_dn_parse(const char *, const char *suffix, struct gw_dn *out,
	    struct gw_err *);

/* Writers append to b; they return -1 only if b hits its ceiling. */
int	gw_dn_to_x500(const struct gw_dn *, struct gw_buf *b);
int	gw_dn_to_dapi(const struct gw_dn *, struct gw_buf *b);
int	gw_dn_to_ldap(const struct gw_dn *, const char *suffix,
	    struct gw_buf *b);
/* Convenience: newly allocated strings (caller frees). */
char	*gw_dn_ldap_str(const struct gw_dn *, const char *suffix);
char	*gw_dn_x500_str(const struct gw_dn *);
char	*gw_dn_dapi_str(const struct gw_dn *);

/*
 * One spelling of an LDAP DN whatever its escaping and case, for
 * comparing DNs as the server does (caller frees).
 */
char	*gw_dn_key(const char *ldap_dn);

/* RFC 4514 escaping of one attribute value. */
int	gw_ldap_escape_value(struct gw_buf *, const char *, size_t);
/* RFC 4515 escaping of one assertion value for a search filter. */
int	gw_filter_escape(struct gw_buf *, const char *, size_t);
/* Newly allocated "(attr=<escaped value>)" (caller frees). */
char	*gw_filter_eq(const char *attr, const char *value);

#endif
