/* Tests qs_test_create: filter, adaptive and weak draws, pools, seeds, uniformity. */
#include <sys/stat.h>

#include "check.h"
#include "fixture.h"
#include "bank.h"

static void draw_init(qs_draw *d, uint32_t user, uint8_t pattern, uint16_t count)
{
    memset(d, 0, sizeof *d);
    d->user = user;
    d->pattern = pattern;
    d->mode = QS_MODE_TIMED;
    d->count = count;
    d->seed = check_rand();
    d->created_at = FX_T0;
}

static int contains(const uint32_t *ids, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* Draws, then checks the stored test and that every question is distinct and in
 * @p eligible; returns the number drawn. */
static unsigned draw_checked(qs_txn *txn, const qs_draw *d, const uint32_t *eligible,
                             size_t n_eligible, qs_test *out)
{
    static qs_test stored;
    CHECK_RC(qs_test_create(txn, d, out), 0);
    CHECK(out->id != 0);
    CHECK_EQ(out->user, d->user);
    CHECK_EQ(out->status, QS_TEST_ACTIVE);
    CHECK_EQ(out->mode, d->mode);
    CHECK(out->n_questions <= d->count);
    for (unsigned i = 0; i < out->n_questions; i++) {
        CHECK_MSG(contains(eligible, n_eligible, out->questions[i]),
                  "question %u is not eligible", out->questions[i]);
        CHECK_MSG(!contains(out->questions, i, out->questions[i]), "question %u twice",
                  out->questions[i]);
    }
    uint32_t drawn[QS_TEST_MAX_QUESTIONS];   /* the next test read reuses out's list */
    if (out->n_questions)
        memcpy(drawn, out->questions, out->n_questions * sizeof *drawn);
    CHECK_RC(qs_test_get(txn, out->id, &stored), 0);
    CHECK_EQ(stored.n_questions, out->n_questions);
    CHECK_EQ(stored.user, d->user);
    CHECK_EQ(stored.status, QS_TEST_ACTIVE);
    CHECK_EQ(stored.created_at, d->created_at);
    for (unsigned i = 0; i < out->n_questions; i++)
        CHECK_EQ(stored.questions[i], drawn[i]);
    return out->n_questions;
}

TEST(filter_draws_match_the_filter)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_draw d = {.size = sizeof d};
    static qs_test out;
    qs_question q = {.size = sizeof q};
    uint32_t eligible[FX_BANK_QUESTIONS];
    size_t n;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    /* Question 6 (system 1, topic 2, difficulty 1) goes inactive. */
    fx_question_init(&q, "q-6", b.subject, b.systems[1], b.topics[2], 1, 4, 2);
    q.active = 0;
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);

    /* By topic: all three of topics[1], though 40 were asked for. */
    draw_init(&d, b.users[0], QS_DRAW_FILTER, 40);
    d.system = b.systems[0];
    d.topic = b.topics[1];
    CHECK_EQ(draw_checked(txn, &d, &b.questions[3], 3, &out), 3);
    /* By topic and difficulty (question i has difficulty 1 + i % 3). */
    d.difficulty = 2;
    CHECK_EQ(draw_checked(txn, &d, &b.questions[4], 1, &out), 1);
    /* By system: the inactive question never comes. */
    draw_init(&d, b.users[0], QS_DRAW_FILTER, 40);
    d.system = b.systems[1];
    n = 0;
    for (unsigned i = 7; i < 12; i++)
        eligible[n++] = b.questions[i];
    CHECK_EQ(draw_checked(txn, &d, eligible, n, &out), 5);
    /* By subject, difficulty 1: questions 0, 3, 9 (6 is inactive). */
    draw_init(&d, b.users[1], QS_DRAW_FILTER, 2);
    d.subject = b.subject;
    d.difficulty = 1;
    eligible[0] = b.questions[0];
    eligible[1] = b.questions[3];
    eligible[2] = b.questions[9];
    CHECK_EQ(draw_checked(txn, &d, eligible, 3, &out), 2);
    /* Anything: 11 active questions. */
    draw_init(&d, b.users[1], QS_DRAW_FILTER, QS_TEST_MAX_QUESTIONS);
    n = 0;
    for (unsigned i = 0; i < 12; i++)
        if (i != 6)
            eligible[n++] = b.questions[i];
    CHECK_EQ(draw_checked(txn, &d, eligible, n, &out), 11);
    /* A filter nothing matches gives an empty test. */
    draw_init(&d, b.users[1], QS_DRAW_FILTER, 5);
    d.system = b.systems[1];
    d.topic = b.topics[2];
    d.difficulty = 1;
    CHECK_EQ(draw_checked(txn, &d, eligible, 0, &out), 0);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(pools_follow_bank_changes)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_draw d = {.size = sizeof d};
    static qs_test out;
    qs_question q = {.size = sizeof q};
    uint32_t eligible[4], fresh;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    /* Move question 9 (topics[3]) into topics[2], add one to topics[2], retire 7. */
    fx_question_init(&q, "q-9", b.subject, b.systems[1], b.topics[2], 1, 4, 1);
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    fx_question_init(&q, "fresh", b.subject, b.systems[1], b.topics[2], 3, 4, 1);
    CHECK_RC(qs_question_put(txn, &q, &fresh), 0);
    fx_question_init(&q, "q-7", b.subject, b.systems[1], b.topics[2], 2, 4, 3);
    q.active = 0;
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    fx_commit(txn);

    txn = fx_write(env);
    eligible[0] = b.questions[6];
    eligible[1] = b.questions[8];
    eligible[2] = b.questions[9];
    eligible[3] = fresh;
    draw_init(&d, b.users[0], QS_DRAW_FILTER, 10);
    d.system = b.systems[1];
    d.topic = b.topics[2];
    CHECK_EQ(draw_checked(txn, &d, eligible, 4, &out), 4);
    draw_init(&d, b.users[0], QS_DRAW_FILTER, 10);
    d.system = b.systems[1];
    d.topic = b.topics[3];
    CHECK_EQ(draw_checked(txn, &d, &b.questions[10], 2, &out), 2);
    /* Back to active: drawn again. */
    fx_question_init(&q, "q-7", b.subject, b.systems[1], b.topics[2], 2, 4, 3);
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    draw_init(&d, b.users[0], QS_DRAW_FILTER, 10);
    d.topic = b.topics[2];
    d.system = b.systems[1];
    d.difficulty = 2;
    CHECK_EQ(draw_checked(txn, &d, &b.questions[7], 1, &out), 1);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(draws_are_a_function_of_the_seed)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_draw d = {.size = sizeof d};
    static fx_kept_test first, again, other;
    int differs = 0;

    fx_bank_build(env, &b);
    draw_init(&d, b.users[0], QS_DRAW_FILTER, 6);
    d.seed = 12345;
    txn = fx_write(env);
    fx_create_kept(txn, &d, &first);
    qs_txn_abort(txn);
    txn = fx_write(env);
    fx_create_kept(txn, &d, &again);
    qs_txn_abort(txn);
    CHECK_EQ(first.t.n_questions, 6);
    CHECK_EQ(again.t.n_questions, 6);
    for (unsigned i = 0; i < 6; i++)
        CHECK_EQ(first.list[i], again.list[i]);
    /* Other seeds give other draws (6 of 12 in order: a coincidence is negligible). */
    for (uint64_t seed = 1; seed < 6 && !differs; seed++) {
        d.seed = seed;
        txn = fx_write(env);
        fx_create_kept(txn, &d, &other);
        qs_txn_abort(txn);
        differs = memcmp(first.list, other.list, 6 * sizeof(uint32_t)) != 0;
    }
    CHECK(differs);
    qs_env_close(env);
}

