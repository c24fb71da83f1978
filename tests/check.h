/* check.h: the check framework of quizstore's test programs.
 *
 * A test program is a table of named cases run in order:
 *
 *     TEST(opens_empty_store) { CHECK_RC(qs_env_open(dir, NULL, &env), 0); ... }
 *     static const check_case cases[] = { CASE(opens_empty_store), ... };
 *     int main(int argc, char **argv) { return check_main(argc, argv, cases, NCASES(cases)); }
 *
 * - CHECK(cond) and CHECK_RC(expr, rc) print file:line, the expression, and for
 *   return codes qs_strerror() and qs_errmsg(), then end the current case as failed
 *   (the next case still runs). CHECK_EQ(a, b) compares two integers and prints both.
 * - Each case prints "ok   name" or "FAIL name"; the program ends with one line
 *   "N passed, N failed" (cases) and exits 1 if any case failed.
 * - Options: -s SEED seeds check_rand() (default CHECK_DEFAULT_SEED; each case gets its
 *   own stream derived from the seed and its position, so a case replays alone),
 *   -t NAME runs only the named case, -q prints failures and the summary only.
 *   The seed is printed whenever a case fails.
 * - check_tmpdir() makes a fresh directory (mkdtemp under $TMPDIR or /tmp); every
 *   directory made during a case is removed when the case ends, pass or fail.
 */
#ifndef QS_TESTS_CHECK_H
#define QS_TESTS_CHECK_H

#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quizstore.h"
#include "util/rng.h"

#define CHECK_DEFAULT_SEED 20260101u
#define CHECK_MAX_TMPDIRS 16

typedef struct check_case {
    const char *name;
    void (*fn)(void);
} check_case;

#define TEST(name) static void name(void)
#define CASE(name) { #name, name }
#define NCASES(table) (sizeof(table) / sizeof((table)[0]))

/* State of the running program; one definition per program (static). */
static struct {
    jmp_buf abort_case;
    const char *case_name;
    uint64_t seed;
    uint64_t rng;
    int case_failed;
    char *tmpdirs[CHECK_MAX_TMPDIRS];
    int n_tmpdirs;
} check_state;

/* ---- failure reporting ------------------------------------------------ */

static void check_fail_here(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

static void check_fail_here(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "%s:%d: %s: ", file, line, check_state.case_name);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    check_state.case_failed = 1;
    longjmp(check_state.abort_case, 1);
}

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond))                                                                 \
            check_fail_here(__FILE__, __LINE__, "CHECK(%s) failed", #cond);          \
    } while (0)

/* Like CHECK, with a printf-style explanation of what was seen. */
#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stdout, "  ");                                                   \
            fprintf(stdout, __VA_ARGS__);                                            \
            fputc('\n', stdout);                                                     \
            check_fail_here(__FILE__, __LINE__, "CHECK(%s) failed", #cond);          \
        }                                                                            \
    } while (0)

