/* Thumbnails -> one hash per second: for each second s the thumbnail nearest to s within
 * 0.5 s, hashed as the mean picture of the thumbnails within FP_WINDOW_SEC of it; and, for a
 * query, the same at the sub-second phases where thumbnails are dense enough. Only the chosen
 * pictures are hashed, which keeps the fingerprint a small share of mining's cost. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fp_internal.h"

/* Half the width of the averaging window around each second's thumbnail: a moving camera
 * changes fine detail within a tenth of a second, the mean of a short window much less, so
 * copies sampled at other instants (another frame rate, another keyframe grid) still agree. */
#define FP_WINDOW_SEC 0.25

void dc_fingerprint_free(dc_fingerprint *fp) {
    if (!fp) return;
    free(fp->seconds);
    free(fp->phased);
    memset(fp, 0, sizeof *fp);
}

int dc_fingerprint_usable(const dc_fingerprint *fp) {
    int n = 0;
    for (int i = 0; fp && i < fp->count; i++) n += fp->seconds[i].quality >= DC_FP_MIN_QUALITY;
    return n;
}

typedef struct {
    const dc_thumb_set *set;
    int *order; /* thumbnails with pixels and a finite time, by time */
    int n;
    uint32_t *sum;
    uint8_t *mean;
    size_t px;
    fp_rect bars; /* the video's bars: the same part of every picture is hashed */
} sampler;

/* The video's letterbox/pillarbox bars: on each side the smallest trim any of its pictures
 * shows (a bar is dark and flat in every frame; a dark sky or a dark frame is not, somewhere),
 * then only symmetric bars. One rectangle for the whole video keeps every second's hash on the
 * same part of the picture, and a crop's or a caption's copy on the same part as the original
 * where per-picture trimming stretched one of them now and then. */
static void video_bars(sampler *s) {
    int w = s->set->width, h = s->set->height;
    s->bars = (fp_rect){.x0 = w, .x1 = 0, .y0 = h, .y1 = 0};
    for (int i = 0; i < s->n; i++) {
        fp_rect r;
        fp_find_bars(s->set->thumbs[s->order[i]].gray, w, h, w, &r);
        if (r.x0 < s->bars.x0) s->bars.x0 = r.x0;
        if (r.x1 > s->bars.x1) s->bars.x1 = r.x1;
        if (r.y0 < s->bars.y0) s->bars.y0 = r.y0;
        if (r.y1 > s->bars.y1) s->bars.y1 = r.y1;
    }
    fp_symmetric_bars(&s->bars, w, h);
}

/* Insertion sort by time: the coarse pass hands its thumbnails in time order already (a few
 * out of place with B-frames), so this is linear in practice, and needs no global for qsort. */
static void sort_by_time(const dc_thumb_set *set, int *order, int n) {
    for (int i = 1; i < n; i++) {
        int v = order[i], j = i - 1;
        double t = set->thumbs[v].t_sec;
        while (j >= 0 && set->thumbs[order[j]].t_sec > t) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
}

/* index into order of the thumbnail nearest to t (earlier on a tie), -1 if beyond tol */
static int nearest(const sampler *s, double t, double tol) {
    int lo = 0, hi = s->n; /* first with time >= t */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->set->thumbs[s->order[mid]].t_sec < t) lo = mid + 1;
        else hi = mid;
    }
    int best = -1;
    double bd = tol;
    for (int k = lo - 1; k <= lo; k++) {
        if (k < 0 || k >= s->n) continue;
        double d = fabs(s->set->thumbs[s->order[k]].t_sec - t);
        if (d < bd || (d == bd && best < 0)) {
            bd = d;
            best = k;
        }
    }
    return best;
}

/* hashes the mean picture around order[k] into e; with views (whole seconds) also its centre
 * views, which the sub-second phases go without (they serve clips cut between seconds, and
 * hashing four more views at five phases would make the fingerprint a large share of mining) */
