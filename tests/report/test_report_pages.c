/* Claim and index pages written to real files and read back: the verdict, escaped hostile
 * text, embedded thumbnails that decode to the right frames, the timeline's windows, a
 * failed claim without a severity, the batch index, writing where it cannot, and the
 * rendered buffer being the file's bytes. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "dashclaim/claim.h"
#include "dashclaim/report.h"
#include "report_test_util.h"

#define HOSTILE "<script>alert(1)</script> \"quoted\" & 'single' \xFF\xFE end"
#define HOSTILE_ESCAPED                                                                            \
    "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39; "             \
    "\xEF\xBF\xBD\xEF\xBF\xBD end"

/* a file name cannot hold '/', so the index's hostile name has none */
#define INDEX_HOSTILE "<img src=x onerror=alert(1)> \"q\" & 'x' \xFF"
#define INDEX_HOSTILE_ESCAPED                                                                      \
    "&lt;img src=x onerror=alert(1)&gt; &quot;q&quot; &amp; &#39;x&#39; \xEF\xBF\xBD"

#define FRAME_W 640
#define FRAME_H 360
#define FRAME_COUNT 4

/* Frame i is one flat colour with red = 40 + 60 * i, so a decoded thumbnail tells which
 * frame it came from. */
static void make_frames(dc_frame_set *set) {
    set->frames = calloc(FRAME_COUNT, sizeof *set->frames);
    assert_non_null(set->frames);
    set->count = set->requested = FRAME_COUNT;
    for (int i = 0; i < FRAME_COUNT; i++) {
        dc_frame *f = &set->frames[i];
        f->width = FRAME_W;
        f->height = FRAME_H;
        f->stride = FRAME_W * 3;
        f->t_sec = 10.0 + i;
        f->rgb = malloc((size_t)f->stride * FRAME_H);
        assert_non_null(f->rgb);
        for (size_t p = 0; p < (size_t)FRAME_W * FRAME_H; p++) {
            f->rgb[p * 3 + 0] = (uint8_t)(40 + 60 * i);
            f->rgb[p * 3 + 1] = 90;
            f->rgb[p * 3 + 2] = 160;
        }
    }
}

/* A collision claim as the engine and dc_claim_decide would leave it. */
static void make_collision(dc_assessment *a) {
    dc_assessment_init(a);
    snprintf(a->claim_id, sizeof a->claim_id, "claim-<b>42</b>");
    snprintf(a->video.path, sizeof a->video.path, "/videos/crash <i>1.mp4");
    a->video.duration_sec = 30.0;
    a->video.width = FRAME_W;
    a->video.height = FRAME_H;
    a->video.fps = 30;
    snprintf(a->engine.name, sizeof a->engine.name, "vlm");
    snprintf(a->engine.model, sizeof a->engine.model, "qwen2.5-vl-3b-q4.gguf");
    snprintf(a->engine.device, sizeof a->engine.device, "cpu");
    snprintf(a->engine.prompt_version, sizeof a->engine.prompt_version, DC_PROMPT_VERSION);
    a->window_count = 2;
    a->windows[0] = (dc_window){
        .start_sec = 9, .end_sec = 14, .peak_sec = 11.5, .danger = 0.9, .signal_count = 1};
    snprintf(a->windows[0].signals[0], sizeof a->windows[0].signals[0], "audio_impact");
    a->windows[1] = (dc_window){.start_sec = 22, .end_sec = 25, .peak_sec = 23, .danger = 0.4};
    a->severity = DC_SEVERITY_HIGH;
    a->severity_probs[DC_SEVERITY_NONE] = 0.02;
    a->severity_probs[DC_SEVERITY_LOW] = 0.03;
    a->severity_probs[DC_SEVERITY_MEDIUM] = 0.25;
    a->severity_probs[DC_SEVERITY_HIGH] = 0.70;
    a->prediction_set = 1u << DC_SEVERITY_HIGH | 1u << DC_SEVERITY_MEDIUM;
    a->calibrated = true;
    a->scenario = DC_SCENARIO_REAR_END;
    a->facts.contact = DC_TRI_YES;
    a->facts.other_action = DC_ACTION_BRAKING_HARD;
    a->facts.speed_kmh = 48;
    a->evidence_count = 3;
    a->evidence[0] = (dc_evidence){.t_sec = 10.0, .frame = 0};
    snprintf(a->evidence[0].description, sizeof a->evidence[0].description, "%s", HOSTILE);
    a->evidence[1] = (dc_evidence){.t_sec = 12.0, .frame = 2};
    snprintf(a->evidence[1].description, sizeof a->evidence[1].description, "impact");
    /* no frame index: the frame nearest 11.2 s (frame 1, at 11 s) is shown */
    a->evidence[2] = (dc_evidence){.t_sec = 11.2, .frame = -1};
    snprintf(a->evidence[2].description, sizeof a->evidence[2].description, "brake lights");
    snprintf(a->reasoning, sizeof a->reasoning, "%s", HOSTILE);
    a->fault_has_ratio = true;
    a->fault_ratio = 100;
    a->fault_rule_count = 1;
    snprintf(a->fault_rules[0].id, sizeof a->fault_rules[0].id, "F-REAR-END");
    snprintf(a->fault_rules[0].reason, sizeof a->fault_rules[0].reason,
             "the ego vehicle hit the vehicle ahead");
    a->fraud_score = 0.3;
    a->fraud_indicator_count = 1;
    snprintf(a->fraud_indicators[0].id, sizeof a->fraud_indicators[0].id, "X-SUDDEN-BRAKE");
    a->fraud_indicators[0].weight = 0.3;
    snprintf(a->fraud_indicators[0].reason, sizeof a->fraud_indicators[0].reason,
             "braked hard with no visible reason");
    a->review_priority = DC_PRIORITY_URGENT;
    a->recommended_action = DC_RECOMMEND_REVIEW;
    snprintf(a->review_rule, sizeof a->review_rule, "R-HIGH");
    a->timings_ms = (dc_timings){12, 340, 55, 4100, 1, 4510};
    a->memory = (dc_memory){.rss_before = 100u << 20, .rss_after = 104u << 20};
}

