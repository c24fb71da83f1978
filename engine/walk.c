/* walk.c: the rows of a time-bucketed table, bucket by bucket: pulled a row at a time
 * (eng_table_iter) or pushed to a callback on top of it (eng_table_each), so that the
 * walk is written once.
 *
 * A walk the API keeps open across calls (its iterators, and its scans, whose
 * callbacks call the API) is kept on its transaction's list. The transaction refuses
 * write calls while the list holds one: a write could change what the walk stands on
 * (a seal or a retention empties the database under its cursor, a row written into a
 * sealed bucket re-compresses the block it decoded) or add rows ahead of it for it to
 * pass back to a callback that writes again. And it closes them when it ends (txn.c),
 * while LMDB still holds their cursors: LMDB frees a write transaction's at its end.
 */
#include "engine_int.h"

int eng_table_iter_open(eng_table_iter *it, qs_txn *txn, eng_table table, int64_t from,
                        int64_t to, const eng_key *seek)
{
    memset(it, 0, sizeof *it);
    it->txn = txn;
    if (seek && table != ENG_T_ANSWER)
        return eng_fail(QS_INVALID, "a seek by user in a table kept by time");
    if (seek)
        it->seek = *seek;
    return eng_bucket_iter_open(&it->buckets, txn, table, from, to, 0);
}

/* Open the next bucket's rows at the seek: 0, ENG_END after the last bucket, or a
 * failure. */
static int enter_next_bucket(eng_table_iter *it)
{
    int rc = eng_bucket_iter_next(&it->buckets);
    if (rc)
        return rc == QS_NOTFOUND ? ENG_END : rc;
    rc = eng_rows_open(&it->rows, it->txn, &it->buckets.b);
    return rc ? rc : eng_rows_seek(&it->rows, it->seek.n ? &it->seek : NULL, 0);
}

int eng_table_iter_next(eng_table_iter *it, eng_row *row)
{
    if (it->rc == ENG_END)
        return ENG_END;
    if (it->rc)   /* its cursors may stand anywhere: going on could skip rows */
        return eng_fail(it->rc, "the walk stopped at an earlier failure (%s)",
                        qs_strerror(it->rc));
    for (;;) {
        int rc = it->rows.cur ? eng_rows_next(&it->rows, row) : QS_NOTFOUND;
        if (rc == QS_NOTFOUND) {
            eng_rows_close(&it->rows);
            if ((rc = enter_next_bucket(it)) == 0)
                continue;
        }
        if (rc)
            it->rc = rc;
        return rc;
    }
}

void eng_table_iter_next_bucket(eng_table_iter *it)
{
    eng_rows_close(&it->rows);
}

int eng_table_iter_keep(eng_table_iter *it)
{
    qs_txn *txn = it->txn;
    int rc = eng_wcache_flush(txn);
    if (rc)
        return rc;
    it->kept_next = txn->kept_iters;
    it->kept_prev = &txn->kept_iters;
    if (it->kept_next)
        it->kept_next->kept_prev = &it->kept_next;
    txn->kept_iters = it;
    return 0;
}

void eng_table_iter_close(eng_table_iter *it)
{
    qs_txn *txn = it->txn;
    if (!txn)
        return;
    /* Closing a cursor walks its transaction's list of cursors, which in a write
     * transaction a fault cut short may still name cursors of the frames the fault
     * unwound: those are left to LMDB, as the transaction is (eng_mdb_abort). */
    if (!txn->rdonly && txn->env->write_abandoned)
        it->rows.cur = it->buckets.cur = NULL;
    eng_rows_close(&it->rows);
    eng_bucket_iter_close(&it->buckets);
    if (it->kept_prev) {
        *it->kept_prev = it->kept_next;
        if (it->kept_next)
            it->kept_next->kept_prev = it->kept_prev;
    }
    it->txn = NULL;
}

int eng_table_each(qs_txn *txn, eng_table table, int64_t from, int64_t to,
                   const eng_key *seek, eng_row_fn fn, void *ctx)
{
    eng_table_iter it;
    eng_row row;
    int rc = eng_table_iter_open(&it, txn, table, from, to, seek);
    while (!rc) {
        if ((rc = eng_table_iter_next(&it, &row)) != 0) {
            rc = rc == ENG_END ? 0 : rc;
            break;
        }
        if ((rc = fn(&row, ctx)) == ENG_ROWS_NEXT_BUCKET) {
            eng_table_iter_next_bucket(&it);
            rc = 0;
        }
    }
    eng_table_iter_close(&it);
    return rc;
}
