/* The claim record: what dashclaim says about one video, and how it decides it.
 *
 * A dc_assessment is a plain value: fixed-size fields, nothing to free. Engines fill the
 * observed part (severity, its probabilities, scenario, facts, hazards, evidence, reasoning);
 * dc_claim_decide() adds the decisions (fault ratio, fraud score, prediction set, review
 * priority, recommended action) from versioned rule tables; dc_assessment_to_json() writes the
 * record ("dashclaim.assessment/1").
 *
 * The model-facing part of the schema (what a VLM is asked to write) is defined once, as a
 * table inside src/claim/; the GBNF grammar, the parser of model output, the canonical
 * model-output serializer and the field list in the prompt are all generated from it.
 *
 * Severity read-out from logits: a grammar-constrained model output always starts with the
 * exact bytes DC_MODEL_OUTPUT_PREFIX, i.e. `{"severity":"` (compact JSON, no whitespace
 * anywhere in the grammar), and the next bytes are exactly one of the four labels
 * dc_severity_name(DC_SEVERITY_NONE..DC_SEVERITY_HIGH) = "NONE", "LOW", "MEDIUM", "HIGH",
 * followed by `"`. The four labels begin with four different letters (N, L, M, H), so the
 * first token generated after the prefix already tells them apart. This prefix is part of
 * the schema version: it will not change within "dashclaim.assessment/1". An engine that
 * decodes the prefix itself (forced, then accepted by the grammar sampler) reads the four
 * labels' first-token logits at the next step, and passes prefix + generated text to
 * dc_model_output_apply. (tests/claim/test_claim_grammar.c checks all this with llama.cpp's
 * grammar sampler and the Qwen2 vocabulary.)
 */
#ifndef DASHCLAIM_CLAIM_H
#define DASHCLAIM_CLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/status.h"

#define DC_ASSESSMENT_SCHEMA "dashclaim.assessment/1"
#define DC_CALIBRATION_SCHEMA "dashclaim.calibration/1"
/* Recorded in engine.prompt_version of every assessment made with dc_prompt_*().
 * 2: the same words, reordered: the guidance and the field list moved from the claim's turn
 * into the system message, which is then the same for every claim; frame times to 0.1 s.
 * 3: the frame lines follow the model family (Qwen3-VL: "<t seconds>" before each pair), a
 * reasoning family's answer format closes the user turn (Cosmos-Reason2), and a model that
 * hears is told the window's sound comes with the frames; Qwen2.5-VL's words are those of 2.
 * 4: a video with telemetry gets a line of GPS speed and G-sensor acceleration per frame pair
 * after the frames (the fixed prefix is unchanged); without telemetry the words are those of 3. */
#define DC_PROMPT_VERSION "claim-prompt/4"
/* Version of the fault, fraud and review tables; recorded as rules_version.
 * 2: fraud rows that hold the claim against the dashcam's telemetry and the file's tags
 * (X-PLACE-MISMATCH, X-TIME-MISMATCH, X-NO-JOLT, X-TELEMETRY-MISSING, X-REENCODED). */
#define DC_RULES_VERSION "claim-rules/3"
/* Every grammar-constrained model output starts with these bytes; see above. */
#define DC_MODEL_OUTPUT_PREFIX "{\"severity\":\""
/* The root rule name of dc_model_output_grammar(). */
#define DC_MODEL_OUTPUT_GRAMMAR_ROOT "root"
/* Miscoverage used for the uncalibrated prediction set when no calibration is given. */
#define DC_DEFAULT_ALPHA 0.1

/* ---- enumerations (0 = unknown / not reported, except severity) ---------------------- */

typedef enum {
    DC_SEVERITY_UNSET = -1, /* JSON null: no severity (always so when status is failed) */
    DC_SEVERITY_NONE = 0,   /* ordinary driving */
    DC_SEVERITY_LOW,        /* walking-speed bump, no injury possible */
    DC_SEVERITY_MEDIUM,     /* near-miss: danger, but no physical contact */
    DC_SEVERITY_HIGH,       /* collision: physical contact */
} dc_severity;
#define DC_SEVERITY_COUNT 4

