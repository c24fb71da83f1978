/* fuzz_file: whole store files damaged the way disks and careless copies damage them,
 * opened, checked, read and written.
 *
 * The seeded store (fuzz_store.h, eight users) is built once; its data file is kept in
 * memory, and each input is a list of edits to a copy of it, applied in order, each an
 * op byte then its operands (little-endian; an edit cut short by the end of the input
 * is dropped; page numbers are taken modulo the file's pages):
 *
 *   op % 6  operands                       edit
 *   0       page u16, at u16, n u8, bytes   n % 16 + 1 bytes written at (page, at % psize)
 *   1       page u16                        the page zeroed
 *   2       page u16, page u16              the first page copied over the second
 *   3       page u16, at u8, value u16      the u16 at (page, 2 * at): header fields and
 *                                           node offsets
 *   4       pages u16, bytes u16            the file cut to pages * psize + bytes % psize
 *   5       page u16, bit u16               one bit flipped in the page
 *
 * The damaged file then goes through what an operator does with it: a writable open
 * (which refuses a file with damaged pages; then a read-only one); qs_check(); every
 * read of fuzz_reads.h; and, on a writable store, the write probes and a commit. Every
 * call must return 0 or one of the library's codes; nothing may crash or hang. And the
 * check must not miss damage the reads trip over: when it finds nothing, no read may
 * return QS_CORRUPT. (A read cut short by a fault leaves what it had allocated: run
 * with -detect_leaks=0.)
 *
 * With QS_FUZZ_LAST=FILE set (run.sh sets it), each input is written to FILE before it
 * runs: a heap the library corrupted can hang libFuzzer's crash report before it saves
 * the input, and the build without ASan reports such a corruption late or never.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fuzz_reads.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PSIZE 4096
#define MAX_EDITS 16

static fz_store store;
static uint8_t *pristine, *image;
static size_t image_size, image_len;
static char data_path[600];
static const char *last_input;   /* $QS_FUZZ_LAST */

static void load_pristine(void)
{
    struct stat st;
    snprintf(data_path, sizeof data_path, "%s/data.mdb", store.dir);
    int fd = open(data_path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0)
        FZ_DIE("cannot read %s", data_path);
    image_size = (size_t)st.st_size;
    pristine = malloc(image_size);
    image = malloc(image_size);
    if (!pristine || !image || read(fd, pristine, image_size) != (ssize_t)image_size)
        FZ_DIE("cannot read %s", data_path);
    close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_store_build(&store, FZ_MAX_USERS);
    qs_env_close(store.env);   /* flushes: the file is whole */
    store.env = NULL;
    load_pristine();
    last_input = getenv("QS_FUZZ_LAST");
    return 0;
}

/* ------------------------------------------------------------------ edits */

typedef struct input {
    const uint8_t *p, *end;
} input;

static int take(input *in, size_t n, uint32_t *v)
{
    if ((size_t)(in->end - in->p) < n)
        return -1;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v |= (uint32_t)in->p[i] << (8 * i);
    in->p += n;
    return 0;
}

static size_t pages(void)
{
    return image_len / PSIZE;
}

static uint8_t *page_at(uint32_t n)
{
    return image + (size_t)(n % pages()) * PSIZE;
}

/* Apply one edit; -1 at the end of the input. */
static int apply_edit(input *in)
{
    uint32_t op, a, b, c;
    if (take(in, 1, &op) != 0 || pages() == 0)
        return -1;
    switch (op % 6) {
    case 0:
        if (take(in, 2, &a) || take(in, 2, &b) || take(in, 1, &c) ||
            (size_t)(in->end - in->p) < c % 16 + 1)
            return -1;
        for (uint32_t i = 0; i <= c % 16; i++)
            page_at(a)[(b + i) % PSIZE] = *in->p++;
        return 0;
    case 1:
        if (take(in, 2, &a))
            return -1;
        memset(page_at(a), 0, PSIZE);
        return 0;
    case 2:
        if (take(in, 2, &a) || take(in, 2, &b))
            return -1;
        memmove(page_at(b), page_at(a), PSIZE);
        return 0;
    case 3:
        if (take(in, 2, &a) || take(in, 1, &b) || take(in, 2, &c))
            return -1;
        memcpy(page_at(a) + 2 * b, &(uint16_t){(uint16_t)c}, 2);
        return 0;
    case 4:
        if (take(in, 2, &a) || take(in, 2, &b))
            return -1;
        image_len = (size_t)(a % (pages() + 1)) * PSIZE + b % PSIZE;
        if (image_len > image_size)
            image_len = image_size;
        return 0;
    default:
        if (take(in, 2, &a) || take(in, 2, &b))
            return -1;
        page_at(a)[(b / 8) % PSIZE] ^= (uint8_t)(1u << (b % 8));
        return 0;
    }
}

