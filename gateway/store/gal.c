#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lber.h>
#include <ldap.h>

#include "dn.h"
#include "failpoint.h"
#include "gal.h"
#include "strmap.h"

#define GAL_PAGE_SIZE		500
#define GAL_NET_TIMEOUT		10	/* seconds */
#define GAL_OP_TIMEOUT		300

#define OID_SYNC_REQUEST	"1.3.6.1.4.1.4203.1.9.1.1"
#define OID_SYNC_STATE		"1.3.6.1.4.1.4203.1.9.1.2"
#define OID_SYNC_DONE		"1.3.6.1.4.1.4203.1.9.1.3"
#define OID_SYNC_INFO		"1.3.6.1.4.1.4203.1.9.1.4"
#define LDAP_SYNC_REFRESH_REQUIRED_RC	0x1000

struct gal {
	LDAP		*ld;
	char		*uri;
	FILE		*audit;
	long long	 audit_keep;	/* seconds */
};

static int
ld_fail(struct gal *g, struct gw_err *err, int rc, const char *what,
    const char *dn)
{
	char *diag = NULL;
	int exit = GW_EXIT_RUNTIME, server;

	if (g != NULL && g->ld != NULL)
		ldap_get_option(g->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/*
	 * A client-side failure (the server went away, a timeout) says which
	 * server: the DN alone does not tell the administrator where to look.
	 */
	server = rc < 0 && g != NULL && g->uri != NULL &&
	    (dn == NULL || strcmp(dn, g->uri) != 0);
	gw_err_set(err, exit, "%s%s%s: %s (%d)%s%s%s%s", what,
	    dn != NULL ? " " : "", dn != NULL ? dn : "", ldap_err2string(rc),
	    rc, diag != NULL && *diag != '\0' ? ": " : "",
	    diag != NULL ? diag : "", server ? "; LDAP server " : "",
	    server ? g->uri : "");
	ldap_memfree(diag);
	return -1;
}

char *
gal_default_uri(const char *state_dir)
{
	struct gw_buf b;
	const char *p;

	gw_buf_init(&b, 0);
	(void)gw_buf_addstr(&b, "ldapi://");
	for (p = state_dir; *p != '\0'; p++) {
		if (*p == '/' || *p == '%' || *p == ' ' || *p == ',' ||
		    (unsigned char)*p > 126)
			(void)gw_buf_printf(&b, "%%%02X", (unsigned char)*p);
		else
			(void)gw_buf_addch(&b, *p);
	}
	(void)gw_buf_addstr(&b, "%2Fslapd%2Fldapi");
	return gw_buf_detach(&b);
}

/* 1 if the URI's host is this machine: StartTLS adds nothing there. */
static int
loopback_host(const char *uri)
{
	const char *h = strstr(uri, "://");

	if (h == NULL)
		return 0;
	h += 3;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
	    strncmp(h, "[::1]", 5) == 0 || *h == '/' || *h == '\0';
}

static int
set_tls(struct gal *g, const struct gw_conf *conf, const char *uri,
    struct gw_err *err)
{
	int demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc, want;

	/* the server's certificate is always verified */
	ldap_set_option(g->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	if (conf->tls_ca_file != NULL)
		ldap_set_option(g->ld, LDAP_OPT_X_TLS_CACERTFILE,
		    conf->tls_ca_file);
	ldap_set_option(g->ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (strncmp(uri, "ldap://", 7) != 0)
		return 0;
	want = conf->starttls == -1 ? !loopback_host(uri) : conf->starttls;
	if (!want)
		return 0;
	if ((rc = ldap_start_tls_s(g->ld, NULL, NULL)) != LDAP_SUCCESS)
		return ld_fail(g, err, rc, "StartTLS with", uri);
	return 0;
}

static int
try_uri(struct gal *g, const struct gw_conf *conf, const char *uri,
    struct gw_err *err)
{
	struct timeval tv = { GAL_NET_TIMEOUT, 0 };
	struct berval pw = { 0, NULL };
	int rc, ver = LDAP_VERSION3;

	if ((rc = ldap_initialize(&g->ld, uri)) != LDAP_SUCCESS)
		return ld_fail(NULL, err, rc, "connect", uri);
	ldap_set_option(g->ld, LDAP_OPT_PROTOCOL_VERSION, &ver);
	ldap_set_option(g->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(g->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (set_tls(g, conf, uri, err) == -1)
		return -1;
	if (conf->bind_dn != NULL) {
		size_t len;

		if (gw_read_secret(conf->bind_password_file, 1024, &pw.bv_val,
		    &len, err) == -1)
			return -1;
		pw.bv_len = len;
		rc = ldap_sasl_bind_s(g->ld, conf->bind_dn, LDAP_SASL_SIMPLE,
		    &pw, NULL, NULL, NULL);
		memset(pw.bv_val, 0, pw.bv_len);
		free(pw.bv_val);
	} else {
		/* an empty authzid: act as the identity the socket proves */
		struct berval none = { 0, (char *)"" };

		rc = ldap_sasl_bind_s(g->ld, NULL, "EXTERNAL", &none, NULL,
		    NULL, NULL);
	}
	if (rc != LDAP_SUCCESS) {
		ld_fail(g, err, rc, "bind to", uri);
		return -1;
	}
	return 0;
}

int
gal_open(const struct gw_conf *conf, struct gal **out, struct gw_err *err)
{
	struct gal *g = gw_calloc(1, sizeof(*g));
	char *def = NULL;
	const char *uri;
	struct gw_buf tried;
	size_t i, n = conf->nuris;
	struct gw_err one;

	gw_buf_init(&tried, 0);
	if (n == 0)
		def = gal_default_uri(conf->state_dir);
	for (i = 0; i < (n == 0 ? 1 : n); i++) {
		uri = n == 0 ? def : conf->uris[i];
		gw_err_init(&one);
		if (try_uri(g, conf, uri, &one) == 0) {
			g->uri = gw_strdup(uri);
			g->audit_keep = conf->audit_keep;
			free(def);
			gw_buf_release(&tried);
			*out = g;
			return 0;
		}
		if (one.exit == GW_EXIT_USAGE) {
			/* a config problem is the same on every server */
			gw_err_set(err, one.exit, "%s", one.msg);
			goto fail;
		}
		(void)gw_buf_printf(&tried, "%s%s", tried.len ? "; " : "",
		    one.msg);
		if (g->ld != NULL)
			ldap_unbind_ext_s(g->ld, NULL, NULL);
		g->ld = NULL;
	}
	gw_err_set(err, GW_EXIT_RUNTIME, "no LDAP server answered: %s",
	    tried.buf != NULL ? tried.buf : "");
fail:
	if (g->ld != NULL)
		ldap_unbind_ext_s(g->ld, NULL, NULL);
	free(g);
	free(def);
	gw_buf_release(&tried);
	*out = NULL;
	return -1;
}

int
gal_audit_open(struct gal *g, const char *state_dir, const char *name,
    struct gw_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX], when[32];
	struct dirent *d;
	struct stat st;
	time_t now = time(NULL);
	struct tm tm;
	DIR *dd;

	gal_audit_close(g);
	snprintf(dir, sizeof(dir), "%s/audit", state_dir);
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", dir,
		    strerror(errno));
	if (g->audit_keep > 0 && (dd = opendir(dir)) != NULL) {
		while ((d = readdir(dd)) != NULL) {
			if (d->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir,
			    d->d_name) >= (int)sizeof(path))
				continue;
			if (stat(path, &st) == 0 &&
			    st.st_mtime < now - (time_t)g->audit_keep)
				unlink(path);
		}
		closedir(dd);
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	if (snprintf(path, sizeof(path), "%s/%s-%s.ldif", dir, name, when) >=
	    (int)sizeof(path))
		return gw_err_set(err, GW_EXIT_USAGE, "%s: path too long", dir);
	if ((g->audit = fopen(path, "a")) == NULL)
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", path,
		    strerror(errno));
	fprintf(g->audit, "# galgate audit: changes made by connector %s, "
	    "cycle started %.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ\n\n", name, when,
	    when + 4, when + 6, when + 9, when + 11, when + 13);
	return 0;
}

void
gal_audit_close(struct gal *g)
{
	if (g->audit == NULL)
		return;
	fclose(g->audit);
	g->audit = NULL;
}

static void
audit_change(struct gal *g, const struct gw_change *ch)
{
	struct gw_buf b;

	if (g->audit == NULL)
		return;
	gw_buf_init(&b, 0);
	if (gw_change_ldif(ch, &b) == 0 && b.buf != NULL)
		fputs(b.buf, g->audit);
	gw_buf_release(&b);
}

void
gal_close(struct gal *g)
{
	if (g == NULL)
		return;
	gal_audit_close(g);
	if (g->ld != NULL)
		ldap_unbind_ext_s(g->ld, NULL, NULL);
	free(g->uri);
	free(g);
}

const char *
gal_uri(const struct gal *g)
{
	return g->uri;
}

static int
scope_of(enum gal_scope s)
{
	return s == GAL_SCOPE_BASE ? LDAP_SCOPE_BASE :
	    s == GAL_SCOPE_ONE ? LDAP_SCOPE_ONELEVEL : LDAP_SCOPE_SUBTREE;
}

/* LDAP entry to record; rec->dn is the entry's DN. */
static void
entry_to_record(LDAP *ld, LDAPMessage *e, struct gw_record *rec)
{
	BerElement *ber = NULL;
	struct berval **vals;
	char *a, *dn;
	size_t i;

	gw_record_init(rec);
	dn = ldap_get_dn(ld, e);
	rec->dn = gw_strdup(dn != NULL ? dn : "");
	ldap_memfree(dn);
	for (a = ldap_first_attribute(ld, e, &ber); a != NULL;
	    a = ldap_next_attribute(ld, e, ber)) {
		vals = ldap_get_values_len(ld, e, a);
		for (i = 0; vals != NULL && vals[i] != NULL; i++)
			gw_record_add(rec, a, vals[i]->bv_val, vals[i]->bv_len);
		ldap_value_free_len(vals);
		ldap_memfree(a);
	}
	if (ber != NULL)
		ber_free(ber, 0);
}

/*
 * Hands each entry of one page of search msgid to cb; *res is then the
 * page's final result.  0, or -1: err set, or cb returned -1.
 */
static int
page_entries(struct gal *g, int msgid, const char *base, gal_entry_cb cb,
    void *arg, LDAPMessage **res, struct gw_err *err)
{
	struct timeval tv = { GAL_OP_TIMEOUT, 0 };
	struct gw_record rec;
	int type, rc, r;

	for (;;) {
		type = ldap_result(g->ld, msgid, LDAP_MSG_ONE, &tv, res);
		if (type <= 0) {
			ldap_get_option(g->ld, LDAP_OPT_RESULT_CODE, &rc);
			ldap_abandon_ext(g->ld, msgid, NULL, NULL);
			return ld_fail(g, err, type == 0 ? LDAP_TIMEOUT : rc,
			    "search", base);
		}
		if (type == LDAP_RES_SEARCH_REFERENCE) {
			ldap_msgfree(*res);
			continue;
		}
		if (type != LDAP_RES_SEARCH_ENTRY)
			return 0;
		entry_to_record(g->ld, ldap_first_entry(g->ld, *res), &rec);
		r = cb(arg, &rec);
		gw_record_release(&rec);
		ldap_msgfree(*res);
		if (r == -1) {
			ldap_abandon_ext(g->ld, msgid, NULL, NULL);
			return -1;
		}
	}
}

/* The cookie of the next page, from a page's controls (freed), or NULL. */
static struct berval *
page_cookie(struct gal *g, LDAPControl **rctrls)
{
	LDAPControl *pc;
	struct berval c = { 0, NULL }, *next = NULL;
	ber_int_t total;

	if (rctrls == NULL)
		return NULL;
	pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
	if (pc != NULL && ldap_parse_pageresponse_control(g->ld, pc, &total,
	    &c) == LDAP_SUCCESS && c.bv_len > 0)
		next = ber_bvdup(&c);
	if (c.bv_val != NULL)
		ber_memfree(c.bv_val);
	ldap_controls_free(rctrls);
	return next;
}

int
gal_search(struct gal *g, const char *base, enum gal_scope scope,
    const char *filter, const char *const *attrs, gal_entry_cb cb, void *arg,
    int *missing, struct gw_err *err)
{
	struct berval *pcookie = NULL;
	LDAPControl *page = NULL, *sctrls[2] = { NULL, NULL }, **rctrls = NULL;
	LDAPMessage *res = NULL;
	int rc, msgid, lrc, more;

	if (missing != NULL)
		*missing = 0;
	do {
		more = 0;
		rc = ldap_create_page_control(g->ld, GAL_PAGE_SIZE, pcookie, 0,
		    &page);
		if (pcookie != NULL) {
			ber_bvfree(pcookie);
			pcookie = NULL;
		}
		if (rc != LDAP_SUCCESS)
			return ld_fail(g, err, rc, "search", base);
		sctrls[0] = page;
		rc = ldap_search_ext(g->ld, base, scope_of(scope), filter,
		    (char **)attrs, 0, sctrls, NULL, NULL, LDAP_NO_LIMIT, &msgid);
		ldap_control_free(page);
		page = NULL;
		if (rc != LDAP_SUCCESS)
			return ld_fail(g, err, rc, "search", base);
		if (page_entries(g, msgid, base, cb, arg, &res, err) == -1)
			return -1;
		rc = ldap_parse_result(g->ld, res, &lrc, NULL, NULL, NULL,
		    &rctrls, 1);
		if (rc != LDAP_SUCCESS)
			return ld_fail(g, err, rc, "search", base);
		if (lrc == LDAP_NO_SUCH_OBJECT) {
			ldap_controls_free(rctrls);
			if (missing != NULL)
				*missing = 1;
			return 0;
		}
		if (lrc != LDAP_SUCCESS) {
			ldap_controls_free(rctrls);
			return ld_fail(g, err, lrc, "search", base);
		}
		pcookie = page_cookie(g, rctrls);
		rctrls = NULL;
		more = pcookie != NULL;
	} while (more);
	return 0;
}

struct read_ctx {
	struct gw_record	*out;
	int			 found;
};

static int
read_cb(void *arg, const struct gw_record *rec)
{
	struct read_ctx *c = arg;

	if (!c->found)
		gw_record_copy(c->out, rec);
	c->found = 1;
	return 0;
}

int
gal_read(struct gal *g, const char *dn, const char *const *attrs,
    struct gw_record *out, struct gw_err *err)
{
	struct read_ctx c = { out, 0 };
	int missing;

	gw_record_init(out);
	if (gal_search(g, dn, GAL_SCOPE_BASE, "(objectClass=*)", attrs,
	    read_cb, &c, &missing, err) == -1)
		return -1;
	return c.found;
}

int
gal_touch_marker(struct gal *g, const char *dn, char **csn,
    struct gw_err *err)
{
	static const char *const csn_attr[] = { "entryCSN", NULL };
	/* (libldap's LDAPMod wants char *, not string literals) */
	static char t_oc[] = "objectClass", t_cn[] = "cn",
	    t_hidden[] = "galgateHidden", t_desc[] = "description",
	    v_oc[] = "galgateJournalMarker", v_true[] = "TRUE",
	    v_desc[] = "galgate writes this entry before every journal "
	    "poll; it is not a recipient";
	char *oc[] = { v_oc, NULL }, *hidden[] = { v_true, NULL },
	    *desc[] = { v_desc, NULL }, *cn[] = { NULL, NULL };
	LDAPMod m_oc = { LDAP_MOD_ADD, t_oc, { oc } };
	LDAPMod m_cn = { LDAP_MOD_ADD, t_cn, { cn } };
	LDAPMod m_hidden = { LDAP_MOD_ADD, t_hidden, { hidden } };
	LDAPMod m_desc = { LDAP_MOD_ADD, t_desc, { desc } };
	LDAPMod m_same = { LDAP_MOD_REPLACE, t_desc, { desc } };
	LDAPMod *add[] = { &m_oc, &m_cn, &m_hidden, &m_desc, NULL };
	LDAPMod *mod[] = { &m_same, NULL };
	struct gw_record rec;
	const char *v, *eq;
	size_t len;
	int rc, tries;

	*csn = NULL;
	/* the value of the first RDN, unescaped RDNs only (ours are) */
	eq = strchr(dn, '=');
	len = eq != NULL ? strcspn(eq + 1, ",") : 0;
	if (eq == NULL || len == 0)
		return gw_err_set(err, GW_EXIT_RUNTIME, "journal marker %s: "
		    "not a DN", dn);
	cn[0] = gw_strndup(eq + 1, len);
	/* a same-value replace still gets a new entryCSN */
	for (tries = 0; tries < 2; tries++) {
		rc = ldap_modify_ext_s(g->ld, dn, mod, NULL, NULL);
		if (rc != LDAP_NO_SUCH_OBJECT)
			break;
		rc = ldap_add_ext_s(g->ld, dn, add, NULL, NULL);
		if (rc != LDAP_ALREADY_EXISTS)	/* else: added meanwhile */
			break;
	}
	free(cn[0]);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return 0;
	if (rc != LDAP_SUCCESS)
		return ld_fail(g, err, rc, "writing the journal marker", dn);
	if ((rc = gal_read(g, dn, csn_attr, &rec, err)) != 1) {
		gw_record_release(&rec);
		return rc == -1 ? -1 : gw_err_set(err, GW_EXIT_RUNTIME,
		    "journal marker %s: gone right after it was written", dn);
	}
	v = gw_record_get(&rec, "entryCSN");
	if (v == NULL) {
		gw_record_release(&rec);
		return gw_err_set(err, GW_EXIT_RUNTIME, "journal marker %s: "
		    "the server gives no entryCSN (is this the GAL's "
		    "database, with syncprov?)", dn);
	}
	*csn = gw_strdup(v);
	gw_record_release(&rec);
	return 1;
}

/* LDAPMod array for an add or modify; free with mods_free. */
static LDAPMod **
mods_build(const struct gw_change *ch)
{
	LDAPMod **mods;
	const struct gw_attr *a;
	size_t n, i, j;
	int op;

	n = ch->op == GW_OP_ADD ? ch->rec.n : ch->nmods;
	mods = gw_calloc(n + 1, sizeof(*mods));
	for (i = 0; i < n; i++) {
		if (ch->op == GW_OP_ADD) {
			a = &ch->rec.attr[i];
			op = LDAP_MOD_ADD;
		} else {
			a = &ch->mods[i].attr;
			op = ch->mods[i].op == GW_MOD_ADD ? LDAP_MOD_ADD :
			    ch->mods[i].op == GW_MOD_DELETE ? LDAP_MOD_DELETE :
			    LDAP_MOD_REPLACE;
		}
		mods[i] = gw_calloc(1, sizeof(LDAPMod));
		mods[i]->mod_op = op | LDAP_MOD_BVALUES;
		mods[i]->mod_type = a->name;
		mods[i]->mod_bvalues = gw_calloc(a->n + 1,
		    sizeof(struct berval *));
		for (j = 0; j < a->n; j++) {
			struct berval *bv = gw_calloc(1, sizeof(*bv));

			bv->bv_val = a->val[j].ptr;
			bv->bv_len = a->val[j].len;
			mods[i]->mod_bvalues[j] = bv;
		}
	}
	return mods;
}

static void
mods_free(LDAPMod **mods)
{
	size_t i, j;

	for (i = 0; mods[i] != NULL; i++) {
		for (j = 0; mods[i]->mod_bvalues[j] != NULL; j++)
			free(mods[i]->mod_bvalues[j]);
		free(mods[i]->mod_bvalues);
		free(mods[i]);
	}
	free(mods);
}

static int
submit(struct gal *g, const struct gw_change *ch, LDAPControl **sctrls,
    int *msgid)
{
	LDAPMod **mods;
	int rc;

	switch (ch->op) {
	case GW_OP_ADD:
	case GW_OP_MODIFY:
		mods = mods_build(ch);
		rc = ch->op == GW_OP_ADD ?
		    ldap_add_ext(g->ld, ch->dn, mods, sctrls, NULL, msgid) :
		    ldap_modify_ext(g->ld, ch->dn, mods, sctrls, NULL, msgid);
		mods_free(mods);
		return rc;
	case GW_OP_DELETE:
		return ldap_delete_ext(g->ld, ch->dn, sctrls, NULL, msgid);
	case GW_OP_RENAME:
		return ldap_rename(g->ld, ch->dn, ch->newrdn, ch->newsuperior,
		    1, sctrls, NULL, msgid);
	default:
		return LDAP_PARAM_ERROR;
	}
}

struct inflight {
	int	 msgid;
	size_t	 idx;
	char	*key[2];	/* its DN's key; a rename's new DN's key */
};

/*
 * An LDAP DN string without its first RDN, or NULL for a one-RDN DN.
 * Escaped commas ("\,") do not end the RDN.
 */
static const char *
parent_of(const char *dn)
{
	const char *p;

	for (p = dn; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == ',')
			return p + 1;
	}
	return NULL;
}

/* The keys of the entries a change touches (gw_dn_key, caller frees). */
static void
change_keys(const struct gw_change *ch, char *key[2])
{
	const char *parent;
	char *newdn;

	key[0] = gw_dn_key(ch->dn);
	key[1] = NULL;
	if (ch->op != GW_OP_RENAME || ch->newrdn == NULL)
		return;
	parent = ch->newsuperior != NULL ? ch->newsuperior : parent_of(ch->dn);
	if (parent == NULL)
		newdn = gw_strdup(ch->newrdn);
	else {
		newdn = gw_malloc(strlen(ch->newrdn) + strlen(parent) + 2);
		sprintf(newdn, "%s,%s", ch->newrdn, parent);
	}
	key[1] = gw_dn_key(newdn);
	free(newdn);
}

/* Is one of the two keys the other, or above it? */
static int
keys_related(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > lb)
		return keys_related(b, a);
	/* keys are X.500 forms: "/" between RDNs, "\/" inside values */
	return strncmp(a, b, la) == 0 && (la == lb || b[la] == '/');
}

