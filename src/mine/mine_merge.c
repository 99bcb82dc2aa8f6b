/* The mining of a claim of several videos, on the claim's timeline.
 *
 * Each video is mined on its own (its own noise floor, its own dense passes), then its signal
 * tracks are laid on the claim's timeline at its offset and the claim's track takes the largest
 * score any video has at each tick. The scores are already relative to each video's ordinary
 * (0 = nothing beyond it, 1 = far beyond), so a max is a fair join: a rear camera's shake or
 * the bang in the next segment counts as it would in a file of its own, and two channels that
 * both saw the impact do not add up to more than one. Fusion then runs once on the joined
 * tracks, so the windows, their peaks and the "unsure" widening are chosen on the claim as a
 * whole, and a window may cross a file boundary.
 *
 * No lead-in ramp at a later file's start: a loop-recorded segment continues the camera's
 * recording (same exposure, same encoder state), and the first thumbnail of each file has no
 * motion features anyway (its features need a previous frame). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

dc_error_class dc_mine_merge(const dc_mine_result *const *parts, const double *offsets, int n,
                             const dc_mine_options *opts, dc_mine_result *out, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    memset(out, 0, sizeof *out);
    double end = 0;
    int given = 0;
    for (int i = 0; i < n; i++) {
        if (!parts || !parts[i]) continue;
        if (!offsets || !isfinite(offsets[i]) || offsets[i] < 0 || offsets[i] > 1e6)
            return dc_fail(st, DC_ERR_INPUT, "mining: video %d of the claim has offset %g s", i,
                           offsets ? offsets[i] : NAN);
        double e = offsets[i] + parts[i]->duration_sec;
        if (isfinite(e) && e > end) end = e;
        given++;
    }
    if (!given) return dc_fail(st, DC_ERR_INPUT, "mining: no video of the claim was mined");
    out->duration_sec = end;
    out->hz = DC_MINE_HZ;
    out->count = (int)ceil(end * DC_MINE_HZ) + 1;
    out->danger = calloc((size_t)out->count, sizeof(float));
    bool ok = out->danger != NULL;
    for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++) {
        out->signal[s] = calloc((size_t)out->count, sizeof(float));
        ok = ok && out->signal[s];
    }
    if (!ok) {
        dc_mine_result_free(out);
        return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory joining a %.0f s claim", end);
    }
    for (int i = 0; i < n; i++) {
        const dc_mine_result *p = parts ? parts[i] : NULL;
        if (!p) continue;
        int shift = (int)lround(offsets[i] * out->hz);
        for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++) {
            if (!p->signal[s]) continue;
            float *into = out->signal[s];
            for (int t = 0; t < p->count && shift + t < out->count; t++)
                if (p->signal[s][t] > into[shift + t]) into[shift + t] = p->signal[s][t];
        }
        out->has_audio |= p->has_audio;
        out->has_video |= p->has_video;
        out->has_accel |= p->has_accel;
        out->has_gps_speed |= p->has_gps_speed;
        out->keyframes += p->keyframes;
        out->dense_frames += p->dense_frames;
        out->frames_seen += p->frames_seen;
        out->packets += p->packets;
        if (p->coarse_every_kth > out->coarse_every_kth)
            out->coarse_every_kth = p->coarse_every_kth;
        out->seconds_audio += p->seconds_audio;
        out->seconds_coarse += p->seconds_coarse;
        out->seconds_dense += p->seconds_dense;
        out->seconds_total += p->seconds_total;
    }
    dc_error_class rc = dc_mine_fuse(out, opts, st);
    if (rc != DC_OK) dc_mine_result_free(out);
    return rc;
}
