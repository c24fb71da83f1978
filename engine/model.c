/* model.c: record and key layouts of the data model.
 *
 * database      key                                   record body
 * subject,      id u32                                parent u32 | name str | ext str
 *  system, topic
 * question      id u32                                subject u32 | system u32 | topic u32 |
 *                                                     difficulty u8 | type u8 | active u8 |
 *                                                     correct u8 | n_options u8 |
 *                                                     created_at time | ext str | text
 *                                                     (stored form, text.c)
 * user          id u32                                created_at time | ext str
 * test          id u64                                user u32 | status u8 | mode u8 |
 *                                                     open_list u8 | created_at time |
 *                                                     last_activity_at time |
 *                                                     completed_at time | ext str |
 *                                                     n u16 | question u32 * n
 * xid           kind u8 | ext bytes                   id u64
 * ans@, ixn@     the time buckets: see rows.c and seal.c
 * test_answers  test u64                              sorted duplicates of 12 bytes:
 *                                                     question u32 | created_at time
 *                                                     (an index, written by the declared
 *                                                     index layer: the answer is the row
 *                                                     of the test's user at created_at)
 * qstat         question u32                          attempts u32 | correct u32 |
 *                                                     users u32 | score_sum u64 |
 *                                                     time_sum u64
 * usum          user u32                              answered u32 | correct u32 |
 *                                                     time_ms u64 | first_at time |
 *                                                     last_at time | streak u32 | best u32
 * udaily        user u32 | day                        answers u32 | correct u32 | time_ms u64 |
 *                                                     other_end day (see below)
 * idaily        user u32 | day | action u8            count u32
 * topic_progress user u32 | chunk u32                 per topic, in topic order (1 to
 *                (topics chunk * 32 to               32): topic - chunk * 32 u8 |
 *                 chunk * 32 + 31)                    attempts u32 | correct u32 |
 *                                                     last_at time
 * uq            user u32 | question u32               attempts u32 | last_correct u8 |
 *                                                     marked u8 | last_at time
 * test_by_user  user u32 | status u8 |                (empty)
 *               last_activity_at time | test u64
 *
 * A daily row's other_end is the day at the other end of the user's run of
 * consecutive active days that the row belongs to: the last day at the run's first
 * row, the first day at its last row, its own day for a one-day run. It is kept at
 * those two rows only (index/aggregate.c); at a run's inner rows it is stale and
 * never read. Rows written before the field existed end after time_ms (a 16-byte
 * body, no other_end): both lengths decode.
 */
#include <errno.h>
#include <string.h>

#include "engine_int.h"
#include "model.h"

static eng_db taxon_db(qs_kind kind)
{
    return kind == QS_SUBJECT ? ENG_SUBJECT : kind == QS_SYSTEM ? ENG_SYSTEM : ENG_TOPIC;
}

static void key_u32(eng_key *k, uint32_t a)
{
    ek_reset(k);
    ek_u32(k, a);
}

static void key_u32_u32(eng_key *k, uint32_t a, uint32_t b)
{
    ek_reset(k);
    ek_u32(k, a);
    ek_u32(k, b);
}

static void key_u64(eng_key *k, uint64_t a)
{
    ek_reset(k);
    ek_u64(k, a);
}

/* Get a record and check that decoding consumed exactly its body. */
#define DECODE_DONE(r, db, k) (rb_done(r) ? 0 : eng_corrupt((db), (k), "bad record body"))

int eng_key_check(const eng_val *k, size_t n, const char *dbname)
{
    if (k->size == n)
        return 0;
    return eng_fail(QS_CORRUPT, "key of %zu bytes in database '%s' (expected %zu)",
                    k->size, dbname, n);
}

/* ------------------------------------------------------------ taxonomy */

int eng_taxon_get(qs_txn *txn, qs_kind kind, uint32_t id, qs_taxon *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, sizeof *out);
    key_u32(&k, id);
    int rc = eng_get(txn, taxon_db(kind), &k, &r);
    if (rc)
        return rc;
    out->id = id;
    out->parent = rb_u32(&r);
    rb_str(&r, out->name, sizeof out->name);
    rb_str(&r, out->ext_id, sizeof out->ext_id);
    return DECODE_DONE(&r, taxon_db(kind), &k);
}

int eng_taxon_put(qs_txn *txn, qs_kind kind, const qs_taxon *t)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[4 + 2 + QS_NAME_MAX + QS_EXT_ID_MAX];
    key_u32(&k, t->id);
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, t->parent);
    wb_str(&w, t->name);
    wb_str(&w, t->ext_id);
    return eng_put(txn, taxon_db(kind), &k, &w, 0);
}

