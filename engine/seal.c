/* seal.c: sealed buckets, and dropping buckets.
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
 *
 * Sealing runs in one write transaction: it builds the sealed database, empties
 * the raw one and points the registry at the sealed one. Readers see either bucket
 * whole, and a crash before the commit leaves the raw bucket as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zdict.h>

#include "engine_int.h"
#include "rows.h"

/* zstd level. Writers wait while a bucket seals: at S=1, level 3 sealed a month of
 * interactions in 4.1 s where level 9 took 16.1 s, for 10 % more bytes, and answers
 * in 1.9 s instead of 3.3 s for 1 % more (qs-seal, one run each). */
#define SEAL_LEVEL 3
#define SEAL_DICT_CAPACITY (16 * 1024)
#define SEAL_SAMPLE_BYTES (1024 * 1024)
#define BLOCK_PAYLOAD_BUDGET 2048     /* payload bytes of one block, about */
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
static int bucket_dict(qs_txn *txn, const eng_bucket *b, int for_writing, eng_seal_dict **out)
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

/* Write rows[0 .. n) as one block. */
static int block_write(qs_txn *txn, const eng_bucket *b, const eng_seal_dict *d,
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
        rc = bucket_dict(c->txn, &c->b, 0, &d);
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
static size_t blocks_for(size_t n, size_t payload)
{
    size_t by_rows = (n + ENG_BLOCK_ROWS - 1) / ENG_BLOCK_ROWS;
    size_t by_bytes = (payload + BLOCK_PAYLOAD_BUDGET - 1) / BLOCK_PAYLOAD_BUDGET;
    size_t k = by_rows > by_bytes ? by_rows : by_bytes;
    return k < 1 ? 1 : k > n ? n : k;
}

typedef int (*block_fn)(const eng_row *rows, size_t n, void *ctx);

/* Cut one user's run into even blocks and hand each to @p fn. */
static int emit_run(const eng_row *rows, size_t n, size_t payload, block_fn fn, void *ctx)
{
    size_t k = blocks_for(n, payload), done = 0;
    for (size_t i = 0; i < k; i++) {
        size_t take = (n - done) / (k - i);
        int rc = fn(rows + done, take, ctx);
        if (rc)
            return rc;
        done += take;
    }
    return 0;
}

typedef struct run_buf {
    eng_row *rows;
    size_t n, cap, payload;
} run_buf;

static int run_push(run_buf *run, eng_table table, const eng_row *row)
{
    if (run->n == run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 256;
        eng_row *p = realloc(run->rows, cap * sizeof *p);
        if (!p)
            return eng_fail(ENOMEM, "out of memory");
        run->rows = p;
        run->cap = cap;
    }
    run->rows[run->n++] = *row;
    if (table == ENG_T_INTERACTION)
        run->payload += row->i.payload_len;
    return 0;
}

/* Add @p row to the run being gathered; a row of another user first hands the run to
 * @p fn in blocks. run_end() hands over the last one. */
static int run_add(run_buf *run, eng_table table, const eng_row *row, block_fn fn, void *ctx)
{
    int rc = 0;
    if (run->n && run->rows[0].a.user != row->a.user) {
        rc = emit_run(run->rows, run->n, run->payload, fn, ctx);
        run->n = run->payload = 0;
    }
    return rc ? rc : run_push(run, table, row);
}

static int run_end(run_buf *run, block_fn fn, void *ctx)
{
    int rc = run->n ? emit_run(run->rows, run->n, run->payload, fn, ctx) : 0;
    run->n = run->payload = 0;
    return rc;
}

/* ---- a bucket kept in time order, taken by user */

#define USER_SLOTS 65536       /* ranges of user ids the rows are counted in */

size_t eng_seal_pass_rows = 1u << 21;

/* A row of a time-ordered bucket as a pass finds it: where it lies in the map, and
 * its user as its record says before the record is checked. */
typedef struct row_ref {
    const uint8_t *k, *v;
    uint32_t vlen, user;
} row_ref;

/* The rows of a time-ordered bucket per range of user ids: slot s counts the users
 * [s * width, (s + 1) * width); a pass takes the slots [lo, hi), slot s's rows at
 * refs[at[s] ...] in the order met (the bucket's: time). */
typedef struct user_slots {
    uint64_t rows[USER_SLOTS];
    uint64_t at[USER_SLOTS];
    uint64_t width;
    size_t lo, hi;
    row_ref *refs;
} user_slots;

static size_t slot_of(const user_slots *u, uint32_t user)
{
    uint64_t s = user / u->width;
    return s < USER_SLOTS ? (size_t)s : USER_SLOTS - 1;
}

/* The entries of a time-ordered bucket counted by range of their users (the user
 * as the record names it, unchecked: emit_refs() checks each record it decodes). */
static int count_ref(const eng_val *k, const eng_val *v, void *ctx)
{
    user_slots *u = ctx;
    MDB_val mv = eng_mdb_val(*v);
    (void)k;
    u->rows[slot_of(u, eng_event_user(&mv))]++;
    return 0;
}

/* An entry of a user of the pass put at its range's next place. */
static int place_ref(const eng_val *k, const eng_val *v, void *ctx)
{
    user_slots *u = ctx;
    MDB_val mv = eng_mdb_val(*v);
    uint32_t user = eng_event_user(&mv);
    size_t s = slot_of(u, user);
    if (s >= u->lo && s < u->hi)
        u->refs[u->at[s]++] = (row_ref){k->data, v->data, (uint32_t)v->size, user};
    return 0;
}

static int ref_cmp(const void *pa, const void *pb)
{
    const row_ref *a = pa, *b = pb;
    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    return memcmp(a->k, b->k, ENG_EVENT_KEY);   /* time order, as the bucket's keys */
}

/* The rows of refs[0 .. n), by user, decoded a user's run at a time into blocks. */
static int emit_refs(const eng_bucket *b, const row_ref *refs, size_t n, run_buf *run,
                     block_fn fn, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        eng_row row;
        MDB_val k = {ENG_EVENT_KEY, (void *)refs[i].k}, v = {refs[i].vlen, (void *)refs[i].v};
        if ((rc = eng_row_decode(b, &k, &v, &row)) == 0)
            rc = run_add(run, b->table, &row, fn, ctx);
    }
    return rc ? rc : run_end(run, fn, ctx);
}

