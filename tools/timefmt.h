/* timefmt.h: timestamps as files and command lines write them.
 *
 * A timestamp is either epoch milliseconds (an integer, may be negative) or
 * ISO-8601: YYYY-MM-DD, optionally followed by 'T' (or a space) and hh:mm[:ss[.fff]],
 * optionally followed by Z or an offset +hh:mm / +hhmm / +hh (no suffix means UTC).
 * Fractions beyond milliseconds are truncated.
 */
#ifndef QS_TIMEFMT_H
#define QS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIME_TEXT_SIZE 32
#define TIME_DAY_MS 86400000LL

/* The UTC day number (days since 1970-01-01) holding @p ms. */
int32_t time_day(int64_t ms);

/* Parse @p len bytes of @p s. Returns 0, or -1 when it is neither form. */
int time_parse(const char *s, size_t len, int64_t *ms);

/* Like time_parse(), and "now" is the current time. */
int time_parse_arg(const char *s, int64_t *ms);

/* "2026-01-01T00:00:00.000Z" */
void time_format(int64_t ms, char out[TIME_TEXT_SIZE]);

/* "2026-01-01" for a UTC day number (days since 1970-01-01). */
void day_format(int32_t day, char out[TIME_TEXT_SIZE]);

/* The current time, epoch milliseconds. */
int64_t time_now_ms(void);

/* Seconds since an arbitrary start; for durations. */
double clock_seconds(void);

#endif /* QS_TIMEFMT_H */
