/* Tests the store at its limits: a full map, a file that cannot grow, a full reader
 * table, inputs over every size limit, and NULL or out-of-range arguments to every
 * call: each fails with a clear error, writes nothing, and loses nothing committed. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

/* ================================================================== shared helpers */

/* A failure's detail names it. */
static void check_errmsg(void)
{
    CHECK_MSG(qs_errmsg()[0] != '\0', "a failure left qs_errmsg() empty");
}

/* ---- answers written until something gives ----------------------------------- */

#define FILL_QUESTIONS 40
#define FILL_MAX_ANSWERS 200000
#define FILL_BATCH 40

typedef struct fill_answer {
    uint64_t test;
    uint32_t question;
    int64_t at;
} fill_answer;

/* A store being filled: FILL_QUESTIONS questions, two users, a new open test whenever
 * a user's is full; every answer committed is in answers[]. */
typedef struct fill {
    fx_bank b;
    uint32_t questions[FILL_QUESTIONS];
    uint64_t test[2];
    unsigned test_fill[2];
    unsigned tests_made;
    size_t n_answers;          /* committed */
    size_t n_pending;          /* written in the open transaction */
    fill_answer *answers;      /* FILL_MAX_ANSWERS, in memory shared with children */
} fill;

static void fill_build(qs_env *env, fill *f)
{
    char ext[32];
    memset(f, 0, sizeof *f);
    f->answers = mmap(NULL, FILL_MAX_ANSWERS * sizeof *f->answers, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(f->answers != MAP_FAILED);
    fx_bank_build(env, &f->b);
    qs_txn *txn = fx_write(env);
    for (unsigned q = 0; q < FILL_QUESTIONS; q++) {
        snprintf(ext, sizeof ext, "fq-%u", q);
        f->questions[q] = fx_question(txn, ext, f->b.subject, f->b.systems[0], f->b.topics[0],
                                      2, (uint8_t)(q % 4));
    }
    fx_commit(txn);
    f->test_fill[0] = f->test_fill[1] = FILL_QUESTIONS;
}

/* Write one more answer (and a new test when needed) in @p txn; the rc of the first
 * call that failed. Usable in a child process: no CHECK. */
static int fill_one(qs_txn *txn, fill *f)
{
    unsigned u = (unsigned)((f->n_answers + f->n_pending) % 2);
    int rc;
    if (f->n_answers + f->n_pending == FILL_MAX_ANSWERS)
        return ENOMEM;
    if (f->test_fill[u] == FILL_QUESTIONS) {
        qs_test t = {.size = sizeof t};
        char ext[32];
        snprintf(ext, sizeof ext, "ft-%u", f->tests_made++);
        fx_test_init(&t, ext, f->b.users[u], 1, NULL, 0, FX_T0 - 90 * FX_DAY_MS);
        if ((rc = qs_test_put(txn, &t, &f->test[u])) != 0)
            return rc;
        f->test_fill[u] = 0;
    }
    size_t i = f->n_answers + f->n_pending;
    fill_answer *a = &f->answers[i];
    qs_answer in;
    unsigned q = f->test_fill[u];
    a->test = f->test[u];
    a->question = f->questions[q];
    a->at = FX_T0 - 80 * FX_DAY_MS + (int64_t)i * 60000;
    fx_answer_init(&in, a->test, a->question, QS_ANSWERED, QS_GRADE, (int8_t)(i % 3), a->at);
    if ((rc = qs_answer_submit(txn, &in, NULL)) != 0)
        return rc;
    f->test_fill[u]++;
    f->n_pending++;
    return 0;
}

/* A transaction of @p size answers; the rc of the failing call or commit. When a
 * call failed, its transaction is left in @p open_txn for the caller to end. */
static int fill_batch(qs_env *env, fill *f, unsigned size, qs_txn **open_txn)
{
    qs_txn *txn;
    int rc = qs_txn_begin(env, 0, &txn);
    *open_txn = NULL;
    if (rc)
        return rc;
    f->n_pending = 0;
    unsigned saved_fill[2] = {f->test_fill[0], f->test_fill[1]};
    uint64_t saved_test[2] = {f->test[0], f->test[1]};
    unsigned saved_made = f->tests_made;
    for (unsigned i = 0; i < size && rc == 0; i++)
        rc = fill_one(txn, f);
    if (rc == 0)
        rc = qs_txn_commit(txn);
    else
        *open_txn = txn;
    if (rc == 0) {
        f->n_answers += f->n_pending;
    } else {
        /* nothing of the batch is kept: the tests it made are gone too */
        f->test_fill[0] = saved_fill[0];
        f->test_fill[1] = saved_fill[1];
        f->test[0] = saved_test[0];
        f->test[1] = saved_test[1];
        f->tests_made = saved_made;
    }
    f->n_pending = 0;
    return rc;
}

/* Every committed answer is there, nothing else, and the summaries add up. */
static void fill_verify(qs_env *env, const fill *f)
{
    qs_txn *txn = fx_read(env);
    CHECK_EQ(fx_answers_in(txn, INT64_MIN, INT64_MAX), f->n_answers);
    for (size_t i = 0; i < f->n_answers; i++) {
        qs_answer a;
        CHECK_RC(qs_answer_get(txn, f->answers[i].test, f->answers[i].question, &a), 0);
        CHECK_EQ(a.created_at, f->answers[i].at);
    }
    uint32_t answered = 0;
    for (int u = 0; u < 2; u++) {
        qs_dashboard d = {.size = sizeof d};
        CHECK_RC(qs_dashboard_get(txn, f->b.users[u], FX_T0, &d), 0);
        answered += d.summary.answered;
    }
    CHECK_EQ(answered, f->n_answers);
    qs_txn_abort(txn);
    fx_check_clean(env);
}

/* ================================================================== (a) a full map */

/* A call failed while writing: the transaction can only be aborted, and a commit
 * ends it too. */
static void check_failed_txn(qs_txn *txn)
{
    qs_user u = {.size = sizeof u};
    memset(&u, 0, sizeof u);
    snprintf(u.ext_id, sizeof u.ext_id, "after-a-failed-call");
    CHECK_RC(qs_user_put(txn, &u, NULL), QS_BAD_TXN);
    check_errmsg();
    CHECK_RC(qs_txn_commit(txn), QS_BAD_TXN);
}

TEST(full_map_keeps_commits_and_grows_on_reopen)
{
    static fill f;
    const char *dir = check_tmpdir();
    qs_options o = {.size = sizeof o};
    qs_txn *open_txn;
    int rc;
    o = fx_options();
    o.map_size = 2u << 20;
    qs_env *env = fx_open(dir, &o);
    fill_build(env, &f);
    while ((rc = fill_batch(env, &f, FILL_BATCH, &open_txn)) == 0)
        ;
    CHECK_RC(rc, QS_MAP_FULL);
    check_errmsg();
    CHECK_MSG(f.n_answers > 1000, "only %zu answers fit in 2 MiB", f.n_answers);
    if (open_txn)
        check_failed_txn(open_txn);
    fill_verify(env, &f);
    /* A large batch in the full map fails in one of its calls. */
    CHECK_RC(fill_batch(env, &f, 2000, &open_txn), QS_MAP_FULL);
    check_errmsg();
    CHECK_MSG(open_txn != NULL, "2000 answers fit in a full map");
    check_failed_txn(open_txn);
    fill_verify(env, &f);
    qs_env_close(env);

    /* The same store with room to grow takes the next answers. */
    o.map_size = 16u << 20;
    env = fx_open(dir, &o);
    fill_verify(env, &f);
    for (int i = 0; i < 3; i++)
        CHECK_RC(fill_batch(env, &f, FILL_BATCH, &open_txn), 0);
    fill_verify(env, &f);
    qs_env_close(env);
    munmap(f.answers, FILL_MAX_ANSWERS * sizeof *f.answers);
}

/* ================================================================== (b) a full disk */

/* What the child that could not grow the file saw. */
typedef struct disk_report {
    int rc;                    /* the failure */
    int in_commit;             /* 1: qs_txn_commit failed; 0: a call did */
    int after_call_rc;         /* a failed call's transaction: a later call's rc */
    int reread_rc;             /* reading the committed answers back in the same process */
    size_t n_answers;          /* committed before the failure */
    char errmsg[256];
} disk_report;

static void disk_child(const char *dir, fill *f, disk_report *r, off_t limit)
{
    struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
    qs_env *env;
    qs_txn *open_txn, *txn = NULL;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        _exit(5);
    qs_options o = fx_options();
    if ((r->rc = qs_env_open(dir, &o, &env)) != 0) {
        snprintf(r->errmsg, sizeof r->errmsg, "open: %s", qs_errmsg());
        _exit(6);
    }
    while ((r->rc = fill_batch(env, f, FILL_BATCH, &open_txn)) == 0)
        ;
    snprintf(r->errmsg, sizeof r->errmsg, "%s", qs_errmsg());
    r->n_answers = f->n_answers;
    r->in_commit = open_txn == NULL;
    if (open_txn) {
        qs_user u = {.size = sizeof u};
        memset(&u, 0, sizeof u);
        r->after_call_rc = qs_user_put(open_txn, &u, NULL);
        qs_txn_abort(open_txn);
    }
    /* What was committed reads back in this process too. */
    r->reread_rc = qs_txn_begin(env, QS_TXN_RDONLY, &txn);
    for (size_t i = 0; i < f->n_answers && r->reread_rc == 0; i++) {
        qs_answer a;
        r->reread_rc = qs_answer_get(txn, f->answers[i].test, f->answers[i].question, &a);
    }
    if (txn)
        qs_txn_abort(txn);
    qs_env_close(env);
    _exit(0);
}

static off_t file_size(const char *dir, const char *name)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK_RC(stat(path, &st), 0);
    return st.st_size;
}

