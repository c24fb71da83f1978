/* sound.c: which data files a page walk found sound, and are unchanged since.
 *
 * A page walk reads every page of the file: O(size) at every open. The engine
 * remembers, per user, the data files a walk found sound: their device, inode, size,
 * change and modification times, and the newest commit walked. An open that finds the
 * same five (nothing has written the file since, neither LMDB nor anything else) skips
 * the walk, when that walk checked what its own would (ENG_WALK_EDITION). The table
 * lives in shared memory (/dev/shm/quizstore-sound-UID): shared by every process of the
 * user, forgotten at reboot, so the first open after a power cut walks. Its slots are
 * picked by inode; a collision, a torn slot or a missing table only cost a walk.
 *
 * A walk is remembered only when the file's change time is over a second old when the
 * walk starts: a file system's clock may run in ticks of several milliseconds, and a
 * write in the tick the walk saw would leave the change time as it was.
 *
 * slot (64 bytes)     offset size
 *   dev, ino               0  8+8
 *   size                  16    8
 *   ctime, mtime (ns)     24  8+8
 *   txnid                 40    8
 *   walk edition          48    8
 *   xxh64 of bytes 0-55   56    8
 */
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "engine_int.h"

#define SLOTS 512
#define SETTLED_NS 1000000000LL   /* a change time this old cannot recur */

typedef struct slot {
    uint64_t dev, ino, size, ctime_ns, mtime_ns, txnid, edition, sum;
} slot;

static uint64_t ns_of(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static slot slot_of(const struct stat *st, uint64_t txnid)
{
    slot s = {.dev = st->st_dev, .ino = st->st_ino, .size = (uint64_t)st->st_size,
              .ctime_ns = ns_of(st->st_ctim), .mtime_ns = ns_of(st->st_mtim),
              .txnid = txnid, .edition = ENG_WALK_EDITION};
    s.sum = XXH64(&s, offsetof(slot, sum), 0);
    return s;
}

/* The table, opened for reading or writing; -1 when there is none, or when it is not
 * a regular file of this user's alone. */
static int table_open(int writing)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm/quizstore-sound-%u", (unsigned)geteuid());
    int fd = open(path, (writing ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW,
                  0600);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077)) {
        close(fd);
        return -1;
    }
    return fd;
}

static off_t slot_offset(const struct stat *st)
{
    return (off_t)((st->st_ino ^ st->st_dev) % SLOTS) * (off_t)sizeof(slot);
}

int eng_sound_known(int fd, uint64_t txnid, eng_sound_probe *p)
{
    slot s;
    p->txnid = txnid;
    if (fstat(fd, &p->st) != 0 || clock_gettime(CLOCK_REALTIME, &p->at) != 0)
        return 0;
    int table = table_open(0);
    if (table < 0)
        return 0;
    ssize_t n = pread(table, &s, sizeof s, slot_offset(&p->st));
    close(table);
    slot want = slot_of(&p->st, txnid);
    return n == (ssize_t)sizeof s && memcmp(&s, &want, sizeof s) == 0;
}

void eng_sound_remember(int fd, const eng_sound_probe *p)
{
    struct stat after;
    slot s = slot_of(&p->st, p->txnid);
    /* written too lately before the walk to be told from a later write, or during it */
    if (ns_of(p->at) < s.ctime_ns + SETTLED_NS || fstat(fd, &after) != 0)
        return;
    slot again = slot_of(&after, p->txnid);
    if (memcmp(&s, &again, sizeof s) != 0)
        return;
    int table = table_open(1);
    if (table < 0)
        return;
    ssize_t n = pwrite(table, &s, sizeof s, slot_offset(&p->st));
    (void)n;   /* a slot not written only costs the next open a walk */
    close(table);
}
