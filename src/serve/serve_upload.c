/* POST /v1/claims: videos streamed into the store, then a claim; POST /v1/claims/{id}/videos:
 * videos streamed into the store, then added to an open claim.
 *
 * Body forms:
 *   - raw: Content-Type one of the video types serve_sniff.c lists, or application/octet-stream;
 *     one video; metadata in the query string (?policy_id=&claimant=&plate=&location=
 *     &reported_damage=&incident_time=&incident_place=&open=&role=&segment=&file_name=);
 *   - multipart/form-data: one or more file parts named "video" (up to DC_MAX_CLAIM_VIDEOS: a
 *     front and a rear channel, a series of segments) and text parts with the same names as
 *     the query's. `role` and `segment` may be given once per video, in the order of the
 *     videos (the first `role` part is the first video's); a video without them has the role
 *     and segment its file name says by the camera's convention (dc_group_parse_name: BlackVue
 *     _NF/_NR, VIOFO, 70mai, Nextbase, Vantrue, Thinkware, Tesla), else unknown. The part's
 *     own Content-Type is whatever the browser guessed, and is
 *     ignored; its file name is kept as data (the last path element, control characters
 *     replaced), never used as a path;
 *   - application/json (POST /v1/claims only): {"open": true, "policy_id": ..., ...}: an open
 *     claim without a video yet.
 * `open=true` opens the claim instead of queueing it: its videos come with POST
 * /v1/claims/{id}/videos, one request or several, and POST /v1/claims/{id}/submit queues it.
 * Every video's stored type is the one its bytes show (serve_sniff_video), never the client's;
 * each is limited to max_upload_bytes on its own. A metadata field holding a NUL, or given
 * twice, is refused (400): a NUL would cut it silently and two values would be joined or one
 * dropped. incident_time must be an ISO 8601 date or time and incident_place coordinates
 * "lat, lon" (400 otherwise): they are held against the video's GPS.
 * The bytes go straight into a store writer as they arrive (never whole in memory, never under a
 * name the client chose). The limit is checked before each write: a raw Content-Length over it
 * is refused with 413 before the body is read; a video that grows past it (chunked, or a lying
 * header) stops being written at the limit, the partial upload is dropped, and 413 follows.
 * The 202 is sent only after every dc_store_video_commit (fsync, rename) and
 * dc_store_claim_insert (claim + videos + job + audit rows committed) returned. An
 * Idempotency-Key the uploader already used answers the first claim when the videos and fields
 * are the same (202, "duplicate": true), and 409 when they differ, and then the new bytes are
 * not kept. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dashclaim/group.h"
#include "serve_internal.h"

#ifdef DC_TEST_HOOKS
/* Test hook: SIGKILL at a named point of an upload (dc_serve_options.crash_point). */
static void crash_if(const dc_server *s, const char *point) {
    if (s->o.crash_point && !strcmp(s->o.crash_point, point)) kill(getpid(), SIGKILL);
}
#else
static void crash_if(const dc_server *s, const char *point) {
    (void)s;
    (void)point;
}
#endif

static const char *const field_names[] = {
    "policy_id",       "claimant",      "plate",          "location",
    "reported_damage", "incident_time", "incident_place", "open"};
enum { FIELD_COUNT = sizeof field_names / sizeof field_names[0] };

static int field_index(const char *name) {
    for (int i = 0; i < FIELD_COUNT; i++)
        if (!strcmp(name, field_names[i])) return i;
    return -1;
}

static char *field_slot(serve_request *r, int i, size_t *size) {
    dc_claim_fields *f = &r->nc.fields;
    switch (i) {
    case 0: *size = sizeof f->policy_id; return f->policy_id;
    case 1: *size = sizeof f->claimant; return f->claimant;
    case 2: *size = sizeof f->plate; return f->plate;
    case 3: *size = sizeof f->location; return f->location;
    case 4: *size = sizeof f->reported_damage; return f->reported_damage;
    case 5: *size = sizeof f->incident_time; return f->incident_time;
    case 6: *size = sizeof f->incident_place; return f->incident_place;
    default: *size = sizeof r->open_text; return r->open_text;
    }
}

