/* Tests the pull iterators over answers and interactions (qs_answer_iter_*,
 * qs_interaction_iter_*): the scans' rows in the scans' order over raw and sealed
 * buckets, their end, their arguments, a damaged block; and the re-entry rule they
 * share with the scans: reads go on, writes are refused, and an iterator does not
 * outlive its transaction. */
#include <lmdb.h>

#include "check.h"
#include "fixture.h"
#include "rawdb.h"

#define N_QUESTIONS 100
#define MAX_ROWS 2048   /* of each table */
#define SEP_2025 1756684800000LL   /* 2025-09-01T00:00:00Z */
#define OCT_2025 1759276800000LL
#define NOV_2025 1761955200000LL
#define DEC_2025 1764547200000LL

static const int64_t months[] = {SEP_2025, OCT_2025, NOV_2025, DEC_2025};

/* ------------------------------------------------------------------ the store */

enum { ANSWERS, INTERACTIONS };   /* the two tables, as the store's arrays index them */

/* Four months of answers and interactions of the bank's two users, September and
 * November sealed, October and December raw. User 0 answers 250 times a month, so
 * that a sealed bucket holds several of its blocks. */
typedef struct store {
    const char *dir;
    qs_env *env;
    fx_bank b;
    uint32_t questions[N_QUESTIONS];
    unsigned tests_made;
    size_t n[2];                 /* rows of each table */
    int64_t at[2][MAX_ROWS];     /* their created_at */
} store;

/* Row @p t of a table, created at @p at, counted. */
static void count_row(store *s, int t, int64_t at)
{
    CHECK(s->n[t] < MAX_ROWS);
    s->at[t][s->n[t]++] = at;
}

/* A time in the first four weeks of the month starting at @p month, on a second. */
static int64_t time_in(int64_t month)
{
    return month + (int64_t)check_below(28 * 86400) * 1000;
}

/* @p n answers of user @p u in the month starting at @p month, on new open tests. */
static void add_answers(store *s, qs_txn *txn, unsigned u, int64_t month, unsigned n)
{
    char ext[32];
    uint64_t test = 0;
    for (unsigned i = 0; i < n; i++) {
        if (i % N_QUESTIONS == 0) {
            snprintf(ext, sizeof ext, "it-%u", s->tests_made++);
            test = fx_test(txn, ext, s->b.users[u], 1, NULL, 0, SEP_2025 - FX_DAY_MS);
        }
        qs_answer a;
        fx_answer_init(&a, test, s->questions[i % N_QUESTIONS], QS_ANSWERED, QS_GRADE,
                       (int8_t)check_below(4), time_in(month));
        a.score = (uint8_t)(10 + check_below(81));
        CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
        count_row(s, ANSWERS, a.created_at);
    }
}

static void add_interactions(store *s, qs_txn *txn, unsigned u, int64_t month, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t payload[64];
        size_t len = (size_t)check_below(sizeof payload);
        for (size_t j = 0; j < len; j++)
            payload[j] = (uint8_t)check_rand();
        qs_interaction ix = {s->b.users[u], (uint8_t)(1 + check_below(4)), time_in(month),
                             payload, len};
        CHECK_RC(qs_interaction_log(txn, &ix, NULL), 0);
        count_row(s, INTERACTIONS, ix.created_at);
    }
}

static void seal(qs_env *env, qs_table table, int64_t t)
{
    qs_bucket_info info;
    qs_txn *txn = fx_write(env);
    CHECK_RC(qs_bucket_seal(txn, table, t, FX_T0, &info), 0);
    CHECK(info.sealed);
    fx_commit(txn);
}

static void store_build(store *s)
{
    memset(s, 0, sizeof *s);
    s->dir = check_tmpdir();
    s->env = fx_open(s->dir, NULL);
    fx_bank_build(s->env, &s->b);
    qs_txn *txn = fx_write(s->env);
    fx_bank_questions(txn, &s->b, "iq", s->questions, N_QUESTIONS);
    for (int m = 0; m < 4; m++)
        for (unsigned u = 0; u < 2; u++) {
            add_answers(s, txn, u, months[m], u == 0 ? 250 : 30);
            add_interactions(s, txn, u, months[m], u == 0 ? 200 : 20);
        }
    fx_commit(txn);
    for (qs_table table = QS_TABLE_ANSWERS; table <= QS_TABLE_INTERACTIONS; table++) {
        seal(s->env, table, SEP_2025);
        seal(s->env, table, NOV_2025);
    }
}