/* Must a change with these keys wait for the one in flight? */
static int
keys_conflict(char *const mine[2], const struct inflight *fl)
{
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (mine[i] != NULL && fl->key[j] != NULL &&
			    keys_related(mine[i], fl->key[j]))
				return 1;
	return 0;
}

/* Waits for one result; -1 on a connection failure. */
static int
collect_one(struct gal *g, const struct gw_change *ch, struct inflight *fl,
    size_t *nfl, int ignore_exists, gal_result_cb cb, void *arg,
    size_t *failed, struct gw_err *err)
{
	struct timeval tv = { GAL_OP_TIMEOUT, 0 };
	LDAPMessage *res = NULL;
	char *text = NULL;
	int type, rc, lrc = 0, id;
	size_t i;

	type = ldap_result(g->ld, LDAP_RES_ANY, LDAP_MSG_ALL, &tv, &res);
	if (type <= 0) {
		ldap_get_option(g->ld, LDAP_OPT_RESULT_CODE, &rc);
		return ld_fail(g, err, type == 0 ? LDAP_TIMEOUT : rc,
		    "waiting for write results from", g->uri);
	}
	id = ldap_msgid(res);
	rc = ldap_parse_result(g->ld, res, &lrc, NULL, &text, NULL, NULL, 1);
	for (i = 0; i < *nfl; i++)
		if (fl[i].msgid == id)
			break;
	if (i == *nfl) {
		ldap_memfree(text);
		return 0;	/* not ours */
	}
	if (rc != LDAP_SUCCESS)
		lrc = rc;
	if (lrc == LDAP_ALREADY_EXISTS && ignore_exists &&
	    ch[fl[i].idx].op == GW_OP_ADD)
		lrc = LDAP_SUCCESS;
	if (lrc != LDAP_SUCCESS) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s %s: %s (%d)%s%s",
		    ch[fl[i].idx].op == GW_OP_ADD ? "add" :
		    ch[fl[i].idx].op == GW_OP_MODIFY ? "modify" :
		    ch[fl[i].idx].op == GW_OP_DELETE ? "delete" : "rename",
		    ch[fl[i].idx].dn, ldap_err2string(lrc), lrc,
		    text != NULL && *text != '\0' ? ": " : "",
		    text != NULL ? text : "");
		(*failed)++;
		if (cb != NULL)
			cb(arg, fl[i].idx, 0, lrc, msg);
	} else {
		audit_change(g, &ch[fl[i].idx]);
		if (cb != NULL)
			cb(arg, fl[i].idx, 1, 0, NULL);
	}
	ldap_memfree(text);
	free(fl[i].key[0]);
	free(fl[i].key[1]);
	fl[i] = fl[--(*nfl)];
	return 0;
}

