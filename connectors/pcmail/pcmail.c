/*
 * The Microsoft Mail (PC) dir-sync connector (type = pcmail): galgate is
 * the dir-sync server of seed 002.  Configuration, the registry entry and
 * reset; the cycle itself is in pcm_server.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "mailbox.h"
#include "pcmail.h"
#include "state.h"
#include "threshold.h"

const struct conf_key pcmail_keys[] = {
	{ "network", CONF_STRING, CONF_REQUIRED, 0, 0, NULL,
	    "the gateway's network name (1-10 letters or digits)" },
	{ "postoffice", CONF_STRING, CONF_REQUIRED, 0, 0, NULL,
	    "the gateway's postoffice name (1-10 letters or digits)" },
	GW_KEY_EXPORT_CONTAINER("Exchange-form DN whose recipients go to the "
	    "requestors (repeat)"),
	{ "address", CONF_ADDRESS, 0, 0, 0, NULL,
	    "the gateway's $SYSTEM mail address, From of every reply "
	    "(default galgate-dirsync@localhost)" },
	{ "admin_copy", CONF_ADDRESS, 0, 0, 0, NULL,
	    "gets a copy of every outgoing dir-sync message" },
	{ "admin_forward", CONF_ADDRESS, 0, 0, 0, NULL,
	    "every incoming dir-sync message is forwarded to it" },
	{ "template", CONF_STRING, CONF_MULTI, 0, 0, NULL,
	    "'Prompt: attribute' of the template table, or 'Prompt: none' "
	    "(repeat)" },
	GW_KEY_SMTP_TEMPLATE,
	GW_KEY_CODEPAGE("code page of the requestors (default CP850)"),
	GW_KEY_DELETE_THRESHOLD("most deletions a requestor may make, or a "
	    "reply may carry (default 10%, 50)"),
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

const struct conf_key pcmail_peer_keys[] = {
	{ "password_file", CONF_SECRET_FILE, CONF_REQUIRED, 0, 0, NULL,
	    "file holding the requestor's dir-sync password (owner-only)" },
	{ "types", CONF_TOKENS, 0, 0, 0, NULL,
	    "address types the requestor gets, e.g. PCM|SMTP (default PCM)" },
	{ "templates", CONF_BOOL, 0, 0, 0, NULL,
	    "exchange template information with it (default no)" },
	{ "smtp_template", CONF_STRING, 0, 0, 0, NULL,
	    "SMTP address of its users, instead of the connector's "
	    "smtp_template" },
	{ "import_container", CONF_X500, CONF_REQUIRED | CONF_IMPORT, 0, 0,
	    NULL, "Exchange-form DN where its addresses are created" },
	{ "address", CONF_ADDRESS, CONF_REQUIRED, 0, 0, NULL,
	    "where its $SYSTEM mail goes (replies)" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

struct pcm_peer *
pcm_peer_find(struct pcmail *pc, const char *net, const char *po)
{
	size_t i;

	for (i = 0; i < pc->npeer; i++)
		if (gw_strcaseeq(pc->peer[i].net, net) &&
		    gw_strcaseeq(pc->peer[i].po, po))
			return &pc->peer[i];
	return NULL;
}

/* 1-10 letters or digits, upper-cased into out. */
static int
name_elem(const char *s, size_t len, char *out)
{
	size_t i;

	if (len == 0 || len > PCM_ELEM_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]))
			return -1;
		out[i] = (char)toupper((unsigned char)s[i]);
	}
	out[len] = '\0';
	return 0;
}

static void
pcmail_release(struct gw_connector *con)
{
	struct pcmail *pc = con->priv;
	size_t i, k;

	if (pc == NULL)
		return;
	gw_containers_free(pc->exp, pc->nexp);
	for (i = 0; i < pc->npeer; i++) {
		for (k = 0; k < pc->peer[i].ntypes; k++)
			free(pc->peer[i].types[k]);
		free(pc->peer[i].types);
		gw_container_release(&pc->peer[i].imp);
	}
	free(pc->peer);
	pcm_prompts_free(pc);
	free(pc);
	con->priv = NULL;
}

