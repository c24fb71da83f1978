/* bucket.c: time-bucketed databases for answers and interactions.
 *
 * Each table keeps one LMDB database per period (a month by default), named
 * "<table>@<period start>": ans@2026-01, ixn@2026-01-05 (weekly and daily stores
 * name the first day); sealing replaces it with "<name>.z" (seal.c). The registry,
 * ENG_BUCKETS, lists them:
 *
 *   key:    table u8 | period start (time)
 *   record: name str | sealed u8 | rows u64 | raw_bytes u64
 *           (rows and raw_bytes are kept for sealed buckets only)
 *
 * ENG_META "expired.<table>" (time bits) holds the end of the newest period retention
 * dropped: rows older than that are refused, since their bucket can no longer tell
 * whether they were stored before.
 *
 * and the databases that sealing or retention emptied, to be deleted when no
 * transaction of this process can still hold their handles (at the next open):
 *
 *   key:    ENG_T_EMPTIED u8 | name      record: (empty)
 *
 * Creating or renaming a bucket bumps the schema generation so that every process
 * opens the new handle before its next transaction (see txn.c, begin_current).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine_int.h"
#include "rows.h"
#include "util/date.h"

/* ------------------------------------------------------------------ periods */

int64_t eng_period_start(qs_period p, int64_t t)
{
    int64_t day = eng_day(t);
    switch (p) {
    case QS_PERIOD_DAY:
        return day * ENG_DAY_MS;
    case QS_PERIOD_WEEK:
        return ut_week_start(day) * ENG_DAY_MS;
    default: {
        int64_t y;
        unsigned m, d;
        ut_civil_from_days(day, &y, &m, &d);
        return ut_days_from_civil(y, m, 1) * ENG_DAY_MS;
    }
    }
}

int64_t eng_period_next(qs_period p, int64_t start)
{
    switch (p) {
    case QS_PERIOD_DAY:
        return start + ENG_DAY_MS;
    case QS_PERIOD_WEEK:
        return start + 7 * ENG_DAY_MS;
    default: {
        int64_t y;
        unsigned m, d;
        ut_civil_from_days(eng_day(start), &y, &m, &d);
        return ut_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * ENG_DAY_MS;
    }
    }
}

int64_t eng_period_prev(qs_period p, int64_t start)
{
    return eng_period_start(p, start - 1);
}

void eng_bucket_name(eng_table table, qs_period p, int64_t start, char *out)
{
    int64_t y;
    unsigned m, d;
    const char *prefix = table == ENG_T_ANSWER ? "ans" : "ixn";
    ut_civil_from_days(eng_day(start), &y, &m, &d);
    if (p == QS_PERIOD_MONTH)
        snprintf(out, 24, "%s@%04lld-%02u", prefix, (long long)y, m);
    else
        snprintf(out, 24, "%s@%04lld-%02u-%02u", prefix, (long long)y, m, d);
}

/* ------------------------------------------------------------------ registry */

static void registry_key(eng_key *k, eng_table table, int64_t start)
{
    ek_reset(k);
    ek_u8(k, (uint8_t)table);
    ek_time(k, start);
}

static int registry_decode(const eng_key *k, eng_rbuf *r, eng_registry_rec *rec)
{
    rb_str(r, rec->name, sizeof rec->name);
    rec->sealed = rb_u8(r);
    rec->rows = rb_u64(r);
    rec->raw_bytes = rb_u64(r);
    return rb_done(r) && rec->sealed <= 1 ? 0 : eng_corrupt(ENG_BUCKETS, k, "bad bucket record");
}

int eng_registry_get(qs_txn *txn, eng_table table, int64_t start, eng_registry_rec *rec)
{
    eng_key k;
    eng_rbuf r;
    registry_key(&k, table, start);
    int rc = eng_get(txn, ENG_BUCKETS, &k, &r);
    return rc ? rc : registry_decode(&k, &r, rec);
}

int eng_registry_put(qs_txn *txn, eng_table table, int64_t start, const eng_registry_rec *rec)
{
    eng_key k;
    eng_wbuf w;
    uint8_t buf[64];
    registry_key(&k, table, start);
    wb_init(&w, buf, sizeof buf);
    wb_str(&w, rec->name);
    wb_u8(&w, (uint8_t)rec->sealed);
    wb_u64(&w, rec->rows);
    wb_u64(&w, rec->raw_bytes);
    return eng_put(txn, ENG_BUCKETS, &k, &w, 0);
}

