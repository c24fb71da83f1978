/* buckets_retention.c: `quizstore buckets expire` and `buckets policy`, the
 * retention of the buckets and the hot window. */
#include <stdlib.h>

#include "buckets.h"
#include "timefmt.h"

/* ---- expire ----------------------------------------------------------------------------- */

static void retention_text(unsigned days, char *out, size_t len)
{
    if (days)
        snprintf(out, len, "%u day%s", days, days == 1 ? "" : "s");
    else
        snprintf(out, len, "forever");
}

int buckets_expire(const buckets_args *a, qs_env *env)
{
    int64_t now;
    if (parse_now(a, &now) != 0)
        return 1;
    qs_txn *txn = NULL;
    qs_bucket_info *before = NULL, *after = NULL;
    qs_bucket_policy policy = {.size = sizeof policy};
    size_t n_before = 0, n_after = 0, dropped = 0;
    if (buckets_begin(a, env, 0, &txn) != 0)
        return 1;
    int rc = qs_bucket_policy_get(txn, &policy);
    if (rc == 0)
        rc = read_buckets(txn, &before, &n_before);
    if (rc == 0)
        rc = qs_buckets_expire(txn, now, &dropped);
    if (rc == 0)
        rc = read_buckets(txn, &after, &n_after);
    if (rc == 0)
        rc = qs_txn_commit(txn);
    else
        qs_txn_abort(txn);
    if (rc != 0) {
        msg_rc(a->context, rc);
        free(before);
        free(after);
        return 1;
    }

    for (size_t i = 0; i < n_before; i++)
        if (!bucket_at(after, n_after, before[i].table, before[i].start))
            printf("dropped %s\n", before[i].name);
    char answers[32], interactions[32], now_text[UT_TIME_TEXT_SIZE];
    retention_text(policy.answer_retention_days, answers, sizeof answers);
    retention_text(policy.interaction_retention_days, interactions, sizeof interactions);
    ut_time_format(now, now_text);
    printf("dropped %zu bucket%s (answers kept %s, interactions %s, at %s)\n", dropped,
           dropped == 1 ? "" : "s", answers, interactions, now_text);
    free(before);
    free(after);
    return 0;
}

/* ---- policy ----------------------------------------------------------------------------- */

static void print_policy(const qs_bucket_policy *p)
{
    char answers[32], interactions[32];
    retention_text(p->answer_retention_days, answers, sizeof answers);
    retention_text(p->interaction_retention_days, interactions, sizeof interactions);
    printf("hot periods          %u\n", p->hot_periods);
    printf("keep answers         %s\n", answers);
    printf("keep interactions    %s\n", interactions);
}

int policy_changes(const buckets_args *a)
{
    return a->hot_set || a->keep_answers_set || a->keep_interactions_set;
}

int buckets_policy(const buckets_args *a, qs_env *env)
{
    int writes = policy_changes(a);
    qs_txn *txn = NULL;
    qs_bucket_policy policy = {.size = sizeof policy};
    if (buckets_begin(a, env, writes ? 0 : QS_TXN_RDONLY, &txn) != 0)
        return 1;
    int rc = qs_bucket_policy_get(txn, &policy);
    if (rc == 0 && writes) {
        if (a->hot_set)
            policy.hot_periods = a->hot;
        if (a->keep_answers_set)
            policy.answer_retention_days = a->keep_answers;
        if (a->keep_interactions_set)
            policy.interaction_retention_days = a->keep_interactions;
        rc = qs_bucket_policy_set(txn, &policy);
        if (rc == 0)
            rc = qs_bucket_policy_get(txn, &policy);
        if (rc == 0) {
            rc = qs_txn_commit(txn);
            txn = NULL;
        }
    }
    qs_txn_abort(txn);
    if (rc != 0) {
        msg_rc(a->context, rc);
        return 1;
    }
    print_policy(&policy);
    return 0;
}
