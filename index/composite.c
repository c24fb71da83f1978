/* composite.c: hand-maintained composite secondary indexes, each declared once.
 *
 * An index is a database of entries cut from the records of one source (the
 * questions, seen with their success band, or the tests). Its declaration says
 * which database, and how to cut a record's entries (cut) and find the record an
 * entry came from (owner). Every put of a record goes through idx_*_changed() in
 * the same transaction: entries of the old version that the new one lacks are
 * deleted, the new ones added. Rebuild and verify work from the same
 * declarations, and cover the pools (pool.c) too.
 *
 *   index         key                                   value
 *   q_filter      system u32 | topic u32 | difficulty u8   question u32 (DUPFIXED)
 *   q_subject     subject u32 | difficulty u8              question u32 (DUPFIXED)
 *   q_band        system u32 | band u8                     question u32 (DUPFIXED)
 *   q_created     created_at time | question u32           (empty)
 *   test_by_user  user u32 | status u8 |                   (empty)
 *                 last_activity_at time | test u64
 *   test_answers  test u64                                 question u32 | created_at
 *                                                          time (DUPFIXED): the answer
 *                                                          is the test's user's row at
 *                                                          that time (engine/model.c)
 *
 *   lb            board u32 | correct u32                  user u32 (DUPFIXED): board 0
 *                                                          from every user and its
 *                                                          summary, weekly boards from
 *                                                          the users' daily rows
 *
 * test_answers also makes (test, question) unique: idx_answer_added() claims its
 * entry before anything else of an answer is written. The leaderboards share one
 * database, each declaration owning its boards, and keep lb_count in step through
 * their moved hook (leaderboard.c).
 */
#include <stdio.h>
#include <string.h>

#include "composite.h"
#include "index.h"
#include "rows.h"

#define MAX_ENTRIES 4

typedef struct idx_entry {
    eng_key key;
    uint8_t val[20];
    uint8_t val_len;   /* 4 for id-valued (DUPFIXED) indexes, 0 for key-only ones */
} idx_entry;

typedef struct idx_def {
    const char *name;
    eng_db db;
    idx_source source;
    /* The entries of @p rec (idx_question* or qs_test*), into @p out. */
    size_t (*cut)(const void *rec, idx_entry *out);
    /* The id of the record an entry came from, for sources loaded by id. */
    uint64_t (*owner)(const eng_val *key, const eng_val *val);
    unsigned dupsort;   /* the database holds posting lists */
    /* For a database shared by declarations: whether an entry is this one's. */
    int (*owns)(const eng_val *key);
    /* Called after an entry moved (from or to NULL when added or removed). */
    int (*moved)(qs_txn *txn, const eng_val *from, const eng_val *to);
} idx_def;

/* ------------------------------------------------------------------ declarations */

static void id_value(idx_entry *e, uint32_t id)
{
    eng_put32(e->val, id);
    e->val_len = 4;
}

static uint64_t owner_in_value(const eng_val *key, const eng_val *val)
{
    return val->size == 4 ? eng_get32(val->data) : 0;
}

static size_t cut_filter(const void *rec, idx_entry *out)
{
    const qs_question *q = &((const idx_question *)rec)->head;
    ek_reset(&out->key);
    ek_u32(&out->key, q->system);
    ek_u32(&out->key, q->topic);
    ek_u8(&out->key, q->difficulty);
    id_value(out, q->id);
    return 1;
}

static size_t cut_subject(const void *rec, idx_entry *out)
{
    const qs_question *q = &((const idx_question *)rec)->head;
    ek_reset(&out->key);
    ek_u32(&out->key, q->subject);
    ek_u8(&out->key, q->difficulty);
    id_value(out, q->id);
    return 1;
}

static size_t cut_band(const void *rec, idx_entry *out)
{
    const idx_question *q = rec;
    if (!q->has_band)
        return 0;
    ek_reset(&out->key);
    ek_u32(&out->key, q->head.system);
    ek_u8(&out->key, q->band);
    id_value(out, q->head.id);
    return 1;
}

static size_t cut_created(const void *rec, idx_entry *out)
{
    const qs_question *q = &((const idx_question *)rec)->head;
    ek_reset(&out->key);
    ek_time(&out->key, q->created_at);
    ek_u32(&out->key, q->id);
    out->val_len = 0;
    return 1;
}

