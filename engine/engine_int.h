/* engine_int.h: the engine's private structures, for the engine's own files only. */
#ifndef QS_ENGINE_INT_H
#define QS_ENGINE_INT_H

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <zstd.h>

#include "mdb.h"
#include "rows.h"

#define ENG_MAX_DBS 4096   /* fixed databases plus every time bucket */
#define ENG_MAX_DBI (ENG_MAX_DBS + 2)   /* LMDB's handles: its free and main databases too */
#define ENG_FORMAT 5       /* on-disk format written; 1 to 4 are upgraded at a writable open */
#define ENG_META_BYTES 152 /* an LMDB meta page's header and meta (pages.h) */
#define ENG_LOG_START 4096 /* where the redo log's records begin (log.h) */

/* Where the redo log stands for a write transaction (log_file.c). */
typedef struct eng_log_pos {
    uint64_t epoch;   /* the checkpoint's; 0: the last commit was not logged */
    uint64_t lsn;     /* the last record applied */
    uint64_t end;     /* where the next record goes */
} eng_log_pos;

/* A transaction's changes, as its log record will hold them. */
typedef struct eng_logbuf {
    uint8_t *b;
    size_t n, cap;
    uint64_t at;                /* where the record was appended, while committing */
    int appended;               /* the record is in the log, its LMDB commit not done */
} eng_logbuf;

/* A named bucket database whose handle this process has opened. */
typedef struct eng_handle {
    char name[24];
    MDB_dbi dbi;
} eng_handle;

/* A question-text dictionary, by its zstd dictionary id. */
typedef struct eng_dict {
    uint32_t id;
    ZSTD_CDict *cdict;
    ZSTD_DDict *ddict;
    struct eng_dict *next;
} eng_dict;

/* sealed.c: dictionaries of sealed buckets, by bucket name and dictionary id. */
typedef struct eng_seal_dict {
    char name[24];
    uint32_t id;
    ZSTD_DDict *ddict;
    ZSTD_CDict *cdict;          /* made when the bucket is first written */
    struct eng_seal_dict *next;
} eng_seal_dict;

struct qs_env {
    MDB_env *mdb;
    uintptr_t map_base;         /* where LMDB mapped the data file, 0 if not found */
    uint64_t map_size;
    uint32_t psize;
    int broken;                 /* a fault struck while the engine held a lock, or in a
                                   write transaction */
    int write_abandoned;        /* a fault left LMDB's write transaction half changed:
                                   it is never ended through LMDB (eng_mdb_abort) */
    char damage[160];           /* the first damaged page found at open (read-only), or "":
                                   then only qs_check() runs */
    MDB_dbi dbi[ENG_DB_COUNT];
    qs_options opts;
    qs_period period;
    uint64_t secret;

    /* Bucket handles. mdb_dbi_open() may run in one transaction of the process at a
     * time until that transaction ends: handle_lock serialises it, and
     * handle_txn_open marks a write transaction that opened handles and has not
     * ended yet (others wait on handle_cond). handles_gen is the ENG_META schema
     * generation the table reflects. */
    pthread_mutex_t handle_lock;
    pthread_cond_t handle_cond;
    int handle_txn_open;
    eng_handle *handles;
    size_t n_handles;
    uint64_t handles_gen;

    /* Dictionaries: every one loaded, newest first; current is used for writes.
     * dict_lock also guards the sealed buckets' dictionaries. */
    pthread_mutex_t dict_lock;
    eng_dict *dicts;
    uint32_t current_dict;
    eng_seal_dict *seal_dicts;

