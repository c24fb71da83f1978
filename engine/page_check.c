/* page_check.c: one B-tree page of LMDB's data file checked (pages.h): its header,
 * its nodes inside it, end to end, their keys in order, and what a leaf node holds
 * besides a tree: a free list, an overflow run, a sub-page of sorted values. */
#include <stdarg.h>
#include <stdio.h>

#include "pages.h"

void eng_page_damage(walk *w, uint64_t pgno, const char *fmt, ...)
{
    char why[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    eng_report_finding(w->r, "damaged page %llu (database '%s'): %s; restore the store "
                       "from a backup", (unsigned long long)pgno, w->db, why);
}

/* memcmp order, the shorter first on a tie (LMDB's default comparison). */
static int key_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

/* The free database's keys: txnids, native integers. */
static int int_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    (void)na;
    (void)nb;
    uint64_t x = get64(a), y = get64(b);
    return (x > y) - (x < y);
}

static int tree_cmp(const tree *t, const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    return t->is_free ? int_cmp(a, na, b, nb) : key_cmp(a, na, b, nb);
}

/* Mark page @p pgno reached; 0, or -1 (damage noted) when it cannot be. */
int eng_page_reach(walk *w, uint64_t pgno, uint64_t from)
{
    if (pgno < 2 || pgno >= w->pages) {
        eng_page_damage(w, from, "it points at page %llu, outside the %llu pages of the file",
                        (unsigned long long)pgno, (unsigned long long)w->pages);
        return -1;
    }
    if (w->seen[pgno / 8] & (1u << (pgno % 8))) {
        eng_page_damage(w, from, "it points at page %llu, which another page points at too",
                        (unsigned long long)pgno);
        return -1;
    }
    w->seen[pgno / 8] |= (uint8_t)(1u << (pgno % 8));
    return 0;
}

/* Check the header of a B-tree page (or sub-page) of @p size bytes; @p ksize: a LEAF2
 * page's key size (0 for other pages). 0 or -1. */
int eng_page_check_header(walk *w, uint64_t pgno, const uint8_t *p, size_t size, size_t ksize)
{
    uint16_t lower = get16(p + 12), upper = get16(p + 14);
    if (lower < PAGE_HDR || (lower - PAGE_HDR) % 2 || lower > upper || upper > size) {
        eng_page_damage(w, pgno, "its free space bounds %u..%u do not fit its %zu bytes", lower,
                        upper, size);
        return -1;
    }
    unsigned n = (lower - PAGE_HDR) / 2;
    if (ksize && PAGE_HDR + n * ksize > size) {
        eng_page_damage(w, pgno, "%u keys of %zu bytes do not fit it", n, ksize);
        return -1;
    }
    /* LMDB takes a LEAF2 page's free space from its bounds and writes a new key after
     * the last: bounds that claim more room than the keys leave let it write past the
     * page */
    if (ksize && (size_t)(upper - lower) != size - PAGE_HDR - n * ksize) {
        eng_page_damage(w, pgno, "its free space bounds %u..%u do not match its %u keys of "
                        "%zu bytes", lower, upper, n, ksize);
        return -1;
    }
    return 0;
}

/* The node @p i of page @p p (@p size bytes), with its key; NULL (damage noted) when
 * the node or its key does not lie inside the page. */
const uint8_t *eng_page_node_at(walk *w, uint64_t pgno, const uint8_t *p, size_t size,
                                unsigned i, const uint8_t **key, size_t *klen)
{
    uint16_t off = get16(p + PAGE_HDR + 2 * i), upper = get16(p + 14);
    if (off < upper || off % 2 || (size_t)off + NODE_HDR > size ||
        (size_t)off + NODE_HDR + get16(p + off + 6) > size) {
        eng_page_damage(w, pgno, "node %u at offset %u runs past the page end", i, off);
        return NULL;
    }
    if (get16(p + off + 6) > MAX_KEY) {
        eng_page_damage(w, pgno, "node %u has a key of %u bytes, longer than LMDB writes", i,
                        get16(p + off + 6));
        return NULL;
    }
    *key = p + off + NODE_HDR;
    *klen = get16(p + off + 6);
    return p + off;
}

