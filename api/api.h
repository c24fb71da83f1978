/* api.h: helpers shared by the files behind quizstore.h. */
#ifndef QS_API_H
#define QS_API_H

#include "engine.h"
#include "composite.h"
#include "index.h"
#include "model.h"
#include "rows.h"

/* An external id held in a fixed array is NUL-terminated, short enough and UTF-8.
 * @p what names the entity kind. */
int api_check_ext(const char *ext, const char *what);

/* utf8.c: @p len bytes at @p text are well-formed UTF-8 without NUL bytes, else
 * QS_INVALID with a detail naming @p what (the field) and the byte offset. */
int api_check_utf8(const char *text, size_t len, const char *what);

/* Fail with QS_NOTFOUND naming the missing entity. */
int api_missing(const char *what, uint64_t id);

/* The user must exist: 0, QS_NOTFOUND (with detail) or a failure. */
int api_user_exists(qs_txn *txn, uint32_t user);

/* entity.c: what every entity's put shares */
/* The name of @p kind in messages ("topic"). */
const char *api_kind_name(qs_kind kind);
/* A free id for a new entity of @p kind (see eng_counter_take). */
int api_new_id(qs_txn *txn, qs_kind kind, eng_counter counter, uint64_t max, uint64_t *id);
/* How a message names an entity: by its external id when it has one (the CLI's
 * users never see internal ids), else by its id. */
typedef struct label {
    char s[QS_EXT_ID_MAX + 32];
} label;

/* @p l filled with how a message names entity @p id of @p kind; returns l->s. */
const char *api_label_of(label *l, qs_kind kind, uint64_t id, const char *ext);
/* The identity of an entity being put. *ext_new says the external id must be
 * recorded once the put succeeds. */
typedef struct identity {
    uint64_t id;
    int ext_new;
} identity;

/* The identity of an entity being put: the given id (up to @p max), else the owner
 * of external id @p ext, else a new id from @p counter. */
int api_resolve_identity(qs_txn *txn, qs_kind kind, uint64_t given, const char *ext,
                         eng_counter counter, uint64_t max, identity *out);
/* The external id to store into @p out (which may be @p given): a put with none keeps
 * the one the entity has; another one than it has is QS_INVALID. */
int api_merge_ext(const char *old, const char *given, char *out, qs_kind kind,
                  uint64_t id);
/* Record the external id of a put that succeeded, if it is new. */
int api_finish_ext(qs_txn *txn, qs_kind kind, const identity *who, const char *ext);
/* The first id of @p db above *id (keys of @p width bytes) into *id; *more is 0 past
 * the last. */
int api_id_after(qs_txn *txn, eng_db db, size_t width, uint64_t *id, int *more);

/* tests.c: raise @p t's last_activity_at, and an open-list COMPLETED test's completed_at, to
 * an answer's @p at: what every answer does to its test. */
void api_test_reach(eng_test *t, int64_t at);

/* answer.c: batches (qs_answer_submit_many(), qs_interaction_log_many()) */
/* A row of a batch at its place: by user, then by time (interactions; an answer's is
 * 0), then in the order given. */
typedef struct row_place {
    uint32_t user;
    uint32_t i;              /* its place in the batch */
    int64_t at;
} row_place;

/* Rows in (user, at, place) order, for qsort(). */
int api_place_cmp(const void *pa, const void *pb);
/* Whether @p rc refuses a row of a batch alone (what one call for that row would
 * return); any other code is the failure of the whole call. */
int api_refuses_row(int rc);

/* qs_repair()'s part in what answers and topics decide (tests.c, questions.c): every test's
 * times raised to its newest answer, every question carried to its topic's system,
 * as a put would. REQUIRES: the indexes are sound (run after they are rebuilt). */
int api_repair_tests(qs_txn *txn);
int api_repair_questions(qs_txn *txn);

#endif /* QS_API_H */
