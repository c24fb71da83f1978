/* Tests for util/date.h: day numbers of civil dates and back, leap years, weeks. */
#include "check.h"
#include "util/date.h"

/* Golden vectors: day numbers as Python's datetime.date counts them (and, before
 * year 1, by the proleptic calendar's year 0 of 366 days). */
static const struct {
    int64_t y;
    unsigned m, d;
    int64_t day;
    unsigned weekday;   /* ISO: 1 Monday .. 7 Sunday */
} dates[] = {
    {1970, 1, 1, 0, 4},
    {1969, 12, 31, -1, 3},
    {1969, 12, 29, -3, 1},        /* the Monday of week 0 */
    {1969, 7, 20, -165, 7},
    {1900, 2, 28, -25509, 3},     /* 1900 is not a leap year ... */
    {1900, 3, 1, -25508, 4},
    {2000, 2, 29, 11016, 2},      /* ... 2000 is */
    {2000, 3, 1, 11017, 3},
    {2024, 2, 29, 19782, 4},
    {2026, 1, 1, 20454, 4},
    {2038, 1, 19, 24855, 2},
    {1600, 2, 29, -135081, 2},
    {1582, 10, 15, -141427, 5},
    {1, 1, 1, -719162, 1},
    {0, 3, 1, -719468, 3},        /* the start of era 0 */
    {0, 2, 29, -719469, 2},
    {-1, 12, 31, -719529, 5},
    {9999, 12, 31, 2932896, 5},
};

TEST(golden_dates_both_ways)
{
    for (size_t i = 0; i < NCASES(dates); i++) {
        int64_t y;
        unsigned m, d;
        CHECK_MSG(ut_days_from_civil(dates[i].y, dates[i].m, dates[i].d) == dates[i].day,
                  "%lld-%02u-%02u", (long long)dates[i].y, dates[i].m, dates[i].d);
        ut_civil_from_days(dates[i].day, &y, &m, &d);
        CHECK_MSG(y == dates[i].y && m == dates[i].m && d == dates[i].d,
                  "day %lld: %lld-%02u-%02u", (long long)dates[i].day, (long long)y, m, d);
        CHECK_EQ(ut_weekday(dates[i].day), dates[i].weekday);
    }
}

TEST(every_day_of_eight_centuries_round_trips)
{
    int64_t day = ut_days_from_civil(1600, 1, 1);
    for (int64_t y = 1600; y < 2400; y++)
        for (unsigned m = 1; m <= 12; m++)
            for (unsigned d = 1; d <= ut_days_in_month(y, m); d++, day++) {
                int64_t gy;
                unsigned gm, gd;
                CHECK_EQ(ut_days_from_civil(y, m, d), day);
                ut_civil_from_days(day, &gy, &gm, &gd);
                CHECK(gy == y && gm == m && gd == d);
            }
    CHECK_EQ(day, ut_days_from_civil(2400, 1, 1));
}

TEST(leap_years_and_month_lengths)
{
    CHECK(ut_is_leap(2000) && ut_is_leap(2024) && ut_is_leap(1600) && ut_is_leap(0));
    CHECK(!ut_is_leap(1900) && !ut_is_leap(2100) && !ut_is_leap(2023) && !ut_is_leap(1));
    CHECK(ut_is_leap(-4) && !ut_is_leap(-100) && ut_is_leap(-400));
    CHECK_EQ(ut_days_in_month(2000, 2), 29);
    CHECK_EQ(ut_days_in_month(1900, 2), 28);
    CHECK_EQ(ut_days_in_month(2026, 1), 31);
    CHECK_EQ(ut_days_in_month(2026, 4), 30);
    CHECK_EQ(ut_days_in_month(2026, 12), 31);
}

TEST(days_of_times_round_down)
{
    CHECK_EQ(ut_day_of(0), 0);
    CHECK_EQ(ut_day_of(UT_DAY_MS - 1), 0);
    CHECK_EQ(ut_day_of(UT_DAY_MS), 1);
    CHECK_EQ(ut_day_of(-1), -1);
    CHECK_EQ(ut_day_of(-UT_DAY_MS), -1);
    CHECK_EQ(ut_day_of(-UT_DAY_MS - 1), -2);
    CHECK_EQ(ut_day_of(1767225600000LL), 20454);   /* 2026-01-01T00:00:00Z */
    CHECK_EQ(ut_floor_div(7, 2), 3);
    CHECK_EQ(ut_floor_div(-7, 2), -4);
    CHECK_EQ(ut_floor_div(-8, 2), -4);
    CHECK_EQ(ut_floor_mod(-1, 7), 6);
    CHECK_EQ(ut_floor_mod(13, 7), 6);
    CHECK_EQ(ut_floor_mod(-14, 7), 0);
}

TEST(weeks_start_on_monday)
{
    CHECK_EQ(ut_week_of(-3), 0);                 /* Monday 1969-12-29 */
    CHECK_EQ(ut_week_of(3), 0);                  /* Sunday 1970-01-04 */
    CHECK_EQ(ut_week_of(4), 1);
    CHECK_EQ(ut_week_of(-4), -1);
    CHECK_EQ(ut_week_first_day(0), -3);
    CHECK_EQ(ut_week_first_day(-1), -10);
    int64_t monday = ut_days_from_civil(2026, 1, 5);
    for (int64_t day = monday - 400; day < monday + 400; day++) {
        int64_t start = ut_week_start(day);
        CHECK_EQ(ut_weekday(start), 1);
        CHECK(start <= day && day - start < 7);
        CHECK_EQ(day - start + 1, ut_weekday(day));
        CHECK_EQ(ut_week_first_day(ut_week_of(day)), start);
    }
    CHECK_EQ(ut_week_start(ut_days_from_civil(2026, 1, 11)), monday);
    CHECK_EQ(ut_week_start(ut_days_from_civil(2026, 1, 4)), monday - 7);
}

static const check_case cases[] = {
    CASE(golden_dates_both_ways),
    CASE(every_day_of_eight_centuries_round_trips),
    CASE(leap_years_and_month_lengths),
    CASE(days_of_times_round_down),
    CASE(weeks_start_on_monday),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
