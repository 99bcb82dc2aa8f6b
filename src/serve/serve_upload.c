/* POST /v1/claims: a video streamed into the store, then a claim.
 *
 * Two body forms:
 *   - raw: Content-Type one of the video types serve_sniff.c lists, or application/octet-stream;
 *     metadata in the query string (?policy_id=&claimant=&plate=&location=&reported_damage=);
 *   - multipart/form-data: a file part named "video" and text parts with the same names (the
 *     part's own Content-Type is whatever the browser guessed, and is ignored).
 * Either way the stored type is the one the bytes show (serve_sniff_video), never the client's.
 * A metadata field holding a NUL, or given twice, is refused (400): a NUL would cut it silently
 * and two values would be joined or one dropped.
 * The bytes go straight into a store writer as they arrive (never whole in memory, never under a
 * name the client chose). The limit is checked before each write: a Content-Length over it is
 * refused with 413 before the body is read; a body that grows past it (chunked, or a lying
 * header) stops being written at the limit, the partial upload is dropped, and 413 follows.
 * The 202 is sent only after dc_store_video_commit (fsync, rename) and dc_store_claim_insert
 * (claim + job + audit row committed) returned. An Idempotency-Key the uploader already used
 * answers the first claim when the video and fields are the same (202, "duplicate": true), and
 * 409 when they differ, and then the new bytes are not kept. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

static const char *const field_names[] = {"policy_id", "claimant", "plate", "location",
                                          "reported_damage"};
enum { FIELD_COUNT = sizeof field_names / sizeof field_names[0] };

static int field_index(const char *name) {
    for (int i = 0; i < FIELD_COUNT; i++)
        if (!strcmp(name, field_names[i])) return i;
    return -1;
}

static char *field_slot(dc_claim_fields *f, int i, size_t *size) {
    switch (i) {
    case 0: *size = sizeof f->policy_id; return f->policy_id;
    case 1: *size = sizeof f->claimant; return f->claimant;
    case 2: *size = sizeof f->plate; return f->plate;
    case 3: *size = sizeof f->location; return f->location;
    default: *size = sizeof f->reported_damage; return f->reported_damage;
    }
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

/* Appends a piece of a metadata field's value (multipart gives a value in pieces; first = the
 * first piece of a part). false after recording why (in r) the field is refused. */
static bool field_take(serve_request *r, const char *name, const char *value, size_t n,
                       bool first) {
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
    char *dst = field_slot(&r->nc.fields, i, &size);
    size_t have = strlen(dst);
    if (have + n >= size) {
        fail(r, 400, "the field '%s' is longer than %zu bytes", name, size - 1);
        return false;
    }
    memcpy(dst + have, value, n);
    dst[have + n] = 0;
    return true;
}

