/* text.c: question text, stored raw or compressed with the bank's zstd dictionary.
 *
 * Stored form, appended to a question record:
 *
 *   field        size  description
 *   format       1     0 = raw, 1 = zstd with a dictionary
 *   dict id      4     format 1 only: zstd dictionary id
 *   raw length   4     format 1 only: bytes of the packed text
 *   blob         4+n   packed text (format 0) or its zstd frame (format 1)
 *
 * Packed text: n_options u8, then stem, explanation and each option as
 * u32 length + bytes.
 *
 * Dictionaries live in ENG_META under "dict.<id>" for ever (old snapshots may still
 * read records compressed with an older one); "dict.current" names the one new
 * records use. Each process loads a dictionary once and keeps it in the env.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <zdict.h>

#include "engine_int.h"

#define TEXT_LEVEL 5
/* The largest packed text: every text at its limit, with its length. */
#define PACKED_MAX (1 + (2 + QS_MAX_OPTIONS) * (4 + (size_t)QS_TEXT_MAX))
#define DICT_CAPACITY (64 * 1024)
#define DICT_MIN_SAMPLES 64

/* ------------------------------------------------------------------ contexts */

/* One compression and one decompression context per thread, reused. */
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

typedef struct thread_ctx {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
} thread_ctx;

static void ctx_free(void *p)
{
    thread_ctx *t = p;
    ZSTD_freeCCtx(t->c);
    ZSTD_freeDCtx(t->d);
    free(t);
}

static void ctx_key_create(void)
{
    pthread_key_create(&ctx_key, ctx_free);
}

static thread_ctx *thread_contexts(void)
{
    pthread_once(&ctx_once, ctx_key_create);
    thread_ctx *t = pthread_getspecific(ctx_key);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->c = ZSTD_createCCtx();
    t->d = ZSTD_createDCtx();
    if (!t->c || !t->d || pthread_setspecific(ctx_key, t)) {
        ctx_free(t);
        return NULL;
    }
    return t;
}

int eng_zstd_contexts(ZSTD_CCtx **c, ZSTD_DCtx **d)
{
    thread_ctx *t = thread_contexts();
    if (!t)
        return eng_fail(ENOMEM, "out of memory for zstd contexts");
    *c = t->c;
    *d = t->d;
    return 0;
}

/* ------------------------------------------------------------------ dictionaries */

void eng_dicts_free(eng_dict *d)
{
    while (d) {
        eng_dict *next = d->next;
        ZSTD_freeCDict(d->cdict);
        ZSTD_freeDDict(d->ddict);
        free(d);
        d = next;
    }
}

static eng_dict *dict_make(const void *buf, size_t n)
{
    eng_dict *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->id = ZDICT_getDictID(buf, n);
    d->cdict = ZSTD_createCDict(buf, n, TEXT_LEVEL);
    d->ddict = ZSTD_createDDict(buf, n);
    if (!d->id || !d->cdict || !d->ddict) {
        eng_dicts_free(d);
        return NULL;
    }
    return d;
}

void eng_dict_publish(qs_env *env, eng_dict *d)
{
    eng_lock(&env->dict_lock);
    d->next = env->dicts;
    env->dicts = d;
    eng_unlock(&env->dict_lock);
}

static void dict_key(eng_key *k, uint32_t id)
{
    char name[32];
    snprintf(name, sizeof name, "dict.%08x", id);
    ek_reset(k);
    ek_bytes(k, name, strlen(name));
}

int eng_dict_for(qs_txn *txn, uint32_t id, eng_dict **out)
{
    for (qs_txn *t = txn; t; t = t->parent)
        if (t->new_dict && t->new_dict->id == id) {
            *out = t->new_dict;
            return 0;
        }
    qs_env *env = txn->env;
    eng_lock(&env->dict_lock);
    for (eng_dict *d = env->dicts; d; d = d->next)
        if (d->id == id) {
            eng_unlock(&env->dict_lock);
            *out = d;
            return 0;
        }
    eng_unlock(&env->dict_lock);

    eng_key k;
    eng_rbuf r;
    size_t n;
    dict_key(&k, id);
    int rc = eng_get(txn, ENG_META, &k, &r);
    if (rc == QS_NOTFOUND)
        return eng_fail(QS_CORRUPT, "text dictionary %08x is missing", id);
    if (rc)
        return rc;
    const uint8_t *buf = rb_blob(&r, &n);
    eng_dict *d = buf ? dict_make(buf, n) : NULL;
    if (!d || d->id != id) {
        eng_dicts_free(d);
        return eng_fail(QS_CORRUPT, "text dictionary %08x does not load", id);
    }
    eng_dict_publish(env, d);   /* a duplicate load by another thread is harmless */
    *out = d;
    return 0;
}

/* The dictionary new records are compressed with, or NULL for none. */
static int current_dict(qs_txn *txn, eng_dict **out)
{
    *out = NULL;
    for (qs_txn *t = txn; t; t = t->parent)
        if (t->new_dict) {
            *out = t->new_dict;
            return 0;
        }
    uint64_t id;
    int rc = eng_meta_get_u64(txn->mdb, eng_dbi(txn, ENG_META), "dict.current", &id);
    if (rc == QS_NOTFOUND)
        return 0;
    return rc ? rc : eng_dict_for(txn, (uint32_t)id, out);
}

