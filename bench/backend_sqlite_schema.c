/* backend_sqlite_schema.c: the SQLite peer's tables and indexes (backend_sqlite.h).
 *
 * The peers' common schema with SQLite's types: the single-column integer keys are
 * INTEGER PRIMARY KEY (the rowid, so answer ids are assigned 1, 2, 3 ... in recording
 * order), and the per-user aggregate tables with composite keys (user_topic,
 * user_daily, user_question) and the pool tables are WITHOUT ROWID, so a lookup by key
 * is one B-tree descent.
 */
#include "backend_sqlite.h"

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

int sq_create_schema(backend *be)
{
    if (sq_exec(be, "BEGIN IMMEDIATE", "schema") != 0)
        return -1;
    if (sq_exec(be, schema_sql, "schema") != 0 || sq_exec(be, index_sql, "schema") != 0) {
        sqlite3_exec(sq_impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return sq_exec(be, "COMMIT", "schema");
}

int sq_drop_indexes(backend *be)
{
    return sq_exec(be, drop_index_sql, "bulk_import: dropping indexes");
}

int sq_create_indexes(backend *be)
{
    return sq_exec(be, index_sql, "bulk_import: indexes");
}

int sq_build_pools(backend *be)
{
    return sq_exec(be, pool_sql, "pool tables");
}

int sq_ensure_pools(backend *be)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT EXISTS (SELECT 1 FROM question)"
                      " AND (NOT EXISTS (SELECT 1 FROM question_pool)"
                      " OR NOT EXISTS (SELECT 1 FROM system_pool)"
                      " OR NOT EXISTS (SELECT 1 FROM bank_pool))";
    if (sqlite3_prepare_v2(sq_impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_db_fail(be, "pool check");
    int missing = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!missing)
        return 0;
    if (sq_exec(be, "BEGIN IMMEDIATE", "pool tables") != 0)
        return -1;
    if (sq_build_pools(be) != 0) {
        sqlite3_exec(sq_impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return sq_exec(be, "COMMIT", "pool tables");
}
