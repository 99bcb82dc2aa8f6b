/* Damaged and wrong inputs: each gives the right status and a message naming the file and the
 * problem, returns what can be decoded, and leaks nothing (this suite also runs under ASan). */
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
    {"d_truncate.mp4", "--scene plain --size 320x240 --duration 6 --damage truncate"},
    {"d_corrupt.mp4", "--scene plain --size 320x240 --duration 6 --damage corrupt"},
    {"d_corrupt_mjpeg.mp4",
     "--scene plain --size 320x240 --duration 4 --damage corrupt --codec mjpeg"},
    {"d_noaudio.mp4", "--scene plain --size 320x240 --duration 3 --damage noaudio"},
    {"d_moov_end.mp4", "--scene plain --size 320x240 --duration 3 --damage moov-end"},
};

static int make_inputs(void **state) {
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (!media_test_video(inputs[i].name, inputs[i].args)) return -1;
    return 0;
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void assert_open_fails(const char *path, dc_error_class code, const char *words) {
    dc_status st;
    dc_media *m = dc_media_open(path, dc_deadline_in(10), &st);
    assert_null(m);
    assert_int_equal(st.code, code);
    if (!strstr(st.message, words) || !strstr(st.message, path))
        fail_msg("message '%s' should name %s and say '%s'", st.message, path, words);
    dc_media_info info;
    assert_int_equal(dc_media_probe(path, dc_deadline_in(10), &info, &st), code);
}

static void missing_file(void **state) {
    assert_open_fails(media_test_path("no-such-video.mp4"), DC_ERR_INPUT, "no such file");
}

static void zero_length(void **state) {
    const char *p = media_test_path("d_empty.mp4");
    char path[4096];
    snprintf(path, sizeof path, "%s", p);
    write_file(path, "", 0);
    assert_open_fails(path, DC_ERR_INPUT, "empty file");
}

static void not_media(void **state) {
    char path[4096];
    snprintf(path, sizeof path, "%s", media_test_path("d_notes.mp4"));
    char text[4096];
    for (size_t i = 0; i < sizeof text; i++) text[i] = "claim notes, not a video\n"[i % 25];
    write_file(path, text, sizeof text);
    assert_open_fails(path, DC_ERR_INPUT, "not a media file");
}

/* A WAV file: a real media file, but no picture. */
static void no_video_stream(void **state) {
    char path[4096];
    snprintf(path, sizeof path, "%s", media_test_path("d_audio_only.wav"));
    enum { RATE = 8000, N = 8000 };
    static uint8_t wav[44 + 2 * N];
    uint32_t data_bytes = 2 * N;
    memcpy(wav, "RIFF", 4);
    uint32_t riff = 36 + data_bytes, fmt_len = 16, rate = RATE, byte_rate = 2 * RATE;
    uint16_t pcm = 1, channels = 1, align = 2, bits = 16;
    memcpy(wav + 4, &riff, 4);
    memcpy(wav + 8, "WAVEfmt ", 8);
    memcpy(wav + 16, &fmt_len, 4);
    memcpy(wav + 20, &pcm, 2);
    memcpy(wav + 22, &channels, 2);
    memcpy(wav + 24, &rate, 4);
    memcpy(wav + 28, &byte_rate, 4);
    memcpy(wav + 32, &align, 2);
    memcpy(wav + 34, &bits, 2);
    memcpy(wav + 36, "data", 4);
    memcpy(wav + 40, &data_bytes, 4);
    write_file(path, wav, sizeof wav);
    assert_open_fails(path, DC_ERR_INPUT, "no video stream");
}

static void truncated_returns_what_decodes(void **state) {
    const char *p = media_test_path("d_truncate.mp4");
    dc_status st;
    dc_media *m = dc_media_open(p, dc_deadline_in(10), &st);
    assert_non_null(m);
    assert_int_equal(st.code, DC_OK);
    assert_true(st.degraded);
    const dc_media_info *info = dc_media_get_info(m);
    assert_true(info->truncated);
    assert_true(info->last_good_sec > 1 && info->last_good_sec < 5.5);

    dc_sample_request req = {.count = 12}; /* over the whole stated 6 s */
    dc_frame_set fs;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(30), &fs, &st), DC_OK);
    assert_true(st.degraded);
    assert_true(fs.count > 0 && fs.count < fs.requested);
    assert_true(fs.frames[fs.count - 1].t_sec <= info->last_good_sec + 1e-6);
    char last[32];
    snprintf(last, sizeof last, "%.3f s", info->last_good_sec);
    if (!strstr(st.message, last) || !strstr(st.message, "truncated"))
        fail_msg("message '%s' should name the last good time %s", st.message, last);
    dc_frame_set_free(&fs);

    dc_thumb_request tr = {.width = 80, .height = 60};
    dc_thumb_set ts;
    assert_int_equal(dc_media_thumbnails(m, &tr, dc_deadline_in(30), &ts, &st), DC_OK);
    assert_true(st.degraded);
    assert_true(ts.count >= 2 && ts.count < 6);
    dc_thumb_set_free(&ts);

    dc_pcm pcm;
    assert_int_equal(dc_media_audio(m, 0, 0, 16000, dc_deadline_in(30), &pcm, &st), DC_OK);
    assert_true(st.degraded);
    assert_true(pcm.count > 16000 && pcm.count < 6 * 16000);
    dc_pcm_free(&pcm);
    dc_media_close(m);
}

