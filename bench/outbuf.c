/* outbuf.c: the buffered text writer (outbuf.h). */
#include <errno.h>
#include <stdlib.h>

#include "outbuf.h"

int ob_open(outbuf *o, size_t cap, ob_sink sink, void *ctx)
{
    *o = (outbuf){.buf = malloc(cap), .cap = cap, .sink = sink, .ctx = ctx};
    if (!o->buf)
        o->err = ENOMEM;
    return o->err;
}

void ob_flush(outbuf *o)
{
    if (o->len && !o->err)
        o->err = o->sink(o->ctx, o->buf, o->len);
    o->len = 0;
}

void ob_close(outbuf *o)
{
    free(o->buf);
    o->buf = NULL;
    o->len = o->cap = 0;
}

void ob_mem(outbuf *o, const char *s, size_t n)
{
    while (n) {
        size_t k = n < o->cap ? n : o->cap;
        memcpy(ob_room(o, k), s, k);
        o->len += k;
        s += k;
        n -= k;
    }
}
