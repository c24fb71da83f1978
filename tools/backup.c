/* backup.c: `quizstore backup`, `quizstore restore` and `quizstore compact`.
 *
 *   backup [--compress] DIR        a consistent, compacted copy of the store while it
 *                                  is in use (qs_backup), then its files and sizes
 *   restore BACKUP_DIR STORE_DIR   the backup checked against its manifest and written
 *                                  as a new store (qs_restore), then what it holds
 *   compact                        the store's file rewritten in place, compacted
 *                                  (qs_compact), then its size before and after
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "timefmt.h"

const char backup_usage[] =
    "usage: quizstore backup [-d DIR] [--compress] BACKUP_DIR\n"
    "\n"
    "Copy the store, as of one snapshot, into BACKUP_DIR (created if missing; it must\n"
    "hold no backup) while other processes go on reading and writing it. The copy is\n"
    "compacted (free pages left out). BACKUP_DIR gets data.mdb (or data.mdb.zst) and\n"
    "then MANIFEST, which lists each file's size and xxh3-64 hash: a directory without\n"
    "a MANIFEST holds no backup. Prints the files, their sizes, the ratio to the store\n"
    "and the time taken.\n"
    "\n"
    "options:\n"
    "      --compress            write data.mdb.zst, compressed with zstd as it is copied\n"
    "  -h, --help                this text\n" COMMON_OPTIONS_HELP;

const char restore_usage[] =
    "usage: quizstore restore BACKUP_DIR STORE_DIR\n"
    "\n"
    "Check every file of the backup in BACKUP_DIR against its MANIFEST (sizes and\n"
    "xxh3-64 hashes) before writing anything, then write STORE_DIR/data.mdb\n"
    "(decompressed when the backup is compressed). STORE_DIR is created if missing and\n"
    "must hold no store. Then opens the restored store and prints what it holds.\n"
    "\n"
    "options:\n"
    "  -h, --help                this text\n"
    "      --map-size N          the map size to open the restored store with\n";

const char compact_usage[] =
    "usage: quizstore [-d DIR] compact\n"
    "\n"
    "Rewrite the store's data file in place, compacted: every database appended in key\n"
    "order into a new file, every page full and none free, so the file shrinks after\n"
    "sealing, retention or a load in random key order left free or half-empty pages.\n"
    "The first writes after it split the full pages they land in. No other process may\n"
    "have the store open; other opens wait while it runs. The new file is written as\n"
    "compact.partial/data.mdb in the store's directory, so the disk needs room for it;\n"
    "a crash or a power cut at any moment leaves the store as it was or compacted.\n"
    "Prints the bytes the file takes on the disk before and after.\n"
    "\n"
    "options:\n"
    "  -d DIR                    the store\n"
    "  -h, --help                this text\n"
    "      --map-size N          the map size to open the store with\n";

enum { OPT_COMPRESS = OPT_FIRST_LOCAL };

static double mib(uint64_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

static int file_size(const char *dir, const char *name, uint64_t *size)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &st) != 0)
        return -1;
    *size = (uint64_t)st.st_size;
    return 0;
}

/* ---- backup ----------------------------------------------------------------------- */

/* Print one line per file of the manifest in @p dir (and the manifest); the total
 * bytes in *total. */
static int print_files(const char *dir, uint64_t *total)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        msg("backup: %s: %s", path, strerror(errno));
        return -1;
    }
    *total = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64], hash[17], raw_hash[17];
        uint64_t size, raw;
        int fields = sscanf(line, "file %63s %" SCNu64 " %16s raw %" SCNu64 " %16s", name,
                            &size, hash, &raw, raw_hash);
        if (fields == 3) {
            printf("%-14s %14" PRIu64 " bytes  %8.1f MiB  xxh3 %s\n", name, size,
                   mib(size), hash);
        } else if (fields == 5) {
            printf("%-14s %14" PRIu64 " bytes  %8.1f MiB  xxh3 %s  (%" PRIu64
                   " bytes uncompressed, %.2fx)\n",
                   name, size, mib(size), hash, raw, size ? (double)raw / (double)size : 0.0);
        } else {
            continue;
        }
        *total += size;
    }
    fclose(f);
    uint64_t size = 0;
    file_size(dir, "MANIFEST", &size);
    printf("%-14s %14" PRIu64 " bytes\n", "MANIFEST", size);
    *total += size;
    return 0;
}

int cmd_backup(int argc, char **argv)
{
    static const struct option longopts[] = {
        COMMON_LONG_OPTIONS, {"compress", no_argument, NULL, OPT_COMPRESS}, {NULL, 0, NULL, 0}};
    unsigned flags = 0;
    int c;
    while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        if (common_option(c, optarg, "backup"))
            continue;
        if (c == 'h')
            usage_exit(backup_usage, 1);
        if (c != OPT_COMPRESS)
            usage_exit(backup_usage, 0);
        flags |= QS_BACKUP_COMPRESS;
    }
    if (optind != argc - 1)
        usage_exit(backup_usage, 0);
    const char *dir = argv[optind];

    qs_env *env = store_open("backup", 0);
    if (!env)
        return 1;
    double t0 = clock_seconds();
    int rc = qs_backup(env, dir, flags);
    double seconds = clock_seconds() - t0;
    qs_env_close(env);
    if (rc != 0) {
        char context[4200];
        snprintf(context, sizeof context, "backup %s", dir);
        msg_rc(context, rc);
        return 1;
    }
    uint64_t total = 0, store = 0;
    if (print_files(dir, &total) != 0)
        return 1;
    file_size(store_dir(), "data.mdb", &store);
    printf("backup %s: %" PRIu64 " bytes (%.1f MiB) from a store file of %" PRIu64
           " bytes (%.1f MiB), %.2fx smaller, in %.2f s\n",
           dir, total, mib(total), store, mib(store),
           total ? (double)store / (double)total : 0.0, seconds);
    return 0;
}

