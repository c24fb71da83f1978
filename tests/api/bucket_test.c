/* Tests time buckets: sealing keeps every read, writes into sealed buckets, refusals,
 * retention, and a crash in the middle of sealing. */
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "check.h"
#include "fixture.h"
#include "rows.h"

#define N_QUESTIONS 60
#define N_USERS 6
#define MAX_ANSWERS 8000
#define SEP_2025 1756684800000LL   /* 2025-09-01T00:00:00Z */
#define OCT_2025 1759276800000LL
#define NOV_2025 1761955200000LL
#define DEC_2025 1764547200000LL

static const int64_t months[] = {SEP_2025, OCT_2025, NOV_2025, DEC_2025};

/* ------------------------------------------------------------------ the log store */

typedef struct answer_rec {
    uint32_t user;
    uint64_t test, id;
    uint32_t question;
    int64_t at;
} answer_rec;

typedef struct log_store {
    const char *dir;
    qs_env *env;
    fx_bank b;
    uint32_t questions[N_QUESTIONS];
    uint32_t users[N_USERS];
    uint64_t test[N_USERS];        /* the user's open test being filled */
    unsigned test_fill[N_USERS];   /* its answers so far */
    unsigned tests_made;
    answer_rec answers[MAX_ANSWERS];
    size_t n_answers;
    size_t n_interactions;
} log_store;

static void new_test(log_store *s, qs_txn *txn, unsigned u)
{
    char ext[32];
    snprintf(ext, sizeof ext, "lt-%u", s->tests_made++);
    s->test[u] = fx_test(txn, ext, s->users[u], 1, NULL, 0, SEP_2025 - FX_DAY_MS);
    s->test_fill[u] = 0;
}

/* One answer of user @p u at @p at, to the next question of its open test. */
static void add_answer(log_store *s, qs_txn *txn, unsigned u, int64_t at)
{
    if (s->test_fill[u] == N_QUESTIONS)
        new_test(s, txn, u);
    CHECK(s->n_answers < MAX_ANSWERS);
    answer_rec *r = &s->answers[s->n_answers++];
    qs_answer a;
    r->user = s->users[u];
    r->test = s->test[u];
    r->question = s->questions[s->test_fill[u]++];
    r->at = at;
    fx_answer_init(&a, r->test, r->question, QS_ANSWERED, QS_GRADE,
                   (int8_t)check_below(4), at);
    a.score = (uint8_t)(10 + check_below(81));
    a.time_spent_ms = (int64_t)check_below(600000);
    CHECK_RC(qs_answer_submit(txn, &a, &r->id), 0);
}

static void add_interaction(log_store *s, qs_txn *txn, unsigned u, int64_t at)
{
    uint8_t payload[100];
    size_t len = (size_t)check_below(sizeof payload);
    for (size_t i = 0; i < len; i++)
        payload[i] = (uint8_t)('a' + check_below(8));
    qs_interaction ix = {s->users[u], (uint8_t)(1 + check_below(8)), at, payload, len};
    int rc = qs_interaction_log(txn, &ix, NULL);
    CHECK(rc == 0 || rc == QS_EXISTS);
    s->n_interactions += rc == 0;
}

/* A time in [from, from + span), on whole seconds, sometimes repeating @p previous. */
static int64_t pick_time(int64_t from, int64_t span, int64_t previous)
{
    if (previous && check_chance(15))
        return previous;
    return from + (int64_t)check_below((uint64_t)(span / 1000)) * 1000;
}

/* Four months of answers and interactions, September to December 2025: user 0 is
 * busy (several blocks a month), the others answer a little. */
