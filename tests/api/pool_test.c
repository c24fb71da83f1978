/* Tests the question pools: qs_pools_list against pools computed by brute force,
 * membership seen through draws, reshuffling, and damaged pools found by
 * qs_index_verify and repaired by qs_index_rebuild. */
#include "check.h"
#include "fixture.h"
#include "bank.h"
#include "rawdb.h"

#define PL_QUESTIONS 240
#define PL_USERS 3
#define PL_TESTS 6

typedef struct pl_bank {
    bk_taxonomy tax;
    uint32_t users[PL_USERS];
    uint64_t tests[PL_TESTS];     /* open-list tests of users[0] */
    uint32_t max_question;
    unsigned next_ext;
} pl_bank;

static void pl_answer(qs_txn *txn, const pl_bank *b, uint32_t question)
{
    qs_answer a;
    fx_answer_init(&a, b->tests[check_below(PL_TESTS)], question, QS_ANSWERED,
                   (int8_t)check_chance(60), QS_NO_CHOICE, FX_T0 - check_range(1, 50) * FX_HOUR_MS);
    int rc = qs_answer_submit(txn, &a, NULL);
    CHECK(rc == 0 || rc == QS_EXISTS);
}

/* Questions of 3 subjects and 3 systems of 3 topics, a few inactive, most answered. */
static void pl_build(qs_env *env, pl_bank *b)
{
    qs_txn *txn = fx_write(env);
    char ext[32];
    memset(b, 0, sizeof *b);
    bk_taxonomy_build(txn, &b->tax, 3, 3, 3);
    for (unsigned u = 0; u < PL_USERS; u++) {
        snprintf(ext, sizeof ext, "pl-user-%u", u);
        b->users[u] = fx_user(txn, ext, FX_T0 - 100 * FX_DAY_MS);
    }
    for (unsigned t = 0; t < PL_TESTS; t++) {
        snprintf(ext, sizeof ext, "pl-t-%u", t);
        b->tests[t] = fx_test(txn, ext, b->users[0], 1, NULL, 0, FX_T0 - 60 * FX_DAY_MS);
    }
    for (unsigned i = 0; i < PL_QUESTIONS; i++) {
        snprintf(ext, sizeof ext, "pl-q-%u", b->next_ext++);
        b->max_question = bk_new_question(txn, &b->tax, ext, FX_T0 - i * FX_HOUR_MS);
        for (unsigned k = (unsigned)check_below(4); k > 0; k--)
            pl_answer(txn, b, b->max_question);
    }
    fx_commit(txn);
}

/* A random change that moves questions between pools. */
static void pl_change(qs_txn *txn, pl_bank *b)
{
    static qs_question q;
    char ext[32];
    uint32_t id = 1 + (uint32_t)check_below(b->max_question);
    uint64_t pick = check_below(10);
    if (pick == 0) {
        snprintf(ext, sizeof ext, "pl-q-%u", b->next_ext++);
        b->max_question = bk_new_question(txn, &b->tax, ext, FX_T0);
        return;
    }
    if (pick < 4) {
        pl_answer(txn, b, id);
        return;
    }
    CHECK_RC(qs_question_get(txn, id, &q), 0);
    if (pick < 6)
        q.active = !q.active;
    else
        bk_random_tags(&b->tax, &q);
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
}

/* A draw that asks for exactly pool @p p's members. */
static void pl_draw_of_pool(const qs_pool_info *p, uint32_t user, qs_draw *d)
{
    memset(d, 0, sizeof *d);
    d->user = user;
    d->pattern = QS_DRAW_FILTER;
    d->mode = QS_MODE_TUTOR;
    d->count = QS_TEST_MAX_QUESTIONS;
    d->seed = check_rand();
    d->created_at = FX_T0;
    switch (p->kind) {
    case QS_POOL_ALL: d->difficulty = (uint8_t)p->a; break;
    case QS_POOL_SYSTEM: d->system = p->a; d->difficulty = (uint8_t)p->b; break;
    case QS_POOL_TOPIC:
        d->system = p->a;
        d->topic = p->b;
        d->difficulty = (uint8_t)p->c;
        break;
    case QS_POOL_SUBJECT: d->subject = p->a; d->difficulty = (uint8_t)p->b; break;
    default:
        d->pattern = QS_DRAW_ADAPTIVE;
        d->system = p->a;
        d->rate_min_bp = (uint16_t)(1000 * p->b);
        d->rate_max_bp = (uint16_t)(p->b == 9 ? 10000 : 1000 * p->b + 999);
        break;
    }
}

