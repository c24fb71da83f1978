/* pool.c: precomputed shuffled question pools.
 *
 * For every filter a test can ask for, the active questions it admits, kept as a
 * uniformly shuffled array, so that a test is drawn without sorting anything:
 *
 *   pool          members
 *   ALL d         active questions of difficulty d
 *   SYSTEM s,d    ... of system s and difficulty d
 *   TOPIC s,t,d   ... of system s, topic t and difficulty d
 *   SUBJECT j,d   ... of subject j and difficulty d
 *   BAND s,b      ... of system s whose success rate is in band b (rate / 1000,
 *                 9 for 90 % and up; questions without attempts are in no band)
 *
 * Storage, both derived from the question records and their stats:
 *   pool      (kind u8, a u32, b u32, c u32, position u32) -> question u32
 *   pool_pos  (kind u8, a u32, b u32, c u32, question u32) -> position u32
 * Positions of a pool are dense, 0 .. size-1. An insertion puts the new question
 * at the end and swaps it with a uniformly chosen position (one step of an inside-
 * out shuffle); a removal moves the last member into the freed position. Both keep
 * the array a uniform random permutation of the pool's members.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "pool.h"

#define POOL_KEY 13   /* kind | a | b | c */

static void pool_prefix(eng_key *k, const idx_pool *p)
{
    ek_reset(k);
    ek_u8(k, p->kind);
    ek_u32(k, p->a);
    ek_u32(k, p->b);
    ek_u32(k, p->c);
}

static void pos_key(eng_key *k, const idx_pool *p, uint32_t pos)
{
    pool_prefix(k, p);
    ek_u32(k, pos);
}

uint32_t idx_band_of(uint32_t attempts, uint32_t correct)
{
    uint32_t rate = (uint32_t)(10000ULL * correct / attempts);
    return rate >= 9000 ? 9 : rate / 1000;
}

size_t idx_pools_of(const idx_question *q, idx_pool *out)
{
    const qs_question *h = &q->head;
    size_t n = 0;
    if (!h->active)
        return 0;
    out[n++] = (idx_pool){QS_POOL_ALL, h->difficulty, 0, 0};
    if (h->subject)
        out[n++] = (idx_pool){QS_POOL_SUBJECT, h->subject, h->difficulty, 0};
    if (h->system) {
        out[n++] = (idx_pool){QS_POOL_SYSTEM, h->system, h->difficulty, 0};
        if (h->topic)
            out[n++] = (idx_pool){QS_POOL_TOPIC, h->system, h->topic, h->difficulty};
        if (q->has_band)
            out[n++] = (idx_pool){QS_POOL_BAND, h->system, q->band, 0};
    }
    return n;
}

static int same_pool(const idx_pool *a, const idx_pool *b)
{
    return a->kind == b->kind && a->a == b->a && a->b == b->b && a->c == b->c;
}

/* ------------------------------------------------------------------ one pool */

int idx_pool_size(qs_txn *txn, const idx_pool *p, uint32_t *size)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_key k;
    *size = 0;
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_POOL), "pool", &cur);
    if (rc)
        return rc;
    pos_key(&k, p, UINT32_MAX);   /* just past the last position */
    mk = (MDB_val){k.n, k.b};
    rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
    rc = mdb_cursor_get(cur, &mk, &mv, rc == 0 ? MDB_PREV : MDB_LAST);
    if (rc == 0 && mk.mv_size == POOL_KEY + 4 && memcmp(mk.mv_data, k.b, POOL_KEY) == 0)
        *size = eng_get32((const uint8_t *)mk.mv_data + POOL_KEY) + 1;
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, "pool");
}

int idx_pool_at(qs_txn *txn, const idx_pool *p, uint32_t pos, uint32_t *question)
{
    eng_key k;
    MDB_val mk, mv;
    pos_key(&k, p, pos);
    mk = (MDB_val){k.n, k.b};
    int rc = eng_mdb_get(txn, eng_dbi(txn, ENG_POOL), "pool", &mk, &mv);
    if (rc == QS_NOTFOUND)
        return eng_fail(QS_CORRUPT, "pool %u/%u/%u/%u has no position %u", p->kind, p->a, p->b,
                        p->c, pos);
    if (rc)
        return rc;
    if (mv.mv_size != 4)
        return eng_corrupt(ENG_POOL, &k, "entry is not a question id");
    *question = eng_get32(mv.mv_data);
    return 0;
}

