#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "failpoint.h"
#include "gal.h"
#include "journal.h"
#include "state.h"

#define JREC_HDR	(1 + 8 + 16 + GW_HASH_LEN)	/* op time uuid hash */
#define ENT_HDR		(1 + 8 + 8 + GW_HASH_LEN + 8)	/* alive usn time hash first */
#define PURGE_EVERY	3600

/* Meta keys */
#define M_HEAD		"usn.head"
#define M_FLOOR		"usn.floor"
#define M_COOKIE	"sync.cookie"
#define M_GALID		"sync.galid"
#define M_CSN		"sync.contextcsn"
#define M_PURGED	"journal.purged"

#define MARKER_CLASS	"galgateJournalMarker"
#define MARKER_RDN	"cn=galgate journal marker"
#define CATCH_UP_SECONDS	10

const char *
journal_op_name(enum gw_op op)
{
	switch (op) {
	case GW_OP_ADD:
		return "add";
	case GW_OP_MODIFY:
		return "modify";
	case GW_OP_DELETE:
		return "delete";
	default:
		return "none";
	}
}

void
journal_uuid_str(const unsigned char u[16], char *buf)
{
	static const char hex[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[o++] = '-';
		buf[o++] = hex[u[i] >> 4];
		buf[o++] = hex[u[i] & 15];
	}
	buf[o] = '\0';
}

/* A set of 16-byte UUIDs (open addressing), for the present phase. */
struct uuid_set {
	unsigned char	(*slot)[16];
	unsigned char	*used;
	size_t		 cap, n;
};

static size_t
uuid_hash(const unsigned char u[16], size_t cap)
{
	uint64_t h;

	/* entryUUIDs are random or time-based: the low bytes spread well */
	memcpy(&h, u + 8, 8);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)(h & (cap - 1));
}