/* One pass: slots [u->lo, u->hi) holding @p n rows, placed by slot in one scan, each
 * slot's by user (a slot of one user is in order already), then emitted. */
static int emit_pass(qs_txn *txn, const eng_bucket *b, user_slots *u, size_t n, run_buf *run,
                     block_fn fn, void *ctx)
{
    uint64_t at = 0;
    for (size_t s = u->lo; s < u->hi; s++) {
        u->at[s] = at;
        at += u->rows[s];
    }
    int rc = eng_each_entry_of(txn, b->dbi, b->name, place_ref, u);
    if (!rc && u->width > 1)
        for (size_t s = u->lo, from = 0; s < u->hi; from += u->rows[s++])
            qsort(u->refs + from, u->rows[s], sizeof *u->refs, ref_cmp);
    return rc ? rc : emit_refs(b, u->refs, n, run, fn, ctx);
}

/* Every block of time-ordered bucket @p b, in key order: its rows counted by ranges
 * of user ids in one scan, then the ranges taken in passes of about
 * eng_seal_pass_rows rows (a user's rows all in one), each a scan that places the
 * pass's rows by range. Rows point into the map. */
static int each_block_by_user(qs_txn *txn, const eng_bucket *b, block_fn fn, void *ctx)
{
    user_slots *u = calloc(1, sizeof *u);
    run_buf run = {0};
    if (!u)
        return eng_fail(ENOMEM, "out of memory");
    u->width = eng_counter_peek(txn, ENG_NEXT_USER) / USER_SLOTS + 1;
    int rc = eng_each_entry_of(txn, b->dbi, b->name, count_ref, u);
    size_t cap = 0;
    for (u->lo = 0; !rc && u->lo < USER_SLOTS; u->lo = u->hi) {
        uint64_t n = 0;
        for (u->hi = u->lo; u->hi < USER_SLOTS; u->hi++) {
            if (n && n + u->rows[u->hi] > eng_seal_pass_rows)
                break;
            n += u->rows[u->hi];
        }
        if (n && (rc = eng_grow((void **)&u->refs, &cap, n, sizeof *u->refs)) == 0)
            rc = emit_pass(txn, b, u, n, &run, fn, ctx);
    }
    free(u->refs);
    free(u);
    free(run.rows);
    return rc;
}

