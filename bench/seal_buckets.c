/* seal_buckets.c: qs-seal's quizstore buckets (seal.h): listed with their bytes,
 * checked against the generated counts, and sealed one write transaction each. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "seal.h"

/* ------------------------------------------------------------ quizstore: buckets */

bucket_set seal_list_buckets(qs_env *env)
{
    bucket_set set = {NULL, 0};
    qs_txn *txn;
    size_t n = 0, cap = 16;
    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    for (;;) {
        qs_bucket_info *b = realloc(set.b, cap * sizeof *b);
        if (!b)
            seal_fail(2, "out of memory");
        set.b = b;
        QS(qs_bucket_list(txn, set.b, cap, &n));
        if (n <= cap)
            break;
        cap = n;
    }
    qs_txn_abort(txn);
    set.n = n;
    return set;
}

/* The database named @p name from qs_db_stats. */
qs_db_stat seal_db_stat(qs_env *env, const char *name)
{
    qs_txn *txn;
    qs_db_stat *st = NULL, found;
    size_t n = 0, cap = 64;
    memset(&found, 0, sizeof found);
    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    for (;;) {
        qs_db_stat *p = realloc(st, cap * sizeof *p);
        if (!p)
            seal_fail(2, "out of memory");
        st = p;
        QS(qs_db_stats(txn, st, cap, &n));
        if (n <= cap)
            break;
        cap = n;
    }
    qs_txn_abort(txn);
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, name) == 0)
            found = st[i];
    free(st);
    if (!found.name[0])
        seal_fail(2, "no database %s in qs_db_stats", name);
    return found;
}

static const qs_bucket_info *find_bucket(const bucket_set *set, qs_table table, int64_t start)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->b[i].table == table && set->b[i].start == start)
            return &set->b[i];
    return NULL;
}

/* Every bucket holds the rows generated in its period, and no row is elsewhere. */
void seal_check_bucket_rows(const bucket_set *set, const counts *k, const char *when)
{
    uint64_t sum[3] = {0, 0, 0};
    for (size_t i = 0; i < set->n; i++) {
        const qs_bucket_info *b = &set->b[i];
        const uint64_t *by_day = b->table == QS_TABLE_ANSWERS ? k->answers_by_day : k->ixs_by_day;
        uint64_t want = seal_rows_between(k, by_day, b->start, b->end);
        if (b->rows != want)
            seal_fail(1, "%s %s: %llu rows, the workload has %llu in its period", when, b->name,
                 (unsigned long long)b->rows, (unsigned long long)want);
        sum[b->table == QS_TABLE_ANSWERS ? 1 : 2] += b->rows;
    }
    if (sum[1] != k->answers + k->hot_answers || sum[2] != k->interactions)
        seal_fail(1, "%s: the buckets hold %llu answers and %llu interactions, the workload %llu "
             "and %llu", when, (unsigned long long)sum[1], (unsigned long long)sum[2],
             (unsigned long long)(k->answers + k->hot_answers),
             (unsigned long long)k->interactions);
}

bucket_sum seal_history_buckets(const bucket_set *set, qs_table table)
{
    bucket_sum s = {0, 0};
    for (size_t i = 0; i < set->n; i++)
        if (set->b[i].table == table && set->b[i].start < WL_NOW_MS) {
            s.rows += set->b[i].rows;
            s.bytes += set->b[i].bytes;
        }
    return s;
}

void seal_set_hot_periods(qs_env *env, unsigned periods)
{
    qs_txn *txn;
    qs_bucket_policy p = {.size = sizeof p};
    QS(qs_txn_begin(env, 0, &txn));
    QS(qs_bucket_policy_get(txn, &p));
    p.hot_periods = periods;
    QS(qs_bucket_policy_set(txn, &p));
    QS(qs_txn_commit(txn));
}

/* Seal every raw bucket of @p before that is sealable at SEAL_NOW_MS, one write
 * transaction each; out[i] is for before->b[i]. */
void seal_all(qs_env *env, const bucket_set *before, seal_result *out)
{
    for (size_t i = 0; i < before->n; i++) {
        const qs_bucket_info *b = &before->b[i];
        qs_txn *txn;
        memset(&out[i], 0, sizeof out[i]);
        if (b->sealed)
            seal_fail(1, "%s is sealed already", b->name);
        double t0 = bench_now();
        QS(qs_txn_begin(env, 0, &txn));
        int rc = qs_bucket_seal(txn, b->table, b->start, SEAL_NOW_MS, &out[i].info);
        if (rc == QS_HOT) {
            qs_txn_abort(txn);
            out[i].hot = 1;
            bench_note("%s: hot at 2026-03-01, stays raw", b->name);
            continue;
        }
        if (rc) {
            qs_txn_abort(txn);
            seal_fail(2, "sealing %s: %s (%s)", b->name, qs_strerror(rc), qs_errmsg());
        }
        QS(qs_txn_commit(txn));
        out[i].seconds = bench_now() - t0;
        bench_note("%s: %llu rows, %.1f MB -> %.1f MB in %.2f s", b->name,
             (unsigned long long)out[i].info.rows, mb(out[i].info.raw_bytes),
             mb(out[i].info.bytes), out[i].seconds);
    }
}

/* Sealing changed no bucket's rows, sealed what was sealable and nothing else. */
void seal_check_sealed(const bucket_set *before, const bucket_set *after,
                         const seal_result *seals)
{
    if (after->n != before->n)
        seal_fail(1, "%zu buckets before sealing, %zu after", before->n, after->n);
    for (size_t i = 0; i < before->n; i++) {
        const qs_bucket_info *b = &before->b[i];
        const qs_bucket_info *a = find_bucket(after, b->table, b->start);
        if (!a || a->rows != b->rows)
            seal_fail(1, "%s: %llu rows before sealing, %llu after", b->name,
                 (unsigned long long)b->rows, a ? (unsigned long long)a->rows : 0ULL);
        if (!!a->sealed == seals[i].hot)
            seal_fail(1, "%s is %s after sealing", a->name, a->sealed ? "sealed" : "raw");
        if (!seals[i].hot && (a->bytes != seals[i].info.bytes ||
                              seals[i].info.raw_bytes != b->bytes))
            seal_fail(1, "%s: qs_bucket_seal reported %llu -> %llu bytes, qs_bucket_list "
                 "%llu -> %llu", b->name, (unsigned long long)seals[i].info.raw_bytes,
                 (unsigned long long)seals[i].info.bytes, (unsigned long long)b->bytes,
                 (unsigned long long)a->bytes);
        if (b->start < WL_NOW_MS && seals[i].hot)
            seal_fail(1, "%s is a history bucket, yet hot at 2026-03-01", b->name);
    }
}

uint64_t seal_file_bytes(const char *dir, const char *file)
{
    char path[PATH_MAX + 64];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (stat(path, &st) != 0)
        seal_fail(2, "stat %s: %s", path, strerror(errno));
    return (uint64_t)st.st_blocks * 512;
}
