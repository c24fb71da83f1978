/* backend_pg.h: what the files of the PostgreSQL peer share (backend.h is its
 * interface; backend_pg.c describes the store and how it is driven).
 *
 *   backend_pg_libpq.c   libpq helpers: failures, simple commands, binary columns
 *   backend_pg_schema.c  tables, keys and indexes (DDL)
 *   backend_pg_stmt.c    the prepared statements: their SQL, preparing and running them
 *   backend_pg_txn.c     transactions, and the answer and interaction ids
 *   backend_pg_ops.c     the workload's ops: put_test, answer_submit, interaction_log,
 *                        the reads, test_create, size_on_disk
 *   backend_pg_copy.c    COPY FROM STDIN, and load_bank through it
 *   backend_pg_import.c  bulk_import: the CSV files into staging tables, then SQL
 *   backend_pg.c         connections, the backend_ops table
 *
 * Each file calls only those listed before it.
 *
 * Functions return 0 on success and -1 after bk_fail() (be->err), as backend.h's do.
 */
#ifndef QS_BENCH_BACKEND_PG_H
#define QS_BENCH_BACKEND_PG_H

#include <stdatomic.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "backend.h"
#include "sql_common.h"

#define PGB_MAX_PARAMS 12
#define PGB_COPY_CHUNK (1u << 20)

/* The UTC day of a time in ms, rounded down also before 1970: an SQL expression. */
#define PGB_SQL_DAY(x) "(" x " / 86400000 - (" x " % 86400000 < 0)::int)"

#define PGB_ALL_TABLES                                                                  \
    "subject, system, topic, question, users, test, answer, question_stats,"           \
    " user_summary, user_topic, user_daily, user_question, interaction"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

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

static inline pg_store *pgb_store(backend *be)
{
    return be->impl;
}

/* ------------------------------------------------------------ libpq (_libpq.c) */

/* Record why @p op failed, clear @p res (NULL is fine); returns -1. */
int pgb_fail(backend *be, const char *op, PGresult *res);
int pgb_result_ok(const PGresult *res);
/* Run one simple (unprepared) command: DDL, transaction control, settings. */
int pgb_exec(backend *be, const char *op, const char *sql);

/* An integer column of a binary result (int2, int4, int8 or bool); NULL reads 0. */
int64_t pgb_col_i64(const PGresult *res, int row, int col);

static inline uint64_t pgb_col_u64(const PGresult *res, int row, int col)
{
    return (uint64_t)pgb_col_i64(res, row, col);
}

/* ------------------------------------------------------------ transactions (_txn.c) */

int pgb_begin(backend *be);
int pgb_commit(backend *be);
/* Roll the open transaction back; the ids its answers took are given back. */
void pgb_forget_batch(backend *be);
/* Continue the answer and interaction numbering where the store ends. */
int pgb_load_next_ids(backend *be);

/* ------------------------------------------------------------ schema (_schema.c) */

/* The tables, keys and indexes, unless the store has them. */
int pgb_ensure_schema(backend *be);
/* The tables without their keys, so that a bulk load can fill them first; then the
 * keys and indexes. In the caller's transaction. */
int pgb_create_tables(backend *be, const char *op);
int pgb_add_keys(backend *be, const char *op);

/* ------------------------------------------------------------ statements (_stmt.c) */

/* The prepared statements; their SQL and parameter types are in backend_pg_stmt.c. */
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

/* Parameters of a prepared statement, all in binary. */
typedef struct args {
    int n;
    unsigned char be64[PGB_MAX_PARAMS][8];
    const char *val[PGB_MAX_PARAMS];
    int len[PGB_MAX_PARAMS];
    int fmt[PGB_MAX_PARAMS];
} args;

static inline void arg_i64(args *a, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        a->be64[a->n][i] = (unsigned char)(u >> (56 - 8 * i));
    a->val[a->n] = (const char *)a->be64[a->n];
    a->len[a->n] = 8;
    a->fmt[a->n] = 1;
    a->n++;
}

/* The text must outlive the call that sends it. */
static inline void arg_text(args *a, const char *s, size_t len)
{
    a->val[a->n] = s;
    a->len[a->n] = (int)len;
    a->fmt[a->n] = 1;
    a->n++;
}

int pgb_prepare_all(backend *be);
/* Execute prepared statement @p s (@p a NULL: no parameters), results in binary;
 * NULL after recording the failure. */
PGresult *pgb_run(backend *be, enum stmt s, const args *a);

/* ------------------------------------------------------------ COPY (_copy.c) */

/* Start `COPY ... FROM STDIN` on the connection. */
int pgb_copy_begin(backend *be, const char *op, const char *sql);
/* End the COPY (abandoning it when @p abandon); *rows gets the rows copied (NULL is
 * fine). */
int pgb_copy_end(backend *be, const char *op, int abandon, uint64_t *rows);
/* COPY the file @p path as it is, with the statement @p sql (started here). */
int pgb_copy_file(backend *be, const char *path, const char *op, const char *sql,
                  uint64_t *rows);

/* ------------------------------------------------------------ operations */

int pgb_load_bank(backend *be, const wl_gen *g);
int pgb_put_test(backend *be, const wl_test *t);
int pgb_answer_submit(backend *be, const wl_answer *a);
int pgb_interaction_log(backend *be, const wl_interaction *ix);
int pgb_question_get(backend *be, uint32_t question, bk_result *out);
int pgb_progress_view(backend *be, uint32_t user, bk_result *out);
int pgb_dashboard(backend *be, uint32_t user, int64_t now, bk_result *out);
int pgb_leaderboard(backend *be, uint32_t user, bk_result *out);
int pgb_history(backend *be, uint32_t user, bk_result *out);
int pgb_test_list(backend *be, uint32_t user, bk_result *out);
int pgb_test_create(backend *be, const bk_draw_args *d, bk_result *out);
int pgb_size_on_disk(backend *be, uint64_t *bytes);
int pgb_bulk_import(backend *be, const char *csv_dir, uint64_t *answers);

#endif /* QS_BENCH_BACKEND_PG_H */
