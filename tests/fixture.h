/* fixture.h: stores, transactions and small question banks for the API tests.
 *
 * Every helper checks its own return code with CHECK_RC, so a case reads as the
 * steps it takes. Include after check.h.
 */
#ifndef QS_TESTS_FIXTURE_H
#define QS_TESTS_FIXTURE_H

#include <stdlib.h>

#include "check.h"

#define FX_DAY_MS 86400000LL
#define FX_HOUR_MS 3600000LL
/* 2026-01-01T00:00:00Z, the workload's "now". */
#define FX_T0 1767225600000LL

/* The options of every test store: the defaults, but the map size from
 * $QS_TEST_MAP_SIZE (bytes) when set: valgrind cannot reserve the default 64 GiB. */
static inline qs_options fx_options(void)
{
    qs_options o = {.size = sizeof o};
    const char *size = getenv("QS_TEST_MAP_SIZE");
    qs_options_init(&o);
    if (size && *size)
        o.map_size = strtoull(size, NULL, 10);
    return o;
}

/* Open the store in @p dir with @p opts, or fx_options() when NULL. */
static inline qs_env *fx_open(const char *dir, const qs_options *opts)
{
    qs_env *env = NULL;
    qs_options defaults = fx_options();
    CHECK_RC(qs_env_open(dir, opts ? opts : &defaults, &env), 0);
    CHECK(env != NULL);
    return env;
}

/* A store in a fresh temporary directory. */
static inline qs_env *fx_open_tmp(void)
{
    return fx_open(check_tmpdir(), NULL);
}

static inline qs_txn *fx_begin(qs_env *env, unsigned flags)
{
    qs_txn *txn = NULL;
    CHECK_RC(qs_txn_begin(env, flags, &txn), 0);
    CHECK(txn != NULL);
    return txn;
}

static inline qs_txn *fx_read(qs_env *env)
{
    return fx_begin(env, QS_TXN_RDONLY);
}

static inline qs_txn *fx_write(qs_env *env)
{
    return fx_begin(env, 0);
}

static inline void fx_commit(qs_txn *txn)
{
    CHECK_RC(qs_txn_commit(txn), 0);
}

/* qs_check() in @p txn finds nothing: every record, bucket, index, pool and
 * aggregate is sound. */
static inline void fx_check_clean_txn(qs_txn *txn)
{
    size_t cap = 128, n = 0;
    qs_check_report *r = NULL;
    for (;;) {
        r = realloc(r, cap * sizeof *r);
        CHECK(r != NULL);
        CHECK_RC(qs_check(txn, r, cap, &n), 0);
        if (n <= cap)
            break;
        cap = n;   /* a row per bucket: many buckets */
    }
    CHECK(n > 0);
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(r[i].findings == 0, "%s: %llu findings: %s", r[i].name,
                  (unsigned long long)r[i].findings, r[i].first_finding);
    free(r);
}

static inline void fx_check_clean(qs_env *env)
{
    qs_txn *txn = fx_read(env);
    fx_check_clean_txn(txn);
    qs_txn_abort(txn);
}

static inline int fx_count_answer(const qs_answer *a, void *ctx)
{
    (void)a;
    ++*(size_t *)ctx;
    return 0;
}

static inline int fx_count_interaction(const qs_interaction *ix, uint64_t seq, void *ctx)
{
    (void)ix;
    (void)seq;
    ++*(size_t *)ctx;
    return 0;
}

/* The answers and the interactions stored with from <= created_at < to. */
static inline size_t fx_answers_in(qs_txn *txn, int64_t from, int64_t to)
{
    size_t n = 0;
    CHECK_RC(qs_answer_scan(txn, from, to, fx_count_answer, &n), 0);
    return n;
}

static inline size_t fx_interactions_in(qs_txn *txn, int64_t from, int64_t to)
{
    size_t n = 0;
    CHECK_RC(qs_interaction_scan(txn, from, to, fx_count_interaction, &n), 0);
    return n;
}

