/* workload.c: the reference workload (WORKLOAD.md) from one seed: the generator and
 * the interaction stream.
 *
 * wl_open() draws what every stream reads: each question's metadata (topic, system,
 * subject, difficulty, type, activity, options, key, created_at), the pools of active
 * questions per topic and per system in creation order, each user's hidden skill, a
 * seeded permutation from Zipf ranks to users with Walker's alias table over the
 * ranks, and the diurnal profile.
 *
 * Interactions: interactions_per_day arrivals per day by the same profile, each a
 * Zipf user, an action by its share, and the action's payload (workload_text.c).
 *
 * The stream of tests and answers (workload_stream.c), the texts (workload_text.c)
 * and wl_run() (workload_run.c) are the other parts; workload_int.h lists them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workload_int.h"

#define TWO_YEARS_MS (730 * WL_DAY_MS)
#define ONE_YEAR_MS (365 * WL_DAY_MS)

/* ===================================================================== */
/* Generator                                                              */

static void question_meta(const wl_gen *g, uint32_t id, qmeta *m)
{
    ut_rng r;
    rng_init(&r, g->p.seed, DOM_QUESTION, id);
    m->topic = (uint16_t)ut_rng_range(&r, 1, WL_TOPICS);
    m->system = (uint8_t)((m->topic - 1) / WL_TOPICS_PER_SYSTEM + 1);
    m->subject = ut_rng_below(&r, 5) ? g->topic_subject[m->topic]
                                  : (uint8_t)ut_rng_range(&r, 1, WL_SUBJECTS);
    uint32_t d = (uint32_t)ut_rng_below(&r, 100);
    m->difficulty = d < 30 ? 1 : d < 80 ? 2 : 3;
    m->type = ut_rng_below(&r, 10) ? 1 : 2;
    m->active = ut_rng_below(&r, 100) < 97;
    m->n_options = ut_rng_below(&r, 5) < 2 ? 4 : 5;
    m->correct = (uint8_t)ut_rng_below(&r, m->n_options);
    m->created_at = WL_NOW_MS - TWO_YEARS_MS + (int64_t)ut_rng_below(&r, TWO_YEARS_MS);
}

typedef struct by_created {
    int64_t at;
    uint32_t id;
} by_created;

static int cmp_by_created(const void *a, const void *b)
{
    const by_created *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Pools of active questions per topic and per system, each by (created_at, id). */
static int build_pools(wl_gen *g)
{
    by_created *order = malloc(sizeof(*order) * WL_QUESTIONS);
    if (!order)
        return ENOMEM;
    uint32_t n = 0;
    for (uint32_t id = 1; id <= WL_QUESTIONS; id++)
        if (g->q[id].active)
            order[n++] = (by_created){g->q[id].created_at, id};
    qsort(order, n, sizeof(*order), cmp_by_created);

    memset(g->topic_start, 0, sizeof(g->topic_start));
    memset(g->system_start, 0, sizeof(g->system_start));
    for (uint32_t i = 0; i < n; i++) {
        g->topic_start[g->q[order[i].id].topic + 1]++;
        g->system_start[g->q[order[i].id].system + 1]++;
    }
    for (uint32_t t = 1; t <= WL_TOPICS; t++)
        g->topic_start[t + 1] += g->topic_start[t];
    for (uint32_t s = 1; s <= WL_SYSTEMS; s++)
        g->system_start[s + 1] += g->system_start[s];

    uint32_t tfill[WL_TOPICS + 1], sfill[WL_SYSTEMS + 1];
    memcpy(tfill, g->topic_start, sizeof(tfill));
    memcpy(sfill, g->system_start, sizeof(sfill));
    for (uint32_t i = 0; i < n; i++) {
        const qmeta *m = &g->q[order[i].id];
        g->topic_pool[tfill[m->topic]++] = order[i].id;
        g->system_pool[sfill[m->system]++] = order[i].id;
    }
    free(order);
    return 0;
}

/* Walker's alias table for P(rank k) proportional to 1 / k, k = 1..n. */
static int build_zipf(wl_gen *g, uint32_t n)
{
    uint32_t *small = malloc(sizeof(uint32_t) * n), *large = malloc(sizeof(uint32_t) * n);
    g->alias_prob = malloc(sizeof(double) * n);
    g->alias_idx = malloc(sizeof(uint32_t) * n);
    if (!small || !large || !g->alias_prob || !g->alias_idx) {
        free(small);
        free(large);
        return ENOMEM;
    }
    double h = 0;
    for (uint32_t k = n; k >= 1; k--)
        h += 1.0 / k;
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        g->alias_prob[i] = (double)n / ((i + 1) * h);
        g->alias_idx[i] = i;
        if (g->alias_prob[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[--nl];
        g->alias_idx[s] = l;
        g->alias_prob[l] -= 1.0 - g->alias_prob[s];
        if (g->alias_prob[l] < 1.0)
            small[ns++] = l;
        else
            large[nl++] = l;
    }
    while (nl)
        g->alias_prob[large[--nl]] = 1.0;
    while (ns)
        g->alias_prob[small[--ns]] = 1.0;
    free(small);
    free(large);
    return 0;
}

uint32_t wli_zipf_user(const wl_gen *g, ut_rng *r)
{
    uint32_t i = (uint32_t)ut_rng_below(r, g->c.users);
    if (ut_rng_unit(r) >= g->alias_prob[i])
        i = g->alias_idx[i];
    return g->rank_user[i];
}

static void user_draw(const wl_gen *g, uint32_t id, wl_user *u)
{
    ut_rng r;
    rng_init(&r, g->p.seed, DOM_USER, id);
    int64_t history_start = (int64_t)g->c.first_day * WL_DAY_MS;
    u->id = id;
    u->created_at = history_start - ONE_YEAR_MS + (int64_t)ut_rng_below(&r, ONE_YEAR_MS);
    u->skill = 0.5 + rng_normal(&r);
}

static int build_users(wl_gen *g)
{
    uint32_t n = g->c.users;
    g->skill = malloc(sizeof(double) * (n + 1));
    g->rank_user = malloc(sizeof(uint32_t) * n);
    if (!g->skill || !g->rank_user)
        return ENOMEM;
    g->skill[0] = 0;
    for (uint32_t id = 1; id <= n; id++) {
        wl_user u;
        user_draw(g, id, &u);
        g->skill[id] = u.skill;
    }
    ut_rng r;
    rng_init(&r, g->p.seed, DOM_RANK, 0);
    for (uint32_t i = 0; i < n; i++)
        g->rank_user[i] = i + 1;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)ut_rng_below(&r, i + 1);
        uint32_t t = g->rank_user[i];
        g->rank_user[i] = g->rank_user[j];
        g->rank_user[j] = t;
    }
    return build_zipf(g, n);
}