typedef enum { DC_CLAIM_OK = 0, DC_CLAIM_DEGRADED, DC_CLAIM_FAILED } dc_claim_status;

typedef enum {
    DC_SCENARIO_UNKNOWN = 0,
    DC_SCENARIO_REAR_END,
    DC_SCENARIO_HEAD_ON,
    DC_SCENARIO_CROSSING,
    DC_SCENARIO_LEFT_TURN,
    DC_SCENARIO_RIGHT_TURN,
    DC_SCENARIO_LANE_CHANGE,
    DC_SCENARIO_SIDE_SWIPE,
    DC_SCENARIO_PARKING,
    DC_SCENARIO_PEDESTRIAN,
    DC_SCENARIO_CYCLIST,
    DC_SCENARIO_SINGLE_VEHICLE,
    DC_SCENARIO_OTHER,
    DC_SCENARIO_NONE,
} dc_scenario;
#define DC_SCENARIO_COUNT 14

/* yes / no / unclear as the model reports them; UNKNOWN = not reported at all. */
typedef enum { DC_TRI_UNKNOWN = 0, DC_TRI_YES, DC_TRI_NO, DC_TRI_UNCLEAR } dc_tristate;

typedef enum {
    DC_ACTION_UNKNOWN = 0,
    DC_ACTION_GOING_STRAIGHT,
    DC_ACTION_ACCELERATING,
    DC_ACTION_BRAKING,
    DC_ACTION_BRAKING_HARD,
    DC_ACTION_STOPPED,
    DC_ACTION_TURNING_LEFT,
    DC_ACTION_TURNING_RIGHT,
    DC_ACTION_CHANGING_LANE,
    DC_ACTION_MERGING,
    DC_ACTION_REVERSING,
    DC_ACTION_PARKED,
    DC_ACTION_NONE, /* no other party */
    DC_ACTION_UNCLEAR,
} dc_action;

/* Where the other party is relative to the ego (camera) vehicle. */
typedef enum {
    DC_POSITION_UNKNOWN = 0,
    DC_POSITION_AHEAD,
    DC_POSITION_BEHIND,
    DC_POSITION_LEFT,
    DC_POSITION_RIGHT,
    DC_POSITION_ONCOMING,
    DC_POSITION_CROSSING,
    DC_POSITION_NONE,
    DC_POSITION_UNCLEAR,
} dc_position;

typedef enum {
    DC_SIGNAL_UNKNOWN = 0,
    DC_SIGNAL_NONE, /* no traffic light applies */
    DC_SIGNAL_GREEN,
    DC_SIGNAL_YELLOW,
    DC_SIGNAL_RED,
    DC_SIGNAL_UNCLEAR,
} dc_signal;

typedef enum {
    DC_ACTOR_UNKNOWN = 0,
    DC_ACTOR_CAR,
    DC_ACTOR_TRUCK,
    DC_ACTOR_BUS,
    DC_ACTOR_MOTORCYCLE,
    DC_ACTOR_BICYCLE,
    DC_ACTOR_PEDESTRIAN,
    DC_ACTOR_ANIMAL,
    DC_ACTOR_OTHER,
} dc_actor;

typedef enum {
    DC_ROAD_UNKNOWN = 0,
    DC_ROAD_URBAN,
    DC_ROAD_RESIDENTIAL,
    DC_ROAD_HIGHWAY,
    DC_ROAD_RURAL,
    DC_ROAD_INTERSECTION,
    DC_ROAD_PARKING_LOT,
    DC_ROAD_UNCLEAR,
} dc_road;

typedef enum {
    DC_WEATHER_UNKNOWN = 0,
    DC_WEATHER_CLEAR,
    DC_WEATHER_CLOUDY,
    DC_WEATHER_RAIN,
    DC_WEATHER_SNOW,
    DC_WEATHER_FOG,
    DC_WEATHER_UNCLEAR,
} dc_weather;

typedef enum {
    DC_LIGHT_UNKNOWN = 0,
    DC_LIGHT_DAY,
    DC_LIGHT_DUSK,
    DC_LIGHT_NIGHT,
    DC_LIGHT_UNCLEAR,
} dc_light;

