/* wcache.c: the write-back cache of a bulk transaction (QS_TXN_BULK).
 *
 * While a bulk transaction gathers (eng_gather_on), puts and deletes of the
 * databases it caches land in a hash table keyed by (database, key) instead of
 * LMDB, so that a record a thousand answers change is written once. A flush writes
 * the table out in key order, appending where a database's keys run past its last
 * one, after the work the index layer deferred (eng_defer) has run.
 *
 * What stays exact: a point read looks in the table first, and its misses are
 * LMDB's. Every other access to a database with something pending (a cursor, a
 * point read of a database the table does not hold, a write while not gathering)
 * flushes first (eng_barrier). So every read sees what the row-by-row path would.
 *
 * Entry layout in the arena: key bytes, then the value (absent for a delete). The
 * arena is a list of blocks that never move, so that growing it copies nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "engine_int.h"

#define CACHE_FLUSH_BYTES (512u << 20)   /* arena size that forces a flush */
#define ARENA_BLOCK (32u << 20)            /* bytes of one arena block */
#define ARENA_BLOCKS (CACHE_FLUSH_BYTES / ARENA_BLOCK + 2)

typedef struct wentry {
    uint64_t off;       /* key, then value, in the arena: block << 32 | offset */
    uint32_t dbi;
    uint32_t vlen, vcap;
    uint8_t klen;
    uint8_t deleted;
    uint8_t fresh;      /* its key must not be in LMDB (a row's, under a new id) */
} wentry;

struct eng_wcache {
    int on;                     /* writes gather (the current call is a bulk call) */
    int flushing;
    uint8_t cacheable[ENG_MAX_DBI / 8 + 1];
    uint8_t dirty[ENG_MAX_DBI / 8 + 1];   /* something pending: entries or deferred work */
    wentry *e;
    size_t n, cap;
    uint64_t *slot;             /* open addressing: hash tag << 32 | entry index + 1;
                                   0 empty. The tag spares a look at other entries. */
    size_t nslots;
    uint8_t *block[ARENA_BLOCKS];   /* kept from one flush to the next */
    unsigned cur;                   /* the block being filled */
    size_t cur_used;                /* its bytes taken */
    size_t used;                    /* bytes taken in all blocks */
    /* the index layer's deferred work (one kind: index/defer.c) */
    eng_deferred_fn defer_fn;
    void (*defer_free)(void *);
    void *defer_ctx;
    int touched;                /* deferred work is pending */
};

static int bit(const uint8_t *set, MDB_dbi dbi)
{
    return dbi < ENG_MAX_DBI && (set[dbi / 8] >> (dbi % 8) & 1);
}

static void set_bit(uint8_t *set, MDB_dbi dbi)
{
    if (dbi < ENG_MAX_DBI)
        set[dbi / 8] |= (uint8_t)(1u << (dbi % 8));
}

/* ------------------------------------------------------------------ lifetime */

int eng_wcache_open(qs_txn *txn)
{
    static const eng_db cached[] = {ENG_XID, ENG_QSTAT, ENG_USUM, ENG_UDAILY, ENG_IDAILY,
                                    ENG_PROGRESS, ENG_UQ, ENG_TEST, ENG_TEST_BY_USER};
    eng_wcache *c = calloc(1, sizeof *c);
    if (!c)
        return eng_fail(ENOMEM, "out of memory");
    for (size_t i = 0; i < sizeof cached / sizeof cached[0]; i++)
        set_bit(c->cacheable, eng_dbi(txn, cached[i]));
    txn->wcache = c;
    return 0;
}

static void clear(eng_wcache *c)
{
    c->n = c->used = c->cur_used = 0;
    c->cur = 0;
    if (c->slot)
        memset(c->slot, 0, c->nslots * sizeof *c->slot);
    memset(c->dirty, 0, sizeof c->dirty);
    c->touched = 0;
}

