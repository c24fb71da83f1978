/* buckets.c: `quizstore buckets`, the time buckets of answers and interactions.
 *
 *   buckets list [--json]         every bucket: period, raw or sealed, rows, sizes
 *   buckets seal [--now TIME] [--table T] [PERIOD ...]
 *                                 seal every raw bucket past the hot window, or the
 *                                 buckets of the named periods; one write transaction
 *                                 per bucket, so a large store is never held in one
 *   buckets expire [--now TIME]   drop the buckets their table's retention has passed
 *   buckets policy [--hot N] [--keep-answers DAYS] [--keep-interactions DAYS]
 *                                 print the policy, or change the fields given
 *
 * Naming a bucket that cannot be sealed (hot, sealed already, none there) is an error,
 * exit 1; sealing everything skips the hot and sealed ones and counts them.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "timefmt.h"
#include "util/date.h"

const char buckets_usage[] =
    "usage: quizstore buckets [-d DIR] list [--json]\n"
    "       quizstore buckets [-d DIR] seal [--now TIME] [--table answers|interactions]\n"
    "                                  [PERIOD ...]\n"
    "       quizstore buckets [-d DIR] expire [--now TIME]\n"
    "       quizstore buckets [-d DIR] policy [--hot N] [--keep-answers DAYS]\n"
    "                                  [--keep-interactions DAYS]\n"
    "\n"
    "Answers and interactions live in one bucket per period (month, ISO week or day,\n"
    "chosen when the store is created: --period).\n"
    "\n"
    "  list      every bucket, answers then interactions, oldest first: period, state\n"
    "            (raw or sealed), rows, bytes, raw bytes, ratio, bytes per row; then\n"
    "            the totals of each table. --json: one object per bucket and line\n"
    "  seal      with no PERIOD, seal every raw bucket older than the hot window at\n"
    "            TIME (default: now), skipping the hot ones; with PERIODs, seal the\n"
    "            bucket of each, which must exist, be raw and not be hot. PERIOD is a\n"
    "            month (2026-01), a day (2026-01-05) or a TIME: the bucket holding it.\n"
    "            Both tables unless --table names one\n"
    "  expire    drop every bucket whose whole period ended more than its table's\n"
    "            retention before TIME (default: now); the aggregates stay\n"
    "  policy    print the policy; with options, change those fields and print it\n"
    "\n"
    "TIME is epoch milliseconds, ISO-8601 (2026-01-01T00:00:00Z) or 'now'.\n"
    "\n"
    "options:\n"
    "      --json                print JSON Lines (list)\n"
    "      --now TIME            the time that places the hot window and retention\n"
    "                            (seal, expire)\n"
    "      --table T             answers or interactions only (seal)\n"
    "      --hot N               periods that stay raw, the current one included, >= 1\n"
    "      --keep-answers DAYS   drop answer buckets older than DAYS; 0 keeps them\n"
    "      --keep-interactions DAYS\n"
    "                            the same for interactions\n"
    "  -h, --help                this text\n" COMMON_OPTIONS_HELP;

enum {
    OPT_JSON = OPT_FIRST_LOCAL, OPT_NOW, OPT_TABLE, OPT_HOT, OPT_KEEP_ANSWERS,
    OPT_KEEP_INTERACTIONS
};


typedef struct buckets_args {
    const char *action;
    char context[64];        /* "buckets seal" */
    int json;
    const char *now;         /* as given; NULL: the current time */
    qs_table table;          /* 0: both tables */
    int hot_set, keep_answers_set, keep_interactions_set;
    unsigned hot, keep_answers, keep_interactions;
    char **periods;          /* seal's PERIOD arguments */
    int n_periods;
} buckets_args;

/* ---- shared pieces ------------------------------------------------------------------ */

static const char *table_word(qs_table table)
{
    return table == QS_TABLE_ANSWERS ? "answers" : "interactions";
}

/* A bucket's period as its dates say it: "2026-01" for a month, else the first day. */
static void period_text(const qs_bucket_info *b, char out[UT_TIME_TEXT_SIZE])
{
    ut_day_format(ut_day_of(b->start), out);
    if (b->end - b->start > 7 * UT_DAY_MS)
        out[7] = '\0';
}

static double ratio(uint64_t raw_bytes, uint64_t bytes)
{
    return bytes ? (double)raw_bytes / (double)bytes : 0.0;
}

