/* Tests history cursors: text form, forged, altered, other-user and other-store ones. */
#include "check.h"
#include "fixture.h"

#define PER_USER 24

/* A bank where users 0 and 1 each answered PER_USER questions of a bigger bank. */
static void build_store(qs_env *env, fx_bank *b, uint32_t *questions)
{
    qs_txn *txn;
    char ext[32];
    fx_bank_build(env, b);
    txn = fx_write(env);
    for (unsigned i = 0; i < PER_USER; i++) {
        snprintf(ext, sizeof ext, "cq-%u", i);
        questions[i] = fx_question(txn, ext, b->subject, b->systems[0], b->topics[1], 2, 1);
    }
    for (unsigned i = 0; i < PER_USER; i++)
        for (unsigned u = 0; u < 2; u++)
            fx_answer(txn, b->tests[u], questions[i], (int8_t)(i % 4),
                      FX_T0 - (int64_t)(i * 7 + u) * FX_HOUR_MS);
    fx_commit(txn);
}

static qs_cursor first_page_cursor(qs_txn *txn, uint32_t user, qs_history_row *rows,
                                   size_t cap)
{
    qs_cursor next;
    size_t n = 0;
    memset(&next, 0, sizeof next);
    CHECK_RC(qs_history(txn, user, NULL, rows, cap, &n, &next), 0);
    CHECK_EQ(n, cap + 1);   /* a full page, and more rows after it */
    return next;
}

