/* Tests bulk transactions (QS_TXN_BULK) against plain ones: two stores take the same
 * random calls in lockstep, one in plain transactions, one in bulk ones, and every
 * call's result and every read, in the middle of a transaction and at the end, must
 * be the same in both. The same for qs_answer_submit_many() against a call per row. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "rawdb.h"

#define N_SYSTEMS 3
#define N_TOPICS 6           /* two per system */
#define N_QUESTIONS 120
#define N_USERS 40
#define MAX_TESTS 600
#define N_DAYS 40
#define DIGEST_CAP (1 << 20)

/* ---- two stores in lockstep ------------------------------------------------------ */

typedef struct pair {
    qs_env *env[2];          /* [0] plain transactions, [1] bulk ones */
    qs_txn *txn[2];
    uint32_t questions[N_QUESTIONS];
    uint32_t topics[N_TOPICS], systems[N_SYSTEMS], subject;
    uint32_t users[N_USERS];
    uint64_t tests[MAX_TESTS];
    uint32_t test_user[MAX_TESTS];
    size_t n_users, n_tests;
    unsigned seq;            /* for external ids */
} pair;

static void pair_begin(pair *p)
{
    p->txn[0] = fx_begin(p->env[0], 0);
    p->txn[1] = fx_begin(p->env[1], QS_TXN_BULK);
}

static void pair_end(pair *p, int commit)
{
    for (int s = 0; s < 2; s++) {
        if (commit)
            fx_commit(p->txn[s]);
        else
            qs_txn_abort(p->txn[s]);
        p->txn[s] = NULL;
    }
}

/* ---- digests: what the reads return, as text ------------------------------------- */

typedef struct digest {
    char *b;
    size_t n;
} digest;

static void dg(digest *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dg(digest *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(d->b + d->n, DIGEST_CAP - d->n, fmt, ap);
    va_end(ap);
    CHECK(w >= 0 && d->n + (size_t)w < DIGEST_CAP);
    d->n += (size_t)w;
}

static void digest_user(qs_txn *txn, uint32_t user, digest *d)
{
    qs_dashboard dash = {.size = sizeof dash};
    int rc = qs_dashboard_get(txn, user, FX_T0, &dash);
    dg(d, "user %u dash %d", user, rc);
    if (rc == 0) {
        const qs_summary *s = &dash.summary;
        dg(d, " %u %u %u %llu %d %u %u |", s->answered, s->correct, s->rate_bp,
           (unsigned long long)s->time_ms, s->last_day, s->streak, s->best_streak);
        for (size_t i = 0; i < dash.n_days; i++)
            dg(d, " %d:%u/%u/%llu", dash.days[i].day, dash.days[i].answers, dash.days[i].correct,
               (unsigned long long)dash.days[i].time_ms);
    }
    qs_progress_row prog[N_TOPICS + 1];
    size_t n = 0;
    CHECK_RC(qs_progress(txn, user, prog, N_TOPICS + 1, &n), 0);
    dg(d, "\n progress");
    for (size_t i = 0; i < n && i <= N_TOPICS; i++)
        dg(d, " %u:%u/%u/%u/%lld", prog[i].topic, prog[i].attempts, prog[i].correct,
           prog[i].rate_bp, (long long)prog[i].last_answered_at);
    qs_test_row tests[64];
    CHECK_RC(qs_test_list(txn, user, tests, 64, &n), 0);
    dg(d, "\n tests");
    for (size_t i = 0; i < n && i < 64; i++)
        dg(d, " %llu/%u/%u/%u/%lld/%lld", (unsigned long long)tests[i].id, tests[i].status,
           tests[i].mode, tests[i].n_questions, (long long)tests[i].created_at,
           (long long)tests[i].last_activity_at);
    qs_cursor at, next;
    const qs_cursor *after = NULL;
    qs_history_row rows[50];
    dg(d, "\n history");
    do {
        CHECK_RC(qs_history(txn, user, after, rows, 50, &n, &next), 0);
        for (size_t i = 0; i < n && i < 50; i++)
            dg(d, " %llu/%llu/%u/%u/%u/%u/%u/%d/%u/%lld", (unsigned long long)rows[i].answer_id,
               (unsigned long long)rows[i].test, rows[i].question, rows[i].topic,
               rows[i].correct, rows[i].status, rows[i].score, rows[i].chosen,
               rows[i].time_spent_ms, (long long)rows[i].created_at);
        at = next;
        after = &at;
    } while (n > 50);   /* more rows follow */
    qs_rank_row r;
    CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, user, &r), 0);
    dg(d, "\n rank %llu %u\n", (unsigned long long)r.rank, r.correct);
}

