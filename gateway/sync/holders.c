/* holders.c: see holders.h. */
#include <stdlib.h>
#include <string.h>

#include "dn.h"
#include "holders.h"
#include "recipient.h"

struct held {
	char		*except;	/* gw_dn_key of the excepted DN, or NULL */
	const char	*connector;	/* whose entries do not count, or NULL */
	char		*holder;
};

static int
held_cb(void *arg, const struct gw_record *rec)
{
	struct held *h = arg;
	char *k;

	if (h->holder != NULL || rec->dn == NULL)
		return 0;
	if (h->connector != NULL && gw_recipient_owned(rec, h->connector,
	    NULL))
		return 0;
	k = gw_dn_key(rec->dn);
	if (h->except == NULL || strcmp(k, h->except) != 0)
		h->holder = gw_strdup(rec->dn);
	free(k);
	return 0;
}

char *
gw_smtp_filter(const char *addr)
{
	struct gw_buf f;

	gw_buf_init(&f, 0);
	gw_buf_addstr(&f, "(|(mail=");
	gw_filter_escape(&f, addr, strlen(addr));
	gw_buf_addstr(&f, ")(galgateProxyAddress=smtp:");
	gw_filter_escape(&f, addr, strlen(addr));
	gw_buf_addstr(&f, "))");
	return gw_buf_detach(&f);
}

int
gw_smtp_held(struct gal *gal, const char *base, const char *addr,
    const char *except_dn, const char *except_connector, char **holder,
    struct gw_err *err)
{
	static const char *const owner[] = { "galgateConnector",
	    "galgateForeignKey", NULL };
	struct held h = { NULL, except_connector, NULL };
	char *filter = gw_smtp_filter(addr);
	int missing, rc;

	if (holder != NULL)
		*holder = NULL;
	if (except_dn != NULL)
		h.except = gw_dn_key(except_dn);
	rc = gal_search(gal, base, GAL_SCOPE_SUB, filter, owner, held_cb, &h,
	    &missing, err);
	free(filter);
	free(h.except);
	if (rc == -1) {
		free(h.holder);
		return -1;
	}
	if (h.holder == NULL)
		return 0;
	if (holder != NULL)
		*holder = h.holder;
	else
		free(h.holder);
	return 1;
}
