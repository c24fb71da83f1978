/* Tests answer submit/get/scan, review marks and interaction logging. */
#include "check.h"
#include "fixture.h"

/* 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z: answer and event times lie between. */
#define QS_TEST_YEAR1 (-62135596800000LL)
#define QS_TEST_YEAR10000 253402300800000LL

TEST(submit_and_get_round_trip)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_answer a, got;
    uint64_t id = 0;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer_init(&a, b.tests[1], b.questions[7], QS_ANSWERED, QS_GRADE, 3, FX_T0 - 777);
    a.score = 80;
    a.time_spent_ms = 45678;
    CHECK_RC(qs_answer_submit(txn, &a, &id), 0);
    CHECK(id != 0);
    fx_commit(txn);

    txn = fx_read(env);
    memset(&got, 0xee, sizeof got);
    CHECK_RC(qs_answer_get(txn, b.tests[1], b.questions[7], &got), 0);
    CHECK_EQ(got.id, id);
    CHECK_EQ(got.test, b.tests[1]);
    CHECK_EQ(got.question, b.questions[7]);
    CHECK_EQ(got.user, b.users[1]);        /* 0 on submit: the test's user */
    CHECK_EQ(got.topic, b.topics[2]);
    CHECK_EQ(got.correct, 1);              /* key of question 7 is 3 */
    CHECK_EQ(got.chosen, 3);
    CHECK_EQ(got.status, QS_ANSWERED);
    CHECK_EQ(got.score, 80);
    CHECK_EQ(got.time_spent_ms, 45678);
    CHECK_EQ(got.created_at, FX_T0 - 777);

    CHECK_RC(qs_answer_get(txn, b.tests[1], b.questions[6], &got), QS_NOTFOUND);
    CHECK_RC(qs_answer_get(txn, b.tests[0], b.questions[7], &got), QS_NOTFOUND);
    CHECK_RC(qs_answer_get(txn, 999999, b.questions[7], &got), QS_NOTFOUND);
    CHECK_RC(qs_answer_get(txn, b.tests[1], b.questions[7], NULL), QS_INVALID);
    CHECK_RC(qs_answer_get(NULL, b.tests[1], b.questions[7], &got), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* Submits @p a expecting @p rc, and checks that nothing an answer to question 0 or 1
 * of user 0's test touches changed. */
static void submit_changes_nothing(qs_txn *txn, const fx_bank *b, const qs_answer *a, int rc,
                                   int line)
{
    fx_aggregates before[2], after[2];
    int got;
    for (int i = 0; i < 2; i++)
        fx_aggregates_read(txn, b->users[0], b->questions[i], b->tests[0], FX_T0, &before[i]);
    got = qs_answer_submit(txn, a, NULL);
    if (got != rc)
        check_fail_here(__FILE__, line,
                        "qs_answer_submit returned %d (%s), expected %d (%s); errmsg: \"%s\"",
                        got, qs_strerror(got), rc, qs_strerror(rc), qs_errmsg());
    for (int i = 0; i < 2; i++) {
        fx_aggregates_read(txn, b->users[0], b->questions[i], b->tests[0], FX_T0, &after[i]);
        if (!fx_aggregates_equal(&before[i], &after[i]))
            check_fail_here(__FILE__, line, "a refused submit changed the aggregates");
    }
}

#define REFUSED(a, rc) submit_changes_nothing(txn, &b, &(a), (rc), __LINE__)

TEST(submit_rejects_bad_input)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_answer a;
    uint64_t closed, other_users;
    uint32_t listed[2];

    fx_bank_build(env, &b);
    txn = fx_write(env);
    listed[0] = b.questions[0];
    listed[1] = b.questions[1];
    closed = fx_test(txn, "closed", b.users[0], 0, listed, 2, FX_T0 - FX_DAY_MS);
    other_users = b.tests[1];
    fx_answer(txn, b.tests[0], b.questions[0], 0, FX_T0 - FX_HOUR_MS);

#define BASE() fx_answer_init(&a, b.tests[0], b.questions[1], QS_ANSWERED, QS_GRADE, 1, FX_T0)
    BASE();
    CHECK_RC(qs_answer_submit(NULL, &a, NULL), QS_INVALID);
    CHECK_RC(qs_answer_submit(txn, NULL, NULL), QS_INVALID);
    BASE(); a.score = 9;                    REFUSED(a, QS_INVALID);
    BASE(); a.score = 91;                   REFUSED(a, QS_INVALID);
    BASE(); a.score = 255;                  REFUSED(a, QS_INVALID);
    BASE(); a.time_spent_ms = -1;           REFUSED(a, QS_INVALID);
    BASE(); a.time_spent_ms = 1LL << 32;    REFUSED(a, QS_INVALID);
    BASE(); a.status = 0;                   REFUSED(a, QS_INVALID);
    BASE(); a.status = QS_FLAGGED + 1;      REFUSED(a, QS_INVALID);
    BASE(); a.chosen = 4;                   REFUSED(a, QS_INVALID); /* 4 options */
    BASE(); a.chosen = QS_MAX_OPTIONS;      REFUSED(a, QS_INVALID);
    BASE(); a.chosen = -2;                  REFUSED(a, QS_INVALID);
    BASE(); a.correct = 2;                  REFUSED(a, QS_INVALID);
    BASE(); a.chosen = QS_NO_CHOICE;        REFUSED(a, QS_INVALID); /* nothing to grade */
    BASE(); a.user = b.users[1];            REFUSED(a, QS_INVALID);
    BASE(); a.test = other_users; a.user = b.users[0]; REFUSED(a, QS_INVALID);
    BASE(); a.test = closed; a.question = b.questions[5]; REFUSED(a, QS_INVALID);
    BASE(); a.test = 987654;                REFUSED(a, QS_NOTFOUND);
    BASE(); a.question = 987654;            REFUSED(a, QS_NOTFOUND);
    BASE(); a.question = b.questions[0];    REFUSED(a, QS_EXISTS);
    BASE(); a.created_at = QS_TEST_YEAR1 - 1;  REFUSED(a, QS_INVALID);
    BASE(); a.created_at = QS_TEST_YEAR10000;  REFUSED(a, QS_INVALID);
    BASE(); a.created_at = INT64_MIN;          REFUSED(a, QS_INVALID);
    BASE(); a.created_at = INT64_MAX;          REFUSED(a, QS_INVALID);
#undef BASE

    /* The boundaries are accepted. */
    fx_answer_init(&a, b.tests[0], b.questions[1], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    a.score = 10;
    a.time_spent_ms = 0;
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    fx_answer_init(&a, b.tests[0], b.questions[2], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    a.score = 90;
    a.time_spent_ms = (1LL << 32) - 1;
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    fx_answer_init(&a, b.tests[0], b.questions[3], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    a.score = 0;
    a.user = b.users[0];
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    fx_answer_init(&a, closed, b.questions[1], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    fx_answer_init(&a, b.tests[0], b.questions[4], QS_ANSWERED, QS_GRADE, 1, QS_TEST_YEAR1);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    fx_answer_init(&a, b.tests[0], b.questions[5], QS_ANSWERED, QS_GRADE, 1,
                   QS_TEST_YEAR10000 - 1);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(duplicate_answer_changes_nothing)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_answer a, got;
    fx_aggregates before, after;
    uint64_t first, second_test, id = 0;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    first = fx_answer(txn, b.tests[0], b.questions[0], 2, FX_T0 - 2 * FX_DAY_MS);
    fx_commit(txn);

    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &before);
    qs_txn_abort(txn);

    /* Same (test, question), different everything else: refused in its own txn. */
    txn = fx_write(env);
    fx_answer_init(&a, b.tests[0], b.questions[0], QS_FLAGGED, 1, 0, FX_T0 - FX_DAY_MS);
    a.score = 90;
    CHECK_RC(qs_answer_submit(txn, &a, &id), QS_EXISTS);
    fx_commit(txn);

    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&before, &after));
    CHECK_EQ(after.uq.marked, 0);
    CHECK_RC(qs_answer_get(txn, b.tests[0], b.questions[0], &got), 0);
    CHECK_EQ(got.id, first);
    CHECK_EQ(got.correct, 0);
    CHECK_EQ(got.chosen, 2);
    CHECK_EQ(got.created_at, FX_T0 - 2 * FX_DAY_MS);
    qs_txn_abort(txn);

    /* The same question in another test of the same user is a new attempt. */
    txn = fx_write(env);
    second_test = fx_test(txn, "second", b.users[0], 1, NULL, 0, FX_T0 - FX_DAY_MS);
    fx_answer(txn, second_test, b.questions[0], 0, FX_T0 - FX_DAY_MS);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK_EQ(after.qstats.attempts, 2);
    CHECK_EQ(after.qstats.correct, 1);
    CHECK_EQ(after.qstats.users, 1);
    CHECK_EQ(after.uq.attempts, 2);
    CHECK_EQ(after.uq.last_correct, 1);
    CHECK_EQ(after.uq.last_at, FX_T0 - FX_DAY_MS);
    fx_commit(txn);
    qs_env_close(env);
}

static int8_t stored_correct(qs_txn *txn, uint64_t test, uint32_t question)
{
    qs_answer got;
    CHECK_RC(qs_answer_get(txn, test, question, &got), 0);
    return got.correct;
}

TEST(grading_rules)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_answer a;
    qs_question q = {.size = sizeof q};
    qs_user_question uq = {.size = sizeof uq};
    uint32_t bare;
    uint64_t t = 0;
    int rc;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    t = b.tests[0];
    /* Graded against the key (question i has key i % 4). */
    fx_answer_init(&a, t, b.questions[5], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    CHECK_EQ(stored_correct(txn, t, b.questions[5]), 1);
    fx_answer_init(&a, t, b.questions[6], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    CHECK_EQ(stored_correct(txn, t, b.questions[6]), 0);
    /* An explicit result wins over the choice. */
    fx_answer_init(&a, t, b.questions[7], QS_ANSWERED, 1, 0, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    CHECK_EQ(stored_correct(txn, t, b.questions[7]), 1);
    fx_answer_init(&a, t, b.questions[8], QS_ANSWERED, 0, QS_NO_CHOICE, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    CHECK_EQ(stored_correct(txn, t, b.questions[8]), 0);
    /* A skipped answer is never correct. */
    fx_answer_init(&a, t, b.questions[9], QS_SKIPPED, QS_GRADE, QS_NO_CHOICE, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    CHECK_EQ(stored_correct(txn, t, b.questions[9]), 0);
    fx_answer_init(&a, t, b.questions[10], QS_SKIPPED, 1, QS_NO_CHOICE, FX_T0);
    rc = qs_answer_submit(txn, &a, NULL);
    CHECK_MSG(rc == QS_INVALID || rc == 0, "rc %d (%s)", rc, qs_strerror(rc));
    if (rc == 0)
        CHECK_EQ(stored_correct(txn, t, b.questions[10]), 0);
    /* A flagged answer is graded and sets the review mark. */
    fx_answer_init(&a, t, b.questions[11], QS_FLAGGED, QS_GRADE, 3, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    CHECK_EQ(stored_correct(txn, t, b.questions[11]), 1);
    CHECK_RC(qs_user_question_get(txn, b.users[0], b.questions[11], &uq), 0);
    CHECK_EQ(uq.marked, 1);
    CHECK_EQ(uq.last_correct, 1);
    CHECK_RC(qs_user_question_get(txn, b.users[0], b.questions[5], &uq), 0);
    CHECK_EQ(uq.marked, 0);
    /* Without option texts the key still grades. */
    fx_question_init(&q, "bare", b.subject, b.systems[0], b.topics[0], 1, 0, 2);
    CHECK_RC(qs_question_put(txn, &q, &bare), 0);
    fx_answer_init(&a, t, bare, QS_ANSWERED, QS_GRADE, 2, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    CHECK_EQ(stored_correct(txn, t, bare), 1);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(question_mark_sets_and_clears)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_user_question uq = {.size = sizeof uq};
    int rc;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    CHECK_RC(qs_user_question_get(txn, b.users[1], b.questions[3], &uq), QS_NOTFOUND);
    CHECK_RC(qs_question_mark(txn, b.users[1], b.questions[3], 1), 0);
    CHECK_RC(qs_user_question_get(txn, b.users[1], b.questions[3], &uq), 0);
    CHECK_EQ(uq.marked, 1);
    CHECK_EQ(uq.attempts, 0);
    CHECK_RC(qs_question_mark(txn, b.users[1], b.questions[3], 0), 0);
    rc = qs_user_question_get(txn, b.users[1], b.questions[3], &uq);
    CHECK(rc == QS_NOTFOUND || (rc == 0 && uq.marked == 0 && uq.attempts == 0));

    /* A mark on an answered question stays through later answers. */
    fx_answer(txn, b.tests[1], b.questions[4], 0, FX_T0 - FX_DAY_MS);
    CHECK_RC(qs_question_mark(txn, b.users[1], b.questions[4], 1), 0);
    fx_commit(txn);
    txn = fx_read(env);
    CHECK_RC(qs_user_question_get(txn, b.users[1], b.questions[4], &uq), 0);
    CHECK_EQ(uq.marked, 1);
    CHECK_EQ(uq.attempts, 1);
    CHECK_EQ(uq.last_correct, 1);
    CHECK_EQ(uq.last_at, FX_T0 - FX_DAY_MS);
    qs_txn_abort(txn);

    txn = fx_write(env);
    CHECK_RC(qs_question_mark(txn, 4242, b.questions[4], 1), QS_NOTFOUND);
    CHECK_RC(qs_question_mark(txn, b.users[1], 4242, 1), QS_NOTFOUND);
    CHECK_RC(qs_question_mark(NULL, b.users[1], b.questions[4], 1), QS_INVALID);
    CHECK_RC(qs_question_mark(txn, b.users[1], b.questions[4], 0), 0);
    CHECK_RC(qs_user_question_get(txn, b.users[1], b.questions[4], &uq), 0);
    CHECK_EQ(uq.marked, 0);
    CHECK_EQ(uq.attempts, 1);
    CHECK_RC(qs_user_question_get(txn, b.users[1], b.questions[4], NULL), QS_INVALID);
    CHECK_RC(qs_user_question_get(txn, 4242, b.questions[4], &uq), QS_NOTFOUND);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(open_test_grows_closed_test_does_not)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_test got = {.size = sizeof got};
    qs_answer a;
    uint32_t listed[2];
    uint64_t closed;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[3], 0, FX_T0 - 3 * FX_HOUR_MS);
    fx_answer(txn, b.tests[0], b.questions[1], 0, FX_T0 - 2 * FX_HOUR_MS);
    CHECK_RC(qs_test_get(txn, b.tests[0], &got), 0);
    CHECK_EQ(got.n_questions, 2);
    CHECK_EQ(got.open_list, 1);
    CHECK(got.questions[0] == b.questions[3] || got.questions[1] == b.questions[3]);
    CHECK(got.questions[0] == b.questions[1] || got.questions[1] == b.questions[1]);

    listed[0] = b.questions[2];
    listed[1] = b.questions[4];
    closed = fx_test(txn, "closed", b.users[0], 0, listed, 2, FX_T0 - FX_DAY_MS);
    fx_answer(txn, closed, b.questions[4], 0, FX_T0 - FX_HOUR_MS);
    fx_answer_init(&a, closed, b.questions[5], QS_ANSWERED, QS_GRADE, 0, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_INVALID);
    CHECK_RC(qs_test_get(txn, closed, &got), 0);
    CHECK_EQ(got.n_questions, 2);
    CHECK_EQ(got.questions[0], b.questions[2]);
    CHECK_EQ(got.questions[1], b.questions[4]);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(answer_moves_test_last_activity)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_test got = {.size = sizeof got};

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[0], 0, FX_T0 - 5 * FX_DAY_MS);
    CHECK_RC(qs_test_get(txn, b.tests[0], &got), 0);
    CHECK_EQ(got.last_activity_at, FX_T0 - 5 * FX_DAY_MS);
    fx_answer(txn, b.tests[0], b.questions[1], 0, FX_T0 - 2 * FX_DAY_MS);
    CHECK_RC(qs_test_get(txn, b.tests[0], &got), 0);
    CHECK_EQ(got.last_activity_at, FX_T0 - 2 * FX_DAY_MS);
    /* A late-arriving older answer does not move the last activity back. */
    fx_answer(txn, b.tests[0], b.questions[2], 0, FX_T0 - 4 * FX_DAY_MS);
    CHECK_RC(qs_test_get(txn, b.tests[0], &got), 0);
    CHECK_EQ(got.last_activity_at, FX_T0 - 2 * FX_DAY_MS);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(completed_open_test_follows_its_last_answer)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_test t = {.size = sizeof t}, got = {.size = sizeof got};
    uint64_t open_id = 0, closed_id = 0;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_test_init(&t, "open-done", b.users[0], 1, NULL, 0, FX_T0 - 2 * FX_DAY_MS);
    t.status = QS_TEST_COMPLETED;
    t.completed_at = FX_T0 - FX_DAY_MS;
    CHECK_RC(qs_test_put(txn, &t, &open_id), 0);
    fx_test_init(&t, "closed-done", b.users[0], 0, b.questions, 4, FX_T0 - 2 * FX_DAY_MS);
    t.status = QS_TEST_COMPLETED;
    t.completed_at = FX_T0 - FX_DAY_MS;
    CHECK_RC(qs_test_put(txn, &t, &closed_id), 0);

    fx_answer(txn, open_id, b.questions[0], 0, FX_T0 - FX_DAY_MS - FX_HOUR_MS);
    CHECK_RC(qs_test_get(txn, open_id, &got), 0);
    CHECK_EQ(got.completed_at, FX_T0 - FX_DAY_MS);
    fx_answer(txn, open_id, b.questions[1], 1, FX_T0 - FX_DAY_MS + FX_HOUR_MS);
    CHECK_RC(qs_test_get(txn, open_id, &got), 0);
    CHECK_EQ(got.completed_at, FX_T0 - FX_DAY_MS + FX_HOUR_MS);
    CHECK_EQ(got.last_activity_at, FX_T0 - FX_DAY_MS + FX_HOUR_MS);
    CHECK_EQ(got.status, QS_TEST_COMPLETED);
    /* A closed list keeps the completion time it was given. */
    fx_answer(txn, closed_id, b.questions[2], 2, FX_T0 - FX_DAY_MS + FX_HOUR_MS);
    CHECK_RC(qs_test_get(txn, closed_id, &got), 0);
    CHECK_EQ(got.completed_at, FX_T0 - FX_DAY_MS);
    CHECK_EQ(got.last_activity_at, FX_T0 - FX_DAY_MS + FX_HOUR_MS);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(retag_keeps_past_answers_topic)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_question q = {.size = sizeof q};
    qs_answer got;
    qs_progress_row rows[8];
    size_t n = 0;
    uint32_t id = 0;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[0], 0, FX_T0 - 2 * FX_DAY_MS);
    /* Move question 0 from topics[0] to topics[3] (systems[1]). */
    fx_question_init(&q, "q-0", b.subject, b.systems[1], b.topics[3], 1, 4, 0);
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    CHECK_EQ(id, b.questions[0]);
    fx_answer(txn, b.tests[1], b.questions[0], 1, FX_T0 - FX_DAY_MS);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_answer_get(txn, b.tests[0], b.questions[0], &got), 0);
    CHECK_EQ(got.topic, b.topics[0]);
    CHECK_RC(qs_answer_get(txn, b.tests[1], b.questions[0], &got), 0);
    CHECK_EQ(got.topic, b.topics[3]);
    CHECK_RC(qs_progress(txn, b.users[0], rows, 8, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(rows[0].topic, b.topics[0]);
    CHECK_RC(qs_progress(txn, b.users[1], rows, 8, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(rows[0].topic, b.topics[3]);
    CHECK_EQ(rows[0].correct, 0);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ---- scan ------------------------------------------------------------------------- */

typedef struct scan_log {
    qs_answer rows[64];
    int n;
    int stop_after;
} scan_log;

static int collect(const qs_answer *a, void *ctx)
{
    scan_log *log = ctx;
    if (log->n < 64)
        log->rows[log->n] = *a;
    log->n++;
    return log->stop_after > 0 && log->n == log->stop_after ? 42 : 0;
}

TEST(scan_returns_range_in_bucket_user_time_order)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    scan_log log;
    const int64_t dec = FX_T0 - 10 * FX_DAY_MS, jan = FX_T0 + 3 * FX_DAY_MS;
    uint64_t ids[6];
    int rc;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    /* January answers of user 1 then user 0, and December ones, out of order. */
    ids[0] = fx_answer(txn, b.tests[1], b.questions[0], 0, jan + 5);
    ids[1] = fx_answer(txn, b.tests[0], b.questions[1], 0, jan + 9);
    ids[2] = fx_answer(txn, b.tests[0], b.questions[2], 0, dec);
    ids[3] = fx_answer(txn, b.tests[1], b.questions[3], 0, dec - 1);
    ids[4] = fx_answer(txn, b.tests[0], b.questions[4], 0, jan + 9);
    ids[5] = fx_answer(txn, b.tests[0], b.questions[5], 0, jan + 1);
    fx_commit(txn);

    txn = fx_read(env);
    memset(&log, 0, sizeof log);
    CHECK_RC(qs_answer_scan(txn, INT64_MIN, INT64_MAX, collect, &log), 0);
    CHECK_EQ(log.n, 6);
    /* December bucket first; within a bucket by (user, created_at, id). */
    for (int i = 0; i < 6; i++) {
        int found = 0;
        for (int j = 0; j < 6; j++)
            found += log.rows[j].id == ids[i];
        CHECK_MSG(found == 1, "answer %d seen %d times", i, found);
    }
    for (int i = 1; i < 6; i++) {
        const qs_answer *p = &log.rows[i - 1], *c = &log.rows[i];
        int pb = p->created_at >= FX_T0, cb = c->created_at >= FX_T0;
        CHECK_MSG(pb < cb || (pb == cb && (p->user < c->user ||
                                           (p->user == c->user &&
                                            (p->created_at < c->created_at ||
                                             (p->created_at == c->created_at && p->id < c->id))))),
                  "row %d (user %u, at %lld, id %llu) before row %d (user %u, at %lld, id %llu)",
                  i - 1, p->user, (long long)p->created_at, (unsigned long long)p->id, i,
                  c->user, (long long)c->created_at, (unsigned long long)c->id);
    }
    for (int i = 0; i < 6; i++)
        if (log.rows[i].id == ids[0]) {
            CHECK_EQ(log.rows[i].user, b.users[1]);
            CHECK_EQ(log.rows[i].test, b.tests[1]);
            CHECK_EQ(log.rows[i].question, b.questions[0]);
            CHECK_EQ(log.rows[i].topic, b.topics[0]);
            CHECK_EQ(log.rows[i].created_at, jan + 5);
            CHECK_EQ(log.rows[i].correct, 1);
            CHECK_EQ(log.rows[i].score, 50);
            CHECK_EQ(log.rows[i].time_spent_ms, 30000);
        }

    /* from is inclusive, to exclusive. */
    memset(&log, 0, sizeof log);
    CHECK_RC(qs_answer_scan(txn, jan + 1, jan + 9, collect, &log), 0);
    CHECK_EQ(log.n, 2);
    CHECK((log.rows[0].id == ids[5] && log.rows[1].id == ids[0]) ||
          (log.rows[0].id == ids[0] && log.rows[1].id == ids[5]));
    /* An empty range yields nothing (refusing it as inconsistent is allowed too). */
    memset(&log, 0, sizeof log);
    rc = qs_answer_scan(txn, jan + 100, jan, collect, &log);
    CHECK_MSG(rc == 0 || rc == QS_INVALID, "rc %d (%s)", rc, qs_strerror(rc));
    CHECK_EQ(log.n, 0);

    /* The callback's non-zero value stops the scan and is returned. */
    memset(&log, 0, sizeof log);
    log.stop_after = 3;
    CHECK_RC(qs_answer_scan(txn, INT64_MIN, INT64_MAX, collect, &log), 42);
    CHECK_EQ(log.n, 3);

    CHECK_RC(qs_answer_scan(txn, 0, INT64_MAX, NULL, &log), QS_INVALID);
    CHECK_RC(qs_answer_scan(NULL, 0, INT64_MAX, collect, &log), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ---- interactions ------------------------------------------------------------------ */

TEST(interaction_log_checks_and_sequences)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_interaction ix;
    static char payload[QS_PAYLOAD_MAX + 1];
    uint64_t seq1 = 0, seq2 = 0, seq3 = 0;

    fx_bank_build(env, &b);
    memset(payload, 'p', sizeof payload);
    txn = fx_write(env);
    memset(&ix, 0, sizeof ix);
    ix.user = b.users[0];
    ix.action = 3;
    ix.created_at = FX_T0 - FX_HOUR_MS;
    ix.payload = "{\"note\":\"check the murmur\"}";
    ix.payload_len = strlen(ix.payload);
    CHECK_RC(qs_interaction_log(txn, &ix, &seq1), 0);
    ix.payload = NULL;
    ix.payload_len = 0;
    CHECK_RC(qs_interaction_log(txn, &ix, &seq2), 0);
    CHECK(seq2 != seq1);
    ix.payload = payload;
    ix.payload_len = QS_PAYLOAD_MAX;
    ix.action = 255;
    CHECK_RC(qs_interaction_log(txn, &ix, &seq3), 0);
    CHECK(seq3 != seq2 && seq3 != seq1);
    /* The very same event again is stored once; any difference makes a new event. */
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_EXISTS);
    ix.payload = NULL;
    ix.payload_len = 0;
    ix.action = 3;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_EXISTS);
    ix.action = 4;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    ix.created_at++;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    /* Another user's same event at that very time is an event of its own, stored once
     * (a raw bucket keeps every user's events of one time together). */
    ix.user = b.users[1];
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_EXISTS);
    ix.user = b.users[0];
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_EXISTS);
    ix.payload = payload;
    ix.payload_len = QS_PAYLOAD_MAX - 1;
    ix.action = 255;
    ix.created_at = FX_T0 - FX_HOUR_MS;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    /* Times within the years 1 to 9999. */
    ix.created_at = QS_TEST_YEAR1;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    ix.created_at = QS_TEST_YEAR10000 - 1;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    ix.created_at = QS_TEST_YEAR1 - 1;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_INVALID);
    ix.created_at = QS_TEST_YEAR10000;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_INVALID);
    ix.created_at = INT64_MIN;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_INVALID);
    ix.created_at = FX_T0;
    ix.payload_len = QS_PAYLOAD_MAX;

    ix.payload_len = QS_PAYLOAD_MAX + 1;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_TOO_LARGE);
    ix.payload_len = 16;
    ix.user = 4242;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_NOTFOUND);
    ix.user = b.users[0];
    ix.payload = NULL;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_INVALID);
    CHECK_RC(qs_interaction_log(txn, NULL, NULL), QS_INVALID);
    CHECK_RC(qs_interaction_log(NULL, &ix, NULL), QS_INVALID);
    fx_commit(txn);
    qs_env_close(env);
}