static inline uint32_t fx_taxon(qs_txn *txn, qs_kind kind, const char *ext, const char *name,
                                uint32_t parent)
{
    qs_taxon t = {.size = sizeof t};
    uint32_t id = 0;
    memset(&t, 0, sizeof t);
    t.parent = parent;
    snprintf(t.name, sizeof t.name, "%s", name);
    snprintf(t.ext_id, sizeof t.ext_id, "%s", ext);
    CHECK_RC(qs_taxon_put(txn, kind, &t, &id), 0);
    CHECK(id != 0);
    return id;
}

static const char *const fx_option_text[QS_MAX_OPTIONS] = {
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
#define FX_TEXT(s) {s, sizeof s - 1}
static const qs_text fx_option_texts[QS_MAX_OPTIONS] = {
    FX_TEXT("alpha"), FX_TEXT("bravo"), FX_TEXT("charlie"), FX_TEXT("delta"),
    FX_TEXT("echo"), FX_TEXT("foxtrot"), FX_TEXT("golf"), FX_TEXT("hotel")};

/* A question template: options "alpha".. (fx_option_texts), stem and explanation naming @p ext. */
static inline void fx_question_init(qs_question *q, const char *ext, uint32_t subject,
                                    uint32_t system, uint32_t topic, uint8_t difficulty,
                                    uint8_t n_options, uint8_t correct_option)
{
    memset(q, 0, sizeof *q);
    snprintf(q->ext_id, sizeof q->ext_id, "%s", ext);
    q->subject = subject;
    q->system = system;
    q->topic = topic;
    q->difficulty = difficulty;
    q->type = 1;
    q->active = 1;
    q->correct_option = correct_option;
    q->n_options = n_options;
    q->created_at = FX_T0 - 400 * FX_DAY_MS;
    q->stem.ptr = "Which option is the key?";
    q->stem.len = strlen(q->stem.ptr);
    q->explanation.ptr = "Because the key is the key.";
    q->explanation.len = strlen(q->explanation.ptr);
    q->options = fx_option_texts;
}

static inline uint32_t fx_question(qs_txn *txn, const char *ext, uint32_t subject,
                                   uint32_t system, uint32_t topic, uint8_t difficulty,
                                   uint8_t correct_option)
{
    qs_question q = {.size = sizeof q};
    uint32_t id = 0;
    fx_question_init(&q, ext, subject, system, topic, difficulty, 4, correct_option);
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    CHECK(id != 0);
    return id;
}

static inline uint32_t fx_user(qs_txn *txn, const char *ext, int64_t created_at)
{
    qs_user u = {.size = sizeof u};
    uint32_t id = 0;
    memset(&u, 0, sizeof u);
    snprintf(u.ext_id, sizeof u.ext_id, "%s", ext);
    u.created_at = created_at;
    CHECK_RC(qs_user_put(txn, &u, &id), 0);
    CHECK(id != 0);
    return id;
}

static inline void fx_test_init(qs_test *t, const char *ext, uint32_t user, int open_list,
                                const uint32_t *questions, unsigned n, int64_t created_at)
{
    memset(t, 0, sizeof *t);
    snprintf(t->ext_id, sizeof t->ext_id, "%s", ext);
    t->user = user;
    t->status = QS_TEST_ACTIVE;
    t->mode = QS_MODE_TUTOR;
    t->open_list = (uint8_t)open_list;
    t->n_questions = n;
    t->created_at = created_at;
    t->last_activity_at = created_at;
    t->questions = questions;   /* the caller's list, which must outlive the put */
}

static inline uint64_t fx_test(qs_txn *txn, const char *ext, uint32_t user, int open_list,
                               const uint32_t *questions, unsigned n, int64_t created_at)
{
    qs_test t = {.size = sizeof t};
    uint64_t id = 0;
    fx_test_init(&t, ext, user, open_list, questions, n, created_at);
    CHECK_RC(qs_test_put(txn, &t, &id), 0);
    CHECK(id != 0);
    return id;
}

static inline void fx_answer_init(qs_answer *a, uint64_t test, uint32_t question,
                                  uint8_t status, int8_t correct, int8_t chosen,
                                  int64_t created_at)
{
    memset(a, 0, sizeof *a);
    a->test = test;
    a->question = question;
    a->status = status;
    a->correct = correct;
    a->chosen = chosen;
    a->score = 50;
    a->time_spent_ms = 30000;
    a->created_at = created_at;
}

/* Submit an ANSWERED answer graded from @p chosen. */
static inline uint64_t fx_answer(qs_txn *txn, uint64_t test, uint32_t question, int8_t chosen,
                                 int64_t created_at)
{
    qs_answer a;
    uint64_t id = 0;
    fx_answer_init(&a, test, question, QS_ANSWERED, QS_GRADE, chosen, created_at);
    CHECK_RC(qs_answer_submit(txn, &a, &id), 0);
    CHECK(id != 0);
    return id;
}

/* A small bank: one subject, two systems of two topics each, three questions per
 * topic with the key at option (index % 4), two users, one open test per user. */
#define FX_BANK_QUESTIONS 12
typedef struct fx_bank {
    uint32_t subject;
    uint32_t systems[2];
    uint32_t topics[4];       /* topics[0..1] in systems[0], topics[2..3] in systems[1] */
    uint32_t questions[FX_BANK_QUESTIONS]; /* question i is in topics[i / 3] */
    uint8_t key[FX_BANK_QUESTIONS];
    uint32_t users[2];
    uint64_t tests[2];        /* open_list tests of users[0] and users[1] */
} fx_bank;

static inline void fx_bank_build(qs_env *env, fx_bank *b)
{
    qs_txn *txn = fx_write(env);
    char ext[32];
    memset(b, 0, sizeof *b);
    b->subject = fx_taxon(txn, QS_SUBJECT, "subj-med", "Medicine", 0);
    for (unsigned s = 0; s < 2; s++) {
        snprintf(ext, sizeof ext, "sys-%u", s);
        b->systems[s] = fx_taxon(txn, QS_SYSTEM, ext, ext, 0);
    }
    for (unsigned t = 0; t < 4; t++) {
        snprintf(ext, sizeof ext, "topic-%u", t);
        b->topics[t] = fx_taxon(txn, QS_TOPIC, ext, ext, b->systems[t / 2]);
    }
    for (unsigned i = 0; i < FX_BANK_QUESTIONS; i++) {
        snprintf(ext, sizeof ext, "q-%u", i);
        b->key[i] = (uint8_t)(i % 4);
        b->questions[i] = fx_question(txn, ext, b->subject, b->systems[i / 6],
                                      b->topics[i / 3], (uint8_t)(1 + i % 3), b->key[i]);
    }
    for (unsigned u = 0; u < 2; u++) {
        snprintf(ext, sizeof ext, "user-%u", u);
        b->users[u] = fx_user(txn, ext, FX_T0 - 100 * FX_DAY_MS);
        snprintf(ext, sizeof ext, "test-%u", u);
        b->tests[u] = fx_test(txn, ext, b->users[u], 1, NULL, 0, FX_T0 - 90 * FX_DAY_MS);
    }
    fx_commit(txn);
}

/* @p n more questions in @p b's four topics in turn, external ids "PREFIX-i", with the
 * key at option (i % 4): their ids into @p ids. */
static inline void fx_bank_questions(qs_txn *txn, const fx_bank *b, const char *prefix,
                                     uint32_t *ids, unsigned n)
{
    char ext[32];
    for (unsigned i = 0; i < n; i++) {
        snprintf(ext, sizeof ext, "%s-%u", prefix, i);
        ids[i] = fx_question(txn, ext, b->subject, b->systems[(i % 4) / 2], b->topics[i % 4],
                             2, (uint8_t)(i % 4));
    }
}

/* Everything an answer can change for one (user, question), read in @p txn. */
typedef struct fx_aggregates {
    qs_question_stats qstats;
    qs_dashboard dash;
    qs_progress_row progress[8];
    size_t n_progress;
    qs_user_question uq;
    int uq_rc;
    qs_rank_row rank_all, rank_week;
    qs_test test;
    /* the dashboard's days and the test's list, copied out of the transaction */
    qs_daily_row days[QS_DASHBOARD_DAYS];
    uint32_t list[QS_TEST_MAX_QUESTIONS];
} fx_aggregates;

static inline void fx_aggregates_read(qs_txn *txn, uint32_t user, uint32_t question,
                                      uint64_t test, int64_t when, fx_aggregates *out)
{
    memset(out, 0, sizeof *out);
    CHECK_RC(qs_question_stats_get(txn, question, &out->qstats), 0);
    CHECK_RC(qs_dashboard_get(txn, user, when, &out->dash), 0);
    if (out->dash.n_days)
        memcpy(out->days, out->dash.days, out->dash.n_days * sizeof *out->days);
    out->dash.days = out->days;
    CHECK_RC(qs_progress(txn, user, out->progress, 8, &out->n_progress), 0);
    CHECK(out->n_progress <= 8);
    out->uq_rc = qs_user_question_get(txn, user, question, &out->uq);
    CHECK(out->uq_rc == 0 || out->uq_rc == QS_NOTFOUND);
    if (out->uq_rc != 0)
        memset(&out->uq, 0, sizeof out->uq);
    CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, user, &out->rank_all), 0);
    CHECK_RC(qs_leaderboard_rank(txn, qs_board_week(when), user, &out->rank_week), 0);
    CHECK_RC(qs_test_get(txn, test, &out->test), 0);
    if (out->test.n_questions)
        memcpy(out->list, out->test.questions, out->test.n_questions * sizeof *out->list);
    out->test.questions = out->list;
}

