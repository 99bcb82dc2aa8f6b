/* Ordinary driving and the distractors (speed bump, someone else's horn, loud music, a
 * tunnel's light change): no incident. The signals engine says NONE, and no window reaches
 * the alarm level, except that a bump may shake the camera (then shake is what fired). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mine_test_util.h"

static void check_calm(const char *scene, int seed, bool may_alarm_with_shake) {
    char name[64];
    snprintf(name, sizeof name, "%s-%d", scene, seed);
    const char *path = mt_make_video(name, scene, seed, 30, 15.0, NULL, NULL);
    assert_non_null(path);
    dc_mine_result r;
    dc_status st;
    assert_int_equal(mt_mine(path, &r, &st), DC_OK);
    assert_true(r.window_count >= 1);
    const dc_mine_window *top = &r.windows[0];
    print_message("%s: peak %.2f danger %.2f fired 0x%x\n", name, top->peak_sec, top->danger,
                  top->fired);
    if (top->danger >= DC_MINE_ALARM_DANGER) {
        assert_true(may_alarm_with_shake);
        assert_true(top->fired & (1u << DC_MINE_SHAKE));
    }
    assert_false(top->fired & (1u << DC_MINE_IMPACT) && top->fired & (1u << DC_MINE_SHAKE));
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    assert_int_equal(dc_signals_assess(&r, a, &st), DC_OK);
    assert_int_equal(a->severity, DC_SEVERITY_NONE);
    assert_int_not_equal(a->facts.contact, DC_TRI_YES);
    free(a);
    dc_mine_result_free(&r);
}

static void test_normal(void **state) {
    (void)state;
    check_calm("normal", 11, false);
}

static void test_bump(void **state) {
    (void)state;
    check_calm("bump", 12, true);
}

static void test_horn_elsewhere(void **state) {
    (void)state;
    check_calm("horn", 13, false);
}

static void test_music(void **state) {
    (void)state;
    check_calm("music", 14, false);
}

static void test_tunnel(void **state) {
    (void)state;
    check_calm("tunnel", 15, false);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),         cmocka_unit_test(test_bump),
        cmocka_unit_test(test_horn_elsewhere), cmocka_unit_test(test_music),
        cmocka_unit_test(test_tunnel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
