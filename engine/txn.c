/* txn.c: transactions, savepoints and cached counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "engine_int.h"

static void abort_mdb(qs_txn *txn);

/* 0, or QS_PANIC once a fault struck the environment while the engine held a lock. */
static int env_usable(qs_env *env)
{
    if (env->broken)
        return eng_fail(QS_PANIC, "a damaged page was read while the store's state was "
                        "being changed: close the store and restore it from a backup");
    return 0;
}

/* eng_usable() without refusing a store found damaged at open: for qs_check(). */
int eng_usable_to_check(qs_txn *txn)
{
    if (!txn)
        return eng_fail(QS_INVALID, "transaction is NULL");
    if (txn->has_child)
        return eng_fail(QS_INVALID, "transaction has an open savepoint");
    if (txn->reset)
        return eng_fail(QS_INVALID, "transaction was reset and not renewed");
    if (txn->failed)
        return eng_fail(QS_BAD_TXN, "transaction failed earlier; abort it");
    eng_gather_on(txn, 0);   /* a bulk call turns it on after this */
    return env_usable(txn->env);
}

int eng_usable(qs_txn *txn)
{
    int rc = eng_usable_to_check(txn);
    if (rc == 0 && txn->env->damage[0])
        rc = eng_fail(QS_CORRUPT, "the store is damaged, %s; only qs_check reads it",
                      txn->env->damage);
    return rc;
}

/* 0, or QS_INVALID while a scan or iterator is open on @p txn (walk.c says why). */
static int no_walk_open(qs_txn *txn)
{
    if (txn->kept_iters)
        return eng_fail(QS_INVALID, "a scan or iterator is open on the transaction: "
                                    "writes wait until it is closed");
    return 0;
}

static int writable(qs_txn *txn)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (txn->rdonly)
        return eng_fail(QS_READONLY, "write call on a read-only transaction");
    return no_walk_open(txn);
}

int eng_writable(qs_txn *txn)
{
    int rc = writable(txn);
    return rc ? rc : eng_wcache_flush(txn);
}

int eng_writable_gathering(qs_txn *txn)
{
    int rc = writable(txn);
    if (!rc)
        eng_gather_on(txn, 1);
    return rc;
}

static void txn_free(qs_txn *txn)
{
    for (int i = 0; i < ENG_SCRATCH_COUNT; i++)
        free(txn->scratch[i]);
    free(txn->new_handles);
    eng_dicts_free(txn->new_dict);
    free(txn->log.b);
    eng_wcache_free(txn);
    free(txn);
}

/* ------------------------------------------------------------------ begin */

/* Begin (or renew, when reset) the LMDB transaction of @p txn. */
static int begin_mdb(qs_txn *txn)
{
    int rc = txn->reset ? mdb_txn_renew(txn->mdb)
                        : mdb_txn_begin(txn->env->mdb, NULL, txn->rdonly ? MDB_RDONLY : 0,
                                        &txn->mdb);
    if (rc) {
        if (!txn->reset)
            txn->mdb = NULL;
        return eng_mdb_rc(rc, "begin transaction", NULL);
    }
    txn->reset = 0;
    return 0;
}

/* Begin the LMDB transaction on a snapshot whose bucket handles this process has
 * all opened: if the snapshot is of a newer schema generation, refresh and retry. */
