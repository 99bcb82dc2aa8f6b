/* The claim page as a browser shows it: scripts/render-report screenshots a page in
 * headless Chromium, and the PNG (decoded with libavcodec's PNG decoder) must show the red
 * HIGH banner and each evidence thumbnail, and a claim's two cameras side by side. Skipped
 * (exit 77) where chromium is not installed; it is not a build dependency. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <libavcodec/avcodec.h>

#include "dashclaim/claim.h"
#include "dashclaim/report.h"
#include "report_test_util.h"

#define SHOT_W 1280
#define SHOT_H 1400

static bool have_chromium(void) {
    return system("command -v chromium >/dev/null 2>&1 || "
                  "command -v chromium-browser >/dev/null 2>&1") == 0;
}

/* Three flat-colour 640x360 frames: red 40 / 100 / 160, green 90, blue 160. */
static void make_frames(dc_frame_set *set) {
    set->frames = calloc(3, sizeof *set->frames);
    assert_non_null(set->frames);
    set->count = set->requested = 3;
    for (int i = 0; i < 3; i++) {
        dc_frame *f = &set->frames[i];
        f->width = 640;
        f->height = 360;
        f->stride = 640 * 3;
        f->t_sec = 10.0 + i;
        f->rgb = malloc((size_t)f->stride * 360);
        assert_non_null(f->rgb);
        for (size_t p = 0; p < 640u * 360u; p++) {
            f->rgb[p * 3 + 0] = (uint8_t)(40 + 60 * i);
            f->rgb[p * 3 + 1] = 90;
            f->rgb[p * 3 + 2] = 160;
        }
    }
}

static void make_claim(dc_assessment *a) {
    dc_assessment_init(a);
    snprintf(a->video.path, sizeof a->video.path, "/videos/render.mp4");
    a->video.duration_sec = 30;
    a->severity = DC_SEVERITY_HIGH;
    a->severity_probs[DC_SEVERITY_HIGH] = 0.8;
    a->severity_probs[DC_SEVERITY_MEDIUM] = 0.2;
    a->prediction_set = 1u << DC_SEVERITY_HIGH;
    a->review_priority = DC_PRIORITY_URGENT;
    a->recommended_action = DC_RECOMMEND_REVIEW;
    a->window_count = 1;
    a->windows[0] = (dc_window){.start_sec = 9, .end_sec = 13, .peak_sec = 11, .danger = 0.9};
    a->evidence_count = 3;
    for (int i = 0; i < 3; i++) {
        a->evidence[i] = (dc_evidence){.t_sec = 10.0 + i, .frame = i};
        snprintf(a->evidence[i].description, sizeof a->evidence[i].description, "frame %d", i);
    }
    /* were it not escaped, Chromium would run this and blank the page: the pixel checks
     * below would fail */
    snprintf(a->reasoning, sizeof a->reasoning, "<script>document.body.innerHTML=''</script>");
}

/* Decodes a PNG file into packed RGB (alpha dropped); caller frees. */
static uint8_t *decode_png(const char *path, int *w, int *h) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(size > 8);
    AVPacket *pkt = av_packet_alloc();
    assert_non_null(pkt);
    assert_int_equal(av_new_packet(pkt, (int)size), 0);
    assert_int_equal(fread(pkt->data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    assert_memory_equal(pkt->data, "\x89PNG\r\n\x1a\n", 8);

    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_PNG);
    assert_non_null(codec);
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    assert_non_null(ctx);
    assert_int_equal(avcodec_open2(ctx, codec, NULL), 0);
    AVFrame *frame = av_frame_alloc();
    assert_non_null(frame);
    assert_int_equal(avcodec_send_packet(ctx, pkt), 0);
    assert_int_equal(avcodec_receive_frame(ctx, frame), 0);
    int bpp = frame->format == AV_PIX_FMT_RGBA ? 4 : frame->format == AV_PIX_FMT_RGB24 ? 3 : 0;
    assert_true(bpp > 0);
    *w = frame->width;
    *h = frame->height;
    uint8_t *rgb = malloc((size_t)*w * (size_t)*h * 3);
    assert_non_null(rgb);
    for (int y = 0; y < *h; y++)
        for (int x = 0; x < *w; x++)
            memcpy(rgb + ((size_t)y * *w + x) * 3,
                   frame->data[0] + (size_t)y * frame->linesize[0] + (size_t)x * bpp, 3);
    av_frame_free(&frame);
    avcodec_free_context(&ctx);
    av_packet_free(&pkt);
    return rgb;
}

static int count_colour(const uint8_t *rgb, int w, int h, int r, int g, int b, int tol) {
    int n = 0;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        const uint8_t *p = rgb + i * 3;
        if (abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol) n++;
    }
    return n;
}

