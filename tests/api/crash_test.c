/* Tests that a crash loses nothing committed and shows nothing uncommitted: a writer,
 * a sealer and retention are killed with SIGKILL at random moments, and after every
 * kill the store is reopened and compared with what the killed process reported. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "check.h"
#include "fixture.h"

/* ================================================================== shared helpers */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static qs_env *open_durable(const char *dir)
{
    qs_options o = {.size = sizeof o};
    o = fx_options();
    o.durability = QS_SYNC_DURABLE;
    return fx_open(dir, &o);
}

/* qs_check finds nothing: every record decodes, every aggregate recomputes. */

/* ---- the killed process's log ------------------------------------------------ */

/* A killed process appends one record before it starts a unit of work (INTENT) and one
 * after the unit committed (DONE); FAIL reports an unexpected error (k = source line,
 * value = return code). Records are 16 bytes: a kill cannot tear one in practice, and
 * a torn tail is ignored. */
enum { REC_INTENT = 0x49, REC_DONE = 0x44, REC_FAIL = 0x46 };

typedef struct log_rec {
    uint32_t kind;
    uint32_t k;
    uint64_t value;
} log_rec;

static void log_put(int fd, uint32_t kind, uint32_t k, uint64_t value)
{
    log_rec r = {kind, k, value};
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(4);
}

/* In a child: report an unexpected return code and die. */
static void child_fail(int fd, int line, int rc)
{
    log_put(fd, REC_FAIL, (uint32_t)line, (uint64_t)(int64_t)rc);
    fprintf(stdout, "  child: line %d: %s: %s\n", line, qs_strerror(rc), qs_errmsg());
    fflush(stdout);
    _exit(3);
}

#define CHILD_RC(fd, expr)                      \
    do {                                        \
        int child_rc_ = (expr);                 \
        if (child_rc_ != 0)                     \
            child_fail((fd), __LINE__, child_rc_); \
    } while (0)

static int log_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    CHECK(fd >= 0);
    return fd;
}

/* Every whole record of the log at @p path; a failure record fails the case. */
static size_t log_read(const char *path, log_rec *recs, size_t cap)
{
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t got = read(fd, recs, cap * sizeof *recs);
    close(fd);
    CHECK(got >= 0 && (size_t)got < cap * sizeof *recs);
    size_t n = (size_t)got / sizeof *recs;
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(recs[i].kind != REC_FAIL, "the child failed at line %u with %d (%s)",
                  recs[i].k, (int)(int64_t)recs[i].value,
                  qs_strerror((int)(int64_t)recs[i].value));
    return n;
}

/* Kill @p pid and check that it was still running: it must never end on its own. */
static void kill_child(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "the child ended by itself (status 0x%x)", status);
}

/* Wait until the child says it is ready, or until it dies trying. */
static void wait_ready(int fd)
{
    char c;
    ssize_t got = read(fd, &c, 1);
    (void)got;
    close(fd);
}

/* Wait until the log at @p path holds @p n records (or a minute went by): the kill
 * then follows the writer's progress, however slowly it runs (under valgrind, say). */
static void wait_log_records(const char *path, size_t n)
{
    struct stat st;
    for (int i = 0; i < 60000; i++) {
        if (stat(path, &st) == 0 && (size_t)st.st_size >= n * sizeof(log_rec))
            return;
        usleep(1000);
    }
}

/* ================================================================== the writer's model */

#define MAX_USERS 64
#define MAX_QUESTIONS 64    /* a test's answered questions fit one uint64_t */
#define MAX_TESTS 4096
#define MAX_ANSWERS 60000
#define MAX_PLAN_OPS 512
#define SPAN_DAYS 150       /* answers and interactions fall in the 150 days before FX_T0 */
#define BASE_USERS 6
#define BASE_QUESTIONS 16
#define BASE_TESTS 12

typedef struct m_answer {
    uint64_t test;
    uint32_t question, user;
    uint8_t status, correct, score;
    int8_t chosen;
    uint32_t time_ms;
    int64_t at;
} m_answer;

typedef struct m_test {
    uint64_t id;
    unsigned user;          /* model index */
    uint64_t answered;      /* bit q: question index q answered in this test */
} m_test;

/* Everything committed, as the store must show it. Entities are numbered by model
 * index; their external ids are "cu-<index>", "cq-<index>", "ct-<index>". */
typedef struct model {
    uint32_t subject, systems[2], topics[4];
    unsigned n_users, n_questions, n_tests;
    uint32_t users[MAX_USERS];
    uint32_t questions[MAX_QUESTIONS];
    m_test tests[MAX_TESTS];
    size_t n_answers;
    m_answer answers[MAX_ANSWERS];
    uint64_t n_interactions;
    uint64_t user_interactions[MAX_USERS];
} model;

static uint8_t question_key(unsigned q)
{
    return (uint8_t)(q % 4);
}

static void question_init(const model *m, unsigned q, qs_question *out)
{
    char ext[32];
    snprintf(ext, sizeof ext, "cq-%u", q);
    fx_question_init(out, ext, m->subject, m->systems[(q % 4) / 2], m->topics[q % 4],
                     (uint8_t)(1 + q % 3), 4, question_key(q));
}

static void user_init(unsigned u, qs_user *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->ext_id, sizeof out->ext_id, "cu-%u", u);
    out->created_at = FX_T0 - 200 * FX_DAY_MS;
}

static void test_init(const model *m, unsigned t, unsigned user, qs_test *out)
{
    char ext[32];
    snprintf(ext, sizeof ext, "ct-%u", t);
    fx_test_init(out, ext, m->users[user], 1, NULL, 0, FX_T0 - 160 * FX_DAY_MS);
}

/* The taxonomy, BASE_QUESTIONS questions, BASE_USERS users with two tests each. */
static void model_build(const char *dir, const qs_options *opts, model *m)
{
    memset(m, 0, sizeof *m);
    qs_env *env = fx_open(dir, opts);
    qs_txn *txn = fx_write(env);
    m->subject = fx_taxon(txn, QS_SUBJECT, "c-subject", "Subject", 0);
    for (unsigned s = 0; s < 2; s++) {
        char ext[32];
        snprintf(ext, sizeof ext, "c-system-%u", s);
        m->systems[s] = fx_taxon(txn, QS_SYSTEM, ext, ext, 0);
    }
    for (unsigned t = 0; t < 4; t++) {
        char ext[32];
        snprintf(ext, sizeof ext, "c-topic-%u", t);
        m->topics[t] = fx_taxon(txn, QS_TOPIC, ext, ext, m->systems[t / 2]);
    }
    for (; m->n_questions < BASE_QUESTIONS; m->n_questions++) {
        qs_question q = {.size = sizeof q};
        question_init(m, m->n_questions, &q);
        CHECK_RC(qs_question_put(txn, &q, &m->questions[m->n_questions]), 0);
    }
    for (; m->n_users < BASE_USERS; m->n_users++) {
        qs_user u = {.size = sizeof u};
        user_init(m->n_users, &u);
        CHECK_RC(qs_user_put(txn, &u, &m->users[m->n_users]), 0);
    }
    for (; m->n_tests < BASE_TESTS; m->n_tests++) {
        qs_test t = {.size = sizeof t};
        m_test *mt = &m->tests[m->n_tests];
        mt->user = m->n_tests % BASE_USERS;
        test_init(m, m->n_tests, mt->user, &t);
        CHECK_RC(qs_test_put(txn, &t, &mt->id), 0);
    }
    fx_commit(txn);
    qs_env_close(env);
}

