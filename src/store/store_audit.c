/* The audit trail's rows and their hash chain.
 *
 * Every row says who did what to which claim, the values before and after (small JSON objects),
 * why, and under which model, prompt and rules versions on which video. Rows are chained: each
 * holds the SHA-256 of the row before, and its own hash covers all its fields and that link, so
 * changing, removing or reordering any row breaks the chain at that row (dashclaim audit verify).
 *
 * The hash input is a length-prefixed list of the fields in column order (STORE_AUDIT_FIELDS),
 *   "dashclaim.audit/1\n" then for each field but the hash: <decimal length> ":" <bytes> "\n"
 * (seq, at, actor, action, claim_id, before, after, reason, model, prompt_version,
 * rules_version, video_sha256, prev_hash), so no two different rows hash the same input however
 * their texts look. Both backends build rows with these functions and store them verbatim.
 *
 * The hash is unkeyed: anyone who can write the table can also re-hash every row after the one
 * they changed. What stops that is outside the database: signed checkpoints of the chain's
 * length and head (audit_checkpoint.c), checked by audit verify (audit_verify.c). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/hash.h"
#include "store_internal.h"

static const char zero_hash[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void hash_field(dc_sha256 *sha, const char *text) {
    char len[24];
    size_t n = strlen(text);
    int k = snprintf(len, sizeof len, "%zu:", n);
    dc_sha256_update(sha, len, (size_t)k);
    dc_sha256_update(sha, text, n);
    dc_sha256_update(sha, "\n", 1);
}

void store_audit_hash(const dc_audit_row *row, char out[65]) {
    /* On allocation failure the row gets a hash that can never verify (all 'x'), which verify
     * reports instead of crashing. */
    dc_sha256 *sha = dc_sha256_new();
    if (!sha) {
        memset(out, 'x', 64);
        out[64] = '\0';
        return;
    }
    static const char magic[] = "dashclaim.audit/1\n";
    dc_sha256_update(sha, magic, sizeof magic - 1);
    for (int i = 0; i < STORE_AUDIT_NFIELDS; i++) {
        if (store_audit_fields[i].kind == STORE_AUDIT_HASH) continue;
        char buf[24];
        hash_field(sha, store_audit_field_text(row, i, buf));
    }
    uint8_t d[32];
    dc_sha256_final(sha, d);
    dc_sha256_free(sha);
    dc_hex_encode(d, sizeof d, out);
}

void store_audit_seal(dc_audit_row *row, int64_t prev_seq, const char *prev_hash) {
    row->seq = prev_seq + 1;
    store_copy(row->prev_hash, sizeof row->prev_hash,
               prev_hash && *prev_hash ? prev_hash : zero_hash);
    if (!row->at[0]) store_iso_ms(store_now_ms(), row->at);
    store_audit_hash(row, row->hash);
}

/* A small JSON object as text into dst (cut safely: an object too long for the field becomes
 * {"truncated":true}, still valid JSON). Takes the reference to o. */
static void put_json(char *dst, size_t size, json_t *o) {
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!text || !store_copy(dst, size, text))
        store_copy(dst, size, text ? "{\"truncated\":true}" : "");
    free(text);
}

void store_audit_claim_created(dc_audit_row *row, const char *claim_id,
                               const dc_store_new_claim *nc) {
    memset(row, 0, sizeof *row);
    store_copy(row->actor, sizeof row->actor, nc->uploader);
    store_copy(row->action, sizeof row->action, "claim.created");
    store_copy(row->claim_id, sizeof row->claim_id, claim_id);
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string(nc->open ? "open" : "queued"));
    json_object_set_new(o, "video_bytes", json_integer(nc->video.bytes));
    json_object_set_new(o, "content_type", json_string(nc->content_type));
    /* a claim of several videos says so; the others have a claim.video_added row each */
    if (nc->video_count > 1 || nc->open) {
        json_object_set_new(o, "videos", json_integer(nc->video_count));
        if (nc->video_count > 0)
            json_object_set_new(o, "role", json_string(dc_video_role_name(nc->videos[0].role)));
    }
    const dc_claim_fields *f = &nc->fields;
    if (f->policy_id[0]) json_object_set_new(o, "policy_id", json_string(f->policy_id));
    if (f->claimant[0]) json_object_set_new(o, "claimant", json_string(f->claimant));
    if (f->plate[0]) json_object_set_new(o, "plate", json_string(f->plate));
    if (f->location[0]) json_object_set_new(o, "location", json_string(f->location));
    if (f->reported_damage[0])
        json_object_set_new(o, "reported_damage", json_string(f->reported_damage));
    if (f->incident_time[0]) json_object_set_new(o, "incident_time", json_string(f->incident_time));
    if (f->incident_place[0])
        json_object_set_new(o, "incident_place", json_string(f->incident_place));
    if (nc->idempotency_key[0])
        json_object_set_new(o, "idempotency_key", json_string(nc->idempotency_key));
    put_json(row->after, sizeof row->after, o);
    store_copy(row->video_sha256, sizeof row->video_sha256, nc->video.sha256);
}

