/* index.h: what api/ may call of the index layer: the aggregates an answer moves,
 * the leaderboards, the test-by-user index and test drawing. */
#ifndef QS_INDEX_H
#define QS_INDEX_H

#include "engine.h"
#include "model.h"

/* Apply one new answer to every aggregate it changes: user-question status,
 * question stats, user-topic progress, daily row, user summary and streaks, and the
 * all-time and weekly leaderboards. REQUIRES: @p a was just stored and is new. */
int idx_apply_answer(qs_txn *txn, const eng_answer *a);

/* Daily rows streak upkeep has read on this thread (lookups and rows walked): a
 * probe for the tests that a new day costs a few rows whatever the order days come
 * in. */
extern _Thread_local uint64_t idx_streak_rows_read;

/* ------------------------------------------------------------ leaderboards */

/* Keep lb_count in step with an lb entry that moved: @p from or @p to is NULL when
 * the entry was added or removed (keys: board u32 | correct u32). */
int idx_lb_counts_moved(qs_txn *txn, const eng_val *from, const eng_val *to);
/* Recount lb_count from the lb entries and report the difference into @p r. */
int idx_lb_counts_check(qs_txn *txn, qs_index_report *r);
int idx_lb_top(qs_txn *txn, uint32_t board, qs_rank_row *rows, size_t cap, size_t *n);
/* 1-based rank of @p user holding @p correct on @p board. */
int idx_lb_rank(qs_txn *txn, uint32_t board, uint32_t correct, uint32_t user, uint64_t *rank);
/* Correct answers of @p user in the week of @p board, and whether the user is on it. */
int idx_week_totals(qs_txn *txn, uint32_t user, uint32_t board, uint32_t *answers,
                    uint32_t *correct);

/* ------------------------------------------------------------ tests */

/* A position in a question listing: the last id returned and its created_at. */
typedef struct idx_list_pos {
    uint32_t id;
    int64_t created_at;
} idx_list_pos;

/* Questions matching @p f after @p after (NULL: from the start), up to @p cap ids;
 * *n is the number written, plus one when more follow, and *last the position of the
 * last one written. */
int idx_question_list(qs_txn *txn, const qs_question_filter *f, const idx_list_pos *after,
                      uint32_t *ids, size_t cap, size_t *n, idx_list_pos *last);

/* The questions q_filter files under (@p system, @p topic), active or not, every
 * difficulty, into a malloc'ed array *ids (the caller frees it) of *n. */
int idx_topic_questions(qs_txn *txn, uint32_t system, uint32_t topic, uint32_t **ids,
                        size_t *n);

/* Draw up to d->count distinct active questions for a new test into @p out. */
int idx_draw(qs_txn *txn, const qs_draw *d, eng_test *out);

/* check.c: every aggregate recomputed and compared, then the links between answers,
 * tests, questions and topics checked (their rows into @p rows, their number in *n);
 * and (repair.c) the aggregates recomputed into the store. */
int idx_check_aggregates(qs_txn *txn, qs_check_report *rows, size_t cap, size_t *n);
int idx_repair_aggregates(qs_txn *txn);

#endif /* QS_INDEX_H */
