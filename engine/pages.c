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
 * The format, and what the checker's files share: pages.h; the meta pages in
 * meta_pages.c, one page's checks in page_check.c; here the walk of every tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "pages.h"

/* ------------------------------------------------------------------ the walk */

static int walk_tree(walk *w, tree *t, const db_rec *d, uint64_t from);

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
        eng_page_damage(w, pgno, "node %u has flags 0x%x and %u bytes of data", i, flags, dsize);
        return -1;
    }
    if (flags & F_SUBDATA) {
        db_rec d = db_rec_read(data);
        if (dsize != DB_REC)
            return eng_page_damage(w, pgno, "node %u holds a database record of %u bytes", i,
                                   dsize), -1;
        if (t->is_main) {
            char name[64];
            t->entries++;
            snprintf(name, sizeof name, "%.*s", (int)get16(node + 6), node + NODE_HDR);
            /* LMDB orders and stores a database's entries by its record's flags */
            if (d.flags != eng_db_flags(name))
                return eng_page_damage(w, pgno, "database '%s' has flags 0x%x, not 0x%x", name,
                                       d.flags, eng_db_flags(name)), -1;
            tree sub = {.name = name, .flags = d.flags};
            return walk_tree(w, &sub, &d, pgno);
        }
        tree dups = {.name = t->name, .flags = d.flags, .is_dups = 1};
        /* the engine's databases of sorted values sort them by memcmp */
        if (d.flags != (t->flags & DB_DUPFIXED))
            return eng_page_damage(w, pgno, "node %u's values have flags 0x%x", i, d.flags), -1;
        if ((t->flags & DB_DUPFIXED) && eng_page_same_value_size(w, t, pgno, d.pad) != 0)
            return -1;
        dups.fixed = t->flags & DB_DUPFIXED ? d.pad : 0;
        int rc = walk_tree(w, &dups, &d, pgno);
        t->entries += d.entries;
        return rc;
    }
    if (flags & F_DUPDATA)
        return eng_page_check_sub_page(w, t, pgno, data, dsize);
    if (dupsort && eng_page_same_value_size(w, t, pgno, dsize) != 0)
        return -1;
    t->entries++;
    if (flags & F_BIGDATA)
        return eng_page_check_overflow(w, t, pgno, get64(data), dsize);
    return t->is_free ? eng_page_check_free_list(w, pgno, data, dsize) : 0;
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
        eng_page_damage(w, pgno, "a branch page with %u children", n);
        return -1;
    }
    t->branch++;
    for (unsigned i = 0; i < n; i++) {   /* the first node's key is never compared */
        if (!eng_page_node_at(w, pgno, p, w->psize, i, &key, &klen) ||
            (i > 0 && eng_page_key_in_order(w, t, pgno, i, key, klen, b, prev, prev_len) != 0))
            return -1;
        if (i > 0) {
            prev = key;
            prev_len = klen;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        bounds child = *b;
        const uint8_t *node = eng_page_node_at(w, pgno, p, w->psize, i, &key, &klen);
        if (i > 0) {
            child.lo = key;
            child.lo_len = klen;
        }
        if (i + 1 < n)
            eng_page_node_at(w, pgno, p, w->psize, i + 1, &child.hi, &child.hi_len);
        uint64_t kid = get16(node) | (uint64_t)get16(node + 2) << 16 |
                       (uint64_t)get16(node + 4) << 32;
        if (eng_page_reach(w, kid, pgno) != 0 || walk_page(w, t, kid, depth - 1, &child) != 0)
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
        } else if (!(node = eng_page_node_at(w, pgno, p, w->psize, i, &key, &klen))) {
            return -1;
        }
        if (eng_page_key_in_order(w, t, pgno, i, key, klen, b, prev, prev_len) != 0)
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
        eng_page_damage(w, pgno, "trees nested deeper than %d levels", MAX_NESTING);
        return -1;
    }
    const uint8_t *p = page(w, pgno);
    /* LMDB clears DIRTY and KEEP before a page reaches the file, and takes a page that
     * says DIRTY for one of its own buffers: a write would free the map under it. */
    uint16_t flags = get16(p + 10);
    uint16_t leaf = t->fixed ? P_LEAF | P_LEAF2 : P_LEAF;
    uint16_t want = depth > 1 ? P_BRANCH : leaf;
    if (get64(p) != pgno || flags != want) {
        eng_page_damage(w, pgno, "it says it is page %llu with flags 0x%x, where a %s page belongs",
                        (unsigned long long)get64(p), get16(p + 10), depth > 1 ? "branch" : "leaf");
        return -1;
    }
    const char *outer = w->db;
    w->db = t->name;
    w->level++;
    int rc = eng_page_check_header(w, pgno, p, w->psize, want & P_LEAF2 ? t->fixed : 0);
    if (rc == 0 && !(want & P_LEAF2))
        rc = eng_page_check_tiling(w, pgno, p, w->psize, (get16(p + 12) - PAGE_HDR) / 2,
                                   depth == 1);
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
            eng_page_damage(w, from, "an empty tree with depth %u and %llu entries", d->depth,
                            (unsigned long long)d->entries);
    } else if (d->depth < 1 || d->depth > MAX_DEPTH) {
        eng_page_damage(w, from, "a tree of depth %u", d->depth);
    } else if ((rc = eng_page_reach(w, d->root, from)) == 0 &&
               (rc = walk_page(w, t, d->root, d->depth, &none)) == 0 &&
               (t->entries != d->entries || t->branch != d->branch_pages ||
                t->leaf != d->leaf_pages || t->overflow != d->overflow_pages)) {
        eng_page_damage(w, from, "its record counts %llu entries in %llu+%llu+%llu pages; the tree "
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
        eng_page_damage(w, m->txnid & 1, "the main and free databases have flags 0x%x and 0x%x",
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
        if ((rc = eng_snapshot_meta(fd, txn, &m)) != QS_NOTFOUND)
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

