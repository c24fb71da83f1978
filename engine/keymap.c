/* keymap.c: open addressing from a nonzero 64-bit key to a 32-bit index (into a
 * vector the caller keeps, grown by eng_grow()): what a bulk call remembers per
 * question or per user. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/grow.h"

#define GROW_FIRST 1024   /* a bulk call's vectors start at this many elements */

int eng_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (ut_grow_from(p, cap, need, size, GROW_FIRST) != 0)
        return eng_fail(ENOMEM, "out of memory");
    return 0;
}

void eng_keymap_free(eng_keymap *m)
{
    free(m->key);
    free(m->at);
    memset(m, 0, sizeof *m);
}

void eng_keymap_clear(eng_keymap *m)
{
    if (m->key)
        memset(m->key, 0, m->cap * sizeof *m->key);
    m->n = 0;
}

static size_t slot_of(const eng_keymap *m, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (m->cap - 1);
    while (m->key[i] && m->key[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

int eng_keymap_get(const eng_keymap *m, uint64_t key, uint32_t *at)
{
    if (!m->n)
        return 0;
    size_t i = slot_of(m, key);
    if (!m->key[i])
        return 0;
    *at = m->at[i];
    return 1;
}

static int grow(eng_keymap *m)
{
    eng_keymap old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->key = calloc(m->cap, sizeof *m->key);
    m->at = malloc(m->cap * sizeof *m->at);
    if (!m->key || !m->at) {
        free(m->key);
        free(m->at);
        *m = old;
        return eng_fail(ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < old.cap; i++)
        if (old.key[i]) {
            size_t j = slot_of(m, old.key[i]);
            m->key[j] = old.key[i];
            m->at[j] = old.at[i];
        }
    free(old.key);
    free(old.at);
    return 0;
}

int eng_keymap_find(eng_keymap *m, uint64_t key, uint32_t next, uint32_t *at, int *found)
{
    if ((m->n + 1) * 2 > m->cap) {
        int rc = grow(m);
        if (rc)
            return rc;
    }
    size_t i = slot_of(m, key);
    *found = m->key[i] != 0;
    if (!*found) {
        m->key[i] = key;
        m->at[i] = next;
        m->n++;
    }
    *at = m->at[i];
    return 0;
}
