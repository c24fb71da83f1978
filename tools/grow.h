/* grow.h: growing a caller's array. */
#ifndef QS_GROW_H
#define QS_GROW_H

#include <stdlib.h>

/* Room for @p need elements of @p size bytes in *p, whose capacity *cap doubles as
 * needed. 0, or -1 out of memory (*p and *cap unchanged). */
static inline int grow_array(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

#endif /* QS_GROW_H */
