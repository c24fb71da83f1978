/* check_user.c: one user's aggregates recomputed in memory from the user's answers
 * and interactions alone, and merged against the stored rows (check.h). */
#include <string.h>

#include "check.h"

/* ------------------------------------------------------------------ comparing */

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
                       idx_check_row_names[m->agg] + 10, (long long)key, what);
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
    int rc = idx_stored_rows(c->txn, db, user, fn, &m);
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
question_slot *idx_question_find(checker *c, uint32_t question)
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
            *q = (uq_row){a->question, {0}};
        }
        q->s.attempts++;
        q->s.last_correct = a->correct;   /* the last in (created_at, id) order */
        q->s.last_at = a->created_at;
        question_slot *slot = idx_question_find(c, a->question);
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

int idx_check_user_answers(checker *c, uint32_t user)
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
int idx_check_user_events(checker *c, uint32_t user)
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
