/* Every row of the fault, fraud and review tables, by id: the facts that should select it
 * do, and the number it produces is the one in the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"

static dc_assessment base(dc_scenario sc) {
    dc_assessment a;
    dc_assessment_init(&a);
    a.severity = DC_SEVERITY_HIGH;
    a.scenario = sc;
    a.facts.contact = DC_TRI_YES;
    return a;
}

static bool has_fault_rule(const dc_assessment *a, const char *id) {
    for (int i = 0; i < a->fault_rule_count; i++)
        if (!strcmp(a->fault_rules[i].id, id)) return true;
    return false;
}

static void expect_fault(dc_assessment a, const char *id, int ratio) {
    dc_fault_decide(&a);
    if (!has_fault_rule(&a, id))
        fail_msg("expected rule %s, first was %s", id, a.fault_rules[0].id);
    assert_true(a.fault_has_ratio);
    if (a.fault_ratio != ratio) fail_msg("%s: ratio %d, expected %d", id, a.fault_ratio, ratio);
    assert_true(strlen(a.fault_rules[0].reason) > 10);
}

static void test_fault_base_rules(void **state) {
    (void)state;
    dc_assessment a;
    a = base(DC_SCENARIO_REAR_END), a.facts.other_position = DC_POSITION_AHEAD;
    expect_fault(a, "F-RE-1", 100);
    a = base(DC_SCENARIO_REAR_END), a.facts.other_position = DC_POSITION_BEHIND;
    expect_fault(a, "F-RE-2", 0);
    expect_fault(base(DC_SCENARIO_REAR_END), "F-RE-3", 50);
    a = base(DC_SCENARIO_HEAD_ON), a.facts.ego_right_of_way = DC_TRI_YES;
    expect_fault(a, "F-HO-1", 0);
    a = base(DC_SCENARIO_HEAD_ON), a.facts.ego_right_of_way = DC_TRI_NO;
    expect_fault(a, "F-HO-2", 100);
    expect_fault(base(DC_SCENARIO_HEAD_ON), "F-HO-3", 50);
    a = base(DC_SCENARIO_CROSSING), a.facts.traffic_signal = DC_SIGNAL_RED,
    a.facts.ego_action = DC_ACTION_GOING_STRAIGHT;
    expect_fault(a, "F-CR-1", 100);
    a = base(DC_SCENARIO_CROSSING), a.facts.other_signal = DC_SIGNAL_RED,
    a.facts.other_action = DC_ACTION_GOING_STRAIGHT;
    expect_fault(a, "F-CR-2", 0);
    a = base(DC_SCENARIO_CROSSING), a.facts.ego_right_of_way = DC_TRI_YES;
    expect_fault(a, "F-CR-3", 0);
    a = base(DC_SCENARIO_CROSSING), a.facts.ego_right_of_way = DC_TRI_NO;
    expect_fault(a, "F-CR-4", 100);
    expect_fault(base(DC_SCENARIO_CROSSING), "F-CR-5", 50);
    a = base(DC_SCENARIO_LEFT_TURN), a.facts.ego_action = DC_ACTION_TURNING_LEFT;
    expect_fault(a, "F-LT-1", 80);
    a = base(DC_SCENARIO_LEFT_TURN), a.facts.other_action = DC_ACTION_TURNING_LEFT;
    expect_fault(a, "F-LT-2", 20);
    expect_fault(base(DC_SCENARIO_LEFT_TURN), "F-LT-3", 50);
    a = base(DC_SCENARIO_RIGHT_TURN), a.facts.ego_action = DC_ACTION_TURNING_RIGHT;
    expect_fault(a, "F-RT-1", 80);
    a = base(DC_SCENARIO_RIGHT_TURN), a.facts.other_action = DC_ACTION_TURNING_RIGHT;
    expect_fault(a, "F-RT-2", 20);
    expect_fault(base(DC_SCENARIO_RIGHT_TURN), "F-RT-3", 50);
    a = base(DC_SCENARIO_LANE_CHANGE), a.facts.ego_action = DC_ACTION_CHANGING_LANE;
    expect_fault(a, "F-LC-1", 80);
    a = base(DC_SCENARIO_LANE_CHANGE), a.facts.other_action = DC_ACTION_MERGING;
    expect_fault(a, "F-LC-2", 20);
    expect_fault(base(DC_SCENARIO_LANE_CHANGE), "F-LC-3", 50);
    a = base(DC_SCENARIO_SIDE_SWIPE), a.facts.ego_action = DC_ACTION_MERGING;
    expect_fault(a, "F-SS-1", 80);
    a = base(DC_SCENARIO_SIDE_SWIPE), a.facts.other_action = DC_ACTION_CHANGING_LANE;
    expect_fault(a, "F-SS-2", 20);
    expect_fault(base(DC_SCENARIO_SIDE_SWIPE), "F-SS-3", 50);
    a = base(DC_SCENARIO_PARKING), a.facts.ego_action = DC_ACTION_REVERSING,
    a.facts.other_action = DC_ACTION_PARKED;
    expect_fault(a, "F-PK-1", 100);
    a = base(DC_SCENARIO_PARKING), a.facts.other_action = DC_ACTION_REVERSING,
    a.facts.ego_action = DC_ACTION_STOPPED;
    expect_fault(a, "F-PK-2", 0);
    expect_fault(base(DC_SCENARIO_PARKING), "F-PK-3", 50);
    a = base(DC_SCENARIO_PEDESTRIAN), a.facts.ego_right_of_way = DC_TRI_YES,
    a.facts.traffic_signal = DC_SIGNAL_GREEN;
    expect_fault(a, "F-PD-1", 50);
    a = base(DC_SCENARIO_PEDESTRIAN),
    a.facts.ego_right_of_way = DC_TRI_YES; /* no light: still the driver */
    expect_fault(a, "F-PD-2", 100);
    a = base(DC_SCENARIO_CYCLIST), a.facts.ego_right_of_way = DC_TRI_YES;
    expect_fault(a, "F-CY-1", 30);
    expect_fault(base(DC_SCENARIO_CYCLIST), "F-CY-2", 100);
    expect_fault(base(DC_SCENARIO_SINGLE_VEHICLE), "F-SV-1", 100);
    a = base(DC_SCENARIO_OTHER), a.facts.ego_right_of_way = DC_TRI_YES;
    expect_fault(a, "F-OT-1", 20);
    a = base(DC_SCENARIO_OTHER), a.facts.ego_right_of_way = DC_TRI_NO;
    expect_fault(a, "F-OT-2", 80);
    expect_fault(base(DC_SCENARIO_OTHER), "F-OT-3", 50);
}

