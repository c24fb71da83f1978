/* backup.c: hot backups (qs_backup) and their restore (qs_restore).
 *
 * A backup is a directory holding one data file and a MANIFEST:
 *
 *   file          what it holds
 *   data.mdb      a compacted copy of the store's LMDB file, as of one snapshot
 *   data.mdb.zst  the same bytes as one zstd frame (QS_BACKUP_COMPRESS)
 *   MANIFEST      what follows, written last: a directory without it holds no backup
 *
 * MANIFEST is text, one item per line, fields separated by one space, in this order:
 *
 *   line                                  meaning
 *   quizstore-backup 1                    the backup format
 *   store-format N                        the store's on-disk format (ENG_FORMAT)
 *   library X.Y.Z                         qs_version() of the writer
 *   created YYYY-MM-DDThh:mm:ss.sssZ      UTC, when the copy began
 *   file NAME SIZE HASH                   a data file: bytes, xxh3-64 (16 hex digits)
 *   file NAME SIZE HASH raw SIZE HASH     a compressed one: also its decompressed
 *                                         bytes and their xxh3-64
 *   end HASH                              xxh3-64 of every byte before this line
 *
 * The copy is LMDB's compacting copy (mdb_env_copyfd2 with MDB_CP_COMPACT): it takes
 * a read transaction of its own, so writers go on, and writes the pages it reaches
 * from that snapshot, renumbered, free pages left out. It writes into a pipe; a
 * thread of ours reads the other end, hashes, compresses when asked and writes the
 * file, so neither the store nor the file is ever held in memory.
 *
 * Restore parses the manifest, checks the data file's size and hash, and only then
 * writes store_dir/data.mdb: first under a temporary name, fsynced, then linked to
 * its name (never over an existing store).
 */
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

#include "engine_int.h"

#define BACKUP_FORMAT 1
#define BACKUP_ZSTD_LEVEL 3
#define MANIFEST_NAME "MANIFEST"
#define MANIFEST_TMP "MANIFEST.tmp"
#define MANIFEST_MAX 4096           /* bytes; a real one is about 250 */
#define DATA_NAME "data.mdb"
#define DATA_ZST_NAME "data.mdb.zst"
#define RESTORE_TMP "data.mdb.partial"
#define IO_CHUNK (1024 * 1024)      /* LMDB's copy writes 1 MiB buffers */

/* ------------------------------------------------------------------ files */

static int path_in(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_MAX)
        return eng_fail(ENAMETOOLONG, "%s/%s: path too long", dir, name);
    return 0;
}

static int sys_fail(const char *what, const char *path)
{
    int e = errno ? errno : EIO;
    return eng_fail(e, "%s %s: %s", what, path, strerror(e));
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* read() that retries on EINTR; returns bytes read, 0 at the end, -1 on error. */
static ssize_t read_some(int fd, void *buf, size_t n)
{
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sys_fail("open directory", dir);
    int rc = fsync(fd) == 0 ? 0 : sys_fail("fsync directory", dir);
    close(fd);
    return rc;
}

/* The parent directory of @p path, for fsyncing a new entry in it. */
static void parent_of(const char *path, char *out)
{
    snprintf(out, PATH_MAX, "%s", path);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, PATH_MAX, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

/* Make directory @p dir unless it exists; *created tells whether it was made. */
static int make_dir(const char *dir, int *created)
{
    struct stat st;
    *created = 0;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return eng_fail(ENOTDIR, "%s: not a directory", dir);
        return 0;
    }
    if (errno != ENOENT)
        return sys_fail("stat", dir);
    if (mkdir(dir, 0777) != 0)
        return sys_fail("create directory", dir);
    *created = 1;
    char parent[PATH_MAX];
    parent_of(dir, parent);
    return fsync_dir(parent);
}

/* Give file @p tmp its final name @p path without ever replacing a file there:
 * QS_EXISTS if @p path exists. Filesystems without hard links fall back to rename. */
static int publish(const char *tmp, const char *path)
{
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return 0;
    }
    if (errno == EEXIST)
        return eng_fail(QS_EXISTS, "%s exists already", path);
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS)
        return sys_fail("link", path);
    if (exists(path))
        return eng_fail(QS_EXISTS, "%s exists already", path);
    return rename(tmp, path) == 0 ? 0 : sys_fail("rename", path);
}

