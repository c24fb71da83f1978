/* check.c: every aggregate recomputed from the answers (and interaction counts from
 * the interactions) and compared with what is stored; the links between records
 * that no index covers; and the repair that rebuilds the aggregates.
 *
 * The check is written apart from aggregate.c on purpose: it recomputes each user's
 * aggregates from that user's answers alone, in memory, so a slip in the incremental
 * code shows as a difference. Users are taken one at a time (their answers gathered
 * from every bucket), so memory stays that of the busiest user, plus one counter set
 * per question for the question stats. Interactions are counted per (user, day,
 * action) in one pass first: raw buckets keep them in time order.
 *
 * The links are checked from the same answers, each against its test record (the
 * rules of qs_test_put() read test_answers instead): the test is the answer's user's,
 * lists the question, and its times reach the answer; and every question's topic
 * belongs to the question's system.
 *
 * The repair replays every answer through idx_apply_answer(), the code every submit
 * runs, onto emptied aggregates, in time order. When retention dropped answers the
 * daily rows stay as they are, and only their run ends, derived from the rows
 * themselves, are rebuilt.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composite.h"
#include "index.h"
#include "rows.h"

enum {
    AGG_QSTAT, AGG_USUM, AGG_UDAILY, AGG_PROGRESS, AGG_UQ, AGG_IDAILY, AGG_COUNT,
    LINK_ANSWER_USER = AGG_COUNT, LINK_ANSWER_LISTED, LINK_TEST_ACTIVITY, LINK_QUESTION_TOPIC,
    ROW_COUNT
};

static const char *const row_names[ROW_COUNT] = {
    "aggregate:qstat", "aggregate:usum", "aggregate:udaily", "aggregate:progress",
    "aggregate:uq", "aggregate:idaily",
    "link:answer-user", "link:answer-listed", "link:test-activity", "link:question-topic"};

/* A growable array of rows of one type. */
typedef struct vec {
    void *p;
    size_t n, cap, size;
} vec;

/* Double the room of @p v: 0, or -1 out of memory. */
static int vec_grow(vec *v)
{
    size_t cap = v->cap ? v->cap * 2 : 64;
    void *p = realloc(v->p, cap * v->size);
    if (!p)
        return -1;
    v->p = p;
    v->cap = cap;
    return 0;
}

static void *vec_push(vec *v)
{
    if (v->n == v->cap && vec_grow(v))
        return NULL;
    return (char *)v->p + v->size * v->n++;
}

typedef struct user_rows {
    vec answers;       /* eng_answer, in (created_at, id) order */
    vec events;        /* qs_interaction_day, by (day, action) */
    vec runs;          /* run, in day order */
} user_rows;

/* The interactions of one user, day and action, counted. */
typedef struct event_count {
    uint32_t user;
    int32_t day;
    uint8_t action;
    uint32_t count;
} event_count;

typedef struct question_totals {
    uint32_t attempts, correct, users;
    uint64_t score_sum, time_sum;
} question_totals;

/* A slot of the question totals' table: open addressing on the question id. */
typedef struct question_slot {
    uint32_t question;
    uint8_t used, compared;
    question_totals t;
} question_slot;

typedef struct checker {
    qs_txn *txn;
    qs_check_report *r;     /* ROW_COUNT reports */
    int answers_kept, interactions_kept;
    question_slot *questions;   /* one slot per question of the bank, and spare ones */
    size_t slots;               /* a power of two */
    user_rows u;
    vec event_counts;           /* event_count of every stored interaction, sorted */
    qs_test test;               /* the test whose answers are being checked */
    uint32_t listed[QS_TEST_MAX_QUESTIONS];   /* its list, sorted */
} checker;

static int no_memory(void)
{
    return eng_fail(ENOMEM, "out of memory while recomputing aggregates");
}

/* ------------------------------------------------------------------ gathering */

/* A user's rows gathered from every bucket of a table, in time order. */
typedef struct gather {
    uint32_t user;
    vec *rows;
} gather;

static int gather_rows(qs_txn *txn, eng_table table, uint32_t user, vec *rows,
                       eng_row_fn keep)
{
    eng_key prefix;
    gather g = {user, rows};
    ek_reset(&prefix);
    ek_u32(&prefix, user);
    rows->n = 0;
    return eng_table_each(txn, table, QS_TIME_MIN, QS_TIME_MAX, &prefix, keep, &g);
}

static int keep_answer(const eng_row *row, void *ctx)
{
    gather *g = ctx;
    if (row->a.user != g->user)
        return ENG_ROWS_NEXT_BUCKET;
    eng_answer *a = vec_push(g->rows);
    if (!a)
        return no_memory();
    *a = row->a;
    return 0;
}

