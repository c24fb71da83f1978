/* Tests taxonomy, question, user and test put/get/resolve, id assignment, bank
 * compression, and what hangs on a put entity: a moved topic's questions, a test's
 * answers. */
#include "check.h"
#include "fixture.h"
#include "engine.h"

/* ---- taxonomy ------------------------------------------------------------------ */

TEST(taxon_put_assigns_resolves_and_updates)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env);
    qs_taxon t = {.size = sizeof t}, got = {.size = sizeof got};
    uint32_t sys, sys_again = 0, topic, subj;
    uint64_t id = 0;

    subj = fx_taxon(txn, QS_SUBJECT, "subj-1", "Medicine", 0);
    sys = fx_taxon(txn, QS_SYSTEM, "cardio", "Cardiology", 0);
    topic = fx_taxon(txn, QS_TOPIC, "arrhythmia", "Arrhythmia", sys);
    CHECK(subj != 0 && sys != 0 && topic != 0);

    /* Same ext id: the same entity, renamed. */
    memset(&t, 0, sizeof t);
    snprintf(t.ext_id, sizeof t.ext_id, "cardio");
    snprintf(t.name, sizeof t.name, "Cardiovascular");
    CHECK_RC(qs_taxon_put(txn, QS_SYSTEM, &t, &sys_again), 0);
    CHECK_EQ(sys_again, sys);
    CHECK_RC(qs_taxon_get(txn, QS_SYSTEM, sys, &got), 0);
    CHECK_STR(got.name, "Cardiovascular");
    CHECK_STR(got.ext_id, "cardio");
    CHECK_EQ(got.id, sys);
    CHECK_EQ(got.parent, 0);
    /* Identical content again: same id, nothing else. */
    CHECK_RC(qs_taxon_put(txn, QS_SYSTEM, &t, &sys_again), 0);
    CHECK_EQ(sys_again, sys);
    /* The id may be NULL. */
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "No ext id");
    CHECK_RC(qs_taxon_put(txn, QS_SUBJECT, &t, NULL), 0);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_taxon_get(txn, QS_TOPIC, topic, &got), 0);
    CHECK_EQ(got.parent, sys);
    CHECK_STR(got.name, "Arrhythmia");
    CHECK_RC(qs_resolve(txn, QS_TOPIC, "arrhythmia", &id), 0);
    CHECK_EQ(id, topic);
    CHECK_RC(qs_resolve(txn, QS_SUBJECT, "subj-1", &id), 0);
    CHECK_EQ(id, subj);
    /* Ext ids are per kind. */
    CHECK_RC(qs_resolve(txn, QS_SUBJECT, "cardio", &id), QS_NOTFOUND);
    CHECK_RC(qs_resolve(txn, QS_SYSTEM, "nope", &id), QS_NOTFOUND);
    CHECK_RC(qs_taxon_get(txn, QS_SYSTEM, 4242, &got), QS_NOTFOUND);
    CHECK_RC(qs_taxon_get(txn, QS_SUBJECT, subj, &got), 0);
    CHECK_STR(got.name, "Medicine");
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(taxon_put_with_explicit_id)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env);
    qs_taxon t = {.size = sizeof t}, got = {.size = sizeof got};
    uint32_t id = 0;

    memset(&t, 0, sizeof t);
    t.id = 77;
    snprintf(t.name, sizeof t.name, "Renal");
    snprintf(t.ext_id, sizeof t.ext_id, "renal");
    CHECK_RC(qs_taxon_put(txn, QS_SYSTEM, &t, &id), 0);
    CHECK_EQ(id, 77);
    CHECK_RC(qs_taxon_get(txn, QS_SYSTEM, 77, &got), 0);
    CHECK_STR(got.name, "Renal");
    /* A new entity without id does not take 77. */
    CHECK(fx_taxon(txn, QS_SYSTEM, "neuro", "Neuro", 0) != 77);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(taxon_put_rejects_bad_input)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env);
    qs_taxon t = {.size = sizeof t}, got = {.size = sizeof got};
    uint32_t sys, sys2, id = 0;
    uint64_t rid;

    sys = fx_taxon(txn, QS_SYSTEM, "sys-a", "A", 0);
    sys2 = fx_taxon(txn, QS_SYSTEM, "sys-b", "B", 0);
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "x");

    CHECK_RC(qs_taxon_put(NULL, QS_SYSTEM, &t, &id), QS_INVALID);
    CHECK_RC(qs_taxon_put(txn, QS_SYSTEM, NULL, &id), QS_INVALID);
    CHECK_RC(qs_taxon_put(txn, QS_QUESTION, &t, &id), QS_INVALID);
    CHECK_RC(qs_taxon_put(txn, (qs_kind)0, &t, &id), QS_INVALID);
    CHECK_RC(qs_taxon_put(txn, QS_TOPIC, &t, &id), QS_INVALID);   /* no system */
    t.parent = 9999;
    CHECK_RC(qs_taxon_put(txn, QS_TOPIC, &t, &id), QS_NOTFOUND);  /* unknown system */
    t.parent = 0;
    t.name[0] = '\0';
    CHECK_RC(qs_taxon_put(txn, QS_SYSTEM, &t, &id), QS_INVALID);  /* empty name */

    /* An ext id owned by another entity. */
    memset(&t, 0, sizeof t);
    t.id = sys2;
    snprintf(t.name, sizeof t.name, "B");
    snprintf(t.ext_id, sizeof t.ext_id, "sys-a");
    CHECK_RC(qs_taxon_put(txn, QS_SYSTEM, &t, &id), QS_EXISTS);
    CHECK_RC(qs_taxon_get(txn, QS_SYSTEM, sys2, &got), 0);
    CHECK_STR(got.ext_id, "sys-b");
    CHECK_RC(qs_resolve(txn, QS_SYSTEM, "sys-a", &rid), 0);
    CHECK_EQ(rid, sys);

    CHECK_RC(qs_taxon_get(txn, QS_SYSTEM, sys, NULL), QS_INVALID);
    CHECK_RC(qs_taxon_get(NULL, QS_SYSTEM, sys, &got), QS_INVALID);
    CHECK_RC(qs_resolve(NULL, QS_SYSTEM, "sys-a", &rid), QS_INVALID);
    CHECK_RC(qs_resolve(txn, QS_SYSTEM, NULL, &rid), QS_INVALID);
    CHECK_RC(qs_resolve(txn, QS_SYSTEM, "sys-a", NULL), QS_INVALID);
    CHECK_RC(qs_resolve(txn, (qs_kind)99, "sys-a", &rid), QS_INVALID);
    fx_commit(txn);
    qs_env_close(env);
}

/* ---- questions ------------------------------------------------------------------- */

