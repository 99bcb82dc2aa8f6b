/* The record's JSON round trip over every field. The filler walks the same tables the writer
 * and the reader walk (claim_record_fields and the model-facing claim_model_fields), giving
 * each field a value of its own, so a field added to a table is covered here without touching
 * this test; the size checks in record_schema.c make sure a field cannot skip the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_internal.h"

static int next_value(int *seed) { return ++*seed; }

static void fill_text(char *dst, size_t cap, int *seed) {
    /* non-ASCII too: the writer must keep UTF-8 as it is */
    snprintf(dst, cap, "v%d-\xC3\xA9", next_value(seed));
}

static void fill_model(const claim_field *fields, int count, void *base, int *seed);

static void fill_model_field(const claim_field *f, char *p, void *base, int *seed) {
    switch (f->kind) {
    case CLAIM_FIELD_ENUM:
        *(int *)p =
            f->enumd->offer_from + next_value(seed) % (f->enumd->count - f->enumd->offer_from);
        break;
    case CLAIM_FIELD_ENUM_ARRAY:
        for (int k = 0; k < f->capacity; k++)
            ((int *)p)[k] =
                f->enumd->offer_from + next_value(seed) % (f->enumd->count - f->enumd->offer_from);
        *(int *)((char *)base + f->count_offset) = f->capacity;
        break;
    case CLAIM_FIELD_STRING: fill_text(p, (size_t)f->capacity, seed); break;
    case CLAIM_FIELD_NUMBER: *(double *)p = f->min + 0.25 * (next_value(seed) % 64); break;
    case CLAIM_FIELD_INT:
    case CLAIM_FIELD_INT_OR_NULL: *(int *)p = (int)f->min + next_value(seed) % 50; break;
    case CLAIM_FIELD_OBJECT: fill_model(f->children, f->child_count, p, seed); break;
    case CLAIM_FIELD_OBJECT_ARRAY:
        for (int k = 0; k < f->capacity; k++)
            fill_model(f->children, f->child_count, p + (size_t)k * f->elem_size, seed);
        *(int *)((char *)base + f->count_offset) = f->capacity;
        break;
    }
}

static void fill_model(const claim_field *fields, int count, void *base, int *seed) {
    for (int i = 0; i < count; i++)
        fill_model_field(&fields[i], (char *)base + fields[i].offset, base, seed);
}

/* Every field of the record table; the custom entries are set by the caller. */
static void fill_record(const record_field *fields, int count, void *base, int *seed) {
    for (int i = 0; i < count; i++) {
        const record_field *f = &fields[i];
        char *p = (char *)base + f->offset;
        switch (f->kind) {
        case RECORD_STRING:
        case RECORD_STRING_OR_NULL: fill_text(p, (size_t)f->capacity, seed); break;
        case RECORD_NUMBER: *(double *)p = next_value(seed) + 0.25; break;
        case RECORD_NUMBER_OR_NULL: *(double *)p = next_value(seed) + 0.5; break;
        case RECORD_INT: *(int *)p = next_value(seed); break;
        case RECORD_BYTES: *(uint64_t *)p = ((uint64_t)1 << 40) + (uint64_t)next_value(seed); break;
        case RECORD_ENUM: *(int *)p = next_value(seed) % f->enumd->count; break;
        case RECORD_STRING_ARRAY:
            for (int k = 0; k < f->capacity; k++)
                fill_text(p + (size_t)k * f->elem_size, f->elem_size, seed);
            *(int *)((char *)base + f->count_offset) = f->capacity;
            break;
        case RECORD_OBJECT: fill_record(f->children, f->child_count, p, seed); break;
        case RECORD_OBJECT_ARRAY:
            for (int k = 0; k < f->capacity; k++)
                fill_record(f->children, f->child_count, p + (size_t)k * f->elem_size, seed);
            *(int *)((char *)base + f->count_offset) = f->capacity;
            break;
        case RECORD_MODEL: fill_model(f->model, f->model_count, base, seed); break;
        case RECORD_CUSTOM: break;
        }
    }
}

static int count_nulls(const json_t *v) {
    if (json_is_null(v)) return 1;
    int n = 0;
    const char *key;
    size_t i;
    json_t *item;
    if (json_is_object(v)) json_object_foreach((json_t *)v, key, item) n += count_nulls(item);
    if (json_is_array(v)) json_array_foreach(v, i, item) n += count_nulls(item);
    return n;
}

