/* index_cmd.c: `quizstore pools` and `quizstore index`, the derived structures.
 *
 *   pools list [--json]         every non-empty pool (qs_pools_list)
 *   pools reshuffle [--seed N]  a fresh order for every pool (qs_pools_reshuffle)
 *   pools verify [--json]       the pools against the questions (qs_index_verify's
 *                               "pools" row)
 *   index verify [--json]       every index and the pools (all of qs_index_verify)
 *   index rebuild               every index and pool cut again from the records
 *
 * verify exits 1 when any row it prints counts missing or extra entries, and says
 * which on stderr; rebuild repairs what verify finds.
 *
 * This file reads the command line, dispatches, and holds verify and rebuild; pools
 * list and reshuffle are in index_pools.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "index_cmd.h"
#include "report.h"

const char pools_usage[] =
    "usage: quizstore pools [-d DIR] list [--json]\n"
    "       quizstore pools [-d DIR] reshuffle [--seed N]\n"
    "       quizstore pools [-d DIR] verify [--json]\n"
    "\n"
    "  list        every non-empty question pool: kind, coordinates, size; then totals.\n"
    "              Kinds: all (difficulty), system (system, difficulty), topic (system,\n"
    "              topic, difficulty), subject (subject, difficulty), band (system,\n"
    "              success band 0-9: rate / 10 %, 9 from 90 %; answered questions only)\n"
    "  reshuffle   give every pool a fresh random order, from N (default: random)\n"
    "  verify      check the pools against the questions; exit 1 if any entry is\n"
    "              missing or extra (repair: quizstore index rebuild)\n"
    "\n"
    "options:\n"
    "      --json                print JSON (list, verify)\n"
    "      --seed N              the reshuffle's seed, 0 .. 2^64-1\n"
    "  -h, --help                this text\n" COMMON_OPTIONS_HELP;

const char index_usage[] =
    "usage: quizstore index [-d DIR] verify [--json]\n"
    "       quizstore index [-d DIR] rebuild\n"
    "\n"
    "  verify      check every secondary index and the pools against the records they\n"
    "              derive from, both ways; exit 1 if any entry is missing or extra\n"
    "  rebuild     empty every secondary index and pool and cut them again from the\n"
    "              records, in one transaction\n"
    "\n"
    "options:\n"
    "      --json                print JSON (verify)\n"
    "  -h, --help                this text\n" COMMON_OPTIONS_HELP;

enum { OPT_JSON = OPT_FIRST_LOCAL, OPT_SEED };

/* ---- verify ------------------------------------------------------------------------ */

#define MAX_REPORTS 64

static int has_findings(const qs_index_report *r)
{
    return r->missing || r->extra;
}

/* The rows of verify: entries missing from an index, and extra ones. */
static const report_form verify_form = {"indexes", "index", 16, 10, {"missing", "extra"},
                                        NULL};

static void print_reports(const index_args *a, const qs_index_report *rows, size_t n)
{
    report r;
    report_begin(&r, &verify_form, a->json);
    for (size_t i = 0; i < n; i++) {
        const uint64_t counts[] = {rows[i].missing, rows[i].extra};
        report_row(&r, rows[i].name, rows[i].checked, counts, rows[i].first_finding);
    }
    report_end(&r);
}

/* Verify and print every row (index verify) or the pools row only (pools verify). */
static int verify(const index_args *a, qs_txn *txn)
{
    qs_index_report rows[MAX_REPORTS];
    size_t n = 0;
    int rc = qs_index_verify(txn, rows, MAX_REPORTS, &n);
    if (rc != 0) {
        msg_rc(a->context, rc);
        return 1;
    }
    if (n > MAX_REPORTS) {
        msg("%s: %zu reports, more than this tool knows (%d)", a->context, n, MAX_REPORTS);
        return 1;
    }
    const qs_index_report *shown = rows;
    if (strcmp(a->cmd, "pools") == 0) {
        while (shown < rows + n && strcmp(shown->name, "pools") != 0)
            shown++;
        if (shown == rows + n) {
            msg("%s: the store reports no pools row", a->context);
            return 1;
        }
        n = 1;
    }
    print_reports(a, shown, n);
    int damaged = 0;
    for (size_t i = 0; i < n; i++) {
        const qs_index_report *r = &shown[i];
        if (!has_findings(r))
            continue;
        damaged = 1;
        msg("%s: %s: %" PRIu64 " missing, %" PRIu64 " extra of %" PRIu64 " checked; first: %s",
            a->context, r->name, r->missing, r->extra, r->checked,
            r->first_finding[0] ? r->first_finding : "(none named)");
    }
    if (damaged)
        msg("%s: damage found; `quizstore index rebuild` cuts every index and pool again "
            "from the records", a->context);
    return damaged;
}