/* ---- many interactions at once ---------------------------------------------------- */

#define MANY_USERS 12
#define MANY_ROWS 3000

typedef struct many_store {
    qs_env *env;
    uint32_t users[MANY_USERS];
} many_store;

/* A store with users and a period of 2025 that retention dropped (interactions are
 * kept 90 days by default). */
static void many_store_build(many_store *m)
{
    fx_bank b;
    m->env = fx_open_tmp();
    fx_bank_build(m->env, &b);
    qs_txn *txn = fx_write(m->env);
    for (unsigned u = 0; u < MANY_USERS; u++) {
        char ext[16];
        snprintf(ext, sizeof ext, "many-%u", u);
        m->users[u] = u < 2 ? b.users[u] : fx_user(txn, ext, FX_T0 - 300 * FX_DAY_MS);
    }
    qs_interaction ix = {m->users[0], 1, FX_T0 - 200 * FX_DAY_MS, NULL, 0};
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    fx_commit(txn);
    size_t dropped;
    txn = fx_write(m->env);
    CHECK_RC(qs_buckets_expire(txn, FX_T0, &dropped), 0);
    CHECK_EQ(dropped, 1u);
    fx_commit(txn);
}

/* Random rows: few times per user, so that the same (user, time) recurs, with
 * repeated events, unknown users, dropped periods and bad fields among them. */
