/*
 * evlog.h: the event log.  Every event has a stable numeric ID, a
 * severity, the connector, the object's DN (Exchange form where one
 * exists) and a text; it goes to syslog and as one JSON line to
 * state_dir/events.jsonl.
 *
 * IDs: 1000-1999 gateway core, 2000-2999 cc:Mail, 3000-3999 MS Mail
 * dir-sync, 4000-4999 InterOrg.
 */
#ifndef GW_EVLOG_H
#define GW_EVLOG_H

#include <stdio.h>
#include <time.h>

#include "err.h"

enum gw_sev {
	GW_SEV_INFO,
	GW_SEV_WARNING,
	GW_SEV_ERROR
};

/* gateway core events */
enum {
	EV_JOURNAL_RESYNC = 1001,	/* GAL replaced or restored: full resync */
	EV_JOURNAL_REFRESH = 1002,	/* server asked for a full refresh */
	EV_JOURNAL_PURGE = 1003,	/* old records and tombstones dropped */
	EV_JOURNAL_PRESENT = 1004,	/* refresh ended in a present phase */
	EV_JOURNAL_BEHIND = 1005,	/* contextCSN behind the marker */
	EV_INIT_CREATED = 1010,		/* init or a cycle created a container */
	EV_CYCLE_START = 1020,
	EV_CYCLE_OK = 1021,
	EV_CYCLE_FAILED = 1022,
	EV_CYCLE_THRESHOLD = 1023,	/* stopped by the deletion threshold */
	EV_LDAP_WRITE_FAILED = 1030,
	EV_RESET = 1040,
	EV_REFORMED = 1045		/* entries brought to this form */
};

struct gw_evlog {
	int	 fd;		/* events.jsonl, or -1 */
	int	 use_syslog;
	FILE	*echo;		/* warnings and errors also printed here */
};

/* Opens state_dir/events.jsonl for appending (state_dir may be NULL). */
int	evlog_open(struct gw_evlog *, const char *state_dir, struct gw_err *);
void	evlog_close(struct gw_evlog *);
void	evlog_emit(struct gw_evlog *, int id, enum gw_sev,
	    const char *connector, const char *dn, const char *fmt, ...)
	    __attribute__((__format__(printf, 6, 7)));
const char *evlog_sev_name(enum gw_sev);

/*
 * Prints events of state_dir/events.jsonl, filtered by connector (NULL:
 * all) and time (0: all), as text or as the JSON lines themselves.
 */
int	evlog_print(const char *state_dir, const char *connector, time_t since,
	    int json, FILE *out, struct gw_err *);

/* Appends s to b as a JSON string literal with quotes. */
struct gw_buf;
int	gw_json_string(struct gw_buf *, const char *s);

#endif
