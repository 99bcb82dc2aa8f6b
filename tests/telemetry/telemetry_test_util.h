/* Shared by the telemetry tests: a base video made by synth-video (once per process) and the
 * checks of a read fix or sample against the scene the writers wrote. */
#ifndef TELEMETRY_TEST_UTIL_H
#define TELEMETRY_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/telemetry.h"
#include "telemetry_writers.h"

#define DEG_TOL 1e-5
#define KMH_TOL 0.1

/* DC_TEST_TMP/telemetry/<name> */
static inline const char *tt_path(const char *name) {
    static char path[8][4096];
    static int next;
    const char *tmp = getenv("DC_TEST_TMP");
    char *p = path[next++ % 8];
    snprintf(p, 4096, "%s/telemetry/%s", tmp ? tmp : "/tmp", name);
    return p;
}

/* DC_TEST_TMP/telemetry/<stem>-<pid>.<ext>: a 6 s video without telemetry (synth-video's plain
 * scene; the container from the extension), made once per process into path[4096]. */
static inline const char *tt_plain_video(char *path, const char *stem, const char *ext) {
    if (path[0]) return path;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) {
        fprintf(stderr, "DC_TEST_TMP and DC_BIN must be set (run through ctest)\n");
        return NULL;
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/telemetry'", tmp);
    if (system(cmd) != 0) return NULL;
    snprintf(path, 4096, "%s/telemetry/%s-%d.%s", tmp, stem, (int)getpid(), ext);
    snprintf(cmd, sizeof cmd,
             "'%s/synth-video' --scene plain --duration 6 --size 64x36 --fps 10 -o '%s' "
             ">/dev/null 2>&1",
             bin, path);
    if (system(cmd) != 0) {
        path[0] = 0;
        return NULL;
    }
    return path;
}

/* The plain MP4 (moov first) and MPEG-TS bases. */
static inline const char *tt_base_video(void) {
    static char path[4096];
    return tt_plain_video(path, "base", "mp4");
}
static inline const char *tt_base_ts(void) {
    static char path[4096];
    return tt_plain_video(path, "base", "ts");
}

/* The writers' default scene (a steady drive, the jolt at the impact). */
static inline tw_scene tt_scene(void) {
    tw_scene s;
    tw_scene_default(&s);
    return s;
}

/* Reads path, which must not fail (cmocka: include <cmocka.h> first); a degraded read is
 * printed, for the test's own assertions to judge. */
static inline void tt_read_ok(const char *path, dc_telemetry *t) {
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_telemetry_read(path, dc_deadline_in(30), t, &st), DC_OK);
    if (t->degraded) fprintf(stderr, "%s: degraded: %s\n", path, t->reason);
}

/* Position and speed of every fix equal the scene's (speed within kmh_tol: some formats store
 * whole units), and its UTC to the millisecond when utc; for formats without heading. */
static inline int tt_check_positions(const tw_scene *s, const dc_telemetry *t, double kmh_tol,
                                     bool utc) {
    int bad = 0;
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        tw_fix w = tw_fix_at(s, f->t_sec);
        if (!f->valid || fabs(f->lat - w.lat) > DEG_TOL || fabs(f->lon - w.lon) > DEG_TOL ||
            fabs(f->speed_kmh - w.speed_kmh) > kmh_tol ||
            (utc && llabs(f->utc_ms - w.utc_ms) > 1)) {
            if (bad++ < 3)
                fprintf(stderr, "fix %d at %.3f: %.7f %.7f %.2f %lld, wrote %.7f %.7f %.2f %lld\n",
                        i, f->t_sec, f->lat, f->lon, f->speed_kmh, (long long)f->utc_ms, w.lat,
                        w.lon, w.speed_kmh, (long long)w.utc_ms);
        }
    }
    return bad;
}

/* Every fix equals the scene at its time (position 1e-5 deg, speed 0.1 km/h, UTC 1 ms). */
static inline int tt_check_fixes(const tw_scene *s, const dc_telemetry *t, bool heading) {
    int bad = 0;
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        tw_fix w = tw_fix_at(s, f->t_sec);
        bool ok = f->valid && fabs(f->lat - w.lat) <= DEG_TOL && fabs(f->lon - w.lon) <= DEG_TOL &&
                  fabs(f->speed_kmh - w.speed_kmh) <= KMH_TOL && f->utc_ms != DC_TELEMETRY_NO_UTC &&
                  llabs(f->utc_ms - w.utc_ms) <= 1 &&
                  (!heading || fabs(f->heading_deg - w.heading_deg) <= 0.01);
        if (!ok && bad++ < 3)
            fprintf(stderr,
                    "fix %d at %.3f s: read %.7f %.7f %.2f km/h %.2f deg utc %lld valid %d, "
                    "wrote %.7f %.7f %.2f km/h utc %lld\n",
                    i, f->t_sec, f->lat, f->lon, f->speed_kmh, f->heading_deg, (long long)f->utc_ms,
                    f->valid, w.lat, w.lon, w.speed_kmh, (long long)w.utc_ms);
    }
    return bad;
}

/* Every sample equals the scene's acceleration at its time within tol g. */
static inline int tt_check_accel(const tw_scene *s, const dc_telemetry *t, double tol) {
    int bad = 0;
    for (int i = 0; i < t->accel_count; i++) {
        const dc_accel_sample *a = &t->accel[i];
        double x, y, z;
        tw_accel_at(s, a->t_sec, &x, &y, &z);
        if ((fabs(a->x - x) > tol || fabs(a->y - y) > tol || fabs(a->z - z) > tol) && bad++ < 3)
            fprintf(stderr, "sample %d at %.3f s: read %.4f %.4f %.4f, wrote %.4f %.4f %.4f\n", i,
                    a->t_sec, a->x, a->y, a->z, x, y, z);
    }
    return bad;
}

/* Time of the largest |x| (the jolt). */
static inline double tt_peak_time(const dc_telemetry *t) {
    double best = -1, at = -1;
    for (int i = 0; i < t->accel_count; i++)
        if (fabs(t->accel[i].x) > best) best = fabs(t->accel[i].x), at = t->accel[i].t_sec;
    return at;
}

static inline void tt_free_bufs(tw_buf *b, int n) {
    for (int i = 0; i < n; i++) tw_buf_free(&b[i]);
}

#endif
