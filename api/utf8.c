/* utf8.c: the one check of the texts the library stores.
 *
 * External ids, taxonomy names and question texts are UTF-8 without NUL bytes, so
 * that every form they are shown in (JSON, CSV, a terminal) holds them as they are
 * and two different ids never print alike (well-formed as util/utf8.h defines it).
 * Interaction payloads are bytes and are not checked.
 */
#include "api.h"
#include "util/utf8.h"

int api_check_utf8(const char *text, size_t len, const char *what)
{
    if (len == 0)
        return 0;   /* text may be NULL */
    const uint8_t *start = (const uint8_t *)text, *end = start + len;
    size_t n;
    for (const uint8_t *p = start; p < end; p += n) {
        if (*p == 0)
            return eng_fail(QS_INVALID, "%s: a NUL byte at byte %zu", what,
                            (size_t)(p - start));
        if ((n = ut_utf8_len(p, end)) == 0)
            return eng_fail(QS_INVALID, "%s: invalid UTF-8 at byte %zu (0x%02x)", what,
                            (size_t)(p - start), *p);
    }
    return 0;
}
