/*
 * hold.h: a test's slapd with the abort-hold double preloaded
 * (tests/tools/abort_hold.c), and the test's side of it.  Armed, it holds
 * the next failed add on the server between its result and the end of
 * its transaction (its CSN still pending) until the test releases it.
 */
#ifndef GW_HOLD_H
#define GW_HOLD_H

#include "harness.h"

/*
 * Restarts e's slapd with the double preloaded (through e->slapd_env, so
 * that the crash harness's restarts keep it); its files in e->dir/hold.
 */
void	hold_slapd(struct env *);
/* The same for the next start by env_slapd_run (crash_restore's). */
void	hold_prepare(struct env *);
/* The next failed add is held. */
void	hold_arm(const struct env *);
/* Waits until a failed add is held (asserts it within 60 s). */
void	hold_wait_held(const struct env *);
/* 1 if a failed add is held now. */
int	hold_is_held(const struct env *);
/* Lets the held add finish; asserts one was held. */
void	hold_release(const struct env *);
/* Takes back an arm no add took. */
void	hold_disarm(const struct env *);

#endif
