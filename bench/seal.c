/* qs-seal: what sealing time buckets buys, on the reference workload.
 *
 * One run:
 * 1. Load D days of history at scale S through the quizstore and SQLite backends
 *    (backend.h), in one pass of the generator, batches of 1000 writes. Then pick a
 *    sample of users with at least two pages of answers in 2025-12 and give each one
 *    new test of HOT_ANSWERS answers dated 2026-02, through both backends: those are
 *    the sampled users' newest rows, in a bucket that stays hot at SEAL_NOW_MS.
 * 2. quizstore: each bucket's rows and bytes (qs_bucket_list), test_answers's bytes
 *    (qs_db_stats), checked against the generated counts.
 * 3. Per sampled user two history pages of 20 rows: "hot", the first page (2026-02),
 *    and "deep", the page at the middle of the user's 2025-12 answers, reached by
 *    paging with qs_history cursors, which are kept. p50/p99 of one qs_history call
 *    in a read transaction (renew, call, reset), after a warm-up.
 * 3b. Compact the store (qs_compact) and read the buckets' bytes and the same pages
 *    again: the raw store as a load leaves it, full.
 * 4. Seal every bucket sealable at SEAL_NOW_MS (hot_periods 2: 2026-02 and 2026-03
 *    stay raw), one write transaction each, timed to its commit; then compact again
 *    for the file's size.
 * 5. The same pages again from the same cursors; each must return the rows it
 *    returned raw.
 * 6. SQLite: the bytes of its answer and interaction tables with their indexes, and
 *    the same pages (same users, same positions) through its history query; each page
 *    must hold quizstore's rows.
 * Prints the table, also written to OUT/seal.txt. Exit status: 0; 1 on bad arguments,
 * a count that does not add up or a page that differs; 2 when an engine fails.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "bench_data.h"
#include "bench_hist.h"
#include "harness.h"
#include "quizstore.h"
#include "workload.h"

#define PAGE_ROWS 20
#define SAMPLE_USERS 100
#define HOT_ANSWERS 30            /* per sampled user, dated 2026-02 */
#define DEEP_MIN_ROWS 40          /* 2025-12 answers a sampled user needs: two pages */
#define SKIP_ROWS 1000            /* rows per qs_history call while paging to a deep page */
#define LOAD_BATCH 1000
#define DEC_START_MS (WL_NOW_MS - 31 * WL_DAY_MS)    /* 2025-12-01T00:00:00Z */
#define FEB_START_MS (WL_NOW_MS + 31 * WL_DAY_MS)    /* 2026-02-01T00:00:00Z */
#define SEAL_NOW_MS (WL_NOW_MS + 59 * WL_DAY_MS)     /* 2026-03-01T00:00:00Z */
#define HOT_PERIODS 2
#define WORK_MARKER ".qs-seal-work"

enum { QS_ENGINE, SQLITE_ENGINE, N_ENGINES };

/* ------------------------------------------------------------ failures, time */

static char work_dir[PATH_MAX + 16];
static int keep_work, work_dir_made;

static void remove_work(void)
{
    if (!work_dir_made || keep_work)
        return;
    work_dir_made = 0;
    bench_remove_tree(work_dir);
}

/* Print the reason, remove the work directory and exit with @p status. */
static void __attribute__((noreturn, format(printf, 2, 3))) fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("qs-seal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    remove_work();
    exit(status);
}

#define QS(x) do { int rc_ = (x); if (rc_) fail(2, "%s: %s (%s)", #x, qs_strerror(rc_), qs_errmsg()); } while (0)
#define BK(be, x) do { if ((x) != 0) fail(2, "%s", (be)->err); } while (0)

static double mb(uint64_t bytes)
{
    return (double)bytes / 1e6;
}

static double per_row(uint64_t bytes, uint64_t rows)
{
    return rows ? (double)bytes / (double)rows : 0;
}

/* ------------------------------------------------------------ arguments */

typedef struct config {
    wl_params params;
    char out_dir[PATH_MAX];
    unsigned iters;
    int quick;
    char command[1024];
} config;

static void usage(void)
{
    fprintf(stderr,
            "usage: qs-seal [-s SEED] [-S SCALE] [-d DAYS] [--out DIR] [--iters N] [--quick]\n"
            "               [--keep]\n"
            "  -s SEED     workload seed (default 42)\n"
            "  -S SCALE    S: 10000 x S users and daily volumes (default 1; --quick 0.01)\n"
            "  -d DAYS     days of history before 2026-01-01 (default 31; --quick 3)\n"
            "  --out DIR   results directory (default qs-seal-out): DIR/seal.txt; the stores\n"
            "              go to DIR/work, removed at the end unless --keep\n"
            "  --iters N   timed history calls per page kind and engine state (default\n"
            "              10000; --quick 500)\n"
            "  --quick     the CI smoke: S=0.01, D=3\n"
            "  --keep      keep DIR/work\n");
    exit(EXIT_FAILURE);
}

