/* bench_hist.h: a log-bucketed latency histogram (HDR style).
 *
 * Values are nanoseconds. Below 128 ns every value has its own bucket; above, each
 * power of two is split into 64 buckets, so a bucket is at most 1/64 of its lower
 * bound wide and a percentile, read at the bucket's midpoint, is within 0.8 % of the
 * recorded value. Recording is a shift and an increment; the table is 30 KB.
 */
#ifndef QS_BENCH_HIST_H
#define QS_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

typedef struct hist {
    uint64_t counts[HIST_BUCKETS];
    uint64_t n, min_ns, max_ns;
    double sum_ns;
} hist;

void hist_reset(hist *h);
void hist_record(hist *h, uint64_t ns);
/* The value at quantile @p q (0 < q <= 1) in nanoseconds; 0 when empty. */
double hist_quantile_ns(const hist *h, double q);
double hist_mean_ns(const hist *h);
/* Adds @p from's samples into @p into. */
void hist_merge(hist *into, const hist *from);

#endif /* QS_BENCH_HIST_H */
