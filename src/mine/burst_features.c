/* Local motion burst: a sudden change in one part of the picture while the rest stays as it
 * was (two vehicles colliding ahead, debris, a vehicle thrown sideways), seen from a camera
 * that does not itself jolt.
 *
 * Each thumbnail step is split into a grid of cells (8 x 4 between the horizon band and the
 * hood); a cell's change is the brightness-normalised mean absolute difference. Every cell is
 * measured against its own ordinary change over the run (median and a robust spread: the lane
 * markings in the lower cells always change, the sky hardly ever does), and the step's burst
 * is the highest cell z minus the median cell z: a part of the picture far above its own
 * ordinary while the picture as a whole is not (a light change or a jolt lifts every cell).
 * The cells cover the middle of the picture (x 20-80 %, y 30-80 %): roadside posts and trees
 * stream through the edges all the time. A crash lasts: the burst is averaged over +-2 steps,
 * so a single odd step (a lead vehicle's brake lights, a sign) does not count.
 * Only for steps under 0.5 s: a second apart, everything has changed anyway. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

enum { GX = 6, GY = 3, CELLS = GX * GY };

static void cell_changes(const uint8_t *a, const uint8_t *b, int w, int h, float *out) {
    int y0 = (int)(0.3 * h), y1 = (int)(0.8 * h), x0 = (int)(0.2 * w), x1 = (int)(0.8 * w);
    double sa = 0, sa2 = 0, sb = 0, sb2 = 0;
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            double p = a[y * w + x], q = b[y * w + x];
            sa += p, sa2 += p * p, sb += q, sb2 += q * q;
            n++;
        }
    double ma = n ? sa / n : 0, mb = n ? sb / n : 0;
    double va = n ? sa2 / n - ma * ma : 0, vb = n ? sb2 / n - mb * mb : 0;
    double ka = 1.0 / (sqrt(va > 0 ? va : 0) + 1.0), kb = 1.0 / (sqrt(vb > 0 ? vb : 0) + 1.0);
    for (int gy = 0; gy < GY; gy++)
        for (int gx = 0; gx < GX; gx++) {
            int cy0 = y0 + (y1 - y0) * gy / GY, cy1 = y0 + (y1 - y0) * (gy + 1) / GY;
            int cx0 = x0 + (x1 - x0) * gx / GX, cx1 = x0 + (x1 - x0) * (gx + 1) / GX;
            double acc = 0;
            int m = 0;
            for (int y = cy0; y < cy1; y++)
                for (int x = cx0; x < cx1; x++) {
                    int i = y * w + x;
                    acc += fabs((a[i] - ma) * ka - (b[i] - mb) * kb);
                    m++;
                }
            out[gy * GX + gx] = m ? (float)(acc / m) : NAN;
        }
}

bool mine_burst_feature(const dc_thumb_set *set, float *burst) {
    int n = set->count;
    if (n <= 0) return true;
    for (int i = 0; i < n; i++) burst[i] = NAN;
    float *d = malloc(sizeof(float) * (size_t)n * CELLS); /* per step and cell */
    float *col = malloc(sizeof(float) * (size_t)n), *scratch = malloc(sizeof(float) * (size_t)n);
    bool ok = d && col && scratch;
    if (!ok) goto done;
    for (int i = 0; i < n; i++) {
        double dt = i > 0 ? set->thumbs[i].t_sec - set->thumbs[i - 1].t_sec : 0;
        if (i == 0 || dt <= 0 || dt > 0.5) {
            for (int c = 0; c < CELLS; c++) d[(size_t)i * CELLS + c] = NAN;
            continue;
        }
        cell_changes(set->thumbs[i - 1].gray, set->thumbs[i].gray, set->width, set->height,
                     d + (size_t)i * CELLS);
    }
    /* each cell against its own ordinary change */
    for (int c = 0; c < CELLS; c++) {
        for (int i = 0; i < n; i++) col[i] = d[(size_t)i * CELLS + c];
        float med = mine_median(col, n, scratch);
        if (!isfinite(med)) continue;
        int m = 0;
        for (int i = 0; i < n; i++)
            if (isfinite(col[i])) scratch[m++] = fabsf(col[i] - med);
        float mad = m ? dc_select_float(scratch, m, m / 2) : 0;
        float spread = 1.4826f * mad > 0.1f ? 1.4826f * mad : 0.1f;
        for (int i = 0; i < n; i++) d[(size_t)i * CELLS + c] = (col[i] - med) / spread;
    }
    for (int i = 0; i < n; i++) {
        float z[CELLS];
        int m = 0;
        col[i] = NAN;
        for (int c = 0; c < CELLS; c++)
            if (isfinite(d[(size_t)i * CELLS + c])) z[m++] = d[(size_t)i * CELLS + c];
        if (m < CELLS / 2) continue;
        float top = dc_select_float(z, m, m - 1), mid = dc_select_float(z, m, m / 2);
        col[i] = top - mid;
    }
    for (int i = 0; i < n; i++) {
        double acc = 0;
        int m = 0;
        if (!isfinite(col[i])) continue; /* no step here: nothing to average */
        for (int j = i - 2; j <= i + 2; j++)
            if (j >= 0 && j < n && isfinite(col[j])) acc += col[j], m++;
        burst[i] = (float)(acc / m);
    }
done:
    free(d);
    free(col);
    free(scratch);
    return ok;
}
