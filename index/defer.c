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
 * their order differs (and is as uniform). A user's standing on a weekly board is
 * read from its last recorded move, which spares the week's daily rows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "composite.h"
#include "index.h"

/* Moves by key: (board << 32 | user) for boards, the question for bands. */
typedef struct board_move {
    idx_board_view was, now;
    int had;                  /* was is a standing (else the user is new to the board) */
} board_move;

typedef struct band_move {
    uint32_t question;
    uint8_t had, old, band;   /* had: a band before (old); band: the one it moves to */
} band_move;

typedef struct moves {
    eng_keymap bk, qk;   /* (board, user) and question to their move */
    board_move *b;
    size_t nb, capb;
    band_move *q;
    size_t nq, capq;
} moves;

static int apply_moves(qs_txn *txn, void *ctx);

static void moves_free(void *ctx)
{
    moves *m = ctx;
    eng_keymap_free(&m->bk);
    eng_keymap_free(&m->qk);
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

static uint64_t board_key(uint32_t board, uint32_t user)
{
    return (uint64_t)board << 32 | user;
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
    uint32_t at;
    if (!eng_gathering(txn))
        return band_moved(txn, question, had, old, band);
    if (!(m = moves_of(txn)))
        return eng_fail(ENOMEM, "out of memory");
    int found, rc = eng_grow((void **)&m->q, &m->capq, m->nq + 1, sizeof *m->q);
    if (rc || (rc = eng_keymap_find(&m->qk, question, (uint32_t)m->nq, &at, &found)) != 0)
        return rc;
    if (found) {
        m->q[at].band = band;
        return 0;
    }
    m->q[m->nq++] = (band_move){question, (uint8_t)had, old, band};
    eng_defer_touch(txn, ENG_Q_BAND);
    eng_defer_touch(txn, ENG_POOL);
    eng_defer_touch(txn, ENG_POOL_POS);
    return 0;
}

/* Each question once: from its band at the last flush to its band now. */
static int apply_bands(qs_txn *txn, moves *m)
{
    int rc = 0;
    for (size_t i = 0; i < m->nq && !rc; i++) {
        const band_move *q = &m->q[i];
        if (!q->had || q->old != q->band)
            rc = band_moved(txn, q->question, q->had, q->old, q->band);
    }
    m->nq = 0;
    eng_keymap_clear(&m->qk);
    return rc;
}

/* ------------------------------------------------------------------ boards */

int idx_board_move(qs_txn *txn, const idx_board_view *was, const idx_board_view *now)
{
    moves *m;
    uint32_t at;
    if (!eng_gathering(txn))
        return idx_board_changed(txn, was, now);
    if (!(m = moves_of(txn)))
        return eng_fail(ENOMEM, "out of memory");
    int found, rc = eng_grow((void **)&m->b, &m->capb, m->nb + 1, sizeof *m->b);
    if (rc || (rc = eng_keymap_find(&m->bk, board_key(now->board, now->user),
                                    (uint32_t)m->nb, &at, &found)) != 0)
        return rc;
    if (found) {
        m->b[at].now = *now;
        return 0;
    }
    m->b[m->nb++] = (board_move){was ? *was : *now, *now, was != NULL};
    eng_defer_touch(txn, ENG_LB);
    eng_defer_touch(txn, ENG_LB_COUNT);
    return 0;
}

int idx_week_standing(qs_txn *txn, uint32_t user, uint32_t board, uint32_t *answers,
                      uint32_t *correct)
{
    moves *m = eng_gathering(txn) ? eng_deferred(txn, apply_moves) : NULL;
    uint32_t at;
    if (m && eng_keymap_get(&m->bk, board_key(board, user), &at)) {
        *answers = m->b[at].now.answers;
        *correct = m->b[at].now.correct;
        return 0;
    }
    return idx_week_totals(txn, user, board, answers, correct);
}

/* Each (board, user) once: from its standing at the last flush to its standing now. */
static int apply_boards(qs_txn *txn, moves *m)
{
    int rc = 0;
    for (size_t i = 0; i < m->nb && !rc; i++)
        rc = idx_board_changed(txn, m->b[i].had ? &m->b[i].was : NULL, &m->b[i].now);
    m->nb = 0;
    eng_keymap_clear(&m->bk);
    return rc;
}

static int apply_moves(qs_txn *txn, void *ctx)
{
    moves *m = ctx;
    int rc = apply_bands(txn, m);
    int brc = apply_boards(txn, m);
    return rc ? rc : brc;
}