static int begin_current(void *arg)
{
    qs_txn *txn = arg;
    qs_env *env = txn->env;
    if (env->damage[0])   /* nothing of it is read but by qs_check's own walk */
        return begin_mdb(txn);
    for (int tries = 0; tries < 16; tries++) {
        int rc = begin_mdb(txn);
        if (rc == 0 && !txn->rdonly)
            rc = eng_log_write_begin(env, txn->mdb, &txn->log_pos);
        if (rc)
            return rc;
        memset(txn->expired_known, 0, sizeof txn->expired_known);   /* a new snapshot */
        uint64_t gen = 0;
        rc = eng_meta_get_u64(txn->mdb, env->dbi[ENG_META], "gen", &gen);
        if (rc == 0 || rc == QS_NOTFOUND) {
            txn->gen = gen;
            if (gen == __atomic_load_n(&env->handles_gen, __ATOMIC_ACQUIRE))
                return txn->rdonly ? 0 : eng_counters_load(txn);
            /* a writer catches up in its own transaction: it needs no reader slot */
            if (!txn->rdonly && (rc = eng_refresh_in_write(txn, gen)) == 0)
                return eng_counters_load(txn);
            if (!txn->rdonly)
                return rc;   /* qs_txn_begin aborts it */
            rc = 0;
        }
        /* A read txn is reset and renewed; a write txn is ended and begun again. */
        if (txn->rdonly) {
            mdb_txn_reset(txn->mdb);
            txn->reset = 1;
        } else {
            mdb_txn_abort(txn->mdb);
            txn->mdb = NULL;
        }
        if (rc || (rc = eng_refresh_handles(env)) != 0)
            return rc;
    }
    return eng_fail(QS_PANIC, "bucket handles keep changing");
}

int qs_txn_begin(qs_env *env, unsigned flags, qs_txn **out)
{
    if (!out)
        return eng_fail(QS_INVALID, "qs_txn_begin: txn is NULL");
    *out = NULL;
    if (!env)
        return eng_fail(QS_INVALID, "qs_txn_begin: env is NULL");
    if (flags & ~(QS_TXN_RDONLY | QS_TXN_BULK))
        return eng_fail(QS_INVALID, "qs_txn_begin: unknown flags 0x%x", flags);
    int rdonly = (flags & QS_TXN_RDONLY) != 0;
    if (rdonly && (flags & QS_TXN_BULK))
        return eng_fail(QS_INVALID, "qs_txn_begin: a bulk transaction writes");
    if (!rdonly && env->opts.read_only)
        return eng_fail(QS_READONLY, "store was opened read-only");
    int rc = rdonly ? 0 : eng_flush_check(env);
    if (rc)
        return rc;
    rc = env_usable(env);
    if (rc)
        return rc;
    qs_txn *txn = calloc(1, sizeof *txn);
    if (!txn)
        return eng_fail(ENOMEM, "out of memory");
    txn->env = env;
    txn->rdonly = rdonly;
    rc = eng_guarded(env, txn, begin_current, txn);
    if (rc == 0 && (flags & QS_TXN_BULK))
        rc = eng_wcache_open(txn);
    if (rc) {
        abort_mdb(txn);
        txn_free(txn);
        return rc;
    }
    *out = txn;
    return 0;
}

/* What a bulk transaction gathered, written out (before a savepoint or the commit). */
static int flush_gathered(void *arg)
{
    return eng_wcache_flush(arg);
}

int qs_txn_savepoint(qs_txn *parent, qs_txn **out)
{
    if (!out)
        return eng_fail(QS_INVALID, "qs_txn_savepoint: child is NULL");
    *out = NULL;
    int rc = eng_usable(parent);
    if (rc)
        return rc;
    if (parent->rdonly)
        return eng_fail(QS_INVALID, "a savepoint needs a write transaction");
    if ((rc = no_walk_open(parent)) != 0)   /* a savepoint is for writing */
        return rc;
    if (parent->env->opts.write_map)
        return eng_fail(QS_INVALID, "savepoints are unavailable on a store opened with "
                                    "write_map");
    if (parent->wcache && (rc = eng_guarded(parent->env, parent, flush_gathered, parent)) != 0)
        return rc;
    qs_txn *child = calloc(1, sizeof *child);
    if (!child)
        return eng_fail(ENOMEM, "out of memory");
    rc = mdb_txn_begin(parent->env->mdb, parent->mdb, 0, &child->mdb);
    if (rc) {
        free(child);
        return eng_mdb_rc(rc, "begin savepoint", NULL);
    }
    child->env = parent->env;
    child->parent = parent;
    child->gen = parent->gen;
    memcpy(child->counters, parent->counters, sizeof child->counters);
    child->last_bucket = parent->last_bucket;
    memcpy(child->expired_end, parent->expired_end, sizeof child->expired_end);
    memcpy(child->expired_known, parent->expired_known, sizeof child->expired_known);
    parent->has_child = 1;
    eng_log_savepoint(child);
    *out = child;
    return 0;
}

