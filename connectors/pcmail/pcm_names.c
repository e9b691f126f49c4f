/*
 * The template table (prompt <-> attribute) and the gateway's postoffice
 * list: every GAL recipient goes out as PCM:<NET>/<PO>/<mailbox> under a
 * friendly name unique in that list (KB Q146676: the DXA appends 001,
 * 002), with a mailbox unique and at most 10 letters or digits.  A choice
 * is kept while the recipient keeps its display name and alias, so a
 * requestor never sees a name move for nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "pcmail.h"
#include "recipient.h"
#include "state.h"

/* FORMATS.md's defaults. */
static const struct {
	const char		*prompt;
	enum gw_rcpt_field	 field;
} tpl_defaults[] = {
	{ "Phone:", GW_F_PHONE },
	{ "Title:", GW_F_TITLE },
	{ "Department:", GW_F_DEPARTMENT },
	{ "Office:", GW_F_OFFICE },
	{ "Surname:", GW_F_SURNAME },
	{ "Given Name:", GW_F_GIVEN },
	{ "FAX:", GW_F_FAX },
	{ NULL, 0 }
};

/* Folded prompt without its final ':' (caller frees). */
static char *
prompt_key(const char *prompt)
{
	char *k = gw_fold(prompt), *t = gw_trim(k), *r;
	size_t n = strlen(t);

	if (n > 0 && t[n - 1] == ':')
		t[--n] = '\0';
	r = gw_strdup(gw_trim(t));
	free(k);
	return r;
}

/* The attribute a template may fill: a General-page field, but the
 * display name and the alias (the transaction's own). */
static const char *
attr_of(const char *name)
{
	int f = gw_rcpt_field_named(name);

	if (f == -1 || f == GW_F_DISPLAY || f == GW_F_ALIAS)
		return NULL;
	return gw_rcpt_field_attr((enum gw_rcpt_field)f);
}

static void
prompt_set(struct pcmail *pc, const char *prompt, const char *attr)
{
	char *key = prompt_key(prompt);
	size_t i;

	for (i = 0; i < pc->nprompt; i++)
		if (strcmp(pc->prompt[i].key, key) == 0)
			break;
	if (i == pc->nprompt) {
		if (attr == NULL) {
			free(key);
			return;
		}
		pc->prompt = gw_realloc(pc->prompt, (pc->nprompt + 1) *
		    sizeof(*pc->prompt));
		pc->prompt[pc->nprompt].prompt = gw_strdup(prompt);
		pc->prompt[pc->nprompt].key = key;
		pc->prompt[pc->nprompt].attr = attr;
		pc->nprompt++;
		return;
	}
	free(key);
	if (attr == NULL) {
		free(pc->prompt[i].prompt);
		free(pc->prompt[i].key);
		memmove(&pc->prompt[i], &pc->prompt[i + 1],
		    (pc->nprompt - i - 1) * sizeof(*pc->prompt));
		pc->nprompt--;
		return;
	}
	free(pc->prompt[i].prompt);
	pc->prompt[i].prompt = gw_strdup(prompt);
	pc->prompt[i].attr = attr;
}

