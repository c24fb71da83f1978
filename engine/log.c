/* log.c: the redo log in front of LMDB (redo.log beside data.mdb).
 *
 * A write transaction records every change it makes to LMDB (put, delete, emptied or
 * deleted database, created database) and, at commit, appends them to the log as one
 * record before LMDB commits without syncing; a record whose LMDB commit then fails is
 * erased before any other writer may append (the commit section). A durable commit
 * returns once an fdatasync of the log covers its record; threads waiting at once
 * share one fdatasync (group commit). The relaxed mode's flusher syncs the log every
 * interval.
 *
 * LMDB's own file is synced only at a checkpoint: under LMDB's writer lock, the data
 * file is synced and the log's header names that commit (its transaction id, its meta
 * page, the last sequence number it holds) under a new epoch; the records that follow
 * it start again at ENG_LOG_START. A power cut can leave LMDB's newer commits torn, so
 * recovery puts the checkpoint's meta page back in both of LMDB's meta slots and
 * replays the log's records after it, each applied once by its sequence number (the
 * data file's "log" meta record says the last one applied). That is sound only while
 * no page of the checkpoint's snapshot is reused: LMDB reuses no page a reader still
 * sees, so every write transaction runs while a read transaction of the checkpoint's
 * snapshot (the pin) is held by a live process: its own, or one holding the epoch's
 * lock byte (PIN_LOCK + epoch, an OFD read lock taken with the pin). A writer that
 * finds no pin for the current epoch makes a checkpoint of its own first.
 *
 * Layout. Two header slots at 0 and HDR_SLOT, each checksummed; the valid one of the
 * higher epoch counts (a torn header write leaves the other). Records from
 * ENG_LOG_START:
 *   magic u32 'QSLR' | payload length u32 | lsn u64 | epoch u64 | payload |
 *   xxh3-64 of all before it, u64
 * and a record counts only if its checksum, its epoch (the header's) and its lsn (one
 * past the previous) hold: the first that fails ends the log. The payload is the
 * transaction's changes in order, each
 *   'P' db key value | 'D' db key value | 'E' db | 'X' db | 'C' db flags u32
 * (put; delete, of that value if the database has sorted duplicates; empty; delete the
 * database; create it) where db is u8 length + name, key u16 length + bytes, value u32
 * length + bytes, all big-endian: a change feed can read them without the engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "engine_int.h"

#define LOG_NAME "redo.log"
#define HDR_SLOT 512
#define HDR_MAGIC 0x51534c4f47484452ULL   /* "QSLOGHDR" */
#define HDR_SIZE (4 * 8 + 4 + ENG_META_BYTES + 8)
#define REC_MAGIC 0x51534c52u             /* "QSLR" */
#define REC_HEAD 24
#define REC_TAIL 8
#define PIN_LOCK (1LL << 40)
#define OPEN_LOCK 0
#define COMMIT_LOCK 1   /* held from a record's append to the end of its LMDB commit */
#define READ_LOCK 2     /* held (shared) by read-only handles, for qs_compact() to see */
/* A checkpoint is made by the background thread past the soft limits, and by a
 * writer itself past the hard ones; each checkpoint lets LMDB reuse the pages the
 * commits since the one before freed. Bounding those pinned pages bounds the file:
 * it holds the live pages, the pages freed before the checkpoint (reused first) and
 * those freed since. */
#define SOFT_COMMITS 4096
#define HARD_COMMITS (4 * SOFT_COMMITS)
#define HARD_BYTES (64u << 20)
#define HARD_PINNED (256u << 20)   /* or a sixteenth of the map, if less */
#define SOFT_PINNED_PART 4          /* the soft limit: a quarter of the hard one */
#define CHECKPOINT_MS 5000
/* A transaction's changes past this are not logged: it commits by a checkpoint. */
#define TXN_LOG_MAX (64u << 20)
#define POS_KEY "log"
#define REPLAY_BATCH 256   /* records applied per LMDB transaction in a recovery */

typedef struct log_header {
    uint64_t epoch, lsn, txnid;
    uint32_t psize;
    uint8_t meta[ENG_META_BYTES];
} log_header;

