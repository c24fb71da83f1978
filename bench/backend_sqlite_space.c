/* backend_sqlite_space.c: what the SQLite store takes on disk (backend_sqlite.h):
 * size_on_disk, the database file and its WAL; table_space, a table's B-trees.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "backend_sqlite.h"

int sq_size_on_disk(backend *be, uint64_t *bytes)
{
    const char *suffix[] = {"", "-wal"};
    *bytes = 0;
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX + 8];
        struct stat st;
        snprintf(path, sizeof path, "%s%s", sq_impl(be)->path, suffix[i]);
        if (stat(path, &st) == 0)
            *bytes += (uint64_t)st.st_size;
        else if (errno != ENOENT || i == 0)
            return bk_fail(be, "%s: %s", path, strerror(errno));
    }
    return 0;
}

/* The space of one table: its rows, and the pages of each B-tree it owns, counted
 * by the dbstat virtual table; where SQLite was built without it, by the pages each
 * DROP INDEX and then DROP TABLE adds to the freelist, in a transaction rolled back
 * afterwards (an index SQLite made for a UNIQUE constraint cannot be dropped alone:
 * there its pages count with the table's). Outside a batch. */

static int valid_table_name(const char *t)
{
    size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz_0123456789");
    return n > 0 && n < 64 && t[n] == '\0';
}

static int query_i64(backend *be, const char *sql, const char *text, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sq_impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_db_fail(be, sql);
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        sq_db_fail(be, sql);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* The table's indexes into out->indexes, by name. */
static int list_indexes(backend *be, const char *table, bk_table_space *out)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1"
                      " AND rootpage > 0 ORDER BY name";
    if (sqlite3_prepare_v2(sq_impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_db_fail(be, "table_space");
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n_indexes < BK_MAX_INDEXES)
        snprintf(out->indexes[out->n_indexes++].name, sizeof out->indexes[0].name, "%s",
                 (const char *)sqlite3_column_text(st, 0));
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        sq_db_fail(be, "table_space");
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* 1 when SQLite has no dbstat table. */
static int space_by_dbstat(backend *be, const char *table, bk_table_space *out)
{
    const char *sql = "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?1";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sq_impl(be)->db, sql, -1, &st, NULL) != SQLITE_OK)
        return 1;
    sqlite3_finalize(st);
    int64_t bytes;
    if (query_i64(be, sql, table, &bytes))
        return -1;
    out->table_bytes = (uint64_t)bytes;
    for (unsigned i = 0; i < out->n_indexes; i++) {
        if (query_i64(be, sql, out->indexes[i].name, &bytes))
            return -1;
        out->indexes[i].bytes = (uint64_t)bytes;
    }
    out->method = "dbstat";
    return 0;
}

/* Bytes the statement @p drop adds to the freelist. */
static int freed_bytes(backend *be, const char *drop, uint64_t *bytes)
{
    int64_t page, before, after;
    if (query_i64(be, "PRAGMA page_size", NULL, &page) ||
        query_i64(be, "PRAGMA freelist_count", NULL, &before) ||
        sq_exec(be, drop, "table_space") ||
        query_i64(be, "PRAGMA freelist_count", NULL, &after))
        return -1;
    *bytes = (uint64_t)((after - before) * page);
    return 0;
}

static int space_by_freelist(backend *be, const char *table, bk_table_space *out)
{
    char sql[128];
    unsigned kept = 0;
    for (unsigned i = 0; i < out->n_indexes; i++) {
        if (strncmp(out->indexes[i].name, "sqlite_autoindex_", 17) == 0)
            continue;
        out->indexes[kept] = out->indexes[i];
        snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", out->indexes[kept].name);
        if (freed_bytes(be, sql, &out->indexes[kept].bytes))
            return -1;
        kept++;
    }
    out->n_indexes = kept;
    snprintf(sql, sizeof sql, "DROP TABLE \"%s\"", table);
    out->method = "freelist (UNIQUE indexes counted with the table)";
    return freed_bytes(be, sql, &out->table_bytes);
}

int sq_table_space(backend *be, const char *table, bk_table_space *out)
{
    char sql[128];
    int64_t rows;
    memset(out, 0, sizeof *out);
    if (!valid_table_name(table))
        return bk_fail(be, "table_space: bad table name '%s'", table);
    if (sq_exec(be, "BEGIN IMMEDIATE", "table_space"))
        return -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    int rc = query_i64(be, sql, NULL, &rows);
    if (rc == 0) {
        out->rows = (uint64_t)rows;
        rc = list_indexes(be, table, out);
    }
    if (rc == 0 && (rc = space_by_dbstat(be, table, out)) == 1)
        rc = space_by_freelist(be, table, out);
    sqlite3_exec(sq_impl(be)->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
