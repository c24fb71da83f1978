/* rows.c: rows of the time-bucketed tables: the raw layout, and one cursor over
 * raw and sealed buckets alike.
 *
 * bucket          key                                   record body
 * ans@<period>    user u32 | created_at time | id u64   test u64 | question u32 |
 *                                                       topic u32 | correct u8 |
 *                                                       status u8 | score u8 |
 *                                                       chosen u8 | time_ms u32
 * ixn@<period>    created_at time | seq u64             user u32 | action u8 |
 *                                                       payload blob
 *
 * A raw interaction bucket is in time order: events are logged as they happen, so
 * each is put past the last and the bucket's pages fill as LMDB appends, where a
 * user-first key would put each among the other users' rows and leave the pages it
 * splits half empty. Nothing reads a user's interactions in order but sealing, which
 * sorts them (seal.c), and `check`, which counts them in one pass. Answers stay by
 * user: the history reads them so.
 *
 * Sealed buckets ("<name>.z") hold blocks instead, by user in both tables: see seal.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine_int.h"
#include "rows.h"

enum { ROWS_UNSET, ROWS_AT, ROWS_MOVE, ROWS_END };

static void key_of(const eng_row *r, eng_key *k)
{
    eng_row_key(k, r->a.user, r->a.created_at, r->a.id);
}

int eng_bucket_in_time_order(const eng_bucket *b)
{
    return b->table == ENG_T_INTERACTION && !b->sealed;
}

void eng_row_seek_key(eng_key *k, const eng_bucket *b, uint32_t user, int64_t created_at)
{
    if (!eng_bucket_in_time_order(b)) {
        eng_row_key(k, user, created_at, 0);
        return;
    }
    ek_reset(k);
    ek_time(k, created_at);
    ek_u64(k, 0);
}

/* The key of @p r in raw bucket @p b. */
static void raw_key(const eng_bucket *b, const eng_row *r, eng_key *k)
{
    if (!eng_bucket_in_time_order(b)) {
        key_of(r, k);
        return;
    }
    ek_reset(k);
    ek_time(k, r->i.created_at);
    ek_u64(k, r->i.seq);
}

/* ------------------------------------------------------------ raw layout */

static void raw_body(eng_table table, const eng_row *r, eng_wbuf *w)
{
    if (table == ENG_T_ANSWER) {
        const eng_answer *a = &r->a;
        wb_u64(w, a->test);
        wb_u32(w, a->question);
        wb_u32(w, a->topic);
        wb_u8(w, a->correct);
        wb_u8(w, a->status);
        wb_u8(w, a->score);
        wb_u8(w, (uint8_t)a->chosen);
        wb_u32(w, a->time_ms);
    } else {
        wb_u32(w, r->i.user);
        wb_u8(w, r->i.action);
        wb_blob(w, r->i.payload, r->i.payload_len);
    }
}

static void raw_fields(eng_table table, eng_rbuf *b, eng_row *r)
{
    if (table == ENG_T_ANSWER) {
        eng_answer *a = &r->a;
        a->test = rb_u64(b);
        a->question = rb_u32(b);
        a->topic = rb_u32(b);
        a->correct = rb_u8(b);
        a->status = rb_u8(b);
        a->score = rb_u8(b);
        a->chosen = (int8_t)rb_u8(b);
        a->time_ms = rb_u32(b);
    } else {
        size_t len;
        r->i.user = rb_u32(b);
        r->i.action = rb_u8(b);
        r->i.payload = rb_blob(b, &len);
        r->i.payload_len = (uint16_t)len;
        if (len > QS_PAYLOAD_MAX)
            b->bad = 1;
    }
}

uint32_t eng_event_user(const MDB_val *v)
{
    return v->mv_size >= ENG_REC_HEADER + 4
               ? eng_get32((const uint8_t *)v->mv_data + ENG_REC_HEADER)
               : UINT32_MAX;
}

