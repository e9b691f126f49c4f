/*
 * ccmail_model.c: an in-memory model of a cc:Mail post office directory
 * with its EXPORT and IMPORT programs, as they behave toward the gateway.
 *
 * Written from FORMATS.md section 1 (CCDIR-1) and its common rules only,
 * deliberately sharing nothing with galgate's connector: a bug in the
 * connector's reading of the format should show up as a disagreement
 * with this model, not be reproduced by it.
 *
 * The model is strict where the gateway is the writer (the import files):
 * anything the format does not allow makes the record malformed or the
 * file an error, so that a test sees it instead of having it forgiven.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ccmail_model.h"

/* FORMATS.md common rules: a longer line is an error, not a truncation. */
#define LINE_MAX_BYTES	1024
/* The "configured ceiling" on a file; generous for any test directory. */
#define FILE_MAX_BYTES	(16UL * 1024 * 1024)

#define NOT_FOUND	((size_t)-1)
#define SLOT_GONE	((size_t)-1)

struct ent {
	char	*name;
	char	 locn;
	char	*po;		/* NULL: exporting PO (L R A) or none (P p) */
	char	*addr;
	char	*fan;
	char	*comments;	/* lines joined with "\n" */
	char	*via;
};

struct list {
	char	 *name;
	char	 *comments;
	char	**members;
	size_t	  nmembers;
};

struct bboard {
	char	*title;
	char	*comments;
};

struct ccm {
	char		 *po;
	struct ent	**ents;		/* in no particular order */
	size_t		  nents, capents;
	/*
	 * The entries by folded name, so that directories of 100,000 users
	 * (the crash tests) import in linear time: open addressing, slot =
	 * index in ents + 1, 0 free, SLOT_GONE a deleted slot.
	 */
	size_t		 *slot;
	size_t		  nslot, ngone;
	struct list	**lists;
	size_t		  nlists, caplists;
	struct bboard	**bbs;
	size_t		  nbbs, capbbs;
};

/* One parsed "Keyword: value" line; the value already in UTF-8. */
struct field {
	char	*kw;
	char	*val;
};

struct rec {
	struct field	*f;
	size_t		 nf, cap;
	size_t		 line;		/* first line, for diagnostics */
	size_t		 badline;	/* first line that did not parse */
	const char	*why;
};

struct doc {
	struct rec	*r;
	size_t		 nr, cap;
};

/* A directory or delete record as read, pointing into its struct rec. */
struct drec {
	const char	*name, *po, *addr, *fan, *via;
	char		*comments;	/* joined, owned */
	char		 locn;
};

/*
 * CP850 0x80-0xFF. Typed from the code page chart rather than taken from
 * iconv, so that the model does not share the system's tables with the
 * gateway either.
 */
static const uint16_t cp850_hi[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00f8, 0x00a3, 0x00d8, 0x00d7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x00ae, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00c1, 0x00c2, 0x00c0,
	0x00a9, 0x2563, 0x2551, 0x2557, 0x255d, 0x00a2, 0x00a5, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x00e3, 0x00c3,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x00a4,
	0x00f0, 0x00d0, 0x00ca, 0x00cb, 0x00c8, 0x0131, 0x00cd, 0x00ce,
	0x00cf, 0x2518, 0x250c, 0x2588, 0x2584, 0x00a6, 0x00cc, 0x2580,
	0x00d3, 0x00df, 0x00d4, 0x00d2, 0x00f5, 0x00d5, 0x00b5, 0x00fe,
	0x00de, 0x00da, 0x00db, 0x00d9, 0x00fd, 0x00dd, 0x00af, 0x00b4,
	0x00ad, 0x00b1, 0x2017, 0x00be, 0x00b6, 0x00a7, 0x00f7, 0x00b8,
	0x00b0, 0x00a8, 0x00b7, 0x00b9, 0x00b3, 0x00b2, 0x25a0, 0x00a0,
};

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * Decodes one UTF-8 sequence. An invalid byte comes back as a value above
 * the Unicode range, so that comparisons still tell it apart and the
 * conversion to the code page turns it into '?'.
 */
static uint32_t
utf8_next(const unsigned char **sp)
{
	const unsigned char *s = *sp;
	uint32_t c, min;
	int i, n;

	if (s[0] < 0x80) {
		*sp = s + 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 1;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 2;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 3;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		goto bad;
	/* Stops at the terminating NUL, which is no continuation byte. */
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*sp = s + n + 1;
	return c;
bad:
	*sp = s + 1;
	return 0x110000 + s[0];
}

static size_t
utf8_put(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	/* CP850 holds nothing beyond the BMP. */
	out[0] = (char)(0xe0 | (c >> 12));
	out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[2] = (char)(0x80 | (c & 0x3f));
	return 3;
}

/*
 * Case folding for names: cc:Mail compares names case-insensitively, and
 * in CP850 that covers ASCII and the Latin-1 letters that have both cases
 * in the code page (not U+00D7, the multiplication sign).
 */
static uint32_t
fold(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7))
		return c + 0x20;
	return c;
}

