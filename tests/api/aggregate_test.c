/* Tests every aggregate against a recomputation from thousands of random answers, and
 * streaks against a recomputation in every order days can come in, with the daily
 * rows their upkeep reads counted. */

/* The workload: out-of-order days, duplicates, skipped, flagged, graded by choice,
 * aborted batches and savepoints, review marks and re-tagged questions. Every read is
 * compared field by field with what this file recomputes from the answers it kept. */
#include <time.h>

#include "check.h"
#include "fixture.h"
#include "index.h"
#include "rawdb.h"

#define N_SYSTEMS 3
#define TOPICS_PER_SYSTEM 25   /* 75 topics: a user's progress spans three records */
#define N_TOPICS (N_SYSTEMS * TOPICS_PER_SYSTEM)
#define N_QUESTIONS 200
#define N_ACTIVE_USERS 50
#define N_IDLE_USERS 5
#define N_USERS (N_ACTIVE_USERS + N_IDLE_USERS)
#define N_SUBMITS 4000
#define MAX_TESTS 800
#define LISTED 40
#define MAX_EVENTS (N_SUBMITS + 1000)
#define NOW_DAY ((int32_t)(FX_T0 / FX_DAY_MS))
#define FIRST_DAY (NOW_DAY - 120)
#define LAST_DAY (NOW_DAY + 10)
#define N_DAYS (LAST_DAY - FIRST_DAY + 1)

/* ---- the model ------------------------------------------------------------------- */

typedef struct m_answer {
    uint64_t id;
    int test, q, user;
    uint32_t topic;
    int correct;
    int8_t chosen;
    uint8_t status, score;
    int64_t time_ms, created_at;
} m_answer;

typedef struct m_test {
    uint64_t id;
    int user;
    int open;
    int completed;
    int64_t created_at;
    unsigned char listed[N_QUESTIONS];
    unsigned char state[N_QUESTIONS]; /* 0 free, 1 committed, 2 in the open batch */
} m_test;

enum { EV_ANSWER = 1, EV_MARK = 2 };

typedef struct m_event {
    int kind;
    int answer;          /* EV_ANSWER: index in answers */
    int user, q, marked; /* EV_MARK */
} m_event;

typedef struct model {
    qs_env *env;
    const char *dir;
    uint32_t subject, systems[N_SYSTEMS], topics[N_TOPICS];
    uint32_t qid[N_QUESTIONS];
    int q_topic[N_QUESTIONS];  /* index in topics, current */
    uint8_t q_key[N_QUESTIONS], q_options[N_QUESTIONS];
    uint32_t uid[N_USERS];
    unsigned char user_days[N_USERS][N_DAYS]; /* days a user may be active on */
    m_test tests[MAX_TESTS];
    int n_tests;
    int user_tests[N_USERS][32];
    int n_user_tests[N_USERS];
    m_answer answers[N_SUBMITS];
    int n_answers;
    m_event kept[MAX_EVENTS], pending[MAX_EVENTS];
    int n_kept, n_pending;
    int duplicates_refused, batches_aborted, savepoints_aborted, retags;
} model;

static model M;

static int32_t day_of(int64_t t)
{
    int64_t d = t / FX_DAY_MS;
    return (int32_t)(t % FX_DAY_MS < 0 ? d - 1 : d);
}

static int64_t week_of(int64_t t)
{
    int64_t d = day_of(t) + 3;
    return d >= 0 ? d / 7 : (d - 6) / 7;
}

