/* backend_qs.c: quizstore under the bench, through its public API only.
 *
 * One qs_env per store (an LMDB rule: one per process); clones share it and each
 * holds its own read transaction, reset between operations and renewed for the
 * next. Writes go through the batch transaction begin() opens; a write outside a
 * batch commits on its own. Question text stays raw, the store's default: the
 * bank dictionary (qs_bank_compress) makes the bank about 10x smaller but a question
 * read about twice as slow, and question_get is the most frequent operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend_qs.h"

/* ------------------------------------------------------------------ lifecycle */

static qs_period store_period = QS_PERIOD_MONTH;

int bk_quizstore_period(const char *period)
{
    static const char *const words[] = {[QS_PERIOD_MONTH] = "month", [QS_PERIOD_WEEK] = "week",
                                        [QS_PERIOD_DAY] = "day"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(period, words[i]) == 0) {
            store_period = (qs_period)i;
            return 0;
        }
    return -1;
}

static int qsb_open(backend *be, const char *dir, bk_sync sync)
{
    qsb_impl *q = calloc(1, sizeof *q);
    if (!q)
        return bk_fail(be, "out of memory");
    be->impl = q;
    q->owns_env = 1;
    snprintf(q->dir, sizeof q->dir, "%s", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return bk_fail(be, "mkdir %s: %s", dir, strerror(errno));
    qs_options o = {.size = sizeof o};
    qs_options_init(&o);
    o.durability = sync == BK_SYNC_DURABLE ? QS_SYNC_DURABLE : QS_SYNC_PERIODIC;
    o.write_map = sync == BK_SYNC_LAZY;   /* the bench never uses savepoints */
    o.bucket_period = store_period;
    int rc = qs_env_open(dir, &o, &q->env);
    return rc ? qsb_failed(be, "open", rc) : 0;
}

static void qsb_close(backend *be)
{
    qsb_impl *q = qsb_of(be);
    if (!q)
        return;
    qs_txn_abort(q->batch);
    qs_txn_abort(q->read);
    if (q->owns_env)
        qs_env_close(q->env);
    free(q);
    be->impl = NULL;
}

static backend *qsb_clone(backend *be)
{
    backend *c = bk_new(be->ops);
    qsb_impl *q = c ? calloc(1, sizeof *q) : NULL;
    if (!q) {
        free(c);
        return NULL;
    }
    *q = (qsb_impl){qsb_of(be)->env, 0, NULL, NULL, ""};
    snprintf(q->dir, sizeof q->dir, "%s", qsb_of(be)->dir);
    c->impl = q;
    return c;
}

/* ------------------------------------------------------------------ writes */

static int begin_with(backend *be, unsigned flags)
{
    int rc = qs_txn_begin(qsb_of(be)->env, flags, &qsb_of(be)->batch);
    return rc ? qsb_failed(be, "begin", rc) : 0;
}

static int qsb_begin(backend *be)
{
    return begin_with(be, 0);
}

static int qsb_begin_load(backend *be)
{
    return begin_with(be, QS_TXN_BULK);
}

static int qsb_commit(backend *be)
{
    qs_txn *t = qsb_of(be)->batch;
    qsb_of(be)->batch = NULL;
    int rc = qs_txn_commit(t);
    return rc ? qsb_failed(be, "commit", rc) : 0;
}

/* Run one write in the batch, or in a transaction of its own outside one. A
 * duplicate (QS_EXISTS) is not an error for the bench. */
typedef int (*write_fn)(qs_txn *txn, const void *arg);

static int in_write(backend *be, const char *what, write_fn fn, const void *arg)
{
    qsb_impl *q = qsb_of(be);
    int own = q->batch == NULL;
    if (own && qsb_begin(be))
        return -1;
    int rc = fn(q->batch, arg);
    if (rc && rc != QS_EXISTS) {
        qsb_failed(be, what, rc);
        if (own) {
            qs_txn_abort(q->batch);
            q->batch = NULL;
        }
        return -1;
    }
    return own ? qsb_commit(be) : 0;
}

static void put_taxa(qs_txn *txn, qs_kind kind, uint32_t n, void (*get)(uint32_t, wl_taxon *),
                     int *rc)
{
    for (uint32_t i = 1; i <= n && !*rc; i++) {
        wl_taxon w;
        qs_taxon t = {0};
        get(i, &w);
        t.id = w.id;
        t.parent = w.parent;
        snprintf(t.name, sizeof t.name, "%s", w.name);
        *rc = qs_taxon_put(txn, kind, &t, NULL);
    }
}

static int put_question(qs_txn *txn, const wl_gen *g, uint32_t id)
{
    static _Thread_local wl_text_buf buf;
    wl_question w;
    qs_question q = {.size = sizeof q};
    qs_text options[WL_MAX_OPTIONS];
    wl_question_get(g, id, &w, &buf);
    q.id = w.id;
    q.subject = w.subject;
    q.system = w.system;
    q.topic = w.topic;
    q.difficulty = w.difficulty;
    q.type = w.type;
    q.active = w.active;
    q.correct_option = w.correct_option;
    q.n_options = w.n_options;
    q.created_at = w.created_at;
    q.stem = (qs_text){w.stem.ptr, w.stem.len};
    q.explanation = (qs_text){w.explanation.ptr, w.explanation.len};
    for (unsigned o = 0; o < w.n_options; o++)
        options[o] = (qs_text){w.options[o].ptr, w.options[o].len};
    q.options = options;
    return qs_question_put(txn, &q, NULL);
}

static int qsb_load_bank(backend *be, const wl_gen *g)
{
    wl_counts c;
    qs_txn *txn;
    wl_counts_get(g, &c);
    int rc = qs_txn_begin(qsb_of(be)->env, 0, &txn);
    if (rc)
        return qsb_failed(be, "begin", rc);
    put_taxa(txn, QS_SUBJECT, WL_SUBJECTS, wl_subject_get, &rc);
    put_taxa(txn, QS_SYSTEM, WL_SYSTEMS, wl_system_get, &rc);
    put_taxa(txn, QS_TOPIC, WL_TOPICS, wl_topic_get, &rc);
    for (uint32_t i = 1; i <= WL_QUESTIONS && !rc; i++)
        rc = put_question(txn, g, i);
    for (uint32_t i = 1; i <= c.users && !rc; i++) {
        wl_user w;
        wl_user_get(g, i, &w);
        qs_user u = {.id = w.id, .created_at = w.created_at};
        rc = qs_user_put(txn, &u, NULL);
    }
    if (rc) {
        qs_txn_abort(txn);
        return qsb_failed(be, "load bank", rc);
    }
    rc = qs_txn_commit(txn);
    return rc ? qsb_failed(be, "commit bank", rc) : 0;
}

static int write_test(qs_txn *txn, const void *arg)
{
    const wl_test *w = arg;
    qs_test t = {.size = sizeof t};
    t.id = w->id;
    t.user = w->user;
    t.status = w->status;
    t.mode = w->mode;
    t.n_questions = w->n_questions;
    t.created_at = w->created_at;
    t.last_activity_at = w->created_at;   /* answers move it */
    t.completed_at = w->completed_at;
    t.questions = w->questions;
    return qs_test_put(txn, &t, NULL);
}

static int qsb_put_test(backend *be, const wl_test *t)
{
    return in_write(be, "put test", write_test, t);
}

static int write_answer(qs_txn *txn, const void *arg)
{
    const wl_answer *w = arg;
    qs_answer a = {0};
    a.test = w->test;
    a.question = w->question;
    a.user = w->user;
    a.correct = (int8_t)w->correct;
    a.chosen = w->chosen;
    a.status = w->status;
    a.score = w->score;
    a.time_spent_ms = w->time_spent_ms;
    a.created_at = w->created_at;
    return qs_answer_submit(txn, &a, NULL);
}

static int qsb_answer(backend *be, const wl_answer *a)
{
    return in_write(be, "answer", write_answer, a);
}

static qs_interaction interaction_of(const wl_interaction *w)
{
    return (qs_interaction){w->user, w->action, w->created_at, w->payload, w->payload_len};
}

static int write_interaction(qs_txn *txn, const void *arg)
{
    qs_interaction ix = interaction_of(arg);
    return qs_interaction_log(txn, &ix, NULL);
}

static int qsb_interaction(backend *be, const wl_interaction *ix)
{
    return in_write(be, "interaction", write_interaction, ix);
}

#define IXN_MANY_MAX 64   /* rows of one qs_interaction_log_many() call here */

/* The rows of a batch as qs_interaction_log_many() takes them, IXN_MANY_MAX at most. */
typedef struct ixn_many {
    const wl_interaction *rows;
    size_t n;
} ixn_many;

static int write_interactions(qs_txn *txn, const void *arg)
{
    const ixn_many *m = arg;
    qs_interaction ix[IXN_MANY_MAX];
    int rcs[IXN_MANY_MAX];
    for (size_t i = 0; i < m->n; i++)
        ix[i] = interaction_of(&m->rows[i]);
    int rc = qs_interaction_log_many(txn, ix, m->n, rcs, NULL);
    for (size_t i = 0; i < m->n && !rc; i++)
        rc = rcs[i] == QS_EXISTS ? 0 : rcs[i];
    return rc;
}

static int qsb_interaction_many(backend *be, const wl_interaction *ix, size_t n)
{
    for (size_t i = 0; i < n; i += IXN_MANY_MAX) {
        ixn_many m = {ix + i, n - i < IXN_MANY_MAX ? n - i : IXN_MANY_MAX};
        if (in_write(be, "interactions", write_interactions, &m))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ test_create */

typedef struct draw_call {
    qs_draw draw;
    qs_test *test;
    uint32_t *list;   /* the test's list, copied out before the commit ends it */
} draw_call;

static int write_draw(qs_txn *txn, const void *arg)
{
    const draw_call *c = arg;
    int rc = qs_test_create(txn, &c->draw, c->test);
    if (rc == 0) {
        memcpy(c->list, c->test->questions, c->test->n_questions * sizeof *c->list);
        c->test->questions = c->list;
    }
    return rc;
}

static int qsb_test_create_op(backend *be, const bk_draw_args *d, bk_result *out)
{
    static _Thread_local qs_test test;
    static _Thread_local uint32_t list[QS_TEST_MAX_QUESTIONS];
    draw_call c = {{.size = sizeof c.draw}, &test, list};
    c.draw.id = d->test_id;
    c.draw.user = d->user;
    c.draw.mode = QS_MODE_TUTOR;
    c.draw.only = (uint8_t)d->only;
    c.draw.count = d->count;
    c.draw.seed = d->seed;
    c.draw.created_at = d->created_at;
    switch (d->pattern) {
    case BK_DRAW_FILTER:
        c.draw.pattern = QS_DRAW_FILTER;
        c.draw.system = d->system;
        c.draw.topic = d->topic;
        c.draw.difficulty = d->difficulty;
        break;
    case BK_DRAW_ADAPTIVE:
        c.draw.pattern = QS_DRAW_ADAPTIVE;
        c.draw.system = d->system;
        c.draw.rate_min_bp = 4000;
        c.draw.rate_max_bp = 7000;
        break;
    default:
        c.draw.pattern = QS_DRAW_WEAK;
        break;
    }
    if (in_write(be, "test_create", write_draw, &c))
        return -1;
    for (unsigned i = 0; i < test.n_questions; i++)
        bk_put_u64(out, test.questions[i]);
    out->rows = test.n_questions;
    return 0;
}

/* ------------------------------------------------------------------ size, bulk */

static int qsb_size(backend *be, uint64_t *bytes)
{
    char path[1100];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", qsb_of(be)->dir);
    if (stat(path, &st) != 0)
        return bk_fail(be, "stat %s: %s", path, strerror(errno));
    *bytes = (uint64_t)st.st_blocks * 512;   /* the file is sparse: count what is used */
    return 0;
}

/* Run the quizstore CLI on the store with @p args (NULL-terminated, at most 8), its
 * standard output dropped: 0 when it exits 0. */
static int run_cli(backend *be, const char *cli, const char *const *args)
{
    pid_t pid = fork();
    if (pid < 0)
        return bk_fail(be, "fork: %s", strerror(errno));
    if (pid == 0) {
        const char *argv[12] = {cli, "-d", qsb_of(be)->dir, "--periodic"};
        for (int n = 0; n < 8 && args[n]; n++)
            argv[4 + n] = args[n];
        int null = open("/dev/null", O_WRONLY);   /* its report; errors go to stderr */
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execv(cli, (char *const *)argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return bk_fail(be, "quizstore %s %s failed (status %d)", args[0], args[1] ? args[1] : "",
                       status);
    return 0;
}

/* `quizstore import` of every CSV file, then `quizstore compact`: the load ends with
 * full pages, as the peers' index builds leave theirs. */
static int qsb_bulk_import(backend *be, const char *csv_dir, uint64_t *answers)
{
    static const char *const kinds[] = {"subjects", "systems", "topics", "questions",
                                        "users", "tests", "answers", "interactions"};
    const char *cli = getenv("QS_CLI");
    if (!cli || !*cli)
        return bk_fail(be, "QS_CLI does not name the quizstore CLI");
    /* the CLI opens the store itself: this process lets go of it meanwhile */
    qsb_impl *q = qsb_of(be);
    qs_txn_abort(q->read);
    q->read = NULL;
    qs_env_close(q->env);
    q->env = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char file[1100];
        snprintf(file, sizeof file, "%s/%s.csv", csv_dir, kinds[i]);
        const char *args[] = {"import", "--quiet", kinds[i], file, NULL};
        if (run_cli(be, cli, args))
            return -1;
    }
    const char *compact[] = {"compact", NULL};
    if (run_cli(be, cli, compact))
        return -1;
    int rc = qs_env_open(q->dir, NULL, &q->env);
    if (rc)
        return qsb_failed(be, "reopen", rc);
    qs_txn *txn;
    qs_db_stat st[512];
    size_t n;
    *answers = 0;
    if ((rc = qs_txn_begin(q->env, QS_TXN_RDONLY, &txn)) != 0)
        return qsb_failed(be, "begin", rc);
    rc = qs_db_stats(txn, st, 512, &n);
    for (size_t i = 0; !rc && i < n && i < 512; i++)
        if (strncmp(st[i].name, "ans@", 4) == 0)
            *answers += st[i].entries;
    qs_txn_abort(txn);
    return rc ? qsb_failed(be, "stats", rc) : 0;
}

static int qsb_checkpoint(backend *be)
{
    int rc = qs_env_checkpoint(qsb_of(be)->env);
    return rc ? qsb_failed(be, "checkpoint", rc) : 0;
}

const backend_ops bk_quizstore_ops = {
    .name = "quizstore",
    .open = qsb_open,
    .close = qsb_close,
    .clone = qsb_clone,
    .load_bank = qsb_load_bank,
    .begin = qsb_begin,
    .begin_load = qsb_begin_load,
    .commit = qsb_commit,
    .put_test = qsb_put_test,
    .answer_submit = qsb_answer,
    .interaction_log = qsb_interaction,
    .interaction_log_many = qsb_interaction_many,
    .question_get = qsb_question_get_op,
    .progress_view = qsb_progress_op,
    .dashboard = qsb_dashboard_op,
    .leaderboard = qsb_leaderboard_op,
    .history = qsb_history_op,
    .test_list = qsb_test_list_op,
    .test_create = qsb_test_create_op,
    .size_on_disk = qsb_size,
    .checkpoint = qsb_checkpoint,
    .bulk_import = qsb_bulk_import,
    .draws_only = 1,
};
