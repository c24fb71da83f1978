/* leaderboard.c: boards of users ordered by correct answers, with ranks.
 *
 * Structures, both derived from the user summaries (all-time board, 0) and the
 * daily rows (weekly boards, qs_board_week()):
 *
 *   lb        (board u32, correct u32) -> user u32, DUPSORT|DUPFIXED: the users
 *             holding each count, ascending, so the order "correct desc, user asc"
 *             is a reverse walk over keys with each key's users read forward.
 *   lb_count  (board u32, level u8, block u32) -> users in the block: level 1
 *             counts each run of 64 correct values (correct >> 6), level 2 each
 *             run of 4096 (correct >> 12). A single value's users are counted by
 *             the lb key itself (its number of values).
 *
 * A rank sums at most a few hundred counts, whatever the number of users ahead:
 * the level-2 blocks above the user's, the level-1 blocks above it within its
 * level-2 block, the values above it within its level-1 block, then the users
 * tied with it whose id is lower.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "util/date.h"

#define LEVELS 2
static const unsigned level_shift[LEVELS] = {6, 12};   /* levels 1 and 2 */

/* Weekly boards are numbered from week 0 (starting Monday 1969-12-29) plus
 * WEEK_BASE, so every week of the years 1..9999 has a board above the all-time 0. */
#define WEEK_BASE (1 << 20)

uint32_t qs_board_week(int64_t t)
{
    return (uint32_t)(ut_week_of(eng_day64(t)) + WEEK_BASE);
}

/* First day of the week of a weekly board. */
static int32_t board_first_day(uint32_t board)
{
    return (int32_t)ut_week_first_day((int64_t)board - WEEK_BASE);
}

#define LB_KEY 8         /* lb: board u32 | correct u32 */
#define LB_COUNT_KEY 9   /* lb_count: board u32 | level u8 | block u32 */

static void lb_key(eng_key *k, uint32_t board, uint32_t correct)
{
    ek_reset(k);
    ek_u32(k, board);
    ek_u32(k, correct);
}

static void count_key(eng_key *k, uint32_t board, unsigned level, uint32_t block)
{
    ek_reset(k);
    ek_u32(k, board);
    ek_u8(k, (uint8_t)level);
    ek_u32(k, block);
}

static int count_add(qs_txn *txn, uint32_t board, unsigned level, uint32_t block, int delta)
{
    eng_key k;
    eng_rbuf r;
    uint32_t n = 0;
    count_key(&k, board, level, block);
    int rc = eng_get(txn, ENG_LB_COUNT, &k, &r);
    if (rc == 0) {
        n = rb_u32(&r);
        if (!rb_done(&r))
            return eng_corrupt(ENG_LB_COUNT, &k, "bad count");
    } else if (rc != QS_NOTFOUND) {
        return rc;
    }
    if (delta < 0 && n == 0)
        return eng_corrupt(ENG_LB_COUNT, &k, "count below zero");
    n += (uint32_t)delta;
    if (n == 0)
        return eng_del(txn, ENG_LB_COUNT, &k, NULL);
    uint8_t buf[4];
    eng_wbuf w;
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, n);
    return eng_put(txn, ENG_LB_COUNT, &k, &w, 0);
}

int idx_lb_counts_moved(qs_txn *txn, const eng_val *from, const eng_val *to)
{
    uint32_t fb = 0, fc = 0, tb = 0, tc = 0;
    if (from) {
        fb = eng_get32(from->data);
        fc = eng_get32((const uint8_t *)from->data + 4);
    }
    if (to) {
        tb = eng_get32(to->data);
        tc = eng_get32((const uint8_t *)to->data + 4);
    }
    int rc = 0;
    for (unsigned l = 0; l < LEVELS && !rc; l++) {
        uint32_t a = fc >> level_shift[l], b = tc >> level_shift[l];
        if (from && to && fb == tb && a == b)
            continue;   /* a move within one block changes no count */
        if (from)
            rc = count_add(txn, fb, l + 1, a, -1);
        if (!rc && to)
            rc = count_add(txn, tb, l + 1, b, +1);
    }
    return rc;
}

