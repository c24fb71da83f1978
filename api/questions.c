/* questions.c: the taxonomy and the questions put and got, through one write path for
 * questions that keeps their indexes and pools in step; a topic moved to another
 * system carries its questions, and qs_repair() carries them where older versions
 * left them behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* ------------------------------------------------------------------ question writes */

/* Write question @p q and move every index and pool from its @p old view (NULL for
 * a new question): the path of every question put. */
static int store_question(qs_txn *txn, const eng_question *q, const idx_question *old)
{
    idx_question now;
    memset(&now, 0, sizeof now);
    if (old)
        now = *old;   /* the band stays: it moves with answers */
    now.head = *q;
    int rc = eng_question_put(txn, q, 0);
    return rc ? rc : idx_question_changed(txn, old, &now);
}

/* Put question @p id again in @p system, its subject, topic and texts unchanged: a
 * topic's move carries it. Past answers keep the topic they were given under. */
static int question_move(qs_txn *txn, uint32_t id, uint32_t system)
{
    idx_question old;
    eng_question q;
    int rc = idx_question_load(txn, id, &old);
    if (!rc)
        rc = eng_question_get(txn, id, &q);
    if (rc)
        return rc == QS_NOTFOUND ? eng_fail(QS_CORRUPT, "question %u is indexed but missing", id)
                                 : rc;
    q.system = system;
    return store_question(txn, &q, &old);
}

/* ------------------------------------------------------------------ taxonomy */

static int check_taxon(qs_txn *txn, qs_kind kind, const qs_taxon *t)
{
    if (kind < QS_SUBJECT || kind > QS_TOPIC)
        return eng_fail(QS_INVALID, "taxonomy kind %d is not subject, system or topic", kind);
    size_t name_len = strnlen(t->name, QS_NAME_MAX + 1);
    char field[16];
    if (name_len == 0 || name_len > QS_NAME_MAX)
        return eng_fail(QS_INVALID, "%s name is empty or longer than %d bytes", api_kind_name(kind),
                        QS_NAME_MAX);
    snprintf(field, sizeof field, "%s name", api_kind_name(kind));
    int rc = api_check_utf8(t->name, name_len, field);
    if (!rc)
        rc = api_check_ext(t->ext_id, api_kind_name(kind));
    if (rc)
        return rc;
    if (kind != QS_TOPIC)
        return t->parent ? eng_fail(QS_INVALID, "only a topic has a parent") : 0;
    if (!t->parent)
        return eng_fail(QS_INVALID, "topic '%s' has no system", t->name);
    qs_taxon sys;
    rc = eng_taxon_get(txn, QS_SYSTEM, t->parent, &sys);
    return rc == QS_NOTFOUND ? api_missing("system", t->parent) : rc;
}

static int taxon_put(qs_txn *txn, qs_kind kind, const qs_taxon *t, uint32_t *id)
{
    static const eng_counter counters[] = {0, ENG_NEXT_SUBJECT, ENG_NEXT_SYSTEM, ENG_NEXT_TOPIC};
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!t)
        return eng_fail(QS_INVALID, "qs_taxon_put: taxon is NULL");
    qs_taxon given;
    if ((rc = eng_sized_in(t, sizeof given, &given, "qs_taxon")) != 0)
        return rc;
    t = &given;
    if ((rc = check_taxon(txn, kind, t)) != 0)
        return rc;
    identity who;
    qs_taxon old, next = *t;
    if ((rc = api_resolve_identity(txn, kind, t->id, t->ext_id, counters[kind], UINT32_MAX, &who)))
        return rc;
    next.id = (uint32_t)who.id;
    rc = eng_taxon_get(txn, kind, next.id, &old);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    if ((rc = api_merge_ext(old.ext_id, t->ext_id, next.ext_id, kind, who.id)) != 0)
        return rc;
    if (id)
        *id = next.id;
    if (memcmp(&old, &next, sizeof old) == 0)
        return 0;
    uint32_t *carried = NULL;   /* a moved topic's questions */
    size_t n_carried = 0;
    if (kind == QS_TOPIC && old.parent && old.parent != next.parent &&
        (rc = idx_topic_questions(txn, old.parent, next.id, &carried, &n_carried)) != 0)
        return rc;
    if ((rc = eng_taxon_put(txn, kind, &next)) == 0)
        rc = api_finish_ext(txn, kind, &who, next.ext_id);
    for (size_t i = 0; i < n_carried && !rc; i++)
        rc = question_move(txn, carried[i], next.parent);
    free(carried);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int qs_taxon_put(qs_txn *txn, qs_kind kind, const qs_taxon *t, uint32_t *id)
{
    ENG_GUARDED(txn, taxon_put(txn, kind, t, id));
}

