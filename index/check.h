/* check.h: what the check of the aggregates and links (check.c, check_walk.c,
 * check_user.c, check_links.c) and the repair (repair.c) share: the rows of their
 * report, growable arrays, the checker's state. */
#ifndef QS_CHECK_H
#define QS_CHECK_H

#include <errno.h>
#include <stdlib.h>

#include "composite.h"
#include "index.h"
#include "rows.h"


enum {
    AGG_QSTAT, AGG_USUM, AGG_UDAILY, AGG_PROGRESS, AGG_UQ, AGG_IDAILY, AGG_COUNT,
    LINK_ANSWER_USER = AGG_COUNT, LINK_ANSWER_LISTED, LINK_TEST_ACTIVITY, LINK_QUESTION_TOPIC,
    ROW_COUNT
};
/* The report rows' names, by the enum above (check_walk.c). */
extern const char *const idx_check_row_names[ROW_COUNT];


/* A growable array of rows of one type. */
typedef struct vec {
    void *p;
    size_t n, cap, size;
} vec;

/* Double the room of @p v: 0, or -1 out of memory. */
static inline int vec_grow(vec *v)
{
    size_t cap = v->cap ? v->cap * 2 : 64;
    void *p = realloc(v->p, cap * v->size);
    if (!p)
        return -1;
    v->p = p;
    v->cap = cap;
    return 0;
}

static inline void *vec_push(vec *v)
{
    if (v->n == v->cap && vec_grow(v))
        return NULL;
    return (char *)v->p + v->size * v->n++;
}

typedef struct user_rows {
    vec answers;       /* eng_answer, in (created_at, id) order */
    vec events;        /* qs_interaction_day, by (day, action) */
    vec runs;          /* day_run, in day order */
} user_rows;

/* The interactions of one user, day and action, counted. */
typedef struct event_count {
    uint32_t user;
    int32_t day;
    uint8_t action;
    uint32_t count;
} event_count;

typedef struct question_totals {
    uint32_t attempts, correct, users;
    uint64_t score_sum, time_sum;
} question_totals;

/* A slot of the question totals' table: open addressing on the question id. */
typedef struct question_slot {
    uint32_t question;
    uint8_t used, compared;
    question_totals t;
} question_slot;

typedef struct checker {
    qs_txn *txn;
    qs_check_report *r;     /* ROW_COUNT reports */
    int answers_kept, interactions_kept;
    question_slot *questions;   /* one slot per question of the bank, and spare ones */
    size_t slots;               /* a power of two */
    user_rows u;
    vec event_counts;           /* event_count of every stored interaction, sorted */
    eng_test test;               /* the test whose answers are being checked */
    uint32_t listed[QS_TEST_MAX_QUESTIONS];   /* its list, sorted */
} checker;

static inline int no_memory(void)
{
    return eng_fail(ENOMEM, "out of memory while recomputing aggregates");
}

/* A run of consecutive days of a user's daily rows, with its end rows. */
typedef struct day_run {
    int32_t first, last;
    eng_daily first_row, last_row;
} day_run;

/* check_walk.c */
/* Walk the stored rows of @p db under the 4-byte @p user prefix; @p fn gets each. */
int idx_stored_rows(qs_txn *txn, eng_db db, uint32_t user, eng_entry_fn fn, void *ctx);
/* @p fn with the id of every 4-byte key of @p db, in order, until it returns non-zero
 * (returned). */
int idx_each_id(checker *c, eng_db db, int (*fn)(checker *c, uint32_t id));
/* The runs that @p user's daily rows make, in day order, into @p runs. */
int idx_user_runs(qs_txn *txn, uint32_t user, vec *runs);

/* check_user.c: a user's aggregates recomputed from the user's answers (gathered into
 * c->u.answers) and interactions (c->event_counts), and compared with the stored ones */
int idx_check_user_answers(checker *c, uint32_t user);
int idx_check_user_events(checker *c, uint32_t user);
/* The slot of @p question: its own, or the empty one where it would go. */
question_slot *idx_question_find(checker *c, uint32_t question);

/* check_links.c */
/* A user's answers @p as against their tests, a test at a time. */
int idx_check_user_tests(checker *c, eng_answer *as, size_t n);
/* Every question's topic belongs to the question's system. */
int idx_check_question_topics(checker *c);

/* check.c */
/* Whether every bucket of @p table is still there to recompute from; else a note. */
int idx_recomputable(qs_txn *txn, eng_table table, qs_check_report *r, int *kept);

#endif /* QS_CHECK_H */
