/* backend_qs.h: what the files of the quizstore backend share (backend.h is its
 * interface; backend_qs.c describes how it drives the store).
 *
 *   backend_qs_read.c  the reads, each in the handle's read transaction
 *   backend_qs.c       the handle, writes, test_create, size and bulk import, and the
 *                      backend_ops table over them and the reads
 *
 * Each file calls only those listed before it; what both need is inline below.
 */
#ifndef QS_BENCH_BACKEND_QS_H
#define QS_BENCH_BACKEND_QS_H

#include "backend.h"
#include "quizstore.h"

typedef struct qsb_impl {
    qs_env *env;
    int owns_env;          /* clones share their origin's env */
    qs_txn *batch;         /* the write transaction of begin() .. commit() */
    qs_txn *read;          /* a reset read transaction, renewed per operation */
    char dir[1024];
} qsb_impl;

static inline qsb_impl *qsb_of(backend *be)
{
    return be->impl;
}

/* Record quizstore's error @p rc for @p what; -1. */
static inline int qsb_failed(backend *be, const char *what, int rc)
{
    return bk_fail(be, "%s: %s (%s)", what, qs_strerror(rc), qs_errmsg());
}

int qsb_question_get_op(backend *be, uint32_t id, bk_result *out);
int qsb_progress_op(backend *be, uint32_t user, bk_result *out);
int qsb_dashboard_op(backend *be, uint32_t user, int64_t now, bk_result *out);
int qsb_leaderboard_op(backend *be, uint32_t user, bk_result *out);
int qsb_history_op(backend *be, uint32_t user, bk_result *out);
int qsb_test_list_op(backend *be, uint32_t user, bk_result *out);

#endif /* QS_BENCH_BACKEND_QS_H */
