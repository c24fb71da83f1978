/* repair.c: the aggregates rebuilt (check.h): every answer replayed through
 * idx_apply_answer() onto emptied aggregates, review marks kept; without the answers,
 * the daily rows' run ends rebuilt from the rows. */
#include "check.h"

/* The review marks, to put back after the user-question rows are recomputed. */
typedef struct mark {
    uint32_t user, question;
    uint8_t marked;
} mark;

static int save_mark(const eng_val *k, const eng_val *v, void *ctx)
{
    qs_user_question s;
    mark *m;
    if (k->size != ENG_UQ_KEY)
        return 0;
    uint32_t user = eng_get32(k->data), question = eng_get32((const uint8_t *)k->data + 4);
    eng_key key;
    eng_rbuf r;
    ek_reset(&key);
    ek_bytes(&key, k->data, ENG_UQ_KEY);
    if (eng_rec_open(&key, v->data, v->size, &r))
        return 0;   /* a damaged row's mark is lost; its attempts are recomputed */
    s.attempts = rb_u32(&r);
    s.last_correct = rb_u8(&r);
    s.marked = rb_u8(&r);
    rb_time(&r);
    if (!rb_done(&r))
        return 0;
    if (!(m = vec_push(ctx)))
        return no_memory();
    *m = (mark){user, question, s.marked};
    return 0;
}


static int restore_marks(qs_txn *txn, const vec *marks)
{
    const mark *m = marks->p;
    for (size_t i = 0; i < marks->n; i++) {
        qs_user_question s;
        int rc = eng_uq_get(txn, m[i].user, m[i].question, &s);
        if (rc && rc != QS_NOTFOUND)
            return rc;
        if (rc == 0 && s.marked == m[i].marked)
            continue;
        if (rc == QS_NOTFOUND && !m[i].marked)
            continue;
        s.marked = m[i].marked;
        if ((rc = eng_uq_put(txn, m[i].user, m[i].question, &s)) != 0)
            return rc;
    }
    return 0;
}

static int replay_answer(const eng_row *row, void *ctx)
{
    return idx_apply_answer(ctx, &row->a);
}

static int replay_event(const eng_row *row, void *ctx)
{
    return eng_idaily_add(ctx, row->i.user, eng_day(row->i.created_at), row->i.action, 1);
}

/* Every row of @p table, bucket by bucket in time order, to @p fn. */
static int replay(qs_txn *txn, eng_table table, eng_row_fn fn)
{
    return eng_table_each(txn, table, QS_TIME_MIN, QS_TIME_MAX, NULL, fn, txn);
}

/* The answer aggregates from nothing: emptied, the indexes rebuilt on them, then
 * every answer applied in time order; review marks put back. Time order matters
 * within a user only, and buckets come in time order. */
static int recompute_answer_aggregates(qs_txn *txn)
{
    static const eng_db derived[] = {ENG_QSTAT, ENG_USUM, ENG_UDAILY, ENG_PROGRESS, ENG_UQ};
    vec marks = {.size = sizeof(mark)};
    int rc = eng_each_entry(txn, ENG_UQ, save_mark, &marks);
    for (size_t i = 0; !rc && i < sizeof derived / sizeof derived[0]; i++)
        rc = eng_db_empty(txn, derived[i]);
    if (!rc)
        rc = idx_rebuild(txn);
    if (!rc)
        rc = replay(txn, ENG_T_ANSWER, replay_answer);
    if (!rc)
        rc = restore_marks(txn, &marks);
    free(marks.p);
    return rc;
}

static int put_run_end(qs_txn *txn, uint32_t user, int32_t day, eng_daily d, int32_t other)
{
    if (d.has_other_end && d.other_end == other)
        return 0;
    d.has_other_end = 1;
    d.other_end = other;
    return eng_daily_put(txn, user, day, &d);
}

/* The run ends of @p user's daily rows written from the rows themselves. Rows that do
 * not decode are left as they are: with the answers dropped, nothing can replace
 * them. */
static int repair_runs(checker *c, uint32_t user)
{
    vec *runs = &c->u.runs;
    int rc = idx_user_runs(c->txn, user, runs);
    if (rc)
        return rc == QS_CORRUPT ? 0 : rc;
    for (size_t i = 0; !rc && i < runs->n; i++) {
        const day_run *r = &((const day_run *)runs->p)[i];
        rc = put_run_end(c->txn, user, r->first, r->first_row, r->last);
        if (!rc && r->last != r->first)
            rc = put_run_end(c->txn, user, r->last, r->last_row, r->first);
    }
    return rc;
}

/* Without the answers, the daily rows stay; their run ends are rebuilt from them. */
static int rebuild_runs(qs_txn *txn)
{
    checker c = {.txn = txn, .u = {.runs = {.size = sizeof(day_run)}}};
    int rc = idx_each_id(&c, ENG_USER, repair_runs);
    free(c.u.runs.p);
    return rc;
}

int idx_repair_aggregates(qs_txn *txn)
{
    int answers_kept, events_kept, rc;
    qs_check_report note;
    if ((rc = idx_recomputable(txn, ENG_T_ANSWER, &note, &answers_kept)) != 0 ||
        (rc = idx_recomputable(txn, ENG_T_INTERACTION, &note, &events_kept)) != 0)
        return rc;
    if (answers_kept)
        rc = recompute_answer_aggregates(txn);
    else if ((rc = idx_rebuild(txn)) == 0)
        rc = rebuild_runs(txn);
    if (!rc && events_kept && (rc = eng_db_empty(txn, ENG_IDAILY)) == 0)
        rc = replay(txn, ENG_T_INTERACTION, replay_event);
    return rc ? eng_txn_failed(txn, rc) : 0;
}
