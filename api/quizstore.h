/** @file quizstore.h
 *  @brief quizstore: an embedded storage engine for question-bank learning platforms.
 *
 *  This header is the whole public interface and its manual. Applications, the
 *  `quizstore` CLI and the bench include nothing else.
 *
 *  @section conventions Conventions
 *
 *  - Handles are opaque: #qs_env (one per store directory per process) and #qs_txn.
 *  - Every function that can fail returns an int: 0 on success, a negative QS_ code
 *    (see @ref errors) or a positive errno value (ENOSPC, EACCES, ENOMEM, ...).
 *    qs_strerror() names any of them; qs_errmsg() gives the detail of the last
 *    failure on the calling thread (which record, which field, which database).
 *  - A write call that rejects its input (QS_INVALID, QS_NOTFOUND, QS_EXISTS,
 *    QS_TOO_LARGE, QS_READONLY) changes nothing: the transaction stays usable and
 *    every earlier call in it keeps its effect. A call that fails while writing
 *    (QS_MAP_FULL, QS_TXN_FULL, QS_CORRUPT, errno) leaves the transaction able only
 *    to be aborted: later calls return QS_BAD_TXN. Nothing committed is ever lost.
 *    A transaction whose commit failed is gone.
 *  - Scans and iterators (qs_answer_scan(), qs_answer_iter_open() and the same for
 *    interactions): while a scan's callback runs, or an iterator is open, on a
 *    transaction, the transaction serves every read call, other scans and iterators
 *    included, and every write call on it returns QS_INVALID ("a scan or iterator is
 *    open on the transaction") and changes nothing (on a read-only transaction they
 *    stay QS_READONLY); so does qs_txn_savepoint(), so that no savepoint writes under
 *    them either. Close the iterators, or return from the scan, then write. An
 *    iterator does not outlive its transaction: qs_txn_commit() (allowed with
 *    iterators open), qs_txn_abort() and qs_txn_reset() detach every iterator open on
 *    it, and a savepoint's end those opened on the savepoint. Next on a detached
 *    iterator returns QS_INVALID ("its transaction has ended"); its close still frees
 *    it. A scan's callback that ends or resets its transaction ends the scan the same
 *    way: the scan returns QS_INVALID.
 *  - Output structs and arrays are owned by the caller. A pointer inside an output
 *    (question text) points into memory owned by the transaction and is valid only
 *    until the next call that the function's documentation names, or the end of the
 *    transaction. Copy what must outlive it.
 *  - Pointer arguments may not be NULL unless the documentation says so; a NULL
 *    where one is required returns #QS_INVALID. Destructors accept NULL.
 *  - Functions that return rows take a caller array and its capacity `cap`, write
 *    min(cap, `*n`) rows, and set `*n` so that `*n > cap` means rows were left out, as
 *    snprintf() does. A listing (every row call but the two pages) sets it to the
 *    number of rows there are. A page (qs_history(), qs_question_list()), which goes
 *    on from a cursor, sets it to the rows written, plus one when more rows follow:
 *    `*n > cap` means "call again with the returned cursor", so a page never ends on
 *    an empty call. The array may be NULL when `cap` is 0 (a page then only says
 *    whether a row is there).
 *  - Time is int64 milliseconds since the Unix epoch, UTC. A day is a UTC day,
 *    `created_at / 86400000` (floor). Rates are integer basis points,
 *    `10000 * correct / attempts` rounded down, 0 when there are no attempts.
 *  - Entities have dense internal ids (questions, users: uint32_t; tests, answers:
 *    uint64_t; subjects, systems, topics: uint32_t) and may carry an external id
 *    (the UUID or code of the platform being migrated), at most #QS_EXT_ID_MAX bytes.
 *    qs_resolve() maps an external id to its internal id, so every call that takes
 *    an id can be reached from an external one.
 *  - Texts the library stores are UTF-8: external ids, subject, system and topic
 *    names, and question stems, options and explanations must be well-formed UTF-8
 *    (RFC 3629: no overlong forms, surrogates, code points past U+10FFFF or
 *    sequences cut short) without NUL bytes, so that every form they are shown in
 *    holds them as they are and two ids never print alike. A put of any other text
 *    returns QS_INVALID, naming the field and the byte offset, and writes nothing.
 *    Interaction payloads are bytes, unchecked. qs_resolve() looks up any external
 *    id, so that one an older version stored stays reachable.
 *  - A put may give an entity's id or leave it 0 to have one assigned. An assigned
 *    id is the lowest free id above the largest id assigned or given so far, so that
 *    ids stay dense and an import with its own ids gets the next ones after them.
 *    Once that largest id is the type's maximum (UINT32_MAX; UINT64_MAX for tests),
 *    assignment goes on from the lowest free id. An assigned id is never one an
 *    entity holds, and assignment fails (QS_INVALID, "no id left") only when every
 *    id is taken.
 *
 *  @section growth Structs that grow
 *
 *  A later version of the library may add fields to a struct, at its end only, under
 *  the same SONAME. So that an application built against an older header keeps
 *  working with a newer library, and one built against a newer header gets a clear
 *  error from an older library instead of a misread, every struct passed alone
 *  (qs_options, the parameters qs_draw, qs_question_filter and qs_bucket_policy, the
 *  entities qs_taxon, qs_question, qs_user and qs_test, and the results
 *  qs_dashboard, qs_question_stats, qs_user_question and qs_compress_report) begins
 *  with `uint32_t size`, the struct's size as the application was compiled:
 *  - set it to `sizeof` the struct (`qs_question q = {.size = sizeof q};`), or leave it 0,
 *    which stands for the layout of this ABI's first release (SONAME 1), so that a
 *    zero-initialised struct stays valid. qs_options_init() sets it;
 *  - an input is read as far as its size goes, fields past it taking their defaults.
 *    A size under the first layout's or over 64 KiB (a size left unset), or a struct
 *    longer than this library knows with a non-zero byte past the end it knows (a
 *    field it does not have), is refused with QS_INVALID, naming the struct;
 *  - an output gets the fields that both its size and the library know (`size` stays
 *    as given), so an output struct must be zeroed or have its size set before the
 *    call: a size over 64 KiB is refused as one left unset.
 *
 *  Rows, the structs that come in arrays or through callbacks (qs_answer,
 *  qs_interaction, qs_text, qs_summary, the cursors, and every `_row`, `_info`,
 *  `_report` and qs_db_stat), keep their layout for as long as the SONAME: a new field
 *  comes with new functions, or with a new SONAME. Limits are not part of any layout:
 *  a question's options, a test's question list and the dashboard's days are a
 *  pointer and a count, so QS_MAX_OPTIONS, QS_TEST_MAX_QUESTIONS and
 *  QS_DASHBOARD_DAYS can grow without breaking an application. External ids and
 *  names are held in arrays of QS_EXT_ID_MAX + 1 and QS_NAME_MAX + 1 bytes: those are
 *  limits of the stored format as well (the external-id index's keys), and change
 *  only with the format and the SONAME.
 *
 *  The SONAME is libquizstore.so.MAJOR (#QS_VERSION_MAJOR). A change that removes or
 *  changes a function or a layout raises it; tools/abi_check.sh, run by CI, compares
 *  the library with the last release's interface (api/quizstore.abi) with libabigail.
 *
 *  @section order The order of this header
 *
 *  Everyday use first: stores and transactions, the data model, answers and
 *  interactions, the product's reads. Then the advanced calls: batches, tests drawn
 *  from the pools, listings of the bank, scans and iterators by time, savepoints and
 *  long-lived readers, time buckets. Then administration: durability and storage, the
 *  indexes, integrity checks and repair, backups and compaction.
 *
 *  @section threads Threads and processes
 *
 *  - Open one #qs_env per store per process (an LMDB rule) and share it between
 *    threads. Several processes may open the same store at once.
 *  - Read transactions may run on any thread, many at once; a read transaction may
 *    be handed from one thread to another but used by one thread at a time.
 *  - There is one writer at a time per store, across all threads and processes:
 *    qs_txn_begin() for writing blocks until the current writer ends. A write
 *    transaction is used only by the thread that began it. Batching is the caller's:
 *    many write calls in one transaction, one commit.
 *  - Readers never block writers nor see a partial write: every aggregate an answer
 *    changes is updated in the same transaction as the answer.
 *
 *  @section damage Damaged store files
 *
 *  LMDB reads the store through a memory map and trusts what its pages say; quizstore
 *  does not let a damaged file (a disk error, a bad copy, a truncation) crash the
 *  process or spread:
 *  - qs_env_open() refuses a data file that is empty (read-only), not an LMDB file,
 *    shorter than its newest commit says (truncated), or whose meta page names a
 *    commit that belongs in the other meta page, with QS_CORRUPT (ENOENT for an empty
 *    one) naming what it found.
 *  - qs_env_open() then reads every page of the store's B-trees, without LMDB, before
 *    LMDB follows any (as qs_check() does): LMDB writing through a damaged page overruns
 *    its buffers, and reading through one can fault, abort or loop for ever. A store
 *    with a damaged page is refused for writing (QS_CORRUPT, naming the page); opened
 *    read-only, it serves qs_check() alone, which names every damaged page, and every
 *    other call returns QS_CORRUPT naming the first. Restore it from a backup. A walk
 *    that finds the file sound is remembered (per user, in /dev/shm, until reboot) with
 *    the file's inode, size, change and modification times and newest commit: an open
 *    that finds all five as they were skips the walk, since nothing has written the
 *    file since. A store written since its last walk (by quizstore or anything else) is
 *    walked again; so is a file changed less than a second before its walk began.
 *  - A page damaged after the open (by a disk, or another process cutting the file
 *    short) is not checked first: every call that reads the store runs under a guard,
 *    and a read through a damaged page that faults (SIGSEGV, SIGBUS) at an address in
 *    or near the store's map or inside LMDB's code, or that fails one of LMDB's
 *    assertions, returns QS_CORRUPT from that call instead of ending the process; the
 *    transaction can then only be aborted. If the fault struck while the engine held
 *    one of its locks, or in a write transaction, every later call on that handle
 *    returns QS_PANIC until it is closed; a write transaction cut short inside LMDB is
 *    never ended (LMDB cannot end it safely), so LMDB's writer lock stays held until
 *    the process ends: end the process, and restore the store from a backup. Memory
 *    the interrupted call had allocated is not freed (a few hundred bytes; a write
 *    transaction's changed pages).
 *  - For this the first qs_env_open() of a process installs handlers for SIGSEGV and
 *    SIGBUS in front of those in place (and again at each open, if one was installed
 *    since): faults that are not the store's are passed to the handler that was there,
 *    or end the process as before (so they do when that handler passes them back). It
 *    also ignores SIGXFSZ when that signal is at its default action, so that a store
 *    file reaching RLIMIT_FSIZE fails the commit with EFBIG instead of killing the
 *    process (qs_restore() does the same).
 */