void store_audit_video_added(dc_audit_row *row, const char *claim_id, const char *actor,
                             int position, const dc_store_claim_video *v) {
    memset(row, 0, sizeof *row);
    store_copy(row->actor, sizeof row->actor, actor);
    store_copy(row->action, sizeof row->action, "claim.video_added");
    store_copy(row->claim_id, sizeof row->claim_id, claim_id);
    json_t *o = json_object();
    json_object_set_new(o, "position", json_integer(position));
    json_object_set_new(o, "role", json_string(dc_video_role_name(v->role)));
    json_object_set_new(o, "segment", v->segment >= 0 ? json_integer(v->segment) : json_null());
    json_object_set_new(o, "bytes", json_integer(v->video.bytes));
    json_object_set_new(o, "content_type", json_string(v->content_type));
    if (v->file_name[0]) json_object_set_new(o, "file_name", json_string(v->file_name));
    put_json(row->after, sizeof row->after, o);
    store_copy(row->video_sha256, sizeof row->video_sha256, v->video.sha256);
}

void store_audit_claim_submitted(dc_audit_row *row, const char *claim_id, const char *actor,
                                 const char *video_sha256, int videos) {
    memset(row, 0, sizeof *row);
    store_copy(row->actor, sizeof row->actor, actor);
    store_copy(row->action, sizeof row->action, "claim.submitted");
    store_copy(row->claim_id, sizeof row->claim_id, claim_id);
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string("queued"));
    json_object_set_new(o, "videos", json_integer(videos));
    put_json(row->after, sizeof row->after, o);
    store_copy(row->video_sha256, sizeof row->video_sha256, video_sha256);
}

/* The stored record's SHA-256 in after, so that verify can tell an edited assessment from the
 * one this row recorded (rows written before this field was added have none; verify then
 * compares the record's fields with the row's). */
static void put_record_hash(json_t *o, const char *json) {
    if (!json) return;
    char hex[65];
    dc_sha256_hex(json, strlen(json), hex);
    json_object_set_new(o, "assessment_sha256", json_string(hex));
}

void store_audit_assessment(dc_audit_row *row, const dc_store_job *job, const dc_assessment *a,
                            const char *assessment_json) {
    memset(row, 0, sizeof *row);
    snprintf(row->actor, sizeof row->actor, "worker:%.*s", DC_STORE_NAME_LEN - 1, job->worker);
    store_copy(row->action, sizeof row->action, "assessment");
    store_copy(row->claim_id, sizeof row->claim_id, job->claim_id);
    json_t *o = json_object();
    bool failed = a->status == DC_CLAIM_FAILED;
    json_object_set_new(o, "state", json_string(failed ? "failed" : "done"));
    json_object_set_new(o, "status", json_string(dc_claim_status_name(a->status)));
    json_object_set_new(o, "attempt", json_integer(job->attempt));
    const char *sev = dc_severity_name(a->severity);
    json_object_set_new(o, "severity", sev && !failed ? json_string(sev) : json_null());
    json_object_set_new(o, "fault_ratio",
                        a->fault_has_ratio && !failed ? json_integer(a->fault_ratio) : json_null());
    json_object_set_new(o, "fraud_score", json_real(a->fraud_score));
    json_object_set_new(o, "review_priority",
                        json_string(dc_review_priority_name(a->review_priority)));
    json_object_set_new(o, "recommended_action",
                        json_string(dc_recommended_action_name(a->recommended_action)));
    if (failed)
        json_object_set_new(o, "error_class", json_string(dc_error_class_name(a->error_class)));
    put_record_hash(o, assessment_json);
    put_json(row->after, sizeof row->after, o);
    store_copy(row->reason, sizeof row->reason, a->error_message);
    store_copy(row->model, sizeof row->model,
               a->engine.model[0] ? a->engine.model : a->engine.name);
    store_copy(row->prompt_version, sizeof row->prompt_version, a->engine.prompt_version);
    store_copy(row->rules_version, sizeof row->rules_version, a->rules_version);
    store_copy(row->video_sha256, sizeof row->video_sha256,
               a->video.sha256[0] ? a->video.sha256 : job->video_sha256);
}

