/* output.c: an output file must not be an input or the store (see cli.h).
 *
 * Paths are compared by what they name, not by how they are spelled: a symlink, a
 * hard link, "./a.csv" and "dir/../a.csv" all name the input a.csv. A file that
 * exists is its (st_dev, st_ino) after following symlinks. A file that does not exist
 * yet is the directory that would hold it, by (st_dev, st_ino), and its name there; a
 * dangling symlink is followed to the file it would create.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Symlinks followed before a path is given up on (Linux's own limit). */
#define LINK_HOPS 40

typedef struct file_id {
    int known;          /* 0: the path names nothing that could be written (no directory) */
    int exists;
    dev_t dev;          /* the file's, or the directory's for a file not there yet */
    ino_t ino;
    char name[NAME_MAX + 1]; /* a file not there yet: its name in that directory */
} file_id;

/* A path that does not exist: the directory that would hold it and its name. */
static void id_of_new(const char *path, file_id *id)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t dir_len = slash ? (size_t)(slash - path) : 0;
    struct stat st;
    if (*name == '\0' || strlen(name) > NAME_MAX || dir_len >= sizeof dir)
        return; /* "dir/": a directory, never created by opening a file */
    if (!slash)
        strcpy(dir, ".");
    else if (dir_len == 0)
        strcpy(dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)dir_len, path);
    if (stat(dir, &st) != 0)
        return;
    id->known = 1;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    strcpy(id->name, name);
}

/* The symlink at @p path points to @p target: the path of the target, relative to
 * the link's directory, into @p out (PATH_MAX bytes). -1 when it is too long. */
static int link_path(const char *path, const char *target, char *out)
{
    const char *slash = strrchr(path, '/');
    int n;
    if (target[0] == '/' || !slash)
        n = snprintf(out, PATH_MAX, "%s", target);
    else
        n = snprintf(out, PATH_MAX, "%.*s/%s", (int)(slash - path), path, target);
    return n >= 0 && n < PATH_MAX ? 0 : -1;
}

static void id_of_path(const char *path, file_id *id)
{
    char a[PATH_MAX], b[PATH_MAX], target[PATH_MAX];
    char *p = a, *next = b;
    struct stat st;
    memset(id, 0, sizeof *id);
    if (snprintf(p, PATH_MAX, "%s", path) >= PATH_MAX)
        return;
    for (int hops = 0; hops < LINK_HOPS; hops++) {
        if (stat(p, &st) == 0) {
            id->known = id->exists = 1;
            id->dev = st.st_dev;
            id->ino = st.st_ino;
            return;
        }
        if (errno != ENOENT)
            return;
        ssize_t n = readlink(p, target, sizeof target - 1);
        if (n < 0) {
            id_of_new(p, id); /* not a symlink: a file not there yet */
            return;
        }
        target[n] = '\0'; /* a dangling symlink: follow it to what it would create */
        if (link_path(p, target, next) != 0)
            return;
        char *t = p;
        p = next;
        next = t;
    }
}

static int same_id(const file_id *a, const file_id *b)
{
    return a->known && b->known && a->exists == b->exists && a->dev == b->dev &&
           a->ino == b->ino && (a->exists || strcmp(a->name, b->name) == 0);
}

/* An input path; "-" is standard input when it is a regular file (a shell's
 * `< FILE`) or a pipe (which /dev/stdin names: rejects written into it would be read
 * back). A terminal or a device is no file to protect. */
static void id_of_input(const char *input, file_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (strcmp(input, "-") != 0) {
        id_of_path(input, id);
    } else if (fstat(STDIN_FILENO, &st) == 0 && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
        id->known = id->exists = 1;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
    }
}

/* Into @p what, what @p out is among the store's files; 0, or -1 when none. */
static int store_clash(const file_id *out, const char *store, char *what, size_t len)
{
    static const struct {
        const char *file, *role;
    } parts[] = {{"", "the store directory"},
                 {"/data.mdb", "the store's data file"},
                 {"/lock.mdb", "the store's lock file"}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char path[PATH_MAX];
        file_id id;
        snprintf(path, sizeof path, "%s%s", store, parts[i].file);
        id_of_path(path, &id);
        if (same_id(out, &id)) {
            snprintf(what, len, "%s %s", parts[i].role, path);
            return 0;
        }
    }
    return -1;
}

int output_check(const char *context, const char *option, const char *path,
                 const char *const *inputs, size_t n_inputs, const char *store)
{
    char what[PATH_MAX + 64];
    file_id out, id;
    id_of_path(path, &out);
    if (!out.known)
        return 0; /* opening it fails, and says why */
    for (size_t i = 0; i < n_inputs; i++) {
        id_of_input(inputs[i], &id);
        if (same_id(&out, &id)) {
            if (strcmp(inputs[i], "-") == 0)
                snprintf(what, sizeof what, "standard input");
            else
                snprintf(what, sizeof what, "the input file %s", inputs[i]);
            goto clash;
        }
    }
    if (store && store_clash(&out, store, what, sizeof what) == 0)
        goto clash;
    return 0;
clash:
    msg("%s: %s %s is %s: give another file", context, option, path, what);
    return -1;
}
