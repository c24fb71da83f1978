/* backend_sqlite_txn.c: the SQLite peer's transactions, and the WAL journal they run in.
 *
 * - begin/commit run BEGIN IMMEDIATE / COMMIT around a batch; the handles of one store
 *   in this process (a handle and its clones) take a shared mutex first. A write op
 *   called outside a batch runs in its own transaction. A write op that fails rolls
 *   back the whole open transaction, so nothing half-recorded can be committed.
 * - Reads made of one statement (question_get, progress_view, test_list) run in that
 *   statement's autocommit read transaction; the others (dashboard, leaderboard,
 *   history) wrap their statements in BEGIN ... COMMIT, one snapshot.
 */
#include <string.h>

#include "backend_sqlite.h"

int sq_read_begin(backend *be, int *own)
{
    *own = sqlite3_get_autocommit(sq_impl(be)->db);
    return *own ? sq_run(be, ST_BEGIN_READ) : 0;
}

int sq_read_end(backend *be, int own, int rc)
{
    if (!own)
        return rc;
    if (rc != 0) {
        sqlite3_exec(sq_impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return sq_run(be, ST_COMMIT);
}

/* Writers of one process queue on the store's mutex before BEGIN IMMEDIATE: SQLite
 * admits one writer at a time, and its busy handler, left to other processes, sleeps
 * 1 to 100 ms between tries where a mutex hands over at once. */
int sq_write_txn_begin(backend *be)
{
    sq *s = sq_impl(be);
    if (!s->holds_writer) {
        pthread_mutex_lock(s->writer);
        s->holds_writer = 1;
    }
    int rc = sq_run(be, ST_BEGIN_WRITE);
    if (rc != 0) {
        pthread_mutex_unlock(s->writer);
        s->holds_writer = 0;
    }
    return rc;
}

/* Let the next writer in once the transaction has ended, committed or not. */
void sq_write_txn_ended(backend *be)
{
    sq *s = sq_impl(be);
    if (s->holds_writer && sqlite3_get_autocommit(s->db)) {
        pthread_mutex_unlock(s->writer);
        s->holds_writer = 0;
    }
}

int sq_write_begin(backend *be, int *own)
{
    *own = sqlite3_get_autocommit(sq_impl(be)->db);
    return *own ? sq_write_txn_begin(be) : 0;
}

/* A failed write rolls back the whole open transaction (its own, or the caller's
 * batch, whose commit then fails): nothing half-recorded reaches the disk. */
int sq_write_end(backend *be, int own, int rc)
{
    if (rc != 0) {
        if (!sqlite3_get_autocommit(sq_impl(be)->db))
            sqlite3_exec(sq_impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
        sq_write_txn_ended(be);
        return rc;
    }
    if (own) {
        rc = sq_run(be, ST_COMMIT);
        sq_write_txn_ended(be);
    }
    return rc;
}

/* Every connection's journal; bulk_import returns to it after its load. */
int sq_set_wal(backend *be)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sq_impl(be)->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) !=
        SQLITE_OK)
        return sq_db_fail(be, "journal_mode");
    int ok = sqlite3_step(st) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    return ok ? 0 : bk_fail(be, "journal_mode: WAL refused");
}
