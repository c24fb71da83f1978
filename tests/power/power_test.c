/* Power cuts, simulated in the manner of ALICE: a workload commits answers one per
 * transaction while libpowertrace.so (trace.c) records every write and sync it makes
 * to the data file and the redo log, with a checkpoint every CHECKPOINT_EVERY commits;
 * then each cut builds a state the disk could hold
 * had the power failed at a random point of that trace: of each file, every write
 * before its last sync, and of the writes after it a random subset of their 512-byte
 * sectors. Each state must open, pass qs_check(), and hold every commit its mode
 * promised to keep.
 *
 *   power_test [-q] [-t CASE] [-s SEED]   the suite's cases: 50 cuts of each workload
 *                                         (POWER_CUTS), 16 faults (FAULT_RUNS)
 *   power_test --measure CUTS [SEED]      every mode, CUTS cuts each: a table, no verdict
 *   power_test --faults RUNS [SEED]       RUNS injected faults (below): a table
 *
 * The workload runs in a child exec'd with the tracer preloaded (power_test
 * --workload DIR MODE); each state is checked in a process of its own (power_test
 * --verify DIR PROMISE), so a state that crashes the library is counted, not fatal.
 * Stores are opened without write_map: writes through a map are not seen by the
 * tracer.
 *
 * Injected faults, under the same tracer: a durable run of COMMITS commits in which
 * one write of the store's files fails (EIO or ENOSPC) or writes half its bytes, or
 * one sync (fsync, fdatasync, msync) fails with EIO, at a random point, with and
 * without write_map (power_test --fault DIR FAULT). Every failed call must say what
 * failed, no commit may succeed after a failed sync, and the store must reopen with
 * qs_check() clean and every commit reported done.
 */
#define LOG_FILE "redo.log"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dlfcn.h>

#include "check.h"
#include "fixture.h"

#define SECTOR 512
#define COMMITS 150
#define TESTS (COMMITS / FX_BANK_QUESTIONS + 1)
#define SYNC_INTERVAL_MS 20
#define CHECKPOINT_EVERY 50   /* answers: the library's own checkpoints are rarer */
#define IMPORT_BATCH 25

static const char *self;   /* this program, to run the workload */

/* ---- the workload --------------------------------------------------------------- */

/* Answer @p i: to question i % 12 in test i / 12, a minute after answer i - 1. */
static void answer_of(qs_answer *a, const uint64_t *tests, const fx_bank *b, unsigned i)
{
    fx_answer_init(a, tests[i / FX_BANK_QUESTIONS], b->questions[i % FX_BANK_QUESTIONS],
                   QS_ANSWERED, QS_GRADE, (int8_t)(i % 4), FX_T0 + (int64_t)i * 60000);
}

/* The seeded store in @p dir: the bank and TESTS open tests ("power-T", of the bank's
 * two users in turn), closed. */
static void seed(const char *dir)
{
    fx_bank b;
    qs_env *env = fx_open(dir, NULL);
    fx_bank_build(env, &b);
    qs_txn *txn = fx_write(env);
    for (unsigned t = 0; t < TESTS; t++) {
        char ext[32];
        snprintf(ext, sizeof ext, "power-%u", t);
        fx_test(txn, ext, b.users[t % 2], 1, NULL, 0, FX_T0 - FX_DAY_MS);
    }
    fx_commit(txn);
    qs_env_close(env);
}

static qs_options mode_options(qs_durability mode)
{
    qs_options o = fx_options();
    o.durability = mode;
    o.sync_interval_ms = SYNC_INTERVAL_MS;
    return o;
}

/* The seed's ids, read back from @p env (the seed ran in the parent). 0, or 1 when a
 * call failed. */
static int seed_ids(qs_env *env, fx_bank *b, uint64_t tests[TESTS])
{
    qs_txn *txn;
    if (qs_txn_begin(env, QS_TXN_RDONLY, &txn) != 0)
        return 1;
    for (unsigned i = 0; i < FX_BANK_QUESTIONS; i++) {
        char ext[16];
        uint64_t id;
        snprintf(ext, sizeof ext, "q-%u", i);
        if (qs_resolve(txn, QS_QUESTION, ext, &id) != 0)
            return 1;
        b->questions[i] = (uint32_t)id;
    }
    for (unsigned t = 0; t < TESTS; t++) {
        char ext[32];
        snprintf(ext, sizeof ext, "power-%u", t);
        if (qs_resolve(txn, QS_TEST, ext, &tests[t]) != 0)
            return 1;
    }
    qs_txn_abort(txn);
    return 0;
}

