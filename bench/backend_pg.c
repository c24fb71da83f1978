/* backend_pg.c: the PostgreSQL peer of the bench, through libpq.
 *
 * The tables, keys and indexes are those every SQL peer uses (one table per entity,
 * one per aggregate, composite indexes for each read). The store is the database
 * named by the connection string in QS_BENCH_PG (what `bench/pg.sh env DIR` prints);
 * the directory given to open() is not used, since the server owns its files.
 *
 * - Every statement is prepared once per connection. Integer parameters go in binary
 *   as int8 and results come back in binary, so no number is printed or parsed.
 * - answer_submit is one statement: the answer and the six aggregates it changes, as
 *   data-modifying CTEs chained through INSERT ... ON CONFLICT ... DO UPDATE ...
 *   RETURNING, so it costs one round trip inside the caller's batch transaction.
 *   The rare answer that opens a day earlier than the user's last active day gets
 *   its streaks recomputed from user_daily by a second statement.
 * - Each read is one statement, hence one snapshot. history runs its second page as
 *   a keyset seek after the first page's last row, inside the same statement.
 * - Answers and interactions are numbered 1, 2, 3 ... in recording order by
 *   counters kept here (max(id) + 1 on open) and shared with the handle's clones, so
 *   that concurrent writers never take the same id; a duplicate answer gives its id
 *   back when no other writer took one since.
 * - load_bank() and bulk_import() start the store afresh: the server holds one store.
 * - bulk_import() loads the qs-gen CSV files with COPY into staging tables, fills
 *   tables created without keys in the same transaction (with wal_level minimal they
 *   skip WAL), computes the aggregates with GROUP BY and window functions, then adds
 *   the keys and indexes, all in one transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "backend.h"

#define CONNINFO_ENV "QS_BENCH_PG"
#define MAX_PARAMS 12
#define COPY_CHUNK (1u << 20)
#define DASHBOARD_DAYS 30

#define OID_INT8 20
#define OID_TEXT 25

/* The UTC day of a time in ms, rounded down also before 1970: an SQL expression. */
#define SQL_DAY(x) "(" x " / 86400000 - (" x " % 86400000 < 0)::int)"

/* The next answer and interaction ids of the store, shared by a handle and its
 * clones (which the harness closes first). */
typedef struct pg_ids {
    _Atomic uint64_t answer, interaction;
} pg_ids;

typedef struct pg_store {
    PGconn *conn;
    char *conninfo;
    bk_sync sync;
    int in_batch;              /* between begin() and commit() */
    pg_ids *ids;
    int owns_ids;
} pg_store;

/* ===================================================================== */
/* Schema                                                                 */

/* Tables without their keys, so that a bulk load can fill them first. */
static const char *const schema_tables[] = {
    "CREATE TABLE subject (id INTEGER NOT NULL, name TEXT NOT NULL)",
    "CREATE TABLE system (id INTEGER NOT NULL, name TEXT NOT NULL)",
    "CREATE TABLE topic (id INTEGER NOT NULL, system_id INTEGER NOT NULL, name TEXT NOT NULL)",
    "CREATE TABLE question (id INTEGER NOT NULL, subject_id INTEGER NOT NULL,"
    " system_id INTEGER NOT NULL, topic_id INTEGER NOT NULL, difficulty SMALLINT NOT NULL,"
    " type SMALLINT NOT NULL, active SMALLINT NOT NULL, correct_option SMALLINT NOT NULL,"
    " n_options SMALLINT NOT NULL, created_at BIGINT NOT NULL, stem TEXT NOT NULL,"
    " explanation TEXT NOT NULL, option0 TEXT, option1 TEXT, option2 TEXT, option3 TEXT,"
    " option4 TEXT)",
    "CREATE TABLE users (id INTEGER NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE TABLE test (id BIGINT NOT NULL, user_id INTEGER NOT NULL,"
    " status SMALLINT NOT NULL, mode SMALLINT NOT NULL, created_at BIGINT NOT NULL,"
    " last_activity_at BIGINT NOT NULL, completed_at BIGINT NOT NULL,"
    " n_questions SMALLINT NOT NULL, questions TEXT NOT NULL)",
    "CREATE TABLE answer (id BIGINT NOT NULL, test_id BIGINT NOT NULL,"
    " question_id INTEGER NOT NULL, user_id INTEGER NOT NULL, topic_id INTEGER NOT NULL,"
    " correct SMALLINT NOT NULL, chosen SMALLINT NOT NULL, status SMALLINT NOT NULL,"
    " score SMALLINT NOT NULL, time_spent_ms BIGINT NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE TABLE question_stats (question_id INTEGER NOT NULL, attempts INTEGER NOT NULL,"
    " correct INTEGER NOT NULL, users INTEGER NOT NULL, score_sum BIGINT NOT NULL,"
    " time_sum BIGINT NOT NULL)",
    "CREATE TABLE user_summary (user_id INTEGER NOT NULL, answered INTEGER NOT NULL,"
    " correct INTEGER NOT NULL, time_ms BIGINT NOT NULL, first_at BIGINT, last_at BIGINT,"
    " streak INTEGER NOT NULL, best_streak INTEGER NOT NULL)",
    "CREATE TABLE user_topic (user_id INTEGER NOT NULL, topic_id INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL, correct INTEGER NOT NULL, last_at BIGINT NOT NULL)",
    "CREATE TABLE user_daily (user_id INTEGER NOT NULL, day INTEGER NOT NULL,"
    " answers INTEGER NOT NULL, correct INTEGER NOT NULL, time_ms BIGINT NOT NULL)",
    "CREATE TABLE user_question (user_id INTEGER NOT NULL, question_id INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL, last_correct SMALLINT NOT NULL, marked SMALLINT NOT NULL,"
    " last_at BIGINT NOT NULL)",
    "CREATE TABLE interaction (id BIGINT NOT NULL, user_id INTEGER NOT NULL,"
    " action SMALLINT NOT NULL, created_at BIGINT NOT NULL, payload TEXT NOT NULL)",
};

