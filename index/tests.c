/* tests.c: the test-by-user index and drawing a test's questions.
 *
 * test_by_user holds (user, status, last_activity_at, test) for every test, so a
 * user's ACTIVE or PAUSED tests, most recent first, are a reverse range walk.
 * Drawing scans the bank for eligible questions and takes a seeded partial
 * Fisher-Yates shuffle of them.
 */
#include <errno.h>
#include <string.h>

#include "index.h"

int idx_test_reindex(qs_txn *txn, const qs_test *old, const qs_test *t)
{
    eng_key k;
    MDB_dbi dbi = eng_dbi(txn, ENG_TEST_BY_USER);
    if (old) {
        if (old->user == t->user && old->status == t->status &&
            old->last_activity_at == t->last_activity_at)
            return 0;
        eng_test_index_key(&k, old->user, old->status, old->last_activity_at, old->id);
        int rc = eng_del(txn, dbi, "test_by_user", &k, NULL);
        if (rc == QS_NOTFOUND)
            return eng_corrupt(ENG_TEST_BY_USER, &k, "index entry missing");
        if (rc)
            return rc;
    }
    eng_test_index_key(&k, t->user, t->status, t->last_activity_at, t->id);
    MDB_val mk = {k.n, k.b}, mv = {0, NULL};
    int rc = mdb_put(eng_mdb(txn), dbi, &mk, &mv, 0);
    return rc ? eng_txn_failed(txn, eng_mdb_rc(rc, "write", "test_by_user")) : 0;
}

/* ------------------------------------------------------------------ drawing */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Topics where the user's rate is below 60 %, into @p topics (at most @p cap). */
static int weak_topics(qs_txn *txn, uint32_t user, uint32_t *topics, size_t cap, size_t *n)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    eng_key k;
    *n = 0;
    int rc = mdb_cursor_open(eng_mdb(txn), eng_dbi(txn, ENG_PROGRESS), &cur);
    if (rc)
        return eng_mdb_rc(rc, "open cursor", "progress");
    eng_progress_key(&k, user, 0);
    mk = (MDB_val){k.n, k.b};
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE); rc == 0 && *n < cap;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        uint32_t topic;
        eng_progress p;
        if (mk.mv_size != 8 || eng_get32(mk.mv_data) != user)
            break;
        if ((rc = eng_progress_decode(&mk, &mv, &topic, &p)) != 0)
            break;
        if (p.attempts && 10000ULL * p.correct / p.attempts < 6000)
            topics[(*n)++] = topic;
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, "progress");
}

typedef struct draw_filter {
    const qs_draw *d;
    const uint32_t *topics;   /* QS_DRAW_WEAK; none = every active question */
    size_t n_topics;
} draw_filter;

static int eligible(qs_txn *txn, const draw_filter *f, const qs_question *q, int *yes)
{
    const qs_draw *d = f->d;
    *yes = 0;
    if (!q->active)
        return 0;
    switch (d->pattern) {
    case QS_DRAW_FILTER:
        *yes = (!d->subject || q->subject == d->subject) && (!d->system || q->system == d->system) &&
               (!d->topic || q->topic == d->topic) &&
               (!d->difficulty || q->difficulty == d->difficulty);
        return 0;
    case QS_DRAW_ADAPTIVE: {
        if (q->system != d->system)
            return 0;
        eng_qstat s;
        int rc = eng_qstat_get(txn, q->id, &s);
        if (rc == QS_NOTFOUND || (rc == 0 && s.attempts == 0))
            return 0;
        if (rc)
            return rc;
        uint64_t rate = 10000ULL * s.correct / s.attempts;
        *yes = rate >= d->rate_min_bp && rate <= d->rate_max_bp;
        return 0;
    }
    default:
        *yes = f->n_topics == 0;
        for (size_t i = 0; i < f->n_topics && !*yes; i++)
            *yes = q->topic == f->topics[i];
        return 0;
    }
}

/* Every eligible question id, into transaction scratch. */
static int collect(qs_txn *txn, const draw_filter *f, uint32_t **ids, size_t *n)
{
    MDB_cursor *cur;
    MDB_val mk, mv;
    size_t cap = 1024;
    *n = 0;
    *ids = eng_scratch(txn, ENG_SCRATCH_RECORD, cap * sizeof **ids);
    if (!*ids)
        return ENOMEM;
    int rc = mdb_cursor_open(eng_mdb(txn), eng_dbi(txn, ENG_QUESTION), &cur);
    if (rc)
        return eng_mdb_rc(rc, "open cursor", "question");
    for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        qs_question q;
        int yes;
        if ((rc = eng_key_check(&mk, 4, "question")) != 0 ||
            (rc = eng_question_head(txn, eng_get32(mk.mv_data), &q)) != 0 ||
            (rc = eligible(txn, f, &q, &yes)) != 0)
            break;
        if (!yes)
            continue;
        if (*n == cap) {
            cap *= 2;
            if (!(*ids = eng_scratch(txn, ENG_SCRATCH_RECORD, cap * sizeof **ids))) {
                rc = ENOMEM;
                break;
            }
        }
        (*ids)[(*n)++] = q.id;
    }
    mdb_cursor_close(cur);
    return eng_walk_rc(rc, "question");
}

int idx_draw(qs_txn *txn, const qs_draw *d, qs_test *out)
{
    uint32_t topics[1024];
    draw_filter f = {d, topics, 0};
    uint32_t *ids;
    size_t n;
    int rc = 0;
    if (d->pattern == QS_DRAW_WEAK)
        rc = weak_topics(txn, d->user, topics, sizeof topics / sizeof topics[0], &f.n_topics);
    if (!rc)
        rc = collect(txn, &f, &ids, &n);
    if (rc)
        return rc;
    uint64_t state = d->seed;
    size_t take = n < d->count ? n : d->count;
    for (size_t i = 0; i < take; i++) {
        size_t j = i + (size_t)(splitmix64(&state) % (n - i));
        uint32_t t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
        out->questions[i] = ids[i];
    }
    out->n_questions = (uint16_t)take;
    return 0;
}