int
gal_apply(struct gal *g, const struct gw_change *ch, size_t n, size_t window,
    int ignore_exists, gal_result_cb cb, void *arg, size_t *failed,
    struct gw_err *err)
{
	struct inflight *fl;
	size_t nfl = 0, i, k;
	char *key[2] = { NULL, NULL };
	int rc, msgid, busy, ret = -1;

	*failed = 0;
	if (window == 0)
		window = 1;
	fl = gw_calloc(window, sizeof(*fl));
	for (i = 0; i < n; i++) {
		/*
		 * slapd runs the operations of one connection on several
		 * threads: a change waits while one on the same entry, above
		 * it or below it is in flight, so a parent is there before
		 * its child is added and a child gone before its parent is
		 * deleted (in the order the caller lists them).
		 *
		 * Changes finish out of order, and syncprov moves contextCSN
		 * only past CSNs with none older still pending (a failed
		 * write stays pending until after its result went out), so
		 * after a batch contextCSN can stay short of changes that
		 * committed.  No order of ours prevents that, since other
		 * clients write too: the journal poll makes contextCSN catch
		 * up before it trusts a refresh (journal.h).
		 */
		change_keys(&ch[i], key);
		do {
			busy = 0;
			for (k = 0; k < nfl && !busy; k++)
				busy = keys_conflict(key, &fl[k]);
			if (busy || nfl == window) {
				if (collect_one(g, ch, fl, &nfl, ignore_exists,
				    cb, arg, failed, err) == -1)
					goto done;
			}
		} while (busy || nfl == window);
		GW_FAILPOINT("ldap-write");
		rc = submit(g, &ch[i], NULL, &msgid);
		if (rc != LDAP_SUCCESS) {
			ld_fail(g, err, rc, "sending change for", ch[i].dn);
			goto done;
		}
		fl[nfl].msgid = msgid;
		fl[nfl].idx = i;
		fl[nfl].key[0] = key[0];
		fl[nfl].key[1] = key[1];
		key[0] = key[1] = NULL;
		nfl++;
	}
	while (nfl > 0)
		if (collect_one(g, ch, fl, &nfl, ignore_exists, cb, arg, failed,
		    err) == -1)
			goto done;
	ret = 0;
done:
	free(key[0]);
	free(key[1]);
	for (k = 0; k < nfl; k++) {
		free(fl[k].key[0]);
		free(fl[k].key[1]);
	}
	free(fl);
	return ret;
}

