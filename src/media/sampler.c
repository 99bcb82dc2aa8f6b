/* The frame sampler: N frames from [start, end) as RGB at the model's input size.
 *
 * Targets are sorted. For each target the sampler either keeps decoding forward or seeks to the
 * keyframe at or before the target - and it seeks only when that keyframe lies beyond what has
 * already been sent to the decoder, so no GOP is decoded twice and a seek is taken exactly when
 * it skips work. Each chosen frame goes through swscale once, straight to the target size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media_internal.h"

enum { MAX_SAMPLE_FRAMES = 100000 };

typedef struct {
    dc_media *m;
    media_decoder dec;
    media_converter conv;
    dc_frame_set *out;
    int out_w, out_h;
    int64_t *targets; /* stream time base */
    int n;
    int convert_errors;
    int64_t last_pts; /* of the last frame emitted */
} sampler;

static dc_error_class plan_targets(sampler *s, const dc_sample_request *req, dc_status *st) {
    dc_media *m = s->m;
    if (req->count < 0 || req->max_count < 0 || !(req->fps >= 0) || req->longest_side < 0 ||
        req->unit < 0)
        return dc_fail(st, DC_ERR_INPUT, "%s: invalid sample request (negative count/fps/size)",
                       m->path);
    if (req->count == 0 && req->fps <= 0)
        return dc_fail(st, DC_ERR_INPUT, "%s: sample request needs a frame count or an fps",
                       m->path);
    double start, end;
    if (!media_resolve_range(m, req->start_sec, req->end_sec, &start, &end))
        return dc_fail(st, DC_ERR_INPUT,
                       "%s: sample range [%.3f, %.3f) s is empty or past the end (%.3f s)",
                       m->path, req->start_sec, req->end_sec, m->info.duration_sec);
    int n;
    double step;
    if (req->count > 0) {
        n = req->count;
        step = (end - start) / n;
    } else {
        double want = ceil((end - start) * req->fps - 1e-9);
        n = want > MAX_SAMPLE_FRAMES ? MAX_SAMPLE_FRAMES : (int)want;
        step = 1.0 / req->fps;
        if (req->max_count > 0 && n > req->max_count) {
            n = req->max_count;
            step = (end - start) / n;
        }
    }
    if (n > MAX_SAMPLE_FRAMES)
        return dc_fail(st, DC_ERR_INPUT, "%s: %d frames requested; at most %d per call", m->path,
                       n, MAX_SAMPLE_FRAMES);
    if (n < 1) n = 1;
    s->targets = malloc(sizeof *s->targets * (size_t)n);
    s->out->frames = calloc((size_t)n, sizeof *s->out->frames);
    if (!s->targets || !s->out->frames) return media_fail_nomem(m, st);
    for (int i = 0; i < n; i++) s->targets[i] = media_sec_to_pts(m, start + i * step);
    s->n = n;
    s->out->requested = n;
    return DC_OK;
}

/* Appends frame f, converted, to the output - once: when targets lie closer together than
 * the frames do, the video has fewer frames than asked and each is returned only once. */
static dc_error_class emit(sampler *s, const AVFrame *f, dc_status *st) {
    int64_t pts = media_frame_pts(f);
    if (s->out->count > 0 && pts == s->last_pts) return DC_OK;
    s->last_pts = pts;
    dc_frame *fr = &s->out->frames[s->out->count];
    int stride = s->out_w * 3;
    fr->rgb = media_alloc_pixels((size_t)stride * s->out_h);
    if (!fr->rgb) return media_fail_nomem(s->m, st);
    if (media_convert(&s->conv, f, s->m->info.rotation, s->out_w, s->out_h, AV_PIX_FMT_RGB24,
                      SWS_BICUBIC, fr->rgb, stride) < 0) {
        free(fr->rgb);
        fr->rgb = NULL;
        s->convert_errors++;
        return DC_OK;
    }
    fr->width = s->out_w;
    fr->height = s->out_h;
    fr->stride = stride;
    fr->t_sec = media_pts_to_sec(s->m, media_frame_pts(f));
    s->out->count++;
    return DC_OK;
}

/* Reads and sends the next packet; at the end of input (or an unreadable tail) starts draining.
 * Returns DC_OK or a timeout. */