static int month_of(int64_t t)
{
    time_t secs = (time_t)(t >= 0 ? t / 1000 : (t - 999) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static uint32_t rate(uint32_t correct, uint32_t attempts)
{
    return attempts == 0 ? 0 : (uint32_t)(10000ull * correct / attempts);
}

/* ---- building the store ----------------------------------------------------------- */

static void build_bank(void)
{
    qs_txn *txn = fx_write(M.env);
    char ext[48];
    qs_question q = {.size = sizeof q};

    M.subject = fx_taxon(txn, QS_SUBJECT, "agg-subject", "Everything", 0);
    for (int s = 0; s < N_SYSTEMS; s++) {
        snprintf(ext, sizeof ext, "agg-sys-%d", s);
        M.systems[s] = fx_taxon(txn, QS_SYSTEM, ext, ext, 0);
        for (int t = 0; t < TOPICS_PER_SYSTEM; t++) {
            snprintf(ext, sizeof ext, "agg-topic-%d-%d", s, t);
            M.topics[s * TOPICS_PER_SYSTEM + t] = fx_taxon(txn, QS_TOPIC, ext, ext, M.systems[s]);
        }
    }
    for (int i = 0; i < N_QUESTIONS; i++) {
        int topic = (int)check_below(N_TOPICS);
        snprintf(ext, sizeof ext, "agg-q-%d", i);
        M.q_options[i] = (uint8_t)(4 + check_below(2));
        M.q_key[i] = (uint8_t)check_below(M.q_options[i]);
        M.q_topic[i] = topic;
        fx_question_init(&q, ext, M.subject, M.systems[topic / TOPICS_PER_SYSTEM],
                         M.topics[topic], (uint8_t)(1 + check_below(3)), M.q_options[i],
                         M.q_key[i]);
        CHECK_RC(qs_question_put(txn, &q, &M.qid[i]), 0);
    }
    fx_commit(txn);
}

/* Active days in runs of 1-8 separated by gaps of 1-6 days. */
static void plan_days(int u)
{
    int day = (int)check_below(10);
    while (day < N_DAYS) {
        int run = (int)check_range(1, 8);
        for (int k = 0; k < run && day < N_DAYS; k++)
            M.user_days[u][day++] = 1;
        day += (int)check_range(1, 6);
    }
}

static int add_test(qs_txn *txn, int u, int open)
{
    m_test *t = &M.tests[M.n_tests];
    qs_test spec = {.size = sizeof spec};
    uint32_t list[LISTED];
    char ext[48];
    int n = 0;

    CHECK(M.n_tests < MAX_TESTS && M.n_user_tests[u] < 32);
    t->user = u;
    t->open = open;
    t->created_at = FX_T0 - 130 * FX_DAY_MS + (int64_t)check_below(FX_DAY_MS);
    if (!open)
        while (n < LISTED) {
            int qi = (int)check_below(N_QUESTIONS);
            if (!t->listed[qi]) {
                t->listed[qi] = 1;
                list[n++] = M.qid[qi];
            }
        }
    snprintf(ext, sizeof ext, "agg-test-%d", M.n_tests);
    fx_test_init(&spec, ext, M.uid[u], open, list, (unsigned)n, t->created_at);
    spec.status = (uint8_t)(1 + check_below(3));
    if (spec.status == QS_TEST_COMPLETED)
        spec.completed_at = t->created_at;
    t->completed = spec.status == QS_TEST_COMPLETED;
    CHECK_RC(qs_test_put(txn, &spec, &t->id), 0);
    M.user_tests[u][M.n_user_tests[u]++] = M.n_tests;
    return M.n_tests++;
}

static double harmonic(int n)
{
    double h = 0;
    for (int k = 1; k <= n; k++)
        h += 1.0 / k;
    return h;
}

/* Each active user gets a closed test and enough open ones for its share of answers
 * (see pick_user), made up front so that aborted batches never take a test away. */
static void build_users_and_tests(void)
{
    qs_txn *txn = fx_write(M.env);
    char ext[48];
    double h = harmonic(N_ACTIVE_USERS);
    for (int u = 0; u < N_USERS; u++) {
        snprintf(ext, sizeof ext, "agg-user-%d", u);
        M.uid[u] = fx_user(txn, ext, FX_T0 - 200 * FX_DAY_MS);
        if (u < N_ACTIVE_USERS) {
            int open_tests = 2 + (int)(N_SUBMITS / (h * (u + 1)) / 60);
            plan_days(u);
            add_test(txn, u, 0);
            for (int k = 0; k < open_tests; k++)
                add_test(txn, u, 1);
        }
    }
    fx_commit(txn);
}

/* ---- generating answers ------------------------------------------------------------- */

/* Zipf-like choice of an active user. */
static int pick_user(void)
{
    static double cumulative[N_ACTIVE_USERS];
    static int ready;
    double r;
    if (!ready) {
        double sum = 0;
        for (int u = 0; u < N_ACTIVE_USERS; u++)
            cumulative[u] = sum += 1.0 / (u + 1);
        for (int u = 0; u < N_ACTIVE_USERS; u++)
            cumulative[u] /= sum;
        ready = 1;
    }
    r = (double)check_below(1u << 30) / (1u << 30);
    for (int u = 0; u < N_ACTIVE_USERS; u++)
        if (r < cumulative[u])
            return u;
    return N_ACTIVE_USERS - 1;
}

static int64_t pick_time(int u)
{
    int day;
    do
        day = (int)check_below(N_DAYS);
    while (!M.user_days[u][day]);
    return (int64_t)(FIRST_DAY + day) * FX_DAY_MS + (int64_t)check_below(FX_DAY_MS);
}

/* No two answers of one user to one question share a created_at, so "the latest answer"
 * of a user-question is never a tie. */
static int64_t untied_time(int u, int qi, int64_t t)
{
    for (int again = 1; again;) {
        again = 0;
        for (int i = 0; i < M.n_answers; i++)
            if (M.answers[i].user == u && M.answers[i].q == qi && M.answers[i].created_at == t) {
                t++;
                again = 1;
            }
    }
    return t;
}

static int pair_free(int t, int q)
{
    return M.tests[t].state[q] == 0 && (M.tests[t].open || M.tests[t].listed[q]);
}

/* A free (test, question) pair of user @p u. */
static void pick_pair(int u, int *test, int *qi)
{
    for (int tries = 0; tries < 200; tries++) {
        int t = M.user_tests[u][check_below((uint64_t)M.n_user_tests[u])];
        int q = (int)check_below(N_QUESTIONS);
        if (pair_free(t, q)) {
            *test = t;
            *qi = q;
            return;
        }
    }
    for (int k = 0; k < M.n_user_tests[u]; k++)
        for (int q = 0; q < N_QUESTIONS; q++)
            if (pair_free(M.user_tests[u][k], q)) {
                *test = M.user_tests[u][k];
                *qi = q;
                return;
            }
    CHECK_MSG(0, "user %d has answered every question of every test", u);
}

static void fill_answer(int u, int t, int qi, qs_answer *a, m_answer *m)
{
    uint64_t r = check_below(100);
    memset(m, 0, sizeof *m);
    m->test = t;
    m->q = qi;
    m->user = u;
    m->topic = M.topics[M.q_topic[qi]];
    m->status = r < 70 ? QS_ANSWERED : r < 85 ? QS_SKIPPED : QS_FLAGGED;
    m->score = (uint8_t)(check_chance(20) ? 0 : check_range(10, 90));
    m->time_ms = (int64_t)check_below(300000);
    m->created_at = untied_time(u, qi, pick_time(u));
    fx_answer_init(a, M.tests[t].id, M.qid[qi], m->status, QS_GRADE, QS_NO_CHOICE,
                   m->created_at);
    a->score = m->score;
    a->time_spent_ms = m->time_ms;
    a->user = check_chance(50) ? M.uid[u] : 0;
    if (m->status == QS_SKIPPED) {
        m->chosen = QS_NO_CHOICE;
        a->correct = check_chance(50) ? QS_GRADE : 0;
        m->correct = 0;
    } else if (check_chance(65)) {
        /* Graded by choice, right 60 % of the time. */
        m->chosen = check_chance(60) ? (int8_t)M.q_key[qi]
                                     : (int8_t)check_below(M.q_options[qi]);
        a->correct = QS_GRADE;
        m->correct = m->chosen == (int8_t)M.q_key[qi];
    } else {
        /* An explicit result, with or without a recorded choice. */
        m->correct = check_chance(55);
        m->chosen = check_chance(50) ? QS_NO_CHOICE : (int8_t)check_below(M.q_options[qi]);
        a->correct = (int8_t)m->correct;
    }
    a->chosen = m->chosen;
}

static void push_pending(m_event ev)
{
    CHECK(M.n_pending < MAX_EVENTS);
    M.pending[M.n_pending++] = ev;
}

/* Drop pending events from @p from on, freeing their pairs. */
static void drop_pending(int from)
{
    for (int i = from; i < M.n_pending; i++)
        if (M.pending[i].kind == EV_ANSWER) {
            m_answer *a = &M.answers[M.pending[i].answer];
            M.tests[a->test].state[a->q] = 0;
            a->test = -1; /* not kept */
        }
    M.n_pending = from;
}

static void keep_pending(void)
{
    for (int i = 0; i < M.n_pending; i++) {
        if (M.pending[i].kind == EV_ANSWER) {
            m_answer *a = &M.answers[M.pending[i].answer];
            M.tests[a->test].state[a->q] = 1;
        }
        CHECK(M.n_kept < MAX_EVENTS);
        M.kept[M.n_kept++] = M.pending[i];
    }
    M.n_pending = 0;
}

/* A second answer to a pair answered already (committed or earlier in this batch). */
static void submit_duplicate(qs_txn *txn)
{
    qs_answer a;
    m_answer *orig = NULL;
    for (int tries = 0; tries < 20 && orig == NULL; tries++) {
        int i = (int)check_below((uint64_t)M.n_answers);
        if (M.n_answers > 0 && M.answers[i].test >= 0)
            orig = &M.answers[i];
    }
    if (orig == NULL)
        return;
    fx_answer_init(&a, M.tests[orig->test].id, M.qid[orig->q], QS_FLAGGED, 1, QS_NO_CHOICE,
                   orig->created_at + FX_HOUR_MS);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_EXISTS);
    M.duplicates_refused++;
}

static void submit_one(qs_txn *txn)
{
    int u = pick_user(), t, qi;
    qs_answer a;
    m_answer *m;
    m_event ev = {EV_ANSWER, 0, 0, 0, 0};

    if (M.n_answers > 0 && check_chance(4)) {
        submit_duplicate(txn);
        return;
    }
    if (check_chance(2)) {
        ev.kind = EV_MARK;
        ev.user = u;
        ev.q = (int)check_below(N_QUESTIONS);
        ev.marked = check_chance(60);
        CHECK_RC(qs_question_mark(txn, M.uid[u], M.qid[ev.q], ev.marked), 0);
        push_pending(ev);
        return;
    }
    CHECK(M.n_answers < N_SUBMITS);
    pick_pair(u, &t, &qi);
    m = &M.answers[M.n_answers];
    fill_answer(u, t, qi, &a, m);
    CHECK_RC(qs_answer_submit(txn, &a, &m->id), 0);
    CHECK(m->id != 0);
    M.tests[t].state[qi] = 2;
    ev.answer = M.n_answers++;
    push_pending(ev);
}

/* Move a question to another topic (maybe another system) in its own transaction. */
static void retag_one(void)
{
    qs_txn *txn = fx_write(M.env);
    int qi = (int)check_below(N_QUESTIONS), topic = (int)check_below(N_TOPICS);
    qs_question q = {.size = sizeof q};
    char ext[48];
    snprintf(ext, sizeof ext, "agg-q-%d", qi);
    fx_question_init(&q, ext, M.subject, M.systems[topic / TOPICS_PER_SYSTEM], M.topics[topic],
                     2, M.q_options[qi], M.q_key[qi]);
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    fx_commit(txn);
    M.q_topic[qi] = topic;
    M.retags++;
}

static void run_batches(void)
{
    /* Batch 1 is aborted, batch 2 aborts a savepoint and is followed by a re-tag;
     * after that each happens at random. */
    for (int batch = 0; M.n_answers < N_SUBMITS - 250; batch++) {
        int size = (int)(check_chance(30) ? check_range(1, 5) : check_range(6, 200));
        int abort_all = batch == 1 || check_chance(5);
        int savepoint_at = batch == 2 || check_chance(12) ? size / 2 : -1;
        int abort_child = batch == 2 || check_chance(50);
        qs_txn *txn = fx_write(M.env), *child = NULL;
        int child_from = 0;

        for (int k = 0; k < size; k++) {
            if (k == savepoint_at) {
                CHECK_RC(qs_txn_savepoint(txn, &child), 0);
                child_from = M.n_pending;
            }
            submit_one(child != NULL ? child : txn);
        }
        if (child != NULL) {
            if (abort_child) {
                qs_txn_abort(child);
                drop_pending(child_from);
                M.savepoints_aborted++;
            } else {
                fx_commit(child);
            }
        }
        if (abort_all) {
            qs_txn_abort(txn);
            drop_pending(0);
            M.batches_aborted++;
        } else {
            fx_commit(txn);
            keep_pending();
        }
        if (batch == 2 || check_chance(5))
            retag_one();
    }
}

/* ---- recomputing and comparing ---------------------------------------------------------- */

#define FIELD(what, got, want)                                                           \
    CHECK_MSG((long long)(got) == (long long)(want), "%s: got %lld, want %lld", what,     \
              (long long)(got), (long long)(want))

static int is_kept(const m_answer *a)
{
    return a->test >= 0;
}

static void compare_answers_and_tests(qs_txn *txn)
{
    qs_answer got;
    static qs_test t;
    char what[96];

    for (int i = 0; i < M.n_answers; i++) {
        const m_answer *a = &M.answers[i];
        if (!is_kept(a))
            continue;
        snprintf(what, sizeof what, "answer %d (test %llu, q %u)", i,
                 (unsigned long long)M.tests[a->test].id, M.qid[a->q]);
        CHECK_RC(qs_answer_get(txn, M.tests[a->test].id, M.qid[a->q], &got), 0);
        FIELD(what, got.id, a->id);
        FIELD(what, got.user, M.uid[a->user]);
        FIELD(what, got.topic, a->topic);
        FIELD(what, got.correct, a->correct);
        FIELD(what, got.chosen, a->chosen);
        FIELD(what, got.status, a->status);
        FIELD(what, got.score, a->score);
        FIELD(what, got.time_spent_ms, a->time_ms);
        FIELD(what, got.created_at, a->created_at);
    }
    for (int ti = 0; ti < M.n_tests; ti++) {
        const m_test *mt = &M.tests[ti];
        int64_t last = mt->created_at;
        int n_expected = 0;
        for (int i = 0; i < M.n_answers; i++)
            if (is_kept(&M.answers[i]) && M.answers[i].test == ti &&
                M.answers[i].created_at > last)
                last = M.answers[i].created_at;
        for (int q = 0; q < N_QUESTIONS; q++)
            n_expected += mt->open ? mt->state[q] == 1 : mt->listed[q];
        snprintf(what, sizeof what, "test %llu", (unsigned long long)mt->id);
        CHECK_RC(qs_test_get(txn, mt->id, &t), 0);
        FIELD(what, t.last_activity_at, last);
        /* An open-list COMPLETED test's completion follows its last answer. */
        FIELD(what, t.completed_at, !mt->completed ? 0 : mt->open ? last : mt->created_at);
        FIELD(what, t.n_questions, n_expected);
        for (unsigned k = 0; k < t.n_questions; k++) {
            int found = 0;
            for (int q = 0; q < N_QUESTIONS && !found; q++)
                found = M.qid[q] == t.questions[k] && (mt->open ? mt->state[q] == 1 : mt->listed[q]);
            CHECK_MSG(found, "%s lists question %u", what, t.questions[k]);
        }
    }
}

static void compare_question_stats(qs_txn *txn)
{
    for (int qi = 0; qi < N_QUESTIONS; qi++) {
        uint32_t attempts = 0, correct = 0, users = 0;
        uint64_t score = 0, time_ms = 0;
        unsigned char seen[N_USERS] = {0};
        qs_question_stats st = {.size = sizeof st};
        char what[64];
        for (int i = 0; i < M.n_answers; i++) {
            const m_answer *a = &M.answers[i];
            if (!is_kept(a) || a->q != qi)
                continue;
            attempts++;
            correct += (uint32_t)a->correct;
            score += a->score;
            time_ms += (uint64_t)a->time_ms;
            users += !seen[a->user];
            seen[a->user] = 1;
        }
        snprintf(what, sizeof what, "question %u stats", M.qid[qi]);
        CHECK_RC(qs_question_stats_get(txn, M.qid[qi], &st), 0);
        FIELD(what, st.attempts, attempts);
        FIELD(what, st.correct, correct);
        FIELD(what, st.users, users);
        FIELD(what, st.rate_bp, rate(correct, attempts));
        FIELD(what, st.score_sum, score);
        FIELD(what, st.time_ms_sum, time_ms);
    }
}

typedef struct m_daily {
    uint32_t answers, correct;
    uint64_t time_ms;
} m_daily;

static void compare_user(qs_txn *txn, int u, const int64_t *nows, int n_nows)
{
    static m_daily daily[N_DAYS + 2];
    uint32_t answered = 0, correct = 0;
    uint64_t time_ms = 0;
    int32_t last_day = QS_NO_DAY;
    uint32_t streak = 0, best = 0, run = 0;
    qs_dashboard d = {.size = sizeof d};
    char what[96];

    memset(daily, 0, sizeof daily);
    for (int i = 0; i < M.n_answers; i++) {
        const m_answer *a = &M.answers[i];
        int32_t day;
        if (!is_kept(a) || a->user != u)
            continue;
        day = day_of(a->created_at);
        CHECK(day >= FIRST_DAY && day <= LAST_DAY + 1);
        answered++;
        correct += (uint32_t)a->correct;
        time_ms += (uint64_t)a->time_ms;
        if (last_day == QS_NO_DAY || day > last_day)
            last_day = day;
        daily[day - FIRST_DAY].answers++;
        daily[day - FIRST_DAY].correct += (uint32_t)a->correct;
        daily[day - FIRST_DAY].time_ms += (uint64_t)a->time_ms;
    }
    for (int k = 0; k < N_DAYS + 2; k++) {
        run = daily[k].answers > 0 ? run + 1 : 0;
        if (run > best)
            best = run;
        if (last_day != QS_NO_DAY && k == last_day - FIRST_DAY)
            streak = run;
    }
    for (int n = 0; n < n_nows; n++) {
        int32_t now_day = day_of(nows[n]);
        size_t k = 0;
        snprintf(what, sizeof what, "user %u dashboard at day %d", M.uid[u], now_day);
        CHECK_RC(qs_dashboard_get(txn, M.uid[u], nows[n], &d), 0);
        FIELD(what, d.summary.answered, answered);
        FIELD(what, d.summary.correct, correct);
        FIELD(what, d.summary.rate_bp, rate(correct, answered));
        FIELD(what, d.summary.time_ms, time_ms);
        FIELD(what, d.summary.last_day, last_day);
        FIELD(what, d.summary.streak, streak);
        FIELD(what, d.summary.best_streak, best);
        for (int32_t day = now_day - 29; day <= now_day; day++) {
            const m_daily *m;
            if (day < FIRST_DAY || day > LAST_DAY + 1 || daily[day - FIRST_DAY].answers == 0)
                continue;
            m = &daily[day - FIRST_DAY];
            CHECK_MSG(k < d.n_days, "%s: %zu daily rows, day %d missing", what, d.n_days, day);
            FIELD(what, d.days[k].day, day);
            FIELD(what, d.days[k].answers, m->answers);
            FIELD(what, d.days[k].correct, m->correct);
            FIELD(what, d.days[k].time_ms, m->time_ms);
            k++;
        }
        FIELD(what, d.n_days, k);
    }
}

/* Topic indexes in topic id order. */
static int topic_by_id[N_TOPICS];

static void sort_topics(void)
{
    for (int i = 0; i < N_TOPICS; i++)
        topic_by_id[i] = i;
    for (int i = 1; i < N_TOPICS; i++)
        for (int j = i; j > 0 && M.topics[topic_by_id[j]] < M.topics[topic_by_id[j - 1]]; j--) {
            int tmp = topic_by_id[j];
            topic_by_id[j] = topic_by_id[j - 1];
            topic_by_id[j - 1] = tmp;
        }
}

static void compare_progress(qs_txn *txn, int u)
{
    uint32_t attempts[N_TOPICS] = {0}, correct[N_TOPICS] = {0};
    int64_t last[N_TOPICS];
    qs_progress_row rows[N_TOPICS + 1];
    size_t n = 0, k = 0;
    char what[96];

    for (int t = 0; t < N_TOPICS; t++)
        last[t] = INT64_MIN;
    for (int i = 0; i < M.n_answers; i++) {
        const m_answer *a = &M.answers[i];
        int t = 0;
        if (!is_kept(a) || a->user != u)
            continue;
        while (M.topics[t] != a->topic)
            t++;
        attempts[t]++;
        correct[t] += (uint32_t)a->correct;
        if (a->created_at > last[t])
            last[t] = a->created_at;
    }
    CHECK_RC(qs_progress(txn, M.uid[u], rows, N_TOPICS + 1, &n), 0);
    for (int r = 0; r < N_TOPICS; r++) {
        int t = topic_by_id[r];
        if (attempts[t] == 0)
            continue;
        snprintf(what, sizeof what, "user %u progress in topic %u", M.uid[u], M.topics[t]);
        CHECK_MSG(k < n, "%s: missing (%zu rows)", what, n);
        FIELD(what, rows[k].topic, M.topics[t]);
        FIELD(what, rows[k].attempts, attempts[t]);
        FIELD(what, rows[k].correct, correct[t]);
        FIELD(what, rows[k].rate_bp, rate(correct[t], attempts[t]));
        FIELD(what, rows[k].last_answered_at, last[t]);
        k++;
    }
    snprintf(what, sizeof what, "user %u progress rows", M.uid[u]);
    FIELD(what, n, k);
}

static void compare_user_questions(qs_txn *txn, int u)
{
    static int marked[N_QUESTIONS], ever_marked[N_QUESTIONS];
    memset(marked, 0, sizeof marked);
    memset(ever_marked, 0, sizeof ever_marked);
    for (int e = 0; e < M.n_kept; e++) {
        const m_event *ev = &M.kept[e];
        if (ev->kind == EV_MARK && ev->user == u) {
            marked[ev->q] = ev->marked;
            ever_marked[ev->q] = 1;
        } else if (ev->kind == EV_ANSWER && M.answers[ev->answer].user == u &&
                   M.answers[ev->answer].status == QS_FLAGGED) {
            marked[M.answers[ev->answer].q] = 1;
        }
    }
    for (int qi = 0; qi < N_QUESTIONS; qi++) {
        uint32_t attempts = 0;
        const m_answer *latest = NULL;
        qs_user_question uq = {.size = sizeof uq};
        int rc;
        char what[96];
        for (int i = 0; i < M.n_answers; i++) {
            const m_answer *a = &M.answers[i];
            if (!is_kept(a) || a->user != u || a->q != qi)
                continue;
            attempts++;
            if (latest == NULL || a->created_at > latest->created_at)
                latest = a;
        }
        snprintf(what, sizeof what, "user %u question %u", M.uid[u], M.qid[qi]);
        rc = qs_user_question_get(txn, M.uid[u], M.qid[qi], &uq);
        if (attempts == 0 && !marked[qi]) {
            CHECK_MSG(rc == QS_NOTFOUND || (rc == 0 && ever_marked[qi] && uq.attempts == 0 &&
                                            uq.marked == 0),
                      "%s: never answered, rc %d", what, rc);
            continue;
        }
        CHECK_MSG(rc == 0, "%s: rc %d (%s)", what, rc, qs_strerror(rc));
        FIELD(what, uq.attempts, attempts);
        FIELD(what, uq.marked, marked[qi]);
        if (latest != NULL) {
            FIELD(what, uq.last_correct, latest->correct);
            FIELD(what, uq.last_at, latest->created_at);
        }
    }
}

typedef struct m_rank {
    uint32_t user;
    uint32_t correct;
} m_rank;

static int by_correct_then_user(const void *pa, const void *pb)
{
    const m_rank *a = pa, *b = pb;
    if (a->correct != b->correct)
        return a->correct > b->correct ? -1 : 1;
    return a->user < b->user ? -1 : (a->user > b->user);
}

static void compare_board(qs_txn *txn, uint32_t board, m_rank *want, size_t n_want,
                          const char *name)
{
    static qs_rank_row rows[N_USERS + 1];
    size_t n = 0;
    char what[96];

    qsort(want, n_want, sizeof *want, by_correct_then_user);
    CHECK_RC(qs_leaderboard_top(txn, board, rows, N_USERS + 1, &n), 0);
    snprintf(what, sizeof what, "%s size", name);
    FIELD(what, n, n_want);
    for (size_t i = 0; i < n_want; i++) {
        qs_rank_row r;
        snprintf(what, sizeof what, "%s row %zu", name, i);
        FIELD(what, rows[i].user, want[i].user);
        FIELD(what, rows[i].correct, want[i].correct);
        FIELD(what, rows[i].rank, i + 1);
        CHECK_RC(qs_leaderboard_rank(txn, board, want[i].user, &r), 0);
        snprintf(what, sizeof what, "%s rank of user %u", name, want[i].user);
        FIELD(what, r.rank, i + 1);
        FIELD(what, r.user, want[i].user);
        FIELD(what, r.correct, want[i].correct);
    }
}

static void compare_leaderboards(qs_txn *txn)
{
    static m_rank all[N_USERS], week[N_USERS];
    int64_t first_week = week_of((int64_t)FIRST_DAY * FX_DAY_MS);
    int64_t last_week = week_of((int64_t)(LAST_DAY + 1) * FX_DAY_MS);

    for (int u = 0; u < N_USERS; u++) {
        all[u].user = M.uid[u];
        all[u].correct = 0;
    }
    for (int i = 0; i < M.n_answers; i++)
        if (is_kept(&M.answers[i]))
            all[M.answers[i].user].correct += (uint32_t)M.answers[i].correct;
    compare_board(txn, QS_BOARD_ALL_TIME, all, N_USERS, "all-time board");

    for (int64_t w = first_week; w <= last_week; w++) {
        int in_week[N_USERS] = {0};
        uint32_t board = 0, correct[N_USERS] = {0};
        size_t n = 0;
        char name[64];
        for (int i = 0; i < M.n_answers; i++) {
            const m_answer *a = &M.answers[i];
            if (!is_kept(a) || week_of(a->created_at) != w)
                continue;
            if (board == 0)
                board = qs_board_week(a->created_at);
            CHECK_EQ(qs_board_week(a->created_at), board);
            in_week[a->user] = 1;
            correct[a->user] += (uint32_t)a->correct;
        }
        if (board == 0)
            continue;
        for (int u = 0; u < N_USERS; u++)
            if (in_week[u]) {
                week[n].user = M.uid[u];
                week[n++].correct = correct[u];
            } else {
                qs_rank_row r;
                CHECK_RC(qs_leaderboard_rank(txn, board, M.uid[u], &r), 0);
                CHECK_EQ(r.rank, 0);
                CHECK_EQ(r.correct, 0);
            }
        snprintf(name, sizeof name, "week %lld board", (long long)w);
        compare_board(txn, board, week, n, name);
    }
}

/* ---- scan and history ----------------------------------------------------------------- */

typedef struct scan_state {
    const m_answer **want;
    int n_want, n_seen;
} scan_state;

static int scan_order(const void *pa, const void *pb)
{
    const m_answer *a = *(const m_answer *const *)pa, *b = *(const m_answer *const *)pb;
    int ma = month_of(a->created_at), mb = month_of(b->created_at);
    if (ma != mb)
        return ma < mb ? -1 : 1;
    if (M.uid[a->user] != M.uid[b->user])
        return M.uid[a->user] < M.uid[b->user] ? -1 : 1;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    return a->id < b->id ? -1 : (a->id > b->id);
}

static int scan_check(const qs_answer *got, void *ctx)
{
    scan_state *s = ctx;
    const m_answer *w;
    char what[64];
    CHECK_MSG(s->n_seen < s->n_want, "scan returned more than %d answers", s->n_want);
    w = s->want[s->n_seen];
    snprintf(what, sizeof what, "scan row %d", s->n_seen);
    FIELD(what, got->id, w->id);
    FIELD(what, got->test, M.tests[w->test].id);
    FIELD(what, got->question, M.qid[w->q]);
    FIELD(what, got->user, M.uid[w->user]);
    FIELD(what, got->topic, w->topic);
    FIELD(what, got->correct, w->correct);
    FIELD(what, got->chosen, w->chosen);
    FIELD(what, got->status, w->status);
    FIELD(what, got->score, w->score);
    FIELD(what, got->time_spent_ms, w->time_ms);
    FIELD(what, got->created_at, w->created_at);
    s->n_seen++;
    return 0;
}

static void compare_scan(qs_txn *txn, int64_t from, int64_t to)
{
    static const m_answer *want[N_SUBMITS];
    scan_state s = {want, 0, 0};
    for (int i = 0; i < M.n_answers; i++)
        if (is_kept(&M.answers[i]) && M.answers[i].created_at >= from &&
            M.answers[i].created_at < to)
            want[s.n_want++] = &M.answers[i];
    qsort(want, (size_t)s.n_want, sizeof want[0], scan_order);
    CHECK_RC(qs_answer_scan(txn, from, to, scan_check, &s), 0);
    CHECK_MSG(s.n_seen == s.n_want, "scan [%lld, %lld): %d answers, want %d", (long long)from,
              (long long)to, s.n_seen, s.n_want);
}

static int history_order(const void *pa, const void *pb)
{
    const m_answer *a = *(const m_answer *const *)pa, *b = *(const m_answer *const *)pb;
    if (a->created_at != b->created_at)
        return a->created_at > b->created_at ? -1 : 1;
    return a->id > b->id ? -1 : (a->id < b->id);
}

static void compare_history(qs_txn *txn, int u)
{
    static const m_answer *want[N_SUBMITS];
    qs_history_row page[50];
    qs_cursor next;
    int n_want = 0, seen = 0, first = 1;
    size_t n = 0;
    char what[64];

    for (int i = 0; i < M.n_answers; i++)
        if (is_kept(&M.answers[i]) && M.answers[i].user == u)
            want[n_want++] = &M.answers[i];
    qsort(want, (size_t)n_want, sizeof want[0], history_order);
    do {
        CHECK_RC(qs_history(txn, M.uid[u], first ? NULL : &next, page, 50, &n, &next), 0);
        first = 0;
        for (size_t k = 0; k < n && k < 50; k++, seen++) {
            const m_answer *w;
            CHECK_MSG(seen < n_want, "user %u history longer than %d", M.uid[u], n_want);
            w = want[seen];
            snprintf(what, sizeof what, "user %u history row %d", M.uid[u], seen);
            FIELD(what, page[k].answer_id, w->id);
            FIELD(what, page[k].test, M.tests[w->test].id);
            FIELD(what, page[k].question, M.qid[w->q]);
            FIELD(what, page[k].topic, w->topic);
            FIELD(what, page[k].correct, w->correct);
            FIELD(what, page[k].status, w->status);
            FIELD(what, page[k].score, w->score);
            FIELD(what, page[k].chosen, w->chosen);
            FIELD(what, page[k].time_spent_ms, w->time_ms);
            FIELD(what, page[k].created_at, w->created_at);
        }
    } while (n > 50);   /* more rows follow */
    snprintf(what, sizeof what, "user %u history length", M.uid[u]);
    FIELD(what, seen, n_want);
}

static void compare_everything(void)
{
    qs_txn *txn = fx_read(M.env);
    int64_t nows[4];

    nows[0] = FX_T0;
    nows[1] = FX_T0 - 45 * FX_DAY_MS + 1;
    nows[2] = (int64_t)(LAST_DAY + 1) * FX_DAY_MS - 1;
    nows[3] = (int64_t)(FIRST_DAY + (int32_t)check_below(N_DAYS)) * FX_DAY_MS +
              (int64_t)check_below(FX_DAY_MS);
    sort_topics();
    compare_answers_and_tests(txn);
    compare_question_stats(txn);
    for (int u = 0; u < N_USERS; u++) {
        compare_user(txn, u, nows, 4);
        compare_progress(txn, u);
        compare_user_questions(txn, u);
        compare_history(txn, u);
    }
    compare_scan(txn, FX_T0 - 50 * FX_DAY_MS, FX_T0 - 20 * FX_DAY_MS + 12345);
    compare_scan(txn, FX_T0 - 31 * FX_DAY_MS, FX_T0); /* exactly December */
    compare_scan(txn, INT64_MIN, INT64_MAX);
    compare_leaderboards(txn);
    qs_txn_abort(txn);
}

TEST(aggregates_match_recomputation)
{
    int kept = 0;
    memset(&M, 0, sizeof M);
    M.dir = check_tmpdir();
    M.env = fx_open(M.dir, NULL);
    build_bank();
    build_users_and_tests();
    run_batches();
    for (int i = 0; i < M.n_answers; i++)
        kept += is_kept(&M.answers[i]);
    CHECK_MSG(kept > N_SUBMITS / 2 && M.duplicates_refused > 20 && M.batches_aborted > 0 &&
                  M.savepoints_aborted > 0 && M.retags > 0,
              "weak workload: %d kept, %d duplicates, %d aborted batches, %d aborted "
              "savepoints, %d retags",
              kept, M.duplicates_refused, M.batches_aborted, M.savepoints_aborted, M.retags);
    compare_everything();
    /* And again after a reopen. */
    qs_env_close(M.env);
    M.env = fx_open(M.dir, NULL);
    compare_everything();
    qs_env_close(M.env);
}

/* ---- streaks in any order ------------------------------------------------------------ */

#define RUN_DAYS 2000
#define RUN_SPAN (RUN_DAYS + 64)
#define RUN_QUESTIONS 250       /* answers per open test */
#define RUN_BATCH 250           /* answers per transaction */
#define ROWS_PER_DAY 4          /* daily rows a new day's upkeep reads at most */
#define RUN_BASE (NOW_DAY - 3000)

enum {
    ORDER_OLDEST_FIRST,
    ORDER_NEWEST_FIRST,
    ORDER_DOWNWARD_BELOW_LAST, /* one run built newest first below an isolated last day */
    ORDER_GAPS_LAST,           /* every other day, then the gaps: each joins two runs */
    ORDER_ZIGZAG,              /* from both ends towards the middle */
    ORDER_RANDOM,
    ORDER_COUNT
};

static const char *const order_names[ORDER_COUNT] = {
    "oldest first", "newest first", "downward below the last day", "gaps last", "zigzag",
    "random"};

/* The days (offsets from RUN_BASE) of @p order into @p days, in the order they come;
 * returns how many. Orders of their own make runs of 1-30 days with gaps of 1-5. */
static size_t order_days(int order, int32_t *days)
{
    static int32_t sorted[RUN_DAYS];
    size_t n = 0;
    if (order == ORDER_DOWNWARD_BELOW_LAST) {
        days[n++] = RUN_DAYS + 50;
        for (int32_t d = RUN_DAYS - 1; d >= 0; d--)
            days[n++] = d;
        return n;
    }
    if (order == ORDER_GAPS_LAST) {
        for (int32_t d = 0; d < RUN_DAYS; d += 2)
            days[n++] = d;
        for (int32_t d = 1; d < RUN_DAYS; d += 2)
            days[n++] = d;
        return n;
    }
    for (int32_t d = (int32_t)check_below(5); d < RUN_DAYS;) {
        int32_t run = (int32_t)check_range(1, 30);
        for (int32_t k = 0; k < run && d < RUN_DAYS; k++)
            sorted[n++] = d++;
        d += (int32_t)check_range(1, 5);
    }
    for (size_t i = 0; i < n; i++) {
        size_t from = order == ORDER_NEWEST_FIRST ? n - 1 - i
                      : order == ORDER_ZIGZAG     ? (i % 2 ? n - 1 - i / 2 : i / 2)
                                                  : i;
        days[i] = sorted[from];
    }
    for (size_t i = n - 1; order == ORDER_RANDOM && i > 0; i--) {
        size_t j = (size_t)check_below(i + 1);
        int32_t tmp = days[i];
        days[i] = days[j];
        days[j] = tmp;
    }
    return n;
}

/* The dashboard's streaks against the active days recomputed here. */
static void check_streaks(qs_env *env, uint32_t user, const unsigned char *active,
                          const char *what)
{
    uint32_t streak = 0, best = 0, run = 0;
    int32_t last = QS_NO_DAY;
    qs_dashboard d = {.size = sizeof d};
    for (int32_t day = 0; day < RUN_SPAN; day++) {
        run = active[day] ? run + 1 : 0;
        if (run > best)
            best = run;
        if (active[day]) {
            streak = run;
            last = RUN_BASE + day;
        }
    }
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_dashboard_get(txn, user, FX_T0, &d), 0);
    qs_txn_abort(txn);
    FIELD(what, d.summary.last_day, last);
    FIELD(what, d.summary.streak, streak);
    FIELD(what, d.summary.best_streak, best);
}

