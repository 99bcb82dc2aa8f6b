/* Opening a video: container and stream facts, sanity checks with messages a person can act
 * on, and the keyframe index when the container carries one. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/display.h>

#include "media_internal.h"

static void copy_name(char *dst, size_t size, const char *src) {
    snprintf(dst, size, "%s", src ? src : "");
}

/* Degrees clockwise to apply for display, from the stream's display matrix. */
static int stream_rotation(AVStream *st) {
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!matrix) return 0;
    double ccw = av_display_rotation_get((const int32_t *)matrix);
    if (isnan(ccw)) return 0;
    int cw = (int)lround(-ccw);
    cw = ((cw % 360) + 360) % 360;
    /* Only right angles are meaningful for dashcams; snap anything else. */
    return ((cw + 45) / 90 % 4) * 90;
}

/* From the container's full sample index (MP4, AVI list every sample): whether frame
 * durations vary, and whether the file ends before the samples it lists (upload cut off). */
static void inspect_sample_index(dc_media *m, int64_t file_size) {
    AVStream *st = m->fmt->streams[m->video_index];
    int n = avformat_index_get_entries_count(st);
    if (n < 3) return;
    int64_t min_d = INT64_MAX, max_d = 0;
    int64_t prev = AV_NOPTS_VALUE;
    int last_whole = -1;
    for (int i = 0; i < n; i++) {
        const AVIndexEntry *e = avformat_index_get_entry(st, i);
        if (prev != AV_NOPTS_VALUE && e->timestamp > prev) {
            int64_t d = e->timestamp - prev;
            if (d < min_d) min_d = d;
            if (d > max_d) max_d = d;
        }
        prev = e->timestamp;
        if (file_size <= 0 || e->pos + e->size <= file_size) last_whole = i;
    }
    /* Durations that differ by more than 10 % (timestamp rounding stays far below that). */
    if (max_d > 0 && min_d != INT64_MAX && (double)max_d > 1.1 * (double)min_d) m->info.vfr = true;
    if (file_size > 0 && last_whole < n - 1) {
        m->info.truncated = true;
        m->info.last_good_sec =
            last_whole >= 0
                ? media_pts_to_sec(m, avformat_index_get_entry(st, last_whole)->timestamp)
                : 0;
    }
}

