/* engine.h: what index/ and api/ may call of the storage engine.
 *
 * The engine alone talks to LMDB, zstd and xxHash. It owns the environment and
 * transactions, the fixed named databases, the key and record codecs, the time
 * buckets, the text compression, and the thread-local error detail.
 */
#ifndef QS_ENGINE_H
#define QS_ENGINE_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "quizstore.h"
#include "codec.h"
#include "util/date.h"
#include "util/rng.h"

/* ---------------------------------------------------------------- errors */

/* Record @p rc with a printf-style detail for qs_errmsg(); returns @p rc. */
int eng_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


/* ---------------------------------------------------------------- damaged-file guard */

/* A guard armed on the calling thread around a call that reads the store (guard.c):
 * a fault reading the store's map, or an LMDB assertion, jumps back to its
 * sigsetjmp() with a non-zero value. */
#define ENG_GUARD_LOCKS 4
typedef struct eng_guard {
    sigjmp_buf jb;
    struct eng_guard *outer;       /* the guard armed before it on this thread */
    qs_env *env;
    uintptr_t map_base;            /* the store's map, and how far past it faults count */
    uint64_t map_reach;
    uint32_t psize;
    pthread_mutex_t *held[ENG_GUARD_LOCKS];   /* engine locks taken under the guard */
    int n_held;
    int signo;                     /* the fault: SIGSEGV or SIGBUS, at addr; 0: assertion */
    uintptr_t addr;
    char assertion[200];
} eng_guard;

/* Arm @p g for @p env's map (NULL: catch nothing but LMDB assertions of no store);
 * then call sigsetjmp(g.jb, 0) in the same function, and disarm on the way out. */
void eng_guard_arm(eng_guard *g, qs_env *env);
void eng_guard_disarm(eng_guard *g);
/* After the jump: disarm, release the locks taken under @p g, mark @p txn failed. The
 * environment is broken when locks were held, or when the call was in a write
 * transaction (or, @p txn NULL, in one of LMDB's own): its transactions are then left
 * to the process's end (eng_mdb_abort). Returns QS_CORRUPT with the detail. */
int eng_guard_caught(eng_guard *g, qs_txn *txn);
/* The engine's mutexes, remembered by the armed guard so that a fault releases them. */
void eng_lock(pthread_mutex_t *m);
void eng_unlock(pthread_mutex_t *m);

/* @p fn(@p arg) under a guard on @p env's store: its return, or QS_CORRUPT after a
 * fault (then @p txn, if not NULL, can only be aborted). */
int eng_guarded(qs_env *env, qs_txn *txn, int (*fn)(void *), void *arg);

/* The body of a public function: return @p call, evaluated under a guard on @p txn's
 * store; a fault returns QS_CORRUPT and leaves @p txn only to be aborted. */
#define ENG_GUARDED(txn, call)                                       \
    do {                                                             \
        eng_guard guard_;                                            \
        eng_guard_arm(&guard_, eng_txn_store(txn));                  \
        if (sigsetjmp(guard_.jb, 0) != 0)                            \
            return eng_guard_caught(&guard_, (txn));                 \
        int guarded_rc_ = (call);                                    \
        eng_guard_disarm(&guard_);                                   \
        return guarded_rc_;                                          \
    } while (0)

/* ---------------------------------------------------------------- databases */

/* The fixed named databases. Their names are in eng_db_name(). */
typedef enum eng_db {
    ENG_META,         /* string key -> record: format, counters, settings, dictionaries */
    ENG_XID,          /* (kind u8, external id) -> internal id */
    ENG_SUBJECT,      /* u32 -> taxon */
    ENG_SYSTEM,
    ENG_TOPIC,
    ENG_QUESTION,     /* u32 -> question */
    ENG_QSTAT,        /* u32 qid -> question aggregate */
    ENG_USER,         /* u32 -> user */
    ENG_USUM,         /* u32 user -> user summary */
    ENG_UDAILY,       /* (user, day) -> daily row */
    ENG_IDAILY,       /* (user, day, action) -> interaction count */
    ENG_PROGRESS,     /* (user, 32 topics) -> their progress rows (model.c) */
    ENG_UQ,           /* (user, qid) -> user-question status */
    ENG_TEST,         /* u64 -> test */
    ENG_TEST_BY_USER, /* (user, status, last_activity_at, test) -> "" */
    ENG_TEST_ANSWERS, /* test -> (qid, created_at) of each answer, DUPSORT|DUPFIXED */
    ENG_LB,           /* (board, correct) -> users, DUPSORT|DUPFIXED */
    ENG_LB_COUNT,     /* (board, level, block) -> users in that correct-count block */
    ENG_BUCKETS,      /* (table, period start) -> bucket registry record */
    ENG_Q_FILTER,     /* (system, topic, difficulty) -> question ids, DUPSORT|DUPFIXED */
    ENG_Q_SUBJECT,    /* (subject, difficulty) -> question ids, DUPSORT|DUPFIXED */
    ENG_Q_BAND,       /* (system, success band) -> question ids, DUPSORT|DUPFIXED */
    ENG_Q_CREATED,    /* (created_at, question) -> "" */
    ENG_POOL,         /* (pool, position) -> question id: the shuffled pools */
    ENG_POOL_POS,     /* (pool, question) -> position */
    ENG_DB_COUNT
} eng_db;

