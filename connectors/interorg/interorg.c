/*
 * The InterOrg connector (type = interorg): seed 001's master and
 * requestor services over IOSYNC-1 mail.  See interorg.h for the roles
 * and the order of work; this file holds the keys, the configuration and
 * the resets (the cycles are in io_cycle.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interorg.h"
#include "schedule.h"
#include "state.h"
#include "threshold.h"

#define IO_DEFAULT_MAX		((size_t)1 << 20)
#define IO_MIN_MAX		2048
#define IO_SECRET_MAX		4096

static const struct conf_key interorg_keys[] = {
	{ "role", CONF_ENUM, CONF_REQUIRED, 0, 0, "master|requestor",
	    "master (the master organization's GAL) or requestor" },
	{ "address", CONF_ADDRESS, CONF_REQUIRED, 0, 0, NULL,
	    "this connector's own mail address (From: of what it sends)" },
	{ "master_address", CONF_ADDRESS, 0, 0, 0, NULL,
	    "requestor: the master's mail address" },
	{ "secret_file", CONF_SECRET_FILE, 0, 0, 0, NULL,
	    "requestor: the MAC key shared with the master (owner-only file)" },
	{ "export_container", CONF_X500_TYPES, CONF_MULTI | CONF_EXPORT, 0, 0,
	    "mailbox|dl|custom", "Exchange-form DN exported (repeat); may end "
	    "with types=mailbox,dl,custom (default: all)" },
	{ "import_container", CONF_X500, CONF_IMPORT, 0, 0, NULL,
	    "requestor: Exchange-form DN where the master's entries are made" },
	{ "import_domains", CONF_TOKENS, CONF_MULTI, 0, 0, NULL,
	    "requestor: SMTP domains imported, or all (default all)" },
	{ "append_display_name", CONF_STRING, 0, 0, 0, NULL,
	    "requestor: text appended (after a space) to exported display "
	    "names" },
	{ "smtp_domain_rewrite", CONF_STRING, 0, 0, 0, NULL,
	    "requestor: domain put in place of the primary SMTP address's "
	    "domain when exporting" },
	{ "max_message_size", CONF_SIZE, 0, 0, 0, NULL,
	    "largest message sent; bigger batches are split (default 1M, "
	    "at least 2K)" },
	{ "trust_level", CONF_INT, 0, 0, 100, NULL,
	    "export entries whose galgateTrustLevel is at or below this "
	    "(default 0)" },
	GW_KEY_DELETE_THRESHOLD("most deletions one batch may make (default "
	    "10%, 50)"),
	{ "poll_interval", CONF_DURATION, 0, 0, 0, NULL,
	    "master: how often galgate run checks the mailbox (default 30s)" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const struct conf_key interorg_peer_keys[] = {
	{ "secret_file", CONF_SECRET_FILE, CONF_REQUIRED, 0, 0, NULL,
	    "the MAC key shared with this requestor (owner-only file)" },
	{ "import_container", CONF_X500, CONF_REQUIRED | CONF_IMPORT, 0, 0,
	    NULL, "Exchange-form DN where this requestor's entries are made" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* ---- configuration ---- */

/* The MAC key shared with a peer, from an owner-only file. */
static int
read_secret(const char *path, unsigned char **out, size_t *len,
    struct gw_err *err)
{
	return gw_read_secret(path, IO_SECRET_MAX, (char **)out, len, err);
}

static void
interorg_release(struct gw_connector *con)
{
	struct interorg *io = con->priv;
	size_t i;

	if (io == NULL)
		return;
	gw_containers_free(io->exp, io->nexp);
	gw_container_release(&io->imp);
	for (i = 0; i < io->npeer; i++) {
		free(io->peer[i].address);
		if (io->peer[i].secret != NULL)
			memset(io->peer[i].secret, 0, io->peer[i].secretlen);
		free(io->peer[i].secret);
		gw_container_release(&io->peer[i].imp);
	}
	free(io->peer);
	conf_tokens_free(io->domains, io->ndomains);
	free(io);
	con->priv = NULL;
}

