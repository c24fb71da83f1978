/* backend_sqlite_stmt.c: the SQLite peer's prepared statements (backend_sqlite.h).
 *
 * Every statement is prepared once per connection (SQLITE_PREPARE_PERSISTENT), bound
 * by number (?1 ..), stepped, and reset after use, so its plan is made once. Writes
 * learn what they changed from sqlite3_changes() and point reads rather than
 * RETURNING, which SQLite serves through an ephemeral table.
 */
#include <stdio.h>

#include "backend_sqlite.h"

/* user_summary.streak after an answer on day ?6 (?5: it opened that day for the user).
 * An older day than the last one keeps the old value: the caller recomputes it. */
#define NEXT_STREAK                                                                     \
    "CASE WHEN ?5 = 0 THEN streak WHEN last_at IS NULL THEN 1"                          \
    " WHEN ?6 = " SQ_DAY_OF("last_at") " + 1 THEN streak + 1"                              \
    " WHEN ?6 > " SQ_DAY_OF("last_at") " + 1 THEN 1 ELSE streak END"

#define HISTORY_COLUMNS                                                                 \
    "SELECT id, created_at, test_id, question_id, topic_id, correct, status, score,"    \
    " time_spent_ms FROM answer "

/* A draw's filter on the user's own record: ?9 is its `only` (bk_only), ?8 its user,
 * @p qid the candidate's id column; one user_question probe per candidate, through
 * that table's primary key. */
#define ONLY_FILTER(qid)                                                                \
    " AND (?9 = 0"                                                                      \
    " OR (?9 = 1 AND NOT EXISTS (SELECT 1 FROM user_question uq"                        \
    "  WHERE uq.user_id = ?8 AND uq.question_id = " qid "))"                            \
    " OR (?9 = 2 AND EXISTS (SELECT 1 FROM user_question uq"                            \
    "  WHERE uq.user_id = ?8 AND uq.question_id = " qid                                 \
    "  AND uq.attempts > 0 AND uq.last_correct = 0))"                                   \
    " OR (?9 = 3 AND EXISTS (SELECT 1 FROM user_question uq"                            \
    "  WHERE uq.user_id = ?8 AND uq.question_id = " qid " AND uq.marked = 1)))"


/* The SQL of each statement, and its name for failure reasons. */
#define S(id, text) [ST_##id] = {#id, text}

