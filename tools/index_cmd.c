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
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json_out.h"
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

typedef struct index_args {
    const char *cmd;      /* "pools" or "index" */
    const char *action;   /* list, reshuffle, verify, rebuild */
    char context[64];     /* "pools verify" */
    int json;
    int seed_given;
    uint64_t seed;
} index_args;

/* ---- pools list ------------------------------------------------------------------- */

static const char *pool_kind_word(unsigned kind)
{
    static const char *const words[] = {"?", "all", "system", "topic", "subject", "band"};
    return kind < sizeof words / sizeof words[0] ? words[kind] : "?";
}

/* "ext_id", or "#id" when the entity has no external id. */
static void taxon_label(qs_txn *txn, qs_kind kind, uint32_t id, char *out, size_t len)
{
    qs_taxon t = {.size = sizeof t};
    if (qs_taxon_get(txn, kind, id, &t) == 0 && t.ext_id[0])
        snprintf(out, len, "%s", t.ext_id);
    else
        snprintf(out, len, "#%" PRIu32, id);
}

/* The coordinates of a pool as words: "system cardio, topic arr, difficulty 2". */
static void pool_coordinates(qs_txn *txn, const qs_pool_info *p, char *out, size_t len)
{
    char a[QS_EXT_ID_MAX + 16], b[QS_EXT_ID_MAX + 16];
    switch (p->kind) {
    case QS_POOL_ALL: snprintf(out, len, "difficulty %" PRIu32, p->a); break;
    case QS_POOL_SYSTEM:
        taxon_label(txn, QS_SYSTEM, p->a, a, sizeof a);
        snprintf(out, len, "system %s, difficulty %" PRIu32, a, p->b);
        break;
    case QS_POOL_TOPIC:
        taxon_label(txn, QS_SYSTEM, p->a, a, sizeof a);
        taxon_label(txn, QS_TOPIC, p->b, b, sizeof b);
        snprintf(out, len, "system %s, topic %s, difficulty %" PRIu32, a, b, p->c);
        break;
    case QS_POOL_SUBJECT:
        taxon_label(txn, QS_SUBJECT, p->a, a, sizeof a);
        snprintf(out, len, "subject %s, difficulty %" PRIu32, a, p->b);
        break;
    case QS_POOL_BAND:
        taxon_label(txn, QS_SYSTEM, p->a, a, sizeof a);
        snprintf(out, len, "system %s, band %" PRIu32 " (%" PRIu32 "-%" PRIu32 " %%)", a, p->b,
                 10 * p->b, p->b == 9 ? 100 : 10 * p->b + 9);
        break;
    default: snprintf(out, len, "%" PRIu32 "/%" PRIu32 "/%" PRIu32, p->a, p->b, p->c);
    }
}

/* "key": {"id", "ext_id"} of a subject, system or topic. */
static void json_taxon(jw *w, qs_txn *txn, const char *key, qs_kind kind, uint32_t id)
{
    qs_taxon t = {.size = sizeof t};
    jw_key(w, key);
    jw_row(w);
    jw_kuint(w, "id", id);
    jw_key(w, "ext_id");
    if (qs_taxon_get(txn, kind, id, &t) == 0 && t.ext_id[0])
        jw_str(w, t.ext_id);
    else
        jw_null(w);
    jw_end_object(w);
}

static void json_pool(jw *w, qs_txn *txn, const qs_pool_info *p)
{
    jw_row(w);
    jw_kstr(w, "kind", pool_kind_word(p->kind));
    switch (p->kind) {
    case QS_POOL_ALL: jw_kuint(w, "difficulty", p->a); break;
    case QS_POOL_SYSTEM:
        json_taxon(w, txn, "system", QS_SYSTEM, p->a);
        jw_kuint(w, "difficulty", p->b);
        break;
    case QS_POOL_TOPIC:
        json_taxon(w, txn, "system", QS_SYSTEM, p->a);
        json_taxon(w, txn, "topic", QS_TOPIC, p->b);
        jw_kuint(w, "difficulty", p->c);
        break;
    case QS_POOL_SUBJECT:
        json_taxon(w, txn, "subject", QS_SUBJECT, p->a);
        jw_kuint(w, "difficulty", p->b);
        break;
    case QS_POOL_BAND:
        json_taxon(w, txn, "system", QS_SYSTEM, p->a);
        jw_kuint(w, "band", p->b);
        break;
    default:
        jw_kuint(w, "a", p->a);
        jw_kuint(w, "b", p->b);
        jw_kuint(w, "c", p->c);
    }
    jw_kuint(w, "size", p->size);
    jw_end_object(w);
}

/* Every pool, in a malloc'ed array grown until they fit. */
static int read_pools(qs_txn *txn, qs_pool_info **rows, size_t *n)
{
    size_t cap = 256;
    *rows = NULL;
    for (;;) {
        qs_pool_info *p = realloc(*rows, cap * sizeof *p);
        if (!p)
            return ENOMEM;
        *rows = p;
        int rc = qs_pools_list(txn, *rows, cap, n);
        if (rc != 0 || *n <= cap)
            return rc;
        cap = *n;
    }
}

static int pools_list(const index_args *a, qs_txn *txn)
{
    qs_pool_info *rows;
    size_t n;
    uint64_t entries = 0;
    int rc = read_pools(txn, &rows, &n);
    if (rc != 0) {
        free(rows);
        msg_rc(a->context, rc);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        entries += rows[i].size;
    if (a->json) {
        jw w;
        jw_init(&w, stdout);
        jw_object(&w);
        jw_key(&w, "pools");
        jw_array(&w);
        for (size_t i = 0; i < n; i++)
            json_pool(&w, txn, &rows[i]);
        jw_end_array(&w);
        jw_key(&w, "total");
        jw_row(&w);
        jw_kuint(&w, "pools", n);
        jw_kuint(&w, "entries", entries);
        jw_end_object(&w);
        jw_end_object(&w);
        jw_finish(&w);
    } else {
        char where[3 * QS_EXT_ID_MAX + 96];
        printf("%-8s %-48s %10s\n", "kind", "coordinates", "size");
        for (size_t i = 0; i < n; i++) {
            pool_coordinates(txn, &rows[i], where, sizeof where);
            printf("%-8s %-48s %10" PRIu32 "\n", pool_kind_word(rows[i].kind), where,
                   rows[i].size);
        }
        printf("%zu pools, %" PRIu64 " entries\n", n, entries);
    }
    free(rows);
    return 0;
}

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

/* ---- writes ------------------------------------------------------------------------- */

static uint64_t random_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, 0) == (ssize_t)sizeof seed)
        return seed;
    return (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid();
}

static int pools_reshuffle(const index_args *a, qs_txn *txn)
{
    uint64_t seed = a->seed_given ? a->seed : random_seed();
    qs_pool_info *rows = NULL;
    size_t n = 0;
    uint64_t entries = 0;
    int rc = qs_pools_reshuffle(txn, seed);
    if (rc == 0)
        rc = read_pools(txn, &rows, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        entries += rows[i].size;
    free(rows);
    if (rc != 0) {
        msg_rc(a->context, rc);
        return 1;
    }
    printf("reshuffled %zu pools (%" PRIu64 " entries) with seed %" PRIu64 "\n", n, entries,
           seed);
    return 0;
}

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
