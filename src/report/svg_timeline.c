/* The danger timeline: where in the whole video mining saw danger, which windows the
 * engine analysed, and where the evidence frames are. A reviewer sees at a glance whether
 * the verdict rests on the loudest moment of the video or on something else.
 *
 * Inline SVG in a fixed coordinate system (scaled by CSS to the card width). A long video
 * has more danger samples than the plot has pixels; each pixel column then shows the
 * maximum of its samples, so a short spike never disappears between columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/files.h"
#include "report_internal.h"

#define VIEW_W 1160.0
#define VIEW_H 205.0
#define PLOT_L 46.0
#define PLOT_R 1146.0
#define PLOT_T 24.0
#define PLOT_B 160.0
/* A claim of several videos: one lane per camera under the time axis, each file a bar from
 * its start to its end on the claim's timeline. */
#define LANE_T (PLOT_B + 30)
#define LANE_STEP 20.0
#define LANE_H 15.0
/* File ends and starts closer than this are one boundary (consecutive segments). */
#define SAME_BOUNDARY_SEC 0.05

typedef struct {
    double duration;
} time_scale;

static double x_of(const time_scale *ts, double t) {
    if (!isfinite(t) || t < 0) t = 0;
    if (t > ts->duration) t = ts->duration;
    return PLOT_L + (PLOT_R - PLOT_L) * t / ts->duration;
}

static double y_of(double danger) {
    if (!isfinite(danger) || danger < 0) danger = 0;
    if (danger > 1) danger = 1;
    return PLOT_B - (PLOT_B - PLOT_T) * danger;
}

/* The length the plot spans: the video's, else what the timeline, files, windows and evidence
 * reach. */
double report_timeline_duration(const dc_assessment *a, const dc_report_inputs *in) {
    double d = isfinite(a->video.duration_sec) ? a->video.duration_sec : 0;
    for (int i = 0; i < a->video_count && i < DC_MAX_CLAIM_VIDEOS; i++) {
        double end = a->videos[i].offset_sec + a->videos[i].duration_sec;
        if (isfinite(end) && end > d) d = end;
    }
    if (in && in->danger && in->danger_count > 0 && in->danger_hz > 0) {
        double td = in->danger_count / in->danger_hz;
        if (td > d) d = td;
    }
    for (int i = 0; i < a->window_count && i < DC_MAX_WINDOWS; i++)
        if (isfinite(a->windows[i].end_sec) && a->windows[i].end_sec > d) d = a->windows[i].end_sec;
    for (int i = 0; i < a->evidence_count && i < DC_MAX_EVIDENCE; i++)
        if (isfinite(a->evidence[i].t_sec) && a->evidence[i].t_sec > d) d = a->evidence[i].t_sec;
    if (d > REPORT_MAX_TIME_SEC) d = REPORT_MAX_TIME_SEC; /* a damaged record's 1e308 s */
    return d > 0 ? d : 1.0;
}

