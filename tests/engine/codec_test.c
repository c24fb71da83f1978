/* Golden byte vectors for the key, body and record codecs, and the period math of
 * time buckets. A change here is a change of the on-disk format. */
#include <time.h>

#include "check.h"
#include "engine.h"
#include "model.h"

static void check_bytes(const uint8_t *got, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(got[i] == want[i], "byte %zu: got 0x%02x, want 0x%02x", i, got[i], want[i]);
}

static const struct {
    int64_t t;
    uint8_t bytes[8];
} time_vectors[] = {
    {0, {0x80, 0, 0, 0, 0, 0, 0, 0}},
    {-1, {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    {1767225600000LL, {0x80, 0x00, 0x01, 0x9b, 0x76, 0xda, 0xa8, 0x00}},
    {INT64_MIN, {0, 0, 0, 0, 0, 0, 0, 0}},
    {INT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
};

TEST(key_fields_are_big_endian_and_ordered)
{
    eng_key k;
    ek_reset(&k);
    ek_u8(&k, 0xab);
    ek_u16(&k, 0x0102);
    ek_u32(&k, 0x03040506);
    ek_u64(&k, 0x0708090a0b0c0d0eULL);
    ek_day(&k, -1);
    ek_bytes(&k, "xy", 2);
    static const uint8_t want[] = {0xab, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                   0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x7f, 0xff, 0xff,
                                   0xff, 'x', 'y'};
    CHECK_EQ(k.n, sizeof want);
    check_bytes(k.b, want, sizeof want);
}

TEST(time_keys_sort_like_times)
{
    for (size_t i = 0; i < NCASES(time_vectors); i++) {
        eng_key k;
        ek_reset(&k);
        ek_time(&k, time_vectors[i].t);
        check_bytes(k.b, time_vectors[i].bytes, 8);
        CHECK_EQ(eng_time_from_bits(eng_get64(k.b)), time_vectors[i].t);
    }
    for (int i = 0; i < 1000; i++) {   /* memcmp order is numeric order */
        int64_t a = (int64_t)(check_rand() >> 1) - INT64_MAX / 2;
        int64_t b = (int64_t)(check_rand() >> 1) - INT64_MAX / 2;
        eng_key ka, kb;
        ek_reset(&ka);
        ek_reset(&kb);
        ek_time(&ka, a);
        ek_time(&kb, b);
        int c = memcmp(ka.b, kb.b, 8);
        CHECK((a < b && c < 0) || (a > b && c > 0) || (a == b && c == 0));
    }
}

TEST(body_round_trip_and_overflow)
{
    uint8_t buf[64];
    eng_wbuf w;
    wb_init(&w, buf, sizeof buf);
    wb_u8(&w, 9);
    wb_u16(&w, 0xbeef);
    wb_u32(&w, 0xdeadbeef);
    wb_u64(&w, 42);
    wb_time(&w, -5);
    wb_str(&w, "ext");
    wb_blob(&w, "blob", 4);
    CHECK(!w.overflow);
    static const uint8_t want[] = {9, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0,
                                   42, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb, 3,
                                   'e', 'x', 't', 0, 0, 0, 4, 'b', 'l', 'o', 'b'};
    CHECK_EQ(w.n, sizeof want);
    check_bytes(buf, want, sizeof want);

    eng_rbuf r;
    char s[8];
    size_t n;
    rb_init(&r, buf, w.n);
    CHECK_EQ(rb_u8(&r), 9);
    CHECK_EQ(rb_u16(&r), 0xbeef);
    CHECK_EQ(rb_u32(&r), 0xdeadbeef);
    CHECK_EQ(rb_u64(&r), 42);
    CHECK_EQ(rb_time(&r), -5);
    rb_str(&r, s, sizeof s);
    CHECK_STR(s, "ext");
    const uint8_t *p = rb_blob(&r, &n);
    CHECK(p && n == 4 && memcmp(p, "blob", 4) == 0);
    CHECK(rb_done(&r));

    wb_init(&w, buf, 3);   /* a writer never writes past its buffer */
    wb_u32(&w, 1);
    CHECK(w.overflow);
    CHECK_EQ(w.n, 0);
}

TEST(truncated_bodies_are_bad_not_overread)
{
    uint8_t buf[] = {0, 0, 0, 200, 'a'};   /* a blob claiming 200 bytes */
    eng_rbuf r;
    size_t n;
    rb_init(&r, buf, sizeof buf);
    CHECK(rb_blob(&r, &n) == NULL);
    CHECK(r.bad);
    CHECK(!rb_done(&r));
    rb_init(&r, buf, 2);
    CHECK_EQ(rb_u32(&r), 0);
    CHECK(r.bad);
    char s[4];
    uint8_t str[] = {5, 'a', 'b', 'c', 'd', 'e'};   /* longer than the output */
    rb_init(&r, str, sizeof str);
    rb_str(&r, s, sizeof s);
    CHECK(r.bad);
    CHECK_STR(s, "");
}

TEST(record_header_golden)
{
    eng_key k;
    ek_reset(&k);
    ek_u32(&k, 7);
    static const uint8_t body[] = {1, 2, 3, 4, 5};
    static const uint8_t want[] = {0x01, 0xfe, 0xd5, 0x06, 0xae, 1, 2, 3, 4, 5};
    uint8_t rec[16];
    eng_rec_seal(rec, &k, body, sizeof body);
    check_bytes(rec, want, sizeof want);
    eng_rbuf r;
    CHECK_RC(eng_rec_open(&k, rec, sizeof want, &r), 0);
    CHECK_EQ(rb_left(&r), 5);

    eng_key empty;
    ek_reset(&empty);
    static const uint8_t want_empty[] = {0x01, 0xe1, 0x00, 0x17, 0xf3};
    eng_rec_seal(rec, &empty, NULL, 0);
    check_bytes(rec, want_empty, sizeof want_empty);
}

TEST(record_damage_is_detected)
{
    eng_key k, other;
    ek_reset(&k);
    ek_u32(&k, 7);
    ek_reset(&other);
    ek_u32(&other, 8);
    uint8_t body[32], rec[64];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)check_rand();
    eng_rec_seal(rec, &k, body, sizeof body);
    size_t len = eng_rec_size(sizeof body);
    eng_rbuf r;
    for (size_t i = 0; i < len; i++) {   /* every single-bit flip, in every byte */
        for (int bit = 0; bit < 8; bit++) {
            rec[i] ^= (uint8_t)(1 << bit);
            CHECK_RC(eng_rec_open(&k, rec, len, &r), QS_CORRUPT);
            rec[i] ^= (uint8_t)(1 << bit);
        }
    }
    CHECK_RC(eng_rec_open(&k, rec, len, &r), 0);
    CHECK_RC(eng_rec_open(&other, rec, len, &r), QS_CORRUPT);   /* bound to its key */
    CHECK_RC(eng_rec_open(&k, rec, len - 1, &r), QS_CORRUPT);
    CHECK_RC(eng_rec_open(&k, rec, 3, &r), QS_CORRUPT);
}

TEST(daily_row_golden)
{
    /* answers 3, correct 2, time 90 s, other end 2026-01-01 (day 20454) */
    static const uint8_t want[] = {0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0x01, 0x5f, 0x90,
                                   0x80, 0x00, 0x4f, 0xe6};
    eng_daily d = {3, 2, 90000, 20454, 1}, got;
    uint8_t buf[32];
    eng_wbuf w;
    eng_rbuf r;
    wb_init(&w, buf, sizeof buf);
    eng_daily_write(&w, &d);
    CHECK_EQ(w.n, sizeof want);
    check_bytes(buf, want, sizeof want);
    rb_init(&r, want, sizeof want);
    eng_daily_read(&r, &got);
    CHECK(rb_done(&r));
    CHECK(got.answers == 3 && got.correct == 2 && got.time_ms == 90000);
    CHECK(got.has_other_end && got.other_end == 20454);

    /* The form older versions wrote: no run field. */
    d.has_other_end = 0;
    wb_init(&w, buf, sizeof buf);
    eng_daily_write(&w, &d);
    CHECK_EQ(w.n, 16);
    check_bytes(buf, want, 16);
    rb_init(&r, want, 16);
    eng_daily_read(&r, &got);
    CHECK(rb_done(&r));
    CHECK(got.answers == 3 && got.correct == 2 && got.time_ms == 90000 && !got.has_other_end);

    /* A day before 1970 sorts and decodes as itself. */
    d.has_other_end = 1;
    d.other_end = -1;
    wb_init(&w, buf, sizeof buf);
    eng_daily_write(&w, &d);
    static const uint8_t minus_one[] = {0x7f, 0xff, 0xff, 0xff};
    check_bytes(buf + 16, minus_one, 4);
    rb_init(&r, buf, w.n);
    eng_daily_read(&r, &got);
    CHECK(rb_done(&r) && got.other_end == -1);

    /* Any other length is damage. */
    uint8_t longer[24] = {0};
    memcpy(longer, want, sizeof want);
    static const size_t bad_lengths[] = {12, 15, 17, 18, 19, 21, 24};
    for (size_t i = 0; i < NCASES(bad_lengths); i++) {
        rb_init(&r, longer, bad_lengths[i]);
        eng_daily_read(&r, &got);
        CHECK_MSG(!rb_done(&r), "a body of %zu bytes decoded", bad_lengths[i]);
    }
}

static int64_t ms(int y, int m, int d)
{
    /* from the C library, independent of the engine's calendar code */
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return (int64_t)timegm(&tm) * 1000;
}

TEST(period_starts_and_names)
{
    char name[24];
    int64_t t = ms(2024, 2, 29) + 12345678;
    CHECK_EQ(eng_period_start(QS_PERIOD_MONTH, t), ms(2024, 2, 1));
    CHECK_EQ(eng_period_next(QS_PERIOD_MONTH, ms(2024, 2, 1)), ms(2024, 3, 1));
    CHECK_EQ(eng_period_next(QS_PERIOD_MONTH, ms(2025, 12, 1)), ms(2026, 1, 1));
    CHECK_EQ(eng_period_start(QS_PERIOD_WEEK, t), ms(2024, 2, 26));   /* a Monday */
    CHECK_EQ(eng_period_start(QS_PERIOD_DAY, t), ms(2024, 2, 29));
    CHECK_EQ(eng_period_start(QS_PERIOD_WEEK, 0), ms(1969, 12, 29));
    CHECK_EQ(eng_period_start(QS_PERIOD_MONTH, -1), ms(1969, 12, 1));
    CHECK_EQ(eng_day(-1), -1);
    CHECK_EQ(eng_day(ENG_DAY_MS - 1), 0);
    eng_bucket_name(ENG_T_ANSWER, QS_PERIOD_MONTH, ms(2026, 1, 1), name);
    CHECK_STR(name, "ans@2026-01");
    eng_bucket_name(ENG_T_INTERACTION, QS_PERIOD_WEEK, ms(2024, 2, 26), name);
    CHECK_STR(name, "ixn@2024-02-26");
    for (int i = 0; i < 2000; i++) {   /* every time lies in [start, next) */
        int64_t x = (int64_t)(check_rand() % (4000ULL * 365 * ENG_DAY_MS)) - 2000LL * 365 * ENG_DAY_MS;
        for (int p = QS_PERIOD_MONTH; p <= QS_PERIOD_DAY; p++) {
            int64_t s = eng_period_start((qs_period)p, x);
            CHECK(s <= x && x < eng_period_next((qs_period)p, s));
            CHECK_EQ(eng_period_start((qs_period)p, s), s);
        }
    }
}

TEST(weekly_boards_start_on_monday)
{
    CHECK_EQ(qs_board_week(ms(2026, 1, 5)), qs_board_week(ms(2026, 1, 11) + ENG_DAY_MS - 1));
    CHECK(qs_board_week(ms(2026, 1, 4)) + 1 == qs_board_week(ms(2026, 1, 5)));
    CHECK(qs_board_week(ms(2026, 1, 5)) != QS_BOARD_ALL_TIME);
}

static const check_case cases[] = {
    CASE(key_fields_are_big_endian_and_ordered),
    CASE(time_keys_sort_like_times),
    CASE(body_round_trip_and_overflow),
    CASE(truncated_bodies_are_bad_not_overread),
    CASE(record_header_golden),
    CASE(record_damage_is_detected),
    CASE(daily_row_golden),
    CASE(period_starts_and_names),
    CASE(weekly_boards_start_on_monday),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
