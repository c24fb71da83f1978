/* import_refs.c: library failures, and references by external id (creating the
 * taxonomy entries and users a row refers to when they are unknown). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "import.h"
#include "util/grow.h"

static int row_level(int rc)
{
    return rc == QS_NOTFOUND || rc == QS_INVALID || rc == QS_EXISTS || rc == QS_TOO_LARGE;
}

outcome lib_fatal(apply_ctx *ac, int rc, const char *what)
{
    ac->rc = rc;
    snprintf(ac->fatal, sizeof ac->fatal, "%s", what);
    return OUT_FATAL;
}

outcome lib_failure(apply_ctx *ac, int rc, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *detail = qs_errmsg();
    if (!row_level(rc))
        return lib_fatal(ac, rc, what);
    if (detail && *detail)
        row_fail(ac->row, "%s: %s (%s)", what, qs_strerror(rc), detail);
    else
        row_fail(ac->row, "%s: %s", what, qs_strerror(rc));
    return OUT_REJECTED;
}

outcome ref_taxon(apply_ctx *ac, field_id f, qs_kind kind, uint32_t parent, uint32_t *id)
{
    qs_taxon t = {.size = sizeof t};
    memset(&t, 0, sizeof t);
    *id = 0;
    int r = row_ext_id(ac->row, f, t.ext_id);
    if (r < 0)
        return OUT_REJECTED;
    if (r > 0)
        return OUT_INSERTED; /* absent: no reference */
    uint64_t found;
    int rc = qs_resolve(ac->txn, kind, t.ext_id, &found);
    if (rc == 0) {
        *id = (uint32_t)found;
        return OUT_UNCHANGED;
    }
    if (rc != QS_NOTFOUND)
        return lib_failure(ac, rc, "%s '%s'", kind_word(kind), t.ext_id);
    /* unknown: create it, named after its external id */
    memcpy(t.name, t.ext_id, sizeof t.ext_id);
    t.parent = kind == QS_TOPIC ? parent : 0;
    rc = qs_taxon_put(ac->txn, kind, &t, id);
    if (rc != 0)
        return lib_failure(ac, rc, "creating %s '%s'", kind_word(kind), t.ext_id);
    ac->created[kind]++;
    return OUT_INSERTED;
}

outcome find_user(apply_ctx *ac, field_id f, uint32_t *id)
{
    char ext[QS_EXT_ID_MAX + 1];
    *id = 0;
    int r = row_ext_id(ac->row, f, ext);
    if (r < 0)
        return OUT_REJECTED;
    if (r > 0)
        return OUT_UNCHANGED;   /* no reference */
    uint64_t found;
    int rc = ref_id(ac, QS_USER, ext, &found);
    if (rc == QS_NOTFOUND)
        return OUT_INSERTED;
    if (rc != 0)
        return lib_failure(ac, rc, "user '%s'", ext);
    *id = (uint32_t)found;
    return OUT_UNCHANGED;
}

outcome ref_user(apply_ctx *ac, field_id f, int64_t created_at, uint32_t *id)
{
    outcome o = find_user(ac, f, id);
    if (o != OUT_INSERTED)
        return o;
    qs_user u = {.size = sizeof u};
    memset(&u, 0, sizeof u);
    row_ext_id(ac->row, f, u.ext_id);
    u.created_at = created_at;
    int rc = qs_user_put(ac->txn, &u, id);
    if (rc != 0)
        return lib_failure(ac, rc, "creating user '%s'", u.ext_id);
    ac->created[QS_USER]++;
    return OUT_INSERTED;
}

/* ---- ids found, remembered through a batch ----------------------------------------- */

void id_memo_clear(id_memo *m)
{
    if (!m)
        return;
    if (m->slot)
        memset(m->slot, 0, m->cap * sizeof *m->slot);
    m->n = m->names_len = 0;
}

void id_memo_free(id_memo *m)
{
    free(m->slot);
    free(m->names);
    memset(m, 0, sizeof *m);
}

static uint64_t name_hash(qs_kind kind, const char *s)
{
    uint64_t h = (14695981039346656037ull ^ (unsigned)kind) * 1099511628211ull;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct memo_slot *memo_find(const id_memo *m, qs_kind kind, const char *ext,
                                   uint64_t h)
{
    size_t i = h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        struct memo_slot *s = &m->slot[i];
        if (!s->name || (s->hash == h && s->kind == kind &&
                         strcmp(m->names + s->name - 1, ext) == 0))
            return s;
    }
}

static int memo_grow(id_memo *m)
{
    id_memo bigger = *m;
    bigger.cap = m->cap ? m->cap * 2 : 4096;
    if (!(bigger.slot = calloc(bigger.cap, sizeof *bigger.slot)))
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].name)
            *memo_find(&bigger, m->slot[i].kind, m->names + m->slot[i].name - 1,
                       m->slot[i].hash) = m->slot[i];
    free(m->slot);
    *m = bigger;
    return 0;
}

/* Remember @p kind's @p ext as @p id; out of memory, nothing is remembered. */
static void memo_add(id_memo *m, qs_kind kind, const char *ext, uint64_t h, uint64_t id)
{
    size_t len = strlen(ext) + 1;
    if ((m->n + 1) * 2 > m->cap && memo_grow(m) != 0)
        return;
    if (ut_grow((void **)&m->names, &m->names_cap, m->names_len + len, 1) != 0)
        return;
    memcpy(m->names + m->names_len, ext, len);
    *memo_find(m, kind, ext, h) = (struct memo_slot){h, m->names_len + 1, id, kind};
    m->names_len += len;
    m->n++;
}

int ref_id(apply_ctx *ac, qs_kind kind, const char *ext, uint64_t *id)
{
    id_memo *m = ac->ids;
    uint64_t h = name_hash(kind, ext);
    if (m && m->cap) {
        const struct memo_slot *s = memo_find(m, kind, ext, h);
        if (s->name) {
            *id = s->id;
            return 0;
        }
    }
    int rc = qs_resolve(ac->txn, kind, ext, id);
    if (rc == 0 && m)
        memo_add(m, kind, ext, h, *id);
    return rc;
}
