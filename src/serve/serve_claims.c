/* The claim routes: list, one claim, its report, frames, video (with ranges), audit trail and
 * review. Every handler runs after the key and role were checked on the headers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <strings.h>
#include <time.h>

#include "dashclaim/sysinfo.h"
#include "serve_internal.h"

static json_t *text_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

json_t *serve_claim_json(const dc_store_claim *c) {
    json_t *o = json_object();
    char at[32];
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "status", json_string(dc_claim_state_name(c->state)));
    json_object_set_new(o, "attempts", json_integer(c->attempts));
    /* store_iso_ms lives in the store; the API shows the same ISO 8601 form */
    time_t t = (time_t)(c->created_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(o, "created_at", json_string(at));
    t = (time_t)(c->updated_ms / 1000);
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(o, "updated_at", json_string(at));
    json_object_set_new(o, "uploader", json_string(c->uploader));
    json_t *v = json_object();
    json_object_set_new(v, "sha256", json_string(c->video_sha256));
    json_object_set_new(v, "bytes", json_integer(c->video_bytes));
    /* the type the video is served with (claims stored before sniffing may hold anything) */
    json_object_set_new(v, "content_type", json_string(serve_video_type_safe(c->content_type)));
    json_object_set_new(o, "video", v);
    json_t *m = json_object();
    json_object_set_new(m, "policy_id", text_or_null(c->fields.policy_id));
    json_object_set_new(m, "claimant", text_or_null(c->fields.claimant));
    json_object_set_new(m, "plate", text_or_null(c->fields.plate));
    json_object_set_new(m, "location", text_or_null(c->fields.location));
    json_object_set_new(m, "reported_damage", text_or_null(c->fields.reported_damage));
    json_object_set_new(m, "incident_time", text_or_null(c->fields.incident_time));
    json_object_set_new(m, "incident_place", text_or_null(c->fields.incident_place));
    json_object_set_new(o, "metadata", m);
    json_object_set_new(o, "video_count", json_integer(c->video_count));
    json_object_set_new(o, "review_priority",
                        c->review_priority >= 0 ? json_string(dc_review_priority_name(
                                                      (dc_review_priority)c->review_priority))
                                                : json_null());
    const char *sev = c->severity >= 0 ? dc_severity_name((dc_severity)c->severity) : NULL;
    json_object_set_new(o, "severity", text_or_null(sev));
    json_object_set_new(o, "last_decision", text_or_null(c->last_decision));
    if (c->state == DC_STATE_FAILED) {
        json_t *e = json_object();
        json_object_set_new(e, "class", json_string(dc_error_class_name(c->error_class)));
        json_object_set_new(e, "message", json_string(c->error_message));
        json_object_set_new(o, "error", e);
    } else {
        json_object_set_new(o, "error", json_null());
    }
    if (c->idempotency_key[0])
        json_object_set_new(o, "idempotency_key", json_string(c->idempotency_key));
    return o;
}

/* The claim, or an answer already queued (404 / 503). */
static bool load_claim(serve_request *r, dc_store **db, dc_store_claim *claim,
                       enum MHD_Result *ret) {
    dc_status st = DC_STATUS_OK;
    bool found = false;
    *db = serve_store(r->server, &st);
    if (!*db || dc_store_claim_get(*db, r->match.claim_id, claim, &found, &st) != DC_OK) {
        *ret = serve_store_error(r, &st);
        return false;
    }
    /* An uploader sees its own claims only; another's claim is "not found", not "forbidden",
     * so that ids cannot be probed. */
    if (found && r->key.role == DC_ROLE_UPLOADER && strcmp(claim->uploader, r->key.name) != 0)
        found = false;
    if (!found) {
        *ret = serve_error(r, 404, "no claim %s", r->match.claim_id);
        return false;
    }
    return true;
}

