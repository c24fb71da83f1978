/* backend_pg_libpq.c: the PostgreSQL peer's libpq helpers: failures, commands, columns.
 *
 * A failure's one-line reason, simple (unprepared) commands, and the integer columns of
 * binary results (backend_pg.h).
 */
#include <stdio.h>

#include "backend_pg.h"

/* One line from a result's primary message (else the connection's). */
static void one_line_error(PGconn *conn, const PGresult *res, char *out, size_t cap)
{
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m || !*m)
        m = PQerrorMessage(conn);
    snprintf(out, cap, "%s", m && *m ? m : "unknown error");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = (p[1] ? ' ' : '\0');
}

int pgb_fail(backend *be, const char *op, PGresult *res)
{
    char msg[400];
    one_line_error(pgb_store(be)->conn, res, msg, sizeof msg);
    PQclear(res);
    return bk_fail(be, "%s: %s", op, msg);
}

int pgb_result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

int pgb_exec(backend *be, const char *op, const char *sql)
{
    PGresult *res = PQexec(pgb_store(be)->conn, sql);
    if (!pgb_result_ok(res))
        return pgb_fail(be, op, res);
    PQclear(res);
    return 0;
}

int64_t pgb_col_i64(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
    int n = PQgetlength(res, row, col);
    uint64_t v = (n > 0 && (p[0] & 0x80)) ? ~(uint64_t)0 : 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}
