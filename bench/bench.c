/* qs-bench: quizstore against SQLite and PostgreSQL on the reference workload.
 *
 * One run: generate the workload in memory (and its CSV files once, with qs-gen);
 * per engine, load the history through the backend ops and check that every engine
 * returns the same results on a sample of every op; then per engine, time each op
 * alone, answer_submit at batch 1 (durable) and 50, the mixed replay on 1 thread and
 * one per core, and the bulk import of the CSV files. Prints a table, writes
 * OUT/bench.json and OUT/latency.png. Exits 1 when a result differs (before timing),
 * 2 when an engine fails. bench/README.md explains each figure.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define WORK_MARKER ".qs-bench-work"

const char *const bench_read_names[READ_COUNT] = {
    "question_get", "progress_view", "dashboard", "leaderboard", "history", "test_list",
};

const char *const bench_lat_names[LAT_COUNT] = {
    "question_get", "progress_view", "dashboard", "leaderboard", "history", "test_list",
    "test_create filter", "test_create adaptive", "test_create weak", "interaction_log",
    "answer_submit b1 durable", "answer_submit b50 lazy", "interaction_log b50 lazy",
};

const char *const bench_lat_keys[LAT_COUNT] = {
    "question_get", "progress_view", "dashboard", "leaderboard", "history", "test_list",
    "test_create_filter", "test_create_adaptive", "test_create_weak", "interaction_log",
    "answer_submit_b1_durable", "answer_submit_b50_lazy", "interaction_log_b50_lazy",
};

const char *const bench_only_names[3] = {"unused", "incorrect", "marked"};

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

/* ------------------------------------------------------------ helpers */

void lat_stat_from(lat_stat *s, const hist *h)
{
    s->n = h->n;
    s->p50 = hist_quantile_ns(h, 0.50) / 1e3;
    s->p99 = hist_quantile_ns(h, 0.99) / 1e3;
    s->p999 = hist_quantile_ns(h, 0.999) / 1e3;
    s->mean = hist_mean_ns(h) / 1e3;
    s->max = (double)h->max_ns / 1e3;
}

int bench_read_run(backend *be, bench_read op, uint32_t arg, bk_result *out)
{
    const backend_ops *o = be->ops;
    switch (op) {
    case READ_QUESTION_GET: return o->question_get(be, arg, out);
    case READ_PROGRESS_VIEW: return o->progress_view(be, arg, out);
    case READ_DASHBOARD: return o->dashboard(be, arg, WL_NOW_MS, out);
    case READ_LEADERBOARD: return o->leaderboard(be, arg, out);
    case READ_HISTORY: return o->history(be, arg, out);
    case READ_TEST_LIST: return o->test_list(be, arg, out);
    default: return -1;
    }
}

/* ------------------------------------------------------------ arguments */

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

static void parse_args(bench_run *r, int argc, char **argv)
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

/* ------------------------------------------------------------ setup */

static void describe_machine(bench_run *r)
{
    r->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    struct sysinfo si;
    if (sysinfo(&si) == 0)
        r->ram_bytes = (uint64_t)si.totalram * si.mem_unit;
    snprintf(r->cpu, sizeof r->cpu, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            v = v ? v + 1 + strspn(v + 1, " \t") : line;
            snprintf(r->cpu, sizeof r->cpu, "%.*s", (int)strcspn(v, "\n"), v);
            break;
        }
    if (f)
        fclose(f);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(r->kernel, sizeof r->kernel, "%.40s %.60s %.20s", u.sysname, u.release,
                 u.machine);
}

/* The directory of this executable: qs-gen is next to it, the CLI in ../tools. */
static void find_exe_dir(bench_run *r)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) {
        snprintf(r->cfg.exe_dir, sizeof r->cfg.exe_dir, ".");
        return;
    }
    path[n] = '\0';
    snprintf(r->cfg.exe_dir, sizeof r->cfg.exe_dir, "%s", dirname(path));
    static char cli[PATH_MAX + 32];
    snprintf(cli, sizeof cli, "%s/../tools/quizstore", r->cfg.exe_dir);
    if (!getenv("QS_CLI") && access(cli, X_OK) == 0)
        setenv("QS_CLI", cli, 1);
}

static int work_dir_made;   /* DIR/work is this run's, to remove at the end */

/* The history as CSV files, by qs-gen (the generator's own writer). */
static int write_csv(bench_run *r)
{
    const bench_cfg *c = &r->cfg;
    char gen[PATH_MAX + 16], seed[32], scale[32], days[16];
    snprintf(gen, sizeof gen, "%s/qs-gen", c->exe_dir);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->params.seed);
    snprintf(scale, sizeof scale, "%.17g", c->params.scale);
    snprintf(days, sizeof days, "%d", c->params.days);
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        execl(gen, gen, "-s", seed, "-S", scale, "-d", days, "-o", c->csv_dir, (char *)NULL);
        fprintf(stderr, "qs-bench: cannot run %s: %s\n", gen, strerror(errno));
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "qs-bench: %s failed\n", gen);
        return -1;
    }
    r->csv_seconds = bench_now() - t0;
    return 0;
}

/* ------------------------------------------------------------ phases */

/* Name the engine's stores and open its (empty) store once, so that an engine that
 * cannot run (no server, say) fails before any other has spent time loading. */
static int preflight(bench_run *r, bench_engine *e)
{
    if (snprintf(e->dir, sizeof e->dir, "%s/%s", r->cfg.work_dir, e->name) >=
            (int)sizeof e->dir ||
        snprintf(e->import_dir, sizeof e->import_dir, "%s/%s-import", r->cfg.work_dir,
                 e->name) >= (int)sizeof e->import_dir) {
        fprintf(stderr, "qs-bench: %s: path too long\n", r->cfg.work_dir);
        return 2;
    }
    if (bench_open(e, e->dir, BK_SYNC_LAZY))
        return 2;
    bench_close(e);
    return 0;
}

