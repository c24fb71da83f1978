/* qs-seal: what sealing time buckets buys, on the reference workload.
 *
 * One run:
 * 1. Load D days of history at scale S through the quizstore and SQLite backends
 *    (backend.h), in one pass of the generator, batches of 1000 writes. Then pick a
 *    sample of users with at least two pages of answers in 2025-12 and give each one
 *    new test of HOT_ANSWERS answers dated 2026-02, through both backends: those are
 *    the sampled users' newest rows, in a bucket that stays hot at SEAL_NOW_MS.
 * 2. quizstore: each bucket's rows and bytes (qs_bucket_list), test_answers's bytes
 *    (qs_db_stats), checked against the generated counts.
 * 3. Per sampled user two history pages of 20 rows: "hot", the first page (2026-02),
 *    and "deep", the page at the middle of the user's 2025-12 answers, reached by
 *    paging with qs_history cursors, which are kept. p50/p99 of one qs_history call
 *    in a read transaction (renew, call, reset), after a warm-up.
 * 3b. Compact the store (qs_compact) and read the buckets' bytes and the same pages
 *    again: the raw store as a load leaves it, full.
 * 4. Seal every bucket sealable at SEAL_NOW_MS (hot_periods 2: 2026-02 and 2026-03
 *    stay raw), one write transaction each, timed to its commit; then compact again
 *    for the file's size.
 * 5. The same pages again from the same cursors; each must return the rows it
 *    returned raw.
 * 6. SQLite: the bytes of its answer and interaction tables with their indexes, and
 *    the same pages (same users, same positions) through its history query; each page
 *    must hold quizstore's rows.
 * Prints the table, also written to OUT/seal.txt. Exit status: 0; 1 on bad arguments,
 * a count that does not add up or a page that differs; 2 when an engine fails.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_data.h"
#include "harness.h"
#include "seal.h"

/* ------------------------------------------------------------ arguments */

static void usage(void)
{
    fprintf(stderr,
            "usage: qs-seal [-s SEED] [-S SCALE] [-d DAYS] [--out DIR] [--iters N] [--quick]\n"
            "               [--keep]\n"
            "  -s SEED     workload seed (default 42)\n"
            "  -S SCALE    S: 10000 x S users and daily volumes (default 1; --quick 0.01)\n"
            "  -d DAYS     days of history before 2026-01-01 (default 31; --quick 3)\n"
            "  --out DIR   results directory (default qs-seal-out): DIR/seal.txt; the stores\n"
            "              go to DIR/work, removed at the end unless --keep\n"
            "  --iters N   timed history calls per page kind and engine state (default\n"
            "              10000; --quick 500)\n"
            "  --quick     the CI smoke: S=0.01, D=3\n"
            "  --keep      keep DIR/work\n");
    exit(EXIT_FAILURE);
}

static void parse_args(config *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"iters", required_argument, NULL, 'i'},
        {"quick", no_argument, NULL, 'q'},     {"keep", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    const char *out = "qs-seal-out";
    double scale = -1;
    long days = -1, iters = -1;
    uint64_t seed = 42;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "s:S:d:h", longopts, NULL)) != -1) {
        errno = 0;
        switch (opt) {
        case 's': seed = strtoull(optarg, &end, 0); break;
        case 'S': scale = strtod(optarg, &end); break;
        case 'd': days = strtol(optarg, &end, 10); break;
        case 'o': out = optarg; end = ""; break;
        case 'i': iters = strtol(optarg, &end, 10); break;
        case 'q': c->quick = 1; end = ""; break;
        case 'k': c->keep = 1; end = ""; break;
        default: usage();
        }
        if (errno || *end)
            usage();
    }
    if (optind != argc || (days >= 0 && (days < 1 || days > WL_MAX_DAYS)) ||
        (scale != -1 && scale <= 0) || iters == 0 || iters > 100000000)
        usage();
    c->params.seed = seed;
    c->params.scale = scale > 0 ? scale : c->quick ? 0.01 : 1.0;
    c->params.days = (int)(days > 0 ? days : c->quick ? 3 : 31);
    c->iters = (unsigned)(iters > 0 ? iters : c->quick ? 500 : 10000);
    if (strlen(out) >= sizeof c->out_dir)
        usage();
    snprintf(c->out_dir, sizeof c->out_dir, "%s", out);
    bench_command_line(argc, argv, c->command, sizeof c->command);
}

/* ------------------------------------------------------------ phases */

