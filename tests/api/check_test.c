/* Tests qs_check (records, buckets, indexes, aggregates recomputed, links between
 * records) and qs_repair. */
#include "check.h"
#include "fixture.h"
#include "rawdb.h"
#include "engine.h"
#include "composite.h"
#include "model.h"

#define OCT_2025 1759276800000LL
#define N_ANSWERS 200

typedef struct store {
    const char *dir;
    qs_env *env;
    fx_bank b;
} store;

/* Two users answering the bank over three months (October sealed), interactions,
 * and review marks set and cleared. */
static void store_build(store *s)
{
    s->dir = check_tmpdir();
    s->env = fx_open(s->dir, NULL);
    fx_bank_build(s->env, &s->b);
    qs_txn *txn = fx_write(s->env);
    uint64_t tests[2][20];
    char ext[32];
    for (unsigned u = 0; u < 2; u++)
        for (unsigned t = 0; t < 20; t++) {
            snprintf(ext, sizeof ext, "ct-%u-%u", u, t);
            tests[u][t] = fx_test(txn, ext, s->b.users[u], 1, NULL, 0, OCT_2025 - FX_DAY_MS);
        }
    for (unsigned i = 0; i < N_ANSWERS; i++) {
        unsigned u = i % 2, q = (i / 2) % FX_BANK_QUESTIONS;
        qs_answer a;
        int64_t at = OCT_2025 + (int64_t)check_below(85 * 24) * FX_HOUR_MS;
        fx_answer_init(&a, tests[u][i / 2 / FX_BANK_QUESTIONS], s->b.questions[q],
                       check_chance(10) ? QS_FLAGGED : QS_ANSWERED, QS_GRADE,
                       (int8_t)check_below(4), at);
        CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
        qs_interaction ix = {s->b.users[u], (uint8_t)(1 + i % 8), at + 1000 + i, "p", 1};
        CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    }
    CHECK_RC(qs_question_mark(txn, s->b.users[0], s->b.questions[3], 1), 0);
    CHECK_RC(qs_question_mark(txn, s->b.users[1], s->b.questions[4], 0), 0);
    fx_commit(txn);
    txn = fx_write(s->env);
    CHECK_RC(qs_bucket_seal(txn, QS_TABLE_ANSWERS, OCT_2025, FX_T0, NULL), 0);
    fx_commit(txn);
}

static size_t run_check(qs_env *env, qs_check_report *rows, size_t cap)
{
    size_t n;
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_check(txn, rows, cap, &n), 0);
    qs_txn_abort(txn);
    CHECK(n <= cap);
    return n;
}

/* The row named @p name, or NULL. */
static const qs_check_report *row_named(const qs_check_report *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

static uint64_t total_findings(const qs_check_report *rows, size_t n)
{
    uint64_t f = 0;
    for (size_t i = 0; i < n; i++)
        f += rows[i].findings;
    return f;
}

/* What the dashboards and reads show, to compare before damage and after repair. */
static void snapshot(store *s, char *out, size_t cap)
{
    qs_txn *txn = fx_read(s->env);
    size_t o = 0;
    for (unsigned u = 0; u < 2; u++) {
        qs_dashboard d = {.size = sizeof d};
        qs_progress_row p[8];
        qs_interaction_day days[256];
        qs_rank_row rank;
        size_t n, nd;
        CHECK_RC(qs_dashboard_get(txn, s->b.users[u], OCT_2025 + 80 * FX_DAY_MS, &d), 0);
        CHECK_RC(qs_progress(txn, s->b.users[u], p, 8, &n), 0);
        CHECK_RC(qs_interaction_days(txn, s->b.users[u], INT32_MIN, INT32_MAX, days, 256,
                                     &nd), 0);
        CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, s->b.users[u], &rank), 0);
        o += (size_t)snprintf(out + o, cap - o, "%u %u %u %u %llu %zu %zu %llu|",
                              d.summary.answered, d.summary.correct, d.summary.streak,
                              d.summary.best_streak, (unsigned long long)d.summary.time_ms,
                              n, nd, (unsigned long long)rank.rank);
        for (unsigned q = 0; q < FX_BANK_QUESTIONS; q++) {
            qs_user_question uq = {.size = sizeof uq};
            int rc = qs_user_question_get(txn, s->b.users[u], s->b.questions[q], &uq);
            o += (size_t)snprintf(out + o, cap - o, "%d:%u:%u:%u ", rc, uq.attempts,
                                  uq.marked, uq.last_correct);
        }
    }
    for (unsigned q = 0; q < FX_BANK_QUESTIONS; q++) {
        qs_question_stats st = {.size = sizeof st};
        CHECK_RC(qs_question_stats_get(txn, s->b.questions[q], &st), 0);
        o += (size_t)snprintf(out + o, cap - o, "%u/%u/%u ", st.attempts, st.correct, st.users);
    }
    qs_txn_abort(txn);
    CHECK(o < cap);
}

