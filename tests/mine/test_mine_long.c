/* A longer video: the sound is mined in 120-s chunks, and a collision right at a chunk
 * boundary must be found as well as one anywhere else; ordinary driving around it (lane
 * changes, slow-downs) must not outrank it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mine_test_util.h"

static void test_collision_at_audio_chunk_boundary(void **state) {
    (void)state;
    const char *path = mt_make_video("long-boundary", "collision", 31, 150, 120.05, NULL, NULL);
    assert_non_null(path);
    dc_mine_result r;
    dc_status st;
    assert_int_equal(mt_mine(path, &r, &st), DC_OK);
    const dc_mine_window *top = &r.windows[0];
    print_message("long: peak %.2f danger %.2f fired 0x%x\n", top->peak_sec, top->danger,
                  top->fired);
    assert_true(mt_window_contains(top, 120.05));
    assert_true(fabs(top->peak_sec - 120.05) <= 0.5);
    assert_true(top->fired & (1u << DC_MINE_IMPACT));
    assert_int_equal(r.count, (int)ceil(r.duration_sec * DC_MINE_HZ) + 1);
    dc_mine_result_free(&r);
}

/* Ordinary driving with sound: every peak of the first look is a wobble, and only the
 * strongest is decoded densely (one span of 7 s at 10 fps), not four (a 20-min 1080p claim
 * spent 3 of its 10 s of CPU on such spans). The windows are still chosen. */
static void test_calm_with_sound_one_dense_span(void **state) {
    (void)state;
    const char *path = mt_make_video("long-calm", "normal", 37, 60, -1, NULL, NULL);
    assert_non_null(path);
    dc_mine_result r;
    dc_status st;
    assert_int_equal(mt_mine(path, &r, &st), DC_OK);
    print_message("calm: dense frames %d, windows %d, top danger %.3f\n", r.dense_frames,
                  r.window_count, r.window_count ? r.windows[0].danger : 0);
    assert_true(r.has_audio);
    assert_true(r.dense_frames > 0 && r.dense_frames <= 75);
    assert_true(r.window_count >= 1);
    dc_mine_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collision_at_audio_chunk_boundary),
        cmocka_unit_test(test_calm_with_sound_one_dense_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
