/* check_walk.c: the walks of stored rows that the check and the repair share (check.h):
 * a user's rows of a database, every id of a database, a user's daily rows in runs of
 * consecutive days. */
#include "check.h"

const char *const idx_check_row_names[ROW_COUNT] = {
    "aggregate:qstat", "aggregate:usum", "aggregate:udaily", "aggregate:progress",
    "aggregate:uq", "aggregate:idaily",
    "link:answer-user", "link:answer-listed", "link:test-activity", "link:question-topic"};

/* Walk the stored rows of @p db under the 4-byte @p user prefix; @p fn gets each. */
int idx_stored_rows(qs_txn *txn, eng_db db, uint32_t user, eng_entry_fn fn, void *ctx)
{
    eng_iter it;
    uint8_t prefix[4];
    eng_put32(prefix, user);
    int rc = eng_iter_open(txn, db, &it), frc = 0;
    eng_iter_within(&it, prefix, sizeof prefix);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it))
        if ((frc = fn(&it.key, &it.val, ctx)) != 0)
            break;
    eng_iter_close(&it);
    return frc ? frc : rc == ENG_END ? 0 : rc;
}

/* @p fn with the id of every 4-byte key of @p db, in order, until it returns non-zero
 * (returned). A key of another size is skipped: the record check reports it. */
int idx_each_id(checker *c, eng_db db, int (*fn)(checker *c, uint32_t id))
{
    eng_iter it;
    int rc = eng_iter_open(c->txn, db, &it), frc = 0;
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it))
        if (it.key.size == 4 && (frc = fn(c, eng_get32(it.key.data))) != 0)
            break;
    eng_iter_close(&it);
    return frc ? frc : rc == ENG_END ? 0 : rc;
}

static int keep_run_row(const eng_val *k, const eng_val *v, void *ctx)
{
    vec *runs = ctx;
    int32_t day;
    eng_daily d;
    int rc = eng_daily_decode(k, v, &day, &d);
    if (rc)
        return rc;
    day_run *r = runs->n ? &((day_run *)runs->p)[runs->n - 1] : NULL;
    if (!r || day != r->last + 1) {
        if (!(r = vec_push(runs)))
            return no_memory();
        r->first = day;
        r->first_row = d;
    }
    r->last = day;
    r->last_row = d;
    return 0;
}

/* The runs that @p user's daily rows make, in day order, into @p runs. */
int idx_user_runs(qs_txn *txn, uint32_t user, vec *runs)
{
    runs->n = 0;
    return idx_stored_rows(txn, ENG_UDAILY, user, keep_run_row, runs);
}
