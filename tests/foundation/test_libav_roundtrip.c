/* FFmpeg's libraries are usable: write a 1-second H.264 MP4 with libavformat/libavcodec,
 * then open it again and decode every frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <stdio.h>
#include <unistd.h>

enum { W = 128, H = 72, FPS = 25, NFRAMES = 25 };

static void encode_packets(AVCodecContext *enc, AVFrame *frame, AVFormatContext *oc, AVStream *st) {
    AVPacket *pkt = av_packet_alloc();
    assert_int_equal(avcodec_send_frame(enc, frame), 0);
    while (avcodec_receive_packet(enc, pkt) == 0) {
        /* Without a duration the MP4 muxer gives the last sample length 0 and its edit list
         * then hides that frame from every reader. */
        if (pkt->duration == 0) pkt->duration = 1;
        av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
        pkt->stream_index = st->index;
        assert_true(av_interleaved_write_frame(oc, pkt) >= 0);
    }
    av_packet_free(&pkt);
}

static void write_video(const char *path) {
    AVFormatContext *oc = NULL;
    assert_true(avformat_alloc_output_context2(&oc, NULL, NULL, path) >= 0);
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    assert_non_null(codec);
    AVStream *st = avformat_new_stream(oc, NULL);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    enc->width = W, enc->height = H, enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = (AVRational){1, FPS};
    enc->gop_size = 10;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_opt_set(enc->priv_data, "preset", "ultrafast", 0);
    assert_int_equal(avcodec_open2(enc, codec, NULL), 0);
    avcodec_parameters_from_context(st->codecpar, enc);
    st->time_base = enc->time_base;
    assert_true(avio_open(&oc->pb, path, AVIO_FLAG_WRITE) >= 0);
    assert_true(avformat_write_header(oc, NULL) >= 0);
    AVFrame *frame = av_frame_alloc();
    frame->format = enc->pix_fmt, frame->width = W, frame->height = H;
    assert_int_equal(av_frame_get_buffer(frame, 0), 0);
    for (int i = 0; i < NFRAMES; i++) {
        av_frame_make_writable(frame);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                frame->data[0][y * frame->linesize[0] + x] = (uint8_t)(x + y + 3 * i);
        for (int p = 1; p < 3; p++)
            for (int y = 0; y < H / 2; y++)
                for (int x = 0; x < W / 2; x++) frame->data[p][y * frame->linesize[p] + x] = 128;
        frame->pts = i;
        encode_packets(enc, frame, oc, st);
    }
    encode_packets(enc, NULL, oc, st);
    av_write_trailer(oc);
    av_frame_free(&frame);
    avcodec_free_context(&enc);
    avio_closep(&oc->pb);
    avformat_free_context(oc);
}

static int decode_all(const char *path) {
    AVFormatContext *ic = NULL;
    assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(ic, NULL) >= 0);
    const AVCodec *codec = NULL;
    int vs = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    assert_true(vs >= 0);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, ic->streams[vs]->codecpar);
    assert_int_equal(avcodec_open2(dec, codec, NULL), 0);
    assert_int_equal(dec->width, W);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int decoded = 0;
    for (int eof = 0; !eof;) {
        int r = av_read_frame(ic, pkt);
        if (r < 0) eof = 1;
        else if (pkt->stream_index != vs) {
            av_packet_unref(pkt);
            continue;
        }
        avcodec_send_packet(dec, eof ? NULL : pkt);
        av_packet_unref(pkt);
        while (avcodec_receive_frame(dec, frame) == 0) decoded++;
    }
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&ic);
    return decoded;
}

static void test_encode_then_decode(void **state) {
    (void)state;
    char path[] = "/tmp/dc-roundtrip-XXXXXX.mp4";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    write_video(path);
    int n = decode_all(path);
    if (n != NFRAMES) fprintf(stderr, "kept %s\n", path);
    else remove(path);
    assert_int_equal(n, NFRAMES);
}

int main(void) {
    av_log_set_level(AV_LOG_ERROR);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_encode_then_decode)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
