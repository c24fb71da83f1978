/* row.c: a row's field values (mapped, joined, nulled) and their typed reading
 * (see fields.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "fields.h"
#include "timefmt.h"

#define BIT(f) (UINT64_C(1) << (f))

/* ---- rows ------------------------------------------------------------------------ */

void row_init(row *r, const mapping *m)
{
    memset(r, 0, sizeof *r);
    r->m = m;
}

void row_free(row *r) { free(r->buf); }

int row_fail(row *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    return -1;
}

const char *row_field_label(const row *r, field_id f, char *buf, size_t len)
{
    const field_src *src = &r->m->src[f];
    if (src->constant)
        snprintf(buf, len, "%s (--set)", field_name(f));
    else if (src->map)
        snprintf(buf, len, "%s (column %s)", field_name(f), src->map);
    else
        snprintf(buf, len, "%s", field_name(f));
    return buf;
}

static const rec_field *find_field(const record *rec, const char *name)
{
    for (size_t i = 0; i < rec->n_fields; i++)
        if (strcmp(rec->fields[i].name, name) == 0)
            return &rec->fields[i];
    return NULL;
}

static int is_null_text(const mapping *m, const char *s, size_t len)
{
    if (len == 0)
        return 1;
    for (size_t i = 0; i < m->n_nulls; i++)
        if (strlen(m->nulls[i]) == len && memcmp(m->nulls[i], s, len) == 0)
            return 1;
    return 0;
}

static int buf_append(row *r, const char *s, size_t len)
{
    if (r->buf_len + len + 1 > r->buf_cap) {
        size_t cap = r->buf_cap ? r->buf_cap : 256;
        while (cap < r->buf_len + len + 1)
            cap *= 2;
        char *p = realloc(r->buf, cap);
        if (!p)
            return -1;
        r->buf = p;
        r->buf_cap = cap;
    }
    memcpy(r->buf + r->buf_len, s, len);
    r->buf_len += len;
    r->buf[r->buf_len] = '\0';
    return 0;
}

/* A single column's value into v. */
static int load_column(row *r, field_id f, const char *column, row_value *v)
{
    const rec_field *rf = find_field(r->rec, column);
    if (!rf || rf->type == VAL_NULL)
        return 0;
    if (rf->type == VAL_ARRAY) {
        if (f != FLD_QUESTIONS && f != FLD_OPTIONS)
            return row_fail(r, "%s: an array where one value is expected", field_name(f));
        v->items = r->rec->items + rf->first;
        v->n_items = rf->n;
        v->present = rf->n > 0;
        return 0;
    }
    if (is_null_text(r->m, rf->s, rf->len))
        return 0;
    v->s = rf->s;
    v->len = rf->len;
    v->present = 1;
    return 0;
}

/* Several columns joined with ':' into r->buf at *off; absent if any part is. */
static int load_join(row *r, field_id f, const field_src *src, row_value *v, size_t *off)
{
    *off = r->buf_len;
    for (size_t j = 0; j < src->n_columns; j++) {
        row_value part = {0};
        if (load_column(r, f, src->columns[j], &part) != 0)
            return -1;
        if (!part.present || part.items)
            return part.items ? row_fail(r, "%s: cannot join arrays", field_name(f)) : 0;
        if ((j && buf_append(r, ":", 1) != 0) || buf_append(r, part.s, part.len) != 0)
            return row_fail(r, "out of memory");
    }
    if (buf_append(r, "", 0) != 0)
        return row_fail(r, "out of memory");
    v->len = r->buf_len - *off;
    v->present = 1;
    r->buf_len++; /* keep the NUL */
    return 0;
}

int row_load(row *r, const record *rec)
{
    const mapping *m = r->m;
    size_t join_off[FLD_COUNT];
    uint64_t joined = 0;
    r->rec = rec;
    r->buf_len = 0;
    r->reason[0] = '\0';
    for (int i = 0; i < FLD_COUNT; i++) {
        field_id f = (field_id)i;
        row_value *v = &r->v[f];
        memset(v, 0, sizeof *v);
        v->s = "";
        if (!field_in_kind(m->kind, f))
            continue;
        const field_src *src = &m->src[f];
        if (src->constant) {
            v->s = src->constant;
            v->len = strlen(src->constant);
            v->present = v->len > 0;
        } else if (src->n_columns == 1) {
            if (load_column(r, f, src->columns[0], v) != 0)
                return -1;
        } else if (src->n_columns > 1) {
            if (load_join(r, f, src, v, &join_off[f]) != 0)
                return -1;
            if (v->present)
                joined |= BIT(f);
        }
    }
    for (int f = 0; f < FLD_COUNT; f++)
        if (joined & BIT(f))
            r->v[f].s = r->buf + join_off[f];
    for (int i = 0; i < FLD_COUNT; i++) {
        field_id f = (field_id)i;
        const row_value *v = &r->v[f];
        /* the parsers of words, numbers, times and ids would stop at a NUL */
        const char *nul = NULL;
        if (v->present && !field_holds_bytes(f))
            nul = memchr(v->s, '\0', v->len);
        if (nul) {
            char what[64];
            snprintf(what, sizeof what, "holds a NUL byte at byte %zu",
                     (size_t)(nul - v->s) + 1);
            return row_bad_value(r, f, what);
        }
        if (field_required(m->kind, f) && !v->present) {
            char label[128];
            return row_fail(r, "%s is missing or empty",
                            row_field_label(r, f, label, sizeof label));
        }
    }
    return 0;
}

