/* bucket.c: time-bucketed databases for answers and interactions.
 *
 * Each table keeps one LMDB database per period (a month by default), named
 * "<table>@<period start>": ans@2026-01, ixn@2026-01-05 (weekly and daily stores
 * name the first day). The registry, ENG_BUCKETS, lists them:
 *
 *   key:    table u8 | period start (time)
 *   record: name (str) | state u8 (0 = raw)
 *
 * Creating a bucket bumps the schema generation so that every process opens the
 * new handle before its next transaction (see txn.c, begin_current).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine_int.h"

/* ------------------------------------------------------------------ periods */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

int64_t eng_period_start(qs_period p, int64_t t)
{
    int64_t day = eng_day(t);
    switch (p) {
    case QS_PERIOD_DAY:
        return day * ENG_DAY_MS;
    case QS_PERIOD_WEEK:   /* day 0, 1970-01-01, was a Thursday */
        return (day - floor_mod(day + 3, 7)) * ENG_DAY_MS;
    default: {
        int64_t y;
        unsigned m, d;
        civil_from_days(day, &y, &m, &d);
        return days_from_civil(y, m, 1) * ENG_DAY_MS;
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
        civil_from_days(eng_day(start), &y, &m, &d);
        return days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * ENG_DAY_MS;
    }
    }
}

void eng_bucket_name(eng_table table, qs_period p, int64_t start, char *out)
{
    int64_t y;
    unsigned m, d;
    const char *prefix = table == ENG_T_ANSWER ? "ans" : "ixn";
    civil_from_days(eng_day(start), &y, &m, &d);
    if (p == QS_PERIOD_MONTH)
        snprintf(out, 24, "%s@%04lld-%02u", prefix, (long long)y, m);
    else
        snprintf(out, 24, "%s@%04lld-%02u-%02u", prefix, (long long)y, m, d);
}

/* ------------------------------------------------------------------ lookup */

static void registry_key(eng_key *k, eng_table table, int64_t start)
{
    ek_reset(k);
    ek_u8(k, (uint8_t)table);
    ek_time(k, start);
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
    return eng_fail(QS_PANIC, "bucket '%s' is registered but has no handle", name);
}

static qs_txn *top_of(qs_txn *txn)
{
    while (txn->parent)
        txn = txn->parent;
    return txn;
}

static int create_bucket(qs_txn *txn, eng_table table, int64_t start, const char *name,
                         MDB_dbi *dbi)
{
    qs_env *env = txn->env;
    eng_handle *h = realloc(txn->new_handles, (txn->n_new_handles + 1) * sizeof *h);
    if (!h)
        return eng_fail(ENOMEM, "out of memory");
    txn->new_handles = h;
    pthread_mutex_lock(&env->handle_lock);
    int rc = mdb_dbi_open(txn->mdb, name, MDB_CREATE, dbi);
    if (rc == 0) {
        env->handle_txn_open = 1;
        top_of(txn)->opened_handles = 1;
    }
    pthread_mutex_unlock(&env->handle_lock);
    if (rc)
        return eng_txn_failed(txn, eng_mdb_rc(rc, "create bucket", name));
    snprintf(h[txn->n_new_handles].name, sizeof h->name, "%s", name);
    h[txn->n_new_handles++].dbi = *dbi;

    eng_key k;
    uint8_t buf[40];
    eng_wbuf w;
    registry_key(&k, table, start);
    wb_init(&w, buf, sizeof buf);
    wb_str(&w, name);
    wb_u8(&w, 0);
    txn->gen_dirty = 1;
    return eng_put(txn, ENG_BUCKETS, &k, &w, 0);
}

int eng_bucket_for(qs_txn *txn, eng_table table, int64_t t, int create, MDB_dbi *dbi,
                   const char **name)
{
    qs_period p = txn->env->period;
    int64_t start = eng_period_start(p, t);
    if (txn->last_table == table && txn->last_start == start) {
        *dbi = txn->last_dbi;
        *name = txn->last_name;
        return 0;
    }
    eng_key k;
    eng_rbuf r;
    char bname[24];
    registry_key(&k, table, start);
    int rc = eng_get(txn, ENG_BUCKETS, &k, &r);
    if (rc == 0) {
        rb_str(&r, bname, sizeof bname);
        if (r.bad)
            return eng_corrupt(ENG_BUCKETS, &k, "bad bucket record");
        rc = handle_of(txn, bname, dbi);
    } else if (rc == QS_NOTFOUND && create) {
        eng_bucket_name(table, p, start, bname);
        rc = create_bucket(txn, table, start, bname, dbi);
    }
    if (rc)
        return rc;
    txn->last_table = table;
    txn->last_start = start;
    txn->last_dbi = *dbi;
    memcpy(txn->last_name, bname, sizeof bname);
    *name = txn->last_name;
    return 0;
}

/* ------------------------------------------------------------------ iteration */

int eng_bucket_iter_open(eng_bucket_iter *it, qs_txn *txn, eng_table table, int64_t from,
                         int64_t to, int reverse)
{
    memset(it, 0, sizeof *it);
    if (from < ENG_TIME_MIN)
        from = ENG_TIME_MIN;
    if (to > ENG_TIME_MAX)
        to = ENG_TIME_MAX;
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
        ek_reset(&key);
        ek_bytes(&key, k.mv_data, k.mv_size);
        if (eng_rec_open(&key, v.mv_data, v.mv_size, &r))
            return eng_corrupt(ENG_BUCKETS, &key, "checksum mismatch");
        rb_str(&r, it->name, sizeof it->name);
        if (r.bad)
            return eng_corrupt(ENG_BUCKETS, &key, "bad bucket record");
        it->start = start;
        return handle_of(it->txn, it->name, &it->dbi);
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
