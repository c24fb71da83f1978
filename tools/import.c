/* import.c: `quizstore import KIND FILE`, the loader: its options, its input, its
 * summary; the rows are read and applied a batch at a time (import_batch.c). */
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "import_run.h"
#include "timefmt.h"

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
