/* backend_sqlite_write.c: the SQLite peer's loading and writes (backend_sqlite.h).
 *
 * answer_submit records the answer, then each aggregate it changes (user_question,
 * question_stats, user_topic, user_daily, user_summary, the test's last activity),
 * one prepared statement each, in the caller's batch or a transaction of its own. An
 * answer for a day older than the user's last active day recomputes the user's
 * streaks from user_daily (sqlc_streak_add), as the others update them in SQL.
 */
#include <string.h>

#include "backend_sqlite.h"

static int put_taxa(backend *be, st_id id, void (*get)(uint32_t, wl_taxon *), uint32_t n)
{
    for (uint32_t i = 1; i <= n; i++) {
        wl_taxon t;
        get(i, &t);
        int col = 1;
        sq_bind_i64(be, id, col++, t.id);
        if (id == ST_TOPIC_PUT)
            sq_bind_i64(be, id, col++, t.parent);
        sq_bind_text(be, id, col, t.name, strlen(t.name));
        if (sq_run(be, id) != 0)
            return -1;
    }
    return 0;
}

static int put_question(backend *be, const wl_question *q)
{
    const int64_t nums[] = {q->id, q->subject, q->system, q->topic, q->difficulty,
                            q->type, q->active, q->correct_option, q->n_options,
                            q->created_at};
    int col = 1;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        sq_bind_i64(be, ST_QUESTION_PUT, col++, nums[i]);
    sq_bind_text(be, ST_QUESTION_PUT, col++, q->stem.ptr, q->stem.len);
    sq_bind_text(be, ST_QUESTION_PUT, col++, q->explanation.ptr, q->explanation.len);
    for (int o = 0; o < WL_MAX_OPTIONS; o++, col++) {
        if (o < q->n_options)
            sq_bind_text(be, ST_QUESTION_PUT, col, q->options[o].ptr, q->options[o].len);
        else
            sqlite3_bind_null(sq_impl(be)->st[ST_QUESTION_PUT], col);
    }
    return sq_run(be, ST_QUESTION_PUT);
}

static int put_bank(backend *be, const wl_gen *g)
{
    if (put_taxa(be, ST_SUBJECT_PUT, wl_subject_get, WL_SUBJECTS) != 0 ||
        put_taxa(be, ST_SYSTEM_PUT, wl_system_get, WL_SYSTEMS) != 0 ||
        put_taxa(be, ST_TOPIC_PUT, wl_topic_get, WL_TOPICS) != 0)
        return -1;
    wl_text_buf buf;
    for (uint32_t id = 1; id <= WL_QUESTIONS; id++) {
        wl_question q;
        wl_question_get(g, id, &q, &buf);
        if (put_question(be, &q) != 0)
            return -1;
    }
    wl_counts c;
    wl_counts_get(g, &c);
    for (uint32_t id = 1; id <= c.users; id++) {
        wl_user u;
        wl_user_get(g, id, &u);
        sq_bind_i64(be, ST_USER_PUT, 1, u.id);
        sq_bind_i64(be, ST_USER_PUT, 2, u.created_at);
        sq_bind_i64(be, ST_SUMMARY_IDLE, 1, u.id);
        if (sq_run(be, ST_USER_PUT) != 0 || sq_run(be, ST_SUMMARY_IDLE) != 0)
            return -1;
    }
    return sq_impl(be)->pooled ? sq_build_pools(be) : 0;
}

int sq_load_bank(backend *be, const wl_gen *g)
{
    int own;
    if (sq_write_begin(be, &own) != 0)
        return -1;
    return sq_write_end(be, own, put_bank(be, g));
}

int sq_put_test(backend *be, const wl_test *t)
{
    char list[WL_TEST_MAX * 11 + 1];
    size_t len = sqlc_id_list(t->questions, t->n_questions, list, sizeof list);
    const int64_t nums[] = {(int64_t)t->id, t->user, t->status, t->mode, t->created_at,
                            t->last_activity_at, t->completed_at, t->n_questions};
    int col = 1;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        sq_bind_i64(be, ST_TEST_PUT, col++, nums[i]);
    sq_bind_text(be, ST_TEST_PUT, col, list, len);
    int own;
    if (sq_write_begin(be, &own) != 0)
        return -1;
    return sq_write_end(be, own, sq_run(be, ST_TEST_PUT));
}

