/* tests.c: tests put, got, drawn and listed; a test's answers keep its user, keep
 * their questions on its list and keep its times from going back (the rules are at
 * qs_test_put in quizstore.h), and qs_repair() raises the times older versions
 * left behind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* ------------------------------------------------------------------ tests */

static const char *user_label(qs_txn *txn, uint32_t id, label *l)
{
    qs_user u;
    return api_label_of(l, QS_USER, id, eng_user_get(txn, id, &u) == 0 ? u.ext_id : "");
}

static const char *question_label(qs_txn *txn, uint32_t id, label *l)
{
    eng_question q;
    return api_label_of(l, QS_QUESTION, id, eng_question_head(txn, id, &q) == 0 ? q.ext_id : "");
}

static int check_test(qs_txn *txn, const eng_test *t)
{
    if (t->status < QS_TEST_ACTIVE || t->status > QS_TEST_ABANDONED)
        return eng_fail(QS_INVALID, "test status %u is not 1..4", t->status);
    if (t->mode != QS_MODE_TUTOR && t->mode != QS_MODE_TIMED)
        return eng_fail(QS_INVALID, "test mode %u is not tutor (1) or timed (2)", t->mode);
    if (t->open_list > 1)
        return eng_fail(QS_INVALID, "open_list must be 0 or 1");
    if (t->n_questions > QS_TEST_MAX_QUESTIONS)
        return eng_fail(QS_INVALID, "%u questions is over %d", t->n_questions,
                        QS_TEST_MAX_QUESTIONS);
    int rc = api_check_ext(t->ext_id, "test");
    if (!rc)
        rc = api_user_exists(txn, t->user);
    for (unsigned i = 0; i < t->n_questions && !rc; i++) {
        for (unsigned j = 0; j < i; j++)
            if (t->questions[j] == t->questions[i])
                return eng_fail(QS_INVALID, "question %u is listed twice", t->questions[i]);
        rc = eng_question_exists(txn, t->questions[i]);
        if (rc == QS_NOTFOUND)
            rc = api_missing("question", t->questions[i]);
    }
    return rc;
}

static int same_test(const eng_test *a, const eng_test *b)
{
    return memcmp(a, b, offsetof(eng_test, questions)) == 0 &&
           memcmp(a->questions, b->questions, a->n_questions * sizeof a->questions[0]) == 0;
}

static int listed(const eng_test *t, uint32_t question)
{
    for (unsigned i = 0; i < t->n_questions; i++)
        if (t->questions[i] == question)
            return 1;
    return 0;
}

void api_test_reach(eng_test *t, int64_t at)
{
    if (at > t->last_activity_at)
        t->last_activity_at = at;
    /* a completed test rebuilt from an answer log ends with its last answer */
    if (t->open_list && t->status == QS_TEST_COMPLETED && at > t->completed_at)
        t->completed_at = at;
}

/* A test as stored, as a put would leave it, and its answers (test_answers). */
typedef struct test_change {
    eng_test old, next;
    eng_test_answer answers[QS_TEST_MAX_QUESTIONS];
    size_t n_answers;
} test_change;

static int refuse_new_user(qs_txn *txn, const test_change *c)
{
    label test, from, to;
    return eng_fail(QS_INVALID, "%s belongs to %s and has %zu answer%s: it cannot pass to %s",
                    api_label_of(&test, QS_TEST, c->old.id, c->old.ext_id),
                    user_label(txn, c->old.user, &from), c->n_answers,
                    c->n_answers == 1 ? "" : "s", user_label(txn, c->next.user, &to));
}

static int refuse_unlisted(qs_txn *txn, const test_change *c, uint32_t question)
{
    label test, q;
    return eng_fail(QS_INVALID, "%s has an answer to %s: the question cannot leave its list",
                    api_label_of(&test, QS_TEST, c->old.id, c->old.ext_id),
                    question_label(txn, question, &q));
}

static int answered(const test_change *c, uint32_t question)
{
    for (size_t i = 0; i < c->n_answers; i++)
        if (c->answers[i].question == question)
            return 1;
    return 0;
}

