/*
 * mailserver.h: real mail servers for the tests, as notes/test-servers.md
 * runs them: a private Postfix (SMTP on a loopback port) delivering every
 * test domain over LMTP to a private Dovecot (IMAP and LMTP on loopback
 * ports, static passdb, maildirs owned by the mail user), all under one
 * short directory /tmp/gm-XXXXXX.  Ports are probed free, starting at a
 * point derived from the pid, so tests running at once do not collide.
 * Users are the local parts of the addresses ("master@hq.example.com"
 * logs in as "master"); every user has the same password.
 *
 * Start in a fixture's init, stop in its fini (every exit path).
 */
#ifndef GW_MAILSERVER_H
#define GW_MAILSERVER_H

#include <sys/types.h>

struct mailserver {
	char	 dir[64];		/* /tmp/gm-XXXXXX */
	int	 smtp_port, imap_port, lmtp_port;
	pid_t	 postfix_pid;		/* postfix start-fg */
	pid_t	 dovecot_pid;		/* dovecot -F */
	char	 password[40];
	char	 password_file[128];	/* mode 0600, for mail_password_file */
	int	 registered;		/* listed in alternate_config_directories */
};

/* domains: space-separated, e.g. "hq.example.com branch.example.com" */
void	mailserver_start(struct mailserver *, const char *domains);
void	mailserver_stop(struct mailserver *);
/*
 * One server stopped, and started again on the same ports and mail
 * (fault tests): smtp is Postfix, imap is Dovecot (IMAP and the LMTP
 * Postfix delivers to: while it is down, mail waits in Postfix's queue).
 */
void	mailserver_stop_smtp(struct mailserver *);
void	mailserver_start_smtp(struct mailserver *);
void	mailserver_stop_imap(struct mailserver *);
void	mailserver_start_imap(struct mailserver *);
/* Has Postfix try its deferred mail now (postqueue -f). */
void	mail_flush(const struct mailserver *);

/* Messages in a user's folder ("INBOX", "processed", "sent", ...). */
int	mail_count(const struct mailserver *, const char *user,
	    const char *folder);
/*
 * Waits until Postfix's queue is empty (what was accepted is delivered),
 * having Postfix retry deferred mail at once; 0, or -1 after timeout_ms.
 */
int	mail_settle(const struct mailserver *, int timeout_ms);
/* UIDs of a folder's messages, ascending (caller frees); n set. */
unsigned long *mail_uids(const struct mailserver *, const char *user,
	    const char *folder, size_t *n);
/* One message of a folder by UID (caller frees), or NULL. */
char	*mail_fetch(const struct mailserver *, const char *user,
	    const char *folder, unsigned long uid);
/* IMAP UID MOVE of one message to another folder (created if needed). */
int	mail_move(const struct mailserver *, const char *user,
	    const char *from, unsigned long uid, const char *to);
/* IMAP APPEND of raw bytes to a folder. */
int	mail_append(const struct mailserver *, const char *user,
	    const char *folder, const char *raw);
/* Sends raw bytes with a plain SMTP client (curl). */
int	mail_smtp_send(const struct mailserver *, const char *from,
	    const char *to, const char *raw);

#endif
