/* workload_int.h: what the generator's files share (workload.h is the interface).
 *
 *   workload_text.c    the texts: question stems, options and explanations, topic
 *                      names, interaction payloads, from the templates and word lists
 *                      of bench/data/ (compiled into workload_data.h by the build)
 *   workload.c         the generator: the bank's metadata and pools, the users and
 *                      their Zipf law, arrivals within a day; the interaction stream
 *   workload_stream.c  the stream of tests and answers, in time order
 *   workload_run.c     wl_run(): both streams into a sink's callbacks
 *
 * Each file calls only those listed before it.
 *
 * Random streams: xoshiro256** (util/rng.h) keyed by (seed, domain, index). Every entity
 * has its own stream: a question (metadata, and separately its text), a user, a
 * day's test arrivals, one test (user, questions, outcome, answers), a day's
 * interactions. Nothing depends on the order in which consumers ask.
 */
#ifndef QS_BENCH_WORKLOAD_INT_H
#define QS_BENCH_WORKLOAD_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "util/rng.h"
#include "workload.h"

#define MINUTES_PER_DAY 1440

/* The domains of the random streams: part of the workload, never renumbered. */
enum domain {
    DOM_QUESTION = 1, DOM_QTEXT, DOM_TOPIC, DOM_USER, DOM_RANK, DOM_TEST_DAY, DOM_TEST,
    DOM_IX_DAY
};

/* The stream of entity @p index of domain @p d under the run's seed. */
static inline void rng_init(ut_rng *r, uint64_t seed, enum domain d, uint64_t index)
{
    uint64_t x = ut_mix64(ut_mix64(seed) ^ ((uint64_t)d * 0xD1B54A32D192ED03ULL));
    ut_rng_seed(r, ut_mix64(x ^ (index * 0x9E3779B97F4A7C15ULL)));
}

/* Standard normal (Box-Muller, the cosine half): two draws. */
static inline double rng_normal(ut_rng *r)
{
    double u = 1.0 - ut_rng_unit(r);
    double v = ut_rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* A question's metadata, drawn once at wl_open(). */
typedef struct qmeta {
    int64_t created_at;
    uint16_t topic;
    uint8_t subject, system, difficulty, type, active, correct, n_options;
} qmeta;

struct wl_gen {
    wl_params p;
    wl_counts c;
    qmeta q[WL_QUESTIONS + 1];                 /* [0] unused */
    uint8_t topic_subject[WL_TOPICS + 1];
    /* active questions by (created_at, id): a topic's are
     * topic_pool[topic_start[t] .. topic_start[t + 1]), a system's likewise */
    uint32_t topic_pool[WL_QUESTIONS], topic_start[WL_TOPICS + 2];
    uint32_t system_pool[WL_QUESTIONS], system_start[WL_SYSTEMS + 2];
    double accept[MINUTES_PER_DAY];            /* diurnal acceptance per minute of day */
    double *skill;                             /* [users + 1] */
    uint32_t *rank_user;                       /* Zipf rank - 1 -> user */
    double *alias_prob;                        /* Walker alias table over ranks */
    uint32_t *alias_idx;
};

/* workload.c: a user by the Zipf law over ranks (two draws). */
uint32_t wli_zipf_user(const wl_gen *g, ut_rng *r);

/* workload.c: sorted arrival offsets (ms into the day) of @p n events, by the diurnal
 * profile; @p tmp is as large as @p out. */
void wli_day_arrivals(const wl_gen *g, ut_rng *r, uint32_t n, uint32_t *out, uint32_t *tmp);

/* workload_text.c: the texts of @p q (its metadata set), into @p buf. */
void wli_question_text(const wl_gen *g, wl_question *q, wl_text_buf *buf);

/* workload_text.c: the payload of an interaction of @p action into @p ix, from @p r
 * (the day's stream, right after the action's draw). */
void wli_payload(ut_rng *r, unsigned action, wl_interaction *ix);

#endif /* QS_BENCH_WORKLOAD_INT_H */