const char *eng_db_name(eng_db db);

/* ---------------------------------------------------------------- transactions */

int eng_txn_rdonly(qs_txn *txn);
qs_env *eng_env(qs_txn *txn);
/* The store of @p txn, or NULL for a NULL txn. */
qs_env *eng_txn_store(qs_txn *txn);
/* 0 if @p txn may write, else records the detail and returns QS_READONLY or QS_BAD_TXN.
 * The first call of every write call. In a bulk transaction it writes out what was
 * gathered first; eng_writable_gathering(), the first call of qs_answer_submit(),
 * qs_test_put() and qs_user_put(), gathers their writes instead (engine/wcache.c). */
int eng_writable(qs_txn *txn);
int eng_writable_gathering(qs_txn *txn);
/* 0 if @p txn may be used at all, else QS_BAD_TXN (or QS_INVALID for NULL), QS_PANIC
 * (the store hit a fault under a lock), QS_CORRUPT (the store was found damaged at
 * open: only qs_check runs, through eng_usable_to_check). */
int eng_usable(qs_txn *txn);
int eng_usable_to_check(qs_txn *txn);
/* Mark @p txn failed after a write error that left it half-done; returns @p rc. */
int eng_txn_failed(qs_txn *txn, int rc);
/* The store's secret, for binding client-held tokens (cursors) to this store. */
uint64_t eng_secret(qs_txn *txn);
/* The store's bucket period. */
qs_period eng_period(qs_txn *txn);

/* Counters kept in ENG_META, cached in the write transaction and written at commit. */
typedef enum eng_counter {
    ENG_NEXT_SUBJECT, ENG_NEXT_SYSTEM, ENG_NEXT_TOPIC, ENG_NEXT_QUESTION,
    ENG_NEXT_USER, ENG_NEXT_TEST, ENG_NEXT_ANSWER, ENG_NEXT_INTERACTION,
    ENG_COUNTER_COUNT
} eng_counter;
/* Take the next value of @p c (first is 1): answers and interactions. Write
 * transaction. */
uint64_t eng_counter_next(qs_txn *txn, eng_counter c);
/* The value eng_counter_next(c) would take, without taking it. */
uint64_t eng_counter_peek(qs_txn *txn, eng_counter c);
/* An explicit id @p used was given: later ids of @p c are taken above it while
 * there are free ones. */
void eng_counter_seen(qs_txn *txn, eng_counter c, uint64_t used);
/* An id for a new entity of counter @p c (subjects to tests), free in its primary
 * database: the lowest free id above the counter, or once the ids up to @p max are
 * all taken, the lowest free id from 1 (a walk that steps over runs of taken ids, so
 * that each id costs O(1) amortised). 0 in *id when every id up to @p max is taken.
 * Write transaction. */
int eng_counter_take(qs_txn *txn, eng_counter c, uint64_t max, uint64_t *id);

/* Scratch memory owned by the transaction, reused by the next call with the same
 * @p slot. Returns NULL (with detail) when out of memory. */
enum {
    ENG_SCRATCH_TEXT,    /* question text handed to the caller */
    ENG_SCRATCH_PACK,    /* question text being stored, uncompressed */
    ENG_SCRATCH_ZBUF,    /* question text being stored, compressed */
    ENG_SCRATCH_RECORD,  /* a large record body being built */
    ENG_SCRATCH_OPTIONS, /* a question's options handed to the caller */
    ENG_SCRATCH_LIST,    /* a test's question list handed to the caller */
    ENG_SCRATCH_DAYS,    /* the dashboard's days handed to the caller */
    ENG_SCRATCH_COUNT
};
void *eng_scratch(qs_txn *txn, int slot, size_t size);

