/* pages.c: LMDB's data file checked page by page, without LMDB.
 *
 * LMDB follows the offsets, sizes and page numbers inside its pages without checking
 * them: a damaged page makes it read past the end of the file or outside its map, or
 * fail an assertion, and a write through one can overrun LMDB's buffers. So the engine
 * reads the file's structure itself, through a map of its own, checking every field
 * before it uses it: at every open, the meta pages against the file's size and each
 * other (a truncated store, or a meta in the other's slot, is refused); at every open (unless sound.c remembers the file as
 * sound), in qs_check() and before a backup, every page of every B-tree of one
 * snapshot (eng_pages_check), so that a damaged page is named before LMDB is let near
 * it.
 *
 * The data file of LMDB 0.9 (64-bit, little-endian as the machine; MDB_DEVEL off) is
 * a run of pages of psize bytes, page n at offset n * psize. Pages 0 and 1 are meta
 * pages; the one with the higher txnid is the newest commit.
 *
 * page header         offset size
 *   pgno                   0    8   the page's own number
 *   pad                    8    2   LEAF2 pages: the size of every key
 *   flags                 10    2   BRANCH 0x01, LEAF 0x02, OVERFLOW 0x04, META 0x08,
 *                                   DIRTY 0x10, LEAF2 0x20, SUBP 0x40, KEEP 0x8000
 *   lower                 12    2   end of the node offsets; OVERFLOW: pages u32 at 12
 *   upper                 14    2   start of the nodes
 *   ptrs                  16  2*n   node offsets from the page start, n = (lower-16)/2;
 *                                   LEAF2 pages hold n keys of pad bytes at 16 instead
 * node                                (at an even offset; the nodes lie end to end from
 *                                    upper to the page's end, each its size rounded to
 *                                    even; a LEAF2 page's free space is exactly what its
 *                                    n keys leave)
 *   lo, hi                 0  2+2   leaf: data size; branch: child page bits 0-31
 *   flags                  4    2   leaf: BIGDATA 1, SUBDATA 2, DUPDATA 4;
 *                                   branch: child page bits 32-47
 *   ksize                  6    2
 *   key, data              8        BIGDATA: the data is the pgno of its first overflow
 *                                   page (8 bytes); SUBDATA: a database record; DUPDATA
 *                                   alone: a sub-page (a LEAF page in the node, SUBP)
 * database record     (48 bytes: a named database in the main tree, a DUPSORT
 *                      key's values when they outgrow a sub-page, the meta's two)
 *   pad 0 u32 (LEAF2 key size) | flags 4 u16 | depth 6 u16 | branch_pages 8 u64 |
 *   leaf_pages 16 | overflow_pages 24 | entries 32 | root 40 (all ones: empty)
 * meta                (after the page header of pages 0 and 1)
 *   magic 0 u32 0xBEEFC0DE | version 4 u32 (1) | address 8 | mapsize 16 |
 *   free database 24 (its pad is psize) | main database 72 | last_pg 120 | txnid 128
 *
 * Trees: a branch node's key (the first one's is ignored) is a lower bound of its
 * child's keys; keys ascend by memcmp, shorter first on a tie, except in the free
 * database, whose keys are txnids compared as integers and whose values are page
 * lists (count, then the pages, highest first).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_int.h"

#define PAGE_HDR 16
#define NODE_HDR 8
#define DB_REC 48
#define META_MAGIC 0xBEEFC0DEu
#define META_VERSION 1
#define META_LAST_PG 120
#define META_TXNID 128
#define META_SIZE 136
#define NO_PAGE UINT64_MAX
#define MAX_DEPTH 32           /* LMDB's cursor stack */
#define MAX_NESTING (2 * MAX_DEPTH + 2)   /* main tree, a database, its values' trees */
#define MAX_KEY 511            /* LMDB's longest key, and longest value of a DUPSORT key */
#define MIN_PAGE 512
#define MAX_PAGE 65536

enum {
    P_BRANCH = 0x01, P_LEAF = 0x02, P_OVERFLOW = 0x04, P_META = 0x08, P_DIRTY = 0x10,
    P_LEAF2 = 0x20, P_SUBP = 0x40, P_KEEP = 0x8000
};
enum { F_BIGDATA = 0x01, F_SUBDATA = 0x02, F_DUPDATA = 0x04 };
enum { DB_DUPSORT = 0x04, DB_INTEGERKEY = 0x08, DB_DUPFIXED = 0x10 };

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
_Static_assert(ENG_META_BYTES == PAGE_HDR + META_SIZE, "a meta page's bytes");