static void hex64(uint64_t v, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, v);
}

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
    if (write_all(p->out, b, n) != 0) {
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
        ssize_t n = read_some(p->in, p->buf, IO_CHUNK);
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
        return sys_fail("pipe for", p->path);
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
    hex64(XXH3_64bits_digest(p->file_hash), file_hex);
    hex64(XXH3_64bits_digest(p->raw_hash), raw_hex);
    int n = snprintf(out, cap,
                     "quizstore-backup %d\nstore-format %" PRIu64 "\nlibrary %s\n"
                     "created %s\nfile %s %" PRIu64 " %s",
                     BACKUP_FORMAT, format, qs_version(), created, data_name,
                     p->file_size, file_hex);
    if (p->zc)
        n += snprintf(out + n, cap - (size_t)n, " raw %" PRIu64 " %s", p->raw_size, raw_hex);
    out[n++] = '\n';
    hex64(XXH3_64bits(out, (size_t)n), end_hex);
    n += snprintf(out + n, cap - (size_t)n, "end %s\n", end_hex);
    return (size_t)n;
}

/* Write @p text as dir/MANIFEST: a temporary file, fsynced, then given its name. */
static int write_manifest(const char *dir, const char *text, size_t len)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int rc;
    if ((rc = path_in(tmp, dir, MANIFEST_TMP)) != 0 ||
        (rc = path_in(path, dir, MANIFEST_NAME)) != 0)
        return rc;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sys_fail("create", tmp);
    if (write_all(fd, text, len) != 0)
        rc = sys_fail("write", tmp);
    else if (fsync(fd) != 0)
        rc = sys_fail("fsync", tmp);
    if (close(fd) != 0 && !rc)
        rc = sys_fail("close", tmp);
    if (!rc)
        rc = publish(tmp, path);
    if (!rc)
        rc = fsync_dir(dir);
    if (rc)
        unlink(tmp);
    return rc;
}

/* Copy the store into the data file at @p path, then fsync it. */
static int write_data(qs_env *env, const char *dir, const char *path, int compress,
                      pump *p)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            return eng_fail(QS_EXISTS, "%s exists already: a backup directory must hold "
                            "no backup files", path);
        return sys_fail("create", path);
    }
    int rc = pump_init(p, fd, path, compress);
    if (!rc)
        rc = copy_through_pump(env, p);
    if (!rc && fsync(fd) != 0)
        rc = sys_fail("fsync", path);
    if (close(fd) != 0 && !rc)
        rc = sys_fail("close", path);
    if (!rc)
        rc = fsync_dir(dir);
    if (rc)
        unlink(path);
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
    char manifest[PATH_MAX], data[PATH_MAX], created[32], text[MANIFEST_MAX];
    uint64_t format;
    int made_dir = 0, rc;
    pump p;
    memset(&p, 0, sizeof p);
    p.in = -1;

    if ((rc = path_in(manifest, dir, MANIFEST_NAME)) != 0 ||
        (rc = path_in(data, dir, data_name)) != 0)
        return rc;
    if ((rc = store_format(env, &format)) != 0)
        return rc;
    if ((rc = make_dir(dir, &made_dir)) != 0)
        return rc;
    if (exists(manifest)) {
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

/* ------------------------------------------------------------------ manifest */

typedef struct manifest {
    uint64_t store_format;
    char name[16];              /* DATA_NAME or DATA_ZST_NAME */
    int compressed;
    uint64_t size, hash;        /* of the file */
    uint64_t raw_size, raw_hash;   /* of its decompressed bytes (compressed only) */
} manifest;

#define MAX_FIELDS 8

/* Split @p line (NUL-terminated, modified) at single spaces. -1 on an empty field
 * or too many. */
static int split(char *line, char **fields)
{
    int n = 0;
    for (char *s = line;;) {
        char *sp = strchr(s, ' ');
        if (n == MAX_FIELDS || sp == s || *s == '\0')
            return -1;
        fields[n++] = s;
        if (!sp)
            return n;
        *sp = '\0';
        s = sp + 1;
    }
}

static int parse_dec(const char *s, uint64_t *v)
{
    size_t len = strlen(s);
    if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

static int parse_hex64(const char *s, uint64_t *v)
{
    if (strlen(s) != 16)
        return -1;
    uint64_t x = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        x = x << 4 | d;
    }
    *v = x;
    return 0;
}

/* Digits where @p shape has '9', the same character elsewhere. */
static int has_shape(const char *s, const char *shape)
{
    for (; *shape; s++, shape++) {
        if (*shape == '9' ? (*s < '0' || *s > '9') : *s != *shape)
            return 0;
    }
    return *s == '\0';
}

static int is_version(const char *s)
{
    int parts = 0, digits = 0;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            digits++;
        } else if (*s == '.' && digits > 0) {
            parts++;
            digits = 0;
        } else {
            return 0;
        }
    }
    return parts == 2 && digits > 0;
}