static const char *const schema_keys[] = {
    "ALTER TABLE subject ADD PRIMARY KEY (id)",
    "ALTER TABLE system ADD PRIMARY KEY (id)",
    "ALTER TABLE topic ADD PRIMARY KEY (id)",
    "ALTER TABLE question ADD PRIMARY KEY (id)",
    "CREATE INDEX question_by_topic ON question (topic_id, difficulty, active)",
    "CREATE INDEX question_by_system ON question (system_id, active)",
    "ALTER TABLE users ADD PRIMARY KEY (id)",
    "ALTER TABLE test ADD PRIMARY KEY (id)",
    "CREATE INDEX test_by_user ON test (user_id, status, last_activity_at, id)",
    "ALTER TABLE answer ADD PRIMARY KEY (id)",
    "ALTER TABLE answer ADD UNIQUE (test_id, question_id)",
    "CREATE INDEX answer_by_user ON answer (user_id, created_at, id)",
    "ALTER TABLE question_stats ADD PRIMARY KEY (question_id)",
    "ALTER TABLE user_summary ADD PRIMARY KEY (user_id)",
    "CREATE INDEX leaderboard ON user_summary (correct DESC, user_id)",
    "ALTER TABLE user_topic ADD PRIMARY KEY (user_id, topic_id)",
    "ALTER TABLE user_daily ADD PRIMARY KEY (user_id, day)",
    "ALTER TABLE user_question ADD PRIMARY KEY (user_id, question_id)",
    "ALTER TABLE interaction ADD PRIMARY KEY (id)",
};

#define ALL_TABLES                                                                      \
    "subject, system, topic, question, users, test, answer, question_stats,"           \
    " user_summary, user_topic, user_daily, user_question, interaction"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ===================================================================== */
/* Prepared statements                                                    */

/* Parameter types: one letter each, q = int8, t = text; both sent in binary. */
typedef struct stmt_def {
    const char *name;
    const char *params;
    const char *sql;
} stmt_def;

enum stmt {
    ST_ANSWER,
    ST_QUESTION_EXISTS,
    ST_STREAK_RECOMPUTE,
    ST_TEST_PUT,
    ST_INTERACTION,
    ST_QUESTION_GET,
    ST_PROGRESS,
    ST_DASHBOARD,
    ST_LEADERBOARD,
    ST_HISTORY,
    ST_TEST_LIST,
    ST_DRAW_FILTER,
    ST_DRAW_ADAPTIVE,
    ST_DRAW_WEAK,
    ST_SIZE,
    ST_NEXT_IDS,
    ST_COUNT
};

/* The streak after an answer that opened day $11, from the user's previous last_at
 * (s.last_at): one more on the next day, 1 after a gap; an earlier day keeps it and
 * the caller recomputes it from user_daily. */
#define STREAK_NEXT                                                                     \
    "CASE WHEN EXCLUDED.streak = 0 THEN s.streak"                                       \
    " WHEN s.last_at IS NULL THEN 1"                                                    \
    " WHEN $11 = " SQL_DAY("s.last_at") " + 1 THEN s.streak + 1"                        \
    " WHEN $11 > " SQL_DAY("s.last_at") " + 1 THEN 1"                                   \
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
    " AND coalesce((SELECT " SQL_DAY("last_at") " > $11 FROM prev), false)";

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

/* ===================================================================== */
/* libpq helpers                                                          */

static pg_store *store_of(backend *be)
{
    return be->impl;
}

/* One line from a result's primary message (else the connection's). */
static void one_line_error(PGconn *conn, const PGresult *res, char *out, size_t cap)
{
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m || !*m)
        m = PQerrorMessage(conn);
    snprintf(out, cap, "%s", m && *m ? m : "unknown error");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = (p[1] ? ' ' : '\0');
}

/* Record why @p op failed, clear @p res; returns -1. */
static int pg_fail(backend *be, const char *op, PGresult *res)
{
    char msg[400];
    one_line_error(store_of(be)->conn, res, msg, sizeof msg);
    PQclear(res);
    return bk_fail(be, "%s: %s", op, msg);
}

static int result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Run one simple (unprepared) command: DDL, transaction control, settings. */
static int exec_simple(backend *be, const char *op, const char *sql)
{
    PGresult *res = PQexec(store_of(be)->conn, sql);
    if (!result_ok(res))
        return pg_fail(be, op, res);
    PQclear(res);
    return 0;
}