/* sized.c: the structs that carry their size. eng_sized_in() copies the application's
 * struct @p given into the library's @p copy of @p known bytes (its size field 0);
 * eng_sized_out() writes the library's @p full struct into the application's @p out
 * as far as out's size goes. Both refuse a size the library cannot take (QS_INVALID,
 * naming @p type). */
int eng_sized_in(const void *given, size_t known, void *copy, const char *type);
int eng_sized_out(void *out, const void *full, size_t known, const char *type);
/* Whether eng_sized_out() will take @p out: a write call checks it before writing. */
int eng_sized_fits(const void *out, size_t known, const char *type);

/* ---------------------------------------------------------------- entries */

/* Bytes of a key or a value: in the store's map (valid until the transaction writes
 * or ends) or the caller's. */
typedef struct eng_val {
    size_t size;
    void *data;
} eng_val;

/* Flags of eng_put() and eng_entry_put(). */
#define ENG_NOOVERWRITE 0x10      /* QS_EXISTS when the key is there */
#define ENG_NODUPDATA 0x20        /* a database with duplicates: QS_EXISTS when the pair is */
#define ENG_APPEND 0x20000        /* the key sorts after every key of the database */

/* Read the record at @p key of @p db, checking version and checksum. The body points
 * into the map (valid until the txn ends or the db is written). Returns 0, QS_NOTFOUND
 * (no detail recorded), QS_CORRUPT (detail names db + key). */
int eng_get(qs_txn *txn, eng_db db, const eng_key *key, eng_rbuf *body);
/* Write a record (@p flags: ENG_NOOVERWRITE, ENG_APPEND). Returns 0, QS_EXISTS
 * (ENG_NOOVERWRITE and present), or a failure that marks the txn. */
int eng_put(qs_txn *txn, eng_db db, const eng_key *key, const eng_wbuf *body,
            unsigned flags);
/* Delete @p key: with @p dup (a database with duplicates) that one value, else the key
 * and all its values. Returns 0 or QS_NOTFOUND, or a failure that marks the txn. */
int eng_del(qs_txn *txn, eng_db db, const eng_key *key, const eng_val *dup);
/* A record the caller decoded badly: QS_CORRUPT naming db and key. */
int eng_corrupt(eng_db db, const eng_key *key, const char *why);

/* An index entry, which is not a record: its bytes as they are. A point read into
 * @p v: 0, QS_NOTFOUND (no detail recorded), or a failure. Reads a bulk transaction's
 * gathered writes. */
int eng_entry_get(qs_txn *txn, eng_db db, const eng_val *k, eng_val *v);
/* Write the entry (@p flags: ENG_NOOVERWRITE, ENG_NODUPDATA, ENG_APPEND): 0, QS_EXISTS
 * when a flag found it there, or a failure that marks the txn. */
int eng_entry_put(qs_txn *txn, eng_db db, const eng_val *k, const eng_val *v,
                  unsigned flags);
/* Delete every entry of @p db (write transaction): 0 or a failure that marks the txn. */
int eng_db_empty(qs_txn *txn, eng_db db);
/* The number of entries (values, counting duplicates) of @p db: 0 or a failure. */
int eng_db_entries(qs_txn *txn, eng_db db, uint64_t *n);
/* Every entry of @p db in key order to @p fn until it returns non-zero (returned).
 * 0, or a failure with detail naming @p db. */
typedef int (*eng_entry_fn)(const eng_val *k, const eng_val *v, void *ctx);
int eng_each_entry(qs_txn *txn, eng_db db, eng_entry_fn fn, void *ctx);

/* Seal a record: header + body into @p out (used by puts and by tests). */
size_t eng_rec_size(size_t body_len);
void eng_rec_seal(uint8_t *out, const eng_key *key, const uint8_t *body, size_t len);
/* Check a sealed record; on success point @p body at its body. 0 or QS_CORRUPT. */
int eng_rec_open(const eng_key *key, const uint8_t *rec, size_t len, eng_rbuf *body);

/* A key read back from the store must have exactly @p n bytes: else QS_CORRUPT, with
 * the detail eng_key_wrong() records. Inline, as a walk checks every key it steps on. */
int eng_key_wrong(const eng_val *k, size_t n, const char *dbname);
static inline int eng_key_check(const eng_val *k, size_t n, const char *dbname)
{
    return k->size == n ? 0 : eng_key_wrong(k, n, dbname);
}

/* The 64-bit hash of @p n bytes at @p p under @p seed (XXH3): stable across versions,
 * so stored positions and client-held tokens may depend on it. */
uint64_t eng_hash64(const void *p, size_t n, uint64_t seed);

/* ---------------------------------------------------------------- iterators */