TEST(text_form_round_trips)
{
    qs_cursor c, back;
    char text[QS_CURSOR_TEXT_SIZE];

    for (int round = 0; round < 200; round++) {
        for (unsigned i = 0; i < QS_CURSOR_SIZE; i++)
            c.bytes[i] = (unsigned char)check_rand();
        if (round == 0)
            memset(c.bytes, 0, sizeof c.bytes);
        if (round == 1)
            memset(c.bytes, 0xff, sizeof c.bytes);
        memset(text, '#', sizeof text);
        qs_cursor_format(&c, text);
        CHECK_EQ(strlen(text), QS_CURSOR_TEXT_SIZE - 1);
        for (unsigned i = 0; i < QS_CURSOR_TEXT_SIZE - 1; i++) {
            char ch = text[i];
            CHECK_MSG((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_',
                      "character %d of \"%s\" is not URL-safe", (int)i, text);
        }
        memset(&back, 0, sizeof back);
        CHECK_RC(qs_cursor_parse(text, &back), 0);
        CHECK(memcmp(back.bytes, c.bytes, QS_CURSOR_SIZE) == 0);
    }
}

TEST(parse_rejects_malformed_text)
{
    qs_cursor c, out;
    char text[QS_CURSOR_TEXT_SIZE], bad[64];
    static const char bad_chars[] = {'+', '/', '=', ' ', '.', '~', '\n', '\x80'};

    memset(c.bytes, 0x3c, sizeof c.bytes);
    qs_cursor_format(&c, text);
    CHECK_RC(qs_cursor_parse("", &out), QS_BAD_CURSOR);
    snprintf(bad, sizeof bad, "%.*s", QS_CURSOR_TEXT_SIZE - 2, text);
    CHECK_RC(qs_cursor_parse(bad, &out), QS_BAD_CURSOR);
    snprintf(bad, sizeof bad, "%sA", text);
    CHECK_RC(qs_cursor_parse(bad, &out), QS_BAD_CURSOR);
    for (size_t i = 0; i < sizeof bad_chars; i++) {
        snprintf(bad, sizeof bad, "%s", text);
        bad[check_below(QS_CURSOR_TEXT_SIZE - 1)] = bad_chars[i];
        CHECK_MSG(qs_cursor_parse(bad, &out) == QS_BAD_CURSOR, "accepted \"%s\"", bad);
    }
    CHECK_RC(qs_cursor_parse(NULL, &out), QS_INVALID);
    CHECK_RC(qs_cursor_parse(text, NULL), QS_INVALID);
}

TEST(genuine_cursor_resumes_also_from_text)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    uint32_t questions[PER_USER];
    qs_txn *txn;
    qs_history_row first[5], a[5], via_text[5];
    qs_cursor next, parsed, next_a, next_t;
    char text[QS_CURSOR_TEXT_SIZE];
    size_t na = 0, nt = 0;

    build_store(env, &b, questions);
    txn = fx_read(env);
    next = first_page_cursor(txn, b.users[0], first, 5);
    qs_cursor_format(&next, text);
    CHECK_RC(qs_cursor_parse(text, &parsed), 0);
    CHECK_RC(qs_history(txn, b.users[0], &next, a, 5, &na, &next_a), 0);
    CHECK_RC(qs_history(txn, b.users[0], &parsed, via_text, 5, &nt, &next_t), 0);
    CHECK_EQ(na, 6);   /* 5 rows, and more follow */
    CHECK_EQ(nt, 6);
    for (size_t i = 0; i < 5; i++) {
        CHECK_EQ(a[i].answer_id, via_text[i].answer_id);
        CHECK(a[i].created_at < first[4].created_at ||
              (a[i].created_at == first[4].created_at && a[i].answer_id < first[4].answer_id));
    }
    CHECK(memcmp(next_a.bytes, next_t.bytes, QS_CURSOR_SIZE) == 0);
    /* next may be NULL. */
    CHECK_RC(qs_history(txn, b.users[0], &next, a, 5, &na, NULL), 0);
    CHECK_EQ(na, 6);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(altered_cursors_are_rejected)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    uint32_t questions[PER_USER];
    qs_txn *txn;
    qs_history_row rows[4];
    qs_cursor genuine, forged;
    size_t n;

    build_store(env, &b, questions);
    txn = fx_read(env);
    genuine = first_page_cursor(txn, b.users[0], rows, 4);
    for (unsigned i = 0; i < QS_CURSOR_SIZE; i++) {
        for (unsigned bit = 0; bit < 8; bit += 3) {
            forged = genuine;
            forged.bytes[i] ^= (unsigned char)(1u << bit);
            n = 99;
            CHECK_MSG(qs_history(txn, b.users[0], &forged, rows, 4, &n, NULL) == QS_BAD_CURSOR,
                      "flipping bit %u of byte %u was accepted", bit, i);
        }
    }
    memset(&forged, 0, sizeof forged);
    CHECK_RC(qs_history(txn, b.users[0], &forged, rows, 4, &n, NULL), QS_BAD_CURSOR);
    for (int round = 0; round < 50; round++) {
        for (unsigned i = 0; i < QS_CURSOR_SIZE; i++)
            forged.bytes[i] = (unsigned char)check_rand();
        CHECK_RC(qs_history(txn, b.users[0], &forged, rows, 4, &n, NULL), QS_BAD_CURSOR);
    }
    /* The genuine one still works. */
    CHECK_RC(qs_history(txn, b.users[0], &genuine, rows, 4, &n, NULL), 0);
    CHECK_EQ(n, 5);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(other_users_cursor_is_rejected)
{
    qs_env *env = fx_open_tmp();
    fx_bank b;
    uint32_t questions[PER_USER];
    qs_txn *txn;
    qs_history_row rows[6];
    qs_cursor of_user0, of_user1;
    size_t n = 0;

    build_store(env, &b, questions);
    txn = fx_read(env);
    of_user0 = first_page_cursor(txn, b.users[0], rows, 6);
    of_user1 = first_page_cursor(txn, b.users[1], rows, 6);
    CHECK_RC(qs_history(txn, b.users[1], &of_user0, rows, 6, &n, NULL), QS_BAD_CURSOR);
    CHECK_RC(qs_history(txn, b.users[0], &of_user1, rows, 6, &n, NULL), QS_BAD_CURSOR);
    CHECK_RC(qs_history(txn, 4242, &of_user0, rows, 6, &n, NULL), QS_NOTFOUND);
    CHECK_RC(qs_history(txn, b.users[0], &of_user0, rows, 6, &n, NULL), 0);
    qs_txn_abort(txn);
    qs_env_close(env);
}

TEST(other_stores_cursor_is_rejected)
{
    qs_env *one = fx_open_tmp(), *two = fx_open_tmp();
    fx_bank b1, b2;
    uint32_t q1[PER_USER], q2[PER_USER];
    qs_txn *t1, *t2;
    qs_history_row rows[5];
    qs_cursor c1;
    size_t n = 0;

    /* Two stores with the same content: ids coincide, the cursors must not. */
    build_store(one, &b1, q1);
    build_store(two, &b2, q2);
    CHECK_EQ(b1.users[0], b2.users[0]);
    t1 = fx_read(one);
    t2 = fx_read(two);
    c1 = first_page_cursor(t1, b1.users[0], rows, 5);
    CHECK_RC(qs_history(t2, b2.users[0], &c1, rows, 5, &n, NULL), QS_BAD_CURSOR);
    CHECK_RC(qs_history(t1, b1.users[0], &c1, rows, 5, &n, NULL), 0);
    qs_txn_abort(t1);
    qs_txn_abort(t2);
    qs_env_close(one);
    qs_env_close(two);
}

TEST(cursor_survives_reopen)
{
    const char *dir = check_tmpdir();
    qs_env *env = fx_open(dir, NULL);
    fx_bank b;
    uint32_t questions[PER_USER];
    qs_txn *txn;
    qs_history_row before[5], after[5];
    qs_cursor c;
    size_t nb = 0, na = 0;

    build_store(env, &b, questions);
    txn = fx_read(env);
    c = first_page_cursor(txn, b.users[1], before, 5);
    CHECK_RC(qs_history(txn, b.users[1], &c, before, 5, &nb, NULL), 0);
    qs_txn_abort(txn);
    qs_env_close(env);

    env = fx_open(dir, NULL);
    txn = fx_read(env);
    CHECK_RC(qs_history(txn, b.users[1], &c, after, 5, &na, NULL), 0);
    CHECK_EQ(na, nb);
    for (size_t i = 0; i < na && i < 5; i++)
        CHECK_EQ(after[i].answer_id, before[i].answer_id);
    qs_txn_abort(txn);
    qs_env_close(env);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(text_form_round_trips),
        CASE(parse_rejects_malformed_text),
        CASE(genuine_cursor_resumes_also_from_text),
        CASE(altered_cursors_are_rejected),
        CASE(other_users_cursor_is_rejected),
        CASE(other_stores_cursor_is_rejected),
        CASE(cursor_survives_reopen),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
