/* jsonl.c: the JSON Lines reader: one flat object per line.
 *
 * Accepted, strictly per RFC 8259: an object whose values are strings (every escape,
 * \uXXXX with surrogate pairs), numbers, true, false, null, or arrays of strings.
 * Rejected with a reason naming the byte column: nested objects, arrays of anything
 * but strings, duplicate keys, unescaped control characters, invalid UTF-8, lone
 * surrogates, \u0000, and anything after the closing brace. Numbers keep their text;
 * true and false become "1" and "0"; null is an absent value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "util/grow.h"
#include "util/utf8.h"

typedef struct json_in {
    const unsigned char *p, *start, *end;
    record *rec;
    char *key;           /* the decoded key being read */
    size_t key_len, key_cap;
} json_in;

static int fail(json_in *in, const char *what)
{
    record_bad(in->rec, "JSON column %ld: %s", (long)(in->p - in->start) + 1, what);
    return -1;
}

static void skip_ws(json_in *in)
{
    while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\r' || *in->p == '\n'))
        in->p++;
}

/* ---- strings --------------------------------------------------------------------- */

typedef int (*sink_fn)(json_in *in, const char *s, size_t len);

static int sink_key(json_in *in, const char *s, size_t len)
{
    if (ut_grow((void **)&in->key, &in->key_cap, in->key_len + len + 1, 1) != 0)
        return -1;
    memcpy(in->key + in->key_len, s, len);
    in->key_len += len;
    in->key[in->key_len] = '\0';
    return 0;
}

static int sink_value(json_in *in, const char *s, size_t len)
{
    return record_append(in->rec, s, len);
}

static int hex4(json_in *in, uint32_t *out)
{
    uint32_t v = 0;
    if (in->end - in->p < 4)
        return fail(in, "\\u needs four hex digits");
    for (int i = 0; i < 4; i++) {
        unsigned c = in->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return fail(in, "\\u needs four hex digits");
    }
    in->p += 4;
    *out = v;
    return 0;
}

/* After "\u": one code point, joining a surrogate pair. */
static int unicode_escape(json_in *in, uint32_t *cp)
{
    if (hex4(in, cp) != 0)
        return -1;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return fail(in, "lone low surrogate in \\u escape");
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        uint32_t lo;
        if (in->end - in->p < 2 || in->p[0] != '\\' || in->p[1] != 'u')
            return fail(in, "high surrogate not followed by a \\u low surrogate");
        in->p += 2;
        if (hex4(in, &lo) != 0)
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(in, "high surrogate not followed by a low surrogate");
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (*cp == 0)
        return fail(in, "\\u0000 (a NUL character) is not supported");
    return 0;
}

/* At the opening quote: decode the string into @p sink. */
static int string(json_in *in, sink_fn sink)
{
    in->p++;
    for (;;) {
        const unsigned char *run = in->p;
        while (in->p < in->end && *in->p != '"' && *in->p != '\\' && *in->p >= 0x20 &&
               *in->p < 0x80)
            in->p++;
        if (in->p > run && sink(in, (const char *)run, (size_t)(in->p - run)) != 0)
            return fail(in, "out of memory");
        if (in->p >= in->end)
            return fail(in, "string not closed");
        unsigned c = *in->p;
        if (c == '"') {
            in->p++;
            return 0;
        }
        if (c < 0x20)
            return fail(in, "control character in a string (it must be escaped)");
        if (c >= 0x80) {
            size_t n = ut_utf8_len(in->p, in->end);
            if (n == 0)
                return fail(in, "invalid UTF-8");
            if (sink(in, (const char *)in->p, n) != 0)
                return fail(in, "out of memory");
            in->p += n;
            continue;
        }
        /* backslash */
        in->p++;
        if (in->p >= in->end)
            return fail(in, "string not closed");
        char out[UT_UTF8_MAX];
        size_t n = 1;
        switch (*in->p++) {
        case '"': out[0] = '"'; break;
        case '\\': out[0] = '\\'; break;
        case '/': out[0] = '/'; break;
        case 'b': out[0] = '\b'; break;
        case 'f': out[0] = '\f'; break;
        case 'n': out[0] = '\n'; break;
        case 'r': out[0] = '\r'; break;
        case 't': out[0] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (unicode_escape(in, &cp) != 0)
                return -1;
            n = ut_utf8_encode(cp, out);
            break;
        }
        default:
            in->p--;
            return fail(in, "unknown escape in a string");
        }
        if (sink(in, out, n) != 0)
            return fail(in, "out of memory");
    }
}

