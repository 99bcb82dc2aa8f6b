/* Thumbnails -> one hash per second: for each second s the thumbnail nearest to s within
 * 0.5 s. Only the chosen thumbnails are hashed (a 5-a-second mining pass hashes one in five),
 * which keeps the fingerprint's cost a small share of mining's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fp_internal.h"

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
    for (int s = 0; s < seconds; s++) {
        if (best[s] < 0) continue;
        const dc_thumb *th = &thumbs->thumbs[best[s]];
        dc_fp_second *e = &out->seconds[out->count++];
        int q;
        e->second = s;
        e->t_ms = (int32_t)lround(th->t_sec * 1000.0);
        dc_fp_hash_gray(th->gray, thumbs->width, thumbs->height, thumbs->width, &e->hash,
                        &e->mirrored, &q);
        e->quality = (uint8_t)q;
    }
    free(best);
    return DC_OK;
}
