/* Tests the composite secondary indexes: consistency under random interleavings of
 * writes, question listing against a brute-force scan, and damage found by
 * qs_index_verify and repaired by qs_index_rebuild. */
#include "check.h"
#include "fixture.h"
#include "bank.h"
#include "rawdb.h"

/* ===================================================================== random interleavings */

#define RI_USERS 12
#define RI_MAX_TESTS 8192
#define RI_QUESTIONS 300
#define RI_BATCHES 24
#define RI_OPS_PER_BATCH 170

/* What the interleaving test has made: enough to pick targets for the next operation.
 * Copied before a savepoint and restored when the savepoint is aborted. */
typedef struct ri_state {
    bk_taxonomy tax;
    uint32_t users[RI_USERS];
    uint64_t open_tests[RI_USERS];    /* open-list test of each user, taking answers */
    uint64_t tests[RI_MAX_TESTS];     /* every test made */
    size_t n_tests;
    uint32_t max_question;
    unsigned next_question_ext, next_test_ext;
} ri_state;

static uint32_t ri_question(const ri_state *s)
{
    return 1 + (uint32_t)check_below(s->max_question);
}

static void ri_track_test(ri_state *s, uint64_t id)
{
    CHECK(s->n_tests < RI_MAX_TESTS);
    s->tests[s->n_tests++] = id;
}

static uint64_t ri_new_open_test(qs_txn *txn, ri_state *s, unsigned u)
{
    char ext[32];
    snprintf(ext, sizeof ext, "ri-t-%u", s->next_test_ext++);
    uint64_t id = fx_test(txn, ext, s->users[u], 1, NULL, 0, FX_T0 - 90 * FX_DAY_MS);
    ri_track_test(s, id);
    return id;
}

static void ri_new_question(qs_txn *txn, ri_state *s)
{
    char ext[32];
    snprintf(ext, sizeof ext, "ri-q-%u", s->next_question_ext++);
    /* created_at in quarter days, so that some questions share one */
    uint32_t id = bk_new_question(txn, &s->tax, ext,
                                  FX_T0 - check_range(0, 1600) * (FX_DAY_MS / 4));
    if (id > s->max_question)
        s->max_question = id;
}

/* Re-tag, change the difficulty of, or (de)activate a question: read it, change one
 * thing, put it back with the texts qs_question_get() gave. */
static void ri_edit_question(qs_txn *txn, ri_state *s)
{
    static qs_question q, again;
    const bk_taxonomy *t = &s->tax;
    char stem[256];
    int rc = qs_question_get(txn, ri_question(s), &q);
    if (rc == QS_NOTFOUND)
        return;
    CHECK_RC(rc, 0);
    CHECK(q.stem.len < sizeof stem);
    memcpy(stem, q.stem.ptr, q.stem.len);
    unsigned sys = (unsigned)check_below(t->n_systems);
    switch (check_below(8)) {
    case 0: /* another topic, and its system */
        q.system = t->systems[sys];
        q.topic = t->topics[sys][check_below(t->n_topics)];
        break;
    case 1: /* no topic, same or another system */
        q.topic = 0;
        if (check_chance(50))
            q.system = t->systems[sys];
        break;
    case 2: /* out of every system */
        q.system = q.topic = 0;
        break;
    case 3:
        q.subject = check_chance(20) ? 0 : t->subjects[check_below(t->n_subjects)];
        break;
    case 4:
        q.difficulty = (uint8_t)(1 + (q.difficulty + check_below(2)) % 3);
        break;
    case 5:
    case 6:
        q.active = !q.active;
        break;
    default:
        bk_random_tags(t, &q);
        q.active = (uint8_t)check_chance(80);
        break;
    }
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    CHECK_RC(qs_question_get(txn, q.id, &again), 0);
    CHECK(again.stem.len == q.stem.len && memcmp(again.stem.ptr, stem, q.stem.len) == 0);
    CHECK(again.system == q.system && again.topic == q.topic && again.subject == q.subject &&
          again.difficulty == q.difficulty && again.active == q.active);
}

/* An answer, to the user's open-list test or to a listed question of any test. */
static void ri_answer(qs_txn *txn, ri_state *s)
{
    static qs_test t;
    qs_question_stats st = {.size = sizeof st};
    unsigned u = (unsigned)check_below(RI_USERS);
    uint64_t test = s->open_tests[u];
    uint32_t question = ri_question(s);
    if (check_chance(30)) {
        test = s->tests[check_below(s->n_tests)];
        CHECK_RC(qs_test_get(txn, test, &t), 0);
        if (t.n_questions == 0)
            return;
        question = t.questions[check_below(t.n_questions)];
    } else {
        CHECK_RC(qs_test_get(txn, test, &t), 0);
        if (t.n_questions >= 200)
            test = s->open_tests[u] = ri_new_open_test(txn, s, u);
        if (qs_question_stats_get(txn, question, &st) == QS_NOTFOUND)
            return;
    }
    qs_answer a;
    uint64_t pick = check_below(10);
    uint8_t status = pick == 0 ? QS_SKIPPED : pick == 1 ? QS_FLAGGED : QS_ANSWERED;
    int8_t correct = status == QS_SKIPPED ? 0 : (int8_t)check_chance(55);
    fx_answer_init(&a, test, question, status, correct, QS_NO_CHOICE,
                   FX_T0 - check_range(0, 60 * FX_DAY_MS));
    if (status == QS_SKIPPED)
        a.score = 0;
    int rc = qs_answer_submit(txn, &a, NULL);
    CHECK_MSG(rc == 0 || rc == QS_EXISTS, "answer %llu/%u: %s (%s)", (unsigned long long)test,
              question, qs_strerror(rc), qs_errmsg());
}