static float *make_danger(int n, double hz) {
    float *d = calloc((size_t)n, sizeof *d);
    assert_non_null(d);
    for (int i = 0; i < n; i++) {
        double t = i / hz;
        d[i] = (float)(0.1 + 0.8 * (t > 10.5 && t < 12.5));
    }
    return d;
}

/* Every `<img src="data:image/jpeg;base64,...">` decodes to a JPEG of 320x180 whose red
 * channel names the frame; returns the frames' indices in page order. */
static int check_thumbnails(const char *page, int *frame_of_img, int max) {
    static const char marker[] = "<img src=\"data:image/jpeg;base64,";
    int n = 0;
    for (const char *p = strstr(page, marker); p; p = strstr(p + 1, marker)) {
        assert_true(n < max);
        const char *b64 = p + strlen(marker);
        const char *end = strchr(b64, '"');
        assert_non_null(end);
        size_t len = 0;
        uint8_t *jpeg = test_base64_decode(b64, (size_t)(end - b64), &len);
        assert_non_null(jpeg);
        assert_true(len > 100 && jpeg[0] == 0xFF && jpeg[1] == 0xD8);
        tjhandle tj = tjInitDecompress();
        assert_non_null(tj);
        int w = 0, h = 0, sub = 0, cs = 0;
        assert_int_equal(tjDecompressHeader3(tj, jpeg, (unsigned long)len, &w, &h, &sub, &cs), 0);
        assert_int_equal(w, DC_REPORT_THUMB_WIDTH);
        assert_int_equal(h, DC_REPORT_THUMB_WIDTH * FRAME_H / FRAME_W);
        uint8_t *rgb = malloc((size_t)w * h * 3);
        assert_non_null(rgb);
        assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, rgb, w, 0, h, TJPF_RGB, 0), 0);
        int red = rgb[((size_t)(h / 2) * w + w / 2) * 3];
        frame_of_img[n++] = (red - 40 + 30) / 60;
        free(rgb);
        tjDestroy(tj);
        free(jpeg);
    }
    return n;
}

/* No "<name>.tmp.<pid>" is left behind in dir. */
static void assert_no_temporary_files(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) assert_null(strstr(e->d_name, ".tmp."));
    closedir(d);
}

