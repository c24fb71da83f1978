/* gen.c - qs-gen: write the reference workload of WORKLOAD.md as CSV files.
 *
 * One file per entity, with the CLI's default columns (header row, RFC 4180 quoting,
 * ids as decimal strings, timestamps in epoch milliseconds). Tests, answers and
 * interactions are written in created_at order as the generator streams them; only
 * the tests in progress are held in memory.
 */
#include "workload.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "outbuf.h"

#define OUT_BUF (1u << 20)
#define MAX_OPTION_COLUMNS 8

static const char *prog = "qs-gen";

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-s SEED] [-S SCALE] [-d DAYS] [-o DIR] [--next-day]\n"
            "  -s SEED     64-bit seed, decimal or 0x hex (default 42)\n"
            "  -S SCALE    scale factor: 10000 x SCALE users, volumes per day alike\n"
            "              (default 1; > 0 and <= %g)\n"
            "  -d DAYS     days of history ending at 2026-01-01T00:00:00Z (default 30;\n"
            "              0..%d)\n"
            "  -o DIR      output directory, created if missing (default .)\n"
            "  --next-day  also write the day after the history for the mixed replay:\n"
            "              next_tests.csv, next_answers.csv, next_interactions.csv\n",
            prog, WL_MAX_SCALE, WL_MAX_DAYS);
    exit(EXIT_FAILURE);
}

/* ===================================================================== */
/* CSV output                                                             */

typedef struct out {
    FILE *fp;
    char path[PATH_MAX];
    outbuf b;
    uint64_t rows;
} out;

static int file_sink(void *fp, const char *p, size_t n)
{
    return fwrite(p, 1, n, fp) == n ? 0 : errno ? errno : EIO;
}

/* A text field, quoted when it holds a comma, quote, CR or LF (quotes doubled). */
static void out_field(outbuf *o, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != ',' && s[i] != '"' && s[i] != '\n' && s[i] != '\r')
        i++;
    if (i == n) {
        ob_mem(o, s, n);
        return;
    }
    ob_char(o, '"');
    const char *run = s;
    for (i = 0; i < n; i++)
        if (s[i] == '"') {
            ob_mem(o, run, (size_t)(s + i + 1 - run));
            ob_char(o, '"');
            run = s + i + 1;
        }
    ob_mem(o, run, (size_t)(s + n - run));
    ob_char(o, '"');
}

static inline void out_end(out *o)
{
    ob_char(&o->b, '\n');
    o->rows++;
}

static int out_open(out *o, const char *dir, const char *name, const char *header)
{
    memset(o, 0, sizeof(*o));
    if ((size_t)snprintf(o->path, sizeof(o->path), "%s/%s", dir, name) >= sizeof(o->path)) {
        fprintf(stderr, "%s: %s/%s: path too long\n", prog, dir, name);
        return -1;
    }
    o->fp = fopen(o->path, "w");
    if (!o->fp || ob_open(&o->b, OUT_BUF, file_sink, o->fp) != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, o->path, strerror(o->fp ? ENOMEM : errno));
        return -1;
    }
    ob_str(&o->b, header);
    ob_char(&o->b, '\n');
    return 0;
}

/* Flush and close; @return 0, or -1 after naming the file and the error. */
static int out_close(out *o)
{
    if (!o->fp) {
        ob_close(&o->b);
        return 0;
    }
    ob_flush(&o->b);
    int err = o->b.err;
    if (fclose(o->fp) != 0 && !err)
        err = errno ? errno : EIO;
    o->fp = NULL;
    ob_close(&o->b);
    if (err) {
        fprintf(stderr, "%s: %s: %s\n", prog, o->path, strerror(err));
        return -1;
    }
    return 0;
}

/* ===================================================================== */
/* Rows                                                                   */

static const char *const test_status_names[] = {"", "active", "paused", "completed", "abandoned"};
static const char *const mode_names[] = {"", "tutor", "timed"};
static const char *const answer_status_names[] = {"", "answered", "skipped", "flagged"};

static void write_taxa(out *o, void (*get)(uint32_t, wl_taxon *), uint32_t n, int with_parent)
{
    for (uint32_t id = 1; id <= n; id++) {
        wl_taxon t;
        get(id, &t);
        ob_u64(&o->b, t.id);
        ob_char(&o->b, ',');
        if (with_parent) {
            ob_u64(&o->b, t.parent);
            ob_char(&o->b, ',');
        }
        out_field(&o->b, t.name, strlen(t.name));
        out_end(o);
    }
}

static void write_questions(out *o, const wl_gen *g)
{
    static wl_text_buf buf;
    for (uint32_t id = 1; id <= WL_QUESTIONS && !o->b.err; id++) {
        wl_question q;
        wl_question_get(g, id, &q, &buf);
        const uint64_t nums[] = {q.id, q.subject, q.system, q.topic, q.difficulty, q.type,
                                 q.active, (uint64_t)q.created_at, q.correct_option};
        for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
            ob_u64(&o->b, nums[i]);
            ob_char(&o->b, ',');
        }
        out_field(&o->b, q.stem.ptr, q.stem.len);
        for (unsigned i = 0; i < MAX_OPTION_COLUMNS; i++) {
            ob_char(&o->b, ',');
            if (i < q.n_options)
                out_field(&o->b, q.options[i].ptr, q.options[i].len);
        }
        ob_char(&o->b, ',');
        out_field(&o->b, q.explanation.ptr, q.explanation.len);
        out_end(o);
    }
}