/* A database record, decoded. */
typedef struct db_rec {
    uint32_t pad;
    uint16_t flags, depth;
    uint64_t branch_pages, leaf_pages, overflow_pages, entries, root;
} db_rec;

static db_rec db_rec_read(const uint8_t *p)
{
    return (db_rec){get32(p), get16(p + 4), get16(p + 6), get64(p + 8), get64(p + 16),
                    get64(p + 24), get64(p + 32), get64(p + 40)};
}

/* ------------------------------------------------------------------ meta pages */

typedef struct meta {
    uint32_t psize;
    uint64_t last_pg, txnid;
    db_rec free_db, main_db;
} meta;

/* Decode the meta page at @p p (@p n bytes read). 0, or -1 when it is not one. */
static int meta_read(const uint8_t *p, size_t n, meta *m)
{
    const uint8_t *b = p + PAGE_HDR;
    if (n < PAGE_HDR + META_SIZE || !(get16(p + 10) & P_META) || get32(b) != META_MAGIC ||
        get32(b + 4) != META_VERSION)
        return -1;
    m->free_db = db_rec_read(b + 24);
    m->main_db = db_rec_read(b + 72);
    m->psize = m->free_db.pad;
    m->last_pg = get64(b + META_LAST_PG);
    m->txnid = get64(b + META_TXNID);
    if (m->psize < MIN_PAGE || m->psize > MAX_PAGE || (m->psize & (m->psize - 1)))
        return -1;
    return 0;
}

/* Both meta pages of data file @p fd, as LMDB reads them: page 1 sits one page size,
 * as page 0 gives it, after page 0. valid[i] tells which decode. */
static int metas_read(int fd, meta out[2], int valid[2])
{
    uint8_t buf[PAGE_HDR + META_SIZE];
    ssize_t got = pread(fd, buf, sizeof buf, 0);
    if (got < 0)
        return errno;
    valid[0] = meta_read(buf, (size_t)got, &out[0]) == 0;
    valid[1] = 0;
    if (!valid[0])
        return 0;
    if ((got = pread(fd, buf, sizeof buf, out[0].psize)) < 0)
        return errno;
    valid[1] = meta_read(buf, (size_t)got, &out[1]) == 0 && out[1].psize == out[0].psize;
    return 0;
}

int eng_file_check(int fd, const char *path, eng_file_meta *out)
{
    meta m[2];
    int valid[2];
    struct stat st;
    int rc = metas_read(fd, m, valid);
    if (rc)
        return eng_fail(rc, "%s: %s", path, strerror(rc));
    if (!valid[0] && !valid[1])
        return eng_fail(QS_CORRUPT, "%s is not an LMDB file: its first page holds no LMDB "
                        "meta page (not a store, or damaged beyond opening; restore it from "
                        "a backup)", path);
    if (!valid[1])
        return eng_fail(QS_CORRUPT, "%s: meta page 1 is damaged; restore the store from a "
                        "backup", path);
    /* LMDB writes the meta of transaction t to page t % 2, and reads a snapshot's
     * roots from there: a meta elsewhere would give readers and writers different
     * trees (meta page 1 of a new store says 0) */
    for (int i = 0; i < 2; i++)
        if (m[i].txnid % 2 != (uint64_t)i && m[i].txnid != 0)
            return eng_fail(QS_CORRUPT, "%s: meta page %d is damaged: it names transaction "
                            "%llu, whose meta page is %d; restore the store from a backup",
                            path, i, (unsigned long long)m[i].txnid, 1 - i);
    const meta *newest = m[0].txnid > m[1].txnid ? &m[0] : &m[1];
    /* the pages of a commit reach the file before its meta page does, so the size
     * read after the meta covers every page that commit may use */
    if (fstat(fd, &st) != 0)
        return eng_fail(errno, "%s: %s", path, strerror(errno));
    uint64_t need = (newest->last_pg + 1) * (uint64_t)newest->psize;
    if (newest->last_pg < 1 || newest->last_pg > UINT64_MAX / MAX_PAGE ||
        (uint64_t)st.st_size < need)
        return eng_fail(QS_CORRUPT, "%s is %lld bytes, but its newest commit (transaction "
                        "%llu) uses %llu pages of %u bytes (%llu bytes): the file was "
                        "truncated (or that meta page is damaged); restore it from a backup", path, (long long)st.st_size,
                        (unsigned long long)newest->txnid,
                        (unsigned long long)newest->last_pg + 1, newest->psize,
                        (unsigned long long)need);
    if (out) {
        out->psize = newest->psize;
        out->pages = newest->last_pg + 1;
    }
    return 0;
}

