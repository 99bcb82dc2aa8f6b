/* A demux-only motion cue for mining: the size of every video packet.
 *
 * An encoder spends bits on what it cannot predict: motion, shake, a scene change. The size of
 * each inter-coded frame therefore tracks how much the picture changed, at the full frame rate
 * and whatever the GOP, without decoding anything. MP4/MOV (and AVI) list every sample's size
 * and time in their index, so nothing is read at all; other containers take one demux pass
 * with the other streams discarded (packets are read, never decoded). */
#include <stdlib.h>
#include <string.h>

#include "media_internal.h"

static dc_error_class grow(dc_media *m, dc_packet_sizes *p, int *cap, dc_status *st) {
    if (p->count < *cap) return DC_OK;
    int ncap = *cap ? 2 * *cap : 4096;
    double *t = realloc(p->t_sec, sizeof *t * (size_t)ncap);
    if (t) p->t_sec = t;
    int *b = realloc(p->bytes, sizeof *b * (size_t)ncap);
    if (b) p->bytes = b;
    bool *k = realloc(p->key, sizeof *k * (size_t)ncap);
    if (k) p->key = k;
    if (!t || !b || !k) return media_fail_nomem(m, st);
    *cap = ncap;
    return DC_OK;
}

/* From the container's sample index: usable when it lists about every frame (MP4/MOV, AVI);
 * times there are decode times, a frame or two from presentation with B-frames, which a 10 Hz
 * timeline does not see. */
static bool from_index(dc_media *m, dc_packet_sizes *p, int *cap, dc_status *st,
                       dc_error_class *e) {
    AVStream *vs = m->fmt->streams[m->video_index];
    int n = avformat_index_get_entries_count(vs);
    double fps = m->info.avg_fps > 0 ? m->info.avg_fps : 1.0 / m->frame_period;
    if (n < 2 || n < 0.8 * m->info.duration_sec * fps) return false;
    for (int i = 0; i < n; i++) {
        const AVIndexEntry *ie = avformat_index_get_entry(vs, i);
        if (!ie || ie->size <= 0) continue;
        if ((*e = grow(m, p, cap, st)) != DC_OK) return true;
        p->t_sec[p->count] = media_pts_to_sec(m, ie->timestamp);
        p->bytes[p->count] = ie->size;
        p->key[p->count] = (ie->flags & AVINDEX_KEYFRAME) != 0;
        p->count++;
    }
    return true;
}

static dc_error_class by_demuxing(dc_media *m, dc_packet_sizes *p, int *cap, dc_status *st) {
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return media_fail_nomem(m, st);
    media_select_stream(m, m->video_index);
    media_seek_to_start(m);
    dc_error_class e = DC_OK;
    int ret, corrupt = 0;
    while (e == DC_OK && (ret = media_read_packet(m, pkt, &corrupt)) >= 0) {
        int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        if (ts == AV_NOPTS_VALUE || pkt->size <= 0) continue;
        if ((e = grow(m, p, cap, st)) != DC_OK) break;
        p->t_sec[p->count] = media_pts_to_sec(m, ts);
        p->bytes[p->count] = pkt->size;
        p->key[p->count] = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
        p->count++;
    }
    if (e == DC_OK && ret != AVERROR_EOF && (m->interrupted || ret == AVERROR_EXIT))
        e = media_fail_timeout(m, st, "reading packet sizes");
    av_packet_free(&pkt);
    media_select_all_streams(m);
    return e;
}

dc_error_class dc_media_packet_sizes(dc_media *m, dc_deadline dl, dc_packet_sizes *out,
                                     dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    memset(out, 0, sizeof *out);
    if (!m) return dc_fail(st, DC_ERR_INTERNAL, "dc_media_packet_sizes: NULL media");
    media_begin_call(m, dl);
    int cap = 0;
    dc_error_class e = DC_OK;
    if (!from_index(m, out, &cap, st, &e)) e = by_demuxing(m, out, &cap, st);
    if (e != DC_OK) dc_packet_sizes_free(out);
    return e;
}

void dc_packet_sizes_free(dc_packet_sizes *p) {
    if (!p) return;
    free(p->t_sec);
    free(p->bytes);
    free(p->key);
    memset(p, 0, sizeof *p);
}