/* ---- plans: one transaction's work ------------------------------------------- */

typedef enum op_kind { OP_USER = 1, OP_QUESTION, OP_TEST, OP_ANSWER, OP_INTERACTION } op_kind;

typedef struct op {
    uint8_t kind;
    unsigned index;         /* OP_USER, OP_QUESTION, OP_TEST: the new entity's index */
    unsigned user;          /* OP_TEST, OP_INTERACTION: model index */
    unsigned test, question;/* OP_ANSWER: model indexes */
    uint8_t status, score, action;
    int8_t chosen;
    uint32_t time_ms;
    int64_t at;
    uint64_t seq;           /* OP_INTERACTION: its number, written in its payload */
    uint64_t id;            /* the new entity's id, once known */
} op;

typedef struct plan {
    size_t n;
    op ops[MAX_PLAN_OPS];
} plan;

static unsigned below(uint64_t *s, unsigned n)
{
    return (unsigned)(check_mix(s) % n);
}

static int64_t random_time(uint64_t *s)
{
    return FX_T0 - SPAN_DAYS * FX_DAY_MS + (int64_t)below(s, SPAN_DAYS * 86400) * 1000;
}

/* Mostly small transactions, a few of hundreds of answers. */
static size_t answer_count(uint64_t *s)
{
    unsigned r = below(s, 10);
    if (r < 4)
        return 1;
    if (r < 7)
        return 2 + below(s, 9);
    if (r < 9)
        return 10 + below(s, 51);
    return 100 + below(s, 151);
}

/* Add an answer to a (test, question) pair still free in @p answered; 0 if none is. */
static int plan_answer(const model *m, uint64_t *answered, uint64_t *s, plan *p)
{
    uint64_t full = m->n_questions == 64 ? UINT64_MAX : (1ull << m->n_questions) - 1;
    unsigned start = below(s, m->n_tests);
    for (unsigned j = 0; j < m->n_tests; j++) {
        unsigned t = (start + j) % m->n_tests;
        if ((answered[t] & full) == full)
            continue;
        unsigned q = below(s, m->n_questions);
        while (answered[t] >> q & 1)
            q = (q + 1) % m->n_questions;
        answered[t] |= 1ull << q;
        op *o = &p->ops[p->n++];
        memset(o, 0, sizeof *o);
        o->kind = OP_ANSWER;
        o->test = t;
        o->question = q;
        o->status = below(s, 10) == 0 ? QS_SKIPPED : QS_ANSWERED;
        o->chosen = o->status == QS_SKIPPED ? QS_NO_CHOICE : (int8_t)below(s, 4);
        o->score = (uint8_t)(10 + below(s, 81));
        o->time_ms = below(s, 600000);
        o->at = random_time(s);
        return 1;
    }
    return 0;
}

static void plan_entity(plan *p, op_kind kind, unsigned index, unsigned user)
{
    op *o = &p->ops[p->n++];
    memset(o, 0, sizeof *o);
    o->kind = (uint8_t)kind;
    o->index = index;
    o->user = user;
}

/* The work of one transaction, a function of @p m and @p seed only: the killed writer
 * and the checking parent make the same plan from the same committed state. */
static void plan_make(const model *m, uint64_t seed, plan *p)
{
    static uint64_t answered[MAX_TESTS];
    uint64_t s = seed;
    p->n = 0;
    if (m->n_users < MAX_USERS && below(&s, 100) < 15)
        plan_entity(p, OP_USER, m->n_users, 0);
    if (m->n_questions < MAX_QUESTIONS && below(&s, 100) < 15)
        plan_entity(p, OP_QUESTION, m->n_questions, 0);
    unsigned new_tests = below(&s, 100) < 40 ? 1 + below(&s, 3) : 0;
    for (unsigned i = 0; i < new_tests && m->n_tests + i < MAX_TESTS; i++)
        plan_entity(p, OP_TEST, m->n_tests + i, below(&s, m->n_users));
    for (unsigned t = 0; t < m->n_tests; t++)
        answered[t] = m->tests[t].answered;
    size_t want = answer_count(&s);
    if (want > MAX_ANSWERS - m->n_answers)
        want = MAX_ANSWERS - m->n_answers;
    for (size_t i = 0; i < want && plan_answer(m, answered, &s, p); i++)
        ;
    unsigned interactions = below(&s, 100) < 40 ? 1 + below(&s, 20) : 0;
    for (unsigned i = 0; i < interactions; i++) {
        op *o = &p->ops[p->n++];
        memset(o, 0, sizeof *o);
        o->kind = OP_INTERACTION;
        o->user = below(&s, m->n_users);
        o->action = (uint8_t)(1 + below(&s, 8));
        o->at = random_time(&s);
        o->seq = m->n_interactions + i;
    }
}

static void interaction_init(const model *m, const op *o, char *payload, size_t cap,
                             qs_interaction *ix)
{
    int len = snprintf(payload, cap, "ix-%llu", (unsigned long long)o->seq);
    ix->user = m->users[o->user];
    ix->action = o->action;
    ix->created_at = o->at;
    ix->payload = payload;
    ix->payload_len = (size_t)len;
}

static void answer_init(const model *m, const op *o, qs_answer *a)
{
    fx_answer_init(a, m->tests[o->test].id, m->questions[o->question], o->status,
                   o->status == QS_SKIPPED ? 0 : QS_GRADE, o->chosen, o->at);
    a->score = o->score;
    a->time_spent_ms = o->time_ms;
}

/* Run one op in @p txn; new entities' ids go into the op. */
static int op_execute(qs_txn *txn, const model *m, op *o)
{
    uint32_t id32 = 0;
    int rc;
    switch (o->kind) {
    case OP_USER: {
        qs_user u = {.size = sizeof u};
        user_init(o->index, &u);
        rc = qs_user_put(txn, &u, &id32);
        o->id = id32;
        return rc;
    }
    case OP_QUESTION: {
        qs_question q = {.size = sizeof q};
        question_init(m, o->index, &q);
        rc = qs_question_put(txn, &q, &id32);
        o->id = id32;
        return rc;
    }
    case OP_TEST: {
        static qs_test t;
        test_init(m, o->index, o->user, &t);
        return qs_test_put(txn, &t, &o->id);
    }
    case OP_ANSWER: {
        qs_answer a;
        answer_init(m, o, &a);
        return qs_answer_submit(txn, &a, NULL);
    }
    default: {
        char payload[32];
        qs_interaction ix;
        interaction_init(m, o, payload, sizeof payload, &ix);
        return qs_interaction_log(txn, &ix, NULL);
    }
    }
}

