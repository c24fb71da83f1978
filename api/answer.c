/* answer.c: recording answers and interactions.
 *
 * qs_answer_submit() validates everything before it writes anything, so a
 * rejected answer changes nothing; then it stores the answer in its time bucket,
 * claims (test, question) in test_answers, moves every aggregate (index/) and the
 * test's activity, all in the caller's transaction.
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
static int claim_in_test(qs_test *t, uint32_t question)
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

static int grade(const qs_answer *a, const qs_question *q, uint8_t *correct)
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
static int question_head(qs_txn *txn, question_memo *m, uint32_t id, qs_question *q)
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
static int answer_in_test(qs_txn *txn, question_memo *m, const qs_answer *a, qs_test *t,
                          eng_answer *out)
{
    qs_question q;
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
static int prepare(qs_txn *txn, question_memo *m, const qs_answer *a, qs_test *before,
                   qs_test *t, eng_answer *out)
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
static int answer_upkeep(qs_txn *txn, qs_test *t, const qs_test *before, const eng_answer *e)
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
    qs_test tests[2];   /* as stored, and as the answer leaves it */
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

/* A row of a batch at its place: by user, then by time (interactions; an answer's is
 * 0), then in the order given. */
typedef struct row_place {
    uint32_t user;
    uint32_t i;              /* its place in the batch */
    int64_t at;
} row_place;

static int place_cmp(const void *pa, const void *pb)
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
static int refuses_row(int rc)
{
    return rc == QS_EXISTS || rc == QS_EXPIRED || rc == QS_NOTFOUND || rc == QS_INVALID ||
           rc == QS_TOO_LARGE;
}

/* The rows whose fields, period and test pass, placed by their test's user (which
 * no answer changes). */
static int place_answers(qs_txn *txn, const qs_answer *a, size_t n, int *rcs,
                         row_place *place, size_t *n_placed)
{
    qs_test t;
    *n_placed = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = check_answer(txn, &a[i]);
        if (!rc && (rc = eng_test_get(txn, a[i].test, &t)) == QS_NOTFOUND)
            rc = api_missing("test", a[i].test);
        if (rc && !refuses_row(rc))
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
        qs_test tests[2];
        rc = prepare(txn, &memo, &a[i], &tests[0], &tests[1], &e[i]);
        if (!rc)
            rc = answer_upkeep(txn, &tests[1], &tests[0], &e[i]);
        if (rc && !refuses_row(rc))
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
        qsort(place, placed, sizeof *place, place_cmp);
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
    qs_test tests[2];
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
static int answer_at(qs_txn *txn, const qs_test *t, uint32_t question, int64_t at,
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
    static _Thread_local qs_test t;
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

/* A scan's range and callback, for answers or for interactions. */
typedef struct row_scan {
    int64_t from, to;
    qs_answer_fn answer_fn;
    qs_interaction_fn interaction_fn;
    void *ctx;
} row_scan;

static int scan_row(const eng_row *row, void *ctx)
{
    row_scan *s = ctx;
    if (row->a.created_at < s->from || row->a.created_at >= s->to)
        return 0;
    if (s->answer_fn) {
        qs_answer a;
        eng_answer_to_api(&row->a, &a);
        return s->answer_fn(&a, s->ctx);
    }
    qs_interaction ix = {row->i.user, row->i.action, row->i.created_at, row->i.payload,
                         row->i.payload_len};
    return s->interaction_fn(&ix, row->i.seq, s->ctx);
}

static int answer_scan(qs_txn *txn, int64_t from, int64_t to, qs_answer_fn fn, void *ctx)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!fn || from >= to)
        return eng_fail(QS_INVALID, "qs_answer_scan: no callback or empty range");
    row_scan s = {from, to, fn, NULL, ctx};
    return eng_table_each(txn, ENG_T_ANSWER, from, to, NULL, scan_row, &s);
}

int qs_answer_scan(qs_txn *txn, int64_t from, int64_t to, qs_answer_fn fn, void *ctx)
{
    ENG_GUARDED(txn, answer_scan(txn, from, to, fn, ctx));
}

/* ------------------------------------------------------------------ interactions */

/* A cursor over the interaction bucket of the rows looked up, kept open while they
 * stay in one bucket: rows looked up in time order then seek forward, mostly within
 * the page the cursor is on. */
typedef struct event_finder {
    eng_rows c;
    int open;
} event_finder;

static void finder_close(event_finder *f)
{
    if (f->open)
        eng_rows_close(&f->c);
    f->open = 0;
}

/* Whether the bucket already holds this very event: same user, time, action and
 * payload. Events share a millisecond only rarely, so this is one seek: to the
 * user's rows at that time in a sealed bucket, to every user's in a raw one. */
