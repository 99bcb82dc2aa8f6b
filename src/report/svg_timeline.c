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

#include "report_internal.h"

#define VIEW_W 1160.0
#define VIEW_H 205.0
#define PLOT_L 46.0
#define PLOT_R 1146.0
#define PLOT_T 24.0
#define PLOT_B 160.0

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

/* The length the plot spans: the video's, else what the timeline, windows and evidence
 * reach. */
double report_timeline_duration(const dc_assessment *a, const dc_report_inputs *in) {
    double d = isfinite(a->video.duration_sec) ? a->video.duration_sec : 0;
    if (in && in->danger && in->danger_count > 0 && in->danger_hz > 0) {
        double td = in->danger_count / in->danger_hz;
        if (td > d) d = td;
    }
    for (int i = 0; i < a->window_count && i < DC_MAX_WINDOWS; i++)
        if (isfinite(a->windows[i].end_sec) && a->windows[i].end_sec > d) d = a->windows[i].end_sec;
    for (int i = 0; i < a->evidence_count && i < DC_MAX_EVIDENCE; i++)
        if (isfinite(a->evidence[i].t_sec) && a->evidence[i].t_sec > d) d = a->evidence[i].t_sec;
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

static void put_axes(dc_str *p, const time_scale *ts) {
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
                   "text-anchor=\"end\">video length %s</text>\n",
                   PLOT_R, VIEW_H - 6, report_format_time(ts->duration, total));
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

void report_put_timeline(dc_str *p, const dc_assessment *a, const dc_report_inputs *in) {
    bool have_danger =
        in && in->danger && in->danger_count > 0 && in->danger_hz > 0 && isfinite(in->danger_hz);
    if (!have_danger && !(a->video.duration_sec > 0) && a->window_count <= 0 &&
        a->evidence_count <= 0) {
        /* nothing to place on a time axis of unknown length (e.g. an unreadable file) */
        dc_str_append(p, "<p class=\"sub\">No danger timeline: the video's length is unknown "
                         "and nothing in it was analysed.</p>\n");
        return;
    }
    time_scale ts = {.duration = report_timeline_duration(a, in)};
    dc_str_appendf(p,
                   "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
                   "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"danger timeline\" "
                   "font-family=\"system-ui,'DejaVu Sans',sans-serif\">\n",
                   VIEW_W, VIEW_H);
    put_axes(p, &ts);
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
    dc_str_append(p, "</svg>\n");
    dc_str_append(p, "<div class=\"legend\">"
                     "<i style=\"background:#d1242f;opacity:.5\"></i>danger (0-1)"
                     "<i style=\"background:#f5a623;opacity:.5\"></i>analysed window"
                     "<i style=\"background:#7d4e00\"></i>window peak"
                     "<i style=\"background:#0969da\"></i>evidence frame</div>\n");
}