/* How many rows of table @p t the store holds in [from, to). */
static size_t rows_in(const store *s, int t, int64_t from, int64_t to)
{
    size_t in = 0;
    for (size_t i = 0; i < s->n[t]; i++)
        in += s->at[t][i] >= from && s->at[t][i] < to;
    return in;
}

/* ------------------------------------------------------------------ order */

/* A row's key: its user, time and id (an answer's id, an interaction's seq). */
typedef struct row_key {
    uint32_t user;
    int64_t at;
    uint64_t id;
} row_key;

/* The month (0: September) of a time of the store. */
static int month_of(int64_t t)
{
    int m = 0;
    while (m < 3 && t >= months[m + 1])
        m++;
    return m;
}

/* Whether @p cur may come right after @p prev of table @p t: in a later bucket, or in
 * the same one after it in the bucket's order: by user first (answers; a sealed
 * bucket's interactions), or by time (a raw bucket's interactions); then time, id. */
static int follows(const row_key *prev, const row_key *cur, int t)
{
    int pm = month_of(prev->at), cm = month_of(cur->at);
    int by_user = t == ANSWERS || months[cm] == SEP_2025 || months[cm] == NOV_2025;
    if (pm != cm)
        return cm > pm;
    if (by_user && prev->user != cur->user)
        return cur->user > prev->user;
    if (prev->at != cur->at)
        return cur->at > prev->at;
    return cur->id > prev->id;
}

/* ------------------------------------------------------------------ rows seen */

/* Rows as they came: each one's fields end to end, and how many. */
typedef struct rows_seen {
    fx_digest d;
    size_t n;
} rows_seen;

static int keep_answer(const qs_answer *a, void *ctx)
{
    rows_seen *r = ctx;
    fx_digest *d = &r->d;
    r->n++;
    FX_PUT(d, a->id); FX_PUT(d, a->test); FX_PUT(d, a->question); FX_PUT(d, a->user);
    FX_PUT(d, a->topic); FX_PUT(d, a->correct); FX_PUT(d, a->chosen); FX_PUT(d, a->status);
    FX_PUT(d, a->score); FX_PUT(d, a->time_spent_ms); FX_PUT(d, a->created_at);
    return 0;
}

static int keep_interaction(const qs_interaction *ix, uint64_t seq, void *ctx)
{
    rows_seen *r = ctx;
    fx_digest *d = &r->d;
    r->n++;
    FX_PUT(d, seq); FX_PUT(d, ix->user); FX_PUT(d, ix->action); FX_PUT(d, ix->created_at);
    FX_PUT(d, ix->payload_len);
    fx_put(d, ix->payload, ix->payload_len);
    return 0;
}

/* The rows of table @p t in [from, to) as its scan passes them. */
static void scan_rows(qs_txn *txn, int t, int64_t from, int64_t to, rows_seen *r)
{
    CHECK_RC(t == ANSWERS ? qs_answer_scan(txn, from, to, keep_answer, r)
                          : qs_interaction_scan(txn, from, to, keep_interaction, r),
             0);
}

/* The next row of iterator @p ai or @p ii (the other NULL) kept in @p r, its key in
 * @p k: what next returned. */
static int next_row(qs_answer_iter *ai, qs_interaction_iter *ii, rows_seen *r, row_key *k)
{
    qs_answer a;
    qs_interaction ix;
    uint64_t seq;
    int rc = ai ? qs_answer_iter_next(ai, &a) : qs_interaction_iter_next(ii, &ix, &seq);
    if (rc == 0 && ai) {
        keep_answer(&a, r);
        *k = (row_key){a.user, a.created_at, a.id};
    } else if (rc == 0) {
        keep_interaction(&ix, seq, r);
        *k = (row_key){ix.user, ix.created_at, seq};
    }
    return rc;
}

/* The rows of table @p t in [from, to) as its iterator returns them, each checked on
 * the way to be in the range and in the buckets' order. */