static void parse_args(config *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"iters", required_argument, NULL, 'i'},
        {"quick", no_argument, NULL, 'q'},     {"keep", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    const char *out = "qs-seal-out";
    double scale = -1;
    long days = -1, iters = -1;
    uint64_t seed = 42;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "s:S:d:h", longopts, NULL)) != -1) {
        errno = 0;
        switch (opt) {
        case 's': seed = strtoull(optarg, &end, 0); break;
        case 'S': scale = strtod(optarg, &end); break;
        case 'd': days = strtol(optarg, &end, 10); break;
        case 'o': out = optarg; end = ""; break;
        case 'i': iters = strtol(optarg, &end, 10); break;
        case 'q': c->quick = 1; end = ""; break;
        case 'k': keep_work = 1; end = ""; break;
        default: usage();
        }
        if (errno || *end)
            usage();
    }
    if (optind != argc || (days >= 0 && (days < 1 || days > WL_MAX_DAYS)) ||
        (scale != -1 && scale <= 0) || iters == 0 || iters > 100000000)
        usage();
    c->params.seed = seed;
    c->params.scale = scale > 0 ? scale : c->quick ? 0.01 : 1.0;
    c->params.days = (int)(days > 0 ? days : c->quick ? 3 : 31);
    c->iters = (unsigned)(iters > 0 ? iters : c->quick ? 500 : 10000);
    if (strlen(out) >= sizeof c->out_dir)
        usage();
    snprintf(c->out_dir, sizeof c->out_dir, "%s", out);
    bench_command_line(argc, argv, c->command, sizeof c->command);
}

/* A fresh DIR/work, removed first when an earlier run left it. */
static void make_work_dir(const config *c)
{
    snprintf(work_dir, sizeof work_dir, "%s/work", c->out_dir);
    int rc = bench_work_dir(c->out_dir, work_dir, WORK_MARKER);
    if (rc)
        exit(rc);
    work_dir_made = 1;
}

/* ------------------------------------------------------------ loading */

/* What the generator produced, counted as it goes by. */
typedef struct counts {
    uint64_t tests, answers, interactions, hot_answers;
    uint64_t max_test_id;
    int32_t first_day;
    size_t n_days;                 /* first_day .. the day before SEAL_NOW_MS */
    uint64_t *answers_by_day;      /* by day - first_day */
    uint64_t *ixs_by_day;
    uint32_t *dec_answers;         /* by user id: answers given in 2025-12 */
} counts;

static void count_day(const counts *k, uint64_t *by_day, int64_t t)
{
    int64_t d = t / WL_DAY_MS - k->first_day;
    if (d < 0 || (size_t)d >= k->n_days)
        fail(1, "a row at %lld ms lies outside the days counted", (long long)t);
    by_day[d]++;
}

/* Rows of @p by_day in [start, end): bucket periods begin and end at midnight UTC. */
static uint64_t rows_between(const counts *k, const uint64_t *by_day, int64_t start,
                             int64_t end)
{
    uint64_t n = 0;
    for (size_t d = 0; d < k->n_days; d++) {
        int64_t t = ((int64_t)k->first_day + (int64_t)d) * WL_DAY_MS;
        if (t >= start && t < end)
            n += by_day[d];
    }
    return n;
}

/* Both backends, written in lockstep: the same rows in the same order give the same
 * answer ids in both stores. */
typedef struct loader {
    backend *be[N_ENGINES];
    unsigned in_batch;
    counts *k;
} loader;

static void batch_begin(loader *l)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->begin(l->be[e]));
    l->in_batch = 0;
}

static void batch_end(loader *l)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->commit(l->be[e]));
}

static void batch_step(loader *l)
{
    if (++l->in_batch < LOAD_BATCH)
        return;
    batch_end(l);
    batch_begin(l);
}

static void write_test(loader *l, const wl_test *t)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->put_test(l->be[e], t));
    batch_step(l);
}

static void write_answer(loader *l, const wl_answer *a)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->answer_submit(l->be[e], a));
    count_day(l->k, l->k->answers_by_day, a->created_at);
    batch_step(l);
}

static int load_test(void *ctx, const wl_test *t)
{
    loader *l = ctx;
    write_test(l, t);
    l->k->tests++;
    if (t->id > l->k->max_test_id)
        l->k->max_test_id = t->id;
    return 0;
}

static int load_answer(void *ctx, const wl_answer *a)
{
    loader *l = ctx;
    write_answer(l, a);
    l->k->answers++;
    if (a->created_at >= DEC_START_MS && a->created_at < WL_NOW_MS)
        l->k->dec_answers[a->user]++;
    return 0;
}

static int load_interaction(void *ctx, const wl_interaction *ix)
{
    loader *l = ctx;
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->interaction_log(l->be[e], ix));
    l->k->interactions++;
    count_day(l->k, l->k->ixs_by_day, ix->created_at);
    batch_step(l);
    return 0;
}

static void load_history(loader *l, const wl_gen *g)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->load_bank(l->be[e], g));
    batch_begin(l);
    wl_sink sink = {load_test, load_answer, load_interaction, l};
    int rc = wl_run(g, WL_HISTORY, &sink);
    if (rc)
        fail(2, "generating the history: %s", strerror(rc));
    batch_end(l);
}

/* ------------------------------------------------------------ the sample */

/* One sampled user and the two pages measured for them. */
typedef struct sample {
    uint32_t user;
    uint32_t dec_answers;
    uint64_t deep_offset;              /* rows newer than the deep page */
    qs_cursor deep_after;              /* the cursor the deep page resumes after */
    bk_position deep_pos;              /* the same position as (created_at, answer id) */
    qs_history_row hot[PAGE_ROWS];     /* the pages as read before sealing */
    qs_history_row deep[PAGE_ROWS];
} sample;

typedef enum page_kind { PAGE_HOT, PAGE_DEEP } page_kind;

static const char *const page_names[] = {"hot", "deep"};

/* Up to SAMPLE_USERS users, uniformly without replacement (seeded), among those with
 * at least DEEP_MIN_ROWS answers in 2025-12. */
