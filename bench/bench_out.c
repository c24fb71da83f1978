/* bench_out.c: the results as a table on stdout and as JSON.
 *
 * Table rows are figures, columns engines, then quizstore's ratio to each peer, written
 * as an advantage: how many times faster (peer latency / quizstore latency, quizstore
 * rate / peer rate) or smaller (peer size / quizstore size) quizstore is. Above 1x
 * quizstore is ahead, below 1x behind.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* ------------------------------------------------------------ the figures */

typedef enum better { LOWER, HIGHER } better;

typedef struct figure {
    char key[64];              /* in bench.json */
    char label[64];
    better better;
    int decimals;              /* -1: by magnitude */
    double (*get)(const engine_result *res, int arg);
    int arg;
} figure;

static double get_lat_p50(const engine_result *s, int l) { return s->lat[l].n ? s->lat[l].p50 : NAN; }
static double get_lat_p99(const engine_result *s, int l) { return s->lat[l].n ? s->lat[l].p99 : NAN; }
static double get_lat_p999(const engine_result *s, int l) { return s->lat[l].n ? s->lat[l].p999 : NAN; }

static double nonzero(double v)
{
    return v > 0 ? v : NAN;
}

static double get_load_rate(const engine_result *s, int a) { return nonzero(s->load_answers_per_s); }
static double get_load_ix_rate(const engine_result *s, int a) { return nonzero(s->load_ix_per_s); }
static double get_load_size(const engine_result *s, int a) { return nonzero(s->size_after_load / 1e6); }
static double get_durable(const engine_result *s, int a) { return nonzero(s->durable_per_s); }
static double get_batch50(const engine_result *s, int a) { return nonzero(s->batch50_per_s); }
static double get_group(const engine_result *s, int a) { return nonzero(s->group_per_s); }
static double get_group_p50(const engine_result *s, int a) { return s->group_lat.n ? s->group_lat.p50 : NAN; }
static double get_group_p99(const engine_result *s, int a) { return s->group_lat.n ? s->group_lat.p99 : NAN; }
static double get_import(const engine_result *s, int a) { return nonzero(s->import_per_s); }
static double get_import_size(const engine_result *s, int a) { return nonzero(s->import_size / 1e6); }
static double get_import_seconds(const engine_result *s, int a) { return nonzero(s->import_seconds); }
static double get_replay(const engine_result *s, int i) { return nonzero(s->replay[i].ops_per_s); }
static double get_day(const engine_result *s, int i) { return nonzero(s->replay[i].day_seconds); }
/* test_create by the user's record: arg = 10 * pattern + only, p50 below 100, p99 above */
static double get_draw_only(const engine_result *s, int a)
{
    const lat_stat *l = &s->draw_only[(a % 100) / 10][a % 10];
    return l->n ? (a >= 100 ? l->p99 : l->p50) : NAN;
}

#define MAX_FIGURES 96

typedef struct section {
    const char *title;
    size_t first, end;          /* figures [first, end) */
} section;

static figure figures[MAX_FIGURES];
static size_t n_figures;
static section sections[8];
static size_t n_sections;

static void add_section(const char *title)
{
    if (n_sections)
        sections[n_sections - 1].end = n_figures;
    sections[n_sections++] = (section){title, n_figures, n_figures};
}

