/* buckets_list.c: `quizstore buckets list`, and what every action of `buckets`
 * shares: the buckets read, the one that holds a time, --now, the transaction. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buckets.h"
#include "json_out.h"
#include "timefmt.h"
#include "util/date.h"

/* ---- shared pieces ------------------------------------------------------------------ */

const char *table_word(qs_table table)
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

double compression_ratio(uint64_t raw_bytes, uint64_t bytes)
{
    return bytes ? (double)raw_bytes / (double)bytes : 0.0;
}

int read_buckets(qs_txn *txn, qs_bucket_info **rows, size_t *n)
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

const qs_bucket_info *bucket_at(const qs_bucket_info *rows, size_t n, qs_table table,
                                int64_t t)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].table == table && rows[i].start <= t && t < rows[i].end)
            return &rows[i];
    return NULL;
}

int parse_now(const buckets_args *a, int64_t *now)
{
    if (time_parse_arg(a->now ? a->now : "now", now) == 0)
        return 0;
    msg("%s: --now: '%s' is not a time", a->context, a->now);
    return -1;
}

int buckets_begin(const buckets_args *a, qs_env *env, unsigned flags, qs_txn **txn)
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
        snprintf(ratio_text, sizeof ratio_text, "%.1f", compression_ratio(raw_bytes, bytes));
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

int buckets_list(const buckets_args *a, qs_env *env)
{
    qs_txn *txn = NULL;
    qs_bucket_info *rows = NULL;
    size_t n = 0;
    int rc = buckets_begin(a, env, QS_TXN_RDONLY, &txn);
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
