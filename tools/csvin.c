/* csvin.c: the CSV reader (RFC 4180, through libcsv).
 *
 * Physical lines are fed to libcsv one at a time, so the reader knows the line a
 * record starts on and keeps the record's raw text for the rejects file. libcsv runs
 * in strict mode: a quote inside an unquoted field, or text after a closing quote, is
 * a malformed record; so is a quoted field left open at the end of the file. Spaces
 * around fields are kept (libcsv would trim them by default). Blank lines between
 * records are skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "reader.h"

#define CSV_OPTIONS (CSV_STRICT | CSV_STRICT_FINI)

struct csv_state {
    struct csv_parser p;
    record *rec;
    char **columns;       /* while reading the header */
    size_t n_columns, cap_columns;
    size_t nul_column, nul_byte; /* the first column name holding a NUL byte, 1-based */
    int header;           /* reading the header */
    size_t fields;        /* fields seen in the current record */
    int done;             /* the record ended */
    int extra;            /* a second record began on the same line */
    int oom;
};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static int parser_init(struct csv_state *st)
{
    if (csv_init(&st->p, CSV_OPTIONS) != 0)
        return -1;
    csv_set_space_func(&st->p, no_space);
    return 0;
}

static void parser_reset(struct csv_state *st)
{
    csv_free(&st->p);
    if (parser_init(st) != 0)
        st->oom = 1;
}

static void add_column(struct csv_state *st, const char *s, size_t len)
{
    if (st->n_columns == st->cap_columns) {
        size_t cap = st->cap_columns ? st->cap_columns * 2 : 16;
        char **p = realloc(st->columns, cap * sizeof *p);
        if (!p) {
            st->oom = 1;
            return;
        }
        st->columns = p;
        st->cap_columns = cap;
    }
    char *name = malloc(len + 1);
    if (!name) {
        st->oom = 1;
        return;
    }
    if (len)
        memcpy(name, s, len);
    name[len] = '\0';
    st->columns[st->n_columns++] = name;
    const char *nul = memchr(name, '\0', len);
    if (nul && !st->nul_column) {
        st->nul_column = st->n_columns;
        st->nul_byte = (size_t)(nul - name) + 1;
    }
}

static void on_field(void *s, size_t len, void *data)
{
    struct csv_state *st = data;
    if (st->done) {
        st->extra = 1;
        return;
    }
    if (st->header) {
        add_column(st, s, len);
    } else if (st->fields < st->n_columns) {
        record *rec = st->rec;
        if (record_field_static(rec, st->columns[st->fields], VAL_STRING) != 0 ||
            record_append(rec, s, len) != 0 || record_end_value(rec) != 0)
            st->oom = 1;
    }
    st->fields++;
}

static void on_record_end(int c, void *data)
{
    struct csv_state *st = data;
    (void)c;
    if (st->done)
        st->extra = 1;
    st->done = 1;
}

static void raw_trim_newline(reader *r)
{
    while (r->raw_len > 0 && (r->raw[r->raw_len - 1] == '\n' || r->raw[r->raw_len - 1] == '\r'))
        r->raw[--r->raw_len] = '\0';
}

static int is_blank_line(const char *s, long n)
{
    return (n == 1 && s[0] == '\n') || (n == 2 && s[0] == '\r' && s[1] == '\n');
}

/* Read one record into st (header or data). Returns READ_OK, READ_BAD, READ_EOF or
 * READ_FATAL; rec->line, rec->raw and rec->error are set. */
