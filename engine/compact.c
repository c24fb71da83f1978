/* compact.c: qs_compact(), the store's file rewritten in place, full.
 *
 * The new file is built by appending: every database of one snapshot is read in key
 * order and written into a new LMDB environment with MDB_APPEND (MDB_APPENDDUP for
 * sorted duplicates), which splits a full page by starting the next one, so every
 * page but each database's last is full. What it drops: the pages that sealing,
 * retention and the checkpoints' pinned snapshots freed, and the slack that inserts
 * in random key order leave in half-full pages. (LMDB's own compacting copy, the one
 * qs_backup() writes, drops only the first: it copies each page as it is.) The
 * records are copied byte for byte, checksums and all, and each database's entry
 * count is compared with the source's before the file is used.
 *
 * It replaces the file, so it needs the store to itself:
 *   1. open the store alone (eng_env_open_alone: the log's lock bytes held
 *      exclusively, QS_BUSY while another handle has it open; from then on every open
 *      waits), recovering it. LMDB's lock file names any other process that mapped
 *      the store without the log (a read-only open of a store no writer opened yet).
 *   2. checkpoint: the data file then holds every commit. (A damaged store got no
 *      further than the open: a writable open reads every page, unless the file is
 *      the one such a read found sound, and refuses a damaged one.)
 *   3. build the new file as compact.partial/data.mdb in the store's directory, and
 *      fsync it;
 *   4. rename it over data.mdb and fsync the directory, while the log names no
 *      checkpoint (eng_log_replace_file): a crash before leaves the old file, one
 *      after the new, each complete, and the next open starts the log afresh.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "engine_int.h"

#define COMMIT_BYTES (256u << 20)   /* written into the new file per commit of it */
#define COMPACT_DIR "compact.partial"   /* in the store's directory: the new file's */

/* The bytes the file at @p path takes on the disk: its blocks, since a store opened
 * with write_map is as long as its map, and sparse. */
static int disk_bytes(const char *path, uint64_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return bk_sys_fail("stat", path);
    *size = (uint64_t)st.st_blocks * 512;
    return 0;
}

/* ------------------------------------------------------------------ the new file */

/* The new environment and its write transaction, committed every COMMIT_BYTES. */
typedef struct builder {
    MDB_env *env;
    MDB_txn *txn;
    size_t written;
    const char *path;
} builder;

/* The new environment in directory @p dir (made if missing), as @p dir/data.mdb: in a
 * directory of its own, since LMDB records MDB_NOSUBDIR in the file. */
static int builder_open(builder *b, qs_env *src, const char *dir, const char *path)
{
    MDB_envinfo info;
    int made, rc = bk_make_dir(dir, &made);
    if (rc)
        return rc;
    b->path = path;
    b->written = 0;
    unlink(path);   /* the partial file of a compaction cut short */
    rc = mdb_env_info(src->mdb, &info);
    if (rc == 0)
        rc = mdb_env_create(&b->env);
    if (rc == 0)
        rc = mdb_env_set_mapsize(b->env, info.me_mapsize);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(b->env, ENG_MAX_DBS);
    if (rc == 0)   /* no lock file: no other process knows of it */
        rc = mdb_env_open(b->env, dir, MDB_NOLOCK | MDB_NOSYNC, 0644);
    if (rc == 0)
        rc = mdb_txn_begin(b->env, NULL, 0, &b->txn);
    return rc ? eng_mdb_rc(rc, "create", path) : 0;
}

/* Commit what was written and begin again: 0, or an error. */
static int builder_commit(builder *b, int begin_again)
{
    int rc = mdb_txn_commit(b->txn);
    b->txn = NULL;
    b->written = 0;
    if (rc == 0 && begin_again)
        rc = mdb_txn_begin(b->env, NULL, 0, &b->txn);
    return rc ? eng_mdb_rc(rc, "write", b->path) : 0;
}

/* The new file synced to the disk, or removed. */
static int builder_close(builder *b, int rc)
{
    if (b->txn)
        mdb_txn_abort(b->txn);
    if (rc == 0 && (rc = mdb_env_sync(b->env, 1)) != 0)
        rc = eng_mdb_rc(rc, "sync", b->path);
    if (b->env)
        mdb_env_close(b->env);
    if (rc)
        unlink(b->path);
    return rc;
}

/* Database @p name of snapshot @p r (handle @p from) appended into the new file,
 * then its entry count compared with the source's. */
