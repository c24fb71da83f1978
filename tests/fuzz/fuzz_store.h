/* fuzz_store.h: the store every fuzz harness starts from, built once per process in
 * LLVMFuzzerInitialize and removed at exit.
 *
 * A temporary directory ($TMPDIR, else /tmp) holds a store with a 64 MiB map and
 * periodic sync, seeded through the public API only:
 *
 *   subjects sub-1 sub-2, systems sys-1 sys-2, topics top-1 top-2 (sys-1) top-3 top-4
 *   (sys-2); questions q-1 .. q-72, four options each, texts compressed with a bank
 *   dictionary; users u-1 .. u-N; per user an open-list test in June 2025 (t-N-old)
 *   and one in January 2026 (t-N-cur), six answers and four interactions in each of
 *   those months; a closed test t-listed of u-1 listing q-1 .. q-5, unanswered. The
 *   June 2025 buckets (answers and interactions) are sealed; January 2026 stays raw.
 *
 * Harnesses run each input in a write transaction and abort it, so every execution
 * starts from this same store. Names in files (corpus, dictionaries) refer to the
 * external ids above.
 */
#ifndef QS_FUZZ_STORE_H
#define QS_FUZZ_STORE_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quizstore.h"

/* A broken expectation: print it and abort, which libFuzzer reports as a crash with
 * the input that caused it. */
#define FZ_DIE(...)                                                                      \
    do {                                                                                 \
        fprintf(stderr, "fuzz: %s:%d: ", __FILE__, __LINE__);                            \
        fprintf(stderr, __VA_ARGS__);                                                    \
        fputc('\n', stderr);                                                             \
        abort();                                                                         \
    } while (0)

