/* bank.c: the question bank rewritten under a trained dictionary (qs_bank_compress). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* Every question of the bank, its texts copied out of the map into one arena, each
 * question's texts contiguous (they are its dictionary training sample). */
typedef struct bank_copy {
    eng_question *q;
    size_t *size;        /* bytes of each question's texts, then its record */
    size_t *record;
    char *arena;
    size_t n, used;
} bank_copy;

static void bank_copy_free(bank_copy *b)
{
    free(b->q);
    free(b->size);
    free(b->record);
    free(b->arena);
}

static int bank_copy_add(bank_copy *b, const eng_question *q, size_t record_size, size_t *cap,
                         size_t *arena_cap)
{
    size_t len = q->stem.len + q->explanation.len;
    for (unsigned i = 0; i < q->n_options; i++)
        len += q->options[i].len;
    if (b->n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        eng_question *nq = realloc(b->q, *cap * sizeof *nq);
        size_t *ns = nq ? realloc(b->size, *cap * sizeof *ns) : NULL;
        size_t *nr = ns ? realloc(b->record, *cap * sizeof *nr) : NULL;
        if (nq) b->q = nq;
        if (ns) b->size = ns;
        if (!nr)
            return eng_fail(ENOMEM, "out of memory");
        b->record = nr;
    }
    while (b->used + len > *arena_cap) {
        *arena_cap = *arena_cap ? 2 * *arena_cap : 1 << 20;
        char *na = realloc(b->arena, *arena_cap);
        if (!na)
            return eng_fail(ENOMEM, "out of memory");
        b->arena = na;
    }
    /* texts are kept as offsets into the arena until it stops moving */
    eng_question *c = &b->q[b->n];
    *c = *q;
    qs_text *fields[2 + QS_MAX_OPTIONS] = {&c->stem, &c->explanation};
    for (unsigned i = 0; i < q->n_options; i++)
        fields[2 + i] = &c->options[i];
    for (unsigned i = 0; i < 2u + q->n_options; i++) {
        memcpy(b->arena + b->used, fields[i]->ptr, fields[i]->len);
        fields[i]->ptr = (const char *)(uintptr_t)b->used;
        b->used += fields[i]->len;
    }
    b->size[b->n] = len;
    b->record[b->n++] = record_size;
    return 0;
}

static int bank_copy_load(qs_txn *txn, bank_copy *b)
{
    eng_iter it;
    size_t cap = 0, arena_cap = 0;
    memset(b, 0, sizeof *b);
    int rc = eng_iter_open(txn, ENG_QUESTION, &it), qrc = 0;
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        eng_question q;
        if ((qrc = eng_key_check(&it.key, 4, "question")) != 0 ||
            (qrc = eng_question_get(txn, eng_get32(it.key.data), &q)) != 0 ||
            (qrc = bank_copy_add(b, &q, it.val.size, &cap, &arena_cap)) != 0)
            break;
    }
    eng_iter_close(&it);
    if ((rc = qrc ? qrc : rc == ENG_END ? 0 : rc) != 0)
        return rc;
    for (size_t i = 0; i < b->n; i++) {
        eng_question *q = &b->q[i];
        q->stem.ptr = b->arena + (uintptr_t)q->stem.ptr;
        q->explanation.ptr = b->arena + (uintptr_t)q->explanation.ptr;
        for (unsigned o = 0; o < q->n_options; o++)
            q->options[o].ptr = b->arena + (uintptr_t)q->options[o].ptr;
    }
    return 0;
}

static uint64_t question_db_bytes(qs_txn *txn)
{
    MDB_stat st;
    if (mdb_stat(eng_mdb(txn), eng_dbi(txn, ENG_QUESTION), &st))
        return 0;
    return (uint64_t)st.ms_psize * (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
}

/* Empty the question database and write every question back in id order with the
 * new dictionary: appending packs the pages full. */
static int rewrite_bank(qs_txn *txn, const bank_copy *b, qs_compress_report *rep)
{
    int rc = eng_db_empty(txn, ENG_QUESTION);
    if (rc)
        return rc;
    for (size_t i = 0; i < b->n; i++) {
        eng_key k;
        eng_val v;
        if ((rc = eng_question_put(txn, &b->q[i], ENG_APPEND)) != 0)
            return rc;
        ek_reset(&k);
        ek_u32(&k, b->q[i].id);
        if ((rc = eng_entry_get(txn, ENG_QUESTION, &(eng_val){k.n, k.b}, &v)) != 0)
            return rc;
        rep->compressed += v.size < b->record[i];
    }
    return 0;
}

int eng_bank_compress(qs_txn *txn, qs_compress_report *report)
{
    int rc;
    memset(report, 0, sizeof *report);
    report->raw_bytes = question_db_bytes(txn);
    bank_copy b;
    rc = bank_copy_load(txn, &b);
    report->questions = (uint32_t)b.n;
    if (!rc)
        rc = eng_text_train(txn, b.arena, b.size, (unsigned)b.n, &report->dict_bytes);
    if (!rc && report->dict_bytes)
        rc = rewrite_bank(txn, &b, report);
    bank_copy_free(&b);
    report->stored_bytes = question_db_bytes(txn);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