static uint64_t owner_created(const eng_val *key, const eng_val *val)
{
    return key->size == 12 ? eng_get32((const uint8_t *)key->data + 8) : 0;
}

static size_t cut_test(const void *rec, idx_entry *out)
{
    const qs_test *t = rec;
    eng_test_index_key(&out->key, t->user, t->status, t->last_activity_at, t->id);
    out->val_len = (uint8_t)eng_test_index_val(out->val, t);
    return 1;
}

static uint64_t owner_test(const eng_val *key, const eng_val *val)
{
    return key->size == ENG_TEST_INDEX_KEY ? eng_get64((const uint8_t *)key->data + 13) : 0;
}

static size_t cut_answer(const void *rec, idx_entry *out)
{
    const eng_answer *a = rec;
    ek_reset(&out->key);
    ek_u64(&out->key, a->test);
    eng_test_answer_dup(out->val, a->question, a->created_at);
    out->val_len = ENG_TEST_ANSWER_DUP;
    return 1;
}

static size_t cut_board(const void *rec, idx_entry *out)
{
    const idx_board_view *v = rec;
    if (v->board != QS_BOARD_ALL_TIME && v->answers == 0)
        return 0;   /* a weekly board holds that week's answerers */
    ek_reset(&out->key);
    ek_u32(&out->key, v->board);
    ek_u32(&out->key, v->correct);
    id_value(out, v->user);
    return 1;
}

static uint64_t owner_board(const eng_val *key, const eng_val *val)
{
    if (key->size != 8 || val->size != 4)
        return 0;
    uint64_t board = eng_get32(key->data);
    return board << 32 | eng_get32(val->data);
}

static int owns_all_time(const eng_val *key)
{
    return key->size == 8 && eng_get32(key->data) == QS_BOARD_ALL_TIME;
}

static int owns_weekly(const eng_val *key)
{
    return !owns_all_time(key);
}

static const idx_def defs[] = {
    {"q_filter", ENG_Q_FILTER, IDX_QUESTIONS, cut_filter, owner_in_value, 1, NULL, NULL},
    {"q_subject", ENG_Q_SUBJECT, IDX_QUESTIONS, cut_subject, owner_in_value, 1, NULL, NULL},
    {"q_band", ENG_Q_BAND, IDX_QUESTIONS, cut_band, owner_in_value, 1, NULL, NULL},
    {"q_created", ENG_Q_CREATED, IDX_QUESTIONS, cut_created, owner_created, 0, NULL, NULL},
    {"test_by_user", ENG_TEST_BY_USER, IDX_TESTS, cut_test, owner_test, 0, NULL, NULL},
    {"test_answers", ENG_TEST_ANSWERS, IDX_ANSWERS, cut_answer, NULL, 1, NULL, NULL},
    {"lb_all_time", ENG_LB, IDX_USERS, cut_board, owner_board, 1, owns_all_time,
     idx_lb_counts_moved},
    {"lb_weekly", ENG_LB, IDX_USER_WEEKS, cut_board, owner_board, 1, owns_weekly,
     idx_lb_counts_moved},
};
#define N_DEFS (sizeof defs / sizeof defs[0])

/* ------------------------------------------------------------------ sources */

/* A user's place on a board: all-time from the summary, weekly from the daily rows. */
static int load_board_view(qs_txn *txn, uint32_t user, uint32_t board, idx_board_view *v)
{
    qs_user u;
    int rc = eng_user_get(txn, user, &u);
    if (rc)
        return rc;
    *v = (idx_board_view){user, board, 0, 0};
    if (board != QS_BOARD_ALL_TIME)
        return idx_week_totals(txn, user, board, &v->answers, &v->correct);
    eng_usum sum;
    rc = eng_usum_get(txn, user, &sum);
    v->answers = sum.answered;
    v->correct = sum.correct;
    return rc == QS_NOTFOUND ? 0 : rc;
}

/* A record of a source, loaded by id into @p buf (boards: board << 32 | user). */
static int load_record(qs_txn *txn, idx_source src, uint64_t id, void *buf)
{
    switch (src) {
    case IDX_QUESTIONS:
        return id > UINT32_MAX ? QS_NOTFOUND : idx_question_load(txn, (uint32_t)id, buf);
    case IDX_USERS:
    case IDX_USER_WEEKS:
        if ((src == IDX_USERS) != ((id >> 32) == QS_BOARD_ALL_TIME))
            return QS_NOTFOUND;
        return load_board_view(txn, (uint32_t)id, (uint32_t)(id >> 32), buf);
    default:
        return eng_test_get(txn, id, buf);
    }
}

