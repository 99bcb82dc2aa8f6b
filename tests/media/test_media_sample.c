/* The frame sampler on real encodes: every returned frame is the one its timestamp names (the
 * plain scene draws its own time as a bar code), timestamps are within one frame period of the
 * request for H.264, H.265, MJPEG and VFR input, sizes and rotation are honoured. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dashclaim/media.h"
#include "media_test_util.h"
#include "scene_plain.h"

static const struct {
    const char *name, *args;
} inputs[] = {
    {"s_h264.mp4", "--scene plain --size 320x180 --fps 30 --gop 30 --duration 6"},
    {"s_hevc.mp4", "--scene plain --size 320x240 --fps 30 --gop 30 --duration 6 --codec hevc"},
    {"s_mjpeg.avi", "--scene plain --size 320x240 --fps 25 --duration 6 --codec mjpeg"},
    {"s_vfr.mp4", "--scene plain --size 320x240 --fps 30 --gop 30 --duration 6 --damage vfr"},
    {"s_plain320.mp4", "--scene plain --size 320x240 --fps 30 --duration 3 --seed 5"},
    {"s_rot90.mp4", "--scene plain --size 320x240 --fps 30 --duration 3 --seed 5 --rotate 90"},
    {"s_h264.mkv", "--scene plain --size 320x240 --fps 30 --duration 6"},
    {"s_h264.ts", "--scene plain --size 320x240 --fps 30 --duration 6"},
};

static int make_inputs(void **state) {
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (!media_test_video(inputs[i].name, inputs[i].args)) return -1;
    return 0;
}

static dc_media *open_ok(const char *name) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path(name), dc_deadline_in(30), &st);
    if (!m) fail_msg("open %s: %s", name, st.message);
    assert_int_equal(st.code, DC_OK);
    return m;
}

/* The bar code in the frame says which frame it is: it must match the reported timestamp. */
static void assert_frame_is_its_timestamp(const dc_frame *f) {
    long cs = sv_plain_read_clock(f->rgb, f->width, f->height, f->stride);
    long want = lround(f->t_sec * 100);
    if (labs(cs - want) > 1) fail_msg("frame at %.3f s shows clock %ld cs", f->t_sec, cs);
}

static void check_exact(const char *name, double tolerance_periods) {
    dc_media *m = open_ok(name);
    double period = 1.0 / dc_media_get_info(m)->avg_fps;
    dc_sample_request req = {.start_sec = 0.5, .end_sec = 5.5, .count = 12};
    dc_frame_set fs;
    dc_status st;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(60), &fs, &st), DC_OK);
    assert_false(st.degraded);
    assert_int_equal(fs.requested, 12);
    assert_int_equal(fs.count, 12);
    for (int i = 0; i < fs.count; i++) {
        double target = 0.5 + i * 5.0 / 12;
        if (fabs(fs.frames[i].t_sec - target) > tolerance_periods * period + 1e-3)
            fail_msg("%s: frame %d at %.4f s for target %.4f s", name, i, fs.frames[i].t_sec,
                     target);
        assert_frame_is_its_timestamp(&fs.frames[i]);
    }
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

static void exact_h264(void **state) { check_exact("s_h264.mp4", 0.5); }
static void exact_hevc(void **state) { check_exact("s_hevc.mp4", 0.5); }
static void exact_mjpeg(void **state) { check_exact("s_mjpeg.avi", 0.5); }
/* VFR frames last up to 1.5 nominal periods: the nearest is within 0.75 of one. */
static void exact_vfr(void **state) { check_exact("s_vfr.mp4", 1.0); }
static void exact_mkv(void **state) { check_exact("s_h264.mkv", 0.5); }
static void exact_ts(void **state) { check_exact("s_h264.ts", 0.5); }

/* Every frame of the file, in order, each once: the decode-forward path misses nothing. */
static void every_frame_in_order(void **state) {
    dc_media *m = open_ok("s_h264.mp4");
    dc_sample_request req = {.fps = 30};
    dc_frame_set fs;
    dc_status st;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(60), &fs, &st), DC_OK);
    assert_int_equal(fs.count, 180);
    for (int i = 0; i < fs.count; i++) {
        assert_true(fabs(fs.frames[i].t_sec - i / 30.0) < 1e-3);
        if (i % 15 == 0) assert_frame_is_its_timestamp(&fs.frames[i]);
    }
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

static void keyframe_mode_returns_nearest_keyframes(void **state) {
    dc_media *m = open_ok("s_h264.mp4");
    dc_sample_request req = {
        .start_sec = 0.3, .end_sec = 5.3, .count = 5, .mode = DC_SAMPLE_KEYFRAME};
    dc_frame_set fs;
    dc_status st;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(60), &fs, &st), DC_OK);
    assert_int_equal(fs.count, 5);
    for (int i = 0; i < 5; i++) {
        assert_true(fabs(fs.frames[i].t_sec - i) < 1e-3); /* keyframes every 1 s */
        assert_frame_is_its_timestamp(&fs.frames[i]);
    }
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

static void model_size_keeps_aspect_in_units(void **state) {
    dc_media *m = open_ok("s_h264.mp4"); /* 320x180, 16:9 */
    dc_sample_request req = {
        .start_sec = 1, .end_sec = 2, .count = 2, .longest_side = 840, .unit = 28};
    dc_frame_set fs;
    dc_status st;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(60), &fs, &st), DC_OK);
    assert_int_equal(fs.count, 2);
    /* What Qwen2.5-VL's preprocessing gives 16:9 at max_pixels = 512*28*28. */
    assert_int_equal(fs.frames[0].width, 840);
    assert_int_equal(fs.frames[0].height, 476);
    assert_int_equal(fs.frames[0].stride, 840 * 3);
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