#ifndef QUIZSTORE_H
#define QUIZSTORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The functions the shared library exports, and only these: it is built with
 *  -fvisibility=hidden (tests/tools/exports_test.sh holds it to api/exports.txt). */
#if defined(__GNUC__)
#define QS_API __attribute__((visibility("default")))
#else
#define QS_API
#endif

#define QS_VERSION_MAJOR 1
#define QS_VERSION_MINOR 0
#define QS_VERSION_PATCH 0
/** The library's version as "MAJOR.MINOR.PATCH". */
QS_API const char *qs_version(void);

/** @defgroup errors Error codes
 *  The library's own codes live in [-30999, -30900], clear of LMDB's and of errno.
 *  @{ */
#define QS_NOTFOUND      (-30900) /**< no such id, external id or record */
#define QS_EXISTS        (-30901) /**< duplicate: the (test, question) is answered already,
                                       or an external id belongs to another entity */
#define QS_INVALID       (-30902) /**< an argument is NULL, out of range or inconsistent */
#define QS_CORRUPT       (-30903) /**< a record failed its checksum or does not decode */
#define QS_MAP_FULL      (-30904) /**< the store reached its map size; raise qs_options.map_size */
#define QS_READERS_FULL  (-30905) /**< every reader slot is taken; raise qs_options.max_readers */
#define QS_TXN_FULL      (-30906) /**< the transaction has too many dirty pages; commit more often */
#define QS_READONLY      (-30907) /**< a write call on a read-only transaction */
#define QS_BAD_CURSOR    (-30908) /**< a history cursor is forged, damaged or another user's */
#define QS_FORMAT        (-30909) /**< the store was written by an incompatible format version */
#define QS_TOO_LARGE     (-30910) /**< a text or payload is larger than its limit */
#define QS_BAD_TXN       (-30911) /**< the transaction failed earlier and can only be aborted */
#define QS_DBS_FULL      (-30912) /**< too many databases (time buckets) are open */
#define QS_PANIC         (-30913) /**< the store hit a fatal error; close it (@ref damage) */
#define QS_HOT           (-30914) /**< the time bucket is inside the hot window and stays raw */
#define QS_EXPIRED       (-30915) /**< the row's period was dropped by retention */
#define QS_BUSY          (-30916) /**< the store is open elsewhere, and the call needs it alone */
#define QS_END           (-30917) /**< an iterator has no more rows */
/** @} */

/** A static English text for any code this library returns (0, QS_ codes, errno).
 *  Never NULL. */
QS_API const char *qs_strerror(int rc);

/** The detail of the last failure returned on the calling thread, e.g.
 *  "answer 7:31: score 95 is outside 10..90" or "checksum mismatch in database
 *  'question' at key 00000007". Thread-local; valid until the next failing call on
 *  this thread. Empty string when there was none. */
QS_API const char *qs_errmsg(void);

/* #####################################################################
 * Everyday use: a store, its transactions, the data model, answers, reads
 * ##################################################################### */

/* ===================================================================== */
/** @defgroup env Stores and transactions
 *  @{ */
/** Opaque handle on one store (a directory holding an LMDB environment). */
typedef struct qs_env qs_env;
/** Opaque transaction handle. */
typedef struct qs_txn qs_txn;

/** Durability of commits. Both modes write every commit to the store's redo log
 *  (redo.log beside data.mdb) before LMDB's file, and sync LMDB's file only at
 *  checkpoints: every 4,096 commits or 5 seconds (made by the process that made the
 *  last one), past 16,384 commits or 64 MiB of log (by any writer), on
 *  qs_env_checkpoint(), and when the commits since the last one have freed a limit
 *  of pages: 256 MiB, or a sixteenth of map_size if less (by any writer), or a
 *  quarter of that (by the process that made the last one). LMDB reuses the pages a
 *  commit frees only after the next checkpoint, so that limit bounds what the file
 *  holds beyond its live pages to about the pages freed in two checkpoints' time.
 *  An open after a crash or a power failure starts again from the last checkpoint and
 *  replays the log's commits after it. Neither mode can be left damaged by a power
 *  failure. A process crash loses nothing committed in either mode. Other
 *  transactions see a commit as soon as LMDB has it, which is just before its sync:
 *  a power failure in between loses a commit that a reader saw but whose caller was
 *  not told it succeeded. */
typedef enum qs_durability {
    QS_SYNC_DURABLE = 0,  /**< qs_txn_commit() returns once an fdatasync of the log covers
                               the commit: a power failure loses nothing acknowledged.
                               Group commit: commits that arrive while a sync is in
                               flight wait for it to end and share the next one, so
                               that N threads each committing one request's writes
                               (each its own transaction, from any thread) pay about
                               one fdatasync per round, not N, and each gets its own
                               result: a duplicate or invalid answer fails alone.
                               Nothing to call: a blocking qs_txn_commit() joins the
                               next group. Processes each sync for themselves.
                               A commit whose sync fails returns the errno
                               (EIO): it may or may not be kept, and every later write
                               transaction and qs_env_sync() of the handle returns
                               QS_PANIC until it is closed, since a sync that succeeds
                               after it would not mean the failed pages reached the disk */
    QS_SYNC_PERIODIC = 1  /**< commits do not wait for the disk; a background thread syncs
                               the log every sync_interval_ms: a power failure loses at most
                               the commits of the last interval (and the one sync in
                               flight), never the store's integrity. A failed sync breaks
                               the handle as above */
} qs_durability;

/** Length of the time buckets answers and interactions are partitioned into.
 *  Fixed when the store is created; later opens keep the stored value. */
typedef enum qs_period {
    QS_PERIOD_MONTH = 0, /**< calendar month, UTC (default) */
    QS_PERIOD_WEEK = 1,  /**< ISO week, Monday 00:00 UTC */
    QS_PERIOD_DAY = 2    /**< UTC day */
} qs_period;

/** Options for qs_env_open(). Initialise with qs_options_init(), then change fields. */
typedef struct qs_options {
    uint32_t size;              /**< see @ref growth */
    uint64_t map_size;          /**< largest size the store may grow to, bytes (64 GiB),
                                     at least 1 MiB; the file grows as needed, this is
                                     address space */
    unsigned max_readers;       /**< concurrent read transactions, all processes (126);
                                     one more slot is kept for the read transaction that
                                     holds the last checkpoint's pages */
    qs_durability durability;   /**< QS_SYNC_DURABLE */
    unsigned sync_interval_ms;  /**< flush interval for QS_SYNC_PERIODIC (1000) */
    qs_period bucket_period;    /**< QS_PERIOD_MONTH; used only when creating the store */
    int read_only;              /**< open without write access (0) */
    int write_map;              /**< write through a writable memory map (0): commits
                                     skip copying every page with write(); but
                                     savepoints are unavailable (qs_txn_savepoint()
                                     returns QS_INVALID) and a stray write through a
                                     pointer the library handed out could reach the
                                     file. Open a store the same way in every process.
                                     The power-cut and injected-fault tests cover
                                     stores opened both ways */
} qs_options;

/** Fill @p opts with the defaults written beside each field. */
QS_API void qs_options_init(qs_options *opts);

