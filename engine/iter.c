/* iter.c: iterators over the fixed databases, for index/ and api/ (engine.h).
 *
 * An iterator is an LMDB cursor with the database's name for error details and an
 * optional key prefix that bounds every move: a move that lands outside the prefix is
 * ENG_END, as the end of the database is.
 */
#include "engine_int.h"

int eng_iter_open(qs_txn *txn, eng_db db, eng_iter *it)
{
    it->txn = txn;
    it->cur = NULL;
    it->db = db;
    it->prefix_n = 0;
    it->key = it->val = (eng_val){0, NULL};
    return eng_cursor_open(txn, eng_dbi(txn, db), eng_db_name(db), &it->cur);
}

void eng_iter_close(eng_iter *it)
{
    if (it->cur)
        mdb_cursor_close(it->cur);
    it->cur = NULL;
}

void eng_iter_within(eng_iter *it, const void *prefix, size_t n)
{
    it->prefix_n = n < ENG_KEY_MAX ? n : ENG_KEY_MAX;
    if (it->prefix_n)
        memcpy(it->prefix, prefix, it->prefix_n);
}

static inline int within(const eng_iter *it, const MDB_val *k)
{
    if (k->mv_size < it->prefix_n)
        return 0;
    /* Tested at every step: the usual prefixes (a u32 id, and a level byte after it)
     * compare in place, without a call. */
    switch (it->prefix_n) {
    case 0: return 1;
    case 4: return memcmp(k->mv_data, it->prefix, 4) == 0;
    case 5: return memcmp(k->mv_data, it->prefix, 5) == 0;
    default: return memcmp(k->mv_data, it->prefix, it->prefix_n) == 0;
    }
}

/* The outcome of one cursor operation: the entry in it->key and it->val when it is
 * within the prefix, else ENG_END; a failure mapped with the database's name. */
static inline __attribute__((always_inline)) int landed(eng_iter *it, int rc, const MDB_val *k,
                                                      const MDB_val *v)
{
    if (rc == MDB_NOTFOUND)
        return ENG_END;
    if (rc)
        return eng_mdb_rc(rc, "read", eng_db_name(it->db));
    if (!within(it, k))
        return ENG_END;
    it->key = eng_val_of(*k);
    it->val = eng_val_of(*v);
    return 0;
}

static inline __attribute__((always_inline)) int move(eng_iter *it, MDB_cursor_op op)
{
    MDB_val k, v;
    return landed(it, mdb_cursor_get(it->cur, &k, &v, op), &k, &v);
}

static inline __attribute__((always_inline)) int move_to(eng_iter *it, const void *key, size_t n,
                                                       MDB_cursor_op op)
{
    MDB_val k = {n, (void *)key}, v;
    return landed(it, mdb_cursor_get(it->cur, &k, &v, op), &k, &v);
}

int eng_iter_seek(eng_iter *it, const void *key, size_t n)
{
    return move_to(it, key, n, MDB_SET_RANGE);
}

int eng_iter_seek_before(eng_iter *it, const void *key, size_t n)
{
    MDB_val k = {n, (void *)key}, v;
    int rc = mdb_cursor_get(it->cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0)
        return move(it, MDB_PREV);
    return rc == MDB_NOTFOUND ? move(it, MDB_LAST) : landed(it, rc, &k, &v);
}

int eng_iter_first(eng_iter *it)
{
    return it->prefix_n ? eng_iter_seek(it, it->prefix, it->prefix_n) : move(it, MDB_FIRST);
}

/* The last key within the prefix is the last one before the prefix's successor: the
 * prefix with its last byte below 0xff increased and the bytes after it dropped. */
int eng_iter_last(eng_iter *it)
{
    uint8_t next[ENG_KEY_MAX];
    size_t n = it->prefix_n;
    memcpy(next, it->prefix, n);
    while (n > 0 && next[n - 1] == 0xff)
        n--;
    if (n == 0)
        return move(it, MDB_LAST);
    next[n - 1]++;
    return eng_iter_seek_before(it, next, n);
}

int eng_iter_find(eng_iter *it, const void *key, size_t n)
{
    return move_to(it, key, n, MDB_SET_KEY);
}

int eng_iter_find_pair(eng_iter *it, const void *key, size_t n, const void *val,
                       size_t vn)
{
    MDB_val k = {n, (void *)key}, v = {vn, (void *)val};
    return landed(it, mdb_cursor_get(it->cur, &k, &v, MDB_GET_BOTH), &k, &v);
}

int eng_iter_next(eng_iter *it) { return move(it, MDB_NEXT); }
int eng_iter_prev(eng_iter *it) { return move(it, MDB_PREV); }
int eng_iter_next_key(eng_iter *it) { return move(it, MDB_NEXT_NODUP); }
int eng_iter_prev_key(eng_iter *it) { return move(it, MDB_PREV_NODUP); }
/* A move along the current key's values leaves the key as it is. */
int eng_iter_first_dup(eng_iter *it)
{
    MDB_val k = eng_mdb_val(it->key), v;
    return landed(it, mdb_cursor_get(it->cur, &k, &v, MDB_FIRST_DUP), &k, &v);
}

int eng_iter_dups(eng_iter *it, size_t *n)
{
    size_t count;
    int rc = mdb_cursor_count(it->cur, &count);
    if (rc)
        return eng_mdb_rc(rc, "count", eng_db_name(it->db));
    *n = count;
    return 0;
}

int eng_iter_del(eng_iter *it)
{
    int rc = eng_mdb_cursor_del(it->txn, it->cur);
    return rc ? eng_txn_failed(it->txn, eng_mdb_rc(rc, "delete", eng_db_name(it->db))) : 0;
}

int eng_dup_next(eng_dup_iter *d, size_t width, const uint8_t **vals, size_t *n)
{
    MDB_val k, v;
    int rc;
    if (!d->started) {
        size_t count = 0;
        d->started = 1;
        if ((rc = eng_iter_dups(d->it, &count)) != 0)
            return rc;
        d->single = count == 1;
        rc = mdb_cursor_get(d->it->cur, &k, &v, d->single ? MDB_GET_CURRENT : MDB_GET_MULTIPLE);
    } else if (d->single) {
        return ENG_END;
    } else {
        rc = mdb_cursor_get(d->it->cur, &k, &v, MDB_NEXT_MULTIPLE);
    }
    if (rc == MDB_NOTFOUND)
        return ENG_END;
    if (rc)
        return eng_mdb_rc(rc, "read", eng_db_name(d->it->db));
    *vals = v.mv_data;
    *n = v.mv_size / width;
    return 0;
}