static void iter_rows(qs_txn *txn, int t, int64_t from, int64_t to, rows_seen *r)
{
    qs_answer_iter *ai = NULL;
    qs_interaction_iter *ii = NULL;
    row_key prev = {0}, k;
    int rc;
    CHECK_RC(t == ANSWERS ? qs_answer_iter_open(txn, from, to, &ai)
                          : qs_interaction_iter_open(txn, from, to, &ii),
             0);
    while ((rc = next_row(ai, ii, r, &k)) == 0) {
        CHECK_MSG(k.at >= from && k.at < to, "row at %lld outside [%lld, %lld)",
                  (long long)k.at, (long long)from, (long long)to);
        CHECK_MSG(r->n == 1 || follows(&prev, &k, t), "row (%u, %lld, %llu) after (%u, "
                  "%lld, %llu)", k.user, (long long)k.at, (unsigned long long)k.id,
                  prev.user, (long long)prev.at, (unsigned long long)prev.id);
        prev = k;
    }
    CHECK_RC(rc, QS_END);
    qs_answer_iter_close(ai);
    qs_interaction_iter_close(ii);
}

/* Both tables' rows of [from, to), by scan and by iterator, the same in the same order,
 * as many as the store holds in the range: their numbers into @p n. */
static void same_rows(const store *s, qs_txn *txn, int64_t from, int64_t to, size_t n[2])
{
    for (int t = ANSWERS; t <= INTERACTIONS; t++) {
        rows_seen by_scan = {0}, by_iter = {0};
        scan_rows(txn, t, from, to, &by_scan);
        iter_rows(txn, t, from, to, &by_iter);
        CHECK_EQ(by_iter.n, by_scan.n);
        CHECK_EQ(by_iter.n, rows_in(s, t, from, to));
        fx_check_same(&by_scan.d, &by_iter.d);
        n[t] = by_iter.n;
        free(by_scan.d.b);
        free(by_iter.d.b);
    }
}

/* ------------------------------------------------------------------ rows */

TEST(iterators_return_the_scans_rows)
{
    static store s;
    qs_bucket_info list[16];
    size_t n_buckets, n[2];
    store_build(&s);
    qs_txn *txn = fx_read(s.env);
    /* each table: September and November sealed, October and December raw */
    CHECK_RC(qs_bucket_list(txn, list, 16, &n_buckets), 0);
    CHECK_EQ(n_buckets, 8);
    for (size_t i = 0; i < n_buckets; i++)
        CHECK_EQ(list[i].sealed, list[i].start == SEP_2025 || list[i].start == NOV_2025);

    same_rows(&s, txn, INT64_MIN, INT64_MAX, n);
    CHECK_EQ(n[ANSWERS], s.n[ANSWERS]);
    CHECK_EQ(n[INTERACTIONS], s.n[INTERACTIONS]);
    /* from inside sealed September to inside raw December, across every bucket */
    same_rows(&s, txn, SEP_2025 + 9 * FX_DAY_MS + 1, DEC_2025 + 20 * FX_DAY_MS, n);
    CHECK(n[ANSWERS] > 0 && n[ANSWERS] < s.n[ANSWERS]);
    CHECK(n[INTERACTIONS] > 0 && n[INTERACTIONS] < s.n[INTERACTIONS]);
    /* within one sealed bucket, and within one raw one */
    same_rows(&s, txn, NOV_2025 + 3 * FX_DAY_MS, NOV_2025 + 9 * FX_DAY_MS, n);
    CHECK(n[ANSWERS] > 0 && n[INTERACTIONS] > 0);
    same_rows(&s, txn, OCT_2025 + 3 * FX_DAY_MS, OCT_2025 + 9 * FX_DAY_MS, n);
    CHECK(n[ANSWERS] > 0 && n[INTERACTIONS] > 0);
    /* bounded by rows' own times: the row at from comes, the one at to does not */
    for (int t = ANSWERS; t <= INTERACTIONS; t++) {
        int64_t a = s.at[t][10], b = s.at[t][500];
        CHECK(a != b);
        same_rows(&s, txn, a < b ? a : b, a < b ? b : a, n);
        CHECK(n[ANSWERS] > 0 && n[INTERACTIONS] > 0);
    }
    qs_txn_abort(txn);

    /* a write transaction's iterators read the same */
    txn = fx_write(s.env);
    same_rows(&s, txn, INT64_MIN, INT64_MAX, n);
    CHECK_EQ(n[ANSWERS], s.n[ANSWERS]);
    qs_txn_abort(txn);
    qs_env_close(s.env);
}

