/* listing.c: questions by filter, a page at a time.
 *
 * The narrowest declared index that fits the filter supplies the candidates:
 *   topic            q_filter (system, topic, difficulty) posting lists
 *   system + band    q_band (system, band)
 *   subject          q_subject (subject, difficulty)
 *   system           q_filter, every key under the system
 * Their candidates are checked against the whole filter, sorted in the requested
 * order and paged. With none of those, the newest-first order walks q_created
 * backwards and the id order walks the bank, checking each question and stopping
 * once the page is full. A moved topic's questions (idx_topic_questions) come from
 * q_filter the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "composite.h"
#include "index.h"

typedef struct listed {
    uint32_t id;
    int64_t created_at;
} listed;

typedef struct list_run {
    const qs_question_filter *f;
    const idx_list_pos *after;    /* NULL: from the start */
    listed *items;
    size_t n, cap;
} list_run;

static int matches(const qs_question_filter *f, const idx_question *q)
{
    const eng_question *h = &q->head;
    if ((f->subject && h->subject != f->subject) || (f->system && h->system != f->system) ||
        (f->topic && h->topic != f->topic) || (f->difficulty && h->difficulty != f->difficulty))
        return 0;
    if ((f->active == 1 && !h->active) || (f->active == 2 && h->active))
        return 0;
    if (f->band == QS_BAND_NONE)
        return !q->has_band;
    return !f->band || (q->has_band && q->band == f->band - 1);
}

/* Strictly after the cursor, in the order of the listing. */
static int past(const qs_question_filter *f, const idx_list_pos *after, uint32_t id,
                int64_t created_at)
{
    if (!after)
        return 1;
    if (f->order == QS_ORDER_ID)
        return id > after->id;
    return created_at < after->created_at ||
           (created_at == after->created_at && id < after->id);
}

static int keep(qs_txn *txn, list_run *r, uint32_t id, int *kept)
{
    idx_question q;
    *kept = 0;
    int rc = idx_question_load(txn, id, &q);
    if (rc)
        return rc == QS_NOTFOUND ? eng_fail(QS_CORRUPT, "index lists missing question %u", id)
                                 : rc;
    if (!matches(r->f, &q) || !past(r->f, r->after, id, q.head.created_at))
        return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        listed *items = realloc(r->items, cap * sizeof *items);
        if (!items)
            return eng_fail(ENOMEM, "out of memory");
        r->items = items;
        r->cap = cap;
    }
    r->items[r->n++] = (listed){id, q.head.created_at};
    *kept = 1;
    return 0;
}

/* ------------------------------------------------------------------ candidates */

