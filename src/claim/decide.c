/* dc_claim_decide: the decisions that follow from what the engine observed. */
#include <stdio.h>
#include <string.h>

#include "claim_internal.h"

void dc_claim_decide(dc_assessment *a, const dc_claim_metadata *metadata,
                     const dc_calibration *calibration) {
    snprintf(a->rules_version, sizeof a->rules_version, "%s", DC_RULES_VERSION);
    if (a->status == DC_CLAIM_FAILED) {
        a->severity = DC_SEVERITY_UNSET;
        memset(a->severity_probs, 0, sizeof a->severity_probs);
        a->prediction_set = 0;
        a->calibrated = false;
    } else if (a->severity == DC_SEVERITY_UNSET) {
        /* an engine that returned without a severity did not do its job */
        dc_status st = {.code = DC_ERR_INTERNAL};
        snprintf(st.message, sizeof st.message, "engine returned no severity");
        dc_assessment_fail(a, &st);
    } else {
        double sum = 0;
        for (int i = 0; i < DC_SEVERITY_COUNT; i++)
            sum += a->severity_probs[i] > 0 ? a->severity_probs[i] : 0;
        if (sum <= 0) {
            /* no distribution: the set is the answer alone, and says nothing about doubt */
            a->prediction_set = 1u << a->severity;
            a->calibrated = false;
        } else {
            for (int i = 0; i < DC_SEVERITY_COUNT; i++)
                a->severity_probs[i] = (a->severity_probs[i] > 0 ? a->severity_probs[i] : 0) / sum;
            if (calibration) {
                a->prediction_set = dc_prediction_set_calibrated(a->severity_probs, calibration);
                a->calibrated = true;
            } else {
                a->prediction_set =
                    dc_prediction_set_uncalibrated(a->severity_probs, DC_DEFAULT_ALPHA);
                a->calibrated = false;
            }
        }
    }
    dc_fault_decide(a);
    dc_fraud_decide(a, metadata);
    dc_review_decide(a);
}