/* A store of 200 answers; a child that may not grow its files more than @p extra
 * bytes fills it until a commit fails; the store, reopened without the limit, holds
 * exactly what the child committed and takes more. Returns the child's report. */
static disk_report fill_past_file_limit(off_t extra)
{
    static fill f;
    const char *dir = check_tmpdir();
    disk_report *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                          -1, 0);
    CHECK(r != MAP_FAILED);
    memset(r, 0, sizeof *r);
    qs_env *env = fx_open(dir, NULL);
    fill_build(env, &f);
    for (int i = 0; i < 5; i++) {
        qs_txn *open_txn;
        CHECK_RC(fill_batch(env, &f, FILL_BATCH, &open_txn), 0);
    }
    qs_env_close(env);

    off_t limit = file_size(dir, "data.mdb") + extra;
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        disk_child(dir, &f, r, limit);
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the writer that hit the file size limit ended with status 0x%x (%s)", status,
              r->errmsg);
    CHECK_MSG(r->rc != 0 && r->errmsg[0] != '\0', "no detail for %d (%s)", r->rc,
              qs_strerror(r->rc));
    CHECK_MSG(r->n_answers > f.n_answers, "nothing was committed before the limit");
    if (!r->in_commit)
        CHECK_RC(r->after_call_rc, QS_BAD_TXN);
    CHECK_RC(r->reread_rc, 0);

    /* The child's answers are in the shared array. */
    env = fx_open(dir, NULL);
    f.n_answers = r->n_answers;
    fill_verify(env, &f);
    qs_txn *txn = fx_write(env);
    uint32_t user = fx_user(txn, "after-the-limit", FX_T0);
    uint64_t test = fx_test(txn, "after-the-limit", user, 1, NULL, 0, FX_T0 - FX_DAY_MS);
    fx_answer(txn, test, f.questions[0], 1, FX_T0 - 1000);
    fx_commit(txn);
    fx_check_clean(env);
    qs_env_close(env);
    disk_report out = *r;
    munmap(r, sizeof *r);
    munmap(f.answers, FILL_MAX_ANSWERS * sizeof *f.answers);
    return out;
}

/* Disk full, or a file that may not grow, is named as such: ENOSPC (what the header
 * promises), EFBIG (the file size limit) or QS_MAP_FULL; not a generic I/O error. */
static int disk_full_code(int rc)
{
    return rc == ENOSPC || rc == EFBIG || rc == QS_MAP_FULL;
}

TEST(full_disk_fails_cleanly_and_recovers)
{
    /* The limit on a page boundary, and within a page: a write of several pages
     * then stops part way. */
    disk_report aligned = fill_past_file_limit(256 << 10);
    disk_report unaligned = fill_past_file_limit((256 << 10) + 100);
    CHECK_MSG(disk_full_code(aligned.rc), "limit on a page boundary: %d (%s): \"%s\"",
              aligned.rc, qs_strerror(aligned.rc), aligned.errmsg);
    CHECK_MSG(disk_full_code(unaligned.rc), "limit within a page: %d (%s): \"%s\"",
              unaligned.rc, qs_strerror(unaligned.rc), unaligned.errmsg);
}

/* ================================================================== (c) reader table */

TEST(full_reader_table_is_a_clear_error)
{
    const char *dir = check_tmpdir();
    qs_options o = {.size = sizeof o};
    fx_bank b;
    qs_txn *readers[4], *extra = NULL;
    qs_user u = {.size = sizeof u};
    o = fx_options();
    o.max_readers = 4;
    qs_env *env = fx_open(dir, &o);
    fx_bank_build(env, &b);

    /* Read transactions are not bound to threads: one thread holds them all. */
    for (int i = 0; i < 4; i++)
        readers[i] = fx_read(env);
    CHECK_RC(qs_txn_begin(env, QS_TXN_RDONLY, &extra), QS_READERS_FULL);
    CHECK(extra == NULL);
    check_errmsg();
    CHECK(strcmp(qs_strerror(QS_READERS_FULL), "unknown error") != 0);

    /* A writer needs no reader slot. */
    qs_txn *txn = fx_write(env);
    uint32_t user = fx_user(txn, "while-full", FX_T0);
    fx_commit(txn);

    /* A reset transaction keeps its slot for its renewal. */
    qs_txn_reset(readers[3]);
    CHECK_RC(qs_txn_renew(readers[3]), 0);
    CHECK_RC(qs_user_get(readers[3], user, &u), 0);

    qs_txn_abort(readers[0]);
    readers[0] = fx_read(env);
    CHECK_RC(qs_user_get(readers[0], user, &u), 0);
    CHECK_RC(qs_user_get(readers[1], user, &u), QS_NOTFOUND);   /* the older snapshot */
    CHECK_RC(qs_txn_begin(env, QS_TXN_RDONLY, &extra), QS_READERS_FULL);
    for (int i = 0; i < 4; i++)
        qs_txn_abort(readers[i]);
    qs_env_close(env);
}

/* ================================================================== bucket limit */

#define DAYS_PER_TXN 50

/* Answers on day after day before FX_T0, @p per_txn days a transaction, each day a
 * new bucket, until a call fails; returns its rc, the transaction ended. */
static int answer_daily_until_refused(qs_env *env, const fill *f, uint64_t *tests,
                                      unsigned per_txn, unsigned *days)
{
    for (;;) {
        qs_txn *txn = fx_write(env);
        int rc = 0;
        unsigned day = *days;
        for (unsigned i = 0; i < per_txn && rc == 0; i++, day++) {
            qs_answer a;
            fx_answer_init(&a, tests[day / FILL_QUESTIONS], f->questions[day % FILL_QUESTIONS],
                           QS_ANSWERED, QS_GRADE, 1, FX_T0 - (int64_t)(day + 1) * FX_DAY_MS);
            rc = qs_answer_submit(txn, &a, NULL);
        }
        if (rc != 0) {
            check_errmsg();
            CHECK_MSG(strstr(qs_errmsg(), "ans@") != NULL, "\"%s\" names no bucket",
                      qs_errmsg());
            check_failed_txn(txn);
            return rc;
        }
        fx_commit(txn);
        *days = day;
    }
}

/* With daily buckets, the store runs out of databases after about 4000 days: a new
 * bucket is then refused, clearly, and the buckets already there still take rows. */
TEST(bucket_limit_is_a_clear_error)
{
    static fill f;
    static uint64_t tests[5000 / FILL_QUESTIONS + 1];
    const char *dir = check_tmpdir();
    qs_options o = {.size = sizeof o};
    o = fx_options();
    o.bucket_period = QS_PERIOD_DAY;
    o.durability = QS_SYNC_PERIODIC;
    qs_env *env = fx_open(dir, &o);
    fill_build(env, &f);
    qs_txn *txn = fx_write(env);
    for (unsigned t = 0; t < NCASES(tests); t++) {
        char ext[32];
        snprintf(ext, sizeof ext, "daily-%u", t);
        tests[t] = fx_test(txn, ext, f.b.users[0], 1, NULL, 0, FX_T0 - 6000 * FX_DAY_MS);
    }
    fx_commit(txn);

    /* Batches first; the refused batch's buckets go with it, so then day by day. */
    unsigned days = 0;
    CHECK_RC(answer_daily_until_refused(env, &f, tests, DAYS_PER_TXN, &days), QS_DBS_FULL);
    CHECK_RC(answer_daily_until_refused(env, &f, tests, 1, &days), QS_DBS_FULL);
    CHECK_MSG(days > 1000 && days < 5000, "refused after %u daily buckets", days);
    /* Another new bucket is refused the same way; an existing one takes a row. */
    txn = fx_write(env);
    qs_interaction ix = {f.b.users[0], 1, FX_T0 - FX_DAY_MS, "x", 1};
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), QS_DBS_FULL);
    qs_txn_abort(txn);
    txn = fx_write(env);
    fx_answer(txn, f.b.tests[0], f.b.questions[0], 0, FX_T0 - 2 * FX_DAY_MS);
    fx_commit(txn);
    qs_env_close(env);

    /* The store opens with all its buckets, and every answer committed is there. */
    env = fx_open(dir, &o);
    txn = fx_read(env);
    size_t n = 0;
    CHECK_RC(qs_bucket_list(txn, NULL, 0, &n), 0);
    CHECK_EQ(n, days);
    CHECK_EQ(fx_answers_in(txn, INT64_MIN, INT64_MAX), days + 1);
    qs_txn_abort(txn);
    fx_check_clean(env);
    qs_env_close(env);
    munmap(f.answers, FILL_MAX_ANSWERS * sizeof *f.answers);
}

