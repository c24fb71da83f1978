/* fuzz_records: the record decoders behind the public reads, on records damaged at
 * will.
 *
 * Each input writes up to four values into the seeded store (fuzz_store.h) with
 * liblmdb, in a write transaction of the store (eng_mdb() gives its LMDB
 * transaction), then calls every public read that decodes them, then a few writes that
 * must read them first (answers and interactions into a raw and a sealed bucket), and
 * aborts the transaction. Every call must return 0 or a QS_ code; a crash, a hang or
 * a sanitizer report is a finding. Outputs are read through so that the sanitizers
 * see every byte a read hands out.
 *
 * Input: one or more values, each
 *   target  u8   bits 0-4: the database and key family (% T_COUNT, see the enum);
 *                bits 5-6 both set: also run the whole-store checks (qs_index_verify,
 *                qs_check), the slow reads
 *   mode    u8   bits 0-1: 3 writes the body as the whole value; else the body is
 *                  sealed with a valid header (version 1 and the checksum of
 *                  engine/record.c), so that the decoders behind the check run;
 *                bit 2: the key follows in the input (u8 length, then bytes); else
 *                  bits 3-5 pick one of the keys the store holds for the target;
 *                bit 6: sealed-bucket targets: the harness builds the block header
 *                  (codec, rows, column bytes) from the body's first two bytes and
 *                  compresses the rest as the codec says (stored, zstd, zstd with the
 *                  bucket's own dictionary);
 *                bit 7: another value follows this one
 *   [keylen u8, key bytes]      when bit 2 is set
 *   [bodylen u16 big-endian]    when bit 7 is set; else the body is the rest
 *   body
 * T_BLOCK_DECODE writes nothing: it calls eng_block_decode() on the body directly
 * (table and row count from its first bytes) and checks a decoded block re-encodes
 * to the same rows.
 *
 * The reads that run are those that decode what the input wrote (read_groups), so
 * that an execution stays short.
 */
#include <lmdb.h>
#include <xxhash.h>
#include <zstd.h>

#include "fuzz_reads.h"
#include "fuzz_store.h"
#include "mdb.h"
#include "rows.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef enum target {
    T_QUESTION,
    T_USER,
    T_TEST,
    T_USUM,
    T_UDAILY,
    T_PROGRESS,
    T_UQ,
    T_QSTAT,
    T_ANS_RAW,       /* a row of the raw answer bucket (January 2026) */
    T_IXN_RAW,
    T_ANS_SEALED,    /* a block of the sealed answer bucket (June 2025) */
    T_IXN_SEALED,
    T_BUCKETS,       /* the bucket registry */
    T_ANS_DICT,      /* the sealed answer bucket's zstd dictionary */
    T_IXN_DICT,
    T_TOPIC,
    T_XID,
    T_IDAILY,
    T_TEST_ANSWERS,
    T_META,          /* counters, settings, the bank's text dictionary */
    T_BLOCK_DECODE,
    T_COUNT
} target;

#define KEYS_PER_TARGET 8
#define MAX_VALUES 4
#define MODE_RAW(m) (((m) & 3) == 3)
#define MODE_KEY_IN_INPUT 0x04
#define MODE_KEY_INDEX(m) (((m) >> 3) & 7)
#define MODE_BUILD_BLOCK 0x40
#define MODE_MORE 0x80
#define BLOCK_HEADER 7
#define FAKE_DICT_KEY "dict.51534631"   /* a text dictionary id no record uses yet */

typedef struct known_key {
    uint8_t b[ENG_KEY_MAX];
    size_t n;
} known_key;

typedef struct target_db {
    MDB_dbi dbi;
    known_key keys[KEYS_PER_TARGET];
    size_t n_keys;
} target_db;

static fz_store store;
static target_db targets[T_COUNT];
static char bucket_names[2][2][24];     /* [table - 1][sealed] */
static uint8_t *seal_dicts[2];          /* the sealed buckets' dictionaries, or NULL */
static size_t seal_dict_len[2];
static uint8_t scratch[1 << 17];