static size_t pick_users(const counts *k, uint32_t users, uint64_t seed, sample *out)
{
    uint32_t *eligible = malloc(((size_t)users + 1) * sizeof *eligible);
    size_t n = 0;
    if (!eligible)
        fail(2, "out of memory");
    for (uint32_t u = 1; u <= users; u++)
        if (k->dec_answers[u] >= DEEP_MIN_ROWS)
            eligible[n++] = u;
    rng r;
    bd_rng_init(&r, seed, "qs-seal users");
    size_t picked = n < SAMPLE_USERS ? n : SAMPLE_USERS;
    for (size_t i = 0; i < picked; i++) {
        size_t j = i + (size_t)rng_below(&r, n - i);
        uint32_t u = eligible[j];
        eligible[j] = eligible[i];
        eligible[i] = u;
        memset(&out[i], 0, sizeof out[i]);
        out[i].user = u;
        out[i].dec_answers = k->dec_answers[u];
    }
    free(eligible);
    return picked;
}

/* One COMPLETED test of HOT_ANSWERS questions per sampled user, created on 2026-02-02,
 * and its answers, 90 s apart, each correct: through both backends. */
static void add_hot_answers(loader *l, const wl_gen *g, const sample *s, size_t n)
{
    static wl_text_buf text;
    batch_begin(l);
    for (size_t i = 0; i < n; i++) {
        wl_test t;
        memset(&t, 0, sizeof t);
        t.id = l->k->max_test_id + 1 + i;
        t.user = s[i].user;
        t.status = WL_TEST_COMPLETED;
        t.mode = WL_MODE_TUTOR;
        t.n_questions = t.n_answers = HOT_ANSWERS;
        t.created_at = FEB_START_MS + WL_DAY_MS + (int64_t)i * 60000;
        t.last_activity_at = t.completed_at = t.created_at + HOT_ANSWERS * 90000;
        for (unsigned q = 0; q < HOT_ANSWERS; q++)   /* distinct: 613 q < 20000 */
            t.questions[q] = (uint32_t)((s[i].user * 7919ull + q * 613u) % WL_QUESTIONS) + 1;
        write_test(l, &t);
        for (unsigned q = 0; q < HOT_ANSWERS; q++) {
            wl_question wq;
            wl_question_get(g, t.questions[q], &wq, &text);
            wl_answer a = {.test = t.id, .question = t.questions[q], .user = t.user,
                           .correct = 1, .chosen = (int8_t)wq.correct_option,
                           .status = WL_ANSWERED, .score = 70, .position = (uint8_t)q,
                           .time_spent_ms = 60000,
                           .created_at = t.created_at + (int64_t)(q + 1) * 90000};
            write_answer(l, &a);
            l->k->hot_answers++;
        }
    }
    batch_end(l);
}

/* ------------------------------------------------------------ quizstore: pages */

#define ROW_FIELDS 10
static const char *const row_field_names[ROW_FIELDS] = {
    "answer_id", "test", "question", "topic", "correct", "status", "score", "chosen",
    "time_spent_ms", "created_at"};

static void row_fields(const qs_history_row *r, int64_t v[ROW_FIELDS])
{
    v[0] = (int64_t)r->answer_id;
    v[1] = (int64_t)r->test;
    v[2] = r->question;
    v[3] = r->topic;
    v[4] = r->correct;
    v[5] = r->status;
    v[6] = r->score;
    v[7] = r->chosen;
    v[8] = r->time_spent_ms;
    v[9] = r->created_at;
}

/* Exit 1 unless @p got holds the @p want rows, field for field. */
static void check_page(const sample *s, page_kind kind, const char *when,
                       const qs_history_row *want, const qs_history_row *got, size_t n)
{
    if (n != PAGE_ROWS)
        fail(1, "user %u, %s page %s: %zu rows instead of %d", s->user, page_names[kind], when,
             n, PAGE_ROWS);
    for (size_t i = 0; i < n; i++) {
        int64_t a[ROW_FIELDS], b[ROW_FIELDS];
        row_fields(&want[i], a);
        row_fields(&got[i], b);
        for (int f = 0; f < ROW_FIELDS; f++)
            if (a[f] != b[f])
                fail(1, "user %u, %s page %s: row %zu field %s: %lld before sealing, %lld now",
                     s->user, page_names[kind], when, i, row_field_names[f], (long long)a[f],
                     (long long)b[f]);
    }
}

static void check_rows_between(const sample *s, page_kind kind, const qs_history_row *rows,
                               int64_t from, int64_t to)
{
    for (size_t i = 0; i < PAGE_ROWS; i++)
        if (rows[i].created_at < from || rows[i].created_at >= to)
            fail(1, "user %u: row %zu of the %s page, at %lld ms, is outside its bucket",
                 s->user, i, page_names[kind], (long long)rows[i].created_at);
}

/* The hot page, and the deep page at the middle of the user's 2025-12 answers, reached
 * by paging from the newest row with qs_history cursors; the cursor is kept. */
static void find_pages(qs_txn *txn, sample *s)
{
    static qs_history_row skip[SKIP_ROWS];
    size_t n;
    QS(qs_history(txn, s->user, NULL, s->hot, PAGE_ROWS, &n, NULL));
    if (n != PAGE_ROWS)
        fail(1, "user %u: the first history page holds %zu rows", s->user, n);
    uint64_t target = (HOT_ANSWERS + s->dec_answers / 2) / PAGE_ROWS * PAGE_ROWS;
    for (uint64_t done = 0; done < target; done += n) {
        size_t want = target - done < SKIP_ROWS ? (size_t)(target - done) : SKIP_ROWS;
        QS(qs_history(txn, s->user, done ? &s->deep_after : NULL, skip, want, &n,
                      &s->deep_after));
        if (n != want)
            fail(1, "user %u: history ends after %llu rows", s->user,
                 (unsigned long long)(done + n));
        s->deep_pos.created_at = skip[n - 1].created_at;
        s->deep_pos.answer_id = skip[n - 1].answer_id;
    }
    s->deep_offset = target;
    QS(qs_history(txn, s->user, &s->deep_after, s->deep, PAGE_ROWS, &n, NULL));
    if (n != PAGE_ROWS)
        fail(1, "user %u: the deep page holds %zu rows", s->user, n);
    check_rows_between(s, PAGE_HOT, s->hot, FEB_START_MS, SEAL_NOW_MS);
    check_rows_between(s, PAGE_DEEP, s->deep, DEC_START_MS, WL_NOW_MS);
}

