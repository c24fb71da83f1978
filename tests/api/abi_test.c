/* Tests the structs that carry their size (quizstore.h, "Structs that grow"): a size
 * of 0 or of the struct is taken, one under the first layout is refused, a longer
 * struct is taken only when its bytes past the known end are zero, and an output is
 * written only as far as the library knows. */
#include <string.h>

#include "check.h"
#include "fixture.h"

/* A question as an application built against a later header, with one field more,
 * would pass it. */
typedef struct later_question {
    qs_question q;
    uint64_t added;
} later_question;

static void refused_naming(int rc, const char *type)
{
    CHECK_RC(rc, QS_INVALID);
    CHECK_MSG(strstr(qs_errmsg(), type) != NULL, "%s", qs_errmsg());
}

TEST(input_sizes)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    qs_txn *txn = fx_write(env);
    later_question later;
    memset(&later, 0, sizeof later);
    fx_question_init(&later.q, "later", b.subject, b.systems[0], b.topics[0], 1, 4, 0);
    uint32_t id = 0;

    later.q.size = sizeof later.q - 1;   /* under the first layout */
    refused_naming(qs_question_put(txn, &later.q, &id), "qs_question.size");
    later.q.size = sizeof later;         /* longer, the field it adds left 0 */
    CHECK_RC(qs_question_put(txn, &later.q, &id), 0);
    CHECK(id != 0);
    later.added = 7;                     /* a field this library does not have */
    refused_naming(qs_question_put(txn, &later.q, NULL), "qs_question sets a field");
    later.q.size = 0xa5a5a5a5;           /* never set: not read that far */
    refused_naming(qs_question_put(txn, &later.q, NULL), "is no struct's size");
    later.q.size = 0;                    /* the first layout */
    CHECK_RC(qs_question_put(txn, &later.q, NULL), 0);

    qs_draw d = {.size = 3, .user = b.users[0], .pattern = QS_DRAW_FILTER,
                 .mode = QS_MODE_TUTOR, .count = 2};
    qs_test made = {.size = sizeof made};
    refused_naming(qs_test_create(txn, &d, &made), "qs_draw.size");
    qs_bucket_policy p = {.size = 1, .hot_periods = 1};
    refused_naming(qs_bucket_policy_set(txn, &p), "qs_bucket_policy.size");
    qs_question_filter f = {.size = 2};
    uint32_t ids[4];
    size_t n;
    refused_naming(qs_question_list(txn, &f, NULL, ids, 4, &n, NULL), "qs_question_filter");
    fx_commit(txn);

    qs_options o = fx_options();
    qs_env *other = NULL;
    o.size = 8;
    refused_naming(qs_env_open(check_tmpdir(), &o, &other), "qs_options.size");
    CHECK(other == NULL);
    qs_env_close(env);
}

TEST(outputs_stop_at_the_known_end)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    qs_txn *txn = fx_read(env);
    later_question later;
    memset(&later, 0xa5, sizeof later);
    later.q.size = sizeof later;
    CHECK_RC(qs_question_get(txn, b.questions[0], &later.q), 0);
    CHECK_EQ(later.q.size, sizeof later);   /* kept as given */
    CHECK_EQ(later.q.id, b.questions[0]);
    CHECK_EQ(later.q.n_options, 4);
    CHECK(later.q.options != NULL && later.q.options[1].len == strlen(fx_option_text[1]));
    CHECK_EQ(later.added, 0xa5a5a5a5a5a5a5a5ull);   /* past the known end: untouched */

    qs_user u;
    memset(&u, 0xff, sizeof u);
    u.size = 4;
    refused_naming(qs_user_get(txn, b.users[0], &u), "qs_user.size");
    u.size = 0xffffffff;   /* an output whose size was never set */
    refused_naming(qs_user_get(txn, b.users[0], &u), "is no struct's size");
    u.size = 0;
    CHECK_RC(qs_user_get(txn, b.users[0], &u), 0);
    CHECK_EQ(u.id, b.users[0]);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(a_write_refuses_its_output_before_it_writes)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    qs_txn *txn = fx_write(env);
    qs_draw d = {.size = sizeof d, .user = b.users[0], .pattern = QS_DRAW_FILTER,
                 .mode = QS_MODE_TUTOR, .count = 2, .seed = 1};
    qs_test_row rows[8];
    size_t before, after;
    CHECK_RC(qs_test_list(txn, b.users[0], rows, 8, &before), 0);
    qs_test made = {.size = 16};
    refused_naming(qs_test_create(txn, &d, &made), "qs_test.size");
    CHECK_RC(qs_test_list(txn, b.users[0], rows, 8, &after), 0);
    CHECK_EQ(after, before);
    qs_compress_report rep = {.size = 2};
    refused_naming(qs_bank_compress(txn, &rep), "qs_compress_report.size");
    made.size = 0;
    CHECK_RC(qs_test_create(txn, &d, &made), 0);   /* the transaction is still usable */
    CHECK_EQ(made.n_questions, 2);
    CHECK(made.questions != NULL && made.questions[0] != made.questions[1]);
    fx_commit(txn);
    qs_env_close(env);
}

/* The lists the library hands out live in the transaction until the next call of the
 * same kind. */
TEST(handed_out_lists_last_until_the_next_call)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);
    qs_txn *txn = fx_write(env);
    uint64_t listed = fx_test(txn, "listed", b.users[0], 0, b.questions, 4, FX_T0);
    qs_test t = {.size = sizeof t};
    CHECK_RC(qs_test_get(txn, listed, &t), 0);
    CHECK_EQ(t.n_questions, 4);
    uint32_t first[QS_TEST_MAX_QUESTIONS];
    memcpy(first, t.questions, t.n_questions * sizeof *first);
    qs_question q = {.size = sizeof q};
    CHECK_RC(qs_question_get(txn, first[0], &q), 0);   /* another kind: t stays */
    CHECK(memcmp(t.questions, first, t.n_questions * sizeof *first) == 0);
    qs_dashboard d = {.size = sizeof d};
    CHECK_RC(qs_dashboard_get(txn, b.users[0], FX_T0, &d), 0);
    CHECK(d.n_days == 0 ? d.days == NULL : d.days != NULL);
    CHECK(memcmp(t.questions, first, t.n_questions * sizeof *first) == 0);
    qs_txn_abort(txn);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(input_sizes),
        CASE(outputs_stop_at_the_known_end),
        CASE(a_write_refuses_its_output_before_it_writes),
        CASE(handed_out_lists_last_until_the_next_call),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
