/* log_checkpoint.c: checkpoints of the redo log (log.h): the pin that keeps the
 * checkpoint's pages from reuse, the commit section, and when a writer or the
 * background thread makes the next checkpoint. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* ------------------------------------------------------------------ pin */

/* Let the pinned snapshot go. Its reader slot is kept (the transaction is reset,
 * not ended) for the next pin, unless @p end. Called with pin_lock held. */
void eng_log_pin_release(qs_env *env, int end)
{
    if (env->pin_epoch) {
        mdb_txn_reset(env->pin);
        eng_log_lock_byte(env->log_fd, F_OFD_SETLK, F_UNLCK, PIN_LOCK + (off_t)env->pin_epoch);
        env->pin_epoch = 0;
    }
    if (end && env->pin) {
        mdb_txn_abort(env->pin);
        env->pin = NULL;
    }
}

/* Pin the newest snapshot, which must be commit @p txnid, for epoch @p epoch. The
 * pin moves within its reader slot (a writer may find every other slot taken); the
 * caller holds LMDB's writer lock, so nothing is written while no snapshot is held. */
int eng_log_pin_take(qs_env *env, uint64_t epoch, uint64_t txnid)
{
    int rc = eng_log_lock_byte(env->log_fd, F_OFD_SETLK, F_RDLCK, PIN_LOCK + (off_t)epoch);
    if (rc)
        return eng_fail(rc, "locking the redo log: %s", strerror(rc));
    pthread_mutex_lock(&env->pin_lock);
    uint64_t old = env->pin_epoch;
    if (env->pin) {
        if (old)
            mdb_txn_reset(env->pin);
        if ((rc = mdb_txn_renew(env->pin)) != 0) {
            mdb_txn_abort(env->pin);
            env->pin = NULL;
        }
    } else {
        rc = mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &env->pin);
        if (rc)
            env->pin = NULL;
    }
    if (rc == 0 && mdb_txn_id(env->pin) != txnid) {
        mdb_txn_reset(env->pin);
        rc = QS_PANIC;
    }
    env->pin_epoch = rc == 0 ? epoch : 0;
    pthread_mutex_unlock(&env->pin_lock);
    /* the old epoch's lock goes with its pin: its writers then checkpoint for
     * themselves */
    if (old && old != epoch)
        eng_log_lock_byte(env->log_fd, F_OFD_SETLK, F_UNLCK, PIN_LOCK + (off_t)old);
    if (rc && old != epoch)
        eng_log_lock_byte(env->log_fd, F_OFD_SETLK, F_UNLCK, PIN_LOCK + (off_t)epoch);
    if (rc == QS_PANIC)
        return eng_fail(QS_PANIC, "checkpoint: commit %llu is not the newest",
                        (unsigned long long)txnid);
    return rc ? eng_mdb_rc(rc, "begin", "checkpoint") : 0;
}

/* ------------------------------------------------------------------ commit section */

/* A record is appended under LMDB's writer lock, which LMDB lets go when its commit
 * ends, failed or not; a failed commit's record must be erased before the next writer
 * (of this process: commit_lock; of another: the COMMIT_LOCK byte) appends where it
 * stands or a checkpoint starts the log again. */
int eng_log_section_enter(qs_env *env)
{
    pthread_mutex_lock(&env->commit_lock);
    int rc;
    while ((rc = eng_log_lock_byte(env->log_fd, F_OFD_SETLKW, F_WRLCK, COMMIT_LOCK)) == EINTR)
        ;
    if (rc) {
        pthread_mutex_unlock(&env->commit_lock);
        return eng_fail(rc, "locking the redo log: %s", strerror(rc));
    }
    return 0;
}

void eng_log_section_leave(qs_env *env)
{
    eng_log_lock_byte(env->log_fd, F_OFD_SETLK, F_UNLCK, COMMIT_LOCK);
    pthread_mutex_unlock(&env->commit_lock);
}

/* ------------------------------------------------------------------ checkpoint */

static int flush_error(qs_env *env, int err, const char *what)
{
    eng_flush_failed(env, err);
    return eng_fail(err, "%s: %s; commits since the last checkpoint may not be on the "
                    "disk: close the store", what, strerror(err));
}

/* Under LMDB's writer lock (write transaction @p m, nothing changed in it yet): sync
 * the data file, name its newest commit in the header under a new epoch, and pin it.
 * @p pos is the log's position for @p m from then on. */
static int checkpoint_in(qs_env *env, MDB_txn *m, const log_header *old, eng_log_pos *pos)
{
    int data_fd, rc;
    log_header h = {.epoch = old->epoch + 1, .lsn = pos->lsn};
    if ((rc = mdb_env_sync(env->mdb, 1)) != 0)
        return flush_error(env, rc, "syncing the data file");
    if ((rc = mdb_env_get_fd(env->mdb, &data_fd)) != 0)
        return eng_mdb_rc(rc, "checkpoint", NULL);
    if ((rc = eng_meta_newest(data_fd, h.meta, &h.txnid, &h.psize)) != 0)
        return rc;
    if (h.txnid != mdb_txn_id(m) - 1)
        return eng_fail(QS_PANIC, "checkpoint: the data file's newest commit is %llu, not %llu",
                        (unsigned long long)h.txnid, (unsigned long long)mdb_txn_id(m) - 1);
    if ((rc = eng_log_pin_take(env, h.epoch, h.txnid)) != 0)
        return rc;
    if ((rc = eng_log_section_enter(env)) != 0)
        return rc;
    rc = eng_log_header_write(env, &h);
    eng_log_section_leave(env);
    if (rc) {
        pthread_mutex_lock(&env->pin_lock);
        eng_log_pin_release(env, 0);
        pthread_mutex_unlock(&env->pin_lock);
        return flush_error(env, rc, "writing the redo log's header");
    }
    clock_gettime(CLOCK_MONOTONIC, &env->checkpoint_at);
    *pos = (eng_log_pos){h.epoch, h.lsn, ENG_LOG_START};
    return 0;
}

