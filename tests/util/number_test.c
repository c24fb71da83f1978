/* Tests for util/number.h: strict decimal integers at and past their limits. */
#include "check.h"
#include "util/number.h"

static const struct {
    const char *text;
    int ok;
    uint64_t value;
} unsigned_vectors[] = {
    {"0", 1, 0},
    {"42", 1, 42},
    {"00000000000000000001", 1, 1},         /* 20 digits */
    {"18446744073709551615", 1, UINT64_MAX},
    {"18446744073709551616", 0, 0},         /* UINT64_MAX + 1 */
    {"99999999999999999999", 0, 0},
    {"000000000000000000001", 0, 0},        /* 21 digits */
    {"", 0, 0},
    {"+1", 0, 0},
    {"-0", 0, 0},
    {" 1", 0, 0},
    {"1 ", 0, 0},
    {"0x10", 0, 0},
    {"1e3", 0, 0},
    {"1_000", 0, 0},
};

static const struct {
    const char *text;
    int ok;
    int64_t value;
} signed_vectors[] = {
    {"0", 1, 0},
    {"-0", 1, 0},
    {"+7", 1, 7},
    {"-1", 1, -1},
    {"9223372036854775807", 1, INT64_MAX},
    {"-9223372036854775808", 1, INT64_MIN},
    {"9223372036854775808", 0, 0},
    {"-9223372036854775809", 0, 0},
    {"-18446744073709551615", 0, 0},
    {"", 0, 0},
    {"-", 0, 0},
    {"+", 0, 0},
    {"--1", 0, 0},
    {"+-1", 0, 0},
    {"1-", 0, 0},
};

TEST(unsigned_golden)
{
    for (size_t i = 0; i < NCASES(unsigned_vectors); i++) {
        uint64_t v = 12345;
        int rc = ut_parse_u64(unsigned_vectors[i].text, strlen(unsigned_vectors[i].text), &v);
        CHECK_MSG(rc == (unsigned_vectors[i].ok ? 0 : -1), "\"%s\": %d",
                  unsigned_vectors[i].text, rc);
        CHECK_MSG(v == (unsigned_vectors[i].ok ? unsigned_vectors[i].value : 12345),
                  "\"%s\": %" PRIu64, unsigned_vectors[i].text, v);
    }
}

TEST(signed_golden)
{
    for (size_t i = 0; i < NCASES(signed_vectors); i++) {
        int64_t v = 12345;
        int rc = ut_parse_i64(signed_vectors[i].text, strlen(signed_vectors[i].text), &v);
        CHECK_MSG(rc == (signed_vectors[i].ok ? 0 : -1), "\"%s\": %d", signed_vectors[i].text,
                  rc);
        CHECK_MSG(v == (signed_vectors[i].ok ? signed_vectors[i].value : 12345),
                  "\"%s\": %" PRId64, signed_vectors[i].text, v);
    }
}

TEST(only_the_given_length_is_read)
{
    uint64_t u;
    int64_t s;
    CHECK_EQ(ut_parse_u64("123x", 3, &u), 0);
    CHECK_EQ(u, 123);
    CHECK_EQ(ut_parse_i64("-45,6", 3, &s), 0);
    CHECK_EQ(s, -45);
    CHECK_EQ(ut_parse_u64("7", 0, &u), -1);
}

TEST(random_values_round_trip)
{
    char text[32];
    for (int i = 0; i < 100000; i++) {
        uint64_t u = check_rand() >> (check_rand() % 64), got_u;
        int64_t s = (int64_t)u * (check_rand() & 1 ? -1 : 1), got_s;
        snprintf(text, sizeof text, "%" PRIu64, u);
        CHECK(ut_parse_u64(text, strlen(text), &got_u) == 0 && got_u == u);
        snprintf(text, sizeof text, "%" PRId64, s);
        CHECK(ut_parse_i64(text, strlen(text), &got_s) == 0 && got_s == s);
    }
}

static const check_case cases[] = {
    CASE(unsigned_golden),
    CASE(signed_golden),
    CASE(only_the_given_length_is_read),
    CASE(random_values_round_trip),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