/* Parameters of a prepared statement, all in binary. */
typedef struct args {
    int n;
    unsigned char be64[MAX_PARAMS][8];
    const char *val[MAX_PARAMS];
    int len[MAX_PARAMS];
    int fmt[MAX_PARAMS];
} args;

static void arg_i64(args *a, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        a->be64[a->n][i] = (unsigned char)(u >> (56 - 8 * i));
    a->val[a->n] = (const char *)a->be64[a->n];
    a->len[a->n] = 8;
    a->fmt[a->n] = 1;
    a->n++;
}

static void arg_text(args *a, const char *s, size_t len)
{
    a->val[a->n] = s;
    a->len[a->n] = (int)len;
    a->fmt[a->n] = 1;
    a->n++;
}

/* Execute prepared statement @p s; NULL after recording the failure. */
static PGresult *run(backend *be, enum stmt s, const args *a)
{
    static const args none;
    if (!a)
        a = &none;
    PGresult *res = PQexecPrepared(store_of(be)->conn, stmts[s].name, a->n, a->val, a->len,
                                   a->fmt, 1);
    if (!result_ok(res)) {
        pg_fail(be, stmts[s].name, res);
        return NULL;
    }
    return res;
}

/* An integer column of a binary result (int2, int4, int8 or bool); NULL reads 0. */
static int64_t col_i64(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
    int n = PQgetlength(res, row, col);
    uint64_t v = (n > 0 && (p[0] & 0x80)) ? ~(uint64_t)0 : 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static uint64_t col_u64(const PGresult *res, int row, int col)
{
    return (uint64_t)col_i64(res, row, col);
}

static void put_col_str(bk_result *out, const PGresult *res, int row, int col)
{
    bk_put_str(out, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

static int64_t day_of(int64_t ms)
{
    int64_t d = ms / WL_DAY_MS;
    return (ms % WL_DAY_MS < 0) ? d - 1 : d;
}

static uint64_t rate_bp(uint64_t correct, uint64_t attempts)
{
    return attempts ? 10000 * correct / attempts : 0;
}

/* ===================================================================== */
/* COPY in text format, for load_bank                                     */

typedef struct copy_out {
    PGconn *conn;
    char *buf;
    size_t len;
    int failed;
} copy_out;

static void co_flush(copy_out *c)
{
    if (c->len && !c->failed && PQputCopyData(c->conn, c->buf, (int)c->len) != 1)
        c->failed = 1;
    c->len = 0;
}

/* Room for @p n bytes. REQUIRES: n <= COPY_CHUNK. */
static char *co_room(copy_out *c, size_t n)
{
    if (c->len + n > COPY_CHUNK)
        co_flush(c);
    return c->buf + c->len;
}

static void co_char(copy_out *c, char ch)
{
    *co_room(c, 1) = ch;
    c->len++;
}

static void co_i64(copy_out *c, int64_t v)
{
    c->len += (size_t)snprintf(co_room(c, 24), 24, "%lld", (long long)v);
}

/* A text field: backslash, tab, newline and carriage return are escaped. */
static void co_text(copy_out *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char e = s[i] == '\\' ? '\\' : s[i] == '\t' ? 't' : s[i] == '\n' ? 'n'
               : s[i] == '\r' ? 'r' : 0;
        if (e) {
            co_char(c, '\\');
            co_char(c, e);
        } else {
            co_char(c, s[i]);
        }
    }
}

static void co_null(copy_out *c)
{
    co_char(c, '\\');
    co_char(c, 'N');
}

/* Start `COPY ... FROM STDIN` on the connection. */
static int copy_begin(backend *be, const char *op, const char *sql)
{
    PGresult *res = PQexec(store_of(be)->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return pg_fail(be, op, res);
    PQclear(res);
    return 0;
}

/* End the COPY (abandoning it when @p abandon); *rows gets the rows copied. */
static int copy_end(backend *be, const char *op, int abandon, uint64_t *rows)
{
    PGconn *conn = store_of(be)->conn;
    int rc = 0;
    if (PQputCopyEnd(conn, abandon ? "input failed" : NULL) != 1)
        rc = bk_fail(be, "%s: %s", op, PQerrorMessage(conn));
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
            rc = pg_fail(be, op, res);
            continue;
        }
        if (rows)
            *rows = strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    return rc;
}

static int copy_rows(backend *be, const char *op, const char *sql,
                     void (*write)(copy_out *, const wl_gen *), const wl_gen *g)
{
    copy_out c = {.conn = store_of(be)->conn, .buf = malloc(COPY_CHUNK)};
    if (!c.buf)
        return bk_fail(be, "%s: out of memory", op);
    if (copy_begin(be, op, sql) != 0) {
        free(c.buf);
        return -1;
    }
    write(&c, g);
    co_flush(&c);
    free(c.buf);
    if (c.failed) {
        bk_fail(be, "%s: %s", op, PQerrorMessage(c.conn));
        copy_end(be, op, 1, NULL);
        return -1;
    }
    return copy_end(be, op, 0, NULL);
}

static void write_taxa(copy_out *c, void (*get)(uint32_t, wl_taxon *), uint32_t n,
                       int with_parent)
{
    for (uint32_t id = 1; id <= n; id++) {
        wl_taxon t;
        get(id, &t);
        co_i64(c, t.id);
        co_char(c, '\t');
        if (with_parent) {
            co_i64(c, t.parent);
            co_char(c, '\t');
        }
        co_text(c, t.name, strlen(t.name));
        co_char(c, '\n');
    }
}

static void write_subjects(copy_out *c, const wl_gen *g)
{
    (void)g;
    write_taxa(c, wl_subject_get, WL_SUBJECTS, 0);
}

static void write_systems(copy_out *c, const wl_gen *g)
{
    (void)g;
    write_taxa(c, wl_system_get, WL_SYSTEMS, 0);
}

static void write_topics(copy_out *c, const wl_gen *g)
{
    (void)g;
    write_taxa(c, wl_topic_get, WL_TOPICS, 1);
}

static void write_questions(copy_out *c, const wl_gen *g)
{
    static wl_text_buf buf;   /* load_bank runs on one thread */
    for (uint32_t id = 1; id <= WL_QUESTIONS; id++) {
        wl_question q;
        wl_question_get(g, id, &q, &buf);
        const int64_t nums[] = {q.id, q.subject, q.system, q.topic, q.difficulty, q.type,
                                q.active, q.correct_option, q.n_options, q.created_at};
        for (size_t i = 0; i < N_OF(nums); i++) {
            co_i64(c, nums[i]);
            co_char(c, '\t');
        }
        co_text(c, q.stem.ptr, q.stem.len);
        co_char(c, '\t');
        co_text(c, q.explanation.ptr, q.explanation.len);
        for (unsigned i = 0; i < WL_MAX_OPTIONS; i++) {
            co_char(c, '\t');
            if (i < q.n_options)
                co_text(c, q.options[i].ptr, q.options[i].len);
            else
                co_null(c);
        }
        co_char(c, '\n');
    }
}

static void write_users(copy_out *c, const wl_gen *g)
{
    wl_counts n;
    wl_counts_get(g, &n);
    for (uint32_t id = 1; id <= n.users; id++) {
        wl_user u;
        wl_user_get(g, id, &u);
        co_i64(c, u.id);
        co_char(c, '\t');
        co_i64(c, u.created_at);
        co_char(c, '\n');
    }
}

/* Every user has a summary row: an idle one ranks with 0 correct. */
static void write_summaries(copy_out *c, const wl_gen *g)
{
    wl_counts n;
    wl_counts_get(g, &n);
    for (uint32_t id = 1; id <= n.users; id++) {
        co_i64(c, id);
        c->len += (size_t)snprintf(co_room(c, 32), 32, "\t0\t0\t0\t\\N\t\\N\t0\t0\n");
    }
}

/* ===================================================================== */
/* Open, close, clone                                                     */

static int prepare_all(backend *be)
{
    for (int s = 0; s < ST_COUNT; s++) {
        Oid types[MAX_PARAMS];
        int n = (int)strlen(stmts[s].params);
        for (int i = 0; i < n; i++)
            types[i] = stmts[s].params[i] == 't' ? OID_TEXT : OID_INT8;
        PGresult *res = PQprepare(store_of(be)->conn, stmts[s].name, stmts[s].sql, n, types);
        if (!result_ok(res))
            return pg_fail(be, stmts[s].name, res);
        PQclear(res);
    }
    return 0;
}

static int create_schema(backend *be)
{
    if (exec_simple(be, "create schema", "BEGIN") != 0)
        return -1;
    for (size_t i = 0; i < N_OF(schema_tables); i++)
        if (exec_simple(be, "create schema", schema_tables[i]) != 0)
            goto fail;
    for (size_t i = 0; i < N_OF(schema_keys); i++)
        if (exec_simple(be, "create schema", schema_keys[i]) != 0)
            goto fail;
    return exec_simple(be, "create schema", "COMMIT");
fail:
    PQclear(PQexec(store_of(be)->conn, "ROLLBACK"));
    return -1;
}

static int ensure_schema(backend *be)
{
    PGresult *res = PQexec(store_of(be)->conn,
                           "SELECT to_regclass('interaction') IS NOT NULL");
    if (!result_ok(res))
        return pg_fail(be, "open", res);
    int present = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return present ? 0 : create_schema(be);
}

/* Continue the answer and interaction numbering where the store ends. */
static int load_next_ids(backend *be)
{
    PGresult *res = run(be, ST_NEXT_IDS, NULL);
    if (!res)
        return -1;
    atomic_store(&store_of(be)->ids->answer, col_u64(res, 0, 0));
    atomic_store(&store_of(be)->ids->interaction, col_u64(res, 0, 1));
    PQclear(res);
    return 0;
}

/* Durability as the run asks. Generic plans: every statement is a key or index range
 * lookup whose best plan does not depend on the values, and planning the answer's
 * seven-part statement afresh each time (the default when custom plans look cheaper)
 * costs more than running it. */
static int configure_session(backend *be, bk_sync sync)
{
    const char *commit = sync == BK_SYNC_DURABLE ? "SET synchronous_commit = on"
                                                 : "SET synchronous_commit = off";
    if (exec_simple(be, "open", commit) != 0 ||
        exec_simple(be, "open", "SET plan_cache_mode = force_generic_plan") != 0)
        return -1;
    return 0;
}

/* Connect with @p conninfo, numbering through @p ids (new ones when NULL). */
static int connect_store(backend *be, const char *conninfo, bk_sync sync, pg_ids *ids)
{
    pg_store *p = calloc(1, sizeof *p);
    if (!p)
        return bk_fail(be, "open: out of memory");
    be->impl = p;
    p->sync = sync;
    p->owns_ids = ids == NULL;
    p->ids = ids ? ids : calloc(1, sizeof *ids);
    p->conninfo = strdup(conninfo);
    p->conn = PQconnectdb(conninfo);
    if (!p->conninfo || !p->ids)
        return bk_fail(be, "open: out of memory");
    if (PQstatus(p->conn) != CONNECTION_OK)
        return pg_fail(be, "connect", NULL);
    return configure_session(be, sync);
}

static void pg_close(backend *be)
{
    pg_store *p = be->impl;
    if (!p)
        return;
    PQfinish(p->conn);
    free(p->conninfo);
    if (p->owns_ids)
        free(p->ids);
    free(p);
    be->impl = NULL;
}

static int pg_open(backend *be, const char *dir, bk_sync sync)
{
    (void)dir;
    const char *conninfo = getenv(CONNINFO_ENV);
    if (!conninfo || !*conninfo)
        return bk_fail(be, "open: %s is not set (the connection string that"
                           " `bench/pg.sh env DIR` prints)", CONNINFO_ENV);
    if (connect_store(be, conninfo, sync, NULL) != 0 || ensure_schema(be) != 0 ||
        prepare_all(be) != 0 || load_next_ids(be) != 0) {
        pg_close(be);
        return -1;
    }
    return 0;
}

static backend *pg_clone(backend *be)
{
    pg_store *p = store_of(be);
    backend *c = bk_new(be->ops);
    if (!c)
        return NULL;
    if (connect_store(c, p->conninfo, p->sync, p->ids) != 0 || prepare_all(c) != 0) {
        bk_free(c);
        return NULL;
    }
    return c;
}

/* ===================================================================== */
/* Loading and writes                                                     */

static int pg_begin(backend *be)
{
    if (exec_simple(be, "begin", "BEGIN") != 0)
        return -1;
    store_of(be)->in_batch = 1;
    return 0;
}

/* After a failed batch the ids of its answers were not used. */
static void forget_batch(backend *be)
{
    char keep[sizeof be->err];
    memcpy(keep, be->err, sizeof keep);
    PQclear(PQexec(store_of(be)->conn, "ROLLBACK"));
    load_next_ids(be);
    memcpy(be->err, keep, sizeof keep);
}

static int pg_commit(backend *be)
{
    pg_store *p = store_of(be);
    p->in_batch = 0;
    PGresult *res = PQexec(p->conn, "COMMIT");
    if (!result_ok(res)) {
        pg_fail(be, "commit", res);
        forget_batch(be);
        return -1;
    }
    /* COMMIT of a transaction that failed earlier reports ROLLBACK. */
    int rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
    PQclear(res);
    if (rolled_back) {
        bk_fail(be, "commit: the batch failed earlier and was rolled back");
        forget_batch(be);
        return -1;
    }
    return 0;
}

static int pg_load_bank(backend *be, const wl_gen *g)
{
    static const struct {
        const char *op, *sql;
        void (*write)(copy_out *, const wl_gen *);
    } steps[] = {
        {"load subjects", "COPY subject FROM STDIN", write_subjects},
        {"load systems", "COPY system FROM STDIN", write_systems},
        {"load topics", "COPY topic FROM STDIN", write_topics},
        {"load questions",
         "COPY question (id, subject_id, system_id, topic_id, difficulty, type, active,"
         " correct_option, n_options, created_at, stem, explanation, option0, option1,"
         " option2, option3, option4) FROM STDIN",
         write_questions},
        {"load users", "COPY users FROM STDIN", write_users},
        {"load user summaries", "COPY user_summary FROM STDIN", write_summaries},
    };
    if (pg_begin(be) != 0)
        return -1;
    if (exec_simple(be, "load_bank", "TRUNCATE " ALL_TABLES) != 0)
        goto fail;
    for (size_t i = 0; i < N_OF(steps); i++)
        if (copy_rows(be, steps[i].op, steps[i].sql, steps[i].write, g) != 0)
            goto fail;
    if (pg_commit(be) != 0)
        return -1;
    atomic_store(&store_of(be)->ids->answer, 1);
    atomic_store(&store_of(be)->ids->interaction, 1);
    /* Only the tables just filled: the empty ones keep "never analyzed", for which the
     * planner assumes 10 pages rather than 0 and so keys its plans on the indexes
     * until autovacuum measures them at their real size. */
    return exec_simple(be, "load_bank",
                       "ANALYZE subject, system, topic, question, users, user_summary");
fail:
    store_of(be)->in_batch = 0;
    forget_batch(be);
    return -1;
}

static int pg_put_test(backend *be, const wl_test *t)
{
    char list[WL_TEST_MAX * 11];
    size_t len = 0;
    for (unsigned i = 0; i < t->n_questions; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, i ? ",%u" : "%u",
                                t->questions[i]);
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
    PGresult *res = run(be, ST_TEST_PUT, &a);
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
    PGresult *res = run(be, ST_QUESTION_EXISTS, &q);
    if (!res)
        return -1;
    int exists = PQntuples(res) > 0;
    PQclear(res);
    return exists ? 0 : bk_fail(be, "answer_submit: question %u not found", a->question);
}

static int submit_one(backend *be, const wl_answer *a)
{
    pg_ids *ids = store_of(be)->ids;
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
    arg_i64(&q, day_of(a->created_at));
    PGresult *res = run(be, ST_ANSWER, &q);
    if (!res)
        return -1;
    int inserted = col_i64(res, 0, 0) > 0;
    int recompute = col_i64(res, 0, 1) != 0;
    PQclear(res);
    if (!inserted) {
        uint64_t next = id + 1;
        atomic_compare_exchange_strong(&ids->answer, &next, id);
        return not_inserted(be, a);
    }
    if (recompute) {
        args u = {0};
        arg_i64(&u, a->user);
        if (!(res = run(be, ST_STREAK_RECOMPUTE, &u)))
            return -1;
        PQclear(res);
    }
    return 0;
}

static int pg_answer_submit(backend *be, const wl_answer *a)
{
    if (store_of(be)->in_batch)
        return submit_one(be, a);
    if (pg_begin(be) != 0)
        return -1;
    if (submit_one(be, a) != 0) {
        store_of(be)->in_batch = 0;
        forget_batch(be);
        return -1;
    }
    return pg_commit(be);
}

static int pg_interaction_log(backend *be, const wl_interaction *ix)
{
    args a = {0};
    arg_i64(&a, (int64_t)atomic_fetch_add(&store_of(be)->ids->interaction, 1));
    arg_i64(&a, ix->user);
    arg_i64(&a, ix->action);
    arg_i64(&a, ix->created_at);
    arg_text(&a, ix->payload, ix->payload_len);
    PGresult *res = run(be, ST_INTERACTION, &a);
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
    return run(be, s, &a);
}

static int pg_question_get(backend *be, uint32_t question, bk_result *out)
{
    PGresult *res = run_user(be, ST_QUESTION_GET, question);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return bk_fail(be, "question_get: question %u not found", question);
    }
    for (int c = 0; c < 9; c++)   /* id .. n_options */
        bk_put_u64(out, col_u64(res, 0, c));
    bk_put_i64(out, col_i64(res, 0, 9));
    put_col_str(out, res, 0, 10);
    put_col_str(out, res, 0, 11);
    int64_t n_options = col_i64(res, 0, 8);
    for (int i = 0; i < n_options && i < WL_MAX_OPTIONS; i++)
        put_col_str(out, res, 0, 12 + i);
    out->rows = 1;
    PQclear(res);
    return 0;
}

static int pg_progress_view(backend *be, uint32_t user, bk_result *out)
{
    PGresult *res = run_user(be, ST_PROGRESS, user);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {
        uint64_t attempts = col_u64(res, r, 1), correct = col_u64(res, r, 2);
        bk_put_u64(out, col_u64(res, r, 0));
        bk_put_u64(out, attempts);
        bk_put_u64(out, correct);
        bk_put_u64(out, rate_bp(correct, attempts));
        bk_put_i64(out, col_i64(res, r, 3));
    }
    out->rows = (uint32_t)n;
    PQclear(res);
    return 0;
}

static int pg_dashboard(backend *be, uint32_t user, int64_t now, bk_result *out)
{
    int64_t now_day = day_of(now);
    args a = {0};
    arg_i64(&a, user);
    arg_i64(&a, now_day - (DASHBOARD_DAYS - 1));
    arg_i64(&a, now_day);
    PGresult *res = run(be, ST_DASHBOARD, &a);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n == 0 || col_i64(res, 0, 0) != 0) {
        PQclear(res);
        return bk_fail(be, "dashboard: user %u not found", user);
    }
    uint64_t answered = col_u64(res, 0, 1), correct = col_u64(res, 0, 2);
    bk_put_u64(out, answered);
    bk_put_u64(out, correct);
    bk_put_u64(out, rate_bp(correct, answered));
    bk_put_u64(out, col_u64(res, 0, 3));
    bk_put_i64(out, PQgetisnull(res, 0, 4) ? -1 : day_of(col_i64(res, 0, 4)));
    bk_put_u64(out, col_u64(res, 0, 5));
    bk_put_u64(out, col_u64(res, 0, 6));
    for (int r = 1; r < n; r++) {
        bk_put_i64(out, col_i64(res, r, 1));
        bk_put_u64(out, col_u64(res, r, 2));
        bk_put_u64(out, col_u64(res, r, 3));
        bk_put_u64(out, col_u64(res, r, 4));
    }
    out->rows = (uint32_t)(n - 1);
    PQclear(res);
    return 0;
}