int eng_registry_del(qs_txn *txn, eng_table table, int64_t start)
{
    eng_key k;
    registry_key(&k, table, start);
    txn->gen_dirty = 1;
    eng_bucket_forget(txn);
    return eng_del(txn, ENG_BUCKETS, &k, NULL);
}

void eng_bucket_forget(qs_txn *txn)
{
    for (qs_txn *t = txn; t; t = t->parent)
        t->last_bucket.table = 0;
}

/* ------------------------------------------------------------------ databases */

static void emptied_key(eng_key *k, const char *name)
{
    ek_reset(k);
    ek_u8(k, ENG_T_EMPTIED);
    ek_bytes(k, name, strlen(name));
}

/* A handle opened by this transaction or an ancestor, not yet published. */
static int pending_handle(qs_txn *txn, const char *name, MDB_dbi *dbi)
{
    for (qs_txn *t = txn; t; t = t->parent)
        for (size_t i = 0; i < t->n_new_handles; i++)
            if (strcmp(t->new_handles[i].name, name) == 0) {
                *dbi = t->new_handles[i].dbi;
                return 0;
            }
    return QS_NOTFOUND;
}

static int handle_of(qs_txn *txn, const char *name, MDB_dbi *dbi)
{
    if (pending_handle(txn, name, dbi) == 0 || eng_handle_find(txn->env, name, dbi) == 0)
        return 0;
    return eng_fail(QS_CORRUPT, "bucket '%s' is registered but its database is missing", name);
}

int eng_db_create(qs_txn *txn, const char *name, MDB_dbi *dbi)
{
    qs_env *env = txn->env;
    eng_key k;
    eng_handle *h = realloc(txn->new_handles, (txn->n_new_handles + 1) * sizeof *h);
    if (!h)
        return eng_fail(ENOMEM, "out of memory");
    txn->new_handles = h;
    /* a database of this name emptied earlier is now in use again */
    emptied_key(&k, name);
    int rc = eng_del(txn, ENG_BUCKETS, &k, NULL);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    eng_lock(&env->handle_lock);
    rc = mdb_dbi_open(txn->mdb, name, MDB_CREATE, dbi);
    if (rc == 0) {
        eng_log_create(txn, *dbi, name, 0);
        env->handle_txn_open = 1;
        eng_txn_top(txn)->opened_handles = 1;
    }
    eng_unlock(&env->handle_lock);
    if (rc)
        return eng_txn_failed(txn, eng_mdb_rc(rc, "create bucket", name));
    snprintf(h[txn->n_new_handles].name, sizeof h->name, "%s", name);
    h[txn->n_new_handles++].dbi = *dbi;
    return 0;
}

/* Deleting a named database closes its handle in this process at once, under any
 * transaction still reading it; so it is emptied now (its pages freed) and deleted
 * by the next qs_env_open, before any transaction of that process begins. */
int eng_db_retire(qs_txn *txn, MDB_dbi dbi, const char *name)
{
    eng_key k;
    eng_wbuf w;
    int rc = eng_mdb_empty(txn, dbi);
    if (rc)
        return eng_txn_failed(txn, eng_mdb_rc(rc, "empty", name));
    emptied_key(&k, name);
    wb_init(&w, NULL, 0);
    return eng_put(txn, ENG_BUCKETS, &k, &w, 0);
}

static int delete_emptied(MDB_txn *m, MDB_cursor *cur, int *deleted)
{
    MDB_val k, v;
    uint8_t first = ENG_T_EMPTIED;
    k = (MDB_val){1, &first};
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) {
        const uint8_t *kb = k.mv_data;
        if (kb[0] != ENG_T_EMPTIED)
            break;
        char name[24];
        MDB_dbi dbi;
        snprintf(name, sizeof name, "%.*s", (int)(k.mv_size - 1), (const char *)kb + 1);
        int orc = mdb_dbi_open(m, name, 0, &dbi);
        if (orc == 0)
            orc = mdb_drop(m, dbi, 1);
        if (orc && orc != MDB_NOTFOUND)
            return eng_mdb_rc(orc, "delete", name);
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
        *deleted = 1;
        k = (MDB_val){1, &first};
    }
    return rc == MDB_NOTFOUND ? 0 : eng_mdb_rc(rc, "delete emptied databases", NULL);
}

