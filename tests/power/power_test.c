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
 * --verify DIR PROMISE BACKUP), so a state that crashes the library is counted, not
 * fatal.
 * The answer workloads run with and without write_map; with it, the tracer finds
 * what went through the map by comparing it with its last copy (trace.c), so those
 * stores get a small map (WRITE_MAP_SIZE).
 *
 * The backup workload commits BACKUP_AT answers, backs the store up into its
 * directory "bk", then commits the rest. The tracer records the backup's files and
 * the changes to the directory's entries too; a cut keeps the entries' changes before
 * the directory's last sync and, in order, any number of those after it (a journal
 * keeps them in order), and of each file what a store file keeps. The backup must then be whole
 * (its MANIFEST there, and a restore of it opens clean with the BACKUP_AT answers)
 * once reported done, and before that whole or refused by qs_restore().
 *
 * The compaction workload compacts the store of a sealing run's history (qs_compact():
 * its new file built in "compact.partial", fsynced, renamed over data.mdb, the store's
 * directory fsynced, the log's header rewritten), then commits COMPACT_AFTER answers
 * to the compacted store. A cut keeps the old data file until the rename, and the
 * new one once the directory was synced after it; between the two, either. Every
 * acknowledged answer must be there.
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
#define WRITE_MAP_SIZE (16u << 20)
#define BACKUP_AT 60         /* answers committed before the backup workload's backup */
#define BACKUP_DIR "bk"      /* in the store's directory */
#define RESTORED_DIR "restored"
#define COMPACT_DIR "compact.partial"   /* qs_compact()'s, in the store's directory */
#define COMPACT_AFTER 6     /* answers committed after the compaction: the free slots */

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

static qs_options mode_options(qs_durability mode, int write_map)
{
    qs_options o = fx_options();
    o.durability = mode;
    o.sync_interval_ms = SYNC_INTERVAL_MS;
    if (write_map) {
        o.write_map = 1;
        o.map_size = WRITE_MAP_SIZE;   /* the tracer keeps a copy of the map */
    }
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

/* A backup of @p env into @p dir/BACKUP_DIR, reported done to the tracer. */
static int backup(qs_env *env, const char *dir)
{
    void (*done)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "power_trace_backup_done");
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, BACKUP_DIR);
    if (!done || qs_backup(env, path, 0) != 0)
        return 1;
    done();
    return 0;
}

/* The workload child: COMMITS answers, @p batch per commit, every commit acknowledged
 * to the tracer once it returned, and with @p backup_at a backup after that many;
 * MODE is the durability's number, followed by 'w' for write_map. Exit 0, or 1 when a
 * call failed. */