static void fps_mode_and_cap(void **state) {
    dc_media *m = open_ok("s_h264.mp4");
    dc_sample_request req = {.start_sec = 1, .end_sec = 3, .fps = 2};
    dc_frame_set fs;
    dc_status st;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(60), &fs, &st), DC_OK);
    assert_int_equal(fs.count, 4);
    for (int i = 0; i < 4; i++) assert_true(fabs(fs.frames[i].t_sec - (1 + 0.5 * i)) < 1e-3);
    dc_frame_set_free(&fs);
    req.max_count = 3;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(60), &fs, &st), DC_OK);
    assert_int_equal(fs.count, 3);
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

static void fewer_frames_than_asked(void **state) {
    dc_media *m = open_ok("s_h264.mp4");
    dc_sample_request req = {.start_sec = 5, .end_sec = 6, .count = 60}; /* 30 frames exist */
    dc_frame_set fs;
    dc_status st;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(60), &fs, &st), DC_OK);
    assert_int_equal(fs.requested, 60);
    assert_int_equal(fs.count, 30);
    assert_true(st.degraded);
    assert_non_null(strstr(st.message, "30 of 60"));
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

/* The rotated file holds the same pictures with a 90-degree display matrix: the sampler must
 * hand out the picture turned clockwise. */
static void rotation_is_honoured(void **state) {
    dc_media *plain = open_ok("s_plain320.mp4"), *rot = open_ok("s_rot90.mp4");
    assert_int_equal(dc_media_get_info(rot)->rotation, 90);
    dc_sample_request req = {.start_sec = 1, .end_sec = 1.2, .count = 1};
    dc_frame_set a, b;
    dc_status st;
    assert_int_equal(dc_frames_sample(plain, &req, dc_deadline_in(60), &a, &st), DC_OK);
    assert_int_equal(dc_frames_sample(rot, &req, dc_deadline_in(60), &b, &st), DC_OK);
    const dc_frame *fa = &a.frames[0], *fb = &b.frames[0];
    assert_int_equal(fb->width, fa->height);
    assert_int_equal(fb->height, fa->width);
    double diff = 0;
    for (int y = 0; y < fb->height; y++)
        for (int x = 0; x < fb->width; x++)
            for (int c = 0; c < 3; c++)
                diff += abs(fb->rgb[y * fb->stride + x * 3 + c] -
                            fa->rgb[(fa->height - 1 - x) * fa->stride + y * 3 + c]);
    diff /= (double)fb->width * fb->height * 3;
    if (diff > 8) fail_msg("rotated frame differs from the turned original by %.1f", diff);
    dc_frame_set_free(&a);
    dc_frame_set_free(&b);
    dc_media_close(plain);
    dc_media_close(rot);
}

static void probe_facts(void **state) {
    dc_media_info info;
    dc_status st;
    assert_int_equal(dc_media_probe(media_test_path("s_h264.mp4"), dc_deadline_in(30), &info, &st),
                     DC_OK);
    assert_string_equal(info.video_codec, "h264");
    assert_non_null(strstr(info.container, "mp4"));
    assert_int_equal(info.width, 320);
    assert_int_equal(info.height, 180);
    assert_true(fabs(info.avg_fps - 30) < 0.01);
    assert_true(fabs(info.duration_sec - 6) < 0.05);
    assert_int_equal(info.duration_source, DC_DURATION_CONTAINER);
    assert_true(fabs(info.keyframe_interval_sec - 1) < 1e-3);
    assert_int_equal(info.keyframe_count, 6);
    assert_true(info.has_audio);
    assert_string_equal(info.audio_codec, "aac");
    assert_int_equal(info.audio_rate, 48000);
    assert_false(info.vfr);
    assert_false(info.truncated);
    /* MPEG-TS has no index: the probe learns the keyframe interval from one demux pass. */
    assert_int_equal(dc_media_probe(media_test_path("s_h264.ts"), dc_deadline_in(30), &info, &st),
                     DC_OK);
    assert_string_equal(info.container, "mpegts");
    assert_true(fabs(info.keyframe_interval_sec - 1) < 0.01);
    assert_int_equal(info.keyframe_count, 6);
    assert_int_equal(dc_media_probe(media_test_path("s_vfr.mp4"), dc_deadline_in(30), &info, &st),
                     DC_OK);
    assert_true(info.vfr);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probe_facts),
        cmocka_unit_test(exact_h264),
        cmocka_unit_test(exact_hevc),
        cmocka_unit_test(exact_mjpeg),
        cmocka_unit_test(exact_vfr),
        cmocka_unit_test(exact_mkv),
        cmocka_unit_test(exact_ts),
        cmocka_unit_test(every_frame_in_order),
        cmocka_unit_test(keyframe_mode_returns_nearest_keyframes),
        cmocka_unit_test(model_size_keeps_aspect_in_units),
        cmocka_unit_test(fps_mode_and_cap),
        cmocka_unit_test(fewer_frames_than_asked),
        cmocka_unit_test(rotation_is_honoured),
    };
    return cmocka_run_group_tests(tests, make_inputs, NULL);
}
