/* reader.h: streaming readers of import files, one record at a time.
 *
 * Two formats share one interface:
 *   CSV (csvin.c): RFC 4180 through libcsv; the first record is the header naming
 *     the columns; quoted fields may hold commas, quotes and newlines; every record
 *     must have as many fields as the header. A UTF-8 byte order mark is skipped.
 *   JSON Lines (jsonl.c): one flat JSON object per line; values are strings,
 *     numbers, true/false/null or arrays of strings. Blank lines are skipped.
 *
 * A record is a list of named values. Its memory belongs to the reader and is valid
 * until the next reader_next(). Every value is NUL-terminated (a value may also hold
 * NUL bytes from CSV input; len is authoritative).
 */
#ifndef QS_READER_H
#define QS_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum value_type {
    VAL_STRING = 0, /* CSV fields, JSON strings; numbers and booleans as their text */
    VAL_NULL,       /* JSON null */
    VAL_ARRAY       /* JSON array of strings: items[first .. first+n) */
} value_type;

typedef struct rec_item {
    const char *s;
    size_t len;
} rec_item;

typedef struct rec_field {
    const char *name;
    const char *s;
    size_t len;
    value_type type;
    size_t first, n; /* VAL_ARRAY items */
    /* arena offsets while the record is being built */
    size_t name_off, s_off;
} rec_field;

typedef struct record {
    long line;              /* physical line where the record starts, 1-based */
    const char *raw;        /* the record as it appears in the file, no newline */
    size_t raw_len;
    rec_field *fields;
    size_t n_fields, cap_fields;
    rec_item *items;
    size_t *item_offs;
    size_t n_items, cap_items;
    char *arena;
    size_t arena_len, arena_cap;
    size_t cur_start;       /* where the value being appended starts */
    int cur_is_item;
    char error[256];        /* why the record is malformed (READ_BAD) */
} record;

/* Results of reader_next(). */
enum { READ_EOF = 0, READ_OK = 1, READ_BAD = 2, READ_FATAL = -1 };

typedef enum file_format { FORMAT_AUTO = 0, FORMAT_CSV, FORMAT_JSONL } file_format;

typedef struct reader reader;

/* Open @p path ("-" for stdin) in @p format (FORMAT_AUTO picks by extension: .csv,
 * .jsonl, .ndjson, .json). A CSV header is read here. On failure writes the reason
 * into @p err and returns NULL. */
reader *reader_open(const char *path, file_format format, char *err, size_t errlen);

/* Read the next record: READ_OK; READ_BAD (malformed: rec->error says why, rec->raw
 * and rec->line are set, reading can go on); READ_EOF; READ_FATAL (I/O error:
 * rec->error). */
int reader_next(reader *r, record *rec);

/* The CSV header's column names, or NULL (*n = 0) for JSON Lines. */
const char *const *reader_columns(const reader *r, size_t *n);

file_format reader_format(const reader *r);
uint64_t reader_offset(const reader *r); /* bytes consumed so far */
uint64_t reader_size(const reader *r);   /* file size, 0 when unknown (a pipe) */
void reader_close(reader *r);

void record_init(record *rec);
void record_free(record *rec);

/* ---- for the format implementations ---------------------------------------------- */

struct csv_state;
struct jsonl_state;

struct reader {
    FILE *f;
    int own_file;
    file_format format;
    uint64_t offset, size;
    long line;             /* physical lines consumed */
    char *buf;             /* the current physical line (getline) */
    size_t buf_cap;
    char *raw;             /* the record being assembled */
    size_t raw_len, raw_cap;
    char **columns;        /* CSV header */
    size_t n_columns;
    struct csv_state *csv;
    struct jsonl_state *jsonl;
};

/* Read one physical line into r->buf, newline included. Returns its length, 0 at end
 * of file, -1 on error (errno set). */
long reader_getline(reader *r);
/* Append to r->raw. Returns 0 or -1 (out of memory). */
int reader_raw_append(reader *r, const char *s, size_t len);

void record_clear(record *rec);
/* Start a field: its name is copied (record_field) or kept as given, a pointer that
 * outlives the record (record_field_static). Its value follows by record_append()
 * and record_end_value(); a VAL_ARRAY's items by record_item(). */
int record_field(record *rec, const char *name, size_t name_len, value_type type);
int record_field_static(record *rec, const char *name, value_type type);
int record_append(record *rec, const char *s, size_t len);
/* End the current value (NUL-terminates it). */
int record_end_value(record *rec);
/* Start an item of the current VAL_ARRAY field; its text follows by record_append(). */
int record_item(record *rec);
/* Fix the pointers once the record is complete. */
void record_finish(record *rec);
void record_bad(record *rec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int csv_open(reader *r, char *err, size_t errlen);
int csv_next(reader *r, record *rec);
void csv_close(reader *r);
int jsonl_next(reader *r, record *rec);
void jsonl_close(reader *r);

/* The first of @p names, in their order, that repeats an earlier one: 1 with its
 * index in *at; 0 when they all differ; -1 out of memory. A CSV header's columns and
 * a JSON object's keys come from the file, so their number is the attacker's: this
 * sorts a copy, O(n log n) comparisons however they are spelled. */
int names_repeat(const char *const *names, size_t n, size_t *at);

/* Name comparisons names_repeat() made so far on the calling thread, for the tests
 * that hold it to its bound (one count per thread: readers may run on several). */
extern _Thread_local unsigned long names_compared;

/* Longest record accepted. */
#define RECORD_MAX (16u << 20)

#endif /* QS_READER_H */