void eng_wcache_free(qs_txn *txn)
{
    eng_wcache *c = txn->wcache;
    if (!c)
        return;
    if (c->defer_free)
        c->defer_free(c->defer_ctx);
    free(c->e);
    free(c->slot);
    for (unsigned i = 0; i < ARENA_BLOCKS; i++)
        free(c->block[i]);
    free(c);
    txn->wcache = NULL;
}

void eng_gather_on(qs_txn *txn, int on)
{
    if (txn->wcache)
        txn->wcache->on = on;
}

int eng_gathering(qs_txn *txn)
{
    return txn->wcache && txn->wcache->on && !txn->wcache->flushing;
}

void eng_wcache_admit(qs_txn *txn, MDB_dbi dbi)
{
    if (txn->wcache)
        set_bit(txn->wcache->cacheable, dbi);
}

/* ------------------------------------------------------------------ table */

static uint64_t hash_of(MDB_dbi dbi, const MDB_val *k)
{
    return XXH3_64bits_withSeed(k->mv_data, k->mv_size, dbi);
}

static uint8_t *arena_at(const eng_wcache *c, uint64_t off)
{
    return c->block[off >> 32] + (uint32_t)off;
}

static uint8_t *key_at(const eng_wcache *c, const wentry *e) { return arena_at(c, e->off); }

/* The slot holding (dbi, k), or the empty slot where it would go, whose tag is
 * *tag. */
static uint64_t *find_slot(eng_wcache *c, MDB_dbi dbi, const MDB_val *k, uint64_t *tag)
{
    uint64_t h = hash_of(dbi, k);
    size_t mask = c->nslots - 1, i = h & mask;
    *tag = h >> 32 << 32;
    for (;; i = (i + 1) & mask) {
        uint64_t s = c->slot[i];
        if (!s)
            return &c->slot[i];
        if ((s >> 32 << 32) != *tag)
            continue;
        const wentry *e = &c->e[(uint32_t)s - 1];
        if (e->dbi == dbi && e->klen == k->mv_size &&
            memcmp(key_at(c, e), k->mv_data, k->mv_size) == 0)
            return &c->slot[i];
    }
}

static int grow_slots(eng_wcache *c)
{
    size_t n = c->nslots ? c->nslots * 2 : 1024;
    uint64_t *s = calloc(n, sizeof *s);
    if (!s)
        return eng_fail(ENOMEM, "out of memory");
    free(c->slot);
    c->slot = s;
    c->nslots = n;
    for (size_t i = 0; i < c->n; i++) {
        MDB_val k = {c->e[i].klen, key_at(c, &c->e[i])};
        uint64_t tag;
        uint64_t *at = find_slot(c, c->e[i].dbi, &k, &tag);
        *at = tag | (uint32_t)(i + 1);
    }
    return 0;
}

/* @p n bytes of the arena (an entry's key and value: far less than a block). The
 * cache is flushed long before its blocks run out. */
static int arena_take(eng_wcache *c, size_t n, uint64_t *off)
{
    if (c->cur_used + n > ARENA_BLOCK) {
        if (c->cur + 1 == ARENA_BLOCKS || n > ARENA_BLOCK)
            return eng_fail(QS_TOO_LARGE, "bulk write cache is full");
        c->cur++;
        c->cur_used = 0;
    }
    if (!c->block[c->cur] && !(c->block[c->cur] = malloc(ARENA_BLOCK)))
        return eng_fail(ENOMEM, "out of memory");
    *off = (uint64_t)c->cur << 32 | c->cur_used;
    c->cur_used += n;
    c->used += n;
    return 0;
}

/* The entry of (dbi, k), created (as a delete, with room for a value of @p vlen
 * bytes) when absent. */