/* "path:line: " of a key, for configure's errors. */
static int
key_err(const struct gw_conf *conf, const struct conf_section *s,
    const char *key, const char *why, struct gw_err *err)
{
	const struct conf_entry *e = key != NULL ? conf_entry(s, key) : NULL;

	return gw_err_set(err, GW_EXIT_USAGE, "%s:%d: %s", conf->path,
	    e != NULL ? e->line : s->line, why);
}

static struct io_peer *
peer_add(struct interorg *io, const char *address)
{
	struct io_peer *p;

	io->peer = gw_realloc(io->peer, (io->npeer + 1) * sizeof(*io->peer));
	p = &io->peer[io->npeer++];
	memset(p, 0, sizeof(*p));
	gw_dn_init(&p->imp.dn);
	p->address = gw_strdup(address);
	snprintf(p->wm[WM_APPLIED], sizeof(p->wm[0]), "applied_rusn:%s",
	    address);
	snprintf(p->wm[WM_FULL_NEXT], sizeof(p->wm[0]), "full_next:%s",
	    address);
	snprintf(p->wm[WM_WANT_RELOAD], sizeof(p->wm[0]), "want_reload:%s",
	    address);
	snprintf(p->wm[WM_LAST_MUSN], sizeof(p->wm[0]), "last_musn:%s",
	    address);
	return p;
}

static int
configure_requestor(struct gw_connector *con, const struct gw_conf *conf,
    struct interorg *io, struct gw_err *err)
{
	const struct conf_section *s = con->sec;
	const struct conf_entry *e;
	struct io_peer *p;
	char **tok;
	size_t i = 0, n, k;

	if (conf_next_requestor(conf, s, NULL) != NULL)
		return key_err(conf, conf_next_requestor(conf, s, NULL), NULL,
		    "[requestor] sections belong to a role = master connector",
		    err);
	if (conf_get(s, "poll_interval", NULL) != NULL)
		return key_err(conf, s, "poll_interval", "poll_interval is for "
		    "role = master", err);
	if (conf_get(s, "master_address", NULL) == NULL)
		return key_err(conf, s, NULL, "role = requestor needs "
		    "master_address", err);
	if (conf_get(s, "secret_file", NULL) == NULL)
		return key_err(conf, s, NULL, "role = requestor needs "
		    "secret_file (the MAC key shared with the master)", err);
	if (conf_get(s, "import_container", NULL) == NULL)
		return key_err(conf, s, NULL, "role = requestor needs "
		    "import_container", err);
	p = peer_add(io, conf_get(s, "master_address", NULL));
	if (read_secret(conf_get(s, "secret_file", NULL), &p->secret,
	    &p->secretlen, err) == -1)
		return -1;
	if (gw_container_parse(&io->imp, conf_get(s, "import_container", NULL),
	    conf->suffix, err) == -1)
		return -1;
	for (k = 0; k < io->nexp; k++)
		if (gw_dn_within(&io->imp.dn, &io->exp[k].dn) ||
		    gw_dn_within(&io->exp[k].dn, &io->imp.dn))
			return key_err(conf, s, "import_container",
			    "the import container may not be, hold or lie "
			    "inside an export container", err);
	while ((e = conf_next(s, "import_domains", &i)) != NULL) {
		tok = conf_tokens(e->value, &n);
		for (k = 0; k < n; k++) {
			if (gw_strcaseeq(tok[k], "all")) {
				conf_tokens_free(tok, n);
				conf_tokens_free(io->domains, io->ndomains);
				io->domains = NULL;
				io->ndomains = 0;
				return 0;
			}
			io->domains = gw_realloc(io->domains, (io->ndomains +
			    1) * sizeof(*io->domains));
			io->domains[io->ndomains++] = gw_fold(tok[k]);
		}
		conf_tokens_free(tok, n);
	}
	return 0;
}

static int
configure_master(struct gw_connector *con, const struct gw_conf *conf,
    struct interorg *io, struct gw_err *err)
{
	static const char *requestor_only[] = { "master_address",
	    "secret_file", "import_container", "import_domains",
	    "append_display_name", "smtp_domain_rewrite", NULL };
	const struct conf_section *s = con->sec, *r;
	struct gw_schedule sched;
	struct io_peer *p;
	const char *errstr, *poll;
	char why[256], item[64];
	size_t i, k;