/* ------------------------------------------------------------ questions */

static int question_decode_head(eng_rbuf *r, uint32_t id, qs_question *out)
{
    memset(out, 0, sizeof *out);
    out->id = id;
    out->subject = rb_u32(r);
    out->system = rb_u32(r);
    out->topic = rb_u32(r);
    out->difficulty = rb_u8(r);
    out->type = rb_u8(r);
    out->active = rb_u8(r);
    out->correct_option = rb_u8(r);
    out->n_options = rb_u8(r);
    out->created_at = rb_time(r);
    rb_str(r, out->ext_id, sizeof out->ext_id);
    return r->bad ? QS_CORRUPT : 0;
}

int eng_question_head(qs_txn *txn, uint32_t id, qs_question *out)
{
    eng_key k;
    eng_rbuf r;
    key_u32(&k, id);
    int rc = eng_get(txn, ENG_QUESTION, &k, &r);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    return question_decode_head(&r, id, out) ? eng_corrupt(ENG_QUESTION, &k, "bad question")
                                             : 0;
}

int eng_question_exists(qs_txn *txn, uint32_t id)
{
    eng_key k;
    key_u32(&k, id);
    MDB_val key = {k.n, k.b}, v;
    MDB_dbi dbi = eng_dbi(txn, ENG_QUESTION);
    return eng_mdb_get(txn, dbi, eng_db_name(ENG_QUESTION), &key, &v);
}

int eng_question_get(qs_txn *txn, uint32_t id, qs_question *out)
{
    eng_key k;
    eng_rbuf r;
    eng_text t;
    key_u32(&k, id);
    int rc = eng_get(txn, ENG_QUESTION, &k, &r);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    if (question_decode_head(&r, id, out) || (rc = eng_text_load(txn, &r, &t)) != 0 ||
        !rb_done(&r) || t.n_options != out->n_options)
        return rc && rc != QS_CORRUPT ? rc : eng_corrupt(ENG_QUESTION, &k, "bad question");
    out->stem = t.stem;
    out->explanation = t.explanation;
    memcpy(out->options, t.options, sizeof out->options);
    return 0;
}

static int text_equal(qs_text a, qs_text b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int eng_question_same(qs_txn *txn, const qs_question *q)
{
    qs_question old;
    if (eng_question_get(txn, q->id, &old) != 0)
        return 0;
    if (old.subject != q->subject || old.system != q->system || old.topic != q->topic ||
        old.difficulty != q->difficulty || old.type != q->type || old.active != q->active ||
        old.correct_option != q->correct_option || old.n_options != q->n_options ||
        old.created_at != q->created_at || strcmp(old.ext_id, q->ext_id) != 0 ||
        !text_equal(old.stem, q->stem) || !text_equal(old.explanation, q->explanation))
        return 0;
    for (unsigned i = 0; i < q->n_options; i++)
        if (!text_equal(old.options[i], q->options[i]))
            return 0;
    return 1;
}

int eng_question_put(qs_txn *txn, const qs_question *q, unsigned flags)
{
    eng_text t = {q->stem, q->explanation, {{0}}, q->n_options};
    size_t cap = 64 + QS_EXT_ID_MAX + 16 + 8 + q->stem.len + q->explanation.len;
    for (unsigned i = 0; i < q->n_options; i++) {
        t.options[i] = q->options[i];
        cap += 4 + q->options[i].len;
    }
    uint8_t *buf = eng_scratch(txn, ENG_SCRATCH_RECORD, cap);
    if (!buf)
        return ENOMEM;
    eng_key k;
    eng_wbuf w;
    key_u32(&k, q->id);
    wb_init(&w, buf, cap);
    wb_u32(&w, q->subject);
    wb_u32(&w, q->system);
    wb_u32(&w, q->topic);
    wb_u8(&w, q->difficulty);
    wb_u8(&w, q->type);
    wb_u8(&w, q->active);
    wb_u8(&w, q->correct_option);
    wb_u8(&w, q->n_options);
    wb_time(&w, q->created_at);
    wb_str(&w, q->ext_id);
    int rc = eng_text_store(txn, &t, &w);
    return rc ? rc : eng_put(txn, ENG_QUESTION, &k, &w, flags);
}

/* ------------------------------------------------------------ users */

int eng_user_get(qs_txn *txn, uint32_t id, qs_user *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, sizeof *out);
    key_u32(&k, id);
    int rc = eng_get(txn, ENG_USER, &k, &r);
    if (rc)
        return rc;
    out->id = id;
    out->created_at = rb_time(&r);
    rb_str(&r, out->ext_id, sizeof out->ext_id);
    return DECODE_DONE(&r, ENG_USER, &k);
}