/* Every pool, drawn whole, holds exactly the questions the brute force puts in it.
 * The draws are undone. */
static void pl_check_members(qs_env *env, const pl_bank *b)
{
    static bk_view v;
    static qs_pool_info pools[BK_MAX_POOLS];
    static uint32_t members[BK_MAX_QUESTIONS];
    static qs_test out;
    size_t n_pools;
    qs_txn *txn = fx_write(env);
    bk_view_load(txn, b->max_question, &v);
    n_pools = bk_pools(&v, pools);
    for (size_t i = 0; i < n_pools; i++) {
        qs_draw d = {.size = sizeof d};
        size_t n = bk_pool_members(&v, &pools[i], members);
        CHECK(n <= QS_TEST_MAX_QUESTIONS);
        pl_draw_of_pool(&pools[i], b->users[1], &d);
        CHECK_RC(qs_test_create(txn, &d, &out), 0);
        CHECK_MSG(out.n_questions == n, "pool %u/%u/%u/%u: %u drawn, %zu members",
                  pools[i].kind, pools[i].a, pools[i].b, pools[i].c, out.n_questions, n);
        for (unsigned j = 0; j < out.n_questions; j++)
            CHECK_MSG(bk_contains(members, n, out.questions[j]),
                      "pool %u/%u/%u/%u: question %u is not a member", pools[i].kind,
                      pools[i].a, pools[i].b, pools[i].c, out.questions[j]);
    }
    qs_txn_abort(txn);
}

static void pl_check_listed(qs_env *env, const pl_bank *b)
{
    static bk_view v;
    qs_txn *txn = fx_read(env);
    bk_view_load(txn, b->max_question, &v);
    bk_check_pools(txn, &v);
    bk_verify_clean(txn);
    qs_txn_abort(txn);
}

