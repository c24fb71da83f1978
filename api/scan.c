/* scan.c: answers and interactions read back by time range, bucket by bucket: pulled a
 * row at a time by the iterators (qs_answer_iter_open(), qs_interaction_iter_open()),
 * and pushed to a callback by the scans (qs_answer_scan(), qs_interaction_scan()),
 * which run an iterator, so that both give the same rows and keep the same rule: while
 * one is open its transaction refuses write calls, and its end closes it (engine/walk.c
 * says why). */
#include <errno.h>
#include <stdlib.h>

#include "api.h"

/* An iterator of either table: the engine's walk, kept on its transaction, and the
 * range its rows are cut to (a bucket that overlaps the range holds rows outside it). */
typedef struct row_iter {
    eng_table_iter walk;
    int64_t from, to;
} row_iter;

/* Each public iterator is a row_iter, its one member: a pointer to either converts to
 * a pointer to it and back, and a row_iter's memory holds either. */
struct qs_answer_iter {
    row_iter r;
};
struct qs_interaction_iter {
    row_iter r;
};
_Static_assert(sizeof(struct qs_answer_iter) == sizeof(row_iter) &&
                   sizeof(struct qs_interaction_iter) == sizeof(row_iter),
               "a public iterator is its row_iter");

/* What every scan and iterator checks as it opens: a usable transaction, a callback or
 * an iterator to return (@p has_target), and a range that holds a time. */
static int open_check(qs_txn *txn, int64_t from, int64_t to, int has_target,
                      const char *who)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!has_target)
        return eng_fail(QS_INVALID, "%s: its callback or iterator argument is NULL", who);
    if (from >= to)
        return eng_fail(QS_INVALID, "%s: empty range (from >= to)", who);
    return 0;
}

static void row_iter_free(row_iter *r)
{
    if (!r)
        return;
    eng_table_iter_close(&r->walk);
    free(r);
}

/* A new row iterator of @p table over [from, to), kept on @p txn. REQUIRES:
 * open_check() passed. */
