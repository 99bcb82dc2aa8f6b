/* The assessment record: its defaults, failure marking, and JSON in and out
 * ("dashclaim.assessment/1"). Field names here are the stable record format. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- JSON out ---- */

static json_t *num_or_null(double v) { return v >= 0 && isfinite(v) ? json_real(v) : json_null(); }

static json_t *severity_json(dc_severity s) {
    const char *n = dc_severity_name(s);
    return n ? json_string(n) : json_null();
}

static json_t *build_record(const dc_assessment *a) {
    json_t *o = json_object();
    json_object_set_new(o, "schema", json_string(DC_ASSESSMENT_SCHEMA));
    json_object_set_new(o, "claim_id", claim_json_text(a->claim_id));
    json_object_set_new(o, "dashclaim_version", claim_json_text(a->dashclaim_version));
    json_object_set_new(o, "created_at", claim_json_text(a->created_at));

    json_t *video = json_object();
    json_object_set_new(video, "path", claim_json_text(a->video.path));
    json_object_set_new(video, "sha256",
                        a->video.sha256[0] ? json_string(a->video.sha256) : json_null());
    json_object_set_new(video, "duration_sec", json_real(a->video.duration_sec));
    json_object_set_new(video, "width", json_integer(a->video.width));
    json_object_set_new(video, "height", json_integer(a->video.height));
    json_object_set_new(video, "fps", json_real(a->video.fps));
    json_object_set_new(o, "video", video);

    json_object_set_new(o, "status", json_string(dc_claim_status_name(a->status)));
    if (a->status == DC_CLAIM_FAILED || a->error_class != DC_OK) {
        json_t *err = json_object();
        dc_error_class c = a->error_class != DC_OK ? a->error_class : DC_ERR_INTERNAL;
        json_object_set_new(err, "class", json_string(dc_error_class_name(c)));
        json_object_set_new(err, "message", claim_json_text(a->error_message));
        json_object_set_new(o, "error", err);
    } else if (a->status == DC_CLAIM_DEGRADED) {
        /* degraded is not an error; its reason is kept as a message */
        json_object_set_new(o, "error", json_null());
        json_object_set_new(o, "degraded_reason", claim_json_text(a->error_message));
    } else {
        json_object_set_new(o, "error", json_null());
    }

    json_t *engine = json_object();
    json_object_set_new(engine, "name", claim_json_text(a->engine.name));
    json_object_set_new(engine, "model", claim_json_text(a->engine.model));
    json_object_set_new(engine, "model_sha256",
                        a->engine.model_sha256[0] ? json_string(a->engine.model_sha256)
                                                  : json_null());
    json_object_set_new(engine, "device", claim_json_text(a->engine.device));
    json_object_set_new(engine, "prompt_version", claim_json_text(a->engine.prompt_version));
    json_object_set_new(engine, "prompt_tokens", json_integer(a->engine.prompt_tokens));
    json_object_set_new(engine, "cached_prompt_tokens",
                        json_integer(a->engine.cached_prompt_tokens));
    json_object_set_new(o, "engine", engine);

    json_t *windows = json_array();
    for (int i = 0; i < a->window_count && i < DC_MAX_WINDOWS; i++) {
        const dc_window *w = &a->windows[i];
        json_t *wj = json_object();
        json_object_set_new(wj, "start_sec", json_real(w->start_sec));
        json_object_set_new(wj, "end_sec", json_real(w->end_sec));
        json_object_set_new(wj, "peak_sec", json_real(w->peak_sec));
        json_object_set_new(wj, "danger", json_real(w->danger));
        json_t *sig = json_array();
        for (int k = 0; k < w->signal_count && k < DC_MAX_WINDOW_SIGNALS; k++)
            json_array_append_new(sig, claim_json_text(w->signals[k]));
        json_object_set_new(wj, "signals", sig);
        json_array_append_new(windows, wj);
    }
    json_object_set_new(o, "windows", windows);

    bool failed = a->status == DC_CLAIM_FAILED;
    json_object_set_new(o, "severity", failed ? json_null() : severity_json(a->severity));
    double sum = 0;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++) sum += a->severity_probs[i];
    if (failed || sum <= 0) {
        json_object_set_new(o, "severity_probs", json_null());
    } else {
        json_t *probs = json_object();
        for (int i = 0; i < DC_SEVERITY_COUNT; i++)
            json_object_set_new(probs, dc_severity_name((dc_severity)i),
                                json_real(a->severity_probs[i]));
        json_object_set_new(o, "severity_probs", probs);
    }
    json_t *set = json_array();
    for (int i = 0; i < DC_SEVERITY_COUNT && !failed; i++)
        if (a->prediction_set & (1u << i))
            json_array_append_new(set, json_string(dc_severity_name((dc_severity)i)));
    json_object_set_new(o, "prediction_set", set);
    json_object_set_new(o, "calibrated", json_boolean(a->calibrated && !failed));

    /* scenario, facts, hazards, evidence, reasoning: from the model-facing table (its first
     * entry, severity, is written above with the failed rule applied) */
    json_t *observed = claim_fields_to_json(claim_model_fields + 1, claim_model_field_count - 1, a);
    const char *key;
    json_t *val;
    json_object_foreach(observed, key, val) json_object_set(o, key, val);
    json_decref(observed);

    json_t *fault = json_object();
    json_object_set_new(fault, "ratio",
                        a->fault_has_ratio && !failed ? json_integer(a->fault_ratio) : json_null());
    json_t *rules = json_array();
    for (int i = 0; i < a->fault_rule_count && i < DC_MAX_FAULT_RULES; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "id", claim_json_text(a->fault_rules[i].id));
        json_object_set_new(r, "reason", claim_json_text(a->fault_rules[i].reason));
        json_array_append_new(rules, r);
    }
    json_object_set_new(fault, "rules", rules);
    json_object_set_new(o, "fault", fault);

    json_t *fraud = json_object();
    json_object_set_new(fraud, "score", json_real(a->fraud_score));
    json_t *ind = json_array();
    for (int i = 0; i < a->fraud_indicator_count && i < DC_MAX_FRAUD_INDICATORS; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "id", claim_json_text(a->fraud_indicators[i].id));
        json_object_set_new(r, "weight", json_real(a->fraud_indicators[i].weight));
        json_object_set_new(r, "reason", claim_json_text(a->fraud_indicators[i].reason));
        json_array_append_new(ind, r);
    }
    json_object_set_new(fraud, "indicators", ind);
    json_object_set_new(o, "fraud", fraud);

    json_object_set_new(o, "review_priority",
                        json_string(dc_review_priority_name(a->review_priority)));
    json_object_set_new(o, "recommended_action",
                        json_string(dc_recommended_action_name(a->recommended_action)));
    json_object_set_new(o, "rules_version", claim_json_text(a->rules_version));
    json_object_set_new(o, "review_rule", claim_json_text(a->review_rule));

    json_t *t = json_object();
    json_object_set_new(t, "probe", num_or_null(a->timings_ms.probe));
    json_object_set_new(t, "mine", num_or_null(a->timings_ms.mine));
    json_object_set_new(t, "sample", num_or_null(a->timings_ms.sample));
    json_object_set_new(t, "engine", num_or_null(a->timings_ms.engine));
    json_object_set_new(t, "decide", num_or_null(a->timings_ms.decide));
    json_object_set_new(t, "total", num_or_null(a->timings_ms.total));
    json_object_set_new(o, "timings_ms", t);

    json_t *m = json_object();
    json_object_set_new(m, "rss_before", json_integer((json_int_t)a->memory.rss_before));
    json_object_set_new(m, "rss_after", json_integer((json_int_t)a->memory.rss_after));
    json_object_set_new(m, "device_before", json_integer((json_int_t)a->memory.device_before));
    json_object_set_new(m, "device_after", json_integer((json_int_t)a->memory.device_after));
    json_object_set_new(o, "memory", m);
    return o;
}

