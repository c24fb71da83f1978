/* bench_run.c: the single-engine phases: load, each op alone, answer batches, bulk
 * import. Every timed call is one backend call (with its begin/commit for writes),
 * timed with the monotonic clock; a phase stops at its call count or its time cap,
 * whichever comes first, and reports how many calls it made.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

int bench_open(bench_engine *e, const char *dir, bk_sync sync)
{
    e->be = bk_new(e->ops);
    if (!e->be) {
        fprintf(stderr, "qs-bench: out of memory\n");
        return -1;
    }
    if (e->ops->open(e->be, dir, sync) != 0) {
        fprintf(stderr, "qs-bench: cannot open %s: %s\n", dir, e->be->err);
        bk_free(e->be);
        e->be = NULL;
        return -1;
    }
    return 0;
}

void bench_close(bench_engine *e)
{
    bk_free(e->be);
    e->be = NULL;
}

static int failed(const bench_engine *e, const char *what)
{
    fprintf(stderr, "qs-bench: %s: %s\n", what, e->be->err);
    return -1;
}

/* ------------------------------------------------------------ load */

/* Batches of BENCH_LOAD_BATCH writes, tests and answers alike, in stream order. */
typedef struct batcher {
    backend *be;
    unsigned in_batch;
} batcher;

static int batch_step(batcher *b)
{
    const backend_ops *ops = b->be->ops;
    if (b->in_batch == 0 && (ops->begin_load ? ops->begin_load : ops->begin)(b->be))
        return -1;
    if (++b->in_batch < BENCH_LOAD_BATCH)
        return 0;
    b->in_batch = 0;
    return b->be->ops->commit(b->be);
}

static int batch_end(batcher *b)
{
    if (b->in_batch == 0)
        return 0;
    b->in_batch = 0;
    return b->be->ops->commit(b->be);
}

static int load_tests_and_answers(backend *be, const bd_window *w)
{
    batcher b = {be, 0};
    size_t a = 0;
    for (size_t t = 0; t <= w->n_tests; t++) {
        size_t upto = t < w->n_tests ? w->answers_before[t] : w->n_answers;
        for (; a < upto; a++)
            if (batch_step(&b) || be->ops->answer_submit(be, &w->answers[a]))
                return -1;
        if (t < w->n_tests && (batch_step(&b) || be->ops->put_test(be, &w->tests[t])))
            return -1;
    }
    return batch_end(&b);
}

static int load_interactions(backend *be, const bd_window *w)
{
    batcher b = {be, 0};
    for (size_t i = 0; i < w->n_ixs; i++)
        if (batch_step(&b) || be->ops->interaction_log(be, &w->ixs[i]))
            return -1;
    return batch_end(&b);
}

int bench_load(bench_run *r, bench_engine *e)
{
    const bd_window *w = &r->data.history;
    engine_result *res = &e->res;
    backend *be = e->be;
    double t0 = bench_now();
    if (be->ops->load_bank(be, r->data.gen))
        return failed(e, "load_bank");
    double t1 = bench_now();
    if (load_tests_and_answers(be, w))
        return failed(e, "loading the history");
    double t2 = bench_now();
    if (load_interactions(be, w))
        return failed(e, "loading the interactions");
    double t3 = bench_now();
    res->load_tests = w->n_tests;
    res->load_answers = w->n_answers;
    res->load_ixs = w->n_ixs;
    res->load_bank_seconds = t1 - t0;
    res->load_seconds = t2 - t1;
    res->load_ix_seconds = t3 - t2;
    res->load_answers_per_s = w->n_answers / (t2 - t1);
    res->load_ix_per_s = w->n_ixs ? w->n_ixs / (t3 - t2) : 0;
    if (be->ops->size_on_disk(be, &res->size_after_load))
        return failed(e, "size_on_disk");
    bench_note("%s: bank %.1f s; %zu tests + %zu answers in %.1f s (%.0f answers/s); "
               "%zu interactions in %.1f s (%.0f/s); %.1f MB on disk", e->name, t1 - t0,
               w->n_tests, w->n_answers, t2 - t1, res->load_answers_per_s, w->n_ixs, t3 - t2,
               res->load_ix_per_s, res->size_after_load / 1e6);
    return 0;
}