int eng_meta_newest(int fd, uint8_t *bytes, uint64_t *txnid, uint32_t *psize)
{
    meta m[2];
    int valid[2];
    int rc = metas_read(fd, m, valid);
    if (rc)
        return eng_fail(rc, "reading the meta pages: %s", strerror(rc));
    if (!valid[0] || !valid[1])
        return eng_fail(QS_CORRUPT, "a meta page of the data file is damaged");
    int i = m[1].txnid > m[0].txnid;
    if (pread(fd, bytes, ENG_META_BYTES, (off_t)i * m[0].psize) != ENG_META_BYTES)
        return eng_fail(EIO, "reading meta page %d", i);
    *txnid = m[i].txnid;
    *psize = m[i].psize;
    return 0;
}

/* LMDB writes commit t's meta to page t % 2 and opens the newer of the two: the
 * other page gets the same roots under t - 1 (a new store's two say 0). */
int eng_meta_restore(int fd, const uint8_t *bytes, uint32_t psize)
{
    uint64_t txnid = get64(bytes + PAGE_HDR + META_TXNID);
    uint8_t page[2][ENG_META_BYTES];
    for (unsigned slot = 0; slot < 2; slot++) {
        memcpy(page[slot], bytes, ENG_META_BYTES);
        put64(page[slot], slot);   /* the page number */
        if (slot != txnid % 2 && txnid)
            put64(page[slot] + PAGE_HDR + META_TXNID, txnid - 1);
        if (pwrite(fd, page[slot], ENG_META_BYTES, (off_t)slot * psize) != ENG_META_BYTES)
            return errno ? errno : EIO;
    }
    return fdatasync(fd) == 0 ? 0 : errno;
}

/* ------------------------------------------------------------------ the walk */

/* What the walk of one snapshot keeps. */
typedef struct walk {
    const uint8_t *map;        /* the file, read-only */
    int own_map;               /* mapped by the walk (else LMDB's) */
    uint32_t psize;
    uint64_t pages;            /* last_pg + 1 of the snapshot */
    uint8_t *seen;             /* a bit per page: reached by a tree (or free) */
    uint16_t *starts;          /* per even offset of the page being tiled: 1 + the node
                                  starting there, or 0 */
    uint32_t *ends;            /* per node of that page: where it ends */
    int level;                 /* trees nested in trees: the main tree, a database, its values */
    const char *db;            /* the database being walked */
    qs_check_report *r;
} walk;

/* How the database being walked orders and stores its entries. */
typedef struct tree {
    const char *name;
    uint16_t flags;            /* DB_ flags of its record */
    uint32_t fixed;            /* the values' tree of a DUPFIXED key: their size, the key
                                  size of its LEAF2 pages (else 0) */
    uint32_t value_size;       /* a DUPFIXED database: the size of the first value seen */
    int is_main, is_free, is_dups;   /* the main tree; the free tree; a sub-database */
    uint64_t branch, leaf, overflow, entries;
} tree;

/* A key range [lo, hi) inherited from the branch keys above; NULL: unbounded. */
typedef struct bounds {
    const uint8_t *lo, *hi;
    size_t lo_len, hi_len;
} bounds;