int wl_open(const wl_params *p, wl_gen **out)
{
    *out = NULL;
    if (!(p->scale > 0 && p->scale <= WL_MAX_SCALE) || p->days < 0 || p->days > WL_MAX_DAYS)
        return EINVAL;
    long long users = llround(10000.0 * p->scale);
    if (users < 1)
        return EINVAL;
    wl_gen *g = calloc(1, sizeof(*g));
    if (!g)
        return ENOMEM;
    g->p = *p;
    g->c.users = (uint32_t)users;
    g->c.tests_per_day = (uint32_t)users;
    g->c.interactions_per_day = (uint32_t)llround(500000.0 * p->scale);
    g->c.now_day = (int32_t)(WL_NOW_MS / WL_DAY_MS);
    g->c.first_day = g->c.now_day - p->days;

    ut_rng r;
    for (uint32_t t = 1; t <= WL_TOPICS; t++) {
        rng_init(&r, p->seed, DOM_TOPIC, t);
        g->topic_subject[t] = (uint8_t)ut_rng_range(&r, 1, WL_SUBJECTS);
    }
    for (uint32_t id = 1; id <= WL_QUESTIONS; id++)
        question_meta(g, id, &g->q[id]);
    /* Diurnal profile: 1 + 0.5 cos(), peak at 15:00 UTC; accept[m] = f(m) / max f. */
    for (uint32_t m = 0; m < MINUTES_PER_DAY; m++)
        g->accept[m] = (1.0 + 0.5 * cos(2.0 * M_PI * ((m + 0.5) / MINUTES_PER_DAY - 15.0 / 24))) / 1.5;

    int rc;
    if ((rc = build_pools(g)) != 0 || (rc = build_users(g)) != 0) {
        wl_close(g);
        return rc;
    }
    *out = g;
    return 0;
}

void wl_close(wl_gen *g)
{
    if (!g)
        return;
    free(g->skill);
    free(g->rank_user);
    free(g->alias_prob);
    free(g->alias_idx);
    free(g);
}

void wl_counts_get(const wl_gen *g, wl_counts *out)
{
    *out = g->c;
}

/* ===================================================================== */
/* Entities                                                               */

