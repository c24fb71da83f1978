/* interaction.c: recording interactions, one or many at once, and their daily
 * counts read back; a user's review mark on a question. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* A cursor over the interaction bucket of the rows looked up, kept open while they
 * stay in one bucket: rows looked up in time order then seek forward, mostly within
 * the page the cursor is on. */
typedef struct event_finder {
    eng_rows c;
    int open;
} event_finder;

static void finder_close(event_finder *f)
{
    if (f->open)
        eng_rows_close(&f->c);
    f->open = 0;
}

/* Whether the bucket already holds this very event: same user, time, action and
 * payload. Events share a millisecond only rarely, so this is one seek: to the
 * user's rows at that time in a sealed bucket, to every user's in a raw one. */
static int event_stored(qs_txn *txn, event_finder *f, const qs_interaction *ix, int *found)
{
    eng_bucket b;
    eng_row row;
    eng_key k;
    *found = 0;
    int rc = eng_bucket_at(txn, ENG_T_INTERACTION, ix->created_at, 0, &b);
    if (rc)
        return rc == QS_NOTFOUND ? 0 : rc;
    if (f->open && f->c.b.dbi != b.dbi)
        finder_close(f);
    if (!f->open) {
        if ((rc = eng_rows_open(&f->c, txn, &b)) != 0)
            return rc;
        f->open = 1;
    }
    int by_time = eng_bucket_in_time_order(&b);
    eng_row_seek_key(&k, &b, ix->user, ix->created_at);
    if ((rc = eng_rows_seek(&f->c, &k, 0)) == 0)
        while (!*found && (rc = eng_rows_next(&f->c, &row)) == 0 &&
               row.i.created_at == ix->created_at && (by_time || row.i.user == ix->user))
            *found = row.i.user == ix->user && row.i.action == ix->action &&
                     row.i.payload_len == ix->payload_len &&
                     (!ix->payload_len ||
                      memcmp(row.i.payload, ix->payload, ix->payload_len) == 0);
    return rc == QS_NOTFOUND ? 0 : rc;
}

static int interaction_stored(qs_txn *txn, const qs_interaction *ix, int *found)
{
    event_finder f = {0};
    int rc = event_stored(txn, &f, ix, found);
    finder_close(&f);
    return rc;
}

static int interaction_fields(const qs_interaction *ix)
{
    if (ix->payload_len && !ix->payload)
        return eng_fail(QS_INVALID, "interaction with a NULL payload");
    if (ix->created_at < QS_TIME_MIN || ix->created_at >= QS_TIME_MAX)
        return eng_fail(QS_INVALID, "created_at %lld is outside the years 1..9999",
                        (long long)ix->created_at);
    if (ix->payload_len > QS_PAYLOAD_MAX)
        return eng_fail(QS_TOO_LARGE, "payload of %zu bytes is over %d", ix->payload_len,
                        QS_PAYLOAD_MAX);
    return 0;
}

/* What refuses @p ix whatever else the transaction holds, but its user: its fields,
 * its period. */
static int interaction_refused(qs_txn *txn, const qs_interaction *ix)
{
    int rc = interaction_fields(ix);
    return rc ? rc : eng_row_expired(txn, ENG_T_INTERACTION, ix->created_at);
}

/* The row of @p ix alone, without its daily count. */
static int interaction_row_put(qs_txn *txn, const qs_interaction *ix, uint64_t seq)
{
    eng_row row = {.i = {ix->user, ix->created_at, seq, ix->action,
                         (uint16_t)ix->payload_len, ix->payload}};
    int rc = eng_row_put(txn, ENG_T_INTERACTION, &row);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

static int interaction_put(qs_txn *txn, const qs_interaction *ix, uint64_t seq)
{
    int rc = interaction_row_put(txn, ix, seq);
    if (!rc && (rc = eng_idaily_add(txn, ix->user, eng_day(ix->created_at), ix->action, 1)))
        return eng_txn_failed(txn, rc);
    return rc;
}

static int interaction_log(qs_txn *txn, const qs_interaction *ix, uint64_t *seq)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (!ix)
        return eng_fail(QS_INVALID, "qs_interaction_log: NULL interaction");
    if ((rc = interaction_refused(txn, ix)) != 0 || (rc = api_user_exists(txn, ix->user)) != 0)
        return rc;
    int found;
    if ((rc = interaction_stored(txn, ix, &found)) != 0)
        return rc;
    if (found)
        return eng_fail(QS_EXISTS, "user %u already has this %u event at %lld", ix->user,
                        ix->action, (long long)ix->created_at);
    uint64_t s = eng_counter_next(txn, ENG_NEXT_INTERACTION);
    if ((rc = interaction_put(txn, ix, s)) != 0)
        return rc;
    if (seq)
        *seq = s;
    return 0;
}