int eng_user_put(qs_txn *txn, const qs_user *u)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[8 + 1 + QS_EXT_ID_MAX];
    key_u32(&k, u->id);
    wb_init(&w, buf, sizeof buf);
    wb_time(&w, u->created_at);
    wb_str(&w, u->ext_id);
    return eng_put(txn, ENG_USER, &k, &w, 0);
}

/* ------------------------------------------------------------ tests */

int eng_test_get(qs_txn *txn, uint64_t id, qs_test *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, offsetof(qs_test, questions));
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
    return DECODE_DONE(&r, ENG_TEST, &k);
}

int eng_test_put(qs_txn *txn, const qs_test *t)
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

size_t eng_test_index_val(uint8_t *out, const qs_test *t)
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

/* Format 1 kept test_by_user's values empty: write every test's summary. */
int eng_upgrade_test_index(qs_txn *txn)
{
    eng_iter it;
    int rc = eng_iter_open(txn, ENG_TEST, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        qs_test t;
        eng_key k;
        uint8_t val[ENG_TEST_INDEX_VAL];
        if ((rc = eng_key_check(&it.key, 8, "test")) != 0 ||
            (rc = eng_test_get(txn, eng_get64(it.key.data), &t)) != 0)
            break;
        eng_test_index_key(&k, t.user, t.status, t.last_activity_at, t.id);
        eng_val ik = {k.n, k.b}, iv = {eng_test_index_val(val, &t), val};
        if ((rc = eng_entry_put(txn, ENG_TEST_BY_USER, &ik, &iv, 0)) != 0)
            break;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* Format 2 kept an entry per answer in ans_by_test, (test u64 | question u32) ->
 * (user u32 | created_at time | answer id u64): each one becomes a duplicate of its
 * test in test_answers. Both are in (test, question) order, so every put appends. */
int eng_upgrade_test_answers(qs_txn *txn, MDB_dbi ans_by_test)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    int rc = eng_cursor_open(txn, ans_by_test, "ans_by_test", &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        eng_key k;
        uint8_t dup[ENG_TEST_ANSWER_DUP];
        ek_reset(&k);
        ek_bytes(&k, mk.mv_data, mk.mv_size < ENG_KEY_MAX ? mk.mv_size : ENG_KEY_MAX);
        if (mk.mv_size != 12 || mv.mv_size != 20) {
            rc = eng_fail(QS_CORRUPT, "ans_by_test: entry %zu+%zu bytes is not an answer's "
                          "place: the upgrade cannot read it", mk.mv_size, mv.mv_size);
            break;
        }
        const uint8_t *v = mv.mv_data;
        eng_test_answer_dup(dup, eng_get32(k.b + 8), eng_time_from_bits(eng_get64(v + 4)));
        MDB_val nk = {8, k.b}, nv = {sizeof dup, dup};
        if ((rc = eng_mdb_put(txn, eng_dbi(txn, ENG_TEST_ANSWERS), &nk, &nv,
                              MDB_APPENDDUP)) != 0) {
            rc = eng_txn_failed(txn, eng_mdb_rc(rc, "write", "test_answers"));
            break;
        }
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, "ans_by_test");
}

/* ------------------------------------------------------------ external ids */

static void xid_key(eng_key *k, qs_kind kind, const char *ext)
{
    ek_reset(k);
    ek_u8(k, (uint8_t)kind);
    ek_bytes(k, ext, strlen(ext));
}

int eng_xid_get(qs_txn *txn, qs_kind kind, const char *ext, uint64_t *id)
{
    eng_key k;
    eng_rbuf r;
    *id = 0;
    xid_key(&k, kind, ext);
    int rc = eng_get(txn, ENG_XID, &k, &r);
    if (rc)
        return rc;
    *id = rb_u64(&r);
    return DECODE_DONE(&r, ENG_XID, &k);
}

int eng_xid_put(qs_txn *txn, qs_kind kind, const char *ext, uint64_t id)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[8];
    xid_key(&k, kind, ext);
    wb_init(&w, buf, sizeof buf);
    wb_u64(&w, id);
    return eng_put(txn, ENG_XID, &k, &w, 0);
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

/* ------------------------------------------------------------ aggregates */

int eng_qstat_get(qs_txn *txn, uint32_t question, eng_qstat *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, sizeof *out);
    key_u32(&k, question);
    int rc = eng_get(txn, ENG_QSTAT, &k, &r);
    if (rc)
        return rc;
    out->attempts = rb_u32(&r);
    out->correct = rb_u32(&r);
    out->users = rb_u32(&r);
    out->score_sum = rb_u64(&r);
    out->time_sum = rb_u64(&r);
    return DECODE_DONE(&r, ENG_QSTAT, &k);
}