/* Every bucket, in a malloc'ed array grown until they fit. */
static int read_buckets(qs_txn *txn, qs_bucket_info **rows, size_t *n)
{
    size_t cap = 64;
    *rows = NULL;
    for (;;) {
        qs_bucket_info *p = realloc(*rows, cap * sizeof *p);
        if (!p)
            return ENOMEM;
        *rows = p;
        int rc = qs_bucket_list(txn, *rows, cap, n);
        if (rc != 0 || *n <= cap)
            return rc;
        cap = *n;
    }
}

/* The bucket of @p table holding @p t among @p rows, or NULL. */
static const qs_bucket_info *bucket_at(const qs_bucket_info *rows, size_t n, qs_table table,
                                       int64_t t)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].table == table && rows[i].start <= t && t < rows[i].end)
            return &rows[i];
    return NULL;
}

static int parse_now(const buckets_args *a, int64_t *now)
{
    if (time_parse_arg(a->now ? a->now : "now", now) == 0)
        return 0;
    msg("%s: --now: '%s' is not a time", a->context, a->now);
    return -1;
}

static int begin(const buckets_args *a, qs_env *env, unsigned flags, qs_txn **txn)
{
    int rc = qs_txn_begin(env, flags, txn);
    if (rc != 0)
        msg_rc(a->context, rc);
    return rc;
}

/* ---- list ----------------------------------------------------------------------------- */

typedef struct bucket_totals {
    size_t buckets, sealed;
    uint64_t rows, bytes, raw_bytes;
} bucket_totals;

static void add_bucket(bucket_totals *t, const qs_bucket_info *b)
{
    t->buckets++;
    t->sealed += b->sealed != 0;
    t->rows += b->rows;
    t->bytes += b->bytes;
    t->raw_bytes += b->raw_bytes;
}

/* One line of the table; @p show_ratio: the ratio column is a number, else "-". */
static void table_line(const char *table, const char *period, const char *state,
                       uint64_t rows, uint64_t bytes, uint64_t raw_bytes, int show_ratio)
{
    char ratio_text[16] = "-", per_row[32] = "-";
    if (show_ratio)
        snprintf(ratio_text, sizeof ratio_text, "%.1f", ratio(raw_bytes, bytes));
    if (rows)
        snprintf(per_row, sizeof per_row, "%.1f", (double)bytes / (double)rows);
    printf("%-12s %-10s %-12s %12" PRIu64 " %14" PRIu64 " %14" PRIu64 " %6s %10s\n", table,
           period, state, rows, bytes, raw_bytes, ratio_text, per_row);
}

static void print_totals(qs_table table, const bucket_totals *t)
{
    char state[32];
    if (!t->buckets)
        return;
    snprintf(state, sizeof state, "%zu/%zu sealed", t->sealed, t->buckets);
    table_line(table_word(table), "total", state, t->rows, t->bytes, t->raw_bytes,
               t->sealed > 0);
}

static void print_table(const qs_bucket_info *rows, size_t n)
{
    bucket_totals totals[2]; /* answers, interactions */
    memset(totals, 0, sizeof totals);
    printf("%-12s %-10s %-12s %12s %14s %14s %6s %10s\n", "table", "period", "state", "rows",
           "bytes", "raw bytes", "ratio", "bytes/row");
    for (size_t i = 0; i < n; i++) {
        const qs_bucket_info *b = &rows[i];
        char period[UT_TIME_TEXT_SIZE];
        period_text(b, period);
        table_line(table_word(b->table), period, b->sealed ? "sealed" : "raw", b->rows,
                   b->bytes, b->raw_bytes, b->sealed);
        bucket_totals *t = &totals[b->table == QS_TABLE_ANSWERS ? 0 : 1];
        add_bucket(t, b);
        /* a table's totals follow its last bucket */
        if (i + 1 == n || rows[i + 1].table != b->table)
            print_totals(b->table, t);
    }
    uint64_t bytes = totals[0].bytes + totals[1].bytes;
    printf("%zu buckets, %zu sealed, %.1f MiB\n", n, totals[0].sealed + totals[1].sealed,
           (double)bytes / (1024.0 * 1024.0));
}

