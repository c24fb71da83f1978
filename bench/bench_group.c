/* bench_group.c: durable single answers from many submitters at once, and the disk's
 * floor beside them.
 *
 * Each submitter is a thread with a handle of its own (bk_clone()) that records the
 * next day's answers one per call, each call its own durable transaction, taking the
 * next answer from a shared cursor: a platform's answer requests at its busiest, each
 * waiting for its commit. An engine that shares one sync among the commits waiting
 * for it (group commit) gains here; one that syncs every commit alone is bound by
 * the disk. The floor is what no durable commit on this disk can beat: one 4 KiB
 * append and one fdatasync, timed the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define FLOOR_BLOCK 4096

typedef struct group {
    const bd_window *w;
    atomic_size_t next;            /* the next answer to record */
    size_t end;
    double deadline;
    atomic_int stop;
} group;

typedef struct submitter {
    group *g;
    backend *be;
    hist h;
    uint64_t done;
    int failed;
    char err[512];
} submitter;

static void *submit_loop(void *arg)
{
    submitter *s = arg;
    group *g = s->g;
    while (!atomic_load(&g->stop)) {
        size_t i = atomic_fetch_add(&g->next, 1);
        if (i >= g->end)
            break;
        uint64_t t0 = bench_now_ns();
        if (s->be->ops->answer_submit(s->be, &g->w->answers[i])) {
            snprintf(s->err, sizeof s->err, "%s", s->be->err);
            s->failed = 1;
            atomic_store(&g->stop, 1);
            break;
        }
        hist_record(&s->h, bench_now_ns() - t0);
        s->done++;
        if (bench_now() > g->deadline)
            atomic_store(&g->stop, 1);
    }
    return NULL;
}

/* One round: @p n answers (or the time cap) by the submitters, from e->next_answer.
 * Merges their latencies into @p h and sets *seconds to the round's wall time. */
static int group_round(bench_run *r, bench_engine *e, submitter *s, unsigned n_sub, uint64_t n,
                       hist *h, uint64_t *done, double *seconds)
{
    group g = {.w = &r->data.next_day, .end = e->next_answer + n};
    atomic_init(&g.next, e->next_answer);
    atomic_init(&g.stop, 0);
    pthread_t tid[BENCH_MAX_SUBMITTERS];
    double t0 = bench_now();
    g.deadline = t0 + r->cfg.submit_seconds;
    for (unsigned i = 0; i < n_sub; i++) {
        s[i].g = &g;
        s[i].done = 0;
        hist_reset(&s[i].h);
        pthread_create(&tid[i], NULL, submit_loop, &s[i]);
    }
    for (unsigned i = 0; i < n_sub; i++)
        pthread_join(tid[i], NULL);
    *seconds = bench_now() - t0;
    size_t next = atomic_load(&g.next);
    e->next_answer = next < g.end ? next : g.end;
    hist_reset(h);
    *done = 0;
    int rc = 0;
    for (unsigned i = 0; i < n_sub; i++) {
        hist_merge(h, &s[i].h);
        *done += s[i].done;
        if (s[i].failed) {
            fprintf(stderr, "qs-bench: %s: answer_submit, %u submitters: %s\n", e->name, n_sub,
                    s[i].err);
            rc = -1;
        }
    }
    return rc;
}

int bench_group_submits(bench_run *r, bench_engine *e, uint64_t n)
{
    unsigned n_sub = r->cfg.submitters;
    submitter *s = calloc(n_sub, sizeof *s);
    int rc = s ? 0 : -1;
    for (unsigned i = 0; i < n_sub && rc == 0; i++)
        if (!(s[i].be = e->ops->clone ? e->ops->clone(e->be) : NULL)) {
            fprintf(stderr, "qs-bench: %s: no handle for submitter %u: %s\n", e->name, i,
                    e->be->err);
            rc = -1;
        }
    static hist h;
    uint64_t done = 0;
    double seconds = 0;
    if (rc == 0)
        rc = group_round(r, e, s, n_sub, n / 20 + n_sub, &h, &done, &seconds) ||   /* warm-up */
             group_round(r, e, s, n_sub, n, &h, &done, &seconds);
    for (unsigned i = 0; s && i < n_sub; i++)
        bk_free(s[i].be);
    free(s);
    if (rc)
        return -1;
    engine_result *res = &e->res;
    lat_stat_from(&res->group_lat, &h);
    res->group_answers = done;
    res->group_per_s = seconds > 0 ? done / seconds : 0;
    bench_note("%s: answer_submit batch 1 durable, %u submitters: %llu answers, %.0f answers/s,"
               " p50 %.0f us, p99 %.0f us", e->name, n_sub, (unsigned long long)done,
               res->group_per_s, res->group_lat.p50, res->group_lat.p99);
    return 0;
}

/* ------------------------------------------------------------ the floor */

int bench_fsync_floor(bench_run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/fsync-floor", r->cfg.work_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "qs-bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    static char block[FLOOR_BLOCK];
    memset(block, 'q', sizeof block);
    static hist h;
    hist_reset(&h);
    double start = bench_now();
    int rc = 0;
    for (uint64_t i = 0; i < r->cfg.durable_answers; i++) {
        uint64_t t0 = bench_now_ns();
        if (pwrite(fd, block, sizeof block, (off_t)(i * sizeof block)) != (ssize_t)sizeof block ||
            fdatasync(fd) != 0) {
            fprintf(stderr, "qs-bench: %s: %s\n", path, strerror(errno));
            rc = -1;
            break;
        }
        hist_record(&h, bench_now_ns() - t0);
        if (bench_now() - start > r->cfg.submit_seconds)
            break;
    }
    close(fd);
    unlink(path);
    lat_stat_from(&r->fsync_floor, &h);
    if (rc == 0)
        bench_note("fdatasync floor (4 KiB append + fdatasync): n=%llu p50 %.0f us, p99 %.0f us",
                   (unsigned long long)r->fsync_floor.n, r->fsync_floor.p50, r->fsync_floor.p99);
    return rc;
}