static void check_text(qs_text got, const char *want)
{
    CHECK_EQ(got.len, strlen(want));
    CHECK(got.len == 0 || memcmp(got.ptr, want, got.len) == 0);
}

TEST(question_round_trip)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_question q = {.size = sizeof q}, got = {.size = sizeof got};
    uint32_t id = 0;
    uint64_t rid;
    static const char stem[] = "A 45-year-old man, \"quoted\", with a\nnewline and a NUL-free body.";

    fx_bank_build(env, &b);
    txn = fx_write(env);
    fx_question_init(&q, "round-trip", b.subject, b.systems[1], b.topics[3], 3, 5, 4);
    q.type = 7;
    q.active = 0;
    q.created_at = FX_T0 - 12345;
    q.stem.ptr = stem;
    q.stem.len = strlen(stem);
    q.explanation.ptr = "";
    q.explanation.len = 0;
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_resolve(txn, QS_QUESTION, "round-trip", &rid), 0);
    CHECK_EQ(rid, id);
    memset(&got, 0xee, sizeof got);   /* every field written, but the size given */
    got.size = sizeof got;
    CHECK_RC(qs_question_get(txn, id, &got), 0);
    CHECK_EQ(got.id, id);
    CHECK_STR(got.ext_id, "round-trip");
    CHECK_EQ(got.subject, b.subject);
    CHECK_EQ(got.system, b.systems[1]);
    CHECK_EQ(got.topic, b.topics[3]);
    CHECK_EQ(got.difficulty, 3);
    CHECK_EQ(got.type, 7);
    CHECK_EQ(got.active, 0);
    CHECK_EQ(got.correct_option, 4);
    CHECK_EQ(got.n_options, 5);
    CHECK_EQ(got.created_at, FX_T0 - 12345);
    check_text(got.stem, stem);
    check_text(got.explanation, "");
    for (unsigned i = 0; i < 5; i++)
        check_text(got.options[i], fx_option_text[i]);

    CHECK_RC(qs_question_get(txn, 987654, &got), QS_NOTFOUND);
    CHECK_RC(qs_question_get(txn, id, NULL), QS_INVALID);
    CHECK_RC(qs_question_get(NULL, id, &got), QS_INVALID);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(question_update_and_explicit_id)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_question q = {.size = sizeof q}, got = {.size = sizeof got};
    uint32_t id = 0;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    /* Same ext id: an update of question 0, re-tagged and re-keyed. */
    fx_question_init(&q, "q-0", b.subject, b.systems[1], b.topics[2], 2, 3, 2);
    q.stem.ptr = "updated stem";
    q.stem.len = strlen(q.stem.ptr);
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    CHECK_EQ(id, b.questions[0]);
    CHECK_RC(qs_question_get(txn, id, &got), 0);
    CHECK_EQ(got.topic, b.topics[2]);
    CHECK_EQ(got.n_options, 3);
    CHECK_EQ(got.correct_option, 2);
    check_text(got.stem, "updated stem");

    /* An explicit new id. */
    fx_question_init(&q, "explicit", 0, 0, 0, 1, 2, 1);
    q.id = 5000;
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    CHECK_EQ(id, 5000);
    CHECK_RC(qs_question_get(txn, 5000, &got), 0);
    CHECK_EQ(got.subject, 0);
    CHECK_EQ(got.topic, 0);
    /* No options text: the key still stands. */
    fx_question_init(&q, "no-options", b.subject, 0, 0, 1, 0, 3);
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    CHECK_RC(qs_question_get(txn, id, &got), 0);
    CHECK_EQ(got.n_options, 0);
    CHECK_EQ(got.correct_option, 3);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(question_put_rejects_bad_input)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_question q = {.size = sizeof q};
    uint32_t id = 0;
    uint64_t rid;
    char *huge;

    fx_bank_build(env, &b);
    txn = fx_write(env);
#define BASE() fx_question_init(&q, "bad", b.subject, b.systems[0], b.topics[0], 2, 4, 1)
    BASE();
    CHECK_RC(qs_question_put(NULL, &q, &id), QS_INVALID);
    CHECK_RC(qs_question_put(txn, NULL, &id), QS_INVALID);
    BASE();
    q.difficulty = 0;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_INVALID);
    BASE();
    q.difficulty = 4;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_INVALID);
    BASE();
    q.correct_option = 4; /* n_options is 4 */
    CHECK_RC(qs_question_put(txn, &q, &id), QS_INVALID);
    BASE();
    q.n_options = QS_MAX_OPTIONS + 1;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_INVALID);
    BASE();
    q.n_options = 0;
    q.correct_option = QS_MAX_OPTIONS;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_INVALID);
    BASE();
    q.topic = b.topics[2]; /* in systems[1] */
    CHECK_RC(qs_question_put(txn, &q, &id), QS_INVALID);
    BASE();
    q.system = 0;         /* a topic requires its system */
    CHECK_RC(qs_question_put(txn, &q, &id), QS_INVALID);
    BASE();
    q.subject = 4040;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_NOTFOUND);
    BASE();
    q.system = 4040;
    q.topic = 0;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_NOTFOUND);
    BASE();
    q.topic = 4040;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_NOTFOUND);
    BASE();
    q.stem.ptr = NULL;
    q.stem.len = 10;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_INVALID);
    /* Texts over QS_TEXT_MAX. */
    huge = malloc(QS_TEXT_MAX + 1);
    CHECK(huge != NULL);
    memset(huge, 'x', QS_TEXT_MAX + 1);
    BASE();
    q.stem.ptr = huge;
    q.stem.len = QS_TEXT_MAX + 1;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_TOO_LARGE);
    BASE();
    qs_text options[QS_MAX_OPTIONS];
    memcpy(options, fx_option_texts, sizeof options);
    options[3] = (qs_text){huge, QS_TEXT_MAX + 1};
    q.options = options;
    CHECK_RC(qs_question_put(txn, &q, &id), QS_TOO_LARGE);
    BASE();
    q.explanation.ptr = huge;
    q.explanation.len = QS_TEXT_MAX;  /* exactly at the limit is fine */
    CHECK_RC(qs_question_put(txn, &q, &id), 0);
    free(huge);
    /* An ext id owned by another question. */
    BASE();
    q.id = b.questions[1];
    snprintf(q.ext_id, sizeof q.ext_id, "q-2");
    CHECK_RC(qs_question_put(txn, &q, &id), QS_EXISTS);
    CHECK_RC(qs_resolve(txn, QS_QUESTION, "q-2", &rid), 0);
    CHECK_EQ(rid, b.questions[2]);
#undef BASE
    fx_commit(txn);
    qs_env_close(env);
}

