/* Tests for util/utf8.h: well-formed sequences, the ill-formed ones of every kind
 * (overlong, surrogate, past U+10FFFF, cut short), and encoding. */
#include "check.h"
#include "util/utf8.h"

/* Golden vectors: bytes, and the length of the well-formed sequence they start with
 * (0: none). */
static const struct {
    const char *what;
    const char *bytes;
    size_t n;       /* bytes given */
    size_t len;
} sequences[] = {
    {"ASCII", "A", 1, 1},
    {"NUL", "\0", 1, 1},
    {"U+007F", "\x7f", 1, 1},
    {"U+0080", "\xc2\x80", 2, 2},
    {"U+00E9", "\xc3\xa9", 2, 2},
    {"U+07FF", "\xdf\xbf", 2, 2},
    {"U+0800", "\xe0\xa0\x80", 3, 3},
    {"U+20AC", "\xe2\x82\xac", 3, 3},
    {"U+D7FF, below the surrogates", "\xed\x9f\xbf", 3, 3},
    {"U+E000, above the surrogates", "\xee\x80\x80", 3, 3},
    {"U+FFFF", "\xef\xbf\xbf", 3, 3},
    {"U+10000", "\xf0\x90\x80\x80", 4, 4},
    {"U+1F600", "\xf0\x9f\x98\x80", 4, 4},
    {"U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 4},
    {"only the first of two", "\xc3\xa9\xc3\xa9", 4, 2},
    {"a lone continuation byte", "\x80", 1, 0},
    {"a lone continuation byte bf", "\xbf", 1, 0},
    {"overlong NUL", "\xc0\x80", 2, 0},
    {"overlong U+007F", "\xc1\xbf", 2, 0},
    {"overlong U+07FF", "\xe0\x9f\xbf", 3, 0},
    {"overlong U+FFFF", "\xf0\x8f\xbf\xbf", 4, 0},
    {"overlong slash", "\xe0\x80\xaf", 3, 0},
    {"surrogate U+D800", "\xed\xa0\x80", 3, 0},
    {"surrogate U+DBFF", "\xed\xaf\xbf", 3, 0},
    {"surrogate U+DC00", "\xed\xb0\x80", 3, 0},
    {"surrogate U+DFFF", "\xed\xbf\xbf", 3, 0},
    {"a surrogate pair in CESU-8", "\xed\xa0\xbd\xed\xb8\x80", 6, 0},
    {"U+110000", "\xf4\x90\x80\x80", 4, 0},
    {"lead f5", "\xf5\x80\x80\x80", 4, 0},
    {"lead f8 (five bytes)", "\xf8\x88\x80\x80\x80", 5, 0},
    {"lead fe", "\xfe", 1, 0},
    {"lead ff", "\xff", 1, 0},
    {"cut short: 2 of 2", "\xc3", 1, 0},
    {"cut short: 2 of 3", "\xe2\x82", 2, 0},
    {"cut short: 3 of 4", "\xf0\x9f\x98", 3, 0},
    {"not a continuation: second byte", "\xc3\x41", 2, 0},
    {"not a continuation: third byte", "\xe2\x82\x41", 3, 0},
    {"not a continuation: fourth byte", "\xf0\x9f\x98\xc0", 4, 0},
};

TEST(golden_sequences)
{
    for (size_t i = 0; i < NCASES(sequences); i++) {
        const uint8_t *p = (const uint8_t *)sequences[i].bytes;
        size_t got = ut_utf8_len(p, p + sequences[i].n);
        CHECK_MSG(got == sequences[i].len, "%s: length %zu, want %zu", sequences[i].what,
                  got, sequences[i].len);
    }
}

/* The definition, written the other way: decode by bit pattern, then refuse what the
 * standard refuses. */
static size_t reference_len(const uint8_t *p, size_t n)
{
    size_t len = p[0] < 0x80 ? 1 : p[0] < 0xc0 ? 0 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3
               : p[0] < 0xf8 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    uint32_t cp = len == 1 ? p[0] : p[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

TEST(every_sequence_of_up_to_three_bytes_as_defined)
{
    uint8_t b[3];
    for (uint32_t x = 0; x < 1u << 24; x++) {
        b[0] = (uint8_t)(x >> 16);
        b[1] = (uint8_t)(x >> 8);
        b[2] = (uint8_t)x;
        for (size_t n = 1; n <= 3; n++) {
            if (n < 3 && (x & 0xff) != 0)
                continue;   /* shorter inputs once per prefix */
            if (n < 2 && (x & 0xffff) != 0)
                continue;
            if (ut_utf8_len(b, b + n) != reference_len(b, n))
                CHECK_MSG(0, "%02x %02x %02x (%zu bytes): %zu, want %zu", b[0], b[1], b[2],
                          n, ut_utf8_len(b, b + n), reference_len(b, n));
        }
    }
}

TEST(random_four_byte_sequences_as_defined)
{
    for (int i = 0; i < 1000000; i++) {
        uint64_t r = check_rand();
        uint8_t b[4] = {(uint8_t)(0xf0 | (r & 0x0f)), (uint8_t)(r >> 8), (uint8_t)(r >> 16),
                        (uint8_t)(r >> 24)};
        if (r & (1u << 4))   /* half of them with continuation bytes after the lead */
            for (int j = 1; j < 4; j++)
                b[j] = (uint8_t)(0x80 | (b[j] & 0x3f));
        CHECK_MSG(ut_utf8_len(b, b + 4) == reference_len(b, 4), "%02x %02x %02x %02x", b[0],
                  b[1], b[2], b[3]);
    }
}

TEST(every_code_point_encodes_to_its_well_formed_sequence)
{
    static const struct {
        uint32_t cp;
        const char *bytes;
    } golden[] = {
        {0x41, "A"}, {0xe9, "\xc3\xa9"}, {0x7ff, "\xdf\xbf"}, {0x800, "\xe0\xa0\x80"},
        {0x20ac, "\xe2\x82\xac"}, {0xffff, "\xef\xbf\xbf"}, {0x10000, "\xf0\x90\x80\x80"},
        {0x1f600, "\xf0\x9f\x98\x80"}, {0x10ffff, "\xf4\x8f\xbf\xbf"},
    };
    char out[UT_UTF8_MAX];
    for (size_t i = 0; i < NCASES(golden); i++) {
        size_t n = ut_utf8_encode(golden[i].cp, out);
        CHECK_EQ(n, strlen(golden[i].bytes));
        CHECK(memcmp(out, golden[i].bytes, n) == 0);
    }
    for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
        if (cp == 0xd800)
            cp = 0xe000;
        size_t n = ut_utf8_encode(cp, out);
        const uint8_t *p = (const uint8_t *)out;
        CHECK_MSG(ut_utf8_len(p, p + n) == n, "U+%04X", (unsigned)cp);
        CHECK_EQ(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
    }
}

static const check_case cases[] = {
    CASE(golden_sequences),
    CASE(every_sequence_of_up_to_three_bytes_as_defined),
    CASE(random_four_byte_sequences_as_defined),
    CASE(every_code_point_encodes_to_its_well_formed_sequence),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
