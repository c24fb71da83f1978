/* backend_qs_read.c: the quizstore backend's reads (backend_qs.h), through the public
 * API, each in the handle's read transaction: renewed for the call, reset after it, so
 * a read pays no transaction setup. Each puts its rows into the canonical result of
 * backend.h.
 */
#include "backend_qs.h"

/* The read transaction for one operation: renewed here, reset by read_end(). */
static qs_txn *read_begin(backend *be)
{
    qsb_impl *q = qsb_of(be);
    int rc = q->read ? qs_txn_renew(q->read) : qs_txn_begin(q->env, QS_TXN_RDONLY, &q->read);
    if (rc) {
        qsb_failed(be, "begin read", rc);
        return NULL;
    }
    return q->read;
}

static int read_end(backend *be, const char *what, int rc)
{
    qs_txn_reset(qsb_of(be)->read);
    return rc ? qsb_failed(be, what, rc) : 0;
}

int qsb_question_get_op(backend *be, uint32_t id, bk_result *out)
{
    qs_txn *txn = read_begin(be);
    qs_question q = {.size = sizeof q};
    if (!txn)
        return -1;
    int rc = qs_question_get(txn, id, &q);
    if (!rc) {
        const uint64_t head[] = {q.id, q.subject, q.system, q.topic, q.difficulty, q.type,
                                 q.active, q.correct_option, q.n_options};
        for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
            bk_put_u64(out, head[i]);
        bk_put_i64(out, q.created_at);
        bk_put_str(out, q.stem.ptr, q.stem.len);
        bk_put_str(out, q.explanation.ptr, q.explanation.len);
        for (unsigned i = 0; i < q.n_options; i++)
            bk_put_str(out, q.options[i].ptr, q.options[i].len);
        out->rows = 1;
    }
    return read_end(be, "question_get", rc);
}

int qsb_progress_op(backend *be, uint32_t user, bk_result *out)
{
    qs_progress_row rows[WL_TOPICS];
    size_t n;
    qs_txn *txn = read_begin(be);
    if (!txn)
        return -1;
    int rc = qs_progress(txn, user, rows, WL_TOPICS, &n);
    for (size_t i = 0; !rc && i < n && i < WL_TOPICS; i++) {
        bk_put_u64(out, rows[i].topic);
        bk_put_u64(out, rows[i].attempts);
        bk_put_u64(out, rows[i].correct);
        bk_put_u64(out, rows[i].rate_bp);
        bk_put_i64(out, rows[i].last_answered_at);
        out->rows++;
    }
    return read_end(be, "progress_view", rc);
}

int qsb_dashboard_op(backend *be, uint32_t user, int64_t now, bk_result *out)
{
    qs_dashboard d = {.size = sizeof d};
    qs_txn *txn = read_begin(be);
    if (!txn)
        return -1;
    int rc = qs_dashboard_get(txn, user, now, &d);
    if (!rc) {
        const qs_summary *s = &d.summary;
        bk_put_u64(out, s->answered);
        bk_put_u64(out, s->correct);
        bk_put_u64(out, s->rate_bp);
        bk_put_u64(out, s->time_ms);
        bk_put_i64(out, s->last_day == QS_NO_DAY ? -1 : s->last_day);
        bk_put_u64(out, s->streak);
        bk_put_u64(out, s->best_streak);
        for (size_t i = 0; i < d.n_days; i++) {
            bk_put_i64(out, d.days[i].day);
            bk_put_u64(out, d.days[i].answers);
            bk_put_u64(out, d.days[i].correct);
            bk_put_u64(out, d.days[i].time_ms);
        }
        out->rows = (uint32_t)d.n_days;
    }
    return read_end(be, "dashboard", rc);
}

static void put_rank(bk_result *out, const qs_rank_row *r)
{
    bk_put_u64(out, r->rank);
    bk_put_u64(out, r->user);
    bk_put_u64(out, r->correct);
}

int qsb_leaderboard_op(backend *be, uint32_t user, bk_result *out)
{
    qs_rank_row top[100], me;
    size_t n;
    qs_txn *txn = read_begin(be);
    if (!txn)
        return -1;
    int rc = qs_leaderboard_top(txn, QS_BOARD_ALL_TIME, top, 100, &n);
    if (!rc)
        rc = qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, user, &me);
    if (!rc) {
        out->rows = (uint32_t)(n < 100 ? n : 100);
        for (size_t i = 0; i < out->rows; i++)
            put_rank(out, &top[i]);
        put_rank(out, &me);
    }
    return read_end(be, "leaderboard", rc);
}

void bk_quizstore_put_history_row(bk_result *r, const qs_history_row *h)
{
    bk_put_u64(r, h->answer_id);
    bk_put_i64(r, h->created_at);
    bk_put_u64(r, h->test);
    bk_put_u64(r, h->question);
    bk_put_u64(r, h->topic);
    bk_put_u64(r, h->correct);
    bk_put_u64(r, h->status);
    bk_put_u64(r, h->score);
    bk_put_u64(r, h->time_spent_ms);
}

int qsb_history_op(backend *be, uint32_t user, bk_result *out)
{
    qs_history_row rows[20];
    qs_cursor cur;
    size_t n = 0;
    qs_txn *txn = read_begin(be);
    if (!txn)
        return -1;
    int rc = 0;
    for (int page = 0; page < 2 && !rc; page++) {
        rc = qs_history(txn, user, page ? &cur : NULL, rows, 20, &n, &cur);
        for (size_t i = 0; !rc && i < n && i < 20; i++) {
            bk_quizstore_put_history_row(out, &rows[i]);
            out->rows++;
        }
        if (n <= 20)   /* no row follows */
            break;
    }
    return read_end(be, "history", rc);
}

int qsb_test_list_op(backend *be, uint32_t user, bk_result *out)
{
    qs_test_row rows[20];
    size_t n;
    qs_txn *txn = read_begin(be);
    if (!txn)
        return -1;
    int rc = qs_test_list(txn, user, rows, 20, &n);
    for (size_t i = 0; !rc && i < n && i < 20; i++) {
        bk_put_u64(out, rows[i].id);
        bk_put_u64(out, rows[i].status);
        bk_put_i64(out, rows[i].last_activity_at);
        bk_put_u64(out, rows[i].n_questions);
        out->rows++;
    }
    return read_end(be, "test_list", rc);
}