static int taxon_get(qs_txn *txn, qs_kind kind, uint32_t id, qs_taxon *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out || kind < QS_SUBJECT || kind > QS_TOPIC)
        return eng_fail(QS_INVALID, "qs_taxon_get: bad kind or NULL output");
    qs_taxon got;
    rc = eng_taxon_get(txn, kind, id, &got);
    if (rc == QS_NOTFOUND)
        return api_missing(api_kind_name(kind), id);
    return rc ? rc : eng_sized_out(out, &got, sizeof got, "qs_taxon");
}

int qs_taxon_get(qs_txn *txn, qs_kind kind, uint32_t id, qs_taxon *out)
{
    ENG_GUARDED(txn, taxon_get(txn, kind, id, out));
}

/* ------------------------------------------------------------------ questions */

/* @p what names the text ("stem", "option 2"). */
static int check_text(qs_text t, const char *what)
{
    char field[32];
    if (t.len > QS_TEXT_MAX)
        return eng_fail(QS_TOO_LARGE, "question %s of %zu bytes is over %d", what, t.len,
                        QS_TEXT_MAX);
    if (t.len && !t.ptr)
        return eng_fail(QS_INVALID, "question %s has a length but no text", what);
    snprintf(field, sizeof field, "question %s", what);
    return api_check_utf8(t.ptr, t.len, field);
}

static int check_taxon_ref(qs_txn *txn, qs_kind kind, uint32_t id, qs_taxon *out)
{
    memset(out, 0, sizeof *out);
    if (!id)
        return 0;
    int rc = eng_taxon_get(txn, kind, id, out);
    return rc == QS_NOTFOUND ? api_missing(api_kind_name(kind), id) : rc;
}

/* A question names @p topic with @p system (zeroed for none), not the topic's. */
static int topic_elsewhere(qs_txn *txn, const qs_taxon *topic, const qs_taxon *system)
{
    qs_taxon parent;
    label t, in, given;
    if (eng_taxon_get(txn, QS_SYSTEM, topic->parent, &parent) != 0)
        parent.ext_id[0] = '\0';
    return eng_fail(QS_INVALID, "%s belongs to %s, not %s",
                    api_label_of(&t, QS_TOPIC, topic->id, topic->ext_id),
                    api_label_of(&in, QS_SYSTEM, topic->parent, parent.ext_id),
                    api_label_of(&given, QS_SYSTEM, system->id, system->ext_id));
}

static int check_question(qs_txn *txn, const eng_question *q)
{
    if (q->difficulty < 1 || q->difficulty > 3)
        return eng_fail(QS_INVALID, "difficulty %u is outside 1..3", q->difficulty);
    if (q->active > 1)
        return eng_fail(QS_INVALID, "active must be 0 or 1");
    if (q->n_options > QS_MAX_OPTIONS)
        return eng_fail(QS_INVALID, "%u options is over %d", q->n_options, QS_MAX_OPTIONS);
    unsigned limit = q->n_options ? q->n_options : QS_MAX_OPTIONS;
    if (q->correct_option >= limit)
        return eng_fail(QS_INVALID, "correct option %u is beyond the %u options",
                        q->correct_option, limit);
    int rc = api_check_ext(q->ext_id, "question");
    if (!rc) rc = check_text(q->stem, "stem");
    if (!rc) rc = check_text(q->explanation, "explanation");
    for (unsigned i = 0; i < q->n_options && !rc; i++) {
        char option[16];
        snprintf(option, sizeof option, "option %u", i);
        rc = check_text(q->options[i], option);
    }
    if (rc)
        return rc;
    qs_taxon subject, system, topic;
    if ((rc = check_taxon_ref(txn, QS_SUBJECT, q->subject, &subject)) ||
        (rc = check_taxon_ref(txn, QS_SYSTEM, q->system, &system)) ||
        (rc = check_taxon_ref(txn, QS_TOPIC, q->topic, &topic)))
        return rc;
    if (q->topic && topic.parent != q->system)
        return topic_elsewhere(txn, &topic, &system);
    return 0;
}

/* The library's form of the application's question @p given. */
static int question_in(const qs_question *given, eng_question *q)
{
    qs_question in;
    int rc = eng_sized_in(given, sizeof in, &in, "qs_question");
    if (rc)
        return rc;
    if (in.n_options > QS_MAX_OPTIONS)
        return eng_fail(QS_INVALID, "%u options is over %d", in.n_options, QS_MAX_OPTIONS);
    if (in.n_options && !in.options)
        return eng_fail(QS_INVALID, "question has %u options but no options array",
                        in.n_options);
    memset(q, 0, sizeof *q);
    q->id = in.id;
    q->subject = in.subject;
    q->system = in.system;
    q->topic = in.topic;
    q->difficulty = in.difficulty;
    q->type = in.type;
    q->active = in.active;
    q->correct_option = in.correct_option;
    q->n_options = in.n_options;
    q->created_at = in.created_at;
    q->stem = in.stem;
    q->explanation = in.explanation;
    memcpy(q->ext_id, in.ext_id, sizeof q->ext_id);
    if (in.n_options)
        memcpy(q->options, in.options, in.n_options * sizeof *in.options);
    return 0;
}