static int parse_file_line(char **f, int n, manifest *m)
{
    int zst = strcmp(f[1], DATA_ZST_NAME) == 0;
    if (!zst && strcmp(f[1], DATA_NAME) != 0)
        return -1;
    if (n != (zst ? 7 : 4) || parse_dec(f[2], &m->size) || parse_hex64(f[3], &m->hash))
        return -1;
    if (zst && (strcmp(f[4], "raw") != 0 || parse_dec(f[5], &m->raw_size) ||
                parse_hex64(f[6], &m->raw_hash)))
        return -1;
    snprintf(m->name, sizeof m->name, "%s", f[1]);
    m->compressed = zst;
    return 0;
}

/* The line keys in their order; "file" is the data file's line. */
static const char *const manifest_keys[] = {"quizstore-backup", "store-format", "library",
                                            "created", "file", "end"};
#define MANIFEST_LINES (sizeof manifest_keys / sizeof manifest_keys[0])

/* Check one line (its number @p no) against what line @p no must be. */
static int parse_line(const char *path, unsigned no, char *line, const char *text,
                      size_t line_start, manifest *m)
{
    char *f[MAX_FIELDS];
    int n = split(line, f);
    if (n < 2 || strcmp(f[0], manifest_keys[no - 1]) != 0)
        return eng_fail(QS_CORRUPT, "%s line %u: expected a '%s' line", path, no,
                        manifest_keys[no - 1]);
    uint64_t v;
    switch (no) {
    case 1:
        if (n != 2 || parse_dec(f[1], &v) || v == 0)
            break;
        if (v != BACKUP_FORMAT)
            return eng_fail(QS_FORMAT, "%s line 1: backup format %" PRIu64 ", this library "
                            "reads format %d", path, v, BACKUP_FORMAT);
        return 0;
    case 2:
        if (n != 2 || parse_dec(f[1], &m->store_format) || m->store_format == 0)
            break;
        if (m->store_format > ENG_FORMAT)
            return eng_fail(QS_FORMAT, "%s line 2: store format %" PRIu64 " is newer than "
                            "this library's %d", path, m->store_format, ENG_FORMAT);
        return 0;
    case 3:
        if (n == 2 && is_version(f[1]))
            return 0;
        break;
    case 4:
        if (n == 2 && has_shape(f[1], "9999-99-99T99:99:99.999Z"))
            return 0;
        break;
    case 5:
        if (parse_file_line(f, n, m) == 0)
            return 0;
        break;
    default:
        if (n != 2 || parse_hex64(f[1], &v))
            break;
        if (v != XXH3_64bits(text, line_start))
            return eng_fail(QS_CORRUPT, "%s line %u: the lines above do not match their "
                            "hash: the manifest was edited or damaged", path, no);
        return 0;
    }
    return eng_fail(QS_CORRUPT, "%s line %u: malformed '%s' line", path, no,
                    manifest_keys[no - 1]);
}

static int parse_manifest(const char *path, const char *text, size_t len, manifest *m)
{
    char line[MANIFEST_MAX + 1];
    size_t start = 0;
    unsigned no = 0;
    memset(m, 0, sizeof *m);
    if (memchr(text, '\0', len))
        return eng_fail(QS_CORRUPT, "%s: holds a NUL byte: not a manifest", path);
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        if (!nl)
            return eng_fail(QS_CORRUPT, "%s line %u: the last line is cut", path, no + 1);
        if (++no > MANIFEST_LINES)
            return eng_fail(QS_CORRUPT, "%s line %u: text after the 'end' line", path, no);
        size_t n = (size_t)(nl - text) - start;
        memcpy(line, text + start, n);   /* split() cuts the copy, the text stays whole */
        line[n] = '\0';
        int rc = parse_line(path, no, line, text, start, m);
        if (rc)
            return rc;
        start += n + 1;
    }
    if (no < MANIFEST_LINES)
        return eng_fail(QS_CORRUPT, "%s line %u: missing: expected a '%s' line", path,
                        no + 1, manifest_keys[no]);
    return 0;
}

