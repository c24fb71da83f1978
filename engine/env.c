/* env.c: opening and closing a store (its fixed databases, the upgrades of older
 * formats), the periodic flusher and storage statistics. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"

/* ------------------------------------------------------------------ open */

typedef struct fixed_ctx {
    qs_env *env;
    MDB_txn *txn;
} fixed_ctx;

static int not_a_store(const char *missing)
{
    return eng_fail(QS_NOTFOUND, "not a quizstore store (no database '%s')", missing);
}

/* A read-only open of a store of an older format: its layout is not read. */
static int older_format(uint64_t format)
{
    return eng_fail(QS_FORMAT, "store format %llu is older than this library's %d: open it "
                    "once for writing to upgrade it", (unsigned long long)format, ENG_FORMAT);
}

/* A database @p name missing from an existing store: one that a store of an older
 * format lacks is left to the upgrade of a writable open (0); else the store cannot
 * be read. */
static int missing_db(fixed_ctx *c, const char *name)
{
    uint64_t format;
    if (eng_meta_get_u64(c->txn, c->env->dbi[ENG_META], "format", &format) != 0 ||
        format >= ENG_FORMAT)
        return not_a_store(name);
    return c->env->opts.read_only ? older_format(format) : 0;
}

/* Open every fixed database; a new store (no meta) gets them all. */
static int open_each_fixed(void *arg)
{
    fixed_ctx *c = arg;
    int ro = c->env->opts.read_only, created = 0;
    for (int i = 0; i < ENG_DB_COUNT; i++) {
        unsigned flags = eng_db_flags(eng_db_name(i));
        int rc = mdb_dbi_open(c->txn, eng_db_name(i), flags, &c->env->dbi[i]);
        if (rc == MDB_NOTFOUND && !ro && (i == ENG_META || created)) {
            rc = mdb_dbi_open(c->txn, eng_db_name(i), flags | MDB_CREATE, &c->env->dbi[i]);
            created = 1;
        } else if (rc == MDB_NOTFOUND && i == ENG_META) {
            return not_a_store("meta");
        } else if (rc == MDB_NOTFOUND) {
            if ((rc = missing_db(c, eng_db_name(i))) != 0)
                return rc;
            continue;
        }
        if (rc)
            return eng_mdb_rc(rc, "open", eng_db_name(i));
        eng_handle_named(c->env, c->env->dbi[i], eng_db_name(i));
    }
    /* a new store's databases are not logged: the first checkpoint holds them */
    return created ? eng_log_unlogged(c->env, c->txn) : 0;
}

static int open_fixed_dbs(qs_env *env)
{
    fixed_ctx c = {env, NULL};
    int rc = mdb_txn_begin(env->mdb, NULL, env->opts.read_only ? MDB_RDONLY : 0, &c.txn);
    if (rc)
        return eng_mdb_rc(rc, "begin", NULL);
    if ((rc = eng_guarded(env, NULL, open_each_fixed, &c)) != 0) {
        eng_mdb_abort(env, c.txn);
        return rc;
    }
    rc = mdb_txn_commit(c.txn);
    return rc ? eng_mdb_rc(rc, "commit", NULL) : 0;
}

static uint64_t random_u64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)clock();
    return v;
}

/* The fixed databases the open left to an upgrade (a handle of 0 is LMDB's free
 * database, never a named one) that another process's open made meanwhile. */
static int open_left_to_upgrade(qs_txn *txn)
{
    qs_env *env = eng_env(txn);
    for (int i = 0; i < ENG_DB_COUNT; i++) {
        if (env->dbi[i])
            continue;
        int rc = mdb_dbi_open(eng_mdb(txn), eng_db_name(i), eng_db_flags(eng_db_name(i)),
                              &env->dbi[i]);
        if (rc == MDB_NOTFOUND)
            return not_a_store(eng_db_name(i));
        if (rc)
            return eng_mdb_rc(rc, "open", eng_db_name(i));
        eng_handle_named(env, env->dbi[i], eng_db_name(i));
    }
    return 0;
}

