/* A claim of several videos on the claim page: two cameras (front, rear) x two loop-recorded
 * segments. At each evidence time every channel's frame is shown beside the others (and only
 * the frame of that instant), each labelled with its camera, the claim's time and the time
 * within its file; the timeline has a lane per camera and a line where a file starts or ends;
 * the files are listed with their start time and its source. Hostile file names and errors
 * come out inert, a record read back from JSON with video indexes and roles it does not have
 * names no file, and a claim of one video gives the page it always did. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "dashclaim/claim.h"
#include "dashclaim/report.h"
#include "report_test_util.h"

#define FRAME_W 320
#define FRAME_H 180

/* File names a folder of dashcam files may hold: markup, both quotes, an attribute. */
/* (a file name holds no '/', so the markup is left open) */
#define NAME_SCRIPT "/cam/<script>alert(1)_NF.mp4"
#define NAME_SCRIPT_ESCAPED "&lt;script&gt;alert(1)_NF.mp4"
#define NAME_QUOTES "/cam/x\" onmouseover=\"alert(2)_NR.mp4"
#define NAME_QUOTES_ESCAPED "x&quot; onmouseover=&quot;alert(2)_NR.mp4"
#define NAME_IMG "/cam/'><img src=x onerror=alert(3)>_NF.mp4"
#define NAME_IMG_ESCAPED "&#39;&gt;&lt;img src=x onerror=alert(3)&gt;_NF.mp4"
#define ERROR_HOSTILE "decode failed at <b onclick=\"x\">frame 3</b>"
#define ERROR_HOSTILE_ESCAPED "decode failed at &lt;b onclick=&quot;x&quot;&gt;frame 3&lt;/b&gt;"
/* 100 two-byte characters: the lane's label must cut it between characters */
#define E_ACUTE_10                                                                                 \
    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
#define NAME_LONG                                                                                  \
    "/cam/" E_ACUTE_10 E_ACUTE_10 E_ACUTE_10 E_ACUTE_10 E_ACUTE_10 E_ACUTE_10 E_ACUTE_10           \
        E_ACUTE_10 E_ACUTE_10 E_ACUTE_10 "_NR.mp4"

/* The claim's files: front and rear, two segments each; the rear camera started 0.4 s after
 * the front one, so its files are 0.4 s later on the claim's timeline.
 *   1 front seg 1   0.0 - 60.0      2 rear seg 1   0.4 - 60.4
 *   3 front seg 2  60.0 - 120.0     4 rear seg 2  60.4 - 119.4 */
static void set_video(dc_claim_video *v, const char *path, dc_video_role role, int segment,
                      const char *start, const char *source, double offset, double duration) {
    memset(v, 0, sizeof *v);
    snprintf(v->path, sizeof v->path, "%s", path);
    v->role = role;
    v->segment = segment;
    snprintf(v->start_time, sizeof v->start_time, "%s", start);
    snprintf(v->start_source, sizeof v->start_source, "%s", source);
    v->offset_sec = offset;
    v->duration_sec = duration;
}

