/* backend.h: one engine under the bench, behind one interface.
 *
 * Every backend (quizstore, SQLite, PostgreSQL) implements the operations of
 * WORKLOAD.md with the same inputs and writes the same canonical result, so the
 * harness can compare engines result by result before it times anything.
 *
 * Conventions:
 * - Ids are the workload generator's (workload.h): every backend stores them as
 *   given, so a result names the same entities in every engine. Answers get ids
 *   1, 2, 3, ... in the order they are recorded (the harness records them in the
 *   same order everywhere), so (created_at desc, answer id desc) orders alike.
 * - Functions return 0 on success and -1 on failure after writing a one-line
 *   reason into be->err (engine, operation, and the engine's own message).
 * - A backend handle is used by one thread at a time; clone() gives another handle
 *   on the same store, with the same durability, for another thread: for reads, and
 *   for writes each in a transaction of its own. Clones are closed before their
 *   origin.
 * - Results go into a bk_result: a canonical, engine-independent byte string
 *   (bk_put_* below) and a summary count; the harness hashes and compares it.
 */
#ifndef QS_BENCH_BACKEND_H
#define QS_BENCH_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "workload.h"

/* ------------------------------------------------------------ results */

/* The canonical form of one operation's result. Fields are appended in a fixed order
 * as little-endian integers and length-prefixed strings; two engines agree when their
 * bytes are equal. */
typedef struct bk_result {
    uint8_t *bytes;
    size_t len, cap;
    uint32_t rows;      /* rows returned (history rows, progress rows, ...) */
} bk_result;

void bk_result_reset(bk_result *r);
void bk_result_free(bk_result *r);
/* Room for @p n more bytes in @p r (exits when memory runs out). */
void bk_reserve(bk_result *r, size_t n);
void bk_put_str(bk_result *r, const char *s, size_t len);

/* Inline, and one store when there is room: a listing puts several a row, and a
 * timed read includes putting its result, so this cost is every engine's alike. */
static inline void bk_put_u64(bk_result *r, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    if (r->cap - r->len < 8)
        bk_reserve(r, 8);
    memcpy(r->bytes + r->len, &v, 8);   /* little-endian: one store */
    r->len += 8;
}

static inline void bk_put_i64(bk_result *r, int64_t v)
{
    bk_put_u64(r, (uint64_t)v);
}

/* The integer at byte @p *at of @p r, moving *at past it: 0, or -1 when fewer than 8
 * bytes are left (the harness decodes results to name a difference). */
static inline int bk_get_u64(const bk_result *r, size_t *at, uint64_t *v)
{
    if (r->len - *at < 8)
        return -1;
    *v = 0;
    for (int i = 7; i >= 0; i--)
        *v = (*v << 8) | r->bytes[*at + (size_t)i];
    *at += 8;
    return 0;
}

/* ------------------------------------------------------------ operations */

/* How commits reach the disk in this run (WORKLOAD.md "Exact semantics"). */
typedef enum bk_sync {
    BK_SYNC_DURABLE = 0,   /* every commit waits for the disk */
    BK_SYNC_LAZY = 1       /* commits do not wait: a power cut may lose the last ones,
                              never integrity */
} bk_sync;

/* test_create patterns. */
typedef enum bk_draw {
    BK_DRAW_FILTER = 1,    /* one topic and one difficulty */
    BK_DRAW_ADAPTIVE = 2,  /* one system, question rate in [4000, 7000] */
    BK_DRAW_WEAK = 3       /* topics where the user's rate is below 6000, else all */
} bk_draw;

/* Which eligible questions a draw keeps, by the user's own record (qs_draw_only). */
typedef enum bk_only {
    BK_ONLY_ANY = 0,
    BK_ONLY_UNUSED = 1,     /* never answered by the user */
    BK_ONLY_INCORRECT = 2,  /* the user's latest answer was wrong */
    BK_ONLY_MARKED = 3      /* marked by the user (FLAGGED answers mark) */
} bk_only;

typedef struct bk_draw_args {
    bk_draw pattern;
    bk_only only;
    uint32_t user, system, topic;
    uint8_t difficulty;
    uint16_t count;        /* 40 */
    uint64_t seed;
    uint64_t test_id;      /* the id the new test gets */
    int64_t created_at;
} bk_draw_args;

/* A position in a user's history: the row (created_at, answer id) a page resumes after. */
typedef struct bk_position {
    int64_t created_at;
    uint64_t answer_id;
} bk_position;

/* What one table of the common schema takes on disk: its rows, its own pages and each
 * of its indexes' pages (every B-tree the table owns), in bytes. */
#define BK_MAX_INDEXES 8
typedef struct bk_table_space {
    uint64_t rows;
    uint64_t table_bytes;
    unsigned n_indexes;
    struct {
        char name[64];
        uint64_t bytes;
    } indexes[BK_MAX_INDEXES];
    const char *method;    /* how the pages were counted, for the report */
} bk_table_space;

typedef struct backend backend;