static int
namecmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;
	uint32_t c, d;

	for (;;) {
		if (*p == '\0' || *q == '\0')
			return (*p != '\0') - (*q != '\0');
		c = fold(utf8_next(&p));
		d = fold(utf8_next(&q));
		if (c != d)
			return c < d ? -1 : 1;
	}
}

/* Unknown POs (NULL) never match: a post office entry has no home PO. */
static int
same_po(const char *a, const char *b)
{
	return a != NULL && b != NULL && namecmp(a, b) == 0;
}

/* UTF-8 to CP850 bytes; anything the code page lacks becomes '?'. */
static unsigned char *
to_cp850(const char *s, size_t *lenp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char *out;
	uint32_t c;
	size_t n = 0;
	int i;

	/* Every character takes at least one byte in UTF-8, so this fits. */
	if ((out = malloc(strlen(s) + 1)) == NULL)
		return NULL;
	while (*p != '\0') {
		c = utf8_next(&p);
		if (c < 0x80) {
			out[n++] = (unsigned char)c;
			continue;
		}
		for (i = 0; i < 128; i++)
			if (cp850_hi[i] == c)
				break;
		out[n++] = i < 128 ? (unsigned char)(0x80 + i) : '?';
	}
	out[n] = '\0';
	*lenp = n;
	return out;
}

/* CP850 bytes (no NUL among them) to UTF-8. */
static char *
from_cp850(const unsigned char *b, size_t len)
{
	char *out;
	size_t i, n = 0;

	if ((out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		n += utf8_put(out + n,
		    b[i] < 0x80 ? b[i] : cp850_hi[b[i] - 0x80]);
	out[n] = '\0';
	return out;
}

static char *
b64_encode(const unsigned char *b, size_t len)
{
	char *out;
	size_t i, n = 0;
	uint32_t v;

	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)b[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)b[i + 1] << 8;
		if (i + 2 < len)
			v |= b[i + 2];
		out[n++] = b64chars[(v >> 18) & 0x3f];
		out[n++] = b64chars[(v >> 12) & 0x3f];
		out[n++] = i + 1 < len ? b64chars[(v >> 6) & 0x3f] : '=';
		out[n++] = i + 2 < len ? b64chars[v & 0x3f] : '=';
	}
	out[n] = '\0';
	return out;
}

static int
b64_val(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64chars, c)) == NULL)
		return -1;
	return (int)(p - b64chars);
}

/*
 * Strict decoding: whole quads, padding only at the end. NULL on bad
 * input (or memory); *badp tells which.
 */
