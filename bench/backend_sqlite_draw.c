/* backend_sqlite_draw.c: the SQLite peer's test_create (backend_sqlite.h).
 *
 * bk_sqlite_ops draws with ORDER BY random() LIMIT n, as platforms do.
 * bk_sqlite_pool_ops draws from pool tables, random permutations built when the bank
 * loads (backend_sqlite_schema.c); a draw is a window from a random position (from the
 * draw's seed), wrapping around, that keeps only the questions the pattern admits,
 * checked live:
 * - FILTER: question_pool, one permutation per (topic, difficulty); inactive
 *   questions are skipped.
 * - ADAPTIVE: system_pool, one permutation per system; a question is kept when it is
 *   active and its current question_stats rate is in the band, so the filter stays
 *   exact as answers arrive (no band pool to maintain).
 * - WEAK: bank_pool, one permutation of the whole bank, keeping active questions of
 *   the user's weak topics (all active ones when there are none); with only a few
 *   weak topics, sorting their questions at random through the topic index reads
 *   fewer rows, so those draws use ORDER BY random() as bk_sqlite_ops does.
 * A draw that keeps only some questions by the user's record (bk_only) sorts at random
 * on either backend. The draw and the new test commit together.
 */
#include "backend_sqlite.h"
#include "util/rng.h"

typedef struct draw {
    uint32_t ids[SQ_DRAW_MAX];
    unsigned n, want;
} draw;

/* Append the ids statement @p id returns (bound already) to @p d. */
static int collect(backend *be, st_id id, draw *d)
{
    int rc;
    for (rc = sq_first_row(be, id); rc == 1; rc = sq_next_row(be, id)) {
        if (d->n < d->want)
            d->ids[d->n++] = (uint32_t)sq_col_i64(be, id, 0);
    }
    return rc;
}

/* The number of topics where @p user's rate is below 6000. */
static int weak_topics(backend *be, uint32_t user, int64_t *n)
{
    sq_bind_i64(be, ST_WEAK_TOPICS, 1, user);
    int rc = sq_first_row(be, ST_WEAK_TOPICS);
    if (rc < 0)
        return -1;
    *n = rc == 1 ? sq_col_i64(be, ST_WEAK_TOPICS, 0) : 0;
    if (rc == 1)
        sqlite3_reset(sq_impl(be)->st[ST_WEAK_TOPICS]);
    return 0;
}

/* The user and `only` of a draw, in the parameters every draw statement shares. */
static void bind_only(backend *be, st_id id, const bk_draw_args *a)
{
    sq_bind_i64(be, id, 8, a->user);
    sq_bind_i64(be, id, 9, a->only);
}

static int draw_random(backend *be, const bk_draw_args *a, draw *d)
{
    bind_only(be, ST_DRAW_FILTER, a);
    bind_only(be, ST_DRAW_ADAPTIVE, a);
    bind_only(be, ST_DRAW_WEAK, a);
    bind_only(be, ST_DRAW_ALL, a);
    switch (a->pattern) {
    case BK_DRAW_FILTER:
        sq_bind_i64(be, ST_DRAW_FILTER, 1, a->topic);
        sq_bind_i64(be, ST_DRAW_FILTER, 2, a->difficulty);
        sq_bind_i64(be, ST_DRAW_FILTER, 3, d->want);
        return collect(be, ST_DRAW_FILTER, d);
    case BK_DRAW_ADAPTIVE:
        sq_bind_i64(be, ST_DRAW_ADAPTIVE, 1, a->system);
        sq_bind_i64(be, ST_DRAW_ADAPTIVE, 2, d->want);
        return collect(be, ST_DRAW_ADAPTIVE, d);
    case BK_DRAW_WEAK:
        break;
    }
    sq_bind_i64(be, ST_DRAW_WEAK, 1, a->user);
    sq_bind_i64(be, ST_DRAW_WEAK, 2, d->want);
    if (collect(be, ST_DRAW_WEAK, d) != 0)
        return -1;
    int64_t weak;
    if (d->n > 0 || weak_topics(be, a->user, &weak) != 0)
        return d->n > 0 ? 0 : -1;
    if (weak > 0)
        return 0;   /* weak topics without an active question: an empty test */
    sq_bind_i64(be, ST_DRAW_ALL, 1, d->want);
    return collect(be, ST_DRAW_ALL, d);
}

/* The size of a pool (statement @p size, keys bound): 0 when it is empty. */
static int pool_size(backend *be, st_id size, int64_t *n)
{
    int rc = sq_first_row(be, size);
    if (rc < 0)
        return -1;
    *n = rc == 1 ? sq_col_i64(be, size, 0) : 0;
    if (rc == 1)
        sqlite3_reset(sq_impl(be)->st[size]);
    return 0;
}

