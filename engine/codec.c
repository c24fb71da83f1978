/* codec.c: the checked record (layout in codec.h): its header, version and checksum,
 * and the engine's hash. */
#include <stdio.h>
#include <xxhash.h>

#include "engine_int.h"

static uint32_t record_checksum(const eng_key *key, const uint8_t *body, size_t len)
{
    XXH64_hash_t seed = XXH3_64bits(key->b, key->n);
    return (uint32_t)XXH3_64bits_withSeed(body, len, seed);
}

/* Hex of a key for error details; at most 48 key bytes shown. */
static const char *key_hex(const eng_key *key, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = key->n < 48 ? key->n : 48, o = 0;
    for (size_t i = 0; i < n && o + 3 < cap; i++) {
        out[o++] = digits[key->b[i] >> 4];
        out[o++] = digits[key->b[i] & 15];
    }
    out[o] = 0;
    return out;
}

size_t eng_rec_size(size_t body_len)
{
    return ENG_REC_HEADER + body_len;
}

void eng_rec_seal(uint8_t *out, const eng_key *key, const uint8_t *body, size_t len)
{
    out[0] = ENG_REC_VERSION;
    eng_put32(out + 1, record_checksum(key, body, len));
    if (len)
        memmove(out + ENG_REC_HEADER, body, len);
}

int eng_rec_open(const eng_key *key, const uint8_t *rec, size_t len, eng_rbuf *body)
{
    if (len < ENG_REC_HEADER || rec[0] != ENG_REC_VERSION)
        return QS_CORRUPT;
    const uint8_t *b = rec + ENG_REC_HEADER;
    size_t n = len - ENG_REC_HEADER;
    if (eng_get32(rec + 1) != record_checksum(key, b, n))
        return QS_CORRUPT;
    rb_init(body, b, n);
    return 0;
}

int eng_rec_corrupt(const char *dbname, const eng_key *key, const char *why)
{
    char hex[100];
    return eng_fail(QS_CORRUPT, "%s in database '%s' at key %s", why, dbname,
                    key_hex(key, hex, sizeof hex));
}

uint64_t eng_hash64(const void *p, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, n, seed);
}