/** Open (creating if needed) the store in directory @p path.
 *  Clears reader slots left by crashed processes. The directory must exist. An open
 *  reads every page of the store first unless nothing has written it since such a read
 *  found it sound (see @ref damage), so its cost grows with the store's size: 0.6 to
 *  0.9 s for a 275 MB store on the development machine (a 2-core virtual machine on
 *  which mapping a page costs several microseconds), against milliseconds when the walk
 *  is skipped. Open once and keep the handle. A read-only open of a store whose lock
 *  file cannot be written (a store of another user, a read-only medium) reads without
 *  LMDB's lock file, which is safe only while no process writes the store: it is
 *  refused (EACCES) while another process has the store open, and a writer that opens
 *  the store later does not see this reader. The first process to open a store that
 *  was not closed cleanly (a crash, a power failure) recovers it: LMDB's file goes back
 *  to the redo log's last checkpoint and the log's later commits are replayed; a
 *  read-only open of such a store is refused (QS_READONLY) until one for writing has
 *  recovered it. data.mdb is written through quizstore only: a change made to it by
 *  another LMDB program after the last checkpoint is undone by the next recovery
 *  (remove redo.log, with the store closed, to keep it). A store of an older on-disk
 *  format (1 to 4: libraries before 0.6) is upgraded by the first open for writing, in
 *  one transaction (format 2 keeps each test's summary in the user's test index, so
 *  that qs_test_list() reads no test record; format 3 keeps a test's answers packed
 *  under the test, 12 bytes each; format 4 keeps a user's progress in 32 topics of
 *  consecutive ids in one record, so that qs_progress() reads a few records; format 5
 *  keeps a raw interaction bucket in time order, so that events are appended: the
 *  upgrade rewrites each raw one, about 3 s a million events); a read-only open of it
 *  is refused (QS_FORMAT) until then. A library of an older
 *  format refuses the upgraded store (QS_FORMAT), and one still running on it while
 *  another upgrades it is not supported. While qs_compact() runs on the store, an open
 *  waits for it to end.
 *  @param[in]  path  directory of the store
 *  @param[in]  opts  options, or NULL for the defaults
 *  @param[out] env   the new handle; NULL on failure
 *  @return 0, QS_FORMAT (newer on-disk format), QS_INVALID, QS_CORRUPT (not an LMDB
 *          file, truncated, a damaged page: see @ref damage, or a redo log record that
 *          cannot be applied), QS_READONLY (read-only, and the store needs recovery),
 *          QS_READERS_FULL
 *          (opening reads the bucket registry), or errno (ENOENT: no such directory,
 *          or read-only with no store or an empty data file; EACCES, ...).
 *  Call once per store per process. */
QS_API int qs_env_open(const char *path, const qs_options *opts, qs_env **env);

/** Close the store. Every transaction of this handle must have ended. The last
 *  process to close the store makes a checkpoint, so that the next open replays
 *  nothing. NULL is a no-op. */
QS_API void qs_env_close(qs_env *env);

#define QS_TXN_RDONLY 0x1 /**< qs_txn_begin(): a read-only transaction */
#define QS_TXN_BULK   0x2 /**< qs_txn_begin(): a write transaction for loading */

/** Begin a transaction: read-only with #QS_TXN_RDONLY, else the store's one write
 *  transaction (blocks while another thread or process writes).
 *
 *  #QS_TXN_BULK makes a write transaction for loading many rows: the records that
 *  qs_answer_submit() (and qs_answer_submit_many()), qs_test_put() and qs_user_put()
 *  change (answers, the aggregates, tests and their indexes, external ids) are
 *  gathered in memory, each once however often it changes, and written in key order
 *  at the commit; the success bands' pool moves and the leaderboard moves are
 *  applied once per record at that point. Everything else is as in any write
 *  transaction: every call may be made, every read sees every write (another write
 *  call, or a savepoint, first writes out what was gathered), the commit is all or
 *  nothing and as durable as any. It holds up to about 512 MiB of gathered records
 *  in memory, then writes them out and goes on. The results equal the same calls' in
 *  a plain transaction but for the order inside the shuffled pools (a uniform random
 *  permutation either way, so qs_test_create() draws other questions).
 *  @return 0, QS_READERS_FULL, QS_READONLY (write on a read-only env), QS_MAP_FULL,
 *          QS_INVALID (#QS_TXN_BULK with #QS_TXN_RDONLY), or errno. */
QS_API int qs_txn_begin(qs_env *env, unsigned flags, qs_txn **txn);

/** Commit and free @p txn. On any return the handle is gone. On failure nothing of
 *  this transaction is kept and everything committed before is intact, but for a
 *  durable commit whose sync of the log fails (see #QS_SYNC_DURABLE). A commit whose
 *  write to LMDB's file fails after its redo log record was written erases the record
 *  before any other writer goes on; if that fails too, the handle breaks as after a
 *  failed sync.
 *  @return 0, QS_MAP_FULL, ENOSPC (the disk is full), EFBIG (the store file may not
 *          grow: RLIMIT_FSIZE), or errno (EIO: a write failed). */
QS_API int qs_txn_commit(qs_txn *txn);

/** Abandon @p txn and everything it wrote; free the handle. NULL is a no-op. */
QS_API void qs_txn_abort(qs_txn *txn);
/** @} */

/* ===================================================================== */
/** @defgroup model The data model: taxonomy, questions, users, tests
 *  @{ */
#define QS_EXT_ID_MAX 63          /**< bytes of an external id */
#define QS_NAME_MAX 127           /**< bytes of a subject, system or topic name */
#define QS_MAX_OPTIONS 8          /**< options of one question */
#define QS_TEXT_MAX (256 * 1024)  /**< bytes of a stem, option or explanation */
#define QS_TEST_MAX_QUESTIONS 256 /**< questions in one test */
#define QS_PAYLOAD_MAX 1024       /**< bytes of an interaction payload */
#define QS_TIME_MIN (-62135596800000LL) /**< 0001-01-01, UTC: the earliest time of an
                                           answer or interaction (epoch milliseconds) */
#define QS_TIME_MAX 253402300800000LL   /**< 10000-01-01, UTC: times are before it */

/** Entity kinds, for qs_resolve() and the taxonomy calls. */
typedef enum qs_kind {
    QS_SUBJECT = 1,
    QS_SYSTEM = 2,   /**< an organ system, skill area or exam section */
    QS_TOPIC = 3,    /**< belongs to one system */
    QS_QUESTION = 4,
    QS_USER = 5,
    QS_TEST = 6
} qs_kind;

/** Map an external id to the internal id of an entity of @p kind.
 *  @return 0, QS_NOTFOUND, QS_INVALID. Any transaction. */
QS_API int qs_resolve(qs_txn *txn, qs_kind kind, const char *ext_id, uint64_t *id);

/** A subject, system or topic. */
typedef struct qs_taxon {
    uint32_t size;                   /**< see @ref growth */
    uint32_t id;                     /**< 0 on put: resolve by ext_id, else assign */
    uint32_t parent;                 /**< a topic's system; 0 for subjects and systems */
    char name[QS_NAME_MAX + 1];      /**< non-empty */
    char ext_id[QS_EXT_ID_MAX + 1];  /**< "" for none */
} qs_taxon;

/** Create or update a subject, system or topic.
 *  Identity: @p t->id when non-zero (created if new), else the entity owning
 *  @p t->ext_id, else a new id (see @ref conventions). Putting identical content
 *  changes nothing.
 *
 *  A topic moved to another system carries its questions: in the same transaction
 *  each question of the topic is put again in the new system, its subject, topic and
 *  texts unchanged, as qs_question_put() would put it, so every listing, index and
 *  pool follows (past answers keep the topic they were given under). The questions
 *  are those the (system, topic, difficulty) index holds under the old system,
 *  inactive ones included: a question an older version left in another system than
 *  its topic's stays where it is (qs_check() names it, qs_repair() moves it).
 *  @param[out] id  the entity's id (may be NULL)
 *  @return 0, QS_INVALID (empty name, topic without a system, bad kind, a name or
 *          external id that is not UTF-8, no id left),
 *          QS_NOTFOUND (the topic's system), QS_EXISTS (ext_id owned by another id),
 *          QS_READONLY, QS_MAP_FULL, ENOMEM (a moved topic's question ids are held in
 *          memory), QS_CORRUPT. Write transaction. */
QS_API int qs_taxon_put(qs_txn *txn, qs_kind kind, const qs_taxon *t, uint32_t *id);

/** Read a subject, system or topic. @return 0, QS_NOTFOUND, QS_CORRUPT. */
QS_API int qs_taxon_get(qs_txn *txn, qs_kind kind, uint32_t id, qs_taxon *out);

/** A length-delimited text; need not be NUL-terminated, and holds no NUL byte (texts
 *  are UTF-8: see @ref conventions). */
typedef struct qs_text {
    const char *ptr;
    size_t len;
} qs_text;

/** A question of the bank. */
typedef struct qs_question {
    uint32_t size;                   /**< see @ref growth */
    uint32_t id;                     /**< 0 on put: resolve by ext_id, else assign */
    char ext_id[QS_EXT_ID_MAX + 1];
    uint32_t subject, system, topic; /**< 0 = none; a topic requires its system */
    uint8_t difficulty;              /**< 1 easy, 2 medium, 3 hard */
    uint8_t type;                    /**< application-defined question type */
    uint8_t active;                  /**< only active questions are drawn into tests */
    uint8_t correct_option;          /**< 0-based index of the key */
    uint8_t n_options;               /**< 0..QS_MAX_OPTIONS; 0 when the bank has no option
                                          text (the key still grades chosen options) */
    int64_t created_at;
    qs_text stem, explanation;
    const qs_text *options;          /**< n_options texts (NULL when 0); on a get, owned by
                                          the transaction as the texts are */
} qs_question;