static void make_claim(dc_assessment *a) {
    dc_assessment_init(a);
    snprintf(a->claim_id, sizeof a->claim_id, "two-channels");
    snprintf(a->video.path, sizeof a->video.path, "%s", NAME_SCRIPT);
    a->video.duration_sec = 120;
    a->video_count = 4;
    set_video(&a->videos[0], NAME_SCRIPT, DC_ROLE_FRONT, 1, "2026-03-14T09:26:56Z", "telemetry", 0,
              60);
    snprintf(a->videos[0].sha256, sizeof a->videos[0].sha256, "%064d", 7);
    set_video(&a->videos[1], NAME_QUOTES, DC_ROLE_REAR, 1, "2026-03-14T10:26:56", "file-name", 0.4,
              60);
    set_video(&a->videos[2], NAME_IMG, DC_ROLE_FRONT, 2, "", "", 60, 60);
    set_video(&a->videos[3], NAME_LONG, DC_ROLE_REAR, 2, "2026-03-14T10:27:56", "<i>clock</i>",
              60.4, 59);
    snprintf(a->videos[3].error, sizeof a->videos[3].error, "%s", ERROR_HOSTILE);
    a->severity = DC_SEVERITY_HIGH;
    a->severity_probs[DC_SEVERITY_HIGH] = 1;
    a->prediction_set = 1u << DC_SEVERITY_HIGH;
    a->window_count = 1;
    a->windows[0] = (dc_window){.start_sec = 57,
                                .end_sec = 63,
                                .peak_sec = 61,
                                .danger = 0.9,
                                .video = 2,
                                .video_peak_sec = 1.0};
    a->hazard_count = 1;
    a->hazards[0] =
        (dc_hazard){.type = DC_HAZARD_TAILGATING, .t_sec = 60.9, .video = 3, .video_t_sec = 0.5};
    a->evidence_count = 4;
    /* the front channel's frame, as the pipeline points a row at it */
    a->evidence[0] = (dc_evidence){.t_sec = 58.0, .frame = 0, .video = 0, .video_t_sec = 58.0};
    /* a rear-end only the rear camera saw: the row points at the rear frame */
    a->evidence[1] = (dc_evidence){.t_sec = 61.0, .frame = 3, .video = 3, .video_t_sec = 0.6};
    /* a frame no other channel has at its instant */
    a->evidence[2] = (dc_evidence){.t_sec = 61.5, .frame = 5, .video = 2, .video_t_sec = 1.5};
    /* no frame index: the nearest frame of the row's own video (the rear's, at 58.0) */
    a->evidence[3] = (dc_evidence){.t_sec = 58.01, .frame = -1, .video = 1, .video_t_sec = 57.61};
    for (int i = 0; i < a->evidence_count; i++)
        snprintf(a->evidence[i].description, sizeof a->evidence[i].description, "row %d", i);
}

/* Frame i is flat with red = 40 + 30 * i, so a decoded thumbnail says which frame it is.
 *   0 front 58.0 (file 1)   1 rear 58.0 (file 2)   2 front 61.0 (file 3)
 *   3 rear 61.04 (file 4: its first frame at or after 61.0, as the pipeline asks for it)
 *   4 rear 58.25 (file 2: the next sample, not the same instant)   5 front 61.5 (file 3) */
#define FRAMES 6
static void make_frames(dc_frame_set *set) {
    static const double t[FRAMES] = {58.0, 58.0, 61.0, 61.04, 58.25, 61.5};
    static const int video[FRAMES] = {0, 1, 2, 3, 1, 2};
    set->frames = calloc(FRAMES, sizeof *set->frames);
    assert_non_null(set->frames);
    set->count = set->requested = FRAMES;
    for (int i = 0; i < FRAMES; i++) {
        dc_frame *f = &set->frames[i];
        f->width = FRAME_W;
        f->height = FRAME_H;
        f->stride = FRAME_W * 3;
        f->t_sec = t[i];
        f->video = video[i];
        f->rgb = malloc((size_t)f->stride * FRAME_H);
        assert_non_null(f->rgb);
        for (size_t p = 0; p < (size_t)FRAME_W * FRAME_H; p++) {
            f->rgb[p * 3 + 0] = (uint8_t)(40 + 30 * i);
            f->rgb[p * 3 + 1] = 90;
            f->rgb[p * 3 + 2] = 160;
        }
    }
}

/* The frames of the page's thumbnails, in page order (decoded; red names the frame). */
static int thumbnails(const char *page, int *frame_of_img, int max) {
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
        tjhandle tj = tjInitDecompress();
        assert_non_null(tj);
        int w = 0, h = 0, sub = 0, cs = 0;
        assert_int_equal(tjDecompressHeader3(tj, jpeg, (unsigned long)len, &w, &h, &sub, &cs), 0);
        uint8_t *rgb = malloc((size_t)w * h * 3);
        assert_non_null(rgb);
        assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, rgb, w, 0, h, TJPF_RGB, 0), 0);
        int red = rgb[((size_t)(h / 2) * w + w / 2) * 3];
        frame_of_img[n++] = (red - 40 + 15) / 30;
        free(rgb);
        tjDestroy(tj);
        free(jpeg);
    }
    return n;
}

static char *render(const dc_assessment *a, const dc_report_inputs *in) {
    dc_str page = {0};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_render_claim_html(a, in, &page, &st), DC_OK);
    assert_false(st.degraded);
    assert_non_null(page.data);
    return page.data; /* the caller frees */
}

