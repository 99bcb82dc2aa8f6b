/* A record is written by dashclaim itself, but it may also come back from a JSON file, a
 * database row or a newer version. The page is built from a copy made safe first, so no
 * page writer has to think about a string without its terminator, a count larger than its
 * array, or a NaN that would print as "nan". */
#include <math.h>

#include "report_internal.h"

#define TERMINATE(field) ((field)[sizeof(field) - 1] = '\0')

static int clamp_count(int n, int max) { return n < 0 ? 0 : n > max ? max : n; }

static double finite_or(double v, double fallback) { return isfinite(v) ? v : fallback; }

/* A file's offset or length: >= 0, and no longer than the page can print. */
static double non_negative(double v) {
    return isfinite(v) && v > 0 ? (v < REPORT_MAX_TIME_SEC ? v : REPORT_MAX_TIME_SEC) : 0;
}

/* A row's video index within the record's videos, else -1 (names no file): the claim's
 * reader keeps an index it reads for a window as it is, and a record from a database row or
 * a newer writer may hold anything. */
static int video_index(int idx, int video_count) {
    return idx >= 0 && idx < video_count ? idx : -1;
}

static double unit_interval(double v) {
    v = finite_or(v, 0);
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

void report_sanitize(dc_assessment *a) {
    a->calibrated = report_bool_byte(&a->calibrated);
    a->fault_has_ratio = report_bool_byte(&a->fault_has_ratio);
    TERMINATE(a->schema);
    TERMINATE(a->claim_id);
    TERMINATE(a->dashclaim_version);
    TERMINATE(a->created_at);
    TERMINATE(a->video.path);
    TERMINATE(a->video.sha256);
    TERMINATE(a->error_message);
    TERMINATE(a->engine.name);
    TERMINATE(a->engine.model);
    TERMINATE(a->engine.model_sha256);
    TERMINATE(a->engine.device);
    TERMINATE(a->engine.prompt_version);
    TERMINATE(a->reasoning);
    TERMINATE(a->rules_version);
    TERMINATE(a->review_rule);
    a->video.duration_sec = finite_or(a->video.duration_sec, 0);
    a->video.fps = finite_or(a->video.fps, 0);
    TERMINATE(a->video.encoder);
    TERMINATE(a->video.device);
    TERMINATE(a->speed_source);
    dc_telemetry_summary *t = &a->telemetry;
    t->has_position = report_bool_byte(&t->has_position);
    TERMINATE(t->source);
    TERMINATE(t->variant);
    TERMINATE(t->device);
    t->incident_sec = finite_or(t->incident_sec, -1);
    t->speed_before_kmh = finite_or(t->speed_before_kmh, -1);
    t->speed_after_kmh = finite_or(t->speed_after_kmh, -1);
    t->speed_max_before_kmh = finite_or(t->speed_max_before_kmh, -1);
    t->brake_g = finite_or(t->brake_g, -1);
    t->peak_g = finite_or(t->peak_g, -1);
    t->peak_sec = finite_or(t->peak_sec, -1);
    if (!(fabs(t->lat) <= 90 && fabs(t->lon) <= 180)) t->has_position = false;

    a->video_count = clamp_count(a->video_count, DC_MAX_CLAIM_VIDEOS);
    for (int i = 0; i < a->video_count; i++) {
        dc_claim_video *v = &a->videos[i];
        TERMINATE(v->path);
        TERMINATE(v->sha256);
        TERMINATE(v->start_time);
        TERMINATE(v->start_source);
        TERMINATE(v->error);
        if (v->role < 0 || v->role >= DC_ROLE_COUNT) v->role = DC_ROLE_UNKNOWN;
        if (v->segment < -1) v->segment = -1;
        v->offset_sec = non_negative(v->offset_sec);
        v->duration_sec = non_negative(v->duration_sec);
    }

    a->window_count = clamp_count(a->window_count, DC_MAX_WINDOWS);
    for (int i = 0; i < a->window_count; i++) {
        dc_window *w = &a->windows[i];
        w->start_sec = finite_or(w->start_sec, 0);
        w->end_sec = finite_or(w->end_sec, w->start_sec);
        w->peak_sec = finite_or(w->peak_sec, w->start_sec);
        w->danger = unit_interval(w->danger);
        w->signal_count = clamp_count(w->signal_count, DC_MAX_WINDOW_SIGNALS);
        for (int s = 0; s < w->signal_count; s++) TERMINATE(w->signals[s]);
        w->video = video_index(w->video, a->video_count);
        w->video_peak_sec = finite_or(w->video_peak_sec, w->peak_sec);
    }
    for (int s = 0; s < DC_SEVERITY_COUNT; s++)
        a->severity_probs[s] = unit_interval(a->severity_probs[s]);
    a->facts.actor_count = clamp_count(a->facts.actor_count, DC_MAX_ACTORS);
    a->hazard_count = clamp_count(a->hazard_count, DC_MAX_HAZARDS);
    for (int i = 0; i < a->hazard_count; i++) {
        a->hazards[i].actor_count = clamp_count(a->hazards[i].actor_count, DC_MAX_HAZARD_ACTORS);
        a->hazards[i].t_sec = finite_or(a->hazards[i].t_sec, 0);
        a->hazards[i].video = video_index(a->hazards[i].video, a->video_count);
        a->hazards[i].video_t_sec = finite_or(a->hazards[i].video_t_sec, a->hazards[i].t_sec);
    }
    a->evidence_count = clamp_count(a->evidence_count, DC_MAX_EVIDENCE);
    for (int i = 0; i < a->evidence_count; i++) {
        a->evidence[i].t_sec = finite_or(a->evidence[i].t_sec, 0);
        TERMINATE(a->evidence[i].description);
        a->evidence[i].video = video_index(a->evidence[i].video, a->video_count);
        a->evidence[i].video_t_sec = finite_or(a->evidence[i].video_t_sec, a->evidence[i].t_sec);
    }
    a->prediction_set &= (1u << DC_SEVERITY_COUNT) - 1;
    a->fault_rule_count = clamp_count(a->fault_rule_count, DC_MAX_FAULT_RULES);
    for (int i = 0; i < a->fault_rule_count; i++) {
        TERMINATE(a->fault_rules[i].id);
        TERMINATE(a->fault_rules[i].reason);
    }
    if (a->fault_ratio < 0 || a->fault_ratio > 100) a->fault_has_ratio = false;
    a->fraud_score = unit_interval(a->fraud_score);
    a->fraud_indicator_count = clamp_count(a->fraud_indicator_count, DC_MAX_FRAUD_INDICATORS);
    for (int i = 0; i < a->fraud_indicator_count; i++) {
        TERMINATE(a->fraud_indicators[i].id);
        TERMINATE(a->fraud_indicators[i].reason);
        a->fraud_indicators[i].weight = finite_or(a->fraud_indicators[i].weight, 0);
    }
    double *stages[] = {&a->timings_ms.probe,  &a->timings_ms.mine,   &a->timings_ms.sample,
                        &a->timings_ms.engine, &a->timings_ms.decide, &a->timings_ms.total};
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
        *stages[i] = finite_or(*stages[i], -1); /* -1 = not run */
}
