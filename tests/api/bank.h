/* bank.h: random question banks, and what the bank's records alone say the question
 * listing, the pools and the draws must give, by brute force.
 *
 * The brute-force view reads every question with qs_question_get() and its stats with
 * qs_question_stats_get(), nothing else, and derives from those the expected results
 * of qs_question_list(), qs_pools_list() and qs_test_create() as quizstore.h states
 * them. Include after check.h and fixture.h.
 */
#ifndef QS_TESTS_BANK_H
#define QS_TESTS_BANK_H

#include "check.h"
#include "fixture.h"

#define BK_MAX_SUBJECTS 8
#define BK_MAX_SYSTEMS 8
#define BK_MAX_TOPICS 4          /* per system */
#define BK_MAX_QUESTIONS 2048

/* ---- taxonomy and random questions ------------------------------------------------- */

typedef struct bk_taxonomy {
    unsigned n_subjects, n_systems, n_topics;     /* n_topics per system */
    uint32_t subjects[BK_MAX_SUBJECTS];
    uint32_t systems[BK_MAX_SYSTEMS];
    uint32_t topics[BK_MAX_SYSTEMS][BK_MAX_TOPICS]; /* topics[s][i] belongs to systems[s] */
} bk_taxonomy;

static inline void bk_taxonomy_build(qs_txn *txn, bk_taxonomy *t, unsigned subjects,
                                     unsigned systems, unsigned topics)
{
    char ext[32];
    CHECK(subjects <= BK_MAX_SUBJECTS && systems <= BK_MAX_SYSTEMS && topics <= BK_MAX_TOPICS);
    memset(t, 0, sizeof *t);
    t->n_subjects = subjects;
    t->n_systems = systems;
    t->n_topics = topics;
    for (unsigned i = 0; i < subjects; i++) {
        snprintf(ext, sizeof ext, "bk-subject-%u", i);
        t->subjects[i] = fx_taxon(txn, QS_SUBJECT, ext, ext, 0);
    }
    for (unsigned s = 0; s < systems; s++) {
        snprintf(ext, sizeof ext, "bk-system-%u", s);
        t->systems[s] = fx_taxon(txn, QS_SYSTEM, ext, ext, 0);
        for (unsigned i = 0; i < topics; i++) {
            snprintf(ext, sizeof ext, "bk-topic-%u-%u", s, i);
            t->topics[s][i] = fx_taxon(txn, QS_TOPIC, ext, ext, t->systems[s]);
        }
    }
}

/* Random subject (none 1 time in 8), system (none 1 in 10) and topic of that system
 * (none 1 in 8), and difficulty. */
static inline void bk_random_tags(const bk_taxonomy *t, qs_question *q)
{
    q->subject = check_chance(12) ? 0 : t->subjects[check_below(t->n_subjects)];
    q->system = q->topic = 0;
    if (!check_chance(10)) {
        unsigned s = (unsigned)check_below(t->n_systems);
        q->system = t->systems[s];
        if (!check_chance(12))
            q->topic = t->topics[s][check_below(t->n_topics)];
    }
    q->difficulty = (uint8_t)check_range(1, 3);
}

/* A new active question with random tags, created @p created_at. */
static inline uint32_t bk_new_question(qs_txn *txn, const bk_taxonomy *t, const char *ext,
                                       int64_t created_at)
{
    qs_question q = {.size = sizeof q};
    uint32_t id = 0;
    fx_question_init(&q, ext, 0, 0, 0, 1, 4, (uint8_t)check_below(4));
    bk_random_tags(t, &q);
    q.created_at = created_at;
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    CHECK(id != 0);
    return id;
}

/* ---- the brute-force view ----------------------------------------------------------- */

typedef struct bk_question {
    uint32_t id, subject, system, topic;
    uint8_t difficulty, active;
    int64_t created_at;
    uint32_t attempts, correct;
} bk_question;

typedef struct bk_view {
    size_t n;
    bk_question q[BK_MAX_QUESTIONS];   /* by id */
} bk_view;

static inline int bk_has_band(const bk_question *q)
{
    return q->attempts > 0;
}

static inline uint32_t bk_rate(const bk_question *q)
{
    return q->attempts ? (uint32_t)(10000ULL * q->correct / q->attempts) : 0;
}

