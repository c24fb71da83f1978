/* draw.c: drawing a test's questions from the pools.
 *
 * A draw first plans which pools hold its candidates (their union is disjoint: one
 * difficulty each, or one band each) and what each candidate must still pass (a
 * subject, a partial success band, the user's own record for qs_draw.only). Then:
 *
 * - with nothing to check, it takes a window of consecutive positions from a
 *   uniformly random start over the pools laid end to end: every candidate is
 *   equally likely and no sort or scan happens;
 * - with checks, a window would favour the candidate after a run of rejected
 *   ones, so it samples positions uniformly, keeping the candidates that pass and
 *   are new; if that stalls (few pass), it lists every passing candidate and takes
 *   a partial Fisher-Yates sample. Either way each pick is uniform over the
 *   passing candidates not yet taken;
 * - for INCORRECT and MARKED, it lists the passing candidates from the shorter of
 *   the user's own questions (kept when in the plan's pools) and the pools
 *   themselves, and samples those.
 *
 * The random stream is splitmix64 seeded with qs_draw.seed.
 */
#include <errno.h>
#include <string.h>

#include "composite.h"
#include "index.h"

typedef struct draw_plan {
    idx_pool *pools;
    uint64_t *ends;           /* ends[i]: positions in pools 0..i together */
    size_t n, cap;
    uint64_t total;
    /* what a candidate must still pass */
    uint32_t subject;
    int check_rate;
    uint16_t rate_min, rate_max;
    uint8_t only;
    uint32_t user;
} draw_plan;

/* ------------------------------------------------------------------ planning */

static int plan_add(qs_txn *txn, draw_plan *p, idx_pool pool)
{
    uint32_t size;
    int rc = idx_pool_size(txn, &pool, &size);
    if (rc || size == 0)
        return rc;
    if (p->n == p->cap)
        return eng_fail(QS_INVALID, "a draw may span at most %zu pools", p->cap);
    p->pools[p->n] = pool;
    p->total += size;
    p->ends[p->n++] = p->total;
    return 0;
}

/* The pools of @p kind at (a, b) for one difficulty, or for each. */
static int plan_difficulties(qs_txn *txn, draw_plan *p, uint8_t kind, uint32_t a, uint32_t b,
                             int topic_level, uint8_t difficulty)
{
    int rc = 0;
    for (uint8_t d = 1; d <= 3 && !rc; d++) {
        if (difficulty && d != difficulty)
            continue;
        idx_pool pool = {kind, a, b, d};
        if (!topic_level) {   /* the difficulty is the last coordinate */
            if (kind == QS_POOL_ALL)
                pool = (idx_pool){kind, d, 0, 0};
            else
                pool = (idx_pool){kind, a, d, 0};
        }
        rc = plan_add(txn, p, pool);
    }
    return rc;
}

static int plan_filter(qs_txn *txn, const qs_draw *d, draw_plan *p)
{
    if (d->topic) {
        qs_taxon topic;
        int rc = eng_taxon_get(txn, QS_TOPIC, d->topic, &topic);
        if (rc == QS_NOTFOUND || (d->system && d->system != topic.parent))
            return 0;   /* no such topic in that system: nothing is eligible */
        if (rc)
            return rc;
        p->subject = d->subject;
        return plan_difficulties(txn, p, QS_POOL_TOPIC, topic.parent, d->topic, 1,
                                 d->difficulty);
    }
    if (d->system) {
        p->subject = d->subject;
        return plan_difficulties(txn, p, QS_POOL_SYSTEM, d->system, 0, 0, d->difficulty);
    }
    if (d->subject)
        return plan_difficulties(txn, p, QS_POOL_SUBJECT, d->subject, 0, 0, d->difficulty);
    return plan_difficulties(txn, p, QS_POOL_ALL, 0, 0, 0, d->difficulty);
}

static int plan_adaptive(qs_txn *txn, const qs_draw *d, draw_plan *p)
{
    uint32_t first = d->rate_min_bp / 1000, last = d->rate_max_bp / 1000;
    if (first > 9)
        first = 9;
    if (last > 9)
        last = 9;
    int rc = 0;
    for (uint32_t b = first; b <= last && !rc; b++) {
        uint32_t lo = 1000 * b, hi = b == 9 ? 10000 : 1000 * b + 999;
        if (lo < d->rate_min_bp || hi > d->rate_max_bp)
            p->check_rate = 1;   /* a band the range covers only in part */
        rc = plan_add(txn, p, (idx_pool){QS_POOL_BAND, d->system, b, 0});
    }
    p->rate_min = d->rate_min_bp;
    p->rate_max = d->rate_max_bp;
    return rc;
}

/* The weak-topics plan as the user's progress records are read. */
typedef struct weak_plan {
    qs_txn *txn;
    draw_plan *p;
    int weak;   /* a topic below 60 % was found */
} weak_plan;

