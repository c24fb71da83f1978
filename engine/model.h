/* model.h: the records and keys of the data model (layouts in model.c).
 *
 * Every get returns 0, QS_NOTFOUND (output zeroed; no detail recorded) or
 * QS_CORRUPT (detail names database and key). Every put writes the whole record.
 */
#ifndef QS_MODEL_H
#define QS_MODEL_H

#include "engine.h"

/* ------------------------------------------------------------ entities */

/* A question as the library works on it: qs_question with its options in place. */
typedef struct eng_question {
    uint32_t id;
    char ext_id[QS_EXT_ID_MAX + 1];
    uint32_t subject, system, topic;
    uint8_t difficulty, type, active, correct_option, n_options;
    int64_t created_at;
    qs_text stem, explanation;
    qs_text options[QS_MAX_OPTIONS];
} eng_question;

/* A test as the library works on it: qs_test with its list in place. */
typedef struct eng_test {
    uint64_t id;
    char ext_id[QS_EXT_ID_MAX + 1];
    uint32_t user;
    uint8_t status, mode, open_list;
    uint16_t n_questions;
    int64_t created_at, last_activity_at, completed_at;
    uint32_t questions[QS_TEST_MAX_QUESTIONS];
} eng_test;

int eng_taxon_get(qs_txn *txn, qs_kind kind, uint32_t id, qs_taxon *out);
int eng_taxon_put(qs_txn *txn, qs_kind kind, const qs_taxon *t);

/* The question without its text (the read path for grading and aggregates). */
int eng_question_head(qs_txn *txn, uint32_t id, eng_question *out);
/* 0 when question @p id is in the store, else QS_NOTFOUND: its key alone, without
 * reading the record (whose checksum the reads and `check` verify). */
int eng_question_exists(qs_txn *txn, uint32_t id);
/* The question with its text; text pointers as eng_text_load() gives them. */
int eng_question_get(qs_txn *txn, uint32_t id, eng_question *out);
/* @p flags: ENG_APPEND when writing in id order. */
int eng_question_put(qs_txn *txn, const eng_question *q, unsigned flags);
/* The bank rewritten under a dictionary trained on its texts (qs_bank_compress(), in a
 * writable @p txn; bank.c): 0 or a failure that marks the txn. */
int eng_bank_compress(qs_txn *txn, qs_compress_report *report);
/* Whether the stored question @p id already holds exactly @p q (for idempotent puts). */
int eng_question_same(qs_txn *txn, const eng_question *q);

int eng_user_get(qs_txn *txn, uint32_t id, qs_user *out);
int eng_user_put(qs_txn *txn, const qs_user *u);

int eng_test_get(qs_txn *txn, uint64_t id, eng_test *out);
int eng_test_put(qs_txn *txn, const eng_test *t);

/* External id map: (kind, ext id) -> id. */
int eng_xid_get(qs_txn *txn, qs_kind kind, const char *ext, uint64_t *id);
int eng_xid_put(qs_txn *txn, qs_kind kind, const char *ext, uint64_t id);

/* ------------------------------------------------------------ answers */

/* An answer as stored in its bucket (rows.h): key (user, created_at, id). */
typedef struct eng_answer {
    uint32_t user;
    int64_t created_at;
    uint64_t id;
    uint64_t test;
    uint32_t question, topic;
    uint8_t correct, status, score;
    int8_t chosen;
    uint32_t time_ms;
} eng_answer;

void eng_answer_to_api(const eng_answer *a, qs_answer *out);

/* test_answers: the answers of each test, one 12-byte duplicate each (written by
 * index/composite.c). An answer is found from its duplicate as the row of the test's
 * user at created_at that answers the question (eng_answer_find). */
#define ENG_TEST_ANSWER_DUP 12
typedef struct eng_test_answer {
    uint32_t question;
    int64_t created_at;
} eng_test_answer;
void eng_test_answer_dup(uint8_t out[ENG_TEST_ANSWER_DUP], uint32_t question,
                         int64_t created_at);
/* An entry back into its test and answer: 0, or QS_CORRUPT naming it. */
int eng_test_answer_decode(const eng_val *k, const eng_val *dup, uint64_t *test,
                           eng_test_answer *out);
/* When @p test's answer to @p question was given: 0, or QS_NOTFOUND. */
int eng_test_answer_get(qs_txn *txn, uint64_t test, uint32_t question, int64_t *created_at);
/* Every answer of @p test, by question, into @p out, which has room for
 * QS_TEST_MAX_QUESTIONS (an answered question is on its test's list; more entries
 * are QS_CORRUPT); their number in *n. Answers retention dropped are there too. */
int eng_test_answers(qs_txn *txn, uint64_t test, eng_test_answer *out, size_t *n);

/* ------------------------------------------------------------ aggregates */

typedef struct eng_qstat {
    uint32_t attempts, correct, users;
    uint64_t score_sum, time_sum;
} eng_qstat;
int eng_qstat_get(qs_txn *txn, uint32_t question, eng_qstat *out);
int eng_qstat_put(qs_txn *txn, uint32_t question, const eng_qstat *s);

