/*
 * run.h: what a command needs open: the config, the state database, the
 * event log and (when asked) the GAL connection.  Commands own one
 * struct run on their stack and close it on every path.
 */
#ifndef GW_RUN_H
#define GW_RUN_H

#include "cli.h"
#include "conf.h"
#include "err.h"
#include "evlog.h"

struct gal;
struct gw_state;

struct run {
	struct gw_conf	*conf;
	struct gw_state	*state;
	struct gw_evlog	 ev;
	struct gal	*gal;
};

#define RUN_STATE	0x01
#define RUN_GAL		0x02

int	run_open(struct cli *, struct run *, int what, struct gw_err *);
/* A cycle on what r opened, its report on standard output. */
struct gw_cycle;
void	run_cycle_init(struct gw_cycle *, struct run *);
void	run_close(struct run *);
/* Prints the error to stderr and returns its exit status. */
int	run_fail(const struct gw_err *);

#endif
