/* options.c: the library's version, and the options of qs_env_open(). */
#include <string.h>

#include "engine_int.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *qs_version(void)
{
    return STR(QS_VERSION_MAJOR) "." STR(QS_VERSION_MINOR) "." STR(QS_VERSION_PATCH);
}

void qs_options_init(qs_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->map_size = 64ULL << 30;
    o->max_readers = 126;
    o->durability = QS_SYNC_DURABLE;
    o->sync_interval_ms = 1000;
    o->bucket_period = QS_PERIOD_MONTH;
}

int eng_options_check(const qs_options *o)
{
    if (o->map_size < (1ULL << 20))
        return eng_fail(QS_INVALID, "map_size %llu is below 1 MiB",
                        (unsigned long long)o->map_size);
    if (o->max_readers < 1 || o->max_readers > 32768)
        return eng_fail(QS_INVALID, "max_readers %u is outside 1..32768", o->max_readers);
    if (o->durability != QS_SYNC_DURABLE && o->durability != QS_SYNC_PERIODIC)
        return eng_fail(QS_INVALID, "unknown durability %d", (int)o->durability);
    if (o->durability == QS_SYNC_PERIODIC && o->sync_interval_ms == 0)
        return eng_fail(QS_INVALID, "sync_interval_ms is 0");
    if ((unsigned)o->bucket_period > QS_PERIOD_DAY)
        return eng_fail(QS_INVALID, "unknown bucket period %d", (int)o->bucket_period);
    return 0;
}
