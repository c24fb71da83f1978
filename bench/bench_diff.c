/* bench_diff.c: the first difference between two canonical results of a read
 * (bench.h), named by row and field for the check's report. Each read's fields are
 * listed as backend.h writes them: a type letter (u unsigned, i signed, s string) and
 * a name, a head once, then a row that repeats.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* Field lists: a type letter (u, i, s) and a name; the row list repeats. */
typedef struct schema {
    const char *head;
    const char *row;
} schema;

static const schema read_schemas[READ_COUNT] = {
    [READ_QUESTION_GET] = {"uid usubject usystem utopic udifficulty utype uactive "
                           "ucorrect_option un_options icreated_at sstem sexplanation",
                           "soption"},
    [READ_PROGRESS_VIEW] = {"", "utopic uattempts ucorrect urate_bp ilast_answered_at"},
    [READ_DASHBOARD] = {"uanswered ucorrect urate_bp utime_ms ilast_day ustreak "
                        "ubest_streak", "iday uanswers ucorrect utime_ms"},
    [READ_LEADERBOARD] = {"", "urank uuser ucorrect"},
    [READ_HISTORY] = {"", "uanswer_id icreated_at utest uquestion utopic ucorrect ustatus "
                          "uscore utime_spent_ms"},
    [READ_TEST_LIST] = {"", "uid ustatus ilast_activity_at un_questions"},
};

/* The @p k-th field of @p s: its type and name (into @p name), and its row (-1 in the
 * head). */
static char field_at(const schema *s, size_t k, char *name, size_t cap, long *row)
{
    size_t head_n = 0, row_n = 0;
    for (const char *p = s->head; *p; p++)
        head_n += (p == s->head || p[-1] == ' ') && *p != ' ';
    for (const char *p = s->row; *p; p++)
        row_n += (p == s->row || p[-1] == ' ') && *p != ' ';
    const char *list = s->head;
    size_t idx = k;
    *row = -1;
    if (k >= head_n) {
        list = s->row;
        *row = (long)((k - head_n) / row_n);
        idx = (k - head_n) % row_n;
    }
    const char *p = list;
    for (; idx; idx--)
        p = strchr(p, ' ') + 1;
    size_t len = strcspn(p, " ");
    snprintf(name, cap, "%.*s", (int)(len - 1), p + 1);
    return p[0];
}

/* One field's value as text; -1 at the end of the result. */
static int field_text(const bk_result *r, size_t *at, char type, char *out, size_t cap)
{
    uint64_t v;
    if (bk_get_u64(r, at, &v))
        return -1;
    if (type == 'i') {
        snprintf(out, cap, "%lld", (long long)v);
    } else if (type == 'u') {
        snprintf(out, cap, "%llu", (unsigned long long)v);
    } else {
        if (v > r->len - *at)
            return -1;
        snprintf(out, cap, "\"%.*s%s\" (%llu bytes)", v > 60 ? 60 : (int)v,
                 (const char *)r->bytes + *at, v > 60 ? "..." : "", (unsigned long long)v);
        *at += v;
    }
    return 0;
}

void bench_print_difference(bench_read op, const bk_result *ref, const bk_result *got,
                            const char *ref_name, const char *got_name)
{
    const schema *s = &read_schemas[op];
    size_t a = 0, b = 0;
    for (size_t k = 0;; k++) {
        char name[64], va[160], vb[160];
        long row;
        char type = field_at(s, k, name, sizeof name, &row);
        size_t at_a = a, at_b = b;
        int ea = field_text(ref, &a, type, va, sizeof va);
        int eb = field_text(got, &b, type, vb, sizeof vb);
        if (ea && eb) {
            printf("  results differ only in their row counts: %u vs %u\n", ref->rows,
                   got->rows);
            return;
        }
        if (ea || eb || strcmp(va, vb) != 0 || b - at_b != a - at_a) {
            char where[96];
            if (row < 0)
                snprintf(where, sizeof where, "field %s", name);
            else
                snprintf(where, sizeof where, "row %ld field %s", row + 1, name);
            printf("  first difference at byte %zu, %s:\n    %-14s %s\n    %-14s %s\n", at_a,
                   where, ref_name, ea ? "(end of result)" : va, got_name,
                   eb ? "(end of result)" : vb);
            return;
        }
    }
}
