/* answer.c: recording answers, one or many at once, checking one, getting one back.
 *
 * qs_answer_submit() validates everything before it writes anything, so a
 * rejected answer changes nothing; then it stores the answer in its time bucket,
 * claims (test, question) in test_answers, moves every aggregate (index/) and the
 * test's activity, all in the caller's transaction.
 *
 * Interactions are recorded in interaction.c; both are scanned in scan.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static int check_answer_fields(const qs_answer *a)
{
    if (a->status < QS_ANSWERED || a->status > QS_FLAGGED)
        return eng_fail(QS_INVALID, "answer status %u is not 1..3", a->status);
    if (a->score && (a->score < 10 || a->score > 90))
        return eng_fail(QS_INVALID, "score %u is outside 10..90", a->score);
    if (a->time_spent_ms < 0 || a->time_spent_ms > UINT32_MAX)
        return eng_fail(QS_INVALID, "time spent %lld ms is negative or too large",
                        (long long)a->time_spent_ms);
    if (a->correct != QS_GRADE && a->correct != 0 && a->correct != 1)
        return eng_fail(QS_INVALID, "correct is %d, not 0, 1 or QS_GRADE", a->correct);
    if (a->chosen != QS_NO_CHOICE && (a->chosen < 0 || a->chosen >= QS_MAX_OPTIONS))
        return eng_fail(QS_INVALID, "chosen option %d is out of range", a->chosen);
    if (a->created_at < QS_TIME_MIN || a->created_at >= QS_TIME_MAX)
        return eng_fail(QS_INVALID, "created_at %lld is outside the years 1..9999",
                        (long long)a->created_at);
    if (a->status == QS_SKIPPED && a->correct == 1)
        return eng_fail(QS_INVALID, "a skipped answer cannot be correct");
    if (a->correct == QS_GRADE && a->chosen == QS_NO_CHOICE && a->status != QS_SKIPPED)
        return eng_fail(QS_INVALID, "nothing to grade: no option chosen");
    return 0;
}

/* Whether the test lists @p question; appends it to an open list. */
static int claim_in_test(eng_test *t, uint32_t question)
{
    for (unsigned i = 0; i < t->n_questions; i++)
        if (t->questions[i] == question)
            return 0;
    if (!t->open_list)
        return eng_fail(QS_INVALID, "question %u is not in test %llu", question,
                        (unsigned long long)t->id);
    if (t->n_questions == QS_TEST_MAX_QUESTIONS)
        return eng_fail(QS_INVALID, "test %llu already holds %d questions",
                        (unsigned long long)t->id, QS_TEST_MAX_QUESTIONS);
    t->questions[t->n_questions++] = question;
    return 0;
}

static int grade(const qs_answer *a, const eng_question *q, uint8_t *correct)
{
    unsigned options = q->n_options ? q->n_options : QS_MAX_OPTIONS;
    if (a->chosen != QS_NO_CHOICE && (unsigned)a->chosen >= options)
        return eng_fail(QS_INVALID, "chosen option %d is beyond the question's %u options",
                        a->chosen, options);
    if (a->status == QS_SKIPPED)
        *correct = 0;
    else if (a->correct == QS_GRADE)
        *correct = a->chosen == q->correct_option;
    else
        *correct = (uint8_t)a->correct;
    return 0;
}

/* What can reject the answer but its test. */
static int check_answer(qs_txn *txn, const qs_answer *a)
{
    int rc = check_answer_fields(a);
    return rc ? rc : eng_row_expired(txn, ENG_T_ANSWER, a->created_at);
}

/* What an answer needs of its question, remembered through one call of
 * qs_answer_submit_many() (which writes no question). */
typedef struct question_memo {
    eng_keymap map;           /* question id to its place in seen */
    struct question_seen {
        uint32_t topic;
        uint8_t found, correct_option, n_options;
    } *seen;
    size_t cap;
} question_memo;

static void memo_free(question_memo *m)
{
    eng_keymap_free(&m->map);
    free(m->seen);
}

/* The head of question @p id (its topic, key and options), through @p m when there
 * is one. */
static int question_head(qs_txn *txn, question_memo *m, uint32_t id, eng_question *q)
{
    if (!m || !id)   /* no memo, or no question (the map's keys are nonzero) */
        return eng_question_head(txn, id, q);
    uint32_t at;
    int found, rc = eng_grow((void **)&m->seen, &m->cap, m->map.n + 1, sizeof *m->seen);
    if (rc || (rc = eng_keymap_find(&m->map, id, (uint32_t)m->map.n, &at, &found)) != 0)
        return rc;
    struct question_seen *s = &m->seen[at];
    if (!found) {
        rc = eng_question_head(txn, id, q);
        *s = (struct question_seen){q->topic, rc == 0, q->correct_option, q->n_options};
        return rc;
    }
    memset(q, 0, sizeof *q);
    q->id = id;
    q->topic = s->topic;
    q->correct_option = s->correct_option;
    q->n_options = s->n_options;
    return s->found ? 0 : QS_NOTFOUND;
}