static void damage(walk *w, uint64_t pgno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void damage(walk *w, uint64_t pgno, const char *fmt, ...)
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
static int reach(walk *w, uint64_t pgno, uint64_t from)
{
    if (pgno < 2 || pgno >= w->pages) {
        damage(w, from, "it points at page %llu, outside the %llu pages of the file",
               (unsigned long long)pgno, (unsigned long long)w->pages);
        return -1;
    }
    if (w->seen[pgno / 8] & (1u << (pgno % 8))) {
        damage(w, from, "it points at page %llu, which another page points at too",
               (unsigned long long)pgno);
        return -1;
    }
    w->seen[pgno / 8] |= (uint8_t)(1u << (pgno % 8));
    return 0;
}

static const uint8_t *page(const walk *w, uint64_t pgno)
{
    return w->map + pgno * w->psize;
}

/* Check the header of a B-tree page (or sub-page) of @p size bytes; @p ksize: a LEAF2
 * page's key size (0 for other pages). 0 or -1. */
static int check_header(walk *w, uint64_t pgno, const uint8_t *p, size_t size, size_t ksize)
{
    uint16_t lower = get16(p + 12), upper = get16(p + 14);
    if (lower < PAGE_HDR || (lower - PAGE_HDR) % 2 || lower > upper || upper > size) {
        damage(w, pgno, "its free space bounds %u..%u do not fit its %zu bytes", lower,
               upper, size);
        return -1;
    }
    unsigned n = (lower - PAGE_HDR) / 2;
    if (ksize && PAGE_HDR + n * ksize > size) {
        damage(w, pgno, "%u keys of %zu bytes do not fit it", n, ksize);
        return -1;
    }
    /* LMDB takes a LEAF2 page's free space from its bounds and writes a new key after
     * the last: bounds that claim more room than the keys leave let it write past the
     * page */
    if (ksize && (size_t)(upper - lower) != size - PAGE_HDR - n * ksize) {
        damage(w, pgno, "its free space bounds %u..%u do not match its %u keys of %zu bytes",
               lower, upper, n, ksize);
        return -1;
    }
    return 0;
}

/* The node @p i of page @p p (@p size bytes), with its key; NULL (damage noted) when
 * the node or its key does not lie inside the page. */
static const uint8_t *node_at(walk *w, uint64_t pgno, const uint8_t *p, size_t size,
                              unsigned i, const uint8_t **key, size_t *klen)
{
    uint16_t off = get16(p + PAGE_HDR + 2 * i), upper = get16(p + 14);
    if (off < upper || off % 2 || (size_t)off + NODE_HDR > size ||
        (size_t)off + NODE_HDR + get16(p + off + 6) > size) {
        damage(w, pgno, "node %u at offset %u runs past the page end", i, off);
        return NULL;
    }
    if (get16(p + off + 6) > MAX_KEY) {
        damage(w, pgno, "node %u has a key of %u bytes, longer than LMDB writes", i,
               get16(p + off + 6));
        return NULL;
    }
    *key = p + off + NODE_HDR;
    *klen = get16(p + off + 6);
    return p + off;
}

/* Check that @p key is inside @p b and after @p prev (the key before it). */
static int key_in_order(walk *w, const tree *t, uint64_t pgno, unsigned i, const uint8_t *key,
                        size_t klen, const bounds *b, const uint8_t *prev, size_t prev_len)
{
    if (t->is_free && klen != 8) {
        damage(w, pgno, "free list key %u is %zu bytes, not 8", i, klen);
        return -1;
    }
    if ((prev && tree_cmp(t, prev, prev_len, key, klen) >= 0) ||
        (b->lo && tree_cmp(t, key, klen, b->lo, b->lo_len) < 0) ||
        (b->hi && tree_cmp(t, key, klen, b->hi, b->hi_len) >= 0)) {
        damage(w, pgno, "key %u is out of order", i);
        return -1;
    }
    return 0;
}

/* The @p n nodes of page @p p (@p size bytes; @p leaf: their data is on the page too)
 * lie end to end from its upper bound to its end, each taking its size rounded up to
 * even, as LMDB packs them: it moves and deletes nodes by those sizes, and nodes that
 * overlap, or a gap between them, would make it write past the page. */
static int check_tiling(walk *w, uint64_t pgno, const uint8_t *p, size_t size, unsigned n,
                        int leaf)
{
    uint16_t upper = get16(p + 14);
    const uint8_t *key;
    size_t klen;
    memset(w->starts + upper / 2, 0, (size - upper) / 2 * sizeof *w->starts);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *node = node_at(w, pgno, p, size, i, &key, &klen);
        if (!node)
            return -1;
        uint32_t dsize = get16(node) | (uint32_t)get16(node + 2) << 16;
        size_t off = (size_t)(node - p);
        size_t stored = !leaf ? 0 : get16(node + 4) & F_BIGDATA ? 8 : dsize;
        size_t end = (off + NODE_HDR + klen + stored + 1) & ~(size_t)1;
        if (end > size || w->starts[off / 2]) {
            damage(w, pgno, "node %u at offset %zu runs past the page end or into another",
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
        damage(w, pgno, "its %u nodes do not fill offsets %u..%zu end to end", n, upper,
               size);
        return -1;
    }
    return 0;
}

static int walk_tree(walk *w, tree *t, const db_rec *d, uint64_t from);

/* A free list: a count, then that many pages, highest first, each inside the file and
 * reached by no tree (the trees are walked first). */
static int check_free_list(walk *w, uint64_t pgno, const uint8_t *v, size_t len)
{
    uint64_t n = len >= 8 ? get64(v) : UINT64_MAX;
    if (n > len / 8 - 1) {
        damage(w, pgno, "a free list of %llu pages in %zu bytes", (unsigned long long)n, len);
        return -1;
    }
    for (uint64_t i = 1; i <= n; i++) {
        uint64_t free_pg = get64(v + 8 * i);
        if (i > 1 && free_pg >= get64(v + 8 * (i - 1))) {
            damage(w, pgno, "free list entry %llu is out of order", (unsigned long long)i);
            return -1;
        }
        if (reach(w, free_pg, pgno) != 0)
            return -1;
    }
    return 0;
}

/* An overflow run holding @p len bytes, starting at page @p first. */
static int check_overflow(walk *w, tree *t, uint64_t pgno, uint64_t first, size_t len)
{
    uint64_t n = (PAGE_HDR - 1 + (uint64_t)len) / w->psize + 1;
    if (reach(w, first, pgno) != 0)
        return -1;
    /* a run keeps its pages when a smaller value replaces its own: it may hold more
     * than @p len needs, and LMDB copies, writes and frees all it says it holds */
    const uint8_t *hdr = page(w, first);
    uint64_t run = get32(hdr + 12);
    if (get64(hdr) != first || get16(hdr + 10) != P_OVERFLOW || run < n) {
        damage(w, first, "not the overflow page of %llu pages that page %llu points at",
               (unsigned long long)n, (unsigned long long)pgno);
        return -1;
    }
    if (first + run > w->pages) {
        damage(w, pgno, "its %llu overflow pages from page %llu run past the file",
               (unsigned long long)run, (unsigned long long)first);
        return -1;
    }
    for (uint64_t i = 1; i < run; i++)
        if (reach(w, first + i, pgno) != 0)
            return -1;
    t->overflow += run;
    return t->is_free ? check_free_list(w, first, hdr + PAGE_HDR, len) : 0;
}

/* A value of @p size bytes in DUPSORT database @p t: LMDB writes none longer than a
 * key, and those of a DUPFIXED database all of one size (it sizes its pages by it). */
static int same_value_size(walk *w, tree *t, uint64_t pgno, size_t size)
{
    int fixed = (t->flags & DB_DUPFIXED) != 0;
    if ((fixed && size == 0) || size > MAX_KEY) {
        damage(w, pgno, "a value of %zu bytes in a database of sorted values", size);
        return -1;
    }
    if (!fixed)
        return 0;
    if (!t->value_size)
        t->value_size = (uint32_t)size;
    if (size != t->value_size) {
        damage(w, pgno, "a value of %zu bytes where the database's others have %u", size,
               t->value_size);
        return -1;
    }
    return 0;
}

/* The values of one key of a DUPSORT database kept in a sub-page of @p len bytes. */
static int check_sub_page(walk *w, tree *t, uint64_t pgno, const uint8_t *sp, size_t len)
{
    int fixed = (t->flags & DB_DUPFIXED) != 0;
    uint16_t want = P_LEAF | P_SUBP | (fixed ? P_LEAF2 : 0);
    /* LMDB writes sub-pages as it builds them, DIRTY */
    if (len < PAGE_HDR || (get16(sp + 10) & ~(P_DIRTY | P_KEEP)) != want) {
        damage(w, pgno, "a sub-page of %zu bytes with flags 0x%x", len, get16(sp + 10));
        return -1;
    }
    size_t ksize = fixed ? get16(sp + 8) : 0;   /* a LEAF2 sub-page says its key size */
    if (fixed && same_value_size(w, t, pgno, ksize) != 0)
        return -1;
    unsigned n = (get16(sp + 12) - PAGE_HDR) / 2;
    if (check_header(w, pgno, sp, len, ksize) != 0 ||
        (!fixed && check_tiling(w, pgno, sp, len, n, 1) != 0))
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
            const uint8_t *node = node_at(w, pgno, sp, len, i, &key, &klen);
            if (!node)
                return -1;
            if (get16(node + 4) || get16(node) || get16(node + 2)) {
                damage(w, pgno, "value %u of a sub-page carries data or flags", i);
                return -1;
            }
        }
        if (key_in_order(w, &dups, pgno, i, key, klen, &none, prev, prev_len) != 0)
            return -1;
        prev = key;
        prev_len = klen;
    }
    t->entries += n;
    return 0;
}

