/* Sideways motion of the road: an evasive swerve.
 *
 * A car that swerves (or steers hard) sweeps the lane markings, the road edge and whatever is
 * close ahead sideways through the lower picture, step after step. Ordinary driving keeps them
 * where they are: forward motion moves the road down the picture, not across, so the column
 * profile of a band of road rows stays put, or rather its left and right halves drift apart
 * as the lane lines widen towards the camera. Per thumbnail step: the horizontal shift of
 * the column profile of rows 60-85 % (the road a few metres ahead, above most hoods) that
 * both halves share (none when they move apart or together), in picture widths per second. The raw feature is the absolute median of that velocity over +-3 steps: a
 * swerve carries the picture one way for a second or more, while a jolt (a bump, a pothole)
 * or a flicker of matches lasts a step or two. Steps over 0.5 s get NAN: a second apart the near
 * road has changed too much to match. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

#define HALF_SPAN 3 /* steps either side in the mean */

/* Column means of rows [y0, y1), less their overall mean, scaled by their spread (a change
 * of light is not a shift). */
static void band_profile(const uint8_t *g, int w, int y0, int y1, float *cols) {
    memset(cols, 0, sizeof(float) * (size_t)w);
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < w; x++) cols[x] += g[y * w + x];
    double m = 0, v = 0;
    for (int x = 0; x < w; x++) m += cols[x] /= (float)(y1 - y0);
    m /= w;
    for (int x = 0; x < w; x++) v += (cols[x] - m) * (cols[x] - m);
    double k = 1.0 / (sqrt(v / w) + 1.0);
    for (int x = 0; x < w; x++) cols[x] = (float)((cols[x] - m) * k);
}

bool mine_swerve_feature(const dc_thumb_set *set, float *swerve) {
    int n = set->count, w = set->width, h = set->height;
    if (n <= 0) return true;
    for (int i = 0; i < n; i++) swerve[i] = NAN;
    float *velocity = malloc(sizeof(float) * (size_t)n);
    float *pa = malloc(sizeof(float) * (size_t)(2 * w));
    bool ok = velocity && pa;
    int y0 = (int)(0.6 * h), y1 = (int)(0.85 * h);
    if (!ok || y1 - y0 < 2 || w < 16) goto done;
    float *pb = pa + w;
    /* up to an eighth of the width per step (a swerve at 10 steps a second moves the near
     * road a few percent of the width per step) */
    int r = w / 8, half = w / 2;
    for (int i = 0; i < n; i++) {
        velocity[i] = NAN;
        double dt = i > 0 ? set->thumbs[i].t_sec - set->thumbs[i - 1].t_sec : 0;
        if (i == 0 || dt <= 0 || dt > 0.5) continue;
        band_profile(set->thumbs[i - 1].gray, w, y0, y1, pa);
        band_profile(set->thumbs[i].gray, w, y0, y1, pb);
        /* each half on its own: driving forward spreads the two halves apart (the lane lines
         * widen as they come closer), a swerve carries both the same way */
        double left = mine_profile_shift(pa, pb, half, r);
        double right = mine_profile_shift(pa + half, pb + half, half, r);
        double common = left * right <= 0 ? 0 : left > 0 ? fmin(left, right) : fmax(left, right);
        velocity[i] = (float)(common / w / dt);
    }
    for (int i = 0; i < n; i++) {
        if (!isfinite(velocity[i])) continue;
        float near[2 * HALF_SPAN + 1];
        int m = 0;
        for (int j = i - HALF_SPAN; j <= i + HALF_SPAN; j++)
            if (j >= 0 && j < n && isfinite(velocity[j])) near[m++] = velocity[j];
        swerve[i] = fabsf(dc_select_float(near, m, m / 2));
    }
done:
    free(velocity);
    free(pa);
    return ok;
}
