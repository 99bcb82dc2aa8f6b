/* The one definition of what the model is asked to write. The grammar (model_grammar.c),
 * the parser of model output and the canonical writer (model_output.c), the record's JSON
 * (record_schema.c) and the field list in the prompt (prompt.c) are all generated from these
 * tables, so they cannot drift apart. Changing a name or bound here changes the schema:
 * bump DC_PROMPT_VERSION (and the schema version if a record field changes meaning). */
#include <stddef.h>

#include "claim_internal.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The severity labels are the exact tokens the VLM engine reads probabilities for; their
 * first letters differ (see claim.h). */
static const char *const severity_names[] = {"NONE", "LOW", "MEDIUM", "HIGH"};
const claim_enum_desc claim_enum_severity = {"severity", severity_names,    COUNT(severity_names),
                                             0,          DC_SEVERITY_UNSET, DC_SEVERITY_NONE};

static const char *const scenario_names[] = {
    "unknown",    "rear_end",       "head_on",    "crossing", "left_turn",
    "right_turn", "lane_change",    "side_swipe", "parking",  "pedestrian",
    "cyclist",    "single_vehicle", "other",      "none"};
const claim_enum_desc claim_enum_scenario = {"scenario", scenario_names,      COUNT(scenario_names),
                                             1,          DC_SCENARIO_UNKNOWN, DC_SCENARIO_OTHER};

static const char *const tristate_names[] = {"unknown", "yes", "no", "unclear"};
const claim_enum_desc claim_enum_tristate = {"yesno", tristate_names, COUNT(tristate_names),
                                             1,       DC_TRI_UNKNOWN, DC_TRI_UNCLEAR};

static const char *const action_names[] = {
    "unknown",   "going_straight", "accelerating",  "braking",       "braking_hard",
    "stopped",   "turning_left",   "turning_right", "changing_lane", "merging",
    "reversing", "parked",         "none",          "unclear"};
const claim_enum_desc claim_enum_action = {"action", action_names,      COUNT(action_names),
                                           1,        DC_ACTION_UNKNOWN, DC_ACTION_UNCLEAR};

static const char *const position_names[] = {"unknown",  "ahead",    "behind", "left",   "right",
                                             "oncoming", "crossing", "none",   "unclear"};
const claim_enum_desc claim_enum_position = {"position", position_names,      COUNT(position_names),
                                             1,          DC_POSITION_UNKNOWN, DC_POSITION_UNCLEAR};

static const char *const signal_names[] = {"unknown", "none", "green", "yellow", "red", "unclear"};
const claim_enum_desc claim_enum_signal = {"signal", signal_names,      COUNT(signal_names),
                                           1,        DC_SIGNAL_UNKNOWN, DC_SIGNAL_UNCLEAR};

static const char *const actor_names[] = {"unknown", "car",        "truck",  "bus",  "motorcycle",
                                          "bicycle", "pedestrian", "animal", "other"};
const claim_enum_desc claim_enum_actor = {"actor", actor_names,      COUNT(actor_names),
                                          1,       DC_ACTOR_UNKNOWN, DC_ACTOR_OTHER};

static const char *const road_names[] = {"unknown", "urban",        "residential", "highway",
                                         "rural",   "intersection", "parking_lot", "unclear"};
const claim_enum_desc claim_enum_road = {"road", road_names,      COUNT(road_names),
                                         1,      DC_ROAD_UNKNOWN, DC_ROAD_UNCLEAR};

static const char *const weather_names[] = {"unknown", "clear", "cloudy", "rain",
                                            "snow",    "fog",   "unclear"};
const claim_enum_desc claim_enum_weather = {"weather", weather_names,      COUNT(weather_names),
                                            1,         DC_WEATHER_UNKNOWN, DC_WEATHER_UNCLEAR};

static const char *const light_names[] = {"unknown", "day", "dusk", "night", "unclear"};
const claim_enum_desc claim_enum_light = {"light", light_names,      COUNT(light_names),
                                          1,       DC_LIGHT_UNKNOWN, DC_LIGHT_UNCLEAR};

