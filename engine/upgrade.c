/* upgrade.c: a store of an older format brought to this one by the first writable open. */
#include "engine_int.h"

/* Database @p db created and filled from an older format's database @p old_name by
 * @p convert; the old one retired (deleted by this open). */
static int upgrade_into(qs_txn *txn, eng_db db, const char *old_name,
                        int (*convert)(qs_txn *, MDB_dbi))
{
    qs_env *env = eng_env(txn);
    const char *name = eng_db_name(db);
    unsigned flags = eng_db_flags(eng_db_name(db));
    MDB_dbi old, *dbi = &env->dbi[db];
    int rc = mdb_dbi_open(eng_mdb(txn), name, flags | MDB_CREATE, dbi);
    if (rc)
        return eng_txn_failed(txn, eng_mdb_rc(rc, "create", name));
    eng_log_create(txn, *dbi, name, flags);
    if ((rc = mdb_dbi_open(eng_mdb(txn), old_name, 0, &old)) != 0)
        return eng_txn_failed(txn, eng_mdb_rc(rc, "open", old_name));
    eng_handle_named(env, old, old_name);
    if ((rc = convert(txn, old)) != 0)
        return rc;
    return eng_db_retire(txn, old, old_name);
}

/* A store of an older format brought to this one by a writable open, in its
 * transaction. */
int eng_upgrade(qs_txn *txn, uint64_t format)
{
    int rc = 0;
    if (format < 2)
        rc = eng_upgrade_test_index(txn);   /* test summaries in test_by_user */
    if (!rc && format < 3)
        rc = upgrade_into(txn, ENG_TEST_ANSWERS, "ans_by_test", eng_upgrade_test_answers);
    if (!rc && format < 4)
        rc = upgrade_into(txn, ENG_PROGRESS, "progress", eng_upgrade_progress);
    if (!rc && format < 5)
        rc = eng_upgrade_events(txn);       /* raw interaction buckets in time order */
    return rc ? rc : eng_meta_put_u64(txn, "format", ENG_FORMAT);
}
