/* aggregate.c: the aggregates an answer moves, all in the answer's transaction.
 *
 * Every aggregate is derived from the answers alone and can be recomputed from
 * them: question stats (qstat), user-question status (uq), user-topic progress
 * (progress), daily rows (udaily), the user summary with its streaks (usum) and
 * the leaderboards (leaderboard.c). An answer changes each by one step; only a
 * day inserted before the user's last active day (an import of old history)
 * recomputes the streaks from the daily rows.
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
    if (before->attempts && idx_band_of(before->attempts, before->correct) == band)
        return 0;
    idx_question old, now;
    int rc = idx_question_load(txn, question, &now);
    if (rc)
        return rc;
    old = now;
    old.has_band = before->attempts > 0;
    old.band = old.has_band ? (uint8_t)idx_band_of(before->attempts, before->correct) : 0;
    now.has_band = 1;
    now.band = (uint8_t)band;
    return idx_question_changed(txn, &old, &now);
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
    eng_progress p;
    int rc = ok_or_new(eng_progress_get(txn, a->user, a->topic, &p));
    if (rc)
        return rc;
    p.attempts++;
    p.correct += a->correct;
    if (a->created_at > p.last_at || p.attempts == 1)
        p.last_at = a->created_at;
    return eng_progress_put(txn, a->user, a->topic, &p);
}

/* Returns 1 in *new_day when the answer opens a day for the user. */
static int apply_daily(qs_txn *txn, const eng_answer *a, int32_t day, int *new_day)
{
    eng_daily d;
    int rc = eng_daily_get(txn, a->user, day, &d);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    *new_day = rc == QS_NOTFOUND;
    d.answers++;
    d.correct += a->correct;
    d.time_ms += a->time_ms;
    return eng_daily_put(txn, a->user, day, &d);
}

int idx_user_streaks(qs_txn *txn, uint32_t user, uint32_t *streak, uint32_t *best)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_key k;
    uint32_t run = 0;
    int32_t prev = 0;
    *streak = *best = 0;
    int rc = mdb_cursor_open(eng_mdb(txn), eng_dbi(txn, ENG_UDAILY), &cur);
    if (rc)
        return eng_mdb_rc(rc, "open cursor", "udaily");
    eng_daily_key(&k, user, INT32_MIN);
    mk = (MDB_val){k.n, k.b};
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        if (mk.mv_size != 8 || eng_get32(mk.mv_data) != user)
            break;
        int32_t day = eng_day_from_bits(eng_get32((const uint8_t *)mk.mv_data + 4));
        run = run && day == prev + 1 ? run + 1 : 1;
        prev = day;
        if (run > *best)
            *best = run;
    }
    mdb_cursor_close(cur);
    *streak = run;
    return eng_walk_rc(rc, "udaily");
}

static int apply_summary(qs_txn *txn, const eng_answer *a, int32_t day, int new_day,
                         eng_usum *before)
{
    eng_usum s;
    int rc = ok_or_new(eng_usum_get(txn, a->user, &s));
    if (rc)
        return rc;
    *before = s;
    int32_t last_day = eng_day(s.last_at);
    if (s.answered == 0) {
        s.first_at = s.last_at = a->created_at;
        s.streak = s.best = 1;
    } else {
        if (a->created_at < s.first_at)
            s.first_at = a->created_at;
        if (a->created_at > s.last_at)
            s.last_at = a->created_at;
        if (new_day && day > last_day) {
            s.streak = day == last_day + 1 ? s.streak + 1 : 1;
            if (s.streak > s.best)
                s.best = s.streak;
        } else if (new_day) {   /* a day filled in before the last active one */
            rc = idx_user_streaks(txn, a->user, &s.streak, &s.best);
            if (rc)
                return rc;
        }
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
    int rc = idx_board_changed(txn, &all_was, &all_now);
    if (rc)
        return rc;
    idx_board_view week_was = {a->user, week, week_answers, week_correct};
    idx_board_view week_now = week_was;
    week_now.answers++;
    week_now.correct += a->correct;
    return idx_board_changed(txn, &week_was, &week_now);
}

int idx_apply_answer(qs_txn *txn, const eng_answer *a)
{
    int32_t day = eng_day(a->created_at);
    uint32_t week = qs_board_week(a->created_at), week_answers, week_correct;
    int first, new_day;
    eng_usum before;
    int rc;
    if ((rc = apply_user_question(txn, a, &first)) != 0 ||
        (rc = apply_question(txn, a, first)) != 0 ||
        (rc = apply_progress(txn, a)) != 0 ||
        (rc = idx_week_totals(txn, a->user, week, &week_answers, &week_correct)) != 0 ||
        (rc = apply_daily(txn, a, day, &new_day)) != 0 ||
        (rc = apply_summary(txn, a, day, new_day, &before)) != 0 ||
        (rc = apply_boards(txn, a, &before, week_answers, week_correct, week)) != 0)
        return eng_txn_failed(txn, rc);
    return 0;
}
