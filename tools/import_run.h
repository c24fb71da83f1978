/* import_run.h: one run of `quizstore import`, and what the files of the loader share.
 * Their calls go one way: import.c (options, input, summary) calls import_batch.c
 * (batches, each row applied), which calls import_queue.c (answers and interactions
 * many per call); all three call import_outcome.c (what became of each row: counts,
 * messages, the rejects file). */
#ifndef QS_IMPORT_RUN_H
#define QS_IMPORT_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "fields.h"
#include "import.h"
#include "reader.h"

typedef struct counts {
    uint64_t inserted, updated, unchanged, duplicates, expired, rejected;
    uint64_t created[CREATED_KINDS];
} counts;

/* How many values a queued row keeps (import_queue.c's kept_fields). */
#define N_KEPT 4

/* An answer or interaction row waiting for its batch's call: where it is in the file,
 * and copies of its record and of its kept values in the queue's text. */
typedef struct queued_row {
    long line;
    const char *raw;
    size_t raw_len;
    const char *kept[N_KEPT];    /* NULL: the row has no such value */
    uint32_t kept_len[N_KEPT];
} queued_row;

/* The queue's text: blocks that never move (an interaction points into them), kept
 * from one batch to the next. */
typedef struct text_blocks {
    struct text_block {
        char *p;
        size_t size;
    } *block;
    size_t n, cap, cur, used;   /* blocks; the one being filled, and its bytes taken */
} text_blocks;

typedef struct row_queue {
    queued_row *rows;
    qs_answer *answers;         /* answers: the rows' answers */
    qs_interaction *ix;         /* interactions: the rows' interactions */
    int *rcs;
    size_t n, rows_cap, answers_cap, ix_cap, rcs_cap;
    text_blocks text;
} row_queue;

typedef struct import_run {
    /* options */
    file_format format;
    mapping map;
    const char *rejects_path;
    int rejects_dups;
    unsigned long batch_size;   /* 0: the default of the kind */
    int row_by_row;             /* no QS_TXN_BULK, answers and interactions one call each */
    int progress_opt; /* -1: when stderr is a terminal */
    int compress, compressed;
    int quiet;
    import_kind kind;
    const char *path;
    char where[512];  /* "import KIND FILE" for messages */
    /* state */
    qs_env *env;
    reader *rd;
    record rec;
    row row;
    FILE *rejects;
    int rejects_errno;       /* the first failed write to the rejects file */
    progress prog;
    qs_txn *txn;
    row_queue queue;         /* answers or interactions of the open batch not yet applied */
    row queued;              /* a queued row's fields, for its messages */
    id_memo ids;             /* ids found in the open batch */
    counts total, batch;
    uint64_t read;           /* records read */
    uint64_t batch_rows;     /* rows in the open batch */
    long batch_first_line;
    uint64_t rejects_shown;
} import_run;

/* The line of a record: where it starts in the file, and its text. */
typedef struct line_ref {
    long line;
    const char *raw;
    size_t raw_len;
} line_ref;

/* ---- import_outcome.c -------------------------------------------------------------- */

/* Open the --rejects file and write its header; 0 without one. 0, or -1 (reported). */
int open_rejects(import_run *run);
/* Push what is buffered to the rejects file, so that a full disk shows now. 0, or -1
 * (reported) when a write failed. */
int rejects_flush(import_run *run);
/* Report the write to the rejects file that failed; returns -1. */
int rejects_report(import_run *run);
/* 0, or -1 when a write failed: one failed before was reported then, a failed close
 * is reported here. */
int close_rejects(import_run *run);

/* The line of the record just read. */
line_ref current_line(const import_run *run);
/* A rejected line: counted, on stderr (the first few), in the rejects file. */
void reject(import_run *run, line_ref at, const char *reason);
/* A fatal error @p rc while doing @p what at @p line (0: no line), on stderr. */
void fatal_rc(import_run *run, long line, const char *what, int rc);

/* The context a row of @p r is applied in: the batch's transaction. */
apply_ctx row_ctx(import_run *run, row *r);
/* The entities @p ac's row created for its references. */
void count_created(import_run *run, const apply_ctx *ac);
/* What became of the row of line @p at: counted, and reported when it is not stored.
 * Returns 0, or -1 on a fatal error. */
int settle(import_run *run, outcome o, const apply_ctx *ac, line_ref at);

/* ---- import_queue.c ---------------------------------------------------------------- */

/* Whether rows of the run are queued and applied a batch at a time
 * (qs_answer_submit_many(), qs_interaction_log_many()). */
int rows_queued(const import_run *run);
/* An answer or interaction row: queued when everything it names is in the store, or
 * once its new test is created (and its user); else applied alone after the queue, so
 * that rejects are reported in line order and a user is created with the row that
 * names it. Returns 0, or -1 on a fatal error. */
int queue_or_apply(import_run *run);
/* The queued rows applied in one call, and each row's outcome settled in line order.
 * Returns 0, or -1 on a fatal error. */
int queue_flush(import_run *run);
void queue_free(row_queue *q);

/* ---- import_batch.c ---------------------------------------------------------------- */

/* Whether rows of @p kind are applied to the batch itself (import_activity.c,
 * import_answers.c): checked before they write, they need a savepoint only to create
 * their user. */
int checked_first(import_kind kind);
/* Every row of the input read and applied, a batch at a time. 0, or -1 (reported):
 * the open batch is rolled back. */
int import_rows(import_run *run);
/* Train the text dictionary on the bank and compress it (--compress), once. 0, or -1
 * (reported). */
int compress_bank(import_run *run);

#endif /* QS_IMPORT_RUN_H */
