/* Tests the reads on hand-checked stores: stats, progress, dashboard, leaderboards. */
#include "check.h"
#include "fixture.h"

#define NOW_DAY ((int32_t)(FX_T0 / FX_DAY_MS))

/* An answer by the bank's test of user @p u on question @p qi at @p at, correct or not. */
static void answer_at(qs_txn *txn, const fx_bank *b, unsigned u, unsigned qi, int correct,
                      int64_t at, int64_t time_ms)
{
    qs_answer a;
    fx_answer_init(&a, b->tests[u], b->questions[qi], QS_ANSWERED, (int8_t)correct,
                   QS_NO_CHOICE, at);
    a.time_spent_ms = time_ms;
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
}

TEST(question_stats_count_every_answer)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_question_stats st = {.size = sizeof st};
    qs_answer a;
    uint64_t extra;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    CHECK_RC(qs_question_stats_get(txn, b.questions[0], &st), 0);
    CHECK_EQ(st.attempts, 0);
    CHECK_EQ(st.correct, 0);
    CHECK_EQ(st.users, 0);
    CHECK_EQ(st.rate_bp, 0);
    CHECK_EQ(st.score_sum, 0);
    CHECK_EQ(st.time_ms_sum, 0);

    answer_at(txn, &b, 0, 0, 1, FX_T0 - FX_DAY_MS, 1000);
    answer_at(txn, &b, 1, 0, 0, FX_T0 - FX_DAY_MS, 2000);
    extra = fx_test(txn, "extra", b.users[1], 1, NULL, 0, FX_T0 - FX_DAY_MS);
    fx_answer_init(&a, extra, b.questions[0], QS_SKIPPED, QS_GRADE, QS_NO_CHOICE, FX_T0);
    a.score = 0;
    a.time_spent_ms = 4000;
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_question_stats_get(txn, b.questions[0], &st), 0);
    CHECK_EQ(st.attempts, 3);
    CHECK_EQ(st.correct, 1);
    CHECK_EQ(st.users, 2);
    CHECK_EQ(st.rate_bp, 3333);
    CHECK_EQ(st.score_sum, 100);
    CHECK_EQ(st.time_ms_sum, 7000);
    CHECK_RC(qs_question_stats_get(txn, 4242, &st), QS_NOTFOUND);
    CHECK_RC(qs_question_stats_get(txn, b.questions[0], NULL), QS_INVALID);
    CHECK_RC(qs_question_stats_get(NULL, b.questions[0], &st), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(user_question_follows_latest_answer)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_user_question uq = {.size = sizeof uq};
    uint64_t t2, t3;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    t2 = fx_test(txn, "t2", b.users[0], 1, NULL, 0, FX_T0 - 9 * FX_DAY_MS);
    t3 = fx_test(txn, "t3", b.users[0], 1, NULL, 0, FX_T0 - 9 * FX_DAY_MS);
    answer_at(txn, &b, 0, 2, 0, FX_T0 - 5 * FX_DAY_MS, 1000);
    fx_answer(txn, t2, b.questions[2], 2, FX_T0 - 3 * FX_DAY_MS); /* correct, latest */
    fx_answer(txn, t3, b.questions[2], 0, FX_T0 - 4 * FX_DAY_MS); /* wrong, arrives late */
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_user_question_get(txn, b.users[0], b.questions[2], &uq), 0);
    CHECK_EQ(uq.attempts, 3);
    CHECK_EQ(uq.last_at, FX_T0 - 3 * FX_DAY_MS);
    CHECK_EQ(uq.last_correct, 1);
    CHECK_EQ(uq.marked, 0);
    CHECK_RC(qs_user_question_get(txn, b.users[1], b.questions[2], &uq), QS_NOTFOUND);
    CHECK_RC(qs_user_question_get(txn, b.users[0], b.questions[3], &uq), QS_NOTFOUND);
    CHECK_RC(qs_user_question_get(NULL, b.users[0], b.questions[2], &uq), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(progress_by_topic_and_cut_like_snprintf)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_progress_row rows[4], one[2];
    size_t n = 0;
    uint32_t t_lo, t_hi;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    answer_at(txn, &b, 0, 0, 1, FX_T0 - 2 * FX_DAY_MS, 10);  /* topic 0 */
    answer_at(txn, &b, 0, 1, 0, FX_T0 - 1 * FX_DAY_MS, 10);  /* topic 0, latest */
    answer_at(txn, &b, 0, 2, 1, FX_T0 - 3 * FX_DAY_MS, 10);  /* topic 0 */
    answer_at(txn, &b, 0, 9, 1, FX_T0 - 7 * FX_DAY_MS, 10);  /* topic 3 */
    answer_at(txn, &b, 0, 4, 0, FX_T0 - 6 * FX_DAY_MS, 10);  /* topic 1 */
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_progress(txn, b.users[0], rows, 4, &n), 0);
    CHECK_EQ(n, 3);
    for (size_t i = 1; i < n; i++)
        CHECK(rows[i - 1].topic < rows[i].topic);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].topic == b.topics[0]) {
            CHECK_EQ(rows[i].attempts, 3);
            CHECK_EQ(rows[i].correct, 2);
            CHECK_EQ(rows[i].rate_bp, 6666);
            CHECK_EQ(rows[i].last_answered_at, FX_T0 - FX_DAY_MS);
        } else if (rows[i].topic == b.topics[1]) {
            CHECK_EQ(rows[i].attempts, 1);
            CHECK_EQ(rows[i].correct, 0);
            CHECK_EQ(rows[i].rate_bp, 0);
            CHECK_EQ(rows[i].last_answered_at, FX_T0 - 6 * FX_DAY_MS);
        } else {
            CHECK_EQ(rows[i].topic, b.topics[3]);
            CHECK_EQ(rows[i].rate_bp, 10000);
        }
    }
    t_lo = rows[0].topic;
    t_hi = rows[1].topic;
    memset(one, 0x77, sizeof one);
    CHECK_RC(qs_progress(txn, b.users[0], one, 1, &n), 0);
    CHECK_EQ(n, 3);
    CHECK_EQ(one[0].topic, t_lo);
    CHECK_EQ(one[1].topic, 0x77777777u);
    CHECK(t_hi > t_lo);

    CHECK_RC(qs_progress(txn, b.users[1], rows, 4, &n), 0);
    CHECK_EQ(n, 0);
    CHECK_RC(qs_progress(txn, 4242, rows, 4, &n), QS_NOTFOUND);
    CHECK_RC(qs_progress(txn, b.users[0], rows, 4, NULL), QS_INVALID);
    CHECK_RC(qs_progress(NULL, b.users[0], rows, 4, &n), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(dashboard_window_and_streaks)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_dashboard d = {.size = sizeof d};
    static const int offsets[] = {-40, -39, -38, -37, -30, -29, -28, -1, 0, 0, 1};
    const size_t n_off = NCASES(offsets);

    fx_bank_build(env, &b);
    txn = fx_write(env);
    for (size_t i = 0; i < n_off; i++)
        answer_at(txn, &b, 0, (unsigned)i, (int)(i % 2), FX_T0 + offsets[i] * FX_DAY_MS + 5 * FX_HOUR_MS,
                  1000 * (int64_t)(i + 1));
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0 + 12 * FX_HOUR_MS, &d), 0);
    CHECK_EQ(d.summary.answered, n_off);
    CHECK_EQ(d.summary.correct, 5);
    CHECK_EQ(d.summary.rate_bp, 10000 * 5 / 11);
    CHECK_EQ(d.summary.time_ms, 66000);
    CHECK_EQ(d.summary.last_day, NOW_DAY + 1);
    CHECK_EQ(d.summary.streak, 3);      /* -1, 0, +1 */
    CHECK_EQ(d.summary.best_streak, 4); /* -40 .. -37 */
    /* Days -29 .. 0, oldest first; -30 and +1 are outside. */
    CHECK_EQ(d.n_days, 4);
    CHECK_EQ(d.days[0].day, NOW_DAY - 29);
    CHECK_EQ(d.days[1].day, NOW_DAY - 28);
    CHECK_EQ(d.days[2].day, NOW_DAY - 1);
    CHECK_EQ(d.days[3].day, NOW_DAY);
    CHECK_EQ(d.days[3].answers, 2);
    CHECK_EQ(d.days[3].correct, 1);
    CHECK_EQ(d.days[3].time_ms, 9000 + 10000);
    CHECK_EQ(d.days[0].answers, 1);
    CHECK_EQ(d.days[0].time_ms, 6000);

    /* Another now: the window moves, the summary does not. */
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0 - 10 * FX_DAY_MS, &d), 0);
    CHECK_EQ(d.summary.answered, n_off);
    CHECK_EQ(d.n_days, 6);
    CHECK_EQ(d.days[0].day, NOW_DAY - 39);
    CHECK_EQ(d.days[5].day, NOW_DAY - 28);
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0 - 1000 * FX_DAY_MS, &d), 0);
    CHECK_EQ(d.n_days, 0);

    /* A user with no answers. */
    CHECK_RC(qs_dashboard_get(txn, b.users[1], FX_T0, &d), 0);
    CHECK_EQ(d.summary.answered, 0);
    CHECK_EQ(d.summary.rate_bp, 0);
    CHECK_EQ(d.summary.last_day, QS_NO_DAY);
    CHECK_EQ(d.summary.streak, 0);
    CHECK_EQ(d.summary.best_streak, 0);
    CHECK_EQ(d.n_days, 0);

    CHECK_RC(qs_dashboard_get(txn, 4242, FX_T0, &d), QS_NOTFOUND);
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0, NULL), QS_INVALID);
    CHECK_RC(qs_dashboard_get(NULL, b.users[0], FX_T0, &d), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(streak_recomputed_when_gap_filled_late)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_dashboard d = {.size = sizeof d};

    fx_bank_build(env, &b);
    txn = fx_write(env);
    answer_at(txn, &b, 0, 0, 1, FX_T0 - 4 * FX_DAY_MS, 1);
    answer_at(txn, &b, 0, 1, 1, FX_T0 - 3 * FX_DAY_MS, 1);
    answer_at(txn, &b, 0, 2, 1, FX_T0 - 1 * FX_DAY_MS, 1);
    answer_at(txn, &b, 0, 3, 1, FX_T0, 1);
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0, &d), 0);
    CHECK_EQ(d.summary.streak, 2);
    CHECK_EQ(d.summary.best_streak, 2);
    fx_commit(txn);

    /* The missing day arrives last: one run of five. */
    txn = fx_write(env);
    answer_at(txn, &b, 0, 4, 0, FX_T0 - 2 * FX_DAY_MS, 1);
    fx_commit(txn);
    txn = fx_read(env);
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0, &d), 0);
    CHECK_EQ(d.summary.last_day, NOW_DAY);
    CHECK_EQ(d.summary.streak, 5);
    CHECK_EQ(d.summary.best_streak, 5);
    qs_txn_abort(txn);

    /* An old day far back changes neither. */
    txn = fx_write(env);
    answer_at(txn, &b, 0, 5, 0, FX_T0 - 100 * FX_DAY_MS, 1);
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0, &d), 0);
    CHECK_EQ(d.summary.streak, 5);
    CHECK_EQ(d.summary.best_streak, 5);
    CHECK_EQ(d.summary.last_day, NOW_DAY);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(days_floor_before_epoch)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_dashboard d = {.size = sizeof d};

    fx_bank_build(env, &b);
    txn = fx_write(env);
    answer_at(txn, &b, 1, 0, 1, -1, 5);
    answer_at(txn, &b, 1, 1, 1, 0, 5);
    fx_commit(txn);
    txn = fx_read(env);
    CHECK_RC(qs_dashboard_get(txn, b.users[1], 0, &d), 0);
    CHECK_EQ(d.summary.last_day, 0);
    CHECK_EQ(d.summary.streak, 2);
    CHECK_EQ(d.n_days, 2);
    CHECK_EQ(d.days[0].day, -1);
    CHECK_EQ(d.days[1].day, 0);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ---- leaderboards ---------------------------------------------------------------- */

