/* backup.h: what the backup (backup.c) and the restore (restore.c) share: the
 * layout of a backup directory and the file helpers (backup_files.c).
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
 * file, so neither the store nor the file is ever held in memory. The file is written
 * as NAME.partial and given its name once whole: a backup cut short (killed, a full
 * disk) leaves no data file, and its partial one is written over by the next try.
 * Before copying, every page of the store is checked (eng_pages_check): a damaged
 * store is not backed up.
 *
 * Restore parses the manifest, checks the data file's size and hash, and only then
 * writes store_dir/data.mdb: first under a temporary name, fsynced, then linked to
 * its name (never over an existing store).
 */
#ifndef QS_BACKUP_H
#define QS_BACKUP_H

#include <stdint.h>
#include <sys/types.h>

#define BACKUP_FORMAT 1
#define BACKUP_ZSTD_LEVEL 3
#define MANIFEST_NAME "MANIFEST"
#define MANIFEST_TMP "MANIFEST.tmp"
#define MANIFEST_MAX 4096           /* bytes; a real one is about 250 */
#define DATA_NAME "data.mdb"
#define DATA_ZST_NAME "data.mdb.zst"
#define PARTIAL_SUFFIX ".partial"   /* a data file being written */
#define RESTORE_TMP DATA_NAME PARTIAL_SUFFIX
#define IO_CHUNK (1024 * 1024)      /* LMDB's copy writes 1 MiB buffers */

typedef struct manifest {
    uint64_t store_format;
    char name[16];              /* DATA_NAME or DATA_ZST_NAME */
    int compressed;
    uint64_t size, hash;        /* of the file */
    uint64_t raw_size, raw_hash;   /* of its decompressed bytes (compressed only) */
} manifest;

/* ---- backup_files.c: files and directories; failures set the detail, naming the path */

/* "DIR/NAME" into @p out (PATH_MAX bytes): 0, or ENAMETOOLONG. */
int bk_path_in(char *out, const char *dir, const char *name);
/* errno, with "WHAT PATH: strerror" as the detail. */
int bk_sys_fail(const char *what, const char *path);
/* Whether anything exists at @p path. */
int bk_exists(const char *path);
/* Write all @p n bytes, retrying short writes and EINTR: 0 or -1 (errno set). */
int bk_write_all(int fd, const void *buf, size_t n);
/* read() that retries on EINTR; returns bytes read, 0 at the end, -1 on error. */
ssize_t bk_read_some(int fd, void *buf, size_t n);
/* fsync a directory, so that an entry made in it lasts. */
int bk_fsync_dir(const char *dir);
/* The parent directory of @p path, for fsyncing a new entry in it. */
void bk_parent_of(const char *path, char *out);
/* Whether @p a and @p b name the same existing directory (or file). */
int bk_same_file(const char *a, const char *b);
/* Make directory @p dir unless it exists; *created tells whether it was made. */
int bk_make_dir(const char *dir, int *created);
/* Give file @p tmp its final name @p path without ever replacing a file there:
 * QS_EXISTS if @p path exists. Filesystems without hard links fall back to rename. */
int bk_publish(const char *tmp, const char *path);
/* @p v as 16 lowercase hex digits. */
void bk_hex64(uint64_t v, char out[17]);

#endif /* QS_BACKUP_H */