json_t *serve_claim_videos_json(dc_store *db, const char *claim_id, dc_status *st) {
    dc_store_claim_video *rows = calloc(DC_MAX_CLAIM_VIDEOS, sizeof *rows);
    int n = 0;
    if (!rows) {
        dc_fail(st, DC_ERR_RESOURCE, "out of memory");
        return NULL;
    }
    if (dc_store_claim_videos(db, claim_id, rows, DC_MAX_CLAIM_VIDEOS, &n, st) != DC_OK) {
        free(rows);
        return NULL;
    }
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        const dc_store_claim_video *v = &rows[i];
        json_t *o = json_object();
        json_object_set_new(o, "position", json_integer(i));
        json_object_set_new(o, "role", json_string(dc_video_role_name(v->role)));
        json_object_set_new(o, "segment", v->segment >= 0 ? json_integer(v->segment) : json_null());
        json_object_set_new(o, "sha256", json_string(v->video.sha256));
        json_object_set_new(o, "bytes", json_integer(v->video.bytes));
        json_object_set_new(o, "content_type", json_string(serve_video_type_safe(v->content_type)));
        /* the uploader's own name for the file: data for the reviewer, never a path */
        json_object_set_new(o, "file_name", text_or_null(v->file_name));
        json_array_append_new(list, o);
    }
    free(rows);
    return list;
}

enum MHD_Result serve_claim_get(serve_request *r) {
    dc_store *db;
    dc_store_claim claim;
    enum MHD_Result ret;
    if (!load_claim(r, &db, &claim, &ret)) return ret;
    json_t *o = serve_claim_json(&claim);
    char *text = NULL;
    dc_status st = DC_STATUS_OK;
    json_t *videos = serve_claim_videos_json(db, claim.id, &st);
    if (!videos || dc_store_assessment_get(db, claim.id, &text, &st) != DC_OK) {
        json_decref(videos);
        json_decref(o);
        return serve_store_error(r, &st);
    }
    json_object_set_new(o, "videos", videos);
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_object_set_new(o, "assessment", a ? a : json_null());
    return serve_json(r, 200, o);
}

static int priority_from_name(const char *n) {
    if (!strcasecmp(n, "URGENT")) return DC_PRIORITY_URGENT;
    if (!strcasecmp(n, "STANDARD")) return DC_PRIORITY_STANDARD;
    if (!strcasecmp(n, "LOW_PRIORITY") || !strcasecmp(n, "LOW")) return DC_PRIORITY_LOW;
    return -2;
}

enum MHD_Result serve_claims_list(serve_request *r) {
    dc_store_claim_filter f = {.state = -1, .priority = -1, .limit = 50};
    struct MHD_Connection *c = r->c;
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "status");
    if (v && *v && (f.state = dc_claim_state_from_name(v)) < 0)
        return serve_error(r, 400, "status must be queued, running, done, failed or open");
    v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "priority");
    if (v && *v && (f.priority = priority_from_name(v)) < -1)
        return serve_error(r, 400, "priority must be URGENT, STANDARD or LOW_PRIORITY");
    v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    if (v && *v) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 500) return serve_error(r, 400, "limit must be 1..500");
        f.limit = (int)n;
    }
    f.cursor = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cursor");
    dc_store_claim *rows = calloc((size_t)f.limit, sizeof *rows);
    if (!rows) return serve_error(r, 503, "out of memory");
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(r->server, &st);
    int n = 0;
    char next[DC_STORE_CURSOR_LEN] = "";
    dc_error_class e = db ? dc_store_claims_list(db, &f, rows, &n, next, &st) : st.code;
    if (e != DC_OK) {
        free(rows);
        if (e == DC_ERR_INPUT) return serve_error(r, 400, "%s", st.message);
        return serve_store_error(r, &st);
    }
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(arr, serve_claim_json(&rows[i]));
    free(rows);
    json_t *o = json_object();
    json_object_set_new(o, "claims", arr);
    json_object_set_new(o, "next_cursor", text_or_null(next));
    return serve_json(r, 200, o);
}

/* A stored artifact of the claim (report page, evidence frame), or an answer already queued. */
static bool load_artifact(serve_request *r, const char *name, const char *missing, uint8_t **data,
                          size_t *len, enum MHD_Result *ret) {
    dc_store *db;
    dc_store_claim claim;
    if (!load_claim(r, &db, &claim, ret)) return false;
    dc_status st = DC_STATUS_OK;
    if (dc_store_artifact_get(db, claim.id, name, data, len, &st) != DC_OK) {
        *ret = serve_store_error(r, &st);
        return false;
    }
    if (!*data) {
        *ret = serve_error(r, 404, missing, claim.id);
        return false;
    }
    return true;
}

enum MHD_Result serve_claim_report(serve_request *r) {
    uint8_t *data = NULL;
    size_t len = 0;
    enum MHD_Result ret;
    if (!load_artifact(r, "report.html", "claim %s has no report (yet)", &data, &len, &ret))
        return ret;
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    if (!resp) free(data);
    return serve_send(
        r, 200, resp,
        &(serve_headers){.kind = SERVE_HTML_REPORT, .content_type = "text/html; charset=utf-8"});
}

