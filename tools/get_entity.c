/* get_entity.c: `quizstore get` of one entity: a question, a user, a test (with the
 * answers to its questions), a question's statistics. */
#include <string.h>

#include "get.h"

/* ---- question, user, test -------------------------------------------------------- */

int get_question(get_ctx *g, const char *arg)
{
    static qs_question q;
    uint64_t id;
    if (get_resolve(g, QS_QUESTION, arg, &id) != 0)
        return 1;
    int rc = qs_question_get(g->txn, (uint32_t)id, &q);
    if (rc != 0)
        return get_failed(g, rc, "question");
    jw *w = &g->w;
    jw_object(w);
    jw_kuint(w, "id", q.id);
    out_ext_id(w, "ext_id", q.ext_id);
    out_taxon(g, "subject", QS_SUBJECT, q.subject);
    out_taxon(g, "system", QS_SYSTEM, q.system);
    out_taxon(g, "topic", QS_TOPIC, q.topic);
    jw_kuint(w, "difficulty", q.difficulty);
    jw_kuint(w, "type", q.type);
    jw_key(w, "active");
    jw_bool(w, q.active);
    jw_kint(w, "created_at", q.created_at);
    jw_kuint(w, "correct_option", q.correct_option);
    jw_key(w, "stem");
    jw_strn(w, q.stem.ptr ? q.stem.ptr : "", q.stem.len);
    jw_key(w, "options");
    jw_array(w);
    for (int i = 0; i < q.n_options; i++)
        jw_strn(w, q.options[i].ptr ? q.options[i].ptr : "", q.options[i].len);
    jw_end_array(w);
    jw_key(w, "explanation");
    jw_strn(w, q.explanation.ptr ? q.explanation.ptr : "", q.explanation.len);
    jw_end_object(w);
    return 0;
}

int get_user(get_ctx *g, const char *arg)
{
    uint64_t id;
    qs_user u = {.size = sizeof u};
    if (get_resolve(g, QS_USER, arg, &id) != 0)
        return 1;
    int rc = qs_user_get(g->txn, (uint32_t)id, &u);
    if (rc != 0)
        return get_failed(g, rc, "user");
    jw *w = &g->w;
    jw_object(w);
    jw_kuint(w, "id", u.id);
    out_ext_id(w, "ext_id", u.ext_id);
    jw_kint(w, "created_at", u.created_at);
    jw_end_object(w);
    return 0;
}

static void answer_fields(jw *w, const qs_answer *a)
{
    jw_kuint(w, "answer_id", a->id);
    jw_key(w, "correct");
    jw_bool(w, a->correct == 1);
    jw_kstr(w, "status", answer_status_word(a->status));
    jw_key(w, "chosen");
    if (a->chosen >= 0)
        jw_int(w, a->chosen);
    else
        jw_null(w);
    jw_key(w, "score");
    if (a->score)
        jw_uint(w, a->score);
    else
        jw_null(w);
    jw_kint(w, "time_spent_ms", a->time_spent_ms);
    jw_kint(w, "created_at", a->created_at);
}

int get_test(get_ctx *g, const char *arg)
{
    static qs_test t;
    uint64_t id;
    if (get_resolve(g, QS_TEST, arg, &id) != 0)
        return 1;
    int rc = qs_test_get(g->txn, id, &t);
    if (rc != 0)
        return get_failed(g, rc, "test");
    jw *w = &g->w;
    jw_object(w);
    jw_kuint(w, "id", t.id);
    out_ext_id(w, "ext_id", t.ext_id);
    out_user(g, "user", t.user);
    jw_kstr(w, "status", test_status_word(t.status));
    jw_kstr(w, "mode", test_mode_word(t.mode));
    jw_key(w, "open_list");
    jw_bool(w, t.open_list);
    jw_kint(w, "created_at", t.created_at);
    jw_kint(w, "last_activity_at", t.last_activity_at);
    out_time(w, "completed_at", t.completed_at);
    jw_kuint(w, "n_questions", t.n_questions);
    jw_key(w, "questions");
    jw_array(w);
    for (unsigned i = 0; i < t.n_questions; i++) {
        qs_answer a;
        jw_row(w);
        jw_kuint(w, "id", t.questions[i]);
        out_question_ext(g, "ext_id", t.questions[i]);
        rc = qs_answer_get(g->txn, t.id, t.questions[i], &a);
        if (rc == 0)
            answer_fields(w, &a);
        else
            jw_kstr(w, "status", "unanswered");
        jw_end_object(w);
    }
    jw_end_array(w);
    jw_end_object(w);
    return 0;
}

int get_stats(get_ctx *g, const char *arg)
{
    static qs_question q;
    uint64_t id;
    if (get_resolve(g, QS_QUESTION, arg, &id) != 0)
        return 1;
    int rc = qs_question_get(g->txn, (uint32_t)id, &q);
    qs_question_stats s = {.size = sizeof s};
    if (rc == 0)
        rc = qs_question_stats_get(g->txn, (uint32_t)id, &s);
    if (rc != 0)
        return get_failed(g, rc, "question");
    jw *w = &g->w;
    jw_object(w);
    jw_key(w, "question");
    jw_row(w);
    jw_kuint(w, "id", q.id);
    out_ext_id(w, "ext_id", q.ext_id);
    jw_end_object(w);
    jw_kuint(w, "attempts", s.attempts);
    jw_kuint(w, "correct", s.correct);
    jw_kuint(w, "users", s.users);
    jw_kuint(w, "rate_bp", s.rate_bp);
    jw_kuint(w, "score_sum", s.score_sum);
    jw_kuint(w, "time_ms_sum", s.time_ms_sum);
    jw_end_object(w);
    return 0;
}
