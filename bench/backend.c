/* backend.c: what every backend shares: canonical results and failure reasons. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

void bk_result_reset(bk_result *r)
{
    r->len = 0;
    r->rows = 0;
}

void bk_result_free(bk_result *r)
{
    free(r->bytes);
    memset(r, 0, sizeof *r);
}

void bk_reserve(bk_result *r, size_t n)
{
    if (r->cap - r->len >= n)
        return;
    size_t cap = r->cap ? r->cap : 256;
    while (cap - r->len < n)
        cap *= 2;
    uint8_t *b = realloc(r->bytes, cap);
    if (!b) {
        fprintf(stderr, "bench: out of memory\n");
        exit(EXIT_FAILURE);
    }
    r->bytes = b;
    r->cap = cap;
}

static void put_bytes(bk_result *r, const void *p, size_t n)
{
    bk_reserve(r, n);
    memcpy(r->bytes + r->len, p, n);
    r->len += n;
}

void bk_put_str(bk_result *r, const char *s, size_t len)
{
    bk_put_u64(r, len);
    put_bytes(r, s, len);
}

int bk_fail(backend *be, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(be->err, sizeof be->err, "%s: ", be->ops->name);
    vsnprintf(be->err + n, sizeof be->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

backend *bk_new(const backend_ops *ops)
{
    backend *be = calloc(1, sizeof *be);
    if (be)
        be->ops = ops;
    return be;
}

void bk_free(backend *be)
{
    if (!be)
        return;
    if (be->impl)
        be->ops->close(be);
    free(be);
}