int eng_qstat_put(qs_txn *txn, uint32_t question, const eng_qstat *s)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[28];
    key_u32(&k, question);
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, s->attempts);
    wb_u32(&w, s->correct);
    wb_u32(&w, s->users);
    wb_u64(&w, s->score_sum);
    wb_u64(&w, s->time_sum);
    return eng_put(txn, ENG_QSTAT, &k, &w, 0);
}

int eng_usum_get(qs_txn *txn, uint32_t user, eng_usum *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, sizeof *out);
    key_u32(&k, user);
    int rc = eng_get(txn, ENG_USUM, &k, &r);
    if (rc)
        return rc;
    out->answered = rb_u32(&r);
    out->correct = rb_u32(&r);
    out->time_ms = rb_u64(&r);
    out->first_at = rb_time(&r);
    out->last_at = rb_time(&r);
    out->streak = rb_u32(&r);
    out->best = rb_u32(&r);
    return DECODE_DONE(&r, ENG_USUM, &k);
}

int eng_usum_put(qs_txn *txn, uint32_t user, const eng_usum *s)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[40];
    key_u32(&k, user);
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, s->answered);
    wb_u32(&w, s->correct);
    wb_u64(&w, s->time_ms);
    wb_time(&w, s->first_at);
    wb_time(&w, s->last_at);
    wb_u32(&w, s->streak);
    wb_u32(&w, s->best);
    return eng_put(txn, ENG_USUM, &k, &w, 0);
}

void eng_daily_key(eng_key *k, uint32_t user, int32_t day)
{
    ek_reset(k);
    ek_u32(k, user);
    ek_day(k, day);
}

void eng_daily_write(eng_wbuf *w, const eng_daily *d)
{
    wb_u32(w, d->answers);
    wb_u32(w, d->correct);
    wb_u64(w, d->time_ms);
    if (d->has_other_end)
        wb_day(w, d->other_end);
}

void eng_daily_read(eng_rbuf *r, eng_daily *d)
{
    d->answers = rb_u32(r);
    d->correct = rb_u32(r);
    d->time_ms = rb_u64(r);
    d->has_other_end = rb_left(r) > 0;   /* rows of older versions end here */
    d->other_end = d->has_other_end ? rb_day(r) : 0;
}

int eng_daily_get(qs_txn *txn, uint32_t user, int32_t day, eng_daily *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, sizeof *out);
    eng_daily_key(&k, user, day);
    int rc = eng_get(txn, ENG_UDAILY, &k, &r);
    if (rc)
        return rc;
    eng_daily_read(&r, out);
    return DECODE_DONE(&r, ENG_UDAILY, &k);
}

int eng_daily_put(qs_txn *txn, uint32_t user, int32_t day, const eng_daily *d)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[20];
    eng_daily_key(&k, user, day);
    wb_init(&w, buf, sizeof buf);
    eng_daily_write(&w, d);
    return eng_put(txn, ENG_UDAILY, &k, &w, 0);
}

/* Decode a cursor's (key, record) of a fixed database into @p r. */
static int open_entry(const eng_val *k, const eng_val *v, size_t klen, eng_db db,
                      eng_key *key, eng_rbuf *r)
{
    if (eng_key_check(k, klen, eng_db_name(db)))
        return QS_CORRUPT;
    ek_reset(key);
    ek_bytes(key, k->data, k->size);
    if (eng_rec_open(key, v->data, v->size, r))
        return eng_corrupt(db, key, "checksum mismatch");
    return 0;
}

int eng_daily_decode(const eng_val *k, const eng_val *v, int32_t *day, eng_daily *d)
{
    eng_key key;
    eng_rbuf r;
    int rc = open_entry(k, v, 8, ENG_UDAILY, &key, &r);
    if (rc)
        return rc;
    *day = eng_day_from_bits(eng_get32(key.b + 4));
    eng_daily_read(&r, d);
    return DECODE_DONE(&r, ENG_UDAILY, &key);
}