static void test_fault_modifiers(void **state) {
    (void)state;
    dc_assessment a;
    /* ego ran a red light in a lane change it did not start: 20 + 20 */
    a = base(DC_SCENARIO_LANE_CHANGE), a.facts.other_action = DC_ACTION_CHANGING_LANE;
    a.facts.traffic_signal = DC_SIGNAL_RED, a.facts.ego_action = DC_ACTION_GOING_STRAIGHT;
    expect_fault(a, "F-M-SIG-EGO", 40);
    /* a red light on a crossing is the base rule's business, not counted twice */
    a = base(DC_SCENARIO_CROSSING), a.facts.traffic_signal = DC_SIGNAL_RED,
    a.facts.ego_action = DC_ACTION_GOING_STRAIGHT;
    dc_fault_decide(&a);
    assert_false(has_fault_rule(&a, "F-M-SIG-EGO"));
    assert_int_equal(a.fault_ratio, 100);
    a = base(DC_SCENARIO_OTHER), a.facts.other_signal = DC_SIGNAL_RED,
    a.facts.other_action = DC_ACTION_GOING_STRAIGHT;
    expect_fault(a, "F-M-SIG-OTH", 30);
    /* brake check by the lead vehicle: following share 100 - 30 */
    a = base(DC_SCENARIO_REAR_END), a.facts.other_position = DC_POSITION_AHEAD;
    a.facts.other_braked_suddenly = DC_TRI_YES, a.facts.brake_cause_visible = DC_TRI_NO;
    expect_fault(a, "F-M-BRK-OTH", 70);
    /* the same braking with a visible reason changes nothing */
    a.facts.brake_cause_visible = DC_TRI_YES;
    dc_fault_decide(&a);
    assert_int_equal(a.fault_ratio, 100);
    assert_false(has_fault_rule(&a, "F-M-BRK-OTH"));
    a = base(DC_SCENARIO_REAR_END), a.facts.other_position = DC_POSITION_BEHIND;
    a.facts.ego_action = DC_ACTION_BRAKING_HARD, a.facts.brake_cause_visible = DC_TRI_NO;
    expect_fault(a, "F-M-BRK-EGO", 30);
    a = base(DC_SCENARIO_OTHER), a.facts.ego_speeding = DC_TRI_YES;
    expect_fault(a, "F-M-SPEED", 60);
    a = base(DC_SCENARIO_OTHER), a.facts.visibility = DC_VISIBILITY_POOR,
    a.facts.ego_action = DC_ACTION_GOING_STRAIGHT;
    expect_fault(a, "F-M-VIS", 60);
    /* clamped at 100 and at 0, with every step recorded */
    a = base(DC_SCENARIO_SINGLE_VEHICLE), a.facts.ego_speeding = DC_TRI_YES;
    expect_fault(a, "F-M-SPEED", 100);
    a = base(DC_SCENARIO_REAR_END), a.facts.other_position = DC_POSITION_BEHIND;
    a.facts.other_signal = DC_SIGNAL_RED, a.facts.other_action = DC_ACTION_GOING_STRAIGHT;
    expect_fault(a, "F-M-SIG-OTH", 0);
    dc_fault_decide(&a);
    assert_int_equal(a.fault_rule_count, 2);
}

