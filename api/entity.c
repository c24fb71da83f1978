/* entity.c: what the puts of the taxonomy, questions (questions.c), users and tests
 * (tests.c) share: their identity and external ids, how messages name them; and
 * the users.
 *
 * Every put resolves the entity's identity the same way (api_resolve_identity): the
 * given id, else the owner of the external id, else a new dense id. A put of
 * identical content writes nothing, so re-imports leave the store unchanged.
 *
 * What hangs on an entity moves with it or holds it in place: a topic moved to
 * another system carries its questions (through the question put's own path), and
 * a test's answers keep its user, keep their questions on its list and keep its
 * times from going back (the rules are at qs_test_put in quizstore.h). qs_repair()
 * applies the same two to a store older versions left inconsistent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* ------------------------------------------------------------------ helpers */

int api_check_ext(const char *ext, const char *what)
{
    char field[32];
    size_t len = strnlen(ext, QS_EXT_ID_MAX + 1);
    if (len > QS_EXT_ID_MAX)
        return eng_fail(QS_INVALID, "%s: external id longer than %d bytes", what,
                        QS_EXT_ID_MAX);
    snprintf(field, sizeof field, "%s external id", what);
    return api_check_utf8(ext, len, field);
}

int api_missing(const char *what, uint64_t id)
{
    return eng_fail(QS_NOTFOUND, "%s %llu not found", what, (unsigned long long)id);
}

int api_user_exists(qs_txn *txn, uint32_t user)
{
    qs_user u;
    int rc = eng_user_get(txn, user, &u);
    return rc == QS_NOTFOUND ? api_missing("user", user) : rc;
}

const char *api_kind_name(qs_kind kind)
{
    static const char *const names[] = {"entity", "subject", "system", "topic",
                                        "question", "user", "test"};
    return (unsigned)kind <= QS_TEST ? names[kind] : "entity";
}

static int resolve(qs_txn *txn, qs_kind kind, const char *ext_id, uint64_t *id)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!ext_id || !id || kind < QS_SUBJECT || kind > QS_TEST || !ext_id[0] ||
        strlen(ext_id) > QS_EXT_ID_MAX)
        return eng_fail(QS_INVALID, "qs_resolve: bad kind, external id or output");
    rc = eng_xid_get(txn, kind, ext_id, id);
    if (rc == QS_NOTFOUND)
        return eng_fail(rc, "%s '%s' not found", api_kind_name(kind), ext_id);
    return rc;
}

int qs_resolve(qs_txn *txn, qs_kind kind, const char *ext_id, uint64_t *id)
{
    ENG_GUARDED(txn, resolve(txn, kind, ext_id, id));
}

/* A free id for a new entity of @p kind (see eng_counter_take). */
int api_new_id(qs_txn *txn, qs_kind kind, eng_counter counter, uint64_t max, uint64_t *id)
{
    int rc = eng_counter_take(txn, counter, max, id);
    if (rc == 0 && *id == 0)
        return eng_fail(QS_INVALID, "no %s id left: every id up to %llu is taken",
                        api_kind_name(kind), (unsigned long long)max);
    return rc;
}

const char *api_label_of(label *l, qs_kind kind, uint64_t id, const char *ext)
{
    if (ext[0])
        snprintf(l->s, sizeof l->s, "%s '%s'", api_kind_name(kind), ext);
    else
        snprintf(l->s, sizeof l->s, "%s %llu", api_kind_name(kind), (unsigned long long)id);
    return l->s;
}

int api_resolve_identity(qs_txn *txn, qs_kind kind, uint64_t given, const char *ext,
                         eng_counter counter, uint64_t max, identity *out)
{
    out->id = given;
    out->ext_new = 0;
    if (given > max)
        return eng_fail(QS_INVALID, "%s id %llu out of range", api_kind_name(kind),
                        (unsigned long long)given);
    if (ext[0]) {
        uint64_t owner;
        int rc = eng_xid_get(txn, kind, ext, &owner);
        if (rc == 0) {
            if (given && given != owner)
                return eng_fail(QS_EXISTS, "%s external id '%s' belongs to %s %llu",
                                api_kind_name(kind), ext, api_kind_name(kind),
                                (unsigned long long)owner);
            out->id = owner;
            return 0;
        }
        if (rc != QS_NOTFOUND)
            return rc;
        out->ext_new = 1;
    }
    if (out->id) {
        eng_counter_seen(txn, counter, out->id);
        return 0;
    }
    return api_new_id(txn, kind, counter, max, &out->id);
}

