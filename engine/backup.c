/* backup.c: hot backups, qs_backup() (the layout: backup.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd_errors.h>

#include "backup.h"
#include "engine_int.h"

/* ------------------------------------------------------------------ the copy pump */

/* The thread that drains the pipe LMDB's copy writes into. After a failure it keeps
 * reading (and drops what it reads) so that the copy runs to its end. */
typedef struct pump {
    int in, out;
    const char *path;           /* the data file, for messages */
    ZSTD_CCtx *zc;              /* NULL: written as it comes */
    XXH3_state_t *raw_hash, *file_hash;
    uint64_t raw_size, file_size;
    uint8_t *buf, *zbuf;
    size_t zbuf_size;
    int err;                    /* errno or QS_ code of the first failure */
    char what[160];             /* its detail */
} pump;

static void pump_fail(pump *p, int err, const char *fmt, const char *arg)
{
    if (p->err)
        return;
    p->err = err;
    snprintf(p->what, sizeof p->what, fmt, arg);
}

static void pump_write(pump *p, const void *b, size_t n)
{
    if (bk_write_all(p->out, b, n) != 0) {
        int e = errno;
        pump_fail(p, e, "write %s", p->path);
        return;
    }
    XXH3_64bits_update(p->file_hash, b, n);
    p->file_size += n;
}

static void pump_compress(pump *p, const void *b, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {b, n, 0};
    size_t left;
    do {
        ZSTD_outBuffer out = {p->zbuf, p->zbuf_size, 0};
        left = ZSTD_compressStream2(p->zc, &out, &in, mode);
        if (ZSTD_isError(left)) {
            pump_fail(p, ZSTD_getErrorCode(left) == ZSTD_error_memory_allocation ? ENOMEM : EIO,
                      "compress: %s", ZSTD_getErrorName(left));
            return;
        }
        pump_write(p, p->zbuf, out.pos);
        if (p->err)
            return;
    } while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
}

static void *pump_main(void *arg)
{
    pump *p = arg;
    for (;;) {
        ssize_t n = bk_read_some(p->in, p->buf, IO_CHUNK);
        if (n < 0) {
            pump_fail(p, errno, "read the copy of %s", p->path);
            break;
        }
        if (n == 0)
            break;
        if (p->err)
            continue;
        XXH3_64bits_update(p->raw_hash, p->buf, (size_t)n);
        p->raw_size += (uint64_t)n;
        if (p->zc)
            pump_compress(p, p->buf, (size_t)n, ZSTD_e_continue);
        else
            pump_write(p, p->buf, (size_t)n);
    }
    if (!p->err && p->zc)
        pump_compress(p, NULL, 0, ZSTD_e_end);
    /* A pipe that cannot be read must not leave the copy blocked on it: closing
     * it makes the copy's writes fail (EPIPE). */
    if (p->err && p->in >= 0) {
        close(p->in);
        p->in = -1;
    }
    return NULL;
}

static void pump_free(pump *p)
{
    if (p->in >= 0)
        close(p->in);
    ZSTD_freeCCtx(p->zc);
    XXH3_freeState(p->raw_hash);
    XXH3_freeState(p->file_hash);
    free(p->buf);
    free(p->zbuf);
}

static int pump_init(pump *p, int out, const char *path, int compress)
{
    memset(p, 0, sizeof *p);
    p->in = -1;
    p->out = out;
    p->path = path;
    p->raw_hash = XXH3_createState();
    p->file_hash = XXH3_createState();
    p->buf = malloc(IO_CHUNK);
    if (!p->raw_hash || !p->file_hash || !p->buf)
        return eng_fail(ENOMEM, "out of memory for the backup");
    XXH3_64bits_reset(p->raw_hash);
    XXH3_64bits_reset(p->file_hash);
    if (compress) {
        p->zc = ZSTD_createCCtx();
        p->zbuf_size = ZSTD_CStreamOutSize();
        p->zbuf = malloc(p->zbuf_size);
        if (!p->zc || !p->zbuf)
            return eng_fail(ENOMEM, "out of memory for the backup");
        ZSTD_CCtx_setParameter(p->zc, ZSTD_c_compressionLevel, BACKUP_ZSTD_LEVEL);
    }
    return 0;
}

/* Run LMDB's compacting copy of @p env into @p p's file through a pipe. */
static int copy_through_pump(qs_env *env, pump *p)
{
    int fds[2];
    pthread_t thread;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return bk_sys_fail("pipe for", p->path);
#ifdef F_SETPIPE_SZ
    fcntl(fds[1], F_SETPIPE_SZ, IO_CHUNK);   /* fewer wake-ups; best effort */
#endif
    p->in = fds[0];
    if (pthread_create(&thread, NULL, pump_main, p) != 0) {
        close(fds[1]);
        return eng_fail(EAGAIN, "cannot start the backup thread");
    }
    int mrc = mdb_env_copyfd2(env->mdb, fds[1], MDB_CP_COMPACT);
    close(fds[1]);
    pthread_join(thread, NULL);
    if (p->err)
        return eng_fail(p->err, "%s: %s", p->what,
                        p->err > 0 ? strerror(p->err) : qs_strerror(p->err));
    if (mrc == MDB_INCOMPATIBLE)
        return eng_fail(QS_CORRUPT, "copy of the store: its page count does not add up "
                        "(a page leak); the store needs checking");
    if (mrc)
        return eng_mdb_rc(mrc, "copy of the store", NULL);
    return 0;
}

/* ------------------------------------------------------------------ backup */

static int store_format(qs_env *env, uint64_t *format)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &txn);
    if (rc)
        return eng_mdb_rc(rc, "begin backup", NULL);
    rc = eng_meta_get_u64(txn, env->dbi[ENG_META], "format", format);
    mdb_txn_abort(txn);
    return rc;
}

