/* The sampler's two ways of decoding give the same answer: one task per keyframe group on
 * several threads (decode_workers = 4, whatever the machine's cores) and one decoder
 * reading forward (= 1). Same timestamps, the same pixels, and every frame is the one its
 * timestamp names (the plain scene draws its clock), over codecs, containers, B-frames,
 * all-intra video, VFR, rotation and damaged files, and requests that hit GOP edges. */
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
    bool damaged; /* frames after damage may be concealed differently: timestamps only */
    bool turned;  /* rotated: the clock is no longer a row along the top */
} inputs[] = {
    {.name = "p_h264.mp4", .args = "--scene plain --size 320x240 --fps 30 --gop 30 --duration 6"},
    {.name = "p_bframes.mp4",
     .args = "--scene plain --size 320x240 --fps 30 --gop 30 --duration 6 --bframes 3"},
    {.name = "p_bframes.mkv",
     .args = "--scene plain --size 320x240 --fps 30 --gop 30 --duration 6 --bframes 3"},
    {.name = "p_hevc.mp4",
     .args =
         "--scene plain --size 320x240 --fps 30 --gop 30 --duration 6 --codec hevc --bframes 2"},
    {.name = "p_mjpeg.avi",
     .args = "--scene plain --size 320x240 --fps 25 --duration 4 --codec mjpeg"},
    {.name = "p_h264.ts", .args = "--scene plain --size 320x240 --fps 30 --gop 30 --duration 6"},
    {.name = "p_vfr.mp4",
     .args = "--scene plain --size 320x240 --fps 30 --gop 30 --duration 6 --damage vfr"},
    {.name = "p_rot90.mp4",
     .args = "--scene plain --size 320x240 --fps 30 --duration 4 --rotate 90",
     .turned = true},
    {.name = "p_moov_end.mp4",
     .args = "--scene plain --size 320x240 --duration 4 --damage moov-end"},
    {.name = "p_truncate.mp4",
     .args = "--scene plain --size 320x240 --duration 6 --damage truncate",
     .damaged = true},
    {.name = "p_corrupt.mp4",
     .args = "--scene plain --size 320x240 --duration 6 --damage corrupt",
     .damaged = true},
};
#define INPUT_COUNT (sizeof inputs / sizeof inputs[0])

static const struct {
    const char *what;
    dc_sample_request req;
    bool four_groups; /* spans at least four keyframe groups on every input */
} requests[] = {
    {"12 uniform", {.start_sec = 0.5, .end_sec = 5.5, .count = 12}, true},
    /* Just before each keyframe: the nearest frame is the next GOP's keyframe or the last
     * frame of this GOP, which a B-frame stream decodes after that keyframe. */
    {"GOP edges", {.start_sec = 0.99, .end_sec = 5.99, .fps = 1}, true},
    {"every frame", {.fps = 30}, true},
    {"closer than frames", {.start_sec = 2, .end_sec = 3, .count = 90}, false},
    {"past the end", {.start_sec = 4, .end_sec = 0, .count = 40}, false},
    {"keyframes",
     {.start_sec = 0.3, .end_sec = 5.3, .count = 5, .mode = DC_SAMPLE_KEYFRAME},
     false},
    {"model size",
     {.start_sec = 1, .end_sec = 5, .count = 8, .longest_side = 840, .unit = 28},
     false},
};
#define REQUEST_COUNT (sizeof requests / sizeof requests[0])

static int make_inputs(void **state) {
    for (size_t i = 0; i < INPUT_COUNT; i++)
        if (!media_test_video(inputs[i].name, inputs[i].args)) return -1;
    return 0;
}

static dc_error_class sample_with(int workers, dc_media *m, const dc_sample_request *r,
                                  dc_frame_set *fs, dc_status *st) {
    dc_sample_request req = *r;
    req.decode_workers = workers;
    return dc_frames_sample(m, &req, dc_deadline_in(60), fs, st);
}

static void assert_clock(const char *what, const dc_frame *f) {
    long cs = sv_plain_read_clock(f->rgb, f->width, f->height, f->stride);
    if (labs(cs - lround(f->t_sec * 100)) > 1)
        fail_msg("%s: frame at %.3f s shows clock %ld cs", what, f->t_sec, cs);
}

