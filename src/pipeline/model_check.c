/* What the model says, checked against the video before it becomes the record.
 *
 * The grammar bounds every number the model writes (times 0-99999 s, frame 0-999, speed
 * 0-400 km/h), but only the pipeline knows the video's length and which frames the model was
 * shown. A time the model could not have seen is not evidence:
 *   - evidence and hazard times that are not finite, or outside [0, duration], are dropped;
 *   - times inside the video but outside the frames shown (more than one frame period from
 *     the first or last) are clamped to the shown span;
 *   - an evidence frame index beyond the frames shown becomes -1 (none); when it names a
 *     shown frame, the evidence time is that frame's time;
 *   - a speed above what a road vehicle's readout shows (SPEED_MAX) becomes unknown (-1);
 *   - severity probabilities that are not finite or negative are zeroed (no distribution),
 *     ones that do not sum to 1 are renormalised.
 * Every change marks the claim degraded with what was changed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dashclaim/pipeline.h"

#define SPEED_MAX 300 /* km/h */

typedef struct {
    int dropped, clamped, frames, speed, probs;
} fixes;

static bool time_ok(double t, double duration) { return isfinite(t) && t >= 0 && t <= duration; }

static double clamp_to(double t, double lo, double hi) { return t < lo ? lo : t > hi ? hi : t; }

int dc_pipeline_check_record(dc_assessment *a, double duration_sec, const dc_frame_set *shown) {
    fixes f = {0};
    double lo = 0, hi = duration_sec;
    if (shown && shown->count > 0 && shown->frames) {
        double period = shown->count > 1
                            ? (shown->frames[shown->count - 1].t_sec - shown->frames[0].t_sec) /
                                  (shown->count - 1)
                            : 0.1;
        lo = fmax(0, shown->frames[0].t_sec - period);
        hi = fmin(duration_sec, shown->frames[shown->count - 1].t_sec + period);
    }
    int n = 0;
    for (int i = 0; i < a->evidence_count; i++) {
        dc_evidence e = a->evidence[i];
        if (e.frame >= 0 && (!shown || e.frame >= shown->count)) {
            e.frame = -1;
            f.frames++;
        } else if (e.frame >= 0 && shown && shown->frames) {
            double ft = shown->frames[e.frame].t_sec;
            if (!isfinite(e.t_sec) || fabs(e.t_sec - ft) > 1.0) f.clamped++;
            if (!isfinite(e.t_sec) || fabs(e.t_sec - ft) > 1.0) e.t_sec = ft;
        }
        if (!time_ok(e.t_sec, duration_sec)) {
            f.dropped++;
            continue;
        }
        if (e.t_sec < lo || e.t_sec > hi) {
            e.t_sec = clamp_to(e.t_sec, lo, hi);
            f.clamped++;
        }
        a->evidence[n++] = e;
    }
    a->evidence_count = n;
    n = 0;
    for (int i = 0; i < a->hazard_count; i++) {
        dc_hazard h = a->hazards[i];
        if (!time_ok(h.t_sec, duration_sec)) {
            f.dropped++;
            continue;
        }
        if (h.t_sec < lo || h.t_sec > hi) {
            h.t_sec = clamp_to(h.t_sec, lo, hi);
            f.clamped++;
        }
        a->hazards[n++] = h;
    }
    a->hazard_count = n;
    if (a->facts.speed_kmh > SPEED_MAX) {
        a->facts.speed_kmh = -1;
        f.speed++;
    }
    double sum = 0;
    bool bad = false;
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
        bad = bad || !isfinite(a->severity_probs[s]) || a->severity_probs[s] < 0;
        sum += a->severity_probs[s];
    }
    if (bad) {
        memset(a->severity_probs, 0, sizeof a->severity_probs);
        f.probs++;
    } else if (sum > 0 && fabs(sum - 1) > 1e-6) {
        for (int s = 0; s < DC_SEVERITY_COUNT; s++) a->severity_probs[s] /= sum;
        f.probs++;
    }
    int total = f.dropped + f.clamped + f.frames + f.speed + f.probs;
    if (total > 0) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "model output checked against the video (%.2f s, frames shown %.2f-%.2f s): "
                 "%d time(s) outside the video dropped, %d clamped to the frames shown, %d frame "
                 "index(es) beyond the frames shown cleared, %d impossible speed(s) cleared, "
                 "%d severity distribution(s) repaired",
                 duration_sec, lo, hi, f.dropped, f.clamped, f.frames, f.speed, f.probs);
        dc_assessment_degrade(a, msg);
    }
    return total;
}
