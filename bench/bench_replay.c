/* bench_replay.c: the mixed replay of WORKLOAD.md.
 *
 * Each thread draws ops independently with the daily weights and issues them back
 * to back. Reads go through the thread's own handle (bk_clone()); writes go through
 * the one writer handle, behind a mutex, so that every engine sees one writer at a
 * time: LMDB and SQLite allow no more, and PostgreSQL is given the same discipline
 * (its per-session writers would contend on the same aggregate rows anyway). The
 * answers are the next day's, in time order, each in its own lazy transaction; the
 * interactions too. `history` is the history page: two pages of answers plus the
 * user's test list. A run ends at its op count, its time cap, or when the next
 * day's answers are used up.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef enum replay_op {
    R_QUESTION_GET,
    R_PROGRESS_VIEW,
    R_DASHBOARD,
    R_LEADERBOARD,
    R_HISTORY,
    R_ANSWER_SUBMIT,
    R_TEST_CREATE,
    R_INTERACTION_LOG,
    R_COUNT
} replay_op;

/* Daily volumes at S=1, in thousands (WORKLOAD.md): 1,460 in all. */
static const unsigned daily_thousands[R_COUNT] = {500, 100, 50, 20, 30, 250, 10, 500};

#define DAILY_OPS_S1 1460000.0

typedef struct replay {
    bench_run *r;
    bench_engine *e;
    backend *writer;
    pthread_mutex_t lock;          /* guards the writer and the next-day cursors */
    uint64_t ops_per_thread;
    double deadline;
    atomic_int stop;
    const char *ended;             /* set once, by the first stop_run() */
    uint64_t answers;              /* under lock */
} replay;

typedef struct worker {
    replay *rp;
    backend *reader;               /* the writer itself when the engine cannot clone */
    unsigned index;
    uint64_t ops;
    int failed;
    char err[512];
} worker;

static void stop_run(replay *rp, const char *why)
{
    if (!atomic_exchange(&rp->stop, 1))
        rp->ended = why;
}

static replay_op draw_op(ut_rng *stream)
{
    uint64_t x = ut_rng_below(stream, DAILY_OPS_S1 / 1000);
    replay_op op = 0;
    while (x >= daily_thousands[op])
        x -= daily_thousands[op++];
    return op;
}

/* A write through the writer, under the lock. 0, -1 on failure, 1 when the day's
 * answers (or interactions) are used up. */
static int write_op(replay *rp, replay_op op, ut_rng *stream, bk_result *out)
{
    bench_engine *e = rp->e;
    const bd_window *w = &rp->r->data.next_day;
    backend *be = rp->writer;
    if (op == R_TEST_CREATE) {
        bk_draw_args a;
        uint64_t id = e->next_test_id++;
        bd_draw_args(&rp->r->data, stream, bd_draw_pattern(stream), id,
                     WL_NOW_MS + WL_DAY_MS / 2 + (int64_t)(id - rp->r->data.first_free_test_id),
                     &a);
        return be->ops->test_create(be, &a, out);
    }
    if (op == R_ANSWER_SUBMIT) {
        if (e->next_answer >= w->n_answers)
            return 1;
        rp->answers++;
        return be->ops->begin(be) || be->ops->answer_submit(be, &w->answers[e->next_answer++]) ||
                       be->ops->commit(be) ? -1 : 0;
    }
    if (e->next_ix >= w->n_ixs)
        return 1;
    return be->ops->begin(be) || be->ops->interaction_log(be, &w->ixs[e->next_ix++]) ||
                   be->ops->commit(be) ? -1 : 0;
}

static int read_op(worker *wk, replay_op op, ut_rng *stream, bk_result *out)
{
    const bench_data *d = &wk->rp->r->data;
    backend *be = wk->reader;
    switch (op) {
    case R_QUESTION_GET:
        return bench_read_run(be, READ_QUESTION_GET, bd_question(stream), out);
    case R_PROGRESS_VIEW:
        return bench_read_run(be, READ_PROGRESS_VIEW, bd_zipf_user(d, stream), out);
    case R_DASHBOARD:
        return bench_read_run(be, READ_DASHBOARD, bd_zipf_user(d, stream), out);
    case R_LEADERBOARD:
        return bench_read_run(be, READ_LEADERBOARD, bd_zipf_user(d, stream), out);
    default: {
        uint32_t user = bd_zipf_user(d, stream);
        if (bench_read_run(be, READ_HISTORY, user, out))
            return -1;
        bk_result_reset(out);
        return bench_read_run(be, READ_TEST_LIST, user, out);
    }
    }
}

