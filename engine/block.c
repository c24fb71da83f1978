/* block.c: the column form of a sealed block's rows (before compression).
 *
 * A block holds n rows of one user in key order. Each column is written whole
 * before the next, so that zstd sees runs of like values:
 *
 *   column       coding
 *   created_at   first: zigzag varint; then varint of the gap to the previous row
 *   id           zigzag varint of the difference to the previous row's (first: to 0)
 *   answers:
 *     test       zigzag varint of the difference to the previous row's
 *     question   varint
 *     topic      varint
 *     correct, status, score, chosen    one byte each, a column apiece
 *     time_ms    varint
 *   interactions:
 *     action     one byte
 *     length     varint
 *     payload    the payloads, one after another
 *
 * Varints are LEB128: 7 bits a byte, low first, the high bit set on all but the last.
 */
#include "rows.h"

#define VARINT_MAX 10

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* A bounded reader: reads past the end set bad instead. */
typedef struct col_reader {
    const uint8_t *p, *end;
    int bad;
} col_reader;

static uint64_t get_varint(col_reader *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            break;
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static uint8_t get_byte(col_reader *r)
{
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

size_t eng_block_bound(eng_table table, size_t n, size_t payload_bytes)
{
    size_t per_row = 2 * VARINT_MAX + (table == ENG_T_ANSWER ? 4 * VARINT_MAX + 4 : 1 + 3);
    return n * per_row + payload_bytes;
}

/* The key columns every table has. */
static uint8_t *encode_keys(const eng_row *rows, size_t n, uint8_t *p)
{
    for (size_t i = 0; i < n; i++)
        p = put_varint(p, i ? (uint64_t)(rows[i].a.created_at - rows[i - 1].a.created_at)
                            : zigzag(rows[0].a.created_at));
    for (size_t i = 0; i < n; i++)
        p = put_varint(p, zigzag((int64_t)(rows[i].a.id - (i ? rows[i - 1].a.id : 0))));
    return p;
}

static uint8_t *encode_answers(const eng_row *rows, size_t n, uint8_t *p)
{
    for (size_t i = 0; i < n; i++)
        p = put_varint(p, zigzag((int64_t)(rows[i].a.test - (i ? rows[i - 1].a.test : 0))));
    for (size_t i = 0; i < n; i++)
        p = put_varint(p, rows[i].a.question);
    for (size_t i = 0; i < n; i++)
        p = put_varint(p, rows[i].a.topic);
    for (size_t i = 0; i < n; i++)
        *p++ = rows[i].a.correct;
    for (size_t i = 0; i < n; i++)
        *p++ = rows[i].a.status;
    for (size_t i = 0; i < n; i++)
        *p++ = rows[i].a.score;
    for (size_t i = 0; i < n; i++)
        *p++ = (uint8_t)rows[i].a.chosen;
    for (size_t i = 0; i < n; i++)
        p = put_varint(p, rows[i].a.time_ms);
    return p;
}

static uint8_t *encode_interactions(const eng_row *rows, size_t n, uint8_t *p)
{
    for (size_t i = 0; i < n; i++)
        *p++ = rows[i].i.action;
    for (size_t i = 0; i < n; i++)
        p = put_varint(p, rows[i].i.payload_len);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].i.payload_len)
            memcpy(p, rows[i].i.payload, rows[i].i.payload_len);
        p += rows[i].i.payload_len;
    }
    return p;
}

size_t eng_block_encode(eng_table table, const eng_row *rows, size_t n, uint8_t *out)
{
    uint8_t *p = encode_keys(rows, n, out);
    p = table == ENG_T_ANSWER ? encode_answers(rows, n, p) : encode_interactions(rows, n, p);
    return (size_t)(p - out);
}

static void decode_keys(col_reader *r, uint32_t user, eng_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v = get_varint(r);
        rows[i].a.user = user;
        rows[i].a.created_at =
            i ? (int64_t)((uint64_t)rows[i - 1].a.created_at + v) : unzigzag(v);
    }
    for (size_t i = 0; i < n; i++)
        rows[i].a.id = (i ? rows[i - 1].a.id : 0) + (uint64_t)unzigzag(get_varint(r));
}

static void decode_answers(col_reader *r, eng_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rows[i].a.test = (i ? rows[i - 1].a.test : 0) + (uint64_t)unzigzag(get_varint(r));
    for (size_t i = 0; i < n; i++)
        rows[i].a.question = (uint32_t)get_varint(r);
    for (size_t i = 0; i < n; i++)
        rows[i].a.topic = (uint32_t)get_varint(r);
    for (size_t i = 0; i < n; i++)
        rows[i].a.correct = get_byte(r);
    for (size_t i = 0; i < n; i++)
        rows[i].a.status = get_byte(r);
    for (size_t i = 0; i < n; i++)
        rows[i].a.score = get_byte(r);
    for (size_t i = 0; i < n; i++)
        rows[i].a.chosen = (int8_t)get_byte(r);
    for (size_t i = 0; i < n; i++)
        rows[i].a.time_ms = (uint32_t)get_varint(r);
}

static void decode_interactions(col_reader *r, eng_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rows[i].i.action = get_byte(r);
    for (size_t i = 0; i < n; i++) {
        uint64_t len = get_varint(r);
        if (len > QS_PAYLOAD_MAX)
            r->bad = 1;
        rows[i].i.payload_len = (uint16_t)(len > QS_PAYLOAD_MAX ? 0 : len);
    }
    for (size_t i = 0; i < n && !r->bad; i++) {
        size_t len = rows[i].i.payload_len;
        if ((size_t)(r->end - r->p) < len) {
            r->bad = 1;
            break;
        }
        rows[i].i.payload = r->p;
        r->p += len;
    }
}

int eng_block_decode(eng_table table, uint32_t user, const uint8_t *p, size_t len,
                     eng_row *rows, size_t n)
{
    col_reader r = {p, p + len, 0};
    memset(rows, 0, n * sizeof *rows);
    decode_keys(&r, user, rows, n);
    if (table == ENG_T_ANSWER)
        decode_answers(&r, rows, n);
    else
        decode_interactions(&r, rows, n);
    if (r.bad || r.p != r.end)
        return QS_CORRUPT;
    /* rows must come in strictly increasing key order */
    for (size_t i = 1; i < n; i++) {
        const eng_answer *a = &rows[i - 1].a, *b = &rows[i].a;
        if (b->created_at < a->created_at || (b->created_at == a->created_at && b->id <= a->id))
            return QS_CORRUPT;
    }
    return 0;
}

void eng_row_key(eng_key *k, uint32_t user, int64_t created_at, uint64_t id)
{
    ek_reset(k);
    ek_u32(k, user);
    ek_time(k, created_at);
    ek_u64(k, id);
}

