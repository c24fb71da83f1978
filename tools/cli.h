/* cli.h: what the files of the `quizstore` command share.
 *
 * Every subcommand is one function `int cmd_NAME(int argc, char **argv)` that
 * receives argv with argv[0] set to the subcommand's name and returns the process
 * exit status: 0 success, 1 a fatal error, 2 (import only) some lines are not in the
 * store (rejected or expired). Messages go to stderr as "quizstore: CONTEXT: WHAT";
 * results go to stdout, and a command whose results could not all be written there
 * exits 1 (main.c checks).
 */
#ifndef QS_CLI_H
#define QS_CLI_H

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "quizstore.h"
#include "util/number.h"

#define EXIT_REJECTS 2

/* ---- store options shared by every subcommand ------------------------------------ */

/* Long-option values of the options every subcommand accepts. */
enum {
    OPT_DURABLE = 1000,
    OPT_PERIODIC,
    OPT_MAP_SIZE,
    OPT_PERIOD,
    OPT_FIRST_LOCAL /* subcommands number their own long options from here */
};

/* getopt_long entries of the common options; spliced into each subcommand's table. */
#define COMMON_LONG_OPTIONS                                      \
    {"dir", required_argument, NULL, 'd'},                       \
    {"durable", no_argument, NULL, OPT_DURABLE},                 \
    {"periodic", no_argument, NULL, OPT_PERIODIC},               \
    {"map-size", required_argument, NULL, OPT_MAP_SIZE},         \
    {"period", required_argument, NULL, OPT_PERIOD},             \
    {"help", no_argument, NULL, 'h'}

/* Help lines of the common options, for the usage texts. */
#define COMMON_OPTIONS_HELP                                                      \
    "  -d, --dir DIR             the store directory (default: $QUIZSTORE_DIR)\n" \
    "      --durable             every commit waits for the disk (the default)\n" \
    "      --periodic            commits do not wait; flushed every second (a\n"  \
    "                            power cut may lose the last second, never the\n"  \
    "                            store's integrity)\n"                             \
    "      --map-size N          largest size of the store, bytes (K, M, G, T);\n"  \
    "                            default $QUIZSTORE_MAP_SIZE, else 64G\n"           \
    "      --period P            a new store's time buckets: month (default),\n"   \
    "                            week or day; an existing store keeps its own\n"

typedef struct store_args {
    const char *dir;
    int durability_set;
    qs_durability durability;
    uint64_t map_size; /* 0: the library's default */
    int period_set;
    qs_period period;  /* used only when the store is created */
} store_args;

/* Options given before the subcommand (`quizstore -d DIR get ...`). */
extern store_args g_store;

/* Handle a common option returned by getopt_long. Returns 1 if @p c was one,
 * 0 otherwise. Exits on a malformed value. */
int common_option(int c, const char *arg, const char *cmd);

/* The store directory: -d DIR, else $QUIZSTORE_DIR, else NULL. */
const char *store_dir(void);

/* The options the common options (and QUIZSTORE_MAP_SIZE) ask for, into @p opts: 0, or
 * -1 after printing "quizstore: CMD: ..." about a malformed one. */
int store_options(const char *cmd, int writable, qs_options *opts);

/* Open the store named by g_store. Writable stores create the directory when it
 * does not exist. On failure prints "quizstore: CMD: ..." and returns NULL. */
qs_env *store_open(const char *cmd, int writable);

/* ---- output files (output.c) ----------------------------------------------------- */

/* Before a file the user named is opened for writing (today: import --rejects): is
 * @p path one of the command's @p inputs ("-" is standard input, when that is a
 * regular file or a pipe) or part of the store in @p store_dir (may be NULL): the directory, its
 * data.mdb or lock.mdb, whether they exist yet or not? Paths are compared by the file
 * they name (device and inode, through symlinks and hard links), not by spelling.
 * Returns 0 when @p path may be written; otherwise prints
 * "quizstore: CONTEXT: OPTION PATH is the input file a.csv: give another file" and
 * returns -1, having written nothing. */
int output_check(const char *context, const char *option, const char *path,
                 const char *const *inputs, size_t n_inputs, const char *store_dir);

/* ---- messages -------------------------------------------------------------------- */

/* "quizstore: " + formatted text + newline on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A library failure: "quizstore: CONTEXT: strerror (errmsg)". */
void msg_rc(const char *context, int rc);

/* Print @p text to stdout and exit 0 when help was asked for; print it to stderr
 * and exit EXIT_FAILURE on a usage error. */
void usage_exit(const char *text, int asked) __attribute__((noreturn));
/* Results that did not all reach stdout (a full disk, a closed pipe) fail the
 * command @p cmd: @p status, or EXIT_FAILURE with a message. */
int stdout_status(const char *cmd, int status);

/* ---- numbers and words ----------------------------------------------------------- */

/* Decimal integers are util/number.h's (ut_parse_u64, ut_parse_i64). */
/* "64M", "2G", "4096": bytes. 0 or -1. */
int parse_size(const char *s, uint64_t *out);

/* Words of the enums, as they appear in files and in JSON output. */
const char *test_status_word(unsigned status);
const char *test_mode_word(unsigned mode);
const char *answer_status_word(unsigned status);
/* Case-insensitive lookups of the words above (digits accepted too); 0 if unknown. */
unsigned test_status_code(const char *s);
unsigned test_mode_code(const char *s);
unsigned answer_status_code(const char *s);
/* Interaction actions: view=1 ... share=8, or a number 0-255. -1 if unknown. */
int action_code(const char *s);
/* The name of action @p code, or NULL for codes without one. */
const char *action_word(unsigned code);

/* Resolve a command-line id: an external id, or with @p internal a decimal one.
 * Prints "quizstore: CONTEXT: KIND not found" and returns non-zero on failure. */
int resolve_arg(qs_txn *txn, qs_kind kind, const char *arg, int internal,
                const char *context, uint64_t *id);
const char *kind_word(qs_kind kind);

/* ---- subcommands ----------------------------------------------------------------- */

int cmd_import(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_pools(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_buckets(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_check(int argc, char **argv);

extern const char import_usage[];
extern const char get_usage[];
extern const char stats_usage[];
extern const char pools_usage[];
extern const char index_usage[];
extern const char buckets_usage[];
extern const char backup_usage[];
extern const char restore_usage[];
extern const char compact_usage[];
extern const char check_usage[];

#endif /* QS_CLI_H */