static int is_write(replay_op op)
{
    return op == R_ANSWER_SUBMIT || op == R_TEST_CREATE || op == R_INTERACTION_LOG;
}

static void *work(void *arg)
{
    worker *wk = arg;
    replay *rp = wk->rp;
    char purpose[32];
    snprintf(purpose, sizeof purpose, "replay.%u", wk->index);
    ut_rng stream;
    bd_rng_init(&stream, rp->r->cfg.params.seed, purpose);
    bk_result out = {0};
    while (wk->ops < rp->ops_per_thread && !atomic_load(&rp->stop)) {
        replay_op op = draw_op(&stream);
        bk_result_reset(&out);
        int locked = is_write(op) || wk->reader == rp->writer;
        if (locked)
            pthread_mutex_lock(&rp->lock);
        int rc = is_write(op) ? write_op(rp, op, &stream, &out)
                              : read_op(wk, op, &stream, &out);
        if (rc == 1)
            stop_run(rp, "answers");
        if (locked)
            pthread_mutex_unlock(&rp->lock);
        if (rc < 0) {
            backend *be = is_write(op) ? rp->writer : wk->reader;
            snprintf(wk->err, sizeof wk->err, "%s", be->err);
            wk->failed = 1;
            stop_run(rp, "error");
            break;
        }
        if (rc == 0)
            wk->ops++;
        if ((wk->ops & 63) == 0 && bench_now() > rp->deadline)
            stop_run(rp, "time");
    }
    bk_result_free(&out);
    return NULL;
}

int bench_replay(bench_run *r, bench_engine *e, unsigned threads, replay_stat *out)
{
    replay rp = {.r = r, .e = e, .writer = e->be, .ended = "ops"};
    pthread_mutex_init(&rp.lock, NULL);
    rp.ops_per_thread = r->cfg.replay_ops / threads;
    worker wk[BENCH_MAX_THREADS];
    memset(wk, 0, sizeof wk);
    int cloned = 1;
    for (unsigned i = 0; i < threads; i++) {
        wk[i].rp = &rp;
        wk[i].index = i;
        wk[i].reader = threads > 1 && e->ops->clone ? e->ops->clone(e->be) : NULL;
        if (!wk[i].reader) {
            wk[i].reader = e->be;
            cloned = threads == 1;
        }
    }
    pthread_t tid[BENCH_MAX_THREADS];
    double t0 = bench_now();
    rp.deadline = t0 + r->cfg.replay_seconds;
    for (unsigned i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, work, &wk[i]);
    for (unsigned i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double secs = bench_now() - t0;
    int rc = 0;
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < threads; i++) {
        out->ops += wk[i].ops;
        if (wk[i].failed) {
            fprintf(stderr, "qs-bench: %s replay: %s\n", e->name, wk[i].err);
            rc = -1;
        }
        if (wk[i].reader != e->be)
            bk_free(wk[i].reader);
    }
    pthread_mutex_destroy(&rp.lock);
    out->threads = threads;
    out->answers = rp.answers;
    out->seconds = secs;
    out->ops_per_s = out->ops / secs;
    out->day_seconds = DAILY_OPS_S1 * r->cfg.params.scale / out->ops_per_s;
    out->ended = rp.ended;
    out->writers = threads == 1 ? "one handle"
                   : cloned     ? "a reader handle per thread, one writer handle behind a mutex"
                                : "one handle behind a mutex (the backend cannot clone)";
    bench_note("%s: replay %u thread(s): %llu ops in %.1f s, %.0f ops/s (ended by %s); a day "
               "of S=%g traffic in %.0f s", e->name, threads, (unsigned long long)out->ops,
               secs, out->ops_per_s, out->ended, r->cfg.params.scale, out->day_seconds);
    return rc;
}
