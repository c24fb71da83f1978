/* stats.c: the storage statistics of every database of the store (qs_db_stats). */
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

static int stat_one(qs_txn *txn, const char *name, MDB_dbi dbi, qs_db_stat *row)
{
    MDB_stat st;
    int rc = mdb_stat(eng_mdb(txn), dbi, &st);
    if (rc)
        return eng_mdb_rc(rc, "stat", name);
    memset(row, 0, sizeof *row);
    snprintf(row->name, sizeof row->name, "%s", name);
    row->entries = st.ms_entries;
    row->depth = st.ms_depth;
    row->branch_pages = st.ms_branch_pages;
    row->leaf_pages = st.ms_leaf_pages;
    row->overflow_pages = st.ms_overflow_pages;
    row->bytes = (uint64_t)st.ms_psize *
                 (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
    return 0;
}

static int db_stats(qs_txn *txn, qs_db_stat *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_db_stats: NULL output");
    MDB_dbi main_dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t total = 0;
    if ((rc = mdb_dbi_open(eng_mdb(txn), NULL, 0, &main_dbi)) ||
        (rc = mdb_cursor_open(eng_mdb(txn), main_dbi, &cur)))
        return eng_mdb_rc(rc, "list databases", NULL);
    /* The main database's keys are the names of the named databases, sorted. */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char name[32];
        MDB_dbi dbi;
        snprintf(name, sizeof name, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
        int fixed = eng_db_by_name(name);
        if (fixed >= 0)
            dbi = eng_dbi(txn, (eng_db)fixed);
        else if (eng_handle_find(eng_env(txn), name, &dbi) != 0)
            continue;
        if (total < cap) {
            int src = stat_one(txn, name, dbi, &rows[total]);
            if (src) {
                mdb_cursor_close(cur);
                return src;
            }
        }
        total++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return eng_mdb_rc(rc, "list databases", NULL);
    *n = total;
    return 0;
}

int qs_db_stats(qs_txn *txn, qs_db_stat *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, db_stats(txn, rows, cap, n));
}
