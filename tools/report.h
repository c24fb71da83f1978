/* report.h: the part-by-part reports of `quizstore check`, `index verify` and
 * `pools verify`, on stdout.
 *
 * A report has one row per part checked: its name, how many items it checked, one or
 * two counts of findings, and the first finding ("" when there is none). As a table:
 *
 *     part                        checked  findings
 *     questions                       120         0
 *       note: 3 questions have no text
 *
 * or as JSON, one object a row, keys in this order:
 *
 *     {"parts": [{"name": "questions", "checked": 120, "findings": 0,
 *                 "first_finding": null}, ...], "ok": true}
 *
 * "ok" is true when no row counted a finding.
 */
#ifndef QS_REPORT_H
#define QS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "json_out.h"

#define REPORT_MAX_COUNTS 2

/* What a kind of report calls its rows and counts, and its table's widths. */
typedef struct report_form {
    const char *list;                      /* JSON: the key of the rows ("parts") */
    const char *head;                      /* table: the name column's heading ("part") */
    int name_width, count_width;           /* table: the columns' widths */
    const char *count[REPORT_MAX_COUNTS];  /* the counts' names; NULL after the last */
    const char *note;                      /* table: the label of a first finding in a row
                                              that counted none; NULL: "first finding" */
} report_form;

typedef struct report {
    const report_form *form;
    int json;
    int clean;   /* no row so far counted a finding */
    jw w;
} report;

/* Start a report of @p form: the table's heading, or the JSON object. */
void report_begin(report *r, const report_form *form, int json);
/* One row; @p counts has as many as the form names. */
void report_row(report *r, const char *name, uint64_t checked, const uint64_t *counts,
                const char *first_finding);
/* End the report (JSON: "ok"). */
void report_end(report *r);

#endif /* QS_REPORT_H */