/* Fold a committed plan (its new ids known) into the model. */
static void model_apply(model *m, const plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        const op *o = &p->ops[i];
        switch (o->kind) {
        case OP_USER:
            m->users[o->index] = (uint32_t)o->id;
            m->n_users = o->index + 1;
            break;
        case OP_QUESTION:
            m->questions[o->index] = (uint32_t)o->id;
            m->n_questions = o->index + 1;
            break;
        case OP_TEST:
            m->tests[o->index].id = o->id;
            m->tests[o->index].user = o->user;
            m->tests[o->index].answered = 0;
            m->n_tests = o->index + 1;
            break;
        case OP_ANSWER: {
            m_test *t = &m->tests[o->test];
            m_answer *a = &m->answers[m->n_answers++];
            t->answered |= 1ull << o->question;
            a->test = t->id;
            a->question = m->questions[o->question];
            a->user = m->users[t->user];
            a->status = o->status;
            a->correct = o->status == QS_ANSWERED && o->chosen == question_key(o->question);
            a->chosen = o->chosen;
            a->score = o->score;
            a->time_ms = o->time_ms;
            a->at = o->at;
            break;
        }
        default:
            m->n_interactions++;
            m->user_interactions[o->user]++;
            break;
        }
    }
}

/* ---- the writer ---------------------------------------------------------------- */

static uint64_t plan_seed(uint64_t run_seed, uint32_t k)
{
    uint64_t s = run_seed ^ (0x9e3779b97f4a7c15ull * (k + 1));
    return check_mix(&s);
}

/* Child: commit plan after plan, logging each before and after, until killed. */
static void writer_main(const char *dir, const qs_options *opts, model *m, uint64_t run_seed,
                        int log_fd, int ready_fd)
{
    static plan p;
    qs_env *env;
    qs_txn *txn;
    CHILD_RC(log_fd, qs_env_open(dir, opts, &env));
    if (write(ready_fd, "r", 1) != 1)
        _exit(4);
    close(ready_fd);
    for (uint32_t k = 0;; k++) {
        uint64_t seed = plan_seed(run_seed, k);
        plan_make(m, seed, &p);
        log_put(log_fd, REC_INTENT, k, seed);
        CHILD_RC(log_fd, qs_txn_begin(env, 0, &txn));
        for (size_t i = 0; i < p.n; i++)
            CHILD_RC(log_fd, op_execute(txn, m, &p.ops[i]));
        CHILD_RC(log_fd, qs_txn_commit(txn));
        log_put(log_fd, REC_DONE, k, seed);
        model_apply(m, &p);
    }
}

/* ---- what the parent checks ----------------------------------------------------- */

/* The ids of a committed plan's new entities, from their external ids. */
static void plan_resolve(qs_txn *txn, plan *p)
{
    static const char *const prefix[] = {[OP_USER] = "cu", [OP_QUESTION] = "cq",
                                         [OP_TEST] = "ct"};
    static const qs_kind kind[] = {[OP_USER] = QS_USER, [OP_QUESTION] = QS_QUESTION,
                                   [OP_TEST] = QS_TEST};
    for (size_t i = 0; i < p->n; i++) {
        op *o = &p->ops[i];
        char ext[32];
        if (o->kind > OP_TEST)
            continue;
        snprintf(ext, sizeof ext, "%s-%u", prefix[o->kind], o->index);
        CHECK_RC(qs_resolve(txn, kind[o->kind], ext, &o->id), 0);
    }
}

static size_t answers_stored(qs_txn *txn)
{
    return fx_answers_in(txn, INT64_MIN, INT64_MAX);
}

static size_t interactions_stored(qs_txn *txn)
{
    return fx_interactions_in(txn, INT64_MIN, INT64_MAX);
}

/* Is the effect of @p o in the store? */
static int op_present(qs_txn *txn, const model *m, const op *o)
{
    static const char *const prefix[] = {[OP_USER] = "cu", [OP_QUESTION] = "cq",
                                         [OP_TEST] = "ct"};
    static const qs_kind kind[] = {[OP_USER] = QS_USER, [OP_QUESTION] = QS_QUESTION,
                                   [OP_TEST] = QS_TEST};
    char ext[32];
    uint64_t id;
    qs_answer a;
    int rc;
    if (o->kind == OP_ANSWER) {
        rc = qs_answer_get(txn, m->tests[o->test].id, m->questions[o->question], &a);
    } else {
        snprintf(ext, sizeof ext, "%s-%u", prefix[o->kind], o->index);
        rc = qs_resolve(txn, kind[o->kind], ext, &id);
    }
    CHECK_MSG(rc == 0 || rc == QS_NOTFOUND, "op %d: rc %d (%s)", o->kind, rc,
              qs_strerror(rc));
    return rc == 0;
}

/* The transaction in flight when the writer died: all of it is there or none. */
static int plan_present(qs_txn *txn, const model *m, const plan *p)
{
    size_t seen = 0, total = 0, interactions = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->ops[i].kind == OP_INTERACTION) {
            interactions++;
            continue;
        }
        total++;
        seen += (size_t)op_present(txn, m, &p->ops[i]);
    }
    long long extra = (long long)interactions_stored(txn) - (long long)m->n_interactions;
    CHECK_MSG(extra == 0 || extra == (long long)interactions,
              "%lld interactions more than committed, %zu in flight", extra, interactions);
    seen += (size_t)extra;
    total += interactions;
    CHECK_MSG(seen == 0 || seen == total, "%zu of the %zu effects of the transaction in "
              "flight are visible", seen, total);
    return total > 0 && seen == total;
}

static void check_answers(qs_txn *txn, const model *m)
{
    CHECK_EQ(answers_stored(txn), m->n_answers);
    for (size_t i = 0; i < m->n_answers; i++) {
        const m_answer *w = &m->answers[i];
        qs_answer a;
        CHECK_RC(qs_answer_get(txn, w->test, w->question, &a), 0);
        CHECK_MSG(a.user == w->user && a.status == w->status && a.correct == w->correct &&
                      a.chosen == w->chosen && a.score == w->score &&
                      a.time_spent_ms == w->time_ms && a.created_at == w->at,
                  "answer %zu (test %llu, question %u) differs", i,
                  (unsigned long long)w->test, w->question);
    }
}

