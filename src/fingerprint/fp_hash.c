/* One picture's perceptual hash (after the published description of Meta's PDQ; our own code):
 * trim uniform borders, box-filter to 64x64, DCT-II, keep frequencies 1..16 in each direction,
 * threshold at their median. The mirrored hash comes from the same coefficients (a left-right
 * flip negates every odd horizontal frequency), so a query gets it without a second DCT.
 *
 * Why each step:
 *   - Border trimming makes letterboxed and pillarboxed copies (black bars added to fit
 *     another aspect ratio) hash the picture inside the bars. Only dark, flat rows and columns
 *     are bars: a bright overcast sky is content, and trimming it in one copy but not in
 *     another would shift the picture.
 *   - 64x64 by area averaging: every source pixel counts once, so the hash of a half-size or
 *     re-encoded copy sees the same means; noise and compression blocks average out.
 *   - Low frequencies only: they carry the layout (road, sky, buildings, cars), which survives
 *     scaling, re-encoding and overlaid text; fine detail does not.
 *   - The median threshold makes the hash independent of brightness and contrast and gives
 *     128 ones in every hash, so unrelated pictures sit near distance 128. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fp_internal.h"

#define SIDE 64  /* the downsampled picture */
#define FREQS 16 /* frequencies 1..16 kept in each direction */

/* Border rows/columns: darker than this mean and flatter than this mean absolute deviation. */
#define BAR_MAX_MEAN 40.0
#define BAR_MAX_MAD 6.0
/* At most this share of a side is trimmed from each edge (a 4:3 picture letterboxed into
 * 16:9, or the reverse, needs 12.5 %); beyond it the "bars" are a dark picture. */
#define BAR_MAX_SHARE 0.3

/* Quality: mean |dx| + |dy| of the 64x64 picture, in gray levels, at which it reaches 100. */
#define QUALITY_FULL_GRADIENT 12.0

static float dct_basis[FREQS][SIDE]; /* cos(pi * (2x + 1) * u / 128), u = 1..16 */
static pthread_once_t dct_once = PTHREAD_ONCE_INIT;

static void dct_init(void) {
    for (int u = 0; u < FREQS; u++)
        for (int x = 0; x < SIDE; x++)
            dct_basis[u][x] = (float)cos(M_PI * (2 * x + 1) * (u + 1) / (2.0 * SIDE));
}

static bool is_bar(const uint8_t *p, int n, int step) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += p[(size_t)i * (size_t)step];
    double mean = sum / n, dev = 0;
    if (mean > BAR_MAX_MEAN) return false;
    for (int i = 0; i < n; i++) dev += fabs(p[(size_t)i * (size_t)step] - mean);
    return dev / n <= BAR_MAX_MAD;
}

/* The picture inside dark uniform bars: [*x0, *x1) x [*y0, *y1). */
static void trim_bars(const uint8_t *g, int w, int h, int stride, int *x0, int *x1, int *y0,
                      int *y1) {
    int maxh = (int)(h * BAR_MAX_SHARE), maxw = (int)(w * BAR_MAX_SHARE);
    *y0 = 0;
    *y1 = h;
    *x0 = 0;
    *x1 = w;
    while (*y0 < maxh && is_bar(g + (size_t)*y0 * (size_t)stride, w, 1)) (*y0)++;
    while (h - *y1 < maxh && is_bar(g + (size_t)(*y1 - 1) * (size_t)stride, w, 1)) (*y1)--;
    const uint8_t *top = g + (size_t)*y0 * (size_t)stride;
    int rows = *y1 - *y0;
    while (*x0 < maxw && is_bar(top + *x0, rows, stride)) (*x0)++;
    while (w - *x1 < maxw && is_bar(top + *x1 - 1, rows, stride)) (*x1)--;
}

/* Area-average weights of a source span [0, n) onto SIDE cells: cell i covers source
 * [i * n / SIDE, (i + 1) * n / SIDE); a source pixel cut by a cell edge counts in part. */
static void box_weights(int n, int first[SIDE], int last[SIDE], float (*wt)[SIDE], int *cap) {
    double scale = (double)n / SIDE;
    for (int i = 0; i < SIDE; i++) {
        double a = i * scale, b = (i + 1) * scale;
        first[i] = (int)floor(a);
        last[i] = (int)ceil(b) - 1;
        if (last[i] >= n) last[i] = n - 1;
        if (last[i] - first[i] + 1 > *cap) last[i] = first[i] + *cap - 1;
        for (int k = first[i]; k <= last[i]; k++) {
            double lo = fmax(a, k), hi = fmin(b, k + 1.0);
            wt[k - first[i]][i] = (float)((hi - lo) / scale);
        }
    }
}

