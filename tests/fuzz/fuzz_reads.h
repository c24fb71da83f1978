/* fuzz_reads.h: the public reads a damaged store must survive, by group, with checks
 * on what they hand out; for fuzz_records.c.
 *
 * Every call must return 0 or a QS_ code (EXPECT_QS); an output is read through
 * (touch) so that the sanitizers see every byte of it, and its sizes and strings
 * must stay within their documented bounds.
 */
#ifndef QS_FUZZ_READS_H
#define QS_FUZZ_READS_H

#include "fuzz_store.h"

static volatile uint64_t fz_sink;   /* where outputs are read into */
static int fz_corrupt_seen;          /* reads that said QS_CORRUPT, and the first's detail */
static char fz_corrupt_detail[512];

/* Groups of reads, by what they decode. */
enum {
    R_BANK = 1 << 0,    /* questions, their stats, the listing */
    R_USERS = 1 << 1,   /* the reads of some users */
    R_TESTS = 1 << 2,   /* tests, answers by (test, question) */
    R_SCANS = 1 << 3,   /* answer and interaction scans, the bucket list */
    R_TAXA = 1 << 4,
    R_MISC = 1 << 5,    /* resolve, leaderboard, policy, pools, database stats */
    R_DEEP = 1 << 6,    /* qs_index_verify, qs_check */
    R_PROBES = 1 << 7   /* fz_write_probes */
};

#define EXPECT_QS(call)                                                                  \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (!fz_qs_code(rc_))                                                            \
            FZ_DIE("%s returned %d (%s; %s)", #call, rc_, qs_strerror(rc_), qs_errmsg()); \
        if (rc_ == QS_CORRUPT && fz_corrupt_seen++ == 0)                                 \
            snprintf(fz_corrupt_detail, sizeof fz_corrupt_detail, "%s: %s", #call,       \
                     qs_errmsg());                                                       \
        if (strlen(qs_errmsg()) > 4096)                                                  \
            FZ_DIE("%s: error detail too long", #call);                                 \
    } while (0)

static void touch(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + b[i];
    fz_sink += h;
}

static void touch_text(qs_text t)
{
    if (t.len && !t.ptr)
        FZ_DIE("a text of %zu bytes with no pointer", t.len);
    touch(t.ptr, t.len);
}

static void check_name(const char *s, size_t cap, const char *what)
{
    if (strnlen(s, cap) == cap)
        FZ_DIE("%s is not NUL-terminated", what);
}

static int on_answer(const qs_answer *a, void *ctx)
{
    (void)ctx;
    touch(a, sizeof *a);
    return 0;
}

static int on_interaction(const qs_interaction *ix, uint64_t seq, void *ctx)
{
    (void)ctx;
    if (ix->payload_len > QS_PAYLOAD_MAX)
        FZ_DIE("interaction %llu has a payload of %zu bytes", (unsigned long long)seq,
               ix->payload_len);
    if (ix->payload_len && !ix->payload)
        FZ_DIE("interaction payload of %zu bytes with no pointer", ix->payload_len);
    touch(ix->payload, ix->payload_len);
    return 0;
}

/* ------------------------------------------------------------------ reads */

static void read_question(qs_txn *txn, uint32_t id)
{
    qs_question q = {.size = sizeof q};
    qs_question_stats st = {.size = sizeof st};
    int rc = qs_question_get(txn, id, &q);
    EXPECT_QS(rc);
    if (rc == 0) {
        if (q.n_options > QS_MAX_OPTIONS)
            FZ_DIE("question %u has %u options", id, q.n_options);
        check_name(q.ext_id, sizeof q.ext_id, "question ext_id");
        touch_text(q.stem);
        touch_text(q.explanation);
        for (unsigned i = 0; i < q.n_options; i++)
            touch_text(q.options[i]);
    }
    EXPECT_QS(qs_question_stats_get(txn, id, &st));
}

static void read_user(qs_txn *txn, const fz_store *s, uint32_t user)
{
    static qs_dashboard dash;
    qs_user u = {.size = sizeof u};
    qs_progress_row prog[16];
    qs_history_row hist[8];
    qs_cursor next;
    qs_rank_row rank;
    qs_test_row tests[8];
    qs_interaction_day days[16];
    qs_user_question uq = {.size = sizeof uq};
    size_t n;
    int rc = qs_user_get(txn, user, &u);
    EXPECT_QS(rc);
    if (rc == 0)
        check_name(u.ext_id, sizeof u.ext_id, "user ext_id");
    rc = qs_dashboard_get(txn, user, FZ_T_NOW, &dash);
    EXPECT_QS(rc);
    if (rc == 0 && dash.n_days > QS_DASHBOARD_DAYS)
        FZ_DIE("dashboard of %zu days", dash.n_days);
    EXPECT_QS(qs_progress(txn, user, prog, 16, &n));
    rc = qs_history(txn, user, NULL, hist, 4, &n, &next);
    EXPECT_QS(rc);
    if (rc == 0 && n > 5)
        FZ_DIE("history page of %zu rows for 4", n);
    if (rc == 0 && n == 5)   /* more rows follow */
        EXPECT_QS(qs_history(txn, user, &next, hist, 8, &n, &next));
    EXPECT_QS(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, user, &rank));
    EXPECT_QS(qs_leaderboard_rank(txn, qs_board_week(FZ_T_CUR), user, &rank));
    EXPECT_QS(qs_test_list(txn, user, tests, 8, &n));
    EXPECT_QS(qs_interaction_days(txn, user, 0, 30000, days, 16, &n));
    for (unsigned i = 0; i < 3; i++)
        EXPECT_QS(qs_user_question_get(txn, user, s->questions[i], &uq));
}

