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

#include "dashclaim/order_stats.h"
#include "fp_internal.h"

#define SIDE 64  /* the downsampled picture */
#define FREQS 16 /* frequencies 1..16 kept in each direction */

/* Border rows/columns: darker than this mean and flatter than this mean absolute deviation.
 * Bars added by a letterboxing encoder are black (0 in the thumbnails' full-range gray, a
 * level or two after re-encoding); a night sky (8 and up on synth-video's night drives) or a
 * dashcam's dark timestamp strip (26-35) is picture, and trimming it in some copies but not
 * in others stretched them apart (a 10 % crop of a night drive: 65 bits from its original). */
#define BAR_MAX_MEAN 6.0
#define BAR_MAX_MAD 2.0
/* At most this share of a side is trimmed from each edge (a 4:3 picture letterboxed into
 * 16:9, or the reverse, needs 12.5 %); beyond it the "bars" are a dark picture. */
#define BAR_MAX_SHARE 0.3

/* Quality: mean |dx| + |dy| of the 64x64 picture, in gray levels, at which it reaches 100. */
#define QUALITY_FULL_GRADIENT 12.0

/* cos(pi * (2x + 1) * u / 128), u = 1..16, stored [x][u] so that the DCT's inner loops run
 * over 16 frequencies side by side (vectorised by the compiler without reordering sums) */
static float dct_basis[SIDE][FREQS];
static pthread_once_t dct_once = PTHREAD_ONCE_INIT;

static void dct_init(void) {
    for (int u = 0; u < FREQS; u++)
        for (int x = 0; x < SIDE; x++)
            dct_basis[x][u] = (float)cos(M_PI * (2 * x + 1) * (u + 1) / (2.0 * SIDE));
}

static bool is_bar(const uint8_t *p, int n, int step) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += p[(size_t)i * (size_t)step];
    double mean = sum / n, dev = 0;
    if (mean > BAR_MAX_MEAN) return false;
    for (int i = 0; i < n; i++) dev += fabs(p[(size_t)i * (size_t)step] - mean);
    return dev / n <= BAR_MAX_MAD;
}

/* The picture inside dark uniform bars of one picture, each side on its own. */
void fp_find_bars(const uint8_t *g, int w, int h, int stride, fp_rect *r) {
    int maxh = (int)(h * BAR_MAX_SHARE), maxw = (int)(w * BAR_MAX_SHARE);
    *r = (fp_rect){.x0 = 0, .x1 = w, .y0 = 0, .y1 = h};
    while (r->y0 < maxh && is_bar(g + (size_t)r->y0 * (size_t)stride, w, 1)) r->y0++;
    while (h - r->y1 < maxh && is_bar(g + (size_t)(r->y1 - 1) * (size_t)stride, w, 1)) r->y1--;
    const uint8_t *top = g + (size_t)r->y0 * (size_t)stride;
    int rows = r->y1 - r->y0;
    while (r->x0 < maxw && is_bar(top + r->x0, rows, stride)) r->x0++;
    while (w - r->x1 < maxw && is_bar(top + r->x1 - 1, rows, stride)) r->x1--;
}

/* Bars added to fit another frame are symmetric (the picture centred, one row or column more
 * on one side at most); a dark band on one side only is the picture's own (a dashcam's black
 * timestamp strip, a dark dashboard, a night sky), and trimming it in one copy but not in
 * another (a crop that cuts part of the strip) would stretch the picture between them. So
 * where the two sides differ by more than one, both keep the smaller trim. */
void fp_symmetric_bars(fp_rect *r, int w, int h) {
    int top = r->y0, bottom = h - r->y1, left = r->x0, right = w - r->x1;
    if (abs(top - bottom) > 1) {
        int m = top < bottom ? top : bottom;
        r->y0 = m;
        r->y1 = h - m;
    }
    if (abs(left - right) > 1) {
        int m = left < right ? left : right;
        r->x0 = m;
        r->x1 = w - m;
    }
}

/* Area-average weights of the source span [a0, a0 + len) (a0 and len may be fractional: a
 * centre view's edges fall between pixels) onto SIDE cells: cell i covers
 * [a0 + i * len / SIDE, a0 + (i + 1) * len / SIDE); a source pixel cut by a cell edge counts in
 * part. n is the source side, which the span lies within. */