TEST(adaptive_draws_by_question_rate)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_draw d = {.size = sizeof d};
    static qs_test out;
    uint64_t tests[10];
    char ext[32];
    /* Question index, answers, correct: rates 5000, 10000, 0, 6666, 4000, 7000, 5000. */
    static const struct { unsigned q, n, correct; } plan[] = {
        {0, 2, 1}, {1, 1, 1}, {2, 1, 0}, {3, 3, 2}, {4, 5, 2}, {5, 10, 7}, {6, 2, 1}};
    uint32_t in_band[5];

    fx_bank_build(env, &b);
    txn = fx_write(env);
    for (unsigned t = 0; t < 10; t++) {
        snprintf(ext, sizeof ext, "adaptive-%u", t);
        tests[t] = fx_test(txn, ext, b.users[0], 1, NULL, 0, FX_T0 - FX_DAY_MS);
    }
    for (size_t p = 0; p < NCASES(plan); p++)
        for (unsigned k = 0; k < plan[p].n; k++) {
            unsigned qi = plan[p].q;
            int8_t key = b.key[qi];
            fx_answer(txn, tests[k], b.questions[qi],
                      k < plan[p].correct ? key : (int8_t)((key + 1) % 4),
                      FX_T0 - FX_HOUR_MS + k);
        }
    fx_commit(txn);

    /* System 0 (questions 0-5) in [4000, 7000]: 0, 3, 4, 5. Question 6 is system 1. */
    in_band[0] = b.questions[0];
    in_band[1] = b.questions[3];
    in_band[2] = b.questions[4];
    in_band[3] = b.questions[5];
    txn = fx_write(env);
    draw_init(&d, b.users[1], QS_DRAW_ADAPTIVE, 40);
    d.system = b.systems[0];
    d.rate_min_bp = 4000;
    d.rate_max_bp = 7000;
    CHECK_EQ(draw_checked(txn, &d, in_band, 4, &out), 4);
    d.rate_min_bp = 6667;
    d.rate_max_bp = 10000;
    in_band[4] = b.questions[1];
    CHECK_EQ(draw_checked(txn, &d, &in_band[3], 2, &out), 2); /* 5 (7000) and 1 (10000) */
    d.rate_min_bp = 0;
    d.rate_max_bp = 0;
    CHECK_EQ(draw_checked(txn, &d, &b.questions[2], 1, &out), 1);
    /* A new answer moves question 1 into the band (10000 -> 5000). */
    fx_answer(txn, tests[1], b.questions[1], 0, FX_T0);
    d.rate_min_bp = 4000;
    d.rate_max_bp = 7000;
    in_band[4] = b.questions[1];
    CHECK_EQ(draw_checked(txn, &d, in_band, 5, &out), 5);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(weak_draws_by_user_topics)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_draw d = {.size = sizeof d};
    static qs_test out;
    uint32_t ace, novice, active[FX_BANK_QUESTIONS];
    uint64_t ace_test;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    /* users[1]: topics[2] at 3333 (weak), topics[3] at 10000. */
    fx_answer(txn, b.tests[1], b.questions[6], 0, FX_T0 - 5);
    fx_answer(txn, b.tests[1], b.questions[7], 0, FX_T0 - 4);
    fx_answer(txn, b.tests[1], b.questions[8], 0, FX_T0 - 3);
    fx_answer(txn, b.tests[1], b.questions[9], 1, FX_T0 - 2);
    fx_answer(txn, b.tests[1], b.questions[10], 2, FX_T0 - 1);
    ace = fx_user(txn, "ace", FX_T0);
    novice = fx_user(txn, "novice", FX_T0);
    ace_test = fx_test(txn, "ace-test", ace, 1, NULL, 0, FX_T0);
    fx_answer(txn, ace_test, b.questions[0], 0, FX_T0);
    fx_commit(txn);

    txn = fx_write(env);
    draw_init(&d, b.users[1], QS_DRAW_WEAK, 40);
    CHECK_EQ(draw_checked(txn, &d, &b.questions[6], 3, &out), 3);
    for (unsigned i = 0; i < FX_BANK_QUESTIONS; i++)
        active[i] = b.questions[i];
    draw_init(&d, ace, QS_DRAW_WEAK, 40);
    CHECK_EQ(draw_checked(txn, &d, active, FX_BANK_QUESTIONS, &out), FX_BANK_QUESTIONS);
    draw_init(&d, novice, QS_DRAW_WEAK, 5);
    CHECK_EQ(draw_checked(txn, &d, active, FX_BANK_QUESTIONS, &out), 5);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(create_rejects_bad_input)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_draw d = {.size = sizeof d};
    static qs_test out;
    uint64_t id;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    draw_init(&d, b.users[0], QS_DRAW_FILTER, 5);
    CHECK_RC(qs_test_create(NULL, &d, &out), QS_INVALID);
    CHECK_RC(qs_test_create(txn, NULL, &out), QS_INVALID);
    CHECK_RC(qs_test_create(txn, &d, NULL), QS_INVALID);
    d.count = 0;
    CHECK_RC(qs_test_create(txn, &d, &out), QS_INVALID);
    d.count = QS_TEST_MAX_QUESTIONS + 1;
    CHECK_RC(qs_test_create(txn, &d, &out), QS_INVALID);
    d.count = 5;
    d.pattern = 0;
    CHECK_RC(qs_test_create(txn, &d, &out), QS_INVALID);
    d.pattern = QS_DRAW_WEAK + 1;
    CHECK_RC(qs_test_create(txn, &d, &out), QS_INVALID);
    d.pattern = QS_DRAW_FILTER;
    d.mode = 0;
    CHECK_RC(qs_test_create(txn, &d, &out), QS_INVALID);
    d.mode = QS_MODE_TUTOR;
    d.difficulty = 4;
    CHECK_RC(qs_test_create(txn, &d, &out), QS_INVALID);
    d.difficulty = 0;
    d.user = 4242;
    CHECK_RC(qs_test_create(txn, &d, &out), QS_NOTFOUND);
    /* Nothing was created by the failures: a valid draw still works. */
    d.user = b.users[0];
    CHECK_RC(qs_test_create(txn, &d, &out), 0);
    CHECK_EQ(out.n_questions, 5);
    CHECK_EQ(out.mode, QS_MODE_TUTOR);
    CHECK_RC(qs_resolve(txn, QS_TEST, "test-0", &id), 0);
    fx_commit(txn);
    qs_env_close(env);
}

