/* Tests for the import readers (tools/csvin.c, tools/jsonl.c): a repeated CSV column or
 * JSON key is found and named, and a hostile header or line costs O(n log n) name
 * comparisons, counted by names_compared, not O(n^2); readers on two threads keep
 * their states apart. */
#include <pthread.h>

#include "check.h"
#include "reader.h"

/* The sizes that took 23 s and 105 s of CPU with a pairwise check. */
#define HEADER_COLUMNS 100000
#define LINE_KEYS 200000

/* Comparisons allowed for n names: a sort's n log2 n, three times over. */
static unsigned long bound(size_t n)
{
    unsigned long log2n = 0;
    while ((1ul << log2n) < n)
        log2n++;
    return 3ul * n * log2n;
}

/* A file holding @p len bytes of @p text in a fresh directory; its path (static). */
static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", check_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(text, 1, len, f), len);
    CHECK_EQ(fclose(f), 0);
    return path;
}

/* Open @p text as a file of @p format; NULL with the reason in @p err. */
static reader *open_text(const char *name, file_format format, const char *text, size_t len,
                         char *err, size_t errlen)
{
    err[0] = '\0';
    return reader_open(write_file(name, text, len), format, err, errlen);
}

/* "c0,c1,...,c{n-1}" (CSV) or {"c0":0,...} (JSON), then @p tail, into a malloc'ed
 * buffer. */
static char *many_names(size_t n, int json, const char *tail, size_t *len)
{
    size_t cap = n * 24 + strlen(tail) + 16, o = 0;
    char *s = malloc(cap);
    CHECK(s != NULL);
    if (json)
        s[o++] = '{';
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(s + o, json ? "%s\"c%zu\":%zu" : "%sc%zu", i ? "," : "", i, i);
    o += (size_t)sprintf(s + o, "%s", tail);
    *len = o;
    return s;
}

TEST(csv_repeated_column_is_named)
{
    char err[256];
    reader *r = open_text("h.csv", FORMAT_CSV, "a,b,c,b,a\n1,2,3,4,5\n", 20, err, sizeof err);
    CHECK(r == NULL);
    CHECK_STR(err, "header: column 4, 'b', appears twice");
}

TEST(csv_column_name_with_nul_is_refused)
{
    char err[256];
    reader *r = open_text("nul.csv", FORMAT_CSV, "id,na\0me\nu1,x\n", 14, err, sizeof err);
    CHECK(r == NULL);
    CHECK_STR(err, "header: the name of column 2 holds a NUL byte at byte 3");
}

TEST(csv_wide_header_costs_n_log_n)
{
    char err[256];
    size_t len;
    char *text = many_names(HEADER_COLUMNS, 0, "\n", &len);
    unsigned long before = names_compared;
    reader *r = open_text("wide.csv", FORMAT_CSV, text, len, err, sizeof err);
    unsigned long spent = names_compared - before;
    free(text);
    CHECK_MSG(r != NULL, "%s", err);
    size_t n;
    reader_columns(r, &n);
    reader_close(r);
    CHECK_EQ(n, HEADER_COLUMNS);
    CHECK_MSG(spent <= bound(HEADER_COLUMNS), "%lu comparisons for %d columns, at most %lu",
              spent, HEADER_COLUMNS, bound(HEADER_COLUMNS));

    text = many_names(HEADER_COLUMNS, 0, ",c99999\n", &len);
    r = open_text("wide-dup.csv", FORMAT_CSV, text, len, err, sizeof err);
    free(text);
    CHECK(r == NULL);
    CHECK_STR(err, "header: column 100001, 'c99999', appears twice");
}

/* Read the one line of @p text: its reader_next() result, the record in @p rec. */
static int read_line(const char *text, size_t len, record *rec)
{
    char err[256];
    reader *r = open_text("line.jsonl", FORMAT_JSONL, text, len, err, sizeof err);
    CHECK_MSG(r != NULL, "%s", err);
    int st = reader_next(r, rec);
    reader_close(r);
    return st;
}

TEST(jsonl_first_repeated_key_is_named)
{
    record rec;
    record_init(&rec);
    const char *line = "{\"b\": 1, \"a\": 2, \"a\": 3, \"b\": 4}\n";
    int st = read_line(line, strlen(line), &rec);
    CHECK_EQ(st, READ_BAD);
    CHECK_STR(rec.error, "JSON: key 'a' appears twice");
    record_free(&rec);
}

