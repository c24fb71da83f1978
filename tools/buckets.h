/* buckets.h: what the files of `quizstore buckets` share (buckets.c: usage, options
 * and dispatch; buckets_list.c: list, and the pieces below; buckets_seal.c: seal;
 * buckets_retention.c: expire and policy). */
#ifndef QS_BUCKETS_H
#define QS_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* The command line of one call. */
typedef struct buckets_args {
    const char *action;
    char context[64];        /* "buckets seal" */
    int json;
    const char *now;         /* as given; NULL: the current time */
    qs_table table;          /* 0: both tables */
    int hot_set, keep_answers_set, keep_interactions_set;
    unsigned hot, keep_answers, keep_interactions;
    char **periods;          /* seal's PERIOD arguments */
    int n_periods;
} buckets_args;

/* ---- buckets_list.c ------------------------------------------------------------------ */

/* "answers" or "interactions". */
const char *table_word(qs_table table);
/* Raw bytes per stored byte; 0 for an empty bucket. */
double compression_ratio(uint64_t raw_bytes, uint64_t bytes);
/* Every bucket, in a malloc'ed array grown until they fit. */
int read_buckets(qs_txn *txn, qs_bucket_info **rows, size_t *n);
/* The bucket of @p table holding @p t among @p rows, or NULL. */
const qs_bucket_info *bucket_at(const qs_bucket_info *rows, size_t n, qs_table table,
                                int64_t t);
/* --now, or the current time. 0, or -1 (reported). */
int parse_now(const buckets_args *a, int64_t *now);
/* A transaction of @p flags; a failure is reported under a->context. Returns 0 or the
 * library's code. */
int buckets_begin(const buckets_args *a, qs_env *env, unsigned flags, qs_txn **txn);

/* ---- the actions: each returns the exit status ---------------------------------------- */

int buckets_list(const buckets_args *a, qs_env *env);
int buckets_seal(const buckets_args *a, qs_env *env);
int buckets_expire(const buckets_args *a, qs_env *env);
int buckets_policy(const buckets_args *a, qs_env *env);

/* The time a PERIOD argument names: a month (YYYY-MM, its first instant), or anything
 * the time parser reads (a day is its midnight). 0, or nonzero when it names none. */
int parse_period_arg(const char *s, int64_t *t);
/* Whether the command line changes a field of the policy (then policy writes). */
int policy_changes(const buckets_args *a);

#endif /* QS_BUCKETS_H */
