/* Workers: threads that drain the store's queue through the pipeline.
 *
 * Each thread owns two store connections (one claims and completes, one renews the lease while
 * the pipeline runs, so a long claim never loses its lease to a busy thread) and its own engine.
 * The heartbeat runs every lease/3: two missed beats still leave a third before the lease ends.
 *
 * A claim runs as fetch -> assess -> render -> finish (see claim_run below). A claim is one or
 * more videos (the channels and segments its uploader sent): all are fetched and assessed as one
 * claim, with the roles, segments and SHA-256s the store has (the bytes are not hashed again).
 *
 * What happens to a claim is decided here and written by the store in one transaction:
 *   result ok/degraded                    -> complete (done)
 *   result failed, class input            -> complete (failed: the video is bad; retrying cannot
 *                                            help)
 *   result failed, other class, attempts  -> fail(retryable): queued again after a back-off
 *   left
 *   result failed on the last attempt     -> complete (failed, with the pipeline's own record)
 *   the store refuses (lease lost)        -> nothing: another worker holds the job
 *   the video cannot be fetched           -> fail(retryable), class internal
 * A store error while completing or failing (busy past the timeout, disk) is retried a few
 * times; if it persists it is logged and counted (stats.store_errors) and the lease simply
 * expires: the job runs again, which the fence makes safe (see finish()).
 *
 * Messages stored for the uploader name no server path: the video is "video <sha256 prefix>…"
 * in every string of the record and in the error of a failed attempt. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dashclaim/engine.h"
#include "dashclaim/group.h"
#include "dashclaim/pipeline.h"
#include "dashclaim/report.h"
#include "dashclaim/serve.h"
#include "serve_footage.h"
#include "serve_internal.h"
#include "worker_internal.h"

const double dc_workers_latency_bounds[12] = {0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                              2.5,  5,    10,  30,   60,  300};

void dc_worker_options_init(dc_worker_options *o) {
    memset(o, 0, sizeof *o);
    dc_store_options_init(&o->store);
    o->threads = 1;
    o->claim_timeout_sec = 600;
    o->poll_sec = 0.2;
    o->stop_grace_sec = 10;
    o->batch = 1;
}

static void sleep_until_woken(dc_workers *p, double sec) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = ts.tv_nsec + (long long)(sec * 1e9);
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&p->lock);
    if (!atomic_load(&p->stop)) pthread_cond_timedwait(&p->wake, &p->lock, &ts);
    pthread_mutex_unlock(&p->lock);
}

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- heartbeat ------------------------------------------------------------------------------ */

/* Every job the thread holds is renewed once a period, each under its own attempt. */
static void *heartbeat_main(void *arg) {
    worker *w = arg;
    double period = w->pool->o.store.lease_sec / 3.0;
    if (period < 0.2) period = 0.2;
    pthread_mutex_lock(&w->beat_lock);
    while (!w->beat_exit) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ns = ts.tv_nsec + (long long)(period * 1e9);
        ts.tv_sec += (time_t)(ns / 1000000000LL);
        ts.tv_nsec = (long)(ns % 1000000000LL);
        int rc = pthread_cond_timedwait(&w->beat_wake, &w->beat_lock, &ts);
        if (w->beat_exit) break;
        if (rc != ETIMEDOUT) continue;
        for (int i = 0; i < w->held_cap && !w->beat_exit; i++) {
            if (!w->held[i].active || w->held[i].lost) continue; /* (lost: for good) */
            dc_store_job job = w->held[i].job;
            pthread_mutex_unlock(&w->beat_lock);
            bool held = true;
            dc_status st = DC_STATUS_OK;
            dc_error_class e = dc_store_job_heartbeat(w->beat_store, &job, &held, &st);
            pthread_mutex_lock(&w->beat_lock);
            /* (the place may have been dropped, or taken by another job, meanwhile) */
            held_job *h = &w->held[i];
            if (e == DC_OK && !held && h->active && h->job.attempt == job.attempt &&
                !strcmp(job.claim_id, h->job.claim_id)) {
                h->lost = true;
                fprintf(stderr, "dashclaim worker %s: lost the lease of %s (attempt %d)\n", w->id,
                        job.claim_id, job.attempt);
            } else if (e != DC_OK) {
                fprintf(stderr, "dashclaim worker %s: heartbeat: %s\n", w->id, st.message);
            }
        }
    }
    pthread_mutex_unlock(&w->beat_lock);
    return NULL;
}

