/* composite.c: hand-maintained composite secondary indexes, each declared once.
 *
 * An index is a database of entries cut from the records of one source (the
 * questions, seen with their success band, or the tests). Its declaration says
 * which database, and how to cut a record's entries (cut) and find the record an
 * entry came from (owner). Every put of a record goes through idx_*_changed() in
 * the same transaction: entries of the old version that the new one lacks are
 * deleted, the new ones added. Rebuild and verify work from the same
 * declarations (rebuild.c, verify.c), and cover the pools (pool.c) too; the records
 * come from source.c.
 *
 *   index         key                                   value
 *   q_filter      system u32 | topic u32 | difficulty u8   question u32 (DUPFIXED)
 *   q_subject     subject u32 | difficulty u8              question u32 (DUPFIXED)
 *   q_band        system u32 | band u8                     question u32 (DUPFIXED)
 *   q_created     created_at time | question u32           (empty)
 *   test_by_user  user u32 | status u8 |                   (empty)
 *                 last_activity_at time | test u64
 *   test_answers  test u64                                 question u32 | created_at
 *                                                          time (DUPFIXED): the answer
 *                                                          is the test's user's row at
 *                                                          that time (engine/model.c)
 *
 *   lb            board u32 | correct u32                  user u32 (DUPFIXED): board 0
 *                                                          from every user and its
 *                                                          summary, weekly boards from
 *                                                          the users' daily rows
 *
 * test_answers also makes (test, question) unique: idx_answer_added() claims its
 * entry before anything else of an answer is written. The leaderboards share one
 * database, each declaration owning its boards, and keep lb_count in step through
 * their moved hook (leaderboard.c).
 */
#include <string.h>

#include "composite.h"
#include "index.h"
#include "rows.h"

/* ------------------------------------------------------------------ declarations */

static void id_value(idx_entry *e, uint32_t id)
{
    eng_put32(e->val, id);
    e->val_len = 4;
}

static uint64_t owner_in_value(const eng_val *key, const eng_val *val)
{
    return val->size == 4 ? eng_get32(val->data) : 0;
}

static size_t cut_filter(const void *rec, idx_entry *out)
{
    const eng_question *q = &((const idx_question *)rec)->head;
    ek_reset(&out->key);
    ek_u32(&out->key, q->system);
    ek_u32(&out->key, q->topic);
    ek_u8(&out->key, q->difficulty);
    id_value(out, q->id);
    return 1;
}

static size_t cut_subject(const void *rec, idx_entry *out)
{
    const eng_question *q = &((const idx_question *)rec)->head;
    ek_reset(&out->key);
    ek_u32(&out->key, q->subject);
    ek_u8(&out->key, q->difficulty);
    id_value(out, q->id);
    return 1;
}

static size_t cut_band(const void *rec, idx_entry *out)
{
    const idx_question *q = rec;
    if (!q->has_band)
        return 0;
    ek_reset(&out->key);
    ek_u32(&out->key, q->head.system);
    ek_u8(&out->key, q->band);
    id_value(out, q->head.id);
    return 1;
}

static size_t cut_created(const void *rec, idx_entry *out)
{
    const eng_question *q = &((const idx_question *)rec)->head;
    ek_reset(&out->key);
    ek_time(&out->key, q->created_at);
    ek_u32(&out->key, q->id);
    out->val_len = 0;
    return 1;
}

static uint64_t owner_created(const eng_val *key, const eng_val *val)
{
    return key->size == 12 ? eng_get32((const uint8_t *)key->data + 8) : 0;
}

static size_t cut_test(const void *rec, idx_entry *out)
{
    const eng_test *t = rec;
    eng_test_index_key(&out->key, t->user, t->status, t->last_activity_at, t->id);
    out->val_len = (uint8_t)eng_test_index_val(out->val, t);
    return 1;
}

static uint64_t owner_test(const eng_val *key, const eng_val *val)
{
    return key->size == ENG_TEST_INDEX_KEY ? eng_get64((const uint8_t *)key->data + 13) : 0;
}

static size_t cut_answer(const void *rec, idx_entry *out)
{
    const eng_answer *a = rec;
    ek_reset(&out->key);
    ek_u64(&out->key, a->test);
    eng_test_answer_dup(out->val, a->question, a->created_at);
    out->val_len = ENG_TEST_ANSWER_DUP;
    return 1;
}

static size_t cut_board(const void *rec, idx_entry *out)
{
    const idx_board_view *v = rec;
    if (v->board != QS_BOARD_ALL_TIME && v->answers == 0)
        return 0;   /* a weekly board holds that week's answerers */
    ek_reset(&out->key);
    ek_u32(&out->key, v->board);
    ek_u32(&out->key, v->correct);
    id_value(out, v->user);
    return 1;
}

static uint64_t owner_board(const eng_val *key, const eng_val *val)
{
    if (key->size != 8 || val->size != 4)
        return 0;
    uint64_t board = eng_get32(key->data);
    return board << 32 | eng_get32(val->data);
}

static int owns_all_time(const eng_val *key)
{
    return key->size == 8 && eng_get32(key->data) == QS_BOARD_ALL_TIME;
}

static int owns_weekly(const eng_val *key)
{
    return !owns_all_time(key);
}