/*
 * One group inside a transaction.  Returns 1 if the server committed it,
 * 0 if it refused it (nothing applied), -1 on a connection failure.
 */
static int
txn_group(struct gal *g, const struct gw_change *ch, size_t n, size_t window,
    struct gw_err *err)
{
	struct timeval tv = { GAL_OP_TIMEOUT, 0 };
	struct berval *txnid = NULL;
	LDAPControl *spec = NULL, *sctrls[2] = { NULL, NULL };
	LDAPMessage *res;
	size_t i, inflight = 0;
	int rc, msgid, lrc, type, refused = 0, retid = 0;

	rc = ldap_txn_start_s(g->ld, NULL, NULL, &txnid);
	if (rc != LDAP_SUCCESS || txnid == NULL) {
		ber_bvfree(txnid);
		return 0;	/* no transactions here: plain operations */
	}
	if (ldap_control_create(LDAP_CONTROL_TXN_SPEC, 1, txnid, 1,
	    &spec) != LDAP_SUCCESS) {
		ber_bvfree(txnid);
		return gw_err_set(err, GW_EXIT_RUNTIME, "out of memory");
	}
	sctrls[0] = spec;
	for (i = 0; i < n || inflight > 0;) {
		if (i < n && inflight < window && !refused) {
			GW_FAILPOINT("ldap-write");
			if ((rc = submit(g, &ch[i], sctrls, &msgid)) !=
			    LDAP_SUCCESS) {
				ld_fail(g, err, rc, "sending change for",
				    ch[i].dn);
				goto fail;
			}
			i++;
			inflight++;
			continue;
		}
		if (inflight == 0)
			break;
		type = ldap_result(g->ld, LDAP_RES_ANY, LDAP_MSG_ALL, &tv, &res);
		if (type <= 0) {
			ldap_get_option(g->ld, LDAP_OPT_RESULT_CODE, &rc);
			ld_fail(g, err, type == 0 ? LDAP_TIMEOUT : rc,
			    "waiting for write results from", g->uri);
			goto fail;
		}
		lrc = LDAP_OTHER;
		ldap_parse_result(g->ld, res, &lrc, NULL, NULL, NULL, NULL, 1);
		inflight--;
		/* queued operations answer "specify okay" or success */
		if (lrc != LDAP_SUCCESS && lrc != LDAP_TXN_SPECIFY_OKAY)
			refused = 1;
		if (refused && i < n)
			i = n;	/* send no more: the group will be aborted */
	}
	rc = ldap_txn_end_s(g->ld, !refused, txnid, NULL, NULL, &retid);
	ldap_control_free(spec);
	ber_bvfree(txnid);
	return !refused && rc == LDAP_SUCCESS ? 1 : 0;
fail:
	ldap_control_free(spec);
	ber_bvfree(txnid);
	return -1;
}