typedef struct latency {
    uint64_t n;
    double p50, p99;   /* microseconds */
} latency;

static latency latency_of(const hist *h)
{
    return (latency){h->n, hist_quantile_ns(h, 0.50) / 1e3, hist_quantile_ns(h, 0.99) / 1e3};
}

static unsigned warm_up_calls(unsigned iters, size_t n_samples)
{
    unsigned w = iters / 10;
    return w < n_samples ? (unsigned)n_samples : w;
}

/* @p iters timed calls, one qs_history page each in a read transaction (renew, call,
 * reset), over the samples in turn, after a warm-up; every page is checked against
 * the raw one. */
static latency measure_qs(qs_env *env, const sample *s, size_t n_s, page_kind kind,
                          unsigned iters, const char *when)
{
    static hist h;
    qs_history_row rows[PAGE_ROWS];
    qs_txn *txn;
    unsigned warm = warm_up_calls(iters, n_s);
    hist_reset(&h);
    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    qs_txn_reset(txn);
    for (unsigned i = 0; i < warm + iters; i++) {
        const sample *x = &s[i % n_s];
        size_t n = 0;
        uint64_t t0 = bench_now_ns();
        int rc = qs_txn_renew(txn);
        if (!rc)
            rc = qs_history(txn, x->user, kind == PAGE_DEEP ? &x->deep_after : NULL, rows,
                            PAGE_ROWS, &n, NULL);
        qs_txn_reset(txn);
        uint64_t t1 = bench_now_ns();
        if (rc)
            fail(2, "qs_history user %u: %s (%s)", x->user, qs_strerror(rc), qs_errmsg());
        if (i >= warm)
            hist_record(&h, t1 - t0);
        check_page(x, kind, when, kind == PAGE_DEEP ? x->deep : x->hot, rows, n);
    }
    qs_txn_abort(txn);
    return latency_of(&h);
}

/* ------------------------------------------------------------ quizstore: buckets */

typedef struct bucket_set {
    qs_bucket_info *b;
    size_t n;
} bucket_set;

static bucket_set list_buckets(qs_env *env)
{
    bucket_set set = {NULL, 0};
    qs_txn *txn;
    size_t n = 0, cap = 16;
    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    for (;;) {
        qs_bucket_info *b = realloc(set.b, cap * sizeof *b);
        if (!b)
            fail(2, "out of memory");
        set.b = b;
        QS(qs_bucket_list(txn, set.b, cap, &n));
        if (n <= cap)
            break;
        cap = n;
    }
    qs_txn_abort(txn);
    set.n = n;
    return set;
}

/* The database named @p name from qs_db_stats. */
static qs_db_stat db_stat(qs_env *env, const char *name)
{
    qs_txn *txn;
    qs_db_stat *st = NULL, found;
    size_t n = 0, cap = 64;
    memset(&found, 0, sizeof found);
    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    for (;;) {
        qs_db_stat *p = realloc(st, cap * sizeof *p);
        if (!p)
            fail(2, "out of memory");
        st = p;
        QS(qs_db_stats(txn, st, cap, &n));
        if (n <= cap)
            break;
        cap = n;
    }
    qs_txn_abort(txn);
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, name) == 0)
            found = st[i];
    free(st);
    if (!found.name[0])
        fail(2, "no database %s in qs_db_stats", name);
    return found;
}

static const qs_bucket_info *find_bucket(const bucket_set *set, qs_table table, int64_t start)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->b[i].table == table && set->b[i].start == start)
            return &set->b[i];
    return NULL;
}

/* Every bucket holds the rows generated in its period, and no row is elsewhere. */
static void check_bucket_rows(const bucket_set *set, const counts *k, const char *when)
{
    uint64_t sum[3] = {0, 0, 0};
    for (size_t i = 0; i < set->n; i++) {
        const qs_bucket_info *b = &set->b[i];
        const uint64_t *by_day = b->table == QS_TABLE_ANSWERS ? k->answers_by_day : k->ixs_by_day;
        uint64_t want = rows_between(k, by_day, b->start, b->end);
        if (b->rows != want)
            fail(1, "%s %s: %llu rows, the workload has %llu in its period", when, b->name,
                 (unsigned long long)b->rows, (unsigned long long)want);
        sum[b->table == QS_TABLE_ANSWERS ? 1 : 2] += b->rows;
    }
    if (sum[1] != k->answers + k->hot_answers || sum[2] != k->interactions)
        fail(1, "%s: the buckets hold %llu answers and %llu interactions, the workload %llu "
             "and %llu", when, (unsigned long long)sum[1], (unsigned long long)sum[2],
             (unsigned long long)(k->answers + k->hot_answers),
             (unsigned long long)k->interactions);
}

/* Bytes and rows of the history's buckets of @p table (periods that start before
 * 2026-01-01: the ones sealing compresses; the hot 2026-02 bucket is apart). */
typedef struct bucket_sum {
    uint64_t rows, bytes;
} bucket_sum;

static bucket_sum history_buckets(const bucket_set *set, qs_table table)
{
    bucket_sum s = {0, 0};
    for (size_t i = 0; i < set->n; i++)
        if (set->b[i].table == table && set->b[i].start < WL_NOW_MS) {
            s.rows += set->b[i].rows;
            s.bytes += set->b[i].bytes;
        }
    return s;
}

