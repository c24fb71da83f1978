/* sql_common.h: what the SQL peers of the bench share, whatever their engine.
 *
 * - The CSV files qs-gen writes and their columns, and a reader for them (RFC 4180:
 *   a header row, quoted fields that may hold commas, doubled quotes and newlines).
 *   The file is mapped privately; a field is a pointer and a length into that
 *   mapping, valid until sqlc_csv_close(). Quoted fields are unescaped in place, so a
 *   field is never NUL-terminated.
 * - Parsers for the field forms of the CLI's schemas (common.md): integers, epoch-ms
 *   or ISO-8601 times, option indexes or letters, and the enumeration words.
 * - The streak rule of WORKLOAD.md, for engines that recompute it outside SQL.
 * - A test's question list as the schema's text column holds it.
 *
 * Functions return 0 on success and -1 on bad input; the CSV reader also writes a
 * reason naming the file and line.
 */
#ifndef QS_BENCH_SQL_COMMON_H
#define QS_BENCH_SQL_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ CSV files */

/* The files of a history as qs-gen writes them, in the order they load, each with
 * its columns in file order (the CLI's schemas, common.md). */
enum {
    SQLC_SUBJECTS, SQLC_SYSTEMS, SQLC_TOPICS, SQLC_QUESTIONS, SQLC_USERS, SQLC_TESTS,
    SQLC_ANSWERS, SQLC_INTERACTIONS, SQLC_N_FILES
};

typedef struct sqlc_file {
    const char *name;                  /* "answers.csv" */
    const char *const *columns;
    int n_columns;
} sqlc_file;

extern const sqlc_file sqlc_files[SQLC_N_FILES];

typedef struct sqlc_field {
    const char *ptr;
    size_t len;
} sqlc_field;

typedef struct sqlc_csv sqlc_csv;

/* Map @p path and read its header row. @return 0, or -1 with a reason in @p err. */
int sqlc_csv_open(const char *path, sqlc_csv **out, char *err, size_t errlen);

/* NULL is fine. */
void sqlc_csv_close(sqlc_csv *f);

/* The index of the header column @p name, or -1 when the file has none. */
int sqlc_csv_column(const sqlc_csv *f, const char *name);

/* The next record into @p fields (at most @p cap). Blank lines are skipped.
 * @return 1 with *n fields, 0 at the end of the file, -1 on a malformed record
 *         (reason in @p err). */
int sqlc_csv_next(sqlc_csv *f, sqlc_field *fields, size_t cap, size_t *n, char *err,
                  size_t errlen);

/* Line number where the last record returned started (the header is line 1). */
uint64_t sqlc_csv_line(const sqlc_csv *f);

/* ------------------------------------------------------------ fields */

/* A decimal integer within [lo, hi]. */
int sqlc_int(sqlc_field f, int64_t lo, int64_t hi, int64_t *out);

/* A time: epoch milliseconds, or ISO-8601 UTC "YYYY-MM-DDTHH:MM:SS[.sss](Z|+hh:mm|-hh:mm)". */
int sqlc_time(sqlc_field f, int64_t *out);

/* An option: a 0-based index (0-7) or a letter a-h / A-H. */
int sqlc_option(sqlc_field f, int *out);

/* A word of @p words (exact, lower case), as its index. */
int sqlc_word(sqlc_field f, const char *const *words, int n_words, int *out);

/* Enumeration words, indexed by their workload.h / quizstore.h numbers. */
extern const char *const sqlc_test_status_words[5];   /* "", active .. abandoned */
extern const char *const sqlc_mode_words[3];          /* "", tutor, timed */
extern const char *const sqlc_answer_status_words[4]; /* "", answered, skipped, flagged */
extern const char *const sqlc_action_words[8];        /* view .. share */

/* An interaction action: one of sqlc_action_words, or a number 0-255. */
int sqlc_action(sqlc_field f, int *out);

/* ------------------------------------------------------------ days and streaks */

#define SQLC_DAY_MS 86400000LL

/* The UTC day of @p t (floor division, also for times before 1970). */
static inline int64_t sqlc_day(int64_t t)
{
    int64_t d = t / SQLC_DAY_MS;
    return d - (t % SQLC_DAY_MS < 0);
}

/* Streaks over a user's active days fed in ascending order, each once:
 * streak = the run of consecutive days ending at the last day fed, best = the longest
 * run. Zero-initialise, then sqlc_streak_add() each day. */
typedef struct sqlc_streak {
    int64_t last_day;
    uint32_t streak, best;
    int any;
} sqlc_streak;

void sqlc_streak_add(sqlc_streak *s, int64_t day);

/* ------------------------------------------------------------ question lists */

/* "1,2,3": @p n ids, comma-separated, as the test table's questions column holds
 * them. @return its length; cut short (and NUL-terminated) when @p cap is too small. */
size_t sqlc_id_list(const uint32_t *ids, unsigned n, char *buf, size_t cap);

#endif /* QS_BENCH_SQL_COMMON_H */
