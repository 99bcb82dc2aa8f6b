/* Frames of a window on the claim's timeline.
 *
 * A window may cross a file boundary (loop-recorded segments): its instants are spread over
 * it as one file would give them (start + i * step) and each file gives the instants that fall
 * in it, decoded in one call per file; instants in a gap between files (a channel that
 * stopped, a lost segment) are skipped. With several channels the VLM sees the same instants
 * from each (the front window and what the rear camera saw then), within the frame budget:
 * each channel gets an even share (two frames make one temporal patch, so a pair never mixes
 * channels), the main channel first. Every frame is made the size of the main channel's first
 * frame, as the engine needs one size for a claim. */
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

/* Moves the frames of src to the end of dst (dst's array has room); src is left empty. */
static void move_frames(dc_frame_set *dst, dc_frame_set *src) {
    for (int i = 0; i < src->count; i++) {
        dst->frames[dst->count++] = src->frames[i];
        src->frames[i].rgb = NULL;
    }
    src->count = 0;
    dc_frame_set_free(src);
}

/* n instants of [from, to) from one channel's videos into *out (which has room for n + 1). */
static dc_error_class sample_channel(claim_parts *cp, dc_video_role role,
                                     const dc_sample_request *base, double from, double to, int n,
                                     dc_deadline dl, dc_frame_set *out, dc_status *st) {
    double step = (to - from) / n;
    dc_status first = DC_STATUS_OK;
    int i = 0;
    while (i < n) {
        double t = from + i * step;
        int v = pipeline_parts_video_at(cp, role, t);
        const dc_claim_video *cv = v >= 0 ? cp->parts[v].video : NULL;
        if (!cv || t < cv->offset_sec || t >= cv->offset_sec + cv->duration_sec) {
            i++; /* an instant no video of this channel covers */
            continue;
        }
        int k = 1; /* the instants that fall in this file */
        while (i + k < n && from + (i + k) * step < cv->offset_sec + cv->duration_sec) k++;
        dc_sample_request req = *base;
        req.count = k;
        req.start_sec = t - cv->offset_sec;
        /* a window inside one file is asked as it is (as a claim of one video always was) */
        req.end_sec = k == n ? to - cv->offset_sec : req.start_sec + k * step;
        dc_frame_set got = {0};
        dc_status vst = DC_STATUS_OK;
        dc_error_class rc = dc_frames_sample(cp->parts[v].m, &req, dl, &got, &vst);
        if (rc == DC_ERR_TIMEOUT) {
            dc_frame_set_free(&got);
            *st = vst;
            return rc;
        }
        if (rc != DC_OK && first.code == DC_OK) first = vst;
        for (int f = 0; f < got.count; f++) {
            got.frames[f].t_sec += cv->offset_sec;
            got.frames[f].video = v;
        }
        move_frames(out, &got);
        i += k;
    }
    if (out->count == 0 && first.code != DC_OK) {
        *st = first;
        return first.code;
    }
    return DC_OK;
}

/* A copy of the last frame, so that a channel's frames make whole pairs. */
static bool repeat_last(dc_frame_set *s) {
    const dc_frame *last = &s->frames[s->count - 1];
    size_t bytes = (size_t)last->stride * (size_t)last->height;
    uint8_t *px = malloc(bytes);
    if (!px) return false;
    memcpy(px, last->rgb, bytes);
    s->frames[s->count] = *last;
    s->frames[s->count].rgb = px;
    s->count++;
    return true;
}

