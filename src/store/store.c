/* include/dashclaim/store.h, once for every backend: arguments are checked here, ids, keys and
 * hashes are made here, and the backend (store_ops) only moves rows and bytes. Keeping this out
 * of the backends is what makes "the same semantics on both" checkable: a backend cannot hash a
 * key or an audit row differently, because it never does it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "dashclaim/hash.h"
#include "store_internal.h"

void dc_store_options_init(dc_store_options *o) {
    memset(o, 0, sizeof *o);
    o->lease_sec = 60;
    o->max_attempts = 3;
    o->busy_timeout_ms = 10000;
    o->retry_delay_sec = 1.0;
}

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

dc_store *dc_store_open(const char *url, const dc_store_options *opts, dc_status *st) {
    if (!url || !*url) {
        dc_fail(st, DC_ERR_INPUT, "store: no data folder or database URL given");
        return NULL;
    }
    dc_store *s = calloc(1, sizeof *s);
    if (!s) {
        dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
        return NULL;
    }
    if (opts) s->opts = *opts;
    else dc_store_options_init(&s->opts);
    if (s->opts.lease_sec <= 0) s->opts.lease_sec = 60;
    if (s->opts.max_attempts <= 0) s->opts.max_attempts = 3;
    if (s->opts.busy_timeout_ms <= 0) s->opts.busy_timeout_ms = 10000;
    if (s->opts.retry_delay_sec < 0) s->opts.retry_delay_sec = 0;

    dc_error_class rc;
    if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://")) {
#ifdef DC_STORE_HAVE_PG
        rc = store_pg_open(url, &s->opts, &s->ops, &s->self, st);
#else
        rc = dc_fail(st, DC_ERR_INPUT, "store: this build has no PostgreSQL backend (%s)", url);
#endif
    } else if (strstr(url, "://")) {
        rc = dc_fail(st, DC_ERR_INPUT,
                     "store: unknown database URL scheme in '%s' (use a folder, "
                     "sqlite:FOLDER or postgresql://...)",
                     url);
    } else {
        rc = store_sqlite_open(has_prefix(url, "sqlite:") ? url + 7 : url, &s->opts, &s->ops,
                               &s->self, st);
    }
    if (rc != DC_OK) {
        free(s);
        return NULL;
    }
    return s;
}

void dc_store_close(dc_store *s) {
    if (!s) return;
    if (s->ops) s->ops->close(s->self);
    free(s);
}

const char *dc_store_backend_name(const dc_store *s) { return s->ops->name; }
const dc_store_options *dc_store_get_options(const dc_store *s) { return &s->opts; }

static bool fits(const char *text, size_t size) { return !text || strlen(text) < size; }

static bool is_sha256(const char *h) {
    if (!h || strlen(h) != 64) return false;
    for (int i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'))) return false;
    return true;
}

/* Claim ids come from URLs: anything that is not exactly an id of ours is simply not found,
 * and never reaches SQL in an unexpected shape. */
static bool is_claim_id(const char *id) {
    if (!id || strlen(id) != 36 || strncmp(id, "clm_", 4) != 0) return false;
    for (int i = 4; i < 36; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return false;
    return true;
}

/* ---- videos --------------------------------------------------------------------------------- */

struct dc_store_video_writer {
    dc_store *s;
    void *sink;
    dc_sha256 *sha;
    int64_t bytes;
};

struct dc_store_video_reader {
    dc_store *s;
    void *src;
    int64_t size;
};

dc_store_video_writer *dc_store_video_begin(dc_store *s, dc_status *st) {
    dc_store_video_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->sha = dc_sha256_new())) {
        free(w);
        dc_fail(st, DC_ERR_RESOURCE, "store: out of memory starting an upload");
        return NULL;
    }
    w->s = s;
    if (s->ops->video_sink_open(s->self, &w->sink, st) != DC_OK) {
        dc_sha256_free(w->sha);
        free(w);
        return NULL;
    }
    return w;
}

dc_error_class dc_store_video_write(dc_store_video_writer *w, const void *data, size_t n,
                                    dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    if (n == 0) return DC_OK;
    dc_error_class rc = w->s->ops->video_sink_write(w->sink, data, n, st);
    if (rc != DC_OK) return rc;
    dc_sha256_update(w->sha, data, n);
    w->bytes += (int64_t)n;
    return DC_OK;
}

