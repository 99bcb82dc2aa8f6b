/* Order statistics, running maxima and peak picking for the timeline. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

float mine_median(const float *x, int n, float *scratch) {
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) scratch[m++] = x[i];
    if (m == 0) return NAN;
    return dc_select_float(scratch, m, m / 2);
}

void mine_max_filter(const float *in, int n, int radius, float *out) {
    /* n * radius is small (12 000 ticks x 10): the plain loop is fine */
    for (int i = 0; i < n; i++) {
        float m = in[i];
        int a = i - radius < 0 ? 0 : i - radius, b = i + radius >= n ? n - 1 : i + radius;
        for (int j = a; j <= b; j++)
            if (in[j] > m) m = in[j];
        out[i] = m;
    }
}

typedef struct {
    float v;
    int i;
} scored_index;

static int by_value_desc(const void *a, const void *b) {
    const scored_index *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? 1 : -1;
    return x->i - y->i; /* earlier first on ties: deterministic */
}

int mine_peaks(const float *x, int n, int radius, int *idx, int max) {
    if (n <= 0 || max <= 0) return 0;
    scored_index *order = malloc(sizeof *order * (size_t)n);
    if (!order) return -1;
    for (int i = 0; i < n; i++) order[i] = (scored_index){isfinite(x[i]) ? x[i] : 0, i};
    qsort(order, (size_t)n, sizeof *order, by_value_desc);
    int found = 0;
    for (int k = 0; k < n && found < max; k++) {
        bool near = false;
        for (int j = 0; j < found && !near; j++) near = abs(idx[j] - order[k].i) <= radius;
        if (!near) idx[found++] = order[k].i;
    }
    free(order);
    return found;
}

void mine_steps_to_ticks(const float *score, const double *t, int count, double hz, int tick_from,
                         int tick_to, float *track) {
    for (int k = 1; k < count; k++) {
        int a = (int)floor(t[k - 1] * hz) + 1, b = (int)floor(t[k] * hz);
        if (a < tick_from) a = tick_from;
        if (b >= tick_to) b = tick_to - 1;
        float v = isfinite(score[k]) ? score[k] : 0;
        for (int i = a; i <= b; i++) track[i] = v;
    }
}

bool mine_stop_feature(const float *flow, const double *t, int count, double before, double gap,
                       double after, float *stop) {
    float *scratch = malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    if (!scratch) {
        for (int k = 0; k < count; k++) stop[k] = NAN;
        return false;
    }
    int a0 = 0, a1 = 0, b1 = 0;
    for (int k = 0; k < count; k++) {
        while (a0 < count && t[a0] < t[k] - before) a0++;
        while (a1 < count && t[a1] < t[k] - gap) a1++;
        while (b1 < count && t[b1] < t[k] + after) b1++;
        float pre = a1 > a0 ? mine_median(flow + a0, a1 - a0, scratch) : NAN;
        float post = b1 > k ? mine_median(flow + k, b1 - k, scratch) : NAN;
        /* 0.02: flow in contrast units below which the picture is as good as still */
        stop[k] = isfinite(pre) && isfinite(post) ? logf((pre + 0.02f) / (post + 0.02f)) : NAN;
    }
    free(scratch);
    return true;
}
