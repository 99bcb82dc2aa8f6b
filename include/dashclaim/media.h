/* Media ingest: probe, keyframe-aware frame sampler, coarse pass for mining, audio.
 * One dc_media handle per video; every call takes a deadline and returns a dc_status
 * whose message names the file and the problem. Frames and thumbnails live in memory. */
#ifndef DASHCLAIM_MEDIA_H
#define DASHCLAIM_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/deadline.h"
#include "dashclaim/frame.h"
#include "dashclaim/status.h"

typedef enum {
    DC_DURATION_CONTAINER = 0,
    DC_DURATION_STREAM,
    DC_DURATION_PACKETS, /* estimated by reading packet timestamps */
} dc_duration_source;

typedef struct {
    char container[32];   /* e.g. "mov,mp4,m4a,3gp,3g2,mj2" short name, "matroska,webm" */
    char video_codec[32]; /* "h264", "hevc", "mjpeg", ... */
    int width, height;    /* coded size as stored */
    int rotation;         /* degrees clockwise to apply for display: 0, 90, 180, 270 */
    double avg_fps;       /* average frame rate */
    double real_fps;      /* r_frame_rate (base rate) */
    bool vfr;             /* frame durations vary */
    double duration_sec;
    dc_duration_source duration_source;
    double start_time_sec;        /* container start offset */
    double keyframe_interval_sec; /* median from the index; 0 when unknown */
    int keyframe_count;           /* from the index; 0 when unknown */
    bool has_audio;
    char audio_codec[32];
    int audio_rate, audio_channels;
    /* The file ends before the frames its index lists (an upload cut off): frames decode up
     * to last_good_sec. Known at open for containers with a sample index (MP4/MOV, AVI). */
    bool truncated;
    double last_good_sec;
    /* The container's own words about who wrote it (metadata tags; "" when absent): the
     * program that muxed it ("encoder": "Lavf60.16.100", "HandBrake 1.6.1") and the camera
     * ("make" and "model", QuickTime's com.apple.quicktime.make/model, or "firmware"). */
    char encoder[64];
    char device[64];
    /* When the container says the recording was made: its creation_time tag as written
     * (ISO 8601, "2026-03-14T09:26:56.000000Z"), the file's or else the video stream's; ""
     * when absent. Cameras write their own clock there, often local time marked Z: grouping
     * (group.h) orders a camera's files by it, and no more. */
    char creation_time[32];
} dc_media_info;

typedef struct dc_media dc_media;

/* Opens and probes a video. NULL on failure with *st filled (class input for a missing,
 * empty, non-media or video-less file; timeout when dl passes). */
dc_media *dc_media_open(const char *path, dc_deadline dl, dc_status *st);
const dc_media_info *dc_media_get_info(const dc_media *m);
const char *dc_media_path(const dc_media *m);
void dc_media_close(dc_media *m);

/* Open + copy info + close. */
dc_error_class dc_media_probe(const char *path, dc_deadline dl, dc_media_info *info, dc_status *st);

typedef enum {
    DC_SAMPLE_EXACT = 0, /* the frame whose timestamp is nearest each target */
    DC_SAMPLE_KEYFRAME,  /* the keyframe nearest each target (fast overviews) */
} dc_sample_mode;

typedef struct {
    double start_sec, end_sec; /* [start, end); end <= 0 means the end of the video */
    int count;                 /* N frames spread uniformly; 0 = use fps */
    double fps;                /* with count == 0: frames per second ... */
    int max_count;             /* ... capped at max_count (0 = no cap) */
    int longest_side;          /* resize so the longest side is this (0 = native size) */
    int unit;                  /* round both sides to a multiple of this (e.g. 28); 0 = 1 */
    dc_sample_mode mode;
    /* Decoding threads at most (one keyframe group per task): 0 = one per core, 1 = one
     * decoder reading forward. The library reads no environment; the CLI sets this from
     * DASHCLAIM_DECODE_WORKERS. */
    int decode_workers;
    /* Exact output size, both > 0: overrides longest_side and unit, and the picture is
     * scaled to it whatever its shape (a claim's rear camera is shown at the size of its
     * front camera's frames, which the engine needs: every frame of a claim one size). */
    int width, height;
} dc_sample_request;

/* Decodes the requested frames into RGB24 at the target size, with their exact
 * presentation timestamps, honouring rotation. When the video has fewer frames than
 * asked, returns those that exist (out->count < out->requested) and degrades *st. */
dc_error_class dc_frames_sample(dc_media *m, const dc_sample_request *req, dc_deadline dl,
                                dc_frame_set *out, dc_status *st);

/* Coarse pass for mining: small grayscale thumbnails with timestamps. */
typedef struct {
    uint8_t *gray; /* width*height bytes, owned by the set */
    double t_sec;
    bool keyframe;
} dc_thumb;

typedef struct {
    dc_thumb *thumbs;
    int count;
    int width, height;
    int corrupt_packets; /* packets skipped because they failed to decode */
} dc_thumb_set;

typedef struct {
    int width, height;         /* thumbnail size, e.g. 160x90 */
    double start_sec, end_sec; /* range; end <= 0 = to the end */
    int every_kth;             /* 0: keyframes only (non-key frames skipped at the decoder);
                                  k >= 1: also every k-th frame (decodes everything) */
    int key_stride;            /* keyframes only: every n-th keyframe of the range (0 or 1:
                                  each one); long videos with 1-s GOPs need not decode all */
} dc_thumb_request;

dc_error_class dc_media_thumbnails(dc_media *m, const dc_thumb_request *req, dc_deadline dl,
                                   dc_thumb_set *out, dc_status *st);
void dc_thumb_set_free(dc_thumb_set *set);

/* Demux-only cue for mining: every video packet's time, size and key flag, in file order
 * (decode order: with B-frames the times are not sorted). From the container's sample index
 * when it lists every frame (MP4/MOV, AVI: nothing is read), else one demux pass without
 * decoding. Arrays owned by the set; free with dc_packet_sizes_free (safe on a zeroed set). */
typedef struct {
    double *t_sec;
    int *bytes;
    bool *key;
    int count;
} dc_packet_sizes;

dc_error_class dc_media_packet_sizes(dc_media *m, dc_deadline dl, dc_packet_sizes *out,
                                     dc_status *st);
void dc_packet_sizes_free(dc_packet_sizes *p);

/* Audio as mono float PCM in [-1, 1]. */
typedef struct {
    float *samples;
    size_t count;
    int rate;
    double start_sec; /* timestamp of samples[0] */
} dc_pcm;

/* Decodes [start, end) (end <= 0 = to the end) resampled to `rate` Hz mono.
 * A video without audio returns DC_ERR_INPUT with a message saying so. */
dc_error_class dc_media_audio(dc_media *m, double start_sec, double end_sec, int rate,
                              dc_deadline dl, dc_pcm *out, dc_status *st);
void dc_pcm_free(dc_pcm *pcm);

#ifdef DC_TEST_HOOKS
/* Test-only fault injection: every video packet waits sec_per_packet before it is decoded (a
 * decoder too slow for the claim's deadline); 0 turns it off. Process-wide. */
void dc_media_test_slow_decode(double sec_per_packet);
#endif

#endif
