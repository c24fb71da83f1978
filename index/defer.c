/* defer.c: the leaderboard and success-band moves a bulk transaction postpones.
 *
 * An answer moves its user on two boards (all time and its week) and may move its
 * question to another success band. In a bulk transaction (eng_gathering) the
 * moves are recorded here instead, and when the transaction flushes each user's
 * standing on a board, and each question's band, moves once: from where it stood at
 * the last flush to where it stands now. The boards and the band index are sets cut
 * from those states, so one move from the first state to the last leaves them as
 * the chain of moves would. The pools, whose order is a permutation built by the
 * sequence of insertions and removals, get fewer moves: their members are the same,
 * their order differs (and is as uniform).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "composite.h"
#include "index.h"

typedef struct board_move {
    idx_board_view was, now;
    uint32_t seq;
} board_move;

typedef struct band_move {
    uint32_t question, seq;
    uint8_t had, old, band;   /* had: a band before (old); band: the one it moves to */
} band_move;

typedef struct moves {
    board_move *b;
    size_t nb, capb;
    band_move *q;
    size_t nq, capq;
    uint32_t seq;
} moves;

static int apply_moves(qs_txn *txn, void *ctx);

static void moves_free(void *ctx)
{
    moves *m = ctx;
    free(m->b);
    free(m->q);
    free(m);
}

/* The bulk transaction's recorded moves, registered on first use. */
static moves *moves_of(qs_txn *txn)
{
    moves *m = eng_deferred(txn, apply_moves);
    if (m)
        return m;
    if (!(m = calloc(1, sizeof *m)))
        return NULL;
    if (eng_defer(txn, apply_moves, moves_free, m) != 0) {
        moves_free(m);
        return NULL;
    }
    return m;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 1024;
    void *q = realloc(*p, c * size);
    if (!q)
        return eng_fail(ENOMEM, "out of memory");
    *p = q;
    *cap = c;
    return 0;
}

/* ------------------------------------------------------------------ bands */

/* Question @p question leaves band @p old (if @p had) for band @p band. */
static int band_moved(qs_txn *txn, uint32_t question, int had, uint8_t old, uint8_t band)
{
    idx_question was, now;
    int rc = idx_question_load(txn, question, &now);
    if (rc)
        return rc;
    was = now;
    was.has_band = had;
    was.band = had ? old : 0;
    now.has_band = 1;
    now.band = band;
    return idx_question_changed(txn, &was, &now);
}

int idx_band_move(qs_txn *txn, uint32_t question, int had, uint8_t old, uint8_t band)
{
    moves *m;
    if (!eng_gathering(txn))
        return band_moved(txn, question, had, old, band);
    if (!(m = moves_of(txn)))
        return eng_fail(ENOMEM, "out of memory");
    int rc = grow((void **)&m->q, &m->capq, m->nq, sizeof *m->q);
    if (rc)
        return rc;
    m->q[m->nq++] = (band_move){question, m->seq++, (uint8_t)had, old, band};
    eng_defer_touch(txn, ENG_Q_BAND);
    eng_defer_touch(txn, ENG_POOL);
    eng_defer_touch(txn, ENG_POOL_POS);
    return 0;
}

static int band_cmp(const void *pa, const void *pb)
{
    const band_move *a = pa, *b = pb;
    if (a->question != b->question)
        return a->question < b->question ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Each question once: from its first move's old band to its last move's band. */
static int apply_bands(qs_txn *txn, moves *m)
{
    if (m->nq)
        qsort(m->q, m->nq, sizeof *m->q, band_cmp);
    int rc = 0;
    for (size_t i = 0, j; i < m->nq && !rc; i = j) {
        for (j = i + 1; j < m->nq && m->q[j].question == m->q[i].question; j++)
            ;
        const band_move *first = &m->q[i], *last = &m->q[j - 1];
        if (!first->had || first->old != last->band)
            rc = band_moved(txn, first->question, first->had, first->old, last->band);
    }
    m->nq = 0;
    return rc;
}

/* ------------------------------------------------------------------ boards */

int idx_board_move(qs_txn *txn, const idx_board_view *was, const idx_board_view *now)
{
    moves *m;
    if (!eng_gathering(txn))
        return idx_board_changed(txn, was, now);
    if (!(m = moves_of(txn)))
        return eng_fail(ENOMEM, "out of memory");
    int rc = grow((void **)&m->b, &m->capb, m->nb, sizeof *m->b);
    if (rc)
        return rc;
    m->b[m->nb++] = (board_move){*was, *now, m->seq++};
    eng_defer_touch(txn, ENG_LB);
    eng_defer_touch(txn, ENG_LB_COUNT);
    return 0;
}

static int board_cmp(const void *pa, const void *pb)
{
    const board_move *a = pa, *b = pb;
    if (a->now.board != b->now.board)
        return a->now.board < b->now.board ? -1 : 1;
    if (a->now.user != b->now.user)
        return a->now.user < b->now.user ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Each (board, user) once: from its first move's standing to its last one's. */
static int apply_boards(qs_txn *txn, moves *m)
{
    if (m->nb)
        qsort(m->b, m->nb, sizeof *m->b, board_cmp);
    int rc = 0;
    for (size_t i = 0, j; i < m->nb && !rc; i = j) {
        for (j = i + 1; j < m->nb && m->b[j].now.board == m->b[i].now.board &&
                        m->b[j].now.user == m->b[i].now.user;
             j++)
            ;
        rc = idx_board_changed(txn, &m->b[i].was, &m->b[j - 1].now);
    }
    m->nb = 0;
    return rc;
}

static int apply_moves(qs_txn *txn, void *ctx)
{
    moves *m = ctx;
    int rc = apply_bands(txn, m);
    int brc = apply_boards(txn, m);
    return rc ? rc : brc;
}