/* Source spans of one cell: a side of up to 8192 pixels onto 64 cells is 128 + 2 per cell. */
#define MAX_SPAN 130

static void downsample(const uint8_t *g, int stride, int x0, int x1, int y0, int y1,
                       float out[SIDE][SIDE]) {
    int w = x1 - x0, h = y1 - y0, cap = MAX_SPAN;
    int fx[SIDE], lx[SIDE], fy[SIDE], ly[SIDE];
    static _Thread_local float wx[MAX_SPAN][SIDE], wy[MAX_SPAN][SIDE];
    box_weights(w, fx, lx, wx, &cap);
    box_weights(h, fy, ly, wy, &cap);
    for (int j = 0; j < SIDE; j++) {
        float acc[SIDE] = {0};
        for (int y = fy[j]; y <= ly[j]; y++) {
            float wyv = wy[y - fy[j]][j];
            const uint8_t *row = g + (size_t)(y0 + y) * (size_t)stride + x0;
            for (int i = 0; i < SIDE; i++) {
                float s = 0;
                for (int x = fx[i]; x <= lx[i]; x++) s += wx[x - fx[i]][i] * row[x];
                acc[i] += wyv * s;
            }
        }
        memcpy(out[j], acc, sizeof acc);
    }
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void threshold(const float c[FREQS * FREQS], dc_fp_hash *h) {
    float sorted[FREQS * FREQS];
    memcpy(sorted, c, sizeof sorted);
    qsort(sorted, FREQS * FREQS, sizeof(float), cmp_float);
    float median = 0.5f * (sorted[FREQS * FREQS / 2 - 1] + sorted[FREQS * FREQS / 2]);
    memset(h, 0, sizeof *h);
    for (int i = 0; i < FREQS * FREQS; i++)
        if (c[i] > median) h->w[i / 64] |= 1ull << (i % 64);
}

void dc_fp_hash_gray(const uint8_t *gray, int width, int height, int stride, dc_fp_hash *hash,
                     dc_fp_hash *mirrored, int *quality) {
    memset(hash, 0, sizeof *hash);
    memset(mirrored, 0, sizeof *mirrored);
    *quality = 0;
    if (!gray || width < 8 || height < 8 || stride < width || width > 8192 || height > 8192) return;
    pthread_once(&dct_once, dct_init);
    int x0, x1, y0, y1;
    trim_bars(gray, width, height, stride, &x0, &x1, &y0, &y1);
    if (x1 - x0 < 8 || y1 - y0 < 8) return;
    float pic[SIDE][SIDE];
    downsample(gray, stride, x0, x1, y0, y1, pic);

    double grad = 0;
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            if (x + 1 < SIDE) grad += fabsf(pic[y][x + 1] - pic[y][x]);
            if (y + 1 < SIDE) grad += fabsf(pic[y + 1][x] - pic[y][x]);
        }
    grad /= SIDE * (SIDE - 1);
    int q = (int)lround(100.0 * grad / QUALITY_FULL_GRADIENT);
    *quality = q > 100 ? 100 : q;

    /* separable DCT: rows first (64 x 16), then columns (16 x 16) */
    float rowf[SIDE][FREQS];
    for (int y = 0; y < SIDE; y++)
        for (int u = 0; u < FREQS; u++) {
            float s = 0;
            for (int x = 0; x < SIDE; x++) s += pic[y][x] * dct_basis[u][x];
            rowf[y][u] = s;
        }
    float c[FREQS * FREQS], m[FREQS * FREQS];
    for (int v = 0; v < FREQS; v++)
        for (int u = 0; u < FREQS; u++) {
            float s = 0;
            for (int y = 0; y < SIDE; y++) s += rowf[y][u] * dct_basis[v][y];
            c[v * FREQS + u] = s;
            /* horizontal frequency u + 1: odd ones change sign under a left-right flip */
            m[v * FREQS + u] = (u % 2 == 0) ? -s : s;
        }
    threshold(c, hash);
    threshold(m, mirrored);
}
