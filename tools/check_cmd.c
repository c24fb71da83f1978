/* check_cmd.c: `quizstore check [--repair] [--json]`, the whole-store integrity check.
 *
 * Prints one line per part checked (each database's records, each time bucket, each
 * index and the pools, each aggregate recomputed from the answers), and exits 1 when
 * any part has findings or the check cannot run. --repair then rebuilds what is
 * derived (aggregates, indexes, pools) in one write transaction and checks again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "timefmt.h"

const char check_usage[] =
    "usage: quizstore check [-d DIR] [--repair] [--json]\n"
    "\n"
    "Check the whole store in one snapshot: every record's checksum and layout in every\n"
    "database and time bucket, every index and pool entry both ways, and every\n"
    "aggregate (question stats, summaries and streaks, daily rows, progress, user-\n"
    "question status, interaction day counts) against its recomputation from the\n"
    "answers and interactions. Prints one line per part; exits 1 on any finding, and\n"
    "when the check cannot run (a damaged record it depends on: the message says).\n"
    "\n"
    "options:\n"
    "      --repair              on findings, rebuild the aggregates, indexes and pools\n"
    "                            from the primary records, then check again; damaged\n"
    "                            primary records cannot be rebuilt (exit 1, named)\n"
    "      --json                print JSON\n"
    "  -h, --help                this text\n" COMMON_OPTIONS_HELP;

enum { OPT_REPAIR = OPT_FIRST_LOCAL, OPT_JSON };

typedef struct check_args {
    int repair, json;
} check_args;

static uint64_t findings_of(const qs_check_report *rows, size_t n)
{
    uint64_t f = 0;
    for (size_t i = 0; i < n; i++)
        f += rows[i].findings;
    return f;
}

/* The rows of check; one count each, of findings. */
static const report_form check_form = {"parts", "part", 22, 9, {"findings", NULL}, "note"};

static void print_report(const check_args *a, const qs_check_report *rows, size_t n)
{
    report r;
    report_begin(&r, &check_form, a->json);
    for (size_t i = 0; i < n; i++)
        report_row(&r, rows[i].name, rows[i].checked, &rows[i].findings,
                   rows[i].first_finding);
    report_end(&r);
}

/* Run the check in a read transaction; the rows in a malloc'ed array. */
static int run_check(qs_env *env, qs_check_report **rows, size_t *n)
{
    qs_txn *txn;
    size_t cap = 128;
    int rc = qs_txn_begin(env, QS_TXN_RDONLY, &txn);
    *rows = NULL;
    while (rc == 0) {
        qs_check_report *p = realloc(*rows, cap * sizeof *p);
        if (!p) {
            rc = ENOMEM;
            break;
        }
        *rows = p;
        if ((rc = qs_check(txn, *rows, cap, n)) != 0 || *n <= cap)
            break;
        cap = *n;
    }
    qs_txn_abort(txn);
    return rc;
}

static int repair(qs_env *env)
{
    qs_txn *txn;
    double t0 = clock_seconds();
    int rc = qs_txn_begin(env, 0, &txn);
    if (rc == 0 && (rc = qs_repair(txn)) != 0)
        qs_txn_abort(txn);
    else if (rc == 0)
        rc = qs_txn_commit(txn);
    if (rc != 0) {
        msg_rc("check --repair", rc);
        return 1;
    }
    fprintf(stderr, "quizstore: check --repair: rebuilt the aggregates, indexes and pools in "
                    "%.2f s\n", clock_seconds() - t0);
    return 0;
}

/* What check_once() found; the command exits 1 for findings and for a check that
 * could not run, as for any fatal error. */
enum { CHECK_CLEAN, CHECK_FINDINGS, CHECK_FAILED };

/* Check; print. */
static int check_once(const check_args *a, qs_env *env, uint64_t *findings)
{
    qs_check_report *rows;
    size_t n;
    int rc = run_check(env, &rows, &n);
    if (rc != 0) {
        free(rows);
        msg_rc("check: the check could not run", rc);
        return CHECK_FAILED;
    }
    print_report(a, rows, n);
    *findings = findings_of(rows, n);
    for (size_t i = 0; i < n; i++)
        if (rows[i].findings)
            msg("check: %s: %" PRIu64 " findings of %" PRIu64 " checked; first: %s",
                rows[i].name, rows[i].findings, rows[i].checked, rows[i].first_finding);
    free(rows);
    return *findings ? CHECK_FINDINGS : CHECK_CLEAN;
}

static void parse_options(check_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {COMMON_LONG_OPTIONS,
                                             {"repair", no_argument, NULL, OPT_REPAIR},
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        if (common_option(c, optarg, "check"))
            continue;
        switch (c) {
        case 'h': usage_exit(check_usage, 1);
        case OPT_REPAIR: a->repair = 1; break;
        case OPT_JSON: a->json = 1; break;
        default: usage_exit(check_usage, 0);
        }
    }
    if (optind != argc)
        usage_exit(check_usage, 0);
}

int cmd_check(int argc, char **argv)
{
    check_args a = {0, 0};
    uint64_t findings = 0;
    parse_options(&a, argc, argv);
    /* read-only first, so that a mistyped directory is not made into a store */
    qs_env *env = store_open("check", 0);
    if (!env)
        return 1;
    int found = check_once(&a, env, &findings);
    qs_env_close(env);
    if (found != CHECK_FINDINGS || !a.repair)
        return found == CHECK_CLEAN ? 0 : 1;
    if (!(env = store_open("check", 1)))
        return 1;
    int status = repair(env);
    if (status == 0) {
        found = check_once(&a, env, &findings);
        if (found == CHECK_CLEAN)
            fprintf(stderr, "quizstore: check --repair: clean after repair\n");
        status = found == CHECK_CLEAN ? 0 : 1;
    }
    qs_env_close(env);
    return status;
}