static int pg_leaderboard(backend *be, uint32_t user, bk_result *out)
{
    PGresult *res = run_user(be, ST_LEADERBOARD, user);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n == 0 || col_i64(res, n - 1, 0) != 1) {
        PQclear(res);
        return bk_fail(be, "leaderboard: user %u not found", user);
    }
    for (int r = 0; r < n; r++)   /* the top rows, then the user's own */
        for (int c = 1; c <= 3; c++)
            bk_put_u64(out, col_u64(res, r, c));
    out->rows = (uint32_t)(n - 1);
    PQclear(res);
    return 0;
}

static int pg_history(backend *be, uint32_t user, bk_result *out)
{
    PGresult *res = run_user(be, ST_HISTORY, user);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {   /* column 0 is the page */
        bk_put_u64(out, col_u64(res, r, 1));
        bk_put_i64(out, col_i64(res, r, 2));
        for (int c = 3; c <= 9; c++)
            bk_put_u64(out, col_u64(res, r, c));
    }
    out->rows = (uint32_t)n;
    PQclear(res);
    return 0;
}

static int pg_test_list(backend *be, uint32_t user, bk_result *out)
{
    PGresult *res = run_user(be, ST_TEST_LIST, user);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {
        bk_put_u64(out, col_u64(res, r, 0));
        bk_put_u64(out, col_u64(res, r, 1));
        bk_put_i64(out, col_i64(res, r, 2));
        bk_put_u64(out, col_u64(res, r, 3));
    }
    out->rows = (uint32_t)n;
    PQclear(res);
    return 0;
}

