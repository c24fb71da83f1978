/* bench_figures.c: the figures qs-bench reports (bench.h): each a row of the table
 * and a key of bench.json, read from every engine's results, with the direction that
 * is better. quizstore's advantage over a peer is how many times faster (peer latency
 * / quizstore latency, quizstore rate / peer rate) or smaller (peer size / quizstore
 * size) it is.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static double get_lat_p50(const engine_result *s, int l) { return s->lat[l].n ? s->lat[l].p50 : NAN; }
static double get_lat_p99(const engine_result *s, int l) { return s->lat[l].n ? s->lat[l].p99 : NAN; }
static double get_lat_p999(const engine_result *s, int l) { return s->lat[l].n ? s->lat[l].p999 : NAN; }


static double get_load_rate(const engine_result *s, int a) { return bench_nonzero(s->load_answers_per_s); }
static double get_load_ix_rate(const engine_result *s, int a) { return bench_nonzero(s->load_ix_per_s); }
static double get_load_size(const engine_result *s, int a) { return bench_nonzero(s->size_after_load / 1e6); }
static double get_durable(const engine_result *s, int a) { return bench_nonzero(s->durable_per_s); }
static double get_batch50(const engine_result *s, int a) { return bench_nonzero(s->batch50_per_s); }
static double get_group(const engine_result *s, int a) { return bench_nonzero(s->group_per_s); }
static double get_group_p50(const engine_result *s, int a) { return s->group_lat.n ? s->group_lat.p50 : NAN; }
static double get_group_p99(const engine_result *s, int a) { return s->group_lat.n ? s->group_lat.p99 : NAN; }
static double get_import(const engine_result *s, int a) { return bench_nonzero(s->import_per_s); }
static double get_import_size(const engine_result *s, int a) { return bench_nonzero(s->import_size / 1e6); }
static double get_import_seconds(const engine_result *s, int a) { return bench_nonzero(s->import_seconds); }
static double get_replay(const engine_result *s, int i) { return bench_nonzero(s->replay[i].ops_per_s); }
static double get_day(const engine_result *s, int i) { return bench_nonzero(s->replay[i].day_seconds); }
/* test_create by the user's record: arg = 10 * pattern + only, p50 below 100, p99 above */
static double get_draw_only(const engine_result *s, int a)
{
    const lat_stat *l = &s->draw_only[(a % 100) / 10][a % 10];
    return l->n ? (a >= 100 ? l->p99 : l->p50) : NAN;
}

#define MAX_FIGURES 96

static bench_figure figures[MAX_FIGURES];
static size_t n_figures;
static bench_section sections[8];
static size_t n_sections;

static void add_section(const char *title)
{
    if (n_sections)
        sections[n_sections - 1].end = n_figures;
    sections[n_sections++] = (bench_section){title, n_figures, n_figures};
}

static void add_figure(const char *key, const char *label, bench_better b, int decimals,
                       double (*get)(const engine_result *, int), int arg)
{
    bench_figure *f = &figures[n_figures++];
    snprintf(f->key, sizeof f->key, "%s", key);
    snprintf(f->label, sizeof f->label, "%s", label);
    f->better = b;
    f->decimals = decimals;
    f->get = get;
    f->arg = arg;
}

static void add_bulk_import(const bench_run *r)
{
    add_section("bulk import of the history CSV files, every index built");
    add_figure("bulk_import.answers_per_s", "answers/s", HIGHER, 0, get_import, 0);
    add_figure("bulk_import.seconds", "seconds", LOWER, 1, get_import_seconds, 0);
    add_figure("bulk_import.size_mb", "size on disk after import (MB)", LOWER, 1,
               get_import_size, 0);
}