static void print_json_lines(const qs_bucket_info *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const qs_bucket_info *b = &rows[i];
        char period[UT_TIME_TEXT_SIZE];
        jw w;
        period_text(b, period);
        jw_init(&w, stdout);
        jw_row(&w);
        jw_kstr(&w, "table", table_word(b->table));
        jw_kstr(&w, "period", period);
        jw_kstr(&w, "name", b->name);
        jw_kint(&w, "start", b->start);
        jw_kint(&w, "end", b->end);
        jw_key(&w, "sealed");
        jw_bool(&w, b->sealed);
        jw_kuint(&w, "rows", b->rows);
        jw_kuint(&w, "bytes", b->bytes);
        jw_kuint(&w, "raw_bytes", b->raw_bytes);
        jw_end_object(&w);
        jw_finish(&w);
    }
}

static int buckets_list(const buckets_args *a, qs_env *env)
{
    qs_txn *txn = NULL;
    qs_bucket_info *rows = NULL;
    size_t n = 0;
    int rc = begin(a, env, QS_TXN_RDONLY, &txn);
    if (rc != 0)
        return 1;
    rc = read_buckets(txn, &rows, &n);
    qs_txn_abort(txn);
    if (rc != 0) {
        msg_rc(a->context, rc);
        free(rows);
        return 1;
    }
    if (a->json)
        print_json_lines(rows, n);
    else
        print_table(rows, n);
    free(rows);
    return 0;
}

/* ---- seal ----------------------------------------------------------------------------- */

/* What one seal run did. */
typedef struct seal_tally {
    size_t sealed, hot, already, failed;
    uint64_t rows, bytes, raw_bytes;
    double seconds;
} seal_tally;

/* Seal the bucket of @p table holding @p t in a write transaction of its own and print
 * it. Returns 0, or the library's code (nothing printed: the caller decides what the
 * refusal means). */
static int seal_one(qs_env *env, qs_table table, int64_t t, int64_t now, seal_tally *tally)
{
    qs_txn *txn = NULL;
    qs_bucket_info out;
    double start = clock_seconds();
    int rc = qs_txn_begin(env, 0, &txn);
    if (rc != 0)
        return rc;
    rc = qs_bucket_seal(txn, table, t, now, &out);
    if (rc != 0) {
        qs_txn_abort(txn);
        return rc;
    }
    if ((rc = qs_txn_commit(txn)) != 0)
        return rc;
    double seconds = clock_seconds() - start;
    printf("sealed %s: %" PRIu64 " rows, %" PRIu64 " -> %" PRIu64 " bytes (%.1fx) in %.2f s\n",
           out.name, out.rows, out.raw_bytes, out.bytes, ratio(out.raw_bytes, out.bytes),
           seconds);
    tally->sealed++;
    tally->rows += out.rows;
    tally->bytes += out.bytes;
    tally->raw_bytes += out.raw_bytes;
    tally->seconds += seconds;
    return 0;
}

/* The time a PERIOD argument names: a month (YYYY-MM, its first instant), or anything
 * the time parser reads (a day is its midnight). */
static int parse_period_arg(const char *s, int64_t *t)
{
    size_t len = strlen(s);
    if (len == 7 && s[4] == '-') {
        char day[16];
        snprintf(day, sizeof day, "%s-01", s);
        return ut_time_parse(day, strlen(day), t);
    }
    return time_parse_arg(s, t);
}

/* Why a named bucket was refused, naming it from the list read before sealing. */
static void seal_refused(const buckets_args *a, const char *arg, qs_table table, int64_t t,
                         int rc, const qs_bucket_info *rows, size_t n,
                         const qs_bucket_policy *policy, int64_t now)
{
    char context[160], when[UT_TIME_TEXT_SIZE], now_text[UT_TIME_TEXT_SIZE];
    const qs_bucket_info *b = bucket_at(rows, n, table, t);
    char name[64];
    if (b)
        snprintf(name, sizeof name, "%s", b->name);
    else
        snprintf(name, sizeof name, "the %s bucket of %s", table_word(table), arg);
    snprintf(context, sizeof context, "%s %s", a->context, arg);
    ut_time_format(t, when);
    ut_time_format(now, now_text);
    switch (rc) {
    case QS_NOTFOUND:
        msg("%s: no %s bucket holds %s", context, table_word(table), when);
        break;
    case QS_HOT:
        msg("%s: %s is hot: the %u newest periods at %s stay raw", context, name,
            policy->hot_periods, now_text);
        break;
    case QS_EXISTS: msg("%s: %s is sealed already", context, name); break;
    default: {
        char what[256];
        snprintf(what, sizeof what, "%s: %s", context, name);
        msg_rc(what, rc);
    }
    }
}