/* ------------------------------------------------------------------ setup */

static void add_key(target_db *t, const void *b, size_t n)
{
    if (t->n_keys < KEYS_PER_TARGET && n <= ENG_KEY_MAX) {
        memcpy(t->keys[t->n_keys].b, b, n);
        t->keys[t->n_keys++].n = n;
    }
}

/* Keys of @p t's database spread over it (all of them when it has few). */
static void collect_keys(MDB_txn *m, target_db *t, size_t skip_len)
{
    MDB_stat st;
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_stat(m, t->dbi, &st) != 0 || mdb_cursor_open(m, t->dbi, &cur) != 0)
        FZ_DIE("cannot walk a database");
    size_t step = st.ms_entries / KEYS_PER_TARGET + 1, i = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size == skip_len)
            continue;
        if (i++ % step == 0)
            add_key(t, k.mv_data, k.mv_size);
    }
    mdb_cursor_close(cur);
}

static void find_buckets(qs_txn *txn)
{
    qs_bucket_info rows[8];
    size_t n;
    FZ_OK(qs_bucket_list(txn, rows, 8, &n));
    if (n != 4)
        FZ_DIE("the seeded store has %zu buckets, not 4", n);
    for (size_t i = 0; i < n; i++)
        memcpy(bucket_names[rows[i].table - 1][rows[i].sealed], rows[i].name, 24);
}

static MDB_dbi open_named(MDB_txn *m, const char *name)
{
    MDB_dbi dbi;
    if (mdb_dbi_open(m, name, 0, &dbi) != 0)
        FZ_DIE("no database '%s'", name);
    return dbi;
}

/* The dictionary a sealed bucket's blocks are compressed with, if it has one. */
static void load_seal_dict(MDB_txn *m, int table)
{
    uint8_t zero = 0;
    MDB_val k = {1, &zero}, v;
    if (mdb_get(m, targets[table ? T_IXN_SEALED : T_ANS_SEALED].dbi, &k, &v) != 0)
        return;
    seal_dict_len[table] = v.mv_size - ENG_REC_HEADER;
    seal_dicts[table] = malloc(seal_dict_len[table]);
    memcpy(seal_dicts[table], (uint8_t *)v.mv_data + ENG_REC_HEADER, seal_dict_len[table]);
}

static void setup_targets(void)
{
    static const eng_db fixed[T_COUNT] = {
        [T_QUESTION] = ENG_QUESTION, [T_USER] = ENG_USER,       [T_TEST] = ENG_TEST,
        [T_USUM] = ENG_USUM,         [T_UDAILY] = ENG_UDAILY,   [T_PROGRESS] = ENG_PROGRESS,
        [T_UQ] = ENG_UQ,             [T_QSTAT] = ENG_QSTAT,     [T_BUCKETS] = ENG_BUCKETS,
        [T_TOPIC] = ENG_TOPIC,       [T_XID] = ENG_XID,         [T_IDAILY] = ENG_IDAILY,
        [T_TEST_ANSWERS] = ENG_TEST_ANSWERS, [T_META] = ENG_META};
    qs_txn *txn;
    FZ_OK(qs_txn_begin(store.env, 0, &txn));
    MDB_txn *m = eng_mdb(txn);
    find_buckets(txn);
    for (int t = 0; t < T_COUNT; t++)
        if (fixed[t] || t == T_META)
            targets[t].dbi = eng_dbi(txn, fixed[t]);
    targets[T_ANS_RAW].dbi = open_named(m, bucket_names[0][0]);
    targets[T_IXN_RAW].dbi = open_named(m, bucket_names[1][0]);
    targets[T_ANS_SEALED].dbi = targets[T_ANS_DICT].dbi = open_named(m, bucket_names[0][1]);
    targets[T_IXN_SEALED].dbi = targets[T_IXN_DICT].dbi = open_named(m, bucket_names[1][1]);
    for (int t = 0; t < T_COUNT; t++) {
        if (t == T_ANS_DICT || t == T_IXN_DICT || t == T_BLOCK_DECODE)
            continue;
        /* the sealed buckets' dictionary has the only 1-byte key */
        collect_keys(m, &targets[t], t == T_ANS_SEALED || t == T_IXN_SEALED ? 1 : 0);
    }
    uint8_t zero = 0;
    add_key(&targets[T_ANS_DICT], &zero, 1);
    add_key(&targets[T_IXN_DICT], &zero, 1);
    add_key(&targets[T_META], FAKE_DICT_KEY, strlen(FAKE_DICT_KEY));
    load_seal_dict(m, 0);
    load_seal_dict(m, 1);
    qs_txn_abort(txn);   /* the handles stay: they were open before this transaction */
}