/* A walk over the entries of one fixed database, in key order either way, optionally
 * kept within the keys that start with a prefix (eng_iter_within()). Every call that
 * moves it returns 0 with the entry in key and val, ENG_END when there is no such
 * entry within its range (no detail recorded), or a failure with detail naming the
 * database. A loop over entries ends with `rc == ENG_END ? 0 : rc`, so that a
 * QS_NOTFOUND of the loop's own work is not taken for the end. The entry's bytes are valid until the next move, a write to the database,
 * or the end of the transaction. An iterator sees every write of its transaction made
 * before it was opened (a bulk transaction writes out what it gathered for the
 * database first); it may be moved after writes to its own database (LMDB's cursors
 * follow them) but not after writes to others while gathering. */
#define ENG_END (-30991)   /* a code of the library's range that no public call returns */
typedef struct eng_iter {
    qs_txn *txn;
    struct MDB_cursor *cur;
    eng_db db;
    eng_val key, val;                    /* the entry it is on */
    size_t prefix_n;                     /* 0: the whole database */
    uint8_t prefix[ENG_KEY_MAX];
} eng_iter;

/* Open @p it on @p db: 0 or a failure. Close it with eng_iter_close() either way. */
int eng_iter_open(qs_txn *txn, eng_db db, eng_iter *it);
void eng_iter_close(eng_iter *it);
/* Keep @p it to the keys starting with the @p n bytes at @p prefix (n 0: no bound,
 * n at most ENG_KEY_MAX). */
void eng_iter_within(eng_iter *it, const void *prefix, size_t n);

int eng_iter_first(eng_iter *it);
int eng_iter_last(eng_iter *it);
/* The first entry whose key is >= @p key. */
int eng_iter_seek(eng_iter *it, const void *key, size_t n);
/* The last entry whose key is < @p key. */
int eng_iter_seek_before(eng_iter *it, const void *key, size_t n);
/* The first value of exactly @p key; the entry of exactly (@p key, @p val) of a
 * database with duplicates. */
int eng_iter_find(eng_iter *it, const void *key, size_t n);
int eng_iter_find_pair(eng_iter *it, const void *key, size_t n, const void *val,
                       size_t vn);
int eng_iter_next(eng_iter *it);
int eng_iter_prev(eng_iter *it);
/* Databases with duplicates: the first value of the next key, the last value of the
 * previous key, the first value of the current key, and how many values it has. */
int eng_iter_next_key(eng_iter *it);
int eng_iter_prev_key(eng_iter *it);
int eng_iter_first_dup(eng_iter *it);
int eng_iter_dups(eng_iter *it, size_t *n);
/* Delete the entry @p it is on (write transaction): 0 or a failure that marks the
 * txn. The next eng_iter_next() moves to the entry that followed it. */
int eng_iter_del(eng_iter *it);

/* The values of the current key of a DUPSORT|DUPFIXED database, a page at a time.
 * Position the iterator on the key's first value, then call eng_dup_next() until it
 * returns ENG_END. (A key with a single value has no page in LMDB: the values
 * come as a page of one.) */
typedef struct eng_dup_iter {
    eng_iter *it;
    int started, single;
} eng_dup_iter;
/* 0 with the page in vals and n (n values of the database's fixed size @p width),
 * ENG_END at the end, or a failure. */
int eng_dup_next(eng_dup_iter *d, size_t width, const uint8_t **vals, size_t *n);

/* ---------------------------------------------------------------- bulk transactions */

/* 1 when the writes of the current call gather (eng_writable_gathering()). */
int eng_gathering(qs_txn *txn);
/* Work the index layer postpones in a bulk transaction: fn(txn, ctx) runs at every
 * flush, before the gathered records are written, and must apply and forget what
 * was postponed; its writes go straight to LMDB, so it may write only databases
 * the cache does not hold. @p free_ctx(ctx) runs when the transaction ends. */
typedef int (*eng_deferred_fn)(qs_txn *txn, void *ctx);
/* The context registered with @p fn in @p txn, or NULL. */
void *eng_deferred(qs_txn *txn, eng_deferred_fn fn);
/* Register @p fn with @p ctx, once per transaction (REQUIRES: eng_gathering(txn)).
 * 0 or a failure. */
int eng_defer(qs_txn *txn, eng_deferred_fn fn, void (*free_ctx)(void *), void *ctx);
/* Mark database @p db as one deferred work will write: a read or write of it first
 * flushes. */
void eng_defer_touch(qs_txn *txn, eng_db db);


/* ---------------------------------------------------------------- checking */

