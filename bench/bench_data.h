/* bench_data.h: the reference workload held in memory, and the harness's own draws.
 *
 * Everything an engine is fed comes from here, generated once, so that loading and
 * timing measure the engine and not the generator, and every engine sees the same
 * rows in the same order. The harness's random choices (which user, which question,
 * which op) come from rng streams keyed by the seed and a purpose, so each engine
 * is asked the same questions.
 */
#ifndef QS_BENCH_DATA_H
#define QS_BENCH_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "util/rng.h"
#include "workload.h"

/* What a test_create membership check needs of a question. */
typedef struct bd_question_meta {
    uint32_t system, topic;
    uint8_t difficulty, active;
} bd_question_meta;

typedef struct bd_window {
    wl_test *tests;
    size_t n_tests;
    /* answers_before[i]: answers the stream emits before tests[i] */
    size_t *answers_before;
    wl_answer *answers;
    size_t n_answers;
    wl_interaction *ixs;
    size_t n_ixs;
} bd_window;

typedef struct bench_data {
    wl_params params;
    wl_gen *gen;
    wl_counts counts;
    bd_question_meta meta[WL_QUESTIONS + 1];   /* by question id */
    bd_window history, next_day;
    uint64_t first_free_test_id;               /* above every generated test id */
    double *zipf_cdf;                          /* by rank - 1, cumulative weights */
} bench_data;

/* Generate the history and the next day. @return 0, or an errno value. */
int bd_open(bench_data *d, const wl_params *p);
void bd_close(bench_data *d);

/* ------------------------------------------------------------ draws */

/* The stream for @p purpose (any string) under the run's seed; draw from it with
 * util/rng.h. */
void bd_rng_init(ut_rng *r, uint64_t seed, const char *purpose);

/* A user by the workload's Zipf law over activity (busy users come up often). */
uint32_t bd_zipf_user(const bench_data *d, ut_rng *r);
/* A user uniformly. */
uint32_t bd_uniform_user(const bench_data *d, ut_rng *r);
/* A question id uniformly. */
uint32_t bd_question(ut_rng *r);

/* test_create arguments for @p pattern; @p test_id and @p created_at are the caller's.
 * Filters take a uniform topic and a difficulty weighted like the bank's (30/50/20),
 * adaptive draws a uniform system, every pattern a Zipf user. */
void bd_draw_args(const bench_data *d, ut_rng *r, bk_draw pattern, uint64_t test_id,
                  int64_t created_at, bk_draw_args *out);
/* A pattern with the workload's mix: 80 % filter, 15 % adaptive, 5 % weak. */
bk_draw bd_draw_pattern(ut_rng *r);

#endif /* QS_BENCH_DATA_H */
