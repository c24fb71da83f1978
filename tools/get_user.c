/* get_user.c: `quizstore get` of a user's reads: open tests, progress per topic,
 * dashboard, history pages, interactions per day; and the leaderboard. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "get.h"
#include "timefmt.h"
#include "util/date.h"


/* ---- a user's tests, progress, dashboard ----------------------------------------- */

/* A per-user row call, in one signature for all_rows(). */
typedef int (*user_rows_fn)(qs_txn *txn, uint32_t user, void *rows, size_t cap, size_t *n);

static int list_tests(qs_txn *txn, uint32_t user, void *rows, size_t cap, size_t *n)
{
    return qs_test_list(txn, user, rows, cap, n);
}

static int list_progress(qs_txn *txn, uint32_t user, void *rows, size_t cap, size_t *n)
{
    return qs_progress(txn, user, rows, cap, n);
}

/* Every row of @p fn for @p user, in a buffer grown until they fit (the row calls
 * report the total, as snprintf does). NULL after reporting the failure. */
static void *all_rows(get_ctx *g, user_rows_fn fn, uint32_t user, size_t row_size,
                      size_t cap, const char *what, size_t *n)
{
    void *rows = NULL;
    int rc;
    for (;;) {
        void *p = realloc(rows, cap * row_size);
        if (!p) {
            free(rows);
            get_failed(g, ENOMEM, what);
            return NULL;
        }
        rows = p;
        if ((rc = fn(g->txn, user, rows, cap, n)) != 0 || *n <= cap)
            break;
        cap = *n;
    }
    if (rc != 0) {
        free(rows);
        get_failed(g, rc, "user");
        return NULL;
    }
    return rows;
}

int get_tests(get_ctx *g, const char *arg)
{
    uint32_t user;
    size_t n = 0;
    if (get_load_user(g, arg, &user) != 0)
        return 1;
    qs_test_row *rows = all_rows(g, list_tests, user, sizeof *rows, 64, "tests", &n);
    if (!rows)
        return 1;
    jw *w = &g->w;
    jw_object(w);
    out_user(g, "user", user);
    jw_kuint(w, "total", n);
    jw_key(w, "tests");
    jw_array(w);
    for (size_t i = 0; i < n; i++) {
        jw_row(w);
        jw_kuint(w, "id", rows[i].id);
        out_test_ext(g, "ext_id", rows[i].id);
        jw_kstr(w, "status", test_status_word(rows[i].status));
        jw_kstr(w, "mode", test_mode_word(rows[i].mode));
        jw_kuint(w, "n_questions", rows[i].n_questions);
        jw_kint(w, "created_at", rows[i].created_at);
        jw_kint(w, "last_activity_at", rows[i].last_activity_at);
        jw_end_object(w);
    }
    jw_end_array(w);
    jw_end_object(w);
    free(rows);
    return 0;
}

int get_progress(get_ctx *g, const char *arg)
{
    uint32_t user;
    size_t n = 0;
    if (get_load_user(g, arg, &user) != 0)
        return 1;
    qs_progress_row *rows = all_rows(g, list_progress, user, sizeof *rows, 256, "progress",
                                     &n);
    if (!rows)
        return 1;
    jw *w = &g->w;
    jw_object(w);
    out_user(g, "user", user);
    jw_key(w, "topics");
    jw_array(w);
    for (size_t i = 0; i < n; i++) {
        qs_taxon t = {.size = sizeof t};
        int known = qs_taxon_get(g->txn, QS_TOPIC, rows[i].topic, &t) == 0;
        jw_row(w);
        jw_kuint(w, "topic", rows[i].topic);
        out_ext_id(w, "ext_id", known ? t.ext_id : "");
        jw_kstr(w, "name", known ? t.name : "");
        jw_kuint(w, "attempts", rows[i].attempts);
        jw_kuint(w, "correct", rows[i].correct);
        jw_kuint(w, "rate_bp", rows[i].rate_bp);
        jw_kint(w, "last_answered_at", rows[i].last_answered_at);
        jw_end_object(w);
    }
    jw_end_array(w);
    jw_end_object(w);
    free(rows);
    return 0;
}

