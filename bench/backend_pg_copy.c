/* backend_pg_copy.c: COPY FROM STDIN for the PostgreSQL peer (backend_pg.h): the
 * bank and users in COPY's text format for load_bank, and the CSV files as they are for
 * bulk_import.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_pg.h"
#include "outbuf.h"

/* ===================================================================== */
/* COPY in text format, for load_bank                                     */

static int copy_sink(void *conn, const char *p, size_t n)
{
    return PQputCopyData(conn, p, (int)n) == 1 ? 0 : EIO;
}

/* A text field: backslash, tab, newline and carriage return are escaped. */
static void co_text(outbuf *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char e = s[i] == '\\' ? '\\' : s[i] == '\t' ? 't' : s[i] == '\n' ? 'n'
               : s[i] == '\r' ? 'r' : 0;
        if (e) {
            ob_char(c, '\\');
            ob_char(c, e);
        } else {
            ob_char(c, s[i]);
        }
    }
}

static void co_null(outbuf *c)
{
    ob_char(c, '\\');
    ob_char(c, 'N');
}

int pgb_copy_begin(backend *be, const char *op, const char *sql)
{
    PGresult *res = PQexec(pgb_store(be)->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return pgb_fail(be, op, res);
    PQclear(res);
    return 0;
}

int pgb_copy_end(backend *be, const char *op, int abandon, uint64_t *rows)
{
    PGconn *conn = pgb_store(be)->conn;
    int rc = 0;
    if (PQputCopyEnd(conn, abandon ? "input failed" : NULL) != 1)
        rc = bk_fail(be, "%s: %s", op, PQerrorMessage(conn));
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
            rc = pgb_fail(be, op, res);
            continue;
        }
        if (rows)
            *rows = strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    return rc;
}

static int copy_rows(backend *be, const char *op, const char *sql,
                     void (*write)(outbuf *, const wl_gen *), const wl_gen *g)
{
    PGconn *conn = pgb_store(be)->conn;
    outbuf c;
    if (ob_open(&c, PGB_COPY_CHUNK, copy_sink, conn) != 0)
        return bk_fail(be, "%s: out of memory", op);
    if (pgb_copy_begin(be, op, sql) != 0) {
        ob_close(&c);
        return -1;
    }
    write(&c, g);
    ob_flush(&c);
    ob_close(&c);
    if (c.err) {
        bk_fail(be, "%s: %s", op, PQerrorMessage(conn));
        pgb_copy_end(be, op, 1, NULL);
        return -1;
    }
    return pgb_copy_end(be, op, 0, NULL);
}

static void write_taxa(outbuf *c, void (*get)(uint32_t, wl_taxon *), uint32_t n,
                       int with_parent)
{
    for (uint32_t id = 1; id <= n; id++) {
        wl_taxon t;
        get(id, &t);
        ob_i64(c, t.id);
        ob_char(c, '\t');
        if (with_parent) {
            ob_i64(c, t.parent);
            ob_char(c, '\t');
        }
        co_text(c, t.name, strlen(t.name));
        ob_char(c, '\n');
    }
}

static void write_subjects(outbuf *c, const wl_gen *g)
{
    (void)g;
    write_taxa(c, wl_subject_get, WL_SUBJECTS, 0);
}

static void write_systems(outbuf *c, const wl_gen *g)
{
    (void)g;
    write_taxa(c, wl_system_get, WL_SYSTEMS, 0);
}

static void write_topics(outbuf *c, const wl_gen *g)
{
    (void)g;
    write_taxa(c, wl_topic_get, WL_TOPICS, 1);
}

static void write_questions(outbuf *c, const wl_gen *g)
{
    static wl_text_buf buf;   /* load_bank runs on one thread */
    for (uint32_t id = 1; id <= WL_QUESTIONS; id++) {
        wl_question q;
        wl_question_get(g, id, &q, &buf);
        const int64_t nums[] = {q.id, q.subject, q.system, q.topic, q.difficulty, q.type,
                                q.active, q.correct_option, q.n_options, q.created_at};
        for (size_t i = 0; i < N_OF(nums); i++) {
            ob_i64(c, nums[i]);
            ob_char(c, '\t');
        }
        co_text(c, q.stem.ptr, q.stem.len);
        ob_char(c, '\t');
        co_text(c, q.explanation.ptr, q.explanation.len);
        for (unsigned i = 0; i < WL_MAX_OPTIONS; i++) {
            ob_char(c, '\t');
            if (i < q.n_options)
                co_text(c, q.options[i].ptr, q.options[i].len);
            else
                co_null(c);
        }
        ob_char(c, '\n');
    }
}

