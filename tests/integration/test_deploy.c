/*
 * Deployment: "cmake --install" into a DESTDIR lays out the tree Debian
 * expects and that tree works; the systemd units pass systemd-analyze
 * verify (and its offline security review) and the daemon works inside
 * the daemon unit's sandbox; the man pages document every
 * command and option of "galgate --help" and every configuration key of
 * README.md's tables.
 */
#include <libgen.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "deploy_helpers.h"

static struct env env;
static char root[128];		/* the DESTDIR */

static void
teardown(void)
{
	struct out o;

	if (root[0] != '\0' && env.dir[0] != '\0') {
		o = run(SLAPD_LAUNCHER " stop %s/state", env.dir);
		out_free(&o);
	}
	root[0] = '\0';
	env_stop(&env);
}

/* cmake --install of the build these tests belong to, into DIR/root. */
static void
setup_install(void)
{
	char bin[] = GALGATE_BINARY, *build;
	struct out o;

	env_prepare(&env, "");
	snprintf(root, sizeof(root), "%s/root", env.dir);
	build = dirname(bin);
	o = run("DESTDIR=%s cmake --install %s --prefix /usr", root, build);
	cr_assert_eq(o.status, 0, "cmake --install: %s", o.text);
	out_free(&o);
}

static void
assert_file(const char *rel, int mode)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	cr_assert_eq(stat(path, &st), 0, "not installed: %s", rel);
	cr_assert(S_ISREG(st.st_mode), "%s: not a file", rel);
	cr_assert_eq(st.st_mode & 0777, (unsigned)mode, "%s: mode %o, not %o",
	    rel, st.st_mode & 0777, mode);
}

Test(deploy, cmake_install_lays_out_a_debian_tree_that_works,
    .init = setup_install, .fini = teardown)
{
	char conf[1024];
	struct out o;

	assert_file("/usr/sbin/galgate", 0755);
	assert_file("/usr/share/galgate/galgate-slapd", 0755);
	assert_file("/usr/share/galgate/schema/galgate.schema", 0644);
	assert_file("/usr/share/galgate/schema/galgate.ldif", 0644);
	assert_file("/etc/ldap/schema/galgate.schema", 0644);
	assert_file("/etc/ldap/schema/galgate.ldif", 0644);
	assert_file("/usr/share/galgate/acl/connectors.conf", 0644);
	assert_file("/usr/share/galgate/acl/identities.ldif", 0644);
	assert_file("/usr/share/doc/galgate/examples/galgate.conf.example",
	    0644);
	assert_file("/usr/share/man/man8/galgate.8", 0644);
	assert_file("/usr/share/man/man5/galgate.conf.5", 0644);
	assert_file("/lib/systemd/system/galgate.service", 0644);
	assert_file("/lib/systemd/system/galgate-slapd.service", 0644);
	assert_file("/lib/systemd/system/galgate-sync@.service", 0644);
	assert_file("/lib/systemd/system/galgate-sync@.timer", 0644);
	assert_file("/usr/lib/sysusers.d/galgate.conf", 0644);
	o = run("cmp %s/etc/ldap/schema/galgate.schema " GALGATE_SOURCE_DIR
	    "/schema/galgate.schema", root);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);

	/* the dedicated user, as systemd-sysusers creates it */
	o = run("mkdir -p %s/etc && systemd-sysusers --root=%s && "
	    "grep '^galgate:' %s/etc/passwd", root, root, root);
	cr_assert_eq(o.status, 0, "systemd-sysusers: %s", o.text);
	cr_assert(strstr(o.text, ":/var/lib/galgate:") != NULL, "%s", o.text);
	out_free(&o);

	/* the man pages format without a warning */
	o = run("for p in %s/usr/share/man/man8/galgate.8 "
	    "%s/usr/share/man/man5/galgate.conf.5; do "
	    "groff -man -ww -z \"$p\" || exit 1; done", root, root);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_str_eq(o.text, "", "groff warnings: %s", o.text);
	out_free(&o);

	/* the installed launcher finds the installed schema, and the
	 * installed galgate works against it */
	snprintf(conf, sizeof(conf), "[gal]\nsuffix = " SUFFIX "\n"
	    "organization = Contoso\nsite = HQ\nstate_dir = %s/state\n",
	    env.dir);
	write_file(env.conf, conf, 0600);
	o = run("env -u GALGATE_SCHEMA_DIR %s/usr/share/galgate/galgate-slapd "
	    "start %s/state --conf %s", root, env.dir, env.conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	o = run("grep '^include' %s/state/slapd/slapd.conf", env.dir);
	cr_assert(strstr(o.text, root) != NULL &&
	    strstr(o.text, "/usr/share/galgate/schema/galgate.schema") != NULL,
	    "%s", o.text);
	out_free(&o);
	o = run("%s/usr/sbin/galgate -c %s init && %s/usr/sbin/galgate -c %s "
	    "journal", root, env.conf, root, env.conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "cn=Recipients,ou=HQ") != NULL, "%s", o.text);
	out_free(&o);
}