/* The data of leaf node @p i: checked by the node's flags. */
static int check_leaf_data(walk *w, tree *t, uint64_t pgno, const uint8_t *p, unsigned i,
                           const uint8_t *node)
{
    uint16_t flags = get16(node + 4);
    uint32_t dsize = get16(node) | (uint32_t)get16(node + 2) << 16;
    const uint8_t *data = node + NODE_HDR + get16(node + 6);
    size_t room = w->psize - (size_t)(data - p);
    size_t stored = flags & F_BIGDATA ? 8 : dsize;
    int dupsort = (t->flags & DB_DUPSORT) != 0;
    int ok_flags = t->is_main ? flags == F_SUBDATA || flags == 0
                 : dupsort ? flags == 0 || flags == F_DUPDATA || flags == (F_DUPDATA | F_SUBDATA)
                 : t->is_dups ? flags == 0 && dsize == 0
                 : flags == 0 || flags == F_BIGDATA;
    if (!ok_flags || stored > room) {
        damage(w, pgno, "node %u has flags 0x%x and %u bytes of data", i, flags, dsize);
        return -1;
    }
    if (flags & F_SUBDATA) {
        db_rec d = db_rec_read(data);
        if (dsize != DB_REC)
            return damage(w, pgno, "node %u holds a database record of %u bytes", i, dsize), -1;
        if (t->is_main) {
            char name[64];
            t->entries++;
            snprintf(name, sizeof name, "%.*s", (int)get16(node + 6), node + NODE_HDR);
            /* LMDB orders and stores a database's entries by its record's flags */
            if (d.flags != eng_db_flags(name))
                return damage(w, pgno, "database '%s' has flags 0x%x, not 0x%x", name,
                              d.flags, eng_db_flags(name)), -1;
            tree sub = {.name = name, .flags = d.flags};
            return walk_tree(w, &sub, &d, pgno);
        }
        tree dups = {.name = t->name, .flags = d.flags, .is_dups = 1};
        /* the engine's databases of sorted values sort them by memcmp */
        if (d.flags != (t->flags & DB_DUPFIXED))
            return damage(w, pgno, "node %u's values have flags 0x%x", i, d.flags), -1;
        if ((t->flags & DB_DUPFIXED) && same_value_size(w, t, pgno, d.pad) != 0)
            return -1;
        dups.fixed = t->flags & DB_DUPFIXED ? d.pad : 0;
        int rc = walk_tree(w, &dups, &d, pgno);
        t->entries += d.entries;
        return rc;
    }
    if (flags & F_DUPDATA)
        return check_sub_page(w, t, pgno, data, dsize);
    if (dupsort && same_value_size(w, t, pgno, dsize) != 0)
        return -1;
    t->entries++;
    if (flags & F_BIGDATA)
        return check_overflow(w, t, pgno, get64(data), dsize);
    return t->is_free ? check_free_list(w, pgno, data, dsize) : 0;
}