/* ------------------------------------------------------------------ seed inputs */

static const char *const target_names[T_COUNT] = {
    "question", "user", "test", "usum", "udaily", "progress", "uq", "qstat",
    "ans-raw", "ixn-raw", "ans-sealed", "ixn-sealed", "buckets", "ans-dict", "ixn-dict",
    "topic", "xid", "idaily", "ans-by-test", "meta", "block-decode"};

static void write_seed(const char *dir, const char *name, unsigned i, const uint8_t *head,
                       size_t head_len, const uint8_t *body, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s-%u", dir, name, i);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(head, 1, head_len, f) != head_len || fwrite(body, 1, n, f) != n ||
        fclose(f) != 0)
        FZ_DIE("cannot write %s", path);
}

/* The column form of a stored block record body, into scratch; its length, 0 if none. */
static size_t block_columns(int table, const uint8_t *b, size_t n, unsigned *rows)
{
    if (n < BLOCK_HEADER)
        return 0;
    size_t raw_len = (size_t)b[3] << 24 | (size_t)b[4] << 16 | (size_t)b[5] << 8 | b[6];
    *rows = (unsigned)(b[1] << 8 | b[2]);
    const uint8_t *z = b + BLOCK_HEADER;
    size_t zn = n - BLOCK_HEADER, got;
    if (raw_len > sizeof scratch)
        return 0;
    if (b[0] == 0) {
        memcpy(scratch, z, zn);
        got = zn;
    } else if (b[0] == 1) {
        got = ZSTD_decompress(scratch, raw_len, z, zn);
    } else {
        ZSTD_DCtx *d = ZSTD_createDCtx();
        got = ZSTD_decompress_usingDict(d, scratch, raw_len, z, zn, seal_dicts[table],
                                        seal_dict_len[table]);
        ZSTD_freeDCtx(d);
    }
    return ZSTD_isError(got) || got != raw_len ? 0 : got;
}

/* Sealed block seeds: the block rebuilt by the harness (mode bit 6) and decoded alone. */
static void write_block_seeds(const char *dir, target t, unsigned i, const uint8_t *body,
                              size_t n)
{
    int table = t == T_IXN_SEALED;
    unsigned rows;
    size_t len = block_columns(table, body, n, &rows);
    if (!len || rows == 0)
        return;
    uint8_t head[4] = {(uint8_t)t, (uint8_t)(i << 3 | MODE_BUILD_BLOCK), 0,
                       (uint8_t)(rows - 1)};
    write_seed(dir, table ? "ixn-block" : "ans-block", i, head, 4, scratch, len);
    uint8_t direct[4] = {T_BLOCK_DECODE, 0, (uint8_t)table, (uint8_t)(rows - 1)};
    write_seed(dir, table ? "ixn-columns" : "ans-columns", i, direct, 4, scratch, len);
}

/* Write into @p dir one input per key the harness knows, holding that key's current
 * body: the valid records the corpus starts from. */
