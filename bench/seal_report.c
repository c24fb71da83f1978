/* seal_report.c: qs-seal's table (seal.h), printed and written to OUT/seal.txt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

/* ------------------------------------------------------------ the report */

static void print_states(FILE *f, const report *r)
{
    fprintf(f, "%-18s %9s %9s %14s %9s %9s %9s %9s\n", "engine / state", "B/answer",
            "+by-test", "B/interaction", "hot p50", "hot p99", "deep p50", "deep p99");
    for (int i = 0; i < N_STATES; i++) {
        const state_row *s = &r->states[i];
        fprintf(f, "%-18s %9.1f %9.1f %14.1f %9.2f %9.2f %9.2f %9.2f\n", s->name, s->answer_b,
                s->answer_index_b, s->ix_b, s->page[PAGE_HOT].p50, s->page[PAGE_HOT].p99,
                s->page[PAGE_DEEP].p50, s->page[PAGE_DEEP].p99);
    }
    fprintf(f,
            "compacted: the raw store after qs_compact (sealed: sealing that one).\n"
            "B/answer: quizstore: bytes of the history's answer buckets per answer; sqlite:\n"
            "  table answer + index answer_by_user (its rows in history order) per answer.\n"
            "+by-test: plus the (test, question) index: test_answers; sqlite_autoindex_answer_1.\n"
            "B/interaction: the history's interaction buckets; sqlite: table interaction.\n"
            "hot/deep: one history page of %d rows in a read transaction, microseconds,\n"
            "  %u timed calls each over the %zu sampled users.\n",
            PAGE_ROWS, r->cfg->iters, r->n_samples);
}

static void print_seals(FILE *f, const report *r)
{
    fprintf(f, "\n%-16s %11s %9s %7s %10s %7s %7s %8s\n", "bucket", "rows", "raw MB",
            "B/row", "sealed MB", "B/row", "ratio", "seal s");
    double total = 0;
    for (size_t i = 0; i < r->compacted.n; i++) {
        const qs_bucket_info *b = &r->compacted.b[i];
        const seal_result *s = &r->seals[i];
        fprintf(f, "%-16s %11llu %9.2f %7.1f ", b->name, (unsigned long long)b->rows,
                mb(b->bytes), per_row(b->bytes, b->rows));
        if (s->hot) {
            fprintf(f, "  hot at 2026-03-01: stays raw\n");
            continue;
        }
        total += s->seconds;
        fprintf(f, "%10.2f %7.1f %6.1fx %8.2f\n", mb(s->info.bytes),
                per_row(s->info.bytes, s->info.rows),
                s->info.bytes ? (double)s->info.raw_bytes / (double)s->info.bytes : 0,
                s->seconds);
    }
    fprintf(f,
            "Sealed at 2026-03-01 with hot_periods %d: each bucket in its own write\n"
            "transaction, timed to its durable commit; %.1f s in all. Bytes: qs_bucket_list.\n"
            "test_answers: %.1f MB for %llu entries (%.1f B each) as loaded, %.1f MB (%.1f B)\n"
            "compacted, %.1f MB after sealing.\n"
            "quizstore data.mdb: %.1f MB as loaded, %.1f MB compacted, %.1f MB after sealing\n"
            "(a seal writes the sealed bucket beside the raw one, whose pages it then frees\n"
            "for later writes), %.1f MB compacted again.\n",
            HOT_PERIODS, total, mb(r->by_test_before.bytes),
            (unsigned long long)r->by_test_before.entries,
            per_row(r->by_test_before.bytes, r->by_test_before.entries),
            mb(r->by_test_compacted.bytes),
            per_row(r->by_test_compacted.bytes, r->by_test_compacted.entries),
            mb(r->by_test_after.bytes), mb(r->file_before), mb(r->file_compacted),
            mb(r->file_after), mb(r->file_after_compacted));
}

static void print_table_space(FILE *f, const char *table, const bk_table_space *t)
{
    fprintf(f, "  %s: %llu rows, table %.1f MB", table, (unsigned long long)t->rows,
            mb(t->table_bytes));
    for (unsigned i = 0; i < t->n_indexes; i++)
        fprintf(f, ", %s %.1f MB", t->indexes[i].name, mb(t->indexes[i].bytes));
    fprintf(f, "\n");
}

static void print_sqlite_space(FILE *f, const report *r)
{
    fprintf(f, "sqlite, pages by %s:\n", r->sq_answer.method);
    print_table_space(f, "answer", &r->sq_answer);
    print_table_space(f, "interaction", &r->sq_ix);
}

static void print_report(FILE *f, const report *r)
{
    const wl_params *p = &r->cfg->params;
    fprintf(f, "command: %s\n", r->cfg->command);
    fprintf(f,
            "workload: seed %llu, S=%g (%u users), D=%d days to 2026-01-01: %llu tests,\n"
            "  %llu answers, %llu interactions; plus %llu answers dated 2026-02 (below)\n",
            (unsigned long long)p->seed, p->scale, r->wc.users, p->days,
            (unsigned long long)r->k->tests, (unsigned long long)r->k->answers,
            (unsigned long long)r->k->interactions, (unsigned long long)r->k->hot_answers);
    fprintf(f,
            "sample: %zu users, uniform among those with >= %d answers in 2025-12 (they have\n"
            "  %u .. %u, median %u); each got one test of %d answers dated 2026-02-02, its\n"
            "  newest rows: the hot page reads them (bucket 2026-02, hot at 2026-03-01); the\n"
            "  deep page starts at the middle of the user's 2025-12 answers (cursor kept)\n\n",
            r->n_samples, DEEP_MIN_ROWS, r->dec_min, r->dec_max, r->dec_median, HOT_ANSWERS);
    print_states(f, r);
    print_seals(f, r);
    print_sqlite_space(f, r);
    fprintf(f, "Every page returned the same rows raw, sealed and from SQLite. %.0f s in all.\n",
            r->seconds);
}

/* Print the report and write it to OUT/seal.txt. */
void seal_emit_report(const report *r)
{
    char path[PATH_MAX + 16];
    print_report(stdout, r);
    snprintf(path, sizeof path, "%s/seal.txt", r->cfg->out_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        seal_fail(2, "%s: %s", path, strerror(errno));
    print_report(f, r);
    if (fclose(f) != 0)
        seal_fail(2, "%s: %s", path, strerror(errno));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void seal_sample_spread(report *r)
{
    uint32_t v[SAMPLE_USERS];
    for (size_t i = 0; i < r->n_samples; i++)
        v[i] = r->s[i].dec_answers;
    qsort(v, r->n_samples, sizeof v[0], cmp_u32);
    r->dec_min = v[0];
    r->dec_max = v[r->n_samples - 1];
    r->dec_median = v[r->n_samples / 2];
}
