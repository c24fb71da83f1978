/* harness.h: what the bench's programs (qs-bench, qs-seal, qs-micro) share: the
 * clock, progress notes on stderr, the command line as run, and the work directory
 * that holds their stores.
 *
 * Messages name the program given to bench_harness_init(), which every program calls
 * first. Single-threaded but for the clock, which any thread may read.
 */
#ifndef QS_BENCH_HARNESS_H
#define QS_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* The program's name for messages ("qs-bench"); starts the clock of bench_note(). */
void bench_harness_init(const char *prog);

/* CLOCK_MONOTONIC, in nanoseconds and in seconds. */
uint64_t bench_now_ns(void);
double bench_now(void);
/* Seconds since bench_harness_init(). */
double bench_elapsed(void);

/* One progress line on stderr: "[  12.3 s] " and the message. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The command as run, its arguments separated by spaces, cut to @p cap - 1 bytes. */
void bench_command_line(int argc, char **argv, char *out, size_t cap);

/* A fresh @p work_dir (inside @p out_dir, both made when missing), marked as the
 * program's by an empty file @p marker in it; an earlier run's, so marked, is removed
 * first. @return 0; 1 when @p work_dir exists without the marker (not ours to
 * remove); 2 when a directory cannot be made. Both printed. */
int bench_work_dir(const char *out_dir, const char *work_dir, const char *marker);

/* Remove @p path and everything below it, when it exists; a failure is printed. */
void bench_remove_tree(const char *path);

#endif /* QS_BENCH_HARNESS_H */