/* Two iterators of one transaction, moved in turn, each return what its scan passes. */
TEST(iterators_interleave_on_one_transaction)
{
    static store s;
    rows_seen seen[2], scanned[2];
    qs_answer_iter *ai = NULL;
    qs_interaction_iter *ii = NULL;
    row_key k;
    int arc = 0, irc = 0;
    memset(seen, 0, sizeof seen);
    memset(scanned, 0, sizeof scanned);
    store_build(&s);
    qs_txn *txn = fx_read(s.env);
    CHECK_RC(qs_answer_iter_open(txn, INT64_MIN, INT64_MAX, &ai), 0);
    CHECK_RC(qs_interaction_iter_open(txn, INT64_MIN, INT64_MAX, &ii), 0);
    while (arc == 0 || irc == 0) {
        if (arc == 0)
            arc = next_row(ai, NULL, &seen[ANSWERS], &k);
        if (irc == 0)
            irc = next_row(NULL, ii, &seen[INTERACTIONS], &k);
    }
    CHECK_RC(arc, QS_END);
    CHECK_RC(irc, QS_END);
    qs_answer_iter_close(ai);
    qs_interaction_iter_close(ii);
    for (int t = ANSWERS; t <= INTERACTIONS; t++) {
        scan_rows(txn, t, INT64_MIN, INT64_MAX, &scanned[t]);
        CHECK_EQ(seen[t].n, s.n[t]);
        fx_check_same(&seen[t].d, &scanned[t].d);
        free(seen[t].d.b);
        free(scanned[t].d.b);
    }
    qs_txn_abort(txn);
    qs_env_close(s.env);
}

TEST(an_empty_range_ends_at_once_and_the_end_repeats)
{
    static store s;
    qs_answer_iter *ai = NULL;
    qs_interaction_iter *ii = NULL;
    qs_answer a;
    qs_interaction ix;
    uint64_t seq;
    size_t n = 0;
    store_build(&s);
    qs_txn *txn = fx_read(s.env);
    /* a year without buckets, and a millisecond of a bucket that holds no row then */
    const int64_t empty[][2] = {{SEP_2025 - 365 * FX_DAY_MS, SEP_2025},
                                {OCT_2025 + 28 * FX_DAY_MS, OCT_2025 + 28 * FX_DAY_MS + 1}};
    for (int r = 0; r < 2; r++) {
        CHECK_EQ(fx_answers_in(txn, empty[r][0], empty[r][1]), 0);
        CHECK_EQ(fx_interactions_in(txn, empty[r][0], empty[r][1]), 0);
        CHECK_RC(qs_answer_iter_open(txn, empty[r][0], empty[r][1], &ai), 0);
        CHECK_RC(qs_interaction_iter_open(txn, empty[r][0], empty[r][1], &ii), 0);
        for (int i = 0; i < 3; i++) {
            CHECK_RC(qs_answer_iter_next(ai, &a), QS_END);
            CHECK_RC(qs_interaction_iter_next(ii, &ix, &seq), QS_END);
        }
        qs_answer_iter_close(ai);
        qs_interaction_iter_close(ii);
    }
    /* after the last row of a range that has rows, QS_END again and again */
    CHECK_RC(qs_answer_iter_open(txn, NOV_2025, DEC_2025, &ai), 0);
    while (qs_answer_iter_next(ai, &a) == 0)
        n++;
    CHECK_EQ(n, fx_answers_in(txn, NOV_2025, DEC_2025));
    CHECK(n > 0);
    for (int i = 0; i < 3; i++)
        CHECK_RC(qs_answer_iter_next(ai, &a), QS_END);
    qs_answer_iter_close(ai);
    CHECK_STR(qs_strerror(QS_END), "an iterator has no more rows");
    qs_txn_abort(txn);
    qs_env_close(s.env);
}

