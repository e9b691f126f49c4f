/*
 * container.h: a container named in a connector's section
 * (import_container, export_container): its Exchange form, its DN parsed,
 * its LDAP DN below the GAL's suffix, and the recipient types it is
 * limited to ("/o=Org/ou=Site/cn=Recipients types=mailbox,dl").
 */
#ifndef GW_CONTAINER_H
#define GW_CONTAINER_H

#include <stddef.h>

#include "conf.h"
#include "dn.h"
#include "err.h"
#include "recipient.h"

/*
 * The types a container takes.  The values are part of stored
 * configuration fingerprints (InterOrg's shadow): never renumber them.
 */
#define GW_CT_MAILBOX	0x1
#define GW_CT_DL	0x2
#define GW_CT_CUSTOM	0x4
#define GW_CT_ALL	0x7

/* export_container of a connector that takes every type */
#define GW_KEY_EXPORT_CONTAINER(help) \
	{ "export_container", CONF_X500, CONF_MULTI | CONF_EXPORT, 0, 0, \
	    NULL, help }

struct gw_container {
	char		*x500;		/* normalized Exchange form */
	struct gw_dn	 dn;
	char		*ldap;		/* below the GAL's suffix */
	unsigned	 types;		/* GW_CT_*: all when none is named */
};

/* Parses value ("DN" or "DN types=a,b"); 0, or -1 with err set. */
int	gw_container_parse(struct gw_container *, const char *value,
	    const char *suffix, struct gw_err *);
void	gw_container_release(struct gw_container *);

/*
 * Every value of key in sec, in order: *out an array of *n (both 0 when
 * the key is absent), released with gw_containers_free.
 */
int	gw_containers_read(const struct conf_section *, const char *key,
	    const char *suffix, struct gw_container **out, size_t *n,
	    struct gw_err *);
void	gw_containers_free(struct gw_container *, size_t n);

/* 1 if the container takes recipients of type t. */
int	gw_container_takes(const struct gw_container *, enum gw_rcpt_type);

#endif
