/* Tests the environment: errors, options, reopen, read-only, full map, stale readers. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

/* ---- version and error texts -------------------------------------------- */

TEST(version_matches_macros)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", QS_VERSION_MAJOR, QS_VERSION_MINOR,
             QS_VERSION_PATCH);
    CHECK(qs_version() != NULL);
    CHECK_STR(qs_version(), want);
}

TEST(strerror_names_every_code)
{
    static const int codes[] = {
        QS_NOTFOUND, QS_EXISTS,   QS_INVALID,   QS_CORRUPT,  QS_MAP_FULL,
        QS_READERS_FULL, QS_TXN_FULL, QS_READONLY, QS_BAD_CURSOR, QS_FORMAT,
        QS_TOO_LARGE, QS_BAD_TXN, QS_DBS_FULL, QS_PANIC};
    const size_t n = NCASES(codes);
    const char *ok = qs_strerror(0);

    CHECK(ok != NULL && *ok != '\0');
    for (size_t i = 0; i < n; i++) {
        const char *text = qs_strerror(codes[i]);
        CHECK_MSG(text != NULL && *text != '\0', "code %d has no text", codes[i]);
        CHECK_MSG(strcmp(text, ok) != 0, "code %d reads as success: %s", codes[i], text);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(strcmp(text, qs_strerror(codes[j])) != 0,
                      "codes %d and %d share the text \"%s\"", codes[i], codes[j], text);
    }
    CHECK(qs_strerror(ENOSPC) != NULL && *qs_strerror(ENOSPC) != '\0');
    CHECK(qs_strerror(EACCES) != NULL && *qs_strerror(EACCES) != '\0');
    CHECK(strcmp(qs_strerror(ENOSPC), qs_strerror(EACCES)) != 0);
    CHECK(qs_strerror(-30999) != NULL);
    CHECK(qs_strerror(-1234567) != NULL);
    CHECK(qs_strerror(1234567) != NULL);
}

static void *errmsg_of_fresh_thread(void *arg)
{
    const char **out = arg;
    *out = qs_errmsg();
    return NULL;
}

TEST(errmsg_is_per_thread_and_describes_failures)
{
    fx_bank b;
    qs_env *env = fx_open_tmp();
    qs_txn *txn;
    qs_answer a;
    pthread_t th;
    const char *fresh = NULL;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer_init(&a, b.tests[0], b.questions[0], QS_ANSWERED, QS_GRADE, 0, FX_T0);
    a.score = 95;
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_INVALID);
    CHECK(qs_errmsg() != NULL);
    CHECK_MSG(*qs_errmsg() != '\0', "no detail for a score of 95");

    CHECK(pthread_create(&th, NULL, errmsg_of_fresh_thread, &fresh) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(fresh != NULL);
    CHECK_MSG(*fresh == '\0', "a thread that never failed sees \"%s\"", fresh);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ---- options and open ----------------------------------------------------- */

TEST(options_defaults)
{
    qs_options o = {.size = sizeof o};
    memset(&o, 0xa5, sizeof o);
    qs_options_init(&o);
    CHECK_EQ(o.size, sizeof o);
    CHECK_EQ(o.map_size, 64ull << 30);
    CHECK_EQ(o.max_readers, 126);
    CHECK_EQ(o.durability, QS_SYNC_DURABLE);
    CHECK_EQ(o.sync_interval_ms, 1000);
    CHECK_EQ(o.bucket_period, QS_PERIOD_MONTH);
    CHECK_EQ(o.read_only, 0);
}

TEST(open_rejects_bad_arguments)
{
    qs_env *env = (qs_env *)&env;
    char missing[4200];

    CHECK_RC(qs_env_open(NULL, NULL, &env), QS_INVALID);
    CHECK_RC(qs_env_open(check_tmpdir(), NULL, NULL), QS_INVALID);

    snprintf(missing, sizeof missing, "%s/no/such/dir", check_tmpdir());
    env = (qs_env *)&env;
    CHECK_RC(qs_env_open(missing, NULL, &env), ENOENT);
    CHECK(env == NULL);
}

TEST(close_and_abort_accept_null)
{
    qs_env_close(NULL);
    qs_txn_abort(NULL);
}

TEST(begin_rejects_bad_arguments)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn = NULL;
    CHECK_RC(qs_txn_begin(NULL, 0, &txn), QS_INVALID);
    CHECK_RC(qs_txn_begin(env, 0, NULL), QS_INVALID);
    CHECK_RC(qs_txn_begin(env, QS_TXN_RDONLY, NULL), QS_INVALID);
    qs_env_close(env);
}

