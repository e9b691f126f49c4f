/*
 * daemon.h: "galgate run", the daemon (daemon.c says what it does).
 */
#ifndef GW_DAEMON_H
#define GW_DAEMON_H

/* Runs until SIGTERM; an exit status (enum gw_exit). */
int	daemon_run(const char *conf_path);

#endif