static void claim_page_shows_verdict_evidence_and_timeline(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-claim");
    char *path = test_path(dir, "claim.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    /* far from every sampled frame (10-13 s): no picture rather than a wrong one */
    a->evidence[a->evidence_count++] = (dc_evidence){.t_sec = 25.0, .frame = -1};
    dc_frame_set frames = {0};
    make_frames(&frames);
    float *danger = make_danger(300, 10.0);
    dc_report_inputs in = {
        .danger = danger, .danger_count = 300, .danger_hz = 10.0, .frames = &frames};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, &in, &st), DC_OK);
    assert_false(st.degraded);
    char *page = test_read_file(path);
    assert_non_null(page);

    /* banner: severity, action and priority */
    assert_non_null(strstr(page, "<section class=\"banner sev-high\" id=\"verdict\">"));
    assert_non_null(strstr(page, "data-severity=\"HIGH\">HIGH<"));
    assert_non_null(strstr(page, "recommended action<b>REVIEW</b>"));
    assert_non_null(strstr(page, "review priority<b>URGENT</b>"));
    /* hostile text escaped wherever it appears, and never raw */
    assert_int_equal(test_count(page, HOSTILE_ESCAPED), 2); /* reasoning + evidence 1 */
    assert_non_null(strstr(page, "claim-&lt;b&gt;42&lt;/b&gt;"));
    assert_non_null(strstr(page, "/videos/crash &lt;i&gt;1.mp4"));
    assert_null(strcasestr(page, "<script"));
    assert_null(strstr(page, "<b>42"));
    /* probabilities, prediction set, calibration */
    assert_non_null(strstr(page, "70.0%"));
    assert_int_equal(test_count(page, "data-in-set=\"1\""), 2);
    assert_non_null(strstr(page, "Prediction set: <b>{MEDIUM, HIGH}</b>"));
    assert_non_null(strstr(page, "calibrated: <span class=\"tag\">yes</span>"));
    /* fault, fraud, versions, timings */
    assert_non_null(strstr(page, "100% ego vehicle"));
    assert_non_null(strstr(page, "F-REAR-END"));
    assert_non_null(strstr(page, "X-SUDDEN-BRAKE</td><td class=\"num\">0.30</td>"));
    assert_non_null(strstr(page, "qwen2.5-vl-3b-q4.gguf"));
    assert_non_null(strstr(page, DC_PROMPT_VERSION));
    assert_non_null(strstr(page, "4510.0 ms"));
    assert_non_null(strstr(page, "+4.0 MB"));
    /* one thumbnail per evidence item, each the right frame */
    int frame_of_img[8];
    assert_int_equal(check_thumbnails(page, frame_of_img, 8), 3);
    assert_int_equal(frame_of_img[0], 0);
    assert_int_equal(frame_of_img[1], 2);
    assert_int_equal(frame_of_img[2], 1);
    assert_int_equal(test_count(page, "no frame was sampled near this time"), 1);
    /* the timeline: one SVG, one shaded rect per window, a danger curve, peaks, evidence */
    assert_int_equal(test_count(page, "<svg"), 1);
    assert_int_equal(test_count(page, "<rect class=\"window\""), 2);
    assert_int_equal(test_count(page, "<path class=\"danger\""), 1);
    assert_int_equal(test_count(page, "<g class=\"peak\""), 2);
    assert_int_equal(test_count(page, "<g class=\"evidence\""), 4);
    assert_non_null(strstr(page, ">0:30<")); /* the axis reaches the end of the video */
    assert_null(strstr(page, "no danger timeline"));
    /* self-contained */
    assert_int_equal(test_count(page, "http"), test_count(page, "http://www.w3.org/2000/svg"));
    assert_null(strstr(page, "<link"));
    assert_no_temporary_files(dir);

    free(page);
    free(danger);
    dc_frame_set_free(&frames);
    free(a);
    free(path);
    free(dir);
}