TEST(reopen_keeps_data)
{
    const char *dir = check_tmpdir();
    qs_env *env = fx_open(dir, NULL);
    fx_bank b;
    fx_aggregates before, after;
    qs_txn *txn;
    qs_question q = {.size = sizeof q};
    uint64_t id = 0;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[0], 0, FX_T0 - FX_DAY_MS);
    fx_answer(txn, b.tests[0], b.questions[1], 0, FX_T0 - 2 * FX_DAY_MS);
    fx_commit(txn);
    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &before);
    qs_txn_abort(txn);
    qs_env_close(env);

    env = fx_open(dir, NULL);
    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&before, &after));
    CHECK_EQ(after.dash.summary.answered, 2);
    CHECK_RC(qs_resolve(txn, QS_QUESTION, "q-3", &id), 0);
    CHECK_EQ(id, b.questions[3]);
    CHECK_RC(qs_question_get(txn, b.questions[3], &q), 0);
    CHECK_STR(q.ext_id, "q-3");
    CHECK_EQ(q.options[2].len, strlen("charlie"));
    CHECK(memcmp(q.options[2].ptr, "charlie", 7) == 0);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(periodic_durability_keeps_commits)
{
    const char *dir = check_tmpdir();
    qs_options o = {.size = sizeof o};
    qs_env *env;
    qs_txn *txn;
    uint64_t id = 0;

    o = fx_options();
    o.durability = QS_SYNC_PERIODIC;
    o.sync_interval_ms = 20;
    env = fx_open(dir, &o);
    txn = fx_write(env);
    fx_user(txn, "periodic-user", FX_T0);
    fx_commit(txn);
    CHECK_RC(qs_env_sync(env), 0);
    CHECK_RC(qs_env_checkpoint(env), 0);
    usleep(50 * 1000);
    qs_env_close(env);

    env = fx_open(dir, NULL);
    txn = fx_read(env);
    CHECK_RC(qs_resolve(txn, QS_USER, "periodic-user", &id), 0);
    qs_txn_abort(txn);
    CHECK_RC(qs_env_sync(env), 0);
    qs_env_close(env);
}

TEST(read_only_env_refuses_writers)
{
    const char *dir = check_tmpdir();
    qs_options o = {.size = sizeof o};
    qs_env *env = fx_open(dir, NULL);
    fx_bank b;
    qs_txn *txn = NULL;
    qs_user u = {.size = sizeof u};

    fx_bank_build(env, &b);
    qs_env_close(env);

    o = fx_options();
    o.read_only = 1;
    env = fx_open(dir, &o);
    CHECK_RC(qs_txn_begin(env, 0, &txn), QS_READONLY);
    CHECK_RC(qs_env_checkpoint(env), QS_READONLY);
    txn = fx_read(env);
    CHECK_RC(qs_user_get(txn, b.users[1], &u), 0);
    CHECK_STR(u.ext_id, "user-1");
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ---- database statistics and bucket periods -------------------------------- */

static size_t db_count(qs_env *env)
{
    qs_txn *txn = fx_read(env);
    qs_db_stat row;
    size_t n = 0;
    CHECK_RC(qs_db_stats(txn, &row, 1, &n), 0);
    qs_txn_abort(txn);
    return n;
}

TEST(db_stats_sorted_and_cut_like_snprintf)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_db_stat rows[256], one[2];
    size_t n = 0, n1 = 0;
    uint64_t entries = 0;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[0], 0, FX_T0);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_db_stats(NULL, rows, 256, &n), QS_INVALID);
    CHECK_RC(qs_db_stats(txn, rows, 256, NULL), QS_INVALID);
    CHECK_RC(qs_db_stats(txn, rows, 256, &n), 0);
    CHECK(n > 1 && n <= 256);
    for (size_t i = 0; i < n; i++) {
        CHECK(memchr(rows[i].name, '\0', sizeof rows[i].name) != NULL);
        CHECK(rows[i].name[0] != '\0');
        CHECK(rows[i].depth <= 16);
        entries += rows[i].entries;
        if (i > 0)
            CHECK_MSG(strcmp(rows[i - 1].name, rows[i].name) < 0, "'%s' before '%s'",
                      rows[i - 1].name, rows[i].name);
    }
    CHECK(entries >= FX_BANK_QUESTIONS);

    memset(one, 0x5a, sizeof one);
    CHECK_RC(qs_db_stats(txn, one, 1, &n1), 0);
    CHECK_EQ(n1, n);
    CHECK_STR(one[0].name, rows[0].name);
    CHECK_EQ((unsigned char)one[1].name[0], 0x5a);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* Answers on five days of one month, in a store whose buckets are @p period. */