/* Committed videos of a request that ends without a claim naming them: removed unless some
 * claim already names the same bytes (dc_store_video_discard checks). */
static void discard_committed(serve_request *r) {
    dc_status st = DC_STATUS_OK;
    dc_store *db = r->nc.video_count > 0 ? serve_store(r->server, &st) : NULL;
    for (int i = 0; db && i < r->nc.video_count; i++)
        if (dc_store_video_discard(db, r->nc.videos[i].video.sha256, &st) != DC_OK)
            fprintf(stderr, "dashclaim serve: store: %s\n", st.message);
    r->nc.video_count = 0;
}

static void fail(serve_request *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(serve_request *r, int status, const char *fmt, ...) {
    if (r->failed) return;
    r->failed = true;
    r->fail_status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->fail_message, sizeof r->fail_message, fmt, ap);
    va_end(ap);
    dc_store_video_abort(r->writer);
    r->writer = NULL;
}

/* Appends a piece of a value to one of a list (role, segment: one per video, in order). */
static bool list_take(serve_request *r, const char *name, char *list, size_t item, int *n,
                      const char *value, size_t len, bool first) {
    if (first) {
        if (*n >= DC_MAX_CLAIM_VIDEOS) {
            r->list_overflow = true;
            return true;
        }
        (*n)++;
    }
    if (*n == 0 || r->list_overflow) return true;
    char *dst = list + (size_t)(*n - 1) * item;
    size_t have = strlen(dst);
    if (memchr(value, 0, len) || have + len >= item) {
        fail(r, 400, "a '%s' value is longer than %zu bytes or holds a NUL byte", name, item - 1);
        return false;
    }
    memcpy(dst + have, value, len);
    dst[have + len] = 0;
    return true;
}

/* Appends a piece of a metadata field's value (multipart gives a value in pieces; first = the
 * first piece of a part). false after recording why (in r) the field is refused. */
static bool field_take(serve_request *r, const char *name, const char *value, size_t n,
                       bool first) {
    if (!strcmp(name, "role"))
        return list_take(r, name, &r->roles[0][0], sizeof r->roles[0], &r->nroles, value, n, first);
    if (!strcmp(name, "segment"))
        return list_take(r, name, &r->segments[0][0], sizeof r->segments[0], &r->nsegments, value,
                         n, first);
    int i = field_index(name);
    if (i < 0) return true; /* unknown fields are ignored */
    if (first) {
        if (r->fields_seen & (1u << i)) {
            fail(r, 400, "the field '%s' is given more than once", name);
            return false;
        }
        r->fields_seen |= 1u << i;
    }
    if (memchr(value, 0, n)) {
        fail(r, 400, "the field '%s' holds a NUL byte", name);
        return false;
    }
    size_t size;
    char *dst = field_slot(r, i, &size);
    size_t have = strlen(dst);
    if (have + n >= size) {
        fail(r, 400, "the field '%s' is longer than %zu bytes", name, size - 1);
        return false;
    }
    memcpy(dst + have, value, n);
    dst[have + n] = 0;
    return true;
}

/* The uploader's file name as data: its last path element, control characters and quotes
 * replaced, cut at a character boundary to fit. */
