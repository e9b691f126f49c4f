/*
 * What LMDB keeps for the dir-sync server: SRVCONF's numbers per
 * requestor as watermarks (so galgate status shows them), and per
 * requestor what it holds of each entry (its "s" shadow records), which
 * is how a reply knows whether a change is an add or a two-line modify
 * and what the modify's first line must say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcmail.h"
#include "state.h"

static const char *const num_keys[] = { "reqsync", "srvsync", "impsync",
    "last_cycle", "export_all", "exported", NULL };

static uint64_t *
num_field(struct pcm_nums *n, size_t i)
{
	uint64_t *f[] = { &n->reqsync, &n->srvsync, &n->impsync,
	    &n->last_cycle, &n->export_all, &n->exported };

	return f[i];
}

int
pcm_nums_load(struct pcm_cycle *c, struct gw_err *err)
{
	struct gw_txn *txn;
	unsigned long long v;
	char key[80];
	size_t p, i;
	int rc = 0;

	if (state_begin(c->cy->state, 0, &txn, err) == -1)
		return -1;
	for (p = 0; rc == 0 && p < c->pc->npeer; p++)
		for (i = 0; rc == 0 && num_keys[i] != NULL; i++) {
			snprintf(key, sizeof(key), "%s %s", c->pc->peer[p].id,
			    num_keys[i]);
			if (wmark_get_u64(txn, c->pc->name, key, &v, err) == -1)
				rc = -1;
			*num_field(&c->nums[p], i) = v;
		}
	if (rc == 0 && wmark_get_u64(txn, c->pc->name, "cycle", &v,
	    err) == -1)
		rc = -1;
	c->cycleno = v;
	state_abort(txn);
	return rc;
}

int
pcm_nums_put(struct gw_txn *txn, const char *connector,
    const struct pcm_peer *peer, const struct pcm_nums *n, struct gw_err *err)
{
	struct pcm_nums copy = *n;
	char key[80];
	size_t i;

	for (i = 0; num_keys[i] != NULL; i++) {
		snprintf(key, sizeof(key), "%s %s", peer->id, num_keys[i]);
		if (wmark_put_u64(txn, connector, key, *num_field(&copy, i),
		    err) == -1)
			return -1;
	}
	return 0;
}

int
pcm_wmark_str(struct gw_txn *txn, const char *connector,
    const struct pcm_peer *peer, const char *key, const char *text,
    struct gw_err *err)
{
	char k[80], v[256];
	size_t i;

	snprintf(k, sizeof(k), "%s %s", peer->id, key);
	snprintf(v, sizeof(v), "%s", text);
	/* status prints printable ASCII as text: keep it that */
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			v[i] = '?';
	return wmark_put(txn, connector, k, v, strlen(v), err);
}

/* connector NUL 's' NET/PO NUL [uuid] */
static void
sent_key(struct gw_buf *k, const char *connector, const struct pcm_peer *peer,
    const unsigned char *uuid)
{
	gw_buf_reset(k);
	gw_buf_add(k, connector, strlen(connector) + 1);
	gw_buf_addch(k, 's');
	gw_buf_add(k, peer->id, strlen(peer->id) + 1);
	if (uuid != NULL)
		gw_buf_add(k, uuid, 16);
}

int
pcm_sent_get(struct gw_txn *txn, const char *connector,
    const struct pcm_peer *peer, const unsigned char uuid[16],
    struct pcm_sent *out, struct gw_err *err)
{
	struct gw_shadow_value sv;
	struct gw_buf k;
	struct gw_value v;
	int rc;

	memset(out, 0, sizeof(*out));
	gw_buf_init(&k, 0);
	sent_key(&k, connector, peer, uuid);
	rc = state_get(txn, GW_DB_SHADOW, k.buf, k.len, &v, err);
	gw_buf_release(&k);
	if (rc != 1)
		return rc;
	/* the fingerprint, the name and the address it was sent with */
	if (gw_shadow_value_read(v.ptr, v.len, &sv) == -1)
		return 0;
	memcpy(out->hash, sv.hash, GW_HASH_LEN);
	out->name = gw_shadow_field(&sv, 0);
	out->addr = gw_shadow_field(&sv, 1);
	return 1;
}

void
pcm_sent_free(struct pcm_sent *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->addr);
	free(s);
}

int
pcm_sent_commit(struct gw_txn *txn, const char *connector,
    const struct pcm_reply *r, struct gw_err *err)
{
	struct strmap_slot *s;
	struct pcm_sent *st;
	struct gw_buf k, v;
	unsigned char uuid[16];
	size_t i = 0;
	int rc = 0;

	gw_buf_init(&k, 0);
	gw_buf_init(&v, 0);
	if (r->cleared) {
		sent_key(&k, connector, r->peer, NULL);
		rc = state_del_prefix(txn, GW_DB_SHADOW, k.buf, k.len, err);
	}
	while (rc == 0 && (s = strmap_next(&r->sent, &i)) != NULL) {
		if (gw_uuid_parse(s->key, uuid) == -1)
			continue;
		sent_key(&k, connector, r->peer, uuid);
		if ((st = s->val) == NULL) {
			rc = state_del(txn, GW_DB_SHADOW, k.buf, k.len, err);
			continue;
		}
		gw_shadow_value_put(&v, st->hash, (const char *[]){ st->name,
		    st->addr }, 2);
		rc = state_put(txn, GW_DB_SHADOW, k.buf, k.len, v.buf, v.len,
		    err);
	}
	gw_buf_release(&k);
	gw_buf_release(&v);
	return rc;
}

struct keys_ctx {
	size_t		 plen;
	struct strmap	*hex;
};

static int
keys_cb(void *arg, const struct gw_value *k, const struct gw_value *v)
{
	struct keys_ctx *c = arg;
	char hex[33];

	(void)v;
	if (k->len != c->plen + 16)
		return 0;
	gw_uuid_hex((const unsigned char *)k->ptr + c->plen, hex);
	strmap_put(c->hex, hex, (void *)1);
	return 0;
}

int
pcm_sent_keys(struct gw_txn *txn, const char *connector,
    const struct pcm_peer *peer, struct strmap *hex, struct gw_err *err)
{
	struct gw_buf k;
	struct keys_ctx c;
	int rc;

	gw_buf_init(&k, 0);
	sent_key(&k, connector, peer, NULL);
	c.plen = k.len;
	c.hex = hex;
	rc = state_iter_prefix(txn, GW_DB_SHADOW, k.buf, k.len, keys_cb, &c,
	    err);
	gw_buf_release(&k);
	return rc;
}