static void add_figure(const char *key, const char *label, better b, int decimals,
                       double (*get)(const engine_result *, int), int arg)
{
    figure *f = &figures[n_figures++];
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

/* ------------------------------------------------------------ the table */

static void format_value(double v, int decimals, char *out, size_t cap)
{
    if (isnan(v))
        snprintf(out, cap, "-");
    else if (decimals >= 0)
        snprintf(out, cap, "%.*f", decimals, v);
    else
        snprintf(out, cap, "%.*f", v < 10 ? 2 : v < 1000 ? 1 : 0, v);
}

/* quizstore's advantage over @p peer on @p f; NAN when either is missing. */
static double advantage(const figure *f, double qs, double peer)
{
    if (isnan(qs) || isnan(peer) || qs <= 0 || peer <= 0)
        return NAN;
    return f->better == HIGHER ? qs / peer : peer / qs;
}

static void format_ratio(double x, char *out, size_t cap)
{
    if (isnan(x))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.*fx", x < 1 ? 2 : x < 100 ? 1 : 0, x);
}

/* The index of quizstore among the engines, or -1. */
static int quizstore_index(const bench_run *r)
{
    for (unsigned i = 0; i < r->n_engines; i++)
        if (strcmp(r->engines[i].name, "quizstore") == 0)
            return (int)i;
    return -1;
}

void bench_print_header(const bench_run *r)
{
    const bench_data *d = &r->data;
    printf("qs-bench: quizstore and its peers on the reference workload (WORKLOAD.md)\n");
    printf("command:  %s\n", r->command);
    printf("machine:  %ld cores, %s, %.1f GB RAM, %s\n", r->nproc, r->cpu, r->ram_bytes / 1e9,
           r->kernel);
    printf("workload: seed %llu, S=%g (%u users), D=%d: %zu tests, %zu answers, %zu "
           "interactions; next day %zu tests, %zu answers, %zu interactions\n",
           (unsigned long long)d->params.seed, d->params.scale, d->counts.users, d->params.days,
           d->history.n_tests, d->history.n_answers, d->history.n_ixs, d->next_day.n_tests,
           d->next_day.n_answers, d->next_day.n_ixs);
    printf("engines: ");
    for (unsigned i = 0; i < r->n_engines; i++)
        printf(" %s", r->engines[i].name);
    printf("\n\n");
    fflush(stdout);
}

/* The disk's floor and each engine's single durable answer against it. */
static void print_floor(const bench_run *r)
{
    const lat_stat *f = &r->fsync_floor;
    if (!f->n)
        return;
    printf("fdatasync floor (one 4 KiB append + fdatasync in the work directory, %llu calls): "
           "p50 %.0f us, p99 %.0f us\n", (unsigned long long)f->n, f->p50, f->p99);
    for (unsigned i = 0; i < r->n_engines; i++) {
        const lat_stat *d = &r->engines[i].res.lat[LAT_SUBMIT_DURABLE];
        if (d->n)
            printf("%s: answer_submit b1 durable p50 is %.1fx the floor's\n",
                   r->engines[i].name, d->p50 / f->p50);
    }
}

#define LABEL_W 44
#define COL_W 13

void bench_print_table(const bench_run *r)
{
    build_figures(r);
    int q = quizstore_index(r);
    printf("\n%-*s", LABEL_W, "figure");
    for (unsigned i = 0; i < r->n_engines; i++)
        printf("%*s", COL_W, r->engines[i].name);
    for (unsigned i = 0; q >= 0 && i < r->n_engines; i++)
        if ((int)i != q) {
            char head[64];
            snprintf(head, sizeof head, "qs/%s", r->engines[i].name);
            printf("%*s", COL_W + 3, head);
        }
    printf("\n");
    for (size_t s = 0; s < n_sections; s++) {
        printf("-- %s\n", sections[s].title);
        for (size_t k = sections[s].first; k < sections[s].end; k++) {
            const figure *f = &figures[k];
            char cell[64];
            printf("%-*s", LABEL_W, f->label);
            for (unsigned i = 0; i < r->n_engines; i++) {
                format_value(f->get(&r->engines[i].res, f->arg), f->decimals, cell, sizeof cell);
                printf("%*s", COL_W, cell);
            }
            for (unsigned i = 0; q >= 0 && i < r->n_engines; i++) {
                if ((int)i == q)
                    continue;
                format_ratio(advantage(f, f->get(&r->engines[q].res, f->arg),
                                       f->get(&r->engines[i].res, f->arg)), cell, sizeof cell);
                printf("%*s", COL_W + 3, cell);
            }
            printf("\n");
        }
    }
    if (q >= 0 && r->n_engines > 1)
        printf("(qs/peer: how many times faster or smaller quizstore is; below 1x it is "
               "behind)\n");
    for (unsigned i = 0; i < r->n_engines; i++) {
        const engine_result *res = &r->engines[i].res;
        for (int k = 0; k < 2; k++)
            if (res->replay[k].threads)
                printf("%s: a day of S=%g traffic (%.2fM ops) in %.*f seconds with %u "
                       "thread(s) (%s; run ended by %s)\n", r->engines[i].name,
                       r->cfg.params.scale, 1.46 * r->cfg.params.scale,
                       res->replay[k].day_seconds < 10 ? 1 : 0, res->replay[k].day_seconds,
                       res->replay[k].threads, res->replay[k].writers, res->replay[k].ended);
    }
    print_floor(r);
    printf("phases: workload %.1f s, CSV files %.1f s, total %.1f s\n", r->gen_seconds,
           r->csv_seconds, r->total_seconds);
}

/* ------------------------------------------------------------ JSON */

static void json_num(FILE *f, const char *key, double v, const char *sep)
{
    if (isnan(v) || isinf(v))
        fprintf(f, "\"%s\": null%s", key, sep);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(f, "\"%s\": %.0f%s", key, v, sep);
    else
        fprintf(f, "\"%s\": %.6g%s", key, v, sep);
}

static void json_str(FILE *f, const char *key, const char *s, const char *sep)
{
    fprintf(f, "\"%s\": \"", key);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fprintf(f, "\"%s", sep);
}

/* {"n", "p50", "p99", "p999", "mean", "max"} of @p t, in microseconds. */
static void json_lat(FILE *f, const lat_stat *t, const char *sep)
{
    fputc('{', f);
    json_num(f, "n", (double)t->n, ", ");
    json_num(f, "p50", t->n ? t->p50 : NAN, ", ");
    json_num(f, "p99", t->n ? t->p99 : NAN, ", ");
    json_num(f, "p999", t->n ? t->p999 : NAN, ", ");
    json_num(f, "mean", t->n ? t->mean : NAN, ", ");
    json_num(f, "max", t->n ? t->max : NAN, "}");
    fputs(sep, f);
}

static void json_engine(FILE *f, const bench_run *r, const bench_engine *e)
{
    const engine_result *s = &e->res;
    fprintf(f, "    \"%s\": {\n      \"load\": {", e->name);
    json_num(f, "tests", (double)s->load_tests, ", ");
    json_num(f, "answers", (double)s->load_answers, ", ");
    json_num(f, "interactions", (double)s->load_ixs, ", ");
    json_num(f, "bank_seconds", s->load_bank_seconds, ", ");
    json_num(f, "answers_seconds", s->load_seconds, ", ");
    json_num(f, "interactions_seconds", s->load_ix_seconds, ", ");
    json_num(f, "answers_per_s", s->load_answers_per_s, ", ");
    json_num(f, "interactions_per_s", s->load_ix_per_s, ", ");
    json_num(f, "size_bytes", (double)s->size_after_load, "},\n");
    fprintf(f, "      \"latency_us\": {\n");
    for (int l = 0; l < LAT_COUNT; l++) {
        fprintf(f, "        \"%s\": ", bench_lat_keys[l]);
        json_lat(f, &s->lat[l], l + 1 < LAT_COUNT ? ",\n" : "\n");
    }
    fprintf(f, "      },\n      \"answer_submit\": {\"batch1_durable\": {");
    json_num(f, "answers", (double)s->durable_answers, ", ");
    json_num(f, "answers_per_s", nonzero(s->durable_per_s), "}, \"batch50_lazy\": {");
    json_num(f, "answers", (double)s->batch50_answers, ", ");
    json_num(f, "answers_per_s", nonzero(s->batch50_per_s), "},\n        ");
    fprintf(f, "\"batch1_durable_concurrent\": {");
    json_num(f, "submitters", r->cfg.submitters, ", ");
    json_num(f, "answers", (double)s->group_answers, ", ");
    json_num(f, "answers_per_s", nonzero(s->group_per_s), ", ");
    fprintf(f, "\"latency_us\": ");
    json_lat(f, &s->group_lat, "}},\n");
    fprintf(f, "      \"bulk_import\": {");
    json_num(f, "answers", (double)s->import_answers, ", ");
    json_num(f, "seconds", s->import_seconds, ", ");
    json_num(f, "answers_per_s", nonzero(s->import_per_s), ", ");
    json_num(f, "size_bytes", (double)s->import_size, "},\n");
    fprintf(f, "      \"replay\": [");
    for (int k = 0; k < 2; k++) {
        const replay_stat *p = &s->replay[k];
        if (!p->threads)
            continue;
        fprintf(f, "%s{", k ? ", " : "");
        json_num(f, "threads", p->threads, ", ");
        json_num(f, "ops", (double)p->ops, ", ");
        json_num(f, "answers", (double)p->answers, ", ");
        json_num(f, "seconds", p->seconds, ", ");
        json_num(f, "ops_per_s", p->ops_per_s, ", ");
        json_num(f, "day_seconds", p->day_seconds, ", ");
        json_str(f, "writers", p->writers, ", ");
        json_str(f, "ended_by", p->ended, "}");
    }
    fprintf(f, "],\n      \"phase_seconds\": {");
    json_num(f, "load_and_check", s->phase_seconds[0], ", ");
    json_num(f, "ops_alone_and_submits", s->phase_seconds[1], ", ");
    json_num(f, "replay", s->phase_seconds[2], ", ");
    json_num(f, "bulk_import", s->phase_seconds[3], "}\n    }");
}

static void json_ratios(FILE *f, const bench_run *r, int q)
{
    fprintf(f, "  \"quizstore_advantage\": {");
    int first_peer = 1;
    for (unsigned i = 0; q >= 0 && i < r->n_engines; i++) {
        if ((int)i == q)
            continue;
        fprintf(f, "%s\n    \"%s\": {", first_peer ? "" : ",", r->engines[i].name);
        first_peer = 0;
        for (size_t k = 0; k < n_figures; k++) {
            const figure *g = &figures[k];
            json_num(f, g->key, advantage(g, g->get(&r->engines[q].res, g->arg),
                                            g->get(&r->engines[i].res, g->arg)),
                     k + 1 < n_figures ? ", " : "}");
        }
    }
    fprintf(f, "%s},\n", first_peer ? "" : "\n  ");
}

int bench_write_json(const bench_run *r, const char *path)
{
    build_figures(r);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const bench_data *d = &r->data;
    fprintf(f, "{\n  ");
    json_str(f, "command", r->command, ",\n  \"machine\": {");
    json_num(f, "nproc", (double)r->nproc, ", ");
    json_str(f, "cpu", r->cpu, ", ");
    json_num(f, "ram_bytes", (double)r->ram_bytes, ", ");
    json_str(f, "kernel", r->kernel, "},\n  \"workload\": {");
    json_num(f, "seed", (double)d->params.seed, ", ");
    json_num(f, "scale", d->params.scale, ", ");
    json_num(f, "days", d->params.days, ", ");
    json_num(f, "users", d->counts.users, ", ");
    json_num(f, "tests", (double)d->history.n_tests, ", ");
    json_num(f, "answers", (double)d->history.n_answers, ", ");
    json_num(f, "interactions", (double)d->history.n_ixs, ", ");
    json_num(f, "next_day_tests", (double)d->next_day.n_tests, ", ");
    json_num(f, "next_day_answers", (double)d->next_day.n_answers, ", ");
    json_num(f, "next_day_interactions", (double)d->next_day.n_ixs, "},\n  \"settings\": {");
    json_num(f, "iters", r->cfg.iters, ", ");
    json_num(f, "op_seconds", r->cfg.op_seconds, ", ");
    json_num(f, "check_samples", r->cfg.check_samples, ", ");
    json_num(f, "durable_answers", (double)r->cfg.durable_answers, ", ");
    json_num(f, "batch50_answers", (double)r->cfg.batch50_answers, ", ");
    json_num(f, "group_answers", (double)r->cfg.group_answers, ", ");
    json_num(f, "submitters", r->cfg.submitters, ", ");
    json_num(f, "submit_seconds", r->cfg.submit_seconds, ", ");
    json_num(f, "replay_ops", (double)r->cfg.replay_ops, ", ");
    json_num(f, "replay_seconds", r->cfg.replay_seconds, ", ");
    json_num(f, "threads", r->cfg.threads, ", ");
    json_num(f, "quick", r->cfg.quick, ", ");
    json_num(f, "import_only", r->cfg.import_only, "},\n  \"check\": {");
    json_num(f, "cases", (double)r->check_cases, ", ");
    fprintf(f, "\"agree\": true},\n  \"engines\": {\n");
    for (unsigned i = 0; i < r->n_engines; i++) {
        json_engine(f, r, &r->engines[i]);
        fprintf(f, i + 1 < r->n_engines ? ",\n" : "\n");
    }
    fprintf(f, "  },\n");
    json_ratios(f, r, quizstore_index(r));
    fprintf(f, "  \"fsync_floor_us\": ");
    json_lat(f, &r->fsync_floor, ",\n");
    fprintf(f, "  \"phase_seconds\": {");
    json_num(f, "workload", r->gen_seconds, ", ");
    json_num(f, "csv", r->csv_seconds, ", ");
    json_num(f, "total", r->total_seconds, "}\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}
