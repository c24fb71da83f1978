/* Tests for util/rng.h: the published first values of splitmix64 and xoshiro256**, and
 * the streams of the reference workload's generator (bench/workload.c), value for
 * value: the bench draws its data from these. */
#include "check.h"
#include "util/rng.h"

TEST(splitmix64_from_zero_as_published)
{
    static const uint64_t want[] = {0xe220a8397b1dcdafULL, 0x6e789e6aa1b965f4ULL,
                                    0x06c45d188009454fULL, 0xf88bb8a8724c81ecULL};
    uint64_t state = 0;
    for (size_t i = 0; i < NCASES(want); i++)
        CHECK_MSG(ut_splitmix64(&state) == want[i], "value %zu", i);
    CHECK(state == 4 * UT_GOLDEN_GAMMA);
}

TEST(xoshiro256starstar_from_1_2_3_4_as_published)
{
    static const uint64_t want[] = {11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL,
                                    1216172134540287360ULL, 607988272756665600ULL};
    ut_rng r = {{1, 2, 3, 4}};
    for (size_t i = 0; i < NCASES(want); i++)
        CHECK_MSG(ut_rng_next(&r) == want[i], "value %zu", i);
}

/* The first values of bench/workload.c's streams, rng_init(seed, domain, index) and
 * rng_next(), as that generator produces them (its domains: 1 question, 4 user,
 * 7 test, 8 a day's interactions). */
static const struct {
    uint64_t seed, domain, index;
    uint64_t first[5];
} workload_streams[] = {
    {42, 1, 0,
     {0x99cdfe7d5bfd6770ULL, 0x7a3afae8518d114bULL, 0x925da5df40348a4cULL,
      0x54a92c658e284e06ULL, 0x2170a0867cc85eaaULL}},
    {42, 7, 12345,
     {0xd7264fcc3cb83cd3ULL, 0xbd4cf4fb3c5fee51ULL, 0xeb1c006518456e53ULL,
      0x0b1a2e88cb6fab21ULL, 0xda86b2be8919091aULL}},
    {0, 4, 0,
     {0xb8642b854bd0ccd8ULL, 0x0e2984e3b77c96b8ULL, 0x7e0937a7a77c2c5dULL,
      0x38765799329f5ab8ULL, 0xbb480220177030fcULL}},
    {20260101, 8, 7,
     {0xf961a24d5325bd22ULL, 0x9acf054b41dec9abULL, 0xe6ca91faed99b6f5ULL,
      0x428a5e4fe723535cULL, 0xd10e83975e016e6cULL}},
};

TEST(workload_streams_value_for_value)
{
    for (size_t i = 0; i < NCASES(workload_streams); i++) {
        ut_rng r;
        ut_rng_stream(&r, workload_streams[i].seed, workload_streams[i].domain,
                      workload_streams[i].index);
        for (size_t j = 0; j < 5; j++)
            CHECK_MSG(ut_rng_next(&r) == workload_streams[i].first[j], "stream %zu value %zu",
                      i, j);
    }
}

/* The workload's rng_below(), rng_range() and rng_unit() of stream (42, 7, 1). */
TEST(workload_draws_value_for_value)
{
    static const uint64_t below_1000[] = {835, 320, 108, 31};
    static const uint32_t range_20_40[] = {37, 26, 22, 20};
    static const double unit[] = {0.83551849737804873, 0.32005844504706882,
                                  0.10815654513327344};
    ut_rng r;
    ut_rng_stream(&r, 42, 7, 1);
    for (size_t i = 0; i < NCASES(below_1000); i++)
        CHECK_EQ(ut_rng_below(&r, 1000), below_1000[i]);
    ut_rng_stream(&r, 42, 7, 1);
    for (size_t i = 0; i < NCASES(range_20_40); i++)
        CHECK_EQ(ut_rng_range(&r, 20, 40), range_20_40[i]);
    ut_rng_stream(&r, 42, 7, 1);
    for (size_t i = 0; i < NCASES(unit); i++)
        CHECK(ut_rng_unit(&r) == unit[i]);
}

TEST(draws_stay_in_range)
{
    ut_rng r;
    ut_rng_seed(&r, check_rand());
    for (int i = 0; i < 100000; i++) {
        uint64_t n = 1 + (check_rand() >> (check_rand() % 64));
        CHECK(ut_rng_below(&r, n) < n);
        uint32_t lo = (uint32_t)check_rand(), hi = lo + (uint32_t)(check_rand() % 100);
        if (hi < lo)
            hi = UINT32_MAX;
        uint32_t v = ut_rng_range(&r, lo, hi);
        CHECK(v >= lo && v <= hi);
        double u = ut_rng_unit(&r);
        CHECK(u >= 0.0 && u < 1.0);
    }
    CHECK_EQ(ut_rng_range(&r, 5, 5), 5);
    CHECK_EQ(ut_rng_below(&r, 1), 0);
}

static const check_case cases[] = {
    CASE(splitmix64_from_zero_as_published),
    CASE(xoshiro256starstar_from_1_2_3_4_as_published),
    CASE(workload_streams_value_for_value),
    CASE(workload_draws_value_for_value),
    CASE(draws_stay_in_range),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