/* ------------------------------------------------------------------ end */

/* Fold a committed savepoint's state into its parent. */
static int merge_into_parent(qs_txn *child)
{
    qs_txn *p = child->parent;
    memcpy(p->counters, child->counters, sizeof p->counters);
    p->counters_dirty |= child->counters_dirty;
    p->gen_dirty |= child->gen_dirty;
    p->opened_handles |= child->opened_handles;
    p->last_bucket = child->last_bucket;
    memcpy(p->expired_end, child->expired_end, sizeof p->expired_end);
    memcpy(p->expired_known, child->expired_known, sizeof p->expired_known);
    if (child->n_new_handles) {
        size_t n = p->n_new_handles + child->n_new_handles;
        eng_handle *h = realloc(p->new_handles, n * sizeof *h);
        if (!h)
            return eng_fail(ENOMEM, "out of memory");
        memcpy(h + p->n_new_handles, child->new_handles,
               child->n_new_handles * sizeof *h);
        p->new_handles = h;
        p->n_new_handles = n;
    }
    if (child->new_dict) {
        eng_dicts_free(p->new_dict);
        p->new_dict = child->new_dict;
        child->new_dict = NULL;
    }
    return 0;
}

/* A commit that failed. LMDB reports a write cut short as EIO ("short write,
 * filesystem full?"), and a write refused at once by its errno; tell a full disk
 * (ENOSPC) and a file at its size limit (EFBIG) from a real I/O error by looking at
 * both. Nothing of the transaction is kept. */