static void read_tests(qs_txn *txn, const fz_store *s)
{
    static qs_test test;
    qs_answer answer;
    for (unsigned u = 0; u < s->n_users; u++) {
        for (unsigned m = 0; m < 2; m++) {
            int rc = qs_test_get(txn, s->tests[u][m], &test);
            EXPECT_QS(rc);
            if (rc == 0 && test.n_questions > QS_TEST_MAX_QUESTIONS)
                FZ_DIE("test of %u questions", test.n_questions);
        }
    }
    EXPECT_QS(qs_test_get(txn, s->listed_test, &test));
    for (size_t i = 0; i < s->n_answers; i += 5)
        EXPECT_QS(qs_answer_get(txn, s->answers[i].test, s->answers[i].question, &answer));
}

static void read_scans(qs_txn *txn)
{
    qs_bucket_info buckets[8];
    size_t n;
    EXPECT_QS(qs_answer_scan(txn, INT64_MIN, INT64_MAX, on_answer, NULL));
    EXPECT_QS(qs_interaction_scan(txn, INT64_MIN, INT64_MAX, on_interaction, NULL));
    int rc = qs_bucket_list(txn, buckets, 8, &n);
    EXPECT_QS(rc);
    for (size_t i = 0; rc == 0 && i < n && i < 8; i++)
        check_name(buckets[i].name, sizeof buckets[i].name, "bucket name");
}

static void read_bank(qs_txn *txn, const fz_store *s)
{
    uint32_t ids[16];
    size_t n;
    for (unsigned i = 0; i < 4; i++)
        read_question(txn, s->questions[i]);
    qs_question_filter f = {.size = sizeof f};
    memset(&f, 0, sizeof f);
    EXPECT_QS(qs_question_list(txn, &f, NULL, ids, 16, &n, NULL));
    f.band = QS_BAND_NONE;
    EXPECT_QS(qs_question_list(txn, &f, NULL, ids, 16, &n, NULL));
}

