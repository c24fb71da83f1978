/* get.c: `quizstore get WHAT ARGS`, the product's reads as JSON.
 *
 * Each answer is one JSON object with keys in a fixed order: internal ids, and the
 * external ids of the entities that have one. Times are epoch milliseconds; days are
 * UTC day numbers with their date beside them. All reads of one call share one
 * read transaction, so they see one snapshot. Output is built in memory and written
 * only when every read succeeded.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "get.h"

const char get_usage[] =
    "usage: quizstore get [-d DIR] [-i] WHAT ARGS\n"
    "\n"
    "  question ID                   a question with its texts\n"
    "  user ID                       a user\n"
    "  test ID                       a test, its questions and their answers\n"
    "  tests USER                    the user's active and paused tests\n"
    "  progress USER                 the user's progress per topic\n"
    "  dashboard USER [--now TIME]   summary and the 30 days up to TIME (default: now)\n"
    "  leaderboard [--top N] [--week TIME] [--user USER]\n"
    "                                the top N (10) of the all-time board, or of the\n"
    "                                week holding TIME; and USER's rank\n"
    "  history USER [--limit N] [--cursor C]\n"
    "                                the user's answers, newest first, N (20) per page;\n"
    "                                `next` is the cursor of the following page,\n"
    "                                null on the last one\n"
    "  stats QUESTION                a question's answer statistics\n"
    "  interactions USER [--from DAY] [--to DAY] [--now TIME] [--events]\n"
    "                                the user's interactions counted per day and\n"
    "                                action, days DAY..DAY (YYYY-MM-DD; default: the 30\n"
    "                                days up to TIME, default now); --events: the\n"
    "                                stored events of those days too\n"
    "  questions [--subject S] [--system S] [--topic T] [--difficulty D]\n"
    "            [--active yes|no] [--band B|none] [--newest] [--limit N] [--cursor C]\n"
    "                                the ids of the questions that match, by id (or\n"
    "                                newest first), N (20) per page; B is the success\n"
    "                                band 0..9 (rate / 10 %), none: never answered;\n"
    "                                `next` is the cursor of the following page,\n"
    "                                null on the last one\n"
    "\n"
    "IDs are external ids; with -i, --internal they are internal (numeric) ids.\n"
    "TIME is epoch milliseconds, ISO-8601 (2026-01-01T00:00:00Z) or 'now'.\n"
    "\n"
    "options:\n"
    "  -i, --internal            IDs are internal ids\n"
    "  -h, --help                this text\n" COMMON_OPTIONS_HELP;

enum {
    OPT_NOW = OPT_FIRST_LOCAL, OPT_TOP, OPT_WEEK, OPT_USER, OPT_LIMIT, OPT_CURSOR,
    OPT_SUBJECT, OPT_SYSTEM, OPT_TOPIC, OPT_DIFFICULTY, OPT_ACTIVE, OPT_BAND, OPT_NEWEST,
    OPT_FROM, OPT_TO, OPT_EVENTS
};

#define MAX_TOP 100000
#define MAX_LIMIT 10000

/* ---- dispatch -------------------------------------------------------------------- */

typedef struct get_what {
    const char *name;
    int nargs;          /* positional arguments after WHAT */
    const char *opts;   /* the options it takes: n(ow) t(op) w(eek) u(ser) l(imit) c(ursor),
                           f(rom) (t)o E(vents), and the filter's: S subject, Y system,
                           T topic, D difficulty, A active, B band, N newest */
    int (*run1)(get_ctx *g, const char *arg);
    int (*run0)(get_ctx *g);
} get_what;

static const get_what whats[] = {
    {"question", 1, "", get_question, NULL},   {"user", 1, "", get_user, NULL},
    {"test", 1, "", get_test, NULL},           {"tests", 1, "", get_tests, NULL},
    {"progress", 1, "", get_progress, NULL},   {"dashboard", 1, "n", get_dashboard, NULL},
    {"leaderboard", 0, "twu", NULL, get_leaderboard},
    {"history", 1, "lc", get_history, NULL},   {"stats", 1, "", get_stats, NULL},
    {"questions", 0, "SYTDABNlc", NULL, get_questions},
    {"interactions", 1, "nfoE", get_interactions, NULL},
};

static int bounded(const char *opt, const char *arg, uint64_t max, uint64_t *out)
{
    if (ut_parse_u64(arg, strlen(arg), out) != 0 || *out == 0 || *out > max) {
        msg("get: %s: '%s' is not a number in 1..%" PRIu64, opt, arg, max);
        exit(EXIT_FAILURE);
    }
    return 0;
}

