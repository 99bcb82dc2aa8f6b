/* Thumbnails -> one hash per second: for each second s the thumbnail nearest to s within
 * 0.5 s. Only the chosen thumbnails are hashed (a 5-a-second mining pass hashes one in five),
 * which keeps the fingerprint's cost a small share of mining's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fp_internal.h"

/* Half the width of the averaging window around each second's thumbnail. */
#define FP_WINDOW_SEC 0.25

void dc_fingerprint_free(dc_fingerprint *fp) {
    if (!fp) return;
    free(fp->seconds);
    memset(fp, 0, sizeof *fp);
}

int dc_fingerprint_usable(const dc_fingerprint *fp) {
    int n = 0;
    for (int i = 0; fp && i < fp->count; i++) n += fp->seconds[i].quality >= DC_FP_MIN_QUALITY;
    return n;
}

dc_error_class dc_fingerprint_from_thumbs(const dc_thumb_set *thumbs, double duration_sec,
                                          dc_fingerprint *out, dc_status *st) {
    memset(out, 0, sizeof *out);
    if (!thumbs || thumbs->count <= 0 || !thumbs->thumbs) return DC_OK;
    if (!(duration_sec > 0)) {
        duration_sec = 0;
        for (int i = 0; i < thumbs->count; i++)
            if (thumbs->thumbs[i].t_sec > duration_sec) duration_sec = thumbs->thumbs[i].t_sec;
        duration_sec += 0.5; /* the last thumbnail's own second */
    }
    if (!isfinite(duration_sec) || duration_sec > DC_FP_MAX_SECONDS)
        duration_sec = DC_FP_MAX_SECONDS;
    int seconds = (int)ceil(duration_sec - 1e-9);
    if (seconds < 1) seconds = 1;
    int *best = malloc(sizeof(int) * (size_t)seconds);
    if (!best) return dc_fail(st, DC_ERR_RESOURCE, "fingerprint: out of memory");
    for (int s = 0; s < seconds; s++) best[s] = -1;
    for (int i = 0; i < thumbs->count; i++) {
        double t = thumbs->thumbs[i].t_sec;
        if (!isfinite(t) || !thumbs->thumbs[i].gray) continue;
        long s = lround(t);
        if (s < 0 || s >= seconds || fabs(t - (double)s) > 0.5) continue;
        int b = best[s];
        double db = b < 0 ? 1.0 : fabs(thumbs->thumbs[b].t_sec - (double)s);
        double d = fabs(t - (double)s);
        if (d < db || (d == db && t < thumbs->thumbs[b].t_sec)) best[s] = i;
    }
    int n = 0;
    for (int s = 0; s < seconds; s++) n += best[s] >= 0;
    out->duration_sec = seconds;
    if (n > 0) {
        out->seconds = calloc((size_t)n, sizeof *out->seconds);
        if (!out->seconds) {
            free(best);
            memset(out, 0, sizeof *out);
            return dc_fail(st, DC_ERR_RESOURCE, "fingerprint: out of memory for %d seconds", n);
        }
    }
    size_t px = (size_t)thumbs->width * (size_t)thumbs->height;
    uint32_t *sum = n > 0 ? malloc(sizeof *sum * px) : NULL;
    uint8_t *mean = n > 0 ? malloc(px) : NULL;
    if (n > 0 && (!sum || !mean)) {
        free(best);
        free(sum);
        free(mean);
        dc_fingerprint_free(out);
        return dc_fail(st, DC_ERR_RESOURCE, "fingerprint: out of memory for a %dx%d picture",
                       thumbs->width, thumbs->height);
    }
    for (int s = 0; s < seconds; s++) {
        if (best[s] < 0) continue;
        const dc_thumb *th = &thumbs->thumbs[best[s]];
        dc_fp_second *e = &out->seconds[out->count++];
        int q;
        e->second = s;
        e->t_ms = (int32_t)lround(th->t_sec * 1000.0);
        /* the mean picture of the thumbnails within FP_WINDOW_SEC of the chosen one: a moving
         * camera changes fine detail within a tenth of a second, the mean of a short window
         * much less, so copies sampled at other instants (another frame rate, another
         * keyframe grid) still agree */
        memset(sum, 0, sizeof *sum * px);
        int k = 0;
        for (int i = 0; i < thumbs->count; i++) {
            const dc_thumb *o = &thumbs->thumbs[i];
            if (!o->gray || !(fabs(o->t_sec - th->t_sec) <= FP_WINDOW_SEC)) continue;
            for (size_t p = 0; p < px; p++) sum[p] += o->gray[p];
            k++;
        }
        for (size_t p = 0; p < px; p++)
            mean[p] = (uint8_t)((sum[p] + (uint32_t)k / 2) / (uint32_t)k);
        dc_fp_hash_gray(mean, thumbs->width, thumbs->height, thumbs->width, &e->hash, &e->mirrored,
                        &q);
        e->quality = (uint8_t)q;
    }
    free(sum);
    free(mean);
    free(best);
    return DC_OK;
}