/* An open list grows with its answers: the answered questions c->next leaves out go
 * back on it, in the order c->old listed them. */
static int keep_answered_listed(test_change *c)
{
    for (unsigned i = 0; i < c->old.n_questions; i++) {
        uint32_t q = c->old.questions[i];
        if (!answered(c, q) || listed(&c->next, q))
            continue;
        if (c->next.n_questions == QS_TEST_MAX_QUESTIONS)
            return eng_fail(QS_INVALID, "test %llu: its answered questions and the %d given "
                            "would be over %d", (unsigned long long)c->old.id,
                            QS_TEST_MAX_QUESTIONS, QS_TEST_MAX_QUESTIONS);
        c->next.questions[c->next.n_questions++] = q;
    }
    return 0;
}

/* Hold c->next to the test's answers: the user stays, every answered question stays
 * listed (kept on an open list, QS_INVALID otherwise), and the times reach the newest
 * answer. */
static int follow_answers(qs_txn *txn, test_change *c)
{
    int rc = eng_test_answers(txn, c->old.id, c->answers, &c->n_answers);
    if (rc)
        return rc;
    if (c->n_answers && c->next.user != c->old.user)
        return refuse_new_user(txn, c);
    if (c->next.open_list && (rc = keep_answered_listed(c)) != 0)
        return rc;
    for (size_t i = 0; i < c->n_answers; i++) {
        if (!listed(&c->next, c->answers[i].question))
            return refuse_unlisted(txn, c, c->answers[i].question);
        api_test_reach(&c->next, c->answers[i].created_at);
    }
    return 0;
}

