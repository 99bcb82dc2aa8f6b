/* Scores a raw feature against the video's own noise floor (see dc_mine_noise_floor_score in
 * mine.h). The repeat guard keeps a cue that is present much of the time (the beat of loud
 * music, a rough road) from scoring as an event: when more than 15 % of the ticks stand above
 * the event level, the spread becomes (q90 - median) / 3, so that the cue is the floor. A real
 * event (a 3-s squeal in a 40-s clip is 7.5 %) stays below that share. It is used for the
 * audio cues only: motion steps around candidates are by construction rich in events.
 *
 * A short run (a clip of a few seconds, where the incident may fill a third of the values)
 * takes its ordinary level from the quieter part: the centre is the lower quartile and the
 * spread (q50 - q25) / 0.674, as for a normal distribution. That spread is also capped at
 * SHORT_SPREAD_CAP times the smallest spread: when an incident fills a third of a clip (a
 * crash and the wreck moving for seconds after it), even the lower half of the values holds
 * it, and the spread it gives hides the incident itself. The cap is an absolute level
 * calibrated on calm clips (the calm 6-12-s clips of bench/mining set (c): shake, looming,
 * stop and burst spreads all within 2x their smallest spreads; a clip with a collision
 * reached 4-7x in burst and stop). */
#include <math.h>
#include <stdlib.h>

#include "mine_internal.h"

/* Fewer values than this (12 s at 10 per second) make a short run. */
#define SHORT_RUN 120
/* The widest ordinary spread of a short run, in smallest spreads (see above). */
#define SHORT_SPREAD_CAP 2.0f

bool mine_floor_score(const float *raw, int n, float min_spread, bool guard_repeats, float *score) {
    float *v = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    int m = 0;
    if (v)
        for (int i = 0; i < n; i++)
            if (isfinite(raw[i])) v[m++] = raw[i];
    if (m == 0) {
        for (int i = 0; i < n; i++) score[i] = 0;
        bool ok = v != NULL;
        free(v);
        return ok;
    }
    float med = dc_select_float(v, m, m / 2);
    if (m < SHORT_RUN) {
        float q25 = dc_select_float(v, m, m / 4);
        float sd = (med - q25) / 0.674f;
        float spread = sd > min_spread ? sd : min_spread;
        if (spread > SHORT_SPREAD_CAP * min_spread) spread = SHORT_SPREAD_CAP * min_spread;
        for (int i = 0; i < n; i++) {
            double z = isfinite(raw[i]) ? (raw[i] - q25) / spread : 0;
            double s = (z - DC_MINE_Z_LOW) / (DC_MINE_Z_FULL - DC_MINE_Z_LOW);
            score[i] = (float)(s < 0 ? 0 : s > 1 ? 1 : s);
        }
        free(v);
        return true;
    }
    float q90 = dc_select_float(v, m, (int)(0.90 * (m - 1)));
    float *dev = malloc(sizeof(float) * (size_t)m);
    if (!dev) {
        for (int i = 0; i < n; i++) score[i] = 0;
        free(v);
        return false;
    }
    for (int i = 0; i < m; i++) dev[i] = fabsf(v[i] - med);
    float mad = dc_select_float(dev, m, m / 2);
    free(dev);
    float spread = 1.4826f * mad > min_spread ? 1.4826f * mad : min_spread;
    if (guard_repeats) {
        /* a cue above the event level in more than 15 % of the ticks is part of the floor */
        int above = 0;
        for (int i = 0; i < m; i++) above += v[i] > med + DC_MINE_Z_LOW * 2 * spread;
        if (above > 0.15 * m && (q90 - med) / 3.0f > spread) spread = (q90 - med) / 3.0f;
    }
    if (min_spread > spread) spread = min_spread;
    for (int i = 0; i < n; i++) {
        if (!isfinite(raw[i])) {
            score[i] = 0;
            continue;
        }
        double z = (raw[i] - med) / spread;
        double s = (z - DC_MINE_Z_LOW) / (DC_MINE_Z_FULL - DC_MINE_Z_LOW);
        score[i] = (float)(s < 0 ? 0 : s > 1 ? 1 : s);
    }
    free(v);
    return true;
}

bool dc_mine_noise_floor_score(const float *raw, int n, float min_spread, float *score) {
    return mine_floor_score(raw, n, min_spread, true, score);
}