/* ---- draw properties over a random bank ---------------------------------------------- */

#define DP_USERS 6

/* A random bank with answers (so bands, weak topics and the user's own record vary)
 * and marks. */
typedef struct dp_bank {
    bk_taxonomy tax;
    uint32_t users[DP_USERS];
    uint32_t max_question;
} dp_bank;

static void dp_build(qs_env *env, dp_bank *b)
{
    qs_txn *txn = fx_write(env);
    uint32_t ids[240];
    uint64_t tests[DP_USERS];
    char ext[32];
    bk_taxonomy_build(txn, &b->tax, 3, 3, 3);
    for (unsigned i = 0; i < 240; i++) {
        snprintf(ext, sizeof ext, "dp-q-%u", i);
        ids[i] = b->max_question = bk_new_question(txn, &b->tax, ext, FX_T0 - (int64_t)i);
    }
    for (unsigned u = 0; u < DP_USERS; u++) {
        snprintf(ext, sizeof ext, "dp-user-%u", u);
        b->users[u] = fx_user(txn, ext, FX_T0 - 100 * FX_DAY_MS);
        snprintf(ext, sizeof ext, "dp-test-%u", u);
        tests[u] = fx_test(txn, ext, b->users[u], 1, NULL, 0, FX_T0 - 90 * FX_DAY_MS);
    }
    for (unsigned u = 0; u < DP_USERS; u++) {
        for (unsigned i = 0; i < 240; i++) {
            if (!check_chance(33))
                continue;
            fx_answer(txn, tests[u], ids[i], (int8_t)check_below(4),
                      FX_T0 - FX_DAY_MS + (int64_t)(u * 240 + i));
            if (check_chance(20))
                CHECK_RC(qs_question_mark(txn, b->users[u], ids[i], 1), 0);
        }
    }
    fx_commit(txn);
}

