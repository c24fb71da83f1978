/* backend_sqlite.h: what the files of the SQLite peer share (backend.h is its
 * interface; backend_sqlite.c describes the store and its settings).
 *
 *   backend_sqlite_stmt.c    the prepared statements: their SQL, prepare/finalize, stepping
 *   backend_sqlite_txn.c     read and write transactions, the writer mutex, the WAL journal
 *   backend_sqlite_schema.c  tables, indexes and the pool tables (DDL)
 *   backend_sqlite_write.c   loading and the writes: load_bank, put_test, answer_submit,
 *                            interaction_log
 *   backend_sqlite_read.c    the reads: question_get .. test_list, history_page
 *   backend_sqlite_draw.c    test_create: ORDER BY random() draws, or the pools
 *   backend_sqlite_space.c   size_on_disk and table_space
 *   backend_sqlite_rows.c    bulk_import: each CSV file's rows, checked and bound
 *   backend_sqlite_import.c  bulk_import: the load, the aggregates, the indexes
 *   backend_sqlite.c         connections, the two backend_ops tables
 *
 * Each file calls only those listed before it.
 *
 * Functions return 0 on success and -1 after bk_fail() (be->err), as backend.h's do.
 */
#ifndef QS_BENCH_BACKEND_SQLITE_H
#define QS_BENCH_BACKEND_SQLITE_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "backend.h"
#include "sql_common.h"

#define SQ_DB_FILE "bench.sqlite"
#define SQ_CACHE_KIB 524288          /* page cache per connection */
#define SQ_DRAW_MAX 256              /* questions one test_create draws at most */

/* The UTC day of a time column (floor division): an SQL expression. */
#define SQ_DAY_OF(col) "(" col " / 86400000 - (" col " % 86400000 < 0))"

/* The prepared statements, by what they serve; their SQL is in backend_sqlite_stmt.c. */
typedef enum st_id {
    ST_BEGIN_READ, ST_BEGIN_WRITE, ST_COMMIT, ST_ROLLBACK,
    /* loading */
    ST_SUBJECT_PUT, ST_SYSTEM_PUT, ST_TOPIC_PUT, ST_QUESTION_PUT, ST_USER_PUT,
    ST_SUMMARY_IDLE, ST_TEST_PUT, ST_INTERACTION_ADD,
    /* answer_submit */
    ST_QUESTION_TOPIC, ST_ANSWER_PUT, ST_USER_QUESTION_NEW, ST_USER_QUESTION_AGAIN,
    ST_QUESTION_STATS_ADD, ST_USER_TOPIC_ADD, ST_USER_DAILY_ADD, ST_USER_SUMMARY_ADD,
    ST_SUMMARY_LAST, ST_DAY_EXISTS, ST_USER_DAYS, ST_STREAK_SET, ST_TEST_TOUCH,
    /* reads */
    ST_QUESTION_GET, ST_PROGRESS, ST_SUMMARY_GET, ST_DAILY_RANGE, ST_BOARD_TOP,
    ST_BOARD_RANK, ST_HISTORY_FIRST, ST_HISTORY_NEXT, ST_TEST_LIST,
    /* test_create */
    ST_DRAW_FILTER, ST_DRAW_ADAPTIVE, ST_DRAW_WEAK, ST_WEAK_TOPICS, ST_DRAW_ALL,
    ST_POOL_SIZE, ST_POOL_WINDOW, ST_SYSTEM_POOL_SIZE, ST_SYSTEM_POOL_WINDOW,
    ST_BANK_POOL_SIZE, ST_BANK_POOL_WINDOW, ST_BANK_POOL_WEAK_WINDOW, ST_TEST_NEW,
    /* bulk_import */
    ST_ANSWER_IMPORT,
    ST_COUNT
} st_id;

typedef struct sq {
    sqlite3 *db;
    int pooled;              /* FILTER and ADAPTIVE draws walk the pool tables */
    bk_sync sync;            /* synchronous is per connection: clones take it over */
    pthread_mutex_t *writer; /* the store's writers in this process, shared with clones */
    int owns_writer, holds_writer;
    char path[PATH_MAX];
    sqlite3_stmt *st[ST_COUNT];
} sq;

static inline sq *sq_impl(backend *be)
{
    return be->impl;
}

/* ------------------------------------------------------------ statements (_stmt.c) */

int sq_prepare_all(backend *be);
void sq_finalize_all(backend *be);