TEST(pools_match_brute_force_as_the_bank_changes)
{
    qs_env *env = fx_open_tmp();
    static pl_bank b;
    static bk_view v;
    qs_pool_info kinds_seen[6] = {{0, 0, 0, 0, 0}};

    pl_build(env, &b);
    pl_check_listed(env, &b);
    pl_check_members(env, &b);
    for (unsigned round = 0; round < 6; round++) {
        qs_txn *txn = fx_write(env);
        for (unsigned k = 0; k < 60; k++)
            pl_change(txn, &b);
        bk_view_load(txn, b.max_question, &v);
        bk_check_pools(txn, &v);   /* the writer sees its own changes */
        fx_commit(txn);
        pl_check_listed(env, &b);
        pl_check_members(env, &b);
    }
    /* every kind of pool was there to compare */
    static qs_pool_info pools[BK_MAX_POOLS];
    qs_txn *txn = fx_read(env);
    bk_view_load(txn, b.max_question, &v);
    size_t n = bk_pools(&v, pools);
    for (size_t i = 0; i < n; i++)
        kinds_seen[pools[i].kind].size++;
    for (unsigned kind = QS_POOL_ALL; kind <= QS_POOL_BAND; kind++)
        CHECK_MSG(kinds_seen[kind].size > 0, "no pool of kind %u", kind);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(an_empty_bank_has_no_pools)
{
    qs_env *env = fx_open_tmp();
    qs_pool_info row;
    size_t n = 99;
    qs_question q = {.size = sizeof q};
    uint32_t id;
    qs_txn *txn = fx_write(env);
    CHECK_RC(qs_pools_list(txn, &row, 1, &n), 0);
    CHECK_EQ(n, 0);
    bk_verify_clean(txn);
    /* an inactive question without taxonomy is in no pool; activated, it is in ALL */
    fx_question_init(&q, "lone", 0, 0, 0, 2, 0, 0);
    q.active = 0;
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    CHECK_RC(qs_pools_list(txn, &row, 1, &n), 0);
    CHECK_EQ(n, 0);
    q.active = 1;
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    CHECK_RC(qs_pools_list(txn, &row, 1, &n), 0);
    CHECK_EQ(n, 1);
    CHECK(row.kind == QS_POOL_ALL && row.a == 2 && row.b == 0 && row.c == 0 && row.size == 1);
    CHECK_RC(qs_pools_list(txn, NULL, 1, &n), QS_INVALID);
    CHECK_RC(qs_pools_list(txn, &row, 1, NULL), QS_INVALID);
    bk_verify_clean(txn);
    fx_commit(txn);
    qs_env_close(env);
}

/* The first questions of every pool in draw order, for seeds 1..n, into @p out. */
static void pl_window_draws(qs_env *env, const pl_bank *b, uint32_t *out, unsigned n)
{
    static qs_test t;
    qs_txn *txn = fx_write(env);
    qs_draw d = {.size = sizeof d};
    memset(&d, 0, sizeof d);
    d.user = b->users[2];
    d.pattern = QS_DRAW_FILTER;
    d.mode = QS_MODE_TUTOR;
    d.count = 4;
    d.system = b->tax.systems[0];
    for (unsigned i = 0; i < n; i++) {
        d.seed = i + 1;
        CHECK_RC(qs_test_create(txn, &d, &t), 0);
        CHECK_EQ(t.n_questions, 4);
        memcpy(out + 4 * i, t.questions, 4 * sizeof t.questions[0]);
    }
    qs_txn_abort(txn);
}

TEST(reshuffle_keeps_membership_and_verifies)
{
    qs_env *env = fx_open_tmp();
    static pl_bank b;
    static bk_view v;
    static qs_pool_info before[BK_MAX_POOLS], after[BK_MAX_POOLS];
    uint32_t draws_before[4 * 16], draws_after[4 * 16], draws_again[4 * 16];
    size_t n_before, n_after;

    pl_build(env, &b);
    qs_txn *txn = fx_read(env);
    CHECK_RC(qs_pools_list(txn, before, BK_MAX_POOLS, &n_before), 0);
    CHECK_RC(qs_pools_reshuffle(txn, 7), QS_READONLY);
    qs_txn_abort(txn);
    pl_window_draws(env, &b, draws_before, 16);

    txn = fx_write(env);
    CHECK_RC(qs_pools_reshuffle(txn, 7), 0);
    bk_verify_clean(txn);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_pools_list(txn, after, BK_MAX_POOLS, &n_after), 0);
    CHECK_EQ(n_after, n_before);
    for (size_t i = 0; i < n_before; i++)
        CHECK(bk_same_pool(&before[i], &after[i]) && before[i].size == after[i].size);
    bk_view_load(txn, b.max_question, &v);
    bk_check_pools(txn, &v);
    bk_verify_clean(txn);
    qs_txn_abort(txn);
    pl_check_members(env, &b);
    /* the same seeds draw from a new order now, and again the same from it */
    pl_window_draws(env, &b, draws_after, 16);
    pl_window_draws(env, &b, draws_again, 16);
    CHECK(memcmp(draws_before, draws_after, sizeof draws_before) != 0);
    CHECK(memcmp(draws_after, draws_again, sizeof draws_after) == 0);

    /* a reshuffled store keeps its pools right as the bank changes */
    txn = fx_write(env);
    for (unsigned k = 0; k < 80; k++)
        pl_change(txn, &b);
    CHECK_RC(qs_pools_reshuffle(txn, 8), 0);
    for (unsigned k = 0; k < 80; k++)
        pl_change(txn, &b);
    fx_commit(txn);
    pl_check_listed(env, &b);
    pl_check_members(env, &b);
    qs_env_close(env);
}

/* ---------------------------------------------------------------- damage */

/* pool key: kind u8 | a u32 | b u32 | c u32 | position u32 -> question u32;
 * pool_pos key: kind u8 | a u32 | b u32 | c u32 | question u32 -> position u32. */
#define PL_POOL_KEY 17

typedef struct pl_damaged {
    const char *dir;
    pl_bank b;
} pl_damaged;

static void pl_damage_build(pl_damaged *d)
{
    d->dir = check_tmpdir();
    qs_env *env = fx_open(d->dir, NULL);
    pl_build(env, &d->b);
    qs_env_close(env);
}

/* Reopen: the pools row reports the damage (and no other row anything); rebuild;
 * everything agrees again. @p missing and @p extra: 1 when the row must count some,
 * 0 when it must count none, -1 when either is right. */
