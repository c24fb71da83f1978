/* aggregate.c: the aggregates an answer moves, all in the answer's transaction.
 *
 * Every aggregate is derived from the answers alone and can be recomputed from
 * them: question stats (qstat), user-question status (uq), user-topic progress
 * (progress), daily rows (udaily), the user summary with its streaks (usum) and
 * the leaderboards (leaderboard.c). An answer changes each by one step.
 *
 * Streaks: a user's active days form runs of consecutive days, and each daily row
 * names the day at the other end of its run, right at the run's two end rows
 * (engine/model.c). A new day d joins the run ending at d-1 and the one starting at
 * d+1 and writes the merged run's ends, a few lookups whatever the order days come
 * in: the streak is the merged run's length when it reaches the last active day, and
 * the best streak grows to it (runs only ever grow). A row written before the field
 * existed is an end whose other end is found by walking its run, once: the ends are
 * written from then on.
 */
#include <string.h>

#include "composite.h"
#include "index.h"

static int ok_or_new(int rc)
{
    return rc == QS_NOTFOUND ? 0 : rc;
}

/* Returns 1 in *first when this is the user's first answer to the question. */
static int apply_user_question(qs_txn *txn, const eng_answer *a, int *first)
{
    qs_user_question s;
    int rc = eng_uq_get(txn, a->user, a->question, &s);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    *first = s.attempts == 0;
    if (s.attempts == 0 || a->created_at >= s.last_at) {
        s.last_correct = a->correct;
        s.last_at = a->created_at;
    }
    s.attempts++;
    if (a->status == QS_FLAGGED)
        s.marked = 1;
    return eng_uq_put(txn, a->user, a->question, &s);
}

/* A question whose success band moves changes band index and band pool. */
static int apply_band(qs_txn *txn, uint32_t question, const eng_qstat *before,
                      const eng_qstat *after)
{
    uint32_t band = idx_band_of(after->attempts, after->correct);
    uint32_t old = before->attempts ? idx_band_of(before->attempts, before->correct) : 0;
    if (before->attempts && old == band)
        return 0;
    return idx_band_move(txn, question, before->attempts > 0, (uint8_t)old, (uint8_t)band);
}

static int apply_question(qs_txn *txn, const eng_answer *a, int first_by_user)
{
    eng_qstat s, before;
    int rc = ok_or_new(eng_qstat_get(txn, a->question, &s));
    if (rc)
        return rc;
    before = s;
    s.attempts++;
    s.correct += a->correct;
    s.users += first_by_user ? 1 : 0;
    s.score_sum += a->score;
    s.time_sum += a->time_ms;
    if ((rc = eng_qstat_put(txn, a->question, &s)) != 0)
        return rc;
    return apply_band(txn, a->question, &before, &s);
}

static int apply_progress(qs_txn *txn, const eng_answer *a)
{
    if (a->topic == 0)
        return 0;   /* a question without a topic has no progress row */
    eng_progress_chunk c;
    int rc = eng_progress_chunk_get(txn, a->user, a->topic, &c);
    if (rc)
        return rc;
    eng_progress *p = eng_progress_row(&c, a->topic);
    p->attempts++;
    p->correct += a->correct;
    if (a->created_at > p->last_at || p->attempts == 1)
        p->last_at = a->created_at;
    return eng_progress_chunk_put(txn, &c);
}

/* ------------------------------------------------------------------ streaks */

_Thread_local uint64_t idx_streak_rows_read;

/* The daily row of @p day, read for streak upkeep: 0 or QS_NOTFOUND. */
static int streak_row(qs_txn *txn, uint32_t user, int32_t day, eng_daily *d)
{
    idx_streak_rows_read++;
    return eng_daily_get(txn, user, day, d);
}

/* The far end of the run of consecutive days that the row of @p day ends, walking
 * the rows from @p day in direction @p step (-1 to the run's first day, +1 to its
 * last). */
