/* scan.c: answers and interactions read back by time range, bucket by bucket
 * (qs_answer_scan(), qs_interaction_scan()). */
#include "api.h"

/* A scan's range and callback, for answers or for interactions. */
typedef struct row_scan {
    int64_t from, to;
    qs_answer_fn answer_fn;
    qs_interaction_fn interaction_fn;
    void *ctx;
} row_scan;

static int scan_row(const eng_row *row, void *ctx)
{
    row_scan *s = ctx;
    if (row->a.created_at < s->from || row->a.created_at >= s->to)
        return 0;
    if (s->answer_fn) {
        qs_answer a;
        eng_answer_to_api(&row->a, &a);
        return s->answer_fn(&a, s->ctx);
    }
    qs_interaction ix = {row->i.user, row->i.action, row->i.created_at, row->i.payload,
                         row->i.payload_len};
    return s->interaction_fn(&ix, row->i.seq, s->ctx);
}

static int answer_scan(qs_txn *txn, int64_t from, int64_t to, qs_answer_fn fn, void *ctx)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!fn || from >= to)
        return eng_fail(QS_INVALID, "qs_answer_scan: no callback or empty range");
    row_scan s = {from, to, fn, NULL, ctx};
    return eng_table_each(txn, ENG_T_ANSWER, from, to, NULL, scan_row, &s);
}

int qs_answer_scan(qs_txn *txn, int64_t from, int64_t to, qs_answer_fn fn, void *ctx)
{
    ENG_GUARDED(txn, answer_scan(txn, from, to, fn, ctx));
}

static int interaction_scan(qs_txn *txn, int64_t from, int64_t to, qs_interaction_fn fn,
                            void *ctx)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!fn || from >= to)
        return eng_fail(QS_INVALID, "qs_interaction_scan: no callback or empty range");
    row_scan s = {from, to, NULL, fn, ctx};
    return eng_table_each(txn, ENG_T_INTERACTION, from, to, NULL, scan_row, &s);
}

int qs_interaction_scan(qs_txn *txn, int64_t from, int64_t to, qs_interaction_fn fn,
                        void *ctx)
{
    ENG_GUARDED(txn, interaction_scan(txn, from, to, fn, ctx));
}
