/* Tests hot backups and restores: byte-identical round trips, a backup taken while a
 * writer commits, damaged backups refused before anything is written, and failures;
 * and compaction in place: the same entries in a smaller file, refused while the store
 * is open elsewhere or damaged, racing with opens, killed at any moment, failing to
 * write. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <xxhash.h>

#include "check.h"
#include "fixture.h"

#define OCT_2025 1759276800000LL   /* 2025-10-01T00:00:00Z */
#define DEC_2025 1764547200000LL
#define PATHBUF 4096

/* ------------------------------------------------------------------ files */

/* DIR/NAME in memory of its own; every path stays reachable (and valid) until exit. */
static const char *path_of(const char *dir, const char *name)
{
    static char **paths;
    static size_t n_paths;
    char *p = malloc(PATHBUF);
    char **grown = realloc(paths, (n_paths + 1) * sizeof *paths);
    CHECK(p != NULL && grown != NULL);
    paths = grown;
    paths[n_paths++] = p;
    snprintf(p, PATHBUF, "%s/%s", dir, name);
    return p;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static long long file_size(const char *path)
{
    struct stat st;
    CHECK_MSG(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
    return (long long)st.st_size;
}

/* Entries of directory @p dir ("." and ".." not counted); -1 if it does not exist. */
static int dir_entries(const char *dir)
{
    char cmd[PATHBUF + 64];
    snprintf(cmd, sizeof cmd, "ls -A '%s' 2>/dev/null | wc -l", dir);
    if (!file_exists(dir))
        return -1;
    FILE *f = popen(cmd, "r");
    int n = -1;
    CHECK(f != NULL);
    CHECK(fscanf(f, "%d", &n) == 1);
    pclose(f);
    return n;
}

/* The whole file into a malloc'ed, NUL-terminated buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "open %s: %s", path, strerror(errno));
    char *buf = malloc(1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void spit(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "open %s: %s", path, strerror(errno));
    CHECK(fwrite(text, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

/* XXH3-64 of the whole file at @p path. */
static uint64_t file_hash(const char *path)
{
    uint8_t buf[1 << 16];
    ssize_t n;
    int fd = open(path, O_RDONLY);
    XXH3_state_t *st = XXH3_createState();
    CHECK(fd >= 0 && st != NULL);
    XXH3_64bits_reset(st);
    while ((n = read(fd, buf, sizeof buf)) > 0)
        XXH3_64bits_update(st, buf, (size_t)n);
    close(fd);
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

static void flip_byte(const char *path, long long at)
{
    int fd = open(path, O_RDWR);
    unsigned char c;
    CHECK(fd >= 0);
    CHECK(pread(fd, &c, 1, at) == 1);
    c ^= 0x20;
    CHECK(pwrite(fd, &c, 1, at) == 1);
    close(fd);
}

/* The manifest with its 'end' line recomputed, as a careful forger would. */
static void reseal_manifest(const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    char *end = strstr(text, "\nend ");
    CHECK(end != NULL);
    size_t body = (size_t)(end - text) + 1;
    snprintf(text + body, 64, "end %016llx\n",
             (unsigned long long)XXH3_64bits(text, body));
    spit(path, text, strlen(text));
    free(text);
}

/* Replace the first @p from in the file at @p path by @p to. */
static void edit_file(const char *path, const char *from, const char *to)
{
    size_t len;
    char *text = slurp(path, &len);
    char *at = strstr(text, from);
    CHECK_MSG(at != NULL, "no '%s' in %s", from, path);
    char *out = malloc(len + strlen(to) + 1);
    size_t head = (size_t)(at - text);
    memcpy(out, text, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    spit(path, out, strlen(out));
    free(out);
    free(text);
}

/* ------------------------------------------------------------------ stores */

/* A store of two months of answers (the older one sealed), interactions, and more
 * tests than the bank's, in @p dir. Left closed. */
static void build_store(const char *dir)
{
    qs_env *env = fx_open(dir, NULL);
    fx_bank b;
    char ext[32];
    fx_bank_build(env, &b);
    qs_txn *txn = fx_write(env);
    for (unsigned t = 0; t < 40; t++) {
        unsigned u = t % 2;
        int64_t base = (t < 20 ? OCT_2025 : DEC_2025) + (int64_t)t * FX_HOUR_MS;
        snprintf(ext, sizeof ext, "bt-%u", t);
        uint64_t test = fx_test(txn, ext, b.users[u], 1, NULL, 0, base);
        for (unsigned q = 0; q < FX_BANK_QUESTIONS; q++)
            fx_answer(txn, test, b.questions[q], (int8_t)((t + q) % 4), base + q * 60000);
        for (unsigned i = 0; i < 12; i++) {
            char payload[32];
            int len = snprintf(payload, sizeof payload, "{\"t\":%u,\"i\":%u}", t, i);
            qs_interaction ix = {b.users[u], (uint8_t)(1 + i % 8), base + i * 1000, payload,
                                 (size_t)len};
            CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
        }
    }
    fx_commit(txn);
    txn = fx_write(env);
    CHECK_RC(qs_bucket_seal(txn, QS_TABLE_ANSWERS, OCT_2025, FX_T0, NULL), 0);
    CHECK_RC(qs_bucket_seal(txn, QS_TABLE_INTERACTIONS, OCT_2025, FX_T0, NULL), 0);
    fx_commit(txn);
    qs_env_close(env);
}

static void backup_of(const char *store, const char *dir, unsigned flags)
{
    qs_env *env = fx_open(store, NULL);
    CHECK_RC(qs_backup(env, dir, flags), 0);
    qs_env_close(env);
}

/* ------------------------------------------------------------------ comparing */

typedef struct raw_env {
    MDB_env *env;
    MDB_txn *txn;
    MDB_cursor *main;
} raw_env;

#define RAW(expr)                                                                       \
    do {                                                                                \
        int raw_rc_ = (expr);                                                           \
        CHECK_MSG(raw_rc_ == 0, "%s: %s", #expr, mdb_strerror(raw_rc_));                \
    } while (0)

static void raw_begin(raw_env *r, const char *dir)
{
    MDB_dbi main_dbi;
    RAW(mdb_env_create(&r->env));
    RAW(mdb_env_set_maxdbs(r->env, 4096));
    RAW(mdb_env_open(r->env, dir, MDB_RDONLY, 0644));
    RAW(mdb_txn_begin(r->env, NULL, MDB_RDONLY, &r->txn));
    RAW(mdb_dbi_open(r->txn, NULL, 0, &main_dbi));
    RAW(mdb_cursor_open(r->txn, main_dbi, &r->main));
}

static void raw_end(raw_env *r)
{
    mdb_cursor_close(r->main);
    mdb_txn_abort(r->txn);
    mdb_env_close(r->env);
}

/* The same entries, byte for byte, in database @p name of both; returns how many. */
static uint64_t same_db(raw_env *a, raw_env *b, const char *name)
{
    MDB_dbi da, db;
    MDB_cursor *ca, *cb;
    MDB_val ka, va, kb, vb;
    uint64_t n = 0;
    RAW(mdb_dbi_open(a->txn, name, 0, &da));
    RAW(mdb_dbi_open(b->txn, name, 0, &db));
    RAW(mdb_cursor_open(a->txn, da, &ca));
    RAW(mdb_cursor_open(b->txn, db, &cb));
    int ra = mdb_cursor_get(ca, &ka, &va, MDB_FIRST);
    int rb = mdb_cursor_get(cb, &kb, &vb, MDB_FIRST);
    while (ra == 0 && rb == 0) {
        CHECK_MSG(ka.mv_size == kb.mv_size && memcmp(ka.mv_data, kb.mv_data, ka.mv_size) == 0,
                  "database %s: entry %llu has another key", name, (unsigned long long)n);
        CHECK_MSG(va.mv_size == vb.mv_size && memcmp(va.mv_data, vb.mv_data, va.mv_size) == 0,
                  "database %s: entry %llu has another value", name, (unsigned long long)n);
        n++;
        ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
        rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
    }
    CHECK_MSG(ra == MDB_NOTFOUND && rb == MDB_NOTFOUND,
              "database %s: after %llu entries: %s / %s", name, (unsigned long long)n,
              mdb_strerror(ra), mdb_strerror(rb));
    mdb_cursor_close(ca);
    mdb_cursor_close(cb);
    return n;
}

/* Every named database of the closed stores in @p a and @p b holds the same entries.
 * Sets the number of databases and of entries compared. */
static void same_stores(const char *a_dir, const char *b_dir, size_t *dbs, uint64_t *entries)
{
    raw_env a, b;
    MDB_val ka, va, kb, vb;
    char name[64];
    *dbs = 0;
    *entries = 0;
    raw_begin(&a, a_dir);
    raw_begin(&b, b_dir);
    int ra = mdb_cursor_get(a.main, &ka, &va, MDB_FIRST);
    int rb = mdb_cursor_get(b.main, &kb, &vb, MDB_FIRST);
    while (ra == 0 && rb == 0) {
        CHECK(ka.mv_size < sizeof name);
        snprintf(name, sizeof name, "%.*s", (int)ka.mv_size, (const char *)ka.mv_data);
        CHECK_MSG(kb.mv_size == ka.mv_size && memcmp(ka.mv_data, kb.mv_data, ka.mv_size) == 0,
                  "database %s: the other store has %.*s", name, (int)kb.mv_size,
                  (const char *)kb.mv_data);
        *entries += same_db(&a, &b, name);
        ++*dbs;
        ra = mdb_cursor_get(a.main, &ka, &va, MDB_NEXT);
        rb = mdb_cursor_get(b.main, &kb, &vb, MDB_NEXT);
    }
    CHECK_MSG(ra == MDB_NOTFOUND && rb == MDB_NOTFOUND, "after %zu databases: %s / %s", *dbs,
              mdb_strerror(ra), mdb_strerror(rb));
    raw_end(&a);
    raw_end(&b);
}

static uint64_t answers_in(qs_txn *txn)
{
    return fx_answers_in(txn, 0, FX_T0 + 365 * FX_DAY_MS);
}

/* ------------------------------------------------------------------ round trips */

static void round_trip(unsigned flags)
{
    const char *src = check_tmpdir();
    const char *bak = path_of(check_tmpdir(), "backup");   /* made by qs_backup */
    const char *dst = path_of(check_tmpdir(), "restored");
    const char *data = flags ? "data.mdb.zst" : "data.mdb";
    size_t dbs;
    uint64_t entries;

    build_store(src);
    backup_of(src, bak, flags);
    CHECK_EQ(dir_entries(bak), 2);
    CHECK(file_exists(path_of(bak, data)));
    char *manifest = slurp(path_of(bak, "MANIFEST"), NULL);
    CHECK_MSG(strncmp(manifest, "quizstore-backup 1\nstore-format 5\nlibrary ", 42) == 0,
              "manifest: %s", manifest);
    char line[128];
    snprintf(line, sizeof line, "\nfile %s %lld ", data, file_size(path_of(bak, data)));
    CHECK_MSG(strstr(manifest, line) != NULL, "no '%s' in: %s", line + 1, manifest);
    CHECK((strstr(manifest, " raw ") != NULL) == (flags != 0));
    free(manifest);

    CHECK_RC(qs_restore(bak, dst), 0);
    CHECK_EQ(dir_entries(dst), 1);           /* data.mdb alone, no temporary left */
    same_stores(src, dst, &dbs, &entries);
    CHECK_MSG(dbs >= 27 && entries > 1000, "%zu databases, %llu entries", dbs,
              (unsigned long long)entries);

    /* The restored store opens, reads as the source did, and takes writes. */
    qs_env *a = fx_open(src, NULL), *b = fx_open(dst, NULL);
    qs_txn *ta = fx_read(a), *tb = fx_read(b);
    fx_aggregates fa, fb;
    fx_aggregates_read(ta, 1, 1, 1, FX_T0, &fa);
    fx_aggregates_read(tb, 1, 1, 1, FX_T0, &fb);
    CHECK(fx_aggregates_equal(&fa, &fb));
    CHECK_EQ(answers_in(tb), 480);
    fx_check_clean_txn(tb);
    qs_txn_abort(ta);
    qs_txn_abort(tb);
    qs_env_close(a);
    qs_txn *w = fx_write(b);
    fx_user(w, "after-restore", FX_T0);
    fx_commit(w);
    qs_env_close(b);
}

TEST(round_trip_plain)
{
    round_trip(0);
}

TEST(round_trip_compressed)
{
    round_trip(QS_BACKUP_COMPRESS);
}

TEST(compressed_is_smaller)
{
    const char *src = check_tmpdir();
    const char *plain = path_of(check_tmpdir(), "plain");
    const char *zst = path_of(check_tmpdir(), "zst");
    build_store(src);
    backup_of(src, plain, 0);
    backup_of(src, zst, QS_BACKUP_COMPRESS);
    long long raw = file_size(path_of(plain, "data.mdb"));
    long long packed = file_size(path_of(zst, "data.mdb.zst"));
    CHECK_MSG(packed * 3 < raw, "%lld compressed bytes of %lld", packed, raw);
    /* Compaction: the copy is no larger than the store's own file. */
    CHECK(raw <= file_size(path_of(src, "data.mdb")));
}

/* ------------------------------------------------------------------ under writes */

#define WRITER_ANSWERS FX_BANK_QUESTIONS   /* answers per commit: one test's worth */

typedef struct writer {
    qs_env *env;
    const fx_bank *b;
    volatile int stop;
    uint64_t commits;          /* committed so far (atomic) */
    int failed;
} writer;

static int write_one_test(writer *w, uint64_t k)
{
    char ext[32];
    qs_test t = {.size = sizeof t};
    qs_txn *txn;
    uint64_t test;
    int64_t at = DEC_2025 + (int64_t)k * 60000;
    int rc = qs_txn_begin(w->env, 0, &txn);
    if (rc)
        return rc;
    snprintf(ext, sizeof ext, "w-%llu", (unsigned long long)k);
    fx_test_init(&t, ext, w->b->users[k % 2], 1, NULL, 0, at);
    rc = qs_test_put(txn, &t, &test);
    for (unsigned q = 0; q < WRITER_ANSWERS && rc == 0; q++) {
        qs_answer a;
        fx_answer_init(&a, test, w->b->questions[q], QS_ANSWERED, QS_GRADE,
                       (int8_t)((k + q) % 4), at + q);
        rc = qs_answer_submit(txn, &a, NULL);
    }
    if (rc) {
        qs_txn_abort(txn);
        return rc;
    }
    return qs_txn_commit(txn);
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    uint64_t k = __atomic_load_n(&w->commits, __ATOMIC_ACQUIRE);
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        if (write_one_test(w, k) != 0) {
            w->failed = 1;
            break;
        }
        __atomic_store_n(&w->commits, ++k, __ATOMIC_RELEASE);
    }
    return NULL;
}

static uint64_t commits_of(writer *w)
{
    return __atomic_load_n(&w->commits, __ATOMIC_ACQUIRE);
}

#define SNAPSHOTS 4

TEST(backup_while_writing)
{
    const char *src = check_tmpdir();
    const char *bak_root = check_tmpdir();
    qs_options opts = {.size = sizeof opts};
    opts = fx_options();
    opts.durability = QS_SYNC_PERIODIC;
    qs_env *env = fx_open(src, &opts);
    fx_bank b;
    fx_bank_build(env, &b);
    writer w = {env, &b, 0, 0, 0};
    for (uint64_t k = 0; k < 150; k++)      /* a store worth copying */
        CHECK_RC(write_one_test(&w, w.commits++), 0);

    pthread_t thread;
    uint64_t before[SNAPSHOTS], after[SNAPSHOTS];
    CHECK(pthread_create(&thread, NULL, writer_main, &w) == 0);
    while (commits_of(&w) < 160 && !w.failed)
        sched_yield();
    int rcs[SNAPSHOTS];
    for (int i = 0; i < SNAPSHOTS; i++) {
        char name[16];
        snprintf(name, sizeof name, "b%d", i);
        before[i] = commits_of(&w);
        rcs[i] = qs_backup(env, path_of(bak_root, name), i % 2 ? QS_BACKUP_COMPRESS : 0);
        after[i] = commits_of(&w);
    }
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
    pthread_join(thread, NULL);
    CHECK(!w.failed);
    qs_env_close(env);

    uint64_t overlapped = 0;
    for (int i = 0; i < SNAPSHOTS; i++) {
        char name[16], restored[16];
        CHECK_RC(rcs[i], 0);
        snprintf(name, sizeof name, "b%d", i);
        snprintf(restored, sizeof restored, "r%d", i);
        const char *dst = path_of(bak_root, restored);
        CHECK_RC(qs_restore(path_of(bak_root, name), dst), 0);
        qs_env *r = fx_open(dst, NULL);
        qs_txn *txn = fx_read(r);
        uint64_t n = answers_in(txn);
        /* Exactly the answers of a whole number of commits, made between the call's
         * start and its end; the aggregates and indexes agree with them. */
        CHECK_MSG(n % WRITER_ANSWERS == 0, "backup %d: %llu answers", i,
                  (unsigned long long)n);
        CHECK_MSG(n / WRITER_ANSWERS >= before[i] && n / WRITER_ANSWERS <= after[i],
                  "backup %d: %llu commits, made between %llu and %llu", i,
                  (unsigned long long)(n / WRITER_ANSWERS), (unsigned long long)before[i],
                  (unsigned long long)after[i]);
        qs_dashboard d0 = {.size = sizeof d0}, d1 = {.size = sizeof d1};
        CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0, &d0), 0);
        CHECK_RC(qs_dashboard_get(txn, b.users[1], FX_T0, &d1), 0);
        CHECK_EQ(d0.summary.answered + d1.summary.answered, n);
        fx_check_clean_txn(txn);
        qs_txn_abort(txn);
        qs_env_close(r);
        overlapped += after[i] - before[i];
    }
    /* The writer went on while the copies ran. */
    CHECK_MSG(overlapped > 0, "no commit happened during %d backups", SNAPSHOTS);
}

/* ------------------------------------------------------------------ damage */

/* A backup of a fresh store in a temporary directory. */
static const char *fresh_backup(unsigned flags)
{
    const char *src = check_tmpdir();
    const char *bak = path_of(check_tmpdir(), "backup");
    static char out[PATHBUF];
    build_store(src);
    backup_of(src, bak, flags);
    snprintf(out, sizeof out, "%s", bak);
    return out;
}

/* Restoring @p bak fails with @p rc, detail naming @p needle, and writes nothing:
 * a new target is not created and an empty one stays empty. */
static void refused(const char *bak, int rc, const char *needle)
{
    const char *work = check_tmpdir();
    const char *fresh = path_of(work, "new");
    const char *empty = path_of(work, "empty");
    CHECK(mkdir(empty, 0777) == 0);
    CHECK_RC(qs_restore(bak, fresh), rc);
    CHECK_MSG(strstr(qs_errmsg(), needle) != NULL, "errmsg '%s' does not name '%s'",
              qs_errmsg(), needle);
    CHECK_EQ(dir_entries(fresh), -1);
    CHECK_RC(qs_restore(bak, empty), rc);
    CHECK_EQ(dir_entries(empty), 0);
}

TEST(flipped_byte_is_corrupt)
{
    const char *bak = fresh_backup(0);
    const char *data = path_of(bak, "data.mdb");
    flip_byte(data, file_size(data) / 2);
    refused(bak, QS_CORRUPT, "data.mdb: xxh3");
}

TEST(flipped_byte_in_compressed_is_corrupt)
{
    const char *bak = fresh_backup(QS_BACKUP_COMPRESS);
    const char *data = path_of(bak, "data.mdb.zst");
    flip_byte(data, file_size(data) - 5);
    refused(bak, QS_CORRUPT, "data.mdb.zst: xxh3");
}

TEST(truncated_file_is_corrupt)
{
    const char *bak = fresh_backup(QS_BACKUP_COMPRESS);
    const char *data = path_of(bak, "data.mdb.zst");
    CHECK(truncate(data, file_size(data) - 100) == 0);
    refused(bak, QS_CORRUPT, "data.mdb.zst:");
    CHECK(truncate(data, 0) == 0);
    refused(bak, QS_CORRUPT, "0 bytes");
}

TEST(edited_manifest_is_corrupt)
{
    const char *bak = fresh_backup(0);
    const char *manifest = path_of(bak, "MANIFEST");
    size_t len;
    char *orig = slurp(manifest, &len);

    /* A changed size: the end line's hash no longer matches. */
    edit_file(manifest, "\nfile data.mdb ", "\nfile data.mdb 1");
    refused(bak, QS_CORRUPT, "line 6");
    /* The same with the hash recomputed: the size is checked against the file. */
    reseal_manifest(manifest);
    refused(bak, QS_CORRUPT, "bytes, the manifest says");
    /* Malformed lines, hash recomputed: each named. */
    spit(manifest, orig, len);
    edit_file(manifest, "\nfile data.mdb ", "\nfile ../data.mdb ");
    reseal_manifest(manifest);
    refused(bak, QS_CORRUPT, "line 5");
    spit(manifest, orig, len);
    edit_file(manifest, "\ncreated ", "\ncreated  ");
    reseal_manifest(manifest);
    refused(bak, QS_CORRUPT, "line 4");
    spit(manifest, orig, len);
    edit_file(manifest, "\nlibrary ", "\nversion ");
    reseal_manifest(manifest);
    refused(bak, QS_CORRUPT, "line 3: expected a 'library' line");
    /* Cut short, or with a line more. */
    spit(manifest, orig, len - 1);
    refused(bak, QS_CORRUPT, "line 6: the last line is cut");
    spit(manifest, orig, (size_t)(strstr(orig, "\nend ") - orig) + 1);
    refused(bak, QS_CORRUPT, "line 6: missing");
    spit(manifest, orig, len);
    edit_file(manifest, "\nend ", "\nextra 1\nend ");
    refused(bak, QS_CORRUPT, "line 6: expected a 'end' line");
    /* A newer format is not guessed at. */
    spit(manifest, orig, len);
    edit_file(manifest, "quizstore-backup 1", "quizstore-backup 2");
    reseal_manifest(manifest);
    refused(bak, QS_FORMAT, "backup format 2");
    spit(manifest, orig, len);
    edit_file(manifest, "store-format 5", "store-format 9");
    reseal_manifest(manifest);
    refused(bak, QS_FORMAT, "store format 9");
    /* No manifest: no backup. */
    CHECK(unlink(manifest) == 0);
    refused(bak, ENOENT, "MANIFEST");
    free(orig);
}

/* ------------------------------------------------------------------ refusals */

TEST(bad_arguments)
{
    qs_env *env = fx_open_tmp();
    CHECK_RC(qs_backup(NULL, "/tmp/x", 0), QS_INVALID);
    CHECK_RC(qs_backup(env, NULL, 0), QS_INVALID);
    CHECK_RC(qs_backup(env, "", 0), QS_INVALID);
    CHECK_RC(qs_backup(env, check_tmpdir(), 0x10), QS_INVALID);
    CHECK_RC(qs_restore(NULL, "/tmp/x"), QS_INVALID);
    CHECK_RC(qs_restore("/tmp/x", NULL), QS_INVALID);
    CHECK_RC(qs_restore("", "/tmp/x"), QS_INVALID);
    qs_env_close(env);
}

TEST(exists_cases)
{
    const char *src = check_tmpdir();
    const char *bak = path_of(check_tmpdir(), "backup");
    const char *dst = path_of(check_tmpdir(), "restored");
    build_store(src);
    qs_env *env = fx_open(src, NULL);
    CHECK_RC(qs_backup(env, bak, 0), 0);
    /* A directory holding a backup, of either kind. */
    CHECK_RC(qs_backup(env, bak, 0), QS_EXISTS);
    CHECK_RC(qs_backup(env, bak, QS_BACKUP_COMPRESS), QS_EXISTS);
    CHECK_EQ(dir_entries(bak), 2);
    /* The store's own directory: its data.mdb is never written over. */
    long long size = file_size(path_of(src, "data.mdb"));
    CHECK_RC(qs_backup(env, src, 0), QS_INVALID);
    CHECK(strstr(qs_errmsg(), "own directory") != NULL);
    CHECK_EQ(file_size(path_of(src, "data.mdb")), size);
    CHECK(!file_exists(path_of(src, "MANIFEST")));
    qs_env_close(env);
    /* A directory holding a store. */
    CHECK_RC(qs_restore(bak, src), QS_EXISTS);
    CHECK_RC(qs_restore(bak, dst), 0);
    CHECK_RC(qs_restore(bak, dst), QS_EXISTS);
    /* The backup is untouched by all of it. */
    const char *again = path_of(check_tmpdir(), "again");
    CHECK_RC(qs_restore(bak, again), 0);
}

TEST(unwritable_targets)
{
    const char *src = check_tmpdir();
    const char *work = check_tmpdir();
    const char *file = path_of(work, "a-file");
    char under_file[PATHBUF];
    build_store(src);
    spit(file, "x", 1);
    snprintf(under_file, sizeof under_file, "%s/backup", file);
    qs_env *env = fx_open(src, NULL);
    CHECK_RC(qs_backup(env, under_file, 0), ENOTDIR);
    CHECK(strstr(qs_errmsg(), under_file) != NULL);
    CHECK_RC(qs_backup(env, file, 0), ENOTDIR);
    if (geteuid() != 0) {   /* root writes anywhere */
        const char *locked = path_of(work, "locked");
        CHECK(mkdir(locked, 0500) == 0);
        CHECK_RC(qs_backup(env, locked, 0), EACCES);
        CHECK(strstr(qs_errmsg(), locked) != NULL);
    }
    CHECK_RC(qs_backup(env, path_of(work, "good"), 0), 0);
    qs_env_close(env);
    CHECK_RC(qs_restore(path_of(work, "good"), under_file), ENOTDIR);
}

/* Run @p fn with files limited to @p bytes: writes beyond fail with EFBIG. */
static int with_file_limit(rlim_t bytes, int (*fn)(void *), void *arg)
{
    struct rlimit old, lim;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    lim = old;
    lim.rlim_cur = bytes;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    int rc = fn(arg);
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, prev);
    return rc;
}

typedef struct call {
    qs_env *env;
    const char *a, *b;
    unsigned flags;
} call;

static int call_backup(void *arg)
{
    call *c = arg;
    return qs_backup(c->env, c->a, c->flags);
}

static int call_restore(void *arg)
{
    call *c = arg;
    return qs_restore(c->a, c->b);
}

TEST(write_failure_leaves_nothing)
{
    const char *src = check_tmpdir();
    const char *work = check_tmpdir();
    build_store(src);
    qs_env *env = fx_open(src, NULL);
    for (unsigned flags = 0; flags <= QS_BACKUP_COMPRESS; flags++) {
        /* A new directory: removed again. An existing one: left empty. */
        call c = {env, path_of(work, "new"), NULL, flags};
        CHECK_RC(with_file_limit(4096, call_backup, &c), EFBIG);
        CHECK_MSG(strstr(qs_errmsg(), "data.mdb") != NULL, "errmsg: %s", qs_errmsg());
        CHECK_EQ(dir_entries(c.a), -1);
        c.a = check_tmpdir();
        CHECK_RC(with_file_limit(4096, call_backup, &c), EFBIG);
        CHECK_EQ(dir_entries(c.a), 0);
    }
    /* The same store backs up once the disk has room. */
    const char *bak = path_of(work, "good");
    CHECK_RC(qs_backup(env, bak, 0), 0);
    qs_env_close(env);
    call r = {NULL, bak, path_of(work, "restored"), 0};
    CHECK_RC(with_file_limit(4096, call_restore, &r), EFBIG);
    CHECK_MSG(strstr(qs_errmsg(), "data.mdb.partial") != NULL, "errmsg: %s", qs_errmsg());
    CHECK_EQ(dir_entries(r.b), -1);
    CHECK_RC(qs_restore(bak, r.b), 0);
}

/* A compressed backup would not clash with the store's data.mdb, and still goes into
 * another directory than the store's; a restore goes into another one than the
 * backup's. */
TEST(own_directories_refused)
{
    const char *src = check_tmpdir();
    const char *work = check_tmpdir();
    build_store(src);
    qs_env *env = fx_open(src, NULL);
    CHECK_RC(qs_backup(env, src, QS_BACKUP_COMPRESS), QS_INVALID);
    CHECK_MSG(strstr(qs_errmsg(), "own directory") != NULL, "errmsg: %s", qs_errmsg());
    const char *bak = path_of(work, "zst");
    CHECK_RC(qs_backup(env, bak, QS_BACKUP_COMPRESS), 0);
    qs_env_close(env);
    CHECK_RC(qs_restore(bak, bak), QS_INVALID);
    CHECK_EQ(dir_entries(bak), 2);   /* data.mdb.zst and MANIFEST, nothing added */
    fx_check_clean(env = fx_open(src, NULL));
    qs_env_close(env);
}

/* The data file of a backup killed before it finished (NAME.partial) does not stop
 * the next backup into that directory, which writes over it. */
TEST(partial_file_written_over)
{
    const char *src = check_tmpdir();
    const char *bak = check_tmpdir();
    build_store(src);
    FILE *f = fopen(path_of(bak, "data.mdb.partial"), "w");
    CHECK(f != NULL);
    CHECK(fputs("cut short", f) >= 0 && fclose(f) == 0);
    qs_env *env = fx_open(src, NULL);
    CHECK_RC(qs_backup(env, bak, 0), 0);
    qs_env_close(env);
    CHECK_EQ(dir_entries(bak), 2);
    CHECK_RC(qs_restore(bak, path_of(bak, "restored")), 0);
}

/* ------------------------------------------------------------------ compaction */

/* qs_compact() with the tests' options (their map size). */
static int compact(const char *dir, uint64_t *before, uint64_t *after)
{
    qs_options o = fx_options();
    return qs_compact(dir, &o, before, after);
}

/* A new store (build_store()), closed, and in *ref a copy of it to compare a compacted
 * one with. */
static const char *store_and_reference(const char **ref)
{
    const char *src = check_tmpdir();
    const char *bak = path_of(check_tmpdir(), "bak");
    build_store(src);
    backup_of(src, bak, 0);
    *ref = path_of(check_tmpdir(), "ref");
    CHECK_RC(qs_restore(bak, *ref), 0);
    return src;
}

/* The store in @p dir holds what @p ref does, passes qs_check(), and its directory
 * holds nothing but the store's three files. */
static void same_as(const char *dir, const char *ref)
{
    size_t dbs;
    uint64_t entries;
    same_stores(dir, ref, &dbs, &entries);
    CHECK(dbs >= 27 && entries > 1000);
    qs_env *env = fx_open(dir, NULL);
    fx_check_clean(env);
    qs_env_close(env);
    CHECK_EQ(dir_entries(dir), 3);   /* data.mdb, lock.mdb, redo.log */
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The exit status of child @p pid. */
static int child_status(pid_t pid)
{
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

TEST(compact_shrinks_and_keeps_every_entry)
{
    const char *ref, *src = store_and_reference(&ref);
    uint64_t before = 0, after = 0, again = 0;
    CHECK_RC(compact(src, &before, &after), 0);
    CHECK_MSG(after < before && after <= (uint64_t)file_size(path_of(src, "data.mdb")) + 4096,
              "%llu bytes before, %llu after", (unsigned long long)before,
              (unsigned long long)after);
    /* Filled pages: smaller than LMDB's compacting copy, which keeps each page's fill. */
    CHECK_MSG((long long)after < file_size(path_of(ref, "data.mdb")), "%llu bytes, copy %lld",
              (unsigned long long)after, file_size(path_of(ref, "data.mdb")));
    CHECK_EQ(file_size(path_of(src, "redo.log")), 4096);
    same_as(src, ref);

    /* The compacted store takes writes, and compacts again. */
    qs_env *env = fx_open(src, NULL);
    qs_txn *w = fx_write(env);
    fx_user(w, "after-compact", FX_T0);
    fx_commit(w);
    qs_env_close(env);
    CHECK_RC(compact(src, &before, &again), 0);
    CHECK(again <= before);
    fx_check_clean(env = fx_open(src, NULL));
    uint64_t id = 0;
    qs_txn *r = fx_read(env);
    CHECK_RC(qs_resolve(r, QS_USER, "after-compact", &id), 0);
    qs_txn_abort(r);
    qs_env_close(env);
}

/* A child that opens the store in @p dir (read-only or not), says so on @p ready, and
 * holds it open until killed. */
static pid_t hold_open(const char *dir, int read_only)
{
    int fds[2];
    char c = 0;
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        qs_options o = fx_options();
        o.read_only = read_only;
        qs_env *env = NULL;
        if (qs_env_open(dir, &o, &env) != 0)
            _exit(1);
        if (write(fds[1], "r", 1) != 1)
            _exit(2);
        pause();
        _exit(0);
    }
    close(fds[1]);
    CHECK(read(fds[0], &c, 1) == 1 && c == 'r');
    close(fds[0]);
    return pid;
}

TEST(compact_needs_the_store_alone)
{
    const char *ref, *src = store_and_reference(&ref);
    qs_options ro = fx_options();
    ro.read_only = 1;
    for (int read_only = 0; read_only <= 1; read_only++) {
        qs_env *env = fx_open(src, read_only ? &ro : NULL);
        CHECK_RC(compact(src, NULL, NULL), QS_BUSY);
        CHECK_MSG(strstr(qs_errmsg(), "another handle") != NULL, "errmsg: %s", qs_errmsg());
        qs_env_close(env);
        pid_t pid = hold_open(src, read_only);
        CHECK_RC(compact(src, NULL, NULL), QS_BUSY);
        kill(pid, SIGKILL);
        child_status(pid);
    }
    CHECK_RC(qs_compact(src, &ro, NULL, NULL), QS_INVALID);
    CHECK_RC(compact(path_of(src, "none"), NULL, NULL), ENOENT);
    CHECK_RC(qs_compact(NULL, NULL, NULL, NULL), QS_INVALID);
    same_stores(src, ref, &(size_t){0}, &(uint64_t){0});   /* each refusal changed nothing */
    CHECK_RC(compact(src, NULL, NULL), 0);
    same_as(src, ref);
}

/* One process compacts again and again while this one opens the store, read-only and
 * for writing, and reads it: each open waits for a compaction running, each
 * compaction is refused while the store is open, and every read sees every answer. */
TEST(compact_races_with_opens)
{
    const char *ref, *src = store_and_reference(&ref);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {   /* until 8 compactions went through */
        unsigned done = 0;
        for (unsigned i = 0; i < 20000 && done < 8; i++) {
            int rc = compact(src, NULL, NULL);
            if (rc != 0 && rc != QS_BUSY)
                _exit(10 + (rc == QS_CORRUPT));
            done += rc == 0;
            usleep((useconds_t)(i % 7) * 300);
        }
        _exit(done == 8 ? 0 : 2);
    }
    qs_options rw = fx_options(), ro = fx_options();
    ro.read_only = 1;
    int status = 0;
    unsigned opens = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        qs_env *env = NULL;
        CHECK_RC(qs_env_open(src, opens++ % 2 ? &ro : &rw, &env), 0);
        qs_txn *r = fx_read(env);
        CHECK_EQ(answers_in(r), 480);
        qs_txn_abort(r);
        qs_env_close(env);
        usleep((useconds_t)check_below(2000));
    }
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "compacting child: status %d, after %u opens here", status, opens);
    same_as(src, ref);
}

