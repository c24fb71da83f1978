/* import_queue.c: answers and interactions queued and applied many per call
 * (qs_answer_submit_many(), qs_interaction_log_many()), their outcomes settled in
 * line order. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "import_run.h"
#include "util/grow.h"

/* The values a queued row keeps: those its outcome's message may quote (an expired
 * row's time, a conflict's test and question) and an interaction's payload. */
static const field_id kept_fields[] = {FLD_CREATED_AT, FLD_TEST, FLD_QUESTION, FLD_PAYLOAD};
_Static_assert(sizeof kept_fields / sizeof kept_fields[0] == N_KEPT, "N_KEPT counts them");

int rows_queued(const import_run *run)
{
    return (run->kind == K_ANSWERS || run->kind == K_INTERACTIONS) && !run->row_by_row;
}

#define TEXT_BLOCK (16u << 20)
#define QUEUE_MAX (1u << 20)   /* rows a queue holds before they are applied, whatever --batch */

void queue_free(row_queue *q)
{
    free(q->rows);
    free(q->answers);
    free(q->ix);
    free(q->rcs);
    for (size_t i = 0; i < q->text.n; i++)
        free(q->text.block[i].p);
    free(q->text.block);
    memset(q, 0, sizeof *q);
}

/* @p len bytes of the queue's text, or NULL. */
static char *text_take(text_blocks *t, size_t len)
{
    while (t->cur < t->n && t->used + len > t->block[t->cur].size) {
        t->cur++;
        t->used = 0;
    }
    if (t->cur == t->n) {
        size_t size = len > TEXT_BLOCK ? len : TEXT_BLOCK;
        char *p;
        if (ut_grow((void **)&t->block, &t->cap, t->n + 1, sizeof *t->block) != 0 ||
            !(p = malloc(size)))
            return NULL;
        t->block[t->n++] = (struct text_block){p, size};
    }
    char *p = t->block[t->cur].p + t->used;
    t->used += len;
    return p;
}

/* Room for one more row of @p kind. 0, or -1 out of memory. */
static int queue_room(row_queue *q, import_kind kind)
{
    size_t need = q->n + 1;
    int rc = ut_grow((void **)&q->rows, &q->rows_cap, need, sizeof *q->rows) ||
             ut_grow((void **)&q->rcs, &q->rcs_cap, need, sizeof *q->rcs);
    if (kind == K_ANSWERS)
        return rc || ut_grow((void **)&q->answers, &q->answers_cap, need,
                             sizeof *q->answers) ? -1 : 0;
    return rc || ut_grow((void **)&q->ix, &q->ix_cap, need, sizeof *q->ix) ? -1 : 0;
}

/* @p len bytes of @p s and a NUL at *t, which moves past them: their copy. */
static const char *copy_text(char **t, const char *s, size_t len)
{
    char *copy = *t;
    memcpy(copy, s, len);
    copy[len] = '\0';
    *t += len + 1;
    return copy;
}

/* Copies of the current row's record and kept values in the queue's text; an
 * interaction's payload (in @p item) pointed at its copy. */
static int queue_copy(import_run *run, queued_row *r, void *item)
{
    const row_value *values = run->row.v;
    size_t len = run->rec.raw_len + 1;
    for (size_t i = 0; i < N_KEPT; i++)
        len += values[kept_fields[i]].len + 1;
    char *t = text_take(&run->queue.text, len);
    if (!t)
        return -1;
    r->raw = copy_text(&t, run->rec.raw, run->rec.raw_len);
    for (size_t i = 0; i < N_KEPT; i++) {
        const row_value *v = &values[kept_fields[i]];
        r->kept[i] = v->present ? copy_text(&t, v->s, v->len) : NULL;
        r->kept_len[i] = (uint32_t)v->len;
        if (kept_fields[i] == FLD_PAYLOAD && run->kind == K_INTERACTIONS)
            ((qs_interaction *)item)->payload = v->len ? r->kept[i] : NULL;
    }
    return 0;
}

/* The current row's answer or interaction @p item, queued with copies of its record
 * and values. */
static int queue_add(import_run *run, void *item)
{
    row_queue *q = &run->queue;
    queued_row r = {.line = run->rec.line, .raw_len = run->rec.raw_len};
    if (queue_room(q, run->kind) != 0 || queue_copy(run, &r, item) != 0) {
        msg("%s:%ld: out of memory", run->where, run->rec.line);
        return -1;
    }
    q->rows[q->n] = r;
    if (run->kind == K_ANSWERS)
        q->answers[q->n++] = *(const qs_answer *)item;
    else
        q->ix[q->n++] = *(const qs_interaction *)item;
    return q->n < QUEUE_MAX ? 0 : queue_flush(run);
}

/* run->queued holding the kept values of queued row @p r, for its messages. */
static void restore_fields(import_run *run, const queued_row *r)
{
    for (size_t i = 0; i < N_KEPT; i++)
        run->queued.v[kept_fields[i]] =
            (row_value){r->kept[i] ? r->kept[i] : "", r->kept_len[i], r->kept[i] != NULL,
                        NULL, 0};
}

/* The queued rows applied in one call. Returns 0 or the library's code. */
static int queue_call(import_run *run)
{
    row_queue *q = &run->queue;
    if (run->kind == K_ANSWERS)
        return qs_answer_submit_many(run->txn, q->answers, q->n, q->rcs, NULL);
    return qs_interaction_log_many(run->txn, q->ix, q->n, q->rcs, NULL);
}

int queue_flush(import_run *run)
{
    row_queue *q = &run->queue;
    if (!q->n)
        return 0;
    int rc = queue_call(run);
    if (rc != 0) {
        fatal_rc(run, q->rows[0].line, run->kind == K_ANSWERS ? "submitting answers"
                                                              : "logging interactions", rc);
        return -1;
    }
    apply_ctx ac = row_ctx(run, &run->queued);
    int failed = 0;
    for (size_t i = 0; i < q->n && !failed; i++) {
        const queued_row *r = &q->rows[i];
        restore_fields(run, r);
        outcome o = run->kind == K_ANSWERS ? answer_submitted(&ac, &q->answers[i], q->rcs[i])
                                           : interaction_logged(&ac, q->rcs[i]);
        failed = settle(run, o, &ac, (line_ref){r->line, r->raw, r->raw_len}) != 0;
    }
    q->n = q->text.cur = q->text.used = 0;
    return failed ? -1 : 0;
}

int queue_or_apply(import_run *run)
{
    apply_ctx ac = row_ctx(run, &run->row);
    union {
        qs_answer a;
        qs_interaction ix;
    } item;
    int new_user, new_test = 0;
    outcome o = run->kind == K_ANSWERS ? answer_of_row(&ac, &item.a, &new_user, &new_test)
                                       : interaction_of_row(&ac, &item.ix, &new_user);
    if (!FAILED(o) && new_test) {
        /* the answer is checked, its test (and user) created: then it waits its turn */
        if ((o = answer_test_create(&ac, &item.a, new_user)) == OUT_INSERTED) {
            count_created(run, &ac);
            return queue_add(run, &item);
        }
    } else if (!FAILED(o) && !new_user) {
        return queue_add(run, &item);
    }
    if (queue_flush(run) != 0)
        return -1;
    if (!FAILED(o) && !new_test)
        o = apply_row(run->kind, &ac);
    return settle(run, o, &ac, current_line(run));
}