static dc_error_class feed_decoder(sampler *s, bool *eof, int *read_error, dc_status *st) {
    int ret = media_read_video_packet(s->m, &s->dec);
    if (ret == 0) {
        media_decoder_send(&s->dec, false);
        return DC_OK;
    }
    if (s->m->interrupted || ret == AVERROR_EXIT)
        return media_fail_timeout(s->m, st, "reading video packets");
    if (ret != AVERROR_EOF) *read_error = ret;
    media_decoder_send(&s->dec, true);
    *eof = true;
    return DC_OK;
}

static dc_error_class sample_exact(sampler *s, dc_status *st) {
    dc_media *m = s->m;
    media_decoder *d = &s->dec;
    AVFrame *prev = av_frame_alloc();
    if (!prev) return media_fail_nomem(m, st);
    bool have_prev = false, positioned = false, eof = false;
    int read_error = 0;
    int64_t period = media_sec_to_pts(m, m->frame_period) - m->origin_pts;
    dc_error_class e = DC_OK;
    int i = 0;
    while (i < s->n && e == DC_OK) {
        if (media_deadline_hit(m)) {
            e = media_fail_timeout(m, st, "decoding frames");
            break;
        }
        int64_t t = s->targets[i];
        if (m->keys_known) {
            int k = media_key_at_or_before(m, t);
            if (k < 0) k = 0;
            /* Seek only past at least one frame that would otherwise be decoded: a keyframe
             * that is simply the next packet (all-intra video) is reached by reading on. */
            if (!positioned || m->keys[k].ts > d->last_sent_pts + period + period / 2) {
                int ret = media_seek_to_key(m, k);
                if (ret >= 0) {
                    media_decoder_flush(d);
                    d->last_sent_pts = m->keys[k].ts;
                    have_prev = false;
                    eof = false;
                } else if (m->interrupted || ret == AVERROR_EXIT) {
                    e = media_fail_timeout(m, st, "seeking");
                    break;
                }
                positioned = true;
            }
        } else if (!positioned) {
            media_seek_to_start(m);
            positioned = true;
        }
        int ret = media_decoder_receive(d);
        if (ret == 0) {
            int64_t pts = media_frame_pts(d->frame);
            if (pts == AV_NOPTS_VALUE) {
                av_frame_unref(d->frame);
                continue;
            }
            /* The frame nearest each target is this one or the one before it. */
            while (i < s->n && s->targets[i] <= pts && e == DC_OK) {
                int64_t ti = s->targets[i];
                bool use_prev = have_prev && ti - media_frame_pts(prev) < pts - ti;
                e = emit(s, use_prev ? prev : d->frame, st);
                i++;
            }
            av_frame_unref(prev);
            av_frame_move_ref(prev, d->frame);
            have_prev = true;
        } else if (ret == AVERROR(EAGAIN)) {
            e = feed_decoder(s, &eof, &read_error, st);
        } else {
            /* Drained at the end of the input: the last frame serves targets within one frame
             * period after it; later targets do not exist in this file. */
            while (i < s->n && e == DC_OK) {
                if (have_prev && s->targets[i] - media_frame_pts(prev) <= period)
                    e = emit(s, prev, st);
                i++;
            }
        }
    }
    av_frame_free(&prev);
    (void)read_error;
    return e;
}