static int commit_failed(qs_env *env, int mdb_rc)
{
    enum { SLACK = 1 << 20 };   /* a commit writes far less than this past the end */
    const char *path = "";
    mdb_env_get_path(env->mdb, &path);
    if (mdb_rc == EIO || mdb_rc == EFBIG || mdb_rc == ENOSPC) {
        int fd = -1;
        struct stat st;
        struct statvfs vfs;
        struct rlimit lim;
        if (mdb_env_get_fd(env->mdb, &fd) == 0 && fstat(fd, &st) == 0 &&
            getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
            (uint64_t)st.st_size + SLACK > (uint64_t)lim.rlim_cur)
            return eng_fail(EFBIG, "commit: the store file in %s may not grow past %llu "
                                   "bytes (RLIMIT_FSIZE); nothing of it was kept",
                            path, (unsigned long long)lim.rlim_cur);
        if (fd >= 0 && fstatvfs(fd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < SLACK)
            return eng_fail(ENOSPC, "commit: the disk of %s is full; nothing of it was kept",
                            path);
    }
    return eng_mdb_rc(mdb_rc, "commit", path);
}

/* End a top-level write transaction that opened bucket handles: publish them on
 * success, and let other transactions of the process open handles again. */
static int end_handle_txn(qs_txn *txn, int commit)
{
    qs_env *env = txn->env;
    int rc = 0;
    eng_lock(&env->handle_lock);
    if (commit) {
        rc = mdb_txn_commit(txn->mdb);
        if (rc == 0) {
            for (size_t i = 0; i < txn->n_new_handles && !rc; i++)
                rc = eng_handle_add(env, txn->new_handles[i].name, txn->new_handles[i].dbi);
            if (txn->gen_dirty)
                __atomic_store_n(&env->handles_gen, txn->gen + 1, __ATOMIC_RELEASE);
            else if (txn->refreshed)
                __atomic_store_n(&env->handles_gen, txn->gen, __ATOMIC_RELEASE);
        } else {
            rc = commit_failed(env, rc);
        }
    } else {
        eng_mdb_abort(env, txn->mdb);
    }
    env->handle_txn_open = 0;
    pthread_cond_broadcast(&env->handle_cond);
    eng_unlock(&env->handle_lock);
    return rc;
}

/* The transaction ends or is reset: the walks kept open on it are closed while LMDB
 * still holds their cursors. Their owners find them closed (txn NULL). */
static void close_kept_iters(qs_txn *txn)
{
    while (txn->kept_iters)
        eng_table_iter_close(txn->kept_iters);
}

static void abort_mdb(qs_txn *txn)
{
    if (!txn->mdb)
        return;
    if (!txn->rdonly && !txn->parent && txn->opened_handles)
        end_handle_txn(txn, 0);
    else if (txn->rdonly)
        mdb_txn_abort(txn->mdb);   /* also frees a reset read transaction */
    else
        eng_mdb_abort(txn->env, txn->mdb);
}

void qs_txn_abort(qs_txn *txn)
{
    if (!txn)
        return;
    if (txn->parent) {
        txn->parent->has_child = 0;
        eng_log_savepoint_abort(txn);
    }
    close_kept_iters(txn);
    abort_mdb(txn);
    txn_free(txn);
}

/* Commit a top-level write transaction. LMDB ends it, committed or not, unless this
 * fails before LMDB's commit (txn->mdb is then still set). */
static int commit_top(void *arg)
{
    qs_txn *txn = arg;
    uint64_t lsn;
    int rc = eng_wcache_flush(txn);
    if (!rc)
        rc = eng_counters_flush(txn);
    if (rc || (rc = eng_log_commit(txn, &lsn)) != 0)
        return rc;
    if (txn->opened_handles)
        rc = end_handle_txn(txn, 1);
    else if ((rc = mdb_txn_commit(txn->mdb)) != 0)
        rc = commit_failed(txn->env, rc);
    txn->mdb = NULL;
    rc = eng_log_commit_end(txn, rc);
    return rc ? rc : eng_log_committed(txn, lsn);
}

int qs_txn_commit(qs_txn *txn)
{
    if (!txn)
        return eng_fail(QS_INVALID, "qs_txn_commit: txn is NULL");
    int rc = eng_usable(txn);
    if (rc) {
        if (!txn->has_child) {
            qs_txn_abort(txn);
            return rc;
        }
        return rc;   /* commit the savepoint first */
    }
    close_kept_iters(txn);
    if (txn->rdonly) {
        mdb_txn_abort(txn->mdb);
        txn_free(txn);
        return 0;
    }
    if (txn->parent) {
        qs_txn *parent = txn->parent;
        rc = mdb_txn_commit(txn->mdb);
        parent->has_child = 0;
        if (rc) {
            rc = eng_txn_failed(parent, eng_mdb_rc(rc, "commit savepoint", NULL));
        } else {
            rc = merge_into_parent(txn);
            if (rc)
                eng_txn_failed(parent, rc);
        }
        txn_free(txn);
        return rc;
    }
    if ((rc = eng_flush_check(txn->env)) != 0) {
        qs_txn_abort(txn);
        return rc;
    }
    if ((rc = eng_guarded(txn->env, txn, commit_top, txn)) != 0 && txn->mdb) {
        rc = eng_log_commit_end(txn, rc);   /* a fault cut the commit short */
        qs_txn_abort(txn);   /* it failed before LMDB's commit ended the transaction */
        return rc;
    }
    if (rc == 0 && txn->new_dict) {
        eng_dict_publish(txn->env, txn->new_dict);
        txn->new_dict = NULL;
    }
    txn_free(txn);
    return rc;
}

void qs_txn_reset(qs_txn *txn)
{
    if (!txn || !txn->rdonly || txn->reset)
        return;
    close_kept_iters(txn);
    mdb_txn_reset(txn->mdb);
    txn->reset = 1;
}

int qs_txn_renew(qs_txn *txn)
{
    if (!txn || !txn->rdonly || !txn->reset)
        return eng_fail(QS_INVALID, "qs_txn_renew: not a reset read-only transaction");
    int rc = env_usable(txn->env);
    return rc ? rc : eng_guarded(txn->env, txn, begin_current, txn);
}
