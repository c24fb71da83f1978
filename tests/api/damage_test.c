/* Tests damaged store files: truncated, empty, not LMDB, pages overwritten, a page
 * LMDB asserts on, a file cut short under an open store, a lock file that cannot be
 * written. Each is refused on open or reported by qs_check() naming the page, and
 * every read returns a code, never a crash; a damaged store opens read-only only. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "check.h"
#include "engine_int.h"
#include "fixture.h"

/* A read cut short by a fault or a failed LMDB assertion does not close the cursors it
 * had open, and a write transaction cut short inside LMDB is never ended (quizstore.h,
 * "Damaged store files"); three cases cause exactly that on purpose. LeakSanitizer
 * reads this hook in this program alone, as valgrind reads tests/valgrind.supp; LMDB
 * is built without frame pointers, so the leaks' stacks end in LMDB and the cases
 * cannot be named. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:liblmdb.so\n";
}

#define PSIZE 4096
#define USERS 20
#define TESTS_PER_USER 10

/* ---- a store with trees two levels deep -------------------------------------- */

typedef struct store {
    char dir[512];
    fx_bank b;
    uint32_t users[USERS];
} store;

/* fx_bank, then USERS users who each answer every question in TESTS_PER_USER tests on
 * days of December 2025: 2,400 answers, so the answers bucket needs branch pages. */
/* The store is built in a directory of its own and copied compacted into s->dir:
 * every page of the copy is in use, so that the first page of a kind the edits below
 * find is one the store reads (the original keeps pages its checkpoints freed). */
static void store_build(store *s)
{
    char built[600];
    MDB_env *raw;
    snprintf(s->dir, sizeof s->dir, "%s", check_tmpdir());
    snprintf(built, sizeof built, "%s/built", s->dir);
    CHECK_RC(mkdir(built, 0755), 0);
    qs_env *env = fx_open(built, NULL);
    fx_bank_build(env, &s->b);
    qs_txn *txn = fx_write(env);
    char ext[32];
    for (unsigned u = 0; u < USERS; u++) {
        snprintf(ext, sizeof ext, "learner-%u", u);
        s->users[u] = fx_user(txn, ext, FX_T0 - 60 * FX_DAY_MS);
        for (unsigned t = 0; t < TESTS_PER_USER; t++) {
            int64_t day = FX_T0 - (int64_t)(31 - t) * FX_DAY_MS;
            snprintf(ext, sizeof ext, "learner-%u-test-%u", u, t);
            uint64_t test = fx_test(txn, ext, s->users[u], 1, NULL, 0, day);
            for (unsigned q = 0; q < FX_BANK_QUESTIONS; q++)
                fx_answer(txn, test, s->b.questions[q], (int8_t)(q % 4),
                          day + (int64_t)q * 60000);
        }
    }
    fx_commit(txn);
    qs_env_close(env);
    CHECK_RC(mdb_env_create(&raw), 0);
    CHECK_RC(mdb_env_open(raw, built, MDB_RDONLY, 0644), 0);
    CHECK_RC(mdb_env_copy2(raw, s->dir, MDB_CP_COMPACT), 0);
    mdb_env_close(raw);
    qs_env_close(fx_open(s->dir, NULL));   /* its lock file and log, as a store has */
}

static void data_path(const char *dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s/data.mdb", dir);
}

/* The whole data file of @p dir, malloc'ed; its size in *n. */
static uint8_t *file_read(const char *dir, size_t *n)
{
    char path[600];
    struct stat st;
    data_path(dir, path, sizeof path);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && fstat(fd, &st) == 0);
    uint8_t *b = malloc((size_t)st.st_size);
    CHECK(b != NULL);
    CHECK(read(fd, b, (size_t)st.st_size) == st.st_size);
    close(fd);
    *n = (size_t)st.st_size;
    return b;
}

