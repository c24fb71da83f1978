/* import_activity.c: rows of users and tests, and what the rows of answers and
 * interactions (import_answers.c) share with them: a row that creates its user, a
 * field of words.
 *
 * References are external ids. An unknown user is created (created at the row's
 * time). An unknown question is a rejected row.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "import.h"

/* ---- users ----------------------------------------------------------------------- */

outcome apply_user(apply_ctx *ac)
{
    row *r = ac->row;
    qs_user u = {.size = sizeof u};
    memset(&u, 0, sizeof u);
    if (row_ext_id(r, FLD_ID, u.ext_id) != 0 || row_time(r, FLD_CREATED_AT, 0, &u.created_at) < 0)
        return OUT_REJECTED;
    uint64_t found = 0;
    int rc = qs_resolve(ac->txn, QS_USER, u.ext_id, &found);
    if (rc == 0) {
        qs_user cur = {.size = sizeof cur};
        if ((rc = qs_user_get(ac->txn, (uint32_t)found, &cur)) != 0)
            return lib_failure(ac, rc, "reading user '%s'", u.ext_id);
        if (cur.created_at == u.created_at)
            return OUT_UNCHANGED;
    } else if (rc == QS_NOTFOUND) {
        found = 0;
    } else {
        return lib_failure(ac, rc, "user '%s'", u.ext_id);
    }
    if ((rc = qs_user_put(ac->txn, &u, NULL)) != 0)
        return lib_failure(ac, rc, "user '%s'", u.ext_id);
    return found ? OUT_UPDATED : OUT_INSERTED;
}

/* ---- rows of a new user ------------------------------------------------------------- */

outcome with_new_user(apply_ctx *ac, int64_t created_at, uint32_t *user,
                      outcome (*write)(apply_ctx *, void *), void *item)
{
    qs_txn *sp;
    int rc = qs_txn_savepoint(ac->txn, &sp);
    if (rc != 0)
        return lib_fatal(ac, rc, "savepoint");
    apply_ctx in = *ac;
    in.txn = sp;
    outcome o = ref_user(&in, FLD_USER, created_at, user);
    if (!FAILED(o))
        o = write(&in, item);
    int stored = o == OUT_INSERTED || o == OUT_UPDATED;
    if (stored && (rc = qs_txn_commit(sp)) != 0)
        return lib_fatal(ac, rc, "savepoint commit");
    if (!stored) {
        qs_txn_abort(sp);
        id_memo_clear(ac->ids);
        memset(in.created, 0, sizeof in.created);
    }
    in.txn = ac->txn;
    *ac = in;
    return o;
}

/* ---- tests ----------------------------------------------------------------------- */

outcome word_field(row *r, field_id f, unsigned (*code)(const char *), unsigned dflt,
                   const char *choices, unsigned *out)
{
    const row_value *v = &r->v[f];
    if (!v->present) {
        *out = dflt;
        return OUT_INSERTED;
    }
    if ((*out = code(v->s)) == 0) {
        char what[128];
        snprintf(what, sizeof what, "is not one of %s", choices);
        row_bad_value(r, f, what);
        return OUT_REJECTED;
    }
    return OUT_INSERTED;
}

/* A test as a row gives it, with the list its questions point to. */
typedef struct test_item {
    qs_test t;
    uint32_t list[QS_TEST_MAX_QUESTIONS];
} test_item;

/* @p t with its list copied into @p item's (a list the library hands out lasts only
 * until its next test read). */
static void test_keep(test_item *item, const qs_test *t)
{
    item->t = *t;
    if (t->n_questions)
        memcpy(item->list, t->questions, t->n_questions * sizeof *item->list);
    item->t.questions = item->list;
}

/* The question list: every item an existing question, none twice. */
static outcome test_questions(apply_ctx *ac, test_item *item)
{
    qs_test *t = &item->t;
    row *r = ac->row;
    list_iter it;
    const char *s;
    size_t len;
    list_start(&it, &r->v[FLD_QUESTIONS]);
    while (list_next(&it, &s, &len)) {
        char ext[QS_EXT_ID_MAX + 1];
        if (len == 0 || len > QS_EXT_ID_MAX) {
            row_fail(r, "questions: item %u is %s", t->n_questions + 1u,
                     len ? "longer than 63 bytes" : "empty");
            return OUT_REJECTED;
        }
        if (t->n_questions == QS_TEST_MAX_QUESTIONS) {
            row_fail(r, "questions: more than %d", QS_TEST_MAX_QUESTIONS);
            return OUT_REJECTED;
        }
        memcpy(ext, s, len);
        ext[len] = '\0';
        uint64_t q;
        int rc = ref_id(ac, QS_QUESTION, ext, &q);
        if (rc == QS_NOTFOUND) {
            row_fail(r, "questions: question '%s' is not in the bank", ext);
            return OUT_REJECTED;
        }
        if (rc != 0)
            return lib_failure(ac, rc, "question '%s'", ext);
        for (unsigned i = 0; i < t->n_questions; i++) {
            if (item->list[i] == q) {
                row_fail(r, "questions: question '%s' is listed twice", ext);
                return OUT_REJECTED;
            }
        }
        item->list[t->n_questions++] = (uint32_t)q;
    }
    t->questions = item->list;
    return OUT_INSERTED;
}

