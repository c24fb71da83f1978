/* check.c: qs_check() and qs_repair().
 *
 * The check's rows: the pages of the data file, then every fixed database holding
 * records, then every bucket, then the indexes and pools (qs_index_verify()), then the
 * aggregates recomputed. Damaged pages stop the check after its first row: the rest
 * would follow their pointers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* The databases nothing else is derived from: a damaged record there is lost data. */
static const eng_db primary_dbs[] = {ENG_META, ENG_XID, ENG_SUBJECT, ENG_SYSTEM, ENG_TOPIC,
                                     ENG_QUESTION, ENG_USER, ENG_TEST, ENG_BUCKETS};

typedef struct report_list {
    qs_check_report *rows;
    size_t n, cap;
} report_list;

static qs_check_report *report_add(report_list *l, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        qs_check_report *p = realloc(l->rows, cap * sizeof *p);
        if (!p)
            return NULL;
        l->rows = p;
        l->cap = cap;
    }
    qs_check_report *r = &l->rows[l->n++];
    eng_report_init(r, name);
    return r;
}

/* The pages row; *damaged when it has findings (then a row says what was left). */
static int check_pages(qs_txn *txn, report_list *l, int *damaged)
{
    qs_check_report *r = report_add(l, "pages");
    int rc = r ? eng_pages_check(eng_env(txn), r) : ENOMEM;
    *damaged = rc == 0 && r->findings > 0;
    if (*damaged && !(r = report_add(l, "records")))
        return ENOMEM;
    if (*damaged)
        snprintf(r->first_finding, sizeof r->first_finding, "not checked: the data file's "
                 "pages are damaged (see 'pages'); restore the store from a backup");
    return rc;
}

static int check_records(qs_txn *txn, report_list *l)
{
    int rc = 0;
    for (int db = 0; db < ENG_DB_COUNT && !rc; db++) {
        if (!eng_db_holds_records((eng_db)db))
            continue;
        qs_check_report *r = report_add(l, eng_db_name((eng_db)db));
        rc = r ? eng_check_db(txn, (eng_db)db, r) : ENOMEM;
    }
    return rc;
}

static int check_buckets(qs_txn *txn, report_list *l)
{
    int rc = 0;
    for (eng_table t = ENG_T_ANSWER; !rc && t <= ENG_T_INTERACTION; t++) {
        eng_bucket_iter it;
        rc = eng_bucket_iter_open(&it, txn, t, QS_TIME_MIN, QS_TIME_MAX, 0);
        while (!rc && (rc = eng_bucket_iter_next(&it)) == 0) {
            qs_check_report *r = report_add(l, it.b.name);
            rc = r ? eng_bucket_check(txn, &it.b, r) : ENOMEM;
        }
        eng_bucket_iter_close(&it);
        if (rc == QS_NOTFOUND)
            rc = 0;
    }
    return rc;
}

/* A part that stopped at a damaged record: one finding naming it (the record checks
 * count it where it lies). */
static int stopped_at_damage(report_list *l, const char *part)
{
    qs_check_report *r = report_add(l, part);
    if (!r)
        return ENOMEM;
    eng_report_finding(r, "stopped at damage: %s", qs_errmsg());
    return 0;
}

static int check_indexes(qs_txn *txn, report_list *l)
{
    qs_index_report idx[32];
    size_t n;
    int rc = idx_verify(txn, idx, 32, &n);
    if (rc == QS_CORRUPT)
        return stopped_at_damage(l, "indexes");
    for (size_t i = 0; !rc && i < n && i < 32; i++) {
        char name[40];
        snprintf(name, sizeof name, "index:%.25s", idx[i].name);
        qs_check_report *r = report_add(l, name);
        if (!r)
            return ENOMEM;
        r->checked = idx[i].checked;
        r->findings = idx[i].missing + idx[i].extra;
        memcpy(r->first_finding, idx[i].first_finding, sizeof r->first_finding);
    }
    return rc;
}

static int check_aggregates(qs_txn *txn, report_list *l)
{
    qs_check_report agg[16];
    size_t n;
    int rc = idx_check_aggregates(txn, agg, 16, &n);
    if (rc == QS_CORRUPT)
        return stopped_at_damage(l, "aggregates");
    for (size_t i = 0; !rc && i < n && i < 16; i++) {
        qs_check_report *r = report_add(l, agg[i].name);
        if (!r)
            return ENOMEM;
        *r = agg[i];
    }
    return rc;
}

static int check(qs_txn *txn, qs_check_report *rows, size_t cap, size_t *n)
{
    int rc = eng_usable_to_check(txn);
    if (rc)
        return rc;
    if (!n || (cap && !rows))
        return eng_fail(QS_INVALID, "qs_check: NULL output");
    report_list l = {0};
    int damaged = 0;
    rc = check_pages(txn, &l, &damaged);
    if (!rc && !damaged)
        rc = check_records(txn, &l);
    if (!rc && !damaged)
        rc = check_buckets(txn, &l);
    if (!rc && !damaged)
        rc = check_indexes(txn, &l);
    if (!rc && !damaged)
        rc = check_aggregates(txn, &l);
    if (rc == ENOMEM)
        eng_fail(rc, "out of memory for the check's report");
    if (!rc) {
        memcpy(rows, l.rows, (l.n < cap ? l.n : cap) * sizeof *rows);
        *n = l.n;
    }
    free(l.rows);
    return rc;
}

int qs_check(qs_txn *txn, qs_check_report *rows, size_t cap, size_t *n)
{
    ENG_GUARDED(txn, check(txn, rows, cap, n));
}

/* ------------------------------------------------------------------ repair */

/* QS_CORRUPT, naming the first damaged primary record or bucket row, if any. */
static int primary_damage(qs_txn *txn)
{
    report_list l = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof primary_dbs / sizeof primary_dbs[0]; i++) {
        qs_check_report *r = report_add(&l, eng_db_name(primary_dbs[i]));
        rc = r ? eng_check_db(txn, primary_dbs[i], r) : ENOMEM;
    }
    if (!rc)
        rc = check_buckets(txn, &l);
    for (size_t i = 0; !rc && i < l.n; i++)
        if (l.rows[i].findings)
            rc = eng_fail(QS_CORRUPT, "%s: %s (primary data: restore it from a backup)",
                          l.rows[i].name, l.rows[i].first_finding);
    free(l.rows);
    return rc == ENOMEM ? eng_fail(rc, "out of memory") : rc;
}

static int repair(qs_txn *txn)
{
    int rc = eng_writable(txn);
    if (!rc)
        rc = primary_damage(txn);
    if (!rc)
        rc = idx_repair_aggregates(txn);
    if (!rc)
        rc = api_repair_questions(txn);
    if (!rc)
        rc = api_repair_tests(txn);
    return rc;
}

int qs_repair(qs_txn *txn)
{
    ENG_GUARDED(txn, repair(txn));
}