/* Store @p t (id resolved) and keep test_by_user in step. */
static int store_test(qs_txn *txn, const eng_test *t, const eng_test *old)
{
    int rc = eng_test_put(txn, t);
    if (!rc)
        rc = idx_test_changed(txn, old, t);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

/* The library's form of the application's test @p given, into @p t (zeroed past its
 * list). */
static int test_in(const qs_test *given, eng_test *t)
{
    qs_test in;
    int rc = eng_sized_in(given, sizeof in, &in, "qs_test");
    if (rc)
        return rc;
    if (in.n_questions > QS_TEST_MAX_QUESTIONS)
        return eng_fail(QS_INVALID, "%u questions is over %d", in.n_questions,
                        QS_TEST_MAX_QUESTIONS);
    if (in.n_questions && !in.questions)
        return eng_fail(QS_INVALID, "test has %u questions but no question array",
                        in.n_questions);
    memset(t, 0, offsetof(eng_test, questions));   /* same_test() compares the bytes */
    t->id = in.id;
    t->user = in.user;
    t->status = in.status;
    t->mode = in.mode;
    t->open_list = in.open_list;
    t->n_questions = (uint16_t)in.n_questions;
    t->created_at = in.created_at;
    t->last_activity_at = in.last_activity_at;
    t->completed_at = in.completed_at;
    memcpy(t->ext_id, in.ext_id, sizeof t->ext_id);
    if (in.n_questions)
        memcpy(t->questions, in.questions, in.n_questions * sizeof *in.questions);
    memset(t->questions + in.n_questions, 0,
           (QS_TEST_MAX_QUESTIONS - in.n_questions) * sizeof *t->questions);
    return 0;
}

/* The application's form of test @p t into @p out; its list is held in the
 * transaction's scratch until the next qs_test_get() or qs_test_create(). */
static int test_out(qs_txn *txn, const eng_test *t, qs_test *out)
{
    uint32_t *list = eng_scratch(txn, ENG_SCRATCH_LIST, sizeof t->questions);
    if (!list)
        return ENOMEM;
    memcpy(list, t->questions, t->n_questions * sizeof *list);
    qs_test full = {.id = t->id, .user = t->user, .status = t->status, .mode = t->mode,
                    .open_list = t->open_list, .n_questions = t->n_questions,
                    .created_at = t->created_at, .last_activity_at = t->last_activity_at,
                    .completed_at = t->completed_at,
                    .questions = t->n_questions ? list : NULL};
    memcpy(full.ext_id, t->ext_id, sizeof full.ext_id);
    return eng_sized_out(out, &full, sizeof full, "qs_test");
}

static int test_put(qs_txn *txn, const qs_test *given, uint64_t *id)
{
    int rc = eng_writable_gathering(txn);
    if (rc)
        return rc;
    if (!given)
        return eng_fail(QS_INVALID, "qs_test_put: test is NULL");
    identity who;
    test_change *c = malloc(sizeof *c);
    if (!c)
        return eng_fail(ENOMEM, "out of memory");
    eng_test *old = &c->old, *next = &c->next;
    const eng_test *t = next;
    if ((rc = test_in(given, next)) != 0 || (rc = check_test(txn, t)) != 0) {
        free(c);
        return rc;
    }
    rc = api_resolve_identity(txn, QS_TEST, t->id, t->ext_id, ENG_NEXT_TEST, UINT64_MAX, &who);
    int found = rc ? rc : eng_test_get(txn, who.id, old);
    next->id = who.id;
    if (!rc && found && found != QS_NOTFOUND)
        rc = found;
    if (!rc)
        rc = api_merge_ext(old->ext_id, t->ext_id, next->ext_id, QS_TEST, who.id);
    if (!rc && found == 0 && !same_test(old, next))
        rc = follow_answers(txn, c);   /* may refuse, or raise next's times */
    if (!rc && !(found == 0 && same_test(old, next))) {
        rc = store_test(txn, next, found == 0 ? old : NULL);
        if (!rc)
            rc = api_finish_ext(txn, QS_TEST, &who, next->ext_id);
    }
    if (!rc && id)
        *id = who.id;
    free(c);
    return rc;
}

int qs_test_put(qs_txn *txn, const qs_test *t, uint64_t *id)
{
    ENG_GUARDED(txn, test_put(txn, t, id));
}

static int test_get(qs_txn *txn, uint64_t id, qs_test *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_test_get: output is NULL");
    eng_test got;
    rc = eng_test_get(txn, id, &got);
    if (rc == QS_NOTFOUND)
        return api_missing("test", id);
    return rc ? rc : test_out(txn, &got, out);
}

int qs_test_get(qs_txn *txn, uint64_t id, qs_test *out)
{
    ENG_GUARDED(txn, test_get(txn, id, out));
}

static int check_draw(qs_txn *txn, const qs_draw *d)
{
    if (d->pattern < QS_DRAW_FILTER || d->pattern > QS_DRAW_WEAK)
        return eng_fail(QS_INVALID, "draw pattern %u is not 1..3", d->pattern);
    if (d->mode != QS_MODE_TUTOR && d->mode != QS_MODE_TIMED)
        return eng_fail(QS_INVALID, "test mode %u is not tutor (1) or timed (2)", d->mode);
    if (d->count < 1 || d->count > QS_TEST_MAX_QUESTIONS)
        return eng_fail(QS_INVALID, "count %u is outside 1..%d", d->count,
                        QS_TEST_MAX_QUESTIONS);
    if (d->difficulty > 3)
        return eng_fail(QS_INVALID, "difficulty %u is outside 0..3", d->difficulty);
    if (d->only > QS_ONLY_MARKED)
        return eng_fail(QS_INVALID, "draw filter 'only' %u is not 0..3", d->only);
    if (d->pattern == QS_DRAW_ADAPTIVE && (!d->system || d->rate_min_bp > d->rate_max_bp ||
                                           d->rate_max_bp > 10000))
        return eng_fail(QS_INVALID, "adaptive draw needs a system and 0 <= min <= max <= 10000");
    return api_user_exists(txn, d->user);
}

static int test_create(qs_txn *txn, const qs_draw *given, qs_test *out)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!given || !out)
        return eng_fail(QS_INVALID, "qs_test_create: NULL argument");
    qs_draw draw;
    const qs_draw *d = &draw;
    if ((rc = eng_sized_in(given, sizeof draw, &draw, "qs_draw")) != 0 ||
        (rc = eng_sized_fits(out, sizeof *out, "qs_test")) != 0 ||
        (rc = check_draw(txn, d)) != 0)
        return rc;
    eng_test made;
    if (d->id) {
        rc = eng_test_get(txn, d->id, &made);
        if (rc == 0)
            return eng_fail(QS_EXISTS, "test %llu exists", (unsigned long long)d->id);
        if (rc != QS_NOTFOUND)
            return rc;
    }
    memset(&made, 0, sizeof made);
    if ((rc = idx_draw(txn, d, &made)) != 0)
        return rc;
    made.id = d->id;
    if (d->id)
        eng_counter_seen(txn, ENG_NEXT_TEST, d->id);
    else if ((rc = api_new_id(txn, QS_TEST, ENG_NEXT_TEST, UINT64_MAX, &made.id)) != 0)
        return rc;
    made.user = d->user;
    made.status = QS_TEST_ACTIVE;
    made.mode = d->mode;
    made.created_at = made.last_activity_at = d->created_at;
    if ((rc = store_test(txn, &made, NULL)) != 0)
        return rc;
    return test_out(txn, &made, out);
}