/* A day number and its date under @p key and @p date_key; null for QS_NO_DAY. */
static void day_fields(jw *w, const char *key, const char *date_key, int32_t day)
{
    char date[UT_TIME_TEXT_SIZE];
    jw_key(w, key);
    if (day == QS_NO_DAY) {
        jw_null(w);
        jw_key(w, date_key);
        jw_null(w);
        return;
    }
    jw_int(w, day);
    ut_day_format(day, date);
    jw_kstr(w, date_key, date);
}

int get_dashboard(get_ctx *g, const char *arg)
{
    int64_t now;
    if (time_parse_arg(g->a->now ? g->a->now : "now", &now) != 0) {
        msg("%s: --now: '%s' is not a time", g->a->context, g->a->now);
        return 1;
    }
    uint32_t user;
    if (get_load_user(g, arg, &user) != 0)
        return 1;
    qs_dashboard d = {.size = sizeof d};
    int rc = qs_dashboard_get(g->txn, user, now, &d);
    if (rc != 0)
        return get_failed(g, rc, "user");
    jw *w = &g->w;
    const qs_summary *s = &d.summary;
    jw_object(w);
    out_user(g, "user", user);
    jw_kint(w, "now", now);
    jw_key(w, "summary");
    jw_object(w);
    jw_kuint(w, "answered", s->answered);
    jw_kuint(w, "correct", s->correct);
    jw_kuint(w, "rate_bp", s->rate_bp);
    jw_kuint(w, "time_ms", s->time_ms);
    day_fields(w, "last_day", "last_date", s->last_day);
    jw_kuint(w, "streak", s->streak);
    jw_kuint(w, "best_streak", s->best_streak);
    jw_end_object(w);
    jw_key(w, "days");
    jw_array(w);
    for (size_t i = 0; i < d.n_days && i < QS_DASHBOARD_DAYS; i++) {
        jw_row(w);
        day_fields(w, "day", "date", d.days[i].day);
        jw_kuint(w, "answers", d.days[i].answers);
        jw_kuint(w, "correct", d.days[i].correct);
        jw_kuint(w, "time_ms", d.days[i].time_ms);
        jw_end_object(w);
    }
    jw_end_array(w);
    jw_end_object(w);
    return 0;
}

/* ---- leaderboard, history, stats ------------------------------------------------- */

static void rank_row(get_ctx *g, const qs_rank_row *r)
{
    jw *w = &g->w;
    qs_user u = {.size = sizeof u};
    jw_row(w);
    jw_kuint(w, "rank", r->rank);
    jw_kuint(w, "user", r->user);
    out_ext_id(w, "ext_id", qs_user_get(g->txn, r->user, &u) == 0 ? u.ext_id : "");
    jw_kuint(w, "correct", r->correct);
    jw_end_object(w);
}

int get_leaderboard(get_ctx *g)
{
    get_args *a = g->a;
    uint32_t board = QS_BOARD_ALL_TIME;
    int64_t week_time = 0;
    if (a->week) {
        if (time_parse_arg(a->week, &week_time) != 0) {
            msg("%s: --week: '%s' is not a time", a->context, a->week);
            return 1;
        }
        board = qs_board_week(week_time);
    }
    uint32_t user = 0;
    if (a->user && get_load_user(g, a->user, &user) != 0)
        return 1;
    size_t top = (size_t)a->top, n = 0;
    qs_rank_row *rows = calloc(top ? top : 1, sizeof *rows);
    if (!rows)
        return get_failed(g, ENOMEM, "leaderboard");
    int rc = qs_leaderboard_top(g->txn, board, rows, top, &n);
    qs_rank_row mine;
    if (rc == 0 && user)
        rc = qs_leaderboard_rank(g->txn, board, user, &mine);
    if (rc != 0) {
        free(rows);
        return get_failed(g, rc, "user");
    }
    jw *w = &g->w;
    jw_object(w);
    if (a->week) {
        char date[UT_TIME_TEXT_SIZE];
        jw_kstr(w, "board", "week");
        jw_kuint(w, "week", board);
        ut_day_format(ut_week_start(ut_day_of(week_time)), date);
        jw_kstr(w, "week_of", date);
    } else {
        jw_kstr(w, "board", "all-time");
    }
    jw_kuint(w, "entries", n);
    jw_key(w, "top");
    jw_array(w);
    for (size_t i = 0; i < n && i < top; i++)
        rank_row(g, &rows[i]);
    jw_end_array(w);
    if (user) {
        jw_key(w, "user");
        rank_row(g, &mine);
    }
    jw_end_object(w);
    free(rows);
    return 0;
}

