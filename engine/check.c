/* check.c: every record of a fixed database checked for its header, checksum and
 * layout, for qs_check(). (Buckets: eng_bucket_check in rows.c; indexes and
 * aggregates: index/.) */
#include <stdio.h>

#include "engine_int.h"

/* The databases whose values are records (engine/codec.h); the others hold index
 * entries, which qs_index_verify() checks. */
int eng_db_holds_records(eng_db db)
{
    switch (db) {
    case ENG_TEST_BY_USER: case ENG_TEST_ANSWERS: case ENG_LB: case ENG_Q_FILTER:
    case ENG_Q_SUBJECT: case ENG_Q_BAND: case ENG_Q_CREATED: case ENG_POOL:
    case ENG_POOL_POS:
        return 0;
    default:
        return 1;
    }
}

static uint32_t key_u32(const eng_val *k, size_t at)
{
    return k->size >= at + 4 ? eng_get32((const uint8_t *)k->data + at) : 0;
}

/* Decode the record at @p k by its database's layout: 0 or QS_CORRUPT (detail set). */
static int decodes(qs_txn *txn, eng_db db, const eng_val *k, const eng_val *v)
{
    union {
        qs_taxon t;
        eng_question q;
        qs_user u;
        eng_test test;
        eng_qstat qs;
        eng_usum us;
        eng_daily d;
        eng_progress_chunk p;
        qs_user_question uq;
        qs_interaction_day id;
    } out;
    int32_t day;
    size_t klen = db == ENG_TEST ? 8 : db == ENG_UDAILY || db == ENG_PROGRESS || db == ENG_UQ
                                               ? 8
                                               : 4;
    switch (db) {
    case ENG_SUBJECT: case ENG_SYSTEM: case ENG_TOPIC: case ENG_QUESTION: case ENG_USER:
    case ENG_TEST: case ENG_QSTAT: case ENG_USUM: case ENG_UQ:
        if (eng_key_check(k, klen, eng_db_name(db)))
            return QS_CORRUPT;
        break;
    default:
        break;
    }
    switch (db) {
    case ENG_SUBJECT: return eng_taxon_get(txn, QS_SUBJECT, key_u32(k, 0), &out.t);
    case ENG_SYSTEM: return eng_taxon_get(txn, QS_SYSTEM, key_u32(k, 0), &out.t);
    case ENG_TOPIC: return eng_taxon_get(txn, QS_TOPIC, key_u32(k, 0), &out.t);
    case ENG_QUESTION: return eng_question_get(txn, key_u32(k, 0), &out.q);
    case ENG_USER: return eng_user_get(txn, key_u32(k, 0), &out.u);
    case ENG_TEST: return eng_test_get(txn, eng_get64(k->data), &out.test);
    case ENG_QSTAT: return eng_qstat_get(txn, key_u32(k, 0), &out.qs);
    case ENG_USUM: return eng_usum_get(txn, key_u32(k, 0), &out.us);
    case ENG_UDAILY: return eng_daily_decode(k, v, &day, &out.d);
    case ENG_IDAILY: return eng_idaily_decode(k, v, &out.id);
    case ENG_PROGRESS: return eng_progress_decode(k, v, &out.p);
    case ENG_UQ: return eng_uq_get(txn, key_u32(k, 0), key_u32(k, 4), &out.uq);
    default: return 0;   /* meta, xid, lb_count, buckets: header and checksum */
    }
}

int eng_check_db(qs_txn *txn, eng_db db, qs_check_report *r)
{
    eng_iter it;
    const char *name = eng_db_name(db);
    int rc = eng_iter_open(txn, db, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        eng_key key;
        eng_rbuf body;
        r->checked++;
        ek_reset(&key);
        ek_bytes(&key, it.key.data, it.key.size < ENG_KEY_MAX ? it.key.size : ENG_KEY_MAX);
        int drc = eng_rec_open(&key, it.val.data, it.val.size, &body)
                      ? eng_rec_corrupt(name, &key, "bad record header or checksum")
                      : decodes(txn, db, &it.key, &it.val);
        if (drc == QS_CORRUPT) {
            eng_report_finding(r, "%s", qs_errmsg());
        } else if (drc && drc != QS_NOTFOUND) {
            rc = drc;
            break;
        }
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}
