/* backend_pg_import.c: the PostgreSQL peer's bulk_import (backend_pg.h).
 *
 * The store starts afresh, in one transaction: the tables are created without their
 * keys, the qs-gen CSV files are copied as they are into staging tables (COPY, CSV
 * with HEADER MATCH), the tables are filled from them with SQL that grades, numbers
 * and converts as the CLI's import does (with wal_level minimal they skip WAL), the
 * aggregates are computed with GROUP BY and window functions, then the keys and
 * indexes are added.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_pg.h"

/* Staging tables, one per CSV file (sqlc_files): the file's columns under their
 * header names (checked by COPY's HEADER MATCH). Times are epoch milliseconds, as
 * qs-gen writes them. */
static const struct {
    const char *name, *columns;
} staging[SQLC_N_FILES] = {
    [SQLC_SUBJECTS] = {"in_subject", "(id INTEGER, name TEXT)"},
    [SQLC_SYSTEMS] = {"in_system", "(id INTEGER, name TEXT)"},
    [SQLC_TOPICS] = {"in_topic", "(id INTEGER, system INTEGER, name TEXT)"},
    [SQLC_QUESTIONS] = {"in_question",
                        "(id INTEGER, subject INTEGER, system INTEGER, topic INTEGER,"
                        " difficulty SMALLINT, type SMALLINT, active SMALLINT,"
                        " created_at BIGINT, correct_option TEXT, stem TEXT, option0 TEXT,"
                        " option1 TEXT, option2 TEXT, option3 TEXT, option4 TEXT,"
                        " option5 TEXT, option6 TEXT, option7 TEXT, explanation TEXT)"},
    [SQLC_USERS] = {"in_user", "(id INTEGER, created_at BIGINT)"},
    [SQLC_TESTS] = {"in_test",
                    "(id BIGINT, \"user\" INTEGER, status TEXT, mode TEXT, created_at BIGINT,"
                    " last_activity_at BIGINT, completed_at BIGINT, questions TEXT)"},
    /* ord numbers the rows in file order: the answers' ids */
    [SQLC_ANSWERS] = {"in_answer",
                      "(ord BIGINT GENERATED ALWAYS AS IDENTITY, test BIGINT,"
                      " question INTEGER, \"user\" INTEGER, correct SMALLINT, chosen TEXT,"
                      " status TEXT, score SMALLINT, time_spent_ms BIGINT, created_at BIGINT)"},
    [SQLC_INTERACTIONS] = {"in_interaction",
                           "(ord BIGINT GENERATED ALWAYS AS IDENTITY, \"user\" INTEGER,"
                           " action TEXT, created_at BIGINT, payload TEXT)"},
};

/* An option given as a 0-based index or a letter a-h / A-H. */
#define SQL_OPTION(x)                                                                   \
    "CASE WHEN ascii(" x ") BETWEEN 48 AND 57 THEN (" x ")::smallint"                   \
    " ELSE ascii(lower(" x ")) - 97 END"

static const char sql_fill_bank[] =
    "INSERT INTO subject SELECT id, name FROM in_subject;"
    "INSERT INTO system SELECT id, name FROM in_system;"
    "INSERT INTO topic SELECT id, system, name FROM in_topic;"
    "INSERT INTO question SELECT id, subject, system, topic, difficulty, type, active,"
    " " SQL_OPTION("correct_option") ","
    " CASE WHEN nullif(option4, '') IS NOT NULL THEN 5"
    "  WHEN nullif(option3, '') IS NOT NULL THEN 4 WHEN nullif(option2, '') IS NOT NULL THEN 3"
    "  WHEN nullif(option1, '') IS NOT NULL THEN 2 WHEN nullif(option0, '') IS NOT NULL THEN 1"
    "  ELSE 0 END,"
    " created_at, stem, coalesce(explanation, ''), nullif(option0, ''), nullif(option1, ''),"
    " nullif(option2, ''), nullif(option3, ''), nullif(option4, '') FROM in_question;"
    "INSERT INTO users SELECT id, created_at FROM in_user";

/* Status: empty means answered, or skipped when both chosen and correct are empty.
 * Correct: empty means grade the choice against the key; a skipped answer is wrong. */