static void hash_around(sampler *s, int k, int second, bool views, dc_fp_second *e) {
    const dc_thumb *th = &s->set->thumbs[s->order[k]];
    memset(s->sum, 0, sizeof *s->sum * s->px);
    int n = 0;
    for (int i = k; i >= 0 && th->t_sec - s->set->thumbs[s->order[i]].t_sec <= FP_WINDOW_SEC;
         i--, n++)
        for (size_t p = 0; p < s->px; p++) s->sum[p] += s->set->thumbs[s->order[i]].gray[p];
    for (int i = k + 1; i < s->n && s->set->thumbs[s->order[i]].t_sec - th->t_sec <= FP_WINDOW_SEC;
         i++, n++)
        for (size_t p = 0; p < s->px; p++) s->sum[p] += s->set->thumbs[s->order[i]].gray[p];
    for (size_t p = 0; p < s->px; p++)
        s->mean[p] = (uint8_t)((s->sum[p] + (uint32_t)n / 2) / (uint32_t)n);
    int q;
    e->second = second;
    e->t_ms = (int32_t)lround(th->t_sec * 1000.0);
    fp_hash_in(s->mean, s->set->width, s->set->height, s->set->width, &s->bars, views, e, &q);
    e->quality = (uint8_t)q;
}

dc_error_class dc_fingerprint_from_thumbs(const dc_thumb_set *thumbs, double duration_sec,
                                          dc_fingerprint *out, dc_status *st) {
    memset(out, 0, sizeof *out);
    if (!thumbs || thumbs->count <= 0 || !thumbs->thumbs || thumbs->width <= 0 ||
        thumbs->height <= 0)
        return DC_OK;
    sampler s = {.set = thumbs, .px = (size_t)thumbs->width * (size_t)thumbs->height};
    s.order = malloc(sizeof *s.order * (size_t)thumbs->count);
    s.sum = malloc(sizeof *s.sum * s.px);
    s.mean = malloc(s.px);
    dc_error_class e = DC_OK;
    if (!s.order || !s.sum || !s.mean) {
        e = dc_fail(st, DC_ERR_RESOURCE, "fingerprint: out of memory");
        goto done;
    }
    for (int i = 0; i < thumbs->count; i++)
        if (thumbs->thumbs[i].gray && isfinite(thumbs->thumbs[i].t_sec)) s.order[s.n++] = i;
    sort_by_time(thumbs, s.order, s.n);
    if (s.n == 0) goto done;
    video_bars(&s);
    if (!(duration_sec > 0)) duration_sec = thumbs->thumbs[s.order[s.n - 1]].t_sec + 0.5;
    if (!isfinite(duration_sec) || duration_sec > DC_FP_MAX_SECONDS)
        duration_sec = DC_FP_MAX_SECONDS;
    int seconds = (int)ceil(duration_sec - 1e-9);
    out->duration_sec = seconds < 1 ? 1 : seconds;
    out->zooms = DC_FP_ZOOMS;
    /* at most one entry per second, and per second and phase */
    size_t cap = (size_t)s.n < (size_t)out->duration_sec ? (size_t)s.n : (size_t)out->duration_sec;
    out->seconds = calloc(cap, sizeof *out->seconds);
    size_t pcap = cap * (DC_FP_PHASES - 1) < (size_t)s.n ? cap * (DC_FP_PHASES - 1) : (size_t)s.n;
    out->phased = calloc(pcap ? pcap : 1, sizeof *out->phased);
    if (!out->seconds || !out->phased) {
        e = dc_fail(st, DC_ERR_RESOURCE, "fingerprint: out of memory for %zu seconds", cap);
        goto done;
    }
    for (int sec = 0; sec < out->duration_sec; sec++) {
        int k = nearest(&s, sec, 0.5 + 1e-9);
        if (k < 0) continue;
        hash_around(&s, k, sec, true, &out->seconds[out->count++]);
        for (int p = 1; p < DC_FP_PHASES; p++) {
            double t = sec + (double)p / DC_FP_PHASES;
            int kp = nearest(&s, t, 0.5 / DC_FP_PHASES + 1e-9);
            if (kp >= 0 && (size_t)out->phased_count < pcap)
                hash_around(&s, kp, sec, false, &out->phased[out->phased_count++]);
        }
    }
    if (out->phased_count == 0) {
        free(out->phased);
        out->phased = NULL;
    }
done:
    if (e != DC_OK) dc_fingerprint_free(out);
    free(s.order);
    free(s.sum);
    free(s.mean);
    return e;
}