/* streak and best_streak of @p user from all its daily rows: an answer arrived for a
 * day older than the user's last active day. */
static int recompute_streaks(backend *be, int64_t user)
{
    sqlc_streak acc = {0};
    sq_bind_i64(be, ST_USER_DAYS, 1, user);
    int rc;
    for (rc = sq_first_row(be, ST_USER_DAYS); rc == 1; rc = sq_next_row(be, ST_USER_DAYS))
        sqlc_streak_add(&acc, sq_col_i64(be, ST_USER_DAYS, 0));
    if (rc < 0)
        return -1;
    sq_bind_i64(be, ST_STREAK_SET, 1, user);
    sq_bind_i64(be, ST_STREAK_SET, 2, acc.streak);
    sq_bind_i64(be, ST_STREAK_SET, 3, acc.best);
    return sq_run(be, ST_STREAK_SET);
}

/* The answer row; *added is 0 when (test, question) was answered already. */
static int insert_answer(backend *be, const wl_answer *a, int64_t *topic, int *added)
{
    sq_bind_i64(be, ST_QUESTION_TOPIC, 1, a->question);
    int rc = sq_select_int(be, ST_QUESTION_TOPIC, topic);
    if (rc <= 0)
        return rc < 0 ? -1 : bk_fail(be, "answer: question %u is not in the bank", a->question);
    const int64_t nums[] = {(int64_t)a->test, a->question, a->user, *topic, a->correct,
                            a->chosen, a->status, a->score, a->time_spent_ms, a->created_at};
    for (int i = 0; i < 10; i++)
        sq_bind_i64(be, ST_ANSWER_PUT, i + 1, nums[i]);
    if (sq_run(be, ST_ANSWER_PUT) != 0)
        return -1;
    *added = sqlite3_changes(sq_impl(be)->db) == 1;
    return 0;
}

/* user_question; *first says whether this is the user's first answer to it. */
static int count_user_question(backend *be, const wl_answer *a, int *first)
{
    for (st_id id = ST_USER_QUESTION_NEW; ; id = ST_USER_QUESTION_AGAIN) {
        sq_bind_i64(be, id, 1, a->user);
        sq_bind_i64(be, id, 2, a->question);
        sq_bind_i64(be, id, 3, a->correct);
        sq_bind_i64(be, id, 4, a->status == WL_FLAGGED);
        sq_bind_i64(be, id, 5, a->created_at);
        if (sq_run(be, id) != 0)
            return -1;
        if (id == ST_USER_QUESTION_AGAIN)
            return 0;
        if ((*first = sqlite3_changes(sq_impl(be)->db) == 1))
            return 0;
    }
}

static int day_exists(backend *be, uint32_t user, int64_t day, int *exists)
{
    int64_t one;
    sq_bind_i64(be, ST_DAY_EXISTS, 1, user);
    sq_bind_i64(be, ST_DAY_EXISTS, 2, day);
    int rc = sq_select_int(be, ST_DAY_EXISTS, &one);
    *exists = rc == 1;
    return rc < 0 ? -1 : 0;
}

/* Whether the answer opens @p day for its user, and whether that day is older than
 * the user's last active day (the streaks must then be recomputed). */
static int opens_day(backend *be, uint32_t user, int64_t day, int *new_day, int *older)
{
    sqlite3_stmt *st = sq_impl(be)->st[ST_SUMMARY_LAST];
    sq_bind_i64(be, ST_SUMMARY_LAST, 1, user);
    int rc = sq_first_row(be, ST_SUMMARY_LAST);
    if (rc < 0)
        return -1;
    int active = rc == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL;
    int64_t last_day = active ? sqlc_day(sqlite3_column_int64(st, 0)) : 0;
    if (rc == 1)
        sqlite3_reset(st);
    *older = 0;
    *new_day = day != last_day;
    if (active && day >= last_day)
        return 0;
    int exists;
    if (day_exists(be, user, day, &exists) != 0)
        return -1;
    *new_day = !exists;
    *older = active && *new_day;
    return 0;
}