static const char sql_fill_answers[] =
    "INSERT INTO answer (id, test_id, question_id, user_id, topic_id, correct, chosen,"
    " status, score, time_spent_ms, created_at) "
    "SELECT a.ord, a.test, a.question, a.\"user\", q.topic_id,"
    " CASE WHEN a.st = 2 THEN 0 ELSE coalesce(a.correct, (a.ch = q.correct_option)::int) END,"
    " coalesce(a.ch, -1), a.st, coalesce(a.score, 0), a.time_spent_ms, a.created_at "
    "FROM (SELECT ord, test, question, \"user\", correct, score, time_spent_ms, created_at,"
    "  " SQL_OPTION("nullif(chosen, '')") " AS ch,"
    "  CASE coalesce(lower(status), '') WHEN 'answered' THEN 1 WHEN 'skipped' THEN 2"
    "   WHEN 'flagged' THEN 3"
    "   WHEN '' THEN CASE WHEN nullif(chosen, '') IS NULL AND correct IS NULL THEN 2 ELSE 1 END"
    "   END AS st"
    " FROM in_answer) a JOIN question q ON q.id = a.question";

/* A test's last activity also follows its answers, as answer_submit moves it. */
static const char sql_fill_tests[] =
    "INSERT INTO test SELECT t.id, t.\"user\","
    " CASE lower(t.status) WHEN 'active' THEN 1 WHEN 'paused' THEN 2 WHEN 'completed' THEN 3"
    "  WHEN 'abandoned' THEN 4 END,"
    " CASE lower(t.mode) WHEN 'tutor' THEN 1 WHEN 'timed' THEN 2 END,"
    " t.created_at, GREATEST(t.last_activity_at, m.last_at), coalesce(t.completed_at, 0),"
    " CASE WHEN coalesce(t.questions, '') = '' THEN 0"
    "  ELSE length(t.questions) - length(replace(t.questions, ';', '')) + 1 END,"
    " replace(coalesce(t.questions, ''), ';', ',') "
    "FROM in_test t LEFT JOIN (SELECT test_id, max(created_at) AS last_at FROM answer"
    " GROUP BY test_id) m ON m.test_id = t.id";

/* The aggregates exactly as answer_submit leaves them. */
static const char sql_fill_aggregates[] =
    /* user_question: last_correct is that of the latest answer by (created_at, id) */
    "INSERT INTO user_question (user_id, question_id, attempts, last_correct, marked, last_at)"
    " SELECT DISTINCT ON (user_id, question_id) user_id, question_id, count(*) OVER w,"
    "  correct, max((status = 3)::int) OVER w, created_at"
    " FROM answer"
    " WINDOW w AS (PARTITION BY user_id, question_id ORDER BY created_at DESC, id DESC"
    "  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
    " ORDER BY user_id, question_id, created_at DESC, id DESC;"
    "INSERT INTO question_stats (question_id, attempts, correct, users, score_sum, time_sum)"
    " SELECT a.question_id, a.n, a.c, u.n, a.s, a.t"
    " FROM (SELECT question_id, count(*) AS n, sum(correct) AS c, sum(score) AS s,"
    "   sum(time_spent_ms) AS t FROM answer GROUP BY question_id) a"
    " JOIN (SELECT question_id, count(*) AS n FROM user_question GROUP BY question_id) u"
    "  USING (question_id);"
    "INSERT INTO user_topic (user_id, topic_id, attempts, correct, last_at)"
    " SELECT user_id, topic_id, count(*), sum(correct), max(created_at) FROM answer"
    " GROUP BY user_id, topic_id;"
    "INSERT INTO user_daily (user_id, day, answers, correct, time_ms)"
    " SELECT user_id, " PGB_SQL_DAY("created_at") ", count(*), sum(correct), sum(time_spent_ms)"
    " FROM answer GROUP BY 1, 2;"
    /* streaks: runs of consecutive days, as in sql_streak_recompute */
    "INSERT INTO user_summary (user_id, answered, correct, time_ms, first_at, last_at, streak,"
    " best_streak)"
    " SELECT u.id, coalesce(a.n, 0), coalesce(a.c, 0), coalesce(a.t, 0), a.first_at,"
    "  a.last_at, coalesce(s.streak, 0), coalesce(s.best, 0)"
    " FROM users u"
    " LEFT JOIN (SELECT user_id, count(*) AS n, sum(correct) AS c, sum(time_spent_ms) AS t,"
    "   min(created_at) AS first_at, max(created_at) AS last_at FROM answer"
    "   GROUP BY user_id) a ON a.user_id = u.id"
    " LEFT JOIN (SELECT DISTINCT ON (user_id) user_id, len AS streak,"
    "   max(len) OVER (PARTITION BY user_id) AS best"
    "   FROM (SELECT user_id, count(*) AS len, max(day) AS last_day"
    "    FROM (SELECT user_id, day,"
    "      day - row_number() OVER (PARTITION BY user_id ORDER BY day) AS grp"
    "     FROM user_daily) d"
    "    GROUP BY user_id, grp) r"
    "   ORDER BY user_id, last_day DESC) s ON s.user_id = u.id";

