/* insert.c: a row written into the bucket of its time: put in order into a raw bucket,
 * or merged into its user's block of a sealed one. */
#include <string.h>

#include "engine_int.h"

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

static int sealed_insert(qs_txn *txn, const eng_bucket *b, const eng_row *row)
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
        rc = eng_sealed_dict(txn, b, 1, &d);
    if (!rc && c.n) {
        int drc = eng_mdb_cursor_del(txn, c.cur);
        rc = drc ? eng_mdb_rc(drc, "delete", b->name) : 0;
    }
    if (!rc) {
        size_t n = c.n + 1, payload = 0;
        for (size_t i = 0; b->table == ENG_T_INTERACTION && i < n; i++)
            payload += merged[i].i.payload_len;
        /* written before the cursor goes: the rows' payloads point into its block */
        if (n > ENG_BLOCK_ROWS || (n > 1 && payload > ENG_BLOCK_PAYLOAD)) {
            rc = eng_sealed_block_put(txn, b, d, merged, n / 2, 0);
            if (!rc)
                rc = eng_sealed_block_put(txn, b, d, merged + n / 2, n - n / 2, 0);
        } else {
            rc = eng_sealed_block_put(txn, b, d, merged, n, 0);
        }
    }
    eng_rows_close(&c);
    if (!rc)
        rc = registry_count(txn, b);
    return rc && rc != QS_EXISTS ? eng_txn_failed(txn, rc) : rc;
}

int eng_row_put(qs_txn *txn, eng_table table, const eng_row *row)
{
    eng_bucket b;
    int rc = eng_bucket_at(txn, table, row->a.created_at, 1, &b);
    if (rc)
        return rc;
    return b.sealed ? sealed_insert(txn, &b, row) : eng_raw_put(txn, &b, row);
}

