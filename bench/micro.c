/* qs-micro: quizstore alone on the reference workload, through the public API.
 *
 * Loads D days of history at scale S, then measures, single-threaded:
 * - the load rate of the history (answers/s, batches of 1000, periodic sync);
 * - question record bytes and question_get latency before and after the bank
 *   dictionary (qs_bank_compress);
 * - latency of each read the product makes, one read transaction per operation;
 * - answer recording at batch 1 with durable commits, and at batch 50.
 * Prints one line per figure; medians and tails in microseconds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "quizstore.h"
#include "workload.h"

#define DIE(...) do { fprintf(stderr, "qs-micro: " __VA_ARGS__); fputc('\n', stderr); exit(EXIT_FAILURE); } while (0)
#define QS(x) do { int rc_ = (x); if (rc_) DIE("%s: %s (%s)", #x, qs_strerror(rc_), qs_errmsg()); } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ load */

typedef struct loader {
    qs_env *env;
    qs_txn *txn;
    unsigned in_batch, batch;
    uint64_t answers;
} loader;

static void batch_step(loader *l)
{
    if (++l->in_batch < l->batch)
        return;
    QS(qs_txn_commit(l->txn));
    QS(qs_txn_begin(l->env, 0, &l->txn));
    l->in_batch = 0;
}

static void put_test(qs_txn *txn, const wl_test *w)
{
    qs_test t;
    memset(&t, 0, sizeof t);
    t.id = w->id;
    t.user = w->user;
    t.status = w->status;
    t.mode = w->mode;
    t.n_questions = w->n_questions;
    t.created_at = w->created_at;
    t.last_activity_at = w->created_at;
    t.completed_at = w->completed_at;
    memcpy(t.questions, w->questions, w->n_questions * sizeof t.questions[0]);
    QS(qs_test_put(txn, &t, NULL));
}

static qs_answer to_answer(const wl_answer *w)
{
    qs_answer a = {0};
    a.test = w->test;
    a.question = w->question;
    a.user = w->user;
    a.correct = (int8_t)w->correct;
    a.chosen = w->chosen;
    a.status = w->status;
    a.score = w->score;
    a.time_spent_ms = w->time_spent_ms;
    a.created_at = w->created_at;
    return a;
}

static int load_test(void *ctx, const wl_test *t)
{
    loader *l = ctx;
    put_test(l->txn, t);
    batch_step(l);
    return 0;
}

static int load_answer(void *ctx, const wl_answer *w)
{
    loader *l = ctx;
    qs_answer a = to_answer(w);
    QS(qs_answer_submit(l->txn, &a, NULL));
    l->answers++;
    batch_step(l);
    return 0;
}

static void put_taxa(qs_txn *txn, qs_kind kind, uint32_t n, void (*get)(uint32_t, wl_taxon *))
{
    for (uint32_t i = 1; i <= n; i++) {
        wl_taxon w;
        qs_taxon t = {0};
        get(i, &w);
        t.id = w.id;
        t.parent = w.parent;
        snprintf(t.name, sizeof t.name, "%s", w.name);
        QS(qs_taxon_put(txn, kind, &t, NULL));
    }
}