static int record_answer(backend *be, const wl_answer *a)
{
    int64_t topic = 0;
    int added = 0, first = 0, new_day = 0, older = 0;
    if (insert_answer(be, a, &topic, &added) != 0)
        return -1;
    if (!added)
        return 0;   /* a duplicate changes nothing */
    int64_t day = sqlc_day(a->created_at);
    if (count_user_question(be, a, &first) != 0)
        return -1;

    sq_bind_i64(be, ST_QUESTION_STATS_ADD, 1, a->question);
    sq_bind_i64(be, ST_QUESTION_STATS_ADD, 2, a->correct);
    sq_bind_i64(be, ST_QUESTION_STATS_ADD, 3, first);
    sq_bind_i64(be, ST_QUESTION_STATS_ADD, 4, a->score);
    sq_bind_i64(be, ST_QUESTION_STATS_ADD, 5, a->time_spent_ms);
    if (sq_run(be, ST_QUESTION_STATS_ADD) != 0)
        return -1;

    sq_bind_i64(be, ST_USER_TOPIC_ADD, 1, a->user);
    sq_bind_i64(be, ST_USER_TOPIC_ADD, 2, topic);
    sq_bind_i64(be, ST_USER_TOPIC_ADD, 3, a->correct);
    sq_bind_i64(be, ST_USER_TOPIC_ADD, 4, a->created_at);
    if (sq_run(be, ST_USER_TOPIC_ADD) != 0)
        return -1;

    if (opens_day(be, a->user, day, &new_day, &older) != 0)
        return -1;
    sq_bind_i64(be, ST_USER_DAILY_ADD, 1, a->user);
    sq_bind_i64(be, ST_USER_DAILY_ADD, 2, day);
    sq_bind_i64(be, ST_USER_DAILY_ADD, 3, a->correct);
    sq_bind_i64(be, ST_USER_DAILY_ADD, 4, a->time_spent_ms);
    if (sq_run(be, ST_USER_DAILY_ADD) != 0)
        return -1;

    sq_bind_i64(be, ST_USER_SUMMARY_ADD, 1, a->user);
    sq_bind_i64(be, ST_USER_SUMMARY_ADD, 2, a->correct);
    sq_bind_i64(be, ST_USER_SUMMARY_ADD, 3, a->time_spent_ms);
    sq_bind_i64(be, ST_USER_SUMMARY_ADD, 4, a->created_at);
    sq_bind_i64(be, ST_USER_SUMMARY_ADD, 5, new_day);
    sq_bind_i64(be, ST_USER_SUMMARY_ADD, 6, day);
    if (sq_run(be, ST_USER_SUMMARY_ADD) != 0 || (older && recompute_streaks(be, a->user) != 0))
        return -1;

    sq_bind_i64(be, ST_TEST_TOUCH, 1, (int64_t)a->test);
    sq_bind_i64(be, ST_TEST_TOUCH, 2, a->created_at);
    return sq_run(be, ST_TEST_TOUCH);
}

int sq_answer_submit(backend *be, const wl_answer *a)
{
    int own;
    if (sq_write_begin(be, &own) != 0)
        return -1;
    return sq_write_end(be, own, record_answer(be, a));
}

int sq_interaction_log(backend *be, const wl_interaction *ix)
{
    sq_bind_i64(be, ST_INTERACTION_ADD, 1, ix->user);
    sq_bind_i64(be, ST_INTERACTION_ADD, 2, ix->action);
    sq_bind_i64(be, ST_INTERACTION_ADD, 3, ix->created_at);
    sq_bind_text(be, ST_INTERACTION_ADD, 4, ix->payload, ix->payload_len);
    int own;
    if (sq_write_begin(be, &own) != 0)
        return -1;
    return sq_write_end(be, own, sq_run(be, ST_INTERACTION_ADD));
}