TEST(bank_compress_keeps_texts)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_compress_report rep = {.size = sizeof rep};
    qs_question q = {.size = sizeof q}, got = {.size = sizeof got};
    char ext[32], stem[512], expl[1024];
    uint32_t ids[100];

    fx_bank_build(env, &b);
    /* Under 64 questions: nothing is trained. */
    txn = fx_write(env);
    memset(&rep, 0xff, sizeof rep);
    rep.size = sizeof rep;
    CHECK_RC(qs_bank_compress(txn, &rep), 0);
    CHECK_EQ(rep.dict_bytes, 0);
    CHECK_EQ(rep.compressed, 0);
    CHECK(rep.questions == 0 || rep.questions == FX_BANK_QUESTIONS);
    CHECK_RC(qs_bank_compress(NULL, &rep), QS_INVALID);
    fx_commit(txn);

    txn = fx_write(env);
    for (unsigned i = 0; i < 100; i++) {
        snprintf(ext, sizeof ext, "bulk-%u", i);
        snprintf(stem, sizeof stem,
                 "A %u-year-old patient presents with fever, cough and %u days of "
                 "fatigue. Laboratory studies show a leukocyte count of %u/mm3. Which "
                 "of the following is the most likely diagnosis?",
                 20 + i % 60, 1 + i % 9, 4000 + 37 * i);
        snprintf(expl, sizeof expl,
                 "The correct answer is option %u. The clinical picture of fever, cough "
                 "and fatigue with a leukocyte count of %u/mm3 points to it; the other "
                 "options do not explain the findings. Case %u.",
                 i % 4, 4000 + 37 * i, i);
        fx_question_init(&q, ext, b.subject, b.systems[0], b.topics[i % 2], 1, 4, i % 4);
        q.stem.ptr = stem;
        q.stem.len = strlen(stem);
        q.explanation.ptr = expl;
        q.explanation.len = strlen(expl);
        CHECK_RC(qs_question_put(txn, &q, &ids[i]), 0);
    }
    CHECK_RC(qs_bank_compress(txn, &rep), 0);
    CHECK_EQ(rep.questions, 100 + FX_BANK_QUESTIONS);
    CHECK(rep.dict_bytes > 0);
    CHECK(rep.compressed <= rep.questions);
    CHECK(rep.stored_bytes <= rep.raw_bytes);
    fx_commit(txn);

    /* Texts read back byte for byte, and a later put uses the dictionary. */
    txn = fx_write(env);
    fx_question_init(&q, "after-dict", b.subject, b.systems[0], b.topics[0], 1, 4, 0);
    q.stem.ptr = "A 33-year-old patient presents with fever, cough and 2 days of fatigue.";
    q.stem.len = strlen(q.stem.ptr);
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    fx_commit(txn);
    txn = fx_read(env);
    for (unsigned i = 0; i < 100; i++) {
        snprintf(stem, sizeof stem,
                 "A %u-year-old patient presents with fever, cough and %u days of "
                 "fatigue. Laboratory studies show a leukocyte count of %u/mm3. Which "
                 "of the following is the most likely diagnosis?",
                 20 + i % 60, 1 + i % 9, 4000 + 37 * i);
        CHECK_RC(qs_question_get(txn, ids[i], &got), 0);
        check_text(got.stem, stem);
        check_text(got.options[1], "bravo");
        CHECK_EQ(got.correct_option, i % 4);
    }
    CHECK_RC(qs_question_get(txn, b.questions[5], &got), 0);
    check_text(got.stem, "Which option is the key?");
    check_text(got.explanation, "Because the key is the key.");
    qs_txn_abort(txn);
    qs_env_close(env);
}

/* ---- users ------------------------------------------------------------------------ */

TEST(user_put_get_and_conflicts)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env);
    qs_user u = {.size = sizeof u}, got = {.size = sizeof got};
    uint32_t a, bid, id = 0;
    uint64_t rid;
    qs_rank_row row;

    a = fx_user(txn, "6b1c2d3e-0000-4000-8000-000000000001", FX_T0 - FX_DAY_MS);
    bid = fx_user(txn, "cuid-b", FX_T0);
    CHECK(a != bid);
    CHECK_RC(qs_user_get(txn, a, &got), 0);
    CHECK_EQ(got.id, a);
    CHECK_STR(got.ext_id, "6b1c2d3e-0000-4000-8000-000000000001");
    CHECK_EQ(got.created_at, FX_T0 - FX_DAY_MS);
    /* A new user is on the all-time board with 0 correct. */
    CHECK_RC(qs_leaderboard_rank(txn, QS_BOARD_ALL_TIME, bid, &row), 0);
    CHECK_EQ(row.user, bid);
    CHECK_EQ(row.correct, 0);
    CHECK(row.rank >= 1);

    /* Update through the ext id. */
    memset(&u, 0, sizeof u);
    snprintf(u.ext_id, sizeof u.ext_id, "cuid-b");
    u.created_at = FX_T0 + 5;
    CHECK_RC(qs_user_put(txn, &u, &id), 0);
    CHECK_EQ(id, bid);
    CHECK_RC(qs_user_get(txn, bid, &got), 0);
    CHECK_EQ(got.created_at, FX_T0 + 5);

    /* Conflicting ext id. */
    u.id = a;
    CHECK_RC(qs_user_put(txn, &u, &id), QS_EXISTS);
    CHECK_RC(qs_resolve(txn, QS_USER, "cuid-b", &rid), 0);
    CHECK_EQ(rid, bid);

    CHECK_RC(qs_user_put(txn, NULL, &id), QS_INVALID);
    CHECK_RC(qs_user_put(NULL, &u, &id), QS_INVALID);
    CHECK_RC(qs_user_get(txn, 55555, &got), QS_NOTFOUND);
    CHECK_RC(qs_user_get(txn, a, NULL), QS_INVALID);
    fx_commit(txn);
    qs_env_close(env);
}

/* ---- tests ------------------------------------------------------------------------ */

