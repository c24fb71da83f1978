/* Golden vectors and damage checks for the column form of sealed blocks (block.c).
 * A change of a vector here is a change of the on-disk format. */
#include "check.h"
#include "rows.h"

static void check_bytes(const uint8_t *got, size_t got_n, const uint8_t *want, size_t n)
{
    CHECK_EQ(got_n, n);
    for (size_t i = 0; i < n && i < got_n; i++)
        CHECK_MSG(got[i] == want[i], "byte %zu: got 0x%02x, want 0x%02x", i, got[i], want[i]);
}

static int same_answer(const eng_answer *a, const eng_answer *b)
{
    return a->user == b->user && a->created_at == b->created_at && a->id == b->id &&
           a->test == b->test && a->question == b->question && a->topic == b->topic &&
           a->correct == b->correct && a->status == b->status && a->score == b->score &&
           a->chosen == b->chosen && a->time_ms == b->time_ms;
}

static void two_answers(eng_row rows[2])
{
    memset(rows, 0, 2 * sizeof *rows);
    rows[0].a = (eng_answer){7, 1000, 5, 9, 300, 2, 1, 1, 50, 2, 60000};
    rows[1].a = (eng_answer){7, 1500, 4, 9, 301, 2, 0, 3, 0, -1, 0};
}

static const uint8_t answers_golden[] = {
    0xd0, 0x0f, 0xf4, 0x03,   /* created_at: zigzag 1000, then +500 */
    0x0a, 0x01,               /* id: zigzag +5, -1 */
    0x12, 0x00,               /* test: zigzag +9, +0 */
    0xac, 0x02, 0xad, 0x02,   /* question 300, 301 */
    0x02, 0x02,               /* topic */
    0x01, 0x00,               /* correct */
    0x01, 0x03,               /* status */
    0x32, 0x00,               /* score */
    0x02, 0xff,               /* chosen */
    0xe0, 0xd4, 0x03, 0x00,   /* time_ms 60000, 0 */
};

TEST(answer_block_golden)
{
    eng_row rows[2], back[2];
    uint8_t out[256];
    two_answers(rows);
    CHECK(eng_block_bound(ENG_T_ANSWER, 2, 0) <= sizeof out);
    size_t n = eng_block_encode(ENG_T_ANSWER, rows, 2, out);
    check_bytes(out, n, answers_golden, sizeof answers_golden);
    CHECK_RC(eng_block_decode(ENG_T_ANSWER, 7, out, n, back, 2), 0);
    CHECK(same_answer(&back[0].a, &rows[0].a));
    CHECK(same_answer(&back[1].a, &rows[1].a));
}

TEST(interaction_block_golden)
{
    eng_row rows[2], back[2];
    uint8_t out[256];
    memset(rows, 0, sizeof rows);
    rows[0].i = (eng_ixn){3, -5, 1, 4, 2, (const uint8_t *)"ab"};
    rows[1].i = (eng_ixn){3, -5, 2, 1, 0, NULL};
    static const uint8_t want[] = {0x09, 0x00, 0x02, 0x02, 0x04, 0x01, 0x02, 0x00, 'a', 'b'};
    size_t n = eng_block_encode(ENG_T_INTERACTION, rows, 2, out);
    check_bytes(out, n, want, sizeof want);
    CHECK_RC(eng_block_decode(ENG_T_INTERACTION, 3, out, n, back, 2), 0);
    CHECK_EQ(back[0].i.created_at, -5);
    CHECK_EQ(back[1].i.seq, 2u);
    CHECK_EQ(back[0].i.payload_len, 2u);
    CHECK(memcmp(back[0].i.payload, "ab", 2) == 0);
    CHECK_EQ(back[1].i.action, 1u);
}

