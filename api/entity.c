/* entity.c: the taxonomy, questions, users and tests, with external ids.
 *
 * Every put resolves the entity's identity the same way (resolve_identity): the
 * given id, else the owner of the external id, else a new dense id. A put of
 * identical content writes nothing, so re-imports leave the store unchanged.
 *
 * What hangs on an entity moves with it or holds it in place: a topic moved to
 * another system carries its questions (through the question put's own path), and
 * a test's answers keep its user, keep their questions on its list and keep its
 * times from going back (the rules are at qs_test_put in quizstore.h). qs_repair()
 * applies the same two to a store older versions left inconsistent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* ------------------------------------------------------------------ helpers */

int api_check_ext(const char *ext, const char *what)
{
    char field[32];
    size_t len = strnlen(ext, QS_EXT_ID_MAX + 1);
    if (len > QS_EXT_ID_MAX)
        return eng_fail(QS_INVALID, "%s: external id longer than %d bytes", what,
                        QS_EXT_ID_MAX);
    snprintf(field, sizeof field, "%s external id", what);
    return api_check_utf8(ext, len, field);
}

int api_missing(const char *what, uint64_t id)
{
    return eng_fail(QS_NOTFOUND, "%s %llu not found", what, (unsigned long long)id);
}

int api_user_exists(qs_txn *txn, uint32_t user)
{
    qs_user u;
    int rc = eng_user_get(txn, user, &u);
    return rc == QS_NOTFOUND ? api_missing("user", user) : rc;
}

static const char *kind_name(qs_kind kind)
{
    static const char *const names[] = {"entity", "subject", "system", "topic",
                                        "question", "user", "test"};
    return (unsigned)kind <= QS_TEST ? names[kind] : "entity";
}

static int resolve(qs_txn *txn, qs_kind kind, const char *ext_id, uint64_t *id)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!ext_id || !id || kind < QS_SUBJECT || kind > QS_TEST || !ext_id[0] ||
        strlen(ext_id) > QS_EXT_ID_MAX)
        return eng_fail(QS_INVALID, "qs_resolve: bad kind, external id or output");
    rc = eng_xid_get(txn, kind, ext_id, id);
    if (rc == QS_NOTFOUND)
        return eng_fail(rc, "%s '%s' not found", kind_name(kind), ext_id);
    return rc;
}

int qs_resolve(qs_txn *txn, qs_kind kind, const char *ext_id, uint64_t *id)
{
    ENG_GUARDED(txn, resolve(txn, kind, ext_id, id));
}

/* A free id for a new entity of @p kind (see eng_counter_take). */
static int new_id(qs_txn *txn, qs_kind kind, eng_counter counter, uint64_t max, uint64_t *id)
{
    int rc = eng_counter_take(txn, counter, max, id);
    if (rc == 0 && *id == 0)
        return eng_fail(QS_INVALID, "no %s id left: every id up to %llu is taken",
                        kind_name(kind), (unsigned long long)max);
    return rc;
}

/* How a message names an entity: by its external id when it has one (the CLI's
 * users never see internal ids), else by its id. */
typedef struct label {
    char s[QS_EXT_ID_MAX + 32];
} label;

static const char *label_of(label *l, qs_kind kind, uint64_t id, const char *ext)
{
    if (ext[0])
        snprintf(l->s, sizeof l->s, "%s '%s'", kind_name(kind), ext);
    else
        snprintf(l->s, sizeof l->s, "%s %llu", kind_name(kind), (unsigned long long)id);
    return l->s;
}

static const char *user_label(qs_txn *txn, uint32_t id, label *l)
{
    qs_user u;
    return label_of(l, QS_USER, id, eng_user_get(txn, id, &u) == 0 ? u.ext_id : "");
}

static const char *question_label(qs_txn *txn, uint32_t id, label *l)
{
    qs_question q;
    return label_of(l, QS_QUESTION, id, eng_question_head(txn, id, &q) == 0 ? q.ext_id : "");
}

/* The identity of an entity being put. *ext_new says the external id must be
 * recorded once the put succeeds. */
typedef struct identity {
    uint64_t id;
    int ext_new;
} identity;

