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
 *
 * Here the check itself; one user's aggregates in check_user.c, the links in
 * check_links.c, the walks it shares with the repair in check_walk.c, the repair in
 * repair.c (check.h).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

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

/* ------------------------------------------------------------------ runs of days */

static void check_run_end(checker *c, uint32_t user, int32_t day, const eng_daily *d,
                          const day_run *r)
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
    int rc = idx_user_runs(c->txn, user, runs);
    if (rc)
        return rc == QS_CORRUPT ? 0 : rc;   /* the record check names the row */
    for (size_t i = 0; i < runs->n; i++) {
        const day_run *r = &((const day_run *)runs->p)[i];
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
    question_slot *slot = idx_question_find(c, q);
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

static int check_question_stats(checker *c)
{
    int rc = idx_each_id(c, ENG_QSTAT, compare_stats);
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

/* ------------------------------------------------------------------ the check */

/* A slot for every question of the bank, at most half the table full. */
static int question_slot_take(checker *c, uint32_t id)
{
    question_slot *slot = idx_question_find(c, id);
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
    return idx_each_id(c, ENG_QUESTION, question_slot_take);
}

/* A user's answers, in time order as gathered, then sorted as each part needs. */
static int check_user(checker *c, uint32_t user)
{
    int rc = check_runs(c, user);
    if (!rc)
        rc = gather_rows(c->txn, ENG_T_ANSWER, user, &c->u.answers, keep_answer);
    if (!rc && c->answers_kept)
        rc = idx_check_user_answers(c, user);
    if (!rc)
        rc = idx_check_user_tests(c, c->u.answers.p, c->u.answers.n);
    if (!rc && c->interactions_kept)
        rc = idx_check_user_events(c, user);
    return rc;
}

/* Whether every bucket of @p table is still there to recompute from; else a note. */
int idx_recomputable(qs_txn *txn, eng_table table, qs_check_report *r, int *kept)
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
                                           {.size = sizeof(day_run)}}};
    for (int i = 0; i < ROW_COUNT; i++)
        eng_report_init(&r[i], idx_check_row_names[i]);
    int rc = idx_recomputable(txn, ENG_T_INTERACTION, &r[AGG_IDAILY], &c.interactions_kept);
    for (int i = 0; !rc && i < AGG_IDAILY; i++)
        rc = idx_recomputable(txn, ENG_T_ANSWER, &r[i], &c.answers_kept);
    if (!rc && c.answers_kept)
        rc = question_totals_make(&c);
    if (!rc && c.interactions_kept)
        rc = events_count(&c);
    if (!rc)
        rc = idx_each_id(&c, ENG_USER, check_user);
    if (!rc && c.answers_kept)
        rc = check_question_stats(&c);
    if (!rc)
        rc = idx_check_question_topics(&c);
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
