/* import.c: `quizstore import KIND FILE`, the loader.
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
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "cli.h"
#include "import.h"
#include "timefmt.h"
#include "util/grow.h"

/* Questions the text dictionary is trained on when --compress is given. */
#define COMPRESS_SAMPLE 2048


const char import_usage[] =
    "usage: quizstore import [-d DIR] [options] KIND FILE\n"
    "\n"
    "Load FILE (.csv, .jsonl/.ndjson, or - for stdin with --format) into the store.\n"
    "KIND: subjects systems topics questions users tests answers interactions\n"
    "\n"
    "options:\n"
    "      --format csv|jsonl    the file's format (default: by extension)\n"
    "      --map FIELD=COLUMN    read FIELD from COLUMN; A+B joins columns with ':'\n"
    "      --set FIELD=VALUE     FIELD is VALUE on every row\n"
    "      --null STRING         STRING means an empty value (repeatable)\n"
    "      --rejects FILE        write each rejected or expired line to FILE (CSV:\n"
    "                            line,reason,record); never the input or the store\n"
    "      --rejects-duplicates  write duplicate answers and events to the rejects file too\n"
    "      --batch N             rows per commit (default 1000; tests, answers, interactions 250000)\n"
    "      --row-by-row          tests and answers in plain transactions, not QS_TXN_BULK;\n"
    "                            answers and interactions one call each, not many per call\n"
    "      --progress            show the progress bar even if stderr is not a terminal\n"
    "      --no-progress         never show it\n"
    "      --compress            compress the bank's texts with a dictionary trained on\n"
    "                            them (after the first 2048 questions, or at the end)\n"
    "  -q, --quiet               print only errors\n"
    "  -h, --help                this text\n" COMMON_OPTIONS_HELP
    "\n"
    "exit status: 0 every line is in the store, 2 some lines are not (rejected or\n"
    "expired), 1 fatal error\n"
    "see tools/README.md for the columns of each kind\n";

#define DEFAULT_BATCH 1000
/* Tests, answers and interactions: a batch writes each page it changes once, so large
 * batches write the big trees in fewer, denser passes (the S=1 D=7 answers load in
 * about half the time of 10,000-row batches). */
#define DEFAULT_ACTIVITY_BATCH 250000
#define REJECTS_SHOWN 10

enum {
    OPT_FORMAT = OPT_FIRST_LOCAL,
    OPT_MAP,
    OPT_SET,
    OPT_NULL,
    OPT_REJECTS,
    OPT_REJECTS_DUPS,
    OPT_BATCH,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_COMPRESS,
    OPT_ROW_BY_ROW
};

typedef struct counts {
    uint64_t inserted, updated, unchanged, duplicates, expired, rejected;
    uint64_t created[CREATED_KINDS];
} counts;

/* The values a queued row keeps: those its outcome's message may quote (an expired
 * row's time, a conflict's test and question) and an interaction's payload. */
static const field_id kept_fields[] = {FLD_CREATED_AT, FLD_TEST, FLD_QUESTION, FLD_PAYLOAD};
#define N_KEPT (sizeof kept_fields / sizeof kept_fields[0])

/* An answer or interaction row waiting for its batch's call: where it is in the file,
 * and copies of its record and of its kept values in the queue's text. */
typedef struct queued_row {
    long line;
    const char *raw;
    size_t raw_len;
    const char *kept[N_KEPT];    /* NULL: the row has no such value */
    uint32_t kept_len[N_KEPT];
} queued_row;

/* The queue's text: blocks that never move (an interaction points into them), kept
 * from one batch to the next. */
typedef struct text_blocks {
    struct text_block {
        char *p;
        size_t size;
    } *block;
    size_t n, cap, cur, used;   /* blocks; the one being filled, and its bytes taken */
} text_blocks;

typedef struct row_queue {
    queued_row *rows;
    qs_answer *answers;         /* answers: the rows' answers */
    qs_interaction *ix;         /* interactions: the rows' interactions */
    int *rcs;
    size_t n, rows_cap, answers_cap, ix_cap, rcs_cap;
    text_blocks text;
} row_queue;