static int event_stored(qs_txn *txn, event_finder *f, const qs_interaction *ix, int *found)
{
    eng_bucket b;
    eng_row row;
    eng_key k;
    *found = 0;
    int rc = eng_bucket_at(txn, ENG_T_INTERACTION, ix->created_at, 0, &b);
    if (rc)
        return rc == QS_NOTFOUND ? 0 : rc;
    if (f->open && f->c.b.dbi != b.dbi)
        finder_close(f);
    if (!f->open) {
        if ((rc = eng_rows_open(&f->c, txn, &b)) != 0)
            return rc;
        f->open = 1;
    }
    int by_time = eng_bucket_in_time_order(&b);
    eng_row_seek_key(&k, &b, ix->user, ix->created_at);
    if ((rc = eng_rows_seek(&f->c, &k, 0)) == 0)
        while (!*found && (rc = eng_rows_next(&f->c, &row)) == 0 &&
               row.i.created_at == ix->created_at && (by_time || row.i.user == ix->user))
            *found = row.i.user == ix->user && row.i.action == ix->action &&
                     row.i.payload_len == ix->payload_len &&
                     (!ix->payload_len ||
                      memcmp(row.i.payload, ix->payload, ix->payload_len) == 0);
    return rc == QS_NOTFOUND ? 0 : rc;
}

static int interaction_stored(qs_txn *txn, const qs_interaction *ix, int *found)
{
    event_finder f = {0};
    int rc = event_stored(txn, &f, ix, found);
    finder_close(&f);
    return rc;
}

static int interaction_fields(const qs_interaction *ix)
{
    if (ix->payload_len && !ix->payload)
        return eng_fail(QS_INVALID, "interaction with a NULL payload");
    if (ix->created_at < QS_TIME_MIN || ix->created_at >= QS_TIME_MAX)
        return eng_fail(QS_INVALID, "created_at %lld is outside the years 1..9999",
                        (long long)ix->created_at);
    if (ix->payload_len > QS_PAYLOAD_MAX)
        return eng_fail(QS_TOO_LARGE, "payload of %zu bytes is over %d", ix->payload_len,
                        QS_PAYLOAD_MAX);
    return 0;
}

/* What refuses @p ix whatever else the transaction holds, but its user: its fields,
 * its period. */
static int interaction_refused(qs_txn *txn, const qs_interaction *ix)
{
    int rc = interaction_fields(ix);
    return rc ? rc : eng_row_expired(txn, ENG_T_INTERACTION, ix->created_at);
}

/* The row of @p ix alone, without its daily count. */
static int interaction_row_put(qs_txn *txn, const qs_interaction *ix, uint64_t seq)
{
    eng_row row = {.i = {ix->user, ix->created_at, seq, ix->action,
                         (uint16_t)ix->payload_len, ix->payload}};
    int rc = eng_row_put(txn, ENG_T_INTERACTION, &row);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

static int interaction_put(qs_txn *txn, const qs_interaction *ix, uint64_t seq)
{
    int rc = interaction_row_put(txn, ix, seq);
    if (!rc && (rc = eng_idaily_add(txn, ix->user, eng_day(ix->created_at), ix->action, 1)))
        return eng_txn_failed(txn, rc);
    return rc;
}

static int interaction_log(qs_txn *txn, const qs_interaction *ix, uint64_t *seq)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!ix)
        return eng_fail(QS_INVALID, "qs_interaction_log: NULL interaction");
    if ((rc = interaction_refused(txn, ix)) != 0 || (rc = api_user_exists(txn, ix->user)) != 0)
        return rc;
    int found;
    if ((rc = interaction_stored(txn, ix, &found)) != 0)
        return rc;
    if (found)
        return eng_fail(QS_EXISTS, "user %u already has this %u event at %lld", ix->user,
                        ix->action, (long long)ix->created_at);
    uint64_t s = eng_counter_next(txn, ENG_NEXT_INTERACTION);
    if ((rc = interaction_put(txn, ix, s)) != 0)
        return rc;
    if (seq)
        *seq = s;
    return 0;
}

int qs_interaction_log(qs_txn *txn, const qs_interaction *ix, uint64_t *seq)
{
    ENG_GUARDED(txn, interaction_log(txn, ix, seq));
}

/* ---- many at once: checked in the order given, written in key order */

