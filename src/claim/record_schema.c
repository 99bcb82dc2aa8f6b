/* The one definition of the record's JSON ("dashclaim.assessment/1"): every field of
 * dc_assessment, its name and how it is written and read. dc_assessment_to_json and
 * dc_assessment_from_json (record_json.c) walk this table, so a field is written and read
 * back by one entry. Adding a field to the record is one line here: the size checks below
 * stop the build until it is added, and each entry macro checks the member's type.
 * The key order here is the record's key order. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "claim_internal.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A field of dc_assessment (or a struct in it) without an entry here would be neither written
 * nor read. These sizes change with any new field: give it an entry, then update the size. */
_Static_assert(sizeof(dc_video_info) == 1248, "dc_video_info changed: update video_fields");
_Static_assert(sizeof(dc_engine_info) == 472, "dc_engine_info changed: update engine_fields");
_Static_assert(sizeof(dc_window) == 304, "dc_window changed: update window_fields");
_Static_assert(sizeof(dc_fault_rule_hit) == 216, "dc_fault_rule_hit changed: update rule_fields");
_Static_assert(sizeof(dc_fraud_indicator) == 232,
               "dc_fraud_indicator changed: update indicator_fields");
_Static_assert(sizeof(dc_timings) == 48, "dc_timings changed: update timing_fields");
_Static_assert(sizeof(dc_memory) == 32, "dc_memory changed: update memory_fields");
_Static_assert(sizeof(dc_telemetry_summary) == 200,
               "dc_telemetry_summary changed: update telemetry_record.c");
_Static_assert(sizeof(dc_claim_video) == 1424, "dc_claim_video changed: update claim_video_fields");
_Static_assert(sizeof(dc_footage_check) == 2264,
               "dc_footage_check changed: update footage_record.c");
_Static_assert(sizeof(dc_assessment) == 74152,
               "dc_assessment changed: give the new field an entry in claim_record_fields");

/* ---- the record-only enumerations ------------------------------------------------------ */

/* An unknown status spelling reads as failed: a record that cannot say it is fine is not. */
static const char *const status_names[] = {"ok", "degraded", "failed"};
const claim_enum_desc claim_enum_status = {"status", status_names,    COUNT(status_names),
                                           0,        DC_CLAIM_FAILED, DC_CLAIM_FAILED};

static const char *const priority_names[] = {"LOW_PRIORITY", "STANDARD", "URGENT"};
const claim_enum_desc claim_enum_priority = {"review_priority",     priority_names,
                                             COUNT(priority_names), 0,
                                             DC_PRIORITY_STANDARD,  DC_PRIORITY_STANDARD};

static const char *const recommendation_names[] = {"REVIEW", "APPROVE", "REJECT",
                                                   "REQUEST_MORE_INFO"};
const claim_enum_desc claim_enum_recommendation = {
    "recommended_action", recommendation_names, COUNT(recommendation_names), 0,
    DC_RECOMMEND_REVIEW,  DC_RECOMMEND_REVIEW};

_Static_assert(DC_CLAIM_FAILED + 1 == COUNT(status_names), "status names");
_Static_assert(DC_PRIORITY_URGENT + 1 == COUNT(priority_names), "priority names");
_Static_assert(DC_RECOMMEND_REQUEST_MORE_INFO + 1 == COUNT(recommendation_names),
               "recommended action names");

/* ---- entries: each checks that the member has the type its kind reads and writes -------- */

/* 0, or a compile error when ok is false. */
#define TYPE_CHECK(ok) (0 * sizeof(char[(ok) ? 1 : -1]))
#define MEMBER(type, m) (((type *)0)->m)
#define IS(type, m, t) _Generic(MEMBER(type, m), t : 1, default : 0)
#define ENTRY(key, k, type, m, check)                                                              \
    .name = key, .kind = k, .offset = offsetof(type, m) + TYPE_CHECK(check)

#define R_STRING(key, type, m)                                                                     \
    {                                                                                              \
        ENTRY(key, RECORD_STRING, type, m, IS(type, m, char *)),                                   \
            .capacity = (int)sizeof(MEMBER(type, m))                                               \
    }
#define R_STRING_OR_NULL(key, type, m)                                                             \
    {                                                                                              \
        ENTRY(key, RECORD_STRING_OR_NULL, type, m, IS(type, m, char *)),                           \
            .capacity = (int)sizeof(MEMBER(type, m))                                               \
    }
#define R_NUMBER(key, type, m)                                                                     \
    { ENTRY(key, RECORD_NUMBER, type, m, IS(type, m, double)) }
#define R_NUMBER_OR_NULL(key, type, m)                                                             \
    { ENTRY(key, RECORD_NUMBER_OR_NULL, type, m, IS(type, m, double)) }
