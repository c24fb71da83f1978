/* harness.c: the bench programs' clock, notes and work directory (harness.h). */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *prog = "bench";
static double start_time;

void bench_harness_init(const char *name)
{
    prog = name;
    start_time = bench_now();
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_now(void)
{
    return (double)bench_now_ns() / 1e9;
}

double bench_elapsed(void)
{
    return bench_now() - start_time;
}

void bench_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%6.1f s] ", bench_elapsed());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void bench_command_line(int argc, char **argv, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < argc && len + 2 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", argv[i]);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

void bench_remove_tree(const char *path)
{
    if (access(path, F_OK) == 0 && nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "%s: cannot remove %s: %s\n", prog, path, strerror(errno));
}

int bench_work_dir(const char *out_dir, const char *work_dir, const char *marker)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", work_dir, marker);
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s: %s\n", prog, out_dir, strerror(errno));
        return 2;
    }
    if (access(work_dir, F_OK) == 0) {
        if (access(path, F_OK) != 0) {
            fprintf(stderr, "%s: %s exists and is not a %s work directory\n", prog, work_dir,
                    prog);
            return 1;
        }
        bench_remove_tree(work_dir);
    }
    FILE *f = NULL;
    if (mkdir(work_dir, 0755) != 0 || !(f = fopen(path, "w"))) {
        fprintf(stderr, "%s: %s: %s\n", prog, work_dir, strerror(errno));
        return 2;
    }
    fclose(f);
    return 0;
}