/* The success band: rate / 1000, 9 from 90 %. REQUIRES bk_has_band(q). */
static inline uint32_t bk_band(const bk_question *q)
{
    uint32_t b = bk_rate(q) / 1000;
    return b > 9 ? 9 : b;
}

/* Every question with an id in 1..max_id, with its stats. */
static inline void bk_view_load(qs_txn *txn, uint32_t max_id, bk_view *v)
{
    static qs_question q;
    qs_question_stats st = {.size = sizeof st};
    v->n = 0;
    for (uint32_t id = 1; id <= max_id; id++) {
        int rc = qs_question_get(txn, id, &q);
        if (rc == QS_NOTFOUND)
            continue;
        CHECK_RC(rc, 0);
        CHECK_RC(qs_question_stats_get(txn, id, &st), 0);
        CHECK(v->n < BK_MAX_QUESTIONS);
        v->q[v->n++] = (bk_question){id, q.subject, q.system, q.topic, q.difficulty,
                                    q.active, q.created_at, st.attempts, st.correct};
    }
}

static inline const bk_question *bk_find(const bk_view *v, uint32_t id)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->q[i].id == id)
            return &v->q[i];
    return NULL;
}

/* ---- listing -------------------------------------------------------------------------- */

static inline int bk_matches(const qs_question_filter *f, const bk_question *q)
{
    if ((f->subject && q->subject != f->subject) || (f->system && q->system != f->system) ||
        (f->topic && q->topic != f->topic) || (f->difficulty && q->difficulty != f->difficulty))
        return 0;
    if ((f->active == 1 && !q->active) || (f->active == 2 && q->active))
        return 0;
    if (f->band == QS_BAND_NONE)
        return !bk_has_band(q);
    return !f->band || (bk_has_band(q) && bk_band(q) + 1 == f->band);
}

static int bk_by_newest(const void *pa, const void *pb)
{
    const bk_question *a = pa, *b = pb;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? 1 : -1;
    return (a->id < b->id) - (a->id > b->id);
}

/* The ids qs_question_list() must give for @p f, in its order, into @p out. */
static inline size_t bk_list(const bk_view *v, const qs_question_filter *f, uint32_t *out)
{
    static bk_question hits[BK_MAX_QUESTIONS];
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)   /* the view is in id order */
        if (bk_matches(f, &v->q[i]))
            hits[n++] = v->q[i];
    if (f->order == QS_ORDER_NEWEST)
        qsort(hits, n, sizeof hits[0], bk_by_newest);
    for (size_t i = 0; i < n; i++)
        out[i] = hits[i].id;
    return n;
}

/* ---- pools ---------------------------------------------------------------------------- */

#define BK_MAX_POOLS 4096

/* The pools @p q belongs to. A coordinate that is "none" (0) makes no pool: a draw
 * never asks for subject, system or topic 0 (0 there means "any"). */
static inline size_t bk_pools_of(const bk_question *q, qs_pool_info *out)
{
    size_t n = 0;
    if (!q->active)
        return 0;
    out[n++] = (qs_pool_info){QS_POOL_ALL, q->difficulty, 0, 0, 0};
    if (q->system)
        out[n++] = (qs_pool_info){QS_POOL_SYSTEM, q->system, q->difficulty, 0, 0};
    if (q->system && q->topic)
        out[n++] = (qs_pool_info){QS_POOL_TOPIC, q->system, q->topic, q->difficulty, 0};
    if (q->subject)
        out[n++] = (qs_pool_info){QS_POOL_SUBJECT, q->subject, q->difficulty, 0, 0};
    if (q->system && bk_has_band(q))
        out[n++] = (qs_pool_info){QS_POOL_BAND, q->system, bk_band(q), 0, 0};
    return n;
}

static int bk_pool_cmp(const void *pa, const void *pb)
{
    const qs_pool_info *a = pa, *b = pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return (a->c > b->c) - (a->c < b->c);
}

static inline int bk_same_pool(const qs_pool_info *a, const qs_pool_info *b)
{
    return bk_pool_cmp(a, b) == 0;
}