/* Seal the buckets of the PERIOD arguments. Without --table a period names the buckets
 * of both tables, and a table that has none there is passed over unless neither has. */
static void seal_periods(const buckets_args *a, qs_env *env, int64_t now,
                         const qs_bucket_info *rows, size_t n, const qs_bucket_policy *policy,
                         seal_tally *tally)
{
    for (int i = 0; i < a->n_periods; i++) {
        int64_t t;
        parse_period_arg(a->periods[i], &t); /* checked before the store was opened */
        int missing = 0, tried = 0;
        for (qs_table table = QS_TABLE_ANSWERS; table <= QS_TABLE_INTERACTIONS; table++) {
            if (a->table && table != a->table)
                continue;
            tried++;
            int rc = seal_one(env, table, t, now, tally);
            if (rc == QS_NOTFOUND && !a->table) {
                missing++;
                continue;
            }
            if (rc != 0) {
                seal_refused(a, a->periods[i], table, t, rc, rows, n, policy, now);
                tally->failed++;
            }
        }
        if (missing == tried) {
            char context[160], when[UT_TIME_TEXT_SIZE];
            snprintf(context, sizeof context, "%s %s", a->context, a->periods[i]);
            ut_time_format(t, when);
            msg("%s: no bucket holds %s", context, when);
            tally->failed++;
        }
    }
}

/* Seal every raw bucket of the chosen tables that the hot window does not hold. */
static int seal_all(const buckets_args *a, qs_env *env, int64_t now,
                    const qs_bucket_info *rows, size_t n, seal_tally *tally)
{
    for (size_t i = 0; i < n; i++) {
        const qs_bucket_info *b = &rows[i];
        if (a->table && b->table != a->table)
            continue;
        if (b->sealed) {
            tally->already++;
            continue;
        }
        int rc = seal_one(env, b->table, b->start, now, tally);
        if (rc == QS_HOT)
            tally->hot++;
        else if (rc == QS_EXISTS) /* sealed since the list was read */
            tally->already++;
        else if (rc != 0 && rc != QS_NOTFOUND) { /* QS_NOTFOUND: dropped since */
            char context[160];
            snprintf(context, sizeof context, "%s: %s", a->context, b->name);
            msg_rc(context, rc);
            return 1;
        }
    }
    return 0;
}

static int buckets_seal(const buckets_args *a, qs_env *env)
{
    int64_t now;
    if (parse_now(a, &now) != 0)
        return 1;
    qs_txn *txn = NULL;
    qs_bucket_info *rows = NULL;
    qs_bucket_policy policy;
    size_t n = 0;
    if (begin(a, env, QS_TXN_RDONLY, &txn) != 0)
        return 1;
    int rc = read_buckets(txn, &rows, &n);
    if (rc == 0)
        rc = qs_bucket_policy_get(txn, &policy);
    qs_txn_abort(txn);
    if (rc != 0) {
        msg_rc(a->context, rc);
        free(rows);
        return 1;
    }

    seal_tally tally;
    memset(&tally, 0, sizeof tally);
    int status = 0;
    if (a->n_periods)
        seal_periods(a, env, now, rows, n, &policy, &tally);
    else
        status = seal_all(a, env, now, rows, n, &tally);
    free(rows);

    printf("sealed %zu bucket%s", tally.sealed, tally.sealed == 1 ? "" : "s");
    if (tally.sealed)
        printf(", %" PRIu64 " rows, %" PRIu64 " -> %" PRIu64 " bytes (%.1fx) in %.2f s",
               tally.rows, tally.raw_bytes, tally.bytes, ratio(tally.raw_bytes, tally.bytes),
               tally.seconds);
    if (a->n_periods)
        printf("; %zu refused\n", tally.failed);
    else
        printf("; %zu hot left raw, %zu sealed already\n", tally.hot, tally.already);
    return status || tally.failed ? 1 : 0;
}

/* ---- expire ----------------------------------------------------------------------------- */

static void retention_text(unsigned days, char *out, size_t len)
{
    if (days)
        snprintf(out, len, "%u day%s", days, days == 1 ? "" : "s");
    else
        snprintf(out, len, "forever");
}

