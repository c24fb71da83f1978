/* Tests readers against a live writer, in threads and in other processes: no read
 * transaction sees an aggregate torn from the answers it sums; and reader slots of
 * killed processes come back when the store is opened. */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

/* ================================================================== shared helpers */

/* Memory shared with forked children. */
static void *shared_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    memset(p, 0, size);
    return p;
}

static int load_flag(const int *flag)
{
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void store_flag(int *flag, int v)
{
    __atomic_store_n(flag, v, __ATOMIC_RELEASE);
}

static int wait_exit_code(pid_t pid)
{
    int status = 0;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_MSG(WIFEXITED(status), "child %d ended by signal %d", (int)pid,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return WEXITSTATUS(status);
}

/* ================================================================== torn reads */

#define N_USERS 8
#define N_QUESTIONS 24
#define TESTS_PER_USER 48
#define WRITER_ANSWERS 6000
#define SPAN_DAYS 400       /* answers fall in the 400 days before FX_T0: new buckets come */
#define READER_THREADS 3
#define READER_PROCS 2
#define N_READERS (READER_THREADS + READER_PROCS)

typedef struct store {
    uint32_t users[N_USERS];
    uint32_t questions[N_QUESTIONS];
    uint64_t tests[N_USERS][TESTS_PER_USER];
} store;

/* What one reader (or the writer) did; in shared memory, so that reader processes
 * report like threads. Nobody but the main thread may fail a case, so failures are
 * written down here. */
typedef struct worker_result {
    unsigned iterations;
    unsigned snapshots;      /* distinct answer totals seen */
    int failed;
    char msg[256];
} worker_result;

typedef struct shared {
    int go, stop;
    worker_result writer;
    worker_result readers[N_READERS];
} shared;

static void store_build(const char *dir, store *s)
{
    qs_env *env = fx_open(dir, NULL);
    qs_txn *txn = fx_write(env);
    char ext[32];
    uint32_t subject = fx_taxon(txn, QS_SUBJECT, "r-subject", "Subject", 0);
    uint32_t system = fx_taxon(txn, QS_SYSTEM, "r-system", "System", 0);
    uint32_t topics[3];
    for (unsigned t = 0; t < 3; t++) {
        snprintf(ext, sizeof ext, "r-topic-%u", t);
        topics[t] = fx_taxon(txn, QS_TOPIC, ext, ext, system);
    }
    for (unsigned q = 0; q < N_QUESTIONS; q++) {
        snprintf(ext, sizeof ext, "rq-%u", q);
        s->questions[q] = fx_question(txn, ext, subject, system, topics[q % 3],
                                      (uint8_t)(1 + q % 3), (uint8_t)(q % 4));
    }
    for (unsigned u = 0; u < N_USERS; u++) {
        snprintf(ext, sizeof ext, "ru-%u", u);
        s->users[u] = fx_user(txn, ext, FX_T0 - 100 * FX_DAY_MS);
        for (unsigned t = 0; t < TESTS_PER_USER; t++) {
            snprintf(ext, sizeof ext, "rt-%u-%u", u, t);
            s->tests[u][t] = fx_test(txn, ext, s->users[u], 1, NULL, 0, FX_T0 - 90 * FX_DAY_MS);
        }
    }
    fx_commit(txn);
    qs_env_close(env);
}

static int fail_with(worker_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail_with(worker_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->failed = 1;
    return -1;
}

#define TRY(r, expr)                                                                  \
    do {                                                                              \
        int try_rc_ = (expr);                                                         \
        if (try_rc_ != 0)                                                             \
            return fail_with((r), "line %d: %s: %s (%s)", __LINE__, #expr,            \
                             qs_strerror(try_rc_), qs_errmsg());                      \
    } while (0)

/* ---- the writer ---------------------------------------------------------------- */

typedef struct writer_arg {
    qs_env *env;
    const store *s;
    shared *sh;
    uint64_t seed;
} writer_arg;

/* Answer WRITER_ANSWERS (test, question) pairs in transactions of 1 to 16 answers,
 * at random times of the last SPAN_DAYS days, so that buckets are created while the
 * readers read. */
static int write_answers(writer_arg *w)
{
    static uint32_t answered[N_USERS][TESTS_PER_USER];   /* bit per question */
    _Static_assert(N_QUESTIONS <= 32, "a test's answered questions fit a uint32_t");
    worker_result *r = &w->sh->writer;
    uint64_t rng = w->seed;
    unsigned done = 0;
    memset(answered, 0, sizeof answered);
    while (done < WRITER_ANSWERS) {
        qs_txn *txn;
        unsigned batch = 1 + (unsigned)(check_mix(&rng) % 16);
        TRY(r, qs_txn_begin(w->env, 0, &txn));
        for (unsigned i = 0; i < batch && done < WRITER_ANSWERS; i++, done++) {
            unsigned u = (unsigned)(check_mix(&rng) % N_USERS), t, q;
            do {
                t = (unsigned)(check_mix(&rng) % TESTS_PER_USER);
                q = (unsigned)(check_mix(&rng) % N_QUESTIONS);
            } while (answered[u][t] >> q & 1);
            answered[u][t] |= 1u << q;
            qs_answer a;
            fx_answer_init(&a, w->s->tests[u][t], w->s->questions[q], QS_ANSWERED, QS_GRADE,
                           (int8_t)(check_mix(&rng) % 4),
                           FX_T0 - 1000 * (int64_t)(check_mix(&rng) % (SPAN_DAYS * 86400)));
            a.score = (uint8_t)(10 + check_mix(&rng) % 81);
            a.time_spent_ms = (int64_t)(check_mix(&rng) % 300000);
            TRY(r, qs_answer_submit(txn, &a, NULL));
        }
        TRY(r, qs_txn_commit(txn));
        r->iterations++;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    writer_arg *w = arg;
    write_answers(w);
    store_flag(&w->sh->stop, 1);
    return NULL;
}

/* ---- the readers --------------------------------------------------------------- */

typedef struct question_sums {
    uint32_t question;
    uint32_t attempts, correct;
    uint64_t score, time_ms;
    uint32_t users_seen[N_USERS];
    size_t total;
} question_sums;

static int sum_question(const qs_answer *a, void *ctx)
{
    question_sums *s = ctx;
    s->total++;
    if (a->question != s->question)
        return 0;
    s->attempts++;
    s->correct += (uint32_t)a->correct;
    s->score += a->score;
    s->time_ms += (uint64_t)a->time_spent_ms;
    for (unsigned u = 0; u < N_USERS; u++)
        if (s->users_seen[u] == a->user || s->users_seen[u] == 0) {
            s->users_seen[u] = a->user;
            break;
        }
    return 0;
}

static uint32_t distinct_users(const question_sums *s)
{
    uint32_t n = 0;
    while (n < N_USERS && s->users_seen[n] != 0)
        n++;
    return n;
}

/* A user's summary equals the sum of the user's whole history, read page by page. */
static int check_user(qs_txn *txn, uint32_t user, worker_result *r, uint32_t *answered,
                      uint32_t *correct)
{
    qs_dashboard d = {.size = sizeof d};
    qs_history_row rows[64];
    qs_cursor next, after;
    size_t n;
    uint32_t count = 0, right = 0;
    uint64_t time_ms = 0;
    TRY(r, qs_dashboard_get(txn, user, FX_T0, &d));
    TRY(r, qs_history(txn, user, NULL, rows, 64, &n, &next));
    for (;;) {
        for (size_t i = 0; i < n && i < 64; i++) {
            count++;
            right += rows[i].correct;
            time_ms += rows[i].time_spent_ms;
        }
        if (n <= 64)   /* no row follows */
            break;
        after = next;
        TRY(r, qs_history(txn, user, &after, rows, 64, &n, &next));
    }
    if (d.summary.answered != count || d.summary.correct != right || d.summary.time_ms != time_ms)
        return fail_with(r, "user %u: summary %u answered, %u correct, %llu ms; history %u, "
                            "%u, %llu", user, d.summary.answered, d.summary.correct,
                         (unsigned long long)d.summary.time_ms, count, right,
                         (unsigned long long)time_ms);
    *answered = count;
    *correct = right;
    return 0;
}

/* A question's stats equal its answers, counted by a scan of every answer. */
static int check_question(qs_txn *txn, uint32_t question, worker_result *r, size_t *total)
{
    question_sums s;
    qs_question_stats st = {.size = sizeof st};
    memset(&s, 0, sizeof s);
    s.question = question;
    TRY(r, qs_question_stats_get(txn, question, &st));
    TRY(r, qs_answer_scan(txn, INT64_MIN, INT64_MAX, sum_question, &s));
    if (st.attempts != s.attempts || st.correct != s.correct || st.score_sum != s.score ||
        st.time_ms_sum != s.time_ms || st.users != distinct_users(&s))
        return fail_with(r, "question %u: stats %u attempts, %u correct, %u users; answers "
                            "%u, %u, %u", question, st.attempts, st.correct, st.users,
                         s.attempts, s.correct, distinct_users(&s));
    *total = s.total;
    return 0;
}

/* The all-time board lists every user in order, and each user's rank points at the
 * user's own row with the user's correct count. */
static int check_board(qs_txn *txn, const store *s, const uint32_t *correct, worker_result *r)
{
    qs_rank_row top[N_USERS + 1];
    size_t n;
    TRY(r, qs_leaderboard_top(txn, QS_BOARD_ALL_TIME, top, N_USERS + 1, &n));
    if (n != N_USERS)
        return fail_with(r, "the all-time board has %zu users, not %d", n, N_USERS);
    for (size_t i = 0; i < n; i++) {
        if (top[i].rank != i + 1 ||
            (i > 0 && (top[i - 1].correct < top[i].correct ||
                       (top[i - 1].correct == top[i].correct && top[i - 1].user > top[i].user))))
            return fail_with(r, "the all-time board is out of order at row %zu", i);
    }
    for (unsigned u = 0; u < N_USERS; u++) {
        qs_rank_row me;
        TRY(r, qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, s->users[u], &me));
        if (me.rank < 1 || me.rank > n || top[me.rank - 1].user != s->users[u] ||
            top[me.rank - 1].correct != me.correct || me.correct != correct[u])
            return fail_with(r, "user %u: rank %llu with %u correct; the board's row there "
                                "is user %u with %u; the history says %u", s->users[u],
                             (unsigned long long)me.rank, me.correct,
                             me.rank >= 1 && me.rank <= n ? top[me.rank - 1].user : 0,
                             me.rank >= 1 && me.rank <= n ? top[me.rank - 1].correct : 0,
                             correct[u]);
    }
    return 0;
}

/* On a weekly board, a user's rank points at the user's row, or is 0 and the user is
 * not on the board. */
static int check_week(qs_txn *txn, const store *s, uint32_t board, worker_result *r)
{
    qs_rank_row top[N_USERS + 1];
    size_t n;
    TRY(r, qs_leaderboard_top(txn, board, top, N_USERS + 1, &n));
    if (n > N_USERS)
        return fail_with(r, "weekly board %u has %zu users", board, n);
    for (unsigned u = 0; u < N_USERS; u++) {
        qs_rank_row me;
        size_t listed = 0;
        TRY(r, qs_leaderboard_rank(txn, board, s->users[u], &me));
        for (size_t i = 0; i < n; i++)
            listed += top[i].user == s->users[u];
        if (me.rank == 0 ? listed != 0 || me.correct != 0
                         : me.rank > n || top[me.rank - 1].user != s->users[u] ||
                               top[me.rank - 1].correct != me.correct)
            return fail_with(r, "weekly board %u: user %u has rank %llu with %u correct, "
                                "listed %zu times among %zu", board, s->users[u],
                             (unsigned long long)me.rank, me.correct, listed, n);
    }
    return 0;
}

/* One read transaction: every user's summary against the user's history, the board
 * against the summaries, a weekly board against its ranks, one question's stats against
 * a scan of the answers, and the number of answers against the summaries' sum. With
 * @p held, the transaction is a reset one renewed, and reset again after. */
static int read_once(qs_env *env, qs_txn *held, const store *s, uint64_t *rng,
                     worker_result *r, size_t *total)
{
    qs_txn *txn = held;
    uint32_t answered[N_USERS], correct[N_USERS], sum = 0;
    int rc = 0;
    if (held)
        TRY(r, qs_txn_renew(held));
    else
        TRY(r, qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    for (unsigned u = 0; u < N_USERS && rc == 0; u++) {
        rc = check_user(txn, s->users[u], r, &answered[u], &correct[u]);
        sum += answered[u];
    }
    if (rc == 0)
        rc = check_board(txn, s, correct, r);
    if (rc == 0)
        rc = check_week(txn, s,
                        qs_board_week(FX_T0 - FX_DAY_MS * (int64_t)(check_mix(rng) % SPAN_DAYS)),
                        r);
    if (rc == 0)
        rc = check_question(txn, s->questions[check_mix(rng) % N_QUESTIONS], r, total);
    if (rc == 0 && *total != sum)
        rc = fail_with(r, "%zu answers stored, the summaries count %u", *total, sum);
    if (held)
        qs_txn_reset(held);
    else
        qs_txn_abort(txn);
    return rc;
}

/* Read until the writer is done (and once after), in a new transaction each time or
 * in @p held renewed each time. */
static void read_until_stopped(qs_env *env, qs_txn *held, const store *s, shared *sh,
                               worker_result *r, uint64_t seed)
{
    uint64_t rng = seed;
    size_t last = SIZE_MAX, total = 0;
    for (;;) {
        int stopped = load_flag(&sh->stop);
        if (read_once(env, held, s, &rng, r, &total) != 0)
            return;
        r->iterations++;
        r->snapshots += total != last;
        last = total;
        if (stopped)
            return;
    }
}

typedef struct reader_arg {
    qs_env *env;
    const store *s;
    shared *sh;
    worker_result *r;
    uint64_t seed;
} reader_arg;

static void *reader_thread(void *arg)
{
    reader_arg *a = arg;
    while (!load_flag(&a->sh->go))
        usleep(100);
    read_until_stopped(a->env, NULL, a->s, a->sh, a->r, a->seed);
    return NULL;
}

/* Child: open the store itself, read like the threads but through one transaction
 * reset and renewed, report in shared memory. */
static void reader_process(const char *dir, const store *s, shared *sh, worker_result *r,
                           uint64_t seed)
{
    qs_env *env = NULL;
    qs_txn *txn = NULL;
    qs_options o = fx_options();
    int rc = qs_env_open(dir, &o, &env);
    if (rc == 0 && (rc = qs_txn_begin(env, QS_TXN_RDONLY, &txn)) == 0)
        qs_txn_reset(txn);
    if (rc != 0) {
        fail_with(r, "open: %s (%s)", qs_strerror(rc), qs_errmsg());
        _exit(0);
    }
    while (!load_flag(&sh->go))
        usleep(100);
    read_until_stopped(env, txn, s, sh, r, seed);
    qs_txn_abort(txn);
    qs_env_close(env);
    _exit(0);
}

static void check_worker(const char *who, int i, const worker_result *r)
{
    CHECK_MSG(!r->failed, "%s %d: %s", who, i, r->msg);
}

TEST(readers_never_see_torn_aggregates)
{
    static store s;
    const char *dir = check_tmpdir();
    shared *sh = shared_alloc(sizeof *sh);
    pid_t procs[READER_PROCS];
    pthread_t threads[READER_THREADS], writer;
    reader_arg args[READER_THREADS];
    store_build(dir, &s);

    /* Reader processes are forked before this process opens the store or starts
     * threads: each opens its own handle, as a forked child must. */
    fflush(stdout);
    for (int i = 0; i < READER_PROCS; i++) {
        uint64_t seed = check_rand();
        procs[i] = fork();
        CHECK(procs[i] >= 0);
        if (procs[i] == 0)
            reader_process(dir, &s, sh, &sh->readers[READER_THREADS + i], seed);
    }
    qs_env *env = fx_open(dir, NULL);
    for (int i = 0; i < READER_THREADS; i++) {
        args[i] = (reader_arg){env, &s, sh, &sh->readers[i], check_rand()};
        CHECK_EQ(pthread_create(&threads[i], NULL, reader_thread, &args[i]), 0);
    }
    writer_arg w = {env, &s, sh, check_rand()};
    CHECK_EQ(pthread_create(&writer, NULL, writer_main, &w), 0);
    store_flag(&sh->go, 1);
    CHECK_EQ(pthread_join(writer, NULL), 0);
    for (int i = 0; i < READER_THREADS; i++)
        CHECK_EQ(pthread_join(threads[i], NULL), 0);
    for (int i = 0; i < READER_PROCS; i++)
        CHECK_EQ(wait_exit_code(procs[i]), 0);

    check_worker("writer", 0, &sh->writer);
    for (int i = 0; i < N_READERS; i++) {
        const worker_result *r = &sh->readers[i];
        check_worker(i < READER_THREADS ? "reader thread" : "reader process", i, r);
        /* Each reader ran while the writer wrote: it saw the answers change. */
        CHECK_MSG(r->snapshots >= 3, "reader %d saw %u snapshots in %u reads", i,
                  r->snapshots, r->iterations);
    }
    CHECK(sh->writer.iterations > 100);
    fx_check_clean(env);
    qs_env_close(env);
    munmap(sh, sizeof *sh);
}

/* ================================================================== reader slots */

#define MAX_READERS 4

static void small_table_options(qs_options *o)
{
    *o = fx_options();
    o->max_readers = MAX_READERS;
}

/* What a probe process saw: the rc of its open, then of each read transaction it
 * tried to begin. */
typedef struct probe_result {
    int open_rc;
    int begin_rc[MAX_READERS + 1];
    int n_begun;
} probe_result;

typedef struct slots_shared {
    int release;             /* tells the keeper to close the store and exit */
    int holders_ready;
    probe_result probe;
} slots_shared;

/* Child: keep the store open, holding no reader slot, until released. A process
 * with the store open keeps the lock file, and the reader table in it, alive. */
static void keeper_main(const char *dir, slots_shared *sh, int ready_fd)
{
    qs_options o = {.size = sizeof o};
    qs_env *env;
    small_table_options(&o);
    if (qs_env_open(dir, &o, &env) != 0)
        _exit(3);
    if (write(ready_fd, "k", 1) != 1)
        _exit(4);
    while (!load_flag(&sh->release))
        usleep(1000);
    qs_env_close(env);
    _exit(0);
}

/* Child: hold one read transaction until killed. */
static void holder_main(const char *dir, slots_shared *sh, int ready_fd)
{
    qs_options o = {.size = sizeof o};
    qs_env *env;
    qs_txn *txn;
    uint64_t id;
    small_table_options(&o);
    if (qs_env_open(dir, &o, &env) != 0 || qs_txn_begin(env, QS_TXN_RDONLY, &txn) != 0 ||
        qs_resolve(txn, QS_USER, "user-0", &id) != 0)
        _exit(3);
    __atomic_add_fetch(&sh->holders_ready, 1, __ATOMIC_ACQ_REL);
    if (write(ready_fd, "h", 1) != 1)
        _exit(4);
    for (;;)
        pause();
}

/* Child: open the store and begin read transactions until one fails or
 * MAX_READERS + 1 are held; report every rc. */
static void probe_main(const char *dir, slots_shared *sh, int unused)
{
    qs_options o = {.size = sizeof o};
    qs_env *env = NULL;
    qs_txn *txns[MAX_READERS + 1];
    probe_result *p = &sh->probe;
    (void)unused;
    small_table_options(&o);
    memset(p, 0, sizeof *p);
    p->open_rc = qs_env_open(dir, &o, &env);
    if (p->open_rc == 0) {
        while (p->n_begun < MAX_READERS + 1) {
            int rc = qs_txn_begin(env, QS_TXN_RDONLY, &txns[p->n_begun]);
            p->begin_rc[p->n_begun] = rc;
            if (rc != 0)
                break;
            p->n_begun++;
        }
        for (int i = 0; i < p->n_begun; i++)
            qs_txn_abort(txns[i]);
        qs_env_close(env);
    }
    _exit(0);
}

static pid_t spawn(void (*child)(const char *, slots_shared *, int), const char *dir,
                   slots_shared *sh, int fd)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        child(dir, sh, fd);
    return pid;
}

static void wait_byte(int fd)
{
    char c;
    CHECK_EQ(read(fd, &c, 1), 1);
}

/* A probe process's view of the reader table. */
static const probe_result *probe(const char *dir, slots_shared *sh)
{
    pid_t pid = spawn(probe_main, dir, sh, -1);
    CHECK_EQ(wait_exit_code(pid), 0);
    return &sh->probe;
}

TEST(dead_reader_slots_are_reclaimed_on_open)
{
    const char *dir = check_tmpdir();
    slots_shared *sh = shared_alloc(sizeof *sh);
    qs_options o = {.size = sizeof o};
    fx_bank b;
    int ready[2];
    pid_t holders[MAX_READERS];
    small_table_options(&o);
    qs_env *env = fx_open(dir, &o);
    fx_bank_build(env, &b);
    qs_env_close(env);
    CHECK_RC(pipe(ready), 0);

    pid_t keeper = spawn(keeper_main, dir, sh, ready[1]);
    wait_byte(ready[0]);
    for (int i = 0; i < MAX_READERS; i++) {
        holders[i] = spawn(holder_main, dir, sh, ready[1]);
        wait_byte(ready[0]);
    }
    CHECK_EQ(load_flag(&sh->holders_ready), MAX_READERS);

    /* Live processes hold every slot: nobody else can read, opening the store
     * included (it reads the bucket registry). */
    const probe_result *p = probe(dir, sh);
    CHECK_MSG(p->open_rc == QS_READERS_FULL ||
                  (p->open_rc == 0 && p->n_begun == 0 && p->begin_rc[0] == QS_READERS_FULL),
              "with every slot held: open %d (%s), %d read transactions begun, then %d",
              p->open_rc, qs_strerror(p->open_rc), p->n_begun, p->begin_rc[p->n_begun]);

    /* Killed while holding them, they leave their slots taken in the table; the next
     * open clears them: all MAX_READERS can be begun at once, and no more. */
    for (int i = 0; i < MAX_READERS; i++) {
        int status;
        kill(holders[i], SIGKILL);
        CHECK_EQ(waitpid(holders[i], &status, 0), holders[i]);
        CHECK(WIFSIGNALED(status));
    }
    p = probe(dir, sh);
    CHECK_RC(p->open_rc, 0);
    CHECK_MSG(p->n_begun == MAX_READERS && p->begin_rc[MAX_READERS] == QS_READERS_FULL,
              "after the kills: %d read transactions begun, then %d (%s)", p->n_begun,
              p->begin_rc[p->n_begun], qs_strerror(p->begin_rc[p->n_begun]));

    /* The same holds in this process, and the slots were only lent. */
    env = fx_open(dir, &o);
    qs_txn *txns[MAX_READERS], *extra = NULL;
    for (int i = 0; i < MAX_READERS; i++)
        txns[i] = fx_read(env);
    CHECK_RC(qs_txn_begin(env, QS_TXN_RDONLY, &extra), QS_READERS_FULL);
    CHECK(extra == NULL);
    for (int i = 0; i < MAX_READERS; i++)
        qs_txn_abort(txns[i]);
    txns[0] = fx_read(env);
    qs_user u = {.size = sizeof u};
    CHECK_RC(qs_user_get(txns[0], b.users[1], &u), 0);
    qs_txn_abort(txns[0]);
    qs_env_close(env);

    store_flag(&sh->release, 1);
    CHECK_EQ(wait_exit_code(keeper), 0);
    close(ready[0]);
    close(ready[1]);
    munmap(sh, sizeof *sh);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(readers_never_see_torn_aggregates),
        CASE(dead_reader_slots_are_reclaimed_on_open),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
