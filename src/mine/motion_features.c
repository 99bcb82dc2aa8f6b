/* Motion cues between consecutive grayscale thumbnails.
 *
 * motion:  mean absolute difference after removing each frame's mean and dividing by its
 *          contrast, so a tunnel's light change or auto-exposure does not count as motion.
 * shake:   change of the global translation from one step to the next (translation: the
 *          median displacement of a grid of blocks): a jolt reverses direction between
 *          steps, a drift does not. Only for steps under 0.5 s (NAN for keyframes a second
 *          apart: a jolt rings out within a second and cannot be seen at that rate).
 *          Looming uses a translation from row/column intensity profiles there.
 * looming: the scale about the image centre that best maps the previous frame's central box
 *          onto the current one after removing the global translation (log scale per
 *          second): an object ahead closing in expands. 0 when no scale fits clearly better
 *          than none (a light change is not an expansion).
 * flow:    mean absolute difference of the lower half (the road), the forward-flow proxy
 *          whose collapse is a sudden stop. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

typedef struct {
    double mean, sd;
} frame_stats;

static frame_stats stats_of(const uint8_t *g, int w, int y0, int y1) {
    double s = 0, s2 = 0;
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < w; x++) {
            double v = g[y * w + x];
            s += v;
            s2 += v * v;
            n++;
        }
    frame_stats st = {0, 0};
    if (n == 0) return st;
    st.mean = s / n;
    double var = s2 / n - st.mean * st.mean;
    st.sd = var > 0 ? sqrt(var) : 0;
    return st;
}

static double norm_diff(const uint8_t *a, const uint8_t *b, int w, int y0, int y1) {
    frame_stats sa = stats_of(a, w, y0, y1), sb = stats_of(b, w, y0, y1);
    double ka = 1.0 / (sa.sd + 1.0), kb = 1.0 / (sb.sd + 1.0), acc = 0;
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < w; x++) {
            int i = y * w + x;
            acc += fabs((a[i] - sa.mean) * ka - (b[i] - sb.mean) * kb);
            n++;
        }
    return n ? acc / n : 0;
}

double mine_profile_shift(const float *a, const float *b, int n, int r) {
    double cost[2 * 64 + 1];
    if (r > 64) r = 64;
    int best = 0;
    for (int s = -r; s <= r; s++) {
        double c = 0;
        int m = 0;
        for (int i = 0; i < n; i++) {
            int j = i + s;
            if (j < 0 || j >= n) continue;
            c += fabsf(a[i] - b[j]);
            m++;
        }
        cost[s + r] = m > n / 2 ? c / m : 1e30;
        if (cost[s + r] < cost[best + r]) best = s;
    }
    double off = 0;
    if (best > -r && best < r) {
        double l = cost[best + r - 1], c = cost[best + r], h = cost[best + r + 1];
        double den = l - 2 * c + h;
        if (den > 1e-12) off = 0.5 * (l - h) / den;
    }
    return best + off;
}

static void profiles(const uint8_t *g, int w, int h, int y1, float *rows, float *cols) {
    memset(cols, 0, sizeof(float) * (size_t)w);
    for (int y = 0; y < y1; y++) {
        double s = 0;
        for (int x = 0; x < w; x++) {
            s += g[y * w + x];
            cols[x] += g[y * w + x];
        }
        rows[y] = (float)(s / w);
    }
    for (int x = 0; x < w; x++) cols[x] /= (float)y1;
    (void)h;
    /* remove the means so that a brightness change is not a shift */
    double mr = 0, mc = 0;
    for (int y = 0; y < y1; y++) mr += rows[y];
    for (int x = 0; x < w; x++) mc += cols[x];
    mr /= y1;
    mc /= w;
    for (int y = 0; y < y1; y++) rows[y] -= (float)mr;
    for (int x = 0; x < w; x++) cols[x] -= (float)mc;
}

