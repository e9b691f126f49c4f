/*
 * The connection to the GAL: ldaps:// and StartTLS with the server's
 * certificate always verified, and a bind password file others can read
 * refused.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "ports.h"

static struct env env;
static int ldaps_port, ldap_port;

/* A CA that signs the server's certificate, and one that does not. */
static void
make_certs(void)
{
	struct out o = run("cd %s && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=GoodCA "
	    "-keyout ca.key -out ca.pem 2>&1 && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=OtherCA "
	    "-keyout other.key -out other.pem 2>&1 && "
	    "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
	    "-keyout server.key -out server.csr 2>&1 && "
	    "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext && "
	    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile san.ext -out server.pem 2>&1",
	    env.dir);

	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
}

static void
setup(void)
{
	struct out o;

	env_start(&env, NULL, NULL);
	o = galgate(&env, "init");
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	make_certs();
	/* the same server again, now with TLS listeners too */
	o = run(GALGATE_SOURCE_DIR "/deploy/galgate-slapd stop %s && "
	    "cp %s/slapd/slapd.conf %s/slapd/tls.conf && "
	    "sed -i '/^database/i TLSCACertificateFile %s/ca.pem\\n"
	    "TLSCertificateFile %s/server.pem\\nTLSCertificateKeyFile "
	    "%s/server.key' %s/slapd/tls.conf", env.dir, env.dir, env.dir,
	    env.dir, env.dir, env.dir, env.dir);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	ldaps_port = test_port();
	ldap_port = test_port();
	o = run("slapd -f %s/slapd/tls.conf -h '%s ldaps://127.0.0.1:%d/ "
	    "ldap://127.0.0.1:%d/' || exit 1; i=0; while [ $i -lt 300 ]; "
	    "do ldapsearch -x -H ldap://127.0.0.1:%d -s base -b '' "
	    ">/dev/null 2>&1 && exit 0; sleep 0.1; i=$((i + 1)); done; exit 1",
	    env.dir, env.uri, ldaps_port, ldap_port, ldap_port);
	cr_assert_eq(o.status, 0, "slapd with TLS listeners did not start: %s",
	    o.text);
	out_free(&o);
}

static void
teardown(void)
{
	struct out o;

	/* galgate-slapd stops only a slapd of its own slapd.conf */
	if (env.dir[0] != '\0') {
		o = run("p=$(cat %s/slapd/slapd.pid 2>/dev/null) && "
		    "kill -INT $p 2>/dev/null && while kill -0 $p 2>/dev/null; "
		    "do sleep 0.1; done; exit 0", env.dir);
		out_free(&o);
	}
	env_stop(&env);
}

/* A config that binds as the rootdn over uri with the CA file given. */
static char *
tls_conf(const char *uri, const char *ca, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text), "[gal]\nsuffix = " SUFFIX "\n"
	    "organization = Contoso\nsite = HQ\nstate_dir = %s\nuri = %s\n"
	    "bind_dn = cn=admin," SUFFIX "\nbind_password_file = "
	    "%s/slapd/rootpw\ntls_ca_file = %s/%s\n%s", env.dir, uri, env.dir,
	    env.dir, ca, extra != NULL ? extra : "");
	return env_file(&env, "tls.conf", text);
}

Test(tls, ldaps_verifies_the_server_certificate, .init = setup,
    .fini = teardown)
{
	char uri[64], *conf;
	struct out o;

	snprintf(uri, sizeof(uri), "ldaps://127.0.0.1:%d", ldaps_port);
	conf = tls_conf(uri, "other.pem", NULL);
	o = run("%s -c %s journal", GALGATE_BINARY, conf);
	cr_assert_eq(o.status, 1, "an unknown CA was accepted: %s", o.text);
	cr_assert(strstr(o.text, uri) != NULL, "%s", o.text);
	out_free(&o);
	free(conf);
	conf = tls_conf(uri, "ca.pem", NULL);
	o = run("%s -c %s journal", GALGATE_BINARY, conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert(strstr(o.text, "cn=Recipients") != NULL, "%s", o.text);
	out_free(&o);
	free(conf);
}

Test(tls, starttls_verifies_the_server_certificate, .init = setup,
    .fini = teardown)
{
	char uri[64], *conf;
	struct out o;

	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", ldap_port);
	conf = tls_conf(uri, "other.pem", "starttls = yes\n");
	o = run("%s -c %s journal", GALGATE_BINARY, conf);
	cr_assert_eq(o.status, 1, "an unknown CA was accepted: %s", o.text);
	cr_assert(strstr(o.text, "StartTLS") != NULL, "%s", o.text);
	out_free(&o);
	free(conf);
	conf = tls_conf(uri, "ca.pem", "starttls = yes\n");
	o = run("%s -c %s journal", GALGATE_BINARY, conf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	free(conf);
}

Test(tls, a_password_file_others_can_read_is_refused, .init = setup,
    .fini = teardown)
{
	char uri[64], *conf;
	struct out o;

	snprintf(uri, sizeof(uri), "ldaps://127.0.0.1:%d", ldaps_port);
	conf = tls_conf(uri, "ca.pem", NULL);
	o = run("chmod 644 %s/slapd/rootpw && %s -c %s journal", env.dir,
	    GALGATE_BINARY, conf);
	cr_assert_eq(o.status, 2, "%s", o.text);
	cr_assert(strstr(o.text, "readable by other users") != NULL, "%s",
	    o.text);
	out_free(&o);
	free(conf);
}
