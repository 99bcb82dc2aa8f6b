/* Files and folders given on a command line -> the video files to group. A folder is read
 * recursively (the camera's Normal/Front, Normal/Back, TeslaCam/SavedClips/<time>/...), each
 * folder's entries sorted by name so that the result does not depend on the file system's
 * order; symbolic links to folders are not followed (no loops), hidden entries are skipped. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "group_internal.h"

enum { MAX_DEPTH = 16 };

typedef struct {
    char **items;
    int count, cap;
    bool failed;
} path_list;

static bool push(path_list *l, const char *path) {
    if (l->failed) return false;
    if (l->count == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        char **grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (!grown) return !(l->failed = true);
        l->items = grown;
        l->cap = cap;
    }
    char *copy = strdup(path);
    if (!copy) return !(l->failed = true);
    l->items[l->count++] = copy;
    return true;
}

static bool is_video_name(const char *name) {
    static const char *const exts[] = {".mp4", ".mov", ".ts", ".mkv", ".avi", ".m4v"};
    const char *dot = strrchr(name, '.');
    if (!dot) return false;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot, exts[i])) return true;
    return false;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_folder(const char *dir, int depth, path_list *out) {
    if (depth > MAX_DEPTH || out->failed) return;
    DIR *d = opendir(dir);
    if (!d) return;
    path_list names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') push(&names, e->d_name);
    closedir(d);
    if (names.failed) out->failed = true;
    if (names.count > 1)
        qsort(names.items, (size_t)names.count, sizeof *names.items, compare_names);
    size_t dlen = strlen(dir);
    bool slash = dlen > 0 && dir[dlen - 1] == '/';
    for (int i = 0; i < names.count && !out->failed; i++) {
        size_t need = dlen + 1 + strlen(names.items[i]) + 1;
        char *path = malloc(need);
        if (!path) {
            out->failed = true;
            break;
        }
        snprintf(path, need, "%s%s%s", dir, slash ? "" : "/", names.items[i]);
        struct stat sb;
        if (lstat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) read_folder(path, depth + 1, out);
            else if (is_video_name(names.items[i])) push(out, path);
        }
        free(path);
    }
    dc_group_paths_free(names.items, names.count);
}

dc_error_class dc_group_expand_paths(const char *const *paths, int count, char ***out,
                                     int *out_count, dc_status *st) {
    *out = NULL;
    *out_count = 0;
    path_list l = {0};
    for (int i = 0; i < count && !l.failed; i++) {
        const char *p = paths[i] ? paths[i] : "";
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) read_folder(p, 0, &l);
        else push(&l, p); /* a file, or what is not one: the pipeline says why */
    }
    if (l.failed) {
        dc_group_paths_free(l.items, l.count);
        return dc_fail(st, DC_ERR_RESOURCE, "grouping: out of memory listing the input files");
    }
    *out = l.items;
    *out_count = l.count;
    return DC_OK;
}

void dc_group_paths_free(char **paths, int count) {
    if (!paths) return;
    for (int i = 0; i < count; i++) free(paths[i]);
    free(paths);
}