void eng_idaily_key(eng_key *k, uint32_t user, int32_t day, uint8_t action)
{
    ek_reset(k);
    ek_u32(k, user);
    ek_day(k, day);
    ek_u8(k, action);
}

int eng_idaily_add(qs_txn *txn, uint32_t user, int32_t day, uint8_t action, uint32_t n)
{
    eng_key k;
    eng_rbuf r;
    eng_wbuf w;
    uint8_t buf[4];
    uint32_t count = 0;
    eng_idaily_key(&k, user, day, action);
    int rc = eng_get(txn, ENG_IDAILY, &k, &r);
    if (rc == 0) {
        count = rb_u32(&r);
        if ((rc = DECODE_DONE(&r, ENG_IDAILY, &k)) != 0)
            return rc;
    } else if (rc != QS_NOTFOUND) {
        return rc;
    }
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, count + n);
    return eng_put(txn, ENG_IDAILY, &k, &w, 0);
}

int eng_idaily_decode(const eng_val *k, const eng_val *v, qs_interaction_day *out)
{
    eng_key key;
    eng_rbuf r;
    int rc = open_entry(k, v, 9, ENG_IDAILY, &key, &r);
    if (rc)
        return rc;
    out->day = eng_day_from_bits(eng_get32(key.b + 4));
    out->action = key.b[8];
    out->count = rb_u32(&r);
    return DECODE_DONE(&r, ENG_IDAILY, &key);
}

void eng_progress_key(eng_key *k, uint32_t user, uint32_t topic)
{
    key_u32_u32(k, user, topic / ENG_PROGRESS_CHUNK);
}

static void progress_write(eng_wbuf *w, const eng_progress_chunk *c)
{
    for (unsigned i = 0; i < c->n; i++) {
        const eng_progress *p = &c->rows[i];
        wb_u8(w, (uint8_t)(p->topic % ENG_PROGRESS_CHUNK));
        wb_u32(w, p->attempts);
        wb_u32(w, p->correct);
        wb_time(w, p->last_at);
    }
}

/* The rows of a record: topics in the chunk's range, increasing. */
static int progress_read(eng_rbuf *r, const eng_key *k, eng_progress_chunk *c)
{
    int prev = -1;
    for (c->n = 0; rb_left(r) > 0 && c->n < ENG_PROGRESS_CHUNK; c->n++) {
        eng_progress *p = &c->rows[c->n];
        int at = rb_u8(r);
        if (at <= prev || at >= ENG_PROGRESS_CHUNK)
            return eng_corrupt(ENG_PROGRESS, k, "topics out of order or past the record's 32");
        prev = at;
        p->topic = c->chunk * ENG_PROGRESS_CHUNK + (uint32_t)at;
        p->attempts = rb_u32(r);
        p->correct = rb_u32(r);
        p->last_at = rb_time(r);
    }
    return c->n ? DECODE_DONE(r, ENG_PROGRESS, k) : eng_corrupt(ENG_PROGRESS, k, "no topics");
}

int eng_progress_chunk_get(qs_txn *txn, uint32_t user, uint32_t topic,
                           eng_progress_chunk *out)
{
    eng_key k;
    eng_rbuf r;
    out->user = user;
    out->chunk = topic / ENG_PROGRESS_CHUNK;
    out->n = 0;
    eng_progress_key(&k, user, topic);
    int rc = eng_get(txn, ENG_PROGRESS, &k, &r);
    if (rc)
        return rc == QS_NOTFOUND ? 0 : rc;
    return progress_read(&r, &k, out);
}

eng_progress *eng_progress_row(eng_progress_chunk *c, uint32_t topic)
{
    unsigned i = 0;
    while (i < c->n && c->rows[i].topic < topic)
        i++;
    if (i == c->n || c->rows[i].topic != topic) {
        memmove(&c->rows[i + 1], &c->rows[i], (c->n - i) * sizeof c->rows[0]);
        c->rows[i] = (eng_progress){.topic = topic};
        c->n++;
    }
    return &c->rows[i];
}

static int progress_put(qs_txn *txn, const eng_progress_chunk *c, unsigned flags)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[ENG_PROGRESS_CHUNK * 17];
    eng_progress_key(&k, c->user, c->chunk * ENG_PROGRESS_CHUNK);
    wb_init(&w, buf, sizeof buf);
    progress_write(&w, c);
    return eng_put(txn, ENG_PROGRESS, &k, &w, flags);
}

