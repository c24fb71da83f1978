/* bench_ops.c: the operations qs-bench measures, by name, and their figures.
 *
 * The reads and how each runs through the backend, the latencies' names and JSON keys,
 * a latency's figures from its histogram (bench.h).
 */
#include "bench.h"

const char *const bench_read_names[READ_COUNT] = {
    "question_get", "progress_view", "dashboard", "leaderboard", "history", "test_list",
};

int bench_read_run(backend *be, bench_read op, uint32_t arg, bk_result *out)
{
    const backend_ops *o = be->ops;
    switch (op) {
    case READ_QUESTION_GET: return o->question_get(be, arg, out);
    case READ_PROGRESS_VIEW: return o->progress_view(be, arg, out);
    case READ_DASHBOARD: return o->dashboard(be, arg, WL_NOW_MS, out);
    case READ_LEADERBOARD: return o->leaderboard(be, arg, out);
    case READ_HISTORY: return o->history(be, arg, out);
    case READ_TEST_LIST: return o->test_list(be, arg, out);
    default: return -1;
    }
}

const char *const bench_lat_names[LAT_COUNT] = {
    "question_get", "progress_view", "dashboard", "leaderboard", "history", "test_list",
    "test_create filter", "test_create adaptive", "test_create weak", "interaction_log",
    "answer_submit b1 durable", "answer_submit b50 lazy", "interaction_log b50 lazy",
};

const char *const bench_lat_keys[LAT_COUNT] = {
    "question_get", "progress_view", "dashboard", "leaderboard", "history", "test_list",
    "test_create_filter", "test_create_adaptive", "test_create_weak", "interaction_log",
    "answer_submit_b1_durable", "answer_submit_b50_lazy", "interaction_log_b50_lazy",
};

const char *const bench_only_names[3] = {"unused", "incorrect", "marked"};

void lat_stat_from(lat_stat *s, const hist *h)
{
    s->n = h->n;
    s->p50 = hist_quantile_ns(h, 0.50) / 1e3;
    s->p99 = hist_quantile_ns(h, 0.99) / 1e3;
    s->p999 = hist_quantile_ns(h, 0.999) / 1e3;
    s->mean = hist_mean_ns(h) / 1e3;
    s->max = (double)h->max_ns / 1e3;
}
