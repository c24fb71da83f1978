/* bench_data.c: the workload in memory and the harness's random draws. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench_data.h"

/* ------------------------------------------------------------ growable arrays */

static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 1024;
    void *p = realloc(*items, c * size);
    if (!p)
        return ENOMEM;
    *items = p;
    *cap = c;
    return 0;
}

typedef struct collector {
    bd_window *w;
    size_t cap_tests, cap_before, cap_answers, cap_ixs;
    uint64_t max_test_id;
} collector;

static int collect_test(void *ctx, const wl_test *t)
{
    collector *c = ctx;
    bd_window *w = c->w;
    if (grow((void **)&w->tests, &c->cap_tests, w->n_tests, sizeof *w->tests) ||
        grow((void **)&w->answers_before, &c->cap_before, w->n_tests,
             sizeof *w->answers_before))
        return ENOMEM;
    w->tests[w->n_tests] = *t;
    w->answers_before[w->n_tests] = w->n_answers;
    w->n_tests++;
    if (t->id > c->max_test_id)
        c->max_test_id = t->id;
    return 0;
}

static int collect_answer(void *ctx, const wl_answer *a)
{
    collector *c = ctx;
    bd_window *w = c->w;
    if (grow((void **)&w->answers, &c->cap_answers, w->n_answers, sizeof *w->answers))
        return ENOMEM;
    w->answers[w->n_answers++] = *a;
    return 0;
}

static int collect_interaction(void *ctx, const wl_interaction *ix)
{
    collector *c = ctx;
    bd_window *w = c->w;
    if (grow((void **)&w->ixs, &c->cap_ixs, w->n_ixs, sizeof *w->ixs))
        return ENOMEM;
    w->ixs[w->n_ixs++] = *ix;
    return 0;
}

static int collect_window(const wl_gen *g, wl_window which, bd_window *w, uint64_t *max_id)
{
    memset(w, 0, sizeof *w);
    collector c = {.w = w};
    wl_sink sink = {collect_test, collect_answer, collect_interaction, &c};
    int rc = wl_run(g, which, &sink);
    if (c.max_test_id > *max_id)
        *max_id = c.max_test_id;
    return rc;
}

static void free_window(bd_window *w)
{
    free(w->tests);
    free(w->answers_before);
    free(w->answers);
    free(w->ixs);
    memset(w, 0, sizeof *w);
}

/* ------------------------------------------------------------ open / close */

static void collect_meta(bench_data *d)
{
    static wl_text_buf buf;
    for (uint32_t id = 1; id <= WL_QUESTIONS; id++) {
        wl_question q;
        wl_question_get(d->gen, id, &q, &buf);
        d->meta[id] = (bd_question_meta){q.system, q.topic, q.difficulty, q.active};
    }
}

static int build_zipf(bench_data *d)
{
    uint32_t n = d->counts.users;
    d->zipf_cdf = malloc(n * sizeof *d->zipf_cdf);
    if (!d->zipf_cdf)
        return ENOMEM;
    double sum = 0;
    for (uint32_t k = 1; k <= n; k++) {
        sum += 1.0 / k;
        d->zipf_cdf[k - 1] = sum;
    }
    return 0;
}

int bd_open(bench_data *d, const wl_params *p)
{
    memset(d, 0, sizeof *d);
    d->params = *p;
    int rc = wl_open(p, &d->gen);
    if (rc)
        return rc;
    wl_counts_get(d->gen, &d->counts);
    collect_meta(d);
    uint64_t max_id = 0;
    if ((rc = build_zipf(d)) != 0 ||
        (rc = collect_window(d->gen, WL_HISTORY, &d->history, &max_id)) != 0 ||
        (rc = collect_window(d->gen, WL_NEXT_DAY, &d->next_day, &max_id)) != 0) {
        bd_close(d);
        return rc;
    }
    d->first_free_test_id = max_id + 1;
    return 0;
}

void bd_close(bench_data *d)
{
    free_window(&d->history);
    free_window(&d->next_day);
    free(d->zipf_cdf);
    wl_close(d->gen);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------ draws */

void bd_rng_init(ut_rng *r, uint64_t seed, const char *purpose)
{
    uint64_t x = seed ^ 0x6a09e667f3bcc909ULL;
    for (const char *p = purpose; *p; p++)          /* FNV-1a of the purpose */
        x = (x ^ (uint8_t)*p) * 0x100000001b3ULL;
    ut_rng_seed(r, x);
}

uint32_t bd_zipf_user(const bench_data *d, ut_rng *r)
{
    uint32_t n = d->counts.users;
    double u = ut_rng_unit(r) * d->zipf_cdf[n - 1];
    uint32_t lo = 0, hi = n - 1;                   /* first rank whose cdf exceeds u */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->zipf_cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return wl_user_of_rank(d->gen, lo + 1);
}

uint32_t bd_uniform_user(const bench_data *d, ut_rng *r)
{
    return (uint32_t)ut_rng_below(r, d->counts.users) + 1;
}

uint32_t bd_question(ut_rng *r)
{
    return (uint32_t)ut_rng_below(r, WL_QUESTIONS) + 1;
}

static uint8_t draw_difficulty(ut_rng *r)
{
    uint64_t x = ut_rng_below(r, 10);
    return x < 3 ? 1 : x < 8 ? 2 : 3;
}

void bd_draw_args(const bench_data *d, ut_rng *r, bk_draw pattern, uint64_t test_id,
                  int64_t created_at, bk_draw_args *out)
{
    memset(out, 0, sizeof *out);
    out->pattern = pattern;
    out->user = bd_zipf_user(d, r);
    out->topic = (uint32_t)ut_rng_below(r, WL_TOPICS) + 1;
    out->system = (out->topic - 1) / WL_TOPICS_PER_SYSTEM + 1;
    out->difficulty = draw_difficulty(r);
    if (pattern == BK_DRAW_ADAPTIVE) {
        out->topic = 0;
        out->difficulty = 0;
        out->system = (uint32_t)ut_rng_below(r, WL_SYSTEMS) + 1;
    } else if (pattern == BK_DRAW_WEAK) {
        out->topic = 0;
        out->difficulty = 0;
        out->system = 0;
    }
    out->count = 40;
    out->seed = ut_rng_next(r);
    out->test_id = test_id;
    out->created_at = created_at;
}

bk_draw bd_draw_pattern(ut_rng *r)
{
    uint64_t x = ut_rng_below(r, 100);
    return x < 80 ? BK_DRAW_FILTER : x < 95 ? BK_DRAW_ADAPTIVE : BK_DRAW_WEAK;
}
