/* Tests history pagination across buckets and equal timestamps, and test_list. */
#include "check.h"
#include "fixture.h"

#define N_QUESTIONS 60
#define N_TESTS 6
#define N_ANSWERS 330
#define MONTH_START_DEC (FX_T0 - 31 * FX_DAY_MS) /* 2025-12-01T00:00:00Z */

typedef struct history_store {
    qs_env *env;
    fx_bank b;
    uint32_t questions[N_QUESTIONS];
    uint32_t topic_of[N_QUESTIONS];
    uint64_t tests[N_TESTS];
    qs_history_row expected[N_ANSWERS]; /* user A's answers, newest first */
    size_t n_expected;
} history_store;

static int newest_first(const void *pa, const void *pb)
{
    const qs_history_row *a = pa, *b = pb;
    if (a->created_at != b->created_at)
        return a->created_at > b->created_at ? -1 : 1;
    return a->answer_id > b->answer_id ? -1 : (a->answer_id < b->answer_id);
}

/* A time over four months, clustered so that many answers share a timestamp, with a
 * few right at a bucket boundary. */
static int64_t pick_time(int64_t previous)
{
    uint64_t r = check_below(100);
    if (previous != 0 && r < 30)
        return previous;
    if (r < 34)
        return MONTH_START_DEC - (int64_t)check_below(2);
    return FX_T0 - 110 * FX_DAY_MS + (int64_t)check_below(120 * FX_DAY_MS / 1000) * 1000;
}