enum MHD_Result serve_claim_frame(serve_request *r) {
    char name[32];
    snprintf(name, sizeof name, "frame-%d.jpg", r->match.frame);
    uint8_t *data = NULL;
    size_t len = 0;
    enum MHD_Result ret;
    if (!load_artifact(r, name, "claim %s has no such evidence frame", &data, &len, &ret))
        return ret;
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    if (!resp) free(data);
    return serve_send(r, 200, resp, &(serve_headers){.content_type = "image/jpeg"});
}

/* ---- video with ranges ---------------------------------------------------------------------- */

typedef struct {
    dc_store_video_reader *rd;
    int64_t start, end; /* inclusive */
} video_stream;

static ssize_t video_read(void *cls, uint64_t pos, char *buf, size_t max) {
    video_stream *v = cls;
    int64_t off = v->start + (int64_t)pos;
    if (off > v->end) return MHD_CONTENT_READER_END_OF_STREAM;
    size_t want = (size_t)(v->end - off + 1) < max ? (size_t)(v->end - off + 1) : max;
    size_t n = 0;
    dc_status st = DC_STATUS_OK;
    if (dc_store_video_read(v->rd, off, buf, want, &n, &st) != DC_OK)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void video_free(void *cls) {
    video_stream *v = cls;
    dc_store_video_close(v->rd);
    free(v);
}

/* "bytes=A-B", "bytes=A-", "bytes=-N" (one range). false = not satisfiable / malformed. */
static bool parse_range(const char *h, int64_t size, int64_t *a, int64_t *b) {
    if (strncasecmp(h, "bytes=", 6) != 0 || strchr(h, ',')) return false;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        long long n = strtoll(p + 1, &end, 10);
        if (*end || n <= 0) return false;
        *a = n >= size ? 0 : size - n;
        *b = size - 1;
        return size > 0;
    }
    long long x = strtoll(p, &end, 10);
    if (end == p || *end != '-' || x < 0 || x >= size) return false;
    p = end + 1;
    long long y = size - 1;
    if (*p) {
        y = strtoll(p, &end, 10);
        if (*end || y < x) return false;
        if (y >= size) y = size - 1;
    }
    *a = x;
    *b = y;
    return true;
}

enum MHD_Result serve_claim_video(serve_request *r) {
    dc_store *db;
    dc_store_claim claim;
    enum MHD_Result ret;
    if (!load_claim(r, &db, &claim, &ret)) return ret;
    dc_store_video_reader *rd = NULL;
    dc_status st = DC_STATUS_OK;
    /* /video is position 0's; /videos/{n} is position n's (the channels of a claim) */
    bool by_position = strstr(r->match.route->pattern, "/videos/") != NULL;
    char sha[65], stored_type[64];
    snprintf(sha, sizeof sha, "%s", claim.video_sha256);
    snprintf(stored_type, sizeof stored_type, "%s", claim.content_type);
    if (by_position) {
        dc_store_claim_video *rows = calloc(DC_MAX_CLAIM_VIDEOS, sizeof *rows);
        int n = 0;
        if (!rows) return serve_error(r, 503, "out of memory");
        if (dc_store_claim_videos(db, claim.id, rows, DC_MAX_CLAIM_VIDEOS, &n, &st) != DC_OK) {
            free(rows);
            return serve_store_error(r, &st);
        }
        if (r->match.frame >= n) {
            free(rows);
            return serve_error(r, 404, "claim %s has no video %d", claim.id, r->match.frame);
        }
        snprintf(sha, sizeof sha, "%s", rows[r->match.frame].video.sha256);
        snprintf(stored_type, sizeof stored_type, "%s", rows[r->match.frame].content_type);
        free(rows);
    }
    if (dc_store_video_open(db, sha, &rd, &st) != DC_OK) return serve_store_error(r, &st);
    if (!rd) return serve_error(r, 404, "the video of claim %s is missing", claim.id);
    /* The type is one of the video types (or opaque bytes) whatever was stored, and opening the
     * URL itself downloads the file rather than render it. */
    const char *type = serve_video_type_safe(stored_type);
    char disposition[96];
    if (by_position)
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s-%d.%s\"", claim.id,
                 r->match.frame, serve_video_extension(type));
    else
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.%s\"", claim.id,
                 serve_video_extension(type));
    int64_t size = dc_store_video_size(rd), a = 0, b = size - 1;
    int status = 200;
    char range_text[96] = "";
    const char *range = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Range");
    if (range) {
        if (!parse_range(range, size, &a, &b)) {
            dc_store_video_close(rd);
            snprintf(range_text, sizeof range_text, "bytes */%" PRId64, size);
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
            return serve_send(r, 416, resp,
                              &(serve_headers){.kind = SERVE_VIDEO,
                                               .content_type = type,
                                               .content_range = range_text,
                                               .disposition = disposition});
        }
        status = 206;
        snprintf(range_text, sizeof range_text, "bytes %" PRId64 "-%" PRId64 "/%" PRId64, a, b,
                 size);
    }
    video_stream *v = malloc(sizeof *v);
    if (!v) {
        dc_store_video_close(rd);
        return serve_error(r, 503, "out of memory");
    }
    *v = (video_stream){.rd = rd, .start = a, .end = b};
    struct MHD_Response *resp = MHD_create_response_from_callback(
        (uint64_t)(size > 0 ? b - a + 1 : 0), (size_t)64 * 1024, video_read, v, video_free);
    if (!resp) {
        video_free(v);
        return MHD_NO;
    }
    return serve_send(r, status, resp,
                      &(serve_headers){.kind = SERVE_VIDEO,
                                       .content_type = type,
                                       .content_range = status == 206 ? range_text : NULL,
                                       .disposition = disposition,
                                       .accept_ranges = true});
}

