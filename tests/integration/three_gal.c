/* One GAL filled by the three connectors (see three_gal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "deploy_helpers.h"
#include "three_gal.h"

static const char *conf_head =
    "[connector ccmail]\n"
    "type = ccmail\n"
    "export_dir = " CCMAIL_SAMPLES "\n"
    "import_dir = @DIR@/import\n"
    "post_office = EXSITE1\n"
    "import_container = /o=Contoso/ou=HQ/cn=ccMail\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "smtp_template = %g.%s@ccmail.contoso.example\n"
    "\n"
    "[connector dirsync]\n"
    "type = pcmail\n"
    "network = CONTOSO\n"
    "postoffice = GALGATE\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n";

static const char *conf_msmail_smtp =
    "smtp_template = %g.%s@msmail.contoso.example\n";

static const char *conf_tail =
    "transport = maildir\n"
    "inbox = @DIR@/dirsync/in\n"
    "outbox = @DIR@/dirsync/out\n"
    "address = galgate-dirsync@contoso.example\n"
    "\n"
    "[requestor CONTOSO/LAGOSPO]\n"
    "connector = dirsync\n"
    "password_file = @DIR@/lagospo.secret\n"
    "templates = yes\n"
    "import_container = /o=Contoso/ou=HQ/cn=LAGOSPO\n"
    "address = lagospo-dirsync@contoso.example\n"
    "\n"
    "[connector io-master]\n"
    "type = interorg\n"
    "role = master\n"
    "address = " THREE_MASTER "\n"
    "export_container = /o=Contoso/ou=HQ/cn=Recipients\n"
    "transport = maildir\n"
    "inbox = @DIR@/mail/master\n"
    "outbox = @DIR@/mail/requestor\n"
    "\n"
    "[requestor " THREE_FAB "]\n"
    "connector = io-master\n"
    "secret_file = @DIR@/fabrikam.secret\n"
    "import_container = /o=Contoso/ou=HQ/cn=Fabrikam\n";

/* The other organization: its requestor writes to the master's inbox. */
static const char *fab_conf =
    "[connector io-fab]\n"
    "type = interorg\n"
    "role = requestor\n"
    "address = " THREE_FAB "\n"
    "master_address = " THREE_MASTER "\n"
    "secret_file = %s/fabrikam.secret\n"
    "export_container = /o=Fabrikam/ou=Stockholm/cn=Recipients\n"
    "import_container = /o=Fabrikam/ou=Stockholm/cn=InterOrg\n"
    "transport = maildir\n"
    "inbox = %s/mail/requestor\n"
    "outbox = %s/mail/master\n";

char *
three_gal_conf(int msmail_smtp)
{
	char *s;

	cr_assert(asprintf(&s, "%s%s%s", conf_head, msmail_smtp ?
	    conf_msmail_smtp : "", conf_tail) > 0);
	return s;
}

void
three_gal_ok(const struct env *e, const char *args)
{
	struct out o = galgate(e, "%s", args);

	cr_assert_eq(o.status, 0, "galgate %s: %s", args, o.text);
	out_free(&o);
}

static void
maildir(const char *dir, const char *name)
{
	struct out o = run("mkdir -p '%s/%s/new' '%s/%s/cur' '%s/%s/tmp'",
	    dir, name, dir, name, dir, name);

	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

void
three_gal_start(struct three_gal *t, const char *conf)
{
	char path[160];

	env_start(&t->gal, conf, "--unchecked-limit 200");
	snprintf(path, sizeof(path), "%s/import", t->gal.dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	maildir(t->gal.dir, "dirsync/in");
	maildir(t->gal.dir, "dirsync/out");
	maildir(t->gal.dir, "mail/master");
	maildir(t->gal.dir, "mail/requestor");
	free(env_file(&t->gal, "lagospo.secret", "lagos-dirsync\n"));
	free(env_file(&t->gal, "fabrikam.secret",
	    "fabrikam-shared-secret-0123456789\n"));
	three_gal_ok(&t->gal, "init");
}

void
three_gal_fill(struct three_gal *t)
{
	char in[192], out[192], *conf;
	struct out o;

	/* cc:Mail: the sample post office */
	three_gal_ok(&t->gal, "sync ccmail");

	/* MS Mail: LAGOSPO sends its user with his names as template lines */
	snprintf(in, sizeof(in), "%s/dirsync/in", t->gal.dir);
	snprintf(out, sizeof(out), "%s/dirsync/out", t->gal.dir);
	t->lagos = pcr_new("CONTOSO", "LAGOSPO", "lagos-dirsync",
	    "lagospo-dirsync@contoso.example", in, out);
	pcr_add(t->lagos, "Okafor, Chidi", "COKAFOR", "- Surname:/Okafor\r\n"
	    "- Given Name:/Chidi\r\n");
	free(pcr_send(t->lagos, "UPDATE"));
	three_gal_ok(&t->gal, "sync dirsync");

	/* InterOrg: Fabrikam's requestor sends its user to the master */
	cr_assert(asprintf(&conf, fab_conf, t->gal.dir, t->gal.dir,
	    t->gal.dir) > 0);
	env_start(&t->fab, conf, NULL);
	free(conf);
	three_gal_ok(&t->fab, "init");
	o = run("printf 'dn: cn=MLindqvist,%s\\nobjectClass: inetOrgPerson\\n"
	    "objectClass: galgateRecipient\\ncn: MLindqvist\\nsn: Lindqvist\\n"
	    "givenName: Maja\\ndisplayName: Lindqvist, Maja\\n"
	    "mailNickname: MLindqvist\\nmail: maja.lindqvist@fabrikam.example\\n"
	    "galgateRecipientType: mailbox\\n' | ldapadd -Q -Y EXTERNAL "
	    "-H '%s'", THREE_FAB_RCPT, t->fab.uri);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	three_gal_ok(&t->fab, "sync io-fab");
	three_gal_ok(&t->gal, "sync io-master");
}

void
three_gal_stop(struct three_gal *t)
{
	pcr_free(t->lagos);
	t->lagos = NULL;
	env_stop(&t->fab);
	env_stop(&t->gal);
}
