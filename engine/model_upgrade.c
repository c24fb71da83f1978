/* model_upgrade.c: the records of older formats rewritten at a writable open
 * (env.c): test summaries (format 1), test_answers (format 2), topic progress
 * (format 3). */
#include <errno.h>
#include <string.h>

#include "engine_int.h"
#include "model.h"

/* Format 1 kept test_by_user's values empty: write every test's summary. */
int eng_upgrade_test_index(qs_txn *txn)
{
    eng_iter it;
    int rc = eng_iter_open(txn, ENG_TEST, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        eng_test t;
        eng_key k;
        uint8_t val[ENG_TEST_INDEX_VAL];
        if ((rc = eng_key_check(&it.key, 8, "test")) != 0 ||
            (rc = eng_test_get(txn, eng_get64(it.key.data), &t)) != 0)
            break;
        eng_test_index_key(&k, t.user, t.status, t.last_activity_at, t.id);
        eng_val ik = {k.n, k.b}, iv = {eng_test_index_val(val, &t), val};
        if ((rc = eng_entry_put(txn, ENG_TEST_BY_USER, &ik, &iv, 0)) != 0)
            break;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* Format 2 kept an entry per answer in ans_by_test, (test u64 | question u32) ->
 * (user u32 | created_at time | answer id u64): each one becomes a duplicate of its
 * test in test_answers. Both are in (test, question) order, so every put appends. */
int eng_upgrade_test_answers(qs_txn *txn, MDB_dbi ans_by_test)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    int rc = eng_cursor_open(txn, ans_by_test, "ans_by_test", &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        eng_key k;
        uint8_t dup[ENG_TEST_ANSWER_DUP];
        ek_reset(&k);
        ek_bytes(&k, mk.mv_data, mk.mv_size < ENG_KEY_MAX ? mk.mv_size : ENG_KEY_MAX);
        if (mk.mv_size != 12 || mv.mv_size != 20) {
            rc = eng_fail(QS_CORRUPT, "ans_by_test: entry %zu+%zu bytes is not an answer's "
                          "place: the upgrade cannot read it", mk.mv_size, mv.mv_size);
            break;
        }
        const uint8_t *v = mv.mv_data;
        eng_test_answer_dup(dup, eng_get32(k.b + 8), eng_time_from_bits(eng_get64(v + 4)));
        MDB_val nk = {8, k.b}, nv = {sizeof dup, dup};
        if ((rc = eng_mdb_put(txn, eng_dbi(txn, ENG_TEST_ANSWERS), &nk, &nv,
                              MDB_APPENDDUP)) != 0) {
            rc = eng_txn_failed(txn, eng_mdb_rc(rc, "write", "test_answers"));
            break;
        }
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, "ans_by_test");
}

/* Format 3 kept (user u32 | topic u32) -> attempts u32 | correct u32 | last_at time.
 * Its rows are in (user, topic) order, so each chunk is whole when the next begins and
 * every put appends. */
static int upgrade_progress_row(const MDB_val *mk, const MDB_val *mv, eng_progress *p)
{
    eng_key k;
    eng_rbuf r;
    if (mk->mv_size != 8)
        return eng_fail(QS_CORRUPT, "progress: key of %zu bytes: the upgrade cannot read it",
                        mk->mv_size);
    ek_reset(&k);
    ek_bytes(&k, mk->mv_data, mk->mv_size);
    if (eng_rec_open(&k, mv->mv_data, mv->mv_size, &r))
        return eng_fail(QS_CORRUPT, "progress: user %u topic %u: checksum mismatch: the "
                        "upgrade cannot read it", eng_get32(k.b), eng_get32(k.b + 4));
    p->topic = eng_get32(k.b + 4);
    p->attempts = rb_u32(&r);
    p->correct = rb_u32(&r);
    p->last_at = rb_time(&r);
    return rb_done(&r) ? 0 : eng_fail(QS_CORRUPT, "progress: user %u topic %u: bad record "
                                      "body: the upgrade cannot read it", eng_get32(k.b),
                                      p->topic);
}

int eng_upgrade_progress(qs_txn *txn, MDB_dbi old)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_progress_chunk c = {.n = 0};
    int rc = eng_cursor_open(txn, old, "progress", &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        eng_progress p;
        if ((rc = upgrade_progress_row(&mk, &mv, &p)) != 0)
            break;
        uint32_t user = eng_get32(mk.mv_data), chunk = p.topic / ENG_PROGRESS_CHUNK;
        if (c.n && (c.user != user || c.chunk != chunk)) {
            if ((rc = eng_progress_put(txn, &c, MDB_APPEND)) != 0)
                break;
            c.n = 0;
        }
        c.user = user;
        c.chunk = chunk;
        c.rows[c.n++] = p;
    }
    mdb_cursor_close(cur);
    if ((rc = eng_walk_rc(rc, "progress")) != 0)
        return rc;
    return c.n ? eng_progress_put(txn, &c, MDB_APPEND) : 0;
}
