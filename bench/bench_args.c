/* bench_args.c: qs-bench's arguments, the engines it knows, and the iteration counts
 * and time caps of a full run and of --quick (bench.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static const struct {
    const char *name;
    const backend_ops *ops;
} known_engines[] = {
    {"quizstore", &bk_quizstore_ops},
    {"sqlite", &bk_sqlite_ops},
    {"sqlite-pools", &bk_sqlite_pool_ops},
    {"postgres", &bk_postgres_ops},
};

#define N_KNOWN (sizeof known_engines / sizeof known_engines[0])

static void usage(void)
{
    fprintf(stderr,
            "usage: qs-bench [-s SEED] [-S SCALE] [-d DAYS] [--engines LIST] [--out DIR]\n"
            "                [--iters N] [--threads N] [--submitters N] [--quick] [--keep]\n"
            "                [--import-only]\n"
            "  -s SEED        workload seed (default 42)\n"
            "  -S SCALE       S: 10000 x S users and daily volumes (default 1; --quick 0.01)\n"
            "  -d DAYS        days of history (default 7; --quick 2)\n"
            "  --engines LIST comma-separated: quizstore,sqlite,sqlite-pools,postgres\n"
            "                 (default all but postgres, plus postgres when QS_BENCH_PG is set;\n"
            "                 --quick: quizstore,sqlite); the first is the check's reference\n"
            "  --out DIR      results directory (default qs-bench-out); stores and CSV files\n"
            "                 go to DIR/work, removed at the end unless --keep\n"
            "  --iters N      timed calls per op alone (default 5000; --quick 200)\n"
            "  --threads N    threads of the parallel replay (default: one per core)\n"
            "  --submitters N threads submitting durable answers at once (default 16)\n"
            "  --quick        the CI smoke: tiny scale, few iterations, still checks results\n"
            "  --keep         keep DIR/work\n"
            "  --import-only  only the bulk import of the CSV files, engine by engine\n");
    exit(EXIT_FAILURE);
}

/* Iteration counts and time caps. The full run is sized so that bench/run.sh (four
 * engines, S=1, D=7) stays within 10 minutes on a 2-core machine, where loading and
 * importing the history take most of the time. */
static void set_defaults(bench_cfg *c, int quick)
{
    c->quick = quick;
    c->iters = quick ? 200 : 5000;
    c->op_seconds = quick ? 0.2 : 1.0;
    c->check_samples = quick ? 40 : 200;
    c->durable_answers = quick ? 100 : 1000;
    c->batch50_answers = quick ? 1000 : 25000;
    c->group_answers = quick ? 400 : 20000;
    c->submitters = 16;
    c->submit_seconds = quick ? 0.5 : 2.0;
    c->replay_ops = quick ? 4000 : 300000;
    c->replay_seconds = quick ? 1.0 : 6.0;
}

static int add_engine(bench_run *r, const char *name)
{
    for (size_t k = 0; k < N_KNOWN; k++) {
        if (strcmp(known_engines[k].name, name) != 0)
            continue;
        for (unsigned i = 0; i < r->n_engines; i++)
            if (strcmp(r->engines[i].name, name) == 0)
                return 0;
        bench_engine *e = &r->engines[r->n_engines++];
        e->name = known_engines[k].name;
        e->ops = known_engines[k].ops;
        return 0;
    }
    fprintf(stderr, "qs-bench: unknown engine '%s'\n", name);
    return -1;
}

static int parse_engines(bench_run *r, const char *list)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (add_engine(r, tok))
            return -1;
    return r->n_engines ? 0 : -1;
}

void bench_parse_args(bench_run *r, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"engines", required_argument, NULL, 'e'}, {"out", required_argument, NULL, 'o'},
        {"iters", required_argument, NULL, 'i'},   {"threads", required_argument, NULL, 't'},
        {"quick", no_argument, NULL, 'q'},         {"keep", no_argument, NULL, 'k'},
        {"submitters", required_argument, NULL, 'u'}, {"import-only", no_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    bench_cfg *c = &r->cfg;
    const char *engines = NULL, *out = "qs-bench-out";
    double scale = -1;
    int days = -1, quick = 0, opt;
    long iters = -1, threads = -1, submitters = -1;
    uint64_t seed = 42;
    char *end;
    while ((opt = getopt_long(argc, argv, "s:S:d:h", longopts, NULL)) != -1) {
        errno = 0;
        switch (opt) {
        case 's': seed = strtoull(optarg, &end, 0); break;
        case 'S': scale = strtod(optarg, &end); break;
        case 'd': days = (int)strtol(optarg, &end, 10); break;
        case 'e': engines = optarg; end = ""; break;
        case 'o': out = optarg; end = ""; break;
        case 'i': iters = strtol(optarg, &end, 10); break;
        case 't': threads = strtol(optarg, &end, 10); break;
        case 'u': submitters = strtol(optarg, &end, 10); break;
        case 'q': quick = 1; end = ""; break;
        case 'k': c->keep = 1; end = ""; break;
        case 'I': c->import_only = 1; end = ""; break;
        default: usage();
        }
        if (errno || *end)
            usage();
    }
    if (optind != argc)
        usage();
    set_defaults(c, quick);
    c->params.seed = seed;
    c->params.scale = scale > 0 ? scale : quick ? 0.01 : 1.0;
    c->params.days = days >= 0 ? days : quick ? 2 : 7;
    if (iters > 0)
        c->iters = (unsigned)iters;
    if (submitters > 0)
        c->submitters = (unsigned)(submitters < BENCH_MAX_SUBMITTERS ? submitters
                                                                     : BENCH_MAX_SUBMITTERS);
    c->threads = (unsigned)(threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN));
    if (c->threads < 2)
        c->threads = 2;
    if (c->threads > BENCH_MAX_THREADS)
        c->threads = BENCH_MAX_THREADS;
    if (!engines)
        engines = quick ? "quizstore,sqlite"
                  : getenv("QS_BENCH_PG") ? "quizstore,sqlite,sqlite-pools,postgres"
                                          : "quizstore,sqlite,sqlite-pools";
    if (parse_engines(r, engines))
        usage();
    snprintf(c->out_dir, sizeof c->out_dir, "%s", out);
    snprintf(c->work_dir, sizeof c->work_dir, "%s/work", out);
    snprintf(c->csv_dir, sizeof c->csv_dir, "%s/work/csv", out);
    bench_command_line(argc, argv, r->command, sizeof r->command);
}