static void box_weights(double a0, double len, int n, int first[SIDE], int last[SIDE],
                        float (*wt)[SIDE], int cap) {
    double scale = len / SIDE;
    for (int i = 0; i < SIDE; i++) {
        double a = a0 + i * scale, b = a0 + (i + 1) * scale;
        first[i] = (int)floor(a);
        last[i] = (int)ceil(b) - 1;
        if (first[i] < 0) first[i] = 0;
        if (last[i] >= n) last[i] = n - 1;
        if (last[i] < first[i]) last[i] = first[i];
        if (last[i] - first[i] + 1 > cap) last[i] = first[i] + cap - 1;
        for (int k = first[i]; k <= last[i]; k++) {
            double lo = fmax(a, k), hi = fmin(b, k + 1.0);
            wt[k - first[i]][i] = hi > lo ? (float)((hi - lo) / scale) : 0.0f;
        }
    }
}

/* Source spans of one cell: a side of up to 8192 pixels onto 64 cells is 128 + 2 per cell. */
#define MAX_SPAN 130

/* The picture [x0, x0 + w) x [y0, y0 + h) (fractional edges allowed) of g, area-averaged to
 * SIDE x SIDE. gw and gh bound the source. */
static void downsample(const uint8_t *g, int stride, int gw, int gh, double x0, double w, double y0,
                       double h, float out[SIDE][SIDE]) {
    int fx[SIDE], lx[SIDE], fy[SIDE], ly[SIDE];
    static _Thread_local float wx[MAX_SPAN][SIDE], wy[MAX_SPAN][SIDE];
    box_weights(x0, w, gw, fx, lx, wx, MAX_SPAN);
    box_weights(y0, h, gh, fy, ly, wy, MAX_SPAN);
    /* separable: each source row is averaged across once, then added to the (one to three)
     * cells whose rows it covers */
    memset(out, 0, sizeof(float) * SIDE * SIDE);
    int j0 = 0;
    for (int y = fy[0]; y <= ly[SIDE - 1]; y++) {
        const uint8_t *row = g + (size_t)y * (size_t)stride;
        float across[SIDE];
        for (int i = 0; i < SIDE; i++) {
            float s = 0;
            for (int x = fx[i]; x <= lx[i]; x++) s += wx[x - fx[i]][i] * row[x];
            across[i] = s;
        }
        while (j0 < SIDE && ly[j0] < y) j0++;
        for (int j = j0; j < SIDE && fy[j] <= y; j++) {
            if (y > ly[j]) continue;
            float wyv = wy[y - fy[j]][j];
            for (int i = 0; i < SIDE; i++) out[j][i] += wyv * across[i];
        }
    }
}

/* The median of n values (n even: the mean of the two middle ones), by selection: a full
 * sort was a quarter of the hashing time. v is reordered. */
static float median_of(float *v, int n) {
    int k = n / 2;
    float upper = dc_select_float(v, n, k);
    if (n % 2) return upper;
    /* nothing before v[k] is larger: the lower middle one is the largest of them */
    float below = v[0];
    for (int i = 1; i < k; i++)
        if (v[i] > below) below = v[i];
    return 0.5f * (below + upper);
}

static void threshold(const float c[FREQS * FREQS], dc_fp_hash *h) {
    float work[FREQS * FREQS];
    memcpy(work, c, sizeof work);
    float median = median_of(work, FREQS * FREQS);
    memset(h, 0, sizeof *h);
    for (int i = 0; i < FREQS * FREQS; i++)
        if (c[i] > median) h->w[i / 64] |= 1ull << (i % 64);
}