/* ---- audit ---------------------------------------------------------------------------------- */

enum MHD_Result serve_claim_audit(serve_request *r) {
    dc_store *db;
    dc_store_claim claim;
    enum MHD_Result ret;
    if (!load_claim(r, &db, &claim, &ret)) return ret;
    enum { MAX = 200 };
    dc_audit_row *rows = malloc(MAX * sizeof *rows);
    if (!rows) return serve_error(r, 503, "out of memory");
    json_t *arr = json_array();
    int64_t after = 0;
    dc_status st = DC_STATUS_OK;
    for (;;) {
        int n = 0;
        if (dc_store_audit_list(db, claim.id, after, rows, MAX, &n, &st) != DC_OK) {
            free(rows);
            json_decref(arr);
            return serve_store_error(r, &st);
        }
        for (int i = 0; i < n; i++) {
            json_array_append_new(arr, dc_audit_row_to_json(&rows[i]));
            after = rows[i].seq;
        }
        if (n < MAX) break;
    }
    free(rows);
    json_t *o = json_object();
    json_object_set_new(o, "claim_id", json_string(claim.id));
    json_object_set_new(o, "rows", arr);
    return serve_json(r, 200, o);
}

/* ---- review --------------------------------------------------------------------------------- */

enum MHD_Result serve_claim_review(serve_request *r) {
    /* JSON only: a cross-site form cannot send application/json without a CORS preflight, which
     * this server never grants, so a cookie-carrying forged form cannot record a decision. */
    const char *ct = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return serve_error(r, 415, "a review is sent as application/json");
    json_error_t jerr;
    json_t *in = r->body.len ? json_loadb(r->body.data, r->body.len, 0, &jerr) : NULL;
    if (!in) {
        if (!r->body.len) return serve_error(r, 400, "the body is empty: send the review as JSON");
        return serve_error(r, 400, "malformed JSON at line %d, column %d: %s", jerr.line,
                           jerr.column, jerr.text);
    }
    dc_store_review rv;
    memset(&rv, 0, sizeof rv);
    enum MHD_Result ret;
    const char *d = json_string_value(json_object_get(in, "decision"));
    int dec = dc_review_decision_from_name(d);
    if (!json_is_object(in) || dec < 0) {
        ret = serve_error(r, 400, "decision must be APPROVE, REJECT or REQUEST_MORE_INFO");
        goto out;
    }
    rv.decision = (dc_review_decision)dec;
    json_t *v = json_object_get(in, "severity");
    if (v && !json_is_null(v)) {
        dc_severity sev =
            json_is_string(v) ? dc_severity_from_name(json_string_value(v)) : DC_SEVERITY_UNSET;
        if (sev == DC_SEVERITY_UNSET) {
            ret = serve_error(r, 400, "severity must be NONE, LOW, MEDIUM or HIGH");
            goto out;
        }
        rv.has_severity = true;
        rv.severity = sev;
    }
    v = json_object_get(in, "fault_ratio");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100) {
            ret = serve_error(r, 400, "fault_ratio must be an integer 0..100");
            goto out;
        }
        rv.has_fault_ratio = true;
        rv.fault_ratio = (int)json_integer_value(v);
    }
    v = json_object_get(in, "fraud_flag");
    if (v && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            ret = serve_error(r, 400, "fraud_flag must be true or false");
            goto out;
        }
        rv.has_fraud_flag = true;
        rv.fraud_flag = json_is_true(v);
    }
    v = json_object_get(in, "reasoning");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) || json_string_length(v) >= sizeof rv.reasoning) {
            ret = serve_error(r, 400, "reasoning must be text of at most %zu bytes",
                              sizeof rv.reasoning - 1);
            goto out;
        }
        snprintf(rv.reasoning, sizeof rv.reasoning, "%s", json_string_value(v));
    }
    if (json_object_get(in, "reviewer")) {
        ret = serve_error(r, 400, "the reviewer is the key's owner; do not send 'reviewer'");
        goto out;
    }
    dc_store *db;
    dc_store_claim claim;
    if (!load_claim(r, &db, &claim, &ret)) goto out;
    if (claim.state != DC_STATE_DONE && claim.state != DC_STATE_FAILED) {
        ret = serve_error(r, 409, "claim %s is %s: it can be reviewed once it is done or failed",
                          claim.id, dc_claim_state_name(claim.state));
        goto out;
    }
    /* A claim that failed has no assessment to approve: it can be rejected or sent back for
     * more information (e.g. a readable copy of the video). */
    if (claim.state == DC_STATE_FAILED && rv.decision == DC_DECISION_APPROVE) {
        ret = serve_error(r, 409,
                          "claim %s failed (%s): it can be rejected or sent back for more "
                          "information, not approved",
                          claim.id, dc_error_class_name(claim.error_class));
        goto out;
    }
    dc_status st = DC_STATUS_OK;
    dc_error_class e = dc_store_review_add(db, claim.id, &rv, r->key.name, &st);
    if (e != DC_OK) {
        ret = e == DC_ERR_INPUT ? serve_error(r, 400, "%s", st.message) : serve_store_error(r, &st);
        goto out;
    }
    bool found = false;
    dc_store_claim_get(db, claim.id, &claim, &found, &st);
    json_t *o = serve_claim_json(&claim);
    json_object_set_new(o, "reviewer", json_string(r->key.name));
    ret = serve_json(r, 200, o);
