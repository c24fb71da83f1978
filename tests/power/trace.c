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
 * whether it struck. Writes through a writable shared map of the data file
 * (write_map) are found by comparing the map, page by page, with a copy of what was
 * last recorded, before every record and every sync: each page that changed is
 * recorded as a write of it at that point (the kernel may write a dirty page back at
 * any time, so a page changed twice between two records may also reach the disk as
 * it was in between; the store's pages that recovery relies on are written by no
 * commit after the checkpoint that names them, and its meta pages are put back).
 *
 * POWER_BACKUP=DIR: the files created in DIR are traced as well, each by the number
 * of its creation (its slot), and so are the changes to DIR's entries and DIR's own
 * syncs; power_trace_backup_done() records that a backup into DIR was reported done.
 * A file of DIR renamed to the data file's path (a compaction puts its new file in
 * place) is recorded as 'M', and the syncs of the data file's directory as 'E'; the
 * data file is the file at its path when it is opened, so the writes to the new one
 * are the data file's from then on.
 *
 * record: type u8, value u64, length u32, then length bytes. Types: 'W' write (value:
 * its offset, bytes: what it wrote), 'S' sync, 'T' truncate (value: the size) of the
 * data file; 'w', 's', 't' of the log; 'A' ack (value: commits done). In DIR: 'N' a
 * file created (value: its slot, bytes: its name), 'X' a write to a slot's file
 * (value: slot << 48 | offset), 'Y' a sync of one (value: its slot), 'L' a link and
 * 'R' a rename (bytes: the old name, NUL, the new name), 'U' an unlink (bytes: the
 * name), 'D' a sync of DIR; 'K' the backup reported done; 'M' a file of DIR renamed
 * to the data file's path (bytes: its name in DIR), 'E' a sync of the data file's
 * directory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 1024

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int trace_fd = -1;
static char fault_kind;                  /* 'w', 's', or 0: none armed */
static unsigned fault_after;
static int fault_errno, fault_fired;
static struct stat file_st[2];           /* the data file's and the log's, as last opened */
/* 1: the data file; 2: it, opened O_DSYNC; 3: the log; 4: it, opened O_DSYNC;
 * BACKUP_FILE: a file created in the backup directory; BACKUP_DIR: that directory;
 * STORE_DIR: the data file's (odd, as the kinds whose writes are not syncs: see
 * record_writes) */
enum { BACKUP_FILE = 5, BACKUP_DIR = 7, STORE_DIR = 9 };
static unsigned char watched[MAX_FDS];
static unsigned backup_slot[MAX_FDS];    /* of a BACKUP_FILE descriptor */
static unsigned backup_files;            /* slots given so far */
static const char *backup_dir;           /* POWER_BACKUP, or NULL */
/* the data file's writable map, and a copy of it as last recorded */
#define MAP_PAGE 4096
static uint8_t *map_base, *map_copy;
static size_t map_len;

static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_msync)(void *, size_t, int);
static int (*real_ftruncate)(int, off_t);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_link)(const char *, const char *);
static int (*real_rename)(const char *, const char *);
static int (*real_unlink)(const char *);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);

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
    real_link = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
    real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    real_unlink = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
    backup_dir = getenv("POWER_BACKUP");
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

/* One record as it is written (see the layout above); the caller holds the lock. */
static void record_raw(char type, uint64_t value, const void *data, uint32_t len)
{
    unsigned char head[13];
    head[0] = (unsigned char)type;
    memcpy(head + 1, &value, 8);
    memcpy(head + 9, &len, 4);
    put_all(head, sizeof head);
    if (len)
        put_all(data, len);
}

/* Every page of the data file's map that changed since it was last recorded, as a
 * write; the caller holds the lock. */
static void map_changes(void)
{
    for (size_t off = 0; map_base && off + MAP_PAGE <= map_len; off += MAP_PAGE)
        if (memcmp(map_base + off, map_copy + off, MAP_PAGE) != 0) {
            memcpy(map_copy + off, map_base + off, MAP_PAGE);
            record_raw('W', off, map_copy + off, MAP_PAGE);
        }
}