static int event_cmp(const void *pa, const void *pb)
{
    const event_count *a = pa, *b = pb;
    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return (a->action > b->action) - (a->action < b->action);
}

/* Sort the counts and sum those of one (user, day, action). */
static void events_merge(vec *v)
{
    event_count *e = v->p;
    size_t n = 0;
    if (v->n)
        qsort(e, v->n, sizeof *e, event_cmp);
    for (size_t i = 0; i < v->n; i++) {
        if (n && event_cmp(&e[n - 1], &e[i]) == 0)
            e[n - 1].count += e[i].count;
        else
            e[n++] = e[i];
    }
    v->n = n;
}

/* A row counted. The counts are merged whenever they fill their vector, which grows
 * only when merging leaves it more than half full. */
static int count_event(const eng_row *row, void *ctx)
{
    vec *v = ctx;
    if (v->n == v->cap && v->cap) {
        events_merge(v);
        if (v->n > v->cap / 2 && vec_grow(v))
            return no_memory();
    }
    event_count *e = vec_push(v);
    if (!e)
        return no_memory();
    *e = (event_count){row->i.user, eng_day(row->i.created_at), row->i.action, 1};
    return 0;
}

/* Every stored interaction counted, in one pass over the buckets. */
static int events_count(checker *c)
{
    c->event_counts.size = sizeof(event_count);
    int rc = eng_table_each(c->txn, ENG_T_INTERACTION, QS_TIME_MIN, QS_TIME_MAX, NULL,
                            count_event, &c->event_counts);
    if (!rc)
        events_merge(&c->event_counts);
    return rc;
}

/* ------------------------------------------------------------------ comparing */

/* Walk the stored rows of @p db under the 4-byte @p user prefix; @p fn gets each. */
static int stored_rows(qs_txn *txn, eng_db db, uint32_t user, eng_entry_fn fn, void *ctx)
{
    eng_iter it;
    uint8_t prefix[4];
    eng_put32(prefix, user);
    int rc = eng_iter_open(txn, db, &it), frc = 0;
    eng_iter_within(&it, prefix, sizeof prefix);
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it))
        if ((frc = fn(&it.key, &it.val, ctx)) != 0)
            break;
    eng_iter_close(&it);
    return frc ? frc : rc == ENG_END ? 0 : rc;
}

/* A merge of computed rows (sorted) against the stored ones (in key order). */
typedef struct merge {
    checker *c;
    int agg;
    uint32_t user;
    const void *rows;
    size_t n, next;
} merge;

static void differs(merge *m, const char *what, int64_t key)
{
    eng_report_finding(&m->c->r[m->agg], "user %u: %s %lld %s", m->user,
                       row_names[m->agg] + 10, (long long)key, what);
}

/* Computed rows before @p key are missing from the store. */
static void missing_before(merge *m, int64_t key, int64_t (*key_of)(const void *row, size_t i))
{
    while (m->next < m->n && key_of(m->rows, m->next) < key) {
        m->c->r[m->agg].checked++;
        differs(m, "is missing", key_of(m->rows, m->next));
        m->next++;
    }
}

static int64_t daily_key(const void *rows, size_t i)
{
    return ((const qs_daily_row *)rows)[i].day;
}

static int merge_daily(const eng_val *k, const eng_val *v, void *ctx)
{
    merge *m = ctx;
    int32_t day;
    eng_daily d;
    int rc = eng_daily_decode(k, v, &day, &d);
    if (rc)
        return rc;
    missing_before(m, day, daily_key);
    const qs_daily_row *want = m->next < m->n ? &((const qs_daily_row *)m->rows)[m->next] : NULL;
    m->c->r[m->agg].checked++;
    if (!want || want->day != day) {
        differs(m, "is stored but has no answers", day);
        return 0;
    }
    if (want->answers != d.answers || want->correct != d.correct || want->time_ms != d.time_ms)
        differs(m, "has other counts than its answers", day);
    m->next++;
    return 0;
}

static int64_t progress_key(const void *rows, size_t i)
{
    return ((const eng_progress *)rows)[i].topic;
}

static void merge_progress_row(merge *m, const eng_progress *got)
{
    missing_before(m, got->topic, progress_key);
    const eng_progress *want = m->next < m->n ? &((const eng_progress *)m->rows)[m->next] : NULL;
    m->c->r[m->agg].checked++;
    if (!want || want->topic != got->topic) {
        differs(m, "is stored but has no answers", got->topic);
        return;
    }
    if (want->attempts != got->attempts || want->correct != got->correct ||
        want->last_at != got->last_at)
        differs(m, "has other counts than its answers", got->topic);
    m->next++;
}