static void digest_store(pair *p, qs_txn *txn, digest *d)
{
    for (size_t u = 0; u < p->n_users; u++)
        digest_user(txn, p->users[u], d);
    for (size_t i = 0; i < N_QUESTIONS; i++) {
        qs_question_stats s = {.size = sizeof s};
        CHECK_RC(qs_question_stats_get(txn, p->questions[i], &s), 0);
        dg(d, "q %u %u %u %u %u %llu %llu\n", p->questions[i], s.attempts, s.correct, s.users,
           s.rate_bp, (unsigned long long)s.score_sum, (unsigned long long)s.time_ms_sum);
    }
    qs_rank_row top[N_USERS + 1];
    size_t n;
    for (int w = -1; w < N_DAYS / 7 + 1; w++) {
        uint32_t board = w < 0 ? QS_BOARD_ALL_TIME : qs_board_week(FX_T0 - w * 7 * FX_DAY_MS);
        CHECK_RC(qs_leaderboard_top(txn, board, top, N_USERS + 1, &n), 0);
        dg(d, "board %u:", board);
        for (size_t i = 0; i < n && i <= N_USERS; i++)
            dg(d, " %llu/%u/%u", (unsigned long long)top[i].rank, top[i].user, top[i].correct);
        dg(d, "\n");
    }
    qs_pool_info pools[256];
    CHECK_RC(qs_pools_list(txn, pools, 256, &n), 0);
    for (size_t i = 0; i < n && i < 256; i++)
        dg(d, "pool %u/%u/%u/%u %u\n", pools[i].kind, pools[i].a, pools[i].b, pools[i].c,
           pools[i].size);
    for (uint8_t band = 1; band <= QS_BAND_NONE; band++) {
        qs_question_filter f = {.size = sizeof f};
        uint32_t ids[N_QUESTIONS];
        memset(&f, 0, sizeof f);
        f.band = band;
        CHECK_RC(qs_question_list(txn, &f, NULL, ids, N_QUESTIONS, &n, NULL), 0);
        dg(d, "band %u:", band);
        for (size_t i = 0; i < n && i < N_QUESTIONS; i++)
            dg(d, " %u", ids[i]);
        dg(d, "\n");
    }
}

/* Both stores' reads, in their open transactions (or new read ones), must agree. */
static void compare(pair *p)
{
    static char buf[2][DIGEST_CAP];
    digest d[2];
    for (int s = 0; s < 2; s++) {
        qs_txn *txn = p->txn[s] ? p->txn[s] : fx_read(p->env[s]);
        d[s] = (digest){buf[s], 0};
        digest_store(p, txn, &d[s]);
        if (!p->txn[s])
            qs_txn_abort(txn);
    }
    size_t at = 0;
    while (at < d[0].n && at < d[1].n && d[0].b[at] == d[1].b[at])
        at++;
    CHECK_MSG(d[0].n == d[1].n && at == d[0].n,
              "plain and bulk reads differ at byte %zu: '%.80s' against '%.80s'", at,
              d[0].b + at, d[1].b + at);
}

/* ---- the workload ---------------------------------------------------------------- */

