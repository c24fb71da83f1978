/* backend_pg_txn.c: the PostgreSQL peer's transactions and its answer and interaction ids.
 *
 * A batch's BEGIN and COMMIT, and the answer and interaction ids a failed batch gives
 * back (backend_pg.h).
 */
#include <string.h>

#include "backend_pg.h"

/* The next ids from the store's own maximums (ST_NEXT_IDS), into the counters the
 * handle shares with its clones. */
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