static void claim_page_without_frames_or_danger_lists_times(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-bare");
    char *path = test_path(dir, "bare.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    dc_frame_set empty = {0};
    dc_report_inputs in = {.frames = &empty};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, &in, &st), DC_OK);
    char *page = test_read_file(path);
    assert_non_null(page);
    assert_null(strstr(page, "<img"));
    assert_int_equal(test_count(page, "<div class=\"noimg\">no frame</div>"), 3);
    assert_non_null(strstr(page, "<span class=\"t\">0:11.2</span>"));
    assert_non_null(strstr(page, "no danger timeline was recorded"));
    assert_int_equal(test_count(page, "<rect class=\"window\""), 2);
    assert_null(strstr(page, "<path class=\"danger\""));
    free(page);

    /* NULL inputs altogether are the same page */
    assert_int_equal(dc_report_write_claim_html(path, a, NULL, &st), DC_OK);
    page = test_read_file(path);
    assert_non_null(page);
    assert_int_equal(test_count(page, "<div class=\"noimg\">no frame</div>"), 3);
    free(page);
    free(a);
    free(path);
    free(dir);
}

static void failed_claim_page_shows_the_error_and_no_severity(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-failed");
    char *path = test_path(dir, "failed.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    dc_status cause = DC_STATUS_OK;
    dc_fail(&cause, DC_ERR_INPUT, "/videos/x.mp4: moov atom not found <b>truncated</b>");
    dc_assessment_fail(a, &cause);
    a->recommended_action = DC_RECOMMEND_REVIEW;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, NULL, &st), DC_OK);
    char *page = test_read_file(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "<section class=\"banner failed\" id=\"verdict\">"));
    assert_non_null(strstr(page, "CLAIM FAILED"));
    assert_non_null(strstr(page, "error class<b>input error</b>"));
    assert_non_null(strstr(page, "moov atom not found &lt;b&gt;truncated&lt;/b&gt;"));
    assert_null(strstr(page, "data-severity"));
    assert_null(strstr(page, "data-in-set"));
    assert_null(strstr(page, "banner sev-"));
    assert_null(strstr(page, ">HIGH<"));
    assert_null(strstr(page, ">MEDIUM<"));
    assert_non_null(strstr(page, "No severity: the assessment failed"));
    assert_non_null(strstr(page, "no fault ratio"));
    assert_int_equal(test_count(page, "<svg"), 1); /* its windows are still drawn */
    free(page);

    /* unreadable before anything was known: no time axis of made-up length */
    dc_assessment_init(a);
    dc_assessment_fail(a, &cause);
    assert_int_equal(dc_report_write_claim_html(path, a, NULL, &st), DC_OK);
    page = test_read_file(path);
    assert_non_null(page);
    assert_null(strstr(page, "<svg"));
    assert_non_null(strstr(page, "No danger timeline: the video's length is unknown"));
    assert_non_null(strstr(page, "CLAIM FAILED"));
    free(page);
    free(a);
    free(path);
    free(dir);
}

static void degraded_claim_page_says_why(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-degraded");
    char *path = test_path(dir, "degraded.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    dc_assessment_degrade(a, "GPU out of memory; assessed on the CPU");
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, NULL, &st), DC_OK);
    char *page = test_read_file(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "data-severity=\"HIGH\""));
    assert_non_null(strstr(page, "id=\"degraded\""));
    assert_non_null(strstr(page, "GPU out of memory; assessed on the CPU"));
    free(page);
    free(a);
    free(path);
    free(dir);
}

/* A 20-minute video at 10 Hz has 12000 danger samples for ~1100 pixel columns: the curve
 * keeps one point per column and a one-sample spike still reaches the top. */
static void long_timeline_keeps_a_single_sample_spike(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-long");
    char *path = test_path(dir, "long.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    a->video.duration_sec = 1200;
    int n = 12000;
    float *danger = calloc((size_t)n, sizeof *danger);
    assert_non_null(danger);
    for (int i = 0; i < n; i++) danger[i] = 0.05f;
    danger[7777] = 1.0f;
    dc_report_inputs in = {.danger = danger, .danger_count = n, .danger_hz = 10.0};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, &in, &st), DC_OK);
    char *page = test_read_file(path);
    assert_non_null(page);
    const char *curve = strstr(page, "<path class=\"danger\"");
    assert_non_null(curve);
    const char *curve_end = strstr(curve, "/>");
    assert_non_null(curve_end);
    int points = 0, at_top = 0;
    for (const char *p = curve; p < curve_end; p++) {
        if (*p != 'L') continue;
        points++;
        double x = 0, y = 0;
        assert_int_equal(sscanf(p + 1, "%lf %lf", &x, &y), 2);
        if (y < 25.0) at_top++; /* danger 1.0 is the top of the plot */
    }
    assert_true(points > 500 && points < 1200);
    assert_int_equal(at_top, 1);
    assert_non_null(strstr(page, ">20:00<")); /* axis in minutes */
    free(page);
    free(danger);
    free(a);
    free(path);
    free(dir);
}

