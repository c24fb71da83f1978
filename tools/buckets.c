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
 * This file reads the command line and dispatches to the action: list in
 * buckets_list.c, seal in buckets_seal.c, expire and policy in buckets_retention.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buckets.h"

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
