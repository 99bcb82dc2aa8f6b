/* The coarse pass for mining: small grayscale thumbnails over the whole file (or a range).
 * Keyframes only: the decoder skips non-key frames and, where the keyframe index allows, the
 * demuxer is sent from keyframe to keyframe so only keyframe packets are read at all (every
 * n-th keyframe when asked: a 20-min 1080p file with a 1-s GOP spends most of its coarse pass
 * decoding 1200 intra frames). Every k-th frame: a plain forward decode of everything. */
#include <stdlib.h>
#include <string.h>

#include "media_internal.h"

typedef struct {
    dc_media *m;
    const dc_thumb_request *req;
    media_decoder dec;
    media_converter conv;
    dc_thumb_set *out;
    int cap;
    int64_t start_pts, end_pts;
    long frame_number; /* frames decoded from the start of the range (every-k-th mode) */
} thumb_pass;

static dc_error_class add_thumb(thumb_pass *p, const AVFrame *f, int64_t pts, dc_status *st) {
    dc_thumb_set *out = p->out;
    if (out->count == p->cap) {
        int ncap = p->cap ? p->cap * 2 : 256;
        dc_thumb *n = realloc(out->thumbs, sizeof *n * (size_t)ncap);
        if (!n) return media_fail_nomem(p->m, st);
        out->thumbs = n;
        p->cap = ncap;
    }
    uint8_t *gray = media_alloc_pixels((size_t)out->width * out->height);
    if (!gray) return media_fail_nomem(p->m, st);
    /* Area averaging: the fingerprint (fingerprint.h) hashes these thumbnails, and a point-like
     * fast-bilinear reduction (12:1 from 1080p) aliases fine detail differently at every source
     * size, so a half-size copy hashed 40+ bits away from its original. */
    if (media_convert(&p->conv, f, p->m->info.rotation, out->width, out->height, AV_PIX_FMT_GRAY8,
                      SWS_AREA, gray, out->width) < 0) {
        free(gray);
        p->dec.corrupt_packets++;
        return DC_OK;
    }
    out->thumbs[out->count++] =
        (dc_thumb){.gray = gray, .t_sec = media_pts_to_sec(p->m, pts), .keyframe = f->key_frame};
    return DC_OK;
}

/* Takes every frame the decoder has ready. */
static dc_error_class drain_ready(thumb_pass *p, bool *finished, dc_status *st) {
    for (;;) {
        int ret = media_decoder_receive(&p->dec);
        if (ret == AVERROR(EAGAIN)) return DC_OK;
        if (ret == AVERROR_EOF) {
            *finished = true;
            return DC_OK;
        }
        AVFrame *f = p->dec.frame;
        int64_t pts = media_frame_pts(f);
        bool in_range = pts != AV_NOPTS_VALUE && pts >= p->start_pts && pts < p->end_pts;
        bool wanted = f->key_frame;
        if (in_range && p->req->every_kth > 0) {
            wanted = wanted || p->frame_number % p->req->every_kth == 0;
            p->frame_number++;
        }
        dc_error_class e = in_range && wanted ? add_thumb(p, f, pts, st) : DC_OK;
        av_frame_unref(f);
        if (e != DC_OK) return e;
    }
}

/* Keyframes through the index: seek to each keyframe in the range and read its packet. */
static dc_error_class keyframes_by_index(thumb_pass *p, dc_status *st) {
    dc_media *m = p->m;
    /* Index times may be decode times (earlier than presentation with B-frames): start at the
     * keyframe before the range and let the presentation-time filter drop what is outside. */
    int first = media_key_at_or_before(m, p->start_pts);
    if (first < 0) first = 0;
    bool finished = false;
    int stride = p->req->key_stride > 1 ? p->req->key_stride : 1;
    for (int k = first; k < m->key_count && m->keys[k].ts < p->end_pts; k += stride) {
        if (media_deadline_hit(m)) return media_fail_timeout(m, st, "reading keyframes");
        int ret = media_seek_to_key(m, k);
        if (ret >= 0) ret = media_read_video_packet(m, &p->dec);
        if (ret == AVERROR_EOF) break; /* truncated: the index lists keyframes past the end */
        if (m->interrupted || ret == AVERROR_EXIT)
            return media_fail_timeout(m, st, "reading keyframes");
        if (ret < 0) continue;
        media_decoder_send(&p->dec, false);
        dc_error_class e = drain_ready(p, &finished, st);
        if (e != DC_OK) return e;
    }
    media_decoder_send(&p->dec, true);
    while (!finished) {
        dc_error_class e = drain_ready(p, &finished, st);
        if (e != DC_OK) return e;
    }
    return DC_OK;
}

/* Every packet in order from the keyframe before the range; non-key packets are not even sent
 * in keyframes-only mode. */