int eng_row_decode(const eng_bucket *bk, const MDB_val *k, const MDB_val *v, eng_row *r)
{
    eng_key key;
    eng_rbuf b;
    int by_time = eng_bucket_in_time_order(bk);
    eng_val ek = eng_val_of(*k);
    if (eng_key_check(&ek, by_time ? ENG_EVENT_KEY : ENG_ROW_KEY, bk->name))
        return QS_CORRUPT;
    ek_reset(&key);
    ek_bytes(&key, k->mv_data, k->mv_size);
    if (eng_rec_open(&key, v->mv_data, v->mv_size, &b))
        return eng_fail(QS_CORRUPT, "checksum mismatch in database '%s'", bk->name);
    memset(r, 0, sizeof *r);
    const uint8_t *at = by_time ? key.b : key.b + 4;   /* created_at, then the id */
    r->a.user = by_time ? 0 : eng_get32(key.b);        /* an event's is in its record */
    r->a.created_at = eng_time_from_bits(eng_get64(at));
    r->a.id = eng_get64(at + 8);
    raw_fields(bk->table, &b, r);
    return rb_done(&b) ? 0 : eng_fail(QS_CORRUPT, "bad row in database '%s'", bk->name);
}

int eng_raw_put(qs_txn *txn, const eng_bucket *b, const eng_row *r)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[32 + QS_PAYLOAD_MAX];
    raw_key(b, r, &k);
    wb_init(&w, buf, sizeof buf);
    raw_body(b->table, r, &w);
    if (eng_gathering(txn))
        eng_wcache_admit(txn, b->dbi);
    int rc = eng_rec_put(txn, b->dbi, b->name, &k, &w, MDB_NOOVERWRITE);
    if (rc == QS_EXISTS)   /* the row's id is new: its counter is behind the stored rows */
        rc = eng_fail(QS_CORRUPT, "the key of a new row is in bucket '%s' already", b->name);
    return rc;
}

/* ------------------------------------------------------------ cursor */

int eng_rows_open(eng_rows *c, qs_txn *txn, const eng_bucket *b)
{
    memset(c, 0, sizeof *c);
    c->txn = txn;
    c->b = *b;
    return eng_cursor_open(txn, b->dbi, b->name, &c->cur);
}

void eng_rows_close(eng_rows *c)
{
    if (c->cur)
        mdb_cursor_close(c->cur);
    free(c->block);
    free(c->raw);
    memset(c, 0, sizeof *c);
}

static int key_cmp(const eng_row *r, const eng_key *k)
{
    eng_key rk;
    key_of(r, &rk);
    size_t n = rk.n < k->n ? rk.n : k->n;
    int d = memcmp(rk.b, k->b, n);
    return d ? d : (rk.n > k->n) - (rk.n < k->n);
}