static void keep_file_name(char *dst, size_t size, const char *name) {
    dst[0] = 0;
    if (!name) return;
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    size_t n = 0;
    for (const char *p = base; *p && n + 1 < size; p++)
        dst[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"') ? '_' : *p;
    dst[n] = 0;
    if (base[n] == 0) return;
    while (n > 0 && ((unsigned char)dst[n - 1] & 0xC0) == 0x80) n--; /* continuation bytes */
    if (n > 0 && ((unsigned char)dst[n - 1] & 0x80)) n--;            /* their lead byte */
    dst[n] = 0;
}

static bool video_begin(serve_request *r, const char *file_name) {
    if (r->nc.video_count >= DC_MAX_CLAIM_VIDEOS) {
        fail(r, 400, "a claim holds at most %d videos: this request has more", DC_MAX_CLAIM_VIDEOS);
        return false;
    }
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(r->server, &st);
    if (!db || !(r->writer = dc_store_video_begin(db, &st))) {
        fprintf(stderr, "dashclaim serve: store: %s\n", st.message);
        fail(r, 503, "the upload could not be stored now; try again later");
        return false;
    }
    r->received = 0;
    r->head_len = 0;
    keep_file_name(r->part_file, sizeof r->part_file, file_name);
    return true;
}

/* Commits the video being received (fsync, rename) as the request's next video. */
static bool video_end(serve_request *r) {
    if (!r->writer) return true;
    if (r->received == 0) {
        fail(r, 400, "video %d is empty: send its bytes", r->nc.video_count + 1);
        return false;
    }
    dc_store_claim_video *v = &r->nc.videos[r->nc.video_count];
    memset(v, 0, sizeof *v);
    v->segment = -1;
    snprintf(v->content_type, sizeof v->content_type, "%s",
             serve_sniff_video(r->head, r->head_len));
    snprintf(v->file_name, sizeof v->file_name, "%s", r->part_file);
    dc_store_video_writer *w = r->writer;
    r->writer = NULL;
    dc_status st = DC_STATUS_OK;
    if (dc_store_video_commit(w, &v->video, &st) != DC_OK) {
        fprintf(stderr, "dashclaim serve: store: %s\n", st.message);
        fail(r, 503, "the upload could not be stored now; try again later");
        return false;
    }
    r->nc.video_count++;
    return true;
}

/* Writes bytes of the video, refusing to pass the limit. */
static void take_bytes(serve_request *r, const char *data, size_t n) {
    dc_server *s = r->server;
    if (r->failed || n == 0 || !r->writer) {
        r->discarded += (int64_t)n;
        return;
    }
    if (r->received + (int64_t)n > s->o.max_upload_bytes) {
        r->too_large = true;
        atomic_fetch_add(&s->metrics.uploads_rejected_size, 1);
        fail(r, 413, "the video is larger than the limit of %lld bytes",
             (long long)s->o.max_upload_bytes);
        r->discarded += (int64_t)n;
        return;
    }
    if (r->head_len < sizeof r->head) {
        size_t k = sizeof r->head - r->head_len < n ? sizeof r->head - r->head_len : n;
        memcpy(r->head + r->head_len, data, k);
        r->head_len += k;
    }
    dc_status st = DC_STATUS_OK;
    if (dc_store_video_write(r->writer, data, n, &st) != DC_OK) {
        fprintf(stderr, "dashclaim serve: store: %s\n", st.message);
        fail(r, 503, "the upload could not be stored now; try again later");
        return;
    }
    r->received += (int64_t)n;
    r->received_total += (int64_t)n;
    atomic_fetch_add(&s->metrics.upload_bytes, (long long)n);
#ifdef DC_TEST_HOOKS
    if (r->received_total >= 4096) crash_if(s, "upload.body");
#endif
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size) {
    (void)kind, (void)content_type, (void)transfer_encoding;
    serve_request *r = cls;
    if (!key || r->failed) return MHD_YES;
    if (!strcmp(key, "video")) {
        /* a part starts at offset 0; a first call without bytes is not a new part */
        if (off == 0 && (!r->file_seen || r->received > 0)) {
            r->file_seen = true;
            if (!video_end(r) || !video_begin(r, filename)) return MHD_YES;
        }
        take_bytes(r, data, size);
        return MHD_YES;
    }
    field_take(r, key, data, size, off == 0);
    return MHD_YES;
}

/* Query-string fields of a raw upload, with their true lengths (a %00 decodes to a NUL that
 * a C string would hide). */
static enum MHD_Result on_query_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size) {
    (void)kind, (void)key_size;
    serve_request *r = cls;
    if (!strcmp(key, "file_name")) {
        char name[256];
        size_t n = value_size < sizeof name - 1 ? value_size : sizeof name - 1;
        memcpy(name, value ? value : "", n);
        name[n] = 0;
        keep_file_name(r->part_file, sizeof r->part_file, name);
        return MHD_YES;
    }
    return field_take(r, key, value ? value : "", value ? value_size : 0, true) ? MHD_YES : MHD_NO;
}