static int merge_progress(const eng_val *k, const eng_val *v, void *ctx)
{
    eng_progress_chunk c;
    int rc = eng_progress_decode(k, v, &c);
    for (unsigned i = 0; !rc && i < c.n; i++)
        merge_progress_row(ctx, &c.rows[i]);
    return rc;
}

typedef struct uq_row {
    uint32_t question;
    qs_user_question s;
} uq_row;

static int64_t uq_key(const void *rows, size_t i)
{
    return ((const uq_row *)rows)[i].question;
}

static int merge_uq(const eng_val *k, const eng_val *v, void *ctx)
{
    merge *m = ctx;
    qs_user_question s;
    if (eng_key_check(k, ENG_UQ_KEY, "uq"))
        return QS_CORRUPT;
    uint32_t question = eng_get32((const uint8_t *)k->data + 4);
    int rc = eng_uq_get(m->c->txn, m->user, question, &s);
    if (rc)
        return rc;
    if (s.attempts == 0)
        return 0;   /* a review mark alone */
    missing_before(m, question, uq_key);
    const uq_row *want = m->next < m->n ? &((const uq_row *)m->rows)[m->next] : NULL;
    m->c->r[m->agg].checked++;
    if (!want || want->question != question) {
        differs(m, "is stored but has no answers", question);
        return 0;
    }
    if (want->s.attempts != s.attempts || want->s.last_correct != s.last_correct ||
        want->s.last_at != s.last_at)
        differs(m, "has other counts than its answers", question);
    m->next++;
    return 0;
}

static int64_t idaily_key(const void *rows, size_t i)
{
    const qs_interaction_day *d = &((const qs_interaction_day *)rows)[i];
    return (int64_t)d->day * 256 + d->action;
}

static int merge_idaily(const eng_val *k, const eng_val *v, void *ctx)
{
    merge *m = ctx;
    qs_interaction_day d;
    int rc = eng_idaily_decode(k, v, &d);
    if (rc)
        return rc;
    int64_t key = (int64_t)d.day * 256 + d.action;
    missing_before(m, key, idaily_key);
    const qs_interaction_day *want =
        m->next < m->n ? &((const qs_interaction_day *)m->rows)[m->next] : NULL;
    m->c->r[m->agg].checked++;
    if (!want || idaily_key(want, 0) != key) {
        differs(m, "(day * 256 + action) is stored but has no interactions", key);
        return 0;
    }
    if (want->count != d.count)
        differs(m, "(day * 256 + action) has another count than its interactions", key);
    m->next++;
    return 0;
}

/* Compare the sorted @p rows with the stored ones of @p db for @p user. */
static int compare_rows(checker *c, int agg, eng_db db, uint32_t user, const void *rows,
                        size_t n, eng_entry_fn fn,
                        int64_t (*key_of)(const void *, size_t))
{
    merge m = {c, agg, user, rows, n, 0};
    int rc = stored_rows(c->txn, db, user, fn, &m);
    if (rc == QS_CORRUPT) {   /* the record check names it; the rest is unknown */
        eng_report_finding(&c->r[agg], "user %u: %s", user, qs_errmsg());
        return 0;
    }
    missing_before(&m, INT64_MAX, key_of);
    return rc;
}

/* ------------------------------------------------------------------ one user */

static int by_topic(const void *pa, const void *pb)
{
    const eng_answer *a = pa, *b = pb;
    return (a->topic > b->topic) - (a->topic < b->topic);
}

static int by_question_then_time(const void *pa, const void *pb)
{
    const eng_answer *a = pa, *b = pb;
    if (a->question != b->question)
        return a->question < b->question ? -1 : 1;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* The daily rows and the summary of answers in time order. */
static int daily_and_summary(const eng_answer *as, size_t n, vec *days, eng_usum *s)
{
    uint32_t run = 0;
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        const eng_answer *a = &as[i];
        int32_t day = eng_day(a->created_at);
        qs_daily_row *d = days->n ? &((qs_daily_row *)days->p)[days->n - 1] : NULL;
        if (!d || d->day != day) {
            run = d && day == d->day + 1 ? run + 1 : 1;
            if (run > s->best)
                s->best = run;
            if (!(d = vec_push(days)))
                return no_memory();
            *d = (qs_daily_row){day, 0, 0, 0};
        }
        d->answers++;
        d->correct += a->correct;
        d->time_ms += a->time_ms;
        s->answered++;
        s->correct += a->correct;
        s->time_ms += a->time_ms;
    }
    s->streak = run;
    if (n) {
        s->first_at = as[0].created_at;
        s->last_at = as[n - 1].created_at;
    }
    return 0;
}