int qs_interaction_log(qs_txn *txn, const qs_interaction *ix, uint64_t *seq)
{
    ENG_GUARDED(txn, interaction_log(txn, ix, seq));
}

/* ---- many at once: checked in the order given, written in key order */

static int same_event(const qs_interaction *a, const qs_interaction *b)
{
    return a->action == b->action && a->payload_len == b->payload_len &&
           (!a->payload_len || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

/* Each row checked on its own; the ones that pass, placed. */
static int place_interactions(qs_txn *txn, const qs_interaction *ix, size_t n, int *rcs,
                      row_place *place, size_t *n_placed)
{
    *n_placed = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = interaction_refused(txn, &ix[i]);
        if (rc && !api_refuses_row(rc))
            return rc;
        if (rc == 0)
            place[(*n_placed)++] = (row_place){ix[i].user, (uint32_t)i, ix[i].created_at};
        rcs[i] = rc;
    }
    return 0;
}

/* The rows of users not in the store are QS_NOTFOUND: one look for each user. */
static int find_users(qs_txn *txn, const row_place *place, size_t n, int *rcs)
{
    int rc = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == 0 || place[j].user != place[j - 1].user)
            rc = api_user_exists(txn, place[j].user);
        if (rc && !api_refuses_row(rc))
            return rc;
        rcs[place[j].i] = rc;
    }
    return 0;
}

/* Rows that repeat a stored event, or one placed before them, are QS_EXISTS. The
 * rows of one (user, time) are together, in the order given. */
static int find_repeats(qs_txn *txn, const qs_interaction *ix, const row_place *place,
                        size_t n, int *rcs)
{
    event_finder finder = {0};
    size_t group = 0;
    int rc = 0;
    for (size_t j = 0; j < n && !rc; j++) {
        if (place[j].user != place[group].user || place[j].at != place[group].at)
            group = j;
        const qs_interaction *row = &ix[place[j].i];
        if (rcs[place[j].i] != 0)
            continue;
        int found = 0;
        for (size_t k = group; k < j && !found; k++)
            found = rcs[place[k].i] == 0 && same_event(&ix[place[k].i], row);
        if (!found)
            rc = event_stored(txn, &finder, row, &found);
        if (found)
            rcs[place[j].i] = QS_EXISTS;
    }
    finder_close(&finder);
    return rc;
}

/* One user's interactions of one day, counted by action as the rows pass in key
 * order: each (user, day, action) count is then read and written once. */
typedef struct day_counts {
    uint32_t user;
    int32_t day;
    uint32_t n[256];          /* by action */
    uint8_t actions[256];     /* the actions counted, in the order first seen */
    unsigned n_actions;
} day_counts;

static int day_counts_write(qs_txn *txn, day_counts *d)
{
    int rc = 0;
    for (unsigned a = 0; a < d->n_actions && !rc; a++) {
        uint8_t action = d->actions[a];
        rc = eng_idaily_add(txn, d->user, d->day, action, d->n[action]);
        d->n[action] = 0;
    }
    d->n_actions = 0;
    return rc ? eng_txn_failed(txn, rc) : 0;
}

static int day_counts_add(qs_txn *txn, day_counts *d, const qs_interaction *ix)
{
    int32_t day = eng_day(ix->created_at);
    int rc = 0;
    if (d->n_actions && (ix->user != d->user || day != d->day))
        rc = day_counts_write(txn, d);
    d->user = ix->user;
    d->day = day;
    if (d->n[ix->action]++ == 0)
        d->actions[d->n_actions++] = ix->action;
    return rc;
}

/* The rows that pass, written in time order (their buckets' order, so that each is
 * put past the last). */
static int write_rows(qs_txn *txn, const qs_interaction *ix, const row_place *by_time,
                      size_t placed, const int *rcs, const uint64_t *seq)
{
    int rc = 0;
    for (size_t j = 0; !rc && j < placed; j++) {
        uint32_t i = by_time[j].i;
        if (rcs[i] == 0)
            rc = interaction_row_put(txn, &ix[i], seq[i]);
    }
    return rc;
}

/* The daily counts of the rows that pass, summed per (user, day, action) as the rows
 * pass in (user, time) order. */
static int write_day_counts(qs_txn *txn, const qs_interaction *ix, const row_place *by_user,
                            size_t placed, const int *rcs)
{
    day_counts days = {0};
    int rc = 0;
    for (size_t j = 0; !rc && j < placed; j++)
        if (rcs[by_user[j].i] == 0)
            rc = day_counts_add(txn, &days, &ix[by_user[j].i]);
    return rc ? rc : day_counts_write(txn, &days);
}

static int time_cmp(const void *pa, const void *pb)
{
    const row_place *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return api_place_cmp(pa, pb);
}