static void read_misc(qs_txn *txn)
{
    qs_rank_row top[8];
    qs_bucket_policy policy = {.size = sizeof policy};
    qs_pool_info pools[32];
    qs_db_stat stats[32];
    uint64_t id;
    size_t n;
    EXPECT_QS(qs_resolve(txn, QS_USER, "u-1", &id));
    EXPECT_QS(qs_resolve(txn, QS_QUESTION, "q-1", &id));
    EXPECT_QS(qs_resolve(txn, QS_TEST, "t-1-cur", &id));
    EXPECT_QS(qs_leaderboard_top(txn, QS_BOARD_ALL_TIME, top, 8, &n));
    EXPECT_QS(qs_bucket_policy_get(txn, &policy));
    EXPECT_QS(qs_pools_list(txn, pools, 32, &n));
    EXPECT_QS(qs_db_stats(txn, stats, 32, &n));
}

static void read_deep(qs_txn *txn)
{
    static qs_index_report reports[32];
    static qs_check_report checks[64];
    size_t n;
    int rc = qs_index_verify(txn, reports, 32, &n);
    EXPECT_QS(rc);
    for (size_t i = 0; rc == 0 && i < n && i < 32; i++) {
        check_name(reports[i].name, sizeof reports[i].name, "index report name");
        check_name(reports[i].first_finding, sizeof reports[i].first_finding, "index finding");
    }
    rc = qs_check(txn, checks, 64, &n);
    EXPECT_QS(rc);
    for (size_t i = 0; rc == 0 && i < n && i < 64; i++) {
        check_name(checks[i].name, sizeof checks[i].name, "check report name");
        check_name(checks[i].first_finding, sizeof checks[i].first_finding, "check finding");
    }
}

/* Run the reads of @p groups (R_ flags); R_USERS for the users of bit mask @p users
 * (bit u: s->users[u]). */
static void fz_reads_run(qs_txn *txn, const fz_store *s, unsigned groups, unsigned users)
{
    qs_taxon taxon = {.size = sizeof taxon};
    if (groups & R_BANK)
        read_bank(txn, s);
    for (unsigned u = 0; (groups & R_USERS) && u < s->n_users; u++)
        if (users & (1u << u))
            read_user(txn, s, s->users[u]);
    if (groups & R_TESTS)
        read_tests(txn, s);
    if (groups & R_SCANS)
        read_scans(txn);
    for (unsigned i = 0; (groups & R_TAXA) && i < 4; i++) {
        int rc = qs_taxon_get(txn, QS_TOPIC, s->topics[i], &taxon);
        EXPECT_QS(rc);
        if (rc == 0)
            check_name(taxon.name, sizeof taxon.name, "topic name");
    }
    if (groups & R_MISC)
        read_misc(txn);
    if (groups & R_DEEP)
        read_deep(txn);
}

/* Writes that read what they change first: an answer into the sealed and the raw
 * bucket, an interaction into the sealed one. */
static void fz_write_probes(qs_txn *txn, const fz_store *s)
{
    qs_answer a;
    qs_interaction ix;
    memset(&a, 0, sizeof a);
    a.test = s->tests[0][0];
    a.question = s->questions[FZ_QUESTIONS - 2];
    a.correct = QS_GRADE;
    a.chosen = 1;
    a.status = QS_ANSWERED;
    a.time_spent_ms = 2000;
    a.created_at = FZ_T_OLD + 10 * FZ_DAY_MS;
    EXPECT_QS(qs_answer_submit(txn, &a, NULL));
    a.test = s->tests[0][1];
    a.created_at = FZ_T_CUR + 3 * FZ_DAY_MS;
    EXPECT_QS(qs_answer_submit(txn, &a, NULL));
    memset(&ix, 0, sizeof ix);
    ix.user = s->users[0];
    ix.action = 2;
    ix.created_at = FZ_T_OLD + 10 * FZ_DAY_MS;
    ix.payload = "probe";
    ix.payload_len = 5;
    EXPECT_QS(qs_interaction_log(txn, &ix, NULL));
}

#endif /* QS_FUZZ_READS_H */
