/* grow.h: a caller's array that doubles as it fills.
 *
 * The caller keeps the pointer and the capacity (in elements, 0 with a NULL pointer
 * before the first call) and frees the pointer when done.
 */
#ifndef QS_UTIL_GROW_H
#define QS_UTIL_GROW_H

#include <stdint.h>
#include <stdlib.h>

#define UT_GROW_FIRST 16   /* ut_grow()'s first capacity */

/* Room for @p need elements of @p size bytes in *p, of capacity *cap. When it is short,
 * *p is reallocated to *cap (or @p first when *cap is 0) doubled until it holds need.
 * 0, or -1 out of memory or past SIZE_MAX bytes (*p and *cap unchanged).
 * REQUIRES: first > 0. */
static inline int ut_grow_from(void **p, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : first;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -1;
        n *= 2;
    }
    if (size && n > SIZE_MAX / size)
        return -1;
    void *q = realloc(*p, n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* ut_grow_from() with the first capacity UT_GROW_FIRST. */
static inline int ut_grow(void **p, size_t *cap, size_t need, size_t size)
{
    return ut_grow_from(p, cap, need, size, UT_GROW_FIRST);
}

#endif /* QS_UTIL_GROW_H */
