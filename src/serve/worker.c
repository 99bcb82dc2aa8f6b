/* Workers: threads that drain the store's queue through the pipeline.
 *
 * Each thread owns two store connections (one claims and completes, one renews the lease while
 * the pipeline runs, so a long claim never loses its lease to a busy thread) and its own engine.
 * The heartbeat runs every lease/3: two missed beats still leave a third before the lease ends.
 *
 * What happens to a claim is decided here and written by the store in one transaction:
 *   result ok/degraded                    -> complete (done)
 *   result failed, class input            -> complete (failed: the video is bad; retrying cannot
 *                                            help)
 *   result failed, other class, attempts  -> fail(retryable): queued again after a back-off
 *   left
 *   result failed on the last attempt     -> complete (failed, with the pipeline's own record)
 *   the store refuses (lease lost)        -> nothing: another worker holds the job
 * A store error while completing (busy past the timeout, disk) is retried a few times; if it
 * persists the lease simply expires and the job runs again, which the fence makes safe. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dashclaim/engine.h"
#include "dashclaim/pipeline.h"
#include "dashclaim/report.h"
#include "dashclaim/serve.h"
#include "serve_internal.h"

const double dc_workers_latency_bounds[12] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

void dc_worker_options_init(dc_worker_options *o) {
    memset(o, 0, sizeof *o);
    dc_store_options_init(&o->store);
    o->threads = 1;
    o->claim_timeout_sec = 600;
    o->poll_sec = 0.2;
    o->stop_grace_sec = 10;
}

typedef struct worker worker;

struct dc_workers {
    dc_worker_options o;
    char name[DC_STORE_NAME_LEN];
    char scratch[1024];
    int count;
    worker *threads;
    atomic_bool stop;
    atomic_int running; /* threads not yet ended */
    atomic_llong jobs_started;
    pthread_mutex_t lock; /* guards stats and the stop condition */
    pthread_cond_t wake;
    dc_workers_stats stats;
};

struct worker {
    dc_workers *pool;
    int index;
    char id[DC_STORE_NAME_LEN];
    pthread_t thread, beat_thread;
    bool started, beat_started;
    dc_store *store, *beat_store;
    dc_vlm *vlm;
    /* the job the heartbeat renews (guarded by beat_lock) */
    pthread_mutex_t beat_lock;
    pthread_cond_t beat_wake;
    bool beat_active, beat_exit, lease_lost;
    dc_store_job job;
    atomic_bool busy;
    atomic_bool abandoned; /* stop gave up waiting and released the job */
    bool can_wait;         /* the store may support dc_store_job_wait */
};

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
        if (rc != ETIMEDOUT || !w->beat_active) continue;
        dc_store_job job = w->job;
        pthread_mutex_unlock(&w->beat_lock);
        bool held = true;
        dc_status st = DC_STATUS_OK;
        dc_error_class e = dc_store_job_heartbeat(w->beat_store, &job, &held, &st);
        pthread_mutex_lock(&w->beat_lock);
        if (e == DC_OK && !held && w->beat_active && !strcmp(job.claim_id, w->job.claim_id)) {
            w->lease_lost = true;
            fprintf(stderr, "dashclaim worker %s: lost the lease of %s (attempt %d)\n", w->id,
                    job.claim_id, job.attempt);
        } else if (e != DC_OK) {
            fprintf(stderr, "dashclaim worker %s: heartbeat: %s\n", w->id, st.message);
        }
    }
    pthread_mutex_unlock(&w->beat_lock);
    return NULL;
}

static void beat_begin(worker *w, const dc_store_job *job) {
    pthread_mutex_lock(&w->beat_lock);
    w->job = *job;
    w->beat_active = true;
    w->lease_lost = false;
    pthread_mutex_unlock(&w->beat_lock);
}

static void beat_end(worker *w) {
    pthread_mutex_lock(&w->beat_lock);
    w->beat_active = false;
    pthread_mutex_unlock(&w->beat_lock);
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
        m->collision_claimed = sev == DC_SEVERITY_HIGH ? DC_TRI_YES
                               : sev == DC_SEVERITY_NONE ? DC_TRI_NO
                                                         : DC_TRI_UNKNOWN;
    }
}