/* ================================================================== (d) oversized inputs */

#define STATS_CAP 64

/* Every database's statistics, to show that a refused call wrote nothing. */
typedef struct db_snapshot {
    size_t n;
    qs_db_stat rows[STATS_CAP];
} db_snapshot;

static void snapshot(qs_txn *txn, db_snapshot *s)
{
    memset(s, 0, sizeof *s);
    CHECK_RC(qs_db_stats(txn, s->rows, STATS_CAP, &s->n), 0);
    CHECK(s->n <= STATS_CAP);
}

static void check_unchanged(qs_txn *txn, const db_snapshot *before, const char *what)
{
    static db_snapshot now;
    snapshot(txn, &now);
    CHECK_MSG(now.n == before->n, "%s: %zu databases, %zu before", what, now.n, before->n);
    for (size_t i = 0; i < now.n; i++) {
        const qs_db_stat *a = &before->rows[i], *b = &now.rows[i];
        CHECK_MSG(strcmp(a->name, b->name) == 0 && a->entries == b->entries &&
                      a->depth == b->depth && a->branch_pages == b->branch_pages &&
                      a->leaf_pages == b->leaf_pages && a->overflow_pages == b->overflow_pages,
                  "%s changed database '%s': %llu entries, %llu before", what, b->name,
                  (unsigned long long)b->entries, (unsigned long long)a->entries);
    }
}

/* A refused call: one of the codes the header gives, a detail, nothing written. */
#define REFUSED(txn, expr, code1, code2)                                                \
    do {                                                                                \
        static db_snapshot before_;                                                     \
        snapshot((txn), &before_);                                                      \
        int refused_rc_ = (expr);                                                       \
        CHECK_MSG(refused_rc_ == (code1) || refused_rc_ == (code2),                     \
                  "%s returned %d (%s); errmsg \"%s\"", #expr, refused_rc_,             \
                  qs_strerror(refused_rc_), qs_errmsg());                               \
        check_errmsg();                                                                 \
        check_unchanged((txn), &before_, #expr);                                        \
    } while (0)

static char *filled_text(size_t len, char c)
{
    char *p = malloc(len + 1);
    CHECK(p != NULL);
    memset(p, c, len);
    p[len] = '\0';
    return p;
}

/* Every text of the question @p len bytes long, the one at @p which (0 stem, 1..8
 * options, 9 explanation) @p big_len. */
static void question_with_texts(qs_question *q, const fx_bank *b, const char *ext,
                                const char *text, size_t len, int which, size_t big_len)
{
    static qs_text options[8];   /* the cases run one at a time */
    fx_question_init(q, ext, b->subject, b->systems[0], b->topics[0], 1, 8, 2);
    q->stem = (qs_text){text, which == 0 ? big_len : len};
    for (int i = 0; i < 8; i++)
        options[i] = (qs_text){text, which == 1 + i ? big_len : len};
    q->options = options;
    q->explanation = (qs_text){text, which == 9 ? big_len : len};
}

static void ext_of_len(char out[QS_EXT_ID_MAX + 1], size_t len, char c)
{
    memset(out, c, len);
    if (len <= QS_EXT_ID_MAX)
        out[len] = '\0';
}

TEST(oversized_texts_and_payloads_write_nothing)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    char *text = filled_text(QS_TEXT_MAX + 1, 't');
    qs_question q = {.size = sizeof q};
    qs_txn *txn = fx_write(env);
    uint32_t early = fx_user(txn, "before-the-refusals", FX_T0);

    for (int which = 0; which < 10; which++) {
        question_with_texts(&q, &b, "too-long", text, 10, which, QS_TEXT_MAX + 1);
        REFUSED(txn, qs_question_put(txn, &q, NULL), QS_TOO_LARGE, QS_TOO_LARGE);
    }
    /* Every text at the limit at once is accepted and reads back whole. */
    uint32_t at_limit;
    question_with_texts(&q, &b, "at-limit", text, QS_TEXT_MAX, -1, 0);
    CHECK_RC(qs_question_put(txn, &q, &at_limit), 0);

    uint8_t payload[QS_PAYLOAD_MAX + 1];
    memset(payload, 'p', sizeof payload);
    qs_interaction ix = {b.users[0], 3, FX_T0 - FX_DAY_MS, payload, QS_PAYLOAD_MAX + 1};
    REFUSED(txn, qs_interaction_log(txn, &ix, NULL), QS_TOO_LARGE, QS_TOO_LARGE);
    ix.payload_len = QS_PAYLOAD_MAX;
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    fx_commit(txn);

    txn = fx_read(env);
    qs_question got = {.size = sizeof got};
    qs_user u = {.size = sizeof u};
    uint64_t id;
    CHECK_RC(qs_user_get(txn, early, &u), 0);
    CHECK_RC(qs_resolve(txn, QS_QUESTION, "too-long", &id), QS_NOTFOUND);
    CHECK_RC(qs_question_get(txn, at_limit, &got), 0);
    CHECK_EQ(got.stem.len, QS_TEXT_MAX);
    CHECK_EQ(got.explanation.len, QS_TEXT_MAX);
    CHECK_EQ(got.n_options, 8);
    for (int i = 0; i < 8; i++)
        CHECK(got.options[i].len == QS_TEXT_MAX &&
              memcmp(got.options[i].ptr, text, QS_TEXT_MAX) == 0);
    qs_interaction_day days[4];
    size_t n;
    int32_t day = (int32_t)((FX_T0 - FX_DAY_MS) / FX_DAY_MS);
    CHECK_RC(qs_interaction_days(txn, b.users[0], day, day, days, 4, &n), 0);
    CHECK_EQ(n, 1u);
    CHECK_EQ(days[0].count, 1u);
    qs_txn_abort(txn);
    free(text);
    fx_check_clean(env);
    qs_env_close(env);
}

TEST(oversized_ids_names_and_lists_write_nothing)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    uint32_t many[QS_TEST_MAX_QUESTIONS + 1];
    char ext[32];
    qs_txn *txn = fx_write(env);
    for (unsigned i = 0; i <= QS_TEST_MAX_QUESTIONS; i++) {
        snprintf(ext, sizeof ext, "many-%u", i);
        many[i] = fx_question(txn, ext, b.subject, b.systems[0], b.topics[0], 1, 0);
    }
    fx_commit(txn);

    txn = fx_write(env);
    /* An external id one byte over the limit fills the array with no terminator. */
    qs_user u = {.size = sizeof u};
    memset(&u, 0, sizeof u);
    ext_of_len(u.ext_id, QS_EXT_ID_MAX + 1, 'u');
    REFUSED(txn, qs_user_put(txn, &u, NULL), QS_INVALID, QS_TOO_LARGE);
    qs_question q = {.size = sizeof q};
    fx_question_init(&q, "", b.subject, 0, 0, 1, 4, 0);
    ext_of_len(q.ext_id, QS_EXT_ID_MAX + 1, 'q');
    REFUSED(txn, qs_question_put(txn, &q, NULL), QS_INVALID, QS_TOO_LARGE);
    static qs_test t;
    fx_test_init(&t, "", b.users[0], 0, many, 3, FX_T0);
    ext_of_len(t.ext_id, QS_EXT_ID_MAX + 1, 't');
    REFUSED(txn, qs_test_put(txn, &t, NULL), QS_INVALID, QS_TOO_LARGE);
    qs_taxon tx = {.size = sizeof tx};
    memset(&tx, 0, sizeof tx);
    snprintf(tx.name, sizeof tx.name, "named");
    ext_of_len(tx.ext_id, QS_EXT_ID_MAX + 1, 's');
    REFUSED(txn, qs_taxon_put(txn, QS_SUBJECT, &tx, NULL), QS_INVALID, QS_TOO_LARGE);
    memset(tx.name, 'n', sizeof tx.name);          /* QS_NAME_MAX + 1, no terminator */
    tx.ext_id[0] = '\0';
    REFUSED(txn, qs_taxon_put(txn, QS_SUBJECT, &tx, NULL), QS_INVALID, QS_TOO_LARGE);
    char long_ext[QS_EXT_ID_MAX + 2];
    memset(long_ext, 'u', sizeof long_ext - 1);
    long_ext[QS_EXT_ID_MAX + 1] = '\0';
    uint64_t id = 0;
    REFUSED(txn, qs_resolve(txn, QS_USER, long_ext, &id), QS_INVALID, QS_NOTFOUND);

    /* A test over QS_TEST_MAX_QUESTIONS, a draw of as many, nine options. */
    fx_test_init(&t, "too-many", b.users[0], 0, many, QS_TEST_MAX_QUESTIONS, FX_T0);
    t.n_questions = QS_TEST_MAX_QUESTIONS + 1;
    REFUSED(txn, qs_test_put(txn, &t, NULL), QS_INVALID, QS_TOO_LARGE);
    qs_draw d = {.size = sizeof d};
    memset(&d, 0, sizeof d);
    d.user = b.users[0];
    d.pattern = QS_DRAW_FILTER;
    d.mode = QS_MODE_TUTOR;
    d.count = QS_TEST_MAX_QUESTIONS + 1;
    d.created_at = FX_T0;
    REFUSED(txn, qs_test_create(txn, &d, &t), QS_INVALID, QS_TOO_LARGE);
    fx_question_init(&q, "nine-options", b.subject, 0, 0, 1, 4, 0);
    q.n_options = QS_MAX_OPTIONS + 1;
    REFUSED(txn, qs_question_put(txn, &q, NULL), QS_INVALID, QS_TOO_LARGE);

    /* The limits themselves are accepted, in the same transaction. */
    ext_of_len(u.ext_id, QS_EXT_ID_MAX, 'u');
    uint32_t user;
    CHECK_RC(qs_user_put(txn, &u, &user), 0);
    memset(tx.name, 'n', QS_NAME_MAX);
    tx.name[QS_NAME_MAX] = '\0';
    CHECK_RC(qs_taxon_put(txn, QS_SUBJECT, &tx, NULL), 0);
    fx_test_init(&t, "full-list", user, 0, many, QS_TEST_MAX_QUESTIONS, FX_T0);
    uint64_t full_list = 0;
    CHECK_RC(qs_test_put(txn, &t, &full_list), 0);
    /* An open test grows with its answers up to the limit, and no further. */
    uint64_t open_test = fx_test(txn, "open-list", user, 1, NULL, 0, FX_T0 - FX_DAY_MS);
    for (unsigned i = 0; i < QS_TEST_MAX_QUESTIONS; i++)
        fx_answer(txn, open_test, many[i], 0, FX_T0 - FX_DAY_MS + i);
    qs_answer a;
    fx_answer_init(&a, open_test, many[QS_TEST_MAX_QUESTIONS], QS_ANSWERED, QS_GRADE, 0,
                   FX_T0 - 1000);
    REFUSED(txn, qs_answer_submit(txn, &a, NULL), QS_INVALID, QS_TOO_LARGE);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_resolve(txn, QS_USER, u.ext_id, &id), 0);
    CHECK_EQ(id, user);
    CHECK_RC(qs_resolve(txn, QS_TEST, "too-many", &id), QS_NOTFOUND);
    CHECK_RC(qs_resolve(txn, QS_QUESTION, "nine-options", &id), QS_NOTFOUND);
    CHECK_RC(qs_test_get(txn, full_list, &t), 0);
    CHECK_EQ(t.n_questions, QS_TEST_MAX_QUESTIONS);
    CHECK_RC(qs_test_get(txn, open_test, &t), 0);
    CHECK_EQ(t.n_questions, QS_TEST_MAX_QUESTIONS);
    qs_dashboard dash = {.size = sizeof dash};
    CHECK_RC(qs_dashboard_get(txn, user, FX_T0, &dash), 0);
    CHECK_EQ(dash.summary.answered, QS_TEST_MAX_QUESTIONS);
    qs_txn_abort(txn);
    fx_check_clean(env);
    qs_env_close(env);
}