static void bank(pair *p)
{
    for (int s = 0; s < 2; s++) {
        qs_txn *txn = fx_write(p->env[s]);
        char ext[32];
        p->subject = fx_taxon(txn, QS_SUBJECT, "subj", "Subject", 0);
        for (unsigned i = 0; i < N_SYSTEMS; i++) {
            snprintf(ext, sizeof ext, "sys-%u", i);
            p->systems[i] = fx_taxon(txn, QS_SYSTEM, ext, ext, 0);
        }
        for (unsigned i = 0; i < N_TOPICS; i++) {
            snprintf(ext, sizeof ext, "topic-%u", i);
            p->topics[i] = fx_taxon(txn, QS_TOPIC, ext, ext, p->systems[i / 2]);
        }
        for (unsigned i = 0; i < N_QUESTIONS; i++) {
            snprintf(ext, sizeof ext, "q-%u", i);
            unsigned t = i % N_TOPICS;
            p->questions[i] = fx_question(txn, ext, p->subject, p->systems[t / 2], p->topics[t],
                                          (uint8_t)(1 + i % 3), (uint8_t)(i % 4));
        }
        fx_commit(txn);
    }
}

/* Call @p fn on both stores: the same return code and the same id. */
#define BOTH(call_of)                                                                 \
    do {                                                                              \
        int rc_[2];                                                                   \
        uint64_t id_[2] = {0, 0};                                                     \
        for (int s = 0; s < 2; s++) {                                                 \
            qs_txn *txn = p->txn[s];                                                  \
            uint64_t *idp = &id_[s];                                                  \
            (void)idp;                                                                \
            rc_[s] = (call_of);                                                       \
        }                                                                             \
        CHECK_MSG(rc_[0] == rc_[1] && id_[0] == id_[1],                               \
                  "plain and bulk differ: rc %d/%d, id %llu/%llu (%s)", rc_[0], rc_[1], \
                  (unsigned long long)id_[0], (unsigned long long)id_[1], qs_errmsg()); \
        last_rc = rc_[0];                                                             \
        last_id = id_[0];                                                             \
    } while (0)

static int last_rc;
static uint64_t last_id;

static int put_user(qs_txn *txn, pair *p, uint64_t *id)
{
    qs_user u = {.size = sizeof u};
    uint32_t uid = 0;
    memset(&u, 0, sizeof u);
    snprintf(u.ext_id, sizeof u.ext_id, "user-%u", p->seq);
    u.created_at = FX_T0 - N_DAYS * FX_DAY_MS;
    int rc = qs_user_put(txn, &u, &uid);
    *id = uid;
    return rc;
}

static int put_test(qs_txn *txn, pair *p, uint32_t user, uint64_t *id)
{
    qs_test t = {.size = sizeof t};
    char ext[32];
    snprintf(ext, sizeof ext, "test-%u", p->seq);
    fx_test_init(&t, ext, user, 1, NULL, 0, FX_T0 - N_DAYS * FX_DAY_MS);
    return qs_test_put(txn, &t, id);
}

/* A closed-list test of @p user holding the first 20 questions. */
static int put_closed_test(qs_txn *txn, pair *p, uint32_t user, uint64_t *id)
{
    qs_test t = {.size = sizeof t};
    char ext[32];
    snprintf(ext, sizeof ext, "closed-%u", p->seq);
    fx_test_init(&t, ext, user, 0, p->questions, 20, FX_T0 - N_DAYS * FX_DAY_MS);
    return qs_test_put(txn, &t, id);
}

/* Both stores, with the bank. */
static void pair_open(pair *p)
{
    p->env[0] = fx_open(check_tmpdir(), NULL);
    p->env[1] = fx_open(check_tmpdir(), NULL);
    bank(p);
}

/* Both stores sound, and closed. */
static void pair_close(pair *p)
{
    for (int s = 0; s < 2; s++) {
        fx_check_clean(p->env[s]);
        qs_env_close(p->env[s]);
    }
}

/* A new user, in both stores' open transactions. */
static void pair_user(pair *p)
{
    p->seq++;
    BOTH(put_user(txn, p, idp));
    CHECK_RC(last_rc, 0);
    p->users[p->n_users++] = (uint32_t)last_id;
}

/* A new test of @p user, in both stores' open transactions: an open list, or with
 * @p closed the first 20 questions. */