/* The application's form of question @p q into @p out; its options are held in the
 * transaction's scratch, as its texts are. */
static int question_out(qs_txn *txn, const eng_question *q, qs_question *out)
{
    qs_text *options = eng_scratch(txn, ENG_SCRATCH_OPTIONS, sizeof q->options);
    if (!options)
        return ENOMEM;
    memcpy(options, q->options, sizeof q->options);
    qs_question full = {.id = q->id, .subject = q->subject, .system = q->system,
                        .topic = q->topic, .difficulty = q->difficulty, .type = q->type,
                        .active = q->active, .correct_option = q->correct_option,
                        .n_options = q->n_options, .created_at = q->created_at,
                        .stem = q->stem, .explanation = q->explanation,
                        .options = q->n_options ? options : NULL};
    memcpy(full.ext_id, q->ext_id, sizeof full.ext_id);
    return eng_sized_out(out, &full, sizeof full, "qs_question");
}

static int question_put(qs_txn *txn, const qs_question *given, uint32_t *id)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!given)
        return eng_fail(QS_INVALID, "qs_question_put: question is NULL");
    eng_question put;
    const eng_question *q = &put;
    if ((rc = question_in(given, &put)) != 0 || (rc = check_question(txn, q)) != 0)
        return rc;
    identity who;
    idx_question old;
    eng_question next = *q;
    if ((rc = api_resolve_identity(txn, QS_QUESTION, q->id, q->ext_id, ENG_NEXT_QUESTION,
                                   UINT32_MAX, &who)))
        return rc;
    next.id = (uint32_t)who.id;
    int found = idx_question_load(txn, next.id, &old);
    if (found && found != QS_NOTFOUND)
        return found;
    if ((rc = api_merge_ext(old.head.ext_id, q->ext_id, next.ext_id, QS_QUESTION, who.id)) != 0)
        return rc;
    if (id)
        *id = next.id;
    if (found == 0 && eng_question_same(txn, &next))
        return 0;
    if ((rc = store_question(txn, &next, found == 0 ? &old : NULL)) == 0)
        rc = api_finish_ext(txn, QS_QUESTION, &who, next.ext_id);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int qs_question_put(qs_txn *txn, const qs_question *q, uint32_t *id)
{
    ENG_GUARDED(txn, question_put(txn, q, id));
}

static int question_get(qs_txn *txn, uint32_t id, qs_question *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_question_get: output is NULL");
    eng_question got;
    rc = eng_question_get(txn, id, &got);
    if (rc == QS_NOTFOUND)
        return api_missing("question", id);
    return rc ? rc : question_out(txn, &got, out);
}

int qs_question_get(qs_txn *txn, uint32_t id, qs_question *out)
{
    ENG_GUARDED(txn, question_get(txn, id, out));
}

static int bank_compress(qs_txn *txn, qs_compress_report *report)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!report)
        return eng_fail(QS_INVALID, "qs_bank_compress: report is NULL");
    if ((rc = eng_sized_fits(report, sizeof *report, "qs_compress_report")) != 0)
        return rc;
    qs_compress_report done = {0};
    rc = eng_bank_compress(txn, &done);
    return rc ? rc : eng_sized_out(report, &done, sizeof done, "qs_compress_report");
}

int qs_bank_compress(qs_txn *txn, qs_compress_report *report)
{
    ENG_GUARDED(txn, bank_compress(txn, report));
}

int api_repair_questions(qs_txn *txn)
{
    uint64_t id = 0;
    int more, rc;
    while ((rc = api_id_after(txn, ENG_QUESTION, 4, &id, &more)) == 0 && more) {
        eng_question q;
        qs_taxon topic;
        if ((rc = eng_question_head(txn, (uint32_t)id, &q)) != 0)
            break;
        rc = q.topic ? eng_taxon_get(txn, QS_TOPIC, q.topic, &topic) : QS_NOTFOUND;
        if (rc == 0 && topic.parent != q.system)
            rc = question_move(txn, q.id, topic.parent);
        if (rc && rc != QS_NOTFOUND)   /* a missing topic is primary data: check names it */
            break;
    }
    return rc && rc != QS_NOTFOUND ? eng_txn_failed(txn, rc) : 0;
}