int
pcm_prompts_configure(struct pcmail *pc, const struct conf_section *sec,
    const char *conf_path, struct gw_err *err)
{
	const struct conf_entry *e;
	int filled[GW_F_COUNT] = { 0 };
	size_t i = 0, k;
	char *v, *colon, *prompt, *attr;
	const char *a;

	for (k = 0; tpl_defaults[k].prompt != NULL; k++)
		prompt_set(pc, tpl_defaults[k].prompt,
		    gw_rcpt_field_attr(tpl_defaults[k].field));
	while ((e = conf_next(sec, "template", &i)) != NULL) {
		v = gw_strdup(e->value);
		colon = strrchr(v, ':');
		if (colon == NULL || colon == v) {
			free(v);
			return gw_err_set(err, GW_EXIT_USAGE, "%s:%d: template: "
			    "expected 'Prompt: attribute' (or 'Prompt: none')",
			    conf_path, e->line);
		}
		attr = gw_trim(colon + 1);
		colon[1] = '\0';
		prompt = gw_trim(v);
		if (strchr(prompt, '\n') != NULL || strlen(prompt) > 64) {
			free(v);
			return gw_err_set(err, GW_EXIT_USAGE, "%s:%d: template: "
			    "prompt too long", conf_path, e->line);
		}
		if (gw_strcaseeq(attr, "none"))
			a = NULL;
		else if ((a = attr_of(attr)) == NULL) {
			gw_err_set(err, GW_EXIT_USAGE, "%s:%d: template: '%s' "
			    "is not an attribute a template can fill (one of "
			    "givenName, initials, sn, street, l, st, "
			    "postalCode, c, title, o, ou, "
			    "physicalDeliveryOfficeName, galgateAssistant, "
			    "telephoneNumber, facsimileTelephoneNumber, "
			    "description)", conf_path, e->line, attr);
			free(v);
			return -1;
		}
		prompt_set(pc, prompt, a);
		free(v);
	}
	/* the attributes galgate owns on imported entries */
	for (i = 0; i < pc->nprompt; i++)
		filled[gw_rcpt_field_named(pc->prompt[i].attr)] = 1;
	pc->managed = gw_recipient_managed(filled);
	return 0;
}

void
pcm_prompts_free(struct pcmail *pc)
{
	size_t i;

	for (i = 0; i < pc->nprompt; i++) {
		free(pc->prompt[i].prompt);
		free(pc->prompt[i].key);
	}
	free(pc->prompt);
	free(pc->managed);
	pc->prompt = NULL;
	pc->managed = NULL;
	pc->nprompt = 0;
}

const struct pcm_prompt *
pcm_prompt_find(const struct pcmail *pc, const char *prompt)
{
	char *key = prompt_key(prompt);
	size_t i;

	for (i = 0; i < pc->nprompt; i++)
		if (strcmp(pc->prompt[i].key, key) == 0)
			break;
	free(key);
	return i < pc->nprompt ? &pc->prompt[i] : NULL;
}

char *
pcm_roundtrip(struct gw_codepage *cp, const char *s, int *replaced)
{
	struct gw_buf enc, dec;
	int r1, r2;

	gw_buf_init(&enc, 0);
	gw_buf_init(&dec, 0);
	r1 = gw_cp_encode(cp, s, strlen(s), &enc);
	r2 = gw_cp_decode(cp, enc.buf != NULL ? enc.buf : "", enc.len, &dec);
	*replaced = (r1 > 0 ? r1 : 0) + (r2 > 0 ? r2 : 0);
	gw_buf_release(&enc);
	if (dec.buf == NULL)
		gw_buf_add(&dec, "", 0);
	return gw_buf_detach(&dec);
}

/* ---- the gateway's postoffice list ---- */

void
pcm_names_init(struct pcm_names *n)
{
	strmap_init(&n->by_uuid);
	strmap_init(&n->name_owner);
	strmap_init(&n->mbox_owner);
}

static void
gname_free(struct pcm_gname *g)
{
	if (g == NULL)
		return;
	free(g->base);
	free(g->abase);
	free(g->name);
	free(g->mbox);
	free(g);
}

void
pcm_names_release(struct pcm_names *n)
{
	struct strmap_slot *s;
	size_t i = 0;

	while ((s = strmap_next(&n->by_uuid, &i)) != NULL)
		gname_free(s->val);
	i = 0;
	while ((s = strmap_next(&n->name_owner, &i)) != NULL)
		free(s->val);
	i = 0;
	while ((s = strmap_next(&n->mbox_owner, &i)) != NULL)
		free(s->val);
	strmap_release(&n->by_uuid);
	strmap_release(&n->name_owner);
	strmap_release(&n->mbox_owner);
}

/* Shadow key: connector NUL kind data. */
static void
skey(struct gw_buf *k, const char *connector, char kind, const void *data,
    size_t len)
{
	gw_buf_reset(k);
	gw_buf_add(k, connector, strlen(connector) + 1);
	gw_buf_addch(k, kind);
	gw_buf_add(k, data, len);
}