static int row_iter_new(qs_txn *txn, eng_table table, int64_t from, int64_t to,
                        row_iter **out)
{
    row_iter *r = malloc(sizeof *r);
    *out = NULL;
    if (!r)
        return eng_fail(ENOMEM, "out of memory for an iterator");
    r->from = from;
    r->to = to;
    int rc = eng_table_iter_open(&r->walk, txn, table, from, to, NULL);
    if (!rc)
        rc = eng_table_iter_keep(&r->walk);
    if (rc) {
        row_iter_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* The next row of @p r inside its range: 0, QS_END, or a failure. */
static int row_iter_next(row_iter *r, eng_row *row)
{
    if (!r->walk.txn)
        return eng_fail(QS_INVALID, "the iterator's transaction has ended (commit, abort "
                                    "or reset): only its close is left");
    int rc = eng_usable(r->walk.txn);
    while (!rc && (rc = eng_table_iter_next(&r->walk, row)) == 0)
        if (row->a.created_at >= r->from && row->a.created_at < r->to)
            return 0;
    return rc == ENG_END ? QS_END : rc;
}

/* The transaction an iterator's call runs under, for its guard: NULL once it ended. */
static qs_txn *iter_txn(const row_iter *r)
{
    return r ? r->walk.txn : NULL;
}

static void interaction_of(const eng_row *row, qs_interaction *out)
{
    *out = (qs_interaction){row->i.user, row->i.action, row->i.created_at, row->i.payload,
                            row->i.payload_len};
}

/* ------------------------------------------------------------------ iterators */

/* The iterator of qs_answer_iter_open() into @p ai, or of qs_interaction_iter_open() into
 * @p ii (the other NULL): NULL on failure. */
static int iter_open(qs_txn *txn, eng_table table, int64_t from, int64_t to,
                     qs_answer_iter **ai, qs_interaction_iter **ii)
{
    row_iter *r = NULL;
    int answers = table == ENG_T_ANSWER;
    int rc = open_check(txn, from, to, answers ? ai != NULL : ii != NULL,
                        answers ? "qs_answer_iter_open" : "qs_interaction_iter_open");
    if (!rc)
        rc = row_iter_new(txn, table, from, to, &r);
    if (ai)
        *ai = (qs_answer_iter *)r;
    if (ii)
        *ii = (qs_interaction_iter *)r;
    return rc;
}

int qs_answer_iter_open(qs_txn *txn, int64_t from, int64_t to, qs_answer_iter **it)
{
    ENG_GUARDED(txn, iter_open(txn, ENG_T_ANSWER, from, to, it, NULL));
}

int qs_interaction_iter_open(qs_txn *txn, int64_t from, int64_t to, qs_interaction_iter **it)
{
    ENG_GUARDED(txn, iter_open(txn, ENG_T_INTERACTION, from, to, NULL, it));
}

static int answer_iter_next(qs_answer_iter *it, qs_answer *out)
{
    eng_row row;
    if (!it || !out)
        return eng_fail(QS_INVALID, "qs_answer_iter_next: iterator or row is NULL");
    int rc = row_iter_next(&it->r, &row);
    if (!rc)
        eng_answer_to_api(&row.a, out);
    return rc;
}

int qs_answer_iter_next(qs_answer_iter *it, qs_answer *out)
{
    ENG_GUARDED(iter_txn(it ? &it->r : NULL), answer_iter_next(it, out));
}

void qs_answer_iter_close(qs_answer_iter *it)
{
    row_iter_free(it ? &it->r : NULL);
}

static int interaction_iter_next(qs_interaction_iter *it, qs_interaction *out, uint64_t *seq)
{
    eng_row row;
    if (!it || !out)
        return eng_fail(QS_INVALID, "qs_interaction_iter_next: iterator or row is NULL");
    int rc = row_iter_next(&it->r, &row);
    if (rc)
        return rc;
    interaction_of(&row, out);
    if (seq)
        *seq = row.i.seq;
    return 0;
}

int qs_interaction_iter_next(qs_interaction_iter *it, qs_interaction *out, uint64_t *seq)
{
    ENG_GUARDED(iter_txn(it ? &it->r : NULL), interaction_iter_next(it, out, seq));
}

void qs_interaction_iter_close(qs_interaction_iter *it)
{
    row_iter_free(it ? &it->r : NULL);
}

/* ------------------------------------------------------------------ scans */

/* A scan's callback, for answers or for interactions. */
typedef struct row_scan {
    qs_answer_fn answer_fn;
    qs_interaction_fn interaction_fn;
    void *ctx;
} row_scan;

static int scan_pass(const row_scan *s, const eng_row *row)
{
    if (s->answer_fn) {
        qs_answer a;
        eng_answer_to_api(&row->a, &a);
        return s->answer_fn(&a, s->ctx);
    }
    qs_interaction ix;
    interaction_of(row, &ix);
    return s->interaction_fn(&ix, row->i.seq, s->ctx);
}

/* Every row of @p table in [from, to) to the callback, through an iterator kept on
 * @p txn while the callback runs: 0, the callback's non-zero return, or a failure. */
static int scan(qs_txn *txn, eng_table table, int64_t from, int64_t to, const row_scan *s,
                const char *who)
{
    row_iter *r;
    eng_row row;
    int stop = 0;
    int rc = open_check(txn, from, to, s->answer_fn || s->interaction_fn, who);
    if (!rc)
        rc = row_iter_new(txn, table, from, to, &r);
    if (rc)
        return rc;
    while (!stop && (rc = row_iter_next(r, &row)) == 0)
        stop = scan_pass(s, &row);
    row_iter_free(r);
    return stop ? stop : rc == QS_END ? 0 : rc;
}

int qs_answer_scan(qs_txn *txn, int64_t from, int64_t to, qs_answer_fn fn, void *ctx)
{
    row_scan s = {fn, NULL, ctx};
    ENG_GUARDED(txn, scan(txn, ENG_T_ANSWER, from, to, &s, "qs_answer_scan"));
}

int qs_interaction_scan(qs_txn *txn, int64_t from, int64_t to, qs_interaction_fn fn,
                        void *ctx)
{
    row_scan s = {NULL, fn, ctx};
    ENG_GUARDED(txn, scan(txn, ENG_T_INTERACTION, from, to, &s, "qs_interaction_scan"));
}
