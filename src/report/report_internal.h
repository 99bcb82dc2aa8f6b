/* Private to src/report/: the page buffer and the pieces the claim and index pages share. */
#ifndef DASHCLAIM_REPORT_INTERNAL_H
#define DASHCLAIM_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dashclaim/report.h"
#include "dashclaim/str.h"

/* Pages are built in a dc_str (dashclaim/str.h): after an allocation failure every later
 * append is a no-op and `failed` stays set, so page builders append freely and check once,
 * at the end of the render (report_page_finish). */

/* Appends text HTML-escaped (see dc_html_escape). NULL text appends nothing. */
void report_page_put_escaped(dc_str *p, const char *text);

/* <!doctype html> ... <body> with the shared stylesheet, and the closing tags. */
void report_page_begin(dc_str *p, const char *title);
void report_page_end(dc_str *p);

/* Appends the base64 of data[0..n) (see dc_base64_encode) without a copy of the whole text. */
void report_page_put_base64(dc_str *p, const uint8_t *data, size_t n);

/* The render functions' shared check of their output argument: DC_ERR_INPUT unless out is
 * given and empty (so a caller never gets a page glued to an earlier one). */
dc_error_class report_page_check_output(const dc_str *out, dc_status *st);

/* DC_OK, or DC_ERR_RESOURCE when an append failed (p is freed then, so the caller's *out is
 * empty as the header promises). */
dc_error_class report_page_finish(dc_str *p, dc_status *st);

/* Writes a rendered page to path with dc_file_write_atomic (a browser refreshing the index of
 * a running batch never sees half a page). Fails naming path on any I/O error. */
dc_error_class report_page_write_file(const dc_str *p, const char *path, dc_status *st);

/* The longest time a page prints or draws (about 31 years): a longer one (1e308 s in a damaged
 * record) is shown as this, so no time overflows a conversion to an integer on the way. */
#define REPORT_MAX_TIME_SEC 1e9

/* Time as m:ss.s (or h:mm:ss when an hour or longer) into out[32]; negative and non-finite
 * times as 0, times beyond REPORT_MAX_TIME_SEC as that. */
const char *report_format_time(double sec, char out[32]);

/* The SVG danger timeline of the whole video: danger curve, analysed windows shaded (one
 * <rect class="window"> each), peaks marked, evidence times ticked, time axis labelled. */
void report_put_timeline(dc_str *p, const dc_assessment *a, const dc_report_inputs *in);
/* The length the timeline spans (svg_timeline.c). */
double report_timeline_duration(const dc_assessment *a, const dc_report_inputs *in);
/* The telemetry under the timeline (svg_telemetry.c): speed and acceleration on the time axis
 * of a video of duration seconds, then the summary with position and UTC; nothing without. */
void report_put_telemetry(dc_str *p, const dc_assessment *a, const dc_report_inputs *in,
                          double duration);

/* ---- a claim of several videos (front, rear and cabin channels, loop-recorded segments) ---- */

/* A record of one video (or one written before the videos list) shows the page it always
 * has; from two videos on, the page adds the file list, the file lanes under the timeline,
 * each channel's frame beside the others' at every evidence time, and "file N" beside times. */
static inline bool report_several_videos(const dc_assessment *a) { return a->video_count > 1; }

/* The record's video idx, or NULL when idx names none (an index from a damaged record, or
 * a record without a videos list): such a row names no file rather than a wrong one. */
const dc_claim_video *report_video_at(const dc_assessment *a, int idx);

/* "file 2, 3.1 s": the 1-based file number and a time within that file, into out[64]; ""
 * when idx names no video of the record. */
const char *report_format_in_file(const dc_assessment *a, int idx, double t_in_file, char out[64]);

/* The claim's files (video_list.c): one row each with its camera, segment, start time and
 * where that time came from, place on the claim's timeline, length and error. Nothing for a
 * claim of one video. */
void report_put_videos_card(dc_str *p, const dc_assessment *a);

/* The evidence card (evidence_card.c): one figure per evidence row; a claim of several
 * videos shows each channel's frame at that instant side by side, each labelled with its
 * camera, the claim's time and the time within its file. */
void report_put_evidence_card(dc_str *p, const dc_assessment *a, const dc_report_inputs *in,
                              dc_status *st);

/* Makes a copy of a record safe to print: every string terminated, every count within its
 * array, every number finite (and probabilities, danger and the fraud score within 0..1),
 * every video role one of the enumeration's, every offset and length >= 0, and every video
 * index of a window, evidence or hazard row within the videos list (-1 = names no file). */
void report_sanitize(dc_assessment *a);

/* A bool holding a byte other than 0 or 1 (a damaged record) is undefined to read as a
 * bool; this reads its byte instead. */
static inline bool report_bool_byte(const bool *b) {
    unsigned char byte;
    memcpy(&byte, b, 1);
    return byte != 0;
}

/* A status outside the enumeration (a damaged or newer record) is treated as failed: the
 * page must never show a verdict it cannot vouch for. */
static inline bool report_claim_failed(dc_claim_status s) {
    return s != DC_CLAIM_OK && s != DC_CLAIM_DEGRADED;
}

/* CSS class and display text for the severity banner ("sev-high", ...; failed -> "failed"). */
const char *report_severity_class(dc_claim_status status, dc_severity s);

/* Words for the enumerations the page shows (claim.h spells JSON names; these are for
 * people reading the page). */
const char *report_label_tristate(dc_tristate v);
const char *report_label_action(dc_action v);
const char *report_label_position(dc_position v);
const char *report_label_signal(dc_signal v);
const char *report_label_actor(dc_actor v);
const char *report_label_road(dc_road v);
const char *report_label_weather(dc_weather v);
const char *report_label_light(dc_light v);
const char *report_label_visibility(dc_visibility v);
const char *report_label_hazard(dc_hazard_type v);
const char *report_label_scenario(dc_scenario v);
/* "front camera", "rear camera", "interior camera", "left camera", "right camera",
 * "camera" (position unknown); the short form ("front", ..., "camera") for tight places. */
const char *report_label_role(dc_video_role v);
const char *report_label_role_short(dc_video_role v);

#endif
