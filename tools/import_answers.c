/* import_answers.c: rows of answers and interactions.
 *
 * References are external ids; an unknown user is created with the row
 * (import_activity.c). An answer to an unknown test creates it: an open-list
 * COMPLETED tutor test of the row's user, created at the answer's time. An unknown
 * question is a rejected row. An answer to a (test, question) already answered is a
 * duplicate when it is identical to the recorded one, and a rejected row (a conflict)
 * when it differs.
 */
#include <string.h>

#include "cli.h"
#include "import.h"
#include "timefmt.h"

/* QS_EXPIRED: the row's period was dropped by retention; it is not stored. */
static outcome expired(row *r)
{
    char label[128];
    row_fail(r, "expired: %s '%s' falls in a period retention dropped",
             row_field_label(r, FLD_CREATED_AT, label, sizeof label), r->v[FLD_CREATED_AT].s);
    return OUT_EXPIRED;
}

/* ---- answers --------------------------------------------------------------------- */

/* The answer's test; an unknown one is created for the row's user. */
static outcome answer_test(apply_ctx *ac, uint32_t user, int64_t at, uint64_t *id)
{
    row *r = ac->row;
    qs_test t = {.size = sizeof t};
    if (row_ext_id(r, FLD_TEST, t.ext_id) != 0)
        return OUT_REJECTED;
    int rc = ref_id(ac, QS_TEST, t.ext_id, id);
    if (rc == 0)
        return OUT_UNCHANGED;
    if (rc != QS_NOTFOUND)
        return lib_failure(ac, rc, "test '%s'", t.ext_id);
    if (!user) {
        row_fail(r, "test '%s' is unknown and the row names no user to create it for", t.ext_id);
        return OUT_REJECTED;
    }
    t.user = user;
    t.status = QS_TEST_COMPLETED;
    t.mode = QS_MODE_TUTOR;
    t.open_list = 1;
    t.created_at = t.last_activity_at = t.completed_at = at;
    if ((rc = qs_test_put(ac->txn, &t, id)) != 0)
        return lib_failure(ac, rc, "creating test '%s'", t.ext_id);
    ac->created[QS_TEST]++;
    return OUT_INSERTED;
}

static outcome answer_fields(row *r, qs_answer *a)
{
    int correct, chosen;
    int64_t score, spent;
    unsigned status;
    if (row_time(r, FLD_CREATED_AT, 0, &a->created_at) < 0 ||
        row_bool(r, FLD_CORRECT, QS_GRADE, &correct) < 0 ||
        row_option(r, FLD_CHOSEN, QS_NO_CHOICE, &chosen) < 0 ||
        row_int(r, FLD_SCORE, 10, 90, 0, &score) < 0 ||
        row_int(r, FLD_TIME_SPENT_MS, 0, UINT32_MAX, 0, &spent) < 0)
        return OUT_REJECTED;
    /* no status: answered, or skipped when there is neither a choice nor a grade */
    unsigned dflt = chosen == QS_NO_CHOICE && correct == QS_GRADE ? QS_SKIPPED : QS_ANSWERED;
    outcome o = word_field(r, FLD_STATUS, answer_status_code, dflt, "answered, skipped, flagged",
                           &status);
    if (FAILED(o))
        return o;
    if (status != QS_SKIPPED && chosen == QS_NO_CHOICE && correct == QS_GRADE) {
        row_fail(r, "an %s answer needs chosen or correct", answer_status_word(status));
        return OUT_REJECTED;
    }
    a->correct = (int8_t)correct;
    a->chosen = (int8_t)chosen;
    a->status = (uint8_t)status;
    a->score = (uint8_t)score;
    a->time_spent_ms = spent;
    return OUT_INSERTED;
}

/* QS_EXISTS: the same answer again is a duplicate; a different one a conflict. */
static outcome answer_exists(apply_ctx *ac, const qs_answer *a)
{
    qs_answer cur;
    int rc = qs_answer_get(ac->txn, a->test, a->question, &cur);
    if (rc != 0)
        return lib_failure(ac, rc, "reading the recorded answer");
    if (cur.chosen == a->chosen && cur.status == a->status && cur.score == a->score &&
        cur.time_spent_ms == a->time_spent_ms && cur.created_at == a->created_at &&
        (a->correct == QS_GRADE || cur.correct == a->correct) &&
        (a->user == 0 || cur.user == a->user))
        return OUT_DUPLICATE;
    char when[UT_TIME_TEXT_SIZE];
    ut_time_format(cur.created_at, when);
    row_fail(ac->row,
             "conflict: test '%s' already has a different answer to question '%s' "
             "(recorded at %s)",
             ac->row->v[FLD_TEST].s, ac->row->v[FLD_QUESTION].s, when);
    return OUT_REJECTED;
}

outcome answer_submitted(apply_ctx *ac, const qs_answer *a, int rc)
{
    if (rc == QS_EXISTS)
        return answer_exists(ac, a);
    if (rc == QS_EXPIRED)
        return expired(ac->row);
    if (rc != 0)
        return lib_failure(ac, rc, "answer");
    return OUT_INSERTED;
}

static outcome submit(apply_ctx *ac, const qs_answer *a)
{
    return answer_submitted(ac, a, qs_answer_submit(ac->txn, a, NULL));
}

static outcome submit_item(apply_ctx *ac, void *a)
{
    return submit(ac, a);
}

