#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "failpoint.h"

Test(failpoint, unset_costs_nothing)
{
	unsetenv("GALGATE_FAILPOINT");
	cr_assert_eq(gw_failpoint_init(), 0);
	cr_assert_eq(gw_failpoints_armed, 0);
	cr_assert_eq(GW_FAILPOINT_ERRNO("file-write"), 0);
}

Test(failpoint, error_from_the_count_th_pass_on)
{
	setenv("GALGATE_FAILPOINT", "other:1,file-write:3:ENOSPC", 1);
	cr_assert_eq(gw_failpoint_init(), 0);
	cr_assert_eq(gw_failpoints_armed, 1);
	cr_assert_eq(GW_FAILPOINT_ERRNO("file-write"), 0);
	cr_assert_eq(GW_FAILPOINT_ERRNO("file-writes"), 0);
	cr_assert_eq(GW_FAILPOINT_ERRNO("file-write"), 0);
	cr_assert_eq(GW_FAILPOINT_ERRNO("file-write"), ENOSPC);
	cr_assert_eq(errno, ENOSPC);
	/* a full disk stays full */
	cr_assert_eq(GW_FAILPOINT_ERRNO("file-write"), ENOSPC);
	unsetenv("GALGATE_FAILPOINT");
	gw_failpoint_init();
}

Test(failpoint, kill_on_the_count_th_pass, .signal = SIGKILL)
{
	setenv("GALGATE_FAILPOINT", "ldap-write:2", 1);
	cr_assert_eq(gw_failpoint_init(), 0);
	GW_FAILPOINT("ldap-write");
	GW_FAILPOINT("ldap-write");
	cr_assert_fail("the second pass did not kill");
}

Test(failpoint, malformed_spec_refused)
{
	static const char *bad[] = { "name", "name:", "name:0", "name:x",
	    ":3", "name:1:EWHAT", NULL };
	char said[4096], want[128];
	size_t i, n;
	FILE *err;

	cr_redirect_stderr();
	for (i = 0; bad[i] != NULL; i++) {
		setenv("GALGATE_FAILPOINT", bad[i], 1);
		cr_assert_eq(gw_failpoint_init(), -1, "accepted \"%s\"", bad[i]);
		cr_assert_eq(gw_failpoints_armed, 0);
	}
	unsetenv("GALGATE_FAILPOINT");
	fflush(stderr);
	err = cr_get_redirected_stderr();
	n = fread(said, 1, sizeof(said) - 1, err);
	said[n] = '\0';
	/* each refusal names the entry it could not read */
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(want, sizeof(want), "bad entry \"%s\"", bad[i]);
		cr_assert_not_null(strstr(said, want), "no \"%s\" in: %s", want,
		    said);
	}
}

Test(failpoint, trace_names_every_pass)
{
	unsetenv("GALGATE_FAILPOINT");
	setenv("GALGATE_FAILPOINT_TRACE", "1", 1);
	cr_redirect_stderr();
	cr_assert_eq(gw_failpoint_init(), 0);
	cr_assert_eq(gw_failpoints_armed, 1);
	GW_FAILPOINT("ldap-write");
	GW_FAILPOINT("state-committed");
	GW_FAILPOINT("ldap-write");
	fflush(stderr);
	cr_assert_stderr_eq_str("galgate: failpoint ldap-write pass 1\n"
	    "galgate: failpoint state-committed pass 1\n"
	    "galgate: failpoint ldap-write pass 2\n");
	unsetenv("GALGATE_FAILPOINT_TRACE");
	gw_failpoint_init();
}