/* Byte sequences that are not UTF-8, each after the 3 bytes "ok-" (so the first bad
 * byte is byte 3) and before "-x". */
static const struct {
    const char *what, *bytes;
} not_utf8[] = {
    {"Latin-1 e-acute", "\xe9t\xe9"},
    {"lone continuation byte", "\x80"},
    {"overlong 2-byte '/'", "\xc0\xaf"},
    {"overlong 2-byte U+007F", "\xc1\xbf"},
    {"overlong 3-byte '/'", "\xe0\x80\xaf"},
    {"overlong 3-byte U+07FF", "\xe0\x9f\xbf"},
    {"overlong 4-byte '/'", "\xf0\x80\x80\xaf"},
    {"overlong 4-byte U+FFFF", "\xf0\x8f\xbf\xbf"},
    {"surrogate U+D800", "\xed\xa0\x80"},
    {"surrogate U+DFFF", "\xed\xbf\xbf"},
    {"U+110000", "\xf4\x90\x80\x80"},
    {"lead byte f5", "\xf5\x80\x80\x80"},
    {"byte ff", "\xff"},
    {"3-byte sequence cut short by text", "\xe2\x82("},
    {"4-byte sequence cut short by text", "\xf0\x9f\x98("},
    {"2-byte sequence cut short at the end", "\xc3"},
    {"4-byte sequence cut short at the end", "\xf0\x9f\x98"},
};

/* Well-formed UTF-8 at the edges of the ranges the check refuses around. */
static const char *const utf8_edges[] = {
    "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
    "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "caf\xc3\xa9 \xe2\x82\xac"};

/* The detail of the last refusal names @p field and byte 3. */
static void check_refusal_names(const char *field, const char *case_what)
{
    const char *msg = qs_errmsg();
    CHECK_MSG(strncmp(msg, field, strlen(field)) == 0 && strstr(msg, " at byte 3") != NULL,
              "%s in %s: errmsg \"%s\"", case_what, field, msg);
}

TEST(texts_that_are_not_utf8_write_nothing)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    qs_txn *txn = fx_write(env);
    char bad[64];
    for (size_t i = 0; i < NCASES(not_utf8); i++) {
        const char *what = not_utf8[i].what;
        int len = snprintf(bad, sizeof bad, "ok-%s%s", not_utf8[i].bytes,
                           strstr(what, "at the end") ? "" : "-x");
        qs_user u = {.size = sizeof u, 0, "", FX_T0};
        snprintf(u.ext_id, sizeof u.ext_id, "%s", bad);
        REFUSED(txn, qs_user_put(txn, &u, NULL), QS_INVALID, QS_INVALID);
        check_refusal_names("user external id", what);
        static qs_test t;
        fx_test_init(&t, bad, b.users[0], 1, NULL, 0, FX_T0);
        REFUSED(txn, qs_test_put(txn, &t, NULL), QS_INVALID, QS_INVALID);
        check_refusal_names("test external id", what);
        qs_taxon tx = {.size = sizeof tx, 0, 0, "", ""};
        snprintf(tx.name, sizeof tx.name, "%s", bad);
        REFUSED(txn, qs_taxon_put(txn, QS_SUBJECT, &tx, NULL), QS_INVALID, QS_INVALID);
        check_refusal_names("subject name", what);
        tx.parent = b.systems[0];
        snprintf(tx.name, sizeof tx.name, "fine");
        snprintf(tx.ext_id, sizeof tx.ext_id, "%s", bad);
        REFUSED(txn, qs_taxon_put(txn, QS_TOPIC, &tx, NULL), QS_INVALID, QS_INVALID);
        check_refusal_names("topic external id", what);

        qs_question q = {.size = sizeof q};
        fx_question_init(&q, bad, b.subject, 0, 0, 1, 4, 0);
        REFUSED(txn, qs_question_put(txn, &q, NULL), QS_INVALID, QS_INVALID);
        check_refusal_names("question external id", what);
        qs_text text = {bad, (size_t)len}, options[4];
        for (int field = 0; field < 3; field++) {
            fx_question_init(&q, "fine", b.subject, 0, 0, 1, 4, 0);
            memcpy(options, fx_option_texts, sizeof options);
            q.options = options;
            *(field == 0 ? &q.stem : field == 1 ? &options[2] : &q.explanation) = text;
            REFUSED(txn, qs_question_put(txn, &q, NULL), QS_INVALID, QS_INVALID);
            check_refusal_names(field == 0   ? "question stem"
                                : field == 1 ? "question option 2"
                                             : "question explanation",
                                what);
        }
    }
    /* A NUL byte inside a length-delimited text. */
    qs_question q = {.size = sizeof q};
    qs_text options[4];
    fx_question_init(&q, "fine", b.subject, 0, 0, 1, 4, 0);
    memcpy(options, fx_option_texts, sizeof options);
    options[1] = (qs_text){"ok-\0-x", 6};
    q.options = options;
    REFUSED(txn, qs_question_put(txn, &q, NULL), QS_INVALID, QS_INVALID);
    check_refusal_names("question option 1", "NUL");
    CHECK(strstr(qs_errmsg(), "NUL") != NULL);

    /* Well-formed UTF-8 at every edge goes in and reads back. */
    for (size_t i = 0; i < NCASES(utf8_edges); i++) {
        char ext[32];
        uint32_t id, user;
        uint64_t found;
        qs_question got = {.size = sizeof got};
        snprintf(ext, sizeof ext, "q-%s", utf8_edges[i]);
        fx_question_init(&q, ext, b.subject, 0, 0, 1, 4, 0);
        q.stem = (qs_text){utf8_edges[i], strlen(utf8_edges[i])};
        CHECK_RC(qs_question_put(txn, &q, &id), 0);
        CHECK_RC(qs_question_get(txn, id, &got), 0);
        CHECK(got.stem.len == strlen(utf8_edges[i]) &&
              memcmp(got.stem.ptr, utf8_edges[i], got.stem.len) == 0);
        CHECK_RC(qs_resolve(txn, QS_QUESTION, ext, &found), 0);
        CHECK_EQ(found, id);
        user = fx_user(txn, ext, FX_T0);
        CHECK_RC(qs_resolve(txn, QS_USER, ext, &found), 0);
        CHECK_EQ(found, user);
    }
    fx_commit(txn);
    fx_check_clean(env);
    qs_env_close(env);
}

