/* Audio for mining: the soundtrack decoded and resampled (swresample) to mono float PCM at
 * the caller's rate, for the whole file or a range. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "media_internal.h"

typedef struct {
    dc_media *m;
    AVCodecContext *ctx;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    int rate;
    double start_sec, end_sec; /* wanted range */
    /* Resampled output of everything decoded so far; samples[0] is at t0. */
    float *buf;
    size_t count, cap;
    double t0;
    bool have_t0;
    int corrupt_packets;
} audio_pass;

static dc_error_class open_audio(audio_pass *a, dc_status *st) {
    dc_media *m = a->m;
    AVStream *as = m->fmt->streams[m->audio_index];
    const AVCodec *codec = avcodec_find_decoder(as->codecpar->codec_id);
    if (!codec)
        return dc_fail(st, DC_ERR_INPUT, "%s: unsupported audio codec '%s'", m->path,
                       avcodec_get_name(as->codecpar->codec_id));
    a->ctx = avcodec_alloc_context3(codec);
    a->pkt = av_packet_alloc();
    a->frame = av_frame_alloc();
    if (!a->ctx || !a->pkt || !a->frame) return media_fail_nomem(m, st);
    int ret = avcodec_parameters_to_context(a->ctx, as->codecpar);
    if (ret >= 0) {
        a->ctx->pkt_timebase = as->time_base;
        ret = avcodec_open2(a->ctx, codec, NULL);
    }
    if (ret < 0) return media_fail_av(m, st, ret, "opening the audio decoder");
    return DC_OK;
}

/* (Re)creates the resampler for the frame's format; streams may change layout midway. */
static int ensure_resampler(audio_pass *a, const AVFrame *f) {
    if (a->swr) return 0;
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    AVChannelLayout in = f->ch_layout;
    if (in.nb_channels <= 0) av_channel_layout_default(&in, a->ctx->ch_layout.nb_channels);
    int ret = swr_alloc_set_opts2(&a->swr, &mono, AV_SAMPLE_FMT_FLT, a->rate, &in, f->format,
                                  f->sample_rate, 0, NULL);
    if (ret < 0) return ret;
    return swr_init(a->swr);
}

static int grow(audio_pass *a, size_t extra) {
    if (a->count + extra <= a->cap) return 0;
    size_t ncap = a->cap ? a->cap : 65536;
    while (ncap < a->count + extra) ncap *= 2;
    float *n = realloc(a->buf, ncap * sizeof *n);
    if (!n) return AVERROR(ENOMEM);
    a->buf = n;
    a->cap = ncap;
    return 0;
}

/* Resamples one decoded frame (or flushes with f == NULL) onto the end of the buffer. */
static int append_frame(audio_pass *a, const AVFrame *f) {
    if (f) {
        int ret = ensure_resampler(a, f);
        if (ret < 0) return ret;
        if (!a->have_t0) {
            AVRational tb = a->m->fmt->streams[a->m->audio_index]->time_base;
            int64_t pts =
                f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
            /* Same origin as the video: t = 0 is the video stream's first timestamp. */
            double origin =
                (double)a->m->origin_pts * av_q2d(a->m->fmt->streams[a->m->video_index]->time_base);
            a->t0 = pts != AV_NOPTS_VALUE ? (double)pts * av_q2d(tb) - origin : 0;
            a->have_t0 = true;
        }
    }
    if (!a->swr) return 0;
    int in_count = f ? f->nb_samples : 0;
    int out_max = swr_get_out_samples(a->swr, in_count);
    if (out_max <= 0) return 0;
    int ret = grow(a, (size_t)out_max);
    if (ret < 0) return ret;
    uint8_t *out = (uint8_t *)(a->buf + a->count);
    ret =
        swr_convert(a->swr, &out, out_max, f ? (const uint8_t **)f->extended_data : NULL, in_count);
    if (ret < 0) return ret;
    /* Lossy coding and resampling overshoot full scale a little; callers get [-1, 1]. */
    for (int i = 0; i < ret; i++) {
        float *v = a->buf + a->count + i;
        if (*v > 1.0f) *v = 1.0f;
        else if (*v < -1.0f) *v = -1.0f;
    }
    a->count += (size_t)ret;
    return 0;
}

/* Number of decoded seconds that reach the end of the wanted range. */
static bool past_range(const audio_pass *a) {
    return a->end_sec > 0 && a->have_t0 && a->t0 + (double)a->count / a->rate >= a->end_sec;
}