typedef struct user_sum {
    uint32_t answered, correct;
    uint64_t time_ms;
} user_sum;

typedef struct question_sum {
    uint32_t attempts, correct;
    uint64_t users;         /* bit u: user model index u answered it */
    uint64_t score, time_ms;
} question_sum;

static unsigned user_index(const model *m, uint32_t id)
{
    for (unsigned u = 0; u < m->n_users; u++)
        if (m->users[u] == id)
            return u;
    CHECK_MSG(0, "answer of unknown user %u", id);
    return 0;
}

static unsigned question_index(const model *m, uint32_t id)
{
    for (unsigned q = 0; q < m->n_questions; q++)
        if (m->questions[q] == id)
            return q;
    CHECK_MSG(0, "answer to unknown question %u", id);
    return 0;
}

/* Every user's and question's aggregates equal their sums over the model's answers. */
static void check_aggregates(qs_txn *txn, const model *m)
{
    static user_sum us[MAX_USERS];
    static question_sum qsum[MAX_QUESTIONS];
    memset(us, 0, sizeof us);
    memset(qsum, 0, sizeof qsum);
    for (size_t i = 0; i < m->n_answers; i++) {
        const m_answer *a = &m->answers[i];
        unsigned u = user_index(m, a->user), q = question_index(m, a->question);
        us[u].answered++;
        us[u].correct += a->correct;
        us[u].time_ms += a->time_ms;
        qsum[q].attempts++;
        qsum[q].correct += a->correct;
        qsum[q].users |= 1ull << u;
        qsum[q].score += a->score;
        qsum[q].time_ms += a->time_ms;
    }
    for (unsigned u = 0; u < m->n_users; u++) {
        qs_dashboard d = {.size = sizeof d};
        qs_rank_row rank;
        qs_interaction_day days[SPAN_DAYS * 8];
        size_t n;
        uint64_t ix = 0;
        CHECK_RC(qs_dashboard_get(txn, m->users[u], FX_T0, &d), 0);
        CHECK_MSG(d.summary.answered == us[u].answered && d.summary.correct == us[u].correct &&
                      d.summary.time_ms == us[u].time_ms,
                  "user %u: summary %u/%u/%llu, answers say %u/%u/%llu", m->users[u],
                  d.summary.answered, d.summary.correct,
                  (unsigned long long)d.summary.time_ms, us[u].answered, us[u].correct,
                  (unsigned long long)us[u].time_ms);
        CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, m->users[u], &rank), 0);
        CHECK_EQ(rank.correct, us[u].correct);
        CHECK_RC(qs_interaction_days(txn, m->users[u], INT32_MIN, INT32_MAX, days,
                                     SPAN_DAYS * 8, &n), 0);
        CHECK(n <= SPAN_DAYS * 8);
        for (size_t i = 0; i < n; i++)
            ix += days[i].count;
        CHECK_EQ(ix, m->user_interactions[u]);
    }
    for (unsigned q = 0; q < m->n_questions; q++) {
        qs_question_stats st = {.size = sizeof st};
        CHECK_RC(qs_question_stats_get(txn, m->questions[q], &st), 0);
        CHECK_MSG(st.attempts == qsum[q].attempts && st.correct == qsum[q].correct &&
                      st.users == (uint32_t)__builtin_popcountll(qsum[q].users) &&
                      st.score_sum == qsum[q].score && st.time_ms_sum == qsum[q].time_ms,
                  "question %u: stats %u attempts, %u correct; answers say %u, %u",
                  m->questions[q], st.attempts, st.correct, qsum[q].attempts,
                  qsum[q].correct);
    }
}

static uint64_t db_entries(const qs_db_stat *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return rows[i].entries;
    CHECK_MSG(0, "no database '%s'", name);
    return 0;
}

/* Exactly the model's users, questions and tests exist. */
static void check_entities(qs_txn *txn, const model *m)
{
    qs_db_stat rows[64];
    size_t n;
    CHECK_RC(qs_db_stats(txn, rows, 64, &n), 0);
    CHECK(n <= 64);
    CHECK_EQ(db_entries(rows, n, "user"), m->n_users);
    CHECK_EQ(db_entries(rows, n, "question"), m->n_questions);
    CHECK_EQ(db_entries(rows, n, "test"), m->n_tests);
    CHECK_EQ(interactions_stored(txn), m->n_interactions);
}

static void model_check(qs_env *env, const model *m)
{
    qs_txn *txn = fx_read(env);
    check_entities(txn, m);
    check_answers(txn, m);
    check_aggregates(txn, m);
    qs_txn_abort(txn);
    fx_check_clean(env);
}

/* ---- one kill ---------------------------------------------------------------------- */

typedef struct writer_tally {
    unsigned kills;
    unsigned in_flight;         /* a transaction had begun and not reported its commit */
    unsigned lost;              /* ... and it is absent after the crash */
    unsigned unreported;        /* ... and it committed before the kill */
    unsigned commits;           /* commits reported */
} writer_tally;

#define MAX_LOG (1 << 17)

/* Bring the parent's model up to the killed writer's log: every reported commit
 * present, the transaction in flight all there or all absent. */
static void replay_log(qs_env *env, model *m, const log_rec *recs, size_t n,
                       writer_tally *tally)
{
    static plan p;
    qs_txn *txn = fx_read(env);
    for (size_t i = 0; i < n; i++) {
        CHECK_MSG(recs[i].k == i / 2 && recs[i].kind == (i % 2 ? REC_DONE : REC_INTENT),
                  "log record %zu out of order", i);
        if (recs[i].kind == REC_INTENT)
            plan_make(m, recs[i].value, &p);
        if (recs[i].kind == REC_DONE) {
            plan_resolve(txn, &p);
            model_apply(m, &p);
            tally->commits++;
        }
    }
    if (n % 2 == 1) {
        tally->in_flight++;
        if (plan_present(txn, m, &p)) {
            plan_resolve(txn, &p);
            model_apply(m, &p);
            tally->unreported++;
        } else {
            tally->lost++;
        }
    }
    qs_txn_abort(txn);
}

/* Start a writer, kill it at a random moment within @p max_delay_us (now and then
 * while it opens the store), then check the store against the model. */
static void kill_writer_once(const char *dir, const qs_options *opts, unsigned max_delay_us,
                             const char *log_path, model *m, writer_tally *tally)
{
    static log_rec recs[MAX_LOG];
    int ready[2];
    int log_fd = log_create(log_path);
    uint64_t run_seed = check_rand();
    int during_open = check_chance(10);
    unsigned delay_us = during_open    ? (unsigned)check_below(4000)
                        : check_chance(30) ? (unsigned)check_below(3000)
                                           : (unsigned)check_below(max_delay_us);
    CHECK_RC(pipe(ready), 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        writer_main(dir, opts, m, run_seed, log_fd, ready[1]);
    }
    close(ready[1]);
    close(log_fd);
    if (!during_open) {
        wait_ready(ready[0]);
        wait_log_records(log_path, (size_t)check_below(24));
    }
    usleep(delay_us);
    kill_child(pid);
    if (during_open)
        close(ready[0]);
    tally->kills++;

    size_t n = log_read(log_path, recs, MAX_LOG);
    qs_env *env = fx_open(dir, opts);
    replay_log(env, m, recs, n, tally);
    model_check(env, m);
    qs_env_close(env);
}