    /* The redo log (log.h); log_fd is -1 for a read-only open, which holds the log
     * open as reader_fd instead (-1 for a writable one, or when there is no log). */
    int log_fd, reader_fd;
    char (*dbi_names)[24];      /* by LMDB handle: the database's name, for the log */
    int log_recover;            /* the first to open: recovers, and checkpoints */
    int exclusive;              /* eng_env_open_alone(): no other handle, no thread */
    int log_replay;             /* the header names this data file: replay its records */
    pthread_mutex_t pin_lock;   /* guards pin, pin_epoch */
    MDB_txn *pin;               /* the checkpoint's snapshot, held while it is current */
    uint64_t pin_epoch;
    /* Pages the commits since a checkpoint freed (LMDB's freelist records after its
     * transaction id): counted by writers, read by the background thread too. */
    uint64_t freed_since;       /* that checkpoint's transaction id (atomic) */
    uint64_t freed_upto;        /* the last freelist record counted */
    uint64_t freed_pages;       /* atomic */
    pthread_mutex_t commit_lock; /* from a record's append to its LMDB commit's end */
    pthread_mutex_t flush_lock; /* group commit: guards what follows */
    pthread_cond_t flush_cond;
    int flushing;
    uint64_t written_lsn, flushed_lsn;
    struct timespec checkpoint_at;
    /* the background thread: the relaxed mode's flushes, and checkpoints */
    pthread_t syncer;
    int syncer_running;
    pthread_mutex_t sync_lock;
    pthread_cond_t sync_cond;
    int closing;
    int flush_failed;           /* the errno of the first flush that failed (atomic) */
};

struct qs_txn {
    qs_env *env;
    MDB_txn *mdb;
    qs_txn *parent;
    int rdonly, failed, has_child, reset;
    uint64_t gen;               /* schema generation of the snapshot */
    /* write transactions */
    uint64_t counters[ENG_COUNTER_COUNT];
    int counters_dirty;         /* the counters record must be written at commit */
    int opened_handles;         /* this txn called mdb_dbi_open (publish on commit) */
    int refreshed;              /* it opened them to catch up with gen (not new ones) */
    eng_handle *new_handles;    /* handles to publish on commit */
    size_t n_new_handles;
    eng_dict *new_dict;         /* dictionary trained in this txn */
    int gen_dirty;
    /* last bucket resolved, to skip the registry on consecutive writes */
    eng_bucket last_bucket;     /* table 0: none */
    /* end of the newest period retention dropped, per eng_table, once read */
    int64_t expired_end[ENG_T_EMPTIED];
    uint8_t expired_known[ENG_T_EMPTIED];
    /* the redo log: the changes (top-level), where it stands, the savepoint's start */
    eng_logbuf log;
    eng_log_pos log_pos;
    size_t log_mark;
    int unlogged;               /* too large to log: it commits by a checkpoint */
    struct eng_wcache *wcache;  /* a bulk transaction's gathered writes (top level) */
    eng_table_iter *kept_iters; /* walks kept open on it (walk.c): writes are refused */
    /* scratch */
    void *scratch[ENG_SCRATCH_COUNT];
    size_t scratch_cap[ENG_SCRATCH_COUNT];
};

/* wcache.c: a bulk transaction's write-back cache (its contract in engine.h) */
typedef struct eng_wcache eng_wcache;
#define ENG_WCACHE_MISS 1   /* the cache does not know the key: ask LMDB */
#define ENG_WCACHE_FULL 2   /* the put is done, and the cache is due a flush */
int eng_wcache_open(qs_txn *txn);
/* Whether the writes of the current call gather: eng_usable() turns it off, and
 * eng_writable_gathering() on. */
void eng_gather_on(qs_txn *txn, int on);
void eng_wcache_free(qs_txn *txn);
/* Whether @p dbi's writes may be cached: the fixed databases of per-answer records
 * and the raw buckets admitted. */
int eng_wcache_holds(qs_txn *txn, MDB_dbi dbi);
void eng_wcache_admit(qs_txn *txn, MDB_dbi dbi);
/* 0 with the cached value, QS_NOTFOUND for a cached delete, or ENG_WCACHE_MISS. */
int eng_wcache_get(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, MDB_val *v);
/* Room for a value of @p vlen bytes under @p k, in *data: 0, ENG_WCACHE_FULL, or a
 * failure. A @p fresh key must be new: QS_EXISTS when the cache holds it, and the
 * flush fails (QS_CORRUPT) when LMDB does. */
int eng_wcache_put(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, size_t vlen, int fresh,
                   uint8_t **data);
int eng_wcache_del(qs_txn *txn, MDB_dbi dbi, const MDB_val *k);
/* Run the deferred work, write the gathered changes in key order, empty the cache. */
int eng_wcache_flush(qs_txn *txn);
/* Flush when something is pending for @p dbi (not while flushing). */
int eng_barrier(qs_txn *txn, MDB_dbi dbi);