static void index_page_lists_every_entry(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-index");
    char *path = test_path(dir, "index.html");
    dc_assessment *a = malloc(sizeof *a);
    dc_report_index_entry entries[3];

    make_collision(a);
    dc_report_index_entry_from_assessment(&entries[0], a, "crash_1.mp4.html");

    make_collision(a);
    snprintf(a->video.path, sizeof a->video.path, "/claims/a&b/%s.mp4", INDEX_HOSTILE);
    a->severity = DC_SEVERITY_MEDIUM;
    a->fault_has_ratio = false;
    a->review_priority = DC_PRIORITY_STANDARD;
    a->fraud_score = 0.75;
    dc_assessment_degrade(a, "one window could not be decoded");
    dc_report_index_entry_from_assessment(&entries[1], a, "near.mp4.html");

    make_collision(a);
    a->video_count = 4; /* a claim of front and rear, two segments each */
    snprintf(a->video.path, sizeof a->video.path, "broken.mp4");
    dc_status cause = DC_STATUS_OK;
    dc_fail(&cause, DC_ERR_INPUT, "broken.mp4: invalid data found when processing input");
    dc_assessment_fail(a, &cause);
    dc_report_index_entry_from_assessment(&entries[2], a, NULL);
    assert_int_equal(entries[2].severity, DC_SEVERITY_UNSET);
    dc_report_index_entry extra[2] = {entries[0], entries[0]};
    snprintf(extra[0].href, sizeof extra[0].href, "pages/a b#1?.html");
    snprintf(extra[1].href, sizeof extra[1].href, "javascript:alert(\"x\")");

    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_index_html(path, entries, 3, &st), DC_OK);
    char *page = test_read_file(path);
    assert_non_null(page);
    assert_int_equal(test_count(page, "<tr class=\"entry\">"), 3);
    assert_non_null(strstr(page, "<a href=\"crash_1.mp4.html\">crash &lt;i&gt;1.mp4</a>"
                                 "<div class=\"sub\">/videos/</div>"));
    assert_non_null(strstr(page, "<a href=\"near.mp4.html\">" INDEX_HOSTILE_ESCAPED ".mp4</a>"
                                 "<div class=\"sub\">/claims/a&amp;b/</div>"));
    assert_null(strcasestr(page, "<img"));
    assert_non_null(strstr(page,
                           "<td class=\"video\">broken.mp4<div class=\"sub\">claim of 4 files</div>"
                           "</td><td>failed"));
    assert_int_equal(test_count(page, "claim of"), 1); /* one video: as before */
    assert_non_null(strstr(page, ">input</span>"));
    assert_non_null(strstr(page, "<tr class=\"error\"><td></td><td colspan=\"6\">broken.mp4: "
                                 "invalid data found when processing input</td></tr>"));
    assert_non_null(strstr(page, "degraded: one window could not be decoded"));
    assert_non_null(strstr(page, ">HIGH</span>"));
    assert_non_null(strstr(page, ">MEDIUM</span>"));
    assert_non_null(strstr(page, "<td class=\"num\">0.75</td>"));
    assert_non_null(strstr(page, "<td class=\"num\">100%</td>"));
    assert_non_null(strstr(page, "<div class=\"verdict\">3 videos</div>"));
    assert_non_null(strstr(page, "failed<b>1</b>"));
    assert_non_null(strstr(page, "degraded<b>1</b>"));
    free(page);

    /* links are file paths: percent-encoded, never a fragment, query or script */
    assert_int_equal(dc_report_write_index_html(path, extra, 2, &st), DC_OK);
    page = test_read_file(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "<a href=\"pages/a%20b%231%3F.html\">"));
    assert_non_null(strstr(page, "<a href=\"javascript%3Aalert%28%22x%22%29\">"));
    assert_null(strstr(page, "javascript:"));
    free(page);

    assert_int_equal(dc_report_write_index_html(path, NULL, 0, &st), DC_OK);
    page = test_read_file(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "No videos."));
    free(page);
    assert_no_temporary_files(dir);
    free(a);
    free(path);
    free(dir);
}

