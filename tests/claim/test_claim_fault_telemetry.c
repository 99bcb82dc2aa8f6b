/* The fault rows that decide from the dashcam's own data (src/claim/fault_rules.c's
 * measured_rules and F-M-T-* modifiers), each firing on its case and quiet next to it: the
 * ego standing still by GPS when hit (F-RE-T-STILL), the ego still fast by GPS into the
 * vehicle ahead (F-M-T-FAST). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dashclaim/claim.h"

/* A rear-end collision with a GPS speed of kmh (< 0: the video has no telemetry) just before. */
static dc_assessment rear_end(double kmh, dc_position other) {
    dc_assessment a;
    dc_assessment_init(&a);
    a.severity = DC_SEVERITY_HIGH;
    a.scenario = DC_SCENARIO_REAR_END;
    a.facts.contact = DC_TRI_YES;
    a.facts.other_position = other;
    if (kmh >= 0) {
        dc_telemetry_summary *t = &a.telemetry;
        snprintf(t->source, sizeof t->source, "gpmf");
        t->fix_count = t->valid_fix_count = 60;
        t->incident_sec = 6.0;
        t->speed_before_kmh = kmh;
    }
    return a;
}

static bool has(const dc_assessment *a, const char *id) {
    for (int i = 0; i < a->fault_rule_count; i++)
        if (!strcmp(a->fault_rules[i].id, id)) return true;
    return false;
}

static void still_when_hit(void **state) {
    (void)state;
    /* who followed is not clear from the picture; GPS: standing -> hit from behind, 0 */
    dc_assessment a = rear_end(1.2, DC_POSITION_UNKNOWN);
    dc_fault_decide(&a);
    assert_true(a.fault_has_ratio);
    assert_string_equal(a.fault_rules[0].id, "F-RE-T-STILL");
    assert_non_null(strstr(a.fault_rules[0].reason, "standing still"));
    assert_int_equal(a.fault_ratio, 0);
    /* the model says the other was ahead (e.g. it rolled back): the measurement decides */
    a = rear_end(0.0, DC_POSITION_AHEAD);
    dc_fault_decide(&a);
    assert_string_equal(a.fault_rules[0].id, "F-RE-T-STILL");
    assert_int_equal(a.fault_ratio, 0);

    /* not firing: moving (6 km/h), no telemetry, no valid fix, reversing, another scenario */
    a = rear_end(6.0, DC_POSITION_UNKNOWN);
    dc_fault_decide(&a);
    assert_false(has(&a, "F-RE-T-STILL"));
    assert_string_equal(a.fault_rules[0].id, "F-RE-3");
    assert_int_equal(a.fault_ratio, 50);
    a = rear_end(-1, DC_POSITION_UNKNOWN);
    dc_fault_decide(&a);
    assert_false(has(&a, "F-RE-T-STILL"));
    a = rear_end(1.0, DC_POSITION_UNKNOWN);
    a.telemetry.valid_fix_count = 0;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-RE-T-STILL"));
    a = rear_end(1.0, DC_POSITION_BEHIND);
    a.facts.ego_action = DC_ACTION_REVERSING;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-RE-T-STILL"));
    assert_string_equal(a.fault_rules[0].id, "F-RE-2");
    a = rear_end(1.0, DC_POSITION_UNKNOWN);
    a.scenario = DC_SCENARIO_SIDE_SWIPE;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-RE-T-STILL"));
}

static void fast_into_rear_end(void **state) {
    (void)state;
    /* the lead braked for nothing (-30) but the ego was still at 54 km/h by GPS (+10) */
    dc_assessment a = rear_end(54, DC_POSITION_AHEAD);
    a.facts.other_braked_suddenly = DC_TRI_YES;
    a.facts.brake_cause_visible = DC_TRI_NO;
    dc_fault_decide(&a);
    assert_string_equal(a.fault_rules[0].id, "F-RE-1");
    assert_true(has(&a, "F-M-BRK-OTH"));
    assert_true(has(&a, "F-M-T-FAST"));
    assert_int_equal(a.fault_ratio, 80);
    /* not firing: slowed to 20 km/h, hit from behind, no telemetry, another scenario */
    a = rear_end(20, DC_POSITION_AHEAD);
    a.facts.other_braked_suddenly = DC_TRI_YES;
    a.facts.brake_cause_visible = DC_TRI_NO;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-FAST"));
    assert_int_equal(a.fault_ratio, 70);
    a = rear_end(54, DC_POSITION_BEHIND);
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-FAST"));
    assert_int_equal(a.fault_ratio, 0);
    a = rear_end(-1, DC_POSITION_AHEAD);
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-FAST"));
    a = rear_end(54, DC_POSITION_AHEAD);
    a.scenario = DC_SCENARIO_LANE_CHANGE;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-FAST"));
}

static void braked_before_hit(void **state) {
    (void)state;
    /* hit from behind (0) after a 0.6 g stop for nothing visible: +30 */
    dc_assessment a = rear_end(20, DC_POSITION_BEHIND);
    a.telemetry.brake_g = 0.6;
    a.facts.brake_cause_visible = DC_TRI_NO;
    dc_fault_decide(&a);
    assert_string_equal(a.fault_rules[0].id, "F-RE-2");
    assert_true(has(&a, "F-M-T-BRAKE"));
    assert_int_equal(a.fault_ratio, 30);
    /* not firing: gentle (0.2 g), a visible cause, the model already says so (F-M-BRK-EGO), the
     * ego was following, no measurement */
    a.telemetry.brake_g = 0.2;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-BRAKE"));
    assert_int_equal(a.fault_ratio, 0);
    a.telemetry.brake_g = 0.6;
    a.facts.brake_cause_visible = DC_TRI_YES;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-BRAKE"));
    a.facts.brake_cause_visible = DC_TRI_NO;
    a.facts.ego_action = DC_ACTION_BRAKING_HARD;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-BRAKE"));
    assert_true(has(&a, "F-M-BRK-EGO"));
    assert_int_equal(a.fault_ratio, 30);
    a = rear_end(20, DC_POSITION_AHEAD);
    a.telemetry.brake_g = 0.6;
    a.facts.brake_cause_visible = DC_TRI_NO;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-BRAKE"));
    a = rear_end(-1, DC_POSITION_BEHIND);
    a.facts.brake_cause_visible = DC_TRI_NO;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-M-T-BRAKE"));
}

/* standing for the whole 2 s: a last speed of 1 km/h after 25 km/h a second earlier is a car
 * that was still rolling, not one that stood */
static void still_for_two_seconds(void **state) {
    (void)state;
    dc_assessment a = rear_end(1.0, DC_POSITION_UNKNOWN);
    a.telemetry.speed_max_before_kmh = 2.0;
    dc_fault_decide(&a);
    assert_string_equal(a.fault_rules[0].id, "F-RE-T-STILL");
    a.telemetry.speed_max_before_kmh = 25.0;
    dc_fault_decide(&a);
    assert_false(has(&a, "F-RE-T-STILL"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(still_when_hit),
        cmocka_unit_test(fast_into_rear_end),
        cmocka_unit_test(braked_before_hit),
        cmocka_unit_test(still_for_two_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
