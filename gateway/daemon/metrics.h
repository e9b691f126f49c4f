/*
 * metrics.h: per-connector figures of the last cycle for monitoring:
 * state_dir/metrics.prom in the Prometheus text format, rewritten
 * atomically after each cycle, and the same figures for status --json.
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "connector.h"
#include "err.h"

struct gw_state;
struct gw_txn;

/* What status and the metrics file say of one connector. */
struct connector_view {
	const char		*name;
	const char		*type;
	int			 has_run;
	struct gw_cycle_status	 last;
	int			 running;	/* its lock is held */
	uint64_t		 journal_lag;	/* head - its journal_usn */
	long long		 since_success;	/* seconds, -1: never */
	time_t			 next_run;	/* 0: not scheduled */
	const char		*state;		/* ok, running, failing,
						   lagging, never run */
};

int	connector_view(const struct gw_conf *, struct gw_txn *,
	    const struct conf_section *, time_t now, struct connector_view *,
	    struct gw_err *);
int	metrics_write(const struct gw_conf *, struct gw_state *,
	    struct gw_err *);

#endif