/* Record SQLite's message for @p what; -1. */
int sq_db_fail(backend *be, const char *what);
/* Run @p sql (any number of statements) outside the prepared ones. */
int sq_exec(backend *be, const char *sql, const char *what);
/* Step @p id to the end, then reset it. */
int sq_run(backend *be, st_id id);
/* The first step of @p id: 1 with a row (the caller reads and resets), 0 when there
 * is none (reset done), -1 on failure (reset done). */
int sq_first_row(backend *be, st_id id);
/* The next step of a statement that returned rows: 1, 0 (reset done) or -1. */
int sq_next_row(backend *be, st_id id);
/* One row of one integer column from @p id (bound already): 1 with it, 0 without. */
int sq_select_int(backend *be, st_id id, int64_t *out);

static inline void sq_bind_i64(backend *be, st_id id, int col, int64_t v)
{
    sqlite3_bind_int64(sq_impl(be)->st[id], col, v);
}

/* The text must outlive the statement's next reset (SQLITE_STATIC). */
static inline void sq_bind_text(backend *be, st_id id, int col, const char *p, size_t len)
{
    sqlite3_bind_text(sq_impl(be)->st[id], col, p, (int)len, SQLITE_STATIC);
}

static inline int64_t sq_col_i64(backend *be, st_id id, int col)
{
    return sqlite3_column_int64(sq_impl(be)->st[id], col);
}

static inline void sq_put_col_u(backend *be, st_id id, int col, bk_result *out)
{
    bk_put_u64(out, (uint64_t)sq_col_i64(be, id, col));
}

/* ------------------------------------------------------------ transactions (_txn.c) */

/* A read transaction when none is open; *own says whether this call opened it. */
int sq_read_begin(backend *be, int *own);
int sq_read_end(backend *be, int own, int rc);
/* A write transaction when none is open (else the caller's batch). */
int sq_write_begin(backend *be, int *own);
/* A failed write rolls back the whole open transaction; @return @p rc, or the
 * commit's failure. */
int sq_write_end(backend *be, int own, int rc);
/* BEGIN IMMEDIATE behind the store's writer mutex, and its release. */
int sq_write_txn_begin(backend *be);
void sq_write_txn_ended(backend *be);
/* journal_mode WAL, or a failure. */
int sq_set_wal(backend *be);

/* ------------------------------------------------------------ schema (_schema.c) */

/* The tables and indexes, in one transaction; nothing changes in a store that has
 * them. */
int sq_create_schema(backend *be);
/* The secondary indexes, dropped before a bulk load and built after it. */
int sq_drop_indexes(backend *be);
int sq_create_indexes(backend *be);
/* The pool tables from the bank, in the caller's transaction; and in a transaction of
 * their own for a pooled handle on a store loaded without them. */
int sq_build_pools(backend *be);
int sq_ensure_pools(backend *be);

/* ------------------------------------------------------------ operations */

int sq_load_bank(backend *be, const wl_gen *g);
int sq_put_test(backend *be, const wl_test *t);
int sq_answer_submit(backend *be, const wl_answer *a);
int sq_interaction_log(backend *be, const wl_interaction *ix);

int sq_question_get(backend *be, uint32_t question, bk_result *out);
int sq_progress_view(backend *be, uint32_t user, bk_result *out);
int sq_dashboard(backend *be, uint32_t user, int64_t now, bk_result *out);
int sq_leaderboard(backend *be, uint32_t user, bk_result *out);
int sq_history(backend *be, uint32_t user, bk_result *out);
int sq_history_page(backend *be, uint32_t user, const bk_position *after, bk_result *out);
int sq_test_list(backend *be, uint32_t user, bk_result *out);

int sq_test_create(backend *be, const bk_draw_args *a, bk_result *out);

int sq_size_on_disk(backend *be, uint64_t *bytes);
int sq_table_space(backend *be, const char *table, bk_table_space *out);

int sq_bulk_import(backend *be, const char *csv_dir, uint64_t *answers);

/* ------------------------------------------------------------ bulk import (_rows.c) */

typedef struct sq_importer {
    const char *path;        /* the file being read */
    uint64_t line;           /* the line of its current row */
    uint64_t answers;        /* answers inserted */
} sq_importer;

/* How the rows of one CSV file go in: f[i] is the file's column sqlc_files[file]
 * .columns[i] (empty when the file lacks it). */
typedef struct sq_csv_kind {
    int file;                /* SQLC_SUBJECTS .. SQLC_INTERACTIONS */
    uint32_t required;       /* bit i: columns[i] must be in the header */
    int (*row)(backend *be, sq_importer *im, const sqlc_field *f);
} sq_csv_kind;

/* Every file, in load order. */
extern const sq_csv_kind sq_csv_kinds[SQLC_N_FILES];

#endif /* QS_BENCH_BACKEND_SQLITE_H */