static int put_u32(qs_txn *txn, eng_db db, const eng_key *k, uint32_t v)
{
    uint8_t b[4];
    eng_put32(b, v);
    MDB_val mk = {k->n, (void *)k->b}, mv = {4, b};
    int rc = eng_mdb_put(txn, eng_dbi(txn, db), &mk, &mv, 0);
    return rc ? eng_txn_failed(txn, eng_mdb_rc(rc, "write", eng_db_name(db))) : 0;
}

/* Put @p question at @p pos, both directions. */
static int place(qs_txn *txn, const idx_pool *p, uint32_t pos, uint32_t question)
{
    eng_key k;
    pos_key(&k, p, pos);
    int rc = put_u32(txn, ENG_POOL, &k, question);
    if (rc)
        return rc;
    pos_key(&k, p, question);   /* same layout: prefix | question */
    return put_u32(txn, ENG_POOL_POS, &k, pos);
}

static int position_of(qs_txn *txn, const idx_pool *p, uint32_t question, uint32_t *pos)
{
    eng_key k;
    MDB_val mk, mv;
    pos_key(&k, p, question);
    mk = (MDB_val){k.n, k.b};
    int rc = eng_mdb_get(txn, eng_dbi(txn, ENG_POOL_POS), "pool_pos", &mk, &mv);
    if (rc)
        return rc;
    if (mv.mv_size != 4)
        return eng_corrupt(ENG_POOL_POS, &k, "entry is not a position");
    *pos = eng_get32(mv.mv_data);
    return 0;
}

/* A position for an insertion, uniform in 0 .. size: a function of the store's
 * secret, the pool, the question and the size, so a store replays the same. */
static uint32_t insert_position(qs_txn *txn, const idx_pool *p, uint32_t question, uint32_t size)
{
    uint32_t in[5] = {p->a, p->b, p->c, question, size};
    uint64_t h = XXH3_64bits_withSeed(in, sizeof in, eng_secret(txn) ^ p->kind);
    return (uint32_t)(h % ((uint64_t)size + 1));
}

int idx_pool_insert(qs_txn *txn, const idx_pool *p, uint32_t question)
{
    uint32_t size, j, moved;
    int rc = idx_pool_size(txn, p, &size);
    if (rc)
        return rc;
    j = insert_position(txn, p, question, size);
    if (j == size)
        return place(txn, p, size, question);
    if ((rc = idx_pool_at(txn, p, j, &moved)) != 0 || (rc = place(txn, p, size, moved)) != 0)
        return rc;
    return place(txn, p, j, question);
}

int idx_pool_remove(qs_txn *txn, const idx_pool *p, uint32_t question)
{
    uint32_t size, j, last;
    eng_key k;
    int rc = position_of(txn, p, question, &j);
    if (rc == QS_NOTFOUND)
        return eng_fail(QS_CORRUPT, "question %u is missing from pool %u/%u/%u/%u", question,
                        p->kind, p->a, p->b, p->c);
    if (rc || (rc = idx_pool_size(txn, p, &size)) != 0)
        return rc;
    if (size == 0 || j >= size)
        return eng_fail(QS_CORRUPT, "pool %u/%u/%u/%u position %u out of range", p->kind, p->a,
                        p->b, p->c, j);
    if (j != size - 1) {
        if ((rc = idx_pool_at(txn, p, size - 1, &last)) != 0 || (rc = place(txn, p, j, last)))
            return rc;
    }
    pos_key(&k, p, size - 1);
    if ((rc = eng_del(txn, eng_dbi(txn, ENG_POOL), "pool", &k, NULL)) != 0)
        return rc;
    pos_key(&k, p, question);
    return eng_del(txn, eng_dbi(txn, ENG_POOL_POS), "pool_pos", &k, NULL);
}