typedef enum {
    DC_VISIBILITY_UNKNOWN = 0,
    DC_VISIBILITY_GOOD,
    DC_VISIBILITY_REDUCED,
    DC_VISIBILITY_POOR,
    DC_VISIBILITY_UNCLEAR,
} dc_visibility;

typedef enum {
    DC_HAZARD_UNKNOWN = 0,
    DC_HAZARD_CUT_IN,
    DC_HAZARD_SUDDEN_BRAKING,
    DC_HAZARD_CROSSING_PATH,
    DC_HAZARD_RED_LIGHT_VIOLATION,
    DC_HAZARD_WRONG_WAY,
    DC_HAZARD_TAILGATING,
    DC_HAZARD_PEDESTRIAN,
    DC_HAZARD_CYCLIST,
    DC_HAZARD_OBSTACLE,
    DC_HAZARD_ANIMAL,
    DC_HAZARD_LOSS_OF_CONTROL,
    DC_HAZARD_OTHER,
} dc_hazard_type;

typedef enum {
    DC_PRIORITY_LOW = 0, /* "LOW_PRIORITY" */
    DC_PRIORITY_STANDARD,
    DC_PRIORITY_URGENT,
} dc_review_priority;

typedef enum {
    DC_RECOMMEND_REVIEW = 0,
    DC_RECOMMEND_APPROVE,
    DC_RECOMMEND_REJECT,
    DC_RECOMMEND_REQUEST_MORE_INFO,
} dc_recommended_action;

typedef enum { DC_CONFORMAL_LAC = 0, DC_CONFORMAL_APS } dc_conformal_method;

/* ---- the record ---------------------------------------------------------------------- */

#define DC_MAX_WINDOWS 8
#define DC_MAX_WINDOW_SIGNALS 8
#define DC_MAX_ACTORS 8
#define DC_MAX_HAZARDS 16
#define DC_MAX_HAZARD_ACTORS 4
#define DC_MAX_EVIDENCE 16
#define DC_MAX_FAULT_RULES 16
#define DC_MAX_FRAUD_INDICATORS 16
/* A claim is one or more videos (front, rear and cabin channels, loop-recorded segments); a
 * group with more is refused with an error naming the limit. */
#define DC_MAX_CLAIM_VIDEOS 32

typedef struct {
    char path[1024];
    char sha256[65]; /* lowercase hex, "" when unknown */
    double duration_sec;
    int width, height;
    double fps;
    char encoder[64]; /* the container's encoder tag (the program that wrote it); "" = none */
    char device[64];  /* the camera its tags name; "" = none */
} dc_video_info;

typedef struct {
    char name[16];            /* "vlm" | "signals" */
    char model[256];          /* model file name (VLM) or "" */
    char model_sha256[65];    /* "" when not computed */
    char device[64];          /* e.g. "cpu", "cuda:0", "cuda:0->cpu fallback" */
    char prompt_version[32];  /* DC_PROMPT_VERSION for the VLM engine */
    int prompt_tokens;        /* every prompt token of the claim, text and visual (VLM; 0 = none) */
    int cached_prompt_tokens; /* of those, the ones whose KV cells an earlier claim computed */
    int thinking_tokens;      /* tokens a reasoning model thought before its answer (VLM) */
    char modalities[2][8];    /* what the model saw: "video", and "audio" for a model that hears */
    int modality_count;
    int batch; /* VLM: the most claims that shared one of its decode steps (1 = alone); 0 for
                  the signals engine */
} dc_engine_info;

/* Which camera of the car a video comes from. */
typedef enum {
    DC_ROLE_UNKNOWN = 0,
    DC_ROLE_FRONT,
    DC_ROLE_REAR,
    DC_ROLE_INTERIOR,
    DC_ROLE_LEFT,
    DC_ROLE_RIGHT,
    DC_ROLE_COUNT
} dc_video_role;

/* One video of a claim, placed on the claim's timeline (JSON "videos"). The caller that
 * groups files fills path, role, segment, start_time, start_source and offset_sec (and
 * sha256 when it already has it); the pipeline fills duration_sec, sha256 and error.
 * A claim's timeline starts at 0 at the earliest video's first frame; every time in the
 * record (windows, evidence, hazards, telemetry) is on that timeline, and the rows that come
 * from one video also give its index and the time within it. A one-video claim has one entry
 * with offset 0 and reads as before. */