/* A random draw of any pattern and `only` over the bank. */
static void dp_random_draw(const dp_bank *b, qs_draw *d)
{
    const bk_taxonomy *t = &b->tax;
    unsigned s = (unsigned)check_below(t->n_systems);
    memset(d, 0, sizeof *d);
    d->user = b->users[check_below(DP_USERS)];
    d->pattern = (uint8_t)check_range(QS_DRAW_FILTER, QS_DRAW_WEAK);
    d->mode = QS_MODE_TUTOR;
    d->only = (uint8_t)check_below(QS_ONLY_MARKED + 1);
    d->count = (uint16_t)check_range(1, 60);
    d->seed = check_rand();
    if (d->pattern == QS_DRAW_FILTER) {
        if (check_chance(50))
            d->subject = t->subjects[check_below(t->n_subjects)];
        if (check_chance(50))
            d->system = t->systems[s];
        if (check_chance(50))
            d->topic = t->topics[s][check_below(t->n_topics)];
        if (check_chance(50))
            d->difficulty = (uint8_t)check_range(1, 3);
    } else if (d->pattern == QS_DRAW_ADAPTIVE) {
        d->system = t->systems[s];
        d->rate_min_bp = (uint16_t)check_below(10001);
        d->rate_max_bp = (uint16_t)check_range(d->rate_min_bp, 10000);
    }
}