static int buckets_expire(const buckets_args *a, qs_env *env)
{
    int64_t now;
    if (parse_now(a, &now) != 0)
        return 1;
    qs_txn *txn = NULL;
    qs_bucket_info *before = NULL, *after = NULL;
    qs_bucket_policy policy;
    size_t n_before = 0, n_after = 0, dropped = 0;
    if (begin(a, env, 0, &txn) != 0)
        return 1;
    int rc = qs_bucket_policy_get(txn, &policy);
    if (rc == 0)
        rc = read_buckets(txn, &before, &n_before);
    if (rc == 0)
        rc = qs_buckets_expire(txn, now, &dropped);
    if (rc == 0)
        rc = read_buckets(txn, &after, &n_after);
    if (rc == 0)
        rc = qs_txn_commit(txn);
    else
        qs_txn_abort(txn);
    if (rc != 0) {
        msg_rc(a->context, rc);
        free(before);
        free(after);
        return 1;
    }

    for (size_t i = 0; i < n_before; i++)
        if (!bucket_at(after, n_after, before[i].table, before[i].start))
            printf("dropped %s\n", before[i].name);
    char answers[32], interactions[32], now_text[UT_TIME_TEXT_SIZE];
    retention_text(policy.answer_retention_days, answers, sizeof answers);
    retention_text(policy.interaction_retention_days, interactions, sizeof interactions);
    ut_time_format(now, now_text);
    printf("dropped %zu bucket%s (answers kept %s, interactions %s, at %s)\n", dropped,
           dropped == 1 ? "" : "s", answers, interactions, now_text);
    free(before);
    free(after);
    return 0;
}

/* ---- policy ----------------------------------------------------------------------------- */

static void print_policy(const qs_bucket_policy *p)
{
    char answers[32], interactions[32];
    retention_text(p->answer_retention_days, answers, sizeof answers);
    retention_text(p->interaction_retention_days, interactions, sizeof interactions);
    printf("hot periods          %u\n", p->hot_periods);
    printf("keep answers         %s\n", answers);
    printf("keep interactions    %s\n", interactions);
}

static int policy_changes(const buckets_args *a)
{
    return a->hot_set || a->keep_answers_set || a->keep_interactions_set;
}