typedef struct backend_ops {
    const char *name;                           /* "quizstore", "sqlite", "postgres" */
    /* Open the store in (or for) @p dir, creating it empty if it does not exist.
     * Reopening an existing store with another @p sync is how the harness switches
     * between durable and lazy runs. */
    int (*open)(backend *be, const char *dir, bk_sync sync);
    void (*close)(backend *be);                 /* frees be->impl, sets it NULL */
    /* A second handle on the same store for another thread. NULL if unsupported. */
    backend *(*clone)(backend *be);

    /* Loading: the bank and users, then history tests and answers in stream order. */
    int (*load_bank)(backend *be, const wl_gen *g);
    int (*begin)(backend *be);                  /* start a batch (transaction) */
    /* start a batch of the history's load; NULL: begin (quizstore: QS_TXN_BULK) */
    int (*begin_load)(backend *be);
    int (*commit)(backend *be);                 /* end it */
    int (*put_test)(backend *be, const wl_test *t);
    int (*answer_submit)(backend *be, const wl_answer *a);   /* every aggregate */
    int (*interaction_log)(backend *be, const wl_interaction *ix);
    /* @p n interactions as n interaction_log calls in that order would log them, in the
     * open batch; NULL: the harness makes those calls (SQLite and PostgreSQL run their
     * prepared insert per row, which is their batch). */
    int (*interaction_log_many)(backend *be, const wl_interaction *ix, size_t n);

    /* The product's reads, each in its own read transaction. What each appends to
     * @p out, in order (u = bk_put_u64, i = bk_put_i64, s = bk_put_str): */

    /* u id, subject, system, topic, difficulty, type, active, correct_option,
     * n_options; i created_at; s stem, explanation, each option. rows = 1. */
    int (*question_get)(backend *be, uint32_t question, bk_result *out);
    /* per topic the user answered, by topic id: u topic, attempts, correct, rate_bp;
     * i last_answered_at. rows = topics. */
    int (*progress_view)(backend *be, uint32_t user, bk_result *out);
    /* u answered, correct, rate_bp, time_ms; i last_day (-1 with no answers);
     * u streak, best_streak; then per day of now_day-29 .. now_day with answers,
     * oldest first: i day; u answers, correct, time_ms. rows = days. */
    int (*dashboard)(backend *be, uint32_t user, int64_t now, bk_result *out);
    /* the global top 100 by (correct desc, user asc): u rank, user, correct each;
     * then the user's own: u rank, user, correct. rows = top entries. */
    int (*leaderboard)(backend *be, uint32_t user, bk_result *out);
    /* the 20 newest answers by (created_at desc, answer id desc), then the next 20
     * from the cursor after the 20th: per row u answer_id; i created_at; u test,
     * question, topic, correct, status, score, time_spent_ms. rows = rows. */
    int (*history)(backend *be, uint32_t user, bk_result *out);
    /* ACTIVE and PAUSED tests, at most 20, by (last_activity_at desc, id desc):
     * u id, status; i last_activity_at; u n_questions. rows = tests. */
    int (*test_list)(backend *be, uint32_t user, bk_result *out);
    /* Writes the new ACTIVE test d->test_id (its own transaction). out: u each drawn
     * question id, in draw order; rows = count. Draws are random, so the harness
     * compares counts across engines and checks membership in the filter itself. */
    int (*test_create)(backend *be, const bk_draw_args *d, bk_result *out);

    /* Bytes the store takes on disk now. */
    int (*size_on_disk)(backend *be, uint64_t *bytes);
    /* Write back to the store's files what it holds only in its log or its own buffers
     * (the harness does so after a load, so that the next engine measured does not pay
     * for it). */
    int (*checkpoint)(backend *be);

    /* Bulk import of a history the way an operator would load it, from the CSV files
     * qs-gen writes into @p csv_dir (subjects ... interactions, common schemas), into
     * the empty store just opened, with every index and aggregate built when it
     * returns: quizstore through its CLI (`quizstore import`, path in the QS_CLI
     * environment variable), PostgreSQL with COPY, SQLite with its fastest honest
     * path. Sets *answers to the answers loaded. */
    int (*bulk_import)(backend *be, const char *csv_dir, uint64_t *answers);

    /* 1 when test_create honours bk_draw_args.only (the reference workload itself
     * draws from every question; the bench measures the other kinds where they are
     * implemented). */
    int draws_only;

    /* Optional (NULL when the backend lacks them); qs-seal uses them. */

    /* One history page in its own read transaction: the 20 answers that follow
     * @p after by (created_at desc, answer id desc), or the 20 newest when @p after is
     * NULL; rows appended as history appends them. */
    int (*history_page)(backend *be, uint32_t user, const bk_position *after, bk_result *out);
    /* The space @p table (a table of the common schema: "answer", "interaction")
     * takes, read in one transaction. */
    int (*table_space)(backend *be, const char *table, bk_table_space *out);
} backend_ops;

struct backend {
    const backend_ops *ops;
    void *impl;
    char err[512];
};

/* Record a failure reason in be->err; returns -1. */
int bk_fail(backend *be, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The backends. NULL ops functions are not allowed (but clone and the optional ones):
 * a backend implements them all. bk_sqlite_ops draws tests with ORDER BY RANDOM(), as platforms do;
 * bk_sqlite_pool_ops is the same store drawing from precomputed pool tables. */
extern const backend_ops bk_quizstore_ops;
/* The time buckets of the quizstore stores opened from now on: "month" (the default),
 * "week" or "day". 0, or -1 for another word. */
int bk_quizstore_period(const char *period);
/* A quizstore history row (quizstore.h) appended as history appends its rows. */
struct qs_history_row;
void bk_quizstore_put_history_row(bk_result *r, const struct qs_history_row *h);
extern const backend_ops bk_sqlite_ops;
extern const backend_ops bk_sqlite_pool_ops;
extern const backend_ops bk_postgres_ops;

/* A new handle for @p ops (not yet opened); NULL when out of memory. bk_free() closes
 * it if open and frees it. */
backend *bk_new(const backend_ops *ops);
void bk_free(backend *be);

#endif /* QS_BENCH_BACKEND_H */
