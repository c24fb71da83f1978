/* Tests transactions: snapshots, read-only, failed calls, savepoints, renew, writers. */
#include <pthread.h>
#include <time.h>

#include "check.h"
#include "fixture.h"

TEST(commit_rejects_null)
{
    CHECK_RC(qs_txn_commit(NULL), QS_INVALID);
}

TEST(read_txn_sees_its_snapshot)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *old_view, *writer, *new_view;
    fx_aggregates before, during, after;

    fx_bank_build(env, &b);
    old_view = fx_read(env);
    fx_aggregates_read(old_view, b.users[0], b.questions[0], b.tests[0], FX_T0, &before);

    writer = fx_write(env);
    fx_answer(writer, b.tests[0], b.questions[0], 0, FX_T0 - FX_HOUR_MS);
    fx_aggregates_read(writer, b.users[0], b.questions[0], b.tests[0], FX_T0, &during);
    CHECK_EQ(during.qstats.attempts, 1);
    /* The reader does not see the uncommitted answer, nor the committed one later. */
    fx_aggregates_read(old_view, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&before, &after));
    fx_commit(writer);
    fx_aggregates_read(old_view, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&before, &after));
    CHECK_EQ(after.qstats.attempts, 0);

    new_view = fx_read(env);
    fx_aggregates_read(new_view, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&during, &after));
    qs_txn_abort(old_view);
    qs_txn_abort(new_view);
    qs_env_close(env);
}

TEST(abort_discards_everything)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    fx_aggregates before, after;
    uint64_t id;

    fx_bank_build(env, &b);
    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[2], b.tests[0], FX_T0, &before);
    qs_txn_abort(txn);

    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[2], 2, FX_T0 - FX_HOUR_MS);
    fx_user(txn, "aborted-user", FX_T0);
    qs_txn_abort(txn);

    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[2], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&before, &after));
    CHECK_RC(qs_resolve(txn, QS_USER, "aborted-user", &id), QS_NOTFOUND);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(commit_of_read_txn_is_harmless)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    fx_bank_build(env, &b);
    txn = fx_read(env);
    CHECK_RC(qs_txn_commit(txn), 0);
    txn = fx_write(env);
    fx_commit(txn);
    qs_env_close(env);
}

/* Every write call, on a read-only transaction. */
TEST(write_calls_on_read_txn_are_readonly)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_txn *child = NULL;
    fx_aggregates before, after;
    uint64_t id;

    fx_bank_build(env, &b);
    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &before);

    fx_writes_refused(txn, &b, QS_READONLY, "read-only");
    CHECK_RC(qs_txn_savepoint(txn, &child), QS_INVALID);

    /* The read transaction still reads, and nothing changed. */
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&before, &after));
    CHECK_RC(qs_resolve(txn, QS_USER, "refused-user", &id), QS_NOTFOUND);
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* A write transaction survives each kind of failed call, and only the good calls
 * count at commit. */