TEST(iterator_arguments_are_checked)
{
    static char sentinel;   /* a failed open sets the iterator to NULL */
    qs_env *env = fx_open_tmp();
    qs_answer_iter *ai = (qs_answer_iter *)&sentinel;
    qs_interaction_iter *ii = (qs_interaction_iter *)&sentinel;
    qs_answer a;
    qs_interaction ix;
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_answer_iter_open(NULL, 0, 1, &ai), QS_INVALID);
    CHECK(ai == NULL);
    CHECK_RC(qs_interaction_iter_open(NULL, 0, 1, &ii), QS_INVALID);
    CHECK(ii == NULL);
    CHECK_RC(qs_answer_iter_open(txn, 0, 1, NULL), QS_INVALID);
    CHECK_RC(qs_interaction_iter_open(txn, 0, 1, NULL), QS_INVALID);
    ai = (qs_answer_iter *)&sentinel;
    FX_REFUSED(qs_answer_iter_open(txn, 5, 5, &ai), QS_INVALID, "empty range");
    CHECK(ai == NULL);
    FX_REFUSED(qs_interaction_iter_open(txn, 6, 5, &ii), QS_INVALID, "empty range");
    CHECK_RC(qs_answer_iter_next(NULL, &a), QS_INVALID);
    CHECK_RC(qs_interaction_iter_next(NULL, &ix, NULL), QS_INVALID);
    CHECK_RC(qs_answer_iter_open(txn, 0, 1, &ai), 0);
    CHECK_RC(qs_interaction_iter_open(txn, 0, 1, &ii), 0);
    CHECK_RC(qs_answer_iter_next(ai, NULL), QS_INVALID);
    CHECK_RC(qs_interaction_iter_next(ii, NULL, NULL), QS_INVALID);
    CHECK_RC(qs_interaction_iter_next(ii, &ix, NULL), QS_END);   /* seq may be NULL */
    qs_answer_iter_close(ai);
    qs_interaction_iter_close(ii);
    qs_answer_iter_close(NULL);
    qs_interaction_iter_close(NULL);
    /* the scans' own */
    CHECK_RC(qs_answer_scan(txn, 0, 1, NULL, NULL), QS_INVALID);
    FX_REFUSED(qs_interaction_scan(txn, 1, 1, fx_count_interaction, &(size_t){0}),
               QS_INVALID, "empty range");
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* A damaged block stops the iterator where it stops the scan, with the scan's code and
 * detail, and the iterator fails again if asked again. */
TEST(a_damaged_block_fails_as_the_scan_does)
{
    static store s;
    char scan_msg[512];
    rows_seen scanned = {0}, seen = {0};
    qs_answer_iter *it = NULL;
    qs_answer a;
    row_key k;
    int rc;
    store_build(&s);
    qs_env_close(s.env);
    raw_flip_last(s.dir, "ans@2025-11.z");   /* November's last answer block */
    s.env = fx_open(s.dir, NULL);

    qs_txn *txn = fx_read(s.env);
    FX_REFUSED(qs_answer_scan(txn, INT64_MIN, INT64_MAX, keep_answer, &scanned), QS_CORRUPT,
               "ans@2025-11.z");
    snprintf(scan_msg, sizeof scan_msg, "%s", qs_errmsg());
    CHECK_RC(qs_answer_iter_open(txn, INT64_MIN, INT64_MAX, &it), 0);
    while ((rc = next_row(it, NULL, &seen, &k)) == 0)
        ;
    CHECK_RC(rc, QS_CORRUPT);
    CHECK_STR(qs_errmsg(), scan_msg);
    CHECK_EQ(seen.n, scanned.n);   /* the same rows before it */
    CHECK(seen.n > 0);
    fx_check_same(&scanned.d, &seen.d);
    FX_REFUSED(qs_answer_iter_next(it, &a), QS_CORRUPT, "earlier failure");
    qs_answer_iter_close(it);
    free(scanned.d.b);
    free(seen.d.b);
    qs_txn_abort(txn);
    qs_env_close(s.env);
}

/* ------------------------------------------------------------------ re-entry */

/* What a scan's callback reads of its own transaction, and how often it was right. */
typedef struct reader {
    qs_txn *txn;
    size_t rows, reads_ok;
} reader;

/* The rows' own answer read back, a nested scan of its millisecond, and an iterator
 * over it: every read of the transaction works while a scan or iterator is open. */
static int read_back(const qs_answer *a, void *ctx)
{
    reader *r = ctx;
    qs_answer got;
    qs_question q = {.size = sizeof q};
    qs_answer_iter *it = NULL;
    qs_answer same;
    r->rows++;
    if (r->rows > 40)   /* enough of them */
        return 0;
    int ok = qs_answer_get(r->txn, a->test, a->question, &got) == 0 && got.id == a->id &&
             qs_question_get(r->txn, a->question, &q) == 0 &&
             fx_answers_in(r->txn, a->created_at, a->created_at + 1) >= 1 &&
             qs_answer_iter_open(r->txn, a->created_at, a->created_at + 1, &it) == 0 &&
             qs_answer_iter_next(it, &same) == 0 && same.created_at == a->created_at;
    qs_answer_iter_close(it);
    r->reads_ok += ok;
    return 0;
}