/* Rewrite the record of @p db at (its first entry) through @p edit, with a valid
 * checksum unless @p break_checksum. */
static void damage_first(store *s, const char *db, void (*edit)(uint8_t *body, size_t n),
                         int break_checksum)
{
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t klen, vlen;
    qs_env_close(s->env);
    raw_open(&r, s->dir, db, 0);
    raw_entry(&r, MDB_FIRST, key, &klen, val, &vlen);
    edit(val + 5, vlen - 5);
    eng_key k;
    ek_reset(&k);
    ek_bytes(&k, key, klen);
    if (break_checksum)
        val[vlen - 1] ^= 0x40;
    else
        eng_rec_seal(val, &k, val + 5, vlen - 5);
    raw_put(&r, key, klen, val, vlen);
    raw_close(&r);
    s->env = fx_open(s->dir, NULL);
}

static void add_one(uint8_t *body, size_t n)
{
    body[3]++;   /* the low byte of the first u32: answered, attempts, answers */
    (void)n;
}

/* A progress record whose topics are out of order: the second row's topic made the
 * first's, or a lone row's made one past the record's 32 topics. */
static void topics_out_of_order(uint8_t *body, size_t n)
{
    if (n >= 2 * 17)
        body[17] = body[0];
    else
        body[0] = 32;
}

static void nothing(uint8_t *body, size_t n)
{
    (void)body;
    (void)n;
}

TEST(a_sound_store_checks_clean)
{
    static store s;
    qs_check_report rows[96];
    store_build(&s);
    size_t n = run_check(s.env, rows, 96);
    CHECK_EQ(total_findings(rows, n), 0u);
    static const char *const names[] = {"question", "usum", "ans@2025-10.z", "ans@2025-12",
                                        "ixn@2025-10", "index:q_filter", "index:test_answers",
                                        "index:pools",
                                        "aggregate:qstat", "aggregate:usum", "aggregate:udaily",
                                        "aggregate:progress", "aggregate:uq", "aggregate:idaily",
                                        "link:answer-user", "link:answer-listed",
                                        "link:test-activity", "link:question-topic"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const qs_check_report *r = row_named(rows, n, names[i]);
        CHECK_MSG(r != NULL, "no row %s", names[i]);
        CHECK_MSG(r && r->checked > 0, "%s checked nothing", names[i]);
    }
    /* a short output array still counts every row */
    size_t n_short;
    qs_txn *txn = fx_read(s.env);
    CHECK_RC(qs_check(txn, rows, 2, &n_short), 0);
    CHECK_EQ(n_short, n);
    CHECK_RC(qs_check(txn, NULL, 2, &n_short), QS_INVALID);
    CHECK_RC(qs_repair(txn), QS_READONLY);
    qs_txn_abort(txn);
    qs_env_close(s.env);
}

TEST(wrong_aggregates_are_found_and_repaired)
{
    static store s;
    static char before[16384], after[16384];
    qs_check_report rows[96];
    store_build(&s);
    snapshot(&s, before, sizeof before);

    damage_first(&s, "usum", add_one, 0);       /* a summary one answer off */
    damage_first(&s, "qstat", add_one, 0);      /* question stats one attempt off */
    damage_first(&s, "udaily", nothing, 1);     /* a daily row with a bad checksum */
    damage_first(&s, "idaily", add_one, 0);     /* an interaction count off */
    damage_first(&s, "topic_progress", topics_out_of_order, 0);
    size_t n = run_check(s.env, rows, 96);
    CHECK(row_named(rows, n, "aggregate:usum")->findings > 0);
    CHECK(row_named(rows, n, "aggregate:qstat")->findings > 0);
    CHECK(row_named(rows, n, "aggregate:idaily")->findings > 0);
    CHECK(row_named(rows, n, "udaily")->findings == 1);
    CHECK(strstr(row_named(rows, n, "udaily")->first_finding, "checksum") != NULL);
    CHECK(row_named(rows, n, "topic_progress")->findings == 1);
    CHECK(strstr(row_named(rows, n, "topic_progress")->first_finding, "out of order") != NULL);
    CHECK(row_named(rows, n, "aggregate:progress")->findings > 0);
    CHECK(row_named(rows, n, "question")->findings == 0);

    qs_txn *txn = fx_write(s.env);
    CHECK_RC(qs_repair(txn), 0);
    fx_commit(txn);
    fx_check_clean(s.env);
    snapshot(&s, after, sizeof after);
    CHECK_STR(after, before);   /* review marks included */
    qs_env_close(s.env);
}