/* ================================================================== (e) bad arguments */

/* What every entry of the table runs with. */
typedef struct arg_ctx {
    qs_env *env;
    qs_txn *txn;               /* the write transaction the entries run in */
    qs_txn *reader;            /* a read transaction, not reset */
    fx_bank b;
    const char *dir;           /* an empty directory */
    qs_answer a;
    qs_question q;
    qs_test t;
    uint32_t list[3];          /* t's list, which the cases change */
    qs_taxon tx;
    qs_draw d;
    qs_interaction ix;
    qs_question_filter f;
    qs_bucket_policy policy;
    qs_cursor cursor;
    qs_options opts;
    qs_env *env_out;
    qs_txn *txn_out;
    uint64_t id64;
    uint32_t id32;
    size_t n;
    uint32_t ids[4];
    qs_history_row rows[4];
} arg_ctx;

#define NO_USER 999999u
#define NO_QUESTION 999999u
#define NO_TEST 999999u
#define YEAR_1 (-62135596800000LL)          /* 0001-01-01T00:00:00Z */
#define YEAR_10000 253402300800000LL        /* 10000-01-01T00:00:00Z */

static int no_answer(const qs_answer *a, void *ctx)
{
    (void)a;
    (void)ctx;
    return 0;
}

static int no_interaction(const qs_interaction *ix, uint64_t seq, void *ctx)
{
    (void)ix;
    (void)seq;
    (void)ctx;
    return 0;
}

/* Valid inputs, that the entries then spoil one field at a time. */
static void answer_base(arg_ctx *c)
{
    fx_answer_init(&c->a, c->b.tests[0], c->b.questions[5], QS_ANSWERED, QS_GRADE, 1,
                   FX_T0 - FX_DAY_MS);
}

static void question_base(arg_ctx *c)
{
    fx_question_init(&c->q, "arg-question", c->b.subject, c->b.systems[0], c->b.topics[0], 2,
                     4, 1);
}

static void test_base(arg_ctx *c)
{
    memcpy(c->list, c->b.questions, sizeof c->list);
    fx_test_init(&c->t, "arg-test", c->b.users[0], 0, c->list, 3, FX_T0);
}

static void taxon_base(arg_ctx *c)
{
    memset(&c->tx, 0, sizeof c->tx);
    snprintf(c->tx.name, sizeof c->tx.name, "arg-topic");
    c->tx.parent = c->b.systems[0];
}

static void draw_base(arg_ctx *c)
{
    memset(&c->d, 0, sizeof c->d);
    c->d.user = c->b.users[0];
    c->d.pattern = QS_DRAW_FILTER;
    c->d.mode = QS_MODE_TUTOR;
    c->d.count = 3;
    c->d.created_at = FX_T0;
}

static void interaction_base(arg_ctx *c)
{
    c->ix = (qs_interaction){c->b.users[0], 2, FX_T0 - FX_DAY_MS, "arg", 3};
}

static void options_base(arg_ctx *c)
{
    c->opts = fx_options();
}

#define SUBMIT(c) qs_answer_submit((c)->txn, &(c)->a, NULL)
#define QPUT(c) qs_question_put((c)->txn, &(c)->q, NULL)
#define TPUT(c) qs_test_put((c)->txn, &(c)->t, NULL)
#define DRAW(c) qs_test_create((c)->txn, &(c)->d, &(c)->t)
#define IXLOG(c) qs_interaction_log((c)->txn, &(c)->ix, NULL)
#define OPEN(c) qs_env_open((c)->dir, &(c)->opts, &(c)->env_out)

/* X(name, expected rc, another acceptable rc or the same, expression). Every entry
 * runs inside c->txn (or without a transaction) and must change nothing. */
