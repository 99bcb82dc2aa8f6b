/* Fault ratio (the ego vehicle's share, 0-100) from the observed facts: one base rule per
 * scenario (the first matching row of measured_rules, then of base_rules, wins), then
 * modifiers, each recorded with its id and a one-line reason so a reviewer can see exactly
 * how the number came about. measured_rules and the F-M-T-* modifiers decide from the
 * dashcam's own data (a->telemetry: GPS speed and acceleration, measured rather than seen), so
 * they go before the rows that read the model's facts. The tables are DC_RULES_VERSION;
 * changing a row means bumping it. */
#include <stdio.h>
#include <string.h>

#include "claim_internal.h"

typedef bool (*fact_test)(const dc_facts *f);

typedef struct {
    const char *id;
    dc_scenario scenario;
    fact_test when; /* NULL = always (the scenario's default row) */
    int ratio;
    const char *reason;
} base_rule;

typedef struct {
    const char *id;
    bool (*applies)(const dc_assessment *a);
    int delta;
    const char *reason;
} modifier_rule;

static bool is_moving(dc_action a) {
    return a != DC_ACTION_STOPPED && a != DC_ACTION_PARKED && a != DC_ACTION_NONE;
}

static bool other_ahead(const dc_facts *f) { return f->other_position == DC_POSITION_AHEAD; }
static bool other_behind(const dc_facts *f) { return f->other_position == DC_POSITION_BEHIND; }
static bool ego_has_row(const dc_facts *f) { return f->ego_right_of_way == DC_TRI_YES; }
static bool ego_lacks_row(const dc_facts *f) { return f->ego_right_of_way == DC_TRI_NO; }
static bool ego_red(const dc_facts *f) { return f->traffic_signal == DC_SIGNAL_RED; }
static bool other_red(const dc_facts *f) { return f->other_signal == DC_SIGNAL_RED; }
static bool ego_turns_left(const dc_facts *f) { return f->ego_action == DC_ACTION_TURNING_LEFT; }
static bool other_turns_left(const dc_facts *f) {
    return f->other_action == DC_ACTION_TURNING_LEFT;
}
static bool ego_turns_right(const dc_facts *f) { return f->ego_action == DC_ACTION_TURNING_RIGHT; }
static bool other_turns_right(const dc_facts *f) {
    return f->other_action == DC_ACTION_TURNING_RIGHT;
}
static bool ego_changes_lane(const dc_facts *f) {
    return f->ego_action == DC_ACTION_CHANGING_LANE || f->ego_action == DC_ACTION_MERGING;
}
static bool other_changes_lane(const dc_facts *f) {
    return f->other_action == DC_ACTION_CHANGING_LANE || f->other_action == DC_ACTION_MERGING;
}
static bool ego_reverses_into_still(const dc_facts *f) {
    return f->ego_action == DC_ACTION_REVERSING && !is_moving(f->other_action);
}
static bool other_reverses_into_still(const dc_facts *f) {
    return f->other_action == DC_ACTION_REVERSING && !is_moving(f->ego_action);
}
static bool ego_green_with_row(const dc_facts *f) {
    return f->ego_right_of_way == DC_TRI_YES && f->traffic_signal == DC_SIGNAL_GREEN;
}

