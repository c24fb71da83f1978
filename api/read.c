/* read.c: the product's reads: stats, progress, dashboard, leaderboards, history. */
#include <errno.h>
#include <string.h>

#include "api.h"
#include "cursor.h"

static uint32_t rate_bp(uint64_t correct, uint64_t attempts)
{
    return attempts ? (uint32_t)(10000 * correct / attempts) : 0;
}

static int question_stats_get(qs_txn *txn, uint32_t question, qs_question_stats *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_question_stats_get: output is NULL");
    eng_question q;
    eng_qstat s;
    if ((rc = eng_question_head(txn, question, &q)) != 0)
        return rc == QS_NOTFOUND ? api_missing("question", question) : rc;
    rc = eng_qstat_get(txn, question, &s);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    qs_question_stats full = {.attempts = s.attempts, .correct = s.correct,
                              .users = s.users, .rate_bp = rate_bp(s.correct, s.attempts),
                              .score_sum = s.score_sum, .time_ms_sum = s.time_sum};
    return eng_sized_out(out, &full, sizeof full, "qs_question_stats");
}

int qs_question_stats_get(qs_txn *txn, uint32_t question, qs_question_stats *out)
{
    ENG_GUARDED(txn, question_stats_get(txn, question, out));
}

static int user_question_get(qs_txn *txn, uint32_t user, uint32_t question, qs_user_question *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_user_question_get: output is NULL");
    qs_user_question full;
    rc = eng_uq_get(txn, user, question, &full);
    if (rc == QS_NOTFOUND)
        return eng_fail(rc, "user %u has neither answered nor marked question %u", user,
                        question);
    return rc ? rc : eng_sized_out(out, &full, sizeof full, "qs_user_question");
}

int qs_user_question_get(qs_txn *txn, uint32_t user, uint32_t question, qs_user_question *out)
{
    ENG_GUARDED(txn, user_question_get(txn, user, question, out));
}

/* qs_progress()'s output, filled record by record. */
typedef struct progress_out {
    qs_progress_row *rows;
    size_t cap, total;
} progress_out;

static int progress_rows(void *ctx, const eng_progress_chunk *c)
{
    progress_out *o = ctx;
    for (unsigned i = 0; i < c->n; i++, o->total++) {
        const eng_progress *p = &c->rows[i];
        if (o->total < o->cap)
            o->rows[o->total] = (qs_progress_row){p->topic, p->attempts, p->correct,
                                                  rate_bp(p->correct, p->attempts), p->last_at};
    }
    return 0;
}

static int progress(qs_txn *txn, uint32_t user, qs_progress_row *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_progress: NULL output");
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    progress_out o = {rows, cap, 0};
    if ((rc = eng_progress_each(txn, user, progress_rows, &o)) != 0)
        return rc;
    *n = o.total;
    return 0;
}

int qs_progress(qs_txn *txn, uint32_t user, qs_progress_row *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, progress(txn, user, rows, cap, n));
}

static void summary_from(const eng_usum *s, qs_summary *out)
{
    out->answered = s->answered;
    out->correct = s->correct;
    out->rate_bp = rate_bp(s->correct, s->answered);
    out->time_ms = s->time_ms;
    out->last_day = s->answered ? eng_day(s->last_at) : QS_NO_DAY;
    out->streak = s->streak;
    out->best_streak = s->best;
}

/* The daily rows of @p user from day @p first to @p last into @p days (room for
 * QS_DASHBOARD_DAYS), their number into *n. */
