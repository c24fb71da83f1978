/* bucket.c: listing, sealing and dropping the time buckets, and their policy.
 *
 * The policy is one ENG_META record, "policy": hot_periods u32 |
 * answer_retention_days u32 | interaction_retention_days u32; absent, the defaults.
 */
#include <string.h>

#include "api.h"

#define POLICY_KEY "policy"

static const qs_bucket_policy default_policy = {.hot_periods = 2, .answer_retention_days = 0,
                                               .interaction_retention_days = 90};

static void policy_key(eng_key *k)
{
    ek_reset(k);
    ek_bytes(k, POLICY_KEY, sizeof POLICY_KEY - 1);
}

static int policy_read(qs_txn *txn, qs_bucket_policy *out)
{
    eng_key k;
    eng_rbuf r;
    policy_key(&k);
    int rc = eng_get(txn, ENG_META, &k, &r);
    if (rc == QS_NOTFOUND) {
        *out = default_policy;
        return 0;
    }
    if (rc)
        return rc;
    out->hot_periods = rb_u32(&r);
    out->answer_retention_days = rb_u32(&r);
    out->interaction_retention_days = rb_u32(&r);
    return rb_done(&r) && out->hot_periods ? 0 : eng_corrupt(ENG_META, &k, "bad policy");
}

static int bucket_policy_get(qs_txn *txn, qs_bucket_policy *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_bucket_policy_get: output is NULL");
    qs_bucket_policy full = {0};
    rc = policy_read(txn, &full);
    return rc ? rc : eng_sized_out(out, &full, sizeof full, "qs_bucket_policy");
}

int qs_bucket_policy_get(qs_txn *txn, qs_bucket_policy *out)
{
    ENG_GUARDED(txn, bucket_policy_get(txn, out));
}

static int bucket_policy_set(qs_txn *txn, const qs_bucket_policy *given)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!given)
        return eng_fail(QS_INVALID, "qs_bucket_policy_set: policy is NULL");
    qs_bucket_policy policy;
    const qs_bucket_policy *p = &policy;
    if ((rc = eng_sized_in(given, sizeof policy, &policy, "qs_bucket_policy")) != 0)
        return rc;
    if (p->hot_periods == 0)
        return eng_fail(QS_INVALID, "a bucket policy keeps at least one period hot");
    eng_key k;
    eng_wbuf w;
    uint8_t buf[12];
    policy_key(&k);
    wb_init(&w, buf, sizeof buf);
    wb_u32(&w, p->hot_periods);
    wb_u32(&w, p->answer_retention_days);
    wb_u32(&w, p->interaction_retention_days);
    rc = eng_put(txn, ENG_META, &k, &w, 0);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int qs_bucket_policy_set(qs_txn *txn, const qs_bucket_policy *p)
{
    ENG_GUARDED(txn, bucket_policy_set(txn, p));
}

/* ------------------------------------------------------------------ listing */

static int bucket_list(qs_txn *txn, qs_bucket_info *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_bucket_list: NULL output");
    size_t total = 0;
    for (eng_table t = ENG_T_ANSWER; !rc && t <= ENG_T_INTERACTION; t++) {
        eng_bucket_iter it;
        rc = eng_bucket_iter_open(&it, txn, t, QS_TIME_MIN, QS_TIME_MAX, 0);
        while (!rc && (rc = eng_bucket_iter_next(&it)) == 0)
            if (total++ < cap)
                rc = eng_bucket_info(txn, &it.b, &rows[total - 1]);
        eng_bucket_iter_close(&it);
        if (rc == QS_NOTFOUND)
            rc = 0;
    }
    *n = total;
    return rc;
}

int qs_bucket_list(qs_txn *txn, qs_bucket_info *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, bucket_list(txn, rows, cap, n));
}

/* ------------------------------------------------------------------ sealing */

static int check_table(qs_table table)
{
    if (table != QS_TABLE_ANSWERS && table != QS_TABLE_INTERACTIONS)
        return eng_fail(QS_INVALID, "unknown table %d", (int)table);
    return 0;
}