#define R_INT(key, type, m)                                                                        \
    { ENTRY(key, RECORD_INT, type, m, IS(type, m, int)) }
#define R_BYTES(key, type, m)                                                                      \
    { ENTRY(key, RECORD_BYTES, type, m, IS(type, m, uint64_t)) }
#define R_ENUM(key, type, m, e)                                                                    \
    { ENTRY(key, RECORD_ENUM, type, m, sizeof(MEMBER(type, m)) == sizeof(int)), .enumd = &(e) }
#define R_STRINGS(key, type, m, cnt)                                                               \
    {                                                                                              \
        ENTRY(key, RECORD_STRING_ARRAY, type, m,                                                   \
              _Generic(MEMBER(type, m)[0], char * : 1, default : 0) && IS(type, cnt, int)),        \
            .count_offset = offsetof(type, cnt), .elem_size = sizeof(MEMBER(type, m)[0]),          \
            .capacity = COUNT(MEMBER(type, m))                                                     \
    }
#define R_OBJECT(key, type, m, fields)                                                             \
    { ENTRY(key, RECORD_OBJECT, type, m, 1), .children = fields, .child_count = COUNT(fields) }
/* Fields of the enclosing struct grouped under one JSON key. */
#define R_GROUP(key, fields)                                                                       \
    { .name = key, .kind = RECORD_OBJECT, .children = fields, .child_count = COUNT(fields) }
#define R_OBJECTS(key, type, m, cnt, fields)                                                       \
    {                                                                                              \
        ENTRY(key, RECORD_OBJECT_ARRAY, type, m, IS(type, cnt, int)),                              \
            .count_offset = offsetof(type, cnt), .elem_size = sizeof(MEMBER(type, m)[0]),          \
            .capacity = COUNT(MEMBER(type, m)), .children = fields, .child_count = COUNT(fields)   \
    }
#define R_CUSTOM(key, w, r)                                                                        \
    { .name = key, .kind = RECORD_CUSTOM, .write = w, .read = r }

/* ---- rules that span fields ------------------------------------------------------------- */

static bool failed(const void *base) {
    return ((const dc_assessment *)base)->status == DC_CLAIM_FAILED;
}

static bool set(json_t *obj, const char *name, json_t *v) {
    return v && json_object_set_new(obj, name, v) == 0;
}

/* The schema is the one this code writes, whatever the struct holds (from_json checked it). */
static bool write_schema(json_t *obj, const char *name, const void *base) {
    return set(obj, name, json_string(DC_ASSESSMENT_SCHEMA));
}
static void read_schema(const json_t *obj, const char *name, void *base) {}

/* error: {class, message} when failed (or an error class is set); null otherwise, and a
 * degraded record keeps its reason as degraded_reason (degraded is not an error). */
static bool write_error(json_t *obj, const char *name, const void *base) {
    const dc_assessment *a = base;
    if (a->status == DC_CLAIM_FAILED || a->error_class != DC_OK) {
        json_t *err = json_object();
        dc_error_class c = a->error_class != DC_OK ? a->error_class : DC_ERR_INTERNAL;
        return set(obj, name, err) && set(err, "class", json_string(dc_error_class_name(c))) &&
               set(err, "message", claim_json_text(a->error_message));
    }
    if (!set(obj, name, json_null())) return false;
    return a->status != DC_CLAIM_DEGRADED ||
           set(obj, "degraded_reason", claim_json_text(a->error_message));
}
static void read_error(const json_t *obj, const char *name, void *base) {
    dc_assessment *a = base;
    const json_t *err = json_object_get(obj, name), *message;
    if (json_is_object(err)) {
        const char *cls = json_string_value(json_object_get(err, "class"));
        a->error_class = DC_ERR_INTERNAL;
        for (dc_error_class c = DC_ERR_INPUT; cls && c <= DC_ERR_INTERNAL; c++)
            if (!strcasecmp(cls, dc_error_class_name(c))) a->error_class = c;
        message = json_object_get(err, "message");
    } else {
        message = json_object_get(obj, "degraded_reason");
    }
    if (json_is_string(message))
        claim_copy_utf8(a->error_message, sizeof a->error_message, json_string_value(message));
}

/* A failed claim has no severity, distribution, prediction set, calibration or fault ratio,
 * whatever the struct still holds. */
static bool write_severity(json_t *obj, const char *name, const void *base) {
    const char *s = failed(base) ? NULL : dc_severity_name(((const dc_assessment *)base)->severity);
    return set(obj, name, s ? json_string(s) : json_null());
}
static void read_severity(const json_t *obj, const char *name, void *base) {
    dc_assessment *a = base;
    const char *s = json_string_value(json_object_get(obj, name));
    a->severity = failed(base) ? DC_SEVERITY_UNSET : dc_severity_from_name(s);
}