int worker_hold(worker *w, const dc_store_job *job) {
    int slot = -1;
    pthread_mutex_lock(&w->beat_lock);
    for (int i = 0; i < w->held_cap && slot < 0; i++)
        if (!w->held[i].active) slot = i;
    if (slot >= 0) {
        w->held[slot] = (held_job){.job = *job, .active = true};
        w->held_count++;
        atomic_store(&w->busy, true);
    }
    pthread_mutex_unlock(&w->beat_lock);
    return slot;
}

void worker_drop(worker *w, int slot) {
    if (slot < 0) return;
    pthread_mutex_lock(&w->beat_lock);
    if (w->held[slot].active) {
        w->held[slot].active = false;
        w->held_count--;
    }
    atomic_store(&w->busy, w->held_count > 0);
    pthread_mutex_unlock(&w->beat_lock);
}

/* True when stop released the run's job: its run must write nothing. */
static bool abandoned(const claim_run *run) {
    if (run->slot < 0) return false;
    worker *w = run->w;
    pthread_mutex_lock(&w->beat_lock);
    bool gone = w->held[run->slot].abandoned;
    pthread_mutex_unlock(&w->beat_lock);
    return gone;
}

/* ---- one claim ------------------------------------------------------------------------------ */

static void record_latency(dc_workers *p, double sec) {
    pthread_mutex_lock(&p->lock);
    int i = 0;
    while (i < 11 && sec > dc_workers_latency_bounds[i]) i++;
    if (sec <= dc_workers_latency_bounds[11]) p->stats.latency_buckets[i]++;
    p->stats.latency_count++;
    p->stats.latency_sum += sec;
    pthread_mutex_unlock(&p->lock);
}

static void count(dc_workers *p, int64_t *field) {
    pthread_mutex_lock(&p->lock);
    (*field)++;
    pthread_mutex_unlock(&p->lock);
}

static void metadata_from_fields(const dc_claim_fields *f, dc_claim_metadata *m) {
    dc_claim_metadata_init(m);
    dc_severity sev = dc_severity_from_name(f->reported_damage);
    if (sev != DC_SEVERITY_UNSET) {
        m->damage_claimed = sev;
        /* a claimed HIGH (collision) damage is a claimed collision; NONE claims none */
        m->collision_claimed = sev == DC_SEVERITY_HIGH   ? DC_TRI_YES
                               : sev == DC_SEVERITY_NONE ? DC_TRI_NO
                                                         : DC_TRI_UNKNOWN;
    }
    /* The incident's place and time as the claimant states them, held against the video's GPS
     * (X-PLACE-MISMATCH, X-TIME-MISMATCH); the service checked both on upload. A location given
     * as coordinates counts as the place when incident_place is not given (an address does
     * not). */
    m->has_place = dc_place_parse(f->incident_place, &m->place_lat, &m->place_lon) ||
                   dc_place_parse(f->location, &m->place_lat, &m->place_lon);
    if (f->incident_time[0] &&
        !dc_utc_parse(f->incident_time, &m->stated_utc_ms, &m->stated_date_only)) {
        m->stated_utc_ms = DC_NO_UTC;
        m->stated_date_only = false;
    }
}

static void crash_if(const dc_workers *p, const char *point) {
#ifdef DC_TEST_HOOKS
    if (p->o.crash_point && !strcmp(p->o.crash_point, point)) kill(getpid(), SIGKILL);
#else
    (void)p;
    (void)point;
#endif
}

static bool run_fail(claim_run *run, dc_error_class cls, const char *message) {
    run->failed = true;
    run->fail_class = cls;
    snprintf(run->fail_message, sizeof run->fail_message, "%s: %s", run->name, message);
    return false;
}

void worker_run_free(claim_run *run) {
    for (int i = 0; run->in && i < run->in->count; i++) {
        if (run->temporary[i]) unlink(run->fetched[i]);
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/%d", run->layout_dir, i);
        if (run->linked[i]) unlink(run->in->videos[i].path);
        if (run->layout_dir[0]) rmdir(dir);
    }
    if (run->layout_dir[0]) rmdir(run->layout_dir);
    free(run->in);
    for (int i = 0; run->jpegs && i < run->nframes; i++) free(run->jpegs[i]);
    free(run->jpegs);
    free(run->jpeg_lens);
    free(run->json);
    dc_str_free(&run->html);
    if (run->r) dc_claim_result_free(run->r);
    free(run->r);
}

/* Where each video sits on the claim's timeline, by the group module (dc_group_videos, mode
 * all: the names' times by the camera's convention, else the containers' creation times, else
 * the telemetry's UTC; channels of one moment together, segments back to back). It reads the
 * file's name, so each video is shown to it under the uploader's name for it: a symbolic link
 * in a private scratch folder (run->layout_dir), which the pipeline then opens as well. The
 * roles and segments the uploader gave win over the names'; the videos keep their positions.
 * When the layout cannot be made, every video starts at 0 (the channels of one moment). */