static dc_error_class sample_keyframes(sampler *s, dc_status *st) {
    dc_media *m = s->m;
    media_decoder *d = &s->dec;
    int *key_of = malloc(sizeof *key_of * (size_t)s->n);
    if (!key_of) return media_fail_nomem(m, st);
    for (int i = 0; i < s->n; i++) key_of[i] = media_key_nearest(m, s->targets[i]);
    dc_error_class e = DC_OK;
    int next = 0; /* first target not yet served */
    bool drained = false;
    for (int i = 0; e == DC_OK && !drained;) {
        if (media_deadline_hit(m)) {
            e = media_fail_timeout(m, st, "decoding keyframes");
            break;
        }
        int ret = media_decoder_receive(d);
        if (ret == 0) {
            int k = media_key_nearest(m, media_frame_pts(d->frame));
            while (next < s->n && key_of[next] < k) next++; /* keys that did not decode */
            while (next < s->n && key_of[next] == k && e == DC_OK) {
                e = emit(s, d->frame, st);
                next++;
            }
            av_frame_unref(d->frame);
            continue;
        }
        if (ret == AVERROR_EOF) {
            drained = true;
            break;
        }
        /* Send the next distinct keyframe: seek to it, send its packet. */
        while (i < s->n && i > 0 && key_of[i] == key_of[i - 1]) i++;
        if (i >= s->n) {
            media_decoder_send(d, true);
            continue;
        }
        ret = media_seek_to_key(m, key_of[i]);
        if (ret >= 0) ret = media_read_video_packet(m, d);
        if (ret >= 0) {
            media_decoder_send(d, false);
        } else if (m->interrupted || ret == AVERROR_EXIT) {
            e = media_fail_timeout(m, st, "reading keyframes");
        }
        i++;
    }
    free(key_of);
    return e;
}

/* Whether most targets need only a few frames decoded after their keyframe (targets far
 * apart, near keyframes): then every target restarts the decoder and frame threading, which
 * keeps several frames in flight, decodes frames past each target for nothing. */
static bool sparse(const sampler *s) {
    const dc_media *m = s->m;
    if (!m->keys_known || s->n < 1) return false;
    int64_t period = media_sec_to_pts(m, m->frame_period) - m->origin_pts;
    if (period <= 0) return false;
    int near = 0;
    for (int i = 0; i < s->n; i++) {
        int k = media_key_at_or_before(m, s->targets[i]);
        bool restarts = i == 0 || k != media_key_at_or_before(m, s->targets[i - 1]);
        if (k >= 0 && restarts && s->targets[i] - m->keys[k].ts < 4 * period) near++;
    }
    return near * 2 > s->n;
}

static void report_shortfall(sampler *s, dc_status *st) {
    dc_media *m = s->m;
    char corrupt[96] = "";
    if (s->dec.corrupt_packets > 0)
        snprintf(corrupt, sizeof corrupt, "; skipped %d corrupt packet(s)",
                 s->dec.corrupt_packets);
    if (s->out->count < s->out->requested) {
        double last = s->out->count > 0 ? s->out->frames[s->out->count - 1].t_sec : 0;
        if (m->info.truncated) last = m->info.last_good_sec;
        dc_degrade(st, "%s: %d of %d frames exist (video %s at %.3f s)%s", m->path,
                   s->out->count, s->out->requested,
                   m->info.truncated ? "truncated, last good frame" : "ends", last, corrupt);
    } else if (corrupt[0]) {
        dc_degrade(st, "%s: %s", m->path, corrupt + 2);
    }
}

dc_error_class dc_frames_sample(dc_media *m, const dc_sample_request *req, dc_deadline dl,
                                dc_frame_set *out, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    memset(out, 0, sizeof *out);
    if (!m || !req) return dc_fail(st, DC_ERR_INTERNAL, "dc_frames_sample: NULL argument");
    media_begin_call(m, dl);
    sampler s = {.m = m, .out = out};
    media_target_size(m->info.width, m->info.height, m->info.rotation, req->longest_side,
                      req->unit, &s.out_w, &s.out_h);
    media_select_stream(m, m->video_index);
    dc_error_class e = plan_targets(&s, req, st);
    if (e == DC_OK) e = media_index_ensure(m, st);
    bool keyframes = req->mode == DC_SAMPLE_KEYFRAME && m->keys_known;
    if (e == DC_OK) e = media_decoder_open_ex(m, &s.dec, keyframes, false, sparse(&s), st);
    if (e == DC_OK) e = keyframes ? sample_keyframes(&s, st) : sample_exact(&s, st);
    media_decoder_close(&s.dec);
    media_converter_free(&s.conv);
    media_select_all_streams(m);
    free(s.targets);
    if (e != DC_OK) {
        dc_frame_set_free(out);
        return e;
    }
    report_shortfall(&s, st);
    if (out->count == 0)
        return dc_fail(st, DC_ERR_INPUT, "%s: no frame in [%.3f, %.3f) s could be decoded",
                       m->path, req->start_sec, req->end_sec);
    return DC_OK;
}
