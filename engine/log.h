/* log.h: the redo log in front of LMDB (redo.log beside data.mdb), and what its files
 * share:
 *
 *   log_file.c        the file: whole reads and writes, lock bytes, the header slots,
 *                     the position record
 *   log_replay.c      the records after a checkpoint read back and applied
 *   log_checkpoint.c  the pin, the commit section, checkpoints
 *   log_write.c       a transaction's changes recorded, appended at commit, synced
 *   log.c             the log opened (recovering the store), the background thread,
 *                     the log closed
 *
 * A write transaction records every change it makes to LMDB (put, delete, emptied or
 * deleted database, created database) and, at commit, appends them to the log as one
 * record before LMDB commits without syncing; a record whose LMDB commit then fails is
 * erased before any other writer may append (the commit section). A durable commit
 * returns once an fdatasync of the log covers its record; threads waiting at once
 * share one fdatasync (group commit). The relaxed mode's flusher syncs the log every
 * interval.
 *
 * LMDB's own file is synced only at a checkpoint: under LMDB's writer lock, the data
 * file is synced and the log's header names that commit (its transaction id, its meta
 * page, the last sequence number it holds) under a new epoch; the records that follow
 * it start again at ENG_LOG_START. A power cut can leave LMDB's newer commits torn, so
 * recovery puts the checkpoint's meta page back in both of LMDB's meta slots and
 * replays the log's records after it, each applied once by its sequence number (the
 * data file's "log" meta record says the last one applied). That is sound only while
 * no page of the checkpoint's snapshot is reused: LMDB reuses no page a reader still
 * sees, so every write transaction runs while a read transaction of the checkpoint's
 * snapshot (the pin) is held by a live process: its own, or one holding the epoch's
 * lock byte (PIN_LOCK + epoch, an OFD read lock taken with the pin). A writer that
 * finds no pin for the current epoch makes a checkpoint of its own first.
 *
 * Layout. Two header slots at 0 and HDR_SLOT, each checksummed; the valid one of the
 * higher epoch counts (a torn header write leaves the other). Records from
 * ENG_LOG_START:
 *   magic u32 'QSLR' | payload length u32 | lsn u64 | epoch u64 | payload |
 *   xxh3-64 of all before it, u64
 * and a record counts only if its checksum, its epoch (the header's) and its lsn (one
 * past the previous) hold: the first that fails ends the log. The payload is the
 * transaction's changes in order, each
 *   'P' db key value | 'D' db key value | 'E' db | 'X' db | 'C' db flags u32
 * (put; delete, of that value if the database has sorted duplicates; empty; delete the
 * database; create it) where db is u8 length + name, key u16 length + bytes, value u32
 * length + bytes, all big-endian: a change feed can read them without the engine.
 */
#ifndef QS_LOG_H
#define QS_LOG_H

#include <sys/types.h>

#include "engine_int.h"

#define LOG_NAME "redo.log"
#define HDR_SLOT 512
#define HDR_MAGIC 0x51534c4f47484452ULL   /* "QSLOGHDR" */
#define HDR_SIZE (4 * 8 + 4 + ENG_META_BYTES + 8)
#define REC_MAGIC 0x51534c52u             /* "QSLR" */
#define REC_HEAD 24
#define REC_TAIL 8
#define PIN_LOCK (1LL << 40)
#define OPEN_LOCK 0
#define COMMIT_LOCK 1   /* held from a record's append to the end of its LMDB commit */
#define READ_LOCK 2     /* held (shared) by read-only handles, for qs_compact() to see */
/* A checkpoint is made by the background thread past the soft limits, and by a
 * writer itself past the hard ones; each checkpoint lets LMDB reuse the pages the
 * commits since the one before freed. Bounding those pinned pages bounds the file:
 * it holds the live pages, the pages freed before the checkpoint (reused first) and
 * those freed since. */
#define SOFT_COMMITS 4096
#define HARD_COMMITS (4 * SOFT_COMMITS)
#define HARD_BYTES (64u << 20)
#define HARD_PINNED (256u << 20)   /* or a sixteenth of the map, if less */
#define SOFT_PINNED_PART 4          /* the soft limit: a quarter of the hard one */
#define CHECKPOINT_MS 5000
/* A transaction's changes past this are not logged: it commits by a checkpoint. */
#define TXN_LOG_MAX (64u << 20)
#define POS_KEY "log"
#define REPLAY_BATCH 256   /* records applied per LMDB transaction in a recovery */

typedef struct log_header {
    uint64_t epoch, lsn, txnid;
    uint32_t psize;
    uint8_t meta[ENG_META_BYTES];
} log_header;

/* log_file.c */
/* All @p n bytes at offset @p off, retrying: 0 or an errno (a read past the end:
 * QS_NOTFOUND). */
int eng_log_write_all(int fd, const void *p, size_t n, uint64_t off);
int eng_log_read_all(int fd, void *p, size_t n, uint64_t off);
/* An OFD lock @p cmd of @p type on byte @p at: 0 or an errno. */
int eng_log_lock_byte(int fd, int cmd, short type, off_t at);
/* 1 when an open file description other than ours holds a lock on byte @p at. */
int eng_log_locked_elsewhere(int fd, off_t at);
/* The header of the log open as @p fd: 0, QS_NOTFOUND when no slot holds one. */
int eng_log_header_read(int fd, log_header *h);
/* Write @p h to its slot (by epoch) and sync the log. */
int eng_log_header_write(qs_env *env, const log_header *h);
/* The "log" meta record of write transaction @p m's snapshot, read and written. */
int eng_log_pos_read(qs_env *env, MDB_txn *m, eng_log_pos *pos);
int eng_log_pos_write(qs_env *env, MDB_txn *m, const eng_log_pos *pos);

/* log_replay.c */
/* 1 when a record follows the checkpoint of @p h. */
int eng_log_records_follow(int fd, const log_header *h);
/* Apply the records past the checkpoint of @p h, in transactions of their own
 * (guarded: eng_guarded()). */
int eng_log_replay(qs_env *env, const log_header *h);

/* log_checkpoint.c */
/* Let the pinned snapshot go (its reader slot kept unless @p end); pin_lock held. */
void eng_log_pin_release(qs_env *env, int end);
/* Pin the newest snapshot, which must be commit @p txnid, for epoch @p epoch. */
int eng_log_pin_take(qs_env *env, uint64_t epoch, uint64_t txnid);
/* The commit section: from a record's append to the end of its LMDB commit. */
int eng_log_section_enter(qs_env *env);
void eng_log_section_leave(qs_env *env);
/* 1 when the commits since checkpoint @p h freed more pages than the hard limit (or,
 * unless @p hard, the soft one). */
int eng_log_pinned_past(qs_env *env, const log_header *h, int hard);

#endif /* QS_LOG_H */
