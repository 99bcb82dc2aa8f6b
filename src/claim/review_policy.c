/* Review priority and recommended action. The first matching row of review_rules decides;
 * its id is recorded as review_rule. Order matters: failures and fraud come before
 * severity, so that nothing with a problem is ever approved. DC_RULES_VERSION covers this
 * table. */
#include <stdio.h>

#include "claim_internal.h"

#define FRAUD_REJECT_THRESHOLD 0.75
#define FRAUD_REVIEW_THRESHOLD 0.40

typedef struct {
    const char *id;
    bool (*when)(const dc_assessment *a);
    dc_recommended_action action;
    dc_review_priority priority;
} review_rule;

static bool failed(const dc_assessment *a) { return a->status == DC_CLAIM_FAILED; }
static bool fraud_reject(const dc_assessment *a) {
    /* a degraded claim is never rejected automatically: the evidence is incomplete */
    return a->status == DC_CLAIM_OK && a->fraud_score >= FRAUD_REJECT_THRESHOLD;
}
static bool fraud_review(const dc_assessment *a) {
    return a->fraud_score >= FRAUD_REVIEW_THRESHOLD;
}
static bool high(const dc_assessment *a) { return a->severity == DC_SEVERITY_HIGH; }
static bool uncertain(const dc_assessment *a) {
    return dc_prediction_set_size(a->prediction_set) != 1;
}
static bool degraded(const dc_assessment *a) { return a->status == DC_CLAIM_DEGRADED; }
static bool none(const dc_assessment *a) { return a->severity == DC_SEVERITY_NONE; }
static bool low(const dc_assessment *a) { return a->severity == DC_SEVERITY_LOW; }
static bool always(const dc_assessment *a) { return true; }

static const review_rule review_rules[] = {
    {"R-FAILED", failed, DC_RECOMMEND_REVIEW, DC_PRIORITY_STANDARD},
    {"R-FRAUD-REJECT", fraud_reject, DC_RECOMMEND_REJECT, DC_PRIORITY_URGENT},
    {"R-FRAUD-REVIEW", fraud_review, DC_RECOMMEND_REVIEW, DC_PRIORITY_URGENT},
    {"R-HIGH", high, DC_RECOMMEND_REVIEW, DC_PRIORITY_URGENT},
    {"R-UNCERTAIN", uncertain, DC_RECOMMEND_REVIEW, DC_PRIORITY_URGENT},
    {"R-DEGRADED", degraded, DC_RECOMMEND_REVIEW, DC_PRIORITY_STANDARD},
    /* ordinary driving, with certainty: the clip shows no incident, ask for the right one */
    {"R-NONE", none, DC_RECOMMEND_REQUEST_MORE_INFO, DC_PRIORITY_LOW},
    {"R-LOW", low, DC_RECOMMEND_APPROVE, DC_PRIORITY_LOW},
    {"R-MEDIUM", always, DC_RECOMMEND_REVIEW, DC_PRIORITY_STANDARD},
};

void dc_review_decide(dc_assessment *a) {
    for (size_t i = 0; i < sizeof review_rules / sizeof review_rules[0]; i++) {
        const review_rule *r = &review_rules[i];
        if (!r->when(a)) continue;
        a->recommended_action = r->action;
        a->review_priority = r->priority;
        snprintf(a->review_rule, sizeof a->review_rule, "%s", r->id);
        return;
    }
}