/* A step from 1-2-5 multiples (and minutes) giving at most ~12 labelled ticks. */
static double axis_step(double duration) {
    static const double steps[] = {0.1, 0.2, 0.5, 1,   2,    5,    10,   15,    30,   60,
                                   120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (duration / steps[i] <= 12) return steps[i];
    return ceil(duration / 12 / 3600) * 3600;
}

static void format_axis_time(double t, double step, char out[32]) {
    long s = (long)floor(t + 1e-6);
    if (step < 1) {
        snprintf(out, 32, "%.1fs", t);
    } else if (t >= 3600) {
        snprintf(out, 32, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    } else {
        snprintf(out, 32, "%ld:%02ld", s / 60, s % 60);
    }
}

/* bottom: the SVG's height; the length label sits at its foot. */
static void put_axes(dc_str *p, const time_scale *ts, double bottom, bool several) {
    dc_str_appendf(p,
                   "<rect class=\"plot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                   "height=\"%.1f\" fill=\"#fafbfc\" stroke=\"#d0d7de\"/>\n",
                   PLOT_L, PLOT_T, PLOT_R - PLOT_L, PLOT_B - PLOT_T);
    for (int i = 1; i <= 3; i++) {
        double y = y_of(i * 0.25);
        dc_str_appendf(p,
                       "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#eaeef2\"/>\n",
                       PLOT_L, PLOT_R, y, y);
    }
    for (int i = 0; i <= 2; i++) {
        dc_str_appendf(p,
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#57606a\" "
                       "text-anchor=\"end\">%s</text>\n",
                       PLOT_L - 6, y_of(i * 0.5) + 4,
                       i == 0   ? "0"
                       : i == 1 ? "0.5"
                                : "1");
    }
    double step = axis_step(ts->duration);
    for (int k = 0;; k++) {
        double t = k * step;
        if (t > ts->duration + 1e-9) break;
        double x = x_of(ts, t);
        char label[32];
        format_axis_time(t, step, label);
        dc_str_appendf(p,
                       "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#8c959f\"/>\n",
                       x, x, PLOT_B, PLOT_B + 5);
        dc_str_appendf(p,
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#57606a\" "
                       "text-anchor=\"middle\">%s</text>\n",
                       x, PLOT_B + 18, label);
    }
    char total[32];
    dc_str_appendf(p,
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#57606a\" "
                   "text-anchor=\"end\">%s length %s</text>\n",
                   PLOT_R, bottom - 6, several ? "claim" : "video",
                   report_format_time(ts->duration, total));
    dc_str_appendf(p,
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#57606a\">"
                   "danger</text>\n",
                   4.0, PLOT_T - 8);
}

static void put_windows(dc_str *p, const time_scale *ts, const dc_assessment *a) {
    for (int i = 0; i < a->window_count && i < DC_MAX_WINDOWS; i++) {
        const dc_window *w = &a->windows[i];
        double x0 = x_of(ts, w->start_sec), x1 = x_of(ts, w->end_sec);
        if (x1 < x0 + 2) x1 = x0 + 2; /* a very short window stays visible */
        char s0[32], s1[32];
        dc_str_appendf(p,
                       "<rect class=\"window\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\" fill=\"#f5a623\" fill-opacity=\"0.25\" "
                       "stroke=\"#d4860b\" stroke-opacity=\"0.6\"><title>window %d: %s-%s, "
                       "danger %.2f</title></rect>\n",
                       x0, PLOT_T, x1 - x0, PLOT_B - PLOT_T, i + 1,
                       report_format_time(w->start_sec, s0), report_format_time(w->end_sec, s1),
                       w->danger);
        dc_str_appendf(p,
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#9a6700\" "
                       "text-anchor=\"middle\">W%d</text>\n",
                       (x0 + x1) / 2, PLOT_T - 8, i + 1);
    }
}

/* Danger as a filled area, one point per pixel column (the column's maximum). */
static void put_danger_curve(dc_str *p, const time_scale *ts, const dc_report_inputs *in) {
    int columns = (int)(PLOT_R - PLOT_L);
    double *col = malloc(sizeof *col * (size_t)columns);
    if (!col) {
        p->failed = true;
        return;
    }
    for (int c = 0; c < columns; c++) col[c] = -1;
    for (int i = 0; i < in->danger_count; i++) {
        double t = i / in->danger_hz;
        int c = (int)((x_of(ts, t) - PLOT_L));
        if (c >= columns) c = columns - 1;
        double v = in->danger[i];
        if (!isfinite(v)) continue;
        if (v > col[c]) col[c] = v;
    }
    double last_x = x_of(ts, (in->danger_count - 1) / in->danger_hz);
    dc_str_appendf(p,
                   "<path class=\"danger\" fill=\"#d1242f\" fill-opacity=\"0.14\" "
                   "stroke=\"#d1242f\" stroke-width=\"1.5\" stroke-linejoin=\"round\" d=\"M%.1f "
                   "%.1f",
                   PLOT_L, PLOT_B);
    for (int c = 0; c < columns; c++) {
        if (col[c] < 0) continue; /* no sample in this column (timeline coarser than pixels) */
        double x = PLOT_L + c + 0.5;
        if (x > last_x) x = last_x;
        dc_str_appendf(p, " L%.1f %.1f", x, y_of(col[c]));
    }
    dc_str_appendf(p, " L%.1f %.1f Z\"/>\n", last_x, PLOT_B);
    free(col);
}

static void put_peaks(dc_str *p, const time_scale *ts, const dc_assessment *a) {
    for (int i = 0; i < a->window_count && i < DC_MAX_WINDOWS; i++) {
        const dc_window *w = &a->windows[i];
        double x = x_of(ts, w->peak_sec), y = y_of(w->danger);
        char t[32];
        dc_str_appendf(p,
                       "<g class=\"peak\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                       "y2=\"%.1f\" stroke=\"#7d4e00\" stroke-dasharray=\"3 3\"/>"
                       "<path d=\"M%.1f %.1f l-5 -8 h10 Z\" fill=\"#7d4e00\"/>"
                       "<title>window %d peak at %s, danger %.2f</title></g>\n",
                       x, x, y, PLOT_B, x, y - 1, i + 1, report_format_time(w->peak_sec, t),
                       w->danger);
    }
}

static void put_evidence_ticks(dc_str *p, const time_scale *ts, const dc_assessment *a) {
    for (int i = 0; i < a->evidence_count && i < DC_MAX_EVIDENCE; i++) {
        double x = x_of(ts, a->evidence[i].t_sec);
        char t[32];
        dc_str_appendf(p,
                       "<g class=\"evidence\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                       "y2=\"%.1f\" stroke=\"#0969da\" stroke-width=\"2\"/>"
                       "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#0969da\"/>"
                       "<title>evidence %d at %s</title></g>\n",
                       x, x, PLOT_B - 10, PLOT_B, x, PLOT_B - 10, i + 1,
                       report_format_time(a->evidence[i].t_sec, t));
    }
}

/* ---- a claim of several videos: its files under the time axis ---------------------------- */

typedef struct {
    int count;
    int of_role[DC_ROLE_COUNT]; /* lane of each camera; -1 = no file of it */
    dc_video_role role[DC_ROLE_COUNT];
} lanes;

static dc_video_role role_of(const dc_claim_video *v) {
    return v->role >= 0 && v->role < DC_ROLE_COUNT ? v->role : DC_ROLE_UNKNOWN;
}

/* One lane per camera that has a file, front first and cameras of unknown position last. */
static void make_lanes(const dc_assessment *a, lanes *l) {
    static const dc_video_role order[DC_ROLE_COUNT] = {DC_ROLE_FRONT,    DC_ROLE_REAR,
                                                       DC_ROLE_INTERIOR, DC_ROLE_LEFT,
                                                       DC_ROLE_RIGHT,    DC_ROLE_UNKNOWN};
    bool seen[DC_ROLE_COUNT] = {false};
    for (int i = 0; i < a->video_count && i < DC_MAX_CLAIM_VIDEOS; i++)
        seen[role_of(&a->videos[i])] = true;
    l->count = 0;
    for (int k = 0; k < DC_ROLE_COUNT; k++) {
        l->of_role[order[k]] = -1;
        if (seen[order[k]]) {
            l->of_role[order[k]] = l->count;
            l->role[l->count++] = order[k];
        }
    }
}

/* text cut to at most max_chars characters (UTF-8 sequences kept whole), "..." marking a cut;
 * whatever it holds is escaped when it is put on the page. */
static void fit_text(const char *text, int max_chars, char *out, size_t cap) {
    size_t n = 0;
    int chars = 0;
    size_t len = strlen(text);
    int total = 0;
    for (size_t i = 0; i < len; i++) total += ((unsigned char)text[i] & 0xC0) != 0x80;
    if (total <= max_chars) {
        snprintf(out, cap, "%s", text);
        return;
    }
    int keep = max_chars > 3 ? max_chars - 3 : 0;
    for (; n < len; n++) {
        bool starts = ((unsigned char)text[n] & 0xC0) != 0x80;
        if (starts && chars == keep) break;
        chars += starts;
    }
    snprintf(out, cap, "%.*s...", (int)n, text);
}

static void put_file_lanes(dc_str *p, const time_scale *ts, const dc_assessment *a,
                           const lanes *l) {
    for (int k = 0; k < l->count; k++) {
        double y = LANE_T + k * LANE_STEP;
        dc_str_appendf(p,
                       "<g class=\"lane\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\" fill=\"#f6f8fa\"/><text x=\"%.1f\" y=\"%.1f\" "
                       "font-size=\"10\" fill=\"#57606a\" text-anchor=\"end\">%s</text></g>\n",
                       PLOT_L, y, PLOT_R - PLOT_L, LANE_H, PLOT_L - 4, y + 11,
                       report_label_role_short(l->role[k]));
    }
    for (int i = 0; i < a->video_count && i < DC_MAX_CLAIM_VIDEOS; i++) {
        const dc_claim_video *v = &a->videos[i];
        double y = LANE_T + l->of_role[role_of(v)] * LANE_STEP;
        double x0 = x_of(ts, v->offset_sec), x1 = x_of(ts, v->offset_sec + v->duration_sec);
        if (x1 < x0 + 2) x1 = x0 + 2; /* a file of unknown or tiny length stays visible */
        bool unused = v->error[0] != '\0';
        char t0[32], t1[32];
        dc_str_appendf(p,
                       "<g class=\"file\" data-video=\"%d\"><rect x=\"%.1f\" y=\"%.1f\" "
                       "width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"%s\"/><title>file %d: ",
                       i, x0, y, x1 - x0, LANE_H, unused ? "#eaeef2" : "#ddf4ff",
                       unused ? "#a40e26" : "#54aeff", i + 1);
        report_page_put_escaped(p, v->path);
        dc_str_appendf(p, "; %s", report_label_role(v->role));
        if (v->segment >= 0) dc_str_appendf(p, ", segment %d", v->segment);
        dc_str_appendf(p, "; %s - %s", report_format_time(v->offset_sec, t0),
                       report_format_time(v->offset_sec + v->duration_sec, t1));
        if (unused) {
            dc_str_append(p, "; not used: ");
            report_page_put_escaped(p, v->error);
        }
        dc_str_append(p, "</title>");
        /* the file's number, and as much of its name as fits (about 6 px a character) */
        int room = (int)((x1 - x0 - 6) / 6.0);
        if (room >= 2) {
            char number[16], name[256];
            int used = snprintf(number, sizeof number, "%d", i + 1);
            name[0] = '\0';
            if (room - used - 1 >= 6)
                fit_text(dc_path_base(v->path), room - used - 1, name, sizeof name);
            dc_str_appendf(p, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">%s%s",
                           x0 + 3, y + 11, unused ? "#a40e26" : "#0550ae", number,
                           name[0] ? " " : "");
            report_page_put_escaped(p, name);
            dc_str_append(p, "</text>");
        }
        dc_str_append(p, "</g>\n");
    }
}

static int compare_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* A dashed line across the plot and the lanes wherever a file starts or ends inside the
 * claim (its start and end are the plot's edges), saying which files end and start there. */
static void put_file_boundaries(dc_str *p, const time_scale *ts, const dc_assessment *a,
                                double bottom) {
    double at[2 * DC_MAX_CLAIM_VIDEOS];
    int n = 0;
    for (int i = 0; i < a->video_count && i < DC_MAX_CLAIM_VIDEOS; i++) {
        at[n++] = a->videos[i].offset_sec;
        at[n++] = a->videos[i].offset_sec + a->videos[i].duration_sec;
    }
    qsort(at, (size_t)n, sizeof at[0], compare_double);
    double last = -INFINITY;
    for (int k = 0; k < n; k++) {
        double t = at[k];
        if (!isfinite(t) || t - last <= SAME_BOUNDARY_SEC) continue;
        last = t;
        if (t <= SAME_BOUNDARY_SEC || t >= ts->duration - SAME_BOUNDARY_SEC) continue;
        double x = x_of(ts, t);
        char when[32];
        dc_str_appendf(p,
                       "<g class=\"file-boundary\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                       "y2=\"%.1f\" stroke=\"#57606a\" stroke-dasharray=\"4 3\"/><title>at %s:",
                       x, x, PLOT_T, bottom, report_format_time(t, when));
        const char *sep = " ";
        for (int i = 0; i < a->video_count && i < DC_MAX_CLAIM_VIDEOS; i++) {
            const dc_claim_video *v = &a->videos[i];
            if (fabs(v->offset_sec + v->duration_sec - t) <= SAME_BOUNDARY_SEC) {
                dc_str_appendf(p, "%sfile %d ends", sep, i + 1);
                sep = ", ";
            }
        }
        for (int i = 0; i < a->video_count && i < DC_MAX_CLAIM_VIDEOS; i++) {
            if (fabs(a->videos[i].offset_sec - t) <= SAME_BOUNDARY_SEC) {
                dc_str_appendf(p, "%sfile %d starts", sep, i + 1);
                sep = ", ";
            }
        }
        dc_str_append(p, "</title></g>\n");
    }
}

void report_put_timeline(dc_str *p, const dc_assessment *a, const dc_report_inputs *in) {
    bool have_danger =
        in && in->danger && in->danger_count > 0 && in->danger_hz > 0 && isfinite(in->danger_hz);
    bool several = report_several_videos(a);
    if (!have_danger && !(a->video.duration_sec > 0) && a->window_count <= 0 &&
        a->evidence_count <= 0 && !several) {
        /* nothing to place on a time axis of unknown length (e.g. an unreadable file) */
        dc_str_append(p, "<p class=\"sub\">No danger timeline: the video's length is unknown "
                         "and nothing in it was analysed.</p>\n");
        return;
    }
    time_scale ts = {.duration = report_timeline_duration(a, in)};
    lanes l = {0};
    if (several) make_lanes(a, &l);
    double height = several ? LANE_T + l.count * LANE_STEP + 16 : VIEW_H;
    dc_str_appendf(p,
                   "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
                   "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"danger timeline\" "
                   "font-family=\"system-ui,'DejaVu Sans',sans-serif\">\n",
                   VIEW_W, height);
    put_axes(p, &ts, height, several);
    if (several) put_file_lanes(p, &ts, a, &l);
    put_windows(p, &ts, a);
    if (have_danger) {
        put_danger_curve(p, &ts, in);
    } else {
        dc_str_appendf(p,
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" fill=\"#8c959f\" "
                       "text-anchor=\"middle\">no danger timeline was recorded for this "
                       "video</text>\n",
                       (PLOT_L + PLOT_R) / 2, (PLOT_T + PLOT_B) / 2);
    }
    put_peaks(p, &ts, a);
    put_evidence_ticks(p, &ts, a);
    if (several) put_file_boundaries(p, &ts, a, LANE_T + l.count * LANE_STEP);
    dc_str_append(p, "</svg>\n");
    dc_str_append(p, "<div class=\"legend\">"
                     "<i style=\"background:#d1242f;opacity:.5\"></i>danger (0-1)"
                     "<i style=\"background:#f5a623;opacity:.5\"></i>analysed window"
                     "<i style=\"background:#7d4e00\"></i>window peak"
                     "<i style=\"background:#0969da\"></i>evidence frame");
    if (several)
        dc_str_append(p, "<i style=\"background:#ddf4ff;border:1px solid #54aeff\"></i>file "
                         "(one lane per camera)<i style=\"background:#57606a\"></i>file "
                         "boundary");
    dc_str_append(p, "</div>\n");
}