typedef struct emptied_ctx {
    qs_env *env;
    MDB_txn *txn;
    int deleted;
} emptied_ctx;

static int emptied_in(void *arg)
{
    emptied_ctx *c = arg;
    MDB_cursor *cur;
    eng_log_pos pos;
    int rc = eng_log_write_begin(c->env, c->txn, &pos);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(c->txn, c->env->dbi[ENG_BUCKETS], &cur)) != 0)
        return eng_mdb_rc(rc, "open cursor", "buckets");
    rc = delete_emptied(c->txn, cur, &c->deleted);
    mdb_cursor_close(cur);
    /* not logged: a checkpoint after the commit keeps it */
    return rc == 0 && c->deleted ? eng_log_unlogged(c->env, c->txn) : rc;
}

int eng_emptied_delete(qs_env *env)
{
    emptied_ctx c = {env, NULL, 0};
    int rc = mdb_txn_begin(env->mdb, NULL, 0, &c.txn);
    if (rc)
        return eng_mdb_rc(rc, "begin", NULL);
    if ((rc = eng_guarded(env, NULL, emptied_in, &c)) != 0) {
        eng_mdb_abort(env, c.txn);
        return rc;
    }
    if ((rc = mdb_txn_commit(c.txn)) != 0)
        return eng_mdb_rc(rc, "commit", NULL);
    return c.deleted ? eng_log_checkpoint(env) : 0;
}

/* ------------------------------------------------------------------ retention */

static const char *expired_name(eng_table table)
{
    return table == ENG_T_ANSWER ? "expired.ans" : "expired.ixn";
}

/* Read once per transaction: every answer submitted and interaction logged asks. */
int eng_expired_end(qs_txn *txn, eng_table table, int64_t *end)
{
    if (txn->expired_known[table]) {
        *end = txn->expired_end[table];
        return 0;
    }
    uint64_t bits;
    int rc = eng_meta_get_u64(txn->mdb, eng_dbi(txn, ENG_META), expired_name(table), &bits);
    *end = rc == 0 ? eng_time_from_bits(bits) : QS_TIME_MIN;
    if (rc && rc != QS_NOTFOUND)
        return rc;
    txn->expired_end[table] = *end;
    txn->expired_known[table] = 1;
    return 0;
}

int eng_row_expired(qs_txn *txn, eng_table table, int64_t t)
{
    int64_t end;
    int rc = eng_expired_end(txn, table, &end);
    if (rc || t >= end)
        return rc;
    return eng_fail(QS_EXPIRED, "%s at %lld falls in a period retention dropped (before %lld)",
                    table == ENG_T_ANSWER ? "an answer" : "an interaction", (long long)t,
                    (long long)end);
}

int eng_expired_advance(qs_txn *txn, eng_table table, int64_t end)
{
    int64_t was;
    int rc = eng_expired_end(txn, table, &was);
    if (rc || end <= was)
        return rc;
    txn->expired_end[table] = end;
    return eng_meta_put_u64(txn, expired_name(table), eng_time_bits(end));
}

/* ------------------------------------------------------------------ lookup */

static int bucket_from(qs_txn *txn, eng_table table, int64_t start,
                       const eng_registry_rec *rec, eng_bucket *b)
{
    b->table = table;
    b->start = start;
    b->sealed = rec->sealed;
    memcpy(b->name, rec->name, sizeof b->name);
    return handle_of(txn, b->name, &b->dbi);
}

static int create_bucket(qs_txn *txn, eng_table table, int64_t start, eng_bucket *b)
{
    eng_registry_rec rec = {0};
    MDB_dbi dbi;
    eng_bucket_name(table, txn->env->period, start, rec.name);
    int rc = eng_db_create(txn, rec.name, &dbi);
    if (!rc)
        rc = eng_registry_put(txn, table, start, &rec);
    txn->gen_dirty = 1;
    return rc ? rc : bucket_from(txn, table, start, &rec, b);
}