/* The answer as test @p t would store it, and its claim on @p t. */
static int answer_in_test(qs_txn *txn, question_memo *m, const qs_answer *a, eng_test *t,
                          eng_answer *out)
{
    eng_question q;
    int rc;
    if ((rc = question_head(txn, m, a->question, &q)) != 0)
        return rc == QS_NOTFOUND ? api_missing("question", a->question) : rc;
    memset(out, 0, sizeof *out);
    if ((rc = grade(a, &q, &out->correct)) != 0 || (rc = claim_in_test(t, a->question)) != 0)
        return rc;
    out->user = t->user;
    out->created_at = a->created_at;
    out->test = a->test;
    out->question = a->question;
    out->topic = q.topic;
    out->status = a->status;
    out->score = a->score;
    out->chosen = a->chosen;
    out->time_ms = (uint32_t)a->time_spent_ms;
    return 0;
}

/* Everything that can reject the answer, checked before any write; its question's
 * head through @p m when there is one. */
static int prepare(qs_txn *txn, question_memo *m, const qs_answer *a, eng_test *before,
                   eng_test *t, eng_answer *out)
{
    int rc = check_answer(txn, a);
    if (rc)
        return rc;
    if ((rc = eng_test_get(txn, a->test, before)) != 0)
        return rc == QS_NOTFOUND ? api_missing("test", a->test) : rc;
    *t = *before;
    if (a->user && a->user != t->user)
        return eng_fail(QS_INVALID, "test %llu belongs to user %u, not %u",
                        (unsigned long long)a->test, t->user, a->user);
    return answer_in_test(txn, m, a, t, out);
}

/* Everything an answer changes but its row. Claiming (test, question) is the first
 * write: a duplicate stops there, with nothing written. */
static int answer_upkeep(qs_txn *txn, eng_test *t, const eng_test *before, const eng_answer *e)
{
    int rc = idx_answer_added(txn, e);
    if (rc == QS_EXISTS)
        return eng_fail(QS_EXISTS, "test %llu already has an answer to question %u",
                        (unsigned long long)e->test, e->question);
    if (!rc)
        rc = idx_apply_answer(txn, e);
    if (!rc) {
        api_test_reach(t, e->created_at);
        if (t->last_activity_at != before->last_activity_at ||
            t->completed_at != before->completed_at || t->n_questions != before->n_questions) {
            rc = eng_test_put(txn, t);
            if (!rc)
                rc = idx_test_changed(txn, before, t);
        }
    }
    return rc ? eng_txn_failed(txn, rc) : 0;
}

/* The answer's row in its time bucket, under the id @p e carries. */
static int answer_row_put(qs_txn *txn, const eng_answer *e)
{
    int rc = eng_row_put(txn, ENG_T_ANSWER, &(eng_row){.a = *e});
    return rc ? eng_txn_failed(txn, rc) : 0;
}

static int answer_submit(qs_txn *txn, const qs_answer *a, uint64_t *id)
{
    int rc = eng_writable_gathering(txn);
    if (rc)
        return rc;
    if (!a)
        return eng_fail(QS_INVALID, "qs_answer_submit: answer is NULL");
    eng_test tests[2];   /* as stored, and as the answer leaves it */
    eng_answer e;
    if ((rc = prepare(txn, NULL, a, &tests[0], &tests[1], &e)) != 0 ||
        (rc = answer_upkeep(txn, &tests[1], &tests[0], &e)) != 0)
        return rc;
    e.id = eng_counter_next(txn, ENG_NEXT_ANSWER);   /* taken by stored answers only */
    if ((rc = answer_row_put(txn, &e)) != 0)
        return rc;
    if (id)
        *id = e.id;
    return 0;
}

int qs_answer_submit(qs_txn *txn, const qs_answer *a, uint64_t *id)
{
    ENG_GUARDED(txn, answer_submit(txn, a, id));
}

/* ---- many at once: each user's answers in the order given, users one after another */

int api_place_cmp(const void *pa, const void *pb)
{
    const row_place *a = pa, *b = pb;
    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Whether @p rc refuses a row of a batch alone (what one call for that row would
 * return); any other code is the failure of the whole call. */
int api_refuses_row(int rc)
{
    return rc == QS_EXISTS || rc == QS_EXPIRED || rc == QS_NOTFOUND || rc == QS_INVALID ||
           rc == QS_TOO_LARGE;
}

/* The rows whose fields, period and test pass, placed by their test's user (which
 * no answer changes). */
static int place_answers(qs_txn *txn, const qs_answer *a, size_t n, int *rcs,
                         row_place *place, size_t *n_placed)
{
    eng_test t;
    *n_placed = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = check_answer(txn, &a[i]);
        if (!rc && (rc = eng_test_get(txn, a[i].test, &t)) == QS_NOTFOUND)
            rc = api_missing("test", a[i].test);
        if (rc && !api_refuses_row(rc))
            return rc;
        if (!rc)
            place[(*n_placed)++] = (row_place){t.user, (uint32_t)i, 0};
        rcs[i] = rc;
    }
    return 0;
}

