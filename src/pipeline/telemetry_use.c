/* The dashcam's own data in the record: the summary around the incident, the speed fact, an
 * evidence row, and the model's speed readout held against the GPS.
 *
 * Around the incident (the strongest window's peak; without a window, the accelerometer's
 * peak):
 *   - speed before: the last valid fix from 5 s to 0.25 s before it (the car before the hit);
 *   - speed after: the first valid fix from 1 s to 6 s after it (a crash stops a car within a
 *     second or two; a near-miss drives on);
 *   - position: the valid fix nearest to it within 2 s; UTC: the nearest fix that has one,
 *     within 5 s, moved by the time between them;
 *   - peak acceleration: the largest distance from the file's resting level (the per-axis
 *     median, which holds gravity in whatever way the camera is mounted), in g.
 * The record's facts.speed_kmh is then the GPS speed before the incident (speed_source
 * "telemetry"): a receiver's speed is a measurement, a readout seen on a frame is a reading. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/pipeline.h"

#define BEFORE_FROM_SEC 5.0
#define BEFORE_TO_SEC 0.25
#define AFTER_FROM_SEC 1.0
#define AFTER_TO_SEC 6.0
#define STILL_FROM_SEC 2.0 /* speed_max_before_kmh: from 2 s before to BEFORE_TO_SEC */
#define BRAKE_FROM_SEC 3.0 /* brake_g: from 3 s before to BEFORE_TO_SEC */
#define BRAKE_MIN_SPAN_SEC 0.5
#define POSITION_WITHIN_SEC 2.0
#define UTC_WITHIN_SEC 5.0
/* The model's readout and the GPS disagree when they differ by more than this and by more
 * than SPEED_SHARE of the GPS speed (readouts round, GPS lags a little). */
#define SPEED_TOLERANCE_KMH 10.0
#define SPEED_SHARE 0.15

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The per-axis median of the samples (false when out of memory). */
static bool resting_level(const dc_telemetry *t, float rest[3]) {
    float *v = malloc((size_t)t->accel_count * sizeof *v);
    if (!v) return false;
    for (int axis = 0; axis < 3; axis++) {
        for (int i = 0; i < t->accel_count; i++) {
            const dc_accel_sample *s = &t->accel[i];
            v[i] = axis == 0 ? s->x : axis == 1 ? s->y : s->z;
        }
        qsort(v, (size_t)t->accel_count, sizeof *v, cmp_float);
        rest[axis] = v[t->accel_count / 2];
    }
    free(v);
    return true;
}

static void peak_acceleration(const dc_telemetry *t, dc_telemetry_summary *s) {
    float rest[3];
    if (t->accel_count <= 0 || !resting_level(t, rest)) return;
    double best = -1, at = -1;
    for (int i = 0; i < t->accel_count; i++) {
        const dc_accel_sample *a = &t->accel[i];
        double dx = a->x - rest[0], dy = a->y - rest[1], dz = a->z - rest[2];
        double g = sqrt(dx * dx + dy * dy + dz * dz);
        if (g > best) best = g, at = a->t_sec;
    }
    s->peak_g = best;
    s->peak_sec = at;
}

static bool has_speed(const dc_gps_fix *f) { return f->valid && f->speed_kmh >= 0; }

static void around_incident(const dc_telemetry *t, double inc, dc_telemetry_summary *s) {
    double near_pos = POSITION_WITHIN_SEC, near_utc = UTC_WITHIN_SEC;
    const dc_gps_fix *brake_first = NULL, *brake_last = NULL;
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        double dt = f->t_sec - inc;
        if (has_speed(f) && dt >= -STILL_FROM_SEC && dt <= -BEFORE_TO_SEC &&
            f->speed_kmh > s->speed_max_before_kmh)
            s->speed_max_before_kmh = f->speed_kmh;
        if (has_speed(f) && dt >= -BRAKE_FROM_SEC && dt <= -BEFORE_TO_SEC) {
            if (!brake_first) brake_first = f;
            brake_last = f;
        }
        if (has_speed(f) && dt >= -BEFORE_FROM_SEC && dt <= -BEFORE_TO_SEC)
            s->speed_before_kmh = f->speed_kmh; /* in time order: the last one stays */
        if (has_speed(f) && dt >= AFTER_FROM_SEC && dt <= AFTER_TO_SEC && s->speed_after_kmh < 0)
            s->speed_after_kmh = f->speed_kmh;
        if (f->valid && fabs(dt) <= near_pos) {
            near_pos = fabs(dt);
            s->has_position = true;
            s->lat = f->lat;
            s->lon = f->lon;
        }
        if (f->utc_ms != DC_TELEMETRY_NO_UTC && fabs(dt) <= near_utc) {
            near_utc = fabs(dt);
            s->utc_ms = f->utc_ms - (int64_t)llround(dt * 1000);
        }
    }
    if (brake_first && brake_last->t_sec - brake_first->t_sec >= BRAKE_MIN_SPAN_SEC) {
        double dv = (brake_first->speed_kmh - brake_last->speed_kmh) / 3.6;
        double g = dv / (brake_last->t_sec - brake_first->t_sec) / 9.80665;
        s->brake_g = g > 0 ? g : 0;
    }
}

