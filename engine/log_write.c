/* log_write.c: a write transaction's changes recorded as it makes them, appended to
 * the redo log as one record at commit (erased if LMDB's commit fails), and synced,
 * one fdatasync for every thread waiting at once (log.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "log.h"

/* ------------------------------------------------------------------ changes */

/* Room for @p n more bytes in the log buffer of @p t, or NULL: the transaction is
 * then not logged, and commits by a checkpoint. */
static uint8_t *log_room(qs_txn *t, size_t n)
{
    eng_logbuf *lb = &t->log;
    if (t->unlogged)
        return NULL;
    if (lb->n == 0)
        lb->n = REC_HEAD;
    if (lb->n + n + REC_TAIL > TXN_LOG_MAX) {
        t->unlogged = 1;
        return NULL;
    }
    if (lb->n + n + REC_TAIL > lb->cap) {
        size_t cap = lb->cap ? lb->cap : 4096;
        while (cap < lb->n + n + REC_TAIL)
            cap *= 2;
        uint8_t *b = realloc(lb->b, cap);
        if (!b) {
            t->unlogged = 1;
            return NULL;
        }
        lb->b = b;
        lb->cap = cap;
    }
    uint8_t *p = lb->b + lb->n;
    lb->n += n;
    return p;
}

static void record_change(qs_txn *txn, char op, MDB_dbi dbi, const MDB_val *k,
                          const MDB_val *v, uint32_t flags)
{
    qs_env *env = txn->env;
    if (env->log_fd < 0)
        return;
    const char *name = dbi < ENG_MAX_DBI ? env->dbi_names[dbi] : "";
    size_t nl = strlen(name);
    size_t n = 2 + nl + (k ? 2 + k->mv_size : 0) + (v ? 4 + v->mv_size : 0) + (op == 'C' ? 4 : 0);
    qs_txn *t = eng_txn_top(txn);
    uint8_t *p = log_room(t, n);
    if (!p)
        return;
    *p++ = (uint8_t)op;
    *p++ = (uint8_t)nl;
    memcpy(p, name, nl);
    p += nl;
    if (k) {
        eng_put16(p, (uint16_t)k->mv_size);
        memcpy(p + 2, k->mv_data, k->mv_size);
        p += 2 + k->mv_size;
    }
    if (v) {
        eng_put32(p, (uint32_t)v->mv_size);
        if (v->mv_size)
            memcpy(p + 4, v->mv_data, v->mv_size);
        p += 4 + v->mv_size;
    }
    if (op == 'C')
        eng_put32(p, flags);
}

void eng_log_put(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, const MDB_val *v)
{
    record_change(txn, 'P', dbi, k, v, 0);
}

void eng_log_del(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, const MDB_val *v)
{
    MDB_val none = {0, NULL};
    record_change(txn, 'D', dbi, k, v ? v : &none, 0);
}

void eng_log_drop(qs_txn *txn, MDB_dbi dbi, int del)
{
    record_change(txn, del ? 'X' : 'E', dbi, NULL, NULL, 0);
}

void eng_log_create(qs_txn *txn, MDB_dbi dbi, const char *name, unsigned flags)
{
    eng_handle_named(txn->env, dbi, name);
    record_change(txn, 'C', dbi, NULL, NULL, flags);
}

void eng_log_savepoint(qs_txn *child)
{
    child->log_mark = eng_txn_top(child)->log.n;
}

void eng_log_savepoint_abort(qs_txn *child)
{
    qs_txn *t = eng_txn_top(child);
    if (!t->unlogged && t->log.n > child->log_mark)
        t->log.n = child->log_mark;
}

/* ------------------------------------------------------------------ commit */

/* Zero the magic of the record at @p at, and sync: the log then ends before it. A
 * failure breaks the handle, since the record could be replayed after a crash. */
static int record_erase(qs_env *env, uint64_t at)
{
    static const uint8_t zero[4];
    int rc = eng_log_write_all(env->log_fd, zero, sizeof zero, at);
    if (rc == 0 && fdatasync(env->log_fd) != 0)
        rc = errno;
    if (rc == 0)
        return 0;
    eng_flush_failed(env, rc);
    return eng_fail(rc, "erasing the redo log's record of a failed commit: %s; the commit "
                    "may be found after a crash: close the store", strerror(rc));
}