typedef struct {
    char path[1024];
    char sha256[65]; /* lowercase hex, "" when unknown */
    dc_video_role role;
    int segment; /* the camera's segment number (or the place in a series); -1 = unknown */
    /* When its first frame was recorded: "2026-03-14T09:26:56Z" (UTC, from telemetry) or
     * "2026-03-14T09:26:56" (the camera's local clock, no zone); "" = unknown. */
    char start_time[32];
    char start_source[16]; /* "telemetry" | "file-name" | "container" | "" */
    double offset_sec;     /* where it starts on the claim's timeline */
    double duration_sec;
    /* "" = used; otherwise why this video added nothing (e.g. a channel that does not decode:
     * the claim is then degraded, not failed) */
    char error[256];
} dc_claim_video;

/* What the pipeline assesses as one claim. */
typedef struct {
    int count;
    dc_claim_video videos[DC_MAX_CLAIM_VIDEOS];
} dc_claim_input;

/* "front", "rear", "interior", "left", "right", "unknown"; from_name is case-insensitive
 * and returns DC_ROLE_UNKNOWN for anything else. */
const char *dc_video_role_name(dc_video_role r);
dc_video_role dc_video_role_from_name(const char *name);

/* An incident window found by mining. A signal whose name contains "impact" counts as
 * impact evidence for the fraud rules (see X-NO-CONTACT). */
typedef struct {
    double start_sec, end_sec, peak_sec;
    double danger; /* 0..1 */
    int signal_count;
    char signals[DC_MAX_WINDOW_SIGNALS][32];
    int video;             /* index into the record's videos of the video its peak is in (-1:
                              none, only in a damaged record read back) */
    double video_peak_sec; /* the peak's time within that video */
} dc_window;

typedef struct {
    dc_tristate contact; /* physical contact between the ego vehicle and anything */
    dc_action ego_action;
    dc_action other_action;
    dc_position other_position;
    dc_signal traffic_signal; /* the light facing the ego vehicle */
    dc_signal other_signal;   /* the light facing the other party */
    dc_tristate ego_right_of_way;
    dc_tristate other_braked_suddenly;
    dc_tristate brake_cause_visible; /* a visible traffic reason for the hard braking */
    dc_tristate ego_speeding;
    int speed_kmh; /* ego speed from an on-screen readout; -1 when none is visible */
    dc_tristate other_positioned_before; /* the other party waited in place for the event */
    int actor_count;
    dc_actor actors[DC_MAX_ACTORS];
    dc_road road;
    dc_weather weather;
    dc_light light;
    dc_visibility visibility;
} dc_facts;

typedef struct {
    dc_hazard_type type;
    int actor_count;
    dc_actor actors[DC_MAX_HAZARD_ACTORS];
    dc_position relation;
    double t_sec;       /* on the claim's timeline */
    int video;          /* index into the record's videos (0 for one video; -1 as evidence) */
    double video_t_sec; /* the time within that video */
} dc_hazard;

typedef struct {
    double t_sec;
    /* UTF-8; the grammar allows 160 characters of up to 4 bytes each, so a model that
     * writes non-ASCII text is never cut (a cut would mark the claim degraded). */
    char description[4 * 160 + 1];
    int frame; /* index of the frame in the engine's sample, -1 when none */
    int video; /* index into the record's videos (0 for one video; -1 only in a damaged record
                  read back); t_sec is on the claim's timeline, video_t_sec within that video */
    double video_t_sec;
} dc_evidence;

typedef struct {
    char id[16];
    char reason[200];
} dc_fault_rule_hit;

typedef struct {
    char id[24];
    double weight;
    char reason[200];
} dc_fraud_indicator;

typedef struct {
    /* per-stage wall time in milliseconds; negative = stage not run (JSON null) */
    double probe, mine, sample, engine, decide, total;
} dc_timings;

