/* get_questions.c: `quizstore get questions`, the bank listed by filter a page at a
 * time (qs_question_list).
 *
 * The cursor on the command line is the 16 bytes of a qs_list_cursor as 32 lower-case
 * hex characters; `next` is printed the same way after a full page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "get.h"

#define CURSOR_HEX (2 * QS_LIST_CURSOR_SIZE)

static void cursor_format(const qs_list_cursor *c, char out[CURSOR_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < QS_LIST_CURSOR_SIZE; i++) {
        out[2 * i] = digits[c->bytes[i] >> 4];
        out[2 * i + 1] = digits[c->bytes[i] & 15];
    }
    out[CURSOR_HEX] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int cursor_parse(const char *text, qs_list_cursor *c)
{
    if (strlen(text) != CURSOR_HEX)
        return -1;
    for (size_t i = 0; i < QS_LIST_CURSOR_SIZE; i++) {
        int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        c->bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* A subject, system or topic of the filter, checked to exist. 0 or 1 (reported). */
static int filter_taxon(get_ctx *g, qs_kind kind, const char *arg, uint32_t *out)
{
    uint64_t id;
    qs_taxon t = {.size = sizeof t};
    if (!arg)
        return 0;
    if (get_resolve(g, kind, arg, &id) != 0)
        return 1;
    int rc = id > UINT32_MAX ? QS_NOTFOUND : qs_taxon_get(g->txn, kind, (uint32_t)id, &t);
    if (rc != 0)
        return get_failed(g, rc, kind_word(kind));
    *out = (uint32_t)id;
    return 0;
}

/* The filter of the command line; 0, or 1 after reporting what is wrong. */
static int read_filter(get_ctx *g, qs_question_filter *f)
{
    const get_args *a = g->a;
    memset(f, 0, sizeof *f);
    f->order = a->newest ? QS_ORDER_NEWEST : QS_ORDER_ID;
    if (filter_taxon(g, QS_SUBJECT, a->subject, &f->subject) ||
        filter_taxon(g, QS_SYSTEM, a->system, &f->system) ||
        filter_taxon(g, QS_TOPIC, a->topic, &f->topic))
        return 1;
    if (a->difficulty) {
        uint64_t d;
        if (ut_parse_u64(a->difficulty, strlen(a->difficulty), &d) != 0 || d < 1 || d > 3) {
            msg("%s: --difficulty: '%s' is not 1, 2 or 3", a->context, a->difficulty);
            return 1;
        }
        f->difficulty = (uint8_t)d;
    }
    if (a->active) {
        if (strcasecmp(a->active, "yes") == 0)
            f->active = 1;
        else if (strcasecmp(a->active, "no") == 0)
            f->active = 2;
        else {
            msg("%s: --active: '%s' is not yes or no", a->context, a->active);
            return 1;
        }
    }
    if (a->band) {
        uint64_t b;
        if (strcasecmp(a->band, "none") == 0)
            f->band = QS_BAND_NONE;
        else if (ut_parse_u64(a->band, strlen(a->band), &b) == 0 && b <= 9)
            f->band = (uint8_t)(b + 1);
        else {
            msg("%s: --band: '%s' is not a band 0..9 or none", a->context, a->band);
            return 1;
        }
    }
    return 0;
}

static void out_filter(get_ctx *g, const qs_question_filter *f)
{
    jw *w = &g->w;
    jw_key(w, "filter");
    jw_object(w);
    out_taxon(g, "subject", QS_SUBJECT, f->subject);
    out_taxon(g, "system", QS_SYSTEM, f->system);
    out_taxon(g, "topic", QS_TOPIC, f->topic);
    jw_key(w, "difficulty");
    if (f->difficulty)
        jw_uint(w, f->difficulty);
    else
        jw_null(w);
    jw_key(w, "active");
    if (f->active)
        jw_bool(w, f->active == 1);
    else
        jw_null(w);
    jw_key(w, "band");
    if (f->band == QS_BAND_NONE)
        jw_str(w, "none");
    else if (f->band)
        jw_uint(w, f->band - 1u);
    else
        jw_null(w);
    jw_kstr(w, "order", f->order == QS_ORDER_NEWEST ? "newest" : "id");
    jw_end_object(w);
}

int get_questions(get_ctx *g)
{
    get_args *a = g->a;
    qs_question_filter f = {.size = sizeof f};
    qs_list_cursor after, next;
    if (a->cursor && cursor_parse(a->cursor, &after) != 0) {
        msg("%s: --cursor: not a question listing cursor (%d hex digits)", a->context,
            CURSOR_HEX);
        return 1;
    }
    if (read_filter(g, &f) != 0)
        return 1;
    size_t cap = (size_t)a->limit, n = 0;
    uint32_t *ids = calloc(cap, sizeof *ids);
    if (!ids)
        return get_failed(g, ENOMEM, "questions");
    int rc = qs_question_list(g->txn, &f, a->cursor ? &after : NULL, ids, cap, &n, &next);
    if (rc == QS_BAD_CURSOR || (rc == QS_INVALID && a->cursor)) {
        free(ids);
        msg("%s: --cursor: %s (%s)", a->context, qs_strerror(rc), qs_errmsg());
        return 1;
    }
    if (rc != 0) {
        free(ids);
        return get_failed(g, rc, "questions");
    }
    static qs_question q;
    jw *w = &g->w;
    jw_object(w);
    out_filter(g, &f);
    jw_key(w, "questions");
    jw_array(w);
    for (size_t i = 0; i < n && i < cap; i++) {   /* n > cap: more questions follow */
        jw_row(w);
        jw_kuint(w, "id", ids[i]);
        if ((rc = qs_question_get(g->txn, ids[i], &q)) != 0) {
            free(ids);
            return get_failed(g, rc, "question");
        }
        out_ext_id(w, "ext_id", q.ext_id);
        jw_kuint(w, "difficulty", q.difficulty);
        jw_key(w, "active");
        jw_bool(w, q.active);
        jw_kint(w, "created_at", q.created_at);
        jw_end_object(w);
    }
    jw_end_array(w);
    jw_key(w, "next");
    if (n > cap) {
        char text[CURSOR_HEX + 1];
        cursor_format(&next, text);
        jw_str(w, text);
    } else {
        jw_null(w);   /* no question follows this page */
    }
    jw_end_object(w);
    free(ids);
    return 0;
}
