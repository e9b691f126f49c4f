/*
 * sandbox-exec: runs a command under the system call filter a systemd
 * unit sets, so that a test can run galgate as its unit would without a
 * systemd to start it.
 *
 *   sandbox-exec ALLOWED -- COMMAND [ARG...]
 *
 * ALLOWED holds the names of the system calls the command may make, one
 * per line (the unit's SystemCallFilter= expanded; names this
 * architecture lacks are ignored).  Any other call kills the process
 * with SIGSYS, as systemd's filter does.  Mappings both writable and
 * executable are refused with EPERM (MemoryDenyWriteExecute=yes).  Sets
 * no_new_privs (NoNewPrivileges=yes) before loading the filter.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static int
fail(const char *what, int err)
{
	fprintf(stderr, "sandbox-exec: %s: %s\n", what, strerror(err));
	return 127;
}

/* allows every named call of the file; -errno on failure */
static int
allow_listed(scmp_filter_ctx ctx, const char *path, int *count)
{
	char line[128];
	FILE *fp;
	int nr, rc = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return -errno;
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		nr = seccomp_syscall_resolve_name(line);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not a call of this architecture */
		if (strcmp(line, "mmap") == 0 || strcmp(line, "mprotect") == 0 ||
		    strcmp(line, "pkey_mprotect") == 0)
			continue;	/* below, with the W^X rule */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		(*count)++;
	}
	fclose(fp);
	return rc;
}

/*
 * MemoryDenyWriteExecute: mmap and mprotect are allowed unless the
 * protection asks for both write and execute (EPERM then); the allow
 * list must name them, as systemd's does.
 */
static int
deny_write_execute(scmp_filter_ctx ctx)
{
	static const char *const calls[] = { "mmap", "mprotect", NULL };
	const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
	int i, nr, rc;

	for (i = 0; calls[i] != NULL; i++) {
		nr = seccomp_syscall_resolve_name(calls[i]);
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx));
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_A2(SCMP_CMP_MASKED_EQ, wx, PROT_EXEC));
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int rc, count = 0;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: sandbox-exec ALLOWED -- COMMAND "
		    "[ARG...]\n");
		return 2;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return fail("seccomp_init", ENOMEM);
	if ((rc = allow_listed(ctx, argv[1], &count)) != 0)
		return fail(argv[1], -rc);
	if (count < 100) {
		fprintf(stderr, "sandbox-exec: %s: only %d system calls; not "
		    "a unit's filter\n", argv[1], count);
		return 127;
	}
	if ((rc = deny_write_execute(ctx)) != 0)
		return fail("seccomp_rule_add", -rc);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail("PR_SET_NO_NEW_PRIVS", errno);
	if ((rc = seccomp_load(ctx)) != 0)
		return fail("seccomp_load", -rc);
	seccomp_release(ctx);
	execvp(argv[3], argv + 3);
	return fail(argv[3], errno);
}