int64_t dc_store_video_written(const dc_store_video_writer *w) { return w ? w->bytes : 0; }

dc_error_class dc_store_video_commit(dc_store_video_writer *w, dc_store_video *out, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    uint8_t d[32];
    dc_sha256_final(w->sha, d);
    dc_sha256_free(w->sha);
    memset(out, 0, sizeof *out);
    dc_hex_encode(d, sizeof d, out->sha256);
    out->bytes = w->bytes;
    dc_error_class rc = w->s->ops->video_sink_commit(w->sink, out->sha256, w->bytes, st);
    free(w);
    return rc;
}

void dc_store_video_abort(dc_store_video_writer *w) {
    if (!w) return;
    w->s->ops->video_sink_abort(w->sink);
    dc_sha256_free(w->sha);
    free(w);
}

dc_error_class dc_store_video_open(dc_store *s, const char *sha256, dc_store_video_reader **r,
                                   dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *r = NULL;
    if (!is_sha256(sha256)) return DC_OK;
    void *src = NULL;
    int64_t size = 0;
    dc_error_class rc = s->ops->video_source_open(s->self, sha256, &src, &size, st);
    if (rc != DC_OK || !src) return rc;
    dc_store_video_reader *v = calloc(1, sizeof *v);
    if (!v) {
        s->ops->video_source_close(src);
        return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory opening a video");
    }
    v->s = s;
    v->src = src;
    v->size = size;
    *r = v;
    return DC_OK;
}

int64_t dc_store_video_size(const dc_store_video_reader *r) { return r->size; }

dc_error_class dc_store_video_read(dc_store_video_reader *r, int64_t offset, void *buf, size_t cap,
                                   size_t *n, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *n = 0;
    if (offset < 0) return dc_fail(st, DC_ERR_INPUT, "store: negative video offset");
    if (offset >= r->size || cap == 0) return DC_OK;
    return r->s->ops->video_source_read(r->src, offset, buf, cap, n, st);
}

void dc_store_video_close(dc_store_video_reader *r) {
    if (!r) return;
    r->s->ops->video_source_close(r->src);
    free(r);
}

dc_error_class dc_store_video_fetch(dc_store *s, const char *sha256, const char *scratch_dir,
                                    char *path, size_t path_size, bool *temporary, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *temporary = false;
    if (!is_sha256(sha256))
        return dc_fail(st, DC_ERR_INPUT, "store: '%s' is not a video hash",
                       sha256 ? sha256 : "(null)");
    if (s->ops->video_local_path) {
        bool has = false;
        dc_error_class rc = s->ops->video_local_path(s->self, sha256, path, path_size, &has, st);
        if (rc != DC_OK) return rc;
        if (!has) return dc_fail(st, DC_ERR_INPUT, "store: video %s is not stored", sha256);
        return DC_OK;
    }
    /* No files in this backend: copy the bytes into a scratch file, checking the hash on the
     * way, so that the pipeline never assesses a video other than the one uploaded. */
    dc_store_video_reader *r = NULL;
    dc_error_class rc = dc_store_video_open(s, sha256, &r, st);
    if (rc != DC_OK) return rc;
    if (!r) return dc_fail(st, DC_ERR_INPUT, "store: video %s is not stored", sha256);
    int fd = -1;
    uint8_t *buf = NULL;
    dc_sha256 *sha = dc_sha256_new();
    if (snprintf(path, path_size, "%s/dashclaim-video-XXXXXX",
                 scratch_dir && *scratch_dir ? scratch_dir : "/tmp") >= (int)path_size) {
        rc = dc_fail(st, DC_ERR_INPUT, "store: scratch folder path too long");
        goto out;
    }
    buf = malloc(1 << 20);
    if (!buf || !sha) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "store: out of memory fetching video %s", sha256);
        goto out;
    }
    fd = mkstemp(path);
    if (fd < 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "store: cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    *temporary = true;
    for (int64_t off = 0;;) {
        size_t n = 0;
        rc = dc_store_video_read(r, off, buf, 1 << 20, &n, st);
        if (rc != DC_OK) goto out;
        if (n == 0) break;
        dc_sha256_update(sha, buf, n);
        for (size_t done = 0; done < n;) {
            ssize_t k = write(fd, buf + done, n - done);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) {
                rc = dc_fail(st, DC_ERR_RESOURCE, "store: writing %s: %s", path, strerror(errno));
                goto out;
            }
            done += (size_t)k;
        }
        off += (int64_t)n;
    }
    uint8_t d[32];
    char hex[65];
    dc_sha256_final(sha, d);
    dc_hex_encode(d, sizeof d, hex);
    if (strcmp(hex, sha256) != 0)
        rc = dc_fail(st, DC_ERR_RESOURCE, "store: video %s read back with SHA-256 %s", sha256, hex);