/* @p dir (a fresh directory when NULL), its data file now @p n bytes of @p b. */
static const char *file_write(const char *dir, const uint8_t *b, size_t n)
{
    char path[600];
    if (!dir)
        dir = check_tmpdir();
    data_path(dir, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(n == 0 || write(fd, b, n) == (ssize_t)n);
    CHECK(close(fd) == 0);
    return dir;
}

static int open_rc(const char *dir, int read_only, qs_env **env)
{
    qs_options o = fx_options();
    o.read_only = read_only;
    *env = NULL;
    return qs_env_open(dir, &o, env);
}

static int errmsg_has(const char *what)
{
    return strstr(qs_errmsg(), what) != NULL;
}

/* The pages row of qs_check() in a read transaction of @p env; every row is sound
 * in form, and the check itself returns 0. */
static qs_check_report pages_row(qs_env *env)
{
    static qs_check_report rows[128];
    size_t n = 0;
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_check(txn, rows, 128, &n), 0);
    qs_txn_abort(txn);
    CHECK(n >= 1 && n <= 128);
    CHECK_STR(rows[0].name, "pages");
    return rows[0];
}

/* Every read of every user, a question each, and a scan per user: each returns 0 or
 * a QS_ code. Returns how many said QS_CORRUPT; the first one's detail in @p first. */
typedef struct reads {
    int calls, corrupt;
    char first[512];
} reads;

static void note(reads *r, int rc, const char *what)
{
    CHECK_MSG(rc == 0 || (rc <= QS_NOTFOUND && rc >= -30999), "%s returned %d (%s)", what,
              rc, qs_errmsg());
    r->calls++;
    if (rc == QS_CORRUPT && r->corrupt++ == 0)
        snprintf(r->first, sizeof r->first, "%s", qs_errmsg());
}

static int answer_count(const qs_answer *a, void *ctx)
{
    (void)a;
    (*(size_t *)ctx)++;
    return 0;
}

static void read_user(reads *r, qs_txn *txn, const store *s, unsigned u)
{
    static qs_dashboard dash;
    qs_history_row hist[16];
    qs_progress_row prog[8];
    qs_question q = {.size = sizeof q};
    qs_rank_row rank;
    qs_cursor next;
    uint64_t id;
    size_t n, count = 0;
    note(r, qs_history(txn, s->users[u], NULL, hist, 16, &n, &next), "history");
    note(r, qs_dashboard_get(txn, s->users[u], FX_T0, &dash), "dashboard");
    note(r, qs_progress(txn, s->users[u], prog, 8, &n), "progress");
    note(r, qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, s->users[u], &rank), "rank");
    note(r, qs_question_get(txn, s->b.questions[u % FX_BANK_QUESTIONS], &q), "question");
    note(r, qs_answer_scan(txn, INT64_MIN, INT64_MAX, answer_count, &count), "scan");
    note(r, qs_resolve(txn, QS_USER, "learner-3", &id), "resolve");
    note(r, qs_user_get(txn, s->users[u], &(qs_user){0}), "user");
}

static reads read_everything(qs_env *env, const store *s)
{
    reads r = {0, 0, ""};
    for (unsigned u = 0; u < USERS; u++) {
        qs_txn *txn;
        int rc = qs_txn_begin(env, QS_TXN_RDONLY, &txn);
        if (rc == 0)
            read_user(&r, txn, s, u);
        else
            note(&r, rc, "begin");
        qs_txn_abort(txn);
    }
    return r;
}

static uint16_t u16_at(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static void u16_set(uint8_t *p, unsigned v)
{
    uint16_t w = (uint16_t)v;
    memcpy(p, &w, 2);
}

/* The txnid in meta page @p m (0 or 1) of data file image @p b (see engine/pages.h). */
static uint64_t meta_txnid(const uint8_t *b, int m)
{
    uint64_t txnid;
    memcpy(&txnid, b + m * PSIZE + 16 + 128, 8);
    return txnid;
}

/* ---- cases -------------------------------------------------------------------- */

/* A data file cut short: both opens refuse it, naming the truncation. */
TEST(truncated_file_refused)
{
    store s;
    size_t n;
    qs_env *env;
    store_build(&s);
    uint8_t *b = file_read(s.dir, &n);
    size_t cuts[] = {n / 2, n / 2 + 1000, 3 * PSIZE, n - PSIZE};
    for (unsigned i = 0; i < 4; i++) {
        const char *dir = file_write(NULL, b, cuts[i]);
        for (int ro = 0; ro < 2; ro++) {
            CHECK_RC(open_rc(dir, ro, &env), QS_CORRUPT);
            CHECK(env == NULL);
            CHECK_MSG(errmsg_has("truncated"), "%s", qs_errmsg());
        }
    }
    free(b);
}

/* An empty data file holds no store to read; a writable open starts one there. */
TEST(empty_file)
{
    qs_env *env;
    const char *dir = file_write(NULL, NULL, 0);
    CHECK_RC(open_rc(dir, 1, &env), ENOENT);
    CHECK_MSG(errmsg_has("empty"), "%s", qs_errmsg());
    CHECK_RC(open_rc(dir, 0, &env), 0);
    fx_check_clean(env);
    qs_env_close(env);
}

/* A file that is not LMDB's says so. */
TEST(not_an_lmdb_file)
{
    static uint8_t text[5 * PSIZE];
    qs_env *env;
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)("id,name\n1,alice\n"[i % 16]);
    const char *dir = file_write(NULL, text, sizeof text);
    for (int ro = 0; ro < 2; ro++) {
        CHECK_RC(open_rc(dir, ro, &env), QS_CORRUPT);
        CHECK_MSG(errmsg_has("not an LMDB file"), "%s", qs_errmsg());
    }
}

