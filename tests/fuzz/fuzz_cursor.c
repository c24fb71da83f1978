/* fuzz_cursor: history cursors from outside the process: qs_cursor_parse() on text,
 * and qs_history() resuming after any 32 bytes.
 *
 * The store (fuzz_store.h) has two users with twelve answers each, half in a sealed
 * bucket. Input: byte 0 picks the form (% 3), the user (/ 3 % 2) and the page size
 * (>> 5, plus 1); the rest is
 *   0  text: qs_cursor_parse() on it (up to its first NUL byte); a text it accepts
 *      must format back to itself, and the cursor then resumes a history;
 *   1  the 32 cursor bytes as they are;
 *   2  the first 24 cursor bytes, signed as the store signs the cursors it issues
 *      (api/cursor.c), so that the position, version, padding and user checks run.
 * qs_history() must return 0 or QS_BAD_CURSOR. A cursor it accepts must be signed,
 * of version 1 with zero padding, and the asked user's; its pages, followed to the
 * end, must return exactly that user's answers older than the cursor's position,
 * newest first, each once.
 */
#include <xxhash.h>

#include "engine.h"
#include "fuzz_store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAGES 64

enum { FORM_TEXT, FORM_RAW, FORM_SIGNED, FORM_COUNT };

static fz_store store;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_store_build(&store, 2);
    return 0;
}

/* (at, id) sorts before (at2, id2): the order history pages walk backwards. */
static int before(int64_t at, uint64_t id, int64_t at2, uint64_t id2)
{
    return at < at2 || (at == at2 && id < id2);
}

static const fz_answer *seeded(uint64_t answer_id)
{
    for (size_t i = 0; i < store.n_answers; i++)
        if (store.answers[i].id == answer_id)
            return &store.answers[i];
    return NULL;
}

/* The user's seeded answers strictly before (at, id). */
static size_t expected_rows(uint32_t user, int64_t at, uint64_t id)
{
    size_t n = 0;
    for (size_t i = 0; i < store.n_answers; i++)
        if (store.answers[i].user == user &&
            before(store.answers[i].created_at, store.answers[i].id, at, id))
            n++;
    return n;
}

/* Follow the pages from accepted cursor @p c and check every row. */
static void walk_pages(qs_txn *txn, uint32_t user, const qs_cursor *c, size_t cap)
{
    qs_history_row rows[8];
    qs_cursor cur = *c, next;
    int64_t at = eng_time_from_bits(eng_get64(c->bytes + 5));
    uint64_t id = eng_get64(c->bytes + 13);
    size_t total = 0, want = expected_rows(user, at, id);
    for (int page = 0; page < MAX_PAGES; page++) {
        size_t n;
        int rc = qs_history(txn, user, &cur, rows, cap, &n, &next);
        if (rc != 0)
            FZ_DIE("page %d after an accepted cursor: %s (%s)", page, qs_strerror(rc),
                   qs_errmsg());
        if (n > cap + 1)
            FZ_DIE("page of %zu rows for %zu", n, cap);
        size_t written = n < cap ? n : cap;   /* n > cap: more rows follow */
        if (n > cap && total + written >= want)
            FZ_DIE("a page says rows follow after %zu of %zu", total + written, want);
        for (size_t i = 0; i < written; i++) {
            const fz_answer *a = seeded(rows[i].answer_id);
            if (!a)
                FZ_DIE("row with answer id %llu that was never written",
                       (unsigned long long)rows[i].answer_id);
            if (a->user != user)
                FZ_DIE("user %u's history returned answer %llu of user %u", user,
                       (unsigned long long)a->id, a->user);
            if (rows[i].created_at != a->created_at || rows[i].test != a->test ||
                rows[i].question != a->question)
                FZ_DIE("answer %llu comes back different", (unsigned long long)a->id);
            if (!before(rows[i].created_at, rows[i].answer_id, at, id))
                FZ_DIE("answer %llu is not older than the position resumed from",
                       (unsigned long long)a->id);
            at = rows[i].created_at;
            id = rows[i].answer_id;
        }
        total += written;
        if (n <= cap)
            break;
        cur = next;
    }
    if (total != want)
        FZ_DIE("user %u: %zu rows after the cursor, %zu expected", user, total, want);
}

/* A cursor qs_history() accepted must be one the store could have issued to @p user. */
static void check_accepted(const qs_cursor *c, uint32_t user)
{
    const uint8_t *b = c->bytes;
    if (b[0] != 1 || b[21] || b[22] || b[23])
        FZ_DIE("cursor of version %u or non-zero padding accepted", b[0]);
    if (eng_get32(b + 1) != user)
        FZ_DIE("a cursor of user %u accepted for user %u", eng_get32(b + 1), user);
}

static void sign(qs_txn *txn, qs_cursor *c)
{
    eng_put64(c->bytes + 24, XXH3_64bits_withSeed(c->bytes, 24, eng_secret(txn)));
}

/* Parse @p text; a text accepted must format back to itself. 0 when accepted. */
static int parse_text(const uint8_t *data, size_t size, qs_cursor *c)
{
    char text[128], again[QS_CURSOR_TEXT_SIZE];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    int rc = qs_cursor_parse(text, c);
    if (rc == QS_BAD_CURSOR)
        return rc;
    if (rc != 0)
        FZ_DIE("qs_cursor_parse returned %d", rc);
    qs_cursor_format(c, again);
    if (strcmp(again, text) != 0)
        FZ_DIE("cursor text '%s' parses, but formats back as '%s'", text, again);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned form = data[0] % FORM_COUNT;
    uint32_t user = store.users[data[0] / FORM_COUNT % store.n_users];
    size_t cap = (size_t)(data[0] >> 5) + 1;
    qs_cursor c;
    memset(&c, 0, sizeof c);
    data++;
    size--;
    if (form == FORM_TEXT && parse_text(data, size, &c) != 0)
        return 0;
    if (form != FORM_TEXT)
        memcpy(c.bytes, data, size < QS_CURSOR_SIZE ? size : QS_CURSOR_SIZE);

    qs_txn *txn;
    FZ_OK(qs_txn_begin(store.env, QS_TXN_RDONLY, &txn));
    if (form == FORM_SIGNED)
        sign(txn, &c);
    qs_history_row rows[8];
    qs_cursor next;
    size_t n;
    int rc = qs_history(txn, user, &c, rows, cap, &n, &next);
    if (rc == 0) {
        check_accepted(&c, user);
        walk_pages(txn, user, &c, cap);
    } else if (rc != QS_BAD_CURSOR) {
        FZ_DIE("qs_history returned %s (%s)", qs_strerror(rc), qs_errmsg());
    }
    qs_txn_abort(txn);
    return 0;
}
