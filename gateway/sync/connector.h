/*
 * connector.h: the contract between the gateway and a connector module.
 *
 * A connector is one folder under connectors/ exporting one const
 * struct gw_connector_ops, plus one line in connector.c's registry.
 *
 * Lifecycle (called through connector.c only):
 *   configure  once per instance after the config validated; reads its
 *              section (and requestor sections), builds priv; no I/O.
 *   cycle      the connector's stages inside a cycle (docs/
 *              ARCHITECTURE.md): the foreign side to the GAL and the GAL
 *              to the foreign side, in the order its protocol needs.
 *   reset      "galgate reset NAME --import-all|--export-all": marks
 *              its watermarks in txn, which the gateway commits when it
 *              returns 0 and drops otherwise; may be NULL.
 *   release    frees priv; always called after a successful configure.
 *   command    a command of its own ("galgate pcmail ..."); may be NULL.
 * Every function returns 0 or -1 with err set.  A cycle's LDAP writes go
 * through cycle->gal; its watermarks move only after what they cover is
 * durable.
 */
#ifndef GW_CONNECTOR_H
#define GW_CONNECTOR_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "cycle.h"
#include "err.h"
#include "evlog.h"
#include "util.h"
#include "watermark.h"

struct gw_txn;

struct gw_reset {
	int		 import_all;
	int		 export_all;
	const char	*requestor;	/* NULL: every peer */
};

struct gw_connector;
struct cli;

/*
 * A command a connector type adds to galgate's own ("galgate pcmail
 * ..."): run takes the arguments from its name on and returns an exit
 * status; usage is its line in --help.
 */
struct gw_command {
	const char	*name;
	int		(*run)(struct cli *, int argc, char **argv);
	const char	*usage;
};

struct gw_connector_ops {
	const char		*type;
	const struct conf_key	*keys;		/* its [connector] keys */
	const struct conf_key	*extra_keys;	/* shared ones (a transport) */
	const struct conf_key	*peer_keys;	/* [requestor] keys, or NULL */
	int	(*configure)(struct gw_connector *, const struct gw_conf *,
		    struct gw_err *);
	int	(*cycle)(struct gw_connector *, struct gw_cycle *,
		    struct gw_err *);
	int	(*reset)(struct gw_connector *, struct gw_txn *txn,
		    const struct gw_reset *, struct gw_err *);
	void	(*release)(struct gw_connector *);
	const struct gw_command	*command;	/* or NULL */
};

struct gw_connector {
	const struct gw_connector_ops	*ops;
	const struct conf_section	*sec;
	const char			*name;
	void				*priv;
};

/* Registry */
const struct gw_connector_ops *connector_lookup(const char *type);
/*
 * The commands connector types add: the one named name (NULL if none),
 * and each in turn (*i from 0; NULL at the end).
 */
const struct gw_command *connector_command(const char *name);
const struct gw_command *connector_command_next(size_t *i);
/* Every type, as conf_load checks configurations against them. */
const struct conf_connector_types *connector_conf_types(void);
/* Adds a type at run time (tests); fails on a duplicate name. */
int		 connector_register(const struct gw_connector_ops *);

/* Instance set up from a [connector NAME] section. */
int	connector_configure(struct gw_connector *, const struct gw_conf *,
	    const char *name, struct gw_err *);
void	connector_release(struct gw_connector *);

/*
 * One cycle: takes state_dir/locks/NAME.lock (exit 5 if another cycle
 * holds it), brings the connector's entries to this version's form
 * (reform.h), runs its cycle slot, records the result for status and
 * logs start and end events.
 */
int	connector_cycle(struct gw_connector *, struct gw_cycle *,
	    struct gw_err *);
/*
 * The same cycle around other stages than the connector's own (a
 * command's, such as "galgate pcmail apply"): the lock, the audit LDIF,
 * the events and the status line are the same.
 */
typedef int (*connector_stages)(struct gw_connector *, struct gw_cycle *,
	    void *arg, struct gw_err *);
int	connector_cycle_with(struct gw_connector *, struct gw_cycle *,
	    connector_stages, void *arg, struct gw_err *);
/*
 * Takes state_dir/locks/NAME.lock for one cycle (or anything that must
 * not run beside one); *fd holds it until closed.  GW_EXIT_BUSY when
 * another process holds it.
 */
int	connector_lock(const char *state_dir, const char *name, int *fd,
	    struct gw_err *);
/* Records a cycle that could not start (server down) for status. */
void	connector_record_failure(struct gw_cycle *, const char *name,
	    const struct gw_err *);
int	connector_reset(struct gw_connector *, struct gw_cycle *,
	    const struct gw_reset *, struct gw_err *);

/* Last-cycle record kept in the status database. */
struct gw_cycle_status {
	long long	 start, end;
	int		 exit;		/* enum gw_exit of the cycle */
	struct gw_counts counts;
	long long	 last_ok;	/* end of the last successful cycle */
	long		 failures;	/* failed cycles since that one */
	char		 msg[512];
};
int	connector_status_get(struct gw_txn *, const char *name,
	    struct gw_cycle_status *, struct gw_err *);

#endif