static int daily_rows(qs_txn *txn, uint32_t user, int32_t first, int32_t last,
                      qs_daily_row *days, size_t *n)
{
    eng_iter it;
    eng_key k;
    eng_daily_key(&k, user, first);
    int rc = eng_iter_open(txn, ENG_UDAILY, &it);
    eng_iter_within(&it, k.b, 4);
    for (rc = rc ? rc : eng_iter_seek(&it, k.b, k.n); rc == 0; rc = eng_iter_next(&it)) {
        int32_t day;
        eng_daily d;
        if ((rc = eng_daily_decode(&it.key, &it.val, &day, &d)) != 0 || day > last ||
            *n == QS_DASHBOARD_DAYS)
            break;
        days[(*n)++] = (qs_daily_row){day, d.answers, d.correct, d.time_ms};
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

static int dashboard_get(qs_txn *txn, uint32_t user, int64_t now, qs_dashboard *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_dashboard_get: output is NULL");
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    eng_usum s;
    rc = eng_usum_get(txn, user, &s);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    qs_dashboard full = {0};
    summary_from(&s, &full.summary);
    qs_daily_row *days = eng_scratch(txn, ENG_SCRATCH_DAYS, QS_DASHBOARD_DAYS * sizeof *days);
    if (!days)
        return ENOMEM;
    int32_t last = eng_day(now);
    if (s.answered &&
        (rc = daily_rows(txn, user, last - (QS_DASHBOARD_DAYS - 1), last, days,
                         &full.n_days)) != 0)
        return rc;
    full.days = full.n_days ? days : NULL;
    return eng_sized_out(out, &full, sizeof full, "qs_dashboard");
}

int qs_dashboard_get(qs_txn *txn, uint32_t user, int64_t now, qs_dashboard *out)
{
    ENG_GUARDED(txn, dashboard_get(txn, user, now, out));
}

/* ------------------------------------------------------------------ leaderboards */

static int leaderboard_top(qs_txn *txn, uint32_t board, qs_rank_row *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_leaderboard_top: NULL output");
    return idx_lb_top(txn, board, rows, cap, n);
}

int qs_leaderboard_top(qs_txn *txn, uint32_t board, qs_rank_row *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, leaderboard_top(txn, board, rows, cap, n));
}

static int leaderboard_rank(qs_txn *txn, uint32_t board, uint32_t user, qs_rank_row *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_leaderboard_rank: output is NULL");
    memset(out, 0, sizeof *out);
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    out->user = user;
    uint32_t correct;
    if (board == QS_BOARD_ALL_TIME) {
        eng_usum s;
        rc = eng_usum_get(txn, user, &s);
        if (rc && rc != QS_NOTFOUND)
            return rc;
        correct = s.correct;
    } else {
        uint32_t answers;
        if ((rc = idx_week_totals(txn, user, board, &answers, &correct)) != 0)
            return rc;
        if (answers == 0)
            return 0;   /* not on this week's board */
    }
    out->correct = correct;
    return idx_lb_rank(txn, board, correct, user, &out->rank);
}

int qs_leaderboard_rank(qs_txn *txn, uint32_t board, uint32_t user, qs_rank_row *out)
{
    ENG_GUARDED(txn, leaderboard_rank(txn, board, user, out));
}

/* ------------------------------------------------------------------ history */

/* Rows of one bucket strictly before (user, before_at, before_id), newest first, into
 * rows[*n..cap); *more set when a row of the user follows the last that fits. */
static int history_bucket(qs_txn *txn, const eng_bucket *b, uint32_t user, int64_t before_at,
                          uint64_t before_id, qs_history_row *rows, size_t cap, size_t *n,
                          int *more)
{
    eng_rows c;
    eng_row row;
    eng_key k;
    eng_row_key(&k, user, before_at, before_id);
    int rc = eng_rows_open(&c, txn, b);
    if (!rc)
        rc = eng_rows_seek(&c, &k, 1);
    while (!rc && (rc = eng_rows_next(&c, &row)) == 0 && row.a.user == user) {
        const eng_answer *a = &row.a;
        if (*n == cap) {
            *more = 1;
            break;
        }
        rows[(*n)++] = (qs_history_row){a->id, a->test, a->question, a->topic, a->correct,
                                        a->status, a->score, a->chosen, a->time_ms,
                                        a->created_at};
    }
    eng_rows_close(&c);
    return rc == QS_NOTFOUND ? 0 : rc;
}

static int history(qs_txn *txn, uint32_t user, const qs_cursor *after, qs_history_row *rows,
                   size_t cap, size_t *n, qs_cursor *next)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_history: NULL output");
    *n = 0;
    size_t written = 0;
    int more = 0;
    int64_t before_at = INT64_MAX;
    uint64_t before_id = UINT64_MAX;
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    if (after && (rc = api_cursor_open(txn, user, after, &before_at, &before_id)) != 0)
        return rc;
    eng_usum s;
    rc = eng_usum_get(txn, user, &s);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    if (s.answered) {
        /* only the buckets between the user's first answer and the resume point */
        int64_t to = before_at < s.last_at ? before_at : s.last_at;
        eng_bucket_iter it;
        to = to < QS_TIME_MAX ? to + 1 : QS_TIME_MAX;   /* a summary may be damaged */
        if ((rc = eng_bucket_iter_open(&it, txn, ENG_T_ANSWER, s.first_at, to, 1)) != 0)
            return rc;
        while (!more && (rc = eng_bucket_iter_next(&it)) == 0)
            if ((rc = history_bucket(txn, &it.b, user, before_at, before_id, rows, cap,
                                     &written, &more)))
                break;
        eng_bucket_iter_close(&it);
        if (rc && rc != QS_NOTFOUND)
            return rc;
    }
    *n = written + (size_t)more;
    if (next) {
        if (written)
            api_cursor_make(txn, user, rows[written - 1].created_at, rows[written - 1].answer_id,
                            next);
        else if (after)
            *next = *after;
        else
            api_cursor_make(txn, user, INT64_MAX, UINT64_MAX, next);
    }
    return 0;
}

int qs_history(qs_txn *txn, uint32_t user, const qs_cursor *after, qs_history_row *rows,
               size_t cap, size_t *n, qs_cursor *next)
{
    ENG_GUARDED(txn, history(txn, user, after, rows, cap, n, next));
}