static void parse_options(get_args *a, int argc, char **argv, char *given)
{
    static const struct option longopts[] = {
        COMMON_LONG_OPTIONS,
        {"internal", no_argument, NULL, 'i'},
        {"now", required_argument, NULL, OPT_NOW},
        {"top", required_argument, NULL, OPT_TOP},
        {"week", required_argument, NULL, OPT_WEEK},
        {"user", required_argument, NULL, OPT_USER},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"cursor", required_argument, NULL, OPT_CURSOR},
        {"subject", required_argument, NULL, OPT_SUBJECT},
        {"system", required_argument, NULL, OPT_SYSTEM},
        {"topic", required_argument, NULL, OPT_TOPIC},
        {"difficulty", required_argument, NULL, OPT_DIFFICULTY},
        {"active", required_argument, NULL, OPT_ACTIVE},
        {"band", required_argument, NULL, OPT_BAND},
        {"newest", no_argument, NULL, OPT_NEWEST},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"events", no_argument, NULL, OPT_EVENTS},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:ih", longopts, NULL)) != -1) {
        if (common_option(c, optarg, "get"))
            continue;
        switch (c) {
        case 'h': usage_exit(get_usage, 1);
        case 'i': a->internal = 1; break;
        case OPT_NOW: a->now = optarg; strcat(given, "n"); break;
        case OPT_TOP: bounded("--top", optarg, MAX_TOP, &a->top); strcat(given, "t"); break;
        case OPT_WEEK: a->week = optarg; strcat(given, "w"); break;
        case OPT_USER: a->user = optarg; strcat(given, "u"); break;
        case OPT_LIMIT:
            bounded("--limit", optarg, MAX_LIMIT, &a->limit);
            strcat(given, "l");
            break;
        case OPT_CURSOR: a->cursor = optarg; strcat(given, "c"); break;
        case OPT_SUBJECT: a->subject = optarg; strcat(given, "S"); break;
        case OPT_SYSTEM: a->system = optarg; strcat(given, "Y"); break;
        case OPT_TOPIC: a->topic = optarg; strcat(given, "T"); break;
        case OPT_DIFFICULTY: a->difficulty = optarg; strcat(given, "D"); break;
        case OPT_ACTIVE: a->active = optarg; strcat(given, "A"); break;
        case OPT_BAND: a->band = optarg; strcat(given, "B"); break;
        case OPT_NEWEST: a->newest = 1; strcat(given, "N"); break;
        case OPT_FROM: a->from = optarg; strcat(given, "f"); break;
        case OPT_TO: a->to = optarg; strcat(given, "o"); break;
        case OPT_EVENTS: a->events = 1; strcat(given, "E"); break;
        default: usage_exit(get_usage, 0);
        }
        if (strlen(given) > 16)
            usage_exit(get_usage, 0);
    }
}

int cmd_get(int argc, char **argv)
{
    get_args a;
    memset(&a, 0, sizeof a);
    a.top = 10;
    a.limit = 20;
    char given[32] = "";
    parse_options(&a, argc, argv, given);
    if (optind >= argc)
        usage_exit(get_usage, 0);
    const get_what *what = NULL;
    for (size_t i = 0; i < sizeof whats / sizeof whats[0]; i++)
        if (strcmp(whats[i].name, argv[optind]) == 0)
            what = &whats[i];
    if (!what) {
        msg("get: nothing called '%s' to get", argv[optind]);
        usage_exit(get_usage, 0);
    }
    if (argc - optind - 1 != what->nargs)
        usage_exit(get_usage, 0);
    static const char *const opt_names[] = {
        "n--now",    "t--top",    "w--week",   "u--user",       "l--limit",
        "c--cursor", "S--subject", "Y--system", "T--topic",      "D--difficulty",
        "A--active", "B--band",   "N--newest",   "f--from",       "o--to",
        "E--events"};
    for (const char *o = given; *o; o++) {
        if (strchr(what->opts, *o))
            continue;
        for (size_t i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++)
            if (opt_names[i][0] == *o)
                msg("get %s: %s does not apply (see quizstore help get)", what->name,
                    opt_names[i] + 1);
        exit(EXIT_FAILURE);
    }
    const char *arg = what->nargs ? argv[optind + 1] : NULL;
    snprintf(a.context, sizeof a.context, "get %s%s%s", what->name, arg ? " " : "",
             arg ? arg : "");

    qs_env *env = store_open("get", 0);
    if (!env)
        return 1;
    get_ctx g;
    memset(&g, 0, sizeof g);
    g.a = &a;
    int rc = qs_txn_begin(env, QS_TXN_RDONLY, &g.txn);
    if (rc != 0) {
        msg_rc(a.context, rc);
        qs_env_close(env);
        return 1;
    }
    /* build the answer in memory: nothing reaches stdout when a read fails midway */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        qs_txn_abort(g.txn);
        qs_env_close(env);
        msg("%s: out of memory", a.context);
        return 1;
    }
    jw_init(&g.w, mem);
    int status = what->run1 ? what->run1(&g, arg) : what->run0(&g);
    jw_finish(&g.w);
    fclose(mem);
    if (status == 0)
        fwrite(text, 1, len, stdout);
    free(text);
    qs_txn_abort(g.txn);
    qs_env_close(env);
    return status;
}