/* Writes bytes of the video, refusing to pass the limit. */
static void take_bytes(serve_request *r, const char *data, size_t n) {
    dc_server *s = r->server;
    if (r->failed || n == 0) {
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
    atomic_fetch_add(&s->metrics.upload_bytes, (long long)n);
#ifdef DC_TEST_HOOKS
    if (r->received >= 4096) crash_if(s, "upload.body");
#endif
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size) {
    (void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
    serve_request *r = cls;
    if (!key) return MHD_YES;
    if (!strcmp(key, "video")) {
        if (r->file_seen && off == 0) {
            fail(r, 400, "one video per claim: the form has two 'video' parts");
            return MHD_YES;
        }
        r->file_seen = true;
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
    return field_take(r, key, value ? value : "", value ? value_size : 0, true) ? MHD_YES : MHD_NO;
}

enum MHD_Result serve_upload_begin(serve_request *r) {
    dc_server *s = r->server;
    struct MHD_Connection *c = r->c;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoll(cl, NULL, 10) > s->o.max_upload_bytes) {
        atomic_fetch_add(&s->metrics.uploads_rejected_size, 1);
        return serve_error(r, 413, "the video is larger than the limit of %lld bytes",
                           (long long)s->o.max_upload_bytes);
    }
    if (!ct)
        return serve_error(r, 415,
                           "say what the body is: Content-Type video/mp4 (or another "
                           "video type), application/octet-stream or "
                           "multipart/form-data");
    if (!strncasecmp(ct, "multipart/form-data", 19)) {
        r->multipart = true;
        r->pp = MHD_create_post_processor(c, 64 * 1024, on_part, r);
        if (!r->pp) return serve_error(r, 400, "cannot read this multipart body (no boundary?)");
    } else if (serve_upload_type_allowed(ct)) {
        MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, on_query_field, r);
        if (r->failed) return serve_error(r, r->fail_status, "%s", r->fail_message);
    } else {
        return serve_error(r, 415,
                           "unsupported Content-Type for a claim upload: use video/mp4, "
                           "video/quicktime, video/x-matroska, video/webm, video/mp2t, "
                           "video/x-msvideo, application/octet-stream or "
                           "multipart/form-data");
    }
    const char *idem = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    if (idem) {
        if (!*idem || strlen(idem) >= sizeof r->nc.idempotency_key)
            return serve_error(r, 400, "Idempotency-Key must be 1..%zu bytes",
                               sizeof r->nc.idempotency_key - 1);
        snprintf(r->nc.idempotency_key, sizeof r->nc.idempotency_key, "%s", idem);
    }
    snprintf(r->nc.uploader, sizeof r->nc.uploader, "%s", r->key.name);
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(s, &st);
    if (!db || !(r->writer = dc_store_video_begin(db, &st))) return serve_store_error(r, &st);
    return MHD_YES;
}

enum MHD_Result serve_upload_data(serve_request *r, const char *data, size_t *size) {
    size_t n = *size;
    *size = 0;
    if (r->multipart) {
        if (!r->failed && MHD_post_process(r->pp, data, n) != MHD_YES)
            fail(r, 400, "malformed multipart body");
    } else {
        take_bytes(r, data, n);
    }
    /* Past the limit: answer now rather than read the rest of a body we will not keep. */
    if (r->failed && r->fail_status == 413) return serve_error_mid_body(r, 413, r->fail_message);
    if (r->failed) {
        r->discarded += (int64_t)n;
        /* a refused body is read to its end to answer it normally, but not without bound */
        if (r->discarded > r->server->o.max_upload_bytes)
            return serve_error_mid_body(r, r->fail_status, r->fail_message);
    }
    return MHD_YES;
}

static bool same_fields(const dc_claim_fields *a, const dc_claim_fields *b) {
    return !strcmp(a->policy_id, b->policy_id) && !strcmp(a->claimant, b->claimant) &&
           !strcmp(a->plate, b->plate) && !strcmp(a->location, b->location) &&
           !strcmp(a->reported_damage, b->reported_damage);
}

enum MHD_Result serve_upload_end(serve_request *r) {
    dc_server *s = r->server;
    if (r->failed) return serve_error(r, r->fail_status, "%s", r->fail_message);
    if (r->multipart && !r->file_seen)
        return serve_error(r, 400, "the form has no file part named 'video'");
    if (r->received == 0) {
        dc_store_video_abort(r->writer);
        r->writer = NULL;
        return serve_error(r, 400, "the body is empty: send the video");
    }
    snprintf(r->nc.content_type, sizeof r->nc.content_type, "%s",
             serve_sniff_video(r->head, r->head_len));
    dc_status st = DC_STATUS_OK;
    dc_store_video_writer *w = r->writer;
    r->writer = NULL;
    if (dc_store_video_commit(w, &r->nc.video, &st) != DC_OK) return serve_store_error(r, &st);
    dc_store *db = serve_store(s, &st);
    dc_store_claim claim;
    bool existed = false;
    if (!db) return serve_store_error(r, &st);
    dc_error_class e = dc_store_claim_insert(db, &r->nc, &claim, &existed, &st);
    if (e == DC_ERR_INPUT)
        return serve_error(r, 400, "the claim could not be recorded: %s", st.message);
    if (e != DC_OK) return serve_store_error(r, &st);
    if (existed && (strcmp(claim.video_sha256, r->nc.video.sha256) != 0 ||
                    !same_fields(&claim.fields, &r->nc.fields))) {
        /* The key names another request: keep nothing of this one. */
        if (strcmp(claim.video_sha256, r->nc.video.sha256) != 0 &&
            dc_store_video_discard(db, r->nc.video.sha256, &st) != DC_OK)
            fprintf(stderr, "dashclaim serve: store: %s\n", st.message);
        return serve_error(r, 409,
                           "the Idempotency-Key '%s' was used for claim %s with another "
                           "video or other fields; use a new key for a new claim",
                           r->nc.idempotency_key, claim.id);
    }
    crash_if(s, "upload.committed");
    atomic_fetch_add(&s->metrics.uploads_accepted, 1);
    json_t *o = serve_claim_json(&claim);
    json_object_set_new(o, "duplicate", json_boolean(existed));
    return serve_json(r, 202, o);
}

void serve_upload_cleanup(serve_request *r) {
    if (r->pp) MHD_destroy_post_processor(r->pp);
    r->pp = NULL;
    dc_store_video_abort(r->writer); /* a connection that died mid-upload */
    r->writer = NULL;
}
