/* Fraud indicators from the observed facts, the mining windows and (when given) what the
 * claimant says. Each indicator carries an id, a weight and a reason; the score combines
 * weights as independent pieces of evidence (1 - prod(1 - w)), so it stays in [0,1], grows
 * with every indicator, and one strong indicator is not drowned by the absence of others.
 * DC_RULES_VERSION covers this table. */
#include <stdio.h>
#include <string.h>

#include "claim_internal.h"

typedef struct {
    const char *id;
    double weight;
    /* true when the indicator fires; may write a specific reason (else the table's) */
    bool (*fires)(const dc_assessment *a, const dc_claim_metadata *m, char *why, size_t n);
    const char *reason;
} fraud_rule;

static bool any_impact_signal(const dc_assessment *a) {
    for (int i = 0; i < a->window_count && i < DC_MAX_WINDOWS; i++)
        for (int k = 0; k < a->windows[i].signal_count && k < DC_MAX_WINDOW_SIGNALS; k++)
            if (strstr(a->windows[i].signals[k], "impact")) return true;
    return false;
}

/* Brake check: the vehicle ahead brakes hard for no traffic reason and is hit. */
static bool brake_check(const dc_assessment *a, const dc_claim_metadata *m, char *why, size_t n) {
    const dc_facts *f = &a->facts;
    return f->other_position == DC_POSITION_AHEAD && f->other_braked_suddenly == DC_TRI_YES &&
           f->brake_cause_visible == DC_TRI_NO && f->contact != DC_TRI_NO;
}

static bool collision_without_contact(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                                      size_t n) {
    return m && m->collision_claimed == DC_TRI_YES && a->facts.contact == DC_TRI_NO &&
           !any_impact_signal(a);
}

static bool damage_exceeds_severity(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                                    size_t n) {
    if (!m || m->damage_claimed == DC_SEVERITY_UNSET || a->severity == DC_SEVERITY_UNSET)
        return false;
    if ((int)m->damage_claimed - (int)a->severity < 2) return false;
    snprintf(why, n, "claimed damage %s but the video shows %s",
             dc_severity_name(m->damage_claimed), dc_severity_name(a->severity));
    return true;
}

static bool positioned_before(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                              size_t n) {
    return a->facts.other_positioned_before == DC_TRI_YES && a->facts.contact != DC_TRI_NO;
}

static bool repeat_vehicle(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                           size_t n) {
    if (!m || m->recent_claims_same_vehicle < 1) return false;
    snprintf(why, n, "%d recent claim(s) with the same vehicle", m->recent_claims_same_vehicle);
    return true;
}

static bool repeat_location(const dc_assessment *a, const dc_claim_metadata *m, char *why,
                            size_t n) {
    if (!m || m->recent_claims_same_location < 1) return false;
    snprintf(why, n, "%d recent claim(s) at the same location", m->recent_claims_same_location);
    return true;
}

static const fraud_rule fraud_rules[] = {
    {"X-BRAKE-CHECK", 0.50, brake_check,
     "the vehicle ahead braked hard with no visible traffic reason"},
    {"X-NO-CONTACT", 0.60, collision_without_contact,
     "a collision is claimed but no contact is visible and no impact signal fired"},
    {"X-DAMAGE-MISMATCH", 0.40, damage_exceeds_severity,
     "claimed damage exceeds the observed severity"},
    {"X-STAGED-POSITION", 0.40, positioned_before,
     "the other party was in place before the event, as if waiting"},
    {"X-REPEAT-VEHICLE", 0.30, repeat_vehicle, "the same vehicle appears in recent claims"},
    {"X-REPEAT-LOCATION", 0.20, repeat_location, "the same location appears in recent claims"},
};

void dc_fraud_decide(dc_assessment *a, const dc_claim_metadata *m) {
    a->fraud_indicator_count = 0;
    memset(a->fraud_indicators, 0, sizeof a->fraud_indicators);
    a->fraud_score = 0;
    /* A failed claim has no observations; metadata alone is judged by a person. */
    if (a->status == DC_CLAIM_FAILED) return;
    double keep = 1.0; /* probability that no indicator is real */
    for (size_t i = 0; i < sizeof fraud_rules / sizeof fraud_rules[0]; i++) {
        const fraud_rule *r = &fraud_rules[i];
        char why[200] = "";
        if (!r->fires(a, m, why, sizeof why)) continue;
        if (a->fraud_indicator_count >= DC_MAX_FRAUD_INDICATORS) break;
        dc_fraud_indicator *ind = &a->fraud_indicators[a->fraud_indicator_count++];
        snprintf(ind->id, sizeof ind->id, "%s", r->id);
        ind->weight = r->weight;
        snprintf(ind->reason, sizeof ind->reason, "%s", why[0] ? why : r->reason);
        keep *= 1.0 - r->weight;
    }
    a->fraud_score = 1.0 - keep;
}

void dc_claim_metadata_init(dc_claim_metadata *m) {
    m->collision_claimed = DC_TRI_UNKNOWN;
    m->damage_claimed = DC_SEVERITY_UNSET;
    m->recent_claims_same_vehicle = -1;
    m->recent_claims_same_location = -1;
}