/* Kill a writer @p kills times on a store opened with @p opts; each time, every
 * reported commit is there, and the transaction in flight all there or all absent. */
static void kill_writers(const qs_options *opts, unsigned kills, unsigned max_delay_us)
{
    static model m;
    const char *dir = check_tmpdir();
    char log_path[4200];
    writer_tally tally = {0};
    snprintf(log_path, sizeof log_path, "%s/writer.log", check_tmpdir());
    model_build(dir, opts, &m);
    for (unsigned i = 0; i < kills; i++)
        kill_writer_once(dir, opts, max_delay_us, log_path, &m, &tally);
    CHECK_EQ(tally.kills, kills);
    /* The kills interrupted work: transactions were in flight, and some of them were
     * killed before their commit. */
    CHECK_MSG(tally.in_flight >= kills / 2, "%u of %u kills had work in flight",
              tally.in_flight, tally.kills);
    CHECK(tally.lost > 0);
    CHECK(tally.commits > kills);
    CHECK(m.n_answers > 1000);
    CHECK(m.n_users > BASE_USERS && m.n_questions > BASE_QUESTIONS && m.n_tests > BASE_TESTS);
}

TEST(killed_writer_loses_no_commit)
{
    qs_options o = {.size = sizeof o};
    o = fx_options();
    o.durability = QS_SYNC_DURABLE;
    kill_writers(&o, 48, 100000);
}

/* Commits that do not wait for the disk survive a process crash all the same (the
 * header promises it), written through the map too. */
TEST(killed_periodic_map_writer_loses_no_commit)
{
    qs_options o = {.size = sizeof o};
    o = fx_options();
    o.durability = QS_SYNC_PERIODIC;
    o.sync_interval_ms = 50;
    o.write_map = 1;
    kill_writers(&o, 16, 20000);
}

/* ================================================================== buckets */

#define B_USERS 8
#define B_QUESTIONS 60
#define B_MAX_ANSWERS 10000
#define SEP_2025 1756684800000LL   /* 2025-09-01T00:00:00Z */
#define OCT_2025 1759276800000LL
#define NOV_2025 1761955200000LL
#define DEC_2025 1764547200000LL

/* The four months of both tables, in bucket order. */
static const int64_t b_months[5] = {SEP_2025, OCT_2025, NOV_2025, DEC_2025, FX_T0};
static const char *const b_names[2][4] = {
    {"ans@2025-09", "ans@2025-10", "ans@2025-11", "ans@2025-12"},
    {"ixn@2025-09", "ixn@2025-10", "ixn@2025-11", "ixn@2025-12"}};

enum { B_RAW, B_SEALED, B_GONE };

/* What the sealer does, one transaction per step: seal the two large answer months,
 * expire (answers keep 61 days, interactions 90: at FX_T0 that drops September's
 * answers and interactions and October's sealed answers), then seal October's and
 * November's interactions together. b_state[j] is every bucket after j steps. */
#define B_STEPS 4
#define B_EXPIRE_STEP 2
static const uint8_t b_state[B_STEPS + 1][2][4] = {
    {{B_RAW, B_RAW, B_RAW, B_RAW}, {B_RAW, B_RAW, B_RAW, B_RAW}},
    {{B_RAW, B_SEALED, B_RAW, B_RAW}, {B_RAW, B_RAW, B_RAW, B_RAW}},
    {{B_RAW, B_SEALED, B_SEALED, B_RAW}, {B_RAW, B_RAW, B_RAW, B_RAW}},
    {{B_GONE, B_GONE, B_SEALED, B_RAW}, {B_GONE, B_RAW, B_RAW, B_RAW}},
    {{B_GONE, B_GONE, B_SEALED, B_RAW}, {B_GONE, B_SEALED, B_SEALED, B_RAW}},
};

typedef struct b_answer {
    uint64_t test;
    uint32_t question;
    int64_t at;
} b_answer;

/* The store every kill starts from, and what its reads gave before any seal. */
typedef struct bucket_base {
    const char *dir;
    uint32_t users[B_USERS];
    uint32_t questions[B_QUESTIONS];
    size_t n_answers;
    b_answer answers[B_MAX_ANSWERS];
    uint64_t answer_digest[4], interaction_digest[4];
    uint64_t aggregate_digest;
    /* each user's history rows (answer created_at, digest of the row), newest first */
    size_t n_history[B_USERS];
    int64_t history_at[B_USERS][B_MAX_ANSWERS / 2];
    uint64_t history_row[B_USERS][B_MAX_ANSWERS / 2];
} bucket_base;

static void mix(uint64_t *h, uint64_t v)
{
    *h ^= v;
    *h = check_mix(h);
}

static int mix_answer(const qs_answer *a, void *ctx)
{
    uint64_t *h = ctx;
    mix(h, a->id);
    mix(h, a->test);
    mix(h, a->question);
    mix(h, a->user);
    mix(h, a->topic);
    mix(h, (uint64_t)a->correct << 16 | (uint64_t)(uint8_t)a->chosen << 8 | a->status);
    mix(h, a->score);
    mix(h, (uint64_t)a->time_spent_ms);
    mix(h, (uint64_t)a->created_at);
    return 0;
}

/* Each interaction's own digest, summed: a scan passes a raw bucket's rows by time
 * and a sealed one's by user. */
static int mix_interaction(const qs_interaction *ix, uint64_t seq, void *ctx)
{
    uint64_t *h = ctx, row = 0;
    mix(&row, seq);
    mix(&row, ix->user);
    mix(&row, ix->action);
    mix(&row, (uint64_t)ix->created_at);
    for (size_t i = 0; i < ix->payload_len; i++)
        mix(&row, ((const uint8_t *)ix->payload)[i]);
    *h += row;
    return 0;
}

static uint64_t history_row_digest(const qs_history_row *r)
{
    uint64_t h = 0;
    mix(&h, r->answer_id);
    mix(&h, r->test);
    mix(&h, r->question);
    mix(&h, r->topic);
    mix(&h, (uint64_t)r->correct << 24 | (uint64_t)r->status << 16 |
                (uint64_t)r->score << 8 | (uint8_t)r->chosen);
    mix(&h, r->time_spent_ms);
    mix(&h, (uint64_t)r->created_at);
    return h;
}