/* The stored choice of uuid, or NULL. */
static int
gname_load(struct pcm_cycle *c, struct gw_txn *txn, const unsigned char *uuid,
    struct pcm_gname **out, struct gw_err *err)
{
	struct gw_buf k;
	struct gw_value v;
	const char *p, *end, *f[4];
	size_t i;
	int rc;

	*out = NULL;
	gw_buf_init(&k, 0);
	skey(&k, c->pc->name, 'g', uuid, 16);
	rc = state_get(txn, GW_DB_SHADOW, k.buf, k.len, &v, err);
	gw_buf_release(&k);
	if (rc != 1)
		return rc;
	p = v.ptr;
	end = v.ptr + v.len;
	for (i = 0; i < 4; i++) {
		f[i] = p;
		while (p < end && *p != '\0')
			p++;
		if (p == end && i < 3)
			return 0;	/* damaged: chosen again */
		p++;
	}
	*out = gw_calloc(1, sizeof(**out));
	(*out)->base = gw_strdup(f[0]);
	(*out)->abase = gw_strdup(f[1]);
	(*out)->name = gw_strdup(f[2]);
	(*out)->mbox = gw_strndup(f[3], (size_t)(end - f[3]) -
	    (end > f[3] && end[-1] == '\0' ? 1 : 0));
	return 1;
}

/* 1 if value is held by someone other than self ("n" or "m" index). */
static int
taken(struct pcm_cycle *c, struct gw_txn *txn, struct strmap *owner,
    char kind, const char *value, const char *self, struct gw_err *err)
{
	struct journal_entry je;
	struct gw_buf k;
	struct gw_value v;
	struct pcm_gname *g;
	unsigned char holder[16];
	char *f = gw_fold(value), *now, hex[33];
	const char *o;
	int rc, alive;

	o = strmap_get(owner, f);
	if (o != NULL) {
		free(f);
		return *o != '\0' && strcmp(o, self) != 0;
	}
	gw_buf_init(&k, 0);
	skey(&k, c->pc->name, kind, f, strlen(f));
	rc = state_get(txn, GW_DB_SHADOW, k.buf, k.len, &v, err);
	gw_buf_release(&k);
	if (rc != 1 || v.len != 16) {
		free(f);
		return rc == -1 ? -1 : 0;
	}
	memcpy(holder, v.ptr, 16);
	gw_uuid_hex(holder, hex);
	rc = strcmp(hex, self) != 0;
	/* the holder may have moved on earlier in this cycle */
	if (rc && (g = strmap_get(&c->names.by_uuid, hex)) != NULL) {
		now = gw_fold(kind == 'n' ? g->name : g->mbox);
		rc = !g->gone && strcmp(now, f) == 0;
		free(now);
	}
	/* or left the GAL while no reply saw it go */
	if (rc == 1) {
		if ((alive = journal_entry_get(txn, holder, &je, err)) == -1)
			rc = -1;
		else if (alive == 0 || !je.alive)
			rc = 0;
	}
	free(f);
	return rc;
}

static void
owner_set(struct strmap *owner, const char *value, const char *hex)
{
	char *f = gw_fold(value);

	free(strmap_put(owner, f, gw_strdup(hex)));
	free(f);
}

/* Gives value back unless someone else took it since. */
static void
owner_free(struct strmap *owner, const char *value, const char *hex)
{
	char *f = gw_fold(value);
	const char *o = strmap_get(owner, f);

	if (o == NULL || strcmp(o, hex) == 0)
		free(strmap_put(owner, f, gw_strdup("")));
	free(f);
}

