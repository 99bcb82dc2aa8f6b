/* The dashcam's own data at the frames the model sees: one line per frame pair (per frame
 * without the temporal merge), after the frames and before the claim line, so the fixed
 * prefix (system message and frames header) is unchanged and its cached KV cells still serve.
 * A video without telemetry gets no line at all: its prompt is what it was.
 *
 *   The dashcam's own data at these frames (GPS speed; G-sensor: largest acceleration away
 *   from its resting level):
 *   frames 0-1: 54 km/h, 0.03 g
 *   frames 2-3: 0 km/h, 3.96 g
 *
 * Speed: the GPS speed interpolated between the valid fixes around the pair's middle (the
 * nearest one within 1 s at an end). Acceleration: the largest distance from the file's mean
 * (gravity and the mount's tilt) among the samples from the pair's first frame - 0.1 s to its
 * last + 0.1 s, so a 5-ms crash spike between two frames is not missed. */
#include <math.h>

#include "vlm_internal.h"

#define NEAR_SEC 1.0
#define SPAN_SEC 0.1

static bool has_speed(const dc_gps_fix *f) { return f->valid && f->speed_kmh >= 0; }

/* GPS speed at t, -1 when no fix is near */
static double speed_at(const dc_telemetry *t, double at) {
    const dc_gps_fix *before = NULL, *after = NULL;
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        if (!has_speed(f)) continue;
        if (f->t_sec <= at) before = f;
        else if (!after) after = f;
    }
    if (before && after && after->t_sec - before->t_sec <= 2 * NEAR_SEC)
        return before->speed_kmh + (after->speed_kmh - before->speed_kmh) * (at - before->t_sec) /
                                       (after->t_sec - before->t_sec);
    if (before && at - before->t_sec <= NEAR_SEC) return before->speed_kmh;
    if (after && after->t_sec - at <= NEAR_SEC) return after->speed_kmh;
    return -1;
}

static void append_line(dc_str *s, const dc_telemetry *t, const double mean[3], int first, int last,
                        double from, double to) {
    double v = speed_at(t, (from + to) / 2), g = -1;
    for (int i = 0; i < t->accel_count; i++) {
        const dc_accel_sample *a = &t->accel[i];
        if (a->t_sec < from - SPAN_SEC || a->t_sec > to + SPAN_SEC) continue;
        double dx = a->x - mean[0], dy = a->y - mean[1], dz = a->z - mean[2];
        g = fmax(g, sqrt(dx * dx + dy * dy + dz * dz));
    }
    if (first == last) dc_str_appendf(s, "frame %d: ", first);
    else dc_str_appendf(s, "frames %d-%d: ", first, last);
    if (v >= 0) dc_str_appendf(s, "%.0f km/h", v);
    else dc_str_append(s, "no GPS speed");
    if (g >= 0) dc_str_appendf(s, ", %.2f g\n", g);
    else dc_str_append(s, t->accel_count ? ", no G-sensor sample\n" : "\n");
}

void vlm_prompt_telemetry(dc_str *s, const dc_telemetry *t, const dc_frame_set *frames,
                          int n_frames, int step) {
    if (!t || !t->source || (t->gps_count == 0 && t->accel_count == 0) || frames->count <= 0)
        return;
    double mean[3] = {0, 0, 0};
    for (int i = 0; i < t->accel_count; i++) {
        mean[0] += t->accel[i].x / (double)t->accel_count;
        mean[1] += t->accel[i].y / (double)t->accel_count;
        mean[2] += t->accel[i].z / (double)t->accel_count;
    }
    dc_str_append(s, "The dashcam's own data at these frames (GPS speed; G-sensor: largest "
                     "acceleration away from its resting level):\n");
    for (int i = 0; i < n_frames; i += step) {
        int last = i + step - 1;
        const dc_frame *a = &frames->frames[i < frames->count ? i : frames->count - 1];
        const dc_frame *b = &frames->frames[last < frames->count ? last : frames->count - 1];
        append_line(s, t, mean, i, last, a->t_sec, b->t_sec);
    }
}
