/* fields.c: the kinds and their fields, and binding --map/--set/--null to a file's
 * columns (see fields.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

/* ---- the schema ------------------------------------------------------------------ */

static const char *const field_names[FLD_COUNT] = {
    [FLD_ID] = "id",
    [FLD_NAME] = "name",
    [FLD_SUBJECT] = "subject",
    [FLD_SYSTEM] = "system",
    [FLD_TOPIC] = "topic",
    [FLD_DIFFICULTY] = "difficulty",
    [FLD_TYPE] = "type",
    [FLD_ACTIVE] = "active",
    [FLD_CREATED_AT] = "created_at",
    [FLD_CORRECT_OPTION] = "correct_option",
    [FLD_STEM] = "stem",
    [FLD_OPTION0] = "option0",
    [FLD_OPTION0 + 1] = "option1",
    [FLD_OPTION0 + 2] = "option2",
    [FLD_OPTION0 + 3] = "option3",
    [FLD_OPTION0 + 4] = "option4",
    [FLD_OPTION0 + 5] = "option5",
    [FLD_OPTION0 + 6] = "option6",
    [FLD_OPTION7] = "option7",
    [FLD_OPTIONS] = "options",
    [FLD_EXPLANATION] = "explanation",
    [FLD_USER] = "user",
    [FLD_STATUS] = "status",
    [FLD_MODE] = "mode",
    [FLD_LAST_ACTIVITY_AT] = "last_activity_at",
    [FLD_COMPLETED_AT] = "completed_at",
    [FLD_QUESTIONS] = "questions",
    [FLD_OPEN_LIST] = "open_list",
    [FLD_TEST] = "test",
    [FLD_QUESTION] = "question",
    [FLD_CORRECT] = "correct",
    [FLD_CHOSEN] = "chosen",
    [FLD_SCORE] = "score",
    [FLD_TIME_SPENT_MS] = "time_spent_ms",
    [FLD_ACTION] = "action",
    [FLD_PAYLOAD] = "payload",
};

#define BIT(f) (UINT64_C(1) << (f))
#define OPTION_BITS (((UINT64_C(1) << 8) - 1) << FLD_OPTION0)
#define BYTES_BITS                                                                          \
    (BIT(FLD_STEM) | OPTION_BITS | BIT(FLD_OPTIONS) | BIT(FLD_EXPLANATION) | BIT(FLD_PAYLOAD))

typedef struct kind_spec {
    const char *name;
    uint64_t fields;   /* every field of the kind */
    uint64_t required;
    const char *list; /* the fields in schema order, for messages */
} kind_spec;