/* Letters and digits of the alias, ASCII, upper case, at most 10. */
static char *
mbox_base(const char *alias)
{
	struct gw_buf t, b;
	const char *p;

	gw_buf_init(&t, 0);
	gw_buf_init(&b, 0);
	(void)gw_translit_ascii(alias, &t);
	for (p = t.buf != NULL ? t.buf : ""; *p != '\0' &&
	    b.len < PCM_ELEM_MAX; p++)
		if (isalnum((unsigned char)*p))
			gw_buf_addch(&b, (char)toupper((unsigned char)*p));
	gw_buf_release(&t);
	if (b.len == 0)
		gw_buf_addch(&b, 'X');
	return gw_buf_detach(&b);
}

static int
choose(struct pcm_cycle *c, struct gw_txn *txn, const char *hex,
    const char *display, const char *alias, const char *who,
    struct pcm_gname *g, struct gw_err *err)
{
	char *base, *cut, *m0, suffix[16];
	struct gw_buf cand;
	unsigned n;
	int rep, rc;

	base = pcm_roundtrip(&c->cp, display, &rep);
	cut = pcm_cp_cut(&c->cp, base, PCM_NAME_MAX);
	free(base);
	base = cut;
	gw_buf_init(&cand, 0);
	gw_buf_addstr(&cand, base);
	for (n = 1; (rc = taken(c, txn, &c->names.name_owner, 'n', cand.buf,
	    hex, err)) == 1; n++) {
		if (n > 999) {
			free(base);
			gw_buf_release(&cand);
			return gw_err_set(err, GW_EXIT_RUNTIME, "no free name "
			    "for '%s' in the gateway's postoffice list", display);
		}
		/* the DXA's rule: 001, 002 at the end of the name */
		snprintf(suffix, sizeof(suffix), "%03u", n);
		cut = pcm_cp_cut(&c->cp, base, PCM_NAME_MAX - strlen(suffix));
		gw_buf_reset(&cand);
		gw_buf_printf(&cand, "%s%s", cut, suffix);
		free(cut);
	}
	if (rc == -1) {
		free(base);
		gw_buf_release(&cand);
		return -1;
	}
	if (n > 1 && c->cy != NULL && c->cy->ev != NULL && !c->cy->dry_run)
		evlog_emit(c->cy->ev, EV_PCM_NAME, GW_SEV_INFO, c->pc->name,
		    who, "'%s' is already in the gateway's postoffice list "
		    "%s/%s: this recipient is '%s' there", base, c->pc->net,
		    c->pc->po, cand.buf);
	free(base);
	g->name = gw_buf_detach(&cand);
	m0 = mbox_base(alias);
	gw_buf_addstr(&cand, m0);
	for (n = 1; (rc = taken(c, txn, &c->names.mbox_owner, 'm', cand.buf,
	    hex, err)) == 1; n++) {
		snprintf(suffix, sizeof(suffix), "%u", n + 1);
		if (n > 99999) {
			free(m0);
			gw_buf_release(&cand);
			return gw_err_set(err, GW_EXIT_RUNTIME, "no free "
			    "mailbox for '%s'", alias);
		}
		gw_buf_reset(&cand);
		gw_buf_printf(&cand, "%.*s%s", (int)(PCM_ELEM_MAX -
		    strlen(suffix)), m0, suffix);
	}
	free(m0);
	if (rc == -1) {
		gw_buf_release(&cand);
		return -1;
	}
	g->mbox = gw_buf_detach(&cand);
	return 0;
}

int
pcm_names_get(struct pcm_cycle *c, struct gw_txn *txn,
    const unsigned char uuid[16], const char *display, const char *alias,
    const char *who, const char **name, const char **mbox,
    struct gw_err *err)
{
	struct pcm_gname *g, *ng;
	char hex[33];

