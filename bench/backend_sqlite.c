/* backend_sqlite.c: the SQLite peer of the bench (backend.h).
 *
 * One database file, <dir>/bench.sqlite, holding the peers' common schema with
 * SQLite's types: the single-column integer keys are INTEGER PRIMARY KEY (the rowid,
 * so answer ids are assigned 1, 2, 3 ... in recording order), and the per-user
 * aggregate tables with composite keys (user_topic, user_daily, user_question) and the
 * pool tables are WITHOUT ROWID, so a lookup by key is one B-tree descent.
 *
 * Settings: WAL; synchronous=FULL for BK_SYNC_DURABLE and NORMAL for BK_SYNC_LAZY
 * (WAL + NORMAL keeps integrity on a power cut and may lose the last commits);
 * SQLite's automatic checkpoint every 1000 pages, in the committing connection; journal_size_limit 16 MiB; a 512 MiB page
 * cache, mmap of up to 2 GiB (the library's ceiling), temp_store=MEMORY, secure_delete
 * off. Every statement is prepared once per connection (SQLITE_PREPARE_PERSISTENT)
 * and reset after use. Writes learn what they changed from sqlite3_changes() and
 * point reads rather than RETURNING, which SQLite serves through an ephemeral table.
 *
 * Transactions:
 * - begin/commit run BEGIN IMMEDIATE / COMMIT around a batch; the handles of one store
 *   in this process (a handle and its clones) take a shared mutex first. A write op called
 *   outside a batch runs in its own transaction. A write op that fails rolls back the
 *   whole open transaction, so nothing half-recorded can be committed.
 * - Reads made of one statement (question_get, progress_view, test_list) run in that
 *   statement's autocommit read transaction; the others (dashboard, leaderboard,
 *   history) wrap their statements in BEGIN ... COMMIT, one snapshot.
 *
 * Test draws: bk_sqlite_ops draws with ORDER BY random() LIMIT n, as platforms do.
 * bk_sqlite_pool_ops draws from pool tables, random permutations built when the bank
 * loads; a draw is a window from a random position (from the draw's seed), wrapping
 * around, that keeps only the questions the pattern admits, checked live:
 * - FILTER: question_pool, one permutation per (topic, difficulty); inactive
 *   questions are skipped.
 * - ADAPTIVE: system_pool, one permutation per system; a question is kept when it is
 *   active and its current question_stats rate is in the band, so the filter stays
 *   exact as answers arrive (no band pool to maintain).
 * - WEAK: bank_pool, one permutation of the whole bank, keeping active questions of
 *   the user's weak topics (all active ones when there are none); with only a few
 *   weak topics, sorting their questions at random through the topic index reads
 *   fewer rows, so those draws use ORDER BY random() as bk_sqlite_ops does.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "backend.h"
#include "sql_common.h"

#define DB_FILE "bench.sqlite"
#define CACHE_KIB 524288          /* page cache per connection */
#define IMPORT_CACHE_KIB 2097152  /* page cache while bulk_import runs */
#define MMAP_BYTES 2147418112LL   /* SQLITE_MAX_MMAP_SIZE of common builds */
#define BUSY_MS 60000
#define WAL_LIMIT_BYTES (16 << 20) /* the WAL shrinks back to this after a checkpoint */
#define DRAW_MAX 256