/* Every placed row checked and applied but for its row, in place order. */
static int apply_placed(qs_txn *txn, const qs_answer *a, const row_place *place,
                        size_t n, int *rcs, eng_answer *e)
{
    question_memo memo = {0};
    int rc = 0;
    for (size_t j = 0; j < n; j++) {
        uint32_t i = place[j].i;
        eng_test tests[2];
        rc = prepare(txn, &memo, &a[i], &tests[0], &tests[1], &e[i]);
        if (!rc)
            rc = answer_upkeep(txn, &tests[1], &tests[0], &e[i]);
        if (rc && !api_refuses_row(rc))
            break;
        rcs[i] = rc;
        rc = 0;
    }
    memo_free(&memo);
    return rc;
}

static int answer_submit_many(qs_txn *txn, const qs_answer *a, size_t n, int *rcs,
                              uint64_t *ids)
{
    int rc = eng_writable_gathering(txn);
    if (rc)
        return rc;
    if ((n && (!a || !rcs)) || n > UINT32_MAX)
        return eng_fail(QS_INVALID, "qs_answer_submit_many: NULL answers or codes, or over "
                        "2^32 rows");
    row_place *place = malloc((n ? n : 1) * sizeof *place);
    eng_answer *e = malloc((n ? n : 1) * sizeof *e);
    size_t placed = 0;
    rc = place && e ? place_answers(txn, a, n, rcs, place, &placed)
                    : eng_fail(ENOMEM, "out of memory");
    if (!rc) {
        qsort(place, placed, sizeof *place, api_place_cmp);
        /* a failure past the first row leaves its upkeep without its rows */
        if ((rc = apply_placed(txn, a, place, placed, rcs, e)) != 0)
            eng_txn_failed(txn, rc);
    }
    /* ids in the order given, as one call per row would take them */
    for (size_t i = 0; !rc && i < n; i++) {
        if (rcs[i] == 0)
            e[i].id = eng_counter_next(txn, ENG_NEXT_ANSWER);
        if (ids)
            ids[i] = rcs[i] == 0 ? e[i].id : 0;
    }
    for (size_t j = 0; !rc && j < placed; j++)
        if (rcs[place[j].i] == 0)
            rc = answer_row_put(txn, &e[place[j].i]);
    free(place);
    free(e);
    return rc;
}

int qs_answer_submit_many(qs_txn *txn, const qs_answer *a, size_t n, int *rcs, uint64_t *ids)
{
    ENG_GUARDED(txn, answer_submit_many(txn, a, n, rcs, ids));
}

static int answer_check(qs_txn *txn, const qs_answer *a)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!a)
        return eng_fail(QS_INVALID, "qs_answer_check: answer is NULL");
    eng_test tests[2];
    eng_answer e;
    if (a->test)
        return prepare(txn, NULL, a, &tests[0], &tests[1], &e);
    if ((rc = check_answer(txn, a)) != 0)
        return rc;
    memset(&tests[1], 0, sizeof tests[1]);   /* a new open-list test of a->user */
    tests[1].user = a->user;
    tests[1].open_list = 1;
    return answer_in_test(txn, NULL, a, &tests[1], &e);
}

int qs_answer_check(qs_txn *txn, const qs_answer *a)
{
    ENG_GUARDED(txn, answer_check(txn, a));
}

/* The stored answer of test @p t to @p question, given at @p at. */
static int answer_at(qs_txn *txn, const eng_test *t, uint32_t question, int64_t at,
                     eng_answer *out)
{
    eng_bucket b;
    eng_row row;
    int rc = eng_bucket_at(txn, ENG_T_ANSWER, at, 0, &b);
    if (rc == QS_NOTFOUND)
        return eng_fail(rc, "the answer to question %u in test %llu was dropped with its "
                        "bucket by retention", question, (unsigned long long)t->id);
    if (!rc)
        rc = eng_answer_find(txn, &b, t->user, at, t->id, question, &row);
    if (rc == QS_NOTFOUND)
        return eng_fail(QS_CORRUPT, "the answer to question %u in test %llu is indexed but "
                        "missing from '%s'", question, (unsigned long long)t->id, b.name);
    if (!rc)
        *out = row.a;
    return rc;
}

static int answer_get(qs_txn *txn, uint64_t test, uint32_t question, qs_answer *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_answer_get: output is NULL");
    static _Thread_local eng_test t;
    int64_t at;
    eng_answer e;
    rc = eng_test_answer_get(txn, test, question, &at);
    if (rc == QS_NOTFOUND)
        return eng_fail(rc, "no answer to question %u in test %llu", question,
                        (unsigned long long)test);
    if (!rc)
        rc = eng_test_get(txn, test, &t);
    if (!rc)
        rc = answer_at(txn, &t, question, at, &e);
    if (!rc)
        eng_answer_to_api(&e, out);
    return rc;
}

int qs_answer_get(qs_txn *txn, uint64_t test, uint32_t question, qs_answer *out)
{
    ENG_GUARDED(txn, answer_get(txn, test, question, out));
}
