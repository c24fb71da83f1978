/* sealed.c: the format of a sealed bucket, its dictionary and its blocks read and
 * written.
 *
 * A sealed bucket "<name>.z" holds its rows in blocks of one user's consecutive
 * rows (at most ENG_BLOCK_ROWS), each in the column form of block.c, compressed with
 * zstd and a dictionary trained on that bucket:
 *
 *   key                                      record body
 *   00 (one byte)                            the bucket's zstd dictionary (absent
 *                                            when training found too little to learn)
 *   the block's last row's key (20 bytes)    codec u8 (BLOCK_*) | rows u16 |
 *                                            column bytes u32 | data
 *
 * Keying a block by its last row makes a seek to any row key land on the block
 * that holds it, as the same seek lands on the row in a raw bucket (rows.c).
 * */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine_int.h"

/* zstd level. Writers wait while a bucket seals: at S=1, level 3 sealed a month of
 * interactions in 4.1 s where level 9 took 16.1 s, for 10 % more bytes, and answers
 * in 1.9 s instead of 3.3 s for 1 % more (qs-seal, one run each). */
#define SEAL_LEVEL 3
#define BLOCK_HEADER 7

enum { BLOCK_STORED = 0, BLOCK_ZSTD = 1, BLOCK_ZSTD_DICT = 2 };

static const uint8_t dict_key_byte = 0;

/* ------------------------------------------------------------------ dictionaries */

void eng_seal_dicts_free(eng_seal_dict *d)
{
    while (d) {
        eng_seal_dict *next = d->next;
        ZSTD_freeDDict(d->ddict);
        ZSTD_freeCDict(d->cdict);
        free(d);
        d = next;
    }
}

static void dict_key(eng_key *k)
{
    ek_reset(k);
    ek_u8(k, dict_key_byte);
}

/* The cached dictionary of bucket @p name with id @p id, made on first use. With
 * @p for_writing, its compression form too. A dictionary that does not load is
 * QS_CORRUPT and is not cached. */
static int cached_dict(qs_env *env, const char *name, const uint8_t *bytes, size_t n,
                       int for_writing, eng_seal_dict **out)
{
    uint32_t id = (uint32_t)ZSTD_getDictID_fromDict(bytes, n);
    eng_seal_dict *d;
    int rc = 0;
    eng_lock(&env->dict_lock);
    for (d = env->seal_dicts; d; d = d->next)
        if (d->id == id && strcmp(d->name, name) == 0)
            break;
    if (!d) {
        ZSTD_DDict *ddict = ZSTD_createDDict(bytes, n);
        if (ddict && (d = calloc(1, sizeof *d)) != NULL) {
            snprintf(d->name, sizeof d->name, "%s", name);
            d->id = id;
            d->ddict = ddict;
            d->next = env->seal_dicts;
            env->seal_dicts = d;
        } else {
            ZSTD_freeDDict(ddict);
            rc = ddict ? eng_fail(ENOMEM, "out of memory for the dictionary of '%s'", name)
                       : eng_fail(QS_CORRUPT, "the dictionary of '%s' does not load", name);
        }
    }
    if (d && for_writing && !d->cdict && !(d->cdict = ZSTD_createCDict(bytes, n, SEAL_LEVEL)))
        rc = eng_fail(QS_CORRUPT, "the dictionary of '%s' does not load", name);
    eng_unlock(&env->dict_lock);
    *out = d;
    return rc;
}

