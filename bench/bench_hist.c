/* bench_hist.c: the log-bucketed latency histogram. */
#include <string.h>

#include "bench_hist.h"

#define EXACT_LIMIT (2u << HIST_SUB_BITS)   /* values below it have their own bucket */

static unsigned bucket_of(uint64_t v)
{
    if (v < EXACT_LIMIT)
        return (unsigned)v;
    unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
    return (shift << HIST_SUB_BITS) + (unsigned)(v >> shift);
}

/* The midpoint of bucket @p b. */
static double bucket_value(unsigned b)
{
    if (b < EXACT_LIMIT)
        return b;
    unsigned shift = (b >> HIST_SUB_BITS) - 1;
    uint64_t mant = (b & ((1u << HIST_SUB_BITS) - 1)) + (1u << HIST_SUB_BITS);
    double lower = (double)(mant << shift);
    return lower + (double)(1ULL << shift) / 2;
}

void hist_reset(hist *h)
{
    memset(h, 0, sizeof *h);
}

void hist_record(hist *h, uint64_t ns)
{
    h->counts[bucket_of(ns)]++;
    if (h->n == 0 || ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
    h->n++;
    h->sum_ns += (double)ns;
}

double hist_quantile_ns(const hist *h, double q)
{
    if (h->n == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->n + 0.999999);   /* ceil, at least 1 */
    if (rank < 1)
        rank = 1;
    if (rank > h->n)
        rank = h->n;
    uint64_t seen = 0;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= rank) {
            double v = bucket_value(b);
            /* The midpoint may lie outside what was recorded. */
            if (v > (double)h->max_ns)
                v = (double)h->max_ns;
            if (v < (double)h->min_ns)
                v = (double)h->min_ns;
            return v;
        }
    }
    return (double)h->max_ns;
}

double hist_mean_ns(const hist *h)
{
    return h->n ? h->sum_ns / (double)h->n : 0;
}

void hist_merge(hist *into, const hist *from)
{
    if (from->n == 0)
        return;
    for (unsigned b = 0; b < HIST_BUCKETS; b++)
        into->counts[b] += from->counts[b];
    if (into->n == 0 || from->min_ns < into->min_ns)
        into->min_ns = from->min_ns;
    if (from->max_ns > into->max_ns)
        into->max_ns = from->max_ns;
    into->n += from->n;
    into->sum_ns += from->sum_ns;
}