void eng_report_init(qs_check_report *r, const char *name);
/* Count a finding in @p r; the first one's text is kept. */
void eng_report_finding(qs_check_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Whether @p db's values are records (else index entries). */
int eng_db_holds_records(eng_db db);
/* Check every record of @p db: header, checksum, layout. 0, or a failure other than
 * a finding. */
int eng_check_db(qs_txn *txn, eng_db db, qs_check_report *r);

/* Walk every B-tree page of one snapshot of the store's data file, reading it with
 * pread() and checking each page's header, node offsets and sizes, key order, child
 * and overflow page numbers, and each database record's counts, before LMDB would
 * follow them (pages.c). Damage goes into @p r (row "pages"), one finding per damaged
 * page naming it and its database. 0, or errno (ENOMEM, an I/O error). */
int eng_pages_check(qs_env *env, qs_check_report *r);

/* ---------------------------------------------------------------- buckets */

/* Tables (their values are qs_table's) and, in the registry, the emptied databases. */
typedef enum eng_table {
    ENG_T_ANSWER = QS_TABLE_ANSWERS,
    ENG_T_INTERACTION = QS_TABLE_INTERACTIONS,
    ENG_T_EMPTIED = 3
} eng_table;

/* Start of the period holding @p t, of the period after @p start, and of the one
 * before it. */
int64_t eng_period_start(qs_period p, int64_t t);
int64_t eng_period_next(qs_period p, int64_t start);
int64_t eng_period_prev(qs_period p, int64_t start);
/* "ans@2026-01", "ixn@2026-01-05" style name of a bucket into @p out (>= 24 bytes). */
void eng_bucket_name(eng_table table, qs_period p, int64_t start, char *out);


/* ---------------------------------------------------------------- question text */

/* The packed text of a question: stem, explanation, options. */
typedef struct eng_text {
    qs_text stem, explanation;
    qs_text options[QS_MAX_OPTIONS];
    uint8_t n_options;
} eng_text;

/* Append the stored form of @p t to @p w: raw, or zstd with the bank dictionary
 * when one exists and that is smaller. */
int eng_text_store(qs_txn *txn, const eng_text *t, eng_wbuf *w);
/* Read the stored form at @p r into @p t; texts point into the map or into the
 * transaction's text scratch. */
int eng_text_load(qs_txn *txn, eng_rbuf *r, eng_text *t);
/* Train a dictionary on @p samples and make it the bank dictionary of @p txn (the
 * store's after commit). Returns its size in *dict_bytes, 0 if too few samples. */
int eng_text_train(qs_txn *txn, const void *samples, const size_t *sizes, unsigned n,
                   uint32_t *dict_bytes);

/* ---------------------------------------------------------------- key maps */

/* Room for @p need elements of @p size bytes in the caller's vector *p, whose
 * capacity *cap doubles as needed (from 1024; util/grow.h). 0, or ENOMEM (*p and *cap
 * unchanged). */
int eng_grow(void **p, size_t *cap, size_t need, size_t size);

/* Open addressing from a nonzero 64-bit key to a 32-bit index into a vector the
 * caller keeps (keymap.c). */
typedef struct eng_keymap {
    uint64_t *key;            /* 0: empty */
    uint32_t *at;
    size_t cap, n;
} eng_keymap;

/* The index of @p key into *at, and *found; when it was not there, it is added as
 * @p next. 0, or ENOMEM. */
int eng_keymap_find(eng_keymap *m, uint64_t key, uint32_t next, uint32_t *at, int *found);
/* 1 with the index of @p key in *at, or 0 when it is not there. */
int eng_keymap_get(const eng_keymap *m, uint64_t key, uint32_t *at);
void eng_keymap_clear(eng_keymap *m);
void eng_keymap_free(eng_keymap *m);

/* ---------------------------------------------------------------- randomness */

/* The next value of a splitmix64 stream (util/rng.h): small, fast, seedable. */
static inline uint64_t eng_splitmix64(uint64_t *state)
{
    return ut_splitmix64(state);
}

/* ---------------------------------------------------------------- time */

#define ENG_DAY_MS UT_DAY_MS
/* Answers and interactions carry times from QS_TIME_MIN to QS_TIME_MAX: the range
 * time buckets cover. */
static inline int64_t eng_day64(int64_t t)
{
    return ut_day_of(t);
}
static inline int32_t eng_day(int64_t t)
{
    int64_t d = eng_day64(t);
    return d < INT32_MIN ? INT32_MIN : d > INT32_MAX ? INT32_MAX : (int32_t)d;
}

#endif /* QS_ENGINE_H */
