/* import.h: what the import driver (import.c, import_batch.c, import_queue.c) shares
 * with the per-kind row code (import_bank.c, import_activity.c, import_answers.c) and
 * the progress bar. */
#ifndef QS_IMPORT_H
#define QS_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "fields.h"
#include "quizstore.h"

/* What became of one row. */
typedef enum outcome {
    OUT_INSERTED,   /* a new entity, answer or interaction */
    OUT_UPDATED,    /* an existing entity (same external id) now holds the row's content */
    OUT_UNCHANGED,  /* an existing entity already held exactly the row's content */
    OUT_DUPLICATE,  /* an answer identical to the one already recorded */
    OUT_EXPIRED,    /* an answer or interaction of a period retention dropped */
    OUT_REJECTED,   /* row->reason says why; the row changed nothing */
    OUT_FATAL       /* a store error: the batch must be rolled back */
} outcome;

#define FAILED(o) ((o) == OUT_REJECTED || (o) == OUT_FATAL)

/* Entities created on the fly for references, by qs_kind. */
#define CREATED_KINDS (QS_TEST + 1)

/* External ids found in the store and their ids, by kind, remembered through a batch:
 * a test names tens of questions, and every answer a question, a user and a test,
 * most of them the row before's. What is found stays until the batch ends, or until
 * a savepoint is rolled back (it may have created what a later lookup found). */
typedef struct id_memo {
    struct memo_slot {
        uint64_t hash;
        size_t name;            /* offset of the external id in names, plus 1; 0: empty */
        uint64_t id;
        qs_kind kind;
    } *slot;
    size_t cap, n;               /* cap: a power of 2 */
    char *names;
    size_t names_len, names_cap;
} id_memo;

/* Forget every id (@p m may be NULL). */
void id_memo_clear(id_memo *m);
void id_memo_free(id_memo *m);

typedef struct apply_ctx {
    qs_txn *txn;                     /* the row's savepoint */
    id_memo *ids;                    /* ids found in this batch, or NULL */
    row *row;
    uint64_t created[CREATED_KINDS]; /* created by this row */
    int rc;                          /* OUT_FATAL: the library's code */
    char fatal[256];                 /* OUT_FATAL: what was being done */
} apply_ctx;

/* Apply one loaded row of @p kind inside ac->txn. */
outcome apply_row(import_kind kind, apply_ctx *ac);

outcome apply_taxon(import_kind kind, apply_ctx *ac);
outcome apply_question(apply_ctx *ac);
outcome apply_user(apply_ctx *ac);
outcome apply_test(apply_ctx *ac);
outcome apply_answer(apply_ctx *ac);
outcome apply_interaction(apply_ctx *ac);
/* The answer of ac->row, its question found; *new_user and *new_test when the row
 * names a user or a test the store does not have (a->user or a->test is 0). */
outcome answer_of_row(apply_ctx *ac, qs_answer *a, int *new_user, int *new_test);
/* For an answer whose test is new (and its user too when @p new_user), checked first
 * (qs_answer_check()): the test created (and the user), named by a->test (a->user);
 * OUT_INSERTED, or what refuses the row. */
outcome answer_test_create(apply_ctx *ac, qs_answer *a, int new_user);
/* What qs_answer_submit()'s code @p rc for ac->row's answer @p a means. */
outcome answer_submitted(apply_ctx *ac, const qs_answer *a, int rc);
/* The interaction of ac->row (its payload points into the row), its user found;
 * *new_user when the row names a user the store does not have (ix->user is 0). */
outcome interaction_of_row(apply_ctx *ac, qs_interaction *ix, int *new_user);
/* What qs_interaction_log()'s code @p rc for ac->row's interaction means. */
outcome interaction_logged(apply_ctx *ac, int rc);

/* A row that creates its user: the user and the row's @p write of @p item (whose user
 * field is @p user) in a savepoint, so that a refused write takes its user back. */
outcome with_new_user(apply_ctx *ac, int64_t created_at, uint32_t *user,
                      outcome (*write)(apply_ctx *, void *), void *item);
/* Field @p f, a word (a status, a mode), as @p code reads it into *out; @p dflt when
 * the row has none. A word @p code does not know (0) rejects the row, naming
 * @p choices. */
outcome word_field(row *r, field_id f, unsigned (*code)(const char *), unsigned dflt,
                   const char *choices, unsigned *out);

/* A store error @p rc while doing @p what: the batch must be rolled back. */
outcome lib_fatal(apply_ctx *ac, int rc, const char *what);
/* A failed library call: a row-level code (QS_NOTFOUND, QS_INVALID, QS_EXISTS,
 * QS_TOO_LARGE) rejects the row with "WHAT: error (detail)"; anything else is fatal. */
outcome lib_failure(apply_ctx *ac, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Resolve the external id held by field @p f; an unknown one is created: a subject
 * or system named after its id, a topic under @p parent, a user created at
 * @p created_at. *id is 0 when the field is absent. */
outcome ref_taxon(apply_ctx *ac, field_id f, qs_kind kind, uint32_t parent, uint32_t *id);
outcome ref_user(apply_ctx *ac, field_id f, int64_t created_at, uint32_t *id);
/* qs_resolve() of @p kind's @p ext, through ac->ids when there is one. */
int ref_id(apply_ctx *ac, qs_kind kind, const char *ext, uint64_t *id);
/* The user field @p f names, without creating it: OUT_UNCHANGED with its id (0 when
 * the row names none), OUT_INSERTED when it is unknown, or a failure. */
outcome find_user(apply_ctx *ac, field_id f, uint32_t *id);

/* ---- progress bar (progress.c) --------------------------------------------------- */

typedef struct progress {
    int enabled, tty;
    const char *label;
    uint64_t total_bytes;
    double start, last;
    int drawn;
} progress;

void progress_start(progress *p, int enabled, const char *label, uint64_t total_bytes);
/* Redraws at most about four times a second. */
void progress_update(progress *p, uint64_t rows, uint64_t bytes);
void progress_end(progress *p);

#endif /* QS_IMPORT_H */
