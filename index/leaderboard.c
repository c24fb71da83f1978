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
 *             LMDB itself (mdb_cursor_count on its lb key).
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

#define LEVELS 2
static const unsigned level_shift[LEVELS] = {6, 12};   /* levels 1 and 2 */

/* Weekly boards are numbered from week 0 (starting Monday 1969-12-29) plus
 * WEEK_BASE, so every week of the years 1..9999 has a board above the all-time 0. */
#define WEEK_BASE (1 << 20)

uint32_t qs_board_week(int64_t t)
{
    int64_t day = eng_day64(t) + 3;   /* days since Monday 1969-12-29 */
    int64_t week = day / 7 - (day % 7 < 0);
    return (uint32_t)(week + WEEK_BASE);
}

/* First day of the week of a weekly board. */
static int32_t board_first_day(uint32_t board)
{
    return (int32_t)(((int64_t)board - WEEK_BASE) * 7 - 3);
}

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
        return eng_del(txn, eng_dbi(txn, ENG_LB_COUNT), "lb_count", &k, NULL);
    uint8_t buf[4];
    eng_wbuf w;
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, n);
    return eng_put(txn, ENG_LB_COUNT, &k, &w, 0);
}

int idx_lb_counts_moved(qs_txn *txn, const MDB_val *from, const MDB_val *to)
{
    uint32_t fb = 0, fc = 0, tb = 0, tc = 0;
    if (from) {
        fb = eng_get32(from->mv_data);
        fc = eng_get32((const uint8_t *)from->mv_data + 4);
    }
    if (to) {
        tb = eng_get32(to->mv_data);
        tc = eng_get32((const uint8_t *)to->mv_data + 4);
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
    MDB_cursor *cur;
    MDB_val mk, mv;
    size_t cap = 256;
    block_count *bc = malloc(cap * sizeof *bc);
    *n = 0;
    if (!bc)
        return eng_fail(ENOMEM, "out of memory");
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_LB), "lb", &cur);
    if (rc) {
        free(bc);
        return rc;
    }
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT_NODUP)) {
        size_t users;
        if (mk.mv_size != 8 || (rc = mdb_cursor_count(cur, &users)) != 0)
            break;
        uint32_t board = eng_get32(mk.mv_data), c = eng_get32((const uint8_t *)mk.mv_data + 4);
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
    mdb_cursor_close(cur);
    if ((rc = eng_walk_rc(rc, "lb")) != 0) {
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
    MDB_cursor *cur;
    MDB_val mk, mv;
    if ((rc = eng_cursor_open(txn, eng_dbi(txn, ENG_LB_COUNT), "lb_count", &cur)) != 0) {
        free(bc);
        return rc;
    }
    /* merge the stored counts (in key order) with the expected ones (sorted alike) */
    rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST);
    while (rc == 0 || (rc == MDB_NOTFOUND && i < n)) {
        block_count got = {0, 0, 0, 0};
        int have = rc == 0;
        if (have) {
            eng_key k;
            eng_rbuf b;
            const uint8_t *kb = mk.mv_data;
            ek_reset(&k);
            ek_bytes(&k, mk.mv_data, mk.mv_size < ENG_KEY_MAX ? mk.mv_size : ENG_KEY_MAX);
            if (mk.mv_size == 9) {
                got = (block_count){eng_get32(kb), eng_get32(kb + 5), kb[4], 0};
                if (eng_rec_open(&k, mv.mv_data, mv.mv_size, &b) == 0)
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
        rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    free(bc);
    return eng_walk_rc(rc, "lb_count");
}

/* ------------------------------------------------------------------ reads */

/* Users in blocks lo..hi (inclusive) of one level. */
static int sum_counts(MDB_cursor *cur, uint32_t board, unsigned level, uint64_t lo,
                      uint64_t hi, uint64_t *sum)
{
    if (lo > hi || lo > UINT32_MAX)
        return 0;
    eng_key k;
    MDB_val mk, mv;
    count_key(&k, board, level, (uint32_t)lo);
    mk = (MDB_val){k.n, k.b};
    int rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        const uint8_t *kb = mk.mv_data;
        if (mk.mv_size != 9 || eng_get32(kb) != board || kb[4] != level ||
            eng_get32(kb + 5) > hi)
            break;
        eng_key ek;
        eng_rbuf r;
        ek_reset(&ek);
        ek_bytes(&ek, mk.mv_data, mk.mv_size);
        if (eng_rec_open(&ek, mv.mv_data, mv.mv_size, &r))
            return eng_corrupt(ENG_LB_COUNT, &ek, "checksum mismatch");
        *sum += rb_u32(&r);
    }
    return eng_walk_rc(rc, "lb_count");
}

/* Users holding each correct value in lo..hi (inclusive). */
static int sum_values(MDB_cursor *cur, uint32_t board, uint64_t lo, uint64_t hi, uint64_t *sum)
{
    if (lo > hi || lo > UINT32_MAX)
        return 0;
    eng_key k;
    lb_key(&k, board, (uint32_t)lo);
    MDB_val mk = {k.n, k.b}, mv;
    int rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT_NODUP)) {
        size_t count;
        if (mk.mv_size != 8 || eng_get32(mk.mv_data) != board ||
            eng_get32((const uint8_t *)mk.mv_data + 4) > hi)
            break;
        if ((rc = mdb_cursor_count(cur, &count)) != 0)
            break;
        *sum += count;
    }
    return eng_walk_rc(rc, "lb");
}