/* The body's form, the Idempotency-Key and the first writer; shared by both routes. */
static enum MHD_Result begin_body(serve_request *r, bool json_allowed) {
    dc_server *s = r->server;
    struct MHD_Connection *c = r->c;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    bool multipart = ct && !strncasecmp(ct, "multipart/form-data", 19);
    /* each video is limited on its own: a form may carry DC_MAX_CLAIM_VIDEOS of them */
    long long limit = s->o.max_upload_bytes;
    if (multipart) limit = limit * DC_MAX_CLAIM_VIDEOS + (long long)SERVE_SMALL_BODY_MAX;
    if (cl && strtoll(cl, NULL, 10) > limit) {
        atomic_fetch_add(&s->metrics.uploads_rejected_size, 1);
        return serve_error(r, 413, "the video is larger than the limit of %lld bytes",
                           (long long)s->o.max_upload_bytes);
    }
    if (!ct)
        return serve_error(r, 415,
                           "say what the body is: Content-Type video/mp4 (or another "
                           "video type), application/octet-stream, multipart/form-data%s",
                           json_allowed ? " or application/json (an open claim)" : "");
    if (multipart) {
        r->multipart = true;
        r->pp = MHD_create_post_processor(c, (size_t)64 * 1024, on_part, r);
        if (!r->pp) return serve_error(r, 400, "cannot read this multipart body (no boundary?)");
    } else if (json_allowed && !strncasecmp(ct, "application/json", 16)) {
        r->json_body = true;
    } else if (serve_upload_type_allowed(ct)) {
        MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, on_query_field, r);
        if (r->failed) return serve_error(r, r->fail_status, "%s", r->fail_message);
        char name[256];
        snprintf(name, sizeof name, "%s", r->part_file);
        if (!video_begin(r, name)) return serve_error(r, r->fail_status, "%s", r->fail_message);
    } else {
        return serve_error(r, 415,
                           "unsupported Content-Type for a claim upload: use video/mp4, "
                           "video/quicktime, video/x-matroska, video/webm, video/mp2t, "
                           "video/x-msvideo, application/octet-stream, multipart/form-data%s",
                           json_allowed ? " or application/json" : "");
    }
    return MHD_YES;
}

enum MHD_Result serve_upload_begin(serve_request *r) {
    struct MHD_Connection *c = r->c;
    const char *idem = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    if (idem) {
        if (!*idem || strlen(idem) >= sizeof r->nc.idempotency_key)
            return serve_error(r, 400, "Idempotency-Key must be 1..%zu bytes",
                               sizeof r->nc.idempotency_key - 1);
        snprintf(r->nc.idempotency_key, sizeof r->nc.idempotency_key, "%s", idem);
    }
    snprintf(r->nc.uploader, sizeof r->nc.uploader, "%s", r->key.name);
    return begin_body(r, true);
}

