/* mdb.h: the engine's calls in LMDB's terms, for the engine's own files.
 *
 * index/ and api/ reach the store through engine.h (records, entries, iterators over
 * the fixed databases); the engine's files also work on the time buckets' databases by
 * handle, and on LMDB's cursors directly.
 */
#ifndef QS_ENGINE_MDB_H
#define QS_ENGINE_MDB_H

#include <lmdb.h>

#include "engine.h"

/* Map an LMDB return code to the library's (0, QS_ codes, errno), recording
 * @p what (the operation) and the database name as detail on failure. */
int eng_mdb_rc(int mdb_rc, const char *what, const char *db);
/* The end of a cursor walk: 0 for a walk that ran out (MDB_NOTFOUND), an LMDB code
 * mapped with @p db in the detail, any other code as it is. */
int eng_walk_rc(int rc, const char *db);

/* The LMDB flags the engine opens the named database @p name with; the fixed database
 * named @p name, or -1 (handles.c). */
unsigned eng_db_flags(const char *name);
int eng_db_by_name(const char *name);
/* Handle @p dbi is database @p name: the name the redo log records its changes under. */
void eng_handle_named(qs_env *env, MDB_dbi dbi, const char *name);
MDB_dbi eng_dbi(qs_txn *txn, eng_db db);
MDB_txn *eng_mdb(qs_txn *txn);

/* An entry's bytes between the two forms (the same layout; copied, never cast). */
static inline eng_val eng_val_of(MDB_val v) { return (eng_val){v.mv_size, v.mv_data}; }
static inline MDB_val eng_mdb_val(eng_val v) { return (MDB_val){v.size, v.data}; }

/* The record calls of engine.h on a database given by handle and name. */
int eng_rec_get(qs_txn *txn, MDB_dbi dbi, const char *dbname, const eng_key *key,
                eng_rbuf *body);
int eng_rec_put(qs_txn *txn, MDB_dbi dbi, const char *dbname, const eng_key *key,
                const eng_wbuf *body, unsigned flags);
int eng_rec_del(qs_txn *txn, MDB_dbi dbi, const char *dbname, const eng_key *key,
                const MDB_val *dup);
int eng_rec_corrupt(const char *dbname, const eng_key *key, const char *why);

/* Every other change a write transaction makes goes through these, so that the redo
 * log records it: LMDB's mdb_put, mdb_cursor_del and mdb_drop(dbi, 0), with their
 * return codes. */
int eng_mdb_put(qs_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned flags);
int eng_mdb_cursor_del(qs_txn *txn, MDB_cursor *cur);
int eng_mdb_empty(qs_txn *txn, MDB_dbi dbi);

/* A point read: @p k's value into @p v (valid until the next write). 0, QS_NOTFOUND
 * (no detail recorded), or a failure. Reads a bulk transaction's gathered writes. */
int eng_mdb_get(qs_txn *txn, MDB_dbi dbi, const char *dbname, const MDB_val *k, MDB_val *v);
/* mdb_cursor_open(), after writing out what a bulk transaction gathered for @p dbi.
 * 0 or a failure with detail. Every cursor the engine reads through is opened here, or
 * by eng_iter_open(), so that it sees every write. */
int eng_cursor_open(qs_txn *txn, MDB_dbi dbi, const char *dbname, MDB_cursor **cur);
/* eng_each_entry() on a database given by handle and name. */
int eng_each_entry_of(qs_txn *txn, MDB_dbi dbi, const char *dbname, eng_entry_fn fn,
                      void *ctx);

#endif /* QS_ENGINE_MDB_H */
