/* synth-video: writes dashcam-like test videos from a scene, optionally damaged the ways real
 * uploads are (cut off, corrupt bytes, no audio, variable frame rate, moov atom at the end).
 * Video: H.264 (libx264, ultrafast), H.265 (libx265) or MJPEG; audio: AAC (FFmpeg's encoder);
 * container by file extension (.mp4/.mov, .mkv, .avi, .ts). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
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

#include "scene.h"

typedef enum { DMG_NONE, DMG_TRUNCATE, DMG_CORRUPT, DMG_NOAUDIO, DMG_VFR, DMG_MOOV_END } damage;

typedef struct {
    const char *out, *scene, *codec;
    int width, height, gop, crf, bframes;
    double fps, duration, incident_at;
    uint64_t seed;
    damage dmg;
    int audio_rate;
    int rotate; /* display rotation metadata, degrees clockwise */
} options;

typedef struct {
    options o;
    const sv_scene_class *cls;
    sv_scene *scene;
    AVFormatContext *oc;
    AVCodecContext *venc, *aenc;
    AVStream *vst, *ast;
    AVFrame *vframe, *aframe;
    AVPacket *pkt;
    uint8_t *rgb;
    uint64_t rng;
    int64_t audio_next; /* next audio sample index */
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

static void usage(FILE *f) {
    fprintf(f,
            "usage: synth-video [options] -o FILE\n"
            "  --scene NAME       what the camera sees (default %s)\n"
            "  --duration S       length in seconds (default 10)\n"
            "  --incident-at S    incident time for scenes that have one (default: scene picks)\n"
            "  --size WxH         frame size (default 1280x720)\n"
            "  --fps N            frames per second (default 30)\n"
            "  --gop N            keyframe interval in frames (default = fps: 1 s)\n"
            "  --codec C          h264 (default), hevc or mjpeg\n"
            "  --crf N            x264/x265 quality (default 23)\n"
            "  --bframes N        x264/x265 B-frames between references (default 0, as most\n"
            "                     dashcams): decode order then differs from display order\n"
            "  --seed N           random seed (default 1)\n"
            "  --damage D         truncate | corrupt | noaudio | vfr | moov-end\n"
            "  --rotate DEG       display rotation metadata: 90, 180 or 270 (clockwise)\n"
            "  -o FILE            output; container from the extension (.mp4 .mov .mkv .avi .ts)\n"
            "Writes FILE.label.json when the scene labels an incident.\nscenes:\n",
            sv_default_scene_name());
    for (int i = 0; sv_scene_at(i); i++)
        fprintf(f, "  %-12s %s\n", sv_scene_at(i)->name, sv_scene_at(i)->summary);
}

static int parse(int argc, char **argv, options *o) {
    *o = (options){.width = 1280,
                   .height = 720,
                   .fps = 30,
                   .duration = 10,
                   .incident_at = -1,
                   .seed = 1,
                   .codec = "h264",
                   .crf = 23,
                   .audio_rate = 48000};
    o->scene = sv_default_scene_name();
    enum {
        O_SCENE = 256,
        O_DUR,
        O_INC,
        O_SIZE,
        O_FPS,
        O_GOP,
        O_CODEC,
        O_SEED,
        O_DMG,
        O_CRF,
        O_ROT,
        O_BFRAMES
    };
    static const struct option longs[] = {
        {"scene", 1, 0, O_SCENE},     {"duration", 1, 0, O_DUR},
        {"incident-at", 1, 0, O_INC}, {"size", 1, 0, O_SIZE},
        {"fps", 1, 0, O_FPS},         {"gop", 1, 0, O_GOP},
        {"codec", 1, 0, O_CODEC},     {"seed", 1, 0, O_SEED},
        {"damage", 1, 0, O_DMG},      {"crf", 1, 0, O_CRF},
        {"rotate", 1, 0, O_ROT},      {"bframes", 1, 0, O_BFRAMES},
        {"help", 0, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case O_SCENE: o->scene = optarg; break;
        case O_DUR: o->duration = atof(optarg); break;
        case O_INC: o->incident_at = atof(optarg); break;
        case O_SIZE:
            if (sscanf(optarg, "%dx%d", &o->width, &o->height) != 2) return 2;
            break;
        case O_FPS: o->fps = atof(optarg); break;
        case O_GOP: o->gop = atoi(optarg); break;
        case O_CODEC: o->codec = optarg; break;
        case O_SEED: o->seed = strtoull(optarg, NULL, 10); break;
        case O_CRF: o->crf = atoi(optarg); break;
        case O_ROT: o->rotate = atoi(optarg); break;
        case O_BFRAMES: o->bframes = atoi(optarg); break;
        case O_DMG:
            if (!strcmp(optarg, "truncate")) o->dmg = DMG_TRUNCATE;
            else if (!strcmp(optarg, "corrupt")) o->dmg = DMG_CORRUPT;
            else if (!strcmp(optarg, "noaudio")) o->dmg = DMG_NOAUDIO;
            else if (!strcmp(optarg, "vfr")) o->dmg = DMG_VFR;
            else if (!strcmp(optarg, "moov-end")) o->dmg = DMG_MOOV_END;
            else return 2;
            break;
        case 'h': usage(stdout); exit(0);
        default: return 2;
        }
    }
    if (!o->out || optind != argc) return 2;
    if (o->width < 16 || o->height < 16 || o->width % 2 || o->height % 2) {
        fprintf(stderr, "synth-video: --size needs even sides of at least 16\n");
        return 2;
    }
    if (!(o->fps > 0 && o->fps <= 240) || !(o->duration > 0)) {
        fprintf(stderr, "synth-video: --fps must be in (0, 240] and --duration > 0\n");
        return 2;
    }
    if (o->gop <= 0) o->gop = (int)lround(o->fps);
    if (o->bframes < 0 || o->bframes > 16) {
        fprintf(stderr, "synth-video: --bframes must be in [0, 16]\n");
        return 2;
    }
    if (o->rotate % 90 || o->rotate < 0 || o->rotate >= 360) {
        fprintf(stderr, "synth-video: --rotate must be 0, 90, 180 or 270\n");
        return 2;
    }
    return 0;
}

static int open_video(writer *w) {
    const options *o = &w->o;
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
    c->time_base = o->dmg == DMG_VFR ? (AVRational){1, 90000} : av_inv_q(c->framerate);
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
        uint8_t *m = av_stream_new_side_data(w->vst, AV_PKT_DATA_DISPLAYMATRIX, 9 * 4);
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
    c->sample_rate = w->o.audio_rate;
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
    bool all_intra = w->o.gop == 1 || w->venc->codec_id == AV_CODEC_ID_MJPEG;
    if (w->o.dmg != DMG_CORRUPT || ((pkt->flags & AV_PKT_FLAG_KEY) && !all_intra)) return;
    if (next_random(&w->rng) % 25 != 0) return;
    if (av_packet_make_writable(pkt) < 0) return;
    /* Keep the start code and NAL header (the muxer would drop a packet without them, which is
     * a lost frame, not a corrupt one) and scramble the slice data after them. */
    int keep = 2;
    if (pkt->size > 6 && !pkt->data[0] && !pkt->data[1]) keep = pkt->data[2] == 1 ? 3 + 3 : 4 + 3;
    for (int i = keep; i < pkt->size; i++) pkt->data[i] = (uint8_t)next_random(&w->rng);
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
        if (st == w->vst) maybe_corrupt(w, w->pkt);
        ret = av_interleaved_write_frame(w->oc, w->pkt);
        if (ret < 0) return fail("writing", ret);
    }
}