static void pl_find_and_rebuild(pl_damaged *d, int missing, int extra)
{
    qs_env *env = fx_open(d->dir, NULL);
    qs_txn *txn = fx_read(env);
    qs_index_report rows[BK_MAX_REPORTS];
    size_t n;
    CHECK_RC(qs_index_verify(txn, rows, BK_MAX_REPORTS, &n), 0);
    CHECK(n > 1 && n <= BK_MAX_REPORTS);
    for (size_t i = 0; i + 1 < n; i++)
        CHECK_MSG(!rows[i].missing && !rows[i].extra, "%s: %s", rows[i].name,
                  rows[i].first_finding);
    const qs_index_report *r = &rows[n - 1];
    CHECK_STR(r->name, "pools");
    static const char *const want[] = {"any", "none", "some"};
    int damage_reported = (missing < 0 || (missing ? r->missing > 0 : r->missing == 0)) &&
                          (extra < 0 || (extra ? r->extra > 0 : r->extra == 0)) &&
                          strstr(r->first_finding, "pool") != NULL;
    CHECK_MSG(damage_reported, "pools: %llu missing (expected %s), %llu extra (expected %s), "
              "first finding \"%s\"", (unsigned long long)r->missing, want[missing + 1],
              (unsigned long long)r->extra, want[extra + 1], r->first_finding);
    qs_txn_abort(txn);

    txn = fx_write(env);
    CHECK_RC(qs_index_rebuild(txn), 0);
    fx_commit(txn);
    pl_check_listed(env, &d->b);
    pl_check_members(env, &d->b);
    qs_env_close(env);
}

TEST(a_pool_entry_pointing_elsewhere_is_found_and_rebuilt)
{
    static pl_damaged d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    pl_damage_build(&d);
    raw_open(&r, d.dir, "pool", 0);
    raw_entry(&r, MDB_FIRST, key, &kn, val, &vn);
    CHECK_EQ(kn, PL_POOL_KEY);
    CHECK_EQ(vn, 4);
    raw_put32(val, raw_get32(val) == 1 ? 2 : 1);
    raw_put(&r, key, kn, val, vn);
    raw_close(&r);
    /* the question that was there is missing; the one written there does not belong
     * or is out of place */
    pl_find_and_rebuild(&d, 1, 1);
}

TEST(a_missing_pool_position_is_found_and_rebuilt)
{
    static pl_damaged d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    pl_damage_build(&d);
    raw_open(&r, d.dir, "pool_pos", 0);
    raw_entry(&r, MDB_LAST, key, &kn, val, &vn);
    CHECK_EQ(kn, PL_POOL_KEY);
    raw_del(&r, key, kn, NULL, 0);
    raw_close(&r);
    /* the question is missing from its pool, and its pool entry maps back to nothing */
    pl_find_and_rebuild(&d, 1, 1);
}

TEST(a_pool_missing_its_last_member_is_found_and_rebuilt)
{
    static pl_damaged d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    pl_damage_build(&d);
    raw_open(&r, d.dir, "pool", 0);
    raw_entry(&r, MDB_LAST, key, &kn, val, &vn);
    raw_del(&r, key, kn, NULL, 0);
    raw_close(&r);
    /* its pool_pos entry now names a position that is not there */
    pl_find_and_rebuild(&d, 1, -1);
}

TEST(an_extra_pool_position_is_found_and_rebuilt)
{
    static pl_damaged d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    pl_damage_build(&d);
    /* pool_pos maps a question that is in no pool (no such question) into a pool */
    raw_open(&r, d.dir, "pool_pos", 0);
    raw_entry(&r, MDB_FIRST, key, &kn, val, &vn);
    raw_put32(key + kn - 4, 0x00abcdef);
    raw_put(&r, key, kn, val, vn);
    raw_close(&r);
    pl_find_and_rebuild(&d, 0, 1);
}

TEST(an_extra_pool_entry_is_found_and_rebuilt)
{
    static pl_damaged d;
    raw_db r;
    uint8_t key[RAW_MAX], val[RAW_MAX];
    size_t kn, vn;
    pl_damage_build(&d);
    /* one more position at the end of the last pool, holding a question of no pool */
    raw_open(&r, d.dir, "pool", 0);
    raw_entry(&r, MDB_LAST, key, &kn, val, &vn);
    raw_put32(key + kn - 4, raw_get32(key + kn - 4) + 1);
    raw_put32(val, 0x00abcdef);
    raw_put(&r, key, kn, val, vn);
    raw_close(&r);
    pl_find_and_rebuild(&d, 0, 1);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(pools_match_brute_force_as_the_bank_changes),
        CASE(an_empty_bank_has_no_pools),
        CASE(reshuffle_keeps_membership_and_verifies),
        CASE(a_pool_entry_pointing_elsewhere_is_found_and_rebuilt),
        CASE(a_missing_pool_position_is_found_and_rebuilt),
        CASE(a_pool_missing_its_last_member_is_found_and_rebuilt),
        CASE(an_extra_pool_entry_is_found_and_rebuilt),
        CASE(an_extra_pool_position_is_found_and_rebuilt),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
