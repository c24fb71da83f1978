/* backend_pg_stmt.c: the PostgreSQL peer's prepared statements (backend_pg.h).
 *
 * Every statement is prepared once per connection. Integer parameters go in binary as
 * int8 and results come back in binary, so no number is printed or parsed.
 * answer_submit is one statement: the answer and the six aggregates it changes, as
 * data-modifying CTEs chained through INSERT ... ON CONFLICT ... DO UPDATE ...
 * RETURNING, so it costs one round trip inside the caller's batch transaction. Each
 * read is one statement, hence one snapshot.
 */
#include <string.h>

#include "backend_pg.h"

#define OID_INT8 20
#define OID_TEXT 25

/* Parameter types: one letter each, q = int8, t = text; both sent in binary. */
typedef struct stmt_def {
    const char *name;
    const char *params;
    const char *sql;
} stmt_def;

/* The streak after an answer that opened day $11, from the user's previous last_at
 * (s.last_at): one more on the next day, 1 after a gap; an earlier day keeps it and
 * the caller recomputes it from user_daily. */
#define STREAK_NEXT                                                                     \
    "CASE WHEN EXCLUDED.streak = 0 THEN s.streak"                                       \
    " WHEN s.last_at IS NULL THEN 1"                                                    \
    " WHEN $11 = " PGB_SQL_DAY("s.last_at") " + 1 THEN s.streak + 1"                        \
    " WHEN $11 > " PGB_SQL_DAY("s.last_at") " + 1 THEN 1"                                   \
    " ELSE s.streak END"

/* $1 id, $2 test, $3 question, $4 user, $5 correct, $6 chosen, $7 status, $8 score,
 * $9 time_spent_ms, $10 created_at, $11 day. Returns (inserted, recompute): inserted
 * 0 when (test, question) was answered already (or the question does not exist);
 * recompute when the answer opened a day before the user's last active day. The
 * summary's insert value of streak carries "a new day" (1) to the update. */