/* Commit answers @p i .. @p i + @p n - 1 in one transaction: qs_txn_commit()'s code. */
static int commit_answers(qs_env *env, const uint64_t *tests, const fx_bank *b, unsigned i,
                          unsigned n)
{
    qs_txn *txn;
    int rc = qs_txn_begin(env, 0, &txn);
    for (unsigned k = i; rc == 0 && k < i + n; k++) {
        qs_answer a;
        answer_of(&a, tests, b, k);
        if ((rc = qs_answer_submit(txn, &a, NULL)) != 0)
            qs_txn_abort(txn);
    }
    return rc ? rc : qs_txn_commit(txn);
}

static int commit_answer(qs_env *env, const uint64_t *tests, const fx_bank *b, unsigned i)
{
    return commit_answers(env, tests, b, i, 1);
}

/* The seeded store's history, committed before a sealing run: COMMITS answers (the
 * workload's) and HISTORY_INTERACTIONS interactions, all in FX_T0's month. */
#define HISTORY_INTERACTIONS 40
static void seed_history(const char *dir)
{
    fx_bank b;
    uint64_t tests[TESTS];
    qs_env *env = fx_open(dir, NULL);
    CHECK(seed_ids(env, &b, tests) == 0);
    for (unsigned i = 0; i < COMMITS; i++)
        CHECK_RC(commit_answer(env, tests, &b, i), 0);
    qs_txn *txn = fx_write(env);
    for (unsigned i = 0; i < HISTORY_INTERACTIONS; i++) {
        qs_interaction ix = {.user = 1, .action = 1, .created_at = FX_T0 + (int64_t)i * 1000};
        CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
    }
    fx_commit(txn);
    qs_env_close(env);
}

/* The workload child: COMMITS answers, @p batch per commit, every commit acknowledged
 * to the tracer once it returned. Exit 0, or 1 when a call failed. */
static int workload(const char *dir, qs_durability mode, unsigned batch)
{
    void (*ack)(uint64_t) = (void (*)(uint64_t))dlsym(RTLD_DEFAULT, "power_trace_ack");
    fx_bank b;
    uint64_t tests[TESTS];
    qs_env *env = NULL;
    qs_options o = mode_options(mode);
    if (!ack || qs_env_open(dir, &o, &env) != 0 || seed_ids(env, &b, tests) != 0)
        return 1;
    for (unsigned i = 0; i < COMMITS; i += batch) {
        if (commit_answers(env, tests, &b, i, batch) != 0)
            return 1;
        ack(i + batch);
        if ((i + batch) % CHECKPOINT_EVERY == 0 && qs_env_checkpoint(env) != 0)
            return 1;
    }
    qs_env_close(env);
    return 0;
}

/* A time far enough after FX_T0's month that it is neither hot nor kept. */
#define SEAL_NOW (FX_T0 + 400 * FX_DAY_MS)

/* The sealing child (power_test --seal DIR 0): every answer of the history, committed
 * before the trace began, is promised; a durable store seals the answers' month, then
 * drops the interactions' month by retention, each in a transaction of its own, with a
 * checkpoint between. Exit 0, or the step that failed. */
static int seal_workload(const char *dir)
{
    void (*ack)(uint64_t) = (void (*)(uint64_t))dlsym(RTLD_DEFAULT, "power_trace_ack");
    qs_env *env = NULL;
    qs_txn *txn;
    qs_options o = mode_options(QS_SYNC_DURABLE);
    qs_bucket_policy policy = {1, 0, 30};
    size_t dropped = 0;
    if (!ack)
        return 1;
    ack(COMMITS);
    if (qs_env_open(dir, &o, &env) != 0 || qs_txn_begin(env, 0, &txn) != 0)
        return 2;
    if (qs_bucket_seal(txn, QS_TABLE_ANSWERS, FX_T0, SEAL_NOW, NULL) != 0 ||
        qs_txn_commit(txn) != 0 || qs_env_checkpoint(env) != 0)
        return 3;
    if (qs_txn_begin(env, 0, &txn) != 0 || qs_bucket_policy_set(txn, &policy) != 0 ||
        qs_buckets_expire(txn, SEAL_NOW, &dropped) != 0 || dropped != 1 ||
        qs_txn_commit(txn) != 0)
        return 4;
    qs_env_close(env);
    return 0;
}

