/* POST /v1/claims: a video streamed into the store, then a claim.
 *
 * Two body forms:
 *   - raw: Content-Type video/... or application/octet-stream; metadata in the query string
 *     (?policy_id=&claimant=&plate=&location=&reported_damage=);
 *   - multipart/form-data: a file part named "video" and text parts with the same names.
 * The bytes go straight into a store writer as they arrive (never whole in memory, never under a
 * name the client chose). The limit is checked before each write: a Content-Length over it is
 * refused with 413 before the body is read; a body that grows past it (chunked, or a lying
 * header) stops being written at the limit, the partial upload is dropped, and 413 follows.
 * The 202 is sent only after dc_store_video_commit (fsync, rename) and dc_store_claim_insert
 * (claim + job + audit row committed) returned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve_internal.h"

static bool field_set(dc_claim_fields *f, const char *name, const char *value, size_t n) {
    char *dst = NULL;
    size_t size = 0;
    if (!strcmp(name, "policy_id")) dst = f->policy_id, size = sizeof f->policy_id;
    else if (!strcmp(name, "claimant")) dst = f->claimant, size = sizeof f->claimant;
    else if (!strcmp(name, "plate")) dst = f->plate, size = sizeof f->plate;
    else if (!strcmp(name, "location")) dst = f->location, size = sizeof f->location;
    else if (!strcmp(name, "reported_damage"))
        dst = f->reported_damage, size = sizeof f->reported_damage;
    if (!dst) return true; /* unknown fields are ignored */
    size_t have = strlen(dst);
    if (have + n >= size) return false;
    memcpy(dst + have, value, n);
    dst[have + n] = 0;
    return true;
}

static void fail(serve_request *r, int status, const char *msg) {
    if (r->failed) return;
    r->failed = true;
    r->fail_status = status;
    snprintf(r->fail_message, sizeof r->fail_message, "%s", msg);
    dc_store_video_abort(r->writer);
    r->writer = NULL;
}

/* Writes bytes of the video, refusing to pass the limit. */
static void take_bytes(dc_server *s, serve_request *r, const char *data, size_t n) {
    if (r->failed || n == 0) {
        r->discarded += (int64_t)n;
        return;
    }
    if (r->received + (int64_t)n > s->o.max_upload_bytes) {
        r->too_large = true;
        atomic_fetch_add(&s->metrics.uploads_rejected_size, 1);
        char msg[128];
        snprintf(msg, sizeof msg, "the video is larger than the limit of %lld bytes",
                 (long long)s->o.max_upload_bytes);
        fail(r, 413, msg);
        r->discarded += (int64_t)n;
        return;
    }
    dc_status st = DC_STATUS_OK;
    if (dc_store_video_write(r->writer, data, n, &st) != DC_OK) {
        fail(r, 503, st.message);
        return;
    }
    r->received += (int64_t)n;
    atomic_fetch_add(&s->metrics.upload_bytes, (long long)n);
#ifdef DC_TEST_HOOKS
    if (r->received >= 4096) serve_crash_if(s, "upload.body");
#endif
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size) {
    serve_request *r = cls;
    dc_server *s = r->server;
    if (!key) return MHD_YES;
    if (!strcmp(key, "video")) {
        if (r->file_seen && off == 0) {
            fail(r, 400, "one video per claim: the form has two 'video' parts");
            return MHD_YES;
        }
        r->file_seen = true;
        if (off == 0 && content_type)
            snprintf(r->nc.content_type, sizeof r->nc.content_type, "%s", content_type);
        take_bytes(s, r, data, size);
        return MHD_YES;
    }
    if (!field_set(&r->nc.fields, key, data, size)) fail(r, 400, "a metadata field is too long");
    return MHD_YES;
}