static int buckets_policy(const buckets_args *a, qs_env *env)
{
    int writes = policy_changes(a);
    qs_txn *txn = NULL;
    qs_bucket_policy policy;
    if (begin(a, env, writes ? 0 : QS_TXN_RDONLY, &txn) != 0)
        return 1;
    int rc = qs_bucket_policy_get(txn, &policy);
    if (rc == 0 && writes) {
        if (a->hot_set)
            policy.hot_periods = a->hot;
        if (a->keep_answers_set)
            policy.answer_retention_days = a->keep_answers;
        if (a->keep_interactions_set)
            policy.interaction_retention_days = a->keep_interactions;
        rc = qs_bucket_policy_set(txn, &policy);
        if (rc == 0)
            rc = qs_bucket_policy_get(txn, &policy);
        if (rc == 0) {
            rc = qs_txn_commit(txn);
            txn = NULL;
        }
    }
    qs_txn_abort(txn);
    if (rc != 0) {
        msg_rc(a->context, rc);
        return 1;
    }
    print_policy(&policy);
    return 0;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

typedef struct buckets_action {
    const char *name;
    int writes;         /* policy: only when it changes a field */
    const char *opts;   /* the options it takes: j(son) n(ow) t(able) H(ot)
                           a (keep-answers) i (keep-interactions) */
    int takes_periods;
    int (*run)(const buckets_args *a, qs_env *env);
} buckets_action;

static const buckets_action actions[] = {
    {"list", 0, "j", 0, buckets_list},
    {"seal", 1, "nt", 1, buckets_seal},
    {"expire", 1, "n", 0, buckets_expire},
    {"policy", 1, "Hai", 0, buckets_policy},
};

static const char *const option_names[] = {"j--json", "n--now", "t--table", "H--hot",
                                           "a--keep-answers", "i--keep-interactions"};

/* A write: open the store writable only once a read-only open showed there is one, so
 * a mistyped directory is not made into an empty store. */
static qs_env *open_store(const buckets_args *a, int writes)
{
    qs_env *env = store_open(a->context, 0);
    if (!env || !writes)
        return env;
    qs_env_close(env);
    return store_open(a->context, 1);
}

/* Add @p letter to the option letters seen, once. */
static void note_option(char *given, char letter)
{
    if (!strchr(given, letter)) {
        size_t len = strlen(given);
        given[len] = letter;
        given[len + 1] = '\0';
    }
}

/* --hot N, --keep-answers DAYS, --keep-interactions DAYS: a number in min..UINT_MAX. */
static void parse_count(const char *opt, const char *arg, unsigned min, unsigned *out)
{
    uint64_t v;
    if (ut_parse_u64(arg, strlen(arg), &v) != 0 || v < min || v > UINT_MAX) {
        msg("buckets: %s: '%s' is not a number in %u..%u", opt, arg, min, UINT_MAX);
        exit(EXIT_FAILURE);
    }
    *out = (unsigned)v;
}

static void parse_options(buckets_args *a, int argc, char **argv, char *given)
{
    static const struct option longopts[] = {
        COMMON_LONG_OPTIONS,
        {"json", no_argument, NULL, OPT_JSON},
        {"now", required_argument, NULL, OPT_NOW},
        {"table", required_argument, NULL, OPT_TABLE},
        {"hot", required_argument, NULL, OPT_HOT},
        {"keep-answers", required_argument, NULL, OPT_KEEP_ANSWERS},
        {"keep-interactions", required_argument, NULL, OPT_KEEP_INTERACTIONS},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        if (common_option(c, optarg, "buckets"))
            continue;
        switch (c) {
        case 'h': usage_exit(buckets_usage, 1);
        case OPT_JSON: a->json = 1; note_option(given, 'j'); break;
        case OPT_NOW: a->now = optarg; note_option(given, 'n'); break;
        case OPT_TABLE:
            if (strcmp(optarg, "answers") == 0)
                a->table = QS_TABLE_ANSWERS;
            else if (strcmp(optarg, "interactions") == 0)
                a->table = QS_TABLE_INTERACTIONS;
            else {
                msg("buckets: --table: '%s' is not answers or interactions", optarg);
                exit(EXIT_FAILURE);
            }
            note_option(given, 't');
            break;
        case OPT_HOT:
            parse_count("--hot", optarg, 1, &a->hot);
            a->hot_set = 1;
            note_option(given, 'H');
            break;
        case OPT_KEEP_ANSWERS:
            parse_count("--keep-answers", optarg, 0, &a->keep_answers);
            a->keep_answers_set = 1;
            note_option(given, 'a');
            break;
        case OPT_KEEP_INTERACTIONS:
            parse_count("--keep-interactions", optarg, 0, &a->keep_interactions);
            a->keep_interactions_set = 1;
            note_option(given, 'i');
            break;
        default: usage_exit(buckets_usage, 0);
        }
    }
}

int cmd_buckets(int argc, char **argv)
{
    buckets_args a;
    char given[8] = "";
    memset(&a, 0, sizeof a);
    parse_options(&a, argc, argv, given);
    if (optind >= argc)
        usage_exit(buckets_usage, 0);
    a.action = argv[optind];
    const buckets_action *act = NULL;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(actions[i].name, a.action) == 0)
            act = &actions[i];
    if (!act) {
        msg("buckets: no action '%s'", a.action);
        usage_exit(buckets_usage, 0);
    }
    snprintf(a.context, sizeof a.context, "buckets %s", act->name);
    a.periods = argv + optind + 1;
    a.n_periods = argc - optind - 1;
    if (a.n_periods && !act->takes_periods)
        usage_exit(buckets_usage, 0);
    for (const char *o = given; *o; o++) {
        if (strchr(act->opts, *o))
            continue;
        for (size_t i = 0; i < sizeof option_names / sizeof option_names[0]; i++)
            if (option_names[i][0] == *o)
                msg("%s: %s does not apply (see quizstore help buckets)", a.context,
                    option_names[i] + 1);
        return 1;
    }
    for (int i = 0; i < a.n_periods; i++) {
        int64_t t;
        if (parse_period_arg(a.periods[i], &t) != 0) {
            msg("%s: '%s' is not a period (YYYY-MM, YYYY-MM-DD or a TIME)", a.context,
                a.periods[i]);
            return 1;
        }
    }

    int writes = act->run == buckets_policy ? policy_changes(&a) : act->writes;
    qs_env *env = open_store(&a, writes);
    if (!env)
        return 1;
    int status = act->run(&a, env);
    qs_env_close(env);
    return status;
}
