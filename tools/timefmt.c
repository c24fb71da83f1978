/* timefmt.c: times on the command line, and the clocks (see timefmt.h). */
#include <string.h>
#include <time.h>

#include "timefmt.h"

int time_parse_arg(const char *s, int64_t *ms)
{
    if (strcmp(s, "now") == 0) {
        *ms = time_now_ms();
        return 0;
    }
    return ut_time_parse(s, strlen(s), ms);
}

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