static inline int fx_aggregates_equal(const fx_aggregates *a, const fx_aggregates *b)
{
    const qs_question_stats *qa = &a->qstats, *qb = &b->qstats;
    const qs_summary *sa = &a->dash.summary, *sb = &b->dash.summary;
    if (qa->attempts != qb->attempts || qa->correct != qb->correct || qa->users != qb->users ||
        qa->rate_bp != qb->rate_bp || qa->score_sum != qb->score_sum ||
        qa->time_ms_sum != qb->time_ms_sum)
        return 0;
    if (sa->answered != sb->answered || sa->correct != sb->correct ||
        sa->rate_bp != sb->rate_bp || sa->time_ms != sb->time_ms ||
        sa->last_day != sb->last_day || sa->streak != sb->streak ||
        sa->best_streak != sb->best_streak || a->dash.n_days != b->dash.n_days)
        return 0;
    for (size_t i = 0; i < a->dash.n_days; i++)
        if (a->dash.days[i].day != b->dash.days[i].day ||
            a->dash.days[i].answers != b->dash.days[i].answers ||
            a->dash.days[i].correct != b->dash.days[i].correct ||
            a->dash.days[i].time_ms != b->dash.days[i].time_ms)
            return 0;
    if (a->n_progress != b->n_progress)
        return 0;
    for (size_t i = 0; i < a->n_progress; i++)
        if (a->progress[i].topic != b->progress[i].topic ||
            a->progress[i].attempts != b->progress[i].attempts ||
            a->progress[i].correct != b->progress[i].correct ||
            a->progress[i].rate_bp != b->progress[i].rate_bp ||
            a->progress[i].last_answered_at != b->progress[i].last_answered_at)
            return 0;
    if (a->uq_rc != b->uq_rc || a->uq.attempts != b->uq.attempts ||
        a->uq.last_correct != b->uq.last_correct || a->uq.marked != b->uq.marked ||
        a->uq.last_at != b->uq.last_at)
        return 0;
    if (a->rank_all.rank != b->rank_all.rank || a->rank_all.correct != b->rank_all.correct ||
        a->rank_week.rank != b->rank_week.rank || a->rank_week.correct != b->rank_week.correct)
        return 0;
    return a->test.last_activity_at == b->test.last_activity_at &&
           a->test.n_questions == b->test.n_questions &&
           memcmp(a->test.questions, b->test.questions,
                  a->test.n_questions * sizeof *a->test.questions) == 0;
}