static void test_fault_null_cases(void **state) {
    (void)state;
    dc_assessment a = base(DC_SCENARIO_REAR_END);
    a.severity = DC_SEVERITY_NONE;
    dc_fault_decide(&a);
    assert_false(a.fault_has_ratio); /* null, not 0 */
    assert_string_equal(a.fault_rules[0].id, "F-NONE");
    a = base(DC_SCENARIO_UNKNOWN);
    dc_fault_decide(&a);
    assert_false(a.fault_has_ratio);
    assert_string_equal(a.fault_rules[0].id, "F-NOSCEN");
    a = base(DC_SCENARIO_NONE);
    dc_fault_decide(&a);
    assert_false(a.fault_has_ratio);
    a = base(DC_SCENARIO_SINGLE_VEHICLE);
    dc_status st = {.code = DC_ERR_MODEL};
    strcpy(st.message, "model produced nothing");
    dc_assessment_fail(&a, &st);
    dc_fault_decide(&a);
    assert_false(a.fault_has_ratio);
    assert_int_equal(a.fault_rule_count, 0);
    /* the null ratio is written as JSON null */
    a = base(DC_SCENARIO_NONE);
    a.severity = DC_SEVERITY_NONE;
    dc_claim_decide(&a, NULL, NULL);
    char *json = dc_assessment_to_json(&a, 0);
    assert_non_null(strstr(json, "\"fault\":{\"ratio\":null"));
    free(json);
}

static bool has_indicator(const dc_assessment *a, const char *id, double weight) {
    for (int i = 0; i < a->fraud_indicator_count; i++)
        if (!strcmp(a->fraud_indicators[i].id, id))
            return fabs(a->fraud_indicators[i].weight - weight) < 1e-12;
    return false;
}