static void ri_put_test(qs_txn *txn, ri_state *s)
{
    static qs_test t;
    char ext[32];
    uint32_t qs[8];
    unsigned n = 0, want = (unsigned)check_range(1, 8);
    qs_question_stats st = {.size = sizeof st};
    for (unsigned tries = 0; tries < 32 && n < want; tries++) {
        uint32_t q = ri_question(s);
        if (!bk_contains(qs, n, q) && qs_question_stats_get(txn, q, &st) == 0)
            qs[n++] = q;
    }
    snprintf(ext, sizeof ext, "ri-t-%u", s->next_test_ext++);
    fx_test_init(&t, ext, s->users[check_below(RI_USERS)], 0, qs, n,
                 FX_T0 - check_range(1, 80) * FX_DAY_MS);
    t.status = (uint8_t)check_range(QS_TEST_ACTIVE, QS_TEST_ABANDONED);
    t.last_activity_at = t.created_at + check_range(0, FX_DAY_MS);
    if (t.status == QS_TEST_COMPLETED)
        t.completed_at = t.last_activity_at;
    uint64_t id = 0;
    CHECK_RC(qs_test_put(txn, &t, &id), 0);
    ri_track_test(s, id);
}

/* A test changes status and activity time (put back as read). */
static void ri_test_status(qs_txn *txn, ri_state *s)
{
    static qs_test t;
    CHECK_RC(qs_test_get(txn, s->tests[check_below(s->n_tests)], &t), 0);
    t.status = (uint8_t)check_range(QS_TEST_ACTIVE, QS_TEST_ABANDONED);
    t.last_activity_at += check_range(-FX_HOUR_MS, FX_DAY_MS);
    t.completed_at = t.status == QS_TEST_COMPLETED ? t.last_activity_at : 0;
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
}

static void ri_draw(qs_txn *txn, ri_state *s)
{
    static qs_test out;
    qs_draw d = {.size = sizeof d};
    qs_question tags = {.size = sizeof tags};
    memset(&d, 0, sizeof d);
    memset(&tags, 0, sizeof tags);
    d.user = s->users[check_below(RI_USERS)];
    d.mode = QS_MODE_TIMED;
    d.count = (uint16_t)check_range(1, 20);
    d.seed = check_rand();
    d.created_at = FX_T0;
    d.only = (uint8_t)check_below(4);
    if (check_chance(20)) {
        d.pattern = QS_DRAW_ADAPTIVE;
        d.system = s->tax.systems[check_below(s->tax.n_systems)];
        d.rate_min_bp = (uint16_t)check_range(0, 5000);
        d.rate_max_bp = (uint16_t)check_range(d.rate_min_bp, 10000);
    } else {
        d.pattern = QS_DRAW_FILTER;
        bk_random_tags(&s->tax, &tags);
        d.subject = check_chance(50) ? tags.subject : 0;
        d.system = check_chance(50) ? tags.system : 0;
        d.topic = check_chance(50) ? tags.topic : 0;
        d.difficulty = check_chance(50) ? tags.difficulty : 0;
    }
    CHECK_RC(qs_test_create(txn, &d, &out), 0);
    ri_track_test(s, out.id);
}

static void ri_mark(qs_txn *txn, ri_state *s)
{
    int rc = qs_question_mark(txn, s->users[check_below(RI_USERS)], ri_question(s),
                              (int)check_below(2));
    CHECK(rc == 0 || rc == QS_NOTFOUND);
}

static void ri_operation(qs_txn *txn, ri_state *s)
{
    uint64_t pick = check_below(100);
    if (pick < 8)
        ri_new_question(txn, s);
    else if (pick < 40)
        ri_edit_question(txn, s);
    else if (pick < 75)
        ri_answer(txn, s);
    else if (pick < 82)
        ri_put_test(txn, s);
    else if (pick < 92)
        ri_test_status(txn, s);
    else if (pick < 97)
        ri_draw(txn, s);
    else
        ri_mark(txn, s);
}