/* ------------------------------------------------------------------ file helpers */

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        if (w == 0)
            return EIO;
        b += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n, uint64_t off)
{
    uint8_t *b = p;
    while (n) {
        ssize_t r = pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return errno;
        if (r == 0)
            return QS_NOTFOUND;   /* past the end */
        b += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static int lock_byte(int fd, int cmd, short type, off_t at)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    return fcntl(fd, cmd, &fl) == 0 ? 0 : errno;
}

/* 1 when an open file description other than ours holds a lock on byte @p at. */
static int byte_locked_elsewhere(int fd, off_t at)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

static void log_path(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* ------------------------------------------------------------------ header */

static void header_encode(const log_header *h, uint8_t *b)
{
    eng_put64(b, HDR_MAGIC);
    eng_put64(b + 8, h->epoch);
    eng_put64(b + 16, h->lsn);
    eng_put64(b + 24, h->txnid);
    eng_put32(b + 32, h->psize);
    memcpy(b + 36, h->meta, ENG_META_BYTES);
    eng_put64(b + HDR_SIZE - 8, XXH3_64bits(b, HDR_SIZE - 8));
}

static int header_decode(const uint8_t *b, log_header *h)
{
    if (eng_get64(b) != HDR_MAGIC || eng_get64(b + HDR_SIZE - 8) != XXH3_64bits(b, HDR_SIZE - 8))
        return -1;
    h->epoch = eng_get64(b + 8);
    h->lsn = eng_get64(b + 16);
    h->txnid = eng_get64(b + 24);
    h->psize = eng_get32(b + 32);
    memcpy(h->meta, b + 36, ENG_META_BYTES);
    return 0;
}

/* The header of the log open as @p fd: 0, QS_NOTFOUND when no slot holds one. */
static int header_read(int fd, log_header *h)
{
    uint8_t b[2 * HDR_SLOT];
    log_header slot[2];
    memset(b, 0, sizeof b);
    ssize_t got = pread(fd, b, sizeof b, 0);
    if (got < 0)
        return errno;
    int ok0 = header_decode(b, &slot[0]) == 0, ok1 = header_decode(b + HDR_SLOT, &slot[1]) == 0;
    if (!ok0 && !ok1)
        return QS_NOTFOUND;
    *h = ok0 && (!ok1 || slot[0].epoch > slot[1].epoch) ? slot[0] : slot[1];
    return 0;
}

/* Write @p h to its slot (by epoch) and sync the log. */
static int header_write(qs_env *env, const log_header *h)
{
    uint8_t b[HDR_SIZE];
    header_encode(h, b);
    int rc = write_all(env->log_fd, b, sizeof b, (h->epoch % 2) * HDR_SLOT);
    if (rc == 0 && fdatasync(env->log_fd) != 0)
        rc = errno;
    return rc;
}

/* ------------------------------------------------------------------ position */

/* Where the log stands for a write transaction: the "log" meta record of its
 * snapshot (epoch 0: the last commit was not logged; see eng_log_unlogged). */
static void pos_key(eng_key *k)
{
    ek_reset(k);
    ek_bytes(k, POS_KEY, sizeof POS_KEY - 1);
}

static int pos_read(qs_env *env, MDB_txn *m, eng_log_pos *pos)
{
    eng_rbuf r;
    int rc = eng_meta_get(m, env->dbi[ENG_META], POS_KEY, &r);
    if (rc == QS_NOTFOUND) {
        *pos = (eng_log_pos){0, 0, ENG_LOG_START};
        return 0;
    }
    if (rc)
        return rc;
    pos->epoch = rb_u64(&r);
    pos->lsn = rb_u64(&r);
    pos->end = rb_u64(&r);
    return rb_done(&r) ? 0 : eng_fail(QS_CORRUPT, "bad meta record '%s'", POS_KEY);
}

static int pos_write(qs_env *env, MDB_txn *m, const eng_log_pos *pos)
{
    eng_key k;
    uint8_t body[24], rec[64];
    pos_key(&k);
    eng_put64(body, pos->epoch);
    eng_put64(body + 8, pos->lsn);
    eng_put64(body + 16, pos->end);
    eng_rec_seal(rec, &k, body, sizeof body);
    MDB_val mk = {k.n, k.b}, mv = {eng_rec_size(sizeof body), rec};
    int rc = mdb_put(m, env->dbi[ENG_META], &mk, &mv, 0);
    return rc ? eng_mdb_rc(rc, "write", "meta") : 0;
}

/* ------------------------------------------------------------------ pin */

/* Let the pinned snapshot go. Its reader slot is kept (the transaction is reset,
 * not ended) for the next pin, unless @p end. Called with pin_lock held. */
static void pin_release(qs_env *env, int end)
{
    if (env->pin_epoch) {
        mdb_txn_reset(env->pin);
        lock_byte(env->log_fd, F_OFD_SETLK, F_UNLCK, PIN_LOCK + (off_t)env->pin_epoch);
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
static int pin_take(qs_env *env, uint64_t epoch, uint64_t txnid)
{
    int rc = lock_byte(env->log_fd, F_OFD_SETLK, F_RDLCK, PIN_LOCK + (off_t)epoch);
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
        lock_byte(env->log_fd, F_OFD_SETLK, F_UNLCK, PIN_LOCK + (off_t)old);
    if (rc && old != epoch)
        lock_byte(env->log_fd, F_OFD_SETLK, F_UNLCK, PIN_LOCK + (off_t)epoch);
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
static int section_enter(qs_env *env)
{
    pthread_mutex_lock(&env->commit_lock);
    int rc;
    while ((rc = lock_byte(env->log_fd, F_OFD_SETLKW, F_WRLCK, COMMIT_LOCK)) == EINTR)
        ;
    if (rc) {
        pthread_mutex_unlock(&env->commit_lock);
        return eng_fail(rc, "locking the redo log: %s", strerror(rc));
    }
    return 0;
}

static void section_leave(qs_env *env)
{
    lock_byte(env->log_fd, F_OFD_SETLK, F_UNLCK, COMMIT_LOCK);
    pthread_mutex_unlock(&env->commit_lock);
}

/* Zero the magic of the record at @p at, and sync: the log then ends before it. A
 * failure breaks the handle, since the record could be replayed after a crash. */
static int record_erase(qs_env *env, uint64_t at)
{
    static const uint8_t zero[4];
    int rc = write_all(env->log_fd, zero, sizeof zero, at);
    if (rc == 0 && fdatasync(env->log_fd) != 0)
        rc = errno;
    if (rc == 0)
        return 0;
    eng_flush_failed(env, rc);
    return eng_fail(rc, "erasing the redo log's record of a failed commit: %s; the commit "
                    "may be found after a crash: close the store", strerror(rc));
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
    if ((rc = pin_take(env, h.epoch, h.txnid)) != 0)
        return rc;
    if ((rc = section_enter(env)) != 0)
        return rc;
    rc = header_write(env, &h);
    section_leave(env);
    if (rc) {
        pthread_mutex_lock(&env->pin_lock);
        pin_release(env, 0);
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
static int pinned_past(qs_env *env, const log_header *h, int hard)
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
    return mine || byte_locked_elsewhere(env->log_fd, PIN_LOCK + (off_t)epoch);
}

static int begin_in(qs_env *env, MDB_txn *m, eng_log_pos *pos, int force)
{
    log_header h;
    int rc = header_read(env->log_fd, &h);
    if (rc == QS_NOTFOUND) {   /* a new log: its first checkpoint starts it */
        memset(&h, 0, sizeof h);
        force = 1;
    } else if (rc) {
        return eng_fail(rc, "reading the redo log's header: %s", strerror(rc));
    }
    if ((rc = pos_read(env, m, pos)) != 0)
        return rc;
    uint64_t base = mdb_txn_id(m) - 1;
    if (pos->epoch != h.epoch && pos->epoch != 0 && base == h.txnid && pos->lsn == h.lsn)
        *pos = (eng_log_pos){h.epoch, h.lsn, ENG_LOG_START};   /* nothing since it */
    if (!force && base != h.txnid)
        count_freed(env, &h);
    if (force || pos->epoch != h.epoch || pos->end - ENG_LOG_START >= HARD_BYTES ||
        pos->lsn - h.lsn >= HARD_COMMITS || !pinned(env, h.epoch) ||
        (base != h.txnid && (map_filling(env) || pinned_past(env, &h, 1))))
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

int eng_log_unlogged(qs_env *env, MDB_txn *m)
{
    eng_log_pos pos;
    if (env->log_fd < 0)
        return 0;
    int rc = pos_read(env, m, &pos);
    if (rc)
        return rc;
    pos.epoch = 0;
    return pos_write(env, m, &pos);
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
    int rc = section_enter(env);
    if (rc)
        return rc;
    lb->at = at;
    lb->appended = 1;
    if ((rc = write_all(env->log_fd, lb->b, lb->n + REC_TAIL, at)) != 0)
        return eng_log_commit_end(txn, eng_fail(rc, "commit: writing the redo log: %s; "
                                                    "nothing of it was kept", strerror(rc)));
    pos->lsn++;
    pos->end = at + lb->n + REC_TAIL;
    if ((rc = pos_write(env, txn->mdb, pos)) != 0)
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
    section_leave(txn->env);
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

/* ------------------------------------------------------------------ background */

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* The background thread's round. The process holding the current checkpoint's pin
 * makes the next one, once the store has moved far enough past it (its newest
 * commit, read from the data file's meta pages, counts commits of every process);
 * a pin of an epoch another process has moved past holds pages for nothing. */
static void background_round(qs_env *env, struct timespec *synced_at)
{
    log_header h;
    uint8_t meta[ENG_META_BYTES];
    uint64_t newest;
    uint32_t psize;
    int data_fd;
    if (env->opts.durability == QS_SYNC_PERIODIC &&
        ms_since(synced_at) >= (long)env->opts.sync_interval_ms) {
        eng_log_sync(env);
        clock_gettime(CLOCK_MONOTONIC, synced_at);
    }
    if (header_read(env->log_fd, &h) != 0 || mdb_env_get_fd(env->mdb, &data_fd) != 0 ||
        eng_meta_newest(data_fd, meta, &newest, &psize) != 0)
        return;
    pthread_mutex_lock(&env->pin_lock);
    int owner = env->pin_epoch == h.epoch;
    if (env->pin_epoch && !owner)
        pin_release(env, 1);
    pthread_mutex_unlock(&env->pin_lock);
    uint64_t since = newest - h.txnid;
    if (owner && since &&
        (since >= SOFT_COMMITS || ms_since(&env->checkpoint_at) >= CHECKPOINT_MS ||
         pinned_past(env, &h, 0)))
        eng_log_checkpoint(env);
}

/* Rounds every 100 ms (or sync_interval_ms, if shorter): the relaxed mode's syncs
 * keep to their interval, and checkpoints to theirs. */
static void *background_main(void *arg)
{
    qs_env *env = arg;
    struct timespec synced_at;
    unsigned every = env->opts.durability == QS_SYNC_PERIODIC ? env->opts.sync_interval_ms : 100;
    if (every > 100)
        every = 100;
    clock_gettime(CLOCK_MONOTONIC, &synced_at);
    pthread_mutex_lock(&env->sync_lock);
    while (!env->closing) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)every * 1000000ULL;
        until.tv_sec += (time_t)(ns / 1000000000ULL);
        until.tv_nsec = (long)(ns % 1000000000ULL);
        pthread_cond_timedwait(&env->sync_cond, &env->sync_lock, &until);
        if (env->closing)
            break;
        pthread_mutex_unlock(&env->sync_lock);
        if (!env->broken && !__atomic_load_n(&env->flush_failed, __ATOMIC_SEQ_CST))
            background_round(env, &synced_at);
        pthread_mutex_lock(&env->sync_lock);
    }
    pthread_mutex_unlock(&env->sync_lock);
    return NULL;
}

/* ------------------------------------------------------------------ recovery */

/* The first record of the log past the checkpoint of @p h, and each after it: 0 with
 * *rec (malloc'ed, *len bytes of payload at *rec + REC_HEAD) while the next holds;
 * QS_NOTFOUND at the end of the log. */
static int record_at(int fd, const log_header *h, uint64_t at, uint64_t lsn, uint8_t **rec,
                     size_t *len)
{
    uint8_t head[REC_HEAD];
    struct stat st;
    if (read_all(fd, head, sizeof head, at) != 0 || fstat(fd, &st) != 0)
        return QS_NOTFOUND;
    size_t payload = eng_get32(head + 4);
    if (eng_get32(head) != REC_MAGIC || eng_get64(head + 8) != lsn ||
        eng_get64(head + 16) != h->epoch ||
        at + REC_HEAD + payload + REC_TAIL > (uint64_t)st.st_size)
        return QS_NOTFOUND;
    uint8_t *b = malloc(REC_HEAD + payload + REC_TAIL);
    if (!b)
        return eng_fail(ENOMEM, "out of memory reading the redo log");
    if (read_all(fd, b, REC_HEAD + payload + REC_TAIL, at) != 0 ||
        eng_get64(b + REC_HEAD + payload) != XXH3_64bits(b, REC_HEAD + payload)) {
        free(b);
        return QS_NOTFOUND;
    }
    *rec = b;
    *len = payload;
    return 0;
}

typedef struct change {
    char op;
    char name[256];
    MDB_val k, v;
    uint32_t flags;
} change;

/* The change at @p *p of a record's payload ending at @p end; -1 when malformed. */
static int change_next(const uint8_t **p, const uint8_t *end, change *c)
{
    const uint8_t *q = *p;
    if (end - q < 2)
        return -1;
    c->op = (char)*q++;
    size_t nl = *q++;
    if ((size_t)(end - q) < nl || !strchr("PDEXC", c->op) || c->op == 0)
        return -1;
    memcpy(c->name, q, nl);
    c->name[nl] = 0;
    q += nl;
    if (c->op == 'P' || c->op == 'D') {
        if (end - q < 2 || (size_t)(end - q) < 2 + (size_t)eng_get16(q))
            return -1;
        c->k = (MDB_val){eng_get16(q), (void *)(q + 2)};
        q += 2 + c->k.mv_size;
        if (end - q < 4 || (size_t)(end - q) < 4 + (size_t)eng_get32(q))
            return -1;
        c->v = (MDB_val){eng_get32(q), (void *)(q + 4)};
        q += 4 + c->v.mv_size;
    }
    if (c->op == 'C') {
        if (end - q < 4)
            return -1;
        c->flags = eng_get32(q);
        q += 4;
    }
    *p = q;
    return 0;
}

static int apply_change(MDB_txn *m, const change *c)
{
    MDB_dbi dbi;
    int rc = mdb_dbi_open(m, c->name, c->op == 'C' ? (c->flags | MDB_CREATE) : 0, &dbi);
    if (rc || c->op == 'C')
        return rc;
    switch (c->op) {
    case 'P':
        return mdb_put(m, dbi, (MDB_val *)&c->k, (MDB_val *)&c->v, 0);
    case 'D':
        rc = mdb_del(m, dbi, (MDB_val *)&c->k, c->v.mv_size ? (MDB_val *)&c->v : NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    default:
        return mdb_drop(m, dbi, c->op == 'X');
    }
}

static int apply_record(MDB_txn *m, const uint8_t *payload, size_t len, uint64_t lsn)
{
    const uint8_t *p = payload, *end = payload + len;
    while (p < end) {
        change c;
        if (change_next(&p, end, &c) != 0)
            return eng_fail(QS_CORRUPT, "redo log record %llu is malformed",
                            (unsigned long long)lsn);
        int rc = apply_change(m, &c);
        if (rc)
            return eng_fail(QS_CORRUPT, "redo log record %llu cannot be applied to database "
                            "'%s': %s", (unsigned long long)lsn, c.name, mdb_strerror(rc));
    }
    return 0;
}

typedef struct replay_ctx {
    qs_env *env;
    const log_header *h;
} replay_ctx;

/* Apply the records past the checkpoint, in transactions of up to REPLAY_BATCH. */
static int replay_in(void *arg)
{
    replay_ctx *c = arg;
    qs_env *env = c->env;
    eng_log_pos pos = {c->h->epoch, c->h->lsn, ENG_LOG_START};
    for (int more = 1; more;) {
        MDB_txn *m;
        int rc = mdb_txn_begin(env->mdb, NULL, 0, &m);
        if (rc)
            return eng_mdb_rc(rc, "begin", "redo log replay");
        int n = 0;
        for (; n < REPLAY_BATCH; n++) {
            uint8_t *rec;
            size_t len;
            rc = record_at(env->log_fd, c->h, pos.end, pos.lsn + 1, &rec, &len);
            if (rc == QS_NOTFOUND) {
                rc = 0;
                more = 0;
                break;
            }
            if (rc == 0) {
                rc = apply_record(m, rec + REC_HEAD, len, pos.lsn + 1);
                free(rec);
            }
            if (rc)
                break;
            pos.lsn++;
            pos.end += REC_HEAD + len + REC_TAIL;
        }
        if (!rc && n)
            rc = pos_write(env, m, &pos);
        if (rc) {
            mdb_txn_abort(m);
            return rc;
        }
        if ((rc = mdb_txn_commit(m)) != 0)
            return eng_mdb_rc(rc, "commit", "redo log replay");
    }
    return 0;
}

/* 1 when a record follows the checkpoint of @p h. */
static int records_follow(int fd, const log_header *h)
{
    uint8_t *rec;
    size_t len;
    if (record_at(fd, h, ENG_LOG_START, h->lsn + 1, &rec, &len) != 0)
        return 0;
    free(rec);
    return 1;
}

/* What the header says of data file @p data_path: 1 when its checkpoint can be of
 * this file (fills @p h, and @p newest with the file's newest commit now), 0 when there
 * is no header, or it names a commit the file never had: a log left beside another
 * data file. (A log of another file with an older commit is not told apart: its meta
 * page put back makes the page walk refuse the store.) */
/* The newest commit of the data file at @p path: its meta page, transaction id and
 * page size. 0, or an error recorded. */
static int newest_commit(const char *path, uint8_t *meta, uint64_t *txnid, uint32_t *psize)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return eng_fail(errno, "%s: %s", path, strerror(errno));
    int rc = eng_meta_newest(fd, meta, txnid, psize);
    close(fd);
    return rc;
}

static int header_of_data(int fd, const char *data_path, log_header *h, uint64_t *newest)
{
    struct stat st;
    uint8_t meta[ENG_META_BYTES];
    uint32_t psize;
    if (header_read(fd, h) != 0 || stat(data_path, &st) != 0 || st.st_size == 0)
        return 0;
    return newest_commit(data_path, meta, newest, &psize) == 0 && psize == h->psize &&
           *newest >= h->txnid;
}

/* A read-only handle keeps the log open, holding READ_LOCK shared (it waits while a
 * compaction holds it), but writes nothing to it. */
static int open_read_only(qs_env *env, const char *dir, const char *data_path)
{
    char path[4096];
    log_header h;
    uint64_t newest;
    log_path(path, sizeof path, dir, LOG_NAME);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == EACCES ? 0 : eng_fail(errno, "%s: %s", path, strerror(errno));
    env->reader_fd = fd;
    int rc = lock_byte(fd, F_OFD_SETLKW, F_RDLCK, READ_LOCK);
    if (rc)
        return eng_fail(rc, "locking %s: %s", path, strerror(rc));
    int alone = !byte_locked_elsewhere(fd, OPEN_LOCK);
    int unclean = alone && header_of_data(fd, data_path, &h, &newest) &&
                  (newest != h.txnid || records_follow(fd, &h));
    if (unclean)
        return eng_fail(QS_READONLY, "%s was not closed cleanly: its redo log holds "
                        "commits to put back first, which a read-only open cannot do; open "
                        "it for writing once", dir);
    return 0;
}

int eng_log_open(qs_env *env, const char *dir)
{
    char path[4096], data_path[4096];
    log_path(data_path, sizeof data_path, dir, "data.mdb");
    env->log_fd = -1;
    if (env->opts.read_only)
        return open_read_only(env, dir, data_path);
    log_path(path, sizeof path, dir, LOG_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return eng_fail(errno, "%s: %s", path, strerror(errno));
    env->log_fd = fd;
    env->dbi_names = calloc(ENG_MAX_DBI, sizeof *env->dbi_names);
    if (!env->dbi_names)
        return eng_fail(ENOMEM, "out of memory");
    /* the first process to open the store recovers it; others wait for it */
    if (env->exclusive) {
        if (lock_byte(fd, F_OFD_SETLK, F_WRLCK, OPEN_LOCK) != 0 ||
            lock_byte(fd, F_OFD_SETLK, F_WRLCK, READ_LOCK) != 0)
            return eng_fail(QS_BUSY, "%s: another handle, of this process or another, has "
                            "it open: close it there first", dir);
        env->log_recover = 1;
    } else if (lock_byte(fd, F_OFD_SETLK, F_WRLCK, OPEN_LOCK) == 0) {
        env->log_recover = 1;
    } else {
        int rc = lock_byte(fd, F_OFD_SETLKW, F_RDLCK, OPEN_LOCK);
        return rc ? eng_fail(rc, "locking %s: %s", path, strerror(rc)) : 0;
    }
    log_header h;
    uint64_t newest;
    if (!header_of_data(fd, data_path, &h, &newest))
        return 0;   /* a new store, or a log of another file: a checkpoint starts it */
    env->log_replay = 1;
    if (newest == h.txnid)
        return 0;
    /* commits after the checkpoint may be torn: start again from it, then replay */
    int dfd = open(data_path, O_RDWR | O_CLOEXEC);
    if (dfd < 0)
        return eng_fail(errno, "%s: %s", data_path, strerror(errno));
    int rc = eng_meta_restore(dfd, h.meta, h.psize);
    close(dfd);
    return rc ? eng_fail(rc, "%s: restoring the checkpoint's meta page: %s", data_path,
                         strerror(rc))
              : 0;
}

int eng_log_recover(qs_env *env)
{
    int rc = 0;
    if (env->log_fd < 0)
        return 0;
    if (env->log_recover) {
        log_header h;
        if (env->log_replay && header_read(env->log_fd, &h) == 0) {
            /* the checkpoint's pages stay as they are until the replay is synced */
            if ((rc = pin_take(env, h.epoch, h.txnid)) != 0)
                return rc;
            replay_ctx c = {env, &h};
            rc = eng_guarded(env, NULL, replay_in, &c);
        }
        if (!rc)
            rc = eng_log_checkpoint(env);
        if (!rc && !env->exclusive)
            rc = lock_byte(env->log_fd, F_OFD_SETLK, F_RDLCK, OPEN_LOCK);
        if (rc)
            return rc;
    }
    if (env->exclusive)
        return 0;   /* no background checkpoints: the caller may replace the file */
    clock_gettime(CLOCK_MONOTONIC, &env->checkpoint_at);
    if (pthread_create(&env->syncer, NULL, background_main, env) != 0)
        return eng_fail(EAGAIN, "cannot start the log thread");
    env->syncer_running = 1;
    return 0;
}

/* Both header slots zeroed and synced: the log then names no checkpoint. */
static int header_clear(qs_env *env)
{
    static const uint8_t zero[HDR_SIZE];
    int rc = write_all(env->log_fd, zero, sizeof zero, 0);
    if (!rc)
        rc = write_all(env->log_fd, zero, sizeof zero, HDR_SLOT);
    if (!rc && fdatasync(env->log_fd) != 0)
        rc = errno;
    return rc;
}

int eng_log_replace_file(qs_env *env, int (*replace)(void *), void *arg, const char *data_path)
{
    log_header old, h;
    int rc = header_read(env->log_fd, &old);
    if (rc)
        return eng_fail(rc == QS_NOTFOUND ? QS_CORRUPT : rc, "reading the redo log's header");
    if ((rc = header_clear(env)) != 0)
        return eng_fail(rc, "clearing the redo log's header: %s", strerror(rc));
    if ((rc = replace(arg)) != 0)
        return rc;   /* the header stays clear: it is sound whichever file is in place */
    h = (log_header){.epoch = old.epoch + 1, .lsn = old.lsn};
    if ((rc = newest_commit(data_path, h.meta, &h.txnid, &h.psize)) != 0)
        return rc;
    if ((rc = header_write(env, &h)) != 0)
        return eng_fail(rc, "writing the redo log's header: %s", strerror(rc));
    if (ftruncate(env->log_fd, ENG_LOG_START) != 0)   /* the records are all behind it */
        return eng_fail(errno, "truncating the redo log: %s", strerror(errno));
    return 0;
}

void eng_log_close(qs_env *env)
{
    int recovered = env->syncer_running;
    if (env->syncer_running) {
        pthread_mutex_lock(&env->sync_lock);
        env->closing = 1;
        pthread_cond_signal(&env->sync_cond);
        pthread_mutex_unlock(&env->sync_lock);
        pthread_join(env->syncer, NULL);
        env->syncer_running = 0;
    }
    if (env->log_fd < 0)
        return;
    /* the last process to close the store checkpoints: the next open replays nothing
     * (and a read-only one may open it) */
    if (recovered && !env->broken && lock_byte(env->log_fd, F_OFD_SETLK, F_WRLCK, OPEN_LOCK) == 0)
        eng_log_checkpoint(env);
    pthread_mutex_lock(&env->pin_lock);
    pin_release(env, 1);
    pthread_mutex_unlock(&env->pin_lock);
}

void eng_log_release(qs_env *env)
{
    if (env->reader_fd >= 0)
        close(env->reader_fd);
    env->reader_fd = -1;
    if (env->log_fd >= 0)
        close(env->log_fd);
    env->log_fd = -1;
    free(env->dbi_names);
    env->dbi_names = NULL;
}