static void write_seeds(const char *dir)
{
    static uint8_t body[1 << 17];
    qs_txn *txn;
    FZ_OK(qs_txn_begin(store.env, QS_TXN_RDONLY, &txn));
    MDB_txn *m = eng_mdb(txn);
    for (int t = 0; t < T_BLOCK_DECODE; t++) {
        for (unsigned i = 0; i < targets[t].n_keys; i++) {
            known_key *k = &targets[t].keys[i];
            MDB_val mk = {k->n, k->b}, v;
            if (mdb_get(m, targets[t].dbi, &mk, &v) != 0 || v.mv_size < ENG_REC_HEADER ||
                v.mv_size - ENG_REC_HEADER > sizeof body)
                continue;
            size_t n = v.mv_size - ENG_REC_HEADER;
            memcpy(body, (uint8_t *)v.mv_data + ENG_REC_HEADER, n);
            uint8_t head[2] = {(uint8_t)t, (uint8_t)(i << 3)};
            write_seed(dir, target_names[t], i, head, 2, body, n);
            if (t == T_ANS_SEALED || t == T_IXN_SEALED)
                write_block_seeds(dir, (target)t, i, body, n);
        }
    }
    qs_txn_abort(txn);
}

/* With QS_FUZZ_WRITE_SEEDS=DIR in the environment, write the seed inputs into DIR
 * first: `QS_FUZZ_WRITE_SEEDS=DIR fuzz_records -runs=0 DIR` makes the valid-record
 * part of tests/fuzz/corpus/fuzz_records. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_store_build(&store, 8);
    setup_targets();
    const char *seeds = getenv("QS_FUZZ_WRITE_SEEDS");
    if (seeds && *seeds)
        write_seeds(seeds);
    return 0;
}

/* ------------------------------------------------------------------ reads */

/* The reads that decode what a value of @p t changes (R_ flags of fuzz_reads.h). */
static unsigned read_groups(target t)
{
    switch (t) {
    case T_QUESTION:
    case T_QSTAT: return R_BANK | R_PROBES;
    case T_META: return R_BANK | R_MISC | R_PROBES;
    case T_USER:
    case T_USUM:
    case T_UDAILY:
    case T_PROGRESS:
    case T_UQ: return R_USERS | R_MISC | R_PROBES;
    case T_IDAILY: return R_USERS;
    case T_TEST:
    case T_TEST_ANSWERS: return R_TESTS | R_USERS | R_PROBES;
    case T_ANS_RAW:
    case T_ANS_SEALED:
    case T_ANS_DICT:
    case T_BUCKETS: return R_SCANS | R_USERS | R_TESTS | R_PROBES;
    case T_IXN_RAW:
    case T_IXN_SEALED:
    case T_IXN_DICT: return R_SCANS | R_PROBES;
    case T_TOPIC: return R_TAXA | R_BANK;
    case T_XID: return R_BANK | R_USERS | R_TESTS | R_MISC;
    default: return 0;
    }
}

/* What an input calls for: groups of reads, and the users whose reads run. */
typedef struct reads {
    unsigned groups;
    unsigned users;     /* bit u: store.users[u] */
} reads;

/* The user a damaged key names, as a bit of reads.users: the first u32 of a key of
 * a user's record or row, the user of a test. */
static unsigned key_user(target t, const known_key *k)
{
    unsigned mask = 0;
    for (unsigned u = 0; u < store.n_users; u++) {
        switch (t) {
        case T_USER: case T_USUM: case T_UDAILY: case T_PROGRESS: case T_UQ: case T_IDAILY:
        case T_ANS_RAW: case T_IXN_RAW: case T_ANS_SEALED: case T_IXN_SEALED:
            if (k->n >= 4 && eng_get32(k->b) == store.users[u])
                mask |= 1u << u;
            break;
        case T_TEST: case T_TEST_ANSWERS:
            if (k->n >= 8 && (eng_get64(k->b) == store.tests[u][0] ||
                              eng_get64(k->b) == store.tests[u][1]))
                mask |= 1u << u;
            break;
        default: break;
        }
    }
    return mask;
}

/* ------------------------------------------------------------------ values */

