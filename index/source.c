/* source.c: the records the declared indexes are cut from (composite.h), loaded by
 * id or walked whole: questions with their band, tests, answers, users' standing on
 * the boards. */
#include "composite.h"
#include "index.h"
#include "rows.h"

/* A user's place on a board: all-time from the summary, weekly from the daily rows. */
static int load_board_view(qs_txn *txn, uint32_t user, uint32_t board, idx_board_view *v)
{
    qs_user u;
    int rc = eng_user_get(txn, user, &u);
    if (rc)
        return rc;
    *v = (idx_board_view){user, board, 0, 0};
    if (board != QS_BOARD_ALL_TIME)
        return idx_week_totals(txn, user, board, &v->answers, &v->correct);
    eng_usum sum;
    rc = eng_usum_get(txn, user, &sum);
    v->answers = sum.answered;
    v->correct = sum.correct;
    return rc == QS_NOTFOUND ? 0 : rc;
}

/* A record of a source, loaded by id into @p buf (boards: board << 32 | user). */
int idx_load_record(qs_txn *txn, idx_source src, uint64_t id, void *buf)
{
    switch (src) {
    case IDX_QUESTIONS:
        return id > UINT32_MAX ? QS_NOTFOUND : idx_question_load(txn, (uint32_t)id, buf);
    case IDX_USERS:
    case IDX_USER_WEEKS:
        if ((src == IDX_USERS) != ((id >> 32) == QS_BOARD_ALL_TIME))
            return QS_NOTFOUND;
        return load_board_view(txn, (uint32_t)id, (uint32_t)(id >> 32), buf);
    default:
        return eng_test_get(txn, id, buf);
    }
}

typedef struct answer_walk {
    qs_txn *txn;
    idx_record_fn fn;
    void *ctx;
} answer_walk;

static int walk_answer(const eng_row *row, void *ctx)
{
    answer_walk *w = ctx;
    return w->fn(w->txn, &row->a, w->ctx);
}

/* Call @p fn on every answer, bucket by bucket. */
static int each_answer(qs_txn *txn, idx_record_fn fn, void *ctx)
{
    answer_walk w = {txn, fn, ctx};
    return eng_table_each(txn, ENG_T_ANSWER, QS_TIME_MIN, QS_TIME_MAX, NULL, walk_answer, &w);
}

static int user_of_test(qs_txn *txn, uint64_t test, idx_test_user *memo)
{
    static _Thread_local eng_test t;
    if (memo->test == test && test)
        return memo->rc;
    *memo = (idx_test_user){test, 0, eng_test_get(txn, test, &t)};
    memo->user = t.user;
    return memo->rc;
}

/* The answer a test_answers entry points at, into @p a: 0 or QS_NOTFOUND. An entry
 * whose bucket retention dropped keeps (test, question) answered: *expired is set. */
int idx_answer_of_entry(qs_txn *txn, const eng_val *key, const eng_val *val,
                        idx_test_user *memo, eng_answer *a, int *expired)
{
    eng_bucket b;
    eng_row row;
    eng_test_answer ta;
    uint64_t test;
    *expired = 0;
    int rc = eng_test_answer_decode(key, val, &test, &ta);
    if (rc)
        return QS_NOTFOUND;
    if ((rc = eng_bucket_at(txn, ENG_T_ANSWER, ta.created_at, 0, &b)) == QS_NOTFOUND)
        *expired = 1;
    if (!rc)
        rc = user_of_test(txn, test, memo);
    if (!rc)
        rc = eng_answer_find(txn, &b, memo->user, ta.created_at, test, ta.question, &row);
    if (!rc)
        *a = row.a;
    return rc;
}

/* Call @p fn on every (user, week) with answers, from the daily rows in order. */
static int each_user_week(qs_txn *txn, idx_record_fn fn, void *ctx)
{
    eng_iter it;
    idx_board_view v = {0, 0, 0, 0};
    int rc = eng_iter_open(txn, ENG_UDAILY, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        int32_t day;
        eng_daily d;
        if ((rc = eng_daily_decode(&it.key, &it.val, &day, &d)) != 0)
            break;
        uint32_t user = eng_get32(it.key.data), board = qs_board_week(day * ENG_DAY_MS);
        if (v.answers && (user != v.user || board != v.board) && (rc = fn(txn, &v, ctx)))
            break;
        if (user != v.user || board != v.board)
            v = (idx_board_view){user, board, 0, 0};
        v.answers += d.answers;
        v.correct += d.correct;
    }
    eng_iter_close(&it);
    if (rc == ENG_END)
        rc = v.answers ? fn(txn, &v, ctx) : 0;
    return rc;
}

/* Call @p fn on every record of @p src, in id order (answers: bucket order). */
int idx_each_record(qs_txn *txn, idx_source src, idx_record_fn fn, void *ctx)
{
    static _Thread_local idx_record buf;
    if (src == IDX_ANSWERS)
        return each_answer(txn, fn, ctx);
    if (src == IDX_USER_WEEKS)
        return each_user_week(txn, fn, ctx);
    eng_db db = src == IDX_QUESTIONS ? ENG_QUESTION : src == IDX_USERS ? ENG_USER : ENG_TEST;
    size_t key_len = src == IDX_TESTS ? 8 : 4;
    eng_iter it;
    int rc = eng_iter_open(txn, db, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        if ((rc = eng_key_check(&it.key, key_len, eng_db_name(db))) != 0)
            break;
        uint64_t id = key_len == 4 ? eng_get32(it.key.data) : eng_get64(it.key.data);
        if ((rc = idx_load_record(txn, src, id, &buf)) != 0 || (rc = fn(txn, &buf, ctx)) != 0)
            break;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}