static int resolve_identity(qs_txn *txn, qs_kind kind, uint64_t given, const char *ext,
                            eng_counter counter, uint64_t max, identity *out)
{
    out->id = given;
    out->ext_new = 0;
    if (given > max)
        return eng_fail(QS_INVALID, "%s id %llu out of range", kind_name(kind),
                        (unsigned long long)given);
    if (ext[0]) {
        uint64_t owner;
        int rc = eng_xid_get(txn, kind, ext, &owner);
        if (rc == 0) {
            if (given && given != owner)
                return eng_fail(QS_EXISTS, "%s external id '%s' belongs to %s %llu",
                                kind_name(kind), ext, kind_name(kind),
                                (unsigned long long)owner);
            out->id = owner;
            return 0;
        }
        if (rc != QS_NOTFOUND)
            return rc;
        out->ext_new = 1;
    }
    if (out->id) {
        eng_counter_seen(txn, counter, out->id);
        return 0;
    }
    return new_id(txn, kind, counter, max, &out->id);
}

/* The external id to store: a put with none keeps the one the entity has. */
static int merge_ext(const char *old, const char *given, char *out, qs_kind kind,
                     uint64_t id)
{
    if (old[0] && given[0] && strcmp(old, given) != 0)
        return eng_fail(QS_INVALID, "%s %llu has external id '%s', not '%s'", kind_name(kind),
                        (unsigned long long)id, old, given);
    strcpy(out, given[0] ? given : old);
    return 0;
}

static int finish_ext(qs_txn *txn, qs_kind kind, const identity *who, const char *ext)
{
    return who->ext_new ? eng_xid_put(txn, kind, ext, who->id) : 0;
}

/* ------------------------------------------------------------------ question writes */

/* Write question @p q and move every index and pool from its @p old view (NULL for
 * a new question): the path of every question put. */
static int store_question(qs_txn *txn, const qs_question *q, const idx_question *old)
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
    qs_question q;
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
        return eng_fail(QS_INVALID, "%s name is empty or longer than %d bytes", kind_name(kind),
                        QS_NAME_MAX);
    snprintf(field, sizeof field, "%s name", kind_name(kind));
    int rc = api_check_utf8(t->name, name_len, field);
    if (!rc)
        rc = api_check_ext(t->ext_id, kind_name(kind));
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
    if ((rc = check_taxon(txn, kind, t)) != 0)
        return rc;
    identity who;
    qs_taxon old, next = *t;
    if ((rc = resolve_identity(txn, kind, t->id, t->ext_id, counters[kind], UINT32_MAX, &who)))
        return rc;
    next.id = (uint32_t)who.id;
    rc = eng_taxon_get(txn, kind, next.id, &old);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    if ((rc = merge_ext(old.ext_id, t->ext_id, next.ext_id, kind, who.id)) != 0)
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
        rc = finish_ext(txn, kind, &who, next.ext_id);
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
    rc = eng_taxon_get(txn, kind, id, out);
    return rc == QS_NOTFOUND ? api_missing(kind_name(kind), id) : rc;
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
    return rc == QS_NOTFOUND ? api_missing(kind_name(kind), id) : rc;
}

/* A question names @p topic with @p system (zeroed for none), not the topic's. */
static int topic_elsewhere(qs_txn *txn, const qs_taxon *topic, const qs_taxon *system)
{
    qs_taxon parent;
    label t, in, given;
    if (eng_taxon_get(txn, QS_SYSTEM, topic->parent, &parent) != 0)
        parent.ext_id[0] = '\0';
    return eng_fail(QS_INVALID, "%s belongs to %s, not %s",
                    label_of(&t, QS_TOPIC, topic->id, topic->ext_id),
                    label_of(&in, QS_SYSTEM, topic->parent, parent.ext_id),
                    label_of(&given, QS_SYSTEM, system->id, system->ext_id));
}

static int check_question(qs_txn *txn, const qs_question *q)
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