/* Writes a, reads it back, writes again: the two texts must be the same. */
static void assert_round_trip(const dc_assessment *a, int expect_nulls) {
    char *first = dc_assessment_to_json(a, 0);
    assert_non_null(first);
    json_error_t err;
    json_t *parsed = json_loads(first, 0, &err);
    assert_non_null(parsed);
    if (count_nulls(parsed) != expect_nulls)
        fail_msg("%d null values, expected %d: a field was left unfilled\n%s", count_nulls(parsed),
                 expect_nulls, first);
    json_decref(parsed);
    dc_assessment *b = malloc(sizeof *b);
    assert_non_null(b);
    dc_status st;
    assert_int_equal(dc_assessment_from_json(first, b, &st), DC_OK);
    assert_false(st.degraded);
    char *second = dc_assessment_to_json(b, 0);
    assert_non_null(second);
    if (strcmp(first, second) != 0) {
        size_t at = 0;
        while (first[at] == second[at]) at++;
        fail_msg("the record changed on the way back, at byte %zu:\n  wrote %.120s\n  read  %.120s",
                 at, first + (at > 40 ? at - 40 : 0), second + (at > 40 ? at - 40 : 0));
    }
    free(second);
    free(first);
    free(b);
}

static dc_assessment *full_record(void) {
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    int seed = 0;
    fill_record(claim_record_fields, claim_record_field_count, a, &seed);
    /* the custom entries: rules that span fields */
    a->severity = DC_SEVERITY_HIGH;
    a->severity_probs[0] = 0.125, a->severity_probs[1] = 0.25;
    a->severity_probs[2] = 0.125, a->severity_probs[3] = 0.5;
    a->prediction_set = (1u << DC_SEVERITY_MEDIUM) | (1u << DC_SEVERITY_HIGH);
    a->calibrated = true;
    a->fault_has_ratio = true;
    a->fault_ratio = 70;
    snprintf(a->speed_source, sizeof a->speed_source, "telemetry");
    a->telemetry = (dc_telemetry_summary){.source = "gpmf",
                                          .variant = "gps9",
                                          .device = "HERO11",
                                          .fix_count = 1,
                                          .valid_fix_count = 2,
                                          .accel_count = 3,
                                          .incident_sec = 4.5,
                                          .speed_before_kmh = 5.5,
                                          .speed_after_kmh = 6.5,
                                          .speed_max_before_kmh = 11.5,
                                          .brake_g = 0.25,
                                          .peak_g = 7.5,
                                          .peak_sec = 8.5,
                                          .has_position = true,
                                          .lat = -9.5,
                                          .lon = 10.5,
                                          .utc_ms = 1773480420300};
    a->footage = (dc_footage_check){.checked = true, .note = "n", .match_count = 1};
    a->footage.matches[0] = (dc_footage_match){.claim_id = "earlier",
                                               .same_file = true,
                                               .video = 1,
                                               .video_sec = 2.5,
                                               .other_sec = 3.5,
                                               .seconds = 4.5,
                                               .distance = 5.5,
                                               .mirrored = true};
    /* video indexes name one of the record's videos (one beyond them reads back as -1) */
    for (int w = 0; w < a->window_count; w++) a->windows[w].video = w % a->video_count;
    a->evidence[0].video = 2, a->evidence[0].video_t_sec = 1.25;
    a->hazards[0].video = 3, a->hazards[0].video_t_sec = 2.25;
    return a;
}

static void every_field_round_trips(void **state) {
    (void)state;
    dc_assessment *a = full_record();
    a->status = DC_CLAIM_DEGRADED;
    a->error_class = DC_OK;
    snprintf(a->error_message, sizeof a->error_message, "mining: no audio");
    assert_round_trip(a, 1); /* only "error": a degraded claim has no error */
    a->status = DC_CLAIM_OK;
    a->error_message[0] = '\0';
    assert_round_trip(a, 1);
    free(a);
}

/* A failed claim: its error round-trips, and the decisions it must not carry are written as
 * nothing whatever the struct held. */
static void failed_record_round_trips(void **state) {
    (void)state;
    dc_assessment *a = full_record();
    dc_status why;
    dc_fail(&why, DC_ERR_MODEL, "engine: the model wrote nothing");
    dc_assessment_fail(a, &why);
    a->fault_has_ratio = true;
    a->calibrated = true;
    a->prediction_set = 3;
    a->severity_probs[1] = 0.5;
    char *text = dc_assessment_to_json(a, 0);
    assert_non_null(text);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "severity")));
    assert_true(json_is_null(json_object_get(o, "severity_probs")));
    assert_int_equal(json_array_size(json_object_get(o, "prediction_set")), 0);
    assert_true(json_is_false(json_object_get(o, "calibrated")));
    assert_true(json_is_null(json_object_get(json_object_get(o, "fault"), "ratio")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "class")),
                        "model");
    json_decref(o);
    free(text);
    assert_round_trip(a, 3); /* severity, severity_probs, fault.ratio */
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_field_round_trips),
        cmocka_unit_test(failed_record_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
