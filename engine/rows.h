/* rows.h: the rows of the time-bucketed tables, read and written the same way
 * whether their bucket is raw or sealed.
 *
 * A row's key is (user u32, created_at time, id u64): the answer id, or the
 * interaction's sequence number. A raw bucket holds one LMDB entry per row, under
 * that key for answers and under (created_at, seq) for interactions, which come in
 * time order. A sealed bucket (sealed.c) holds blocks of one user's consecutive rows,
 * each keyed by its last row's key, so the same seeks find an answer in either form.
 */
#ifndef QS_ROWS_H
#define QS_ROWS_H

#include "model.h"

#define ENG_ROW_KEY 20        /* user u32 | created_at time | id u64 */
#define ENG_EVENT_KEY 16      /* a raw interaction bucket's: created_at time | seq u64 */
#define ENG_BLOCK_ROWS 128    /* rows of one sealed block, at most */
#define ENG_BLOCK_PAYLOAD 2048 /* payload bytes of one sealed block, about */

/* An interaction: its key (user, created_at, seq) in a sealed block; a raw bucket keys
 * it by (created_at, seq) and keeps the user in the record (rows.c). */
typedef struct eng_ixn {
    uint32_t user;
    int64_t created_at;
    uint64_t seq;
    uint8_t action;
    uint16_t payload_len;
    const uint8_t *payload;   /* into the map or the cursor's block */
} eng_ixn;

/* A row of either table. Both structs begin with the key (user, created_at, id),
 * which may be read through either member. */
typedef union eng_row {
    eng_answer a;
    eng_ixn i;
} eng_row;

void eng_row_key(eng_key *k, uint32_t user, int64_t created_at, uint64_t id);

/* One bucket: what the registry says of it and its handle. */
typedef struct eng_bucket {
    eng_table table;
    int64_t start;
    int sealed;
    unsigned dbi;             /* its LMDB handle */
    char name[24];
} eng_bucket;

/* The bucket of @p table holding time @p t into @p b. With @p create a missing bucket
 * is created raw (write transaction); without, a missing one is QS_NOTFOUND. */
int eng_bucket_at(qs_txn *txn, eng_table table, int64_t t, int create, eng_bucket *b);

/* Buckets of @p table overlapping [from, to), in time order (or reverse). */
typedef struct eng_bucket_iter {
    qs_txn *txn;
    eng_table table;
    int64_t from, to;
    int reverse, started, done;
    struct MDB_cursor *cur;
    eng_bucket b;             /* the current bucket */
} eng_bucket_iter;
int eng_bucket_iter_open(eng_bucket_iter *it, qs_txn *txn, eng_table table, int64_t from,
                         int64_t to, int reverse);
/* 0 and a bucket in it->b, QS_NOTFOUND at the end, or a failure. */
int eng_bucket_iter_next(eng_bucket_iter *it);
void eng_bucket_iter_close(eng_bucket_iter *it);

/* ------------------------------------------------------------ cursor */

typedef struct eng_rows {
    qs_txn *txn;
    eng_bucket b;
    struct MDB_cursor *cur;
    int backward;
    int state;                /* ROWS_* in rows.c */
    /* sealed buckets: the decoded block and the position in it */
    eng_row *block;
    size_t n, pos;
    uint8_t *raw;
    size_t raw_cap;
    const void *dict;         /* the bucket's dictionary, looked up once per cursor */
    int dict_known;
} eng_rows;

/* 1 when bucket @p b keeps its rows by (created_at, id): a raw interaction bucket;
 * every other is by (user, created_at, id). */
int eng_bucket_in_time_order(const eng_bucket *b);
/* The first key that a row of @p user at @p created_at may have in bucket @p b. */
void eng_row_seek_key(eng_key *k, const eng_bucket *b, uint32_t user, int64_t created_at);


int eng_rows_open(eng_rows *c, qs_txn *txn, const eng_bucket *b);
/* Position @p c so that eng_rows_next() returns, forward, the rows from the first key
 * >= @p k on; @p backward, the rows before @p k, newest first. @p k NULL: from the
 * first (or last) row. @p k is in the bucket's order (eng_bucket_in_time_order). */
int eng_rows_seek(eng_rows *c, const eng_key *k, int backward);
/* 0 and the next row, QS_NOTFOUND past the end, or QS_CORRUPT. A row's payload stays
 * valid until the next call. */
int eng_rows_next(eng_rows *c, eng_row *row);
void eng_rows_close(eng_rows *c);

/* ------------------------------------------------------------ walks (walk.c) */

/* The rows of @p table in the buckets overlapping [from, to), bucket by bucket in time
 * order; in each bucket from the first key >= a seek (none: its first row; a key by
 * user, so only for answers). Rows outside [from, to) in an overlapping bucket come
 * too. It holds the registry's cursor, one bucket's, and at most one decoded block. */