#define CHECK_RC(expr, expected)                                                     \
    do {                                                                             \
        int check_rc_got_ = (expr);                                                  \
        int check_rc_want_ = (expected);                                             \
        if (check_rc_got_ != check_rc_want_)                                         \
            check_fail_here(__FILE__, __LINE__,                                      \
                            "%s returned %d (%s), expected %d (%s); errmsg: \"%s\"", \
                            #expr, check_rc_got_, qs_strerror(check_rc_got_),        \
                            check_rc_want_, qs_strerror(check_rc_want_),             \
                            qs_errmsg());                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                               \
    do {                                                                             \
        long long check_eq_a_ = (long long)(a);                                      \
        long long check_eq_b_ = (long long)(b);                                      \
        if (check_eq_a_ != check_eq_b_)                                              \
            check_fail_here(__FILE__, __LINE__, "%s == %s failed: %lld != %lld", #a, \
                            #b, check_eq_a_, check_eq_b_);                           \
    } while (0)

#define CHECK_STR(a, b)                                                              \
    do {                                                                             \
        const char *check_str_a_ = (a);                                              \
        const char *check_str_b_ = (b);                                              \
        if (strcmp(check_str_a_, check_str_b_) != 0)                                 \
            check_fail_here(__FILE__, __LINE__, "%s == %s failed: \"%s\" != \"%s\"", \
                            #a, #b, check_str_a_, check_str_b_);                     \
    } while (0)

/* ---- seeded randomness (splitmix64) ------------------------------------- */

static inline uint64_t check_mix(uint64_t *state)
{
    return ut_splitmix64(state);
}

static inline uint64_t check_rand(void)
{
    return check_mix(&check_state.rng);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t check_below(uint64_t n)
{
    return check_rand() % n;
}

/* Uniform in [lo, hi]. */
static inline int64_t check_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)check_below((uint64_t)(hi - lo) + 1);
}

/* True with probability pct / 100. */
static inline int check_chance(unsigned pct)
{
    return check_below(100) < pct;
}

/* ---- temporary directories ------------------------------------------------ */

static int check_rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static inline void check_rmtree(const char *path)
{
    nftw(path, check_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh empty directory, removed when the current case ends. */
static inline const char *check_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    if (base == NULL || *base == '\0')
        base = "/tmp";
    snprintf(tmpl, sizeof tmpl, "%s/qs-test-XXXXXX", base);
    if (check_state.n_tmpdirs == CHECK_MAX_TMPDIRS)
        check_fail_here(__FILE__, __LINE__, "too many temporary directories in one case");
    if (mkdtemp(tmpl) == NULL)
        check_fail_here(__FILE__, __LINE__, "mkdtemp(%s) failed", tmpl);
    check_state.tmpdirs[check_state.n_tmpdirs] = strdup(tmpl);
    return check_state.tmpdirs[check_state.n_tmpdirs++];
}

static inline void check_remove_tmpdirs(void)
{
    while (check_state.n_tmpdirs > 0) {
        char *dir = check_state.tmpdirs[--check_state.n_tmpdirs];
        check_rmtree(dir);
        free(dir);
    }
}

/* ---- runner ----------------------------------------------------------------- */

static int check_run_case(const check_case *c, size_t index, int quiet)
{
    check_state.case_name = c->name;
    check_state.case_failed = 0;
    check_state.rng = check_state.seed ^ (0x5851f42d4c957f2dull * (index + 1));
    if (setjmp(check_state.abort_case) == 0)
        c->fn();
    check_remove_tmpdirs();
    if (check_state.case_failed || !quiet)
        printf("%s %s\n", check_state.case_failed ? "FAIL" : "ok  ", c->name);
    fflush(stdout);
    return !check_state.case_failed;
}

static inline int check_main(int argc, char **argv, const check_case *cases, size_t n)
{
    const char *only = NULL;
    int quiet = 0, opt;
    unsigned passed = 0, failed = 0;

    check_state.seed = CHECK_DEFAULT_SEED;
    while ((opt = getopt(argc, argv, "s:t:q")) != -1) {
        switch (opt) {
        case 's': check_state.seed = strtoull(optarg, NULL, 0); break;
        case 't': only = optarg; break;
        case 'q': quiet = 1; break;
        default:
            fprintf(stderr, "usage: %s [-s SEED] [-t CASE] [-q]\n", argv[0]);
            return EXIT_FAILURE;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++) {
        if (only != NULL && strcmp(only, cases[i].name) != 0)
            continue;
        if (check_run_case(&cases[i], i, quiet))
            passed++;
        else
            failed++;
    }
    if (failed > 0)
        printf("seed %" PRIu64 " (rerun with -s %" PRIu64 ")\n", check_state.seed,
               check_state.seed);
    printf("%u passed, %u failed\n", passed, failed);
    fflush(stdout);
    /* A failed case abandons its handles: skip the exit-time leak report they cause. */
    if (failed > 0)
        _exit(EXIT_FAILURE);
    return EXIT_SUCCESS;
}

#endif /* QS_TESTS_CHECK_H */
