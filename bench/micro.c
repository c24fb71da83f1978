/* qs-micro: quizstore alone on the reference workload, through the public API.
 *
 * Writes go through the bench's quizstore backend (backend_qs.c); reads use the API
 * on a store opened the default way. Loads D days of history at scale S, then
 * measures, single-threaded:
 * - the load rate of the history (answers/s, batches of 1000, lazy sync), and with -c
 *   the store compacted after it (qs_compact);
 * - question record bytes and question_get latency before and after the bank
 *   dictionary (qs_bank_compress);
 * - latency of each read the product makes, one read transaction per operation;
 * - answer recording at batch 1 with durable commits, and at batch 50 lazily
 *   (the backend's lazy mode: periodic sync and write_map).
 * Prints one line per figure; medians and tails in microseconds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "harness.h"
#include "quizstore.h"
#include "workload.h"

#define DIE(...) do { fprintf(stderr, "qs-micro: " __VA_ARGS__); fputc('\n', stderr); exit(EXIT_FAILURE); } while (0)
#define QS(x) do { int rc_ = (x); if (rc_) DIE("%s: %s (%s)", #x, qs_strerror(rc_), qs_errmsg()); } while (0)

/* ------------------------------------------------------------------ writes */

#define BK(be, x) do { if ((x) != 0) DIE("%s", (be)->err); } while (0)

/* Writes of a workload window through the backend: tests always, answers up to a
 * limit, in batches; the time spent submitting answers is summed. */
typedef struct writer {
    backend *be;
    unsigned batch, in_batch;
    uint64_t limit, done;
    double busy;
} writer;

static void batch_step(writer *w)
{
    if (++w->in_batch < w->batch)
        return;
    BK(w->be, w->be->ops->commit(w->be));
    BK(w->be, w->be->ops->begin(w->be));
    w->in_batch = 0;
}

static int write_test(void *ctx, const wl_test *t)
{
    writer *w = ctx;
    BK(w->be, w->be->ops->put_test(w->be, t));
    batch_step(w);
    return 0;
}

static int write_answer(void *ctx, const wl_answer *a)
{
    writer *w = ctx;
    if (w->done >= w->limit)
        return 1;
    double t0 = bench_now();
    BK(w->be, w->be->ops->answer_submit(w->be, a));
    batch_step(w);
    w->busy += bench_now() - t0;
    w->done++;
    return 0;
}

/* Run @p window through a backend on @p dir opened with @p sync. */
static writer write_window(const char *dir, const wl_gen *g, wl_window window, bk_sync sync,
                           unsigned batch, uint64_t limit, int load_bank)
{
    writer w = {bk_new(&bk_quizstore_ops), batch, 0, limit, 0, 0};
    if (!w.be)
        DIE("out of memory");
    BK(w.be, w.be->ops->open(w.be, dir, sync));
    if (load_bank)
        BK(w.be, w.be->ops->load_bank(w.be, g));
    BK(w.be, w.be->ops->begin(w.be));
    wl_sink sink = {write_test, write_answer, NULL, &w};
    wl_run(g, window, &sink);
    BK(w.be, w.be->ops->commit(w.be));
    bk_free(w.be);
    w.be = NULL;
    return w;
}

/* ------------------------------------------------------------------ timing */

typedef struct samples {
    double *us;
    size_t n, cap;
} samples;

static void sample_add(samples *s, double us)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        if (!(s->us = realloc(s->us, s->cap * sizeof *s->us)))
            DIE("out of memory");
    }
    s->us[s->n++] = us;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, samples *s)
{
    qsort(s->us, s->n, sizeof *s->us, cmp_double);
    printf("%-28s n=%-7zu p50=%8.2f us  p99=%8.2f us  p99.9=%8.2f us\n", name, s->n,
           s->us[s->n / 2], s->us[s->n * 99 / 100], s->us[s->n * 999 / 1000]);
    s->n = 0;
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef enum op { OP_QUESTION, OP_DASHBOARD, OP_PROGRESS, OP_LEADERBOARD, OP_HISTORY,
                  OP_TEST_LIST } op;
static const char *const op_names[] = {"question_get", "dashboard", "progress_view",
                                       "leaderboard (top100+rank)", "history (2 pages)",
                                       "test_list"};

static void run_op(qs_txn *txn, op o, const wl_gen *g, const wl_counts *c)
{
    static qs_question q;
    static qs_dashboard d;
    static qs_progress_row pr[WL_TOPICS];
    static qs_rank_row top[100];
    static qs_history_row h[20];
    static qs_test_row tl[20];
    uint32_t user = wl_user_of_rank(g, (uint32_t)(rnd() % c->users) + 1);
    qs_rank_row me;
    qs_cursor cur;
    size_t n;
    switch (o) {
    case OP_QUESTION:
        QS(qs_question_get(txn, (uint32_t)(rnd() % WL_QUESTIONS) + 1, &q));
        break;
    case OP_DASHBOARD:
        QS(qs_dashboard_get(txn, user, WL_NOW_MS, &d));
        break;
    case OP_PROGRESS:
        QS(qs_progress(txn, user, pr, WL_TOPICS, &n));
        break;
    case OP_LEADERBOARD:
        QS(qs_leaderboard_top(txn, QS_BOARD_ALL_TIME, top, 100, &n));
        QS(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, user, &me));
        break;
    case OP_HISTORY:
        QS(qs_history(txn, user, NULL, h, 20, &n, &cur));
        QS(qs_history(txn, user, &cur, h, 20, &n, &cur));
        break;
    case OP_TEST_LIST:
        QS(qs_test_list(txn, user, tl, 20, &n));
        break;
    }
}