/* A compaction killed at random moments leaves the store whole: the old file or the
 * compacted one, each with every entry, and the next compaction clears what it left. */
TEST(compact_killed_at_any_moment)
{
    const char *ref, *src = store_and_reference(&ref);
    int64_t t0 = now_us();
    CHECK_RC(compact(src, NULL, NULL), 0);
    int64_t took = now_us() - t0 + 1;
    unsigned killed = 0;
    for (unsigned i = 0; i < 24; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            _exit(compact(src, NULL, NULL) == 0 ? 0 : 1);
        usleep((useconds_t)check_below((uint64_t)took * 3 / 2));
        kill(pid, SIGKILL);
        int status = child_status(pid);
        CHECK_MSG(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "compacting child: status %d", status);
        killed += WIFSIGNALED(status);
        size_t dbs;
        uint64_t entries;
        qs_env *env = fx_open(src, NULL);   /* recovers as a crash would need */
        fx_check_clean(env);
        qs_env_close(env);
        same_stores(src, ref, &dbs, &entries);
    }
    CHECK_MSG(killed > 0, "no compaction was killed before its end");
    CHECK_RC(compact(src, NULL, NULL), 0);
    same_as(src, ref);
}

static int call_compact(void *arg)
{
    call *c = arg;
    return compact(c->a, NULL, NULL);
}