static void log_store_build(log_store *s)
{
    char ext[32];
    memset(s, 0, sizeof *s);
    s->dir = check_tmpdir();
    s->env = fx_open(s->dir, NULL);
    fx_bank_build(s->env, &s->b);
    qs_txn *txn = fx_write(s->env);
    fx_bank_questions(txn, &s->b, "lq", s->questions, N_QUESTIONS);
    for (unsigned u = 0; u < N_USERS; u++) {
        snprintf(ext, sizeof ext, "lu-%u", u);
        s->users[u] = fx_user(txn, ext, SEP_2025 - 10 * FX_DAY_MS);
        new_test(s, txn, u);
    }
    for (int m = 0; m < 4; m++) {
        int64_t start = months[m];
        for (unsigned u = 0; u < N_USERS; u++) {
            unsigned n = u == 0 ? 300 + (unsigned)check_below(100) : (unsigned)check_below(60);
            int64_t previous = 0;
            for (unsigned i = 0; i < n; i++)
                add_answer(s, txn, u, previous = pick_time(start, 28 * FX_DAY_MS, previous));
            for (unsigned i = 0; i < n / 2 + 1; i++)
                add_interaction(s, txn, u, pick_time(start, 28 * FX_DAY_MS, 0));
        }
    }
    fx_commit(txn);
}

/* ------------------------------------------------------------------ digests */

static void put_history_row(fx_digest *d, const qs_history_row *r)
{
    FX_PUT(d, r->answer_id); FX_PUT(d, r->test); FX_PUT(d, r->question); FX_PUT(d, r->topic);
    FX_PUT(d, r->correct); FX_PUT(d, r->status); FX_PUT(d, r->score); FX_PUT(d, r->chosen);
    FX_PUT(d, r->time_spent_ms); FX_PUT(d, r->created_at);
}

static int put_answer(const qs_answer *a, void *ctx)
{
    fx_digest *d = ctx;
    FX_PUT(d, a->id); FX_PUT(d, a->test); FX_PUT(d, a->question); FX_PUT(d, a->user);
    FX_PUT(d, a->topic); FX_PUT(d, a->correct); FX_PUT(d, a->chosen); FX_PUT(d, a->status);
    FX_PUT(d, a->score); FX_PUT(d, a->time_spent_ms); FX_PUT(d, a->created_at);
    return 0;
}

/* A user's whole history, in pages of 7 rows, following the cursors. */
static size_t put_history(fx_digest *d, qs_txn *txn, uint32_t user)
{
    qs_history_row rows[7];
    qs_cursor next, after;
    size_t n, total = 0;
    CHECK_RC(qs_history(txn, user, NULL, rows, 7, &n, &next), 0);
    for (;;) {
        size_t written = n < 7 ? n : 7;   /* n > 7: more rows follow */
        for (size_t i = 0; i < written; i++)
            put_history_row(d, &rows[i]);
        total += written;
        if (n <= 7)
            return total;
        after = next;
        CHECK_RC(qs_history(txn, user, &after, rows, 7, &n, &next), 0);
    }
}

/* Every read of the time-bucketed tables: histories, scans (whole and a window
 * across buckets), each answer by (test, question), interaction days. */
static void take_digest(log_store *s, fx_digest *d)
{
    qs_txn *txn = fx_read(s->env);
    size_t rows = 0;
    d->n = 0;
    for (unsigned u = 0; u < N_USERS; u++) {
        rows += put_history(d, txn, s->users[u]);
        fx_put_days(d, txn, s->users[u]);
    }
    CHECK_RC(qs_answer_scan(txn, INT64_MIN, INT64_MAX, put_answer, d), 0);
    CHECK_RC(qs_answer_scan(txn, OCT_2025 + 9 * FX_DAY_MS, NOV_2025 + 20 * FX_DAY_MS,
                            put_answer, d), 0);
    fx_put_interactions(d, txn, INT64_MIN, INT64_MAX);
    fx_put_interactions(d, txn, OCT_2025 + 3 * FX_DAY_MS, DEC_2025 + FX_DAY_MS);
    for (size_t i = 0; i < s->n_answers; i++) {
        qs_answer a;
        int rc = qs_answer_get(txn, s->answers[i].test, s->answers[i].question, &a);
        FX_PUT(d, rc);
        if (rc == 0)
            put_answer(&a, d);
    }
    qs_txn_abort(txn);
    CHECK(rows > 0);
}

