/* Internal state of a dc_media handle, shared by the files of src/media/. */
#ifndef DC_MEDIA_INTERNAL_H
#define DC_MEDIA_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "dashclaim/media.h"

/* One keyframe of the video stream: where it sits in time (stream time base) and, when the
 * index came from our own packet scan, where it sits in the file. */
typedef struct {
    int64_t ts;  /* pts when known, else dts */
    int64_t pos; /* byte offset, -1 when unknown */
} media_keyframe;

struct dc_media {
    char *path;
    AVFormatContext *fmt;
    int video_index, audio_index; /* -1 when absent */
    dc_media_info info;

    /* Deadline of the call in progress, read by the AVIOInterruptCB. */
    dc_deadline dl;
    bool interrupted;

    media_keyframe *keys; /* sorted by ts */
    int key_count;
    bool keys_known;     /* index built (from the container or a scan) */
    bool keys_from_scan; /* built by demuxing: seek by byte position where possible */

    int64_t origin_pts; /* video stream time that maps to t = 0 */
    double frame_period;

    /* Pipes and FIFOs are read through our own AVIOContext (pipe_input.c). */
    AVIOContext *pipe_io;
    int pipe_fd; /* -1 when the input is a regular file */
    bool pipe_seen_data;
    /* A buffer in memory read through pipe_io (memory_input.c); NULL otherwise. */
    struct media_memory *memory;
};

/* --- probe.c --- */
/* Opens the streams of a handle whose path (a name in messages), indexes (-1) and custom
 * input (pipe_io, if any) are set, and fills its info. size: bytes, -1 when unknown. */
dc_error_class media_open_handle(dc_media *m, bool is_pipe, int64_t size, dc_status *st);

/* --- memory_input.c --- */
/* Opens a video held in memory (not copied: data must outlive the handle); name stands for
 * the path in messages. For the fuzz harnesses and for callers that already hold the bytes.
 * NULL on failure with *st filled, as dc_media_open. */
dc_media *media_open_memory(const uint8_t *data, size_t size, const char *name, dc_deadline dl,
                            dc_status *st);

/* --- interrupt.c: deadlines --- */
/* Arms the handle's interrupt callback with the deadline of a new call. */
void media_begin_call(dc_media *m, dc_deadline dl);
/* True once the deadline of the current call has passed (also latches m->interrupted). */
bool media_deadline_hit(dc_media *m);
int media_interrupt_cb(void *opaque);

/* --- pipe_input.c --- */
/* Opens m->path (a pipe/FIFO) non-blocking behind m->pipe_io. Returns an AVERROR. */
int media_open_pipe(dc_media *m);
void media_close_pipe(dc_media *m);

/* --- errors.c --- */
/* Turns an FFmpeg error from `what` into a status: timeout when the deadline interrupted it,
 * input otherwise. */
dc_error_class media_fail_av(dc_media *m, dc_status *st, int averr, const char *what);
dc_error_class media_fail_timeout(dc_media *m, dc_status *st, const char *what);
dc_error_class media_fail_nomem(dc_media *m, dc_status *st);

/* --- timebase.c --- */
double media_pts_to_sec(const dc_media *m, int64_t pts);
int64_t media_sec_to_pts(const dc_media *m, double sec);
/* Clamps [start, end) to the video; end <= 0 means the end. Returns false when empty. */
bool media_resolve_range(const dc_media *m, double start, double end, double *out_start,
                         double *out_end);

/* --- keyframe_index.c --- */
/* Reads the keyframes from the container's index (cheap); leaves keys_known false when the
 * container has none. */
