/* The video decoder of one call: opened with all threads, closed before the call returns
 * (no thread outlives a call), and tolerant of damaged packets, which it counts. */
#include "media_internal.h"
#include "media_test_hooks.h"

dc_error_class media_decoder_open(dc_media *m, media_decoder *d, bool keyframes_only, bool coarse,
                                  dc_status *st) {
    return media_decoder_open_ex(m, d, keyframes_only, coarse, 0, false, st);
}

dc_error_class media_decoder_open_ex(dc_media *m, media_decoder *d, bool keyframes_only,
                                     bool coarse, int threads, bool low_delay, dc_status *st) {
    *d = (media_decoder){.last_sent_pts = INT64_MIN};
    AVCodecParameters *par = m->fmt->streams[m->video_index]->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return dc_fail(st, DC_ERR_INPUT, "%s: unsupported video codec '%s'", m->path,
                       avcodec_get_name(par->codec_id));
    d->ctx = avcodec_alloc_context3(codec);
    d->pkt = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->ctx || !d->pkt || !d->frame) {
        media_decoder_close(d);
        return media_fail_nomem(m, st);
    }
    int ret = avcodec_parameters_to_context(d->ctx, par);
    if (ret < 0) {
        media_decoder_close(d);
        return media_fail_av(m, st, ret, "configuring the video decoder");
    }
    d->ctx->pkt_timebase = m->fmt->streams[m->video_index]->time_base;
    d->ctx->thread_count = threads > 0 ? threads : 0; /* 0: one per core */
    d->ctx->thread_type = low_delay ? FF_THREAD_SLICE : FF_THREAD_FRAME | FF_THREAD_SLICE;
    if (keyframes_only) d->ctx->skip_frame = AVDISCARD_NONKEY;
    if (coarse) {
        /* Thumbnails for motion cues: deblocking changes nothing at 160x90 and costs a
         * good part of the decode. */
        d->ctx->skip_loop_filter = AVDISCARD_ALL;
        d->ctx->flags2 |= AV_CODEC_FLAG2_FAST;
    }
    ret = avcodec_open2(d->ctx, codec, NULL);
    if (ret < 0) {
        media_decoder_close(d);
        return media_fail_av(m, st, ret, "opening the video decoder");
    }
    return DC_OK;
}

void media_decoder_close(media_decoder *d) {
    avcodec_free_context(&d->ctx);
    av_packet_free(&d->pkt);
    av_frame_free(&d->frame);
}

void media_decoder_flush(media_decoder *d) {
    avcodec_flush_buffers(d->ctx);
    d->last_sent_pts = INT64_MIN;
    d->eof_sent = false;
}

int media_read_packet(dc_media *m, AVPacket *pkt, int *corrupt) {
    for (;;) {
        av_packet_unref(pkt);
        int ret = av_read_frame(m->fmt, pkt);
        if (ret < 0) return ret;
        if (pkt->stream_index != m->video_index) continue;
        if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
            (*corrupt)++;
            continue;
        }
        return 0;
    }
}

int media_read_video_packet(dc_media *m, media_decoder *d) {
    return media_read_packet(m, d->pkt, &d->corrupt_packets);
}

void media_decoder_send(media_decoder *d, bool flush) {
    if (flush) {
        if (!d->eof_sent) avcodec_send_packet(d->ctx, NULL);
        d->eof_sent = true;
        return;
    }
    int64_t ts = d->pkt->pts != AV_NOPTS_VALUE ? d->pkt->pts : d->pkt->dts;
    if (ts != AV_NOPTS_VALUE && ts > d->last_sent_pts) d->last_sent_pts = ts;
    media_test_decode_delay(); /* test builds: a slow decoder on request */
    int ret = avcodec_send_packet(d->ctx, d->pkt);
    /* EAGAIN cannot happen: the callers drain frames before sending the next packet. */
    if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) d->corrupt_packets++;
    av_packet_unref(d->pkt);
}

int media_decoder_receive(media_decoder *d) {
    for (;;) {
        int ret = avcodec_receive_frame(d->ctx, d->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return ret;
        if (ret < 0) {
            /* With frame threads a packet's decode error surfaces here. */
            d->corrupt_packets++;
            continue;
        }
        if (d->frame->decode_error_flags || (d->frame->flags & AV_FRAME_FLAG_CORRUPT)) {
            d->corrupt_packets++;
            av_frame_unref(d->frame);
            continue;
        }
        return 0;
    }
}

int64_t media_frame_pts(const AVFrame *f) {
    /* The packet's own pts when it has one: the best-effort guess switches to decode times
     * when only keyframes are fed (B-frame streams), which would be a frame or two early. */
    if (f->pts != AV_NOPTS_VALUE) return f->pts;
    return f->best_effort_timestamp;
}