struct offset_cb {
	gal_result_cb	 cb;
	void		*arg;
	size_t		 off;
};

static void
offset_result(void *a, size_t idx, int ok, int rc, const char *msg)
{
	struct offset_cb *o = a;

	if (o->cb != NULL)
		o->cb(o->arg, o->off + idx, ok, rc, msg);
}

int
gal_apply_txn(struct gal *g, const struct gw_change *ch, size_t n,
    size_t batch, size_t window, gal_result_cb cb, void *arg, size_t *failed,
    struct gw_err *err)
{
	struct offset_cb oc = { cb, arg, 0 };
	struct strmap dns;
	size_t off, len, k, f;
	char *key;
	int r;

	*failed = 0;
	if (batch < 2)
		return gal_apply(g, ch, n, window, 0, cb, arg, failed, err);
	for (off = 0; off < n; off += len) {
		/* two changes to one DN keep their order: a group boundary */
		strmap_init(&dns);
		for (len = 0; len < batch && off + len < n; len++) {
			key = gw_fold(ch[off + len].dn);
			if (strmap_has(&dns, key)) {
				free(key);
				break;
			}
			strmap_put(&dns, key, (void *)1);
			free(key);
		}
		strmap_release(&dns);
		/*
		 * Inside a transaction the operations go one at a time:
		 * slapd 2.5 queues them cheaply, and several in flight at
		 * once within one transaction have corrupted its database.
		 */
		if ((r = txn_group(g, ch + off, len, 1, err)) == -1)
			return -1;
		if (r == 1) {
			for (k = 0; k < len; k++) {
				audit_change(g, &ch[off + k]);
				if (cb != NULL)
					cb(arg, off + k, 1, 0, NULL);
			}
			continue;
		}
		/* refused: again one by one, to say which failed and why */
		oc.off = off;
		if (gal_apply(g, ch + off, len, window, 0, offset_result, &oc,
		    &f, err) == -1)
			return -1;
		*failed += f;
	}
	return 0;
}

