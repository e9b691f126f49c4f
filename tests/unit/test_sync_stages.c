/*
 * The pipeline's shared pieces that do no I/O: the deletion threshold's
 * decision and messages, the shadow value form, growing arrays.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "threshold.h"
#include "util.h"
#include "watermark.h"

static int
check(const char *threshold, size_t ndel, size_t total, long allow,
    struct gw_err *err)
{
	struct gw_cycle cy;
	struct gw_threshold t;
	struct gw_deletions d = {
		.ndel = ndel, .total = total, .event = 2006,
		.who = "the cycle", .what = "entries imported from cc:Mail",
		.in = "the GAL",
	};
	const char *errstr;

	memset(&cy, 0, sizeof(cy));
	cy.dry_run = 1;		/* decides and says why, logs no event */
	cy.allow_deletes = allow;
	cr_assert_eq(conf_parse_threshold(threshold, &t, &errstr), 0, "%s",
	    threshold);
	gw_err_init(err);
	return gw_check_deletions(&cy, "cc", &t, &d, err);
}

Test(threshold, the_larger_of_share_and_count_and_allow_deletes)
{
	struct gw_err err;

	/* 10% of 100 is 10, above the count of 2 */
	cr_assert_eq(check("10%, 2", 10, 100, 0, &err), 0);
	cr_assert_eq(check("10%, 2", 11, 100, 0, &err), -1);
	cr_assert_eq(err.exit, GW_EXIT_THRESHOLD);
	cr_assert_str_eq(err.msg, "cc: 11 deletions in the GAL exceed "
	    "delete_threshold; nothing written");
	/* a small container: the count decides */
	cr_assert_eq(check("10%, 2", 2, 3, 0, &err), 0);
	cr_assert_eq(check("10%, 2", 3, 3, 0, &err), -1);
	/* --allow-deletes N lets up to N through, no more */
	cr_assert_eq(check("10%, 2", 3, 3, 3, &err), 0);
	cr_assert_eq(check("10%, 2", 4, 4, 3, &err), -1);
	/* 100% switches it off */
	cr_assert_eq(check("100%", 1000, 1000, 0, &err), 0);
	cr_assert_eq(check("10%, 2", 0, 0, 0, &err), 0);
}

Test(shadow_value, fields_round_trip_and_older_values_read)
{
	static const unsigned char hash[GW_HASH_LEN] = { 1, 2, 3 };
	const char *f[] = { "cn=Smith\\, Jimmy,o=x", "jsmith", NULL };
	struct gw_shadow_value sv;
	struct gw_buf b;
	char *s, old[GW_HASH_LEN + 16];

	gw_buf_init(&b, 0);
	gw_shadow_value_put(&b, hash, f, 3);
	cr_assert_eq(gw_shadow_value_read(b.buf, b.len, &sv), 0);
	cr_assert_eq(memcmp(sv.hash, hash, GW_HASH_LEN), 0);
	cr_assert_eq(sv.n, 3, "%zu fields", sv.n);
	s = gw_shadow_field(&sv, 0);
	cr_assert_str_eq(s, f[0]);
	free(s);
	s = gw_shadow_field(&sv, 2);	/* NULL was written as "" */
	cr_assert_str_eq(s, "");
	free(s);
	s = gw_shadow_field(&sv, 3);	/* beyond the value */
	cr_assert_str_eq(s, "");
	free(s);
	gw_buf_release(&b);

	/* the last field without its NUL, as earlier versions wrote it */
	memcpy(old, hash, GW_HASH_LEN);
	memcpy(old + GW_HASH_LEN, "Pat\0pat@x", 9);
	cr_assert_eq(gw_shadow_value_read(old, GW_HASH_LEN + 9, &sv), 0);
	cr_assert_eq(sv.n, 2);
	s = gw_shadow_field(&sv, 1);
	cr_assert_str_eq(s, "pat@x");
	free(s);
	/* too short for a fingerprint and a field */
	cr_assert_eq(gw_shadow_value_read(old, GW_HASH_LEN, &sv), -1);
}

Test(util, arrays_grow_by_doubling_and_keep_their_elements)
{
	size_t *v = NULL, n, i;

	for (n = 0; n < 5000; n++) {
		v = gw_grow(v, n, sizeof(*v));
		v[n] = n * 7;
	}
	for (i = 0; i < n; i++)
		cr_assert_eq(v[i], i * 7, "element %zu", i);
	/* down and up again: the room is still there */
	for (n = 3; n < 40; n++) {
		v = gw_grow(v, n, sizeof(*v));
		v[n] = n;
	}
	cr_assert_eq(v[39], 39);
	free(v);
}