/* Every non-empty pool with its size, by (kind, a, b, c): what qs_pools_list() gives. */
static inline size_t bk_pools(const bk_view *v, qs_pool_info *out)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
        qs_pool_info mine[5];
        size_t m = bk_pools_of(&v->q[i], mine);
        for (size_t j = 0; j < m; j++) {
            size_t k = 0;
            while (k < n && !bk_same_pool(&out[k], &mine[j]))
                k++;
            if (k == n) {
                CHECK(n < BK_MAX_POOLS);
                out[n++] = mine[j];
            }
            out[k].size++;
        }
    }
    qsort(out, n, sizeof out[0], bk_pool_cmp);
    return n;
}

/* The members of pool @p p, in id order. */
static inline size_t bk_pool_members(const bk_view *v, const qs_pool_info *p, uint32_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
        qs_pool_info mine[5];
        size_t m = bk_pools_of(&v->q[i], mine);
        for (size_t j = 0; j < m; j++)
            if (bk_same_pool(&mine[j], p))
                out[n++] = v->q[i].id;
    }
    return n;
}

/* Check qs_pools_list() against bk_pools(), and that a short array gets the first rows
 * and the total. */
static inline void bk_check_pools(qs_txn *txn, const bk_view *v)
{
    static qs_pool_info want[BK_MAX_POOLS], got[BK_MAX_POOLS];
    size_t n_want = bk_pools(v, want), n_got = 0, n_short = 0;
    CHECK_RC(qs_pools_list(txn, got, BK_MAX_POOLS, &n_got), 0);
    CHECK_MSG(n_got == n_want, "%zu pools listed, %zu expected", n_got, n_want);
    for (size_t i = 0; i < n_want; i++)
        CHECK_MSG(bk_same_pool(&got[i], &want[i]) && got[i].size == want[i].size,
                  "pool %zu is %u/%u/%u/%u of %u, expected %u/%u/%u/%u of %u", i, got[i].kind,
                  got[i].a, got[i].b, got[i].c, got[i].size, want[i].kind, want[i].a,
                  want[i].b, want[i].c, want[i].size);
    if (n_want > 1) {
        memset(got, 0, sizeof got[0] * n_want);
        CHECK_RC(qs_pools_list(txn, got, n_want / 2, &n_short), 0);
        CHECK_EQ(n_short, n_want);
        for (size_t i = 0; i < n_want / 2; i++)
            CHECK(bk_same_pool(&got[i], &want[i]) && got[i].size == want[i].size);
        CHECK_EQ(got[n_want / 2].size, 0);   /* nothing written past cap */
    }
    CHECK_RC(qs_pools_list(txn, NULL, 0, &n_short), 0);
    CHECK_EQ(n_short, n_want);
}

/* ---- draws ---------------------------------------------------------------------------- */

/* Whether the user's own record admits @p q for @p only (qs_user_question_get). */
static inline int bk_only_admits(qs_txn *txn, uint32_t user, uint32_t q, uint8_t only)
{
    qs_user_question uq = {.size = sizeof uq};
    int rc = qs_user_question_get(txn, user, q, &uq);
    CHECK(rc == 0 || rc == QS_NOTFOUND);
    if (rc == QS_NOTFOUND)
        memset(&uq, 0, sizeof uq);
    switch (only) {
    case QS_ONLY_UNUSED: return uq.attempts == 0;
    case QS_ONLY_INCORRECT: return uq.attempts > 0 && !uq.last_correct;
    case QS_ONLY_MARKED: return uq.marked;
    default: return 1;
    }
}

/* The topics where @p user's rate is below 6000 (qs_progress), into @p out. */
static inline size_t bk_weak_topics(qs_txn *txn, uint32_t user, uint32_t *out, size_t cap)
{
    static qs_progress_row rows[256];
    size_t n = 0, k = 0;
    CHECK_RC(qs_progress(txn, user, rows, 256, &n), 0);
    CHECK(n <= 256);
    for (size_t i = 0; i < n; i++)
        if (rows[i].attempts && 10000ULL * rows[i].correct / rows[i].attempts < 6000) {
            CHECK(k < cap);
            out[k++] = rows[i].topic;
        }
    return k;
}