/* 1 when the store's pages reach past three quarters of its map: the pages the
 * commits since the checkpoint freed are then worth a checkpoint to reuse. */
static int map_filling(qs_env *env)
{
    MDB_envinfo info;
    return mdb_env_info(env->mdb, &info) == 0 &&
           (uint64_t)(info.me_last_pgno + 1) * env->psize > info.me_mapsize / 4 * 3;
}

/* Count the pages that the commits after checkpoint @p h freed, from LMDB's freelist:
 * one record per commit, keyed by its transaction id, which LMDB keeps until a
 * checkpoint lets it reuse them. A writer counts, under LMDB's writer lock, the
 * records since the last count, in a read transaction of its own (LMDB lets no write
 * transaction read its freelist); with every reader slot taken, the next one does. */
static void count_freed(qs_env *env, const log_header *h)
{
    MDB_txn *r;
    MDB_cursor *c;
    if (__atomic_load_n(&env->freed_since, __ATOMIC_ACQUIRE) != h->txnid) {
        env->freed_upto = h->txnid;
        __atomic_store_n(&env->freed_pages, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&env->freed_since, h->txnid, __ATOMIC_RELEASE);
    }
    if (mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &r) != 0)
        return;
    if (mdb_cursor_open(r, 0 /* the freelist */, &c) == 0) {
        size_t from = (size_t)env->freed_upto + 1, id;
        MDB_val k = {sizeof from, &from}, v;
        uint64_t pages = 0;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            memcpy(&id, k.mv_data, sizeof id);
            env->freed_upto = id;
            pages += v.mv_size / sizeof(size_t) - 1;   /* a count, then the pages */
        }
        mdb_cursor_close(c);
        __atomic_add_fetch(&env->freed_pages, pages, __ATOMIC_RELAXED);
    }
    mdb_txn_abort(r);
}

/* 1 when the commits since checkpoint @p h freed, as last counted, HARD_PINNED or a
 * sixteenth of the map (a small map is not to be spent on them), or a
 * SOFT_PINNED_PART of that unless @p hard. */
int eng_log_pinned_past(qs_env *env, const log_header *h, int hard)
{
    MDB_envinfo info;
    if (mdb_env_info(env->mdb, &info) != 0 ||
        __atomic_load_n(&env->freed_since, __ATOMIC_ACQUIRE) != h->txnid)
        return 0;
    uint64_t limit = info.me_mapsize / 16 < HARD_PINNED ? info.me_mapsize / 16 : HARD_PINNED;
    if (!hard)
        limit /= SOFT_PINNED_PART;
    return __atomic_load_n(&env->freed_pages, __ATOMIC_RELAXED) * env->psize >= limit;
}

/* 1 when a live pin holds the checkpoint of epoch @p epoch. */
static int pinned(qs_env *env, uint64_t epoch)
{
    pthread_mutex_lock(&env->pin_lock);
    int mine = env->pin_epoch == epoch;
    pthread_mutex_unlock(&env->pin_lock);
    return mine || eng_log_locked_elsewhere(env->log_fd, PIN_LOCK + (off_t)epoch);
}

static int begin_in(qs_env *env, MDB_txn *m, eng_log_pos *pos, int force)
{
    log_header h;
    int rc = eng_log_header_read(env->log_fd, &h);
    if (rc == QS_NOTFOUND) {   /* a new log: its first checkpoint starts it */
        memset(&h, 0, sizeof h);
        force = 1;
    } else if (rc) {
        return eng_fail(rc, "reading the redo log's header: %s", strerror(rc));
    }
    if ((rc = eng_log_pos_read(env, m, pos)) != 0)
        return rc;
    uint64_t base = mdb_txn_id(m) - 1;
    if (pos->epoch != h.epoch && pos->epoch != 0 && base == h.txnid && pos->lsn == h.lsn)
        *pos = (eng_log_pos){h.epoch, h.lsn, ENG_LOG_START};   /* nothing since it */
    if (!force && base != h.txnid)
        count_freed(env, &h);
    if (force || pos->epoch != h.epoch || pos->end - ENG_LOG_START >= HARD_BYTES ||
        pos->lsn - h.lsn >= HARD_COMMITS || !pinned(env, h.epoch) ||
        (base != h.txnid && (map_filling(env) || eng_log_pinned_past(env, &h, 1))))
        return checkpoint_in(env, m, &h, pos);
    return 0;
}

int eng_log_write_begin(qs_env *env, MDB_txn *m, eng_log_pos *pos)
{
    if (env->log_fd < 0)
        return 0;
    return begin_in(env, m, pos, 0);
}

int eng_log_checkpoint(qs_env *env)
{
    MDB_txn *m;
    eng_log_pos pos;
    if (env->log_fd < 0)
        return 0;
    int rc = eng_flush_check(env);
    if (rc)
        return rc;
    /* most of the data file is synced before the writer lock is taken */
    if ((rc = mdb_env_sync(env->mdb, 1)) != 0)
        return flush_error(env, rc, "syncing the data file");
    if ((rc = mdb_txn_begin(env->mdb, NULL, 0, &m)) != 0)
        return eng_mdb_rc(rc, "begin", "checkpoint");
    rc = begin_in(env, m, &pos, 1);
    mdb_txn_abort(m);
    return rc;
}