#define ARG_CASES(X)                                                                      \
    /* ---- environment ---- */                                                          \
    X(env_open_null_path, QS_INVALID, QS_INVALID, qs_env_open(NULL, NULL, &c->env_out))   \
    X(env_open_null_out, QS_INVALID, QS_INVALID, qs_env_open(c->dir, NULL, NULL))         \
    X(env_open_map_size_0, QS_INVALID, QS_INVALID,                                         \
      (options_base(c), c->opts.map_size = 0, OPEN(c)))                                \
    X(env_open_no_readers, QS_INVALID, QS_INVALID,                                        \
      (options_base(c), c->opts.max_readers = 0, OPEN(c)))                                \
    X(env_open_bad_durability, QS_INVALID, QS_INVALID,                                    \
      (options_base(c), c->opts.durability = (qs_durability)7, OPEN(c)))                  \
    X(env_open_bad_period, QS_INVALID, QS_INVALID,                                        \
      (options_base(c), c->opts.bucket_period = (qs_period)3, OPEN(c)))                   \
    X(env_sync_null, QS_INVALID, QS_INVALID, qs_env_sync(NULL))                           \
    X(env_checkpoint_null, QS_INVALID, QS_INVALID, qs_env_checkpoint(NULL))               \
    X(db_stats_null_txn, QS_INVALID, QS_INVALID, qs_db_stats(NULL, NULL, 0, &c->n))       \
    X(db_stats_null_n, QS_INVALID, QS_INVALID, qs_db_stats(c->txn, NULL, 0, NULL))        \
    X(db_stats_null_rows, QS_INVALID, QS_INVALID, qs_db_stats(c->txn, NULL, 2, &c->n))    \
    /* ---- transactions ---- */                                                         \
    X(begin_null_env, QS_INVALID, QS_INVALID, qs_txn_begin(NULL, QS_TXN_RDONLY, &c->txn_out)) \
    X(begin_null_out, QS_INVALID, QS_INVALID, qs_txn_begin(c->env, QS_TXN_RDONLY, NULL))  \
    X(begin_unknown_flags, QS_INVALID, QS_INVALID, qs_txn_begin(c->env, 0x10, &c->txn_out)) \
    X(commit_null, QS_INVALID, QS_INVALID, qs_txn_commit(NULL))                           \
    X(savepoint_null_parent, QS_INVALID, QS_INVALID, qs_txn_savepoint(NULL, &c->txn_out)) \
    X(savepoint_null_out, QS_INVALID, QS_INVALID, qs_txn_savepoint(c->txn, NULL))         \
    X(savepoint_read_parent, QS_INVALID, QS_INVALID, qs_txn_savepoint(c->reader, &c->txn_out)) \
    X(renew_null, QS_INVALID, QS_INVALID, qs_txn_renew(NULL))                             \
    X(renew_not_reset, QS_INVALID, QS_INVALID, qs_txn_renew(c->reader))                   \
    X(renew_write_txn, QS_INVALID, QS_INVALID, qs_txn_renew(c->txn))                      \
    /* ---- entities ---- */                                                             \
    X(resolve_null_txn, QS_INVALID, QS_INVALID, qs_resolve(NULL, QS_USER, "user-0", &c->id64)) \
    X(resolve_null_ext, QS_INVALID, QS_INVALID, qs_resolve(c->txn, QS_USER, NULL, &c->id64)) \
    X(resolve_null_out, QS_INVALID, QS_INVALID, qs_resolve(c->txn, QS_USER, "user-0", NULL)) \
    X(resolve_kind_0, QS_INVALID, QS_INVALID, qs_resolve(c->txn, (qs_kind)0, "user-0", &c->id64)) \
    X(resolve_kind_7, QS_INVALID, QS_INVALID, qs_resolve(c->txn, (qs_kind)7, "user-0", &c->id64)) \
    X(resolve_unknown, QS_NOTFOUND, QS_NOTFOUND, qs_resolve(c->txn, QS_USER, "nobody", &c->id64)) \
    X(taxon_put_null_txn, QS_INVALID, QS_INVALID,                                         \
      (taxon_base(c), qs_taxon_put(NULL, QS_TOPIC, &c->tx, NULL)))                        \
    X(taxon_put_null, QS_INVALID, QS_INVALID, qs_taxon_put(c->txn, QS_TOPIC, NULL, NULL)) \
    X(taxon_put_kind_question, QS_INVALID, QS_INVALID,                                    \
      (taxon_base(c), qs_taxon_put(c->txn, QS_QUESTION, &c->tx, NULL)))                   \
    X(taxon_put_kind_0, QS_INVALID, QS_INVALID,                                           \
      (taxon_base(c), qs_taxon_put(c->txn, (qs_kind)0, &c->tx, NULL)))                    \
    X(taxon_put_kind_99, QS_INVALID, QS_INVALID,                                          \
      (taxon_base(c), qs_taxon_put(c->txn, (qs_kind)99, &c->tx, NULL)))                   \
    X(taxon_put_empty_name, QS_INVALID, QS_INVALID,                                       \
      (taxon_base(c), c->tx.name[0] = '\0', qs_taxon_put(c->txn, QS_TOPIC, &c->tx, NULL))) \
    X(taxon_put_topic_no_system, QS_INVALID, QS_INVALID,                                  \
      (taxon_base(c), c->tx.parent = 0, qs_taxon_put(c->txn, QS_TOPIC, &c->tx, NULL)))    \
    X(taxon_put_topic_unknown_system, QS_NOTFOUND, QS_NOTFOUND,                           \
      (taxon_base(c), c->tx.parent = 9999, qs_taxon_put(c->txn, QS_TOPIC, &c->tx, NULL))) \
    X(taxon_get_null_txn, QS_INVALID, QS_INVALID,                                         \
      qs_taxon_get(NULL, QS_TOPIC, c->b.topics[0], &c->tx))                               \
    X(taxon_get_null_out, QS_INVALID, QS_INVALID,                                         \
      qs_taxon_get(c->txn, QS_TOPIC, c->b.topics[0], NULL))                               \
    X(taxon_get_kind_user, QS_INVALID, QS_INVALID,                                        \
      qs_taxon_get(c->txn, QS_USER, c->b.users[0], &c->tx))                               \
    X(taxon_get_unknown, QS_NOTFOUND, QS_NOTFOUND, qs_taxon_get(c->txn, QS_TOPIC, 9999, &c->tx)) \
    X(question_put_null_txn, QS_INVALID, QS_INVALID,                                      \
      (question_base(c), qs_question_put(NULL, &c->q, NULL)))                             \
    X(question_put_null, QS_INVALID, QS_INVALID, qs_question_put(c->txn, NULL, NULL))     \
    X(question_put_difficulty_0, QS_INVALID, QS_INVALID,                                  \
      (question_base(c), c->q.difficulty = 0, QPUT(c)))                                   \
    X(question_put_difficulty_4, QS_INVALID, QS_INVALID,                                  \
      (question_base(c), c->q.difficulty = 4, QPUT(c)))                                   \
    X(question_put_key_past_options, QS_INVALID, QS_INVALID,                              \
      (question_base(c), c->q.correct_option = 4, QPUT(c)))                               \
    X(question_put_null_text, QS_INVALID, QS_INVALID,                                     \
      (question_base(c), c->q.stem.ptr = NULL, QPUT(c)))                                  \
    X(question_put_topic_of_other_system, QS_INVALID, QS_INVALID,                         \
      (question_base(c), c->q.topic = c->b.topics[3], QPUT(c)))                           \
    X(question_put_unknown_subject, QS_NOTFOUND, QS_NOTFOUND,                             \
      (question_base(c), c->q.subject = 9999, QPUT(c)))                                   \
    X(question_put_unknown_topic, QS_NOTFOUND, QS_NOTFOUND,                               \
      (question_base(c), c->q.topic = 9999, QPUT(c)))                                     \
    X(question_get_null_out, QS_INVALID, QS_INVALID,                                      \
      qs_question_get(c->txn, c->b.questions[0], NULL))                                   \
    X(question_get_id_0, QS_NOTFOUND, QS_NOTFOUND, qs_question_get(c->txn, 0, &c->q))     \
    X(question_get_unknown, QS_NOTFOUND, QS_NOTFOUND,                                     \
      qs_question_get(c->txn, NO_QUESTION, &c->q))                                        \
    X(question_list_null_filter, QS_INVALID, QS_INVALID,                                  \
      qs_question_list(c->txn, NULL, NULL, c->ids, 4, &c->n, NULL))                       \
    X(question_list_null_n, QS_INVALID, QS_INVALID,                                       \
      qs_question_list(c->txn, &c->f, NULL, c->ids, 4, NULL, NULL))                       \
    X(question_list_null_ids, QS_INVALID, QS_INVALID,                                     \
      qs_question_list(c->txn, &c->f, NULL, NULL, 4, &c->n, NULL))                        \
    X(question_list_difficulty_4, QS_INVALID, QS_INVALID,                                 \
      (memset(&c->f, 0, sizeof c->f), c->f.difficulty = 4,                                \
       qs_question_list(c->txn, &c->f, NULL, c->ids, 4, &c->n, NULL)))                    \
    X(question_list_active_3, QS_INVALID, QS_INVALID,                                     \
      (memset(&c->f, 0, sizeof c->f), c->f.active = 3,                                    \
       qs_question_list(c->txn, &c->f, NULL, c->ids, 4, &c->n, NULL)))                    \
    X(question_list_band_12, QS_INVALID, QS_INVALID,                                      \
      (memset(&c->f, 0, sizeof c->f), c->f.band = QS_BAND_NONE + 1,                       \
       qs_question_list(c->txn, &c->f, NULL, c->ids, 4, &c->n, NULL)))                    \
    X(question_list_order_2, QS_INVALID, QS_INVALID,                                      \
      (memset(&c->f, 0, sizeof c->f), c->f.order = 2,                                     \
       qs_question_list(c->txn, &c->f, NULL, c->ids, 4, &c->n, NULL)))                    \
    X(bank_compress_null_txn, QS_INVALID, QS_INVALID, qs_bank_compress(NULL, NULL))       \
    X(bank_compress_null_report, QS_INVALID, QS_INVALID, qs_bank_compress(c->txn, NULL))  \
    X(user_put_null_txn, QS_INVALID, QS_INVALID, qs_user_put(NULL, NULL, NULL))           \
    X(user_put_null, QS_INVALID, QS_INVALID, qs_user_put(c->txn, NULL, NULL))             \
    X(user_get_null_out, QS_INVALID, QS_INVALID, qs_user_get(c->txn, c->b.users[0], NULL)) \
    X(user_get_id_0, QS_NOTFOUND, QS_NOTFOUND, qs_user_get(c->txn, 0, &(qs_user){0}))     \
    X(user_get_unknown, QS_NOTFOUND, QS_NOTFOUND, qs_user_get(c->txn, NO_USER, &(qs_user){0})) \
    X(test_put_null_txn, QS_INVALID, QS_INVALID, (test_base(c), qs_test_put(NULL, &c->t, NULL))) \
    X(test_put_null, QS_INVALID, QS_INVALID, qs_test_put(c->txn, NULL, NULL))             \
    X(test_put_status_0, QS_INVALID, QS_INVALID, (test_base(c), c->t.status = 0, TPUT(c))) \
    X(test_put_status_5, QS_INVALID, QS_INVALID, (test_base(c), c->t.status = 5, TPUT(c))) \
    X(test_put_mode_0, QS_INVALID, QS_INVALID, (test_base(c), c->t.mode = 0, TPUT(c)))    \
    X(test_put_mode_3, QS_INVALID, QS_INVALID, (test_base(c), c->t.mode = 3, TPUT(c)))    \
    X(test_put_question_twice, QS_INVALID, QS_INVALID,                                    \
      (test_base(c), c->list[1] = c->list[0], TPUT(c))   )                     \
    X(test_put_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                                    \
      (test_base(c), c->t.user = NO_USER, TPUT(c)))                                       \
    X(test_put_unknown_question, QS_NOTFOUND, QS_NOTFOUND,                                \
      (test_base(c), c->list[2] = NO_QUESTION, TPUT(c)))                           \
    X(test_get_null_out, QS_INVALID, QS_INVALID, qs_test_get(c->txn, c->b.tests[0], NULL)) \
    X(test_get_unknown, QS_NOTFOUND, QS_NOTFOUND, qs_test_get(c->txn, NO_TEST, &c->t))    \
    X(test_create_null_draw, QS_INVALID, QS_INVALID, qs_test_create(c->txn, NULL, &c->t)) \
    X(test_create_null_out, QS_INVALID, QS_INVALID,                                       \
      (draw_base(c), qs_test_create(c->txn, &c->d, NULL)))                                \
    X(test_create_pattern_0, QS_INVALID, QS_INVALID, (draw_base(c), c->d.pattern = 0, DRAW(c))) \
    X(test_create_pattern_4, QS_INVALID, QS_INVALID, (draw_base(c), c->d.pattern = 4, DRAW(c))) \
    X(test_create_mode_0, QS_INVALID, QS_INVALID, (draw_base(c), c->d.mode = 0, DRAW(c)))  \
    X(test_create_mode_3, QS_INVALID, QS_INVALID, (draw_base(c), c->d.mode = 3, DRAW(c)))  \
    X(test_create_only_4, QS_INVALID, QS_INVALID, (draw_base(c), c->d.only = 4, DRAW(c)))  \
    X(test_create_count_0, QS_INVALID, QS_INVALID, (draw_base(c), c->d.count = 0, DRAW(c))) \
    X(test_create_difficulty_4, QS_INVALID, QS_INVALID,                                   \
      (draw_base(c), c->d.difficulty = 4, DRAW(c)))                                       \
    X(test_create_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                                 \
      (draw_base(c), c->d.user = NO_USER, DRAW(c)))                                       \
    X(test_create_taken_id, QS_EXISTS, QS_EXISTS,                                         \
      (draw_base(c), c->d.id = c->b.tests[1], DRAW(c)))                                   \
    X(pools_list_null_txn, QS_INVALID, QS_INVALID, qs_pools_list(NULL, NULL, 0, &c->n))   \
    X(pools_list_null_n, QS_INVALID, QS_INVALID, qs_pools_list(c->txn, NULL, 0, NULL))    \
    X(pools_list_null_rows, QS_INVALID, QS_INVALID, qs_pools_list(c->txn, NULL, 3, &c->n)) \
    X(pools_reshuffle_null, QS_INVALID, QS_INVALID, qs_pools_reshuffle(NULL, 1))          \
    X(index_verify_null_txn, QS_INVALID, QS_INVALID, qs_index_verify(NULL, NULL, 0, &c->n)) \
    X(index_verify_null_n, QS_INVALID, QS_INVALID, qs_index_verify(c->txn, NULL, 0, NULL)) \
    X(index_verify_null_rows, QS_INVALID, QS_INVALID, qs_index_verify(c->txn, NULL, 3, &c->n)) \
    X(index_rebuild_null, QS_INVALID, QS_INVALID, qs_index_rebuild(NULL))                 \
    X(test_list_null_n, QS_INVALID, QS_INVALID,                                           \
      qs_test_list(c->txn, c->b.users[0], NULL, 0, NULL))                                 \
    X(test_list_null_rows, QS_INVALID, QS_INVALID,                                        \
      qs_test_list(c->txn, c->b.users[0], NULL, 3, &c->n))                                \
    X(test_list_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                                   \
      qs_test_list(c->txn, NO_USER, NULL, 0, &c->n))                                      \
    /* ---- answers and interactions ---- */                                             \
    X(answer_submit_null_txn, QS_INVALID, QS_INVALID,                                     \
      (answer_base(c), qs_answer_submit(NULL, &c->a, NULL)))                              \
    X(answer_submit_null, QS_INVALID, QS_INVALID, qs_answer_submit(c->txn, NULL, NULL))   \
    X(answer_status_0, QS_INVALID, QS_INVALID, (answer_base(c), c->a.status = 0, SUBMIT(c))) \
    X(answer_status_4, QS_INVALID, QS_INVALID, (answer_base(c), c->a.status = 4, SUBMIT(c))) \
    X(answer_score_9, QS_INVALID, QS_INVALID, (answer_base(c), c->a.score = 9, SUBMIT(c))) \
    X(answer_score_91, QS_INVALID, QS_INVALID, (answer_base(c), c->a.score = 91, SUBMIT(c))) \
    X(answer_negative_time, QS_INVALID, QS_INVALID,                                       \
      (answer_base(c), c->a.time_spent_ms = -1, SUBMIT(c)))                               \
    X(answer_time_2_32, QS_INVALID, QS_INVALID,                                           \
      (answer_base(c), c->a.time_spent_ms = 1LL << 32, SUBMIT(c)))                        \
    X(answer_before_year_1, QS_INVALID, QS_INVALID,                                       \
      (answer_base(c), c->a.created_at = YEAR_1 - 1, SUBMIT(c)))                          \
    X(answer_after_year_9999, QS_INVALID, QS_INVALID,                                     \
      (answer_base(c), c->a.created_at = YEAR_10000, SUBMIT(c)))                          \
    X(answer_correct_2, QS_INVALID, QS_INVALID, (answer_base(c), c->a.correct = 2, SUBMIT(c))) \
    X(answer_chosen_past_options, QS_INVALID, QS_INVALID,                                 \
      (answer_base(c), c->a.chosen = 4, SUBMIT(c)))                                       \
    X(answer_chosen_negative, QS_INVALID, QS_INVALID,                                     \
      (answer_base(c), c->a.chosen = -2, SUBMIT(c)))                                      \
    X(answer_grade_without_choice, QS_INVALID, QS_INVALID,                                \
      (answer_base(c), c->a.chosen = QS_NO_CHOICE, SUBMIT(c)))                            \
    X(answer_skipped_correct, QS_INVALID, QS_INVALID,                                     \
      (answer_base(c), c->a.status = QS_SKIPPED, c->a.correct = 1, SUBMIT(c)))            \
    X(answer_other_user, QS_INVALID, QS_INVALID,                                          \
      (answer_base(c), c->a.user = c->b.users[1], SUBMIT(c)))                             \
    X(answer_unknown_test, QS_NOTFOUND, QS_NOTFOUND,                                      \
      (answer_base(c), c->a.test = NO_TEST, SUBMIT(c)))                                   \
    X(answer_unknown_question, QS_NOTFOUND, QS_NOTFOUND,                                  \
      (answer_base(c), c->a.question = NO_QUESTION, SUBMIT(c)))                           \
    X(answer_again, QS_EXISTS, QS_EXISTS,                                                 \
      (answer_base(c), c->a.question = c->b.questions[0], SUBMIT(c)))                     \
    X(answer_get_null_out, QS_INVALID, QS_INVALID,                                        \
      qs_answer_get(c->txn, c->b.tests[0], c->b.questions[0], NULL))                      \
    X(answer_get_unknown, QS_NOTFOUND, QS_NOTFOUND,                                       \
      qs_answer_get(c->txn, NO_TEST, c->b.questions[0], &c->a))                           \
    X(answer_scan_null_fn, QS_INVALID, QS_INVALID,                                        \
      qs_answer_scan(c->txn, 0, FX_T0, NULL, NULL))                                       \
    X(answer_scan_empty_range, QS_INVALID, QS_INVALID,                                    \
      qs_answer_scan(c->txn, FX_T0, FX_T0, no_answer, NULL))                              \
    X(interaction_log_null_txn, QS_INVALID, QS_INVALID,                                   \
      (interaction_base(c), qs_interaction_log(NULL, &c->ix, NULL)))                      \
    X(interaction_log_null, QS_INVALID, QS_INVALID, qs_interaction_log(c->txn, NULL, NULL)) \
    X(interaction_log_null_payload, QS_INVALID, QS_INVALID,                               \
      (interaction_base(c), c->ix.payload = NULL, IXLOG(c)))                              \
    X(interaction_log_after_year_9999, QS_INVALID, QS_INVALID,                            \
      (interaction_base(c), c->ix.created_at = YEAR_10000, IXLOG(c)))                     \
    X(interaction_log_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                             \
      (interaction_base(c), c->ix.user = NO_USER, IXLOG(c)))                              \
    X(interaction_scan_null_fn, QS_INVALID, QS_INVALID,                                   \
      qs_interaction_scan(c->txn, 0, FX_T0, NULL, NULL))                                  \
    X(interaction_scan_reversed, QS_INVALID, QS_INVALID,                                  \
      qs_interaction_scan(c->txn, FX_T0, 0, no_interaction, NULL))                        \
    X(interaction_days_null_n, QS_INVALID, QS_INVALID,                                    \
      qs_interaction_days(c->txn, c->b.users[0], 0, 30000, NULL, 0, NULL))                \
    X(interaction_days_null_rows, QS_INVALID, QS_INVALID,                                 \
      qs_interaction_days(c->txn, c->b.users[0], 0, 30000, NULL, 2, &c->n))               \
    X(interaction_days_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                            \
      qs_interaction_days(c->txn, NO_USER, 0, 30000, NULL, 0, &c->n))                     \
    X(question_mark_null_txn, QS_INVALID, QS_INVALID,                                     \
      qs_question_mark(NULL, c->b.users[0], c->b.questions[0], 1))                        \
    X(question_mark_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                               \
      qs_question_mark(c->txn, NO_USER, c->b.questions[0], 1))                            \
    X(question_mark_unknown_question, QS_NOTFOUND, QS_NOTFOUND,                           \
      qs_question_mark(c->txn, c->b.users[0], NO_QUESTION, 1))                            \
    /* ---- reads ---- */                                                                \
    X(question_stats_null_out, QS_INVALID, QS_INVALID,                                    \
      qs_question_stats_get(c->txn, c->b.questions[0], NULL))                             \
    X(question_stats_unknown, QS_NOTFOUND, QS_NOTFOUND,                                   \
      qs_question_stats_get(c->txn, NO_QUESTION, &(qs_question_stats){0}))                \
    X(user_question_null_out, QS_INVALID, QS_INVALID,                                     \
      qs_user_question_get(c->txn, c->b.users[0], c->b.questions[0], NULL))               \
    X(user_question_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                               \
      qs_user_question_get(c->txn, NO_USER, c->b.questions[0], &(qs_user_question){0}))   \
    X(progress_null_n, QS_INVALID, QS_INVALID,                                            \
      qs_progress(c->txn, c->b.users[0], NULL, 0, NULL))                                  \
    X(progress_null_rows, QS_INVALID, QS_INVALID,                                         \
      qs_progress(c->txn, c->b.users[0], NULL, 2, &c->n))                                 \
    X(progress_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                                    \
      qs_progress(c->txn, NO_USER, NULL, 0, &c->n))                                       \
    X(dashboard_null_out, QS_INVALID, QS_INVALID,                                         \
      qs_dashboard_get(c->txn, c->b.users[0], FX_T0, NULL))                               \
    X(dashboard_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                                   \
      qs_dashboard_get(c->txn, NO_USER, FX_T0, &(qs_dashboard){0}))                       \
    X(leaderboard_top_null_n, QS_INVALID, QS_INVALID,                                     \
      qs_leaderboard_top(c->txn, QS_BOARD_ALL_TIME, NULL, 0, NULL))                       \
    X(leaderboard_top_null_rows, QS_INVALID, QS_INVALID,                                  \
      qs_leaderboard_top(c->txn, QS_BOARD_ALL_TIME, NULL, 2, &c->n))                      \
    X(leaderboard_rank_null_out, QS_INVALID, QS_INVALID,                                  \
      qs_leaderboard_rank(c->txn, QS_BOARD_ALL_TIME, c->b.users[0], NULL))                \
    X(leaderboard_rank_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                            \
      qs_leaderboard_rank(c->txn, QS_BOARD_ALL_TIME, NO_USER, &(qs_rank_row){0}))         \
    X(history_null_n, QS_INVALID, QS_INVALID,                                             \
      qs_history(c->txn, c->b.users[0], NULL, c->rows, 4, NULL, NULL))                    \
    X(history_null_rows, QS_INVALID, QS_INVALID,                                          \
      qs_history(c->txn, c->b.users[0], NULL, NULL, 4, &c->n, NULL))                      \
    X(history_unknown_user, QS_NOTFOUND, QS_NOTFOUND,                                     \
      qs_history(c->txn, NO_USER, NULL, c->rows, 4, &c->n, NULL))                         \
    X(history_forged_cursor, QS_BAD_CURSOR, QS_BAD_CURSOR,                                \
      (memset(&c->cursor, 0x5a, sizeof c->cursor),                                        \
       qs_history(c->txn, c->b.users[0], &c->cursor, c->rows, 4, &c->n, NULL)))           \
    X(cursor_parse_null_text, QS_INVALID, QS_BAD_CURSOR, qs_cursor_parse(NULL, &c->cursor)) \
    X(cursor_parse_null_out, QS_INVALID, QS_BAD_CURSOR,                                   \
      qs_cursor_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL))               \
    X(cursor_parse_short, QS_BAD_CURSOR, QS_BAD_CURSOR, qs_cursor_parse("abc", &c->cursor)) \
    /* ---- buckets ---- */                                                              \
    X(bucket_list_null_txn, QS_INVALID, QS_INVALID, qs_bucket_list(NULL, NULL, 0, &c->n)) \
    X(bucket_list_null_n, QS_INVALID, QS_INVALID, qs_bucket_list(c->txn, NULL, 0, NULL))  \
    X(bucket_list_null_rows, QS_INVALID, QS_INVALID, qs_bucket_list(c->txn, NULL, 2, &c->n)) \
    X(bucket_policy_get_null, QS_INVALID, QS_INVALID, qs_bucket_policy_get(c->txn, NULL)) \
    X(bucket_policy_set_null, QS_INVALID, QS_INVALID, qs_bucket_policy_set(c->txn, NULL)) \
    X(bucket_policy_set_no_hot, QS_INVALID, QS_INVALID,                                   \
      (c->policy = (qs_bucket_policy){.interaction_retention_days = 90},                  \
       qs_bucket_policy_set(c->txn, &c->policy))) \
    X(bucket_seal_null_txn, QS_INVALID, QS_INVALID,                                       \
      qs_bucket_seal(NULL, QS_TABLE_ANSWERS, FX_T0 - 60 * FX_DAY_MS, FX_T0, NULL))        \
    X(bucket_seal_table_0, QS_INVALID, QS_INVALID,                                        \
      qs_bucket_seal(c->txn, (qs_table)0, FX_T0 - 60 * FX_DAY_MS, FX_T0, NULL))           \
    X(bucket_seal_table_3, QS_INVALID, QS_INVALID,                                        \
      qs_bucket_seal(c->txn, (qs_table)3, FX_T0 - 60 * FX_DAY_MS, FX_T0, NULL))           \
    X(bucket_seal_no_bucket, QS_NOTFOUND, QS_NOTFOUND,                                    \
      qs_bucket_seal(c->txn, QS_TABLE_ANSWERS, FX_T0 - 900 * FX_DAY_MS, FX_T0, NULL))     \
    X(buckets_expire_null_txn, QS_INVALID, QS_INVALID, qs_buckets_expire(NULL, FX_T0, NULL)) \
    /* ---- check, repair, backup ---- */                                                \
    X(check_null_txn, QS_INVALID, QS_INVALID, qs_check(NULL, NULL, 0, &c->n))             \
    X(check_null_n, QS_INVALID, QS_INVALID, qs_check(c->txn, NULL, 0, NULL))              \
    X(check_null_rows, QS_INVALID, QS_INVALID, qs_check(c->txn, NULL, 3, &c->n))          \
    X(repair_null, QS_INVALID, QS_INVALID, qs_repair(NULL))                               \
    X(backup_null_env, QS_INVALID, QS_INVALID, qs_backup(NULL, c->dir, 0))                \
    X(backup_null_dir, QS_INVALID, QS_INVALID, qs_backup(c->env, NULL, 0))                \
    X(backup_unknown_flags, QS_INVALID, QS_INVALID, qs_backup(c->env, c->dir, 0x10))      \
    X(restore_null_backup, QS_INVALID, QS_INVALID, qs_restore(NULL, c->dir))              \
    X(restore_null_store, QS_INVALID, QS_INVALID, qs_restore(c->dir, NULL))