/* A test with its list copied out of the transaction that handed it out (that list
 * lasts only until the transaction's next test read, or its end). */
typedef struct fx_kept_test {
    qs_test t;
    uint32_t list[QS_TEST_MAX_QUESTIONS];
} fx_kept_test;

static inline void fx_keep_test(fx_kept_test *k, const qs_test *t)
{
    k->t = *t;
    if (t->n_questions)
        memcpy(k->list, t->questions, t->n_questions * sizeof *k->list);
    k->t.questions = k->list;
}

/* qs_test_get(), its test kept in @p out. */
static inline void fx_get_kept(qs_txn *txn, uint64_t id, fx_kept_test *out)
{
    qs_test got = {.size = sizeof got};
    CHECK_RC(qs_test_get(txn, id, &got), 0);
    fx_keep_test(out, &got);
}

/* qs_test_create(), its test kept in @p out. */
static inline void fx_create_kept(qs_txn *txn, const qs_draw *d, fx_kept_test *out)
{
    qs_test made = {.size = sizeof made};
    CHECK_RC(qs_test_create(txn, d, &made), 0);
    fx_keep_test(out, &made);
}

/* ---- write calls refused --------------------------------------------------------- */

/* @p call returns @p rc, and qs_errmsg() says @p detail. */
#define FX_REFUSED(call, rc, detail)                                                  \
    do {                                                                              \
        CHECK_RC((call), (rc));                                                       \
        CHECK_MSG(strstr(qs_errmsg(), (detail)) != NULL, "%s: errmsg \"%s\"", #call, \
                  qs_errmsg());                                                       \
    } while (0)

