/*
 * three_gal.h: one GAL on the configuration deploy/galgate-slapd
 * generates, filled by all three connectors with one person each: a
 * cc:Mail user from the sample export, an MS Mail user whose requestor
 * postoffice LAGOSPO sent him with Surname and Given Name template lines
 * (pcmail_model.c), and a user of another organization, Fabrikam, that
 * reached this one's InterOrg master from its requestor (a second private
 * slapd and galgate).
 */
#ifndef GW_THREE_GAL_H
#define GW_THREE_GAL_H

#include "harness.h"
#include "pcmail_model.h"

#define THREE_MASTER	"master@contoso.example"
#define THREE_FAB	"requestor@fabrikam.example"
#define THREE_FAB_RCPT	"cn=Recipients,ou=Stockholm,o=Fabrikam," SUFFIX
/* the connectors' import containers in the GAL */
#define THREE_CCMAIL	"cn=ccMail,ou=HQ,o=Contoso," SUFFIX
#define THREE_LAGOS	"cn=LAGOSPO,ou=HQ,o=Contoso," SUFFIX
#define THREE_FABRIKAM	"cn=Fabrikam,ou=HQ,o=Contoso," SUFFIX

struct three_gal {
	struct env	 gal;		/* this organization's GAL */
	struct env	 fab;		/* Fabrikam's */
	struct pcr	*lagos;		/* the MS Mail requestor */
};

/*
 * The GAL's galgate.conf after [gal] (caller frees); msmail_smtp: MS Mail
 * users get an address from smtp_template (a key earlier versions lack).
 */
char	*three_gal_conf(int msmail_smtp);
/* Starts the GAL on conf: its directories and secrets, galgate init. */
void	 three_gal_start(struct three_gal *, const char *conf);
/* One cycle of each connector, each bringing its person. */
void	 three_gal_fill(struct three_gal *);
void	 three_gal_stop(struct three_gal *);
/* galgate ARGS on e, which must exit 0. */
void	 three_gal_ok(const struct env *e, const char *args);

#endif
