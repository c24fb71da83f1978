/* util.c: sizes and the words of the enums. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* ---- numbers --------------------------------------------------------------------- */

int parse_size(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    unsigned shift = 0;
    if (len > 0) {
        switch (toupper((unsigned char)s[len - 1])) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: break;
        }
    }
    if (shift)
        len--;
    uint64_t v;
    if (ut_parse_u64(s, len, &v) != 0 || v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

/* ---- words ----------------------------------------------------------------------- */

static const char *const test_status_words[] = {NULL, "active", "paused", "completed",
                                                 "abandoned"};
static const char *const test_mode_words[] = {NULL, "tutor", "timed"};
static const char *const answer_status_words[] = {NULL, "answered", "skipped", "flagged"};
/* Codes 1..8, in the order of the interaction schema. */
static const char *const action_words[] = {NULL,    "view",  "bookmark", "note", "flag",
                                            "hint",  "video", "search",   "share"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *word_of(const char *const *words, size_t n, unsigned code)
{
    return code > 0 && code < n ? words[code] : "unknown";
}

/* The code of @p s among words[1..n-1], or a decimal code in 1..n-1; 0 if none. */
static unsigned code_of(const char *const *words, size_t n, const char *s)
{
    for (unsigned i = 1; i < n; i++)
        if (strcasecmp(words[i], s) == 0)
            return i;
    uint64_t v;
    if (ut_parse_u64(s, strlen(s), &v) == 0 && v >= 1 && v < n)
        return (unsigned)v;
    return 0;
}

const char *test_status_word(unsigned s)
{
    return word_of(test_status_words, COUNT(test_status_words), s);
}

const char *test_mode_word(unsigned m)
{
    return word_of(test_mode_words, COUNT(test_mode_words), m);
}

const char *answer_status_word(unsigned s)
{
    return word_of(answer_status_words, COUNT(answer_status_words), s);
}

unsigned test_status_code(const char *s)
{
    return code_of(test_status_words, COUNT(test_status_words), s);
}

unsigned test_mode_code(const char *s)
{
    return code_of(test_mode_words, COUNT(test_mode_words), s);
}

unsigned answer_status_code(const char *s)
{
    return code_of(answer_status_words, COUNT(answer_status_words), s);
}

int action_code(const char *s)
{
    for (int i = 1; i < (int)COUNT(action_words); i++)
        if (strcasecmp(action_words[i], s) == 0)
            return i;
    uint64_t v;
    if (ut_parse_u64(s, strlen(s), &v) == 0 && v <= 255)
        return (int)v;
    return -1;
}

const char *action_word(unsigned code)
{
    return code > 0 && code < COUNT(action_words) ? action_words[code] : NULL;
}

const char *kind_word(qs_kind kind)
{
    switch (kind) {
    case QS_SUBJECT: return "subject";
    case QS_SYSTEM: return "system";
    case QS_TOPIC: return "topic";
    case QS_QUESTION: return "question";
    case QS_USER: return "user";
    case QS_TEST: return "test";
    }
    return "entity";
}