static void answer_five_days(qs_env *env, fx_bank *b, int64_t first_day_ms)
{
    qs_txn *txn = fx_write(env);
    for (unsigned d = 0; d < 5; d++)
        fx_answer(txn, b->tests[0], b->questions[d], 0, first_day_ms + d * FX_DAY_MS);
    fx_commit(txn);
}

TEST(bucket_period_is_fixed_at_creation)
{
    const char *dir_month = check_tmpdir(), *dir_day = check_tmpdir();
    const int64_t jan5 = FX_T0 + 4 * FX_DAY_MS; /* a Monday */
    qs_options o = {.size = sizeof o};
    qs_env *month, *day;
    fx_bank bm, bd;
    size_t n_month, n_day, n_day_before;
    qs_txn *txn;

    month = fx_open(dir_month, NULL);
    o = fx_options();
    o.bucket_period = QS_PERIOD_DAY;
    day = fx_open(dir_day, &o);
    fx_bank_build(month, &bm);
    fx_bank_build(day, &bd);
    answer_five_days(month, &bm, jan5);
    answer_five_days(day, &bd, jan5);
    n_month = db_count(month);
    n_day = db_count(day);
    CHECK_MSG(n_day >= n_month + 4, "day buckets: %zu databases, month buckets: %zu", n_day,
              n_month);
    qs_env_close(month);
    qs_env_close(day);

    /* Reopening with another period keeps the stored one. */
    o = fx_options();
    o.bucket_period = QS_PERIOD_MONTH;
    day = fx_open(dir_day, &o);
    n_day_before = db_count(day);
    txn = fx_write(day);
    fx_answer(txn, bd.tests[0], bd.questions[7], 0, jan5 + 9 * FX_DAY_MS);
    fx_commit(txn);
    CHECK_MSG(db_count(day) > n_day_before, "a new day made no new bucket after reopen");
    qs_env_close(day);
}

/* ---- a full map ------------------------------------------------------------- */

/* Incompressible text of @p len bytes. */
static char *noise_text(size_t len)
{
    char *s = malloc(len);
    CHECK(s != NULL);
    for (size_t i = 0; i < len; i++)
        s[i] = (char)(' ' + check_below(95));
    return s;
}