/* ---- RFC 4533 ---- */

static int
sync_request_control(const struct gw_value *cookie, LDAPControl **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv = { 0, NULL }, cv;
	int rc;

	if (ber == NULL)
		return LDAP_NO_MEMORY;
	/* mode refreshOnly (1); reloadHint FALSE is the default, omitted */
	if (ber_printf(ber, "{e", (ber_int_t)1) == -1)
		goto encode_error;
	if (cookie != NULL && cookie->len > 0) {
		cv.bv_val = cookie->ptr;
		cv.bv_len = cookie->len;
		if (ber_printf(ber, "O", &cv) == -1)
			goto encode_error;
	}
	if (ber_printf(ber, "N}") == -1 || ber_flatten2(ber, &bv, 0) == -1)
		goto encode_error;
	rc = ldap_control_create(OID_SYNC_REQUEST, 1, &bv, 1, out);
	ber_free(ber, 1);
	return rc;
encode_error:
	ber_free(ber, 1);
	return LDAP_ENCODING_ERROR;
}

static void
set_cookie(struct gw_value *out, const struct berval *bv)
{
	free(out->ptr);
	out->ptr = gw_strndup(bv->bv_val != NULL ? bv->bv_val : "",
	    bv->bv_len);
	out->len = bv->bv_len;
}