static void write_users(out *o, const wl_gen *g, uint32_t n)
{
    for (uint32_t id = 1; id <= n; id++) {
        wl_user u;
        wl_user_get(g, id, &u);
        ob_u64(&o->b, u.id);
        ob_char(&o->b, ',');
        ob_i64(&o->b, u.created_at);
        out_end(o);
    }
}

/* The files one stream writes, and wl_run()'s callbacks into them. */
typedef struct activity {
    out tests, answers, interactions;
} activity;

static int on_test(void *ctx, const wl_test *t)
{
    out *o = &((activity *)ctx)->tests;
    ob_u64(&o->b, t->id);
    ob_char(&o->b, ',');
    ob_u64(&o->b, t->user);
    ob_char(&o->b, ',');
    ob_str(&o->b, test_status_names[t->status]);
    ob_char(&o->b, ',');
    ob_str(&o->b, mode_names[t->mode]);
    ob_char(&o->b, ',');
    ob_i64(&o->b, t->created_at);
    ob_char(&o->b, ',');
    ob_i64(&o->b, t->last_activity_at);
    ob_char(&o->b, ',');
    if (t->completed_at)
        ob_i64(&o->b, t->completed_at);
    ob_char(&o->b, ',');
    for (unsigned i = 0; i < t->n_questions; i++) {
        if (i)
            ob_char(&o->b, ';');
        ob_u64(&o->b, t->questions[i]);
    }
    out_end(o);
    return o->b.err;
}

static int on_answer(void *ctx, const wl_answer *a)
{
    out *o = &((activity *)ctx)->answers;
    ob_u64(&o->b, a->test);
    ob_char(&o->b, ',');
    ob_u64(&o->b, a->question);
    ob_char(&o->b, ',');
    ob_u64(&o->b, a->user);
    ob_char(&o->b, ',');
    ob_char(&o->b, a->correct ? '1' : '0');
    ob_char(&o->b, ',');
    if (a->chosen >= 0)
        ob_char(&o->b, (char)('0' + a->chosen));
    ob_char(&o->b, ',');
    ob_str(&o->b, answer_status_names[a->status]);
    ob_char(&o->b, ',');
    ob_u64(&o->b, a->score);
    ob_char(&o->b, ',');
    ob_i64(&o->b, a->time_spent_ms);
    ob_char(&o->b, ',');
    ob_i64(&o->b, a->created_at);
    out_end(o);
    return o->b.err;
}

static int on_interaction(void *ctx, const wl_interaction *ix)
{
    out *o = &((activity *)ctx)->interactions;
    ob_u64(&o->b, ix->user);
    ob_char(&o->b, ',');
    ob_str(&o->b, wl_action_name(ix->action));
    ob_char(&o->b, ',');
    ob_i64(&o->b, ix->created_at);
    ob_char(&o->b, ',');
    out_field(&o->b, ix->payload, ix->payload_len);
    out_end(o);
    return o->b.err;
}

/* ===================================================================== */
/* Driver                                                                 */

#define TESTS_HEADER "id,user,status,mode,created_at,last_activity_at,completed_at,questions"
#define ANSWERS_HEADER "test,question,user,correct,chosen,status,score,time_spent_ms,created_at"
#define INTERACTIONS_HEADER "user,action,created_at,payload"
#define QUESTIONS_HEADER                                                                  \
    "id,subject,system,topic,difficulty,type,active,created_at,correct_option,stem,"      \
    "option0,option1,option2,option3,option4,option5,option6,option7,explanation"

typedef struct args {
    wl_params p;
    const char *dir;
    int next_day;
} args;

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-')
        return -1;
    *v = x;
    return 0;
}