static int
peer_configure(struct pcmail *pc, const struct gw_conf *conf,
    const struct conf_section *sec, struct gw_err *err)
{
	struct pcm_peer *p;
	const char *slash = strchr(sec->name, '/'), *v, *errstr;
	char **tok;
	size_t n, i;
	int b;

	pc->peer = gw_realloc(pc->peer, (pc->npeer + 1) * sizeof(*pc->peer));
	p = &pc->peer[pc->npeer];
	memset(p, 0, sizeof(*p));
	pc->npeer++;
	p->sec = sec;
	p->name = sec->name;
	if (slash == NULL || name_elem(sec->name, (size_t)(slash - sec->name),
	    p->net) == -1 || name_elem(slash + 1, strlen(slash + 1),
	    p->po) == -1)
		return gw_err_set(err, GW_EXIT_USAGE, "%s:%d: [requestor %s]: "
		    "the name must be NET/PO, each 1 to 10 letters or digits",
		    conf->path, sec->line, sec->name);
	snprintf(p->id, sizeof(p->id), "%s/%s", p->net, p->po);
	if ((gw_strcaseeq(p->net, pc->net) && gw_strcaseeq(p->po, pc->po)) ||
	    pcm_peer_find(pc, p->net, p->po) != p)
		return gw_err_set(err, GW_EXIT_USAGE, "%s:%d: [requestor %s]: "
		    "that postoffice is the gateway's or another requestor's",
		    conf->path, sec->line, sec->name);
	p->password_file = conf_get(sec, "password_file", NULL);
	p->address = conf_get(sec, "address", NULL);
	if (gw_container_parse(&p->imp, conf_get(sec, "import_container", ""),
	    conf->suffix, err) == -1)
		return -1;
	p->smtp_template = conf_get(sec, "smtp_template", pc->smtp_template);
	v = conf_get(sec, "templates", "no");
	if (gw_parse_bool(v, &b, &errstr) == 0)
		p->templates = b;
	tok = conf_tokens(conf_get(sec, "types", "PCM"), &n);
	p->types = gw_calloc(n + 1, sizeof(*p->types));
	for (i = 0; i < n; i++) {
		char t[PCM_ELEM_MAX + 1];

		if (name_elem(tok[i], strlen(tok[i]), t) == -1) {
			gw_err_set(err, GW_EXIT_USAGE, "%s:%d: [requestor %s]: "
			    "types: '%s' is not an address type", conf->path,
			    conf_entry(sec, "types")->line, sec->name, tok[i]);
			conf_tokens_free(tok, n);
			return -1;
		}
		p->types[p->ntypes++] = gw_strdup(strcmp(t, "MS") == 0 ||
		    strcmp(t, "CSI") == 0 ? "PCM" : t);
	}
	conf_tokens_free(tok, n);
	return 0;
}

static int
pcmail_configure(struct gw_connector *con, const struct gw_conf *conf,
    struct gw_err *err)
{
	struct pcmail *pc = gw_calloc(1, sizeof(*pc));
	const struct conf_section *s = NULL;
	const char *v;

