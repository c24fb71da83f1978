/* restore.c: qs_restore(): a backup checked against its manifest, then written as a
 * store (the layout: backup.h). */
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
#include "util/number.h"

/* ------------------------------------------------------------------ manifest */



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

/* A decimal as the manifest writes it: no leading zeros. */
static int parse_dec(const char *s, uint64_t *v)
{
    size_t len = strlen(s);
    if (len > 1 && s[0] == '0')
        return -1;
    return ut_parse_u64(s, len, v);
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
        return bk_sys_fail("open", path);
    for (;;) {
        ssize_t r = bk_read_some(fd, text + len, sizeof text - len);
        if (r < 0) {
            int rc = bk_sys_fail("read", path);
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
    ssize_t r = bk_read_some(s->fd, buf, cap);
    if (r < 0)
        return bk_sys_fail("read", s->path);
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
        return bk_sys_fail("open", path);
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
        rc = bk_sys_fail("stat", path);
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
    size_t n = 0;
    int rc;
    while ((rc = source_read(s, buf, IO_CHUNK, &n)) == 0 && n > 0)
        if (bk_write_all(out, buf, n) != 0)
            return bk_sys_fail("write", out_path);
    return rc;
}

static int copy_unzstd(source *s, int out, const char *out_path, const manifest *m,
                       uint8_t *buf)
{
    /* A context of its own: streaming state must not leak into the engine's. */
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    size_t out_cap = ZSTD_DStreamOutSize(), n = 0, left = 1;
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
            else if (bk_write_all(out, obuf, o.pos) != 0)
                rc = bk_sys_fail("write", out_path);
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
        rc = bk_sys_fail("create", tmp);
        source_close(&s);
        return rc;
    }
    rc = m->compressed ? copy_unzstd(&s, out, tmp, m, buf) : copy_plain(&s, out, tmp, buf);
    if (!rc)
        rc = source_matches(&s, m);
    if (!rc && fsync(out) != 0)
        rc = bk_sys_fail("fsync", tmp);
    if (close(out) != 0 && !rc)
        rc = bk_sys_fail("close", tmp);
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
        return errno == ENOENT ? 0 : bk_sys_fail("stat", store_dir);
    if (!S_ISDIR(st.st_mode))
        return eng_fail(ENOTDIR, "%s: not a directory", store_dir);
    if (bk_exists(store_file))
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
    if ((rc = bk_path_in(manifest_path, backup_dir, MANIFEST_NAME)) != 0 ||
        (rc = bk_path_in(store_file, store_dir, DATA_NAME)) != 0 ||
        (rc = bk_path_in(tmp, store_dir, RESTORE_TMP)) != 0)
        return rc;
    if (bk_same_file(backup_dir, store_dir))
        return eng_fail(QS_INVALID, "%s is the backup's own directory: restore into another "
                        "one", store_dir);
    if ((rc = check_target(store_dir, store_file)) != 0)
        return rc;
    eng_process_init();   /* EFBIG past RLIMIT_FSIZE, not SIGXFSZ */
    if ((rc = read_manifest(manifest_path, &m)) != 0)
        return rc;
    if ((rc = bk_path_in(data, backup_dir, m.name)) != 0)
        return rc;
    uint8_t *buf = malloc(IO_CHUNK);
    if (!buf)
        return eng_fail(ENOMEM, "out of memory for the restore");
    if ((rc = verify_file(data, &m, buf)) != 0)
        goto done;
    if ((rc = bk_make_dir(store_dir, &made_dir)) != 0)
        goto done;
    if ((rc = write_store_file(data, tmp, &m, buf)) != 0)
        goto done;
    if ((rc = bk_publish(tmp, store_file)) != 0) {
        unlink(tmp);
        goto done;
    }
    rc = bk_fsync_dir(store_dir);
done:
    free(buf);
    if (rc && made_dir)
        rmdir(store_dir);
    return rc;
}