static bool write_probs(json_t *obj, const char *name, const void *base) {
    const dc_assessment *a = base;
    double sum = 0;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++) sum += a->severity_probs[i];
    if (failed(base) || !(sum > 0)) return set(obj, name, json_null());
    json_t *probs = json_object();
    if (!set(obj, name, probs)) return false;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        if (!set(probs, dc_severity_name((dc_severity)i), json_real(a->severity_probs[i])))
            return false;
    return true;
}
static void read_probs(const json_t *obj, const char *name, void *base) {
    dc_assessment *a = base;
    const json_t *probs = json_object_get(obj, name);
    for (int i = 0; i < DC_SEVERITY_COUNT; i++) {
        const json_t *v = json_object_get(probs, dc_severity_name((dc_severity)i));
        double p = json_is_number(v) ? json_number_value(v) : 0;
        a->severity_probs[i] = p > 0 ? (p < 1 ? p : 1) : 0;
    }
}

static bool write_prediction_set(json_t *obj, const char *name, const void *base) {
    unsigned members = failed(base) ? 0 : ((const dc_assessment *)base)->prediction_set;
    json_t *arr = json_array();
    if (!set(obj, name, arr)) return false;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        if ((members & (1u << i)) &&
            json_array_append_new(arr, json_string(dc_severity_name((dc_severity)i))) != 0)
            return false;
    return true;
}
static void read_prediction_set(const json_t *obj, const char *name, void *base) {
    dc_assessment *a = base;
    size_t i;
    const json_t *item;
    a->prediction_set = 0;
    json_array_foreach(json_object_get(obj, name), i, item) {
        dc_severity s = dc_severity_from_name(json_string_value(item));
        if (s != DC_SEVERITY_UNSET) a->prediction_set |= 1u << s;
    }
}

static bool write_calibrated(json_t *obj, const char *name, const void *base) {
    return set(obj, name, json_boolean(((const dc_assessment *)base)->calibrated && !failed(base)));
}
static void read_calibrated(const json_t *obj, const char *name, void *base) {
    ((dc_assessment *)base)->calibrated = json_is_true(json_object_get(obj, name));
}

static bool write_fault_ratio(json_t *obj, const char *name, const void *base) {
    const dc_assessment *a = base;
    return set(obj, name,
               a->fault_has_ratio && !failed(base) ? json_integer(a->fault_ratio) : json_null());
}
static void read_fault_ratio(const json_t *obj, const char *name, void *base) {
    dc_assessment *a = base;
    const json_t *v = json_object_get(obj, name);
    a->fault_has_ratio = json_is_number(v);
    double r = json_is_number(v) ? json_number_value(v) : 0;
    a->fault_ratio = r > 0 ? (r < 100 ? (int)lround(r) : 100) : 0;
}

/* ---- the table --------------------------------------------------------------------------- */

static const record_field video_fields[] = {
    R_STRING("path", dc_video_info, path),
    R_STRING_OR_NULL("sha256", dc_video_info, sha256),
    R_NUMBER("duration_sec", dc_video_info, duration_sec),
    R_INT("width", dc_video_info, width),
    R_INT("height", dc_video_info, height),
    R_NUMBER("fps", dc_video_info, fps),
    R_STRING_OR_NULL("encoder", dc_video_info, encoder),
    R_STRING_OR_NULL("device", dc_video_info, device),
};

static bool write_role(json_t *obj, const char *name, const void *base) {
    return set(obj, name, json_string(dc_video_role_name(((const dc_claim_video *)base)->role)));
}
static void read_role(const json_t *obj, const char *name, void *base) {
    ((dc_claim_video *)base)->role =
        dc_video_role_from_name(json_string_value(json_object_get(obj, name)));
}

static const record_field claim_video_fields[] = {
    R_STRING("path", dc_claim_video, path),
    R_STRING_OR_NULL("sha256", dc_claim_video, sha256),
    R_CUSTOM("role", write_role, read_role),
    R_INT("segment", dc_claim_video, segment),
    R_STRING_OR_NULL("start_time", dc_claim_video, start_time),
    R_STRING_OR_NULL("start_source", dc_claim_video, start_source),
    R_NUMBER("offset_sec", dc_claim_video, offset_sec),
    R_NUMBER("duration_sec", dc_claim_video, duration_sec),
    R_STRING_OR_NULL("error", dc_claim_video, error),
};

static const record_field engine_fields[] = {
    R_STRING("name", dc_engine_info, name),
    R_STRING("model", dc_engine_info, model),
    R_STRING_OR_NULL("model_sha256", dc_engine_info, model_sha256),
    R_STRING("device", dc_engine_info, device),
    R_STRING("prompt_version", dc_engine_info, prompt_version),
    R_INT("prompt_tokens", dc_engine_info, prompt_tokens),
    R_INT("cached_prompt_tokens", dc_engine_info, cached_prompt_tokens),
    R_INT("thinking_tokens", dc_engine_info, thinking_tokens),
    R_STRINGS("modalities", dc_engine_info, modalities, modality_count),
    R_INT("batch", dc_engine_info, batch),
};

