/* log_file.c: the redo log's file (log.h): whole reads and writes, its lock bytes,
 * the two header slots, and the position record in the data file's meta database. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "log.h"

/* ------------------------------------------------------------------ file helpers */

int eng_log_write_all(int fd, const void *p, size_t n, uint64_t off)
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

int eng_log_read_all(int fd, void *p, size_t n, uint64_t off)
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

int eng_log_lock_byte(int fd, int cmd, short type, off_t at)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    return fcntl(fd, cmd, &fl) == 0 ? 0 : errno;
}

/* 1 when an open file description other than ours holds a lock on byte @p at. */
int eng_log_locked_elsewhere(int fd, off_t at)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
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
int eng_log_header_read(int fd, log_header *h)
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
int eng_log_header_write(qs_env *env, const log_header *h)
{
    uint8_t b[HDR_SIZE];
    header_encode(h, b);
    int rc = eng_log_write_all(env->log_fd, b, sizeof b, (h->epoch % 2) * HDR_SLOT);
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

int eng_log_pos_read(qs_env *env, MDB_txn *m, eng_log_pos *pos)
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

int eng_log_pos_write(qs_env *env, MDB_txn *m, const eng_log_pos *pos)
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

