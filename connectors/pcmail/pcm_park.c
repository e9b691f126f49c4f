/*
 * Refused MS Mail users, kept until their address is free.  A new user
 * whose own SMTP address another recipient holds is not imported (event
 * 3327), and its requestor has no reason to send it again until it
 * changes.  galgate keeps the entry it would have made, in the shadow
 * database under "connector\0p<requestor>\0<key folded>", and imports it
 * at a later update from that requestor once the address is free (the
 * holder deleted, or given another address).  A transaction of the
 * requestor about the same address replaces or drops it.  The records
 * are committed with the requestor's sync numbers, so a cycle killed
 * before that commit parks and unparks again from the same state.
 */
#include <stdlib.h>
#include <string.h>

#include "pcmail.h"
#include "state.h"

static void
park_prefix(struct gw_buf *k, const char *connector,
    const struct pcm_peer *peer)
{
	gw_buf_reset(k);
	gw_buf_add(k, connector, strlen(connector) + 1);
	gw_buf_addch(k, 'p');
	gw_buf_add(k, peer->id, strlen(peer->id) + 1);
}

static void
park_key(struct gw_buf *k, const char *connector,
    const struct pcm_peer *peer, const char *key)
{
	char *f = gw_fold(key);

	park_prefix(k, connector, peer);
	gw_buf_addstr(k, f);
	free(f);
}

/*
 * The bytes of a parked entry: its key, then each value as name and
 * value, every string NUL-terminated (record values hold no NUL).
 */
static void
encode(struct gw_buf *v, const char *key, const struct gw_record *rec)
{
	size_t i, j;

	gw_buf_reset(v);
	gw_buf_add(v, key, strlen(key) + 1);
	for (i = 0; i < rec->n; i++)
		for (j = 0; j < rec->attr[i].n; j++) {
			gw_buf_add(v, rec->attr[i].name,
			    strlen(rec->attr[i].name) + 1);
			gw_buf_add(v, rec->attr[i].val[j].ptr,
			    rec->attr[i].val[j].len);
			gw_buf_addch(v, '\0');
		}
}

/* 0, or -1 when the bytes are no parked entry (left as they are). */
static int
decode(const char *p, size_t len, struct pcm_parked *out)
{
	const char *end = p + len, *name, *nul;

	memset(out, 0, sizeof(*out));
	gw_record_init(&out->rec);
	if ((nul = memchr(p, '\0', len)) == NULL || nul == p)
		return -1;
	out->key = gw_strndup(p, (size_t)(nul - p));
	for (p = nul + 1; p < end; p = nul + 1) {
		name = p;
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			goto bad;
		p = nul + 1;
		if (p > end || (nul = memchr(p, '\0', (size_t)(end - p))) ==
		    NULL)
			goto bad;
		gw_record_add(&out->rec, name, p, (size_t)(nul - p));
	}
	return 0;
bad:
	pcm_parked_release(out);
	return -1;
}

void
pcm_parked_release(struct pcm_parked *p)
{
	free(p->key);
	gw_record_release(&p->rec);
	memset(p, 0, sizeof(*p));
}

struct load {
	struct pcm_parked	**v;
	size_t			 *n;
};

static int
load_cb(void *arg, const struct gw_value *k, const struct gw_value *val)
{
	struct load *l = arg;
	struct pcm_parked p;

	(void)k;
	if (decode(val->ptr, val->len, &p) == -1)
		return 0;
	*l->v = gw_grow(*l->v, *l->n, sizeof(**l->v));
	(*l->v)[(*l->n)++] = p;
	return 0;
}

int
pcm_park_load(struct gw_txn *txn, const char *connector,
    const struct pcm_peer *peer, struct pcm_parked **v, size_t *n,
    struct gw_err *err)
{
	struct load l = { v, n };
	struct gw_buf k;
	int rc;

	*v = NULL;
	*n = 0;
	gw_buf_init(&k, 0);
	park_prefix(&k, connector, peer);
	rc = state_iter_prefix(txn, GW_DB_SHADOW, k.buf, k.len, load_cb, &l,
	    err);
	gw_buf_release(&k);
	return rc;
}

int
pcm_park_put(struct gw_txn *txn, const char *connector,
    const struct pcm_peer *peer, const char *key, const struct gw_record *rec,
    struct gw_err *err)
{
	struct gw_buf k, v;
	int rc;

	gw_buf_init(&k, 0);
	gw_buf_init(&v, 0);
	park_key(&k, connector, peer, key);
	if (rec == NULL)
		rc = state_del(txn, GW_DB_SHADOW, k.buf, k.len, err);
	else {
		encode(&v, key, rec);
		rc = state_put(txn, GW_DB_SHADOW, k.buf, k.len, v.buf, v.len,
		    err);
	}
	gw_buf_release(&k);
	gw_buf_release(&v);
	return rc;
}