/* One statement: the draw and the new test commit together. */
static int pg_test_create(backend *be, const bk_draw_args *d, bk_result *out)
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
    PGresult *res = run(be, s, &a);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++)
        bk_put_u64(out, col_u64(res, r, 0));
    out->rows = (uint32_t)n;
    PQclear(res);
    return 0;
}

static int pg_size_on_disk(backend *be, uint64_t *bytes)
{
    PGresult *res = run(be, ST_SIZE, NULL);
    if (!res)
        return -1;
    *bytes = col_u64(res, 0, 0);
    PQclear(res);
    return 0;
}

/* ===================================================================== */
/* Bulk import                                                            */

/* Staging tables: the CSV files' columns under their header names (checked by COPY's
 * HEADER MATCH). Times are epoch milliseconds, as qs-gen writes them. */
static const char *const staging_tables[] = {
    "CREATE TEMP TABLE in_subject (id INTEGER, name TEXT) ON COMMIT DROP",
    "CREATE TEMP TABLE in_system (id INTEGER, name TEXT) ON COMMIT DROP",
    "CREATE TEMP TABLE in_topic (id INTEGER, system INTEGER, name TEXT) ON COMMIT DROP",
    "CREATE TEMP TABLE in_question (id INTEGER, subject INTEGER, system INTEGER,"
    " topic INTEGER, difficulty SMALLINT, type SMALLINT, active SMALLINT, created_at BIGINT,"
    " correct_option TEXT, stem TEXT, option0 TEXT, option1 TEXT, option2 TEXT, option3 TEXT,"
    " option4 TEXT, option5 TEXT, option6 TEXT, option7 TEXT, explanation TEXT)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE in_user (id INTEGER, created_at BIGINT) ON COMMIT DROP",
    "CREATE TEMP TABLE in_test (id BIGINT, \"user\" INTEGER, status TEXT, mode TEXT,"
    " created_at BIGINT, last_activity_at BIGINT, completed_at BIGINT, questions TEXT)"
    " ON COMMIT DROP",
    /* ord numbers the rows in file order: the answers' ids */
    "CREATE TEMP TABLE in_answer (ord BIGINT GENERATED ALWAYS AS IDENTITY, test BIGINT,"
    " question INTEGER, \"user\" INTEGER, correct SMALLINT, chosen TEXT, status TEXT,"
    " score SMALLINT, time_spent_ms BIGINT, created_at BIGINT) ON COMMIT DROP",
    "CREATE TEMP TABLE in_interaction (ord BIGINT GENERATED ALWAYS AS IDENTITY,"
    " \"user\" INTEGER, action TEXT, created_at BIGINT, payload TEXT) ON COMMIT DROP",
};