/* The bytes of an index of @p t by name; 0 when it has none of that name. */
static uint64_t index_bytes(const bk_table_space *t, const char *name)
{
    for (unsigned i = 0; i < t->n_indexes; i++)
        if (strcmp(t->indexes[i].name, name) == 0)
            return t->indexes[i].bytes;
    return 0;
}

static uint64_t all_index_bytes(const bk_table_space *t)
{
    uint64_t b = 0;
    for (unsigned i = 0; i < t->n_indexes; i++)
        b += t->indexes[i].bytes;
    return b;
}

/* The store in @p dir compacted (the handle closed and opened again). */
static qs_env *compacted(qs_env *env, const char *dir)
{
    uint64_t before, after;
    double t0 = bench_now();
    qs_env_close(env);
    QS(qs_compact(dir, NULL, &before, &after));
    bench_note("quizstore: compacted, %.1f MB to %.1f MB in %.1f s", mb(before), mb(after),
         bench_now() - t0);
    QS(qs_env_open(dir, NULL, &env));
    return env;
}

/* The bytes of state @p row from its buckets and its test_answers. */
static void state_bytes(state_row *row, const bucket_set *set, const qs_db_stat *by_test)
{
    bucket_sum a = seal_history_buckets(set, QS_TABLE_ANSWERS);
    bucket_sum x = seal_history_buckets(set, QS_TABLE_INTERACTIONS);
    row->answer_b = per_row(a.bytes, a.rows);
    row->answer_index_b = row->answer_b + per_row(by_test->bytes, by_test->entries);
    row->ix_b = per_row(x.bytes, x.rows);
}

/* State @p row of the store: its pages timed, each checked against the raw ones. */
static void measure_state(qs_env *env, state_row *row, const char *name, const sample *s,
                          size_t n_s, unsigned iters)
{
    bench_note("quizstore: measuring %s", name);
    row->name = name;
    for (page_kind k = PAGE_HOT; k <= PAGE_DEEP; k++)
        row->page[k] = seal_measure_qs(env, s, n_s, k, iters, name);
}

static void quizstore_phase(report *r, const char *dir, sample *s, size_t n_s)
{
    const config *c = r->cfg;
    qs_env *env;
    qs_txn *txn;
    QS(qs_env_open(dir, NULL, &env));

    r->before = seal_list_buckets(env);
    seal_check_bucket_rows(&r->before, r->k, "before sealing");
    r->by_test_before = seal_db_stat(env, "test_answers");
    if (r->by_test_before.entries != r->k->answers + r->k->hot_answers)
        seal_fail(1, "test_answers has %llu entries for %llu answers",
             (unsigned long long)r->by_test_before.entries,
             (unsigned long long)(r->k->answers + r->k->hot_answers));
    r->file_before = seal_file_bytes(dir, "data.mdb");

    QS(qs_txn_begin(env, QS_TXN_RDONLY, &txn));
    for (size_t i = 0; i < n_s; i++)
        seal_find_pages(txn, &s[i]);
    qs_txn_abort(txn);
    measure_state(env, &r->states[STATE_RAW], "quizstore raw", s, n_s, c->iters);

    env = compacted(env, dir);
    r->compacted = seal_list_buckets(env);
    seal_check_bucket_rows(&r->compacted, r->k, "after compacting");
    r->by_test_compacted = seal_db_stat(env, "test_answers");
    r->file_compacted = seal_file_bytes(dir, "data.mdb");
    measure_state(env, &r->states[STATE_COMPACTED], "compacted", s, n_s, c->iters);

    seal_set_hot_periods(env, HOT_PERIODS);
    seal_result *seals = calloc(r->compacted.n, sizeof *seals);
    if (!seals)
        seal_fail(2, "out of memory");
    seal_all(env, &r->compacted, seals);
    r->seals = seals;
    r->after = seal_list_buckets(env);
    seal_check_sealed(&r->compacted, &r->after, seals);
    seal_check_bucket_rows(&r->after, r->k, "after sealing");
    r->by_test_after = seal_db_stat(env, "test_answers");
    r->file_after = seal_file_bytes(dir, "data.mdb");
    measure_state(env, &r->states[STATE_SEALED], "quizstore sealed", s, n_s, c->iters);
    env = compacted(env, dir);
    r->file_after_compacted = seal_file_bytes(dir, "data.mdb");
    qs_env_close(env);

    state_bytes(&r->states[STATE_RAW], &r->before, &r->by_test_before);
    state_bytes(&r->states[STATE_COMPACTED], &r->compacted, &r->by_test_compacted);
    state_bytes(&r->states[STATE_SEALED], &r->after, &r->by_test_after);
}