#define ARG_FN(name, want, also, expr)                                                    \
    static int name(arg_ctx *c)                                                           \
    {                                                                                     \
        (void)c;                                                                          \
        return (expr);                                                                    \
    }
ARG_CASES(ARG_FN)

typedef struct arg_case {
    const char *name;
    int (*call)(arg_ctx *c);
    int want, also;
} arg_case;

#define ARG_ROW(name, want, also, expr) {#name, name, want, also},
static const arg_case arg_cases[] = {ARG_CASES(ARG_ROW)};

/* The directory holds no file: nothing was created in it. */
static void check_dir_empty(const char *dir, const char *what)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    const char *found = NULL;
    CHECK(d != NULL);
    while (!found && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            found = e->d_name;
    CHECK_MSG(!found, "%s left %s in %s", what, found, dir);
    closedir(d);
}

static void run_arg_case(arg_ctx *c, const arg_case *ac)
{
    static db_snapshot before;
    uint64_t id;
    snapshot(c->txn, &before);
    /* a known failure first, so that the entry's own detail shows */
    CHECK_RC(qs_resolve(c->txn, QS_USER, "sentinel", &id), QS_NOTFOUND);
    char sentinel[256];
    snprintf(sentinel, sizeof sentinel, "%s", qs_errmsg());
    c->env_out = (qs_env *)&c->env_out;
    c->txn_out = (qs_txn *)&c->txn_out;
    int rc = ac->call(c);
    CHECK_MSG(rc == ac->want || rc == ac->also, "%s returned %d (%s), expected %d (%s); "
              "errmsg \"%s\"", ac->name, rc, qs_strerror(rc), ac->want,
              qs_strerror(ac->want), qs_errmsg());
    CHECK_MSG(qs_errmsg()[0] != '\0' && strcmp(qs_errmsg(), sentinel) != 0,
              "%s: no detail of its own in qs_errmsg() (\"%s\")", ac->name, qs_errmsg());
    /* an output handle is cleared or untouched, never a dangling one */
    CHECK_MSG(c->env_out == NULL || c->env_out == (qs_env *)&c->env_out,
              "%s: an environment was opened", ac->name);
    CHECK_MSG(c->txn_out == NULL || c->txn_out == (qs_txn *)&c->txn_out,
              "%s: a transaction was begun", ac->name);
    check_unchanged(c->txn, &before, ac->name);
    check_dir_empty(c->dir, ac->name);
}