/* The hash and mirrored hash of one SIDE x SIDE picture. */
static void hash_grid(float pic[SIDE][SIDE], dc_fp_hash *hash, dc_fp_hash *mirrored) {
    /* separable DCT: rows first (64 x 16), then columns (16 x 16). The basis of frequency k at
     * x and at 63 - x differ by (-1)^k, so each pass works on the folded differences (odd k,
     * index u even) and sums (even k) of mirrored positions: half the multiplications. */
    float rowf[SIDE][FREQS];
    for (int y = 0; y < SIDE; y++) {
        float acc[FREQS] = {0};
        for (int x = 0; x < SIDE / 2; x++) {
            float sum = pic[y][x] + pic[y][SIDE - 1 - x], diff = pic[y][x] - pic[y][SIDE - 1 - x];
            for (int u = 0; u < FREQS; u += 2) {
                acc[u] += diff * dct_basis[x][u];
                acc[u + 1] += sum * dct_basis[x][u + 1];
            }
        }
        memcpy(rowf[y], acc, sizeof acc);
    }
    float colf[FREQS][FREQS]; /* [v][u] */
    for (int v = 0; v < FREQS; v++) {
        float acc[FREQS] = {0};
        for (int y = 0; y < SIDE / 2; y++) {
            float b = dct_basis[y][v];
            if (v % 2 == 0)
                for (int u = 0; u < FREQS; u++) acc[u] += (rowf[y][u] - rowf[SIDE - 1 - y][u]) * b;
            else
                for (int u = 0; u < FREQS; u++) acc[u] += (rowf[y][u] + rowf[SIDE - 1 - y][u]) * b;
        }
        memcpy(colf[v], acc, sizeof acc);
    }
    float c[FREQS * FREQS], m[FREQS * FREQS];
    for (int v = 0; v < FREQS; v++)
        for (int u = 0; u < FREQS; u++) {
            float a = colf[v][u];
            c[v * FREQS + u] = a;
            /* horizontal frequency u + 1: odd ones change sign under a left-right flip */
            m[v * FREQS + u] = (u % 2 == 0) ? -a : a;
        }
    threshold(c, hash);
    threshold(m, mirrored);
}

/* Gradient energy of the picture, 0..100. */
static int grid_quality(float pic[SIDE][SIDE]) {
    double grad = 0;
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            if (x + 1 < SIDE) grad += fabsf(pic[y][x + 1] - pic[y][x]);
            if (y + 1 < SIDE) grad += fabsf(pic[y + 1][x] - pic[y][x]);
        }
    grad /= SIDE * (SIDE - 1);
    int q = (int)lround(100.0 * grad / QUALITY_FULL_GRADIENT);
    return q > 100 ? 100 : q;
}

static bool valid_picture(const uint8_t *gray, int width, int height, int stride) {
    return gray && width >= 8 && height >= 8 && stride >= width && width <= 8192 && height <= 8192;
}

void fp_hash_in(const uint8_t *gray, int width, int height, int stride, const fp_rect *r,
                bool views, dc_fp_second *out, int *quality) {
    memset(&out->hash, 0, sizeof out->hash);
    memset(&out->mirrored, 0, sizeof out->mirrored);
    memset(out->zoom, 0, sizeof out->zoom);
    memset(out->zoom_mirrored, 0, sizeof out->zoom_mirrored);
    *quality = 0;
    if (!valid_picture(gray, width, height, stride) || r->x0 < 0 || r->y0 < 0 || r->x1 > width ||
        r->y1 > height || r->x1 - r->x0 < 8 || r->y1 - r->y0 < 8)
        return;
    pthread_once(&dct_once, dct_init);
    float pic[SIDE][SIDE];
    double w = r->x1 - r->x0, h = r->y1 - r->y0;
    downsample(gray, stride, width, height, r->x0, w, r->y0, h, pic);
    *quality = grid_quality(pic);
    hash_grid(pic, &out->hash, &out->mirrored);
    for (int z = 0; views && z < DC_FP_ZOOMS; z++) {
        double keep = DC_FP_ZOOM_PERMILLE(z) / 1000.0;
        downsample(gray, stride, width, height, r->x0 + w * (1 - keep) / 2, w * keep,
                   r->y0 + h * (1 - keep) / 2, h * keep, pic);
        hash_grid(pic, &out->zoom[z], &out->zoom_mirrored[z]);
    }
}

void dc_fp_hash_views(const uint8_t *gray, int width, int height, int stride, dc_fp_second *out,
                      int *quality) {
    fp_rect r = {0};
    if (valid_picture(gray, width, height, stride)) {
        fp_find_bars(gray, width, height, stride, &r);
        fp_symmetric_bars(&r, width, height);
    }
    fp_hash_in(gray, width, height, stride, &r, true, out, quality);
}

void dc_fp_hash_gray(const uint8_t *gray, int width, int height, int stride, dc_fp_hash *hash,
                     dc_fp_hash *mirrored, int *quality) {
    fp_rect r = {0};
    if (valid_picture(gray, width, height, stride)) {
        fp_find_bars(gray, width, height, stride, &r);
        fp_symmetric_bars(&r, width, height);
    }
    dc_fp_second e;
    fp_hash_in(gray, width, height, stride, &r, false, &e, quality);
    *hash = e.hash;
    *mirrored = e.mirrored;
}