static void utc_now(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

/* The manifest's text, "end" line included, into @p out. */
static size_t manifest_text(char *out, size_t cap, uint64_t format, const char *created,
                            const char *data_name, const pump *p)
{
    char file_hex[17], raw_hex[17], end_hex[17];
    bk_hex64(XXH3_64bits_digest(p->file_hash), file_hex);
    bk_hex64(XXH3_64bits_digest(p->raw_hash), raw_hex);
    int n = snprintf(out, cap,
                     "quizstore-backup %d\nstore-format %" PRIu64 "\nlibrary %s\n"
                     "created %s\nfile %s %" PRIu64 " %s",
                     BACKUP_FORMAT, format, qs_version(), created, data_name,
                     p->file_size, file_hex);
    if (p->zc)
        n += snprintf(out + n, cap - (size_t)n, " raw %" PRIu64 " %s", p->raw_size, raw_hex);
    out[n++] = '\n';
    bk_hex64(XXH3_64bits(out, (size_t)n), end_hex);
    n += snprintf(out + n, cap - (size_t)n, "end %s\n", end_hex);
    return (size_t)n;
}

/* Write @p text as dir/MANIFEST: a temporary file, fsynced, then given its name. */
static int write_manifest(const char *dir, const char *text, size_t len)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int rc;
    if ((rc = bk_path_in(tmp, dir, MANIFEST_TMP)) != 0 ||
        (rc = bk_path_in(path, dir, MANIFEST_NAME)) != 0)
        return rc;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return bk_sys_fail("create", tmp);
    if (bk_write_all(fd, text, len) != 0)
        rc = bk_sys_fail("write", tmp);
    else if (fsync(fd) != 0)
        rc = bk_sys_fail("fsync", tmp);
    if (close(fd) != 0 && !rc)
        rc = bk_sys_fail("close", tmp);
    if (!rc)
        rc = bk_publish(tmp, path);
    if (!rc)
        rc = bk_fsync_dir(dir);
    if (rc)
        unlink(tmp);
    return rc;
}

/* Copy the store into the data file at @p path: written as @p path.partial, fsynced,
 * then given its name. */
static int write_data(qs_env *env, const char *dir, const char *path, int compress,
                      pump *p)
{
    char partial[PATH_MAX];
    if (snprintf(partial, sizeof partial, "%s%s", path, PARTIAL_SUFFIX) >= PATH_MAX)
        return eng_fail(ENAMETOOLONG, "%s: name too long", path);
    if (bk_exists(path))
        return eng_fail(QS_EXISTS, "%s exists already: a backup directory must hold "
                        "no backup files", path);
    int fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return bk_sys_fail("create", partial);
    int rc = pump_init(p, fd, partial, compress);
    if (!rc)
        rc = copy_through_pump(env, p);
    if (!rc && fsync(fd) != 0)
        rc = bk_sys_fail("fsync", partial);
    if (close(fd) != 0 && !rc)
        rc = bk_sys_fail("close", partial);
    if (!rc)
        rc = bk_publish(partial, path);
    if (!rc)
        rc = bk_fsync_dir(dir);
    if (rc)
        unlink(partial);
    return rc;
}

/* A backup goes elsewhere than the store, and of a store whose pages are sound. */
static int check_source(qs_env *env, const char *dir)
{
    const char *store = "";
    qs_check_report r;
    mdb_env_get_path(env->mdb, &store);
    if (bk_same_file(dir, store))
        return eng_fail(QS_INVALID, "%s is the store's own directory: a backup goes into "
                        "another one", dir);
    int rc = eng_pages_check(env, &r);
    if (rc == 0 && r.findings)
        rc = eng_fail(QS_CORRUPT, "the store is damaged, so a backup of it would be too: %s",
                      r.first_finding);
    return rc;
}

int qs_backup(qs_env *env, const char *dir, unsigned flags)
{
    if (!env || !dir || !*dir)
        return eng_fail(QS_INVALID, "qs_backup: %s is NULL or empty", env ? "dir" : "env");
    if (flags & ~(unsigned)QS_BACKUP_COMPRESS)
        return eng_fail(QS_INVALID, "qs_backup: unknown flags 0x%x", flags);
    int compress = (flags & QS_BACKUP_COMPRESS) != 0;
    const char *data_name = compress ? DATA_ZST_NAME : DATA_NAME;
    char manifest_path[PATH_MAX], data[PATH_MAX], created[32], text[MANIFEST_MAX];
    uint64_t format;
    int made_dir = 0, rc;
    pump p;
    memset(&p, 0, sizeof p);
    p.in = -1;

    if ((rc = bk_path_in(manifest_path, dir, MANIFEST_NAME)) != 0 ||
        (rc = bk_path_in(data, dir, data_name)) != 0)
        return rc;
    if ((rc = check_source(env, dir)) != 0 || (rc = store_format(env, &format)) != 0)
        return rc;
    if ((rc = bk_make_dir(dir, &made_dir)) != 0)
        return rc;
    if (bk_exists(manifest_path)) {
        rc = eng_fail(QS_EXISTS, "%s holds a backup already (%s)", dir, MANIFEST_NAME);
        goto fail;
    }
    utc_now(created);
    if ((rc = write_data(env, dir, data, compress, &p)) != 0)
        goto fail;
    size_t len = manifest_text(text, sizeof text, format, created, data_name, &p);
    if ((rc = write_manifest(dir, text, len)) != 0) {
        unlink(data);
        goto fail;
    }
    pump_free(&p);
    return 0;
fail:
    pump_free(&p);
    if (made_dir)
        rmdir(dir);
    return rc;
}