static const char sql_answer[] =
    "WITH ins AS ("
    " INSERT INTO answer (id, test_id, question_id, user_id, topic_id, correct, chosen,"
    "  status, score, time_spent_ms, created_at)"
    " SELECT $1, $2, $3, $4, q.topic_id, $5, $6, $7, $8, $9, $10"
    " FROM question q WHERE q.id = $3"
    " ON CONFLICT (test_id, question_id) DO NOTHING RETURNING topic_id),"
    "uq AS ("
    " INSERT INTO user_question AS s (user_id, question_id, attempts, last_correct, marked,"
    "  last_at)"
    " SELECT $4, $3, 1, $5, ($7 = 3)::int, $10 FROM ins"
    " ON CONFLICT (user_id, question_id) DO UPDATE SET attempts = s.attempts + 1,"
    "  last_correct = CASE WHEN EXCLUDED.last_at >= s.last_at THEN EXCLUDED.last_correct"
    "   ELSE s.last_correct END,"
    "  marked = GREATEST(s.marked, EXCLUDED.marked),"
    "  last_at = GREATEST(s.last_at, EXCLUDED.last_at)"
    " RETURNING attempts),"
    "qs AS ("
    " INSERT INTO question_stats AS s (question_id, attempts, correct, users, score_sum,"
    "  time_sum)"
    " SELECT $3, 1, $5, (uq.attempts = 1)::int, $8, $9 FROM uq"
    " ON CONFLICT (question_id) DO UPDATE SET attempts = s.attempts + 1,"
    "  correct = s.correct + EXCLUDED.correct, users = s.users + EXCLUDED.users,"
    "  score_sum = s.score_sum + EXCLUDED.score_sum,"
    "  time_sum = s.time_sum + EXCLUDED.time_sum),"
    "ut AS ("
    " INSERT INTO user_topic AS s (user_id, topic_id, attempts, correct, last_at)"
    " SELECT $4, ins.topic_id, 1, $5, $10 FROM ins"
    " ON CONFLICT (user_id, topic_id) DO UPDATE SET attempts = s.attempts + 1,"
    "  correct = s.correct + EXCLUDED.correct,"
    "  last_at = GREATEST(s.last_at, EXCLUDED.last_at)),"
    "ud AS ("
    " INSERT INTO user_daily AS s (user_id, day, answers, correct, time_ms)"
    " SELECT $4, $11, 1, $5, $9 FROM ins"
    " ON CONFLICT (user_id, day) DO UPDATE SET answers = s.answers + 1,"
    "  correct = s.correct + EXCLUDED.correct, time_ms = s.time_ms + EXCLUDED.time_ms"
    " RETURNING answers),"
    "prev AS (SELECT last_at FROM user_summary WHERE user_id = $4),"
    "us AS ("
    " INSERT INTO user_summary AS s (user_id, answered, correct, time_ms, first_at, last_at,"
    "  streak, best_streak)"
    " SELECT $4, 1, $5, $9, $10, $10, (ud.answers = 1)::int, 1 FROM ud"
    " ON CONFLICT (user_id) DO UPDATE SET answered = s.answered + 1,"
    "  correct = s.correct + EXCLUDED.correct, time_ms = s.time_ms + EXCLUDED.time_ms,"
    "  first_at = LEAST(s.first_at, EXCLUDED.first_at),"
    "  last_at = GREATEST(s.last_at, EXCLUDED.last_at),"
    "  streak = " STREAK_NEXT ","
    "  best_streak = GREATEST(s.best_streak, " STREAK_NEXT ")),"
    "tu AS ("
    " UPDATE test SET last_activity_at = $10"
    " WHERE id = $2 AND last_activity_at < $10 AND EXISTS (SELECT 1 FROM ins))"
    "SELECT (SELECT count(*) FROM ins),"
    " coalesce((SELECT answers = 1 FROM ud), false)"
    " AND coalesce((SELECT " PGB_SQL_DAY("last_at") " > $11 FROM prev), false)";

/* Streaks from the user's days: runs of consecutive days (day - row number is constant
 * along a run); the streak is the run ending at the last day, best the longest. */
static const char sql_streak_recompute[] =
    "WITH runs AS (SELECT day, day - row_number() OVER (ORDER BY day) AS grp"
    "  FROM user_daily WHERE user_id = $1),"
    " lens AS (SELECT count(*) AS len, max(day) AS last_day FROM runs GROUP BY grp)"
    "UPDATE user_summary SET"
    " streak = (SELECT len FROM lens ORDER BY last_day DESC LIMIT 1),"
    " best_streak = (SELECT max(len) FROM lens)"
    "WHERE user_id = $1";

static const char sql_test_put[] =
    "INSERT INTO test (id, user_id, status, mode, created_at, last_activity_at,"
    " completed_at, n_questions, questions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    " ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, status = EXCLUDED.status,"
    " mode = EXCLUDED.mode, created_at = EXCLUDED.created_at,"
    " last_activity_at = EXCLUDED.last_activity_at, completed_at = EXCLUDED.completed_at,"
    " n_questions = EXCLUDED.n_questions, questions = EXCLUDED.questions";

static const char sql_dashboard[] =
    "SELECT 0 AS k, answered, correct, time_ms, last_at, streak, best_streak"
    " FROM user_summary WHERE user_id = $1 "
    "UNION ALL "
    "SELECT 1, day, answers, correct, time_ms, NULL, NULL"
    " FROM user_daily WHERE user_id = $1 AND day BETWEEN $2 AND $3 "
    "ORDER BY 1, 2";

/* The top 100 (rank = position: ties are broken by user id), then the user's own
 * rank: 1 + users ahead, those with more correct and those tied with a lower id. */
