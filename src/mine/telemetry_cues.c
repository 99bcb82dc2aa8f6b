/* The telemetry's cues: a G-sensor jolt and a GPS speed drop on the mining timeline (see
 * dc_mine_telemetry_features in mine.h for the measures).
 *
 * The jolt is scored on an absolute scale in g as well as against the file's noise: a
 * dashcam's G-sensor is calibrated (1 g is 1 g in every file), so a 2-g spike is a hit in a
 * quiet file and in a rough one alike, while a rough road's own shaking raises the bar above
 * the absolute floor: a jolt must stand 6 robust deviations above the ticks' median, and at
 * least twice that median (per-tick peaks of a rough road are steady, so their spread alone
 * would let a pothole that is merely its worst one through). Scoring against
 * the noise alone would make the busiest pothole of a smooth drive a crash.
 *
 * The moving average over +-0.5 s (prefix sums: linear in the samples, about 1 M at most)
 * holds gravity, the mount's tilt and a braking that lasts; what departs from it within half
 * a second is the jolt. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

#define JOLT_AVERAGE_SEC 0.5
#define JOLT_NOISE_Z 6.0
#define DROP_WITHIN_SEC 2.0

static float clamp01f(double x) { return (float)(x < 0 ? 0 : x > 1 ? 1 : x); }

static bool jolt_track(const dc_telemetry *t, double hz, int n, float *jolt) {
    int m = t->accel_count;
    double *sum = malloc(sizeof(double) * 3 * ((size_t)m + 1));
    float *raw = malloc(sizeof(float) * (size_t)n), *scratch = malloc(sizeof(float) * (size_t)n);
    if (!sum || !raw || !scratch) {
        free(sum);
        free(raw);
        free(scratch);
        return false;
    }
    double *sx = sum, *sy = sum + m + 1, *sz = sum + 2 * (m + 1);
    sx[0] = sy[0] = sz[0] = 0;
    for (int i = 0; i < m; i++) {
        sx[i + 1] = sx[i] + t->accel[i].x;
        sy[i + 1] = sy[i] + t->accel[i].y;
        sz[i + 1] = sz[i] + t->accel[i].z;
    }
    for (int i = 0; i < n; i++) raw[i] = NAN;
    int lo = 0, hi = 0; /* the samples within +-JOLT_AVERAGE_SEC: [lo, hi) */
    for (int i = 0; i < m; i++) {
        double ti = t->accel[i].t_sec;
        while (lo < i && t->accel[lo].t_sec < ti - JOLT_AVERAGE_SEC) lo++;
        if (hi < i + 1) hi = i + 1;
        while (hi < m && t->accel[hi].t_sec <= ti + JOLT_AVERAGE_SEC) hi++;
        double k = hi - lo;
        double dx = t->accel[i].x - (sx[hi] - sx[lo]) / k,
               dy = t->accel[i].y - (sy[hi] - sy[lo]) / k,
               dz = t->accel[i].z - (sz[hi] - sz[lo]) / k;
        double g = sqrt(dx * dx + dy * dy + dz * dz);
        long tick = lround(ti * hz);
        if (tick < 0 || tick >= n) continue;
        if (isnan(raw[tick]) || g > raw[tick]) raw[tick] = (float)g;
    }
    /* the file's noise: the ticks' median and robust spread (ticks without samples left out) */
    float med = mine_median(raw, n, scratch);
    double low = DC_MINE_JOLT_LOW_G;
    if (isfinite(med)) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (isfinite(raw[i])) scratch[k++] = fabsf(raw[i] - med);
        double mad = k ? dc_select_float(scratch, k, k / 2) : 0;
        low = fmax(low, med + fmax(JOLT_NOISE_Z * 1.4826 * mad, med));
    }
    for (int i = 0; i < n; i++)
        jolt[i] = isfinite(raw[i]) ? clamp01f((raw[i] - low) / DC_MINE_JOLT_SPAN_G) : 0;
    free(sum);
    free(raw);
    free(scratch);
    return true;
}

static bool has_speed(const dc_gps_fix *f) { return f->valid && f->speed_kmh >= 0; }

static void drop_track(const dc_telemetry *t, double hz, int n, float *drop) {
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        if (!has_speed(f)) continue;
        int slowest = -1;
        for (int j = i + 1; j < t->gps_count && t->gps[j].t_sec <= f->t_sec + DROP_WITHIN_SEC; j++)
            if (has_speed(&t->gps[j]) &&
                (slowest < 0 || t->gps[j].speed_kmh < t->gps[slowest].speed_kmh))
                slowest = j;
        if (slowest < 0) continue;
        double fall = f->speed_kmh - t->gps[slowest].speed_kmh;
        float score = clamp01f((fall - DC_MINE_DROP_LOW_KMH) /
                               (DC_MINE_DROP_FULL_KMH - DC_MINE_DROP_LOW_KMH));
        if (score <= 0) continue;
        long a = lround(f->t_sec * hz), b = lround(t->gps[slowest].t_sec * hz);
        for (long k = a < 0 ? 0 : a; k <= b && k < n; k++)
            if (score > drop[k]) drop[k] = score;
    }
}

bool dc_mine_telemetry_features(const dc_telemetry *t, double hz, int n, float *jolt,
                                float *speed_drop, bool *has_accel, bool *has_speed_out) {
    if (has_accel) *has_accel = false;
    if (has_speed_out) *has_speed_out = false;
    if (jolt && n > 0) memset(jolt, 0, sizeof(float) * (size_t)n);
    if (speed_drop && n > 0) memset(speed_drop, 0, sizeof(float) * (size_t)n);
    if (!t || !t->source || n <= 0 || !(hz > 0)) return true;
    bool ok = true;
    if (jolt && t->accel_count > 0) {
        ok = jolt_track(t, hz, n, jolt);
        if (has_accel) *has_accel = ok;
    }
    int speeds = 0;
    for (int i = 0; i < t->gps_count; i++) speeds += has_speed(&t->gps[i]);
    if (speed_drop && speeds > 1) {
        drop_track(t, hz, n, speed_drop);
        if (has_speed_out) *has_speed_out = true;
    }
    return ok;
}