static void check_summary(checker *c, uint32_t user, const eng_usum *want)
{
    eng_usum s;
    qs_check_report *r = &c->r[AGG_USUM];
    int rc = eng_usum_get(c->txn, user, &s);
    r->checked++;
    if (rc == QS_CORRUPT)
        eng_report_finding(r, "user %u: %s", user, qs_errmsg());
    else if (s.answered != want->answered || s.correct != want->correct ||
             s.time_ms != want->time_ms || s.streak != want->streak || s.best != want->best ||
             (want->answered && (s.first_at != want->first_at || s.last_at != want->last_at)))
        eng_report_finding(r, "user %u: summary says %u answered, %u correct, streak %u/%u; "
                              "the answers %u, %u, %u/%u",
                           user, s.answered, s.correct, s.streak, s.best, want->answered,
                           want->correct, want->streak, want->best);
}

/* The slot of @p question: its own, or the empty one where it would go. */
static question_slot *question_find(checker *c, uint32_t question)
{
    size_t i = (question * 0x9E3779B1u) & (c->slots - 1);
    while (c->questions[i].used && c->questions[i].question != question)
        i = (i + 1) & (c->slots - 1);
    return &c->questions[i];
}

/* Progress rows per topic and user-question rows; the question totals too. */
static int topics_and_questions(checker *c, eng_answer *as, size_t n, vec *progress, vec *uq)
{
    if (n == 0)
        return 0;
    qsort(as, n, sizeof *as, by_topic);
    for (size_t i = 0; i < n; i++) {
        if (as[i].topic == 0)
            continue;
        eng_progress *p = progress->n ? &((eng_progress *)progress->p)[progress->n - 1] : NULL;
        if (!p || p->topic != as[i].topic) {
            if (!(p = vec_push(progress)))
                return no_memory();
            *p = (eng_progress){as[i].topic, 0, 0, as[i].created_at};
        }
        p->attempts++;
        p->correct += as[i].correct;
        if (as[i].created_at > p->last_at)
            p->last_at = as[i].created_at;
    }
    qsort(as, n, sizeof *as, by_question_then_time);
    for (size_t i = 0; i < n; i++) {
        const eng_answer *a = &as[i];
        uq_row *q = uq->n ? &((uq_row *)uq->p)[uq->n - 1] : NULL;
        if (!q || q->question != a->question) {
            if (!(q = vec_push(uq)))
                return no_memory();
            *q = (uq_row){a->question, {0, 0, 0, 0}};
        }
        q->s.attempts++;
        q->s.last_correct = a->correct;   /* the last in (created_at, id) order */
        q->s.last_at = a->created_at;
        question_slot *slot = question_find(c, a->question);
        if (!slot->used) {
            eng_report_finding(&c->r[AGG_QSTAT], "answer %llu names question %u, which is "
                                                  "not in the bank",
                               (unsigned long long)a->id, a->question);
            continue;
        }
        question_totals *t = &slot->t;
        t->attempts++;
        t->correct += a->correct;
        t->users += q->s.attempts == 1;
        t->score_sum += a->score;
        t->time_sum += a->time_ms;
    }
    return 0;
}

static int check_user_answers(checker *c, uint32_t user)
{
    vec days = {.size = sizeof(qs_daily_row)}, progress = {.size = sizeof(eng_progress)},
        uq = {.size = sizeof(uq_row)};
    eng_usum want;
    user_rows *u = &c->u;
    int rc = daily_and_summary(u->answers.p, u->answers.n, &days, &want);
    if (!rc)
        rc = topics_and_questions(c, u->answers.p, u->answers.n, &progress, &uq);
    if (!rc) {
        check_summary(c, user, &want);
        rc = compare_rows(c, AGG_UDAILY, ENG_UDAILY, user, days.p, days.n, merge_daily,
                          daily_key);
    }
    if (!rc)
        rc = compare_rows(c, AGG_PROGRESS, ENG_PROGRESS, user, progress.p, progress.n,
                          merge_progress, progress_key);
    if (!rc)
        rc = compare_rows(c, AGG_UQ, ENG_UQ, user, uq.p, uq.n, merge_uq, uq_key);
    free(days.p);
    free(progress.p);
    free(uq.p);
    return rc;
}

