/* get_out.c: what the reads of `quizstore get` share: failures, ids named on the
 * command line, and the JSON pieces every read writes (external ids, times, taxa,
 * users). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "get.h"

/* ---- errors ---------------------------------------------------------------------- */

int get_failed(get_ctx *g, int rc, const char *kind)
{
    if (rc == QS_NOTFOUND)
        msg("%s: %s not found", g->a->context, kind);
    else
        msg_rc(g->a->context, rc);
    return 1;
}

int get_resolve(get_ctx *g, qs_kind kind, const char *arg, uint64_t *id)
{
    return resolve_arg(g->txn, kind, arg, g->a->internal, g->a->context, id);
}

/* ---- shared pieces --------------------------------------------------------------- */

void out_ext_id(jw *w, const char *key, const char *ext)
{
    jw_key(w, key);
    if (ext[0])
        jw_str(w, ext);
    else
        jw_null(w);
}

void out_time(jw *w, const char *key, int64_t ms)
{
    jw_key(w, key);
    if (ms)
        jw_int(w, ms);
    else
        jw_null(w);
}

/* {"id", "ext_id", "name"} of a subject, system or topic; null for id 0. */
void out_taxon(get_ctx *g, const char *key, qs_kind kind, uint32_t id)
{
    jw *w = &g->w;
    jw_key(w, key);
    if (!id) {
        jw_null(w);
        return;
    }
    qs_taxon t = {.size = sizeof t};
    jw_row(w);
    jw_kuint(w, "id", id);
    if (qs_taxon_get(g->txn, kind, id, &t) == 0) {
        out_ext_id(w, "ext_id", t.ext_id);
        jw_kstr(w, "name", t.name);
    }
    jw_end_object(w);
}

void out_user(get_ctx *g, const char *key, uint32_t id)
{
    jw *w = &g->w;
    qs_user u = {.size = sizeof u};
    jw_key(w, key);
    jw_row(w);
    jw_kuint(w, "id", id);
    if (qs_user_get(g->txn, id, &u) == 0)
        out_ext_id(w, "ext_id", u.ext_id);
    jw_end_object(w);
}

void out_question_ext(get_ctx *g, const char *key, uint32_t id)
{
    static qs_question q;
    if (qs_question_get(g->txn, id, &q) == 0)
        out_ext_id(&g->w, key, q.ext_id);
    else
        out_ext_id(&g->w, key, "");
}

void out_test_ext(get_ctx *g, const char *key, uint64_t id)
{
    static qs_test t;
    if (qs_test_get(g->txn, id, &t) == 0)
        out_ext_id(&g->w, key, t.ext_id);
    else
        out_ext_id(&g->w, key, "");
}

/* The user named by an argument, checked to exist. */
int get_load_user(get_ctx *g, const char *arg, uint32_t *id)
{
    uint64_t v;
    qs_user u = {.size = sizeof u};
    if (get_resolve(g, QS_USER, arg, &v) != 0)
        return -1;
    int rc = qs_user_get(g->txn, (uint32_t)v, &u);
    if (rc != 0 || v > UINT32_MAX) {
        get_failed(g, rc ? rc : QS_NOTFOUND, "user");
        return -1;
    }
    *id = (uint32_t)v;
    return 0;
}
