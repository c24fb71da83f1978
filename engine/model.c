/* model.c: record and key layouts of the data model, and the records of its
 * entities: taxonomy, questions, users, external ids. The other records are in
 * model_tests.c (tests, test_answers, test_by_user) and model_stats.c (the
 * aggregates); model_upgrade.c upgrades older formats.
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

int eng_key_wrong(const eng_val *k, size_t n, const char *dbname)
{
    return eng_fail(QS_CORRUPT, "key of %zu bytes in database '%s' (expected %zu)",
                    k->size, dbname, n);
}

/* ------------------------------------------------------------ taxonomy */

int eng_taxon_get(qs_txn *txn, qs_kind kind, uint32_t id, qs_taxon *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, sizeof *out);
    eng_key_u32(&k, id);
    int rc = eng_get(txn, taxon_db(kind), &k, &r);
    if (rc)
        return rc;
    out->id = id;
    out->parent = rb_u32(&r);
    rb_str(&r, out->name, sizeof out->name);
    rb_str(&r, out->ext_id, sizeof out->ext_id);
    return ENG_DECODE_DONE(&r, taxon_db(kind), &k);
}

int eng_taxon_put(qs_txn *txn, qs_kind kind, const qs_taxon *t)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[4 + 2 + QS_NAME_MAX + QS_EXT_ID_MAX];
    eng_key_u32(&k, t->id);
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, t->parent);
    wb_str(&w, t->name);
    wb_str(&w, t->ext_id);
    return eng_put(txn, taxon_db(kind), &k, &w, 0);
}

/* ------------------------------------------------------------ questions */

static int question_decode_head(eng_rbuf *r, uint32_t id, eng_question *out)
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

int eng_question_head(qs_txn *txn, uint32_t id, eng_question *out)
{
    eng_key k;
    eng_rbuf r;
    eng_key_u32(&k, id);
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
    eng_key_u32(&k, id);
    MDB_val key = {k.n, k.b}, v;
    MDB_dbi dbi = eng_dbi(txn, ENG_QUESTION);
    return eng_mdb_get(txn, dbi, eng_db_name(ENG_QUESTION), &key, &v);
}

int eng_question_get(qs_txn *txn, uint32_t id, eng_question *out)
{
    eng_key k;
    eng_rbuf r;
    eng_text t;
    eng_key_u32(&k, id);
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

int eng_question_same(qs_txn *txn, const eng_question *q)
{
    eng_question old;
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

int eng_question_put(qs_txn *txn, const eng_question *q, unsigned flags)
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
    eng_key_u32(&k, q->id);
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
    eng_key_u32(&k, id);
    int rc = eng_get(txn, ENG_USER, &k, &r);
    if (rc)
        return rc;
    out->id = id;
    out->created_at = rb_time(&r);
    rb_str(&r, out->ext_id, sizeof out->ext_id);
    return ENG_DECODE_DONE(&r, ENG_USER, &k);
}

int eng_user_put(qs_txn *txn, const qs_user *u)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[8 + 1 + QS_EXT_ID_MAX];
    eng_key_u32(&k, u->id);
    wb_init(&w, buf, sizeof buf);
    wb_time(&w, u->created_at);
    wb_str(&w, u->ext_id);
    return eng_put(txn, ENG_USER, &k, &w, 0);
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
    return ENG_DECODE_DONE(&r, ENG_XID, &k);
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