/* A meta page naming a transaction whose meta belongs in the other page (LMDB would
 * read one snapshot's trees and write another's) is refused, read-only too. */
TEST(meta_in_the_wrong_page)
{
    store s;
    size_t n;
    qs_env *env;
    store_build(&s);
    uint8_t *b = file_read(s.dir, &n);
    uint64_t txnid[2] = {meta_txnid(b, 0), meta_txnid(b, 1)};
    int older = txnid[0] > txnid[1];
    uint64_t forged = (txnid[0] > txnid[1] ? txnid[0] : txnid[1]) + 1;
    forged += forged % 2 != (uint64_t)(1 - older);   /* the parity of the other page */
    memcpy(b + older * PSIZE + 16 + 128, &forged, 8);
    const char *dir = file_write(NULL, b, n);
    for (int ro = 0; ro < 2; ro++) {
        CHECK_RC(open_rc(dir, ro, &env), QS_CORRUPT);
        CHECK_MSG(errmsg_has("meta page") && errmsg_has("is damaged"), "%s", qs_errmsg());
    }
    free(b);
}

/* Every page of the store in turn overwritten with noise: an open finds the damage
 * exactly when qs_check does, and names the page; a writable open is then refused,
 * and a read-only one serves qs_check alone (every other read says QS_CORRUPT); a store
 * the check finds sound reads with no QS_CORRUPT. */
TEST(overwritten_pages)
{
    store s;
    size_t n;
    store_build(&s);
    uint8_t *pristine = file_read(s.dir, &n), *b = malloc(n);
    CHECK(b != NULL);
    unsigned damaged = 0, pages = (unsigned)(n / PSIZE);
    const char *dir = check_tmpdir();
    for (unsigned p = 2; p < pages; p++) {
        memcpy(b, pristine, n);
        for (unsigned i = 0; i < PSIZE; i++)
            b[(size_t)p * PSIZE + i] = (uint8_t)check_rand();
        file_write(dir, b, n);
        qs_env *env;
        int wrc = open_rc(dir, 0, &env);
        qs_env_close(env);
        CHECK_RC(open_rc(dir, 1, &env), 0);
        qs_check_report r = pages_row(env);
        char want[64];
        snprintf(want, sizeof want, "damaged page %u ", p);
        CHECK_MSG(wrc == (r.findings ? QS_CORRUPT : 0), "page %u: writable open %d, %llu "
                  "findings", p, wrc, (unsigned long long)r.findings);
        CHECK_MSG(!r.findings || strstr(r.first_finding, want), "page %u: %s", p,
                  r.first_finding);
        damaged += r.findings > 0;
        reads rd = read_everything(env, &s);
        CHECK_MSG(r.findings ? rd.corrupt == rd.calls : rd.corrupt == 0, "page %u: %llu "
                  "findings, %d of %d reads said %s", p, (unsigned long long)r.findings,
                  rd.corrupt, rd.calls, rd.first);
        qs_env_close(env);
    }
    /* noise in a page of a tree is always found; free pages are the rest */
    CHECK_MSG(damaged > pages / 2, "%u of %u pages found damaged", damaged, pages);
    free(b);
    free(pristine);
}

/* The u16 at @p at in the first page of @p b (@p n bytes) with flags @p flags and a
 * page number equal to its own, set to @p v; that page's number. */
