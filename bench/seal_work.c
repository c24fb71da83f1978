/* seal_work.c: qs-seal's work directory, and seal_fail(), which removes it on the way out. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "seal.h"

#define WORK_MARKER ".qs-seal-work"

static char work_dir[PATH_MAX + 16];
static int keep_work, work_dir_made;

const char *seal_make_work_dir(const config *c)
{
    snprintf(work_dir, sizeof work_dir, "%s/work", c->out_dir);
    int rc = bench_work_dir(c->out_dir, work_dir, WORK_MARKER);
    if (rc)
        exit(rc);
    keep_work = c->keep;
    work_dir_made = 1;
    return work_dir;
}

void seal_remove_work(void)
{
    if (!work_dir_made || keep_work)
        return;
    work_dir_made = 0;
    bench_remove_tree(work_dir);
}

void seal_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("qs-seal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    seal_remove_work();
    exit(status);
}