/* ---- restore ---------------------------------------------------------------------- */

/* "STORE: N databases, N questions, N users, N answers, N interactions, N MiB" */
static int print_summary(qs_env *env, const char *dir)
{
    qs_txn *txn = NULL;
    qs_db_stat *dbs = NULL;
    qs_bucket_info *buckets = NULL;
    size_t n_dbs = 0, n_buckets = 0;
    int rc = qs_txn_begin(env, QS_TXN_RDONLY, &txn);
    if (rc == 0 && (rc = qs_db_stats(txn, NULL, 0, &n_dbs)) == 0 &&
        (rc = qs_bucket_list(txn, NULL, 0, &n_buckets)) == 0) {
        dbs = calloc(n_dbs + 1, sizeof *dbs);
        buckets = calloc(n_buckets + 1, sizeof *buckets);
        if (!dbs || !buckets)
            rc = ENOMEM;
    }
    if (rc == 0 && (rc = qs_db_stats(txn, dbs, n_dbs, &n_dbs)) == 0)
        rc = qs_bucket_list(txn, buckets, n_buckets, &n_buckets);
    qs_txn_abort(txn);
    if (rc != 0) {
        msg_rc("restore: reading the restored store", rc);
        free(dbs);
        free(buckets);
        return 1;
    }
    uint64_t questions = 0, users = 0, answers = 0, interactions = 0, bytes = 0;
    for (size_t i = 0; i < n_dbs; i++) {
        if (strcmp(dbs[i].name, "question") == 0)
            questions = dbs[i].entries;
        else if (strcmp(dbs[i].name, "user") == 0)
            users = dbs[i].entries;
        bytes += dbs[i].bytes;
    }
    for (size_t i = 0; i < n_buckets; i++) {
        if (buckets[i].table == QS_TABLE_ANSWERS)
            answers += buckets[i].rows;
        else
            interactions += buckets[i].rows;
    }
    printf("%s: %zu databases, %" PRIu64 " questions, %" PRIu64 " users, %" PRIu64
           " answers, %" PRIu64 " interactions, %.1f MiB\n",
           dir, n_dbs, questions, users, answers, interactions, mib(bytes));
    free(dbs);
    free(buckets);
    return 0;
}

int cmd_restore(int argc, char **argv)
{
    static const struct option longopts[] = {COMMON_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd' || c == OPT_PERIOD)
            usage_exit(restore_usage, 0);   /* the store is STORE_DIR; its period is kept */
        if (common_option(c, optarg, "restore"))
            continue;
        usage_exit(restore_usage, c == 'h');
    }
    if (optind != argc - 2)
        usage_exit(restore_usage, 0);
    const char *backup = argv[optind], *dir = argv[optind + 1];

    double t0 = clock_seconds();
    int rc = qs_restore(backup, dir);
    double seconds = clock_seconds() - t0;
    if (rc != 0) {
        char context[8400];
        snprintf(context, sizeof context, "restore %s into %s", backup, dir);
        if (rc == QS_CORRUPT)   /* the library's text speaks of records */
            msg("%s: the backup is damaged: %s", context, qs_errmsg());
        else
            msg_rc(context, rc);
        return 1;
    }
    uint64_t size = 0;
    file_size(dir, "data.mdb", &size);
    printf("restored %s into %s: %" PRIu64 " bytes (%.1f MiB) in %.2f s\n", backup, dir, size,
           mib(size), seconds);
    g_store.dir = dir;
    qs_env *env = store_open("restore", 0);
    if (!env)
        return 1;
    int status = print_summary(env, dir);
    qs_env_close(env);
    return status;
}

/* ---- compact ---------------------------------------------------------------------- */

int cmd_compact(int argc, char **argv)
{
    static const struct option longopts[] = {COMMON_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        if (c == OPT_PERIOD)
            usage_exit(compact_usage, 0);   /* a store keeps its period */
        if (common_option(c, optarg, "compact"))
            continue;
        usage_exit(compact_usage, c == 'h');
    }
    const char *dir = store_dir();
    qs_options opts = {.size = sizeof opts};
    if (optind != argc)
        usage_exit(compact_usage, 0);
    if (!dir) {
        msg("compact: no store given: use -d DIR or set QUIZSTORE_DIR");
        return 1;
    }
    if (store_options("compact", 1, &opts) != 0)
        return 1;
    uint64_t before = 0, after = 0;
    double t0 = clock_seconds();
    int rc = qs_compact(dir, &opts, &before, &after);
    double seconds = clock_seconds() - t0;
    if (rc != 0) {
        char context[4200];
        snprintf(context, sizeof context, "compact %s", dir);
        msg_rc(context, rc);
        return 1;
    }
    printf("compacted %s: data.mdb %" PRIu64 " bytes on disk (%.1f MiB) to %" PRIu64
           " bytes (%.1f MiB), %.2fx smaller, in %.2f s\n",
           dir, before, mib(before), after, mib(after),
           after ? (double)before / (double)after : 0.0, seconds);
    return 0;
}