static int entry_of(eng_wcache *c, MDB_dbi dbi, const MDB_val *k, size_t vlen, wentry **out)
{
    if ((c->n + 1) * 2 > c->nslots) {
        int rc = grow_slots(c);
        if (rc)
            return rc;
    }
    uint64_t tag;
    uint64_t *s = find_slot(c, dbi, k, &tag);
    if (*s) {
        *out = &c->e[(uint32_t)*s - 1];
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        wentry *e = realloc(c->e, cap * sizeof *e);
        if (!e)
            return eng_fail(ENOMEM, "out of memory");
        c->e = e;
        c->cap = cap;
    }
    wentry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    int rc = arena_take(c, k->mv_size + vlen, &e->off);
    if (rc)
        return rc;
    e->vcap = (uint32_t)vlen;
    memcpy(key_at(c, e), k->mv_data, k->mv_size);
    e->dbi = dbi;
    e->klen = (uint8_t)k->mv_size;
    e->deleted = 1;
    *s = tag | (uint32_t)++c->n;
    set_bit(c->dirty, dbi);
    *out = e;
    return 0;
}

int eng_wcache_holds(qs_txn *txn, MDB_dbi dbi)
{
    return txn->wcache && bit(txn->wcache->cacheable, dbi);
}

int eng_wcache_get(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, MDB_val *v)
{
    eng_wcache *c = txn->wcache;
    if (!c || !c->n || !bit(c->dirty, dbi))
        return ENG_WCACHE_MISS;
    uint64_t tag, s = *find_slot(c, dbi, k, &tag);
    if (!s)
        return ENG_WCACHE_MISS;
    const wentry *e = &c->e[(uint32_t)s - 1];
    if (e->deleted)
        return QS_NOTFOUND;
    *v = (MDB_val){e->vlen, key_at(c, e) + e->klen};
    return 0;
}

int eng_wcache_put(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, size_t vlen, int fresh,
                   uint8_t **data)
{
    eng_wcache *c = txn->wcache;
    if (k->mv_size > ENG_KEY_MAX)
        return eng_fail(QS_TOO_LARGE, "key of %zu bytes", k->mv_size);
    wentry *e;
    int rc = entry_of(c, dbi, k, vlen, &e);
    if (rc)
        return rc;
    if (fresh && !e->deleted)
        return QS_EXISTS;
    e->fresh = (uint8_t)fresh;
    if (vlen > e->vcap) {
        /* a new home at the arena's end, with room to grow (a test's list does) */
        uint64_t off;
        size_t klen = e->klen, cap = vlen + vlen / 2;
        if ((rc = arena_take(c, klen + cap, &off)) != 0)
            return rc;
        memcpy(arena_at(c, off), key_at(c, e), klen);
        e->off = off;
        e->vcap = (uint32_t)cap;
    }
    e->vlen = (uint32_t)vlen;
    e->deleted = 0;
    *data = key_at(c, e) + e->klen;
    return c->used > CACHE_FLUSH_BYTES ? ENG_WCACHE_FULL : 0;
}

int eng_wcache_del(qs_txn *txn, MDB_dbi dbi, const MDB_val *k)
{
    wentry *e;
    int rc = entry_of(txn->wcache, dbi, k, 0, &e);
    if (!rc)
        e->deleted = 1;
    return rc;
}

/* ------------------------------------------------------------------ deferred work */

void *eng_deferred(qs_txn *txn, eng_deferred_fn fn)
{
    eng_wcache *c = txn->wcache;
    return c && c->defer_fn == fn ? c->defer_ctx : NULL;
}

int eng_defer(qs_txn *txn, eng_deferred_fn fn, void (*free_ctx)(void *), void *ctx)
{
    eng_wcache *c = txn->wcache;
    if (c->defer_fn)
        return eng_fail(QS_INVALID, "deferred work is registered already");
    c->defer_fn = fn;
    c->defer_free = free_ctx;
    c->defer_ctx = ctx;
    return 0;
}

void eng_defer_touch(qs_txn *txn, eng_db db)
{
    set_bit(txn->wcache->dirty, eng_dbi(txn, db));
    txn->wcache->touched = 1;
}

/* ------------------------------------------------------------------ flush */

