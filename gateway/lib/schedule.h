/*
 * schedule.h: connector schedules.  A schedule is one or more items, comma
 * separated or given as repeated keys: "every 30s|15m|2h", "daily HH:MM",
 * "weekly DAY HH:MM" (times in UTC).
 */
#ifndef GW_SCHEDULE_H
#define GW_SCHEDULE_H

#include <stdint.h>
#include <time.h>

enum gw_sched_kind {
	GW_SCHED_EVERY,
	GW_SCHED_DAILY,
	GW_SCHED_WEEKLY
};

struct gw_sched_item {
	enum gw_sched_kind kind;
	int64_t	 every;		/* seconds */
	int	 wday;		/* 0 = Sunday */
	int	 minute;	/* minutes after midnight */
};

#define GW_SCHED_MAX	16

struct gw_schedule {
	struct gw_sched_item item[GW_SCHED_MAX];
	int	 n;
};

/* Adds the items of s to sched; on error returns -1 with *errstr set. */
int	gw_schedule_parse(const char *s, struct gw_schedule *sched,
	    const char **errstr);
/* First run strictly after `after` ("every" items count from last). */
time_t	gw_schedule_next(const struct gw_schedule *, time_t last, time_t after);

#endif