static const struct {
    const char *name, *sql;
} statements[ST_COUNT] = {
    S(BEGIN_READ, "BEGIN"),
    S(BEGIN_WRITE, "BEGIN IMMEDIATE"),
    S(COMMIT, "COMMIT"),
    S(ROLLBACK, "ROLLBACK"),
    /* loading */
    S(SUBJECT_PUT, "INSERT OR REPLACE INTO subject (id, name) VALUES (?1, ?2)"),
    S(SYSTEM_PUT, "INSERT OR REPLACE INTO system (id, name) VALUES (?1, ?2)"),
    S(TOPIC_PUT, "INSERT OR REPLACE INTO topic (id, system_id, name) VALUES (?1, ?2, ?3)"),
    S(QUESTION_PUT,
      "INSERT OR REPLACE INTO question (id, subject_id, system_id, topic_id, difficulty,"
      " type, active, correct_option, n_options, created_at, stem, explanation, option0,"
      " option1, option2, option3, option4)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"),
    S(USER_PUT, "INSERT OR REPLACE INTO users (id, created_at) VALUES (?1, ?2)"),
    S(SUMMARY_IDLE,
      "INSERT INTO user_summary (user_id, answered, correct, time_ms, first_at, last_at,"
      " streak, best_streak) VALUES (?1, 0, 0, 0, NULL, NULL, 0, 0)"
      " ON CONFLICT (user_id) DO NOTHING"),
    S(TEST_PUT,
      "INSERT OR REPLACE INTO test (id, user_id, status, mode, created_at,"
      " last_activity_at, completed_at, n_questions, questions)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
    S(INTERACTION_ADD,
      "INSERT INTO interaction (user_id, action, created_at, payload)"
      " VALUES (?1, ?2, ?3, ?4)"),
    /* answer_submit: the answer, then each aggregate it changes. The statements
     * report through sqlite3_changes() rather than RETURNING, which costs SQLite an
     * ephemeral table per call. */
    S(QUESTION_TOPIC, "SELECT topic_id FROM question WHERE id = ?1"),
    S(ANSWER_PUT,
      "INSERT INTO answer (test_id, question_id, user_id, topic_id, correct, chosen,"
      " status, score, time_spent_ms, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
      " ON CONFLICT (test_id, question_id) DO NOTHING"),
    S(USER_QUESTION_NEW,
      "INSERT INTO user_question (user_id, question_id, attempts, last_correct, marked,"
      " last_at) VALUES (?1, ?2, 1, ?3, ?4, ?5)"
      " ON CONFLICT (user_id, question_id) DO NOTHING"),
    S(USER_QUESTION_AGAIN,
      "UPDATE user_question SET attempts = attempts + 1,"
      " last_correct = CASE WHEN ?5 >= last_at THEN ?3 ELSE last_correct END,"
      " marked = max(marked, ?4), last_at = max(last_at, ?5)"
      " WHERE user_id = ?1 AND question_id = ?2"),
    S(QUESTION_STATS_ADD,
      "INSERT INTO question_stats (question_id, attempts, correct, users, score_sum,"
      " time_sum) VALUES (?1, 1, ?2, ?3, ?4, ?5)"
      " ON CONFLICT (question_id) DO UPDATE SET attempts = attempts + 1,"
      " correct = correct + ?2, users = users + ?3, score_sum = score_sum + ?4,"
      " time_sum = time_sum + ?5"),
    S(USER_TOPIC_ADD,
      "INSERT INTO user_topic (user_id, topic_id, attempts, correct, last_at)"
      " VALUES (?1, ?2, 1, ?3, ?4)"
      " ON CONFLICT (user_id, topic_id) DO UPDATE SET attempts = attempts + 1,"
      " correct = correct + ?3, last_at = max(last_at, ?4)"),
    S(USER_DAILY_ADD,
      "INSERT INTO user_daily (user_id, day, answers, correct, time_ms)"
      " VALUES (?1, ?2, 1, ?3, ?4)"
      " ON CONFLICT (user_id, day) DO UPDATE SET answers = answers + 1,"
      " correct = correct + ?3, time_ms = time_ms + ?4"),
    S(USER_SUMMARY_ADD,
      "INSERT INTO user_summary (user_id, answered, correct, time_ms, first_at, last_at,"
      " streak, best_streak) VALUES (?1, 1, ?2, ?3, ?4, ?4, 1, 1)"
      " ON CONFLICT (user_id) DO UPDATE SET answered = answered + 1,"
      " correct = correct + ?2, time_ms = time_ms + ?3,"
      " first_at = min(coalesce(first_at, ?4), ?4),"
      " last_at = max(coalesce(last_at, ?4), ?4),"
      " streak = " NEXT_STREAK ", best_streak = max(best_streak, " NEXT_STREAK ")"),
    S(SUMMARY_LAST, "SELECT last_at FROM user_summary WHERE user_id = ?1"),
    S(DAY_EXISTS, "SELECT 1 FROM user_daily WHERE user_id = ?1 AND day = ?2"),
    S(USER_DAYS, "SELECT day FROM user_daily WHERE user_id = ?1 ORDER BY day"),
    S(STREAK_SET,
      "UPDATE user_summary SET streak = ?2, best_streak = ?3 WHERE user_id = ?1"),
    S(TEST_TOUCH,
      "UPDATE test SET last_activity_at = ?2 WHERE id = ?1 AND last_activity_at < ?2"),
    /* reads */
    S(QUESTION_GET,
      "SELECT id, subject_id, system_id, topic_id, difficulty, type, active,"
      " correct_option, n_options, created_at, stem, explanation, option0, option1,"
      " option2, option3, option4 FROM question WHERE id = ?1"),
    S(PROGRESS,
      "SELECT topic_id, attempts, correct,"
      " CASE WHEN attempts > 0 THEN 10000 * correct / attempts ELSE 0 END, last_at"
      " FROM user_topic WHERE user_id = ?1 ORDER BY topic_id"),
    S(SUMMARY_GET,
      "SELECT answered, correct,"
      " CASE WHEN answered > 0 THEN 10000 * correct / answered ELSE 0 END, time_ms,"
      " last_at, streak, best_streak FROM user_summary WHERE user_id = ?1"),
    S(DAILY_RANGE,
      "SELECT day, answers, correct, time_ms FROM user_daily"
      " WHERE user_id = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day"),
    S(BOARD_TOP,
      "SELECT user_id, correct FROM user_summary ORDER BY correct DESC, user_id"
      " LIMIT 100"),
    S(BOARD_RANK,
      "SELECT s.correct,"
      " 1 + (SELECT count(*) FROM user_summary o WHERE o.correct > s.correct)"
      " + (SELECT count(*) FROM user_summary o"
      " WHERE o.correct = s.correct AND o.user_id < s.user_id)"
      " FROM user_summary s WHERE s.user_id = ?1"),
    S(HISTORY_FIRST,
      HISTORY_COLUMNS "WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 20"),
    S(HISTORY_NEXT,
      HISTORY_COLUMNS "WHERE user_id = ?1 AND (created_at, id) < (?2, ?3)"
      " ORDER BY created_at DESC, id DESC LIMIT 20"),
    S(TEST_LIST,
      "SELECT id, status, last_activity_at, n_questions FROM test"
      " WHERE user_id = ?1 AND status IN (1, 2)"
      " ORDER BY last_activity_at DESC, id DESC LIMIT 20"),
    /* test_create */
    S(DRAW_FILTER,
      "SELECT id FROM question WHERE topic_id = ?1 AND difficulty = ?2 AND active = 1"
      ONLY_FILTER("question.id")
      " ORDER BY random() LIMIT ?3"),
    S(DRAW_ADAPTIVE,
      "SELECT q.id FROM question q JOIN question_stats s ON s.question_id = q.id"
      " WHERE q.system_id = ?1 AND q.active = 1 AND s.attempts > 0"
      " AND 10000 * s.correct / s.attempts BETWEEN 4000 AND 7000"
      ONLY_FILTER("q.id")
      " ORDER BY random() LIMIT ?2"),
    S(DRAW_WEAK,
      "SELECT id FROM question WHERE active = 1 AND topic_id IN"
      " (SELECT topic_id FROM user_topic WHERE user_id = ?1"
      " AND 10000 * correct / attempts < 6000)"
      ONLY_FILTER("question.id")
      " ORDER BY random() LIMIT ?2"),
    S(WEAK_TOPICS,
      "SELECT count(*) FROM user_topic WHERE user_id = ?1"
      " AND 10000 * correct / attempts < 6000"),
    S(DRAW_ALL, "SELECT id FROM question WHERE active = 1"
      ONLY_FILTER("question.id")
      " ORDER BY random() LIMIT ?1"),
    S(POOL_SIZE,
      "SELECT max(pos) + 1 FROM question_pool WHERE topic_id = ?1 AND difficulty = ?2"),
    /* The windows check `active` in the small covering index rather than in the
     * question rows (2.5 KB of text each), which the planner would pick. */
    S(POOL_WINDOW,
      "SELECT p.question_id FROM question_pool p"
      " JOIN question q INDEXED BY question_by_topic ON q.topic_id = p.topic_id"
      " AND q.difficulty = p.difficulty AND q.active = 1 AND q.id = p.question_id"
      " WHERE p.topic_id = ?1 AND p.difficulty = ?2 AND p.pos >= ?3 AND p.pos < ?4"
      " ORDER BY p.pos LIMIT ?5"),
    S(SYSTEM_POOL_SIZE, "SELECT max(pos) + 1 FROM system_pool WHERE system_id = ?1"),
    S(SYSTEM_POOL_WINDOW,
      "SELECT p.question_id FROM system_pool p"
      " JOIN question q INDEXED BY question_by_system ON q.system_id = p.system_id"
      " AND q.active = 1 AND q.id = p.question_id"
      " JOIN question_stats s ON s.question_id = p.question_id"
      " WHERE p.system_id = ?1 AND p.pos >= ?2 AND p.pos < ?3"
      " AND s.attempts > 0 AND 10000 * s.correct / s.attempts BETWEEN 4000 AND 7000"
      " ORDER BY p.pos LIMIT ?4"),
    S(BANK_POOL_SIZE, "SELECT max(pos) + 1 FROM bank_pool"),
    S(BANK_POOL_WINDOW,
      "SELECT p.question_id FROM bank_pool p JOIN question q ON q.id = p.question_id"
      " WHERE p.pos >= ?1 AND p.pos < ?2 AND q.active = 1 ORDER BY p.pos LIMIT ?3"),
    S(BANK_POOL_WEAK_WINDOW,
      "SELECT p.question_id FROM bank_pool p JOIN question q ON q.id = p.question_id"
      " WHERE p.pos >= ?2 AND p.pos < ?3 AND q.active = 1 AND q.topic_id IN"
      " (SELECT topic_id FROM user_topic WHERE user_id = ?1"
      " AND 10000 * correct / attempts < 6000) ORDER BY p.pos LIMIT ?4"),
    /* bulk_import: answers as the CSV schema gives them (grade, user from the test) */
    S(ANSWER_IMPORT,
      "INSERT INTO answer (test_id, question_id, user_id, topic_id, correct, chosen,"
      " status, score, time_spent_ms, created_at)"
      " SELECT ?1, q.id, coalesce(?3, (SELECT t.user_id FROM test t WHERE t.id = ?1)),"
      " q.topic_id, CASE WHEN ?6 = 2 THEN 0 WHEN ?4 IS NOT NULL THEN ?4"
      " ELSE ?5 = q.correct_option END, ?5, ?6, ?7, ?8, ?9"
      " FROM question q WHERE q.id = ?2"
      " ON CONFLICT (test_id, question_id) DO NOTHING"),
    S(TEST_NEW,
      "INSERT INTO test (id, user_id, status, mode, created_at, last_activity_at,"
      " completed_at, n_questions, questions) VALUES (?1, ?2, 1, 1, ?3, ?3, 0, ?4, ?5)"),
};

int sq_prepare_all(backend *be)
{
    sq *s = sq_impl(be);
    for (int i = 0; i < ST_COUNT; i++) {
        if (!statements[i].sql)
            return bk_fail(be, "statement %d has no SQL", i);
        if (sqlite3_prepare_v3(s->db, statements[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &s->st[i], NULL) != SQLITE_OK)
            return sq_db_fail(be, statements[i].name);
    }
    return 0;
}

void sq_finalize_all(backend *be)
{
    sq *s = sq_impl(be);
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
}

int sq_db_fail(backend *be, const char *what)
{
    sq *s = sq_impl(be);
    return bk_fail(be, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : "no database");
}

int sq_exec(backend *be, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(sq_impl(be)->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    bk_fail(be, "%s: %s", what, msg ? msg : "unknown error");
    sqlite3_free(msg);
    return -1;
}

int sq_run(backend *be, st_id id)
{
    sqlite3_stmt *st = sq_impl(be)->st[id];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE) {
        sq_db_fail(be, statements[id].name);
        sqlite3_reset(st);
        return -1;
    }
    sqlite3_reset(st);
    return 0;
}

int sq_first_row(backend *be, st_id id)
{
    sqlite3_stmt *st = sq_impl(be)->st[id];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        sq_db_fail(be, statements[id].name);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sq_next_row(backend *be, st_id id)
{
    return sq_first_row(be, id);
}

int sq_select_int(backend *be, st_id id, int64_t *out)
{
    int rc = sq_first_row(be, id);
    if (rc == 1) {
        *out = sq_col_i64(be, id, 0);
        sqlite3_reset(sq_impl(be)->st[id]);
    }
    return rc;
}
