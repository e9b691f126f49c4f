/*
 * container.c: containers named in a connector's section (container.h).
 * The configuration check (conf.c) has already refused a value that does
 * not parse or names an unknown type; parsing again here cannot fail for
 * a loaded configuration, but says why if it does.
 */
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "util.h"

static unsigned
parse_types(const char *types)
{
	unsigned mask = 0;
	char **tok;
	size_t n, i;

	if (types == NULL)
		return GW_CT_ALL;
	tok = conf_tokens(types, &n);
	for (i = 0; i < n; i++)
		mask |= gw_strcaseeq(tok[i], "dl") ? GW_CT_DL :
		    gw_strcaseeq(tok[i], "custom") ? GW_CT_CUSTOM :
		    GW_CT_MAILBOX;
	conf_tokens_free(tok, n);
	return mask;
}

int
gw_container_parse(struct gw_container *c, const char *value,
    const char *suffix, struct gw_err *err)
{
	char *dnpart, *types;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	gw_dn_init(&c->dn);
	conf_split_types(value, &dnpart, &types);
	c->types = parse_types(types);
	if (gw_dn_parse_x500(dnpart, &c->dn, err) == -1)
		goto done;
	c->x500 = gw_dn_x500_str(&c->dn);
	c->ldap = gw_dn_ldap_str(&c->dn, suffix);
	rc = 0;
done:
	free(dnpart);
	free(types);
	return rc;
}

void
gw_container_release(struct gw_container *c)
{
	free(c->x500);
	gw_dn_release(&c->dn);
	free(c->ldap);
	memset(c, 0, sizeof(*c));
}

int
gw_containers_read(const struct conf_section *sec, const char *key,
    const char *suffix, struct gw_container **out, size_t *n,
    struct gw_err *err)
{
	const struct conf_entry *e;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	while ((e = conf_next(sec, key, &i)) != NULL) {
		*out = gw_grow(*out, *n, sizeof(**out));
		if (gw_container_parse(&(*out)[*n], e->value, suffix,
		    err) == -1) {
			gw_container_release(&(*out)[*n]);
			gw_containers_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	return 0;
}

void
gw_containers_free(struct gw_container *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		gw_container_release(&v[i]);
	free(v);
}

int
gw_container_takes(const struct gw_container *c, enum gw_rcpt_type t)
{
	unsigned bit = t == GW_RCPT_DL ? GW_CT_DL : t == GW_RCPT_MAILBOX ?
	    GW_CT_MAILBOX : GW_CT_CUSTOM;

	return (c->types & bit) != 0;
}