enum MHD_Result serve_upload_data(serve_request *r, const char *data, size_t *size) {
    size_t n = *size;
    *size = 0;
    if (r->json_body) {
        if (r->body.len + n > (size_t)SERVE_SMALL_BODY_MAX)
            fail(r, 413, "a JSON body is at most 64 KiB");
        else dc_str_appendn(&r->body, data, n);
    } else if (r->multipart) {
        if (!r->failed && MHD_post_process(r->pp, data, n) != MHD_YES)
            fail(r, 400, "malformed multipart body");
    } else {
        take_bytes(r, data, n);
    }
    /* Past the limit: answer now rather than read the rest of a body we will not keep. */
    if (r->failed && r->fail_status == 413) {
        discard_committed(r);
        return serve_error_mid_body(r, 413, r->fail_message);
    }
    if (r->failed) {
        r->discarded += (int64_t)n;
        /* a refused body is read to its end to answer it normally, but not without bound */
        if (r->discarded > r->server->o.max_upload_bytes) {
            discard_committed(r);
            return serve_error_mid_body(r, r->fail_status, r->fail_message);
        }
    }
    return MHD_YES;
}

/* What the camera's file-name convention says (BlackVue _NF/_NR, VIOFO F/R, 70mai F/B,
 * Tesla -front/-back, ...: include/dashclaim/group.h) when the uploader gives no `role` or
 * `segment`. The name is only read, never used as a path. */
static void role_from_file_name(dc_store_claim_video *v) {
    dc_name_info info;
    if (!v->file_name[0] || !dc_group_parse_name(v->file_name, &info)) return;
    v->role = info.role;
    v->segment = info.segment;
}

/* The JSON body of an open claim: {"open": true, "policy_id": "...", ...}. */
static bool take_json(serve_request *r) {
    json_error_t err;
    json_t *o = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &err);
    if (!json_is_object(o)) {
        json_decref(o);
        fail(r, 400, "the body is not a JSON object");
        return false;
    }
    bool ok = true;
    if (!json_is_true(json_object_get(o, "open"))) {
        fail(r, 400,
             "a JSON body opens a claim ({\"open\": true, ...}); its videos come with "
             "POST /v1/claims/{id}/videos");
        ok = false;
    }
    for (int i = 0; ok && i < FIELD_COUNT - 1; i++) {
        json_t *v = json_object_get(o, field_names[i]);
        if (!v || json_is_null(v)) continue;
        if (!json_is_string(v)) {
            fail(r, 400, "the field '%s' must be a string", field_names[i]);
            ok = false;
        } else {
            ok = field_take(r, field_names[i], json_string_value(v), json_string_length(v), true);
        }
    }
    json_decref(o);
    snprintf(r->open_text, sizeof r->open_text, "true");
    return ok;
}

/* Roles and segments onto the videos, the incident's time and place checked. */
static bool finish_fields(serve_request *r) {
    if (r->list_overflow || r->nroles > r->nc.video_count || r->nsegments > r->nc.video_count) {
        fail(r, 400,
             "%d role and %d segment values for %d videos: give at most one of each per "
             "video, in the order of the videos",
             r->nroles, r->nsegments, r->nc.video_count);
        return false;
    }
    for (int i = 0; i < r->nc.video_count; i++) {
        dc_store_claim_video *v = &r->nc.videos[i];
        role_from_file_name(v);
        if (i < r->nroles && r->roles[i][0]) {
            v->role = dc_video_role_from_name(r->roles[i]);
            if (v->role == DC_ROLE_UNKNOWN && strcasecmp(r->roles[i], "unknown") != 0) {
                fail(r, 400,
                     "video %d: role must be front, rear, interior, left, right or "
                     "unknown",
                     i + 1);
                return false;
            }
        }
        if (i < r->nsegments && r->segments[i][0]) {
            char *end = NULL;
            long seg = strtol(r->segments[i], &end, 10);
            if (!end || *end || seg < 0 || seg > 99999999) {
                fail(r, 400, "video %d: segment must be a number from 0 to 99999999", i + 1);
                return false;
            }
            v->segment = (int)seg;
        }
    }
    const dc_claim_fields *f = &r->nc.fields;
    int64_t ms;
    bool date_only;
    double lat, lon;
    if (f->incident_time[0] && !dc_utc_parse(f->incident_time, &ms, &date_only)) {
        fail(r, 400,
             "incident_time must be an ISO 8601 date or time, e.g. "
             "2026-03-14T09:26:56Z");
        return false;
    }
    if (f->incident_place[0] && !dc_place_parse(f->incident_place, &lat, &lon)) {
        fail(r, 400,
             "incident_place must be coordinates \"lat, lon\" in degrees, e.g. "
             "\"48.8566, 2.3522\"");
        return false;
    }
    if (r->open_text[0] && strcmp(r->open_text, "true") != 0 &&
        strcmp(r->open_text, "false") != 0) {
        fail(r, 400, "open must be true or false");
        return false;
    }
    r->nc.open = !strcmp(r->open_text, "true");
    return true;
}

