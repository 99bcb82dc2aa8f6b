/* When mining is unsure (no sound, or weak danger), the VLM sees more of the video, not less:
 * one window more than asked, and windows that reach further before and after the peak.
 *
 * A real tiny model (synth-model, random weights) looks at the windows of synth-video clips;
 * what it answers does not matter here, how much of the video it was shown does. Each window
 * the VLM looks at is one claim prompt, so the claim's prompt tokens are the last window's
 * times the number of windows shown (the windows' prompts differ by a few tokens at most). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/engine.h"
#include "dashclaim/media.h"
#include "dashclaim/mine.h"
#include "dashclaim/pipeline.h"
#include "pipeline_test_util.h"

static char dir[1024];
static dc_vlm *vlm;

static int setup(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) return -1;
    snprintf(dir, sizeof dir, "%s/test_pipeline_unsure", tmp);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p \"%s\"", dir);
    if (pt_run(cmd) != 0) return -1;
    vlm = pt_tiny_vlm(dir, 8, 448, 1);
    return vlm ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    dc_vlm_close(vlm);
    return 0;
}

/* A 60-s collision clip (the crash at 30 s), with or without its sound track. */
static const char *make_clip(const char *name, const char *extra) {
    static char path[1400];
    snprintf(path, sizeof path, "%s/%s.mp4", dir, name);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "\"%s/synth-video\" --scene collision --duration 60 --incident-at 30 --size 256x144 "
             "--fps 10 --seed 23 %s -o \"%s\" >/dev/null 2>&1",
             getenv("DC_BIN"), extra, path);
    assert_int_equal(pt_run(cmd), 0);
    return path;
}

/* What mining alone says about the clip: was it unsure, and how many windows. */
static bool mined_unsure(const char *path, int *windows) {
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(path, (dc_deadline){0}, &st);
    assert_non_null(m);
    dc_mine_result r;
    assert_int_equal(dc_mine_video(m, NULL, (dc_deadline){0}, &r, &st), DC_OK);
    bool unsure = r.unsure;
    *windows = r.window_count;
    dc_mine_result_free(&r);
    dc_media_close(m);
    return unsure;
}

static dc_claim_result *claim(const char *path) {
    dc_pipeline_options o;
    dc_pipeline_options_init(&o);
    o.vlm = vlm;
    o.vlm_windows = 1;
    o.keep_evidence = true;
    o.timeout_sec = 900; /* a loaded machine and the sanitizers stretch a claim */
    dc_claim_result *out = malloc(sizeof *out);
    assert_non_null(out);
    dc_pipeline_assess(path, NULL, &o, out);
    assert_true(out->assessment.status != DC_CLAIM_FAILED);
    assert_true(out->prompt_tokens > 0);
    return out;
}

/* Sound and a clear collision: mining is sure, and the VLM looks at the one window asked. */
static void test_sure_one_window(void **state) {
    (void)state;
    const char *path = make_clip("sure", "");
    int windows = 0;
    assert_false(mined_unsure(path, &windows));
    assert_true(windows >= 2); /* more were mined than the VLM was asked to look at */
    dc_claim_result *out = claim(path);
    int last = dc_vlm_last_stats(vlm)->prompt_tokens;
    print_message("sure: claim %d prompt tokens, last window %d\n", out->prompt_tokens, last);
    assert_int_equal(out->prompt_tokens, last);
    /* 7 s before the peak and 3 after, not the unsure 9 and 5; a weaker peak just before the
     * window may be merged into it, up to the 12 s a window may span */
    const dc_window *w = &out->assessment.windows[0];
    print_message("sure: window [%.1f, %.1f] peak %.1f\n", w->start_sec, w->end_sec, w->peak_sec);
    assert_true(w->start_sec <= w->peak_sec - 7.0 + 1e-6 && w->end_sec >= w->peak_sec + 3.0 - 1e-6);
    assert_true(w->end_sec < w->peak_sec + 5.0 - 1e-6);
    assert_true(w->end_sec - w->start_sec <= 12.0 + 1e-6);
    dc_claim_result_free(out);
    free(out);
}

/* No sound: mining is unsure, so the VLM looks at two windows, each reaching 2 s further back
 * and 3 s further forward; the frames it was shown span more than a sure window could. */
static void test_unsure_more_and_wider_windows(void **state) {
    (void)state;
    const char *path = make_clip("unsure", "--damage noaudio");
    int windows = 0;
    assert_true(mined_unsure(path, &windows));
    assert_true(windows >= 2);
    dc_claim_result *out = claim(path);
    int last = dc_vlm_last_stats(vlm)->prompt_tokens;
    print_message("unsure: claim %d prompt tokens, last window %d\n", out->prompt_tokens, last);
    assert_true(out->prompt_tokens >= 2 * last - 16 && out->prompt_tokens <= 2 * last + 16);
    const dc_assessment *a = &out->assessment;
    for (int i = 0; i < a->window_count && i < 2; i++) {
        const dc_window *w = &a->windows[i];
        bool clamped = w->start_sec <= 1e-9 || w->end_sec >= a->video.duration_sec - 1e-6;
        print_message("window %d: [%.1f, %.1f] peak %.1f\n", i, w->start_sec, w->end_sec,
                      w->peak_sec);
        if (!clamped) assert_true(w->end_sec - w->start_sec >= 15.0 - 1e-6);
    }
    const dc_frame_set *shown = &out->evidence_frames;
    assert_true(shown->count >= 4);
    double span = shown->frames[shown->count - 1].t_sec - shown->frames[0].t_sec;
    print_message("frames shown: %d over %.2f s\n", shown->count, span);
    assert_true(span > 10.0);
    dc_claim_result_free(out);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sure_one_window),
        cmocka_unit_test(test_unsure_more_and_wider_windows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
