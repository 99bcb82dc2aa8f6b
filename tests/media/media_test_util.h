/* Shared by the media tests: making inputs with synth-video into the test scratch folder. */
#ifndef MEDIA_TEST_UTIL_H
#define MEDIA_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Writes DC_TEST_TMP/media/<name> with `synth-video <args> -o ...` and returns its path
 * (static storage, one per call site is enough: callers copy it). NULL on failure. */
static inline const char *media_test_video(const char *name, const char *args) {
    static char path[4096];
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) {
        fprintf(stderr, "DC_TEST_TMP and DC_BIN must be set (run through ctest)\n");
        return NULL;
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/media'", tmp);
    if (system(cmd) != 0) return NULL;
    snprintf(path, sizeof path, "%s/media/%s", tmp, name);
    snprintf(cmd, sizeof cmd, "'%s/synth-video' %s -o '%s' 2>/dev/null", bin, args, path);
    if (system(cmd) != 0) {
        fprintf(stderr, "synth-video failed: %s\n", cmd);
        return NULL;
    }
    return path;
}

static inline const char *media_test_path(const char *name) {
    static char path[4096];
    const char *tmp = getenv("DC_TEST_TMP");
    snprintf(path, sizeof path, "%s/media/%s", tmp ? tmp : "/tmp", name);
    return path;
}

#endif