static void lay_out(claim_run *run, const dc_store_claim_video *rows) {
    dc_claim_input *in = run->in;
    if (snprintf(run->layout_dir, sizeof run->layout_dir, "%.900s/dashclaim-claim-XXXXXX",
                 run->w->pool->scratch) >= (int)sizeof run->layout_dir ||
        !mkdtemp(run->layout_dir)) {
        run->layout_dir[0] = 0;
        return;
    }
    const char *paths[DC_MAX_CLAIM_VIDEOS];
    for (int i = 0; i < in->count; i++) {
        dc_claim_video *v = &in->videos[i];
        char dir[1100], link[sizeof v->path];
        snprintf(dir, sizeof dir, "%s/%d", run->layout_dir, i);
        const char *name = rows[i].file_name;
        char fallback[80];
        if (!name[0] || name[0] == '.') {
            snprintf(fallback, sizeof fallback, "%s.mp4", v->sha256);
            name = fallback;
        }
        if (snprintf(link, sizeof link, "%.700s/%s", dir, name) >= (int)sizeof link ||
            mkdir(dir, 0700) != 0 || symlink(v->path, link) != 0)
            return; /* what was made is removed by run_free */
        memcpy(v->path, link, sizeof link);
        run->linked[i] = true;
        paths[i] = v->path;
    }
    dc_group_set set;
    dc_status st = DC_STATUS_OK;
    if (dc_group_videos(paths, in->count, DC_GROUP_ALL, dc_deadline_in(30), &set, &st) == DC_OK) {
        for (int k = 0; k < set.video_count; k++) {
            const dc_claim_video *g = &set.videos[k];
            for (int i = 0; i < in->count; i++) {
                dc_claim_video *v = &in->videos[i];
                if (strcmp(g->path, v->path) != 0) continue;
                v->offset_sec = g->offset_sec;
                snprintf(v->start_time, sizeof v->start_time, "%s", g->start_time);
                snprintf(v->start_source, sizeof v->start_source, "%s", g->start_source);
                if (v->role == DC_ROLE_UNKNOWN) v->role = g->role;
                if (v->segment < 0) v->segment = g->segment;
            }
        }
    } else {
        fprintf(stderr, "dashclaim worker %s: laying out %s: %s\n", run->w->id, run->job->claim_id,
                st.message);
    }
    dc_group_set_free(&set);
}

bool worker_fetch(claim_run *run) {
    worker *w = run->w;
    dc_status st = DC_STATUS_OK;
    dc_store_claim_video *rows = calloc(DC_MAX_CLAIM_VIDEOS, sizeof *rows);
    int n = 0;
    if (!(run->in = calloc(1, sizeof *run->in)) || !rows) {
        free(rows);
        return run_fail(run, DC_ERR_RESOURCE, "out of memory");
    }
    if (dc_store_claim_videos(run->store, run->job->claim_id, rows, DC_MAX_CLAIM_VIDEOS, &n, &st) !=
        DC_OK) {
        free(rows);
        fprintf(stderr, "dashclaim worker %s: the videos of %s: %s\n", w->id, run->job->claim_id,
                st.message);
        return run_fail(run, st.code == DC_ERR_INPUT ? DC_ERR_INTERNAL : st.code,
                        "the claim's list of videos could not be read");
    }
    if (n == 0) { /* (every claim has its rows since schema 3; the job names video 0 anyway) */
        snprintf(rows[0].video.sha256, sizeof rows[0].video.sha256, "%s", run->job->video_sha256);
        rows[0].segment = -1;
        n = 1;
    }
    for (int i = 0; i < n; i++) {
        dc_claim_video *v = &run->in->videos[i];
        snprintf(run->names[i], sizeof run->names[i], "video %.8s\u2026", rows[i].video.sha256);
        snprintf(v->sha256, sizeof v->sha256, "%s", rows[i].video.sha256);
        v->role = rows[i].role;
        v->segment = rows[i].segment;
        run->in->count = i + 1;
        if (dc_store_video_fetch(run->store, v->sha256, w->pool->scratch, v->path, sizeof v->path,
                                 &run->temporary[i], &st) != DC_OK) {
            /* The bytes are missing or damaged in the store: not the uploader's fault, and
             * another worker (or a later try) may read them fine. The store's message names its
             * files: it goes to the log, the uploader reads only that the stored copy could not
             * be read. */
            fprintf(stderr, "dashclaim worker %s: fetching video %d of %s: %s\n", w->id, i,
                    run->job->claim_id, st.message);
            free(rows);
            snprintf(run->name, sizeof run->name, "%s", run->names[i]);
            return run_fail(run, st.code == DC_ERR_INPUT ? DC_ERR_INTERNAL : st.code,
                            "the stored copy of the video could not be read");
        }
        snprintf(run->fetched[i], sizeof run->fetched[i], "%s", v->path);
    }
    if (n > 1) lay_out(run, rows);
    free(rows);
    return true;
}

