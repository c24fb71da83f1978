/* engine_int.h: the engine's private structures, for the engine's own files only. */
#ifndef QS_ENGINE_INT_H
#define QS_ENGINE_INT_H

#include <pthread.h>
#include <zstd.h>

#include "engine.h"

#define ENG_MAX_DBS 4096   /* fixed databases plus every time bucket */
#define ENG_FORMAT 1       /* on-disk format written and understood */

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

struct qs_env {
    MDB_env *mdb;
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

    /* Dictionaries: every one loaded, newest first; current is used for writes. */
    pthread_mutex_t dict_lock;
    eng_dict *dicts;
    uint32_t current_dict;

    /* QS_SYNC_PERIODIC flusher. */
    pthread_t syncer;
    int syncer_running;
    pthread_mutex_t sync_lock;
    pthread_cond_t sync_cond;
    int closing;
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
    eng_handle *new_handles;    /* handles to publish on commit */
    size_t n_new_handles;
    eng_dict *new_dict;         /* dictionary trained in this txn */
    int gen_dirty;
    /* last bucket resolved, to skip the registry on consecutive writes */
    eng_table last_table;
    int64_t last_start;
    MDB_dbi last_dbi;
    char last_name[24];
    /* scratch */
    void *scratch[ENG_SCRATCH_COUNT];
    size_t scratch_cap[ENG_SCRATCH_COUNT];
};

/* env.c */
int eng_refresh_handles(qs_env *env);
/* Handle table lookups and additions; eng_handle_find takes handle_lock,
 * eng_handle_add expects it held. */
int eng_handle_find(qs_env *env, const char *name, MDB_dbi *dbi);
int eng_handle_add(qs_env *env, const char *name, MDB_dbi dbi);
int eng_meta_get_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t *v);
int eng_meta_put_u64(qs_txn *txn, const char *name, uint64_t v);

/* text.c */
int eng_dict_for(qs_txn *txn, uint32_t id, eng_dict **out);
void eng_dicts_free(eng_dict *d);
void eng_dict_publish(qs_env *env, eng_dict *d);

#endif /* QS_ENGINE_INT_H */
