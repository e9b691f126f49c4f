#include <stdio.h>
#include <string.h>

#include "connector.h"
#include "gal.h"
#include "run.h"
#include "state.h"

int
run_open(struct cli *cli, struct run *r, int what, struct gw_err *err)
{
	memset(r, 0, sizeof(*r));
	r->ev.fd = -1;
	if ((r->conf = conf_load(cli->conf_path, connector_conf_types(),
	    stderr, err)) == NULL)
		return -1;
	if ((what & (RUN_STATE | RUN_GAL)) &&
	    (state_open(r->conf->state_dir, &r->state, err) == -1 ||
	    evlog_open(&r->ev, r->conf->state_dir, err) == -1))
		goto fail;
	if ((what & RUN_GAL) && gal_open(r->conf, &r->gal, err) == -1)
		goto fail;
	return 0;
fail:
	run_close(r);
	return -1;
}

void
run_close(struct run *r)
{
	gal_close(r->gal);
	state_close(r->state);
	evlog_close(&r->ev);
	conf_free(r->conf);
	memset(r, 0, sizeof(*r));
	r->ev.fd = -1;
}

int
run_fail(const struct gw_err *err)
{
	fprintf(stderr, "galgate: %s\n", err->set ? err->msg : "failed");
	return err->set && err->exit != 0 ? err->exit : GW_EXIT_RUNTIME;
}

void
run_cycle_init(struct gw_cycle *cy, struct run *r)
{
	memset(cy, 0, sizeof(*cy));
	cy->conf = r->conf;
	cy->gal = r->gal;
	cy->state = r->state;
	cy->ev = &r->ev;
	cy->out = stdout;
}