/* ------------------------------------------------------------ each op alone */

/* What an op alone is told: which read, or which draw pattern. */
typedef struct op_arg {
    bench_read read;
    bk_draw pattern;
    bk_only only;
} op_arg;

/* One timed call of a measured op: 0, -1 on failure, 1 when its input is used up. */
typedef int (*op_fn)(bench_run *r, bench_engine *e, ut_rng *stream, const op_arg *arg,
                     bk_result *out);

static int call_read(bench_run *r, bench_engine *e, ut_rng *stream, const op_arg *arg,
                     bk_result *out)
{
    uint32_t x = arg->read == READ_QUESTION_GET ? bd_question(stream)
                                                : bd_zipf_user(&r->data, stream);
    return bench_read_run(e->be, arg->read, x, out);
}

static int call_create(bench_run *r, bench_engine *e, ut_rng *stream, const op_arg *arg,
                       bk_result *out)
{
    bk_draw_args a;
    uint64_t id = e->next_test_id++;
    bd_draw_args(&r->data, stream, arg->pattern, id,
                 WL_NOW_MS + WL_DAY_MS / 2 + (int64_t)(id - r->data.first_free_test_id), &a);
    a.only = arg->only;
    return e->be->ops->test_create(e->be, &a, out);
}

/* One interaction per transaction, as a request logs it. 1 when the day is used up. */
static int call_interaction(bench_run *r, bench_engine *e, ut_rng *stream, const op_arg *arg,
                            bk_result *out)
{
    const bd_window *w = &r->data.next_day;
    if (e->next_ix >= w->n_ixs)
        return 1;
    backend *be = e->be;
    if (be->ops->begin(be) || be->ops->interaction_log(be, &w->ixs[e->next_ix++]) ||
        be->ops->commit(be))
        return -1;
    return 0;
}

/* Warm up, then time @p fn until cfg.iters calls or cfg.op_seconds. */
static int time_op(bench_run *r, bench_engine *e, const char *purpose, op_fn fn,
                   const op_arg *arg, hist *h)
{
    const bench_cfg *c = &r->cfg;
    ut_rng stream;
    bd_rng_init(&stream, r->cfg.params.seed, purpose);
    bk_result out = {0};
    hist_reset(h);
    int rc = 0;
    double start = bench_now();
    for (unsigned i = 0; i < c->iters / 10 && rc == 0; i++) {
        bk_result_reset(&out);
        rc = fn(r, e, &stream, arg, &out);
        if (bench_now() - start > c->op_seconds / 4)
            break;
    }
    start = bench_now();
    for (unsigned i = 0; i < c->iters && rc == 0; i++) {
        bk_result_reset(&out);
        uint64_t t0 = bench_now_ns();
        rc = fn(r, e, &stream, arg, &out);
        uint64_t t1 = bench_now_ns();
        if (rc == 0)
            hist_record(h, t1 - t0);
        if ((double)t1 / 1e9 - start > c->op_seconds)
            break;
    }
    bk_result_free(&out);
    return rc < 0 ? -1 : 0;
}

/* test_create of each pattern keeping only the user's unused, incorrect or marked
 * questions. */
static int draws_by_record(bench_run *r, bench_engine *e)
{
    static hist h;
    char purpose[64];
    for (int p = 0; p < 3; p++)
        for (int o = 0; o < 3; o++) {
            op_arg arg = {0, (bk_draw)(BK_DRAW_FILTER + p), (bk_only)(BK_ONLY_UNUSED + o)};
            lat_stat *s = &e->res.draw_only[p][o];
            snprintf(purpose, sizeof purpose, "alone.%s.only%d",
                     bench_lat_names[LAT_CREATE_FILTER + p], o + 1);
            if (time_op(r, e, purpose, call_create, &arg, &h))
                return failed(e, purpose);
            lat_stat_from(s, &h);
            bench_note("%s: %s only=%s n=%-6llu p50 %9.1f  p99 %9.1f us", e->name,
                       bench_lat_names[LAT_CREATE_FILTER + p], bench_only_names[o],
                       (unsigned long long)s->n, s->p50, s->p99);
        }
    return 0;
}