int get_history(get_ctx *g, const char *arg)
{
    get_args *a = g->a;
    qs_cursor after;
    if (a->cursor && qs_cursor_parse(a->cursor, &after) != 0) {
        msg("%s: --cursor: not a history cursor", a->context);
        return 1;
    }
    uint32_t user;
    if (get_load_user(g, arg, &user) != 0)
        return 1;
    size_t cap = (size_t)a->limit, n = 0;
    qs_history_row *rows = calloc(cap, sizeof *rows);
    if (!rows)
        return get_failed(g, ENOMEM, "history");
    qs_cursor next;
    int rc = qs_history(g->txn, user, a->cursor ? &after : NULL, rows, cap, &n, &next);
    if (rc == QS_BAD_CURSOR) {
        free(rows);
        msg("%s: --cursor: %s", a->context, qs_strerror(rc));
        return 1;
    }
    if (rc != 0) {
        free(rows);
        return get_failed(g, rc, "user");
    }
    jw *w = &g->w;
    jw_object(w);
    out_user(g, "user", user);
    jw_key(w, "rows");
    jw_array(w);
    for (size_t i = 0; i < n && i < cap; i++) {   /* n > cap: more rows follow */
        const qs_history_row *h = &rows[i];
        jw_row(w);
        jw_kuint(w, "answer_id", h->answer_id);
        jw_kint(w, "created_at", h->created_at);
        jw_kuint(w, "test", h->test);
        out_test_ext(g, "test_ext_id", h->test);
        jw_kuint(w, "question", h->question);
        out_question_ext(g, "question_ext_id", h->question);
        jw_kuint(w, "topic", h->topic);
        jw_key(w, "correct");
        jw_bool(w, h->correct);
        jw_kstr(w, "status", answer_status_word(h->status));
        jw_key(w, "chosen");
        if (h->chosen >= 0)
            jw_int(w, h->chosen);
        else
            jw_null(w);
        jw_key(w, "score");
        if (h->score)
            jw_uint(w, h->score);
        else
            jw_null(w);
        jw_kuint(w, "time_spent_ms", h->time_spent_ms);
        jw_end_object(w);
    }
    jw_end_array(w);
    jw_key(w, "next");
    if (n > cap) {
        char text[QS_CURSOR_TEXT_SIZE];
        qs_cursor_format(&next, text);
        jw_str(w, text);
    } else {
        jw_null(w); /* no row follows this page */
    }
    jw_end_object(w);
    free(rows);
    return 0;
}

/* ---- a user's interactions ------------------------------------------------------ */

/* "action": its name, or its number for codes without one. */
static void out_action(jw *w, unsigned action)
{
    char number[8];
    const char *word = action_word(action);
    if (!word) {
        snprintf(number, sizeof number, "%u", action);
        word = number;
    }
    jw_kstr(w, "action", word);
}

/* A date YYYY-MM-DD as a UTC day number. 0 or -1. */
static int parse_day(const char *s, int32_t *day)
{
    int64_t ms;
    if (strlen(s) != 10 || ut_time_parse(s, 10, &ms) != 0)
        return -1;
    *day = (int32_t)(ms / UT_DAY_MS); /* midnight: exact */
    return 0;
}

/* The days of the call: --from .. --to; --to defaults to the day of --now (default:
 * the current time), --from to 30 days ending at --to. 0 or -1 (reported). */
