/* Fusion of the signal tracks into one danger timeline, and the choice of windows.
 *
 * Each track is max-filtered over +-1 s before the weighted sum, so cues that arrive a moment
 * apart (looming and squeal before an impact, the stop just after) add up at the incident.
 * Peaks are picked with non-maximum suppression (5 s); each peak's time is then refined to
 * where the unfiltered weighted sum is highest within 1.5 s, which is where the sharpest cue
 * (usually the impact) sits; with an accelerometer, to its strongest jolt there when one fired
 * (a sample's time is the incident's, within a tick). Windows reach before_sec before and after_sec after the peak,
 * clamped to the video; windows that overlap are merged and cut to max_window_sec around
 * the stronger peak.
 *
 * A window is never cut short of the incident:
 *   - a video no longer than the largest window is one window covering all of it (a 5-s clip
 *     with the crash at 4.5 s is shown whole, not 0-3.5 s around an early peak);
 *   - when mining is unsure (the strongest danger below DC_MINE_ALARM_DANGER, or no sound,
 *     where the motion cues may peak on the approach rather than the hit), windows reach 2 s
 *     further back and 3 s further forward, so the next stage sees more, not less.
 *
 * The picture's cues count for less in the first second of a video (their weight ramps up
 * from 0 to full over LEAD_IN_SEC): the first frames have no history, the encoder starts
 * from a keyframe and exposure is still settling, so a flicker there is not an event. On the
 * no-audio set (a) of bench/mining a looming of 0.36 at 0.1 s outranked a hard brake whose
 * only cue was a flow collapse. The sound, and the signals the engine reads, are untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

static void window_signals(dc_mine_result *r, dc_mine_window *w) {
    int a = (int)floor(w->start_sec * r->hz), b = (int)ceil(w->end_sec * r->hz);
    int pa = (int)floor((w->peak_sec - 2) * r->hz), pb = (int)ceil((w->peak_sec + 2) * r->hz);
    w->fired = 0;
    for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++) {
        double m = 0, mp = 0;
        for (int i = a < 0 ? 0 : a; i <= b && i < r->count; i++) {
            double v = r->signal[s][i];
            if (v > m) m = v;
            if (i >= pa && i <= pb && v > mp) mp = v;
        }
        w->signal_max[s] = m;
        w->signal_near_peak[s] = mp;
        if (m >= DC_MINE_FIRE_SCORE) w->fired |= 1u << s;
    }
}

static bool overlaps(const dc_mine_window *w, double a, double b) {
    return a < w->end_sec && b > w->start_sec;
}

/* Widening of windows when mining is unsure (see the top of the file). */
#define UNSURE_BEFORE_SEC 2.0
#define UNSURE_AFTER_SEC 3.0
#define LEAD_IN_SEC 1.0

static bool from_picture(dc_mine_signal s) {
    return s != DC_MINE_IMPACT && s != DC_MINE_SQUEAL && s != DC_MINE_HORN;
}