static int same_event(const qs_interaction *a, const qs_interaction *b)
{
    return a->action == b->action && a->payload_len == b->payload_len &&
           (!a->payload_len || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

/* Each row checked on its own; the ones that pass, placed. */
static int place_interactions(qs_txn *txn, const qs_interaction *ix, size_t n, int *rcs,
                      row_place *place, size_t *n_placed)
{
    *n_placed = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = interaction_refused(txn, &ix[i]);
        if (rc && !refuses_row(rc))
            return rc;
        if (rc == 0)
            place[(*n_placed)++] = (row_place){ix[i].user, (uint32_t)i, ix[i].created_at};
        rcs[i] = rc;
    }
    return 0;
}

/* The rows of users not in the store are QS_NOTFOUND: one look for each user. */
static int find_users(qs_txn *txn, const row_place *place, size_t n, int *rcs)
{
    int rc = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == 0 || place[j].user != place[j - 1].user)
            rc = api_user_exists(txn, place[j].user);
        if (rc && !refuses_row(rc))
            return rc;
        rcs[place[j].i] = rc;
    }
    return 0;
}

/* Rows that repeat a stored event, or one placed before them, are QS_EXISTS. The
 * rows of one (user, time) are together, in the order given. */
static int find_repeats(qs_txn *txn, const qs_interaction *ix, const row_place *place,
                        size_t n, int *rcs)
{
    event_finder finder = {0};
    size_t group = 0;
    int rc = 0;
    for (size_t j = 0; j < n && !rc; j++) {
        if (place[j].user != place[group].user || place[j].at != place[group].at)
            group = j;
        const qs_interaction *row = &ix[place[j].i];
        if (rcs[place[j].i] != 0)
            continue;
        int found = 0;
        for (size_t k = group; k < j && !found; k++)
            found = rcs[place[k].i] == 0 && same_event(&ix[place[k].i], row);
        if (!found)
            rc = event_stored(txn, &finder, row, &found);
        if (found)
            rcs[place[j].i] = QS_EXISTS;
    }
    finder_close(&finder);
    return rc;
}

/* One user's interactions of one day, counted by action as the rows pass in key
 * order: each (user, day, action) count is then read and written once. */
typedef struct day_counts {
    uint32_t user;
    int32_t day;
    uint32_t n[256];          /* by action */
    uint8_t actions[256];     /* the actions counted, in the order first seen */
    unsigned n_actions;
} day_counts;

static int day_counts_write(qs_txn *txn, day_counts *d)
{
    int rc = 0;
    for (unsigned a = 0; a < d->n_actions && !rc; a++) {
        uint8_t action = d->actions[a];
        rc = eng_idaily_add(txn, d->user, d->day, action, d->n[action]);
        d->n[action] = 0;
    }
    d->n_actions = 0;
    return rc ? eng_txn_failed(txn, rc) : 0;
}

static int day_counts_add(qs_txn *txn, day_counts *d, const qs_interaction *ix)
{
    int32_t day = eng_day(ix->created_at);
    int rc = 0;
    if (d->n_actions && (ix->user != d->user || day != d->day))
        rc = day_counts_write(txn, d);
    d->user = ix->user;
    d->day = day;
    if (d->n[ix->action]++ == 0)
        d->actions[d->n_actions++] = ix->action;
    return rc;
}

/* The rows that pass, written in time order (their buckets' order, so that each is
 * put past the last). */
static int write_rows(qs_txn *txn, const qs_interaction *ix, const row_place *by_time,
                      size_t placed, const int *rcs, const uint64_t *seq)
{
    int rc = 0;
    for (size_t j = 0; !rc && j < placed; j++) {
        uint32_t i = by_time[j].i;
        if (rcs[i] == 0)
            rc = interaction_row_put(txn, &ix[i], seq[i]);
    }
    return rc;
}

/* The daily counts of the rows that pass, summed per (user, day, action) as the rows
 * pass in (user, time) order. */
static int write_day_counts(qs_txn *txn, const qs_interaction *ix, const row_place *by_user,
                            size_t placed, const int *rcs)
{
    day_counts days = {0};
    int rc = 0;
    for (size_t j = 0; !rc && j < placed; j++)
        if (rcs[by_user[j].i] == 0)
            rc = day_counts_add(txn, &days, &ix[by_user[j].i]);
    return rc ? rc : day_counts_write(txn, &days);
}

static int time_cmp(const void *pa, const void *pb)
{
    const row_place *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return place_cmp(pa, pb);
}

/* Sorted by user, the rows' users are looked up once each; by time, the stored events
 * they might repeat are looked for, and the rows written, in their buckets' order. */