TEST(test_put_get_round_trip)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    qs_test t = {.size = sizeof t}, got = {.size = sizeof got};
    uint64_t id = 0, again = 0, rid;
    uint32_t list[5];

    fx_bank_build(env, &b);
    for (unsigned i = 0; i < 5; i++)
        list[i] = b.questions[10 - 2 * i];
    txn = fx_write(env);
    fx_test_init(&t, "test-ext-1", b.users[1], 0, list, 5, FX_T0 - 10 * FX_DAY_MS);
    t.mode = QS_MODE_TIMED;
    t.status = QS_TEST_PAUSED;
    t.last_activity_at = FX_T0 - 9 * FX_DAY_MS;
    CHECK_RC(qs_test_put(txn, &t, &id), 0);
    CHECK(id != 0);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_RC(qs_resolve(txn, QS_TEST, "test-ext-1", &rid), 0);
    CHECK_EQ(rid, id);
    CHECK_RC(qs_test_get(txn, id, &got), 0);
    CHECK_EQ(got.id, id);
    CHECK_STR(got.ext_id, "test-ext-1");
    CHECK_EQ(got.user, b.users[1]);
    CHECK_EQ(got.status, QS_TEST_PAUSED);
    CHECK_EQ(got.mode, QS_MODE_TIMED);
    CHECK_EQ(got.open_list, 0);
    CHECK_EQ(got.n_questions, 5);
    CHECK_EQ(got.created_at, FX_T0 - 10 * FX_DAY_MS);
    CHECK_EQ(got.last_activity_at, FX_T0 - 9 * FX_DAY_MS);
    CHECK_EQ(got.completed_at, 0);
    for (unsigned i = 0; i < 5; i++)
        CHECK_EQ(got.questions[i], list[i]);
    CHECK_RC(qs_test_get(txn, id + 1000, &got), QS_NOTFOUND);
    CHECK_RC(qs_test_get(txn, id, NULL), QS_INVALID);
    qs_txn_abort(txn);

    /* Completing it through the ext id. */
    txn = fx_write(env);
    t.status = QS_TEST_COMPLETED;
    t.completed_at = FX_T0 - 8 * FX_DAY_MS;
    t.last_activity_at = FX_T0 - 8 * FX_DAY_MS;
    CHECK_RC(qs_test_put(txn, &t, &again), 0);
    CHECK_EQ(again, id);
    CHECK_RC(qs_test_get(txn, id, &got), 0);
    CHECK_EQ(got.status, QS_TEST_COMPLETED);
    CHECK_EQ(got.completed_at, FX_T0 - 8 * FX_DAY_MS);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(test_put_rejects_bad_input)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    static qs_test t;
    uint64_t id = 0;
    uint32_t dup[3];

    fx_bank_build(env, &b);
    txn = fx_write(env);
#define BASE() fx_test_init(&t, "bad-test", b.users[0], 0, b.questions, 4, FX_T0)
    BASE();
    CHECK_RC(qs_test_put(NULL, &t, &id), QS_INVALID);
    CHECK_RC(qs_test_put(txn, NULL, &id), QS_INVALID);
    BASE();
    t.user = 4242;
    CHECK_RC(qs_test_put(txn, &t, &id), QS_NOTFOUND);
    BASE();
    uint32_t unknown[4] = {b.questions[0], b.questions[1], 4242, b.questions[3]};
    t.questions = unknown;
    CHECK_RC(qs_test_put(txn, &t, &id), QS_NOTFOUND);
    dup[0] = b.questions[0];
    dup[1] = b.questions[1];
    dup[2] = b.questions[0];
    fx_test_init(&t, "bad-test", b.users[0], 0, dup, 3, FX_T0);
    CHECK_RC(qs_test_put(txn, &t, &id), QS_INVALID);
    BASE();
    t.status = 0;
    CHECK_RC(qs_test_put(txn, &t, &id), QS_INVALID);
    BASE();
    t.status = QS_TEST_ABANDONED + 1;
    CHECK_RC(qs_test_put(txn, &t, &id), QS_INVALID);
    BASE();
    t.mode = 0;
    CHECK_RC(qs_test_put(txn, &t, &id), QS_INVALID);
    BASE();
    t.mode = QS_MODE_TIMED + 1;
    CHECK_RC(qs_test_put(txn, &t, &id), QS_INVALID);
    BASE();
    t.n_questions = QS_TEST_MAX_QUESTIONS + 1;
    CHECK_RC(qs_test_put(txn, &t, &id), QS_INVALID);
    /* Ext id of another test. */
    BASE();
    t.id = b.tests[0];
    snprintf(t.ext_id, sizeof t.ext_id, "test-1");
    CHECK_RC(qs_test_put(txn, &t, &id), QS_EXISTS);
#undef BASE
    CHECK_RC(qs_resolve(txn, QS_TEST, "bad-test", &id), QS_NOTFOUND);
    fx_commit(txn);
    qs_env_close(env);
}

TEST(test_put_holds_max_questions)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    qs_txn *txn;
    static qs_test t, got;
    static uint32_t qids[QS_TEST_MAX_QUESTIONS];
    char ext[32];
    uint64_t id = 0;

    fx_bank_build(env, &b);
    txn = fx_write(env);
    for (unsigned i = 0; i < QS_TEST_MAX_QUESTIONS; i++) {
        snprintf(ext, sizeof ext, "many-%u", i);
        qids[i] = fx_question(txn, ext, b.subject, b.systems[0], b.topics[0], 1, 0);
    }
    fx_test_init(&t, "full-test", b.users[0], 0, qids, QS_TEST_MAX_QUESTIONS, FX_T0);
    CHECK_RC(qs_test_put(txn, &t, &id), 0);
    CHECK_RC(qs_test_get(txn, id, &got), 0);
    CHECK_EQ(got.n_questions, QS_TEST_MAX_QUESTIONS);
    CHECK_EQ(got.questions[QS_TEST_MAX_QUESTIONS - 1], qids[QS_TEST_MAX_QUESTIONS - 1]);
    fx_commit(txn);
    qs_env_close(env);
}

/* ---- automatic ids ------------------------------------------------------------------ */

/* A system for topics and a user for tests (each takes id 1 of its kind). */
typedef struct id_parents {
    uint32_t system, user;
} id_parents;

static const qs_kind id_kinds[] = {QS_SUBJECT, QS_SYSTEM, QS_TOPIC, QS_QUESTION, QS_USER,
                                   QS_TEST};

static uint64_t max_id(qs_kind kind)
{
    return kind == QS_TEST ? UINT64_MAX : UINT32_MAX;
}

/* Put a new entity of @p kind with external id @p ext and id @p id (0: automatic). */
static uint64_t put_entity(qs_txn *txn, const id_parents *p, qs_kind kind, uint64_t id,
                           const char *ext)
{
    uint32_t id32 = 0;
    uint64_t id64 = 0;
    if (kind == QS_TEST) {
        qs_test t = {.size = sizeof t};
        fx_test_init(&t, ext, p->user, 1, NULL, 0, FX_T0);
        t.id = id;
        CHECK_RC(qs_test_put(txn, &t, &id64), 0);
        return id64;
    }
    if (kind == QS_QUESTION) {
        qs_question q = {.size = sizeof q};
        fx_question_init(&q, ext, 0, 0, 0, 1, 4, 0);
        q.id = (uint32_t)id;
        CHECK_RC(qs_question_put(txn, &q, &id32), 0);
    } else if (kind == QS_USER) {
        qs_user u = {.size = sizeof u, (uint32_t)id, "", FX_T0};
        snprintf(u.ext_id, sizeof u.ext_id, "%s", ext);
        CHECK_RC(qs_user_put(txn, &u, &id32), 0);
    } else {
        qs_taxon t = {.size = sizeof t, (uint32_t)id, kind == QS_TOPIC ? p->system : 0, "", ""};
        snprintf(t.name, sizeof t.name, "%s", ext);
        snprintf(t.ext_id, sizeof t.ext_id, "%s", ext);
        CHECK_RC(qs_taxon_put(txn, kind, &t, &id32), 0);
    }
    return id32;
}