TEST(map_full_leaves_store_consistent)
{
    const char *dir = check_tmpdir();
    const size_t big = 48 * 1024;
    qs_options o = {.size = sizeof o};
    qs_env *env;
    fx_bank b;
    fx_aggregates base, now;
    qs_txn *txn;
    qs_question q = {.size = sizeof q};
    char *text = noise_text(big);
    char ext[32];
    int rc = 0, puts = 0;
    uint64_t id;

    o = fx_options();
    o.map_size = 2u << 20;
    env = fx_open(dir, &o);
    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[0], 0, FX_T0 - FX_DAY_MS);
    fx_commit(txn);
    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &base);
    qs_txn_abort(txn);

    /* Fill one transaction with large questions until the map is full. */
    txn = fx_write(env);
    for (puts = 0; puts < 1000; puts++) {
        snprintf(ext, sizeof ext, "big-%d", puts);
        fx_question_init(&q, ext, b.subject, b.systems[0], b.topics[0], 2, 4, 1);
        q.stem.ptr = text;
        q.stem.len = big;
        if ((rc = qs_question_put(txn, &q, NULL)) != 0)
            break;
    }
    CHECK_RC(rc, QS_MAP_FULL);
    CHECK_MSG(puts > 0, "the map was full before the first large question");
    /* The engine may keep the transaction usable (the failed call changed nothing) or
     * declare it failed; a failed one answers QS_BAD_TXN and is only aborted. */
    fx_question_init(&q, "small-after-full", b.subject, b.systems[0], b.topics[0], 2, 4, 1);
    rc = qs_question_put(txn, &q, NULL);
    CHECK_MSG(rc == QS_BAD_TXN || rc == 0 || rc == QS_MAP_FULL,
              "put after QS_MAP_FULL returned %d (%s)", rc, qs_strerror(rc));
    if (rc == QS_BAD_TXN) {
        /* A failed transaction cannot commit; the handle is gone either way. */
        CHECK_RC(qs_txn_commit(txn), QS_BAD_TXN);
    } else {
        qs_txn_abort(txn);
    }
    free(text);

    /* Readable and unchanged. */
    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &now);
    CHECK(fx_aggregates_equal(&base, &now));
    CHECK_RC(qs_resolve(txn, QS_QUESTION, "big-0", &id), QS_NOTFOUND);
    CHECK_RC(qs_resolve(txn, QS_QUESTION, "q-11", &id), 0);
    qs_txn_abort(txn);

    /* A commit of nothing, then a small write. */
    txn = fx_write(env);
    fx_commit(txn);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[1], 1, FX_T0 - FX_DAY_MS + 1000);
    fx_commit(txn);
    qs_env_close(env);

    env = fx_open(dir, &o);
    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[1], b.tests[0], FX_T0, &now);
    CHECK_EQ(now.dash.summary.answered, base.dash.summary.answered + 1);
    CHECK_EQ(now.qstats.attempts, 1);
    CHECK_EQ(now.qstats.correct, 1);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ---- stale reader slots ------------------------------------------------------ */

/* Read transactions held open, each on its own thread (a reader slot apiece whether or
 * not slots are bound to threads), until released. */
typedef struct reader_pool {
    qs_env *env;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int started, release;
    int last_rc;
    pthread_t threads[512];
    int n;
} reader_pool;

static void *hold_reader(void *arg)
{
    reader_pool *p = arg;
    qs_txn *txn = NULL;
    int rc = qs_txn_begin(p->env, QS_TXN_RDONLY, &txn);
    pthread_mutex_lock(&p->lock);
    p->last_rc = rc;
    p->started++;
    pthread_cond_broadcast(&p->cond);
    while (!p->release)
        pthread_cond_wait(&p->cond, &p->lock);
    pthread_mutex_unlock(&p->lock);
    if (rc == 0)
        qs_txn_abort(txn);
    return NULL;
}

/* Begin readers until one fails; returns how many succeeded, p->last_rc the failure. */
static int pool_fill(reader_pool *p, qs_env *env)
{
    pthread_attr_t attr;
    int ok = 0;
    memset(p, 0, sizeof *p);
    p->env = env;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    while (p->n < 512) {
        if (pthread_create(&p->threads[p->n], &attr, hold_reader, p) != 0)
            break;
        p->n++;
        pthread_mutex_lock(&p->lock);
        while (p->started < p->n)
            pthread_cond_wait(&p->cond, &p->lock);
        pthread_mutex_unlock(&p->lock);
        if (p->last_rc != 0)
            break;
        ok++;
    }
    pthread_attr_destroy(&attr);
    return ok;
}

static void pool_release(reader_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->release = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
}

/* The parent's end of the pipe that keeps the keeper alive; the keeper closes its copy. */
static int keeper_hold_write_fd = -1;

/* Child: keep the store open until the parent closes the pipe. */
static void keeper_main(const char *dir, int ready_fd, int hold_fd)
{
    qs_env *env = NULL;
    char c = 'k';
    close(keeper_hold_write_fd);
    qs_options o = fx_options();
    if (qs_env_open(dir, &o, &env) != 0)
        _exit(3);
    if (write(ready_fd, &c, 1) != 1)
        _exit(4);
    while (read(hold_fd, &c, 1) > 0)
        ;
    qs_env_close(env);
    _exit(0);
}