TEST(compact_write_failure_changes_nothing)
{
    const char *ref, *src = store_and_reference(&ref);
    call c = {NULL, src, NULL, 0};
    int rc = with_file_limit((rlim_t)file_size(path_of(src, "data.mdb")) / 4, call_compact, &c);
    CHECK_MSG(rc == EFBIG || rc == EIO, "qs_compact: %s", qs_strerror(rc));   /* LMDB's */
    CHECK_MSG(strstr(qs_errmsg(), "compact.partial") != NULL, "errmsg: %s", qs_errmsg());
    same_as(src, ref);
}

/* A store with a damaged page is refused (by the open the compaction makes), and its
 * file is left as it was. */
TEST(compact_refuses_a_damaged_store)
{
    const char *ref, *src = store_and_reference(&ref);
    CHECK_RC(compact(src, NULL, NULL), 0);   /* every page in use */
    const char *data = path_of(src, "data.mdb");
    long long page = file_size(data) / 4096 / 2 * 4096;
    for (int i = 0; i < 16; i++)   /* the page's header: its number and flags */
        flip_byte(data, page + i);
    uint64_t before = file_hash(data);
    CHECK_RC(compact(src, NULL, NULL), QS_CORRUPT);
    CHECK_MSG(strstr(qs_errmsg(), "damaged page") != NULL, "errmsg: %s", qs_errmsg());
    CHECK_EQ(file_hash(data), before);
}

static const check_case cases[] = {
    CASE(bad_arguments),
    CASE(round_trip_plain),
    CASE(round_trip_compressed),
    CASE(compressed_is_smaller),
    CASE(backup_while_writing),
    CASE(flipped_byte_is_corrupt),
    CASE(flipped_byte_in_compressed_is_corrupt),
    CASE(truncated_file_is_corrupt),
    CASE(edited_manifest_is_corrupt),
    CASE(exists_cases),
    CASE(unwritable_targets),
    CASE(write_failure_leaves_nothing),
    CASE(own_directories_refused),
    CASE(partial_file_written_over),
    CASE(compact_shrinks_and_keeps_every_entry),
    CASE(compact_needs_the_store_alone),
    CASE(compact_races_with_opens),
    CASE(compact_killed_at_any_moment),
    CASE(compact_write_failure_changes_nothing),
    CASE(compact_refuses_a_damaged_store),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
