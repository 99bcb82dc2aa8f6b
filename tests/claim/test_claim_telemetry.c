/* The record's "telemetry" and "speed_source", and the fraud rows that hold the claim against
 * the dashcam's own data: each row fires on its case and stays quiet next to it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/claim.h"

static dc_assessment *with_telemetry(void) {
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    a->severity = DC_SEVERITY_HIGH;
    dc_telemetry_summary *t = &a->telemetry;
    snprintf(t->source, sizeof t->source, "gpmf");
    t->fix_count = t->valid_fix_count = 180;
    t->accel_count = 2000;
    t->incident_sec = 6.3;
    t->speed_before_kmh = 54;
    t->speed_after_kmh = 0;
    t->peak_g = 3.9;
    t->peak_sec = 6.3;
    t->has_position = true;
    t->lat = -33.8688; /* south and west: negative numbers are positions, not "none" */
    t->lon = -70.6693;
    assert_true(dc_utc_parse("2026-03-14T09:27:00.300Z", &t->utc_ms, NULL));
    return a;
}

static bool fired(const dc_assessment *a, const char *id) {
    for (int i = 0; i < a->fraud_indicator_count; i++)
        if (!strcmp(a->fraud_indicators[i].id, id)) return true;
    return false;
}

static void test_utc_and_place(void **state) {
    (void)state;
    int64_t ms;
    bool date_only;
    assert_true(dc_utc_parse("2026-03-14T09:27:00.300Z", &ms, &date_only));
    assert_false(date_only);
    char text[32];
    dc_utc_format(ms, text);
    assert_string_equal(text, "2026-03-14T09:27:00.300Z");
    int64_t zoned;
    assert_true(dc_utc_parse("2026-03-14T10:27:00.300+01:00", &zoned, NULL));
    assert_true(zoned == ms);
    assert_true(dc_utc_parse("2026-03-14", &ms, &date_only) && date_only);
    dc_utc_format(ms, text);
    assert_string_equal(text, "2026-03-14T00:00:00.000Z");
    assert_false(dc_utc_parse("yesterday", &ms, NULL));
    assert_false(dc_utc_parse("2026-13-01", &ms, NULL));
    double lat, lon;
    assert_true(dc_place_parse("47.3769, 8.5417", &lat, &lon) && lat == 47.3769 && lon == 8.5417);
    assert_true(dc_place_parse("-33.8688 -70.6693", &lat, &lon) && lon == -70.6693);
    assert_false(dc_place_parse("Bahnhofstrasse 1, Zurich", &lat, &lon));
    assert_false(dc_place_parse("95, 8", &lat, &lon));
    /* Zurich - Bern about 95 km */
    double km = dc_distance_km(47.3769, 8.5417, 46.9480, 7.4474);
    assert_true(km > 90 && km < 100);
}

static void test_record_round_trip(void **state) {
    (void)state;
    dc_assessment *a = with_telemetry(), *b = malloc(sizeof *b);
    assert_non_null(b);
    a->facts.speed_kmh = 54;
    snprintf(a->speed_source, sizeof a->speed_source, "telemetry");
    char *json = dc_assessment_to_json(a, 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"utc\":\"2026-03-14T09:27:00.300Z\""));
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_assessment_from_json(json, b, &st), DC_OK);
    assert_memory_equal(&a->telemetry, &b->telemetry, sizeof a->telemetry);
    assert_string_equal(b->speed_source, "telemetry");
    free(json);
    /* a record written before the field existed reads as "no telemetry"; its speed source is
     * what the model's readout says */
    dc_assessment_init(a);
    a->severity = DC_SEVERITY_LOW;
    a->facts.speed_kmh = 30;
    json = dc_assessment_to_json(a, 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"telemetry\":null"));
    assert_non_null(strstr(json, "\"speed_source\":\"on-screen\""));
    char *old = strstr(json, ",\"speed_source\"");
    char *end = strstr(json, ",\"fault\"");
    assert_true(old && end && end > old);
    memmove(old, end, strlen(end) + 1);
    assert_null(strstr(json, "telemetry"));
    assert_int_equal(dc_assessment_from_json(json, b, &st), DC_OK);
    assert_string_equal(b->telemetry.source, "");
    assert_true(b->telemetry.utc_ms == DC_NO_UTC && b->telemetry.peak_g < 0);
    free(json);
    free(a);
    free(b);
}

