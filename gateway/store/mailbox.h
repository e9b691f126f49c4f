/*
 * mailbox.h: the mail transport shared by the connectors that talk by
 * mail (pcmail dir-sync, InterOrg).  Two kinds, chosen by the connector
 * section's "transport" key:
 *
 *   maildir     inbox = a Maildir (tmp/ new/ cur/) the connector reads;
 *               outbox = the Maildir messages are delivered into (the
 *               peer's inbox on one host).  Handled messages move to the
 *               Maildir++ folder inbox/.processed/, copies of sent ones
 *               are kept in inbox/.sent/.
 *   smtp+imap   sends with libcurl's SMTP (smtp_url, mail_tls, username,
 *               mail_password_file) and reads imap_url's mailbox with
 *               libcurl's IMAP; handled messages move to the IMAP folder
 *               "processed", copies of sent ones go to "sent".
 * Kept copies older than keep_messages are purged by mailbox_purge.
 *
 * A message is marked done (mailbox_done) only after what it carried is
 * applied, so a crash in between means it is read again next cycle.
 * mailbox.c is the only file that sees <curl/curl.h>.
 */
#ifndef GW_MAILBOX_H
#define GW_MAILBOX_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "err.h"

#define GW_MAIL_MAX	((size_t)64 << 20)	/* largest message read */

/* One RFC 5322 message.  Header values are unfolded; body is raw. */
struct gw_mail {
	char	*id;		/* transport id: Maildir file name, IMAP UID */
	char	*from;		/* the address inside From: */
	char	*to;		/* the first address inside To: */
	char	*subject;
	char	*message_id;
	char	*raw;		/* whole message, NUL-terminated */
	size_t	 rawlen;
	size_t	 body_off;	/* body starts at raw + body_off */
};

/* Value of header name (case-insensitive, unfolded; caller frees), or NULL. */
char	*gw_mail_header(const struct gw_mail *, const char *name);
/* Parses raw bytes (takes ownership of raw) into m. -1 if not a message. */
int	gw_mail_parse(struct gw_mail *m, char *raw, size_t len);
void	gw_mail_release(struct gw_mail *);
/* Releases each of the n mails of v, then v itself. */
void	gw_mails_free(struct gw_mail *v, size_t n);

/*
 * The config keys of a mail transport: a connector that talks by mail
 * sets .extra_keys = gw_mailbox_keys in its ops.  Names: transport,
 * inbox, outbox, smtp_url, imap_url, mail_tls, username,
 * mail_password_file, keep_messages.
 */
extern const struct conf_key gw_mailbox_keys[];

struct gw_mailbox;

/* Reads the transport keys of sec; the maildirs are created if missing. */
int	mailbox_open(const struct conf_section *sec, struct gw_mailbox **,
	    struct gw_err *);
void	mailbox_close(struct gw_mailbox *);

/*
 * Every message waiting in the inbox, oldest first (caller releases each
 * and frees the array).  A message larger than GW_MAIL_MAX is left where
 * it is and reported on standard error.
 */
int	mailbox_fetch(struct gw_mailbox *, struct gw_mail **msgs, size_t *n,
	    struct gw_err *);
/* Moves a fetched message to the processed folder. */
int	mailbox_done(struct gw_mailbox *, const struct gw_mail *,
	    struct gw_err *);
/*
 * Sends raw (a whole RFC 5322 message, CRLF line ends) from envelope
 * sender from to the recipients, and keeps a copy in the sent folder.
 * Returns 0 once the SMTP server accepted it or it is in the outbox's new/.
 */
int	mailbox_send(struct gw_mailbox *, const char *from,
	    const char *const *to, size_t nto, const char *raw, size_t len,
	    struct gw_err *);
/*
 * mailbox_send, delivering into a Maildir outbox under name, a Maildir
 * file name (NULL: a new unique one): a message sent again under the
 * same name replaces the first if nobody has taken it from new/ yet.
 * Over SMTP the name is not used.
 */
int	mailbox_send_named(struct gw_mailbox *, const char *from,
	    const char *const *to, size_t nto, const char *raw, size_t len,
	    const char *name, struct gw_err *);
/* Drops kept processed and sent copies older than keep_messages. */
int	mailbox_purge(struct gw_mailbox *, struct gw_err *);

/*
 * Builds a message: From, To, Subject, Date, Message-ID, MIME-Version,
 * Content-Type text/plain; charset=... (extra headers appended as given,
 * "Name: value\r\n" each, may be NULL), then body with every line end made
 * CRLF.  Caller frees *out.
 */
int	gw_mail_build(const char *from, const char *to, const char *subject,
	    const char *extra_headers, const char *charset, const char *body,
	    size_t bodylen, char **out, size_t *outlen);

#endif
