/* rebuild.c: every declared index and the pools emptied and cut again from the
 * records (composite.h). */
#include "composite.h"
#include "index.h"
#include "rows.h"

typedef struct rebuild_ctx {
    const idx_def *def;
} rebuild_ctx;

static int rebuild_record(qs_txn *txn, const void *rec, void *arg)
{
    const idx_def *d = ((rebuild_ctx *)arg)->def;
    idx_entry e[IDX_MAX_ENTRIES];
    size_t n = d->cut(rec, e);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        eng_val k = {e[i].key.n, e[i].key.b};
        if (!(rc = idx_entry_put(txn, d, &e[i])) && d->moved)
            rc = d->moved(txn, NULL, &k);
    }
    return rc;
}

static int pool_record(qs_txn *txn, const void *rec, void *arg)
{
    return idx_pools_update(txn, NULL, rec);
}

/* Empty the answer index but for the entries of answers retention dropped: no
 * answer is left to rebuild them from, and they keep their (test, question)
 * answered. */
static int empty_answer_index(qs_txn *txn, eng_db db)
{
    idx_test_user memo = {0, 0, 0};
    eng_iter it;
    int rc = eng_iter_open(txn, db, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        eng_answer a;
        int expired;
        int lrc = idx_answer_of_entry(txn, &it.key, &it.val, &memo, &a, &expired);
        if (lrc && lrc != QS_NOTFOUND) {
            rc = lrc;
            break;
        }
        if (!expired && (rc = eng_iter_del(&it)) != 0)
            break;
    }
    eng_iter_close(&it);
    rc = rc == ENG_END ? 0 : rc;
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int idx_rebuild(qs_txn *txn)
{
    int rc = eng_db_empty(txn, ENG_LB_COUNT);   /* the leaderboards' hook recounts it */
    for (size_t i = 0; i < idx_n_defs && !rc; i++)   /* declarations may share a database */
        rc = idx_defs[i].source == IDX_ANSWERS ? empty_answer_index(txn, idx_defs[i].db)
                                           : eng_db_empty(txn, idx_defs[i].db);
    for (size_t i = 0; i < idx_n_defs && !rc; i++) {
        rebuild_ctx ctx = {&idx_defs[i]};
        rc = idx_each_record(txn, idx_defs[i].source, rebuild_record, &ctx);
    }
    if (!rc && !(rc = eng_db_empty(txn, ENG_POOL)) && !(rc = eng_db_empty(txn, ENG_POOL_POS)))
        rc = idx_each_record(txn, IDX_QUESTIONS, pool_record, NULL);
    return rc ? eng_txn_failed(txn, rc) : 0;
}