	for (i = 0; requestor_only[i] != NULL; i++)
		if (conf_get(s, requestor_only[i], NULL) != NULL) {
			snprintf(why, sizeof(why), "%s is for role = requestor "
			    "(a master's requestors have their own [requestor "
			    "ADDRESS] sections)", requestor_only[i]);
			return key_err(conf, s, requestor_only[i], why, err);
		}
	/* galgate run polls "every <poll_interval>" */
	if ((poll = conf_get(s, "poll_interval", NULL)) != NULL) {
		memset(&sched, 0, sizeof(sched));
		snprintf(item, sizeof(item), "every %s", poll);
		if (gw_schedule_parse(item, &sched, &errstr) == -1)
			return key_err(conf, s, "poll_interval",
			    "poll_interval takes Ns, Nm or Nh (e.g. 30s)", err);
	}
	for (r = conf_next_requestor(conf, s, NULL); r != NULL;
	    r = conf_next_requestor(conf, s, r)) {
		if (!io_valid_address(r->name))
			return key_err(conf, r, NULL, "a requestor section is "
			    "named by the requestor's mail address", err);
		for (i = 0; i < io->npeer; i++)
			if (gw_strcaseeq(io->peer[i].address, r->name))
				return key_err(conf, r, NULL, "requestor given "
				    "twice", err);
		if (gw_strcaseeq(r->name, io->address))
			return key_err(conf, r, NULL, "a requestor cannot have "
			    "the master's own address", err);
		p = peer_add(io, r->name);
		if (read_secret(conf_get(r, "secret_file", NULL), &p->secret,
		    &p->secretlen, err) == -1)
			return -1;
		if (gw_container_parse(&p->imp, conf_get(r, "import_container",
		    NULL), conf->suffix, err) == -1)
			return -1;
		for (k = 0; k < io->nexp; k++)
			if (gw_dn_within(&io->exp[k].dn, &p->imp.dn))
				return key_err(conf, r, "import_container",
				    "an export container lies inside this "
				    "import container", err);
	}
	return 0;
}

/* A hash of everything that decides what the peers are sent. */
static void
conf_digest(struct interorg *io)
{
	const char **f;
	unsigned char h[GW_HASH_LEN];
	char trust[32], types[32 * 8];
	size_t n = 0, i, max = 8 + 2 * io->nexp + io->npeer;
	static const char hex[] = "0123456789abcdef";

	f = gw_calloc(max, sizeof(*f));
	snprintf(trust, sizeof(trust), "%d %ld", (int)io->role, io->trust);
	f[n++] = "iosync-1 shadow v1";
	f[n++] = trust;
	f[n++] = io->append;
	f[n++] = io->rewrite;
	f[n++] = io->imp.x500;
	types[0] = '\0';
	for (i = 0; i < io->nexp; i++) {
		f[n++] = io->exp[i].x500;
		snprintf(types + strlen(types), sizeof(types) - strlen(types),
		    "%u,", io->exp[i].types);
	}
	f[n++] = types;
	for (i = 0; i < io->npeer; i++)
		f[n++] = io->peer[i].imp.x500;
	gw_hash_fields(f, n, h);
	free(f);
	for (i = 0; i < GW_HASH_LEN; i++) {
		io->conf_hash[2 * i] = hex[h[i] >> 4];
		io->conf_hash[2 * i + 1] = hex[h[i] & 15];
	}
	io->conf_hash[64] = '\0';
}

static int
interorg_configure(struct gw_connector *con, const struct gw_conf *conf,
    struct gw_err *err)
{
	const struct conf_section *s = con->sec;
	struct interorg *io = gw_calloc(1, sizeof(*io));
	const char *errstr, *v;
	uint64_t size;