static dc_error_class sequential(thumb_pass *p, bool keyframes_only, dc_status *st) {
    dc_media *m = p->m;
    if (m->keys_known) {
        int k = media_key_at_or_before(m, p->start_pts);
        if (k >= 0) media_seek_to_key(m, k);
        else media_seek_to_start(m);
    } else {
        media_seek_to_start(m);
    }
    /* Reordering never reaches 2 s past the range: packets beyond that end the pass. */
    int64_t slack = media_sec_to_pts(m, 2.0) - m->origin_pts;
    bool finished = false;
    int stride = p->req->key_stride > 1 ? p->req->key_stride : 1;
    long keys_seen = 0;
    while (!finished) {
        if (media_deadline_hit(m)) return media_fail_timeout(m, st, "decoding thumbnails");
        if (!p->dec.eof_sent) {
            int ret = media_read_video_packet(m, &p->dec);
            AVPacket *pkt = p->dec.pkt;
            int64_t ts = ret < 0                      ? AV_NOPTS_VALUE
                         : pkt->pts != AV_NOPTS_VALUE ? pkt->pts
                                                      : pkt->dts;
            if (ret < 0 && (m->interrupted || ret == AVERROR_EXIT))
                return media_fail_timeout(m, st, "decoding thumbnails");
            if (ret < 0 ||
                (p->end_pts != INT64_MAX && ts != AV_NOPTS_VALUE && ts > p->end_pts + slack)) {
                media_decoder_send(&p->dec, true);
            } else if (keyframes_only &&
                       (!(pkt->flags & AV_PKT_FLAG_KEY) || keys_seen++ % stride != 0)) {
                av_packet_unref(pkt);
                continue;
            } else {
                media_decoder_send(&p->dec, false);
            }
        }
        dc_error_class e = drain_ready(p, &finished, st);
        if (e != DC_OK) return e;
    }
    return DC_OK;
}

dc_error_class dc_media_thumbnails(dc_media *m, const dc_thumb_request *req, dc_deadline dl,
                                   dc_thumb_set *out, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    memset(out, 0, sizeof *out);
    if (!m || !req) return dc_fail(st, DC_ERR_INTERNAL, "dc_media_thumbnails: NULL argument");
    if (req->width <= 0 || req->height <= 0 || req->width > 4096 || req->height > 4096 ||
        req->every_kth < 0)
        return dc_fail(st, DC_ERR_INPUT, "%s: invalid thumbnail request (%dx%d, every %d)", m->path,
                       req->width, req->height, req->every_kth);
    media_begin_call(m, dl);
    double start, end;
    if (!media_resolve_range(m, req->start_sec, req->end_sec, &start, &end))
        return dc_fail(st, DC_ERR_INPUT, "%s: thumbnail range [%.3f, %.3f) s is empty", m->path,
                       req->start_sec, req->end_sec);
    thumb_pass p = {.m = m, .req = req, .out = out};
    out->width = req->width;
    out->height = req->height;
    p.start_pts = media_sec_to_pts(m, start);
    /* The whole file when the range reaches the end: the stated duration may be short. */
    p.end_pts = !(req->end_sec > 0) || req->end_sec >= m->info.duration_sec
                    ? INT64_MAX
                    : media_sec_to_pts(m, end);
    bool keyframes_only = req->every_kth == 0;
    media_select_stream(m, m->video_index);
    dc_error_class e = media_index_ensure(m, st);
    if (e == DC_OK) e = media_decoder_open(m, &p.dec, keyframes_only, true, st);
    if (e == DC_OK) {
        bool seekable = m->fmt->pb && (m->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
        e = keyframes_only && m->keys_known && seekable ? keyframes_by_index(&p, st)
                                                        : sequential(&p, keyframes_only, st);
    }
    out->corrupt_packets = p.dec.corrupt_packets;
    media_decoder_close(&p.dec);
    media_converter_free(&p.conv);
    media_select_all_streams(m);
    if (e != DC_OK) {
        dc_thumb_set_free(out);
        return e;
    }
    if (m->info.truncated)
        dc_degrade(st, "%s: file is truncated; thumbnails stop at %.3f s (last good frame)",
                   m->path, m->info.last_good_sec);
    else if (out->corrupt_packets > 0)
        dc_degrade(st, "%s: skipped %d corrupt packet(s)", m->path, out->corrupt_packets);
    if (out->count == 0) {
        dc_thumb_set_free(out);
        return dc_fail(st, DC_ERR_INPUT, "%s: no frame in the range could be decoded", m->path);
    }
    return DC_OK;
}

void dc_thumb_set_free(dc_thumb_set *set) {
    if (!set) return;
    for (int i = 0; i < set->count; i++) free(set->thumbs[i].gray);
    free(set->thumbs);
    memset(set, 0, sizeof *set);
}
