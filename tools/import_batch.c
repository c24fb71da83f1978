/* import_batch.c: the rows of an import read and applied, a batch at a time.
 *
 * Rows are applied in batches: one write transaction per --batch rows (tests and
 * answers: a QS_TXN_BULK one), and inside it one savepoint per row, so a row is
 * applied whole or not at all and a bad row costs only itself; test, answer and
 * interaction rows are checked before they write, and need a savepoint only to
 * create their user. A store error (map full, disk full, ...) rolls back the current
 * batch and stops; earlier batches stay committed, and a re-run skips what they
 * hold: every put is idempotent, and the store recognises answers and interactions it
 * already has.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "import_run.h"

/* Questions the text dictionary is trained on when --compress is given. */
#define COMPRESS_SAMPLE 2048

/* ---- batches --------------------------------------------------------------------- */

static void add_counts(counts *to, const counts *from)
{
    to->inserted += from->inserted;
    to->updated += from->updated;
    to->unchanged += from->unchanged;
    to->duplicates += from->duplicates;
    to->expired += from->expired;
    to->rejected += from->rejected;
    for (int k = 0; k < CREATED_KINDS; k++)
        to->created[k] += from->created[k];
}

static void rollback_batch(import_run *run)
{
    qs_txn_abort(run->txn);
    run->txn = NULL;
    run->queue.n = run->queue.text.cur = run->queue.text.used = 0;
    id_memo_clear(&run->ids);
    if (run->batch_rows)
        msg("%s: rolled back the batch from line %ld (%" PRIu64 " rows); the %" PRIu64
            " rows before it are committed",
            run->where, run->batch_first_line, run->batch_rows, run->read - run->batch_rows);
    /* those lines were bad in any case */
    run->total.rejected += run->batch.rejected;
    run->total.expired += run->batch.expired;
}

int compress_bank(import_run *run)
{
    run->compressed = 1;
    qs_txn *txn;
    qs_compress_report rep = {.size = sizeof rep};
    int rc = qs_txn_begin(run->env, 0, &txn);
    if (rc == 0 && (rc = qs_bank_compress(txn, &rep)) != 0)
        qs_txn_abort(txn);
    else if (rc == 0)
        rc = qs_txn_commit(txn);
    if (rc != 0) {
        fatal_rc(run, 0, "compress", rc);
        return -1;
    }
    if (!run->quiet)
        printf("compress: %" PRIu32 " questions, %" PRIu32 " compressed, question database %"
               PRIu64 " -> %" PRIu64 " bytes, dictionary %" PRIu32 " bytes\n",
               rep.questions, rep.compressed, rep.raw_bytes, rep.stored_bytes, rep.dict_bytes);
    return 0;
}

static int commit_batch(import_run *run)
{
    if (queue_flush(run) != 0 || rejects_flush(run) != 0) {
        if (run->txn)
            rollback_batch(run);
        return -1;
    }
    if (run->txn) {
        int rc = qs_txn_commit(run->txn);
        run->txn = NULL;
        if (rc != 0) {
            fatal_rc(run, 0, "commit", rc);
            run->total.rejected += run->batch.rejected;
            run->total.expired += run->batch.expired;
            msg("%s: the batch from line %ld (%" PRIu64 " rows) is not stored; the %" PRIu64
                " rows before it are committed",
                run->where, run->batch_first_line, run->batch_rows,
                run->read - run->batch_rows);
            return -1;
        }
    }
    add_counts(&run->total, &run->batch);
    memset(&run->batch, 0, sizeof run->batch);
    run->batch_rows = 0;
    id_memo_clear(&run->ids);
    /* Train the text dictionary as soon as there is enough text to learn from, so
     * the rest of the bank is written compressed once instead of rewritten. */
    if (run->compress && !run->compressed && run->total.inserted >= COMPRESS_SAMPLE)
        return compress_bank(run);
    return 0;
}

/* Whether batches gather their writes (QS_TXN_BULK): tests and answers, unless
 * --row-by-row. */
static int bulk(const import_run *run)
{
    return (run->kind == K_TESTS || run->kind == K_ANSWERS) && !run->row_by_row;
}

static int begin_batch(import_run *run)
{
    if (run->txn)
        return 0;
    int rc = qs_txn_begin(run->env, bulk(run) ? QS_TXN_BULK : 0, &run->txn);
    if (rc != 0) {
        fatal_rc(run, run->rec.line, "begin transaction", rc);
        return -1;
    }
    run->batch_first_line = run->rec.line;
    return 0;
}

/* ---- rows ------------------------------------------------------------------------ */

int checked_first(import_kind kind)
{
    return kind == K_TESTS || kind == K_ANSWERS || kind == K_INTERACTIONS;
}

/* Apply @p ac's row in a savepoint, so that a rejected row leaves nothing. */
static outcome apply_in_savepoint(import_run *run, apply_ctx *ac)
{
    qs_txn *sp;
    int rc = qs_txn_savepoint(run->txn, &sp);
    if (rc != 0)
        return lib_fatal(ac, rc, "savepoint");
    ac->txn = sp;
    outcome o = apply_row(run->kind, ac);
    if (o == OUT_INSERTED || o == OUT_UPDATED) {
        if ((rc = qs_txn_commit(sp)) != 0)
            return lib_fatal(ac, rc, "savepoint commit");
    } else {
        qs_txn_abort(sp);
        id_memo_clear(ac->ids);
        memset(ac->created, 0, sizeof ac->created);
    }
    return o;
}

/* Apply the loaded row, whole or not at all: tests, answers and interactions straight
 * to the batch (checked_first), other kinds in a savepoint; answers and interactions
 * queued for one call per batch unless --row-by-row.
 * Returns 0, or -1 on a fatal error. */
static int apply_loaded(import_run *run)
{
    if (rows_queued(run))
        return queue_or_apply(run);
    apply_ctx ac = row_ctx(run, &run->row);
    outcome o = checked_first(run->kind) ? apply_row(run->kind, &ac)
                                          : apply_in_savepoint(run, &ac);
    return settle(run, o, &ac, current_line(run));
}

int import_rows(import_run *run)
{
    for (;;) {
        int st = reader_next(run->rd, &run->rec);
        if (st == READ_EOF)
            break;
        if (st == READ_FATAL) {
            progress_end(&run->prog);
            msg("%s:%ld: %s", run->where, run->rec.line, run->rec.error);
            if (run->txn)
                rollback_batch(run);
            return -1;
        }
        run->read++;
        if (begin_batch(run) != 0)
            return -1;
        run->batch_rows++;
        int loaded = st != READ_BAD && row_load(&run->row, &run->rec) == 0;
        if (!loaded && queue_flush(run) != 0) {   /* rejects in line order */
            rollback_batch(run);
            return -1;
        }
        if (st == READ_BAD)
            reject(run, current_line(run), run->rec.error);
        else if (!loaded)
            reject(run, current_line(run), run->row.reason);
        else if (apply_loaded(run) != 0) {
            rollback_batch(run);
            return -1;
        }
        if (run->rejects_errno) {
            rejects_report(run);
            rollback_batch(run);
            return -1;
        }
        if (run->batch_rows >= run->batch_size && commit_batch(run) != 0)
            return -1;
        progress_update(&run->prog, run->read, reader_offset(run->rd));
    }
    return commit_batch(run);
}