/* Start of the hot window at @p now: the oldest of the periods kept hot. */
static int64_t hot_start(qs_txn *txn, const qs_bucket_policy *p, int64_t now)
{
    qs_period period = eng_period(txn);
    int64_t start = eng_period_start(period, now);
    for (unsigned i = 1; i < p->hot_periods && start > QS_TIME_MIN; i++)
        start = eng_period_prev(period, start);
    return start;
}

static int bucket_seal(qs_txn *txn, qs_table table, int64_t t, int64_t now, qs_bucket_info *out)
{
    int rc = eng_writable(txn);
    if (!rc)
        rc = check_table(table);
    if (rc)
        return rc;
    if (t < QS_TIME_MIN || t >= QS_TIME_MAX)
        return eng_fail(QS_INVALID, "time %lld is outside the years 1..9999", (long long)t);
    qs_bucket_policy p;
    eng_bucket b;
    if ((rc = policy_read(txn, &p)) != 0)
        return rc;
    rc = eng_bucket_at(txn, (eng_table)table, t, 0, &b);
    if (rc == QS_NOTFOUND)
        return eng_fail(rc, "no %s bucket holds time %lld",
                        table == QS_TABLE_ANSWERS ? "answer" : "interaction", (long long)t);
    if (rc)
        return rc;
    if (b.sealed)
        return eng_fail(QS_EXISTS, "bucket '%s' is sealed already", b.name);
    int64_t hot = hot_start(txn, &p, now);
    if (eng_period_next(eng_period(txn), b.start) > hot)
        return eng_fail(QS_HOT, "bucket '%s' is inside the hot window (%u periods)", b.name,
                        p.hot_periods);
    if ((rc = eng_bucket_seal(txn, &b)) != 0)
        return rc;
    if (!out)
        return 0;
    if ((rc = eng_bucket_at(txn, (eng_table)table, t, 0, &b)) != 0)
        return rc;
    return eng_bucket_info(txn, &b, out);
}

int qs_bucket_seal(qs_txn *txn, qs_table table, int64_t t, int64_t now, qs_bucket_info *out)
{
    ENG_GUARDED(txn, bucket_seal(txn, table, t, now, out));
}

/* ------------------------------------------------------------------ retention */

/* Drop the buckets of @p table whose period ended at or before @p cutoff. */
static int expire_table(qs_txn *txn, eng_table table, int64_t cutoff, size_t *dropped)
{
    qs_period period = eng_period(txn);
    eng_bucket_iter it;
    int rc = eng_bucket_iter_open(&it, txn, table, QS_TIME_MIN, cutoff, 0);
    /* the iterator's registry cursor would not survive the deletes: one at a time */
    while (!rc && (rc = eng_bucket_iter_next(&it)) == 0 &&
           eng_period_next(period, it.b.start) <= cutoff) {
        eng_bucket b = it.b;
        eng_bucket_iter_close(&it);
        if ((rc = eng_bucket_drop(txn, &b)) != 0)
            return rc;
        (*dropped)++;
        rc = eng_bucket_iter_open(&it, txn, table, QS_TIME_MIN, cutoff, 0);
    }
    eng_bucket_iter_close(&it);
    return rc == QS_NOTFOUND ? 0 : rc;
}

static int buckets_expire(qs_txn *txn, int64_t now, size_t *dropped)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    qs_bucket_policy p;
    size_t count = 0;
    if ((rc = policy_read(txn, &p)) != 0)
        return rc;
    const struct { eng_table table; unsigned days; } windows[] = {
        {ENG_T_ANSWER, p.answer_retention_days},
        {ENG_T_INTERACTION, p.interaction_retention_days},
    };
    for (size_t i = 0; !rc && i < 2; i++)
        if (windows[i].days)
            rc = expire_table(txn, windows[i].table,
                              now - (int64_t)windows[i].days * ENG_DAY_MS, &count);
    if (dropped)
        *dropped = count;
    return rc;
}

int qs_buckets_expire(qs_txn *txn, int64_t now, size_t *dropped)
{
    ENG_GUARDED(txn, buckets_expire(txn, now, dropped));
}