static unsigned poke_first_page(uint8_t *b, size_t n, uint16_t flags, size_t at, uint16_t v)
{
    for (size_t p = 2; p < n / PSIZE; p++) {
        uint8_t *pg = b + p * PSIZE;
        uint64_t pgno;
        memcpy(&pgno, pg, 8);
        if (pgno == p && u16_at(pg + 10) == flags) {
            u16_set(pg + at, v);
            return (unsigned)p;
        }
    }
    CHECK_MSG(0, "no page with flags 0x%x", flags);
    return 0;
}

/* The same bytes written into the data file of @p dir at @p off. */
static void file_poke(const char *dir, off_t off, const void *b, size_t n)
{
    char path[600];
    data_path(dir, path, sizeof path);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, b, n, off) == (ssize_t)n);
    CHECK(close(fd) == 0);
}

/* @p s built and opened (read-only or not) into @p env, then its first branch page
 * left with one child in the file; that page's number. */
static unsigned branch_damaged_under(store *s, int read_only, qs_env **env)
{
    size_t n;
    store_build(s);
    uint8_t *b = file_read(s->dir, &n);
    uint16_t one_child = 16 + 2;
    unsigned p = poke_first_page(b, n, 0x01 /* branch */, 12 /* lower */, one_child);
    free(b);
    CHECK_RC(open_rc(s->dir, read_only, env), 0);
    file_poke(s->dir, (off_t)p * PSIZE + 12, &one_child, 2);
    return p;
}

/* A branch page left with one child, once the store is open (a disk error under a
 * running process), trips an assertion in LMDB that would abort the process: the
 * read that descends it returns QS_CORRUPT instead, and a new open names the page. */
TEST(lmdb_assertion_is_corrupt)
{
    store s;
    qs_env *env;
    unsigned p = branch_damaged_under(&s, 1, &env);
    reads rd = read_everything(env, &s);
    CHECK(rd.corrupt > 0);
    CHECK_MSG(strstr(rd.first, "LMDB failed a check"), "%s", rd.first);
    qs_env_close(env);
    CHECK_RC(open_rc(s.dir, 1, &env), 0);
    qs_check_report r = pages_row(env);
    char want[64];
    snprintf(want, sizeof want, "damaged page %u ", p);
    CHECK_MSG(strstr(r.first_finding, want), "%s", r.first_finding);
    qs_env_close(env);
}

/* @p s built, its data file then edited by @p edit (which returns the damaged page's
 * number): a writable open is refused naming that page, and a read-only one serves
 * qs_check(), which names it too. */
static void refused_after(store *s, unsigned (*edit)(uint8_t *b, size_t n))
{
    size_t n;
    qs_env *env;
    store_build(s);
    uint8_t *b = file_read(s->dir, &n);
    unsigned p = edit(b, n);
    file_write(s->dir, b, n);
    free(b);
    char want[64];
    snprintf(want, sizeof want, "damaged page %u ", p);
    CHECK_RC(open_rc(s->dir, 0, &env), QS_CORRUPT);
    CHECK_MSG(errmsg_has(want), "%s", qs_errmsg());
    CHECK_RC(open_rc(s->dir, 1, &env), 0);
    qs_check_report r = pages_row(env);
    CHECK_MSG(strstr(r.first_finding, want), "%s", r.first_finding);
    qs_env_close(env);
}

typedef int node_pick(const uint8_t *page, const uint8_t *node);

/* The first node of a leaf page of @p b (@p n bytes) that @p pick takes (given the
 * page and the node); the page's number in *page. */
static uint8_t *leaf_node_where(uint8_t *b, size_t n, node_pick *pick, unsigned *page)
{
    for (size_t p = 2; p < n / PSIZE; p++) {
        uint8_t *pg = b + p * PSIZE;
        if (u16_at(pg + 10) != 0x02 /* leaf */)
            continue;
        for (unsigned i = 0; i < (u16_at(pg + 12) - 16u) / 2; i++) {
            uint8_t *node = pg + u16_at(pg + 16 + 2 * i);
            if (pick(pg, node)) {
                *page = (unsigned)p;
                return node;
            }
        }
    }
    CHECK_MSG(0, "no such leaf node");
    return NULL;
}

/* A leaf page whose header says DIRTY, as LMDB's own buffers do: LMDB would take the
 * mapped page for one of them and free it in a write. */
static unsigned leaf_page_says_dirty(uint8_t *b, size_t n)
{
    return poke_first_page(b, n, 0x02 /* leaf */, 10 /* flags */, 0x12 /* dirty */);
}