/* ------------------------------------------------------------------ helpers */

static int seal(qs_env *env, qs_table table, int64_t t, int64_t now, qs_bucket_info *out)
{
    qs_txn *txn = fx_write(env);
    int rc = qs_bucket_seal(txn, table, t, now, out);
    if (rc == 0)
        fx_commit(txn);
    else
        qs_txn_abort(txn);
    return rc;
}

/* The bucket of @p table starting at @p start, or NULL. */
static const qs_bucket_info *find_bucket(const qs_bucket_info *list, size_t n, qs_table table,
                                         int64_t start)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].table == table && list[i].start == start)
            return &list[i];
    return NULL;
}

static size_t list_buckets(qs_env *env, qs_bucket_info *list, size_t cap)
{
    size_t n;
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_bucket_list(txn, list, cap, &n), 0);
    qs_txn_abort(txn);
    CHECK(n <= cap);
    return n;
}

/* ------------------------------------------------------------------ cases */

/* A raw interaction bucket is in time order; sealing takes its users' rows in passes
 * of a bounded number of rows, here one user at a time. */
TEST(sealing_in_passes_keeps_every_read)
{
    static log_store s;
    fx_digest before = {0}, after = {0};
    log_store_build(&s);
    take_digest(&s, &before);
    size_t pass_rows = eng_seal_pass_rows;
    eng_seal_pass_rows = 1;
    for (int m = 0; m < 3; m++) {
        qs_bucket_info info;
        CHECK_RC(seal(s.env, QS_TABLE_INTERACTIONS, months[m] + FX_DAY_MS, FX_T0, &info), 0);
        CHECK(info.sealed);
        CHECK(info.rows > N_USERS);
    }
    eng_seal_pass_rows = pass_rows;
    take_digest(&s, &after);
    fx_check_same(&before, &after);
    fx_check_clean(s.env);
    qs_env_close(s.env);
    free(before.b);
    free(after.b);
}

/* A sealed bucket's scan is by (user, created_at, seq). */
static int in_user_order(const qs_interaction *ix, uint64_t seq, void *ctx)
{
    uint64_t *last = ctx;   /* user, created_at, seq of the row before */
    int after = ix->user != last[0] ? ix->user > last[0]
                : (uint64_t)ix->created_at != last[1] ? (uint64_t)ix->created_at > last[1]
                                                      : seq > last[2];
    CHECK_MSG(after, "user %u at %lld (seq %llu) after user %llu at %lld", ix->user,
              (long long)ix->created_at, (unsigned long long)seq,
              (unsigned long long)last[0], (long long)last[1]);
    last[0] = ix->user;
    last[1] = (uint64_t)ix->created_at;
    last[2] = seq;
    return 0;
}

/* Users whose ids share a range of the seal's count (ids past 2^20: 16 ids a range),
 * their events interleaved in time, sealed a few rows a pass. */