typedef struct import_run {
    /* options */
    file_format format;
    mapping map;
    const char *rejects_path;
    int rejects_dups;
    unsigned long batch_size;   /* 0: the default of the kind */
    int row_by_row;             /* no QS_TXN_BULK, answers and interactions one call each */
    int progress_opt; /* -1: when stderr is a terminal */
    int compress, compressed;
    int quiet;
    import_kind kind;
    const char *path;
    char where[512];  /* "import KIND FILE" for messages */
    /* state */
    qs_env *env;
    reader *rd;
    record rec;
    row row;
    FILE *rejects;
    int rejects_errno;       /* the first failed write to the rejects file */
    progress prog;
    qs_txn *txn;
    row_queue queue;         /* answers or interactions of the open batch not yet applied */
    row queued;              /* a queued row's fields, for its messages */
    id_memo ids;             /* ids found in the open batch */
    counts total, batch;
    uint64_t read;           /* records read */
    uint64_t batch_rows;     /* rows in the open batch */
    long batch_first_line;
    uint64_t rejects_shown;
} import_run;

static int compress_bank(import_run *run);
static int queue_flush(import_run *run);

/* ---- options --------------------------------------------------------------------- */

static void parse_options(import_run *run, int argc, char **argv)
{
    static const struct option longopts[] = {
        COMMON_LONG_OPTIONS,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"map", required_argument, NULL, OPT_MAP},
        {"set", required_argument, NULL, OPT_SET},
        {"null", required_argument, NULL, OPT_NULL},
        {"rejects", required_argument, NULL, OPT_REJECTS},
        {"rejects-duplicates", no_argument, NULL, OPT_REJECTS_DUPS},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"row-by-row", no_argument, NULL, OPT_ROW_BY_ROW},
        {"compress", no_argument, NULL, OPT_COMPRESS},
        {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0}};
    int c, too_many = 0;
    uint64_t n;
    while ((c = getopt_long(argc, argv, "d:qh", longopts, NULL)) != -1) {
        if (common_option(c, optarg, "import"))
            continue;
        switch (c) {
        case 'h': usage_exit(import_usage, 1);
        case 'q': run->quiet = 1; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "csv") == 0)
                run->format = FORMAT_CSV;
            else if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "ndjson") == 0)
                run->format = FORMAT_JSONL;
            else {
                msg("import: --format: '%s' is not csv or jsonl", optarg);
                exit(EXIT_FAILURE);
            }
            break;
        case OPT_MAP: too_many |= mapping_add_map(&run->map, optarg); break;
        case OPT_SET: too_many |= mapping_add_set(&run->map, optarg); break;
        case OPT_NULL: too_many |= mapping_add_null(&run->map, optarg); break;
        case OPT_REJECTS: run->rejects_path = optarg; break;
        case OPT_REJECTS_DUPS: run->rejects_dups = 1; break;
        case OPT_BATCH:
            if (ut_parse_u64(optarg, strlen(optarg), &n) != 0 || n == 0 || n > 10000000) {
                msg("import: --batch: '%s' is not a number of rows (1..10000000)", optarg);
                exit(EXIT_FAILURE);
            }
            run->batch_size = (unsigned long)n;
            break;
        case OPT_PROGRESS: run->progress_opt = 1; break;
        case OPT_NO_PROGRESS: run->progress_opt = 0; break;
        case OPT_ROW_BY_ROW: run->row_by_row = 1; break;
        case OPT_COMPRESS: run->compress = 1; break;
        default: usage_exit(import_usage, 0);
        }
    }
    if (too_many) {
        msg("import: at most 64 each of --map, --set and --null");
        exit(EXIT_FAILURE);
    }
    if (argc - optind != 2)
        usage_exit(import_usage, 0);
    if (kind_parse(argv[optind], &run->kind) != 0) {
        msg("import: unknown kind '%s' (subjects, systems, topics, questions, users, tests, "
            "answers, interactions)", argv[optind]);
        exit(EXIT_FAILURE);
    }
    run->path = argv[optind + 1];
    if (run->compress && run->kind != K_QUESTIONS) {
        msg("import: --compress applies to questions only");
        exit(EXIT_FAILURE);
    }
    snprintf(run->where, sizeof run->where, "import %s %s", kind_name(run->kind), run->path);
}

