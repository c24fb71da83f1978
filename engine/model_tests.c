/* model_tests.c: the records of tests, their summaries in test_by_user, and their
 * answers in test_answers (layouts in model.c). */
#include <errno.h>
#include <string.h>

#include "engine_int.h"
#include "model.h"

static void key_u64(eng_key *k, uint64_t a)
{
    ek_reset(k);
    ek_u64(k, a);
}

/* ------------------------------------------------------------ tests */

int eng_test_get(qs_txn *txn, uint64_t id, eng_test *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, offsetof(eng_test, questions));
    key_u64(&k, id);
    int rc = eng_get(txn, ENG_TEST, &k, &r);
    if (rc)
        return rc;
    out->id = id;
    out->user = rb_u32(&r);
    out->status = rb_u8(&r);
    out->mode = rb_u8(&r);
    out->open_list = rb_u8(&r);
    out->created_at = rb_time(&r);
    out->last_activity_at = rb_time(&r);
    out->completed_at = rb_time(&r);
    rb_str(&r, out->ext_id, sizeof out->ext_id);
    out->n_questions = rb_u16(&r);
    if (out->n_questions > QS_TEST_MAX_QUESTIONS)
        return eng_corrupt(ENG_TEST, &k, "question count out of range");
    for (unsigned i = 0; i < out->n_questions; i++)
        out->questions[i] = rb_u32(&r);
    return ENG_DECODE_DONE(&r, ENG_TEST, &k);
}

int eng_test_put(qs_txn *txn, const eng_test *t)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[64 + QS_EXT_ID_MAX + 4 * QS_TEST_MAX_QUESTIONS];
    key_u64(&k, t->id);
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, t->user);
    wb_u8(&w, t->status);
    wb_u8(&w, t->mode);
    wb_u8(&w, t->open_list);
    wb_time(&w, t->created_at);
    wb_time(&w, t->last_activity_at);
    wb_time(&w, t->completed_at);
    wb_str(&w, t->ext_id);
    wb_u16(&w, t->n_questions);
    for (unsigned i = 0; i < t->n_questions; i++)
        wb_u32(&w, t->questions[i]);
    return eng_put(txn, ENG_TEST, &k, &w, 0);
}

void eng_test_index_key(eng_key *k, uint32_t user, uint8_t status, int64_t at, uint64_t test)
{
    ek_reset(k);
    ek_u32(k, user);
    ek_u8(k, status);
    ek_time(k, at);
    ek_u64(k, test);
}

size_t eng_test_index_val(uint8_t *out, const eng_test *t)
{
    out[0] = t->mode;
    eng_put16(out + 1, t->n_questions);
    eng_put64(out + 3, eng_time_bits(t->created_at));
    return ENG_TEST_INDEX_VAL;
}

int eng_test_index_row(const eng_val *k, const eng_val *v, qs_test_row *out)
{
    const uint8_t *kb = k->data, *vb = v->data;
    if (k->size != ENG_TEST_INDEX_KEY ||
        v->size != ENG_TEST_INDEX_VAL) {
        eng_key key;
        ek_reset(&key);
        ek_bytes(&key, kb, k->size < ENG_KEY_MAX ? k->size : ENG_KEY_MAX);
        return eng_corrupt(ENG_TEST_BY_USER, &key, "entry is not a test's summary");
    }
    memset(out, 0, sizeof *out);
    out->id = eng_get64(kb + 13);
    out->status = kb[4];
    out->last_activity_at = eng_time_from_bits(eng_get64(kb + 5));
    out->mode = vb[0];
    out->n_questions = eng_get16(vb + 1);
    out->created_at = eng_time_from_bits(eng_get64(vb + 3));
    return 0;
}

/* ------------------------------------------------------------ answers */

void eng_answer_to_api(const eng_answer *a, qs_answer *out)
{
    memset(out, 0, sizeof *out);
    out->id = a->id;
    out->test = a->test;
    out->question = a->question;
    out->user = a->user;
    out->topic = a->topic;
    out->correct = (int8_t)a->correct;
    out->chosen = a->chosen;
    out->status = a->status;
    out->score = a->score;
    out->time_spent_ms = a->time_ms;
    out->created_at = a->created_at;
}

void eng_test_answer_dup(uint8_t out[ENG_TEST_ANSWER_DUP], uint32_t question,
                        int64_t created_at)
{
    eng_put32(out, question);
    eng_put64(out + 4, eng_time_bits(created_at));
}

int eng_test_answer_decode(const eng_val *k, const eng_val *dup, uint64_t *test,
                           eng_test_answer *out)
{
    if (k->size != 8 || dup->size != ENG_TEST_ANSWER_DUP) {
        eng_key key;
        ek_reset(&key);
        ek_bytes(&key, k->data, k->size < ENG_KEY_MAX ? k->size : ENG_KEY_MAX);
        return eng_corrupt(ENG_TEST_ANSWERS, &key, "entry is not (test, question, time)");
    }
    const uint8_t *p = dup->data;
    *test = eng_get64(k->data);
    out->question = eng_get32(p);
    out->created_at = eng_time_from_bits(eng_get64(p + 4));
    return 0;
}

int eng_test_answer_get(qs_txn *txn, uint64_t test, uint32_t question, int64_t *created_at)
{
    MDB_cursor *cur;
    eng_key k;
    uint8_t dup[ENG_TEST_ANSWER_DUP];
    key_u64(&k, test);
    eng_test_answer_dup(dup, question, QS_TIME_MIN);
    MDB_val mk = {k.n, k.b}, mv = {sizeof dup, dup};
    int rc = eng_cursor_open(txn, eng_dbi(txn, ENG_TEST_ANSWERS), "test_answers", &cur);
    if (rc)
        return rc;
    /* the first duplicate at or after (question, the earliest time) */
    rc = mdb_cursor_get(cur, &mk, &mv, MDB_GET_BOTH_RANGE);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        return QS_NOTFOUND;
    if (rc)
        return eng_mdb_rc(rc, "read", "test_answers");
    uint64_t at_test;
    eng_test_answer a;
    eng_val ek = eng_val_of(mk), ev = eng_val_of(mv);
    if ((rc = eng_test_answer_decode(&ek, &ev, &at_test, &a)) != 0)
        return rc;
    if (a.question != question)
        return QS_NOTFOUND;
    *created_at = a.created_at;
    return 0;
}

int eng_test_answers(qs_txn *txn, uint64_t test, eng_test_answer *out, size_t *n)
{
    eng_iter it;
    eng_key k;
    *n = 0;
    key_u64(&k, test);
    int rc = eng_iter_open(txn, ENG_TEST_ANSWERS, &it);
    eng_iter_within(&it, k.b, k.n);
    for (rc = rc ? rc : eng_iter_find(&it, k.b, k.n); rc == 0; rc = eng_iter_next(&it)) {
        uint64_t at_test;
        if (*n == QS_TEST_MAX_QUESTIONS) {
            rc = eng_corrupt(ENG_TEST_ANSWERS, &k, "more answers than a test can list");
            break;
        }
        if ((rc = eng_test_answer_decode(&it.key, &it.val, &at_test, &out[*n])) != 0)
            break;
        (*n)++;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

