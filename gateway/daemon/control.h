/*
 * control.h: the daemon's control socket, state_dir/galgate.sock (mode
 * 0600: like the seed's Execute Now, only the service account may use
 * it).  One request per connection, one line:
 *   "ping"                    -> "pong"
 *   "sync NAME ALLOW_DELETES" -> the cycle's output, then a last line
 *                                "\001exit N"
 * While the daemon runs, "galgate sync NAME" hands the cycle to it
 * instead of racing it.
 */
#ifndef GW_CONTROL_H
#define GW_CONTROL_H

#include "err.h"

#define CONTROL_EXIT_MARK	'\001'

/* 1 if a daemon answers on state_dir's socket. */
int	control_alive(const char *state_dir);
/*
 * Asks the daemon to run one cycle of name, copying its output to
 * stdout.  Returns the cycle's exit status, or -1 with err set when the
 * daemon could not be asked.
 */
int	control_sync(const char *state_dir, const char *name, long allow_deletes,
	    struct gw_err *);
/* Daemon side: a listening socket (a stale one is replaced). */
int	control_listen(const char *state_dir, int *fd, struct gw_err *);
/* Reads one request line from a client (bounded, with a timeout). */
int	control_read_request(int fd, char *buf, size_t len);

#endif