/* Every write call of the API, each with arguments it would take in a transaction
 * that writes (of @p b's store, where tests[0] has not answered questions[0]), returns
 * @p rc with @p detail: the refusal of a transaction that may not write (read-only,
 * or with a scan or iterator open on it). The savepoint is the caller's to try. */
static inline void fx_writes_refused(qs_txn *txn, const fx_bank *b, int rc, const char *detail)
{
    qs_taxon t = {.size = sizeof t};
    qs_question q = {.size = sizeof q};
    qs_user u = {.size = sizeof u};
    qs_test test = {.size = sizeof test};
    qs_draw d = {.size = sizeof d};
    qs_answer a;
    qs_interaction ix = {b->users[0], 1, FX_T0, "p", 1};
    qs_compress_report rep = {.size = sizeof rep};
    qs_bucket_policy policy = {.size = sizeof policy, 2, 0, 90};
    int rcs[1];

    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "Anatomy");
    FX_REFUSED(qs_taxon_put(txn, QS_SUBJECT, &t, NULL), rc, detail);
    fx_question_init(&q, "refused-q", b->subject, b->systems[0], b->topics[0], 1, 4, 0);
    FX_REFUSED(qs_question_put(txn, &q, NULL), rc, detail);
    FX_REFUSED(qs_bank_compress(txn, &rep), rc, detail);
    memset(&u, 0, sizeof u);
    snprintf(u.ext_id, sizeof u.ext_id, "refused-user");
    FX_REFUSED(qs_user_put(txn, &u, NULL), rc, detail);
    fx_test_init(&test, "refused-test", b->users[0], 0, b->questions, 3, FX_T0);
    FX_REFUSED(qs_test_put(txn, &test, NULL), rc, detail);
    memset(&d, 0, sizeof d);
    d.user = b->users[0];
    d.pattern = QS_DRAW_FILTER;
    d.mode = QS_MODE_TUTOR;
    d.count = 3;
    d.created_at = FX_T0;
    FX_REFUSED(qs_test_create(txn, &d, &test), rc, detail);
    FX_REFUSED(qs_pools_reshuffle(txn, 7), rc, detail);
    FX_REFUSED(qs_index_rebuild(txn), rc, detail);
    fx_answer_init(&a, b->tests[0], b->questions[0], QS_ANSWERED, QS_GRADE, 0, FX_T0);
    FX_REFUSED(qs_answer_submit(txn, &a, NULL), rc, detail);
    FX_REFUSED(qs_answer_submit_many(txn, &a, 1, rcs, NULL), rc, detail);
    FX_REFUSED(qs_interaction_log(txn, &ix, NULL), rc, detail);
    FX_REFUSED(qs_interaction_log_many(txn, &ix, 1, rcs, NULL), rc, detail);
    FX_REFUSED(qs_question_mark(txn, b->users[0], b->questions[0], 1), rc, detail);
    FX_REFUSED(qs_bucket_policy_set(txn, &policy), rc, detail);
    FX_REFUSED(qs_bucket_seal(txn, QS_TABLE_ANSWERS, FX_T0 - 400 * FX_DAY_MS, FX_T0, NULL), rc,
               detail);
    FX_REFUSED(qs_buckets_expire(txn, FX_T0, NULL), rc, detail);
    FX_REFUSED(qs_repair(txn), rc, detail);
}