/* Expected block counts from the lb entries, compared with lb_count. */
typedef struct block_count {
    uint32_t board, block;
    uint8_t level;
    uint32_t n;
} block_count;

static int by_block(const void *pa, const void *pb)
{
    const block_count *x = pa, *y = pb;
    if (x->board != y->board)
        return x->board < y->board ? -1 : 1;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    return (x->block > y->block) - (x->block < y->block);
}

static int expected_counts(qs_txn *txn, block_count **out, size_t *n)
{
    eng_iter it;
    size_t cap = 256;
    block_count *bc = malloc(cap * sizeof *bc);
    *n = 0;
    if (!bc)
        return eng_fail(ENOMEM, "out of memory");
    int rc = eng_iter_open(txn, ENG_LB, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next_key(&it)) {
        size_t users;
        if (it.key.size != LB_KEY)
            break;   /* what follows is damage, which the comparison will show */
        if ((rc = eng_iter_dups(&it, &users)) != 0)
            break;
        const uint8_t *kb = it.key.data;
        uint32_t board = eng_get32(kb), c = eng_get32(kb + 4);
        for (unsigned l = 0; l < LEVELS; l++) {
            if (*n == cap) {
                block_count *m = realloc(bc, (cap *= 2) * sizeof *bc);
                if (!m) {
                    rc = ENOMEM;
                    break;
                }
                bc = m;
            }
            bc[(*n)++] = (block_count){board, c >> level_shift[l], (uint8_t)(l + 1),
                                       (uint32_t)users};
        }
        if (rc)
            break;
    }
    eng_iter_close(&it);
    if (rc != 0 && rc != ENG_END) {
        free(bc);
        return rc;
    }
    qsort(bc, *n, sizeof *bc, by_block);
    /* one entry per block: the users of its values summed */
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        if (m && by_block(&bc[m - 1], &bc[i]) == 0)
            bc[m - 1].n += bc[i].n;
        else
            bc[m++] = bc[i];
    }
    *n = m;
    *out = bc;
    return 0;
}

static void count_finding(qs_index_report *r, const block_count *b, uint32_t stored)
{
    if (!r->first_finding[0])
        snprintf(r->first_finding, sizeof r->first_finding,
                 "lb_count: board %u level %u block %u holds %u, the board has %u", b->board,
                 b->level, b->block, stored, b->n);
}

int idx_lb_counts_check(qs_txn *txn, qs_index_report *r)
{
    block_count *bc = NULL;
    size_t n, i = 0;
    int rc = expected_counts(txn, &bc, &n);
    if (rc)
        return rc;
    eng_iter it;
    rc = eng_iter_open(txn, ENG_LB_COUNT, &it);
    /* merge the stored counts (in key order) with the expected ones (sorted alike) */
    rc = rc ? rc : eng_iter_first(&it);
    while (rc == 0 || (rc == ENG_END && i < n)) {
        block_count got = {0, 0, 0, 0};
        int have = rc == 0;
        if (have) {
            eng_key k;
            eng_rbuf b;
            const uint8_t *kb = it.key.data;
            ek_reset(&k);
            ek_bytes(&k, kb, it.key.size < ENG_KEY_MAX ? it.key.size : ENG_KEY_MAX);
            if (it.key.size == LB_COUNT_KEY) {
                got = (block_count){eng_get32(kb), eng_get32(kb + 5), kb[4], 0};
                if (eng_rec_open(&k, it.val.data, it.val.size, &b) == 0)
                    got.n = rb_u32(&b);
            }
        }
        int cmp = !have ? 1 : i == n ? -1 : by_block(&got, &bc[i]);
        if (cmp == 0) {
            r->checked++;
            if (got.n != bc[i].n) {
                r->missing++;
                r->extra++;
                count_finding(r, &bc[i], got.n);
            }
            i++;
        } else if (cmp < 0) {   /* stored, but no entry calls for it */
            r->extra++;
            count_finding(r, &(block_count){got.board, got.block, got.level, 0}, got.n);
        } else {                /* called for, but not stored */
            r->checked++;
            r->missing++;
            count_finding(r, &bc[i], 0);
            i++;
            continue;
        }
        rc = eng_iter_next(&it);
    }
    eng_iter_close(&it);
    free(bc);
    return rc == ENG_END ? 0 : rc;
}

