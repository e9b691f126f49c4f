/*
 * A delete that finds its entry gone since the cycle planned it (deleted
 * by a cycle cut short whose write the server finished later, or by
 * hand) has what it wants: it counts as done, with no error, and the
 * connector forgets the entry instead of failing the same delete in
 * every later cycle.  The cycle is paused at its first LDAP write
 * (GALGATE_FAILPOINT=ldap-write:1:STOP) while the test deletes the entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "ccmail_model.h"
#include "faults.h"
#include "pcmail_model.h"

static struct env env;

static void
teardown(void)
{
	env_stop(&env);
}

static void
ldap_delete(const char *dn)
{
	struct out o = run("ldapdelete -Q -Y EXTERNAL -H '%s' '%s'", env.uri,
	    dn);

	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

/* Runs ARGS paused at the first LDAP write, deletes dn meanwhile. */
static char *
sync_deleting(const char *args, const char *dn)
{
	struct paused p;
	struct out o;

	paused_start(&p, env.conf, "ldap-write:1:STOP", args);
	ldap_delete(dn);
	o = paused_finish(&p);
	cr_assert_eq(o.status, 0, "exit %d: %s", o.status, o.text);
	return o.text;
}

Test(deleted_meanwhile, ccmail, .fini = teardown)
{
	static const char *conf =
	    "[connector cc]\ntype = ccmail\nexport_dir = @DIR@/export\n"
	    "import_dir = @DIR@/import\npost_office = EXSITE1\n"
	    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
	    "delete_threshold = 100%\n";
	char dir[160], *text;
	struct ccm *m;
	struct out o;

	env_start(&env, conf, "--dbnosync");
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	snprintf(dir, sizeof(dir), "%s/export", env.dir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/import", env.dir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/export", env.dir);
	m = ccm_new("HQPO");
	cr_assert_eq(ccm_add_entry(m, "Gone, Soon", 'L', NULL, NULL, NULL,
	    NULL), 0);
	cr_assert_eq(ccm_add_entry(m, "Stays, Here", 'L', NULL, NULL, NULL,
	    NULL), 0);
	cr_assert_eq(ccm_export(m, dir), 0);
	o = galgate(&env, "sync cc");
	cr_assert(o.status == 0 && strstr(o.text, "2 added") != NULL, "%s",
	    o.text);
	out_free(&o);
	cr_assert_eq(ccm_delete_entry(m, "Gone, Soon"), 0);
	cr_assert_eq(ccm_export(m, dir), 0);
	text = sync_deleting("sync cc", "cn=Gone\\2C Soon,cn=ccMail," BASE);
	cr_assert_not_null(strstr(text, "cc: 0 added, 0 modified, 1 deleted, "
	    "0 skipped, 0 errors"), "%s", text);
	free(text);
	/* forgotten: the next cycle deletes nothing */
	o = galgate(&env, "sync cc");
	cr_assert_not_null(strstr(o.text, "cc: 0 added, 0 modified, 0 deleted, "
	    "0 skipped, 0 errors"), "%s", o.text);
	out_free(&o);
	ccm_free(m);
}

Test(deleted_meanwhile, pcmail, .fini = teardown)
{
	static const char *conf =
	    "[connector dirsync]\ntype = pcmail\nnetwork = CONTOSO\n"
	    "postoffice = GALGATE\n"
	    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
	    "transport = maildir\ninbox = @DIR@/in\noutbox = @DIR@/out\n"
	    "delete_threshold = 100%\n\n"
	    "[requestor CONTOSO/SEAPO1]\nconnector = dirsync\n"
	    "password_file = @DIR@/seapo1.secret\n"
	    "import_container = /o=Contoso/ou=HQ/cn=SEAPO1\n"
	    "address = seapo1-dirsync@contoso.example\n";
	char in[128], outbox[128], *text;
	struct pcr *m;
	struct out o;

	env_start(&env, conf, "--dbnosync");
	free(env_file(&env, "seapo1.secret", "s3cret-one\n"));
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	snprintf(in, sizeof(in), "%s/in", env.dir);
	snprintf(outbox, sizeof(outbox), "%s/out", env.dir);
	m = pcr_new("CONTOSO", "SEAPO1", "s3cret-one",
	    "seapo1-dirsync@contoso.example", in, outbox);
	pcr_import_request(m);
	pcr_add(m, "Gone, Soon", "GONE", NULL);
	pcr_add(m, "Stays, Here", "STAYS", NULL);
	free(pcr_send(m, "UPDATE"));
	o = galgate(&env, "sync dirsync");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	free(pcr_receive(m));
	pcr_delete(m, "GONE");
	free(pcr_send(m, "UPDATE"));
	text = sync_deleting("sync dirsync", "cn=PCM:CONTOSO/SEAPO1/GONE,"
	    "cn=SEAPO1," BASE);
	cr_assert_not_null(strstr(text, "dirsync: 0 added, 0 modified, 1 "
	    "deleted, 0 skipped, 0 errors"), "%s", text);
	free(text);
	free(pcr_receive(m));
	cr_assert_eq(pcr_queued(m), 0, "the delete was not acknowledged");
	pcr_free(m);
}
