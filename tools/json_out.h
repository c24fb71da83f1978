/* json_out.h: a small JSON writer with stable, readable layout.
 *
 * Containers opened with jw_object()/jw_array() put one member per line, indented by
 * two spaces; containers opened with jw_row() or jw_inline_array() (and anything
 * inside them) stay on one line. Keys are written in call order, so output is stable.
 * Strings are escaped; invalid UTF-8 bytes become U+FFFD so the output is always
 * valid JSON.
 */
#ifndef QS_JSON_OUT_H
#define QS_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16

typedef struct jw {
    FILE *f;
    int depth;
    int inline_from;              /* depth of the outermost one-line container, or -1 */
    int count[JW_MAX_DEPTH];      /* members written in each open container */
    int after_key;                /* a key was written; its value comes next */
} jw;

void jw_init(jw *w, FILE *f);
/* Ends the document with a newline. */
void jw_finish(jw *w);

void jw_object(jw *w);
void jw_row(jw *w);           /* an object on one line */
void jw_end_object(jw *w);
void jw_array(jw *w);
void jw_inline_array(jw *w);  /* an array on one line */
void jw_end_array(jw *w);

void jw_key(jw *w, const char *key);
void jw_str(jw *w, const char *s);
void jw_strn(jw *w, const char *s, size_t len);
void jw_int(jw *w, int64_t v);
void jw_uint(jw *w, uint64_t v);
void jw_bool(jw *w, int v);
void jw_null(jw *w);

/* key + value shorthands */
void jw_kstr(jw *w, const char *key, const char *s);
void jw_kint(jw *w, const char *key, int64_t v);
void jw_kuint(jw *w, const char *key, uint64_t v);

#endif /* QS_JSON_OUT_H */