/* A user answering on days that come as @p run gives them. */
typedef struct run_user {
    qs_env *env;
    const uint32_t *questions;
    uint32_t user;
    uint64_t test;
    size_t answers;
    unsigned char active[RUN_SPAN];       /* by offset from RUN_BASE */
} run_user;

static void run_user_start(run_user *u, qs_env *env, const uint32_t *questions,
                           const char *ext)
{
    memset(u, 0, sizeof *u);
    u->env = env;
    u->questions = questions;
    qs_txn *txn = fx_write(env);
    u->user = fx_user(txn, ext, FX_T0 - 4000 * FX_DAY_MS);
    fx_commit(txn);
}

/* One answer on day RUN_BASE + @p day in @p txn, opening a new test when one is full. */
static void run_answer(run_user *u, qs_txn *txn, int32_t day)
{
    if (u->answers % RUN_QUESTIONS == 0) {
        char ext[48];
        snprintf(ext, sizeof ext, "run-test-%u-%zu", u->user, u->answers / RUN_QUESTIONS);
        u->test = fx_test(txn, ext, u->user, 1, NULL, 0, (int64_t)RUN_BASE * FX_DAY_MS);
    }
    fx_answer(txn, u->test, u->questions[u->answers % RUN_QUESTIONS], 0,
              (int64_t)(RUN_BASE + day) * FX_DAY_MS + 1000 * (int64_t)(u->answers % 3600));
    u->answers++;
    u->active[day] = 1;
}

