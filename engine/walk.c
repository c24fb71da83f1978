/* walk.c: the rows of a time-bucketed table, bucket by bucket: pulled a row at a time
 * (eng_table_iter) or pushed to a callback on top of it (eng_table_each), so that the
 * walk is written once.
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

void eng_table_iter_close(eng_table_iter *it)
{
    if (!it->txn)
        return;
    eng_rows_close(&it->rows);
    eng_bucket_iter_close(&it->buckets);
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