int idx_pools_update(qs_txn *txn, const idx_question *old, const idx_question *q)
{
    idx_pool before[IDX_MAX_POOLS], after[IDX_MAX_POOLS];
    size_t nb = old ? idx_pools_of(old, before) : 0, na = q ? idx_pools_of(q, after) : 0;
    uint32_t id = q ? q->head.id : old->head.id;
    int rc = 0;
    for (size_t i = 0; i < nb && !rc; i++) {
        size_t j = 0;
        while (j < na && !same_pool(&before[i], &after[j]))
            j++;
        if (j == na)
            rc = idx_pool_remove(txn, &before[i], id);
    }
    for (size_t j = 0; j < na && !rc; j++) {
        size_t i = 0;
        while (i < nb && !same_pool(&before[i], &after[j]))
            i++;
        if (i == nb)
            rc = idx_pool_insert(txn, &after[j], id);
    }
    return rc;
}

/* ------------------------------------------------------------------ listing */

int idx_pools_list(qs_txn *txn, qs_pool_info *rows, size_t cap, size_t *n)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    size_t total = 0;
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_POOL), "pool", &cur);
    if (rc)
        return rc;
    uint8_t last[POOL_KEY];
    /* the last position of each pool: jump from pool to pool; each jump must move
     * forward, which keys out of order (a damaged page) would not */
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;) {
        if (mk.mv_size != POOL_KEY + 4) {
            rc = eng_fail(QS_CORRUPT, "pool key of %zu bytes", mk.mv_size);
            break;
        }
        const uint8_t *kb = mk.mv_data;
        if (total && memcmp(kb, last, POOL_KEY) <= 0) {
            rc = eng_fail(QS_CORRUPT, "keys of database 'pool' out of order");
            break;
        }
        memcpy(last, kb, POOL_KEY);
        idx_pool p = {kb[0], eng_get32(kb + 1), eng_get32(kb + 5), eng_get32(kb + 9)};
        eng_key k;
        pos_key(&k, &p, UINT32_MAX);
        mk = (MDB_val){k.n, k.b};
        rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
        int more = rc == 0;
        rc = mdb_cursor_get(cur, &mk, &mv, more ? MDB_PREV : MDB_LAST);
        if (rc)
            break;
        if (total < cap)
            rows[total] = (qs_pool_info){p.kind, p.a, p.b, p.c,
                                         eng_get32((const uint8_t *)mk.mv_data + POOL_KEY) + 1};
        total++;
        rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    *n = total;
    return eng_walk_rc(rc, "pool");
}

/* ------------------------------------------------------------------ reshuffle */

/* Fisher-Yates over one pool's positions, in place. */
static int reshuffle_one(qs_txn *txn, const idx_pool *p, uint32_t size, uint64_t seed)
{
    uint32_t in[4] = {p->kind, p->a, p->b, p->c};
    uint64_t state = XXH3_64bits_withSeed(in, sizeof in, seed);
    for (uint32_t i = size; i > 1; i--) {
        uint32_t j = (uint32_t)(eng_splitmix64(&state) % i), a, b;
        int rc;
        if (j == i - 1)
            continue;
        if ((rc = idx_pool_at(txn, p, i - 1, &a)) || (rc = idx_pool_at(txn, p, j, &b)) ||
            (rc = place(txn, p, i - 1, b)) || (rc = place(txn, p, j, a)))
            return rc;
    }
    return 0;
}

int idx_pools_reshuffle(qs_txn *txn, uint64_t seed)
{
    size_t n;
    int rc = idx_pools_list(txn, NULL, 0, &n);
    qs_pool_info *pools = rc ? NULL : eng_scratch(txn, ENG_SCRATCH_RECORD, (n + 1) * sizeof *pools);
    if (!rc && !pools)
        return ENOMEM;
    if (!rc)
        rc = idx_pools_list(txn, pools, n, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        idx_pool p = {pools[i].kind, pools[i].a, pools[i].b, pools[i].c};
        rc = reshuffle_one(txn, &p, pools[i].size, seed);
    }
    return rc ? eng_txn_failed(txn, rc) : 0;
}

/* ------------------------------------------------------------------ verify */