TEST(bad_arguments_are_refused_and_change_nothing)
{
    static arg_ctx c;
    memset(&c, 0, sizeof c);
    const char *dir = check_tmpdir();
    c.dir = check_tmpdir();
    c.env = fx_open(dir, NULL);
    fx_bank_build(c.env, &c.b);
    qs_txn *txn = fx_write(c.env);
    fx_answer(txn, c.b.tests[0], c.b.questions[0], 0, FX_T0 - 2 * FX_DAY_MS);
    qs_interaction ix = {c.b.users[0], 1, FX_T0 - 2 * FX_DAY_MS, "x", 1};
    CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    fx_commit(txn);

    db_snapshot *start = malloc(sizeof *start);
    CHECK(start != NULL);
    c.reader = fx_read(c.env);
    c.txn = fx_write(c.env);
    snapshot(c.txn, start);
    for (size_t i = 0; i < NCASES(arg_cases); i++)
        run_arg_case(&c, &arg_cases[i]);

    /* Destructors and void calls take NULL. */
    qs_options_init(NULL);
    qs_env_close(NULL);
    qs_txn_abort(NULL);
    qs_txn_reset(NULL);

    /* The transaction is still usable and commits, having changed nothing. */
    check_unchanged(c.txn, start, "the bad calls together");
    fx_user(c.txn, "after-the-bad-calls", FX_T0);
    fx_commit(c.txn);
    qs_txn_abort(c.reader);
    fx_check_clean(c.env);
    qs_env_close(c.env);
    free(start);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(full_map_keeps_commits_and_grows_on_reopen),
        CASE(full_disk_fails_cleanly_and_recovers),
        CASE(full_reader_table_is_a_clear_error),
        CASE(bucket_limit_is_a_clear_error),
        CASE(oversized_texts_and_payloads_write_nothing),
        CASE(oversized_ids_names_and_lists_write_nothing),
        CASE(texts_that_are_not_utf8_write_nothing),
        CASE(bad_arguments_are_refused_and_change_nothing),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