/* qs_test_list() of every user against the tracked tests read one by one. */
static void ri_check_test_lists(qs_txn *txn, const ri_state *s)
{
    static qs_test t;
    static qs_test_row want[RI_USERS][RI_MAX_TESTS / 4];
    static qs_test_row got[RI_MAX_TESTS / 4];
    size_t n_want[RI_USERS] = {0}, n_got;
    for (size_t i = 0; i < s->n_tests; i++) {
        CHECK_RC(qs_test_get(txn, s->tests[i], &t), 0);
        if (t.status != QS_TEST_ACTIVE && t.status != QS_TEST_PAUSED)
            continue;
        unsigned u = 0;
        while (u < RI_USERS && s->users[u] != t.user)
            u++;
        CHECK(u < RI_USERS && n_want[u] < RI_MAX_TESTS / 4);
        /* insertion in the listing's order: latest activity first, then higher id */
        size_t j = n_want[u]++;
        while (j > 0 && (want[u][j - 1].last_activity_at < t.last_activity_at ||
                         (want[u][j - 1].last_activity_at == t.last_activity_at &&
                          want[u][j - 1].id < t.id))) {
            want[u][j] = want[u][j - 1];
            j--;
        }
        want[u][j] = (qs_test_row){t.id, t.status, t.mode, t.n_questions, t.created_at,
                                   t.last_activity_at};
    }
    for (unsigned u = 0; u < RI_USERS; u++) {
        CHECK_RC(qs_test_list(txn, s->users[u], got, RI_MAX_TESTS / 4, &n_got), 0);
        CHECK_MSG(n_got == n_want[u], "user %u: %zu tests listed, %zu expected", s->users[u],
                  n_got, n_want[u]);
        for (size_t i = 0; i < n_got; i++)
            CHECK_MSG(got[i].id == want[u][i].id && got[i].status == want[u][i].status &&
                          got[i].last_activity_at == want[u][i].last_activity_at,
                      "user %u row %zu: test %llu, expected %llu", s->users[u], i,
                      (unsigned long long)got[i].id, (unsigned long long)want[u][i].id);
    }
}

/* A few random filters listed in one page against the brute force. */
static void ri_check_listings(qs_txn *txn, const ri_state *s, const bk_view *v)
{
    static uint32_t want[BK_MAX_QUESTIONS], got[BK_MAX_QUESTIONS];
    for (unsigned k = 0; k < 8; k++) {
        qs_question_filter f = {.size = sizeof f};
        qs_question tags = {.size = sizeof tags};
        size_t n;
        memset(&f, 0, sizeof f);
        memset(&tags, 0, sizeof tags);
        bk_random_tags(&s->tax, &tags);
        f.subject = check_chance(40) ? tags.subject : 0;
        f.system = check_chance(50) ? tags.system : 0;
        f.topic = check_chance(40) ? tags.topic : 0;
        f.difficulty = check_chance(40) ? tags.difficulty : 0;
        f.active = (uint8_t)check_below(3);
        f.band = check_chance(50) ? 0 : (uint8_t)check_range(1, QS_BAND_NONE);
        f.order = (uint8_t)check_below(2);
        size_t n_want = bk_list(v, &f, want);
        CHECK_RC(qs_question_list(txn, &f, NULL, got, BK_MAX_QUESTIONS, &n, NULL), 0);
        CHECK_EQ(n, n_want);
        CHECK(memcmp(got, want, n * sizeof got[0]) == 0);
    }
}

/* Everything derived agrees with the records: verify, pools, listings, test lists. */
static void ri_check_all(qs_txn *txn, const ri_state *s)
{
    static bk_view v;
    bk_verify_clean(txn);
    bk_view_load(txn, s->max_question, &v);
    bk_check_pools(txn, &v);
    ri_check_listings(txn, s, &v);
    ri_check_test_lists(txn, s);
}

static void ri_setup(qs_env *env, ri_state *s)
{
    qs_txn *txn = fx_write(env);
    char ext[32];
    memset(s, 0, sizeof *s);
    bk_taxonomy_build(txn, &s->tax, 4, 5, 3);
    for (unsigned i = 0; i < RI_QUESTIONS; i++)
        ri_new_question(txn, s);
    for (unsigned u = 0; u < RI_USERS; u++) {
        snprintf(ext, sizeof ext, "ri-user-%u", u);
        s->users[u] = fx_user(txn, ext, FX_T0 - 100 * FX_DAY_MS);
        s->open_tests[u] = ri_new_open_test(txn, s, u);
    }
    fx_commit(txn);
}

