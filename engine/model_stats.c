/* model_stats.c: the records of the aggregates (layouts in model.c): question stats,
 * user summaries, daily rows, interaction counts, topic progress, user-question rows. */
#include <errno.h>
#include <string.h>

#include "engine_int.h"
#include "model.h"

static void key_u32_u32(eng_key *k, uint32_t a, uint32_t b)
{
    ek_reset(k);
    ek_u32(k, a);
    ek_u32(k, b);
}

/* ------------------------------------------------------------ aggregates */

int eng_qstat_get(qs_txn *txn, uint32_t question, eng_qstat *out)
{
    eng_key k;
    eng_rbuf r;
    memset(out, 0, sizeof *out);
    eng_key_u32(&k, question);
    int rc = eng_get(txn, ENG_QSTAT, &k, &r);
    if (rc)
        return rc;
    out->attempts = rb_u32(&r);
    out->correct = rb_u32(&r);
    out->users = rb_u32(&r);
    out->score_sum = rb_u64(&r);
    out->time_sum = rb_u64(&r);
    return ENG_DECODE_DONE(&r, ENG_QSTAT, &k);
}

int eng_qstat_put(qs_txn *txn, uint32_t question, const eng_qstat *s)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[28];
    eng_key_u32(&k, question);
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
    eng_key_u32(&k, user);
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
    return ENG_DECODE_DONE(&r, ENG_USUM, &k);
}

int eng_usum_put(qs_txn *txn, uint32_t user, const eng_usum *s)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[40];
    eng_key_u32(&k, user);
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
    return ENG_DECODE_DONE(&r, ENG_UDAILY, &k);
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
    return ENG_DECODE_DONE(&r, ENG_UDAILY, &key);
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
        if ((rc = ENG_DECODE_DONE(&r, ENG_IDAILY, &k)) != 0)
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
    return ENG_DECODE_DONE(&r, ENG_IDAILY, &key);
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
    return c->n ? ENG_DECODE_DONE(r, ENG_PROGRESS, k) : eng_corrupt(ENG_PROGRESS, k, "no topics");
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

int eng_progress_put(qs_txn *txn, const eng_progress_chunk *c, unsigned flags)
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
    return eng_progress_put(txn, c, 0);
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
    return ENG_DECODE_DONE(&r, ENG_UQ, &k);
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