int eng_progress_chunk_put(qs_txn *txn, const eng_progress_chunk *c)
{
    return progress_put(txn, c, 0);
}

int eng_progress_decode(const eng_val *k, const eng_val *v, eng_progress_chunk *out)
{
    eng_key key;
    eng_rbuf r;
    int rc = open_entry(k, v, 8, ENG_PROGRESS, &key, &r);
    if (rc)
        return rc;
    out->user = eng_get32(key.b);
    out->chunk = eng_get32(key.b + 4);
    if (out->chunk > UINT32_MAX / ENG_PROGRESS_CHUNK)
        return eng_corrupt(ENG_PROGRESS, &key, "no such topics");
    return progress_read(&r, &key, out);
}

int eng_progress_each(qs_txn *txn, uint32_t user, eng_progress_fn fn, void *ctx)
{
    eng_iter it;
    eng_key k;
    int rc = eng_iter_open(txn, ENG_PROGRESS, &it);
    eng_progress_key(&k, user, 0);
    eng_iter_within(&it, k.b, 4);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        eng_progress_chunk c;
        if ((rc = eng_progress_decode(&it.key, &it.val, &c)) != 0 || (rc = fn(ctx, &c)) != 0)
            break;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* Format 3 kept (user u32 | topic u32) -> attempts u32 | correct u32 | last_at time.
 * Its rows are in (user, topic) order, so each chunk is whole when the next begins and
 * every put appends. */
static int upgrade_progress_row(const MDB_val *mk, const MDB_val *mv, eng_progress *p)
{
    eng_key k;
    eng_rbuf r;
    if (mk->mv_size != 8)
        return eng_fail(QS_CORRUPT, "progress: key of %zu bytes: the upgrade cannot read it",
                        mk->mv_size);
    ek_reset(&k);
    ek_bytes(&k, mk->mv_data, mk->mv_size);
    if (eng_rec_open(&k, mv->mv_data, mv->mv_size, &r))
        return eng_fail(QS_CORRUPT, "progress: user %u topic %u: checksum mismatch: the "
                        "upgrade cannot read it", eng_get32(k.b), eng_get32(k.b + 4));
    p->topic = eng_get32(k.b + 4);
    p->attempts = rb_u32(&r);
    p->correct = rb_u32(&r);
    p->last_at = rb_time(&r);
    return rb_done(&r) ? 0 : eng_fail(QS_CORRUPT, "progress: user %u topic %u: bad record "
                                      "body: the upgrade cannot read it", eng_get32(k.b),
                                      p->topic);
}

int eng_upgrade_progress(qs_txn *txn, MDB_dbi old)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_progress_chunk c = {.n = 0};
    int rc = eng_cursor_open(txn, old, "progress", &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        eng_progress p;
        if ((rc = upgrade_progress_row(&mk, &mv, &p)) != 0)
            break;
        uint32_t user = eng_get32(mk.mv_data), chunk = p.topic / ENG_PROGRESS_CHUNK;
        if (c.n && (c.user != user || c.chunk != chunk)) {
            if ((rc = progress_put(txn, &c, MDB_APPEND)) != 0)
                break;
            c.n = 0;
        }
        c.user = user;
        c.chunk = chunk;
        c.rows[c.n++] = p;
    }
    mdb_cursor_close(cur);
    if ((rc = eng_walk_rc(rc, "progress")) != 0)
        return rc;
    return c.n ? progress_put(txn, &c, MDB_APPEND) : 0;
}

int eng_uq_get(qs_txn *txn, uint32_t user, uint32_t question, qs_user_question *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, sizeof *out);
    key_u32_u32(&k, user, question);
    int rc = eng_get(txn, ENG_UQ, &k, &r);
    if (rc)
        return rc;
    out->attempts = rb_u32(&r);
    out->last_correct = rb_u8(&r);
    out->marked = rb_u8(&r);
    out->last_at = rb_time(&r);
    return DECODE_DONE(&r, ENG_UQ, &k);
}

int eng_uq_put(qs_txn *txn, uint32_t user, uint32_t question, const qs_user_question *s)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[16];
    key_u32_u32(&k, user, question);
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, s->attempts);
    wb_u8(&w, s->last_correct);
    wb_u8(&w, s->marked);
    wb_time(&w, s->last_at);
    return eng_put(txn, ENG_UQ, &k, &w, 0);
}
