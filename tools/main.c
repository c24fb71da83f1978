/* main.c: `quizstore`, the command-line tool of a quizstore store.
 *
 *   quizstore [-d DIR] [--durable|--periodic] COMMAND [ARGS]
 *
 * Dispatches to one file per subcommand (import.c, get.c, stats.c, index_cmd.c for
 * pools and index, buckets.c, backup.c for backup, restore and compact) and holds
 * what they share: the store options and opening the store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

store_args g_store;

static const char main_usage[] =
    "usage: quizstore [-d DIR] [--durable|--periodic] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  import KIND FILE   load subjects, systems, topics, questions, users, tests,\n"
    "                     answers or interactions from CSV or JSON Lines\n"
    "  get WHAT ARGS      print a question, user, test, a user's tests, progress,\n"
    "                     dashboard or history, the leaderboard, question stats (JSON)\n"
    "  stats              sizes of the store's databases\n"
    "  pools ACTION       the question pools: list, reshuffle, verify\n"
    "  index ACTION       the secondary indexes: verify, rebuild\n"
    "  check              the whole store's integrity; --repair rebuilds derived data\n"
    "  buckets ACTION     the time buckets of answers and interactions: list, seal,\n"
    "                     expire, policy\n"
    "  backup DIR         a consistent, compacted copy of the store while in use\n"
    "  restore BACKUP DIR check a backup and write it as a new store in DIR\n"
    "  compact            rewrite the store's file full, without free pages (with the\n"
    "                     store closed elsewhere)\n"
    "  help [COMMAND]     this text, or a command's options\n"
    "\n"
    "common options (before or after COMMAND):\n" COMMON_OPTIONS_HELP;

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} command;

static const command commands[] = {
    {"import", cmd_import, import_usage},
    {"get", cmd_get, get_usage},
    {"stats", cmd_stats, stats_usage},
    {"pools", cmd_pools, pools_usage},
    {"index", cmd_index, index_usage},
    {"buckets", cmd_buckets, buckets_usage},
    {"backup", cmd_backup, backup_usage},
    {"restore", cmd_restore, restore_usage},
    {"compact", cmd_compact, compact_usage},
    {"check", cmd_check, check_usage},
};

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* ---- messages -------------------------------------------------------------------- */