static int walk_page(walk *w, tree *t, uint64_t pgno, int depth, const bounds *b);

/* Branch page @p p: its separator keys in order and inside @p b, then every child
 * with the key range its neighbours give it. */
static int walk_branch(walk *w, tree *t, uint64_t pgno, const uint8_t *p, int depth,
                       const bounds *b)
{
    unsigned n = (get16(p + 12) - PAGE_HDR) / 2;
    const uint8_t *key, *prev = NULL;
    size_t klen, prev_len = 0;
    if (n < 2) {   /* LMDB asserts as much; it merges a branch page left with one */
        damage(w, pgno, "a branch page with %u children", n);
        return -1;
    }
    t->branch++;
    for (unsigned i = 0; i < n; i++) {   /* the first node's key is never compared */
        if (!node_at(w, pgno, p, w->psize, i, &key, &klen) ||
            (i > 0 && key_in_order(w, t, pgno, i, key, klen, b, prev, prev_len) != 0))
            return -1;
        if (i > 0) {
            prev = key;
            prev_len = klen;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        bounds child = *b;
        const uint8_t *node = node_at(w, pgno, p, w->psize, i, &key, &klen);
        if (i > 0) {
            child.lo = key;
            child.lo_len = klen;
        }
        if (i + 1 < n)
            node_at(w, pgno, p, w->psize, i + 1, &child.hi, &child.hi_len);
        uint64_t kid = get16(node) | (uint64_t)get16(node + 2) << 16 |
                       (uint64_t)get16(node + 4) << 32;
        if (reach(w, kid, pgno) != 0 || walk_page(w, t, kid, depth - 1, &child) != 0)
            return -1;
    }
    return 0;
}

static int walk_leaf(walk *w, tree *t, uint64_t pgno, const uint8_t *p, const bounds *b)
{
    int leaf2 = (get16(p + 10) & P_LEAF2) != 0;
    unsigned n = (get16(p + 12) - PAGE_HDR) / 2;
    const uint8_t *prev = NULL, *key;
    size_t prev_len = 0, klen;
    t->leaf++;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *node = NULL;
        if (leaf2) {
            klen = t->fixed;
            key = p + PAGE_HDR + (size_t)i * klen;
        } else if (!(node = node_at(w, pgno, p, w->psize, i, &key, &klen))) {
            return -1;
        }
        if (key_in_order(w, t, pgno, i, key, klen, b, prev, prev_len) != 0)
            return -1;
        if (leaf2)
            t->entries++;
        else if (check_leaf_data(w, t, pgno, p, i, node) != 0)
            return -1;
        prev = key;
        prev_len = klen;
    }
    return 0;
}

