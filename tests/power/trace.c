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
 * the workload told its caller commit n was done; power_trace_fault(kind, after, err)
 * makes a later call on either file fail as a failing disk would, once: for kind 'w'
 * the write after @p after more writes fails with errno @p err writing nothing, or,
 * with @p err 0, writes only half its bytes and returns that count; for kind 's' the
 * sync after @p after more syncs (fsync, fdatasync, or msync of any map) fails with
 * errno @p err without syncing, and without a record. power_trace_faults_fired() says
 * whether it struck. Writes through a writable memory map are not seen: the
 * simulation covers stores opened without write_map.
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
static char fault_kind;                  /* 'w', 's', or 0: none armed */
static unsigned fault_after;
static int fault_errno, fault_fired;
static struct stat file_st[2];           /* the data file's and the log's, once they exist */
/* 1: the data file; 2: it, opened O_DSYNC; 3: the log; 4: it, opened O_DSYNC */
static unsigned char watched[MAX_FDS];

static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_msync)(void *, size_t, int);
static int (*real_ftruncate)(int, off_t);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);

__attribute__((constructor)) static void trace_init(void)
{
    real_pwritev = (ssize_t(*)(int, const struct iovec *, int, off_t))dlsym(RTLD_NEXT, "pwritev");
    real_writev = (ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
    real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    real_msync = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "msync");
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

/* 1 when the armed fault of @p kind strikes this call; under the lock. */
static int fault_due(char kind)
{
    if (fault_kind != kind)
        return 0;
    if (fault_after > 0) {
        fault_after--;
        return 0;
    }
    fault_kind = 0;
    fault_fired = 1;
    return 1;
}

#define MAX_IOV 1024

/* Cut @p iov to half its bytes; @return its new count. */
static int halve(struct iovec *iov, int cnt)
{
    size_t total = 0;
    for (int i = 0; i < cnt; i++)
        total += iov[i].iov_len;
    size_t keep = total / 2;
    for (int i = 0; i < cnt; i++) {
        if (keep <= iov[i].iov_len) {
            iov[i].iov_len = keep;
            return keep ? i + 1 : i;
        }
        keep -= iov[i].iov_len;
    }
    return cnt;
}

/* Every write to a watched file: at @p off, or at the descriptor's offset when
 * @p positional is 0. A due write fault fails it, or cuts it to half its bytes. */
static ssize_t traced_write(int fd, const struct iovec *iov, int cnt, off_t off, int positional)
{
    if (!is_watched(fd) || cnt > MAX_IOV)
        return positional ? real_pwritev(fd, iov, cnt, off) : real_writev(fd, iov, cnt);
    pthread_mutex_lock(&lock);
    if (!positional)
        off = lseek(fd, 0, SEEK_CUR);
    struct iovec cut[MAX_IOV];
    memcpy(cut, iov, (size_t)cnt * sizeof *iov);
    ssize_t rc = -1;
    int due = fault_due('w');
    if (due && fault_errno) {
        errno = fault_errno;
    } else {
        if (due)
            cnt = halve(cut, cnt);
        rc = positional ? real_pwritev(fd, cut, cnt, off) : real_writev(fd, cut, cnt);
        record_writes(fd, cut, cnt, off, rc);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    struct iovec one = {(void *)buf, n};
    return traced_write(fd, &one, 1, off, 1);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) __attribute__((alias("pwrite")));

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    return traced_write(fd, iov, cnt, off, 1);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    return traced_write(fd, iov, cnt, 0, 0);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    struct iovec one = {(void *)buf, n};
    return traced_write(fd, &one, 1, 0, 0);
}

/* The sync @p real of @p fd, or the fault due; under the lock. */
static int sync_or_fail(int (*real)(int), int fd)
{
    if (fault_due('s')) {
        errno = fault_errno;
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

/* A map's sync: only a fault is injected (writes through maps are not traced). */
int msync(void *addr, size_t len, int flags)
{
    if (trace_fd < 0)
        return real_msync(addr, len, flags);
    pthread_mutex_lock(&lock);
    int due = fault_due('s');
    pthread_mutex_unlock(&lock);
    if (due) {
        errno = fault_errno;
        return -1;
    }
    return real_msync(addr, len, flags);
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

void power_trace_fault(char kind, unsigned after, int err);
void power_trace_fault(char kind, unsigned after, int err)
{
    pthread_mutex_lock(&lock);
    fault_kind = kind;
    fault_after = after;
    fault_errno = err;
    fault_fired = 0;
    pthread_mutex_unlock(&lock);
}

int power_trace_faults_fired(void);
int power_trace_faults_fired(void)
{
    pthread_mutex_lock(&lock);
    int fired = fault_fired;
    pthread_mutex_unlock(&lock);
    return fired;
}
