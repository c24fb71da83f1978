/* import_outcome.c: what became of each row of an import: counted, and reported when
 * it is not stored (on stderr, in the rejects file). */
#include <errno.h>
#include <string.h>

#include <csv.h>

#include "cli.h"
#include "import_run.h"

#define REJECTS_SHOWN 10

/* ---- the rejects file ------------------------------------------------------------ */

/* Every write to the rejects file is checked. The first failure stops writing it and
 * is fatal for the import, like a store error: the batch is rolled back, so that the
 * file holds the rejects of every committed batch, and a re-run starts over. */

static void rejects_failed(import_run *run, int err)
{
    if (!run->rejects_errno)
        run->rejects_errno = err ? err : EIO;
}

int rejects_report(import_run *run)
{
    progress_end(&run->prog);
    msg("%s: could not write the rejects file %s: %s", run->where, run->rejects_path,
        strerror(run->rejects_errno));
    return -1;
}

int rejects_flush(import_run *run)
{
    if (run->rejects && !run->rejects_errno && fflush(run->rejects) != 0)
        rejects_failed(run, errno);
    return run->rejects_errno ? rejects_report(run) : 0;
}

int open_rejects(import_run *run)
{
    if (!run->rejects_path)
        return 0;
    if (output_check(run->where, "--rejects", run->rejects_path, &run->path, 1,
                     store_dir()) != 0)
        return -1;
    run->rejects = fopen(run->rejects_path, "w");
    if (!run->rejects) {
        msg("%s: --rejects %s: %s", run->where, run->rejects_path, strerror(errno));
        return -1;
    }
    if (fputs("line,reason,record\n", run->rejects) == EOF)
        rejects_failed(run, errno);
    return rejects_flush(run);
}

int close_rejects(import_run *run)
{
    FILE *f = run->rejects;
    run->rejects = NULL;
    if (f && fclose(f) != 0 && !run->rejects_errno) {
        rejects_failed(run, errno);
        return rejects_report(run);
    }
    return run->rejects_errno ? -1 : 0;
}

static void write_reject(import_run *run, long line, const char *reason, const char *raw,
                         size_t raw_len)
{
    FILE *f = run->rejects;
    if (!f || run->rejects_errno)
        return;
    if (fprintf(f, "%ld,", line) < 0 || csv_fwrite(f, reason, strlen(reason)) != 0 ||
        fputc(',', f) == EOF || csv_fwrite(f, raw, raw_len) != 0 || fputc('\n', f) == EOF)
        rejects_failed(run, errno);
}

line_ref current_line(const import_run *run)
{
    return (line_ref){run->rec.line, run->rec.raw, run->rec.raw_len};
}

/* A line that is not in the store: on stderr (the first few), in the rejects file. */
static void not_stored(import_run *run, line_ref at, const char *reason)
{
    if (!run->quiet && run->rejects_shown < REJECTS_SHOWN) {
        progress_end(&run->prog);
        msg("%s:%ld: %s", run->where, at.line, reason);
        run->rejects_shown++;
    }
    write_reject(run, at.line, reason, at.raw, at.raw_len);
}

void reject(import_run *run, line_ref at, const char *reason)
{
    run->batch.rejected++;
    not_stored(run, at, reason);
}

void fatal_rc(import_run *run, long line, const char *what, int rc)
{
    char context[1024];
    progress_end(&run->prog);
    if (line > 0)
        snprintf(context, sizeof context, "%s:%ld: %s", run->where, line, what);
    else
        snprintf(context, sizeof context, "%s: %s", run->where, what);
    msg_rc(context, rc);
}

/* ---- rows ------------------------------------------------------------------------ */

void count_created(import_run *run, const apply_ctx *ac)
{
    for (int k = 0; k < CREATED_KINDS; k++)
        run->batch.created[k] += ac->created[k];
}

static void count(import_run *run, outcome o, const apply_ctx *ac)
{
    switch (o) {
    case OUT_INSERTED: run->batch.inserted++; break;
    case OUT_UPDATED: run->batch.updated++; break;
    case OUT_UNCHANGED: run->batch.unchanged++; break;
    case OUT_DUPLICATE: run->batch.duplicates++; break;
    case OUT_EXPIRED: run->batch.expired++; break;
    default: break;
    }
    count_created(run, ac);
}

apply_ctx row_ctx(import_run *run, row *r)
{
    apply_ctx ac;
    memset(&ac, 0, sizeof ac);
    ac.txn = run->txn;
    ac.row = r;
    ac.ids = &run->ids;
    return ac;
}

int settle(import_run *run, outcome o, const apply_ctx *ac, line_ref at)
{
    if (o == OUT_FATAL) {
        fatal_rc(run, at.line, ac->fatal, ac->rc);
        return -1;
    }
    if (o == OUT_REJECTED)
        reject(run, at, ac->row->reason);
    if (o == OUT_EXPIRED)
        not_stored(run, at, ac->row->reason);
    if (o == OUT_DUPLICATE && run->rejects_dups)
        write_reject(run, at.line,
                     run->kind == K_INTERACTIONS ? "duplicate: the same event is stored already"
                                                 : "duplicate: the same answer is recorded already",
                     at.raw, at.raw_len);
    count(run, o, ac);
    return 0;
}
