/* handles.c: the store's named databases: the fixed ones' names and flags, and the
 * registry of every database handle this process has opened, time buckets included. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static const struct {
    const char *name;
    unsigned flags;
} fixed_dbs[ENG_DB_COUNT] = {
    [ENG_META] = {"meta", 0},
    [ENG_XID] = {"xid", 0},
    [ENG_SUBJECT] = {"subject", 0},
    [ENG_SYSTEM] = {"system", 0},
    [ENG_TOPIC] = {"topic", 0},
    [ENG_QUESTION] = {"question", 0},
    [ENG_QSTAT] = {"qstat", 0},
    [ENG_USER] = {"user", 0},
    [ENG_USUM] = {"usum", 0},
    [ENG_UDAILY] = {"udaily", 0},
    [ENG_IDAILY] = {"idaily", 0},
    [ENG_PROGRESS] = {"topic_progress", 0},
    [ENG_UQ] = {"uq", 0},
    [ENG_TEST] = {"test", 0},
    [ENG_TEST_BY_USER] = {"test_by_user", 0},
    [ENG_TEST_ANSWERS] = {"test_answers", MDB_DUPSORT | MDB_DUPFIXED},
    [ENG_LB] = {"lb", MDB_DUPSORT | MDB_DUPFIXED},
    [ENG_LB_COUNT] = {"lb_count", 0},
    [ENG_BUCKETS] = {"buckets", 0},
    [ENG_Q_FILTER] = {"q_filter", MDB_DUPSORT | MDB_DUPFIXED},
    [ENG_Q_SUBJECT] = {"q_subject", MDB_DUPSORT | MDB_DUPFIXED},
    [ENG_Q_BAND] = {"q_band", MDB_DUPSORT | MDB_DUPFIXED},
    [ENG_Q_CREATED] = {"q_created", 0},
    [ENG_POOL] = {"pool", 0},
    [ENG_POOL_POS] = {"pool_pos", 0},
};

const char *eng_db_name(eng_db db)
{
    return fixed_dbs[db].name;
}

int eng_db_by_name(const char *name)
{
    for (int i = 0; i < ENG_DB_COUNT; i++)
        if (strcmp(fixed_dbs[i].name, name) == 0)
            return i;
    return -1;
}

unsigned eng_db_flags(const char *name)
{
    int fixed = eng_db_by_name(name);
    return fixed >= 0 ? fixed_dbs[fixed].flags : 0;   /* buckets' databases: plain */
}


/* ------------------------------------------------------------------ handles */

static int find_locked(qs_env *env, const char *name, MDB_dbi *dbi)
{
    for (size_t i = 0; i < env->n_handles; i++)
        if (strcmp(env->handles[i].name, name) == 0) {
            *dbi = env->handles[i].dbi;
            return 0;
        }
    return QS_NOTFOUND;
}

int eng_handle_find(qs_env *env, const char *name, MDB_dbi *dbi)
{
    eng_lock(&env->handle_lock);
    int rc = find_locked(env, name, dbi);
    eng_unlock(&env->handle_lock);
    return rc;
}

int eng_handle_add(qs_env *env, const char *name, MDB_dbi dbi)
{
    eng_handle *h = realloc(env->handles, (env->n_handles + 1) * sizeof *h);
    if (!h)
        return eng_fail(ENOMEM, "out of memory for bucket handles");
    env->handles = h;
    snprintf(h[env->n_handles].name, sizeof h->name, "%s", name);
    h[env->n_handles++].dbi = dbi;
    return 0;
}

/* Called with each handle open_missing() opened. */
typedef int (*keep_fn)(void *ctx, const char *name, MDB_dbi dbi);

/* Open in @p m the handle of every bucket in the registry this process has not
 * opened; @p keep records each. Called with handle_lock held. */