/* Sorted by user, the rows' users are looked up once each; by time, the stored events
 * they might repeat are looked for, and the rows written, in their buckets' order. */
static int log_placed(qs_txn *txn, const qs_interaction *ix, size_t n, int *rcs,
                      row_place *by_user, row_place *by_time, size_t placed, uint64_t *seq)
{
    qsort(by_user, placed, sizeof *by_user, api_place_cmp);
    int rc = find_users(txn, by_user, placed, rcs);
    memcpy(by_time, by_user, placed * sizeof *by_time);
    qsort(by_time, placed, sizeof *by_time, time_cmp);
    if (!rc)
        rc = find_repeats(txn, ix, by_time, placed, rcs);
    /* sequence numbers in the order given, as one call per row would take them */
    for (size_t i = 0; !rc && i < n; i++)
        seq[i] = rcs[i] == 0 ? eng_counter_next(txn, ENG_NEXT_INTERACTION) : 0;
    if (!rc)
        rc = write_rows(txn, ix, by_time, placed, rcs, seq);
    return rc ? rc : write_day_counts(txn, ix, by_user, placed, rcs);
}

static int interaction_log_many(qs_txn *txn, const qs_interaction *ix, size_t n, int *rcs,
                                uint64_t *seqs)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if ((n && !ix) || (n && !rcs) || n > UINT32_MAX)
        return eng_fail(QS_INVALID, "qs_interaction_log_many: NULL rows or codes, or over "
                        "2^32 rows");
    row_place *place = malloc((n ? n : 1) * 2 * sizeof *place);   /* by user, by time */
    uint64_t *seq = seqs ? seqs : malloc((n ? n : 1) * sizeof *seq);
    if (!place || !seq) {
        free(place);
        if (seq != seqs)
            free(seq);
        return eng_fail(ENOMEM, "out of memory");
    }
    size_t placed;
    rc = place_interactions(txn, ix, n, rcs, place, &placed);
    if (!rc)
        rc = log_placed(txn, ix, n, rcs, place, place + n, placed, seq);
    free(place);
    if (seq != seqs)
        free(seq);
    return rc;
}

int qs_interaction_log_many(qs_txn *txn, const qs_interaction *ix, size_t n, int *rcs,
                            uint64_t *seqs)
{
    ENG_GUARDED(txn, interaction_log_many(txn, ix, n, rcs, seqs));
}

static int interaction_days(qs_txn *txn, uint32_t user, int32_t from_day, int32_t to_day,
                            qs_interaction_day *rows, size_t cap, size_t *n)
{
    int rc = eng_usable(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows) || from_day > to_day)
        return eng_fail(QS_INVALID, "qs_interaction_days: NULL output or empty range");
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    eng_iter it;
    eng_key k;
    size_t total = 0;
    eng_idaily_key(&k, user, from_day, 0);
    rc = eng_iter_open(txn, ENG_IDAILY, &it);
    eng_iter_within(&it, k.b, 4);
    for (rc = rc ? rc : eng_iter_seek(&it, k.b, k.n); rc == 0; rc = eng_iter_next(&it)) {
        qs_interaction_day d;
        if ((rc = eng_idaily_decode(&it.key, &it.val, &d)) != 0)
            break;
        if (d.day > to_day)
            break;
        if (total < cap)
            rows[total] = d;
        total++;
    }
    eng_iter_close(&it);
    *n = total;
    return rc == ENG_END ? 0 : rc;
}

int qs_interaction_days(qs_txn *txn, uint32_t user, int32_t from_day, int32_t to_day,
                        qs_interaction_day *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, interaction_days(txn, user, from_day, to_day, rows, cap, n));
}

static int question_mark(qs_txn *txn, uint32_t user, uint32_t question, int marked)
{
    int rc = eng_writable(txn);
    if (rc)
        return rc;
    if (marked != 0 && marked != 1)
        return eng_fail(QS_INVALID, "marked must be 0 or 1");
    eng_question q;
    qs_user_question s;
    if ((rc = api_user_exists(txn, user)) != 0)
        return rc;
    if ((rc = eng_question_head(txn, question, &q)) != 0)
        return rc == QS_NOTFOUND ? api_missing("question", question) : rc;
    rc = eng_uq_get(txn, user, question, &s);
    if (rc && rc != QS_NOTFOUND)
        return rc;
    if (rc == 0 && s.marked == marked)
        return 0;
    s.marked = (uint8_t)marked;
    rc = eng_uq_put(txn, user, question, &s);
    return rc ? eng_txn_failed(txn, rc) : 0;
}

int qs_question_mark(qs_txn *txn, uint32_t user, uint32_t question, int marked)
{
    ENG_GUARDED(txn, question_mark(txn, user, question, marked));
}