/** Create or update a question (identity as in qs_taxon_put()). Re-tagging moves the
 *  question's future answers to the new topic; past answers keep the topic they were
 *  given under. The topic must belong to the system given: after a topic moved, a put
 *  naming its old system is refused. Texts are stored compressed when a bank
 *  dictionary exists and that is smaller (qs_bank_compress()).
 *  @return 0, QS_INVALID (difficulty, correct_option, n_options, topic not in system,
 *          a text or external id that is not UTF-8),
 *          QS_NOTFOUND (subject, system or topic), QS_TOO_LARGE, QS_EXISTS, QS_READONLY. */
QS_API int qs_question_put(qs_txn *txn, const qs_question *q, uint32_t *id);

/** Read a question with its texts. The texts and the options array stay valid until
 *  the next qs_question_get() on this transaction or its end.
 *  @return 0, QS_NOTFOUND, QS_CORRUPT. Any transaction. */
QS_API int qs_question_get(qs_txn *txn, uint32_t id, qs_question *out);

/** A user (learner). */
typedef struct qs_user {
    uint32_t size;                   /**< see @ref growth */
    uint32_t id;                     /**< 0 on put: resolve by ext_id, else assign */
    char ext_id[QS_EXT_ID_MAX + 1];
    int64_t created_at;
} qs_user;

/** Create or update a user (identity as in qs_taxon_put()). A new user enters the
 *  all-time leaderboard with 0 correct.
 *  @return 0, QS_EXISTS, QS_INVALID, QS_READONLY. */
QS_API int qs_user_put(qs_txn *txn, const qs_user *u, uint32_t *id);

/** Read a user. @return 0, QS_NOTFOUND, QS_CORRUPT. */
QS_API int qs_user_get(qs_txn *txn, uint32_t id, qs_user *out);

/** Test status. */
typedef enum qs_test_status {
    QS_TEST_ACTIVE = 1,
    QS_TEST_PAUSED = 2,
    QS_TEST_COMPLETED = 3,
    QS_TEST_ABANDONED = 4
} qs_test_status;

/** Test mode. */
typedef enum qs_test_mode { QS_MODE_TUTOR = 1, QS_MODE_TIMED = 2 } qs_test_mode;

/** A test: a user's sitting of a list of questions. */
typedef struct qs_test {
    uint32_t size;                   /**< see @ref growth */
    uint64_t id;                     /**< 0 on put: resolve by ext_id, else assign */
    char ext_id[QS_EXT_ID_MAX + 1];
    uint32_t user;
    uint8_t status;                  /**< qs_test_status */
    uint8_t mode;                    /**< qs_test_mode */
    uint8_t open_list;               /**< 1: answers may add questions to the list (tests
                                          imported from answer logs), and a COMPLETED
                                          test's completed_at follows its last answer;
                                          0: an answer must be to a listed question */
    uint32_t n_questions;            /**< 0..QS_TEST_MAX_QUESTIONS */
    int64_t created_at, last_activity_at;
    int64_t completed_at;            /**< 0 until COMPLETED */
    const uint32_t *questions;       /**< the n_questions question ids in order (NULL when
                                          0); after qs_test_get() and qs_test_create(),
                                          owned by the transaction and valid until the
                                          next of those two calls on it or its end */
} qs_test;

/** Create or update a test (identity as in qs_taxon_put()). The user and every listed
 *  question must exist; a question may be listed once.
 *
 *  A test's answers hold it in place. When the test exists and the put changes it,
 *  its answers are read from the (test, question) index (at most
 *  #QS_TEST_MAX_QUESTIONS), and:
 *  - a test that has answers keeps its user: a put naming another user is refused.
 *    A test without answers may pass to another user (qs_test_list() follows it);
 *  - an answered question stays on the list: a put whose list leaves one out is
 *    refused, unless the test is open_list (its list grows with its answers): then
 *    the answered questions left out are kept, after those given, in the order the
 *    test listed them, so that a list given empty keeps the answered ones. Adding
 *    questions and reordering the list are allowed;
 *  - the test's times never go back past its newest answer: a last_activity_at older
 *    than the newest answer's created_at is stored as that created_at, and so is the
 *    completed_at of an open_list COMPLETED test. Putting a test again as it was
 *    before its answers (a platform's export re-imported) therefore changes nothing.
 *  A refusal changes nothing; its message names the test, users and questions by
 *  their external ids where they have one.
 *  @return 0, QS_NOTFOUND (user, question), QS_INVALID (fields out of range, a user
 *          or list its answers refuse), QS_EXISTS, QS_READONLY, QS_CORRUPT. */
QS_API int qs_test_put(qs_txn *txn, const qs_test *t, uint64_t *id);

/** Read a test with its question list (valid until the next qs_test_get() or
 *  qs_test_create() on this transaction, or its end).
 *  @return 0, QS_NOTFOUND, QS_CORRUPT. */
QS_API int qs_test_get(qs_txn *txn, uint64_t id, qs_test *out);

/** A row of qs_test_list(). */
typedef struct qs_test_row {
    uint64_t id;
    uint8_t status, mode;
    uint16_t n_questions;
    int64_t created_at, last_activity_at;
} qs_test_row;

/** A user's ACTIVE and PAUSED tests, most recent activity first (ties: higher test id
 *  first). @return 0, QS_NOTFOUND (user). Any transaction. */
QS_API int qs_test_list(qs_txn *txn, uint32_t user, qs_test_row *rows, size_t cap,
                        size_t *n);
/** @} */

/* ===================================================================== */
/** @defgroup answers Answers and interactions
 *  @{ */
/** Answer status. */
typedef enum qs_answer_status {
    QS_ANSWERED = 1,
    QS_SKIPPED = 2,  /**< never correct */
    QS_FLAGGED = 3   /**< answered and marked for review (sets the user-question mark) */
} qs_answer_status;

#define QS_GRADE (-1)      /**< qs_answer.correct: grade @c chosen against the key */
#define QS_NO_CHOICE (-1)  /**< qs_answer.chosen: no option chosen */

/** One answer: the unique (test, question) pair. */
typedef struct qs_answer {
    uint64_t id;            /**< output only: the answer id (orders answers at equal time) */
    uint64_t test;
    uint32_t question;
    uint32_t user;          /**< 0 = the test's user; else must equal it */
    uint32_t topic;         /**< output only: the question's topic when answered */
    int8_t correct;         /**< 1, 0, or QS_GRADE */
    int8_t chosen;          /**< 0-based option, or QS_NO_CHOICE */
    uint8_t status;         /**< qs_answer_status */
    uint8_t score;          /**< 10..90, or 0 for none */
    int64_t time_spent_ms;  /**< >= 0, below 2^32 */
    int64_t created_at;     /**< within the years 1 to 9999 */
} qs_answer;

/** Record one answer and, in the same transaction, every aggregate it changes:
 *  question stats, user summary and streaks, user-topic progress, user daily row,
 *  user-question status, all-time and weekly leaderboard, and the test's
 *  last_activity_at (and, for an open_list test, its list and completed_at).
 *  @param[out] id  the new answer's id (may be NULL)
 *  @return 0; QS_EXISTS when (test, question) is answered already (nothing changes);
 *          QS_EXPIRED when created_at falls in a period retention dropped (nothing
 *          changes: the answer may have been counted before); QS_NOTFOUND (test or
 *          question); QS_INVALID (score outside 10..90, negative
 *          time, created_at out of range, status, chosen beyond the options, user
 *          not the test's, question not in a closed test's list, QS_GRADE without a
 *          choice on an answer that is not SKIPPED, a SKIPPED answer marked correct);
 *          QS_READONLY, QS_MAP_FULL, QS_DBS_FULL (its period needs a new bucket past
 *          the store's limit of about 4,000 databases; retention frees them).
 *          Write transaction. */
QS_API int qs_answer_submit(qs_txn *txn, const qs_answer *a, uint64_t *id);

/** Read the answer to (test, question). @return 0, QS_NOTFOUND (none, or its bucket
 *  was dropped by retention: the pair stays answered), QS_CORRUPT. */
QS_API int qs_answer_get(qs_txn *txn, uint64_t test, uint32_t question, qs_answer *out);

/** One interaction event (view, bookmark, note, ...). */
typedef struct qs_interaction {
    uint32_t user;
    uint8_t action;         /**< application-defined kind */
    int64_t created_at;     /**< within the years 1 to 9999 */
    const void *payload;    /**< may be NULL when payload_len is 0 */
    size_t payload_len;     /**< <= QS_PAYLOAD_MAX */
} qs_interaction;

/** Append an interaction to the bucket of its created_at. The same event logged
 *  twice (same user, action, created_at and payload) is stored once: re-imports of
 *  an event log change nothing.
 *  @param[out] seq  its sequence number (may be NULL)
 *  @return 0, QS_EXISTS (that very event is stored), QS_EXPIRED (created_at falls in a
 *          period retention dropped: nothing changes, so that a re-import of an old
 *          log counts nothing twice), QS_NOTFOUND (user), QS_INVALID, QS_TOO_LARGE,
 *          QS_READONLY, QS_MAP_FULL, QS_DBS_FULL (as qs_answer_submit()). */
