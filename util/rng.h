/* rng.h: seedable pseudo-random streams: splitmix64, and xoshiro256** (Blackman and
 * Vigna) seeded from it, as its authors advise.
 *
 * A stream is its state alone: the same seed gives the same values on every platform
 * and in every build, so a seed names a data set. Not for cryptography. splitmix64 is
 * one 64-bit word of state, enough for the library's draws and shuffles; ut_rng, four
 * words, has a period of 2^256 - 1 and no weak low bits, for long streams of data.
 *
 * ut_rng_stream() keys a stream by (seed, domain, index), so that every entity of a
 * generated workload has its own stream whatever order it is asked for in: the values
 * are those of the reference workload's generator, bench/workload.c.
 *
 * All functions are inline: a draw is a few instructions, in the callers' hot loops.
 */
#ifndef QS_UTIL_RNG_H
#define QS_UTIL_RNG_H

#include <stdint.h>

#define UT_GOLDEN_GAMMA 0x9E3779B97F4A7C15ULL   /* 2^64 / phi, odd: splitmix64's step */

/* splitmix64's output function: a bijection of 64-bit words that mixes every bit of
 * @p z into every bit of the result (Stafford's variant 13). */
static inline uint64_t ut_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The next value of the splitmix64 stream whose state is *state (any value). */
static inline uint64_t ut_splitmix64(uint64_t *state)
{
    return ut_mix64(*state += UT_GOLDEN_GAMMA);
}

/* ---- xoshiro256** ---------------------------------------------------------------- */

typedef struct ut_rng {
    uint64_t s[4];   /* never all zero */
} ut_rng;

/* Seed @p r with the next four values of a splitmix64 stream started at @p x. */
static inline void ut_rng_seed(ut_rng *r, uint64_t x)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = ut_splitmix64(&x);
}

/* Seed @p r as the stream @p index of @p domain under @p seed: streams of different
 * keys are unrelated. */
static inline void ut_rng_stream(ut_rng *r, uint64_t seed, uint64_t domain, uint64_t index)
{
    uint64_t x = ut_mix64(ut_mix64(seed) ^ (domain * 0xD1B54A32D192ED03ULL));
    ut_rng_seed(r, ut_mix64(x ^ (index * UT_GOLDEN_GAMMA)));
}

static inline uint64_t ut_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t ut_rng_next(ut_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ut_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ut_rotl64(s[3], 45);
    return result;
}

/* Uniform in [0, @p n), one value of the stream each (Lemire's multiply-shift without
 * rejection: the bias is below n / 2^64). REQUIRES: n > 0. */
static inline uint64_t ut_rng_below(ut_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)ut_rng_next(r) * n) >> 64);
}

/* Uniform in [@p lo, @p hi]. REQUIRES: lo <= hi. */
static inline uint32_t ut_rng_range(ut_rng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)ut_rng_below(r, (uint64_t)hi - lo + 1);
}

/* Uniform in [0, 1), in steps of 2^-53. */
static inline double ut_rng_unit(ut_rng *r)
{
    return (double)(ut_rng_next(r) >> 11) * 0x1.0p-53;
}

#endif /* QS_UTIL_RNG_H */