static const char *const visibility_names[] = {"unknown", "good", "reduced", "poor", "unclear"};
const claim_enum_desc claim_enum_visibility = {
    "visibility",          visibility_names,     COUNT(visibility_names), 1,
    DC_VISIBILITY_UNKNOWN, DC_VISIBILITY_UNCLEAR};

static const char *const hazard_names[] = {
    "unknown",   "cut_in",          "sudden_braking", "crossing_path", "red_light_violation",
    "wrong_way", "tailgating",      "pedestrian",     "cyclist",       "obstacle",
    "animal",    "loss_of_control", "other"};
const claim_enum_desc claim_enum_hazard = {
    "hazardtype", hazard_names, COUNT(hazard_names), 1, DC_HAZARD_UNKNOWN, DC_HAZARD_OTHER};

_Static_assert(sizeof(dc_severity) == sizeof(int) && sizeof(dc_scenario) == sizeof(int) &&
                   sizeof(dc_tristate) == sizeof(int) && sizeof(dc_action) == sizeof(int) &&
                   sizeof(dc_actor) == sizeof(int),
               "enum fields are read and written as int");
_Static_assert(DC_SCENARIO_COUNT == COUNT(scenario_names), "scenario names");
_Static_assert(DC_VISIBILITY_UNCLEAR + 1 == COUNT(visibility_names), "visibility names");
_Static_assert(DC_HAZARD_OTHER + 1 == COUNT(hazard_names), "hazard names");
_Static_assert(DC_ACTION_UNCLEAR + 1 == COUNT(action_names), "action names");

#define ENUM(name, type, field, e, hint)                                                           \
    { name, CLAIM_FIELD_ENUM, offsetof(type, field), 0, 0, 0, 0, &e, NULL, 0, 0, 0, hint }
#define ENUMS(name, type, field, cnt, e, cap, max, hint)                                           \
    {                                                                                              \
        name, CLAIM_FIELD_ENUM_ARRAY, offsetof(type, field), offsetof(type, cnt), sizeof(int),     \
            cap, max, &e, NULL, 0, 0, 0, hint                                                      \
    }
#define NUMBER(name, type, field, lo, hi, hint)                                                    \
    { name, CLAIM_FIELD_NUMBER, offsetof(type, field), 0, 0, 0, 0, NULL, NULL, 0, lo, hi, hint }
#define INT(name, type, field, lo, hi, hint)                                                       \
    { name, CLAIM_FIELD_INT, offsetof(type, field), 0, 0, 0, 0, NULL, NULL, 0, lo, hi, hint }
#define INT_OR_NULL(name, type, field, lo, hi, hint)                                               \
    {                                                                                              \
        name, CLAIM_FIELD_INT_OR_NULL, offsetof(type, field), 0, 0, 0, 0, NULL, NULL, 0, lo, hi,   \
            hint                                                                                   \
    }
#define STRING(name, type, field, max, hint)                                                       \
    {                                                                                              \
        name, CLAIM_FIELD_STRING, offsetof(type, field), 0, 0, (int)sizeof(((type *)0)->field),    \
            max, NULL, NULL, 0, 0, 0, hint                                                         \
    }