outcome answer_test_create(apply_ctx *ac, qs_answer *a, int new_user)
{
    if (!a->user && !new_user)   /* no user to create the test for: refused */
        return answer_test(ac, 0, a->created_at, &a->test);
    a->test = 0;
    int rc = qs_answer_check(ac->txn, a);
    if (rc == QS_EXPIRED)
        return expired(ac->row);
    if (rc != 0)
        return lib_failure(ac, rc, "answer");
    outcome o = OUT_INSERTED;
    if (new_user && FAILED(o = ref_user(ac, FLD_USER, a->created_at, &a->user)))
        return o;
    return answer_test(ac, a->user, a->created_at, &a->test);
}

/* A row whose test is new: its test created, then the answer submitted. */
static outcome answer_of_new_test(apply_ctx *ac, qs_answer *a, int new_user)
{
    outcome o = answer_test_create(ac, a, new_user);
    if (o != OUT_INSERTED)
        return o;
    if ((o = submit(ac, a)) != OUT_INSERTED) {   /* the check above said it would be */
        if (o == OUT_FATAL)
            return o;
        return lib_fatal(ac, QS_INVALID, "answer refused after its test was created");
    }
    return o;
}

outcome answer_of_row(apply_ctx *ac, qs_answer *a, int *new_user, int *new_test)
{
    row *r = ac->row;
    memset(a, 0, sizeof *a);
    *new_user = *new_test = 0;
    outcome o = answer_fields(r, a);
    if (FAILED(o))
        return o;
    char qext[QS_EXT_ID_MAX + 1], text[QS_EXT_ID_MAX + 1];
    if (row_ext_id(r, FLD_QUESTION, qext) != 0 || row_ext_id(r, FLD_TEST, text) != 0)
        return OUT_REJECTED;
    uint64_t q;
    int rc = ref_id(ac, QS_QUESTION, qext, &q);
    if (rc == QS_NOTFOUND) {
        row_fail(r, "question '%s' is not in the bank", qext);
        return OUT_REJECTED;
    }
    if (rc != 0)
        return lib_failure(ac, rc, "question '%s'", qext);
    a->question = (uint32_t)q;
    if (FAILED(o = find_user(ac, FLD_USER, &a->user)))
        return o;
    *new_user = o == OUT_INSERTED;
    rc = ref_id(ac, QS_TEST, text, &a->test);
    *new_test = rc == QS_NOTFOUND;
    if (rc != 0 && rc != QS_NOTFOUND)
        return lib_failure(ac, rc, "test '%s'", text);
    return OUT_INSERTED;
}

/* Applied to the batch itself, without a savepoint: nothing is written until the row
 * cannot be rejected (import_batch.c). */
outcome apply_answer(apply_ctx *ac)
{
    qs_answer a;
    int new_user, new_test;
    outcome o = answer_of_row(ac, &a, &new_user, &new_test);
    if (FAILED(o))
        return o;
    if (new_test)
        return answer_of_new_test(ac, &a, new_user);
    /* a new user's answer to an existing (another user's) test: refused */
    return new_user ? with_new_user(ac, a.created_at, &a.user, submit_item, &a) : submit(ac, &a);
}

/* ---- interactions ---------------------------------------------------------------- */

outcome interaction_logged(apply_ctx *ac, int rc)
{
    if (rc == QS_EXISTS)
        return OUT_DUPLICATE;   /* that very event is stored already */
    if (rc == QS_EXPIRED)
        return expired(ac->row);
    if (rc != 0)
        return lib_failure(ac, rc, "interaction");
    return OUT_INSERTED;
}

static outcome log_item(apply_ctx *ac, void *ix)
{
    return interaction_logged(ac, qs_interaction_log(ac->txn, ix, NULL));
}

outcome interaction_of_row(apply_ctx *ac, qs_interaction *ix, int *new_user)
{
    row *r = ac->row;
    memset(ix, 0, sizeof *ix);
    if (row_time(r, FLD_CREATED_AT, 0, &ix->created_at) < 0)
        return OUT_REJECTED;
    if (ix->created_at < QS_TIME_MIN || ix->created_at >= QS_TIME_MAX) {
        row_bad_value(r, FLD_CREATED_AT, "is outside the years 1 to 9999");
        return OUT_REJECTED;
    }
    int action = action_code(r->v[FLD_ACTION].s);
    if (action < 0) {
        row_bad_value(r, FLD_ACTION, "is not one of view, bookmark, note, flag, hint, video, "
                                     "search, share, or 0-255");
        return OUT_REJECTED;
    }
    ix->action = (uint8_t)action;
    const row_value *payload = &r->v[FLD_PAYLOAD];
    if (payload->len > QS_PAYLOAD_MAX) {
        row_fail(r, "payload: %zu bytes, at most %d", payload->len, QS_PAYLOAD_MAX);
        return OUT_REJECTED;
    }
    ix->payload = payload->len ? payload->s : NULL;
    ix->payload_len = payload->len;
    outcome o = find_user(ac, FLD_USER, &ix->user);
    *new_user = o == OUT_INSERTED;
    return o;
}

/* Applied to the batch itself: qs_interaction_log() writes nothing it refuses, so only
 * a row that creates its user needs a savepoint. */
outcome apply_interaction(apply_ctx *ac)
{
    qs_interaction ix;
    int new_user;
    outcome o = interaction_of_row(ac, &ix, &new_user);
    if (FAILED(o))
        return o;
    return new_user ? with_new_user(ac, ix.created_at, &ix.user, log_item, &ix)
                    : log_item(ac, &ix);
}