TEST(jsonl_wide_line_costs_n_log_n)
{
    record rec;
    record_init(&rec);
    size_t len;
    char *text = many_names(LINE_KEYS, 1, "}\n", &len);
    unsigned long before = names_compared;
    int st = read_line(text, len, &rec);
    unsigned long spent = names_compared - before;
    free(text);
    CHECK_MSG(st == READ_OK, "%s", rec.error);
    CHECK_EQ(rec.n_fields, LINE_KEYS);
    CHECK_MSG(spent <= bound(LINE_KEYS), "%lu comparisons for %d keys, at most %lu", spent,
              LINE_KEYS, bound(LINE_KEYS));

    text = many_names(LINE_KEYS, 1, ",\"c0\":1}\n", &len);
    st = read_line(text, len, &rec);
    free(text);
    CHECK_EQ(st, READ_BAD);
    CHECK_STR(rec.error, "JSON: key 'c0' appears twice");
    record_free(&rec);
}

/* ---- readers on two threads ---------------------------------------------------------- */

#define THREAD_LINES 20000

typedef struct read_all {
    const char *path;
    uint64_t digest;   /* FNV-1a over every record's status, line, error and values */
    size_t bad;
} read_all;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    for (const unsigned char *c = p; n--; c++)
        h = (h ^ *c) * 1099511628211ull;
    return h;
}

static void *read_all_main(void *arg)
{
    read_all *ra = arg;
    char err[256];
    reader *r = reader_open(ra->path, FORMAT_JSONL, err, sizeof err);
    if (!r)
        return NULL;
    record rec;
    record_init(&rec);
    uint64_t h = 14695981039346656037ull;
    int st;
    while ((st = reader_next(r, &rec)) == READ_OK || st == READ_BAD) {
        h = fnv(h, &st, sizeof st);
        h = fnv(h, &rec.line, sizeof rec.line);
        h = fnv(h, rec.error, strlen(rec.error));
        ra->bad += st == READ_BAD;
        for (size_t i = 0; st == READ_OK && i < rec.n_fields; i++) {
            const rec_field *f = &rec.fields[i];
            h = fnv(h, f->name, strlen(f->name) + 1);
            h = fnv(h, f->s, f->len + 1);
            for (size_t j = 0; j < f->n; j++)
                h = fnv(h, rec.items[f->first + j].s, rec.items[f->first + j].len + 1);
        }
    }
    ra->digest = st == READ_EOF ? h : 0;
    record_free(&rec);
    reader_close(r);
    return NULL;
}

/* JSON Lines of @p n objects whose keys end in @p tag, every 89th line malformed; its
 * length in *len. */
static char *tagged_jsonl(size_t n, int tag, size_t *len)
{
    char *s = malloc(n * 80);
    size_t o = 0;
    CHECK(s != NULL);
    for (size_t i = 0; i < n; i++)
        o += (size_t)(i % 89 == 3 ? sprintf(s + o, "{\"id%d\": %zu, \"tags\": [\n", tag, i)
                                  : sprintf(s + o, "{\"id%d\": %zu, \"tags\": [\"t%zu\"], "
                                                   "\"x%d\": \"s\\u00e9\"}\n",
                                            tag, i, i % 11, tag));
    *len = o;
    return s;
}

/* Two files of different keys, each read alone and then both at once on two threads:
 * the same records (the JSON reader once kept its key buffer in a static). */
TEST(jsonl_readers_on_two_threads_keep_apart)
{
    read_all alone[2], both[2];
    for (int f = 0; f < 2; f++) {
        size_t len;
        char *text = tagged_jsonl(THREAD_LINES, f, &len);
        alone[f] = (read_all){strdup(write_file(f ? "b.jsonl" : "a.jsonl", text, len)), 0, 0};
        free(text);
        read_all_main(&alone[f]);
        CHECK(alone[f].digest != 0);
        CHECK(alone[f].bad > 100);
        both[f] = (read_all){alone[f].path, 0, 0};
    }
    pthread_t t[2];
    for (int f = 0; f < 2; f++)
        CHECK_EQ(pthread_create(&t[f], NULL, read_all_main, &both[f]), 0);
    for (int f = 0; f < 2; f++) {
        CHECK_EQ(pthread_join(t[f], NULL), 0);
        CHECK_EQ(both[f].digest, alone[f].digest);
        CHECK_EQ(both[f].bad, alone[f].bad);
        free((char *)alone[f].path);
    }
}

static const check_case cases[] = {
    CASE(csv_repeated_column_is_named),
    CASE(csv_column_name_with_nul_is_refused),
    CASE(csv_wide_header_costs_n_log_n),
    CASE(jsonl_first_repeated_key_is_named),
    CASE(jsonl_wide_line_costs_n_log_n),
    CASE(jsonl_readers_on_two_threads_keep_apart),
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, cases, NCASES(cases));
}