/* Commit a new user @p ext in @p env: qs_txn_commit()'s code. */
static int commit_user(qs_env *env, const char *ext)
{
    qs_txn *txn;
    qs_user u = {.created_at = FX_T0};
    snprintf(u.ext_id, sizeof u.ext_id, "%s", ext);
    int rc = qs_txn_begin(env, 0, &txn);
    if (rc == 0 && (rc = qs_user_put(txn, &u, NULL)) != 0)
        qs_txn_abort(txn);
    return rc ? rc : qs_txn_commit(txn);
}

/* The fault of power_trace_fault() (trace.c): a later write or sync of the store's
 * files fails. */
static void arm_fault(char kind, unsigned after, int err)
{
    void (*fault)(char, unsigned, int) =
        (void (*)(char, unsigned, int))dlsym(RTLD_DEFAULT, "power_trace_fault");
    CHECK(fault != NULL);
    fault(kind, after, err);
}

/* The commit child (power_test --commit-failure DIR 0): a durable commit whose sync of
 * the log fails says so (EIO), and nothing is reported durable after it: the next
 * commit and flush fail with QS_PANIC. The store reopens clean with the commits before
 * it (the failed one may be there or not: it is in the log, whose sync failed). Exit
 * 0 when so, else the step that was not. */
static int commit_failure(const char *dir)
{
    qs_env *env = NULL;
    qs_txn *txn;
    qs_options o = mode_options(QS_SYNC_DURABLE);
    uint64_t id;
    if (qs_env_open(dir, &o, &env) != 0 || commit_user(env, "synced") != 0)
        return 1;
    arm_fault('s', 0, EIO);
    if (commit_user(env, "not-synced") != EIO)
        return 2;
    if (commit_user(env, "after") != QS_PANIC || qs_env_sync(env) != QS_PANIC)
        return 3;
    qs_env_close(env);
    if (qs_env_open(dir, &o, &env) != 0 || qs_txn_begin(env, QS_TXN_RDONLY, &txn) != 0)
        return 4;
    if (qs_resolve(txn, QS_USER, "synced", &id) != 0 ||
        qs_resolve(txn, QS_USER, "after", &id) != QS_NOTFOUND)
        return 5;
    fx_check_clean_txn(txn);
    qs_txn_abort(txn);
    qs_env_close(env);
    return 0;
}

/* The flush child (power_test --flush-failure DIR 0): a periodic store commits an
 * answer, its flush fails, and then every flush and write transaction fails, never
 * reporting success, while reads go on. Exit 0 when so, else the step that was not. */
static int flush_failure(const char *dir)
{
    qs_env *env = NULL;
    qs_txn *txn;
    qs_options o = mode_options(QS_SYNC_PERIODIC);
    o.sync_interval_ms = 600000;   /* the first sync is the one asked for below */
    if (qs_env_open(dir, &o, &env) != 0 || commit_user(env, "flushed") != 0)
        return 1;
    arm_fault('s', 0, EIO);
    if (qs_env_sync(env) != EIO)
        return 2;
    if (qs_env_sync(env) != QS_PANIC)   /* a second try would succeed: never report it */
        return 3;
    if (qs_txn_begin(env, 0, &txn) != QS_PANIC)
        return 4;
    if (qs_txn_begin(env, QS_TXN_RDONLY, &txn) != 0)
        return 5;
    qs_txn_abort(txn);
    qs_env_close(env);
    return 0;
}

/* ---- injected faults ------------------------------------------------------------ */

/* One fault: a write or sync of the store's files fails, once, after @p after calls of
 * its kind went through. */
typedef struct fault {
    char kind;                 /* 'w' write, 's' sync (fsync, fdatasync, msync) */
    unsigned after;
    int err;                   /* its errno; 0: a write that writes half its bytes */
    int write_map;
} fault;

/* What the fault child saw: the commits reported done, the calls that failed, and
 * whether the fault struck. */
typedef struct fault_seen {
    unsigned acked, failed;
    int fired;
} fault_seen;

static void fault_format(const fault *f, char *out, size_t cap)
{
    snprintf(out, cap, "%c:%u:%d:%d", f->kind, f->after, f->err, f->write_map);
}

/* The fault child (power_test --fault DIR FAULT): a durable store, opened with the
 * fault armed, commits COMMITS answers one at a time. Each failed call must say what
 * failed (a message); once a sync has failed no commit may succeed. Writes what it saw
 * into DIR/seen and exits 0, or with the rule it broke. */