TEST(damaged_primary_records_are_not_repaired)
{
    static store s;
    qs_check_report rows[96];
    store_build(&s);
    damage_first(&s, "user", nothing, 1);
    size_t n = run_check(s.env, rows, 96);
    const qs_check_report *u = row_named(rows, n, "user");
    CHECK(u->findings == 1);
    CHECK(strstr(u->first_finding, "'user'") != NULL);
    qs_txn *txn = fx_write(s.env);
    CHECK_RC(qs_repair(txn), QS_CORRUPT);
    CHECK(strstr(qs_errmsg(), "backup") != NULL);
    qs_txn_abort(txn);
    qs_env_close(s.env);
}

TEST(damaged_sealed_block_is_found)
{
    static store s;
    qs_check_report rows[96];
    store_build(&s);
    qs_env_close(s.env);
    raw_flip_last(s.dir, "ans@2025-10.z");   /* the last block of the sealed October */
    s.env = fx_open(s.dir, NULL);
    size_t n = run_check(s.env, rows, 96);
    const qs_check_report *b = row_named(rows, n, "ans@2025-10.z");
    CHECK(b->findings == 1);
    CHECK(strstr(b->first_finding, "ans@2025-10.z") != NULL);
    qs_txn *txn = fx_write(s.env);
    CHECK_RC(qs_repair(txn), QS_CORRUPT);
    qs_txn_abort(txn);
    qs_env_close(s.env);
}

TEST(after_retention_aggregates_are_not_recomputed)
{
    static store s;
    static char before[16384], after[16384];
    qs_check_report rows[96];
    store_build(&s);
    qs_txn *txn = fx_write(s.env);
    qs_bucket_policy p = {.size = sizeof p, 2, 20, 20};
    CHECK_RC(qs_bucket_policy_set(txn, &p), 0);
    size_t dropped;
    CHECK_RC(qs_buckets_expire(txn, FX_T0, &dropped), 0);
    CHECK_EQ(dropped, 4u);   /* October and November of both tables */
    fx_commit(txn);
    snapshot(&s, before, sizeof before);
    size_t n = run_check(s.env, rows, 96);
    CHECK_EQ(total_findings(rows, n), 0u);
    const qs_check_report *r = row_named(rows, n, "aggregate:usum");
    CHECK(r->checked == 0 && strstr(r->first_finding, "retention") != NULL);
    txn = fx_write(s.env);
    CHECK_RC(qs_repair(txn), 0);
    fx_commit(txn);
    fx_check_clean(s.env);
    snapshot(&s, after, sizeof after);
    CHECK_STR(after, before);
    qs_env_close(s.env);
}

/* The run end of a daily row (its last 4 bytes) moved by 4 days. */
static void move_run_end(uint8_t *body, size_t n)
{
    CHECK_EQ(n, 20);
    body[19] ^= 0x04;
}

/* The first daily row names a wrong day as the other end of its run. */
static void check_wrong_run_end(store *s)
{
    qs_check_report rows[96];
    damage_first(s, "udaily", move_run_end, 0);
    size_t n = run_check(s->env, rows, 96);
    const qs_check_report *r = row_named(rows, n, "aggregate:udaily");
    CHECK_EQ(r->findings, 1);
    CHECK_MSG(strstr(r->first_finding, "other end of its run") != NULL, "%s",
              r->first_finding);
    CHECK_EQ(total_findings(rows, n), 1);
    qs_txn *txn = fx_write(s->env);
    CHECK_RC(qs_repair(txn), 0);
    fx_commit(txn);
    fx_check_clean(s->env);
}