static void pair_test(pair *p, uint32_t user, int closed)
{
    p->seq++;
    BOTH(closed ? put_closed_test(txn, p, user, idp) : put_test(txn, p, user, idp));
    CHECK_RC(last_rc, 0);
    p->test_user[p->n_tests] = user;
    p->tests[p->n_tests++] = last_id;
}

static int submit(qs_txn *txn, const qs_answer *a, uint64_t *id)
{
    return qs_answer_submit(txn, a, id);
}

/* A question re-tagged to another topic and difficulty: moves its pools while the
 * bulk store may hold band moves of it. */
static int retag(qs_txn *txn, pair *p, unsigned i)
{
    qs_question q = {.size = sizeof q};
    char ext[32];
    unsigned t = (i + p->seq) % N_TOPICS;
    snprintf(ext, sizeof ext, "q-%u", i);
    fx_question_init(&q, ext, p->subject, p->systems[t / 2], p->topics[t],
                     (uint8_t)(1 + p->seq % 3), 4, (uint8_t)(i % 4));
    return qs_question_put(txn, &q, NULL);
}

static void random_answer(pair *p, qs_answer *a)
{
    size_t t = check_below(p->n_tests);
    unsigned q = (unsigned)check_below(N_QUESTIONS);
    int kind = (int)check_below(10);
    fx_answer_init(a, p->tests[t], p->questions[q], QS_ANSWERED, QS_GRADE,
                   (int8_t)check_below(4), FX_T0 - check_range(0, N_DAYS - 1) * FX_DAY_MS +
                                               check_range(0, FX_DAY_MS - 1));
    if (kind == 0) {
        a->status = QS_SKIPPED;
        a->chosen = QS_NO_CHOICE;
    } else if (kind == 1) {
        a->status = QS_FLAGGED;
    } else if (kind == 2) {
        a->score = 95;   /* refused */
    }
}

static void step(pair *p)
{
    unsigned what = (unsigned)check_below(100);
    p->seq++;
    if (what < 2 && p->n_users < N_USERS) {
        pair_user(p);
    } else if (what < 8 && p->n_tests < MAX_TESTS) {
        pair_test(p, p->users[check_below(p->n_users)], 0);
    } else if (what < 9) {
        unsigned i = (unsigned)check_below(N_QUESTIONS);
        BOTH(retag(txn, p, i));
        CHECK_RC(last_rc, 0);
    } else if (what < 10) {
        compare(p);
    } else {
        qs_answer a;
        random_answer(p, &a);
        BOTH(submit(txn, &a, idp));
        CHECK(last_rc == 0 || last_rc == QS_EXISTS || last_rc == QS_INVALID);
    }
}

/* Some answers in a savepoint of both stores, kept or undone. */
static void savepoint_steps(pair *p, int keep)
{
    qs_txn *outer[2] = {p->txn[0], p->txn[1]};
    for (int s = 0; s < 2; s++)
        CHECK_RC(qs_txn_savepoint(outer[s], &p->txn[s]), 0);
    for (int i = 0; i < 20; i++) {
        qs_answer a;
        random_answer(p, &a);
        BOTH(submit(txn, &a, idp));
    }
    for (int s = 0; s < 2; s++) {
        if (keep)
            CHECK_RC(qs_txn_commit(p->txn[s]), 0);
        else
            qs_txn_abort(p->txn[s]);
        p->txn[s] = outer[s];
    }
}

TEST(bulk_and_plain_transactions_read_the_same)
{
    static pair store;
    pair *p = &store;
    pair_open(p);
    pair_begin(p);
    for (int i = 0; i < 4; i++) {
        pair_user(p);
        pair_test(p, p->users[i], 0);
    }
    pair_end(p, 1);
    for (int batch = 0; batch < 30; batch++) {
        pair_begin(p);
        size_t users = p->n_users, tests = p->n_tests;
        for (int i = 0; i < 300; i++) {
            step(p);
            if (i % 100 == 50)
                savepoint_steps(p, i % 200 == 50);
        }
        int keep = batch % 7 != 3;   /* now and then a bulk transaction is abandoned */
        pair_end(p, keep);
        if (!keep) {
            p->n_users = users;
            p->n_tests = tests;
        }
        if (batch % 10 == 9)
            compare(p);
    }
    compare(p);
    pair_close(p);
}