static const base_rule base_rules[] = {
    {"F-RE-1", DC_SCENARIO_REAR_END, other_ahead, 100,
     "rear-end: the ego vehicle was the following vehicle"},
    {"F-RE-2", DC_SCENARIO_REAR_END, other_behind, 0,
     "rear-end: the ego vehicle was hit from behind"},
    {"F-RE-3", DC_SCENARIO_REAR_END, NULL, 50, "rear-end: which vehicle followed is not clear"},
    {"F-HO-1", DC_SCENARIO_HEAD_ON, ego_has_row, 0,
     "head-on: the ego vehicle kept to its right of way"},
    {"F-HO-2", DC_SCENARIO_HEAD_ON, ego_lacks_row, 100,
     "head-on: the ego vehicle left its right of way"},
    {"F-HO-3", DC_SCENARIO_HEAD_ON, NULL, 50, "head-on: right of way not clear"},
    {"F-CR-1", DC_SCENARIO_CROSSING, ego_red, 100,
     "crossing: the ego vehicle entered against a red light"},
    {"F-CR-2", DC_SCENARIO_CROSSING, other_red, 0,
     "crossing: the other party entered against a red light"},
    {"F-CR-3", DC_SCENARIO_CROSSING, ego_has_row, 0,
     "crossing: the ego vehicle had the right of way"},
    {"F-CR-4", DC_SCENARIO_CROSSING, ego_lacks_row, 100, "crossing: the ego vehicle had to yield"},
    {"F-CR-5", DC_SCENARIO_CROSSING, NULL, 50, "crossing: signal and right of way not clear"},
    {"F-LT-1", DC_SCENARIO_LEFT_TURN, ego_turns_left, 80,
     "left turn: the ego vehicle turned across traffic"},
    {"F-LT-2", DC_SCENARIO_LEFT_TURN, other_turns_left, 20,
     "left turn: the other vehicle turned across the ego vehicle"},
    {"F-LT-3", DC_SCENARIO_LEFT_TURN, NULL, 50, "left turn: who turned is not clear"},
    {"F-RT-1", DC_SCENARIO_RIGHT_TURN, ego_turns_right, 80,
     "right turn: the ego vehicle turned into the other's path"},
    {"F-RT-2", DC_SCENARIO_RIGHT_TURN, other_turns_right, 20,
     "right turn: the other vehicle turned into the ego's path"},
    {"F-RT-3", DC_SCENARIO_RIGHT_TURN, NULL, 50, "right turn: who turned is not clear"},
    {"F-LC-1", DC_SCENARIO_LANE_CHANGE, ego_changes_lane, 80,
     "lane change: the ego vehicle changed lanes"},
    {"F-LC-2", DC_SCENARIO_LANE_CHANGE, other_changes_lane, 20,
     "lane change: the other vehicle changed lanes"},
    {"F-LC-3", DC_SCENARIO_LANE_CHANGE, NULL, 50, "lane change: who changed lanes is not clear"},
    {"F-SS-1", DC_SCENARIO_SIDE_SWIPE, ego_changes_lane, 80,
     "side-swipe: the ego vehicle left its lane"},
    {"F-SS-2", DC_SCENARIO_SIDE_SWIPE, other_changes_lane, 20,
     "side-swipe: the other vehicle left its lane"},
    {"F-SS-3", DC_SCENARIO_SIDE_SWIPE, NULL, 50, "side-swipe: neither lane departure is clear"},
    {"F-PK-1", DC_SCENARIO_PARKING, ego_reverses_into_still, 100,
     "parking: the ego vehicle reversed into a still one"},
    {"F-PK-2", DC_SCENARIO_PARKING, other_reverses_into_still, 0,
     "parking: the other vehicle reversed into the still ego"},
    {"F-PK-3", DC_SCENARIO_PARKING, NULL, 50, "parking: shared duty of care at low speed"},
    {"F-PD-1", DC_SCENARIO_PEDESTRIAN, ego_green_with_row, 50,
     "pedestrian: crossed against the ego's green light; the driver still owed care"},
    {"F-PD-2", DC_SCENARIO_PEDESTRIAN, NULL, 100,
     "pedestrian: the driver is responsible towards a pedestrian"},
    {"F-CY-1", DC_SCENARIO_CYCLIST, ego_has_row, 30,
     "cyclist: the ego vehicle had the right of way"},
    {"F-CY-2", DC_SCENARIO_CYCLIST, NULL, 100,
     "cyclist: the driver is responsible unless the cyclist had to yield"},
    {"F-SV-1", DC_SCENARIO_SINGLE_VEHICLE, NULL, 100, "single vehicle: no other party involved"},
    {"F-OT-1", DC_SCENARIO_OTHER, ego_has_row, 20, "other: the ego vehicle had the right of way"},
    {"F-OT-2", DC_SCENARIO_OTHER, ego_lacks_row, 80, "other: the ego vehicle had to yield"},
    {"F-OT-3", DC_SCENARIO_OTHER, NULL, 50, "other: no rule decides; split until reviewed"},
};

/* ---- rows from the dashcam's own data (a->telemetry) ------------------------------------- */