out:
    if (fd >= 0) close(fd);
    if (rc != DC_OK && *temporary) {
        unlink(path);
        *temporary = false;
    }
    free(buf);
    dc_sha256_free(sha);
    dc_store_video_close(r);
    return rc;
}

dc_error_class dc_store_video_discard(dc_store *s, const char *sha256, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    if (!is_sha256(sha256))
        return dc_fail(st, DC_ERR_INPUT, "store: '%s' is not a video hash",
                       sha256 ? sha256 : "(null)");
    return s->ops->video_discard(s->self, sha256, st);
}

/* ---- claims --------------------------------------------------------------------------------- */

static bool video_fits(const dc_store_claim_video *v, dc_status *st) {
    if (!is_sha256(v->video.sha256)) {
        dc_fail(st, DC_ERR_INPUT, "store: a claim's video must be committed first");
        return false;
    }
    if (!dc_video_role_name(v->role) || v->segment < -1 || v->video.bytes < 0 ||
        !fits(v->content_type, sizeof v->content_type) ||
        !fits(v->file_name, sizeof v->file_name)) {
        dc_fail(st, DC_ERR_INPUT, "store: a claim's video has a bad role, segment or name");
        return false;
    }
    return true;
}

dc_error_class dc_store_claim_insert(dc_store *s, const dc_store_new_claim *nc, dc_store_claim *out,
                                     bool *existed, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    bool ex = false;
    if (existed) *existed = false;
    if (!nc->uploader[0]) return dc_fail(st, DC_ERR_INPUT, "store: a claim needs an uploader");
    if (nc->video_count < 0 || nc->video_count > DC_MAX_CLAIM_VIDEOS)
        return dc_fail(st, DC_ERR_INPUT, "store: a claim holds 1 to %d videos, not %d",
                       DC_MAX_CLAIM_VIDEOS, nc->video_count);
    /* The backend sees one shape: video_count rows, video 0 also in video/content_type (the
     * claims row keeps position 0's hash, which the queue, the audit and discard read). A
     * caller of before (video_count 0, not open) gave its one video in nc->video. */
    dc_store_new_claim *n = malloc(sizeof *n);
    dc_audit_row *audit = malloc(sizeof *audit * DC_MAX_CLAIM_VIDEOS);
    dc_error_class rc = DC_OK;
    if (!n || !audit) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "store: out of memory inserting a claim");
        goto out;
    }
    *n = *nc;
    if (n->video_count == 0 && !n->open) {
        memset(&n->videos[0], 0, sizeof n->videos[0]);
        n->videos[0].video = nc->video;
        store_copy(n->videos[0].content_type, sizeof n->videos[0].content_type, nc->content_type);
        n->videos[0].segment = -1;
        n->video_count = 1;
    }
    for (int i = 0; i < n->video_count; i++)
        if (!video_fits(&n->videos[i], st)) {
            rc = DC_ERR_INPUT;
            goto out;
        }
    memset(&n->video, 0, sizeof n->video);
    n->content_type[0] = '\0';
    if (n->video_count > 0) {
        n->video = n->videos[0].video;
        store_copy(n->content_type, sizeof n->content_type, n->videos[0].content_type);
    }
    char id[DC_STORE_ID_LEN];
    if ((rc = store_new_claim_id(id, st)) != DC_OK) goto out;
    store_audit_claim_created(&audit[0], id, n);
    int naudit = 1;
    for (int i = 1; i < n->video_count; i++)
        store_audit_video_added(&audit[naudit++], id, n->uploader, i, &n->videos[i]);
    rc = s->ops->claim_insert(s->self, id, n, audit, naudit, out, &ex, st);
    if (existed) *existed = ex;
out:
    free(n);
    free(audit);
    return rc;
}

