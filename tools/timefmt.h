/* timefmt.h: times on the command line, and the clocks.
 *
 * Timestamps themselves, their forms, parser and writers, are util/timestamp.h's.
 */
#ifndef QS_TIMEFMT_H
#define QS_TIMEFMT_H

#include <stdint.h>

#include "util/timestamp.h"

/* Like ut_time_parse() of a NUL-terminated @p s, and "now" is the current time. */
int time_parse_arg(const char *s, int64_t *ms);

/* The current time, epoch milliseconds. */
int64_t time_now_ms(void);

/* Seconds since an arbitrary start; for durations. */
double clock_seconds(void);

#endif /* QS_TIMEFMT_H */