/* The body is in: the last video committed, the fields checked. false: r says why. */
static bool finish_body(serve_request *r) {
    if (r->failed) return false;
    if (r->json_body) return take_json(r) && finish_fields(r);
    if (r->multipart) {
        if (!r->file_seen && !(r->open_text[0] && !strcmp(r->open_text, "true")) && !r->adding) {
            fail(r, 400, "the form has no file part named 'video'");
            return false;
        }
    } else if (r->received == 0 && r->writer) {
        /* an empty raw body opens a claim without a video when asked to, and is refused else */
        dc_store_video_abort(r->writer);
        r->writer = NULL;
        if (r->adding || strcmp(r->open_text, "true") != 0) {
            fail(r, 400, "the body is empty: send the video");
            return false;
        }
    }
    if (!video_end(r)) return false;
    if (r->adding && r->nc.video_count == 0) {
        fail(r, 400, "no video in the body: send one (raw, or multipart parts named 'video')");
        return false;
    }
    return finish_fields(r);
}

static bool same_claim(const dc_store_claim *c, const dc_store_new_claim *nc) {
    const dc_claim_fields *a = &c->fields, *b = &nc->fields;
    const char *first = nc->video_count > 0 ? nc->videos[0].video.sha256 : "";
    return !strcmp(c->video_sha256, first) && c->video_count == nc->video_count &&
           !strcmp(a->policy_id, b->policy_id) && !strcmp(a->claimant, b->claimant) &&
           !strcmp(a->plate, b->plate) && !strcmp(a->location, b->location) &&
           !strcmp(a->reported_damage, b->reported_damage) &&
           !strcmp(a->incident_time, b->incident_time) &&
           !strcmp(a->incident_place, b->incident_place);
}

/* The claim and its videos, answered with status. */
static enum MHD_Result answer_claim(serve_request *r, dc_store *db, const dc_store_claim *claim,
                                    int status, bool duplicate) {
    dc_status st = DC_STATUS_OK;
    json_t *videos = serve_claim_videos_json(db, claim->id, &st);
    if (!videos) return serve_store_error(r, &st);
    json_t *o = serve_claim_json(claim);
    json_object_set_new(o, "videos", videos);
    json_object_set_new(o, "duplicate", json_boolean(duplicate));
    return serve_json(r, status, o);
}

enum MHD_Result serve_upload_end(serve_request *r) {
    dc_server *s = r->server;
    if (!finish_body(r)) {
        discard_committed(r);
        return serve_error(r, r->fail_status, "%s", r->fail_message);
    }
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(s, &st);
    dc_store_claim claim;
    bool existed = false;
    if (!db) return serve_store_error(r, &st);
    if (!r->nc.open && r->nc.video_count == 0) {
        fail(r, 400, "a claim needs a video");
        return serve_error(r, r->fail_status, "%s", r->fail_message);
    }
    dc_error_class e = dc_store_claim_insert(db, &r->nc, &claim, &existed, &st);
    if (e == DC_ERR_INPUT) {
        discard_committed(r);
        return serve_error(r, 400, "the claim could not be recorded: %s", st.message);
    }
    if (e != DC_OK) return serve_store_error(r, &st);
    if (existed && !same_claim(&claim, &r->nc)) {
        /* The key names another request: keep nothing of this one. */
        discard_committed(r);
        return serve_error(r, 409,
                           "the Idempotency-Key '%s' was used for claim %s with other "
                           "videos or other fields; use a new key for a new claim",
                           r->nc.idempotency_key, claim.id);
    }
    crash_if(s, "upload.committed");
    atomic_fetch_add(&s->metrics.uploads_accepted, 1);
    return answer_claim(r, db, &claim, claim.state == DC_STATE_OPEN ? 201 : 202, existed);
}