TEST(reads_work_inside_a_scan_and_while_an_iterator_is_open)
{
    static store s;
    qs_answer_iter *it = NULL;
    qs_answer a;
    store_build(&s);
    for (int writer = 0; writer < 2; writer++) {
        qs_txn *txn = fx_begin(s.env, writer ? 0 : QS_TXN_RDONLY);
        reader r = {txn, 0, 0};
        CHECK_RC(qs_answer_scan(txn, INT64_MIN, INT64_MAX, read_back, &r), 0);
        CHECK_EQ(r.rows, s.n[ANSWERS]);
        CHECK_EQ(r.reads_ok, 40);

        reader beside = {txn, 0, 0};
        CHECK_RC(qs_answer_iter_open(txn, INT64_MIN, INT64_MAX, &it), 0);
        while (qs_answer_iter_next(it, &a) == 0)
            read_back(&a, &beside);
        qs_answer_iter_close(it);
        CHECK_EQ(beside.rows, s.n[ANSWERS]);
        CHECK_EQ(beside.reads_ok, 40);
        qs_txn_abort(txn);
    }
    qs_env_close(s.env);
}

#define OPEN_DETAIL "a scan or iterator is open on the transaction"

/* A callback that tries to write: one answer, one interaction. */
typedef struct writer {
    qs_txn *txn;
    const fx_bank *b;
    int tried;
} writer;

static int write_inside(const qs_answer *a, void *ctx)
{
    writer *w = ctx;
    (void)a;
    fx_writes_refused(w->txn, w->b, QS_INVALID, OPEN_DETAIL);
    w->tried = 1;
    return 7;   /* stop: the scan returns it */
}

TEST(writes_are_refused_inside_a_scan_and_while_an_iterator_is_open)
{
    static store s;
    fx_aggregates before, after;
    qs_answer_iter *it = NULL;
    qs_interaction_iter *ii = NULL;
    qs_txn *child = NULL;
    qs_answer a;
    uint64_t id;
    store_build(&s);
    qs_txn *txn = fx_write(s.env);
    fx_aggregates_read(txn, s.b.users[0], s.b.questions[0], s.b.tests[0], FX_T0, &before);

    /* inside a scan's callback */
    writer w = {txn, &s.b, 0};
    CHECK_RC(qs_answer_scan(txn, INT64_MIN, INT64_MAX, write_inside, &w), 7);
    CHECK(w.tried);

    /* while an iterator is open, before its first row and after its end */
    CHECK_RC(qs_answer_iter_open(txn, INT64_MIN, INT64_MAX, &it), 0);
    fx_writes_refused(txn, &s.b, QS_INVALID, OPEN_DETAIL);
    FX_REFUSED(qs_txn_savepoint(txn, &child), QS_INVALID, OPEN_DETAIL);
    CHECK(child == NULL);
    while (qs_answer_iter_next(it, &a) == 0)
        ;
    CHECK_RC(qs_interaction_iter_open(txn, INT64_MIN, INT64_MAX, &ii), 0);
    qs_answer_iter_close(it);
    fx_writes_refused(txn, &s.b, QS_INVALID, OPEN_DETAIL);   /* one is still open */
    qs_interaction_iter_close(ii);

    /* nothing changed, and once they are closed the transaction writes */
    fx_aggregates_read(txn, s.b.users[0], s.b.questions[0], s.b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&before, &after));
    CHECK_RC(qs_resolve(txn, QS_USER, "refused-user", &id), QS_NOTFOUND);
    CHECK_RC(qs_answer_get(txn, s.b.tests[0], s.b.questions[0], &a), QS_NOTFOUND);
    CHECK_EQ(fx_answers_in(txn, INT64_MIN, INT64_MAX), s.n[ANSWERS]);
    fx_answer(txn, s.b.tests[0], s.b.questions[0], 0, FX_T0);
    fx_commit(txn);

    txn = fx_read(s.env);
    CHECK_EQ(fx_answers_in(txn, INT64_MIN, INT64_MAX), s.n[ANSWERS] + 1);
    /* a read-only transaction's write calls stay QS_READONLY with an iterator open */
    CHECK_RC(qs_answer_iter_open(txn, INT64_MIN, INT64_MAX, &it), 0);
    fx_writes_refused(txn, &s.b, QS_READONLY, "read-only");
    qs_answer_iter_close(it);
    qs_txn_abort(txn);
    fx_check_clean(s.env);
    qs_env_close(s.env);
}

