/* watermark.c: see watermark.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "watermark.h"

static size_t
wmark_key(char *buf, size_t len, const char *connector, const char *key)
{
	size_t a = strlen(connector), b = strlen(key);

	if (a + b + 1 > len)
		return 0;
	memcpy(buf, connector, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, key, b);
	return a + b + 1;
}

int
wmark_get(struct gw_txn *txn, const char *connector, const char *key,
    struct gw_value *out, struct gw_err *err)
{
	char k[512];
	size_t n = wmark_key(k, sizeof(k), connector, key);

	if (n == 0)
		return gw_err_set(err, GW_EXIT_RUNTIME, "watermark key too long");
	return state_get(txn, GW_DB_WMARK, k, n, out, err);
}

int
wmark_put(struct gw_txn *txn, const char *connector, const char *key,
    const void *val, size_t len, struct gw_err *err)
{
	char k[512];
	size_t n = wmark_key(k, sizeof(k), connector, key);

	if (n == 0)
		return gw_err_set(err, GW_EXIT_RUNTIME, "watermark key too long");
	return state_put(txn, GW_DB_WMARK, k, n, val, len, err);
}

int
wmark_get_u64(struct gw_txn *txn, const char *connector, const char *key,
    unsigned long long *out, struct gw_err *err)
{
	struct gw_value v;
	int rc = wmark_get(txn, connector, key, &v, err);

	*out = 0;
	if (rc == 1 && v.len == 8)
		*out = gw_be64_get((const unsigned char *)v.ptr);
	return rc;
}

int
wmark_put_u64(struct gw_txn *txn, const char *connector, const char *key,
    unsigned long long val, struct gw_err *err)
{
	unsigned char b[8];

	gw_be64_put(b, val);
	return wmark_put(txn, connector, key, b, 8, err);
}

static size_t
shadow_key(struct gw_buf *b, const char *connector, const void *key,
    size_t klen)
{
	gw_buf_reset(b);
	gw_buf_add(b, connector, strlen(connector) + 1);
	gw_buf_add(b, key, klen);
	return b->len;
}

int
shadow_put(struct gw_txn *txn, const char *connector, const void *key,
    size_t klen, const void *val, size_t vlen, struct gw_err *err)
{
	struct gw_buf k;
	int rc;

	gw_buf_init(&k, 0);
	shadow_key(&k, connector, key, klen);
	rc = state_put(txn, GW_DB_SHADOW, k.buf, k.len, val, vlen, err);
	gw_buf_release(&k);
	return rc;
}

int
shadow_get(struct gw_txn *txn, const char *connector, const void *key,
    size_t klen, struct gw_value *val, struct gw_err *err)
{
	struct gw_buf k;
	int rc;

	gw_buf_init(&k, 0);
	shadow_key(&k, connector, key, klen);
	rc = state_get(txn, GW_DB_SHADOW, k.buf, k.len, val, err);
	gw_buf_release(&k);
	return rc;
}

int
shadow_del(struct gw_txn *txn, const char *connector, const void *key,
    size_t klen, struct gw_err *err)
{
	struct gw_buf k;
	int rc;

	gw_buf_init(&k, 0);
	shadow_key(&k, connector, key, klen);
	rc = state_del(txn, GW_DB_SHADOW, k.buf, k.len, err);
	gw_buf_release(&k);
	return rc;
}

struct shadow_iter_ctx {
	size_t		 plen;
	shadow_cb	 cb;
	void		*arg;
};

static int
shadow_iter_cb(void *arg, const struct gw_value *k, const struct gw_value *v)
{
	struct shadow_iter_ctx *c = arg;

	return c->cb(c->arg, k->ptr + c->plen, k->len - c->plen, v->ptr,
	    v->len);
}

int
shadow_iter(struct gw_txn *txn, const char *connector, shadow_cb cb,
    void *arg, struct gw_err *err)
{
	struct shadow_iter_ctx c = { strlen(connector) + 1, cb, arg };

	return state_iter_prefix(txn, GW_DB_SHADOW, connector,
	    strlen(connector) + 1, shadow_iter_cb, &c, err);
}

int
shadow_iter_from(struct gw_txn *txn, const char *connector, const void *prefix,
    size_t plen, shadow_cb cb, void *arg, struct gw_err *err)
{
	struct shadow_iter_ctx c = { strlen(connector) + 1, cb, arg };
	struct gw_buf k;
	int rc;

	gw_buf_init(&k, 0);
	shadow_key(&k, connector, prefix, plen);
	rc = state_iter_prefix(txn, GW_DB_SHADOW, k.buf, k.len, shadow_iter_cb,
	    &c, err);
	gw_buf_release(&k);
	return rc;
}

void
gw_shadow_value_put(struct gw_buf *b, const unsigned char *hash,
    const char *const *field, size_t n)
{
	size_t i;

	gw_buf_reset(b);
	gw_buf_add(b, hash, GW_HASH_LEN);
	for (i = 0; i < n; i++)
		gw_buf_add(b, field[i] != NULL ? field[i] : "",
		    (field[i] != NULL ? strlen(field[i]) : 0) + 1);
}

int
gw_shadow_value_read(const void *v, size_t len, struct gw_shadow_value *out)
{
	const char *p, *end = (const char *)v + len;
	size_t flen;

	memset(out, 0, sizeof(*out));
	if (len <= GW_HASH_LEN)
		return -1;
	out->hash = v;
	for (p = (const char *)v + GW_HASH_LEN; p < end &&
	    out->n < GW_SHADOW_FIELDS; p += flen + 1) {
		flen = strnlen(p, (size_t)(end - p));
		out->field[out->n].ptr = (char *)p;
		out->field[out->n].len = flen;
		out->n++;
	}
	return 0;
}

char *
gw_shadow_field(const struct gw_shadow_value *sv, size_t i)
{
	if (i >= sv->n)
		return gw_strdup("");
	return gw_strndup(sv->field[i].ptr, sv->field[i].len);
}