	con->priv = pc;
	pc->name = con->name;
	pc->conf_path = conf->path;
	v = conf_get(con->sec, "network", "");
	if (name_elem(v, strlen(v), pc->net) == -1) {
		gw_err_set(err, GW_EXIT_USAGE, "%s:%d: network: '%s' must be 1 "
		    "to 10 letters or digits", conf->path,
		    conf_entry(con->sec, "network")->line, v);
		goto fail;
	}
	v = conf_get(con->sec, "postoffice", "");
	if (name_elem(v, strlen(v), pc->po) == -1) {
		gw_err_set(err, GW_EXIT_USAGE, "%s:%d: postoffice: '%s' must be "
		    "1 to 10 letters or digits", conf->path,
		    conf_entry(con->sec, "postoffice")->line, v);
		goto fail;
	}
	pc->address = conf_get(con->sec, "address",
	    "galgate-dirsync@localhost");
	pc->admin_copy = conf_get(con->sec, "admin_copy", NULL);
	pc->admin_forward = conf_get(con->sec, "admin_forward", NULL);
	pc->codepage = conf_get(con->sec, "codepage", GW_CODEPAGE_DEFAULT);
	pc->smtp_template = conf_get(con->sec, "smtp_template", NULL);
	gw_threshold_conf(con->sec, &pc->threshold);
	if (gw_containers_read(con->sec, "export_container", conf->suffix,
	    &pc->exp, &pc->nexp, err) == -1)
		goto fail;
	if (pcm_prompts_configure(pc, con->sec, conf->path, err) == -1)
		goto fail;
	while ((s = conf_next_requestor(conf, con->sec, s)) != NULL)
		if (peer_configure(pc, conf, s, err) == -1)
			goto fail;
	return 0;
fail:
	pcmail_release(con);
	return -1;
}

int
pcm_cycle_open(struct pcm_cycle *c, struct gw_connector *con,
    struct gw_cycle *cy, struct gw_err *err)
{
	memset(c, 0, sizeof(*c));
	c->pc = con->priv;
	c->cy = cy;
	pcm_names_init(&c->names);
	c->nums = gw_calloc(c->pc->npeer + 1, sizeof(*c->nums));
	if (gw_cp_open(&c->cp, c->pc->codepage, err) == -1) {
		c->cp.to_utf8 = c->cp.from_utf8 = (iconv_t)-1;
		return -1;
	}
	return pcm_nums_load(c, err);
}

void
pcm_cycle_close(struct pcm_cycle *c)
{
	pcm_names_release(&c->names);
	free(c->nums);
	gw_cp_close(&c->cp);
	memset(c, 0, sizeof(*c));
}

/*
 * --export-all: "Export on Next Cycle", the next reply is a full one.
 * --import-all: ReqSync goes back to 0, so every transaction the requestor
 * sends next is applied, even numbers seen before.
 */
static int
pcmail_reset(struct gw_connector *con, struct gw_txn *txn,
    const struct gw_reset *r, struct gw_err *err)
{
	struct pcmail *pc = con->priv;
	struct pcm_peer *only = NULL;
	char key[80];
	size_t i;
	int rc = 0;

	if (r->requestor != NULL) {
		const char *slash = strchr(r->requestor, '/');
		char net[16], po[16];

		if (slash != NULL && (size_t)(slash - r->requestor) <
		    sizeof(net) && strlen(slash + 1) < sizeof(po)) {
			memcpy(net, r->requestor, (size_t)(slash -
			    r->requestor));
			net[slash - r->requestor] = '\0';
			snprintf(po, sizeof(po), "%s", slash + 1);
			only = pcm_peer_find(pc, net, po);
		}
		if (only == NULL)
			return gw_err_set(err, GW_EXIT_USAGE, "connector %s has "
			    "no requestor '%s'", con->name, r->requestor);
	}
	for (i = 0; rc == 0 && i < pc->npeer; i++) {
		if (only != NULL && only != &pc->peer[i])
			continue;
		if (r->export_all) {
			snprintf(key, sizeof(key), "%s export_all",
			    pc->peer[i].id);
			rc = wmark_put_u64(txn, con->name, key, 1, err);
		}
		if (rc == 0 && r->import_all) {
			snprintf(key, sizeof(key), "%s reqsync",
			    pc->peer[i].id);
			rc = wmark_put_u64(txn, con->name, key, 0, err);
		}
	}
	return rc;
}

const struct gw_connector_ops connector_pcmail = {
	.type = "pcmail",
	.keys = pcmail_keys,
	.extra_keys = gw_mailbox_keys,	/* transport, inbox, smtp_url, ... */
	.command = &pcmail_command,
	.peer_keys = pcmail_peer_keys,
	.configure = pcmail_configure,
	.cycle = pcm_server_cycle,
	.reset = pcmail_reset,
	.release = pcmail_release,
};
