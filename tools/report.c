/* report.c: the reports of check and verify (see report.h). */
#include <inttypes.h>
#include <stdio.h>

#include "report.h"

static size_t n_counts(const report_form *form)
{
    size_t n = 0;
    while (n < REPORT_MAX_COUNTS && form->count[n])
        n++;
    return n;
}

void report_begin(report *r, const report_form *form, int json)
{
    r->form = form;
    r->json = json;
    r->clean = 1;
    if (json) {
        jw_init(&r->w, stdout);
        jw_object(&r->w);
        jw_key(&r->w, form->list);
        jw_array(&r->w);
        return;
    }
    printf("%-*s %12s", form->name_width, form->head, "checked");
    for (size_t i = 0; i < n_counts(form); i++)
        printf(" %*s", form->count_width, form->count[i]);
    putchar('\n');
}

void report_row(report *r, const char *name, uint64_t checked, const uint64_t *counts,
                const char *first_finding)
{
    const report_form *form = r->form;
    size_t n = n_counts(form);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found = found || counts[i] != 0;
    r->clean = r->clean && !found;
    if (r->json) {
        jw_row(&r->w);
        jw_kstr(&r->w, "name", name);
        jw_kuint(&r->w, "checked", checked);
        for (size_t i = 0; i < n; i++)
            jw_kuint(&r->w, form->count[i], counts[i]);
        jw_key(&r->w, "first_finding");
        if (first_finding[0])
            jw_str(&r->w, first_finding);
        else
            jw_null(&r->w);
        jw_end_object(&r->w);
        return;
    }
    printf("%-*s %12" PRIu64, form->name_width, name, checked);
    for (size_t i = 0; i < n; i++)
        printf(" %*" PRIu64, form->count_width, counts[i]);
    putchar('\n');
    if (first_finding[0])
        printf("  %s: %s\n", form->note && !found ? form->note : "first finding",
               first_finding);
}

void report_end(report *r)
{
    if (!r->json)
        return;
    jw_end_array(&r->w);
    jw_key(&r->w, "ok");
    jw_bool(&r->w, r->clean);
    jw_end_object(&r->w);
    jw_finish(&r->w);
}