static void add_evidence_row(dc_assessment *a) {
    const dc_telemetry_summary *s = &a->telemetry;
    if (a->evidence_count >= DC_MAX_EVIDENCE) return;
    char peak[64] = "no accelerometer", speed[96] = "no GPS speed", where[96] = "";
    if (s->peak_g >= 0)
        snprintf(peak, sizeof peak, "peak %.2f g at %.2f s", s->peak_g, s->peak_sec);
    if (s->speed_before_kmh >= 0 || s->speed_after_kmh >= 0) {
        char b[16] = "?", af[16] = "?";
        if (s->speed_before_kmh >= 0) snprintf(b, sizeof b, "%.0f", s->speed_before_kmh);
        if (s->speed_after_kmh >= 0) snprintf(af, sizeof af, "%.0f", s->speed_after_kmh);
        snprintf(speed, sizeof speed, "GPS speed %s km/h before, %s km/h after", b, af);
    }
    char utc[32];
    dc_utc_format(s->utc_ms, utc);
    if (s->has_position)
        snprintf(where, sizeof where, "; at %.6f, %.6f%s%s", s->lat, s->lon, utc[0] ? " " : "",
                 utc);
    else if (utc[0]) snprintf(where, sizeof where, "; at %s", utc);
    dc_evidence *e = &a->evidence[a->evidence_count++];
    e->t_sec = s->incident_sec;
    e->frame = -1;
    snprintf(e->description, sizeof e->description, "telemetry (%s%s%s): %s; %s%s", s->source,
             s->device[0] ? ", " : "", s->device, peak, speed, where);
}

void dc_pipeline_use_telemetry(const dc_telemetry *t, dc_assessment *a) {
    if (!t || !t->source) return;
    dc_telemetry_summary *s = &a->telemetry;
    snprintf(s->source, sizeof s->source, "%s", t->source);
    snprintf(s->variant, sizeof s->variant, "%s", t->variant ? t->variant : "");
    snprintf(s->device, sizeof s->device, "%s", t->device);
    s->fix_count = t->gps_count;
    s->accel_count = t->accel_count;
    for (int i = 0; i < t->gps_count; i++) s->valid_fix_count += t->gps[i].valid;
    peak_acceleration(t, s);
    double inc = a->window_count > 0 ? a->windows[0].peak_sec : s->peak_sec;
    if (inc >= 0) {
        s->incident_sec = inc;
        around_incident(t, inc, s);
    }
    if (s->speed_before_kmh >= 0) {
        a->facts.speed_kmh = (int)lround(s->speed_before_kmh);
        snprintf(a->speed_source, sizeof a->speed_source, "telemetry");
    }
    if (inc >= 0) add_evidence_row(a);
}

int dc_pipeline_check_speed(dc_assessment *a, const dc_telemetry *t, const dc_frame_set *shown) {
    if (!t || a->facts.speed_kmh < 0 || !shown || shown->count <= 0 || !shown->frames) return 0;
    double lo = shown->frames[0].t_sec - 1, hi = shown->frames[shown->count - 1].t_sec + 1;
    double smin = INFINITY, smax = -INFINITY;
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        if (!has_speed(f) || f->t_sec < lo || f->t_sec > hi) continue;
        smin = fmin(smin, f->speed_kmh);
        smax = fmax(smax, f->speed_kmh);
    }
    if (!isfinite(smin)) return 0; /* no GPS speed while the frames were shown */
    double v = a->facts.speed_kmh;
    double off = v < smin ? smin - v : v > smax ? v - smax : 0;
    if (off <= SPEED_TOLERANCE_KMH || off <= SPEED_SHARE * smax) return 0;
    char msg[200];
    snprintf(msg, sizeof msg,
             "model's speed readout %d km/h disagrees with the file's GPS (%.0f-%.0f km/h over "
             "the frames shown); the record keeps the GPS speed",
             a->facts.speed_kmh, smin, smax);
    dc_assessment_degrade(a, msg);
    return 1;
}