#define FZ_OK(expr)                                                                      \
    do {                                                                                 \
        int fz_rc_ = (expr);                                                             \
        if (fz_rc_ != 0)                                                                 \
            FZ_DIE("%s: %s (%s)", #expr, qs_strerror(fz_rc_), qs_errmsg());             \
    } while (0)

#define FZ_QUESTIONS 72        /* at least the 64 the bank dictionary needs */
#define FZ_MAX_USERS 8
#define FZ_ROWS_PER_MONTH 6    /* answers of one user in one month */
#define FZ_IXNS_PER_MONTH 4
#define FZ_HOUR_MS 3600000LL
#define FZ_DAY_MS 86400000LL
#define FZ_T_OLD 1748736000000LL  /* 2025-06-01T00:00:00Z: the sealed month */
#define FZ_T_CUR 1767225600000LL  /* 2026-01-01T00:00:00Z: the raw month */
#define FZ_T_NOW 1768435200000LL  /* 2026-01-15T00:00:00Z: "now" of every read */

/* One seeded answer, to tell whose a row returned by a read is. */
typedef struct fz_answer {
    uint64_t id, test;
    uint32_t user, question;
    int64_t created_at;
} fz_answer;

typedef struct fz_store {
    qs_env *env;
    char dir[512];
    uint32_t subjects[2], systems[2], topics[4];
    uint32_t questions[FZ_QUESTIONS];
    unsigned n_users;
    uint32_t users[FZ_MAX_USERS];
    uint64_t tests[FZ_MAX_USERS][2];  /* open-list tests: [0] June 2025, [1] January 2026 */
    uint64_t listed_test;             /* t-listed: u-1's closed test of q-1 .. q-5 */
    size_t n_answers;
    fz_answer answers[FZ_MAX_USERS * 2 * FZ_ROWS_PER_MONTH];
} fz_store;

/* The one store of this process: removed by the atexit handler. */
static fz_store *fz_the_store;

static int fz_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fz_store_cleanup(void)
{
    if (!fz_the_store)
        return;
    qs_env_close(fz_the_store->env);
    fz_the_store->env = NULL;
    nftw(fz_the_store->dir, fz_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static uint32_t fz_taxon(qs_txn *txn, qs_kind kind, const char *ext, uint32_t parent)
{
    qs_taxon t = {.size = sizeof t};
    uint32_t id = 0;
    memset(&t, 0, sizeof t);
    t.parent = parent;
    snprintf(t.name, sizeof t.name, "%s name", ext);
    snprintf(t.ext_id, sizeof t.ext_id, "%s", ext);
    FZ_OK(qs_taxon_put(txn, kind, &t, &id));
    return id;
}

/* Texts varied enough for a dictionary to learn from, and alike enough to compress. */
static const char *const fz_organs[] = {"heart", "lung", "kidney", "liver", "brain", "skin",
                                        "bone", "blood", "eye"};
static const char *const fz_findings[] = {"chest pain", "fever and cough", "jaundice",
                                          "a rash", "headache", "fatigue", "swelling"};

static uint32_t fz_question(qs_txn *txn, const fz_store *s, unsigned i)
{
    char ext[16], stem[256], expl[256], opt[4][64];
    qs_text options[4];
    qs_question q = {.size = sizeof q};
    uint32_t id = 0;
    memset(&q, 0, sizeof q);
    snprintf(ext, sizeof ext, "q-%u", i + 1);
    snprintf(q.ext_id, sizeof q.ext_id, "%s", ext);
    snprintf(stem, sizeof stem,
             "A %u-year-old patient presents with %s. Examination of the %s shows a change "
             "since the last visit. Which of the following is the most likely cause?",
             20 + i % 50, fz_findings[i % 7], fz_organs[i % 9]);
    snprintf(expl, sizeof expl,
             "The %s is involved: %s points to option %c, the classic presentation.",
             fz_organs[(i + 3) % 9], fz_findings[(i + 2) % 7], 'A' + (int)(i % 4));
    for (unsigned o = 0; o < 4; o++) {
        snprintf(opt[o], sizeof opt[o], "Disease of the %s, type %u", fz_organs[(i + o) % 9],
                 o + 1);
        options[o] = (qs_text){opt[o], strlen(opt[o])};
    }
    q.options = options;
    q.subject = s->subjects[i % 2];
    q.system = s->systems[i % 2];
    q.topic = s->topics[(i % 2) * 2 + (i / 2) % 2];
    q.difficulty = (uint8_t)(1 + i % 3);
    q.type = 1;
    q.active = i % 11 != 10;
    q.correct_option = (uint8_t)(i % 4);
    q.n_options = 4;
    q.created_at = FZ_T_OLD - 30 * FZ_DAY_MS + (int64_t)i * FZ_HOUR_MS;
    q.stem = (qs_text){stem, strlen(stem)};
    q.explanation = (qs_text){expl, strlen(expl)};
    FZ_OK(qs_question_put(txn, &q, &id));
    return id;
}

static uint64_t fz_test(qs_txn *txn, const char *ext, uint32_t user, int open_list,
                        const uint32_t *questions, unsigned n, int64_t at)
{
    qs_test t = {.size = sizeof t};
    uint64_t id = 0;
    memset(&t, 0, sizeof t);
    snprintf(t.ext_id, sizeof t.ext_id, "%s", ext);
    t.user = user;
    t.status = QS_TEST_ACTIVE;
    t.mode = QS_MODE_TUTOR;
    t.open_list = (uint8_t)open_list;
    t.created_at = t.last_activity_at = at;
    t.n_questions = n;
    t.questions = questions;
    FZ_OK(qs_test_put(txn, &t, &id));
    return id;
}

/* One user's answers and interactions of the month starting at @p month. */
static void fz_activity(qs_txn *txn, fz_store *s, unsigned u, unsigned m, int64_t month)
{
    char payload[96];
    for (unsigned k = 0; k < FZ_ROWS_PER_MONTH; k++) {
        unsigned qi = (u * 7 + m * 13 + k * 5) % FZ_QUESTIONS;
        qs_answer a;
        memset(&a, 0, sizeof a);
        a.test = s->tests[u][m];
        a.question = s->questions[qi];
        a.correct = QS_GRADE;
        a.chosen = (int8_t)((u + k) % 4);
        a.status = k == 5 ? QS_FLAGGED : QS_ANSWERED;
        a.score = (uint8_t)(10 + (u * 10 + k * 7) % 81);
        a.time_spent_ms = 1000 * (int64_t)(5 + k + u);
        a.created_at = month + (int64_t)(k * 2 + (k > 2) * 24) * FZ_HOUR_MS + u * 60000;
        uint64_t id;
        FZ_OK(qs_answer_submit(txn, &a, &id));
        s->answers[s->n_answers++] = (fz_answer){id, a.test, s->users[u], a.question,
                                                 a.created_at};
    }
    for (unsigned k = 0; k < FZ_IXNS_PER_MONTH; k++) {
        qs_interaction ix;
        int n = snprintf(payload, sizeof payload, "{\"question\":\"q-%u\",\"seconds\":%u}",
                         k + 1, 10 * k + u);
        memset(&ix, 0, sizeof ix);
        ix.user = s->users[u];
        ix.action = (uint8_t)(1 + k % 8);
        ix.created_at = month + (int64_t)(k * 3) * FZ_HOUR_MS + u * 1000;
        ix.payload = k == 3 ? NULL : payload;
        ix.payload_len = k == 3 ? 0 : (size_t)n;
        FZ_OK(qs_interaction_log(txn, &ix, NULL));
    }
}

static void fz_seed(fz_store *s)
{
    qs_txn *txn;
    char ext[32];
    FZ_OK(qs_txn_begin(s->env, 0, &txn));
    for (unsigned i = 0; i < 2; i++) {
        snprintf(ext, sizeof ext, "sub-%u", i + 1);
        s->subjects[i] = fz_taxon(txn, QS_SUBJECT, ext, 0);
        snprintf(ext, sizeof ext, "sys-%u", i + 1);
        s->systems[i] = fz_taxon(txn, QS_SYSTEM, ext, 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        snprintf(ext, sizeof ext, "top-%u", i + 1);
        s->topics[i] = fz_taxon(txn, QS_TOPIC, ext, s->systems[i / 2]);
    }
    for (unsigned i = 0; i < FZ_QUESTIONS; i++)
        s->questions[i] = fz_question(txn, s, i);
    for (unsigned u = 0; u < s->n_users; u++) {
        qs_user user = {.size = sizeof user};
        memset(&user, 0, sizeof user);
        snprintf(user.ext_id, sizeof user.ext_id, "u-%u", u + 1);
        user.created_at = FZ_T_OLD - 60 * FZ_DAY_MS + u * FZ_DAY_MS;
        FZ_OK(qs_user_put(txn, &user, &s->users[u]));
        snprintf(ext, sizeof ext, "t-%u-old", u + 1);
        s->tests[u][0] = fz_test(txn, ext, s->users[u], 1, NULL, 0, FZ_T_OLD);
        snprintf(ext, sizeof ext, "t-%u-cur", u + 1);
        s->tests[u][1] = fz_test(txn, ext, s->users[u], 1, NULL, 0, FZ_T_CUR);
    }
    s->listed_test = fz_test(txn, "t-listed", s->users[0], 0, s->questions, 5, FZ_T_CUR);
    for (unsigned u = 0; u < s->n_users; u++) {
        fz_activity(txn, s, u, 0, FZ_T_OLD);
        fz_activity(txn, s, u, 1, FZ_T_CUR);
    }
    FZ_OK(qs_txn_commit(txn));

    qs_compress_report rep = {.size = sizeof rep};
    FZ_OK(qs_txn_begin(s->env, 0, &txn));
    FZ_OK(qs_bank_compress(txn, &rep));
    FZ_OK(qs_bucket_seal(txn, QS_TABLE_ANSWERS, FZ_T_OLD, FZ_T_NOW, NULL));
    FZ_OK(qs_bucket_seal(txn, QS_TABLE_INTERACTIONS, FZ_T_OLD, FZ_T_NOW, NULL));
    FZ_OK(qs_txn_commit(txn));
}

/* Create and seed the store of this process, with @p n_users users (1 .. FZ_MAX_USERS). */
static void fz_store_build(fz_store *s, unsigned n_users)
{
    const char *tmp = getenv("TMPDIR");
    qs_options opts = {.size = sizeof opts};
    memset(s, 0, sizeof *s);
    s->n_users = n_users;
    snprintf(s->dir, sizeof s->dir, "%s/qs-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir))
        FZ_DIE("mkdtemp %s failed", s->dir);
    fz_the_store = s;
    atexit(fz_store_cleanup);
    qs_options_init(&opts);
    opts.map_size = 64u << 20;
    opts.durability = QS_SYNC_PERIODIC;
    opts.sync_interval_ms = 60000;
    FZ_OK(qs_env_open(s->dir, &opts, &s->env));
    fz_seed(s);
}

/* Is @p rc one the library documents: 0, a QS_ code, or an errno value? Reads of a
 * damaged store may say QS_CORRUPT (and ENOMEM when memory runs out), nothing else. */
static inline int fz_qs_code(int rc)
{
    return rc == 0 || (rc <= QS_NOTFOUND && rc >= -30999);
}

#endif /* QS_FUZZ_STORE_H */
