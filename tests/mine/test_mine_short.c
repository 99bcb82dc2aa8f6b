/* The videos users actually send: short clips encoded with x264's defaults (one keyframe,
 * B-frames, no sound), a crash between other vehicles ahead, motion-only videos. Every one gets
 * mined (no failure), a video no longer than the largest window is one window covering it all,
 * and when mining is unsure its windows are wider. Inputs: synth-video, re-encoded by the
 * ffmpeg CLI the way phones and messengers re-encode uploads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mine_test_util.h"

/* Re-encodes src with x264's defaults (GOP 250, B-frames), sound dropped; keeps the label. */
static const char *reencode_default(const char *src, const char *name, int size_w, int size_h) {
    static char dst[4096];
    const char *tmp = getenv("DC_TEST_TMP");
    if (!tmp || !src) return NULL;
    snprintf(dst, sizeof dst, "%s/mine-%s.mp4", tmp, name);
    char cmd[10000];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -i %s -vf scale=%d:%d -c:v libx264 -an %s && "
             "cp %s.label.json %s.label.json",
             src, size_w, size_h, dst, src, dst);
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        return NULL;
    }
    return dst;
}

static void check_one_whole_window(const char *path, double incident) {
    dc_mine_result r;
    dc_status st;
    assert_int_equal(mt_mine(path, &r, &st), DC_OK);
    print_message("%s: windows %d [%.2f, %.2f] of %.2f s, coarse every %d, %d thumbs\n", path,
                  r.window_count, r.windows[0].start_sec, r.windows[0].end_sec, r.duration_sec,
                  r.coarse_every_kth, r.frames_seen);
    assert_int_equal(r.window_count, 1);
    assert_true(r.windows[0].start_sec == 0.0);
    assert_true(fabs(r.windows[0].end_sec - r.duration_sec) < 1e-9);
    if (incident >= 0) assert_true(mt_window_contains(&r.windows[0], incident));
    /* one keyframe: the coarse pass must not rely on keyframes */
    assert_true(r.coarse_every_kth > 0);
    assert_true(r.has_video);
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    assert_int_equal(dc_signals_assess(&r, a, &st), DC_OK);
    assert_int_equal(a->window_count, 1);
    free(a);
    dc_mine_result_free(&r);
}

/* 1-5 s clips with one keyframe and no sound used to fail ("neither audio nor frames") */
static void test_short_clips_default_gop(void **state) {
    (void)state;
    static const double lengths[] = {1.0, 2.5, 5.0};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "short-src-%d", i);
        double d = lengths[i], inc = d * 0.7;
        const char *src = mt_make_video(name, "collision", 31 + i, d, inc, NULL, NULL);
        assert_non_null(src);
        snprintf(name, sizeof name, "short-x264-%d", i);
        const char *path = reencode_default(src, name, 320, 180);
        assert_non_null(path);
        check_one_whole_window(path, inc);
    }
}

/* The real crash clips of the issue: 5 s, no sound, a crash between others ahead at 4.5 s.
 * The first window used to be 0-3.5 s: whoever looked next never saw the crash. */
static void test_crash_ahead_clip_shown_whole(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    assert_non_null(tmp);
    assert_non_null(bin);
    char path[4096], cmd[9000];
    snprintf(path, sizeof path, "%s/mine-crash-ahead.mp4", tmp);
    snprintf(cmd, sizeof cmd,
             "%s/synth-video --scene crash-ahead --duration 5 --incident-at 4.5 --size 640x360 "
             "--fps 20 --seed 12 --damage noaudio -o %s >/dev/null 2>&1",
             bin, path);
    assert_int_equal(system(cmd), 0);
    check_one_whole_window(path, 4.5);
}

/* A crash between others heard but not felt (no jolt): the signals engine reads it as a
 * witnessed collision, MEDIUM with no ego contact, never NONE. */
static void test_crash_ahead_heard(void **state) {
    (void)state;
    const char *path = mt_make_video("crash-ahead-heard", "crash-ahead", 21, 20, 12.0, NULL, NULL);
    assert_non_null(path);
    dc_mine_result r;
    dc_status st;
    assert_int_equal(mt_mine(path, &r, &st), DC_OK);
    assert_true(mt_window_contains(&r.windows[0], 12.0));
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    assert_int_equal(dc_signals_assess(&r, a, &st), DC_OK);
    print_message("crash ahead heard: %s, scenario %d, contact %d\n", dc_severity_name(a->severity),
                  (int)a->scenario, (int)a->facts.contact);
    assert_int_equal(a->severity, DC_SEVERITY_MEDIUM);
    assert_int_equal(a->scenario, DC_SCENARIO_OTHER);
    assert_int_equal(a->facts.contact, DC_TRI_NO);
    free(a);
    dc_mine_result_free(&r);
}

