/* meta_pages.c: LMDB's two meta pages (pages.h): checked against each other and the
 * file's size at every open, the newest found for a checkpoint, a checkpoint's put
 * back at recovery, and the one of a snapshot found for the page walk. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pages.h"

/* ------------------------------------------------------------------ meta pages */

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
int eng_metas_read(int fd, meta out[2], int valid[2])
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
    int rc = eng_metas_read(fd, m, valid);
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
    int rc = eng_metas_read(fd, m, valid);
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

/* The meta page of the snapshot of @p txn: the one naming its txnid. QS_NOTFOUND when
 * two later commits have overwritten it. */
int eng_snapshot_meta(int fd, MDB_txn *txn, meta *out)
{
    meta m[2];
    int valid[2];
    int rc = eng_metas_read(fd, m, valid);
    if (rc)
        return eng_fail(rc, "reading the meta pages: %s", strerror(rc));
    for (int i = 0; i < 2; i++)
        if (valid[i] && m[i].txnid == mdb_txn_id(txn)) {
            *out = m[i];
            return 0;
        }
    return QS_NOTFOUND;
}