/* SyncState control of a search entry: state, uuid, optional cookie. */
static int
parse_sync_state(LDAPControl **ctrls, int *state, unsigned char uuid[16],
    struct gw_value *cookie)
{
	LDAPControl *c = ldap_control_find(OID_SYNC_STATE, ctrls, NULL);
	BerElement *ber;
	struct berval id, ck;
	ber_int_t st;
	ber_len_t len;
	int rc = -1;

	if (c == NULL || (ber = ber_init(&c->ldctl_value)) == NULL)
		return -1;
	if (ber_scanf(ber, "{em", &st, &id) == LBER_ERROR || id.bv_len != 16)
		goto done;
	*state = st;
	memcpy(uuid, id.bv_val, 16);
	if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING) {
		if (ber_scanf(ber, "m", &ck) == LBER_ERROR)
			goto done;
		set_cookie(cookie, &ck);
	}
	rc = 0;
done:
	ber_free(ber, 1);
	return rc;
}

struct sync_run {
	const struct gal_sync_ops	*ops;
	void				*arg;
	struct gw_value			*cookie;
	int				 refresh_deletes;
};

static int
parse_idset(BerElement *ber, struct sync_run *s, struct gw_err *err)
{
	unsigned char (*ids)[16] = NULL;
	struct berval id, ck;
	ber_tag_t tag;
	ber_len_t len;
	ber_int_t b;
	char *last;
	int deletes = 0, rc = -1;
	size_t n = 0;

	if (ber_scanf(ber, "{") == LBER_ERROR)
		goto bad;
	tag = ber_peek_tag(ber, &len);
	if (tag == LBER_OCTETSTRING) {
		if (ber_scanf(ber, "m", &ck) == LBER_ERROR)
			goto bad;
		set_cookie(s->cookie, &ck);
		tag = ber_peek_tag(ber, &len);
	}
	if (tag == LBER_BOOLEAN) {
		if (ber_scanf(ber, "b", &b) == LBER_ERROR)
			goto bad;
		deletes = b != 0;
		tag = ber_peek_tag(ber, &len);
	}
	if (tag != LBER_SET)
		goto bad;
	for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT;
	    tag = ber_next_element(ber, &len, last)) {
		if (ber_scanf(ber, "m", &id) == LBER_ERROR || id.bv_len != 16)
			goto bad;
		ids = gw_grow(ids, n, sizeof(*ids));
		memcpy(ids[n++], id.bv_val, 16);
	}
	rc = s->ops->idset(s->arg, deletes, (const unsigned char (*)[16])ids,
	    n);
	free(ids);
	return rc;
bad:
	free(ids);
	return gw_err_set(err, GW_EXIT_RUNTIME, "malformed syncIdSet from "
	    "the server");
}

/* Intermediate SyncInfo message. */
static int
handle_info(struct gal *g, LDAPMessage *msg, struct sync_run *s,
    struct gw_err *err)
{
	char *oid = NULL;
	struct berval *data = NULL, ck;
	BerElement *ber = NULL;
	ber_tag_t tag;
	ber_len_t len;
	int rc;

	rc = ldap_parse_intermediate(g->ld, msg, &oid, &data, NULL, 0);
	if (rc != LDAP_SUCCESS)
		return ld_fail(g, err, rc, "sync info", NULL);
	if (oid == NULL || strcmp(oid, OID_SYNC_INFO) != 0 || data == NULL) {
		rc = 0;
		goto done;
	}
	if ((ber = ber_init(data)) == NULL) {
		rc = gw_err_set(err, GW_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	tag = ber_peek_tag(ber, &len);
	switch (tag) {
	case 0x80:		/* newcookie [0] */
		if (ber_scanf(ber, "m", &ck) == LBER_ERROR)
			goto bad;
		set_cookie(s->cookie, &ck);
		rc = 0;
		break;
	case 0xa1:		/* refreshDelete [1] */
	case 0xa2:		/* refreshPresent [2] */
		if (ber_scanf(ber, "{") == LBER_ERROR)
			goto bad;
		if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING) {
			if (ber_scanf(ber, "m", &ck) == LBER_ERROR)
				goto bad;
			set_cookie(s->cookie, &ck);
		}
		s->refresh_deletes = tag == 0xa1;
		rc = 0;
		break;
	case 0xa3:		/* syncIdSet [3] */
		rc = parse_idset(ber, s, err);
		break;
	default:
		goto bad;
	}
	goto done;
bad:
	rc = gw_err_set(err, GW_EXIT_RUNTIME, "malformed sync info message "
	    "from the server");
done:
	if (ber != NULL)
		ber_free(ber, 1);
	ber_bvfree(data);
	ldap_memfree(oid);
	return rc;
}

static int
parse_sync_done(LDAPControl **ctrls, struct sync_run *s)
{
	LDAPControl *c = ldap_control_find(OID_SYNC_DONE, ctrls, NULL);
	BerElement *ber;
	struct berval ck;
	ber_len_t len;
	ber_tag_t tag;
	ber_int_t b = 0;
	int rc = -1;

	if (c == NULL)
		return -1;
	if ((ber = ber_init(&c->ldctl_value)) == NULL)
		return -1;
	if (ber_scanf(ber, "{") == LBER_ERROR)
		goto done;
	tag = ber_peek_tag(ber, &len);
	if (tag == LBER_OCTETSTRING) {
		if (ber_scanf(ber, "m", &ck) == LBER_ERROR)
			goto done;
		set_cookie(s->cookie, &ck);
		tag = ber_peek_tag(ber, &len);
	}
	if (tag == LBER_BOOLEAN && ber_scanf(ber, "b", &b) == LBER_ERROR)
		goto done;
	s->refresh_deletes = b != 0;
	rc = 0;
done:
	ber_free(ber, 1);
	return rc;
}

/* One entry of a sync refresh, with its SyncState, to ops->entry. */
static int
sync_entry(struct gal *g, LDAPMessage *res, const char *base,
    const struct gal_sync_ops *ops, void *arg, struct gw_value *cookie_out,
    struct gw_err *err)
{
	LDAPMessage *e = ldap_first_entry(g->ld, res);
	LDAPControl **ctrls = NULL;
	struct gw_record rec;
	unsigned char uuid[16];
	int state, r;

