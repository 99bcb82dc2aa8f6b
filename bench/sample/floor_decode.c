/* The floor (peer d): the least decoding any sampler must do - from each needed keyframe to
 * its target frame, each GOP once, nothing else (no scaling, no copies), with one decoder
 * thread or all of them. Written directly against libavformat/libavcodec so it shares no code
 * with the sampler it bounds. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>

#include "floor_decode.h"

typedef struct {
    int64_t *keys; /* presentation times of keyframes, stream time base */
    int n;
} key_list;

static int load_keys(AVFormatContext *fmt, int vi, key_list *kl) {
    AVStream *st = fmt->streams[vi];
    int n = avformat_index_get_entries_count(st);
    kl->keys = malloc(sizeof *kl->keys * (size_t)(n > 0 ? n : 1));
    kl->n = 0;
    if (!kl->keys) return -1;
    for (int i = 0; i < n; i++) {
        const AVIndexEntry *e = avformat_index_get_entry(st, i);
        if (e->flags & AVINDEX_KEYFRAME) kl->keys[kl->n++] = e->timestamp;
    }
    return kl->n > 0 ? 0 : -1;
}

static int key_before(const key_list *kl, int64_t t) {
    int best = 0;
    for (int lo = 0, hi = kl->n - 1; lo <= hi;) {
        int mid = (lo + hi) / 2;
        if (kl->keys[mid] <= t) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

static int key_nearest(const key_list *kl, int64_t t) {
    int k = key_before(kl, t);
    if (k + 1 < kl->n && kl->keys[k + 1] - t < t - kl->keys[k]) return k + 1;
    return k;
}

/* Decodes from the current position until a frame with pts >= target comes out. */
static int decode_until(AVFormatContext *fmt, AVCodecContext *dec, int vi, AVPacket *pkt,
                        AVFrame *frame, int64_t target, int64_t *last_pts, int *frames) {
    for (;;) {
        int ret = avcodec_receive_frame(dec, frame);
        if (ret == 0) {
            int64_t pts = frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->best_effort_timestamp;
            av_frame_unref(frame);
            (*frames)++;
            *last_pts = pts;
            if (pts >= target) return 0;
            continue;
        }
        if (ret == AVERROR_EOF) return 0;
        ret = av_read_frame(fmt, pkt);
        if (ret < 0) {
            avcodec_send_packet(dec, NULL);
            continue;
        }
        if (pkt->stream_index == vi) avcodec_send_packet(dec, pkt);
        av_packet_unref(pkt);
    }
}

int floor_decode(const char *path, const double *targets_sec, int n, bool keyframes, int threads,
                 floor_result *out) {
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    key_list kl = {0};
    int rc = -1;
    double t0 = bench_now();
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0) goto done;
    if (avformat_find_stream_info(fmt, NULL) < 0) goto done;
    const AVCodec *codec = NULL;
    int vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (vi < 0 || load_keys(fmt, vi, &kl) != 0) goto done;
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != vi) fmt->streams[i]->discard = AVDISCARD_ALL;
    AVStream *st = fmt->streams[vi];
    dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, st->codecpar);
    dec->thread_count = threads;
    dec->pkt_timebase = st->time_base;
    if (avcodec_open2(dec, codec, NULL) < 0) goto done;
    int64_t origin = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    double duration = fmt->duration / 1e6;
    int64_t last_pts = INT64_MIN;
    int current_key = -1;
    out->frames_decoded = 0;
    for (int i = 0; i < n; i++) {
        double t = targets_sec[i] > 0 ? targets_sec[i] : 0;
        if (t > duration) t = duration;
        int64_t target = origin + (int64_t)(t / av_q2d(st->time_base));
        int k = keyframes ? key_nearest(&kl, target) : key_before(&kl, target);
        if (keyframes) {
            if (k == current_key) continue;
            av_seek_frame(fmt, vi, kl.keys[k], AVSEEK_FLAG_BACKWARD);
            avcodec_flush_buffers(dec);
            /* One packet, then drain: exactly one keyframe decoded. */
            while (av_read_frame(fmt, pkt) >= 0) {
                int mine = pkt->stream_index == vi;
                if (mine) avcodec_send_packet(dec, pkt);
                av_packet_unref(pkt);
                if (mine) break;
            }
            avcodec_send_packet(dec, NULL);
            while (avcodec_receive_frame(dec, frame) == 0) {
                out->frames_decoded++;
                av_frame_unref(frame);
            }
            avcodec_flush_buffers(dec);
            current_key = k;
            continue;
        }
        if (last_pts >= target) continue; /* already decoded past it */
        if (k != current_key && kl.keys[k] > last_pts) {
            av_seek_frame(fmt, vi, kl.keys[k], AVSEEK_FLAG_BACKWARD);
            avcodec_flush_buffers(dec);
            current_key = k;
        }
        decode_until(fmt, dec, vi, pkt, frame, target, &last_pts, &out->frames_decoded);
    }
    out->seconds = bench_now() - t0;
    rc = 0;
done:
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    av_frame_free(&frame);
    free(kl.keys);
    return rc;
}