typedef struct seal_result {
    qs_bucket_info info;   /* the sealed bucket */
    double seconds;        /* qs_bucket_seal and the commit */
    int hot;               /* QS_HOT: stays raw */
} seal_result;

static void set_hot_periods(qs_env *env, unsigned periods)
{
    qs_txn *txn;
    qs_bucket_policy p;
    QS(qs_txn_begin(env, 0, &txn));
    QS(qs_bucket_policy_get(txn, &p));
    p.hot_periods = periods;
    QS(qs_bucket_policy_set(txn, &p));
    QS(qs_txn_commit(txn));
}

/* Seal every raw bucket of @p before that is sealable at SEAL_NOW_MS, one write
 * transaction each; out[i] is for before->b[i]. */
static void seal_all(qs_env *env, const bucket_set *before, seal_result *out)
{
    for (size_t i = 0; i < before->n; i++) {
        const qs_bucket_info *b = &before->b[i];
        qs_txn *txn;
        memset(&out[i], 0, sizeof out[i]);
        if (b->sealed)
            fail(1, "%s is sealed already", b->name);
        double t0 = bench_now();
        QS(qs_txn_begin(env, 0, &txn));
        int rc = qs_bucket_seal(txn, b->table, b->start, SEAL_NOW_MS, &out[i].info);
        if (rc == QS_HOT) {
            qs_txn_abort(txn);
            out[i].hot = 1;
            bench_note("%s: hot at 2026-03-01, stays raw", b->name);
            continue;
        }
        if (rc) {
            qs_txn_abort(txn);
            fail(2, "sealing %s: %s (%s)", b->name, qs_strerror(rc), qs_errmsg());
        }
        QS(qs_txn_commit(txn));
        out[i].seconds = bench_now() - t0;
        bench_note("%s: %llu rows, %.1f MB -> %.1f MB in %.2f s", b->name,
             (unsigned long long)out[i].info.rows, mb(out[i].info.raw_bytes),
             mb(out[i].info.bytes), out[i].seconds);
    }
}

/* Sealing changed no bucket's rows, sealed what was sealable and nothing else. */
static void check_sealed(const bucket_set *before, const bucket_set *after,
                         const seal_result *seals)
{
    if (after->n != before->n)
        fail(1, "%zu buckets before sealing, %zu after", before->n, after->n);
    for (size_t i = 0; i < before->n; i++) {
        const qs_bucket_info *b = &before->b[i];
        const qs_bucket_info *a = find_bucket(after, b->table, b->start);
        if (!a || a->rows != b->rows)
            fail(1, "%s: %llu rows before sealing, %llu after", b->name,
                 (unsigned long long)b->rows, a ? (unsigned long long)a->rows : 0ULL);
        if (!!a->sealed == seals[i].hot)
            fail(1, "%s is %s after sealing", a->name, a->sealed ? "sealed" : "raw");
        if (!seals[i].hot && (a->bytes != seals[i].info.bytes ||
                              seals[i].info.raw_bytes != b->bytes))
            fail(1, "%s: qs_bucket_seal reported %llu -> %llu bytes, qs_bucket_list "
                 "%llu -> %llu", b->name, (unsigned long long)seals[i].info.raw_bytes,
                 (unsigned long long)seals[i].info.bytes, (unsigned long long)b->bytes,
                 (unsigned long long)a->bytes);
        if (b->start < WL_NOW_MS && seals[i].hot)
            fail(1, "%s is a history bucket, yet hot at 2026-03-01", b->name);
    }
}

static uint64_t file_bytes(const char *dir, const char *file)
{
    char path[PATH_MAX + 64];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (stat(path, &st) != 0)
        fail(2, "stat %s: %s", path, strerror(errno));
    return (uint64_t)st.st_blocks * 512;
}

/* ------------------------------------------------------------ SQLite */

#define CANON_FIELDS 9
static const char *const canon_field_names[CANON_FIELDS] = {
    "answer_id", "created_at", "test", "question", "topic", "correct", "status", "score",
    "time_spent_ms"};

static uint64_t canon_u64(const bk_result *r, size_t field)
{
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--)
        v = v << 8 | r->bytes[field * 8 + (size_t)b];
    return v;
}

/* Exit 1 unless SQLite's page @p got holds quizstore's rows @p want. */
static void check_sqlite_page(const sample *s, page_kind kind, const bk_result *want,
                              const bk_result *got)
{
    if (got->len == want->len && memcmp(got->bytes, want->bytes, want->len) == 0)
        return;
    if (got->rows != want->rows)
        fail(1, "user %u, %s page: sqlite returns %u rows, quizstore %u", s->user,
             page_names[kind], got->rows, want->rows);
    for (size_t f = 0; f < want->len / 8; f++)
        if (canon_u64(want, f) != canon_u64(got, f))
            fail(1, "user %u, %s page: row %zu field %s: quizstore %lld, sqlite %lld", s->user,
                 page_names[kind], f / CANON_FIELDS, canon_field_names[f % CANON_FIELDS],
                 (long long)canon_u64(want, f), (long long)canon_u64(got, f));
    fail(1, "user %u, %s page: sqlite's rows differ", s->user, page_names[kind]);
}

/* The same pages through SQLite's history query (history_page), each call its own read
 * transaction, from the same positions. */
