/* utf8.h: well-formed UTF-8, as Unicode's table 3-7 defines it.
 *
 * A well-formed sequence is one code point in its shortest form: no overlong forms
 * (c0, c1, e0 80-9f, f0 80-8f), no surrogates (ed a0-bf), nothing past U+10FFFF
 * (f4 90-bf, f5-ff), and no sequence cut short. NUL is well-formed (U+0000); callers
 * that refuse it check for it themselves.
 */
#ifndef QS_UTIL_UTF8_H
#define QS_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UT_UTF8_MAX 4   /* bytes of the longest sequence */

/* The length (1-4) of the well-formed sequence that starts at @p p and ends at or
 * before @p end, or 0 when none starts there (a continuation byte, a lead byte that no
 * sequence has, a byte out of its range, or @p end reached first).
 * REQUIRES: p < end. */
size_t ut_utf8_len(const uint8_t *p, const uint8_t *end);

/* Write code point @p cp into @p out; returns its length, 1-4.
 * REQUIRES: cp <= 0x10FFFF and is not a surrogate (d800-dfff). */
size_t ut_utf8_encode(uint32_t cp, char out[UT_UTF8_MAX]);

#endif /* QS_UTIL_UTF8_H */