/* The page without its embedded JPEGs' base64 (which may spell anything, "nan" included). */
static char *without_images(const char *page) {
    static const char marker[] = "data:image/jpeg;base64,";
    char *out = malloc(strlen(page) + 1);
    assert_non_null(out);
    size_t n = 0;
    for (const char *p = page; *p;) {
        if (strncmp(p, marker, sizeof marker - 1) == 0) {
            p += sizeof marker - 1;
            while (*p && *p != '"') p++;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return out;
}

/* Nothing from a file name or the record can run or reach outside the page, and no number
 * prints as nan or inf. */
static void assert_inert_and_self_contained(const char *html) {
    char *page = without_images(html);
    assert_null(strcasestr(page, "<script"));
    assert_null(strstr(page, "onmouseover=\""));
    assert_null(strstr(page, "<img src=x"));
    assert_null(strstr(page, "<b onclick"));
    assert_null(strstr(page, "<i>clock"));
    assert_int_equal(test_count(page, "http"), test_count(page, "http://www.w3.org/2000/svg"));
    assert_null(strstr(page, "<link"));
    assert_null(strcasestr(page, "nan"));
    assert_null(strcasestr(page, "inf<"));
    assert_null(strcasestr(page, "inf s"));
    assert_null(strcasestr(page, " inf"));
    free(page);
}

static void each_channel_is_shown_beside_the_others(void **state) {
    (void)state;
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    make_claim(a);
    dc_frame_set frames = {0};
    make_frames(&frames);
    dc_report_inputs in = {.frames = &frames};
    char *page = render(a, &in);

    /* row 0: front then rear at 58.0 (not the rear's 58.25 sample); row 1: its rear frame,
     * then the front at 61.0; row 2: alone; row 3: the rear's 58.0 frame, then the front */
    int img[16];
    assert_int_equal(thumbnails(page, img, 16), 7);
    int expected[7] = {0, 1, 3, 2, 5, 1, 0};
    for (int i = 0; i < 7; i++) assert_int_equal(img[i], expected[i]);
    assert_int_equal(test_count(page, "<figure class=\"moment multi\" data-channels=\"2\">"), 3);
    assert_int_equal(test_count(page, "<figure class=\"moment\" data-channels=\"1\">"), 1);
    /* each picture says its camera, the claim's time and the time within its file */
    assert_int_equal(test_count(page, "<div class=\"ch\">front camera, 58.0 s (file 1, 58.0 s)"),
                     2);
    assert_int_equal(test_count(page, "<div class=\"ch\">rear camera, 58.0 s (file 2, 57.6 s)"), 2);
    assert_int_equal(test_count(page, "<div class=\"ch\">rear camera, 61.0 s (file 4, 0.6 s)"), 1);
    assert_int_equal(test_count(page, "<div class=\"ch\">front camera, 61.0 s (file 3, 1.0 s)"), 1);
    assert_int_equal(test_count(page, "<div class=\"ch\">front camera, 61.5 s (file 3, 1.5 s)"), 1);
    assert_non_null(strstr(page, "alt=\"evidence frame 2, rear camera\""));
    /* the row's own file beside its time; the window's peak and the hazard in their files */
    assert_non_null(strstr(page, "<span class=\"sub\">(file 4, 0.6 s)</span> row 1"));
    assert_non_null(strstr(page, "<td>1:01.0<div class=\"sub\">file 3, 1.0 s</div></td>"));
    assert_non_null(strstr(page, "<td>1:00.9<div class=\"sub\">file 4, 0.5 s</div></td>"));
    assert_non_null(strstr(page, "<a href=\"#videos\">4 files</a>"));
    assert_inert_and_self_contained(page);
    free(page);

    /* the same frames without the videos list: one picture a row, as for one video */
    a->video_count = 1;
    page = render(a, &in);
    assert_int_equal(thumbnails(page, img, 16), 4);
    assert_null(strstr(page, "class=\"channels\""));
    assert_null(strstr(page, "id=\"videos\""));
    free(page);
    dc_frame_set_free(&frames);
    free(a);
}

static void timeline_marks_where_each_file_starts_and_ends(void **state) {
    (void)state;
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    make_claim(a);
    char *page = render(a, NULL);
    const char *svg = strstr(page, "<svg class=\"timeline\"");
    assert_non_null(svg);
    const char *svg_end = strstr(svg, "</svg>");
    assert_non_null(svg_end);
    /* two lanes (front above rear) under the axis: the SVG grows by them */
    assert_non_null(strstr(svg, "viewBox=\"0 0 1160 246\""));
    const char *front = strstr(svg, "text-anchor=\"end\">front</text>");
    const char *rear = strstr(svg, "text-anchor=\"end\">rear</text>");
    assert_true(front && rear && front < rear && rear < svg_end);
    assert_int_equal(test_count(svg, "<g class=\"file\""), 4);
    /* file 3 starts at 60 s of 120: half-way along the 1100-px plot */
    assert_non_null(strstr(svg, "<g class=\"file\" data-video=\"2\"><rect x=\"596.0\" y=\"190.0\" "
                                "width=\"550.0\""));
    /* the rear's second file, in the second lane, not used: its error in its tooltip */
    assert_non_null(
        strstr(svg, "<g class=\"file\" data-video=\"3\"><rect x=\"599.7\" y=\"210.0\""));
    assert_non_null(strstr(svg, "not used: " ERROR_HOSTILE_ESCAPED "</title>"));
    /* boundaries inside the claim: 0.4, 60.0, 60.4, 119.4 (0 and 120 are the plot's edges) */
    assert_int_equal(test_count(svg, "<g class=\"file-boundary\">"), 4);
    assert_non_null(strstr(svg, "<line x1=\"596.0\" x2=\"596.0\" y1=\"24.0\" y2=\"230.0\""));
    assert_non_null(strstr(svg, "<title>at 1:00.0: file 1 ends, file 3 starts</title>"));
    assert_non_null(strstr(svg, "<title>at 1:00.4: file 2 ends, file 4 starts</title>"));
    assert_non_null(strstr(svg, "<title>at 0:00.4: file 2 starts</title>"));
    assert_non_null(strstr(svg, "<title>at 1:59.4: file 4 ends</title>"));
    assert_non_null(strstr(svg, "claim length 2:00.0"));
    /* labels: file number and name, escaped; a long name cut between characters */
    assert_non_null(strstr(svg, ">1 " NAME_SCRIPT_ESCAPED "</text>"));
    assert_non_null(strstr(svg, ">2 " NAME_QUOTES_ESCAPED "</text>"));
    const char *long_label = strstr(svg, ">4 " E_ACUTE_10);
    assert_non_null(long_label);
    const char *label_end = strstr(long_label, "</text>");
    assert_non_null(label_end);
    assert_memory_equal(label_end - 3, "...", 3);
    assert_true(label_end - long_label < 220); /* cut to what the bar holds */
    for (const char *c = long_label + 3; c < label_end - 3; c += 2)
        assert_memory_equal(c, "\xC3\xA9", 2); /* whole characters only */
    assert_non_null(strstr(page, "file boundary"));
    assert_inert_and_self_contained(page);
    free(page);
    free(a);
}

static void videos_are_listed_with_start_time_and_its_source(void **state) {
    (void)state;
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    make_claim(a);
    char *page = render(a, NULL);
    const char *card = strstr(page, "<section class=\"card wide\" id=\"videos\">");
    assert_non_null(card);
    assert_non_null(strstr(card, "4 files from 2 cameras (front, rear)"));
    assert_non_null(strstr(card, "1 file added nothing"));
    assert_int_equal(test_count(card, "<tr class=\"video-row\""), 4);
    assert_non_null(strstr(card, "<td>1</td><td class=\"video\"><b>" NAME_SCRIPT_ESCAPED
                                 "</b><div class=\"sub\">/cam/</div><div class=\"sub mono\">"
                                 "sha256 0000"));
    assert_non_null(strstr(card, "<b>" NAME_QUOTES_ESCAPED "</b>"));
    assert_non_null(strstr(card, "<b>" NAME_IMG_ESCAPED "</b>"));
    /* camera, segment, start time and where it came from */
    assert_non_null(strstr(card, "<td>front</td><td>1</td><td>2026-03-14T09:26:56Z<div "
                                 "class=\"sub\">UTC, from the dashcam's GPS</div></td>"));
    assert_non_null(strstr(card, "<td>rear</td><td>1</td><td>2026-03-14T10:26:56<div "
                                 "class=\"sub\">camera clock, from the file name</div></td>"));
    assert_non_null(strstr(card, "<td>front</td><td>2</td><td>unknown</td>"));
    assert_non_null(strstr(card, "<div class=\"sub\">from &lt;i&gt;clock&lt;/i&gt;</div>"));
    /* place on the claim's timeline and length */
    assert_non_null(strstr(card, "<td>0:00.4 &ndash; 1:00.4</td><td class=\"num\">60.0 s</td>"));
    assert_non_null(strstr(card, "<td>1:00.4 &ndash; 1:59.4</td><td class=\"num\">59.0 s</td>"));
    assert_int_equal(test_count(card, "<td>used</td>"), 3);
    assert_non_null(
        strstr(card, "<span class=\"video-error\">not used: " ERROR_HOSTILE_ESCAPED "</span>"));
    assert_inert_and_self_contained(page);
    free(page);
    free(a);
}

/* Replaces the first `from` in *text by `to` (a fresh string); fails the test when absent. */
static char *replace_once(char *text, const char *from, const char *to) {
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    free(text);
    return out;
}

/* A record written elsewhere (or damaged) with video indexes beyond its videos, a role and
 * numbers it cannot have: the page names no file for those rows, shows every camera it does
 * not know as "camera", and (under ASan) reads nothing outside the record. */
static void record_read_from_json_with_bad_video_indexes_names_no_file(void **state) {
    (void)state;
    dc_assessment *a = malloc(sizeof *a), *back = malloc(sizeof *back);
    assert_true(a && back);
    make_claim(a);
    a->windows[0].video = 7; /* within the array, beyond the record's 4 videos */
    a->evidence[1].video = 99;
    char *json = dc_assessment_to_json(a, 0);
    assert_non_null(json);
    json = replace_once(json, "\"role\":\"rear\"", "\"role\":\"<script>\"");
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_assessment_from_json(json, back, &st), DC_OK);
    free(json);
    assert_int_equal(back->video_count, 4);
    assert_int_equal(back->windows[0].video, -1); /* the reader names no video for it */
    back->windows[0].video = 7;                   /* as a record built in memory might hold */
    /* what a database row or a newer writer might hold besides */
    back->hazards[0].video = 5;
    back->evidence[2].video = -3;
    back->videos[2].role = (dc_video_role)1234;
    back->videos[2].offset_sec = NAN;
    back->videos[2].duration_sec = -INFINITY;
    back->windows[0].video_peak_sec = NAN;
    dc_frame_set frames = {0};
    make_frames(&frames);
    frames.frames[1].video = 40; /* a frame of no file of the record */
    dc_report_inputs in = {.frames = &frames};
    char *page = render(back, &in);
    assert_null(strstr(page, "file 8"));
    assert_null(strstr(page, "file 6"));
    assert_non_null(strstr(page, "<span class=\"t\">1:01.5</span>row 2"));
    assert_null(strstr(page, "file -"));
    /* the window and the hazard name no file; the rows' times are still there */
    assert_non_null(strstr(page, "<td>1:01.0</td><td class=\"num\">0.90</td>"));
    assert_non_null(strstr(page, "<tr><td>1:00.9</td><td>tailgating</td>"));
    /* an unknown role is a camera of unknown position, listed and laned as such */
    assert_non_null(strstr(page, "4 files from 3 cameras (front, rear, camera)"));
    assert_non_null(strstr(page, "text-anchor=\"end\">camera</text>"));
    /* the frame of no file is never put beside another: row 0 shows the front alone (the
     * rear's 58.25 sample is not its instant), row 3 the rear's 58.25 sample alone */
    int img[16];
    assert_int_equal(thumbnails(page, img, 16), 5);
    int expected[5] = {0, 3, 2, 5, 4};
    for (int i = 0; i < 5; i++) assert_int_equal(img[i], expected[i]);
    assert_non_null(strstr(page, "<div class=\"ch\">front camera, 58.0 s (file 1, 58.0 s)"));
    assert_null(strstr(page, "unknown video"));
    assert_inert_and_self_contained(page);
    free(page);

    /* the row that points at that frame shows it, saying it knows no file for it */
    back->evidence[0].frame = 1;
    page = render(back, &in);
    assert_non_null(strstr(page, "<div class=\"ch\">unknown video, 58.0 s</div>"));
    assert_non_null(strstr(page, "<div class=\"channel\" data-video=\"-1\">"));
    free(page);
    dc_frame_set_free(&frames);
    free(back);
    free(a);
}

static uint32_t next_random(uint32_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* The claim's record with a few values swapped for ones a writer never gives (indexes beyond
 * the videos, huge and negative numbers, strings where numbers go, markup in a role), read
 * back, and rendered with frames whose video indexes and times are just as wild: every page
 * is whole, inert and prints no nan, and (under ASan and UBSan) reads nothing it should not. */
static void mutated_records_always_give_a_safe_page(void **state) {
    (void)state;
    static const char *const values[] = {"7",
                                         "-1",
                                         "31",
                                         "32",
                                         "2147483647",
                                         "-2147483648",
                                         "1e308",
                                         "-1e308",
                                         "0.5",
                                         "null",
                                         "[]",
                                         "{}",
                                         "\"<script>x\"",
                                         "\"rear\"",
                                         "\"interior\"",
                                         "99999999999999999999",
                                         "\"\\u0000\"",
                                         "true"};
    dc_assessment *a = malloc(sizeof *a), *back = malloc(sizeof *back);
    assert_true(a && back);
    make_claim(a);
    char *json = dc_assessment_to_json(a, 0);
    assert_non_null(json);
    size_t len = strlen(json);
    /* where a value starts: after every ':' */
    size_t *at = malloc(len * sizeof *at);
    assert_non_null(at);
    size_t n_at = 0;
    for (size_t i = 0; i < len; i++)
        if (json[i] == ':') at[n_at++] = i + 1;
    dc_frame_set frames = {0};
    make_frames(&frames);
    uint32_t seed = 0x2626u;
    int rendered = 0;
    for (int round = 0; round < 300; round++) {
        char *text = strdup(json);
        assert_non_null(text);
        int changes = 1 + (int)(next_random(&seed) % 4);
        for (int c = 0; c < changes; c++) {
            size_t start = at[next_random(&seed) % n_at];
            if (start >= strlen(text)) continue;
            /* the value ends at the next ',' '}' or ']' (a nested one is cut short: also
             * what a damaged file holds) */
            size_t end = start;
            while (text[end] && text[end] != ',' && text[end] != '}' && text[end] != ']') end++;
            const char *v = values[next_random(&seed) % (sizeof values / sizeof values[0])];
            size_t n = strlen(text) - (end - start) + strlen(v) + 1;
            char *mutated = malloc(n);
            assert_non_null(mutated);
            snprintf(mutated, n, "%.*s%s%s", (int)start, text, v, text + end);
            free(text);
            text = mutated;
        }
        dc_status st = DC_STATUS_OK;
        dc_error_class rc = dc_assessment_from_json(text, back, &st);
        free(text);
        if (rc != DC_OK) continue;
        for (int i = 0; i < frames.count; i++) {
            frames.frames[i].video = (int)(next_random(&seed) % 40) - 2;
            if (next_random(&seed) % 8 == 0) frames.frames[i].t_sec = NAN;
        }
        dc_report_inputs in = {.frames = &frames, .telemetry_offset_sec = INFINITY};
        dc_str page = {0};
        assert_int_equal(dc_report_render_claim_html(back, &in, &page, &st), DC_OK);
        assert_non_null(page.data);
        assert_true(page.len > 7 && strcmp(page.data + page.len - 8, "</html>\n") == 0);
        assert_inert_and_self_contained(page.data);
        dc_str_free(&page);
        rendered++;
    }
    print_message("%d of 300 mutated records read and rendered\n", rendered);
    assert_true(rendered > 100);
    dc_frame_set_free(&frames);
    free(at);
    free(json);
    free(back);
    free(a);
}

/* A claim of one video, with or without its entry in the videos list, gives today's page. */
static void one_video_claim_page_is_unchanged(void **state) {
    (void)state;
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    make_claim(a);
    a->video_count = 0;
    for (int i = 0; i < a->evidence_count; i++) a->evidence[i].video = 0;
    dc_frame_set frames = {0};
    make_frames(&frames);
    for (int i = 0; i < frames.count; i++) frames.frames[i].video = 0;
    dc_report_inputs in = {.frames = &frames};
    char *without = render(a, &in);
    a->video_count = 1;
    set_video(&a->videos[0], a->video.path, DC_ROLE_FRONT, -1, "", "", 0, 120);
    char *with = render(a, &in);
    assert_string_equal(with, without);
    assert_null(strstr(with, "id=\"videos\""));
    assert_null(strstr(with, "file-boundary"));
    assert_null(strstr(with, "class=\"channels\""));
    assert_null(strstr(with, "file 1"));
    assert_non_null(strstr(with, "video length 2:00.0"));
    free(with);
    free(without);
    dc_frame_set_free(&frames);
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_channel_is_shown_beside_the_others),
        cmocka_unit_test(timeline_marks_where_each_file_starts_and_ends),
        cmocka_unit_test(videos_are_listed_with_start_time_and_its_source),
        cmocka_unit_test(record_read_from_json_with_bad_video_indexes_names_no_file),
        cmocka_unit_test(mutated_records_always_give_a_safe_page),
        cmocka_unit_test(one_video_claim_page_is_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