/* Answers on @p days in transactions of RUN_BATCH, each checked against the model;
 * returns the daily rows the streak upkeep read. */
static uint64_t run_days(run_user *u, const int32_t *days, size_t n, const char *what)
{
    uint64_t read_before = idx_streak_rows_read;
    for (size_t i = 0; i < n; i += RUN_BATCH) {
        qs_txn *txn = fx_write(u->env);
        for (size_t k = i; k < n && k < i + RUN_BATCH; k++)
            run_answer(u, txn, days[k]);
        fx_commit(txn);
        check_streaks(u->env, u->user, u->active, what);
    }
    return idx_streak_rows_read - read_before;
}

static void bank_of(qs_env *env, uint32_t *questions)
{
    qs_txn *txn = fx_write(env);
    char ext[32];
    for (int i = 0; i < RUN_QUESTIONS; i++) {
        snprintf(ext, sizeof ext, "run-q-%d", i);
        questions[i] = fx_question(txn, ext, 0, 0, 0, 1, 0);
    }
    fx_commit(txn);
}

TEST(streaks_cost_a_few_rows_per_day_in_any_order)
{
    static int32_t days[RUN_DAYS + 1];
    static run_user u;
    uint32_t questions[RUN_QUESTIONS];
    qs_env *env = fx_open_tmp();
    bank_of(env, questions);
    for (int order = 0; order < ORDER_COUNT; order++) {
        char ext[32];
        snprintf(ext, sizeof ext, "run-user-%d", order);
        run_user_start(&u, env, questions, ext);
        size_t n = order_days(order, days);
        uint64_t read = run_days(&u, days, n, order_names[order]);
        CHECK_MSG(read <= ROWS_PER_DAY * n, "%s: streak upkeep read %llu daily rows for %zu days",
                  order_names[order], (unsigned long long)read, n);
    }
    fx_check_clean(env);   /* and the run ends against the check's own recomputation */
    qs_env_close(env);
}