/* In s (a char[cap]), every `from` becomes `to`; a result too long is cut at a character
 * boundary (a cut UTF-8 sequence would make the record's JSON invalid). */
static void replace_all(char *s, size_t cap, const char *from, const char *to) {
    s[cap - 1] = '\0';
    size_t from_len = strlen(from), to_len = strlen(to);
    if (!from_len || !strstr(s, from)) return;
    char out[4096];
    size_t n = 0, room = (cap < sizeof out ? cap : sizeof out) - 1;
    for (const char *c = s; *c && n < room;) {
        if (!strncmp(c, from, from_len)) {
            size_t k = to_len < room - n ? to_len : room - n;
            memcpy(out + n, to, k);
            n += k;
            c += from_len;
        } else {
            out[n++] = *c++;
        }
    }
    if (n == room) { /* perhaps cut: drop a last sequence that lacks bytes */
        size_t lead = n;
        while (lead > 0 && n - lead < 4 && ((unsigned char)out[lead - 1] & 0xC0) == 0x80) lead--;
        if (lead > 0) {
            unsigned char b = (unsigned char)out[lead - 1];
            size_t want = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            if (lead - 1 + want > n) n = lead - 1;
        }
    }
    memcpy(s, out, n);
    s[n] = '\0';
}

/* Every string member of the record, as (offset, size): the paths rewrite walks them all, so
 * a message added to any of them later cannot carry a server path to the uploader. */
#define RECORD_STRING(member)                                                                      \
    { offsetof(dc_assessment, member), sizeof(((dc_assessment *)0)->member) }
static const struct {
    size_t offset, size;
} record_strings[] = {
    RECORD_STRING(schema),
    RECORD_STRING(claim_id),
    RECORD_STRING(dashclaim_version),
    RECORD_STRING(created_at),
    RECORD_STRING(video.path),
    RECORD_STRING(video.sha256),
    RECORD_STRING(error_message),
    RECORD_STRING(engine.name),
    RECORD_STRING(engine.model),
    RECORD_STRING(engine.model_sha256),
    RECORD_STRING(engine.device),
    RECORD_STRING(engine.prompt_version),
    RECORD_STRING(reasoning),
    RECORD_STRING(rules_version),
    RECORD_STRING(review_rule),
};

static void record_replace_all(dc_assessment *a, const char *from, const char *to) {
    for (size_t i = 0; i < sizeof record_strings / sizeof record_strings[0]; i++) {
        replace_all((char *)a + record_strings[i].offset, record_strings[i].size, from, to);
    }
    for (int i = 0; i < 2; i++)
        replace_all(a->engine.modalities[i], sizeof a->engine.modalities[i], from, to);
    for (int i = 0; i < DC_MAX_WINDOWS; i++)
        for (int k = 0; k < DC_MAX_WINDOW_SIGNALS; k++)
            replace_all(a->windows[i].signals[k], sizeof a->windows[i].signals[k], from, to);
    for (int i = 0; i < DC_MAX_EVIDENCE; i++)
        replace_all(a->evidence[i].description, sizeof a->evidence[i].description, from, to);
    for (int i = 0; i < DC_MAX_FAULT_RULES; i++) {
        replace_all(a->fault_rules[i].id, sizeof a->fault_rules[i].id, from, to);
        replace_all(a->fault_rules[i].reason, sizeof a->fault_rules[i].reason, from, to);
    }
    for (int i = 0; i < DC_MAX_FRAUD_INDICATORS; i++) {
        replace_all(a->fraud_indicators[i].id, sizeof a->fraud_indicators[i].id, from, to);
        replace_all(a->fraud_indicators[i].reason, sizeof a->fraud_indicators[i].reason, from, to);
    }
}