static void action_case(char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "CASE lower(action)");
    for (unsigned i = 0; i < WL_ACTIONS; i++)
        n += (size_t)snprintf(out + n, cap - n, " WHEN '%s' THEN %u", wl_action_name(i), i);
    snprintf(out + n, cap - n, " ELSE action::smallint END");
}

static int exec_rows(backend *be, const char *op, const char *sql, uint64_t *rows)
{
    PGresult *res = PQexec(pgb_store(be)->conn, sql);
    if (!pgb_result_ok(res))
        return pgb_fail(be, op, res);
    if (rows)
        *rows = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

static int create_staging(backend *be)
{
    char sql[1024];
    for (int i = 0; i < SQLC_N_FILES; i++) {
        snprintf(sql, sizeof sql, "CREATE TEMP TABLE %s %s ON COMMIT DROP", staging[i].name,
                 staging[i].columns);
        if (pgb_exec(be, "bulk_import", sql) != 0)
            return -1;
    }
    return 0;
}

/* CSV file @p i into its staging table, its columns named as in the file. */
static int copy_staging(backend *be, const char *csv_dir, int i, uint64_t *rows)
{
    const sqlc_file *f = &sqlc_files[i];
    char path[4096], sql[1024];
    snprintf(path, sizeof path, "%s/%s", csv_dir, f->name);
    int n = snprintf(sql, sizeof sql, "COPY %s (", staging[i].name);
    for (int c = 0; c < f->n_columns; c++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, "%s\"%s\"", c ? ", " : "",
                      f->columns[c]);
    snprintf(sql + n, sizeof sql - (size_t)n, ") FROM STDIN (FORMAT csv, HEADER match)");
    return pgb_copy_file(be, path, f->name, sql, rows);
}

/* Every file is there and readable, before any work is done. */
static int check_files(backend *be, const char *csv_dir)
{
    for (int i = 0; i < SQLC_N_FILES; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", csv_dir, sqlc_files[i].name);
        if (access(path, R_OK) != 0)
            return bk_fail(be, "bulk_import: %s: %s", path, strerror(errno));
    }
    return 0;
}

static int import_steps(backend *be, const char *csv_dir, uint64_t *answers)
{
    uint64_t staged[SQLC_N_FILES] = {0}, rows = 0;
    char sql[1024];
    if (pgb_exec(be, "bulk_import", "DROP TABLE IF EXISTS " PGB_ALL_TABLES) != 0 ||
        pgb_create_tables(be, "bulk_import") != 0 || create_staging(be) != 0)
        return -1;
    for (int i = 0; i < SQLC_N_FILES; i++)
        if (copy_staging(be, csv_dir, i, &staged[i]) != 0)
            return -1;
    if (pgb_exec(be, "bulk_import: bank", sql_fill_bank) != 0 ||
        exec_rows(be, "bulk_import: answers", sql_fill_answers, &rows) != 0)
        return -1;
    if (rows != staged[SQLC_ANSWERS])
        return bk_fail(be, "bulk_import: answers.csv: %llu of %llu answers name an unknown"
                           " question", (unsigned long long)(staged[SQLC_ANSWERS] - rows),
                       (unsigned long long)staged[SQLC_ANSWERS]);
    *answers = rows;
    char actions[512];
    action_case(actions, sizeof actions);
    snprintf(sql, sizeof sql,
             "INSERT INTO interaction SELECT ord, \"user\", %s, created_at,"
             " coalesce(payload, '') FROM in_interaction", actions);
    if (pgb_exec(be, "bulk_import: interactions", sql) != 0 ||
        pgb_exec(be, "bulk_import: tests", sql_fill_tests) != 0 ||
        pgb_exec(be, "bulk_import: aggregates", sql_fill_aggregates) != 0 ||
        pgb_add_keys(be, "bulk_import: keys") != 0)
        return -1;
    return pgb_exec(be, "bulk_import", "ANALYZE");
}

int pgb_bulk_import(backend *be, const char *csv_dir, uint64_t *answers)
{
    /* Staging lives in this session's temporary buffers (settable before their first
     * use only: a session that used them already keeps its size). */
    if (check_files(be, csv_dir) != 0)
        return -1;
    PQclear(PQexec(pgb_store(be)->conn, "SET temp_buffers = '1GB'"));
    if (pgb_begin(be) != 0)
        return -1;
    if (pgb_exec(be, "bulk_import", "SET LOCAL work_mem = '512MB'") != 0 ||
        import_steps(be, csv_dir, answers) != 0) {
        pgb_store(be)->in_batch = 0;
        pgb_forget_batch(be);
        return -1;
    }
    if (pgb_commit(be) != 0)
        return -1;
    return pgb_load_next_ids(be);
}
