/* rng.h: the bench's random streams, xoshiro256** seeded through splitmix64.
 *
 * One generator for the whole bench: the workload keys a stream by (seed, domain,
 * entity) (workload_int.h), the harness by (seed, purpose) (bd_rng_init, bench_data.c).
 * Both fill the state with rng_seed(), so only the 64-bit key differs. Never libc's
 * rand: the same key gives the same draws on every machine and build.
 *
 * Header-only, so that the generator's loops inline every draw. A stream is used by
 * one thread at a time.
 */
#ifndef QS_BENCH_RNG_H
#define QS_BENCH_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

/* splitmix64's finaliser: a bijection of 64-bit values that mixes every bit. */
static inline uint64_t rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The state of the stream keyed by @p x: four splitmix64 steps from it. */
static inline void rng_seed(rng *r, uint64_t x)
{
    for (int i = 0; i < 4; i++) {
        x += 0x9E3779B97F4A7C15ULL;
        r->s[i] = rng_mix64(x);
    }
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n); the bias of a 64-bit multiply-shift is below n / 2^64.
 * One draw, also for n = 1. REQUIRES: n > 0. */
static inline uint64_t rng_below(rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi], bounds included. REQUIRES: lo <= hi. */
static inline uint32_t rng_range(rng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)rng_below(r, (uint64_t)hi - lo + 1);
}

/* Uniform in [0, 1). */
static inline double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

#endif /* QS_BENCH_RNG_H */
