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
    bench_parse_args(&r, argc, argv);
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