void worker_claim_options(claim_run *run, dc_claim_metadata *meta, dc_pipeline_options *po_out) {
    dc_workers *p = run->w->pool;
    metadata_from_fields(&run->job->fields, meta);
    dc_pipeline_options *po = po_out;
    dc_pipeline_options_init(po);
    po->timeout_sec = p->o.claim_timeout_sec;
    po->metadata = meta;
    po->vlm = run->w->vlm;
    po->keep_evidence = !p->o.no_evidence;
    /* Several workers share the machine: one decoder thread each is enough. */
    po->decode_workers = 1;
    /* footage seen in earlier claims: the index beside the store (serve_footage.c) */
    po->footage_lookup = serve_footage_lookup;
    po->footage_lookup_ctx = (void *)p->o.store_url;
    /* The store hashed the bytes as they arrived (and checks a fetched copy against it): the
     * pipeline takes the hashes in run->in and does not read the files again for them. */
}

void worker_claim_recorded(claim_run *run) {
    dc_workers *p = run->w->pool;
    const dc_store_job *job = run->job;
    dc_assessment *a = &run->r->assessment;
    /* this claim's fingerprints, for the claims after it (a retried job stores nothing twice) */
    dc_status fst = DC_STATUS_OK;
    if (!serve_footage_keep(p->o.store_url, job->claim_id, run->r, &fst))
        fprintf(stderr, "dashclaim worker %s: keeping the fingerprints of %s: %s\n", run->w->id,
                job->claim_id, fst.message);
    /* The pipeline names the files it read in its messages; those are the store's files or
     * scratch copies, paths on this server the uploader must not see. */
    for (int i = 0; i < run->in->count; i++) {
        record_replace_all(a, run->in->videos[i].path, run->names[i]);
        record_replace_all(a, run->fetched[i], run->names[i]);
        if (i < a->video_count) {
            replace_all(a->videos[i].error, sizeof a->videos[i].error, run->in->videos[i].path,
                        run->names[i]);
            /* The path is the store's name for the video, not something the uploader chose. */
            snprintf(a->videos[i].path, sizeof a->videos[i].path, "%s", run->in->videos[i].sha256);
            snprintf(a->videos[i].sha256, sizeof a->videos[i].sha256, "%s",
                     run->in->videos[i].sha256);
        }
    }
    /* The record names the video it assessed also when the pipeline stopped early. */
    snprintf(a->video.sha256, sizeof a->video.sha256, "%s", job->video_sha256);
    snprintf(a->video.path, sizeof a->video.path, "%s", job->video_sha256);
}

static bool assess(claim_run *run) {
    if (!(run->r = calloc(1, sizeof *run->r)))
        return run_fail(run, DC_ERR_RESOURCE, "out of memory");
    dc_claim_metadata meta;
    dc_pipeline_options po;
    worker_claim_options(run, &meta, &po);
    dc_pipeline_assess_claim(run->in, run->job->claim_id, &po, run->r);
    worker_claim_recorded(run);
    return true;
}

/* The JSON record always (without it nothing can be completed); the page and the frames
 * unless evidence is off or the claim failed. A page or frame that cannot be made is logged
 * and left out: the record stands without them. */
bool worker_render(claim_run *run) {
    worker *w = run->w;
    dc_claim_result *r = run->r;
    dc_assessment *a = &r->assessment;
    if (!(run->json = dc_assessment_to_json(a, 0)))
        return run_fail(run, DC_ERR_RESOURCE, "out of memory writing the record");
    if (w->pool->o.no_evidence || a->status == DC_CLAIM_FAILED) return true;
    int nframes = r->evidence_frames.count;
    dc_report_inputs in = {.danger = r->danger,
                           .danger_count = r->danger_count,
                           .danger_hz = r->danger_hz,
                           .frames = nframes ? &r->evidence_frames : NULL,
                           .telemetry = &r->telemetry};
    dc_status st = DC_STATUS_OK;
    if (dc_report_render_claim_html(a, &in, &run->html, &st) != DC_OK)
        fprintf(stderr, "dashclaim worker %s: the page of %s: %s\n", w->id, run->job->claim_id,
                st.message);
    if (nframes <= 0) return true;
    run->jpegs = calloc((size_t)nframes, sizeof *run->jpegs);
    run->jpeg_lens = calloc((size_t)nframes, sizeof *run->jpeg_lens);
    if (!run->jpegs || !run->jpeg_lens) {
        fprintf(stderr, "dashclaim worker %s: the frames of %s: out of memory\n", w->id,
                run->job->claim_id);
        return true;
    }
    run->nframes = nframes;
    for (int i = 0; i < nframes; i++) {
        const dc_frame *f = &r->evidence_frames.frames[i];
        st = DC_STATUS_OK;
        if (dc_jpeg_encode_rgb(f->rgb, f->width, f->height, f->stride, 960, 85, &run->jpegs[i],
                               &run->jpeg_lens[i], NULL, NULL, &st) != DC_OK)
            fprintf(stderr, "dashclaim worker %s: frame %d of %s: %s\n", w->id, i,
                    run->job->claim_id, st.message);
    }
    return true;
}

