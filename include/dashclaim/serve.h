/* The service: workers that drain the store's queue through the pipeline, and the HTTP API and
 * review page in front of the store.
 *
 * Workers (dc_workers_*): N threads, each with its own store connection and its own engine (the
 * VLM is loaded once per thread and reused for every claim; without a model the signals engine
 * assesses). A worker loop, per job:
 *   claim a job (lease + attempt)                                  dc_store_job_claim
 *   renew the lease every lease/3 on a second connection           dc_store_job_heartbeat
 *   fetch the video as a file, run the pipeline, make the report page and evidence JPEGs
 *   write the result and complete the job in one transaction       dc_store_job_complete
 * A claim that failed for a reason that may pass (resource, timeout, model, internal) is retried
 * while attempts remain (dc_store_job_fail, retryable); bad input ends it at once. A result the
 * store refuses (the lease was lost and another worker holds the job) is dropped. On stop the
 * workers take no new job, and a job in progress is released (not charged) unless it finishes
 * within stop_grace_sec.
 *
 * Server (dc_server_*): libmicrohttpd with a thread pool; every request but /healthz and the
 * login page needs an API key (Authorization: Bearer KEY, or the HttpOnly cookie the login page
 * sets), checked when the headers arrive, before any body is read: a missing/unknown key gets
 * 401, a key whose role does not allow the call 403. Uploads are streamed into the store and
 * refused with 413 as soon as they would pass max_upload_bytes. See docs/openapi.json (served at
 * /v1/openapi.json) for every route.
 *
 * Errors: start functions return NULL with *st filled (DC_ERR_INPUT for bad options such as an
 * unparsable listen address or a model that does not exist, DC_ERR_RESOURCE for a port in use or
 * a store that cannot be opened, DC_ERR_MODEL for a model llama.cpp rejects). Nothing here exits
 * the process.
 */
#ifndef DASHCLAIM_SERVE_H
#define DASHCLAIM_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "dashclaim/status.h"
#include "dashclaim/store.h"

/* ---- workers -------------------------------------------------------------------------------- */

typedef struct {
    const char *store_url;    /* data folder or postgresql:// URL (required) */
    dc_store_options store;   /* lease, attempts, busy timeout */
    int threads;              /* worker threads (default 1) */
    const char *name;         /* worker id prefix (default "HOST:PID"); ids are name/thread */
    const char *model_path;   /* text GGUF; NULL = the signals engine */
    const char *mmproj_path;  /* mmproj GGUF (required with model_path) */
    int n_threads;            /* CPU threads per VLM (0 = cores / threads) */
    int visual_tokens;        /* VLM visual-token budget per claim (0 = the engine's default) */
    int max_frames;           /* VLM frames per claim (0 = the engine's default) */
    int max_new_tokens;       /* VLM generation budget (0 = the engine's default) */
    int batch;                /* claims a thread holds at once (default 1, at most
                                 DC_VLM_MAX_BATCH): above 1 the thread leases up to 2 x batch
                                 jobs (each its own lease, heartbeat and fence), prepares the
                                 next while the VLM runs up to `batch` together in one context
                                 (dc_pipeline_assess_stream); the engine is opened for it */
    double claim_timeout_sec; /* pipeline deadline per claim (default 600; <= 0 none) */
    const char *scratch_dir;  /* temporary files (report pages, fetched videos); default /tmp */
    double poll_sec;          /* how often an idle worker looks for work (default 0.2) */
    double stop_grace_sec;    /* on stop, how long a running claim may finish (default 10) */
    int max_jobs;             /* stop after this many jobs in all (0 = no limit; benchmarks) */
    bool no_evidence;         /* skip the report page and frame JPEGs (benchmarks) */
    /* Test-only: kill the process with SIGKILL at a named point ("worker.result": between the
     * result and the completion). NULL in production; honoured only with DC_TEST_HOOKS. */
    const char *crash_point;
} dc_worker_options;

void dc_worker_options_init(dc_worker_options *o);

typedef struct dc_workers dc_workers;

/* Opens the engines (one per thread) and the store connections, then starts the threads. */
dc_workers *dc_workers_start(const dc_worker_options *o, dc_status *st);
/* Asks the workers to stop (async-signal-unsafe: call from a normal thread). */
void dc_workers_request_stop(dc_workers *w);
/* True once every thread has ended (max_jobs reached, or stopped). */
bool dc_workers_finished(dc_workers *w);
/* Stops (if not yet asked), joins the threads, closes engines and connections; safe on NULL.
 * false when a thread was still inside the pipeline after the stop grace: its job is released
 * (its late result refused) and the thread left running with its engine, so the process must
 * end with _exit (exit's destructors would free what that thread still uses). */
bool dc_workers_stop(dc_workers *w);

/* What the workers did so far (for /metrics and the CLI). */
typedef struct {
    int64_t claimed, completed, failed_final, retried, released, refused;
    /* store calls ending a job (complete, fail, release) that failed after their retries; each
     * such job is left to its lease and runs again (worker.c, finish) */
    int64_t store_errors;
    int busy;          /* threads inside a claim now */
    bool model_loaded; /* a VLM is loaded (false = signals engine) */
    /* Histogram of claim processing time (claim -> completion), seconds. */
    int64_t latency_buckets[12]; /* counts <= dc_workers_latency_bounds[i] (not cumulative) */
    int64_t latency_count;
    double latency_sum;
} dc_workers_stats;

extern const double dc_workers_latency_bounds[12];
void dc_workers_get_stats(dc_workers *w, dc_workers_stats *out);

/* ---- HTTP server ---------------------------------------------------------------------------- */

typedef struct {
    const char *store_url; /* required */
    dc_store_options store;
    const char *listen;         /* "HOST:PORT" (default "127.0.0.1:8080"; port 0 = any) */
    int http_threads;           /* libmicrohttpd thread pool (default 4) */
    int64_t max_upload_bytes;   /* default 500 MB */
    int connection_timeout_sec; /* idle connection timeout (default 30) */
    int header_timeout_sec;     /* request line and headers must arrive within this many
                                      seconds of the accept, or the connection is closed
                                      (default 10): a slow sender cannot hold a connection */
    int min_body_rate;          /* bytes/s a request body must keep up, on average, once the
                                      headers are in, after a grace of header_timeout_sec
                                      (default 1024) */
    bool secure_cookies;        /* the session cookie gets Secure (served over TLS) */
    bool trust_proxy;           /* honour X-Forwarded-Proto: https from a proxy in front
                                      (Secure cookie, https origin) */
    int session_ttl_sec;        /* browser session lifetime (default 28800 = 8 h) */
    int max_connections;        /* total (default 512) */
    int per_ip_connections;     /* per client address (default 128) */
    dc_worker_options workers;  /* workers.threads = 0: no workers in this process */
    /* Test-only: SIGKILL at "upload.body" (half the body written), "upload.committed" (claim
     * committed, 202 not sent). NULL in production; honoured only with DC_TEST_HOOKS. */
    const char *crash_point;
} dc_serve_options;

void dc_serve_options_init(dc_serve_options *o);

typedef struct dc_server dc_server;

/* Opens the store (creating it), starts the workers and then the HTTP daemon. */
dc_server *dc_server_start(const dc_serve_options *o, dc_status *st);
/* The TCP port the server listens on (useful with port 0). */
int dc_server_port(const dc_server *s);
/* Stops taking connections, ends the workers (see dc_workers_stop) and frees; safe on NULL.
 * false as dc_workers_stop: end the process with _exit. */
bool dc_server_stop(dc_server *s);

#endif