/* No sound: mining is unsure, so the windows reach further (before + 2 s, after + 3 s); and
 * the motion cues come from a steady pass although the file has a 25-s GOP. */
static void test_unsure_windows_are_wider(void **state) {
    (void)state;
    const char *path =
        mt_make_video("unsure", "collision", 41, 40, 26.0, "--gop 250 --damage noaudio", NULL);
    assert_non_null(path);
    dc_mine_result r;
    dc_status st;
    assert_int_equal(mt_mine(path, &r, &st), DC_OK);
    assert_true(r.unsure);
    assert_true(r.coarse_every_kth > 0);
    assert_true(mt_window_contains(&r.windows[0], 26.0));
    const dc_mine_window *w = &r.windows[0];
    print_message("unsure: [%.1f, %.1f] peak %.1f\n", w->start_sec, w->end_sec, w->peak_sec);
    assert_true(w->peak_sec - w->start_sec >= 9.0 - 1e-9 || w->start_sec == 0.0);
    assert_true(w->end_sec - w->peak_sec >= 6.0 - 1e-9 || w->end_sec == r.duration_sec);
    /* motion cues at a steady rate across the whole video: at least 4 frames a second */
    assert_true(r.frames_seen >= 4 * 40);
    dc_mine_result_free(&r);
}

/* The demux-only cue: every video packet, from the MP4 index or by demuxing a Matroska file. */
static void test_packet_sizes(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    assert_non_null(tmp);
    const char *exts[] = {"mp4", "mkv"};
    for (int i = 0; i < 2; i++) {
        char path[4096], cmd[9000];
        snprintf(path, sizeof path, "%s/mine-packets.%s", tmp, exts[i]);
        snprintf(cmd, sizeof cmd,
                 "%s/synth-video --scene normal --duration 6 --size 160x90 --fps 10 --gop 30 "
                 "-o %s >/dev/null 2>&1",
                 bin, path);
        assert_int_equal(system(cmd), 0);
        dc_status st;
        dc_media *m = dc_media_open(path, (dc_deadline){0}, &st);
        assert_non_null(m);
        dc_packet_sizes p;
        assert_int_equal(dc_media_packet_sizes(m, (dc_deadline){0}, &p, &st), DC_OK);
        int keys = 0;
        for (int k = 0; k < p.count; k++) keys += p.key[k];
        print_message("%s: %d packets, %d key\n", exts[i], p.count, keys);
        assert_int_equal(p.count, 60);
        assert_int_equal(keys, 2);
        dc_packet_sizes_free(&p);
        dc_packet_sizes_free(&p); /* safe twice */
        dc_media_close(m);
    }
}

#ifdef DC_TEST_HOOKS
#include "../src/core/alloc_fault.h"
/* Allocation failures anywhere in mining a short clip: every run either mines (windows, no
 * failure) or says DC_ERR_RESOURCE; never OK without windows, which the signals engine would
 * have turned into NONE with status ok. */
static void test_mining_allocation_failures(void **state) {
    (void)state;
    const char *path = mt_make_video("alloc", "collision", 51, 3, 2.0, "--damage noaudio", NULL);
    assert_non_null(path);
    dc_status st;
    dc_media *m = dc_media_open(path, (dc_deadline){0}, &st);
    assert_non_null(m);
    dc_mine_result r;
    core_alloc_fault_arm(0);
    assert_int_equal(dc_mine_video(m, NULL, (dc_deadline){0}, &r, &st), DC_OK);
    long total = core_alloc_fault_count();
    core_alloc_fault_disarm();
    dc_mine_result_free(&r);
    long stride = total / 60 + 1, failed = 0;
    print_message("mining a 3-s clip: %ld allocations, every %ld-th failed in turn\n", total,
                  stride);
    for (long n = 1; n <= total; n += stride) {
        core_alloc_fault_arm(n);
        dc_error_class e = dc_mine_video(m, NULL, (dc_deadline){0}, &r, &st);
        bool fired = core_alloc_fault_fired();
        core_alloc_fault_disarm();
        if (e == DC_OK) {
            assert_true(r.window_count >= 1);
        } else {
            assert_true(fired);
            assert_int_equal(e, DC_ERR_RESOURCE);
            assert_null(r.danger);
            failed++;
        }
        dc_mine_result_free(&r);
    }
    assert_true(failed > 0);
    dc_media_close(m);
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_clips_default_gop),
        cmocka_unit_test(test_crash_ahead_clip_shown_whole),
        cmocka_unit_test(test_crash_ahead_heard),
        cmocka_unit_test(test_unsure_windows_are_wider),
        cmocka_unit_test(test_packet_sizes),
#ifdef DC_TEST_HOOKS
        cmocka_unit_test(test_mining_allocation_failures),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