static void history_store_build(history_store *s)
{
    qs_txn *txn;
    char ext[32];
    static int order[N_ANSWERS];
    int64_t at[N_ANSWERS], previous = 0;

    memset(s, 0, sizeof *s);
    s->env = fx_open_tmp();
    fx_bank_build(s->env, &s->b);
    txn = fx_write(s->env);
    for (unsigned i = 0; i < N_QUESTIONS; i++) {
        snprintf(ext, sizeof ext, "hq-%u", i);
        s->topic_of[i] = s->b.topics[i % 4];
        s->questions[i] = fx_question(txn, ext, s->b.subject, s->b.systems[(i % 4) / 2],
                                      s->topic_of[i], 2, (uint8_t)(i % 4));
    }
    for (unsigned t = 0; t < N_TESTS; t++) {
        snprintf(ext, sizeof ext, "ht-%u", t);
        s->tests[t] = fx_test(txn, ext, s->b.users[0], 1, NULL, 0, FX_T0 - 200 * FX_DAY_MS);
    }
    fx_commit(txn);

    /* Answers of A in random order (ids do not follow time); B answers in between. */
    for (int i = 0; i < N_ANSWERS; i++) {
        order[i] = i;
        previous = at[i] = pick_time(previous);
    }
    for (int i = N_ANSWERS - 1; i > 0; i--) {
        int j = (int)check_below((uint64_t)i + 1), tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    txn = fx_write(s->env);
    for (int k = 0; k < N_ANSWERS; k++) {
        int i = order[k];
        qs_answer a;
        uint64_t id = 0;
        unsigned qi = (unsigned)i % N_QUESTIONS;
        qs_history_row *row = &s->expected[s->n_expected++];
        int8_t chosen = (int8_t)check_below(4);
        uint8_t status = (uint8_t)(1 + check_below(3));

        if (status == QS_SKIPPED)
            chosen = QS_NO_CHOICE;
        fx_answer_init(&a, s->tests[i / N_QUESTIONS], s->questions[qi], status, QS_GRADE,
                       chosen, at[i]);
        a.score = (uint8_t)(check_chance(20) ? 0 : 10 + check_below(81));
        a.time_spent_ms = (int64_t)check_below(600000);
        CHECK_RC(qs_answer_submit(txn, &a, &id), 0);
        row->answer_id = id;
        row->test = a.test;
        row->question = a.question;
        row->topic = s->topic_of[qi];
        row->correct = status != QS_SKIPPED && chosen == (int8_t)(qi % 4);
        row->status = status;
        row->score = a.score;
        row->chosen = chosen;
        row->time_spent_ms = (uint32_t)a.time_spent_ms;
        row->created_at = at[i];
        if (k % 3 == 0 && k / 3 < FX_BANK_QUESTIONS)
            fx_answer(txn, s->b.tests[1], s->b.questions[k / 3], 0, at[i]);
        if (k % 50 == 49) {
            fx_commit(txn);
            txn = fx_write(s->env);
        }
    }
    fx_commit(txn);
    qsort(s->expected, s->n_expected, sizeof s->expected[0], newest_first);
}

static void check_row(const qs_history_row *got, const qs_history_row *want, size_t index)
{
    CHECK_MSG(got->answer_id == want->answer_id && got->test == want->test &&
                  got->question == want->question && got->topic == want->topic &&
                  got->correct == want->correct && got->status == want->status &&
                  got->score == want->score && got->chosen == want->chosen &&
                  got->time_spent_ms == want->time_spent_ms &&
                  got->created_at == want->created_at,
              "row %zu: got answer %llu at %lld (q %u topic %u correct %u status %u score %u "
              "chosen %d time %u), want answer %llu at %lld (q %u topic %u correct %u "
              "status %u score %u chosen %d time %u)",
              index, (unsigned long long)got->answer_id, (long long)got->created_at,
              got->question, got->topic, got->correct, got->status, got->score, got->chosen,
              got->time_spent_ms, (unsigned long long)want->answer_id,
              (long long)want->created_at, want->question, want->topic, want->correct,
              want->status, want->score, want->chosen, want->time_spent_ms);
}

/* Walk the pages of @p user from @p start (NULL: the newest) with page size @p cap;
 * returns the number of rows stored in @p all. */
static size_t walk_from(qs_txn *txn, uint32_t user, const qs_cursor *start, size_t cap,
                        qs_history_row *all, size_t max)
{
    qs_history_row *page = calloc(cap, sizeof *page);
    qs_cursor next;
    const qs_cursor *after = start;
    size_t total = 0, n = 0;
    int pages = 0, more = 0;

    CHECK(page != NULL);
    for (;;) {
        CHECK_RC(qs_history(txn, user, after, page, cap, &n, &next), 0);
        CHECK_MSG(n <= cap + 1, "page of %zu rows for cap %zu", n, cap);
        CHECK_MSG(!more || n > 0, "a page said more rows follow, and none did");
        size_t got = n < cap ? n : cap;
        CHECK(total + got <= max);
        memcpy(all + total, page, got * sizeof *page);
        total += got;
        after = &next;
        CHECK(++pages <= N_ANSWERS + 2);
        if (!(more = n > cap))
            break;
    }
    free(page);
    return total;
}

TEST(pages_cover_history_in_order)
{
    static history_store s;
    static qs_history_row seen[N_ANSWERS + 8];
    static const size_t caps[] = {1, 2, 7, 20, 64, N_ANSWERS - 1, N_ANSWERS, N_ANSWERS + 1,
                                  1000};
    qs_txn *txn;
    int equal_times = 0, buckets = 1;

    history_store_build(&s);
    for (size_t i = 1; i < s.n_expected; i++) {
        equal_times += s.expected[i].created_at == s.expected[i - 1].created_at;
        buckets += s.expected[i].created_at < MONTH_START_DEC &&
                   s.expected[i - 1].created_at >= MONTH_START_DEC;
    }
    CHECK_MSG(equal_times >= 20, "only %d equal timestamps", equal_times);
    CHECK(buckets == 2);

    txn = fx_read(s.env);
    for (size_t c = 0; c < NCASES(caps); c++) {
        size_t total = walk_from(txn, s.b.users[0], NULL, caps[c], seen, N_ANSWERS + 8);
        CHECK_MSG(total == s.n_expected, "page size %zu: %zu rows, want %zu", caps[c], total,
                  s.n_expected);
        for (size_t i = 0; i < total; i++)
            check_row(&seen[i], &s.expected[i], i);
    }
    /* A user who answered nothing has an empty history. */
    {
        qs_history_row row;
        size_t n = 9;
        uint32_t quiet;
        qs_txn_abort(txn);
        txn = fx_write(s.env);
        quiet = fx_user(txn, "quiet", FX_T0);
        CHECK_RC(qs_history(txn, quiet, NULL, &row, 1, &n, NULL), 0);
        CHECK_EQ(n, 0);
        /* with cap 0 nothing is written, and *n says whether a row is there */
        CHECK_RC(qs_history(txn, quiet, NULL, NULL, 0, &n, NULL), 0);
        CHECK_EQ(n, 0);
        CHECK_RC(qs_history(txn, s.b.users[0], NULL, NULL, 0, &n, NULL), 0);
        CHECK_EQ(n, 1);
        CHECK_RC(qs_history(txn, 4242, NULL, &row, 1, &n, NULL), QS_NOTFOUND);
        CHECK_RC(qs_history(txn, quiet, NULL, &row, 1, NULL, NULL), QS_INVALID);
        CHECK_RC(qs_history(NULL, quiet, NULL, &row, 1, &n, NULL), QS_INVALID);
        fx_commit(txn);
    }
    qs_env_close(s.env);
}

static int before_row(const qs_history_row *a, const qs_history_row *b)
{
    return a->created_at < b->created_at ||
           (a->created_at == b->created_at && a->answer_id < b->answer_id);
}

TEST(cursor_resumes_strictly_after_last_row)
{
    static history_store s;
    static qs_history_row seen[N_ANSWERS + 8], want[N_ANSWERS + 8];
    qs_history_row page[40], added[3], last;
    qs_cursor next;
    qs_txn *txn;
    size_t n = 0, total, n_want = 0;
    int64_t times[3];

    history_store_build(&s);
    txn = fx_read(s.env);
    CHECK_RC(qs_history(txn, s.b.users[0], NULL, page, 40, &n, &next), 0);
    CHECK_EQ(n, 41);   /* 40 rows, and more follow */
    CHECK_RC(qs_history(txn, s.b.users[0], &next, page, 40, &n, &next), 0);
    CHECK_EQ(n, 41);
    last = page[39];
    qs_txn_abort(txn);

    /* New answers: one newer than everything, one at the time of the last row returned,
     * one just older. Only those after the cursor position may appear. */
    times[0] = FX_T0 + FX_DAY_MS;
    times[1] = last.created_at;
    times[2] = last.created_at - 1;
    txn = fx_write(s.env);
    for (unsigned i = 0; i < 3; i++) {
        memset(&added[i], 0, sizeof added[i]);
        added[i].answer_id = fx_answer(txn, s.tests[5], s.b.questions[i], (int8_t)i, times[i]);
        added[i].test = s.tests[5];
        added[i].question = s.b.questions[i];
        added[i].topic = s.b.topics[0];
        added[i].correct = 1;
        added[i].status = QS_ANSWERED;
        added[i].score = 50;
        added[i].chosen = (int8_t)i;
        added[i].time_spent_ms = 30000;
        added[i].created_at = times[i];
    }
    fx_commit(txn);

    for (size_t i = 0; i < s.n_expected; i++)
        if (before_row(&s.expected[i], &last))
            want[n_want++] = s.expected[i];
    for (unsigned i = 0; i < 3; i++)
        if (before_row(&added[i], &last))
            want[n_want++] = added[i];
    qsort(want, n_want, sizeof want[0], newest_first);
    CHECK(n_want == s.n_expected - 80 + 1 || n_want == s.n_expected - 80 + 2);

    txn = fx_read(s.env);
    total = walk_from(txn, s.b.users[0], &next, 17, seen, N_ANSWERS + 8);
    CHECK_EQ(total, n_want);
    for (size_t i = 0; i < total; i++)
        check_row(&seen[i], &want[i], i);
    qs_txn_abort(txn);
    qs_env_close(s.env);
}

/* ---- test_list ------------------------------------------------------------------ */

#define LIST_TESTS 36

typedef struct listed {
    uint64_t id;
    uint8_t status;
    int64_t last_activity_at;
} listed;

static int by_activity_desc(const void *pa, const void *pb)
{
    const listed *a = pa, *b = pb;
    if (a->last_activity_at != b->last_activity_at)
        return a->last_activity_at > b->last_activity_at ? -1 : 1;
    return a->id > b->id ? -1 : (a->id < b->id);
}

static size_t expected_list(const listed *all, size_t n, listed *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].status == QS_TEST_ACTIVE || all[i].status == QS_TEST_PAUSED)
            out[k++] = all[i];
    qsort(out, k, sizeof *out, by_activity_desc);
    return k;
}