/* The external id to store: a put with none keeps the one the entity has. */
int api_merge_ext(const char *old, const char *given, char *out, qs_kind kind,
                  uint64_t id)
{
    if (old[0] && given[0] && strcmp(old, given) != 0)
        return eng_fail(QS_INVALID, "%s %llu has external id '%s', not '%s'", api_kind_name(kind),
                        (unsigned long long)id, old, given);
    const char *kept = given[0] ? given : old;
    memmove(out, kept, strlen(kept) + 1);   /* @p out may be @p given itself */
    return 0;
}

int api_finish_ext(qs_txn *txn, qs_kind kind, const identity *who, const char *ext)
{
    return who->ext_new ? eng_xid_put(txn, kind, ext, who->id) : 0;
}

/* ------------------------------------------------------------------ users */

static int user_put(qs_txn *txn, const qs_user *given, uint32_t *id)
{
    int rc = eng_writable_gathering(txn);
    if (rc)
        return rc;
    if (!given)
        return eng_fail(QS_INVALID, "qs_user_put: user is NULL");
    qs_user user;
    const qs_user *u = &user;
    if ((rc = eng_sized_in(given, sizeof user, &user, "qs_user")) != 0 ||
        (rc = api_check_ext(u->ext_id, "user")) != 0)
        return rc;
    identity who;
    qs_user old, next = *u;
    if ((rc = api_resolve_identity(txn, QS_USER, u->id, u->ext_id, ENG_NEXT_USER, UINT32_MAX,
                                   &who)))
        return rc;
    next.id = (uint32_t)who.id;
    int found = eng_user_get(txn, next.id, &old);
    if (found && found != QS_NOTFOUND)
        return found;
    if ((rc = api_merge_ext(old.ext_id, u->ext_id, next.ext_id, QS_USER, who.id)) != 0)
        return rc;
    if (id)
        *id = next.id;
    if (found == 0 && memcmp(&old, &next, sizeof old) == 0)
        return 0;
    rc = eng_user_put(txn, &next);
    if (!rc && found == QS_NOTFOUND)
        rc = idx_board_move(txn, NULL, &(idx_board_view){next.id, QS_BOARD_ALL_TIME, 0, 0});
    if (!rc)
        rc = api_finish_ext(txn, QS_USER, &who, next.ext_id);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int qs_user_put(qs_txn *txn, const qs_user *u, uint32_t *id)
{
    ENG_GUARDED(txn, user_put(txn, u, id));
}

static int user_get(qs_txn *txn, uint32_t id, qs_user *out)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!out)
        return eng_fail(QS_INVALID, "qs_user_get: output is NULL");
    qs_user got;
    rc = eng_user_get(txn, id, &got);
    if (rc == QS_NOTFOUND)
        return api_missing("user", id);
    return rc ? rc : eng_sized_out(out, &got, sizeof got, "qs_user");
}

int qs_user_get(qs_txn *txn, uint32_t id, qs_user *out)
{
    ENG_GUARDED(txn, user_get(txn, id, out));
}

/* ------------------------------------------------------------------ repair */

/* The first id of @p db above *id (keys of @p width bytes) into *id; *more is 0 past
 * the last. A walk that seeks each record anew may rewrite the one it stands on. */
int api_id_after(qs_txn *txn, eng_db db, size_t width, uint64_t *id, int *more)
{
    eng_iter it;
    eng_key k;
    ek_reset(&k);
    if (width == 4)
        ek_u32(&k, (uint32_t)*id);
    else
        ek_u64(&k, *id);
    *more = 0;
    int rc = eng_iter_open(txn, db, &it);
    rc = rc ? rc : eng_iter_seek(&it, k.b, k.n);
    if (rc == 0 && it.key.size == k.n && memcmp(it.key.data, k.b, k.n) == 0)
        rc = eng_iter_next(&it);
    if (rc == 0 && (rc = eng_key_check(&it.key, width, eng_db_name(db))) == 0) {
        *id = width == 4 ? eng_get32(it.key.data) : eng_get64(it.key.data);
        *more = 1;
    }
    eng_iter_close(&it);
    return rc == ENG_END ? 0 : rc;
}