TEST(wrong_run_ends_are_found_and_repaired)
{
    static store s;
    static char before[16384], after[16384];
    store_build(&s);
    snapshot(&s, before, sizeof before);
    check_wrong_run_end(&s);
    snapshot(&s, after, sizeof after);
    CHECK_STR(after, before);

    /* With the answers dropped, the run ends are checked and rebuilt from the rows. */
    qs_txn *txn = fx_write(s.env);
    qs_bucket_policy p = {.size = sizeof p, 2, 20, 20};
    size_t dropped;
    CHECK_RC(qs_bucket_policy_set(txn, &p), 0);
    CHECK_RC(qs_buckets_expire(txn, FX_T0, &dropped), 0);
    fx_commit(txn);
    snapshot(&s, before, sizeof before);
    check_wrong_run_end(&s);
    snapshot(&s, after, sizeof after);
    CHECK_STR(after, before);
    qs_env_close(s.env);
}

/* ---- links between records, as older versions could break them ------------------ */

/* A test as older versions let a put leave it: the record and its index entry
 * rewritten, whatever its answers say. */
static void old_test_put(qs_txn *txn, const eng_test *t)
{
    static eng_test before;
    CHECK_RC(eng_test_get(txn, t->id, &before), 0);
    CHECK_RC(eng_test_put(txn, t), 0);
    CHECK_RC(idx_test_changed(txn, &before, t), 0);
}

/* Three closed tests of user 0, each with answers to its first two questions. */
typedef struct linked {
    qs_env *env;
    fx_bank b;
    uint64_t tests[3];
    int64_t newest;
} linked;

static void linked_build(linked *l)
{
    char ext[16];
    l->env = fx_open_tmp();
    fx_bank_build(l->env, &l->b);
    qs_txn *txn = fx_write(l->env);
    l->newest = FX_T0 - 2 * FX_DAY_MS;
    for (unsigned i = 0; i < 3; i++) {
        snprintf(ext, sizeof ext, "lt-%u", i);
        l->tests[i] = fx_test(txn, ext, l->b.users[0], 0, l->b.questions, 4,
                              FX_T0 - 9 * FX_DAY_MS);
        fx_answer(txn, l->tests[i], l->b.questions[0], 0, FX_T0 - 3 * FX_DAY_MS);
        fx_answer(txn, l->tests[i], l->b.questions[1], 1, l->newest);
    }
    fx_commit(txn);
    fx_check_clean(l->env);
}

/* Only the row @p name has findings, its first naming @p key; the repair mends them
 * and the store checks clean. */
static void found_and_repaired(qs_env *env, const char *name, const char *key)
{
    qs_check_report rows[96];
    size_t n = run_check(env, rows, 96);
    CHECK_MSG(row_named(rows, n, name) != NULL, "no row %s", name);
    for (size_t i = 0; i < n; i++) {
        int wanted = strcmp(rows[i].name, name) == 0;
        CHECK_MSG(wanted == (rows[i].findings > 0), "%s: %llu findings: %s", rows[i].name,
                  (unsigned long long)rows[i].findings, rows[i].first_finding);
        CHECK_MSG(!wanted || strstr(rows[i].first_finding, key), "%s: \"%s\" does not name %s",
                  name, rows[i].first_finding, key);
    }
    qs_txn *txn = fx_write(env);
    CHECK_RC(qs_repair(txn), 0);
    fx_commit(txn);
    fx_check_clean(env);
}

TEST(test_times_behind_answers_are_found_and_repaired)
{
    static linked l;
    static eng_test t;
    char key[32];
    linked_build(&l);
    qs_txn *txn = fx_write(l.env);
    CHECK_RC(eng_test_get(txn, l.tests[1], &t), 0);
    t.last_activity_at = FX_T0 - 8 * FX_DAY_MS;   /* back past both answers */
    old_test_put(txn, &t);
    fx_commit(txn);
    snprintf(key, sizeof key, "test %llu:", (unsigned long long)l.tests[1]);
    found_and_repaired(l.env, "link:test-activity", key);
    txn = fx_read(l.env);
    CHECK_RC(eng_test_get(txn, l.tests[1], &t), 0);
    CHECK_EQ(t.last_activity_at, l.newest);
    qs_txn_abort(txn);
    qs_env_close(l.env);
}