void store_audit_claim_failed(dc_audit_row *row, const char *claim_id, const char *video_sha256,
                              const char *actor, dc_error_class cls, const char *message,
                              const char *final_json) {
    memset(row, 0, sizeof *row);
    store_copy(row->actor, sizeof row->actor, actor);
    store_copy(row->action, sizeof row->action, "claim.failed");
    store_copy(row->claim_id, sizeof row->claim_id, claim_id);
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string("failed"));
    json_object_set_new(o, "error_class",
                        json_string(dc_error_class_name(cls == DC_OK ? DC_ERR_INTERNAL : cls)));
    put_record_hash(o, final_json);
    put_json(row->after, sizeof row->after, o);
    store_copy(row->reason, sizeof row->reason, message);
    store_copy(row->rules_version, sizeof row->rules_version, DC_RULES_VERSION);
    store_copy(row->video_sha256, sizeof row->video_sha256, video_sha256);
}

/* One "override.<field>" row: before from the assessment (the fraud flag's "before" is the
 * assessment's fraud score: the record has no flag), after from the reviewer. */
static void override_row(dc_audit_row *row, const dc_audit_row *review, const char *field,
                         const char *before_field, json_t *before, json_t *after) {
    *row = *review;
    row->seq = 0;
    row->at[0] = row->prev_hash[0] = row->hash[0] = '\0';
    snprintf(row->action, sizeof row->action, "override.%s", field);
    json_t *b = json_object(), *a = json_object();
    json_object_set_new(b, before_field, before ? before : json_null());
    json_object_set_new(a, field, after);
    put_json(row->before, sizeof row->before, b);
    put_json(row->after, sizeof row->after, a);
}

int store_audit_review(dc_audit_row rows[4], const char *claim_id, const char *video_sha256,
                       const dc_store_review *r, const char *reviewer,
                       const char *assessment_json) {
    json_t *as = assessment_json ? json_loads(assessment_json, 0, NULL) : NULL;
    dc_audit_row *rv = &rows[0];
    memset(rv, 0, sizeof *rv);
    store_copy(rv->actor, sizeof rv->actor, reviewer);
    store_copy(rv->action, sizeof rv->action, "review");
    store_copy(rv->claim_id, sizeof rv->claim_id, claim_id);
    store_copy(rv->reason, sizeof rv->reason, r->reasoning);
    store_copy(rv->video_sha256, sizeof rv->video_sha256, video_sha256);
    json_t *engine = json_object_get(as, "engine");
    const char *model = json_string_value(json_object_get(engine, "model"));
    if (!model || !*model) model = json_string_value(json_object_get(engine, "name"));
    store_copy(rv->model, sizeof rv->model, model);
    store_copy(rv->prompt_version, sizeof rv->prompt_version,
               json_string_value(json_object_get(engine, "prompt_version")));
    store_copy(rv->rules_version, sizeof rv->rules_version,
               json_string_value(json_object_get(as, "rules_version")));
    json_t *o = json_object();
    json_object_set_new(o, "decision", json_string(dc_review_decision_name(r->decision)));
    if (r->has_severity)
        json_object_set_new(o, "severity", json_string(dc_severity_name((dc_severity)r->severity)));
    if (r->has_fault_ratio) json_object_set_new(o, "fault_ratio", json_integer(r->fault_ratio));
    if (r->has_fraud_flag) json_object_set_new(o, "fraud_flag", json_boolean(r->fraud_flag));
    put_json(rv->after, sizeof rv->after, o);
    json_t *b = json_object();
    json_t *rec = json_object_get(as, "recommended_action");
    json_object_set_new(b, "recommended_action", rec ? json_incref(rec) : json_null());
    put_json(rv->before, sizeof rv->before, b);

    int n = 1;
    if (r->has_severity) {
        json_t *sev = json_object_get(as, "severity");
        override_row(&rows[n++], rv, "severity", "severity", sev ? json_incref(sev) : NULL,
                     json_string(dc_severity_name((dc_severity)r->severity)));
    }
    if (r->has_fault_ratio) {
        json_t *ratio = json_object_get(json_object_get(as, "fault"), "ratio");
        override_row(&rows[n++], rv, "fault_ratio", "fault_ratio",
                     ratio ? json_incref(ratio) : NULL, json_integer(r->fault_ratio));
    }
    if (r->has_fraud_flag) {
        json_t *score = json_object_get(json_object_get(as, "fraud"), "score");
        override_row(&rows[n++], rv, "fraud_flag", "fraud_score", score ? json_incref(score) : NULL,
                     json_boolean(r->fraud_flag));
    }
    json_decref(as);
    return n;
}

void store_audit_key(dc_audit_row *row, const char *action, const dc_store_key *k) {
    memset(row, 0, sizeof *row);
    store_copy(row->actor, sizeof row->actor, "admin-cli");
    store_copy(row->action, sizeof row->action, action);
    json_t *o = json_object();
    json_object_set_new(o, "key_id", json_string(k->id));
    json_object_set_new(o, "name", json_string(k->name));
    json_object_set_new(o, "role", json_string(dc_role_name(k->role)));
    json_object_set_new(o, "revoked", json_boolean(k->revoked || !strcmp(action, "key.revoked")));
    put_json(row->after, sizeof row->after, o);
}