/* Digests of one month's answers and interactions, as the scans return them. */
static void month_digests(qs_txn *txn, int m, uint64_t *answers, uint64_t *interactions)
{
    *answers = *interactions = 0;
    CHECK_RC(qs_answer_scan(txn, b_months[m], b_months[m + 1], mix_answer, answers), 0);
    CHECK_RC(qs_interaction_scan(txn, b_months[m], b_months[m + 1], mix_interaction,
                                 interactions), 0);
}

/* Every aggregate retention must keep: dashboards, progress, interaction days,
 * question stats, the all-time board. */
static uint64_t aggregate_digest(qs_txn *txn, const bucket_base *b)
{
    uint64_t h = 0;
    for (unsigned u = 0; u < B_USERS; u++) {
        qs_dashboard d = {.size = sizeof d};
        qs_progress_row prog[8];
        qs_interaction_day days[1024];
        size_t n;
        CHECK_RC(qs_dashboard_get(txn, b->users[u], DEC_2025 + 20 * FX_DAY_MS, &d), 0);
        mix(&h, d.summary.answered);
        mix(&h, d.summary.correct);
        mix(&h, d.summary.time_ms);
        mix(&h, d.summary.streak);
        mix(&h, d.summary.best_streak);
        mix(&h, (uint64_t)d.summary.last_day);
        for (size_t i = 0; i < d.n_days; i++) {
            mix(&h, (uint64_t)d.days[i].day);
            mix(&h, d.days[i].answers);
            mix(&h, d.days[i].correct);
            mix(&h, d.days[i].time_ms);
        }
        CHECK_RC(qs_progress(txn, b->users[u], prog, 8, &n), 0);
        for (size_t i = 0; i < n && i < 8; i++) {
            mix(&h, prog[i].topic);
            mix(&h, prog[i].attempts);
            mix(&h, prog[i].correct);
            mix(&h, (uint64_t)prog[i].last_answered_at);
        }
        CHECK_RC(qs_interaction_days(txn, b->users[u], INT32_MIN, INT32_MAX, days, 1024, &n),
                 0);
        CHECK(n <= 1024);
        for (size_t i = 0; i < n; i++) {
            mix(&h, (uint64_t)days[i].day);
            mix(&h, days[i].action);
            mix(&h, days[i].count);
        }
    }
    for (unsigned q = 0; q < B_QUESTIONS; q++) {
        qs_question_stats st = {.size = sizeof st};
        CHECK_RC(qs_question_stats_get(txn, b->questions[q], &st), 0);
        mix(&h, st.attempts);
        mix(&h, st.correct);
        mix(&h, st.users);
        mix(&h, st.score_sum);
        mix(&h, st.time_ms_sum);
    }
    qs_rank_row top[B_USERS];
    size_t n;
    CHECK_RC(qs_leaderboard_top(txn, QS_BOARD_ALL_TIME, top, B_USERS, &n), 0);
    for (size_t i = 0; i < n && i < B_USERS; i++) {
        mix(&h, top[i].rank);
        mix(&h, top[i].user);
        mix(&h, top[i].correct);
    }
    return h;
}

static int month_of(int64_t at)
{
    for (int m = 0; m < 4; m++)
        if (at < b_months[m + 1])
            return m;
    return 3;
}

/* A user's history, page by page, into @p at and @p rows; returns the row count. */
static size_t read_history(qs_txn *txn, uint32_t user, int64_t *at, uint64_t *rows,
                           size_t cap)
{
    qs_history_row page[50];
    qs_cursor next, after;
    size_t n, total = 0;
    CHECK_RC(qs_history(txn, user, NULL, page, 50, &n, &next), 0);
    for (;;) {
        size_t written = n < 50 ? n : 50;   /* n > 50: more rows follow */
        CHECK(total + written <= cap);
        for (size_t i = 0; i < written; i++) {
            at[total] = page[i].created_at;
            rows[total++] = history_row_digest(&page[i]);
        }
        if (n <= 50)
            return total;
        after = next;
        CHECK_RC(qs_history(txn, user, &after, page, 50, &n, &next), 0);
    }
}

static void bucket_answer(bucket_base *b, qs_txn *txn, uint64_t *test, unsigned *fill,
                          unsigned u, int64_t at)
{
    if (*fill == B_QUESTIONS) {
        char ext[32];
        snprintf(ext, sizeof ext, "bt-%zu", b->n_answers);
        *test = fx_test(txn, ext, b->users[u], 1, NULL, 0, SEP_2025 - FX_DAY_MS);
        *fill = 0;
    }
    CHECK(b->n_answers < B_MAX_ANSWERS);
    b_answer *r = &b->answers[b->n_answers++];
    qs_answer a;
    r->test = *test;
    r->question = b->questions[(*fill)++];
    r->at = at;
    fx_answer_init(&a, r->test, r->question, QS_ANSWERED, QS_GRADE, (int8_t)check_below(4), at);
    a.score = (uint8_t)(10 + check_below(81));
    a.time_spent_ms = (int64_t)check_below(600000);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
}

/* Four months of answers and interactions, all but December large; the
 * retention policy; and the digests of every read. */