static int read_record(reader *r, record *rec)
{
    struct csv_state *st = r->csv;
    st->rec = rec;
    st->fields = 0;
    st->done = st->extra = 0;
    r->raw_len = 0;
    rec->line = r->line + 1;
    for (;;) {
        long n = reader_getline(r);
        if (n < 0) {
            record_bad(rec, "read error: %s", strerror(errno));
            return READ_FATAL;
        }
        if (n == 0) {
            if (r->raw_len == 0)
                return READ_EOF;
            if (csv_fini(&st->p, on_field, on_record_end, st) != 0) {
                parser_reset(st);
                record_bad(rec, "quoted field not closed before the end of the file");
                break;
            }
            break;
        }
        const char *line = r->buf;
        if (r->line == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3; /* UTF-8 byte order mark */
            n -= 3;
        }
        if (r->raw_len == 0) {
            if (is_blank_line(line, n)) {
                rec->line = r->line + 1;
                continue;
            }
            rec->line = r->line;
        }
        if (reader_raw_append(r, line, (size_t)n) != 0) {
            record_bad(rec, "out of memory");
            return READ_FATAL;
        }
        if (r->raw_len > RECORD_MAX) {
            parser_reset(st);
            record_bad(rec, "record longer than %u bytes (a quote never closed?)", RECORD_MAX);
            break;
        }
        if (csv_parse(&st->p, line, (size_t)n, on_field, on_record_end, st) != (size_t)n) {
            int e = csv_error(&st->p);
            parser_reset(st);
            if (e == CSV_EPARSE)
                record_bad(rec, "malformed CSV in field %zu: a quote inside an unquoted field "
                                "or text after a closing quote", st->fields + 1);
            else
                record_bad(rec, "CSV parser: %s", csv_strerror(e));
            break;
        }
        if (st->done)
            break;
    }
    raw_trim_newline(r);
    rec->raw = r->raw;
    rec->raw_len = r->raw_len;
    if (st->oom) {
        record_bad(rec, "out of memory");
        return READ_FATAL;
    }
    if (rec->error[0])
        return READ_BAD;
    if (st->extra) {
        record_bad(rec, "carriage return inside an unquoted field");
        return READ_BAD;
    }
    if (!st->header && st->fields != st->n_columns) {
        record_bad(rec, "%zu fields, the header has %zu", st->fields, st->n_columns);
        return READ_BAD;
    }
    record_finish(rec);
    return READ_OK;
}

int csv_open(reader *r, char *err, size_t errlen)
{
    struct csv_state *st = calloc(1, sizeof *st);
    if (!st || parser_init(st) != 0) {
        free(st);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->csv = st;
    st->header = 1;
    record hdr;
    record_init(&hdr);
    int rc = read_record(r, &hdr);
    st->header = 0;
    r->columns = st->columns;
    r->n_columns = st->n_columns;
    st->columns = NULL;
    if (rc == READ_EOF)
        snprintf(err, errlen, "empty file: a header row naming the columns is required");
    else if (rc != READ_OK)
        snprintf(err, errlen, "header (line %ld): %s", hdr.line, hdr.error);
    record_free(&hdr);
    if (rc != READ_OK)
        return -1;
    if (st->nul_column) {
        snprintf(err, errlen, "header: the name of column %zu holds a NUL byte at byte %zu",
                 st->nul_column, st->nul_byte);
        return -1;
    }
    for (size_t i = 0; i < r->n_columns; i++) {
        if (r->columns[i][0] == '\0') {
            snprintf(err, errlen, "header: column %zu has no name", i + 1);
            return -1;
        }
    }
    size_t at;
    switch (names_repeat((const char *const *)r->columns, r->n_columns, &at)) {
    case 1:
        snprintf(err, errlen, "header: column %zu, '%s', appears twice", at + 1, r->columns[at]);
        return -1;
    case -1:
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    st->n_columns = r->n_columns;
    st->columns = r->columns; /* borrowed: the reader frees them */
    return 0;
}

int csv_next(reader *r, record *rec) { return read_record(r, rec); }

void csv_close(reader *r)
{
    struct csv_state *st = r->csv;
    if (!st)
        return;
    csv_free(&st->p);
    if (st->columns != r->columns)
        free(st->columns);
    free(st);
    r->csv = NULL;
}