TEST(dirty_page_refused)
{
    store s;
    refused_after(&s, leaf_page_says_dirty);
}

/* A DUPDATA node holding a LEAF2 sub-page with a value in it. */
static int holds_values_sub_page(const uint8_t *pg, const uint8_t *node)
{
    const uint8_t *sp = node + 8 + u16_at(node + 6);
    (void)pg;
    return u16_at(node + 4) == 0x04 /* DUPDATA */ && (u16_at(sp + 10) & 0x20 /* LEAF2 */) &&
           u16_at(sp + 12) > 16;
}

/* The first sub-page of fixed-size values made to claim room for one value more than
 * it has: a new value for its key would be written past the sub-page, and past the
 * page when the node ends it. */
static unsigned sub_page_claims_room(uint8_t *b, size_t n)
{
    unsigned p;
    uint8_t *node = leaf_node_where(b, n, holds_values_sub_page, &p);
    uint8_t *sp = node + 8 + u16_at(node + 6);
    u16_set(sp + 14, u16_at(sp + 14) + u16_at(sp + 8) /* upper + value size */);
    return p;
}

TEST(sub_page_claiming_room_refused)
{
    store s;
    refused_after(&s, sub_page_claims_room);
}

/* The record of database "question" in the main tree flagged DUPSORT: LMDB would keep
 * a second value beside each question's record where the engine replaces it. */
static unsigned question_db_flagged_dupsort(uint8_t *b, size_t n)
{
    /* the node: data size 48, flags SUBDATA, key size 8, then the key */
    static const uint8_t node[] = {48, 0, 0, 0, 2, 0, 8, 0, 'q', 'u', 'e', 's', 't', 'i',
                                   'o', 'n'};
    uint8_t *at = memmem(b + 2 * PSIZE, n - 2 * PSIZE, node, sizeof node);
    CHECK(at != NULL);
    uint16_t dupsort = 0x04;
    memcpy(at + sizeof node + 4 /* the record's flags */, &dupsort, 2);
    return (unsigned)((size_t)(at - b) / PSIZE);
}

TEST(database_flags_refused)
{
    store s;
    refused_after(&s, question_db_flagged_dupsort);
}

/* A node at its page's upper bound holding 24 bytes of data or more (a record, not a
 * value of an index), on a page of two nodes or more. */
static int record_at_upper_bound(const uint8_t *pg, const uint8_t *node)
{
    return node == pg + u16_at(pg + 14) && u16_at(pg + 12) >= 16 + 2 * 2 &&
           u16_at(node + 4) == 0 && u16_at(node) >= 24;
}

/* That node's data made 2 bytes longer: it still ends inside the page, but runs into
 * the node after it. LMDB deleting a node below it would move it past the page's end. */
static unsigned node_overlaps_the_next(uint8_t *b, size_t n)
{
    unsigned p;
    uint8_t *node = leaf_node_where(b, n, record_at_upper_bound, &p);
    u16_set(node, u16_at(node) + 2u);
    return p;
}

TEST(overlapping_nodes_refused)
{
    store s;
    refused_after(&s, node_overlaps_the_next);
}

/* The writes of every user: a test each and an answer to every question, on the days
 * the store already holds. The first code that is not 0. */
static int write_everything(qs_txn *txn, const store *s)
{
    int rc = 0;
    for (unsigned u = 0; u < USERS && !rc; u++) {
        qs_test t = {.size = sizeof t};
        uint64_t test = 0, id;
        char ext[32];
        snprintf(ext, sizeof ext, "extra-%u", u);
        fx_test_init(&t, ext, s->users[u], 1, NULL, 0, FX_T0 - 20 * FX_DAY_MS);
        rc = qs_test_put(txn, &t, &test);
        for (unsigned q = 0; q < FX_BANK_QUESTIONS && !rc; q++) {
            qs_answer a;
            fx_answer_init(&a, test, s->b.questions[q], QS_ANSWERED, QS_GRADE, 1,
                           FX_T0 - 20 * FX_DAY_MS + (int64_t)q * 1000);
            rc = qs_answer_submit(txn, &a, &id);
        }
    }
    return rc;
}

/* The same page, damaged under a writer: the write that descends it returns
 * QS_CORRUPT; the transaction can only be aborted, and LMDB's, cut short inside LMDB,
 * is left unended (ending it would free what LMDB kept on its stack); every later call
 * says QS_PANIC, and the handle still closes. */