/* Ends the attempt in the store, retrying errors that may pass (busy, a dropped connection),
 * and counts the outcome.
 *
 * A store error that persists leaves the job running under this worker's lease, which the
 * heartbeat stops renewing when the run ends: within one lease the store queues the job
 * again, charging this attempt, or fails the claim when it was the last. That is the meaning
 * of a failed completion, on purpose: releasing the job instead would give the attempt back,
 * and a result the store can never take (a record it refuses) would then run forever; the
 * attempt number fences off this worker's late writes either way. */
void worker_finish(claim_run *run) {
    worker *w = run->w;
    dc_workers *p = w->pool;
    const dc_store_job *job = run->job;
    if (abandoned(run)) return; /* stop released the job: write nothing */
    crash_if(p, "worker.result");
    const dc_assessment *a = run->r ? &run->r->assessment : NULL;
    bool fail = run->failed;
    dc_error_class cls = run->fail_class;
    const char *message = run->fail_message;
    /* A failed pipeline run is tried again while attempts last, unless the video itself is
     * bad: then no retry can help. The last attempt stores the pipeline's own record. */
    if (!fail && a->status == DC_CLAIM_FAILED && a->error_class != DC_ERR_INPUT &&
        job->charged < p->o.store.max_attempts) {
        fail = true;
        cls = a->error_class;
        message = a->error_message;
    }
    dc_store_result res = {.assessment = a,
                           .assessment_json = run->json,
                           .report_html = run->html.data,
                           .report_html_len = run->html.len,
                           .frame_count = run->nframes,
                           .frames_jpeg = (const uint8_t *const *)run->jpegs,
                           .frames_jpeg_len = run->jpeg_lens};
    for (int round = 0;; round++) {
        bool accepted = false;
        dc_status st = DC_STATUS_OK;
        dc_error_class rc =
            fail ? dc_store_job_fail(run->store, job, cls, message, true, &accepted, &st)
                 : dc_store_job_complete(run->store, job, &res, &accepted, &st);
        if (rc == DC_OK) {
            if (!accepted) {
                count(p, &p->stats.refused);
                fprintf(stderr,
                        "dashclaim worker %s: the result of %s (attempt %d) refused: the job has "
                        "moved on\n",
                        w->id, job->claim_id, job->attempt);
            } else if (fail && job->charged < p->o.store.max_attempts) count(p, &p->stats.retried);
            else if (fail || a->status == DC_CLAIM_FAILED) count(p, &p->stats.failed_final);
            else count(p, &p->stats.completed);
            break;
        }
        bool again = rc == DC_ERR_RESOURCE && round < 4;
        fprintf(stderr, "dashclaim worker %s: %s %s: %s%s\n", w->id,
                fail ? "failing" : "completing", job->claim_id, st.message,
                again ? " (retrying)" : " (left to its lease)");
        if (!again) {
            count(p, &p->stats.store_errors);
            break;
        }
        struct timespec ts = {0, (long)(200000000L << (round < 3 ? round : 3))};
        nanosleep(&ts, NULL);
    }
    if (a) record_latency(p, now_sec() - run->t0);
}

/* Gives a job back without running it (max_jobs reached, or stop past its grace). A release
 * that fails or is refused leaves the job to its lease (queued again within lease_sec); true
 * when the store took it back. */
bool worker_release(worker *w, dc_store *store, const dc_store_job *job) {
    dc_workers *p = w->pool;
    bool accepted = false;
    dc_status st = DC_STATUS_OK;
    if (dc_store_job_release(store, job, &accepted, &st) != DC_OK) {
        fprintf(stderr, "dashclaim worker %s: releasing %s: %s (left to its lease)\n", w->id,
                job->claim_id, st.message);
        count(p, &p->stats.store_errors);
        return false;
    }
    count(p, accepted ? &p->stats.released : &p->stats.refused);
    return accepted;
}

void worker_run_init(claim_run *run, worker *w, const dc_store_job *job, dc_store *store) {
    memset(run, 0, sizeof *run);
    run->w = w;
    run->job = job;
    run->store = store;
    run->slot = -1;
    run->t0 = now_sec();
    snprintf(run->name, sizeof run->name, "video %.8s\u2026", job->video_sha256);
}

static void run_claim(worker *w, const dc_store_job *job, int slot) {
    claim_run run;
    worker_run_init(&run, w, job, w->store);
    run.slot = slot;
    if (worker_fetch(&run) && assess(&run)) worker_render(&run);
    worker_finish(&run);
    worker_run_free(&run);
}