static int same_test(const qs_test *a, const qs_test *b)
{
    return a->user == b->user && a->status == b->status && a->mode == b->mode &&
           a->open_list == b->open_list && a->created_at == b->created_at &&
           a->last_activity_at == b->last_activity_at && a->completed_at == b->completed_at &&
           a->n_questions == b->n_questions &&
           memcmp(a->questions, b->questions, a->n_questions * sizeof a->questions[0]) == 0;
}

static outcome test_fields(apply_ctx *ac, qs_test *t)
{
    row *r = ac->row;
    unsigned status, mode;
    int open_list;
    outcome o;
    if (row_ext_id(r, FLD_ID, t->ext_id) != 0 ||
        row_time(r, FLD_CREATED_AT, 0, &t->created_at) < 0 ||
        row_time(r, FLD_LAST_ACTIVITY_AT, t->created_at, &t->last_activity_at) < 0 ||
        row_time(r, FLD_COMPLETED_AT, 0, &t->completed_at) < 0 ||
        row_bool(r, FLD_OPEN_LIST, !r->v[FLD_QUESTIONS].present, &open_list) < 0)
        return OUT_REJECTED;
    if (FAILED(o = word_field(r, FLD_STATUS, test_status_code, 0,
                              "active, paused, completed, abandoned", &status)) ||
        FAILED(o = word_field(r, FLD_MODE, test_mode_code, QS_MODE_TUTOR, "tutor, timed", &mode)))
        return o;
    t->status = (uint8_t)status;
    t->mode = (uint8_t)mode;
    t->open_list = (uint8_t)open_list;
    if (t->status == QS_TEST_COMPLETED && t->completed_at == 0)
        t->completed_at = t->last_activity_at;
    return OUT_INSERTED;
}

/* The row's test @p item, its user resolved: written unless refused, which writes
 * nothing (qs_test_put() refuses before it writes). */
static outcome put_test(apply_ctx *ac, void *given)
{
    static test_item cur; /* 1 KiB; one import runs on one thread */
    test_item *item = given;
    qs_test *t = &item->t, got = {.size = sizeof got};
    outcome o = test_questions(ac, item);
    if (FAILED(o))
        return o;
    uint64_t found = 0;
    int rc = qs_resolve(ac->txn, QS_TEST, t->ext_id, &found);
    if (rc == 0) {
        if ((rc = qs_test_get(ac->txn, found, &got)) != 0)
            return lib_failure(ac, rc, "reading test '%s'", t->ext_id);
        if (same_test(t, &got))
            return OUT_UNCHANGED;
        test_keep(&cur, &got);
    } else if (rc == QS_NOTFOUND) {
        found = 0;
    } else {
        return lib_failure(ac, rc, "test '%s'", t->ext_id);
    }
    if ((rc = qs_test_put(ac->txn, t, NULL)) != 0)
        return lib_failure(ac, rc, "test '%s'", t->ext_id);
    if (!found)
        return OUT_INSERTED;
    /* the library holds a test's times to its answers: the row may have changed nothing */
    if ((rc = qs_test_get(ac->txn, found, &got)) != 0)
        return lib_failure(ac, rc, "reading test '%s'", cur.t.ext_id);
    return same_test(&got, &cur.t) ? OUT_UNCHANGED : OUT_UPDATED;
}

/* Applied to the batch itself: only a row that creates its user needs a savepoint. */
outcome apply_test(apply_ctx *ac)
{
    static test_item item; /* 1 KiB; one import runs on one thread */
    memset(&item, 0, sizeof item);
    qs_test *t = &item.t;
    outcome o = test_fields(ac, t);
    if (FAILED(o) || FAILED(o = find_user(ac, FLD_USER, &t->user)))
        return o;
    return o == OUT_INSERTED ? with_new_user(ac, t->created_at, &t->user, put_test, &item)
                             : put_test(ac, &item);
}