int eng_log_unlogged(qs_env *env, MDB_txn *m)
{
    eng_log_pos pos;
    if (env->log_fd < 0)
        return 0;
    int rc = eng_log_pos_read(env, m, &pos);
    if (rc)
        return rc;
    pos.epoch = 0;
    return eng_log_pos_write(env, m, &pos);
}

int eng_log_commit(qs_txn *txn, uint64_t *lsn)
{
    qs_env *env = txn->env;
    eng_logbuf *lb = &txn->log;
    *lsn = 0;
    if (env->log_fd < 0)
        return 0;
    if (txn->unlogged)
        return eng_log_unlogged(env, txn->mdb);
    if (lb->n == 0)
        return 0;   /* nothing changed */
    eng_log_pos *pos = &txn->log_pos;
    uint64_t at = pos->end;
    size_t payload = lb->n - REC_HEAD;
    eng_put32(lb->b, REC_MAGIC);
    eng_put32(lb->b + 4, (uint32_t)payload);
    eng_put64(lb->b + 8, pos->lsn + 1);
    eng_put64(lb->b + 16, pos->epoch);
    eng_put64(lb->b + lb->n, XXH3_64bits(lb->b, lb->n));
    int rc = eng_log_section_enter(env);
    if (rc)
        return rc;
    lb->at = at;
    lb->appended = 1;
    if ((rc = eng_log_write_all(env->log_fd, lb->b, lb->n + REC_TAIL, at)) != 0)
        return eng_log_commit_end(txn, eng_fail(rc, "commit: writing the redo log: %s; "
                                                    "nothing of it was kept", strerror(rc)));
    pos->lsn++;
    pos->end = at + lb->n + REC_TAIL;
    if ((rc = eng_log_pos_write(env, txn->mdb, pos)) != 0)
        return eng_log_commit_end(txn, rc);
    *lsn = pos->lsn;
    return 0;
}

int eng_log_commit_end(qs_txn *txn, int rc)
{
    eng_logbuf *lb = &txn->log;
    if (!lb->appended)
        return rc;
    lb->appended = 0;
    int erased = rc ? record_erase(txn->env, lb->at) : 0;
    eng_log_section_leave(txn->env);
    return erased ? erased : rc;
}

/* Group commit: the first thread to need a flush syncs everything written so far;
 * those arriving meanwhile wait for it, and the next of them syncs for the rest. */
static int log_flush(qs_env *env, uint64_t lsn)
{
    int err = 0;
    pthread_mutex_lock(&env->flush_lock);
    while (env->flushed_lsn < lsn && !err &&
           !__atomic_load_n(&env->flush_failed, __ATOMIC_SEQ_CST)) {
        if (env->flushing) {
            pthread_cond_wait(&env->flush_cond, &env->flush_lock);
            continue;
        }
        env->flushing = 1;
        uint64_t target = env->written_lsn;
        pthread_mutex_unlock(&env->flush_lock);
        err = fdatasync(env->log_fd) == 0 ? 0 : errno;
        if (err)
            eng_flush_failed(env, err);
        pthread_mutex_lock(&env->flush_lock);
        env->flushing = 0;
        if (!err && target > env->flushed_lsn)
            env->flushed_lsn = target;
        pthread_cond_broadcast(&env->flush_cond);
    }
    int done = env->flushed_lsn >= lsn;
    pthread_mutex_unlock(&env->flush_lock);
    if (err)
        return eng_fail(err, "syncing the redo log failed (%s): commits since the last "
                        "good sync may not be on the disk; close the store", strerror(err));
    return done ? 0 : eng_flush_check(env);
}

int eng_log_committed(qs_txn *txn, uint64_t lsn)
{
    qs_env *env = txn->env;
    if (env->log_fd < 0)
        return 0;
    if (txn->unlogged)
        return eng_log_checkpoint(env);
    if (!lsn)
        return 0;
    pthread_mutex_lock(&env->flush_lock);
    if (lsn > env->written_lsn)
        env->written_lsn = lsn;
    pthread_mutex_unlock(&env->flush_lock);
    return env->opts.durability == QS_SYNC_DURABLE ? log_flush(env, lsn) : 0;
}

int eng_log_sync(qs_env *env)
{
    if (env->log_fd < 0)
        return 0;
    pthread_mutex_lock(&env->flush_lock);
    uint64_t written = env->written_lsn;
    pthread_mutex_unlock(&env->flush_lock);
    return log_flush(env, written);
}