typedef struct {
    const char *id;
    dc_scenario scenario;
    bool (*when)(const dc_assessment *a);
    int ratio;
    const char *reason;
} measured_rule;

/* GPS speed under this is standing still (a receiver at rest reads 0-2 km/h of noise). */
#define STILL_KMH 3.0
/* GPS speed from which a car that runs into the one ahead had not braked to a crawl. */
#define FAST_KMH 30.0
/* Deceleration by the GPS speed from which the ego braked hard (an emergency stop on a dry road
 * is 0.8-1 g; ordinary braking stays under 0.3 g). */
#define HARD_BRAKE_G 0.4

/* The last GPS speed before the incident (telemetry_use.c: within the 5 s before it). */
static bool gps_speed_before(const dc_assessment *a, double *kmh) {
    *kmh = a->telemetry.speed_before_kmh;
    return a->telemetry.source[0] && a->telemetry.valid_fix_count > 0 && *kmh >= 0;
}
/* Stood still before the impact (every GPS speed of the 2 s before it, where the summary has
 * them, else the last one), and not reversing (a car reversing into the one behind moves at
 * walking pace, which GPS may read as still). */
static bool gps_still_when_hit(const dc_assessment *a) {
    double kmh;
    if (!gps_speed_before(a, &kmh)) return false;
    if (a->telemetry.speed_max_before_kmh >= 0) kmh = a->telemetry.speed_max_before_kmh;
    return kmh < STILL_KMH && a->facts.ego_action != DC_ACTION_REVERSING;
}

static const measured_rule measured_rules[] = {
    {"F-RE-T-STILL", DC_SCENARIO_REAR_END, gps_still_when_hit, 0,
     "rear-end: the dashcam's GPS shows the ego vehicle standing still (under 3 km/h) just "
     "before the impact: it was hit, it did not hit"},
};

/* The signal rules already decide crossings; the modifiers must not count a red light twice. */
static bool signal_not_in_base(const dc_assessment *a) {
    return a->scenario != DC_SCENARIO_CROSSING;
}

static bool mod_ego_ran_red(const dc_assessment *a) {
    return signal_not_in_base(a) && a->facts.traffic_signal == DC_SIGNAL_RED &&
           is_moving(a->facts.ego_action) && a->facts.ego_action != DC_ACTION_UNKNOWN;
}
static bool mod_other_ran_red(const dc_assessment *a) {
    return signal_not_in_base(a) && a->facts.other_signal == DC_SIGNAL_RED &&
           is_moving(a->facts.other_action) && a->facts.other_action != DC_ACTION_UNKNOWN;
}
/* A lead vehicle that brakes hard for nothing shares the blame for being hit. */
static bool mod_other_brake_no_cause(const dc_assessment *a) {
    return a->facts.other_position == DC_POSITION_AHEAD &&
           a->facts.other_braked_suddenly == DC_TRI_YES &&
           a->facts.brake_cause_visible == DC_TRI_NO;
}
static bool mod_ego_brake_no_cause(const dc_assessment *a) {
    return a->facts.other_position == DC_POSITION_BEHIND &&
           a->facts.ego_action == DC_ACTION_BRAKING_HARD &&
           a->facts.brake_cause_visible == DC_TRI_NO;
}
static bool mod_ego_speeding(const dc_assessment *a) { return a->facts.ego_speeding == DC_TRI_YES; }
static bool mod_poor_visibility(const dc_assessment *a) {
    return a->facts.visibility == DC_VISIBILITY_POOR && is_moving(a->facts.ego_action) &&
           a->facts.ego_action != DC_ACTION_UNKNOWN;
}

/* Following the vehicle it hit, and still at speed by the GPS just before the impact: the ego
 * had not slowed for what was ahead (whatever the model read of its speed). */
static bool mod_gps_fast_into_rear_end(const dc_assessment *a) {
    double kmh;
    return a->scenario == DC_SCENARIO_REAR_END && a->facts.other_position == DC_POSITION_AHEAD &&
           gps_speed_before(a, &kmh) && kmh >= FAST_KMH;
}

/* Hit from behind after braking hard by the GPS for nothing visible: the measured twin of
 * F-M-BRK-EGO (which reads the model's ego_action; not counted twice). */