int eng_bucket_at(qs_txn *txn, eng_table table, int64_t t, int create, eng_bucket *b)
{
    int64_t start = eng_period_start(txn->env->period, t);
    if (txn->last_bucket.table == table && txn->last_bucket.start == start) {
        *b = txn->last_bucket;
        return 0;
    }
    eng_registry_rec rec;
    int rc = eng_registry_get(txn, table, start, &rec);
    if (rc == 0)
        rc = bucket_from(txn, table, start, &rec, b);
    else if (rc == QS_NOTFOUND && create)
        rc = create_bucket(txn, table, start, b);
    if (rc)
        return rc;
    txn->last_bucket = *b;
    return 0;
}

/* ------------------------------------------------------------------ iteration */

int eng_bucket_iter_open(eng_bucket_iter *it, qs_txn *txn, eng_table table, int64_t from,
                         int64_t to, int reverse)
{
    memset(it, 0, sizeof *it);
    if (from < QS_TIME_MIN)
        from = QS_TIME_MIN;
    if (to > QS_TIME_MAX)
        to = QS_TIME_MAX;
    if (from >= to)
        it->done = 1;
    it->txn = txn;
    it->table = table;
    it->from = from;
    it->to = to;
    it->reverse = reverse;
    int rc = mdb_cursor_open(txn->mdb, eng_dbi(txn, ENG_BUCKETS), &it->cur);
    return rc ? eng_mdb_rc(rc, "open cursor", "buckets") : 0;
}

/* Position on the first registry entry to consider. */
static int iter_first(eng_bucket_iter *it, MDB_val *k, MDB_val *v)
{
    eng_key key;
    qs_period p = it->txn->env->period;
    if (!it->reverse) {
        registry_key(&key, it->table, eng_period_start(p, it->from));
        *k = (MDB_val){key.n, key.b};
        return mdb_cursor_get(it->cur, k, v, MDB_SET_RANGE);
    }
    /* the last entry at or before the period holding to - 1 */
    registry_key(&key, it->table, eng_period_start(p, it->to - 1));
    *k = (MDB_val){key.n, key.b};
    int rc = mdb_cursor_get(it->cur, k, v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        return mdb_cursor_get(it->cur, k, v, MDB_LAST);
    if (rc == 0 && (k->mv_size != key.n || memcmp(k->mv_data, key.b, key.n) != 0))
        return mdb_cursor_get(it->cur, k, v, MDB_PREV);
    return rc;
}

int eng_bucket_iter_next(eng_bucket_iter *it)
{
    MDB_val k, v;
    qs_period p = it->txn->env->period;
    while (!it->done) {
        int rc;
        if (!it->started) {
            it->started = 1;
            rc = iter_first(it, &k, &v);
        } else {
            rc = mdb_cursor_get(it->cur, &k, &v, it->reverse ? MDB_PREV : MDB_NEXT);
        }
        if (rc == MDB_NOTFOUND)
            break;
        if (rc)
            return eng_mdb_rc(rc, "read", "buckets");
        const uint8_t *kb = k.mv_data;
        if (k.mv_size != 9 || kb[0] != it->table)
            break;
        int64_t start = eng_time_from_bits(eng_get64(kb + 1));
        if (it->reverse ? eng_period_next(p, start) <= it->from : start >= it->to)
            break;
        if (it->reverse ? start >= it->to : eng_period_next(p, start) <= it->from)
            continue;
        eng_key key;
        eng_rbuf r;
        eng_registry_rec rec;
        ek_reset(&key);
        ek_bytes(&key, k.mv_data, k.mv_size);
        if (eng_rec_open(&key, v.mv_data, v.mv_size, &r))
            return eng_corrupt(ENG_BUCKETS, &key, "checksum mismatch");
        if ((rc = registry_decode(&key, &r, &rec)) != 0)
            return rc;
        return bucket_from(it->txn, it->table, start, &rec, &it->b);
    }
    it->done = 1;
    return QS_NOTFOUND;
}

void eng_bucket_iter_close(eng_bucket_iter *it)
{
    if (it->cur)
        mdb_cursor_close(it->cur);
    it->cur = NULL;
}