static int read_manifest(const char *path, manifest *m)
{
    char text[MANIFEST_MAX + 1];
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sys_fail("open", path);
    for (;;) {
        ssize_t r = read_some(fd, text + len, sizeof text - len);
        if (r < 0) {
            int rc = sys_fail("read", path);
            close(fd);
            return rc;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == sizeof text) {
            close(fd);
            return eng_fail(QS_CORRUPT, "%s: larger than %d bytes: not a manifest", path,
                            MANIFEST_MAX);
        }
    }
    close(fd);
    return parse_manifest(path, text, len, m);
}

/* ------------------------------------------------------------------ restore */

/* A file of the backup, read in chunks and hashed as it is read. */
typedef struct source {
    int fd;
    const char *path;
    XXH3_state_t *hash;
    uint64_t size;
} source;

static int source_read(source *s, void *buf, size_t cap, size_t *n)
{
    ssize_t r = read_some(s->fd, buf, cap);
    if (r < 0)
        return sys_fail("read", s->path);
    XXH3_64bits_update(s->hash, buf, (size_t)r);
    s->size += (uint64_t)r;
    *n = (size_t)r;
    return 0;
}

/* 0 if what was read of @p s is the manifest's file, else QS_CORRUPT naming it. */
static int source_matches(const source *s, const manifest *m)
{
    uint64_t h = XXH3_64bits_digest(s->hash);
    if (s->size != m->size)
        return eng_fail(QS_CORRUPT, "%s: %" PRIu64 " bytes, the manifest says %" PRIu64,
                        s->path, s->size, m->size);
    if (h != m->hash)
        return eng_fail(QS_CORRUPT, "%s: xxh3 %016" PRIx64 ", the manifest says %016" PRIx64
                        ": the file is damaged", s->path, h, m->hash);
    return 0;
}

static int source_open(source *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->path = path;
    s->hash = XXH3_createState();
    if (!s->hash)
        return eng_fail(ENOMEM, "out of memory for the restore");
    XXH3_64bits_reset(s->hash);
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return sys_fail("open", path);
    return 0;
}

static void source_close(source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    XXH3_freeState(s->hash);
    s->fd = -1;
    s->hash = NULL;
}

/* Read the whole data file and check it against the manifest. */
static int verify_file(const char *path, const manifest *m, uint8_t *buf)
{
    source s;
    struct stat st;
    size_t n;
    int rc = source_open(&s, path);
    if (!rc && fstat(s.fd, &st) != 0)
        rc = sys_fail("stat", path);
    if (!rc && (uint64_t)st.st_size != m->size)
        rc = eng_fail(QS_CORRUPT, "%s: %" PRIu64 " bytes, the manifest says %" PRIu64,
                      path, (uint64_t)st.st_size, m->size);
    while (!rc && (rc = source_read(&s, buf, IO_CHUNK, &n)) == 0 && n > 0)
        ;
    if (!rc)
        rc = source_matches(&s, m);
    source_close(&s);
    return rc;
}

static int copy_plain(source *s, int out, const char *out_path, uint8_t *buf)
{
    size_t n;
    int rc;
    while ((rc = source_read(s, buf, IO_CHUNK, &n)) == 0 && n > 0)
        if (write_all(out, buf, n) != 0)
            return sys_fail("write", out_path);
    return rc;
}