/* ---- opening --------------------------------------------------------------------- */

static int open_input(import_run *run)
{
    char err[1024], unused[1024];
    run->rd = reader_open(run->path, run->format, err, sizeof err);
    if (!run->rd) {
        msg("%s: %s", run->where, err);
        return -1;
    }
    size_t n_columns;
    const char *const *columns = reader_columns(run->rd, &n_columns);
    if (mapping_bind(&run->map, run->kind, columns, n_columns, err, sizeof err, unused,
                     sizeof unused) != 0) {
        msg("%s: %s", run->where, err);
        return -1;
    }
    if (unused[0] && !run->quiet)
        msg("%s: ignoring columns %s", run->where, unused);
    return 0;
}

/* ---- the rejects file ------------------------------------------------------------ */

/* Every write to the rejects file is checked. The first failure stops writing it and
 * is fatal for the import, like a store error: the batch is rolled back, so that the
 * file holds the rejects of every committed batch, and a re-run starts over. */

static void rejects_failed(import_run *run, int err)
{
    if (!run->rejects_errno)
        run->rejects_errno = err ? err : EIO;
}

static int rejects_report(import_run *run)
{
    progress_end(&run->prog);
    msg("%s: could not write the rejects file %s: %s", run->where, run->rejects_path,
        strerror(run->rejects_errno));
    return -1;
}

/* Push what is buffered to the file, so that a full disk shows now. */
static int rejects_flush(import_run *run)
{
    if (run->rejects && !run->rejects_errno && fflush(run->rejects) != 0)
        rejects_failed(run, errno);
    return run->rejects_errno ? rejects_report(run) : 0;
}

static int open_rejects(import_run *run)
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

/* 0, or -1 when a write failed: one failed before was reported then, a failed close
 * is reported here. */
static int close_rejects(import_run *run)
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

/* The line of a record: where it starts in the file, and its text. */
typedef struct line_ref {
    long line;
    const char *raw;
    size_t raw_len;
} line_ref;

static line_ref current_line(const import_run *run)
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

static void reject(import_run *run, line_ref at, const char *reason)
{
    run->batch.rejected++;
    not_stored(run, at, reason);
}

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