TEST(failed_calls_leave_txn_usable_and_unchanged)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_answer a;
    qs_taxon t = {.size = sizeof t};
    qs_test test = {.size = sizeof test};
    qs_user u = {.size = sizeof u};
    fx_aggregates mid, after;
    uint64_t id;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[0], 0, FX_T0 - 3 * FX_HOUR_MS);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &mid);

    fx_answer_init(&a, b.tests[0], b.questions[0], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_EXISTS);
    fx_answer_init(&a, b.tests[0], b.questions[1], QS_ANSWERED, QS_GRADE, 1, FX_T0);
    a.score = 91;
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_INVALID);
    a.score = 50;
    a.question = 999999;
    CHECK_RC(qs_answer_submit(txn, &a, NULL), QS_NOTFOUND);
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "orphan topic");
    t.parent = 424242;
    CHECK_RC(qs_taxon_put(txn, QS_TOPIC, &t, NULL), QS_NOTFOUND);
    fx_test_init(&test, "bad-test", 777777, 0, b.questions, 2, FX_T0);
    CHECK_RC(qs_test_put(txn, &test, NULL), QS_NOTFOUND);
    memset(&u, 0, sizeof u);
    u.id = b.users[1];
    snprintf(u.ext_id, sizeof u.ext_id, "user-0");
    CHECK_RC(qs_user_put(txn, &u, NULL), QS_EXISTS);

    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&mid, &after));
    /* Still usable for writes. */
    fx_answer(txn, b.tests[0], b.questions[1], 1, FX_T0 - 2 * FX_HOUR_MS);
    fx_commit(txn);

    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK_EQ(after.dash.summary.answered, 2);
    CHECK_EQ(after.dash.summary.correct, 2);
    CHECK_EQ(after.qstats.attempts, 1);
    CHECK_RC(qs_resolve(txn, QS_TEST, "bad-test", &id), QS_NOTFOUND);
    CHECK_RC(qs_resolve(txn, QS_USER, "user-0", &id), 0);
    CHECK_EQ(id, b.users[0]);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(savepoint_commit_folds_into_parent)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn, *child = NULL;
    fx_aggregates after;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    CHECK_RC(qs_txn_savepoint(txn, &child), 0);
    CHECK(child != NULL);
    fx_answer(child, b.tests[0], b.questions[0], 0, FX_T0 - FX_HOUR_MS);
    fx_commit(child);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK_EQ(after.qstats.attempts, 1);
    fx_commit(txn);

    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[0], b.tests[0], FX_T0, &after);
    CHECK_EQ(after.qstats.attempts, 1);
    CHECK_EQ(after.dash.summary.answered, 1);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(savepoint_abort_undoes_only_the_child)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn, *child = NULL, *grandchild = NULL, *second = NULL;
    fx_aggregates parent_state, after;
    uint64_t id;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_answer(txn, b.tests[0], b.questions[0], 0, FX_T0 - 5 * FX_HOUR_MS);
    fx_aggregates_read(txn, b.users[0], b.questions[1], b.tests[0], FX_T0, &parent_state);

    CHECK_RC(qs_txn_savepoint(txn, &child), 0);
    CHECK_RC(qs_txn_savepoint(txn, &second), QS_INVALID);
    fx_answer(child, b.tests[0], b.questions[1], 1, FX_T0 - 4 * FX_HOUR_MS);
    fx_user(child, "child-user", FX_T0);
    /* A savepoint inside a savepoint. */
    CHECK_RC(qs_txn_savepoint(child, &grandchild), 0);
    fx_answer(grandchild, b.tests[0], b.questions[2], 2, FX_T0 - 3 * FX_HOUR_MS);
    qs_txn_abort(grandchild);
    fx_aggregates_read(child, b.users[0], b.questions[1], b.tests[0], FX_T0, &after);
    CHECK_EQ(after.dash.summary.answered, 2);
    qs_txn_abort(child);

    fx_aggregates_read(txn, b.users[0], b.questions[1], b.tests[0], FX_T0, &after);
    CHECK(fx_aggregates_equal(&parent_state, &after));
    CHECK_RC(qs_resolve(txn, QS_USER, "child-user", &id), QS_NOTFOUND);
    /* The parent goes on and commits its own work. */
    fx_answer(txn, b.tests[0], b.questions[3], 3, FX_T0 - 2 * FX_HOUR_MS);
    fx_commit(txn);

    txn = fx_read(env);
    fx_aggregates_read(txn, b.users[0], b.questions[1], b.tests[0], FX_T0, &after);
    CHECK_EQ(after.dash.summary.answered, 2);
    CHECK_EQ(after.qstats.attempts, 0);
    CHECK_EQ(after.uq_rc, QS_NOTFOUND);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(savepoint_rejects_bad_arguments)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env), *child = NULL;
    CHECK_RC(qs_txn_savepoint(NULL, &child), QS_INVALID);
    CHECK_RC(qs_txn_savepoint(txn, NULL), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(reset_and_renew_take_a_new_snapshot)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *reader, *writer;
    fx_aggregates agg;
    uint64_t id;

    fx_bank_build(env, &b);
    reader = fx_read(env);
    CHECK_RC(qs_txn_renew(reader), QS_INVALID);
    qs_txn_reset(reader);

    writer = fx_write(env);
    CHECK_RC(qs_txn_renew(writer), QS_INVALID);
    fx_answer(writer, b.tests[1], b.questions[4], 1, FX_T0 - FX_HOUR_MS);
    fx_user(writer, "renewed-user", FX_T0);
    fx_commit(writer);

    CHECK_RC(qs_txn_renew(reader), 0);
    fx_aggregates_read(reader, b.users[1], b.questions[4], b.tests[1], FX_T0, &agg);
    CHECK_EQ(agg.qstats.attempts, 1);
    CHECK_EQ(agg.dash.summary.answered, 1);
    CHECK_RC(qs_resolve(reader, QS_USER, "renewed-user", &id), 0);

    /* Again: many short reads on one handle. */
    for (int i = 0; i < 20; i++) {
        qs_txn_reset(reader);
        CHECK_RC(qs_txn_renew(reader), 0);
        CHECK_RC(qs_resolve(reader, QS_USER, "user-1", &id), 0);
        CHECK_EQ(id, b.users[1]);
    }
    CHECK_RC(qs_txn_renew(NULL), QS_INVALID);
    qs_txn_abort(reader);
    qs_env_close(env);
}

/* ---- one writer at a time ------------------------------------------------------ */

typedef struct second_writer {
    qs_env *env;
    pthread_mutex_t lock;
    int began;
    int rc;
} second_writer;

