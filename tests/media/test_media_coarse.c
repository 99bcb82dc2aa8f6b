/* The coarse pass for mining: one thumbnail per keyframe (through the container index, or a
 * demux scan for MPEG-TS), every k-th frame, ranges; audio as mono PCM at the asked rate,
 * aligned with the video clock. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dashclaim/media.h"
#include "media_test_util.h"

static const struct {
    const char *name, *args;
} inputs[] = {
    {"c_h264.mp4", "--scene plain --size 320x180 --fps 30 --gop 30 --duration 6"},
    {"c_hevc.mp4", "--scene plain --size 320x240 --fps 30 --gop 15 --duration 4 --codec hevc"},
    {"c_h264.ts", "--scene plain --size 320x240 --fps 30 --gop 30 --duration 5"},
    {"c_h264.mkv", "--scene plain --size 320x240 --fps 30 --gop 30 --duration 5"},
};

static int make_inputs(void **state) {
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (!media_test_video(inputs[i].name, inputs[i].args)) return -1;
    return 0;
}

static void check_keyframe_thumbs(const char *name, int expected, double gop_sec) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path(name), dc_deadline_in(30), &st);
    assert_non_null(m);
    dc_thumb_request req = {.width = 160, .height = 90};
    dc_thumb_set ts;
    assert_int_equal(dc_media_thumbnails(m, &req, dc_deadline_in(30), &ts, &st), DC_OK);
    if (ts.count != expected) fail_msg("%s: %d thumbnails, want %d", name, ts.count, expected);
    /* One per keyframe: the index (built on demand for containers without one) agrees. */
    assert_int_equal(dc_media_get_info(m)->keyframe_count, expected);
    assert_int_equal(ts.width, 160);
    assert_int_equal(ts.height, 90);
    for (int i = 0; i < ts.count; i++) {
        assert_true(ts.thumbs[i].keyframe);
        if (fabs(ts.thumbs[i].t_sec - i * gop_sec) > 1e-3)
            fail_msg("%s: thumbnail %d at %.3f s", name, i, ts.thumbs[i].t_sec);
    }
    /* The scene moves: consecutive thumbnails differ. */
    assert_memory_not_equal(ts.thumbs[0].gray, ts.thumbs[1].gray, 160 * 90);
    dc_thumb_set_free(&ts);
    dc_media_close(m);
}

static void keyframes_mp4(void **state) { check_keyframe_thumbs("c_h264.mp4", 6, 1.0); }
static void keyframes_hevc_with_bframes(void **state) {
    check_keyframe_thumbs("c_hevc.mp4", 8, 0.5);
}
static void keyframes_ts_by_scan(void **state) { check_keyframe_thumbs("c_h264.ts", 5, 1.0); }
/* Matroska cues index one keyframe per cluster, not all: the pass must still find all. */
static void keyframes_mkv(void **state) { check_keyframe_thumbs("c_h264.mkv", 5, 1.0); }

/* Every other keyframe: through the index (MP4) and by scanning (MPEG-TS), the same frames
 * as the full pass at even positions, half as many decoded. */
static void check_key_stride(const char *name, int keys, double gop_sec) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path(name), dc_deadline_in(30), &st);
    assert_non_null(m);
    dc_thumb_request req = {.width = 64, .height = 36, .key_stride = 2};
    dc_thumb_set ts;
    assert_int_equal(dc_media_thumbnails(m, &req, dc_deadline_in(30), &ts, &st), DC_OK);
    if (ts.count != (keys + 1) / 2)
        fail_msg("%s: %d thumbnails, want %d", name, ts.count, (keys + 1) / 2);
    for (int i = 0; i < ts.count; i++)
        if (fabs(ts.thumbs[i].t_sec - 2 * i * gop_sec) > 1e-3)
            fail_msg("%s: thumbnail %d at %.3f s", name, i, ts.thumbs[i].t_sec);
    dc_thumb_set_free(&ts);
    dc_media_close(m);
}

