/* composite.h: the declared secondary indexes (composite.c) and their upkeep; their
 * rebuild (rebuild.c) and verify (verify.c). */
#ifndef QS_COMPOSITE_H
#define QS_COMPOSITE_H

#include "pool.h"

typedef enum idx_source {
    IDX_QUESTIONS, IDX_TESTS, IDX_ANSWERS,
    IDX_USERS,        /* each user with its summary: the all-time board */
    IDX_USER_WEEKS    /* each user's week with answers: the weekly boards */
} idx_source;

/* A user's standing on one board, as the leaderboards are cut from it. */
typedef struct idx_board_view {
    uint32_t user, board;
    uint32_t answers, correct;   /* on the board's span (all time, or its week) */
} idx_board_view;

/* Keep a board in step with a user's standing: @p old NULL for a user new to it. */
int idx_board_changed(qs_txn *txn, const idx_board_view *old, const idx_board_view *now);

/* Keep every index and pool of a question in step with a change: @p old NULL for a
 * new question. */
int idx_question_changed(qs_txn *txn, const idx_question *old, const idx_question *q);
/* defer.c: idx_board_changed() (@p was NULL for a user new to the board), and a
 * question's move from success band @p old (if it @p had one) to @p band; both
 * postponed to the flush in a bulk transaction. */
int idx_board_move(qs_txn *txn, const idx_board_view *was, const idx_board_view *now);
int idx_band_move(qs_txn *txn, uint32_t question, int had, uint8_t old, uint8_t band);
/* idx_week_totals(), or in a bulk transaction the last move recorded for the user on
 * that board. */
int idx_week_standing(qs_txn *txn, uint32_t user, uint32_t board, uint32_t *answers,
                      uint32_t *correct);

/* Keep every index of a test in step: @p old NULL for a new test. */
int idx_test_changed(qs_txn *txn, const eng_test *old, const eng_test *t);

/* Claim (test, question) for a new answer in its indexes: QS_EXISTS (nothing
 * written) when another answer holds it. The first write of an answer. */
int idx_answer_added(qs_txn *txn, const eng_answer *a);

/* Empty every declared index and the pools, and cut them again from the records. */
int idx_rebuild(qs_txn *txn);
/* One report per declared index, then one for the pools (rows as qs_index_verify). */
int idx_verify(qs_txn *txn, qs_index_report *rows, size_t cap, size_t *n);
int idx_pools_reshuffle(qs_txn *txn, uint64_t seed);

/* ---- the declarations (composite.c), and the sources they are cut from (source.c),
 * for the index's own files */

#define IDX_MAX_ENTRIES 4

typedef struct idx_entry {
    eng_key key;
    uint8_t val[20];
    uint8_t val_len;   /* 4 for id-valued (DUPFIXED) indexes, 0 for key-only ones */
} idx_entry;

typedef struct idx_def {
    const char *name;
    eng_db db;
    idx_source source;
    /* The entries of @p rec (idx_question* or eng_test*), into @p out. */
    size_t (*cut)(const void *rec, idx_entry *out);
    /* The id of the record an entry came from, for sources loaded by id. */
    uint64_t (*owner)(const eng_val *key, const eng_val *val);
    unsigned dupsort;   /* the database holds posting lists */
    /* For a database shared by declarations: whether an entry is this one's. */
    int (*owns)(const eng_val *key);
    /* Called after an entry moved (from or to NULL when added or removed). */
    int (*moved)(qs_txn *txn, const eng_val *from, const eng_val *to);
} idx_def;

/* The declared indexes, idx_n_defs of them. */
extern const idx_def idx_defs[];
extern const size_t idx_n_defs;

typedef union idx_record {
    idx_question q;
    eng_test t;
    eng_answer a;
    idx_board_view b;
} idx_record;

typedef int (*idx_record_fn)(qs_txn *txn, const void *rec, void *ctx);

/* The user of the test a walk of test_answers is at: read once per test. */
typedef struct idx_test_user {
    uint64_t test;
    uint32_t user;
    int rc;   /* of reading the test: 0 or QS_NOTFOUND */
} idx_test_user;

/* source.c */
/* A record of source @p src, loaded by id into @p buf (boards: board << 32 | user). */
int idx_load_record(qs_txn *txn, idx_source src, uint64_t id, void *buf);
/* The answer a test_answers entry points at, into @p a: 0 or QS_NOTFOUND. An entry
 * whose bucket retention dropped keeps (test, question) answered: *expired is set. */
int idx_answer_of_entry(qs_txn *txn, const eng_val *key, const eng_val *val,
                        idx_test_user *memo, eng_answer *a, int *expired);
/* Call @p fn on every record of @p src, in id order (answers: bucket order). */
int idx_each_record(qs_txn *txn, idx_source src, idx_record_fn fn, void *ctx);

/* composite.c */
/* Whether @p e is one of @p set[0 .. n). */
int idx_entry_in(const idx_entry *e, const idx_entry *set, size_t n);
/* Put entry @p e of index @p d (an entry there already is no failure). */
int idx_entry_put(qs_txn *txn, const idx_def *d, const idx_entry *e);

#endif /* QS_COMPOSITE_H */