static const char sql_leaderboard[] =
    "WITH top AS (SELECT user_id, correct FROM user_summary"
    "  ORDER BY correct DESC, user_id LIMIT 100),"
    " me AS (SELECT user_id, correct FROM user_summary WHERE user_id = $1) "
    "SELECT 0 AS k, row_number() OVER (ORDER BY correct DESC, user_id) AS rank, user_id,"
    " correct FROM top "
    "UNION ALL "
    "SELECT 1, 1 + (SELECT count(*) FROM user_summary s WHERE s.correct > me.correct)"
    "  + (SELECT count(*) FROM user_summary s"
    "     WHERE s.correct = me.correct AND s.user_id < me.user_id), user_id, correct"
    " FROM me "
    "ORDER BY k, rank";

#define HISTORY_COLUMNS \
    "id, created_at, test_id, question_id, topic_id, correct, status, score, time_spent_ms"

/* Page one, then page two resuming strictly after page one's last (oldest) row: the
 * lateral subquery takes that row as its cursor and seeks answer_by_user to it. */
static const char sql_history[] =
    "WITH p1 AS (SELECT " HISTORY_COLUMNS " FROM answer WHERE user_id = $1"
    "  ORDER BY created_at DESC, id DESC LIMIT 20),"
    " cur AS (SELECT created_at, id FROM p1 ORDER BY created_at, id LIMIT 1),"
    " p2 AS (SELECT a.* FROM cur CROSS JOIN LATERAL"
    "  (SELECT " HISTORY_COLUMNS " FROM answer"
    "   WHERE user_id = $1 AND (created_at, id) < (cur.created_at, cur.id)"
    "   ORDER BY created_at DESC, id DESC LIMIT 20) a) "
    "SELECT 1 AS page, * FROM p1 UNION ALL SELECT 2, * FROM p2 "
    "ORDER BY page, created_at DESC, id DESC";

/* One ordered range of test_by_user per status, merged: a user with many paused tests
 * costs 40 index entries, not a sort of all of them. */
#define TESTS_OF_STATUS(st)                                                             \
    "(SELECT id, status, last_activity_at, n_questions FROM test"                      \
    " WHERE user_id = $1 AND status = " st                                              \
    " ORDER BY last_activity_at DESC, id DESC LIMIT 20)"

static const char sql_test_list[] =
    TESTS_OF_STATUS("1") " UNION ALL " TESTS_OF_STATUS("2")
    " ORDER BY last_activity_at DESC, id DESC LIMIT 20";

/* test_create: draw at most $4 questions with ORDER BY random(), write the new ACTIVE
 * test (tutor mode) with them, return them in draw order. $1 test id, $2 user,
 * $3 created_at, $4 count, then the pattern's own parameters. */
#define DRAW_AND_INSERT(with, from_where)                                               \
    "WITH " with "draw AS (SELECT q.id, random() AS r " from_where " ORDER BY r LIMIT $4)," \
    " ins AS (INSERT INTO test (id, user_id, status, mode, created_at, last_activity_at," \
    "  completed_at, n_questions, questions)"                                           \
    "  SELECT $1, $2, 1, 1, $3, $3, 0, count(*),"                                       \
    "   coalesce(string_agg(id::text, ',' ORDER BY r), '') FROM draw) "                 \
    "SELECT id FROM draw ORDER BY r"

static const char sql_draw_filter[] = DRAW_AND_INSERT(
    "", "FROM question q WHERE q.topic_id = $5 AND q.difficulty = $6 AND q.active = 1");

/* The system's questions first (question_by_system), then their stats: the planner
 * cannot estimate the rate filter and would otherwise start from every question's
 * stats and look each question up. */
static const char sql_draw_adaptive[] = DRAW_AND_INSERT(
    "pool AS MATERIALIZED (SELECT id FROM question WHERE system_id = $5 AND active = 1), ",
    "FROM pool q JOIN question_stats s ON s.question_id = q.id"
    " WHERE s.attempts > 0 AND 10000::bigint * s.correct / s.attempts BETWEEN 4000 AND 7000");

