/* seal_pages.c: qs-seal's hot and deep history pages (seal.h): found once by paging
 * with qs_history cursors, then timed raw, compacted, sealed and from SQLite, every
 * page checked against the rows it held raw. */
#include <string.h>

#include "harness.h"
#include "seal.h"

#define SKIP_ROWS 1000            /* rows per qs_history call while paging to a deep page */

static const char *const page_names[] = {"hot", "deep"};

/* ------------------------------------------------------------ quizstore: pages */

#define ROW_FIELDS 10
static const char *const row_field_names[ROW_FIELDS] = {
    "answer_id", "test", "question", "topic", "correct", "status", "score", "chosen",
    "time_spent_ms", "created_at"};

static void row_fields(const qs_history_row *r, int64_t v[ROW_FIELDS])
{
    v[0] = (int64_t)r->answer_id;
    v[1] = (int64_t)r->test;
    v[2] = r->question;
    v[3] = r->topic;
    v[4] = r->correct;
    v[5] = r->status;
    v[6] = r->score;
    v[7] = r->chosen;
    v[8] = r->time_spent_ms;
    v[9] = r->created_at;
}

/* Exit 1 unless @p got holds the @p want rows, field for field. */
static void check_page(const sample *s, page_kind kind, const char *when,
                       const qs_history_row *want, const qs_history_row *got, size_t n)
{
    if (n != PAGE_ROWS + 1)   /* a full page, and more rows after it */
        seal_fail(1, "user %u, %s page %s: %zu rows instead of %d and more", s->user,
                  page_names[kind], when, n, PAGE_ROWS);
    for (size_t i = 0; i < PAGE_ROWS; i++) {
        int64_t a[ROW_FIELDS], b[ROW_FIELDS];
        row_fields(&want[i], a);
        row_fields(&got[i], b);
        for (int f = 0; f < ROW_FIELDS; f++)
            if (a[f] != b[f])
                seal_fail(1, "user %u, %s page %s: row %zu field %s: %lld before sealing, %lld now",
                     s->user, page_names[kind], when, i, row_field_names[f], (long long)a[f],
                     (long long)b[f]);
    }
}

static void check_rows_between(const sample *s, page_kind kind, const qs_history_row *rows,
                               int64_t from, int64_t to)
{
    for (size_t i = 0; i < PAGE_ROWS; i++)
        if (rows[i].created_at < from || rows[i].created_at >= to)
            seal_fail(1, "user %u: row %zu of the %s page, at %lld ms, is outside its bucket",
                 s->user, i, page_names[kind], (long long)rows[i].created_at);
}

/* The hot page, and the deep page at the middle of the user's 2025-12 answers, reached
 * by paging from the newest row with qs_history cursors; the cursor is kept. */
void seal_find_pages(qs_txn *txn, sample *s)
{
    static qs_history_row skip[SKIP_ROWS];
    size_t n;
    QS(qs_history(txn, s->user, NULL, s->hot, PAGE_ROWS, &n, NULL));
    if (n != PAGE_ROWS + 1)
        seal_fail(1, "user %u: the first history page holds %zu rows", s->user, n);
    uint64_t target = (HOT_ANSWERS + s->dec_answers / 2) / PAGE_ROWS * PAGE_ROWS;
    for (uint64_t done = 0; done < target; done += n - 1) {
        size_t want = target - done < SKIP_ROWS ? (size_t)(target - done) : SKIP_ROWS;
        QS(qs_history(txn, s->user, done ? &s->deep_after : NULL, skip, want, &n,
                      &s->deep_after));
        if (n != want + 1)   /* the deep page follows */
            seal_fail(1, "user %u: history ends after %llu rows", s->user,
                 (unsigned long long)(done + n));
        s->deep_pos.created_at = skip[want - 1].created_at;
        s->deep_pos.answer_id = skip[want - 1].answer_id;
    }
    s->deep_offset = target;
    QS(qs_history(txn, s->user, &s->deep_after, s->deep, PAGE_ROWS, &n, NULL));
    if (n != PAGE_ROWS + 1)
        seal_fail(1, "user %u: the deep page holds %zu rows", s->user, n);
    check_rows_between(s, PAGE_HOT, s->hot, FEB_START_MS, SEAL_NOW_MS);
    check_rows_between(s, PAGE_DEEP, s->deep, DEC_START_MS, WL_NOW_MS);
}

static latency latency_of(const hist *h)
{
    return (latency){h->n, hist_quantile_ns(h, 0.50) / 1e3, hist_quantile_ns(h, 0.99) / 1e3};
}