static void fatal_rc(import_run *run, long line, const char *what, int rc)
{
    char context[1024];
    progress_end(&run->prog);
    if (line > 0)
        snprintf(context, sizeof context, "%s:%ld: %s", run->where, line, what);
    else
        snprintf(context, sizeof context, "%s: %s", run->where, what);
    msg_rc(context, rc);
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

/* The entities @p ac's row created for its references. */
static void count_created(import_run *run, const apply_ctx *ac)
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

/* Whether rows of @p kind are applied to the batch itself (import_activity.c): checked
 * before they write, they need a savepoint only to create their user. */
static int checked_first(import_kind kind)
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

/* The context a row of @p r is applied in: the batch's transaction. */
static apply_ctx row_ctx(import_run *run, row *r)
{
    apply_ctx ac;
    memset(&ac, 0, sizeof ac);
    ac.txn = run->txn;
    ac.row = r;
    ac.ids = &run->ids;
    return ac;
}

/* What became of the row of line @p at: counted, and reported when it is not stored.
 * Returns 0, or -1 on a fatal error. */
static int settle(import_run *run, outcome o, const apply_ctx *ac, line_ref at)
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

/* ---- answers and interactions, many per call -------------------------------------- */

/* Whether rows of the run are queued and applied a batch at a time
 * (qs_answer_submit_many(), qs_interaction_log_many()). */
static int queued(const import_run *run)
{
    return (run->kind == K_ANSWERS || run->kind == K_INTERACTIONS) && !run->row_by_row;
}

#define TEXT_BLOCK (16u << 20)
#define QUEUE_MAX (1u << 20)   /* rows a queue holds before they are applied, whatever --batch */

static void queue_free(row_queue *q)
{
    free(q->rows);
    free(q->answers);
    free(q->ix);
    free(q->rcs);
    for (size_t i = 0; i < q->text.n; i++)
        free(q->text.block[i].p);
    free(q->text.block);
    memset(q, 0, sizeof *q);
}

/* @p len bytes of the queue's text, or NULL. */
static char *text_take(text_blocks *t, size_t len)
{
    while (t->cur < t->n && t->used + len > t->block[t->cur].size) {
        t->cur++;
        t->used = 0;
    }
    if (t->cur == t->n) {
        size_t size = len > TEXT_BLOCK ? len : TEXT_BLOCK;
        char *p;
        if (ut_grow((void **)&t->block, &t->cap, t->n + 1, sizeof *t->block) != 0 ||
            !(p = malloc(size)))
            return NULL;
        t->block[t->n++] = (struct text_block){p, size};
    }
    char *p = t->block[t->cur].p + t->used;
    t->used += len;
    return p;
}

/* Room for one more row of @p kind. 0, or -1 out of memory. */
static int queue_room(row_queue *q, import_kind kind)
{
    size_t need = q->n + 1;
    int rc = ut_grow((void **)&q->rows, &q->rows_cap, need, sizeof *q->rows) ||
             ut_grow((void **)&q->rcs, &q->rcs_cap, need, sizeof *q->rcs);
    if (kind == K_ANSWERS)
        return rc || ut_grow((void **)&q->answers, &q->answers_cap, need,
                             sizeof *q->answers) ? -1 : 0;
    return rc || ut_grow((void **)&q->ix, &q->ix_cap, need, sizeof *q->ix) ? -1 : 0;
}

/* @p len bytes of @p s and a NUL at *t, which moves past them: their copy. */
static const char *copy_text(char **t, const char *s, size_t len)
{
    char *copy = *t;
    memcpy(copy, s, len);
    copy[len] = '\0';
    *t += len + 1;
    return copy;
}

/* Copies of the current row's record and kept values in the queue's text; an
 * interaction's payload (in @p item) pointed at its copy. */
static int queue_copy(import_run *run, queued_row *r, void *item)
{
    const row_value *values = run->row.v;
    size_t len = run->rec.raw_len + 1;
    for (size_t i = 0; i < N_KEPT; i++)
        len += values[kept_fields[i]].len + 1;
    char *t = text_take(&run->queue.text, len);
    if (!t)
        return -1;
    r->raw = copy_text(&t, run->rec.raw, run->rec.raw_len);
    for (size_t i = 0; i < N_KEPT; i++) {
        const row_value *v = &values[kept_fields[i]];
        r->kept[i] = v->present ? copy_text(&t, v->s, v->len) : NULL;
        r->kept_len[i] = (uint32_t)v->len;
        if (kept_fields[i] == FLD_PAYLOAD && run->kind == K_INTERACTIONS)
            ((qs_interaction *)item)->payload = v->len ? r->kept[i] : NULL;
    }
    return 0;
}

/* The current row's answer or interaction @p item, queued with copies of its record
 * and values. */
static int queue_add(import_run *run, void *item)
{
    row_queue *q = &run->queue;
    queued_row r = {.line = run->rec.line, .raw_len = run->rec.raw_len};
    if (queue_room(q, run->kind) != 0 || queue_copy(run, &r, item) != 0) {
        msg("%s:%ld: out of memory", run->where, run->rec.line);
        return -1;
    }
    q->rows[q->n] = r;
    if (run->kind == K_ANSWERS)
        q->answers[q->n++] = *(const qs_answer *)item;
    else
        q->ix[q->n++] = *(const qs_interaction *)item;
    return q->n < QUEUE_MAX ? 0 : queue_flush(run);
}

/* run->queued holding the kept values of queued row @p r, for its messages. */
static void restore_fields(import_run *run, const queued_row *r)
{
    for (size_t i = 0; i < N_KEPT; i++)
        run->queued.v[kept_fields[i]] =
            (row_value){r->kept[i] ? r->kept[i] : "", r->kept_len[i], r->kept[i] != NULL,
                        NULL, 0};
}

/* The queued rows applied in one call. Returns 0 or the library's code. */
static int queue_call(import_run *run)
{
    row_queue *q = &run->queue;
    if (run->kind == K_ANSWERS)
        return qs_answer_submit_many(run->txn, q->answers, q->n, q->rcs, NULL);
    return qs_interaction_log_many(run->txn, q->ix, q->n, q->rcs, NULL);
}

/* The queued rows applied in one call, and each row's outcome settled in line order.
 * Returns 0, or -1 on a fatal error. */
static int queue_flush(import_run *run)
{
    row_queue *q = &run->queue;
    if (!q->n)
        return 0;
    int rc = queue_call(run);
    if (rc != 0) {
        fatal_rc(run, q->rows[0].line, run->kind == K_ANSWERS ? "submitting answers"
                                                              : "logging interactions", rc);
        return -1;
    }
    apply_ctx ac = row_ctx(run, &run->queued);
    int failed = 0;
    for (size_t i = 0; i < q->n && !failed; i++) {
        const queued_row *r = &q->rows[i];
        restore_fields(run, r);
        outcome o = run->kind == K_ANSWERS ? answer_submitted(&ac, &q->answers[i], q->rcs[i])
                                           : interaction_logged(&ac, q->rcs[i]);
        failed = settle(run, o, &ac, (line_ref){r->line, r->raw, r->raw_len}) != 0;
    }
    q->n = q->text.cur = q->text.used = 0;
    return failed ? -1 : 0;
}

/* An answer or interaction row: queued when everything it names is in the store, or
 * once its new test is created (and its user); else applied alone after the queue, so
 * that rejects are reported in line order and a user is created with the row that
 * names it. Returns 0, or -1 on a fatal error. */
static int queue_or_apply(import_run *run)
{
    apply_ctx ac = row_ctx(run, &run->row);
    union {
        qs_answer a;
        qs_interaction ix;
    } item;
    int new_user, new_test = 0;
    outcome o = run->kind == K_ANSWERS ? answer_of_row(&ac, &item.a, &new_user, &new_test)
                                       : interaction_of_row(&ac, &item.ix, &new_user);
    if (!FAILED(o) && new_test) {
        /* the answer is checked, its test (and user) created: then it waits its turn */
        if ((o = answer_test_create(&ac, &item.a, new_user)) == OUT_INSERTED) {
            count_created(run, &ac);
            return queue_add(run, &item);
        }
    } else if (!FAILED(o) && !new_user) {
        return queue_add(run, &item);
    }
    if (queue_flush(run) != 0)
        return -1;
    if (!FAILED(o) && !new_test)
        o = apply_row(run->kind, &ac);
    return settle(run, o, &ac, current_line(run));
}

/* Apply the loaded row, whole or not at all: tests, answers and interactions straight
 * to the batch (checked_first), other kinds in a savepoint; answers and interactions
 * queued for one call per batch unless --row-by-row.
 * Returns 0, or -1 on a fatal error. */
static int apply_loaded(import_run *run)
{
    if (queued(run))
        return queue_or_apply(run);
    apply_ctx ac = row_ctx(run, &run->row);
    outcome o = checked_first(run->kind) ? apply_row(run->kind, &ac)
                                          : apply_in_savepoint(run, &ac);
    return settle(run, o, &ac, current_line(run));
}

static int import_rows(import_run *run)
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

/* ---- report ---------------------------------------------------------------------- */

static void print_summary(const import_run *run, double seconds)
{
    const counts *c = &run->total;
    printf("%s: %" PRIu64 " read, %" PRIu64 " inserted, %" PRIu64 " updated, %" PRIu64
           " unchanged, %" PRIu64 " duplicate, %" PRIu64 " rejected",
           run->where, run->read, c->inserted, c->updated, c->unchanged, c->duplicates,
           c->rejected);
    if (c->expired)   /* rows of periods retention dropped: not stored, not rejected */
        printf(", %" PRIu64 " expired", c->expired);
    printf(" in %.2f s (%.0f rows/s)\n", seconds,
           seconds > 0 ? (double)run->read / seconds : 0.0);
    static const qs_kind order[] = {QS_SUBJECT, QS_SYSTEM, QS_TOPIC, QS_USER, QS_TEST};
    static const char *const plural[] = {[QS_SUBJECT] = "subjects", [QS_SYSTEM] = "systems",
                                         [QS_TOPIC] = "topics", [QS_USER] = "users",
                                         [QS_TEST] = "tests"};
    int any = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        uint64_t n = c->created[order[i]];
        if (!n)
            continue;
        printf("%s %" PRIu64 " %s", any ? "," : "  created for references:", n, plural[order[i]]);
        any = 1;
    }
    if (any)
        putchar('\n');
}