static int interaction_days_range(get_ctx *g, int32_t *from, int32_t *to)
{
    get_args *a = g->a;
    int64_t now;
    if (time_parse_arg(a->now ? a->now : "now", &now) != 0) {
        msg("%s: --now: '%s' is not a time", a->context, a->now);
        return -1;
    }
    if (g->a->to && parse_day(g->a->to, to) != 0) {
        msg("%s: --to: '%s' is not a date (YYYY-MM-DD)", a->context, g->a->to);
        return -1;
    }
    if (g->a->from && parse_day(g->a->from, from) != 0) {
        msg("%s: --from: '%s' is not a date (YYYY-MM-DD)", a->context, g->a->from);
        return -1;
    }
    if (!g->a->to)
        *to = (int32_t)ut_day_of(now);
    if (!g->a->from)
        *from = *to - (QS_DASHBOARD_DAYS - 1);
    if (*from > *to) {
        char from_text[UT_TIME_TEXT_SIZE], to_text[UT_TIME_TEXT_SIZE];
        ut_day_format(*from, from_text);
        ut_day_format(*to, to_text);
        msg("%s: --from %s is after --to %s", a->context, from_text, to_text);
        return -1;
    }
    return 0;
}

/* The user's day rows, in a malloc'ed array grown until they fit. */
static int read_interaction_days(get_ctx *g, uint32_t user, int32_t from, int32_t to,
                                 qs_interaction_day **rows, size_t *n)
{
    size_t cap = 256;
    *rows = NULL;
    for (;;) {
        qs_interaction_day *p = realloc(*rows, cap * sizeof *p);
        if (!p)
            return ENOMEM;
        *rows = p;
        int rc = qs_interaction_days(g->txn, user, from, to, *rows, cap, n);
        if (rc != 0 || *n <= cap)
            return rc;
        cap = *n;
    }
}

typedef struct event_ctx {
    jw *w;
    uint32_t user;
} event_ctx;

static int out_event(const qs_interaction *ix, uint64_t seq, void *ctx)
{
    event_ctx *e = ctx;
    if (ix->user != e->user)
        return 0;
    jw_row(e->w);
    jw_kint(e->w, "created_at", ix->created_at);
    jw_kuint(e->w, "seq", seq);
    out_action(e->w, ix->action);
    jw_key(e->w, "payload");
    jw_strn(e->w, ix->payload_len ? ix->payload : "", ix->payload_len);
    jw_end_object(e->w);
    return 0;
}

int get_interactions(get_ctx *g, const char *arg)
{
    int32_t from = 0, to = 0;
    uint32_t user;
    if (interaction_days_range(g, &from, &to) != 0 || get_load_user(g, arg, &user) != 0)
        return 1;
    qs_interaction_day *rows = NULL;
    size_t n = 0;
    int rc = read_interaction_days(g, user, from, to, &rows, &n);
    if (rc != 0) {
        free(rows);
        return get_failed(g, rc, "user");
    }
    jw *w = &g->w;
    char date[UT_TIME_TEXT_SIZE];
    jw_object(w);
    out_user(g, "user", user);
    ut_day_format(from, date);
    jw_kstr(w, "from", date);
    ut_day_format(to, date);
    jw_kstr(w, "to", date);
    jw_key(w, "rows");
    jw_array(w);
    for (size_t i = 0; i < n; i++) {
        jw_row(w);
        ut_day_format(rows[i].day, date);
        jw_kstr(w, "day", date);
        out_action(w, rows[i].action);
        jw_kuint(w, "count", rows[i].count);
        jw_end_object(w);
    }
    jw_end_array(w);
    free(rows);
    if (g->a->events) {
        /* the scan visits every user's events of those days: the user's are picked out */
        event_ctx e = {w, user};
        jw_key(w, "events");
        jw_array(w);
        rc = qs_interaction_scan(g->txn, (int64_t)from * UT_DAY_MS,
                                 ((int64_t)to + 1) * UT_DAY_MS, out_event, &e);
        if (rc != 0)
            return get_failed(g, rc, "interactions");
        jw_end_array(w);
    }
    jw_end_object(w);
    return 0;
}