/* Reads a whole (small) file: the report page the report module wrote. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = 0;
                *len = (size_t)n;
            }
        }
    }
    fclose(f);
    return buf;
}

static void crash_if(const dc_workers *p, const char *point) {
#ifdef DC_TEST_HOOKS
    if (p->o.crash_point && !strcmp(p->o.crash_point, point)) kill(getpid(), SIGKILL);
#else
    (void)p;
    (void)point;
#endif
}

/* Writes the result, retrying store errors that may pass. */
static void finish(worker *w, const dc_store_job *job, const dc_store_result *res,
                   bool retry_instead, const dc_assessment *a) {
    dc_workers *p = w->pool;
    for (int round = 0; round < 5; round++) {
        bool accepted = false;
        dc_status st = DC_STATUS_OK;
        dc_error_class rc;
        if (retry_instead)
            rc = dc_store_job_fail(w->store, job, a->error_class, a->error_message, true,
                                   &accepted, &st);
        else
            rc = dc_store_job_complete(w->store, job, res, &accepted, &st);
        if (rc == DC_OK) {
            if (!accepted) count(p, &p->stats.refused);
            else if (retry_instead) count(p, &p->stats.retried);
            else if (a->status == DC_CLAIM_FAILED) count(p, &p->stats.failed_final);
            else count(p, &p->stats.completed);
            return;
        }
        fprintf(stderr, "dashclaim worker %s: writing the result of %s: %s%s\n", w->id,
                job->claim_id, st.message, rc == DC_ERR_RESOURCE ? " (retrying)" : "");
        if (rc != DC_ERR_RESOURCE) return;
        struct timespec ts = {0, (long)(200000000L << (round < 3 ? round : 3))};
        nanosleep(&ts, NULL);
    }
}

