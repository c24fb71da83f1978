/* bench.h: what the parts of qs-bench share.
 *
 * qs-bench runs in phases (bench.c, its arguments bench_args.c): generate the workload
 * (bench_data), then per engine load it and run the same-answers check (bench_check;
 * bench_diff names a difference), then per engine time each operation alone, the
 * answer batches and the bulk import (bench_run), the concurrent submitters and the
 * disk's floor (bench_group) and the mixed replay (bench_replay), and last print and
 * write the figures (bench_figures) as a table and as JSON (bench_out) and chart the
 * latencies (bench_chart). The operations by name, a read run through the backend and
 * a latency's figures are bench_ops's. Each engine is driven only through backend.h.
 *
 * The parts in the order of their calls, each calling only parts before it:
 * bench_hist, bench_data, bench_ops, bench_diff, bench_args, bench_check, bench_group,
 * bench_run, bench_replay, bench_figures, bench_out, bench_chart, then bench.c.
 */
#ifndef QS_BENCH_H
#define QS_BENCH_H

#include <limits.h>
#include <math.h>
#include <stdint.h>

#include "backend.h"
#include "bench_data.h"
#include "bench_hist.h"
#include "harness.h"

#define BENCH_MAX_ENGINES 4
#define BENCH_MAX_THREADS 64
#define BENCH_MAX_SUBMITTERS 256
#define BENCH_LOAD_BATCH 1000

/* ------------------------------------------------------------ operations (bench_ops.c) */

/* The reads of the product, each one backend call (history: two pages). */
typedef enum bench_read {
    READ_QUESTION_GET,
    READ_PROGRESS_VIEW,
    READ_DASHBOARD,
    READ_LEADERBOARD,
    READ_HISTORY,
    READ_TEST_LIST,
    READ_COUNT
} bench_read;

extern const char *const bench_read_names[READ_COUNT];

/* Run @p op for @p arg (a question for question_get, else a user); dashboard's
 * "now" is WL_NOW_MS. @return the backend's 0 or -1. */
int bench_read_run(backend *be, bench_read op, uint32_t arg, bk_result *out);

/* Everything whose latency is measured alone, in table order. */
typedef enum bench_lat {
    LAT_QUESTION_GET,
    LAT_PROGRESS_VIEW,
    LAT_DASHBOARD,
    LAT_LEADERBOARD,
    LAT_HISTORY,
    LAT_TEST_LIST,
    LAT_CREATE_FILTER,
    LAT_CREATE_ADAPTIVE,
    LAT_CREATE_WEAK,
    LAT_INTERACTION_LOG,
    LAT_SUBMIT_DURABLE,   /* one answer, its own durable commit */
    LAT_SUBMIT_BATCH50,   /* a batch of 50 answers, lazy commit */
    LAT_IXN_BATCH50,      /* a batch of 50 interactions, lazy commit */
    LAT_COUNT
} bench_lat;

extern const char *const bench_lat_names[LAT_COUNT];   /* for people */
extern const char *const bench_lat_keys[LAT_COUNT];    /* for JSON */
extern const char *const bench_only_names[3];          /* unused, incorrect, marked */

/* ------------------------------------------------------------ configuration */

typedef struct bench_cfg {
    wl_params params;
    char out_dir[PATH_MAX];
    char work_dir[PATH_MAX];   /* stores and CSV files, under out_dir */
    char csv_dir[PATH_MAX];
    char exe_dir[PATH_MAX];    /* where qs-gen and ../tools/quizstore are */
    int quick, keep;
    int import_only;           /* --import-only: the bulk import alone */
    unsigned iters;            /* timed calls per op alone */
    double op_seconds;         /* time cap per op alone */
    unsigned check_samples;    /* sampled inputs per op in the check */
    uint64_t durable_answers;  /* answer_submit batch 1 */
    uint64_t batch50_answers;  /* answer_submit batch 50; as many interactions in batches of 50 */
    uint64_t group_answers;    /* answer_submit batch 1 durable, concurrent submitters */
    unsigned submitters;       /* threads submitting at once (16) */
    double submit_seconds;     /* time cap per answer_submit figure */
    uint64_t replay_ops;       /* ops per replay run (all threads together) */
    double replay_seconds;     /* time cap per replay run */
    unsigned threads;          /* the multi-threaded replay: one per core */
} bench_cfg;

/* ------------------------------------------------------------ results */

typedef struct lat_stat {
    uint64_t n;
    double p50, p99, p999, mean, max;   /* microseconds */
} lat_stat;

typedef struct replay_stat {
    unsigned threads;
    uint64_t ops, answers;
    double seconds, ops_per_s, day_seconds;
    const char *writers;                /* how writes were issued */
    const char *ended;                  /* "ops", "time" or "answers" */
} replay_stat;