QS_API int qs_interaction_log(qs_txn *txn, const qs_interaction *ix, uint64_t *seq);

/** Set or clear a user's review mark on a question. @return 0, QS_NOTFOUND. */
QS_API int qs_question_mark(qs_txn *txn, uint32_t user, uint32_t question, int marked);
/** @} */

/* ===================================================================== */
/** @defgroup reads The product's reads
 *  Every read sees one consistent snapshot: the transaction's.
 *  @{ */
/** A question's aggregate over all answers. */
typedef struct qs_question_stats {
    uint32_t size;           /**< see @ref growth */
    uint32_t attempts, correct;
    uint32_t users;          /**< distinct users who answered it */
    uint32_t rate_bp;
    uint64_t score_sum, time_ms_sum;
} qs_question_stats;

/** @return 0 (zeros for a question never answered), QS_NOTFOUND, QS_CORRUPT. */
QS_API int qs_question_stats_get(qs_txn *txn, uint32_t question, qs_question_stats *out);

/** A user's record of one question. */
typedef struct qs_user_question {
    uint32_t size;           /**< see @ref growth */
    uint32_t attempts;
    uint8_t last_correct;    /**< of the latest answer, by (created_at, answer id) */
    uint8_t marked;
    int64_t last_at;         /**< created_at of the latest answer */
} qs_user_question;

/** @return 0, QS_NOTFOUND (never answered nor marked), QS_CORRUPT. */
QS_API int qs_user_question_get(qs_txn *txn, uint32_t user, uint32_t question,
                                qs_user_question *out);

/** One topic of a user's progress. */
typedef struct qs_progress_row {
    uint32_t topic;
    uint32_t attempts, correct, rate_bp;
    int64_t last_answered_at;
} qs_progress_row;

/** Every topic the user has answered, by topic id.
 *  @return 0, QS_NOTFOUND (user), QS_CORRUPT. */
QS_API int qs_progress(qs_txn *txn, uint32_t user, qs_progress_row *rows, size_t cap,
                       size_t *n);

#define QS_DASHBOARD_DAYS 30
#define QS_NO_DAY INT32_MIN  /**< qs_summary.last_day of a user with no answers */

/** A user's summary over all answers. */
typedef struct qs_summary {
    uint32_t answered, correct, rate_bp;
    uint64_t time_ms;        /**< sum of time_spent_ms */
    int32_t last_day;        /**< last day with an answer, or QS_NO_DAY */
    uint32_t streak;         /**< consecutive active days ending at last_day */
    uint32_t best_streak;
} qs_summary;

/** One day of a user's answers. */
typedef struct qs_daily_row {
    int32_t day;
    uint32_t answers, correct;
    uint64_t time_ms;
} qs_daily_row;

/** The dashboard: summary plus the daily rows of days now_day-29 .. now_day (days
 *  without answers absent), oldest first. */
typedef struct qs_dashboard {
    uint32_t size;           /**< see @ref growth */
    qs_summary summary;
    size_t n_days;           /**< 0..QS_DASHBOARD_DAYS */
    const qs_daily_row *days; /**< n_days rows (NULL when 0), owned by the transaction
                                   and valid until the next qs_dashboard_get() on it
                                   or its end */
} qs_dashboard;

/** @return 0, QS_NOTFOUND (user), QS_CORRUPT. */
QS_API int qs_dashboard_get(qs_txn *txn, uint32_t user, int64_t now, qs_dashboard *out);

#define QS_BOARD_ALL_TIME 0u
/** The weekly board of the ISO week (Monday 00:00 UTC) holding @p t. */
QS_API uint32_t qs_board_week(int64_t t);

/** One leaderboard entry. */
typedef struct qs_rank_row {
    uint64_t rank;           /**< 1-based: 1 + users ahead in the board's order, so
                                  ties get distinct ranks by user id */
    uint32_t user;
    uint32_t correct;
} qs_rank_row;

/** The top of a board: correct answers descending, ties by lower user id first.
 *  The all-time board holds every user (idle ones with 0); a weekly board holds the
 *  users who answered that week. @return 0, QS_CORRUPT. */
QS_API int qs_leaderboard_top(qs_txn *txn, uint32_t board, qs_rank_row *rows, size_t cap,
                              size_t *n);

/** A user's place on a board. On a weekly board a user who did not answer that week
 *  gets rank 0 and correct 0. @return 0, QS_NOTFOUND (user), QS_CORRUPT. */
QS_API int qs_leaderboard_rank(qs_txn *txn, uint32_t board, uint32_t user,
                               qs_rank_row *out);

/** One row of a user's answer history. */
typedef struct qs_history_row {
    uint64_t answer_id, test;
    uint32_t question, topic;
    uint8_t correct, status, score;
    int8_t chosen;
    uint32_t time_spent_ms;
    int64_t created_at;
} qs_history_row;

#define QS_CURSOR_SIZE 32
#define QS_CURSOR_TEXT_SIZE 44   /**< qs_cursor_format() output, NUL included */

/** Opaque position in a user's history. Bound to the user and to the store: a cursor
 *  that was altered, or made for another user or store, is rejected. */
typedef struct qs_cursor {
    unsigned char bytes[QS_CURSOR_SIZE];
} qs_cursor;

/** A user's answers newest first, by (created_at desc, answer id desc).
 *  @param[in]  after  NULL for the first page, else the @p next of the previous page:
 *                     the page resumes strictly after it
 *  @param[out] rows   up to @p cap rows; @p *n is the number written, plus one when
 *                     more rows follow (see @ref conventions); with @p cap 0 nothing
 *                     is written and @p next is @p after
 *  @param[out] next   cursor after the last row written (may be NULL)
 *  @return 0, QS_NOTFOUND (user), QS_BAD_CURSOR, QS_CORRUPT. */
QS_API int qs_history(qs_txn *txn, uint32_t user, const qs_cursor *after,
                      qs_history_row *rows, size_t cap, size_t *n, qs_cursor *next);

/** Write @p c as 43 URL-safe characters and a NUL into @p out. */
QS_API void qs_cursor_format(const qs_cursor *c, char out[QS_CURSOR_TEXT_SIZE]);

/** Parse the text form of a cursor. Checks the form only; qs_history() checks that
 *  it is genuine. @return 0, QS_BAD_CURSOR. */
QS_API int qs_cursor_parse(const char *text, qs_cursor *c);
/** @} */

/* #####################################################################
 * Advanced: batches, drawn tests, listings, scans by time, savepoints, time buckets
 * ##################################################################### */

/* ===================================================================== */
/** @defgroup batches Batches and dry runs
 *  @{ */
/** Submit the @p n answers @p a as n calls of qs_answer_submit() in that order would,
 *  applying each user's answers together (in the order given) and writing the rows in
 *  key order: the way to load a history, in a #QS_TXN_BULK transaction. A row's code
 *  goes to @p rcs[i] (0, QS_EXISTS, QS_EXPIRED, QS_NOTFOUND, QS_INVALID) and, for the
 *  answers stored, @p ids[i] (may be NULL) is the id one call per row would have given
 *  (0 for the others). A refused row changes nothing.
 *  @return 0 once every row has its code; QS_INVALID (NULL @p a or @p rcs with @p n
 *          rows), or a failure of the transaction, as qs_answer_submit() (QS_MAP_FULL,
 *          QS_DBS_FULL, QS_READONLY, ...): then abort it. */
QS_API int qs_answer_submit_many(qs_txn *txn, const qs_answer *a, size_t n, int *rcs,
                                 uint64_t *ids);

/** Whether qs_answer_submit() would take @p a, without writing anything: what a
 *  loader asks before it creates the test an answer names, so that a rejected row
 *  leaves nothing behind without a savepoint. With a->test 0 the answer is checked
 *  as the first one of a new open-list test of a->user: its fields, its question and
 *  its period. A duplicate (QS_EXISTS) is found by qs_answer_submit() alone.
 *  @return 0, or what qs_answer_submit() would return: QS_INVALID, QS_NOTFOUND,
 *          QS_EXPIRED. Any transaction. */
QS_API int qs_answer_check(qs_txn *txn, const qs_answer *a);

/** Log the @p n interactions @p ix as n calls of qs_interaction_log() in that order
 *  would, writing them in time order: the way to load an event log.
 *  A row's code goes to @p rcs[i]: 0, QS_EXISTS (that event is stored, or came earlier
 *  in @p ix), QS_EXPIRED, QS_NOTFOUND (user), QS_INVALID, QS_TOO_LARGE; for the rows
 *  stored, @p seqs[i] (may be NULL) is the sequence number one call per row would have
 *  given (0 for the others). A refused row changes nothing.
 *  @return 0 once every row has its code; QS_INVALID (NULL @p ix or @p rcs with @p n
 *          rows), or a failure of the transaction, as qs_interaction_log() (QS_MAP_FULL,
 *          QS_DBS_FULL, QS_READONLY, ...): then abort it. */
QS_API int qs_interaction_log_many(qs_txn *txn, const qs_interaction *ix, size_t n,
                                   int *rcs, uint64_t *seqs);
/** @} */

/* ===================================================================== */
/** @defgroup draws Tests drawn from the precomputed pools
 *  @{ */
