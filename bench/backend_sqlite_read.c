/* backend_sqlite_read.c: the SQLite peer's reads (backend_sqlite.h).
 *
 * Each read puts its rows into the canonical result of backend.h. Reads made of one
 * statement run in its autocommit read transaction; dashboard, leaderboard and
 * history wrap theirs in one (sq_read_begin), one snapshot.
 */
#include "backend_sqlite.h"

static void put_col_text(backend *be, st_id id, int col, bk_result *out)
{
    sqlite3_stmt *st = sq_impl(be)->st[id];
    const char *p = (const char *)sqlite3_column_text(st, col);
    bk_put_str(out, p ? p : "", (size_t)sqlite3_column_bytes(st, col));
}

int sq_question_get(backend *be, uint32_t question, bk_result *out)
{
    sq_bind_i64(be, ST_QUESTION_GET, 1, question);
    int rc = sq_first_row(be, ST_QUESTION_GET);
    if (rc <= 0)
        return rc < 0 ? -1 : bk_fail(be, "question_get: no question %u", question);
    for (int col = 0; col < 9; col++)
        sq_put_col_u(be, ST_QUESTION_GET, col, out);
    bk_put_i64(out, sq_col_i64(be, ST_QUESTION_GET, 9));
    put_col_text(be, ST_QUESTION_GET, 10, out);
    put_col_text(be, ST_QUESTION_GET, 11, out);
    int64_t n_options = sq_col_i64(be, ST_QUESTION_GET, 8);
    for (int o = 0; o < n_options && o < WL_MAX_OPTIONS; o++)
        put_col_text(be, ST_QUESTION_GET, 12 + o, out);
    sqlite3_reset(sq_impl(be)->st[ST_QUESTION_GET]);
    out->rows = 1;
    return 0;
}

int sq_progress_view(backend *be, uint32_t user, bk_result *out)
{
    sq_bind_i64(be, ST_PROGRESS, 1, user);
    int rc;
    for (rc = sq_first_row(be, ST_PROGRESS); rc == 1; rc = sq_next_row(be, ST_PROGRESS)) {
        for (int col = 0; col < 4; col++)
            sq_put_col_u(be, ST_PROGRESS, col, out);
        bk_put_i64(out, sq_col_i64(be, ST_PROGRESS, 4));
        out->rows++;
    }
    return rc;
}

static int dashboard_rows(backend *be, uint32_t user, int64_t now, bk_result *out)
{
    sq_bind_i64(be, ST_SUMMARY_GET, 1, user);
    int rc = sq_first_row(be, ST_SUMMARY_GET);
    if (rc <= 0)
        return rc < 0 ? -1 : bk_fail(be, "dashboard: no user %u", user);
    sqlite3_stmt *st = sq_impl(be)->st[ST_SUMMARY_GET];
    for (int col = 0; col < 4; col++)
        sq_put_col_u(be, ST_SUMMARY_GET, col, out);
    int no_answer = sqlite3_column_type(st, 4) == SQLITE_NULL;
    bk_put_i64(out, no_answer ? -1 : sqlc_day(sqlite3_column_int64(st, 4)));
    sq_put_col_u(be, ST_SUMMARY_GET, 5, out);
    sq_put_col_u(be, ST_SUMMARY_GET, 6, out);
    sqlite3_reset(st);

    int64_t now_day = sqlc_day(now);
    sq_bind_i64(be, ST_DAILY_RANGE, 1, user);
    sq_bind_i64(be, ST_DAILY_RANGE, 2, now_day - 29);
    sq_bind_i64(be, ST_DAILY_RANGE, 3, now_day);
    for (rc = sq_first_row(be, ST_DAILY_RANGE); rc == 1; rc = sq_next_row(be, ST_DAILY_RANGE)) {
        bk_put_i64(out, sq_col_i64(be, ST_DAILY_RANGE, 0));
        for (int col = 1; col < 4; col++)
            sq_put_col_u(be, ST_DAILY_RANGE, col, out);
        out->rows++;
    }
    return rc;
}

int sq_dashboard(backend *be, uint32_t user, int64_t now, bk_result *out)
{
    int own;
    if (sq_read_begin(be, &own) != 0)
        return -1;
    return sq_read_end(be, own, dashboard_rows(be, user, now, out));
}