static latency measure_sqlite(backend *be, const sample *s, size_t n_s, page_kind kind,
                              unsigned iters)
{
    static hist h;
    bk_result got = {0}, want = {0};
    unsigned warm = warm_up_calls(iters, n_s);
    hist_reset(&h);
    for (unsigned i = 0; i < warm + iters; i++) {
        const sample *x = &s[i % n_s];
        bk_result_reset(&got);
        uint64_t t0 = bench_now_ns();
        BK(be, be->ops->history_page(be, x->user, kind == PAGE_DEEP ? &x->deep_pos : NULL,
                                     &got));
        uint64_t t1 = bench_now_ns();
        if (i >= warm)
            hist_record(&h, t1 - t0);
        bk_result_reset(&want);
        for (size_t r = 0; r < PAGE_ROWS; r++) {
            bk_quizstore_put_history_row(&want, kind == PAGE_DEEP ? &x->deep[r] : &x->hot[r]);
            want.rows++;
        }
        check_sqlite_page(x, kind, &want, &got);
    }
    bk_result_free(&got);
    bk_result_free(&want);
    return latency_of(&h);
}

/* The bytes of an index of @p t by name; 0 when it has none of that name. */
static uint64_t index_bytes(const bk_table_space *t, const char *name)
{
    for (unsigned i = 0; i < t->n_indexes; i++)
        if (strcmp(t->indexes[i].name, name) == 0)
            return t->indexes[i].bytes;
    return 0;
}

static uint64_t all_index_bytes(const bk_table_space *t)
{
    uint64_t b = 0;
    for (unsigned i = 0; i < t->n_indexes; i++)
        b += t->indexes[i].bytes;
    return b;
}

/* ------------------------------------------------------------ the report */

typedef struct state_row {
    const char *name;
    double answer_b, answer_index_b, ix_b;
    latency page[2];
} state_row;

enum { STATE_RAW, STATE_COMPACTED, STATE_SEALED, STATE_SQLITE, N_STATES };

typedef struct report {
    const config *cfg;
    wl_counts wc;
    const counts *k;
    const sample *s;
    size_t n_samples;
    uint32_t dec_min, dec_median, dec_max;
    state_row states[N_STATES];
    bucket_set before, after;
    const seal_result *seals;
    bucket_set compacted;
    qs_db_stat by_test_before, by_test_compacted, by_test_after;
    uint64_t file_before, file_compacted, file_after, file_after_compacted;
    bk_table_space sq_answer, sq_ix;
    double seconds;
} report;

static void print_states(FILE *f, const report *r)
{
    fprintf(f, "%-18s %9s %9s %14s %9s %9s %9s %9s\n", "engine / state", "B/answer",
            "+by-test", "B/interaction", "hot p50", "hot p99", "deep p50", "deep p99");
    for (int i = 0; i < N_STATES; i++) {
        const state_row *s = &r->states[i];
        fprintf(f, "%-18s %9.1f %9.1f %14.1f %9.2f %9.2f %9.2f %9.2f\n", s->name, s->answer_b,
                s->answer_index_b, s->ix_b, s->page[PAGE_HOT].p50, s->page[PAGE_HOT].p99,
                s->page[PAGE_DEEP].p50, s->page[PAGE_DEEP].p99);
    }
    fprintf(f,
            "compacted: the raw store after qs_compact (sealed: sealing that one).\n"
            "B/answer: quizstore: bytes of the history's answer buckets per answer; sqlite:\n"
            "  table answer + index answer_by_user (its rows in history order) per answer.\n"
            "+by-test: plus the (test, question) index: test_answers; sqlite_autoindex_answer_1.\n"
            "B/interaction: the history's interaction buckets; sqlite: table interaction.\n"
            "hot/deep: one history page of %d rows in a read transaction, microseconds,\n"
            "  %u timed calls each over the %zu sampled users.\n",
            PAGE_ROWS, r->cfg->iters, r->n_samples);
}

static void print_seals(FILE *f, const report *r)
{
    fprintf(f, "\n%-16s %11s %9s %7s %10s %7s %7s %8s\n", "bucket", "rows", "raw MB",
            "B/row", "sealed MB", "B/row", "ratio", "seal s");
    double total = 0;
    for (size_t i = 0; i < r->compacted.n; i++) {
        const qs_bucket_info *b = &r->compacted.b[i];
        const seal_result *s = &r->seals[i];
        fprintf(f, "%-16s %11llu %9.2f %7.1f ", b->name, (unsigned long long)b->rows,
                mb(b->bytes), per_row(b->bytes, b->rows));
        if (s->hot) {
            fprintf(f, "  hot at 2026-03-01: stays raw\n");
            continue;
        }
        total += s->seconds;
        fprintf(f, "%10.2f %7.1f %6.1fx %8.2f\n", mb(s->info.bytes),
                per_row(s->info.bytes, s->info.rows),
                s->info.bytes ? (double)s->info.raw_bytes / (double)s->info.bytes : 0,
                s->seconds);
    }
    fprintf(f,
            "Sealed at 2026-03-01 with hot_periods %d: each bucket in its own write\n"
            "transaction, timed to its durable commit; %.1f s in all. Bytes: qs_bucket_list.\n"
            "test_answers: %.1f MB for %llu entries (%.1f B each) as loaded, %.1f MB (%.1f B)\n"
            "compacted, %.1f MB after sealing.\n"
            "quizstore data.mdb: %.1f MB as loaded, %.1f MB compacted, %.1f MB after sealing\n"
            "(a seal writes the sealed bucket beside the raw one, whose pages it then frees\n"
            "for later writes), %.1f MB compacted again.\n",
            HOT_PERIODS, total, mb(r->by_test_before.bytes),
            (unsigned long long)r->by_test_before.entries,
            per_row(r->by_test_before.bytes, r->by_test_before.entries),
            mb(r->by_test_compacted.bytes),
            per_row(r->by_test_compacted.bytes, r->by_test_compacted.entries),
            mb(r->by_test_after.bytes), mb(r->file_before), mb(r->file_compacted),
            mb(r->file_after), mb(r->file_after_compacted));
}