/* Check that @p key is inside @p b and after @p prev (the key before it). */
int eng_page_key_in_order(walk *w, const tree *t, uint64_t pgno, unsigned i, const uint8_t *key,
                          size_t klen, const bounds *b, const uint8_t *prev, size_t prev_len)
{
    if (t->is_free && klen != 8) {
        eng_page_damage(w, pgno, "free list key %u is %zu bytes, not 8", i, klen);
        return -1;
    }
    if ((prev && tree_cmp(t, prev, prev_len, key, klen) >= 0) ||
        (b->lo && tree_cmp(t, key, klen, b->lo, b->lo_len) < 0) ||
        (b->hi && tree_cmp(t, key, klen, b->hi, b->hi_len) >= 0)) {
        eng_page_damage(w, pgno, "key %u is out of order", i);
        return -1;
    }
    return 0;
}

/* The @p n nodes of page @p p (@p size bytes; @p leaf: their data is on the page too)
 * lie end to end from its upper bound to its end, each taking its size rounded up to
 * even, as LMDB packs them: it moves and deletes nodes by those sizes, and nodes that
 * overlap, or a gap between them, would make it write past the page. */
int eng_page_check_tiling(walk *w, uint64_t pgno, const uint8_t *p, size_t size, unsigned n,
                          int leaf)
{
    uint16_t upper = get16(p + 14);
    const uint8_t *key;
    size_t klen;
    memset(w->starts + upper / 2, 0, (size - upper) / 2 * sizeof *w->starts);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *node = eng_page_node_at(w, pgno, p, size, i, &key, &klen);
        if (!node)
            return -1;
        uint32_t dsize = get16(node) | (uint32_t)get16(node + 2) << 16;
        size_t off = (size_t)(node - p);
        size_t stored = !leaf ? 0 : get16(node + 4) & F_BIGDATA ? 8 : dsize;
        size_t end = (off + NODE_HDR + klen + stored + 1) & ~(size_t)1;
        if (end > size || w->starts[off / 2]) {
            eng_page_damage(w, pgno, "node %u at offset %zu runs past the page end or into another",
                            i, off);
            return -1;
        }
        w->starts[off / 2] = (uint16_t)(i + 1);
        w->ends[i] = (uint32_t)end;
    }
    size_t at = upper;
    unsigned chained = 0;
    while (at < size && w->starts[at / 2]) {
        at = w->ends[w->starts[at / 2] - 1];
        chained++;
    }
    if (at != size || chained != n) {
        eng_page_damage(w, pgno, "its %u nodes do not fill offsets %u..%zu end to end", n, upper,
                        size);
        return -1;
    }
    return 0;
}

/* A free list: a count, then that many pages, highest first, each inside the file and
 * reached by no tree (the trees are walked first). */
int eng_page_check_free_list(walk *w, uint64_t pgno, const uint8_t *v, size_t len)
{
    uint64_t n = len >= 8 ? get64(v) : UINT64_MAX;
    if (n > len / 8 - 1) {
        eng_page_damage(w, pgno, "a free list of %llu pages in %zu bytes", (unsigned long long)n,
                        len);
        return -1;
    }
    for (uint64_t i = 1; i <= n; i++) {
        uint64_t free_pg = get64(v + 8 * i);
        if (i > 1 && free_pg >= get64(v + 8 * (i - 1))) {
            eng_page_damage(w, pgno, "free list entry %llu is out of order", (unsigned long long)i);
            return -1;
        }
        if (eng_page_reach(w, free_pg, pgno) != 0)
            return -1;
    }
    return 0;
}

