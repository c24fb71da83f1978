/* record.c: what the CSV and JSON Lines readers share: building records, repeated
 * names, physical lines (see reader.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reader.h"
#include "util/grow.h"

/* ---- records --------------------------------------------------------------------- */

void record_init(record *rec) { memset(rec, 0, sizeof *rec); }

void record_free(record *rec)
{
    free(rec->fields);
    free(rec->items);
    free(rec->item_offs);
    free(rec->arena);
    record_init(rec);
}

void record_clear(record *rec)
{
    rec->n_fields = 0;
    rec->n_items = 0;
    rec->arena_len = 0;
    rec->error[0] = '\0';
}

int record_append(record *rec, const char *s, size_t len)
{
    if (ut_grow((void **)&rec->arena, &rec->arena_cap, rec->arena_len + len + 1, 1) != 0)
        return -1;
    if (len)
        memcpy(rec->arena + rec->arena_len, s, len);
    rec->arena_len += len;
    return 0;
}

static int begin_field(record *rec, value_type type)
{
    if (ut_grow((void **)&rec->fields, &rec->cap_fields, rec->n_fields + 1, sizeof(rec_field)))
        return -1;
    rec_field *f = &rec->fields[rec->n_fields++];
    memset(f, 0, sizeof *f);
    f->type = type;
    f->first = rec->n_items;
    f->s_off = rec->arena_len;
    rec->cur_start = rec->arena_len;
    rec->cur_is_item = 0;
    /* an array's own text is empty; its items follow */
    if (type == VAL_ARRAY && record_end_value(rec) != 0)
        return -1;
    return 0;
}

int record_field(record *rec, const char *name, size_t name_len, value_type type)
{
    size_t off = rec->arena_len;
    if (record_append(rec, name, name_len) != 0 || record_append(rec, "", 1) != 0)
        return -1;
    if (begin_field(rec, type) != 0)
        return -1;
    rec->fields[rec->n_fields - 1].name_off = off;
    return 0;
}

int record_field_static(record *rec, const char *name, value_type type)
{
    if (begin_field(rec, type) != 0)
        return -1;
    rec_field *f = &rec->fields[rec->n_fields - 1];
    f->name = name;
    f->name_off = SIZE_MAX;
    return 0;
}

int record_item(record *rec)
{
    if (ut_grow((void **)&rec->items, &rec->cap_items, rec->n_items + 1, sizeof(rec_item)))
        return -1;
    size_t cap = rec->cap_items;
    size_t *offs = realloc(rec->item_offs, cap * sizeof(size_t));
    if (!offs)
        return -1;
    rec->item_offs = offs;
    rec->item_offs[rec->n_items] = rec->arena_len;
    rec->items[rec->n_items].len = 0;
    rec->n_items++;
    rec->fields[rec->n_fields - 1].n++;
    rec->cur_start = rec->arena_len;
    rec->cur_is_item = 1;
    return 0;
}

int record_end_value(record *rec)
{
    size_t len = rec->arena_len - rec->cur_start;
    if (record_append(rec, "", 0) != 0)
        return -1;
    rec->arena[rec->arena_len++] = '\0';
    if (rec->cur_is_item)
        rec->items[rec->n_items - 1].len = len;
    else
        rec->fields[rec->n_fields - 1].len = len;
    return 0;
}

void record_finish(record *rec)
{
    for (size_t i = 0; i < rec->n_fields; i++) {
        rec_field *f = &rec->fields[i];
        if (f->name_off != SIZE_MAX)
            f->name = rec->arena + f->name_off;
        f->s = rec->arena + f->s_off;
    }
    for (size_t i = 0; i < rec->n_items; i++)
        rec->items[i].s = rec->arena + rec->item_offs[i];
}

void record_bad(record *rec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rec->error, sizeof rec->error, fmt, ap);
    va_end(ap);
}

/* ---- duplicate names ------------------------------------------------------------- */

_Thread_local unsigned long names_compared;

typedef struct name_at {
    const char *name;
    size_t at;
} name_at;

static int compare_names(const char *a, const char *b)
{
    names_compared++;
    return strcmp(a, b);
}

/* By name, then by position: equal names end up together, first occurrence first. */
static int by_name_then_position(const void *a, const void *b)
{
    const name_at *x = a, *y = b;
    int c = compare_names(x->name, y->name);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

int names_repeat(const char *const *names, size_t n, size_t *at)
{
    if (n < 2)
        return 0;
    name_at *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return -1;
    for (size_t i = 0; i < n; i++)
        sorted[i] = (name_at){names[i], i};
    qsort(sorted, n, sizeof *sorted, by_name_then_position);
    *at = n;
    for (size_t i = 1; i < n; i++)
        if (sorted[i].at < *at && compare_names(sorted[i].name, sorted[i - 1].name) == 0)
            *at = sorted[i].at;
    free(sorted);
    return *at < n;
}

/* ---- physical lines -------------------------------------------------------------- */

long reader_getline(reader *r)
{
    errno = 0;
    ssize_t n = getline(&r->buf, &r->buf_cap, r->f);
    if (n < 0)
        return ferror(r->f) ? -1 : 0;
    r->offset += (uint64_t)n;
    r->line++;
    return (long)n;
}

int reader_raw_append(reader *r, const char *s, size_t len)
{
    if (r->raw_len + len + 1 > r->raw_cap) {
        size_t cap = r->raw_cap ? r->raw_cap : 4096;
        while (cap < r->raw_len + len + 1)
            cap *= 2;
        char *p = realloc(r->raw, cap);
        if (!p)
            return -1;
        r->raw = p;
        r->raw_cap = cap;
    }
    memcpy(r->raw + r->raw_len, s, len);
    r->raw_len += len;
    r->raw[r->raw_len] = '\0';
    return 0;
}