/* The number of rows of the loaded block that sort before @p k. */
static size_t rows_before(const eng_rows *c, const eng_key *k)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(&c->block[mid], k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Move the sealed cursor to a block with @p op and load it. The dictionary's entry
 * has the only shorter key, which sorts before every block: only MDB_FIRST steps over
 * it; MDB_PREV or MDB_LAST reaching it are at the end. */
static int block_move(eng_rows *c, MDB_val *k, MDB_cursor_op op)
{
    MDB_val v;
    int rc = mdb_cursor_get(c->cur, k, &v, op);
    if (rc == 0 && k->mv_size != ENG_ROW_KEY)
        rc = op == MDB_FIRST ? mdb_cursor_get(c->cur, k, &v, MDB_NEXT) : MDB_NOTFOUND;
    if (rc)
        return rc;
    return eng_sealed_load(c, k, &v);
}

static int sealed_seek(eng_rows *c, const eng_key *k)
{
    MDB_val mk = {k ? k->n : 0, k ? (void *)k->b : NULL};
    int rc;
    if (!c->backward) {
        rc = block_move(c, &mk, k ? MDB_SET_RANGE : MDB_FIRST);
        c->pos = rc == 0 && k ? rows_before(c, k) : 0;
        return rc;
    }
    rc = k ? block_move(c, &mk, MDB_SET_RANGE) : MDB_NOTFOUND;
    if (rc == 0) {
        c->pos = rows_before(c, k);
        if (c->pos > 0)
            return 0;
        rc = block_move(c, &mk, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
        rc = block_move(c, &mk, MDB_LAST);
    }
    c->pos = c->n;
    return rc;
}

int eng_rows_seek(eng_rows *c, const eng_key *k, int backward)
{
    MDB_val mk = {k ? k->n : 0, k ? (void *)k->b : NULL}, mv;
    int rc;
    c->backward = backward;
    if (c->b.sealed) {
        rc = sealed_seek(c, k);
    } else if (!backward) {
        rc = mdb_cursor_get(c->cur, &mk, &mv, k ? MDB_SET_RANGE : MDB_FIRST);
    } else {
        rc = k ? mdb_cursor_get(c->cur, &mk, &mv, MDB_SET_RANGE) : MDB_NOTFOUND;
        rc = mdb_cursor_get(c->cur, &mk, &mv, rc == 0 ? MDB_PREV : MDB_LAST);
    }
    c->state = rc == 0 ? ROWS_AT : ROWS_END;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : eng_walk_rc(rc, c->b.name);
}

static int sealed_next(eng_rows *c, eng_row *row)
{
    MDB_val k;
    while (c->backward ? c->pos == 0 : c->pos >= c->n) {
        int rc = block_move(c, &k, c->backward ? MDB_PREV : MDB_NEXT);
        if (rc)
            return rc;
        c->pos = c->backward ? c->n : 0;
    }
    *row = c->block[c->backward ? --c->pos : c->pos++];
    return 0;
}

static int raw_next(eng_rows *c, eng_row *row)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(c->cur, &k, &v,
                            c->state == ROWS_AT ? MDB_GET_CURRENT
                                                : c->backward ? MDB_PREV : MDB_NEXT);
    return rc ? rc : eng_row_decode(&c->b, &k, &v, row);
}

int eng_rows_next(eng_rows *c, eng_row *row)
{
    if (c->state == ROWS_END || c->state == ROWS_UNSET)
        return QS_NOTFOUND;
    int rc = c->b.sealed ? sealed_next(c, row) : raw_next(c, row);
    c->state = rc ? ROWS_END : ROWS_MOVE;
    if (rc == MDB_NOTFOUND)
        return QS_NOTFOUND;
    return eng_walk_rc(rc, c->b.name);
}

/* ------------------------------------------------------------ point reads, writes */

int eng_answer_find(qs_txn *txn, const eng_bucket *b, uint32_t user, int64_t created_at,
                    uint64_t test, uint32_t question, eng_row *row)
{
    eng_rows c;
    eng_key k;
    eng_row_key(&k, user, created_at, 0);   /* the first of the user's rows at that time */
    int rc = eng_rows_open(&c, txn, b);
    if (!rc)
        rc = eng_rows_seek(&c, &k, 0);
    while (!rc && (rc = eng_rows_next(&c, row)) == 0) {
        if (row->a.user != user || row->a.created_at != created_at)
            rc = QS_NOTFOUND;
        else if (row->a.test == test && row->a.question == question)
            break;
    }
    eng_rows_close(&c);
    return rc;
}

/* ------------------------------------------------------------ checking */

/* Check one entry of a bucket, counting the rows it holds into *rows. */
static int check_entry(eng_rows *c, const MDB_val *k, const MDB_val *v, uint64_t *rows)
{
    eng_row row;
    int rc;
    if (!c->b.sealed) {
        if ((rc = eng_row_decode(&c->b, k, v, &row)) == 0)
            (*rows)++;
        return rc;
    }
    if (k->mv_size != ENG_ROW_KEY)
        return eng_sealed_dict_check(&c->b, k, v);
    if ((rc = eng_sealed_load(c, k, v)) == 0)
        *rows += c->n;
    return rc;
}

int eng_bucket_check(qs_txn *txn, const eng_bucket *b, qs_check_report *r)
{
    eng_rows c;
    eng_registry_rec rec;
    MDB_val k, v;
    uint64_t rows = 0;
    int rc = eng_rows_open(&c, txn, b);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(c.cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c.cur, &k, &v, MDB_NEXT)) {
        int erc = check_entry(&c, &k, &v, &rows);
        r->checked++;
        if (erc == QS_CORRUPT) {
            eng_report_finding(r, "%s", qs_errmsg());
        } else if (erc) {
            rc = erc;
            break;
        }
    }
    eng_rows_close(&c);
    if ((rc = eng_walk_rc(rc, b->name)) != 0)
        return rc;
    if (b->sealed && r->findings == 0 &&
        (rc = eng_registry_get(txn, b->table, b->start, &rec)) == 0 && rec.rows != rows)
        eng_report_finding(r, "'%s' holds %llu rows, its registry entry says %llu", b->name,
                           (unsigned long long)rows, (unsigned long long)rec.rows);
    return rc;
}

/* ------------------------------------------------------------ upgrade from format 4 */

/* An interaction as formats 1 to 4 kept it in a raw bucket, by user:
 *   key: user u32 | created_at time | seq u64      record: action u8 | payload blob */