TEST(sealing_users_sharing_a_range_keeps_every_read)
{
    enum { USERS = 40, EVENTS = 600 };
    qs_env *env = fx_open_tmp();
    uint32_t users[USERS];
    fx_digest before = {0}, after = {0};
    qs_txn *txn = fx_write(env);
    for (unsigned i = 0; i < USERS; i++) {
        qs_user u = {0};
        u.id = (1u << 20) + i * 3;
        snprintf(u.ext_id, sizeof u.ext_id, "ranged-%u", i);
        u.created_at = SEP_2025;
        CHECK_RC(qs_user_put(txn, &u, &users[i]), 0);
    }
    for (unsigned k = 0; k < EVENTS; k++) {
        char payload[16];
        snprintf(payload, sizeof payload, "%u", k);
        qs_interaction ix = {users[check_below(USERS)], (uint8_t)(1 + k % 8),
                             DEC_2025 + (int64_t)check_below(EVENTS) * 60000, payload,
                             strlen(payload)};
        CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    }
    fx_commit(txn);
    for (int round = 0; round < 2; round++) {
        fx_digest *d = round ? &after : &before;
        txn = fx_read(env);
        fx_put_interactions(d, txn, INT64_MIN, INT64_MAX);
        for (unsigned i = 0; i < USERS; i++)
            fx_put_days(d, txn, users[i]);
        qs_txn_abort(txn);
        if (round)
            break;
        size_t pass_rows = eng_seal_pass_rows;
        eng_seal_pass_rows = 25;
        qs_bucket_info info;
        CHECK_RC(seal(env, QS_TABLE_INTERACTIONS, DEC_2025, DEC_2025 + 100 * FX_DAY_MS, &info),
                 0);
        eng_seal_pass_rows = pass_rows;
        CHECK(info.sealed);
        CHECK_EQ(info.rows, (uint64_t)EVENTS);
    }
    fx_check_same(&before, &after);
    uint64_t last[3] = {0, 0, 0};
    txn = fx_read(env);
    CHECK_RC(qs_interaction_scan(txn, INT64_MIN, INT64_MAX, in_user_order, last), 0);
    qs_txn_abort(txn);
    fx_check_clean(env);
    qs_env_close(env);
    free(before.b);
    free(after.b);
}

TEST(sealing_keeps_every_read)
{
    static log_store s;
    fx_digest before = {0}, after = {0};
    qs_bucket_info list[16], was[16];
    log_store_build(&s);
    take_digest(&s, &before);
    size_t n_was = list_buckets(s.env, was, 16);
    CHECK_EQ(n_was, 8u);

    /* At 2026-01-01 with two hot periods, December stays hot; the rest seals. */
    for (int table = QS_TABLE_ANSWERS; table <= QS_TABLE_INTERACTIONS; table++)
        for (int m = 0; m < 3; m++) {
            qs_bucket_info info;
            CHECK_RC(seal(s.env, (qs_table)table, months[m] + FX_DAY_MS, FX_T0, &info), 0);
            CHECK(info.sealed);
            CHECK_EQ(info.start, months[m]);
            CHECK(info.bytes < info.raw_bytes);
        }
    take_digest(&s, &after);
    fx_check_same(&before, &after);

    size_t n = list_buckets(s.env, list, 16);
    CHECK_EQ(n, n_was);
    uint64_t rows[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const qs_bucket_info *w = find_bucket(was, n_was, list[i].table, list[i].start);
        CHECK(w != NULL);
        CHECK_EQ(list[i].rows, w->rows);
        CHECK_EQ(list[i].sealed, list[i].start != DEC_2025);
        if (list[i].sealed) {
            CHECK_EQ(list[i].raw_bytes, w->bytes);
            CHECK(strstr(list[i].name, ".z") != NULL);
        }
        rows[list[i].table - 1] += list[i].rows;
    }
    CHECK_EQ(rows[0], s.n_answers);
    CHECK_EQ(rows[1], s.n_interactions);
    fx_check_clean(s.env);

    /* A new process sees the sealed buckets, and the raw databases are gone. */
    qs_env_close(s.env);
    s.env = fx_open(s.dir, NULL);
    take_digest(&s, &after);
    fx_check_same(&before, &after);
    qs_db_stat stats[64];
    size_t n_stats;
    qs_txn *txn = fx_read(s.env);
    CHECK_RC(qs_db_stats(txn, stats, 64, &n_stats), 0);
    qs_txn_abort(txn);
    for (size_t i = 0; i < n_stats && i < 64; i++)
        CHECK_MSG(strcmp(stats[i].name, "ans@2025-10") != 0, "raw bucket still listed");
    qs_env_close(s.env);
    free(before.b);
    free(after.b);
}