/* ---- typed values ---------------------------------------------------------------- */

#define SHOWN 60 /* bytes of a bad value quoted in a reason */

/* The first SHOWN bytes of @p v, control bytes and backslashes escaped. */
static const char *shown(const row_value *v, char out[4 * SHOWN + 4])
{
    size_t n = v->len < SHOWN ? v->len : SHOWN, o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v->s[i];
        if (c == '\\')
            o += (size_t)sprintf(out + o, "\\\\");
        else if (c < 0x20 || c == 0x7F)
            o += (size_t)sprintf(out + o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    strcpy(out + o, v->len > SHOWN ? "..." : "");
    return out;
}

int row_bad_value(row *r, field_id f, const char *what)
{
    char label[128], text[4 * SHOWN + 4];
    return row_fail(r, "%s: '%s' %s", row_field_label(r, f, label, sizeof label),
                    shown(&r->v[f], text), what);
}

int row_int(row *r, field_id f, int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
    const row_value *v = &r->v[f];
    if (!v->present) {
        *out = dflt;
        return 1;
    }
    if (ut_parse_i64(v->s, v->len, out) != 0)
        return row_bad_value(r, f, "is not an integer");
    if (*out < min || *out > max) {
        char what[96];
        snprintf(what, sizeof what, "is outside %lld..%lld", (long long)min, (long long)max);
        return row_bad_value(r, f, what);
    }
    return 0;
}

int row_time(row *r, field_id f, int64_t dflt, int64_t *out)
{
    const row_value *v = &r->v[f];
    if (!v->present) {
        *out = dflt;
        return 1;
    }
    if (ut_time_parse(v->s, v->len, out) != 0)
        return row_bad_value(r, f, "is not a timestamp (epoch milliseconds or ISO-8601)");
    return 0;
}

int row_bool(row *r, field_id f, int dflt, int *out)
{
    const row_value *v = &r->v[f];
    if (!v->present) {
        *out = dflt;
        return 1;
    }
    static const char *const yes[] = {"1", "true", "yes", "y", "t"};
    static const char *const no[] = {"0", "false", "no", "n", "f"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(v->s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v->s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return row_bad_value(r, f, "is not 1/0 (or true/false)");
}

int row_option(row *r, field_id f, int dflt, int *out)
{
    const row_value *v = &r->v[f];
    if (!v->present) {
        *out = dflt;
        return 1;
    }
    if (v->len == 1) {
        char c = v->s[0];
        if (c >= '0' && c <= '7') {
            *out = c - '0';
            return 0;
        }
        if (c >= 'a' && c <= 'h') {
            *out = c - 'a';
            return 0;
        }
        if (c >= 'A' && c <= 'H') {
            *out = c - 'A';
            return 0;
        }
    }
    return row_bad_value(r, f, "is not an option (0-7 or a-h)");
}

int row_ext_id(row *r, field_id f, char *out)
{
    const row_value *v = &r->v[f];
    if (!v->present) {
        out[0] = '\0';
        return 1;
    }
    if (v->len > QS_EXT_ID_MAX)
        return row_bad_value(r, f, "is longer than 63 bytes");
    memcpy(out, v->s, v->len + 1);
    return 0;
}

void list_start(list_iter *it, const row_value *v)
{
    it->v = v;
    it->i = 0;
}

int list_next(list_iter *it, const char **s, size_t *len)
{
    const row_value *v = it->v;
    if (!v->present)
        return 0;
    if (v->items) {
        if (it->i >= v->n_items)
            return 0;
        *s = v->items[it->i].s;
        *len = v->items[it->i].len;
        it->i++;
        return 1;
    }
    if (it->i > v->len)
        return 0;
    const char *start = v->s + it->i;
    const char *semi = memchr(start, ';', v->len - it->i);
    *s = start;
    *len = semi ? (size_t)(semi - start) : v->len - it->i;
    it->i += *len + 1;
    return 1;
}
