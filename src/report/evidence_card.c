/* The evidence card: what the engine saw at each moment it cites, as embedded thumbnails.
 *
 * A claim of one video shows one frame per evidence row. A claim of several videos (front,
 * rear and cabin channels, loop-recorded segments) shows, for each row, every channel's frame
 * at that instant side by side: the pipeline keeps, per evidence time, one frame of each
 * channel (its first at or after that time on the claim's timeline), and the row's frame index
 * names the main channel's frame. Each picture is labelled with its camera, the
 * claim's time and the time within its file ("rear camera, 12.4 s (file 2, 3.1 s)"), so a
 * reviewer can find the moment in the original file. A frame whose video index names no file
 * of the record is still shown where the row points at it, but never added beside another. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report_internal.h"

/* An evidence item without a frame index borrows the nearest frame only when it is this
 * close in time; a frame from another moment would show the reviewer the wrong thing. */
#define NEAREST_FRAME_MAX_GAP_SEC 2.0

/* Frames of two channels count as the same instant within this much. The pipeline asks each
 * channel for its first frame at or after the instant, so the frames it keeps differ by up to
 * a frame interval of the slower camera (a rear camera may record 15 fps: 67 ms); dashcams
 * record at least 10 fps. Of each other video the frame nearest the row's is taken, so a
 * neighbouring sample of the same window (a quarter second or more away) never is. */
#define SAME_INSTANT_SEC 0.1

/* Index of the frame nearest t (of video only, when video >= 0) within
 * NEAREST_FRAME_MAX_GAP_SEC; -1 when none. */
static int nearest_frame(const dc_frame_set *frames, double t, int video) {
    int best = -1;
    double best_gap = INFINITY;
    for (int i = 0; i < frames->count; i++) {
        if (video >= 0 && frames->frames[i].video != video) continue;
        double gap = fabs(frames->frames[i].t_sec - t);
        if (gap < best_gap) {
            best_gap = gap;
            best = i;
        }
    }
    return best_gap <= NEAREST_FRAME_MAX_GAP_SEC ? best : -1;
}

/* The frame an evidence item points at: its index in the sample, else the nearest in time
 * (within NEAREST_FRAME_MAX_GAP_SEC; of a claim of several videos, one of the row's own
 * video first), else none (-1). */
static int evidence_frame(const dc_assessment *a, const dc_evidence *e,
                          const dc_frame_set *frames) {
    if (!frames || !frames->frames || frames->count <= 0) return -1;
    if (e->frame >= 0 && e->frame < frames->count) return e->frame;
    int own = report_several_videos(a) && report_video_at(a, e->video)
                  ? nearest_frame(frames, e->t_sec, e->video)
                  : -1;
    return own >= 0 ? own : nearest_frame(frames, e->t_sec, -1);
}

/* Embeds one thumbnail; on failure shows why instead and marks the page degraded. channel
 * (NULL for a claim of one video) names the camera in the alt text and the message. */
static void put_thumbnail(dc_str *p, const dc_frame *f, int index, const char *channel,
                          dc_status *st) {
    uint8_t *jpeg = NULL;
    size_t size = 0;
    int w = 0, h = 0;
    dc_status jst = DC_STATUS_OK;
    if (dc_jpeg_encode_rgb(f->rgb, f->width, f->height, f->stride, DC_REPORT_THUMB_WIDTH,
                           DC_REPORT_JPEG_QUALITY, &jpeg, &size, &w, &h, &jst) != DC_OK) {
        dc_str_append(p, "<div class=\"noimg\">thumbnail failed: ");
        report_page_put_escaped(p, jst.message);
        dc_str_append(p, "</div>\n");
        if (channel) {
            dc_degrade(st, "evidence %d (%s): %s", index + 1, channel, jst.message);
        } else {
            dc_degrade(st, "evidence %d: %s", index + 1, jst.message);
        }
        return;
    }
    dc_str_append(p, "<img src=\"data:image/jpeg;base64,");
    report_page_put_base64(p, jpeg, size);
    free(jpeg);
    dc_str_appendf(p, "\" width=\"%d\" height=\"%d\" alt=\"evidence frame %d", w, h, index + 1);
    if (channel) {
        dc_str_append(p, ", ");
        report_page_put_escaped(p, channel);
    }
    dc_str_append(p, "\">\n");
}

static int role_rank(dc_video_role r) {
    return r > DC_ROLE_UNKNOWN && r < DC_ROLE_COUNT ? (int)r : DC_ROLE_COUNT;
}

/* The frames shown together for the row whose frame is frames[anchor]: the anchor first,
 * then for every other video of the record its frame at the anchor's instant (if the sample
 * has one), front before rear before interior, left, right and unknown cameras, then by file.
 * Returns how many went into members. */
