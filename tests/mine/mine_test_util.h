/* Helpers for the mining tests: make a labelled dashcam video with synth-video and mine it. */
#ifndef MINE_TEST_UTIL_H
#define MINE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dashclaim/claim.h"
#include "dashclaim/media.h"
#include "dashclaim/mine.h"

/* Small and short: mining reads 160x90 thumbnails anyway. */
#define MT_SIZE "256x144"
#define MT_FPS "10"

/* Writes DC_TEST_TMP/<name>.mp4 from a scene; extra is appended to the command line and env
 * is prefixed (e.g. "SV_BLACKOUT=5-15"). Returns a static path, NULL on failure. */
static inline const char *mt_make_video(const char *name, const char *scene, int seed,
                                        double duration, double incident, const char *extra,
                                        const char *env) {
    static char path[4096];
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) return NULL;
    mkdir(tmp, 0755);
    snprintf(path, sizeof path, "%s/mine-%s.mp4", tmp, name);
    char cmd[8192], at[64] = "";
    if (incident >= 0) snprintf(at, sizeof at, "--incident-at %.2f", incident);
    snprintf(cmd, sizeof cmd,
             "%s %s/synth-video --scene %s --duration %.1f %s --size " MT_SIZE " --fps " MT_FPS
             " --seed %d %s -o %s >/dev/null 2>&1",
             env ? env : "", bin, scene, duration, at, seed, extra ? extra : "", path);
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        return NULL;
    }
    return path;
}

/* Mines a video with default options; returns the status code, fills r and st. */
static inline dc_error_class mt_mine(const char *path, dc_mine_result *r, dc_status *st) {
    dc_media *m = dc_media_open(path, (dc_deadline){0}, st);
    if (!m) return st->code;
    dc_error_class e = dc_mine_video(m, NULL, (dc_deadline){0}, r, st);
    dc_media_close(m);
    return e;
}

static inline bool mt_window_contains(const dc_mine_window *w, double t) {
    return t >= w->start_sec && t <= w->end_sec;
}

#endif
