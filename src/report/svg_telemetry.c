/* The dashcam's own data under the danger timeline: GPS speed and acceleration on the same
 * time axis (the plot spans the same x range as the timeline's, so a moment lines up in
 * both; of a claim of several videos, shifted by its video's place on the claim's timeline),
 * and the incident's position (coordinates only: no map, no tiles, nothing fetched) and UTC
 * time. Acceleration is the distance from the file's mean (gravity and the mount's
 * tilt), one point per pixel column, the column's maximum: a 5-ms crash spike is never lost
 * between columns. Every text from the file (source, device) is escaped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report_internal.h"

#define VIEW_W 1160.0
#define VIEW_H 150.0
#define PLOT_L 46.0
#define PLOT_R 1146.0
#define PLOT_T 14.0
#define PLOT_B 120.0
#define COLUMNS ((int)(PLOT_R - PLOT_L))

static double x_of(double duration, double t) {
    if (!isfinite(t) || t < 0) t = 0;
    if (t > duration) t = duration;
    return PLOT_L + (PLOT_R - PLOT_L) * t / duration;
}

static double y_of(double v, double top) {
    if (!isfinite(v) || v < 0) v = 0;
    if (v > top) v = top;
    return PLOT_B - (PLOT_B - PLOT_T) * v / top;
}

static void plot(dc_str *p, const char *cls, const char *colour, const double *col, double top) {
    dc_str_appendf(p, "<path class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" d=\"",
                   cls, colour);
    bool first = true;
    for (int c = 0; c < COLUMNS; c++) {
        if (col[c] < 0) continue;
        dc_str_appendf(p, "%s%.1f %.1f", first ? "M" : " L", PLOT_L + c + 0.5, y_of(col[c], top));
        first = false;
    }
    dc_str_append(p, "\"/>\n");
}

static int column_of(double duration, double t) {
    int c = (int)(x_of(duration, t) - PLOT_L);
    return c < 0 ? 0 : c >= COLUMNS ? COLUMNS - 1 : c;
}

/* offset: where the telemetry's t = 0 lies on the claim's timeline (its video's offset_sec), so
 * a rear or later segment's data lines up with the danger timeline above it. */
static void put_plot(dc_str *p, const dc_telemetry *t, double duration, double offset) {
    double *speed = malloc(sizeof(double) * COLUMNS), *acc = malloc(sizeof(double) * COLUMNS);
    if (!speed || !acc) {
        free(speed);
        free(acc);
        p->failed = true;
        return;
    }
    for (int c = 0; c < COLUMNS; c++) speed[c] = acc[c] = -1;
    double vmax = 0, gmax = 0, mean[3] = {0, 0, 0};
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        if (!f->valid || !(f->speed_kmh >= 0)) continue;
        int c = column_of(duration, f->t_sec + offset);
        speed[c] = fmax(speed[c], f->speed_kmh);
        vmax = fmax(vmax, f->speed_kmh);
    }
    for (int i = 0; i < t->accel_count; i++) {
        mean[0] += t->accel[i].x / (double)t->accel_count;
        mean[1] += t->accel[i].y / (double)t->accel_count;
        mean[2] += t->accel[i].z / (double)t->accel_count;
    }
    for (int i = 0; i < t->accel_count; i++) {
        const dc_accel_sample *a = &t->accel[i];
        double dx = a->x - mean[0], dy = a->y - mean[1], dz = a->z - mean[2];
        double g = sqrt(dx * dx + dy * dy + dz * dz);
        int c = column_of(duration, a->t_sec + offset);
        acc[c] = fmax(acc[c], g);
        gmax = fmax(gmax, g);
    }
    double vtop = vmax > 10 ? ceil(vmax / 10) * 10 : 10, gtop = gmax > 1 ? ceil(gmax) : 1;
    dc_str_appendf(p,
                   "<svg class=\"telemetry\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
                   "%.0f %.0f\" role=\"img\" aria-label=\"speed and acceleration\" "
                   "font-family=\"system-ui,'DejaVu Sans',sans-serif\">\n"
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafbfc\" "
                   "stroke=\"#d0d7de\"/>\n",
                   VIEW_W, VIEW_H, PLOT_L, PLOT_T, PLOT_R - PLOT_L, PLOT_B - PLOT_T);
    dc_str_appendf(p,
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#0969da\" "
                   "text-anchor=\"end\">%.0f km/h</text>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#8250df\">%.0f g</text>\n",
                   PLOT_L - 4, PLOT_T + 10, vtop, PLOT_R - 40, PLOT_T + 10, gtop);
    if (vmax > 0 || t->gps_count) plot(p, "speed", "#0969da", speed, vtop);
    if (t->accel_count) plot(p, "accel", "#8250df", acc, gtop);
    dc_str_append(p, "</svg>\n<div class=\"legend\"><i style=\"background:#0969da\"></i>GPS "
                     "speed (km/h)<i style=\"background:#8250df\"></i>acceleration away from "
                     "rest (g)</div>\n");
    free(speed);
    free(acc);
}

static void row(dc_str *p, const char *name, const char *value) {
    dc_str_appendf(p, "<tr><th>%s</th><td>", name);
    report_page_put_escaped(p, value);
    dc_str_append(p, "</td></tr>\n");
}

void report_put_telemetry(dc_str *p, const dc_assessment *a, const dc_report_inputs *in,
                          double duration) {
    const dc_telemetry_summary *s = &a->telemetry;
    if (!s->source[0]) return;
    dc_str_append(p, "<h3>Dashcam telemetry</h3>\n");
    if (in && in->telemetry && in->telemetry->source && duration > 0)
        put_plot(p, in->telemetry, duration,
                 isfinite(in->telemetry_offset_sec) ? in->telemetry_offset_sec : 0);
    char text[160], utc[32];
    dc_str_append(p, "<table class=\"facts\">\n");
    snprintf(text, sizeof text, "%s%s%s", s->source, s->variant[0] ? " / " : "", s->variant);
    row(p, "source", text);
    if (s->device[0]) row(p, "device", s->device);
    snprintf(text, sizeof text, "%d GPS fixes (%d with a fix), %d acceleration samples",
             s->fix_count, s->valid_fix_count, s->accel_count);
    row(p, "read", text);
    if (s->speed_before_kmh >= 0 || s->speed_after_kmh >= 0) {
        char b[24] = "?", af[24] = "?";
        if (s->speed_before_kmh >= 0) snprintf(b, sizeof b, "%.0f km/h", s->speed_before_kmh);
        if (s->speed_after_kmh >= 0) snprintf(af, sizeof af, "%.0f km/h", s->speed_after_kmh);
        snprintf(text, sizeof text, "%s before, %s after", b, af);
        row(p, "speed at the incident", text);
    }
    if (s->peak_g >= 0) {
        char at[32];
        snprintf(text, sizeof text, "%.2f g at %s", s->peak_g, report_format_time(s->peak_sec, at));
        row(p, "peak acceleration", text);
    }
    if (s->has_position) {
        snprintf(text, sizeof text, "%.6f, %.6f", s->lat, s->lon);
        row(p, "position (WGS84)", text);
    }
    dc_utc_format(s->utc_ms, utc);
    if (utc[0]) row(p, "time (UTC)", utc);
    dc_str_append(p, "</table>\n");
}