TEST(seal_refusals_change_nothing)
{
    static log_store s;
    fx_digest before = {0}, after = {0};
    qs_bucket_info list[16];
    log_store_build(&s);
    take_digest(&s, &before);

    CHECK_RC(seal(s.env, QS_TABLE_ANSWERS, DEC_2025, FX_T0, NULL), QS_HOT);
    CHECK(strstr(qs_errmsg(), "ans@2025-12") != NULL);
    CHECK_RC(seal(s.env, QS_TABLE_ANSWERS, SEP_2025 - 31 * FX_DAY_MS, FX_T0, NULL), QS_NOTFOUND);
    CHECK_RC(seal(s.env, (qs_table)7, SEP_2025, FX_T0, NULL), QS_INVALID);
    /* three hot periods keep November raw too */
    qs_txn *txn = fx_write(s.env);
    qs_bucket_policy p = {.size = sizeof p};
    CHECK_RC(qs_bucket_policy_get(txn, &p), 0);
    CHECK_EQ(p.hot_periods, 2u);
    CHECK_EQ(p.answer_retention_days, 0u);
    CHECK_EQ(p.interaction_retention_days, 90u);
    p.hot_periods = 0;
    CHECK_RC(qs_bucket_policy_set(txn, &p), QS_INVALID);
    p.hot_periods = 3;
    CHECK_RC(qs_bucket_policy_set(txn, &p), 0);
    fx_commit(txn);
    CHECK_RC(seal(s.env, QS_TABLE_ANSWERS, NOV_2025, FX_T0, NULL), QS_HOT);

    txn = fx_read(s.env);
    CHECK_RC(qs_bucket_seal(txn, QS_TABLE_ANSWERS, SEP_2025, FX_T0, NULL), QS_READONLY);
    qs_txn_abort(txn);

    /* An aborted seal leaves the raw bucket. */
    txn = fx_write(s.env);
    CHECK_RC(qs_bucket_seal(txn, QS_TABLE_ANSWERS, SEP_2025, FX_T0, NULL), 0);
    qs_txn_abort(txn);
    size_t n = list_buckets(s.env, list, 16);
    const qs_bucket_info *sep = find_bucket(list, n, QS_TABLE_ANSWERS, SEP_2025);
    CHECK(sep != NULL && !sep->sealed);

    CHECK_RC(seal(s.env, QS_TABLE_ANSWERS, SEP_2025, FX_T0, NULL), 0);
    CHECK_RC(seal(s.env, QS_TABLE_ANSWERS, SEP_2025, FX_T0, NULL), QS_EXISTS);
    take_digest(&s, &after);
    fx_check_same(&before, &after);
    qs_env_close(s.env);
    free(before.b);
    free(after.b);
}

static int newest_first(const void *pa, const void *pb)
{
    const answer_rec *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at > b->at ? -1 : 1;
    return a->id > b->id ? -1 : (a->id < b->id);
}

/* Each user's history holds exactly the answers the store recorded, newest first. */
static void check_histories(log_store *s)
{
    static answer_rec sorted[MAX_ANSWERS];
    memcpy(sorted, s->answers, s->n_answers * sizeof *sorted);
    qsort(sorted, s->n_answers, sizeof *sorted, newest_first);
    qs_txn *txn = fx_read(s->env);
    for (unsigned u = 0; u < N_USERS; u++) {
        qs_history_row rows[16];
        qs_cursor next;
        size_t n = 0, pos = 0, seen = 0;
        CHECK_RC(qs_history(txn, s->users[u], NULL, rows, 16, &n, &next), 0);
        for (size_t i = 0; i < s->n_answers; i++) {
            if (sorted[i].user != s->users[u])
                continue;
            if (pos == 16) {
                qs_cursor after = next;
                CHECK_EQ(n, 17u);   /* the page said more rows follow */
                CHECK_RC(qs_history(txn, s->users[u], &after, rows, 16, &n, &next), 0);
                pos = 0;
            }
            CHECK(pos < n && pos < 16);
            CHECK_EQ(rows[pos].answer_id, sorted[i].id);
            CHECK_EQ(rows[pos].created_at, sorted[i].at);
            CHECK_EQ(rows[pos].test, sorted[i].test);
            pos++;
            seen++;
        }
        CHECK(seen > 0);
        CHECK(pos == n);   /* the last page says no row follows */
    }
    qs_txn_abort(txn);
}