/* Duration when neither container nor stream states it: the last packet's end time. */
static dc_error_class duration_from_packets(dc_media *m, dc_status *st) {
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return media_fail_nomem(m, st);
    int64_t last_end = AV_NOPTS_VALUE;
    int ret;
    while ((ret = av_read_frame(m->fmt, pkt)) >= 0) {
        if (pkt->stream_index == m->video_index) {
            int64_t t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (t != AV_NOPTS_VALUE) {
                t += pkt->duration > 0 ? pkt->duration : 0;
                if (last_end == AV_NOPTS_VALUE || t > last_end) last_end = t;
            }
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    if (ret != AVERROR_EOF && (m->interrupted || ret == AVERROR_EXIT))
        return media_fail_timeout(m, st, "estimating the duration from packets");
    if (last_end != AV_NOPTS_VALUE) {
        m->info.duration_sec = media_pts_to_sec(m, last_end);
        m->info.duration_source = DC_DURATION_PACKETS;
    }
    media_seek_to_start(m);
    return DC_OK;
}

static void fill_audio_info(dc_media *m) {
    if (m->audio_index < 0) return;
    AVCodecParameters *par = m->fmt->streams[m->audio_index]->codecpar;
    m->info.has_audio = true;
    copy_name(m->info.audio_codec, sizeof m->info.audio_codec, avcodec_get_name(par->codec_id));
    m->info.audio_rate = par->sample_rate;
    m->info.audio_channels = par->ch_layout.nb_channels;
}

static const char *tag(AVDictionary *d, const char *key) {
    const AVDictionaryEntry *e = av_dict_get(d, key, NULL, 0);
    return e && e->value ? e->value : NULL;
}

/* Who wrote the file, as its tags say (the fraud rules read it: a camera that writes
 * telemetry, or an editing program that re-encoded the camera's file). */
static void fill_writer_tags(AVFormatContext *fmt, dc_media_info *info) {
    copy_name(info->encoder, sizeof info->encoder, tag(fmt->metadata, "encoder"));
    const char *make = tag(fmt->metadata, "make"), *model = tag(fmt->metadata, "model");
    if (!make) make = tag(fmt->metadata, "com.apple.quicktime.make");
    if (!model) model = tag(fmt->metadata, "com.apple.quicktime.model");
    if (!make && !model) model = tag(fmt->metadata, "firmware");
    snprintf(info->device, sizeof info->device, "%s%s%s", make ? make : "",
             make && model ? " " : "", model ? model : "");
}

static dc_error_class fill_video_info(dc_media *m, int64_t file_size, dc_status *st) {
    AVFormatContext *fmt = m->fmt;
    AVStream *vs = fmt->streams[m->video_index];
    dc_media_info *info = &m->info;
    copy_name(info->container, sizeof info->container, fmt->iformat->name);
    copy_name(info->video_codec, sizeof info->video_codec,
              avcodec_get_name(vs->codecpar->codec_id));
    info->width = vs->codecpar->width;
    info->height = vs->codecpar->height;
    info->rotation = stream_rotation(vs);
    fill_writer_tags(fmt, info);
    const char *created = tag(fmt->metadata, "creation_time");
    copy_name(info->creation_time, sizeof info->creation_time,
              created ? created : tag(vs->metadata, "creation_time"));
    info->avg_fps =
        vs->avg_frame_rate.num > 0 && vs->avg_frame_rate.den > 0 ? av_q2d(vs->avg_frame_rate) : 0;
    info->real_fps =
        vs->r_frame_rate.num > 0 && vs->r_frame_rate.den > 0 ? av_q2d(vs->r_frame_rate) : 0;
    double fps = info->avg_fps > 0 ? info->avg_fps : info->real_fps;
    m->frame_period = fps > 0 ? 1.0 / fps : 1.0 / 30;
    if (info->avg_fps > 0 && info->real_fps > 0 &&
        fabs(info->avg_fps - info->real_fps) > 0.01 * info->real_fps)
        info->vfr = true;

    m->origin_pts = vs->start_time != AV_NOPTS_VALUE ? vs->start_time : 0;
    info->start_time_sec = fmt->start_time != AV_NOPTS_VALUE ? fmt->start_time / 1e6 : 0;

    if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0 &&
        fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
        info->duration_sec = fmt->duration / 1e6;
        info->duration_source = DC_DURATION_CONTAINER;
    } else if (vs->duration != AV_NOPTS_VALUE && vs->duration > 0) {
        info->duration_sec = (double)vs->duration * av_q2d(vs->time_base);
        info->duration_source = DC_DURATION_STREAM;
    } else {
        dc_error_class e = duration_from_packets(m, st);
        if (e != DC_OK) return e;
    }

    inspect_sample_index(m, file_size);
    media_index_from_container(m);
    fill_audio_info(m);
    if (info->duration_sec <= 0)
        return dc_fail(st, DC_ERR_INPUT, "%s: video stream has no frames", m->path);
    return DC_OK;
}

/* Checks that give a clearer message than FFmpeg would. */
static dc_error_class check_file(const char *path, int64_t *size, bool *is_pipe, dc_status *st) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT) return dc_fail(st, DC_ERR_INPUT, "%s: no such file", path);
        return dc_fail(st, DC_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    }
    if (S_ISDIR(sb.st_mode)) return dc_fail(st, DC_ERR_INPUT, "%s: is a directory", path);
    *size = S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1;
    *is_pipe = S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) || S_ISCHR(sb.st_mode);
    if (*size == 0) return dc_fail(st, DC_ERR_INPUT, "%s: empty file (0 bytes)", path);
    return DC_OK;
}