/* Entity @p id of @p kind exists and carries external id @p ext, which resolves to it. */
static void check_entity(qs_txn *txn, qs_kind kind, uint64_t id, const char *ext)
{
    static qs_test t;
    qs_question q = {.size = sizeof q};
    qs_user u = {.size = sizeof u};
    qs_taxon x = {.size = sizeof x};
    const char *got;
    uint64_t resolved = 0;
    if (kind == QS_TEST) {
        CHECK_RC(qs_test_get(txn, id, &t), 0);
        got = t.ext_id;
    } else if (kind == QS_QUESTION) {
        CHECK_RC(qs_question_get(txn, (uint32_t)id, &q), 0);
        got = q.ext_id;
    } else if (kind == QS_USER) {
        CHECK_RC(qs_user_get(txn, (uint32_t)id, &u), 0);
        got = u.ext_id;
    } else {
        CHECK_RC(qs_taxon_get(txn, kind, (uint32_t)id, &x), 0);
        got = x.ext_id;
    }
    CHECK_STR(got, ext);
    CHECK_RC(qs_resolve(txn, kind, ext, &resolved), 0);
    CHECK_EQ(resolved, id);
}

static id_parents id_parents_put(qs_txn *txn)
{
    id_parents p;
    p.system = fx_taxon(txn, QS_SYSTEM, "parent-system", "Parent", 0);
    p.user = fx_user(txn, "parent-user", FX_T0);
    CHECK(p.system == 1 && p.user == 1);
    return p;
}

/* The first id an automatic put of @p kind takes in a store holding only the parents. */
static uint64_t first_free(qs_kind kind)
{
    return kind == QS_SYSTEM || kind == QS_USER ? 2 : 1;
}

TEST(explicit_max_id_leaves_automatic_ids)
{
    const char *dir = check_tmpdir();
    qs_env *env = fx_open(dir, NULL);
    qs_txn *txn = fx_write(env);
    id_parents p = id_parents_put(txn);
    char ext[32];
    for (size_t k = 0; k < NCASES(id_kinds); k++) {
        qs_kind kind = id_kinds[k];
        CHECK_EQ(put_entity(txn, &p, kind, max_id(kind), "at-max"), max_id(kind));
        for (unsigned i = 0; i < 3; i++) {   /* dense from the lowest free id */
            snprintf(ext, sizeof ext, "auto-%u", i);
            CHECK_EQ(put_entity(txn, &p, kind, 0, ext), first_free(kind) + i);
        }
    }
    fx_commit(txn);

    /* The counters went back to the lowest free ids for good: after a reopen too. */
    qs_env_close(env);
    env = fx_open(dir, NULL);
    txn = fx_write(env);
    for (size_t k = 0; k < NCASES(id_kinds); k++) {
        qs_kind kind = id_kinds[k];
        CHECK_EQ(put_entity(txn, &p, kind, 0, "auto-3"), first_free(kind) + 3);
        check_entity(txn, kind, max_id(kind), "at-max");
        for (unsigned i = 0; i < 4; i++) {
            snprintf(ext, sizeof ext, "auto-%u", i);
            check_entity(txn, kind, first_free(kind) + i, ext);
        }
    }
    fx_commit(txn);
    fx_check_clean(env);
    qs_env_close(env);
}

TEST(automatic_ids_take_the_lowest_free_id_and_never_a_taken_one)
{
    enum { DENSE = 40 };
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env);
    id_parents p = id_parents_put(txn);
    char ext[32];
    for (size_t k = 0; k < NCASES(id_kinds); k++) {
        qs_kind kind = id_kinds[k];
        uint64_t base = first_free(kind) - 1;   /* ids 1..base are the parents' */
        /* 1..DENSE taken by automatic puts, then explicit ones: a hole at DENSE + 1, a
         * run DENSE + 2 .. DENSE + 5, a hole, DENSE + 7, and the maximum. */
        for (unsigned i = 0; base + i < DENSE; i++) {
            snprintf(ext, sizeof ext, "dense-%u", i);
            CHECK_EQ(put_entity(txn, &p, kind, 0, ext), base + i + 1);
        }
        static const uint64_t taken[] = {DENSE + 2, DENSE + 3, DENSE + 4, DENSE + 5,
                                         DENSE + 7};
        for (size_t i = 0; i < NCASES(taken); i++) {
            snprintf(ext, sizeof ext, "explicit-%zu", i);
            CHECK_EQ(put_entity(txn, &p, kind, taken[i], ext), taken[i]);
        }
        CHECK_EQ(put_entity(txn, &p, kind, max_id(kind), "at-max"), max_id(kind));
        /* Past the maximum, automatic ids fill the holes in order and step over runs. */
        static const uint64_t want[] = {DENSE + 1, DENSE + 6, DENSE + 8, DENSE + 9};
        for (size_t i = 0; i < NCASES(want); i++) {
            snprintf(ext, sizeof ext, "filler-%zu", i);
            CHECK_EQ(put_entity(txn, &p, kind, 0, ext), want[i]);
        }
        /* Nothing was overwritten. */
        for (size_t i = 0; i < NCASES(taken); i++) {
            snprintf(ext, sizeof ext, "explicit-%zu", i);
            check_entity(txn, kind, taken[i], ext);
        }
        check_entity(txn, kind, max_id(kind), "at-max");
        for (unsigned i = 0; base + i < DENSE; i++) {
            snprintf(ext, sizeof ext, "dense-%u", i);
            check_entity(txn, kind, base + i + 1, ext);
        }
    }
    fx_commit(txn);
    fx_check_clean(env);
    qs_env_close(env);
}

TEST(drawn_tests_get_a_free_id_after_the_maximum)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    fx_bank_build(env, &b);   /* tests 1 and 2 */
    qs_txn *txn = fx_write(env);
    id_parents p = {b.systems[0], b.users[0]};
    CHECK_EQ(put_entity(txn, &p, QS_TEST, UINT64_MAX, "at-max"), UINT64_MAX);
    qs_draw d = {.size = sizeof d};
    static qs_test drawn;
    memset(&d, 0, sizeof d);
    d.user = b.users[0];
    d.pattern = QS_DRAW_FILTER;
    d.mode = QS_MODE_TUTOR;
    d.count = 3;
    d.created_at = FX_T0;
    CHECK_RC(qs_test_create(txn, &d, &drawn), 0);
    CHECK_EQ(drawn.id, 3);
    CHECK_EQ(put_entity(txn, &p, QS_TEST, 0, "after-draw"), 4);
    CHECK_RC(qs_test_create(txn, &d, &drawn), 0);
    CHECK_EQ(drawn.id, 5);
    check_entity(txn, QS_TEST, UINT64_MAX, "at-max");
    fx_commit(txn);
    fx_check_clean(env);
    qs_env_close(env);
}