static void run_claim(worker *w, const dc_store_job *job) {
    dc_workers *p = w->pool;
    double t0 = now_sec();
    char path[2048];
    bool temporary = false;
    dc_status st = DC_STATUS_OK;
    dc_claim_result *r = calloc(1, sizeof *r);
    uint8_t **jpegs = NULL;
    size_t *jpeg_lens = NULL;
    char *json = NULL, *html = NULL;
    size_t html_len = 0;
    if (!r) {
        bool acc;
        dc_store_job_fail(w->store, job, DC_ERR_RESOURCE, "out of memory", true, &acc, &st);
        return;
    }
    if (dc_store_video_fetch(w->store, job->video_sha256, p->scratch, path, sizeof path,
                             &temporary, &st) != DC_OK) {
        /* The bytes are missing or damaged in the store: not the uploader's fault, and another
         * worker (or a later try) may read them fine. */
        bool acc;
        char why[sizeof st.message];
        memcpy(why, st.message, sizeof why);
        dc_store_job_fail(w->store, job, st.code == DC_ERR_INPUT ? DC_ERR_INTERNAL : st.code, why,
                          true, &acc, &st);
        count(p, &p->stats.retried);
        goto out;
    }
    dc_claim_metadata meta;
    metadata_from_fields(&job->fields, &meta);
    dc_pipeline_options po;
    dc_pipeline_options_init(&po);
    po.timeout_sec = p->o.claim_timeout_sec;
    po.metadata = &meta;
    po.vlm = w->vlm;
    po.keep_evidence = !p->o.no_evidence;
    /* Several workers share the machine: one decoder thread each is enough. */
    po.decode_workers = 1;
    dc_pipeline_assess(path, job->claim_id, &po, r);
    dc_assessment *a = &r->assessment;
    snprintf(a->video.sha256, sizeof a->video.sha256, "%s", job->video_sha256);
    /* The path is the store's name for the video, not something the uploader chose. */
    snprintf(a->video.path, sizeof a->video.path, "%s", job->video_sha256);

    int nframes = r->evidence_frames.count;
    if (!p->o.no_evidence && a->status != DC_CLAIM_FAILED) {
        char page[1200];
        snprintf(page, sizeof page, "%s/report-%s-%d.html", p->scratch, job->claim_id, job->attempt);
        dc_report_inputs in = {.danger = r->danger,
                               .danger_count = r->danger_count,
                               .danger_hz = r->danger_hz,
                               .frames = nframes ? &r->evidence_frames : NULL};
        dc_status rst = DC_STATUS_OK;
        if (dc_report_write_claim_html(page, a, &in, &rst) == DC_OK) html = slurp(page, &html_len);
        unlink(page);
        if (nframes > 0) {
            jpegs = calloc((size_t)nframes, sizeof *jpegs);
            jpeg_lens = calloc((size_t)nframes, sizeof *jpeg_lens);
            for (int i = 0; jpegs && jpeg_lens && i < nframes; i++) {
                const dc_frame *f = &r->evidence_frames.frames[i];
                dc_status jst = DC_STATUS_OK;
                dc_jpeg_encode_rgb(f->rgb, f->width, f->height, f->stride, 960, 85, &jpegs[i],
                                   &jpeg_lens[i], NULL, NULL, &jst);
            }
            if (!jpegs || !jpeg_lens) nframes = 0;
        }
    } else {
        nframes = 0;
    }
    json = dc_assessment_to_json(a, 0);
    crash_if(p, "worker.result");
    bool failed = a->status == DC_CLAIM_FAILED;
    bool retry = failed && a->error_class != DC_ERR_INPUT &&
                 job->charged < p->o.store.max_attempts;
    if (!json && !retry) {
        bool acc;
        dc_store_job_fail(w->store, job, DC_ERR_RESOURCE, "out of memory writing the record", true,
                          &acc, &st);
        goto out;
    }
    dc_store_result res = {.assessment = a,
                           .assessment_json = json,
                           .report_html = html,
                           .report_html_len = html_len,
                           .frame_count = nframes,
                           .frames_jpeg = (const uint8_t *const *)jpegs,
                           .frames_jpeg_len = jpeg_lens};
    if (atomic_load(&w->abandoned)) goto out; /* stop released the job: write nothing */
    finish(w, job, &res, retry, a);
    record_latency(p, now_sec() - t0);
out:
    if (temporary) unlink(path);
    for (int i = 0; jpegs && i < r->evidence_frames.count; i++) free(jpegs[i]);
    free(jpegs);
    free(jpeg_lens);
    free(json);
    free(html);
    dc_claim_result_free(r);
    free(r);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    dc_workers *p = w->pool;
    while (!atomic_load(&p->stop)) {
        if (p->o.max_jobs > 0 && atomic_load(&p->jobs_started) >= p->o.max_jobs) break;
        dc_store_job job;
        bool got = false;
        dc_status st = DC_STATUS_OK;
        if (dc_store_job_claim(w->store, w->id, &job, &got, &st) != DC_OK) {
            fprintf(stderr, "dashclaim worker %s: %s\n", w->id, st.message);
            sleep_until_woken(p, 1.0);
            continue;
        }
        if (!got) {
            /* A backend with wake-ups (PostgreSQL's NOTIFY) is waited on, a second at a time so
             * that a stop is seen; otherwise poll. */
            bool supported = false;
            if (w->can_wait && dc_store_job_wait(w->store, 1.0, &supported, &st) == DC_OK &&
                supported)
                continue;
            w->can_wait = supported;
            sleep_until_woken(p, p->o.poll_sec);
            continue;
        }
        if (p->o.max_jobs > 0 && atomic_fetch_add(&p->jobs_started, 1) >= p->o.max_jobs) {
            bool acc;
            dc_store_job_release(w->store, &job, &acc, &st);
            break;
        }
        count(p, &p->stats.claimed);
        atomic_store(&w->busy, true);
        beat_begin(w, &job);
        run_claim(w, &job);
        beat_end(w);
        atomic_store(&w->busy, false);
    }
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
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (o->name && *o->name) {
        snprintf(p->name, sizeof p->name, "%.40s", o->name);
    } else {
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        snprintf(p->name, sizeof p->name, "%.40s:%d", host, (int)getpid());
    }
    snprintf(p->scratch, sizeof p->scratch, "%s", o->scratch_dir && *o->scratch_dir ? o->scratch_dir : "/tmp");
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
        if (!(w->store = dc_store_open(o->store_url, &p->o.store, st)) ||
            !(w->beat_store = dc_store_open(o->store_url, &p->o.store, st)))
            goto fail;
        if (o->model_path) {
            dc_vlm_options vo;
            dc_vlm_options_init(&vo);
            vo.model_path = o->model_path;
            vo.mmproj_path = o->mmproj_path;
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

void dc_workers_stop(dc_workers *p) {
    if (!p) return;
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
        if (w->started && atomic_load(&w->busy)) {
            pthread_mutex_lock(&w->beat_lock);
            dc_store_job job = w->job;
            bool active = w->beat_active;
            pthread_mutex_unlock(&w->beat_lock);
            if (active) {
                atomic_store(&w->abandoned, true);
                bool acc = false;
                dc_status st = DC_STATUS_OK;
                dc_store_job_release(w->beat_store, &job, &acc, &st);
                count(p, &p->stats.released);
                fprintf(stderr, "dashclaim worker %s: stopping: released %s\n", w->id, job.claim_id);
            }
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
        pthread_mutex_destroy(&w->beat_lock);
        pthread_cond_destroy(&w->beat_wake);
    }
    if (leaked) return;
    free(p->threads);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
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
