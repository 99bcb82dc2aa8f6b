/* Motion from packet sizes, the demux-only cue: an encoder spends bits on what it cannot
 * predict, so an inter-coded frame grows with motion, shake and sudden change. Keyframes are
 * left out (their size says how detailed the picture is, not how it moved). The median of
 * the neighbours within +-2 s is the baseline, so a slowly busier scene is not an event;
 * per tick the mean residual keeps B- and P-frames (of different typical size) together. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

typedef struct {
    double t;
    float v;
} timed;

static int by_time(const void *a, const void *b) {
    const timed *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

bool mine_packet_motion(const dc_packet_sizes *p, double hz, int n, float *out) {
    for (int i = 0; i < n; i++) out[i] = NAN;
    timed *v = malloc(sizeof *v * (size_t)(p->count > 0 ? p->count : 1));
    float *win = malloc(sizeof *win * (size_t)(p->count > 0 ? p->count : 1));
    double *sum = calloc((size_t)(n > 0 ? n : 1), sizeof *sum);
    int *cnt = calloc((size_t)(n > 0 ? n : 1), sizeof *cnt);
    bool ok = v && win && sum && cnt;
    if (!ok) goto done;
    int m = 0;
    for (int i = 0; i < p->count; i++)
        if (!p->key[i] && p->bytes[i] > 0 && isfinite(p->t_sec[i]))
            v[m++] = (timed){p->t_sec[i], logf((float)p->bytes[i])};
    qsort(v, (size_t)m, sizeof *v, by_time);
    int a = 0, b = 0;
    for (int i = 0; i < m; i++) {
        while (a < m && v[a].t < v[i].t - 2.0) a++;
        while (b < m && v[b].t <= v[i].t + 2.0) b++;
        int k = 0;
        for (int j = a; j < b; j++) win[k++] = v[j].v;
        float base = dc_select_float(win, k, k / 2);
        int tick = (int)lround(v[i].t * hz);
        if (tick < 0 || tick >= n) continue;
        sum[tick] += v[i].v - base;
        cnt[tick]++;
    }
    for (int i = 0; i < n; i++)
        if (cnt[i]) out[i] = (float)(sum[i] / cnt[i]);
done:
    free(v);
    free(win);
    free(sum);
    free(cnt);
    return ok;
}