/* Child: take every free reader slot, report how many, and die holding them. */
static void stale_reader_main(const char *dir, int report_fd)
{
    static reader_pool pool;
    qs_env *env = NULL;
    int got;
    qs_options o = fx_options();
    if (qs_env_open(dir, &o, &env) != 0)
        _exit(3);
    got = pool_fill(&pool, env);
    if (pool.last_rc != QS_READERS_FULL)
        got = -1000 + pool.last_rc % 1000;
    if (write(report_fd, &got, sizeof got) != (ssize_t)sizeof got)
        _exit(4);
    _exit(0);
}

static pid_t spawn(void (*child)(const char *, int, int), const char *dir, int a, int b)
{
    pid_t pid;
    fflush(stdout);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        child(dir, a, b);
    return pid;
}

static void stale_reader_trampoline(const char *dir, int report_fd, int unused)
{
    (void)unused;
    stale_reader_main(dir, report_fd);
}

static int wait_exit_code(pid_t pid)
{
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status), "child %d ended by signal %d", (int)pid,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return WEXITSTATUS(status);
}

TEST(stale_readers_cleared_on_open)
{
    const char *dir = check_tmpdir();
    qs_env *env = fx_open(dir, NULL);
    fx_bank b;
    int ready[2], hold[2], report[2];
    pid_t keeper, stale;
    int child_slots = 0, parent_slots;
    char c;
    static reader_pool pool;
    qs_txn *txn;
    qs_user u = {.size = sizeof u};

    fx_bank_build(env, &b);
    qs_env_close(env);
    CHECK(pipe(ready) == 0 && pipe(hold) == 0 && pipe(report) == 0);

    /* A live process keeps the lock file in use, so the slots survive the crash. */
    keeper_hold_write_fd = hold[1];
    keeper = spawn(keeper_main, dir, ready[1], hold[0]);
    close(hold[0]);
    CHECK(read(ready[0], &c, 1) == 1);

    stale = spawn(stale_reader_trampoline, dir, report[1], -1);
    CHECK_EQ(wait_exit_code(stale), 0);
    CHECK(read(report[0], &child_slots, sizeof child_slots) == (ssize_t)sizeof child_slots);
    CHECK_MSG(child_slots > 0, "the crashing reader got %d slots", child_slots);

    env = fx_open(dir, NULL);
    parent_slots = pool_fill(&pool, env);
    pool_release(&pool);
    CHECK_MSG(parent_slots >= child_slots,
              "after reopen %d readers fit (last rc %d), the dead process held %d",
              parent_slots, pool.last_rc, child_slots);
    txn = fx_read(env);
    CHECK_RC(qs_user_get(txn, b.users[0], &u), 0);
    qs_txn_abort(txn);
    txn = fx_write(env);
    fx_user(txn, "after-stale", FX_T0);
    fx_commit(txn);
    qs_env_close(env);

    close(hold[1]);
    CHECK_EQ(wait_exit_code(keeper), 0);
    close(ready[0]);
    close(ready[1]);
    close(report[0]);
    close(report[1]);
}

/* Child: open the store, wait for the go, record an answer in a month no bucket holds
 * yet (a new bucket), commit, and say so on @p ready_fd (not by its exit status, which
 * a memory checker may change). */
static void new_bucket_main(const char *dir, const fx_bank *b, int ready_fd, int go_fd)
{
    qs_env *env;
    qs_txn *txn;
    qs_answer a;
    char c = 'r';
    qs_options o = fx_options();
    o.max_readers = 4;
    if (qs_env_open(dir, &o, &env) != 0 || write(ready_fd, &c, 1) != 1 ||
        read(go_fd, &c, 1) != 1)
        _exit(3);
    fx_answer_init(&a, b->tests[0], b->questions[0], QS_ANSWERED, QS_GRADE, 0,
                   FX_T0 - 200 * FX_DAY_MS);
    if (qs_txn_begin(env, 0, &txn) || qs_answer_submit(txn, &a, NULL) || qs_txn_commit(txn))
        _exit(4);
    qs_env_close(env);
    c = 'c';
    _exit(write(ready_fd, &c, 1) == 1 ? 0 : 5);
}

