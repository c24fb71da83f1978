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

#include "pool.h"

#define POOL_KEY 13   /* kind | a | b | c */
#define POOL_ENTRY_KEY (POOL_KEY + 4)   /* ... | position (pool) or question (pool_pos) */

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

size_t idx_pools_of(const idx_question *q, idx_pool *out)
{
    const eng_question *h = &q->head;
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

/* The pool's last position, which @p it is left on: 0, or ENG_END for an empty
 * pool. */
static int last_position(eng_iter *it, const idx_pool *p, uint32_t *pos)
{
    eng_key k;
    pool_prefix(&k, p);
    eng_iter_within(it, k.b, k.n);
    int rc = eng_iter_last(it);
    if (rc == 0 && (rc = eng_key_check(&it->key, POOL_ENTRY_KEY, "pool")) == 0)
        *pos = eng_get32((const uint8_t *)it->key.data + POOL_KEY);
    return rc;
}

int idx_pool_size(qs_txn *txn, const idx_pool *p, uint32_t *size)
{
    eng_iter it;
    uint32_t last;
    *size = 0;
    int rc = eng_iter_open(txn, ENG_POOL, &it);
    if (!rc && (rc = last_position(&it, p, &last)) == 0)
        *size = last + 1;
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

int idx_pool_at(qs_txn *txn, const idx_pool *p, uint32_t pos, uint32_t *question)
{
    eng_key k;
    eng_val mv;
    pos_key(&k, p, pos);
    int rc = eng_entry_get(txn, ENG_POOL, &(eng_val){k.n, k.b}, &mv);
    if (rc == QS_NOTFOUND)
        return eng_fail(QS_CORRUPT, "pool %u/%u/%u/%u has no position %u", p->kind, p->a, p->b,
                        p->c, pos);
    if (rc)
        return rc;
    if (mv.size != 4)
        return eng_corrupt(ENG_POOL, &k, "entry is not a question id");
    *question = eng_get32(mv.data);
    return 0;
}

static int put_u32(qs_txn *txn, eng_db db, const eng_key *k, uint32_t v)
{
    uint8_t b[4];
    eng_put32(b, v);
    return eng_entry_put(txn, db, &(eng_val){k->n, (void *)k->b}, &(eng_val){4, b}, 0);
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
    eng_val mv;
    pos_key(&k, p, question);
    int rc = eng_entry_get(txn, ENG_POOL_POS, &(eng_val){k.n, k.b}, &mv);
    if (rc)
        return rc;
    if (mv.size != 4)
        return eng_corrupt(ENG_POOL_POS, &k, "entry is not a position");
    *pos = eng_get32(mv.data);
    return 0;
}

/* A position for an insertion, uniform in 0 .. size: a function of the store's
 * secret, the pool, the question and the size, so a store replays the same. */
static uint32_t insert_position(qs_txn *txn, const idx_pool *p, uint32_t question, uint32_t size)
{
    uint32_t in[5] = {p->a, p->b, p->c, question, size};
    uint64_t h = eng_hash64(in, sizeof in, eng_secret(txn) ^ p->kind);
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
    if ((rc = eng_del(txn, ENG_POOL, &k, NULL)) != 0)
        return rc;
    pos_key(&k, p, question);
    return eng_del(txn, ENG_POOL_POS, &k, NULL);
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
    eng_iter it;
    size_t total = 0;
    uint8_t last[POOL_KEY];
    int rc = eng_iter_open(txn, ENG_POOL, &it);
    /* the last position of each pool: jump from pool to pool; each jump must move
     * forward, which keys out of order (a damaged page) would not */
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0;) {
        if ((rc = eng_key_check(&it.key, POOL_ENTRY_KEY, "pool")) != 0)
            break;
        const uint8_t *kb = it.key.data;
        if (total && memcmp(kb, last, POOL_KEY) <= 0) {
            rc = eng_fail(QS_CORRUPT, "keys of database 'pool' out of order");
            break;
        }
        memcpy(last, kb, POOL_KEY);
        idx_pool p = {kb[0], eng_get32(kb + 1), eng_get32(kb + 5), eng_get32(kb + 9)};
        uint32_t end;
        if ((rc = last_position(&it, &p, &end)) != 0)
            break;
        if (total < cap)
            rows[total] = (qs_pool_info){p.kind, p.a, p.b, p.c, end + 1};
        total++;
        eng_iter_within(&it, NULL, 0);
        rc = eng_iter_next(&it);
    }
    eng_iter_close(&it);
    *n = total;
    return rc == ENG_END ? 0 : rc;
}

/* ------------------------------------------------------------------ reshuffle */

/* Fisher-Yates over one pool's positions, in place. */
static int reshuffle_one(qs_txn *txn, const idx_pool *p, uint32_t size, uint64_t seed)
{
    uint32_t in[4] = {p->kind, p->a, p->b, p->c};
    uint64_t state = eng_hash64(in, sizeof in, seed);
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
    eng_iter it;
    int rc = eng_iter_open(txn, ENG_POOL_POS, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        idx_pool p = {0, 0, 0, 0};
        uint32_t q = 0;
        int ok = it.key.size == POOL_ENTRY_KEY && it.val.size == 4;
        if (ok) {
            const uint8_t *kb = it.key.data;
            p = (idx_pool){kb[0], eng_get32(kb + 1), eng_get32(kb + 5), eng_get32(kb + 9)};
            q = eng_get32(kb + POOL_KEY);
            eng_key k;
            eng_val pv;
            pos_key(&k, &p, eng_get32(it.val.data));
            int grc = eng_entry_get(txn, ENG_POOL, &(eng_val){k.n, k.b}, &pv);
            if (grc && grc != QS_NOTFOUND) {
                rc = grc;
                break;
            }
            ok = grc == 0 && pv.size == 4 && eng_get32(pv.data) == q;
        }
        if (!ok) {
            r->extra++;
            pool_finding(r, &p, q, "has a position its pool does not hold");
        }
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* Every entry of the pool database sits at the next position of its pool, points
 * back through pool_pos, and belongs to a question that belongs to the pool. */
int idx_pools_check_entries(qs_txn *txn, qs_index_report *r)
{
    eng_iter it;
    idx_pool prev = {0, 0, 0, 0};
    uint32_t expect = 0;
    int rc = eng_iter_open(txn, ENG_POOL, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        if (it.key.size != POOL_ENTRY_KEY || it.val.size != 4) {
            r->extra++;
            continue;
        }
        const uint8_t *kb = it.key.data;
        idx_pool p = {kb[0], eng_get32(kb + 1), eng_get32(kb + 5), eng_get32(kb + 9)};
        uint32_t pos = eng_get32(kb + POOL_KEY), q = eng_get32(it.val.data), back;
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
    eng_iter_close(&it);
    if (rc != ENG_END)
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