/* Every block the raw bucket @p b makes, in key order. Rows point into the map. */
static int each_block(qs_txn *txn, const eng_bucket *b, block_fn fn, void *ctx)
{
    if (eng_bucket_in_time_order(b))
        return each_block_by_user(txn, b, fn, ctx);
    eng_rows c;
    eng_row row;
    run_buf run = {0};
    int rc = eng_rows_open(&c, txn, b);
    if (!rc)
        rc = eng_rows_seek(&c, NULL, 0);
    while (!rc && (rc = eng_rows_next(&c, &row)) == 0)
        rc = run_add(&run, b->table, &row, fn, ctx);
    if (rc == QS_NOTFOUND)
        rc = run_end(&run, fn, ctx);
    eng_rows_close(&c);
    free(run.rows);
    return rc;
}

/* ------------------------------------------------------------------ training */

typedef struct sampler {
    eng_table table;
    size_t stride, seen;
    uint8_t *buf;
    size_t len, cap;
    size_t *sizes;
    unsigned n, sizes_cap;
} sampler;

static int take_sample(const eng_row *rows, size_t n, void *ctx)
{
    sampler *s = ctx;
    if (s->seen++ % s->stride)
        return 0;
    size_t payload = 0;
    for (size_t i = 0; s->table == ENG_T_INTERACTION && i < n; i++)
        payload += rows[i].i.payload_len;
    size_t bound = eng_block_bound(s->table, n, payload);
    if (s->len + bound > s->cap) {
        size_t cap = (s->len + bound) * 2;
        uint8_t *p = realloc(s->buf, cap);
        if (!p)
            return eng_fail(ENOMEM, "out of memory");
        s->buf = p;
        s->cap = cap;
    }
    if (s->n == s->sizes_cap) {
        unsigned cap = s->sizes_cap ? s->sizes_cap * 2 : 1024;
        size_t *p = realloc(s->sizes, cap * sizeof *p);
        if (!p)
            return eng_fail(ENOMEM, "out of memory");
        s->sizes = p;
        s->sizes_cap = cap;
    }
    size_t len = eng_block_encode(s->table, rows, n, s->buf + s->len);
    s->sizes[s->n++] = len;
    s->len += len;
    return 0;
}

/* Train the dictionary of raw bucket @p b on a sample of its blocks into @p dict
 * (SEAL_DICT_CAPACITY bytes); *len 0 when there is too little to learn from. */
static int train(qs_txn *txn, const eng_bucket *b, uint64_t rows, uint8_t *dict, size_t *len)
{
    size_t row_bytes = b->table == ENG_T_ANSWER ? 16 : 48;   /* column form, about */
    sampler s = {.table = b->table};
    s.stride = (size_t)(rows * row_bytes / SEAL_SAMPLE_BYTES) + 1;
    int rc = each_block(txn, b, take_sample, &s);
    *len = 0;
    if (!rc && s.n >= 8) {
        size_t got = ZDICT_trainFromBuffer(dict, SEAL_DICT_CAPACITY, s.buf, s.sizes, s.n);
        if (!ZDICT_isError(got))
            *len = got;
    }
    free(s.buf);
    free(s.sizes);
    return rc;
}

/* ------------------------------------------------------------------ sealing */

typedef struct writer {
    qs_txn *txn;
    const eng_bucket *sealed;
    const eng_seal_dict *dict;
} writer;