typedef struct {
    uint64_t rss_before, rss_after;       /* bytes */
    uint64_t device_before, device_after; /* bytes of device memory in use; 0 = n/a */
} dc_memory;

/* The dashcam's own data, summed up for the claim (the pipeline fills it from the video's
 * telemetry around the incident; JSON "telemetry", null when the video has none). A record
 * written before this field existed reads as "none". */
#define DC_NO_UTC INT64_MIN
typedef struct {
    char source[16];  /* the format ("gpmf", "novatek", ...); "" = the video has no telemetry */
    char variant[16]; /* the layout within it; "" = none */
    char device[64];  /* as the file names it; "" = not named */
    int fix_count, valid_fix_count, accel_count;
    double incident_sec;     /* the time summed up here (the strongest window's peak); -1 = none */
    double speed_before_kmh; /* GPS speed just before the incident; -1 = none */
    double speed_after_kmh;  /* a second or more after it; -1 = none */
    double speed_max_before_kmh; /* the largest GPS speed from 2 s to 0.25 s before the
                                    incident; -1 = no fix with a speed there */
    double brake_g;              /* the GPS speed's fall from 3 s to 0.25 s before the incident as a
                                deceleration, g (0 = not slowing); -1 = fewer than two fixes
                                with a speed 0.5 s or more apart there */
    double peak_g;               /* largest acceleration away from the file's resting level; -1 = no
                                accelerometer */
    double peak_sec;             /* its video time; -1 = none */
    bool has_position;           /* a fix within 2 s of the incident */
    double lat, lon;             /* degrees WGS84, at the incident */
    int64_t utc_ms;              /* UTC of the incident, ms since 1970; DC_NO_UTC = unknown */
} dc_telemetry_summary;

/* Footage seen in an earlier claim (JSON "footage"): what the store's lookup found before the
 * decision. The fraud rows X-SAME-FILE and X-SAME-FOOTAGE read it. */
#define DC_MAX_FOOTAGE_MATCHES 8
typedef struct {
    char claim_id[128]; /* the earlier claim */
    bool same_file;     /* identical bytes (the same SHA-256) */
    int video;          /* index into this record's videos */
    double video_sec;   /* this video's footage from this second ... */
    int other_video;    /* ... (the earlier claim's video at this position in its claim) ... */
    double other_sec;   /* ... is the earlier claim's video from this second ... */
    double seconds;     /* ... for this long (the whole file for same_file) */
    double distance;    /* mean Hamming distance of the matched seconds (0 for same_file) */
    bool mirrored;      /* a flipped copy */
} dc_footage_match;

/* Another claim whose dashcam put its incident at the same place and day (X-REPEAT-LOCATION):
 * both claims' telemetry positions, not what a claimant typed. */
#define DC_MAX_FOOTAGE_NEAR 4
/* "The same place": both incidents within this distance (GPS error and a long junction), and
 * within 24 hours of each other. */
#define DC_REPEAT_LOCATION_RADIUS_M 300.0
typedef struct {
    char claim_id[128];
    double distance_m;  /* between the two incidents' GPS positions */
    double hours_apart; /* between their GPS times */
} dc_footage_near_claim;

typedef struct {
    /* false: no store was asked (plain `assess`): the check did not run, which is not "no
     * match"; true: the lookup ran for every video with a fingerprint */
    bool checked;
    char note[200]; /* why it did not run, or what it could not check; "" = nothing to say */
    int match_count;
    dc_footage_match matches[DC_MAX_FOOTAGE_MATCHES];
    /* other claims at the incident's place and day, nearest first (only when the claim's
     * telemetry gave a position and a UTC time: a->telemetry.has_position, utc_ms) */
    int near_count;
    dc_footage_near_claim near[DC_MAX_FOOTAGE_NEAR];
} dc_footage_check;