TEST(draws_hold_only_eligible_questions)
{
    qs_env *env = fx_open_tmp();
    static dp_bank b;
    static bk_view v;
    static qs_test out;
    unsigned short_draws = 0, full_draws = 0;

    dp_build(env, &b);
    qs_txn *txn = fx_write(env);
    bk_view_load(txn, b.max_question, &v);
    for (unsigned k = 0; k < 600; k++) {
        qs_draw d = {.size = sizeof d};
        dp_random_draw(&b, &d);
        size_t eligible = bk_draw_checked(txn, &v, &d, &out);
        if (eligible > 0 && eligible <= d.count)
            short_draws++;
        else if (eligible > d.count)
            full_draws++;
    }
    /* both sides of "fewer eligible than asked" came up many times */
    CHECK_MSG(short_draws > 50 && full_draws > 50, "%u short, %u full draws", short_draws,
              full_draws);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(fewer_eligible_than_asked_gives_all_of_them)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env);
    static bk_view v;
    static qs_test out;
    uint32_t sys, topic, user, ids[12], last = 0;
    uint64_t test;
    qs_draw d = {.size = sizeof d};
    char ext[32];

    sys = fx_taxon(txn, QS_SYSTEM, "few-sys", "few", 0);
    topic = fx_taxon(txn, QS_TOPIC, "few-topic", "few", sys);
    user = fx_user(txn, "few-user", FX_T0);
    for (unsigned i = 0; i < 12; i++) {
        snprintf(ext, sizeof ext, "few-q-%u", i);
        ids[i] = last = fx_question(txn, ext, 0, sys, topic, 2, 0);
    }
    /* 0..1 inactive; 2..4 answered wrong, 5..6 right, 7 marked only, 2 marked too */
    for (unsigned i = 0; i < 2; i++) {
        qs_question q = {.size = sizeof q};
        snprintf(ext, sizeof ext, "few-q-%u", i);
        fx_question_init(&q, ext, 0, sys, topic, 2, 4, 0);
        q.active = 0;
        CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    }
    test = fx_test(txn, "few-test", user, 1, NULL, 0, FX_T0 - FX_DAY_MS);
    for (unsigned i = 2; i < 7; i++)
        fx_answer(txn, test, ids[i], i < 5 ? 1 : 0, FX_T0 - FX_HOUR_MS + i);
    CHECK_RC(qs_question_mark(txn, user, ids[7], 1), 0);
    CHECK_RC(qs_question_mark(txn, user, ids[2], 1), 0);
    bk_view_load(txn, last, &v);

    memset(&d, 0, sizeof d);
    d.user = user;
    d.pattern = QS_DRAW_FILTER;
    d.mode = QS_MODE_TIMED;
    d.count = 50;
    d.topic = topic;
    d.seed = 3;
    for (uint8_t only = QS_ONLY_ANY; only <= QS_ONLY_MARKED; only++) {
        static const size_t expected[] = {10, 5, 3, 2};   /* any, unused, incorrect, marked */
        d.only = only;
        CHECK_EQ(bk_draw_checked(txn, &v, &d, &out), expected[only]);
        CHECK_EQ(out.n_questions, expected[only]);
    }
    /* adaptive: questions 2..6 have rates 0 and 10000 */
    d.pattern = QS_DRAW_ADAPTIVE;
    d.topic = 0;
    d.system = sys;
    d.only = QS_ONLY_ANY;
    d.rate_min_bp = 0;
    d.rate_max_bp = 10000;
    CHECK_EQ(bk_draw_checked(txn, &v, &d, &out), 5);
    d.rate_min_bp = 10000;
    CHECK_EQ(bk_draw_checked(txn, &v, &d, &out), 2);
    d.rate_min_bp = 1;
    d.rate_max_bp = 9999;
    CHECK_EQ(bk_draw_checked(txn, &v, &d, &out), 0);
    /* weak: the one topic is at 4000 */
    d.pattern = QS_DRAW_WEAK;
    d.rate_min_bp = d.rate_max_bp = 0;
    d.system = 0;
    CHECK_EQ(bk_draw_checked(txn, &v, &d, &out), 10);
    qs_txn_abort(txn);
    qs_env_close(env);
}

static void dp_copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    CHECK(in != NULL && out != NULL);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        CHECK(fwrite(buf, 1, n, out) == n);
    CHECK(!ferror(in));
    fclose(in);
    CHECK(fclose(out) == 0);
}

/* The same draws on @p a and @p b, which must give the same tests. */
static void dp_same_draws(qs_env *a, qs_env *b, const dp_bank *bank, uint64_t seed)
{
    static qs_test ta, tb;
    qs_txn *xa = fx_write(a), *xb = fx_write(b);
    for (unsigned k = 0; k < 40; k++) {
        qs_draw d = {.size = sizeof d};
        dp_random_draw(bank, &d);
        d.seed = seed + k;
        CHECK_RC(qs_test_create(xa, &d, &ta), 0);
        CHECK_RC(qs_test_create(xb, &d, &tb), 0);
        CHECK_EQ(ta.id, tb.id);
        CHECK_EQ(ta.n_questions, tb.n_questions);
        CHECK(ta.n_questions == 0 ||
              memcmp(ta.questions, tb.questions, ta.n_questions * sizeof ta.questions[0]) == 0);
    }
    qs_txn_abort(xa);
    qs_txn_abort(xb);
}