static void claim_page_renders_banner_and_thumbnails(void **state) {
    (void)state;
    const char *src = getenv("DC_SOURCE_DIR");
    assert_non_null(src);
    char *dir = test_tmp_dir("report-render");
    char *page = test_path(dir, "claim.html");
    char *png = test_path(dir, "claim.png");
    dc_assessment *a = malloc(sizeof *a);
    make_claim(a);
    dc_frame_set frames = {0};
    make_frames(&frames);
    dc_report_inputs in = {.frames = &frames};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(page, a, &in, &st), DC_OK);

    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s/scripts/render-report' '%s' '%s' %dx%d >/dev/null", src, page,
             png, SHOT_W, SHOT_H);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 0);

    int w = 0, h = 0;
    uint8_t *rgb = decode_png(png, &w, &h);
    assert_int_equal(w, SHOT_W);
    assert_int_equal(h, SHOT_H);
    /* the HIGH banner (#b42318) spans the page width, ~90 px tall */
    int banner = count_colour(rgb, w, h, 0xb4, 0x23, 0x18, 4);
    print_message("banner pixels: %d\n", banner);
    assert_true(banner > 50000);
    /* each thumbnail is a flat block of its frame's colour, ~260x146 px on the page */
    for (int i = 0; i < 3; i++) {
        int n = count_colour(rgb, w, h, 40 + 60 * i, 90, 160, 8);
        print_message("thumbnail %d pixels: %d\n", i, n);
        assert_true(n > 20000);
    }
    free(rgb);
    dc_frame_set_free(&frames);
    free(a);
    free(png);
    free(page);
    free(dir);
}

/* Mean x and y of the pixels of one colour; false when there are fewer than min of them. */
static bool colour_centre(const uint8_t *rgb, int w, int h, int r, int g, int b, int min,
                          double *cx, double *cy) {
    double sx = 0, sy = 0;
    int n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            if (abs(p[0] - r) > 8 || abs(p[1] - g) > 8 || abs(p[2] - b) > 8) continue;
            sx += x;
            sy += y;
            n++;
        }
    if (n < min) return false;
    *cx = sx / n;
    *cy = sy / n;
    return true;
}

/* A claim of a front and a rear file: at the evidence time the two cameras' frames are on
 * the screen side by side (same height, front on the left), not one under the other. */
static void two_channels_render_side_by_side(void **state) {
    (void)state;
    const char *src = getenv("DC_SOURCE_DIR");
    assert_non_null(src);
    char *dir = test_tmp_dir("report-render-channels");
    char *page = test_path(dir, "claim.html");
    char *png = test_path(dir, "claim.png");
    dc_assessment *a = malloc(sizeof *a);
    make_claim(a);
    a->video_count = 2;
    a->videos[0] = (dc_claim_video){.role = DC_ROLE_FRONT, .duration_sec = 30};
    a->videos[1] = (dc_claim_video){.role = DC_ROLE_REAR, .duration_sec = 30};
    snprintf(a->videos[0].path, sizeof a->videos[0].path, "/videos/render_NF.mp4");
    snprintf(a->videos[1].path, sizeof a->videos[1].path, "/videos/render_NR.mp4");
    a->evidence_count = 1;
    a->evidence[0] = (dc_evidence){.t_sec = 10.0, .frame = 0};
    dc_frame_set frames = {0};
    make_frames(&frames);
    frames.frames[1].t_sec = 10.0; /* frame 1: the rear camera at the same instant */
    frames.frames[1].video = 1;
    dc_report_inputs in = {.frames = &frames};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_write_claim_html(page, a, &in, &st), DC_OK);

    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s/scripts/render-report' '%s' '%s' %dx%d >/dev/null", src, page,
             png, SHOT_W, SHOT_H);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 0);
    int w = 0, h = 0;
    uint8_t *rgb = decode_png(png, &w, &h);
    double fx = 0, fy = 0, rx = 0, ry = 0;
    assert_true(colour_centre(rgb, w, h, 40, 90, 160, 20000, &fx, &fy));
    assert_true(colour_centre(rgb, w, h, 100, 90, 160, 20000, &rx, &ry));
    print_message("front frame at (%.0f, %.0f), rear frame at (%.0f, %.0f)\n", fx, fy, rx, ry);
    assert_true(fabs(fy - ry) < 4);
    assert_true(rx - fx > 200);
    free(rgb);
    dc_frame_set_free(&frames);
    free(a);
    free(png);
    free(page);
    free(dir);
}

int main(void) {
    if (!have_chromium()) {
        fprintf(stderr, "test_report_render: chromium is not installed "
                        "(apt-get install -y chromium); skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(claim_page_renders_banner_and_thumbnails),
        cmocka_unit_test(two_channels_render_side_by_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
