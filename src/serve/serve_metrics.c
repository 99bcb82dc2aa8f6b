/* The service's Prometheus metrics: request counters kept by server.c as requests end, and the
 * /metrics page, which adds the store's queue figures and the workers' own counters. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "dashclaim/sysinfo.h"
#include "serve_internal.h"

/* ---- counters -------------------------------------------------------------------------------- */

const double serve_latency_bounds[SERVE_LATENCY_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1,    2.5,   10};

void serve_metrics_request(serve_metrics *m, int status, double seconds) {
    int k = status / 100;
    atomic_fetch_add(&m->requests[k >= 1 && k <= 5 ? k : 0], 1);
    int i = 0;
    while (i < SERVE_LATENCY_BUCKETS && seconds > serve_latency_bounds[i]) i++;
    atomic_fetch_add(&m->latency_buckets[i], 1);
    atomic_fetch_add(&m->latency_count, 1);
    atomic_fetch_add(&m->latency_sum_us, (long long)(seconds * 1e6));
}

/* ---- the page -------------------------------------------------------------------------------- */

enum MHD_Result serve_metrics_page(serve_request *r) {
    dc_server *s = r->server;
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(s, &st);
    int64_t counts[DC_STATE_COUNT] = {0};
    if (!db || dc_store_claim_counts(db, counts, &st) != DC_OK) return serve_store_error(r, &st);
    dc_str t = {0};
    dc_str_appendf(&t,
                   "# HELP dashclaim_queue_depth Claims waiting for a worker.\n"
                   "# TYPE dashclaim_queue_depth gauge\ndashclaim_queue_depth %" PRId64 "\n",
                   counts[DC_STATE_QUEUED]);
    dc_str_appendf(
        &t,
        "# HELP dashclaim_claims Claims in the store by status.\n# TYPE dashclaim_claims gauge\n");
    for (int i = 0; i < DC_STATE_COUNT; i++)
        dc_str_appendf(&t, "dashclaim_claims{status=\"%s\"} %" PRId64 "\n",
                       dc_claim_state_name((dc_claim_state)i), counts[i]);
    dc_str_appendf(&t,
                   "# HELP dashclaim_http_requests_total HTTP requests answered, by status class.\n"
                   "# TYPE dashclaim_http_requests_total counter\n");
    for (int k = 1; k <= 5; k++)
        dc_str_appendf(&t, "dashclaim_http_requests_total{code=\"%dxx\"} %lld\n", k,
                       (long long)atomic_load(&s->metrics.requests[k]));
    dc_str_appendf(&t,
                   "# HELP dashclaim_http_request_duration_seconds Time from headers to answer.\n"
                   "# TYPE dashclaim_http_request_duration_seconds histogram\n");
    long long cum = 0;
    for (int i = 0; i < SERVE_LATENCY_BUCKETS; i++) {
        cum += atomic_load(&s->metrics.latency_buckets[i]);
        dc_str_appendf(&t, "dashclaim_http_request_duration_seconds_bucket{le=\"%g\"} %lld\n",
                       serve_latency_bounds[i], cum);
    }
    cum += atomic_load(&s->metrics.latency_buckets[SERVE_LATENCY_BUCKETS]);
    dc_str_appendf(&t, "dashclaim_http_request_duration_seconds_bucket{le=\"+Inf\"} %lld\n", cum);
    dc_str_appendf(&t, "dashclaim_http_request_duration_seconds_sum %.6f\n",
                   atomic_load(&s->metrics.latency_sum_us) / 1e6);
    dc_str_appendf(&t, "dashclaim_http_request_duration_seconds_count %lld\n",
                   (long long)atomic_load(&s->metrics.latency_count));
    dc_str_appendf(
        &t,
        "# HELP dashclaim_upload_bytes_total Video bytes received.\n"
        "# TYPE dashclaim_upload_bytes_total counter\ndashclaim_upload_bytes_total %lld\n",
        (long long)atomic_load(&s->metrics.upload_bytes));
    dc_str_appendf(&t,
                   "# HELP dashclaim_uploads_total Uploads by outcome.\n# TYPE "
                   "dashclaim_uploads_total counter\n"
                   "dashclaim_uploads_total{outcome=\"accepted\"} %lld\n"
                   "dashclaim_uploads_total{outcome=\"too_large\"} %lld\n",
                   (long long)atomic_load(&s->metrics.uploads_accepted),
                   (long long)atomic_load(&s->metrics.uploads_rejected_size));
    dc_str_appendf(
        &t,
        "# HELP dashclaim_auth_failures_total Requests without a valid key.\n"
        "# TYPE dashclaim_auth_failures_total counter\ndashclaim_auth_failures_total %lld\n",
        (long long)atomic_load(&s->metrics.auth_failures));
    dc_workers_stats ws;
    dc_workers_get_stats(s->workers, &ws);
    dc_str_appendf(
        &t,
        "# HELP dashclaim_model_loaded 1 when this process's workers run a VLM, 0 for the "
        "signals engine or no workers.\n# TYPE dashclaim_model_loaded gauge\n"
        "dashclaim_model_loaded %d\n",
        ws.model_loaded ? 1 : 0);
    dc_str_appendf(&t,
                   "# HELP dashclaim_workers_busy Worker threads inside a claim.\n"
                   "# TYPE dashclaim_workers_busy gauge\ndashclaim_workers_busy %d\n",
                   ws.busy);
    dc_str_appendf(
        &t,
        "# HELP dashclaim_jobs_total Jobs handled by this process's workers, by outcome.\n"
        "# TYPE dashclaim_jobs_total counter\n"
        "dashclaim_jobs_total{outcome=\"done\"} %" PRId64 "\n"
        "dashclaim_jobs_total{outcome=\"failed\"} %" PRId64 "\n"
        "dashclaim_jobs_total{outcome=\"retried\"} %" PRId64 "\n"
        "dashclaim_jobs_total{outcome=\"released\"} %" PRId64 "\n"
        "dashclaim_jobs_total{outcome=\"refused\"} %" PRId64 "\n",
        ws.completed, ws.failed_final, ws.retried, ws.released, ws.refused);
    dc_str_appendf(
        &t,
        "# HELP dashclaim_job_store_errors_total Job endings (complete, fail, release) the "
        "store refused after its retries; the job waits for its lease.\n"
        "# TYPE dashclaim_job_store_errors_total counter\n"
        "dashclaim_job_store_errors_total %" PRId64 "\n",
        ws.store_errors);
    dc_str_appendf(
        &t, "# HELP dashclaim_claim_duration_seconds Claim processing time (claimed to written).\n"
            "# TYPE dashclaim_claim_duration_seconds histogram\n");
    int64_t wc = 0;
    for (int i = 0; i < 12; i++) {
        wc += ws.latency_buckets[i];
        dc_str_appendf(&t, "dashclaim_claim_duration_seconds_bucket{le=\"%g\"} %" PRId64 "\n",
                       dc_workers_latency_bounds[i], wc);
    }
    dc_str_appendf(
        &t,
        "dashclaim_claim_duration_seconds_bucket{le=\"+Inf\"} %" PRId64 "\n"
        "dashclaim_claim_duration_seconds_sum %.6f\ndashclaim_claim_duration_seconds_count %" PRId64
        "\n",
        ws.latency_count, ws.latency_sum, ws.latency_count);
    dc_str_appendf(
        &t,
        "# HELP dashclaim_resident_memory_bytes Resident set size of this process.\n"
        "# TYPE dashclaim_resident_memory_bytes gauge\ndashclaim_resident_memory_bytes %llu\n",
        (unsigned long long)dc_rss_bytes());
    dc_str_appendf(
        &t,
        "# HELP dashclaim_connections_cut_total Connections closed because their headers or "
        "body came too slowly.\n# TYPE dashclaim_connections_cut_total counter\n"
        "dashclaim_connections_cut_total %lld\n",
        (long long)atomic_load(&s->metrics.connections_cut));
    size_t len = t.len;
    char *text = dc_str_finish(&t);
    if (!text) return serve_error(r, 503, "out of memory");
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, text, free);
    if (!resp) free(text);
    return serve_send(r, 200, resp,
                      &(serve_headers){.content_type = "text/plain; version=0.0.4; charset=utf-8"});
}