out:
    json_decref(in);
    return ret;
}

/* ---- videos of a claim, submit ------------------------------------------------------------------ */

enum MHD_Result serve_claim_videos_list(serve_request *r) {
    dc_store *db;
    dc_store_claim claim;
    enum MHD_Result ret;
    if (!load_claim(r, &db, &claim, &ret)) return ret;
    dc_status st = DC_STATUS_OK;
    json_t *videos = serve_claim_videos_json(db, claim.id, &st);
    if (!videos) return serve_store_error(r, &st);
    json_t *o = json_object();
    json_object_set_new(o, "claim_id", json_string(claim.id));
    json_object_set_new(o, "videos", videos);
    return serve_json(r, 200, o);
}

/* POST /v1/claims/{id}/submit: an open claim of the caller's (an admin's: any) is queued. */
enum MHD_Result serve_claim_submit(serve_request *r) {
    dc_store *db;
    dc_store_claim claim;
    enum MHD_Result ret;
    if (!load_claim(r, &db, &claim, &ret)) return ret;
    dc_status st = DC_STATUS_OK;
    bool was_open = claim.state == DC_STATE_OPEN;
    dc_error_class e = dc_store_claim_submit(db, claim.id, r->key.name, &claim, &st);
    if (e == DC_ERR_INPUT) return serve_error(r, 409, "%s", st.message);
    if (e != DC_OK) return serve_store_error(r, &st);
    json_t *videos = serve_claim_videos_json(db, claim.id, &st);
    if (!videos) return serve_store_error(r, &st);
    json_t *o = serve_claim_json(&claim);
    json_object_set_new(o, "videos", videos);
    json_object_set_new(o, "duplicate", json_boolean(!was_open));
    return serve_json(r, 202, o);
}