TEST(writer_catches_up_without_a_reader_slot)
{
    const char *dir = check_tmpdir();
    qs_options o = fx_options();
    o.max_readers = 4;
    qs_env *env = fx_open(dir, &o);
    fx_bank b;
    fx_bank_build(env, &b);
    int go[2], ready[2];
    char c;
    CHECK_RC(pipe(go), 0);
    CHECK_RC(pipe(ready), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(go[1]);
        close(ready[0]);
        new_bucket_main(dir, &b, ready[1], go[0]);
    }
    close(go[0]);
    close(ready[1]);
    CHECK_EQ(read(ready[0], &c, 1), 1);   /* the child has opened the store */
    /* every reader slot taken by this process, then another process adds a bucket */
    qs_txn *readers[4];
    for (int i = 0; i < 4; i++)
        readers[i] = fx_read(env);
    qs_txn *extra = NULL;
    CHECK_RC(qs_txn_begin(env, QS_TXN_RDONLY, &extra), QS_READERS_FULL);
    CHECK_EQ(write(go[1], "g", 1), 1);
    close(go[1]);
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_MSG(read(ready[0], &c, 1) == 1 && c == 'c', "the child did not commit");
    close(ready[0]);
    /* a writer opens the new bucket's handle in its own transaction and uses it */
    qs_txn *txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[1], 0, FX_T0 - 200 * FX_DAY_MS + 1000);
    fx_commit(txn);
    for (int i = 0; i < 4; i++)
        qs_txn_abort(readers[i]);
    txn = fx_read(env);
    CHECK_EQ(fx_answers_in(txn, FX_T0 - 201 * FX_DAY_MS, FX_T0 - 199 * FX_DAY_MS), 2u);
    qs_txn_abort(txn);
    fx_check_clean(env);
    qs_env_close(env);
}

/* ---- pages freed between checkpoints ------------------------------------ */

static off_t data_file_size(const char *dir)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    CHECK(stat(path, &st) == 0);
    return st.st_size;
}

/* @p n commits of one interaction each, by users taken in turn. */
static void log_interactions(qs_env *env, const uint32_t *users, unsigned n_users,
                             unsigned n, int64_t *at)
{
    static const char payload[200];
    for (unsigned i = 0; i < n; i++) {
        qs_interaction ix = {.user = users[i % n_users], .action = 1,
                             .created_at = (*at)++, .payload = payload,
                             .payload_len = sizeof payload};
        qs_txn *txn = fx_write(env);
        CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
        fx_commit(txn);
    }
}

/* LMDB reuses a page freed after a checkpoint only after the next one, and the
 * checkpoints come at a count of such pages (here a sixteenth of the 64 MiB map):
 * once the first few have come, the file stops growing by the pages the commits
 * rewrite (about 100 MiB here), and grows only by what they add. */
TEST(freed_pages_bound_the_file)
{
    const char *dir = check_tmpdir();
    const off_t limit = (64 << 20) / 16;
    uint32_t users[64];
    int64_t at = FX_T0;
    qs_options o = fx_options();
    o.map_size = 64 << 20;
    o.durability = QS_SYNC_PERIODIC;
    qs_env *env = fx_open(dir, &o);
    qs_txn *txn = fx_write(env);
    for (unsigned u = 0; u < 64; u++) {
        char ext[16];
        snprintf(ext, sizeof ext, "u%u", u);
        users[u] = fx_user(txn, ext, FX_T0);
    }
    fx_commit(txn);
    log_interactions(env, users, 64, 500, &at);
    off_t settled = data_file_size(dir);
    log_interactions(env, users, 64, 2500, &at);
    off_t after = data_file_size(dir);
    CHECK(after - settled <= 2 * limit);
    fx_check_clean(env);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(version_matches_macros),
        CASE(strerror_names_every_code),
        CASE(errmsg_is_per_thread_and_describes_failures),
        CASE(options_defaults),
        CASE(open_rejects_bad_arguments),
        CASE(close_and_abort_accept_null),
        CASE(begin_rejects_bad_arguments),
        CASE(reopen_keeps_data),
        CASE(periodic_durability_keeps_commits),
        CASE(read_only_env_refuses_writers),
        CASE(db_stats_sorted_and_cut_like_snprintf),
        CASE(bucket_period_is_fixed_at_creation),
        CASE(map_full_leaves_store_consistent),
        CASE(stale_readers_cleared_on_open),
        CASE(writer_catches_up_without_a_reader_slot),
        CASE(freed_pages_bound_the_file),
    };
    signal(SIGPIPE, SIG_IGN);
    return check_main(argc, argv, cases, NCASES(cases));
}