static void build_figures(const bench_run *r)
{
    static const char *const qs[] = {"p50", "p99", "p999"};
    static const char *const shown[] = {"p50", "p99", "p99.9"};
    static double (*const get_q[])(const engine_result *, int) = {get_lat_p50, get_lat_p99,
                                                                  get_lat_p999};
    if (n_figures)
        return;
    char key[64], label[64];
    double day_mops = 1.46 * r->cfg.params.scale;
    if (r->cfg.import_only) {
        add_bulk_import(r);
        sections[n_sections - 1].end = n_figures;
        return;
    }
    add_section("load through the ops, batches of 1000, lazy sync");
    add_figure("load.answers_per_s", "history answers/s (tests, aggregates)", HIGHER, 0,
               get_load_rate, 0);
    add_figure("load.interactions_per_s", "history interactions/s", HIGHER, 0,
               get_load_ix_rate, 0);
    add_figure("load.size_mb", "size on disk after load (MB)", LOWER, 1, get_load_size, 0);
    add_section("latency of each op alone, 1 thread, us (p50 / p99 / p99.9)");
    for (int l = 0; l < LAT_COUNT; l++)
        for (int k = 0; k < 3; k++) {
            snprintf(key, sizeof key, "latency.%s.%s", bench_lat_keys[l], qs[k]);
            snprintf(label, sizeof label, "%s %s", bench_lat_names[l], shown[k]);
            add_figure(key, label, LOWER, -1, get_q[k], l);
        }
    add_section("test_create keeping only the user's unused / incorrect / marked questions, us");
    for (int p = 0; p < 3; p++)
        for (int o = 0; o < 3; o++)
            for (int k = 0; k < 2; k++) {
                snprintf(key, sizeof key, "latency.%s.only_%s.%s",
                         bench_lat_keys[LAT_CREATE_FILTER + p], bench_only_names[o], qs[k]);
                snprintf(label, sizeof label, "%s only %s %s",
                         bench_lat_names[LAT_CREATE_FILTER + p], bench_only_names[o], shown[k]);
                add_figure(key, label, LOWER, -1, get_draw_only, 100 * k + 10 * p + o);
            }
    add_section("answer_submit throughput, every aggregate in the same transaction");
    add_figure("answer_submit.batch1_durable.answers_per_s", "batch 1, durable (answers/s)",
               HIGHER, 0, get_durable, 0);
    add_figure("answer_submit.batch50_lazy.answers_per_s", "batch 50, lazy (answers/s)",
               HIGHER, 0, get_batch50, 0);
    unsigned n_sub = r->cfg.submitters;
    snprintf(label, sizeof label, "batch 1, durable, %u submitters (answers/s)", n_sub);
    add_figure("answer_submit.batch1_durable_concurrent.answers_per_s", label, HIGHER, 0,
               get_group, 0);
    snprintf(label, sizeof label, "  each answer of the %u, p50 (us)", n_sub);
    add_figure("answer_submit.batch1_durable_concurrent.p50", label, LOWER, -1, get_group_p50, 0);
    snprintf(label, sizeof label, "  each answer of the %u, p99 (us)", n_sub);
    add_figure("answer_submit.batch1_durable_concurrent.p99", label, LOWER, -1, get_group_p99, 0);
    add_bulk_import(r);
    add_section("mixed replay, daily weights");
    add_figure("replay.1.ops_per_s", "1 thread (ops/s)", HIGHER, 0, get_replay, 0);
    snprintf(key, sizeof key, "replay.%u.ops_per_s", r->cfg.threads);
    snprintf(label, sizeof label, "%u threads (ops/s)", r->cfg.threads);
    add_figure(key, label, HIGHER, 0, get_replay, 1);
    snprintf(label, sizeof label, "a day of S=%g (%.2fM ops), 1 thread (s)",
             r->cfg.params.scale, day_mops);
    add_figure("replay.1.day_seconds", label, LOWER, 1, get_day, 0);
    snprintf(key, sizeof key, "replay.%u.day_seconds", r->cfg.threads);
    snprintf(label, sizeof label, "a day of S=%g (%.2fM ops), %u threads (s)",
             r->cfg.params.scale, day_mops, r->cfg.threads);
    add_figure(key, label, LOWER, 1, get_day, 1);
    sections[n_sections - 1].end = n_figures;
}

void bench_figures(const bench_run *r, const bench_figure **f, size_t *n,
                   const bench_section **s, size_t *n_s)
{
    build_figures(r);
    *f = figures;
    *n = n_figures;
    *s = sections;
    *n_s = n_sections;
}

/* quizstore's advantage over @p peer on @p f; NAN when either is missing. */
double bench_advantage(const bench_figure *f, double qs, double peer)
{
    if (isnan(qs) || isnan(peer) || qs <= 0 || peer <= 0)
        return NAN;
    return f->better == HIGHER ? qs / peer : peer / qs;
}

/* The index of quizstore among the engines, or -1. */
int bench_quizstore_index(const bench_run *r)
{
    for (unsigned i = 0; i < r->n_engines; i++)
        if (strcmp(r->engines[i].name, "quizstore") == 0)
            return (int)i;
    return -1;
}