static int workload(const char *dir, const char *mode, unsigned batch, unsigned backup_at)
{
    void (*ack)(uint64_t) = (void (*)(uint64_t))dlsym(RTLD_DEFAULT, "power_trace_ack");
    fx_bank b;
    uint64_t tests[TESTS];
    qs_env *env = NULL;
    qs_options o = mode_options((qs_durability)atoi(mode), strchr(mode, 'w') != NULL);
    if (!ack || qs_env_open(dir, &o, &env) != 0 || seed_ids(env, &b, tests) != 0)
        return 1;
    for (unsigned i = 0; i < COMMITS; i += batch) {
        if (commit_answers(env, tests, &b, i, batch) != 0)
            return 1;
        ack(i + batch);
        if ((i + batch) % CHECKPOINT_EVERY == 0 && qs_env_checkpoint(env) != 0)
            return 1;
        if (i + batch == backup_at && backup(env, dir) != 0)
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
    qs_options o = mode_options(QS_SYNC_DURABLE, 0);
    qs_bucket_policy policy = {.size = sizeof policy, 1, 0, 30};
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

/* The compacting child (power_test --compact DIR 0): every answer of the history,
 * committed before the trace began, is promised; the store is compacted, then
 * COMPACT_AFTER more answers are committed durably, each acknowledged. Exit 0, or the
 * step that failed. */
static int compact_workload(const char *dir)
{
    void (*ack)(uint64_t) = (void (*)(uint64_t))dlsym(RTLD_DEFAULT, "power_trace_ack");
    qs_options o = mode_options(QS_SYNC_DURABLE, 0);
    qs_env *env = NULL;
    fx_bank b;
    uint64_t tests[TESTS];
    if (!ack)
        return 1;
    ack(COMMITS);
    if (qs_compact(dir, &o, NULL, NULL) != 0)
        return 2;
    if (qs_env_open(dir, &o, &env) != 0 || seed_ids(env, &b, tests) != 0)
        return 3;
    for (unsigned i = COMMITS; i < COMMITS + COMPACT_AFTER; i++) {
        if (commit_answer(env, tests, &b, i) != 0)
            return 4;
        ack(i + 1);
    }
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
    qs_options o = mode_options(QS_SYNC_DURABLE, 0);
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
    qs_options o = mode_options(QS_SYNC_PERIODIC, 0);
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
    qs_options o = mode_options(QS_SYNC_DURABLE, f.write_map);
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
    char type;                 /* trace.c's record types */
    uint64_t value;            /* W: offset; T: size; A: the commits acknowledged; ... */
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
        CHECK_MSG(at <= size && strchr("WSTwstANXYLRUDKME", o.type), "trace %s: bad record",
                  path);
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
#define SLOT_SHIFT 48   /* an 'X' record's value: slot << SLOT_SHIFT | offset */
#define BACKUP_FILE_OF(slot) (2 + (int)(slot))

static int file_of(const op *o)
{
    if (o->type == 'X')
        return BACKUP_FILE_OF(o->value >> SLOT_SHIFT);
    if (o->type == 'Y')
        return BACKUP_FILE_OF(o->value);
    return strchr("WST", o->type) ? 0 : strchr("wst", o->type) ? 1 : -1;
}

/* Op @p o applied whole, or (@p partial) each 512-byte sector of it with odds 1/2. */
static void apply(image *im, const op *o, int partial)
{
    if ((o->type == 'T' || o->type == 't') && (!partial || check_below(2)))
        image_truncate(im, o->value);
    if (o->type != 'W' && o->type != 'w' && o->type != 'X')
        return;
    uint64_t off = o->type == 'X' ? o->value & ((1ULL << SLOT_SHIFT) - 1) : o->value;
    for (uint32_t at = 0; at < o->len;) {
        uint32_t n = SECTOR - (uint32_t)((off + at) % SECTOR);
        if (n > o->len - at)
            n = o->len - at;
        if (!partial || check_below(2))
            image_write(im, off + at, o->data + at, n);
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

/* A file's ops among a trace's: whether op @p i is one of them. */
typedef int (*ops_of)(const trace *t, size_t i, const void *arg);

/* The state of the file whose ops @p in picks, after a cut before op @p k: the
 * baseline, every op of the file before its last sync, then those after it in part. */
static image state_of(const trace *t, const uint8_t *base, size_t base_len, size_t k,
                      ops_of in, const void *arg)
{
    image im = {0};
    size_t last_sync = 0;
    if (base_len)
        image_write(&im, 0, base, base_len);
    for (size_t i = 0; i < k; i++)
        if (in(t, i, arg) && strchr("SsY", t->ops[i].type))
            last_sync = i + 1;
    for (size_t i = 0; i < k; i++)
        if (in(t, i, arg))
            apply(&im, &t->ops[i], i >= last_sync);
    return im;
}

static int in_file(const trace *t, size_t i, const void *arg)
{
    return file_of(&t->ops[i]) == *(const int *)arg;
}

/* The state of file @p f (0 data, 1 log, BACKUP_FILE_OF(slot)) after a cut before op
 * @p k (state_of()). */
static image state_at(const trace *t, const uint8_t *base, size_t base_len, size_t k, int f)
{
    return state_of(t, base, base_len, k, in_file, &f);
}

/* ---- the data file of a compaction after a cut ------------------------------------ */

/* Where a compaction put its file in place: the 'M' op, the slot of the file it
 * moved, and the sync of the store's directory after it (t->n when none). */
typedef struct move {
    size_t at, synced;
    int slot;
} move;

static int new_data_op(const trace *t, size_t i, const void *arg)
{
    const move *m = arg;
    int f = file_of(&t->ops[i]);
    return f == BACKUP_FILE_OF(m->slot) || (f == 0 && i > m->at);
}

static int old_data_op(const trace *t, size_t i, const void *arg)
{
    return file_of(&t->ops[i]) == 0 && i < ((const move *)arg)->at;
}

/* The 'M' op before op @p k of @p t, if any (0 when there is none), the slot of the
 * file it moved (the last created under that name before it) and the first sync of
 * the store's directory after it, before @p k. */
static int move_before(const trace *t, size_t k, move *m)
{
    m->at = m->synced = t->n;
    m->slot = -1;
    for (size_t i = 0; i < k && m->at == t->n; i++)
        if (t->ops[i].type == 'M')
            m->at = i;
    if (m->at == t->n)
        return 0;
    const op *moved = &t->ops[m->at];
    for (size_t i = 0; i < m->at; i++)
        if (t->ops[i].type == 'N' && t->ops[i].len == moved->len &&
            memcmp(t->ops[i].data, moved->data, moved->len) == 0)
            m->slot = (int)t->ops[i].value;
    for (size_t i = m->at + 1; i < k && m->synced == t->n; i++)
        if (t->ops[i].type == 'E')
            m->synced = i;
    return 1;
}

/* The data file after a cut before op @p k of a compaction's trace: the old file
 * before the rename, the new one once the directory was synced after it, and between
 * the two either, drawn. */
static image compacted_data_at(const trace *t, const uint8_t *base, size_t base_len, size_t k)
{
    move m;
    if (!move_before(t, k, &m) || (m.synced == t->n && check_below(2)))
        return state_of(t, base, base_len, k, old_data_op, &m);
    CHECK_MSG(m.slot >= 0, "the compaction moved a file it never created");
    return state_of(t, NULL, 0, k, new_data_op, &m);
}

/* ---- the backup directory after a cut ------------------------------------------ */

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
#define MAX_BACKUP_FILES 16

typedef struct entry {
    char name[256];
    unsigned slot;
} entry;

/* The backup directory's entries, each naming the slot of its file. */
typedef struct backup_state {
    entry entries[MAX_BACKUP_FILES];
    unsigned n_entries;
} backup_state;

static int is_entry_op(char type)
{
    return type == 'N' || type == 'L' || type == 'R' || type == 'U';
}

static entry *entry_find(backup_state *b, const char *name)
{
    for (unsigned i = 0; i < b->n_entries; i++)
        if (strcmp(b->entries[i].name, name) == 0)
            return &b->entries[i];
    return NULL;
}

static void entry_set(backup_state *b, const char *name, unsigned slot)
{
    entry *e = entry_find(b, name);
    if (!e) {
        CHECK(b->n_entries < MAX_BACKUP_FILES);
        e = &b->entries[b->n_entries++];
        snprintf(e->name, sizeof e->name, "%s", name);
    }
    e->slot = slot;
}

static void entry_drop(backup_state *b, const char *name)
{
    entry *e = entry_find(b, name);
    if (e)
        *e = b->entries[--b->n_entries];
}

/* A change of the directory's entries (trace.c: N, L, R, U). */
static void entry_apply(backup_state *b, const op *o)
{
    char from[256], to[256] = "";
    snprintf(from, sizeof from, "%.*s", (int)strnlen((const char *)o->data, o->len), o->data);
    if (strlen(from) + 1 < o->len)
        snprintf(to, sizeof to, "%.*s", (int)(o->len - strlen(from) - 1),
                 o->data + strlen(from) + 1);
    entry *old = entry_find(b, from);
    if (o->type == 'N') {
        entry_set(b, from, (unsigned)o->value);
    } else if (o->type == 'U') {
        entry_drop(b, from);
    } else if (old) {   /* L, R */
        entry_set(b, to, old->slot);
        if (o->type == 'R')
            entry_drop(b, from);
    }
}

/* The backup directory's entries after a cut before op @p k: the changes before the
 * directory's last sync, and of those after it the first few, as many as drawn. */
static void backup_at(const trace *t, size_t k, backup_state *b)
{
    size_t dir_sync = 0, after = 0;
    memset(b, 0, sizeof *b);
    for (size_t i = 0; i < k; i++)
        if (t->ops[i].type == 'D')
            dir_sync = i + 1;
    for (size_t i = dir_sync; i < k; i++)
        after += is_entry_op(t->ops[i].type);
    size_t keep = (size_t)check_below(after + 1);
    for (size_t i = 0; i < k; i++)
        if (is_entry_op(t->ops[i].type) && (i < dir_sync || keep-- > 0))
            entry_apply(b, &t->ops[i]);
}

/* The backup directory after a cut before op @p k of @p t, as @p dir/BACKUP_DIR: its
 * entries by backup_at(), each file as a store file's (state_at()); and no
 * RESTORED_DIR beside it. */
static void backup_put(const char *dir, const trace *t, size_t k)
{
    char path[600];
    backup_state b;
    backup_at(t, k, &b);
    snprintf(path, sizeof path, "%s/%s", dir, RESTORED_DIR);
    check_rmtree(path);
    snprintf(path, sizeof path, "%s/%s", dir, BACKUP_DIR);
    check_rmtree(path);
    CHECK(mkdir(path, 0755) == 0);
    for (unsigned i = 0; i < b.n_entries; i++) {
        image im = state_at(t, NULL, 0, k, BACKUP_FILE_OF(b.entries[i].slot));
        file_put(path, b.entries[i].name, &im);
        free(im.b);
    }
}

/* The ops of the backup itself, from its first file's creation to its report: a cut
 * at random falls among its few records seldom, so every other cut of the backup
 * workload is drawn there. */
static void backup_window(const trace *t, size_t *from, size_t *to)
{
    size_t i = 0;
    while (i < t->n && t->ops[i].type != 'N')
        i++;
    for (*from = i; i < t->n; i++)
        if (t->ops[i].type == 'K' || t->ops[i].type == 'M')
            *to = t->ops[i].type == 'K' ? i + 1 : t->n;   /* a compaction: to the end */
}

/* What a cut before op @p k may find of the backup: "none" before it began, "whole"
 * once reported done, else "either". */
static const char *backup_promise(const trace *t, size_t k)
{
    const char *p = "none";
    for (size_t i = 0; i < k; i++)
        if (t->ops[i].type == 'N')
            p = "either";
        else if (t->ops[i].type == 'K')
            p = "whole";
    return p;
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

/* The store in @p store_dir opens and checks clean; its answers in *answers. Else the
 * checking child ends, saying why in @p dir. */
static void check_store(const char *dir, const char *store_dir, size_t *answers)
{
    qs_env *env = NULL;
    qs_txn *txn;
    qs_options o = fx_options();
    static qs_check_report rows[256];
    size_t n = 0;
    *answers = 0;
    if (qs_env_open(store_dir, &o, &env) != 0)
        fail_child(dir, REFUSED, qs_errmsg());
    if (qs_txn_begin(env, QS_TXN_RDONLY, &txn) != 0 || qs_check(txn, rows, 256, &n) != 0)
        fail_child(dir, DAMAGED, qs_errmsg());
    for (size_t i = 0; i < n && i < 256; i++)
        if (rows[i].findings)
            fail_child(dir, DAMAGED, rows[i].first_finding);
    if (qs_answer_scan(txn, FX_T0, FX_T0 + FX_DAY_MS, fx_count_answer, answers) != 0)
        fail_child(dir, DAMAGED, qs_errmsg());
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* The backup in @p dir/BACKUP_DIR by @p promise (backup_promise()): a backup with its
 * MANIFEST restores into a store that checks clean and holds the BACKUP_AT answers;
 * one without is refused by qs_restore(), and may be so only before it was reported
 * done. */
static void check_backup(const char *dir, const char *promise)
{
    char bk[600], restored[600], manifest[700], why[700];
    struct stat st;
    size_t answers;
    if (strcmp(promise, "none") == 0)
        return;
    snprintf(bk, sizeof bk, "%s/%s", dir, BACKUP_DIR);
    snprintf(restored, sizeof restored, "%s/%s", dir, RESTORED_DIR);
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", bk);
    int whole = stat(manifest, &st) == 0, rc = qs_restore(bk, restored);
    if (!whole && strcmp(promise, "whole") == 0)
        fail_child(dir, LOST, "the backup was reported done, but its MANIFEST is gone");
    if (!whole && rc == 0)
        fail_child(dir, DAMAGED, "a backup without its MANIFEST was restored");
    if (!whole)
        return;
    if (rc != 0) {
        snprintf(why, sizeof why, "restoring a backup with its MANIFEST: %s", qs_errmsg());
        fail_child(dir, DAMAGED, why);
    }
    check_store(dir, restored, &answers);
    if (answers != BACKUP_AT) {
        snprintf(why, sizeof why, "the restored backup holds %zu answers, not %u", answers,
                 BACKUP_AT);
        fail_child(dir, DAMAGED, why);
    }
}

/* The checking child (power_test --verify DIR PROMISE BACKUP): the store in @p dir
 * opens, its check is clean, it holds at least @p promise of the workload's answers,
 * and its backup is as @p backup promises. Exits with the outcome. */
__attribute__((noreturn)) static void verify_child(const char *dir, uint64_t promise,
                                                   const char *backup)
{
    size_t answers;
    check_store(dir, dir, &answers);
    if (answers < promise) {
        char why[96];
        snprintf(why, sizeof why, "%zu answers, %llu promised", answers,
                 (unsigned long long)promise);
        fail_child(dir, LOST, why);
    }
    check_backup(dir, backup);
    _exit(KEPT);
}

/* The store in @p dir, and its backup by @p backup (backup_promise()), checked by a
 * child of its own (--verify). */
static enum outcome verify_store(const char *dir, uint64_t promise, const char *backup)
{
    char path[600];
    char promise_arg[24];
    snprintf(promise_arg, sizeof promise_arg, "%llu", (unsigned long long)promise);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl(self, self, "--verify", dir, promise_arg, backup, (char *)NULL);
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
static enum outcome verify(const char *dir, const image im[2], uint64_t promise,
                           const char *backup)
{
    file_put(dir, "data.mdb", &im[0]);
    file_put(dir, LOG_FILE, &im[1]);
    return verify_store(dir, promise, backup);
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
    char lib[600], trace_file[600], data[600], log[600], bk[600];
    tracer_path(lib, sizeof lib);
    snprintf(trace_file, sizeof trace_file, "%s/trace", dir);
    snprintf(bk, sizeof bk, "%s/%s", dir,
             strcmp(what, "--compact") == 0 ? COMPACT_DIR : BACKUP_DIR);
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    snprintf(log, sizeof log, "%s/%s", dir, LOG_FILE);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        setenv("LD_PRELOAD", lib, 1);
        setenv("POWER_TRACE", trace_file, 1);
        setenv("POWER_DATA", data, 1);
        setenv("POWER_LOG", log, 1);
        setenv("POWER_BACKUP", bk, 1);
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
 * as `quizstore import` commits by default), sealing and retention, or durable
 * single-answer commits with a backup among them. */
typedef enum workload_kind {
    ANSWERS_DURABLE,
    ANSWERS_PERIODIC,
    ANSWERS_DURABLE_MAP,
    ANSWERS_PERIODIC_MAP,
    IMPORT,
    SEALING,
    BACKUP,
    COMPACTION
} workload_kind;

static const char *const workload_arg[] = {"--workload", "--workload", "--workload",
                                           "--workload", "--import",   "--seal",
                                           "--backup",   "--compact"};

static qs_durability mode_of(workload_kind w)
{
    return w == ANSWERS_PERIODIC || w == ANSWERS_PERIODIC_MAP ? QS_SYNC_PERIODIC
                                                              : QS_SYNC_DURABLE;
}

static void traced_workload(const char *dir, workload_kind w, trace *t)
{
    char trace_file[600];
    char mode_s[16];
    snprintf(mode_s, sizeof mode_s, "%d%s", (int)mode_of(w),
             w == ANSWERS_DURABLE_MAP || w == ANSWERS_PERIODIC_MAP ? "w" : "");
    run_traced(workload_arg[w], dir, mode_s);
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
    if (w == SEALING || w == COMPACTION)
        seed_history(dir);
    snprintf(path[0], sizeof path[0], "%s/data.mdb", dir);
    snprintf(path[1], sizeof path[1], "%s/%s", dir, LOG_FILE);
    for (int f = 0; f < 2; f++)
        base[f] = slurp(path[f], &base_len[f]);
    if (w == BACKUP) {
        char bk[600];
        snprintf(bk, sizeof bk, "%s/%s", dir, BACKUP_DIR);
        CHECK(mkdir(bk, 0755) == 0);
    }
    traced_workload(dir, w, &t);
    if (verbose) {
        size_t writes = 0, syncs = 0;
        for (size_t i = 0; i < t.n; i++) {
            writes += strchr("WwX", t.ops[i].type) != NULL;
            syncs += strchr("SsYD", t.ops[i].type) != NULL;
        }
        fprintf(stderr, "  trace: %zu writes, %zu syncs, %zu records\n", writes, syncs, t.n);
    }
    memset(out, 0, N_OUTCOMES * sizeof *out);
    size_t from = 0, to = 0;
    if (w == BACKUP || w == COMPACTION)
        backup_window(&t, &from, &to);
    for (unsigned c = 0; c < cuts; c++) {
        size_t k = c % 2 && to > from ? from + (size_t)check_below(to - from + 1)
                                      : (size_t)check_below(t.n + 1);
        image im[2];
        for (int f = 0; f < 2; f++)
            im[f] = state_at(&t, base[f], base_len[f], k, f);
        if (w == COMPACTION) {
            free(im[0].b);
            im[0] = compacted_data_at(&t, base[0], base_len[0], k);
        }
        if (w == BACKUP)
            backup_put(cut_dir, &t, k);
        out[verify(cut_dir, im, promised(&t, k, mode), backup_promise(&t, k))]++;
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
    *o = verify_store(dir, seen.acked, "none");
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

TEST(durable_commits_through_a_map_survive_power_cuts)
{
    every_cut_keeps_its_promise(ANSWERS_DURABLE_MAP);
}

TEST(periodic_commits_through_a_map_survive_power_cuts_but_the_last_interval)
{
    every_cut_keeps_its_promise(ANSWERS_PERIODIC_MAP);
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

/* A backup taken between durable commits: a cut anywhere keeps every acknowledged
 * commit, and leaves the backup whole once it was reported done, and before that
 * whole or refused by a restore. */
TEST(backup_survives_power_cuts)
{
    every_cut_keeps_its_promise(BACKUP);
}

/* A compaction puts a new data file in place and rewrites the log's header, then the
 * store takes commits: a cut anywhere keeps every acknowledged answer. */
TEST(compaction_survives_power_cuts)
{
    every_cut_keeps_its_promise(COMPACTION);
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
    CASE(durable_commits_through_a_map_survive_power_cuts),
    CASE(periodic_commits_through_a_map_survive_power_cuts_but_the_last_interval),
    CASE(import_batches_survive_power_cuts),
    CASE(sealing_and_retention_survive_power_cuts),
    CASE(backup_survives_power_cuts),
    CASE(compaction_survives_power_cuts),
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
                 {"durable, write_map", ANSWERS_DURABLE_MAP},
                 {"periodic, write_map", ANSWERS_PERIODIC_MAP},
                 {"import", IMPORT},
                 {"sealing", SEALING},
                 {"backup", BACKUP},
                 {"compaction", COMPACTION}};
    printf("%-20s %6s", "workload", "cuts");
    for (int o = 0; o < N_OUTCOMES; o++)
        printf(" %13s", outcome_name[o]);
    printf("\n");
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        unsigned out[N_OUTCOMES];
        cut_run(modes[m].w, cuts, out);
        printf("%-20s %6u", modes[m].name, cuts);
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
        return workload(argv[2], argv[3], 1, 0);
    if (argc == 4 && strcmp(argv[1], "--import") == 0)
        return workload(argv[2], argv[3], IMPORT_BATCH, 0);
    if (argc == 4 && strcmp(argv[1], "--backup") == 0)
        return workload(argv[2], argv[3], 1, BACKUP_AT);
    if (argc == 4 && strcmp(argv[1], "--flush-failure") == 0)
        return flush_failure(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--commit-failure") == 0)
        return commit_failure(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--seal") == 0)
        return seal_workload(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--compact") == 0)
        return compact_workload(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--fault") == 0)
        return fault_child(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "--verify") == 0)
        verify_child(argv[2], strtoull(argv[3], NULL, 10), argv[4]);
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