	gw_uuid_hex(uuid, hex);
	if ((g = strmap_get(&c->names.by_uuid, hex)) == NULL) {
		if (gname_load(c, txn, uuid, &g, err) == -1)
			return -1;
		if (g != NULL)
			strmap_put(&c->names.by_uuid, hex, g);
	}
	if (g != NULL && !g->gone && strcmp(g->base, display) == 0 &&
	    strcmp(g->abase, alias) == 0) {
		*name = g->name;
		*mbox = g->mbox;
		return 0;
	}
	ng = gw_calloc(1, sizeof(*ng));
	ng->base = gw_strdup(display);
	ng->abase = gw_strdup(alias);
	ng->dirty = 1;
	/* its old name is free for itself and others from now on */
	if (g != NULL && !g->gone) {
		owner_free(&c->names.name_owner, g->name, hex);
		owner_free(&c->names.mbox_owner, g->mbox, hex);
	}
	if (choose(c, txn, hex, display, alias, who, ng, err) == -1) {
		gname_free(ng);
		return -1;
	}
	owner_set(&c->names.name_owner, ng->name, hex);
	owner_set(&c->names.mbox_owner, ng->mbox, hex);
	gname_free(strmap_put(&c->names.by_uuid, hex, ng));
	*name = ng->name;
	*mbox = ng->mbox;
	return 0;
}

int
pcm_names_forget(struct pcm_cycle *c, struct gw_txn *txn,
    const unsigned char uuid[16], struct gw_err *err)
{
	struct pcm_gname *g;
	char hex[33];

	gw_uuid_hex(uuid, hex);
	if ((g = strmap_get(&c->names.by_uuid, hex)) == NULL) {
		if (gname_load(c, txn, uuid, &g, err) == -1)
			return -1;
		if (g == NULL)
			return 0;
		strmap_put(&c->names.by_uuid, hex, g);
	}
	if (g->gone)
		return 0;
	owner_free(&c->names.name_owner, g->name, hex);
	owner_free(&c->names.mbox_owner, g->mbox, hex);
	g->gone = 1;
	g->dirty = 1;
	return 0;
}

static int
commit_owner(struct pcm_cycle *c, struct gw_txn *txn, struct strmap *owner,
    char kind, struct gw_err *err)
{
	struct strmap_slot *s;
	struct gw_buf k;
	unsigned char uuid[16];
	size_t i = 0;
	int rc = 0;

	gw_buf_init(&k, 0);
	while (rc == 0 && (s = strmap_next(owner, &i)) != NULL) {
		skey(&k, c->pc->name, kind, s->key, strlen(s->key));
		if (*(const char *)s->val == '\0')
			rc = state_del(txn, GW_DB_SHADOW, k.buf, k.len, err);
		else if (gw_uuid_parse(s->val, uuid) == 0)
			rc = state_put(txn, GW_DB_SHADOW, k.buf, k.len, uuid,
			    16, err);
	}
	gw_buf_release(&k);
	return rc;
}

int
pcm_names_commit(struct pcm_cycle *c, struct gw_txn *txn, struct gw_err *err)
{
	struct strmap_slot *s;
	struct pcm_gname *g;
	struct gw_buf k, v;
	unsigned char uuid[16];
	size_t i = 0;
	int rc = 0;

	gw_buf_init(&k, 0);
	gw_buf_init(&v, 0);
	while (rc == 0 && (s = strmap_next(&c->names.by_uuid, &i)) != NULL) {
		g = s->val;
		if (!g->dirty || gw_uuid_parse(s->key, uuid) == -1)
			continue;
		skey(&k, c->pc->name, 'g', uuid, 16);
		if (g->gone) {
			rc = state_del(txn, GW_DB_SHADOW, k.buf, k.len, err);
			continue;
		}
		gw_buf_reset(&v);
		gw_buf_add(&v, g->base, strlen(g->base) + 1);
		gw_buf_add(&v, g->abase, strlen(g->abase) + 1);
		gw_buf_add(&v, g->name, strlen(g->name) + 1);
		gw_buf_add(&v, g->mbox, strlen(g->mbox));
		rc = state_put(txn, GW_DB_SHADOW, k.buf, k.len, v.buf, v.len,
		    err);
	}
	gw_buf_release(&k);
	gw_buf_release(&v);
	if (rc == 0)
		rc = commit_owner(c, txn, &c->names.name_owner, 'n', err);
	if (rc == 0)
		rc = commit_owner(c, txn, &c->names.mbox_owner, 'm', err);
	return rc;
}