/* ---- a test under its answers ------------------------------------------------------ */

/* Two questions, alice and bob, and alice's test t1 of q1;q2 answered on days 1 and 2. */
typedef struct answered_test {
    qs_env *env;
    fx_bank b;
    uint32_t q1, q2, alice, bob;
    uint64_t t1;
    int64_t created_at, newest;
} answered_test;

static void answered_test_build(answered_test *a)
{
    a->env = fx_open_tmp();
    fx_bank_build(a->env, &a->b);
    qs_txn *txn = fx_write(a->env);
    a->q1 = a->b.questions[0];
    a->q2 = a->b.questions[1];
    a->alice = fx_user(txn, "alice", FX_T0 - 10 * FX_DAY_MS);
    a->bob = fx_user(txn, "bob", FX_T0 - 10 * FX_DAY_MS);
    a->created_at = FX_T0 - 5 * FX_DAY_MS;
    uint32_t list[2] = {a->q1, a->q2};
    a->t1 = fx_test(txn, "t1", a->alice, 0, list, 2, a->created_at);
    fx_answer(txn, a->t1, a->q1, (int8_t)a->b.key[0], a->created_at + FX_DAY_MS);
    a->newest = a->created_at + 2 * FX_DAY_MS;
    fx_answer(txn, a->t1, a->q2, 3, a->newest);
    fx_commit(txn);
}

/* t1 as stored is exactly @p want, its answers are there, and it is listed for alice
 * alone. */
