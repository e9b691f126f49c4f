/*
 * threshold.c: the deletion threshold stage (threshold.h).
 */
#include <stddef.h>
#include <stdlib.h>

#include "evlog.h"
#include "gal.h"
#include "recipient.h"
#include "threshold.h"

static int
count_cb(void *arg, const struct gw_record *rec)
{
	(void)rec;
	(*(size_t *)arg)++;
	return 0;
}

/* The entries the connector owns one level below dn, read from LDAP. */
static int
count_owned(struct gw_cycle *cy, const char *connector, const char *dn,
    size_t *n, struct gw_err *err)
{
	static const char *const none[] = { "1.1", NULL };
	char *filter = gw_recipient_owner_filter(connector);
	int missing, rc;

	*n = 0;
	rc = gal_search(cy->gal, dn, GAL_SCOPE_ONE, filter, none, count_cb, n,
	    &missing, err);
	free(filter);
	return rc;
}

void
gw_threshold_conf(const struct conf_section *sec, struct gw_threshold *t)
{
	const char *errstr;

	/* the configuration check refused a value that does not parse */
	(void)conf_parse_threshold(conf_get(sec, "delete_threshold",
	    GW_DELETE_THRESHOLD_DEFAULT), t, &errstr);
}

int
gw_check_deletions(struct gw_cycle *cy, const char *connector,
    const struct gw_threshold *t, const struct gw_deletions *d,
    struct gw_err *err)
{
	size_t total = d->total;

	/* within the fixed count, no share of any total can stop it */
	if (d->ndel == 0 || t->pct >= 100 || d->ndel <= (size_t)t->count)
		return 0;
	if (d->owned_in != NULL &&
	    count_owned(cy, connector, d->owned_in, &total, err) == -1)
		return -1;
	if (!gw_threshold_exceeded(t, d->ndel, total, cy->allow_deletes))
		return 0;
	if (!cy->dry_run)
		evlog_emit(cy->ev, d->event, GW_SEV_ERROR, connector, d->x500,
		    "%s would delete %zu of the %zu %s: more than "
		    "delete_threshold allows; nothing written%s (%s"
		    "--allow-deletes %zu to accept)", d->who, d->ndel, total,
		    d->what, d->then != NULL ? d->then : "",
		    d->hint != NULL ? d->hint : "", d->ndel);
	return gw_err_set(err, GW_EXIT_THRESHOLD, "%s: %s%s%zu deletions%s%s "
	    "exceed delete_threshold; nothing written", connector,
	    d->scope != NULL ? d->scope : "", d->scope != NULL ? ": " : "",
	    d->ndel, d->in != NULL ? " in " : "", d->in != NULL ? d->in : "");
}