typedef struct eng_table_iter {
    qs_txn *txn;              /* NULL once closed */
    eng_key seek;             /* n 0: each bucket from its first row */
    eng_bucket_iter buckets;
    eng_rows rows;            /* the current bucket's; rows.cur NULL between buckets */
    int rc;                   /* ENG_END, or the failure that stopped it */
    /* on its transaction's list of kept walks (eng_table_iter_keep) */
    struct eng_table_iter *kept_next, **kept_prev;
} eng_table_iter;

/* Open @p it (@p seek may be NULL): 0 or a failure. Close it either way. */
int eng_table_iter_open(eng_table_iter *it, qs_txn *txn, eng_table table, int64_t from,
                        int64_t to, const eng_key *seek);
/* 0 and the next row, ENG_END past the last (no detail recorded), or a failure. Once
 * it returned ENG_END or a failure, every later call returns that again. A row's
 * payload stays valid until the next call. REQUIRES: open (it->txn set). */
int eng_table_iter_next(eng_table_iter *it, eng_row *row);
/* Skip the rest of the current bucket: the next row is the next bucket's first. */
void eng_table_iter_next_bucket(eng_table_iter *it);
/* Keep @p it open beyond the call that opened it (a public iterator, or a scan whose
 * callback calls the API): on its transaction's list until it is closed, so that the
 * transaction refuses write calls meanwhile and closes it when it ends (txn.c). First
 * writes out what a bulk transaction gathered, so that nothing is written under it.
 * @p it must stay where it is until closed. 0, or a failure (close it). */
int eng_table_iter_keep(eng_table_iter *it);
/* Close its cursors, free its block, take it off its transaction's list. A closed
 * walk may be closed again. */
void eng_table_iter_close(eng_table_iter *it);

/* What an eng_row_fn returns to skip the rest of the bucket (a code of the library's
 * own range that no call returns). */
#define ENG_ROWS_NEXT_BUCKET (-30990)
typedef int (*eng_row_fn)(const eng_row *row, void *ctx);
/* The rows of an eng_table_iter over [from, to) from @p seek, each to @p fn: it
 * returns 0 to go on, ENG_ROWS_NEXT_BUCKET, or anything else to stop: that is
 * returned. */
int eng_table_each(qs_txn *txn, eng_table table, int64_t from, int64_t to,
                   const eng_key *seek, eng_row_fn fn, void *ctx);

/* The answer of @p user at @p created_at to (@p test, @p question) in bucket @p b:
 * 0 or QS_NOTFOUND. */
int eng_answer_find(qs_txn *txn, const eng_bucket *b, uint32_t user, int64_t created_at,
                    uint64_t test, uint32_t question, eng_row *row);

/* The end of the newest period of @p table that retention dropped; QS_TIME_MIN when
 * none was. */
int eng_expired_end(qs_txn *txn, eng_table table, int64_t *end);
/* 0, or QS_EXPIRED (with detail) when time @p t of @p table falls in a period that
 * retention dropped. */
int eng_row_expired(qs_txn *txn, eng_table table, int64_t t);

/* Store @p row in the bucket of its created_at (created when missing; a sealed bucket
 * takes it into its user's block). QS_EXISTS if its key is taken. Write transaction. */
int eng_row_put(qs_txn *txn, eng_table table, const eng_row *row);

/* Format 5 keeps raw interaction buckets in time order: rewrite those of an older
 * store, which are by user. Write transaction (the upgrade's). */
int eng_upgrade_events(qs_txn *txn);

/* ------------------------------------------------------------ blocks (block.c) */

/* Column form of rows[0 .. n) of one user, in key order, into @p out; its size.
 * @p out holds at least eng_block_bound(table, n, payload bytes). */
size_t eng_block_bound(eng_table table, size_t n, size_t payload_bytes);
size_t eng_block_encode(eng_table table, const eng_row *rows, size_t n, uint8_t *out);
/* Rows of user @p user from the column form at @p p; payloads point into @p p.
 * 0 or QS_CORRUPT (no detail). */
int eng_block_decode(eng_table table, uint32_t user, const uint8_t *p, size_t len,
                     eng_row *rows, size_t n);

/* ------------------------------------------------------------ sealing (seal.c) */

/* Rows of a raw interaction bucket that sealing sorts by user in memory at once, about
 * (2^21: 24 bytes of reference each, some 50 MB; the tests lower it to seal in many
 * passes). */
extern size_t eng_seal_pass_rows;

/* Seal raw bucket @p raw: the sealed one replaces it when @p txn commits. */
int eng_bucket_seal(qs_txn *txn, const eng_bucket *raw);
/* Drop bucket @p b: its database is emptied and its registry entry deleted. */
int eng_bucket_drop(qs_txn *txn, const eng_bucket *b);
/* Check every entry of @p b (checksums, layouts, blocks, the registry's row count),
 * counting entries and findings in @p r. 0, or a failure other than a finding. */
int eng_bucket_check(qs_txn *txn, const eng_bucket *b, qs_check_report *r);
/* The public description of @p b. */
int eng_bucket_info(qs_txn *txn, const eng_bucket *b, qs_bucket_info *out);

#endif /* QS_ROWS_H */