/* One record of descriptor @p fd's file: @p type is the data file's ('W', 'S', 'T'),
 * lowered for the log, and a backup file's write and sync become 'X' and 'Y' (a
 * sync of the backup directory 'D'); the caller holds the lock. */
static void record(int fd, char type, uint64_t value, const void *data, uint32_t len)
{
    if (fd >= 0 && watched[fd] == BACKUP_FILE) {
        uint64_t slot = backup_slot[fd];
        type = type == 'W' ? 'X' : type == 'S' ? 'Y' : '?';
        value = type == 'X' ? slot << 48 | value : slot;
    } else if (fd >= 0 && watched[fd] == BACKUP_DIR) {
        type = 'D';
    } else if (fd >= 0 && watched[fd] == STORE_DIR) {
        type = 'E';
    } else if (fd >= 0 && watched[fd] > 2) {
        type = (char)(type - 'A' + 'a');
    }
    map_changes();
    record_raw(type, value, data, len);
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

/* The name of @p path within the backup directory ("" for the directory itself), or
 * NULL when it is elsewhere. */
static const char *in_backup_dir(const char *path)
{
    size_t n = backup_dir ? strlen(backup_dir) : 0;
    if (!n || !path || strncmp(path, backup_dir, n) != 0)
        return NULL;
    if (path[n] == '\0')
        return "";
    return path[n] == '/' && !strchr(path + n + 1, '/') ? path + n + 1 : NULL;
}

/* Descriptor @p fd, just opened on @p path: a file created in the backup directory
 * gets the next slot, the directory itself is watched for its syncs. */
static int watch_backup(int fd, const char *path, int flags)
{
    const char *name = in_backup_dir(path);
    if (!name || fd < 0 || fd >= MAX_FDS)
        return 0;
    if (*name == '\0') {
        watched[fd] = BACKUP_DIR;
    } else if (flags & O_CREAT) {
        pthread_mutex_lock(&lock);
        watched[fd] = BACKUP_FILE;
        backup_slot[fd] = ++backup_files;
        record(-1, 'N', backup_slot[fd], name, (uint32_t)strlen(name));
        pthread_mutex_unlock(&lock);
    }
    return 1;
}

/* Whether @p st is the directory that holds the data file. */
static int is_store_dir(const struct stat *st)
{
    const char *data = getenv("POWER_DATA");
    char dir[4096];
    struct stat d;
    const char *slash = data ? strrchr(data, '/') : NULL;
    if (!slash || !S_ISDIR(st->st_mode) || (size_t)(slash - data) >= sizeof dir)
        return 0;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - data), data);
    return stat(dir, &d) == 0 && d.st_dev == st->st_dev && d.st_ino == st->st_ino;
}