typedef struct engine_result {
    uint64_t load_tests, load_answers, load_ixs;
    double load_bank_seconds, load_seconds, load_ix_seconds, load_answers_per_s, load_ix_per_s;
    uint64_t size_after_load;
    lat_stat lat[LAT_COUNT];
    lat_stat draw_only[3][3];           /* test_create: pattern x only (unused, incorrect,
                                           marked), where the engine draws them */
    uint64_t durable_answers, batch50_answers, group_answers;
    double durable_per_s, batch50_per_s, group_per_s;
    lat_stat group_lat;                 /* each durable answer of the concurrent submitters */
    uint64_t import_answers, import_size;
    double import_seconds, import_per_s;
    replay_stat replay[2];              /* 1 thread, one per core */
    double phase_seconds[4];            /* load+check, ops alone, replay, import */
} engine_result;

/* One engine under the bench. */
typedef struct bench_engine {
    const char *name;
    const backend_ops *ops;
    char dir[PATH_MAX];                 /* the store loaded through the ops */
    char import_dir[PATH_MAX];          /* the store bulk_import fills */
    backend *be;
    /* Cursors into the next day, shared by every phase after the check so that no
     * answer or interaction is recorded twice. */
    size_t next_answer, next_ix;
    uint64_t next_test_id;
    engine_result res;
} bench_engine;

typedef struct bench_run {
    bench_cfg cfg;
    bench_data data;
    bench_engine engines[BENCH_MAX_ENGINES];
    unsigned n_engines;
    double gen_seconds, csv_seconds, total_seconds;
    uint64_t check_cases;
    lat_stat fsync_floor;               /* one 4 KiB append + fdatasync in the work dir */
    long nproc;
    uint64_t ram_bytes;
    char cpu[128], kernel[128];
    char command[4096];
} bench_run;

/* ------------------------------------------------------------ phases */

/* bench_args.c: the arguments into r->cfg, r->engines and r->command; on bad ones,
 * the usage and exit status 1. */
void bench_parse_args(bench_run *r, int argc, char **argv);

/* bench_run.c. Each returns 0, or -1 after printing the engine's reason. */
int bench_open(bench_engine *e, const char *dir, bk_sync sync);
void bench_close(bench_engine *e);
int bench_load(bench_run *r, bench_engine *e);
int bench_ops_alone(bench_run *r, bench_engine *e);
int bench_submits(bench_run *r, bench_engine *e);
int bench_bulk_import(bench_run *r, bench_engine *e);

/* bench_group.c: up to @p n durable single answers from cfg.submitters threads, each
 * with its own handle (the store open durable); and the disk's floor, once per run. */
int bench_group_submits(bench_run *r, bench_engine *e, uint64_t n);
int bench_fsync_floor(bench_run *r);

/* bench_check.c: run the sample on @p e (loaded, open) and compare with the first
 * engine checked. @return 0 when every result agrees, 1 on a mismatch (printed),
 * -1 when an op failed. */
int bench_check(bench_run *r, bench_engine *e);
void bench_check_free(void);

/* bench_diff.c: print where @p got first differs from @p ref, results of @p op, as
 * "first difference at byte N, row R field F" and both values. */
void bench_print_difference(bench_read op, const bk_result *ref, const bk_result *got,
                            const char *ref_name, const char *got_name);

/* bench_replay.c: the mixed replay with @p threads threads on the open store. */
int bench_replay(bench_run *r, bench_engine *e, unsigned threads, replay_stat *out);

/* bench_figures.c: the figures of the table and of bench.json, which way each is
 * better, and quizstore's advantage over a peer. */
typedef enum bench_better { LOWER, HIGHER } bench_better;

typedef struct bench_figure {
    char key[64];              /* in bench.json */
    char label[64];
    bench_better better;
    int decimals;              /* -1: by magnitude */
    double (*get)(const engine_result *res, int arg);   /* NAN: not measured */
    int arg;
} bench_figure;

typedef struct bench_section {
    const char *title;
    size_t first, end;         /* figures [first, end) */
} bench_section;

/* A rate, size or time as a figure: NAN when it was not measured (0). */
static inline double bench_nonzero(double v)
{
    return v > 0 ? v : NAN;
}

/* This run's figures in table order, and its sections (built on the first call). */
void bench_figures(const bench_run *r, const bench_figure **f, size_t *n,
                   const bench_section **s, size_t *n_s);
/* quizstore's advantage over @p peer on @p f; NAN when either is missing. */
double bench_advantage(const bench_figure *f, double qs, double peer);
/* The index of quizstore among the engines, or -1. */
int bench_quizstore_index(const bench_run *r);

/* bench_out.c */
void bench_print_header(const bench_run *r);
void bench_print_table(const bench_run *r);
int bench_write_json(const bench_run *r, const char *path);

/* bench_chart.c: writes DIR/latency.dat and latency.gp and runs gnuplot; 0, or -1
 * after a note on stdout. */
int bench_write_chart(const bench_run *r);

/* bench_ops.c: the figures of @p h in microseconds (the clock and notes are
 * harness.h's). */
void lat_stat_from(lat_stat *s, const hist *h);

#endif /* QS_BENCH_H */
