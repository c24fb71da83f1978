/* codec.h: fixed-width big-endian keys and checked record bodies.
 *
 * Keys are composites of fixed-width big-endian fields, so LMDB's memcmp order is
 * the order of the fields, left to right:
 *
 *   field        width  encoding
 *   u8/u16/u32   1/2/4  big-endian
 *   u64          8      big-endian
 *   time (i64)   8      big-endian of (uint64)t XOR 2^63, so negative times sort first
 *   day (i32)    4      big-endian of (uint32)d XOR 2^31
 *   bytes        n      as is; only as the last field
 *
 * A record (every value but index entries) is a header and a body:
 *
 *   offset  size  description
 *   0       1     format version of the body (ENG_REC_VERSION)
 *   1       4     checksum: low 32 bits of XXH3_64(body, seed = XXH3_64(key)),
 *                 big-endian; binds the body to its key
 *   5       n     body: fields written by eng_wbuf, read back by eng_rbuf in the
 *                 same order (layouts are documented where each record is built)
 *
 * Body fields use the key encodings above, plus length-prefixed strings
 * (u8 length, then bytes) and blobs (u32 length, then bytes).
 */
#ifndef QS_CODEC_H
#define QS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ENG_REC_VERSION 1
#define ENG_REC_HEADER 5
#define ENG_KEY_MAX 96

/* ------------------------------------------------------------ raw big-endian */

static inline void eng_put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void eng_put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v;
}
static inline void eng_put64(uint8_t *p, uint64_t v)
{
    eng_put32(p, (uint32_t)(v >> 32));
    eng_put32(p + 4, (uint32_t)v);
}
static inline uint16_t eng_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t eng_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t eng_get64(const uint8_t *p)
{
    return (uint64_t)eng_get32(p) << 32 | eng_get32(p + 4);
}
static inline uint64_t eng_time_bits(int64_t t) { return (uint64_t)t ^ (1ULL << 63); }
static inline int64_t eng_time_from_bits(uint64_t b) { return (int64_t)(b ^ (1ULL << 63)); }
static inline uint32_t eng_day_bits(int32_t d) { return (uint32_t)d ^ (1U << 31); }
static inline int32_t eng_day_from_bits(uint32_t b) { return (int32_t)(b ^ (1U << 31)); }

/* ------------------------------------------------------------ keys */

/* A key under construction. REQUIRES: the fields fit in ENG_KEY_MAX bytes
 * (every key of the store does; external ids are bounded by QS_EXT_ID_MAX). */
typedef struct eng_key {
    uint8_t b[ENG_KEY_MAX];
    size_t n;
} eng_key;

static inline void ek_reset(eng_key *k) { k->n = 0; }
static inline void ek_u8(eng_key *k, uint8_t v) { k->b[k->n++] = v; }
static inline void ek_u16(eng_key *k, uint16_t v) { eng_put16(k->b + k->n, v); k->n += 2; }
static inline void ek_u32(eng_key *k, uint32_t v) { eng_put32(k->b + k->n, v); k->n += 4; }
static inline void ek_u64(eng_key *k, uint64_t v) { eng_put64(k->b + k->n, v); k->n += 8; }
static inline void ek_time(eng_key *k, int64_t t) { ek_u64(k, eng_time_bits(t)); }
static inline void ek_day(eng_key *k, int32_t d) { ek_u32(k, eng_day_bits(d)); }
static inline void ek_bytes(eng_key *k, const void *p, size_t n)
{
    memcpy(k->b + k->n, p, n);
    k->n += n;
}

/* ------------------------------------------------------------ bodies */

/* A body writer over a caller buffer. Writing past @p cap sets @p overflow and
 * writes nothing more; check it once at the end. */
typedef struct eng_wbuf {
    uint8_t *b;
    size_t n, cap;
    int overflow;
} eng_wbuf;

