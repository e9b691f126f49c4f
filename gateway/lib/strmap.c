#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

void
strmap_init(struct strmap *m)
{
	m->slot = NULL;
	m->cap = m->n = 0;
}

void
strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slot[i].key);
	free(m->slot);
	strmap_init(m);
}

void
strmap_free_values(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slot[i].key != NULL)
			free(m->slot[i].val);
	strmap_release(m);
}

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct strmap_slot *
find(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = hash_str(key) & (m->cap - 1); m->slot[i].key != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->slot[i].key, key) == 0)
			return &m->slot[i];
	return &m->slot[i];
}

static void
grow(struct strmap *m)
{
	struct strmap_slot *old = m->slot, *s;
	size_t oldcap = m->cap, i;

	m->cap = oldcap == 0 ? 64 : oldcap * 2;
	m->slot = gw_calloc(m->cap, sizeof(*m->slot));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		s = find(m, old[i].key);
		*s = old[i];
	}
	free(old);
}

void *
strmap_put(struct strmap *m, const char *key, void *val)
{
	struct strmap_slot *s;
	void *prev;

	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	s = find(m, key);
	if (s->key != NULL) {
		prev = s->val;
		s->val = val;
		return prev;
	}
	s->key = gw_strdup(key);
	s->val = val;
	m->n++;
	return NULL;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key);

	return s != NULL && s->key != NULL ? s->val : NULL;
}

int
strmap_has(const struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key);

	return s != NULL && s->key != NULL;
}

struct strmap_slot *
strmap_next(const struct strmap *m, size_t *i)
{
	for (; *i < m->cap; (*i)++)
		if (m->slot[*i].key != NULL)
			return &m->slot[(*i)++];
	return NULL;
}

char *
gw_fold(const char *s)
{
	char *out = gw_strdup(s);
	unsigned char *p = (unsigned char *)out;

	while (*p != '\0') {
		if (*p >= 'A' && *p <= 'Z') {
			*p = (unsigned char)(*p + 32);
			p++;
		} else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e &&
		    p[1] != 0x97) {
			/* U+00C0..U+00DE (not U+00D7) fold to U+00E0.. */
			p[1] = (unsigned char)(p[1] + 0x20);
			p += 2;
		} else
			p++;
	}
	return out;
}

/* ---- strset ---- */

/* The map's hash, never 0 (0 marks an empty slot). */
static unsigned long long
fingerprint64(const char *s)
{
	uint64_t h = hash_str(s);

	return h != 0 ? h : 1;
}

void
strset_init(struct strset *set)
{
	set->slot = NULL;
	set->cap = set->n = 0;
}

void
strset_release(struct strset *set)
{
	free(set->slot);
	strset_init(set);
}

static size_t
strset_find(const struct strset *set, unsigned long long fp)
{
	size_t i = (size_t)(fp ^ (fp >> 32)) & (set->cap - 1);

	while (set->slot[i] != 0 && set->slot[i] != fp)
		i = (i + 1) & (set->cap - 1);
	return i;
}

void
strset_add(struct strset *set, const char *s)
{
	unsigned long long fp = fingerprint64(s), *old;
	size_t i, oldcap;

	if ((set->n + 1) * 4 > set->cap * 3) {
		old = set->slot;
		oldcap = set->cap;
		set->cap = oldcap == 0 ? 64 : oldcap * 2;
		set->slot = gw_calloc(set->cap, sizeof(*set->slot));
		for (i = 0; i < oldcap; i++)
			if (old[i] != 0)
				set->slot[strset_find(set, old[i])] = old[i];
		free(old);
	}
	i = strset_find(set, fp);
	if (set->slot[i] == 0) {
		set->slot[i] = fp;
		set->n++;
	}
}

int
strset_has(const struct strset *set, const char *s)
{
	unsigned long long fp = fingerprint64(s);

	return set->cap != 0 && set->slot[strset_find(set, fp)] == fp;
}
