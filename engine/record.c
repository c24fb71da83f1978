/* record.c: checked records (layout in codec.h). */
#include <stdio.h>

#include "engine_int.h"

int eng_mdb_get(qs_txn *txn, MDB_dbi dbi, const char *dbname, const MDB_val *k, MDB_val *v)
{
    int rc;
    if (eng_wcache_holds(txn, dbi)) {
        if ((rc = eng_wcache_get(txn, dbi, k, v)) != ENG_WCACHE_MISS)
            return rc;
    } else if ((rc = eng_barrier(txn, dbi)) != 0) {
        return rc;
    }
    rc = mdb_get(eng_mdb(txn), dbi, (MDB_val *)k, v);
    if (rc == MDB_NOTFOUND)
        return QS_NOTFOUND;
    return rc ? eng_mdb_rc(rc, "read", dbname) : 0;
}

int eng_cursor_open(qs_txn *txn, MDB_dbi dbi, const char *dbname, MDB_cursor **cur)
{
    int rc = eng_barrier(txn, dbi);
    if (rc)
        return rc;
    rc = mdb_cursor_open(eng_mdb(txn), dbi, cur);
    return rc ? eng_mdb_rc(rc, "open cursor", dbname) : 0;
}

int eng_each_entry_of(qs_txn *txn, MDB_dbi dbi, const char *dbname, eng_entry_fn fn,
                      void *ctx)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = eng_cursor_open(txn, dbi, dbname, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        eng_val ek = eng_val_of(k), ev = eng_val_of(v);
        if ((rc = fn(&ek, &ev, ctx)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, dbname);
}

int eng_each_entry(qs_txn *txn, eng_db db, eng_entry_fn fn, void *ctx)
{
    return eng_each_entry_of(txn, eng_dbi(txn, db), eng_db_name(db), fn, ctx);
}

int eng_rec_get(qs_txn *txn, MDB_dbi dbi, const char *dbname, const eng_key *key,
                eng_rbuf *body)
{
    MDB_val k = {key->n, (void *)key->b}, v;
    int rc = eng_mdb_get(txn, dbi, dbname, &k, &v);
    if (rc)
        return rc;
    const uint8_t *rec = v.mv_data;
    if (v.mv_size >= 1 && rec[0] != ENG_REC_VERSION)
        return eng_rec_corrupt(dbname, key, "unknown record version");
    if (eng_rec_open(key, rec, v.mv_size, body))
        return eng_rec_corrupt(dbname, key, "checksum mismatch");
    return 0;
}

/* Whether @p k is in @p dbi, for a delete while gathering. */
static int gathered_exists(qs_txn *txn, MDB_dbi dbi, const char *dbname, const MDB_val *k)
{
    MDB_val v;
    int rc = eng_mdb_get(txn, dbi, dbname, k, &v);
    return rc == 0 ? QS_EXISTS : rc == QS_NOTFOUND ? 0 : rc;
}

/* A put or delete gathered in the cache (eng_gathering()): flushed when it is full. */
static int gathered(qs_txn *txn, int rc)
{
    if (rc == ENG_WCACHE_FULL)
        rc = eng_wcache_flush(txn);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

/* A key that must be new (MDB_NOOVERWRITE: a row's, under a new id) is checked against
 * LMDB when the cache writes it out, where a clash fails the transaction. */
static int gather_put(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, size_t vlen,
                      unsigned flags, uint8_t **data)
{
    return eng_wcache_put(txn, dbi, k, vlen, (flags & MDB_NOOVERWRITE) != 0, data);
}

/* Whether a write to @p dbi goes to the cache; else pending work is flushed first. */
static int write_gathers(qs_txn *txn, MDB_dbi dbi, int *rc)
{
    *rc = 0;
    if (eng_gathering(txn) && eng_wcache_holds(txn, dbi))
        return 1;
    *rc = eng_barrier(txn, dbi);
    return 0;
}

int eng_rec_put(qs_txn *txn, MDB_dbi dbi, const char *dbname, const eng_key *key,
                const eng_wbuf *body, unsigned flags)
{
    if (body->overflow)
        return eng_fail(QS_TOO_LARGE, "record too large for database '%s'", dbname);
    MDB_val k = {key->n, (void *)key->b}, v = {eng_rec_size(body->n), NULL};
    int rc;
    if (write_gathers(txn, dbi, &rc)) {
        uint8_t *data;
        rc = gather_put(txn, dbi, &k, v.mv_size, flags, &data);
        if (rc == 0 || rc == ENG_WCACHE_FULL)
            eng_rec_seal(data, key, body->b, body->n);
        return rc == QS_EXISTS ? rc : gathered(txn, rc);
    }
    if (rc)
        return rc;
    rc = mdb_put(eng_mdb(txn), dbi, &k, &v, flags | MDB_RESERVE);
    if (rc == MDB_KEYEXIST)
        return QS_EXISTS;
    if (rc == MDB_BAD_VALSIZE)
        return eng_fail(QS_TOO_LARGE, "record too large for database '%s'", dbname);
    if (rc)
        return eng_txn_failed(txn, eng_mdb_rc(rc, "write", dbname));
    eng_rec_seal(v.mv_data, key, body->b, body->n);
    eng_log_put(txn, dbi, &k, &v);
    return 0;
}

int eng_rec_del(qs_txn *txn, MDB_dbi dbi, const char *dbname, const eng_key *key,
                const MDB_val *dup)
{
    MDB_val k = {key->n, (void *)key->b};
    int rc;
    if (write_gathers(txn, dbi, &rc)) {   /* never a database with duplicates */
        if ((rc = gathered_exists(txn, dbi, dbname, &k)) != QS_EXISTS)
            return rc ? rc : QS_NOTFOUND;
        return gathered(txn, eng_wcache_del(txn, dbi, &k));
    }
    if (rc)
        return rc;
    rc = mdb_del(eng_mdb(txn), dbi, &k, (MDB_val *)dup);
    if (rc == MDB_NOTFOUND)
        return QS_NOTFOUND;
    if (rc)
        return eng_txn_failed(txn, eng_mdb_rc(rc, "delete", dbname));
    eng_log_del(txn, dbi, &k, dup);
    return 0;
}

int eng_mdb_put(qs_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned flags)
{
    int rc;
    if (write_gathers(txn, dbi, &rc)) {
        uint8_t *data;
        rc = gather_put(txn, dbi, k, v->mv_size, flags, &data);
        if (rc == 0 || rc == ENG_WCACHE_FULL)
            memcpy(data, v->mv_data, v->mv_size);
        return rc == QS_EXISTS ? MDB_KEYEXIST : gathered(txn, rc) ? MDB_BAD_TXN : 0;
    }
    if (rc)
        return MDB_BAD_TXN;
    rc = mdb_put(eng_mdb(txn), dbi, k, v, flags);
    if (rc == 0)
        eng_log_put(txn, dbi, k, v);
    return rc;
}

/* The pair under the cursor is logged as a delete of that key and value: exact for
 * a database with sorted duplicates, and the value is ignored for one without. */
int eng_mdb_cursor_del(qs_txn *txn, MDB_cursor *cur)
{
    MDB_val k, v;
    int rc = eng_barrier(txn, mdb_cursor_dbi(cur)) ? MDB_BAD_TXN
                                                    : mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
    if (rc)
        return rc;
    eng_log_del(txn, mdb_cursor_dbi(cur), &k, &v);
    rc = mdb_cursor_del(cur, 0);
    if (rc)
        eng_txn_failed(txn, rc);   /* logged already: the transaction cannot commit */
    return rc;
}

int eng_mdb_empty(qs_txn *txn, MDB_dbi dbi)
{
    int rc = eng_barrier(txn, dbi);
    if (rc)
        return MDB_BAD_TXN;
    rc = mdb_drop(eng_mdb(txn), dbi, 0);
    if (rc == 0)
        eng_log_drop(txn, dbi, 0);
    return rc;
}

/* ------------------------------------------------------------------ fixed databases */

int eng_get(qs_txn *txn, eng_db db, const eng_key *key, eng_rbuf *body)
{
    return eng_rec_get(txn, eng_dbi(txn, db), eng_db_name(db), key, body);
}

int eng_put(qs_txn *txn, eng_db db, const eng_key *key, const eng_wbuf *body,
            unsigned flags)
{
    return eng_rec_put(txn, eng_dbi(txn, db), eng_db_name(db), key, body, flags);
}

int eng_del(qs_txn *txn, eng_db db, const eng_key *key, const eng_val *dup)
{
    MDB_val d = dup ? eng_mdb_val(*dup) : (MDB_val){0, NULL};
    return eng_rec_del(txn, eng_dbi(txn, db), eng_db_name(db), key, dup ? &d : NULL);
}

int eng_corrupt(eng_db db, const eng_key *key, const char *why)
{
    return eng_rec_corrupt(eng_db_name(db), key, why);
}

int eng_entry_get(qs_txn *txn, eng_db db, const eng_val *k, eng_val *v)
{
    MDB_val mk = eng_mdb_val(*k), mv;
    int rc = eng_mdb_get(txn, eng_dbi(txn, db), eng_db_name(db), &mk, &mv);
    if (rc == 0)
        *v = eng_val_of(mv);
    return rc;
}

int eng_entry_put(qs_txn *txn, eng_db db, const eng_val *k, const eng_val *v,
                  unsigned flags)
{
    MDB_val mk = eng_mdb_val(*k), mv = eng_mdb_val(*v);
    int rc = eng_mdb_put(txn, eng_dbi(txn, db), &mk, &mv, flags);
    if (rc == MDB_KEYEXIST)
        return QS_EXISTS;
    return rc ? eng_txn_failed(txn, eng_mdb_rc(rc, "write", eng_db_name(db))) : 0;
}

int eng_db_empty(qs_txn *txn, eng_db db)
{
    int rc = eng_mdb_empty(txn, eng_dbi(txn, db));
    return rc ? eng_txn_failed(txn, eng_mdb_rc(rc, "empty", eng_db_name(db))) : 0;
}

int eng_db_entries(qs_txn *txn, eng_db db, uint64_t *n)
{
    MDB_stat st;
    int rc = eng_barrier(txn, eng_dbi(txn, db));
    if (rc == 0 && (rc = mdb_stat(eng_mdb(txn), eng_dbi(txn, db), &st)) != 0)
        return eng_mdb_rc(rc, "stat", eng_db_name(db));
    *n = rc ? 0 : st.ms_entries;
    return rc;
}

_Static_assert(ENG_NOOVERWRITE == MDB_NOOVERWRITE && ENG_NODUPDATA == MDB_NODUPDATA &&
                   ENG_APPEND == MDB_APPEND,
               "the engine's put flags are LMDB's");

int eng_meta_put_u64(qs_txn *txn, const char *name, uint64_t v)
{
    eng_key k;
    uint8_t buf[8];
    eng_wbuf w;
    ek_reset(&k);
    ek_bytes(&k, name, strlen(name));
    wb_init(&w, buf, sizeof buf);
    wb_u64(&w, v);
    return eng_put(txn, ENG_META, &k, &w, 0);
}