static int leaderboard_rows(backend *be, uint32_t user, bk_result *out)
{
    int rc;
    uint64_t rank = 0;
    for (rc = sq_first_row(be, ST_BOARD_TOP); rc == 1; rc = sq_next_row(be, ST_BOARD_TOP)) {
        bk_put_u64(out, ++rank);
        sq_put_col_u(be, ST_BOARD_TOP, 0, out);
        sq_put_col_u(be, ST_BOARD_TOP, 1, out);
        out->rows++;
    }
    if (rc < 0)
        return -1;
    sq_bind_i64(be, ST_BOARD_RANK, 1, user);
    if ((rc = sq_first_row(be, ST_BOARD_RANK)) <= 0)
        return rc < 0 ? -1 : bk_fail(be, "leaderboard: no user %u", user);
    sq_put_col_u(be, ST_BOARD_RANK, 1, out);
    bk_put_u64(out, user);
    sq_put_col_u(be, ST_BOARD_RANK, 0, out);
    sqlite3_reset(sq_impl(be)->st[ST_BOARD_RANK]);
    return 0;
}

int sq_leaderboard(backend *be, uint32_t user, bk_result *out)
{
    int own;
    if (sq_read_begin(be, &own) != 0)
        return -1;
    return sq_read_end(be, own, leaderboard_rows(be, user, out));
}

/* One history page; *n rows, and the (created_at, id) of the last one. */
static int history_page(backend *be, st_id id, bk_result *out, int *n, int64_t *at,
                        int64_t *answer)
{
    int rc;
    *n = 0;
    for (rc = sq_first_row(be, id); rc == 1; rc = sq_next_row(be, id)) {
        *answer = sq_col_i64(be, id, 0);
        *at = sq_col_i64(be, id, 1);
        bk_put_u64(out, (uint64_t)*answer);
        bk_put_i64(out, *at);
        for (int col = 2; col < 9; col++)
            sq_put_col_u(be, id, col, out);
        (*n)++;
        out->rows++;
    }
    return rc;
}

static int history_rows(backend *be, uint32_t user, bk_result *out)
{
    int n;
    int64_t at = 0, answer = 0;
    sq_bind_i64(be, ST_HISTORY_FIRST, 1, user);
    if (history_page(be, ST_HISTORY_FIRST, out, &n, &at, &answer) != 0)
        return -1;
    if (n < 20)
        return 0;   /* a short page is the last one */
    sq_bind_i64(be, ST_HISTORY_NEXT, 1, user);
    sq_bind_i64(be, ST_HISTORY_NEXT, 2, at);
    sq_bind_i64(be, ST_HISTORY_NEXT, 3, answer);
    return history_page(be, ST_HISTORY_NEXT, out, &n, &at, &answer);
}

int sq_history(backend *be, uint32_t user, bk_result *out)
{
    int own;
    if (sq_read_begin(be, &own) != 0)
        return -1;
    return sq_read_end(be, own, history_rows(be, user, out));
}

int sq_history_page(backend *be, uint32_t user, const bk_position *after,
                           bk_result *out)
{
    int own, n;
    int64_t at, answer;
    st_id id = after ? ST_HISTORY_NEXT : ST_HISTORY_FIRST;
    if (sq_read_begin(be, &own) != 0)
        return -1;
    sq_bind_i64(be, id, 1, user);
    if (after) {
        sq_bind_i64(be, id, 2, after->created_at);
        sq_bind_i64(be, id, 3, (int64_t)after->answer_id);
    }
    return sq_read_end(be, own, history_page(be, id, out, &n, &at, &answer));
}

int sq_test_list(backend *be, uint32_t user, bk_result *out)
{
    sq_bind_i64(be, ST_TEST_LIST, 1, user);
    int rc;
    for (rc = sq_first_row(be, ST_TEST_LIST); rc == 1; rc = sq_next_row(be, ST_TEST_LIST)) {
        sq_put_col_u(be, ST_TEST_LIST, 0, out);
        sq_put_col_u(be, ST_TEST_LIST, 1, out);
        bk_put_i64(out, sq_col_i64(be, ST_TEST_LIST, 2));
        sq_put_col_u(be, ST_TEST_LIST, 3, out);
        out->rows++;
    }
    return rc;
}
