/* The frame sampler: N frames from [start, end) as RGB at the model's input size.
 *
 * Targets are sorted and grouped by the keyframe each one decodes from. With several cores
 * the groups are decoded at once, one task per group (sampler_parallel.c): every GOP is
 * decoded once, by one thread, and only as far as its last target. With one core, a pipe or
 * a single group, one decoder reads forward and seeks to the keyframe before a target only
 * when that keyframe lies beyond what it has already been sent, so a seek is taken exactly
 * when it skips work. Each chosen frame goes through swscale once, straight to the target
 * size (sample_cursor.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

enum { MAX_SAMPLE_FRAMES = 100000 };

static dc_error_class plan_targets(sampler *s, const dc_sample_request *req, dc_status *st) {
    dc_media *m = s->m;
    if (req->count < 0 || req->max_count < 0 || !(req->fps >= 0) || req->longest_side < 0 ||
        req->unit < 0 || req->width < 0 || req->height < 0 || req->width > 16384 ||
        req->height > 16384)
        return dc_fail(st, DC_ERR_INPUT, "%s: invalid sample request (negative count/fps/size)",
                       m->path);
    if (req->count == 0 && req->fps <= 0)
        return dc_fail(st, DC_ERR_INPUT, "%s: sample request needs a frame count or an fps",
                       m->path);
    double start, end;
    if (!media_resolve_range(m, req->start_sec, req->end_sec, &start, &end))
        return dc_fail(st, DC_ERR_INPUT,
                       "%s: sample range [%.3f, %.3f) s is empty or past the end (%.3f s)", m->path,
                       req->start_sec, req->end_sec, m->info.duration_sec);
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
        return dc_fail(st, DC_ERR_INPUT, "%s: %d frames requested; at most %d per call", m->path, n,
                       MAX_SAMPLE_FRAMES);
    if (n < 1) n = 1;
    s->targets = malloc(sizeof *s->targets * (size_t)n);
    s->frame_pts = malloc(sizeof *s->frame_pts * (size_t)n);
    s->out->frames = calloc((size_t)n, sizeof *s->out->frames);
    if (!s->targets || !s->frame_pts || !s->out->frames) return media_fail_nomem(m, st);
    for (int i = 0; i < n; i++) s->targets[i] = media_sec_to_pts(m, start + i * step);
    s->n = n;
    s->out->requested = n;
    return DC_OK;
}

/* The forward decoder of the one-decoder path. */
typedef struct {
    sampler *s;
    media_decoder dec;
    sample_cursor cur;
} forward_pass;

/* Reads and sends the next packet; at the end of input (or an unreadable tail) starts draining.
 * Returns DC_OK or a timeout. */
static dc_error_class feed_decoder(forward_pass *p, dc_status *st) {
    dc_media *m = p->s->m;
    int ret = media_read_video_packet(m, &p->dec);
    if (ret == 0) {
        media_decoder_send(&p->dec, false);
        return DC_OK;
    }
    if (m->interrupted || ret == AVERROR_EXIT)
        return media_fail_timeout(m, st, "reading video packets");
    media_decoder_send(&p->dec, true);
    return DC_OK;
}

