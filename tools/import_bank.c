/* import_bank.c: rows of subjects, systems, topics and questions.
 *
 * Identity is the external id (`id`): a new one is inserted, a known one is compared
 * with the row and rewritten only when something differs. A question's unknown
 * subject, system or topic is created, named after its external id (a topic under the
 * question's system).
 */
#include <string.h>

#include "cli.h"
#include "import.h"

static qs_kind taxon_kind(import_kind kind)
{
    return kind == K_SUBJECTS ? QS_SUBJECT : kind == K_SYSTEMS ? QS_SYSTEM : QS_TOPIC;
}

static outcome taxon_name(row *r, const char *ext_id, char *name)
{
    const row_value *v = &r->v[FLD_NAME];
    if (!v->present) {
        strcpy(name, ext_id);
        return OUT_INSERTED;
    }
    if (v->len > QS_NAME_MAX) {
        row_fail(r, "name is longer than %d bytes", QS_NAME_MAX);
        return OUT_REJECTED;
    }
    memcpy(name, v->s, v->len + 1);
    return OUT_INSERTED;
}

outcome apply_taxon(import_kind kind, apply_ctx *ac)
{
    qs_kind qk = taxon_kind(kind);
    row *r = ac->row;
    qs_taxon t = {.size = sizeof t};
    memset(&t, 0, sizeof t);
    if (row_ext_id(r, FLD_ID, t.ext_id) != 0)
        return OUT_REJECTED;
    outcome o = taxon_name(r, t.ext_id, t.name);
    if (FAILED(o))
        return o;
    if (qk == QS_TOPIC && FAILED(o = ref_taxon(ac, FLD_SYSTEM, QS_SYSTEM, 0, &t.parent)))
        return o;

    uint64_t found = 0;
    int rc = qs_resolve(ac->txn, qk, t.ext_id, &found);
    if (rc == 0) {
        qs_taxon cur = {.size = sizeof cur};
        if ((rc = qs_taxon_get(ac->txn, qk, (uint32_t)found, &cur)) != 0)
            return lib_failure(ac, rc, "reading %s '%s'", kind_word(qk), t.ext_id);
        if (cur.parent == t.parent && strcmp(cur.name, t.name) == 0)
            return OUT_UNCHANGED;
    } else if (rc == QS_NOTFOUND) {
        found = 0;
    } else {
        return lib_failure(ac, rc, "%s '%s'", kind_word(qk), t.ext_id);
    }
    if ((rc = qs_taxon_put(ac->txn, qk, &t, NULL)) != 0)
        return lib_failure(ac, rc, "%s '%s'", kind_word(qk), t.ext_id);
    return found ? OUT_UPDATED : OUT_INSERTED;
}

/* ---- questions ------------------------------------------------------------------- */

/* The topic of a question: created under the question's system when unknown; with no
 * system given, a known topic brings its own. */
static outcome question_topic(apply_ctx *ac, qs_question *q)
{
    row *r = ac->row;
    if (!r->v[FLD_TOPIC].present)
        return OUT_UNCHANGED;
    if (q->system)
        return ref_taxon(ac, FLD_TOPIC, QS_TOPIC, q->system, &q->topic);
    char ext[QS_EXT_ID_MAX + 1];
    if (row_ext_id(r, FLD_TOPIC, ext) != 0)
        return OUT_REJECTED;
    uint64_t found;
    int rc = qs_resolve(ac->txn, QS_TOPIC, ext, &found);
    if (rc == QS_NOTFOUND) {
        row_fail(r, "topic '%s' is unknown and the row names no system to create it under", ext);
        return OUT_REJECTED;
    }
    if (rc != 0)
        return lib_failure(ac, rc, "topic '%s'", ext);
    qs_taxon t = {.size = sizeof t};
    if ((rc = qs_taxon_get(ac->txn, QS_TOPIC, (uint32_t)found, &t)) != 0)
        return lib_failure(ac, rc, "reading topic '%s'", ext);
    q->topic = (uint32_t)found;
    q->system = t.parent;
    return OUT_UNCHANGED;
}

static qs_text text_of(const row_value *v)
{
    qs_text t = {v->present ? v->s : "", v->present ? v->len : 0};
    return t;
}

