/* buckets_seal.c: `quizstore buckets seal`: every raw bucket past the hot window, or
 * the buckets of the named periods, one write transaction per bucket.
 *
 * Naming a bucket that cannot be sealed (hot, sealed already, none there) is an error,
 * exit 1; sealing everything skips the hot and sealed ones and counts them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buckets.h"
#include "timefmt.h"

/* What one seal run did. */
typedef struct seal_tally {
    size_t sealed, hot, already, failed;
    uint64_t rows, bytes, raw_bytes;
    double seconds;
} seal_tally;

/* Seal the bucket of @p table holding @p t in a write transaction of its own and print
 * it. Returns 0, or the library's code (nothing printed: the caller decides what the
 * refusal means). */
static int seal_one(qs_env *env, qs_table table, int64_t t, int64_t now, seal_tally *tally)
{
    qs_txn *txn = NULL;
    qs_bucket_info out;
    double start = clock_seconds();
    int rc = qs_txn_begin(env, 0, &txn);
    if (rc != 0)
        return rc;
    rc = qs_bucket_seal(txn, table, t, now, &out);
    if (rc != 0) {
        qs_txn_abort(txn);
        return rc;
    }
    if ((rc = qs_txn_commit(txn)) != 0)
        return rc;
    double seconds = clock_seconds() - start;
    printf("sealed %s: %" PRIu64 " rows, %" PRIu64 " -> %" PRIu64 " bytes (%.1fx) in %.2f s\n",
           out.name, out.rows, out.raw_bytes, out.bytes,
           compression_ratio(out.raw_bytes, out.bytes), seconds);
    tally->sealed++;
    tally->rows += out.rows;
    tally->bytes += out.bytes;
    tally->raw_bytes += out.raw_bytes;
    tally->seconds += seconds;
    return 0;
}

int parse_period_arg(const char *s, int64_t *t)
{
    size_t len = strlen(s);
    if (len == 7 && s[4] == '-') {
        char day[16];
        snprintf(day, sizeof day, "%s-01", s);
        return ut_time_parse(day, strlen(day), t);
    }
    return time_parse_arg(s, t);
}

/* Why a named bucket was refused, naming it from the list read before sealing. */
static void seal_refused(const buckets_args *a, const char *arg, qs_table table, int64_t t,
                         int rc, const qs_bucket_info *rows, size_t n,
                         const qs_bucket_policy *policy, int64_t now)
{
    char context[160], when[UT_TIME_TEXT_SIZE], now_text[UT_TIME_TEXT_SIZE];
    const qs_bucket_info *b = bucket_at(rows, n, table, t);
    char name[64];
    if (b)
        snprintf(name, sizeof name, "%s", b->name);
    else
        snprintf(name, sizeof name, "the %s bucket of %s", table_word(table), arg);
    snprintf(context, sizeof context, "%s %s", a->context, arg);
    ut_time_format(t, when);
    ut_time_format(now, now_text);
    switch (rc) {
    case QS_NOTFOUND:
        msg("%s: no %s bucket holds %s", context, table_word(table), when);
        break;
    case QS_HOT:
        msg("%s: %s is hot: the %u newest periods at %s stay raw", context, name,
            policy->hot_periods, now_text);
        break;
    case QS_EXISTS: msg("%s: %s is sealed already", context, name); break;
    default: {
        char what[256];
        snprintf(what, sizeof what, "%s: %s", context, name);
        msg_rc(what, rc);
    }
    }
}

/* Seal the buckets of the PERIOD arguments. Without --table a period names the buckets
 * of both tables, and a table that has none there is passed over unless neither has. */
static void seal_periods(const buckets_args *a, qs_env *env, int64_t now,
                         const qs_bucket_info *rows, size_t n, const qs_bucket_policy *policy,
                         seal_tally *tally)
{
    for (int i = 0; i < a->n_periods; i++) {
        int64_t t;
        parse_period_arg(a->periods[i], &t); /* checked before the store was opened */
        int missing = 0, tried = 0;
        for (qs_table table = QS_TABLE_ANSWERS; table <= QS_TABLE_INTERACTIONS; table++) {
            if (a->table && table != a->table)
                continue;
            tried++;
            int rc = seal_one(env, table, t, now, tally);
            if (rc == QS_NOTFOUND && !a->table) {
                missing++;
                continue;
            }
            if (rc != 0) {
                seal_refused(a, a->periods[i], table, t, rc, rows, n, policy, now);
                tally->failed++;
            }
        }
        if (missing == tried) {
            char context[160], when[UT_TIME_TEXT_SIZE];
            snprintf(context, sizeof context, "%s %s", a->context, a->periods[i]);
            ut_time_format(t, when);
            msg("%s: no bucket holds %s", context, when);
            tally->failed++;
        }
    }
}

/* Seal every raw bucket of the chosen tables that the hot window does not hold. */
static int seal_all(const buckets_args *a, qs_env *env, int64_t now,
                    const qs_bucket_info *rows, size_t n, seal_tally *tally)
{
    for (size_t i = 0; i < n; i++) {
        const qs_bucket_info *b = &rows[i];
        if (a->table && b->table != a->table)
            continue;
        if (b->sealed) {
            tally->already++;
            continue;
        }
        int rc = seal_one(env, b->table, b->start, now, tally);
        if (rc == QS_HOT)
            tally->hot++;
        else if (rc == QS_EXISTS) /* sealed since the list was read */
            tally->already++;
        else if (rc != 0 && rc != QS_NOTFOUND) { /* QS_NOTFOUND: dropped since */
            char context[160];
            snprintf(context, sizeof context, "%s: %s", a->context, b->name);
            msg_rc(context, rc);
            return 1;
        }
    }
    return 0;
}

int buckets_seal(const buckets_args *a, qs_env *env)
{
    int64_t now;
    if (parse_now(a, &now) != 0)
        return 1;
    qs_txn *txn = NULL;
    qs_bucket_info *rows = NULL;
    qs_bucket_policy policy = {.size = sizeof policy};
    size_t n = 0;
    if (buckets_begin(a, env, QS_TXN_RDONLY, &txn) != 0)
        return 1;
    int rc = read_buckets(txn, &rows, &n);
    if (rc == 0)
        rc = qs_bucket_policy_get(txn, &policy);
    qs_txn_abort(txn);
    if (rc != 0) {
        msg_rc(a->context, rc);
        free(rows);
        return 1;
    }

    seal_tally tally;
    memset(&tally, 0, sizeof tally);
    int status = 0;
    if (a->n_periods)
        seal_periods(a, env, now, rows, n, &policy, &tally);
    else
        status = seal_all(a, env, now, rows, n, &tally);
    free(rows);

    printf("sealed %zu bucket%s", tally.sealed, tally.sealed == 1 ? "" : "s");
    if (tally.sealed)
        printf(", %" PRIu64 " rows, %" PRIu64 " -> %" PRIu64 " bytes (%.1fx) in %.2f s",
               tally.rows, tally.raw_bytes, tally.bytes,
               compression_ratio(tally.raw_bytes, tally.bytes), tally.seconds);
    if (a->n_periods)
        printf("; %zu refused\n", tally.failed);
    else
        printf("; %zu hot left raw, %zu sealed already\n", tally.hot, tally.already);
    return status || tally.failed ? 1 : 0;
}
