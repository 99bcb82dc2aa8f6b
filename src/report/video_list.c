/* The files of a claim of several videos: which camera each comes from, which segment of
 * its loop recording it is, when it was recorded (and whether that time is the GPS's UTC or
 * the camera's own clock, read from the file name or the container), where it sits on the
 * claim's timeline, and why a file added nothing. A reviewer checks here that the right
 * files were put together before trusting a verdict drawn from all of them.
 *
 * Everything in a row but the numbers came from a file name or a record, so all of it is
 * escaped; the start time's source is shown in words for the values the writer uses and as
 * escaped text for any other. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dashclaim/files.h"
#include "report_internal.h"

const dc_claim_video *report_video_at(const dc_assessment *a, int idx) {
    return idx >= 0 && idx < a->video_count && idx < DC_MAX_CLAIM_VIDEOS ? &a->videos[idx] : NULL;
}

/* Seconds to one decimal, never "-0.0" and never negative: a time before its file's start
 * only comes from an inconsistent record and would read as nonsense. */
static double tenths(double sec) {
    if (!isfinite(sec) || sec < 0.05) return 0;
    return sec < REPORT_MAX_TIME_SEC ? sec : REPORT_MAX_TIME_SEC;
}

const char *report_format_in_file(const dc_assessment *a, int idx, double t_in_file, char out[64]) {
    if (!report_video_at(a, idx)) {
        out[0] = '\0';
    } else {
        snprintf(out, 64, "file %d, %.1f s", idx + 1, tenths(t_in_file));
    }
    return out;
}

static const char *start_source_words(const char *source) {
    if (strcmp(source, "telemetry") == 0) return "UTC, from the dashcam's GPS";
    if (strcmp(source, "file-name") == 0) return "camera clock, from the file name";
    if (strcmp(source, "container") == 0) return "camera clock, from the container";
    return NULL;
}

static void put_start_cell(dc_str *p, const dc_claim_video *v) {
    dc_str_append(p, "<td>");
    if (!v->start_time[0]) {
        dc_str_append(p, "unknown");
    } else {
        report_page_put_escaped(p, v->start_time);
        const char *words = start_source_words(v->start_source);
        if (words) {
            dc_str_appendf(p, "<div class=\"sub\">%s</div>", words);
        } else if (v->start_source[0]) {
            dc_str_append(p, "<div class=\"sub\">from ");
            report_page_put_escaped(p, v->start_source);
            dc_str_append(p, "</div>");
        } else {
            dc_str_append(p, "<div class=\"sub\">source not recorded</div>");
        }
    }
    dc_str_append(p, "</td>");
}

/* The file name in bold, its directory and SHA-256 in small print under it. */
static void put_file_cell(dc_str *p, const dc_claim_video *v) {
    const char *name = dc_path_base(v->path);
    if (!*name) name = v->path;
    dc_str_append(p, "<td class=\"video\"><b>");
    report_page_put_escaped(p, *name ? name : "(no file name)");
    dc_str_append(p, "</b>");
    if (name != v->path) {
        char dir[sizeof v->path];
        snprintf(dir, sizeof dir, "%.*s", (int)(name - v->path), v->path);
        dc_str_append(p, "<div class=\"sub\">");
        report_page_put_escaped(p, dir);
        dc_str_append(p, "</div>");
    }
    if (v->sha256[0]) {
        dc_str_append(p, "<div class=\"sub mono\">sha256 ");
        report_page_put_escaped(p, v->sha256);
        dc_str_append(p, "</div>");
    }
    dc_str_append(p, "</td>");
}

void report_put_videos_card(dc_str *p, const dc_assessment *a) {
    if (!report_several_videos(a)) return;
    bool seen[DC_ROLE_COUNT] = {false};
    int cameras = 0, unused = 0;
    for (int i = 0; i < a->video_count; i++) {
        dc_video_role r = a->videos[i].role;
        if (r < 0 || r >= DC_ROLE_COUNT) r = DC_ROLE_UNKNOWN; /* report_sanitize did; be sure */
        if (!seen[r]) cameras++;
        seen[r] = true;
        if (a->videos[i].error[0]) unused++;
    }
    dc_str_appendf(p,
                   "<section class=\"card wide\" id=\"videos\"><h2>Videos of this claim</h2>\n"
                   "<p class=\"sub\">%d files from %d camera%s (",
                   a->video_count, cameras, cameras == 1 ? "" : "s");
    bool first = true;
    for (int r = DC_ROLE_FRONT; r <= DC_ROLE_COUNT; r++) {
        dc_video_role role = r == DC_ROLE_COUNT ? DC_ROLE_UNKNOWN : (dc_video_role)r;
        if (!seen[role]) continue;
        dc_str_appendf(p, "%s%s", first ? "" : ", ", report_label_role_short(role));
        first = false;
    }
    dc_str_append(p, "). Every time on this page is on the claim's timeline, which starts at "
                     "0 at the earliest file's first frame");
    if (unused)
        dc_str_appendf(p, "; %d file%s added nothing (see status)", unused, unused == 1 ? "" : "s");
    dc_str_append(p, ".</p>\n<table class=\"list\"><tr><th>#</th><th>file</th><th>camera</th>"
                     "<th>segment</th><th>recorded from</th><th>on the timeline</th>"
                     "<th class=\"num\">length</th><th>status</th></tr>\n");
    for (int i = 0; i < a->video_count; i++) {
        const dc_claim_video *v = &a->videos[i];
        dc_str_appendf(p, "<tr class=\"video-row\" data-video=\"%d\"><td>%d</td>", i, i + 1);
        put_file_cell(p, v);
        dc_str_appendf(p, "<td>%s</td>", report_label_role_short(v->role));
        if (v->segment >= 0) {
            dc_str_appendf(p, "<td>%d</td>", v->segment);
        } else {
            dc_str_append(p, "<td>-</td>");
        }
        put_start_cell(p, v);
        char t0[32], t1[32];
        dc_str_appendf(p, "<td>%s &ndash; %s</td><td class=\"num\">%.1f s</td><td>",
                       report_format_time(v->offset_sec, t0),
                       report_format_time(v->offset_sec + v->duration_sec, t1), v->duration_sec);
        if (v->error[0]) {
            dc_str_append(p, "<span class=\"video-error\">not used: ");
            report_page_put_escaped(p, v->error);
            dc_str_append(p, "</span>");
        } else {
            dc_str_append(p, "used");
        }
        dc_str_append(p, "</td></tr>\n");
    }
    dc_str_append(p, "</table>\n</section>\n");
}