TEST(indexes_stay_consistent_under_random_interleavings)
{
    const char *dir = check_tmpdir();
    qs_env *env = fx_open(dir, NULL);
    static ri_state s, saved, batch_start;
    qs_txn *txn, *child;

    ri_setup(env, &s);
    for (unsigned batch = 0; batch < RI_BATCHES; batch++) {
        batch_start = s;
        txn = fx_write(env);
        for (unsigned op = 0; op < RI_OPS_PER_BATCH; op++) {
            if (!check_chance(8)) {
                ri_operation(txn, &s);
                continue;
            }
            /* a few operations in a savepoint, kept or undone */
            saved = s;
            CHECK_RC(qs_txn_savepoint(txn, &child), 0);
            for (unsigned k = (unsigned)check_range(1, 6); k > 0; k--)
                ri_operation(child, &s);
            if (check_chance(50)) {
                CHECK_RC(qs_txn_commit(child), 0);
            } else {
                qs_txn_abort(child);
                s = saved;
                if (check_chance(25))
                    bk_verify_clean(txn);
            }
        }
        if (batch % 4 == 0)
            ri_check_all(txn, &s);   /* inside the write transaction, before commit */
        if (batch % 7 == 6) {
            qs_txn_abort(txn);       /* a whole batch thrown away */
            s = batch_start;
            continue;
        }
        fx_commit(txn);
        txn = fx_read(env);
        ri_check_all(txn, &s);
        qs_txn_abort(txn);
    }
    qs_env_close(env);

    env = fx_open(dir, NULL);
    txn = fx_read(env);
    ri_check_all(txn, &s);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ===================================================================== listing */

#define LS_QUESTIONS 150
#define LS_TESTS 5

typedef struct ls_bank {
    bk_taxonomy tax;
    uint32_t user;
    uint32_t max_question;
} ls_bank;

/* Questions over 2 subjects, 2 systems of 2 topics, some inactive, some sharing a
 * created_at, about two in three answered 1 to 4 times (so every band appears). */
static void ls_build(qs_env *env, ls_bank *b)
{
    qs_txn *txn = fx_write(env);
    uint64_t tests[LS_TESTS];
    char ext[32];
    memset(b, 0, sizeof *b);
    bk_taxonomy_build(txn, &b->tax, 2, 2, 2);
    b->user = fx_user(txn, "ls-user", FX_T0 - 100 * FX_DAY_MS);
    for (unsigned t = 0; t < LS_TESTS; t++) {
        snprintf(ext, sizeof ext, "ls-t-%u", t);
        tests[t] = fx_test(txn, ext, b->user, 1, NULL, 0, FX_T0 - 50 * FX_DAY_MS);
    }
    for (unsigned i = 0; i < LS_QUESTIONS; i++) {
        qs_question q = {.size = sizeof q};
        snprintf(ext, sizeof ext, "ls-q-%u", i);
        fx_question_init(&q, ext, 0, 0, 0, 1, 4, 0);
        bk_random_tags(&b->tax, &q);
        q.active = (uint8_t)!check_chance(25);
        q.created_at = FX_T0 - check_range(0, 30) * FX_DAY_MS;
        CHECK_RC(qs_question_put(txn, &q, &b->max_question), 0);
        if (check_chance(33))
            continue;
        for (unsigned k = (unsigned)check_range(1, 4), t = 0; t < k; t++) {
            qs_answer a;
            fx_answer_init(&a, tests[t], b->max_question, QS_ANSWERED,
                           (int8_t)check_chance(50), QS_NO_CHOICE, FX_T0 - FX_DAY_MS);
            CHECK_RC(qs_answer_submit(txn, &a, NULL), 0);
        }
    }
    fx_commit(txn);
}

static void ls_describe(const qs_question_filter *f, char *out, size_t len)
{
    snprintf(out, len, "subject %u system %u topic %u difficulty %u active %u band %u order %u",
             f->subject, f->system, f->topic, f->difficulty, f->active, f->band, f->order);
}

/* Pages of @p page ids until one says no id follows; their concatenation must be the
 * brute force's list, in order, and each page must say truly whether ids follow. */
static void ls_check_pages(qs_txn *txn, const bk_view *v, const qs_question_filter *f,
                           size_t page)
{
    static uint32_t want[BK_MAX_QUESTIONS], got[BK_MAX_QUESTIONS], buf[BK_MAX_QUESTIONS];
    qs_list_cursor after, next;
    size_t n_want = bk_list(v, f, want), n_got = 0, n, calls = 0;
    char what[160];
    ls_describe(f, what, sizeof what);
    for (;;) {
        CHECK_RC(qs_question_list(txn, f, calls ? &after : NULL, buf, page, &n, &next), 0);
        size_t written = n < page ? n : page;
        CHECK_MSG(n <= page + 1 && n_got + written <= n_want && ++calls <= n_want / page + 1,
                  "%s, pages of %zu: %zu ids after %zu, %zu expected in all", what, page, n,
                  n_got, n_want);
        memcpy(got + n_got, buf, written * sizeof buf[0]);
        n_got += written;
        CHECK_MSG((n > page) == (n_got < n_want), "%s, pages of %zu: *n %zu after %zu of %zu",
                  what, page, n, n_got, n_want);
        if (n <= page)
            break;
        after = next;
    }
    CHECK_MSG(n_got == n_want, "%s, pages of %zu: %zu ids, %zu expected", what, page, n_got,
              n_want);
    for (size_t i = 0; i < n_want; i++)
        CHECK_MSG(got[i] == want[i], "%s, pages of %zu: id %zu is %u, expected %u", what, page,
                  i, got[i], want[i]);
}

TEST(listing_matches_brute_force_for_every_filter)
{
    qs_env *env = fx_open_tmp();
    static ls_bank b;
    static bk_view v;
    ls_build(env, &b);
    const bk_taxonomy *t = &b.tax;
    const uint32_t subjects[] = {0, t->subjects[0], t->subjects[1], 999};
    const uint32_t systems[] = {0, t->systems[0], t->systems[1]};
    const uint32_t topics[] = {0, t->topics[0][0], t->topics[1][1], 999};
    const uint8_t difficulties[] = {0, 1, 3};
    const uint8_t actives[] = {0, 1, 2};
    const uint8_t bands[] = {0, 1, 6, 10, QS_BAND_NONE};
    unsigned filters = 0;

    qs_txn *txn = fx_read(env);
    bk_view_load(txn, b.max_question, &v);
    for (size_t i0 = 0; i0 < NCASES(subjects); i0++)
    for (size_t i1 = 0; i1 < NCASES(systems); i1++)
    for (size_t i2 = 0; i2 < NCASES(topics); i2++)
    for (size_t i3 = 0; i3 < NCASES(difficulties); i3++)
    for (size_t i4 = 0; i4 < NCASES(actives); i4++)
    for (size_t i5 = 0; i5 < NCASES(bands); i5++)
    for (uint8_t order = 0; order <= QS_ORDER_NEWEST; order++) {
        qs_question_filter f = {.size = sizeof f, subjects[i0], systems[i1], topics[i2], difficulties[i3],
                                actives[i4], bands[i5], order};
        ls_check_pages(txn, &v, &f, BK_MAX_QUESTIONS);
        ls_check_pages(txn, &v, &f, 7);
        if (filters++ % 5 == 0) {
            ls_check_pages(txn, &v, &f, 1);
            ls_check_pages(txn, &v, &f, 2);
        }
    }
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(listing_follows_writes_and_resumes_after_its_cursor)
{
    qs_env *env = fx_open_tmp();
    static ls_bank b;
    static bk_view v;
    qs_question_filter f = {.size = sizeof f};
    qs_list_cursor next;
    uint32_t ids[8], fresh, moved;
    size_t n;
    qs_question q = {.size = sizeof q};

    ls_build(env, &b);
    memset(&f, 0, sizeof f);
    f.system = b.tax.systems[0];
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_question_list(txn, &f, NULL, ids, 8, &n, &next), 0);
    CHECK_EQ(n, 9);   /* 8 ids, and more follow */
    qs_txn_abort(txn);

    /* A new question of the system, a re-tag out of it: seen by the same write
     * transaction, and by the next page of the old cursor. */
    txn = fx_write(env);
    fx_question_init(&q, "ls-fresh", 0, b.tax.systems[0], b.tax.topics[0][1], 2, 4, 0);
    q.created_at = FX_T0;
    CHECK_RC(qs_question_put(txn, &q, &fresh), 0);
    fx_question_init(&q, "ls-moved", 0, b.tax.systems[0], 0, 1, 4, 0);
    CHECK_RC(qs_question_put(txn, &q, &moved), 0);
    fx_question_init(&q, "ls-moved", 0, b.tax.systems[1], 0, 1, 4, 0);
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    bk_view_load(txn, moved, &v);
    for (uint8_t order = 0; order <= QS_ORDER_NEWEST; order++) {
        f.order = order;
        ls_check_pages(txn, &v, &f, 3);
        f.system = b.tax.systems[1];
        ls_check_pages(txn, &v, &f, 3);
        f.system = b.tax.systems[0];
    }
    f.order = QS_ORDER_ID;
    fx_commit(txn);

    txn = fx_read(env);
    static uint32_t want[BK_MAX_QUESTIONS], rest[BK_MAX_QUESTIONS];
    size_t n_want = bk_list(&v, &f, want), n_rest;
    size_t from = 0;
    while (from < n_want && want[from] <= ids[7])
        from++;
    CHECK_RC(qs_question_list(txn, &f, &next, rest, BK_MAX_QUESTIONS, &n_rest, NULL), 0);
    CHECK_EQ(n_rest, n_want - from);
    CHECK(memcmp(rest, want + from, n_rest * sizeof rest[0]) == 0);
    CHECK_EQ(rest[n_rest - 1], fresh);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(listing_rejects_bad_filters_and_cursors)
{
    qs_env *env = fx_open_tmp();
    static ls_bank b;
    qs_question_filter f = {.size = sizeof f}, bad = {.size = sizeof bad};
    qs_list_cursor by_id, newest, damaged, next;
    uint32_t ids[4];
    size_t n;

    ls_build(env, &b);
    qs_txn *txn = fx_read(env);
    memset(&f, 0, sizeof f);
    CHECK_RC(qs_question_list(txn, &f, NULL, ids, 4, &n, &by_id), 0);
    CHECK_EQ(n, 5);
    f.order = QS_ORDER_NEWEST;
    CHECK_RC(qs_question_list(txn, &f, NULL, ids, 4, &n, &newest), 0);
    CHECK_EQ(n, 5);

    /* filter values out of range */
    bad = f;
    bad.difficulty = 4;
    CHECK_RC(qs_question_list(txn, &bad, NULL, ids, 4, &n, NULL), QS_INVALID);
    bad = f;
    bad.active = 3;
    CHECK_RC(qs_question_list(txn, &bad, NULL, ids, 4, &n, NULL), QS_INVALID);
    bad = f;
    bad.band = QS_BAND_NONE + 1;
    CHECK_RC(qs_question_list(txn, &bad, NULL, ids, 4, &n, NULL), QS_INVALID);
    bad = f;
    bad.order = QS_ORDER_NEWEST + 1;
    CHECK_RC(qs_question_list(txn, &bad, NULL, ids, 4, &n, NULL), QS_INVALID);
    CHECK_RC(qs_question_list(txn, NULL, NULL, ids, 4, &n, NULL), QS_INVALID);
    CHECK_RC(qs_question_list(txn, &f, NULL, ids, 4, NULL, NULL), QS_INVALID);
    CHECK_RC(qs_question_list(txn, &f, NULL, NULL, 4, &n, NULL), QS_INVALID);
    CHECK_RC(qs_question_list(NULL, &f, NULL, ids, 4, &n, NULL), QS_INVALID);

    /* a cursor of the other order */
    CHECK_RC(qs_question_list(txn, &f, &by_id, ids, 4, &n, NULL), QS_INVALID);
    f.order = QS_ORDER_ID;
    CHECK_RC(qs_question_list(txn, &f, &newest, ids, 4, &n, NULL), QS_INVALID);

    /* damaged cursors */
    damaged = by_id;
    damaged.bytes[0] ^= 0x5a;
    CHECK_RC(qs_question_list(txn, &f, &damaged, ids, 4, &n, NULL), QS_BAD_CURSOR);
    damaged = by_id;
    damaged.bytes[2] = 1;
    CHECK_RC(qs_question_list(txn, &f, &damaged, ids, 4, &n, NULL), QS_BAD_CURSOR);
    memset(&damaged, 0, sizeof damaged);
    CHECK_RC(qs_question_list(txn, &f, &damaged, ids, 4, &n, NULL), QS_BAD_CURSOR);
    memset(&damaged, 0xff, sizeof damaged);
    CHECK_RC(qs_question_list(txn, &f, &damaged, ids, 4, &n, NULL), QS_BAD_CURSOR);

    /* a zero-capacity page writes nothing, says ids follow, and hands the cursor back */
    CHECK_RC(qs_question_list(txn, &f, &by_id, NULL, 0, &n, &next), 0);
    CHECK_EQ(n, 1);
    CHECK(memcmp(&next, &by_id, sizeof next) == 0);
    /* the good cursors still work after all that */
    CHECK_RC(qs_question_list(txn, &f, &by_id, ids, 4, &n, NULL), 0);
    CHECK_EQ(n, 5);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ===================================================================== damage */

typedef struct dmg_store {
    const char *dir;
    ri_state s;
} dmg_store;

/* A closed store with questions in every index, answers, and tests of every status. */
static void dmg_build(dmg_store *d)
{
    d->dir = check_tmpdir();
    qs_env *env = fx_open(d->dir, NULL);
    ri_setup(env, &d->s);
    qs_txn *txn = fx_write(env);
    for (unsigned i = 0; i < 400; i++)
        ri_operation(txn, &d->s);
    fx_commit(txn);
    txn = fx_read(env);
    ri_check_all(txn, &d->s);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* Reopen a damaged store: the row of @p name reports at least the findings asked for,
 * naming the index, and every other row is clean; then rebuild, and everything agrees
 * again (verify, pools, listings, test lists, a draw). */
static void dmg_find_and_rebuild(dmg_store *d, const char *name, int missing, int extra)
{
    qs_index_report rows[BK_MAX_REPORTS];
    size_t n;
    int found = 0;
    qs_env *env = fx_open(d->dir, NULL);
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_index_verify(txn, rows, BK_MAX_REPORTS, &n), 0);
    for (size_t i = 0; i < n; i++) {
        const qs_index_report *r = &rows[i];
        if (strcmp(r->name, name) != 0) {
            CHECK_MSG(!r->missing && !r->extra, "%s reports %llu missing, %llu extra: %s",
                      r->name, (unsigned long long)r->missing, (unsigned long long)r->extra,
                      r->first_finding);
            continue;
        }
        int damage_reported = (missing ? r->missing > 0 : r->missing == 0) &&
                              (extra ? r->extra > 0 : r->extra == 0) && r->first_finding[0];
        CHECK_MSG(damage_reported,
                  "%s: %llu missing (expected %s), %llu extra (expected %s), first finding "
                  "\"%s\"", name, (unsigned long long)r->missing, missing ? "some" : "none",
                  (unsigned long long)r->extra, extra ? "some" : "none", r->first_finding);
        CHECK_MSG(strstr(r->first_finding, strcmp(name, "pools") ? name : "pool") != NULL,
                  "the finding does not name %s: \"%s\"", name, r->first_finding);
        found = 1;
    }
    CHECK_MSG(found, "no verify row for %s", name);
    qs_txn_abort(txn);

    txn = fx_write(env);
    CHECK_RC(qs_index_rebuild(txn), 0);
    bk_verify_clean(txn);
    fx_commit(txn);
    txn = fx_read(env);
    ri_check_all(txn, &d->s);
    qs_txn_abort(txn);
    txn = fx_write(env);
    static bk_view v;
    static qs_test out;
    qs_draw dr = {.size = sizeof dr};
    bk_view_load(txn, d->s.max_question, &v);
    memset(&dr, 0, sizeof dr);
    dr.user = d->s.users[0];
    dr.pattern = QS_DRAW_FILTER;
    dr.mode = QS_MODE_TUTOR;
    dr.count = 30;
    dr.seed = 1;
    dr.system = d->s.tax.systems[0];
    CHECK(bk_draw_checked(txn, &v, &dr, &out) > 0);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(a_missing_question_filter_entry_is_found_and_rebuilt)
{
    static dmg_store d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    dmg_build(&d);
    raw_open(&r, d.dir, "q_filter", MDB_DUPSORT | MDB_DUPFIXED);
    raw_entry(&r, MDB_LAST, key, &kn, val, &vn);
    CHECK_EQ(vn, 4);
    raw_del(&r, key, kn, val, vn);
    raw_close(&r);
    dmg_find_and_rebuild(&d, "q_filter", 1, 0);
}

TEST(a_question_filter_entry_of_no_question_is_found_and_rebuilt)
{
    static dmg_store d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    dmg_build(&d);
    raw_open(&r, d.dir, "q_filter", MDB_DUPSORT | MDB_DUPFIXED);
    raw_entry(&r, MDB_FIRST, key, &kn, val, &vn);
    raw_put32(val, 0x00abcdef);   /* no such question */
    raw_put(&r, key, kn, val, vn);
    raw_close(&r);
    dmg_find_and_rebuild(&d, "q_filter", 0, 1);
}

TEST(a_question_filed_under_another_key_is_found_and_rebuilt)
{
    static dmg_store d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    dmg_build(&d);
    /* q_filter key: system u32 | topic u32 | difficulty u8; move one id to another
     * difficulty: missing where it belongs, extra where it is. */
    raw_open(&r, d.dir, "q_filter", MDB_DUPSORT | MDB_DUPFIXED);
    raw_entry(&r, MDB_FIRST, key, &kn, val, &vn);
    CHECK_EQ(kn, 9);
    raw_del(&r, key, kn, val, vn);
    key[8] = (uint8_t)(key[8] % 3 + 1);
    raw_put(&r, key, kn, val, vn);
    raw_close(&r);
    dmg_find_and_rebuild(&d, "q_filter", 1, 1);
}

TEST(damage_to_every_question_index_is_found_and_rebuilt)
{
    static const struct {
        const char *name;
        unsigned flags;
    } indexes[] = {
        {"q_subject", MDB_DUPSORT | MDB_DUPFIXED},
        {"q_band", MDB_DUPSORT | MDB_DUPFIXED},
        {"q_created", 0},
    };
    for (size_t i = 0; i < NCASES(indexes); i++) {
        static dmg_store d;
        raw_db r;
        uint8_t key[RAW_MAX], val[RAW_MAX];
        size_t kn, vn;
        dmg_build(&d);
        raw_open(&r, d.dir, indexes[i].name, indexes[i].flags);
        raw_entry(&r, MDB_LAST, key, &kn, val, &vn);
        raw_del(&r, key, kn, val, vn);
        raw_close(&r);
        dmg_find_and_rebuild(&d, indexes[i].name, 1, 0);

        raw_open(&r, d.dir, indexes[i].name, indexes[i].flags);
        raw_entry(&r, MDB_FIRST, key, &kn, val, &vn);
        if (vn == 4)
            raw_put32(val, 0x00abcdef);   /* an id of no question */
        else
            raw_put32(key + kn - 4, 0x00abcdef);
        raw_put(&r, key, kn, val, vn);
        raw_close(&r);
        dmg_find_and_rebuild(&d, indexes[i].name, 0, 1);
    }
}

TEST(damage_to_the_tests_by_user_index_is_found_and_rebuilt)
{
    static dmg_store d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    dmg_build(&d);
    /* test_by_user key: user u32 | status u8 | last_activity_at u64 | test u64 */
    raw_open(&r, d.dir, "test_by_user", 0);
    raw_entry(&r, MDB_FIRST, key, &kn, val, &vn);
    CHECK_EQ(kn, 21);
    raw_del(&r, key, kn, val, vn);
    raw_close(&r);
    dmg_find_and_rebuild(&d, "test_by_user", 1, 0);

    raw_open(&r, d.dir, "test_by_user", 0);
    raw_entry(&r, MDB_LAST, key, &kn, val, &vn);
    raw_del(&r, key, kn, val, vn);
    key[4] = (uint8_t)(key[4] % 4 + 1);   /* another status */
    raw_put(&r, key, kn, val, vn);
    raw_close(&r);
    dmg_find_and_rebuild(&d, "test_by_user", 1, 1);
}

TEST(damage_to_the_test_answers_index_is_found_and_rebuilt)
{
    static dmg_store d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    dmg_build(&d);
    /* test_answers: test u64 -> duplicates (question u32 | created_at) */
    raw_open(&r, d.dir, "test_answers", MDB_DUPSORT | MDB_DUPFIXED);
    raw_entry(&r, MDB_FIRST, key, &kn, val, &vn);
    CHECK_EQ(kn, 8);
    CHECK_EQ(vn, 12);
    raw_del(&r, key, kn, val, vn);
    raw_close(&r);
    dmg_find_and_rebuild(&d, "test_answers", 1, 0);

    /* an entry pointing at no answer (its time moved): the real one is missing, the
     * bad one extra */
    raw_open(&r, d.dir, "test_answers", MDB_DUPSORT | MDB_DUPFIXED);
    raw_entry(&r, MDB_LAST, key, &kn, val, &vn);
    raw_del(&r, key, kn, val, vn);
    val[11] ^= 0x5a;
    raw_put(&r, key, kn, val, vn);
    raw_close(&r);
    dmg_find_and_rebuild(&d, "test_answers", 1, 1);
}

/* Reopen a store whose leaderboards were damaged: @p board_row and lb_count report it,
 * a rebuild repairs both. */
static void lb_find_and_rebuild(const dmg_store *d, const char *board_row)
{
    qs_env *env = fx_open(d->dir, NULL);
    qs_txn *txn = fx_read(env);
    qs_index_report board = bk_verify_row(txn, board_row);
    qs_index_report counts = bk_verify_row(txn, "lb_count");
    CHECK_MSG(board.missing + board.extra > 0 && strstr(board.first_finding, board_row),
              "%s: %llu missing, %llu extra: %s", board_row, (unsigned long long)board.missing,
              (unsigned long long)board.extra, board.first_finding);
    CHECK_MSG(counts.missing + counts.extra > 0 && strstr(counts.first_finding, "lb_count"),
              "lb_count: %llu missing, %llu extra: %s", (unsigned long long)counts.missing,
              (unsigned long long)counts.extra, counts.first_finding);
    qs_txn_abort(txn);
    txn = fx_write(env);
    CHECK_RC(qs_index_rebuild(txn), 0);
    fx_commit(txn);
    txn = fx_read(env);
    bk_verify_clean(txn);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(damage_to_the_leaderboards_is_found_and_rebuilt)
{
    static const char *const rows[] = {"lb_all_time", "lb_weekly"};
    for (size_t i = 0; i < NCASES(rows); i++) {
        static dmg_store d;
        raw_db r;
        uint8_t key[RAW_MAX], val[RAW_MAX];
        size_t kn, vn;
        dmg_build(&d);
        /* lb: (board u32 | correct u32) -> user; board 0 first, weekly boards last */
        raw_open(&r, d.dir, "lb", MDB_DUPSORT | MDB_DUPFIXED);
        raw_entry(&r, i == 0 ? MDB_FIRST : MDB_LAST, key, &kn, val, &vn);
        CHECK_EQ(kn, 8);
        CHECK_EQ(raw_get32(key) == 0, i == 0);
        raw_del(&r, key, kn, val, vn);
        raw_close(&r);
        lb_find_and_rebuild(&d, rows[i]);
    }
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(indexes_stay_consistent_under_random_interleavings),
        CASE(listing_matches_brute_force_for_every_filter),
        CASE(listing_follows_writes_and_resumes_after_its_cursor),
        CASE(listing_rejects_bad_filters_and_cursors),
        CASE(a_missing_question_filter_entry_is_found_and_rebuilt),
        CASE(a_question_filter_entry_of_no_question_is_found_and_rebuilt),
        CASE(a_question_filed_under_another_key_is_found_and_rebuilt),
        CASE(damage_to_every_question_index_is_found_and_rebuilt),
        CASE(damage_to_the_tests_by_user_index_is_found_and_rebuilt),
        CASE(damage_to_the_test_answers_index_is_found_and_rebuilt),
        CASE(damage_to_the_leaderboards_is_found_and_rebuilt),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