static int same_instant(const dc_assessment *a, const dc_frame_set *frames, int anchor,
                        int members[DC_MAX_CLAIM_VIDEOS + 1]) {
    const dc_frame *f = &frames->frames[anchor];
    int n = 0;
    members[n++] = anchor;
    for (int v = 0; v < a->video_count && v < DC_MAX_CLAIM_VIDEOS; v++) {
        if (v == f->video) continue;
        int best = -1;
        double best_gap = INFINITY;
        for (int j = 0; j < frames->count; j++) {
            if (frames->frames[j].video != v) continue;
            double gap = fabs(frames->frames[j].t_sec - f->t_sec);
            if (gap <= SAME_INSTANT_SEC && gap < best_gap) {
                best_gap = gap;
                best = j;
            }
        }
        if (best >= 0) members[n++] = best;
    }
    /* insertion sort of the companions: at most one per video */
    for (int i = 2; i < n; i++) {
        int m = members[i], k = i;
        const dc_frame *g = &frames->frames[m];
        int rank = role_rank(a->videos[g->video].role);
        while (k > 1) {
            const dc_frame *h = &frames->frames[members[k - 1]];
            int hrank = role_rank(a->videos[h->video].role);
            if (hrank < rank || (hrank == rank && h->video < g->video)) break;
            members[k] = members[k - 1];
            k--;
        }
        members[k] = m;
    }
    return n;
}

/* "rear camera, 12.4 s (file 2, 3.1 s)"; "unknown video, 12.4 s" when the frame's video
 * index names no file of the record. */
static const char *channel_label(const dc_assessment *a, const dc_frame *f, char out[160]) {
    const dc_claim_video *v = report_video_at(a, f->video);
    double t = isfinite(f->t_sec) && f->t_sec > 0 ? fmin(f->t_sec, REPORT_MAX_TIME_SEC) : 0;
    if (!v) {
        snprintf(out, 160, "unknown video, %.1f s", t);
    } else {
        char in_file[64];
        snprintf(out, 160, "%s, %.1f s (%s)", report_label_role(v->role), t,
                 report_format_in_file(a, f->video, t - v->offset_sec, in_file));
    }
    return out;
}

/* Every channel's frame at the row's instant, side by side, each labelled. */
static void put_channels(dc_str *p, const dc_assessment *a, const dc_frame_set *frames, int anchor,
                         int index, dc_status *st) {
    int members[DC_MAX_CLAIM_VIDEOS + 1];
    int n = same_instant(a, frames, anchor, members);
    /* two or three channels take as many of the grid's columns; more take the whole row */
    dc_str_appendf(p,
                   "<figure class=\"moment%s\" data-channels=\"%d\">\n<div class=\"channels\">\n",
                   n > 3   ? " multi many"
                   : n > 1 ? " multi"
                           : "",
                   n);
    for (int k = 0; k < n; k++) {
        const dc_frame *f = &frames->frames[members[k]];
        const dc_claim_video *v = report_video_at(a, f->video);
        char label[160];
        channel_label(a, f, label);
        dc_str_appendf(p, "<div class=\"channel\" data-video=\"%d\">\n", v ? f->video : -1);
        put_thumbnail(p, f, index, v ? report_label_role(v->role) : "unknown video", st);
        dc_str_append(p, "<div class=\"ch\">");
        report_page_put_escaped(p, label);
        dc_str_append(p, "</div>\n</div>\n");
    }
    dc_str_append(p, "</div>\n");
}

void report_put_evidence_card(dc_str *p, const dc_assessment *a, const dc_report_inputs *in,
                              dc_status *st) {
    dc_str_append(p, "<section class=\"card wide\" id=\"evidence\"><h2>Evidence</h2>\n");
    if (a->evidence_count <= 0) {
        dc_str_append(p, "<p class=\"sub\">No evidence was recorded.</p></section>\n");
        return;
    }
    const dc_frame_set *frames = in ? in->frames : NULL;
    bool have_frames = frames && frames->frames && frames->count > 0;
    if (!frames || frames->count <= 0)
        dc_str_append(p, "<p class=\"sub\">The frames were not kept; evidence is listed by "
                         "time.</p>\n");
    bool several = report_several_videos(a);
    if (several && have_frames)
        dc_str_append(p, "<p class=\"sub\">Each camera's frame at the same instant, side by "
                         "side; the file numbers are those of the videos list below.</p>\n");
    dc_str_append(p, "<div class=\"frames\">\n");
    for (int i = 0; i < a->evidence_count && i < DC_MAX_EVIDENCE; i++) {
        const dc_evidence *e = &a->evidence[i];
        int fi = evidence_frame(a, e, frames);
        const dc_frame *f = frames && fi >= 0 ? &frames->frames[fi] : NULL;
        if (several && f) {
            put_channels(p, a, frames, fi, i, st);
        } else {
            dc_str_append(p, "<figure>\n");
            if (f) {
                put_thumbnail(p, f, i, NULL, st);
            } else if (frames && frames->count > 0) {
                dc_str_append(p,
                              "<div class=\"noimg\">no frame was sampled near this time</div>\n");
            } else {
                dc_str_append(p, "<div class=\"noimg\">no frame</div>\n");
            }
        }
        char t[32];
        dc_str_appendf(p, "<figcaption><span class=\"t\">%s</span>",
                       report_format_time(e->t_sec, t));
        if (f && fabs(f->t_sec - e->t_sec) >= 0.05)
            dc_str_appendf(p, "<span class=\"sub\">(frame at %s)</span> ",
                           report_format_time(f->t_sec, t));
        char in_file[64];
        if (several && report_format_in_file(a, e->video, e->video_t_sec, in_file)[0])
            dc_str_appendf(p, "<span class=\"sub\">(%s)</span> ", in_file);
        report_page_put_escaped(p, e->description);
        dc_str_append(p, "</figcaption>\n</figure>\n");
    }
    dc_str_append(p, "</div>\n</section>\n");
}
