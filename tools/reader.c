/* reader.c: a CSV or JSON Lines file opened, read record by record and closed, by its
 * format (csvin.c, jsonl.c; see reader.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "reader.h"
#include "util/grow.h"

/* ---- opening --------------------------------------------------------------------- */

static file_format format_of_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return FORMAT_AUTO;
    if (strcasecmp(dot, ".csv") == 0)
        return FORMAT_CSV;
    if (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0 ||
        strcasecmp(dot, ".json") == 0)
        return FORMAT_JSONL;
    return FORMAT_AUTO;
}

reader *reader_open(const char *path, file_format format, char *err, size_t errlen)
{
    int is_stdin = strcmp(path, "-") == 0;
    if (format == FORMAT_AUTO && !is_stdin)
        format = format_of_path(path);
    if (format == FORMAT_AUTO) {
        snprintf(err, errlen, "%s: cannot tell the format: use --format csv|jsonl", path);
        return NULL;
    }
    reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->format = format;
    if (is_stdin) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "rb");
        if (!r->f) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            free(r);
            return NULL;
        }
        r->own_file = 1;
        struct stat st;
        if (fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode))
            r->size = (uint64_t)st.st_size;
    }
    setvbuf(r->f, NULL, _IOFBF, 1 << 16);
    if (format == FORMAT_CSV && csv_open(r, err, errlen) != 0) {
        reader_close(r);
        return NULL;
    }
    return r;
}

int reader_next(reader *r, record *rec)
{
    record_clear(rec);
    return r->format == FORMAT_CSV ? csv_next(r, rec) : jsonl_next(r, rec);
}

const char *const *reader_columns(const reader *r, size_t *n)
{
    *n = r->n_columns;
    return (const char *const *)r->columns;
}

file_format reader_format(const reader *r) { return r->format; }
uint64_t reader_offset(const reader *r) { return r->offset; }
uint64_t reader_size(const reader *r) { return r->size; }

void reader_close(reader *r)
{
    if (!r)
        return;
    if (r->format == FORMAT_CSV)
        csv_close(r);
    jsonl_close(r);
    if (r->own_file)
        fclose(r->f);
    for (size_t i = 0; i < r->n_columns; i++)
        free(r->columns[i]);
    free(r->columns);
    free(r->buf);
    free(r->raw);
    free(r);
}