/* ---- POST /v1/claims/{id}/videos -------------------------------------------------------------- */

/* The open claim videos are added to: the caller's own (an admin's: any), open, with room. An
 * answer is queued otherwise (404 for another uploader's claim, as everywhere). */
static bool open_claim_for(serve_request *r, dc_store **db, dc_store_claim *claim,
                           enum MHD_Result *ret) {
    dc_status st = DC_STATUS_OK;
    bool found = false;
    *db = serve_store(r->server, &st);
    if (!*db || dc_store_claim_get(*db, r->match.claim_id, claim, &found, &st) != DC_OK) {
        *ret = serve_store_error(r, &st);
        return false;
    }
    if (found && r->key.role != DC_ROLE_ADMIN && strcmp(claim->uploader, r->key.name) != 0)
        found = false;
    if (!found) {
        *ret = serve_error(r, 404, "no claim %s", r->match.claim_id);
        return false;
    }
    return true;
}

enum MHD_Result serve_videos_add_begin(serve_request *r) {
    dc_store *db;
    dc_store_claim claim;
    enum MHD_Result ret;
    if (!open_claim_for(r, &db, &claim, &ret)) return ret;
    if (claim.state != DC_STATE_OPEN)
        return serve_error(r, 409,
                           "claim %s is %s: videos are added to an open claim only (POST "
                           "/v1/claims with open=true)",
                           claim.id, dc_claim_state_name(claim.state));
    if (claim.video_count >= DC_MAX_CLAIM_VIDEOS)
        return serve_error(r, 409, "claim %s holds %d videos already, the most a claim may",
                           claim.id, DC_MAX_CLAIM_VIDEOS);
    r->adding = true;
    snprintf(r->nc.uploader, sizeof r->nc.uploader, "%s", r->key.name);
    return begin_body(r, false);
}

enum MHD_Result serve_videos_add_end(serve_request *r) {
    if (!finish_body(r)) {
        discard_committed(r);
        return serve_error(r, r->fail_status, "%s", r->fail_message);
    }
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(r->server, &st);
    if (!db) return serve_store_error(r, &st);
    /* One store transaction (and audit row) per video: those added before a refusal stay, and
     * the answer says how many went in. */
    int added = 0;
    for (int i = 0; i < r->nc.video_count; i++) {
        int position = -1;
        dc_error_class e = dc_store_claim_video_add(db, r->match.claim_id, &r->nc.videos[i],
                                                    r->key.name, &position, &st);
        if (e == DC_OK) {
            added++;
            continue;
        }
        for (int k = i; k < r->nc.video_count; k++)
            if (dc_store_video_discard(db, r->nc.videos[k].video.sha256, NULL) != DC_OK) break;
        if (e != DC_ERR_INPUT) return serve_store_error(r, &st);
        return serve_error(r, 409, "%d of %d videos added; the next was refused: %s", added,
                           r->nc.video_count, st.message);
    }
    atomic_fetch_add(&r->server->metrics.uploads_accepted, 1);
    dc_store_claim claim;
    bool found = false;
    if (dc_store_claim_get(db, r->match.claim_id, &claim, &found, &st) != DC_OK || !found)
        return serve_store_error(r, &st);
    return answer_claim(r, db, &claim, 201, false);
}

void serve_upload_cleanup(serve_request *r) {
    if (r->pp) MHD_destroy_post_processor(r->pp);
    r->pp = NULL;
    dc_store_video_abort(r->writer); /* a connection that died mid-upload */
    r->writer = NULL;
}