static void keep_last_input(const uint8_t *data, size_t size)
{
    int fd = open(last_input, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0)
        FZ_DIE("cannot write %s: %s", last_input, strerror(errno));
}

static void write_image(void)
{
    int fd = open(data_path, O_WRONLY | O_TRUNC);
    if (fd < 0 || write(fd, image, image_len) != (ssize_t)image_len || close(fd) != 0)
        FZ_DIE("cannot write %s: %s", data_path, strerror(errno));
}

/* ------------------------------------------------------------------ what runs */

/* An open of the damaged store: the handle, or NULL with a documented code. */
static qs_env *open_store(int read_only)
{
    qs_options opts = {.size = sizeof opts};
    qs_env *env = NULL;
    qs_options_init(&opts);
    opts.map_size = 64u << 20;
    opts.durability = QS_SYNC_PERIODIC;
    opts.sync_interval_ms = 60000;
    opts.read_only = read_only;
    int rc = qs_env_open(store.dir, &opts, &env);
    if (rc != 0 && !fz_qs_code(rc) && rc != ENOENT)
        FZ_DIE("qs_env_open returned %d (%s; %s)", rc, qs_strerror(rc), qs_errmsg());
    if (rc == 0 && !env)
        FZ_DIE("qs_env_open returned 0 without a handle");
    return env;
}

/* Whether qs_check() in @p txn found nothing at all. */
static int check_clean(qs_txn *txn)
{
    static qs_check_report rows[128];
    size_t n;
    int rc = qs_check(txn, rows, 128, &n);
    EXPECT_QS(rc);
    if (rc != 0)
        return 0;
    for (size_t i = 0; i < n && i < 128; i++)
        if (rows[i].findings)
            return 0;
    return 1;
}

/* The check and the reads in a read transaction of @p env. */
static void read_damaged(qs_env *env)
{
    qs_txn *txn;
    int rc = qs_txn_begin(env, QS_TXN_RDONLY, &txn);
    EXPECT_QS(rc);
    if (rc != 0)
        return;
    int clean = check_clean(txn);
    fz_corrupt_seen = 0;
    fz_reads_run(txn, &store, R_BANK | R_USERS | R_TESTS | R_SCANS | R_TAXA | R_MISC, ~0u);
    if (clean && fz_corrupt_seen)
        FZ_DIE("qs_check found nothing, but a read said: %s", fz_corrupt_detail);
    qs_txn_abort(txn);
}

static void write_damaged(qs_env *env)
{
    qs_txn *txn;
    int rc = qs_txn_begin(env, 0, &txn);
    EXPECT_QS(rc);
    if (rc == 0) {
        fz_write_probes(txn, &store);
        EXPECT_QS(qs_txn_commit(txn));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (last_input)
        keep_last_input(data, size);
    input in = {data, data + size};
    memcpy(image, pristine, image_size);
    image_len = image_size;
    for (int i = 0; i < MAX_EDITS && apply_edit(&in) == 0; i++)
        ;
    write_image();
    /* a writable open refuses a file with damaged pages; it still opens read-only */
    qs_env *env = open_store(0);
    if (env) {
        read_damaged(env);
        write_damaged(env);
    } else if ((env = open_store(1)) != NULL) {
        read_damaged(env);
    }
    qs_env_close(env);
    return 0;
}