static int fault_child(const char *dir, const char *spec)
{
    fault f;
    fault_seen seen = {0};
    if (sscanf(spec, "%c:%u:%d:%d", &f.kind, &f.after, &f.err, &f.write_map) != 4)
        return 10;
    int (*fired)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "power_trace_faults_fired");
    fx_bank b;
    uint64_t tests[TESTS];
    qs_env *env = NULL;
    qs_options o = mode_options(QS_SYNC_DURABLE);
    o.write_map = f.write_map;
    arm_fault(f.kind, f.after, f.err);
    int rc = qs_env_open(dir, &o, &env);
    if (rc == 0 && seed_ids(env, &b, tests) != 0)
        return 11;
    if (rc != 0)
        seen.failed++;
    for (unsigned i = 0; rc == 0 && i < COMMITS; i++) {
        int c = commit_answer(env, tests, &b, i);
        if (c != 0 && !*qs_errmsg())
            return 12;   /* a failure that does not say what */
        if (c == 0 && f.kind == 's' && seen.failed)
            return 13;   /* a success after a failed sync */
        seen.failed += c != 0;
        seen.acked += c == 0;
        if ((i + 1) % CHECKPOINT_EVERY == 0 && qs_env_checkpoint(env) != 0) {
            if (!*qs_errmsg())
                return 12;
            seen.failed++;
        }
    }
    qs_env_close(env);
    seen.fired = fired && fired();
    char path[600];
    snprintf(path, sizeof path, "%s/seen", dir);
    FILE *out = fopen(path, "w");
    if (!out || fprintf(out, "%u %u %d\n", seen.acked, seen.failed, seen.fired) < 0 ||
        fclose(out) != 0)
        return 14;
    return 0;
}

/* ---- the trace ------------------------------------------------------------------ */

typedef struct op {
    char type;                 /* W S T A (trace.c) */
    uint64_t value;            /* W: offset; T: size; A: the commits acknowledged */
    uint32_t len;
    const uint8_t *data;
} op;

typedef struct trace {
    uint8_t *bytes;
    op *ops;
    size_t n;
} trace;

static uint8_t *slurp(const char *path, size_t *n)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    CHECK_MSG(fd >= 0 && fstat(fd, &st) == 0, "%s", path);
    uint8_t *b = malloc((size_t)st.st_size + 1);
    CHECK(b != NULL);
    CHECK(read(fd, b, (size_t)st.st_size) == st.st_size);
    close(fd);
    *n = (size_t)st.st_size;
    return b;
}

static void trace_read(const char *path, trace *t)
{
    size_t size, at = 0;
    t->bytes = slurp(path, &size);
    t->ops = NULL;
    t->n = 0;
    while (at < size) {
        CHECK_MSG(size - at >= 13, "trace %s cut short at byte %zu", path, at);
        op o = {.type = (char)t->bytes[at]};
        memcpy(&o.value, t->bytes + at + 1, 8);
        memcpy(&o.len, t->bytes + at + 9, 4);
        o.data = t->bytes + at + 13;
        at += 13 + (size_t)o.len;
        CHECK_MSG(at <= size && strchr("WSTwstA", o.type), "trace %s: bad record", path);
        t->ops = realloc(t->ops, (t->n + 1) * sizeof *t->ops);
        CHECK(t->ops != NULL);
        t->ops[t->n++] = o;
    }
}

/* ---- a state after a cut -------------------------------------------------------- */

typedef struct image {
    uint8_t *b;
    size_t len, cap;
} image;

static void image_write(image *im, uint64_t off, const uint8_t *data, size_t n)
{
    if (off + n > im->cap) {
        im->cap = (size_t)(off + n) * 2;
        im->b = realloc(im->b, im->cap);
        CHECK(im->b != NULL);
    }
    if (off > im->len)
        memset(im->b + im->len, 0, (size_t)off - im->len);
    memcpy(im->b + off, data, n);
    if (off + n > im->len)
        im->len = (size_t)(off + n);
}

static void image_truncate(image *im, uint64_t size)
{
    if (size > im->len)
        image_write(im, size, (const uint8_t *)"", 0);
    im->len = (size_t)size;
}

/* The file of op @p o: 0 the data file, 1 the log, -1 neither (an ack). */
static int file_of(const op *o)
{
    return strchr("WST", o->type) ? 0 : strchr("wst", o->type) ? 1 : -1;
}

/* Op @p o applied whole, or (@p partial) each 512-byte sector of it with odds 1/2. */
static void apply(image *im, const op *o, int partial)
{
    if ((o->type == 'T' || o->type == 't') && (!partial || check_below(2)))
        image_truncate(im, o->value);
    if (o->type != 'W' && o->type != 'w')
        return;
    for (uint32_t at = 0; at < o->len;) {
        uint32_t n = SECTOR - (uint32_t)((o->value + at) % SECTOR);
        if (n > o->len - at)
            n = o->len - at;
        if (!partial || check_below(2))
            image_write(im, o->value + at, o->data + at, n);
        at += n;
    }
}