/* Every daily row rewritten in the form older versions wrote: without its run end. */
static void strip_run_ends(const char *dir)
{
    enum { MAX_ROWS = 1024 };
    static uint8_t keys[MAX_ROWS][8], bodies[MAX_ROWS][16];
    size_t n = 0;
    raw_db r;
    MDB_cursor *cur;
    MDB_val k, v;
    raw_open(&r, dir, "udaily", 0);
    RAW_OK(mdb_cursor_open(r.txn, r.dbi, &cur));
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        CHECK(n < MAX_ROWS && k.mv_size == 8 && v.mv_size >= ENG_REC_HEADER + 16);
        memcpy(keys[n], k.mv_data, 8);
        memcpy(bodies[n++], (const uint8_t *)v.mv_data + ENG_REC_HEADER, 16);
    }
    mdb_cursor_close(cur);
    for (size_t i = 0; i < n; i++) {
        uint8_t rec[ENG_REC_HEADER + 16];
        eng_key key;
        ek_reset(&key);
        ek_bytes(&key, keys[i], 8);
        eng_rec_seal(rec, &key, bodies[i], 16);
        raw_put(&r, keys[i], 8, rec, sizeof rec);
    }
    raw_close(&r);
}

/* One answer on day RUN_BASE + @p day in its own transaction: the daily rows read. */
static uint64_t run_one_day(run_user *u, int32_t day)
{
    char what[48];
    snprintf(what, sizeof what, "after day %d", day);
    return run_days(u, &day, 1, what);
}