static int old_event_decode(const eng_bucket *bk, const MDB_val *k, const MDB_val *v,
                            eng_row *r)
{
    eng_key key;
    eng_rbuf b;
    size_t len;
    eng_val ek = eng_val_of(*k);
    if (eng_key_check(&ek, ENG_ROW_KEY, bk->name))
        return QS_CORRUPT;
    ek_reset(&key);
    ek_bytes(&key, k->mv_data, k->mv_size);
    if (eng_rec_open(&key, v->mv_data, v->mv_size, &b))
        return eng_rec_corrupt(bk->name, &key, "checksum mismatch: the upgrade cannot read it");
    memset(r, 0, sizeof *r);
    r->i.user = eng_get32(key.b);
    r->i.created_at = eng_time_from_bits(eng_get64(key.b + 4));
    r->i.seq = eng_get64(key.b + 12);
    r->i.action = rb_u8(&b);
    r->i.payload = rb_blob(&b, &len);
    r->i.payload_len = (uint16_t)len;
    if (!rb_done(&b) || len > QS_PAYLOAD_MAX)
        return eng_rec_corrupt(bk->name, &key, "bad row: the upgrade cannot read it");
    return 0;
}

/* A bucket's rows moved into another. */
typedef struct rows_move {
    qs_txn *txn;
    const eng_bucket *from, *to;
} rows_move;

/* An old-layout row put into the scratch bucket under its time-ordered key. */
static int move_old_event(const eng_val *k, const eng_val *v, void *ctx)
{
    rows_move *m = ctx;
    eng_row row;
    MDB_val mk = eng_mdb_val(*k), mv = eng_mdb_val(*v);
    int rc = old_event_decode(m->from, &mk, &mv, &row);
    return rc ? rc : eng_raw_put(m->txn, m->to, &row);
}

/* An entry appended to the emptied bucket as it is. */
static int append_entry(const eng_val *k, const eng_val *v, void *ctx)
{
    rows_move *m = ctx;
    MDB_val key = eng_mdb_val(*k), val = eng_mdb_val(*v);
    int rc = eng_mdb_put(m->txn, m->to->dbi, &key, &val, MDB_APPEND);
    return rc ? eng_mdb_rc(rc, "write", m->to->name) : 0;
}

/* Raw interaction bucket @p b rewritten in time order: its rows into a scratch
 * database, the bucket emptied and filled back from it by appending (so that its
 * pages are full), the scratch database retired. */
static int upgrade_event_bucket(qs_txn *txn, const eng_bucket *b)
{
    eng_bucket scratch = *b;
    snprintf(scratch.name, sizeof scratch.name, "%.21s.u", b->name);
    int rc = mdb_dbi_open(eng_mdb(txn), scratch.name, MDB_CREATE, &scratch.dbi);
    if (rc)
        return eng_txn_failed(txn, eng_mdb_rc(rc, "create", scratch.name));
    eng_log_create(txn, scratch.dbi, scratch.name, MDB_CREATE);
    rows_move to_scratch = {txn, b, &scratch}, back = {txn, &scratch, b};
    if ((rc = eng_each_entry_of(txn, b->dbi, b->name, move_old_event, &to_scratch)) == 0 &&
        (rc = eng_mdb_empty(txn, b->dbi)) == 0 &&
        (rc = eng_each_entry_of(txn, scratch.dbi, scratch.name, append_entry, &back)) == 0)
        rc = eng_db_retire(txn, scratch.dbi, scratch.name);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int eng_upgrade_events(qs_txn *txn)
{
    eng_bucket_iter it;
    eng_bucket *raw = NULL;
    size_t n = 0, cap = 0;
    int rc = eng_bucket_iter_open(&it, txn, ENG_T_INTERACTION, QS_TIME_MIN, QS_TIME_MAX, 0);
    while (!rc && (rc = eng_bucket_iter_next(&it)) == 0) {
        if (it.b.sealed)
            continue;
        if (eng_grow((void **)&raw, &cap, n + 1, sizeof *raw) != 0)
            rc = eng_fail(ENOMEM, "out of memory");
        else
            raw[n++] = it.b;
    }
    eng_bucket_iter_close(&it);
    rc = rc == QS_NOTFOUND ? 0 : rc;
    for (size_t i = 0; i < n && !rc; i++)
        rc = upgrade_event_bucket(txn, &raw[i]);
    free(raw);
    return rc;
}