int eng_text_train(qs_txn *txn, const void *samples, const size_t *sizes, unsigned n,
                   uint32_t *dict_bytes)
{
    *dict_bytes = 0;
    if (n < DICT_MIN_SAMPLES)
        return 0;
    void *buf = malloc(DICT_CAPACITY);
    if (!buf)
        return eng_fail(ENOMEM, "out of memory");
    size_t got = ZDICT_trainFromBuffer(buf, DICT_CAPACITY, samples, sizes, n);
    if (ZDICT_isError(got)) {   /* too little or too uniform text to learn from */
        free(buf);
        return 0;
    }
    eng_dict *d = dict_make(buf, got);
    if (!d) {
        free(buf);
        return eng_fail(ENOMEM, "cannot load the trained dictionary");
    }
    eng_key k;
    eng_wbuf w;
    uint8_t *body = eng_scratch(txn, ENG_SCRATCH_ZBUF, got + 8);
    int rc = body ? 0 : ENOMEM;
    if (!rc) {
        dict_key(&k, d->id);
        wb_init(&w, body, got + 8);
        wb_blob(&w, buf, got);
        rc = eng_put(txn, ENG_META, &k, &w, 0);
    }
    if (!rc)
        rc = eng_meta_put_u64(txn, "dict.current", d->id);
    free(buf);
    if (rc) {
        eng_dicts_free(d);
        return rc;
    }
    eng_dicts_free(txn->new_dict);
    txn->new_dict = d;
    *dict_bytes = (uint32_t)got;
    return 0;
}

/* ------------------------------------------------------------------ store, load */

static size_t packed_size(const eng_text *t)
{
    size_t n = 1 + 4 + t->stem.len + 4 + t->explanation.len;
    for (unsigned i = 0; i < t->n_options; i++)
        n += 4 + t->options[i].len;
    return n;
}

static void pack(const eng_text *t, eng_wbuf *w)
{
    wb_u8(w, t->n_options);
    wb_blob(w, t->stem.ptr, t->stem.len);
    wb_blob(w, t->explanation.ptr, t->explanation.len);
    for (unsigned i = 0; i < t->n_options; i++)
        wb_blob(w, t->options[i].ptr, t->options[i].len);
}

static int unpack(const uint8_t *p, size_t n, eng_text *t)
{
    eng_rbuf r;
    size_t len;
    rb_init(&r, p, n);
    memset(t, 0, sizeof *t);
    t->n_options = rb_u8(&r);
    if (t->n_options > QS_MAX_OPTIONS)
        return QS_CORRUPT;
    t->stem.ptr = (const char *)rb_blob(&r, &len);
    t->stem.len = len;
    t->explanation.ptr = (const char *)rb_blob(&r, &len);
    t->explanation.len = len;
    for (unsigned i = 0; i < t->n_options; i++) {
        t->options[i].ptr = (const char *)rb_blob(&r, &len);
        t->options[i].len = len;
    }
    return rb_done(&r) ? 0 : QS_CORRUPT;
}

int eng_text_store(qs_txn *txn, const eng_text *t, eng_wbuf *w)
{
    size_t raw = packed_size(t);
    eng_wbuf pw;
    uint8_t *pbuf = eng_scratch(txn, ENG_SCRATCH_PACK, raw);
    if (!pbuf)
        return ENOMEM;
    wb_init(&pw, pbuf, raw);
    pack(t, &pw);

    eng_dict *d;
    int rc = current_dict(txn, &d);
    if (rc)
        return rc;
    if (d) {
        thread_ctx *ctx = thread_contexts();
        size_t bound = ZSTD_compressBound(raw);
        uint8_t *z = eng_scratch(txn, ENG_SCRATCH_ZBUF, bound);
        if (!ctx || !z)
            return eng_fail(ENOMEM, "out of memory for compression");
        size_t zn = ZSTD_compress_usingCDict(ctx->c, z, bound, pbuf, raw, d->cdict);
        if (!ZSTD_isError(zn) && zn + 8 < raw) {
            wb_u8(w, 1);
            wb_u32(w, d->id);
            wb_u32(w, (uint32_t)raw);
            wb_blob(w, z, zn);
            return 0;
        }
    }
    wb_u8(w, 0);
    wb_blob(w, pbuf, raw);
    return 0;
}

int eng_text_load(qs_txn *txn, eng_rbuf *r, eng_text *t)
{
    uint8_t format = rb_u8(r);
    size_t n;
    if (format == 0) {
        const uint8_t *p = rb_blob(r, &n);
        return p && unpack(p, n, t) == 0 ? 0 : QS_CORRUPT;
    }
    if (format != 1)
        return QS_CORRUPT;
    uint32_t id = rb_u32(r);
    uint32_t raw = rb_u32(r);
    const uint8_t *z = rb_blob(r, &n);
    if (!z || raw > PACKED_MAX)
        return QS_CORRUPT;
    eng_dict *d;
    int rc = eng_dict_for(txn, id, &d);
    if (rc)
        return rc;
    thread_ctx *ctx = thread_contexts();
    uint8_t *out = eng_scratch(txn, ENG_SCRATCH_TEXT, raw ? raw : 1);
    if (!ctx || !out)
        return eng_fail(ENOMEM, "out of memory for decompression");
    size_t got = ZSTD_decompress_usingDDict(ctx->d, out, raw, z, n, d->ddict);
    if (ZSTD_isError(got) || got != raw)
        return QS_CORRUPT;
    return unpack(out, raw, t);
}