/* A window of the pool from a random start, wrapping around: [start, n), then
 * [0, start). @p lo_col is the first of the statement's lo, hi, limit parameters. */
static int pool_window(backend *be, st_id window, int lo_col, int64_t n, uint64_t seed,
                       draw *d)
{
    if (n <= 0)
        return 0;
    int64_t start = (int64_t)(ut_mix64(seed + 0x9e3779b97f4a7c15ULL) % (uint64_t)n);
    const int64_t ranges[2][2] = {{start, n}, {0, start}};
    for (int r = 0; r < 2 && d->n < d->want; r++) {
        sq_bind_i64(be, window, lo_col, ranges[r][0]);
        sq_bind_i64(be, window, lo_col + 1, ranges[r][1]);
        sq_bind_i64(be, window, lo_col + 2, d->want - d->n);
        if (collect(be, window, d) != 0)
            return -1;
    }
    return 0;
}

/* WEAK from the bank pool: a walk reads about count x 240 / weak-topics rows, sorting
 * reads about 80 rows per weak topic; from this many weak topics on, the walk reads
 * fewer. With no weak topic the walk admits every active question. */
#define WEAK_WALK_TOPICS 16

static int draw_weak_pooled(backend *be, const bk_draw_args *a, draw *d)
{
    int64_t weak, n;
    if (weak_topics(be, a->user, &weak) != 0)
        return -1;
    if (weak > 0 && weak < WEAK_WALK_TOPICS)
        return draw_random(be, a, d);
    if (pool_size(be, ST_BANK_POOL_SIZE, &n) != 0)
        return -1;
    if (weak == 0)
        return pool_window(be, ST_BANK_POOL_WINDOW, 1, n, a->seed, d);
    sq_bind_i64(be, ST_BANK_POOL_WEAK_WINDOW, 1, a->user);
    return pool_window(be, ST_BANK_POOL_WEAK_WINDOW, 2, n, a->seed, d);
}

static int draw_pooled(backend *be, const bk_draw_args *a, draw *d)
{
    int64_t n;
    switch (a->pattern) {
    case BK_DRAW_FILTER:
        sq_bind_i64(be, ST_POOL_SIZE, 1, a->topic);
        sq_bind_i64(be, ST_POOL_SIZE, 2, a->difficulty);
        sq_bind_i64(be, ST_POOL_WINDOW, 1, a->topic);
        sq_bind_i64(be, ST_POOL_WINDOW, 2, a->difficulty);
        return pool_size(be, ST_POOL_SIZE, &n) != 0
                   ? -1 : pool_window(be, ST_POOL_WINDOW, 3, n, a->seed, d);
    case BK_DRAW_ADAPTIVE:
        sq_bind_i64(be, ST_SYSTEM_POOL_SIZE, 1, a->system);
        sq_bind_i64(be, ST_SYSTEM_POOL_WINDOW, 1, a->system);
        return pool_size(be, ST_SYSTEM_POOL_SIZE, &n) != 0
                   ? -1 : pool_window(be, ST_SYSTEM_POOL_WINDOW, 2, n, a->seed, d);
    case BK_DRAW_WEAK:
        break;
    }
    return draw_weak_pooled(be, a, d);
}

static int create_test(backend *be, const bk_draw_args *a, draw *d)
{
    /* the pools serve every question a pattern admits; a draw that keeps only some
     * by the user's record sorts at random, as bk_sqlite_ops does */
    int pooled = sq_impl(be)->pooled && a->only == BK_ONLY_ANY;
    if ((pooled ? draw_pooled(be, a, d) : draw_random(be, a, d)) != 0)
        return -1;
    char list[SQ_DRAW_MAX * 11 + 1];
    size_t len = sqlc_id_list(d->ids, d->n, list, sizeof list);
    sq_bind_i64(be, ST_TEST_NEW, 1, (int64_t)a->test_id);
    sq_bind_i64(be, ST_TEST_NEW, 2, a->user);
    sq_bind_i64(be, ST_TEST_NEW, 3, a->created_at);
    sq_bind_i64(be, ST_TEST_NEW, 4, d->n);
    sq_bind_text(be, ST_TEST_NEW, 5, list, len);
    return sq_run(be, ST_TEST_NEW);
}

int sq_test_create(backend *be, const bk_draw_args *a, bk_result *out)
{
    if (a->count == 0 || a->count > SQ_DRAW_MAX)
        return bk_fail(be, "test_create: count %u outside 1..%d", a->count, SQ_DRAW_MAX);
    draw d = {.n = 0, .want = a->count};
    int own;
    if (sq_write_begin(be, &own) != 0 || sq_write_end(be, own, create_test(be, a, &d)) != 0)
        return -1;
    for (unsigned i = 0; i < d.n; i++)
        bk_put_u64(out, d.ids[i]);
    out->rows = d.n;
    return 0;
}
