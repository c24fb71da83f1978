/* Tests for util/grow.h: the capacities an array takes, its contents kept, and sizes
 * past SIZE_MAX refused with the array unchanged. */
#include "check.h"
#include "util/grow.h"

TEST(capacities_double_from_the_first)
{
    static const struct {
        size_t first, cap, need, want;
    } steps[] = {
        {16, 0, 0, 0},        /* nothing needed: nothing allocated */
        {16, 0, 1, 16},
        {16, 0, 16, 16},
        {16, 0, 17, 32},
        {16, 16, 16, 16},
        {16, 16, 17, 32},
        {16, 32, 1000, 1024},
        {16, 24, 25, 48},     /* doubling what the caller has */
        {1024, 0, 1, 1024},   /* the engine's vectors */
        {1024, 0, 1025, 2048},
        {1024, 2048, 2048, 2048},
    };
    for (size_t i = 0; i < NCASES(steps); i++) {
        size_t cap = steps[i].cap;
        void *p = cap ? malloc(cap) : NULL;
        CHECK_EQ(ut_grow_from(&p, &cap, steps[i].need, 1, steps[i].first), 0);
        CHECK_MSG(cap == steps[i].want, "step %zu: capacity %zu, want %zu", i, cap,
                  steps[i].want);
        free(p);
    }
}

TEST(contents_are_kept)
{
    uint32_t *v = NULL;
    size_t cap = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        CHECK_EQ(ut_grow((void **)&v, &cap, i + 1, sizeof *v), 0);
        CHECK(cap >= i + 1);
        v[i] = i * 2654435761u;
    }
    for (uint32_t i = 0; i < 100000; i++)
        CHECK_EQ(v[i], i * 2654435761u);
    CHECK_EQ(cap, 131072);   /* 16 * 2^13 */
    free(v);
}

TEST(sizes_past_size_max_are_refused)
{
    char *p = malloc(16);
    void *before = p;
    size_t cap = 16;
    CHECK_EQ(ut_grow((void **)&p, &cap, SIZE_MAX, 1), -1);
    CHECK(p == before && cap == 16);
    CHECK_EQ(ut_grow((void **)&p, &cap, SIZE_MAX / 8 + 1, 16), -1);
    CHECK(p == before && cap == 16);
    CHECK_EQ(ut_grow((void **)&p, &cap, 32, 1), 0);
    CHECK_EQ(cap, 32);
    free(p);
}

static const check_case cases[] = {
    CASE(capacities_double_from_the_first),
    CASE(contents_are_kept),
    CASE(sizes_past_size_max_are_refused),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