static int copy_unzstd(source *s, int out, const char *out_path, const manifest *m,
                       uint8_t *buf)
{
    /* A context of its own: streaming state must not leak into the engine's. */
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    size_t out_cap = ZSTD_DStreamOutSize(), n, left = 1;
    uint8_t *obuf = malloc(out_cap);
    XXH3_state_t *raw = XXH3_createState();
    uint64_t raw_size = 0;
    int rc = 0;
    if (!dc || !obuf || !raw)
        rc = eng_fail(ENOMEM, "out of memory for the restore");
    else
        XXH3_64bits_reset(raw);
    while (!rc && (rc = source_read(s, buf, IO_CHUNK, &n)) == 0 && n > 0) {
        ZSTD_inBuffer in = {buf, n, 0};
        while (!rc && in.pos < in.size) {
            ZSTD_outBuffer o = {obuf, out_cap, 0};
            left = ZSTD_decompressStream(dc, &o, &in);
            if (ZSTD_isError(left))
                rc = eng_fail(QS_CORRUPT, "%s: does not decompress: %s", s->path,
                              ZSTD_getErrorName(left));
            else if ((raw_size += o.pos) > m->raw_size)
                rc = eng_fail(QS_CORRUPT, "%s: decompresses to more than the %" PRIu64
                              " bytes the manifest says", s->path, m->raw_size);
            else if (write_all(out, obuf, o.pos) != 0)
                rc = sys_fail("write", out_path);
            else
                XXH3_64bits_update(raw, obuf, o.pos);
        }
    }
    if (!rc && left != 0)
        rc = eng_fail(QS_CORRUPT, "%s: the compressed stream is cut", s->path);
    if (!rc && raw_size != m->raw_size)
        rc = eng_fail(QS_CORRUPT, "%s: decompresses to %" PRIu64 " bytes, the manifest "
                      "says %" PRIu64, s->path, raw_size, m->raw_size);
    if (!rc && XXH3_64bits_digest(raw) != m->raw_hash)
        rc = eng_fail(QS_CORRUPT, "%s: the decompressed bytes do not match the manifest's "
                      "hash", s->path);
    XXH3_freeState(raw);
    free(obuf);
    ZSTD_freeDCtx(dc);
    return rc;
}

/* Write the data file's content (decompressed) to @p tmp and fsync it. The data file
 * is checked again as it is read: it must not have changed since it was verified. */
static int write_store_file(const char *data, const char *tmp, const manifest *m,
                            uint8_t *buf)
{
    source s;
    int rc = source_open(&s, data);
    if (rc) {
        source_close(&s);
        return rc;
    }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = sys_fail("create", tmp);
        source_close(&s);
        return rc;
    }
    rc = m->compressed ? copy_unzstd(&s, out, tmp, m, buf) : copy_plain(&s, out, tmp, buf);
    if (!rc)
        rc = source_matches(&s, m);
    if (!rc && fsync(out) != 0)
        rc = sys_fail("fsync", tmp);
    if (close(out) != 0 && !rc)
        rc = sys_fail("close", tmp);
    source_close(&s);
    if (rc)
        unlink(tmp);
    return rc;
}

/* QS_EXISTS if @p store_dir holds a store, an errno if it is not a directory. */
static int check_target(const char *store_dir, const char *store_file)
{
    struct stat st;
    if (stat(store_dir, &st) != 0)
        return errno == ENOENT ? 0 : sys_fail("stat", store_dir);
    if (!S_ISDIR(st.st_mode))
        return eng_fail(ENOTDIR, "%s: not a directory", store_dir);
    if (exists(store_file))
        return eng_fail(QS_EXISTS, "%s holds a store already (%s)", store_dir, DATA_NAME);
    return 0;
}

int qs_restore(const char *backup_dir, const char *store_dir)
{
    if (!backup_dir || !*backup_dir || !store_dir || !*store_dir)
        return eng_fail(QS_INVALID, "qs_restore: a directory is NULL or empty");
    char manifest_path[PATH_MAX], data[PATH_MAX], store_file[PATH_MAX], tmp[PATH_MAX];
    manifest m;
    int made_dir = 0, rc;
    if ((rc = path_in(manifest_path, backup_dir, MANIFEST_NAME)) != 0 ||
        (rc = path_in(store_file, store_dir, DATA_NAME)) != 0 ||
        (rc = path_in(tmp, store_dir, RESTORE_TMP)) != 0)
        return rc;
    if ((rc = check_target(store_dir, store_file)) != 0)
        return rc;
    if ((rc = read_manifest(manifest_path, &m)) != 0)
        return rc;
    if ((rc = path_in(data, backup_dir, m.name)) != 0)
        return rc;
    uint8_t *buf = malloc(IO_CHUNK);
    if (!buf)
        return eng_fail(ENOMEM, "out of memory for the restore");
    if ((rc = verify_file(data, &m, buf)) != 0)
        goto done;
    if ((rc = make_dir(store_dir, &made_dir)) != 0)
        goto done;
    if ((rc = write_store_file(data, tmp, &m, buf)) != 0)
        goto done;
    if ((rc = publish(tmp, store_file)) != 0) {
        unlink(tmp);
        goto done;
    }
    rc = fsync_dir(store_dir);
done:
    free(buf);
    if (rc && made_dir)
        rmdir(store_dir);
    return rc;
}
