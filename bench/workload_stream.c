/* workload_stream.c: the stream of tests and answers, in time order.
 *
 * Tests: tests_per_day arrivals per UTC day, at times drawn from a diurnal profile
 * (peak 15:00 UTC, trough 03:00, 3:1), sorted; test ids follow that order. A test
 * holds 20-40 questions (uniform) of one topic (70 %) or one system (30 %), drawn
 * among active questions created before the test (all of the pool when fewer than
 * 20 qualify). Its planned outcome is COMPLETED 70 % (answers every question),
 * ABANDONED 15 %, PAUSED 10 %, ACTIVE 5 % (these three answer the first
 * floor(u * 0.9 * n), u uniform in [0, 1): 45 % on average). Expected answers per test:
 * 0.7 * 30 + 0.3 * 13.0 = 24.9, so about 249,000 x S answers per day for the
 * 10,000 x S tests of WORKLOAD.md.
 *
 * Answers follow each other by the time spent (log-normal, median 60 s, sigma 0.8,
 * clamped to 1 s .. 30 min) plus 0.5-10 s between questions, so a test spans at most
 * 40 * (30 min + 10 s) < 1 day: a stream opens tests at most one day before its
 * window. Events merge through a min-heap of the tests in progress keyed by
 * (next answer time, test id).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workload_int.h"

#define SPENT_MEDIAN_MS 60000.0
#define SPENT_SIGMA 0.8
#define SPENT_MIN_MS 1000
#define SPENT_MAX_MS 1800000
#define GAP_MIN_MS 500
#define GAP_MAX_MS 10000
#define STALE_MS (7 * WL_DAY_MS)   /* PAUSED/ACTIVE idle longer than this: ABANDONED */

_Static_assert(WL_TEST_MAX * (SPENT_MAX_MS + GAP_MAX_MS) < WL_DAY_MS,
               "a test must end within a day of its creation");

/* ===================================================================== */
/* Tests and answers                                                      */

/* A test in flight: its snapshot row and every answer it will give. */
typedef struct plan {
    wl_test t;
    uint8_t next, end;          /* answers [next, end) are still to be emitted */
    uint8_t planned;            /* answers the test gives in all */
    struct plan *free_next;
    wl_answer ans[WL_TEST_MAX];
} plan;

struct wl_stream {
    const wl_gen *g;
    int history;
    int64_t from, to;           /* answers emitted: from <= created_at < to */
    int64_t emit_from;          /* tests created from then on are emitted */
    int32_t day, day_end;       /* days whose tests are still to open */
    int32_t cur_day;
    uint32_t n_day, idx;        /* arrivals of cur_day; next to open */
    uint32_t *times, *tmp;
    plan **heap;
    size_t heap_len, heap_cap;
    plan *free_list;
    plan **owned;
    size_t n_owned, cap_owned;
    int error;
    wl_test test_out;
};

/* Number of leading pool entries created at or before @p at. */
static uint32_t created_by(const wl_gen *g, const uint32_t *pool, uint32_t n, int64_t at)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->q[pool[mid]].created_at <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Draw up to @p want distinct questions of @p pool in random order (Floyd's sampling,
 * then a shuffle). @return how many. */