/* The user's counts, from the counts of every interaction. */
static int check_user_events(checker *c, uint32_t user)
{
    const event_count *e = c->event_counts.p;
    size_t lo = 0, hi = c->event_counts.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].user < user)
            lo = mid + 1;
        else
            hi = mid;
    }
    vec *days = &c->u.events;
    days->n = 0;
    for (size_t i = lo; i < c->event_counts.n && e[i].user == user; i++) {
        qs_interaction_day *d = vec_push(days);
        if (!d)
            return no_memory();
        *d = (qs_interaction_day){e[i].day, e[i].action, e[i].count};
    }
    return compare_rows(c, AGG_IDAILY, ENG_IDAILY, user, days->p, days->n, merge_idaily,
                        idaily_key);
}

/* ------------------------------------------------------------------ runs of days */

/* A run of consecutive days of a user's daily rows, with its end rows. */
typedef struct run {
    int32_t first, last;
    eng_daily first_row, last_row;
} run;

static int keep_run_row(const eng_val *k, const eng_val *v, void *ctx)
{
    vec *runs = ctx;
    int32_t day;
    eng_daily d;
    int rc = eng_daily_decode(k, v, &day, &d);
    if (rc)
        return rc;
    run *r = runs->n ? &((run *)runs->p)[runs->n - 1] : NULL;
    if (!r || day != r->last + 1) {
        if (!(r = vec_push(runs)))
            return no_memory();
        r->first = day;
        r->first_row = d;
    }
    r->last = day;
    r->last_row = d;
    return 0;
}

/* The runs that @p user's daily rows make, in day order, into @p runs. */
static int user_runs(qs_txn *txn, uint32_t user, vec *runs)
{
    runs->n = 0;
    return stored_rows(txn, ENG_UDAILY, user, keep_run_row, runs);
}

static void check_run_end(checker *c, uint32_t user, int32_t day, const eng_daily *d,
                          const run *r)
{
    int32_t want = day == r->first ? r->last : r->first;
    if (d->has_other_end && d->other_end != want)   /* older versions wrote none */
        eng_report_finding(&c->r[AGG_UDAILY], "user %u: daily row %d names day %d as the "
                                              "other end of its run %d..%d",
                           user, day, d->other_end, r->first, r->last);
}

/* The run ends the streak upkeep reads (engine/model.c), against the runs the daily
 * rows make: they derive from the rows, so they are checked even when retention
 * dropped the answers. */
static int check_runs(checker *c, uint32_t user)
{
    vec *runs = &c->u.runs;
    int rc = user_runs(c->txn, user, runs);
    if (rc)
        return rc == QS_CORRUPT ? 0 : rc;   /* the record check names the row */
    for (size_t i = 0; i < runs->n; i++) {
        const run *r = &((const run *)runs->p)[i];
        check_run_end(c, user, r->first, &r->first_row, r);
        if (r->last != r->first)
            check_run_end(c, user, r->last, &r->last_row, r);
    }
    return 0;
}

/* ------------------------------------------------------------------ question stats */

static int compare_stats(checker *c, uint32_t q)
{
    eng_qstat s;
    qs_check_report *r = &c->r[AGG_QSTAT];
    question_slot *slot = question_find(c, q);
    question_totals zero = {0}, *t = slot->used ? &slot->t : &zero;
    slot->compared = 1;
    int rc = eng_qstat_get(c->txn, q, &s);
    r->checked++;
    if (rc == QS_CORRUPT) {
        eng_report_finding(r, "%s", qs_errmsg());
        return 0;
    }
    if (rc)
        return rc;
    if (t->attempts != s.attempts || t->correct != s.correct || t->users != s.users ||
        t->score_sum != s.score_sum || t->time_sum != s.time_sum)
        eng_report_finding(r, "question %u: stats say %u attempts, %u correct, %u users; "
                              "its answers %u, %u, %u",
                           q, s.attempts, s.correct, s.users, t->attempts, t->correct, t->users);
    return 0;
}

/* @p fn with the id of every 4-byte key of @p db, in order, until it returns non-zero
 * (returned). A key of another size is skipped: the record check reports it. */
static int each_id(checker *c, eng_db db, int (*fn)(checker *c, uint32_t id))
{
    eng_iter it;
    int rc = eng_iter_open(c->txn, db, &it), frc = 0;
    for (rc = rc ? rc : eng_iter_first(&it); rc == 0; rc = eng_iter_next(&it))
        if (it.key.size == 4 && (frc = fn(c, eng_get32(it.key.data))) != 0)
            break;
    eng_iter_close(&it);
    return frc ? frc : rc == ENG_END ? 0 : rc;
}