/* Header of a sealed record, as engine/record.c writes it. */
static void seal(uint8_t *out, const known_key *k, const uint8_t *body, size_t n)
{
    XXH64_hash_t seed = XXH3_64bits(k->b, k->n);
    uint32_t sum = (uint32_t)XXH3_64bits_withSeed(body, n, seed);
    out[0] = ENG_REC_VERSION;
    out[1] = (uint8_t)(sum >> 24);
    out[2] = (uint8_t)(sum >> 16);
    out[3] = (uint8_t)(sum >> 8);
    out[4] = (uint8_t)sum;
}

/* A block record body around @p data: codec and rows from the first two bytes. */
static size_t build_block(int table, const uint8_t *data, size_t n, uint8_t *out, size_t cap)
{
    if (n < 2)
        return 0;
    unsigned codec = data[0] % 3;
    unsigned rows = data[1] % ENG_BLOCK_ROWS + 1;
    const uint8_t *cols = data + 2;
    size_t len = n - 2, zn;
    if (codec == 2 && !seal_dicts[table])
        codec = 1;
    if (codec == 0) {
        if (len > cap - BLOCK_HEADER)
            return 0;
        memcpy(out + BLOCK_HEADER, cols, len);
        zn = len;
    } else if (codec == 1) {
        zn = ZSTD_compress(out + BLOCK_HEADER, cap - BLOCK_HEADER, cols, len, 1);
    } else {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        zn = ZSTD_compress_usingDict(c, out + BLOCK_HEADER, cap - BLOCK_HEADER, cols, len,
                                     seal_dicts[table], seal_dict_len[table], 1);
        ZSTD_freeCCtx(c);
    }
    if (ZSTD_isError(zn))
        return 0;
    out[0] = (uint8_t)codec;
    out[1] = (uint8_t)(rows >> 8);
    out[2] = (uint8_t)rows;
    out[3] = (uint8_t)(len >> 24);
    out[4] = (uint8_t)(len >> 16);
    out[5] = (uint8_t)(len >> 8);
    out[6] = (uint8_t)len;
    return BLOCK_HEADER + zn;
}

static int same_row(eng_table table, const eng_row *a, const eng_row *b)
{
    if (table == ENG_T_ANSWER)
        return memcmp(&a->a, &b->a, sizeof a->a) == 0;
    return a->i.user == b->i.user && a->i.created_at == b->i.created_at &&
           a->i.seq == b->i.seq && a->i.action == b->i.action &&
           a->i.payload_len == b->i.payload_len &&
           (a->i.payload_len == 0 ||
            memcmp(a->i.payload, b->i.payload, a->i.payload_len) == 0);
}

/* eng_block_decode on @p data; a block that decodes must encode back to its rows. */
static void block_decode(const uint8_t *data, size_t n)
{
    static eng_row rows[ENG_BLOCK_ROWS], again[ENG_BLOCK_ROWS];
    static uint8_t encoded[ENG_BLOCK_ROWS * 64 + ENG_BLOCK_ROWS * QS_PAYLOAD_MAX];
    if (n < 2)
        return;
    eng_table table = data[0] & 1 ? ENG_T_INTERACTION : ENG_T_ANSWER;
    size_t count = data[1] % ENG_BLOCK_ROWS + 1;
    const uint8_t *p = data + 2, *end = data + n;
    int rc = eng_block_decode(table, 7, p, (size_t)(end - p), rows, count);
    if (rc == QS_CORRUPT)
        return;
    if (rc != 0)
        FZ_DIE("eng_block_decode returned %d", rc);
    size_t payload = 0;
    for (size_t i = 0; table == ENG_T_INTERACTION && i < count; i++) {
        const eng_ixn *ix = &rows[i].i;
        if (ix->payload_len > QS_PAYLOAD_MAX ||
            (ix->payload_len && (ix->payload < p || ix->payload + ix->payload_len > end)))
            FZ_DIE("row %zu: payload outside the block", i);
        payload += ix->payload_len;
    }
    if (eng_block_bound(table, count, payload) > sizeof encoded)
        FZ_DIE("block bound too large");
    size_t len = eng_block_encode(table, rows, count, encoded);
    if (len > eng_block_bound(table, count, payload))
        FZ_DIE("encoded %zu bytes, bound %zu", len, eng_block_bound(table, count, payload));
    if (eng_block_decode(table, 7, encoded, len, again, count) != 0)
        FZ_DIE("a re-encoded block does not decode");
    for (size_t i = 0; i < count; i++)
        if (!same_row(table, &rows[i], &again[i]))
            FZ_DIE("row %zu changed through encode and decode", i);
}