/* Write back what the engines before left dirty in the page cache, so that no engine's
 * figures pay for another's writes: the disk is shared, and a store just loaded leaves
 * up to gigabytes behind it. */
static void settle_disk(const bench_engine *e, const char *phase)
{
    double t0 = bench_now();
    sync();
    bench_note("%s: the disk settled before its %s (%.1f s)", e->name, phase, bench_now() - t0);
}

static int load_and_check(bench_run *r, bench_engine *e)
{
    settle_disk(e, "load");
    double t0 = bench_now();
    if (bench_open(e, e->dir, BK_SYNC_LAZY))
        return 2;
    if (bench_load(r, e)) {
        bench_close(e);
        return 2;
    }
    int rc = bench_check(r, e);
    if (rc == 0 && e->ops->checkpoint(e->be) != 0) {
        fprintf(stderr, "qs-bench: %s: %s\n", e->name, e->be->err);
        rc = -1;
    }
    bench_close(e);
    e->res.phase_seconds[0] = bench_now() - t0;
    if (rc == 0)
        bench_note("%s: check passed (%llu cases, %.1f s)", e->name,
                   (unsigned long long)r->check_cases, e->res.phase_seconds[0]);
    return rc < 0 ? 2 : rc;
}

static int measure(bench_run *r, bench_engine *e)
{
    settle_disk(e, "timed phases");
    double t0 = bench_now();
    if (bench_open(e, e->dir, BK_SYNC_LAZY))
        return 2;
    int rc = bench_ops_alone(r, e) || bench_submits(r, e);
    double t1 = bench_now();
    for (int k = 0; k < 2 && rc == 0; k++)
        rc = bench_replay(r, e, k ? r->cfg.threads : 1, &e->res.replay[k]) != 0;
    bench_close(e);
    if (!r->cfg.keep)
        bench_remove_tree(e->dir);
    double t2 = bench_now();
    if (rc == 0)
        rc = bench_bulk_import(r, e) != 0;
    if (!r->cfg.keep)
        bench_remove_tree(e->import_dir);
    e->res.phase_seconds[1] = t1 - t0;
    e->res.phase_seconds[2] = t2 - t1;
    e->res.phase_seconds[3] = bench_now() - t2;
    return rc ? 2 : 0;
}

/* --import-only: each engine's bulk import, and nothing else. */
static int import_only(bench_run *r)
{
    for (unsigned i = 0; i < r->n_engines; i++) {
        bench_engine *e = &r->engines[i];
        settle_disk(e, "bulk import");
        double t0 = bench_now();
        int rc = bench_bulk_import(r, e);
        if (!r->cfg.keep)
            bench_remove_tree(e->import_dir);
        e->res.phase_seconds[3] = bench_now() - t0;
        if (rc)
            return 2;
    }
    return 0;
}

static int run(bench_run *r)
{
    if (bench_work_dir(r->cfg.out_dir, r->cfg.work_dir, WORK_MARKER) != 0)
        return 2;
    work_dir_made = 1;
    for (unsigned i = 0; i < r->n_engines; i++)
        if (preflight(r, &r->engines[i]))
            return 2;
    if (write_csv(r))
        return 2;
    bench_note("CSV files written by qs-gen in %.1f s", r->csv_seconds);
    if (r->cfg.import_only)
        return import_only(r);
    printf("check: the same results from every engine on %u sampled inputs per op "
           "(reference: %s)\n", r->cfg.check_samples, r->engines[0].name);
    fflush(stdout);
    for (unsigned i = 0; i < r->n_engines; i++) {
        int rc = load_and_check(r, &r->engines[i]);
        if (rc)
            return rc;
    }
    printf("check: %u engine(s) agree on %llu results\n", r->n_engines,
           (unsigned long long)r->check_cases);
    fflush(stdout);
    if (bench_fsync_floor(r))
        return 2;
    for (unsigned i = 0; i < r->n_engines; i++) {
        int rc = measure(r, &r->engines[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int report(bench_run *r)
{
    r->total_seconds = bench_elapsed();
    bench_print_table(r);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/bench.json", r->cfg.out_dir);
    if (bench_write_json(r, path)) {
        fprintf(stderr, "qs-bench: cannot write %s: %s\n", path, strerror(errno));
        return 2;
    }
    printf("results: %s", path);
    if (!r->cfg.import_only && bench_write_chart(r) == 0)   /* a chart of latencies */
        printf(", %s/latency.png", r->cfg.out_dir);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    static bench_run r;
    bench_harness_init("qs-bench");
    parse_args(&r, argc, argv);
    describe_machine(&r);
    find_exe_dir(&r);
    int rc = bd_open(&r.data, &r.cfg.params);
    if (rc) {
        fprintf(stderr, "qs-bench: cannot generate the workload: %s\n", strerror(rc));
        return 2;
    }
    r.gen_seconds = bench_elapsed();
    bench_print_header(&r);
    bench_note("workload generated in memory in %.1f s", r.gen_seconds);
    rc = run(&r);
    if (rc == 0)
        rc = report(&r);
    for (unsigned i = 0; i < r.n_engines; i++)
        bench_close(&r.engines[i]);
    if (!r.cfg.keep && work_dir_made)
        bench_remove_tree(r.cfg.work_dir);
    bench_check_free();
    bd_close(&r.data);
    return rc;
}