int bench_ops_alone(bench_run *r, bench_engine *e)
{
    static hist h;
    char purpose[64];
    for (bench_lat l = 0; l <= LAT_INTERACTION_LOG; l++) {
        op_arg arg = {0};
        op_fn fn = call_interaction;
        if (l <= LAT_TEST_LIST) {
            arg.read = (bench_read)(l - LAT_QUESTION_GET);
            fn = call_read;
        } else if (l <= LAT_CREATE_WEAK) {
            arg.pattern = (bk_draw)(BK_DRAW_FILTER + (l - LAT_CREATE_FILTER));
            fn = call_create;
        }
        snprintf(purpose, sizeof purpose, "alone.%s", bench_lat_names[l]);
        if (time_op(r, e, purpose, fn, &arg, &h))
            return failed(e, bench_lat_names[l]);
        lat_stat_from(&e->res.lat[l], &h);
        bench_note("%s: %-22s n=%-6llu p50 %9.1f  p99 %9.1f  p99.9 %9.1f us", e->name,
                   bench_lat_names[l], (unsigned long long)e->res.lat[l].n, e->res.lat[l].p50,
                   e->res.lat[l].p99, e->res.lat[l].p999);
    }
    return e->ops->draws_only ? draws_by_record(r, e) : 0;
}

/* ------------------------------------------------------------ batches */

/* Records the next @p batch rows of the next day @p w in the open transaction. */
typedef int (*batch_fn)(bench_engine *e, const bd_window *w, unsigned batch);

static int answer_batch(bench_engine *e, const bd_window *w, unsigned batch)
{
    for (unsigned i = 0; i < batch; i++)
        if (e->be->ops->answer_submit(e->be, &w->answers[e->next_answer++]))
            return -1;
    return 0;
}

/* Through the backend's own batch call where it has one. */
static int interaction_batch(bench_engine *e, const bd_window *w, unsigned batch)
{
    const wl_interaction *ix = &w->ixs[e->next_ix];
    backend *be = e->be;
    e->next_ix += batch;
    if (be->ops->interaction_log_many)
        return be->ops->interaction_log_many(be, ix, batch);
    for (unsigned i = 0; i < batch; i++)
        if (be->ops->interaction_log(be, &ix[i]))
            return -1;
    return 0;
}

/* Record up to @p n rows in batches of @p batch through @p fn, one transaction each,
 * each batch timed into @p h, while *next + batch <= @p avail; stops at
 * cfg.submit_seconds. Sets *done and *busy (seconds inside calls). */
static int record_batches(bench_run *r, bench_engine *e, batch_fn fn, const size_t *next,
                          size_t avail, unsigned batch, uint64_t n, hist *h, uint64_t *done,
                          double *busy)
{
    backend *be = e->be;
    double start = bench_now();
    *done = 0;
    *busy = 0;
    hist_reset(h);
    while (*done + batch <= n && *next + batch <= avail) {
        uint64_t t0 = bench_now_ns();
        if (be->ops->begin(be) || fn(e, &r->data.next_day, batch) || be->ops->commit(be))
            return -1;
        uint64_t t1 = bench_now_ns();
        hist_record(h, t1 - t0);
        *busy += (double)(t1 - t0) / 1e9;
        *done += batch;
        if (bench_now() - start > r->cfg.submit_seconds)
            break;
    }
    return 0;
}

static int submit_answers(bench_run *r, bench_engine *e, unsigned batch, uint64_t n, hist *h,
                          uint64_t *done, double *busy)
{
    return record_batches(r, e, answer_batch, &e->next_answer, r->data.next_day.n_answers,
                          batch, n, h, done, busy);
}

