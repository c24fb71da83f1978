/* bench_out.c: the results as a table on stdout and as JSON.
 *
 * Table rows are figures (bench_figures.c), columns engines, then quizstore's ratio to
 * each peer, written as an advantage: how many times faster or smaller quizstore is.
 * Above 1x quizstore is ahead, below 1x behind.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

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

static void format_ratio(double x, char *out, size_t cap)
{
    if (isnan(x))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.*fx", x < 1 ? 2 : x < 100 ? 1 : 0, x);
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
    const bench_figure *figures;
    const bench_section *sections;
    size_t n_figures, n_sections;
    bench_figures(r, &figures, &n_figures, &sections, &n_sections);
    int q = bench_quizstore_index(r);
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
            const bench_figure *f = &figures[k];
            char cell[64];
            printf("%-*s", LABEL_W, f->label);
            for (unsigned i = 0; i < r->n_engines; i++) {
                format_value(f->get(&r->engines[i].res, f->arg), f->decimals, cell, sizeof cell);
                printf("%*s", COL_W, cell);
            }
            for (unsigned i = 0; q >= 0 && i < r->n_engines; i++) {
                if ((int)i == q)
                    continue;
                format_ratio(bench_advantage(f, f->get(&r->engines[q].res, f->arg),
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
    json_num(f, "answers_per_s", bench_nonzero(s->durable_per_s), "}, \"batch50_lazy\": {");
    json_num(f, "answers", (double)s->batch50_answers, ", ");
    json_num(f, "answers_per_s", bench_nonzero(s->batch50_per_s), "},\n        ");
    fprintf(f, "\"batch1_durable_concurrent\": {");
    json_num(f, "submitters", r->cfg.submitters, ", ");
    json_num(f, "answers", (double)s->group_answers, ", ");
    json_num(f, "answers_per_s", bench_nonzero(s->group_per_s), ", ");
    fprintf(f, "\"latency_us\": ");
    json_lat(f, &s->group_lat, "}},\n");
    fprintf(f, "      \"bulk_import\": {");
    json_num(f, "answers", (double)s->import_answers, ", ");
    json_num(f, "seconds", s->import_seconds, ", ");
    json_num(f, "answers_per_s", bench_nonzero(s->import_per_s), ", ");
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
    const bench_figure *figures;
    const bench_section *sections;
    size_t n_figures, n_sections;
    bench_figures(r, &figures, &n_figures, &sections, &n_sections);
    fprintf(f, "  \"quizstore_advantage\": {");
    int first_peer = 1;
    for (unsigned i = 0; q >= 0 && i < r->n_engines; i++) {
        if ((int)i == q)
            continue;
        fprintf(f, "%s\n    \"%s\": {", first_peer ? "" : ",", r->engines[i].name);
        first_peer = 0;
        for (size_t k = 0; k < n_figures; k++) {
            const bench_figure *g = &figures[k];
            json_num(f, g->key, bench_advantage(g, g->get(&r->engines[q].res, g->arg),
                                            g->get(&r->engines[i].res, g->arg)),
                     k + 1 < n_figures ? ", " : "}");
        }
    }
    fprintf(f, "%s},\n", first_peer ? "" : "\n  ");
}

int bench_write_json(const bench_run *r, const char *path)
{
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
    json_ratios(f, r, bench_quizstore_index(r));
    fprintf(f, "  \"fsync_floor_us\": ");
    json_lat(f, &r->fsync_floor, ",\n");
    fprintf(f, "  \"phase_seconds\": {");
    json_num(f, "workload", r->gen_seconds, ", ");
    json_num(f, "csv", r->csv_seconds, ", ");
    json_num(f, "total", r->total_seconds, "}\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}