/* The lines not in the store, once the rejects file holds them. */
static void print_not_stored(const import_run *run)
{
    const counts *c = &run->total;
    char what[128];
    if (!c->rejected && !c->expired)
        return;
    if (!c->expired)
        snprintf(what, sizeof what, "%" PRIu64 " %s rejected", c->rejected,
                 c->rejected == 1 ? "line" : "lines");
    else if (!c->rejected)
        snprintf(what, sizeof what, "%" PRIu64 " %s expired (in periods retention dropped)",
                 c->expired, c->expired == 1 ? "line" : "lines");
    else
        snprintf(what, sizeof what, "%" PRIu64 " lines not stored: %" PRIu64 " rejected, %"
                 PRIu64 " expired", c->rejected + c->expired, c->rejected, c->expired);
    if (run->rejects_path)
        msg("%s: %s, written to %s", run->where, what, run->rejects_path);
    else
        msg("%s: %s (--rejects FILE lists them)", run->where, what);
}

static int compress_bank(import_run *run)
{
    run->compressed = 1;
    qs_txn *txn;
    qs_compress_report rep;
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

static void close_run(import_run *run)
{
    qs_txn_abort(run->txn);
    reader_close(run->rd);
    record_free(&run->rec);
    row_free(&run->row);
    row_free(&run->queued);
    queue_free(&run->queue);
    id_memo_free(&run->ids);
    mapping_free(&run->map);
    close_rejects(run);
    qs_env_close(run->env);
}

int cmd_import(int argc, char **argv)
{
    static import_run run; /* zero-initialised */
    /* LMDB allocates a write transaction's dirty pages one by one and frees them at
     * its commit, and a batch's redo log record and gathered records grow to tens of
     * megabytes: the heap keeps that memory for the next batch instead of giving it
     * back (large blocks too, which malloc would map and unmap), which spares a page
     * fault per page (a fifth of a bulk import's time). */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    run.progress_opt = -1;
    parse_options(&run, argc, argv);
    if (!run.batch_size)
        run.batch_size = checked_first(run.kind) ? DEFAULT_ACTIVITY_BATCH : DEFAULT_BATCH;
    record_init(&run.rec);
    row_init(&run.row, &run.map);
    row_init(&run.queued, &run.map);

    int status = 1;
    if (open_input(&run) != 0 || open_rejects(&run) != 0)
        goto done;
    if (!(run.env = store_open("import", 1)))
        goto done;
    int show = run.progress_opt >= 0 ? run.progress_opt : !run.quiet && isatty(STDERR_FILENO);
    const char *slash = strrchr(run.path, '/');
    progress_start(&run.prog, show, slash ? slash + 1 : run.path, reader_size(run.rd));
    double start = clock_seconds();
    int rc = import_rows(&run);
    progress_end(&run.prog);
    double seconds = clock_seconds() - start;
    if (!run.quiet || rc != 0)
        print_summary(&run, seconds);
    if (rc != 0)
        goto done;
    if (run.compress && !run.compressed && compress_bank(&run) != 0)
        goto done;
    if (close_rejects(&run) != 0)
        goto done;
    if (!run.quiet)
        print_not_stored(&run);
    status = run.total.rejected || run.total.expired ? EXIT_REJECTS : 0;
done:
    close_run(&run);
    return status;
}