/* ---- rebuild ------------------------------------------------------------------------ */

static int index_rebuild(const index_args *a, qs_txn *txn)
{
    qs_pool_info *rows = NULL;
    size_t n_pools = 0, n_reports = 0;
    uint64_t entries = 0;
    int rc = qs_index_rebuild(txn);
    if (rc == 0)
        rc = read_pools(txn, &rows, &n_pools);
    if (rc == 0)
        rc = qs_index_verify(txn, NULL, 0, &n_reports);
    for (size_t i = 0; rc == 0 && i < n_pools; i++)
        entries += rows[i].size;
    free(rows);
    if (rc != 0) {
        msg_rc(a->context, rc);
        return 1;
    }
    printf("rebuilt %zu indexes and %zu pools (%" PRIu64 " entries)\n",
           n_reports ? n_reports - 1 : 0, n_pools, entries);
    return 0;
}

/* ---- dispatch ----------------------------------------------------------------------- */

typedef struct index_action {
    const char *cmd, *name;
    int writes;
    const char *opts;     /* the options it takes: j(son) s(eed) */
    int (*run)(const index_args *a, qs_txn *txn);
} index_action;

static const index_action actions[] = {
    {"pools", "list", 0, "j", pools_list},
    {"pools", "reshuffle", 1, "s", pools_reshuffle},
    {"pools", "verify", 0, "j", verify},
    {"index", "verify", 0, "j", verify},
    {"index", "rebuild", 1, "", index_rebuild},
};

/* A write: open the store writable only once a read-only open showed there is one, so
 * a mistyped directory is not made into an empty store. */
static qs_env *open_store(const index_args *a, int writes)
{
    qs_env *env = store_open(a->context, 0);
    if (!env || !writes)
        return env;
    qs_env_close(env);
    return store_open(a->context, 1);
}

static int run_action(const index_action *act, const index_args *a)
{
    qs_env *env = open_store(a, act->writes);
    if (!env)
        return 1;
    qs_txn *txn = NULL;
    int rc = qs_txn_begin(env, act->writes ? 0 : QS_TXN_RDONLY, &txn);
    if (rc != 0) {
        msg_rc(a->context, rc);
        qs_env_close(env);
        return 1;
    }
    int status = act->run(a, txn);
    if (act->writes && status == 0) {
        if ((rc = qs_txn_commit(txn)) != 0) {
            msg_rc(a->context, rc);
            status = 1;
        }
    } else {
        qs_txn_abort(txn);
    }
    qs_env_close(env);
    return status;
}

static int run_command(const char *cmd, const char *usage, int argc, char **argv)
{
    static const struct option longopts[] = {COMMON_LONG_OPTIONS,
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {"seed", required_argument, NULL, OPT_SEED},
                                             {NULL, 0, NULL, 0}};
    index_args a;
    char given[8] = "";
    int c;
    memset(&a, 0, sizeof a);
    a.cmd = cmd;
    while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        if (common_option(c, optarg, cmd))
            continue;
        switch (c) {
        case 'h': usage_exit(usage, 1);
        case OPT_JSON:
            a.json = 1;
            if (!strchr(given, 'j'))
                strcat(given, "j");
            break;
        case OPT_SEED:
            if (ut_parse_u64(optarg, strlen(optarg), &a.seed) != 0) {
                msg("%s: --seed: '%s' is not a number in 0..2^64-1", cmd, optarg);
                return 1;
            }
            a.seed_given = 1;
            if (!strchr(given, 's'))
                strcat(given, "s");
            break;
        default: usage_exit(usage, 0);
        }
    }
    if (optind != argc - 1)
        usage_exit(usage, 0);
    a.action = argv[optind];
    const index_action *act = NULL;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(actions[i].cmd, cmd) == 0 && strcmp(actions[i].name, a.action) == 0)
            act = &actions[i];
    if (!act) {
        msg("%s: no action '%s'", cmd, a.action);
        usage_exit(usage, 0);
    }
    snprintf(a.context, sizeof a.context, "%s %s", cmd, act->name);
    for (const char *o = given; *o; o++)
        if (!strchr(act->opts, *o)) {
            msg("%s: %s does not apply (see quizstore help %s)", a.context,
                *o == 'j' ? "--json" : "--seed", cmd);
            return 1;
        }
    return run_action(act, &a);
}

int cmd_pools(int argc, char **argv)
{
    return run_command("pools", pools_usage, argc, argv);
}

int cmd_index(int argc, char **argv)
{
    return run_command("index", index_usage, argc, argv);
}