dc_error_class dc_mine_fuse(dc_mine_result *r, const dc_mine_options *opts, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    dc_mine_options defaults;
    if (!opts) {
        dc_mine_options_init(&defaults);
        opts = &defaults;
    }
    int n = r->count;
    r->window_count = 0;
    if (n <= 0 || !r->danger) return DC_OK;
    float *dil = malloc(sizeof(float) * (size_t)n), *plain = malloc(sizeof(float) * (size_t)n);
    float *src = malloc(sizeof(float) * (size_t)n);
    int max_peaks = 4 * DC_MINE_MAX_WINDOWS, *peaks = malloc(sizeof(int) * (size_t)max_peaks);
    if (!dil || !plain || !src || !peaks) {
        free(src);
        free(dil);
        free(plain);
        free(peaks);
        return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory fusing a %.0f s timeline",
                       r->duration_sec);
    }
    int radius = (int)lround(1.0 * r->hz);
    memset(r->danger, 0, sizeof(float) * (size_t)n);
    memset(plain, 0, sizeof(float) * (size_t)n);
    for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++) {
        if (!r->signal[s]) continue;
        float w = (float)dc_mine_signal_weight((dc_mine_signal)s);
        memcpy(src, r->signal[s], sizeof(float) * (size_t)n);
        if (from_picture((dc_mine_signal)s))
            for (int i = 0; i < n && i < LEAD_IN_SEC * r->hz; i++)
                src[i] *= (float)(i / (LEAD_IN_SEC * r->hz));
        mine_max_filter(src, n, radius, dil);
        for (int i = 0; i < n; i++) {
            r->danger[i] += w * dil[i];
            plain[i] += w * src[i];
        }
    }
    for (int i = 0; i < n; i++) r->danger[i] = r->danger[i] > 1 ? 1 : r->danger[i];

    int k = opts->k < 1 ? 1 : opts->k > DC_MINE_MAX_WINDOWS ? DC_MINE_MAX_WINDOWS : opts->k;
    int np = mine_peaks(r->danger, n, (int)lround(5.0 * r->hz), peaks, max_peaks);
    free(src);
    if (np < 0) {
        free(dil);
        free(plain);
        free(peaks);
        return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory choosing windows");
    }
    double dur = r->duration_sec > 0 ? r->duration_sec : n / r->hz;
    double top = 0;
    for (int i = 0; i < n; i++) top = r->danger[i] > top ? r->danger[i] : top;
    r->unsure = !r->has_audio || top < DC_MINE_ALARM_DANGER;
    double before = opts->before_sec + (r->unsure ? UNSURE_BEFORE_SEC : 0);
    double after = opts->after_sec + (r->unsure ? UNSURE_AFTER_SEC : 0);
    double span = before + after;
    double cut = opts->max_window_sec > span ? opts->max_window_sec : span;
    double largest =
        cut > opts->before_sec + opts->after_sec ? cut : opts->before_sec + opts->after_sec;
    if (dur <= largest && np > 1) np = 1; /* one window: the whole video */
    for (int p = 0; p < np && r->window_count < k; p++) {
        int c = peaks[p], best = c, ref = (int)lround(1.5 * r->hz);
        for (int i = c - ref < 0 ? 0 : c - ref; i <= c + ref && i < n; i++)
            if (plain[i] > plain[best]) best = i;
        /* a G-sensor jolt that fired near the peak is the incident's moment, to the sample */
        const float *jolt = r->has_accel ? r->signal[DC_MINE_JOLT] : NULL;
        for (int i = c - ref < 0 ? 0 : c - ref; jolt && i <= c + ref && i < n; i++)
            if (jolt[i] >= DC_MINE_FIRE_SCORE &&
                (jolt[best] < DC_MINE_FIRE_SCORE || jolt[i] > jolt[best]))
                best = i;
        double peak = best / r->hz;
        double a = fmax(0, peak - before), b = fmin(dur, peak + after);
        if (dur <= largest) a = 0, b = dur;
        dc_mine_window *into = NULL;
        for (int w = 0; w < r->window_count && !into; w++)
            if (overlaps(&r->windows[w], a, b)) into = &r->windows[w];
        if (into) {
            double ua = fmin(a, into->start_sec), ub = fmax(b, into->end_sec);
            if (ub - ua > cut) {
                /* keep the stronger (earlier chosen) peak where it sits in a normal window */
                ua = fmax(ua, into->peak_sec - cut * before / span);
                ub = fmin(ub, ua + cut);
            }
            into->start_sec = ua;
            into->end_sec = ub;
            continue;
        }
        dc_mine_window *w = &r->windows[r->window_count++];
        memset(w, 0, sizeof *w);
        w->start_sec = a;
        w->end_sec = b;
        w->peak_sec = peak;
        w->danger = r->danger[c];
    }
    for (int w = 0; w < r->window_count; w++) window_signals(r, &r->windows[w]);
    free(dil);
    free(plain);
    free(peaks);
    return DC_OK;
}