static void every_other_keyframe(void **state) {
    (void)state;
    check_key_stride("c_h264.mp4", 6, 1.0);
    check_key_stride("c_h264.ts", 5, 1.0);
}

static void every_kth_and_range(void **state) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path("c_h264.mp4"), dc_deadline_in(30), &st);
    assert_non_null(m);
    dc_thumb_request req = {.width = 64, .height = 36, .every_kth = 10};
    dc_thumb_set ts;
    assert_int_equal(dc_media_thumbnails(m, &req, dc_deadline_in(30), &ts, &st), DC_OK);
    assert_int_equal(ts.count, 18); /* 180 frames; keyframes (every 30th) are among them */
    for (int i = 0; i < ts.count; i++) {
        assert_true(fabs(ts.thumbs[i].t_sec - i / 3.0) < 1e-3);
        assert_int_equal(ts.thumbs[i].keyframe, i % 3 == 0);
    }
    dc_thumb_set_free(&ts);
    dc_thumb_request range = {.width = 64, .height = 36, .start_sec = 2, .end_sec = 4.5};
    assert_int_equal(dc_media_thumbnails(m, &range, dc_deadline_in(30), &ts, &st), DC_OK);
    assert_int_equal(ts.count, 3);
    assert_true(fabs(ts.thumbs[0].t_sec - 2) < 1e-3);
    assert_true(fabs(ts.thumbs[2].t_sec - 4) < 1e-3);
    dc_thumb_set_free(&ts);
    dc_media_close(m);
}

static double rms(const float *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return n ? sqrt(s / n) : 0;
}

static void audio_mono_pcm_aligned(void **state) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path("c_h264.mp4"), dc_deadline_in(30), &st);
    assert_non_null(m);
    dc_pcm pcm;
    assert_int_equal(dc_media_audio(m, 0, 0, 16000, dc_deadline_in(30), &pcm, &st), DC_OK);
    assert_int_equal(pcm.rate, 16000);
    assert_true(fabs(pcm.start_sec) < 0.01);
    assert_true(fabs((double)pcm.count - 6 * 16000) < 16000 * 0.05);
    dc_pcm_free(&pcm);

    assert_int_equal(dc_media_audio(m, 1.0, 3.0, 16000, dc_deadline_in(30), &pcm, &st), DC_OK);
    assert_true(fabs(pcm.start_sec - 1.0) < 2.0 / 16000);
    assert_true(labs((long)pcm.count - 32000) <= 2);
    /* The plain scene beeps (1 kHz at 0.6 over a 0.2 tone) in [2.00, 2.25) s only. */
    size_t at = (size_t)((2.03 - pcm.start_sec) * 16000);
    double beep = rms(pcm.samples + at, (size_t)(0.19 * 16000));
    at = (size_t)((2.30 - pcm.start_sec) * 16000);
    double tone = rms(pcm.samples + at, (size_t)(0.4 * 16000));
    at = (size_t)((1.50 - pcm.start_sec) * 16000);
    double before = rms(pcm.samples + at, (size_t)(0.45 * 16000));
    if (!(beep > 0.35 && tone < 0.2 && tone > 0.1 && before < 0.2))
        fail_msg("beep rms %.3f, tone after %.3f, before %.3f", beep, tone, before);
    for (size_t i = 0; i < pcm.count; i++) assert_true(fabsf(pcm.samples[i]) <= 1.0f);
    dc_pcm_free(&pcm);
    dc_media_close(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyframes_mp4),          cmocka_unit_test(keyframes_hevc_with_bframes),
        cmocka_unit_test(keyframes_ts_by_scan),   cmocka_unit_test(keyframes_mkv),
        cmocka_unit_test(every_other_keyframe),   cmocka_unit_test(every_kth_and_range),
        cmocka_unit_test(audio_mono_pcm_aligned),
    };
    return cmocka_run_group_tests(tests, make_inputs, NULL);
}
