/* cursor.h: making and checking history cursors (layout in cursor.c). */
#ifndef QS_CURSOR_H
#define QS_CURSOR_H

#include "quizstore.h"

void api_cursor_make(qs_txn *txn, uint32_t user, int64_t created_at, uint64_t answer_id,
                     qs_cursor *c);
/* 0, or QS_BAD_CURSOR when @p c was not issued by this store for @p user. */
int api_cursor_open(qs_txn *txn, uint32_t user, const qs_cursor *c, int64_t *created_at,
                    uint64_t *answer_id);

#endif /* QS_CURSOR_H */