static void watch(int fd, const char *path, int flags)
{
    static const char *const vars[2] = {"POWER_DATA", "POWER_LOG"};
    struct stat st;
    if (fd < 0 || fd >= MAX_FDS || fstat(fd, &st) != 0)
        return;
    watched[fd] = 0;
    if (trace_fd >= 0 && watch_backup(fd, path, flags))
        return;
    if (trace_fd >= 0 && is_store_dir(&st)) {
        watched[fd] = STORE_DIR;
        return;
    }
    for (int f = 0; f < 2; f++) {
        const char *store_file = getenv(vars[f]);
        /* the file at the path now: a compaction replaces the data file */
        if (!store_file || stat(store_file, &file_st[f]) != 0)
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
    watch(fd, path, flags);
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
    watch(fd, dir == AT_FDCWD ? path : NULL, flags);
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

/* The sync @p real of @p fd, or the fault due; under the lock. What the map holds
 * is recorded first: the sync covers it. */
static int sync_or_fail(int (*real)(int), int fd)
{
    map_changes();
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

/* A map's sync, or the fault due: a sync of the data file's map is recorded as the
 * data file's. */
int msync(void *addr, size_t len, int flags)
{
    if (trace_fd < 0)
        return real_msync(addr, len, flags);
    pthread_mutex_lock(&lock);
    int rc = -1;
    map_changes();
    if (fault_due('s'))
        errno = fault_errno;
    else if ((rc = real_msync(addr, len, flags)) == 0 && map_base &&
             (uint8_t *)addr == map_base && (flags & MS_SYNC))
        record_raw('S', 0, NULL, 0);
    pthread_mutex_unlock(&lock);
    return rc;
}

/* A writable shared map of the data file from its start: traced from its contents
 * now, which the file holds. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!real_mmap)   /* a sanitizer's runtime maps memory before the constructor ran */
        real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    void *p = real_mmap(addr, len, prot, flags, fd, off);
    struct stat st;
    if (p == MAP_FAILED || !is_watched(fd) || watched[fd] > 2 || !(prot & PROT_WRITE) ||
        !(flags & MAP_SHARED) || off != 0 || fstat(fd, &st) != 0)
        return p;
    pthread_mutex_lock(&lock);
    if (!map_base) {
        map_len = (size_t)st.st_size < len ? (size_t)st.st_size : len;
        map_copy = malloc(map_len);
        if (!map_copy)
            abort();
        memcpy(map_copy, p, map_len);
        map_base = p;
    }
    pthread_mutex_unlock(&lock);
    return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
    __attribute__((alias("mmap")));

int munmap(void *addr, size_t len)
{
    if (!real_munmap)
        real_munmap = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
    pthread_mutex_lock(&lock);
    if (map_base && (uint8_t *)addr == map_base) {
        map_changes();
        map_base = NULL;
        free(map_copy);
        map_copy = NULL;
    }
    pthread_mutex_unlock(&lock);
    return real_munmap(addr, len);
}

int ftruncate(int fd, off_t size)
{
    TRACED(fd, real_ftruncate(fd, size), if (rc_ == 0) record(fd, 'T', (uint64_t)size, NULL, 0));
}

int ftruncate64(int fd, off_t size) __attribute__((alias("ftruncate")));

/* A change of the backup directory's entries: @p type with the names of @p from and
 * @p to (NULL for an unlink), when both are in the directory and the call succeeded. */
static int traced_entry(char type, int rc, const char *from, const char *to)
{
    const char *a = in_backup_dir(from), *b = to ? in_backup_dir(to) : "";
    if (rc == 0 && trace_fd >= 0 && a && *a && b) {
        char names[2 * 256];
        int n = snprintf(names, sizeof names, "%s%c%s", a, '\0', b);
        record(-1, type, 0, names, (uint32_t)(to ? n : (int)strlen(a)));
    }
    return rc;
}

#define ENTRY_CALL(type, call, from, to)                                                 \
    do {                                                                                 \
        pthread_mutex_lock(&lock);                                                       \
        int rc_ = traced_entry(type, call, from, to);                                    \
        pthread_mutex_unlock(&lock);                                                     \
        return rc_;                                                                      \
    } while (0)

int link(const char *from, const char *to)
{
    ENTRY_CALL('L', real_link(from, to), from, to);
}

/* The rename of file @p from of the backup directory over the data file's path @p to
 * (a compaction's new file put in place): 'M' with its name. */
static int traced_move(int rc, const char *from, const char *to)
{
    const char *name = in_backup_dir(from), *data = getenv("POWER_DATA");
    if (rc == 0 && trace_fd >= 0 && name && *name && data && strcmp(to, data) == 0)
        record(-1, 'M', 0, name, (uint32_t)strlen(name));
    return rc;
}

int rename(const char *from, const char *to)
{
    const char *data = getenv("POWER_DATA");
    if (to && data && strcmp(to, data) == 0) {
        pthread_mutex_lock(&lock);
        int rc = traced_move(real_rename(from, to), from, to);
        pthread_mutex_unlock(&lock);
        return rc;
    }
    ENTRY_CALL('R', real_rename(from, to), from, to);
}

int unlink(const char *path)
{
    ENTRY_CALL('U', real_unlink(path), path, NULL);
}

/* The backup into POWER_BACKUP was reported done. */
void power_trace_backup_done(void);
void power_trace_backup_done(void)
{
    if (trace_fd < 0)
        return;
    pthread_mutex_lock(&lock);
    record(-1, 'K', 0, NULL, 0);
    pthread_mutex_unlock(&lock);
}

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
