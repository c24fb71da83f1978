/* timestamp.h: times as files and command lines write them.
 *
 * A timestamp is either epoch milliseconds (a decimal integer as number.h reads it,
 * may be negative) or ISO-8601: YYYY-MM-DD, optionally followed by 'T' (or a space)
 * and hh:mm[:ss[.fff]], optionally followed by Z or an offset +hh:mm / +hhmm / +hh
 * (no suffix means UTC). Fractions beyond milliseconds are truncated. Times are
 * written back in UTC, to the millisecond.
 */
#ifndef QS_UTIL_TIMESTAMP_H
#define QS_UTIL_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#define UT_TIME_TEXT_SIZE 32   /* room for either text below, with its NUL */

/* Parse the @p len bytes at @p s (no NUL needed) into epoch milliseconds. 0, or -1
 * when they are neither form (*ms unspecified). */
int ut_time_parse(const char *s, size_t len, int64_t *ms);

/* "2026-01-01T00:00:00.000Z" */
void ut_time_format(int64_t ms, char out[UT_TIME_TEXT_SIZE]);

/* "2026-01-01" for a day number (util/date.h). */
void ut_day_format(int64_t day, char out[UT_TIME_TEXT_SIZE]);

#endif /* QS_UTIL_TIMESTAMP_H */