typedef union record_buf {
    idx_question q;
    qs_test t;
    eng_answer a;
    idx_board_view b;
} record_buf;

typedef int (*record_fn)(qs_txn *txn, const void *rec, void *ctx);

typedef struct answer_walk {
    qs_txn *txn;
    record_fn fn;
    void *ctx;
} answer_walk;

static int walk_answer(const eng_row *row, void *ctx)
{
    answer_walk *w = ctx;
    return w->fn(w->txn, &row->a, w->ctx);
}

/* Call @p fn on every answer, bucket by bucket. */
static int each_answer(qs_txn *txn, record_fn fn, void *ctx)
{
    answer_walk w = {txn, fn, ctx};
    return eng_table_each(txn, ENG_T_ANSWER, QS_TIME_MIN, QS_TIME_MAX, NULL, walk_answer, &w);
}

/* The user of the test a walk of test_answers is at: read once per test. */
typedef struct test_user {
    uint64_t test;
    uint32_t user;
    int rc;   /* of reading the test: 0 or QS_NOTFOUND */
} test_user;

static int user_of_test(qs_txn *txn, uint64_t test, test_user *memo)
{
    static _Thread_local qs_test t;
    if (memo->test == test && test)
        return memo->rc;
    *memo = (test_user){test, 0, eng_test_get(txn, test, &t)};
    memo->user = t.user;
    return memo->rc;
}

/* The answer a test_answers entry points at, into @p a: 0 or QS_NOTFOUND. An entry
 * whose bucket retention dropped keeps (test, question) answered: *expired is set. */
static int answer_of_entry(qs_txn *txn, const eng_val *key, const eng_val *val,
                           test_user *memo, eng_answer *a, int *expired)
{
    eng_bucket b;
    eng_row row;
    eng_test_answer ta;
    uint64_t test;
    *expired = 0;
    int rc = eng_test_answer_decode(key, val, &test, &ta);
    if (rc)
        return QS_NOTFOUND;
    if ((rc = eng_bucket_at(txn, ENG_T_ANSWER, ta.created_at, 0, &b)) == QS_NOTFOUND)
        *expired = 1;
    if (!rc)
        rc = user_of_test(txn, test, memo);
    if (!rc)
        rc = eng_answer_find(txn, &b, memo->user, ta.created_at, test, ta.question, &row);
    if (!rc)
        *a = row.a;
    return rc;
}

/* Call @p fn on every (user, week) with answers, from the daily rows in order. */
static int each_user_week(qs_txn *txn, record_fn fn, void *ctx)
{
    eng_iter it;
    idx_board_view v = {0, 0, 0, 0};
    int rc = eng_iter_open(txn, ENG_UDAILY, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        int32_t day;
        eng_daily d;
        if ((rc = eng_daily_decode(&it.key, &it.val, &day, &d)) != 0)
            break;
        uint32_t user = eng_get32(it.key.data), board = qs_board_week(day * ENG_DAY_MS);
        if (v.answers && (user != v.user || board != v.board) && (rc = fn(txn, &v, ctx)))
            break;
        if (user != v.user || board != v.board)
            v = (idx_board_view){user, board, 0, 0};
        v.answers += d.answers;
        v.correct += d.correct;
    }
    eng_iter_close(&it);
    if (rc == ENG_END)
        rc = v.answers ? fn(txn, &v, ctx) : 0;
    return rc;
}