/* What a cut before op @p k of @p t must keep, by the promise of @p mode: the commits
 * acknowledged before the cut (durable), or before the last sync of the log before it
 * (periodic: a commit's record is written before it is acknowledged). */
static uint64_t promised(const trace *t, size_t k, qs_durability mode)
{
    uint64_t acked = 0, synced = 0;
    for (size_t i = 0; i < k; i++) {
        if (t->ops[i].type == 'A')
            acked = t->ops[i].value;
        if (t->ops[i].type == 's')
            synced = acked;
    }
    return mode == QS_SYNC_DURABLE ? acked : synced;
}

/* The state of file @p f (0 data, 1 log) after a cut before op @p k: the baseline,
 * every op of the file before its last sync, then those after it in part. */
static image state_at(const trace *t, const uint8_t *base, size_t base_len, size_t k, int f)
{
    image im = {0};
    size_t last_sync = 0;
    image_write(&im, 0, base, base_len);
    for (size_t i = 0; i < k; i++)
        if (file_of(&t->ops[i]) == f && (t->ops[i].type == 'S' || t->ops[i].type == 's'))
            last_sync = i + 1;
    for (size_t i = 0; i < k; i++)
        if (file_of(&t->ops[i]) == f)
            apply(&im, &t->ops[i], i >= last_sync);
    return im;
}

/* ---- checking a state ----------------------------------------------------------- */

enum outcome { KEPT, REFUSED, DAMAGED, LOST, CRASHED, N_OUTCOMES };
static const char *const outcome_name[N_OUTCOMES] = {"kept", "refused", "damaged",
                                                     "lost commits", "crashed"};

static int verbose;   /* --measure: say why the first state of each outcome failed */

/* The child's end: outcome @p o, and why in @p dir/why for the parent. */
static void fail_child(const char *dir, enum outcome o, const char *why)
{
    char path[600];
    snprintf(path, sizeof path, "%s/why", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(why, f);
        fclose(f);
    }
    _exit(o);
}

/* The checking child (power_test --verify DIR PROMISE): the store in @p dir opens, its
 * check is clean, and it holds at least @p promise of the workload's answers. Exits with
 * the outcome. */
__attribute__((noreturn)) static void verify_child(const char *dir, uint64_t promise)
{
    qs_env *env = NULL;
    qs_txn *txn;
    qs_options o = fx_options();
    static qs_check_report rows[256];
    size_t n = 0, answers = 0;
    if (qs_env_open(dir, &o, &env) != 0)
        fail_child(dir, REFUSED, qs_errmsg());
    if (qs_txn_begin(env, QS_TXN_RDONLY, &txn) != 0 || qs_check(txn, rows, 256, &n) != 0)
        fail_child(dir, DAMAGED, qs_errmsg());
    for (size_t i = 0; i < n && i < 256; i++)
        if (rows[i].findings)
            fail_child(dir, DAMAGED, rows[i].first_finding);
    if (qs_answer_scan(txn, FX_T0, FX_T0 + FX_DAY_MS, fx_count_answer, &answers) != 0)
        fail_child(dir, DAMAGED, qs_errmsg());
    qs_txn_abort(txn);
    qs_env_close(env);
    if (answers < promise) {
        char why[96];
        snprintf(why, sizeof why, "%zu answers, %llu promised", answers,
                 (unsigned long long)promise);
        fail_child(dir, LOST, why);
    }
    _exit(KEPT);
}

/* @p im as file @p name of @p dir (a new file: nothing of the last state's, nor the
 * walk it had, carries over). */
static void file_put(const char *dir, const char *name, const image *im)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, im->b, im->len) == (ssize_t)im->len && close(fd) == 0);
}

/* The store in @p dir, checked by a child of its own (--verify). */
static enum outcome verify_store(const char *dir, uint64_t promise)
{
    char path[600];
    char promise_arg[24];
    snprintf(promise_arg, sizeof promise_arg, "%llu", (unsigned long long)promise);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl(self, self, "--verify", dir, promise_arg, (char *)NULL);
        _exit(127);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    enum outcome o = WIFEXITED(status) && WEXITSTATUS(status) < N_OUTCOMES
                         ? (enum outcome)WEXITSTATUS(status) : CRASHED;
    static int said[N_OUTCOMES];
    if (verbose && o != KEPT && !said[o]++) {
        char why[512] = "";
        snprintf(path, sizeof path, "%s/why", dir);
        FILE *f = fopen(path, "r");
        if (f) {
            why[fread(why, 1, sizeof why - 1, f)] = '\0';
            fclose(f);
        }
        char keep[700], cmd[1500];
        snprintf(keep, sizeof keep, "%s-%s", dir, outcome_name[o]);
        snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", dir, keep);
        fprintf(stderr, "  first %s: %s (status 0x%x; the state kept in %s)\n", outcome_name[o],
                o == CRASHED ? "killed by a signal" : why, (unsigned)status,
                system(cmd) == 0 ? keep : "nowhere");
    }
    return o;
}

