/* index.c: question listing, pools, and the verification and rebuild of derived
 * structures.
 *
 * Listing cursor (16 bytes): version u8 (1) | order u8 | 2 zero bytes | id u32 |
 * created_at time. It only names a position in the public bank, so it carries no
 * signature; a cursor of another order or a damaged one is rejected.
 */
#include <string.h>

#include "api.h"

#define LIST_CURSOR_VERSION 1

static void list_cursor_make(uint8_t order, const idx_list_pos *pos, qs_list_cursor *c)
{
    memset(c, 0, sizeof *c);
    c->bytes[0] = LIST_CURSOR_VERSION;
    c->bytes[1] = order;
    eng_put32(c->bytes + 4, pos->id);
    eng_put64(c->bytes + 8, eng_time_bits(pos->created_at));
}

static int list_cursor_open(uint8_t order, const qs_list_cursor *c, idx_list_pos *pos)
{
    if (c->bytes[0] != LIST_CURSOR_VERSION || c->bytes[2] || c->bytes[3])
        return eng_fail(QS_BAD_CURSOR, "not a question listing cursor");
    if (c->bytes[1] != order)
        return eng_fail(QS_INVALID, "the cursor belongs to a listing in another order");
    pos->id = eng_get32(c->bytes + 4);
    pos->created_at = eng_time_from_bits(eng_get64(c->bytes + 8));
    return 0;
}

static int check_filter(const qs_question_filter *f)
{
    if (f->difficulty > 3 || f->active > 2 || f->band > QS_BAND_NONE || f->order > QS_ORDER_NEWEST)
        return eng_fail(QS_INVALID, "question filter out of range (difficulty %u, active %u, "
                                    "band %u, order %u)", f->difficulty, f->active, f->band,
                        f->order);
    return 0;
}

static int question_list(qs_txn *txn, const qs_question_filter *given,
                         const qs_list_cursor *after, uint32_t *ids, size_t cap, size_t *n,
                         qs_list_cursor *next)
{
    idx_list_pos from, last = {0, 0};
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!given || !n || (cap && !ids))
        return eng_fail(QS_INVALID, "qs_question_list: NULL argument");
    *n = 0;
    qs_question_filter filter;
    const qs_question_filter *f = &filter;
    if ((rc = eng_sized_in(given, sizeof filter, &filter, "qs_question_filter")) != 0 ||
        (rc = check_filter(f)) != 0 || (after && (rc = list_cursor_open(f->order, after, &from))))
        return rc;
    if ((rc = idx_question_list(txn, f, after ? &from : NULL, ids, cap, n, &last)) != 0)
        return rc;
    if (next) {
        if (*n && cap)
            list_cursor_make(f->order, &last, next);
        else if (after)
            *next = *after;
        else
            list_cursor_make(f->order, &(idx_list_pos){0, INT64_MAX}, next);
    }
    return 0;
}

int qs_question_list(qs_txn *txn, const qs_question_filter *f, const qs_list_cursor *after,
                     uint32_t *ids, size_t cap, size_t *n, qs_list_cursor *next)
{
    ENG_GUARDED(txn, question_list(txn, f, after, ids, cap, n, next));
}

static int pools_list(qs_txn *txn, qs_pool_info *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_pools_list: NULL output");
    return idx_pools_list(txn, rows, cap, n);
}

int qs_pools_list(qs_txn *txn, qs_pool_info *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, pools_list(txn, rows, cap, n));
}

static int pools_reshuffle(qs_txn *txn, uint64_t seed)
{
    int rc = eng_writable(txn);
    return rc ? rc : idx_pools_reshuffle(txn, seed);
}

int qs_pools_reshuffle(qs_txn *txn, uint64_t seed)
{
    ENG_GUARDED(txn, pools_reshuffle(txn, seed));
}

static int index_verify(qs_txn *txn, qs_index_report *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_index_verify: NULL output");
    return idx_verify(txn, rows, cap, n);
}

int qs_index_verify(qs_txn *txn, qs_index_report *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, index_verify(txn, rows, cap, n));
}

static int index_rebuild(qs_txn *txn)
{
    int rc = eng_writable(txn);
    return rc ? rc : idx_rebuild(txn);
}

int qs_index_rebuild(qs_txn *txn)
{
    ENG_GUARDED(txn, index_rebuild(txn));
}