/* ===================================================================== */
/* Schema                                                                 */

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS subject (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS system (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS topic (id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL,"
    " name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS question (id INTEGER PRIMARY KEY,"
    " subject_id INTEGER NOT NULL, system_id INTEGER NOT NULL, topic_id INTEGER NOT NULL,"
    " difficulty SMALLINT NOT NULL, type SMALLINT NOT NULL, active SMALLINT NOT NULL,"
    " correct_option SMALLINT NOT NULL, n_options SMALLINT NOT NULL,"
    " created_at BIGINT NOT NULL, stem TEXT NOT NULL, explanation TEXT NOT NULL,"
    " option0 TEXT, option1 TEXT, option2 TEXT, option3 TEXT, option4 TEXT);"
    "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, created_at BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS test (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,"
    " status SMALLINT NOT NULL, mode SMALLINT NOT NULL, created_at BIGINT NOT NULL,"
    " last_activity_at BIGINT NOT NULL, completed_at BIGINT NOT NULL,"
    " n_questions SMALLINT NOT NULL, questions TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS answer (id INTEGER PRIMARY KEY, test_id BIGINT NOT NULL,"
    " question_id INTEGER NOT NULL, user_id INTEGER NOT NULL, topic_id INTEGER NOT NULL,"
    " correct SMALLINT NOT NULL, chosen SMALLINT NOT NULL, status SMALLINT NOT NULL,"
    " score SMALLINT NOT NULL, time_spent_ms BIGINT NOT NULL, created_at BIGINT NOT NULL,"
    " UNIQUE (test_id, question_id));"
    "CREATE TABLE IF NOT EXISTS question_stats (question_id INTEGER PRIMARY KEY,"
    " attempts INTEGER NOT NULL, correct INTEGER NOT NULL, users INTEGER NOT NULL,"
    " score_sum BIGINT NOT NULL, time_sum BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS user_summary (user_id INTEGER PRIMARY KEY,"
    " answered INTEGER NOT NULL, correct INTEGER NOT NULL, time_ms BIGINT NOT NULL,"
    " first_at BIGINT, last_at BIGINT, streak INTEGER NOT NULL,"
    " best_streak INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS user_topic (user_id INTEGER NOT NULL,"
    " topic_id INTEGER NOT NULL, attempts INTEGER NOT NULL, correct INTEGER NOT NULL,"
    " last_at BIGINT NOT NULL, PRIMARY KEY (user_id, topic_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS user_daily (user_id INTEGER NOT NULL, day INTEGER NOT NULL,"
    " answers INTEGER NOT NULL, correct INTEGER NOT NULL, time_ms BIGINT NOT NULL,"
    " PRIMARY KEY (user_id, day)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS user_question (user_id INTEGER NOT NULL,"
    " question_id INTEGER NOT NULL, attempts INTEGER NOT NULL,"
    " last_correct SMALLINT NOT NULL, marked SMALLINT NOT NULL, last_at BIGINT NOT NULL,"
    " PRIMARY KEY (user_id, question_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS interaction (id INTEGER PRIMARY KEY,"
    " user_id INTEGER NOT NULL, action SMALLINT NOT NULL, created_at BIGINT NOT NULL,"
    " payload TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS question_pool (topic_id INTEGER NOT NULL,"
    " difficulty INTEGER NOT NULL, pos INTEGER NOT NULL, question_id INTEGER NOT NULL,"
    " PRIMARY KEY (topic_id, difficulty, pos)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS system_pool (system_id INTEGER NOT NULL,"
    " pos INTEGER NOT NULL, question_id INTEGER NOT NULL,"
    " PRIMARY KEY (system_id, pos)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS bank_pool (pos INTEGER PRIMARY KEY,"
    " question_id INTEGER NOT NULL);";

/* The secondary indexes: bulk_import drops them and builds them after the load. */
static const char index_sql[] =
    "CREATE INDEX IF NOT EXISTS question_by_topic ON question (topic_id, difficulty, active);"
    "CREATE INDEX IF NOT EXISTS question_by_system ON question (system_id, active);"
    "CREATE INDEX IF NOT EXISTS test_by_user ON test (user_id, status, last_activity_at, id);"
    "CREATE INDEX IF NOT EXISTS answer_by_user ON answer (user_id, created_at, id);"
    "CREATE INDEX IF NOT EXISTS leaderboard ON user_summary (correct DESC, user_id);";

static const char drop_index_sql[] =
    "DROP INDEX IF EXISTS question_by_topic; DROP INDEX IF EXISTS question_by_system;"
    "DROP INDEX IF EXISTS test_by_user; DROP INDEX IF EXISTS answer_by_user;"
    "DROP INDEX IF EXISTS leaderboard;";

/* Each pool is a random permutation of its partition, positions 0 .. n-1. */
static const char pool_sql[] =
    "DELETE FROM question_pool; DELETE FROM system_pool; DELETE FROM bank_pool;"
    "INSERT INTO question_pool (topic_id, difficulty, pos, question_id)"
    " SELECT topic_id, difficulty,"
    " row_number() OVER (PARTITION BY topic_id, difficulty ORDER BY random()) - 1, id"
    " FROM question;"
    "INSERT INTO system_pool (system_id, pos, question_id)"
    " SELECT system_id, row_number() OVER (PARTITION BY system_id ORDER BY random()) - 1, id"
    " FROM question;"
    "INSERT INTO bank_pool (pos, question_id)"
    " SELECT row_number() OVER (ORDER BY random()) - 1, id FROM question;";

/* ===================================================================== */
/* Statements                                                             */

/* The UTC day of a time column (floor division). */
#define DAY_OF(col) "(" col " / 86400000 - (" col " % 86400000 < 0))"

/* user_summary.streak after an answer on day ?6 (?5: it opened that day for the user).
 * An older day than the last one keeps the old value: the caller recomputes it. */
#define NEXT_STREAK                                                                     \
    "CASE WHEN ?5 = 0 THEN streak WHEN last_at IS NULL THEN 1"                          \
    " WHEN ?6 = " DAY_OF("last_at") " + 1 THEN streak + 1"                              \
    " WHEN ?6 > " DAY_OF("last_at") " + 1 THEN 1 ELSE streak END"

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

#define STATEMENTS(X)                                                                   \
    X(BEGIN_READ, "BEGIN")                                                              \
    X(BEGIN_WRITE, "BEGIN IMMEDIATE")                                                   \
    X(COMMIT, "COMMIT")                                                                 \
    X(ROLLBACK, "ROLLBACK")                                                             \
    /* loading */                                                                       \
    X(SUBJECT_PUT, "INSERT OR REPLACE INTO subject (id, name) VALUES (?1, ?2)")         \
    X(SYSTEM_PUT, "INSERT OR REPLACE INTO system (id, name) VALUES (?1, ?2)")           \
    X(TOPIC_PUT, "INSERT OR REPLACE INTO topic (id, system_id, name) VALUES (?1, ?2, ?3)") \
    X(QUESTION_PUT,                                                                     \
      "INSERT OR REPLACE INTO question (id, subject_id, system_id, topic_id, difficulty," \
      " type, active, correct_option, n_options, created_at, stem, explanation, option0," \
      " option1, option2, option3, option4)"                                            \
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)") \
    X(USER_PUT, "INSERT OR REPLACE INTO users (id, created_at) VALUES (?1, ?2)")        \
    X(SUMMARY_IDLE,                                                                     \
      "INSERT INTO user_summary (user_id, answered, correct, time_ms, first_at, last_at," \
      " streak, best_streak) VALUES (?1, 0, 0, 0, NULL, NULL, 0, 0)"                    \
      " ON CONFLICT (user_id) DO NOTHING")                                              \
    X(TEST_PUT,                                                                         \
      "INSERT OR REPLACE INTO test (id, user_id, status, mode, created_at,"             \
      " last_activity_at, completed_at, n_questions, questions)"                        \
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                                   \
    X(INTERACTION_ADD,                                                                  \
      "INSERT INTO interaction (user_id, action, created_at, payload)"                  \
      " VALUES (?1, ?2, ?3, ?4)")                                                       \
    /* answer_submit: the answer, then each aggregate it changes. The statements      \
       report through sqlite3_changes() rather than RETURNING, which costs SQLite an     \
       ephemeral table per call. */                                                    \
    X(QUESTION_TOPIC, "SELECT topic_id FROM question WHERE id = ?1")                    \
    X(ANSWER_PUT,                                                                       \
      "INSERT INTO answer (test_id, question_id, user_id, topic_id, correct, chosen,"   \
      " status, score, time_spent_ms, created_at)"                                      \
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"                               \
      " ON CONFLICT (test_id, question_id) DO NOTHING")                                 \
    X(USER_QUESTION_NEW,                                                                \
      "INSERT INTO user_question (user_id, question_id, attempts, last_correct, marked," \
      " last_at) VALUES (?1, ?2, 1, ?3, ?4, ?5)"                                        \
      " ON CONFLICT (user_id, question_id) DO NOTHING")                                 \
    X(USER_QUESTION_AGAIN,                                                              \
      "UPDATE user_question SET attempts = attempts + 1,"                               \
      " last_correct = CASE WHEN ?5 >= last_at THEN ?3 ELSE last_correct END,"          \
      " marked = max(marked, ?4), last_at = max(last_at, ?5)"                           \
      " WHERE user_id = ?1 AND question_id = ?2")                                       \
    X(QUESTION_STATS_ADD,                                                               \
      "INSERT INTO question_stats (question_id, attempts, correct, users, score_sum,"   \
      " time_sum) VALUES (?1, 1, ?2, ?3, ?4, ?5)"                                       \
      " ON CONFLICT (question_id) DO UPDATE SET attempts = attempts + 1,"               \
      " correct = correct + ?2, users = users + ?3, score_sum = score_sum + ?4,"        \
      " time_sum = time_sum + ?5")                                                      \
    X(USER_TOPIC_ADD,                                                                   \
      "INSERT INTO user_topic (user_id, topic_id, attempts, correct, last_at)"          \
      " VALUES (?1, ?2, 1, ?3, ?4)"                                                     \
      " ON CONFLICT (user_id, topic_id) DO UPDATE SET attempts = attempts + 1,"         \
      " correct = correct + ?3, last_at = max(last_at, ?4)")                            \
    X(USER_DAILY_ADD,                                                                   \
      "INSERT INTO user_daily (user_id, day, answers, correct, time_ms)"                \
      " VALUES (?1, ?2, 1, ?3, ?4)"                                                     \
      " ON CONFLICT (user_id, day) DO UPDATE SET answers = answers + 1,"                \
      " correct = correct + ?3, time_ms = time_ms + ?4")                                \
    X(USER_SUMMARY_ADD,                                                                 \
      "INSERT INTO user_summary (user_id, answered, correct, time_ms, first_at, last_at," \
      " streak, best_streak) VALUES (?1, 1, ?2, ?3, ?4, ?4, 1, 1)"                      \
      " ON CONFLICT (user_id) DO UPDATE SET answered = answered + 1,"                   \
      " correct = correct + ?2, time_ms = time_ms + ?3,"                                \
      " first_at = min(coalesce(first_at, ?4), ?4),"                                    \
      " last_at = max(coalesce(last_at, ?4), ?4),"                                      \
      " streak = " NEXT_STREAK ", best_streak = max(best_streak, " NEXT_STREAK ")")     \
    X(SUMMARY_LAST, "SELECT last_at FROM user_summary WHERE user_id = ?1")              \
    X(DAY_EXISTS, "SELECT 1 FROM user_daily WHERE user_id = ?1 AND day = ?2")           \
    X(USER_DAYS, "SELECT day FROM user_daily WHERE user_id = ?1 ORDER BY day")          \
    X(STREAK_SET,                                                                       \
      "UPDATE user_summary SET streak = ?2, best_streak = ?3 WHERE user_id = ?1")       \
    X(TEST_TOUCH,                                                                       \
      "UPDATE test SET last_activity_at = ?2 WHERE id = ?1 AND last_activity_at < ?2")  \
    /* reads */                                                                         \
    X(QUESTION_GET,                                                                     \
      "SELECT id, subject_id, system_id, topic_id, difficulty, type, active,"           \
      " correct_option, n_options, created_at, stem, explanation, option0, option1,"    \
      " option2, option3, option4 FROM question WHERE id = ?1")                         \
    X(PROGRESS,                                                                         \
      "SELECT topic_id, attempts, correct,"                                             \
      " CASE WHEN attempts > 0 THEN 10000 * correct / attempts ELSE 0 END, last_at"     \
      " FROM user_topic WHERE user_id = ?1 ORDER BY topic_id")                          \
    X(SUMMARY_GET,                                                                      \
      "SELECT answered, correct,"                                                       \
      " CASE WHEN answered > 0 THEN 10000 * correct / answered ELSE 0 END, time_ms,"    \
      " last_at, streak, best_streak FROM user_summary WHERE user_id = ?1")             \
    X(DAILY_RANGE,                                                                      \
      "SELECT day, answers, correct, time_ms FROM user_daily"                           \
      " WHERE user_id = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day")                     \
    X(BOARD_TOP,                                                                        \
      "SELECT user_id, correct FROM user_summary ORDER BY correct DESC, user_id"        \
      " LIMIT 100")                                                                     \
    X(BOARD_RANK,                                                                       \
      "SELECT s.correct,"                                                               \
      " 1 + (SELECT count(*) FROM user_summary o WHERE o.correct > s.correct)"          \
      " + (SELECT count(*) FROM user_summary o"                                         \
      " WHERE o.correct = s.correct AND o.user_id < s.user_id)"                         \
      " FROM user_summary s WHERE s.user_id = ?1")                                      \
    X(HISTORY_FIRST,                                                                    \
      HISTORY_COLUMNS "WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 20")  \
    X(HISTORY_NEXT,                                                                     \
      HISTORY_COLUMNS "WHERE user_id = ?1 AND (created_at, id) < (?2, ?3)"              \
      " ORDER BY created_at DESC, id DESC LIMIT 20")                                    \
    X(TEST_LIST,                                                                        \
      "SELECT id, status, last_activity_at, n_questions FROM test"                      \
      " WHERE user_id = ?1 AND status IN (1, 2)"                                        \
      " ORDER BY last_activity_at DESC, id DESC LIMIT 20")                              \
    /* test_create */                                                                   \
    X(DRAW_FILTER,                                                                      \
      "SELECT id FROM question WHERE topic_id = ?1 AND difficulty = ?2 AND active = 1"  \
      ONLY_FILTER("question.id")                                                        \
      " ORDER BY random() LIMIT ?3")                                                    \
    X(DRAW_ADAPTIVE,                                                                    \
      "SELECT q.id FROM question q JOIN question_stats s ON s.question_id = q.id"       \
      " WHERE q.system_id = ?1 AND q.active = 1 AND s.attempts > 0"                     \
      " AND 10000 * s.correct / s.attempts BETWEEN 4000 AND 7000"                       \
      ONLY_FILTER("q.id")                                                               \
      " ORDER BY random() LIMIT ?2")                                                    \
    X(DRAW_WEAK,                                                                        \
      "SELECT id FROM question WHERE active = 1 AND topic_id IN"                        \
      " (SELECT topic_id FROM user_topic WHERE user_id = ?1"                            \
      " AND 10000 * correct / attempts < 6000)"                                         \
      ONLY_FILTER("question.id")                                                        \
      " ORDER BY random() LIMIT ?2")                                                    \
    X(WEAK_TOPICS,                                                                      \
      "SELECT count(*) FROM user_topic WHERE user_id = ?1"                              \
      " AND 10000 * correct / attempts < 6000")                                         \
    X(DRAW_ALL, "SELECT id FROM question WHERE active = 1"                                \
      ONLY_FILTER("question.id")                                                        \
      " ORDER BY random() LIMIT ?1")                                                    \
    X(POOL_SIZE,                                                                        \
      "SELECT max(pos) + 1 FROM question_pool WHERE topic_id = ?1 AND difficulty = ?2") \
    /* The windows check `active` in the small covering index rather than in the      \
       question rows (2.5 KB of text each), which the planner would pick. */           \
    X(POOL_WINDOW,                                                                      \
      "SELECT p.question_id FROM question_pool p"                                       \
      " JOIN question q INDEXED BY question_by_topic ON q.topic_id = p.topic_id"        \
      " AND q.difficulty = p.difficulty AND q.active = 1 AND q.id = p.question_id"      \
      " WHERE p.topic_id = ?1 AND p.difficulty = ?2 AND p.pos >= ?3 AND p.pos < ?4"     \
      " ORDER BY p.pos LIMIT ?5")                                                       \
    X(SYSTEM_POOL_SIZE, "SELECT max(pos) + 1 FROM system_pool WHERE system_id = ?1")    \
    X(SYSTEM_POOL_WINDOW,                                                               \
      "SELECT p.question_id FROM system_pool p"                                         \
      " JOIN question q INDEXED BY question_by_system ON q.system_id = p.system_id"     \
      " AND q.active = 1 AND q.id = p.question_id"                                      \
      " JOIN question_stats s ON s.question_id = p.question_id"                         \
      " WHERE p.system_id = ?1 AND p.pos >= ?2 AND p.pos < ?3"                          \
      " AND s.attempts > 0 AND 10000 * s.correct / s.attempts BETWEEN 4000 AND 7000"    \
      " ORDER BY p.pos LIMIT ?4")                                                       \
    X(BANK_POOL_SIZE, "SELECT max(pos) + 1 FROM bank_pool")                             \
    X(BANK_POOL_WINDOW,                                                                 \
      "SELECT p.question_id FROM bank_pool p JOIN question q ON q.id = p.question_id"   \
      " WHERE p.pos >= ?1 AND p.pos < ?2 AND q.active = 1 ORDER BY p.pos LIMIT ?3")     \
    X(BANK_POOL_WEAK_WINDOW,                                                            \
      "SELECT p.question_id FROM bank_pool p JOIN question q ON q.id = p.question_id"   \
      " WHERE p.pos >= ?2 AND p.pos < ?3 AND q.active = 1 AND q.topic_id IN"            \
      " (SELECT topic_id FROM user_topic WHERE user_id = ?1"                            \
      " AND 10000 * correct / attempts < 6000) ORDER BY p.pos LIMIT ?4")                \
    /* bulk_import: answers as the CSV schema gives them (grade, user from the test) */  \
    X(ANSWER_IMPORT,                                                                    \
      "INSERT INTO answer (test_id, question_id, user_id, topic_id, correct, chosen,"   \
      " status, score, time_spent_ms, created_at)"                                      \
      " SELECT ?1, q.id, coalesce(?3, (SELECT t.user_id FROM test t WHERE t.id = ?1)),"  \
      " q.topic_id, CASE WHEN ?6 = 2 THEN 0 WHEN ?4 IS NOT NULL THEN ?4"                \
      " ELSE ?5 = q.correct_option END, ?5, ?6, ?7, ?8, ?9"                             \
      " FROM question q WHERE q.id = ?2"                                                \
      " ON CONFLICT (test_id, question_id) DO NOTHING")                                 \
    X(TEST_NEW,                                                                         \
      "INSERT INTO test (id, user_id, status, mode, created_at, last_activity_at,"      \
      " completed_at, n_questions, questions) VALUES (?1, ?2, 1, 1, ?3, ?3, 0, ?4, ?5)")

#define AS_ENUM(name, sql) ST_##name,
#define AS_SQL(name, sql) [ST_##name] = sql,
#define AS_NAME(name, sql) [ST_##name] = #name,
typedef enum st_id { STATEMENTS(AS_ENUM) ST_COUNT } st_id;
static const char *const st_sql[ST_COUNT] = {STATEMENTS(AS_SQL)};
static const char *const st_name[ST_COUNT] = {STATEMENTS(AS_NAME)};

/* ===================================================================== */
/* Handles                                                                */

typedef struct sq {
    sqlite3 *db;
    int pooled;              /* FILTER and ADAPTIVE draws walk the pool tables */
    bk_sync sync;            /* synchronous is per connection: clones take it over */
    pthread_mutex_t *writer; /* the store's writers in this process, shared with clones */
    int owns_writer, holds_writer;
    char path[PATH_MAX];
    sqlite3_stmt *st[ST_COUNT];
} sq;

static sq *impl(backend *be)
{
    return be->impl;
}

static int db_fail(backend *be, const char *what)
{
    sq *s = impl(be);
    return bk_fail(be, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : "no database");
}

static int exec(backend *be, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(impl(be)->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    bk_fail(be, "%s: %s", what, msg ? msg : "unknown error");
    sqlite3_free(msg);
    return -1;
}

/* Step @p id to the end, then reset it. */
static int run(backend *be, st_id id)
{
    sqlite3_stmt *st = impl(be)->st[id];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE) {
        db_fail(be, st_name[id]);
        sqlite3_reset(st);
        return -1;
    }
    sqlite3_reset(st);
    return 0;
}

/* The first step of @p id: 1 with a row (the caller reads and resets), 0 when there
 * is none (reset done), -1 on failure (reset done). */
static int first_row(backend *be, st_id id)
{
    sqlite3_stmt *st = impl(be)->st[id];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        db_fail(be, st_name[id]);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The next step of a statement that returned rows: 1, 0 (reset done) or -1. */
static int next_row(backend *be, st_id id)
{
    return first_row(be, id);
}

static void bind_i64(backend *be, st_id id, int col, int64_t v)
{
    sqlite3_bind_int64(impl(be)->st[id], col, v);
}

static void bind_text(backend *be, st_id id, int col, const char *p, size_t len)
{
    sqlite3_bind_text(impl(be)->st[id], col, p, (int)len, SQLITE_STATIC);
}

static int64_t col_i64(backend *be, st_id id, int col)
{
    return sqlite3_column_int64(impl(be)->st[id], col);
}

static void put_col_u(backend *be, st_id id, int col, bk_result *out)
{
    bk_put_u64(out, (uint64_t)col_i64(be, id, col));
}

/* ---- transactions ---- */

/* A read transaction when none is open; *own says whether this call opened it. */
static int read_begin(backend *be, int *own)
{
    *own = sqlite3_get_autocommit(impl(be)->db);
    return *own ? run(be, ST_BEGIN_READ) : 0;
}

static int read_end(backend *be, int own, int rc)
{
    if (!own)
        return rc;
    if (rc != 0) {
        sqlite3_exec(impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return run(be, ST_COMMIT);
}

/* Writers of one process queue on the store's mutex before BEGIN IMMEDIATE: SQLite
 * admits one writer at a time, and its busy handler, left to other processes, sleeps
 * 1 to 100 ms between tries where a mutex hands over at once. */
static int write_txn_begin(backend *be)
{
    sq *s = impl(be);
    if (!s->holds_writer) {
        pthread_mutex_lock(s->writer);
        s->holds_writer = 1;
    }
    int rc = run(be, ST_BEGIN_WRITE);
    if (rc != 0) {
        pthread_mutex_unlock(s->writer);
        s->holds_writer = 0;
    }
    return rc;
}

/* Let the next writer in once the transaction has ended, committed or not. */
static void write_txn_ended(backend *be)
{
    sq *s = impl(be);
    if (s->holds_writer && sqlite3_get_autocommit(s->db)) {
        pthread_mutex_unlock(s->writer);
        s->holds_writer = 0;
    }
}

static int write_begin(backend *be, int *own)
{
    *own = sqlite3_get_autocommit(impl(be)->db);
    return *own ? write_txn_begin(be) : 0;
}

/* A failed write rolls back the whole open transaction (its own, or the caller's
 * batch, whose commit then fails): nothing half-recorded reaches the disk. */
static int write_end(backend *be, int own, int rc)
{
    if (rc != 0) {
        if (!sqlite3_get_autocommit(impl(be)->db))
            sqlite3_exec(impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
        write_txn_ended(be);
        return rc;
    }
    if (own) {
        rc = run(be, ST_COMMIT);
        write_txn_ended(be);
    }
    return rc;
}

/* ---- connections ---- */

static int prepare_all(backend *be)
{
    sq *s = impl(be);
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, st_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK)
            return db_fail(be, st_name[i]);
    }
    return 0;
}

static void sq_close(backend *be)
{
    sq *s = impl(be);
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    if (s->holds_writer)
        pthread_mutex_unlock(s->writer);
    if (s->owns_writer) {   /* its clones are closed first */
        pthread_mutex_destroy(s->writer);
        free(s->writer);
    }
    free(s);
    be->impl = NULL;
}

/* A connection on s->path with the settings every connection shares. */
static int connect_db(backend *be, int create)
{
    sq *s = impl(be);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK)
        return db_fail(be, s->path);
    sqlite3_busy_timeout(s->db, BUSY_MS);
    char sql[256];
    snprintf(sql, sizeof sql,
             "PRAGMA cache_size = -%d; PRAGMA mmap_size = %lld; PRAGMA temp_store = MEMORY;"
             " PRAGMA secure_delete = OFF; PRAGMA journal_size_limit = %d;",
             CACHE_KIB, MMAP_BYTES, WAL_LIMIT_BYTES);
    return exec(be, sql, "settings");
}

static int set_sync(backend *be, bk_sync sync)
{
    return exec(be, sync == BK_SYNC_DURABLE ? "PRAGMA synchronous = FULL"
                                            : "PRAGMA synchronous = NORMAL",
                "synchronous");
}

static int set_wal(backend *be)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(impl(be)->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
        return db_fail(be, "journal_mode");
    int ok = sqlite3_step(st) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    return ok ? 0 : bk_fail(be, "journal_mode: WAL refused");
}

static int build_pools(backend *be)
{
    return exec(be, pool_sql, "pool tables");
}

/* A pooled handle on a store whose bank was loaded without pools builds them. */
static int ensure_pools(backend *be)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT EXISTS (SELECT 1 FROM question)"
                      " AND (NOT EXISTS (SELECT 1 FROM question_pool)"
                      " OR NOT EXISTS (SELECT 1 FROM system_pool)"
                      " OR NOT EXISTS (SELECT 1 FROM bank_pool))";
    if (sqlite3_prepare_v2(impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(be, "pool check");
    int missing = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!missing)
        return 0;
    if (exec(be, "BEGIN IMMEDIATE", "pool tables") != 0)
        return -1;
    if (build_pools(be) != 0) {
        sqlite3_exec(impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return exec(be, "COMMIT", "pool tables");
}

static int open_store(backend *be, const char *dir, bk_sync sync, int pooled)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return bk_fail(be, "%s: %s", dir, strerror(errno));
    sq *s = calloc(1, sizeof *s);
    if (!s)
        return bk_fail(be, "out of memory");
    be->impl = s;
    s->pooled = pooled;
    s->sync = sync;
    s->writer = malloc(sizeof *s->writer);
    if (!s->writer) {
        sq_close(be);
        return bk_fail(be, "out of memory");
    }
    pthread_mutex_init(s->writer, NULL);
    s->owns_writer = 1;
    if ((size_t)snprintf(s->path, sizeof s->path, "%s/%s", dir, DB_FILE) >= sizeof s->path) {
        sq_close(be);
        return bk_fail(be, "%s: path too long", dir);
    }
    if (connect_db(be, 1) != 0 || set_wal(be) != 0 || set_sync(be, sync) != 0 ||
        exec(be, "BEGIN IMMEDIATE", "schema") != 0 || exec(be, schema_sql, "schema") != 0 ||
        exec(be, index_sql, "schema") != 0 || exec(be, "COMMIT", "schema") != 0 ||
        prepare_all(be) != 0 || (pooled && ensure_pools(be) != 0)) {
        char err[sizeof be->err];
        memcpy(err, be->err, sizeof err);
        sq_close(be);
        memcpy(be->err, err, sizeof err);
        return -1;
    }
    return 0;
}

static int sq_open(backend *be, const char *dir, bk_sync sync)
{
    return open_store(be, dir, sync, 0);
}

static int sq_pool_open(backend *be, const char *dir, bk_sync sync)
{
    return open_store(be, dir, sync, 1);
}

static backend *sq_clone(backend *be)
{
    backend *c = bk_new(be->ops);
    sq *s = c ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        free(c);
        return NULL;
    }
    c->impl = s;
    s->pooled = impl(be)->pooled;
    s->sync = impl(be)->sync;
    s->writer = impl(be)->writer;
    memcpy(s->path, impl(be)->path, sizeof s->path);
    if (connect_db(c, 0) != 0 || set_sync(c, s->sync) != 0 || prepare_all(c) != 0) {
        snprintf(be->err, sizeof be->err, "%s", c->err);
        bk_free(c);
        return NULL;
    }
    return c;
}

/* ===================================================================== */
/* Loading and writes                                                     */

static int put_taxa(backend *be, st_id id, void (*get)(uint32_t, wl_taxon *), uint32_t n)
{
    for (uint32_t i = 1; i <= n; i++) {
        wl_taxon t;
        get(i, &t);
        int col = 1;
        bind_i64(be, id, col++, t.id);
        if (id == ST_TOPIC_PUT)
            bind_i64(be, id, col++, t.parent);
        bind_text(be, id, col, t.name, strlen(t.name));
        if (run(be, id) != 0)
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
        bind_i64(be, ST_QUESTION_PUT, col++, nums[i]);
    bind_text(be, ST_QUESTION_PUT, col++, q->stem.ptr, q->stem.len);
    bind_text(be, ST_QUESTION_PUT, col++, q->explanation.ptr, q->explanation.len);
    for (int o = 0; o < WL_MAX_OPTIONS; o++, col++) {
        if (o < q->n_options)
            bind_text(be, ST_QUESTION_PUT, col, q->options[o].ptr, q->options[o].len);
        else
            sqlite3_bind_null(impl(be)->st[ST_QUESTION_PUT], col);
    }
    return run(be, ST_QUESTION_PUT);
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
        bind_i64(be, ST_USER_PUT, 1, u.id);
        bind_i64(be, ST_USER_PUT, 2, u.created_at);
        bind_i64(be, ST_SUMMARY_IDLE, 1, u.id);
        if (run(be, ST_USER_PUT) != 0 || run(be, ST_SUMMARY_IDLE) != 0)
            return -1;
    }
    return impl(be)->pooled ? build_pools(be) : 0;
}

static int sq_load_bank(backend *be, const wl_gen *g)
{
    int own;
    if (write_begin(be, &own) != 0)
        return -1;
    return write_end(be, own, put_bank(be, g));
}

static int sq_begin(backend *be)
{
    return write_txn_begin(be);
}

static int sq_commit(backend *be)
{
    int rc = run(be, ST_COMMIT);
    write_txn_ended(be);
    return rc;
}

/* "1,2,3": the comma-separated question list of the schema. */
static size_t question_list(const uint32_t *ids, unsigned n, char *buf, size_t cap)
{
    size_t len = 0;
    for (unsigned i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? ",%u" : "%u", ids[i]);
    return len < cap ? len : cap - 1;
}

static int sq_put_test(backend *be, const wl_test *t)
{
    char list[WL_TEST_MAX * 11 + 1];
    size_t len = question_list(t->questions, t->n_questions, list, sizeof list);
    const int64_t nums[] = {(int64_t)t->id, t->user, t->status, t->mode, t->created_at,
                            t->last_activity_at, t->completed_at, t->n_questions};
    int col = 1;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        bind_i64(be, ST_TEST_PUT, col++, nums[i]);
    bind_text(be, ST_TEST_PUT, col, list, len);
    int own;
    if (write_begin(be, &own) != 0)
        return -1;
    return write_end(be, own, run(be, ST_TEST_PUT));
}

/* streak and best_streak of @p user from all its daily rows: an answer arrived for a
 * day older than the user's last active day. */
static int recompute_streaks(backend *be, int64_t user)
{
    sqlc_streak acc = {0};
    bind_i64(be, ST_USER_DAYS, 1, user);
    int rc;
    for (rc = first_row(be, ST_USER_DAYS); rc == 1; rc = next_row(be, ST_USER_DAYS))
        sqlc_streak_add(&acc, col_i64(be, ST_USER_DAYS, 0));
    if (rc < 0)
        return -1;
    bind_i64(be, ST_STREAK_SET, 1, user);
    bind_i64(be, ST_STREAK_SET, 2, acc.streak);
    bind_i64(be, ST_STREAK_SET, 3, acc.best);
    return run(be, ST_STREAK_SET);
}

/* One row of one integer column from @p id (bound already): 1 with it, 0 without. */
static int select_int(backend *be, st_id id, int64_t *out)
{
    int rc = first_row(be, id);
    if (rc == 1) {
        *out = col_i64(be, id, 0);
        sqlite3_reset(impl(be)->st[id]);
    }
    return rc;
}

/* The answer row; *added is 0 when (test, question) was answered already. */
static int insert_answer(backend *be, const wl_answer *a, int64_t *topic, int *added)
{
    bind_i64(be, ST_QUESTION_TOPIC, 1, a->question);
    int rc = select_int(be, ST_QUESTION_TOPIC, topic);
    if (rc <= 0)
        return rc < 0 ? -1 : bk_fail(be, "answer: question %u is not in the bank", a->question);
    const int64_t nums[] = {(int64_t)a->test, a->question, a->user, *topic, a->correct,
                            a->chosen, a->status, a->score, a->time_spent_ms, a->created_at};
    for (int i = 0; i < 10; i++)
        bind_i64(be, ST_ANSWER_PUT, i + 1, nums[i]);
    if (run(be, ST_ANSWER_PUT) != 0)
        return -1;
    *added = sqlite3_changes(impl(be)->db) == 1;
    return 0;
}

/* user_question; *first says whether this is the user's first answer to it. */
static int count_user_question(backend *be, const wl_answer *a, int *first)
{
    for (st_id id = ST_USER_QUESTION_NEW; ; id = ST_USER_QUESTION_AGAIN) {
        bind_i64(be, id, 1, a->user);
        bind_i64(be, id, 2, a->question);
        bind_i64(be, id, 3, a->correct);
        bind_i64(be, id, 4, a->status == WL_FLAGGED);
        bind_i64(be, id, 5, a->created_at);
        if (run(be, id) != 0)
            return -1;
        if (id == ST_USER_QUESTION_AGAIN)
            return 0;
        if ((*first = sqlite3_changes(impl(be)->db) == 1))
            return 0;
    }
}

static int day_exists(backend *be, uint32_t user, int64_t day, int *exists)
{
    int64_t one;
    bind_i64(be, ST_DAY_EXISTS, 1, user);
    bind_i64(be, ST_DAY_EXISTS, 2, day);
    int rc = select_int(be, ST_DAY_EXISTS, &one);
    *exists = rc == 1;
    return rc < 0 ? -1 : 0;
}

/* Whether the answer opens @p day for its user, and whether that day is older than
 * the user's last active day (the streaks must then be recomputed). */
static int opens_day(backend *be, uint32_t user, int64_t day, int *new_day, int *older)
{
    sqlite3_stmt *st = impl(be)->st[ST_SUMMARY_LAST];
    bind_i64(be, ST_SUMMARY_LAST, 1, user);
    int rc = first_row(be, ST_SUMMARY_LAST);
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

    bind_i64(be, ST_QUESTION_STATS_ADD, 1, a->question);
    bind_i64(be, ST_QUESTION_STATS_ADD, 2, a->correct);
    bind_i64(be, ST_QUESTION_STATS_ADD, 3, first);
    bind_i64(be, ST_QUESTION_STATS_ADD, 4, a->score);
    bind_i64(be, ST_QUESTION_STATS_ADD, 5, a->time_spent_ms);
    if (run(be, ST_QUESTION_STATS_ADD) != 0)
        return -1;

    bind_i64(be, ST_USER_TOPIC_ADD, 1, a->user);
    bind_i64(be, ST_USER_TOPIC_ADD, 2, topic);
    bind_i64(be, ST_USER_TOPIC_ADD, 3, a->correct);
    bind_i64(be, ST_USER_TOPIC_ADD, 4, a->created_at);
    if (run(be, ST_USER_TOPIC_ADD) != 0)
        return -1;

    if (opens_day(be, a->user, day, &new_day, &older) != 0)
        return -1;
    bind_i64(be, ST_USER_DAILY_ADD, 1, a->user);
    bind_i64(be, ST_USER_DAILY_ADD, 2, day);
    bind_i64(be, ST_USER_DAILY_ADD, 3, a->correct);
    bind_i64(be, ST_USER_DAILY_ADD, 4, a->time_spent_ms);
    if (run(be, ST_USER_DAILY_ADD) != 0)
        return -1;

    bind_i64(be, ST_USER_SUMMARY_ADD, 1, a->user);
    bind_i64(be, ST_USER_SUMMARY_ADD, 2, a->correct);
    bind_i64(be, ST_USER_SUMMARY_ADD, 3, a->time_spent_ms);
    bind_i64(be, ST_USER_SUMMARY_ADD, 4, a->created_at);
    bind_i64(be, ST_USER_SUMMARY_ADD, 5, new_day);
    bind_i64(be, ST_USER_SUMMARY_ADD, 6, day);
    if (run(be, ST_USER_SUMMARY_ADD) != 0 || (older && recompute_streaks(be, a->user) != 0))
        return -1;

    bind_i64(be, ST_TEST_TOUCH, 1, (int64_t)a->test);
    bind_i64(be, ST_TEST_TOUCH, 2, a->created_at);
    return run(be, ST_TEST_TOUCH);
}

static int sq_answer_submit(backend *be, const wl_answer *a)
{
    int own;
    if (write_begin(be, &own) != 0)
        return -1;
    return write_end(be, own, record_answer(be, a));
}

static int sq_interaction_log(backend *be, const wl_interaction *ix)
{
    bind_i64(be, ST_INTERACTION_ADD, 1, ix->user);
    bind_i64(be, ST_INTERACTION_ADD, 2, ix->action);
    bind_i64(be, ST_INTERACTION_ADD, 3, ix->created_at);
    bind_text(be, ST_INTERACTION_ADD, 4, ix->payload, ix->payload_len);
    int own;
    if (write_begin(be, &own) != 0)
        return -1;
    return write_end(be, own, run(be, ST_INTERACTION_ADD));
}

/* ===================================================================== */
/* Reads                                                                  */

static void put_col_text(backend *be, st_id id, int col, bk_result *out)
{
    sqlite3_stmt *st = impl(be)->st[id];
    const char *p = (const char *)sqlite3_column_text(st, col);
    bk_put_str(out, p ? p : "", (size_t)sqlite3_column_bytes(st, col));
}

static int sq_question_get(backend *be, uint32_t question, bk_result *out)
{
    bind_i64(be, ST_QUESTION_GET, 1, question);
    int rc = first_row(be, ST_QUESTION_GET);
    if (rc <= 0)
        return rc < 0 ? -1 : bk_fail(be, "question_get: no question %u", question);
    for (int col = 0; col < 9; col++)
        put_col_u(be, ST_QUESTION_GET, col, out);
    bk_put_i64(out, col_i64(be, ST_QUESTION_GET, 9));
    put_col_text(be, ST_QUESTION_GET, 10, out);
    put_col_text(be, ST_QUESTION_GET, 11, out);
    int64_t n_options = col_i64(be, ST_QUESTION_GET, 8);
    for (int o = 0; o < n_options && o < WL_MAX_OPTIONS; o++)
        put_col_text(be, ST_QUESTION_GET, 12 + o, out);
    sqlite3_reset(impl(be)->st[ST_QUESTION_GET]);
    out->rows = 1;
    return 0;
}

static int sq_progress_view(backend *be, uint32_t user, bk_result *out)
{
    bind_i64(be, ST_PROGRESS, 1, user);
    int rc;
    for (rc = first_row(be, ST_PROGRESS); rc == 1; rc = next_row(be, ST_PROGRESS)) {
        for (int col = 0; col < 4; col++)
            put_col_u(be, ST_PROGRESS, col, out);
        bk_put_i64(out, col_i64(be, ST_PROGRESS, 4));
        out->rows++;
    }
    return rc;
}

static int dashboard_rows(backend *be, uint32_t user, int64_t now, bk_result *out)
{
    bind_i64(be, ST_SUMMARY_GET, 1, user);
    int rc = first_row(be, ST_SUMMARY_GET);
    if (rc <= 0)
        return rc < 0 ? -1 : bk_fail(be, "dashboard: no user %u", user);
    sqlite3_stmt *st = impl(be)->st[ST_SUMMARY_GET];
    for (int col = 0; col < 4; col++)
        put_col_u(be, ST_SUMMARY_GET, col, out);
    int no_answer = sqlite3_column_type(st, 4) == SQLITE_NULL;
    bk_put_i64(out, no_answer ? -1 : sqlc_day(sqlite3_column_int64(st, 4)));
    put_col_u(be, ST_SUMMARY_GET, 5, out);
    put_col_u(be, ST_SUMMARY_GET, 6, out);
    sqlite3_reset(st);

    int64_t now_day = sqlc_day(now);
    bind_i64(be, ST_DAILY_RANGE, 1, user);
    bind_i64(be, ST_DAILY_RANGE, 2, now_day - 29);
    bind_i64(be, ST_DAILY_RANGE, 3, now_day);
    for (rc = first_row(be, ST_DAILY_RANGE); rc == 1; rc = next_row(be, ST_DAILY_RANGE)) {
        bk_put_i64(out, col_i64(be, ST_DAILY_RANGE, 0));
        for (int col = 1; col < 4; col++)
            put_col_u(be, ST_DAILY_RANGE, col, out);
        out->rows++;
    }
    return rc;
}

static int sq_dashboard(backend *be, uint32_t user, int64_t now, bk_result *out)
{
    int own;
    if (read_begin(be, &own) != 0)
        return -1;
    return read_end(be, own, dashboard_rows(be, user, now, out));
}

static int leaderboard_rows(backend *be, uint32_t user, bk_result *out)
{
    int rc;
    uint64_t rank = 0;
    for (rc = first_row(be, ST_BOARD_TOP); rc == 1; rc = next_row(be, ST_BOARD_TOP)) {
        bk_put_u64(out, ++rank);
        put_col_u(be, ST_BOARD_TOP, 0, out);
        put_col_u(be, ST_BOARD_TOP, 1, out);
        out->rows++;
    }
    if (rc < 0)
        return -1;
    bind_i64(be, ST_BOARD_RANK, 1, user);
    if ((rc = first_row(be, ST_BOARD_RANK)) <= 0)
        return rc < 0 ? -1 : bk_fail(be, "leaderboard: no user %u", user);
    put_col_u(be, ST_BOARD_RANK, 1, out);
    bk_put_u64(out, user);
    put_col_u(be, ST_BOARD_RANK, 0, out);
    sqlite3_reset(impl(be)->st[ST_BOARD_RANK]);
    return 0;
}

static int sq_leaderboard(backend *be, uint32_t user, bk_result *out)
{
    int own;
    if (read_begin(be, &own) != 0)
        return -1;
    return read_end(be, own, leaderboard_rows(be, user, out));
}

/* One history page; *n rows, and the (created_at, id) of the last one. */
static int history_page(backend *be, st_id id, bk_result *out, int *n, int64_t *at,
                        int64_t *answer)
{
    int rc;
    *n = 0;
    for (rc = first_row(be, id); rc == 1; rc = next_row(be, id)) {
        *answer = col_i64(be, id, 0);
        *at = col_i64(be, id, 1);
        bk_put_u64(out, (uint64_t)*answer);
        bk_put_i64(out, *at);
        for (int col = 2; col < 9; col++)
            put_col_u(be, id, col, out);
        (*n)++;
        out->rows++;
    }
    return rc;
}

static int history_rows(backend *be, uint32_t user, bk_result *out)
{
    int n;
    int64_t at = 0, answer = 0;
    bind_i64(be, ST_HISTORY_FIRST, 1, user);
    if (history_page(be, ST_HISTORY_FIRST, out, &n, &at, &answer) != 0)
        return -1;
    if (n < 20)
        return 0;   /* a short page is the last one */
    bind_i64(be, ST_HISTORY_NEXT, 1, user);
    bind_i64(be, ST_HISTORY_NEXT, 2, at);
    bind_i64(be, ST_HISTORY_NEXT, 3, answer);
    return history_page(be, ST_HISTORY_NEXT, out, &n, &at, &answer);
}

static int sq_history(backend *be, uint32_t user, bk_result *out)
{
    int own;
    if (read_begin(be, &own) != 0)
        return -1;
    return read_end(be, own, history_rows(be, user, out));
}

static int sq_history_page(backend *be, uint32_t user, const bk_position *after,
                           bk_result *out)
{
    int own, n;
    int64_t at, answer;
    st_id id = after ? ST_HISTORY_NEXT : ST_HISTORY_FIRST;
    if (read_begin(be, &own) != 0)
        return -1;
    bind_i64(be, id, 1, user);
    if (after) {
        bind_i64(be, id, 2, after->created_at);
        bind_i64(be, id, 3, (int64_t)after->answer_id);
    }
    return read_end(be, own, history_page(be, id, out, &n, &at, &answer));
}

static int sq_test_list(backend *be, uint32_t user, bk_result *out)
{
    bind_i64(be, ST_TEST_LIST, 1, user);
    int rc;
    for (rc = first_row(be, ST_TEST_LIST); rc == 1; rc = next_row(be, ST_TEST_LIST)) {
        put_col_u(be, ST_TEST_LIST, 0, out);
        put_col_u(be, ST_TEST_LIST, 1, out);
        bk_put_i64(out, col_i64(be, ST_TEST_LIST, 2));
        put_col_u(be, ST_TEST_LIST, 3, out);
        out->rows++;
    }
    return rc;
}

/* ===================================================================== */
/* test_create                                                            */

typedef struct draw {
    uint32_t ids[DRAW_MAX];
    unsigned n, want;
} draw;

/* Append the ids statement @p id returns (bound already) to @p d. */
static int collect(backend *be, st_id id, draw *d)
{
    int rc;
    for (rc = first_row(be, id); rc == 1; rc = next_row(be, id)) {
        if (d->n < d->want)
            d->ids[d->n++] = (uint32_t)col_i64(be, id, 0);
    }
    return rc;
}

/* The number of topics where @p user's rate is below 6000. */
static int weak_topics(backend *be, uint32_t user, int64_t *n)
{
    bind_i64(be, ST_WEAK_TOPICS, 1, user);
    int rc = first_row(be, ST_WEAK_TOPICS);
    if (rc < 0)
        return -1;
    *n = rc == 1 ? col_i64(be, ST_WEAK_TOPICS, 0) : 0;
    if (rc == 1)
        sqlite3_reset(impl(be)->st[ST_WEAK_TOPICS]);
    return 0;
}

/* The user and `only` of a draw, in the parameters every draw statement shares. */
static void bind_only(backend *be, st_id id, const bk_draw_args *a)
{
    bind_i64(be, id, 8, a->user);
    bind_i64(be, id, 9, a->only);
}

static int draw_random(backend *be, const bk_draw_args *a, draw *d)
{
    bind_only(be, ST_DRAW_FILTER, a);
    bind_only(be, ST_DRAW_ADAPTIVE, a);
    bind_only(be, ST_DRAW_WEAK, a);
    bind_only(be, ST_DRAW_ALL, a);
    switch (a->pattern) {
    case BK_DRAW_FILTER:
        bind_i64(be, ST_DRAW_FILTER, 1, a->topic);
        bind_i64(be, ST_DRAW_FILTER, 2, a->difficulty);
        bind_i64(be, ST_DRAW_FILTER, 3, d->want);
        return collect(be, ST_DRAW_FILTER, d);
    case BK_DRAW_ADAPTIVE:
        bind_i64(be, ST_DRAW_ADAPTIVE, 1, a->system);
        bind_i64(be, ST_DRAW_ADAPTIVE, 2, d->want);
        return collect(be, ST_DRAW_ADAPTIVE, d);
    case BK_DRAW_WEAK:
        break;
    }
    bind_i64(be, ST_DRAW_WEAK, 1, a->user);
    bind_i64(be, ST_DRAW_WEAK, 2, d->want);
    if (collect(be, ST_DRAW_WEAK, d) != 0)
        return -1;
    int64_t weak;
    if (d->n > 0 || weak_topics(be, a->user, &weak) != 0)
        return d->n > 0 ? 0 : -1;
    if (weak > 0)
        return 0;   /* weak topics without an active question: an empty test */
    bind_i64(be, ST_DRAW_ALL, 1, d->want);
    return collect(be, ST_DRAW_ALL, d);
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* The size of a pool (statement @p size, keys bound): 0 when it is empty. */
static int pool_size(backend *be, st_id size, int64_t *n)
{
    int rc = first_row(be, size);
    if (rc < 0)
        return -1;
    *n = rc == 1 ? col_i64(be, size, 0) : 0;
    if (rc == 1)
        sqlite3_reset(impl(be)->st[size]);
    return 0;
}

/* A window of the pool from a random start, wrapping around: [start, n), then
 * [0, start). @p lo_col is the first of the statement's lo, hi, limit parameters. */
static int pool_window(backend *be, st_id window, int lo_col, int64_t n, uint64_t seed,
                       draw *d)
{
    if (n <= 0)
        return 0;
    int64_t start = (int64_t)(mix64(seed) % (uint64_t)n);
    const int64_t ranges[2][2] = {{start, n}, {0, start}};
    for (int r = 0; r < 2 && d->n < d->want; r++) {
        bind_i64(be, window, lo_col, ranges[r][0]);
        bind_i64(be, window, lo_col + 1, ranges[r][1]);
        bind_i64(be, window, lo_col + 2, d->want - d->n);
        if (collect(be, window, d) != 0)
            return -1;
    }
    return 0;
}

/* WEAK from the bank pool: a walk reads about count x 240 / weak-topics rows, sorting
 * reads about 80 rows per weak topic; from this many weak topics on, the walk reads
 * fewer. With no weak topic the walk admits every active question. */
#define WEAK_WALK_TOPICS 16

static int draw_weak_pooled(backend *be, const bk_draw_args *a, draw *d)
{
    int64_t weak, n;
    if (weak_topics(be, a->user, &weak) != 0)
        return -1;
    if (weak > 0 && weak < WEAK_WALK_TOPICS)
        return draw_random(be, a, d);
    if (pool_size(be, ST_BANK_POOL_SIZE, &n) != 0)
        return -1;
    if (weak == 0)
        return pool_window(be, ST_BANK_POOL_WINDOW, 1, n, a->seed, d);
    bind_i64(be, ST_BANK_POOL_WEAK_WINDOW, 1, a->user);
    return pool_window(be, ST_BANK_POOL_WEAK_WINDOW, 2, n, a->seed, d);
}

static int draw_pooled(backend *be, const bk_draw_args *a, draw *d)
{
    int64_t n;
    switch (a->pattern) {
    case BK_DRAW_FILTER:
        bind_i64(be, ST_POOL_SIZE, 1, a->topic);
        bind_i64(be, ST_POOL_SIZE, 2, a->difficulty);
        bind_i64(be, ST_POOL_WINDOW, 1, a->topic);
        bind_i64(be, ST_POOL_WINDOW, 2, a->difficulty);
        return pool_size(be, ST_POOL_SIZE, &n) != 0
                   ? -1 : pool_window(be, ST_POOL_WINDOW, 3, n, a->seed, d);
    case BK_DRAW_ADAPTIVE:
        bind_i64(be, ST_SYSTEM_POOL_SIZE, 1, a->system);
        bind_i64(be, ST_SYSTEM_POOL_WINDOW, 1, a->system);
        return pool_size(be, ST_SYSTEM_POOL_SIZE, &n) != 0
                   ? -1 : pool_window(be, ST_SYSTEM_POOL_WINDOW, 2, n, a->seed, d);
    case BK_DRAW_WEAK:
        break;
    }
    return draw_weak_pooled(be, a, d);
}

static int create_test(backend *be, const bk_draw_args *a, draw *d)
{
    /* the pools serve every question a pattern admits; a draw that keeps only some
     * by the user's record sorts at random, as bk_sqlite_ops does */
    int pooled = impl(be)->pooled && a->only == BK_ONLY_ANY;
    if ((pooled ? draw_pooled(be, a, d) : draw_random(be, a, d)) != 0)
        return -1;
    char list[DRAW_MAX * 11 + 1];
    size_t len = question_list(d->ids, d->n, list, sizeof list);
    bind_i64(be, ST_TEST_NEW, 1, (int64_t)a->test_id);
    bind_i64(be, ST_TEST_NEW, 2, a->user);
    bind_i64(be, ST_TEST_NEW, 3, a->created_at);
    bind_i64(be, ST_TEST_NEW, 4, d->n);
    bind_text(be, ST_TEST_NEW, 5, list, len);
    return run(be, ST_TEST_NEW);
}

static int sq_test_create(backend *be, const bk_draw_args *a, bk_result *out)
{
    if (a->count == 0 || a->count > DRAW_MAX)
        return bk_fail(be, "test_create: count %u outside 1..%d", a->count, DRAW_MAX);
    draw d = {.n = 0, .want = a->count};
    int own;
    if (write_begin(be, &own) != 0 || write_end(be, own, create_test(be, a, &d)) != 0)
        return -1;
    for (unsigned i = 0; i < d.n; i++)
        bk_put_u64(out, d.ids[i]);
    out->rows = d.n;
    return 0;
}

/* ===================================================================== */
/* Size                                                                   */

static int sq_size_on_disk(backend *be, uint64_t *bytes)
{
    const char *suffix[] = {"", "-wal"};
    *bytes = 0;
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX + 8];
        struct stat st;
        snprintf(path, sizeof path, "%s%s", impl(be)->path, suffix[i]);
        if (stat(path, &st) == 0)
            *bytes += (uint64_t)st.st_size;
        else if (errno != ENOENT || i == 0)
            return bk_fail(be, "%s: %s", path, strerror(errno));
    }
    return 0;
}

/* The space of one table: its rows, and the pages of each B-tree it owns, counted
 * by the dbstat virtual table; where SQLite was built without it, by the pages each
 * DROP INDEX and then DROP TABLE adds to the freelist, in a transaction rolled back
 * afterwards (an index SQLite made for a UNIQUE constraint cannot be dropped alone:
 * there its pages count with the table's). Outside a batch. */

static int valid_table_name(const char *t)
{
    size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz_0123456789");
    return n > 0 && n < 64 && t[n] == '\0';
}

static int query_i64(backend *be, const char *sql, const char *text, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(be, sql);
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        db_fail(be, sql);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* The table's indexes into out->indexes, by name. */
static int list_indexes(backend *be, const char *table, bk_table_space *out)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1"
                      " AND rootpage > 0 ORDER BY name";
    if (sqlite3_prepare_v2(impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(be, "table_space");
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n_indexes < BK_MAX_INDEXES)
        snprintf(out->indexes[out->n_indexes++].name, sizeof out->indexes[0].name, "%s",
                 (const char *)sqlite3_column_text(st, 0));
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        db_fail(be, "table_space");
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* 1 when SQLite has no dbstat table. */
static int space_by_dbstat(backend *be, const char *table, bk_table_space *out)
{
    const char *sql = "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?1";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return 1;
    sqlite3_finalize(st);
    int64_t bytes;
    if (query_i64(be, sql, table, &bytes))
        return -1;
    out->table_bytes = (uint64_t)bytes;
    for (unsigned i = 0; i < out->n_indexes; i++) {
        if (query_i64(be, sql, out->indexes[i].name, &bytes))
            return -1;
        out->indexes[i].bytes = (uint64_t)bytes;
    }
    out->method = "dbstat";
    return 0;
}

/* Bytes the statement @p drop adds to the freelist. */
static int freed_bytes(backend *be, const char *drop, uint64_t *bytes)
{
    int64_t page, before, after;
    if (query_i64(be, "PRAGMA page_size", NULL, &page) ||
        query_i64(be, "PRAGMA freelist_count", NULL, &before) ||
        exec(be, drop, "table_space") ||
        query_i64(be, "PRAGMA freelist_count", NULL, &after))
        return -1;
    *bytes = (uint64_t)((after - before) * page);
    return 0;
}

static int space_by_freelist(backend *be, const char *table, bk_table_space *out)
{
    char sql[128];
    unsigned kept = 0;
    for (unsigned i = 0; i < out->n_indexes; i++) {
        if (strncmp(out->indexes[i].name, "sqlite_autoindex_", 17) == 0)
            continue;
        out->indexes[kept] = out->indexes[i];
        snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", out->indexes[kept].name);
        if (freed_bytes(be, sql, &out->indexes[kept].bytes))
            return -1;
        kept++;
    }
    out->n_indexes = kept;
    snprintf(sql, sizeof sql, "DROP TABLE \"%s\"", table);
    out->method = "freelist (UNIQUE indexes counted with the table)";
    return freed_bytes(be, sql, &out->table_bytes);
}

static int sq_table_space(backend *be, const char *table, bk_table_space *out)
{
    char sql[128];
    int64_t rows;
    memset(out, 0, sizeof *out);
    if (!valid_table_name(table))
        return bk_fail(be, "table_space: bad table name '%s'", table);
    if (exec(be, "BEGIN IMMEDIATE", "table_space"))
        return -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    int rc = query_i64(be, sql, NULL, &rows);
    if (rc == 0) {
        out->rows = (uint64_t)rows;
        rc = list_indexes(be, table, out);
    }
    if (rc == 0 && (rc = space_by_dbstat(be, table, out)) == 1)
        rc = space_by_freelist(be, table, out);
    sqlite3_exec(impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ===================================================================== */
/* Bulk import                                                            */
/*
 * One transaction into the empty store, under a rollback journal (pages appended to
 * an empty database need no journal, and a crash still rolls back to empty); WAL
 * again afterwards. Rows go in through prepared statements in file order, so answer
 * ids follow the file. The unique (test, question) index stays during the load (it
 * grows at its right edge, and it is what skips duplicates); the other indexes are
 * built after. Every aggregate is then computed in SQL with GROUP BY / window
 * functions, and streaks in C over user_daily in key order: the same rows that
 * answer_submit leaves.
 */

#define MAX_CSV_FIELDS 64
#define NO_DEFAULT INT64_MIN

typedef struct importer {
    const char *path;
    uint64_t line;
    uint64_t answers;
} importer;

typedef struct csv_kind {
    const char *file;
    const char *const *columns;
    int n_columns;
    uint32_t required;          /* bit i: columns[i] must be in the header */
    int (*row)(backend *be, importer *im, const sqlc_field *f);
} csv_kind;

static int row_fail(backend *be, const importer *im, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int row_fail(backend *be, const importer *im, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bk_fail(be, "bulk_import: %s:%llu: %s", im->path, (unsigned long long)im->line, msg);
}

/* An integer field in [lo, hi]; empty gives @p dflt, or fails when it is NO_DEFAULT. */
static int field_int(backend *be, const importer *im, sqlc_field f, const char *name,
                     int64_t lo, int64_t hi, int64_t dflt, int64_t *out)
{
    if (f.len == 0 && dflt != NO_DEFAULT) {
        *out = dflt;
        return 0;
    }
    if (sqlc_int(f, lo, hi, out) != 0)
        return row_fail(be, im, "%s '%.*s' is not an integer in %lld..%lld", name,
                        (int)(f.len > 40 ? 40 : f.len), f.ptr, (long long)lo, (long long)hi);
    return 0;
}

static int field_time(backend *be, const importer *im, sqlc_field f, const char *name,
                      int64_t dflt, int64_t *out)
{
    if (f.len == 0 && dflt != NO_DEFAULT) {
        *out = dflt;
        return 0;
    }
    if (sqlc_time(f, out) != 0)
        return row_fail(be, im, "%s '%.*s' is not a time", name,
                        (int)(f.len > 40 ? 40 : f.len), f.ptr);
    return 0;
}

static int field_word(backend *be, const importer *im, sqlc_field f, const char *name,
                      const char *const *words, int n, int dflt, int *out)
{
    if (f.len == 0 && dflt >= 0) {
        *out = dflt;
        return 0;
    }
    if (sqlc_word(f, words, n, out) != 0)
        return row_fail(be, im, "%s '%.*s' is not a known word", name,
                        (int)(f.len > 40 ? 40 : f.len), f.ptr);
    return 0;
}

#define ID_MAX (INT64_MAX / 2)

/* ---- rows of each kind ---- */

static const char *const taxon_columns[] = {"id", "name"};
static const char *const topic_columns[] = {"id", "system", "name"};

static int taxon_row(backend *be, importer *im, const sqlc_field *f, st_id id)
{
    int64_t v;
    int col = 1;
    if (field_int(be, im, f[0], "id", 1, ID_MAX, NO_DEFAULT, &v) != 0)
        return -1;
    bind_i64(be, id, col++, v);
    if (id == ST_TOPIC_PUT) {
        if (field_int(be, im, f[1], "system", 0, ID_MAX, NO_DEFAULT, &v) != 0)
            return -1;
        bind_i64(be, id, col++, v);
        f++;
    }
    bind_text(be, id, col, f[1].ptr, f[1].len);
    return run(be, id);
}

static int subject_row(backend *be, importer *im, const sqlc_field *f)
{
    return taxon_row(be, im, f, ST_SUBJECT_PUT);
}

static int system_row(backend *be, importer *im, const sqlc_field *f)
{
    return taxon_row(be, im, f, ST_SYSTEM_PUT);
}

static int topic_row(backend *be, importer *im, const sqlc_field *f)
{
    return taxon_row(be, im, f, ST_TOPIC_PUT);
}

enum { QC_STEM = 9, QC_OPTION0 = 10, QC_EXPLANATION = 18 };
static const char *const question_columns[] = {
    "id", "subject", "system", "topic", "difficulty", "type", "active", "created_at",
    "correct_option", "stem", "option0", "option1", "option2", "option3", "option4",
    "option5", "option6", "option7", "explanation"};

static int question_row(backend *be, importer *im, const sqlc_field *f)
{
    static const struct { const char *name; int64_t lo, hi, dflt; } nums[] = {
        {"id", 1, ID_MAX, NO_DEFAULT}, {"subject", 0, ID_MAX, 0}, {"system", 0, ID_MAX, 0},
        {"topic", 0, ID_MAX, 0}, {"difficulty", 1, 3, NO_DEFAULT}, {"type", 0, 255, 0},
        {"active", 0, 1, 1}};
    const st_id st = ST_QUESTION_PUT;
    int64_t v;
    for (int i = 0; i < 7; i++) {
        if (field_int(be, im, f[i], nums[i].name, nums[i].lo, nums[i].hi, nums[i].dflt, &v))
            return -1;
        bind_i64(be, st, i + 1, v);   /* id .. active */
    }
    int key;
    if (sqlc_option(f[8], &key) != 0)
        return row_fail(be, im, "correct_option is not 0-7 or a-h");
    int n_options = 0;
    for (int o = 0; o < 8; o++)
        if (f[QC_OPTION0 + o].len)
            n_options = o + 1;
    if (n_options > WL_MAX_OPTIONS)
        return row_fail(be, im, "%d options, the schema holds %d", n_options, WL_MAX_OPTIONS);
    if (field_time(be, im, f[7], "created_at", 0, &v) != 0)
        return -1;
    bind_i64(be, st, 8, key);
    bind_i64(be, st, 9, n_options);
    bind_i64(be, st, 10, v);
    bind_text(be, st, 11, f[QC_STEM].ptr, f[QC_STEM].len);
    bind_text(be, st, 12, f[QC_EXPLANATION].ptr, f[QC_EXPLANATION].len);
    for (int o = 0; o < WL_MAX_OPTIONS; o++) {
        if (o < n_options)
            bind_text(be, st, 13 + o, f[QC_OPTION0 + o].ptr, f[QC_OPTION0 + o].len);
        else
            sqlite3_bind_null(impl(be)->st[st], 13 + o);
    }
    return run(be, st);
}

static const char *const user_columns[] = {"id", "created_at"};

static int user_row(backend *be, importer *im, const sqlc_field *f)
{
    int64_t id, at;
    if (field_int(be, im, f[0], "id", 1, ID_MAX, NO_DEFAULT, &id) != 0 ||
        field_time(be, im, f[1], "created_at", 0, &at) != 0)
        return -1;
    bind_i64(be, ST_USER_PUT, 1, id);
    bind_i64(be, ST_USER_PUT, 2, at);
    return run(be, ST_USER_PUT);
}

static const char *const test_columns[] = {"id", "user", "status", "mode", "created_at",
                                           "last_activity_at", "completed_at", "questions"};

/* The ';'-separated question list as the schema's comma-separated one. */
static int test_questions(backend *be, importer *im, sqlc_field f, char *buf, size_t cap,
                          size_t *len, int64_t *n)
{
    *len = 0;
    *n = 0;
    const char *p = f.ptr, *end = f.ptr + f.len;
    while (p < end) {
        const char *item = p;
        while (p < end && *p != ';')
            p++;
        int64_t q;
        if (field_int(be, im, (sqlc_field){item, (size_t)(p - item)}, "questions item", 1,
                      ID_MAX, NO_DEFAULT, &q) != 0)
            return -1;
        if (*len + 24 > cap)
            return row_fail(be, im, "questions: too many");
        *len += (size_t)snprintf(buf + *len, cap - *len, *n ? ",%lld" : "%lld", (long long)q);
        (*n)++;
        p += p < end;
    }
    return 0;
}

static int test_row(backend *be, importer *im, const sqlc_field *f)
{
    int64_t id, user, created, last, completed, n;
    int status, mode;
    char list[DRAW_MAX * 24];
    size_t len;
    if (field_int(be, im, f[0], "id", 1, ID_MAX, NO_DEFAULT, &id) != 0 ||
        field_int(be, im, f[1], "user", 1, ID_MAX, NO_DEFAULT, &user) != 0 ||
        field_word(be, im, f[2], "status", sqlc_test_status_words, 5, -1, &status) != 0 ||
        field_word(be, im, f[3], "mode", sqlc_mode_words, 3, WL_MODE_TUTOR, &mode) != 0 ||
        field_time(be, im, f[4], "created_at", NO_DEFAULT, &created) != 0 ||
        field_time(be, im, f[5], "last_activity_at", created, &last) != 0 ||
        field_time(be, im, f[6], "completed_at", 0, &completed) != 0 ||
        test_questions(be, im, f[7], list, sizeof list, &len, &n) != 0)
        return -1;
    const int64_t nums[] = {id, user, status, mode, created, last, completed, n};
    for (int i = 0; i < 8; i++)
        bind_i64(be, ST_TEST_PUT, i + 1, nums[i]);
    bind_text(be, ST_TEST_PUT, 9, list, len);
    return run(be, ST_TEST_PUT);
}

static const char *const answer_columns[] = {"test", "question", "user", "correct", "chosen",
                                             "status", "score", "time_spent_ms", "created_at"};

static int answer_row(backend *be, importer *im, const sqlc_field *f)
{
    const st_id st = ST_ANSWER_IMPORT;
    sqlite3_stmt *stmt = impl(be)->st[st];
    int64_t test, question, user = 0, correct = -1, score, spent, at;
    int chosen = -1, status;
    if (field_int(be, im, f[0], "test", 1, ID_MAX, NO_DEFAULT, &test) != 0 ||
        field_int(be, im, f[1], "question", 1, ID_MAX, NO_DEFAULT, &question) != 0 ||
        field_int(be, im, f[2], "user", 1, ID_MAX, 0, &user) != 0 ||
        field_int(be, im, f[3], "correct", 0, 1, -1, &correct) != 0 ||
        field_int(be, im, f[6], "score", 10, 90, 0, &score) != 0 ||
        field_int(be, im, f[7], "time_spent_ms", 0, UINT32_MAX, 0, &spent) != 0 ||
        field_time(be, im, f[8], "created_at", NO_DEFAULT, &at) != 0)
        return -1;
    if (f[4].len && sqlc_option(f[4], &chosen) != 0)
        return row_fail(be, im, "chosen is not 0-7 or a-h");
    int graded = correct < 0;
    int dflt = chosen < 0 && graded ? WL_SKIPPED : WL_ANSWERED;
    if (field_word(be, im, f[5], "status", sqlc_answer_status_words, 4, dflt, &status) != 0)
        return -1;
    if (status != WL_SKIPPED && chosen < 0 && graded)
        return row_fail(be, im, "an answer that is not skipped needs chosen or correct");
    if (status == WL_SKIPPED && correct == 1)
        return row_fail(be, im, "a skipped answer cannot be correct");

    bind_i64(be, st, 1, test);
    bind_i64(be, st, 2, question);
    if (user)
        bind_i64(be, st, 3, user);
    else
        sqlite3_bind_null(stmt, 3);
    if (graded)
        sqlite3_bind_null(stmt, 4);
    else
        bind_i64(be, st, 4, correct);
    const int64_t rest[] = {chosen, status, score, spent, at};
    for (int i = 0; i < 5; i++)
        bind_i64(be, st, 5 + i, rest[i]);
    if (run(be, st) != 0)
        return -1;
    if (sqlite3_changes(impl(be)->db) == 1) {
        im->answers++;
        return 0;
    }
    /* nothing inserted: a duplicate (skipped, as answer_submit does), or an unknown
     * question */
    int64_t topic;
    bind_i64(be, ST_QUESTION_TOPIC, 1, question);
    int rc = select_int(be, ST_QUESTION_TOPIC, &topic);
    return rc == 0 ? row_fail(be, im, "question %lld is not in the bank", (long long)question)
                   : rc < 0 ? -1 : 0;
}

static const char *const interaction_columns[] = {"user", "action", "created_at", "payload"};

static int interaction_row(backend *be, importer *im, const sqlc_field *f)
{
    int64_t user, at;
    int action;
    if (field_int(be, im, f[0], "user", 1, ID_MAX, NO_DEFAULT, &user) != 0 ||
        field_time(be, im, f[2], "created_at", NO_DEFAULT, &at) != 0)
        return -1;
    if (sqlc_action(f[1], &action) != 0)
        return row_fail(be, im, "action '%.*s' is not known", (int)(f[1].len > 40 ? 40 : f[1].len),
                        f[1].ptr);
    bind_i64(be, ST_INTERACTION_ADD, 1, user);
    bind_i64(be, ST_INTERACTION_ADD, 2, action);
    bind_i64(be, ST_INTERACTION_ADD, 3, at);
    bind_text(be, ST_INTERACTION_ADD, 4, f[3].ptr, f[3].len);
    return run(be, ST_INTERACTION_ADD);
}

#define KIND(file, cols, required, fn) {file, cols, sizeof cols / sizeof cols[0], required, fn}

static const csv_kind csv_kinds[] = {
    KIND("subjects.csv", taxon_columns, 0x1, subject_row),
    KIND("systems.csv", taxon_columns, 0x1, system_row),
    KIND("topics.csv", topic_columns, 0x3, topic_row),
    KIND("questions.csv", question_columns, 0x111, question_row),
    KIND("users.csv", user_columns, 0x1, user_row),
    KIND("tests.csv", test_columns, 0x17, test_row),
    KIND("answers.csv", answer_columns, 0x103, answer_row),
    KIND("interactions.csv", interaction_columns, 0x7, interaction_row),
};

static int import_file(backend *be, const char *dir, const csv_kind *k, importer *im)
{
    char path[PATH_MAX], err[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/%s", dir, k->file);
    sqlc_csv *f;
    if (sqlc_csv_open(path, &f, err, sizeof err) != 0)
        return bk_fail(be, "bulk_import: %s", err);
    int map[MAX_CSV_FIELDS];
    for (int i = 0; i < k->n_columns; i++) {
        map[i] = sqlc_csv_column(f, k->columns[i]);
        if (map[i] < 0 && (k->required >> i & 1)) {
            sqlc_csv_close(f);
            return bk_fail(be, "bulk_import: %s: no column '%s'", path, k->columns[i]);
        }
    }
    im->path = path;
    sqlc_field rec[MAX_CSV_FIELDS], row[MAX_CSV_FIELDS];
    size_t n;
    int rc;
    while ((rc = sqlc_csv_next(f, rec, MAX_CSV_FIELDS, &n, err, sizeof err)) == 1) {
        im->line = sqlc_csv_line(f);
        for (int i = 0; i < k->n_columns; i++)
            row[i] = map[i] >= 0 && (size_t)map[i] < n ? rec[map[i]] : (sqlc_field){"", 0};
        if (k->row(be, im, row) != 0)
            break;
    }
    if (rc < 0)
        bk_fail(be, "bulk_import: %s", err);
    sqlc_csv_close(f);
    return rc == 0 ? 0 : -1;
}

/* Every aggregate answer_submit keeps, from the answer rows. user_question's
 * last_correct is the correct of the newest answer by (created_at, id). */
static const char aggregate_sql[] =
    "INSERT INTO user_daily (user_id, day, answers, correct, time_ms)"
    " SELECT user_id, " DAY_OF("created_at") ", count(*), sum(correct), sum(time_spent_ms)"
    " FROM answer GROUP BY 1, 2;"
    "INSERT INTO user_topic (user_id, topic_id, attempts, correct, last_at)"
    " SELECT user_id, topic_id, count(*), sum(correct), max(created_at)"
    " FROM answer GROUP BY user_id, topic_id;"
    "INSERT INTO user_question (user_id, question_id, attempts, last_correct, marked, last_at)"
    " SELECT user_id, question_id, n, correct, marked, created_at FROM"
    " (SELECT user_id, question_id, correct, created_at, row_number() OVER w AS rn,"
    " count(*) OVER w AS n, max(status = 3) OVER w AS marked FROM answer"
    " WINDOW w AS (PARTITION BY user_id, question_id ORDER BY created_at DESC, id DESC"
    " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))"
    " WHERE rn = 1;"
    "INSERT INTO question_stats (question_id, attempts, correct, users, score_sum, time_sum)"
    " SELECT question_id, count(*), sum(correct), count(DISTINCT user_id), sum(score),"
    " sum(time_spent_ms) FROM answer GROUP BY question_id;"
    "UPDATE test SET last_activity_at = a.last_at"
    " FROM (SELECT test_id, max(created_at) AS last_at FROM answer GROUP BY test_id) AS a"
    " WHERE test.id = a.test_id AND a.last_at > test.last_activity_at;"
    "CREATE INDEX answer_by_user ON answer (user_id, created_at, id);"
    "INSERT INTO user_summary (user_id, answered, correct, time_ms, first_at, last_at,"
    " streak, best_streak)"
    " SELECT d.user_id, d.answered, d.correct, d.time_ms, r.first_at, r.last_at, 0, 0"
    " FROM (SELECT user_id, sum(answers) AS answered, sum(correct) AS correct,"
    " sum(time_ms) AS time_ms FROM user_daily GROUP BY user_id) AS d"
    " JOIN (SELECT user_id, min(created_at) AS first_at, max(created_at) AS last_at"
    " FROM answer GROUP BY user_id) AS r USING (user_id);"
    "INSERT INTO user_summary (user_id, answered, correct, time_ms, first_at, last_at,"
    " streak, best_streak) SELECT id, 0, 0, 0, NULL, NULL, 0, 0 FROM users WHERE true"
    " ON CONFLICT (user_id) DO NOTHING;";

/* Streaks of every user, from user_daily in key order. */
static int import_streaks(backend *be)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT user_id, day FROM user_daily ORDER BY user_id, day";
    if (sqlite3_prepare_v2(impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(be, "streaks");
    sqlc_streak acc = {0};
    int64_t user = -1;
    int rc, failed = 0;
    while (!failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t u = sqlite3_column_int64(st, 0);
        if (u != user && user >= 0) {
            bind_i64(be, ST_STREAK_SET, 1, user);
            bind_i64(be, ST_STREAK_SET, 2, acc.streak);
            bind_i64(be, ST_STREAK_SET, 3, acc.best);
            failed = run(be, ST_STREAK_SET) != 0;
            memset(&acc, 0, sizeof acc);
        }
        user = u;
        sqlc_streak_add(&acc, sqlite3_column_int64(st, 1));
    }
    if (!failed && rc != SQLITE_DONE)
        failed = db_fail(be, "streaks") != 0;
    sqlite3_finalize(st);
    if (failed || user < 0)
        return failed ? -1 : 0;
    bind_i64(be, ST_STREAK_SET, 1, user);
    bind_i64(be, ST_STREAK_SET, 2, acc.streak);
    bind_i64(be, ST_STREAK_SET, 3, acc.best);
    return run(be, ST_STREAK_SET);
}

static int import_all(backend *be, const char *dir, importer *im)
{
    if (exec(be, drop_index_sql, "bulk_import: dropping indexes") != 0)
        return -1;
    for (size_t i = 0; i < sizeof csv_kinds / sizeof csv_kinds[0]; i++)
        if (import_file(be, dir, &csv_kinds[i], im) != 0)
            return -1;
    if (exec(be, aggregate_sql, "bulk_import: aggregates") != 0 || import_streaks(be) != 0 ||
        exec(be, index_sql, "bulk_import: indexes") != 0)
        return -1;
    return impl(be)->pooled ? build_pools(be) : 0;
}

/* Whether the store holds any row that bulk_import would write. */
static int store_empty(backend *be, int *empty)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT NOT EXISTS (SELECT 1 FROM question) AND NOT EXISTS"
                      " (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM answer)";
    if (sqlite3_prepare_v2(impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(be, "bulk_import");
    int rc = sqlite3_step(st);
    *empty = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(be, "bulk_import");
}

static int sq_checkpoint(backend *be)
{
    return exec(be, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
}

static int sq_bulk_import(backend *be, const char *csv_dir, uint64_t *answers)
{
    char settings[128];
    importer im = {0};
    int empty;
    *answers = 0;
    if (store_empty(be, &empty) != 0)
        return -1;
    if (!empty)
        return bk_fail(be, "bulk_import: the store is not empty");
    snprintf(settings, sizeof settings, "PRAGMA cache_size = -%d", IMPORT_CACHE_KIB);
    int rc = exec(be, "PRAGMA journal_mode = TRUNCATE", "bulk_import: journal") != 0 ||
                     exec(be, settings, "bulk_import: settings") != 0 ||
                     exec(be, "BEGIN IMMEDIATE", "bulk_import") != 0
                 ? -1 : 0;
    if (rc == 0 && (rc = import_all(be, csv_dir, &im)) != 0)
        sqlite3_exec(impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
    if (rc == 0)
        rc = exec(be, "COMMIT", "bulk_import: commit");
    /* back to the settings of every connection, whatever happened */
    snprintf(settings, sizeof settings, "PRAGMA cache_size = -%d", CACHE_KIB);
    if ((exec(be, settings, "bulk_import: settings") != 0 || set_wal(be) != 0) && rc == 0)
        rc = -1;
    *answers = rc == 0 ? im.answers : 0;
    return rc;
}

/* ===================================================================== */
/* The backends                                                           */

#define SQLITE_OPS(ops_name, label, open_fn, only)                                      \
    const backend_ops ops_name = {                                                      \
        .name = label,                                                                  \
        .open = open_fn,                                                                \
        .close = sq_close,                                                              \
        .clone = sq_clone,                                                              \
        .load_bank = sq_load_bank,                                                      \
        .begin = sq_begin,                                                              \
        .commit = sq_commit,                                                            \
        .put_test = sq_put_test,                                                        \
        .answer_submit = sq_answer_submit,                                              \
        .interaction_log = sq_interaction_log,                                          \
        .question_get = sq_question_get,                                                \
        .progress_view = sq_progress_view,                                              \
        .dashboard = sq_dashboard,                                                      \
        .leaderboard = sq_leaderboard,                                                  \
        .history = sq_history,                                                          \
        .test_list = sq_test_list,                                                      \
        .test_create = sq_test_create,                                                  \
        .size_on_disk = sq_size_on_disk,                                                \
        .checkpoint = sq_checkpoint,                                                    \
        .bulk_import = sq_bulk_import,                                                  \
        .draws_only = only,                                                             \
        .history_page = sq_history_page,                                                \
        .table_space = sq_table_space,                                                  \
    }

/* The pool variant draws by the user's record exactly as bk_sqlite_ops does. */
SQLITE_OPS(bk_sqlite_ops, "sqlite", sq_open, 1);
SQLITE_OPS(bk_sqlite_pool_ops, "sqlite-pools", sq_pool_open, 0);