#define ENDED_DETAIL "transaction has ended"

/* Open an answer iterator and an interaction iterator on @p txn, each a row in. */
static void open_both(qs_txn *txn, qs_answer_iter **ai, qs_interaction_iter **ii)
{
    qs_answer a;
    qs_interaction ix;
    CHECK_RC(qs_answer_iter_open(txn, INT64_MIN, INT64_MAX, ai), 0);
    CHECK_RC(qs_interaction_iter_open(txn, INT64_MIN, INT64_MAX, ii), 0);
    CHECK_RC(qs_answer_iter_next(*ai, &a), 0);
    CHECK_RC(qs_interaction_iter_next(*ii, &ix, NULL), 0);
}

/* Both are detached: next says so, again and again, and close frees them. */
static void check_detached(qs_answer_iter *ai, qs_interaction_iter *ii)
{
    qs_answer a;
    qs_interaction ix;
    for (int i = 0; i < 2; i++) {
        FX_REFUSED(qs_answer_iter_next(ai, &a), QS_INVALID, ENDED_DETAIL);
        FX_REFUSED(qs_interaction_iter_next(ii, &ix, NULL), QS_INVALID, ENDED_DETAIL);
    }
    qs_answer_iter_close(ai);
    qs_interaction_iter_close(ii);
}

static int abort_inside(const qs_answer *a, void *ctx)
{
    (void)a;
    qs_txn_abort(ctx);
    return 0;
}

TEST(an_iterator_does_not_outlive_its_transaction)
{
    static store s;
    qs_answer_iter *ai = NULL;
    qs_interaction_iter *ii = NULL;
    qs_txn *child = NULL;
    store_build(&s);

    /* abort of a read transaction */
    qs_txn *txn = fx_read(s.env);
    open_both(txn, &ai, &ii);
    qs_txn_abort(txn);
    check_detached(ai, ii);

    /* commit of a write transaction: allowed, and it commits */
    txn = fx_write(s.env);
    open_both(txn, &ai, &ii);
    CHECK_RC(qs_txn_commit(txn), 0);
    check_detached(ai, ii);
    txn = fx_write(s.env);
    open_both(txn, &ai, &ii);
    qs_txn_abort(txn);
    check_detached(ai, ii);

    /* reset: the iterator stays detached after the renew; a new one reads */
    txn = fx_read(s.env);
    open_both(txn, &ai, &ii);
    qs_txn_reset(txn);
    CHECK_RC(qs_txn_renew(txn), 0);
    check_detached(ai, ii);
    CHECK_EQ(fx_answers_in(txn, INT64_MIN, INT64_MAX), s.n[ANSWERS]);
    qs_txn_abort(txn);

    /* a savepoint's end detaches its own; then its parent writes */
    txn = fx_write(s.env);
    CHECK_RC(qs_txn_savepoint(txn, &child), 0);
    open_both(child, &ai, &ii);
    FX_REFUSED(qs_user_put(child, &(qs_user){.ext_id = "child-user"}, NULL), QS_INVALID,
               OPEN_DETAIL);
    CHECK_RC(qs_txn_commit(child), 0);
    check_detached(ai, ii);
    CHECK_RC(qs_txn_savepoint(txn, &child), 0);
    open_both(child, &ai, &ii);
    qs_txn_abort(child);
    check_detached(ai, ii);
    fx_answer(txn, s.b.tests[0], s.b.questions[0], 0, FX_T0);
    fx_commit(txn);

    /* a scan whose callback ends its transaction ends there */
    txn = fx_read(s.env);
    FX_REFUSED(qs_answer_scan(txn, INT64_MIN, INT64_MAX, abort_inside, txn), QS_INVALID,
               ENDED_DETAIL);
    fx_check_clean(s.env);
    qs_env_close(s.env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(iterators_return_the_scans_rows),
        CASE(iterators_interleave_on_one_transaction),
        CASE(an_empty_range_ends_at_once_and_the_end_repeats),
        CASE(iterator_arguments_are_checked),
        CASE(a_damaged_block_fails_as_the_scan_does),
        CASE(reads_work_inside_a_scan_and_while_an_iterator_is_open),
        CASE(writes_are_refused_inside_a_scan_and_while_an_iterator_is_open),
        CASE(an_iterator_does_not_outlive_its_transaction),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