/* The pools of @p c's topics where the user's rate is below 60 %. */
static int plan_weak_topics(void *ctx, const eng_progress_chunk *c)
{
    weak_plan *w = ctx;
    for (unsigned i = 0; i < c->n; i++) {
        const eng_progress *pr = &c->rows[i];
        qs_taxon t;
        if (!pr->attempts || 10000ULL * pr->correct / pr->attempts >= 6000)
            continue;
        w->weak = 1;
        int rc = eng_taxon_get(w->txn, QS_TOPIC, pr->topic, &t);
        if (!rc)
            rc = plan_difficulties(w->txn, w->p, QS_POOL_TOPIC, t.parent, pr->topic, 1, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* Topics where the user's rate is below 60 %, or every active question. */
static int plan_weak(qs_txn *txn, const qs_draw *d, draw_plan *p)
{
    weak_plan w = {txn, p, 0};
    int rc = eng_progress_each(txn, d->user, plan_weak_topics, &w);
    if (rc)
        return rc;
    return w.weak ? 0 : plan_difficulties(txn, p, QS_POOL_ALL, 0, 0, 0, 0);
}

static int plan(qs_txn *txn, const qs_draw *d, draw_plan *p)
{
    size_t cap = 3 * 1024;
    memset(p, 0, sizeof *p);
    p->pools = eng_scratch(txn, ENG_SCRATCH_RECORD, cap * (sizeof *p->pools + sizeof *p->ends));
    if (!p->pools)
        return ENOMEM;
    p->ends = (uint64_t *)(p->pools + cap);
    p->cap = cap;
    p->only = d->only;
    p->user = d->user;
    switch (d->pattern) {
    case QS_DRAW_FILTER: return plan_filter(txn, d, p);
    case QS_DRAW_ADAPTIVE: return plan_adaptive(txn, d, p);
    default: return plan_weak(txn, d, p);
    }
}

/* ------------------------------------------------------------------ candidates */

static int plan_has_checks(const draw_plan *p)
{
    return p->subject || p->check_rate || p->only != QS_ONLY_ANY;
}

static int passes(qs_txn *txn, const draw_plan *p, uint32_t q, int *yes)
{
    int rc;
    *yes = 0;
    if (p->subject) {
        eng_question h;
        if ((rc = eng_question_head(txn, q, &h)) != 0)
            return rc;
        if (h.subject != p->subject)
            return 0;
    }
    if (p->check_rate) {
        eng_qstat s;
        if ((rc = eng_qstat_get(txn, q, &s)) != 0)
            return rc == QS_NOTFOUND ? 0 : rc;
        uint64_t rate = s.attempts ? 10000ULL * s.correct / s.attempts : 0;
        if (!s.attempts || rate < p->rate_min || rate > p->rate_max)
            return 0;
    }
    if (p->only != QS_ONLY_ANY) {
        qs_user_question uq;
        rc = eng_uq_get(txn, p->user, q, &uq);
        if (rc && rc != QS_NOTFOUND)
            return rc;
        if (p->only == QS_ONLY_UNUSED)
            *yes = uq.attempts == 0;
        else if (p->only == QS_ONLY_INCORRECT)
            *yes = uq.attempts > 0 && !uq.last_correct;
        else
            *yes = uq.marked;
        return 0;
    }
    *yes = 1;
    return 0;
}

/* The question at global position @p g of the pools laid end to end. */
static int question_at(qs_txn *txn, const draw_plan *p, uint64_t g, uint32_t *q)
{
    size_t lo = 0, hi = p->n - 1;
    while (lo < hi) {   /* first pool whose end is past g */
        size_t mid = (lo + hi) / 2;
        if (p->ends[mid] > g)
            hi = mid;
        else
            lo = mid + 1;
    }
    uint64_t start = lo ? p->ends[lo - 1] : 0;
    return idx_pool_at(txn, &p->pools[lo], (uint32_t)(g - start), q);
}

static int taken(const eng_test *t, uint32_t q)
{
    for (unsigned i = 0; i < t->n_questions; i++)
        if (t->questions[i] == q)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ picking */

/* A window of @p want consecutive positions from a random start. */
static int pick_window(qs_txn *txn, const draw_plan *p, uint64_t *rng, size_t want,
                       eng_test *out)
{
    uint64_t start = eng_splitmix64(rng) % p->total;
    for (size_t i = 0; i < want; i++) {
        uint32_t q;
        int rc = question_at(txn, p, (start + i) % p->total, &q);
        if (rc)
            return rc;
        out->questions[out->n_questions++] = q;
    }
    return 0;
}

/* The question at global position @p g; *yes when it passes and is not taken yet. */
static int candidate_at(qs_txn *txn, const draw_plan *p, uint64_t g, const eng_test *out,
                        uint32_t *q, int *yes)
{
    *yes = 0;
    int rc = question_at(txn, p, g, q);
    return rc || taken(out, *q) ? rc : passes(txn, p, *q, yes);
}

/* Uniform positions, keeping new passing candidates, until @p want or a stall. */
static int pick_sampled(qs_txn *txn, const draw_plan *p, uint64_t *rng, size_t want,
                        eng_test *out)
{
    for (size_t tries = 8 * want + 64; tries > 0 && out->n_questions < want; tries--) {
        uint32_t q;
        int yes, rc = candidate_at(txn, p, eng_splitmix64(rng) % p->total, out, &q, &yes);
        if (rc)
            return rc;
        if (yes)
            out->questions[out->n_questions++] = q;
    }
    return 0;
}

/* Append a uniform sample of @p all (partial Fisher-Yates) until @p want. */
static void take_sample(uint32_t *all, size_t n, uint64_t *rng, size_t want, eng_test *out)
{
    for (size_t i = 0; i < n && out->n_questions < want; i++) {
        size_t j = i + (size_t)(eng_splitmix64(rng) % (n - i));
        uint32_t t = all[i];
        all[i] = all[j];
        all[j] = t;
        out->questions[out->n_questions++] = all[i];
    }
}

/* Every passing candidate not yet taken, then a partial Fisher-Yates sample. */
static int pick_exhaustive(qs_txn *txn, const draw_plan *p, uint64_t *rng, size_t want,
                           eng_test *out)
{
    uint32_t *all = eng_scratch(txn, ENG_SCRATCH_PACK, (size_t)p->total * sizeof *all);
    size_t n = 0;
    if (!all)
        return ENOMEM;
    for (uint64_t g = 0; g < p->total; g++) {
        uint32_t q;
        int yes, rc = candidate_at(txn, p, g, out, &q, &yes);
        if (rc)
            return rc;
        if (yes)
            all[n++] = q;
    }
    take_sample(all, n, rng, want, out);
    return 0;
}

/* Whether @p q lies in one of the plan's pools. */
static int in_plan(qs_txn *txn, const draw_plan *p, uint32_t q, int *yes)
{
    idx_question iq;
    idx_pool member[IDX_MAX_POOLS];
    *yes = 0;
    int rc = idx_question_load(txn, q, &iq);
    if (rc)
        return rc == QS_NOTFOUND ? 0 : rc;
    size_t n = idx_pools_of(&iq, member);
    for (size_t i = 0; i < n && !*yes; i++)
        for (size_t j = 0; j < p->n && !*yes; j++)
            *yes = member[i].kind == p->pools[j].kind && member[i].a == p->pools[j].a &&
                   member[i].b == p->pools[j].b && member[i].c == p->pools[j].c;
    return 0;
}

/* For INCORRECT and MARKED the user's own record is the short list: walk the
 * user's questions, keep those in the plan that pass, and sample them. */
static int pick_from_user(qs_txn *txn, const draw_plan *p, uint64_t *rng, size_t want,
                          eng_test *out)
{
    eng_iter it;
    eng_key k;
    size_t n = 0, cap = 1024;
    uint32_t *all = eng_scratch(txn, ENG_SCRATCH_PACK, cap * sizeof *all);
    if (!all)
        return ENOMEM;
    ek_reset(&k);
    ek_u32(&k, p->user);
    int rc = eng_iter_open(txn, ENG_UQ, &it);
    eng_iter_within(&it, k.b, k.n);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        if ((rc = eng_key_check(&it.key, ENG_UQ_KEY, "uq")) != 0)
            break;
        uint32_t q = eng_get32((const uint8_t *)it.key.data + 4);
        int yes;
        if ((rc = passes(txn, p, q, &yes)) != 0 || (yes && (rc = in_plan(txn, p, q, &yes))))
            break;
        if (!yes)
            continue;
        if (n == cap && !(all = eng_scratch(txn, ENG_SCRATCH_PACK, (cap *= 2) * sizeof *all))) {
            rc = ENOMEM;
            break;
        }
        all[n++] = q;
    }
    eng_iter_close(&it);
    if (rc != ENG_END)
        return rc;
    take_sample(all, n, rng, want, out);
    return 0;
}

int idx_draw(qs_txn *txn, const qs_draw *d, eng_test *out)
{
    draw_plan p;
    uint64_t rng = d->seed;
    int rc = plan(txn, d, &p);
    out->n_questions = 0;
    if (rc || p.total == 0)
        return rc;
    if (!plan_has_checks(&p))
        return pick_window(txn, &p, &rng, d->count < p.total ? d->count : (size_t)p.total, out);
    if (p.only == QS_ONLY_INCORRECT || p.only == QS_ONLY_MARKED) {
        /* walk whichever is shorter: the user's questions or the plan's pools */
        eng_usum u;
        rc = eng_usum_get(txn, d->user, &u);
        if (rc && rc != QS_NOTFOUND)
            return rc;
        return u.answered < p.total ? pick_from_user(txn, &p, &rng, d->count, out)
                                    : pick_exhaustive(txn, &p, &rng, d->count, out);
    }
    /* sampling pays off only when the pools are well larger than the draw */
    if (p.total > 2 * (uint64_t)d->count)
        rc = pick_sampled(txn, &p, &rng, d->count, out);
    if (!rc && out->n_questions < d->count)
        rc = pick_exhaustive(txn, &p, &rng, d->count, out);
    return rc;
}