static void t1_is(qs_txn *txn, const answered_test *a, const qs_test *want)
{
    static qs_test got;
    qs_answer ans;
    qs_test_row rows[4];
    size_t n;
    CHECK_RC(qs_test_get(txn, a->t1, &got), 0);
    size_t from = offsetof(qs_test, id), to = offsetof(qs_test, questions);   /* not size */
    CHECK(memcmp((const char *)&got + from, (const char *)want + from, to - from) == 0);
    CHECK(want->n_questions == 0 ||
          memcmp(got.questions, want->questions, want->n_questions * sizeof got.questions[0]) == 0);
    CHECK_RC(qs_answer_get(txn, a->t1, a->q1, &ans), 0);
    CHECK_EQ(ans.user, a->alice);
    CHECK_RC(qs_answer_get(txn, a->t1, a->q2, &ans), 0);
    CHECK_EQ(ans.user, a->alice);
    CHECK_RC(qs_test_list(txn, a->alice, rows, 4, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(rows[0].id, a->t1);
    CHECK_EQ(rows[0].last_activity_at, want->last_activity_at);
    CHECK_RC(qs_test_list(txn, a->bob, rows, 4, &n), 0);
    CHECK_EQ(n, 0);
}

TEST(answered_test_keeps_its_user)
{
    static answered_test a;
    static qs_test t;
    static fx_kept_test stored;
    answered_test_build(&a);
    qs_txn *txn = fx_write(a.env);
    fx_get_kept(txn, a.t1, &stored);
    CHECK_EQ(stored.t.last_activity_at, a.newest);

    /* t1 again as bob's, listing q1 only: the whole change is refused */
    fx_test_init(&t, "t1", a.bob, 0, &a.q1, 1, a.created_at);
    CHECK_RC(qs_test_put(txn, &t, NULL), QS_INVALID);
    CHECK_MSG(strstr(qs_errmsg(), "test 't1'") && strstr(qs_errmsg(), "user 'alice'") &&
                  strstr(qs_errmsg(), "user 'bob'") && strstr(qs_errmsg(), "2 answers"),
              "errmsg: %s", qs_errmsg());
    /* as bob's with its whole list, and through its id */
    uint32_t both[2] = {a.q1, a.q2};
    fx_test_init(&t, "", a.bob, 0, both, 2, a.created_at);
    t.id = a.t1;
    CHECK_RC(qs_test_put(txn, &t, NULL), QS_INVALID);
    t1_is(txn, &a, &stored.t);
    fx_commit(txn);   /* refusals leave the transaction usable */

    txn = fx_read(a.env);
    t1_is(txn, &a, &stored.t);
    fx_check_clean_txn(txn);
    qs_txn_abort(txn);
    qs_env_close(a.env);
}

TEST(answered_question_stays_listed)
{
    static answered_test a;
    static qs_test t, got;
    static fx_kept_test stored;
    answered_test_build(&a);
    qs_txn *txn = fx_write(a.env);
    fx_get_kept(txn, a.t1, &stored);
    fx_test_init(&t, "t1", a.alice, 0, &a.q1, 1, a.created_at);
    CHECK_RC(qs_test_put(txn, &t, NULL), QS_INVALID);
    CHECK_MSG(strstr(qs_errmsg(), "test 't1'") && strstr(qs_errmsg(), "question 'q-1'"),
              "errmsg: %s", qs_errmsg());
    fx_test_init(&t, "t1", a.alice, 0, NULL, 0, a.created_at);
    CHECK_RC(qs_test_put(txn, &t, NULL), QS_INVALID);
    t1_is(txn, &a, &stored.t);

    /* reordered, and a question added: fine */
    uint32_t more[3] = {a.b.questions[5], a.q2, a.q1};
    fx_test_init(&t, "t1", a.alice, 0, more, 3, a.created_at);
    t.last_activity_at = a.newest;
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
    CHECK_RC(qs_test_get(txn, a.t1, &got), 0);
    CHECK_EQ(got.n_questions, 3);
    CHECK_EQ(got.questions[0], a.b.questions[5]);
    CHECK_EQ(got.questions[2], a.q1);

    /* an open list grows with its answers: given empty, it keeps the answered ones in
     * the order it listed them, and the same put again changes nothing */
    fx_test_init(&t, "t1", a.alice, 1, NULL, 0, a.created_at);
    t.last_activity_at = a.newest;
    for (int again = 0; again < 2; again++) {
        CHECK_RC(qs_test_put(txn, &t, NULL), 0);
        CHECK_RC(qs_test_get(txn, a.t1, &got), 0);
        CHECK_EQ(got.open_list, 1);
        CHECK_EQ(got.n_questions, 2);
        CHECK_EQ(got.questions[0], a.q2);
        CHECK_EQ(got.questions[1], a.q1);
    }
    fx_commit(txn);
    fx_check_clean(a.env);
    qs_env_close(a.env);
}

TEST(test_without_answers_changes_user)
{
    static answered_test a;
    static qs_test t, got;
    qs_test_row rows[4];
    size_t n;
    uint64_t t2;
    answered_test_build(&a);
    qs_txn *txn = fx_write(a.env);
    t2 = fx_test(txn, "t2", a.alice, 0, &a.q1, 1, a.created_at);
    fx_test_init(&t, "t2", a.bob, 0, &a.q2, 1, a.created_at);
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
    CHECK_RC(qs_test_get(txn, t2, &got), 0);
    CHECK_EQ(got.user, a.bob);
    CHECK_EQ(got.questions[0], a.q2);
    CHECK_RC(qs_test_list(txn, a.bob, rows, 4, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(rows[0].id, t2);
    CHECK_RC(qs_test_list(txn, a.alice, rows, 4, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(rows[0].id, a.t1);
    fx_commit(txn);
    fx_check_clean(a.env);
    qs_env_close(a.env);
}

TEST(test_refusals_name_internal_ids_without_external_ones)
{
    static answered_test a;
    static qs_test t;
    char want[64];
    answered_test_build(&a);
    qs_txn *txn = fx_write(a.env);
    uint32_t carl = fx_user(txn, "", FX_T0), dora = fx_user(txn, "", FX_T0);
    uint64_t t3 = fx_test(txn, "", carl, 1, NULL, 0, a.created_at);
    fx_answer(txn, t3, a.q2, 1, a.created_at);
    fx_test_init(&t, "", dora, 1, &a.q2, 1, a.created_at);
    t.id = t3;
    CHECK_RC(qs_test_put(txn, &t, NULL), QS_INVALID);
    snprintf(want, sizeof want, "test %llu belongs to user %u", (unsigned long long)t3, carl);
    CHECK_MSG(strstr(qs_errmsg(), want) && strstr(qs_errmsg(), "1 answer:"),
              "errmsg: %s", qs_errmsg());
    fx_commit(txn);
    qs_env_close(a.env);
}

TEST(test_times_never_go_back_past_its_answers)
{
    static answered_test a;
    static qs_test t, got;
    qs_test_row rows[4];
    size_t n;
    answered_test_build(&a);
    qs_txn *txn = fx_write(a.env);
    /* the platform's row again, its last activity as old as its creation: no change */
    uint32_t both[2] = {a.q1, a.q2};
    fx_test_init(&t, "t1", a.alice, 0, both, 2, a.created_at);
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
    CHECK_RC(qs_test_get(txn, a.t1, &got), 0);
    CHECK_EQ(got.last_activity_at, a.newest);
    /* paused, with an older time: paused, at its newest answer */
    t.status = QS_TEST_PAUSED;
    t.last_activity_at = a.created_at + 1;
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
    CHECK_RC(qs_test_get(txn, a.t1, &got), 0);
    CHECK_EQ(got.status, QS_TEST_PAUSED);
    CHECK_EQ(got.last_activity_at, a.newest);
    CHECK_RC(qs_test_list(txn, a.alice, rows, 4, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(rows[0].status, QS_TEST_PAUSED);
    CHECK_EQ(rows[0].last_activity_at, a.newest);
    /* a later time stands */
    t.last_activity_at = a.newest + FX_HOUR_MS;
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
    CHECK_RC(qs_test_get(txn, a.t1, &got), 0);
    CHECK_EQ(got.last_activity_at, a.newest + FX_HOUR_MS);

    /* an open-list test completed before its last answer ends with it */
    uint64_t open = a.b.tests[0];
    fx_answer(txn, open, a.q1, 0, a.created_at);
    fx_answer(txn, open, a.q2, 0, a.newest);
    fx_test_init(&t, "test-0", a.b.users[0], 1, both, 2, a.created_at - FX_DAY_MS);
    t.status = QS_TEST_COMPLETED;
    t.completed_at = a.created_at;
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
    CHECK_RC(qs_test_get(txn, open, &got), 0);
    CHECK_EQ(got.status, QS_TEST_COMPLETED);
    CHECK_EQ(got.completed_at, a.newest);
    CHECK_EQ(got.last_activity_at, a.newest);
    /* a closed list completed before its last answer keeps its completed_at */
    fx_test_init(&t, "t1", a.alice, 0, both, 2, a.created_at);
    t.status = QS_TEST_COMPLETED;
    t.completed_at = a.created_at;
    CHECK_RC(qs_test_put(txn, &t, NULL), 0);
    CHECK_RC(qs_test_get(txn, a.t1, &got), 0);
    CHECK_EQ(got.completed_at, a.created_at);
    CHECK_EQ(got.last_activity_at, a.newest);
    fx_commit(txn);
    fx_check_clean(a.env);
    qs_env_close(a.env);
}

/* ---- a topic moved to another system ------------------------------------------------ */

static size_t listed_questions(qs_txn *txn, uint32_t system, uint32_t topic, uint8_t band,
                               uint32_t *ids, size_t cap)
{
    qs_question_filter f = {.size = sizeof f};
    size_t n;
    memset(&f, 0, sizeof f);
    f.system = system;
    f.topic = topic;
    f.band = band;
    CHECK_RC(qs_question_list(txn, &f, NULL, ids, cap, &n, NULL), 0);
    CHECK_MSG(n <= cap, "more than %zu questions listed", cap);
    return n;
}

static uint32_t pool_size(qs_txn *txn, uint8_t kind, uint32_t a, uint32_t b, uint32_t c)
{
    qs_pool_info pools[64];
    size_t n;
    CHECK_RC(qs_pools_list(txn, pools, 64, &n), 0);
    CHECK(n <= 64);
    for (size_t i = 0; i < n; i++)
        if (pools[i].kind == kind && pools[i].a == a && pools[i].b == b && pools[i].c == c)
            return pools[i].size;
    return 0;
}

TEST(moved_topic_carries_its_questions)
{
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env);
    static qs_question q;
    static qs_test drawn;
    qs_taxon topic = {.size = sizeof topic};
    qs_answer ans;
    qs_progress_row progress[4];
    uint32_t ids[8], subj, cardio, neuro, arr, hf, q9, q10, q11, user, got_id;
    size_t n;

    subj = fx_taxon(txn, QS_SUBJECT, "med", "Medicine", 0);
    cardio = fx_taxon(txn, QS_SYSTEM, "cardio", "Cardiology", 0);
    neuro = fx_taxon(txn, QS_SYSTEM, "neuro", "Neurology", 0);
    arr = fx_taxon(txn, QS_TOPIC, "arr", "Arrhythmia", cardio);
    hf = fx_taxon(txn, QS_TOPIC, "hf", "Heart failure", cardio);
    q9 = fx_question(txn, "q9", subj, cardio, arr, 1, 0);
    fx_question_init(&q, "q10", subj, cardio, arr, 3, 4, 1);
    q.active = 0;
    CHECK_RC(qs_question_put(txn, &q, &q10), 0);
    q11 = fx_question(txn, "q11", subj, cardio, hf, 1, 0);
    user = fx_user(txn, "alice", FX_T0 - 10 * FX_DAY_MS);
    uint64_t t = fx_test(txn, "t9", user, 0, &q9, 1, FX_T0 - 5 * FX_DAY_MS);
    fx_answer(txn, t, q9, 0, FX_T0 - 4 * FX_DAY_MS);   /* correct: band 9 */
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_EQ(listed_questions(txn, 0, arr, 0, ids, 8), 2);
    CHECK_EQ(listed_questions(txn, cardio, 0, 0, ids, 8), 3);
    CHECK_EQ(pool_size(txn, QS_POOL_TOPIC, cardio, arr, 1), 1);
    qs_txn_abort(txn);

    /* arr moves under neuro: q9 and q10 go with it, q11 stays */
    txn = fx_write(env);
    memset(&topic, 0, sizeof topic);
    snprintf(topic.ext_id, sizeof topic.ext_id, "arr");
    snprintf(topic.name, sizeof topic.name, "Arrhythmia");
    topic.parent = neuro;
    CHECK_RC(qs_taxon_put(txn, QS_TOPIC, &topic, &got_id), 0);
    CHECK_EQ(got_id, arr);
    fx_commit(txn);

    txn = fx_read(env);
    CHECK_EQ(listed_questions(txn, 0, arr, 0, ids, 8), 2);
    CHECK(ids[0] == q9 && ids[1] == q10);
    CHECK_EQ(listed_questions(txn, neuro, 0, 0, ids, 8), 2);
    CHECK_EQ(listed_questions(txn, neuro, arr, 0, ids, 8), 2);
    CHECK_EQ(listed_questions(txn, cardio, 0, 0, ids, 8), 1);
    CHECK_EQ(ids[0], q11);
    CHECK_EQ(listed_questions(txn, neuro, 0, 10, ids, 8), 1);   /* q_band moved */
    CHECK_EQ(ids[0], q9);
    CHECK_EQ(listed_questions(txn, cardio, 0, 10, ids, 8), 0);
    CHECK_EQ(pool_size(txn, QS_POOL_TOPIC, neuro, arr, 1), 1);
    CHECK_EQ(pool_size(txn, QS_POOL_TOPIC, cardio, arr, 1), 0);
    CHECK_EQ(pool_size(txn, QS_POOL_SYSTEM, neuro, 1, 0), 1);
    CHECK_EQ(pool_size(txn, QS_POOL_SYSTEM, cardio, 1, 0), 1);
    CHECK_EQ(pool_size(txn, QS_POOL_BAND, neuro, 9, 0), 1);
    CHECK_RC(qs_question_get(txn, q10, &q), 0);
    CHECK(q.system == neuro && q.topic == arr && q.subject == subj && q.active == 0);
    /* the answer keeps the topic it was given under, and progress stays */
    CHECK_RC(qs_answer_get(txn, t, q9, &ans), 0);
    CHECK_EQ(ans.topic, arr);
    CHECK_RC(qs_progress(txn, user, progress, 4, &n), 0);
    CHECK(n == 1 && progress[0].topic == arr && progress[0].attempts == 1);
    fx_check_clean_txn(txn);
    qs_txn_abort(txn);

    /* q9 put back as it reads, with a new stem: accepted */
    txn = fx_write(env);
    CHECK_RC(qs_question_get(txn, q9, &q), 0);
    q.stem.ptr = "A new stem";
    q.stem.len = strlen(q.stem.ptr);
    CHECK_RC(qs_question_put(txn, &q, NULL), 0);
    /* with the tags it had before the move: the topic is neuro's now */
    q.system = cardio;
    CHECK_RC(qs_question_put(txn, &q, NULL), QS_INVALID);
    CHECK_MSG(strstr(qs_errmsg(), "topic 'arr' belongs to system 'neuro', not system 'cardio'"),
              "errmsg: %s", qs_errmsg());
    /* a draw from neuro finds q9 */
    qs_draw d = {.size = sizeof d};
    memset(&d, 0, sizeof d);
    d.user = user;
    d.pattern = QS_DRAW_FILTER;
    d.mode = QS_MODE_TUTOR;
    d.system = neuro;
    d.count = 5;
    d.created_at = FX_T0;
    CHECK_RC(qs_test_create(txn, &d, &drawn), 0);
    CHECK(drawn.n_questions == 1 && drawn.questions[0] == q9);
    fx_commit(txn);
    fx_check_clean(env);
    qs_env_close(env);
}

TEST(no_id_left_only_when_every_id_is_taken)
{
    /* The engine's id search, bounded at 4 instead of UINT32_MAX. */
    qs_env *env = fx_open_tmp();
    qs_txn *txn = fx_write(env);
    id_parents p = id_parents_put(txn);
    uint64_t id = 99;
    put_entity(txn, &p, QS_SUBJECT, 1, "s1");
    put_entity(txn, &p, QS_SUBJECT, 2, "s2");
    put_entity(txn, &p, QS_SUBJECT, 4, "s4");
    CHECK_RC(eng_counter_take(txn, ENG_NEXT_SUBJECT, 4, &id), 0);
    CHECK_EQ(id, 3);
    put_entity(txn, &p, QS_SUBJECT, 3, "s3");
    CHECK_RC(eng_counter_take(txn, ENG_NEXT_SUBJECT, 4, &id), 0);
    CHECK_EQ(id, 0);
    CHECK_RC(eng_counter_take(txn, ENG_NEXT_SUBJECT, 5, &id), 0);
    CHECK_EQ(id, 5);
    qs_txn_abort(txn);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(taxon_put_assigns_resolves_and_updates),
        CASE(taxon_put_with_explicit_id),
        CASE(taxon_put_rejects_bad_input),
        CASE(question_round_trip),
        CASE(question_update_and_explicit_id),
        CASE(question_put_rejects_bad_input),
        CASE(bank_compress_keeps_texts),
        CASE(user_put_get_and_conflicts),
        CASE(test_put_get_round_trip),
        CASE(test_put_rejects_bad_input),
        CASE(test_put_holds_max_questions),
        CASE(explicit_max_id_leaves_automatic_ids),
        CASE(automatic_ids_take_the_lowest_free_id_and_never_a_taken_one),
        CASE(drawn_tests_get_a_free_id_after_the_maximum),
        CASE(no_id_left_only_when_every_id_is_taken),
        CASE(answered_test_keeps_its_user),
        CASE(answered_question_stays_listed),
        CASE(test_without_answers_changes_user),
        CASE(test_refusals_name_internal_ids_without_external_ones),
        CASE(test_times_never_go_back_past_its_answers),
        CASE(moved_topic_carries_its_questions),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
