/* sql_common.c: CSV reading, field parsing and the streak rule (see sql_common.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sql_common.h"
#include "util/number.h"
#include "util/timestamp.h"

/* ===================================================================== */
/* CSV files                                                              */

static const char *const taxon_columns[] = {"id", "name"};
static const char *const topic_columns[] = {"id", "system", "name"};
static const char *const question_columns[] = {
    "id", "subject", "system", "topic", "difficulty", "type", "active", "created_at",
    "correct_option", "stem", "option0", "option1", "option2", "option3", "option4",
    "option5", "option6", "option7", "explanation"};
static const char *const user_columns[] = {"id", "created_at"};
static const char *const test_columns[] = {"id", "user", "status", "mode", "created_at",
                                           "last_activity_at", "completed_at", "questions"};
static const char *const answer_columns[] = {"test", "question", "user", "correct", "chosen",
                                             "status", "score", "time_spent_ms", "created_at"};
static const char *const interaction_columns[] = {"user", "action", "created_at", "payload"};

#define FILE_OF(name, cols) {name, cols, (int)(sizeof cols / sizeof cols[0])}

const sqlc_file sqlc_files[SQLC_N_FILES] = {
    [SQLC_SUBJECTS] = FILE_OF("subjects.csv", taxon_columns),
    [SQLC_SYSTEMS] = FILE_OF("systems.csv", taxon_columns),
    [SQLC_TOPICS] = FILE_OF("topics.csv", topic_columns),
    [SQLC_QUESTIONS] = FILE_OF("questions.csv", question_columns),
    [SQLC_USERS] = FILE_OF("users.csv", user_columns),
    [SQLC_TESTS] = FILE_OF("tests.csv", test_columns),
    [SQLC_ANSWERS] = FILE_OF("answers.csv", answer_columns),
    [SQLC_INTERACTIONS] = FILE_OF("interactions.csv", interaction_columns),
};

#define MAX_COLUMNS 64

struct sqlc_csv {
    char path[512];
    char *base, *p, *end;
    size_t size;
    uint64_t line, record_line;
    char *names[MAX_COLUMNS];
    size_t n_names;
};

static int csv_error(const sqlc_csv *f, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int csv_error(const sqlc_csv *f, char *err, size_t errlen, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%llu: ", f->path, (unsigned long long)f->record_line);
    if (n < 0 || (size_t)n >= errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* A quoted field starting after its opening quote: unescaped in place. */
static int read_quoted(sqlc_csv *f, sqlc_field *out)
{
    char *w = f->p, *start = f->p;
    for (;;) {
        if (f->p >= f->end)
            return -1;   /* no closing quote */
        char c = *f->p;
        if (c == '"') {
            if (f->p + 1 < f->end && f->p[1] == '"') {
                *w++ = '"';
                f->p += 2;
                continue;
            }
            f->p++;
            break;
        }
        if (c == '\n')
            f->line++;
        *w++ = c;
        f->p++;
    }
    out->ptr = start;
    out->len = (size_t)(w - start);
    return 0;
}

static void read_plain(sqlc_csv *f, sqlc_field *out)
{
    char *start = f->p;
    while (f->p < f->end && *f->p != ',' && *f->p != '\n' && *f->p != '\r')
        f->p++;
    out->ptr = start;
    out->len = (size_t)(f->p - start);
}

/* One record, blank lines included (a single empty field). */
static int read_record(sqlc_csv *f, sqlc_field *fields, size_t cap, size_t *n, char *err,
                       size_t errlen)
{
    *n = 0;
    f->record_line = f->line;
    for (;;) {
        sqlc_field fld;
        if (f->p < f->end && *f->p == '"') {
            f->p++;
            if (read_quoted(f, &fld) != 0)
                return csv_error(f, err, errlen, "a quoted field has no closing quote");
            if (f->p < f->end && *f->p != ',' && *f->p != '\n' && *f->p != '\r')
                return csv_error(f, err, errlen, "text after a closing quote");
        } else {
            read_plain(f, &fld);
        }
        if (*n == cap)
            return csv_error(f, err, errlen, "more than %zu fields", cap);
        fields[(*n)++] = fld;
        if (f->p >= f->end)
            return 1;
        char c = *f->p++;
        if (c == ',')
            continue;
        if (c == '\r' && f->p < f->end && *f->p == '\n')
            f->p++;
        f->line++;
        return 1;
    }
}

int sqlc_csv_open(const char *path, sqlc_csv **out, char *err, size_t errlen)
{
    *out = NULL;
    sqlc_csv *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    f->line = 1;
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(f);
        return -1;
    }
    f->size = (size_t)st.st_size;
    if (f->size) {
        /* Private and writable: quoted fields are unescaped in place, copy on write. */
        void *m = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            free(f);
            return -1;
        }
        madvise(m, f->size, MADV_SEQUENTIAL);
        f->base = m;
    }
    close(fd);
    f->p = f->base;
    f->end = f->base + f->size;

    sqlc_field h[MAX_COLUMNS];
    size_t n;
    if (f->size == 0 || read_record(f, h, MAX_COLUMNS, &n, err, errlen) != 1) {
        if (f->size == 0)
            snprintf(err, errlen, "%s: empty file, a header row is required", path);
        sqlc_csv_close(f);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(f->names[i] = strndup(h[i].ptr, h[i].len))) {
            snprintf(err, errlen, "%s: out of memory", path);
            sqlc_csv_close(f);
            return -1;
        }
        f->n_names++;
    }
    *out = f;
    return 0;
}