static void write_users(outbuf *c, const wl_gen *g)
{
    wl_counts n;
    wl_counts_get(g, &n);
    for (uint32_t id = 1; id <= n.users; id++) {
        wl_user u;
        wl_user_get(g, id, &u);
        ob_i64(c, u.id);
        ob_char(c, '\t');
        ob_i64(c, u.created_at);
        ob_char(c, '\n');
    }
}

/* Every user has a summary row: an idle one ranks with 0 correct. */
static void write_summaries(outbuf *c, const wl_gen *g)
{
    wl_counts n;
    wl_counts_get(g, &n);
    for (uint32_t id = 1; id <= n.users; id++) {
        ob_i64(c, id);
        ob_str(c, "\t0\t0\t0\t\\N\t\\N\t0\t0\n");
    }
}

/* ===================================================================== */
/* load_bank                                                              */

int pgb_load_bank(backend *be, const wl_gen *g)
{
    static const struct {
        const char *op, *sql;
        void (*write)(outbuf *, const wl_gen *);
    } steps[] = {
        {"load subjects", "COPY subject FROM STDIN", write_subjects},
        {"load systems", "COPY system FROM STDIN", write_systems},
        {"load topics", "COPY topic FROM STDIN", write_topics},
        {"load questions",
         "COPY question (id, subject_id, system_id, topic_id, difficulty, type, active,"
         " correct_option, n_options, created_at, stem, explanation, option0, option1,"
         " option2, option3, option4) FROM STDIN",
         write_questions},
        {"load users", "COPY users FROM STDIN", write_users},
        {"load user summaries", "COPY user_summary FROM STDIN", write_summaries},
    };
    if (pgb_begin(be) != 0)
        return -1;
    if (pgb_exec(be, "load_bank", "TRUNCATE " PGB_ALL_TABLES) != 0)
        goto fail;
    for (size_t i = 0; i < N_OF(steps); i++)
        if (copy_rows(be, steps[i].op, steps[i].sql, steps[i].write, g) != 0)
            goto fail;
    if (pgb_commit(be) != 0)
        return -1;
    atomic_store(&pgb_store(be)->ids->answer, 1);
    atomic_store(&pgb_store(be)->ids->interaction, 1);
    /* Only the tables just filled: the empty ones keep "never analyzed", for which the
     * planner assumes 10 pages rather than 0 and so keys its plans on the indexes
     * until autovacuum measures them at their real size. */
    return pgb_exec(be, "load_bank",
                       "ANALYZE subject, system, topic, question, users, user_summary");
fail:
    pgb_store(be)->in_batch = 0;
    pgb_forget_batch(be);
    return -1;
}

/* ===================================================================== */
/* CSV files, for bulk_import                                             */

int pgb_copy_file(backend *be, const char *path, const char *op, const char *sql,
                  uint64_t *rows)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return bk_fail(be, "bulk_import: %s: %s", path, strerror(errno));
    char *buf = malloc(PGB_COPY_CHUNK);
    if (!buf || pgb_copy_begin(be, op, sql) != 0) {
        if (!buf)
            bk_fail(be, "bulk_import: out of memory");
        free(buf);
        close(fd);
        return -1;
    }
    ssize_t n;
    int failed = 0;
    while (!failed && (n = read(fd, buf, PGB_COPY_CHUNK)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            failed = bk_fail(be, "bulk_import: %s: %s", path, strerror(errno));
        else if (PQputCopyData(pgb_store(be)->conn, buf, (int)n) != 1)
            failed = bk_fail(be, "bulk_import: %s: %s", path,
                             PQerrorMessage(pgb_store(be)->conn));
    }
    free(buf);
    close(fd);
    if (failed) {
        char keep[sizeof be->err];
        memcpy(keep, be->err, sizeof keep);
        pgb_copy_end(be, op, 1, NULL);
        memcpy(be->err, keep, sizeof keep);
        return -1;
    }
    return pgb_copy_end(be, op, 0, rows);
}