static inline void wb_init(eng_wbuf *w, void *buf, size_t cap)
{
    w->b = buf;
    w->n = 0;
    w->cap = cap;
    w->overflow = 0;
}
static inline uint8_t *wb_room(eng_wbuf *w, size_t n)
{
    if (w->overflow || w->cap - w->n < n) {
        w->overflow = 1;
        return NULL;
    }
    w->n += n;
    return w->b + w->n - n;
}
static inline void wb_u8(eng_wbuf *w, uint8_t v)
{
    uint8_t *p = wb_room(w, 1);
    if (p) *p = v;
}
static inline void wb_u16(eng_wbuf *w, uint16_t v)
{
    uint8_t *p = wb_room(w, 2);
    if (p) eng_put16(p, v);
}
static inline void wb_u32(eng_wbuf *w, uint32_t v)
{
    uint8_t *p = wb_room(w, 4);
    if (p) eng_put32(p, v);
}
static inline void wb_u64(eng_wbuf *w, uint64_t v)
{
    uint8_t *p = wb_room(w, 8);
    if (p) eng_put64(p, v);
}
static inline void wb_time(eng_wbuf *w, int64_t t) { wb_u64(w, eng_time_bits(t)); }
static inline void wb_day(eng_wbuf *w, int32_t d) { wb_u32(w, eng_day_bits(d)); }
static inline void wb_bytes(eng_wbuf *w, const void *src, size_t n)
{
    uint8_t *p = wb_room(w, n);
    if (p && n) memcpy(p, src, n);
}
/* A string of at most 255 bytes: u8 length, bytes. */
static inline void wb_str(eng_wbuf *w, const char *s)
{
    size_t n = strlen(s);
    if (n > 255) {
        w->overflow = 1;
        return;
    }
    wb_u8(w, (uint8_t)n);
    wb_bytes(w, s, n);
}
/* A blob: u32 length, bytes. */
static inline void wb_blob(eng_wbuf *w, const void *p, size_t n)
{
    wb_u32(w, (uint32_t)n);
    wb_bytes(w, p, n);
}

/* A body reader: pointer and limit. Reading past the end sets @p bad and yields
 * zeros; check it once at the end (a bad body is QS_CORRUPT). */
typedef struct eng_rbuf {
    const uint8_t *p, *end;
    int bad;
} eng_rbuf;

static inline void rb_init(eng_rbuf *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
    r->bad = 0;
}
static inline size_t rb_left(const eng_rbuf *r) { return (size_t)(r->end - r->p); }
static inline const uint8_t *rb_take(eng_rbuf *r, size_t n)
{
    if (r->bad || rb_left(r) < n) {
        r->bad = 1;
        return NULL;
    }
    r->p += n;
    return r->p - n;
}
static inline uint8_t rb_u8(eng_rbuf *r)
{
    const uint8_t *p = rb_take(r, 1);
    return p ? *p : 0;
}
static inline uint16_t rb_u16(eng_rbuf *r)
{
    const uint8_t *p = rb_take(r, 2);
    return p ? eng_get16(p) : 0;
}
static inline uint32_t rb_u32(eng_rbuf *r)
{
    const uint8_t *p = rb_take(r, 4);
    return p ? eng_get32(p) : 0;
}
static inline uint64_t rb_u64(eng_rbuf *r)
{
    const uint8_t *p = rb_take(r, 8);
    return p ? eng_get64(p) : 0;
}
static inline int64_t rb_time(eng_rbuf *r) { return eng_time_from_bits(rb_u64(r)); }
static inline int32_t rb_day(eng_rbuf *r) { return eng_day_from_bits(rb_u32(r)); }
/* Copy a u8-length string into @p out (capacity @p cap, NUL-terminated). */
static inline void rb_str(eng_rbuf *r, char *out, size_t cap)
{
    size_t n = rb_u8(r);
    const uint8_t *p = rb_take(r, n);
    if (!p || n >= cap) {
        r->bad = 1;
        out[0] = 0;
        return;
    }
    memcpy(out, p, n);
    out[n] = 0;
}
/* A u32-length blob, in place. */
static inline const uint8_t *rb_blob(eng_rbuf *r, size_t *n)
{
    *n = rb_u32(r);
    const uint8_t *p = rb_take(r, *n);
    if (!p) *n = 0;
    return p;
}
/* The body is fully consumed and well-formed. */
static inline int rb_done(const eng_rbuf *r) { return !r->bad && r->p == r->end; }

#endif /* QS_CODEC_H */
