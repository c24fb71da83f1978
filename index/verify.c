/* verify.c: every declared index checked both ways from its declaration
 * (composite.h): each record's entries there, each entry from a live record that
 * still has it; then the leaderboards' counts and the pools. */
#include <stdio.h>
#include <string.h>

#include "composite.h"
#include "index.h"
#include "rows.h"

typedef struct verify_ctx {
    const idx_def *def;
    qs_index_report *report;
} verify_ctx;

static void finding(qs_index_report *r, const char *fmt, const char *name, const eng_key *k,
                    const char *what)
{
    if (r->first_finding[0])
        return;
    char hex[80];
    size_t o = 0;
    for (size_t i = 0; i < k->n && o + 2 < sizeof hex; i++)
        o += (size_t)snprintf(hex + o, sizeof hex - o, "%02x", k->b[i]);
    snprintf(r->first_finding, sizeof r->first_finding, fmt, name, hex, what);
}

/* 0 when entry @p e is in its database with its value, else QS_NOTFOUND, or a failure. */
static int entry_there(qs_txn *txn, const idx_def *d, const idx_entry *e)
{
    eng_iter it;
    int rc = eng_iter_open(txn, d->db, &it);
    if (!rc && d->dupsort)
        rc = eng_iter_find_pair(&it, e->key.b, e->key.n, e->val, e->val_len);
    else if (!rc && (rc = eng_iter_find(&it, e->key.b, e->key.n)) == 0 &&
             (it.val.size != e->val_len || memcmp(it.val.data, e->val, e->val_len) != 0))
        rc = ENG_END;   /* the key is there with another value */
    eng_iter_close(&it);
    return rc == ENG_END ? QS_NOTFOUND : rc;
}

/* Every entry a record should have is there. */
static int verify_record(qs_txn *txn, const void *rec, void *arg)
{
    verify_ctx *v = arg;
    idx_entry e[IDX_MAX_ENTRIES];
    size_t n = v->def->cut(rec, e);
    for (size_t i = 0; i < n; i++) {
        int rc = entry_there(txn, v->def, &e[i]);
        v->report->checked++;
        if (rc == QS_NOTFOUND) {
            v->report->missing++;
            finding(v->report, "%s: entry %s missing (%s)", v->def->name, &e[i].key,
                    "its record has it");
        } else if (rc) {
            return rc;
        }
    }
    return 0;
}

/* Every entry comes from a live record that still has it. */
static int verify_entries(qs_txn *txn, const idx_def *d, qs_index_report *r)
{
    static _Thread_local idx_record buf;
    idx_test_user memo = {0, 0, 0};
    eng_iter it;
    int rc = eng_iter_open(txn, d->db, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        const eng_val *mk = &it.key, *mv = &it.val;
        idx_entry want[IDX_MAX_ENTRIES], got;
        eng_key k;
        if (d->owns && !d->owns(mk))
            continue;
        ek_reset(&k);
        ek_bytes(&k, mk->data, mk->size < ENG_KEY_MAX ? mk->size : ENG_KEY_MAX);
        got.key = k;
        got.val_len = (uint8_t)(mv->size <= sizeof got.val ? mv->size : 0);
        memcpy(got.val, mv->data, got.val_len);
        int lrc, expired = 0;
        if (d->source == IDX_ANSWERS) {
            lrc = idx_answer_of_entry(txn, mk, mv, &memo, &buf.a, &expired);
            if (expired)
                continue;
        } else {
            uint64_t id = d->owner(mk, mv);
            lrc = id ? idx_load_record(txn, d->source, id, &buf) : QS_NOTFOUND;
        }
        if (lrc && lrc != QS_NOTFOUND) {
            rc = lrc;
            break;
        }
        if (lrc == QS_NOTFOUND || !idx_entry_in(&got, want, d->cut(&buf, want))) {
            r->extra++;
            finding(r, "%s: entry %s %s", d->name, &k,
                    lrc ? "points at no record" : "does not match its record");
        }
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

static int pools_check_record(qs_txn *txn, const void *rec, void *r)
{
    return idx_pools_check_question(txn, rec, r);
}

int idx_verify(qs_txn *txn, qs_index_report *rows, size_t cap, size_t *n)
{
    size_t total = idx_n_defs + 2;   /* the declarations, the block counts, the pools */
    for (size_t i = 0; i < idx_n_defs && i < cap; i++) {
        qs_index_report *r = &rows[i];
        verify_ctx v = {&idx_defs[i], r};
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", idx_defs[i].name);
        int rc = idx_each_record(txn, idx_defs[i].source, verify_record, &v);
        if (!rc)
            rc = verify_entries(txn, &idx_defs[i], r);
        if (rc)
            return rc;
    }
    if (idx_n_defs < cap) {
        qs_index_report *r = &rows[idx_n_defs];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "lb_count");
        int rc = idx_lb_counts_check(txn, r);
        if (rc)
            return rc;
    }
    if (idx_n_defs + 1 < cap) {
        qs_index_report *r = &rows[idx_n_defs + 1];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "pools");
        int rc = idx_each_record(txn, IDX_QUESTIONS, pools_check_record, r);
        if (!rc)
            rc = idx_pools_check_entries(txn, r);
        if (rc)
            return rc;
    }
    *n = total;
    return 0;
}
