/* The fraud rows that read the record's footage check (src/claim/fraud_rules.c): X-SAME-FILE
 * and X-SAME-FOOTAGE fire on the store lookup's rows and name the earlier claim, stay quiet
 * without them, and a record whose lookup never ran says "not checked", not "no match". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"

static dc_assessment base(void) {
    dc_assessment a;
    dc_assessment_init(&a);
    a.severity = DC_SEVERITY_LOW;
    a.scenario = DC_SCENARIO_REAR_END;
    a.facts.contact = DC_TRI_YES;
    a.footage.checked = true;
    return a;
}

static const dc_fraud_indicator *indicator(const dc_assessment *a, const char *id) {
    for (int i = 0; i < a->fraud_indicator_count; i++)
        if (!strcmp(a->fraud_indicators[i].id, id)) return &a->fraud_indicators[i];
    return NULL;
}

static void test_same_file(void **state) {
    (void)state;
    dc_assessment a = base();
    dc_fraud_decide(&a, NULL);
    assert_null(indicator(&a, "X-SAME-FILE")); /* checked, nothing found */
    a.footage.match_count = 1;
    dc_footage_match *m = &a.footage.matches[0];
    snprintf(m->claim_id, sizeof m->claim_id, "clm_earlier");
    m->same_file = true;
    m->seconds = 42;
    dc_fraud_decide(&a, NULL);
    const dc_fraud_indicator *x = indicator(&a, "X-SAME-FILE");
    assert_non_null(x);
    assert_true(x->weight > 0.5);
    assert_non_null(strstr(x->reason, "clm_earlier"));
    assert_null(indicator(&a, "X-SAME-FOOTAGE")); /* a same-file row is not also same footage */
}

static void test_same_footage(void **state) {
    (void)state;
    dc_assessment a = base();
    a.footage.match_count = 2;
    dc_footage_match *m = &a.footage.matches[0];
    snprintf(m->claim_id, sizeof m->claim_id, "clm_first");
    m->video_sec = 3;
    m->other_sec = 17;
    m->seconds = 25;
    m->distance = 8.5;
    m->mirrored = true;
    a.footage.matches[1] = *m;
    snprintf(a.footage.matches[1].claim_id, sizeof m->claim_id, "clm_second");
    dc_fraud_decide(&a, NULL);
    const dc_fraud_indicator *x = indicator(&a, "X-SAME-FOOTAGE");
    assert_non_null(x);
    assert_non_null(strstr(x->reason, "25 seconds"));
    assert_non_null(strstr(x->reason, "clm_first from its second 17"));
    assert_non_null(strstr(x->reason, "distance 8.5"));
    assert_non_null(strstr(x->reason, "mirrored"));
    assert_non_null(strstr(x->reason, "1 more claim"));
    assert_null(indicator(&a, "X-SAME-FILE"));
    assert_true(a.fraud_score >= x->weight);
}

/* No store: the rows stay quiet and the record says the check did not run. */
static void test_not_run(void **state) {
    (void)state;
    dc_assessment a = base();
    a.footage.checked = false;
    snprintf(a.footage.note, sizeof a.footage.note, "no claim store given");
    dc_fraud_decide(&a, NULL);
    assert_null(indicator(&a, "X-SAME-FILE"));
    assert_null(indicator(&a, "X-SAME-FOOTAGE"));
    char *json = dc_assessment_to_json(&a, 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"checked\":false"));
    assert_non_null(strstr(json, "no claim store given"));
    free(json);
}

/* Another claim at the incident's place and day, by both dashcams' GPS: X-REPEAT-LOCATION names
 * it, and the rows survive the record's JSON (with the match's position in the other claim). */
static void test_repeat_location(void **state) {
    (void)state;
    dc_assessment a = base();
    dc_fraud_decide(&a, NULL);
    assert_null(indicator(&a, "X-REPEAT-LOCATION")); /* checked, nobody near */
    a.footage.near_count = 2;
    snprintf(a.footage.near[0].claim_id, sizeof a.footage.near[0].claim_id, "clm_same_corner");
    a.footage.near[0].distance_m = 120;
    a.footage.near[0].hours_apart = 2.5;
    snprintf(a.footage.near[1].claim_id, sizeof a.footage.near[1].claim_id, "clm_other");
    a.footage.near[1].distance_m = 280;
    a.footage.match_count = 1;
    a.footage.matches[0].other_video = 1;
    snprintf(a.footage.matches[0].claim_id, sizeof a.footage.matches[0].claim_id, "clm_x");
    a.footage.matches[0].seconds = 12;
    dc_fraud_decide(&a, NULL);
    const dc_fraud_indicator *x = indicator(&a, "X-REPEAT-LOCATION");
    assert_non_null(x);
    assert_non_null(strstr(x->reason, "120 m from claim clm_same_corner"));
    assert_non_null(strstr(x->reason, "1 more claim"));
    char *json = dc_assessment_to_json(&a, 0);
    assert_non_null(json);
    dc_assessment b;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_assessment_from_json(json, &b, &st), DC_OK);
    free(json);
    assert_int_equal(b.footage.near_count, 2);
    assert_string_equal(b.footage.near[0].claim_id, "clm_same_corner");
    assert_true(b.footage.near[0].distance_m == 120 && b.footage.near[0].hours_apart == 2.5);
    assert_int_equal(b.footage.matches[0].other_video, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_file),
        cmocka_unit_test(test_same_footage),
        cmocka_unit_test(test_not_run),
        cmocka_unit_test(test_repeat_location),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
