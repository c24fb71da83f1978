/** @file workload.h
 *  @brief The reference workload of WORKLOAD.md, generated from one seed.
 *
 *  @section conventions Conventions
 *
 *  - Every row is a pure function of (seed, scale, days): the same parameters give
 *    the same rows in the same order, byte for byte, on every run and whichever
 *    consumer reads them. Each entity (question, user, test, day of traffic) draws
 *    from its own random stream, keyed by the seed and the entity, so the content
 *    of a test or a day does not depend on how much else is generated.
 *  - Ids are dense and 1-based: subjects 1..6, systems 1..12, topics 1..240 (topic
 *    t belongs to system (t - 1) / 20 + 1), questions 1..20000, users 1..N, tests
 *    1.. in created_at order. Files write them as decimal strings.
 *  - Time is int64 milliseconds since the Unix epoch, UTC. History covers the
 *    @c days UTC days before #WL_NOW_MS; the "next day" is the day after it.
 *  - Enumerations use the numbering of quizstore.h (test status, mode, answer
 *    status), so a consumer may copy them across.
 *  - A #wl_gen is read-only once open: any number of threads may read entities and
 *    run streams on it at once. A stream is used by one thread at a time.
 *  - Functions that can fail return 0 or an errno value (EINVAL, ENOMEM).
 *
 *  @section streams Streams
 *
 *  Tests and answers come from a pull iterator (wl_stream_next()) that holds only
 *  the tests in progress, never the whole history: events arrive in time order, a
 *  test's event (at its created_at) before any of its answers, answers ordered by
 *  (created_at, test id). Interactions have their own iterator. wl_run() drives both
 *  with callbacks.
 */
#ifndef QS_BENCH_WORKLOAD_H
#define QS_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#define WL_NOW_MS 1767225600000LL  /**< "now": 2026-01-01T00:00:00Z */
#define WL_DAY_MS 86400000LL

#define WL_SUBJECTS 6
#define WL_SYSTEMS 12
#define WL_TOPICS_PER_SYSTEM 20
#define WL_TOPICS (WL_SYSTEMS * WL_TOPICS_PER_SYSTEM)
#define WL_QUESTIONS 20000
#define WL_MAX_OPTIONS 5          /**< questions have 4 or 5 options */
#define WL_TEST_MIN 20            /**< questions per test, inclusive bounds */
#define WL_TEST_MAX 40
#define WL_PAYLOAD_MIN 16         /**< interaction payload bytes, inclusive bounds */
#define WL_PAYLOAD_MAX 64
#define WL_NAME_MAX 63
#define WL_MAX_DAYS 3650
#define WL_MAX_SCALE 100.0

/** Generator parameters. */
typedef struct wl_params {
    uint64_t seed;
    double scale;   /**< S: users = round(10000 S), volumes per day scale alike */
    int days;       /**< D: days of history before WL_NOW_MS, 0..WL_MAX_DAYS */
} wl_params;

/** The generator: the bank's metadata, users' hidden skill and the Zipf table. */
typedef struct wl_gen wl_gen;

/** Sizes derived from the parameters. */
typedef struct wl_counts {
    uint32_t users;
    uint32_t tests_per_day;
    uint32_t interactions_per_day;
    int32_t first_day;        /**< first history day (day = ms / WL_DAY_MS) */
    int32_t now_day;          /**< WL_NOW_MS / WL_DAY_MS: the next day's number */
} wl_counts;

/** Build a generator. @p p->scale must give at least one user and at most
 *  WL_MAX_SCALE; @p p->days within 0..WL_MAX_DAYS.
 *  @param[out] out  the generator, to release with wl_close()
 *  @return 0, EINVAL, ENOMEM. */
int wl_open(const wl_params *p, wl_gen **out);

/** Release a generator (NULL is fine). Every stream on it must be closed. */
void wl_close(wl_gen *g);

void wl_counts_get(const wl_gen *g, wl_counts *out);

/* ===================================================================== */
/* The bank and the users                                                 */

/** A subject, system or topic. */
typedef struct wl_taxon {
    uint32_t id;
    uint32_t parent;                  /**< a topic's system; 0 otherwise */
    char name[WL_NAME_MAX + 1];
} wl_taxon;

/** REQUIRES: 1 <= id <= WL_SUBJECTS (WL_SYSTEMS, WL_TOPICS). */
void wl_subject_get(uint32_t id, wl_taxon *out);
void wl_system_get(uint32_t id, wl_taxon *out);
void wl_topic_get(uint32_t id, wl_taxon *out);

typedef struct wl_text {
    const char *ptr;
    size_t len;
} wl_text;

/** Room for one question's texts (they take about 2 KB). */
typedef struct wl_text_buf {
    char bytes[8192];
} wl_text_buf;

/** A question of the bank. */
typedef struct wl_question {
    uint32_t id, subject, system, topic;
    uint8_t difficulty;       /**< 1 easy, 2 medium, 3 hard */
    uint8_t type;             /**< 1 single best answer, 2 image-based */
    uint8_t active;
    uint8_t correct_option;   /**< 0-based */
    uint8_t n_options;        /**< 4 or 5 */
    int64_t created_at;
    wl_text stem, explanation;
    wl_text options[WL_MAX_OPTIONS];
} wl_question;

/** Generate question @p id (1..WL_QUESTIONS). Its texts point into @p buf.
 *  Thread-safe with distinct buffers. */
void wl_question_get(const wl_gen *g, uint32_t id, wl_question *out, wl_text_buf *buf);

/** A user. The skill is hidden: only the generator uses it. */
typedef struct wl_user {
    uint32_t id;
    int64_t created_at;
    double skill;
} wl_user;