static int copy_db(builder *b, MDB_txn *r, MDB_dbi from, const char *name)
{
    unsigned flags;
    MDB_dbi to;
    MDB_cursor *in = NULL, *out = NULL;
    MDB_val k, v;
    MDB_stat want, got;
    int rc = mdb_dbi_flags(r, from, &flags);
    if (rc == 0)
        rc = mdb_dbi_open(b->txn, name, flags | MDB_CREATE, &to);
    if (rc == 0)
        rc = mdb_cursor_open(r, from, &in);
    int dups = (flags & MDB_DUPSORT) != 0;
    unsigned put = MDB_APPEND;   /* a new key; the next value of the same one: APPENDDUP */
    int step = rc ? MDB_NOTFOUND : mdb_cursor_get(in, &k, &v, MDB_FIRST);
    while (rc == 0 && step == 0) {
        if (!out && (rc = mdb_cursor_open(b->txn, to, &out)) != 0)
            break;
        if ((rc = mdb_cursor_put(out, &k, &v, put)) != 0)
            break;
        b->written += k.mv_size + v.mv_size + 16;
        if (b->written >= COMMIT_BYTES) {
            mdb_cursor_close(out);
            out = NULL;
            if ((rc = builder_commit(b, 1)) != 0)
                break;
        }
        put = MDB_APPEND;
        if (dups && (step = mdb_cursor_get(in, &k, &v, MDB_NEXT_DUP)) == 0)
            put = MDB_APPENDDUP;
        else
            step = mdb_cursor_get(in, &k, &v, dups ? MDB_NEXT_NODUP : MDB_NEXT);
    }
    if (rc == 0 && step != MDB_NOTFOUND)
        rc = step;
    if (out)
        mdb_cursor_close(out);
    if (in)
        mdb_cursor_close(in);
    if (rc == 0 && (rc = mdb_stat(r, from, &want)) == 0 && (rc = mdb_stat(b->txn, to, &got)) == 0 &&
        want.ms_entries != got.ms_entries)
        return eng_fail(QS_PANIC, "compacting database '%s': %zu entries written of %zu", name,
                        got.ms_entries, want.ms_entries);
    return rc ? eng_mdb_rc(rc, "compact", name) : 0;
}

/* Every database named in @p r's main database, copied in turn. The store keeps
 * nothing else there. */
static int copy_all(builder *b, MDB_txn *r)
{
    MDB_dbi main_db, from;
    MDB_cursor *names;
    MDB_val k, v;
    char name[64];
    int rc = mdb_dbi_open(r, NULL, 0, &main_db);
    if (rc == 0)
        rc = mdb_cursor_open(r, main_db, &names);
    if (rc)
        return eng_mdb_rc(rc, "compact", "the database list");
    int step = mdb_cursor_get(names, &k, &v, MDB_FIRST);
    for (; rc == 0 && step == 0; step = mdb_cursor_get(names, &k, &v, MDB_NEXT)) {
        if (k.mv_size == 0 || k.mv_size >= sizeof name || memchr(k.mv_data, 0, k.mv_size)) {
            rc = eng_fail(QS_CORRUPT, "the database list holds a key that names no database");
            break;
        }
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = '\0';
        if ((rc = mdb_dbi_open(r, name, 0, &from)) != 0) {
            rc = eng_mdb_rc(rc, "open", name);
            break;
        }
        rc = copy_db(b, r, from, name);
    }
    mdb_cursor_close(names);
    if (rc == 0 && step != MDB_NOTFOUND)
        rc = eng_mdb_rc(step, "compact", "the database list");
    return rc;
}

/* Step 3: the store's newest commit built as the file @p path in directory @p dir. */
static int build_file(qs_env *env, const char *dir, const char *path)
{
    builder b = {0};
    MDB_txn *r;
    int rc = mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &r);
    if (rc)
        return eng_mdb_rc(rc, "begin", "compaction");
    rc = builder_open(&b, env, dir, path);
    if (rc == 0)
        rc = copy_all(&b, r);
    if (rc == 0)
        rc = builder_commit(&b, 0);
    mdb_txn_commit(r);   /* a read-only one: keeps the handles it opened */
    return builder_close(&b, rc);
}

/* ------------------------------------------------------------------ the swap */

typedef struct swap {
    const char *dir, *from, *to;
} swap;

static int rename_synced(void *arg)
{
    const swap *s = arg;
    if (rename(s->from, s->to) != 0)
        return bk_sys_fail("rename the compacted file to", s->to);
    return bk_fsync_dir(s->dir);
}

int qs_compact(const char *dir, const qs_options *opts, uint64_t *before, uint64_t *after)
{
    char data[PATH_MAX], tmp_dir[PATH_MAX], tmp[PATH_MAX];
    qs_env *env = NULL;
    uint64_t size_before = 0, size_after = 0;
    if (!dir || !*dir)
        return eng_fail(QS_INVALID, "qs_compact: dir is NULL or empty");
    if (opts && opts->read_only)
        return eng_fail(QS_INVALID, "qs_compact: the store must be opened for writing");
    int rc = bk_path_in(data, dir, DATA_NAME);
    if (!rc)
        rc = bk_path_in(tmp_dir, dir, COMPACT_DIR);
    if (!rc)
        rc = bk_path_in(tmp, tmp_dir, DATA_NAME);
    if (!rc && !bk_exists(data))
        rc = eng_fail(ENOENT, "%s holds no store (no %s)", dir, DATA_NAME);
    if (!rc)
        rc = eng_env_open_alone(dir, opts, &env);
    long holder = rc ? 0 : eng_lock_file_holder(dir);
    if (holder)
        rc = eng_fail(QS_BUSY, "%s is open in process %ld: close it there first", dir, holder);
    if (!rc)
        rc = eng_log_checkpoint(env);
    if (!rc)
        rc = disk_bytes(data, &size_before);
    if (!rc)
        rc = build_file(env, tmp_dir, tmp);
    if (!rc) {
        swap s = {dir, tmp, data};
        if ((rc = eng_log_replace_file(env, rename_synced, &s, data)) != 0)
            unlink(tmp);   /* when the rename failed; else the name is gone */
    }
    if (env)   /* alone: the directory is this compaction's or a killed one's */
        rmdir(tmp_dir);
    if (!rc)
        rc = disk_bytes(data, &size_after);
    qs_env_close(env);
    if (before)
        *before = size_before;
    if (after)
        *after = size_after;
    return rc;
}