/* Audio up to time t (in sample units of the audio rate). */
static int write_audio_until(writer *w, int64_t until) {
    if (!w->aenc) return 0;
    int64_t total = (int64_t)llround(w->o.duration * w->o.audio_rate);
    if (until > total) until = total;
    while (w->audio_next < until) {
        int n = w->aenc->frame_size;
        if (w->audio_next + n > total) n = (int)(total - w->audio_next);
        int ret = av_frame_make_writable(w->aframe);
        if (ret < 0) return fail("audio frame", ret);
        w->aframe->nb_samples = n;
        w->cls->render_audio(w->scene, (double)w->audio_next / w->o.audio_rate,
                             (float *)w->aframe->data[0], n);
        w->aframe->pts = w->audio_next;
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
            const uint8_t *p = src + 3 * x;
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
    w->cls->render_frame(w->scene, t, w->rgb, w->o.width * 3);
    int ret = av_frame_make_writable(w->vframe);
    if (ret < 0) return fail("video frame", ret);
    rgb_to_yuv420(w->rgb, w->o.width, w->o.height, w->vframe);
    w->vframe->pts = pts;
    return drain(w, w->venc, w->vst, w->vframe);
}

static int write_all(writer *w) {
    const options *o = &w->o;
    double period = 1.0 / o->fps;
    double t = 0;
    for (int64_t i = 0; t < o->duration - 1e-9; i++) {
        if (write_audio_until(w, (int64_t)llround((t + 0.5) * o->audio_rate))) return 1;
        int64_t pts = o->dmg == DMG_VFR ? (int64_t)llround(t * 90000) : i;
        if (write_video_frame(w, t, pts)) return 1;
        /* VFR: each frame lasts between 0.5 and 1.5 nominal periods, like a dashcam that drops
         * and repeats frames under load. */
        t = o->dmg == DMG_VFR ? t + period * (0.5 + uniform(&w->rng)) : (double)(i + 1) * period;
    }
    if (write_audio_until(w, INT64_MAX)) return 1;
    if (drain(w, w->venc, w->vst, NULL)) return 1;
    if (w->aenc && drain(w, w->aenc, w->ast, NULL)) return 1;
    return 0;
}

static void write_label(writer *w) {
    if (!w->cls->label_json) return;
    char buf[8192] = "";
    w->cls->label_json(w->scene, buf, sizeof buf);
    size_t n = strlen(w->o.out) + 16;
    char *path = malloc(n);
    if (!path) return;
    snprintf(path, n, "%s.label.json", w->o.out);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%s\n", buf);
        fclose(f);
    } else {
        fprintf(stderr, "synth-video: cannot write %s: %s\n", path, strerror(errno));
    }
    free(path);
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
    if (w->scene) w->cls->destroy(w->scene);
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

/* LeakSanitizer hook (sanitizer builds only): libx265 keeps some allocations past
 * x265_encoder_close. They are not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libx265.so\n"; }

int main(int argc, char **argv) {
    writer w = {0};
    int rc = parse(argc, argv, &w.o);
    if (rc) {
        usage(stderr);
        return rc;
    }
    av_log_set_level(AV_LOG_ERROR);
    w.rng = w.o.seed * 0x2545f4914f6cdd1dULL + 7;
    w.cls = sv_scene_find(w.o.scene);
    if (!w.cls) {
        fprintf(stderr, "synth-video: unknown scene '%s'\n", w.o.scene);
        usage(stderr);
        return 2;
    }
    sv_scene_params sp = {.duration_sec = w.o.duration,
                          .incident_sec = w.o.incident_at,
                          .width = w.o.width,
                          .height = w.o.height,
                          .fps = w.o.fps,
                          .seed = w.o.seed,
                          .audio_rate = w.o.audio_rate};
    w.scene = w.cls->create(&sp);
    if (!w.scene) return fail("cannot create the scene", 0);
    int ret = avformat_alloc_output_context2(&w.oc, NULL, NULL, w.o.out);
    if (ret < 0 || !w.oc) {
        rc = fail("unknown container for this file extension", ret);
        goto done;
    }
    w.pkt = av_packet_alloc();
    if (!w.pkt || open_video(&w) || (w.o.dmg != DMG_NOAUDIO && open_audio(&w))) {
        rc = 1;
        goto done;
    }
    if ((ret = avio_open(&w.oc->pb, w.o.out, AVIO_FLAG_WRITE)) < 0) {
        rc = fail(w.o.out, ret);
        goto done;
    }
    AVDictionary *mux = NULL;
    /* Index first (faststart), so a cut-off upload keeps a readable head - unless the moov
     * at the end is the point. */
    w.shift_audio = !strcmp(w.oc->oformat->name, "avi");
    bool is_mov = strstr(w.oc->oformat->name, "mp4") || strstr(w.oc->oformat->name, "mov");
    if (is_mov && w.o.dmg != DMG_MOOV_END) av_dict_set(&mux, "movflags", "+faststart", 0);
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
    if (w.o.dmg == DMG_TRUNCATE && truncate_output(w.o.out)) rc = 1;
    if (!rc) write_label(&w);
    if (!rc && w.o.dmg == DMG_CORRUPT)
        fprintf(stderr, "synth-video: corrupted %ld video packets\n", w.corrupted);
done:
    close_writer(&w);
    return rc;
}