TEST(random_blocks_round_trip)
{
    static eng_row rows[ENG_BLOCK_ROWS], back[ENG_BLOCK_ROWS];
    static uint8_t payloads[ENG_BLOCK_ROWS][64];
    static uint8_t out[ENG_BLOCK_ROWS * 200];
    for (int round = 0; round < 200; round++) {
        eng_table table = round % 2 ? ENG_T_INTERACTION : ENG_T_ANSWER;
        size_t n = 1 + (size_t)check_below(ENG_BLOCK_ROWS);
        int64_t at = check_range(-62135596800000LL, 253402300000000LL);
        uint64_t id = check_rand();
        memset(rows, 0, sizeof rows);
        for (size_t i = 0; i < n; i++) {
            at += (int64_t)check_below(3) * (int64_t)check_below(1u << 30);
            id = i && rows[i - 1].a.created_at == at ? id + 1 + check_below(9) : check_rand();
            if (table == ENG_T_ANSWER) {
                rows[i].a = (eng_answer){42, at, id, check_rand(), (uint32_t)check_rand(),
                                         (uint32_t)check_rand(), (uint8_t)check_rand(),
                                         (uint8_t)check_rand(), (uint8_t)check_rand(),
                                         (int8_t)check_rand(), (uint32_t)check_rand()};
            } else {
                size_t len = (size_t)check_below(64);
                for (size_t j = 0; j < len; j++)
                    payloads[i][j] = (uint8_t)check_rand();
                rows[i].i = (eng_ixn){42, at, id, (uint8_t)check_rand(), (uint16_t)len,
                                      payloads[i]};
            }
        }
        CHECK(eng_block_bound(table, n, n * 64) <= sizeof out);
        size_t len = eng_block_encode(table, rows, n, out);
        CHECK_RC(eng_block_decode(table, 42, out, len, back, n), 0);
        for (size_t i = 0; i < n; i++) {
            CHECK_EQ(back[i].a.created_at, rows[i].a.created_at);
            CHECK_EQ(back[i].a.id, rows[i].a.id);
            if (table == ENG_T_ANSWER)
                CHECK(same_answer(&back[i].a, &rows[i].a));
            else
                CHECK(back[i].i.payload_len == rows[i].i.payload_len &&
                      back[i].i.action == rows[i].i.action &&
                      memcmp(back[i].i.payload, rows[i].i.payload, rows[i].i.payload_len) == 0);
        }
    }
}

TEST(damaged_blocks_do_not_decode)
{
    eng_row rows[2], back[3];
    uint8_t out[64];
    two_answers(rows);
    size_t n = eng_block_encode(ENG_T_ANSWER, rows, 2, out);
    /* every truncation, one extra byte, and one row too many or too few */
    for (size_t cut = 0; cut < n; cut++)
        CHECK_RC(eng_block_decode(ENG_T_ANSWER, 7, out, cut, back, 2), QS_CORRUPT);
    out[n] = 0;
    CHECK_RC(eng_block_decode(ENG_T_ANSWER, 7, out, n + 1, back, 2), QS_CORRUPT);
    CHECK_RC(eng_block_decode(ENG_T_ANSWER, 7, out, n, back, 3), QS_CORRUPT);
    CHECK_RC(eng_block_decode(ENG_T_ANSWER, 7, out, n, back, 1), QS_CORRUPT);
    /* rows out of key order: the second row's id back at the first's */
    rows[1].a.created_at = rows[0].a.created_at;
    rows[1].a.id = rows[0].a.id;
    n = eng_block_encode(ENG_T_ANSWER, rows, 2, out);
    CHECK_RC(eng_block_decode(ENG_T_ANSWER, 7, out, n, back, 2), QS_CORRUPT);
    /* an endless varint */
    memset(out, 0xff, sizeof out);
    CHECK_RC(eng_block_decode(ENG_T_ANSWER, 7, out, sizeof out, back, 2), QS_CORRUPT);
    /* a payload length beyond the bytes there are */
    static const uint8_t long_payload[] = {0x09, 0x02, 0x04, 0x7f, 'a'};
    CHECK_RC(eng_block_decode(ENG_T_INTERACTION, 3, long_payload, sizeof long_payload, back, 1),
             QS_CORRUPT);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CASE(answer_block_golden),
        CASE(interaction_block_golden),
        CASE(random_blocks_round_trip),
        CASE(damaged_blocks_do_not_decode),
    };
    return check_main(argc, argv, cases, NCASES(cases));
}