static const kind_spec kinds[K_COUNT] = {
    [K_SUBJECTS] = {
        "subjects",
        BIT(FLD_ID) | BIT(FLD_NAME),
        BIT(FLD_ID),
        "id, name",
    },
    [K_SYSTEMS] = {
        "systems",
        BIT(FLD_ID) | BIT(FLD_NAME),
        BIT(FLD_ID),
        "id, name",
    },
    [K_TOPICS] = {
        "topics",
        BIT(FLD_ID) | BIT(FLD_SYSTEM) | BIT(FLD_NAME),
        BIT(FLD_ID) | BIT(FLD_SYSTEM),
        "id, system, name",
    },
    [K_QUESTIONS] = {
        "questions",
        BIT(FLD_ID) | BIT(FLD_SUBJECT) | BIT(FLD_SYSTEM) | BIT(FLD_TOPIC) |
            BIT(FLD_DIFFICULTY) | BIT(FLD_TYPE) | BIT(FLD_ACTIVE) | BIT(FLD_CREATED_AT) |
            BIT(FLD_CORRECT_OPTION) | BIT(FLD_STEM) | OPTION_BITS | BIT(FLD_OPTIONS) |
            BIT(FLD_EXPLANATION),
        BIT(FLD_ID) | BIT(FLD_DIFFICULTY) | BIT(FLD_CORRECT_OPTION),
        "id, subject, system, topic, difficulty, type, active, created_at, correct_option, "
        "stem, option0..option7, options, explanation",
    },
    [K_USERS] = {
        "users",
        BIT(FLD_ID) | BIT(FLD_CREATED_AT),
        BIT(FLD_ID),
        "id, created_at",
    },
    [K_TESTS] = {
        "tests",
        BIT(FLD_ID) | BIT(FLD_USER) | BIT(FLD_STATUS) | BIT(FLD_MODE) | BIT(FLD_CREATED_AT) |
            BIT(FLD_LAST_ACTIVITY_AT) | BIT(FLD_COMPLETED_AT) | BIT(FLD_QUESTIONS) |
            BIT(FLD_OPEN_LIST),
        BIT(FLD_ID) | BIT(FLD_USER) | BIT(FLD_STATUS) | BIT(FLD_CREATED_AT),
        "id, user, status, mode, created_at, last_activity_at, completed_at, questions, "
        "open_list",
    },
    [K_ANSWERS] = {
        "answers",
        BIT(FLD_TEST) | BIT(FLD_QUESTION) | BIT(FLD_USER) | BIT(FLD_CORRECT) |
            BIT(FLD_CHOSEN) | BIT(FLD_STATUS) | BIT(FLD_SCORE) | BIT(FLD_TIME_SPENT_MS) |
            BIT(FLD_CREATED_AT),
        BIT(FLD_TEST) | BIT(FLD_QUESTION) | BIT(FLD_CREATED_AT),
        "test, question, user, correct, chosen, status, score, time_spent_ms, created_at",
    },
    [K_INTERACTIONS] = {
        "interactions",
        BIT(FLD_USER) | BIT(FLD_ACTION) | BIT(FLD_CREATED_AT) | BIT(FLD_PAYLOAD),
        BIT(FLD_USER) | BIT(FLD_ACTION) | BIT(FLD_CREATED_AT),
        "user, action, created_at, payload",
    },
};

const char *kind_name(import_kind k) { return kinds[k].name; }
const char *field_name(field_id f) { return field_names[f]; }
int field_in_kind(import_kind k, field_id f) { return (kinds[k].fields & BIT(f)) != 0; }
int field_required(import_kind k, field_id f) { return (kinds[k].required & BIT(f)) != 0; }
int field_holds_bytes(field_id f) { return (BYTES_BITS & BIT(f)) != 0; }

int kind_parse(const char *name, import_kind *k)
{
    for (int i = 0; i < K_COUNT; i++) {
        if (strcmp(kinds[i].name, name) == 0) {
            *k = (import_kind)i;
            return 0;
        }
    }
    return -1;
}

void kind_field_list(import_kind k, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", kinds[k].list);
}

static int field_lookup(const char *name, size_t len, field_id *f)
{
    for (int i = 0; i < FLD_COUNT; i++) {
        if (strlen(field_names[i]) == len && memcmp(field_names[i], name, len) == 0) {
            *f = (field_id)i;
            return 0;
        }
    }
    return -1;
}

/* ---- options --------------------------------------------------------------------- */

static int add(const char **list, size_t *n, const char *arg)
{
    if (*n >= 64)
        return -1;
    list[(*n)++] = arg;
    return 0;
}

int mapping_add_map(mapping *m, const char *arg) { return add(m->maps, &m->n_maps, arg); }
int mapping_add_set(mapping *m, const char *arg) { return add(m->sets, &m->n_sets, arg); }
int mapping_add_null(mapping *m, const char *arg) { return add(m->nulls, &m->n_nulls, arg); }

static int has_column(const char *const *columns, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(columns[i]) == len && memcmp(columns[i], name, len) == 0)
            return 1;
    return 0;
}

static int src_add_column(field_src *src, const char *name, size_t len)
{
    char **cols = realloc(src->columns, (src->n_columns + 1) * sizeof *cols);
    if (!cols)
        return -1;
    src->columns = cols;
    cols[src->n_columns] = strndup(name, len);
    if (!cols[src->n_columns])
        return -1;
    src->n_columns++;
    return 0;
}