/* access.c */
/* The top-level transaction of @p txn (itself, or the one its savepoints nest in). */
qs_txn *eng_txn_top(qs_txn *txn);

/* handles.c */
int eng_refresh_handles(qs_env *env);
/* The same inside write transaction @p txn, whose snapshot is of generation @p gen: a
 * writer needs no reader slot for it. The handles are published when @p txn commits
 * (closed by LMDB if it aborts). */
int eng_refresh_in_write(qs_txn *txn, uint64_t gen);
/* Handle table lookups and additions; eng_handle_find takes handle_lock,
 * eng_handle_add expects it held. */
int eng_handle_find(qs_env *env, const char *name, MDB_dbi *dbi);
int eng_handle_add(qs_env *env, const char *name, MDB_dbi dbi);
/* The checked ENG_META record @p name in @p r: 0, QS_NOTFOUND, QS_CORRUPT (access.c);
 * a u64 one written (record.c, beside the puts it goes through). */
int eng_meta_get(MDB_txn *txn, MDB_dbi meta, const char *name, eng_rbuf *r);
int eng_meta_get_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t *v);
int eng_meta_put_u64(qs_txn *txn, const char *name, uint64_t v);

/* meta_pages.c, pages.c */
/* What the newest commit of a data file says of it. */
typedef struct eng_file_meta {
    uint32_t psize;
    uint64_t pages;   /* pages its newest commit uses */
} eng_file_meta;
/* Read the meta pages of data file @p fd (named @p path in messages) and check that
 * the file holds every page its newest commit uses. 0; QS_CORRUPT (not an LMDB file,
 * or truncated), errno. */
int eng_file_check(int fd, const char *path, eng_file_meta *out);
/* eng_pages_check() at an open: skipped when a walk found this very state of the data
 * file sound (sound.c). */
int eng_pages_check_at_open(qs_env *env, qs_check_report *r);

/* access.c: a flush of the redo log or the data file failed with @p err: from now on write
 * transactions and flushes of @p env fail (eng_flush_check). */
void eng_flush_failed(qs_env *env, int err);
/* 0, or QS_PANIC once a flush of @p env failed. */
int eng_flush_check(qs_env *env);

/* meta_pages.c: the newest meta page of data file @p fd: its first ENG_META_BYTES
 * bytes, its transaction id and page size. 0 or an error recorded. */
int eng_meta_newest(int fd, uint8_t *meta, uint64_t *txnid, uint32_t *psize);
/* Make the commit of meta page @p meta the newest of data file @p fd: written to its
 * slot, and as the commit before it to the other, then synced. 0 or an errno. */
int eng_meta_restore(int fd, const uint8_t *meta, uint32_t psize);

/* options.c */
/* QS_INVALID (recorded) for an option of qs_env_open() out of its range; else 0. */
int eng_options_check(const qs_options *o);

/* env.c */
/* qs_env_open() for a caller that needs the store to itself (qs_compact()): QS_BUSY,
 * before LMDB maps anything, while another handle of any process has it open; then
 * every other open waits until this handle closes. The handle runs no background
 * thread, and makes no checkpoint at close. */
int eng_env_open_alone(const char *path, const qs_options *opts, qs_env **out);
/* The id of a process other than this one that has the store in @p path open, seen
 * through LMDB's lock file (each opener holds a shared lock on its first byte), or
 * 0. */
long eng_lock_file_holder(const char *path);

/* the redo log (log.h names its files) */
/* Before LMDB opens the store in @p dir: open the log, and if this is the first
 * process to open the store and the log names a checkpoint, put its meta page back
 * (a read-only open refuses a store with commits left to replay). */
int eng_log_open(qs_env *env, const char *dir);
/* After LMDB's open and the fixed databases: replay, checkpoint, start the thread. */
int eng_log_recover(qs_env *env);
/* Stop the thread, checkpoint, release the pin. */
void eng_log_close(qs_env *env);
/* After LMDB's close: close the log, releasing its lock bytes. Openers waiting on
 * them then find LMDB's lock file free and set it up from the data file as it is
 * now (a compacted one's commit numbers start again). */