static int check_question_stats(checker *c)
{
    int rc = each_id(c, ENG_QSTAT, compare_stats);
    for (size_t i = 0; i < c->slots; i++) {
        const question_slot *slot = &c->questions[i];
        if (slot->used && slot->t.attempts && !slot->compared) {
            c->r[AGG_QSTAT].checked++;
            eng_report_finding(&c->r[AGG_QSTAT], "question %u: answered but has no stats",
                               slot->question);
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ links */

static int by_test_then_question(const void *pa, const void *pb)
{
    const eng_answer *a = pa, *b = pb;
    if (a->test != b->test)
        return a->test < b->test ? -1 : 1;
    return (a->question > b->question) - (a->question < b->question);
}

static int by_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

/* Answers @p as, all of c->test and sorted by question, against it: its user, its
 * list (sorted into c->listed), its times. */
static void check_test_links(checker *c, const eng_answer *as, size_t n)
{
    const qs_test *t = &c->test;
    const eng_answer *newest = &as[0];
    size_t at = 0;
    memcpy(c->listed, t->questions, t->n_questions * sizeof t->questions[0]);
    qsort(c->listed, t->n_questions, sizeof c->listed[0], by_u32);
    for (size_t i = 0; i < n; i++) {
        const eng_answer *a = &as[i];
        c->r[LINK_ANSWER_USER].checked++;
        c->r[LINK_ANSWER_LISTED].checked++;
        if (a->user != t->user)
            eng_report_finding(&c->r[LINK_ANSWER_USER],
                               "test %llu is user %u's but its answer %llu is user %u's "
                               "(primary records disagree: restore from a backup)",
                               (unsigned long long)t->id, t->user, (unsigned long long)a->id,
                               a->user);
        while (at < t->n_questions && c->listed[at] < a->question)
            at++;
        if (at == t->n_questions || c->listed[at] != a->question)
            eng_report_finding(&c->r[LINK_ANSWER_LISTED],
                               "test %llu: question %u has answer %llu but is not listed "
                               "(primary record: put the test with it listed)",
                               (unsigned long long)t->id, a->question, (unsigned long long)a->id);
        if (a->created_at > newest->created_at)
            newest = a;
    }
    c->r[LINK_TEST_ACTIVITY].checked++;
    if (t->last_activity_at < newest->created_at)
        eng_report_finding(&c->r[LINK_TEST_ACTIVITY],
                           "test %llu: last_activity_at %lld is before its answer %llu at %lld",
                           (unsigned long long)t->id, (long long)t->last_activity_at,
                           (unsigned long long)newest->id, (long long)newest->created_at);
    else if (t->open_list && t->status == QS_TEST_COMPLETED &&
             t->completed_at < newest->created_at)
        eng_report_finding(&c->r[LINK_TEST_ACTIVITY],
                           "test %llu: completed_at %lld is before its answer %llu at %lld",
                           (unsigned long long)t->id, (long long)t->completed_at,
                           (unsigned long long)newest->id, (long long)newest->created_at);
}

/* A user's answers against their tests, a test at a time. */
static int check_user_tests(checker *c, eng_answer *as, size_t n)
{
    if (n)
        qsort(as, n, sizeof *as, by_test_then_question);
    for (size_t i = 0, end; i < n; i = end) {
        for (end = i + 1; end < n && as[end].test == as[i].test; end++)
            ;
        int rc = eng_test_get(c->txn, as[i].test, &c->test);
        if (rc == QS_NOTFOUND) {
            c->r[LINK_ANSWER_USER].checked += end - i;
            eng_report_finding(&c->r[LINK_ANSWER_USER], "answer %llu names test %llu, which "
                                                         "is not stored (primary records)",
                               (unsigned long long)as[i].id, (unsigned long long)as[i].test);
        } else if (rc == 0) {
            check_test_links(c, as + i, end - i);
        } else if (rc != QS_CORRUPT) {   /* a damaged test: the record check names it */
            return rc;
        }
    }
    return 0;
}

/* Every question's topic belongs to the question's system. */
static int check_question_topic(checker *c, uint32_t id)
{
    qs_question q;
    qs_taxon topic;
    qs_check_report *r = &c->r[LINK_QUESTION_TOPIC];
    if (eng_question_head(c->txn, id, &q) != 0 || !q.topic)
        return 0;   /* (a damaged question: the record check reports it) */
    r->checked++;
    int rc = eng_taxon_get(c->txn, QS_TOPIC, q.topic, &topic);
    if (rc == QS_NOTFOUND)
        eng_report_finding(r, "question %u: topic %u is not stored (primary record: put "
                              "the question with its topic)", q.id, q.topic);
    else if (rc == 0 && topic.parent != q.system)
        eng_report_finding(r, "question %u: topic %u belongs to system %u, not %u", q.id,
                           q.topic, topic.parent, q.system);
    else if (rc && rc != QS_CORRUPT)
        return rc;
    return 0;
}

static int check_question_topics(checker *c)
{
    return each_id(c, ENG_QUESTION, check_question_topic);
}

/* ------------------------------------------------------------------ the check */

/* A slot for every question of the bank, at most half the table full. */
static int question_slot_take(checker *c, uint32_t id)
{
    question_slot *slot = question_find(c, id);
    slot->question = id;
    slot->used = 1;
    return 0;
}

static int question_totals_make(checker *c)
{
    uint64_t questions;
    int rc = eng_db_entries(c->txn, ENG_QUESTION, &questions);
    if (rc)
        return rc;
    for (c->slots = 16; c->slots < 2 * questions; c->slots *= 2)
        ;
    if (!(c->questions = calloc(c->slots, sizeof *c->questions)))
        return no_memory();
    return each_id(c, ENG_QUESTION, question_slot_take);
}

/* A user's answers, in time order as gathered, then sorted as each part needs. */
static int check_user(checker *c, uint32_t user)
{
    int rc = check_runs(c, user);
    if (!rc)
        rc = gather_rows(c->txn, ENG_T_ANSWER, user, &c->u.answers, keep_answer);
    if (!rc && c->answers_kept)
        rc = check_user_answers(c, user);
    if (!rc)
        rc = check_user_tests(c, c->u.answers.p, c->u.answers.n);
    if (!rc && c->interactions_kept)
        rc = check_user_events(c, user);
    return rc;
}

/* Whether every bucket of @p table is still there to recompute from; else a note. */
static int recomputable(qs_txn *txn, eng_table table, qs_check_report *r, int *kept)
{
    int64_t end;
    int rc = eng_expired_end(txn, table, &end);
    *kept = !rc && end == QS_TIME_MIN;
    if (!rc && !*kept)
        snprintf(r->first_finding, sizeof r->first_finding,
                 "not recomputed: retention dropped the %s before %lld",
                 table == ENG_T_ANSWER ? "answers" : "interactions", (long long)end);
    return rc;
}

int idx_check_aggregates(qs_txn *txn, qs_check_report *rows, size_t cap, size_t *n)
{
    qs_check_report r[ROW_COUNT];
    checker c = {.txn = txn, .r = r, .u = {{.size = sizeof(eng_answer)},
                                           {.size = sizeof(qs_interaction_day)},
                                           {.size = sizeof(run)}}};
    for (int i = 0; i < ROW_COUNT; i++)
        eng_report_init(&r[i], row_names[i]);
    int rc = recomputable(txn, ENG_T_INTERACTION, &r[AGG_IDAILY], &c.interactions_kept);
    for (int i = 0; !rc && i < AGG_IDAILY; i++)
        rc = recomputable(txn, ENG_T_ANSWER, &r[i], &c.answers_kept);
    if (!rc && c.answers_kept)
        rc = question_totals_make(&c);
    if (!rc && c.interactions_kept)
        rc = events_count(&c);
    if (!rc)
        rc = each_id(&c, ENG_USER, check_user);
    if (!rc && c.answers_kept)
        rc = check_question_stats(&c);
    if (!rc)
        rc = check_question_topics(&c);
    free(c.questions);
    free(c.u.answers.p);
    free(c.u.events.p);
    free(c.event_counts.p);
    free(c.u.runs.p);
    for (size_t i = 0; i < ROW_COUNT && i < cap; i++)
        rows[i] = r[i];
    *n = ROW_COUNT;
    return rc;
}

/* ------------------------------------------------------------------ repair */

/* The review marks, to put back after the user-question rows are recomputed. */
typedef struct mark {
    uint32_t user, question;
    uint8_t marked;
} mark;

static int save_mark(const eng_val *k, const eng_val *v, void *ctx)
{
    qs_user_question s;
    mark *m;
    if (k->size != ENG_UQ_KEY)
        return 0;
    uint32_t user = eng_get32(k->data), question = eng_get32((const uint8_t *)k->data + 4);
    eng_key key;
    eng_rbuf r;
    ek_reset(&key);
    ek_bytes(&key, k->data, ENG_UQ_KEY);
    if (eng_rec_open(&key, v->data, v->size, &r))
        return 0;   /* a damaged row's mark is lost; its attempts are recomputed */
    s.attempts = rb_u32(&r);
    s.last_correct = rb_u8(&r);
    s.marked = rb_u8(&r);
    rb_time(&r);
    if (!rb_done(&r))
        return 0;
    if (!(m = vec_push(ctx)))
        return no_memory();
    *m = (mark){user, question, s.marked};
    return 0;
}


static int restore_marks(qs_txn *txn, const vec *marks)
{
    const mark *m = marks->p;
    for (size_t i = 0; i < marks->n; i++) {
        qs_user_question s;
        int rc = eng_uq_get(txn, m[i].user, m[i].question, &s);
        if (rc && rc != QS_NOTFOUND)
            return rc;
        if (rc == 0 && s.marked == m[i].marked)
            continue;
        if (rc == QS_NOTFOUND && !m[i].marked)
            continue;
        s.marked = m[i].marked;
        if ((rc = eng_uq_put(txn, m[i].user, m[i].question, &s)) != 0)
            return rc;
    }
    return 0;
}

static int replay_answer(const eng_row *row, void *ctx)
{
    return idx_apply_answer(ctx, &row->a);
}

static int replay_event(const eng_row *row, void *ctx)
{
    return eng_idaily_add(ctx, row->i.user, eng_day(row->i.created_at), row->i.action, 1);
}

/* Every row of @p table, bucket by bucket in time order, to @p fn. */
static int replay(qs_txn *txn, eng_table table, eng_row_fn fn)
{
    return eng_table_each(txn, table, QS_TIME_MIN, QS_TIME_MAX, NULL, fn, txn);
}

/* The answer aggregates from nothing: emptied, the indexes rebuilt on them, then
 * every answer applied in time order; review marks put back. Time order matters
 * within a user only, and buckets come in time order. */
static int recompute_answer_aggregates(qs_txn *txn)
{
    static const eng_db derived[] = {ENG_QSTAT, ENG_USUM, ENG_UDAILY, ENG_PROGRESS, ENG_UQ};
    vec marks = {.size = sizeof(mark)};
    int rc = eng_each_entry(txn, ENG_UQ, save_mark, &marks);
    for (size_t i = 0; !rc && i < sizeof derived / sizeof derived[0]; i++)
        rc = eng_db_empty(txn, derived[i]);
    if (!rc)
        rc = idx_rebuild(txn);
    if (!rc)
        rc = replay(txn, ENG_T_ANSWER, replay_answer);
    if (!rc)
        rc = restore_marks(txn, &marks);
    free(marks.p);
    return rc;
}

static int put_run_end(qs_txn *txn, uint32_t user, int32_t day, eng_daily d, int32_t other)
{
    if (d.has_other_end && d.other_end == other)
        return 0;
    d.has_other_end = 1;
    d.other_end = other;
    return eng_daily_put(txn, user, day, &d);
}

/* The run ends of @p user's daily rows written from the rows themselves. Rows that do
 * not decode are left as they are: with the answers dropped, nothing can replace
 * them. */
static int repair_runs(checker *c, uint32_t user)
{
    vec *runs = &c->u.runs;
    int rc = user_runs(c->txn, user, runs);
    if (rc)
        return rc == QS_CORRUPT ? 0 : rc;
    for (size_t i = 0; !rc && i < runs->n; i++) {
        const run *r = &((const run *)runs->p)[i];
        rc = put_run_end(c->txn, user, r->first, r->first_row, r->last);
        if (!rc && r->last != r->first)
            rc = put_run_end(c->txn, user, r->last, r->last_row, r->first);
    }
    return rc;
}

/* Without the answers, the daily rows stay; their run ends are rebuilt from them. */
static int rebuild_runs(qs_txn *txn)
{
    checker c = {.txn = txn, .u = {.runs = {.size = sizeof(run)}}};
    int rc = each_id(&c, ENG_USER, repair_runs);
    free(c.u.runs.p);
    return rc;
}

int idx_repair_aggregates(qs_txn *txn)
{
    int answers_kept, events_kept, rc;
    qs_check_report note;
    if ((rc = recomputable(txn, ENG_T_ANSWER, &note, &answers_kept)) != 0 ||
        (rc = recomputable(txn, ENG_T_INTERACTION, &note, &events_kept)) != 0)
        return rc;
    if (answers_kept)
        rc = recompute_answer_aggregates(txn);
    else if ((rc = idx_rebuild(txn)) == 0)
        rc = rebuild_runs(txn);
    if (!rc && events_kept && (rc = eng_db_empty(txn, ENG_IDAILY)) == 0)
        rc = replay(txn, ENG_T_INTERACTION, replay_event);
    return rc ? eng_txn_failed(txn, rc) : 0;
}