static void many_rows(const many_store *m, qs_interaction *rows, size_t n)
{
    static const char *const payloads[] = {"{\"q\":1}", "{\"q\":2}", "{\"query\":\"murmur\"}"};
    static char too_large[QS_PAYLOAD_MAX + 1];
    for (size_t i = 0; i < n; i++) {
        qs_interaction *ix = &rows[i];
        unsigned p = (unsigned)check_below(4);
        ix->user = check_below(40) ? m->users[check_below(MANY_USERS)] : 4242;
        ix->action = (uint8_t)check_below(3);
        ix->created_at = FX_T0 - (int64_t)check_below(30) * 7919 * 1000 - FX_DAY_MS;
        ix->payload = p < 3 ? payloads[p] : NULL;
        ix->payload_len = p < 3 ? strlen(payloads[p]) : 0;
        switch (check_below(100)) {
        case 0: ix->created_at = FX_T0 - 200 * FX_DAY_MS; break;     /* dropped */
        case 1: ix->created_at = QS_TEST_YEAR1 - 1; break;           /* QS_INVALID */
        case 2: ix->payload = NULL; ix->payload_len = 3; break;      /* QS_INVALID */
        case 3: ix->payload = too_large; ix->payload_len = sizeof too_large; break;
        default: break;
        }
    }
}

