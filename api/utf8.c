/* utf8.c: the one check of the texts the library stores.
 *
 * External ids, taxonomy names and question texts are UTF-8 without NUL bytes, so
 * that every form they are shown in (JSON, CSV, a terminal) holds them as they are
 * and two different ids never print alike. Interaction payloads are bytes and are
 * not checked.
 */
#include "api.h"

/* Length of the well-formed UTF-8 sequence at @p p (before @p end), or 0 (Unicode
 * table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF, nothing cut
 * short). */
static size_t sequence_length(const uint8_t *p, const uint8_t *end)
{
    uint8_t lead = p[0], lo = 0x80, hi = 0xbf;
    size_t n;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xc2 && lead <= 0xdf)
        n = 2;
    else if (lead >= 0xe0 && lead <= 0xef)
        n = 3;
    else if (lead >= 0xf0 && lead <= 0xf4)
        n = 4;
    else
        return 0;   /* a continuation byte, an overlong lead (c0, c1), or past U+10FFFF */
    if (lead == 0xe0)
        lo = 0xa0;   /* below: overlong */
    else if (lead == 0xed)
        hi = 0x9f;   /* above: surrogates */
    else if (lead == 0xf0)
        lo = 0x90;   /* below: overlong */
    else if (lead == 0xf4)
        hi = 0x8f;   /* above: past U+10FFFF */
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

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
        if ((n = sequence_length(p, end)) == 0)
            return eng_fail(QS_INVALID, "%s: invalid UTF-8 at byte %zu (0x%02x)", what,
                            (size_t)(p - start), *p);
    }
    return 0;
}