typedef struct eng_usum {
    uint32_t answered, correct;
    uint64_t time_ms;
    int64_t first_at, last_at;   /* oldest and newest answer; bound history walks */
    uint32_t streak, best;
} eng_usum;
int eng_usum_get(qs_txn *txn, uint32_t user, eng_usum *out);
int eng_usum_put(qs_txn *txn, uint32_t user, const eng_usum *s);

typedef struct eng_daily {
    uint32_t answers, correct;
    uint64_t time_ms;
    int32_t other_end;       /* the day at the other end of the row's run (model.c) */
    int has_other_end;       /* 0: a row of an older version, written without it */
} eng_daily;
/* The body of a daily row: both forms decode; check rb_done() after reading. */
void eng_daily_write(eng_wbuf *w, const eng_daily *d);
void eng_daily_read(eng_rbuf *r, eng_daily *d);
#define ENG_DAILY_KEY 8   /* udaily: user u32 | day */
void eng_daily_key(eng_key *k, uint32_t user, int32_t day);
int eng_daily_get(qs_txn *txn, uint32_t user, int32_t day, eng_daily *out);
int eng_daily_put(qs_txn *txn, uint32_t user, int32_t day, const eng_daily *d);
int eng_daily_decode(const eng_val *k, const eng_val *v, int32_t *day, eng_daily *d);

/* topic_progress: a user's progress in ENG_PROGRESS_CHUNK topics of consecutive ids
 * kept in one record, so that a progress view reads a few records, not one a topic. */
#define ENG_PROGRESS_CHUNK 32
typedef struct eng_progress {
    uint32_t topic;
    uint32_t attempts, correct;
    int64_t last_at;
} eng_progress;
typedef struct eng_progress_chunk {
    uint32_t user, chunk;   /* topics chunk * ENG_PROGRESS_CHUNK and the 31 after it */
    unsigned n;
    eng_progress rows[ENG_PROGRESS_CHUNK];   /* in topic order */
} eng_progress_chunk;
/* The key of the record holding @p topic of @p user (topic 0: the user's first). */
void eng_progress_key(eng_key *k, uint32_t user, uint32_t topic);
/* The record holding @p topic; none stored reads as one without rows (0). */
int eng_progress_chunk_get(qs_txn *txn, uint32_t user, uint32_t topic,
                           eng_progress_chunk *out);
/* The row of @p topic (in @p c's range) in @p c, a zeroed one put in its place if
 * there is none. */
eng_progress *eng_progress_row(eng_progress_chunk *c, uint32_t topic);
int eng_progress_chunk_put(qs_txn *txn, const eng_progress_chunk *c);
/* The same with eng_put()'s @p flags (ENG_APPEND: an upgrade writing in key order). */
int eng_progress_put(qs_txn *txn, const eng_progress_chunk *c, unsigned flags);
int eng_progress_decode(const eng_val *k, const eng_val *v, eng_progress_chunk *out);
/* @p fn with each of @p user's progress records, in topic order, until it returns
 * non-zero (returned): 0, that, or a failure (QS_CORRUPT names the record). */
typedef int (*eng_progress_fn)(void *ctx, const eng_progress_chunk *c);
int eng_progress_each(qs_txn *txn, uint32_t user, eng_progress_fn fn, void *ctx);

#define ENG_UQ_KEY 8      /* uq: user u32 | question u32 */
int eng_uq_get(qs_txn *txn, uint32_t user, uint32_t question, qs_user_question *out);
int eng_uq_put(qs_txn *txn, uint32_t user, uint32_t question, const qs_user_question *s);

/* idaily: a user's interactions per (day, action); add adds @p n to the count. */
void eng_idaily_key(eng_key *k, uint32_t user, int32_t day, uint8_t action);
int eng_idaily_add(qs_txn *txn, uint32_t user, int32_t day, uint8_t action, uint32_t n);
int eng_idaily_decode(const eng_val *k, const eng_val *v, qs_interaction_day *out);

/* test_by_user: (user u8, status u8, last_activity_at time, test u64) -> the test's
 * summary (mode u8, n_questions u16, created_at time), so that a user's list reads
 * no test record. */
#define ENG_TEST_INDEX_KEY 21
#define ENG_TEST_INDEX_VAL 11
void eng_test_index_key(eng_key *k, uint32_t user, uint8_t status, int64_t at, uint64_t test);
/* The summary of @p t into @p out (ENG_TEST_INDEX_VAL bytes); returns its size. */
size_t eng_test_index_val(uint8_t *out, const eng_test *t);
/* An entry back into a list row: 0, or QS_CORRUPT naming the entry. */
int eng_test_index_row(const eng_val *k, const eng_val *v, qs_test_row *out);
/* The upgrade from format 1: every test's summary written into test_by_user. */
int eng_upgrade_test_index(qs_txn *txn);

#endif /* QS_MODEL_H */
