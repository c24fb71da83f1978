/* index_pools.c: `quizstore pools list` and `pools reshuffle`, and the pools read. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "index_cmd.h"
#include "json_out.h"

/* ---- pools list ------------------------------------------------------------------- */

static const char *pool_kind_word(unsigned kind)
{
    static const char *const words[] = {"?", "all", "system", "topic", "subject", "band"};
    return kind < sizeof words / sizeof words[0] ? words[kind] : "?";
}

/* "ext_id", or "#id" when the entity has no external id. */
static void taxon_label(qs_txn *txn, qs_kind kind, uint32_t id, char *out, size_t len)
{
    qs_taxon t = {.size = sizeof t};
    if (qs_taxon_get(txn, kind, id, &t) == 0 && t.ext_id[0])
        snprintf(out, len, "%s", t.ext_id);
    else
        snprintf(out, len, "#%" PRIu32, id);
}

/* The coordinates of a pool as words: "system cardio, topic arr, difficulty 2". */
static void pool_coordinates(qs_txn *txn, const qs_pool_info *p, char *out, size_t len)
{
    char a[QS_EXT_ID_MAX + 16], b[QS_EXT_ID_MAX + 16];
    switch (p->kind) {
    case QS_POOL_ALL: snprintf(out, len, "difficulty %" PRIu32, p->a); break;
    case QS_POOL_SYSTEM:
        taxon_label(txn, QS_SYSTEM, p->a, a, sizeof a);
        snprintf(out, len, "system %s, difficulty %" PRIu32, a, p->b);
        break;
    case QS_POOL_TOPIC:
        taxon_label(txn, QS_SYSTEM, p->a, a, sizeof a);
        taxon_label(txn, QS_TOPIC, p->b, b, sizeof b);
        snprintf(out, len, "system %s, topic %s, difficulty %" PRIu32, a, b, p->c);
        break;
    case QS_POOL_SUBJECT:
        taxon_label(txn, QS_SUBJECT, p->a, a, sizeof a);
        snprintf(out, len, "subject %s, difficulty %" PRIu32, a, p->b);
        break;
    case QS_POOL_BAND:
        taxon_label(txn, QS_SYSTEM, p->a, a, sizeof a);
        snprintf(out, len, "system %s, band %" PRIu32 " (%" PRIu32 "-%" PRIu32 " %%)", a, p->b,
                 10 * p->b, p->b == 9 ? 100 : 10 * p->b + 9);
        break;
    default: snprintf(out, len, "%" PRIu32 "/%" PRIu32 "/%" PRIu32, p->a, p->b, p->c);
    }
}

/* "key": {"id", "ext_id"} of a subject, system or topic. */
static void json_taxon(jw *w, qs_txn *txn, const char *key, qs_kind kind, uint32_t id)
{
    qs_taxon t = {.size = sizeof t};
    jw_key(w, key);
    jw_row(w);
    jw_kuint(w, "id", id);
    jw_key(w, "ext_id");
    if (qs_taxon_get(txn, kind, id, &t) == 0 && t.ext_id[0])
        jw_str(w, t.ext_id);
    else
        jw_null(w);
    jw_end_object(w);
}

static void json_pool(jw *w, qs_txn *txn, const qs_pool_info *p)
{
    jw_row(w);
    jw_kstr(w, "kind", pool_kind_word(p->kind));
    switch (p->kind) {
    case QS_POOL_ALL: jw_kuint(w, "difficulty", p->a); break;
    case QS_POOL_SYSTEM:
        json_taxon(w, txn, "system", QS_SYSTEM, p->a);
        jw_kuint(w, "difficulty", p->b);
        break;
    case QS_POOL_TOPIC:
        json_taxon(w, txn, "system", QS_SYSTEM, p->a);
        json_taxon(w, txn, "topic", QS_TOPIC, p->b);
        jw_kuint(w, "difficulty", p->c);
        break;
    case QS_POOL_SUBJECT:
        json_taxon(w, txn, "subject", QS_SUBJECT, p->a);
        jw_kuint(w, "difficulty", p->b);
        break;
    case QS_POOL_BAND:
        json_taxon(w, txn, "system", QS_SYSTEM, p->a);
        jw_kuint(w, "band", p->b);
        break;
    default:
        jw_kuint(w, "a", p->a);
        jw_kuint(w, "b", p->b);
        jw_kuint(w, "c", p->c);
    }
    jw_kuint(w, "size", p->size);
    jw_end_object(w);
}

int read_pools(qs_txn *txn, qs_pool_info **rows, size_t *n)
{
    size_t cap = 256;
    *rows = NULL;
    for (;;) {
        qs_pool_info *p = realloc(*rows, cap * sizeof *p);
        if (!p)
            return ENOMEM;
        *rows = p;
        int rc = qs_pools_list(txn, *rows, cap, n);
        if (rc != 0 || *n <= cap)
            return rc;
        cap = *n;
    }
}

int pools_list(const index_args *a, qs_txn *txn)
{
    qs_pool_info *rows;
    size_t n;
    uint64_t entries = 0;
    int rc = read_pools(txn, &rows, &n);
    if (rc != 0) {
        free(rows);
        msg_rc(a->context, rc);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        entries += rows[i].size;
    if (a->json) {
        jw w;
        jw_init(&w, stdout);
        jw_object(&w);
        jw_key(&w, "pools");
        jw_array(&w);
        for (size_t i = 0; i < n; i++)
            json_pool(&w, txn, &rows[i]);
        jw_end_array(&w);
        jw_key(&w, "total");
        jw_row(&w);
        jw_kuint(&w, "pools", n);
        jw_kuint(&w, "entries", entries);
        jw_end_object(&w);
        jw_end_object(&w);
        jw_finish(&w);
    } else {
        char where[3 * QS_EXT_ID_MAX + 96];
        printf("%-8s %-48s %10s\n", "kind", "coordinates", "size");
        for (size_t i = 0; i < n; i++) {
            pool_coordinates(txn, &rows[i], where, sizeof where);
            printf("%-8s %-48s %10" PRIu32 "\n", pool_kind_word(rows[i].kind), where,
                   rows[i].size);
        }
        printf("%zu pools, %" PRIu64 " entries\n", n, entries);
    }
    free(rows);
    return 0;
}

/* ---- pools reshuffle -------------------------------------------------------------- */

static uint64_t random_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, 0) == (ssize_t)sizeof seed)
        return seed;
    return (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid();
}

int pools_reshuffle(const index_args *a, qs_txn *txn)
{
    uint64_t seed = a->seed_given ? a->seed : random_seed();
    qs_pool_info *rows = NULL;
    size_t n = 0;
    uint64_t entries = 0;
    int rc = qs_pools_reshuffle(txn, seed);
    if (rc == 0)
        rc = read_pools(txn, &rows, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        entries += rows[i].size;
    free(rows);
    if (rc != 0) {
        msg_rc(a->context, rc);
        return 1;
    }
    printf("reshuffled %zu pools (%" PRIu64 " entries) with seed %" PRIu64 "\n", n, entries,
           seed);
    return 0;
}