/* Options from a JSON array `options`, or from option0..option7 without gaps. */
static outcome question_options(row *r, qs_question *q, qs_text *options)
{
    const row_value *all = &r->v[FLD_OPTIONS];
    int last = -1;
    for (int i = 0; i < QS_MAX_OPTIONS; i++)
        if (r->v[FLD_OPTION0 + i].present)
            last = i;
    if (all->present) {
        if (!all->items)
            row_fail(r, "options: expected a JSON array of strings (CSV uses option0..option7)");
        else if (last >= 0)
            row_fail(r, "give either options or option0..option7, not both");
        else if (all->n_items > QS_MAX_OPTIONS)
            row_fail(r, "options: %zu options, at most %d", all->n_items, QS_MAX_OPTIONS);
        else {
            for (size_t i = 0; i < all->n_items; i++)
                options[i] = (qs_text){all->items[i].s, all->items[i].len};
            q->n_options = (uint8_t)all->n_items;
            q->options = options;
            return OUT_INSERTED;
        }
        return OUT_REJECTED;
    }
    for (int i = 0; i <= last; i++) {
        if (!r->v[FLD_OPTION0 + i].present) {
            row_fail(r, "option%d is empty but option%d is not", i, last);
            return OUT_REJECTED;
        }
        options[i] = text_of(&r->v[FLD_OPTION0 + i]);
    }
    q->n_options = (uint8_t)(last + 1);
    q->options = options;
    return OUT_INSERTED;
}

static outcome question_scalars(row *r, qs_question *q)
{
    int64_t difficulty, type;
    int active, correct;
    if (row_int(r, FLD_DIFFICULTY, 1, 3, 0, &difficulty) < 0 ||
        row_int(r, FLD_TYPE, 0, 255, 0, &type) < 0 || row_bool(r, FLD_ACTIVE, 1, &active) < 0 ||
        row_time(r, FLD_CREATED_AT, 0, &q->created_at) < 0 ||
        row_option(r, FLD_CORRECT_OPTION, 0, &correct) < 0)
        return OUT_REJECTED;
    q->difficulty = (uint8_t)difficulty;
    q->type = (uint8_t)type;
    q->active = (uint8_t)active;
    q->correct_option = (uint8_t)correct;
    return OUT_INSERTED;
}

static int same_text(qs_text a, qs_text b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static int same_question(const qs_question *a, const qs_question *b)
{
    if (a->subject != b->subject || a->system != b->system || a->topic != b->topic ||
        a->difficulty != b->difficulty || a->type != b->type || a->active != b->active ||
        a->correct_option != b->correct_option || a->n_options != b->n_options ||
        a->created_at != b->created_at || !same_text(a->stem, b->stem) ||
        !same_text(a->explanation, b->explanation))
        return 0;
    for (int i = 0; i < a->n_options; i++)
        if (!same_text(a->options[i], b->options[i]))
            return 0;
    return 1;
}

outcome apply_question(apply_ctx *ac)
{
    row *r = ac->row;
    qs_question q = {.size = sizeof q};
    qs_text options[QS_MAX_OPTIONS];
    if (row_ext_id(r, FLD_ID, q.ext_id) != 0)
        return OUT_REJECTED;
    outcome o;
    if (FAILED(o = question_scalars(r, &q)) || FAILED(o = question_options(r, &q, options)))
        return o;
    if (q.n_options && q.correct_option >= q.n_options) {
        row_fail(r, "correct_option %u is beyond the %u options", q.correct_option, q.n_options);
        return OUT_REJECTED;
    }
    q.stem = text_of(&r->v[FLD_STEM]);
    q.explanation = text_of(&r->v[FLD_EXPLANATION]);
    if (FAILED(o = ref_taxon(ac, FLD_SUBJECT, QS_SUBJECT, 0, &q.subject)) ||
        FAILED(o = ref_taxon(ac, FLD_SYSTEM, QS_SYSTEM, 0, &q.system)) ||
        FAILED(o = question_topic(ac, &q)))
        return o;

    uint64_t found = 0;
    int rc = qs_resolve(ac->txn, QS_QUESTION, q.ext_id, &found);
    if (rc == 0) {
        qs_question cur = {.size = sizeof cur};
        if ((rc = qs_question_get(ac->txn, (uint32_t)found, &cur)) != 0)
            return lib_failure(ac, rc, "reading question '%s'", q.ext_id);
        if (same_question(&q, &cur))
            return OUT_UNCHANGED;
    } else if (rc == QS_NOTFOUND) {
        found = 0;
    } else {
        return lib_failure(ac, rc, "question '%s'", q.ext_id);
    }
    if ((rc = qs_question_put(ac->txn, &q, NULL)) != 0)
        return lib_failure(ac, rc, "question '%s'", q.ext_id);
    return found ? OUT_UPDATED : OUT_INSERTED;
}