/* The state @p im (the data file, the log) as a store in @p dir. */
static enum outcome verify(const char *dir, const image im[2], uint64_t promise)
{
    file_put(dir, "data.mdb", &im[0]);
    file_put(dir, LOG_FILE, &im[1]);
    return verify_store(dir, promise);
}

/* ---- a run: seed, trace the workload, cut ----------------------------------------- */

/* The tracer beside this program. */
static void tracer_path(char *out, size_t cap)
{
    snprintf(out, cap, "%.*s/libpowertrace.so", (int)(strrchr(self, '/') - self), self);
}

/* power_test WHAT DIR ARG run under the tracer, its trace in DIR/trace; it must exit
 * 0. */
static void run_traced(const char *what, const char *dir, const char *arg)
{
    char lib[600], trace_file[600], data[600], log[600];
    tracer_path(lib, sizeof lib);
    snprintf(trace_file, sizeof trace_file, "%s/trace", dir);
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    snprintf(log, sizeof log, "%s/%s", dir, LOG_FILE);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        setenv("LD_PRELOAD", lib, 1);
        setenv("POWER_TRACE", trace_file, 1);
        setenv("POWER_DATA", data, 1);
        setenv("POWER_LOG", log, 1);
        /* ASan wants its runtime first; the tracer only wraps libc's calls */
        setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 1);
        execl(self, self, what, dir, arg, (char *)NULL);
        _exit(127);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status 0x%x", what,
              status);
}

/* The workload of a run: single-answer commits in a mode, an import's batches (durable,
 * as `quizstore import` commits by default), or sealing and retention. */
typedef enum workload_kind { ANSWERS_DURABLE, ANSWERS_PERIODIC, IMPORT, SEALING } workload_kind;

static qs_durability mode_of(workload_kind w)
{
    return w == ANSWERS_PERIODIC ? QS_SYNC_PERIODIC : QS_SYNC_DURABLE;
}

static void traced_workload(const char *dir, workload_kind w, trace *t)
{
    char trace_file[600];
    char mode_s[16];
    snprintf(mode_s, sizeof mode_s, "%d", (int)mode_of(w));
    run_traced(w == SEALING ? "--seal" : w == IMPORT ? "--import" : "--workload", dir, mode_s);
    snprintf(trace_file, sizeof trace_file, "%s/trace", dir);
    trace_read(trace_file, t);
}

/* @p cuts cuts of a traced run of workload @p w; the count of each outcome in @p out. */
static void cut_run(workload_kind w, unsigned cuts, unsigned out[N_OUTCOMES])
{
    qs_durability mode = mode_of(w);
    const char *dir = check_tmpdir(), *cut_dir = check_tmpdir();
    char path[2][600];
    trace t;
    size_t base_len[2];
    uint8_t *base[2];
    seed(dir);
    if (w == SEALING)
        seed_history(dir);
    snprintf(path[0], sizeof path[0], "%s/data.mdb", dir);
    snprintf(path[1], sizeof path[1], "%s/%s", dir, LOG_FILE);
    for (int f = 0; f < 2; f++)
        base[f] = slurp(path[f], &base_len[f]);
    traced_workload(dir, w, &t);
    if (verbose) {
        size_t writes = 0, syncs = 0;
        for (size_t i = 0; i < t.n; i++) {
            writes += t.ops[i].type == 'W' || t.ops[i].type == 'w';
            syncs += t.ops[i].type == 'S' || t.ops[i].type == 's';
        }
        fprintf(stderr, "  trace: %zu writes, %zu syncs, %zu records\n", writes, syncs, t.n);
    }
    memset(out, 0, N_OUTCOMES * sizeof *out);
    for (unsigned c = 0; c < cuts; c++) {
        size_t k = (size_t)check_below(t.n + 1);
        image im[2];
        for (int f = 0; f < 2; f++)
            im[f] = state_at(&t, base[f], base_len[f], k, f);
        out[verify(cut_dir, im, promised(&t, k, mode))]++;
        free(im[0].b);
        free(im[1].b);
    }
    free(base[0]);
    free(base[1]);
    free(t.ops);
    free(t.bytes);
}