static void sqlite_phase(report *r, backend *be, const sample *s, size_t n_s)
{
    if (!be->ops->table_space || !be->ops->history_page)
        seal_fail(2, "the sqlite backend lacks table_space or history_page");
    BK(be, be->ops->table_space(be, "answer", &r->sq_answer));
    BK(be, be->ops->table_space(be, "interaction", &r->sq_ix));
    if (r->sq_answer.rows != r->k->answers + r->k->hot_answers ||
        r->sq_ix.rows != r->k->interactions)
        seal_fail(1, "sqlite holds %llu answers and %llu interactions, the workload %llu and %llu",
             (unsigned long long)r->sq_answer.rows, (unsigned long long)r->sq_ix.rows,
             (unsigned long long)(r->k->answers + r->k->hot_answers),
             (unsigned long long)r->k->interactions);
    bench_note("sqlite: measuring");
    state_row *row = &r->states[STATE_SQLITE];
    const bk_table_space *a = &r->sq_answer;
    uint64_t ordered = a->table_bytes + index_bytes(a, "answer_by_user");
    row->name = "sqlite";
    row->answer_b = per_row(ordered, a->rows);
    row->answer_index_b = per_row(a->table_bytes + all_index_bytes(a), a->rows);
    row->ix_b = per_row(r->sq_ix.table_bytes + all_index_bytes(&r->sq_ix), r->sq_ix.rows);
    for (page_kind k = PAGE_HOT; k <= PAGE_DEEP; k++)
        row->page[k] = seal_measure_sqlite(be, s, n_s, k, r->cfg->iters);
}

int main(int argc, char **argv)
{
    static config c;
    static report r;
    static sample samples[SAMPLE_USERS];
    bench_harness_init("qs-seal");
    parse_args(&c, argc, argv);
    const char *work_dir = seal_make_work_dir(&c);
    r.cfg = &c;

    wl_gen *g;
    if (wl_open(&c.params, &g))
        seal_fail(1, "bad workload parameters");
    wl_counts_get(g, &r.wc);
    counts k = {0};
    k.first_day = r.wc.first_day;
    k.n_days = (size_t)(SEAL_NOW_MS / WL_DAY_MS - k.first_day);
    k.answers_by_day = calloc(k.n_days, sizeof *k.answers_by_day);
    k.ixs_by_day = calloc(k.n_days, sizeof *k.ixs_by_day);
    k.dec_answers = calloc((size_t)r.wc.users + 1, sizeof *k.dec_answers);
    if (!k.answers_by_day || !k.ixs_by_day || !k.dec_answers)
        seal_fail(2, "out of memory");
    r.k = &k;

    char dirs[N_ENGINES][PATH_MAX + 64];
    loader l = {{bk_new(&bk_quizstore_ops), bk_new(&bk_sqlite_ops)}, 0, &k};
    snprintf(dirs[QS_ENGINE], sizeof dirs[0], "%s/quizstore", work_dir);
    snprintf(dirs[SQLITE_ENGINE], sizeof dirs[0], "%s/sqlite", work_dir);
    for (int e = 0; e < N_ENGINES; e++) {
        if (!l.be[e])
            seal_fail(2, "out of memory");
        BK(l.be[e], l.be[e]->ops->open(l.be[e], dirs[e], BK_SYNC_LAZY));
    }
    bench_note("loading S=%g D=%d into quizstore and sqlite", c.params.scale, c.params.days);
    seal_load_history(&l, g);
    bench_note("loaded %llu tests, %llu answers, %llu interactions",
         (unsigned long long)k.tests, (unsigned long long)k.answers,
         (unsigned long long)k.interactions);
    r.s = samples;
    r.n_samples = seal_pick_users(&k, r.wc.users, c.params.seed, samples);
    if (r.n_samples == 0)
        seal_fail(1, "no user has %d answers in 2025-12: use a larger -S or -d", DEEP_MIN_ROWS);
    seal_sample_spread(&r);
    seal_add_hot_answers(&l, g, samples, r.n_samples);
    bk_free(l.be[QS_ENGINE]);   /* the API opens the store itself from here */
    l.be[QS_ENGINE] = NULL;
    wl_close(g);

    quizstore_phase(&r, dirs[QS_ENGINE], samples, r.n_samples);
    sqlite_phase(&r, l.be[SQLITE_ENGINE], samples, r.n_samples);
    bk_free(l.be[SQLITE_ENGINE]);

    r.seconds = bench_elapsed();
    seal_emit_report(&r);
    free(k.answers_by_day);
    free(k.ixs_by_day);
    free(k.dec_answers);
    seal_remove_work();
    return 0;
}
