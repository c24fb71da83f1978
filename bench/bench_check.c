/* bench_check.c: every engine returns the same results before anything is timed.
 *
 * The sample (the "cases") is drawn once and run in the same order on every engine:
 *   1. on the loaded history: question_get for random questions, and each user read
 *      for the busiest users and random ones;
 *   2. the next day's tests are created and its first answers recorded (the same
 *      writes everywhere), then each user read again for the users those answers
 *      touched;
 *   3. test_create with each pattern, then test_list for each drawing user.
 * The first engine's results are the reference: the others must produce the same
 * canonical bytes (compared by xxh64 digest, then decoded field by field to name the
 * first difference: bench_diff.c). Draws are random, so test_create is compared by count, and each
 * engine's drawn ids are checked against the generator's metadata.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "bench.h"

typedef enum case_kind { CASE_READ, CASE_NEXT_DAY, CASE_CREATE } case_kind;

typedef struct check_case {
    case_kind kind;
    bench_read op;
    uint32_t arg;
    bk_draw_args draw;
    /* the reference engine's result */
    uint64_t digest;
    uint32_t rows;
    uint8_t *bytes;
    size_t len;
} check_case;

static struct {
    check_case *cases;
    size_t n, cap;
    size_t next_day_answers;    /* recorded by CASE_NEXT_DAY */
    const char *reference;      /* the engine whose results are the reference */
} plan;

static const char *const pattern_names[] = {"", "filter", "adaptive", "weak"};

/* ------------------------------------------------------------ the plan */