typedef struct {
    char schema[32]; /* DC_ASSESSMENT_SCHEMA */
    char claim_id[128];
    char dashclaim_version[32];
    char created_at[32]; /* ISO 8601 UTC, "2026-11-29T15:50:48Z" */
    dc_video_info video; /* the claim's first (front) video; duration_sec = the timeline's */
    int video_count;     /* >= 1 once the pipeline ran; 0 in an empty record */
    dc_claim_video videos[DC_MAX_CLAIM_VIDEOS];
    dc_claim_status status;
    dc_error_class error_class; /* DC_OK = JSON null error */
    char error_message[512];
    dc_engine_info engine;
    int window_count;
    dc_window windows[DC_MAX_WINDOWS];

    /* observed (engine) */
    dc_severity severity;
    double severity_probs[DC_SEVERITY_COUNT]; /* all 0 = engine gave no distribution */
    dc_scenario scenario;
    dc_facts facts;
    int hazard_count;
    dc_hazard hazards[DC_MAX_HAZARDS];
    int evidence_count;
    dc_evidence evidence[DC_MAX_EVIDENCE];
    char reasoning[2048];
    /* where facts.speed_kmh comes from: "telemetry" (the file's GPS, which replaces a model's
     * readout), "on-screen" (the model read it), "none" */
    char speed_source[16];
    dc_telemetry_summary telemetry;
    dc_footage_check footage;

    /* decided (dc_claim_decide) */
    unsigned prediction_set; /* bit (1u << severity) per member */
    bool calibrated;
    bool fault_has_ratio; /* false = JSON null ratio (NONE severity, failed, no scenario) */
    int fault_ratio;      /* 0..100, the ego vehicle's share */
    int fault_rule_count;
    dc_fault_rule_hit fault_rules[DC_MAX_FAULT_RULES];
    double fraud_score; /* 0..1 */
    int fraud_indicator_count;
    dc_fraud_indicator fraud_indicators[DC_MAX_FRAUD_INDICATORS];
    dc_review_priority review_priority;
    dc_recommended_action recommended_action;
    char rules_version[32]; /* DC_RULES_VERSION */
    char review_rule[16];   /* id of the review-table row that decided priority/action */

    dc_timings timings_ms;
    dc_memory memory;
} dc_assessment;

/* Empty record: schema, version, created_at = now, status ok, severity UNSET, every enum
 * unknown, speed_kmh -1, evidence frames -1, timings -1. Call before filling. */
void dc_assessment_init(dc_assessment *a);
/* Marks the claim failed: status failed, error class and message from *st (DC_OK is taken
 * as DC_ERR_INTERNAL), severity UNSET, probabilities zero, empty prediction set, no fault
 * ratio. Identity (claim_id, video, engine, timings, memory) is kept. */
void dc_assessment_fail(dc_assessment *a, const dc_status *st);
/* Marks the claim degraded (keeps an earlier failure) with the message. */
void dc_assessment_degrade(dc_assessment *a, const char *message);

/* Full record as JSON; indent 0 = one line (NDJSON), >0 = pretty. Caller frees; NULL only
 * when out of memory. */
char *dc_assessment_to_json(const dc_assessment *a, int indent);
/* Reads a record written by dc_assessment_to_json (or an older/damaged one: the lenient
 * parser is used). DC_ERR_INPUT when no JSON object is found or the schema is not
 * dashclaim.assessment/1; unknown enum spellings become unknown. */
dc_error_class dc_assessment_from_json(const char *text, dc_assessment *a, dc_status *st);

/* UTC as ISO 8601 with milliseconds, "2026-03-14T09:26:56.000Z" ("" for DC_NO_UTC). */
void dc_utc_format(int64_t utc_ms, char out[32]);
/* "2026-03-14T09:26:56Z", "2026-03-14T09:26:56.250Z", "2026-03-14 09:26:56", "2026-03-14"
 * (then midnight; *date_only set when not NULL), a "+hh:mm" or "-hh:mm" offset instead of Z.
 * A time without Z or an offset is taken as UTC. false when the text is none of these. */
bool dc_utc_parse(const char *text, int64_t *utc_ms, bool *date_only);
/* A place given as coordinates, "47.3769, 8.5417" or "47.3769 8.5417" (degrees, latitude
 * first, within the globe). false for anything else (an address is not a place we can check). */
bool dc_place_parse(const char *text, double *lat, double *lon);
/* Great-circle distance in km. */
double dc_distance_km(double lat1, double lon1, double lat2, double lon2);