/* ---- values ---------------------------------------------------------------------- */

static int is_digit(const json_in *in) { return in->p < in->end && *in->p >= '0' && *in->p <= '9'; }

static int number(json_in *in)
{
    const unsigned char *start = in->p;
    if (*in->p == '-')
        in->p++;
    if (!is_digit(in))
        return fail(in, "malformed number");
    if (*in->p == '0') {
        in->p++;
        if (is_digit(in))
            return fail(in, "malformed number: a leading zero");
    } else
        while (is_digit(in))
            in->p++;
    if (in->p < in->end && *in->p == '.') {
        in->p++;
        if (!is_digit(in))
            return fail(in, "malformed number: digits must follow '.'");
        while (is_digit(in))
            in->p++;
    }
    if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
        in->p++;
        if (in->p < in->end && (*in->p == '+' || *in->p == '-'))
            in->p++;
        if (!is_digit(in))
            return fail(in, "malformed number: digits must follow the exponent");
        while (is_digit(in))
            in->p++;
    }
    return record_append(in->rec, (const char *)start, (size_t)(in->p - start));
}

static int literal(json_in *in, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(in->end - in->p) < n || memcmp(in->p, word, n) != 0)
        return fail(in, "expected a string, number, true, false, null or an array");
    in->p += n;
    return 0;
}

static int array(json_in *in)
{
    in->p++;
    skip_ws(in);
    if (in->p < in->end && *in->p == ']') {
        in->p++;
        return 0;
    }
    for (;;) {
        skip_ws(in);
        if (in->p >= in->end || *in->p != '"')
            return fail(in, "array items must be strings");
        if (record_item(in->rec) != 0 || string(in, sink_value) != 0 ||
            record_end_value(in->rec) != 0)
            return in->rec->error[0] ? -1 : fail(in, "out of memory");
        skip_ws(in);
        if (in->p < in->end && *in->p == ',') {
            in->p++;
            continue;
        }
        if (in->p < in->end && *in->p == ']') {
            in->p++;
            return 0;
        }
        return fail(in, "expected ',' or ']' in an array");
    }
}

static int value(json_in *in)
{
    record *rec = in->rec;
    const char *key = in->key;
    size_t klen = in->key_len;
    int c = in->p < in->end ? *in->p : -1;
    int rc;
    switch (c) {
    case '"':
        if (record_field(rec, key, klen, VAL_STRING) != 0)
            return fail(in, "out of memory");
        rc = string(in, sink_value);
        break;
    case '[':
        if (record_field(rec, key, klen, VAL_ARRAY) != 0)
            return fail(in, "out of memory");
        return array(in);
    case '{':
        return fail(in, "nested objects are not supported");
    case 't':
    case 'f':
        if (record_field(rec, key, klen, VAL_STRING) != 0)
            return fail(in, "out of memory");
        rc = literal(in, c == 't' ? "true" : "false");
        if (rc == 0)
            rc = record_append(rec, c == 't' ? "1" : "0", 1);
        break;
    case 'n':
        if (record_field(rec, key, klen, VAL_NULL) != 0)
            return fail(in, "out of memory");
        rc = literal(in, "null");
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            if (record_field(rec, key, klen, VAL_STRING) != 0)
                return fail(in, "out of memory");
            rc = number(in);
            break;
        }
        return fail(in, "expected a string, number, true, false, null or an array");
    }
    if (rc != 0)
        return rec->error[0] ? -1 : fail(in, "out of memory");
    return record_end_value(rec) == 0 ? 0 : fail(in, "out of memory");
}

