/* fuzz_import.h: the body of fuzz_csv and fuzz_jsonl, the loader path of
 * `quizstore import KIND FILE` from the file's bytes to the store.
 *
 * Input: byte 0 picks the kind (byte % 8: subjects systems topics questions users
 * tests answers interactions) and a column mapping (byte / 8 % 4: none; --null NULL,
 * \N and -; --map of the kind's first field to column "key"; --map of it to "k1+k2").
 * The rest is the file. It goes through the same calls as tools/import.c and
 * import_batch.c: reader_open (the bytes sit in a memfd opened by path), mapping_bind,
 * then per record reader_next, row_load and apply_row inside a savepoint of one write
 * transaction, committed when the row went in, as the loader does. The transaction is aborted at
 * the end, so every input starts from the same store (fuzz_store.h).
 *
 * Crashes, sanitizer reports, and these broken expectations abort: a malformed record
 * or a rejected row without a reason; a store error (OUT_FATAL) other than running
 * out of map or memory, since the store is sound and only the input is bad.
 */
#ifndef QS_FUZZ_IMPORT_H
#define QS_FUZZ_IMPORT_H

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_store.h"
#include "import.h"

#define FZ_MAX_RECORDS 2000
#define FZ_MAPPINGS 4

static fz_store fz_import_store;
static int fz_input_fd = -1;
static char fz_input_path[64];

static void fz_import_init(void)
{
    fz_store_build(&fz_import_store, 3);
    fz_input_fd = memfd_create("fuzz-input", 0);
    if (fz_input_fd < 0)
        FZ_DIE("memfd_create: %s", strerror(errno));
    snprintf(fz_input_path, sizeof fz_input_path, "/proc/self/fd/%d", fz_input_fd);
}

static void fz_write_input(const uint8_t *data, size_t size)
{
    if (ftruncate(fz_input_fd, 0) != 0)
        FZ_DIE("ftruncate: %s", strerror(errno));
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fz_input_fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            FZ_DIE("pwrite: %s", strerror(errno));
        done += (size_t)n;
    }
}

/* The kind's first field: the one the mapping options rename. */
static const char *fz_first_field(import_kind kind)
{
    switch (kind) {
    case K_ANSWERS: return "test";
    case K_INTERACTIONS: return "user";
    default: return "id";
    }
}

static void fz_mapping(mapping *m, import_kind kind, unsigned which, char *buf, size_t cap)
{
    switch (which) {
    case 1:
        mapping_add_null(m, "NULL");
        mapping_add_null(m, "\\N");
        mapping_add_null(m, "-");
        break;
    case 2:
        snprintf(buf, cap, "%s=key", fz_first_field(kind));
        mapping_add_map(m, buf);
        break;
    case 3:
        snprintf(buf, cap, "%s=k1+k2", fz_first_field(kind));
        mapping_add_map(m, buf);
        break;
    default: break;
    }
}

/* Apply the loaded row in a savepoint, as the loader does. 0 to go on, -1 to stop
 * (the store ran out of room: the loader would roll the batch back). */
static int fz_apply(qs_txn *txn, import_kind kind, row *r)
{
    qs_txn *sp;
    apply_ctx ac;
    FZ_OK(qs_txn_savepoint(txn, &sp));
    memset(&ac, 0, sizeof ac);
    ac.txn = sp;
    ac.row = r;
    outcome o = apply_row(kind, &ac);
    if (o == OUT_INSERTED || o == OUT_UPDATED) {
        FZ_OK(qs_txn_commit(sp));
        return 0;
    }
    qs_txn_abort(sp);
    if (o == OUT_FATAL) {
        if (ac.rc == QS_MAP_FULL || ac.rc == QS_TXN_FULL || ac.rc == ENOMEM)
            return -1;
        FZ_DIE("%s row: store error in '%s': %s (%s)", kind_name(kind), ac.fatal,
               qs_strerror(ac.rc), qs_errmsg());
    }
    if (o == OUT_REJECTED && !r->reason[0])
        FZ_DIE("%s row rejected without a reason", kind_name(kind));
    return 0;
}

static void fz_load_rows(reader *rd, import_kind kind, row *r, record *rec)
{
    qs_txn *txn;
    FZ_OK(qs_txn_begin(fz_import_store.env, 0, &txn));
    for (int i = 0; i < FZ_MAX_RECORDS; i++) {
        int st = reader_next(rd, rec);
        if (st == READ_EOF)
            break;
        if (st == READ_FATAL)
            FZ_DIE("read error on an in-memory file: %s", rec->error);
        if (st == READ_BAD) {
            if (!rec->error[0])
                FZ_DIE("malformed record at line %ld without a reason", rec->line);
            continue;
        }
        if (st != READ_OK)
            FZ_DIE("reader_next returned %d", st);
        if (row_load(r, rec) != 0) {
            if (!r->reason[0])
                FZ_DIE("row not loaded, without a reason");
            continue;
        }
        if (fz_apply(txn, kind, r) != 0)
            break;
    }
    qs_txn_abort(txn);
}

static int fz_import_one(const uint8_t *data, size_t size, file_format format)
{
    char err[1024], unused[1024], map_arg[64];
    if (size < 1)
        return 0;
    import_kind kind = (import_kind)(data[0] % K_COUNT);
    unsigned which = (unsigned)(data[0] / K_COUNT) % FZ_MAPPINGS;
    fz_write_input(data + 1, size - 1);

    err[0] = '\0';
    reader *rd = reader_open(fz_input_path, format, err, sizeof err);
    if (!rd) {
        if (!err[0])
            FZ_DIE("reader_open failed without a reason");
        return 0;
    }
    mapping m;
    memset(&m, 0, sizeof m);
    fz_mapping(&m, kind, which, map_arg, sizeof map_arg);
    size_t n_columns;
    const char *const *columns = reader_columns(rd, &n_columns);
    err[0] = '\0';
    if (mapping_bind(&m, kind, columns, n_columns, err, sizeof err, unused, sizeof unused) == 0) {
        record rec;
        row r;
        record_init(&rec);
        row_init(&r, &m);
        fz_load_rows(rd, kind, &r, &rec);
        row_free(&r);
        record_free(&rec);
    } else if (!err[0]) {
        FZ_DIE("mapping_bind failed without a reason");
    }
    mapping_free(&m);
    reader_close(rd);
    return 0;
}

#endif /* QS_FUZZ_IMPORT_H */