/* First open writes the format, period and secret; later opens check and read them;
 * an older format is upgraded. */
static int settings_in(void *arg)
{
    qs_txn *txn = arg;
    qs_env *env = eng_env(txn);
    uint64_t format, period, secret;
    MDB_txn *m = eng_mdb(txn);
    MDB_dbi meta = env->dbi[ENG_META];
    int rc = eng_meta_get_u64(m, meta, "format", &format);
    if (rc == QS_NOTFOUND && !env->opts.read_only) {
        format = ENG_FORMAT;
        period = (uint64_t)env->opts.bucket_period;
        secret = random_u64();
        if ((rc = eng_meta_put_u64(txn, "format", format)) != 0 ||
            (rc = eng_meta_put_u64(txn, "period", period)) != 0 ||
            (rc = eng_meta_put_u64(txn, "secret", secret)) != 0)
            return rc;
    } else if (rc) {
        return rc;
    } else if ((rc = eng_meta_get_u64(m, meta, "period", &period)) != 0 ||
               (rc = eng_meta_get_u64(m, meta, "secret", &secret)) != 0) {
        return rc;
    }
    if (format > ENG_FORMAT || period > QS_PERIOD_DAY)
        return eng_fail(QS_FORMAT, "store format %llu is newer than this library's %d",
                        (unsigned long long)format, ENG_FORMAT);
    if (format < ENG_FORMAT && eng_txn_rdonly(txn))
        return older_format(format);
    if (format < ENG_FORMAT && (rc = eng_upgrade(txn, format)) != 0)
        return rc;
    if ((rc = open_left_to_upgrade(txn)) != 0)
        return rc;
    env->period = (qs_period)period;
    env->secret = secret;
    return 0;
}

static int load_settings(qs_env *env)
{
    qs_txn *txn;
    int rc = qs_txn_begin(env, env->opts.read_only ? QS_TXN_RDONLY : 0, &txn);
    if (rc)
        return rc;
    if ((rc = eng_guarded(env, txn, settings_in, txn)) != 0) {
        qs_txn_abort(txn);
        return rc;
    }
    return qs_txn_commit(txn);
}