static dc_error_class decode_all(audio_pass *a, dc_status *st) {
    dc_media *m = a->m;
    bool eof = false;
    for (;;) {
        int ret = avcodec_receive_frame(a->ctx, a->frame);
        if (ret == 0) {
            ret = append_frame(a, a->frame);
            av_frame_unref(a->frame);
            if (ret < 0) return media_fail_av(m, st, ret, "resampling audio");
            continue;
        }
        if (ret == AVERROR_EOF) break;
        if (ret != AVERROR(EAGAIN)) {
            a->corrupt_packets++;
            continue;
        }
        if (media_deadline_hit(m)) return media_fail_timeout(m, st, "decoding audio");
        if (eof) break;
        ret = av_read_frame(m->fmt, a->pkt);
        if (ret < 0 && (m->interrupted || ret == AVERROR_EXIT))
            return media_fail_timeout(m, st, "reading audio packets");
        if (ret < 0 || past_range(a)) {
            avcodec_send_packet(a->ctx, NULL);
            eof = true;
            if (ret >= 0) av_packet_unref(a->pkt);
            continue;
        }
        if (a->pkt->stream_index == m->audio_index) {
            if (avcodec_send_packet(a->ctx, a->pkt) < 0) a->corrupt_packets++;
        }
        av_packet_unref(a->pkt);
    }
    int ret = append_frame(a, NULL);
    if (ret < 0) return media_fail_av(m, st, ret, "resampling audio");
    return DC_OK;
}

/* Cuts the decoded buffer down to [start, end) and hands it to out. */
static dc_error_class trim_into(audio_pass *a, dc_pcm *out, dc_status *st) {
    size_t first = 0;
    if (a->start_sec > a->t0) first = (size_t)llround((a->start_sec - a->t0) * a->rate);
    if (first > a->count) first = a->count;
    size_t last = a->count;
    if (a->end_sec > 0) {
        double e = (a->end_sec - a->t0) * a->rate;
        if (e < 0) e = 0;
        if ((size_t)llround(e) < last) last = (size_t)llround(e);
    }
    if (last < first) last = first;
    size_t n = last - first;
    out->samples = malloc((n ? n : 1) * sizeof *out->samples);
    if (!out->samples) return media_fail_nomem(a->m, st);
    if (n) memcpy(out->samples, a->buf + first, n * sizeof *out->samples);
    out->count = n;
    out->rate = a->rate;
    out->start_sec = a->t0 + (double)first / a->rate;
    return DC_OK;
}

dc_error_class dc_media_audio(dc_media *m, double start_sec, double end_sec, int rate,
                              dc_deadline dl, dc_pcm *out, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    memset(out, 0, sizeof *out);
    if (!m) return dc_fail(st, DC_ERR_INTERNAL, "dc_media_audio: NULL handle");
    if (m->audio_index < 0)
        return dc_fail(st, DC_ERR_INPUT, "%s: video has no audio stream", m->path);
    if (rate < 1000 || rate > 384000)
        return dc_fail(st, DC_ERR_INPUT, "%s: invalid audio rate %d Hz", m->path, rate);
    media_begin_call(m, dl);
    audio_pass a = {
        .m = m, .rate = rate, .start_sec = start_sec > 0 ? start_sec : 0, .end_sec = end_sec};
    media_select_stream(m, m->audio_index);
    dc_error_class e = open_audio(&a, st);
    if (e == DC_OK) {
        AVStream *as = m->fmt->streams[m->audio_index];
        /* Back off a little: decoders need a frame or two before the range to start clean. */
        double seek_sec = a.start_sec - 0.5;
        int ret;
        if (seek_sec > 0) {
            int64_t ts = (int64_t)(seek_sec / av_q2d(as->time_base));
            if (as->start_time != AV_NOPTS_VALUE) ts += as->start_time;
            ret = av_seek_frame(m->fmt, m->audio_index, ts, AVSEEK_FLAG_BACKWARD);
        } else {
            ret = av_seek_frame(m->fmt, m->audio_index,
                                as->start_time != AV_NOPTS_VALUE ? as->start_time : 0,
                                AVSEEK_FLAG_BACKWARD);
        }
        if (ret < 0 && (m->interrupted || ret == AVERROR_EXIT))
            e = media_fail_timeout(m, st, "seeking in the audio");
    }
    if (e == DC_OK) e = decode_all(&a, st);
    if (e == DC_OK && !a.have_t0)
        e = dc_fail(st, DC_ERR_INPUT, "%s: no audio in [%.3f, %.3f) s could be decoded", m->path,
                    start_sec, end_sec);
    if (e == DC_OK) e = trim_into(&a, out, st);
    if (e == DC_OK && a.corrupt_packets > 0)
        dc_degrade(st, "%s: skipped %d corrupt audio packet(s)", m->path, a.corrupt_packets);
    if (e == DC_OK && m->info.truncated)
        dc_degrade(st, "%s: file is truncated; audio stops at %.3f s", m->path,
                   out->start_sec + (double)out->count / rate);
    media_select_all_streams(m);
    swr_free(&a.swr);
    avcodec_free_context(&a.ctx);
    av_packet_free(&a.pkt);
    av_frame_free(&a.frame);
    free(a.buf);
    if (e != DC_OK) dc_pcm_free(out);
    return e;
}

void dc_pcm_free(dc_pcm *pcm) {
    if (!pcm) return;
    free(pcm->samples);
    memset(pcm, 0, sizeof *pcm);
}