int qs_test_create(qs_txn *txn, const qs_draw *d, qs_test *out)
{
    ENG_GUARDED(txn, test_create(txn, d, out));
}

/* Walk one status of a user's tests newest first, merging into @p rows. */
static int list_status(qs_txn *txn, uint32_t user, uint8_t status, qs_test_row *rows,
                       size_t cap, size_t *held, size_t *total)
{
    eng_iter it;
    eng_key k;
    eng_test_index_key(&k, user, status, INT64_MIN, 0);
    int rc = eng_iter_open(txn, ENG_TEST_BY_USER, &it);
    eng_iter_within(&it, k.b, 5);   /* user u32 | status u8 */
    for (rc = rc ? rc : eng_iter_last(&it); rc == 0; rc = eng_iter_prev(&it)) {
        qs_test_row row;
        if ((rc = eng_test_index_row(&it.key, &it.val, &row)) != 0)
            break;
        (*total)++;
        /* insertion into the (last_activity desc, id desc) order, keeping cap rows */
        size_t at = *held;
        while (at > 0 && (rows[at - 1].last_activity_at < row.last_activity_at ||
                          (rows[at - 1].last_activity_at == row.last_activity_at &&
                           rows[at - 1].id < row.id)))
            at--;
        if (at >= cap)
            continue;
        size_t keep = *held < cap ? *held : cap - 1;
        memmove(rows + at + 1, rows + at, (keep - at) * sizeof *rows);
        rows[at] = row;
        if (*held < cap)
            (*held)++;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

static int test_list(qs_txn *txn, uint32_t user, qs_test_row *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_test_list: NULL output");
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    size_t held = 0, total = 0;
    if ((rc = list_status(txn, user, QS_TEST_ACTIVE, rows, cap, &held, &total)) ||
        (rc = list_status(txn, user, QS_TEST_PAUSED, rows, cap, &held, &total)))
        return rc;
    *n = total;
    return 0;
}

int qs_test_list(qs_txn *txn, uint32_t user, qs_test_row *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, test_list(txn, user, rows, cap, n));
}

/* Test @p id into c->old, and into c->next with its times raised to its answers. */
static int test_with_answers(qs_txn *txn, uint64_t id, test_change *c)
{
    int rc = eng_test_get(txn, id, &c->old);
    if (!rc)
        rc = eng_test_answers(txn, id, c->answers, &c->n_answers);
    c->next = c->old;
    for (size_t i = 0; !rc && i < c->n_answers; i++)
        api_test_reach(&c->next, c->answers[i].created_at);
    return rc;
}

int api_repair_tests(qs_txn *txn)
{
    test_change *c = malloc(sizeof *c);
    if (!c)   /* after the rebuild: the repair is half done */
        return eng_txn_failed(txn, eng_fail(ENOMEM, "out of memory"));
    uint64_t id = 0;
    int more, rc;
    while ((rc = api_id_after(txn, ENG_TEST, 8, &id, &more)) == 0 && more)
        if ((rc = test_with_answers(txn, id, c)) != 0 ||
            (!same_test(&c->old, &c->next) && (rc = store_test(txn, &c->next, &c->old)) != 0))
            break;
    free(c);
    return rc ? eng_txn_failed(txn, rc) : 0;
}