TEST(draws_repeat_on_equal_stores)
{
    const char *dir_a = check_tmpdir(), *dir_b = check_tmpdir();
    char from[4200], to[4200];
    static dp_bank b;
    static fx_kept_test first, other;
    qs_env *a = fx_open(dir_a, NULL), *copy;
    qs_txn *txn;

    dp_build(a, &b);
    qs_env_close(a);
    /* an equal store: a copy of the file, secret and all */
    snprintf(from, sizeof from, "%s/data.mdb", dir_a);
    snprintf(to, sizeof to, "%s/data.mdb", dir_b);
    dp_copy_file(from, to);
    a = fx_open(dir_a, NULL);
    copy = fx_open(dir_b, NULL);
    dp_same_draws(a, copy, &b, 1000);
    /* after the same writes and the same reshuffle, still the same */
    for (unsigned k = 0; k < 2; k++) {
        txn = fx_write(k ? copy : a);
        fx_question(txn, "dp-late", b.tax.subjects[0], b.tax.systems[0], b.tax.topics[0][0], 2,
                    1);
        CHECK_RC(qs_pools_reshuffle(txn, 5), 0);
        fx_commit(txn);
    }
    dp_same_draws(a, copy, &b, 2000);

    /* and another seed is another test */
    qs_draw d = {.size = sizeof d};
    memset(&d, 0, sizeof d);
    d.user = b.users[1];
    d.pattern = QS_DRAW_FILTER;
    d.mode = QS_MODE_TUTOR;
    d.count = 10;
    d.seed = 77;
    txn = fx_write(a);
    fx_create_kept(txn, &d, &first);
    d.seed = 78;
    fx_create_kept(txn, &d, &other);
    CHECK_EQ(first.t.n_questions, 10);
    CHECK(memcmp(first.list, other.list, sizeof first.list) != 0);
    qs_txn_abort(txn);
    qs_env_close(a);
    qs_env_close(copy);
}

/* ---- uniformity ----------------------------------------------------------------------
 *
 * Each scenario draws DP_DRAWS tests of DP_PICK questions from DP_ELIGIBLE eligible ones,
 * with consecutive seeds (as an application with a counter would give), and checks:
 *
 * 1. Chi-square: one member of each test, picked by the harness at random. If every
 *    eligible question is equally likely to be in a test, that member is uniform over the
 *    40, whatever the joint law of a test's members (a window of a shuffled pool draws
 *    neighbours together, so the counts of all picks are not multinomial, and a Pearson
 *    test on them would alarm too often). The draws are independent, so the counts are
 *    multinomial(4000, 1/40), expected 100 each, and Pearson's statistic is chi-square
 *    with 39 degrees of freedom. Threshold 103.3, the quantile at 1e-7: the false-alarm
 *    rate stays below 1e-6 even allowing the chi-square approximation a factor of ten in
 *    the far tail.
 * 2. Every question's count over all picks: the tests that hold a question are a sum of
 *    4000 independent Bernoulli(10/40) whatever the joint law, so binomial(4000, 1/4),
 *    mean 1000, sd 27.4. P(|count - 1000| >= 155) = 1.85e-8 exactly (binomial), so over
 *    the 40 questions the false-alarm rate is at most 7.4e-7.
 * 3. Overlap of consecutive tests (pairs 2i, 2i+1, same user): for independent uniform
 *    tests the mean overlap is 10 * 10 / 40 = 2.5 (the hypergeometric mean). Each overlap
 *    lies in 0..10, so by Hoeffding P(|mean of 2000 - 2.5| >= 0.65) <= 2 exp(-2 * 2000 *
 *    0.65^2 / 10^2) = 9.2e-8.
 */
#define DP_DRAWS 4000
#define DP_PICK 10
#define DP_ELIGIBLE 40
#define DP_CHI2_DF39_P1E7 103.3
#define DP_COUNT_TOLERANCE 155
#define DP_OVERLAP_TOLERANCE 0.65

typedef struct dp_uniformity {
    double chi2;              /* of the harness-picked members */
    unsigned min_count, max_count;
    double mean_overlap;
} dp_uniformity;