static check_case *add_case(case_kind kind)
{
    if (plan.n == plan.cap) {
        plan.cap = plan.cap ? plan.cap * 2 : 256;
        check_case *c = realloc(plan.cases, plan.cap * sizeof *c);
        if (!c) {
            fprintf(stderr, "qs-bench: out of memory\n");
            exit(EXIT_FAILURE);
        }
        plan.cases = c;
    }
    check_case *c = &plan.cases[plan.n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    return c;
}

static void add_read(bench_read op, uint32_t arg)
{
    check_case *c = add_case(CASE_READ);
    c->op = op;
    c->arg = arg;
}

static void add_user_reads(const uint32_t *users, size_t n)
{
    for (bench_read op = READ_PROGRESS_VIEW; op < READ_COUNT; op++)
        for (size_t i = 0; i < n; i++)
            add_read(op, users[i]);
}

/* The busiest users (they have the most rows), then uniform ones. */
static size_t history_users(const bench_data *d, unsigned samples, uint32_t *users)
{
    ut_rng stream;
    bd_rng_init(&stream, d->params.seed, "check.users");
    size_t n = 0;
    for (uint32_t rank = 1; rank <= d->counts.users && n < samples / 10 + 1; rank++)
        users[n++] = wl_user_of_rank(d->gen, rank);
    while (n < samples)
        users[n++] = bd_uniform_user(d, &stream);
    return n;
}

/* Distinct users of the first @p k next-day answers, at most @p samples. */
static size_t touched_users(const bench_data *d, size_t k, unsigned samples, uint32_t *users)
{
    size_t n = 0;
    for (size_t i = 0; i < k && n < samples; i++) {
        uint32_t u = d->next_day.answers[i].user;
        size_t j = 0;
        while (j < n && users[j] != u)
            j++;
        if (j == n)
            users[n++] = u;
    }
    return n;
}

static void build_plan(const bench_run *r)
{
    const bench_data *d = &r->data;
    unsigned samples = r->cfg.check_samples;
    uint32_t *users = malloc(samples * sizeof *users);
    if (!users) {
        fprintf(stderr, "qs-bench: out of memory\n");
        exit(EXIT_FAILURE);
    }
    ut_rng stream;
    bd_rng_init(&stream, d->params.seed, "check.questions");
    add_read(READ_QUESTION_GET, 1);
    add_read(READ_QUESTION_GET, WL_QUESTIONS);
    for (unsigned i = 2; i < samples; i++)
        add_read(READ_QUESTION_GET, bd_question(&stream));
    add_user_reads(users, history_users(d, samples, users));

    size_t k = d->next_day.n_answers / 10;
    if (k > (size_t)samples * 10)
        k = (size_t)samples * 10;
    plan.next_day_answers = k;
    add_case(CASE_NEXT_DAY);
    add_user_reads(users, touched_users(d, k, samples, users));

    bd_rng_init(&stream, d->params.seed, "check.draws");
    uint64_t test_id = d->first_free_test_id;
    size_t first_create = plan.n;
    for (bk_draw p = BK_DRAW_FILTER; p <= BK_DRAW_WEAK; p++)
        for (unsigned i = 0; i < samples; i++, test_id++) {
            check_case *c = add_case(CASE_CREATE);
            int64_t at = WL_NOW_MS + WL_DAY_MS / 2 + 1000 * (int64_t)(plan.n - first_create);
            bd_draw_args(d, &stream, p, test_id, at, &c->draw);
        }
    size_t last_create = plan.n;
    for (size_t i = first_create; i < last_create; i++)
        add_read(READ_TEST_LIST, plan.cases[i].draw.user);
    free(users);
}

void bench_check_free(void)
{
    for (size_t i = 0; i < plan.n; i++)
        free(plan.cases[i].bytes);
    free(plan.cases);
    memset(&plan, 0, sizeof plan);
}

static void describe_case(const check_case *c, char *out, size_t cap)
{
    if (c->kind == CASE_CREATE)
        snprintf(out, cap, "test_create %s: user %u system %u topic %u difficulty %u "
                 "(test %llu)", pattern_names[c->draw.pattern], c->draw.user,
                 c->draw.system, c->draw.topic, c->draw.difficulty,
                 (unsigned long long)c->draw.test_id);
    else
        snprintf(out, cap, "%s: %s %u", bench_read_names[c->op],
                 c->op == READ_QUESTION_GET ? "question" : "user", c->arg);
}

/* ------------------------------------------------------------ running */

static int prepare_next_day(bench_run *r, bench_engine *e)
{
    const bd_window *w = &r->data.next_day;
    backend *be = e->be;
    for (size_t i = 0; i < w->n_tests; i += BENCH_LOAD_BATCH) {
        if (be->ops->begin(be))
            return -1;
        for (size_t j = i; j < w->n_tests && j < i + BENCH_LOAD_BATCH; j++)
            if (be->ops->put_test(be, &w->tests[j]))
                return -1;
        if (be->ops->commit(be))
            return -1;
    }
    for (size_t i = 0; i < plan.next_day_answers; i += 100) {
        if (be->ops->begin(be))
            return -1;
        for (size_t j = i; j < plan.next_day_answers && j < i + 100; j++)
            if (be->ops->answer_submit(be, &w->answers[j]))
                return -1;
        if (be->ops->commit(be))
            return -1;
    }
    e->next_answer = plan.next_day_answers;
    return 0;
}

/* A drawn question breaks the filter: the reason, else NULL. */
static const char *draw_violation(const bench_data *d, const bk_draw_args *a, uint64_t q,
                                  const uint8_t *seen)
{
    if (q < 1 || q > WL_QUESTIONS)
        return "no such question";
    if (seen[q])
        return "drawn twice";
    const bd_question_meta *m = &d->meta[q];
    if (!m->active)
        return "inactive question";
    if (a->pattern == BK_DRAW_FILTER &&
        (m->topic != a->topic || m->difficulty != a->difficulty || m->system != a->system))
        return "outside the topic and difficulty";
    if (a->pattern == BK_DRAW_ADAPTIVE && m->system != a->system)
        return "outside the system";
    return NULL;
}

/* 0 when every drawn id is in the filter, else 1 after printing the first bad one. */
static int check_membership(const bench_run *r, const bench_engine *e, const check_case *c,
                            const bk_result *res)
{
    static uint8_t seen[WL_QUESTIONS + 1];
    char what[256];
    describe_case(c, what, sizeof what);
    if (res->len != (size_t)res->rows * 8 || res->rows > c->draw.count) {
        printf("MISMATCH %s\n  %s returned %u rows in %zu bytes (expected at most %u ids)\n",
               what, e->name, res->rows, res->len, c->draw.count);
        return 1;
    }
    memset(seen, 0, sizeof seen);
    size_t at = 0;
    for (uint32_t i = 0; i < res->rows; i++) {
        uint64_t q = 0;
        bk_get_u64(res, &at, &q);
        const char *why = draw_violation(&r->data, &c->draw, q, seen);
        if (why) {
            printf("MISMATCH %s\n  %s drew question %llu: %s\n", what, e->name,
                   (unsigned long long)q, why);
            return 1;
        }
        seen[q] = 1;
    }
    return 0;
}

/* Keep @p res as the reference result of @p c. */
static void keep_reference(check_case *c, const bk_result *res)
{
    c->digest = XXH64(res->bytes, res->len, 0);
    c->rows = res->rows;
    c->len = res->len;
    c->bytes = malloc(res->len ? res->len : 1);
    if (!c->bytes) {
        fprintf(stderr, "qs-bench: out of memory\n");
        exit(EXIT_FAILURE);
    }
    if (res->len)
        memcpy(c->bytes, res->bytes, res->len);
}

/* 0 when @p res agrees with the reference, else 1 after printing the difference. */
static int compare(const bench_engine *e, const check_case *c, const bk_result *res)
{
    char what[256];
    describe_case(c, what, sizeof what);
    if (c->kind == CASE_CREATE) {
        if (res->rows == c->rows)
            return 0;
        printf("MISMATCH %s\n  drew %u questions on %s, %u on %s\n", what, c->rows,
               plan.reference, res->rows, e->name);
        return 1;
    }
    if (res->rows == c->rows && XXH64(res->bytes, res->len, 0) == c->digest &&
        res->len == c->len)
        return 0;
    printf("MISMATCH %s\n  %s: %u rows, %zu bytes; %s: %u rows, %zu bytes\n", what,
           plan.reference, c->rows, c->len, e->name, res->rows, res->len);
    bk_result ref = {c->bytes, c->len, c->len, c->rows};
    bench_print_difference(c->op, &ref, res, plan.reference, e->name);
    return 1;
}

static int run_case(bench_run *r, bench_engine *e, check_case *c, bk_result *res)
{
    bk_result_reset(res);
    switch (c->kind) {
    case CASE_NEXT_DAY:
        return prepare_next_day(r, e);
    case CASE_CREATE:
        return e->be->ops->test_create(e->be, &c->draw, res);
    case CASE_READ:
        return bench_read_run(e->be, c->op, c->arg, res);
    }
    return -1;
}

#define MAX_REPORTED 10

int bench_check(bench_run *r, bench_engine *e)
{
    if (!plan.cases)
        build_plan(r);
    int reference = plan.reference == NULL;
    if (reference)
        plan.reference = e->name;
    bk_result res = {0};
    unsigned mismatches = 0;
    int rc = 0;
    for (size_t i = 0; i < plan.n && rc == 0; i++) {
        check_case *c = &plan.cases[i];
        if (run_case(r, e, c, &res) != 0) {
            char what[256];
            describe_case(c, what, sizeof what);
            printf("FAILED %s on %s: %s\n", c->kind == CASE_NEXT_DAY ? "next-day writes" : what,
                   e->name, e->be->err);
            rc = -1;
            break;
        }
        if (c->kind == CASE_NEXT_DAY)
            continue;
        int bad = c->kind == CASE_CREATE ? check_membership(r, e, c, &res) : 0;
        if (!bad && reference)
            keep_reference(c, &res);
        else if (!bad)
            bad = compare(e, c, &res);
        mismatches += (unsigned)bad;
        if (mismatches >= MAX_REPORTED)
            break;
    }
    bk_result_free(&res);
    r->check_cases = plan.n - 1;
    e->next_test_id = r->data.first_free_test_id + 3ull * r->cfg.check_samples;
    if (rc == 0 && mismatches) {
        printf("%s: %u%s result(s) differ from %s; nothing timed\n", e->name, mismatches,
               mismatches >= MAX_REPORTED ? " or more" : "", plan.reference);
        return 1;
    }
    return rc;
}
