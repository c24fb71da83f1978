/* backend_sqlite.c: the SQLite peer of the bench (backend.h): connections and the
 * backend_ops tables. backend_sqlite.h lists the other files.
 *
 * One database file, <dir>/bench.sqlite (backend_sqlite_schema.c has its tables).
 *
 * Settings: WAL; synchronous=FULL for BK_SYNC_DURABLE and NORMAL for BK_SYNC_LAZY
 * (WAL + NORMAL keeps integrity on a power cut and may lose the last commits);
 * SQLite's automatic checkpoint every 1000 pages, in the committing connection;
 * journal_size_limit 16 MiB; a 512 MiB page cache, mmap of up to 2 GiB (the library's
 * ceiling), temp_store=MEMORY, secure_delete off.
 *
 * Transactions: backend_sqlite_txn.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend_sqlite.h"

#define MMAP_BYTES 2147418112LL   /* SQLITE_MAX_MMAP_SIZE of common builds */
#define BUSY_MS 60000
#define WAL_LIMIT_BYTES (16 << 20) /* the WAL shrinks back to this after a checkpoint */

/* ===================================================================== */
/* Connections                                                            */

static void sq_close(backend *be)
{
    sq *s = sq_impl(be);
    if (!s)
        return;
    sq_finalize_all(be);
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
    sq *s = sq_impl(be);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK)
        return sq_db_fail(be, s->path);
    sqlite3_busy_timeout(s->db, BUSY_MS);
    char sql[256];
    snprintf(sql, sizeof sql,
             "PRAGMA cache_size = -%d; PRAGMA mmap_size = %lld; PRAGMA temp_store = MEMORY;"
             " PRAGMA secure_delete = OFF; PRAGMA journal_size_limit = %d;",
             SQ_CACHE_KIB, MMAP_BYTES, WAL_LIMIT_BYTES);
    return sq_exec(be, sql, "settings");
}

static int set_sync(backend *be, bk_sync sync)
{
    return sq_exec(be, sync == BK_SYNC_DURABLE ? "PRAGMA synchronous = FULL"
                                            : "PRAGMA synchronous = NORMAL",
                "synchronous");
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
    if ((size_t)snprintf(s->path, sizeof s->path, "%s/%s", dir, SQ_DB_FILE) >= sizeof s->path) {
        sq_close(be);
        return bk_fail(be, "%s: path too long", dir);
    }
    if (connect_db(be, 1) != 0 || sq_set_wal(be) != 0 || set_sync(be, sync) != 0 ||
        sq_create_schema(be) != 0 || sq_prepare_all(be) != 0 ||
        (pooled && sq_ensure_pools(be) != 0)) {
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
    s->pooled = sq_impl(be)->pooled;
    s->sync = sq_impl(be)->sync;
    s->writer = sq_impl(be)->writer;
    memcpy(s->path, sq_impl(be)->path, sizeof s->path);
    if (connect_db(c, 0) != 0 || set_sync(c, s->sync) != 0 || sq_prepare_all(c) != 0) {
        snprintf(be->err, sizeof be->err, "%s", c->err);
        bk_free(c);
        return NULL;
    }
    return c;
}

static int sq_begin(backend *be)
{
    return sq_write_txn_begin(be);
}

static int sq_commit(backend *be)
{
    int rc = sq_run(be, ST_COMMIT);
    sq_write_txn_ended(be);
    return rc;
}

static int sq_checkpoint(backend *be)
{
    return sq_exec(be, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
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
