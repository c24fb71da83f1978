/* answer.c: recording answers and interactions.
 *
 * qs_answer_submit() validates everything before it writes anything, so a
 * rejected answer changes nothing; then it stores the answer in its time bucket,
 * claims (test, question) in ans_by_test, moves every aggregate (index/) and the
 * test's activity, all in the caller's transaction.
 */
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
    if (a->created_at < ENG_TIME_MIN || a->created_at >= ENG_TIME_MAX)
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

/* Everything that can reject the answer, checked before any write. */
static int prepare(qs_txn *txn, const qs_answer *a, qs_test *before, qs_test *t,
                   eng_answer *out)
{
    int rc = check_answer_fields(a);
    if (rc)
        return rc;
    if ((rc = eng_test_get(txn, a->test, before)) != 0)
        return rc == QS_NOTFOUND ? api_missing("test", a->test) : rc;
    *t = *before;
    if (a->user && a->user != t->user)
        return eng_fail(QS_INVALID, "test %llu belongs to user %u, not %u",
                        (unsigned long long)a->test, t->user, a->user);
    qs_question q;
    if ((rc = eng_question_head(txn, a->question, &q)) != 0)
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

static int store_answer(qs_txn *txn, qs_test *t, const qs_test *before, eng_answer *e)
{
    MDB_dbi bucket;
    const char *name;
    /* Claiming (test, question) is the first write: a duplicate stops here, with
     * nothing written and no answer id taken. */
    e->id = eng_counter_peek(txn, ENG_NEXT_ANSWER);
    int rc = idx_answer_added(txn, e);
    if (rc == QS_EXISTS)
        return eng_fail(QS_EXISTS, "test %llu already has an answer to question %u",
                        (unsigned long long)e->test, e->question);
    if (!rc)
        eng_counter_next(txn, ENG_NEXT_ANSWER);
    if (!rc) rc = eng_bucket_for(txn, ENG_T_ANSWER, e->created_at, 1, &bucket, &name);
    if (!rc) rc = eng_answer_put(txn, bucket, name, e);
    if (!rc) rc = idx_apply_answer(txn, e);
    if (!rc) {
        if (e->created_at > t->last_activity_at)
            t->last_activity_at = e->created_at;
        /* a completed test rebuilt from an answer log ends with its last answer */
        if (t->open_list && t->status == QS_TEST_COMPLETED && e->created_at > t->completed_at)
            t->completed_at = e->created_at;
        if (t->last_activity_at != before->last_activity_at ||
            t->completed_at != before->completed_at || t->n_questions != before->n_questions) {
            rc = eng_test_put(txn, t);
            if (!rc)
                rc = idx_test_changed(txn, before, t);
        }
    }
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int qs_answer_submit(qs_txn *txn, const qs_answer *a, uint64_t *id)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!a)
        return eng_fail(QS_INVALID, "qs_answer_submit: answer is NULL");
    qs_test tests[2];   /* as stored, and as the answer leaves it */
    eng_answer e;
    if ((rc = prepare(txn, a, &tests[0], &tests[1], &e)) != 0)
        return rc;
    if ((rc = store_answer(txn, &tests[1], &tests[0], &e)) != 0)
        return rc;
    if (id)
        *id = e.id;
    return 0;
}

/* Find the stored answer behind a locator. */
static int answer_at(qs_txn *txn, const eng_locator *l, eng_answer *out)
{
    MDB_dbi bucket;
    const char *name;
    eng_key k;
    MDB_val mk, mv;
    int rc = eng_bucket_for(txn, ENG_T_ANSWER, l->created_at, 0, &bucket, &name);
    if (rc)
        return rc == QS_NOTFOUND ? eng_fail(QS_CORRUPT, "answer %llu: its bucket is missing",
                                            (unsigned long long)l->answer_id)
                                 : rc;
    eng_answer_key(&k, l->user, l->created_at, l->answer_id);
    mk = (MDB_val){k.n, k.b};
    rc = mdb_get(eng_mdb(txn), bucket, &mk, &mv);
    if (rc == MDB_NOTFOUND)
        return eng_fail(QS_CORRUPT, "answer %llu is indexed but missing from '%s'",
                        (unsigned long long)l->answer_id, name);
    if (rc)
        return eng_mdb_rc(rc, "read", name);
    return eng_answer_decode(&mk, &mv, name, out);
}

int qs_answer_get(qs_txn *txn, uint64_t test, uint32_t question, qs_answer *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_answer_get: output is NULL");
    eng_locator l;
    eng_answer e;
    rc = eng_locator_get(txn, test, question, &l);
    if (rc == QS_NOTFOUND)
        return eng_fail(rc, "no answer to question %u in test %llu", question,
                        (unsigned long long)test);
    if (!rc)
        rc = answer_at(txn, &l, &e);
    if (!rc)
        eng_answer_to_api(&e, out);
    return rc;
}