TEST(moved_topic_left_behind_is_found_and_repaired)
{
    static linked l;
    qs_taxon topic = {.size = sizeof topic};
    qs_question q = {.size = sizeof q};
    char key[32];
    linked_build(&l);
    qs_txn *txn = fx_write(l.env);
    /* topic 0 moved under system 1 the old way: its questions stay in system 0 */
    CHECK_RC(eng_taxon_get(txn, QS_TOPIC, l.b.topics[0], &topic), 0);
    topic.parent = l.b.systems[1];
    CHECK_RC(eng_taxon_put(txn, QS_TOPIC, &topic), 0);
    fx_commit(txn);
    snprintf(key, sizeof key, "question %u:", l.b.questions[0]);
    found_and_repaired(l.env, "link:question-topic", key);
    txn = fx_read(l.env);
    for (unsigned i = 0; i < 3; i++) {
        CHECK_RC(qs_question_get(txn, l.b.questions[i], &q), 0);
        CHECK(q.system == l.b.systems[1] && q.topic == l.b.topics[0]);
    }
    qs_txn_abort(txn);
    qs_env_close(l.env);
}

TEST(answers_their_test_disowns_are_found_and_not_repaired)
{
    static linked l;
    static eng_test t;
    char key[32];
    linked_build(&l);
    qs_txn *txn = fx_write(l.env);
    CHECK_RC(eng_test_get(txn, l.tests[0], &t), 0);
    t.user = l.b.users[1];   /* another user's, under user 0's answers */
    old_test_put(txn, &t);
    CHECK_RC(eng_test_get(txn, l.tests[2], &t), 0);
    t.questions[1] = t.questions[3];   /* answered question 1 dropped */
    t.n_questions = 3;
    old_test_put(txn, &t);
    fx_commit(txn);
    qs_check_report rows[96];
    size_t n = run_check(l.env, rows, 96);
    const qs_check_report *user = row_named(rows, n, "link:answer-user");
    const qs_check_report *listed = row_named(rows, n, "link:answer-listed");
    CHECK(user != NULL && listed != NULL);
    CHECK_EQ(user->findings, 2);
    snprintf(key, sizeof key, "test %llu is user %u's", (unsigned long long)l.tests[0],
             l.b.users[1]);
    CHECK_MSG(strstr(user->first_finding, key) && strstr(user->first_finding, "primary"),
              "%s", user->first_finding);
    CHECK_EQ(listed->findings, 1);
    snprintf(key, sizeof key, "test %llu: question %u", (unsigned long long)l.tests[2],
             l.b.questions[1]);
    CHECK_MSG(strstr(listed->first_finding, key) && strstr(listed->first_finding, "primary"),
              "%s", listed->first_finding);
    /* test_answers finds an answer through its test's user: both entries point at
     * nothing */
    CHECK_EQ(row_named(rows, n, "index:test_answers")->findings, 2);
    CHECK_EQ(total_findings(rows, n), 5);

    /* the repair cannot choose between the records: the findings stay */
    txn = fx_write(l.env);
    CHECK_RC(qs_repair(txn), 0);
    fx_commit(txn);
    n = run_check(l.env, rows, 96);
    CHECK_EQ(row_named(rows, n, "link:answer-user")->findings, 2);
    CHECK_EQ(row_named(rows, n, "link:answer-listed")->findings, 1);
    CHECK_EQ(row_named(rows, n, "index:test_answers")->findings, 2);
    CHECK_EQ(total_findings(rows, n), 5);
    /* a put listing the question again mends the list */
    txn = fx_write(l.env);
    qs_test listed_again = {.size = sizeof listed_again};
    uint32_t list[QS_TEST_MAX_QUESTIONS];
    CHECK_RC(qs_test_get(txn, l.tests[2], &listed_again), 0);
    memcpy(list, listed_again.questions, listed_again.n_questions * sizeof *list);
    list[listed_again.n_questions++] = l.b.questions[1];
    listed_again.questions = list;
    CHECK_RC(qs_test_put(txn, &listed_again, NULL), 0);
    fx_commit(txn);
    n = run_check(l.env, rows, 96);
    CHECK_EQ(row_named(rows, n, "link:answer-listed")->findings, 0);
    qs_env_close(l.env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(a_sound_store_checks_clean),
        CASE(wrong_aggregates_are_found_and_repaired),
        CASE(damaged_primary_records_are_not_repaired),
        CASE(damaged_sealed_block_is_found),
        CASE(after_retention_aggregates_are_not_recomputed),
        CASE(wrong_run_ends_are_found_and_repaired),
        CASE(test_times_behind_answers_are_found_and_repaired),
        CASE(moved_topic_left_behind_is_found_and_repaired),
        CASE(answers_their_test_disowns_are_found_and_not_repaired),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