static int write_block(const eng_row *rows, size_t n, void *ctx)
{
    writer *w = ctx;
    return block_write(w->txn, w->sealed, w->dict, rows, n, MDB_APPEND);
}

static int put_dict(qs_txn *txn, const eng_bucket *b, const uint8_t *dict, size_t len,
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

static int db_bytes(qs_txn *txn, const eng_bucket *b, uint64_t *rows, uint64_t *bytes)
{
    MDB_stat st;
    int rc = mdb_stat(txn->mdb, b->dbi, &st);
    if (rc)
        return eng_mdb_rc(rc, "stat", b->name);
    *rows = st.ms_entries;
    *bytes = (uint64_t)st.ms_psize * (st.ms_branch_pages + st.ms_leaf_pages +
                                      st.ms_overflow_pages);
    return 0;
}

/* Build the sealed form of raw bucket @p raw in @p sealed (created, empty). */
static int build_sealed(qs_txn *txn, const eng_bucket *raw, const eng_bucket *sealed,
                        uint64_t rows)
{
    uint8_t *dict = malloc(SEAL_DICT_CAPACITY);
    size_t dict_len;
    eng_seal_dict *d = NULL;
    if (!dict)
        return eng_fail(ENOMEM, "out of memory");
    int rc = train(txn, raw, rows, dict, &dict_len);
    if (!rc && dict_len)
        rc = put_dict(txn, sealed, dict, dict_len, &d);
    free(dict);
    writer w = {txn, sealed, d};
    return rc ? rc : each_block(txn, raw, write_block, &w);
}

int eng_bucket_seal(qs_txn *txn, const eng_bucket *raw)
{
    eng_registry_rec rec;
    eng_bucket sealed = *raw;
    uint64_t rows, raw_bytes;
    sealed.sealed = 1;
    size_t len = strlen(raw->name);
    if (len + sizeof ".z" > sizeof sealed.name)
        return eng_fail(QS_INVALID, "bucket name '%s' is too long", raw->name);
    memcpy(sealed.name + len, ".z", sizeof ".z");
    int rc = db_bytes(txn, raw, &rows, &raw_bytes);
    if (!rc)
        rc = eng_db_create(txn, sealed.name, &sealed.dbi);
    if (!rc)
        rc = build_sealed(txn, raw, &sealed, rows);
    if (!rc)
        rc = eng_db_retire(txn, raw->dbi, raw->name);
    if (rc)
        return eng_txn_failed(txn, rc);
    memcpy(rec.name, sealed.name, sizeof rec.name);
    rec.sealed = 1;
    rec.rows = rows;
    rec.raw_bytes = raw_bytes;
    txn->gen_dirty = 1;
    eng_bucket_forget(txn);
    rc = eng_registry_put(txn, raw->table, raw->start, &rec);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int eng_bucket_drop(qs_txn *txn, const eng_bucket *b)
{
    int rc = eng_db_retire(txn, b->dbi, b->name);
    if (!rc)
        rc = eng_registry_del(txn, b->table, b->start);
    if (!rc)
        rc = eng_expired_advance(txn, b->table, eng_period_next(txn->env->period, b->start));
    txn->gen_dirty = 1;
    eng_bucket_forget(txn);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int eng_bucket_info(qs_txn *txn, const eng_bucket *b, qs_bucket_info *out)
{
    eng_registry_rec rec;
    memset(out, 0, sizeof *out);
    out->table = (qs_table)b->table;
    out->start = b->start;
    out->end = eng_period_next(txn->env->period, b->start);
    memcpy(out->name, b->name, sizeof out->name);
    out->sealed = b->sealed;
    int rc = db_bytes(txn, b, &out->rows, &out->bytes);
    out->raw_bytes = out->bytes;
    if (rc || !b->sealed)
        return rc;
    if ((rc = eng_registry_get(txn, b->table, b->start, &rec)) != 0)
        return rc;
    out->rows = rec.rows;
    out->raw_bytes = rec.raw_bytes;
    return 0;
}

/* ------------------------------------------------------------------ inserting */

/* Position @p c on the block that takes @p row: the first block at or after its key
 * if it is the user's, else the user's last block before it. 0 with c->n = 0 when
 * the user has no block there. */
static int target_block(eng_rows *c, const eng_key *k, uint32_t user, MDB_val *bk)
{
    MDB_val v;
    *bk = (MDB_val){k->n, (void *)k->b};
    int rc = mdb_cursor_get(c->cur, bk, &v, MDB_SET_RANGE);
    if (rc == 0 && bk->mv_size == ENG_ROW_KEY && eng_get32(bk->mv_data) == user)
        return eng_sealed_load(c, bk, &v);
    rc = mdb_cursor_get(c->cur, bk, &v, rc == 0 ? MDB_PREV : MDB_LAST);
    if (rc == 0 && bk->mv_size == ENG_ROW_KEY && eng_get32(bk->mv_data) == user)
        return eng_sealed_load(c, bk, &v);
    c->n = 0;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : eng_mdb_rc(rc, "read", c->b.name);
}

static int registry_count(qs_txn *txn, const eng_bucket *b)
{
    eng_registry_rec rec;
    int rc = eng_registry_get(txn, b->table, b->start, &rec);
    if (rc)
        return rc == QS_NOTFOUND ? eng_fail(QS_CORRUPT, "bucket '%s' is not registered",
                                            b->name)
                                 : rc;
    rec.rows++;
    return eng_registry_put(txn, b->table, b->start, &rec);
}

/* Rows of the target block with @p row inserted in order, into @p out (n + 1). */
static int merge_row(const eng_rows *c, const eng_row *row, const eng_key *k, eng_row *out)
{
    size_t at = 0;
    if (c->n == 0) {   /* a new block */
        out[0] = *row;
        return 0;
    }
    while (at < c->n) {
        eng_key rk;
        const eng_row *r = &c->block[at];
        eng_row_key(&rk, r->a.user, r->a.created_at, r->a.id);
        int d = memcmp(rk.b, k->b, ENG_ROW_KEY);
        if (d == 0)
            return QS_EXISTS;
        if (d > 0)
            break;
        at++;
    }
    memcpy(out, c->block, at * sizeof *out);
    out[at] = *row;
    memcpy(out + at + 1, c->block + at, (c->n - at) * sizeof *out);
    return 0;
}

int eng_sealed_insert(qs_txn *txn, const eng_bucket *b, const eng_row *row)
{
    eng_rows c;
    eng_key k;
    MDB_val bk;
    eng_seal_dict *d = NULL;
    eng_row merged[ENG_BLOCK_ROWS + 1];
    eng_row_key(&k, row->a.user, row->a.created_at, row->a.id);
    int rc = eng_rows_open(&c, txn, b);
    if (!rc)
        rc = target_block(&c, &k, row->a.user, &bk);
    if (!rc)
        rc = merge_row(&c, row, &k, merged);
    if (!rc)
        rc = bucket_dict(txn, b, 1, &d);
    if (!rc && c.n) {
        int drc = eng_mdb_cursor_del(txn, c.cur);
        rc = drc ? eng_mdb_rc(drc, "delete", b->name) : 0;
    }
    if (!rc) {
        size_t n = c.n + 1, payload = 0;
        for (size_t i = 0; b->table == ENG_T_INTERACTION && i < n; i++)
            payload += merged[i].i.payload_len;
        /* written before the cursor goes: the rows' payloads point into its block */
        if (n > ENG_BLOCK_ROWS || (n > 1 && payload > BLOCK_PAYLOAD_BUDGET)) {
            rc = block_write(txn, b, d, merged, n / 2, 0);
            if (!rc)
                rc = block_write(txn, b, d, merged + n / 2, n - n / 2, 0);
        } else {
            rc = block_write(txn, b, d, merged, n, 0);
        }
    }
    eng_rows_close(&c);
    if (!rc)
        rc = registry_count(txn, b);
    return rc && rc != QS_EXISTS ? eng_txn_failed(txn, rc) : rc;
}