/* Order of entries @p pa and @p pb of cache @p ctx: by database, then as LMDB orders
 * keys (bytes, then length). */
static int entry_cmp(const void *pa, const void *pb, void *ctx)
{
    const eng_wcache *c = ctx;
    const wentry *a = &c->e[*(const uint32_t *)pa];
    const wentry *b = &c->e[*(const uint32_t *)pb];
    if (a->dbi != b->dbi)
        return a->dbi < b->dbi ? -1 : 1;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int d = memcmp(key_at(c, a), key_at(c, b), n);
    return d ? d : (int)a->klen - (int)b->klen;
}

/* Entries of one database, sorted, from @p order[*i]: appended past its last key,
 * put in place before it. */
static int write_db(qs_txn *txn, const eng_wcache *c, const uint32_t *order, size_t n,
                    size_t *i)
{
    MDB_dbi dbi = c->e[order[*i]].dbi;
    MDB_cursor *cur;
    MDB_val last, lv;
    int rc = mdb_cursor_open(eng_mdb(txn), dbi, &cur);
    if (rc)
        return eng_mdb_rc(rc, "open cursor", "bulk write");
    int rc_last = mdb_cursor_get(cur, &last, &lv, MDB_LAST);
    uint8_t last_key[ENG_KEY_MAX];
    size_t last_n = rc_last == 0 && last.mv_size <= ENG_KEY_MAX ? last.mv_size : 0;
    if (last_n)
        memcpy(last_key, last.mv_data, last_n);
    for (rc = 0; *i < n && c->e[order[*i]].dbi == dbi && !rc; (*i)++) {
        const wentry *e = &c->e[order[*i]];
        MDB_val k = {e->klen, key_at(c, e)}, v = {e->vlen, key_at(c, e) + e->klen};
        if (e->deleted) {
            rc = mdb_del(eng_mdb(txn), dbi, &k, NULL);
            if (rc == 0)
                eng_log_del(txn, dbi, &k, NULL);
            rc = rc == MDB_NOTFOUND ? 0 : rc;
            continue;
        }
        size_t m = e->klen < last_n ? e->klen : last_n;
        int past = rc_last != 0 ||
                   (last_n && (memcmp(k.mv_data, last_key, m) > 0 ||
                               (memcmp(k.mv_data, last_key, m) == 0 && e->klen > last_n)));
        unsigned flags = (past ? MDB_APPEND : 0) | (e->fresh ? MDB_NOOVERWRITE : 0);
        rc = mdb_cursor_put(cur, &k, &v, flags);
        if (rc == 0)
            eng_log_put(txn, dbi, &k, &v);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_KEYEXIST)
        return eng_fail(QS_CORRUPT, "bulk write: the key of a new row is in the store already "
                        "(its id counter is behind the stored rows)");
    return rc ? eng_mdb_rc(rc, "write", "bulk write") : 0;
}

static int write_entries(qs_txn *txn, eng_wcache *c)
{
    uint32_t *order = malloc((c->n ? c->n : 1) * sizeof *order);
    if (!order)
        return eng_fail(ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, c->n, sizeof *order, entry_cmp, c);
    int rc = 0;
    for (size_t i = 0; i < c->n && !rc;)
        rc = write_db(txn, c, order, c->n, &i);
    free(order);
    return rc;
}

int eng_wcache_flush(qs_txn *txn)
{
    eng_wcache *c = txn->wcache;
    if (!c || c->flushing || (!c->n && !c->touched))
        return 0;
    int rc = 0;
    c->flushing = 1;
    if (c->defer_fn)
        rc = c->defer_fn(txn, c->defer_ctx);
    if (!rc)
        rc = write_entries(txn, c);
    clear(c);
    c->flushing = 0;
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int eng_barrier(qs_txn *txn, MDB_dbi dbi)
{
    eng_wcache *c = txn->wcache;
    if (!c || c->flushing || !bit(c->dirty, dbi))
        return 0;
    return eng_wcache_flush(txn);
}
