/* seal_load.c: qs-seal's history, loaded through both backends, and its sample of
 * users, each given a test dated 2026-02 (seal.h). */
#include <stdlib.h>
#include <string.h>

#include "bench_data.h"
#include "seal.h"

#define LOAD_BATCH 1000

/* ------------------------------------------------------------ loading */

static void count_day(const counts *k, uint64_t *by_day, int64_t t)
{
    int64_t d = t / WL_DAY_MS - k->first_day;
    if (d < 0 || (size_t)d >= k->n_days)
        seal_fail(1, "a row at %lld ms lies outside the days counted", (long long)t);
    by_day[d]++;
}

/* Rows of @p by_day in [start, end): bucket periods begin and end at midnight UTC. */
uint64_t seal_rows_between(const counts *k, const uint64_t *by_day, int64_t start,
                             int64_t end)
{
    uint64_t n = 0;
    for (size_t d = 0; d < k->n_days; d++) {
        int64_t t = ((int64_t)k->first_day + (int64_t)d) * WL_DAY_MS;
        if (t >= start && t < end)
            n += by_day[d];
    }
    return n;
}

static void batch_begin(loader *l)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->begin(l->be[e]));
    l->in_batch = 0;
}

static void batch_end(loader *l)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->commit(l->be[e]));
}

static void batch_step(loader *l)
{
    if (++l->in_batch < LOAD_BATCH)
        return;
    batch_end(l);
    batch_begin(l);
}

static void write_test(loader *l, const wl_test *t)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->put_test(l->be[e], t));
    batch_step(l);
}

static void write_answer(loader *l, const wl_answer *a)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->answer_submit(l->be[e], a));
    count_day(l->k, l->k->answers_by_day, a->created_at);
    batch_step(l);
}

static int load_test(void *ctx, const wl_test *t)
{
    loader *l = ctx;
    write_test(l, t);
    l->k->tests++;
    if (t->id > l->k->max_test_id)
        l->k->max_test_id = t->id;
    return 0;
}

static int load_answer(void *ctx, const wl_answer *a)
{
    loader *l = ctx;
    write_answer(l, a);
    l->k->answers++;
    if (a->created_at >= DEC_START_MS && a->created_at < WL_NOW_MS)
        l->k->dec_answers[a->user]++;
    return 0;
}

static int load_interaction(void *ctx, const wl_interaction *ix)
{
    loader *l = ctx;
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->interaction_log(l->be[e], ix));
    l->k->interactions++;
    count_day(l->k, l->k->ixs_by_day, ix->created_at);
    batch_step(l);
    return 0;
}

void seal_load_history(loader *l, const wl_gen *g)
{
    for (int e = 0; e < N_ENGINES; e++)
        BK(l->be[e], l->be[e]->ops->load_bank(l->be[e], g));
    batch_begin(l);
    wl_sink sink = {load_test, load_answer, load_interaction, l};
    int rc = wl_run(g, WL_HISTORY, &sink);
    if (rc)
        seal_fail(2, "generating the history: %s", strerror(rc));
    batch_end(l);
}

/* ------------------------------------------------------------ the sample */

/* Up to SAMPLE_USERS users, uniformly without replacement (seeded), among those with
 * at least DEEP_MIN_ROWS answers in 2025-12. */
size_t seal_pick_users(const counts *k, uint32_t users, uint64_t seed, sample *out)
{
    uint32_t *eligible = malloc(((size_t)users + 1) * sizeof *eligible);
    size_t n = 0;
    if (!eligible)
        seal_fail(2, "out of memory");
    for (uint32_t u = 1; u <= users; u++)
        if (k->dec_answers[u] >= DEEP_MIN_ROWS)
            eligible[n++] = u;
    ut_rng r;
    bd_rng_init(&r, seed, "qs-seal users");
    size_t picked = n < SAMPLE_USERS ? n : SAMPLE_USERS;
    for (size_t i = 0; i < picked; i++) {
        size_t j = i + (size_t)ut_rng_below(&r, n - i);
        uint32_t u = eligible[j];
        eligible[j] = eligible[i];
        eligible[i] = u;
        memset(&out[i], 0, sizeof out[i]);
        out[i].user = u;
        out[i].dec_answers = k->dec_answers[u];
    }
    free(eligible);
    return picked;
}

/* One COMPLETED test of HOT_ANSWERS questions per sampled user, created on 2026-02-02,
 * and its answers, 90 s apart, each correct: through both backends. */
void seal_add_hot_answers(loader *l, const wl_gen *g, const sample *s, size_t n)
{
    static wl_text_buf text;
    batch_begin(l);
    for (size_t i = 0; i < n; i++) {
        wl_test t;
        memset(&t, 0, sizeof t);
        t.id = l->k->max_test_id + 1 + i;
        t.user = s[i].user;
        t.status = WL_TEST_COMPLETED;
        t.mode = WL_MODE_TUTOR;
        t.n_questions = t.n_answers = HOT_ANSWERS;
        t.created_at = FEB_START_MS + WL_DAY_MS + (int64_t)i * 60000;
        t.last_activity_at = t.completed_at = t.created_at + HOT_ANSWERS * 90000;
        for (unsigned q = 0; q < HOT_ANSWERS; q++)   /* distinct: 613 q < 20000 */
            t.questions[q] = (uint32_t)((s[i].user * 7919ull + q * 613u) % WL_QUESTIONS) + 1;
        write_test(l, &t);
        for (unsigned q = 0; q < HOT_ANSWERS; q++) {
            wl_question wq;
            wl_question_get(g, t.questions[q], &wq, &text);
            wl_answer a = {.test = t.id, .question = t.questions[q], .user = t.user,
                           .correct = 1, .chosen = (int8_t)wq.correct_option,
                           .status = WL_ANSWERED, .score = 70, .position = (uint8_t)q,
                           .time_spent_ms = 60000,
                           .created_at = t.created_at + (int64_t)(q + 1) * 90000};
            write_answer(l, &a);
            l->k->hot_answers++;
        }
    }
    batch_end(l);
}