dc_error_class pipeline_frames_sample(claim_parts *cp, const dc_sample_request *req, double from,
                                      double to, dc_deadline dl, dc_frame_set *out, dc_status *st) {
    memset(out, 0, sizeof *out);
    dc_video_role roles[DC_ROLE_COUNT];
    int channels = pipeline_parts_channels(cp, from, to, roles);
    if (channels < 1)
        return dc_fail(st, DC_ERR_INPUT, "no video of the claim covers %.1f-%.1f s", from, to);
    int budget = req->count > 0 ? req->count : 1;
    if (channels > 1 && channels > budget / 2) channels = budget / 2 > 0 ? budget / 2 : 1;
    int per = channels > 1 ? (budget / channels) & ~1 : budget;
    if (per < 1) per = 1;
    out->frames = calloc((size_t)(channels * (per + 1)), sizeof *out->frames);
    if (!out->frames) return dc_fail(st, DC_ERR_RESOURCE, "out of memory sampling frames");
    out->requested = channels * per;
    dc_sample_request base = *req;
    dc_status first = DC_STATUS_OK;
    for (int c = 0; c < channels; c++) {
        dc_frame_set got = {0};
        got.frames = calloc((size_t)per + 1, sizeof *got.frames);
        if (!got.frames) {
            dc_frame_set_free(out);
            return dc_fail(st, DC_ERR_RESOURCE, "out of memory sampling frames");
        }
        dc_status cst = DC_STATUS_OK;
        dc_error_class rc = sample_channel(cp, roles[c], &base, from, to, per, dl, &got, &cst);
        if (rc == DC_ERR_TIMEOUT) {
            dc_frame_set_free(&got);
            dc_frame_set_free(out);
            *st = cst;
            return rc;
        }
        if (rc != DC_OK && first.code == DC_OK) first = cst;
        if (got.count > 0 && base.width <= 0) { /* the main channel sets everyone's size */
            base.width = got.frames[0].width;
            base.height = got.frames[0].height;
        }
        if (channels > 1 && got.count % 2 && !repeat_last(&got)) {
            dc_frame_set_free(&got);
            dc_frame_set_free(out);
            return dc_fail(st, DC_ERR_RESOURCE, "out of memory sampling frames");
        }
        move_frames(out, &got);
    }
    if (out->count == 0) {
        dc_frame_set_free(out);
        if (first.code == DC_OK)
            dc_fail(&first, DC_ERR_INPUT, "no frames decoded in %.1f-%.1f s", from, to);
        *st = first;
        return first.code;
    }
    if (first.code != DC_OK) dc_degrade(st, "%s", first.message);
    return DC_OK;
}

int pipeline_frames_at(claim_parts *cp, double t, int longest_side, int decode_workers,
                       dc_deadline dl, dc_frame_set *kept, int capacity, int *main_index,
                       dc_status *st) {
    *main_index = -1;
    dc_video_role roles[DC_ROLE_COUNT];
    int channels = pipeline_parts_channels(cp, t, t + 1e-3, roles), added = 0;
    for (int c = 0; c < channels && kept->count < capacity; c++) {
        int v = pipeline_parts_video_at(cp, roles[c], t);
        if (v < 0) continue;
        const dc_claim_video *cv = cp->parts[v].video;
        const dc_media_info *info = dc_media_get_info(cp->parts[v].m);
        double frame_sec = info->avg_fps > 0 ? 1.0 / info->avg_fps : 0.04;
        dc_sample_request req = {.start_sec = t - cv->offset_sec,
                                 .end_sec = t - cv->offset_sec + frame_sec,
                                 .count = 1,
                                 .longest_side = longest_side,
                                 .unit = 2,
                                 .mode = DC_SAMPLE_EXACT,
                                 .decode_workers = decode_workers};
        dc_frame_set one = {0};
        dc_status vst = DC_STATUS_OK;
        if (dc_frames_sample(cp->parts[v].m, &req, dl, &one, &vst) == DC_OK && one.count == 1) {
            if (c == 0) *main_index = kept->count;
            one.frames[0].t_sec += cv->offset_sec;
            one.frames[0].video = v;
            kept->frames[kept->count++] = one.frames[0];
            one.frames[0].rgb = NULL;
            one.count = 0;
            added++;
        } else if (c == 0) {
            *st = vst; /* the main channel's frame is the row's: its failure is reported */
            if (vst.code == DC_ERR_TIMEOUT) {
                dc_frame_set_free(&one);
                break;
            }
        }
        dc_frame_set_free(&one);
    }
    return added;
}
