/* index_cmd.h: what the files of `quizstore pools` and `quizstore index` share
 * (index_cmd.c: usage, options and dispatch, verify and rebuild; index_pools.c: pools
 * list and reshuffle, and the pools read). */
#ifndef QS_INDEX_CMD_H
#define QS_INDEX_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* The command line of one call. */
typedef struct index_args {
    const char *cmd;      /* "pools" or "index" */
    const char *action;   /* list, reshuffle, verify, rebuild */
    char context[64];     /* "pools verify" */
    int json;
    int seed_given;
    uint64_t seed;
} index_args;

/* ---- index_pools.c ------------------------------------------------------------------- */

/* Every pool, in a malloc'ed array grown until they fit. */
int read_pools(qs_txn *txn, qs_pool_info **rows, size_t *n);

/* ---- the actions: each returns the exit status ---------------------------------------- */

int pools_list(const index_args *a, qs_txn *txn);
int pools_reshuffle(const index_args *a, qs_txn *txn);

#endif /* QS_INDEX_CMD_H */