/** REQUIRES: 1 <= id <= users. */
void wl_user_get(const wl_gen *g, uint32_t id, wl_user *out);

/** The user of Zipf rank @p rank (1 = most active); REQUIRES 1 <= rank <= users. */
uint32_t wl_user_of_rank(const wl_gen *g, uint32_t rank);

/* ===================================================================== */
/* Tests and answers                                                      */

enum { WL_TEST_ACTIVE = 1, WL_TEST_PAUSED = 2, WL_TEST_COMPLETED = 3, WL_TEST_ABANDONED = 4 };
enum { WL_MODE_TUTOR = 1, WL_MODE_TIMED = 2 };
enum { WL_ANSWERED = 1, WL_SKIPPED = 2, WL_FLAGGED = 3 };

/** A test as it stands at the end of its window: at WL_NOW_MS for history tests,
 *  at its creation (ACTIVE, no answers yet) for the next day's tests. */
typedef struct wl_test {
    uint64_t id;
    uint32_t user;
    uint8_t status;           /**< WL_TEST_* */
    uint8_t mode;             /**< WL_MODE_* */
    uint8_t n_questions;      /**< WL_TEST_MIN..WL_TEST_MAX */
    uint8_t n_answers;        /**< answers this stream emits for it */
    uint32_t system;          /**< questions drawn from this system ... */
    uint32_t topic;           /**< ... or from this one topic when non-zero */
    int64_t created_at;
    int64_t last_activity_at; /**< its last answer's created_at, or created_at */
    int64_t completed_at;     /**< 0 unless COMPLETED */
    uint32_t questions[WL_TEST_MAX];
} wl_test;

/** One answer: the unique (test, question) pair. */
typedef struct wl_answer {
    uint64_t test;
    uint32_t question;
    uint32_t user;
    uint8_t correct;          /**< 0 or 1; 0 when SKIPPED */
    int8_t chosen;            /**< 0-based option, -1 when SKIPPED */
    uint8_t status;           /**< WL_ANSWERED, WL_SKIPPED, WL_FLAGGED */
    uint8_t score;            /**< 10..90 */
    uint8_t position;         /**< index of the question in its test */
    int64_t time_spent_ms;
    int64_t created_at;
} wl_answer;

/** Which slice of time a stream covers. */
typedef enum wl_window {
    WL_HISTORY = 0,   /**< tests created and answers given in [first_day, now) */
    WL_NEXT_DAY = 1   /**< answers given in [now, now + 1 day), with the tests created
                           then; answers of history tests still in progress at now
                           are here too (their tests are in the history) */
} wl_window;

typedef enum wl_event_kind { WL_EV_END = 0, WL_EV_TEST = 1, WL_EV_ANSWER = 2 } wl_event_kind;

typedef struct wl_event {
    wl_event_kind kind;
    const wl_test *test;      /**< WL_EV_TEST: valid until the next wl_stream_next() */
    wl_answer answer;         /**< WL_EV_ANSWER */
} wl_event;

typedef struct wl_stream wl_stream;

/** Open a stream of the tests and answers of @p w. @return 0, EINVAL, ENOMEM. */
int wl_stream_open(const wl_gen *g, wl_window w, wl_stream **out);

/** The next event in time order. @return its kind; WL_EV_END when the stream is done
 *  (and on every later call). */
wl_event_kind wl_stream_next(wl_stream *s, wl_event *ev);

/** 0, or ENOMEM when the stream ended early for want of memory. */
int wl_stream_error(const wl_stream *s);

/** NULL is fine. */
void wl_stream_close(wl_stream *s);

/* ===================================================================== */
/* Interactions                                                           */

#define WL_ACTIONS 8
/** Actions, in the order of the CSV schema: view, bookmark, note, flag, hint, video,
 *  search, share. */
enum { WL_VIEW, WL_BOOKMARK, WL_NOTE, WL_FLAG, WL_HINT, WL_VIDEO, WL_SEARCH, WL_SHARE };

/** The schema name of an action ("view", ...); NULL when out of range. */
const char *wl_action_name(unsigned action);

/** One interaction. The payload is a small JSON object of printable ASCII. */
typedef struct wl_interaction {
    uint32_t user;
    uint8_t action;           /**< WL_VIEW .. WL_SHARE */
    uint8_t payload_len;      /**< WL_PAYLOAD_MIN..WL_PAYLOAD_MAX */
    int64_t created_at;
    char payload[WL_PAYLOAD_MAX + 1];  /**< NUL-terminated */
} wl_interaction;

typedef struct wl_ix_stream wl_ix_stream;

/** Open a stream of the interactions of @p w, in created_at order.
 *  @return 0, EINVAL, ENOMEM. */
int wl_ix_stream_open(const wl_gen *g, wl_window w, wl_ix_stream **out);

/** @return 1 with the next interaction in @p out, 0 at the end. */
int wl_ix_stream_next(wl_ix_stream *s, wl_interaction *out);

/** NULL is fine. */
void wl_ix_stream_close(wl_ix_stream *s);

/* ===================================================================== */
/* Callbacks                                                              */

/** Consumers for wl_run(). A NULL callback skips that kind (with on_interaction
 *  NULL the interactions are not generated at all). A non-zero return stops the run. */
typedef struct wl_sink {
    int (*on_test)(void *ctx, const wl_test *t);
    int (*on_answer)(void *ctx, const wl_answer *a);
    int (*on_interaction)(void *ctx, const wl_interaction *ix);
    void *ctx;
} wl_sink;

/** Run the window's tests and answers (in time order), then its interactions.
 *  @return 0, the first non-zero callback result, or ENOMEM. */
int wl_run(const wl_gen *g, wl_window w, const wl_sink *sink);

#endif /* QS_BENCH_WORKLOAD_H */
