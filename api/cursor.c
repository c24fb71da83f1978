/* cursor.c: history cursors, opaque to clients and bound to user and store.
 *
 *   offset  size  description
 *   0       1     version (1)
 *   1       4     user u32
 *   5       8     created_at time of the last row returned
 *   13      8     answer id u64 of the last row returned
 *   21      3     zero
 *   24      8     XXH3_64(bytes 0..23, seed = the store's secret), big-endian
 *
 * The text form is the 32 bytes in unpadded base64url: 43 characters.
 */
#include <string.h>

#include "api.h"
#include "cursor.h"

#define CURSOR_VERSION 1
#define CURSOR_SIGNED 24

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void api_cursor_make(qs_txn *txn, uint32_t user, int64_t created_at, uint64_t answer_id,
                     qs_cursor *c)
{
    uint8_t *b = c->bytes;
    memset(b, 0, QS_CURSOR_SIZE);
    b[0] = CURSOR_VERSION;
    eng_put32(b + 1, user);
    eng_put64(b + 5, eng_time_bits(created_at));
    eng_put64(b + 13, answer_id);
    eng_put64(b + 24, eng_hash64(b, CURSOR_SIGNED, eng_secret(txn)));
}

int api_cursor_open(qs_txn *txn, uint32_t user, const qs_cursor *c, int64_t *created_at,
                    uint64_t *answer_id)
{
    const uint8_t *b = c->bytes;
    if (b[0] != CURSOR_VERSION || b[21] || b[22] || b[23] ||
        eng_get64(b + 24) != eng_hash64(b, CURSOR_SIGNED, eng_secret(txn)))
        return eng_fail(QS_BAD_CURSOR, "history cursor is not one this store issued");
    if (eng_get32(b + 1) != user)
        return eng_fail(QS_BAD_CURSOR, "history cursor belongs to another user");
    *created_at = eng_time_from_bits(eng_get64(b + 5));
    *answer_id = eng_get64(b + 13);
    return 0;
}

void qs_cursor_format(const qs_cursor *c, char out[QS_CURSOR_TEXT_SIZE])
{
    if (!c || !out)
        return;
    const uint8_t *b = c->bytes;
    size_t o = 0;
    for (size_t i = 0; i < QS_CURSOR_SIZE; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16;
        size_t have = QS_CURSOR_SIZE - i >= 3 ? 3 : QS_CURSOR_SIZE - i;
        if (have > 1) v |= (uint32_t)b[i + 1] << 8;
        if (have > 2) v |= b[i + 2];
        for (size_t j = 0; j < have + 1; j++)
            out[o++] = b64[(v >> (18 - 6 * j)) & 63];
    }
    out[o] = 0;
}

static int b64_value(char ch)
{
    const char *p = ch ? strchr(b64, ch) : NULL;
    return p ? (int)(p - b64) : -1;
}

int qs_cursor_parse(const char *text, qs_cursor *c)
{
    if (!text || !c)
        return eng_fail(QS_INVALID, "qs_cursor_parse: NULL argument");
    if (strlen(text) != QS_CURSOR_TEXT_SIZE - 1)
        return eng_fail(QS_BAD_CURSOR, "a cursor is %d characters", QS_CURSOR_TEXT_SIZE - 1);
    uint8_t *b = c->bytes;
    size_t o = 0;
    for (size_t i = 0; i < QS_CURSOR_TEXT_SIZE - 1; i += 4) {
        size_t have = QS_CURSOR_TEXT_SIZE - 1 - i >= 4 ? 4 : QS_CURSOR_TEXT_SIZE - 1 - i;
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int d = j < have ? b64_value(text[i + j]) : 0;
            if (d < 0)
                return eng_fail(QS_BAD_CURSOR, "cursor has a character outside base64url");
            v = v << 6 | (uint32_t)d;
        }
        for (size_t j = 0; j < have - 1; j++)
            b[o++] = (uint8_t)(v >> (16 - 8 * j));
        unsigned stray = 6 * (unsigned)have - 8 * (unsigned)(have - 1);
        if (have < 4 && (v & (((1u << stray) - 1) << (6 * (4 - have)))))
            return eng_fail(QS_BAD_CURSOR, "cursor has stray trailing bits");
    }
    return 0;
}
