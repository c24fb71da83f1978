/* date.h: the proleptic Gregorian calendar of UTC days.
 *
 * A day number counts days since 1970-01-01 (day 0, a Thursday); days before it are
 * negative. A time is epoch milliseconds, and its day is the floor of time / UT_DAY_MS,
 * so -1 ms lies in day -1 (1969-12-31). Weeks run Monday to Sunday, as ISO 8601 has
 * them: week 0 starts on Monday 1969-12-29 (day -3).
 *
 * Years are those of the proleptic Gregorian calendar, with a year 0 (1 BC) and
 * negative years before it; the conversions are exact for years within +-2^54 and day
 * numbers within +-2^62.
 */
#ifndef QS_UTIL_DATE_H
#define QS_UTIL_DATE_H

#include <stdint.h>

#define UT_DAY_MS 86400000LL

/* a / b and a mod b rounded toward minus infinity: the modulus has the sign of b.
 * REQUIRES: b != 0. */
static inline int64_t ut_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int64_t ut_floor_mod(int64_t a, int64_t b)
{
    return a - ut_floor_div(a, b) * b;
}

/* The day number holding the time @p ms. */
static inline int64_t ut_day_of(int64_t ms)
{
    return ut_floor_div(ms, UT_DAY_MS);
}

/* The day number of @p y - @p m - @p d. REQUIRES: 1 <= m <= 12, 1 <= d <= 31 (a day
 * past the month's end counts on into the next month). */
int64_t ut_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The date of day number @p day: *y, *m (1-12), *d (1-31). */
void ut_civil_from_days(int64_t day, int64_t *y, unsigned *m, unsigned *d);

/* 1 when @p y has a February 29, else 0. */
int ut_is_leap(int64_t y);

/* 28 to 31. REQUIRES: 1 <= m <= 12. */
unsigned ut_days_in_month(int64_t y, unsigned m);

/* ---- weeks ----------------------------------------------------------------------- */

/* The ISO weekday of day number @p day: 1 Monday .. 7 Sunday (day 0 is 4). */
static inline unsigned ut_weekday(int64_t day)
{
    return (unsigned)ut_floor_mod(day + 3, 7) + 1;
}

/* The Monday on or before day number @p day: the first day of its week. */
static inline int64_t ut_week_start(int64_t day)
{
    return day - ut_floor_mod(day + 3, 7);
}

/* The week holding day number @p day, counted from week 0 (Monday 1969-12-29 to
 * Sunday 1970-01-04); weeks before it are negative. */
static inline int64_t ut_week_of(int64_t day)
{
    return ut_floor_div(day + 3, 7);
}

/* The day number of the Monday that starts week @p week (ut_week_of's count). */
static inline int64_t ut_week_first_day(int64_t week)
{
    return week * 7 - 3;
}

#endif /* QS_UTIL_DATE_H */