static void load_bank(qs_env *env, const wl_gen *g, const wl_counts *c)
{
    qs_txn *txn;
    QS(qs_txn_begin(env, 0, &txn));
    put_taxa(txn, QS_SUBJECT, WL_SUBJECTS, wl_subject_get);
    put_taxa(txn, QS_SYSTEM, WL_SYSTEMS, wl_system_get);
    put_taxa(txn, QS_TOPIC, WL_TOPICS, wl_topic_get);
    static wl_text_buf buf;
    for (uint32_t i = 1; i <= WL_QUESTIONS; i++) {
        wl_question w;
        qs_question q = {0};
        wl_question_get(g, i, &w, &buf);
        q.id = w.id;
        q.subject = w.subject;
        q.system = w.system;
        q.topic = w.topic;
        q.difficulty = w.difficulty;
        q.type = w.type;
        q.active = w.active;
        q.correct_option = w.correct_option;
        q.n_options = w.n_options;
        q.created_at = w.created_at;
        q.stem = (qs_text){w.stem.ptr, w.stem.len};
        q.explanation = (qs_text){w.explanation.ptr, w.explanation.len};
        for (unsigned o = 0; o < w.n_options; o++)
            q.options[o] = (qs_text){w.options[o].ptr, w.options[o].len};
        QS(qs_question_put(txn, &q, NULL));
    }
    for (uint32_t i = 1; i <= c->users; i++) {
        wl_user w;
        qs_user u = {0};
        wl_user_get(g, i, &w);
        u.id = w.id;
        u.created_at = w.created_at;
        QS(qs_user_put(txn, &u, NULL));
    }
    QS(qs_txn_commit(txn));
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
            double t0 = now_s();
            QS(qs_txn_renew(txn));
            run_op(txn, o, g, c);
            qs_txn_reset(txn);
            sample_add(&s, (now_s() - t0) * 1e6);
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

/* ------------------------------------------------------------------ submits */

typedef struct submitter {
    qs_env *env;
    qs_txn *txn;
    unsigned batch, in_batch;
    uint64_t limit, done;
    int tests_only;
    double busy;
} submitter;

static int next_day_test(void *ctx, const wl_test *t)
{
    submitter *s = ctx;
    if (s->tests_only)
        put_test(s->txn, t);
    return 0;
}

static int next_day_answer(void *ctx, const wl_answer *w)
{
    submitter *s = ctx;
    if (s->tests_only)
        return 0;
    if (s->done >= s->limit)
        return 1;
    qs_answer a = to_answer(w);
    double t0 = now_s();
    if (!s->txn)
        QS(qs_txn_begin(s->env, 0, &s->txn));
    int rc = qs_answer_submit(s->txn, &a, NULL);
    if (rc && rc != QS_EXISTS)
        DIE("submit: %s (%s)", qs_strerror(rc), qs_errmsg());
    if (++s->in_batch == s->batch) {
        QS(qs_txn_commit(s->txn));
        s->txn = NULL;
        s->in_batch = 0;
    }
    s->busy += now_s() - t0;
    s->done++;
    return 0;
}

static void measure_submits(const char *dir, const wl_gen *g, unsigned batch, uint64_t n,
                            qs_durability mode, uint64_t skip)
{
    qs_options o;
    qs_env *env;
    qs_options_init(&o);
    o.durability = mode;
    QS(qs_env_open(dir, &o, &env));
    submitter s = {env, NULL, batch, 0, skip, 0, 0, 0};
    wl_sink sink = {next_day_test, next_day_answer, NULL, &s};
    if (skip) {   /* pass the answers a previous run recorded */
        s.limit = skip;
        s.busy = 0;
        s.tests_only = 0;
        s.batch = 1000;
        wl_run(g, WL_NEXT_DAY, &sink);
        if (s.txn)
            QS(qs_txn_commit(s.txn));
        s.txn = NULL;
        s.in_batch = 0;
    }
    s.batch = batch;
    s.limit = skip + n;
    s.busy = 0;
    uint64_t before = s.done;
    wl_run(g, WL_NEXT_DAY, &sink);
    if (s.txn)
        QS(qs_txn_commit(s.txn));
    printf("answer_submit batch %-3u %-8s %8.0f answers/s (%llu answers, every aggregate)\n",
           batch, mode == QS_SYNC_DURABLE ? "durable" : "periodic",
           (double)(s.done - before) / s.busy, (unsigned long long)(s.done - before));
    qs_env_close(env);
}

static void create_next_day_tests(qs_env *env, const wl_gen *g)
{
    submitter s = {env, NULL, 0, 0, 0, 0, 1, 0};
    QS(qs_txn_begin(env, 0, &s.txn));
    wl_sink sink = {next_day_test, next_day_answer, NULL, &s};
    wl_run(g, WL_NEXT_DAY, &sink);
    QS(qs_txn_commit(s.txn));
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
    fprintf(stderr, "usage: qs-micro [-s SEED] [-S SCALE] [-d DAYS] [-i READ_ITERS] "
                    "[-n DURABLE_ANSWERS] DIR\n"
                    "DIR must not exist; it is created and left for inspection.\n");
    exit(EXIT_FAILURE);
}

int main(int argc, char **argv)
{
    wl_params p = {42, 1.0, 7};
    unsigned iters = 20000;
    uint64_t durable_n = 1000;
    int opt;
    while ((opt = getopt(argc, argv, "s:S:d:i:n:")) != -1) {
        switch (opt) {
        case 's': p.seed = strtoull(optarg, NULL, 10); break;
        case 'S': p.scale = atof(optarg); break;
        case 'd': p.days = atoi(optarg); break;
        case 'i': iters = (unsigned)atoi(optarg); break;
        case 'n': durable_n = strtoull(optarg, NULL, 10); break;
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

    qs_options o;
    qs_env *env;
    qs_options_init(&o);
    o.durability = QS_SYNC_PERIODIC;
    QS(qs_env_open(dir, &o, &env));
    double t0 = now_s();
    load_bank(env, g, &c);
    loader l = {env, NULL, 0, 1000, 0};
    QS(qs_txn_begin(env, 0, &l.txn));
    wl_sink sink = {load_test, load_answer, NULL, &l};
    if (wl_run(g, WL_HISTORY, &sink))
        DIE("history generation failed");
    QS(qs_txn_commit(l.txn));
    double secs = now_s() - t0;
    printf("load through the API       %llu answers in %.1f s: %.0f answers/s (batches of 1000)\n",
           (unsigned long long)l.answers, secs, l.answers / secs);

    uint64_t raw = question_bytes(env);
    measure_reads(env, g, &c, iters, OP_QUESTION, OP_QUESTION);
    qs_compress_report rep;
    qs_txn *txn;
    QS(qs_txn_begin(env, 0, &txn));
    QS(qs_bank_compress(txn, &rep));
    QS(qs_txn_commit(txn));
    printf("bank dictionary            %u bytes; %u of %u question records smaller; "
           "question db %llu -> %llu bytes\n", rep.dict_bytes, rep.compressed, rep.questions,
           (unsigned long long)raw, (unsigned long long)question_bytes(env));
    measure_reads(env, g, &c, iters, OP_QUESTION, OP_TEST_LIST);
    create_next_day_tests(env, g);
    qs_env_close(env);

    measure_submits(dir, g, 1, durable_n, QS_SYNC_DURABLE, 0);
    measure_submits(dir, g, 50, 50000, QS_SYNC_PERIODIC, durable_n);
    wl_close(g);
    return 0;
}