static void writing_into_a_missing_directory_fails_naming_the_path(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-missing");
    char *path = test_path(dir, "no-such-dir/claim.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, NULL, &st), DC_ERR_RESOURCE);
    assert_non_null(strstr(st.message, path));
    assert_non_null(strstr(st.message, "No such file or directory"));
    st = DC_STATUS_OK;
    dc_report_index_entry e;
    dc_report_index_entry_from_assessment(&e, a, "x.html");
    assert_int_equal(dc_report_write_index_html(path, &e, 1, &st), DC_ERR_RESOURCE);
    assert_non_null(strstr(st.message, path));
    st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, NULL, NULL, &st), DC_ERR_INPUT);
    assert_int_equal(dc_report_write_claim_html("", a, NULL, &st), DC_ERR_INPUT);
    free(a);
    free(path);
    free(dir);
}

/* Rewriting a page replaces it whole (rename over the old one), leaving nothing behind. */
static void rewriting_a_page_replaces_it(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-rewrite");
    char *path = test_path(dir, "claim.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, NULL, &st), DC_OK);
    a->severity = DC_SEVERITY_LOW;
    assert_int_equal(dc_report_write_claim_html(path, a, NULL, &st), DC_OK);
    char *page = test_read_file(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "data-severity=\"LOW\""));
    assert_null(strstr(page, "data-severity=\"HIGH\""));
    assert_int_equal(test_count(page, "</html>"), 1);
    assert_no_temporary_files(dir);
    free(page);
    free(a);
    free(path);
    free(dir);
}

/* A frame that cannot be encoded costs its thumbnail, not the page: the page says why in
 * its place and the status is degraded with the same reason. */
static void unencodable_frame_degrades_instead_of_failing(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-badframe");
    char *path = test_path(dir, "badframe.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    dc_frame_set frames = {0};
    make_frames(&frames);
    frames.frames[2].stride = 10; /* shorter than a row: evidence 2 cannot be encoded */
    dc_report_inputs in = {.frames = &frames};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, &in, &st), DC_OK);
    assert_true(st.degraded);
    assert_non_null(strstr(st.message, "evidence 2"));
    assert_non_null(strstr(st.message, "stride"));
    char *page = test_read_file(path);
    assert_non_null(page);
    int frame_of_img[8];
    assert_int_equal(check_thumbnails(page, frame_of_img, 8), 2);
    assert_int_equal(test_count(page, "thumbnail failed: jpeg: row stride 10"), 1);
    free(page);
    dc_frame_set_free(&frames);
    free(a);
    free(path);
    free(dir);
}

/* A damaged record: no string terminated, every enum and count out of range, NaNs. The
 * page is still written, shows no verdict (the status is not one it knows), prints no
 * "nan", and (under ASan) reads nothing outside the record. */
static void damaged_record_still_gives_a_safe_page(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-damaged");
    char *path = test_path(dir, "damaged.html");
    dc_assessment *a = malloc(sizeof *a);
    memset(a, '<', sizeof *a);
    a->severity_probs[1] = NAN;
    a->fraud_score = NAN;
    a->windows[0].danger = NAN;
    a->windows[0].start_sec = -INFINITY;
    a->evidence[0].t_sec = NAN;
    a->timings_ms.total = INFINITY;
    a->video.duration_sec = NAN;
    float danger[3] = {NAN, 0.5f, INFINITY};
    dc_report_inputs in = {.danger = danger, .danger_count = 3, .danger_hz = 1.0};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, &in, &st), DC_OK);
    char *page = test_read_file(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "CLAIM FAILED"));
    assert_null(strstr(page, "data-severity"));
    assert_null(strcasestr(page, "nan"));
    assert_null(strcasestr(page, "inf<"));
    assert_null(strstr(page, "<<"));
    assert_int_equal(test_count(page, "<rect class=\"window\""), DC_MAX_WINDOWS);
    assert_int_equal(test_count(page, "</html>"), 1);
    free(page);

    dc_report_index_entry e;
    dc_report_index_entry_from_assessment(&e, a, "damaged.html");
    assert_int_equal(e.severity, DC_SEVERITY_UNSET);
    memset(e.error_message, '&', sizeof e.error_message); /* unterminated here too */
    e.fraud_score = NAN;
    assert_int_equal(e.video_count, DC_MAX_CLAIM_VIDEOS); /* 0x3c3c3c3c files, clamped */
    e.video_count = 1000;
    assert_int_equal(dc_report_write_index_html(path, &e, 1, &st), DC_OK);
    page = test_read_file(path);
    assert_non_null(page);
    assert_null(strcasestr(page, "nan"));
    assert_null(strstr(page, "<<"));
    assert_non_null(strstr(page, "failed<b>1</b>"));
    assert_null(strstr(page, "claim of"));
    free(page);
    free(a);
    free(path);
    free(dir);
}

