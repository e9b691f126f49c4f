#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "schedule.h"
#include "util.h"

Test(util, durations_and_sizes)
{
	const char *errstr;
	int64_t d;
	uint64_t s;

	cr_assert_eq(gw_parse_duration("90s", &d, &errstr), 0);
	cr_assert_eq(d, 90);
	cr_assert_eq(gw_parse_duration("2h", &d, &errstr), 0);
	cr_assert_eq(d, 7200);
	cr_assert_eq(gw_parse_duration("60d", &d, &errstr), 0);
	cr_assert_eq(d, 60 * 86400);
	cr_assert_eq(gw_parse_duration("5x", &d, &errstr), -1);
	cr_assert_eq(gw_parse_duration("-5m", &d, &errstr), -1);
	cr_assert_eq(gw_parse_size("64K", &s, &errstr), 0);
	cr_assert_eq(s, 65536);
	cr_assert_eq(gw_parse_size("2M", &s, &errstr), 0);
	cr_assert_eq(s, 2 * 1024 * 1024);
	cr_assert_eq(gw_parse_size("", &s, &errstr), -1);
}

Test(util, rfc3339_times)
{
	const char *errstr;
	char buf[32];
	time_t t;

	cr_assert_eq(gw_time_parse("2026-11-21T10:00:00Z", 0, &t, &errstr), 0);
	gw_time_format(t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-21T10:00:00Z");
	cr_assert_eq(gw_time_parse("2026-11-21T12:00:00+02:00", 0, &t,
	    &errstr), 0);
	gw_time_format(t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-21T10:00:00Z");
	cr_assert_eq(gw_time_parse("2h", 10000, &t, &errstr), 0);
	cr_assert_eq(t, 10000 - 7200);
	cr_assert_eq(gw_time_parse("2026-13-01T00:00:00Z", 0, &t, &errstr), -1);
}

Test(util, utf8_validation)
{
	cr_assert(gw_utf8_valid("Müller", strlen("Müller")));
	cr_assert(gw_utf8_valid("日本", strlen("日本")));
	cr_assert_not(gw_utf8_valid("\xff", 1));
	cr_assert_not(gw_utf8_valid("\xc3", 1));		/* truncated */
	cr_assert_not(gw_utf8_valid("\xc0\xaf", 2));		/* overlong */
	cr_assert_not(gw_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	cr_assert_not(gw_utf8_valid("a\0b", 3));
}

Test(util, buffer_ceiling_is_an_error)
{
	struct gw_buf b;

	gw_buf_init(&b, 8);
	cr_assert_eq(gw_buf_addstr(&b, "12345678"), 0);
	cr_assert_eq(gw_buf_addch(&b, '9'), -1);
	cr_assert_eq(b.len, 8);
	gw_buf_release(&b);
}

Test(schedule, parse_and_next)
{
	struct gw_schedule s;
	const char *errstr;
	time_t base, next;

	memset(&s, 0, sizeof(s));
	cr_assert_eq(gw_schedule_parse("daily 02:00, weekly sun 03:30", &s,
	    &errstr), 0);
	cr_assert_eq(s.n, 2);
	/* 2026-11-21 is a Saturday */
	cr_assert_eq(gw_time_parse("2026-11-21T10:00:00Z", 0, &base, &errstr),
	    0);
	next = gw_schedule_next(&s, 0, base);
	cr_assert_eq(next, base + 16 * 3600);	/* Sunday 02:00 */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(gw_schedule_parse("every 15m", &s, &errstr), 0);
	cr_assert_eq(gw_schedule_next(&s, base, base + 60), base + 900);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(gw_schedule_parse("daily 24:00", &s, &errstr), -1);
	cr_assert_eq(gw_schedule_parse("hourly", &s, &errstr), -1);
	cr_assert_eq(gw_schedule_parse("weekly funday 01:00", &s, &errstr), -1);
}