/* ---- names ---------------------------------------------------------------------------- */

/* "NONE", "LOW", "MEDIUM", "HIGH" (the exact grammar tokens); NULL for UNSET. */
const char *dc_severity_name(dc_severity s);
/* Case-insensitive; DC_SEVERITY_UNSET when not one of the four. */
dc_severity dc_severity_from_name(const char *name);
const char *dc_claim_status_name(dc_claim_status s);             /* "ok" | "degraded" | "failed" */
const char *dc_scenario_name(dc_scenario s);                     /* "rear_end", ... "unknown" */
const char *dc_review_priority_name(dc_review_priority p);       /* "URGENT" | "STANDARD" | ... */
const char *dc_recommended_action_name(dc_recommended_action a); /* "APPROVE" | ... */
const char *dc_conformal_method_name(dc_conformal_method m);     /* "lac" | "aps" */

/* ---- model-facing schema: grammar, parser, canonical output ---------------------------- */

/* GBNF grammar (llama.cpp dialect) for the model's answer: compact JSON, severity first,
 * enums exact, strings without escapes and length-bounded, arrays bounded. Caller frees. */
char *dc_model_output_grammar(void);
/* Fills the model-facing fields of *a (severity, scenario, facts, hazards, evidence,
 * reasoning) from a model's text. Grammar-constrained or not: <think>...</think> blocks,
 * markdown fences and prose around the JSON are skipped, and the lenient parser repairs
 * truncation, quotes and commas. Returns DC_ERR_MODEL (a says nothing new) when no JSON
 * object or no valid severity is found; returns DC_OK with st->degraded set when repairs
 * were needed or values were unknown/clamped (the message says which). Other fields of *a
 * are left alone. */
dc_error_class dc_model_output_apply(const char *text, dc_assessment *a, dc_status *st);
/* The model-facing fields of *a written exactly as the grammar prescribes (what a perfect
 * model would output; unknown enums are written as the field's "unclear"/"other" value,
 * strings are cleaned and cut to the grammar's bounds). Caller frees; NULL when severity is
 * UNSET or out of memory. */
char *dc_model_output_to_json(const dc_assessment *a);

/* ---- lenient JSON -------------------------------------------------------------------- */

/* Finds the first JSON object or array in text[0..len) (any bytes; after skipping
 * <think>...</think>, fences and prose) and returns it as strict JSON text (caller frees),
 * closing what was left open, accepting single quotes, bare keys, missing or trailing
 * commas, and replacing invalid UTF-8. *repairs (may be NULL) gets a count of the repairs
 * made. DC_ERR_INPUT when nothing JSON-like is found. Never crashes on any input. */
dc_error_class dc_lenient_json_repair(const char *text, size_t len, char **out_json, int *repairs,
                                      dc_status *st);

/* ---- prompt -------------------------------------------------------------------------- */

typedef struct {
    /* Off by default: a strongly worded hint biased the prototype's model. When on, the
     * claim prompt gets a short, neutral note of where mining saw danger. */
    bool mining_context;
    const dc_window *windows; /* used only with mining_context */
    int window_count;
    double duration_sec; /* video length, 0 = not stated */
    int frame_count;     /* frames the model will see, 0 = not stated */
} dc_prompt_options;

/* The fixed part of every prompt, sent as the system message: the reviewer's role, the
 * severity and evidence guidance and the answer's field list. The same text for every claim,
 * so an engine computes it once (the VLM engine keeps its KV cells). Caller frees; NULL when
 * out of memory. */
char *dc_prompt_fixed(void);
/* The short per-claim line that follows the frames (which the engine inserts with their
 * timestamps): frame count, video length, and the mining note when asked for. opts may be
 * NULL (defaults). Caller frees; NULL when out of memory. */
char *dc_prompt_claim(const dc_prompt_options *opts);

/* ---- decision ------------------------------------------------------------------------ */

