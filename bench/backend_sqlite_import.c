/* backend_sqlite_import.c: the SQLite peer's bulk_import (backend_sqlite.h).
 *
 * One transaction into the empty store, under a rollback journal (pages appended to
 * an empty database need no journal, and a crash still rolls back to empty); WAL
 * again afterwards. Rows go in through prepared statements in file order
 * (backend_sqlite_rows.c), so answer ids follow the file. The unique (test, question)
 * index stays during the load (it grows at its right edge, and it is what skips
 * duplicates); the other indexes are built after. Every aggregate is then computed in
 * SQL with GROUP BY / window functions, and streaks in C over user_daily in key order:
 * the same rows that answer_submit leaves.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "backend_sqlite.h"

#define IMPORT_CACHE_KIB 2097152  /* page cache while bulk_import runs */
#define MAX_CSV_FIELDS 64

static int import_file(backend *be, const char *dir, const sq_csv_kind *k, sq_importer *im)
{
    char path[PATH_MAX], err[PATH_MAX + 128];
    const sqlc_file *file = &sqlc_files[k->file];
    snprintf(path, sizeof path, "%s/%s", dir, file->name);
    sqlc_csv *f;
    if (sqlc_csv_open(path, &f, err, sizeof err) != 0)
        return bk_fail(be, "bulk_import: %s", err);
    int map[MAX_CSV_FIELDS];
    for (int i = 0; i < file->n_columns; i++) {
        map[i] = sqlc_csv_column(f, file->columns[i]);
        if (map[i] < 0 && (k->required >> i & 1)) {
            sqlc_csv_close(f);
            return bk_fail(be, "bulk_import: %s: no column '%s'", path, file->columns[i]);
        }
    }
    im->path = path;
    sqlc_field rec[MAX_CSV_FIELDS], row[MAX_CSV_FIELDS];
    size_t n;
    int rc;
    while ((rc = sqlc_csv_next(f, rec, MAX_CSV_FIELDS, &n, err, sizeof err)) == 1) {
        im->line = sqlc_csv_line(f);
        for (int i = 0; i < file->n_columns; i++)
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
    " SELECT user_id, " SQ_DAY_OF("created_at") ", count(*), sum(correct), sum(time_spent_ms)"
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
    if (sqlite3_prepare_v2(sq_impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_db_fail(be, "streaks");
    sqlc_streak acc = {0};
    int64_t user = -1;
    int rc, failed = 0;
    while (!failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t u = sqlite3_column_int64(st, 0);
        if (u != user && user >= 0) {
            sq_bind_i64(be, ST_STREAK_SET, 1, user);
            sq_bind_i64(be, ST_STREAK_SET, 2, acc.streak);
            sq_bind_i64(be, ST_STREAK_SET, 3, acc.best);
            failed = sq_run(be, ST_STREAK_SET) != 0;
            memset(&acc, 0, sizeof acc);
        }
        user = u;
        sqlc_streak_add(&acc, sqlite3_column_int64(st, 1));
    }
    if (!failed && rc != SQLITE_DONE)
        failed = sq_db_fail(be, "streaks") != 0;
    sqlite3_finalize(st);
    if (failed || user < 0)
        return failed ? -1 : 0;
    sq_bind_i64(be, ST_STREAK_SET, 1, user);
    sq_bind_i64(be, ST_STREAK_SET, 2, acc.streak);
    sq_bind_i64(be, ST_STREAK_SET, 3, acc.best);
    return sq_run(be, ST_STREAK_SET);
}

static int import_all(backend *be, const char *dir, sq_importer *im)
{
    if (sq_drop_indexes(be) != 0)
        return -1;
    for (int i = 0; i < SQLC_N_FILES; i++)
        if (import_file(be, dir, &sq_csv_kinds[i], im) != 0)
            return -1;
    if (sq_exec(be, aggregate_sql, "bulk_import: aggregates") != 0 || import_streaks(be) != 0 ||
        sq_create_indexes(be) != 0)
        return -1;
    return sq_impl(be)->pooled ? sq_build_pools(be) : 0;
}

/* Whether the store holds any row that bulk_import would write. */
static int store_empty(backend *be, int *empty)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT NOT EXISTS (SELECT 1 FROM question) AND NOT EXISTS"
                      " (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM answer)";
    if (sqlite3_prepare_v2(sq_impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_db_fail(be, "bulk_import");
    int rc = sqlite3_step(st);
    *empty = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : sq_db_fail(be, "bulk_import");
}

int sq_bulk_import(backend *be, const char *csv_dir, uint64_t *answers)
{
    char settings[128];
    sq_importer im = {0};
    int empty;
    *answers = 0;
    if (store_empty(be, &empty) != 0)
        return -1;
    if (!empty)
        return bk_fail(be, "bulk_import: the store is not empty");
    snprintf(settings, sizeof settings, "PRAGMA cache_size = -%d", IMPORT_CACHE_KIB);
    int rc = sq_exec(be, "PRAGMA journal_mode = TRUNCATE", "bulk_import: journal") != 0 ||
                     sq_exec(be, settings, "bulk_import: settings") != 0 ||
                     sq_exec(be, "BEGIN IMMEDIATE", "bulk_import") != 0
                 ? -1 : 0;
    if (rc == 0 && (rc = import_all(be, csv_dir, &im)) != 0)
        sqlite3_exec(sq_impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
    if (rc == 0)
        rc = sq_exec(be, "COMMIT", "bulk_import: commit");
    /* back to the settings of every connection, whatever happened */
    snprintf(settings, sizeof settings, "PRAGMA cache_size = -%d", SQ_CACHE_KIB);
    if ((sq_exec(be, settings, "bulk_import: settings") != 0 || sq_set_wal(be) != 0) && rc == 0)
        rc = -1;
    *answers = rc == 0 ? im.answers : 0;
    return rc;
}
