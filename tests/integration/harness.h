/*
 * harness.h: integration tests run the real galgate binary against a real
 * private slapd started with deploy/galgate-slapd in a fresh directory
 * under /tmp (short, for the ldapi socket), and OpenLDAP's own tools.
 */
#ifndef GW_HARNESS_H
#define GW_HARNESS_H

#include <stddef.h>

struct env {
	char	 dir[64];	/* /tmp/gg-XXXXXX */
	char	 conf[128];	/* dir/galgate.conf */
	char	 uri[256];	/* ldapi URI of the private slapd */
	int	 started;
	/* VAR=value ... in slapd's environment alone, when the harness
	 * starts it itself (env_slapd_run) */
	char	 slapd_env[512];
};

struct out {
	char	*text;		/* stdout (and stderr when merged) */
	int	 status;	/* exit status */
};

/*
 * Creates the directory, writes galgate.conf ([gal] for the embedded
 * slapd plus extra, which may be NULL; "@DIR@" in it stands for the
 * directory) and starts slapd with
 * slapd_opts (e.g. "--sessionlog 2", may be NULL).
 */
void	env_start(struct env *, const char *extra, const char *slapd_opts);
/* Only the directory and config, no slapd. */
void	env_prepare(struct env *, const char *conf_text);
void	env_stop(struct env *);
/*
 * Starts slapd (which must be stopped) on the configuration galgate-slapd
 * last wrote, with e->slapd_env in its environment, and waits until it
 * accepts on its socket.
 */
void	env_slapd_run(const struct env *);

/* Runs a shell command; stdout and stderr are captured together. */
struct out run(const char *fmt, ...) __attribute__((__format__(printf, 1, 2)));
/*
 * The galgate binary the tests run: the one built, or GALGATE_TEST_BINARY
 * (an earlier version's, to record what it writes; see test_upgrade.c).
 */
const char *galgate_binary(void);
/* galgate -c env->conf ARGS */
struct out galgate(const struct env *, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* Feeds ldif to ldapmodify -a (add) or ldapmodify as the slapd's rootdn. */
int	ldap_apply(const struct env *, const char *ldif);
void	out_free(struct out *);
/* Number of times needle occurs in hay. */
size_t	count_of(const char *hay, const char *needle);
/* Writes a file (mode 0600) below env->dir; returns the full path. */
char	*env_file(const struct env *, const char *name, const char *text);

#define SUFFIX	"dc=example,dc=com"
#define BASE	"ou=HQ,o=Contoso," SUFFIX
#define RCPT	"cn=Recipients," BASE

#endif