/* The dictionary of sealed bucket @p b, or NULL when it has none. */
int eng_sealed_dict(qs_txn *txn, const eng_bucket *b, int for_writing, eng_seal_dict **out)
{
    eng_key k;
    eng_rbuf r;
    *out = NULL;
    dict_key(&k);
    int rc = eng_rec_get(txn, b->dbi, b->name, &k, &r);
    if (rc == QS_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    size_t n = rb_left(&r);
    const uint8_t *bytes = rb_take(&r, n);
    if (!ZSTD_getDictID_fromDict(bytes, n))
        return eng_rec_corrupt(b->name, &k, "not a zstd dictionary");
    return cached_dict(txn->env, b->name, bytes, n, for_writing, out);
}

int eng_sealed_dict_check(const eng_bucket *b, const MDB_val *k, const MDB_val *v)
{
    eng_key key;
    eng_rbuf r;
    ek_reset(&key);
    ek_bytes(&key, k->mv_data, k->mv_size < ENG_KEY_MAX ? k->mv_size : ENG_KEY_MAX);
    if (k->mv_size != 1 || *(const uint8_t *)k->mv_data != dict_key_byte)
        return eng_rec_corrupt(b->name, &key, "bad block key");
    if (eng_rec_open(&key, v->mv_data, v->mv_size, &r))
        return eng_rec_corrupt(b->name, &key, "checksum mismatch");
    size_t n = rb_left(&r);
    if (!ZSTD_getDictID_fromDict(rb_take(&r, n), n))
        return eng_rec_corrupt(b->name, &key, "not a zstd dictionary");
    return 0;
}

/* ------------------------------------------------------------------ block records */

/* Compress the column form @p raw into a block record body at @p w. */
static int block_body(const eng_seal_dict *d, const uint8_t *raw, size_t raw_len, size_t n,
                      eng_wbuf *w)
{
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    int rc = eng_zstd_contexts(&cctx, &dctx);
    if (rc)
        return rc;
    uint8_t *hdr = wb_room(w, BLOCK_HEADER);
    size_t room = w->cap - w->n;
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, SEAL_LEVEL);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, 0);
    if (d)
        ZSTD_CCtx_refCDict(cctx, d->cdict);
    size_t zn = ZSTD_compress2(cctx, w->b + w->n, room, raw, raw_len);
    ZSTD_CCtx_refCDict(cctx, NULL);
    uint8_t codec = d ? BLOCK_ZSTD_DICT : BLOCK_ZSTD;
    if (ZSTD_isError(zn) || zn >= raw_len) {
        codec = BLOCK_STORED;
        zn = raw_len;
        memcpy(w->b + w->n, raw, raw_len);
    }
    w->n += zn;
    hdr[0] = codec;
    eng_put16(hdr + 1, (uint16_t)n);
    eng_put32(hdr + 3, (uint32_t)raw_len);
    return 0;
}

int eng_sealed_block_put(qs_txn *txn, const eng_bucket *b, const eng_seal_dict *d,
                         const eng_row *rows, size_t n, unsigned flags)
{
    size_t payload = 0;
    if (b->table == ENG_T_INTERACTION)
        for (size_t i = 0; i < n; i++)
            payload += rows[i].i.payload_len;
    size_t bound = eng_block_bound(b->table, n, payload);
    size_t cap = 2 * bound + ZSTD_compressBound(bound) + BLOCK_HEADER;
    uint8_t *raw = eng_scratch(txn, ENG_SCRATCH_PACK, bound);
    uint8_t *out = eng_scratch(txn, ENG_SCRATCH_ZBUF, cap);
    if (!raw || !out)
        return ENOMEM;
    size_t raw_len = eng_block_encode(b->table, rows, n, raw);
    eng_wbuf w;
    eng_key k;
    wb_init(&w, out, cap);
    int rc = block_body(d, raw, raw_len, n, &w);
    if (rc)
        return rc;
    const eng_row *last = &rows[n - 1];
    eng_row_key(&k, last->a.user, last->a.created_at, last->a.id);
    return eng_rec_put(txn, b->dbi, b->name, &k, &w, flags);
}

static int block_corrupt(const eng_bucket *b, const MDB_val *k, const char *why)
{
    eng_key key;
    ek_reset(&key);
    ek_bytes(&key, k->mv_data, k->mv_size < ENG_KEY_MAX ? k->mv_size : ENG_KEY_MAX);
    return eng_rec_corrupt(b->name, &key, why);
}

