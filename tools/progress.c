/* progress.c: the import progress bar on stderr: rows, rows/s, percent of the file's
 * bytes and the time left. Redrawn at most about four times a second. */
#include <stdio.h>
#include <unistd.h>

#include "import.h"
#include "timefmt.h"

#define REDRAW_SECONDS 0.25

void progress_start(progress *p, int enabled, const char *label, uint64_t total_bytes)
{
    p->enabled = enabled;
    p->tty = isatty(STDERR_FILENO);
    p->label = label;
    p->total_bytes = total_bytes;
    p->start = p->last = clock_seconds();
    p->drawn = 0;
}

static void format_duration(double s, char *out, size_t len)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, len, "%ld:%02ld", t / 60, t % 60);
}

void progress_update(progress *p, uint64_t rows, uint64_t bytes)
{
    if (!p->enabled)
        return;
    double now = clock_seconds();
    if (now - p->last < REDRAW_SECONDS)
        return;
    p->last = now;
    double elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)rows / elapsed : 0;
    fprintf(stderr, "\r%s: %llu rows, %.0f rows/s", p->label, (unsigned long long)rows, rate);
    if (p->total_bytes > 0 && bytes > 0) {
        double frac = (double)bytes / (double)p->total_bytes;
        char eta[32];
        format_duration(elapsed * (1 - frac) / frac, eta, sizeof eta);
        fprintf(stderr, ", %5.1f%%, ETA %s", 100 * frac, eta);
    }
    fputs(p->tty ? "\033[K" : "", stderr);
    fflush(stderr);
    p->drawn = 1;
}

void progress_end(progress *p)
{
    if (!p->enabled || !p->drawn)
        return;
    fputs(p->tty ? "\r\033[K" : "\n", stderr);
    fflush(stderr);
    p->drawn = 0;
}
