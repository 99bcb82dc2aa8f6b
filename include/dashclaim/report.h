/* HTML reports: one self-contained page per claim, and an index page for a batch.
 *
 * A claim page needs nothing but itself: CSS is inline, evidence frames are JPEG thumbnails
 * embedded as data: URIs, the danger timeline is inline SVG, and there is no script. It can
 * be mailed, archived next to the JSON record, or opened from a file share years later.
 *
 * Every string that came from a model, a user or a file name is HTML-escaped (and invalid
 * UTF-8 replaced) before it reaches the page: a model that writes `<script>` shows the text
 * `<script>`, it does not run it.
 *
 * A page is rendered into memory (dc_report_render_*: the service stores it as it is) and the
 * file writers are thin wrappers that put the rendered page on disk: written to a temporary name
 * in the target's directory and renamed into place, so a reader never sees half a page and a
 * crash leaves the previous page intact.
 */
#ifndef DASHCLAIM_REPORT_H
#define DASHCLAIM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/claim.h"
#include "dashclaim/frame.h"
#include "dashclaim/status.h"
#include "dashclaim/str.h"
#include "dashclaim/telemetry.h"

/* Thumbnail width used for evidence frames on a claim page (height keeps the aspect). */
#define DC_REPORT_THUMB_WIDTH 320
#define DC_REPORT_JPEG_QUALITY 80

/* What a claim page shows besides the assessment itself. Every member may be NULL / 0:
 * without frames the evidence is listed by timestamp only; without a danger timeline the
 * SVG shows the analysed windows on the time axis alone.
 *
 * A claim of several videos (the record's video_count > 1: front, rear and cabin channels,
 * loop-recorded segments) is drawn on the claim's timeline: danger and every frame's t_sec
 * are on it, and each frame's .video names its file in the record's videos. For each
 * evidence row the page shows the frame evidence[i].frame names beside the frame of every
 * other video at the same instant (the nearest within 0.1 s: a frame interval at 10 fps), each labelled with its camera, the claim's
 * time and the time within its file; the timeline marks where each file starts and ends, one
 * lane per camera; a table lists the files (name, camera, segment, start time and its source,
 * place on the timeline, length, error). A claim of one video looks as it always has. */
typedef struct {
    const float *danger; /* danger of the whole claim, 0..1, sampled at danger_hz from t=0 */
    int danger_count;
    double danger_hz;
    const dc_frame_set *frames;    /* the engine's sample; evidence[i].frame indexes it */
    const dc_telemetry *telemetry; /* the video's telemetry, plotted under the timeline */
    /* Where t = 0 of the telemetry's clock lies on the claim's timeline: the offset_sec of
     * the video it was read from. 0 for a claim of one video, or when its times are already
     * on the claim's timeline. */
    double telemetry_offset_sec;
} dc_report_inputs;

/* Renders the claim page for *a into *out. in may be NULL. *out must be empty (zeroed, reset
 * or freed); the caller owns it and frees it with dc_str_free, on failure too (it is empty
 * then). On success out->data holds the whole page (UTF-8, NUL-terminated) and out->len its
 * length in bytes. DC_ERR_INPUT when a or out is missing or *out is not empty,
 * DC_ERR_RESOURCE when out of memory. A frame that cannot be made into a thumbnail does not
 * stop the page: it shows why in the frame's place, and st->degraded is set with the same
 * message. Thread-safe for distinct *out. */
dc_error_class dc_report_render_claim_html(const dc_assessment *a, const dc_report_inputs *in,
                                           dc_str *out, dc_status *st);

/* Renders the claim page (as dc_report_render_claim_html) and writes it to path. DC_ERR_INPUT
 * when a or path is missing, DC_ERR_RESOURCE when the page cannot be rendered or the file
 * cannot be written (the message names the path); st->degraded as for the render. */
dc_error_class dc_report_write_claim_html(const char *path, const dc_assessment *a,
                                          const dc_report_inputs *in, dc_status *st);

/* One row of a batch index page. A plain value (no pointers) so a batch can keep one per
 * video without keeping the assessments. */
typedef struct {
    char video[1024]; /* the video's path or name as the user gave it (of a claim of several
                         videos, the first: the front camera's) */
    int video_count;  /* the claim's files; shown from 2 on ("claim of 4 files") */
    char href[1024];  /* the claim page's file path relative to the index page (not a URL:
                         it is percent-encoded when written); "" = no page */
    dc_claim_status status;
    dc_error_class error_class; /* DC_OK unless failed */
    char error_message[512];
    dc_severity severity; /* UNSET when failed */
    dc_review_priority review_priority;
    dc_recommended_action recommended_action;
    double fraud_score;
    bool fault_has_ratio;
    int fault_ratio;
} dc_report_index_entry;

/* Fills *e from an assessment; href may be NULL (no link). */
void dc_report_index_entry_from_assessment(dc_report_index_entry *e, const dc_assessment *a,
                                           const char *href);

/* Renders a batch index page listing entries[0..n) (n may be 0) with a count per status and
 * severity into *out; *out as for dc_report_render_claim_html. DC_ERR_INPUT when n < 0, or
 * entries is NULL with n > 0, or out is missing or not empty; DC_ERR_RESOURCE when out of
 * memory. */
dc_error_class dc_report_render_index_html(const dc_report_index_entry *entries, int n, dc_str *out,
                                           dc_status *st);

/* Renders the index page and writes it to path. Failure classes as for
 * dc_report_write_claim_html. */
dc_error_class dc_report_write_index_html(const char *path, const dc_report_index_entry *entries,
                                          int n, dc_status *st);

/* A file name for the claim page of a video: the video's base name with every character
 * outside [A-Za-z0-9._-] replaced by '_', plus ".html" (e.g. "/data/crash 1.mp4" ->
 * "crash_1.mp4.html"). Writes at most out_size bytes (always terminated); returns out. */
char *dc_report_page_name(const char *video_path, char *out, size_t out_size);

/* ---- building blocks (public for tests and other writers, e.g. the review web page) ---- */

/* text as HTML-safe UTF-8: & < > " ' become entities, invalid UTF-8 sequences and control
 * characters other than tab and newline become U+FFFD. NULL text -> "". Caller frees; NULL
 * only when out of memory. */
char *dc_html_escape(const char *text);

/* Standard base64 (RFC 4648, with '=' padding) of data[0..n), by OpenSSL's EVP_EncodeBlock.
 * Caller frees; NULL only when out of memory. */
char *dc_base64_encode(const uint8_t *data, size_t n);

/* JPEG of an RGB24 image (rows of stride bytes), first shrunk by area averaging to at most
 * max_width pixels wide (0 = keep the size; never enlarged), at quality 1..100. *out gets a
 * malloc'd buffer the caller frees, *out_size its length; *out_width and *out_height (may be
 * NULL) the encoded size. DC_ERR_INPUT for a bad image, DC_ERR_RESOURCE when out of memory,
 * DC_ERR_INTERNAL when libjpeg-turbo fails (its message is included). */
dc_error_class dc_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int stride,
                                  int max_width, int quality, uint8_t **out, size_t *out_size,
                                  int *out_width, int *out_height, dc_status *st);

#endif