const idx_def idx_defs[] = {
    {"q_filter", ENG_Q_FILTER, IDX_QUESTIONS, cut_filter, owner_in_value, 1, NULL, NULL},
    {"q_subject", ENG_Q_SUBJECT, IDX_QUESTIONS, cut_subject, owner_in_value, 1, NULL, NULL},
    {"q_band", ENG_Q_BAND, IDX_QUESTIONS, cut_band, owner_in_value, 1, NULL, NULL},
    {"q_created", ENG_Q_CREATED, IDX_QUESTIONS, cut_created, owner_created, 0, NULL, NULL},
    {"test_by_user", ENG_TEST_BY_USER, IDX_TESTS, cut_test, owner_test, 0, NULL, NULL},
    {"test_answers", ENG_TEST_ANSWERS, IDX_ANSWERS, cut_answer, NULL, 1, NULL, NULL},
    {"lb_all_time", ENG_LB, IDX_USERS, cut_board, owner_board, 1, owns_all_time,
     idx_lb_counts_moved},
    {"lb_weekly", ENG_LB, IDX_USER_WEEKS, cut_board, owner_board, 1, owns_weekly,
     idx_lb_counts_moved},
};
const size_t idx_n_defs = sizeof idx_defs / sizeof idx_defs[0];

/* ------------------------------------------------------------------ maintenance */

static int entry_equal(const idx_entry *a, const idx_entry *b)
{
    return a->key.n == b->key.n && memcmp(a->key.b, b->key.b, a->key.n) == 0 &&
           a->val_len == b->val_len && memcmp(a->val, b->val, a->val_len) == 0;
}

int idx_entry_in(const idx_entry *e, const idx_entry *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (entry_equal(e, &set[i]))
            return 1;
    return 0;
}

int idx_entry_put(qs_txn *txn, const idx_def *d, const idx_entry *e)
{
    eng_val k = {e->key.n, (void *)e->key.b}, v = {e->val_len, (void *)e->val};
    int rc = eng_entry_put(txn, d->db, &k, &v, d->dupsort ? ENG_NODUPDATA : 0);
    return rc == QS_EXISTS ? 0 : rc;
}

static int entry_del(qs_txn *txn, const idx_def *d, const idx_entry *e)
{
    eng_val dup = {e->val_len, (void *)e->val};
    int rc = eng_del(txn, d->db, &e->key, d->dupsort ? &dup : NULL);
    if (rc == QS_NOTFOUND)
        return eng_corrupt(d->db, &e->key, "index entry missing");
    return rc;
}

static int update_source(qs_txn *txn, idx_source src, const void *old, const void *rec)
{
    for (size_t i = 0; i < idx_n_defs; i++) {
        const idx_def *d = &idx_defs[i];
        idx_entry before[IDX_MAX_ENTRIES], after[IDX_MAX_ENTRIES];
        size_t nb, na;
        int rc = 0;
        if (d->source != src)
            continue;
        nb = old ? d->cut(old, before) : 0;
        na = rec ? d->cut(rec, after) : 0;
        const idx_entry *gone = NULL, *came = NULL;
        for (size_t j = 0; j < nb && !rc; j++)
            if (!idx_entry_in(&before[j], after, na))
                rc = entry_del(txn, d, gone = &before[j]);
        for (size_t j = 0; j < na && !rc; j++)
            if (!idx_entry_in(&after[j], before, nb))
                rc = idx_entry_put(txn, d, came = &after[j]);
        if (!rc && d->moved && (gone || came)) {   /* single-entry declarations */
            eng_val from = gone ? (eng_val){gone->key.n, (void *)gone->key.b} : (eng_val){0, 0};
            eng_val to = came ? (eng_val){came->key.n, (void *)came->key.b} : (eng_val){0, 0};
            rc = d->moved(txn, gone ? &from : NULL, came ? &to : NULL);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int idx_question_changed(qs_txn *txn, const idx_question *old, const idx_question *q)
{
    int rc = update_source(txn, IDX_QUESTIONS, old, q);
    if (!rc)
        rc = idx_pools_update(txn, old, q);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int idx_board_changed(qs_txn *txn, const idx_board_view *old, const idx_board_view *now)
{
    const idx_board_view *v = now ? now : old;
    int rc = update_source(txn, v->board == QS_BOARD_ALL_TIME ? IDX_USERS : IDX_USER_WEEKS,
                           old, now);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int idx_test_changed(qs_txn *txn, const eng_test *old, const eng_test *t)
{
    int rc = update_source(txn, IDX_TESTS, old, t);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int idx_answer_added(qs_txn *txn, const eng_answer *a)
{
    for (size_t i = 0; i < idx_n_defs; i++) {
        const idx_def *d = &idx_defs[i];
        idx_entry e;
        if (d->source != IDX_ANSWERS)
            continue;
        int64_t at;
        int rc = eng_test_answer_get(txn, a->test, a->question, &at);
        if (rc == 0)
            return QS_EXISTS;
        if (rc != QS_NOTFOUND)
            return rc;
        d->cut(a, &e);
        if ((rc = idx_entry_put(txn, d, &e)) != 0)
            return rc;
    }
    return 0;
}