void wl_question_get(const wl_gen *g, uint32_t id, wl_question *out, wl_text_buf *buf)
{
    const qmeta *m = &g->q[id];
    memset(out, 0, sizeof(*out));
    out->id = id;
    out->subject = m->subject;
    out->system = m->system;
    out->topic = m->topic;
    out->difficulty = m->difficulty;
    out->type = m->type;
    out->active = m->active;
    out->correct_option = m->correct;
    out->n_options = m->n_options;
    out->created_at = m->created_at;

    wli_question_text(g, out, buf);
}

void wl_user_get(const wl_gen *g, uint32_t id, wl_user *out)
{
    user_draw(g, id, out);
}

uint32_t wl_user_of_rank(const wl_gen *g, uint32_t rank)
{
    return g->rank_user[rank - 1];
}

/* ===================================================================== */
/* Arrivals within a day                                                  */

static uint32_t diurnal_ms(const wl_gen *g, ut_rng *r)
{
    for (;;) {
        uint32_t t = (uint32_t)ut_rng_below(r, WL_DAY_MS);
        if (ut_rng_unit(r) < g->accept[t / 60000])
            return t;
    }
}

/* LSD radix sort of values below 2^28 (a day is under 2^27 ms); @p tmp as large. */
static void radix_sort28(uint32_t *a, uint32_t *tmp, uint32_t n)
{
    static const unsigned bits = 14, mask = (1u << 14) - 1;
    uint32_t count[1u << 14];
    uint32_t *src = a, *dst = tmp;
    for (unsigned shift = 0; shift < 2 * bits; shift += bits) {
        memset(count, 0, sizeof(count));
        for (uint32_t i = 0; i < n; i++)
            count[(src[i] >> shift) & mask]++;
        uint32_t sum = 0;
        for (uint32_t k = 0; k <= mask; k++) {
            uint32_t c = count[k];
            count[k] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & mask]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
}

void wli_day_arrivals(const wl_gen *g, ut_rng *r, uint32_t n, uint32_t *out, uint32_t *tmp)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = diurnal_ms(g, r);
    radix_sort28(out, tmp, n);
}

/* ===================================================================== */
/* Interactions                                                           */

static const char *const action_names[WL_ACTIONS] = {
    "view", "bookmark", "note", "flag", "hint", "video", "search", "share",
};

/* Share of each action, in percent: views dominate, as in the platforms' logs. */
static const uint8_t action_weight[WL_ACTIONS] = {50, 7, 5, 3, 10, 8, 12, 5};

const char *wl_action_name(unsigned action)
{
    return action < WL_ACTIONS ? action_names[action] : NULL;
}

struct wl_ix_stream {
    const wl_gen *g;
    int32_t day, day_end, cur_day;
    uint32_t n_day, idx;
    uint32_t *times, *tmp;
    ut_rng r;
};

int wl_ix_stream_open(const wl_gen *g, wl_window w, wl_ix_stream **out)
{
    *out = NULL;
    if (w != WL_HISTORY && w != WL_NEXT_DAY)
        return EINVAL;
    wl_ix_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return ENOMEM;
    s->g = g;
    s->day = w == WL_HISTORY ? g->c.first_day : g->c.now_day;
    s->day_end = w == WL_HISTORY ? g->c.now_day : g->c.now_day + 1;
    size_t n = g->c.interactions_per_day ? g->c.interactions_per_day : 1;
    s->times = malloc(sizeof(uint32_t) * n);
    s->tmp = malloc(sizeof(uint32_t) * n);
    if (!s->times || !s->tmp) {
        wl_ix_stream_close(s);
        return ENOMEM;
    }
    *out = s;
    return 0;
}

int wl_ix_stream_next(wl_ix_stream *s, wl_interaction *out)
{
    while (s->idx == s->n_day) {
        if (s->day >= s->day_end)
            return 0;
        rng_init(&s->r, s->g->p.seed, DOM_IX_DAY, (uint32_t)s->day);
        s->n_day = s->g->c.interactions_per_day;
        wli_day_arrivals(s->g, &s->r, s->n_day, s->times, s->tmp);
        s->cur_day = s->day++;
        s->idx = 0;
    }
    ut_rng *r = &s->r;
    out->created_at = (int64_t)s->cur_day * WL_DAY_MS + s->times[s->idx++];
    out->user = wli_zipf_user(s->g, r);
    uint32_t roll = (uint32_t)ut_rng_below(r, 100);
    unsigned a = 0;
    while (roll >= action_weight[a]) {
        roll -= action_weight[a];
        a++;
    }
    out->action = (uint8_t)a;
    wli_payload(r, a, out);
    return 1;
}

void wl_ix_stream_close(wl_ix_stream *s)
{
    if (!s)
        return;
    free(s->times);
    free(s->tmp);
    free(s);
}