/* An overflow run holding @p len bytes, starting at page @p first. */
int eng_page_check_overflow(walk *w, tree *t, uint64_t pgno, uint64_t first, size_t len)
{
    uint64_t n = (PAGE_HDR - 1 + (uint64_t)len) / w->psize + 1;
    if (eng_page_reach(w, first, pgno) != 0)
        return -1;
    /* a run keeps its pages when a smaller value replaces its own: it may hold more
     * than @p len needs, and LMDB copies, writes and frees all it says it holds */
    const uint8_t *hdr = page(w, first);
    uint64_t run = get32(hdr + 12);
    if (get64(hdr) != first || get16(hdr + 10) != P_OVERFLOW || run < n) {
        eng_page_damage(w, first, "not the overflow page of %llu pages that page %llu points at",
                        (unsigned long long)n, (unsigned long long)pgno);
        return -1;
    }
    if (first + run > w->pages) {
        eng_page_damage(w, pgno, "its %llu overflow pages from page %llu run past the file",
                        (unsigned long long)run, (unsigned long long)first);
        return -1;
    }
    for (uint64_t i = 1; i < run; i++)
        if (eng_page_reach(w, first + i, pgno) != 0)
            return -1;
    t->overflow += run;
    return t->is_free ? eng_page_check_free_list(w, first, hdr + PAGE_HDR, len) : 0;
}

/* A value of @p size bytes in DUPSORT database @p t: LMDB writes none longer than a
 * key, and those of a DUPFIXED database all of one size (it sizes its pages by it). */
int eng_page_same_value_size(walk *w, tree *t, uint64_t pgno, size_t size)
{
    int fixed = (t->flags & DB_DUPFIXED) != 0;
    if ((fixed && size == 0) || size > MAX_KEY) {
        eng_page_damage(w, pgno, "a value of %zu bytes in a database of sorted values", size);
        return -1;
    }
    if (!fixed)
        return 0;
    if (!t->value_size)
        t->value_size = (uint32_t)size;
    if (size != t->value_size) {
        eng_page_damage(w, pgno, "a value of %zu bytes where the database's others have %u", size,
                        t->value_size);
        return -1;
    }
    return 0;
}

/* The values of one key of a DUPSORT database kept in a sub-page of @p len bytes. */
int eng_page_check_sub_page(walk *w, tree *t, uint64_t pgno, const uint8_t *sp, size_t len)
{
    int fixed = (t->flags & DB_DUPFIXED) != 0;
    uint16_t want = P_LEAF | P_SUBP | (fixed ? P_LEAF2 : 0);
    /* LMDB writes sub-pages as it builds them, DIRTY */
    if (len < PAGE_HDR || (get16(sp + 10) & ~(P_DIRTY | P_KEEP)) != want) {
        eng_page_damage(w, pgno, "a sub-page of %zu bytes with flags 0x%x", len, get16(sp + 10));
        return -1;
    }
    size_t ksize = fixed ? get16(sp + 8) : 0;   /* a LEAF2 sub-page says its key size */
    if (fixed && eng_page_same_value_size(w, t, pgno, ksize) != 0)
        return -1;
    unsigned n = (get16(sp + 12) - PAGE_HDR) / 2;
    if (eng_page_check_header(w, pgno, sp, len, ksize) != 0 ||
        (!fixed && eng_page_check_tiling(w, pgno, sp, len, n, 1) != 0))
        return -1;
    tree dups = {.name = t->name, .is_dups = 1};
    const uint8_t *prev = NULL, *key;
    size_t prev_len = 0, klen;
    bounds none = {0};
    for (unsigned i = 0; i < n; i++) {
        if (fixed) {
            klen = ksize;
            key = sp + PAGE_HDR + (size_t)i * klen;
        } else {
            const uint8_t *node = eng_page_node_at(w, pgno, sp, len, i, &key, &klen);
            if (!node)
                return -1;
            if (get16(node + 4) || get16(node) || get16(node + 2)) {
                eng_page_damage(w, pgno, "value %u of a sub-page carries data or flags", i);
                return -1;
            }
        }
        if (eng_page_key_in_order(w, &dups, pgno, i, key, klen, &none, prev, prev_len) != 0)
            return -1;
        prev = key;
        prev_len = klen;
    }
    t->entries += n;
    return 0;
}

/* The data of leaf node @p i: checked by the node's flags. */