static void pool_finding(qs_index_report *r, const idx_pool *p, uint32_t question,
                         const char *what)
{
    if (!r->first_finding[0])
        snprintf(r->first_finding, sizeof r->first_finding, "pool %u/%u/%u/%u: question %u %s",
                 p->kind, p->a, p->b, p->c, question, what);
}

/* Every pool_pos entry names a position whose pool entry names it back. */
static int check_positions(qs_txn *txn, qs_index_report *r)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_POOL_POS), "pool_pos", &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        idx_pool p = {0, 0, 0, 0};
        uint32_t q = 0, at;
        int ok = mk.mv_size == POOL_KEY + 4 && mv.mv_size == 4;
        if (ok) {
            const uint8_t *kb = mk.mv_data;
            p = (idx_pool){kb[0], eng_get32(kb + 1), eng_get32(kb + 5), eng_get32(kb + 9)};
            q = eng_get32(kb + POOL_KEY);
            eng_key k;
            MDB_val pk, pv;
            pos_key(&k, &p, eng_get32(mv.mv_data));
            pk = (MDB_val){k.n, k.b};
            int grc = mdb_get(eng_mdb(txn), eng_dbi(txn, ENG_POOL), &pk, &pv);
            if (grc && grc != MDB_NOTFOUND) {
                rc = eng_mdb_rc(grc, "read", "pool");
                break;
            }
            at = grc == 0 && pv.mv_size == 4 ? eng_get32(pv.mv_data) : 0;
            ok = grc == 0 && pv.mv_size == 4 && at == q;
        }
        if (!ok) {
            r->extra++;
            pool_finding(r, &p, q, "has a position its pool does not hold");
        }
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, "pool_pos");
}

/* Every entry of the pool database sits at the next position of its pool, points
 * back through pool_pos, and belongs to a question that belongs to the pool. */
int idx_pools_check_entries(qs_txn *txn, qs_index_report *r)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    idx_pool prev = {0, 0, 0, 0};
    uint32_t expect = 0;
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_POOL), "pool", &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        if (mk.mv_size != POOL_KEY + 4 || mv.mv_size != 4) {
            r->extra++;
            continue;
        }
        const uint8_t *kb = mk.mv_data;
        idx_pool p = {kb[0], eng_get32(kb + 1), eng_get32(kb + 5), eng_get32(kb + 9)};
        uint32_t pos = eng_get32(kb + POOL_KEY), q = eng_get32(mv.mv_data), back;
        if (!same_pool(&p, &prev))
            expect = 0;
        prev = p;
        idx_question iq;
        idx_pool member[IDX_MAX_POOLS];
        size_t nm = 0, i = 0;
        int lrc = idx_question_load(txn, q, &iq);
        if (lrc && lrc != QS_NOTFOUND) {
            rc = lrc;
            break;
        }
        if (!lrc)
            nm = idx_pools_of(&iq, member);
        while (i < nm && !same_pool(&member[i], &p))
            i++;
        if (pos != expect++ || i == nm || position_of(txn, &p, q, &back) != 0 || back != pos) {
            r->extra++;
            pool_finding(r, &p, q, lrc ? "is not a question" :
                                   i == nm ? "does not belong here" : "is out of place");
        }
    }
    mdb_cursor_close(cur);
    if ((rc = eng_walk_rc(rc, "pool")) != 0)
        return rc;
    return check_positions(txn, r);
}

int idx_pools_check_question(qs_txn *txn, const idx_question *q, qs_index_report *r)
{
    idx_pool member[IDX_MAX_POOLS];
    size_t n = idx_pools_of(q, member);
    for (size_t i = 0; i < n; i++) {
        uint32_t pos, at;
        int rc = position_of(txn, &member[i], q->head.id, &pos);
        r->checked++;
        if (rc == 0)
            rc = idx_pool_at(txn, &member[i], pos, &at) == 0 && at == q->head.id ? 0
                                                                                : QS_NOTFOUND;
        if (rc == QS_NOTFOUND) {
            r->missing++;
            pool_finding(r, &member[i], q->head.id, "is missing");
        } else if (rc) {
            return rc;
        }
    }
    return 0;
}