static int question_put(qs_txn *txn, const qs_question *q, uint32_t *id)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!q)
        return eng_fail(QS_INVALID, "qs_question_put: question is NULL");
    if ((rc = check_question(txn, q)) != 0)
        return rc;
    identity who;
    idx_question old;
    qs_question next = *q;
    if ((rc = resolve_identity(txn, QS_QUESTION, q->id, q->ext_id, ENG_NEXT_QUESTION,
                               UINT32_MAX, &who)))
        return rc;
    next.id = (uint32_t)who.id;
    int found = idx_question_load(txn, next.id, &old);
    if (found && found != QS_NOTFOUND)
        return found;
    if ((rc = merge_ext(old.head.ext_id, q->ext_id, next.ext_id, QS_QUESTION, who.id)) != 0)
        return rc;
    if (id)
        *id = next.id;
    if (found == 0 && eng_question_same(txn, &next))
        return 0;
    if ((rc = store_question(txn, &next, found == 0 ? &old : NULL)) == 0)
        rc = finish_ext(txn, QS_QUESTION, &who, next.ext_id);
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
    rc = eng_question_get(txn, id, out);
    return rc == QS_NOTFOUND ? api_missing("question", id) : rc;
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
    return eng_bank_compress(txn, report);
}

int qs_bank_compress(qs_txn *txn, qs_compress_report *report)
{
    ENG_GUARDED(txn, bank_compress(txn, report));
}

/* ------------------------------------------------------------------ users */