/* A random answer, now and then naming an unknown test or another user. */
static void random_answer_of_many(pair *p, qs_answer *a)
{
    random_answer(p, a);
    unsigned kind = (unsigned)check_below(40);
    if (kind == 0)
        a->test = 999999;
    else if (kind == 1)
        a->user = p->users[check_below(p->n_users)];
    else if (kind == 2)
        a->created_at = INT64_MIN;
}

/* qs_answer_submit_many() in bulk transactions against a qs_answer_submit() per row in
 * plain ones: the same code and id for every row, and the same reads. */
TEST(answers_many_per_call_are_one_call_per_row)
{
    static pair store;
    static qs_answer rows[600];
    static int rc[2][600];
    static uint64_t id[2][600];
    pair *p = &store;
    pair_open(p);
    pair_begin(p);
    for (int i = 0; i < 12; i++)
        pair_user(p);
    for (int i = 0; i < 60; i++)
        pair_test(p, p->users[i % 12], i % 5 == 4);
    pair_end(p, 1);
    size_t codes[5] = {0};
    for (int batch = 0; batch < 6; batch++) {
        for (size_t i = 0; i < 600; i++)
            random_answer_of_many(p, &rows[i]);
        pair_begin(p);
        for (size_t i = 0; i < 600; i++)
            rc[0][i] = qs_answer_submit(p->txn[0], &rows[i], &id[0][i]);
        CHECK_RC(qs_answer_submit_many(p->txn[1], rows, 600, rc[1], id[1]), 0);
        for (size_t i = 0; i < 600; i++) {
            CHECK_MSG(rc[0][i] == rc[1][i] && (rc[0][i] || id[0][i] == id[1][i]),
                      "batch %d row %zu: %d (id %llu) one by one, %d (id %llu) at once", batch,
                      i, rc[0][i], (unsigned long long)id[0][i], rc[1][i],
                      (unsigned long long)id[1][i]);
            codes[rc[0][i] == 0 ? 0 : rc[0][i] == QS_EXISTS ? 1 : rc[0][i] == QS_NOTFOUND ? 2
                  : rc[0][i] == QS_INVALID ? 3 : 4]++;
        }
        compare(p);   /* in the open transactions */
        pair_end(p, 1);
    }
    for (int c = 0; c < 4; c++)   /* stored, duplicate, unknown test, refused */
        CHECK_MSG(codes[c] > 0, "no row of outcome %d", c);
    compare(p);
    pair_close(p);
}

/* A bulk transaction's reads see its own writes before the commit, and its
 * abandonment leaves nothing. */
TEST(bulk_transaction_sees_its_writes_and_aborts_whole)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    qs_txn *txn = fx_begin(env, QS_TXN_BULK);
    fx_answer(txn, b.tests[0], b.questions[0], b.key[0], FX_T0 - FX_HOUR_MS);
    qs_answer a;
    CHECK_RC(qs_answer_get(txn, b.tests[0], b.questions[0], &a), 0);
    CHECK_EQ(a.correct, 1);
    qs_dashboard d = {.size = sizeof d};
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0, &d), 0);
    CHECK_EQ(d.summary.answered, 1);
    qs_answer again;
    fx_answer_init(&again, b.tests[0], b.questions[0], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &again, NULL), QS_EXISTS);
    qs_txn_abort(txn);
    txn = fx_read(env);
    CHECK_RC(qs_answer_get(txn, b.tests[0], b.questions[0], &a), QS_NOTFOUND);
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0, &d), 0);
    CHECK_EQ(d.summary.answered, 0);
    qs_txn_abort(txn);
    CHECK_RC(qs_txn_begin(env, QS_TXN_BULK | QS_TXN_RDONLY, &txn), QS_INVALID);
    fx_check_clean(env);
    qs_env_close(env);
}