bool worker_lease(worker *w, dc_store *store, dc_store_job *job) {
    dc_workers *p = w->pool;
    while (!atomic_load(&p->stop)) {
        if (p->o.max_jobs > 0 && atomic_load(&p->jobs_started) >= p->o.max_jobs) return false;
        bool got = false;
        dc_status st = DC_STATUS_OK;
        if (dc_store_job_claim(store, w->id, job, &got, &st) != DC_OK) {
            fprintf(stderr, "dashclaim worker %s: %s\n", w->id, st.message);
            sleep_until_woken(p, 1.0);
            continue;
        }
        if (!got) {
            /* A backend with wake-ups (PostgreSQL's NOTIFY) is waited on, a second at a time so
             * that a stop is seen; otherwise poll. */
            bool supported = false;
            if (w->can_wait && dc_store_job_wait(store, 1.0, &supported, &st) == DC_OK && supported)
                continue;
            w->can_wait = supported;
            sleep_until_woken(p, p->o.poll_sec);
            continue;
        }
        if (p->o.max_jobs > 0 && atomic_fetch_add(&p->jobs_started, 1) >= p->o.max_jobs) {
            worker_release(w, store, job);
            return false;
        }
        count(p, &p->stats.claimed);
        return true;
    }
    return false;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    if (w->pool->o.batch > 1) {
        worker_run_batch(w);
    } else {
        dc_store_job job;
        while (worker_lease(w, w->store, &job)) {
            int slot = worker_hold(w, &job);
            run_claim(w, &job, slot);
            worker_drop(w, slot);
        }
    }
    dc_workers *p = w->pool;
    atomic_fetch_sub(&p->running, 1);
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ---- pool ----------------------------------------------------------------------------------- */

dc_workers *dc_workers_start(const dc_worker_options *o, dc_status *st) {
    if (!o->store_url) {
        dc_fail(st, DC_ERR_INPUT, "workers: no store given");
        return NULL;
    }
    if (o->model_path && !o->mmproj_path) {
        dc_fail(st, DC_ERR_INPUT, "workers: --model needs --mmproj");
        return NULL;
    }
    if (o->batch > DC_VLM_MAX_BATCH) {
        dc_fail(st, DC_ERR_INPUT, "workers: --batch %d: at most %d claims share one model",
                o->batch, DC_VLM_MAX_BATCH);
        return NULL;
    }
    dc_workers *p = calloc(1, sizeof *p);
    if (!p) {
        dc_fail(st, DC_ERR_RESOURCE, "workers: out of memory");
        return NULL;
    }
    p->o = *o;
    if (p->o.threads <= 0) p->o.threads = 1;
    if (p->o.poll_sec <= 0) p->o.poll_sec = 0.2;
    if (p->o.store.lease_sec <= 0) p->o.store.lease_sec = 60;
    if (p->o.store.max_attempts <= 0) p->o.store.max_attempts = 3;
    if (p->o.batch <= 0) p->o.batch = 1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (o->name && *o->name) {
        snprintf(p->name, sizeof p->name, "%.40s", o->name);
    } else {
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        snprintf(p->name, sizeof p->name, "%.40s:%d", host, (int)getpid());
    }
    snprintf(p->scratch, sizeof p->scratch, "%s",
             o->scratch_dir && *o->scratch_dir ? o->scratch_dir : "/tmp");
    p->o.name = p->name;
    p->o.scratch_dir = p->scratch;
    p->stats.model_loaded = o->model_path != NULL;
    p->count = p->o.threads;
    p->threads = calloc((size_t)p->count, sizeof *p->threads);
    if (!p->threads) {
        dc_fail(st, DC_ERR_RESOURCE, "workers: out of memory");
        goto fail;
    }
    for (int i = 0; i < p->count; i++) {
        worker *w = &p->threads[i];
        w->pool = p;
        w->index = i;
        w->can_wait = true;
        snprintf(w->id, sizeof w->id, "%.50s/%d", p->name, i);
        pthread_mutex_init(&w->beat_lock, NULL);
        pthread_cond_init(&w->beat_wake, NULL);
        w->held_cap = p->o.batch > 1 ? 2 * p->o.batch + 1 : 1;
        if (!(w->held = calloc((size_t)w->held_cap, sizeof *w->held))) {
            dc_fail(st, DC_ERR_RESOURCE, "workers: out of memory");
            goto fail;
        }
        if (!(w->store = dc_store_open(o->store_url, &p->o.store, st)) ||
            !(w->beat_store = dc_store_open(o->store_url, &p->o.store, st)) ||
            (p->o.batch > 1 && !(w->lease_store = dc_store_open(o->store_url, &p->o.store, st))))
            goto fail;
        if (o->model_path) {
            dc_vlm_options vo;
            dc_vlm_options_init(&vo);
            vo.model_path = o->model_path;
            vo.mmproj_path = o->mmproj_path;
            vo.max_batch = p->o.batch; /* the KV cache holds that many claims */
            if (o->visual_tokens > 0) vo.visual_tokens = o->visual_tokens;
            if (o->max_frames > 0) vo.max_frames = o->max_frames + (o->max_frames & 1);
            if (o->max_new_tokens > 0) {
                vo.max_new_tokens = o->max_new_tokens;
                if (vo.closing_reserve > o->max_new_tokens) vo.closing_reserve = o->max_new_tokens;
            }
            if (o->n_threads > 0) vo.n_threads = o->n_threads;
            else {
                long cores = sysconf(_SC_NPROCESSORS_ONLN);
                vo.n_threads = cores / p->count > 0 ? (int)(cores / p->count) : 1;
            }
            if (!(w->vlm = dc_vlm_open(&vo, st))) goto fail;
        }
    }
    for (int i = 0; i < p->count; i++) {
        worker *w = &p->threads[i];
        if (pthread_create(&w->beat_thread, NULL, heartbeat_main, w) != 0) {
            dc_fail(st, DC_ERR_RESOURCE, "workers: cannot start a thread");
            goto fail;
        }
        w->beat_started = true;
        atomic_fetch_add(&p->running, 1);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            atomic_fetch_sub(&p->running, 1);
            dc_fail(st, DC_ERR_RESOURCE, "workers: cannot start a thread");
            goto fail;
        }
        w->started = true;
    }
    return p;
fail:
    dc_workers_stop(p);
    return NULL;
}

