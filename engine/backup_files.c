/* backup_files.c: the file and directory helpers of backups and restores (backup.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "engine_int.h"

int bk_path_in(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_MAX)
        return eng_fail(ENAMETOOLONG, "%s/%s: path too long", dir, name);
    return 0;
}

int bk_sys_fail(const char *what, const char *path)
{
    int e = errno ? errno : EIO;
    return eng_fail(e, "%s %s: %s", what, path, strerror(e));
}

int bk_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int bk_write_all(int fd, const void *buf, size_t n)
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
ssize_t bk_read_some(int fd, void *buf, size_t n)
{
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

int bk_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bk_sys_fail("open directory", dir);
    int rc = fsync(fd) == 0 ? 0 : bk_sys_fail("fsync directory", dir);
    close(fd);
    return rc;
}

/* The parent directory of @p path, for fsyncing a new entry in it. */
void bk_parent_of(const char *path, char *out)
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

int bk_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Make directory @p dir unless it exists; *created tells whether it was made. */
int bk_make_dir(const char *dir, int *created)
{
    struct stat st;
    *created = 0;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return eng_fail(ENOTDIR, "%s: not a directory", dir);
        return 0;
    }
    if (errno != ENOENT)
        return bk_sys_fail("stat", dir);
    if (mkdir(dir, 0777) != 0)
        return bk_sys_fail("create directory", dir);
    *created = 1;
    char parent[PATH_MAX];
    bk_parent_of(dir, parent);
    return bk_fsync_dir(parent);
}

/* Give file @p tmp its final name @p path without ever replacing a file there:
 * QS_EXISTS if @p path exists. Filesystems without hard links fall back to rename. */
int bk_publish(const char *tmp, const char *path)
{
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return 0;
    }
    if (errno == EEXIST)
        return eng_fail(QS_EXISTS, "%s exists already", path);
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS)
        return bk_sys_fail("link", path);
    if (bk_exists(path))
        return eng_fail(QS_EXISTS, "%s exists already", path);
    return rename(tmp, path) == 0 ? 0 : bk_sys_fail("rename", path);
}

void bk_hex64(uint64_t v, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, v);
}

