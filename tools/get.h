/* get.h: what the files of `quizstore get` share (get.c: options, dispatch and the
 * helpers below; get_entity.c: a question, user, test, question stats; get_user.c: a
 * user's tests, progress, dashboard, history, interactions, and the leaderboard; get_questions.c:
 * the bank listed by filter). */
#ifndef QS_GET_H
#define QS_GET_H

#include <stdint.h>

#include "cli.h"
#include "json_out.h"

/* The command line of one call. */
typedef struct get_args {
    int internal;
    const char *now, *week, *user, *cursor;
    /* questions: the filter as given (NULL: any) and the order */
    const char *subject, *system, *topic, *difficulty, *active, *band;
    int newest;
    /* interactions: days as given (NULL: the default), and whether to list events */
    const char *from, *to;
    int events;
    uint64_t top, limit;
    char context[256]; /* "get WHAT ID" */
} get_args;

/* One call: its read transaction and where the JSON goes. */
typedef struct get_ctx {
    qs_txn *txn;
    jw w;
    get_args *a;
} get_ctx;

/* Report a failed read: "CONTEXT: KIND not found" for QS_NOTFOUND, else the library's
 * error. Returns 1, the exit status. */
int get_failed(get_ctx *g, int rc, const char *kind);
/* A command-line id of @p kind (external, or internal with -i). 0 or -1 (reported). */
int get_resolve(get_ctx *g, qs_kind kind, const char *arg, uint64_t *id);
/* The user named by @p arg, checked to exist. 0 or -1 (reported). */
int get_load_user(get_ctx *g, const char *arg, uint32_t *id);

/* "key": the external id, or null when it is empty. */
void out_ext_id(jw *w, const char *key, const char *ext);
/* "key": ms, or null for 0. */
void out_time(jw *w, const char *key, int64_t ms);
/* "key": {"id", "ext_id", "name"} of a subject, system or topic; null for id 0. */
void out_taxon(get_ctx *g, const char *key, qs_kind kind, uint32_t id);
/* "key": {"id", "ext_id"} of a user. */
void out_user(get_ctx *g, const char *key, uint32_t id);
/* "key": the external id of a question / test. */
void out_question_ext(get_ctx *g, const char *key, uint32_t id);
void out_test_ext(get_ctx *g, const char *key, uint64_t id);

int get_question(get_ctx *g, const char *arg);
int get_user(get_ctx *g, const char *arg);
int get_test(get_ctx *g, const char *arg);
int get_stats(get_ctx *g, const char *arg);
int get_tests(get_ctx *g, const char *arg);
int get_progress(get_ctx *g, const char *arg);
int get_dashboard(get_ctx *g, const char *arg);
int get_leaderboard(get_ctx *g);
int get_history(get_ctx *g, const char *arg);
int get_interactions(get_ctx *g, const char *arg);
int get_questions(get_ctx *g);

#endif /* QS_GET_H */