static unsigned dp_index_of(const uint32_t *ids, uint32_t q)
{
    for (unsigned j = 0; j < DP_ELIGIBLE; j++)
        if (ids[j] == q)
            return j;
    check_fail_here(__FILE__, __LINE__, "question %u is not eligible", q);
}

/* DP_DRAWS draws of @p tmpl (count DP_PICK) whose eligible questions are @p eligible. */
static void dp_measure(qs_env *env, const qs_draw *tmpl, const uint32_t *eligible,
                       dp_uniformity *u)
{
    static qs_test out;
    static fx_kept_test prev;
    unsigned member[DP_ELIGIBLE] = {0}, all[DP_ELIGIBLE] = {0};
    uint64_t overlap_sum = 0;
    qs_draw d = *tmpl;
    qs_txn *txn = NULL;
    d.count = DP_PICK;
    for (unsigned k = 0; k < DP_DRAWS; k++) {
        if (k % 500 == 0) {   /* the draws leave the store as it was */
            qs_txn_abort(txn);
            txn = fx_write(env);
        }
        d.seed = tmpl->seed + k;
        CHECK_RC(qs_test_create(txn, &d, &out), 0);
        CHECK_EQ(out.n_questions, DP_PICK);
        for (unsigned i = 0; i < DP_PICK; i++) {
            all[dp_index_of(eligible, out.questions[i])]++;
            CHECK(!bk_contains(out.questions, i, out.questions[i]));
        }
        member[dp_index_of(eligible, out.questions[check_below(DP_PICK)])]++;
        if (k % 2 == 1)
            for (unsigned i = 0; i < DP_PICK; i++)
                overlap_sum += bk_contains(prev.list, DP_PICK, out.questions[i]);
        fx_keep_test(&prev, &out);
    }
    qs_txn_abort(txn);
    double expected = (double)DP_DRAWS / DP_ELIGIBLE;
    u->chi2 = 0;
    u->min_count = u->max_count = all[0];
    for (unsigned j = 0; j < DP_ELIGIBLE; j++) {
        u->chi2 += (member[j] - expected) * (member[j] - expected) / expected;
        u->min_count = all[j] < u->min_count ? all[j] : u->min_count;
        u->max_count = all[j] > u->max_count ? all[j] : u->max_count;
    }
    u->mean_overlap = (double)overlap_sum / (DP_DRAWS / 2);
}

static void dp_check_uniform(const char *scenario, const dp_uniformity *u)
{
    const unsigned mean = DP_DRAWS * DP_PICK / DP_ELIGIBLE;
    CHECK_MSG(u->chi2 < DP_CHI2_DF39_P1E7, "%s: chi-square %.1f (df 39)", scenario, u->chi2);
    CHECK_MSG(u->min_count > mean - DP_COUNT_TOLERANCE && u->max_count < mean + DP_COUNT_TOLERANCE,
              "%s: counts from %u to %u, expected %u +- %u", scenario, u->min_count,
              u->max_count, mean, DP_COUNT_TOLERANCE);
}

static void dp_check_overlap(const char *scenario, const dp_uniformity *u)
{
    const double mean = (double)DP_PICK * DP_PICK / DP_ELIGIBLE;
    CHECK_MSG(u->mean_overlap > mean - DP_OVERLAP_TOLERANCE &&
                  u->mean_overlap < mean + DP_OVERLAP_TOLERANCE,
              "%s: consecutive tests share %.3f questions on average, chance is %.2f",
              scenario, u->mean_overlap, mean);
}

/* Scenarios: a topic of 40 (one pool); a system of 40 over three difficulties (a
 * union of three pools); a topic of 52 of which the user answered 12 (only UNUSED). */
typedef struct dp_scenarios {
    uint32_t user, sys[3], topic[3];
    uint32_t one_pool[DP_ELIGIBLE], union_of_pools[DP_ELIGIBLE], unused[DP_ELIGIBLE];
} dp_scenarios;

