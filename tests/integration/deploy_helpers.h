/*
 * deploy_helpers.h: what the deployment tests (mail clients, ACLs,
 * replication, systemd, install, man pages) share beside harness.h.
 */
#ifndef GW_DEPLOY_HELPERS_H
#define GW_DEPLOY_HELPERS_H

#include <stddef.h>

#include "harness.h"
#include "ports.h"

#define SLAPD_LAUNCHER	GALGATE_SOURCE_DIR "/deploy/galgate-slapd"
#define CCMAIL_SAMPLES	GALGATE_SOURCE_DIR "/deploy/samples/ccmail/export"

/* s in single quotes for sh, with embedded quotes escaped; malloc'd. */
char	*shq(const char *s);

/* Writes text to path with the given mode; aborts the test on failure. */
void	 write_file(const char *path, const char *text, int mode);
/* The whole file, or NULL; malloc'd. */
char	*read_text(const char *path);

/*
 * A client's search filter from its template and what the user typed,
 * built the way the client builds it: "%s" is the typed text; "%vN",
 * "%vN-", "%vN-M" and "%v$" are the words of it, as in the LDAP C SDK's
 * ldap_create_filter() that Thunderbird uses.  Values are RFC 4515
 * escaped.  Empty substring components ("smi**" when only one word was
 * typed) are dropped, as the client's filter encoder drops them on the
 * wire (OpenLDAP's own tools refuse them).  malloc'd.
 */
char	*client_filter(const char *tmpl, const char *typed);

/*
 * An LDIF text normalized for comparison: continuation lines joined,
 * each entry's lines sorted, the entries sorted.  malloc'd.
 */
char	*ldif_normalize(const char *ldif);

/* The sorted, space-separated values of attr in an LDIF text (one per
 * entry; "?" for an entry without it).  malloc'd. */
char	*ldif_values(const char *ldif, const char *attr);

#endif