	ldap_get_entry_controls(g->ld, e, &ctrls);
	if (ctrls == NULL || parse_sync_state(ctrls, &state, uuid,
	    cookie_out) == -1) {
		ldap_controls_free(ctrls);
		return gw_err_set(err, GW_EXIT_RUNTIME, "sync entry without a "
		    "valid SyncState control (is syncprov loaded on %s?)",
		    base);
	}
	ldap_controls_free(ctrls);
	entry_to_record(g->ld, e, &rec);
	r = ops->entry(arg, (enum gal_sync_state)state, uuid, rec.n > 0 ? &rec :
	    NULL);
	gw_record_release(&rec);
	return r;
}

int
gal_sync_refresh(struct gal *g, const char *base, const struct gw_value *cookie,
    const struct gal_sync_ops *ops, void *arg, struct gw_value *cookie_out,
    int *refresh_deletes, struct gw_err *err)
{
	static const char *attrs[] = { "*", NULL };
	struct timeval tv = { GAL_OP_TIMEOUT, 0 };
	LDAPControl *req = NULL, *sctrls[2] = { NULL, NULL }, **ctrls = NULL;
	LDAPMessage *res = NULL;
	struct sync_run s = { ops, arg, cookie_out, 0 };
	int rc, msgid, type, lrc, r;

	cookie_out->ptr = NULL;
	cookie_out->len = 0;
	if ((rc = sync_request_control(cookie, &req)) != LDAP_SUCCESS)
		return ld_fail(g, err, rc, "sync request for", base);
	sctrls[0] = req;
	rc = ldap_search_ext(g->ld, base, LDAP_SCOPE_SUBTREE, "(objectClass=*)",
	    (char **)attrs, 0, sctrls, NULL, NULL, LDAP_NO_LIMIT, &msgid);
	ldap_control_free(req);
	if (rc != LDAP_SUCCESS)
		return ld_fail(g, err, rc, "sync search of", base);
	for (;;) {
		type = ldap_result(g->ld, msgid, LDAP_MSG_ONE, &tv, &res);
		if (type <= 0) {
			ldap_get_option(g->ld, LDAP_OPT_RESULT_CODE, &rc);
			ldap_abandon_ext(g->ld, msgid, NULL, NULL);
			return ld_fail(g, err, type == 0 ? LDAP_TIMEOUT : rc,
			    "sync search of", base);
		}
		r = 0;
		if (type == LDAP_RES_SEARCH_ENTRY) {
			r = sync_entry(g, res, base, ops, arg, cookie_out, err);
		} else if (type == LDAP_RES_INTERMEDIATE) {
			r = handle_info(g, res, &s, err);
		} else if (type == LDAP_RES_SEARCH_RESULT) {
			break;
		}
		ldap_msgfree(res);
		if (r == -1) {
			ldap_abandon_ext(g->ld, msgid, NULL, NULL);
			return -1;
		}
	}
	ctrls = NULL;
	rc = ldap_parse_result(g->ld, res, &lrc, NULL, NULL, NULL, &ctrls, 1);
	if (rc != LDAP_SUCCESS)
		return ld_fail(g, err, rc, "sync search of", base);
	if (lrc == LDAP_SYNC_REFRESH_REQUIRED_RC) {
		ldap_controls_free(ctrls);
		return GAL_SYNC_REFRESH_REQUIRED;
	}
	if (lrc != LDAP_SUCCESS) {
		ldap_controls_free(ctrls);
		if (lrc == LDAP_UNAVAILABLE_CRITICAL_EXTENSION)
			return gw_err_set(err, GW_EXIT_RUNTIME, "sync search of "
			    "%s: the server does not offer RFC 4533 "
			    "(load the syncprov overlay)", base);
		return ld_fail(g, err, lrc, "sync search of", base);
	}
	if (ctrls == NULL || parse_sync_done(ctrls, &s) == -1) {
		ldap_controls_free(ctrls);
		return gw_err_set(err, GW_EXIT_RUNTIME, "sync search of %s "
		    "ended without a SyncDone control", base);
	}
	ldap_controls_free(ctrls);
	*refresh_deletes = s.refresh_deletes;
	return 0;
}

enum gal_outcome
gal_outcome(int ok, int rc)
{
	if (ok)
		return GAL_DONE;
	if (rc == LDAP_ALREADY_EXISTS)
		return GAL_EXISTS;
	if (rc == LDAP_NO_SUCH_OBJECT)
		return GAL_GONE;
	return GAL_REFUSED;
}