static void bucket_base_build(bucket_base *b)
{
    static const unsigned per_month[4] = {2800, 2800, 2800, 400};
    uint64_t test[B_USERS];
    unsigned fill[B_USERS];
    char ext[32];
    b->dir = check_tmpdir();
    qs_env *env = open_durable(b->dir);
    qs_txn *txn = fx_write(env);
    uint32_t subject = fx_taxon(txn, QS_SUBJECT, "b-subject", "Subject", 0);
    uint32_t system = fx_taxon(txn, QS_SYSTEM, "b-system", "System", 0);
    uint32_t topic = fx_taxon(txn, QS_TOPIC, "b-topic", "Topic", system);
    for (unsigned q = 0; q < B_QUESTIONS; q++) {
        snprintf(ext, sizeof ext, "bq-%u", q);
        b->questions[q] = fx_question(txn, ext, subject, system, topic, 2, (uint8_t)(q % 4));
    }
    for (unsigned u = 0; u < B_USERS; u++) {
        snprintf(ext, sizeof ext, "bu-%u", u);
        b->users[u] = fx_user(txn, ext, SEP_2025 - 30 * FX_DAY_MS);
        fill[u] = B_QUESTIONS;
    }
    for (int m = 0; m < 4; m++) {
        for (unsigned i = 0; i < per_month[m]; i++) {
            unsigned u = (unsigned)check_below(B_USERS);
            bucket_answer(b, txn, &test[u], &fill[u], u,
                          b_months[m] + (int64_t)check_below(28 * 86400) * 1000);
        }
        for (unsigned i = 0; i < per_month[m] / 3; i++) {
            char payload[24];
            int len = snprintf(payload, sizeof payload, "b-%d-%u", m, i);
            qs_interaction ix = {b->users[check_below(B_USERS)],
                                 (uint8_t)(1 + check_below(8)),
                                 b_months[m] + (int64_t)check_below(28 * 86400) * 1000,
                                 payload, (size_t)len};
            CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
        }
    }
    qs_bucket_policy policy = {.size = sizeof policy, 2, 61, 90};
    CHECK_RC(qs_bucket_policy_set(txn, &policy), 0);
    fx_commit(txn);

    txn = fx_read(env);
    for (int m = 0; m < 4; m++)
        month_digests(txn, m, &b->answer_digest[m], &b->interaction_digest[m]);
    b->aggregate_digest = aggregate_digest(txn, b);
    for (unsigned u = 0; u < B_USERS; u++)
        b->n_history[u] = read_history(txn, b->users[u], b->history_at[u], b->history_row[u],
                                       B_MAX_ANSWERS / 2);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ---- the sealer ---------------------------------------------------------------- */

static int sealer_step(qs_txn *txn, int step)
{
    size_t dropped;
    int rc;
    switch (step) {
    case 0: return qs_bucket_seal(txn, QS_TABLE_ANSWERS, OCT_2025, FX_T0, NULL);
    case 1: return qs_bucket_seal(txn, QS_TABLE_ANSWERS, NOV_2025, FX_T0, NULL);
    case 2:
        rc = qs_buckets_expire(txn, FX_T0, &dropped);
        return rc ? rc : dropped == 3 ? 0 : QS_CORRUPT;
    default:
        rc = qs_bucket_seal(txn, QS_TABLE_INTERACTIONS, OCT_2025, FX_T0, NULL);
        return rc ? rc : qs_bucket_seal(txn, QS_TABLE_INTERACTIONS, NOV_2025, FX_T0, NULL);
    }
}

/* Child: run the steps, logging each before and after and telling the parent which
 * step starts; at step @p hold_step (if any), do its work but, instead of committing,
 * say 'h' and wait to be killed. Having finished, say 'f' and wait to be killed. */
static void sealer_main(const char *dir, int log_fd, int signal_fd, int hold_step)
{
    qs_options o = {.size = sizeof o};
    qs_env *env;
    qs_txn *txn;
    o = fx_options();
    CHILD_RC(log_fd, qs_env_open(dir, &o, &env));
    if (write(signal_fd, "r", 1) != 1)
        _exit(4);
    for (int step = 0; step < B_STEPS; step++) {
        char c = (char)('0' + step);
        log_put(log_fd, REC_INTENT, (uint32_t)step, 0);
        if (write(signal_fd, &c, 1) != 1)
            _exit(4);
        CHILD_RC(log_fd, qs_txn_begin(env, 0, &txn));
        CHILD_RC(log_fd, sealer_step(txn, step));
        if (step == hold_step && write(signal_fd, "h", 1) == 1)
            for (;;)
                pause();
        CHILD_RC(log_fd, qs_txn_commit(txn));
        log_put(log_fd, REC_DONE, (uint32_t)step, 0);
    }
    if (write(signal_fd, "f", 1) != 1)
        _exit(4);
    for (;;)
        pause();
}

/* ---- what the parent checks ----------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
    static char buf[1 << 16];
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t n;
    CHECK(in >= 0 && out >= 0);
    while ((n = read(in, buf, sizeof buf)) > 0)
        CHECK_EQ(write(out, buf, (size_t)n), n);
    CHECK_EQ(n, 0);
    close(in);
    close(out);
}

/* A fresh copy of the base store in @p dir. */
static void bucket_copy(const bucket_base *b, const char *dir)
{
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/data.mdb", b->dir);
    snprintf(to, sizeof to, "%s/data.mdb", dir);
    copy_file(from, to);
    snprintf(to, sizeof to, "%s/lock.mdb", dir);
    unlink(to);
}

/* Whether the main database of @p txn names a database @p name. */
static int has_db(MDB_txn *txn, MDB_dbi main_dbi, const char *name)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    return mdb_get(txn, main_dbi, &k, &v) == 0;
}

/* Each bucket is raw or sealed or gone in the store's file itself, read with liblmdb
 * (the store closed): never both databases, and a dropped bucket leaves none. */