static bool mod_gps_brake_no_cause(const dc_assessment *a) {
    return a->facts.other_position == DC_POSITION_BEHIND && a->telemetry.source[0] &&
           a->telemetry.brake_g >= HARD_BRAKE_G && a->facts.brake_cause_visible == DC_TRI_NO &&
           a->facts.ego_action != DC_ACTION_BRAKING_HARD;
}

static const modifier_rule modifiers[] = {
    {"F-M-SIG-EGO", mod_ego_ran_red, +20, "the ego vehicle moved against a red light"},
    {"F-M-SIG-OTH", mod_other_ran_red, -20, "the other party moved against a red light"},
    {"F-M-BRK-OTH", mod_other_brake_no_cause, -30,
     "the lead vehicle braked hard with no visible cause"},
    {"F-M-BRK-EGO", mod_ego_brake_no_cause, +30,
     "the ego vehicle braked hard with no visible cause"},
    {"F-M-SPEED", mod_ego_speeding, +10, "the ego vehicle was too fast"},
    {"F-M-VIS", mod_poor_visibility, +10, "the ego vehicle kept moving in poor visibility"},
    {"F-M-T-FAST", mod_gps_fast_into_rear_end, +10,
     "the dashcam's GPS shows the ego vehicle still at 30 km/h or more just before it hit the "
     "vehicle ahead"},
    {"F-M-T-BRAKE", mod_gps_brake_no_cause, +30,
     "the dashcam's GPS shows the ego vehicle braking hard (0.4 g or more) with no visible "
     "cause before it was hit from behind"},
};

static void add_hit(dc_assessment *a, const char *id, const char *reason) {
    if (a->fault_rule_count >= DC_MAX_FAULT_RULES) return;
    dc_fault_rule_hit *h = &a->fault_rules[a->fault_rule_count++];
    snprintf(h->id, sizeof h->id, "%s", id);
    snprintf(h->reason, sizeof h->reason, "%s", reason);
}

void dc_fault_decide(dc_assessment *a) {
    a->fault_has_ratio = false;
    a->fault_ratio = 0;
    a->fault_rule_count = 0;
    memset(a->fault_rules, 0, sizeof a->fault_rules);
    if (a->status == DC_CLAIM_FAILED || a->severity == DC_SEVERITY_UNSET) return;
    /* Nothing happened: a ratio of 0 would read as "the other party is to blame". */
    if (a->severity == DC_SEVERITY_NONE) {
        add_hit(a, "F-NONE", "no incident: no fault ratio");
        return;
    }
    if (a->scenario == DC_SCENARIO_NONE || a->scenario == DC_SCENARIO_UNKNOWN) {
        add_hit(a, "F-NOSCEN", "no scenario observed: no fault ratio");
        return;
    }
    const char *id = NULL, *why = NULL;
    int ratio = 0;
    for (size_t i = 0; i < sizeof measured_rules / sizeof measured_rules[0] && !id; i++) {
        const measured_rule *r = &measured_rules[i];
        if (r->scenario == a->scenario && r->when(a)) id = r->id, why = r->reason, ratio = r->ratio;
    }
    for (size_t i = 0; i < sizeof base_rules / sizeof base_rules[0] && !id; i++) {
        const base_rule *r = &base_rules[i];
        if (r->scenario == a->scenario && (!r->when || r->when(&a->facts)))
            id = r->id, why = r->reason, ratio = r->ratio;
    }
    if (!id) { /* every scenario has a default row; this is a table bug */
        add_hit(a, "F-NORULE", "no fault rule for this scenario");
        return;
    }
    add_hit(a, id, why);
    for (size_t i = 0; i < sizeof modifiers / sizeof modifiers[0]; i++) {
        if (!modifiers[i].applies(a)) continue;
        ratio += modifiers[i].delta;
        char reason[200];
        snprintf(reason, sizeof reason, "%s (%+d)", modifiers[i].reason, modifiers[i].delta);
        add_hit(a, modifiers[i].id, reason);
    }
    a->fault_ratio = ratio < 0 ? 0 : ratio > 100 ? 100 : ratio;
    a->fault_has_ratio = true;
}
