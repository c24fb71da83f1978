/* backend_pg.c: the PostgreSQL peer of the bench, through libpq: connections,
 * transactions and the backend_ops table. backend_pg.h lists the other files.
 *
 * The store is the database named by the connection string in QS_BENCH_PG (what
 * `bench/pg.sh env DIR` prints); the directory given to open() is not used, since the
 * server owns its files.
 *
 * - Statements are prepared once per connection and run with binary parameters and
 *   results (backend_pg_stmt.c).
 * - The rare answer that opens a day earlier than the user's last active day gets its
 *   streaks recomputed from user_daily by a second statement.
 * - history runs its second page as a keyset seek after the first page's last row,
 *   inside the same statement.
 * - Answers and interactions are numbered 1, 2, 3 ... in recording order by
 *   counters kept here (max(id) + 1 on open) and shared with the handle's clones, so
 *   that concurrent writers never take the same id; a duplicate answer gives its id
 *   back when no other writer took one since.
 * - load_bank() and bulk_import() start the store afresh: the server holds one store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_pg.h"

#define CONNINFO_ENV "QS_BENCH_PG"

/* ===================================================================== */
/* libpq helpers                                                          */

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

int pgb_fail(backend *be, const char *op, PGresult *res)
{
    char msg[400];
    one_line_error(pgb_store(be)->conn, res, msg, sizeof msg);
    PQclear(res);
    return bk_fail(be, "%s: %s", op, msg);
}

int pgb_result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

int pgb_exec(backend *be, const char *op, const char *sql)
{
    PGresult *res = PQexec(pgb_store(be)->conn, sql);
    if (!pgb_result_ok(res))
        return pgb_fail(be, op, res);
    PQclear(res);
    return 0;
}

int64_t pgb_col_i64(const PGresult *res, int row, int col)
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

/* ===================================================================== */
/* Open, close, clone                                                     */

int pgb_load_next_ids(backend *be)
{
    PGresult *res = pgb_run(be, ST_NEXT_IDS, NULL);
    if (!res)
        return -1;
    atomic_store(&pgb_store(be)->ids->answer, pgb_col_u64(res, 0, 0));
    atomic_store(&pgb_store(be)->ids->interaction, pgb_col_u64(res, 0, 1));
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
    if (pgb_exec(be, "open", commit) != 0 ||
        pgb_exec(be, "open", "SET plan_cache_mode = force_generic_plan") != 0)
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
        return pgb_fail(be, "connect", NULL);
    return configure_session(be, sync);
}

static void pgb_close(backend *be)
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

static int pgb_open(backend *be, const char *dir, bk_sync sync)
{
    (void)dir;
    const char *conninfo = getenv(CONNINFO_ENV);
    if (!conninfo || !*conninfo)
        return bk_fail(be, "open: %s is not set (the connection string that"
                           " `bench/pg.sh env DIR` prints)", CONNINFO_ENV);
    if (connect_store(be, conninfo, sync, NULL) != 0 || pgb_ensure_schema(be) != 0 ||
        pgb_prepare_all(be) != 0 || pgb_load_next_ids(be) != 0) {
        pgb_close(be);
        return -1;
    }
    return 0;
}

static backend *pgb_clone(backend *be)
{
    pg_store *p = pgb_store(be);
    backend *c = bk_new(be->ops);
    if (!c)
        return NULL;
    if (connect_store(c, p->conninfo, p->sync, p->ids) != 0 || pgb_prepare_all(c) != 0) {
        bk_free(c);
        return NULL;
    }
    return c;
}

/* ===================================================================== */
/* Transactions                                                           */

int pgb_begin(backend *be)
{
    if (pgb_exec(be, "begin", "BEGIN") != 0)
        return -1;
    pgb_store(be)->in_batch = 1;
    return 0;
}

/* After a failed batch the ids of its answers were not used. */
void pgb_forget_batch(backend *be)
{
    char keep[sizeof be->err];
    memcpy(keep, be->err, sizeof keep);
    PQclear(PQexec(pgb_store(be)->conn, "ROLLBACK"));
    pgb_load_next_ids(be);
    memcpy(be->err, keep, sizeof keep);
}

int pgb_commit(backend *be)
{
    pg_store *p = pgb_store(be);
    p->in_batch = 0;
    PGresult *res = PQexec(p->conn, "COMMIT");
    if (!pgb_result_ok(res)) {
        pgb_fail(be, "commit", res);
        pgb_forget_batch(be);
        return -1;
    }
    /* COMMIT of a transaction that failed earlier reports ROLLBACK. */
    int rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
    PQclear(res);
    if (rolled_back) {
        bk_fail(be, "commit: the batch failed earlier and was rolled back");
        pgb_forget_batch(be);
        return -1;
    }
    return 0;
}

static int pgb_checkpoint(backend *be)
{
    return pgb_exec(be, "checkpoint", "CHECKPOINT");
}

const backend_ops bk_postgres_ops = {
    .name = "postgres",
    .open = pgb_open,
    .close = pgb_close,
    .clone = pgb_clone,
    .load_bank = pgb_load_bank,
    .begin = pgb_begin,
    .commit = pgb_commit,
    .put_test = pgb_put_test,
    .answer_submit = pgb_answer_submit,
    .interaction_log = pgb_interaction_log,
    .question_get = pgb_question_get,
    .progress_view = pgb_progress_view,
    .dashboard = pgb_dashboard,
    .leaderboard = pgb_leaderboard,
    .history = pgb_history,
    .test_list = pgb_test_list,
    .test_create = pgb_test_create,
    .size_on_disk = pgb_size_on_disk,
    .checkpoint = pgb_checkpoint,
    .bulk_import = pgb_bulk_import,
};