/* ------------------------------------------------------------------ reads */

/* Users in blocks lo..hi (inclusive) of one level. */
static int sum_counts(eng_iter *it, uint32_t board, unsigned level, uint64_t lo,
                      uint64_t hi, uint64_t *sum)
{
    if (lo > hi || lo > UINT32_MAX)
        return 0;
    eng_key k;
    count_key(&k, board, level, (uint32_t)lo);
    eng_iter_within(it, k.b, 5);
    int rc;
    for (rc = eng_iter_seek(it, k.b, k.n); rc == 0; rc = eng_iter_next(it)) {
        const uint8_t *kb = it->key.data;
        if ((rc = eng_key_check(&it->key, LB_COUNT_KEY, "lb_count")) != 0)
            break;
        if (eng_get32(kb + 5) > hi)
            return 0;
        eng_key ek;
        eng_rbuf r;
        ek_reset(&ek);
        ek_bytes(&ek, kb, LB_COUNT_KEY);
        if (eng_rec_open(&ek, it->val.data, it->val.size, &r))
            return eng_corrupt(ENG_LB_COUNT, &ek, "checksum mismatch");
        *sum += rb_u32(&r);
    }
    return rc == ENG_END ? 0 : rc;
}

/* Users holding each correct value in lo..hi (inclusive). */
static int sum_values(eng_iter *it, uint32_t board, uint64_t lo, uint64_t hi, uint64_t *sum)
{
    if (lo > hi || lo > UINT32_MAX)
        return 0;
    eng_key k;
    lb_key(&k, board, (uint32_t)lo);
    eng_iter_within(it, k.b, 4);
    int rc;
    for (rc = eng_iter_seek(it, k.b, k.n); rc == 0; rc = eng_iter_next_key(it)) {
        size_t count;
        if ((rc = eng_key_check(&it->key, LB_KEY, "lb")) != 0)
            break;
        if (eng_get32((const uint8_t *)it->key.data + 4) > hi)
            return 0;
        if ((rc = eng_iter_dups(it, &count)) != 0)
            break;
        *sum += count;
    }
    return rc == ENG_END ? 0 : rc;
}

/* Users on (board, correct) whose id is below @p user. */
static int count_tied_below(eng_iter *it, uint32_t board, uint32_t correct, uint32_t user,
                            uint64_t *n)
{
    eng_key k;
    lb_key(&k, board, correct);
    eng_iter_within(it, NULL, 0);
    int rc = eng_iter_find(it, k.b, k.n);
    eng_dup_iter d = {it, 0, 0};
    const uint8_t *ids;
    size_t count;
    while (rc == 0 && (rc = eng_dup_next(&d, 4, &ids, &count)) == 0) {
        size_t lo = 0, hi = count;
        while (lo < hi) {   /* first id >= user */
            size_t mid = (lo + hi) / 2;
            if (eng_get32(ids + 4 * mid) < user)
                lo = mid + 1;
            else
                hi = mid;
        }
        *n += lo;
        if (lo < count)
            return 0;
    }
    return rc == ENG_END ? 0 : rc;
}

int idx_lb_rank(qs_txn *txn, uint32_t board, uint32_t correct, uint32_t user, uint64_t *rank)
{
    eng_iter counts, values;
    uint64_t ahead = 0, c = correct;
    int rc = eng_iter_open(txn, ENG_LB_COUNT, &counts);
    if (!rc)
        rc = eng_iter_open(txn, ENG_LB, &values);
    /* blocks above the user's at each level, within its block one level up */
    if (!rc)
        rc = sum_counts(&counts, board, 2, (c >> 12) + 1, UINT32_MAX, &ahead);
    if (!rc)
        rc = sum_counts(&counts, board, 1, (c >> 6) + 1, (((c >> 12) + 1) << 6) - 1, &ahead);
    if (!rc)
        rc = sum_values(&values, board, c + 1, (((c >> 6) + 1) << 6) - 1, &ahead);
    if (!rc)
        rc = count_tied_below(&values, board, correct, user, &ahead);
    eng_iter_close(&counts);
    eng_iter_close(&values);
    *rank = ahead + 1;
    return rc;
}