static void
uuid_set_add(struct uuid_set *s, const unsigned char u[16])
{
	size_t i, old;
	unsigned char (*oslot)[16];
	unsigned char *oused;

	if ((s->n + 1) * 2 > s->cap) {
		oslot = s->slot;
		oused = s->used;
		old = s->cap;
		s->cap = old == 0 ? 1024 : old * 2;
		s->slot = gw_calloc(s->cap, 16);
		s->used = gw_calloc(s->cap, 1);
		s->n = 0;
		for (i = 0; i < old; i++)
			if (oused[i])
				uuid_set_add(s, oslot[i]);
		free(oslot);
		free(oused);
	}
	for (i = uuid_hash(u, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (memcmp(s->slot[i], u, 16) == 0)
			return;
	memcpy(s->slot[i], u, 16);
	s->used[i] = 1;
	s->n++;
}

static int
uuid_set_has(const struct uuid_set *s, const unsigned char u[16])
{
	size_t i;

	if (s->cap == 0)
		return 0;
	for (i = uuid_hash(u, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (memcmp(s->slot[i], u, 16) == 0)
			return 1;
	return 0;
}

static void
uuid_set_free(struct uuid_set *s)
{
	free(s->slot);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

/*
 * A big refresh is committed in chunks so that one transaction never
 * holds a whole GAL's worth of dirty pages.  Only the last commit moves
 * the cookie: a poll cut short is redone from the old cookie, and what
 * the earlier chunks recorded is then known, with the same state, so it
 * gets no second USN.
 */
#define JOURNAL_CHUNK	4096

struct poll {
	struct gw_state		*st;
	struct gw_txn		*txn;
	size_t			 pending;	/* records in this transaction */
	struct journal_stats	*stats;
	struct uuid_set		 seen;
	uint64_t		 head;
	time_t			 now;
	struct gw_err		*err;
};

int
journal_entry_get(struct gw_txn *txn, const unsigned char uuid[16],
    struct journal_entry *e, struct gw_err *err)
{
	struct gw_value v;
	const unsigned char *p;
	int rc;

	memset(e, 0, sizeof(*e));
	if ((rc = state_get(txn, GW_DB_ENTRIES, uuid, 16, &v, err)) != 1)
		return rc;
	if (v.len < ENT_HDR)
		return gw_err_set(err, GW_EXIT_RUNTIME, "state database: "
		    "corrupt entry record");
	p = (const unsigned char *)v.ptr;
	e->alive = p[0];
	e->usn = gw_be64_get(p + 1);
	e->time = (time_t)gw_be64_get(p + 9);
	memcpy(e->hash, p + 17, GW_HASH_LEN);
	e->first_usn = gw_be64_get(p + 17 + GW_HASH_LEN);
	e->dn = v.ptr + ENT_HDR;
	e->dnlen = v.len - ENT_HDR;
	return 1;
}

static int
chunk_commit(struct poll *pl)
{
	uint64_t head;
	int rc;

	if (state_put_u64(pl->txn, GW_DB_META, M_HEAD, pl->head, pl->err) == -1)
		return -1;
	GW_FAILPOINT("journal-chunk");
	rc = state_commit(pl->txn, pl->err);
	pl->txn = NULL;
	pl->pending = 0;
	if (rc == -1 || state_begin(pl->st, 1, &pl->txn, pl->err) == -1)
		return -1;
	if (state_get_u64(pl->txn, GW_DB_META, M_HEAD, &head, pl->err) == -1)
		return -1;
	if (head > pl->head)
		pl->head = head;
	return 0;
}

/* Appends one journal record and updates the entry's state. */
static int
record_change(struct poll *pl, enum gw_op op, const unsigned char uuid[16],
    const unsigned char hash[GW_HASH_LEN], const char *dn, size_t dnlen)
{
	unsigned char key[8], *rec;
	size_t len = JREC_HDR + dnlen;
	struct journal_entry old;
	uint64_t first;
	int rc;

	/* the USN an entry first got stays with it for its whole life */
	if ((rc = journal_entry_get(pl->txn, uuid, &old, pl->err)) == -1)
		return -1;
	first = rc == 1 ? old.first_usn : pl->head + 1;
	rec = gw_malloc(len > ENT_HDR + dnlen ? len : ENT_HDR + dnlen);
	pl->head++;
	gw_be64_put(key, pl->head);
	rec[0] = (unsigned char)op;
	gw_be64_put(rec + 1, (uint64_t)pl->now);
	memcpy(rec + 9, uuid, 16);
	memcpy(rec + 25, hash, GW_HASH_LEN);
	memcpy(rec + JREC_HDR, dn, dnlen);
	rc = state_put(pl->txn, GW_DB_JOURNAL, key, 8, rec, len, pl->err);
	if (rc == 0) {
		rec[0] = op != GW_OP_DELETE;
		gw_be64_put(rec + 1, pl->head);
		gw_be64_put(rec + 9, (uint64_t)pl->now);
		memcpy(rec + 17, hash, GW_HASH_LEN);
		gw_be64_put(rec + 17 + GW_HASH_LEN, first);
		memcpy(rec + ENT_HDR, dn, dnlen);
		rc = state_put(pl->txn, GW_DB_ENTRIES, uuid, 16, rec,
		    ENT_HDR + dnlen, pl->err);
	}
	free(rec);
	if (rc == 0) {
		if (op == GW_OP_ADD)
			pl->stats->added++;
		else if (op == GW_OP_MODIFY)
			pl->stats->modified++;
		else
			pl->stats->deleted++;
		if (++pl->pending >= JOURNAL_CHUNK)
			rc = chunk_commit(pl);
	}
	return rc;
}

static int
note_delete(struct poll *pl, const unsigned char uuid[16])
{
	static const unsigned char zero[GW_HASH_LEN];
	struct journal_entry e;
	char *dn;
	int rc;

	if ((rc = journal_entry_get(pl->txn, uuid, &e, pl->err)) != 1)
		return rc;	/* unknown: nothing to journal */
	if (!e.alive)
		return 0;
	/* the record write may move the map under e.dn */
	dn = gw_strndup(e.dn, e.dnlen);
	rc = record_change(pl, GW_OP_DELETE, uuid, zero, dn, e.dnlen);
	free(dn);
	return rc;
}

/* A journal marker (an identity's, any one's): never a GAL change. */
static int
is_marker(const struct gw_record *rec)
{
	const struct gw_attr *oc = gw_record_attr(rec, "objectClass");
	size_t i;

	for (i = 0; oc != NULL && i < oc->n; i++)
		if (oc->val[i].len == sizeof(MARKER_CLASS) - 1 &&
		    strncasecmp(oc->val[i].ptr, MARKER_CLASS,
		    sizeof(MARKER_CLASS) - 1) == 0)
			return 1;
	return 0;
}

static int
note_entry(struct poll *pl, const unsigned char uuid[16],
    const struct gw_record *rec)
{
	unsigned char hash[GW_HASH_LEN];
	struct journal_entry e;
	struct gw_record copy;
	int rc, known;

	uuid_set_add(&pl->seen, uuid);
	if (is_marker(rec))
		return 0;	/* no change of the GAL */
	gw_record_copy(&copy, rec);
	gw_record_hash(&copy, hash);
	gw_record_release(&copy);
	if ((known = journal_entry_get(pl->txn, uuid, &e, pl->err)) == -1)
		return -1;
	if (known && e.alive && memcmp(e.hash, hash, GW_HASH_LEN) == 0)
		return 0;	/* reported, but the same state */
	rc = record_change(pl, known && e.alive ? GW_OP_MODIFY : GW_OP_ADD,
	    uuid, hash, rec->dn, strlen(rec->dn));
	return rc;
}

static int
sync_entry(void *arg, enum gal_sync_state state, const unsigned char uuid[16],
    const struct gw_record *rec)
{
	struct poll *pl = arg;

	switch (state) {
	case GAL_SYNC_DELETE:
		return note_delete(pl, uuid);
	case GAL_SYNC_PRESENT:
		uuid_set_add(&pl->seen, uuid);
		return 0;
	default:
		if (rec == NULL) {
			/* no attributes readable: count it as present */
			uuid_set_add(&pl->seen, uuid);
			return 0;
		}
		return note_entry(pl, uuid, rec);
	}
}

static int
sync_idset(void *arg, int deletes, const unsigned char (*uuids)[16], size_t n)
{
	struct poll *pl = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		if (deletes) {
			if (note_delete(pl, uuids[i]) == -1)
				return -1;
		} else
			uuid_set_add(&pl->seen, uuids[i]);
	}
	return 0;
}

/* Entries alive in the journal but not reported in a present phase. */
struct sweep {
	struct poll	*pl;
	unsigned char	(*gone)[16];
	size_t		 n;
};

static int
sweep_cb(void *arg, const struct gw_value *k, const struct gw_value *v)
{
	struct sweep *sw = arg;

	if (k->len != 16 || v->len < ENT_HDR || v->ptr[0] == 0)
		return 0;
	if (uuid_set_has(&sw->pl->seen, (const unsigned char *)k->ptr))
		return 0;
	sw->gone = gw_grow(sw->gone, sw->n, sizeof(*sw->gone));
	memcpy(sw->gone[sw->n++], k->ptr, 16);
	return 0;
}

static int
sweep_unseen(struct poll *pl)
{
	struct sweep sw = { pl, NULL, 0 };
	size_t i;
	int rc = 0;

	/* collect first: writing while a cursor walks the same db is unsafe */
	if (state_iter(pl->txn, GW_DB_ENTRIES, NULL, 0, sweep_cb, &sw,
	    pl->err) == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < sw.n; i++)
		rc = note_delete(pl, sw.gone[i]);
	free(sw.gone);
	return rc;
}

/* contextCSN values: "YYYYmmddHHMMSS.ffffffZ#cnt#sid#mod", one per sid. */
static const char *
csn_sid(const char *csn, size_t len, size_t *sidlen)
{
	const char *p = memchr(csn, '#', len), *q;

	if (p == NULL || (p = memchr(p + 1, '#', len - (size_t)(p + 1 - csn)))
	    == NULL)
		return NULL;
	p++;
	q = memchr(p, '#', len - (size_t)(p - csn));
	*sidlen = q != NULL ? (size_t)(q - p) : len - (size_t)(p - csn);
	return p;
}

/*
 * 1 if some stored contextCSN is newer than what the server now has for
 * the same server ID (or the server lost that ID): the GAL went back.
 */
static int
csn_regressed(const struct gw_value *stored, const struct gw_attr *now)
{
	const char *p = stored->ptr, *end = stored->ptr + stored->len, *nl;
	const char *sid, *nsid;
	size_t len, sidlen, nsidlen, i, cmp;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if ((sid = csn_sid(p, len, &sidlen)) != NULL) {
			for (i = 0; now != NULL && i < now->n; i++) {
				nsid = csn_sid(now->val[i].ptr, now->val[i].len,
				    &nsidlen);
				if (nsid != NULL && nsidlen == sidlen &&
				    memcmp(nsid, sid, sidlen) == 0)
					break;
			}
			if (now == NULL || i == now->n)
				return 1;
			cmp = len < now->val[i].len ? len : now->val[i].len;
			if (memcmp(now->val[i].ptr, p, cmp) < 0)
				return 1;
		}
		p += len + 1;
	}
	return 0;
}

struct purge {
	time_t		 cutoff;
	unsigned char	(*usns)[8];	/* journal keys to drop */
	unsigned char	(*uuids)[16];	/* tombstones to drop */
	size_t		 n;
	uint64_t	 floor;
};

static int
purge_journal_cb(void *arg, const struct gw_value *k, const struct gw_value *v)
{
	struct purge *pu = arg;

	if (k->len != 8 || v->len < JREC_HDR)
		return 0;
	if ((time_t)gw_be64_get((const unsigned char *)v->ptr + 1) >=
	    pu->cutoff)
		return 1;	/* USN order is time order: done */
	pu->usns = gw_grow(pu->usns, pu->n, sizeof(*pu->usns));
	memcpy(pu->usns[pu->n++], k->ptr, 8);
	pu->floor = gw_be64_get((const unsigned char *)k->ptr);
	return 0;
}

static int
purge_entries_cb(void *arg, const struct gw_value *k, const struct gw_value *v)
{
	struct purge *pu = arg;

	if (k->len != 16 || v->len < ENT_HDR || v->ptr[0] != 0)
		return 0;
	if ((time_t)gw_be64_get((const unsigned char *)v->ptr + 9) >=
	    pu->cutoff)
		return 0;
	pu->uuids = gw_grow(pu->uuids, pu->n, sizeof(*pu->uuids));
	memcpy(pu->uuids[pu->n++], k->ptr, 16);
	return 0;
}

/* Drops journal records and tombstones older than the lifetime. */
static int
purge_old(struct poll *pl, const struct gw_conf *conf, struct gw_evlog *ev)
{
	struct purge pu;
	uint64_t last, floor;
	size_t i, nrec;

	if (state_get_u64(pl->txn, GW_DB_META, M_PURGED, &last, pl->err) == -1)
		return -1;
	if ((uint64_t)pl->now < last + PURGE_EVERY)
		return 0;
	memset(&pu, 0, sizeof(pu));
	pu.cutoff = pl->now - (time_t)conf->tombstone_lifetime;
	if (state_iter(pl->txn, GW_DB_JOURNAL, NULL, 0, purge_journal_cb, &pu,
	    pl->err) == -1)
		goto fail;
	for (i = 0; i < pu.n; i++)
		if (state_del(pl->txn, GW_DB_JOURNAL, pu.usns[i], 8,
		    pl->err) == -1)
			goto fail;
	nrec = pu.n;
	floor = pu.floor;
	pu.n = 0;
	if (state_iter(pl->txn, GW_DB_ENTRIES, NULL, 0, purge_entries_cb, &pu,
	    pl->err) == -1)
		goto fail;
	for (i = 0; i < pu.n; i++)
		if (state_del(pl->txn, GW_DB_ENTRIES, pu.uuids[i], 16,
		    pl->err) == -1)
			goto fail;
	free(pu.usns);
	free(pu.uuids);
	if (floor > 0 && state_put_u64(pl->txn, GW_DB_META, M_FLOOR, floor,
	    pl->err) == -1)
		return -1;
	if (nrec > 0 || pu.n > 0)
		evlog_emit(ev, EV_JOURNAL_PURGE, GW_SEV_INFO, NULL, NULL,
		    "dropped %zu journal records and %zu tombstones older than "
		    "%lld days", nrec, pu.n,
		    (long long)conf->tombstone_lifetime / 86400);
	return state_put_u64(pl->txn, GW_DB_META, M_PURGED, (uint64_t)pl->now,
	    pl->err);
fail:
	free(pu.usns);
	free(pu.uuids);
	return -1;
}

/* The GAL's identity: suffix entryUUID and contextCSN values. */
static int
read_identity(struct gal *g, const char *suffix, struct gw_record *id,
    int *exists, struct gw_err *err)
{
	static const char *attrs[] = { "entryUUID", "contextCSN", NULL };
	int rc = gal_read(g, suffix, attrs, id, err);

	if (rc == -1)
		return -1;
	*exists = rc;
	return 0;
}

/*
 * Where this identity's marker lives: below the entry galgate binds as
 * when that entry is in the GAL (its own to write, whatever other
 * identities may), else right below the suffix (SASL EXTERNAL, the
 * rootdn, an identity outside the GAL).
 */
static char *
marker_dn(const struct gw_conf *conf, int below_identity)
{
	const char *parent = conf->suffix;
	size_t blen, slen = strlen(conf->suffix);
	struct gw_buf b;

	if (below_identity && conf->bind_dn != NULL &&
	    (blen = strlen(conf->bind_dn)) > slen + 1 &&
	    conf->bind_dn[blen - slen - 1] == ',' &&
	    strcasecmp(conf->bind_dn + blen - slen, conf->suffix) == 0)
		parent = conf->bind_dn;
	gw_buf_init(&b, 0);
	(void)gw_buf_printf(&b, MARKER_RDN ",%s", parent);
	return gw_buf_detach(&b);
}

/* The contextCSN value of csn's server ID, NULL if the server has none. */
static const struct gw_value *
ctx_of_sid(const struct gw_attr *ctx, const char *csn)
{
	const char *sid, *vsid;
	size_t sidlen, vsidlen, i;

	if ((sid = csn_sid(csn, strlen(csn), &sidlen)) == NULL)
		return NULL;
	for (i = 0; ctx != NULL && i < ctx->n; i++) {
		vsid = csn_sid(ctx->val[i].ptr, ctx->val[i].len, &vsidlen);
		if (vsid != NULL && vsidlen == sidlen &&
		    memcmp(vsid, sid, sidlen) == 0)
			return &ctx->val[i];
	}
	return NULL;
}

/* 1 if the contextCSN value v is at or past csn (same width: text order) */
static int
csn_covered(const struct gw_value *v, const char *csn)
{
	size_t len = strlen(csn), n = v->len < len ? v->len : len;
	int cmp = memcmp(v->ptr, csn, n);

	return cmp > 0 || (cmp == 0 && v->len >= len);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Makes sure the suffix's contextCSN covers every change committed before
 * the poll began, and refreshes *id (the GAL's identity) to the state it
 * read last.  syncprov moves contextCSN only past CSNs with nothing older
 * pending, and a failed write stays pending until after its result went
 * out: a write committed in that moment (galgate's or anyone's) stays
 * above contextCSN until some later write.  So: write the marker, and
 * once contextCSN (for the marker's server ID) is at or past the marker's
 * entryCSN, everything older is inside the refresh's snapshot.  While it
 * is not, something older is still pending: write again, a few times a
 * second, for at most CATCH_UP_SECONDS.
 */
static int
catch_up(const struct gw_conf *conf, struct gal *g, struct gw_evlog *ev,
    struct gw_record *id, struct gw_err *err)
{
	struct timespec pause = { 0, 1000000 };
	const struct gw_value *v = NULL;
	char *dn = marker_dn(conf, 1), *csn = NULL;
	double deadline = now_seconds() + CATCH_UP_SECONDS;
	int rc, exists;

	for (;;) {
		free(csn);
		csn = NULL;
		if ((rc = gal_touch_marker(g, dn, &csn, err)) == 0 &&
		    strcasecmp(dn + sizeof(MARKER_RDN), conf->suffix) != 0) {
			/* the identity has no entry of its own */
			free(dn);
			dn = marker_dn(conf, 0);
			rc = gal_touch_marker(g, dn, &csn, err);
		}
		if (rc == 0)
			rc = gw_err_set(err, GW_EXIT_RUNTIME, "journal marker "
			    "%s: its parent entry does not exist", dn);
		if (rc == -1)
			goto fail;
		gw_record_release(id);
		if ((rc = read_identity(g, conf->suffix, id, &exists, err)) ==
		    -1)
			goto fail;
		if (!exists) {
			rc = gw_err_set(err, GW_EXIT_RUNTIME, "%s: the suffix "
			    "entry went away during the journal poll",
			    conf->suffix);
			goto fail;
		}
		v = ctx_of_sid(gw_record_attr(id, "contextCSN"), csn);
		if (v != NULL && csn_covered(v, csn))
			break;
		if (now_seconds() > deadline) {
			evlog_emit(ev, EV_JOURNAL_BEHIND, GW_SEV_ERROR, NULL,
			    conf->suffix, "contextCSN %.*s stays behind the "
			    "journal marker %s (entryCSN %s) after %d s: a "
			    "write is still pending on the server, and changes "
			    "committed before this poll may be missing from "
			    "the journal; the next poll tries again",
			    v != NULL ? (int)v->len : 4,
			    v != NULL ? v->ptr : "none", dn, csn,
			    CATCH_UP_SECONDS);
			rc = gw_err_set(err, GW_EXIT_RUNTIME, "journal poll: "
			    "contextCSN stays behind the journal marker %s "
			    "after %d s (event %d)", dn, CATCH_UP_SECONDS,
			    EV_JOURNAL_BEHIND);
			goto fail;
		}
		nanosleep(&pause, NULL);
		/* 1 ms, 2, 4, ... then 100 ms at most */
		pause.tv_nsec = pause.tv_nsec >= 50000000 ? 100000000 :
		    pause.tv_nsec * 2;
	}
	rc = 0;
fail:
	free(csn);
	free(dn);
	return rc;
}

static int
poll_once(const struct gw_conf *conf, struct gal *g, struct gw_state *st,
    struct gw_evlog *ev, struct journal_stats *stats, int force_full,
    int *again, struct gw_err *err)
{
	static const struct gal_sync_ops ops = { sync_entry, sync_idset };
	struct poll pl;
	struct gw_record id;
	struct gw_value cookie = { NULL, 0 }, newcookie = { NULL, 0 }, v;
	struct gw_buf csn;
	const char *galid;
	struct gw_attr *ctx;
	int exists, rc = 0, deletes = 1, have_cookie;
	size_t i;

	*again = 0;
	memset(&pl, 0, sizeof(pl));
	memset(stats, 0, sizeof(*stats));
	gw_buf_init(&csn, 0);
	gw_record_init(&id);
	pl.stats = stats;
	pl.err = err;
	pl.st = st;
	pl.now = time(NULL);
	/* the write transaction serializes concurrent polls */
	if (state_begin(st, 1, &pl.txn, err) == -1)
		return -1;
	if (state_get_u64(pl.txn, GW_DB_META, M_HEAD, &pl.head, err) == -1)
		goto fail;
	if (read_identity(g, conf->suffix, &id, &exists, err) == -1)
		goto fail;
	galid = exists ? gw_record_get(&id, "entryUUID") : NULL;
	ctx = exists ? gw_record_attr(&id, "contextCSN") : NULL;
	have_cookie = 0;
	if (!force_full && (rc = state_get(pl.txn, GW_DB_META, M_COOKIE,
	    strlen(M_COOKIE), &v, err)) == 1 && v.len > 0) {
		cookie.ptr = gw_strndup(v.ptr, v.len);
		cookie.len = v.len;
		have_cookie = 1;
	} else if (rc == -1)
		goto fail;
	if (have_cookie) {
		if ((rc = state_get(pl.txn, GW_DB_META, M_GALID,
		    strlen(M_GALID), &v, err)) == -1)
			goto fail;
		if (galid == NULL || rc == 0 || v.len != strlen(galid) ||
		    memcmp(v.ptr, galid, v.len) != 0) {
			evlog_emit(ev, EV_JOURNAL_RESYNC, GW_SEV_WARNING, NULL,
			    conf->suffix, "the GAL was replaced (suffix "
			    "entryUUID changed): full resynchronization");
			have_cookie = 0;
		} else if ((rc = state_get(pl.txn, GW_DB_META, M_CSN,
		    strlen(M_CSN), &v, err)) == -1) {
			goto fail;
		} else if (rc == 1 && csn_regressed(&v, ctx)) {
			evlog_emit(ev, EV_JOURNAL_RESYNC, GW_SEV_WARNING, NULL,
			    conf->suffix, "the GAL went back in time (restored "
			    "from a backup?): full resynchronization");
			have_cookie = 0;
		}
	}
	/* the GAL's identity was checked first: a marker written before
	 * would hide a restored GAL's older contextCSN */
	if (exists) {
		if (catch_up(conf, g, ev, &id, err) == -1)
			goto fail;
		galid = gw_record_get(&id, "entryUUID");
		ctx = gw_record_attr(&id, "contextCSN");
	}
	stats->full = !have_cookie;
	if (!exists) {
		/* no suffix entry: the GAL is empty, everything is gone */
		deletes = 0;
	} else {
		rc = gal_sync_refresh(g, conf->suffix, have_cookie ? &cookie :
		    NULL, &ops, &pl, &newcookie, &deletes, err);
		if (rc == -1)
			goto fail;
		if (rc == GAL_SYNC_REFRESH_REQUIRED) {
			evlog_emit(ev, EV_JOURNAL_REFRESH, GW_SEV_INFO, NULL,
			    conf->suffix, "the server asked for a full refresh");
			*again = 1;
			goto fail;
		}
	}
	/* without a cookie every entry was reported: the rest are gone */
	if (!deletes || !have_cookie) {
		stats->present = 1;
		if (sweep_unseen(&pl) == -1)
			goto fail;
		if (have_cookie)
			evlog_emit(ev, EV_JOURNAL_PRESENT, GW_SEV_INFO, NULL,
			    conf->suffix, "the server's session log did not "
			    "cover the gap: present phase, %zu entries present",
			    pl.seen.n);
	}
	if (newcookie.len > 0 || !exists) {
		if (state_put(pl.txn, GW_DB_META, M_COOKIE, strlen(M_COOKIE),
		    newcookie.ptr != NULL ? newcookie.ptr : "", newcookie.len,
		    err) == -1)
			goto fail;
	}
	if (state_put(pl.txn, GW_DB_META, M_GALID, strlen(M_GALID),
	    galid != NULL ? galid : "", galid != NULL ? strlen(galid) : 0,
	    err) == -1)
		goto fail;
	for (i = 0; ctx != NULL && i < ctx->n; i++) {
		(void)gw_buf_add(&csn, ctx->val[i].ptr, ctx->val[i].len);
		(void)gw_buf_addch(&csn, '\n');
	}
	if (state_put(pl.txn, GW_DB_META, M_CSN, strlen(M_CSN),
	    csn.buf != NULL ? csn.buf : "", csn.len, err) == -1)
		goto fail;
	if (state_put_u64(pl.txn, GW_DB_META, M_HEAD, pl.head, err) == -1)
		goto fail;
	if (purge_old(&pl, conf, ev) == -1)
		goto fail;
	stats->head = pl.head;
	rc = state_commit(pl.txn, err);
	pl.txn = NULL;
	if (rc == -1)
		goto fail;
	free(cookie.ptr);
	free(newcookie.ptr);
	gw_buf_release(&csn);
	gw_record_release(&id);
	uuid_set_free(&pl.seen);
	return 0;
fail:
	state_abort(pl.txn);
	free(cookie.ptr);
	free(newcookie.ptr);
	gw_buf_release(&csn);
	gw_record_release(&id);
	uuid_set_free(&pl.seen);
	return -1;
}

int
journal_poll(const struct gw_conf *conf, struct gal *g, struct gw_state *st,
    struct gw_evlog *ev, struct journal_stats *stats, struct gw_err *err)
{
	int again;

	if (poll_once(conf, g, st, ev, stats, 0, &again, err) == 0)
		return 0;
	if (!again)
		return -1;
	return poll_once(conf, g, st, ev, stats, 1, &again, err);
}

struct iter_ctx {
	journal_cb	 cb;
	void		*arg;
};

static int
iter_cb(void *arg, const struct gw_value *k, const struct gw_value *v)
{
	struct iter_ctx *c = arg;
	struct journal_rec r;
	const unsigned char *p = (const unsigned char *)v->ptr;

	if (k->len != 8 || v->len < JREC_HDR)
		return 0;
	r.usn = gw_be64_get((const unsigned char *)k->ptr);
	r.op = (enum gw_op)p[0];
	r.time = (time_t)gw_be64_get(p + 1);
	memcpy(r.uuid, p + 9, 16);
	memcpy(r.hash, p + 25, GW_HASH_LEN);
	r.dn = v->ptr + JREC_HDR;
	r.dnlen = v->len - JREC_HDR;
	return c->cb(c->arg, &r);
}

int
journal_iter(struct gw_txn *txn, uint64_t since, journal_cb cb, void *arg,
    struct gw_err *err)
{
	struct iter_ctx c = { cb, arg };
	unsigned char from[8];

	gw_be64_put(from, since + 1);
	return state_iter(txn, GW_DB_JOURNAL, from, 8, iter_cb, &c, err);
}

int
journal_head(struct gw_txn *txn, uint64_t *head, uint64_t *floor,
    struct gw_err *err)
{
	if (state_get_u64(txn, GW_DB_META, M_HEAD, head, err) == -1 ||
	    state_get_u64(txn, GW_DB_META, M_FLOOR, floor, err) == -1)
		return -1;
	return 0;
}