static void *second_writer_main(void *arg)
{
    second_writer *w = arg;
    qs_txn *txn = NULL;
    int rc = qs_txn_begin(w->env, 0, &txn);
    pthread_mutex_lock(&w->lock);
    w->began = 1;
    w->rc = rc;
    pthread_mutex_unlock(&w->lock);
    if (rc == 0) {
        qs_user u = {.size = sizeof u};
        memset(&u, 0, sizeof u);
        snprintf(u.ext_id, sizeof u.ext_id, "second-writer");
        rc = qs_user_put(txn, &u, NULL);
        if (rc == 0)
            rc = qs_txn_commit(txn);
        else
            qs_txn_abort(txn);
        pthread_mutex_lock(&w->lock);
        w->rc = rc;
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

static int writer_began(second_writer *w)
{
    int began;
    pthread_mutex_lock(&w->lock);
    began = w->began;
    pthread_mutex_unlock(&w->lock);
    return began;
}

TEST(second_writer_waits_for_the_first)
{
    qs_env *env = fx_open_tmp();
    qs_txn *first = fx_write(env), *reader;
    second_writer w;
    pthread_t th;
    uint64_t id;

    memset(&w, 0, sizeof w);
    w.env = env;
    pthread_mutex_init(&w.lock, NULL);
    fx_user(first, "first-writer", FX_T0);
    CHECK(pthread_create(&th, NULL, second_writer_main, &w) == 0);
    usleep(150 * 1000);
    CHECK_MSG(!writer_began(&w), "a second write transaction began while one was open");
    /* Readers are not blocked by the writer. */
    reader = fx_read(env);
    CHECK_RC(qs_resolve(reader, QS_USER, "first-writer", &id), QS_NOTFOUND);
    qs_txn_abort(reader);
    fx_commit(first);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(w.began);
    CHECK_RC(w.rc, 0);

    reader = fx_read(env);
    CHECK_RC(qs_resolve(reader, QS_USER, "first-writer", &id), 0);
    CHECK_RC(qs_resolve(reader, QS_USER, "second-writer", &id), 0);
    qs_txn_abort(reader);
    qs_env_close(env);
}

/* A read transaction may move between threads. */
static void *resolve_on_thread(void *arg)
{
    qs_txn *txn = arg;
    uint64_t id = 0;
    return (void *)(intptr_t)qs_resolve(txn, QS_USER, "user-0", &id);
}

TEST(read_txn_moves_between_threads)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *reader;
    pthread_t th;
    void *ret = (void *)1;
    uint64_t id;

    fx_bank_build(env, &b);
    reader = fx_read(env);
    CHECK_RC(qs_resolve(reader, QS_USER, "user-1", &id), 0);
    CHECK(pthread_create(&th, NULL, resolve_on_thread, reader) == 0);
    CHECK(pthread_join(th, &ret) == 0);
    CHECK_RC((int)(intptr_t)ret, 0);
    CHECK_RC(qs_resolve(reader, QS_USER, "user-1", &id), 0);
    qs_txn_abort(reader);
    qs_env_close(env);
}

TEST(write_map_store_writes_and_refuses_savepoints)
{
    qs_options o = {.size = sizeof o};
    o = fx_options();
    o.durability = QS_SYNC_PERIODIC;
    o.write_map = 1;
    const char *dir = check_tmpdir();
    qs_env *env = fx_open(dir, &o);
    qs_txn *txn = fx_write(env), *child = NULL;
    uint32_t user = fx_user(txn, "wm-user", FX_T0);
    CHECK_RC(qs_txn_savepoint(txn, &child), QS_INVALID);
    CHECK(child == NULL);
    fx_commit(txn);   /* the refused savepoint left the transaction usable */
    qs_env_close(env);

    /* what was written through the map is there for a store opened the usual way */
    env = fx_open(dir, NULL);
    qs_user u = {.size = sizeof u};
    txn = fx_read(env);
    CHECK_RC(qs_user_get(txn, user, &u), 0);
    CHECK_STR(u.ext_id, "wm-user");
    qs_txn_abort(txn);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(commit_rejects_null),
        CASE(read_txn_sees_its_snapshot),
        CASE(abort_discards_everything),
        CASE(commit_of_read_txn_is_harmless),
        CASE(write_calls_on_read_txn_are_readonly),
        CASE(failed_calls_leave_txn_usable_and_unchanged),
        CASE(savepoint_commit_folds_into_parent),
        CASE(savepoint_abort_undoes_only_the_child),
        CASE(savepoint_rejects_bad_arguments),
        CASE(reset_and_renew_take_a_new_snapshot),
        CASE(second_writer_waits_for_the_first),
        CASE(read_txn_moves_between_threads),
        CASE(write_map_store_writes_and_refuses_savepoints),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
