/* backend_pg_schema.c: the PostgreSQL peer's tables, keys and indexes (backend_pg.h).
 *
 * The tables, keys and indexes are those every SQL peer uses (one table per entity,
 * one per aggregate, composite indexes for each read). They are created without their
 * keys, which come after, so that bulk_import can fill the tables first.
 */
#include "backend_pg.h"

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

int pgb_create_tables(backend *be, const char *op)
{
    for (size_t i = 0; i < N_OF(schema_tables); i++)
        if (pgb_exec(be, op, schema_tables[i]) != 0)
            return -1;
    return 0;
}

int pgb_add_keys(backend *be, const char *op)
{
    for (size_t i = 0; i < N_OF(schema_keys); i++)
        if (pgb_exec(be, op, schema_keys[i]) != 0)
            return -1;
    return 0;
}

static int create_schema(backend *be)
{
    if (pgb_exec(be, "create schema", "BEGIN") != 0)
        return -1;
    if (pgb_create_tables(be, "create schema") != 0 ||
        pgb_add_keys(be, "create schema") != 0)
        goto fail;
    return pgb_exec(be, "create schema", "COMMIT");
fail:
    PQclear(PQexec(pgb_store(be)->conn, "ROLLBACK"));
    return -1;
}

int pgb_ensure_schema(backend *be)
{
    PGresult *res = PQexec(pgb_store(be)->conn,
                           "SELECT to_regclass('interaction') IS NOT NULL");
    if (!pgb_result_ok(res))
        return pgb_fail(be, "open", res);
    int present = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return present ? 0 : create_schema(be);
}