static void check_bucket_files(const char *dir, const uint8_t state[2][4])
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi main_dbi;
    CHECK_RC(mdb_env_create(&env), 0);
    CHECK_RC(mdb_env_set_maxdbs(env, 64), 0);
    CHECK_RC(mdb_env_open(env, dir, MDB_RDONLY, 0644), 0);
    CHECK_RC(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_RC(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
    for (int t = 0; t < 2; t++)
        for (int m = 0; m < 4; m++) {
            char sealed_name[32];
            snprintf(sealed_name, sizeof sealed_name, "%s.z", b_names[t][m]);
            int raw = has_db(txn, main_dbi, b_names[t][m]);
            int sealed = has_db(txn, main_dbi, sealed_name);
            CHECK_MSG(raw == (state[t][m] == B_RAW) && sealed == (state[t][m] == B_SEALED),
                      "%s: raw database %s, sealed database %s, bucket state %d",
                      b_names[t][m], raw ? "present" : "absent",
                      sealed ? "present" : "absent", state[t][m]);
        }
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

/* The step the store is at, from its bucket list; fails unless it is one of
 * b_state. */
static int observed_step(qs_txn *txn)
{
    qs_bucket_info list[16];
    uint8_t seen[2][4];
    size_t n;
    CHECK_RC(qs_bucket_list(txn, list, 16, &n), 0);
    CHECK(n <= 16);
    memset(seen, B_GONE, sizeof seen);
    for (size_t i = 0; i < n; i++) {
        int t = list[i].table - 1, m = month_of(list[i].start);
        CHECK(t >= 0 && t < 2 && list[i].start == b_months[m]);
        seen[t][m] = list[i].sealed ? B_SEALED : B_RAW;
    }
    for (int j = 0; j <= B_STEPS; j++)
        if (memcmp(seen, b_state[j], sizeof seen) == 0)
            return j;
    CHECK_MSG(0, "the buckets match no step: answers %d %d %d %d, interactions %d %d %d %d",
              seen[0][0], seen[0][1], seen[0][2], seen[0][3], seen[1][0], seen[1][1],
              seen[1][2], seen[1][3]);
    return -1;
}

/* Reads of the store at step @p j: what remains reads as before, what was dropped
 * reads as nothing, every aggregate as before. */
static void check_bucket_reads(qs_txn *txn, const bucket_base *b, int j)
{
    static int64_t at[B_MAX_ANSWERS / 2];
    static uint64_t rows[B_MAX_ANSWERS / 2];
    const uint8_t(*state)[4] = b_state[j];
    for (int m = 0; m < 4; m++) {
        uint64_t answers, interactions;
        month_digests(txn, m, &answers, &interactions);
        CHECK_MSG(answers == (state[0][m] == B_GONE ? 0 : b->answer_digest[m]),
                  "%s reads differently at step %d", b_names[0][m], j);
        CHECK_MSG(interactions == (state[1][m] == B_GONE ? 0 : b->interaction_digest[m]),
                  "%s reads differently at step %d", b_names[1][m], j);
    }
    for (size_t i = 0; i < b->n_answers; i++) {
        const b_answer *w = &b->answers[i];
        qs_answer a;
        int gone = state[0][month_of(w->at)] == B_GONE;
        CHECK_RC(qs_answer_get(txn, w->test, w->question, &a), gone ? QS_NOTFOUND : 0);
        CHECK(gone || a.created_at == w->at);
    }
    for (unsigned u = 0; u < B_USERS; u++) {
        size_t n = read_history(txn, b->users[u], at, rows, B_MAX_ANSWERS / 2), k = 0;
        for (size_t i = 0; i < b->n_history[u]; i++) {
            if (state[0][month_of(b->history_at[u][i])] == B_GONE)
                continue;
            CHECK_MSG(k < n && rows[k] == b->history_row[u][i],
                      "user %u: history row %zu differs at step %d", b->users[u], k, j);
            k++;
        }
        CHECK_EQ(k, n);
    }
    CHECK_MSG(aggregate_digest(txn, b) == b->aggregate_digest,
              "aggregates changed at step %d", j);
}

typedef struct sealer_tally {
    unsigned kills;
    unsigned in_flight[B_STEPS];    /* kills while this step had begun, not reported done */
    unsigned at_step[B_STEPS + 1];
} sealer_tally;

/* The store in @p dir after the sealer's kill: a state the steps pass through, no
 * earlier than the log's last reported step, no later than the one in flight. */
static void check_after_kill(const bucket_base *b, const char *dir, const log_rec *recs,
                             size_t n, sealer_tally *tally)
{
    int done = (int)(n / 2);
    qs_env *env = open_durable(dir);
    qs_txn *txn = fx_read(env);
    int j = observed_step(txn);
    CHECK_MSG(j == done || (n % 2 == 1 && j == done + 1),
              "store at step %d, the sealer reported %d done%s", j, done,
              n % 2 ? " and one in flight" : "");
    check_bucket_reads(txn, b, j);
    qs_txn_abort(txn);
    fx_check_clean(env);
    qs_env_close(env);
    check_bucket_files(dir, b_state[j]);
    tally->kills++;
    if (n % 2)
        tally->in_flight[done]++;
    tally->at_step[j]++;
}

/* When the parent kills the sealer. */
typedef struct kill_plan {
    int wait_step;          /* wait until this step starts (-1: until the store is open) */
    unsigned delay_us;      /* then wait this long */
    int hold_step;          /* or: kill when this step's work is done, before its commit */
    int64_t *duration_us;   /* or, not NULL: kill when the sealer has finished, and say
                               how long the steps took */
} kill_plan;

/* Wait for the sealer's signal @p want, reading past the earlier ones. */
static void wait_signal(int fd, char want)
{
    char c;
    do
        CHECK_EQ(read(fd, &c, 1), 1);
    while (c != want);
}

/* Start the sealer on a fresh copy of the base store, kill it as @p k says, and
 * check the store. */
static void kill_sealer_once(const bucket_base *b, const char *dir, const char *log_path,
                             kill_plan k, sealer_tally *tally)
{
    static log_rec recs[16];
    int pipe_fds[2];
    bucket_copy(b, dir);
    int log_fd = log_create(log_path);
    CHECK_RC(pipe(pipe_fds), 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(pipe_fds[0]);
        sealer_main(dir, log_fd, pipe_fds[1], k.hold_step);
    }
    close(pipe_fds[1]);
    close(log_fd);
    wait_signal(pipe_fds[0], 'r');
    int64_t start = now_us();
    if (k.duration_us) {
        wait_signal(pipe_fds[0], 'f');
        *k.duration_us = now_us() - start;
    } else if (k.hold_step >= 0) {
        wait_signal(pipe_fds[0], 'h');
    } else {
        if (k.wait_step >= 0)
            wait_signal(pipe_fds[0], (char)('0' + k.wait_step));
        usleep(k.delay_us);
    }
    kill_child(pid);
    close(pipe_fds[0]);
    size_t n = log_read(log_path, recs, 16);
    check_after_kill(b, dir, recs, n, tally);
}

#define SEALER_KILLS 12      /* at random moments of the whole run */
#define EXPIRE_KILLS 8       /* within 400 us of the expiry's start */

TEST(killed_seal_or_expire_leaves_whole_buckets)
{
    static bucket_base b;
    const char *dir = check_tmpdir();
    char log_path[4200];
    sealer_tally tally;
    int64_t duration_us;
    memset(&tally, 0, sizeof tally);
    snprintf(log_path, sizeof log_path, "%s/sealer.log", check_tmpdir());
    bucket_base_build(&b);

    /* Uninterrupted, the steps end in the last state. */
    kill_sealer_once(&b, dir, log_path, (kill_plan){-1, 0, -1, &duration_us}, &tally);
    CHECK_EQ(tally.at_step[B_STEPS], 1u);
    /* Killed with a step's work done but not committed: none of it shows. */
    for (int step = 0; step < B_STEPS; step++) {
        kill_sealer_once(&b, dir, log_path, (kill_plan){-1, 0, step, NULL}, &tally);
        CHECK_EQ(tally.at_step[step], 1u);
    }
    /* Killed at random moments, and around the expiry and its commit. */
    for (unsigned i = 0; i < SEALER_KILLS; i++) {
        unsigned delay = (unsigned)check_below((uint64_t)duration_us + 1);
        kill_sealer_once(&b, dir, log_path, (kill_plan){-1, delay, -1, NULL}, &tally);
    }
    for (unsigned i = 0; i < EXPIRE_KILLS; i++) {
        unsigned delay = (unsigned)check_below(400);
        kill_sealer_once(&b, dir, log_path, (kill_plan){B_EXPIRE_STEP, delay, -1, NULL},
                         &tally);
    }
    CHECK_EQ(tally.kills, 1 + B_STEPS + SEALER_KILLS + EXPIRE_KILLS);
    /* Random kills interrupted work too, not only the planned ones. */
    unsigned in_flight = 0;
    for (int step = 0; step < B_STEPS; step++)
        in_flight += tally.in_flight[step];
    CHECK_MSG(in_flight > B_STEPS, "only %u kills interrupted a step", in_flight);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(killed_writer_loses_no_commit),
        CASE(killed_periodic_map_writer_loses_no_commit),
        CASE(killed_seal_or_expire_leaves_whole_buckets),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
