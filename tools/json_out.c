/* json_out.c: the JSON writer of `quizstore get` and `stats --json` (see json_out.h). */
#include <inttypes.h>
#include <string.h>

#include "json_out.h"
#include "util/utf8.h"

void jw_init(jw *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->inline_from = -1;
}

void jw_finish(jw *w) { fputc('\n', w->f); }

static int in_inline(const jw *w) { return w->inline_from >= 0 && w->depth >= w->inline_from; }

static void newline_indent(jw *w, int depth)
{
    fputc('\n', w->f);
    for (int i = 0; i < depth; i++)
        fputs("  ", w->f);
}

/* Separator and layout before a member (a key, or a value in an array). */
static void before_member(jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    int *count = &w->count[w->depth - 1];
    if (*count > 0)
        fputc(',', w->f);
    if (in_inline(w)) {
        if (*count > 0)
            fputc(' ', w->f);
    } else {
        newline_indent(w, w->depth);
    }
    (*count)++;
}

static void open_container(jw *w, char c, int one_line)
{
    before_member(w);
    fputc(c, w->f);
    if (w->depth < JW_MAX_DEPTH)
        w->count[w->depth] = 0;
    w->depth++;
    if (one_line && w->inline_from < 0)
        w->inline_from = w->depth;
}

static void close_container(jw *w, char c)
{
    int members = w->count[w->depth - 1];
    int was_inline = in_inline(w);
    if (w->inline_from == w->depth)
        w->inline_from = -1;
    w->depth--;
    if (members > 0 && !was_inline)
        newline_indent(w, w->depth);
    fputc(c, w->f);
}

void jw_object(jw *w) { open_container(w, '{', 0); }
void jw_row(jw *w) { open_container(w, '{', 1); }
void jw_end_object(jw *w) { close_container(w, '}'); }
void jw_array(jw *w) { open_container(w, '[', 0); }
void jw_inline_array(jw *w) { open_container(w, '[', 1); }
void jw_end_array(jw *w) { close_container(w, ']'); }

static void write_string(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': fputs("\\n", f); break;
            case '\r': fputs("\\r", f); break;
            case '\t': fputs("\\t", f); break;
            case '\b': fputs("\\b", f); break;
            case '\f': fputs("\\f", f); break;
            default: fprintf(f, "\\u%04x", c); break;
            }
            i++;
        } else {
            size_t n = ut_utf8_len(p + i, p + len);
            if (n == 0) {
                fputs("\\ufffd", f);
                i++;
            } else {
                fwrite(p + i, 1, n, f);
                i += n;
            }
        }
    }
    fputc('"', f);
}

void jw_key(jw *w, const char *key)
{
    before_member(w);
    write_string(w->f, key, strlen(key));
    fputs(": ", w->f);
    w->after_key = 1;
}

void jw_strn(jw *w, const char *s, size_t len)
{
    before_member(w);
    write_string(w->f, s, len);
}

void jw_str(jw *w, const char *s) { jw_strn(w, s, strlen(s)); }

void jw_int(jw *w, int64_t v)
{
    before_member(w);
    fprintf(w->f, "%" PRId64, v);
}

void jw_uint(jw *w, uint64_t v)
{
    before_member(w);
    fprintf(w->f, "%" PRIu64, v);
}

void jw_bool(jw *w, int v)
{
    before_member(w);
    fputs(v ? "true" : "false", w->f);
}

void jw_null(jw *w)
{
    before_member(w);
    fputs("null", w->f);
}

void jw_kstr(jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

void jw_kint(jw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}

void jw_kuint(jw *w, const char *key, uint64_t v)
{
    jw_key(w, key);
    jw_uint(w, v);
}
