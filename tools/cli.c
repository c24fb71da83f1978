/* cli.c: what the commands of `quizstore` share: messages, usage, the store options,
 * opening the store, and ids named on the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "util/number.h"

store_args g_store;

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

int stdout_status(const char *cmd, int status)
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

    qs_options opts = {.size = sizeof opts};
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

/* ---- ids on the command line ----------------------------------------------------- */

int resolve_arg(qs_txn *txn, qs_kind kind, const char *arg, int internal,
                const char *context, uint64_t *id)
{
    if (internal) {
        if (ut_parse_u64(arg, strlen(arg), id) != 0 || *id == 0) {
            msg("%s: '%s' is not an internal id", context, arg);
            return -1;
        }
        return 0;
    }
    int rc = qs_resolve(txn, kind, arg, id);
    if (rc == QS_NOTFOUND || rc == QS_INVALID) {
        msg("%s: %s not found", context, kind_word(kind));
        return -1;
    }
    if (rc != 0) {
        msg_rc(context, rc);
        return -1;
    }
    return 0;
}
