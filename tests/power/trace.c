/* trace.c: a preloaded library that records what a process writes to a store's files
 * and when it syncs them, for the power-cut simulation of power_test.c.
 *
 * LD_PRELOAD=libpowertrace.so POWER_TRACE=FILE POWER_DATA=PATH POWER_LOG=PATH: every
 * write to either PATH (pwrite, pwrite64, pwritev, writev and write at the
 * descriptor's offset), every sync of it (fsync, fdatasync, and a write through a
 * descriptor opened O_DSYNC or O_SYNC) and every ftruncate is appended to FILE. The
 * calls on the files are serialised with their records, so that the trace's order is
 * the order they reached the file system: a write recorded before a sync had
 * returned before that sync began. Found with dlsym(): power_trace_ack(n) records that
 * the workload told its caller commit n was done; power_trace_fail_next_sync() makes
 * the next fsync or fdatasync of either file fail with EIO without syncing (and
 * without a record), as a disk error would. Writes through a writable memory map are
 * not seen: the simulation covers stores opened without write_map.
 *
 * record: type u8 ('W' write, 'S' sync, 'T' truncate of the data file; 'w', 's', 't'
 * of the log; 'A' ack), offset u64 (the value of T and A), length u32, then length
 * bytes (W).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 1024

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int trace_fd = -1;
static int fail_next_sync;
static struct stat file_st[2];           /* the data file's and the log's, once they exist */
/* 1: the data file; 2: it, opened O_DSYNC; 3: the log; 4: it, opened O_DSYNC */
static unsigned char watched[MAX_FDS];

static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_ftruncate)(int, off_t);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);

__attribute__((constructor)) static void trace_init(void)
{
    real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    real_pwritev = (ssize_t(*)(int, const struct iovec *, int, off_t))dlsym(RTLD_NEXT, "pwritev");
    real_writev = (ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
    real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    real_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
    real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    const char *path = getenv("POWER_TRACE");
    if (path)
        trace_fd = real_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static void put_all(const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = real_write(trace_fd, c, n);
        if (w <= 0)
            abort();   /* a trace with a hole would simulate states that never were */
        c += w;
        n -= (size_t)w;
    }
}

/* One record of descriptor @p fd's file (the data file's type, lowered for the log);
 * the caller holds the lock. */
static void record(int fd, char type, uint64_t value, const void *data, uint32_t len)
{
    if (fd >= 0 && watched[fd] > 2)
        type = (char)(type - 'A' + 'a');
    unsigned char head[13];
    head[0] = (unsigned char)type;
    memcpy(head + 1, &value, 8);
    memcpy(head + 9, &len, 4);
    put_all(head, sizeof head);
    if (len)
        put_all(data, len);
}

static int is_watched(int fd)
{
    return trace_fd >= 0 && fd >= 0 && fd < MAX_FDS && watched[fd];
}

/* The write of @p iov at @p off that returned @p done; the caller holds the lock. */
static void record_writes(int fd, const struct iovec *iov, int cnt, off_t off, ssize_t done)
{
    size_t left = done > 0 ? (size_t)done : 0;
    for (int i = 0; i < cnt && left; i++) {
        size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
        record(fd, 'W', (uint64_t)off, iov[i].iov_base, (uint32_t)n);
        off += (off_t)n;
        left -= n;
    }
    if (watched[fd] % 2 == 0 && done > 0)
        record(fd, 'S', 0, NULL, 0);
}

static void watch(int fd, int flags)
{
    static const char *const vars[2] = {"POWER_DATA", "POWER_LOG"};
    struct stat st;
    if (fd < 0 || fd >= MAX_FDS || fstat(fd, &st) != 0)
        return;
    watched[fd] = 0;
    for (int f = 0; f < 2; f++) {
        const char *path = getenv(vars[f]);
        if (!file_st[f].st_ino && (!path || stat(path, &file_st[f]) != 0))
            continue;
        if (st.st_dev == file_st[f].st_dev && st.st_ino == file_st[f].st_ino)
            watched[fd] = (unsigned char)(2 * f + ((flags & (O_DSYNC | O_SYNC)) ? 2 : 1));
    }
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
    va_end(ap);
    int fd = real_open(path, flags, mode);
    watch(fd, flags);
    return fd;
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dir, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
    va_end(ap);
    int fd = real_openat(dir, path, flags, mode);
    watch(fd, flags);
    return fd;
}

/* The calls on a watched descriptor: under the lock, and recorded. */
#define TRACED(fd, call, rec)                                                            \
    do {                                                                                 \
        if (!is_watched(fd))                                                             \
            return call;                                                                 \
        pthread_mutex_lock(&lock);                                                       \
        __typeof__(call) rc_ = call;                                                     \
        rec;                                                                             \
        pthread_mutex_unlock(&lock);                                                     \
        return rc_;                                                                      \
    } while (0)

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    struct iovec one = {(void *)buf, n};
    TRACED(fd, real_pwrite(fd, buf, n, off), record_writes(fd, &one, 1, off, rc_));
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) __attribute__((alias("pwrite")));

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    TRACED(fd, real_pwritev(fd, iov, cnt, off), record_writes(fd, iov, cnt, off, rc_));
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    off_t off = is_watched(fd) ? lseek(fd, 0, SEEK_CUR) : 0;
    TRACED(fd, real_writev(fd, iov, cnt), record_writes(fd, iov, cnt, off, rc_));
}

ssize_t write(int fd, const void *buf, size_t n)
{
    off_t off = is_watched(fd) ? lseek(fd, 0, SEEK_CUR) : 0;
    struct iovec one = {(void *)buf, n};
    TRACED(fd, real_write(fd, buf, n), record_writes(fd, &one, 1, off, rc_));
}

/* The sync @p real of @p fd, or the failure asked for; under the lock. */
static int sync_or_fail(int (*real)(int), int fd)
{
    if (fail_next_sync) {
        fail_next_sync = 0;
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int fsync(int fd)
{
    TRACED(fd, sync_or_fail(real_fsync, fd), if (rc_ == 0) record(fd, 'S', 0, NULL, 0));
}

int fdatasync(int fd)
{
    TRACED(fd, sync_or_fail(real_fdatasync, fd), if (rc_ == 0) record(fd, 'S', 0, NULL, 0));
}

int ftruncate(int fd, off_t size)
{
    TRACED(fd, real_ftruncate(fd, size), if (rc_ == 0) record(fd, 'T', (uint64_t)size, NULL, 0));
}

int ftruncate64(int fd, off_t size) __attribute__((alias("ftruncate")));

/* Commit @p n was reported done to the workload's caller. */
void power_trace_ack(uint64_t n);
void power_trace_ack(uint64_t n)
{
    if (trace_fd < 0)
        return;
    pthread_mutex_lock(&lock);
    record(-1, 'A', n, NULL, 0);
    pthread_mutex_unlock(&lock);
}

void power_trace_fail_next_sync(void);
void power_trace_fail_next_sync(void)
{
    pthread_mutex_lock(&lock);
    fail_next_sync = 1;
    pthread_mutex_unlock(&lock);
}