/* The rows a figure may use: @p wanted, at most its share of the @p left rows of the
 * next day, so that the replays still have rows to record. */
static uint64_t share_of(uint64_t left, uint64_t wanted, unsigned parts)
{
    return wanted < left / parts ? wanted : left / parts;
}

static uint64_t answer_share(const bench_run *r, const bench_engine *e, uint64_t wanted,
                             unsigned parts)
{
    return share_of(r->data.next_day.n_answers - e->next_answer, wanted, parts);
}

int bench_submits(bench_run *r, bench_engine *e)
{
    static hist h;
    engine_result *res = &e->res;
    uint64_t done;
    double busy;
    uint64_t n = answer_share(r, e, r->cfg.batch50_answers, 4);
    if (submit_answers(r, e, 50, n, &h, &done, &busy))
        return failed(e, "answer_submit batch 50");
    lat_stat_from(&res->lat[LAT_SUBMIT_BATCH50], &h);
    res->batch50_answers = done;
    res->batch50_per_s = busy > 0 ? done / busy : 0;
    n = share_of(r->data.next_day.n_ixs - e->next_ix, r->cfg.batch50_answers, 4);
    if (record_batches(r, e, interaction_batch, &e->next_ix, r->data.next_day.n_ixs, 50, n, &h,
                       &done, &busy))
        return failed(e, "interaction_log batch 50");
    lat_stat_from(&res->lat[LAT_IXN_BATCH50], &h);

    bench_close(e);
    if (bench_open(e, e->dir, BK_SYNC_DURABLE))
        return -1;
    n = answer_share(r, e, r->cfg.durable_answers, 4);
    if (submit_answers(r, e, 1, n / 20 + 1, &h, &done, &busy) ||   /* warm-up */
        submit_answers(r, e, 1, n, &h, &done, &busy))
        return failed(e, "answer_submit batch 1 durable");
    lat_stat_from(&res->lat[LAT_SUBMIT_DURABLE], &h);
    res->durable_answers = done;
    res->durable_per_s = busy > 0 ? done / busy : 0;
    if (bench_group_submits(r, e, answer_share(r, e, r->cfg.group_answers, 3)))
        return -1;
    bench_close(e);
    if (bench_open(e, e->dir, BK_SYNC_LAZY))
        return -1;
    bench_note("%s: answer_submit batch 50 lazy: %llu answers, %.0f answers/s; batch 1 "
               "durable: %llu answers, %.0f answers/s; interaction_log batch 50 lazy: p50 "
               "%.1f us a batch", e->name,
               (unsigned long long)res->batch50_answers, res->batch50_per_s,
               (unsigned long long)res->durable_answers, res->durable_per_s,
               res->lat[LAT_IXN_BATCH50].p50);
    return 0;
}

/* ------------------------------------------------------------ bulk import */

int bench_bulk_import(bench_run *r, bench_engine *e)
{
    engine_result *res = &e->res;
    if (bench_open(e, e->import_dir, BK_SYNC_LAZY))
        return -1;
    double t0 = bench_now();
    int rc = e->be->ops->bulk_import(e->be, r->cfg.csv_dir, &res->import_answers);
    res->import_seconds = bench_now() - t0;
    if (rc == 0)
        rc = e->be->ops->size_on_disk(e->be, &res->import_size);
    if (rc) {
        failed(e, "bulk_import");
        bench_close(e);
        return -1;
    }
    res->import_per_s = res->import_answers / res->import_seconds;
    bench_note("%s: bulk import %llu answers in %.1f s (%.0f answers/s), %.1f MB on disk",
               e->name, (unsigned long long)res->import_answers, res->import_seconds,
               res->import_per_s, res->import_size / 1e6);
    if (res->import_answers != r->data.history.n_answers)
        printf("note: %s bulk import reports %llu answers; the history has %zu\n", e->name,
               (unsigned long long)res->import_answers, r->data.history.n_answers);
    bench_close(e);
    return 0;
}
