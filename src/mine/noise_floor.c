/* Scores a raw feature against the video's own noise floor (see dc_mine_noise_floor_score in
 * mine.h). The q95 term keeps a cue that is present all the time (the beat of loud music,
 * the hum of a rough road) from scoring as an event: it then is the floor. */
#include <math.h>
#include <stdlib.h>

#include "mine_internal.h"

void dc_mine_noise_floor_score(const float *raw, int n, float min_spread, float *score) {
    float *v = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    int m = 0;
    if (v)
        for (int i = 0; i < n; i++)
            if (isfinite(raw[i])) v[m++] = raw[i];
    if (m == 0) {
        for (int i = 0; i < n; i++) score[i] = 0;
        free(v);
        return;
    }
    float med = mine_select(v, m, m / 2);
    float q95 = mine_select(v, m, (int)(0.95 * (m - 1)));
    for (int i = 0; i < m; i++) v[i] = fabsf(v[i] - med);
    float mad = mine_select(v, m, m / 2);
    float spread = 1.4826f * mad;
    if ((q95 - med) / 3.0f > spread) spread = (q95 - med) / 3.0f;
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
}