/* Users on (board, correct) whose id is below @p user. */
static int count_tied_below(MDB_cursor *cur, uint32_t board, uint32_t correct, uint32_t user,
                            uint64_t *n)
{
    eng_key k;
    lb_key(&k, board, correct);
    MDB_val mk = {k.n, k.b}, mv;
    int rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET);
    if (rc == MDB_NOTFOUND)
        return 0;
    eng_dup_iter it = {cur, 0, 0};
    const uint8_t *ids;
    size_t count;
    while (rc == 0 && (rc = eng_dup_next(&it, 4, &ids, &count)) == 0) {
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
    return eng_walk_rc(rc, "lb");
}

int idx_lb_rank(qs_txn *txn, uint32_t board, uint32_t correct, uint32_t user, uint64_t *rank)
{
    MDB_cursor *cc, *lc;
    uint64_t ahead = 0, c = correct;
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_LB_COUNT), "lb_count", &cc);
    if (rc)
        return rc;
    rc = eng_cursor_open(txn, eng_dbi(txn, ENG_LB), "lb", &lc);
    if (rc) {
        mdb_cursor_close(cc);
        return rc;
    }
    /* blocks above the user's at each level, within its block one level up */
    rc = sum_counts(cc, board, 2, (c >> 12) + 1, UINT32_MAX, &ahead);
    if (!rc)
        rc = sum_counts(cc, board, 1, (c >> 6) + 1, (((c >> 12) + 1) << 6) - 1, &ahead);
    if (!rc)
        rc = sum_values(lc, board, c + 1, (((c >> 6) + 1) << 6) - 1, &ahead);
    if (!rc)
        rc = count_tied_below(lc, board, correct, user, &ahead);
    mdb_cursor_close(cc);
    mdb_cursor_close(lc);
    *rank = ahead + 1;
    return rc;
}

/* Append the users holding @p correct, ascending, from the cursor on that key; then
 * leave the cursor on the previous key's last user. */
static int top_of_key(MDB_cursor *cur, MDB_val *mk, MDB_val *mv, uint32_t board,
                      uint32_t correct, qs_rank_row *rows, size_t cap, size_t *got)
{
    size_t count;
    int rc = mdb_cursor_count(cur, &count);
    if (rc == 0 && count == 1) {   /* the common case near the top: one user */
        rows[*got] = (qs_rank_row){*got + 1, eng_get32(mv->mv_data), correct};
        (*got)++;
        return mdb_cursor_get(cur, mk, mv, MDB_PREV);
    }
    eng_dup_iter it = {cur, 0, 0};
    const uint8_t *ids;
    rc = rc ? rc : mdb_cursor_get(cur, mk, mv, MDB_FIRST_DUP);
    while (rc == 0 && *got < cap && (rc = eng_dup_next(&it, 4, &ids, &count)) == 0)
        for (size_t i = 0; i < count && *got < cap; i++, (*got)++)
            rows[*got] = (qs_rank_row){*got + 1, eng_get32(ids + 4 * i), correct};
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    /* back to this key's first user, then to the previous key */
    eng_key k;
    lb_key(&k, board, correct);
    *mk = (MDB_val){k.n, k.b};
    rc = mdb_cursor_get(cur, mk, mv, MDB_SET);
    return rc ? rc : mdb_cursor_get(cur, mk, mv, MDB_PREV_NODUP);
}

int idx_lb_top(qs_txn *txn, uint32_t board, qs_rank_row *rows, size_t cap, size_t *n)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_key k;
    size_t got = 0;
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_LB), "lb", &cur);
    if (rc)
        return rc;
    /* the last key of the board: just before the first key of the next board */
    lb_key(&k, board + 1, 0);
    mk = (MDB_val){k.n, k.b};
    rc = board == UINT32_MAX ? MDB_NOTFOUND : mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
    rc = mdb_cursor_get(cur, &mk, &mv, rc == 0 ? MDB_PREV_NODUP : MDB_LAST);
    while (rc == 0 && got < cap) {
        if (mk.mv_size != 8 || eng_get32(mk.mv_data) != board)
            break;
        uint32_t correct = eng_get32((const uint8_t *)mk.mv_data + 4);
        rc = top_of_key(cur, &mk, &mv, board, correct, rows, cap, &got);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return eng_mdb_rc(rc, "read", "lb");
    /* everyone on the board: the sum of its level-2 counts */
    uint64_t total = 0;
    if ((rc = eng_cursor_open(txn, eng_dbi(txn, ENG_LB_COUNT), "lb_count", &cur)) != 0)
        return rc;
    rc = sum_counts(cur, board, 2, 0, UINT32_MAX, &total);
    mdb_cursor_close(cur);
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
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_key k;
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_UDAILY), "udaily", &cur);
    if (rc)
        return rc;
    eng_daily_key(&k, user, first);
    mk = (MDB_val){k.n, k.b};
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        int32_t day;
        eng_daily d;
        if (mk.mv_size != 8 || eng_get32(mk.mv_data) != user)
            break;
        if ((rc = eng_daily_decode(&mk, &mv, &day, &d)) != 0)
            break;
        if (day >= first + 7)
            break;
        *answers += d.answers;
        *correct += d.correct;
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, "udaily");
}