/** What qs_test_create() draws from. */
typedef enum qs_draw_pattern {
    QS_DRAW_FILTER = 1,   /**< subject/system/topic/difficulty as given (0 = any) */
    QS_DRAW_ADAPTIVE = 2, /**< one system, questions whose success rate (among questions
                               with attempts) is within [rate_min_bp, rate_max_bp] */
    QS_DRAW_WEAK = 3      /**< topics where the user's rate is below 6000, or all active
                               questions when there are none */
} qs_draw_pattern;

/** Which of the eligible questions a draw keeps, by the user's own record. */
typedef enum qs_draw_only {
    QS_ONLY_ANY = 0,        /**< all of them */
    QS_ONLY_UNUSED = 1,     /**< those the user never answered */
    QS_ONLY_INCORRECT = 2,  /**< those whose latest answer by the user was wrong */
    QS_ONLY_MARKED = 3      /**< those the user marked */
} qs_draw_only;

/** Parameters of qs_test_create(). Zero-initialise (or set only `size`), then set
 *  what applies. */
typedef struct qs_draw {
    uint32_t size;                   /**< see @ref growth */
    uint64_t id;                     /**< the new test's id, or 0 to assign one */
    uint32_t user;
    uint8_t pattern;                 /**< qs_draw_pattern */
    uint8_t mode;                    /**< qs_test_mode of the new test */
    uint8_t only;                    /**< qs_draw_only */
    uint32_t subject, system, topic; /**< QS_DRAW_FILTER / QS_DRAW_ADAPTIVE (system) */
    uint8_t difficulty;              /**< 0 = any */
    uint16_t rate_min_bp, rate_max_bp;
    uint16_t count;                  /**< questions wanted, 1..QS_TEST_MAX_QUESTIONS */
    uint64_t seed;                   /**< draws are a function of the seed and the store */
    int64_t created_at;
} qs_draw;

/** Create an ACTIVE test of up to @p d->count distinct active questions drawn at random
 *  from those the pattern and @p d->only admit, from the precomputed pools: no sort,
 *  no scan of the bank. Every eligible question is equally likely to be drawn, and a
 *  draw is a function of the seed and the store. When fewer are eligible the test
 *  holds all of them: @p out->n_questions says how many.
 *  @return 0, QS_NOTFOUND (user), QS_EXISTS (d->id is taken), QS_INVALID, QS_READONLY.
 *          Write transaction. */
QS_API int qs_test_create(qs_txn *txn, const qs_draw *d, qs_test *out);

/** Kinds of precomputed question pools. Each holds the active questions that share
 *  its coordinates (a, b, c), uniformly shuffled, so qs_test_create() draws without
 *  sorting. */
typedef enum qs_pool_kind {
    QS_POOL_ALL = 1,      /**< a = difficulty */
    QS_POOL_SYSTEM = 2,   /**< a = system, b = difficulty */
    QS_POOL_TOPIC = 3,    /**< a = system, b = topic, c = difficulty */
    QS_POOL_SUBJECT = 4,  /**< a = subject, b = difficulty */
    QS_POOL_BAND = 5      /**< a = system, b = success band (rate / 1000, 9 from 90 %);
                               only questions with attempts */
} qs_pool_kind;

/** One pool. */
typedef struct qs_pool_info {
    uint8_t kind;         /**< qs_pool_kind */
    uint32_t a, b, c;
    uint32_t size;
} qs_pool_info;

/** Every non-empty pool, by (kind, a, b, c). @return 0, QS_CORRUPT. Any transaction. */
QS_API int qs_pools_list(qs_txn *txn, qs_pool_info *rows, size_t cap, size_t *n);

/** Shuffle every pool anew from @p seed (pools stay uniformly shuffled as questions
 *  come and go; this gives them a fresh order, e.g. on a schedule).
 *  @return 0, QS_READONLY, QS_MAP_FULL. Write transaction. */
QS_API int qs_pools_reshuffle(qs_txn *txn, uint64_t seed);
/** @} */

/* ===================================================================== */
/** @defgroup listing Listing the bank
 *  @{ */
/** Orders of qs_question_list(). */
typedef enum qs_list_order {
    QS_ORDER_ID = 0,      /**< question id ascending */
    QS_ORDER_NEWEST = 1   /**< created_at descending, then id descending */
} qs_list_order;

#define QS_BAND_NONE 11   /**< qs_question_filter.band: questions never answered */

/** What qs_question_list() returns. Zero-initialise (or set only `size`): every 0
 *  means "any". */
typedef struct qs_question_filter {
    uint32_t size;                   /**< see @ref growth */
    uint32_t subject, system, topic;
    uint8_t difficulty;   /**< 1..3 */
    uint8_t active;       /**< 1 = active only, 2 = inactive only */
    uint8_t band;         /**< success band + 1 (1..10: rate 0-9 %, ... 90-100 %), or
                               QS_BAND_NONE */
    uint8_t order;        /**< qs_list_order */
} qs_question_filter;

#define QS_LIST_CURSOR_SIZE 16
/** Position in a question listing; qs_question_list() checks it fits the order. */
typedef struct qs_list_cursor {
    unsigned char bytes[QS_LIST_CURSOR_SIZE];
} qs_list_cursor;

/** The ids of the questions that match @p f, a page at a time, in @p f->order.
 *  The engine reads the narrowest index that fits the filter (topic, system and
 *  band, subject, system, creation time) and scans the bank only when none does.
 *  @param[in]  after  NULL for the first page, else the previous page's @p next
 *  @param[out] ids    up to @p cap ids; @p *n is the number written, plus one when
 *                     more ids follow (see @ref conventions)
 *  @param[out] next   position after the last id written (may be NULL)
 *  @return 0, QS_INVALID (filter out of range, or a cursor of another order),
 *          QS_BAD_CURSOR (a damaged cursor), QS_CORRUPT. Any transaction. */
QS_API int qs_question_list(qs_txn *txn, const qs_question_filter *f,
                            const qs_list_cursor *after, uint32_t *ids, size_t cap,
                            size_t *n, qs_list_cursor *next);
/** @} */

/* ===================================================================== */
/** @defgroup scans Scans and iterators by time
 *  Every answer or interaction of a time range, bucket by bucket: through a callback
 *  (a scan) or a row at a time (an iterator). See @ref conventions for what the
 *  transaction allows while either runs.
 *  @{ */
/** Callback of qs_answer_scan(); return non-zero to stop (qs_answer_scan returns it). */
typedef int (*qs_answer_fn)(const qs_answer *a, void *ctx);

/** Every answer with @p from <= created_at < @p to, bucket by bucket (oldest bucket
 *  first), within a bucket by (user, created_at, id). While @p fn runs, @p txn serves
 *  every read call (nested scans and iterators too) and refuses every write call with
 *  QS_INVALID (see @ref conventions).
 *  @return 0, the callback's non-zero return, QS_INVALID (no callback, from >= to, or
 *          the callback ended the transaction), QS_CORRUPT. Any transaction. */
QS_API int qs_answer_scan(qs_txn *txn, int64_t from, int64_t to, qs_answer_fn fn,
                          void *ctx);

/** An open iterator over answers: qs_answer_scan() a row at a time. */
typedef struct qs_answer_iter qs_answer_iter;

/** Open an iterator over the answers with @p from <= created_at < @p to: it returns
 *  the rows qs_answer_scan() passes, in the same order, one per qs_answer_iter_next().
 *  It holds two cursors (the bucket registry's and one bucket's) and at most one
 *  decoded block at a time, never the range's rows. While it is open, @p txn serves
 *  every read call and refuses every write call with QS_INVALID; it is detached when
 *  @p txn ends or is reset (see @ref conventions). A #QS_TXN_BULK transaction first
 *  writes out what it gathered. Close it with qs_answer_iter_close().
 *  @param[out] it  the iterator; NULL on failure
 *  @return 0, QS_INVALID (NULL @p it, from >= to), QS_BAD_TXN, ENOMEM, or a failure
 *          of that writing out (QS_MAP_FULL, ...). Any transaction. */
QS_API int qs_answer_iter_open(qs_txn *txn, int64_t from, int64_t to, qs_answer_iter **it);

/** The next answer of @p it into @p out.
 *  @return 0 with a row in @p out; QS_END when there are no more rows (again on every
 *          later call); QS_INVALID (NULL argument, or @p it is detached: its
 *          transaction has ended); QS_BAD_TXN (its transaction failed); QS_CORRUPT (a
 *          damaged record or block, named in qs_errmsg() as the scan names it). After
 *          a failure of the walk (QS_CORRUPT, ENOMEM) every later call fails again:
 *          close it. */
QS_API int qs_answer_iter_next(qs_answer_iter *it, qs_answer *out);

/** Close and free @p it, open or detached. NULL is a no-op. */
QS_API void qs_answer_iter_close(qs_answer_iter *it);

/** Callback of qs_interaction_scan(): @p ix->payload is valid during the call only.
 *  Return non-zero to stop (qs_interaction_scan returns it). */
typedef int (*qs_interaction_fn)(const qs_interaction *ix, uint64_t seq, void *ctx);

