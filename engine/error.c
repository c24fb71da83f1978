/* error.c: error codes, their texts, the thread-local failure detail, and the
 * findings of a check report. */
#include <stdio.h>
#include <string.h>

#include "mdb.h"

static _Thread_local char last_detail[512];

static const struct {
    int rc;
    const char *text;
} error_texts[] = {
    {0, "success"},
    {QS_NOTFOUND, "not found"},
    {QS_EXISTS, "already exists"},
    {QS_INVALID, "invalid argument"},
    {QS_CORRUPT, "record failed its checksum or does not decode"},
    {QS_MAP_FULL, "store is full: map size reached"},
    {QS_READERS_FULL, "all reader slots are in use"},
    {QS_TXN_FULL, "transaction too large"},
    {QS_READONLY, "write on a read-only transaction or store"},
    {QS_BAD_CURSOR, "invalid history cursor"},
    {QS_FORMAT, "incompatible store format"},
    {QS_TOO_LARGE, "value too large"},
    {QS_BAD_TXN, "transaction failed earlier and must be aborted"},
    {QS_DBS_FULL, "too many time buckets"},
    {QS_PANIC, "fatal store error: close and reopen"},
    {QS_HOT, "time bucket is inside the hot window"},
    {QS_EXPIRED, "period was dropped by retention"},
    {QS_BUSY, "store is open elsewhere"},
    {QS_END, "an iterator has no more rows"},
};

const char *qs_strerror(int rc)
{
    for (size_t i = 0; i < sizeof error_texts / sizeof error_texts[0]; i++)
        if (error_texts[i].rc == rc)
            return error_texts[i].text;
    if (rc > 0)
        return strerror(rc);
    return "unknown error";
}

const char *qs_errmsg(void)
{
    return last_detail;
}

int eng_fail(int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_detail, sizeof last_detail, fmt, ap);
    va_end(ap);
    return rc;
}

int eng_mdb_rc(int mdb_rc, const char *what, const char *db)
{
    int rc;
    switch (mdb_rc) {
    case MDB_SUCCESS: return 0;
    case MDB_NOTFOUND: rc = QS_NOTFOUND; break;
    case MDB_KEYEXIST: rc = QS_EXISTS; break;
    case MDB_MAP_FULL: rc = QS_MAP_FULL; break;
    case MDB_READERS_FULL: rc = QS_READERS_FULL; break;
    case MDB_TXN_FULL: rc = QS_TXN_FULL; break;
    case MDB_DBS_FULL: rc = QS_DBS_FULL; break;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND: rc = QS_CORRUPT; break;
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID: rc = QS_FORMAT; break;
    case MDB_BAD_TXN: rc = QS_BAD_TXN; break;
    case MDB_PANIC: rc = QS_PANIC; break;
    case MDB_BAD_VALSIZE: rc = QS_TOO_LARGE; break;
    case MDB_MAP_RESIZED:
    case MDB_BAD_RSLOT:
    case MDB_BAD_DBI:
    case MDB_INCOMPATIBLE: rc = QS_PANIC; break;
    default: rc = mdb_rc > 0 ? mdb_rc : QS_PANIC; break;
    }
    return eng_fail(rc, "%s%s%s: %s", what, db ? " in database " : "", db ? db : "",
                    mdb_strerror(mdb_rc));
}

int eng_walk_rc(int rc, const char *db)
{
    if (rc == 0 || rc == MDB_NOTFOUND)
        return 0;
    if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
        return eng_mdb_rc(rc, "read", db);
    return rc;
}

/* ------------------------------------------------------------------ findings */

void eng_report_init(qs_check_report *r, const char *name)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
}

void eng_report_finding(qs_check_report *r, const char *fmt, ...)
{
    if (r->findings++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->first_finding, sizeof r->first_finding, fmt, ap);
        va_end(ap);
    }
}
