/* seal.h: what the parts of qs-seal share (seal.c describes a run).
 *
 *   seal_work.c     the work directory, and seal_fail()
 *   seal_load.c     the history through both backends, and the sample of users
 *   seal_pages.c    the hot and deep pages: found, timed and checked, quizstore and SQLite
 *   seal_buckets.c  quizstore's buckets: listed, checked against the counts, sealed
 *   seal_report.c   the table, on stdout and in OUT/seal.txt
 *   seal.c          arguments, the phases of a run, main
 *
 * Each file calls only those listed before it.
 *
 * A failure prints its reason and exits (seal_fail): 1 when a count or a page is not
 * what it should be, 2 when an engine fails.
 */
#ifndef QS_BENCH_SEAL_H
#define QS_BENCH_SEAL_H

#include <limits.h>
#include <stdint.h>

#include "backend.h"
#include "bench_hist.h"
#include "quizstore.h"
#include "workload.h"

#define PAGE_ROWS 20
#define SAMPLE_USERS 100
#define HOT_ANSWERS 30            /* per sampled user, dated 2026-02 */
#define DEEP_MIN_ROWS 40          /* 2025-12 answers a sampled user needs: two pages */
#define DEC_START_MS (WL_NOW_MS - 31 * WL_DAY_MS)    /* 2025-12-01T00:00:00Z */
#define FEB_START_MS (WL_NOW_MS + 31 * WL_DAY_MS)    /* 2026-02-01T00:00:00Z */
#define SEAL_NOW_MS (WL_NOW_MS + 59 * WL_DAY_MS)     /* 2026-03-01T00:00:00Z */
#define HOT_PERIODS 2

enum { QS_ENGINE, SQLITE_ENGINE, N_ENGINES };

/* Print the reason, remove the work directory and exit with @p status (seal_work.c). */
void seal_fail(int status, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

#define QS(x) do { int rc_ = (x); if (rc_) seal_fail(2, "%s: %s (%s)", #x, qs_strerror(rc_), qs_errmsg()); } while (0)
#define BK(be, x) do { if ((x) != 0) seal_fail(2, "%s", (be)->err); } while (0)

static inline double mb(uint64_t bytes)
{
    return (double)bytes / 1e6;
}

static inline double per_row(uint64_t bytes, uint64_t rows)
{
    return rows ? (double)bytes / (double)rows : 0;
}

/* The run's arguments. */
typedef struct config {
    wl_params params;
    char out_dir[PATH_MAX];
    unsigned iters;
    int quick;
    int keep;                      /* --keep: DIR/work stays */
    char command[1024];
} config;

/* What the generator produced, counted as it goes by. */
typedef struct counts {
    uint64_t tests, answers, interactions, hot_answers;
    uint64_t max_test_id;
    int32_t first_day;
    size_t n_days;                 /* first_day .. the day before SEAL_NOW_MS */
    uint64_t *answers_by_day;      /* by day - first_day */
    uint64_t *ixs_by_day;
    uint32_t *dec_answers;         /* by user id: answers given in 2025-12 */
} counts;

/* Both backends, written in lockstep: the same rows in the same order give the same
 * answer ids in both stores. */
typedef struct loader {
    backend *be[N_ENGINES];
    unsigned in_batch;
    counts *k;
} loader;

typedef enum page_kind { PAGE_HOT, PAGE_DEEP } page_kind;

/* One sampled user and the two pages measured for them. */
typedef struct sample {
    uint32_t user;
    uint32_t dec_answers;
    uint64_t deep_offset;              /* rows newer than the deep page */
    qs_cursor deep_after;              /* the cursor the deep page resumes after */
    bk_position deep_pos;              /* the same position as (created_at, answer id) */
    qs_history_row hot[PAGE_ROWS];     /* the pages as read before sealing */
    qs_history_row deep[PAGE_ROWS];
} sample;

/* One page kind's timed calls. */
typedef struct latency {
    uint64_t n;
    double p50, p99;   /* microseconds */
} latency;

/* qs_bucket_list's buckets. */
typedef struct bucket_set {
    qs_bucket_info *b;
    size_t n;
} bucket_set;

/* Bytes and rows of the history's buckets of @p table (periods that start before
 * 2026-01-01: the ones sealing compresses; the hot 2026-02 bucket is apart). */
typedef struct bucket_sum {
    uint64_t rows, bytes;
} bucket_sum;

/* One bucket's seal. */
typedef struct seal_result {
    qs_bucket_info info;   /* the sealed bucket */
    double seconds;        /* qs_bucket_seal and the commit */
    int hot;               /* QS_HOT: stays raw */
} seal_result;

/* A row of the table: one state of a store. */
typedef struct state_row {
    const char *name;
    double answer_b, answer_index_b, ix_b;
    latency page[2];
} state_row;

enum { STATE_RAW, STATE_COMPACTED, STATE_SEALED, STATE_SQLITE, N_STATES };

/* Everything the report prints. */
typedef struct report {
    const config *cfg;
    wl_counts wc;
    const counts *k;
    const sample *s;
    size_t n_samples;
    uint32_t dec_min, dec_median, dec_max;
    state_row states[N_STATES];
    bucket_set before, after;
    const seal_result *seals;
    bucket_set compacted;
    qs_db_stat by_test_before, by_test_compacted, by_test_after;
    uint64_t file_before, file_compacted, file_after, file_after_compacted;
    bk_table_space sq_answer, sq_ix;
    double seconds;
} report;

/* seal_work.c */
/* A fresh OUT/work (an earlier run's removed first), or exit with bench_work_dir()'s
 * status; @return its path. */
const char *seal_make_work_dir(const config *c);
/* Remove the work directory made, unless c->keep. */
void seal_remove_work(void);

/* seal_load.c */
void seal_load_history(loader *l, const wl_gen *g);
/* Rows of @p by_day in [start, end): bucket periods begin and end at midnight UTC. */
uint64_t seal_rows_between(const counts *k, const uint64_t *by_day, int64_t start, int64_t end);
size_t seal_pick_users(const counts *k, uint32_t users, uint64_t seed, sample *out);
void seal_add_hot_answers(loader *l, const wl_gen *g, const sample *s, size_t n);

/* seal_pages.c */
void seal_find_pages(qs_txn *txn, sample *s);
latency seal_measure_qs(qs_env *env, const sample *s, size_t n_s, page_kind kind,
                        unsigned iters, const char *when);
latency seal_measure_sqlite(backend *be, const sample *s, size_t n_s, page_kind kind,
                            unsigned iters);

/* seal_buckets.c */
bucket_set seal_list_buckets(qs_env *env);
qs_db_stat seal_db_stat(qs_env *env, const char *name);
void seal_check_bucket_rows(const bucket_set *set, const counts *k, const char *when);
bucket_sum seal_history_buckets(const bucket_set *set, qs_table table);
void seal_set_hot_periods(qs_env *env, unsigned periods);
void seal_all(qs_env *env, const bucket_set *before, seal_result *out);
void seal_check_sealed(const bucket_set *before, const bucket_set *after,
                       const seal_result *seals);
uint64_t seal_file_bytes(const char *dir, const char *file);

/* seal_report.c */
void seal_sample_spread(report *r);
void seal_emit_report(const report *r);

#endif /* QS_BENCH_SEAL_H */