/* Page @p pgno, reached already, at @p depth levels above the leaves (1: a leaf). */
static int walk_page(walk *w, tree *t, uint64_t pgno, int depth, const bounds *b)
{
    if (w->level == MAX_NESTING) {
        damage(w, pgno, "trees nested deeper than %d levels", MAX_NESTING);
        return -1;
    }
    const uint8_t *p = page(w, pgno);
    /* LMDB clears DIRTY and KEEP before a page reaches the file, and takes a page that
     * says DIRTY for one of its own buffers: a write would free the map under it. */
    uint16_t flags = get16(p + 10);
    uint16_t leaf = t->fixed ? P_LEAF | P_LEAF2 : P_LEAF;
    uint16_t want = depth > 1 ? P_BRANCH : leaf;
    if (get64(p) != pgno || flags != want) {
        damage(w, pgno, "it says it is page %llu with flags 0x%x, where a %s page belongs",
               (unsigned long long)get64(p), get16(p + 10), depth > 1 ? "branch" : "leaf");
        return -1;
    }
    const char *outer = w->db;
    w->db = t->name;
    w->level++;
    int rc = check_header(w, pgno, p, w->psize, want & P_LEAF2 ? t->fixed : 0);
    if (rc == 0 && !(want & P_LEAF2))
        rc = check_tiling(w, pgno, p, w->psize, (get16(p + 12) - PAGE_HDR) / 2, depth == 1);
    if (rc == 0)
        rc = depth > 1 ? walk_branch(w, t, pgno, p, depth, b) : walk_leaf(w, t, pgno, p, b);
    w->level--;
    w->db = outer;
    return rc;
}

/* A whole tree from its database record; its counts are checked against the record. */
static int walk_tree(walk *w, tree *t, const db_rec *d, uint64_t from)
{
    const char *outer = w->db;
    bounds none = {0};
    int rc = 0;
    w->db = t->name;
    if (d->root == NO_PAGE) {
        if (d->depth || d->entries)
            damage(w, from, "an empty tree with depth %u and %llu entries", d->depth,
                   (unsigned long long)d->entries);
    } else if (d->depth < 1 || d->depth > MAX_DEPTH) {
        damage(w, from, "a tree of depth %u", d->depth);
    } else if ((rc = reach(w, d->root, from)) == 0 &&
               (rc = walk_page(w, t, d->root, d->depth, &none)) == 0 &&
               (t->entries != d->entries || t->branch != d->branch_pages ||
                t->leaf != d->leaf_pages || t->overflow != d->overflow_pages)) {
        damage(w, from, "its record counts %llu entries in %llu+%llu+%llu pages; the tree "
               "holds %llu in %llu+%llu+%llu", (unsigned long long)d->entries,
               (unsigned long long)d->branch_pages, (unsigned long long)d->leaf_pages,
               (unsigned long long)d->overflow_pages, (unsigned long long)t->entries,
               (unsigned long long)t->branch, (unsigned long long)t->leaf,
               (unsigned long long)t->overflow);
    }
    w->db = outer;
    return 0;   /* damage is noted in the report; the walk goes on with other trees */
}

/* ------------------------------------------------------------------ the check */

static void walk_free(walk *w)
{
    if (w->own_map)
        munmap((void *)w->map, (size_t)(w->pages * w->psize));
    free(w->seen);
    free(w->starts);
    free(w->ends);
}

/* Prepare the walk of the snapshot of @p m: its pages are read through LMDB's map of
 * the file when the environment found it (the pages the walk touches are then mapped
 * for LMDB too), else through a map of the walk's own. The meta says the snapshot
 * uses no more than last_pg + 1 pages, and the file, checked here, holds them. */