static void dp_scenarios_build(qs_env *env, dp_scenarios *s)
{
    qs_txn *txn = fx_write(env);
    char ext[32];
    uint32_t subject = fx_taxon(txn, QS_SUBJECT, "u-subject", "u", 0);
    s->user = fx_user(txn, "u-user", FX_T0);
    for (unsigned i = 0; i < 3; i++) {
        snprintf(ext, sizeof ext, "u-sys-%u", i);
        s->sys[i] = fx_taxon(txn, QS_SYSTEM, ext, ext, 0);
        snprintf(ext, sizeof ext, "u-topic-%u", i);
        s->topic[i] = fx_taxon(txn, QS_TOPIC, ext, ext, s->sys[i]);
    }
    for (unsigned i = 0; i < DP_ELIGIBLE; i++) {
        snprintf(ext, sizeof ext, "u-one-%u", i);
        s->one_pool[i] = fx_question(txn, ext, subject, s->sys[0], s->topic[0], 2, 0);
        snprintf(ext, sizeof ext, "u-union-%u", i);
        s->union_of_pools[i] = fx_question(txn, ext, subject, s->sys[1],
                                           i % 2 ? s->topic[1] : 0, (uint8_t)(1 + i % 3), 0);
    }
    /* noise in the first topic's system: other difficulties, inactive */
    for (unsigned i = 0; i < 10; i++) {
        qs_question q = {.size = sizeof q};
        snprintf(ext, sizeof ext, "u-noise-%u", i);
        fx_question_init(&q, ext, subject, s->sys[0], s->topic[0], i % 2 ? 1 : 2, 4, 0);
        q.active = i % 2;
        CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    }
    uint64_t test = fx_test(txn, "u-answered", s->user, 1, NULL, 0, FX_T0 - FX_DAY_MS);
    unsigned kept = 0;
    for (unsigned i = 0; i < DP_ELIGIBLE + 12; i++) {
        snprintf(ext, sizeof ext, "u-unused-%u", i);
        uint32_t q = fx_question(txn, ext, subject, s->sys[2], s->topic[2], 3, 0);
        if (i % 13 < 3) {
            fx_answer(txn, test, q, (int8_t)(i % 2), FX_T0 - FX_HOUR_MS);
        } else {
            CHECK(kept < DP_ELIGIBLE);
            s->unused[kept++] = q;
        }
    }
    CHECK_EQ(kept, DP_ELIGIBLE);
    fx_commit(txn);
}

static void dp_scenario_draw(const dp_scenarios *s, unsigned which, qs_draw *d)
{
    memset(d, 0, sizeof *d);
    d->user = s->user;
    d->pattern = QS_DRAW_FILTER;
    d->mode = QS_MODE_TIMED;
    d->seed = check_rand();
    d->created_at = FX_T0;
    if (which == 0) {
        d->system = s->sys[0];
        d->topic = s->topic[0];
        d->difficulty = 2;
    } else if (which == 1) {
        d->system = s->sys[1];
    } else {
        d->topic = s->topic[2];
        d->only = QS_ONLY_UNUSED;
    }
}

TEST(draws_are_uniform_by_chi_square)
{
    static const char *const names[] = {"one pool", "a union of pools", "only unused"};
    qs_env *env = fx_open_tmp();
    static dp_scenarios s;
    dp_scenarios_build(env, &s);
    const uint32_t *eligible[] = {s.one_pool, s.union_of_pools, s.unused};
    for (unsigned which = 0; which < 3; which++) {
        qs_draw d = {.size = sizeof d};
        dp_uniformity u;
        dp_scenario_draw(&s, which, &d);
        dp_measure(env, &d, eligible[which], &u);
        dp_check_uniform(names[which], &u);
    }
    qs_env_close(env);
}

TEST(consecutive_tests_overlap_by_chance)
{
    static const char *const names[] = {"one pool", "a union of pools", "only unused"};
    qs_env *env = fx_open_tmp();
    static dp_scenarios s;
    dp_scenarios_build(env, &s);
    const uint32_t *eligible[] = {s.one_pool, s.union_of_pools, s.unused};
    for (unsigned which = 0; which < 3; which++) {
        qs_draw d = {.size = sizeof d};
        dp_uniformity u;
        dp_scenario_draw(&s, which, &d);
        dp_measure(env, &d, eligible[which], &u);
        dp_check_overlap(names[which], &u);
    }
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(filter_draws_match_the_filter),
        CASE(pools_follow_bank_changes),
        CASE(draws_are_a_function_of_the_seed),
        CASE(adaptive_draws_by_question_rate),
        CASE(weak_draws_by_user_topics),
        CASE(create_rejects_bad_input),
        CASE(draws_hold_only_eligible_questions),
        CASE(fewer_eligible_than_asked_gives_all_of_them),
        CASE(draws_repeat_on_equal_stores),
        CASE(draws_are_uniform_by_chi_square),
        CASE(consecutive_tests_overlap_by_chance),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