long eng_lock_file_holder(const char *path)
{
    char lock[4096];
    snprintf(lock, sizeof lock, "%s/lock.mdb", path);
    int fd = open(lock, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    int held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return held ? (long)fl.l_pid : 0;
}

/* A read-only open whose lock file cannot be written (a store of another user, a
 * read-only medium) reads without LMDB's lock, provided no process has the store open
 * now. Sets *nolock. */
static int check_lock_file(const char *path, int *nolock)
{
    char lock[4096];
    snprintf(lock, sizeof lock, "%s/lock.mdb", path);
    *nolock = 0;
    if (access(lock, W_OK) == 0 || (errno == ENOENT && access(path, W_OK) == 0))
        return 0;
    if (errno != EACCES && errno != EROFS && errno != EPERM && errno != ENOENT)
        return 0;   /* let LMDB report it */
    long holder = eng_lock_file_holder(path);
    if (holder)
        return eng_fail(EACCES, "%s cannot be written, and process %ld has the store "
                        "open: a reader without the lock could see pages being "
                        "rewritten", lock, holder);
    *nolock = 1;
    return 0;
}

/* What the data file is before LMDB maps it: a read-only open needs a store that
 * holds a commit, and a file that is an LMDB file holding every page its newest
 * commit uses (LMDB would fault reading past the end of a truncated one). */
static int check_data_file(const char *path, int read_only)
{
    char data[4096];
    struct stat st;
    snprintf(data, sizeof data, "%s/data.mdb", path);
    if (stat(data, &st) != 0) {
        if (errno == ENOENT && !read_only)
            return 0;   /* a new store */
        return eng_fail(errno, "%s: %s", errno == ENOENT ? path : data,
                        errno == ENOENT ? "holds no store (no data.mdb)" : strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return eng_fail(QS_INVALID, "%s is not a regular file", data);
    if (st.st_size == 0)
        return read_only ? eng_fail(ENOENT, "%s is empty: nothing was ever committed to "
                                            "this store", data)
                         : 0;   /* a store whose creation was cut short: LMDB starts it */
    int fd = open(data, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return eng_fail(errno, "%s: %s", data, strerror(errno));
    int rc = eng_file_check(fd, data, NULL);
    close(fd);
    return rc;
}

/* Where LMDB mapped the data file: the mapping of its inode, from offset 0, of the
 * map's size (the guard needs it to tell the store's faults from others). */
static void locate_map(qs_env *env)
{
    MDB_envinfo info;
    struct stat st;
    int fd;
    char line[512];
    if (mdb_env_info(env->mdb, &info) != 0 || mdb_env_get_fd(env->mdb, &fd) != 0 ||
        fstat(fd, &st) != 0)
        return;
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return;
    while (fgets(line, sizeof line, maps)) {
        unsigned long lo, hi, off, ino;
        if (sscanf(line, "%lx-%lx %*s %lx %*s %lu", &lo, &hi, &off, &ino) == 4 &&
            ino == (unsigned long)st.st_ino && off == 0 && hi - lo == info.me_mapsize) {
            env->map_base = lo;
            env->map_size = info.me_mapsize;
        }
    }
    fclose(maps);
}

/* Every open reads every page first (unless sound.c remembers the file as it is),
 * before LMDB follows any: LMDB writing through a damaged page overruns its buffers,
 * and reading through one can loop for ever. A damaged store opens read-only only,
 * and then for qs_check() alone (env->damage). */
static int check_pages(qs_env *env)
{
    qs_check_report r;
    int rc = eng_pages_check_at_open(env, &r);
    if (rc || !r.findings)
        return rc;
    if (!env->opts.read_only)
        return eng_fail(QS_CORRUPT, "%s (%llu findings in all); a damaged store opens "
                        "read-only only", r.first_finding, (unsigned long long)r.findings);
    snprintf(env->damage, sizeof env->damage, "%s", r.first_finding);
    return 0;
}

static int open_mdb(qs_env *env, const char *path)
{
    const qs_options *o = &env->opts;
    unsigned flags = MDB_NOTLS;
    int nolock = 0, rc;
    if ((rc = check_data_file(path, o->read_only)) != 0 ||
        (o->read_only && (rc = check_lock_file(path, &nolock)) != 0))
        return rc;
    /* LMDB syncs nothing itself: the redo log makes commits durable, and the data
     * file is synced at checkpoints (log.c) */
    if (!o->read_only)
        flags |= MDB_NOSYNC;
    if (o->write_map)
        flags |= MDB_WRITEMAP;
    if (o->read_only)
        flags |= MDB_RDONLY;
    if (nolock)
        flags |= MDB_NOLOCK;
    rc = mdb_env_create(&env->mdb);
    if (rc)
        return eng_mdb_rc(rc, "create environment", NULL);
    if ((rc = mdb_env_set_mapsize(env->mdb, (size_t)o->map_size)) ||
        /* one more for the checkpoint's pin (log.c) */
        (rc = mdb_env_set_maxreaders(env->mdb, o->max_readers + 1)) ||
        (rc = mdb_env_set_maxdbs(env->mdb, ENG_MAX_DBS)))
        return eng_mdb_rc(rc, "configure environment", NULL);
    eng_guard_install(env->mdb);
    rc = mdb_env_open(env->mdb, path, flags, 0644);
    if (rc)
        return eng_mdb_rc(rc, "open store", path);
    /* checked again under LMDB's lock: a writer may have created the store since */
    char data[4096];
    eng_file_meta fm;
    int fd;
    snprintf(data, sizeof data, "%s/data.mdb", path);
    if ((rc = mdb_env_get_fd(env->mdb, &fd)) != 0)
        return eng_mdb_rc(rc, "open store", path);
    if ((rc = eng_file_check(fd, data, &fm)) != 0)
        return rc;
    env->psize = fm.psize;
    locate_map(env);
    if (!nolock) {
        int dead = 0;
        mdb_reader_check(env->mdb, &dead);   /* free slots of crashed processes */
    }
    return check_pages(env);
}

static int env_open(const char *path, const qs_options *opts, int exclusive, qs_env **out)
{
    if (!out)
        return eng_fail(QS_INVALID, "qs_env_open: env is NULL");
    *out = NULL;
    if (!path)
        return eng_fail(QS_INVALID, "qs_env_open: path is NULL");
    qs_env *env = calloc(1, sizeof *env);
    if (!env)
        return eng_fail(ENOMEM, "out of memory");
    qs_options_init(&env->opts);
    int rc = opts ? eng_sized_in(opts, sizeof env->opts, &env->opts, "qs_options") : 0;
    pthread_mutex_init(&env->handle_lock, NULL);
    pthread_cond_init(&env->handle_cond, NULL);
    pthread_mutex_init(&env->dict_lock, NULL);
    pthread_mutex_init(&env->sync_lock, NULL);
    pthread_cond_init(&env->sync_cond, NULL);
    pthread_mutex_init(&env->pin_lock, NULL);
    pthread_mutex_init(&env->commit_lock, NULL);
    pthread_mutex_init(&env->flush_lock, NULL);
    pthread_cond_init(&env->flush_cond, NULL);
    env->log_fd = -1;
    env->reader_fd = -1;
    env->exclusive = exclusive;
    env->handles_gen = UINT64_MAX;   /* forces the first refresh */
    if (!rc)
        rc = eng_options_check(&env->opts);
    if (!rc)
        rc = eng_log_open(env, path);
    if (!rc)
        rc = open_mdb(env, path);
    if (!rc && env->damage[0]) {   /* its trees are not to be followed */
        *out = env;
        return 0;
    }
    if (!rc)
        rc = open_fixed_dbs(env);
    if (!rc)
        rc = eng_log_recover(env);
    if (!rc)
        rc = eng_refresh_handles(env);
    if (!rc)
        rc = load_settings(env);
    if (!rc && !env->opts.read_only)
        rc = eng_emptied_delete(env);
    if (rc) {
        qs_env_close(env);
        return rc;
    }
    *out = env;
    return 0;
}

int qs_env_open(const char *path, const qs_options *opts, qs_env **out)
{
    return env_open(path, opts, 0, out);
}

int eng_env_open_alone(const char *path, const qs_options *opts, qs_env **out)
{
    return env_open(path, opts, 1, out);
}

void qs_env_close(qs_env *env)
{
    if (!env)
        return;
    eng_log_close(env);
    if (env->mdb)
        mdb_env_close(env->mdb);
    eng_log_release(env);
    eng_dicts_free(env->dicts);
    eng_seal_dicts_free(env->seal_dicts);
    free(env->handles);
    pthread_mutex_destroy(&env->handle_lock);
    pthread_cond_destroy(&env->handle_cond);
    pthread_mutex_destroy(&env->dict_lock);
    pthread_mutex_destroy(&env->sync_lock);
    pthread_cond_destroy(&env->sync_cond);
    pthread_mutex_destroy(&env->pin_lock);
    pthread_mutex_destroy(&env->commit_lock);
    pthread_mutex_destroy(&env->flush_lock);
    pthread_cond_destroy(&env->flush_cond);
    free(env);
}

int qs_env_sync(qs_env *env)
{
    if (!env)
        return eng_fail(QS_INVALID, "qs_env_sync: env is NULL");
    int rc = eng_flush_check(env);
    return rc ? rc : eng_log_sync(env);
}

int qs_env_checkpoint(qs_env *env)
{
    if (!env)
        return eng_fail(QS_INVALID, "qs_env_checkpoint: env is NULL");
    if (env->opts.read_only)
        return eng_fail(QS_READONLY, "qs_env_checkpoint: the store is open read-only");
    return eng_log_checkpoint(env);
}
