/* Tests for util/timestamp.h: timestamps read in both forms, before and after 1970,
 * with offsets and fractions, the malformed refused, and written back. */
#include "check.h"
#include "util/date.h"
#include "util/timestamp.h"

#define BAD INT64_MIN   /* expected: refused */

/* Expected values as Python's datetime computes them. */
static const struct {
    const char *text;
    int64_t ms;
} parse_vectors[] = {
    {"0", 0},
    {"-1", -1},
    {"1767225600000", 1767225600000LL},
    {"-62135596800000", -62135596800000LL},
    {"2026-01-01", 1767225600000LL},
    {"2026-01-01Z", 1767225600000LL},
    {"2026-01-01T00:00:00Z", 1767225600000LL},
    {"2026-01-01t00:00:00.000z", 1767225600000LL},
    {"2026-01-01 12:34", 1767270840000LL},
    {"2026-01-01T12:34:56.789Z", 1767270896789LL},
    {"2026-01-01T12:34:56,789", 1767270896789LL},
    {"2026-01-01T12:34:56.7891234Z", 1767270896789LL},   /* truncated, not rounded */
    {"2026-01-01T12:34:56.7Z", 1767270896700LL},
    {"2026-01-01T01:00+01:00", 1767225600000LL},
    {"2026-01-01T01:00+0100", 1767225600000LL},
    {"2026-01-01T01:00+01", 1767225600000LL},
    {"2026-01-01T00:00-05:30", 1767245400000LL},
    {"2000-02-29", 951782400000LL},
    {"1969-12-31T23:59:59.999Z", -1},
    {"1960-06-15T08:30:00Z", -301246200000LL},
    {"0001-01-01", -62135596800000LL},
    {"1900-02-29", BAD},          /* not a leap year */
    {"2026-02-29", BAD},
    {"2026-13-01", BAD},
    {"2026-00-01", BAD},
    {"2026-01-32", BAD},
    {"2026-01-00", BAD},
    {"2026-1-01", BAD},
    {"26-01-01", BAD},
    {"2026-01-01T", BAD},
    {"2026-01-01T24:00", BAD},
    {"2026-01-01T12:60", BAD},
    {"2026-01-01T12:34:60", BAD},
    {"2026-01-01T12:34:56.", BAD},
    {"2026-01-01T12", BAD},
    {"2026-01-01T12:34+24:00", BAD},
    {"2026-01-01T12:34+01:60", BAD},
    {"2026-01-01T12:34+1", BAD},
    {"2026-01-01T12:34 ", BAD},
    {"2026-01-01x", BAD},
    {"", BAD},
    {"now", BAD},
    {"9223372036854775808", BAD},
};

TEST(parse_golden)
{
    for (size_t i = 0; i < NCASES(parse_vectors); i++) {
        int64_t ms = 0;
        const char *text = parse_vectors[i].text;
        int rc = ut_time_parse(text, strlen(text), &ms);
        if (parse_vectors[i].ms == BAD)
            CHECK_MSG(rc == -1, "\"%s\" read as %" PRId64, text, ms);
        else
            CHECK_MSG(rc == 0 && ms == parse_vectors[i].ms, "\"%s\": %d, %" PRId64, text, rc,
                      ms);
    }
}

TEST(format_golden)
{
    static const struct {
        int64_t ms;
        const char *text;
    } times[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {1767270896789LL, "2026-01-01T12:34:56.789Z"},
        {-301246200000LL, "1960-06-15T08:30:00.000Z"},
        {-62135596800000LL, "0001-01-01T00:00:00.000Z"},
        {253402300799999LL, "9999-12-31T23:59:59.999Z"},
    };
    char out[UT_TIME_TEXT_SIZE];
    for (size_t i = 0; i < NCASES(times); i++) {
        ut_time_format(times[i].ms, out);
        CHECK_STR(out, times[i].text);
    }
    ut_day_format(0, out);
    CHECK_STR(out, "1970-01-01");
    ut_day_format(-1, out);
    CHECK_STR(out, "1969-12-31");
    ut_day_format(11016, out);
    CHECK_STR(out, "2000-02-29");
    ut_day_format(-719162, out);
    CHECK_STR(out, "0001-01-01");
}

TEST(written_times_read_back)
{
    char out[UT_TIME_TEXT_SIZE];
    for (int i = 0; i < 100000; i++) {
        /* years 0001 to 9999 */
        int64_t ms = check_range(-62135596800000LL, 253402300799999LL), got;
        ut_time_format(ms, out);
        CHECK_MSG(ut_time_parse(out, strlen(out), &got) == 0 && got == ms, "%s", out);
        ut_day_format(ut_day_of(ms), out);
        CHECK_MSG(ut_time_parse(out, strlen(out), &got) == 0 &&
                      got == ut_day_of(ms) * UT_DAY_MS, "%s", out);
    }
}

static const check_case cases[] = {
    CASE(parse_golden),
    CASE(format_golden),
    CASE(written_times_read_back),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