/** Every stored interaction with @p from <= created_at < @p to, bucket by bucket
 *  (oldest bucket first); within a raw bucket by (created_at, seq), within a sealed
 *  one by (user, created_at, seq) (qs_bucket_info tells which). Buckets that
 *  retention dropped are gone; their counts stay in qs_interaction_days(). While
 *  @p fn runs, @p txn serves every read call (nested scans and iterators too) and
 *  refuses every write call with QS_INVALID (see @ref conventions).
 *  @return 0, the callback's non-zero return, QS_INVALID (no callback, from >= to, or
 *          the callback ended the transaction), QS_CORRUPT. Any transaction. */
QS_API int qs_interaction_scan(qs_txn *txn, int64_t from, int64_t to, qs_interaction_fn fn,
                               void *ctx);

/** An open iterator over interactions: qs_interaction_scan() a row at a time. */
typedef struct qs_interaction_iter qs_interaction_iter;

/** Open an iterator over the interactions with @p from <= created_at < @p to: the rows
 *  qs_interaction_scan() passes, in the same order, as qs_answer_iter_open() does for
 *  answers (two cursors and at most one decoded block at a time; @p txn refuses write
 *  calls while it is open, and detaches it when it ends or is reset).
 *  @param[out] it  the iterator; NULL on failure
 *  @return as qs_answer_iter_open(). Any transaction. */
QS_API int qs_interaction_iter_open(qs_txn *txn, int64_t from, int64_t to,
                                    qs_interaction_iter **it);

/** The next interaction of @p it into @p out, and its sequence number into @p seq (may
 *  be NULL). @p out->payload points into memory of the iterator or the transaction,
 *  valid until the next call on the iterator, its close, or the end of its
 *  transaction.
 *  @return as qs_answer_iter_next(). */
QS_API int qs_interaction_iter_next(qs_interaction_iter *it, qs_interaction *out,
                                    uint64_t *seq);

/** Close and free @p it, open or detached. NULL is a no-op. */
QS_API void qs_interaction_iter_close(qs_interaction_iter *it);

/** A user's interactions of one action on one UTC day. */
typedef struct qs_interaction_day {
    int32_t day;             /**< days since 1970-01-01 */
    uint8_t action;
    uint32_t count;
} qs_interaction_day;

/** A user's interaction counts for days @p from_day .. @p to_day (inclusive), by
 *  (day, action). Kept in the same transaction as every qs_interaction_log() and never
 *  dropped by retention.
 *  @param[out] rows  up to @p cap rows
 *  @param[out] n     total number of rows in the range
 *  @return 0, QS_NOTFOUND (user), QS_INVALID, QS_CORRUPT. */
QS_API int qs_interaction_days(qs_txn *txn, uint32_t user, int32_t from_day, int32_t to_day,
                               qs_interaction_day *rows, size_t cap, size_t *n);
/** @} */

/* ===================================================================== */
/** @defgroup savepoints Savepoints and long-lived readers
 *  @{ */
/** Begin a savepoint: a write transaction nested in @p parent. Committing it folds
 *  its writes into the parent; aborting it undoes only them. The parent may not be
 *  used until the child ends. Lets a loader apply a row of several calls all or
 *  nothing inside a large batch.
 *  @return 0, QS_INVALID (parent read-only or has a child, or the store was opened
 *          with write_map), ENOMEM. */
QS_API int qs_txn_savepoint(qs_txn *parent, qs_txn **child);

/** Release a read-only transaction's snapshot but keep the handle for qs_txn_renew():
 *  cheaper than abort + begin for a reader that runs many short reads. The handle
 *  keeps its reader slot (qs_options.max_readers) until it is aborted. */
QS_API void qs_txn_reset(qs_txn *txn);

/** Take a new snapshot on a read-only transaction that was reset.
 *  @return 0, QS_INVALID (not a reset read-only txn), QS_READERS_FULL. */
QS_API int qs_txn_renew(qs_txn *txn);
/** @} */

/* ===================================================================== */
/** @defgroup buckets Time buckets: sealing and retention
 *  Answers and interactions live in one database per period (qs_options.bucket_period),
 *  named by it: "ans@2026-01", "ixn@2026-01". Writes go to the bucket of the row's own
 *  created_at; reads with a time range open only the buckets that overlap it.
 *
 *  A bucket older than the hot window can be sealed: its rows are grouped per user in
 *  blocks of delta-coded columns, each block compressed with a zstd dictionary trained
 *  on that bucket. Every read returns the same rows from a sealed bucket as from the
 *  raw one. A row written later into a sealed bucket (an import of old history) goes
 *  into its user's block, which is re-compressed: the bucket stays sealed.
 *
 *  Retention drops whole buckets. Every aggregate (question stats, user summaries,
 *  progress, daily rows, leaderboards, interaction day counts) stays as it was.
 *  @{ */
/** The two time-bucketed tables. */
typedef enum qs_table {
    QS_TABLE_ANSWERS = 1,
    QS_TABLE_INTERACTIONS = 2
} qs_table;

/** One bucket. */
typedef struct qs_bucket_info {
    qs_table table;
    int64_t start, end;      /**< its period, [start, end) */
    char name[24];           /**< its database: "ans@2026-01" raw, "ans@2026-01.z" sealed */
    int sealed;
    uint64_t rows;
    uint64_t bytes;          /**< pages its database occupies, in bytes */
    uint64_t raw_bytes;      /**< sealed: bytes of the raw database it replaced; raw:
                                  equal to @c bytes */
} qs_bucket_info;

/** Every bucket, answers then interactions, oldest first.
 *  @param[out] rows  up to @p cap rows
 *  @param[out] n     total number of buckets
 *  @return 0, QS_CORRUPT. Any transaction. */
QS_API int qs_bucket_list(qs_txn *txn, qs_bucket_info *rows, size_t cap, size_t *n);

/** When buckets are sealed and dropped. Stored in the store. */
typedef struct qs_bucket_policy {
    uint32_t size;                        /**< see @ref growth */
    unsigned hot_periods;                 /**< periods that stay raw, the one holding
                                               "now" included (2: the current and the
                                               previous); at least 1 */
    unsigned answer_retention_days;       /**< drop answer buckets whose whole period is
                                               older than this; 0 keeps them (default) */
    unsigned interaction_retention_days;  /**< the same for interactions (90); 0 keeps */
} qs_bucket_policy;

/** @return 0, QS_CORRUPT. Any transaction. */
QS_API int qs_bucket_policy_get(qs_txn *txn, qs_bucket_policy *out);
/** @return 0, QS_INVALID (hot_periods 0), QS_READONLY. Write transaction. */
QS_API int qs_bucket_policy_set(qs_txn *txn, const qs_bucket_policy *policy);

/** Seal the bucket of @p table that holds time @p t. The sealed database replaces the
 *  raw one when @p txn commits; until then every reader sees the raw one, and if the
 *  transaction never commits (abort, crash) the raw bucket stays as it was.
 *  @param[out] out  the sealed bucket (may be NULL)
 *  @return 0; QS_NOTFOUND (no bucket holds @p t); QS_EXISTS (sealed already);
 *          QS_HOT (the bucket ends after the start of the hot window at @p now);
 *          QS_INVALID; QS_READONLY; QS_MAP_FULL. Write transaction. */
QS_API int qs_bucket_seal(qs_txn *txn, qs_table table, int64_t t, int64_t now,
                          qs_bucket_info *out);

/** Drop every bucket whose whole period ended more than its table's retention before
 *  @p now (a period ending exactly at the cutoff is dropped). Later writes of rows
 *  older than the newest dropped period's end return QS_EXPIRED.
 *  @param[out] dropped  how many buckets were dropped (may be NULL)
 *  @return 0, QS_READONLY, QS_CORRUPT. Write transaction. */
QS_API int qs_buckets_expire(qs_txn *txn, int64_t now, size_t *dropped);
/** @} */

/* #####################################################################
 * Administration: durability, storage, the bank, indexes, integrity, backups
 * ##################################################################### */

/* ===================================================================== */
/** @defgroup admin Durability, storage and the question bank
 *  @{ */
/** Sync the redo log now: every commit of this process is then durable (useful with
 *  QS_SYNC_PERIODIC).
 *  @return 0, errno (the flush failed: the handle is then broken), QS_PANIC (a flush
 *  failed before). Any thread. */
QS_API int qs_env_sync(qs_env *env);

/** Make a checkpoint now: sync LMDB's file and start the redo log afresh, so that the
 *  next recovery replays nothing committed before it. The library makes them by itself
 *  (see #qs_durability); call this to bound the next recovery, or before copying the
 *  store's files by other means than qs_backup(). Waits while another thread or
 *  process writes.
 *  @return 0, QS_READONLY (a read-only handle), QS_PANIC (a flush failed before), or
 *  errno (the sync failed: the handle is then broken). Any thread. */
QS_API int qs_env_checkpoint(qs_env *env);

/** Storage statistics of one named database. */
typedef struct qs_db_stat {
    char name[32];            /**< database name ("question", "ans@2026-01", ...) */
    uint64_t entries;         /**< key/value pairs (posting list entries for indexes) */
    uint32_t depth;           /**< B-tree depth */
    uint64_t branch_pages, leaf_pages, overflow_pages;
    uint64_t bytes;           /**< (branch + leaf + overflow) * page size; the pages of
                                   LMDB's tree of the database, which in a database of
                                   sorted duplicates hold each key's values up to about
                                   2 KB (170 answers of a test in test_answers, 500
                                   users at one score on a leaderboard): a key's values
                                   beyond that move to a tree of their own, not
                                   counted here */
} qs_db_stat;