static void test_fraud_indicators(void **state) {
    (void)state;
    dc_claim_metadata m;
    dc_assessment a = base(DC_SCENARIO_REAR_END);
    a.facts.other_position = DC_POSITION_AHEAD;
    a.facts.other_braked_suddenly = DC_TRI_YES;
    a.facts.brake_cause_visible = DC_TRI_NO;
    dc_fraud_decide(&a, NULL);
    assert_true(has_indicator(&a, "X-BRAKE-CHECK", 0.50));
    assert_int_equal(a.fraud_indicator_count, 1);
    assert_true(fabs(a.fraud_score - 0.50) < 1e-12);
    a.facts.brake_cause_visible = DC_TRI_YES; /* a reason to brake: no indicator */
    dc_fraud_decide(&a, NULL);
    assert_int_equal(a.fraud_indicator_count, 0);
    assert_true(a.fraud_score == 0.0);

    /* collision claimed, none seen, no impact signal */
    a = base(DC_SCENARIO_NONE);
    a.severity = DC_SEVERITY_MEDIUM;
    a.facts.contact = DC_TRI_NO;
    dc_claim_metadata_init(&m);
    m.collision_claimed = DC_TRI_YES;
    dc_fraud_decide(&a, &m);
    assert_true(has_indicator(&a, "X-NO-CONTACT", 0.60));
    /* ... but an impact signal from mining is evidence of contact */
    a.window_count = 1;
    a.windows[0].signal_count = 2;
    strcpy(a.windows[0].signals[0], "motion");
    strcpy(a.windows[0].signals[1], "audio_impact");
    dc_fraud_decide(&a, &m);
    assert_false(has_indicator(&a, "X-NO-CONTACT", 0.60));
    dc_fraud_decide(&a, NULL); /* no metadata: never fires */
    assert_int_equal(a.fraud_indicator_count, 0);

    a = base(DC_SCENARIO_PARKING);
    a.severity = DC_SEVERITY_LOW;
    dc_claim_metadata_init(&m);
    m.damage_claimed = DC_SEVERITY_HIGH;
    dc_fraud_decide(&a, &m);
    assert_true(has_indicator(&a, "X-DAMAGE-MISMATCH", 0.40));
    assert_non_null(strstr(a.fraud_indicators[0].reason, "HIGH"));
    m.damage_claimed = DC_SEVERITY_MEDIUM; /* one level apart is judgement, not a flag */
    dc_fraud_decide(&a, &m);
    assert_int_equal(a.fraud_indicator_count, 0);

    a = base(DC_SCENARIO_PEDESTRIAN);
    a.facts.other_positioned_before = DC_TRI_YES;
    dc_fraud_decide(&a, NULL);
    assert_true(has_indicator(&a, "X-STAGED-POSITION", 0.40));

    a = base(DC_SCENARIO_OTHER);
    dc_claim_metadata_init(&m);
    m.recent_claims_same_vehicle = 2;
    m.recent_claims_same_location = 1;
    dc_fraud_decide(&a, &m);
    assert_true(has_indicator(&a, "X-REPEAT-VEHICLE", 0.30));
    assert_true(has_indicator(&a, "X-REPEAT-LOCATION", 0.20));
    /* independent evidence: 1 - 0.7 * 0.8 */
    assert_true(fabs(a.fraud_score - 0.44) < 1e-12);
    m.recent_claims_same_vehicle = -1; /* no store */
    m.recent_claims_same_location = 0;
    dc_fraud_decide(&a, &m);
    assert_int_equal(a.fraud_indicator_count, 0);

    /* all at once stays within [0,1] */
    a = base(DC_SCENARIO_REAR_END);
    a.severity = DC_SEVERITY_NONE;
    a.facts.contact = DC_TRI_UNCLEAR;
    a.facts.other_position = DC_POSITION_AHEAD;
    a.facts.other_braked_suddenly = DC_TRI_YES;
    a.facts.brake_cause_visible = DC_TRI_NO;
    a.facts.other_positioned_before = DC_TRI_YES;
    m.damage_claimed = DC_SEVERITY_HIGH;
    m.recent_claims_same_vehicle = 5;
    m.recent_claims_same_location = 5;
    dc_fraud_decide(&a, &m);
    assert_int_equal(a.fraud_indicator_count, 5);
    assert_true(fabs(a.fraud_score - (1 - 0.5 * 0.6 * 0.6 * 0.7 * 0.8)) < 1e-12);
}

static void expect_review(dc_assessment *a, const char *rule, dc_recommended_action act,
                          dc_review_priority prio) {
    dc_review_decide(a);
    if (strcmp(a->review_rule, rule) != 0) fail_msg("expected %s, got %s", rule, a->review_rule);
    assert_int_equal(a->recommended_action, act);
    assert_int_equal(a->review_priority, prio);
}

