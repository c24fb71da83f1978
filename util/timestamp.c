/* timestamp.c: ISO-8601 and epoch-millisecond timestamps (see timestamp.h). */
#include <stdio.h>

#include "util/date.h"
#include "util/number.h"
#include "util/timestamp.h"

/* Read exactly @p n digits at *p (bounded by end). */
static int digits(const char **p, const char *end, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= end || **p < '0' || **p > '9')
            return -1;
        v = v * 10 + (unsigned)(**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

static int expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return -1;
    (*p)++;
    return 0;
}

/* Z, +hh, +hhmm, +hh:mm (or -), or nothing: the offset east of UTC in minutes. */
static int parse_offset(const char **p, const char *end, int64_t *minutes)
{
    *minutes = 0;
    if (*p == end)
        return 0;
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        return 0;
    }
    if (**p != '+' && **p != '-')
        return -1;
    int sign = **p == '-' ? -1 : 1;
    (*p)++;
    unsigned hh, mm = 0;
    if (digits(p, end, 2, &hh) != 0)
        return -1;
    if (*p < end && **p == ':')
        (*p)++;
    if (*p < end && digits(p, end, 2, &mm) != 0)
        return -1;
    if (hh > 23 || mm > 59)
        return -1;
    *minutes = sign * (int64_t)(hh * 60 + mm);
    return 0;
}

static int parse_iso(const char *s, size_t len, int64_t *ms)
{
    const char *p = s, *end = s + len;
    unsigned year, mon, day, hh = 0, mi = 0, ss = 0, frac = 0;
    if (digits(&p, end, 4, &year) || expect(&p, end, '-') || digits(&p, end, 2, &mon) ||
        expect(&p, end, '-') || digits(&p, end, 2, &day))
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > ut_days_in_month(year, mon))
        return -1;
    if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
        p++;
        if (digits(&p, end, 2, &hh) || expect(&p, end, ':') || digits(&p, end, 2, &mi))
            return -1;
        if (p < end && *p == ':') {
            p++;
            if (digits(&p, end, 2, &ss))
                return -1;
            if (p < end && (*p == '.' || *p == ',')) {
                p++;
                int n = 0;
                for (; p < end && *p >= '0' && *p <= '9'; p++, n++)
                    if (n < 3)
                        frac = frac * 10 + (unsigned)(*p - '0');
                if (n == 0)
                    return -1;
                for (; n < 3; n++)
                    frac *= 10;
            }
        }
        if (hh > 23 || mi > 59 || ss > 59)
            return -1;
    }
    int64_t offset_min;
    if (parse_offset(&p, end, &offset_min) != 0 || p != end)
        return -1;
    int64_t days = ut_days_from_civil(year, mon, day);
    *ms = days * UT_DAY_MS + ((int64_t)hh * 3600 + mi * 60 + ss) * 1000 + frac -
          offset_min * 60000;
    return 0;
}

int ut_time_parse(const char *s, size_t len, int64_t *ms)
{
    if (ut_parse_i64(s, len, ms) == 0)
        return 0;
    return parse_iso(s, len, ms);
}

void ut_time_format(int64_t ms, char out[UT_TIME_TEXT_SIZE])
{
    int64_t days = ut_day_of(ms);
    int64_t rest = ms - days * UT_DAY_MS;
    int64_t y;
    unsigned m, d;
    ut_civil_from_days(days, &y, &m, &d);
    snprintf(out, UT_TIME_TEXT_SIZE, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y,
             m, d, (unsigned)(rest / 3600000), (unsigned)(rest / 60000 % 60),
             (unsigned)(rest / 1000 % 60), (unsigned)(rest % 1000));
}

void ut_day_format(int64_t day, char out[UT_TIME_TEXT_SIZE])
{
    int64_t y;
    unsigned m, d;
    ut_civil_from_days(day, &y, &m, &d);
    snprintf(out, UT_TIME_TEXT_SIZE, "%04lld-%02u-%02u", (long long)y, m, d);
}