void eng_log_release(qs_env *env);
/* After a checkpoint, with the store to itself (eng_env_open_alone()): @p replace(@p arg)
 * puts another data file at @p data_path, and the log's header then names its newest
 * commit under a new epoch, with nothing to replay after it. While @p replace runs the
 * header is cleared, so a crash leaves a log that names neither file: the next open
 * starts it afresh, with nothing to replay (the checkpoint holds every commit). A
 * failure of @p replace leaves it cleared too. */
int eng_log_replace_file(qs_env *env, int (*replace)(void *), void *arg, const char *data_path);
/* Under LMDB's writer lock, before @p m changes anything: where the log stands,
 * checkpointing first when no live pin holds the current checkpoint. */
int eng_log_write_begin(qs_env *env, MDB_txn *m, eng_log_pos *pos);
/* A checkpoint now (a write transaction of its own). */
int eng_log_checkpoint(qs_env *env);
/* Mark write transaction @p m (not a qs_txn) as not logged: the next writer
 * checkpoints before it logs; the caller checkpoints after the commit. */
int eng_log_unlogged(qs_env *env, MDB_txn *m);
/* Before LMDB's commit of top-level @p txn: append its record (*lsn, 0 if none). */
int eng_log_commit(qs_txn *txn, uint64_t *lsn);
/* After LMDB's commit, which returned @p rc: a record whose commit failed is erased
 * before any other writer may append. @return rc, or the erasure's failure. */
int eng_log_commit_end(qs_txn *txn, int rc);
/* After it: wait for the record's sync in the durable mode (or checkpoint). */
int eng_log_committed(qs_txn *txn, uint64_t lsn);
/* Sync every record this process has written. */
int eng_log_sync(qs_env *env);
/* The changes a write transaction makes, recorded after LMDB made them. */
void eng_log_put(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, const MDB_val *v);
void eng_log_del(qs_txn *txn, MDB_dbi dbi, const MDB_val *k, const MDB_val *v);
void eng_log_drop(qs_txn *txn, MDB_dbi dbi, int del);
void eng_log_create(qs_txn *txn, MDB_dbi dbi, const char *name, unsigned flags);
void eng_log_savepoint(qs_txn *child);
void eng_log_savepoint_abort(qs_txn *child);

/* sound.c */
/* The page walk's edition, raised whenever it checks more: a walk of an older one,
 * remembered by a process of an older library, is not trusted. */
#define ENG_WALK_EDITION 3
/* The state of a data file an open found: what a walk that finds it sound remembers. */
typedef struct eng_sound_probe {
    struct stat st;
    struct timespec at;   /* when it was taken */
    uint64_t txnid;       /* the newest commit */
} eng_sound_probe;
/* 1 when a walk found data file @p fd sound at commit @p txnid and nothing has written
 * it since; fills @p p either way. */
int eng_sound_known(int fd, uint64_t txnid, eng_sound_probe *p);
/* A walk found the state in @p p sound: remembered, unless the file has changed since
 * @p p was taken or had changed too shortly before. */
void eng_sound_remember(int fd, const eng_sound_probe *p);

/* guard.c */
/* mdb_txn_abort(), unless a fault in a write transaction of @p env has unwound LMDB's
 * frames: LMDB would then free cursors it had on its stack. The transaction is left as
 * it is (its writer lock too, until the process ends). */
void eng_mdb_abort(qs_env *env, MDB_txn *mdb);
/* Once per process: find LMDB's code, and ignore SIGXFSZ if it is at its default. */
void eng_process_init(void);
/* eng_process_init(), then put the fault handlers in front of those in place and
 * LMDB's assertion hook on @p mdb. */
void eng_guard_install(MDB_env *mdb);

/* bucket.c */
/* What the registry holds of a bucket; rows and raw_bytes are kept once it is sealed. */
typedef struct eng_registry_rec {
    char name[24];
    int sealed;
    uint64_t rows, raw_bytes;
} eng_registry_rec;
int eng_registry_get(qs_txn *txn, eng_table table, int64_t start, eng_registry_rec *rec);
/* A put that renames a bucket, and every del, must also set txn->gen_dirty. */
int eng_registry_put(qs_txn *txn, eng_table table, int64_t start,
                     const eng_registry_rec *rec);
int eng_registry_del(qs_txn *txn, eng_table table, int64_t start);

