/* composite.h: the declared secondary indexes (composite.c) and their upkeep. */
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
int idx_test_changed(qs_txn *txn, const qs_test *old, const qs_test *t);

/* Claim (test, question) for a new answer in its indexes: QS_EXISTS (nothing
 * written) when another answer holds it. The first write of an answer. */
int idx_answer_added(qs_txn *txn, const eng_answer *a);

/* Empty every declared index and the pools, and cut them again from the records. */
int idx_rebuild(qs_txn *txn);
/* One report per declared index, then one for the pools (rows as qs_index_verify). */
int idx_verify(qs_txn *txn, qs_index_report *rows, size_t cap, size_t *n);
int idx_pools_reshuffle(qs_txn *txn, uint64_t seed);

#endif /* QS_COMPOSITE_H */