static int scan_bucket(qs_txn *txn, const eng_bucket_iter *it, int64_t from, int64_t to,
                       qs_answer_fn fn, void *ctx)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    int rc = mdb_cursor_open(eng_mdb(txn), it->dbi, &cur), stop = 0;
    if (rc)
        return eng_mdb_rc(rc, "open cursor", it->name);
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0 && !stop;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        eng_answer e;
        qs_answer a;
        if ((rc = eng_answer_decode(&mk, &mv, it->name, &e)) != 0)
            break;
        if (e.created_at < from || e.created_at >= to)
            continue;
        eng_answer_to_api(&e, &a);
        stop = fn(&a, ctx);
    }
    mdb_cursor_close(cur);
    if (stop)
        return stop;
    return eng_walk_rc(rc, it->name);
}

int qs_answer_scan(qs_txn *txn, int64_t from, int64_t to, qs_answer_fn fn, void *ctx)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!fn || from >= to)
        return eng_fail(QS_INVALID, "qs_answer_scan: no callback or empty range");
    eng_bucket_iter it;
    if ((rc = eng_bucket_iter_open(&it, txn, ENG_T_ANSWER, from, to, 0)) != 0)
        return rc;
    while ((rc = eng_bucket_iter_next(&it)) == 0)
        if ((rc = scan_bucket(txn, &it, from, to, fn, ctx)) != 0)
            break;
    eng_bucket_iter_close(&it);
    return rc == QS_NOTFOUND ? 0 : rc;
}

/* ------------------------------------------------------------------ interactions */

/* ------------------------------------------------------------------ interactions */

/* ixn@<period>  key: created_at time | seq u64
 *               record: user u32 | action u8 | payload blob */

static void interaction_body(const qs_interaction *ix, eng_wbuf *w)
{
    wb_u32(w, ix->user);
    wb_u8(w, ix->action);
    wb_blob(w, ix->payload, ix->payload_len);
}

/* Whether the bucket already holds this very event: same time, user, action and
 * payload. Events share a time only rarely, so this is one seek. */
static int interaction_stored(qs_txn *txn, MDB_dbi bucket, const char *name,
                              const qs_interaction *ix, const eng_wbuf *body, int *found)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_key k;
    *found = 0;
    int rc = mdb_cursor_open(eng_mdb(txn), bucket, &cur);
    if (rc)
        return eng_mdb_rc(rc, "open cursor", name);
    ek_reset(&k);
    ek_time(&k, ix->created_at);
    ek_u64(&k, 0);
    mk = (MDB_val){k.n, k.b};
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE); rc == 0 && !*found;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        if (mk.mv_size != 16 || memcmp(mk.mv_data, k.b, 8) != 0)
            break;
        *found = mv.mv_size == eng_rec_size(body->n) &&
                 memcmp((const uint8_t *)mv.mv_data + ENG_REC_HEADER, body->b, body->n) == 0;
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, name);
}

int qs_interaction_log(qs_txn *txn, const qs_interaction *ix, uint64_t *seq)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!ix || (ix->payload_len && !ix->payload))
        return eng_fail(QS_INVALID, "qs_interaction_log: NULL interaction or payload");
    if (ix->created_at < ENG_TIME_MIN || ix->created_at >= ENG_TIME_MAX)
        return eng_fail(QS_INVALID, "created_at %lld is outside the years 1..9999",
                        (long long)ix->created_at);
    if (ix->payload_len > QS_PAYLOAD_MAX)
        return eng_fail(QS_TOO_LARGE, "payload of %zu bytes is over %d", ix->payload_len,
                        QS_PAYLOAD_MAX);
    if ((rc = api_user_exists(txn, ix->user)) != 0)
        return rc;
    MDB_dbi bucket;
    const char *name;
    eng_key k;
    eng_wbuf w;
    uint8_t buf[16 + QS_PAYLOAD_MAX];
    int found;
    wb_init(&w, buf, sizeof buf);
    interaction_body(ix, &w);
    if ((rc = eng_bucket_for(txn, ENG_T_INTERACTION, ix->created_at, 1, &bucket, &name)) ||
        (rc = interaction_stored(txn, bucket, name, ix, &w, &found)))
        return rc;
    if (found)
        return eng_fail(QS_EXISTS, "user %u already has this %u event at %lld", ix->user,
                        ix->action, (long long)ix->created_at);
    uint64_t s = eng_counter_next(txn, ENG_NEXT_INTERACTION);
    ek_reset(&k);
    ek_time(&k, ix->created_at);
    ek_u64(&k, s);
    rc = eng_rec_put(txn, bucket, name, &k, &w, MDB_APPEND);
    if (rc == QS_EXISTS)   /* not the newest key: an ordinary insert */
        rc = eng_rec_put(txn, bucket, name, &k, &w, 0);
    if (rc)
        return eng_txn_failed(txn, rc);
    if (seq)
        *seq = s;
    return 0;
}

int qs_question_mark(qs_txn *txn, uint32_t user, uint32_t question, int marked)
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
