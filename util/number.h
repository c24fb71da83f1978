/* number.h: decimal integers as files and command lines write them.
 *
 * Strict: an optional sign (signed forms only), then 1-20 digits and nothing else: no
 * spaces, no base prefix, no digit separators. A value out of the type's range is an
 * error, not a clamp.
 */
#ifndef QS_UTIL_NUMBER_H
#define QS_UTIL_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* Parse the @p len bytes at @p s (no NUL needed). 0, or -1 when they are not a number
 * of the type (*out unchanged). */
int ut_parse_u64(const char *s, size_t len, uint64_t *out);
/* As ut_parse_u64(), with an optional '-' or '+'; INT64_MIN included. */
int ut_parse_i64(const char *s, size_t len, int64_t *out);

#endif /* QS_UTIL_NUMBER_H */