static void compare(size_t in, size_t rq) {
    char what[160];
    snprintf(what, sizeof what, "%s, %s", inputs[in].name, requests[rq].what);
    dc_status st1, stn;
    dc_media *m = dc_media_open(media_test_path(inputs[in].name), dc_deadline_in(30), &st1);
    if (!m) fail_msg("open %s: %s", inputs[in].name, st1.message);
    dc_frame_set one, many;
    dc_error_class e1 = sample_with(1, m, &requests[rq].req, &one, &st1);
    dc_error_class en = sample_with(4, m, &requests[rq].req, &many, &stn);
    if (e1 != en || st1.degraded != stn.degraded)
        fail_msg("%s: forward %d%s (%s), parallel %d%s (%s)", what, e1,
                 st1.degraded ? " degraded" : "", st1.message, en, stn.degraded ? " degraded" : "",
                 stn.message);
    /* 1 must run the forward path, and 4 the tasks wherever a request spans four keyframe
     * groups (every input here is seekable and indexed). */
    if (e1 == DC_OK) assert_int_equal(one.decode_workers, 1);
    if (requests[rq].four_groups && many.decode_workers != 4)
        fail_msg("%s: %d decoding threads, not 4", what, many.decode_workers);
    if (one.count != many.count || one.requested != many.requested)
        fail_msg("%s: forward %d of %d frames, parallel %d of %d", what, one.count, one.requested,
                 many.count, many.requested);
    for (int i = 0; i < one.count; i++) {
        const dc_frame *a = &one.frames[i], *b = &many.frames[i];
        if (fabs(a->t_sec - b->t_sec) > 1e-6)
            fail_msg("%s: frame %d at %.4f s forward, %.4f s parallel", what, i, a->t_sec,
                     b->t_sec);
        assert_int_equal(a->width, b->width);
        assert_int_equal(a->height, b->height);
        if (!inputs[in].damaged) {
            for (int y = 0; y < a->height; y++)
                if (memcmp(a->rgb + (size_t)y * a->stride, b->rgb + (size_t)y * b->stride,
                           (size_t)a->width * 3))
                    fail_msg("%s: frame %d at %.4f s differs in row %d", what, i, a->t_sec, y);
            if (i % 5 == 0 && !inputs[in].turned) assert_clock(what, b);
        }
    }
    dc_frame_set_free(&one);
    dc_frame_set_free(&many);
    dc_media_close(m);
}

static void parallel_matches_forward(void **state) {
    for (size_t in = 0; in < INPUT_COUNT; in++)
        for (size_t rq = 0; rq < REQUEST_COUNT; rq++) compare(in, rq);
}

/* A B-frame stream decodes frames after a keyframe that are shown before it: the last frame
 * of a GOP must still come back for a target just before the next keyframe. */
static void bframes_gop_edge_frames_exist(void **state) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path("p_bframes.mp4"), dc_deadline_in(30), &st);
    assert_non_null(m);
    dc_sample_request req = {.start_sec = 29.0 / 30, .end_sec = 5, .fps = 1}; /* frame 29, 59.. */
    dc_frame_set fs;
    assert_int_equal(sample_with(4, m, &req, &fs, &st), DC_OK);
    assert_int_equal(fs.count, 5);
    for (int i = 0; i < fs.count; i++) {
        assert_true(fabs(fs.frames[i].t_sec - (29 + 30 * i) / 30.0) < 1e-3);
        assert_clock("GOP's last frame", &fs.frames[i]);
    }
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

/* The worker threads stop at the deadline too, and nothing is left behind (ASan build). */
static void parallel_stops_at_deadline(void **state) {
    const char *path = media_test_video(
        "p_long.mp4", "--scene plain --size 1280x720 --fps 30 --gop 15 --duration 30");
    assert_non_null(path);
    dc_status st;
    dc_media *m = dc_media_open(path, dc_deadline_in(30), &st);
    assert_non_null(m);
    double budget = 0.2, started = dc_now();
    /* 900 frames, far more than the budget allows; small outputs, because freeing hundreds
     * of full-size frames is what takes the time under ASan, not the sampler's stop. */
    dc_sample_request req = {.fps = 30, .longest_side = 160, .decode_workers = 2};
    dc_frame_set fs;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(budget), &fs, &st), DC_ERR_TIMEOUT);
    double took = dc_now() - started;
    dc_media_close(m);
    if (took > budget * 1.1 + 0.1) fail_msg("returned after %.3f s for %.3f s", took, budget);
    assert_non_null(strstr(st.message, "p_long.mp4"));
    assert_int_equal(fs.count, 0);
    assert_null(fs.frames);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parallel_matches_forward),
        cmocka_unit_test(bframes_gop_edge_frames_exist),
        cmocka_unit_test(parallel_stops_at_deadline),
    };
    return cmocka_run_group_tests(tests, make_inputs, NULL);
}