static const claim_field facts_fields[] = {
    ENUM("contact", dc_facts, contact, claim_enum_tristate,
         "did the ego vehicle physically touch anything (vehicle, person, object)"),
    ENUM("ego_action", dc_facts, ego_action, claim_enum_action,
         "what the ego (camera) vehicle was doing at the key moment"),
    ENUM("other_action", dc_facts, other_action, claim_enum_action,
         "what the main other party was doing; none if there is no other party"),
    ENUM("other_position", dc_facts, other_position, claim_enum_position,
         "where the main other party was relative to the ego vehicle"),
    ENUM("traffic_signal", dc_facts, traffic_signal, claim_enum_signal,
         "the traffic light facing the ego vehicle"),
    ENUM("other_signal", dc_facts, other_signal, claim_enum_signal,
         "the traffic light facing the other party"),
    ENUM("ego_right_of_way", dc_facts, ego_right_of_way, claim_enum_tristate,
         "did the ego vehicle have the right of way"),
    ENUM("other_braked_suddenly", dc_facts, other_braked_suddenly, claim_enum_tristate,
         "did the other party brake hard and suddenly"),
    ENUM("brake_cause_visible", dc_facts, brake_cause_visible, claim_enum_tristate,
         "is a traffic reason for hard braking visible (obstacle, light, queue)"),
    ENUM("ego_speeding", dc_facts, ego_speeding, claim_enum_tristate,
         "was the ego vehicle clearly too fast for the road or a visible limit"),
    INT_OR_NULL("speed_kmh", dc_facts, speed_kmh, 0, 400,
                "ego speed from an on-screen readout, null if no readout is visible"),
    ENUM("other_positioned_before", dc_facts, other_positioned_before, claim_enum_tristate,
         "was the other party already waiting in place before the event, as if for it"),
    ENUMS("actors", dc_facts, actors, actor_count, claim_enum_actor, DC_MAX_ACTORS, 6,
          "road users involved or close by"),
    ENUM("road", dc_facts, road, claim_enum_road, "kind of road"),
    ENUM("weather", dc_facts, weather, claim_enum_weather, "weather"),
    ENUM("light", dc_facts, light, claim_enum_light, "daylight"),
    ENUM("visibility", dc_facts, visibility, claim_enum_visibility,
         "how far and how clearly one could see"),
};

static const claim_field hazard_fields[] = {
    ENUM("type", dc_hazard, type, claim_enum_hazard, "kind of hazard"),
    ENUMS("actors", dc_hazard, actors, actor_count, claim_enum_actor, DC_MAX_HAZARD_ACTORS, 3,
          "who caused it"),
    ENUM("relation", dc_hazard, relation, claim_enum_position,
         "where, relative to the ego vehicle"),
    NUMBER("t_sec", dc_hazard, t_sec, 0, 99999, "time in seconds from the start of the video"),
};

static const claim_field evidence_fields[] = {
    NUMBER("t_sec", dc_evidence, t_sec, 0, 99999, "time in seconds from the start of the video"),
    STRING("description", dc_evidence, description, 160, "what is visible at that time"),
    INT_OR_NULL("frame", dc_evidence, frame, 0, 999,
                "index of the frame shown to you, counting from 0; null if none"),
};

const claim_field claim_model_fields[CLAIM_MODEL_FIELD_COUNT] = {
    ENUM("severity", dc_assessment, severity, claim_enum_severity,
         "NONE ordinary driving; LOW walking-speed bump; MEDIUM near-miss without contact; "
         "HIGH collision"),
    ENUM("scenario", dc_assessment, scenario, claim_enum_scenario,
         "the kind of incident; none for ordinary driving"),
    {"facts", CLAIM_FIELD_OBJECT, offsetof(dc_assessment, facts), 0, 0, 0, 0, NULL, facts_fields,
     COUNT(facts_fields), 0, 0, "what is visible"},
    {"hazards", CLAIM_FIELD_OBJECT_ARRAY, offsetof(dc_assessment, hazards),
     offsetof(dc_assessment, hazard_count), sizeof(dc_hazard), DC_MAX_HAZARDS, 6, NULL,
     hazard_fields, COUNT(hazard_fields), 0, 0, "dangerous situations, in time order"},
    {"evidence", CLAIM_FIELD_OBJECT_ARRAY, offsetof(dc_assessment, evidence),
     offsetof(dc_assessment, evidence_count), sizeof(dc_evidence), DC_MAX_EVIDENCE, 8, NULL,
     evidence_fields, COUNT(evidence_fields), 0, 0,
     "the frames that support your answer, with their times"},
    STRING("reasoning", dc_assessment, reasoning, 500,
           "two to four sentences tying the evidence to the severity"),
};
const int claim_model_field_count = COUNT(claim_model_fields);