TEST(writes_into_sealed_buckets_stay_sealed)
{
    static log_store s;
    qs_bucket_info list[16];
    log_store_build(&s);
    for (int m = 0; m < 3; m++) {
        CHECK_RC(seal(s.env, QS_TABLE_ANSWERS, months[m], FX_T0, NULL), 0);
        CHECK_RC(seal(s.env, QS_TABLE_INTERACTIONS, months[m], FX_T0, NULL), 0);
    }
    size_t interactions_before = s.n_interactions;
    /* Old history arrives: many answers of the busy user inside October (blocks
     * split), a few of the others, interactions, and a repeated interaction. */
    qs_txn *txn = fx_write(s.env);
    for (unsigned i = 0; i < 400; i++)
        add_answer(&s, txn, i % 5 ? 0 : 1 + i % (N_USERS - 1),
                   pick_time(OCT_2025, 30 * FX_DAY_MS, 0));
    for (unsigned i = 0; i < 50; i++)
        add_interaction(&s, txn, i % N_USERS, pick_time(OCT_2025, 30 * FX_DAY_MS, 0));
    fx_commit(txn);
    CHECK(s.n_interactions > interactions_before);

    txn = fx_write(s.env);
    uint8_t payload[] = "same event";
    qs_interaction ix = {s.users[2], 3, OCT_2025 + 5 * FX_DAY_MS + 777, payload, 10};
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_EXISTS);
    fx_commit(txn);
    s.n_interactions++;

    size_t n = list_buckets(s.env, list, 16);
    const qs_bucket_info *oct = find_bucket(list, n, QS_TABLE_ANSWERS, OCT_2025);
    CHECK(oct != NULL && oct->sealed);
    uint64_t rows[2] = {0, 0};
    for (size_t i = 0; i < n; i++)
        rows[list[i].table - 1] += list[i].rows;
    CHECK_EQ(rows[0], s.n_answers);
    CHECK_EQ(rows[1], s.n_interactions);

    txn = fx_read(s.env);
    CHECK_EQ(fx_interactions_in(txn, INT64_MIN, INT64_MAX), s.n_interactions);
    CHECK_EQ(fx_answers_in(txn, INT64_MIN, INT64_MAX), s.n_answers);
    qs_txn_abort(txn);
    check_histories(&s);
    fx_check_clean(s.env);
    qs_env_close(s.env);
}

static void dashboards(log_store *s, fx_digest *d)
{
    qs_txn *txn = fx_read(s->env);
    d->n = 0;
    for (unsigned u = 0; u < N_USERS; u++) {
        qs_dashboard dash = {.size = sizeof dash};
        qs_progress_row prog[8];
        size_t n;
        CHECK_RC(qs_dashboard_get(txn, s->users[u], DEC_2025 + 20 * FX_DAY_MS, &dash), 0);
        FX_PUT(d, dash.summary.answered); FX_PUT(d, dash.summary.correct);
        FX_PUT(d, dash.summary.time_ms); FX_PUT(d, dash.summary.streak);
        FX_PUT(d, dash.summary.best_streak); FX_PUT(d, dash.n_days);
        CHECK_RC(qs_progress(txn, s->users[u], prog, 8, &n), 0);
        for (size_t i = 0; i < n && i < 8; i++) {
            FX_PUT(d, prog[i].attempts); FX_PUT(d, prog[i].correct);
        }
        fx_put_days(d, txn, s->users[u]);
    }
    qs_txn_abort(txn);
}

static size_t expire(qs_env *env, int64_t now)
{
    size_t dropped = 99;
    qs_txn *txn = fx_write(env);
    CHECK_RC(qs_buckets_expire(txn, now, &dropped), 0);
    fx_commit(txn);
    return dropped;
}