/* Every stored interaction and every user's daily counts. */
static void digest_interactions(const many_store *m, fx_digest *d)
{
    qs_txn *txn = fx_read(m->env);
    d->n = 0;
    fx_put_interactions(d, txn, INT64_MIN, INT64_MAX);
    for (unsigned u = 0; u < MANY_USERS; u++)
        fx_put_days(d, txn, m->users[u]);
    qs_txn_abort(txn);
}

TEST(interaction_log_many_is_one_call_per_row)
{
    static many_store m[2];
    static qs_interaction rows[MANY_ROWS];
    static int rc[2][MANY_ROWS];
    static uint64_t seq[2][MANY_ROWS];
    static fx_digest d[2];
    for (int s = 0; s < 2; s++)
        many_store_build(&m[s]);
    /* two batches: the second repeats events of the first and of itself */
    for (int batch = 0; batch < 2; batch++) {
        many_rows(&m[0], rows, MANY_ROWS);
        qs_txn *txn = fx_write(m[0].env);
        for (size_t i = 0; i < MANY_ROWS; i++)
            rc[0][i] = qs_interaction_log(txn, &rows[i], &seq[0][i]);
        fx_commit(txn);
        txn = fx_write(m[1].env);
        CHECK_RC(qs_interaction_log_many(txn, rows, MANY_ROWS, rc[1], seq[1]), 0);
        fx_commit(txn);
        size_t codes[5] = {0};
        for (size_t i = 0; i < MANY_ROWS; i++) {
            CHECK_MSG(rc[0][i] == rc[1][i], "row %zu: %d one by one, %d at once", i,
                      rc[0][i], rc[1][i]);
            if (rc[0][i] == 0)
                CHECK_EQ(seq[0][i], seq[1][i]);
            else
                CHECK_EQ(seq[1][i], 0u);
            codes[rc[0][i] == 0 ? 0 : rc[0][i] == QS_EXISTS ? 1 : rc[0][i] == QS_EXPIRED ? 2
                  : rc[0][i] == QS_NOTFOUND ? 3 : 4]++;
        }
        for (int c = 0; c < 5; c++)   /* every outcome occurs */
            CHECK_MSG(codes[c] > 0, "batch %d has no row of outcome %d", batch, c);
    }
    for (int s = 0; s < 2; s++) {
        digest_interactions(&m[s], &d[s]);
        fx_check_clean(m[s].env);
    }
    CHECK(d[0].n > 1000);
    fx_check_same(&d[0], &d[1]);
    for (int s = 0; s < 2; s++) {
        free(d[s].b);
        d[s] = (fx_digest){0};
        qs_env_close(m[s].env);
    }
}

