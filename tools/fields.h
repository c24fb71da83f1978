/* fields.h: the fields of each import kind (fields.c), and where a row's fields
 * come from and how they are read (row.c).
 *
 * Each kind (subjects ... interactions) has a fixed list of fields, named as the
 * CSV/JSON Lines schemas name them. A field's value comes from, in order:
 *   --set FIELD=VALUE     a constant
 *   --map FIELD=COLUMN    another column (or JSON key); COLUMN may be A+B+...: the
 *                         values of several columns joined with ':' (empty when
 *                         any of them is empty), unless a column is literally
 *                         named A+B
 *   the column (or key) named like the field.
 * A value is absent when the column is missing, the text is empty, it is JSON null,
 * or it equals one of the --null strings. A NUL byte (CSV may hold one) is allowed in
 * the texts and the payload only: anywhere else the row is rejected, naming the byte.
 */
#ifndef QS_FIELDS_H
#define QS_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

typedef enum import_kind {
    K_SUBJECTS,
    K_SYSTEMS,
    K_TOPICS,
    K_QUESTIONS,
    K_USERS,
    K_TESTS,
    K_ANSWERS,
    K_INTERACTIONS,
    K_COUNT
} import_kind;

typedef enum field_id {
    FLD_ID,
    FLD_NAME,
    FLD_SUBJECT,
    FLD_SYSTEM,
    FLD_TOPIC,
    FLD_DIFFICULTY,
    FLD_TYPE,
    FLD_ACTIVE,
    FLD_CREATED_AT,
    FLD_CORRECT_OPTION,
    FLD_STEM,
    FLD_OPTION0, /* FLD_OPTION0 + i for i < QS_MAX_OPTIONS */
    FLD_OPTION7 = FLD_OPTION0 + 7,
    FLD_OPTIONS,
    FLD_EXPLANATION,
    FLD_USER,
    FLD_STATUS,
    FLD_MODE,
    FLD_LAST_ACTIVITY_AT,
    FLD_COMPLETED_AT,
    FLD_QUESTIONS,
    FLD_OPEN_LIST,
    FLD_TEST,
    FLD_QUESTION,
    FLD_CORRECT,
    FLD_CHOSEN,
    FLD_SCORE,
    FLD_TIME_SPENT_MS,
    FLD_ACTION,
    FLD_PAYLOAD,
    FLD_COUNT
} field_id;

const char *kind_name(import_kind k);
/* 0 and *k set, or -1 for an unknown name. */
int kind_parse(const char *name, import_kind *k);
const char *field_name(field_id f);
/* Is @p f a field of @p k; is it required. */
int field_in_kind(import_kind k, field_id f);
int field_required(import_kind k, field_id f);
/* Does @p f hold bytes (texts and the payload), which may include NUL, rather than
 * a word, number, time or id, which may not. */
int field_holds_bytes(field_id f);
/* "id, name, system" etc. into @p out. */
void kind_field_list(import_kind k, char *out, size_t outlen);

/* Where each field comes from (see the top of this file). */
typedef struct field_src {
    const char *constant;   /* --set */
    const char *map;        /* --map, as given */
    char **columns;         /* bound: the column(s) read, NULL for the default */
    size_t n_columns;
} field_src;

typedef struct mapping {
    import_kind kind;
    field_src src[FLD_COUNT];
    const char *maps[64], *sets[64], *nulls[64]; /* the options as given */
    size_t n_maps, n_sets, n_nulls;
} mapping;

/* Record the options; they are checked by mapping_bind(). 0, or -1 when too many. */
int mapping_add_map(mapping *m, const char *arg);
int mapping_add_set(mapping *m, const char *arg);
int mapping_add_null(mapping *m, const char *arg);

/* Check the options against @p kind and, for CSV, the header's @p columns: unknown
 * fields, mapped columns that do not exist, required fields with no column. On
 * failure writes a message into @p err and returns -1. @p unused (may be NULL) gets
 * the header columns no field reads, comma-separated. */
int mapping_bind(mapping *m, import_kind kind, const char *const *columns, size_t n_columns,
                 char *err, size_t errlen, char *unused, size_t unused_len);
void mapping_free(mapping *m);

/* ---- rows ------------------------------------------------------------------------ */

typedef struct row_value {
    const char *s;          /* NUL-terminated; "" when absent */
    size_t len;
    int present;
    const rec_item *items;  /* a JSON array's items, or NULL */
    size_t n_items;
} row_value;

typedef struct row {
    const mapping *m;
    const record *rec;
    row_value v[FLD_COUNT];
    char *buf;              /* joined values */
    size_t buf_len, buf_cap;
    char reason[640];       /* why the row is rejected */
} row;

void row_init(row *r, const mapping *m);
void row_free(row *r);
/* Fill r->v from @p rec. Returns 0, or -1 with r->reason set (a required field is
 * absent, an array where text is expected, a NUL byte outside the texts). */
int row_load(row *r, const record *rec);

/* Set r->reason; returns -1. */
int row_fail(row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reject field @p f's value: "LABEL: 'VALUE' WHAT", the value quoted with its control
 * bytes escaped (\xNN, a NUL is \x00; a backslash is \\) and cut after 60 bytes.
 * Returns -1. */
int row_bad_value(row *r, field_id f, const char *what);

/* Where field f was read from, for messages: "created_at (column timestamp)". */
const char *row_field_label(const row *r, field_id f, char *buf, size_t len);

/* Typed getters: 0 with *out set; 1 when absent (*out = @p dflt); -1 with a reason. */
int row_int(row *r, field_id f, int64_t min, int64_t max, int64_t dflt, int64_t *out);
int row_time(row *r, field_id f, int64_t dflt, int64_t *out);
int row_bool(row *r, field_id f, int dflt, int *out);
/* An option: 0-based index or letter a-h / A-H. */
int row_option(row *r, field_id f, int dflt, int *out);
/* An external id (at most QS_EXT_ID_MAX bytes) copied into @p out. */
int row_ext_id(row *r, field_id f, char *out);

/* A list field: JSON array items, or a text split on ';'. Iterate with
 * list_next(); empty items are an error. */
typedef struct list_iter {
    const row_value *v;
    size_t i;               /* item index, or byte offset into the text */
} list_iter;
void list_start(list_iter *it, const row_value *v);
/* 1 with the item in *s and *len, 0 at the end. */
int list_next(list_iter *it, const char **s, size_t *len);

#endif /* QS_FIELDS_H */