void msg(const char *fmt, ...)
{
    va_list ap;
    fputs("quizstore: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void msg_rc(const char *context, int rc)
{
    const char *detail = qs_errmsg();
    if (detail && *detail)
        msg("%s: %s (%s)", context, qs_strerror(rc), detail);
    else
        msg("%s: %s", context, qs_strerror(rc));
}

/* Results that did not all reach stdout (a full disk, a closed pipe) fail the
 * command, whichever it is: @p status, or 1 with a message. */
static int stdout_status(const char *cmd, int status)
{
    int err = fflush(stdout) != 0 ? errno : 0;
    if (!err && !ferror(stdout))
        return status;
    if (err)
        msg("%s: cannot write the output: %s", cmd, strerror(err));
    else
        msg("%s: cannot write the output", cmd);
    return EXIT_FAILURE;
}

void usage_exit(const char *text, int asked)
{
    fputs(text, asked ? stdout : stderr);
    exit(asked ? stdout_status("help", EXIT_SUCCESS) : EXIT_FAILURE);
}

/* ---- store options --------------------------------------------------------------- */

static int parse_period(const char *s, qs_period *out)
{
    static const struct {
        const char *word;
        qs_period period;
    } periods[] = {{"month", QS_PERIOD_MONTH}, {"week", QS_PERIOD_WEEK}, {"day", QS_PERIOD_DAY}};
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if (strcmp(periods[i].word, s) == 0) {
            *out = periods[i].period;
            return 0;
        }
    return -1;
}

int common_option(int c, const char *arg, const char *cmd)
{
    switch (c) {
    case 'd':
        g_store.dir = arg;
        return 1;
    case OPT_DURABLE:
        g_store.durability_set = 1;
        g_store.durability = QS_SYNC_DURABLE;
        return 1;
    case OPT_PERIODIC:
        g_store.durability_set = 1;
        g_store.durability = QS_SYNC_PERIODIC;
        return 1;
    case OPT_MAP_SIZE:
        if (parse_size(arg, &g_store.map_size) != 0 || g_store.map_size == 0) {
            msg("%s: --map-size: '%s' is not a size", cmd, arg);
            exit(EXIT_FAILURE);
        }
        return 1;
    case OPT_PERIOD:
        if (parse_period(arg, &g_store.period) != 0) {
            msg("%s: --period: '%s' is not month, week or day", cmd, arg);
            exit(EXIT_FAILURE);
        }
        g_store.period_set = 1;
        return 1;
    default:
        return 0;
    }
}

const char *store_dir(void)
{
    const char *dir = g_store.dir ? g_store.dir : getenv("QUIZSTORE_DIR");
    return dir && *dir ? dir : NULL;
}

/* A store that was not closed cleanly is refused read-only: open it once for writing,
 * which recovers it, and close it. 0, or the error of that open (then the read-only
 * open's own is the one to report). */
static int recover(const char *dir, const qs_options *read_opts)
{
    qs_options opts = *read_opts;
    qs_env *env = NULL;
    opts.read_only = 0;
    int rc = qs_env_open(dir, &opts, &env);
    qs_env_close(env);
    return rc;
}

int store_options(const char *cmd, int writable, qs_options *opts)
{
    qs_options_init(opts);
    opts->read_only = !writable;
    if (g_store.durability_set)
        opts->durability = g_store.durability;
    uint64_t map_size = g_store.map_size;
    const char *env_size = getenv("QUIZSTORE_MAP_SIZE");
    if (!map_size && env_size && *env_size && parse_size(env_size, &map_size) != 0) {
        msg("%s: QUIZSTORE_MAP_SIZE: '%s' is not a size", cmd, env_size);
        return -1;
    }
    if (map_size)
        opts->map_size = map_size;
    if (g_store.period_set)
        opts->bucket_period = g_store.period; /* the library keeps a store's own */
    return 0;
}

qs_env *store_open(const char *cmd, int writable)
{
    const char *dir = store_dir();
    if (!dir) {
        msg("%s: no store given: use -d DIR or set QUIZSTORE_DIR", cmd);
        return NULL;
    }
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (!writable || errno != ENOENT || mkdir(dir, 0777) != 0) {
            msg("%s: %s: %s", cmd, dir, strerror(errno));
            return NULL;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        msg("%s: %s: not a directory", cmd, dir);
        return NULL;
    }

    qs_options opts;
    if (store_options(cmd, writable, &opts) != 0)
        return NULL;
    qs_env *env = NULL;
    int rc = qs_env_open(dir, &opts, &env);
    if (rc == QS_READONLY && recover(dir, &opts) == 0)
        rc = qs_env_open(dir, &opts, &env);
    if (rc == ENOENT && !writable) {
        msg("%s: %s (import creates one)", cmd, qs_errmsg());
        return NULL;
    }
    if (rc != 0) {
        char context[512];
        snprintf(context, sizeof context, "%s: cannot open store %s", cmd, dir);
        msg_rc(context, rc);
        return NULL;
    }
    return env;
}

/* ---- dispatch -------------------------------------------------------------------- */

static int run_help(int argc, char **argv)
{
    if (argc < 2)
        usage_exit(main_usage, 1);
    const command *c = find_command(argv[1]);
    if (!c) {
        msg("help: no command '%s'", argv[1]);
        usage_exit(main_usage, 0);
    }
    usage_exit(c->usage, 1);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {COMMON_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    opterr = 1;
    /* '+': stop at the subcommand; its own options are parsed by it. */
    while ((c = getopt_long(argc, argv, "+d:h", longopts, NULL)) != -1) {
        if (c == 'h')
            usage_exit(main_usage, 1);
        if (!common_option(c, optarg, "quizstore"))
            usage_exit(main_usage, 0);
    }
    if (optind >= argc)
        usage_exit(main_usage, 0);

    char **sub_argv = argv + optind;
    int sub_argc = argc - optind;
    if (strcmp(sub_argv[0], "help") == 0)
        return run_help(sub_argc, sub_argv);
    const command *cmd = find_command(sub_argv[0]);
    if (!cmd) {
        msg("no command '%s'", sub_argv[0]);
        usage_exit(main_usage, 0);
    }
    optind = 0; /* GNU getopt: re-initialise, the subcommand parses from argv[1] */
    return stdout_status(cmd->name, cmd->run(sub_argc, sub_argv));
}