void sqlc_csv_close(sqlc_csv *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_names; i++)
        free(f->names[i]);
    if (f->base)
        munmap(f->base, f->size);
    free(f);
}

int sqlc_csv_column(const sqlc_csv *f, const char *name)
{
    for (size_t i = 0; i < f->n_names; i++)
        if (strcmp(f->names[i], name) == 0)
            return (int)i;
    return -1;
}

int sqlc_csv_next(sqlc_csv *f, sqlc_field *fields, size_t cap, size_t *n, char *err,
                  size_t errlen)
{
    while (f->p < f->end) {
        int rc = read_record(f, fields, cap, n, err, errlen);
        if (rc != 1)
            return rc;
        if (*n > 1 || fields[0].len > 0)
            return 1;
    }
    return 0;
}

uint64_t sqlc_csv_line(const sqlc_csv *f)
{
    return f->record_line;
}

/* ===================================================================== */
/* Fields                                                                 */

const char *const sqlc_test_status_words[5] = {"", "active", "paused", "completed", "abandoned"};
const char *const sqlc_mode_words[3] = {"", "tutor", "timed"};
const char *const sqlc_answer_status_words[4] = {"", "answered", "skipped", "flagged"};
const char *const sqlc_action_words[8] = {"view", "bookmark", "note",  "flag",
                                          "hint", "video",    "search", "share"};

int sqlc_int(sqlc_field f, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v;
    if (ut_parse_i64(f.ptr, f.len, &v) != 0 || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* The CLI's parsers: the same CSV forms it imports. */
int sqlc_time(sqlc_field f, int64_t *out)
{
    return ut_time_parse(f.ptr, f.len, out);
}

int sqlc_option(sqlc_field f, int *out)
{
    if (f.len != 1)
        return -1;
    char c = f.ptr[0];
    if (c >= '0' && c <= '7')
        *out = c - '0';
    else if (c >= 'a' && c <= 'h')
        *out = c - 'a';
    else if (c >= 'A' && c <= 'H')
        *out = c - 'A';
    else
        return -1;
    return 0;
}

int sqlc_word(sqlc_field f, const char *const *words, int n_words, int *out)
{
    for (int i = 0; i < n_words; i++) {
        if (words[i][0] && strlen(words[i]) == f.len && memcmp(words[i], f.ptr, f.len) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

int sqlc_action(sqlc_field f, int *out)
{
    int64_t v;
    if (sqlc_word(f, sqlc_action_words, 8, out) == 0)
        return 0;
    if (sqlc_int(f, 0, 255, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* ===================================================================== */
/* Streaks                                                                */

void sqlc_streak_add(sqlc_streak *s, int64_t day)
{
    s->streak = s->any && day == s->last_day + 1 ? s->streak + 1 : 1;
    if (s->streak > s->best)
        s->best = s->streak;
    s->last_day = day;
    s->any = 1;
}

/* ===================================================================== */
/* Question lists                                                         */

size_t sqlc_id_list(const uint32_t *ids, unsigned n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? ",%u" : "%u", ids[i]);
    return len < cap ? len : cap - 1;
}
