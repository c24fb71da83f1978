/* stats.c: `quizstore stats`, the size of every database of the store. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"

const char stats_usage[] =
    "usage: quizstore stats [-d DIR] [--json]\n"
    "\n"
    "Print every database of the store (sorted by name) with its entries, B-tree depth,\n"
    "pages and bytes, then the totals.\n"
    "\n"
    "options:\n"
    "      --json                print JSON instead of a table\n"
    "  -h, --help                this text\n" COMMON_OPTIONS_HELP;

enum { OPT_JSON = OPT_FIRST_LOCAL };

static uint64_t pages_of(const qs_db_stat *s)
{
    return s->branch_pages + s->leaf_pages + s->overflow_pages;
}

static void print_table(const qs_db_stat *rows, size_t n)
{
    uint64_t entries = 0, pages = 0, bytes = 0;
    printf("%-24s %12s %5s %10s %14s\n", "database", "entries", "depth", "pages", "bytes");
    for (size_t i = 0; i < n; i++) {
        const qs_db_stat *s = &rows[i];
        printf("%-24s %12" PRIu64 " %5" PRIu32 " %10" PRIu64 " %14" PRIu64 "\n", s->name,
               s->entries, s->depth, pages_of(s), s->bytes);
        entries += s->entries;
        pages += pages_of(s);
        bytes += s->bytes;
    }
    printf("%-24s %12" PRIu64 " %5s %10" PRIu64 " %14" PRIu64 "\n", "total", entries, "",
           pages, bytes);
    printf("%zu databases, %.1f MiB\n", n, (double)bytes / (1024.0 * 1024.0));
}

static void print_json(const qs_db_stat *rows, size_t n)
{
    jw w;
    uint64_t entries = 0, pages = 0, bytes = 0;
    jw_init(&w, stdout);
    jw_object(&w);
    jw_key(&w, "databases");
    jw_array(&w);
    for (size_t i = 0; i < n; i++) {
        const qs_db_stat *s = &rows[i];
        jw_row(&w);
        jw_kstr(&w, "name", s->name);
        jw_kuint(&w, "entries", s->entries);
        jw_kuint(&w, "depth", s->depth);
        jw_kuint(&w, "branch_pages", s->branch_pages);
        jw_kuint(&w, "leaf_pages", s->leaf_pages);
        jw_kuint(&w, "overflow_pages", s->overflow_pages);
        jw_kuint(&w, "bytes", s->bytes);
        jw_end_object(&w);
        entries += s->entries;
        pages += pages_of(s);
        bytes += s->bytes;
    }
    jw_end_array(&w);
    jw_key(&w, "total");
    jw_row(&w);
    jw_kuint(&w, "databases", n);
    jw_kuint(&w, "entries", entries);
    jw_kuint(&w, "pages", pages);
    jw_kuint(&w, "bytes", bytes);
    jw_end_object(&w);
    jw_end_object(&w);
    jw_finish(&w);
}

/* Every database's statistics; *rows is malloc'ed. */
static int read_stats(qs_txn *txn, qs_db_stat **rows, size_t *n)
{
    size_t cap = 64;
    *rows = NULL;
    for (;;) {
        qs_db_stat *p = realloc(*rows, cap * sizeof *p);
        if (!p)
            return ENOMEM;
        *rows = p;
        int rc = qs_db_stats(txn, *rows, cap, n);
        if (rc != 0 || *n <= cap)
            return rc;
        cap = *n;
    }
}

int cmd_stats(int argc, char **argv)
{
    static const struct option longopts[] = {
        COMMON_LONG_OPTIONS, {"json", no_argument, NULL, OPT_JSON}, {NULL, 0, NULL, 0}};
    int c, json = 0;
    while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        if (common_option(c, optarg, "stats"))
            continue;
        if (c == 'h')
            usage_exit(stats_usage, 1);
        if (c != OPT_JSON)
            usage_exit(stats_usage, 0);
        json = 1;
    }
    if (optind != argc)
        usage_exit(stats_usage, 0);

    qs_env *env = store_open("stats", 0);
    if (!env)
        return 1;
    qs_txn *txn = NULL;
    qs_db_stat *rows = NULL;
    size_t n = 0;
    int rc = qs_txn_begin(env, QS_TXN_RDONLY, &txn);
    if (rc == 0)
        rc = read_stats(txn, &rows, &n);
    qs_txn_abort(txn);
    qs_env_close(env);
    if (rc != 0) {
        msg_rc("stats", rc);
        free(rows);
        return 1;
    }
    if (json)
        print_json(rows, n);
    else
        print_table(rows, n);
    free(rows);
    return 0;
}
