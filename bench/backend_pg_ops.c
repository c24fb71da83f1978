/* backend_pg_ops.c: the PostgreSQL peer's operations (backend_pg.h): the writes but
 * load_bank, the reads, test_create and size_on_disk, each one prepared statement
 * (answer_submit two, rarely) whose binary rows become the canonical result.
 */
#include <stdio.h>

#include "backend_pg.h"

#define DASHBOARD_DAYS 30

static void put_col_str(bk_result *out, const PGresult *res, int row, int col)
{
    bk_put_str(out, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

static uint64_t rate_bp(uint64_t correct, uint64_t attempts)
{
    return attempts ? 10000 * correct / attempts : 0;
}

/* ===================================================================== */
/* Writes                                                                 */

int pgb_put_test(backend *be, const wl_test *t)
{
    char list[WL_TEST_MAX * 11];
    size_t len = sqlc_id_list(t->questions, t->n_questions, list, sizeof list);
    args a = {0};
    arg_i64(&a, (int64_t)t->id);
    arg_i64(&a, t->user);
    arg_i64(&a, t->status);
    arg_i64(&a, t->mode);
    arg_i64(&a, t->created_at);
    arg_i64(&a, t->last_activity_at);
    arg_i64(&a, t->completed_at);
    arg_i64(&a, t->n_questions);
    arg_text(&a, list, len);
    PGresult *res = pgb_run(be, ST_TEST_PUT, &a);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* Tell a duplicate (not an error for the bench) from an unknown question. */
static int not_inserted(backend *be, const wl_answer *a)
{
    args q = {0};
    arg_i64(&q, a->question);
    PGresult *res = pgb_run(be, ST_QUESTION_EXISTS, &q);
    if (!res)
        return -1;
    int exists = PQntuples(res) > 0;
    PQclear(res);
    return exists ? 0 : bk_fail(be, "answer_submit: question %u not found", a->question);
}

static int submit_one(backend *be, const wl_answer *a)
{
    pg_ids *ids = pgb_store(be)->ids;
    uint64_t id = atomic_fetch_add(&ids->answer, 1);
    args q = {0};
    arg_i64(&q, (int64_t)id);
    arg_i64(&q, (int64_t)a->test);
    arg_i64(&q, a->question);
    arg_i64(&q, a->user);
    arg_i64(&q, a->status == WL_SKIPPED ? 0 : a->correct);
    arg_i64(&q, a->chosen);
    arg_i64(&q, a->status);
    arg_i64(&q, a->score);
    arg_i64(&q, a->time_spent_ms);
    arg_i64(&q, a->created_at);
    arg_i64(&q, sqlc_day(a->created_at));
    PGresult *res = pgb_run(be, ST_ANSWER, &q);
    if (!res)
        return -1;
    int inserted = pgb_col_i64(res, 0, 0) > 0;
    int recompute = pgb_col_i64(res, 0, 1) != 0;
    PQclear(res);
    if (!inserted) {
        uint64_t next = id + 1;
        atomic_compare_exchange_strong(&ids->answer, &next, id);
        return not_inserted(be, a);
    }
    if (recompute) {
        args u = {0};
        arg_i64(&u, a->user);
        if (!(res = pgb_run(be, ST_STREAK_RECOMPUTE, &u)))
            return -1;
        PQclear(res);
    }
    return 0;
}

int pgb_answer_submit(backend *be, const wl_answer *a)
{
    if (pgb_store(be)->in_batch)
        return submit_one(be, a);
    if (pgb_begin(be) != 0)
        return -1;
    if (submit_one(be, a) != 0) {
        pgb_store(be)->in_batch = 0;
        pgb_forget_batch(be);
        return -1;
    }
    return pgb_commit(be);
}

int pgb_interaction_log(backend *be, const wl_interaction *ix)
{
    args a = {0};
    arg_i64(&a, (int64_t)atomic_fetch_add(&pgb_store(be)->ids->interaction, 1));
    arg_i64(&a, ix->user);
    arg_i64(&a, ix->action);
    arg_i64(&a, ix->created_at);
    arg_text(&a, ix->payload, ix->payload_len);
    PGresult *res = pgb_run(be, ST_INTERACTION, &a);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* ===================================================================== */
/* Reads                                                                  */

static PGresult *run_user(backend *be, enum stmt s, uint32_t user)
{
    args a = {0};
    arg_i64(&a, user);
    return pgb_run(be, s, &a);
}

int pgb_question_get(backend *be, uint32_t question, bk_result *out)
{
    PGresult *res = run_user(be, ST_QUESTION_GET, question);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return bk_fail(be, "question_get: question %u not found", question);
    }
    for (int c = 0; c < 9; c++)   /* id .. n_options */
        bk_put_u64(out, pgb_col_u64(res, 0, c));
    bk_put_i64(out, pgb_col_i64(res, 0, 9));
    put_col_str(out, res, 0, 10);
    put_col_str(out, res, 0, 11);
    int64_t n_options = pgb_col_i64(res, 0, 8);
    for (int i = 0; i < n_options && i < WL_MAX_OPTIONS; i++)
        put_col_str(out, res, 0, 12 + i);
    out->rows = 1;
    PQclear(res);
    return 0;
}

int pgb_progress_view(backend *be, uint32_t user, bk_result *out)
{
    PGresult *res = run_user(be, ST_PROGRESS, user);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {
        uint64_t attempts = pgb_col_u64(res, r, 1), correct = pgb_col_u64(res, r, 2);
        bk_put_u64(out, pgb_col_u64(res, r, 0));
        bk_put_u64(out, attempts);
        bk_put_u64(out, correct);
        bk_put_u64(out, rate_bp(correct, attempts));
        bk_put_i64(out, pgb_col_i64(res, r, 3));
    }
    out->rows = (uint32_t)n;
    PQclear(res);
    return 0;
}

int pgb_dashboard(backend *be, uint32_t user, int64_t now, bk_result *out)
{
    int64_t now_day = sqlc_day(now);
    args a = {0};
    arg_i64(&a, user);
    arg_i64(&a, now_day - (DASHBOARD_DAYS - 1));
    arg_i64(&a, now_day);
    PGresult *res = pgb_run(be, ST_DASHBOARD, &a);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n == 0 || pgb_col_i64(res, 0, 0) != 0) {
        PQclear(res);
        return bk_fail(be, "dashboard: user %u not found", user);
    }
    uint64_t answered = pgb_col_u64(res, 0, 1), correct = pgb_col_u64(res, 0, 2);
    bk_put_u64(out, answered);
    bk_put_u64(out, correct);
    bk_put_u64(out, rate_bp(correct, answered));
    bk_put_u64(out, pgb_col_u64(res, 0, 3));
    bk_put_i64(out, PQgetisnull(res, 0, 4) ? -1 : sqlc_day(pgb_col_i64(res, 0, 4)));
    bk_put_u64(out, pgb_col_u64(res, 0, 5));
    bk_put_u64(out, pgb_col_u64(res, 0, 6));
    for (int r = 1; r < n; r++) {
        bk_put_i64(out, pgb_col_i64(res, r, 1));
        bk_put_u64(out, pgb_col_u64(res, r, 2));
        bk_put_u64(out, pgb_col_u64(res, r, 3));
        bk_put_u64(out, pgb_col_u64(res, r, 4));
    }
    out->rows = (uint32_t)(n - 1);
    PQclear(res);
    return 0;
}

int pgb_leaderboard(backend *be, uint32_t user, bk_result *out)
{
    PGresult *res = run_user(be, ST_LEADERBOARD, user);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n == 0 || pgb_col_i64(res, n - 1, 0) != 1) {
        PQclear(res);
        return bk_fail(be, "leaderboard: user %u not found", user);
    }
    for (int r = 0; r < n; r++)   /* the top rows, then the user's own */
        for (int c = 1; c <= 3; c++)
            bk_put_u64(out, pgb_col_u64(res, r, c));
    out->rows = (uint32_t)(n - 1);
    PQclear(res);
    return 0;
}

int pgb_history(backend *be, uint32_t user, bk_result *out)
{
    PGresult *res = run_user(be, ST_HISTORY, user);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {   /* column 0 is the page */
        bk_put_u64(out, pgb_col_u64(res, r, 1));
        bk_put_i64(out, pgb_col_i64(res, r, 2));
        for (int c = 3; c <= 9; c++)
            bk_put_u64(out, pgb_col_u64(res, r, c));
    }
    out->rows = (uint32_t)n;
    PQclear(res);
    return 0;
}

int pgb_test_list(backend *be, uint32_t user, bk_result *out)
{
    PGresult *res = run_user(be, ST_TEST_LIST, user);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {
        bk_put_u64(out, pgb_col_u64(res, r, 0));
        bk_put_u64(out, pgb_col_u64(res, r, 1));
        bk_put_i64(out, pgb_col_i64(res, r, 2));
        bk_put_u64(out, pgb_col_u64(res, r, 3));
    }
    out->rows = (uint32_t)n;
    PQclear(res);
    return 0;
}

/* One statement: the draw and the new test commit together. */
int pgb_test_create(backend *be, const bk_draw_args *d, bk_result *out)
{
    if (d->only != BK_ONLY_ANY)   /* the reference workload draws from every question */
        return bk_fail(be, "test_create: only %d is not implemented here", d->only);
    args a = {0};
    arg_i64(&a, (int64_t)d->test_id);
    arg_i64(&a, d->user);
    arg_i64(&a, d->created_at);
    arg_i64(&a, d->count);
    enum stmt s;
    switch (d->pattern) {
    case BK_DRAW_FILTER:
        s = ST_DRAW_FILTER;
        arg_i64(&a, d->topic);
        arg_i64(&a, d->difficulty);
        break;
    case BK_DRAW_ADAPTIVE:
        s = ST_DRAW_ADAPTIVE;
        arg_i64(&a, d->system);
        break;
    case BK_DRAW_WEAK:
        s = ST_DRAW_WEAK;
        break;
    default:
        return bk_fail(be, "test_create: unknown pattern %d", (int)d->pattern);
    }
    PGresult *res = pgb_run(be, s, &a);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++)
        bk_put_u64(out, pgb_col_u64(res, r, 0));
    out->rows = (uint32_t)n;
    PQclear(res);
    return 0;
}

int pgb_size_on_disk(backend *be, uint64_t *bytes)
{
    PGresult *res = pgb_run(be, ST_SIZE, NULL);
    if (!res)
        return -1;
    *bytes = pgb_col_u64(res, 0, 0);
    PQclear(res);
    return 0;
}