/* Call @p fn on every record of @p src, in id order (answers: bucket order). */
static int each_record(qs_txn *txn, idx_source src, record_fn fn, void *ctx)
{
    static _Thread_local record_buf buf;
    if (src == IDX_ANSWERS)
        return each_answer(txn, fn, ctx);
    if (src == IDX_USER_WEEKS)
        return each_user_week(txn, fn, ctx);
    eng_db db = src == IDX_QUESTIONS ? ENG_QUESTION : src == IDX_USERS ? ENG_USER : ENG_TEST;
    size_t key_len = src == IDX_TESTS ? 8 : 4;
    eng_iter it;
    int rc = eng_iter_open(txn, db, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        if ((rc = eng_key_check(&it.key, key_len, eng_db_name(db))) != 0)
            break;
        uint64_t id = key_len == 4 ? eng_get32(it.key.data) : eng_get64(it.key.data);
        if ((rc = load_record(txn, src, id, &buf)) != 0 || (rc = fn(txn, &buf, ctx)) != 0)
            break;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* ------------------------------------------------------------------ maintenance */

static int entry_equal(const idx_entry *a, const idx_entry *b)
{
    return a->key.n == b->key.n && memcmp(a->key.b, b->key.b, a->key.n) == 0 &&
           a->val_len == b->val_len && memcmp(a->val, b->val, a->val_len) == 0;
}

static int entry_in(const idx_entry *e, const idx_entry *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (entry_equal(e, &set[i]))
            return 1;
    return 0;
}

static int entry_put(qs_txn *txn, const idx_def *d, const idx_entry *e)
{
    eng_val k = {e->key.n, (void *)e->key.b}, v = {e->val_len, (void *)e->val};
    int rc = eng_entry_put(txn, d->db, &k, &v, d->dupsort ? ENG_NODUPDATA : 0);
    return rc == QS_EXISTS ? 0 : rc;
}

static int entry_del(qs_txn *txn, const idx_def *d, const idx_entry *e)
{
    eng_val dup = {e->val_len, (void *)e->val};
    int rc = eng_del(txn, d->db, &e->key, d->dupsort ? &dup : NULL);
    if (rc == QS_NOTFOUND)
        return eng_corrupt(d->db, &e->key, "index entry missing");
    return rc;
}

static int update_source(qs_txn *txn, idx_source src, const void *old, const void *rec)
{
    for (size_t i = 0; i < N_DEFS; i++) {
        const idx_def *d = &defs[i];
        idx_entry before[MAX_ENTRIES], after[MAX_ENTRIES];
        size_t nb, na;
        int rc = 0;
        if (d->source != src)
            continue;
        nb = old ? d->cut(old, before) : 0;
        na = rec ? d->cut(rec, after) : 0;
        const idx_entry *gone = NULL, *came = NULL;
        for (size_t j = 0; j < nb && !rc; j++)
            if (!entry_in(&before[j], after, na))
                rc = entry_del(txn, d, gone = &before[j]);
        for (size_t j = 0; j < na && !rc; j++)
            if (!entry_in(&after[j], before, nb))
                rc = entry_put(txn, d, came = &after[j]);
        if (!rc && d->moved && (gone || came)) {   /* single-entry declarations */
            eng_val from = gone ? (eng_val){gone->key.n, (void *)gone->key.b} : (eng_val){0, 0};
            eng_val to = came ? (eng_val){came->key.n, (void *)came->key.b} : (eng_val){0, 0};
            rc = d->moved(txn, gone ? &from : NULL, came ? &to : NULL);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int idx_question_changed(qs_txn *txn, const idx_question *old, const idx_question *q)
{
    int rc = update_source(txn, IDX_QUESTIONS, old, q);
    if (!rc)
        rc = idx_pools_update(txn, old, q);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int idx_board_changed(qs_txn *txn, const idx_board_view *old, const idx_board_view *now)
{
    const idx_board_view *v = now ? now : old;
    int rc = update_source(txn, v->board == QS_BOARD_ALL_TIME ? IDX_USERS : IDX_USER_WEEKS,
                           old, now);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int idx_test_changed(qs_txn *txn, const qs_test *old, const qs_test *t)
{
    int rc = update_source(txn, IDX_TESTS, old, t);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int idx_answer_added(qs_txn *txn, const eng_answer *a)
{
    for (size_t i = 0; i < N_DEFS; i++) {
        const idx_def *d = &defs[i];
        idx_entry e;
        if (d->source != IDX_ANSWERS)
            continue;
        int64_t at;
        int rc = eng_test_answer_get(txn, a->test, a->question, &at);
        if (rc == 0)
            return QS_EXISTS;
        if (rc != QS_NOTFOUND)
            return rc;
        d->cut(a, &e);
        if ((rc = entry_put(txn, d, &e)) != 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ verify */

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
    idx_entry e[MAX_ENTRIES];
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
    static _Thread_local record_buf buf;
    test_user memo = {0, 0, 0};
    eng_iter it;
    int rc = eng_iter_open(txn, d->db, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        const eng_val *mk = &it.key, *mv = &it.val;
        idx_entry want[MAX_ENTRIES], got;
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
            lrc = answer_of_entry(txn, mk, mv, &memo, &buf.a, &expired);
            if (expired)
                continue;
        } else {
            uint64_t id = d->owner(mk, mv);
            lrc = id ? load_record(txn, d->source, id, &buf) : QS_NOTFOUND;
        }
        if (lrc && lrc != QS_NOTFOUND) {
            rc = lrc;
            break;
        }
        if (lrc == QS_NOTFOUND || !entry_in(&got, want, d->cut(&buf, want))) {
            r->extra++;
            finding(r, "%s: entry %s %s", d->name, &k,
                    lrc ? "points at no record" : "does not match its record");
        }
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* ------------------------------------------------------------------ rebuild */

typedef struct rebuild_ctx {
    const idx_def *def;
} rebuild_ctx;

static int rebuild_record(qs_txn *txn, const void *rec, void *arg)
{
    const idx_def *d = ((rebuild_ctx *)arg)->def;
    idx_entry e[MAX_ENTRIES];
    size_t n = d->cut(rec, e);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        eng_val k = {e[i].key.n, e[i].key.b};
        if (!(rc = entry_put(txn, d, &e[i])) && d->moved)
            rc = d->moved(txn, NULL, &k);
    }
    return rc;
}

static int pool_record(qs_txn *txn, const void *rec, void *arg)
{
    return idx_pools_update(txn, NULL, rec);
}

/* Empty the answer index but for the entries of answers retention dropped: no
 * answer is left to rebuild them from, and they keep their (test, question)
 * answered. */
static int empty_answer_index(qs_txn *txn, eng_db db)
{
    test_user memo = {0, 0, 0};
    eng_iter it;
    int rc = eng_iter_open(txn, db, &it);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it)) {
        eng_answer a;
        int expired;
        int lrc = answer_of_entry(txn, &it.key, &it.val, &memo, &a, &expired);
        if (lrc && lrc != QS_NOTFOUND) {
            rc = lrc;
            break;
        }
        if (!expired && (rc = eng_iter_del(&it)) != 0)
            break;
    }
    eng_iter_close(&it);
    rc = rc == ENG_END ? 0 : rc;
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int idx_rebuild(qs_txn *txn)
{
    int rc = eng_db_empty(txn, ENG_LB_COUNT);   /* the leaderboards' hook recounts it */
    for (size_t i = 0; i < N_DEFS && !rc; i++)   /* declarations may share a database */
        rc = defs[i].source == IDX_ANSWERS ? empty_answer_index(txn, defs[i].db)
                                           : eng_db_empty(txn, defs[i].db);
    for (size_t i = 0; i < N_DEFS && !rc; i++) {
        rebuild_ctx ctx = {&defs[i]};
        rc = each_record(txn, defs[i].source, rebuild_record, &ctx);
    }
    if (!rc && !(rc = eng_db_empty(txn, ENG_POOL)) && !(rc = eng_db_empty(txn, ENG_POOL_POS)))
        rc = each_record(txn, IDX_QUESTIONS, pool_record, NULL);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

static int pools_check_record(qs_txn *txn, const void *rec, void *r)
{
    return idx_pools_check_question(txn, rec, r);
}

int idx_verify(qs_txn *txn, qs_index_report *rows, size_t cap, size_t *n)
{
    size_t total = N_DEFS + 2;   /* the declarations, the block counts, the pools */
    for (size_t i = 0; i < N_DEFS && i < cap; i++) {
        qs_index_report *r = &rows[i];
        verify_ctx v = {&defs[i], r};
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", defs[i].name);
        int rc = each_record(txn, defs[i].source, verify_record, &v);
        if (!rc)
            rc = verify_entries(txn, &defs[i], r);
        if (rc)
            return rc;
    }
    if (N_DEFS < cap) {
        qs_index_report *r = &rows[N_DEFS];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "lb_count");
        int rc = idx_lb_counts_check(txn, r);
        if (rc)
            return rc;
    }
    if (N_DEFS + 1 < cap) {
        qs_index_report *r = &rows[N_DEFS + 1];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "pools");
        int rc = each_record(txn, IDX_QUESTIONS, pools_check_record, r);
        if (!rc)
            rc = idx_pools_check_entries(txn, r);
        if (rc)
            return rc;
    }
    *n = total;
    return 0;
}
