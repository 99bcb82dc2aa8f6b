/* synth-video's encoder (encoder.h): renders a scene's frames and sound over one stretch of
 * its clock and encodes them. Video: H.264 (libx264, ultrafast), H.265 (libx265) or MJPEG;
 * audio: AAC (FFmpeg's encoder); container by file extension (.mp4/.mov, .mkv, .avi, .ts). */
#include "encoder.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>

typedef struct {
    const sv_encoding *o;
    const sv_file_job *job;
    AVFormatContext *oc;
    AVCodecContext *venc, *aenc;
    AVStream *vst, *ast;
    AVFrame *vframe, *aframe;
    AVPacket *pkt;
    uint8_t *rgb;
    uint64_t rng;
    int64_t audio_first, audio_next, audio_end; /* sample indices on the scene's clock */
    long corrupted;
    bool shift_audio;
} writer;

static uint64_t next_random(uint64_t *s) {
    /* splitmix64: deterministic across platforms for a given seed. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (next_random(s) >> 11) * (1.0 / 9007199254740992.0); }

static int fail(const char *what, int err) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = "";
    if (err) av_strerror(err, buf, sizeof buf);
    fprintf(stderr, "synth-video: %s%s%s\n", what, err ? ": " : "", buf);
    return 1;
}

static int open_video(writer *w) {
    const sv_encoding *o = w->o;
    const char *enc_name = !strcmp(o->codec, "h264")    ? "libx264"
                           : !strcmp(o->codec, "hevc")  ? "libx265"
                           : !strcmp(o->codec, "mjpeg") ? "mjpeg"
                                                        : NULL;
    if (!enc_name) return fail("--codec must be h264, hevc or mjpeg", 0);
    const AVCodec *codec = avcodec_find_encoder_by_name(enc_name);
    if (!codec) return fail("encoder not available in this FFmpeg", 0);
    w->venc = avcodec_alloc_context3(codec);
    w->vst = avformat_new_stream(w->oc, NULL);
    if (!w->venc || !w->vst) return fail("out of memory", 0);
    AVCodecContext *c = w->venc;
    c->width = o->width;
    c->height = o->height;
    c->framerate = av_d2q(o->fps, 100000);
    /* VFR frames carry their own times: a fine clock (90 kHz, as MPEG uses). */
    c->time_base = w->job->damage == SV_DMG_VFR ? (AVRational){1, 90000} : av_inv_q(c->framerate);
    c->gop_size = o->gop;
    c->keyint_min = o->gop;
    c->pix_fmt = !strcmp(o->codec, "mjpeg") ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    c->thread_count = 0;
    if (!strcmp(o->codec, "h264")) {
        av_opt_set(c->priv_data, "preset", "ultrafast", 0);
        av_opt_set_int(c->priv_data, "crf", o->crf, 0);
        char params[64];
        snprintf(params, sizeof params, "scenecut=0:open-gop=0:bframes=%d", o->bframes);
        av_opt_set(c->priv_data, "x264-params", params, 0);
    } else if (!strcmp(o->codec, "hevc")) {
        char params[128];
        snprintf(params, sizeof params,
                 "log-level=error:keyint=%d:min-keyint=%d:scenecut=0:open-gop=0:bframes=%d", o->gop,
                 o->gop, o->bframes);
        av_opt_set(c->priv_data, "preset", "ultrafast", 0);
        av_opt_set_int(c->priv_data, "crf", o->crf, 0);
        av_opt_set(c->priv_data, "x265-params", params, 0);
    } else {
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * 4;
    }
    if (w->oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int ret = avcodec_open2(c, codec, NULL);
    if (ret < 0) return fail("cannot open the video encoder", ret);
    ret = avcodec_parameters_from_context(w->vst->codecpar, c);
    if (ret < 0) return fail("video stream parameters", ret);
    w->vst->time_base = c->time_base;
    w->vst->avg_frame_rate = c->framerate;
    if (o->rotate) {
        uint8_t *m =
            av_stream_new_side_data(w->vst, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
        if (!m) return fail("out of memory", 0);
        /* Same convention as the "rotate" tag players honour: av_display_rotation_get() of
         * this matrix is -rotate, and FFmpeg's players turn the picture rotate degrees
         * clockwise for display. */
        av_display_rotation_set((int32_t *)m, (double)o->rotate);
    }
    w->vframe = av_frame_alloc();
    if (!w->vframe) return fail("out of memory", 0);
    w->vframe->format = c->pix_fmt;
    w->vframe->width = c->width;
    w->vframe->height = c->height;
    if ((ret = av_frame_get_buffer(w->vframe, 0)) < 0) return fail("frame buffer", ret);
    w->rgb = malloc((size_t)o->width * o->height * 3);
    if (!w->rgb) return fail("out of memory", 0);
    return 0;
}

static int open_audio(writer *w) {
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!codec) return fail("AAC encoder not available", 0);
    w->aenc = avcodec_alloc_context3(codec);
    w->ast = avformat_new_stream(w->oc, NULL);
    if (!w->aenc || !w->ast) return fail("out of memory", 0);
    AVCodecContext *c = w->aenc;
    c->sample_rate = w->o->audio_rate;
    c->sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&c->ch_layout, 1);
    c->bit_rate = 64000;
    c->time_base = (AVRational){1, c->sample_rate};
    if (w->oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int ret = avcodec_open2(c, codec, NULL);
    if (ret < 0) return fail("cannot open the AAC encoder", ret);
    if ((ret = avcodec_parameters_from_context(w->ast->codecpar, c)) < 0)
        return fail("audio stream parameters", ret);
    w->ast->time_base = c->time_base;
    w->aframe = av_frame_alloc();
    if (!w->aframe) return fail("out of memory", 0);
    w->aframe->format = c->sample_fmt;
    w->aframe->nb_samples = c->frame_size;
    w->aframe->sample_rate = c->sample_rate;
    av_channel_layout_copy(&w->aframe->ch_layout, &c->ch_layout);
    if ((ret = av_frame_get_buffer(w->aframe, 0)) < 0) return fail("audio frame buffer", ret);
    return 0;
}

/* Overwrites a few non-key video packets with noise: decoders reject them outright, which is
 * what a flipped sector or a bad upload chunk does to a real file. */
static void maybe_corrupt(writer *w, AVPacket *pkt) {
    /* Keyframes stay intact unless every frame is one (MJPEG, GOP 1). */
    bool all_intra = w->o->gop == 1 || w->venc->codec_id == AV_CODEC_ID_MJPEG;
    if (w->job->damage != SV_DMG_CORRUPT || ((pkt->flags & AV_PKT_FLAG_KEY) && !all_intra)) return;
    if (next_random(&w->rng) % 25 != 0) return;
    if (av_packet_make_writable(pkt) < 0) return;
    /* Keep the start code and NAL header (the muxer would drop a packet without them, which is
     * a lost frame, not a corrupt one) and scramble the slice data after them. */
    int keep = 2;
    if (pkt->size > 6 && !pkt->data[0] && !pkt->data[1]) keep = pkt->data[2] == 1 ? 3 + 3 : 4 + 3;
    for (int i = keep; i < pkt->size; i++) pkt->data[i] = (uint8_t)next_random(&w->rng);
    w->corrupted++;
}

/* SV_DMG_UNDECODABLE: every video packet becomes one NAL unit with the forbidden bit set
 * (H.264 and H.265 decoders drop it whole) followed by noise without zero bytes (so no start
 * code, hence no slice, appears by chance). The file opens and its stream headers (SPS and PPS
 * in the sample description) read, but no frame decodes: a channel whose card went bad.
 * MJPEG keeps its start-of-image marker and loses the rest. */
static void make_undecodable(writer *w, AVPacket *pkt) {
    if (w->job->damage != SV_DMG_UNDECODABLE || av_packet_make_writable(pkt) < 0) return;
    int keep = 2;
    if (pkt->size > 4 && !pkt->data[0] && !pkt->data[1]) {
        keep = pkt->data[2] == 1 ? 3 : 4;
        pkt->data[keep++] = 0x80; /* forbidden_zero_bit */
    }
    for (int i = keep; i < pkt->size; i++) pkt->data[i] = (uint8_t)(next_random(&w->rng) | 1);
    w->corrupted++;
}

static int drain(writer *w, AVCodecContext *c, AVStream *st, const AVFrame *frame) {
    int ret = avcodec_send_frame(c, frame);
    if (ret < 0) return fail("encoding", ret);
    for (;;) {
        ret = avcodec_receive_packet(c, w->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret < 0) return fail("encoding", ret);
        /* AVI cannot start a stream before 0: rather than let the muxer shift every stream
         * by the AAC priming (a one-frame gap in the video), start the audio at 0. */
        if (st == w->ast && w->shift_audio) {
            w->pkt->pts += c->initial_padding;
            w->pkt->dts += c->initial_padding;
        }
        av_packet_rescale_ts(w->pkt, c->time_base, st->time_base);
        w->pkt->stream_index = st->index;
        if (st == w->vst) {
            maybe_corrupt(w, w->pkt);
            make_undecodable(w, w->pkt);
        }
        ret = av_interleaved_write_frame(w->oc, w->pkt);
        if (ret < 0) return fail("writing", ret);
    }
}

/* Audio up to sample `until` of the scene's clock (at most the file's end). The file's own
 * timestamps start at 0 at its first sample. */
static int write_audio_until(writer *w, int64_t until) {
    if (!w->aenc) return 0;
    if (until > w->audio_end) until = w->audio_end;
    while (w->audio_next < until) {
        int n = w->aenc->frame_size;
        if (w->audio_next + n > w->audio_end) n = (int)(w->audio_end - w->audio_next);
        int ret = av_frame_make_writable(w->aframe);
        if (ret < 0) return fail("audio frame", ret);
        w->aframe->nb_samples = n;
        w->job->cls->render_audio(w->job->scene, (double)w->audio_next / w->o->audio_rate,
                                  (float *)w->aframe->data[0], n);
        w->aframe->pts = w->audio_next - w->audio_first;
        w->audio_next += n;
        if (drain(w, w->aenc, w->ast, w->aframe)) return 1;
    }
    return 0;
}

/* RGB24 to YUV 4:2:0 (BT.601; limited range, or full range for MJPEG's yuvj420p). swscale
 * has no SIMD path from RGB24 and took a third of the encode; this loop vectorises. */
static void rgb_to_yuv420(const uint8_t *rgb, int width, int height, AVFrame *f) {
    bool full = f->format == AV_PIX_FMT_YUVJ420P;
    int ky[3] = {66, 129, 25}, y_off = 16, ku[3] = {-38, -74, 112}, kv[3] = {112, -94, -18};
    if (full) {
        ky[0] = 77, ky[1] = 150, ky[2] = 29, y_off = 0;
        ku[0] = -43, ku[1] = -85, ku[2] = 128;
        kv[0] = 128, kv[1] = -107, kv[2] = -21;
    }
    int stride = width * 3;
    for (int y = 0; y < height; y++) {
        const uint8_t *src = rgb + (size_t)y * stride;
        uint8_t *dst = f->data[0] + (size_t)y * f->linesize[0];
        for (int x = 0; x < width; x++) {
            const uint8_t *p = src + (size_t)3 * x;
            dst[x] = (uint8_t)(((ky[0] * p[0] + ky[1] * p[1] + ky[2] * p[2] + 128) >> 8) + y_off);
        }
    }
    for (int y = 0; y < height / 2; y++) {
        const uint8_t *r0 = rgb + (size_t)(2 * y) * stride, *r1 = r0 + stride;
        uint8_t *u = f->data[1] + (size_t)y * f->linesize[1];
        uint8_t *v = f->data[2] + (size_t)y * f->linesize[2];
        for (int x = 0; x < width / 2; x++) {
            int o = 6 * x;
            int r = r0[o] + r0[o + 3] + r1[o] + r1[o + 3];
            int g = r0[o + 1] + r0[o + 4] + r1[o + 1] + r1[o + 4];
            int b = r0[o + 2] + r0[o + 5] + r1[o + 2] + r1[o + 5];
            u[x] = (uint8_t)(((ku[0] * r + ku[1] * g + ku[2] * b + 512) >> 10) + 128);
            v[x] = (uint8_t)(((kv[0] * r + kv[1] * g + kv[2] * b + 512) >> 10) + 128);
        }
    }
}

static int write_video_frame(writer *w, double t, int64_t pts) {
    w->job->cls->render_frame(w->job->scene, t, w->rgb, w->o->width * 3);
    int ret = av_frame_make_writable(w->vframe);
    if (ret < 0) return fail("video frame", ret);
    rgb_to_yuv420(w->rgb, w->o->width, w->o->height, w->vframe);
    w->vframe->pts = pts;
    return drain(w, w->venc, w->vst, w->vframe);
}

/* Frames on the scene's global grid: frame g shows t = g / fps, and this file holds the g
 * with t0 <= t < t0 + duration, so consecutive files neither repeat nor skip a frame. */
static int write_all(writer *w) {
    const sv_encoding *o = w->o;
    const sv_file_job *job = w->job;
    double period = 1.0 / o->fps;
    int64_t g0 = (int64_t)ceil(job->t0_sec * o->fps - 1e-6);
    int64_t g1 = (int64_t)ceil((job->t0_sec + job->duration_sec) * o->fps - 1e-6);
    if (job->damage == SV_DMG_VFR) {
        double t = job->t0_sec, end = job->t0_sec + job->duration_sec;
        while (t < end - 1e-9) {
            if (write_audio_until(w, (int64_t)llround((t + 0.5) * o->audio_rate))) return 1;
            if (write_video_frame(w, t, (int64_t)llround((t - job->t0_sec) * 90000))) return 1;
            /* each frame lasts between 0.5 and 1.5 nominal periods, like a dashcam that drops
             * and repeats frames under load */
            t += period * (0.5 + uniform(&w->rng));
        }
    } else {
        for (int64_t g = g0; g < g1; g++) {
            double t = (double)g * period;
            if (write_audio_until(w, (int64_t)llround((t + 0.5) * o->audio_rate))) return 1;
            if (write_video_frame(w, t, g - g0)) return 1;
        }
    }
    if (write_audio_until(w, INT64_MAX)) return 1;
    if (drain(w, w->venc, w->vst, NULL)) return 1;
    if (w->aenc && drain(w, w->aenc, w->ast, NULL)) return 1;
    return 0;
}

/* The upload cut off: keep the first 60 % of the bytes. */
static int truncate_output(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0 || truncate(path, sb.st_size * 6 / 10) != 0) {
        fprintf(stderr, "synth-video: cannot truncate %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

static void close_writer(writer *w) {
    avcodec_free_context(&w->venc);
    avcodec_free_context(&w->aenc);
    av_frame_free(&w->vframe);
    av_frame_free(&w->aframe);
    av_packet_free(&w->pkt);
    free(w->rgb);
    if (w->oc) {
        if (w->oc->pb) avio_closep(&w->oc->pb);
        avformat_free_context(w->oc);
    }
}

int sv_encode_file(const sv_encoding *enc, const sv_file_job *job, long *corrupted) {
    writer w = {.o = enc, .job = job};
    w.rng = enc->seed * 0x2545f4914f6cdd1dULL + 7;
    /* The sound spans the frames' span [g0 / fps, g1 / fps) (write_all), so a segment's audio
     * and video start together and the next segment's audio starts where this one's ends.
     * VFR frames fall where they fall: the sound then spans the asked duration. */
    double a0 = job->t0_sec, a1 = job->t0_sec + job->duration_sec;
    if (job->damage != SV_DMG_VFR) {
        a0 = ceil(job->t0_sec * enc->fps - 1e-6) / enc->fps;
        a1 = ceil((job->t0_sec + job->duration_sec) * enc->fps - 1e-6) / enc->fps;
    }
    w.audio_first = w.audio_next = (int64_t)llround(a0 * enc->audio_rate);
    w.audio_end = (int64_t)llround(a1 * enc->audio_rate);
    int rc = 0;
    int ret = avformat_alloc_output_context2(&w.oc, NULL, NULL, job->path);
    if (ret < 0 || !w.oc) {
        rc = fail("unknown container for this file extension", ret);
        goto done;
    }
    w.pkt = av_packet_alloc();
    if (!w.pkt || open_video(&w) ||
        (job->damage != SV_DMG_NOAUDIO && !job->silent && open_audio(&w))) {
        rc = 1;
        goto done;
    }
    if (job->creation_time) av_dict_set(&w.oc->metadata, "creation_time", job->creation_time, 0);
    if ((ret = avio_open(&w.oc->pb, job->path, AVIO_FLAG_WRITE)) < 0) {
        rc = fail(job->path, ret);
        goto done;
    }
    AVDictionary *mux = NULL;
    /* Index first (faststart), so a cut-off upload keeps a readable head - unless the moov
     * at the end is the point. */
    w.shift_audio = !strcmp(w.oc->oformat->name, "avi");
    bool is_mov = strstr(w.oc->oformat->name, "mp4") || strstr(w.oc->oformat->name, "mov");
    if (is_mov && job->damage != SV_DMG_MOOV_END) av_dict_set(&mux, "movflags", "+faststart", 0);
    ret = avformat_write_header(w.oc, &mux);
    av_dict_free(&mux);
    if (ret < 0) {
        rc = fail("writing the header", ret);
        goto done;
    }
    if (write_all(&w)) {
        rc = 1;
        goto done;
    }
    if ((ret = av_write_trailer(w.oc)) < 0) {
        rc = fail("writing the trailer", ret);
        goto done;
    }
    avio_closep(&w.oc->pb);
    if (job->damage == SV_DMG_TRUNCATE && truncate_output(job->path)) rc = 1;
done:
    if (corrupted) *corrupted = w.corrupted;
    close_writer(&w);
    return rc;
}