/* Write one value of @p t. */
static void put_value(MDB_txn *m, target t, unsigned mode, const known_key *key,
                      const uint8_t *body, size_t n)
{
    static uint8_t built[1 << 17];
    if ((t == T_ANS_SEALED || t == T_IXN_SEALED) && (mode & MODE_BUILD_BLOCK)) {
        size_t bn = build_block(t == T_IXN_SEALED, body, n, built, sizeof built);
        if (!bn)
            return;
        body = built;
        n = bn;
    }
    if (n + ENG_REC_HEADER > sizeof scratch)
        return;
    size_t len = n;
    if (MODE_RAW(mode)) {
        memcpy(scratch, body, n);
    } else {
        seal(scratch, key, body, n);
        memcpy(scratch + ENG_REC_HEADER, body, n);
        len += ENG_REC_HEADER;
    }
    MDB_val k = {key->n, (void *)key->b}, v = {len, scratch};
    (void)mdb_put(m, targets[t].dbi, &k, &v, 0);  /* a key LMDB refuses writes nothing */
}

/* One value from the input at *p, adding the reads it calls for to @p r; returns 0
 * when the input ends or is short. */
static int next_value(MDB_txn *m, const uint8_t **p, const uint8_t *end, reads *r)
{
    if (end - *p < 2)
        return 0;
    target t = (target)(((*p)[0] & 31) % T_COUNT);
    unsigned mode = (*p)[1];
    r->groups |= read_groups(t) | (((*p)[0] & 0x60) == 0x60 ? R_DEEP : 0);
    *p += 2;
    known_key key = {{0}, 0};
    if (mode & MODE_KEY_IN_INPUT) {
        if (*p >= end)
            return 0;
        size_t kn = **p % (ENG_KEY_MAX + 1);
        (*p)++;
        if ((size_t)(end - *p) < kn)
            return 0;
        memcpy(key.b, *p, kn);
        key.n = kn;
        *p += kn;
    } else if (t != T_BLOCK_DECODE) {
        const target_db *td = &targets[t];
        if (td->n_keys == 0)
            return 0;
        key = td->keys[MODE_KEY_INDEX(mode) % td->n_keys];
    }
    size_t n = (size_t)(end - *p);
    int more = (mode & MODE_MORE) != 0;
    if (more) {
        if (n < 2)
            return 0;
        n = (size_t)((*p)[0] << 8 | (*p)[1]);
        *p += 2;
        if (n > (size_t)(end - *p))
            n = (size_t)(end - *p);
    }
    const uint8_t *body = *p;
    *p += n;
    r->users |= key_user(t, &key);
    if (t == T_BLOCK_DECODE)
        block_decode(body, n);
    else if (key.n > 0)
        put_value(m, t, mode, &key, body, n);
    return more;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qs_txn *txn;
    FZ_OK(qs_txn_begin(store.env, 0, &txn));
    MDB_txn *m = eng_mdb(txn);
    const uint8_t *p = data, *end = data + size;
    reads r = {0, 3};   /* users u-1 and u-2, and any a key names */
    for (int i = 0; i < MAX_VALUES && next_value(m, &p, end, &r); i++)
        ;
    fz_reads_run(txn, &store, r.groups, r.users);
    if (r.groups & R_PROBES)
        fz_write_probes(txn, &store);
    qs_txn_abort(txn);
    return 0;
}