/* The service stores the rendered page as it is and the CLI writes it to a file: both must
 * be the same bytes. The page here has thumbnails (base64 of JPEGs), the timeline and one
 * frame that cannot be encoded, so every part of the render is compared. */
static void rendered_page_equals_the_written_file(void **state) {
    (void)state;
    char *dir = test_tmp_dir("report-render");
    char *path = test_path(dir, "claim.html");
    char *index_path = test_path(dir, "index.html");
    dc_assessment *a = malloc(sizeof *a);
    make_collision(a);
    dc_frame_set frames = {0};
    make_frames(&frames);
    frames.frames[2].stride = 10; /* evidence 2 cannot be encoded: the render is degraded */
    float *danger = make_danger(300, 10.0);
    dc_report_inputs in = {
        .danger = danger, .danger_count = 300, .danger_hz = 10.0, .frames = &frames};

    dc_str page = {0};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_render_claim_html(a, &in, &page, &st), DC_OK);
    assert_true(st.degraded);
    assert_non_null(strstr(st.message, "evidence 2"));
    assert_non_null(page.data);
    assert_int_equal(page.len, strlen(page.data));
    int frame_of_img[8];
    assert_int_equal(check_thumbnails(page.data, frame_of_img, 8), 2);

    st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(path, a, &in, &st), DC_OK);
    assert_true(st.degraded);
    char *file = test_read_file(path);
    assert_non_null(file);
    assert_int_equal(strlen(file), page.len);
    assert_memory_equal(file, page.data, page.len);

    /* a buffer that already holds text is refused and left as it was */
    st = DC_STATUS_OK;
    assert_int_equal(dc_report_render_claim_html(a, &in, &page, &st), DC_ERR_INPUT);
    assert_int_equal(strlen(page.data), page.len);
    assert_memory_equal(file, page.data, page.len);
    dc_str_free(&page);

    dc_report_index_entry e;
    dc_report_index_entry_from_assessment(&e, a, "claim.html");
    assert_int_equal(dc_report_render_index_html(&e, 1, &page, &st), DC_OK);
    assert_int_equal(dc_report_write_index_html(index_path, &e, 1, &st), DC_OK);
    char *index_file = test_read_file(index_path);
    assert_non_null(index_file);
    assert_int_equal(strlen(index_file), page.len);
    assert_memory_equal(index_file, page.data, page.len);
    dc_str_free(&page);
    assert_int_equal(dc_report_render_index_html(NULL, 1, &page, &st), DC_ERR_INPUT);
    assert_null(page.data);

    free(index_file);
    free(file);
    free(danger);
    dc_frame_set_free(&frames);
    free(a);
    free(index_path);
    free(path);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(claim_page_shows_verdict_evidence_and_timeline),
        cmocka_unit_test(claim_page_without_frames_or_danger_lists_times),
        cmocka_unit_test(failed_claim_page_shows_the_error_and_no_severity),
        cmocka_unit_test(degraded_claim_page_says_why),
        cmocka_unit_test(long_timeline_keeps_a_single_sample_spike),
        cmocka_unit_test(index_page_lists_every_entry),
        cmocka_unit_test(writing_into_a_missing_directory_fails_naming_the_path),
        cmocka_unit_test(rewriting_a_page_replaces_it),
        cmocka_unit_test(damaged_record_still_gives_a_safe_page),
        cmocka_unit_test(unencodable_frame_degrades_instead_of_failing),
        cmocka_unit_test(rendered_page_equals_the_written_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