static void check_corrupt(const char *name) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path(name), dc_deadline_in(10), &st);
    assert_non_null(m);
    dc_sample_request req = {.fps = 30};
    dc_frame_set fs;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(30), &fs, &st), DC_OK);
    assert_true(st.degraded);
    if (!strstr(st.message, "corrupt")) fail_msg("message: %s", st.message);
    /* Most frames still arrive; the corrupt ones are skipped, not fatal. */
    assert_true(fs.count > fs.requested * 8 / 10);
    dc_frame_set_free(&fs);
    dc_thumb_request tr = {.width = 80, .height = 60, .every_kth = 1};
    dc_thumb_set ts;
    assert_int_equal(dc_media_thumbnails(m, &tr, dc_deadline_in(30), &ts, &st), DC_OK);
    assert_true(ts.corrupt_packets > 0);
    assert_true(st.degraded);
    dc_thumb_set_free(&ts);
    dc_media_close(m);
}

static void corrupt_h264(void **state) { check_corrupt("d_corrupt.mp4"); }
static void corrupt_mjpeg(void **state) { check_corrupt("d_corrupt_mjpeg.mp4"); }

static void no_audio(void **state) {
    dc_status st;
    const char *p = media_test_path("d_noaudio.mp4");
    dc_media *m = dc_media_open(p, dc_deadline_in(10), &st);
    assert_non_null(m);
    assert_false(dc_media_get_info(m)->has_audio);
    dc_pcm pcm;
    assert_int_equal(dc_media_audio(m, 0, 0, 16000, dc_deadline_in(10), &pcm, &st), DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "no audio"));
    assert_null(pcm.samples);
    /* Video is unaffected. */
    dc_sample_request req = {.count = 3};
    dc_frame_set fs;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(10), &fs, &st), DC_OK);
    assert_int_equal(fs.count, 3);
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

static void moov_at_end(void **state) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path("d_moov_end.mp4"), dc_deadline_in(10), &st);
    assert_non_null(m);
    assert_false(st.degraded);
    assert_true(fabs(dc_media_get_info(m)->duration_sec - 3) < 0.05);
    dc_sample_request req = {.count = 6};
    dc_frame_set fs;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(10), &fs, &st), DC_OK);
    assert_int_equal(fs.count, 6);
    assert_false(st.degraded);
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

static void bad_requests(void **state) {
    dc_status st;
    dc_media *m = dc_media_open(media_test_path("d_moov_end.mp4"), dc_deadline_in(10), &st);
    assert_non_null(m);
    dc_frame_set fs;
    dc_sample_request none = {0};
    assert_int_equal(dc_frames_sample(m, &none, dc_deadline_in(10), &fs, &st), DC_ERR_INPUT);
    dc_sample_request past = {.start_sec = 10, .end_sec = 20, .count = 2};
    assert_int_equal(dc_frames_sample(m, &past, dc_deadline_in(10), &fs, &st), DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "past the end"));
    assert_null(fs.frames);
    dc_thumb_request bad = {.width = 0, .height = 10};
    dc_thumb_set ts;
    assert_int_equal(dc_media_thumbnails(m, &bad, dc_deadline_in(10), &ts, &st), DC_ERR_INPUT);
    dc_media_close(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_file),
        cmocka_unit_test(zero_length),
        cmocka_unit_test(not_media),
        cmocka_unit_test(no_video_stream),
        cmocka_unit_test(truncated_returns_what_decodes),
        cmocka_unit_test(corrupt_h264),
        cmocka_unit_test(corrupt_mjpeg),
        cmocka_unit_test(no_audio),
        cmocka_unit_test(moov_at_end),
        cmocka_unit_test(bad_requests),
    };
    return cmocka_run_group_tests(tests, make_inputs, NULL);
}