static int open_missing(qs_env *env, MDB_txn *m, keep_fn keep, void *ctx)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(m, env->dbi[ENG_BUCKETS], &cur);
    if (rc)
        return eng_mdb_rc(rc, "open cursor", "buckets");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        eng_key key;
        eng_rbuf r;
        char name[24];
        MDB_dbi dbi;
        if (k.mv_size != 9)   /* not a bucket: an emptied database's entry */
            continue;
        ek_reset(&key);
        ek_bytes(&key, k.mv_data, k.mv_size);
        /* A damaged entry is skipped, so that the store still opens: a read of
         * that bucket, and qs_check, report it. */
        if (eng_rec_open(&key, v.mv_data, v.mv_size, &r))
            continue;
        rb_str(&r, name, sizeof name);
        if (r.bad || find_locked(env, name, &dbi) == 0)
            continue;
        int orc = mdb_dbi_open(m, name, 0, &dbi);
        if (orc == MDB_NOTFOUND)
            continue;
        if (orc) {
            rc = eng_mdb_rc(orc, "open bucket", name);
            break;
        }
        eng_handle_named(env, dbi, name);
        if ((rc = keep(ctx, name, dbi)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, "buckets");
}

static int keep_in_env(void *ctx, const char *name, MDB_dbi dbi)
{
    return eng_handle_add(ctx, name, dbi);
}

/* Open, in a short read transaction of its own, the handle of every bucket this
 * process lacks, and note the generation the table now reflects. */
typedef struct refresh_ctx {
    qs_env *env;
    MDB_txn *txn;
    uint64_t gen;
} refresh_ctx;

static int refresh_in(void *arg)
{
    refresh_ctx *c = arg;
    int rc = eng_meta_get_u64(c->txn, c->env->dbi[ENG_META], "gen", &c->gen);
    if (rc == 0 || rc == QS_NOTFOUND)
        rc = open_missing(c->env, c->txn, keep_in_env, c->env);
    return rc;
}

static int refresh_locked(qs_env *env)
{
    refresh_ctx c = {env, NULL, 0};
    int rc = mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &c.txn);
    if (rc)
        return eng_mdb_rc(rc, "begin handle refresh", NULL);
    if ((rc = eng_guarded(env, NULL, refresh_in, &c)) != 0) {
        mdb_txn_abort(c.txn);
        return rc;
    }
    rc = mdb_txn_commit(c.txn);   /* a read-only commit keeps the opened handles */
    if (rc)
        return eng_mdb_rc(rc, "commit handle refresh", NULL);
    __atomic_store_n(&env->handles_gen, c.gen, __ATOMIC_RELEASE);
    return 0;
}

int eng_refresh_handles(qs_env *env)
{
    eng_lock(&env->handle_lock);
    while (env->handle_txn_open)
        pthread_cond_wait(&env->handle_cond, &env->handle_lock);
    int rc = refresh_locked(env);
    eng_unlock(&env->handle_lock);
    return rc;
}

static int keep_pending(void *ctx, const char *name, MDB_dbi dbi)
{
    qs_txn *txn = ctx;
    eng_handle *h = realloc(txn->new_handles, (txn->n_new_handles + 1) * sizeof *h);
    if (!h)
        return eng_fail(ENOMEM, "out of memory for bucket handles");
    txn->new_handles = h;
    snprintf(h[txn->n_new_handles].name, sizeof h->name, "%s", name);
    h[txn->n_new_handles++].dbi = dbi;
    return 0;
}

int eng_refresh_in_write(qs_txn *txn, uint64_t gen)
{
    qs_env *env = txn->env;
    eng_lock(&env->handle_lock);
    int rc = open_missing(env, txn->mdb, keep_pending, txn);
    if (rc == 0 && txn->n_new_handles) {
        env->handle_txn_open = 1;
        txn->opened_handles = 1;
        txn->refreshed = 1;
    } else if (rc == 0) {   /* nothing was missing: the table already reflects gen */
        __atomic_store_n(&env->handles_gen, gen, __ATOMIC_RELEASE);
    }
    eng_unlock(&env->handle_lock);
    return rc;
}

void eng_handle_named(qs_env *env, MDB_dbi dbi, const char *name)
{
    if (env->dbi_names && dbi < ENG_MAX_DBI)
        snprintf(env->dbi_names[dbi], sizeof env->dbi_names[dbi], "%s", name);
}