/* What the claimant says (when a claim system provides it). */
typedef struct {
    dc_tristate collision_claimed;   /* UNKNOWN = not given */
    dc_severity damage_claimed;      /* claimed damage level; UNSET = not given */
    int recent_claims_same_vehicle;  /* from a store; -1 = no store / unknown */
    int recent_claims_same_location; /* from a store; -1 = no store / unknown */
    /* the claimant's stated place and time of the incident, checked against the video's GPS */
    bool has_place;
    double place_lat, place_lon; /* degrees (dc_place_parse) */
    int64_t stated_utc_ms;       /* DC_NO_UTC = not given */
    bool stated_date_only;       /* a date without a time of day */
} dc_claim_metadata;

void dc_claim_metadata_init(dc_claim_metadata *m); /* all "not given" */

typedef struct {
    char schema[32]; /* DC_CALIBRATION_SCHEMA */
    dc_conformal_method method;
    double alpha;
    double qhat; /* score threshold: a label is in the set when its score <= qhat */
    int n;       /* calibration examples used */
    char prompt_version[32];
    char created_at[32];
} dc_calibration;

/* Computes prediction set, calibrated flag, fault, fraud, review priority and action from
 * the observed fields. metadata and calibration may be NULL. A failed claim gets no
 * severity, set, or fault ratio and is sent to REVIEW. Deterministic; never fails. */
void dc_claim_decide(dc_assessment *a, const dc_claim_metadata *metadata,
                     const dc_calibration *calibration);

/* The pieces of dc_claim_decide, for tests and tools. */
void dc_fault_decide(dc_assessment *a);
void dc_fraud_decide(dc_assessment *a, const dc_claim_metadata *metadata);
void dc_review_decide(dc_assessment *a);

/* ---- conformal prediction ------------------------------------------------------------ */

/* Nonconformity score of label y under method m (LAC: 1 - p(y); APS: the probability mass
 * of the labels at least as likely as y, y included). */
double dc_conformal_score(dc_conformal_method m, const double probs[DC_SEVERITY_COUNT],
                          dc_severity y);
/* Split-conformal fit: qhat = the ceil((n+1)(1-alpha))-th smallest score. DC_ERR_INPUT when
 * n is too small for alpha (ceil((n+1)(1-alpha)) > n), alpha is outside (0,1), or a label
 * is not a severity. */
dc_error_class dc_calibration_fit(const double (*probs)[DC_SEVERITY_COUNT],
                                  const dc_severity *labels, int n, double alpha,
                                  dc_conformal_method method, dc_calibration *out, dc_status *st);
/* Prediction set with a calibration (labels with score <= qhat; never empty: the most
 * likely label is kept if nothing qualifies, which only raises coverage). */
unsigned dc_prediction_set_calibrated(const double probs[DC_SEVERITY_COUNT],
                                      const dc_calibration *cal);
/* Without a calibration: the smallest set, most likely first, whose probabilities sum to
 * >= 1 - alpha. */
unsigned dc_prediction_set_uncalibrated(const double probs[DC_SEVERITY_COUNT], double alpha);
int dc_prediction_set_size(unsigned set);

/* What dc_calibration_fit_files paired and what it left out. */
typedef struct {
    int labels;           /* label lines read */
    int assessments;      /* records read */
    int paired;           /* used for the fit */
    int skipped_failed;   /* status failed: no distribution to score */
    int skipped_no_probs; /* engine gave no severity distribution */
    int unlabelled;       /* records whose claim_id has no label */
} dc_calibration_report;

/* The calibrate command's work: labels_path is CSV, one "claim_id,SEVERITY" per line ('#'
 * comments, blank lines and a "claim_id,..." header allowed; SEVERITY case-insensitive);
 * assessments_path holds records (NDJSON, or one JSON array). They are paired by claim_id
 * and fitted with dc_calibration_fit. report may be NULL. Errors name the file and line. */
dc_error_class dc_calibration_fit_files(const char *labels_path, const char *assessments_path,
                                        double alpha, dc_conformal_method method,
                                        dc_calibration *out, dc_calibration_report *report,
                                        dc_status *st);

dc_error_class dc_calibration_save(const char *path, const dc_calibration *c, dc_status *st);
dc_error_class dc_calibration_load(const char *path, dc_calibration *c, dc_status *st);
char *dc_calibration_to_json(const dc_calibration *c); /* caller frees */

#endif