enum MHD_Result serve_upload_begin(dc_server *s, struct MHD_Connection *c, serve_request *r) {
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        long long n = strtoll(cl, NULL, 10);
        if (n > s->o.max_upload_bytes) {
            atomic_fetch_add(&s->metrics.uploads_rejected_size, 1);
            return serve_error(c, r, 413, "the video is larger than the limit of %lld bytes",
                               (long long)s->o.max_upload_bytes);
        }
    }
    if (!ct) return serve_error(c, r, 415, "say what the body is: Content-Type video/*, "
                                           "application/octet-stream or multipart/form-data");
    if (!strncasecmp(ct, "multipart/form-data", 19)) {
        r->multipart = true;
        r->pp = MHD_create_post_processor(c, 64 * 1024, on_part, r);
        if (!r->pp) return serve_error(c, r, 400, "cannot read this multipart body (no boundary?)");
    } else if (!strncasecmp(ct, "video/", 6) || !strncasecmp(ct, "application/octet-stream", 24)) {
        size_t n = strcspn(ct, ";");
        snprintf(r->nc.content_type, sizeof r->nc.content_type, "%.*s", (int)n, ct);
        static const char *const names[] = {"policy_id", "claimant", "plate", "location",
                                            "reported_damage"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, names[i]);
            if (v && !field_set(&r->nc.fields, names[i], v, strlen(v)))
                return serve_error(c, r, 400, "%s is too long", names[i]);
        }
    } else {
        return serve_error(c, r, 415, "unsupported Content-Type for a claim upload: use video/*, "
                                      "application/octet-stream or multipart/form-data");
    }
    const char *idem = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    if (idem) {
        if (!*idem || strlen(idem) >= sizeof r->nc.idempotency_key)
            return serve_error(c, r, 400, "Idempotency-Key must be 1..%zu bytes",
                               sizeof r->nc.idempotency_key - 1);
        snprintf(r->nc.idempotency_key, sizeof r->nc.idempotency_key, "%s", idem);
    }
    snprintf(r->nc.uploader, sizeof r->nc.uploader, "%s", r->key.name);
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(s, &st);
    if (!db || !(r->writer = dc_store_video_begin(db, &st)))
        return serve_error(c, r, 503, "cannot store the upload now: %s", st.message);
    return MHD_YES;
}

enum MHD_Result serve_upload_data(dc_server *s, struct MHD_Connection *c, serve_request *r,
                                  const char *data, size_t *size) {
    size_t n = *size;
    *size = 0;
    /* A body far past the limit is not worth reading to the end just to say 413. */
    if (r->discarded > s->o.max_upload_bytes / 4 + (1 << 20)) return MHD_NO;
    if (r->multipart) {
        if (r->failed) {
            r->discarded += (int64_t)n;
            return MHD_YES;
        }
        if (MHD_post_process(r->pp, data, n) != MHD_YES) fail(r, 400, "malformed multipart body");
        return MHD_YES;
    }
    take_bytes(s, r, data, n);
    return MHD_YES;
}

enum MHD_Result serve_upload_end(dc_server *s, struct MHD_Connection *c, serve_request *r) {
    if (r->failed) return serve_error(c, r, r->fail_status, "%s", r->fail_message);
    if (r->multipart && !r->file_seen)
        return serve_error(c, r, 400, "the form has no file part named 'video'");
    if (r->received == 0) {
        dc_store_video_abort(r->writer);
        r->writer = NULL;
        return serve_error(c, r, 400, "the body is empty: send the video");
    }
    if (!r->nc.content_type[0]) snprintf(r->nc.content_type, sizeof r->nc.content_type,
                                         "application/octet-stream");
    dc_status st = DC_STATUS_OK;
    dc_store_video_writer *w = r->writer;
    r->writer = NULL;
    if (dc_store_video_commit(w, &r->nc.video, &st) != DC_OK)
        return serve_error(c, r, 503, "the video could not be stored: %s", st.message);
    dc_store *db = serve_store(s, &st);
    dc_store_claim claim;
    bool existed = false;
    if (!db || dc_store_claim_insert(db, &r->nc, &claim, &existed, &st) != DC_OK)
        return serve_error(c, r, st.code == DC_ERR_INPUT ? 400 : 503, "the claim could not be "
                                                                      "recorded: %s", st.message);
    serve_crash_if(s, "upload.committed");
    atomic_fetch_add(&s->metrics.uploads_accepted, 1);
    json_t *o = serve_claim_json(&claim);
    json_object_set_new(o, "duplicate", json_boolean(existed));
    return serve_json(c, r, 202, o);
}

void serve_upload_cleanup(serve_request *r) {
    if (r->pp) MHD_destroy_post_processor(r->pp);
    r->pp = NULL;
    dc_store_video_abort(r->writer); /* a connection that died mid-upload */
    r->writer = NULL;
}