static dc_error_class sample_exact(forward_pass *p, dc_status *st) {
    sampler *s = p->s;
    dc_media *m = s->m;
    media_decoder *d = &p->dec;
    bool positioned = false;
    dc_error_class e = DC_OK;
    int i = 0;
    while (i < s->n && e == DC_OK) {
        if (media_deadline_hit(m)) {
            e = media_fail_timeout(m, st, "decoding frames");
            break;
        }
        if (m->keys_known) {
            int k = media_key_at_or_before(m, s->targets[i]);
            if (k < 0) k = 0;
            /* Seek only past at least one frame that would otherwise be decoded: a keyframe
             * that is simply the next packet (all-intra video) is reached by reading on. */
            if (!positioned || m->keys[k].ts > d->last_sent_pts + s->period + s->period / 2) {
                int ret = media_seek_to_key(m, k);
                if (ret >= 0) {
                    media_decoder_flush(d);
                    d->last_sent_pts = m->keys[k].ts;
                    sample_cursor_restart(&p->cur);
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
            if (media_frame_pts(d->frame) == AV_NOPTS_VALUE) {
                av_frame_unref(d->frame);
                continue;
            }
            e = sample_cursor_take(&p->cur, d->frame, &i, s->n, st);
        } else if (ret == AVERROR(EAGAIN)) {
            e = feed_decoder(p, st);
        } else {
            e = sample_cursor_finish(&p->cur, &i, s->n, st);
        }
    }
    return e;
}

static dc_error_class sample_keyframes(forward_pass *p, dc_status *st) {
    sampler *s = p->s;
    dc_media *m = s->m;
    media_decoder *d = &p->dec;
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
                e = sample_cursor_emit(&p->cur, next, d->frame, st);
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
    if (!m->keys_known || s->n < 1 || s->period <= 0) return false;
    int near = 0;
    for (int i = 0; i < s->n; i++) {
        int k = media_key_at_or_before(m, s->targets[i]);
        bool restarts = i == 0 || k != media_key_at_or_before(m, s->targets[i - 1]);
        if (k >= 0 && restarts && s->targets[i] - m->keys[k].ts < 4 * s->period) near++;
    }
    return near * 2 > s->n;
}

static dc_error_class decode_forward(sampler *s, dc_status *st) {
    forward_pass p = {.s = s};
    dc_error_class e = sample_cursor_init(&p.cur, s, st);
    if (e == DC_OK) e = media_decoder_open_ex(s->m, &p.dec, s->keyframes, false, 0, sparse(s), st);
    if (e == DC_OK) e = s->keyframes ? sample_keyframes(&p, st) : sample_exact(&p, st);
    s->corrupt_packets += p.dec.corrupt_packets;
    s->convert_errors += p.cur.convert_errors;
    media_decoder_close(&p.dec);
    sample_cursor_free(&p.cur);
    return e;
}

/* Closes the gaps of targets that got no frame, and returns a frame that several targets
 * share only once (the video has fewer frames than asked there). */
static void compact(sampler *s) {
    dc_frame_set *out = s->out;
    int kept = 0;
    for (int i = 0; i < s->n; i++) {
        if (!out->frames[i].rgb) continue;
        if (kept > 0 && s->frame_pts[i] == s->frame_pts[kept - 1]) {
            free(out->frames[i].rgb);
            out->frames[i].rgb = NULL;
            continue;
        }
        s->frame_pts[kept] = s->frame_pts[i];
        out->frames[kept] = out->frames[i];
        if (kept != i) out->frames[i] = (dc_frame){0};
        kept++;
    }
    out->count = kept;
}

static void report_shortfall(sampler *s, dc_status *st) {
    dc_media *m = s->m;
    char corrupt[128] = "";
    if (s->corrupt_packets > 0)
        snprintf(corrupt, sizeof corrupt, "; skipped %d corrupt packet(s)", s->corrupt_packets);
    if (s->convert_errors > 0)
        snprintf(corrupt + strlen(corrupt), sizeof corrupt - strlen(corrupt),
                 "; %d frame(s) could not be converted", s->convert_errors);
    if (s->out->count < s->out->requested) {
        double last = s->out->count > 0 ? s->out->frames[s->out->count - 1].t_sec : 0;
        if (m->info.truncated) last = m->info.last_good_sec;
        dc_degrade(st, "%s: %d of %d frames exist (video %s at %.3f s)%s", m->path, s->out->count,
                   s->out->requested, m->info.truncated ? "truncated, last good frame" : "ends",
                   last, corrupt);
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
    media_target_size(m->info.width, m->info.height, m->info.rotation, req->longest_side, req->unit,
                      &s.out_w, &s.out_h);
    if (req->width > 0 && req->height > 0) s.out_w = req->width, s.out_h = req->height;
    media_select_stream(m, m->video_index);
    dc_error_class e = plan_targets(&s, req, st);
    if (e == DC_OK) e = media_index_ensure(m, st);
    s.period = media_sec_to_pts(m, m->frame_period) - m->origin_pts;
    s.keyframes = req->mode == DC_SAMPLE_KEYFRAME && m->keys_known;
    s.max_workers = req->decode_workers;
    if (e == DC_OK) {
        int workers = sampler_parallel_workers(&s);
        e = workers > 1 ? sampler_decode_parallel(&s, workers, st) : decode_forward(&s, st);
        out->decode_workers = workers;
    }
    media_select_all_streams(m);
    free(s.targets);
    if (e != DC_OK) {
        out->count = s.n;
        dc_frame_set_free(out);
        free(s.frame_pts);
        return e;
    }
    compact(&s);
    free(s.frame_pts);
    report_shortfall(&s, st);
    if (out->count == 0) {
        dc_frame_set_free(out);
        return dc_fail(st, DC_ERR_INPUT, "%s: no frame in [%.3f, %.3f) s could be decoded", m->path,
                       req->start_sec, req->end_sec);
    }
    return DC_OK;
}