void dc_workers_request_stop(dc_workers *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

bool dc_workers_finished(dc_workers *p) { return !p || atomic_load(&p->running) == 0; }

bool dc_workers_stop(dc_workers *p) {
    if (!p) return true;
    dc_workers_request_stop(p);
    /* Let a claim in progress finish; past the grace, release its job so that another worker
     * takes it at once instead of after the lease. */
    double deadline = now_sec() + p->o.stop_grace_sec;
    pthread_mutex_lock(&p->lock);
    while (atomic_load(&p->running) > 0 && now_sec() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->wake, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
    bool leaked = false;
    for (int i = 0; p->threads && i < p->count; i++) {
        worker *w = &p->threads[i];
        if (!w->started || !atomic_load(&w->busy)) continue;
        for (int k = 0; k < w->held_cap; k++) {
            pthread_mutex_lock(&w->beat_lock);
            dc_store_job job = w->held[k].job;
            bool active = w->held[k].active && !w->held[k].abandoned;
            if (active) w->held[k].abandoned = true;
            pthread_mutex_unlock(&w->beat_lock);
            if (active && worker_release(w, w->beat_store, &job))
                fprintf(stderr, "dashclaim worker %s: stopping: released %s\n", w->id,
                        job.claim_id);
        }
    }
    for (int i = 0; p->threads && i < p->count; i++) {
        worker *w = &p->threads[i];
        if (w->beat_started) {
            pthread_mutex_lock(&w->beat_lock);
            w->beat_exit = true;
            pthread_cond_broadcast(&w->beat_wake);
            pthread_mutex_unlock(&w->beat_lock);
        }
        if (w->started && atomic_load(&w->busy)) {
            /* Still inside the pipeline after the grace: its job is released and its result
             * will be refused. Do not wait for it (a model claim may take minutes); the process
             * is about to end. Its resources stay allocated. */
            pthread_detach(w->thread);
            if (w->beat_started) pthread_join(w->beat_thread, NULL);
            leaked = true;
            continue;
        }
        if (w->started) pthread_join(w->thread, NULL);
        if (w->beat_started) pthread_join(w->beat_thread, NULL);
        if (w->vlm) dc_vlm_close(w->vlm);
        dc_store_close(w->store);
        dc_store_close(w->beat_store);
        dc_store_close(w->lease_store);
        free(w->held);
        pthread_mutex_destroy(&w->beat_lock);
        pthread_cond_destroy(&w->beat_wake);
    }
    if (leaked) return false;
    free(p->threads);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
    return true;
}

void dc_workers_get_stats(dc_workers *p, dc_workers_stats *out) {
    memset(out, 0, sizeof *out);
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    *out = p->stats;
    pthread_mutex_unlock(&p->lock);
    out->busy = 0;
    for (int i = 0; i < p->count; i++) out->busy += atomic_load(&p->threads[i].busy);
}