dc_error_class dc_store_claim_video_add(dc_store *s, const char *claim_id,
                                        const dc_store_claim_video *v, const char *actor,
                                        int *position, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    int pos = -1;
    if (position) *position = -1;
    if (!is_claim_id(claim_id)) return dc_fail(st, DC_ERR_INPUT, "store: no such claim");
    if (!actor || !*actor || !fits(actor, DC_STORE_NAME_LEN))
        return dc_fail(st, DC_ERR_INPUT, "store: who adds the video?");
    if (!video_fits(v, st)) return DC_ERR_INPUT;
    dc_error_class rc = s->ops->claim_video_add(s->self, claim_id, v, actor, &pos, st);
    if (position) *position = pos;
    return rc;
}

dc_error_class dc_store_claim_submit(dc_store *s, const char *claim_id, const char *actor,
                                     dc_store_claim *out, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    if (!is_claim_id(claim_id)) return dc_fail(st, DC_ERR_INPUT, "store: no such claim");
    if (!actor || !*actor || !fits(actor, DC_STORE_NAME_LEN))
        return dc_fail(st, DC_ERR_INPUT, "store: who submits the claim?");
    return s->ops->claim_submit(s->self, claim_id, actor, out, st);
}

dc_error_class dc_store_claim_videos(dc_store *s, const char *claim_id, dc_store_claim_video *rows,
                                     int max, int *count, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *count = 0;
    if (max <= 0 || !is_claim_id(claim_id)) return DC_OK;
    return s->ops->claim_videos(s->self, claim_id, rows, max, count, st);
}

dc_error_class dc_store_claim_get(dc_store *s, const char *id, dc_store_claim *out, bool *found,
                                  dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *found = false;
    if (!is_claim_id(id)) return DC_OK;
    return s->ops->claim_get(s->self, id, out, found, st);
}

dc_error_class dc_store_claims_list(dc_store *s, const dc_store_claim_filter *f,
                                    dc_store_claim *rows, int *count, char *next_cursor,
                                    dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *count = 0;
    next_cursor[0] = '\0';
    dc_store_claim_filter g = *f;
    if (g.limit == 0) g.limit = 50;
    if (g.limit < 1 || g.limit > 500)
        return dc_fail(st, DC_ERR_INPUT, "claims: limit must be 1..500, not %d", g.limit);
    if (g.state < -1 || g.state >= DC_STATE_COUNT)
        return dc_fail(st, DC_ERR_INPUT, "claims: unknown status filter");
    if (g.priority < -1 || g.priority > DC_PRIORITY_URGENT)
        return dc_fail(st, DC_ERR_INPUT, "claims: unknown priority filter");
    if (g.cursor && *g.cursor) {
        int p;
        int64_t t;
        char id[DC_STORE_ID_LEN];
        if (!store_cursor_decode(g.cursor, &p, &t, id))
            return dc_fail(st, DC_ERR_INPUT, "claims: malformed cursor");
    } else {
        g.cursor = NULL;
    }
    return s->ops->claims_list(s->self, &g, rows, count, next_cursor, st);
}

dc_error_class dc_store_claim_counts(dc_store *s, int64_t counts[DC_STATE_COUNT], dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    memset(counts, 0, sizeof(int64_t) * DC_STATE_COUNT);
    return s->ops->claim_counts(s->self, counts, st);
}

/* ---- jobs ----------------------------------------------------------------------------------- */

dc_error_class dc_store_job_claim(dc_store *s, const char *worker, dc_store_job *job, bool *got,
                                  dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *got = false;
    if (!worker || !*worker || !fits(worker, DC_STORE_NAME_LEN))
        return dc_fail(st, DC_ERR_INPUT, "store: worker id missing or longer than %d bytes",
                       DC_STORE_NAME_LEN - 1);
    memset(job, 0, sizeof *job);
    return s->ops->job_claim(s->self, worker, job, got, st);
}

dc_error_class dc_store_job_heartbeat(dc_store *s, dc_store_job *job, bool *held, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *held = false;
    return s->ops->job_heartbeat(s->self, job, held, st);
}