/*
 * systemd-analyze verify checks that the commands a unit runs exist, so
 * the units are verified as installed, with /usr/sbin/galgate and
 * /usr/share/galgate/ pointing into the DESTDIR; nothing else changes.
 * It needs no running systemd (this machine has none as PID 1).  Every
 * line it prints is a finding: it reports unknown or malformed settings
 * as warnings but still exits 0.
 */
static struct out
verify(const char *dir, const char *units)
{
	return run("cd %s && systemd-analyze verify --man=no %s", dir, units);
}

Test(deploy, systemd_units_pass_systemd_analyze_verify,
    .init = setup_install, .fini = teardown)
{
	static const char *const units[] = { "galgate.service",
	    "galgate-slapd.service", "galgate-sync@.service",
	    "galgate-sync@.timer", NULL };
	char dir[256];
	struct out o;
	size_t i;

	o = run("command -v systemd-analyze");
	cr_assert_eq(o.status, 0, "systemd-analyze is not installed: "
	    "deploy/install-deps.sh --test installs the package systemd");
	out_free(&o);
	snprintf(dir, sizeof(dir), "%s/units", env.dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	for (i = 0; units[i] != NULL; i++) {
		o = run("sed -e 's|/usr/sbin/galgate|%s/usr/sbin/galgate|g' "
		    "-e 's|/usr/share/galgate/|%s/usr/share/galgate/|g' "
		    "%s/lib/systemd/system/%s > %s/%s", root, root, root,
		    units[i], dir, units[i]);
		cr_assert_eq(o.status, 0, "%s", o.text);
		out_free(&o);
	}

	/* first, that verify works here at all and reports what it finds */
	o = run("printf '[Service]\\nExecStart=/bin/true\\nProtectSystem="
	    "bogus\\n' > %s/control.service", dir);
	out_free(&o);
	o = verify(dir, "control.service");
	cr_assert(strstr(o.text, "bogus") != NULL, "systemd-analyze verify "
	    "does not work in this environment (exit %d): %s", o.status,
	    o.text);
	out_free(&o);
	o = run("rm %s/control.service", dir);
	out_free(&o);

	/* the units, the template through an instance */
	o = verify(dir, "galgate.service galgate-slapd.service "
	    "galgate-sync@ccmail.service galgate-sync@ccmail.timer");
	cr_assert_eq(o.status, 0, "systemd-analyze verify: %s", o.text);
	cr_assert_str_eq(o.text, "", "systemd-analyze verify: %s", o.text);
	out_free(&o);

	/* the hardening, as systemd rates it (0 safe .. 10 exposed) */
	o = run("cd %s && systemd-analyze security --offline=true "
	    "--threshold=20 galgate.service galgate-sync@ccmail.service "
	    "galgate-slapd.service", dir);
	cr_assert_eq(o.status, 0, "exposure above 2.0: %s", o.text);
	out_free(&o);

	/* what the issue asks of the daemon's unit, literally */
	o = run("grep -x -e 'User=galgate' -e 'ProtectSystem=strict' "
	    "-e 'StateDirectory=galgate' -e 'NoNewPrivileges=yes' "
	    "-e 'ExecStart=/usr/sbin/galgate -c /etc/galgate/galgate.conf run'"
	    " %s/lib/systemd/system/galgate.service", root);
	cr_assert_eq(count_of(o.text, "\n"), 5, "%s", o.text);
	out_free(&o);
	o = run("grep -x 'ExecStart=/usr/sbin/galgate -c /etc/galgate/"
	    "galgate.conf sync %%i' %s/lib/systemd/system/galgate-sync@.service",
	    root);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

/*
 * The installed daemon works inside the sandbox galgate.service puts it
 * in (tests/integration/unit-sandbox.sh builds it from the unit's own
 * lines, without systemd): an unprivileged user without capabilities,
 * no_new_privs, the unit's system call filter (a call outside it kills
 * with SIGSYS) and no writable-and-executable memory, every mount
 * read-only but the state and import directories.  A sync writes the
 * cc:Mail users into the GAL; the daemon exports a GAL recipient added
 * meanwhile on its schedule and exits 0 on SIGTERM.
 */
Test(deploy, daemon_works_inside_the_units_sandbox,
    .init = setup_install, .fini = teardown)
{
	struct out o;

	/* the sandbox below is built from these lines of the unit */
	o = run("grep -x -e 'User=galgate' -e 'NoNewPrivileges=yes' "
	    "-e 'ProtectSystem=strict' -e 'StateDirectory=galgate' "
	    "-e 'MemoryDenyWriteExecute=yes' -e 'CapabilityBoundingSet=' "
	    "-e 'SystemCallFilter=@system-service' "
	    "-e 'SystemCallFilter=~@privileged @resources' "
	    "%s/lib/systemd/system/galgate.service", root);
	cr_assert_eq(count_of(o.text, "\n"), 8, "the unit's sandbox changed; "
	    "update unit-sandbox.sh: %s", o.text);
	out_free(&o);

	o = run("sh " GALGATE_SOURCE_DIR "/tests/integration/unit-sandbox.sh "
	    "%s %s %d " SANDBOX_EXEC " " CCMAIL_SAMPLES, root, env.dir,
	    test_port());
	cr_assert_eq(o.status, 0, "%s", o.text);
	if (strstr(o.text, "user: the test's own") != NULL)
		fprintf(stderr, "deploy: not root: the sandboxed galgate ran as "
		    "the test's user, not nobody\n");
	/* where this system cannot give a read-only file system, the rest
	 * of the sandbox still applies, and the test says so */
	if (strstr(o.text, "mounts: not emulated") != NULL)
		fprintf(stderr, "deploy: the unit's read-only file system was "
		    "not emulated:\n%s", o.text);
	else
		cr_assert(strstr(o.text, "mounts: read-only but the state and "
		    "import directories\n") != NULL &&
		    strstr(o.text, " read-only\n") != NULL, "%s", o.text);
	/* (the unit's filter holds hundreds of calls, its ~ line took some) */
	cr_assert(strstr(o.text, "filter: 2 lines") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "init: exit 0\n") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "sync: exit 0\n") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "status: exit 0\n") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "ldapadd: exit 0\n") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "daemon: exported the new recipient\n") !=
	    NULL, "%s", o.text);
	cr_assert(strstr(o.text, "daemon: exit 0\n") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "namespace: exit 0\n") != NULL, "%s", o.text);
	cr_assert(strstr(o.text, "users: 0\n") == NULL &&
	    strstr(o.text, "users: ") != NULL, "no cc:Mail user in the GAL: %s",
	    o.text);
	out_free(&o);
}

