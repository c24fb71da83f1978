/* backend_sqlite_rows.c: bulk_import's rows, file by file (backend_sqlite.h).
 *
 * Each CSV row is checked field by field as the CLI's import checks it (the same
 * parsers, sql_common.h), then bound to its prepared statement in file order. A bad
 * field fails the import with the file, line, field and value.
 */
#include <stdarg.h>
#include <stdio.h>

#include "backend_sqlite.h"

#define NO_DEFAULT INT64_MIN

static int row_fail(backend *be, const sq_importer *im, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int row_fail(backend *be, const sq_importer *im, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bk_fail(be, "bulk_import: %s:%llu: %s", im->path, (unsigned long long)im->line, msg);
}

/* An integer field in [lo, hi]; empty gives @p dflt, or fails when it is NO_DEFAULT. */
static int field_int(backend *be, const sq_importer *im, sqlc_field f, const char *name,
                     int64_t lo, int64_t hi, int64_t dflt, int64_t *out)
{
    if (f.len == 0 && dflt != NO_DEFAULT) {
        *out = dflt;
        return 0;
    }
    if (sqlc_int(f, lo, hi, out) != 0)
        return row_fail(be, im, "%s '%.*s' is not an integer in %lld..%lld", name,
                        (int)(f.len > 40 ? 40 : f.len), f.ptr, (long long)lo, (long long)hi);
    return 0;
}

static int field_time(backend *be, const sq_importer *im, sqlc_field f, const char *name,
                      int64_t dflt, int64_t *out)
{
    if (f.len == 0 && dflt != NO_DEFAULT) {
        *out = dflt;
        return 0;
    }
    if (sqlc_time(f, out) != 0)
        return row_fail(be, im, "%s '%.*s' is not a time", name,
                        (int)(f.len > 40 ? 40 : f.len), f.ptr);
    return 0;
}

static int field_word(backend *be, const sq_importer *im, sqlc_field f, const char *name,
                      const char *const *words, int n, int dflt, int *out)
{
    if (f.len == 0 && dflt >= 0) {
        *out = dflt;
        return 0;
    }
    if (sqlc_word(f, words, n, out) != 0)
        return row_fail(be, im, "%s '%.*s' is not a known word", name,
                        (int)(f.len > 40 ? 40 : f.len), f.ptr);
    return 0;
}

#define ID_MAX (INT64_MAX / 2)

/* ---- rows of each kind ---- */

static int taxon_row(backend *be, sq_importer *im, const sqlc_field *f, st_id id)
{
    int64_t v;
    int col = 1;
    if (field_int(be, im, f[0], "id", 1, ID_MAX, NO_DEFAULT, &v) != 0)
        return -1;
    sq_bind_i64(be, id, col++, v);
    if (id == ST_TOPIC_PUT) {
        if (field_int(be, im, f[1], "system", 0, ID_MAX, NO_DEFAULT, &v) != 0)
            return -1;
        sq_bind_i64(be, id, col++, v);
        f++;
    }
    sq_bind_text(be, id, col, f[1].ptr, f[1].len);
    return sq_run(be, id);
}

static int subject_row(backend *be, sq_importer *im, const sqlc_field *f)
{
    return taxon_row(be, im, f, ST_SUBJECT_PUT);
}

static int system_row(backend *be, sq_importer *im, const sqlc_field *f)
{
    return taxon_row(be, im, f, ST_SYSTEM_PUT);
}

static int topic_row(backend *be, sq_importer *im, const sqlc_field *f)
{
    return taxon_row(be, im, f, ST_TOPIC_PUT);
}

/* questions.csv columns (sqlc_files) */
enum { QC_STEM = 9, QC_OPTION0 = 10, QC_EXPLANATION = 18 };

static int question_row(backend *be, sq_importer *im, const sqlc_field *f)
{
    static const struct { const char *name; int64_t lo, hi, dflt; } nums[] = {
        {"id", 1, ID_MAX, NO_DEFAULT}, {"subject", 0, ID_MAX, 0}, {"system", 0, ID_MAX, 0},
        {"topic", 0, ID_MAX, 0}, {"difficulty", 1, 3, NO_DEFAULT}, {"type", 0, 255, 0},
        {"active", 0, 1, 1}};
    const st_id st = ST_QUESTION_PUT;
    int64_t v;
    for (int i = 0; i < 7; i++) {
        if (field_int(be, im, f[i], nums[i].name, nums[i].lo, nums[i].hi, nums[i].dflt, &v))
            return -1;
        sq_bind_i64(be, st, i + 1, v);   /* id .. active */
    }
    int key;
    if (sqlc_option(f[8], &key) != 0)
        return row_fail(be, im, "correct_option is not 0-7 or a-h");
    int n_options = 0;
    for (int o = 0; o < 8; o++)
        if (f[QC_OPTION0 + o].len)
            n_options = o + 1;
    if (n_options > WL_MAX_OPTIONS)
        return row_fail(be, im, "%d options, the schema holds %d", n_options, WL_MAX_OPTIONS);
    if (field_time(be, im, f[7], "created_at", 0, &v) != 0)
        return -1;
    sq_bind_i64(be, st, 8, key);
    sq_bind_i64(be, st, 9, n_options);
    sq_bind_i64(be, st, 10, v);
    sq_bind_text(be, st, 11, f[QC_STEM].ptr, f[QC_STEM].len);
    sq_bind_text(be, st, 12, f[QC_EXPLANATION].ptr, f[QC_EXPLANATION].len);
    for (int o = 0; o < WL_MAX_OPTIONS; o++) {
        if (o < n_options)
            sq_bind_text(be, st, 13 + o, f[QC_OPTION0 + o].ptr, f[QC_OPTION0 + o].len);
        else
            sqlite3_bind_null(sq_impl(be)->st[st], 13 + o);
    }
    return sq_run(be, st);
}

static int user_row(backend *be, sq_importer *im, const sqlc_field *f)
{
    int64_t id, at;
    if (field_int(be, im, f[0], "id", 1, ID_MAX, NO_DEFAULT, &id) != 0 ||
        field_time(be, im, f[1], "created_at", 0, &at) != 0)
        return -1;
    sq_bind_i64(be, ST_USER_PUT, 1, id);
    sq_bind_i64(be, ST_USER_PUT, 2, at);
    return sq_run(be, ST_USER_PUT);
}

/* The ';'-separated question list as the schema's comma-separated one. */
static int test_questions(backend *be, sq_importer *im, sqlc_field f, char *buf, size_t cap,
                          size_t *len, int64_t *n)
{
    *len = 0;
    *n = 0;
    const char *p = f.ptr, *end = f.ptr + f.len;
    while (p < end) {
        const char *item = p;
        while (p < end && *p != ';')
            p++;
        int64_t q;
        if (field_int(be, im, (sqlc_field){item, (size_t)(p - item)}, "questions item", 1,
                      ID_MAX, NO_DEFAULT, &q) != 0)
            return -1;
        if (*len + 24 > cap)
            return row_fail(be, im, "questions: too many");
        *len += (size_t)snprintf(buf + *len, cap - *len, *n ? ",%lld" : "%lld", (long long)q);
        (*n)++;
        p += p < end;
    }
    return 0;
}

static int test_row(backend *be, sq_importer *im, const sqlc_field *f)
{
    int64_t id, user, created, last, completed, n;
    int status, mode;
    char list[SQ_DRAW_MAX * 24];
    size_t len;
    if (field_int(be, im, f[0], "id", 1, ID_MAX, NO_DEFAULT, &id) != 0 ||
        field_int(be, im, f[1], "user", 1, ID_MAX, NO_DEFAULT, &user) != 0 ||
        field_word(be, im, f[2], "status", sqlc_test_status_words, 5, -1, &status) != 0 ||
        field_word(be, im, f[3], "mode", sqlc_mode_words, 3, WL_MODE_TUTOR, &mode) != 0 ||
        field_time(be, im, f[4], "created_at", NO_DEFAULT, &created) != 0 ||
        field_time(be, im, f[5], "last_activity_at", created, &last) != 0 ||
        field_time(be, im, f[6], "completed_at", 0, &completed) != 0 ||
        test_questions(be, im, f[7], list, sizeof list, &len, &n) != 0)
        return -1;
    const int64_t nums[] = {id, user, status, mode, created, last, completed, n};
    for (int i = 0; i < 8; i++)
        sq_bind_i64(be, ST_TEST_PUT, i + 1, nums[i]);
    sq_bind_text(be, ST_TEST_PUT, 9, list, len);
    return sq_run(be, ST_TEST_PUT);
}

static int answer_row(backend *be, sq_importer *im, const sqlc_field *f)
{
    const st_id st = ST_ANSWER_IMPORT;
    sqlite3_stmt *stmt = sq_impl(be)->st[st];
    int64_t test, question, user = 0, correct = -1, score, spent, at;
    int chosen = -1, status;
    if (field_int(be, im, f[0], "test", 1, ID_MAX, NO_DEFAULT, &test) != 0 ||
        field_int(be, im, f[1], "question", 1, ID_MAX, NO_DEFAULT, &question) != 0 ||
        field_int(be, im, f[2], "user", 1, ID_MAX, 0, &user) != 0 ||
        field_int(be, im, f[3], "correct", 0, 1, -1, &correct) != 0 ||
        field_int(be, im, f[6], "score", 10, 90, 0, &score) != 0 ||
        field_int(be, im, f[7], "time_spent_ms", 0, UINT32_MAX, 0, &spent) != 0 ||
        field_time(be, im, f[8], "created_at", NO_DEFAULT, &at) != 0)
        return -1;
    if (f[4].len && sqlc_option(f[4], &chosen) != 0)
        return row_fail(be, im, "chosen is not 0-7 or a-h");
    int graded = correct < 0;
    int dflt = chosen < 0 && graded ? WL_SKIPPED : WL_ANSWERED;
    if (field_word(be, im, f[5], "status", sqlc_answer_status_words, 4, dflt, &status) != 0)
        return -1;
    if (status != WL_SKIPPED && chosen < 0 && graded)
        return row_fail(be, im, "an answer that is not skipped needs chosen or correct");
    if (status == WL_SKIPPED && correct == 1)
        return row_fail(be, im, "a skipped answer cannot be correct");

    sq_bind_i64(be, st, 1, test);
    sq_bind_i64(be, st, 2, question);
    if (user)
        sq_bind_i64(be, st, 3, user);
    else
        sqlite3_bind_null(stmt, 3);
    if (graded)
        sqlite3_bind_null(stmt, 4);
    else
        sq_bind_i64(be, st, 4, correct);
    const int64_t rest[] = {chosen, status, score, spent, at};
    for (int i = 0; i < 5; i++)
        sq_bind_i64(be, st, 5 + i, rest[i]);
    if (sq_run(be, st) != 0)
        return -1;
    if (sqlite3_changes(sq_impl(be)->db) == 1) {
        im->answers++;
        return 0;
    }
    /* nothing inserted: a duplicate (skipped, as answer_submit does), or an unknown
     * question */
    int64_t topic;
    sq_bind_i64(be, ST_QUESTION_TOPIC, 1, question);
    int rc = sq_select_int(be, ST_QUESTION_TOPIC, &topic);
    return rc == 0 ? row_fail(be, im, "question %lld is not in the bank", (long long)question)
                   : rc < 0 ? -1 : 0;
}

static int interaction_row(backend *be, sq_importer *im, const sqlc_field *f)
{
    int64_t user, at;
    int action;
    if (field_int(be, im, f[0], "user", 1, ID_MAX, NO_DEFAULT, &user) != 0 ||
        field_time(be, im, f[2], "created_at", NO_DEFAULT, &at) != 0)
        return -1;
    if (sqlc_action(f[1], &action) != 0)
        return row_fail(be, im, "action '%.*s' is not known", (int)(f[1].len > 40 ? 40 : f[1].len),
                        f[1].ptr);
    sq_bind_i64(be, ST_INTERACTION_ADD, 1, user);
    sq_bind_i64(be, ST_INTERACTION_ADD, 2, action);
    sq_bind_i64(be, ST_INTERACTION_ADD, 3, at);
    sq_bind_text(be, ST_INTERACTION_ADD, 4, f[3].ptr, f[3].len);
    return sq_run(be, ST_INTERACTION_ADD);
}

const sq_csv_kind sq_csv_kinds[SQLC_N_FILES] = {
    {SQLC_SUBJECTS, 0x1, subject_row},
    {SQLC_SYSTEMS, 0x1, system_row},
    {SQLC_TOPICS, 0x3, topic_row},
    {SQLC_QUESTIONS, 0x111, question_row},
    {SQLC_USERS, 0x1, user_row},
    {SQLC_TESTS, 0x17, test_row},
    {SQLC_ANSWERS, 0x103, answer_row},
    {SQLC_INTERACTIONS, 0x7, interaction_row},
};