	con->priv = io;
	gw_dn_init(&io->imp.dn);
	io->name = con->name;
	io->role = strcmp(conf_get(s, "role", ""), "master") == 0 ?
	    IO_ROLE_MASTER : IO_ROLE_REQUESTOR;
	io->address = conf_get(s, "address", NULL);
	io->org = conf->organization;
	io->suffix = conf->suffix;
	io->append = conf_get(s, "append_display_name", NULL);
	io->rewrite = conf_get(s, "smtp_domain_rewrite", NULL);
	io->trust = (long)gw_strtonum(conf_get(s, "trust_level", "0"), 0, 100,
	    &errstr);
	gw_threshold_conf(s, &io->threshold);
	io->max_size = IO_DEFAULT_MAX;
	if ((v = conf_get(s, "max_message_size", NULL)) != NULL &&
	    gw_parse_size(v, &size, &errstr) == 0)
		io->max_size = (size_t)size;
	if (io->max_size < IO_MIN_MAX || io->max_size > GW_MAIL_MAX) {
		key_err(conf, s, "max_message_size", "max_message_size must "
		    "lie between 2K and 64M", err);
		goto fail;
	}
	if (io->rewrite != NULL && (*io->rewrite == '\0' ||
	    strpbrk(io->rewrite, "@ \t<>,;") != NULL)) {
		key_err(conf, s, "smtp_domain_rewrite", "smtp_domain_rewrite "
		    "takes a domain, e.g. example.com", err);
		goto fail;
	}
	if (gw_containers_read(s, "export_container", conf->suffix, &io->exp,
	    &io->nexp, err) == -1)
		goto fail;
	if (io->role == IO_ROLE_REQUESTOR ? configure_requestor(con, conf, io,
	    err) == -1 : configure_master(con, conf, io, err) == -1)
		goto fail;
	conf_digest(io);
	return 0;
fail:
	interorg_release(con);
	return -1;
}

static int
interorg_cycle(struct gw_connector *con, struct gw_cycle *cy,
    struct gw_err *err)
{
	struct interorg *io = con->priv;

	return io->role == IO_ROLE_MASTER ? io_master_cycle(con, cy, err) :
	    io_requestor_cycle(con, cy, err);
}

/* ---- reset ---- */

static int
interorg_reset(struct gw_connector *con, struct gw_txn *txn,
    const struct gw_reset *r, struct gw_err *err)
{
	struct interorg *io = con->priv;
	size_t i, hit = 0;

	if (io->role == IO_ROLE_REQUESTOR && r->requestor != NULL)
		return gw_err_set(err, GW_EXIT_USAGE, "connector %s is a "
		    "requestor: --requestor is for a master", con->name);
	if (io->role == IO_ROLE_REQUESTOR) {
		/* Import All: master USN 0; Export All: requestor USN 0 */
		if ((r->import_all && (wmark_put_u64(txn, io->name,
		    "master_usn", 0, err) == -1 || wmark_put_u64(txn, io->name,
		    "import_all", 1, err) == -1)) || (r->export_all &&
		    (wmark_put_u64(txn, io->name, "acked_rusn", 0, err) == -1 ||
		    wmark_put_u64(txn, io->name, "export_full", 1,
		    err) == -1 || wmark_put_u64(txn, io->name, "full_rusn", 0,
		    err) == -1)))
			return -1;
		return 0;
	}
	for (i = 0; i < io->npeer; i++) {
		struct io_peer *p = &io->peer[i];

		if (r->requestor != NULL && !gw_strcaseeq(r->requestor,
		    p->address))
			continue;
		hit++;
		/* export all to it; import all: ask it for everything */
		if ((r->export_all && wmark_put_u64(txn, io->name,
		    p->wm[WM_FULL_NEXT], 1, err) == -1) || (r->import_all &&
		    (wmark_put_u64(txn, io->name, p->wm[WM_APPLIED], 0,
		    err) == -1 || wmark_put_u64(txn, io->name,
		    p->wm[WM_WANT_RELOAD], 1, err) == -1)))
			return -1;
	}
	if (r->requestor != NULL && hit == 0)
		return gw_err_set(err, GW_EXIT_USAGE, "connector %s has no "
		    "requestor %s", con->name, r->requestor);
	return 0;
}

const struct gw_connector_ops connector_interorg = {
	.type = "interorg",
	.keys = interorg_keys,
	.extra_keys = gw_mailbox_keys,
	.peer_keys = interorg_peer_keys,
	.configure = interorg_configure,
	.cycle = interorg_cycle,
	.reset = interorg_reset,
	.release = interorg_release,
};
