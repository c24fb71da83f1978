/* rawdb.h: one named database of a closed store, opened with liblmdb directly, to
 * damage a store on purpose. Include after check.h. */
#ifndef QS_TESTS_RAWDB_H
#define QS_TESTS_RAWDB_H

#include <errno.h>
#include <lmdb.h>
#include <unistd.h>

#include "check.h"

typedef struct raw_db {
    char dir[4096];
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
} raw_db;

#define RAW_OK(expr)                                                                    \
    do {                                                                                \
        int raw_rc_ = (expr);                                                           \
        CHECK_MSG(raw_rc_ == 0, "%s: %s", #expr, mdb_strerror(raw_rc_));                \
    } while (0)

/* Open database @p name (with its flags, e.g. MDB_DUPSORT | MDB_DUPFIXED) of the store in
 * @p dir for writing. The store must be closed in this process. */
static inline void raw_open(raw_db *r, const char *dir, const char *name, unsigned flags)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    RAW_OK(mdb_env_create(&r->env));
    RAW_OK(mdb_env_set_maxdbs(r->env, 64));
    RAW_OK(mdb_env_open(r->env, dir, 0, 0644));
    RAW_OK(mdb_txn_begin(r->env, NULL, 0, &r->txn));
    RAW_OK(mdb_dbi_open(r->txn, name, flags, &r->dbi));
}

/* Commit the damage. It was made behind quizstore's back: the store's redo log goes
 * too, or the next open would start again from the log's checkpoint and undo it. */
static inline void raw_close(raw_db *r)
{
    char log[4200];
    RAW_OK(mdb_txn_commit(r->txn));
    mdb_env_close(r->env);
    snprintf(log, sizeof log, "%s/redo.log", r->dir);
    CHECK(unlink(log) == 0 || errno == ENOENT);
}

#define RAW_MAX 1024   /* bytes of a key or value that raw_entry() copies */

/* The entry at @p op (MDB_FIRST, MDB_LAST) copied into @p key / @p val (RAW_MAX bytes
 * each). */
static inline void raw_entry(raw_db *r, MDB_cursor_op op, uint8_t *key, size_t *key_len,
                             uint8_t *val, size_t *val_len)
{
    MDB_cursor *cur;
    MDB_val k, v;
    RAW_OK(mdb_cursor_open(r->txn, r->dbi, &cur));
    RAW_OK(mdb_cursor_get(cur, &k, &v, op));
    CHECK(k.mv_size <= RAW_MAX && v.mv_size <= RAW_MAX);
    memcpy(key, k.mv_data, k.mv_size);
    memcpy(val, v.mv_data, v.mv_size);
    *key_len = k.mv_size;
    *val_len = v.mv_size;
    mdb_cursor_close(cur);
}

/* Delete one entry (for a DUPSORT database, the one duplicate @p val). */
static inline void raw_del(raw_db *r, const uint8_t *key, size_t key_len, const uint8_t *val,
                           size_t val_len)
{
    MDB_val k = {key_len, (void *)key}, v = {val_len, (void *)val};
    RAW_OK(mdb_del(r->txn, r->dbi, &k, &v));
}

static inline void raw_put(raw_db *r, const uint8_t *key, size_t key_len, const uint8_t *val,
                           size_t val_len)
{
    MDB_val k = {key_len, (void *)key}, v = {val_len, (void *)val};
    RAW_OK(mdb_put(r->txn, r->dbi, &k, &v, 0));
}

/* Flip a bit in the middle of the last value of database @p name of the closed store in
 * @p dir: its record then fails its checksum. */
static inline void raw_flip_last(const char *dir, const char *name)
{
    raw_db r;
    MDB_cursor *cur;
    MDB_val k, v;
    raw_open(&r, dir, name, 0);
    RAW_OK(mdb_cursor_open(r.txn, r.dbi, &cur));
    RAW_OK(mdb_cursor_get(cur, &k, &v, MDB_LAST));
    uint8_t *copy = malloc(v.mv_size);
    CHECK(copy != NULL);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[v.mv_size / 2] ^= 0x10;
    MDB_val flipped = {v.mv_size, copy};
    RAW_OK(mdb_cursor_put(cur, &k, &flipped, MDB_CURRENT));
    mdb_cursor_close(cur);
    raw_close(&r);
    free(copy);
}

static inline uint32_t raw_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void raw_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif /* QS_TESTS_RAWDB_H */