/* Create database @p name in @p txn; its handle is published when the txn commits. */
int eng_db_create(qs_txn *txn, const char *name, MDB_dbi *dbi);
/* Empty database @p name now; delete it at the next open (eng_emptied_delete). */
int eng_db_retire(qs_txn *txn, MDB_dbi dbi, const char *name);
int eng_emptied_delete(qs_env *env);
/* Refuse rows from now on older than @p end, the end of a dropped period. */
int eng_expired_advance(qs_txn *txn, eng_table table, int64_t end);
/* Forget the bucket this transaction (and its parents) resolved last. */
void eng_bucket_forget(qs_txn *txn);

/* rows.c: entries of raw buckets */
/* The row of raw bucket @p b at entry (@p k, @p v), its record checked: 0 or
 * QS_CORRUPT. */
int eng_row_decode(const eng_bucket *b, const MDB_val *k, const MDB_val *v, eng_row *r);
/* The user the record @p v of a raw interaction bucket names, read without checking
 * the record (UINT32_MAX if too short to hold one): eng_row_decode() checks it. */
uint32_t eng_event_user(const MDB_val *v);
/* Put @p r into raw bucket @p b under its key. 0, QS_EXISTS, or a failure. */
int eng_raw_put(qs_txn *txn, const eng_bucket *b, const eng_row *r);

/* sealed.c: entries of sealed buckets */
/* A sealed block of @p b at the cursor's entry @p v, decoded into c->block. */
int eng_sealed_load(eng_rows *c, const MDB_val *k, const MDB_val *v);
/* Check the dictionary entry (@p k, @p v) of sealed bucket @p b: 0 or QS_CORRUPT. */
int eng_sealed_dict_check(const eng_bucket *b, const MDB_val *k, const MDB_val *v);
/* The dictionary of sealed bucket @p b into *out, NULL when it has none (with
 * @p for_writing, its compression dictionary made too). */
int eng_sealed_dict(qs_txn *txn, const eng_bucket *b, int for_writing, eng_seal_dict **out);
/* Store @p dict as the dictionary of sealed bucket @p b; *d the cached one. */
int eng_sealed_dict_put(qs_txn *txn, const eng_bucket *b, const uint8_t *dict, size_t len,
                        eng_seal_dict **d);
/* Write rows[0 .. n) of one user as one block of @p b with dictionary @p d (@p flags:
 * mdb_put's, MDB_APPEND when sealing in key order). */
int eng_sealed_block_put(qs_txn *txn, const eng_bucket *b, const eng_seal_dict *d,
                         const eng_row *rows, size_t n, unsigned flags);

/* model.c: what the model's files (model_tests.c, model_stats.c) share */
/* The key of one u32. */
static inline void eng_key_u32(eng_key *k, uint32_t a)
{
    ek_reset(k);
    ek_u32(k, a);
}
/* Get a record and check that decoding consumed exactly its body. */
#define ENG_DECODE_DONE(r, db, k) (rb_done(r) ? 0 : eng_corrupt((db), (k), "bad record body"))

/* upgrade.c: a store of format @p format (< ENG_FORMAT) brought to this one, in the
 * writable open's transaction. */
int eng_upgrade(qs_txn *txn, uint64_t format);

/* model_upgrade.c: upgrades */
/* The upgrade from format 2: format 2's ans_by_test (@p ans_by_test) written into
 * test_answers. */
int eng_upgrade_test_answers(qs_txn *txn, MDB_dbi ans_by_test);
/* The upgrade from format 3: format 3's progress (@p old), a record per (user, topic),
 * written into topic_progress. */
int eng_upgrade_progress(qs_txn *txn, MDB_dbi old);

/* sealed.c */
void eng_seal_dicts_free(eng_seal_dict *d);

/* counter.c: a write transaction's counters, read as it begins, written as it commits */
int eng_counters_load(qs_txn *txn);
int eng_counters_flush(qs_txn *txn);

/* text.c */
int eng_zstd_contexts(ZSTD_CCtx **c, ZSTD_DCtx **d);
int eng_dict_for(qs_txn *txn, uint32_t id, eng_dict **out);
void eng_dicts_free(eng_dict *d);
void eng_dict_publish(qs_env *env, eng_dict *d);

#endif /* QS_ENGINE_INT_H */