TEST(streak_upkeep_reads_rows_of_older_versions)
{
    static int32_t days[RUN_DAYS];
    static run_user u;
    uint32_t questions[RUN_QUESTIONS];
    const char *dir = check_tmpdir();
    qs_env *env = fx_open(dir, NULL);
    size_t n = 0;
    bank_of(env, questions);
    run_user_start(&u, env, questions, "older-rows");
    for (int32_t d = 10; d < 110; d++)   /* runs 10..109, 160 and 210..309 */
        days[n++] = d;
    days[n++] = 160;
    for (int32_t d = 210; d < 310; d++)
        days[n++] = d;
    run_days(&u, days, n, "before");
    qs_env_close(env);
    strip_run_ends(dir);
    u.env = env = fx_open(dir, NULL);
    fx_check_clean(env);   /* rows without run ends are no finding */

    /* A row without its run end is walked once; from then on the run's ends have it. */
    uint64_t walked = run_one_day(&u, 110);
    CHECK_MSG(walked >= 100 && walked <= 100 + 2 * ROWS_PER_DAY, "read %llu",
              (unsigned long long)walked);
    CHECK(run_one_day(&u, 111) <= ROWS_PER_DAY);
    CHECK(run_one_day(&u, 9) <= ROWS_PER_DAY);
    walked = run_one_day(&u, 209);
    CHECK_MSG(walked >= 100 && walked <= 100 + 2 * ROWS_PER_DAY, "read %llu",
              (unsigned long long)walked);
    CHECK(run_one_day(&u, 208) <= ROWS_PER_DAY);
    CHECK(run_one_day(&u, 159) <= 2 * ROWS_PER_DAY);   /* 160 alone: a walk of one */
    CHECK(run_one_day(&u, 161) <= ROWS_PER_DAY);
    fx_check_clean(env);

    /* The repair writes every run end again. */
    qs_env_close(env);
    strip_run_ends(dir);
    u.env = env = fx_open(dir, NULL);
    qs_txn *txn = fx_write(env);
    CHECK_RC(qs_repair(txn), 0);
    fx_commit(txn);
    CHECK(run_one_day(&u, 112) <= ROWS_PER_DAY);
    CHECK(run_one_day(&u, 207) <= ROWS_PER_DAY);
    fx_check_clean(env);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(aggregates_match_recomputation),
        CASE(streaks_cost_a_few_rows_per_day_in_any_order),
        CASE(streak_upkeep_reads_rows_of_older_versions),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