TEST(fault_in_write_transaction)
{
    store s;
    qs_env *env;
    branch_damaged_under(&s, 0, &env);
    qs_txn *txn = fx_write(env);
    CHECK_RC(write_everything(txn, &s), QS_CORRUPT);
    CHECK_RC(qs_user_get(txn, s.users[0], &(qs_user){0}), QS_BAD_TXN);
    qs_txn_abort(txn);
    CHECK_RC(qs_txn_begin(env, QS_TXN_RDONLY, &txn), QS_PANIC);
    qs_env_close(env);
}

/* The file cut short under an open store (another process truncating it): a read
 * past its end returns QS_CORRUPT instead of dying of SIGBUS, its transaction can only
 * be aborted, and the store can be closed. */
TEST(fault_under_open_store)
{
    store s;
    char path[600];
    qs_env *env;
    qs_txn *txn;
    qs_history_row hist[4];
    size_t n;
    store_build(&s);
    CHECK_RC(open_rc(s.dir, 1, &env), 0);
    txn = fx_read(env);
    data_path(s.dir, path, sizeof path);
    CHECK(truncate(path, 4 * PSIZE) == 0);
    CHECK_RC(qs_history(txn, s.users[USERS - 1], NULL, hist, 4, &n, NULL), QS_CORRUPT);
    CHECK_MSG(errmsg_has("went past the end of the file"), "%s", qs_errmsg());
    CHECK_RC(qs_history(txn, s.users[USERS - 1], NULL, hist, 4, &n, NULL), QS_BAD_TXN);
    qs_txn_abort(txn);
    reads rd = read_everything(env, &s);
    CHECK(rd.corrupt > 0);
    qs_env_close(env);
}

/* A fault that is not the store's goes to the handler installed before the engine's,
 * and when that one hands it back (libFuzzer's does, to a handler that was there before
 * its own), the process ends of the fault rather than the two calling each other. */
static void (*handed_back_to)(int, siginfo_t *, void *);

static void hands_faults_back(int sig, siginfo_t *si, void *uc)
{
    handed_back_to(sig, si, uc);
}

static void fault_outside_the_store(const char *dir)
{
    struct sigaction sa = {.sa_sigaction = hands_faults_back, .sa_flags = SA_SIGINFO}, old;
    qs_env *env;
    alarm(30);
    if (open_rc(dir, 1, &env) != 0)
        _exit(2);
    sigaction(SIGSEGV, &sa, &old);   /* in front of the engine's, which it hands back to */
    handed_back_to = old.sa_sigaction;
    qs_env_close(env);
    if (open_rc(dir, 1, &env) != 0)   /* the engine's in front again */
        _exit(3);
    qs_txn *txn = fx_read(env);
    volatile int *no_access = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (no_access == MAP_FAILED)
        _exit(5);
    *no_access = 1;
    qs_txn_abort(txn);
    _exit(4);
}

TEST(fault_handed_back_ends_the_process)
{
    store s;
    int status;
    store_build(&s);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        fault_outside_the_store(s.dir);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status 0x%x", status);
}

/* The walk edition in the remembered slot of data file @p fd set to @p edition, its
 * checksum made good (the slot layout of engine/sound.c). */
static void remembered_edition_set(int fd, uint64_t edition)
{
    char table_path[64];
    struct stat st;
    uint64_t slot[8];
    snprintf(table_path, sizeof table_path, "/dev/shm/quizstore-sound-%u",
             (unsigned)geteuid());
    CHECK(fstat(fd, &st) == 0);
    int table = open(table_path, O_RDWR);
    CHECK(table >= 0);
    off_t at = (off_t)((st.st_ino ^ st.st_dev) % 512) * 64;
    CHECK(pread(table, slot, sizeof slot, at) == sizeof slot);
    slot[6] = edition;
    slot[7] = XXH64(slot, 56, 0);
    CHECK(pwrite(table, slot, sizeof slot, at) == sizeof slot);
    close(table);
}

/* A walk that found the file sound is remembered, and the next open skips it, unless
 * the walk was of an older edition; one write into the file, a byte of one page, makes
 * the next open walk again and find it. */