static unsigned warm_up_calls(unsigned iters, size_t n_samples)
{
    unsigned w = iters / 10;
    return w < n_samples ? (unsigned)n_samples : w;
}

/* @p iters timed calls, one qs_history page each in a read transaction (renew, call,
 * reset), over the samples in turn, after a warm-up; every page is checked against
 * the raw one. */
latency seal_measure_qs(qs_env *env, const sample *s, size_t n_s, page_kind kind,
                          unsigned iters, const char *when)
{
    static hist h;
    qs_history_row rows[PAGE_ROWS];
    qs_txn *txn;
    unsigned warm = warm_up_calls(iters, n_s);
    hist_reset(&h);
    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    qs_txn_reset(txn);
    for (unsigned i = 0; i < warm + iters; i++) {
        const sample *x = &s[i % n_s];
        size_t n = 0;
        uint64_t t0 = bench_now_ns();
        int rc = qs_txn_renew(txn);
        if (!rc)
            rc = qs_history(txn, x->user, kind == PAGE_DEEP ? &x->deep_after : NULL, rows,
                            PAGE_ROWS, &n, NULL);
        qs_txn_reset(txn);
        uint64_t t1 = bench_now_ns();
        if (rc)
            seal_fail(2, "qs_history user %u: %s (%s)", x->user, qs_strerror(rc), qs_errmsg());
        if (i >= warm)
            hist_record(&h, t1 - t0);
        check_page(x, kind, when, kind == PAGE_DEEP ? x->deep : x->hot, rows, n);
    }
    qs_txn_abort(txn);
    return latency_of(&h);
}

/* ------------------------------------------------------------ SQLite */

#define CANON_FIELDS 9
static const char *const canon_field_names[CANON_FIELDS] = {
    "answer_id", "created_at", "test", "question", "topic", "correct", "status", "score",
    "time_spent_ms"};

/* Field @p field of a canonical result. REQUIRES: it has that many. */
static uint64_t canon_u64(const bk_result *r, size_t field)
{
    size_t at = field * 8;
    uint64_t v = 0;
    bk_get_u64(r, &at, &v);
    return v;
}

/* Exit 1 unless SQLite's page @p got holds quizstore's rows @p want. */
static void check_sqlite_page(const sample *s, page_kind kind, const bk_result *want,
                              const bk_result *got)
{
    if (got->len == want->len && memcmp(got->bytes, want->bytes, want->len) == 0)
        return;
    if (got->rows != want->rows)
        seal_fail(1, "user %u, %s page: sqlite returns %u rows, quizstore %u", s->user,
             page_names[kind], got->rows, want->rows);
    for (size_t f = 0; f < want->len / 8; f++)
        if (canon_u64(want, f) != canon_u64(got, f))
            seal_fail(1, "user %u, %s page: row %zu field %s: quizstore %lld, sqlite %lld", s->user,
                 page_names[kind], f / CANON_FIELDS, canon_field_names[f % CANON_FIELDS],
                 (long long)canon_u64(want, f), (long long)canon_u64(got, f));
    seal_fail(1, "user %u, %s page: sqlite's rows differ", s->user, page_names[kind]);
}

/* The same pages through SQLite's history query (history_page), each call its own read
 * transaction, from the same positions. */
latency seal_measure_sqlite(backend *be, const sample *s, size_t n_s, page_kind kind,
                              unsigned iters)
{
    static hist h;
    bk_result got = {0}, want = {0};
    unsigned warm = warm_up_calls(iters, n_s);
    hist_reset(&h);
    for (unsigned i = 0; i < warm + iters; i++) {
        const sample *x = &s[i % n_s];
        bk_result_reset(&got);
        uint64_t t0 = bench_now_ns();
        BK(be, be->ops->history_page(be, x->user, kind == PAGE_DEEP ? &x->deep_pos : NULL,
                                     &got));
        uint64_t t1 = bench_now_ns();
        if (i >= warm)
            hist_record(&h, t1 - t0);
        bk_result_reset(&want);
        for (size_t r = 0; r < PAGE_ROWS; r++) {
            bk_quizstore_put_history_row(&want, kind == PAGE_DEEP ? &x->deep[r] : &x->hot[r]);
            want.rows++;
        }
        check_sqlite_page(x, kind, &want, &got);
    }
    bk_result_free(&got);
    bk_result_free(&want);
    return latency_of(&h);
}