/* Append the users holding @p correct, ascending, from the cursor on that key; then
 * leave the cursor on the previous key's last user. */
static int top_of_key(eng_iter *it, uint32_t board, uint32_t correct, qs_rank_row *rows,
                      size_t cap, size_t *got)
{
    size_t count;
    int rc = eng_iter_dups(it, &count);
    if (rc == 0 && count == 1) {   /* the common case near the top: one user */
        rows[*got] = (qs_rank_row){*got + 1, eng_get32(it->val.data), correct};
        (*got)++;
        return eng_iter_prev(it);
    }
    eng_dup_iter d = {it, 0, 0};
    const uint8_t *ids;
    rc = rc ? rc : eng_iter_first_dup(it);
    while (rc == 0 && *got < cap && (rc = eng_dup_next(&d, 4, &ids, &count)) == 0)
        for (size_t i = 0; i < count && *got < cap; i++, (*got)++)
            rows[*got] = (qs_rank_row){*got + 1, eng_get32(ids + 4 * i), correct};
    if (rc != 0 && rc != ENG_END)
        return rc;
    /* back to this key's first user, then to the previous key */
    eng_key k;
    lb_key(&k, board, correct);
    rc = eng_iter_find(it, k.b, k.n);
    return rc ? rc : eng_iter_prev_key(it);
}

int idx_lb_top(qs_txn *txn, uint32_t board, qs_rank_row *rows, size_t cap, size_t *n)
{
    eng_iter it;
    eng_key k;
    size_t got = 0;
    lb_key(&k, board, 0);
    int rc = eng_iter_open(txn, ENG_LB, &it);
    eng_iter_within(&it, k.b, 4);
    for (rc = rc ? rc : eng_iter_last(&it); rc == 0 && got < cap;) {
        if ((rc = eng_key_check(&it.key, LB_KEY, "lb")) != 0)
            break;
        uint32_t correct = eng_get32((const uint8_t *)it.key.data + 4);
        rc = top_of_key(&it, board, correct, rows, cap, &got);
    }
    eng_iter_close(&it);
    if (rc != 0 && rc != ENG_END)
        return rc;
    /* everyone on the board: the sum of its level-2 counts */
    uint64_t total = 0;
    if ((rc = eng_iter_open(txn, ENG_LB_COUNT, &it)) == 0)
        rc = sum_counts(&it, board, 2, 0, UINT32_MAX, &total);
    eng_iter_close(&it);
    *n = (size_t)total;
    return rc;
}

/* idx_week_totals() by the week's seven rows, one read each: in a bulk transaction a
 * cursor would first write out everything gathered. */
static int week_rows_read(qs_txn *txn, uint32_t user, int32_t first, uint32_t *answers,
                          uint32_t *correct)
{
    for (int32_t day = first; day < first + 7; day++) {
        eng_daily d;
        int rc = eng_daily_get(txn, user, day, &d);
        if (rc == QS_NOTFOUND)
            continue;
        if (rc)
            return rc;
        *answers += d.answers;
        *correct += d.correct;
    }
    return 0;
}

int idx_week_totals(qs_txn *txn, uint32_t user, uint32_t board, uint32_t *answers,
                    uint32_t *correct)
{
    *answers = *correct = 0;
    if (board == QS_BOARD_ALL_TIME)
        return QS_INVALID;
    int32_t first = board_first_day(board);
    if (eng_gathering(txn))
        return week_rows_read(txn, user, first, answers, correct);
    eng_iter it;
    eng_key k;
    eng_daily_key(&k, user, first);
    int rc = eng_iter_open(txn, ENG_UDAILY, &it);
    eng_iter_within(&it, k.b, 4);
    for (rc = rc ? rc : eng_iter_seek(&it, k.b, k.n); rc == 0; rc = eng_iter_next(&it)) {
        int32_t day;
        eng_daily d;
        if ((rc = eng_daily_decode(&it.key, &it.val, &day, &d)) != 0)
            break;
        if (day >= first + 7)
            break;
        *answers += d.answers;
        *correct += d.correct;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}