/* "FIELD=VALUE" of option @p opt: the field (checked against the kind) and the value. */
static int split_option(const mapping *m, const char *opt, const char *arg, field_id *f,
                        const char **value, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        snprintf(err, errlen, "%s %s: expected FIELD=%s", opt, arg,
                 strcmp(opt, "--set") == 0 ? "VALUE" : "COLUMN");
        return -1;
    }
    if (field_lookup(arg, (size_t)(eq - arg), f) != 0 || !field_in_kind(m->kind, *f)) {
        char list[512];
        kind_field_list(m->kind, list, sizeof list);
        snprintf(err, errlen, "%s %s: %s have no field '%.*s' (fields: %s)", opt, arg,
                 kinds[m->kind].name, (int)(eq - arg), arg, list);
        return -1;
    }
    *value = eq + 1;
    return 0;
}

static int bind_map(field_src *src, const char *map, const char *const *columns,
                    size_t n_columns, field_id f, char *err, size_t errlen)
{
    int csv = columns != NULL;
    if (*map == '\0') {
        snprintf(err, errlen, "--map %s=: no column given", field_names[f]);
        return -1;
    }
    if (csv && has_column(columns, n_columns, map, strlen(map)))
        return src_add_column(src, map, strlen(map));
    for (const char *p = map;;) {
        const char *plus = strchr(p, '+');
        size_t len = plus ? (size_t)(plus - p) : strlen(p);
        if (len == 0) {
            snprintf(err, errlen, "--map %s=%s: empty column name", field_names[f], map);
            return -1;
        }
        if (csv && !has_column(columns, n_columns, p, len)) {
            snprintf(err, errlen, "--map %s=%s: the header has no column '%.*s'",
                     field_names[f], map, (int)len, p);
            return -1;
        }
        if (src_add_column(src, p, len) != 0)
            return -1;
        if (!plus)
            return 0;
        p = plus + 1;
    }
}

int mapping_bind(mapping *m, import_kind kind, const char *const *columns, size_t n_columns,
                 char *err, size_t errlen, char *unused, size_t unused_len)
{
    m->kind = kind;
    for (size_t i = 0; i < m->n_sets; i++) {
        field_id f;
        const char *value;
        if (split_option(m, "--set", m->sets[i], &f, &value, err, errlen) != 0)
            return -1;
        m->src[f].constant = value;
    }
    for (size_t i = 0; i < m->n_maps; i++) {
        field_id f;
        const char *value;
        if (split_option(m, "--map", m->maps[i], &f, &value, err, errlen) != 0)
            return -1;
        if (m->src[f].constant || m->src[f].map) {
            snprintf(err, errlen, "--map %s: field '%s' is already given", m->maps[i],
                     field_names[f]);
            return -1;
        }
        m->src[f].map = value;
    }
    for (int i = 0; i < FLD_COUNT; i++) {
        field_id f = (field_id)i;
        field_src *src = &m->src[f];
        if (!field_in_kind(kind, f) || src->constant)
            continue;
        if (src->map) {
            if (bind_map(src, src->map, columns, n_columns, f, err, errlen) != 0)
                return -1;
            continue;
        }
        if (src_add_column(src, field_names[f], strlen(field_names[f])) != 0)
            return -1;
        if (columns && field_required(kind, f) &&
            !has_column(columns, n_columns, field_names[f], strlen(field_names[f]))) {
            snprintf(err, errlen,
                     "missing required column '%s': add it, or give --map %s=COLUMN "
                     "or --set %s=VALUE",
                     field_names[f], field_names[f], field_names[f]);
            return -1;
        }
    }
    if (unused && unused_len) {
        size_t used_len = 0;
        unused[0] = '\0';
        for (size_t c = 0; columns && c < n_columns; c++) {
            int read = 0;
            for (int f = 0; f < FLD_COUNT && !read; f++)
                for (size_t j = 0; j < m->src[f].n_columns && !read; j++)
                    read = strcmp(m->src[f].columns[j], columns[c]) == 0;
            if (read)
                continue;
            int n = snprintf(unused + used_len, unused_len - used_len, "%s%s",
                             used_len ? ", " : "", columns[c]);
            if (n > 0 && (size_t)n < unused_len - used_len)
                used_len += (size_t)n;
        }
    }
    return 0;
}

void mapping_free(mapping *m)
{
    for (int f = 0; f < FLD_COUNT; f++) {
        for (size_t j = 0; j < m->src[f].n_columns; j++)
            free(m->src[f].columns[j]);
        free(m->src[f].columns);
        m->src[f].columns = NULL;
        m->src[f].n_columns = 0;
    }
}