/** Statistics of every database of the store, sorted by name.
 *  @param[out] rows  up to @p cap rows
 *  @param[out] n     total number of databases
 *  Any transaction. */
QS_API int qs_db_stats(qs_txn *txn, qs_db_stat *rows, size_t cap, size_t *n);

/** Result of qs_bank_compress(). */
typedef struct qs_compress_report {
    uint32_t size;          /**< see @ref growth */
    uint32_t questions;     /**< questions seen */
    uint32_t compressed;    /**< records that became smaller (the rest stay raw) */
    uint64_t raw_bytes;     /**< bytes of the question database's pages before */
    uint64_t stored_bytes;  /**< bytes of the question database's pages after */
    uint32_t dict_bytes;    /**< size of the trained dictionary; 0 if none was trained */
} qs_compress_report;

/** Train a zstd dictionary on the bank's texts and re-store every question's text
 *  compressed with it where that is smaller, rewriting the question database packed.
 *  Later puts use the same dictionary. Banks under 64 questions, or with too little
 *  text to learn from, are left as they are (dict_bytes 0). Holds every question's
 *  text in memory while it runs.
 *  @return 0, QS_READONLY, QS_MAP_FULL. Write transaction. */
QS_API int qs_bank_compress(qs_txn *txn, qs_compress_report *report);
/** @} */

/* ===================================================================== */
/** @defgroup indexes Secondary indexes and pools, verified and rebuilt
 *  @{ */
/** What qs_index_verify() found in one derived structure. */
typedef struct qs_index_report {
    char name[32];            /**< "q_filter", ..., "lb_weekly", "lb_count", "pools" */
    uint64_t checked;         /**< entries the records call for */
    uint64_t missing;         /**< of those, absent */
    uint64_t extra;           /**< entries no record calls for (or in the wrong place) */
    char first_finding[160];  /**< the first finding, naming the entry; "" for none */
} qs_index_report;

/** Check every secondary index and pool against the records they derive from, both
 *  ways: one row per declared index (q_filter, q_subject, q_band, q_created,
 *  test_by_user, test_answers, lb_all_time, lb_weekly), then the leaderboards' block
 *  counts (lb_count), then the pools.
 *  @return 0 (findings are in the rows, not the return code), QS_CORRUPT.
 *  Any transaction. */
QS_API int qs_index_verify(qs_txn *txn, qs_index_report *rows, size_t cap, size_t *n);

/** Rebuild every secondary index and pool from the records.
 *  @return 0, QS_READONLY, QS_MAP_FULL. Write transaction. */
QS_API int qs_index_rebuild(qs_txn *txn);
/** @} */

/* ===================================================================== */
/** @defgroup check Integrity check, repair, backup, compaction
 *  @{ */
/** What qs_check() found in one part of the store. */
typedef struct qs_check_report {
    char name[32];            /**< "pages" (the data file's pages), a database
                                   ("question", "ans@2026-01"), an index or the pools
                                   ("index:q_filter", "index:pools": the names of
                                   qs_index_verify()), or an aggregate recomputed
                                   ("aggregate:usum", ...) */
    uint64_t checked;         /**< records or entries examined */
    uint64_t findings;        /**< of those: damaged, missing, extra or different */
    char first_finding[160];  /**< the first finding, naming its key; "" for none. A
                                   part not checked says why here, with 0 findings */
} qs_check_report;

/** Check the whole store in @p txn's snapshot:
 *  - first every page of the data file's B-trees, read without LMDB (row "pages", of a
 *    snapshot taken when the check starts): each page's header, node offsets and
 *    sizes, key order, child and overflow page numbers, each page reached once, and
 *    each database's counts. A finding names the damaged page and its database
 *    ("damaged page 812 (database 'ans@2025-12'): ..."). Damaged pages end the check
 *    there, with a row "records" saying the rest was not checked, since it would
 *    follow their pointers;
 *  - every record of every database: format byte, checksum, layout; every block of
 *    every sealed bucket decodes;
 *  - every index and pool entry both ways (as qs_index_verify());
 *  - every aggregate against its recomputation from the answers: question stats, user
 *    summaries with streaks, daily rows, topic progress, user-question status, and the
 *    interaction day counts from the interactions. A table with buckets dropped by
 *    retention cannot be recomputed: its aggregates get a row that says so;
 *  - the ends of each user's runs of consecutive active days that the daily rows
 *    record for the streaks, against the runs the daily rows make (in the
 *    "aggregate:udaily" row, also when retention dropped answers);
 *  - the links between records that no index covers, which older versions could
 *    break: every stored answer's user is its test's user ("link:answer-user") and
 *    its question is on its test's list ("link:answer-listed"); a test's
 *    last_activity_at, and an open_list COMPLETED test's completed_at, is not before
 *    its newest stored answer ("link:test-activity"); every question's topic belongs
 *    to the question's system ("link:question-topic"). qs_repair() mends the last two;
 *    the first two are primary records that disagree, and their findings say so.
 *  @param[out] rows  up to @p cap rows
 *  @param[out] n     total number of rows
 *  @return 0 (findings are in the rows, not the return code), ENOMEM. Any transaction. */
QS_API int qs_check(qs_txn *txn, qs_check_report *rows, size_t cap, size_t *n);

/** Rebuild everything derived from the primary records (questions, users, tests,
 *  answers, interactions): the aggregates recomputed from the answers and
 *  interactions (not for a table with buckets dropped by retention: those stay, but
 *  for the daily rows' run ends, rebuilt from the daily rows), then every index,
 *  leaderboard and pool. Review marks are kept. Then what the puts keep in step: a
 *  question whose topic belongs to another system moves to that system (as
 *  qs_taxon_put() carries it), and a test's times are raised to its newest answer (as
 *  qs_test_put() holds them). Primary records are not derived: a damaged one is
 *  QS_CORRUPT, naming it, and nothing is changed; an answer whose test is another
 *  user's, or whose question its test does not list, stays as it is (qs_check()
 *  names it: restore a backup, or put the test again with the question listed).
 *  @return 0, QS_CORRUPT, QS_READONLY, QS_MAP_FULL. Write transaction. */
QS_API int qs_repair(qs_txn *txn);

#define QS_BACKUP_COMPRESS 0x1   /**< qs_backup(): write data.mdb.zst instead of data.mdb */

/** Write a consistent, compacted copy of the store, as of one snapshot, into directory
 *  @p dir (created if missing; it must hold no backup, and may not be the store's own)
 *  while other transactions go on: data.mdb (or data.mdb.zst) and MANIFEST, a text
 *  file listing each file's size and xxh3-64 hash and the store's format. The data
 *  file is written as NAME.partial and renamed once whole, then the MANIFEST is
 *  written: a failed backup leaves no data file, and a backup without its MANIFEST is
 *  never complete. Every page of the store is checked first (as qs_check() does): a
 *  damaged store is not backed up. @return 0, QS_INVALID (dir is the store's),
 *  QS_EXISTS (dir holds a backup or a data file), QS_READERS_FULL, QS_CORRUPT (the
 *  store is damaged), errno (ENOENT: no parent directory, ENOSPC, EFBIG, EACCES,
 *  ...). Any thread. */
QS_API int qs_backup(qs_env *env, const char *dir, unsigned flags);

/** Restore the backup in @p backup_dir into @p store_dir (created if missing; it must
 *  hold no store), after checking every file against the manifest: a damaged backup
 *  writes nothing.
 *  @return 0, QS_CORRUPT (a file does not match the manifest, naming it), QS_FORMAT
 *          (written by a newer library), QS_EXISTS (store_dir holds a store),
 *          QS_INVALID (store_dir is backup_dir), errno (ENOENT: no MANIFEST, EFBIG). */
QS_API int qs_restore(const char *backup_dir, const char *store_dir);

/** Rewrite the store's file in directory @p dir in place, compacted: every database of
 *  the newest commit appended in key order into a new file, so that every page is
 *  full and no page is free. The file shrinks after sealing and retention freed pages,
 *  and after inserts in random key order (a load) left pages half full; the first
 *  writes after it split the full pages they land in. Records are copied byte for
 *  byte, and each database's entry count is compared before the new file is used.
 *  Opens the store itself with @p opts (NULL: defaults; not read-only), which no other
 *  handle, of this process or another, may have open: while the call runs, other opens
 *  wait for it. The new file is written as compact.partial/data.mdb in @p dir, fsynced,
 *  then renamed over data.mdb: a crash, a power cut or a failure at any moment leaves
 *  the store as it was or compacted, every commit in it. Needs free disk space for the
 *  new file. Every page is checked first: a damaged store is not compacted.
 *  @param[out] before, after  the bytes the data file takes on the disk (its
 *                             allocated blocks) before and after (NULL to skip)
 *  @return 0, QS_BUSY (the store is open elsewhere), QS_CORRUPT, QS_INVALID, errno
 *          (ENOENT: no store in @p dir, ENOSPC, ...), or any error of qs_env_open(). */
QS_API int qs_compact(const char *dir, const qs_options *opts, uint64_t *before,
                      uint64_t *after);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* QUIZSTORE_H */
