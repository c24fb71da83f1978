/* backend_pg.c: the PostgreSQL peer of the bench, through libpq: connections and the
 * backend_ops table. backend_pg.h lists the other files.
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
 *   counters (max(id) + 1 on open, backend_pg_txn.c) shared with the handle's clones,
 *   so that concurrent writers never take the same id; a duplicate answer gives its id
 *   back when no other writer took one since.
 * - load_bank() and bulk_import() start the store afresh: the server holds one store.
 */
#include <stdlib.h>
#include <string.h>

#include "backend_pg.h"

#define CONNINFO_ENV "QS_BENCH_PG"

/* ===================================================================== */
/* Open, close, clone                                                     */

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