/* Best scale s (previous box scaled by s about the centre matches the current box). */
static double best_scale(const uint8_t *a, const uint8_t *b, int w, int h, double max_scale,
                         double dx, double dy) {
    /* wide enough that a vehicle filling the view still shows its edges */
    int x0 = (int)(0.15 * w), x1 = (int)(0.85 * w), y0 = (int)(0.2 * h), y1 = (int)(0.85 * h);
    double cx = 0.5 * w, cy = 0.5 * h;
    frame_stats sa = stats_of(a, w, y0, y1), sb = stats_of(b, w, y0, y1);
    double ka = 1.0 / (sa.sd + 1.0), kb = 1.0 / (sb.sd + 1.0);
    enum { STEPS = 25 };
    double cost[STEPS], lmax = log(max_scale), lmin = -0.25 * lmax;
    int best = 0, sxs[4096];
    for (int k = 0; k < STEPS; k++) {
        double ls = lmin + (lmax - lmin) * k / (STEPS - 1), inv = exp(-ls), c = 0;
        for (int x = x0; x < x1; x++) sxs[x - x0] = (int)lround(cx + (x - dx - cx) * inv);
        for (int y = y0; y < y1; y++) {
            int sy = (int)lround(cy + (y - dy - cy) * inv);
            if (sy < 0 || sy >= h) continue;
            const uint8_t *brow = b + y * w, *arow = a + sy * w;
            for (int x = x0; x < x1; x++) {
                int sx = sxs[x - x0];
                if (sx < 0 || sx >= w) continue;
                c += fabs((brow[x] - sb.mean) * kb - (arow[sx] - sa.mean) * ka);
            }
        }
        cost[k] = c;
        if (c < cost[best]) best = k;
    }
    /* no clear optimum (a light change, a new scene): no expansion measured */
    int unit = (int)lround(-lmin / (lmax - lmin) * (STEPS - 1));
    if (cost[best] >= 0.9 * cost[unit]) return 1.0;
    double off = 0;
    if (best > 0 && best < STEPS - 1) {
        double l = cost[best - 1], c = cost[best], hh = cost[best + 1], den = l - 2 * c + hh;
        if (den > 1e-12) off = 0.5 * (l - hh) / den;
    }
    return exp(lmin + (lmax - lmin) * (best + off) / (STEPS - 1));
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Global translation of b against a: the median over a grid of blocks (upper 80 % of the
 * picture) of each block's best integer displacement. Forward motion moves blocks outward
 * in all directions and cancels in the median; a vehicle or a lane marking moves a few
 * blocks; a jolt moves them all. */
static bool block_translation(const uint8_t *a, const uint8_t *b, int w, int h, double *dx,
                              double *dy) {
    enum { GX = 5, GY = 3 };
    int bw = w / 10, bh = h / 8, r = w / 20;
    if (bw < 4 || bh < 4 || r < 1) {
        *dx = *dy = 0;
        return false;
    }
    int vx[GX * GY], vy[GX * GY], n = 0;
    for (int gy = 0; gy < GY; gy++) {
        for (int gx = 0; gx < GX; gx++) {
            int x0 = (int)((gx + 0.5) * w / GX) - bw / 2;
            int y0 = (int)((gy + 0.5) * 0.8 * h / GY) - bh / 2;
            /* a flat block (sky, a car's body) matches any shift: it says nothing */
            long texture = 0;
            for (int y = 0; y + 1 < bh; y++)
                for (int x = 0; x + 1 < bw; x++) {
                    const uint8_t *p = a + (y0 + y) * w + x0 + x;
                    texture += abs(p[1] - p[0]) + abs(p[w] - p[0]);
                }
            if (texture < 3L * bw * bh) continue;
            /* every shift within +-r (a twentieth of the width: wider searches found more
             * false matches on repetitive road texture than true large jolts) */
            long best = -1;
            int bx = 0, by = 0;
            {
                for (int oy = -r; oy <= r; oy++) {
                    if (y0 + oy < 0 || y0 + oy + bh > h) continue;
                    for (int ox = -r; ox <= r; ox++) {
                        if (x0 + ox < 0 || x0 + ox + bw > w) continue;
                        long sad = 0;
                        bool worse = false; /* stopped early: already more than the best */
                        for (int y = 0; y < bh && !worse; y++) {
                            const uint8_t *pa = a + (y0 + y) * w + x0;
                            const uint8_t *pb = b + (y0 + oy + y) * w + x0 + ox;
                            for (int x = 0; x < bw; x++) sad += abs(pa[x] - pb[x]);
                            worse = best >= 0 && sad > best;
                        }
                        if (worse) continue;
                        /* prefer the smaller shift on ties: flat blocks do not move */
                        if (best < 0 || sad < best ||
                            (sad == best && abs(ox) + abs(oy) < abs(bx) + abs(by))) {
                            best = sad;
                            bx = ox;
                            by = oy;
                        }
                    }
                }
            }
            if (best >= 0) {
                vx[n] = bx;
                vy[n] = by;
                n++;
            }
        }
    }
    if (n < 3) {
        *dx = *dy = 0;
        return false;
    }
    int ux[GX * GY], uy[GX * GY];
    memcpy(ux, vx, sizeof(int) * (size_t)n);
    memcpy(uy, vy, sizeof(int) * (size_t)n);
    qsort(vx, (size_t)n, sizeof(int), cmp_int);
    qsort(vy, (size_t)n, sizeof(int), cmp_int);
    *dx = vx[n / 2];
    *dy = vy[n / 2];
    /* trusted only when most blocks agree (not at a cut, a light change, a tunnel mouth) */
    int agree = 0;
    for (int i = 0; i < n; i++) agree += abs(ux[i] - (int)*dx) <= 1 && abs(uy[i] - (int)*dy) <= 1;
    return 2 * agree >= n;
}

bool dc_mine_motion_features(const dc_thumb_set *set, float *motion, float *shake, float *looming,
                             float *flow) {
    int n = set->count, w = set->width, h = set->height;
    if (n <= 0) return true;
    motion[0] = shake[0] = looming[0] = flow[0] = NAN;
    float *ra = malloc(sizeof(float) * (size_t)(2 * h + 2 * w));
    double *plain = malloc(sizeof(double) * (size_t)n);
    if (!ra || !plain) {
        for (int i = 1; i < n; i++) motion[i] = shake[i] = looming[i] = flow[i] = NAN;
        free(ra);
        free(plain);
        return false;
    }
    float *ca = ra + h, *rb = ca + w, *cb = rb + h;
    int y_prof = (int)(0.85 * h), y_road0 = h / 2, y_road1 = (int)(0.85 * h);
    if (y_prof < 2) y_prof = h;
    plain[0] = 0;
    double px = 0, py = 0; /* previous step's translation */
    for (int i = 1; i < n; i++) {
        const uint8_t *a = set->thumbs[i - 1].gray, *b = set->thumbs[i].gray;
        double sad = 0;
        for (int k = 0; k < w * h; k++) sad += abs(a[k] - b[k]);
        plain[i] = sad / (w * h);
    }
    for (int i = 1; i < n; i++) {
        const uint8_t *a = set->thumbs[i - 1].gray, *b = set->thumbs[i].gray;
        double dt = set->thumbs[i].t_sec - set->thumbs[i - 1].t_sec;
        /* a duplicated frame in a moving picture: no information in this step */
        bool isolated_still =
            plain[i] < 0.01 && (i == 1 || plain[i - 1] > 1.0) && (i + 1 >= n || plain[i + 1] > 1.0);
        if (isolated_still || dt <= 0) {
            motion[i] = shake[i] = looming[i] = flow[i] = NAN;
            continue;
        }
        motion[i] = (float)norm_diff(a, b, w, 0, (int)(0.9 * h));
        flow[i] = (float)norm_diff(a, b, w, y_road0, y_road1);
        double dx, dy;
        if (dt > 0.5) {
            /* keyframes a second apart cannot see a jolt that rings out in a second */
            profiles(a, w, h, y_prof, ra, ca);
            profiles(b, w, h, y_prof, rb, cb);
            dx = mine_profile_shift(ca, cb, w, w / 12);
            dy = mine_profile_shift(ra, rb, y_prof, h / 10);
            shake[i] = NAN;
        } else {
            if (!block_translation(a, b, w, h, &dx, &dy)) {
                dx = px; /* untrusted: carry the previous velocity (no jolt seen) */
                dy = py;
            }
            /* shake is the change of the camera's velocity: a jolt reverses direction from
             * one step to the next, a lane change or a passing vehicle drifts smoothly */
            shake[i] = (float)sqrt((dx - px) * (dx - px) + (dy - py) * (dy - py));
        }
        px = dx;
        py = dy;
        double max_scale = dt > 0.5 ? 2.5 : 1.6;
        looming[i] = (float)(log(best_scale(a, b, w, h, max_scale, dx, dy)) / dt);
    }
    free(ra);
    free(plain);
    return true;
}