/* Every id under the keys of @p db from @p lo up to @p prefix_len bytes of it. */
static int collect_range(qs_txn *txn, list_run *r, eng_db db, const eng_key *lo,
                         size_t prefix_len)
{
    eng_iter it;
    int rc = eng_iter_open(txn, db, &it);
    eng_iter_within(&it, lo->b, prefix_len);
    for (rc = rc ? rc : eng_iter_seek(&it, lo->b, lo->n); rc == 0; rc = eng_iter_next_key(&it)) {
        eng_dup_iter d = {&it, 0, 0};
        const uint8_t *ids;
        size_t count;
        int kept;
        while (rc == 0 && (rc = eng_dup_next(&d, 4, &ids, &count)) == 0)
            for (size_t i = 0; i < count && rc == 0; i++)
                rc = keep(txn, r, eng_get32(ids + 4 * i), &kept);
        if (rc != ENG_END)
            break;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* The keys of one difficulty, or of each, under a prefix. */
static int collect_difficulties(qs_txn *txn, list_run *r, eng_db db, const eng_key *prefix)
{
    int rc = 0;
    for (uint8_t d = 1; d <= 3 && !rc; d++) {
        if (r->f->difficulty && d != r->f->difficulty)
            continue;
        eng_key k = *prefix;
        ek_u8(&k, d);
        rc = collect_range(txn, r, db, &k, k.n);
    }
    return rc;
}

static int by_id(const void *a, const void *b)
{
    const listed *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int by_newest(const void *a, const void *b)
{
    const listed *x = a, *y = b;
    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? 1 : -1;
    return (x->id < y->id) - (x->id > y->id);
}

/* The candidates of the narrowest fitting index; 1 in *used when one fits. */
static int from_index(qs_txn *txn, list_run *r, int *used)
{
    const qs_question_filter *f = r->f;
    eng_key k;
    ek_reset(&k);
    *used = 1;
    if (f->topic) {
        qs_taxon t;
        int rc = eng_taxon_get(txn, QS_TOPIC, f->topic, &t);
        if (rc == QS_NOTFOUND || (f->system && f->system != t.parent))
            return 0;
        if (rc)
            return rc;
        ek_u32(&k, t.parent);
        ek_u32(&k, f->topic);
        return collect_difficulties(txn, r, ENG_Q_FILTER, &k);
    }
    if (f->system && f->band && f->band != QS_BAND_NONE) {
        ek_u32(&k, f->system);
        ek_u8(&k, (uint8_t)(f->band - 1));
        return collect_range(txn, r, ENG_Q_BAND, &k, k.n);
    }
    if (f->subject) {
        ek_u32(&k, f->subject);
        return collect_difficulties(txn, r, ENG_Q_SUBJECT, &k);
    }
    if (f->system) {
        ek_u32(&k, f->system);
        return collect_range(txn, r, ENG_Q_FILTER, &k, 4);
    }
    *used = 0;
    return 0;
}

/* No index fits: walk q_created backwards or the bank forwards from the cursor. */
static int by_walk(qs_txn *txn, list_run *r, size_t cap)
{
    int newest = r->f->order == QS_ORDER_NEWEST;
    eng_db db = newest ? ENG_Q_CREATED : ENG_QUESTION;
    eng_iter it;
    eng_key k;
    ek_reset(&k);
    if (newest) {
        ek_time(&k, r->after ? r->after->created_at : INT64_MAX);
        ek_u32(&k, r->after ? r->after->id : UINT32_MAX);
    } else {
        ek_u32(&k, r->after ? r->after->id : 0);
    }
    int rc = eng_iter_open(txn, db, &it);
    if (!rc)
        rc = newest ? eng_iter_seek_before(&it, k.b, k.n) : eng_iter_seek(&it, k.b, k.n);
    for (; rc == 0 && r->n < cap; rc = newest ? eng_iter_prev(&it) : eng_iter_next(&it)) {
        if ((rc = eng_key_check(&it.key, newest ? 12 : 4, eng_db_name(db))) != 0)
            break;
        int kept;
        uint32_t id = eng_get32((const uint8_t *)it.key.data + (newest ? 8 : 0));
        if ((rc = keep(txn, r, id, &kept)) != 0)
            break;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

int idx_question_list(qs_txn *txn, const qs_question_filter *f, const idx_list_pos *after,
                      uint32_t *ids, size_t cap, size_t *n, idx_list_pos *last)
{
    list_run r = {f, after, NULL, 0, 0};
    int used;
    *n = 0;
    int rc = from_index(txn, &r, &used);
    if (!rc && !used)
        rc = by_walk(txn, &r, cap + 1);   /* one past the page says whether more follow */
    else if (!rc && r.n)
        qsort(r.items, r.n, sizeof *r.items, f->order == QS_ORDER_ID ? by_id : by_newest);
    for (size_t i = 0; !rc && i < r.n && *n < cap; i++) {
        ids[(*n)++] = r.items[i].id;
        *last = (idx_list_pos){r.items[i].id, r.items[i].created_at};
    }
    if (!rc && r.n > cap)
        (*n)++;
    free(r.items);
    return rc;
}

int idx_topic_questions(qs_txn *txn, uint32_t system, uint32_t topic, uint32_t **ids,
                        size_t *n)
{
    qs_question_filter f = {.system = system, .topic = topic};
    list_run r = {&f, NULL, NULL, 0, 0};
    eng_key k;
    ek_reset(&k);
    ek_u32(&k, system);
    ek_u32(&k, topic);
    *ids = NULL;
    *n = 0;
    int rc = collect_range(txn, &r, ENG_Q_FILTER, &k, k.n);
    if (!rc && r.n && !(*ids = malloc(r.n * sizeof **ids)))
        rc = eng_fail(ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < r.n; i++)
        (*ids)[(*n)++] = r.items[i].id;
    free(r.items);
    return rc;
}