static void test_place_and_time_rows(void **state) {
    (void)state;
    dc_assessment *a = with_telemetry();
    dc_claim_metadata m;
    dc_claim_metadata_init(&m);
    m.has_place = true;
    m.place_lat = -33.87; /* 150 m away: the same place */
    m.place_lon = -70.67;
    assert_true(dc_utc_parse("2026-03-14T12:00:00Z", &m.stated_utc_ms, &m.stated_date_only));
    dc_fraud_decide(a, &m);
    assert_false(fired(a, "X-PLACE-MISMATCH"));
    assert_false(fired(a, "X-TIME-MISMATCH"));
    m.place_lat = -33.45; /* Santiago vs Sydney's latitude: far */
    assert_true(dc_utc_parse("2026-03-20", &m.stated_utc_ms, &m.stated_date_only));
    dc_fraud_decide(a, &m);
    assert_true(fired(a, "X-PLACE-MISMATCH"));
    assert_true(fired(a, "X-TIME-MISMATCH"));
    /* a date alone is a day wide, and a zone either side */
    assert_true(dc_utc_parse("2026-03-13", &m.stated_utc_ms, &m.stated_date_only));
    dc_fraud_decide(a, &m);
    assert_false(fired(a, "X-TIME-MISMATCH"));
    /* without GPS time or position there is nothing to hold the claim against */
    a->telemetry.has_position = false;
    a->telemetry.utc_ms = DC_NO_UTC;
    assert_true(dc_utc_parse("2020-01-01", &m.stated_utc_ms, &m.stated_date_only));
    dc_fraud_decide(a, &m);
    assert_false(fired(a, "X-PLACE-MISMATCH") || fired(a, "X-TIME-MISMATCH"));
    free(a);
}

static void test_no_jolt_row(void **state) {
    (void)state;
    dc_assessment *a = with_telemetry();
    dc_claim_metadata m;
    dc_claim_metadata_init(&m);
    m.collision_claimed = DC_TRI_YES;
    dc_fraud_decide(a, &m);
    assert_false(fired(a, "X-NO-JOLT")); /* 3.9 g: felt */
    a->telemetry.peak_g = 0.2;
    dc_fraud_decide(a, &m);
    assert_true(fired(a, "X-NO-JOLT"));
    a->telemetry.accel_count = 0; /* GPS only: the G-sensor cannot say */
    dc_fraud_decide(a, &m);
    assert_false(fired(a, "X-NO-JOLT"));
    free(a);
}

static void test_missing_and_reencoded_rows(void **state) {
    (void)state;
    dc_assessment *a = with_telemetry();
    snprintf(a->video.device, sizeof a->video.device, "GoPro HERO11 Black");
    dc_fraud_decide(a, NULL);
    assert_false(fired(a, "X-TELEMETRY-MISSING"));
    dc_telemetry_summary none = {.utc_ms = DC_NO_UTC};
    a->telemetry = none;
    dc_fraud_decide(a, NULL);
    assert_true(fired(a, "X-TELEMETRY-MISSING"));
    snprintf(a->video.device, sizeof a->video.device, "Apple iPhone 15");
    dc_fraud_decide(a, NULL);
    assert_false(fired(a, "X-TELEMETRY-MISSING"));
    snprintf(a->video.encoder, sizeof a->video.encoder, "HandBrake 1.6.1 2023012300");
    dc_fraud_decide(a, NULL);
    assert_true(fired(a, "X-REENCODED"));
    snprintf(a->video.encoder, sizeof a->video.encoder, "Lavf60.16.100");
    dc_fraud_decide(a, NULL);
    assert_false(fired(a, "X-REENCODED"));
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utc_and_place),
        cmocka_unit_test(test_record_round_trip),
        cmocka_unit_test(test_place_and_time_rows),
        cmocka_unit_test(test_no_jolt_row),
        cmocka_unit_test(test_missing_and_reencoded_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