/* 1 if page has a line ".B term", ".BR term ..." or ".B term ..." */
static int
roff_term(const char *page, const char *term)
{
	static const char *const macro[] = { ".B ", ".BR ", ".BI ", NULL };
	const char *line;
	size_t i, n = strlen(term);

	for (line = page; line != NULL && *line != '\0';) {
		for (i = 0; macro[i] != NULL; i++) {
			size_t m = strlen(macro[i]);

			if (strncmp(line, macro[i], m) == 0 &&
			    strncmp(line + m, term, n) == 0 &&
			    (line[m + n] == '\n' || line[m + n] == ' ' ||
			    line[m + n] == '\0'))
				return 1;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return 0;
}

/* an option as roff writes it: every "-" as "\-" */
static char *
roff_dashes(const char *opt)
{
	char *s = malloc(strlen(opt) * 2 + 1), *o = s;

	cr_assert_not_null(s);
	for (; *opt != '\0'; opt++) {
		if (*opt == '-')
			*o++ = '\\';
		*o++ = *opt;
	}
	*o = '\0';
	return s;
}

Test(deploy, man_pages_follow_help_and_readme)
{
	char *page8 = read_text(GALGATE_SOURCE_DIR "/man/galgate.8");
	char *page5 = read_text(GALGATE_SOURCE_DIR "/man/galgate.conf.5");
	char *readme = read_text(GALGATE_SOURCE_DIR "/README.md");
	char cmd[64], key[64], *opt, *sec, *end;
	const char *p, *line;
	struct out help;
	size_t ncmd = 0, nopt = 0, nkey = 0;
	regex_t re;
	regmatch_t m[2];

	cr_assert_not_null(page8);
	cr_assert_not_null(page5);
	cr_assert_not_null(readme);
	help = run(GALGATE_BINARY " --help");
	cr_assert_eq(help.status, 0, "%s", help.text);

	/* every command under "commands:" has its own entry in galgate(8) */
	p = strstr(help.text, "\ncommands:\n");
	cr_assert_not_null(p, "%s", help.text);
	for (line = p + strlen("\ncommands:\n"); strncmp(line, "  ", 2) == 0;) {
		cr_assert_eq(sscanf(line, " %63[a-z-]", cmd), 1, "%s", line);
		cr_expect(roff_term(page8, cmd), "galgate(8) does not document "
		    "the command '%s' of galgate --help", cmd);
		ncmd++;
		line = strchr(line, '\n');
		cr_assert_not_null(line);
		line++;
	}
	cr_assert(ncmd >= 8, "only %zu commands in --help", ncmd);

	/* every option of --help appears in galgate(8) */
	cr_assert_eq(regcomp(&re, "--[a-z][a-z-]*", REG_EXTENDED), 0);
	for (p = help.text; regexec(&re, p, 1, m, 0) == 0; p += m[0].rm_eo) {
		char *o = strndup(p + m[0].rm_so,
		    (size_t)(m[0].rm_eo - m[0].rm_so));

		opt = roff_dashes(o);
		cr_expect(strstr(page8, opt) != NULL, "galgate(8) does not "
		    "mention the option %s of galgate --help", o);
		free(opt);
		free(o);
		nopt++;
	}
	regfree(&re);
	cr_assert(nopt >= 10, "only %zu options in --help", nopt);

	/* every key in the tables of README's "Configuration" section has
	 * its own entry in galgate.conf(5) */
	sec = strstr(readme, "\n## Configuration\n");
	cr_assert_not_null(sec, "README.md has no Configuration section");
	end = strstr(sec + 1, "\n## ");
	if (end != NULL)
		*end = '\0';
	cr_assert_eq(regcomp(&re, "`([a-z][a-z0-9_]*)`", REG_EXTENDED), 0);
	for (line = sec; line != NULL; line = strchr(line + 1, '\n')) {
		const char *cell, *bar;

		if (strncmp(line, "\n| `", 4) != 0)
			continue;
		cell = line + 2;
		bar = strchr(cell, '|');
		cr_assert_not_null(bar);
		for (p = cell; p < bar && regexec(&re, p, 2, m, 0) == 0 &&
		    p + m[0].rm_eo <= bar; p += m[0].rm_eo) {
			snprintf(key, sizeof(key), "%.*s",
			    (int)(m[1].rm_eo - m[1].rm_so), p + m[1].rm_so);
			cr_expect(roff_term(page5, key), "galgate.conf(5) "
			    "does not document the key '%s' of README.md",
			    key);
			nkey++;
		}
	}
	regfree(&re);
	cr_assert(nkey >= 15, "only %zu keys found in README.md", nkey);
	out_free(&help);
	free(page8);
	free(page5);
	free(readme);
}
