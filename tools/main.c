/* main.c: `quizstore`, the command-line tool of a quizstore store.
 *
 *   quizstore [-d DIR] [--durable|--periodic] COMMAND [ARGS]
 *
 * Dispatches to one file per subcommand (import.c, get.c, stats.c, index_cmd.c for
 * pools and index, buckets.c, backup.c for backup, restore and compact); what they
 * share is in cli.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

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