TEST(remembered_walk_forgets_a_write)
{
    store s;
    qs_env *env;
    char path[600];
    eng_sound_probe probe;
    store_build(&s);
    sleep(2);   /* a walk is remembered only of a file changed over a second before */
    CHECK_RC(open_rc(s.dir, 1, &env), 0);
    qs_env_close(env);
    data_path(s.dir, path, sizeof path);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    size_t n;
    uint8_t *b = file_read(s.dir, &n);
    uint64_t m0 = meta_txnid(b, 0), m1 = meta_txnid(b, 1), newest = m0 > m1 ? m0 : m1;
    CHECK_MSG(eng_sound_known(fd, newest, &probe), "the walk of commit %llu was not "
              "remembered", (unsigned long long)newest);
    remembered_edition_set(fd, ENG_WALK_EDITION - 1);
    CHECK(!eng_sound_known(fd, newest, &probe));
    remembered_edition_set(fd, ENG_WALK_EDITION);
    CHECK(eng_sound_known(fd, newest, &probe));
    uint16_t one_child = 16 + 2;
    unsigned p = poke_first_page(b, n, 0x01 /* branch */, 12 /* lower */, one_child);
    file_poke(s.dir, (off_t)p * PSIZE + 12, &one_child, 2);
    CHECK(!eng_sound_known(fd, newest, &probe));
    CHECK_RC(open_rc(s.dir, 0, &env), QS_CORRUPT);
    char want[64];
    snprintf(want, sizeof want, "damaged page %u ", p);
    CHECK_MSG(errmsg_has(want), "%s", qs_errmsg());
    close(fd);
    free(b);
}

/* ---- a lock file that cannot be written ---------------------------------------- */

/* Run @p fn in a child that cannot write the store's lock file: the file is made
 * read-only, and a child of root gives up the capabilities that would override that.
 * Returns the child's exit status. */
static int as_reader_without_lock(const char *dir, int (*fn)(const char *))
{
    char lock[600];
    snprintf(lock, sizeof lock, "%s/lock.mdb", dir);
    CHECK(chmod(lock, 0444) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct none[2];
        memset(none, 0, sizeof none);
        if (geteuid() == 0 && syscall(SYS_capset, &hdr, none) != 0)
            _exit(90);
        _exit(access(lock, W_OK) == 0 ? 91 : fn(dir));
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(chmod(lock, 0644) == 0);
    CHECK_MSG(WIFEXITED(status), "the child died of signal %d", WTERMSIG(status));
    return WEXITSTATUS(status);
}

/* 0 when a read-only open and a dashboard read work. */
static int reads_fine(const char *dir)
{
    qs_env *env;
    qs_txn *txn;
    qs_dashboard d = {.size = sizeof d};
    uint64_t user;
    if (open_rc(dir, 1, &env) != 0)
        return 1;
    int rc = qs_txn_begin(env, QS_TXN_RDONLY, &txn);
    if (rc == 0 && (rc = qs_resolve(txn, QS_USER, "learner-0", &user)) == 0)
        rc = qs_dashboard_get(txn, (uint32_t)user, FX_T0, &d);
    qs_txn_abort(txn);
    qs_env_close(env);
    return rc == 0 && d.summary.answered > 0 ? 0 : 2;
}

/* 0 when the read-only open is refused with EACCES, naming the process that has it. */
static int refused_while_open(const char *dir)
{
    qs_env *env;
    return open_rc(dir, 1, &env) == EACCES && errmsg_has("has the store open") ? 0 : 3;
}

TEST(lock_file_not_writable)
{
    store s;
    store_build(&s);
    CHECK_EQ(as_reader_without_lock(s.dir, reads_fine), 0);
    /* with a process holding the store open, reading without the lock is refused */
    qs_env *env = fx_open(s.dir, NULL);
    CHECK_EQ(as_reader_without_lock(s.dir, refused_while_open), 0);
    qs_env_close(env);
}

static const check_case cases[] = {
    CASE(truncated_file_refused),
    CASE(empty_file),
    CASE(not_an_lmdb_file),
    CASE(meta_in_the_wrong_page),
    CASE(overwritten_pages),
    CASE(lmdb_assertion_is_corrupt),
    CASE(dirty_page_refused),
    CASE(sub_page_claiming_room_refused),
    CASE(database_flags_refused),
    CASE(overlapping_nodes_refused),
    CASE(fault_under_open_store),
    CASE(fault_in_write_transaction),
    CASE(fault_handed_back_ends_the_process),
    CASE(remembered_walk_forgets_a_write),
    CASE(lock_file_not_writable),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