dc_error_class dc_store_job_complete(dc_store *s, const dc_store_job *job,
                                     const dc_store_result *result, bool *accepted, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *accepted = false;
    if (!result || !result->assessment || !result->assessment_json)
        return dc_fail(st, DC_ERR_INPUT, "store: a completed job needs its assessment");
    if (result->frame_count < 0 || result->frame_count > DC_MAX_EVIDENCE * 4 ||
        (result->frame_count > 0 && (!result->frames_jpeg || !result->frames_jpeg_len)))
        return dc_fail(st, DC_ERR_INPUT, "store: bad evidence frame list");
    dc_audit_row audit;
    store_audit_assessment(&audit, job, result->assessment, result->assessment_json);
    return s->ops->job_complete(s->self, job, result, &audit, accepted, st);
}

dc_error_class dc_store_job_fail(dc_store *s, const dc_store_job *job, dc_error_class cls,
                                 const char *message, bool retryable, bool *accepted,
                                 dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *accepted = false;
    if (!message) message = "";
    char *json = store_failed_assessment_json(job->claim_id, job->video_sha256, cls, message);
    if (!json) return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory failing a job");
    char actor[DC_STORE_NAME_LEN + 16];
    snprintf(actor, sizeof actor, "worker:%.*s", DC_STORE_NAME_LEN - 1, job->worker);
    dc_audit_row audit;
    store_audit_claim_failed(&audit, job->claim_id, job->video_sha256, actor, cls, message, json);
    dc_error_class rc =
        s->ops->job_fail(s->self, job, cls, message, retryable, json, &audit, accepted, st);
    free(json);
    return rc;
}

dc_error_class dc_store_job_release(dc_store *s, const dc_store_job *job, bool *accepted,
                                    dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *accepted = false;
    return s->ops->job_release(s->self, job, accepted, st);
}

dc_error_class dc_store_jobs_rescue(dc_store *s, int *requeued, int *failed, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    int rq = 0, fl = 0;
    dc_error_class rc = s->ops->jobs_rescue(s->self, &rq, &fl, st);
    if (requeued) *requeued = rq;
    if (failed) *failed = fl;
    return rc;
}

dc_error_class dc_store_job_wait(dc_store *s, double timeout_sec, bool *supported, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *supported = s->ops->job_wait != NULL;
    if (!*supported) return DC_OK;
    return s->ops->job_wait(s->self, timeout_sec > 0 ? timeout_sec : 0, st);
}

/* ---- results and reviews -------------------------------------------------------------------- */

dc_error_class dc_store_assessment_get(dc_store *s, const char *claim_id, char **json,
                                       dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *json = NULL;
    if (!is_claim_id(claim_id)) return DC_OK;
    return s->ops->assessment_get(s->self, claim_id, json, st);
}

dc_error_class dc_store_artifact_get(dc_store *s, const char *claim_id, const char *name,
                                     uint8_t **data, size_t *len, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *data = NULL;
    *len = 0;
    if (!is_claim_id(claim_id) || !name || !fits(name, 64)) return DC_OK;
    return s->ops->artifact_get(s->self, claim_id, name, data, len, st);
}

dc_error_class dc_store_review_add(dc_store *s, const char *claim_id, const dc_store_review *r,
                                   const char *reviewer, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    if (!is_claim_id(claim_id)) return dc_fail(st, DC_ERR_INPUT, "review: no such claim");
    if (!reviewer || !*reviewer || !fits(reviewer, DC_STORE_NAME_LEN))
        return dc_fail(st, DC_ERR_INPUT, "review: the reviewer is missing");
    dc_error_class rc = store_review_check(r, st);
    if (rc != DC_OK) return rc;
    return s->ops->review_add(s->self, claim_id, r, reviewer, st);
}

/* ---- audit ---------------------------------------------------------------------------------- */

dc_error_class dc_store_audit_append(dc_store *s, const dc_audit_row *row, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    if (!row->actor[0] || !row->action[0])
        return dc_fail(st, DC_ERR_INPUT, "audit: a row needs an actor and an action");
    dc_audit_row r = *row;
    r.seq = 0;
    r.at[0] = r.prev_hash[0] = r.hash[0] = '\0';
    return s->ops->audit_append(s->self, &r, st);
}

dc_error_class dc_store_audit_list(dc_store *s, const char *claim_id, int64_t after_seq,
                                   dc_audit_row *rows, int max, int *count, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *count = 0;
    if (max <= 0) return DC_OK;
    if (claim_id && !is_claim_id(claim_id)) return DC_OK;
    return s->ops->audit_list(s->self, claim_id, after_seq, rows, max, count, st);
}

/* dc_store_audit_verify and the checks with checkpoints: audit_verify.c */

