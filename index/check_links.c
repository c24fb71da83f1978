/* check_links.c: the links between records that no index covers (check.h): each
 * answer against its test (the test is the answer's user's, lists its question, and
 * its times reach the answer), each question's topic against its system. */
#include <string.h>

#include "check.h"

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
    const eng_test *t = &c->test;
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
int idx_check_user_tests(checker *c, eng_answer *as, size_t n)
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
    eng_question q;
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

int idx_check_question_topics(checker *c)
{
    return idx_each_id(c, ENG_QUESTION, check_question_topic);
}
