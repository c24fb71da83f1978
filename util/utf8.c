/* utf8.c: well-formed UTF-8 sequences (see utf8.h). */
#include "util/utf8.h"

size_t ut_utf8_len(const uint8_t *p, const uint8_t *end)
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
    /* the second byte's range says what the lead alone cannot */
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

size_t ut_utf8_encode(uint32_t cp, char out[UT_UTF8_MAX])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}