static const record_field window_fields[] = {
    R_NUMBER("start_sec", dc_window, start_sec),
    R_NUMBER("end_sec", dc_window, end_sec),
    R_NUMBER("peak_sec", dc_window, peak_sec),
    R_NUMBER("danger", dc_window, danger),
    R_STRINGS("signals", dc_window, signals, signal_count),
    R_INT("video", dc_window, video),
    R_NUMBER("video_peak_sec", dc_window, video_peak_sec),
};

static const record_field rule_fields[] = {
    R_STRING("id", dc_fault_rule_hit, id),
    R_STRING("reason", dc_fault_rule_hit, reason),
};

static const record_field fault_fields[] = {
    R_CUSTOM("ratio", write_fault_ratio, read_fault_ratio),
    R_OBJECTS("rules", dc_assessment, fault_rules, fault_rule_count, rule_fields),
};

static const record_field indicator_fields[] = {
    R_STRING("id", dc_fraud_indicator, id),
    R_NUMBER("weight", dc_fraud_indicator, weight),
    R_STRING("reason", dc_fraud_indicator, reason),
};

static const record_field fraud_fields[] = {
    R_NUMBER("score", dc_assessment, fraud_score),
    R_OBJECTS("indicators", dc_assessment, fraud_indicators, fraud_indicator_count,
              indicator_fields),
};

static const record_field timing_fields[] = {
    R_NUMBER_OR_NULL("probe", dc_timings, probe),   R_NUMBER_OR_NULL("mine", dc_timings, mine),
    R_NUMBER_OR_NULL("sample", dc_timings, sample), R_NUMBER_OR_NULL("engine", dc_timings, engine),
    R_NUMBER_OR_NULL("decide", dc_timings, decide), R_NUMBER_OR_NULL("total", dc_timings, total),
};

static const record_field memory_fields[] = {
    R_BYTES("rss_before", dc_memory, rss_before),
    R_BYTES("rss_after", dc_memory, rss_after),
    R_BYTES("device_before", dc_memory, device_before),
    R_BYTES("device_after", dc_memory, device_after),
};

const record_field claim_record_fields[] = {
    R_CUSTOM("schema", write_schema, read_schema),
    R_STRING("claim_id", dc_assessment, claim_id),
    R_STRING("dashclaim_version", dc_assessment, dashclaim_version),
    R_STRING("created_at", dc_assessment, created_at),
    R_OBJECT("video", dc_assessment, video, video_fields),
    R_OBJECTS("videos", dc_assessment, videos, video_count, claim_video_fields),
    R_ENUM("status", dc_assessment, status, claim_enum_status),
    /* error_class and error_message (after status: what is written depends on it) */
    R_CUSTOM("error", write_error, read_error),
    R_OBJECT("engine", dc_assessment, engine, engine_fields),
    R_OBJECTS("windows", dc_assessment, windows, window_count, window_fields),
    R_CUSTOM("severity", write_severity, read_severity),
    R_CUSTOM("severity_probs", write_probs, read_probs),
    R_CUSTOM("prediction_set", write_prediction_set, read_prediction_set),
    R_CUSTOM("calibrated", write_calibrated, read_calibrated),
    /* scenario, facts, hazards, evidence, reasoning: the model-facing table after severity */
    {.name = "observed",
     .kind = RECORD_MODEL,
     .model = claim_model_fields + 1,
     .model_count = CLAIM_MODEL_FIELD_COUNT - 1},
    /* each evidence and hazard row's video and its time in it (the model does not write them) */
    R_CUSTOM("observed_sources", claim_write_row_videos, claim_read_row_videos),
    R_CUSTOM("speed_source", claim_write_speed_source, claim_read_speed_source),
    R_CUSTOM("telemetry", claim_write_telemetry, claim_read_telemetry),
    R_CUSTOM("footage", claim_write_footage, claim_read_footage),
    R_GROUP("fault", fault_fields),
    R_GROUP("fraud", fraud_fields),
    R_ENUM("review_priority", dc_assessment, review_priority, claim_enum_priority),
    R_ENUM("recommended_action", dc_assessment, recommended_action, claim_enum_recommendation),
    R_STRING("rules_version", dc_assessment, rules_version),
    R_STRING("review_rule", dc_assessment, review_rule),
    R_OBJECT("timings_ms", dc_assessment, timings_ms, timing_fields),
    R_OBJECT("memory", dc_assessment, memory, memory_fields),
};
const int claim_record_field_count = COUNT(claim_record_fields);