/* ---- fault runs -------------------------------------------------------------------- */

/* A fault drawn at random within the calls of a run: its writes (about four per
 * commit, one with write_map, whose pages reach the file through the map) and its
 * syncs (one per commit, and the checkpoints'). */
static fault fault_draw(void)
{
    static const int write_errs[] = {EIO, ENOSPC, 0};
    fault f = {.kind = check_below(2) ? 'w' : 's', .write_map = (int)check_below(2)};
    f.after = (unsigned)check_below(f.kind == 'w' && !f.write_map ? 4 * COMMITS : COMMITS + 20);
    f.err = f.kind == 'w' ? write_errs[check_below(3)] : EIO;
    return f;
}

/* Fault @p f in a store seeded afresh in @p dir: the child's rules hold (run_traced
 * checks its status), and the store reopens clean with every commit reported done.
 * Returns what the child saw; the outcome of the reopening in *o. */
static fault_seen fault_run(const char *dir, const fault *f, enum outcome *o)
{
    char spec[64], path[600];
    fault_seen seen = {0};
    check_rmtree(dir);
    CHECK(mkdir(dir, 0755) == 0);
    seed(dir);
    fault_format(f, spec, sizeof spec);
    run_traced("--fault", dir, spec);
    snprintf(path, sizeof path, "%s/seen", dir);
    FILE *in = fopen(path, "r");
    CHECK(in != NULL);
    CHECK(fscanf(in, "%u %u %d", &seen.acked, &seen.failed, &seen.fired) == 3);
    fclose(in);
    *o = verify_store(dir, seen.acked);
    return seen;
}

/* ---- the cases -------------------------------------------------------------------- */

static void every_cut_keeps_its_promise(workload_kind w)
{
    unsigned out[N_OUTCOMES];
    const char *cuts = getenv("POWER_CUTS");
    cut_run(w, cuts ? (unsigned)atoi(cuts) : 50, out);
    CHECK_MSG(out[KEPT] > 0 && !out[REFUSED] && !out[DAMAGED] && !out[LOST] && !out[CRASHED],
              "kept %u, refused %u, damaged %u, lost commits %u, crashed %u", out[KEPT],
              out[REFUSED], out[DAMAGED], out[LOST], out[CRASHED]);
}

TEST(durable_commits_survive_power_cuts)
{
    every_cut_keeps_its_promise(ANSWERS_DURABLE);
}

TEST(periodic_commits_survive_power_cuts_but_the_last_interval)
{
    every_cut_keeps_its_promise(ANSWERS_PERIODIC);
}

/* An import commits batches of IMPORT_BATCH answers, each all or nothing. */
TEST(import_batches_survive_power_cuts)
{
    every_cut_keeps_its_promise(IMPORT);
}

/* Sealing rewrites a month into new databases and retention drops one: a cut anywhere
 * leaves the month raw or sealed, the interactions there or gone, nothing lost. */
TEST(sealing_and_retention_survive_power_cuts)
{
    every_cut_keeps_its_promise(SEALING);
}

/* A flush that failed is never followed by one reported to have succeeded: the pages
 * it failed to write may be gone (PostgreSQL's fsync lesson). */
TEST(failed_flush_is_never_reported_as_success)
{
    const char *dir = check_tmpdir();
    seed(dir);
    run_traced("--flush-failure", dir, "0");
}

/* A durable commit whose sync fails says so, and nothing after it is reported durable. */
TEST(failed_durable_commit_breaks_the_handle)
{
    const char *dir = check_tmpdir();
    seed(dir);
    run_traced("--commit-failure", dir, "0");
}

/* Writes that fail (EIO, ENOSPC) or write half, and syncs that fail, at random points
 * of a durable run: every failure says so, no commit reported done is lost, and the
 * store reopens clean. */
TEST(injected_io_faults_lose_nothing_acknowledged)
{
    const char *runs_s = getenv("FAULT_RUNS");
    unsigned runs = runs_s ? (unsigned)atoi(runs_s) : 16, struck = 0;
    const char *dir = check_tmpdir();
    for (unsigned r = 0; r < runs; r++) {
        fault f = fault_draw();
        enum outcome o;
        char spec[64];
        fault_seen seen = fault_run(dir, &f, &o);
        fault_format(&f, spec, sizeof spec);
        CHECK_MSG(o == KEPT, "fault %s: %s after %u commits reported done", spec,
                  outcome_name[o], seen.acked);
        struck += seen.fired;
    }
    CHECK_MSG(struck > 0, "none of %u faults struck", runs);
}