TEST(board_week_is_the_iso_week)
{
    const int64_t monday = FX_T0 - 3 * FX_DAY_MS; /* 2025-12-29 */
    uint32_t w = qs_board_week(monday);
    CHECK(w != QS_BOARD_ALL_TIME);
    CHECK_EQ(qs_board_week(monday + 7 * FX_DAY_MS - 1), w);
    CHECK_EQ(qs_board_week(FX_T0), w);
    CHECK(qs_board_week(monday - 1) != w);
    CHECK(qs_board_week(monday + 7 * FX_DAY_MS) != w);
    CHECK(qs_board_week(monday + 7 * FX_DAY_MS) != qs_board_week(monday - 1));
    CHECK(qs_board_week(monday + 7 * FX_DAY_MS) != QS_BOARD_ALL_TIME);
}

TEST(leaderboards_order_and_rank)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_rank_row rows[8], row;
    size_t n = 0;
    uint32_t idle, third, lo, hi;
    uint64_t third_test;
    const int64_t week1 = FX_T0 - 3 * FX_DAY_MS, week2 = week1 + 7 * FX_DAY_MS;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    idle = fx_user(txn, "idle", FX_T0);
    third = fx_user(txn, "third", FX_T0);
    third_test = fx_test(txn, "third-test", third, 1, NULL, 0, FX_T0);
    /* users[0]: 3 correct (2 in week 1); users[1]: 3 correct (all in week 2);
     * third: 1 correct in week 1, 2 wrong in week 2. */
    answer_at(txn, &b, 0, 0, 1, week1 + FX_HOUR_MS, 1);
    answer_at(txn, &b, 0, 1, 1, week1 + 6 * FX_DAY_MS, 1);
    answer_at(txn, &b, 0, 2, 1, week2, 1);
    answer_at(txn, &b, 0, 3, 0, week2 + FX_HOUR_MS, 1);
    for (unsigned i = 4; i < 7; i++)
        answer_at(txn, &b, 1, i, 1, week2 + i * FX_HOUR_MS, 1);
    fx_answer(txn, third_test, b.questions[0], 0, week1 + 2 * FX_DAY_MS);
    fx_answer(txn, third_test, b.questions[1], 0, week2 + FX_DAY_MS);
    fx_answer(txn, third_test, b.questions[2], 0, week2 + 2 * FX_DAY_MS);
    fx_commit(txn);

    txn = fx_read(env);
    lo = b.users[0] < b.users[1] ? b.users[0] : b.users[1];
    hi = b.users[0] < b.users[1] ? b.users[1] : b.users[0];
    CHECK_RC(qs_leaderboard_top(txn, QS_BOARD_ALL_TIME, rows, 8, &n), 0);
    CHECK_EQ(n, 4);
    CHECK_EQ(rows[0].user, lo);
    CHECK_EQ(rows[0].correct, 3);
    CHECK_EQ(rows[0].rank, 1);
    CHECK_EQ(rows[1].user, hi);
    CHECK_EQ(rows[1].correct, 3);
    CHECK_EQ(rows[1].rank, 2);
    CHECK_EQ(rows[2].user, third);
    CHECK_EQ(rows[2].correct, 1);
    CHECK_EQ(rows[2].rank, 3);
    CHECK_EQ(rows[3].user, idle);
    CHECK_EQ(rows[3].correct, 0);
    CHECK_EQ(rows[3].rank, 4);
    CHECK_RC(qs_leaderboard_top(txn, QS_BOARD_ALL_TIME, rows, 2, &n), 0);
    CHECK_EQ(n, 4);
    CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, idle, &row), 0);
    CHECK_EQ(row.rank, 4);
    CHECK_EQ(row.user, idle);
    CHECK_EQ(row.correct, 0);
    CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, hi, &row), 0);
    CHECK_EQ(row.rank, 2);
    CHECK_EQ(row.correct, 3);

    /* Week 1: users[0] (2), third (1). */
    CHECK_RC(qs_leaderboard_top(txn, qs_board_week(week1), rows, 8, &n), 0);
    CHECK_EQ(n, 2);
    CHECK_EQ(rows[0].user, b.users[0]);
    CHECK_EQ(rows[0].correct, 2);
    CHECK_EQ(rows[0].rank, 1);
    CHECK_EQ(rows[1].user, third);
    CHECK_EQ(rows[1].correct, 1);
    CHECK_EQ(rows[1].rank, 2);
    CHECK_RC(qs_leaderboard_rank(txn, qs_board_week(week1), b.users[1], &row), 0);
    CHECK_EQ(row.rank, 0);
    CHECK_EQ(row.correct, 0);
    CHECK_RC(qs_leaderboard_rank(txn, qs_board_week(week1), idle, &row), 0);
    CHECK_EQ(row.rank, 0);
    /* Week 2: users[1] (3), users[0] (1), third (0 correct, but answered). */
    CHECK_RC(qs_leaderboard_top(txn, qs_board_week(week2), rows, 8, &n), 0);
    CHECK_EQ(n, 3);
    CHECK_EQ(rows[0].user, b.users[1]);
    CHECK_EQ(rows[0].correct, 3);
    CHECK_EQ(rows[1].user, b.users[0]);
    CHECK_EQ(rows[1].correct, 1);
    CHECK_EQ(rows[2].user, third);
    CHECK_EQ(rows[2].correct, 0);
    CHECK_EQ(rows[2].rank, 3);
    CHECK_RC(qs_leaderboard_rank(txn, qs_board_week(week2), third, &row), 0);
    CHECK_EQ(row.rank, 3);
    CHECK_EQ(row.correct, 0);
    /* A week nobody answered in. */
    CHECK_RC(qs_leaderboard_top(txn, qs_board_week(week2 + 70 * FX_DAY_MS), rows, 8, &n), 0);
    CHECK_EQ(n, 0);

    CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, 4242, &row), QS_NOTFOUND);
    CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, idle, NULL), QS_INVALID);
    CHECK_RC(qs_leaderboard_top(txn, QS_BOARD_ALL_TIME, rows, 8, NULL), QS_INVALID);
    CHECK_RC(qs_leaderboard_top(NULL, QS_BOARD_ALL_TIME, rows, 8, &n), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(question_stats_count_every_answer),
        CASE(user_question_follows_latest_answer),
        CASE(progress_by_topic_and_cut_like_snprintf),
        CASE(dashboard_window_and_streaks),
        CASE(streak_recomputed_when_gap_filled_late),
        CASE(days_floor_before_epoch),
        CASE(board_week_is_the_iso_week),
        CASE(leaderboards_order_and_rank),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