static void set_retention(qs_env *env, unsigned answers, unsigned interactions)
{
    qs_bucket_policy p = {.size = sizeof p, 2, answers, interactions};
    qs_txn *txn = fx_write(env);
    CHECK_RC(qs_bucket_policy_set(txn, &p), 0);
    fx_commit(txn);
}

TEST(retention_drops_only_expired_buckets)
{
    static log_store s;
    fx_digest aggregates = {0}, after = {0};
    qs_bucket_info list[16];
    log_store_build(&s);
    CHECK_RC(seal(s.env, QS_TABLE_INTERACTIONS, OCT_2025, FX_T0, NULL), 0);
    dashboards(&s, &aggregates);

    /* Default policy at 2026-01-01: interactions keep 90 days, from 2025-10-03 on:
     * September ends before that and goes; October ends after and stays. */
    CHECK_EQ(expire(s.env, FX_T0), 1u);
    size_t n = list_buckets(s.env, list, 16);
    CHECK_EQ(n, 7u);
    CHECK(find_bucket(list, n, QS_TABLE_INTERACTIONS, SEP_2025) == NULL);
    CHECK(find_bucket(list, n, QS_TABLE_INTERACTIONS, OCT_2025) != NULL);
    for (int m = 0; m < 4; m++)
        CHECK(find_bucket(list, n, QS_TABLE_ANSWERS, months[m]) != NULL);
    CHECK_EQ(expire(s.env, FX_T0), 0u);
    qs_txn *txn = fx_read(s.env);
    CHECK_EQ(fx_interactions_in(txn, INT64_MIN, OCT_2025), 0u);
    qs_txn_abort(txn);

    /* Answers kept 61 days at 2026-01-01: a period ending exactly at the cutoff,
     * 2025-11-01, goes with September. */
    set_retention(s.env, 61, 90);
    CHECK_EQ(expire(s.env, FX_T0), 2u);
    n = list_buckets(s.env, list, 16);
    CHECK_EQ(n, 5u);
    CHECK(find_bucket(list, n, QS_TABLE_ANSWERS, OCT_2025) == NULL);
    CHECK(find_bucket(list, n, QS_TABLE_ANSWERS, NOV_2025) != NULL);

    /* Rows of dropped periods are refused, so that a re-import counts nothing twice. */
    txn = fx_write(s.env);
    qs_answer a;
    qs_interaction ix = {s.users[1], 2, SEP_2025 + FX_DAY_MS, "x", 1};
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_EXPIRED);
    new_test(&s, txn, 1);
    fx_answer_init(&a, s.test[1], s.questions[0], QS_ANSWERED, QS_GRADE, 0,
                   NOV_2025 - 1000);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_EXPIRED);
    CHECK(strstr(qs_errmsg(), "retention") != NULL);
    a.created_at = NOV_2025;
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
    qs_txn_abort(txn);

    /* Every aggregate stays; the dropped answers stay answered. */
    dashboards(&s, &after);
    fx_check_same(&aggregates, &after);
    txn = fx_write(s.env);
    const answer_rec *old = &s.answers[0];
    CHECK(old->at < NOV_2025);
    CHECK_RC(qs_answer_get(txn, old->test, old->question, &a), QS_NOTFOUND);
    CHECK(strstr(qs_errmsg(), "retention") != NULL);
    fx_answer_init(&a, old->test, old->question, QS_ANSWERED, QS_GRADE, 0, NOV_2025);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_EXISTS);
    CHECK_RC(qs_index_rebuild(txn), 0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_EXISTS);
    fx_commit(txn);
    fx_check_clean(s.env);

    qs_env_close(s.env);
    s.env = fx_open(s.dir, NULL);
    dashboards(&s, &after);
    fx_check_same(&aggregates, &after);
    qs_env_close(s.env);
    free(aggregates.b);
    free(after.b);
}

/* ------------------------------------------------------------------ crash */