void media_index_from_container(dc_media *m);
/* Makes sure the keyframe index exists, demuxing the file once when the container has none. */
dc_error_class media_index_ensure(dc_media *m, dc_status *st);
/* Index of the last keyframe with ts <= pts, or -1. */
int media_key_at_or_before(const dc_media *m, int64_t pts);
/* Index of the keyframe nearest to pts, or -1 when there are none. */
int media_key_nearest(const dc_media *m, int64_t pts);
/* Positions the demuxer so the next video packet read is keyframe k. Returns an AVERROR. */
int media_seek_to_key(dc_media *m, int k);
/* Seeks to the start of the file (before any target). */
int media_seek_to_start(dc_media *m);

/* --- stream_select.c --- */
void media_select_stream(dc_media *m, int keep_index);
void media_select_all_streams(dc_media *m);

/* --- video_decoder.c --- */
typedef struct {
    AVCodecContext *ctx;
    AVPacket *pkt;
    AVFrame *frame;
    int corrupt_packets;
    int64_t last_sent_pts; /* of the last video packet sent (pts or dts), INT64_MIN if none */
    bool eof_sent;
} media_decoder;

/* keyframes_only: non-key frames are skipped at the decoder. coarse: speed over fidelity
 * (no deblocking), for thumbnails. One decoder thread per core, frame and slice threading. */
dc_error_class media_decoder_open(dc_media *m, media_decoder *d, bool keyframes_only, bool coarse,
                                  dc_status *st);
/* Like media_decoder_open with the threading chosen: `threads` decoder threads (0 = one per
 * core); low_delay: slice threads only, for work that restarts the decoder every few frames
 * (frame threads would decode a few frames past each target in vain). */
dc_error_class media_decoder_open_ex(dc_media *m, media_decoder *d, bool keyframes_only,
                                     bool coarse, int threads, bool low_delay, dc_status *st);
void media_decoder_close(media_decoder *d);
void media_decoder_flush(media_decoder *d);
/* Reads the next video packet into pkt (other streams and packets the demuxer flags corrupt
 * are skipped, the latter counted in *corrupt). Returns 0, AVERROR_EOF or an error. */
int media_read_packet(dc_media *m, AVPacket *pkt, int *corrupt);
/* media_read_packet into d->pkt, counting in d->corrupt_packets. */
int media_read_video_packet(dc_media *m, media_decoder *d);
/* Sends d->pkt (or the end of stream when pkt is NULL), counting undecodable packets. */
void media_decoder_send(media_decoder *d, bool flush);
/* Receives one frame into d->frame: 0, AVERROR(EAGAIN) or AVERROR_EOF. Decode errors are
 * counted and skipped. */
int media_decoder_receive(media_decoder *d);
int64_t media_frame_pts(const AVFrame *f);

/* --- pixel_memory.c --- */
/* A free()-able buffer for `size` bytes of pixels written by swscale (with slack after the
 * end for its vector stores); large ones are backed by huge pages. */
enum { MEDIA_PIXEL_SLACK = 4096 };
uint8_t *media_alloc_pixels(size_t size);

/* --- frame_convert.c: one swscale step to the target size, then rotation --- */
typedef struct {
    struct SwsContext *sws;
    int src_w, src_h, src_fmt, dst_w, dst_h, dst_fmt, flags;
    uint8_t *tmp; /* pre-rotation image when rotating */
    size_t tmp_size;
    /* Resize in YUV, then colour-convert at the small size (see frame_convert.c). */
    struct SwsContext *to_rgb;
    uint8_t *mid[4];
    int mid_linesize[4];
    bool two_step;
} media_converter;

/* Display size (rotation applied) scaled so the longest side is `longest` (0 = native),
 * both sides rounded to a multiple of `unit`. */
void media_target_size(int width, int height, int rotation, int longest, int unit, int *out_w,
                       int *out_h);
/* Converts f to out_w x out_h (display orientation) in `fmt` (RGB24 or GRAY8) into dst. */
int media_convert(media_converter *c, const AVFrame *f, int rotation, int out_w, int out_h,
                  enum AVPixelFormat fmt, int sws_flags, uint8_t *dst, int dst_stride);
void media_converter_free(media_converter *c);

#endif