static void print_table_space(FILE *f, const char *table, const bk_table_space *t)
{
    fprintf(f, "  %s: %llu rows, table %.1f MB", table, (unsigned long long)t->rows,
            mb(t->table_bytes));
    for (unsigned i = 0; i < t->n_indexes; i++)
        fprintf(f, ", %s %.1f MB", t->indexes[i].name, mb(t->indexes[i].bytes));
    fprintf(f, "\n");
}

static void print_sqlite_space(FILE *f, const report *r)
{
    fprintf(f, "sqlite, pages by %s:\n", r->sq_answer.method);
    print_table_space(f, "answer", &r->sq_answer);
    print_table_space(f, "interaction", &r->sq_ix);
}

static void print_report(FILE *f, const report *r)
{
    const wl_params *p = &r->cfg->params;
    fprintf(f, "command: %s\n", r->cfg->command);
    fprintf(f,
            "workload: seed %llu, S=%g (%u users), D=%d days to 2026-01-01: %llu tests,\n"
            "  %llu answers, %llu interactions; plus %llu answers dated 2026-02 (below)\n",
            (unsigned long long)p->seed, p->scale, r->wc.users, p->days,
            (unsigned long long)r->k->tests, (unsigned long long)r->k->answers,
            (unsigned long long)r->k->interactions, (unsigned long long)r->k->hot_answers);
    fprintf(f,
            "sample: %zu users, uniform among those with >= %d answers in 2025-12 (they have\n"
            "  %u .. %u, median %u); each got one test of %d answers dated 2026-02-02, its\n"
            "  newest rows: the hot page reads them (bucket 2026-02, hot at 2026-03-01); the\n"
            "  deep page starts at the middle of the user's 2025-12 answers (cursor kept)\n\n",
            r->n_samples, DEEP_MIN_ROWS, r->dec_min, r->dec_max, r->dec_median, HOT_ANSWERS);
    print_states(f, r);
    print_seals(f, r);
    print_sqlite_space(f, r);
    fprintf(f, "Every page returned the same rows raw, sealed and from SQLite. %.0f s in all.\n",
            r->seconds);
}