/* The named databases of the store in @p dir whose name starts with @p prefix. */
static unsigned count_dbs(const char *dir, const char *prefix)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi main_dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    unsigned n = 0;
    CHECK_RC(mdb_env_create(&env), 0);
    CHECK_RC(mdb_env_set_maxdbs(env, 64), 0);
    CHECK_RC(mdb_env_open(env, dir, MDB_RDONLY, 0644), 0);
    CHECK_RC(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_RC(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
    CHECK_RC(mdb_cursor_open(txn, main_dbi, &cur), 0);
    size_t len = strlen(prefix);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        n += k.mv_size >= len && memcmp(k.mv_data, prefix, len) == 0;
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return n;
}

#define NO_KILL UINT_MAX

/* A child seals October; the parent kills it @p delay_us after it began (NO_KILL: lets
 * it finish). */
static void seal_and_kill(const char *dir, unsigned delay_us)
{
    int ready[2];
    CHECK_RC(pipe(ready), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        qs_env *env;
        qs_txn *txn;
        qs_options o = fx_options();
        close(ready[0]);
        if (qs_env_open(dir, &o, &env) || qs_txn_begin(env, 0, &txn))
            _exit(2);
        if (write(ready[1], "s", 1) != 1)
            _exit(2);
        int rc = qs_bucket_seal(txn, QS_TABLE_ANSWERS, OCT_2025, FX_T0, NULL);
        if (rc == 0)
            rc = qs_txn_commit(txn);
        _exit(rc == 0 || rc == QS_EXISTS ? 0 : 3);
    }
    close(ready[1]);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    close(ready[0]);
    if (delay_us != NO_KILL) {
        usleep(delay_us);
        kill(pid, SIGKILL);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

TEST(crash_while_sealing_leaves_one_bucket)
{
    static log_store s;
    fx_digest before = {0}, after = {0};
    qs_bucket_info list[16];
    log_store_build(&s);
    /* a larger October, so that the kill lands inside the seal */
    qs_txn *txn = fx_write(s.env);
    for (unsigned i = 0; i < 3000; i++)
        add_answer(&s, txn, i % N_USERS, pick_time(OCT_2025, 30 * FX_DAY_MS, 0));
    fx_commit(txn);
    take_digest(&s, &before);
    qs_env_close(s.env);

    static const unsigned delays_us[] = {0, 300, 1000, 2000, 4000, 6000, 9000, NO_KILL};
    unsigned sealed_seen = 0, raw_seen = 0;
    for (size_t i = 0; i < sizeof delays_us / sizeof delays_us[0]; i++) {
        seal_and_kill(s.dir, delays_us[i]);
        s.env = fx_open(s.dir, NULL);
        size_t n = list_buckets(s.env, list, 16);
        const qs_bucket_info *oct = find_bucket(list, n, QS_TABLE_ANSWERS, OCT_2025);
        CHECK(oct != NULL);
        take_digest(&s, &after);
        fx_check_same(&before, &after);
        qs_env_close(s.env);
        /* never both databases, never neither */
        unsigned raw = count_dbs(s.dir, "ans@2025-10") - count_dbs(s.dir, "ans@2025-10.z");
        unsigned sealed = count_dbs(s.dir, "ans@2025-10.z");
        CHECK_EQ(raw + sealed, 1u);
        CHECK_EQ(sealed, (unsigned)oct->sealed);
        sealed_seen += sealed;
        raw_seen += raw;
    }
    CHECK(sealed_seen > 0);   /* the last child was let finish */
    CHECK(raw_seen > 0);      /* the first was killed before it could commit */
    free(before.b);
    free(after.b);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(sealing_keeps_every_read),
        CASE(sealing_in_passes_keeps_every_read),
        CASE(sealing_users_sharing_a_range_keeps_every_read),
        CASE(seal_refusals_change_nothing),
        CASE(writes_into_sealed_buckets_stay_sealed),
        CASE(retention_drops_only_expired_buckets),
        CASE(crash_while_sealing_leaves_one_bucket),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