/* The name of the store's (only) answer bucket. */
static void answer_bucket(qs_env *env, char name[32])
{
    qs_db_stat st[64];
    size_t n;
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_db_stats(txn, st, 64, &n), 0);
    qs_txn_abort(txn);
    name[0] = 0;
    for (size_t i = 0; i < n && i < 64; i++)
        if (strncmp(st[i].name, "ans@", 4) == 0)
            memcpy(name, st[i].name, 32);
    CHECK(name[0] != 0);
}

/* A new answer whose row key is taken (an id counter behind the stored rows, made so
 * behind the library's back): both paths refuse the transaction, the bulk one when
 * it writes its gathered rows out. */
TEST(row_key_taken_fails_both_paths)
{
    const char *dir = check_tmpdir();
    qs_env *env = fx_open(dir, NULL);
    fx_bank b;
    fx_bank_build(env, &b);
    qs_txn *txn = fx_write(env);
    int64_t at = FX_T0 - FX_HOUR_MS;
    fx_answer(txn, b.tests[0], b.questions[0], b.key[0], at);
    fx_commit(txn);
    char bucket[32];
    answer_bucket(env, bucket);
    qs_env_close(env);

    /* the row of answer 1 copied under the key answer 2 will take: same user and time */
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t key_len, val_len;
    raw_open(&r, dir, bucket, 0);
    raw_entry(&r, MDB_FIRST, key, &key_len, val, &val_len);
    CHECK_EQ(key_len, 20u);
    CHECK_EQ(key[19], 1);
    key[19] = 2;
    raw_put(&r, key, key_len, val, val_len);
    raw_close(&r);

    env = fx_open(dir, NULL);
    qs_answer a;
    fx_answer_init(&a, b.tests[0], b.questions[1], QS_ANSWERED, QS_GRADE, 1, at);
    txn = fx_write(env);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_CORRUPT);
    CHECK_RC(qs_txn_commit(txn), QS_BAD_TXN);
    txn = fx_begin(env, QS_TXN_BULK);
    int rc;
    CHECK_RC(qs_answer_submit_many(txn, &a, 1, &rc, NULL), 0);
    CHECK_EQ(rc, 0);
    CHECK_RC(qs_txn_commit(txn), QS_CORRUPT);
    txn = fx_read(env);   /* nothing of the refused answer stayed */
    qs_answer got;
    CHECK_RC(qs_answer_get(txn, b.tests[0], b.questions[1], &got), QS_NOTFOUND);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* qs_answer_check() refuses what qs_answer_submit() would, and writes nothing. */
TEST(answer_check_matches_submit)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    qs_txn *txn = fx_write(env);
    qs_answer a;
    fx_answer_init(&a, 0, b.questions[1], QS_ANSWERED, QS_GRADE, 7, FX_T0);
    a.user = b.users[0];
    CHECK_RC(qs_answer_check(txn, &a), QS_INVALID);   /* beyond the question's 4 options */
    a.chosen = 2;
    CHECK_RC(qs_answer_check(txn, &a), 0);            /* as a new test's first answer */
    a.question = 99999;
    CHECK_RC(qs_answer_check(txn, &a), QS_NOTFOUND);
    a.question = b.questions[1];
    a.test = b.tests[1];
    CHECK_RC(qs_answer_check(txn, &a), QS_INVALID);   /* test of the other user */
    a.user = 0;
    CHECK_RC(qs_answer_check(txn, &a), 0);
    a.score = 5;
    CHECK_RC(qs_answer_check(txn, &a), QS_INVALID);
    CHECK_EQ(fx_answers_in(txn, 0, FX_T0 + FX_DAY_MS), 0);
    qs_txn_abort(txn);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(bulk_and_plain_transactions_read_the_same),
        CASE(answers_many_per_call_are_one_call_per_row),
        CASE(bulk_transaction_sees_its_writes_and_aborts_whole),
        CASE(answer_check_matches_submit),
        CASE(row_key_taken_fails_both_paths),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