static int walk_run(qs_txn *txn, uint32_t user, int32_t day, int step, int32_t *end)
{
    eng_iter it;
    eng_key k;
    eng_daily_key(&k, user, day);
    *end = day;
    int rc = eng_iter_open(txn, ENG_UDAILY, &it);
    for (rc = rc ? rc : eng_iter_find(&it, k.b, k.n);
         rc == 0 && (rc = step < 0 ? eng_iter_prev(&it) : eng_iter_next(&it)) == 0;
         *end += step) {
        const uint8_t *kb = it.key.data;
        idx_streak_rows_read++;
        if (it.key.size != ENG_DAILY_KEY || eng_get32(kb) != user ||
            eng_day_from_bits(eng_get32(kb + 4)) != *end + step)
            break;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* The far end of the run that @p near, the row of @p day, ends (see walk_run for
 * @p step), and its row into @p far. The row's own field gives it; a row of an
 * older version, or a field that cannot be right (pointing the wrong way or at a day
 * without a row), is walked instead. */
static int run_end(qs_txn *txn, uint32_t user, int32_t day, const eng_daily *near, int step,
                   int32_t *end, eng_daily *far)
{
    int rc = QS_NOTFOUND;
    if (near->has_other_end && ((int64_t)near->other_end - day) * step >= 0) {
        *end = near->other_end;
        rc = *end == day ? 0 : streak_row(txn, user, *end, far);
    }
    if (rc == QS_NOTFOUND && (rc = walk_run(txn, user, day, step, end)) == 0 && *end != day)
        rc = streak_row(txn, user, *end, far);
    if (rc == 0 && *end == day)
        *far = *near;
    return rc;
}

/* The run beside @p day on the side of @p step (-1: the run ending at day-1; +1: the
 * one starting at day+1): its far end into *end and that end's row into @p far, or
 * *end = @p day when there is none. */
static int run_beside(qs_txn *txn, uint32_t user, int32_t day, int step, int32_t *end,
                      eng_daily *far)
{
    eng_daily near;
    int rc = streak_row(txn, user, day + step, &near);
    *end = day;
    if (rc)
        return rc == QS_NOTFOUND ? 0 : rc;
    return run_end(txn, user, day + step, &near, step, end, far);
}

/* A new active day @p day of @p user, whose row @p row is about to be written: the
 * run it makes, [*first, *last], joining the runs beside it. The run's other end
 * rows are written with their fields; @p row gets its own. */
static int join_runs(qs_txn *txn, uint32_t user, int32_t day, eng_daily *row, int32_t *first,
                     int32_t *last)
{
    eng_daily first_row = {0}, last_row = {0};
    int rc;
    if ((rc = run_beside(txn, user, day, -1, first, &first_row)) != 0 ||
        (rc = run_beside(txn, user, day, +1, last, &last_row)) != 0)
        return rc;
    row->has_other_end = 1;
    row->other_end = day == *first ? *last : day == *last ? *first : day;
    first_row.has_other_end = last_row.has_other_end = 1;
    first_row.other_end = *last;
    last_row.other_end = *first;
    if (*first < day && (rc = eng_daily_put(txn, user, *first, &first_row)) != 0)
        return rc;
    return *last > day ? eng_daily_put(txn, user, *last, &last_row) : 0;
}

/* Returns 1 in *new_day when the answer opens a day for the user, and then the run
 * of consecutive active days the day is in, [run[0], run[1]]. */
static int apply_daily(qs_txn *txn, const eng_answer *a, int32_t day, int *new_day,
                       int32_t run[2])
{
    eng_daily d;
    int rc = eng_daily_get(txn, a->user, day, &d);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    *new_day = rc == QS_NOTFOUND;
    if (*new_day && (rc = join_runs(txn, a->user, day, &d, &run[0], &run[1])) != 0)
        return rc;
    d.answers++;
    d.correct += a->correct;
    d.time_ms += a->time_ms;
    return eng_daily_put(txn, a->user, day, &d);
}

static int apply_summary(qs_txn *txn, const eng_answer *a, int new_day, const int32_t run[2],
                         eng_usum *before)
{
    eng_usum s;
    int rc = ok_or_new(eng_usum_get(txn, a->user, &s));
    if (rc)
        return rc;
    *before = s;
    if (s.answered == 0 || a->created_at < s.first_at)
        s.first_at = a->created_at;
    if (s.answered == 0 || a->created_at > s.last_at)
        s.last_at = a->created_at;
    if (new_day) {
        uint32_t length = (uint32_t)((int64_t)run[1] - run[0] + 1);
        if (run[1] == eng_day(s.last_at))   /* the run reaches the last active day */
            s.streak = length;
        if (length > s.best)
            s.best = length;
    }
    s.answered++;
    s.correct += a->correct;
    s.time_ms += a->time_ms;
    return eng_usum_put(txn, a->user, &s);
}

static int apply_boards(qs_txn *txn, const eng_answer *a, const eng_usum *before,
                        uint32_t week_answers, uint32_t week_correct, uint32_t week)
{
    idx_board_view all_was = {a->user, QS_BOARD_ALL_TIME, before->answered, before->correct};
    idx_board_view all_now = all_was;
    all_now.answers++;
    all_now.correct += a->correct;
    int rc = idx_board_move(txn, &all_was, &all_now);
    if (rc)
        return rc;
    idx_board_view week_was = {a->user, week, week_answers, week_correct};
    idx_board_view week_now = week_was;
    week_now.answers++;
    week_now.correct += a->correct;
    return idx_board_move(txn, &week_was, &week_now);
}

int idx_apply_answer(qs_txn *txn, const eng_answer *a)
{
    int32_t day = eng_day(a->created_at);
    uint32_t week = qs_board_week(a->created_at), week_answers, week_correct;
    int first, new_day;
    int32_t run[2];
    eng_usum before;
    int rc;
    if ((rc = apply_user_question(txn, a, &first)) != 0 ||
        (rc = apply_question(txn, a, first)) != 0 ||
        (rc = apply_progress(txn, a)) != 0 ||
        (rc = idx_week_standing(txn, a->user, week, &week_answers, &week_correct)) != 0 ||
        (rc = apply_daily(txn, a, day, &new_day, run)) != 0 ||
        (rc = apply_summary(txn, a, new_day, run, &before)) != 0 ||
        (rc = apply_boards(txn, a, &before, week_answers, week_correct, week)) != 0)
        return eng_txn_failed(txn, rc);
    return 0;
}
