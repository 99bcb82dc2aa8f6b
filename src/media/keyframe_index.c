/* The keyframe index: where each GOP starts. The sampler decides between decoding forward and
 * seeking with it, and the coarse pass reads only keyframe packets through it. It comes from
 * the container (MP4 sample table, Matroska cues, AVI idx1) or, for containers without one
 * (MPEG-TS), from one demux pass that reads packets without decoding them. */
#include <stdlib.h>
#include <string.h>

#include "media_internal.h"

static int compare_keys(const void *a, const void *b) {
    const media_keyframe *x = a, *y = b;
    return (x->ts > y->ts) - (x->ts < y->ts);
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median gap between keyframes: robust to a short last GOP and to scene-cut keyframes. */
static void summarise(dc_media *m) {
    m->info.keyframe_count = m->key_count;
    m->info.keyframe_interval_sec = 0;
    if (m->key_count < 2) return;
    double *gaps = malloc(sizeof *gaps * (size_t)(m->key_count - 1));
    if (!gaps) return;
    for (int i = 1; i < m->key_count; i++)
        gaps[i - 1] = media_pts_to_sec(m, m->keys[i].ts) - media_pts_to_sec(m, m->keys[i - 1].ts);
    qsort(gaps, (size_t)(m->key_count - 1), sizeof *gaps, compare_doubles);
    m->info.keyframe_interval_sec = gaps[(m->key_count - 1) / 2];
    free(gaps);
}

static bool push_key(dc_media *m, int *cap, int64_t ts, int64_t pos) {
    if (m->key_count == *cap) {
        int ncap = *cap ? *cap * 2 : 256;
        media_keyframe *n = realloc(m->keys, sizeof *n * (size_t)ncap);
        if (!n) return false;
        m->keys = n;
        *cap = ncap;
    }
    m->keys[m->key_count++] = (media_keyframe){.ts = ts, .pos = pos};
    return true;
}

/* A sample table indexes decode times; with B-frames a keyframe is presented later by the
 * reorder delay (and MP4 seeking takes presentation times). The first video packet tells the
 * delay: pts - dts of a keyframe is the same all through a stream. */
static void shift_to_presentation_times(dc_media *m) {
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return;
    int64_t shift = 0;
    for (int tries = 0; tries < 64 && av_read_frame(m->fmt, pkt) >= 0; tries++) {
        bool video = pkt->stream_index == m->video_index;
        if (video && pkt->pts != AV_NOPTS_VALUE && pkt->dts != AV_NOPTS_VALUE)
            shift = pkt->pts - pkt->dts;
        av_packet_unref(pkt);
        if (video) break;
    }
    av_packet_free(&pkt);
    if (shift > 0)
        for (int i = 0; i < m->key_count; i++) m->keys[i].ts += shift;
    media_seek_to_start(m);
}

void media_index_from_container(dc_media *m) {
    AVStream *st = m->fmt->streams[m->video_index];
    int n = avformat_index_get_entries_count(st);
    /* Formats with a generic index (MPEG-TS) only hold what was read while probing. */
    if (n <= 0 || (m->fmt->iformat->flags & AVFMT_GENERIC_INDEX)) return;
    /* Matroska cues list only some keyframes (one a cluster): an index is trusted only when it
     * lists non-key samples too (a full sample table) or about one entry per frame. */
    bool has_nonkey = false;
    for (int i = 0; i < n && !has_nonkey; i++)
        has_nonkey = !(avformat_index_get_entry(st, i)->flags & AVINDEX_KEYFRAME);
    double frames = m->info.duration_sec / m->frame_period;
    if (!has_nonkey && n < 0.5 * frames) return;
    int cap = 0;
    for (int i = 0; i < n; i++) {
        const AVIndexEntry *e = avformat_index_get_entry(st, i);
        if (!(e->flags & AVINDEX_KEYFRAME)) continue;
        if (!push_key(m, &cap, e->timestamp, -1)) {
            m->key_count = 0;
            return;
        }
    }
    if (m->key_count == 0) return;
    qsort(m->keys, (size_t)m->key_count, sizeof *m->keys, compare_keys);
    shift_to_presentation_times(m);
    m->keys_known = true;
    summarise(m);
}

dc_error_class media_index_ensure(dc_media *m, dc_status *st) {
    if (m->keys_known) return DC_OK;
    /* A pipe cannot be rewound after the scan: decode forward instead. */
    if (!m->fmt->pb || !(m->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL)) return DC_OK;
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return media_fail_nomem(m, st);
    enum AVDiscard saved[64];
    unsigned ns = m->fmt->nb_streams < 64 ? m->fmt->nb_streams : 64;
    for (unsigned i = 0; i < ns; i++) {
        saved[i] = m->fmt->streams[i]->discard;
        if ((int)i != m->video_index) m->fmt->streams[i]->discard = AVDISCARD_ALL;
    }
    media_seek_to_start(m);
    int cap = 0, ret;
    m->key_count = 0;
    while ((ret = av_read_frame(m->fmt, pkt)) >= 0) {
        if (pkt->stream_index == m->video_index && (pkt->flags & AV_PKT_FLAG_KEY)) {
            int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (ts != AV_NOPTS_VALUE && !push_key(m, &cap, ts, pkt->pos)) {
                ret = AVERROR(ENOMEM);
                av_packet_unref(pkt);
                break;
            }
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    for (unsigned i = 0; i < ns; i++) m->fmt->streams[i]->discard = saved[i];
    if (ret != AVERROR_EOF && (m->interrupted || ret == AVERROR_EXIT || ret == AVERROR(ENOMEM)))
        return media_fail_av(m, st, ret, "indexing keyframes");
    media_seek_to_start(m);
    if (m->key_count > 0) {
        qsort(m->keys, (size_t)m->key_count, sizeof *m->keys, compare_keys);
        m->keys_known = true;
        m->keys_from_scan = true;
        summarise(m);
    }
    return DC_OK;
}

int media_key_at_or_before(const dc_media *m, int64_t pts) {
    int lo = 0, hi = m->key_count - 1, best = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (m->keys[mid].ts <= pts) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

int media_key_nearest(const dc_media *m, int64_t pts) {
    if (m->key_count == 0) return -1;
    int k = media_key_at_or_before(m, pts);
    if (k < 0) return 0;
    if (k + 1 < m->key_count && m->keys[k + 1].ts - pts < pts - m->keys[k].ts) return k + 1;
    return k;
}

int media_seek_to_key(dc_media *m, int k) {
    const media_keyframe *key = &m->keys[k];
    /* Byte positions from the scan serve formats without an index of their own (MPEG-TS);
     * Matroska resyncs poorly mid-cluster, and its own seek finds keyframes by time. */
    bool by_byte = m->keys_from_scan && key->pos >= 0 &&
                   !(m->fmt->iformat->flags & AVFMT_NO_BYTE_SEEK) &&
                   !strstr(m->fmt->iformat->name, "matroska");
    if (by_byte) {
        int ret = av_seek_frame(m->fmt, -1, key->pos, AVSEEK_FLAG_BYTE);
        if (ret >= 0) return ret;
    }
    return av_seek_frame(m->fmt, m->video_index, key->ts, AVSEEK_FLAG_BACKWARD);
}

int media_seek_to_start(dc_media *m) {
    if (m->fmt->pb && !(m->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL)) return AVERROR(ESPIPE);
    int ret = av_seek_frame(m->fmt, m->video_index, m->origin_pts, AVSEEK_FLAG_BACKWARD);
    if (ret < 0 && !(m->fmt->iformat->flags & AVFMT_NO_BYTE_SEEK))
        ret = av_seek_frame(m->fmt, -1, 0, AVSEEK_FLAG_BYTE);
    return ret;
}
