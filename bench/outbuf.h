/* outbuf.h: a buffered text writer for the bench's bulk output: qs-gen's CSV files
 * and the PostgreSQL peer's COPY rows.
 *
 * Bytes gather in the buffer and go to the sink when it is full and at ob_flush().
 * The sink's first error is kept in err and later output is dropped, so a writer
 * checks err once at the end. An outbuf is used by one thread at a time.
 */
#ifndef QS_BENCH_OUTBUF_H
#define QS_BENCH_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Takes @p n bytes at @p p; @return 0, or an errno value. */
typedef int (*ob_sink)(void *ctx, const char *p, size_t n);

typedef struct outbuf {
    char *buf;
    size_t len, cap;
    int err;               /* the sink's first error, or ENOMEM from ob_open() */
    ob_sink sink;
    void *ctx;
} outbuf;

/* A buffer of @p cap bytes for @p sink. @return 0, or ENOMEM (also in o->err). */
int ob_open(outbuf *o, size_t cap, ob_sink sink, void *ctx);
/* Hand what is buffered to the sink (unless it failed before). */
void ob_flush(outbuf *o);
/* Free the buffer; what is still in it is not written. NULL buffer is fine. */
void ob_close(outbuf *o);
void ob_mem(outbuf *o, const char *s, size_t n);

/* Room for @p n more bytes, at o->buf + o->len. REQUIRES: n <= o->cap. */
static inline char *ob_room(outbuf *o, size_t n)
{
    if (o->len + n > o->cap)
        ob_flush(o);
    return o->buf + o->len;
}

static inline void ob_char(outbuf *o, char c)
{
    *ob_room(o, 1) = c;
    o->len++;
}

static inline void ob_str(outbuf *o, const char *s)
{
    ob_mem(o, s, strlen(s));
}

/* Decimal, no padding. */
static inline void ob_u64(outbuf *o, uint64_t v)
{
    char d[20];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char *p = ob_room(o, (size_t)n);
    for (int i = 0; i < n; i++)
        p[i] = d[n - 1 - i];
    o->len += (size_t)n;
}

static inline void ob_i64(outbuf *o, int64_t v)
{
    if (v < 0) {
        ob_char(o, '-');
        ob_u64(o, 0 - (uint64_t)v);
    } else {
        ob_u64(o, (uint64_t)v);
    }
}

#endif /* QS_BENCH_OUTBUF_H */
