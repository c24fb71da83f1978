/* counter.c: the id counters of a write transaction, read when it begins and written
 * when it commits. */
#include <string.h>

#include "engine_int.h"

/* The counters live in one ENG_META record, "counters": ENG_COUNTER_COUNT u64s in
 * eng_counter order, the last value each has given out. */
#define COUNTERS_KEY "counters"

static void counters_key(eng_key *k)
{
    ek_reset(k);
    ek_bytes(k, COUNTERS_KEY, sizeof COUNTERS_KEY - 1);
}

/* A write transaction reads the counters when it begins, so taking one never fails. */
int eng_counters_load(qs_txn *txn)
{
    eng_key k;
    eng_rbuf r;
    counters_key(&k);
    memset(txn->counters, 0, sizeof txn->counters);
    int rc = eng_get(txn, ENG_META, &k, &r);
    if (rc)
        return rc == QS_NOTFOUND ? 0 : rc;
    for (int c = 0; c < ENG_COUNTER_COUNT; c++)
        txn->counters[c] = rb_u64(&r);
    return rb_done(&r) ? 0 : eng_corrupt(ENG_META, &k, "bad counters");
}

uint64_t eng_counter_next(qs_txn *txn, eng_counter c)
{
    txn->counters_dirty = 1;
    return ++txn->counters[c];
}

uint64_t eng_counter_peek(qs_txn *txn, eng_counter c)
{
    return txn->counters[c] + 1;
}

void eng_counter_seen(qs_txn *txn, eng_counter c, uint64_t used)
{
    if (used > txn->counters[c]) {
        txn->counters[c] = used;
        txn->counters_dirty = 1;
    }
}

/* The primary database of each entity counter and the width of its keys. */
static const struct {
    eng_db db;
    size_t width;
} id_spaces[ENG_COUNTER_COUNT] = {
    [ENG_NEXT_SUBJECT] = {ENG_SUBJECT, 4}, [ENG_NEXT_SYSTEM] = {ENG_SYSTEM, 4},
    [ENG_NEXT_TOPIC] = {ENG_TOPIC, 4},     [ENG_NEXT_QUESTION] = {ENG_QUESTION, 4},
    [ENG_NEXT_USER] = {ENG_USER, 4},       [ENG_NEXT_TEST] = {ENG_TEST, 8},
};

/* The lowest id in [from, max] without a record in @p c's primary database into
 * *id, 0 when there is none: one seek, then one step per taken id. */
static int first_free_id(qs_txn *txn, eng_counter c, uint64_t from, uint64_t max,
                         uint64_t *id)
{
    eng_db db = id_spaces[c].db;
    size_t width = id_spaces[c].width;
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_key k;
    ek_reset(&k);
    if (width == 4)
        ek_u32(&k, (uint32_t)from);
    else
        ek_u64(&k, from);
    mk = (MDB_val){k.n, k.b};
    *id = from;
    /* the common case, without a cursor (which would flush a bulk transaction) */
    int rc = eng_mdb_get(txn, eng_dbi(txn, db), eng_db_name(db), &mk, &mv);
    if (rc != 0)
        return rc == QS_NOTFOUND ? 0 : rc;
    if ((rc = eng_cursor_open(txn, eng_dbi(txn, db), eng_db_name(db), &cur)) != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        if (mk.mv_size != width) {
            rc = eng_fail(QS_CORRUPT, "key of %zu bytes in database '%s' (expected %zu)",
                          mk.mv_size, eng_db_name(db), width);
            break;
        }
        uint64_t taken = width == 4 ? eng_get32(mk.mv_data) : eng_get64(mk.mv_data);
        if (taken != *id)
            break;   /* keys come in order: *id is not among them */
        if (*id == max) {
            *id = 0;
            break;
        }
        ++*id;
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, eng_db_name(db));
}

int eng_counter_take(qs_txn *txn, eng_counter c, uint64_t max, uint64_t *id)
{
    uint64_t last = txn->counters[c];
    uint64_t from = last < max ? last + 1 : 1;
    int rc = first_free_id(txn, c, from, max, id);
    if (rc == 0 && *id == 0 && from > 1)
        rc = first_free_id(txn, c, 1, max, id);   /* wrap around */
    if (rc == 0 && *id) {
        txn->counters[c] = *id;
        txn->counters_dirty = 1;
    }
    return rc;
}

int eng_counters_flush(qs_txn *txn)
{
    if (txn->counters_dirty) {
        eng_key k;
        eng_wbuf w;
        uint8_t buf[8 * ENG_COUNTER_COUNT];
        counters_key(&k);
        wb_init(&w, buf, sizeof buf);
        for (int c = 0; c < ENG_COUNTER_COUNT; c++)
            wb_u64(&w, txn->counters[c]);
        int rc = eng_put(txn, ENG_META, &k, &w, 0);
        if (rc)
            return rc;
    }
    if (txn->gen_dirty)
        return eng_meta_put_u64(txn, "gen", txn->gen + 1);
    return 0;
}