/* Whether @p q fits draw @p d's pattern (before `only`). */
static inline int bk_pattern_admits(const qs_draw *d, const bk_question *q,
                                    const uint32_t *weak, size_t n_weak)
{
    if (!q->active)
        return 0;
    switch (d->pattern) {
    case QS_DRAW_FILTER:
        return (!d->subject || q->subject == d->subject) &&
               (!d->system || q->system == d->system) && (!d->topic || q->topic == d->topic) &&
               (!d->difficulty || q->difficulty == d->difficulty);
    case QS_DRAW_ADAPTIVE:
        return q->system == d->system && bk_has_band(q) && bk_rate(q) >= d->rate_min_bp &&
               bk_rate(q) <= d->rate_max_bp;
    default:
        if (!n_weak)
            return 1;
        for (size_t i = 0; i < n_weak; i++)
            if (q->topic == weak[i])
                return 1;
        return 0;
    }
}

/* Every question draw @p d may hold, in id order, into @p out. */
static inline size_t bk_eligible(qs_txn *txn, const bk_view *v, const qs_draw *d, uint32_t *out)
{
    uint32_t weak[256];
    size_t n_weak = d->pattern == QS_DRAW_WEAK ? bk_weak_topics(txn, d->user, weak, 256) : 0;
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (bk_pattern_admits(d, &v->q[i], weak, n_weak) &&
            bk_only_admits(txn, d->user, v->q[i].id, d->only))
            out[n++] = v->q[i].id;
    return n;
}

static inline int bk_contains(const uint32_t *ids, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* Draw @p d and check it against the brute force: min(count, eligible) distinct
 * eligible questions, all of them when fewer are eligible than asked. Returns the
 * number of eligible questions. */
static inline size_t bk_draw_checked(qs_txn *txn, const bk_view *v, const qs_draw *d,
                                     qs_test *out)
{
    static uint32_t eligible[BK_MAX_QUESTIONS];
    size_t n = bk_eligible(txn, v, d, eligible);
    size_t want = n < d->count ? n : d->count;
    CHECK_RC(qs_test_create(txn, d, out), 0);
    CHECK_MSG(out->n_questions == want,
              "pattern %u only %u (subject %u system %u topic %u difficulty %u rate %u..%u): "
              "%u drawn of %zu eligible, %u asked", d->pattern, d->only, d->subject, d->system,
              d->topic, d->difficulty, d->rate_min_bp, d->rate_max_bp, out->n_questions, n,
              d->count);
    for (unsigned i = 0; i < out->n_questions; i++) {
        CHECK_MSG(bk_contains(eligible, n, out->questions[i]),
                  "pattern %u only %u: question %u is not eligible", d->pattern, d->only,
                  out->questions[i]);
        CHECK_MSG(!bk_contains(out->questions, i, out->questions[i]), "question %u twice",
                  out->questions[i]);
    }
    return n;
}

/* ---- verification ------------------------------------------------------------------- */

#define BK_MAX_REPORTS 16

/* qs_index_verify() finds nothing: every row with zero missing and extra. */
static inline void bk_verify_clean(qs_txn *txn)
{
    qs_index_report rows[BK_MAX_REPORTS];
    size_t n = 0;
    CHECK_RC(qs_index_verify(txn, rows, BK_MAX_REPORTS, &n), 0);
    CHECK(n > 0 && n <= BK_MAX_REPORTS);
    CHECK_STR(rows[n - 1].name, "pools");
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(rows[i].missing == 0 && rows[i].extra == 0 && !rows[i].first_finding[0],
                  "%s: %llu checked, %llu missing, %llu extra: %s", rows[i].name,
                  (unsigned long long)rows[i].checked, (unsigned long long)rows[i].missing,
                  (unsigned long long)rows[i].extra, rows[i].first_finding);
}

/* The verify row named @p name. */
static inline qs_index_report bk_verify_row(qs_txn *txn, const char *name)
{
    qs_index_report rows[BK_MAX_REPORTS];
    size_t n = 0;
    CHECK_RC(qs_index_verify(txn, rows, BK_MAX_REPORTS, &n), 0);
    CHECK(n <= BK_MAX_REPORTS);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return rows[i];
    check_fail_here(__FILE__, __LINE__, "qs_index_verify has no row '%s'", name);
}

#endif /* QS_TESTS_BANK_H */