static unsigned char *
b64_decode(const char *s, size_t len, size_t *outlen, int *badp)
{
	unsigned char *out;
	size_t i, n = 0;
	int k, npad, v[4];

	*badp = 0;
	if (len % 4 != 0) {
		*badp = 1;
		return NULL;
	}
	if ((out = malloc(len / 4 * 3 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i += 4) {
		npad = 0;
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=') {
				npad++;
				v[k] = 0;
				continue;
			}
			if (npad > 0 ||
			    (v[k] = b64_val((unsigned char)s[i + k])) < 0)
				goto bad;
		}
		if (npad > 2 || (npad > 0 && i + 4 != len))
			goto bad;
		out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (npad < 2)
			out[n++] =
			    (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (npad < 1)
			out[n++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	out[n] = '\0';
	*outlen = n;
	return out;
bad:
	free(out);
	*badp = 1;
	return NULL;
}

/* Grows an array of pointers to hold one more; NULL on failure. */
static void *
grow(void *arr, size_t *cap, size_t n, size_t elsz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap == 0 ? 16 : *cap * 2;
	if ((p = realloc(arr, ncap * elsz)) == NULL)
		return NULL;
	*cap = ncap;
	return p;
}

/*
 * Copies an optional field. An empty one is stored as absent, because the
 * files cannot tell the two apart and a round trip must be stable.
 */
static int
dupopt(char **dst, const char *s)
{
	*dst = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	if ((*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

static void
ent_free(struct ent *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->po);
	free(e->addr);
	free(e->fan);
	free(e->comments);
	free(e->via);
	free(e);
}

static void
list_free(struct list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nmembers; i++)
		free(l->members[i]);
	free(l->members);
	free(l->name);
	free(l->comments);
	free(l);
}

static void
bboard_free(struct bboard *b)
{
	if (b == NULL)
		return;
	free(b->title);
	free(b->comments);
	free(b);
}

static int
valid_locn(char locn)
{
	return locn != '\0' && strchr("PpLlRrAa", locn) != NULL;
}

static int
needs_po(char locn)
{
	return locn == 'l' || locn == 'r' || locn == 'a';
}

/*
 * The post office an entry lives on: its PO, else the exporting one for
 * local users and aliases. Post offices themselves live on none, which is
 * why an add or delete aimed at one is always refused.
 */
static const char *
home_po(const struct ccm *m, char locn, const char *po)
{
	if (locn == 'P' || locn == 'p')
		return NULL;
	if (po != NULL && *po != '\0')
		return po;
	if (locn == 'L' || locn == 'R' || locn == 'A')
		return m->po;
	return NULL;
}

/* FNV-1a over the folded characters: equal under namecmp, equal hash. */
static size_t
name_hash(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	uint64_t h = 14695981039346656037ULL;
	uint32_t c;

	while (*p != '\0') {
		c = fold(utf8_next(&p));
		h = (h ^ c) * 1099511628211ULL;
	}
	return (size_t)h;
}

/* The slot holding index i (which must be in the index). */
static size_t *
slot_of(const struct ccm *m, size_t i)
{
	size_t k = name_hash(m->ents[i]->name) & (m->nslot - 1);

	while (m->slot[k] != i + 1)
		k = (k + 1) & (m->nslot - 1);
	return &m->slot[k];
}

static void
slot_put(struct ccm *m, size_t i)
{
	size_t k = name_hash(m->ents[i]->name) & (m->nslot - 1);

	while (m->slot[k] != 0 && m->slot[k] != SLOT_GONE)
		k = (k + 1) & (m->nslot - 1);
	if (m->slot[k] == SLOT_GONE)
		m->ngone--;
	m->slot[k] = i + 1;
}

/* Makes room for one more entry in the index; -1 out of memory. */
static int
index_reserve(struct ccm *m)
{
	size_t n = 64, i;

	if (m->nslot > 0 && (m->nents + 1 + m->ngone) * 2 <= m->nslot)
		return 0;
	while (n < (m->nents + 1) * 4)
		n *= 2;
	free(m->slot);
	if ((m->slot = calloc(n, sizeof(*m->slot))) == NULL) {
		m->nslot = 0;
		return -1;
	}
	m->nslot = n;
	m->ngone = 0;
	for (i = 0; i < m->nents; i++)
		slot_put(m, i);
	return 0;
}

static size_t
find_ent(const struct ccm *m, const char *name)
{
	size_t k, v;

	if (m->nslot == 0)
		return NOT_FOUND;
	k = name_hash(name) & (m->nslot - 1);
	while ((v = m->slot[k]) != 0) {
		if (v != SLOT_GONE && namecmp(m->ents[v - 1]->name, name) == 0)
			return v - 1;
		k = (k + 1) & (m->nslot - 1);
	}
	return NOT_FOUND;
}

static struct ent *
ent_new(const char *name, char locn, const char *po, const char *addr,
    const char *fan, const char *comments, const char *via)
{
	struct ent *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->locn = locn;
	if ((e->name = strdup(name)) == NULL ||
	    dupopt(&e->po, po) == -1 ||
	    dupopt(&e->addr, addr) == -1 ||
	    dupopt(&e->fan, fan) == -1 ||
	    dupopt(&e->comments, comments) == -1 ||
	    dupopt(&e->via, via) == -1) {
		ent_free(e);
		return NULL;
	}
	return e;
}

static int
insert_ent(struct ccm *m, struct ent *e)
{
	struct ent **v;

	if ((v = grow(m->ents, &m->capents, m->nents, sizeof(*v))) == NULL ||
	    (m->ents = v, index_reserve(m)) == -1)
		return -1;
	m->ents[m->nents++] = e;
	slot_put(m, m->nents - 1);
	return 0;
}

/* The last entry takes the place of the one removed. */
static void
remove_ent(struct ccm *m, size_t i)
{
	size_t last = m->nents - 1;

	*slot_of(m, i) = SLOT_GONE;
	m->ngone++;
	ent_free(m->ents[i]);
	if (i != last) {
		*slot_of(m, last) = i + 1;
		m->ents[i] = m->ents[last];
	}
	m->nents--;
}

struct ccm *
ccm_new(const char *po_name)
{
	struct ccm *m;

	if (po_name == NULL || *po_name == '\0')
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->po = strdup(po_name)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
ccm_free(struct ccm *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nents; i++)
		ent_free(m->ents[i]);
	for (i = 0; i < m->nlists; i++)
		list_free(m->lists[i]);
	for (i = 0; i < m->nbbs; i++)
		bboard_free(m->bbs[i]);
	free(m->ents);
	free(m->slot);
	free(m->lists);
	free(m->bbs);
	free(m->po);
	free(m);
}

struct ccm *
ccm_clone(const struct ccm *m)
{
	struct ccm *c;
	const struct ent *e;
	struct ent *ne;
	size_t i;

	if ((c = ccm_new(m->po)) == NULL)
		return NULL;
	for (i = 0; i < m->nents; i++) {
		e = m->ents[i];
		if ((ne = ent_new(e->name, e->locn, e->po, e->addr, e->fan,
		    e->comments, e->via)) == NULL || insert_ent(c, ne) == -1) {
			ent_free(ne);
			goto fail;
		}
	}
	for (i = 0; i < m->nlists; i++) {
		const struct list *l = m->lists[i];
		const char **mem = calloc(l->nmembers + 1, sizeof(*mem));
		int rc;

		if (mem == NULL)
			goto fail;
		if (l->nmembers > 0)
			memcpy(mem, l->members, l->nmembers * sizeof(*mem));
		rc = ccm_add_list(c, l->name, mem, l->comments);
		free(mem);
		if (rc == -1)
			goto fail;
	}
	for (i = 0; i < m->nbbs; i++)
		if (ccm_add_bboard(c, m->bbs[i]->title,
		    m->bbs[i]->comments) == -1)
			goto fail;
	return c;
fail:
	ccm_free(c);
	return NULL;
}

int
ccm_add_entry(struct ccm *m, const char *name, char locn, const char *po,
    const char *addr, const char *fan, const char *comments)
{
	struct ent *e;

	if (name == NULL || *name == '\0' || !valid_locn(locn))
		return -1;
	if (needs_po(locn) && (po == NULL || *po == '\0'))
		return -1;
	if (find_ent(m, name) != NOT_FOUND)
		return -1;
	if ((e = ent_new(name, locn, po, addr, fan, comments, NULL)) == NULL)
		return -1;
	if (insert_ent(m, e) == -1) {
		ent_free(e);
		return -1;
	}
	return 0;
}

int
ccm_delete_entry(struct ccm *m, const char *name)
{
	size_t i;

	if (name == NULL || (i = find_ent(m, name)) == NOT_FOUND)
		return -1;
	remove_ent(m, i);
	return 0;
}

int
ccm_add_list(struct ccm *m, const char *name, const char *const *members,
    const char *comments)
{
	struct list *l = NULL, **v;
	size_t i, n = 0;

	if (name == NULL || *name == '\0')
		return -1;
	/* Lists have a namespace of their own, as in cc:Mail. */
	for (i = 0; i < m->nlists; i++)
		if (namecmp(m->lists[i]->name, name) == 0)
			return -1;
	while (members != NULL && members[n] != NULL)
		n++;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto fail;
	if ((l->name = strdup(name)) == NULL ||
	    dupopt(&l->comments, comments) == -1)
		goto fail;
	if (n > 0 && (l->members = calloc(n, sizeof(char *))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((l->members[i] = strdup(members[i])) == NULL)
			goto fail;
		l->nmembers++;
	}
	if ((v = grow(m->lists, &m->caplists, m->nlists, sizeof(*v))) == NULL)
		goto fail;
	m->lists = v;
	m->lists[m->nlists++] = l;
	return 0;
fail:
	list_free(l);
	return -1;
}

int
ccm_add_bboard(struct ccm *m, const char *title, const char *comments)
{
	struct bboard *b = NULL, **v;
	size_t i;

	if (title == NULL || *title == '\0')
		return -1;
	for (i = 0; i < m->nbbs; i++)
		if (namecmp(m->bbs[i]->title, title) == 0)
			return -1;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto fail;
	if ((b->title = strdup(title)) == NULL ||
	    dupopt(&b->comments, comments) == -1)
		goto fail;
	if ((v = grow(m->bbs, &m->capbbs, m->nbbs, sizeof(*v))) == NULL)
		goto fail;
	m->bbs = v;
	m->bbs[m->nbbs++] = b;
	return 0;
fail:
	bboard_free(b);
	return -1;
}

int
ccm_get_entry(const struct ccm *m, const char *name, const char **exact_name,
    char *locn, const char **po, const char **fan, const char **comments)
{
	const struct ent *e;
	size_t i;

	if (name == NULL || (i = find_ent(m, name)) == NOT_FOUND)
		return 0;
	e = m->ents[i];
	if (exact_name != NULL)
		*exact_name = e->name;
	if (locn != NULL)
		*locn = e->locn;
	if (po != NULL)
		*po = e->po;
	if (fan != NULL)
		*fan = e->fan;
	if (comments != NULL)
		*comments = e->comments;
	return 1;
}

size_t
ccm_count_entries(const struct ccm *m)
{
	return m->nents;
}

size_t
ccm_count_on_po(const struct ccm *m, const char *po)
{
	const struct ent *e;
	size_t i, n = 0;

	for (i = 0; i < m->nents; i++) {
		e = m->ents[i];
		if (same_po(home_po(m, e->locn, e->po), po))
			n++;
	}
	return n;
}

/*
 * Writing. Errors are remembered in the writer and checked once when the
 * file is closed, which keeps the record writers straight-line.
 */
struct wr {
	FILE		*fp;
	const char	*path;
	int		 err;
};

static void
put_field(struct wr *w, const char *kw, const char *val)
{
	unsigned char *cp = NULL;
	char *b64 = NULL;
	size_t len, i;
	int enc = 0;

	if (w->err)
		return;
	if ((cp = to_cp850(val, &len)) == NULL)
		goto fail;
	/*
	 * A leading or trailing space would be lost to the reader's
	 * stripping, a control byte would break the line: both go base64.
	 */
	if (len > 0 && (cp[0] == ' ' || cp[len - 1] == ' '))
		enc = 1;
	for (i = 0; i < len && !enc; i++)
		if (cp[i] < 0x20)
			enc = 1;
	if (enc) {
		if ((b64 = b64_encode(cp, len)) == NULL)
			goto fail;
		len = strlen(b64);
	}
	if (strlen(kw) + (enc ? 3 : 2) + len > LINE_MAX_BYTES) {
		fprintf(stderr, "ccmail model: %s: %s: line over %d bytes\n",
		    w->path, kw, LINE_MAX_BYTES);
		goto fail;
	}
	if (fputs(kw, w->fp) == EOF ||
	    fputs(enc ? ":: " : ": ", w->fp) == EOF ||
	    fwrite(enc ? (const void *)b64 : (const void *)cp, 1, len,
	    w->fp) != len || fputs("\r\n", w->fp) == EOF)
		goto fail;
	goto out;
fail:
	w->err = 1;
out:
	free(cp);
	free(b64);
}

/* Multi-line comments go out as repeated Comments: lines. */
static void
put_comments(struct wr *w, const char *s)
{
	const char *nl;
	char *piece;

	if (s == NULL || *s == '\0')
		return;
	for (;;) {
		nl = strchr(s, '\n');
		if (nl == NULL) {
			put_field(w, "Comments", s);
			return;
		}
		if ((piece = strndup(s, (size_t)(nl - s))) == NULL) {
			w->err = 1;
			return;
		}
		put_field(w, "Comments", piece);
		free(piece);
		s = nl + 1;
	}
}

static void
put_opt(struct wr *w, const char *kw, const char *val)
{
	if (val != NULL && *val != '\0')
		put_field(w, kw, val);
}

static void
put_sep(struct wr *w)
{
	if (!w->err && fputs("\r\n", w->fp) == EOF)
		w->err = 1;
}

static int
wr_open(struct wr *w, char *path, size_t pathsz, const char *dir,
    const char *file, const char *kind, const char *po)
{
	int n;

	w->fp = NULL;
	w->path = path;
	w->err = 0;
	n = snprintf(path, pathsz, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= pathsz)
		return -1;
	if ((w->fp = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "ccmail model: cannot create %s\n", path);
		return -1;
	}
	put_field(w, "CCDIR", "1");
	put_field(w, "Kind", kind);
	put_field(w, "PostOffice", po);
	put_field(w, "Codepage", "CP850");
	return 0;
}

static int
wr_close(struct wr *w)
{
	int err = w->err;

	if (w->fp == NULL)
		return -1;
	if (ferror(w->fp))
		err = 1;
	if (fclose(w->fp) == EOF)
		err = 1;
	w->fp = NULL;
	return err ? -1 : 0;
}

/* P first, then p, which is reached through a P; users; aliases last. */
static int
locn_rank(char locn)
{
	switch (locn) {
	case 'P':
		return 0;
	case 'p':
		return 1;
	case 'A':
	case 'a':
		return 3;
	default:
		return 2;
	}
}

static int
ent_order(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a;
	const struct ent *y = *(const struct ent *const *)b;
	int c;

	if ((c = locn_rank(x->locn) - locn_rank(y->locn)) != 0)
		return c;
	if ((c = namecmp(x->name, y->name)) != 0)
		return c;
	/* Only reached for equal names; keeps the output deterministic. */
	return strcmp(x->name, y->name);
}

static int
list_order(const void *a, const void *b)
{
	const struct list *x = *(const struct list *const *)a;
	const struct list *y = *(const struct list *const *)b;
	int c;

	if ((c = namecmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

static int
bboard_order(const void *a, const void *b)
{
	const struct bboard *x = *(const struct bboard *const *)a;
	const struct bboard *y = *(const struct bboard *const *)b;
	int c;

	if ((c = namecmp(x->title, y->title)) != 0)
		return c;
	return strcmp(x->title, y->title);
}

static int
export_dir(const struct ccm *m, const char *dir)
{
	char path[PATH_MAX];
	struct ent **v = NULL;
	const struct ent *e;
	struct wr w;
	size_t i;
	int rv = -1;

	if (m->nents > 0 && (v = calloc(m->nents, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < m->nents; i++)
		v[i] = m->ents[i];
	if (m->nents > 0)
		qsort(v, m->nents, sizeof(*v), ent_order);
	if (wr_open(&w, path, sizeof(path), dir, "Ccmdir.exp", "directory",
	    m->po) == -1)
		goto out;
	for (i = 0; i < m->nents; i++) {
		e = v[i];
		put_sep(&w);
		put_field(&w, "Name", e->name);
		put_field(&w, "Locn", (char[]){ e->locn, '\0' });
		put_opt(&w, "PO", e->po);
		put_opt(&w, "Addr", e->addr);
		put_opt(&w, "FAN", e->fan);
		put_opt(&w, "Via", e->via);
		put_comments(&w, e->comments);
	}
	rv = 0;
out:
	if (wr_close(&w) == -1)
		rv = -1;
	free(v);
	return rv;
}

static int
export_lists(const struct ccm *m, const char *dir)
{
	char path[PATH_MAX];
	struct list **v = NULL;
	const struct list *l;
	struct wr w;
	size_t i, j;
	int rv = -1;

	if (m->nlists > 0 && (v = calloc(m->nlists, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < m->nlists; i++)
		v[i] = m->lists[i];
	if (m->nlists > 0)
		qsort(v, m->nlists, sizeof(*v), list_order);
	if (wr_open(&w, path, sizeof(path), dir, "Ccmlist.exp", "lists",
	    m->po) == -1)
		goto out;
	for (i = 0; i < m->nlists; i++) {
		l = v[i];
		put_sep(&w);
		put_field(&w, "List", l->name);
		put_comments(&w, l->comments);
		for (j = 0; j < l->nmembers; j++)
			put_field(&w, "Member", l->members[j]);
	}
	rv = 0;
out:
	if (wr_close(&w) == -1)
		rv = -1;
	free(v);
	return rv;
}

static int
export_bboards(const struct ccm *m, const char *dir)
{
	char path[PATH_MAX];
	struct bboard **v = NULL;
	struct wr w;
	size_t i;
	int rv = -1;

	if (m->nbbs > 0 && (v = calloc(m->nbbs, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < m->nbbs; i++)
		v[i] = m->bbs[i];
	if (m->nbbs > 0)
		qsort(v, m->nbbs, sizeof(*v), bboard_order);
	if (wr_open(&w, path, sizeof(path), dir, "Ccmbb.exp", "bboards",
	    m->po) == -1)
		goto out;
	for (i = 0; i < m->nbbs; i++) {
		put_sep(&w);
		put_field(&w, "BBoard", v[i]->title);
		put_comments(&w, v[i]->comments);
	}
	rv = 0;
out:
	if (wr_close(&w) == -1)
		rv = -1;
	free(v);
	return rv;
}

int
ccm_export(const struct ccm *m, const char *dir)
{
	if (m == NULL || dir == NULL)
		return -1;
	if (export_dir(m, dir) == -1 || export_lists(m, dir) == -1 ||
	    export_bboards(m, dir) == -1)
		return -1;
	return 0;
}

/*
 * Reading.
 */
static void
doc_free(struct doc *d)
{
	size_t i, j;

	for (i = 0; i < d->nr; i++) {
		for (j = 0; j < d->r[i].nf; j++) {
			free(d->r[i].f[j].kw);
			free(d->r[i].f[j].val);
		}
		free(d->r[i].f);
	}
	free(d->r);
	d->r = NULL;
	d->nr = d->cap = 0;
}

static int
slurp(const char *path, char **bufp, size_t *lenp)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	int rv = -1;

	*bufp = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "ccmail model: cannot open %s\n", path);
		return -1;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				goto out;
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (len > FILE_MAX_BYTES) {
			fprintf(stderr, "ccmail model: %s: over %lu bytes\n",
			    path, FILE_MAX_BYTES);
			goto out;
		}
		if (n == 0)
			break;
	}
	if (ferror(fp))
		goto out;
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	rv = 0;
out:
	free(buf);
	fclose(fp);
	return rv;
}

static void
rec_bad(struct rec *r, size_t line, const char *why)
{
	if (r->why == NULL) {
		r->why = why;
		r->badline = line;
	}
}

/*
 * One non-blank, non-comment line, trailing blanks already stripped.
 * A line that does not follow the format marks its record bad; -1 only
 * for memory.
 */
static int
parse_line(const char *s, size_t len, size_t line, struct rec *r)
{
	const char *colon, *p, *end = s + len;
	unsigned char *bytes = NULL;
	struct field *f;
	char *kw = NULL, *val = NULL;
	size_t n, i;
	int bad;

	if ((colon = memchr(s, ':', len)) == NULL || colon == s) {
		rec_bad(r, line, "not a \"Keyword: value\" line");
		return 0;
	}
	for (p = s; p < colon; p++)
		if ((unsigned char)*p <= ' ') {
			rec_bad(r, line, "blank or control byte in keyword");
			return 0;
		}
	p = colon + 1;
	if (p < end && *p == ':') {
		/* Keyword:: base64 of the code-page bytes, as in LDIF. */
		for (p++; p < end && *p == ' '; p++)
			;
		bytes = b64_decode(p, (size_t)(end - p), &n, &bad);
		if (bytes == NULL) {
			if (!bad)
				return -1;
			rec_bad(r, line, "bad base64 value");
			return 0;
		}
		if (memchr(bytes, '\0', n) != NULL) {
			rec_bad(r, line, "NUL byte in base64 value");
			goto out_ok;
		}
		val = from_cp850(bytes, n);
	} else {
		/* Exactly one space, so a leading space would be data. */
		if (p < end && *p != ' ') {
			rec_bad(r, line, "no space after the colon");
			return 0;
		}
		if (p < end)
			p++;
		for (i = 0; p + i < end; i++)
			if ((unsigned char)p[i] < 0x20) {
				rec_bad(r, line,
				    "control byte in a plain value");
				return 0;
			}
		val = from_cp850((const unsigned char *)p, (size_t)(end - p));
	}
	if (val == NULL)
		goto fail;
	if ((kw = strndup(s, (size_t)(colon - s))) == NULL)
		goto fail;
	if ((f = grow(r->f, &r->cap, r->nf, sizeof(*f))) == NULL)
		goto fail;
	r->f = f;
	r->f[r->nf].kw = kw;
	r->f[r->nf].val = val;
	r->nf++;
out_ok:
	free(bytes);
	return 0;
fail:
	free(bytes);
	free(kw);
	free(val);
	return -1;
}

static int
parse_doc(const char *path, struct doc *d)
{
	const char *nl;
	char *buf = NULL;
	struct rec *cur = NULL, *nr;
	size_t len, pos, eol, n, lineno = 0;
	int rv = -1;

	if (slurp(path, &buf, &len) == -1)
		goto out;
	/* A DOS copy may leave ^Z as the last byte. */
	if (len > 0 && buf[len - 1] == 0x1a)
		len--;
	for (pos = 0; pos < len; pos = eol + 1) {
		nl = memchr(buf + pos, '\n', len - pos);
		eol = nl != NULL ? (size_t)(nl - buf) : len;
		n = eol - pos;
		lineno++;
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;
		if (n > LINE_MAX_BYTES) {
			fprintf(stderr, "ccmail model: %s:%zu: line over %d "
			    "bytes\n", path, lineno, LINE_MAX_BYTES);
			goto out;
		}
		while (n > 0 && (buf[pos + n - 1] == ' ' ||
		    buf[pos + n - 1] == '\t'))
			n--;
		if (n == 0) {
			cur = NULL;
			continue;
		}
		if (buf[pos] == ';')
			continue;
		if (cur == NULL) {
			if ((nr = grow(d->r, &d->cap, d->nr,
			    sizeof(*nr))) == NULL)
				goto out;
			d->r = nr;
			cur = &d->r[d->nr++];
			memset(cur, 0, sizeof(*cur));
			cur->line = lineno;
		}
		if (parse_line(buf + pos, n, lineno, cur) == -1)
			goto out;
	}
	rv = 0;
out:
	free(buf);
	return rv;
}

/* How many times kw occurs in r; *valp gets the last value. */
static int
field_get(const struct rec *r, const char *kw, const char **valp)
{
	size_t i;
	int n = 0;

	if (valp != NULL)
		*valp = NULL;
	for (i = 0; i < r->nf; i++)
		if (strcasecmp(r->f[i].kw, kw) == 0) {
			n++;
			if (valp != NULL)
				*valp = r->f[i].val;
		}
	return n;
}

static int
check_header(const char *path, const struct doc *d, const char *kind)
{
	const struct rec *h;
	const char *v, *why;

	if (d->nr == 0) {
		why = "no header";
		goto bad;
	}
	h = &d->r[0];
	if (h->why != NULL) {
		fprintf(stderr, "ccmail model: %s:%zu: header: %s\n", path,
		    h->badline, h->why);
		return -1;
	}
	why = "header lacks CCDIR: 1";
	if (field_get(h, "CCDIR", &v) != 1 || strcmp(v, "1") != 0)
		goto bad;
	why = "header has the wrong Kind";
	if (field_get(h, "Kind", &v) != 1 || strcasecmp(v, kind) != 0)
		goto bad;
	why = "header lacks PostOffice";
	if (field_get(h, "PostOffice", &v) != 1 || *v == '\0')
		goto bad;
	why = "header Codepage is not CP850";
	if (field_get(h, "Codepage", &v) != 1 || strcasecmp(v, "CP850") != 0)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "ccmail model: %s:%zu: %s\n", path,
	    d->nr > 0 ? d->r[0].line : (size_t)1, why);
	return -1;
}

static int
known_kw(const char *kw, int del)
{
	static const char *const all[] = {
		"Name", "Locn", "PO", "Addr", "FAN", "Comments", "Via", NULL
	};
	size_t i, n = del ? 3 : 7;	/* deletes hold Name, Locn, PO only */

	for (i = 0; i < n && all[i] != NULL; i++)
		if (strcasecmp(kw, all[i]) == 0)
			return 1;
	return 0;
}

/* Joins every Comments: value of r with "\n"; NULL *out if none. */
static int
join_comments(const struct rec *r, char **out)
{
	size_t i, len = 0, pos = 0, vlen;
	char *s;
	int n = 0;

	*out = NULL;
	for (i = 0; i < r->nf; i++)
		if (strcasecmp(r->f[i].kw, "Comments") == 0) {
			len += strlen(r->f[i].val) + 1;
			n++;
		}
	if (n == 0)
		return 0;
	if ((s = malloc(len)) == NULL)
		return -1;
	for (i = 0; i < r->nf; i++) {
		if (strcasecmp(r->f[i].kw, "Comments") != 0)
			continue;
		/* Each value, even an empty one, is a line of its own. */
		vlen = strlen(r->f[i].val);
		memcpy(s + pos, r->f[i].val, vlen);
		pos += vlen;
		s[pos++] = '\n';
	}
	/* The last separator becomes the terminator. */
	s[pos - 1] = '\0';
	*out = s;
	return 0;
}

/*
 * Checks a directory (del = 0) or delete (del = 1) record. 1 if usable,
 * 0 if malformed (*why says how), -1 for memory.
 */
static int
decode_rec(const struct rec *r, int del, struct drec *dr, const char **why)
{
	const char *locn;
	size_t i;

	memset(dr, 0, sizeof(*dr));
	if (r->why != NULL) {
		*why = r->why;
		return 0;
	}
	for (i = 0; i < r->nf; i++)
		if (!known_kw(r->f[i].kw, del)) {
			*why = "keyword not allowed in this file";
			return 0;
		}
	*why = "a keyword other than Comments repeats";
	if (field_get(r, "Name", &dr->name) > 1 ||
	    field_get(r, "Locn", &locn) > 1 ||
	    field_get(r, "PO", &dr->po) > 1 ||
	    field_get(r, "Addr", &dr->addr) > 1 ||
	    field_get(r, "FAN", &dr->fan) > 1 ||
	    field_get(r, "Via", &dr->via) > 1)
		return 0;
	*why = "no Name";
	if (dr->name == NULL || *dr->name == '\0')
		return 0;
	*why = "no Locn";
	if (locn == NULL || *locn == '\0')
		return 0;
	*why = "Locn is not one of P p L l R r A a";
	if (locn[1] != '\0' || !valid_locn(locn[0]))
		return 0;
	dr->locn = locn[0];
	*why = "no PO for Locn l, r or a";
	if (needs_po(dr->locn) && (dr->po == NULL || *dr->po == '\0'))
		return 0;
	/*
	 * Via is not demanded for p: ccm_add_entry cannot set it, and our
	 * own export must read back; the gateway never sends a p anyway.
	 */
	if (!del && join_comments(r, &dr->comments) == -1)
		return -1;
	*why = NULL;
	return 1;
}

static void
malformed(const char *path, const struct rec *r, const char *why,
    struct ccm_import_result *res)
{
	fprintf(stderr, "ccmail model: %s:%zu: malformed record skipped: %s\n",
	    path, r->why != NULL ? r->badline : r->line, why);
	res->malformed++;
}

static int
apply_delete(struct ccm *m, const char *path, const struct rec *r,
    struct ccm_import_result *res)
{
	struct drec dr;
	const char *why;
	const struct ent *e;
	size_t i;
	int ok;

	if ((ok = decode_rec(r, 1, &dr, &why)) == -1)
		return -1;
	if (ok == 0) {
		malformed(path, r, why, res);
		return 0;
	}
	/* Deleting what is not there, or not the sender's, is refused. */
	if ((i = find_ent(m, dr.name)) == NOT_FOUND) {
		res->refused++;
		return 0;
	}
	e = m->ents[i];
	if (!same_po(home_po(m, e->locn, e->po),
	    home_po(m, dr.locn, dr.po))) {
		res->refused++;
		return 0;
	}
	remove_ent(m, i);
	res->deleted++;
	return 0;
}

/* Replaces *dst with a copy of src (empty meaning absent). */
static int
replace(char **dst, const char *src)
{
	char *s;

	if (dupopt(&s, src) == -1)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

static int
apply_add(struct ccm *m, const char *path, const struct rec *r,
    struct ccm_import_result *res)
{
	struct drec dr;
	struct ent *e;
	const char *why;
	size_t i;
	int ok, rv = -1;

	if ((ok = decode_rec(r, 0, &dr, &why)) == -1)
		return -1;
	if (ok == 0) {
		malformed(path, r, why, res);
		return 0;
	}
	if ((i = find_ent(m, dr.name)) == NOT_FOUND) {
		if ((e = ent_new(dr.name, dr.locn, dr.po, dr.addr, dr.fan,
		    dr.comments, dr.via)) == NULL)
			goto out;
		if (insert_ent(m, e) == -1) {
			ent_free(e);
			goto out;
		}
		res->added++;
		rv = 0;
		goto out;
	}
	e = m->ents[i];
	/*
	 * The name is one name to cc:Mail whatever its case: an entry of
	 * another PO, or a post office, is not the sender's to overwrite.
	 */
	if (!same_po(home_po(m, e->locn, e->po),
	    home_po(m, dr.locn, dr.po))) {
		res->refused++;
		rv = 0;
		goto out;
	}
	/* Updated in place: the name and PO keep their old spelling. */
	if (replace(&e->fan, dr.fan) == -1 ||
	    replace(&e->comments, dr.comments) == -1 ||
	    replace(&e->addr, dr.addr) == -1 ||
	    replace(&e->via, dr.via) == -1)
		goto out;
	/* An L becoming an l must gain the PO an l requires. */
	if (e->po == NULL && dr.po != NULL && replace(&e->po, dr.po) == -1)
		goto out;
	e->locn = dr.locn;
	res->updated++;
	rv = 0;
out:
	free(dr.comments);
	return rv;
}

static int
load(const char *dir, const char *file, const char *kind, char *path,
    size_t pathsz, struct doc *d)
{
	int n;

	n = snprintf(path, pathsz, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= pathsz)
		return -1;
	if (parse_doc(path, d) == -1 || check_header(path, d, kind) == -1)
		return -1;
	return 0;
}

int
ccm_import(struct ccm *m, const char *dir, struct ccm_import_result *res)
{
	char delpath[PATH_MAX], addpath[PATH_MAX];
	struct ccm_import_result r = { 0, 0, 0, 0, 0 };
	struct doc del = { NULL, 0, 0 }, add = { NULL, 0, 0 };
	size_t i;
	int rv = -1;

	if (m == NULL || dir == NULL)
		goto out;
	/* Both files are read and checked before anything is applied. */
	if (load(dir, "Ccmdel.imp", "delete", delpath, sizeof(delpath),
	    &del) == -1 ||
	    load(dir, "Ccmdir.imp", "add", addpath, sizeof(addpath),
	    &add) == -1)
		goto out;
	for (i = 1; i < del.nr; i++)
		if (apply_delete(m, delpath, &del.r[i], &r) == -1)
			goto out;
	for (i = 1; i < add.nr; i++)
		if (apply_add(m, addpath, &add.r[i], &r) == -1)
			goto out;
	rv = 0;
out:
	doc_free(&del);
	doc_free(&add);
	if (res != NULL)
		*res = r;
	return rv;
}