static int decompress(eng_rows *c, uint8_t codec, const uint8_t *z, size_t zn, size_t raw_len)
{
    if (codec == BLOCK_STORED) {
        if (zn != raw_len)
            return QS_CORRUPT;
        if (zn)
            memcpy(c->raw, z, zn);
        return 0;
    }
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    eng_seal_dict *d = NULL;
    int rc = eng_zstd_contexts(&cctx, &dctx);
    if (!rc && codec == BLOCK_ZSTD_DICT && !c->dict_known) {
        rc = eng_sealed_dict(c->txn, &c->b, 0, &d);
        c->dict = d;
        c->dict_known = !rc;
    }
    d = (eng_seal_dict *)c->dict;
    if (!rc && codec == BLOCK_ZSTD_DICT && !d)
        return QS_CORRUPT;
    if (rc)
        return rc;
    size_t got = d ? ZSTD_decompress_usingDDict(dctx, c->raw, raw_len, z, zn, d->ddict)
                   : ZSTD_decompressDCtx(dctx, c->raw, raw_len, z, zn);
    return ZSTD_isError(got) || got != raw_len ? QS_CORRUPT : 0;
}

int eng_sealed_load(eng_rows *c, const MDB_val *k, const MDB_val *v)
{
    eng_key key;
    eng_rbuf r;
    if (k->mv_size != ENG_ROW_KEY)
        return block_corrupt(&c->b, k, "bad block key");
    ek_reset(&key);
    ek_bytes(&key, k->mv_data, k->mv_size);
    if (eng_rec_open(&key, v->mv_data, v->mv_size, &r))
        return eng_rec_corrupt(c->b.name, &key, "checksum mismatch");
    uint8_t codec = rb_u8(&r);
    size_t n = rb_u16(&r);
    size_t raw_len = rb_u32(&r);
    size_t zn = rb_left(&r);
    const uint8_t *z = rb_take(&r, zn);
    if (r.bad || codec > BLOCK_ZSTD_DICT || n == 0 || n > ENG_BLOCK_ROWS || raw_len == 0 ||
        raw_len > eng_block_bound(c->b.table, n, n * QS_PAYLOAD_MAX))
        return eng_rec_corrupt(c->b.name, &key, "bad block header");
    if (!c->block && !(c->block = malloc(ENG_BLOCK_ROWS * sizeof *c->block)))
        return eng_fail(ENOMEM, "out of memory");
    if (c->raw_cap < raw_len) {
        uint8_t *p = realloc(c->raw, raw_len);
        if (!p)
            return eng_fail(ENOMEM, "out of memory");
        c->raw = p;
        c->raw_cap = raw_len;
    }
    int rc = decompress(c, codec, z, zn, raw_len);
    if (!rc)
        rc = eng_block_decode(c->b.table, eng_get32(key.b), c->raw, raw_len, c->block, n);
    if (rc == QS_CORRUPT)
        return eng_rec_corrupt(c->b.name, &key, "block does not decode");
    if (rc)
        return rc;
    eng_key last;
    const eng_row *lr = &c->block[n - 1];
    eng_row_key(&last, lr->a.user, lr->a.created_at, lr->a.id);
    if (memcmp(last.b, key.b, ENG_ROW_KEY) != 0)
        return eng_rec_corrupt(c->b.name, &key, "block does not end at its key");
    c->n = n;
    return 0;
}

/* ------------------------------------------------------------------ user runs */

/* How many blocks a user's run of @p n rows with @p payload bytes is cut into:
 * as few as the limits allow, of even size. */

int eng_sealed_dict_put(qs_txn *txn, const eng_bucket *b, const uint8_t *dict, size_t len,
                        eng_seal_dict **d)
{
    eng_key k;
    eng_wbuf w;
    dict_key(&k);
    wb_init(&w, (void *)dict, len);
    w.n = len;
    int rc = eng_rec_put(txn, b->dbi, b->name, &k, &w, 0);
    return rc ? rc : cached_dict(txn->env, b->name, dict, len, 1, d);
}