static void test_review_rules(void **state) {
    (void)state;
    dc_assessment a = base(DC_SCENARIO_OTHER);
    dc_status st = {.code = DC_ERR_TIMEOUT};
    strcpy(st.message, "engine deadline passed");
    dc_assessment_fail(&a, &st);
    expect_review(&a, "R-FAILED", DC_RECOMMEND_REVIEW, DC_PRIORITY_STANDARD);

    a = base(DC_SCENARIO_OTHER);
    a.severity = DC_SEVERITY_LOW;
    a.prediction_set = 1u << DC_SEVERITY_LOW;
    a.fraud_score = 0.8;
    expect_review(&a, "R-FRAUD-REJECT", DC_RECOMMEND_REJECT, DC_PRIORITY_URGENT);
    a.status = DC_CLAIM_DEGRADED; /* incomplete evidence: never an automatic reject */
    expect_review(&a, "R-FRAUD-REVIEW", DC_RECOMMEND_REVIEW, DC_PRIORITY_URGENT);
    a.status = DC_CLAIM_OK;
    a.fraud_score = 0.5;
    expect_review(&a, "R-FRAUD-REVIEW", DC_RECOMMEND_REVIEW, DC_PRIORITY_URGENT);

    a.fraud_score = 0.1;
    a.severity = DC_SEVERITY_HIGH;
    a.prediction_set = 1u << DC_SEVERITY_HIGH;
    expect_review(&a, "R-HIGH", DC_RECOMMEND_REVIEW, DC_PRIORITY_URGENT);

    a.severity = DC_SEVERITY_LOW;
    a.prediction_set = (1u << DC_SEVERITY_LOW) | (1u << DC_SEVERITY_MEDIUM);
    expect_review(&a, "R-UNCERTAIN", DC_RECOMMEND_REVIEW, DC_PRIORITY_URGENT);

    a.prediction_set = 1u << DC_SEVERITY_LOW;
    a.status = DC_CLAIM_DEGRADED;
    expect_review(&a, "R-DEGRADED", DC_RECOMMEND_REVIEW, DC_PRIORITY_STANDARD);
    a.status = DC_CLAIM_OK;
    expect_review(&a, "R-LOW", DC_RECOMMEND_APPROVE, DC_PRIORITY_LOW);

    a.severity = DC_SEVERITY_NONE;
    a.prediction_set = 1u << DC_SEVERITY_NONE;
    expect_review(&a, "R-NONE", DC_RECOMMEND_REQUEST_MORE_INFO, DC_PRIORITY_LOW);

    a.severity = DC_SEVERITY_MEDIUM;
    a.prediction_set = 1u << DC_SEVERITY_MEDIUM;
    expect_review(&a, "R-MEDIUM", DC_RECOMMEND_REVIEW, DC_PRIORITY_STANDARD);
}

/* The whole decision on one claim, through dc_claim_decide. */
static void test_decide_end_to_end(void **state) {
    (void)state;
    dc_assessment a = base(DC_SCENARIO_REAR_END);
    a.facts.other_position = DC_POSITION_AHEAD;
    a.severity_probs[DC_SEVERITY_HIGH] = 3.0; /* unnormalised on purpose */
    a.severity_probs[DC_SEVERITY_MEDIUM] = 1.0;
    dc_claim_decide(&a, NULL, NULL);
    assert_true(fabs(a.severity_probs[DC_SEVERITY_HIGH] - 0.75) < 1e-12);
    assert_int_equal(a.prediction_set, (1u << DC_SEVERITY_HIGH) | (1u << DC_SEVERITY_MEDIUM));
    assert_false(a.calibrated);
    assert_int_equal(a.fault_ratio, 100);
    assert_string_equal(a.review_rule, "R-HIGH");
    assert_string_equal(a.rules_version, DC_RULES_VERSION);

    /* an engine that left severity unset produces a failed claim, not a silent LOW */
    dc_assessment b;
    dc_assessment_init(&b);
    dc_claim_decide(&b, NULL, NULL);
    assert_int_equal(b.status, DC_CLAIM_FAILED);
    assert_int_equal(b.error_class, DC_ERR_INTERNAL);
    assert_string_equal(b.review_rule, "R-FAILED");

    /* no distribution: the set is the answer alone */
    dc_assessment c = base(DC_SCENARIO_PARKING);
    c.severity = DC_SEVERITY_LOW;
    dc_claim_decide(&c, NULL, NULL);
    assert_int_equal(c.prediction_set, 1u << DC_SEVERITY_LOW);
    assert_string_equal(c.review_rule, "R-LOW");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_base_rules), cmocka_unit_test(test_fault_modifiers),
        cmocka_unit_test(test_fault_null_cases), cmocka_unit_test(test_fraud_indicators),
        cmocka_unit_test(test_review_rules),     cmocka_unit_test(test_decide_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