static void parse_args(int argc, char **argv, args *a)
{
    static const struct option longopts[] = {
        {"next-day", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    a->p = (wl_params){.seed = 42, .scale = 1.0, .days = 30};
    a->dir = ".";
    a->next_day = 0;
    int c;
    while ((c = getopt_long(argc, argv, "s:S:d:o:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 's':
            if (parse_u64(optarg, &a->p.seed) != 0) {
                fprintf(stderr, "%s: bad seed '%s'\n", prog, optarg);
                usage();
            }
            break;
        case 'S':
            errno = 0;
            a->p.scale = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(a->p.scale > 0) ||
                a->p.scale > WL_MAX_SCALE || 10000.0 * a->p.scale < 0.5) {
                fprintf(stderr, "%s: bad scale '%s' (needs 0.00005 <= SCALE <= %g)\n",
                        prog, optarg, WL_MAX_SCALE);
                usage();
            }
            break;
        case 'd': {
            errno = 0;
            long d = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || d < 0 || d > WL_MAX_DAYS) {
                fprintf(stderr, "%s: bad days '%s' (0..%d)\n", prog, optarg, WL_MAX_DAYS);
                usage();
            }
            a->p.days = (int)d;
            break;
        }
        case 'o':
            a->dir = optarg;
            break;
        case 'n':
            a->next_day = 1;
            break;
        default:
            usage();
        }
    }
    if (optind != argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
        usage();
    }
}

static int activity_open(activity *act, const char *dir, const char *prefix)
{
    char name[3][64];
    snprintf(name[0], sizeof(name[0]), "%stests.csv", prefix);
    snprintf(name[1], sizeof(name[1]), "%sanswers.csv", prefix);
    snprintf(name[2], sizeof(name[2]), "%sinteractions.csv", prefix);
    memset(act, 0, sizeof(*act));
    if (out_open(&act->tests, dir, name[0], TESTS_HEADER) != 0 ||
        out_open(&act->answers, dir, name[1], ANSWERS_HEADER) != 0 ||
        out_open(&act->interactions, dir, name[2], INTERACTIONS_HEADER) != 0)
        return -1;
    return 0;
}

static int activity_close(activity *act)
{
    int rc = 0;
    rc |= out_close(&act->tests);
    rc |= out_close(&act->answers);
    rc |= out_close(&act->interactions);
    return rc;
}

/* Run one window into its three files. @return 0, or -1 after an error message. */
static int write_activity(const wl_gen *g, wl_window w, activity *act)
{
    wl_sink sink = {on_test, on_answer, on_interaction, act};
    int rc = wl_run(g, w, &sink);
    if (rc == ENOMEM) {
        fprintf(stderr, "%s: %s\n", prog, strerror(rc));
        activity_close(act);
        return -1;
    }
    return activity_close(act);   /* names the file of a failed write */
}

/* The bank and the users: five small files. */
static int write_static(const wl_gen *g, const char *dir, uint32_t users, uint64_t rows[5])
{
    out o[5];
    memset(o, 0, sizeof(o));
    int rc = 0;
    if (out_open(&o[0], dir, "subjects.csv", "id,name") != 0 ||
        out_open(&o[1], dir, "systems.csv", "id,name") != 0 ||
        out_open(&o[2], dir, "topics.csv", "id,system,name") != 0 ||
        out_open(&o[3], dir, "questions.csv", QUESTIONS_HEADER) != 0 ||
        out_open(&o[4], dir, "users.csv", "id,created_at") != 0) {
        rc = -1;
    } else {
        write_taxa(&o[0], wl_subject_get, WL_SUBJECTS, 0);
        write_taxa(&o[1], wl_system_get, WL_SYSTEMS, 0);
        write_taxa(&o[2], wl_topic_get, WL_TOPICS, 1);
        write_questions(&o[3], g);
        write_users(&o[4], g, users);
    }
    for (int i = 0; i < 5; i++) {
        rows[i] = o[i].rows;
        rc |= out_close(&o[i]);
    }
    return rc;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
    args a;
    parse_args(argc, argv, &a);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    if (mkdir(a.dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s: %s\n", prog, a.dir, strerror(errno));
        return EXIT_FAILURE;
    }
    wl_gen *g;
    int rc = wl_open(&a.p, &g);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot set up the generator: %s\n", prog, strerror(rc));
        return EXIT_FAILURE;
    }
    wl_counts c;
    wl_counts_get(g, &c);

    uint64_t rows[5];
    activity hist, next;
    memset(&hist, 0, sizeof(hist));
    memset(&next, 0, sizeof(next));
    if (write_static(g, a.dir, c.users, rows) != 0 ||
        activity_open(&hist, a.dir, "") != 0 || write_activity(g, WL_HISTORY, &hist) != 0 ||
        (a.next_day && (activity_open(&next, a.dir, "next_") != 0 ||
                        write_activity(g, WL_NEXT_DAY, &next) != 0))) {
        activity_close(&hist);
        activity_close(&next);
        wl_close(g);
        return EXIT_FAILURE;
    }
    wl_close(g);

    /* Header rows are not counted. */
    fprintf(stderr,
            "%s: seed %llu scale %g days %d -> %s: %llu subjects, %llu systems, %llu topics, "
            "%llu questions, %llu users, %llu tests, %llu answers, %llu interactions",
            prog, (unsigned long long)a.p.seed, a.p.scale, a.p.days, a.dir,
            (unsigned long long)rows[0], (unsigned long long)rows[1],
            (unsigned long long)rows[2], (unsigned long long)rows[3],
            (unsigned long long)rows[4], (unsigned long long)hist.tests.rows,
            (unsigned long long)hist.answers.rows, (unsigned long long)hist.interactions.rows);
    if (a.next_day)
        fprintf(stderr, "; next day: %llu tests, %llu answers, %llu interactions",
                (unsigned long long)next.tests.rows, (unsigned long long)next.answers.rows,
                (unsigned long long)next.interactions.rows);
    fprintf(stderr, " (%.1f s)\n", seconds_since(&t0));
    return EXIT_SUCCESS;
}