char *dc_assessment_to_json(const dc_assessment *a, int indent) {
    json_t *o = build_record(a);
    if (!o) return NULL;
    size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
    flags |= indent > 0 ? JSON_INDENT(indent > 31 ? 31 : indent) : JSON_COMPACT;
    char *s = json_dumps(o, flags);
    json_decref(o);
    return s;
}

/* ---- JSON in ---- */

static void get_str(const json_t *o, const char *key, char *dst, size_t cap) {
    json_t *v = json_object_get(o, key);
    if (json_is_string(v)) claim_copy_utf8(dst, cap, json_string_value(v));
}

static double get_num(const json_t *o, const char *key, double dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static uint64_t get_bytes(const json_t *o, const char *key) {
    double d = get_num(o, key, 0);
    return d > 0 && d < 1.8e19 ? (uint64_t)d : 0;
}

static int get_int(const json_t *o, const char *key) {
    double d = get_num(o, key, 0);
    return d > 0 && d < 1e9 ? (int)d : 0;
}

static bool same_name(const char *a, const char *b) { return a && b && !strcasecmp(a, b); }

dc_error_class dc_assessment_from_json(const char *text, dc_assessment *a, dc_status *st) {
    if (!text) return dc_fail(st, DC_ERR_INPUT, "assessment JSON: no text");
    int repairs = 0;
    json_t *o = claim_lenient_parse(text, strlen(text), &repairs);
    if (!json_is_object(o)) {
        json_decref(o);
        return dc_fail(st, DC_ERR_INPUT, "assessment JSON: no JSON object found");
    }
    json_t *schema = json_object_get(o, "schema");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), DC_ASSESSMENT_SCHEMA) != 0) {
        dc_error_class rc = dc_fail(
            st, DC_ERR_INPUT, "assessment JSON: schema is '%.64s', expected '%s'",
            json_is_string(schema) ? json_string_value(schema) : "(missing)", DC_ASSESSMENT_SCHEMA);
        json_decref(o);
        return rc;
    }
    dc_assessment_init(a);
    a->created_at[0] = '\0';
    get_str(o, "claim_id", a->claim_id, sizeof a->claim_id);
    get_str(o, "dashclaim_version", a->dashclaim_version, sizeof a->dashclaim_version);
    get_str(o, "created_at", a->created_at, sizeof a->created_at);

    json_t *video = json_object_get(o, "video");
    get_str(video, "path", a->video.path, sizeof a->video.path);
    get_str(video, "sha256", a->video.sha256, sizeof a->video.sha256);
    a->video.duration_sec = get_num(video, "duration_sec", 0);
    a->video.width = get_int(video, "width");
    a->video.height = get_int(video, "height");
    a->video.fps = get_num(video, "fps", 0);

    json_t *status = json_object_get(o, "status");
    const char *sname = json_is_string(status) ? json_string_value(status) : "";
    a->status = same_name(sname, "failed")     ? DC_CLAIM_FAILED
                : same_name(sname, "degraded") ? DC_CLAIM_DEGRADED
                                               : DC_CLAIM_OK;
    json_t *err = json_object_get(o, "error");
    if (json_is_object(err)) {
        json_t *cls = json_object_get(err, "class");
        const char *cn = json_is_string(cls) ? json_string_value(cls) : "";
        a->error_class = DC_ERR_INTERNAL;
        for (dc_error_class c = DC_ERR_INPUT; c <= DC_ERR_INTERNAL; c++)
            if (same_name(cn, dc_error_class_name(c))) a->error_class = c;
        get_str(err, "message", a->error_message, sizeof a->error_message);
    } else {
        get_str(o, "degraded_reason", a->error_message, sizeof a->error_message);
    }

    json_t *engine = json_object_get(o, "engine");
    get_str(engine, "name", a->engine.name, sizeof a->engine.name);
    get_str(engine, "model", a->engine.model, sizeof a->engine.model);
    get_str(engine, "model_sha256", a->engine.model_sha256, sizeof a->engine.model_sha256);
    get_str(engine, "device", a->engine.device, sizeof a->engine.device);
    get_str(engine, "prompt_version", a->engine.prompt_version, sizeof a->engine.prompt_version);
    a->engine.prompt_tokens = get_int(engine, "prompt_tokens");
    a->engine.cached_prompt_tokens = get_int(engine, "cached_prompt_tokens");

    json_t *windows = json_object_get(o, "windows");
    size_t i;
    json_t *w;
    json_array_foreach(windows, i, w) {
        if (a->window_count >= DC_MAX_WINDOWS) break;
        dc_window *dw = &a->windows[a->window_count++];
        dw->start_sec = get_num(w, "start_sec", 0);
        dw->end_sec = get_num(w, "end_sec", 0);
        dw->peak_sec = get_num(w, "peak_sec", 0);
        dw->danger = get_num(w, "danger", 0);
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(w, "signals"), k, s) {
            if (dw->signal_count >= DC_MAX_WINDOW_SIGNALS || !json_is_string(s)) continue;
            claim_copy_utf8(dw->signals[dw->signal_count++], sizeof dw->signals[0],
                            json_string_value(s));
        }
    }

    /* severity and the observed fields through the same table the model output uses */
    char note[256];
    claim_fields_from_json(claim_model_fields, claim_model_field_count, o, a, note, sizeof note);
    if (a->status == DC_CLAIM_FAILED) a->severity = DC_SEVERITY_UNSET;

    json_t *probs = json_object_get(o, "severity_probs");
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
        double p = get_num(probs, dc_severity_name((dc_severity)s), 0);
        a->severity_probs[s] = p < 0 ? 0 : p > 1 ? 1 : p;
    }
    json_t *set = json_object_get(o, "prediction_set");
    json_t *item;
    json_array_foreach(set, i, item) {
        dc_severity s = json_is_string(item) ? dc_severity_from_name(json_string_value(item))
                                             : DC_SEVERITY_UNSET;
        if (s != DC_SEVERITY_UNSET) a->prediction_set |= 1u << s;
    }
    a->calibrated = json_is_true(json_object_get(o, "calibrated"));

    json_t *fault = json_object_get(o, "fault");
    json_t *ratio = json_object_get(fault, "ratio");
    if (json_is_number(ratio)) {
        double r = json_number_value(ratio);
        a->fault_has_ratio = true;
        a->fault_ratio = r < 0 ? 0 : r > 100 ? 100 : (int)lround(r);
    }
    json_array_foreach(json_object_get(fault, "rules"), i, item) {
        if (a->fault_rule_count >= DC_MAX_FAULT_RULES) break;
        dc_fault_rule_hit *h = &a->fault_rules[a->fault_rule_count++];
        get_str(item, "id", h->id, sizeof h->id);
        get_str(item, "reason", h->reason, sizeof h->reason);
    }
    json_t *fraud = json_object_get(o, "fraud");
    a->fraud_score = get_num(fraud, "score", 0);
    json_array_foreach(json_object_get(fraud, "indicators"), i, item) {
        if (a->fraud_indicator_count >= DC_MAX_FRAUD_INDICATORS) break;
        dc_fraud_indicator *f = &a->fraud_indicators[a->fraud_indicator_count++];
        get_str(item, "id", f->id, sizeof f->id);
        f->weight = get_num(item, "weight", 0);
        get_str(item, "reason", f->reason, sizeof f->reason);
    }
    json_t *prio = json_object_get(o, "review_priority");
    for (dc_review_priority p = DC_PRIORITY_LOW; p <= DC_PRIORITY_URGENT; p++)
        if (json_is_string(prio) && same_name(json_string_value(prio), dc_review_priority_name(p)))
            a->review_priority = p;
    json_t *act = json_object_get(o, "recommended_action");
    for (dc_recommended_action r = DC_RECOMMEND_REVIEW; r <= DC_RECOMMEND_REQUEST_MORE_INFO; r++)
        if (json_is_string(act) && same_name(json_string_value(act), dc_recommended_action_name(r)))
            a->recommended_action = r;
    get_str(o, "rules_version", a->rules_version, sizeof a->rules_version);
    get_str(o, "review_rule", a->review_rule, sizeof a->review_rule);

    json_t *t = json_object_get(o, "timings_ms");
    a->timings_ms.probe = get_num(t, "probe", -1);
    a->timings_ms.mine = get_num(t, "mine", -1);
    a->timings_ms.sample = get_num(t, "sample", -1);
    a->timings_ms.engine = get_num(t, "engine", -1);
    a->timings_ms.decide = get_num(t, "decide", -1);
    a->timings_ms.total = get_num(t, "total", -1);
    json_t *m = json_object_get(o, "memory");
    a->memory.rss_before = get_bytes(m, "rss_before");
    a->memory.rss_after = get_bytes(m, "rss_after");
    a->memory.device_before = get_bytes(m, "device_before");
    a->memory.device_after = get_bytes(m, "device_after");
    json_decref(o);
    if (st) *st = DC_STATUS_OK;
    if (repairs) dc_degrade(st, "assessment JSON: %d repair(s) were needed", repairs);
    return DC_OK;
}