static dc_error_class open_streams(dc_media *m, bool is_pipe, dc_status *st) {
    int ret;
    const AVCodec *dec = NULL;
    m->fmt = avformat_alloc_context();
    if (!m->fmt) return media_fail_nomem(m, st);
    m->fmt->interrupt_callback.callback = media_interrupt_cb;
    m->fmt->interrupt_callback.opaque = m;
    if (is_pipe) {
        ret = media_open_pipe(m);
        if (ret < 0) {
            avformat_free_context(m->fmt);
            m->fmt = NULL;
            return media_fail_av(m, st, ret, "opening the pipe");
        }
    }
    /* a pipe, or a buffer in memory (memory_input.c): our own AVIOContext */
    if (m->pipe_io) {
        m->fmt->pb = m->pipe_io;
        m->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    ret = avformat_open_input(&m->fmt, m->path, NULL, NULL);
    if (ret < 0) {
        /* avformat_open_input frees the context on failure. */
        if (m->interrupted || ret == AVERROR_EXIT) return media_fail_timeout(m, st, "opening");
        if (ret == AVERROR_INVALIDDATA)
            return dc_fail(st, DC_ERR_INPUT,
                           "%s: not a media file, or damaged beyond reading (no container "
                           "header found; an MP4 cut off before its moov atom looks like this)",
                           m->path);
        return media_fail_av(m, st, ret, "opening");
    }
    ret = avformat_find_stream_info(m->fmt, NULL);
    if (ret < 0) return media_fail_av(m, st, ret, "reading stream information");
    ret = av_find_best_stream(m->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &dec, 0);
    if (ret == AVERROR_STREAM_NOT_FOUND)
        return dc_fail(st, DC_ERR_INPUT, "%s: no video stream (container %s)", m->path,
                       m->fmt->iformat->name);
    if (ret == AVERROR_DECODER_NOT_FOUND || (ret >= 0 && !dec)) {
        int vi = av_find_best_stream(m->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
        const char *name =
            vi >= 0 ? avcodec_get_name(m->fmt->streams[vi]->codecpar->codec_id) : "unknown";
        return dc_fail(st, DC_ERR_INPUT, "%s: unsupported video codec '%s'", m->path, name);
    }
    if (ret < 0) return media_fail_av(m, st, ret, "finding the video stream");
    m->video_index = ret;
    AVCodecParameters *par = m->fmt->streams[ret]->codecpar;
    if (par->width <= 0 || par->height <= 0)
        return dc_fail(st, DC_ERR_INPUT, "%s: video stream has no frame size (damaged header)",
                       m->path);
    ret = av_find_best_stream(m->fmt, AVMEDIA_TYPE_AUDIO, -1, m->video_index, NULL, 0);
    m->audio_index = ret >= 0 ? ret : -1;
    return DC_OK;
}

dc_media *dc_media_open(const char *path, dc_deadline dl, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    if (!path || !*path) {
        dc_fail(st, DC_ERR_INPUT, "(no path): no video file given");
        return NULL;
    }
    int64_t size = -1;
    bool is_pipe = false;
    if (check_file(path, &size, &is_pipe, st) != DC_OK) return NULL;
    dc_media *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(path))) {
        free(m);
        dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", path);
        return NULL;
    }
    m->video_index = m->audio_index = -1;
    m->pipe_fd = -1;
    media_begin_call(m, dl);
    if (dc_deadline_passed(dl)) {
        media_fail_timeout(m, st, "opening");
        dc_media_close(m);
        return NULL;
    }
    if (media_open_handle(m, is_pipe, size, st) != DC_OK) {
        dc_media_close(m);
        return NULL;
    }
    return m;
}

dc_error_class media_open_handle(dc_media *m, bool is_pipe, int64_t size, dc_status *st) {
    if (open_streams(m, is_pipe, st) != DC_OK || fill_video_info(m, size, st) != DC_OK)
        return st->code;
    if (m->info.truncated)
        dc_degrade(st, "%s: file is truncated; video decodes up to %.3f s of %.3f s", m->path,
                   m->info.last_good_sec, m->info.duration_sec);
    return DC_OK;
}

const dc_media_info *dc_media_get_info(const dc_media *m) { return &m->info; }

const char *dc_media_path(const dc_media *m) { return m->path; }

void dc_media_close(dc_media *m) {
    if (!m) return;
    avformat_close_input(&m->fmt); /* leaves a custom pb to us */
    media_close_pipe(m);
    free(m->memory);
    free(m->keys);
    free(m->path);
    free(m);
}

dc_error_class dc_media_probe(const char *path, dc_deadline dl, dc_media_info *info,
                              dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    dc_media *m = dc_media_open(path, dl, st);
    if (!m) return st->code;
    /* Without a container index the keyframe interval needs one demux pass; a probe is
     * expected to tell it, and the pass reads packets without decoding them. */
    if (!m->keys_known && media_index_ensure(m, st) != DC_OK) {
        dc_media_close(m);
        return st->code;
    }
    *info = m->info;
    dc_media_close(m);
    return DC_OK;
}