static uint32_t draw_questions(const wl_gen *g, ut_rng *r, const uint32_t *pool, uint32_t n,
                               int64_t at, uint32_t want, uint32_t *out)
{
    uint32_t m = created_by(g, pool, n, at);
    if (m < WL_TEST_MIN)
        m = n;
    uint32_t k = want < m ? want : m;
    uint32_t cnt = 0;
    for (uint32_t j = m - k; j < m; j++) {
        uint32_t pick = pool[ut_rng_below(r, j + 1)];
        for (uint32_t i = 0; i < cnt; i++)
            if (out[i] == pick) {
                pick = pool[j];
                break;
            }
        out[cnt++] = pick;
    }
    for (uint32_t i = cnt; i > 1; i--) {
        uint32_t j = (uint32_t)ut_rng_below(r, i);
        uint32_t t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
    return cnt;
}

static void plan_answers(const wl_gen *g, ut_rng *r, plan *pl)
{
    static const double offset[4] = {0, -1.0, 0.0, 1.0};
    const wl_test *t = &pl->t;
    double skill = g->skill[t->user];
    int64_t at = t->created_at;
    for (unsigned i = 0; i < pl->planned; i++) {
        wl_answer *a = &pl->ans[i];
        const qmeta *m = &g->q[t->questions[i]];
        double spent = SPENT_MEDIAN_MS * exp(SPENT_SIGMA * rng_normal(r));
        a->time_spent_ms = spent < SPENT_MIN_MS ? SPENT_MIN_MS
                         : spent > SPENT_MAX_MS ? SPENT_MAX_MS : (int64_t)spent;
        at += ut_rng_range(r, GAP_MIN_MS, GAP_MAX_MS) + a->time_spent_ms;
        a->created_at = at;
        a->test = t->id;
        a->question = t->questions[i];
        a->user = t->user;
        a->position = (uint8_t)i;
        uint32_t s = (uint32_t)ut_rng_below(r, 100);
        a->status = s < 3 ? WL_SKIPPED : s < 8 ? WL_FLAGGED : WL_ANSWERED;
        if (a->status == WL_SKIPPED) {
            a->correct = 0;
            a->chosen = -1;
            a->score = 10;
            continue;
        }
        double p = 1.0 / (1.0 + exp(offset[m->difficulty] - skill));
        a->correct = ut_rng_unit(r) < p;
        if (a->correct) {
            a->chosen = (int8_t)m->correct;
        } else {
            uint32_t w = (uint32_t)ut_rng_below(r, m->n_options - 1u);
            a->chosen = (int8_t)(w >= m->correct ? w + 1 : w);
        }
        a->score = a->correct ? (uint8_t)ut_rng_range(r, 50, 90) : (uint8_t)ut_rng_range(r, 10, 60);
    }
}

/* Test @p idx of @p day: everything but the window-dependent snapshot. */
static void plan_build(const wl_gen *g, int32_t day, uint32_t idx, int64_t created_at,
                       plan *pl)
{
    ut_rng r;
    rng_init(&r, g->p.seed, DOM_TEST, ((uint64_t)(uint32_t)day << 32) | idx);
    wl_test *t = &pl->t;
    t->id = 1 + (uint64_t)(day - g->c.first_day) * g->c.tests_per_day + idx;
    t->user = wli_zipf_user(g, &r);
    t->mode = ut_rng_below(&r, 100) < 60 ? WL_MODE_TUTOR : WL_MODE_TIMED;
    t->created_at = created_at;
    uint32_t want = ut_rng_range(&r, WL_TEST_MIN, WL_TEST_MAX);
    if (ut_rng_below(&r, 100) < 70) {
        t->topic = ut_rng_range(&r, 1, WL_TOPICS);
        t->system = (t->topic - 1) / WL_TOPICS_PER_SYSTEM + 1;
        const uint32_t *pool = g->topic_pool + g->topic_start[t->topic];
        uint32_t n = g->topic_start[t->topic + 1] - g->topic_start[t->topic];
        t->n_questions = (uint8_t)draw_questions(g, &r, pool, n, created_at, want, t->questions);
    } else {
        t->topic = 0;
        t->system = ut_rng_range(&r, 1, WL_SYSTEMS);
        const uint32_t *pool = g->system_pool + g->system_start[t->system];
        uint32_t n = g->system_start[t->system + 1] - g->system_start[t->system];
        t->n_questions = (uint8_t)draw_questions(g, &r, pool, n, created_at, want, t->questions);
    }
    uint32_t fate = (uint32_t)ut_rng_below(&r, 100);
    t->status = fate < 70 ? WL_TEST_COMPLETED : fate < 85 ? WL_TEST_ABANDONED
              : fate < 95 ? WL_TEST_PAUSED : WL_TEST_ACTIVE;
    pl->planned = t->status == WL_TEST_COMPLETED
                ? t->n_questions : (uint8_t)(ut_rng_unit(&r) * 0.9 * t->n_questions);
    plan_answers(g, &r, pl);
}

/* Cut the plan to the stream's window and set the test's row as it stands then. */
static void plan_window(const wl_stream *s, plan *pl)
{
    wl_test *t = &pl->t;
    uint8_t n = 0;
    while (n < pl->planned && pl->ans[n].created_at < s->from)
        n++;
    pl->next = n;
    while (n < pl->planned && pl->ans[n].created_at < s->to)
        n++;
    pl->end = n;
    t->n_answers = (uint8_t)(pl->end - pl->next);
    t->completed_at = 0;
    if (!s->history) {
        /* A next-day test as created: its answers are the replay's to submit. */
        t->status = WL_TEST_ACTIVE;
        t->last_activity_at = t->created_at;
        return;
    }
    t->last_activity_at = pl->end ? pl->ans[pl->end - 1].created_at : t->created_at;
    if (pl->end < pl->planned) {
        t->status = WL_TEST_ACTIVE;                /* still in progress at now */
    } else if (t->status == WL_TEST_COMPLETED) {
        t->completed_at = t->last_activity_at;
    } else if ((t->status == WL_TEST_PAUSED || t->status == WL_TEST_ACTIVE) &&
               s->to - t->last_activity_at > STALE_MS) {
        t->status = WL_TEST_ABANDONED;
    }
}

static plan *plan_alloc(wl_stream *s)
{
    plan *pl = s->free_list;
    if (pl) {
        s->free_list = pl->free_next;
        return pl;
    }
    if (s->n_owned == s->cap_owned) {
        size_t cap = s->cap_owned ? 2 * s->cap_owned : 256;
        plan **o = realloc(s->owned, cap * sizeof(*o));
        if (!o)
            return NULL;
        s->owned = o;
        s->cap_owned = cap;
    }
    pl = malloc(sizeof(*pl));
    if (pl)
        s->owned[s->n_owned++] = pl;
    return pl;
}

static void plan_free(wl_stream *s, plan *pl)
{
    pl->free_next = s->free_list;
    s->free_list = pl;
}

/* Heap order: next answer time, then test id. */
static int plan_before(const plan *a, const plan *b)
{
    int64_t x = a->ans[a->next].created_at, y = b->ans[b->next].created_at;
    return x < y || (x == y && a->t.id < b->t.id);
}

static void heap_down(wl_stream *s, size_t i)
{
    plan **h = s->heap;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < s->heap_len && plan_before(h[l], h[m]))
            m = l;
        if (l + 1 < s->heap_len && plan_before(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        plan *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int heap_push(wl_stream *s, plan *pl)
{
    if (s->heap_len == s->heap_cap) {
        size_t cap = s->heap_cap ? 2 * s->heap_cap : 256;
        plan **h = realloc(s->heap, cap * sizeof(*h));
        if (!h)
            return ENOMEM;
        s->heap = h;
        s->heap_cap = cap;
    }
    size_t i = s->heap_len++;
    s->heap[i] = pl;
    while (i > 0 && plan_before(s->heap[i], s->heap[(i - 1) / 2])) {
        plan *t = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return 0;
}

/* The creation time of the next test to open; 0 when none is left. */
static int peek_test(wl_stream *s, int64_t *at)
{
    while (s->idx == s->n_day) {
        if (s->day >= s->day_end)
            return 0;
        ut_rng r;
        rng_init(&r, s->g->p.seed, DOM_TEST_DAY, (uint32_t)s->day);
        s->n_day = s->g->c.tests_per_day;
        wli_day_arrivals(s->g, &r, s->n_day, s->times, s->tmp);
        s->cur_day = s->day++;
        s->idx = 0;
    }
    *at = (int64_t)s->cur_day * WL_DAY_MS + s->times[s->idx];
    return 1;
}

int wl_stream_open(const wl_gen *g, wl_window w, wl_stream **out)
{
    *out = NULL;
    if (w != WL_HISTORY && w != WL_NEXT_DAY)
        return EINVAL;
    wl_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return ENOMEM;
    s->g = g;
    s->history = w == WL_HISTORY;
    if (s->history) {
        s->from = INT64_MIN;
        s->to = WL_NOW_MS;
        s->emit_from = INT64_MIN;
        s->day = g->c.first_day;
    } else {
        s->from = WL_NOW_MS;
        s->to = WL_NOW_MS + WL_DAY_MS;
        s->emit_from = WL_NOW_MS;
        /* Tests of the last history day may still be answering after now. */
        s->day = g->c.now_day - (g->p.days > 0 ? 1 : 0);
    }
    s->day_end = s->history ? g->c.now_day : g->c.now_day + 1;
    s->times = malloc(sizeof(uint32_t) * g->c.tests_per_day);
    s->tmp = malloc(sizeof(uint32_t) * g->c.tests_per_day);
    if (!s->times || !s->tmp) {
        wl_stream_close(s);
        return ENOMEM;
    }
    *out = s;
    return 0;
}

static int open_test(wl_stream *s, int64_t at, int *emit)
{
    plan *pl = plan_alloc(s);
    if (!pl)
        return ENOMEM;
    plan_build(s->g, s->cur_day, s->idx++, at, pl);
    plan_window(s, pl);
    *emit = at >= s->emit_from;
    if (*emit)
        s->test_out = pl->t;
    if (pl->next == pl->end) {
        plan_free(s, pl);
        return 0;
    }
    if (heap_push(s, pl) != 0) {
        plan_free(s, pl);
        return ENOMEM;
    }
    return 0;
}

wl_event_kind wl_stream_next(wl_stream *s, wl_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    while (!s->error) {
        int64_t at;
        if (peek_test(s, &at) &&
            (s->heap_len == 0 || at <= s->heap[0]->ans[s->heap[0]->next].created_at)) {
            int emit;
            if ((s->error = open_test(s, at, &emit)) != 0)
                break;
            if (emit) {
                ev->kind = WL_EV_TEST;
                ev->test = &s->test_out;
                return ev->kind;
            }
            continue;
        }
        if (s->heap_len == 0)
            break;
        plan *pl = s->heap[0];
        ev->answer = pl->ans[pl->next++];
        if (pl->next == pl->end) {
            plan_free(s, pl);
            s->heap[0] = s->heap[--s->heap_len];
        }
        heap_down(s, 0);
        ev->kind = WL_EV_ANSWER;
        return ev->kind;
    }
    ev->kind = WL_EV_END;
    return ev->kind;
}

int wl_stream_error(const wl_stream *s)
{
    return s->error;
}

void wl_stream_close(wl_stream *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_owned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->heap);
    free(s->times);
    free(s->tmp);
    free(s);
}