/* Print the report and write it to OUT/seal.txt. */
static void emit_report(const report *r)
{
    char path[PATH_MAX + 16];
    print_report(stdout, r);
    snprintf(path, sizeof path, "%s/seal.txt", r->cfg->out_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        fail(2, "%s: %s", path, strerror(errno));
    print_report(f, r);
    if (fclose(f) != 0)
        fail(2, "%s: %s", path, strerror(errno));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void sample_spread(report *r)
{
    uint32_t v[SAMPLE_USERS];
    for (size_t i = 0; i < r->n_samples; i++)
        v[i] = r->s[i].dec_answers;
    qsort(v, r->n_samples, sizeof v[0], cmp_u32);
    r->dec_min = v[0];
    r->dec_max = v[r->n_samples - 1];
    r->dec_median = v[r->n_samples / 2];
}

/* ------------------------------------------------------------ phases */

/* The store in @p dir compacted (the handle closed and opened again). */
static qs_env *compacted(qs_env *env, const char *dir)
{
    uint64_t before, after;
    double t0 = bench_now();
    qs_env_close(env);
    QS(qs_compact(dir, NULL, &before, &after));
    bench_note("quizstore: compacted, %.1f MB to %.1f MB in %.1f s", mb(before), mb(after),
         bench_now() - t0);
    QS(qs_env_open(dir, NULL, &env));
    return env;
}

/* The bytes of state @p row from its buckets and its test_answers. */
static void state_bytes(state_row *row, const bucket_set *set, const qs_db_stat *by_test)
{
    bucket_sum a = history_buckets(set, QS_TABLE_ANSWERS);
    bucket_sum x = history_buckets(set, QS_TABLE_INTERACTIONS);
    row->answer_b = per_row(a.bytes, a.rows);
    row->answer_index_b = row->answer_b + per_row(by_test->bytes, by_test->entries);
    row->ix_b = per_row(x.bytes, x.rows);
}

/* State @p row of the store: its pages timed, each checked against the raw ones. */
static void measure_state(qs_env *env, state_row *row, const char *name, const sample *s,
                          size_t n_s, unsigned iters)
{
    bench_note("quizstore: measuring %s", name);
    row->name = name;
    for (page_kind k = PAGE_HOT; k <= PAGE_DEEP; k++)
        row->page[k] = measure_qs(env, s, n_s, k, iters, name);
}

static void quizstore_phase(report *r, const char *dir, sample *s, size_t n_s)
{
    const config *c = r->cfg;
    qs_env *env;
    qs_txn *txn;
    QS(qs_env_open(dir, NULL, &env));

    r->before = list_buckets(env);
    check_bucket_rows(&r->before, r->k, "before sealing");
    r->by_test_before = db_stat(env, "test_answers");
    if (r->by_test_before.entries != r->k->answers + r->k->hot_answers)
        fail(1, "test_answers has %llu entries for %llu answers",
             (unsigned long long)r->by_test_before.entries,
             (unsigned long long)(r->k->answers + r->k->hot_answers));
    r->file_before = file_bytes(dir, "data.mdb");

    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    for (size_t i = 0; i < n_s; i++)
        find_pages(txn, &s[i]);
    qs_txn_abort(txn);
    measure_state(env, &r->states[STATE_RAW], "quizstore raw", s, n_s, c->iters);

    env = compacted(env, dir);
    r->compacted = list_buckets(env);
    check_bucket_rows(&r->compacted, r->k, "after compacting");
    r->by_test_compacted = db_stat(env, "test_answers");
    r->file_compacted = file_bytes(dir, "data.mdb");
    measure_state(env, &r->states[STATE_COMPACTED], "compacted", s, n_s, c->iters);

    set_hot_periods(env, HOT_PERIODS);
    seal_result *seals = calloc(r->compacted.n, sizeof *seals);
    if (!seals)
        fail(2, "out of memory");
    seal_all(env, &r->compacted, seals);
    r->seals = seals;
    r->after = list_buckets(env);
    check_sealed(&r->compacted, &r->after, seals);
    check_bucket_rows(&r->after, r->k, "after sealing");
    r->by_test_after = db_stat(env, "test_answers");
    r->file_after = file_bytes(dir, "data.mdb");
    measure_state(env, &r->states[STATE_SEALED], "quizstore sealed", s, n_s, c->iters);
    env = compacted(env, dir);
    r->file_after_compacted = file_bytes(dir, "data.mdb");
    qs_env_close(env);

    state_bytes(&r->states[STATE_RAW], &r->before, &r->by_test_before);
    state_bytes(&r->states[STATE_COMPACTED], &r->compacted, &r->by_test_compacted);
    state_bytes(&r->states[STATE_SEALED], &r->after, &r->by_test_after);
}

static void sqlite_phase(report *r, backend *be, const sample *s, size_t n_s)
{
    if (!be->ops->table_space || !be->ops->history_page)
        fail(2, "the sqlite backend lacks table_space or history_page");
    BK(be, be->ops->table_space(be, "answer", &r->sq_answer));
    BK(be, be->ops->table_space(be, "interaction", &r->sq_ix));
    if (r->sq_answer.rows != r->k->answers + r->k->hot_answers ||
        r->sq_ix.rows != r->k->interactions)
        fail(1, "sqlite holds %llu answers and %llu interactions, the workload %llu and %llu",
             (unsigned long long)r->sq_answer.rows, (unsigned long long)r->sq_ix.rows,
             (unsigned long long)(r->k->answers + r->k->hot_answers),
             (unsigned long long)r->k->interactions);
    bench_note("sqlite: measuring");
    state_row *row = &r->states[STATE_SQLITE];
    const bk_table_space *a = &r->sq_answer;
    uint64_t ordered = a->table_bytes + index_bytes(a, "answer_by_user");
    row->name = "sqlite";
    row->answer_b = per_row(ordered, a->rows);
    row->answer_index_b = per_row(a->table_bytes + all_index_bytes(a), a->rows);
    row->ix_b = per_row(r->sq_ix.table_bytes + all_index_bytes(&r->sq_ix), r->sq_ix.rows);
    for (page_kind k = PAGE_HOT; k <= PAGE_DEEP; k++)
        row->page[k] = measure_sqlite(be, s, n_s, k, r->cfg->iters);
}

int main(int argc, char **argv)
{
    static config c;
    static report r;
    static sample samples[SAMPLE_USERS];
    bench_harness_init("qs-seal");
    parse_args(&c, argc, argv);
    make_work_dir(&c);
    r.cfg = &c;

    wl_gen *g;
    if (wl_open(&c.params, &g))
        fail(1, "bad workload parameters");
    wl_counts_get(g, &r.wc);
    counts k = {0};
    k.first_day = r.wc.first_day;
    k.n_days = (size_t)(SEAL_NOW_MS / WL_DAY_MS - k.first_day);
    k.answers_by_day = calloc(k.n_days, sizeof *k.answers_by_day);
    k.ixs_by_day = calloc(k.n_days, sizeof *k.ixs_by_day);
    k.dec_answers = calloc((size_t)r.wc.users + 1, sizeof *k.dec_answers);
    if (!k.answers_by_day || !k.ixs_by_day || !k.dec_answers)
        fail(2, "out of memory");
    r.k = &k;

    char dirs[N_ENGINES][PATH_MAX + 64];
    loader l = {{bk_new(&bk_quizstore_ops), bk_new(&bk_sqlite_ops)}, 0, &k};
    snprintf(dirs[QS_ENGINE], sizeof dirs[0], "%s/quizstore", work_dir);
    snprintf(dirs[SQLITE_ENGINE], sizeof dirs[0], "%s/sqlite", work_dir);
    for (int e = 0; e < N_ENGINES; e++) {
        if (!l.be[e])
            fail(2, "out of memory");
        BK(l.be[e], l.be[e]->ops->open(l.be[e], dirs[e], BK_SYNC_LAZY));
    }
    bench_note("loading S=%g D=%d into quizstore and sqlite", c.params.scale, c.params.days);
    load_history(&l, g);
    bench_note("loaded %llu tests, %llu answers, %llu interactions",
         (unsigned long long)k.tests, (unsigned long long)k.answers,
         (unsigned long long)k.interactions);
    r.s = samples;
    r.n_samples = pick_users(&k, r.wc.users, c.params.seed, samples);
    if (r.n_samples == 0)
        fail(1, "no user has %d answers in 2025-12: use a larger -S or -d", DEEP_MIN_ROWS);
    sample_spread(&r);
    add_hot_answers(&l, g, samples, r.n_samples);
    bk_free(l.be[QS_ENGINE]);   /* the API opens the store itself from here */
    l.be[QS_ENGINE] = NULL;
    wl_close(g);

    quizstore_phase(&r, dirs[QS_ENGINE], samples, r.n_samples);
    sqlite_phase(&r, l.be[SQLITE_ENGINE], samples, r.n_samples);
    bk_free(l.be[SQLITE_ENGINE]);

    r.seconds = bench_elapsed();
    emit_report(&r);
    free(k.answers_by_day);
    free(k.ixs_by_day);
    free(k.dec_answers);
    remove_work();
    return 0;
}
