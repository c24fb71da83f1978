/* bench_chart.c: the latency chart, p50 and p99 of each op alone by engine, on a log
 * scale. Writes its data (DIR/latency.dat) and gnuplot script (DIR/latency.gp) and
 * runs gnuplot in DIR when it is installed, giving DIR/latency.png.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static int write_chart_data(const bench_run *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# op");
    for (unsigned i = 0; i < r->n_engines; i++)
        fprintf(f, " %s_p50", r->engines[i].name);
    for (unsigned i = 0; i < r->n_engines; i++)
        fprintf(f, " %s_p99", r->engines[i].name);
    fprintf(f, "\n");
    for (int l = 0; l < LAT_COUNT; l++) {
        fprintf(f, "\"%s\"", bench_lat_names[l]);
        for (int k = 0; k < 2; k++)
            for (unsigned i = 0; i < r->n_engines; i++) {
                const lat_stat *s = &r->engines[i].res.lat[l];
                if (s->n)
                    fprintf(f, " %.3f", k ? s->p99 : s->p50);
                else
                    fprintf(f, " NaN");
            }
        fprintf(f, "\n");
    }
    return fclose(f);
}

static int write_chart_script(const bench_run *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# latency.gp: p50 and p99 of each op alone, by engine (qs-bench)\n"
               "set terminal pngcairo size 1600,1000 font 'sans,10'\n"
               "set output 'latency.png'\n"
               "set termoption noenhanced\n"
               "set style data histograms\n"
               "set style histogram clustered gap 1\n"
               "set style fill solid 0.85 border -1\n"
               "set logscale y\n"
               "set grid ytics\n"
               "set ylabel 'microseconds (log scale)'\n"
               "set xtics rotate by -30 nomirror\n"
               "set key outside right top\n"
               "set datafile missing 'NaN'\n"
               "set multiplot layout 2,1 title 'qs-bench: S=%g D=%d, each op alone, 1 thread'\n",
            r->cfg.params.scale, r->cfg.params.days);
    for (int k = 0; k < 2; k++) {
        fprintf(f, "set title '%s'\nplot ", k ? "p99" : "p50");
        for (unsigned i = 0; i < r->n_engines; i++)
            fprintf(f, "%s'latency.dat' using %u:xtic(1) title '%s'", i ? ", " : "",
                    2 + k * r->n_engines + i, r->engines[i].name);
        fprintf(f, "\n");
    }
    fprintf(f, "unset multiplot\n");
    return fclose(f);
}

int bench_write_chart(const bench_run *r)
{
    char dat[PATH_MAX + 16], gp[PATH_MAX + 16], cmd[2 * PATH_MAX + 64];
    snprintf(dat, sizeof dat, "%s/latency.dat", r->cfg.out_dir);
    snprintf(gp, sizeof gp, "%s/latency.gp", r->cfg.out_dir);
    if (write_chart_data(r, dat) || write_chart_script(r, gp))
        return -1;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("chart: gnuplot is not installed; %s and %s are written\n", dat, gp);
        return -1;
    }
    snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot latency.gp", r->cfg.out_dir);
    if (system(cmd) != 0) {
        printf("chart: gnuplot failed on %s\n", gp);
        return -1;
    }
    return 0;
}
