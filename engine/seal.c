/* seal.c: sealing a raw bucket, and dropping buckets.
 *
 * Sealing runs in one write transaction: it builds the sealed database (the format of
 * sealed.c), empties the raw one and points the registry at the sealed one. Readers
 * see either bucket whole, and a crash before the commit leaves the raw bucket as it
 * was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zdict.h>

#include "engine_int.h"
#include "rows.h"

#define SEAL_DICT_CAPACITY (16 * 1024)
#define SEAL_SAMPLE_BYTES (1024 * 1024)

static size_t blocks_for(size_t n, size_t payload)
{
    size_t by_rows = (n + ENG_BLOCK_ROWS - 1) / ENG_BLOCK_ROWS;
    size_t by_bytes = (payload + ENG_BLOCK_PAYLOAD - 1) / ENG_BLOCK_PAYLOAD;
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
    return eng_sealed_block_put(w->txn, w->sealed, w->dict, rows, n, MDB_APPEND);
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
        rc = eng_sealed_dict_put(txn, sealed, dict, dict_len, &d);
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