/* Two branches so that the weak topics are read through question_by_topic; the whole
 * bank is scanned only when the user has no weak topic. */
#define WEAK_TOPICS                                                                     \
    "SELECT topic_id FROM user_topic"                                                   \
    " WHERE user_id = $2 AND 10000::bigint * correct / attempts < 6000"

static const char sql_draw_weak[] = DRAW_AND_INSERT(
    "", "FROM (SELECT id FROM question WHERE active = 1 AND topic_id IN (" WEAK_TOPICS ")"
    " UNION ALL"
    " SELECT id FROM question WHERE active = 1 AND NOT EXISTS (" WEAK_TOPICS ")) q");

static const stmt_def stmts[ST_COUNT] = {
    [ST_ANSWER] = {"answer_submit", "qqqqqqqqqqq", sql_answer},
    [ST_QUESTION_EXISTS] = {"question_exists", "q", "SELECT 1 FROM question WHERE id = $1"},
    [ST_STREAK_RECOMPUTE] = {"streak_recompute", "q", sql_streak_recompute},
    [ST_TEST_PUT] = {"test_put", "qqqqqqqqt", sql_test_put},
    [ST_INTERACTION] = {"interaction_log", "qqqqt",
                        "INSERT INTO interaction (id, user_id, action, created_at, payload)"
                        " VALUES ($1, $2, $3, $4, $5)"},
    [ST_QUESTION_GET] = {"question_get", "q",
                         "SELECT id, subject_id, system_id, topic_id, difficulty, type,"
                         " active, correct_option, n_options, created_at, stem, explanation,"
                         " option0, option1, option2, option3, option4"
                         " FROM question WHERE id = $1"},
    [ST_PROGRESS] = {"progress_view", "q",
                     "SELECT topic_id, attempts, correct, last_at FROM user_topic"
                     " WHERE user_id = $1 ORDER BY topic_id"},
    [ST_DASHBOARD] = {"dashboard", "qqq", sql_dashboard},
    [ST_LEADERBOARD] = {"leaderboard", "q", sql_leaderboard},
    [ST_HISTORY] = {"history", "q", sql_history},
    [ST_TEST_LIST] = {"test_list", "q", sql_test_list},
    [ST_DRAW_FILTER] = {"draw_filter", "qqqqqq", sql_draw_filter},
    [ST_DRAW_ADAPTIVE] = {"draw_adaptive", "qqqqq", sql_draw_adaptive},
    [ST_DRAW_WEAK] = {"draw_weak", "qqqq", sql_draw_weak},
    [ST_SIZE] = {"size_on_disk", "", "SELECT pg_database_size(current_database())"},
    [ST_NEXT_IDS] = {"next_ids", "",
                     "SELECT (SELECT coalesce(max(id), 0) FROM answer) + 1,"
                     " (SELECT coalesce(max(id), 0) FROM interaction) + 1"},
};

int pgb_prepare_all(backend *be)
{
    for (int s = 0; s < ST_COUNT; s++) {
        Oid types[PGB_MAX_PARAMS];
        int n = (int)strlen(stmts[s].params);
        for (int i = 0; i < n; i++)
            types[i] = stmts[s].params[i] == 't' ? OID_TEXT : OID_INT8;
        PGresult *res = PQprepare(pgb_store(be)->conn, stmts[s].name, stmts[s].sql, n, types);
        if (!pgb_result_ok(res))
            return pgb_fail(be, stmts[s].name, res);
        PQclear(res);
    }
    return 0;
}

PGresult *pgb_run(backend *be, enum stmt s, const args *a)
{
    static const args none;
    if (!a)
        a = &none;
    PGresult *res = PQexecPrepared(pgb_store(be)->conn, stmts[s].name, a->n, a->val, a->len,
                                   a->fmt, 1);
    if (!pgb_result_ok(res)) {
        pgb_fail(be, stmts[s].name, res);
        return NULL;
    }
    return res;
}