static const check_case cases[] = {
    CASE(durable_commits_survive_power_cuts),
    CASE(periodic_commits_survive_power_cuts_but_the_last_interval),
    CASE(import_batches_survive_power_cuts),
    CASE(sealing_and_retention_survive_power_cuts),
    CASE(failed_flush_is_never_reported_as_success),
    CASE(failed_durable_commit_breaks_the_handle),
    CASE(injected_io_faults_lose_nothing_acknowledged),
};

static int measure(unsigned cuts)
{
    static const struct {
        const char *name;
        workload_kind w;
    } modes[] = {{"durable", ANSWERS_DURABLE},
                 {"periodic", ANSWERS_PERIODIC},
                 {"import", IMPORT},
                 {"sealing", SEALING}};
    printf("%-10s %6s", "mode", "cuts");
    for (int o = 0; o < N_OUTCOMES; o++)
        printf(" %13s", outcome_name[o]);
    printf("\n");
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        unsigned out[N_OUTCOMES];
        cut_run(modes[m].w, cuts, out);
        printf("%-10s %6u", modes[m].name, cuts);
        for (int o = 0; o < N_OUTCOMES; o++)
            printf(" %13u", out[o]);
        printf("\n");
    }
    return 0;
}

/* @p runs fault runs: per kind of fault, how many struck and how the stores reopened. */
static int measure_faults(unsigned runs)
{
    enum { KINDS = 4 };   /* write EIO, write ENOSPC, short write, sync EIO */
    static const char *const kind_name[KINDS] = {"write EIO", "write ENOSPC", "short write",
                                                 "sync EIO"};
    unsigned n[KINDS][2] = {{0}}, struck[KINDS][2] = {{0}}, failed[KINDS][2] = {{0}},
             out[KINDS][2][N_OUTCOMES] = {{{0}}};
    const char *dir = check_tmpdir();
    for (unsigned r = 0; r < runs; r++) {
        fault f = fault_draw();
        int k = f.kind == 's' ? 3 : f.err == EIO ? 0 : f.err == ENOSPC ? 1 : 2;
        enum outcome o;
        fault_seen seen = fault_run(dir, &f, &o);
        n[k][f.write_map]++;
        struck[k][f.write_map] += seen.fired;
        failed[k][f.write_map] += seen.failed > 0;
        out[k][f.write_map][o]++;
    }
    printf("%-13s %-9s %5s %7s %7s", "fault", "write_map", "runs", "struck", "failed");
    for (int o = 0; o < N_OUTCOMES; o++)
        printf(" %8s", outcome_name[o]);
    printf("\n");
    for (int k = 0; k < KINDS; k++)
        for (int w = 0; w < 2; w++) {
            printf("%-13s %-9s %5u %7u %7u", kind_name[k], w ? "yes" : "no", n[k][w],
                   struck[k][w], failed[k][w]);
            for (int o = 0; o < N_OUTCOMES; o++)
                printf(" %8u", out[k][w][o]);
            printf("\n");
        }
    return 0;
}

int main(int argc, char **argv)
{
    static char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 2;
    self = exe;
    if (argc == 4 && strcmp(argv[1], "--workload") == 0)
        return workload(argv[2], (qs_durability)atoi(argv[3]), 1);
    if (argc == 4 && strcmp(argv[1], "--import") == 0)
        return workload(argv[2], QS_SYNC_DURABLE, IMPORT_BATCH);
    if (argc == 4 && strcmp(argv[1], "--flush-failure") == 0)
        return flush_failure(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--commit-failure") == 0)
        return commit_failure(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--seal") == 0)
        return seal_workload(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--fault") == 0)
        return fault_child(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "--verify") == 0)
        verify_child(argv[2], strtoull(argv[3], NULL, 10));
    if (argc >= 3 && (strcmp(argv[1], "--measure") == 0 || strcmp(argv[1], "--faults") == 0)) {
        check_state.rng = argc > 3 ? strtoull(argv[3], NULL, 10) : CHECK_DEFAULT_SEED;
        verbose = 1;
        int rc = argv[1][2] == 'm' ? measure((unsigned)atoi(argv[2]))
                                   : measure_faults((unsigned)atoi(argv[2]));
        check_remove_tmpdirs();
        return rc;
    }
    return check_main(argc, argv, cases, NCASES(cases));
}
