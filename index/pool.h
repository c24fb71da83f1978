/* pool.h: the shuffled question pools (pool.c) and the question view the
 * declared indexes and pools are cut from (question.c). */
#ifndef QS_POOL_H
#define QS_POOL_H

#include "engine.h"
#include "model.h"

/* A question as the indexes see it: its head and its success band. */
typedef struct idx_question {
    eng_question head;        /* without text */
    int has_band;            /* answered at least once */
    uint8_t band;            /* idx_band_of(attempts, correct) */
} idx_question;

/* Load question @p id's view. 0, QS_NOTFOUND, QS_CORRUPT. */
int idx_question_load(qs_txn *txn, uint32_t id, idx_question *out);

/* The success band of a rate: 0..9, tenths of the rate, 9 from 90 %.
 * REQUIRES: attempts > 0. */
uint32_t idx_band_of(uint32_t attempts, uint32_t correct);

/* A pool: qs_pool_kind and up to three coordinates (see pool.c). */
typedef struct idx_pool {
    uint8_t kind;
    uint32_t a, b, c;
} idx_pool;

#define IDX_MAX_POOLS 5

/* The pools @p q belongs to, into @p out (at most IDX_MAX_POOLS). */
size_t idx_pools_of(const idx_question *q, idx_pool *out);
int idx_pool_size(qs_txn *txn, const idx_pool *p, uint32_t *size);
/* The question at 0-based @p pos; REQUIRES pos < size. */
int idx_pool_at(qs_txn *txn, const idx_pool *p, uint32_t pos, uint32_t *question);
int idx_pool_insert(qs_txn *txn, const idx_pool *p, uint32_t question);
int idx_pool_remove(qs_txn *txn, const idx_pool *p, uint32_t question);
/* Move a question between pools after it changed: @p old NULL for a new question,
 * @p q NULL for a question going away. */
int idx_pools_update(qs_txn *txn, const idx_question *old, const idx_question *q);
int idx_pools_list(qs_txn *txn, qs_pool_info *rows, size_t cap, size_t *n);
/* Verification halves: a question is in each of its pools at a position that maps
 * back to it; every pool entry is dense, mapped back, and belongs. */
int idx_pools_check_question(qs_txn *txn, const idx_question *q, qs_index_report *r);
int idx_pools_check_entries(qs_txn *txn, qs_index_report *r);

#endif /* QS_POOL_H */