/* ---- digests: everything some reads return, as bytes, to compare two stores ---- */

typedef struct fx_digest {
    uint8_t *b;
    size_t n, cap;
} fx_digest;

static inline void fx_put(fx_digest *d, const void *p, size_t n)
{
    if (d->n + n > d->cap) {
        d->cap = (d->n + n) * 2 + 4096;
        d->b = realloc(d->b, d->cap);
        CHECK(d->b != NULL);
    }
    if (n)
        memcpy(d->b + d->n, p, n);
    d->n += n;
}

#define FX_PUT(d, v) do { __typeof__(v) v_ = (v); fx_put((d), &v_, sizeof v_); } while (0)

/* The interactions a scan passes, each as its digest bytes, to be put in seq order:
 * a scan passes a raw bucket's by time and a sealed one's by user. */
typedef struct fx_events {
    fx_digest rows;           /* each row's bytes, end to end */
    struct fx_event_at {
        uint64_t seq;
        size_t at, n;
    } *index;
    size_t n, cap;
} fx_events;

static inline int fx_keep_interaction(const qs_interaction *ix, uint64_t seq, void *ctx)
{
    fx_events *e = ctx;
    size_t at = e->rows.n;
    FX_PUT(&e->rows, seq); FX_PUT(&e->rows, ix->user); FX_PUT(&e->rows, ix->action);
    FX_PUT(&e->rows, ix->created_at); FX_PUT(&e->rows, ix->payload_len);
    fx_put(&e->rows, ix->payload, ix->payload_len);
    if (e->n == e->cap) {
        e->cap = e->cap * 2 + 256;
        e->index = realloc(e->index, e->cap * sizeof *e->index);
        CHECK(e->index != NULL);
    }
    e->index[e->n++] = (struct fx_event_at){seq, at, e->rows.n - at};
    return 0;
}

static inline int fx_event_cmp(const void *pa, const void *pb)
{
    const struct fx_event_at *a = pa, *b = pb;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* The interactions with from <= created_at < to into @p d, in seq order. */
static inline void fx_put_interactions(fx_digest *d, qs_txn *txn, int64_t from, int64_t to)
{
    fx_events e = {0};
    CHECK_RC(qs_interaction_scan(txn, from, to, fx_keep_interaction, &e), 0);
    if (e.n)
        qsort(e.index, e.n, sizeof *e.index, fx_event_cmp);
    for (size_t i = 0; i < e.n; i++)
        fx_put(d, e.rows.b + e.index[i].at, e.index[i].n);
    free(e.rows.b);
    free(e.index);
}

/* A user's interaction counts of every day. */
static inline void fx_put_days(fx_digest *d, qs_txn *txn, uint32_t user)
{
    qs_interaction_day days[512];
    size_t n;
    CHECK_RC(qs_interaction_days(txn, user, INT32_MIN, INT32_MAX, days, 512, &n), 0);
    CHECK(n <= 512);
    for (size_t i = 0; i < n && i < 512; i++) {
        FX_PUT(d, days[i].day); FX_PUT(d, days[i].action); FX_PUT(d, days[i].count);
    }
}

static inline void fx_check_same(const fx_digest *a, const fx_digest *b)
{
    CHECK_EQ(a->n, b->n);
    CHECK(a->n == b->n && memcmp(a->b, b->b, a->n) == 0);
}

#endif /* QS_TESTS_FIXTURE_H */
