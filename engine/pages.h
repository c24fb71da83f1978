/* pages.h: LMDB's data file as the page checker reads it (meta_pages.c, page_check.c,
 * pages.c), and the walk they share.
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
#ifndef QS_PAGES_H
#define QS_PAGES_H

#include <string.h>

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

static inline uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
_Static_assert(ENG_META_BYTES == PAGE_HDR + META_SIZE, "a meta page's bytes");

/* A database record, decoded. */
typedef struct db_rec {
    uint32_t pad;
    uint16_t flags, depth;
    uint64_t branch_pages, leaf_pages, overflow_pages, entries, root;
} db_rec;

static inline db_rec db_rec_read(const uint8_t *p)
{
    return (db_rec){get32(p), get16(p + 4), get16(p + 6), get64(p + 8), get64(p + 16),
                    get64(p + 24), get64(p + 32), get64(p + 40)};
}

typedef struct meta {
    uint32_t psize;
    uint64_t last_pg, txnid;
    db_rec free_db, main_db;
} meta;

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

static inline const uint8_t *page(const walk *w, uint64_t pgno)
{
    return w->map + pgno * w->psize;
}

/* meta_pages.c */
/* Both meta pages of data file @p fd, as LMDB reads them; valid[i] tells which decode. */
int eng_metas_read(int fd, meta out[2], int valid[2]);
/* The meta page of the snapshot of @p txn: QS_NOTFOUND when two later commits have
 * overwritten it. */
int eng_snapshot_meta(int fd, MDB_txn *txn, meta *out);

/* page_check.c: one page's parts, each 0, or -1 with the damage noted in w->r */
void eng_page_damage(walk *w, uint64_t pgno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Mark page @p pgno reached from page @p from. */
int eng_page_reach(walk *w, uint64_t pgno, uint64_t from);
int eng_page_check_header(walk *w, uint64_t pgno, const uint8_t *p, size_t size,
                          size_t ksize);
/* The node @p i of page @p p with its key, or NULL. */
const uint8_t *eng_page_node_at(walk *w, uint64_t pgno, const uint8_t *p, size_t size,
                                unsigned i, const uint8_t **key, size_t *klen);
int eng_page_key_in_order(walk *w, const tree *t, uint64_t pgno, unsigned i,
                          const uint8_t *key, size_t klen, const bounds *b,
                          const uint8_t *prev, size_t prev_len);
int eng_page_check_tiling(walk *w, uint64_t pgno, const uint8_t *p, size_t size, unsigned n,
                          int leaf);
int eng_page_check_free_list(walk *w, uint64_t pgno, const uint8_t *v, size_t len);
int eng_page_check_overflow(walk *w, tree *t, uint64_t pgno, uint64_t first, size_t len);
int eng_page_same_value_size(walk *w, tree *t, uint64_t pgno, size_t size);
int eng_page_check_sub_page(walk *w, tree *t, uint64_t pgno, const uint8_t *sp, size_t len);

#endif /* QS_PAGES_H */