static int user_put(qs_txn *txn, const qs_user *u, uint32_t *id)
{
    int rc = eng_writable_gathering(txn);
    if (rc)
        return rc;
    if (!u)
        return eng_fail(QS_INVALID, "qs_user_put: user is NULL");
    if ((rc = api_check_ext(u->ext_id, "user")) != 0)
        return rc;
    identity who;
    qs_user old, next = *u;
    if ((rc = resolve_identity(txn, QS_USER, u->id, u->ext_id, ENG_NEXT_USER, UINT32_MAX,
                               &who)))
        return rc;
    next.id = (uint32_t)who.id;
    int found = eng_user_get(txn, next.id, &old);
    if (found && found != QS_NOTFOUND)
        return found;
    if ((rc = merge_ext(old.ext_id, u->ext_id, next.ext_id, QS_USER, who.id)) != 0)
        return rc;
    if (id)
        *id = next.id;
    if (found == 0 && memcmp(&old, &next, sizeof old) == 0)
        return 0;
    rc = eng_user_put(txn, &next);
    if (!rc && found == QS_NOTFOUND)
        rc = idx_board_move(txn, NULL, &(idx_board_view){next.id, QS_BOARD_ALL_TIME, 0, 0});
    if (!rc)
        rc = finish_ext(txn, QS_USER, &who, next.ext_id);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int qs_user_put(qs_txn *txn, const qs_user *u, uint32_t *id)
{
    ENG_GUARDED(txn, user_put(txn, u, id));
}

static int user_get(qs_txn *txn, uint32_t id, qs_user *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_user_get: output is NULL");
    rc = eng_user_get(txn, id, out);
    return rc == QS_NOTFOUND ? api_missing("user", id) : rc;
}

int qs_user_get(qs_txn *txn, uint32_t id, qs_user *out)
{
    ENG_GUARDED(txn, user_get(txn, id, out));
}

/* ------------------------------------------------------------------ tests */

static int check_test(qs_txn *txn, const qs_test *t)
{
    if (t->status < QS_TEST_ACTIVE || t->status > QS_TEST_ABANDONED)
        return eng_fail(QS_INVALID, "test status %u is not 1..4", t->status);
    if (t->mode != QS_MODE_TUTOR && t->mode != QS_MODE_TIMED)
        return eng_fail(QS_INVALID, "test mode %u is not tutor (1) or timed (2)", t->mode);
    if (t->open_list > 1)
        return eng_fail(QS_INVALID, "open_list must be 0 or 1");
    if (t->n_questions > QS_TEST_MAX_QUESTIONS)
        return eng_fail(QS_INVALID, "%u questions is over %d", t->n_questions,
                        QS_TEST_MAX_QUESTIONS);
    int rc = api_check_ext(t->ext_id, "test");
    if (!rc)
        rc = api_user_exists(txn, t->user);
    for (unsigned i = 0; i < t->n_questions && !rc; i++) {
        for (unsigned j = 0; j < i; j++)
            if (t->questions[j] == t->questions[i])
                return eng_fail(QS_INVALID, "question %u is listed twice", t->questions[i]);
        rc = eng_question_exists(txn, t->questions[i]);
        if (rc == QS_NOTFOUND)
            rc = api_missing("question", t->questions[i]);
    }
    return rc;
}

static int same_test(const qs_test *a, const qs_test *b)
{
    return memcmp(a, b, offsetof(qs_test, questions)) == 0 &&
           memcmp(a->questions, b->questions, a->n_questions * sizeof a->questions[0]) == 0;
}

static int listed(const qs_test *t, uint32_t question)
{
    for (unsigned i = 0; i < t->n_questions; i++)
        if (t->questions[i] == question)
            return 1;
    return 0;
}

void api_test_reach(qs_test *t, int64_t at)
{
    if (at > t->last_activity_at)
        t->last_activity_at = at;
    /* a completed test rebuilt from an answer log ends with its last answer */
    if (t->open_list && t->status == QS_TEST_COMPLETED && at > t->completed_at)
        t->completed_at = at;
}

/* A test as stored, as a put would leave it, and its answers (test_answers). */
typedef struct test_change {
    qs_test old, next;
    eng_test_answer answers[QS_TEST_MAX_QUESTIONS];
    size_t n_answers;
} test_change;

static int refuse_new_user(qs_txn *txn, const test_change *c)
{
    label test, from, to;
    return eng_fail(QS_INVALID, "%s belongs to %s and has %zu answer%s: it cannot pass to %s",
                    label_of(&test, QS_TEST, c->old.id, c->old.ext_id),
                    user_label(txn, c->old.user, &from), c->n_answers,
                    c->n_answers == 1 ? "" : "s", user_label(txn, c->next.user, &to));
}

static int refuse_unlisted(qs_txn *txn, const test_change *c, uint32_t question)
{
    label test, q;
    return eng_fail(QS_INVALID, "%s has an answer to %s: the question cannot leave its list",
                    label_of(&test, QS_TEST, c->old.id, c->old.ext_id),
                    question_label(txn, question, &q));
}

static int answered(const test_change *c, uint32_t question)
{
    for (size_t i = 0; i < c->n_answers; i++)
        if (c->answers[i].question == question)
            return 1;
    return 0;
}

/* An open list grows with its answers: the answered questions c->next leaves out go
 * back on it, in the order c->old listed them. */
static int keep_answered_listed(test_change *c)
{
    for (unsigned i = 0; i < c->old.n_questions; i++) {
        uint32_t q = c->old.questions[i];
        if (!answered(c, q) || listed(&c->next, q))
            continue;
        if (c->next.n_questions == QS_TEST_MAX_QUESTIONS)
            return eng_fail(QS_INVALID, "test %llu: its answered questions and the %d given "
                            "would be over %d", (unsigned long long)c->old.id,
                            QS_TEST_MAX_QUESTIONS, QS_TEST_MAX_QUESTIONS);
        c->next.questions[c->next.n_questions++] = q;
    }
    return 0;
}

/* Hold c->next to the test's answers: the user stays, every answered question stays
 * listed (kept on an open list, QS_INVALID otherwise), and the times reach the newest
 * answer. */
static int follow_answers(qs_txn *txn, test_change *c)
{
    int rc = eng_test_answers(txn, c->old.id, c->answers, &c->n_answers);
    if (rc)
        return rc;
    if (c->n_answers && c->next.user != c->old.user)
        return refuse_new_user(txn, c);
    if (c->next.open_list && (rc = keep_answered_listed(c)) != 0)
        return rc;
    for (size_t i = 0; i < c->n_answers; i++) {
        if (!listed(&c->next, c->answers[i].question))
            return refuse_unlisted(txn, c, c->answers[i].question);
        api_test_reach(&c->next, c->answers[i].created_at);
    }
    return 0;
}

/* Store @p t (id resolved) and keep test_by_user in step. */
static int store_test(qs_txn *txn, const qs_test *t, const qs_test *old)
{
    int rc = eng_test_put(txn, t);
    if (!rc)
        rc = idx_test_changed(txn, old, t);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

static int test_put(qs_txn *txn, const qs_test *t, uint64_t *id)
{
    int rc = eng_writable_gathering(txn);
    if (rc)
        return rc;
    if (!t)
        return eng_fail(QS_INVALID, "qs_test_put: test is NULL");
    if ((rc = check_test(txn, t)) != 0)
        return rc;
    identity who;
    test_change *c = malloc(sizeof *c);
    if (!c)
        return eng_fail(ENOMEM, "out of memory");
    qs_test *old = &c->old, *next = &c->next;
    *next = *t;
    memset(next->questions + t->n_questions, 0,
           (QS_TEST_MAX_QUESTIONS - t->n_questions) * sizeof t->questions[0]);
    rc = resolve_identity(txn, QS_TEST, t->id, t->ext_id, ENG_NEXT_TEST, UINT64_MAX, &who);
    int found = rc ? rc : eng_test_get(txn, who.id, old);
    next->id = who.id;
    if (!rc && found && found != QS_NOTFOUND)
        rc = found;
    if (!rc)
        rc = merge_ext(old->ext_id, t->ext_id, next->ext_id, QS_TEST, who.id);
    if (!rc && found == 0 && !same_test(old, next))
        rc = follow_answers(txn, c);   /* may refuse, or raise next's times */
    if (!rc && !(found == 0 && same_test(old, next))) {
        rc = store_test(txn, next, found == 0 ? old : NULL);
        if (!rc)
            rc = finish_ext(txn, QS_TEST, &who, next->ext_id);
    }
    if (!rc && id)
        *id = who.id;
    free(c);
    return rc;
}

int qs_test_put(qs_txn *txn, const qs_test *t, uint64_t *id)
{
    ENG_GUARDED(txn, test_put(txn, t, id));
}

static int test_get(qs_txn *txn, uint64_t id, qs_test *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_test_get: output is NULL");
    rc = eng_test_get(txn, id, out);
    return rc == QS_NOTFOUND ? api_missing("test", id) : rc;
}

int qs_test_get(qs_txn *txn, uint64_t id, qs_test *out)
{
    ENG_GUARDED(txn, test_get(txn, id, out));
}

static int check_draw(qs_txn *txn, const qs_draw *d)
{
    if (d->pattern < QS_DRAW_FILTER || d->pattern > QS_DRAW_WEAK)
        return eng_fail(QS_INVALID, "draw pattern %u is not 1..3", d->pattern);
    if (d->mode != QS_MODE_TUTOR && d->mode != QS_MODE_TIMED)
        return eng_fail(QS_INVALID, "test mode %u is not tutor (1) or timed (2)", d->mode);
    if (d->count < 1 || d->count > QS_TEST_MAX_QUESTIONS)
        return eng_fail(QS_INVALID, "count %u is outside 1..%d", d->count,
                        QS_TEST_MAX_QUESTIONS);
    if (d->difficulty > 3)
        return eng_fail(QS_INVALID, "difficulty %u is outside 0..3", d->difficulty);
    if (d->only > QS_ONLY_MARKED)
        return eng_fail(QS_INVALID, "draw filter 'only' %u is not 0..3", d->only);
    if (d->pattern == QS_DRAW_ADAPTIVE && (!d->system || d->rate_min_bp > d->rate_max_bp ||
                                           d->rate_max_bp > 10000))
        return eng_fail(QS_INVALID, "adaptive draw needs a system and 0 <= min <= max <= 10000");
    return api_user_exists(txn, d->user);
}

static int test_create(qs_txn *txn, const qs_draw *d, qs_test *out)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!d || !out)
        return eng_fail(QS_INVALID, "qs_test_create: NULL argument");
    if ((rc = check_draw(txn, d)) != 0)
        return rc;
    memset(out, 0, sizeof *out);
    if (d->id) {
        rc = eng_test_get(txn, d->id, out);
        if (rc == 0)
            return eng_fail(QS_EXISTS, "test %llu exists", (unsigned long long)d->id);
        if (rc != QS_NOTFOUND)
            return rc;
        memset(out, 0, sizeof *out);
    }
    if ((rc = idx_draw(txn, d, out)) != 0)
        return rc;
    out->id = d->id;
    if (d->id)
        eng_counter_seen(txn, ENG_NEXT_TEST, d->id);
    else if ((rc = new_id(txn, QS_TEST, ENG_NEXT_TEST, UINT64_MAX, &out->id)) != 0)
        return rc;
    out->user = d->user;
    out->status = QS_TEST_ACTIVE;
    out->mode = d->mode;
    out->created_at = out->last_activity_at = d->created_at;
    return store_test(txn, out, NULL);
}