static void measure_reads(qs_env *env, const wl_gen *g, const wl_counts *c, unsigned iters,
                          op first, op last)
{
    samples s = {0};
    qs_txn *txn;
    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    qs_txn_reset(txn);
    for (op o = first; o <= last; o++) {
        for (unsigned i = 0; i < iters / 10; i++) {   /* warm-up */
            QS(qs_txn_renew(txn));
            run_op(txn, o, g, c);
            qs_txn_reset(txn);
        }
        for (unsigned i = 0; i < iters; i++) {
            double t0 = bench_now();
            QS(qs_txn_renew(txn));
            run_op(txn, o, g, c);
            qs_txn_reset(txn);
            sample_add(&s, (bench_now() - t0) * 1e6);
        }
        report(op_names[o], &s);
    }
    qs_txn_abort(txn);
    free(s.us);
}

static uint64_t question_bytes(qs_env *env)
{
    qs_txn *txn;
    qs_db_stat st[256];
    size_t n;
    uint64_t bytes = 0;
    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    QS(qs_db_stats(txn, st, 256, &n));
    for (size_t i = 0; i < n && i < 256; i++)
        if (strcmp(st[i].name, "question") == 0)
            bytes = st[i].bytes;

    qs_txn_abort(txn);
    return bytes;
}

/* Next-day answers after the first @p skip, @p n of them in batches of @p batch. */
static void measure_submits(const char *dir, const wl_gen *g, unsigned batch, uint64_t n,
                            bk_sync sync, uint64_t skip)
{
    if (skip)   /* what an earlier figure recorded is passed over, untimed */
        write_window(dir, g, WL_NEXT_DAY, BK_SYNC_LAZY, 1000, skip, 0);
    writer w = write_window(dir, g, WL_NEXT_DAY, sync, batch, skip + n, 0);
    uint64_t done = w.done - skip;
    printf("answer_submit batch %-3u %-8s %8.0f answers/s (%llu answers, every aggregate)\n",
           batch, sync == BK_SYNC_DURABLE ? "durable" : "lazy", (double)done / w.busy,
           (unsigned long long)done);
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
    fprintf(stderr, "usage: qs-micro [-s SEED] [-S SCALE] [-d DAYS] [-i READ_ITERS] "
                    "[-n DURABLE_ANSWERS] [-p month|week|day] [-c] DIR\n"
                    "DIR must not exist; it is created and left for inspection.\n"
                    "-p: the store's time buckets (default month)\n"
                    "-c: compact the store after the load\n");
    exit(EXIT_FAILURE);
}

int main(int argc, char **argv)
{
    wl_params p = {42, 1.0, 7};
    unsigned iters = 20000;
    uint64_t durable_n = 1000;
    int opt, compact = 0;
    bench_harness_init("qs-micro");
    while ((opt = getopt(argc, argv, "s:S:d:i:n:p:c")) != -1) {
        switch (opt) {
        case 's': p.seed = strtoull(optarg, NULL, 10); break;
        case 'S': p.scale = atof(optarg); break;
        case 'd': p.days = atoi(optarg); break;
        case 'i': iters = (unsigned)atoi(optarg); break;
        case 'n': durable_n = strtoull(optarg, NULL, 10); break;
        case 'c': compact = 1; break;
        case 'p':
            if (bk_quizstore_period(optarg) != 0)
                usage();
            break;
        default: usage();
        }
    }
    if (optind + 1 != argc || iters < 10)
        usage();
    const char *dir = argv[optind];
    if (mkdir(dir, 0755) != 0)
        DIE("cannot create %s: %s", dir, strerror(errno));

    wl_gen *g;
    wl_counts c;
    if (wl_open(&p, &g))
        DIE("bad workload parameters");
    wl_counts_get(g, &c);
    printf("workload: seed %llu, S=%g (%u users), D=%d days\n", (unsigned long long)p.seed,
           p.scale, c.users, p.days);

    double t0 = bench_now();
    writer w = write_window(dir, g, WL_HISTORY, BK_SYNC_LAZY, 1000, UINT64_MAX, 1);
    double secs = bench_now() - t0;
    printf("load through the backend   %llu answers in %.1f s: %.0f answers/s "
           "(batches of 1000)\n", (unsigned long long)w.done, secs, w.done / secs);

    if (compact) {
        uint64_t before, after;
        t0 = bench_now();
        QS(qs_compact(dir, NULL, &before, &after));
        printf("compacted                  %.1f MB to %.1f MB in %.1f s\n", before / 1e6,
               after / 1e6, bench_now() - t0);
    }
    qs_env *env;
    QS(qs_env_open(dir, NULL, &env));
    uint64_t raw = question_bytes(env);
    measure_reads(env, g, &c, iters, OP_QUESTION, OP_QUESTION);
    qs_compress_report rep = {.size = sizeof rep};
    qs_txn *txn;
    QS(qs_txn_begin(env, 0, &txn));
    QS(qs_bank_compress(txn, &rep));
    QS(qs_txn_commit(txn));
    printf("bank dictionary            %u bytes; %u of %u question records smaller; "
           "question db %llu -> %llu bytes\n", rep.dict_bytes, rep.compressed, rep.questions,
           (unsigned long long)raw, (unsigned long long)question_bytes(env));
    measure_reads(env, g, &c, iters, OP_QUESTION, OP_TEST_LIST);
    qs_env_close(env);

    measure_submits(dir, g, 1, durable_n, BK_SYNC_DURABLE, 0);
    measure_submits(dir, g, 50, 50000, BK_SYNC_LAZY, durable_n);
    wl_close(g);
    return 0;
}
