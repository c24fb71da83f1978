/* access.c: what every engine file reads and marks of a transaction and its store:
 * handles, flags, scratch memory, the flush state and the meta records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

MDB_txn *eng_mdb(qs_txn *txn) { return txn->mdb; }
qs_env *eng_env(qs_txn *txn) { return txn->env; }
qs_env *eng_txn_store(qs_txn *txn) { return txn ? txn->env : NULL; }
int eng_txn_rdonly(qs_txn *txn) { return txn->rdonly; }

qs_txn *eng_txn_top(qs_txn *txn)
{
    while (txn->parent)
        txn = txn->parent;
    return txn;
}
MDB_dbi eng_dbi(qs_txn *txn, eng_db db) { return txn->env->dbi[db]; }
uint64_t eng_secret(qs_txn *txn) { return txn->env->secret; }
qs_period eng_period(qs_txn *txn) { return txn->env->period; }

int eng_txn_failed(qs_txn *txn, int rc)
{
    txn->failed = 1;
    return rc;
}


void *eng_scratch(qs_txn *txn, int slot, size_t size)
{
    if (txn->scratch_cap[slot] < size) {
        size_t cap = txn->scratch_cap[slot] ? txn->scratch_cap[slot] : 4096;
        while (cap < size)
            cap *= 2;
        void *p = realloc(txn->scratch[slot], cap);
        if (!p) {
            eng_fail(ENOMEM, "out of memory (%zu bytes)", size);
            return NULL;
        }
        txn->scratch[slot] = p;
        txn->scratch_cap[slot] = cap;
    }
    return txn->scratch[slot];
}

/* ------------------------------------------------------------------ flushes */

/* After a failed flush nothing committed since the last good one is known to be on
 * the disk, and a later flush that succeeds would not say otherwise: the kernel may
 * have dropped the pages that failed (PostgreSQL's fsync lesson). So the first failure
 * stands until the store is closed. */
void eng_flush_failed(qs_env *env, int err)
{
    int none = 0;
    __atomic_compare_exchange_n(&env->flush_failed, &none, err, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
}


int eng_flush_check(qs_env *env)
{
    int err = __atomic_load_n(&env->flush_failed, __ATOMIC_SEQ_CST);
    if (!err)
        return 0;
    return eng_fail(QS_PANIC, "a flush of the store's files failed (%s): commits since the "
                    "last good flush may not be on the disk; close the store", strerror(err));
}


/* ------------------------------------------------------------------ meta */

int eng_meta_get(MDB_txn *txn, MDB_dbi meta, const char *name, eng_rbuf *r)
{
    eng_key k;
    ek_reset(&k);
    ek_bytes(&k, name, strlen(name));
    MDB_val mk = {k.n, k.b}, mv;
    int rc = mdb_get(txn, meta, &mk, &mv);
    if (rc == MDB_NOTFOUND)
        return QS_NOTFOUND;
    if (rc)
        return eng_mdb_rc(rc, "read", "meta");
    if (eng_rec_open(&k, mv.mv_data, mv.mv_size, r))
        return eng_fail(QS_CORRUPT, "checksum mismatch in database 'meta' at key '%s'", name);
    return 0;
}

int eng_meta_get_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t *v)
{
    eng_rbuf r;
    int rc = eng_meta_get(txn, meta, name, &r);
    if (rc)
        return rc;
    *v = rb_u64(&r);
    return rb_done(&r) ? 0 : eng_fail(QS_CORRUPT, "bad meta record '%s'", name);
}