/* ---- keys ----------------------------------------------------------------------------------- */

static dc_error_class random_hex(char *out, int bytes, dc_status *st) {
    unsigned char r[32];
    size_t got = 0;
    while (got < (size_t)bytes) {
        ssize_t n = getrandom(r + got, (size_t)bytes - got, 0);
        if (n < 0) return dc_fail(st, DC_ERR_RESOURCE, "keys: no random bytes");
        got += (size_t)n;
    }
    dc_hex_encode(r, (size_t)bytes, out);
    return DC_OK;
}

void store_secret_hash(const char *text, char out[65]) { dc_sha256_hex(text, strlen(text), out); }

/* Keys look like dck_<12 hex id>_<40 hex secret>. */
static bool parse_key(const char *key, char id[16]) {
    if (!key || strlen(key) != 57 || strncmp(key, "dck_", 4) != 0 || key[16] != '_') return false;
    for (int i = 4; i < 57; i++) {
        if (i == 16) continue;
        if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f'))) return false;
    }
    memcpy(id, key + 4, 12);
    id[12] = '\0';
    return true;
}

dc_error_class dc_store_key_add(dc_store *s, const char *name, dc_role role, char *key_out,
                                dc_store_key *info, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    key_out[0] = '\0';
    if (!name || !*name || !fits(name, DC_STORE_NAME_LEN))
        return dc_fail(st, DC_ERR_INPUT, "keys: a name of 1..%d bytes is needed",
                       DC_STORE_NAME_LEN - 1);
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return dc_fail(st, DC_ERR_INPUT, "keys: control characters in the name");
    if (!dc_role_name(role)) return dc_fail(st, DC_ERR_INPUT, "keys: unknown role");
    dc_store_key k = {.role = role, .created_ms = store_now_ms()};
    char secret[41];
    dc_error_class rc = random_hex(k.id, 6, st);
    if (rc == DC_OK) rc = random_hex(secret, 20, st);
    if (rc != DC_OK) return rc;
    store_copy(k.name, sizeof k.name, name);
    char key[DC_KEY_LEN];
    snprintf(key, sizeof key, "dck_%s_%s", k.id, secret);
    char hash[65];
    store_secret_hash(key, hash);
    dc_audit_row audit;
    store_audit_key(&audit, "key.added", &k);
    rc = s->ops->key_insert(s->self, &k, hash, &audit, st);
    if (rc == DC_OK) {
        memcpy(key_out, key, sizeof key);
        if (info) *info = k;
    }
    memset(key, 0, sizeof key);
    memset(secret, 0, sizeof secret);
    return rc;
}

/* Constant time over the 64 hex digits: how many leading bytes match leaks nothing. */
bool store_same_hash(const char *a, const char *b) {
    unsigned char diff = 0;
    for (int i = 0; i < 64; i++) diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

dc_error_class dc_store_key_lookup(dc_store *s, const char *key, dc_store_key *out, bool *found,
                                   dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *found = false;
    char id[16];
    if (!parse_key(key, id)) return DC_OK;
    char stored[65] = "", presented[65];
    bool f = false;
    dc_error_class rc = s->ops->key_get(s->self, id, out, stored, &f, st);
    if (rc != DC_OK || !f) return rc;
    store_secret_hash(key, presented);
    *found = strlen(stored) == 64 && store_same_hash(presented, stored) && !out->revoked;
    return DC_OK;
}

dc_error_class dc_store_key_list(dc_store *s, dc_store_key *rows, int max, int *count,
                                 dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *count = 0;
    if (max <= 0) return DC_OK;
    return s->ops->key_list(s->self, rows, max, count, st);
}

dc_error_class dc_store_key_revoke(dc_store *s, const char *id_or_name, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    if (!id_or_name || !*id_or_name || !fits(id_or_name, DC_STORE_NAME_LEN))
        return dc_fail(st, DC_ERR_INPUT, "keys: which key? (its id or name)");
    dc_audit_row audit;
    memset(&audit, 0, sizeof audit);
    bool found = false;
    dc_error_class rc = s->ops->key_revoke(s->self, id_or_name, &audit, &found, st);
    if (rc == DC_OK && !found)
        return dc_fail(st, DC_ERR_INPUT, "keys: no active key with id or name '%s'", id_or_name);
    return rc;
}
