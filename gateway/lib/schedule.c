#include <ctype.h>
#include <string.h>

#include "schedule.h"
#include "util.h"

static const char *days[] = { "sun", "mon", "tue", "wed", "thu", "fri",
    "sat" };

static int
parse_hhmm(const char *s, int *minute)
{
	const char *errstr;
	char h[3], m[3];
	long long hh, mm;

	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	memcpy(h, s, 2);
	h[2] = '\0';
	memcpy(m, s + 3, 2);
	m[2] = '\0';
	hh = gw_strtonum(h, 0, 23, &errstr);
	if (errstr != NULL)
		return -1;
	mm = gw_strtonum(m, 0, 59, &errstr);
	if (errstr != NULL)
		return -1;
	*minute = (int)(hh * 60 + mm);
	return 0;
}

static int
parse_item(char *s, struct gw_sched_item *it, const char **errstr)
{
	char *w[4];
	int n = 0, d;

	while (n < 4 && (w[n] = strtok_r(n == 0 ? s : NULL, " \t", &s)) != NULL)
		n++;
	if (n == 2 && gw_strcaseeq(w[0], "every")) {
		it->kind = GW_SCHED_EVERY;
		if (gw_parse_duration(w[1], &it->every, errstr) == -1 ||
		    it->every < 1) {
			*errstr = "'every' needs a duration such as 30s, 15m, 2h";
			return -1;
		}
		return 0;
	}
	if (n == 2 && gw_strcaseeq(w[0], "daily")) {
		it->kind = GW_SCHED_DAILY;
		if (parse_hhmm(w[1], &it->minute) == -1) {
			*errstr = "'daily' needs a time HH:MM";
			return -1;
		}
		return 0;
	}
	if (n == 3 && gw_strcaseeq(w[0], "weekly")) {
		it->kind = GW_SCHED_WEEKLY;
		for (d = 0; d < 7; d++)
			if (gw_strncaseeq(w[1], days[d], 3) &&
			    (strlen(w[1]) == 3 || strlen(w[1]) >= 6))
				break;
		if (d == 7) {
			*errstr = "'weekly' needs a day (sun..sat) and HH:MM";
			return -1;
		}
		it->wday = d;
		if (parse_hhmm(w[2], &it->minute) == -1) {
			*errstr = "'weekly' needs a day (sun..sat) and HH:MM";
			return -1;
		}
		return 0;
	}
	*errstr = "expected 'every DURATION', 'daily HH:MM' or 'weekly DAY HH:MM'";
	return -1;
}

int
gw_schedule_parse(const char *s, struct gw_schedule *sched,
    const char **errstr)
{
	char buf[512], *p, *item, *save = NULL;

	*errstr = NULL;
	if (strlen(s) >= sizeof(buf)) {
		*errstr = "schedule too long";
		return -1;
	}
	memcpy(buf, s, strlen(s) + 1);
	for (p = buf; (item = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		item = gw_trim(item);
		if (*item == '\0')
			continue;
		if (sched->n == GW_SCHED_MAX) {
			*errstr = "too many schedule items";
			return -1;
		}
		if (parse_item(item, &sched->item[sched->n], errstr) == -1)
			return -1;
		sched->n++;
	}
	if (sched->n == 0) {
		*errstr = "empty schedule";
		return -1;
	}
	return 0;
}

time_t
gw_schedule_next(const struct gw_schedule *sched, time_t last, time_t after)
{
	time_t best = 0, t, day;
	struct tm tm;
	int i, k;

	for (i = 0; i < sched->n; i++) {
		const struct gw_sched_item *it = &sched->item[i];

		if (it->kind == GW_SCHED_EVERY) {
			t = last == 0 ? after : last + it->every;
			if (t <= after)
				t = after + 1;
		} else {
			gmtime_r(&after, &tm);
			day = after - (tm.tm_hour * 3600 + tm.tm_min * 60 +
			    tm.tm_sec);
			t = 0;
			for (k = 0; k <= 7; k++) {
				time_t cand = day + (time_t)k * 86400 +
				    it->minute * 60;
				int wday = (tm.tm_wday + k) % 7;

				if (cand <= after)
					continue;
				if (it->kind == GW_SCHED_WEEKLY &&
				    wday != it->wday)
					continue;
				t = cand;
				break;
			}
		}
		if (t != 0 && (best == 0 || t < best))
			best = t;
	}
	return best;
}