static void check_list(qs_txn *txn, uint32_t user, const listed *all, size_t n_all, size_t cap)
{
    listed want[LIST_TESTS];
    qs_test_row rows[LIST_TESTS];
    size_t n_want = expected_list(all, n_all, want), n = 0;

    CHECK_RC(qs_test_list(txn, user, rows, cap, &n), 0);
    CHECK_EQ(n, n_want);
    for (size_t i = 0; i < (n < cap ? n : cap); i++) {
        CHECK_MSG(rows[i].id == want[i].id, "row %zu: test %llu, want %llu", i,
                  (unsigned long long)rows[i].id, (unsigned long long)want[i].id);
        CHECK_EQ(rows[i].status, want[i].status);
        CHECK_EQ(rows[i].last_activity_at, want[i].last_activity_at);
    }
}

TEST(test_list_orders_active_and_paused)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    listed all[LIST_TESTS];
    qs_test t = {.size = sizeof t};
    qs_test_row rows[4];
    char ext[32];
    uint32_t user, quiet;
    size_t n = 0, oldest = 0;
    uint32_t q3[3];

    fx_bank_build(env, &b);
    q3[0] = b.questions[0];
    q3[1] = b.questions[4];
    q3[2] = b.questions[8];
    txn = fx_write(env);
    user = fx_user(txn, "lister", FX_T0 - 300 * FX_DAY_MS);
    quiet = fx_user(txn, "no-tests", FX_T0);
    for (unsigned i = 0; i < LIST_TESTS; i++) {
        snprintf(ext, sizeof ext, "lt-%u", i);
        fx_test_init(&t, ext, user, 0, q3, 3, FX_T0 - 200 * FX_DAY_MS);
        t.status = (uint8_t)(1 + check_below(4));
        if (i < 26)
            t.status = (uint8_t)(1 + i % 2); /* plenty of ACTIVE and PAUSED */
        t.mode = (uint8_t)(1 + i % 2);
        /* Pairs of tests share a last activity. */
        t.last_activity_at = FX_T0 - (int64_t)check_below(40) * FX_HOUR_MS;
        if (t.status == QS_TEST_COMPLETED)
            t.completed_at = t.last_activity_at;
        CHECK_RC(qs_test_put(txn, &t, &all[i].id), 0);
        all[i].status = t.status;
        all[i].last_activity_at = t.last_activity_at;
    }
    fx_commit(txn);

    txn = fx_read(env);
    check_list(txn, user, all, LIST_TESTS, 20);
    check_list(txn, user, all, LIST_TESTS, LIST_TESTS);
    check_list(txn, user, all, LIST_TESTS, 1);
    CHECK_RC(qs_test_list(txn, quiet, rows, 4, &n), 0);
    CHECK_EQ(n, 0);
    CHECK_RC(qs_test_list(txn, 4242, rows, 4, &n), QS_NOTFOUND);
    CHECK_RC(qs_test_list(txn, user, rows, 4, NULL), QS_INVALID);
    CHECK_RC(qs_test_list(NULL, user, rows, 4, &n), QS_INVALID);
    qs_txn_abort(txn);

    /* An answer in the least recent listed test brings it to the top. */
    for (size_t i = 0; i < LIST_TESTS; i++)
        if ((all[i].status == QS_TEST_ACTIVE || all[i].status == QS_TEST_PAUSED) &&
            (all[oldest].status > QS_TEST_PAUSED ||
             by_activity_desc(&all[i], &all[oldest]) > 0))
            oldest = i;
    txn = fx_write(env);
    fx_answer(txn, all[oldest].id, b.questions[4], 0, FX_T0 + FX_HOUR_MS);
    all[oldest].last_activity_at = FX_T0 + FX_HOUR_MS;
    check_list(txn, user, all, LIST_TESTS, 20);
    /* Completing a test takes it off the list. */
    CHECK_RC(qs_test_get(txn, all[oldest].id, &t), 0);
    t.status = QS_TEST_COMPLETED;
    t.completed_at = FX_T0 + 2 * FX_HOUR_MS;
    t.last_activity_at = FX_T0 + 2 * FX_HOUR_MS;
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
    all[oldest].status = QS_TEST_COMPLETED;
    all[oldest].last_activity_at = t.last_activity_at;
    check_list(txn, user, all, LIST_TESTS, 20);
    fx_commit(txn);

    txn = fx_read(env);
    check_list(txn, user, all, LIST_TESTS, LIST_TESTS);
    qs_txn_abort(txn);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(pages_cover_history_in_order),
        CASE(cursor_resumes_strictly_after_last_row),
        CASE(test_list_orders_active_and_paused),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