static int walk_init(walk *w, qs_env *env, int fd, const meta *m, qs_check_report *r)
{
    struct stat st;
    memset(w, 0, sizeof *w);
    w->psize = m->psize;
    w->pages = m->last_pg + 1;
    w->r = r;
    if (fstat(fd, &st) != 0)
        return eng_fail(errno, "page check: %s", strerror(errno));
    if ((uint64_t)st.st_size < w->pages * w->psize)
        return eng_fail(QS_CORRUPT, "the data file is %lld bytes, shorter than the %llu "
                        "pages its newest commit uses: restore the store from a backup",
                        (long long)st.st_size, (unsigned long long)w->pages);
    if (env->map_base && w->pages * w->psize <= env->map_size) {
        w->map = (const uint8_t *)env->map_base;
    } else {
        void *map = mmap(NULL, (size_t)(w->pages * w->psize), PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
            return eng_fail(errno, "page check: mapping the data file: %s", strerror(errno));
        w->map = map;
        w->own_map = 1;
    }
    w->seen = calloc(w->pages / 8 + 1, 1);
    w->starts = calloc(w->psize / 2, sizeof *w->starts);
    w->ends = calloc(w->psize / 2, sizeof *w->ends);
    if (w->seen && w->starts && w->ends)
        return 0;
    walk_free(w);
    return eng_fail(ENOMEM, "out of memory for the page check");
}

/* The meta page of the snapshot of @p txn: the one naming its txnid. QS_NOTFOUND when
 * two later commits have overwritten it. */
static int snapshot_meta(int fd, MDB_txn *txn, meta *out)
{
    meta m[2];
    int valid[2];
    int rc = metas_read(fd, m, valid);
    if (rc)
        return eng_fail(rc, "reading the meta pages: %s", strerror(rc));
    for (int i = 0; i < 2; i++)
        if (valid[i] && m[i].txnid == mdb_txn_id(txn)) {
            *out = m[i];
            return 0;
        }
    return QS_NOTFOUND;
}

/* Every tree of the snapshot of @p m. Guarded: the file could be cut short by another
 * process while its map is read. */
static int walk_guarded(walk *w, qs_env *env, const meta *m)
{
    eng_guard g;
    eng_guard_arm(&g, env);
    g.map_base = (uintptr_t)w->map;
    g.map_reach = w->own_map ? w->pages * w->psize : g.map_reach;
    if (sigsetjmp(g.jb, 0) != 0)
        return eng_guard_caught(&g, NULL);
    tree free_tree = {.name = "(free pages)", .flags = DB_INTEGERKEY, .is_free = 1};
    tree main_tree = {.name = "(main)", .is_main = 1};
    w->db = "(meta)";
    if (m->main_db.flags != 0 || m->free_db.flags != DB_INTEGERKEY)
        damage(w, m->txnid & 1, "the main and free databases have flags 0x%x and 0x%x",
               m->main_db.flags, m->free_db.flags);
    walk_tree(w, &main_tree, &m->main_db, m->txnid & 1);
    walk_tree(w, &free_tree, &m->free_db, m->txnid & 1);
    w->r->checked = w->pages;
    eng_guard_disarm(&g);
    return 0;
}

/* The walk of the newest snapshot; with @p once, skipped when a walk found the data
 * file as it is sound, and remembered when this one does. */
static int check_newest(qs_env *env, qs_check_report *r, int once)
{
    int fd, rc;
    MDB_txn *txn = NULL;
    meta m;
    eng_sound_probe probe;
    eng_report_init(r, "pages");
    if ((rc = mdb_env_get_fd(env->mdb, &fd)) != 0)
        return eng_mdb_rc(rc, "page check", NULL);
    /* a read transaction keeps its snapshot's pages from reuse while they are read */
    for (int tries = 0; tries < 100; tries++) {
        if ((rc = mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &txn)) != 0)
            return eng_mdb_rc(rc, "page check", NULL);
        if ((rc = snapshot_meta(fd, txn, &m)) != QS_NOTFOUND)
            break;
        mdb_txn_abort(txn);
        txn = NULL;
    }
    walk w;
    if (rc == QS_NOTFOUND)
        rc = eng_fail(EAGAIN, "page check: the store changed too fast to read a snapshot");
    if (rc == 0 && once && eng_sound_known(fd, m.txnid, &probe)) {
        mdb_txn_abort(txn);
        return 0;
    }
    if (rc == 0 && (rc = walk_init(&w, env, fd, &m, r)) == 0) {
        rc = walk_guarded(&w, env, &m);
        walk_free(&w);
    }
    mdb_txn_abort(txn);
    if (rc == 0 && once && r->findings == 0)
        eng_sound_remember(fd, &probe);
    return rc;
}

int eng_pages_check(qs_env *env, qs_check_report *r)
{
    return check_newest(env, r, 0);
}

int eng_pages_check_at_open(qs_env *env, qs_check_report *r)
{
    return check_newest(env, r, 1);
}
