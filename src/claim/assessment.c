/* The assessment record: its defaults and failure marking. Its JSON is record_json.c, from
 * the table in record_schema.c. */
#include <stdio.h>
#include <string.h>

#include "claim_internal.h"

#ifndef DC_VERSION
#define DC_VERSION "0.0.0"
#endif

void dc_assessment_init(dc_assessment *a) {
    memset(a, 0, sizeof *a);
    snprintf(a->schema, sizeof a->schema, "%s", DC_ASSESSMENT_SCHEMA);
    snprintf(a->dashclaim_version, sizeof a->dashclaim_version, "%s", DC_VERSION);
    claim_utc_now(a->created_at);
    a->status = DC_CLAIM_OK;
    a->error_class = DC_OK;
    a->severity = DC_SEVERITY_UNSET;
    a->facts.speed_kmh = -1;
    a->telemetry = (dc_telemetry_summary){.incident_sec = -1,
                                          .speed_before_kmh = -1,
                                          .speed_after_kmh = -1,
                                          .speed_max_before_kmh = -1,
                                          .brake_g = -1,
                                          .peak_g = -1,
                                          .peak_sec = -1,
                                          .utc_ms = DC_NO_UTC};
    for (int i = 0; i < DC_MAX_EVIDENCE; i++) a->evidence[i].frame = -1;
    a->timings_ms = (dc_timings){-1, -1, -1, -1, -1, -1};
    snprintf(a->rules_version, sizeof a->rules_version, "%s", DC_RULES_VERSION);
    a->review_priority = DC_PRIORITY_STANDARD;
    a->recommended_action = DC_RECOMMEND_REVIEW;
}

void dc_assessment_fail(dc_assessment *a, const dc_status *st) {
    a->status = DC_CLAIM_FAILED;
    a->error_class = st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
    claim_copy_utf8(a->error_message, sizeof a->error_message,
                    st && st->message[0] ? st->message : "failed without a message (a bug)");
    /* A failure must never read like a real assessment: no severity, no distribution. */
    a->severity = DC_SEVERITY_UNSET;
    memset(a->severity_probs, 0, sizeof a->severity_probs);
    a->prediction_set = 0;
    a->calibrated = false;
    a->fault_has_ratio = false;
    a->fault_ratio = 0;
}

void dc_assessment_degrade(dc_assessment *a, const char *message) {
    if (a->status == DC_CLAIM_FAILED) return;
    a->status = DC_CLAIM_DEGRADED;
    if (!message || !*message) return;
    /* keep every reason: several stages may degrade one claim */
    size_t used = strlen(a->error_message);
    if (used == 0) {
        claim_copy_utf8(a->error_message, sizeof a->error_message, message);
    } else if (used + 3 < sizeof a->error_message) {
        char *dst = a->error_message + used;
        memcpy(dst, "; ", 2);
        claim_copy_utf8(dst + 2, sizeof a->error_message - used - 2, message);
    }
}
