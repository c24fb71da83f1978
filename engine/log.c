/* log.c: the redo log opened before LMDB (the first process to open the store
 * recovers it), its background thread, and the log closed (log.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

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
    if (eng_log_header_read(env->log_fd, &h) != 0 || mdb_env_get_fd(env->mdb, &data_fd) != 0 ||
        eng_meta_newest(data_fd, meta, &newest, &psize) != 0)
        return;
    pthread_mutex_lock(&env->pin_lock);
    int owner = env->pin_epoch == h.epoch;
    if (env->pin_epoch && !owner)
        eng_log_pin_release(env, 1);
    pthread_mutex_unlock(&env->pin_lock);
    uint64_t since = newest - h.txnid;
    if (owner && since &&
        (since >= SOFT_COMMITS || ms_since(&env->checkpoint_at) >= CHECKPOINT_MS ||
         eng_log_pinned_past(env, &h, 0)))
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

/* ------------------------------------------------------------------ opening */


static void log_path(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
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
    if (eng_log_header_read(fd, h) != 0 || stat(data_path, &st) != 0 || st.st_size == 0)
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
    int rc = eng_log_lock_byte(fd, F_OFD_SETLKW, F_RDLCK, READ_LOCK);
    if (rc)
        return eng_fail(rc, "locking %s: %s", path, strerror(rc));
    int alone = !eng_log_locked_elsewhere(fd, OPEN_LOCK);
    int unclean = alone && header_of_data(fd, data_path, &h, &newest) &&
                  (newest != h.txnid || eng_log_records_follow(fd, &h));
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
        if (eng_log_lock_byte(fd, F_OFD_SETLK, F_WRLCK, OPEN_LOCK) != 0 ||
            eng_log_lock_byte(fd, F_OFD_SETLK, F_WRLCK, READ_LOCK) != 0)
            return eng_fail(QS_BUSY, "%s: another handle, of this process or another, has "
                            "it open: close it there first", dir);
        env->log_recover = 1;
    } else if (eng_log_lock_byte(fd, F_OFD_SETLK, F_WRLCK, OPEN_LOCK) == 0) {
        env->log_recover = 1;
    } else {
        int rc = eng_log_lock_byte(fd, F_OFD_SETLKW, F_RDLCK, OPEN_LOCK);
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
        if (env->log_replay && eng_log_header_read(env->log_fd, &h) == 0) {
            /* the checkpoint's pages stay as they are until the replay is synced */
            if ((rc = eng_log_pin_take(env, h.epoch, h.txnid)) != 0)
                return rc;
            rc = eng_log_replay(env, &h);
        }
        if (!rc)
            rc = eng_log_checkpoint(env);
        if (!rc && !env->exclusive)
            rc = eng_log_lock_byte(env->log_fd, F_OFD_SETLK, F_RDLCK, OPEN_LOCK);
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
    int rc = eng_log_write_all(env->log_fd, zero, sizeof zero, 0);
    if (!rc)
        rc = eng_log_write_all(env->log_fd, zero, sizeof zero, HDR_SLOT);
    if (!rc && fdatasync(env->log_fd) != 0)
        rc = errno;
    return rc;
}

int eng_log_replace_file(qs_env *env, int (*replace)(void *), void *arg, const char *data_path)
{
    log_header old, h;
    int rc = eng_log_header_read(env->log_fd, &old);
    if (rc)
        return eng_fail(rc == QS_NOTFOUND ? QS_CORRUPT : rc, "reading the redo log's header");
    if ((rc = header_clear(env)) != 0)
        return eng_fail(rc, "clearing the redo log's header: %s", strerror(rc));
    if ((rc = replace(arg)) != 0)
        return rc;   /* the header stays clear: it is sound whichever file is in place */
    h = (log_header){.epoch = old.epoch + 1, .lsn = old.lsn};
    if ((rc = newest_commit(data_path, h.meta, &h.txnid, &h.psize)) != 0)
        return rc;
    if ((rc = eng_log_header_write(env, &h)) != 0)
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
    if (recovered && !env->broken &&
        eng_log_lock_byte(env->log_fd, F_OFD_SETLK, F_WRLCK, OPEN_LOCK) == 0)
        eng_log_checkpoint(env);
    pthread_mutex_lock(&env->pin_lock);
    eng_log_pin_release(env, 1);
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
