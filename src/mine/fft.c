/* The power spectrum of a real frame through one radix-2 complex FFT of half the length (the
 * even/odd packing trick) with precomputed tables. The audio features need ~50 000 512-point
 * spectra per 20 minutes of sound. */
#include <math.h>
#include <stdlib.h>

#include "mine_internal.h"

struct mine_rfft {
    int n, m;       /* real length, complex length m = n / 2 */
    int *rev;       /* bit reversal of m */
    float *wr, *wi; /* e^{-2 pi i k / m}, k < m / 2 */
    float *cr, *ci; /* e^{-2 pi i k / n}, k <= m */
    float *re, *im; /* work */
};

mine_rfft *mine_rfft_new(int n) {
    mine_rfft *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n;
    p->m = n / 2;
    int m = p->m;
    p->rev = malloc(sizeof(int) * (size_t)m);
    p->wr = malloc(sizeof(float) * (size_t)m);
    p->wi = malloc(sizeof(float) * (size_t)m);
    p->cr = malloc(sizeof(float) * (size_t)(m + 1));
    p->ci = malloc(sizeof(float) * (size_t)(m + 1));
    p->re = malloc(sizeof(float) * (size_t)m);
    p->im = malloc(sizeof(float) * (size_t)m);
    if (!p->rev || !p->wr || !p->wi || !p->cr || !p->ci || !p->re || !p->im) {
        mine_rfft_free(p);
        return NULL;
    }
    for (int i = 0, j = 0; i < m; i++) {
        p->rev[i] = j;
        int bit = m >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
    }
    for (int k = 0; k < m; k++) {
        p->wr[k] = (float)cos(-2 * M_PI * k / m);
        p->wi[k] = (float)sin(-2 * M_PI * k / m);
    }
    for (int k = 0; k <= m; k++) {
        p->cr[k] = (float)cos(-2 * M_PI * k / n);
        p->ci[k] = (float)sin(-2 * M_PI * k / n);
    }
    return p;
}

void mine_rfft_free(mine_rfft *p) {
    if (!p) return;
    free(p->rev);
    free(p->wr);
    free(p->wi);
    free(p->cr);
    free(p->ci);
    free(p->re);
    free(p->im);
    free(p);
}

void mine_rfft_power(mine_rfft *p, const float *x, const float *window, float *power) {
    int m = p->m;
    float *re = p->re, *im = p->im;
    for (int k = 0; k < m; k++) {
        int r = p->rev[k];
        re[r] = x[2 * k] * window[2 * k];
        im[r] = x[2 * k + 1] * window[2 * k + 1];
    }
    for (int len = 2; len <= m; len <<= 1) {
        int half = len / 2, step = m / len;
        for (int i = 0; i < m; i += len) {
            for (int k = 0; k < half; k++) {
                int a = i + k, b = a + half;
                float cr = p->wr[k * step], ci = p->wi[k * step];
                float xr = re[b] * cr - im[b] * ci, xi = re[b] * ci + im[b] * cr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
        }
    }
    /* X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i */
    for (int k = 0; k <= m; k++) {
        int a = k % m, b = (m - k) % m;
        float er = 0.5f * (re[a] + re[b]), ei = 0.5f * (im[a] - im[b]);
        float or_ = 0.5f * (im[a] + im[b]), oi = -0.5f * (re[a] - re[b]);
        float xr = er + p->cr[k] * or_ - p->ci[k] * oi;
        float xi = ei + p->cr[k] * oi + p->ci[k] * or_;
        if (k < m) power[k] = xr * xr + xi * xi;
    }
}