static int log_placed(qs_txn *txn, const qs_interaction *ix, size_t n, int *rcs,
                      row_place *by_user, row_place *by_time, size_t placed, uint64_t *seq)
{
    qsort(by_user, placed, sizeof *by_user, place_cmp);
    int rc = find_users(txn, by_user, placed, rcs);
    memcpy(by_time, by_user, placed * sizeof *by_time);
    qsort(by_time, placed, sizeof *by_time, time_cmp);
    if (!rc)
        rc = find_repeats(txn, ix, by_time, placed, rcs);
    /* sequence numbers in the order given, as one call per row would take them */
    for (size_t i = 0; !rc && i < n; i++)
        seq[i] = rcs[i] == 0 ? eng_counter_next(txn, ENG_NEXT_INTERACTION) : 0;
    if (!rc)
        rc = write_rows(txn, ix, by_time, placed, rcs, seq);
    return rc ? rc : write_day_counts(txn, ix, by_user, placed, rcs);
}

static int interaction_log_many(qs_txn *txn, const qs_interaction *ix, size_t n, int *rcs,
                                uint64_t *seqs)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if ((n && !ix) || (n && !rcs) || n > UINT32_MAX)
        return eng_fail(QS_INVALID, "qs_interaction_log_many: NULL rows or codes, or over "
                        "2^32 rows");
    row_place *place = malloc((n ? n : 1) * 2 * sizeof *place);   /* by user, by time */
    uint64_t *seq = seqs ? seqs : malloc((n ? n : 1) * sizeof *seq);
    if (!place || !seq) {
        free(place);
        if (seq != seqs)
            free(seq);
        return eng_fail(ENOMEM, "out of memory");
    }
    size_t placed;
    rc = place_interactions(txn, ix, n, rcs, place, &placed);
    if (!rc)
        rc = log_placed(txn, ix, n, rcs, place, place + n, placed, seq);
    free(place);
    if (seq != seqs)
        free(seq);
    return rc;
}

int qs_interaction_log_many(qs_txn *txn, const qs_interaction *ix, size_t n, int *rcs,
                            uint64_t *seqs)
{
    ENG_GUARDED(txn, interaction_log_many(txn, ix, n, rcs, seqs));
}

static int interaction_scan(qs_txn *txn, int64_t from, int64_t to, qs_interaction_fn fn,
                            void *ctx)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!fn || from >= to)
        return eng_fail(QS_INVALID, "qs_interaction_scan: no callback or empty range");
    row_scan s = {from, to, NULL, fn, ctx};
    return eng_table_each(txn, ENG_T_INTERACTION, from, to, NULL, scan_row, &s);
}

int qs_interaction_scan(qs_txn *txn, int64_t from, int64_t to, qs_interaction_fn fn,
                        void *ctx)
{
    ENG_GUARDED(txn, interaction_scan(txn, from, to, fn, ctx));
}

static int interaction_days(qs_txn *txn, uint32_t user, int32_t from_day, int32_t to_day,
                            qs_interaction_day *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows) || from_day > to_day)
        return eng_fail(QS_INVALID, "qs_interaction_days: NULL output or empty range");
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    eng_iter it;
    eng_key k;
    size_t total = 0;
    eng_idaily_key(&k, user, from_day, 0);
    rc = eng_iter_open(txn, ENG_IDAILY, &it);
    eng_iter_within(&it, k.b, 4);
    for (rc = rc ? rc : eng_iter_seek(&it, k.b, k.n); rc == 0; rc = eng_iter_next(&it)) {
        qs_interaction_day d;
        if ((rc = eng_idaily_decode(&it.key, &it.val, &d)) != 0)
            break;
        if (d.day > to_day)
            break;
        if (total < cap)
            rows[total] = d;
        total++;
    }
    eng_iter_close(&it);
    *n = total;
    return rc == ENG_END ? 0 : rc;
}

int qs_interaction_days(qs_txn *txn, uint32_t user, int32_t from_day, int32_t to_day,
                        qs_interaction_day *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, interaction_days(txn, user, from_day, to_day, rows, cap, n));
}

static int question_mark(qs_txn *txn, uint32_t user, uint32_t question, int marked)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (marked != 0 && marked != 1)
        return eng_fail(QS_INVALID, "marked must be 0 or 1");
    qs_question q;
    qs_user_question s;
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    if ((rc = eng_question_head(txn, question, &q)) != 0)
        return rc == QS_NOTFOUND ? api_missing("question", question) : rc;
    rc = eng_uq_get(txn, user, question, &s);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    if (rc == 0 && s.marked == marked)
        return 0;
    s.marked = (uint8_t)marked;
    rc = eng_uq_put(txn, user, question, &s);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int qs_question_mark(qs_txn *txn, uint32_t user, uint32_t question, int marked)
{
    ENG_GUARDED(txn, question_mark(txn, user, question, marked));
}