enum { CSV_ANSWERS = 6 };   /* answers.csv in csv_files[] */

static const struct csv_file {
    const char *file;
    const char *copy;
} csv_files[] = {
    {"subjects.csv", "COPY in_subject (id, name)"},
    {"systems.csv", "COPY in_system (id, name)"},
    {"topics.csv", "COPY in_topic (id, system, name)"},
    {"questions.csv",
     "COPY in_question (id, subject, system, topic, difficulty, type, active, created_at,"
     " correct_option, stem, option0, option1, option2, option3, option4, option5, option6,"
     " option7, explanation)"},
    {"users.csv", "COPY in_user (id, created_at)"},
    {"tests.csv",
     "COPY in_test (id, \"user\", status, mode, created_at, last_activity_at, completed_at,"
     " questions)"},
    {"answers.csv",
     "COPY in_answer (test, question, \"user\", correct, chosen, status, score,"
     " time_spent_ms, created_at)"},
    {"interactions.csv", "COPY in_interaction (\"user\", action, created_at, payload)"},
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
    " SELECT user_id, " SQL_DAY("created_at") ", count(*), sum(correct), sum(time_spent_ms)"
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
    PGresult *res = PQexec(store_of(be)->conn, sql);
    if (!result_ok(res))
        return pg_fail(be, op, res);
    if (rows)
        *rows = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

static int copy_file(backend *be, const char *dir, const struct csv_file *f, uint64_t *rows)
{
    char path[4096], sql[512];
    snprintf(path, sizeof path, "%s/%s", dir, f->file);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return bk_fail(be, "bulk_import: %s: %s", path, strerror(errno));
    char *buf = malloc(COPY_CHUNK);
    snprintf(sql, sizeof sql, "%s FROM STDIN (FORMAT csv, HEADER match)", f->copy);
    if (!buf || copy_begin(be, f->file, sql) != 0) {
        if (!buf)
            bk_fail(be, "bulk_import: out of memory");
        free(buf);
        close(fd);
        return -1;
    }
    ssize_t n;
    int failed = 0;
    while (!failed && (n = read(fd, buf, COPY_CHUNK)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            failed = bk_fail(be, "bulk_import: %s: %s", path, strerror(errno));
        else if (PQputCopyData(store_of(be)->conn, buf, (int)n) != 1)
            failed = bk_fail(be, "bulk_import: %s: %s", path,
                             PQerrorMessage(store_of(be)->conn));
    }
    free(buf);
    close(fd);
    if (failed) {
        char keep[sizeof be->err];
        memcpy(keep, be->err, sizeof keep);
        copy_end(be, f->file, 1, NULL);
        memcpy(be->err, keep, sizeof keep);
        return -1;
    }
    return copy_end(be, f->file, 0, rows);
}

/* Every file is there and readable, before any work is done. */
static int check_files(backend *be, const char *csv_dir)
{
    for (size_t i = 0; i < N_OF(csv_files); i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", csv_dir, csv_files[i].file);
        if (access(path, R_OK) != 0)
            return bk_fail(be, "bulk_import: %s: %s", path, strerror(errno));
    }
    return 0;
}

static int import_steps(backend *be, const char *csv_dir, uint64_t *answers)
{
    uint64_t staged[N_OF(csv_files)] = {0}, rows = 0;
    char sql[1024];
    if (exec_simple(be, "bulk_import", "DROP TABLE IF EXISTS " ALL_TABLES) != 0)
        return -1;
    for (size_t i = 0; i < N_OF(schema_tables); i++)
        if (exec_simple(be, "bulk_import", schema_tables[i]) != 0)
            return -1;
    for (size_t i = 0; i < N_OF(staging_tables); i++)
        if (exec_simple(be, "bulk_import", staging_tables[i]) != 0)
            return -1;
    for (size_t i = 0; i < N_OF(csv_files); i++)
        if (copy_file(be, csv_dir, &csv_files[i], &staged[i]) != 0)
            return -1;
    if (exec_simple(be, "bulk_import: bank", sql_fill_bank) != 0 ||
        exec_rows(be, "bulk_import: answers", sql_fill_answers, &rows) != 0)
        return -1;
    if (rows != staged[CSV_ANSWERS])
        return bk_fail(be, "bulk_import: answers.csv: %llu of %llu answers name an unknown"
                           " question", (unsigned long long)(staged[CSV_ANSWERS] - rows),
                       (unsigned long long)staged[CSV_ANSWERS]);
    *answers = rows;
    char actions[512];
    action_case(actions, sizeof actions);
    snprintf(sql, sizeof sql,
             "INSERT INTO interaction SELECT ord, \"user\", %s, created_at,"
             " coalesce(payload, '') FROM in_interaction", actions);
    if (exec_simple(be, "bulk_import: interactions", sql) != 0 ||
        exec_simple(be, "bulk_import: tests", sql_fill_tests) != 0 ||
        exec_simple(be, "bulk_import: aggregates", sql_fill_aggregates) != 0)
        return -1;
    for (size_t i = 0; i < N_OF(schema_keys); i++)
        if (exec_simple(be, "bulk_import: keys", schema_keys[i]) != 0)
            return -1;
    return exec_simple(be, "bulk_import", "ANALYZE");
}

static int pg_bulk_import(backend *be, const char *csv_dir, uint64_t *answers)
{
    /* Staging lives in this session's temporary buffers (settable before their first
     * use only: a session that used them already keeps its size). */
    if (check_files(be, csv_dir) != 0)
        return -1;
    PQclear(PQexec(store_of(be)->conn, "SET temp_buffers = '1GB'"));
    if (pg_begin(be) != 0)
        return -1;
    if (exec_simple(be, "bulk_import", "SET LOCAL work_mem = '512MB'") != 0 ||
        import_steps(be, csv_dir, answers) != 0) {
        store_of(be)->in_batch = 0;
        forget_batch(be);
        return -1;
    }
    if (pg_commit(be) != 0)
        return -1;
    return load_next_ids(be);
}

static int pg_checkpoint(backend *be)
{
    return exec_simple(be, "checkpoint", "CHECKPOINT");
}

const backend_ops bk_postgres_ops = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .clone = pg_clone,
    .load_bank = pg_load_bank,
    .begin = pg_begin,
    .commit = pg_commit,
    .put_test = pg_put_test,
    .answer_submit = pg_answer_submit,
    .interaction_log = pg_interaction_log,
    .question_get = pg_question_get,
    .progress_view = pg_progress_view,
    .dashboard = pg_dashboard,
    .leaderboard = pg_leaderboard,
    .history = pg_history,
    .test_list = pg_test_list,
    .test_create = pg_test_create,
    .size_on_disk = pg_size_on_disk,
    .checkpoint = pg_checkpoint,
    .bulk_import = pg_bulk_import,
};
