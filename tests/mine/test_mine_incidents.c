/* Localisation and classification of each incident scene: the top window contains the
 * labelled moment, its peak is close to it, and the signals engine names the right severity. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mine_test_util.h"

typedef struct {
    const char *scene, *env;
    int seed;
    double incident, peak_tolerance;
    dc_severity severity;
} incident_case;

static void check_incident(const incident_case *c) {
    char name[64];
    snprintf(name, sizeof name, "%s-%d%s", c->scene, c->seed, c->env ? "-look" : "");
    const char *path = mt_make_video(name, c->scene, c->seed, 40, c->incident, NULL, c->env);
    assert_non_null(path);
    dc_mine_result r;
    dc_status st;
    assert_int_equal(mt_mine(path, &r, &st), DC_OK);
    assert_true(r.has_audio && r.has_video);
    assert_true(r.window_count >= 1);
    const dc_mine_window *top = &r.windows[0];
    print_message("%s: peak %.2f (incident %.2f) danger %.2f fired 0x%x\n", name, top->peak_sec,
                  c->incident, top->danger, top->fired);
    assert_true(mt_window_contains(top, c->incident));
    assert_true(fabs(top->peak_sec - c->incident) <= c->peak_tolerance);
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    assert_int_equal(dc_signals_assess(&r, a, &st), DC_OK);
    assert_int_equal(a->severity, c->severity);
    if (c->severity == DC_SEVERITY_HIGH) assert_int_equal(a->facts.contact, DC_TRI_YES);
    else assert_int_not_equal(a->facts.contact, DC_TRI_YES);
    free(a);
    dc_mine_result_free(&r);
}

static void test_collision(void **state) {
    (void)state;
    incident_case c = {"collision", NULL, 3, 25.0, 1.0, DC_SEVERITY_HIGH};
    check_incident(&c);
}

static void test_collision_at_night(void **state) {
    (void)state;
    incident_case c = {"collision", "SV_LOOK=night", 4, 17.5, 1.0, DC_SEVERITY_HIGH};
    check_incident(&c);
}

static void test_near_miss(void **state) {
    (void)state;
    incident_case c = {"near-miss", NULL, 5, 22.0, 3.5, DC_SEVERITY_MEDIUM};
    check_incident(&c);
}

static void test_hard_brake_in_rain(void **state) {
    (void)state;
    incident_case c = {"hard-brake", "SV_LOOK=rain", 7, 18.0, 3.5, DC_SEVERITY_MEDIUM};
    check_incident(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collision),
        cmocka_unit_test(test_collision_at_night),
        cmocka_unit_test(test_near_miss),
        cmocka_unit_test(test_hard_brake_in_rain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
