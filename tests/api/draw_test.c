/* Tests qs_test_create: filter, adaptive and weak draws, pools, seeds, uniformity. */
#include "check.h"
#include "fixture.h"

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
    CHECK_RC(qs_test_get(txn, out->id, &stored), 0);
    CHECK_EQ(stored.n_questions, out->n_questions);
    CHECK_EQ(stored.user, d->user);
    CHECK_EQ(stored.status, QS_TEST_ACTIVE);
    CHECK_EQ(stored.created_at, d->created_at);
    for (unsigned i = 0; i < out->n_questions; i++)
        CHECK_EQ(stored.questions[i], out->questions[i]);
    return out->n_questions;
}

TEST(filter_draws_match_the_filter)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_draw d;
    static qs_test out;
    qs_question q;
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
    qs_draw d;
    static qs_test out;
    qs_question q;
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
    qs_draw d;
    static qs_test first, again, other;
    int differs = 0;

    fx_bank_build(env, &b);
    draw_init(&d, b.users[0], QS_DRAW_FILTER, 6);
    d.seed = 12345;
    txn = fx_write(env);
    CHECK_RC(qs_test_create(txn, &d, &first), 0);
    qs_txn_abort(txn);
    txn = fx_write(env);
    CHECK_RC(qs_test_create(txn, &d, &again), 0);
    qs_txn_abort(txn);
    CHECK_EQ(first.n_questions, 6);
    CHECK_EQ(again.n_questions, 6);
    for (unsigned i = 0; i < 6; i++)
        CHECK_EQ(first.questions[i], again.questions[i]);
    /* Other seeds give other draws (6 of 12 in order: a coincidence is negligible). */
    for (uint64_t seed = 1; seed < 6 && !differs; seed++) {
        d.seed = seed;
        txn = fx_write(env);
        CHECK_RC(qs_test_create(txn, &d, &other), 0);
        qs_txn_abort(txn);
        differs = memcmp(first.questions, other.questions, 6 * sizeof(uint32_t)) != 0;
    }
    CHECK(differs);
    qs_env_close(env);
}

TEST(adaptive_draws_by_question_rate)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_draw d;
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
    qs_draw d;
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
    qs_draw d;
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

/* Chi-square critical value for 19 degrees of freedom at p = 0.001. */
#define CHI2_DF19_P001 43.82

TEST(draws_are_uniform)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn;
    qs_draw d;
    static qs_test out;
    uint32_t sys, topic, subject, user, ids[20];
    unsigned counts[20] = {0};
    const unsigned draws = 400, per_draw = 5;
    double expected = (double)draws * per_draw / 20, chi2 = 0;
    char ext[32];

    txn = fx_write(env);
    subject = fx_taxon(txn, QS_SUBJECT, "s", "S", 0);
    sys = fx_taxon(txn, QS_SYSTEM, "y", "Y", 0);
    topic = fx_taxon(txn, QS_TOPIC, "t", "T", sys);
    user = fx_user(txn, "u", FX_T0);
    for (unsigned i = 0; i < 20; i++) {
        snprintf(ext, sizeof ext, "uq-%u", i);
        ids[i] = fx_question(txn, ext, subject, sys, topic, 2, 0);
    }
    fx_commit(txn);

    txn = fx_write(env);
    for (unsigned k = 0; k < draws; k++) {
        draw_init(&d, user, QS_DRAW_FILTER, (uint16_t)per_draw);
        d.topic = topic;
        d.system = sys;
        CHECK_EQ(draw_checked(txn, &d, ids, 20, &out), per_draw);
        for (unsigned i = 0; i < per_draw; i++)
            for (unsigned j = 0; j < 20; j++)
                counts[j] += out.questions[i] == ids[j];
    }
    qs_txn_abort(txn);
    for (unsigned j = 0; j < 20; j++)
        chi2 += (counts[j] - expected) * (counts[j] - expected) / expected;
    CHECK_MSG(chi2 < CHI2_DF19_P001, "chi-square %.1f over 20 questions (counts %u %u %u ...)",
              chi2, counts[0], counts[1], counts[2]);
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
        CASE(draws_are_uniform),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