static int object(json_in *in)
{
    skip_ws(in);
    if (in->p >= in->end || *in->p != '{')
        return fail(in, "a line must hold one JSON object");
    in->p++;
    skip_ws(in);
    if (in->p < in->end && *in->p == '}') {
        in->p++;
    } else {
        for (;;) {
            skip_ws(in);
            if (in->p >= in->end || *in->p != '"')
                return fail(in, "expected a key (a string)");
            in->key_len = 0;
            if (sink_key(in, "", 0) != 0 || string(in, sink_key) != 0)
                return in->rec->error[0] ? -1 : fail(in, "out of memory");
            skip_ws(in);
            if (in->p >= in->end || *in->p != ':')
                return fail(in, "expected ':' after a key");
            in->p++;
            skip_ws(in);
            if (value(in) != 0)
                return -1;
            skip_ws(in);
            if (in->p < in->end && *in->p == ',') {
                in->p++;
                continue;
            }
            if (in->p < in->end && *in->p == '}') {
                in->p++;
                break;
            }
            return fail(in, "expected ',' or '}' after a value");
        }
    }
    skip_ws(in);
    if (in->p != in->end)
        return fail(in, "text after the end of the object");
    return 0;
}

/* What a reader keeps from one line to the next: the key buffer and the key list. */
struct jsonl_state {
    json_in in;
    const char **names;
    size_t names_cap;
};

/* Once the object is read: no key twice (keys hold no NUL: \u0000 is refused). */
static int duplicate_keys(struct jsonl_state *st, record *rec)
{
    if (ut_grow((void **)&st->names, &st->names_cap, rec->n_fields, sizeof *st->names)) {
        record_bad(rec, "out of memory");
        return -1;
    }
    const char **names = st->names;
    for (size_t i = 0; i < rec->n_fields; i++)
        names[i] = rec->fields[i].name;
    size_t at;
    int rc = names_repeat(names, rec->n_fields, &at);
    if (rc < 0)
        record_bad(rec, "out of memory");
    else if (rc > 0)
        record_bad(rec, "JSON: key '%s' appears twice", names[at]);
    return rc ? -1 : 0;
}

/* ---- lines ----------------------------------------------------------------------- */

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

void jsonl_close(reader *r)
{
    if (!r->jsonl)
        return;
    free(r->jsonl->in.key);
    free(r->jsonl->names);
    free(r->jsonl);
    r->jsonl = NULL;
}

int jsonl_next(reader *r, record *rec)
{
    if (!r->jsonl && !(r->jsonl = calloc(1, sizeof *r->jsonl))) {
        record_bad(rec, "out of memory");
        return READ_FATAL;
    }
    json_in *in = &r->jsonl->in;
    long n;
    for (;;) {
        n = reader_getline(r);
        if (n < 0) {
            record_bad(rec, "read error: %s", strerror(errno));
            return READ_FATAL;
        }
        if (n == 0)
            return READ_EOF;
        if (!blank(r->buf, (size_t)n))
            break;
    }
    const char *line = r->buf;
    if (r->line == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        n -= 3;
    }
    size_t len = (size_t)n;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    r->raw_len = 0;
    if (reader_raw_append(r, line, len) != 0) {
        record_bad(rec, "out of memory");
        return READ_FATAL;
    }
    rec->line = r->line;
    rec->raw = r->raw;
    rec->raw_len = r->raw_len;
    if (len > RECORD_MAX) {
        record_bad(rec, "line longer than %u bytes", RECORD_MAX);
        return READ_BAD;
    }
    in->start = in->p = (const unsigned char *)r->raw;
    in->end = in->start + len;
    in->rec = rec;
    if (object(in) != 0)
        return READ_BAD;
    record_finish(rec);
    return duplicate_keys(r->jsonl, rec) == 0 ? READ_OK : READ_BAD;
}