int qs_test_create(qs_txn *txn, const qs_draw *d, qs_test *out)
{
    ENG_GUARDED(txn, test_create(txn, d, out));
}

/* Walk one status of a user's tests newest first, merging into @p rows. */
static int list_status(qs_txn *txn, uint32_t user, uint8_t status, qs_test_row *rows,
                       size_t cap, size_t *held, size_t *total)
{
    eng_iter it;
    eng_key k;
    eng_test_index_key(&k, user, status, INT64_MIN, 0);
    int rc = eng_iter_open(txn, ENG_TEST_BY_USER, &it);
    eng_iter_within(&it, k.b, 5);   /* user u32 | status u8 */
    for (rc = rc ? rc : eng_iter_last(&it); rc == 0; rc = eng_iter_prev(&it)) {
        qs_test_row row;
        if ((rc = eng_test_index_row(&it.key, &it.val, &row)) != 0)
            break;
        (*total)++;
        /* insertion into the (last_activity desc, id desc) order, keeping cap rows */
        size_t at = *held;
        while (at > 0 && (rows[at - 1].last_activity_at < row.last_activity_at ||
                          (rows[at - 1].last_activity_at == row.last_activity_at &&
                           rows[at - 1].id < row.id)))
            at--;
        if (at >= cap)
            continue;
        size_t keep = *held < cap ? *held : cap - 1;
        memmove(rows + at + 1, rows + at, (keep - at) * sizeof *rows);
        rows[at] = row;
        if (*held < cap)
            (*held)++;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

static int test_list(qs_txn *txn, uint32_t user, qs_test_row *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_test_list: NULL output");
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    size_t held = 0, total = 0;
    if ((rc = list_status(txn, user, QS_TEST_ACTIVE, rows, cap, &held, &total)) ||
        (rc = list_status(txn, user, QS_TEST_PAUSED, rows, cap, &held, &total)))
        return rc;
    *n = total;
    return 0;
}

int qs_test_list(qs_txn *txn, uint32_t user, qs_test_row *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, test_list(txn, user, rows, cap, n));
}

/* ------------------------------------------------------------------ repair */

/* The first id of @p db above *id (keys of @p width bytes) into *id; *more is 0 past
 * the last. A walk that seeks each record anew may rewrite the one it stands on. */
static int id_after(qs_txn *txn, eng_db db, size_t width, uint64_t *id, int *more)
{
    eng_iter it;
    eng_key k;
    ek_reset(&k);
    if (width == 4)
        ek_u32(&k, (uint32_t)*id);
    else
        ek_u64(&k, *id);
    *more = 0;
    int rc = eng_iter_open(txn, db, &it);
    rc = rc ? rc : eng_iter_seek(&it, k.b, k.n);
    if (rc == 0 && it.key.size == k.n && memcmp(it.key.data, k.b, k.n) == 0)
        rc = eng_iter_next(&it);
    if (rc == 0 && (rc = eng_key_check(&it.key, width, eng_db_name(db))) == 0) {
        *id = width == 4 ? eng_get32(it.key.data) : eng_get64(it.key.data);
        *more = 1;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}

/* Test @p id into c->old, and into c->next with its times raised to its answers. */
static int test_with_answers(qs_txn *txn, uint64_t id, test_change *c)
{
    int rc = eng_test_get(txn, id, &c->old);
    if (!rc)
        rc = eng_test_answers(txn, id, c->answers, &c->n_answers);
    c->next = c->old;
    for (size_t i = 0; !rc && i < c->n_answers; i++)
        api_test_reach(&c->next, c->answers[i].created_at);
    return rc;
}

int api_repair_tests(qs_txn *txn)
{
    test_change *c = malloc(sizeof *c);
    if (!c)   /* after the rebuild: the repair is half done */
        return eng_txn_failed(txn, eng_fail(ENOMEM, "out of memory"));
    uint64_t id = 0;
    int more, rc;
    while ((rc = id_after(txn, ENG_TEST, 8, &id, &more)) == 0 && more)
        if ((rc = test_with_answers(txn, id, c)) != 0 ||
            (!same_test(&c->old, &c->next) && (rc = store_test(txn, &c->next, &c->old)) != 0))
            break;
    free(c);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int api_repair_questions(qs_txn *txn)
{
    uint64_t id = 0;
    int more, rc;
    while ((rc = id_after(txn, ENG_QUESTION, 4, &id, &more)) == 0 && more) {
        qs_question q;
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