TEST(interaction_log_many_refuses_bad_calls)
{
    many_store m;
    many_store_build(&m);
    qs_interaction ix = {m.users[0], 1, FX_T0, NULL, 0};
    int rc;
    qs_txn *txn = fx_write(m.env);
    CHECK_RC(qs_interaction_log_many(txn, NULL, 1, &rc, NULL), QS_INVALID);
    CHECK_RC(qs_interaction_log_many(txn, &ix, 1, NULL, NULL), QS_INVALID);
    CHECK_RC(qs_interaction_log_many(txn, NULL, 0, NULL, NULL), 0);
    CHECK_RC(qs_interaction_log_many(txn, &ix, 1, &rc, NULL), 0);
    CHECK_EQ(rc, 0);
    CHECK_RC(qs_interaction_log_many(txn, &ix, 1, &rc, NULL), 0);
    CHECK_EQ(rc, QS_EXISTS);
    fx_commit(txn);
    txn = fx_read(m.env);
    CHECK_RC(qs_interaction_log_many(txn, &ix, 1, &rc, NULL), QS_READONLY);
    CHECK_EQ(fx_interactions_in(txn, FX_T0, FX_T0 + 1), 1u);
    qs_txn_abort(txn);
    qs_env_close(m.env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(submit_and_get_round_trip),
        CASE(submit_rejects_bad_input),
        CASE(duplicate_answer_changes_nothing),
        CASE(grading_rules),
        CASE(question_mark_sets_and_clears),
        CASE(open_test_grows_closed_test_does_not),
        CASE(answer_moves_test_last_activity),
        CASE(completed_open_test_follows_its_last_answer),
        CASE(retag_keeps_past_answers_topic),
        CASE(scan_returns_range_in_bucket_user_time_order),
        CASE(interaction_log_checks_and_sequences),
        CASE(interaction_log_many_is_one_call_per_row),
        CASE(interaction_log_many_refuses_bad_calls),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
